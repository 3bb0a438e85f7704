/*
 * The reference backend: one device ("reference:0", the host CPU, one
 * thread), every op of the spec through the scalar functions of ref_ops.h
 * run by the core's host executor. It is the oracle the conformance suite
 * judges every other backend against.
 */
#include <stdio.h>

#include "../api/backend.h"
#include "ref_ops.h"
#include "ref_quant.h"

/* An int8-dynamic layer's own function (linear, lstm, gru: the only ops
 * that take it), NULL for every other precision. */
static seqrt_status (*int8_fn(const sq_layer *L))(const sq_op_args *)
{
    if (L->precision != SQ_PREC_INT8) return NULL;
    return L->op == SQ_OP_LINEAR ? ref_int8_linear : ref_int8_recurrent;
}

/* Each op of ref_ops.h (REF_OP_LIST) as a row of the op table: every form
 * of every op at every precision (ref_quant.h); the prepared state is a
 * bf16/f16 layer's f32 form, NULL otherwise. No session state. */
#define REF_ROW(fn)                                                                            \
    static seqrt_status run_##fn(void *session, const sq_op_args *a, void *state)           \
    {                                                                                       \
        (void)session;                                                                      \
        seqrt_status (*q)(const sq_op_args *) = int8_fn(a->layer);                          \
        return q ? q(a) : ref_prec_run(fn, a, state);                                       \
    }                                                                                       \
    static const sq_op_impl row_##fn = {.supports = sq_op_supports_all, .prepare = ref_prec_prepare, \
                                        .run = run_##fn, .release = ref_prec_release};
REF_OP_LIST(REF_ROW)
#undef REF_ROW

static const sq_op_impl *const g_ref_ops[SQ_OP_COUNT] = {
    [SQ_OP_EMBEDDING] = &row_ref_embedding,
    [SQ_OP_ONE_HOT] = &row_ref_one_hot,
    [SQ_OP_LSTM] = &row_ref_lstm,
    [SQ_OP_GRU] = &row_ref_gru,
    [SQ_OP_RNN] = &row_ref_rnn,
    [SQ_OP_LINEAR] = &row_ref_linear,
    [SQ_OP_ACTIVATION] = &row_ref_activation_op,
    [SQ_OP_SOFTMAX] = &row_ref_softmax,
    [SQ_OP_LOG_SOFTMAX] = &row_ref_softmax,
    [SQ_OP_DROPOUT] = &row_ref_dropout,
    [SQ_OP_ADD] = &row_ref_add,
    [SQ_OP_MUL] = &row_ref_mul,
    [SQ_OP_CONCAT] = &row_ref_concat,
    [SQ_OP_SELECT] = &row_ref_select,
    [SQ_OP_LAST_STEP] = &row_ref_last_step,
    [SQ_OP_MEAN_POOL] = &row_ref_mean_pool,
    [SQ_OP_ATTENTION] = &row_ref_attention,
    [SQ_OP_ATTENTION_POOL] = &row_ref_attention_pool,
    [SQ_OP_MULTIHEAD_ATTENTION] = &row_ref_multihead_attention,
};

static seqrt_status ref_run(void *impl, const sq_plan *plan, const sq_view *const *inputs,
                            sq_view *const *outputs)
{
    return sq_host_exec_run(impl, plan, inputs, outputs);
}

static void ref_free(void *impl) { sq_host_exec_free(impl); }

static const sq_session_iface g_ref_session = {.run = ref_run, .free = ref_free};

static seqrt_status ref_session_create(const seqrt_device *dev, const seqrt_model *model, void **out)
{
    (void)dev;
    return sq_host_exec_create((sq_host_exec **)out, model, g_ref_ops);
}

static const sq_device_iface g_ref_device = {
    .ops = g_ref_ops,
    .precisions = 1u << SQ_PREC_BF16 | 1u << SQ_PREC_F16 | 1u << SQ_PREC_INT8,
    .session_create = ref_session_create, .session = &g_ref_session};

static seqrt_device g_ref_devices[1];

seqrt_status sq_reference_backend_init(sq_backend *b)
{
    seqrt_device *d = &g_ref_devices[0];
    snprintf(b->name, sizeof b->name, "reference");
    snprintf(d->name, sizeof d->name, "reference");
    snprintf(d->description, sizeof d->description,
             "scalar C reference (the oracle): dot products and activations in double, one thread");
    snprintf(d->vendor, sizeof d->vendor, "seqrt");
    snprintf(d->driver, sizeof d->driver, "seqrt %s", seqrt_version());
    d->compute_units = 1;
    d->iface = &g_ref_device;
    b->devices = g_ref_devices;
    b->ndevices = 1;
    return SEQRT_OK;
}
