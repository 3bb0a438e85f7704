/*
 * The reference backend: one device ("reference:0", the host CPU, one
 * thread), every op of the spec through the scalar functions of ref_ops.h
 * run by the core's host executor. It is the oracle the conformance suite
 * judges every other backend against.
 */
#include <stdio.h>

#include "../api/backend.h"
#include "ref_ops.h"

static const sq_host_op_fn g_ref_ops[SQ_OP_COUNT] = {
    [SQ_OP_EMBEDDING] = sq_ref_embedding,
    [SQ_OP_ONE_HOT] = sq_ref_one_hot,
    [SQ_OP_LSTM] = sq_ref_lstm,
    [SQ_OP_GRU] = sq_ref_gru,
    [SQ_OP_RNN] = sq_ref_rnn,
    [SQ_OP_LINEAR] = sq_ref_linear,
    [SQ_OP_ACTIVATION] = sq_ref_activation_op,
    [SQ_OP_SOFTMAX] = sq_ref_softmax,
    [SQ_OP_LOG_SOFTMAX] = sq_ref_softmax,
    [SQ_OP_DROPOUT] = sq_ref_dropout,
    [SQ_OP_ADD] = sq_ref_add,
    [SQ_OP_MUL] = sq_ref_mul,
    [SQ_OP_CONCAT] = sq_ref_concat,
    [SQ_OP_SELECT] = sq_ref_select,
    [SQ_OP_LAST_STEP] = sq_ref_last_step,
    [SQ_OP_MEAN_POOL] = sq_ref_mean_pool,
    [SQ_OP_ATTENTION] = sq_ref_attention,
    [SQ_OP_ATTENTION_POOL] = sq_ref_attention_pool,
    [SQ_OP_MULTIHEAD_ATTENTION] = sq_ref_multihead_attention,
};

static seqrt_status ref_run(void *impl, const sq_plan *plan, const sq_view *const *inputs,
                            sq_view *const *outputs)
{
    return sq_host_exec_run(impl, plan, inputs, outputs);
}

static void ref_free(void *impl) { sq_host_exec_free(impl); }

static const sq_session_iface g_ref_session = {ref_run, ref_free};

static seqrt_status ref_session_create(const seqrt_device *dev, const seqrt_model *model, void **out)
{
    (void)dev;
    return sq_host_exec_create((sq_host_exec **)out, model, g_ref_ops);
}

/* supports_layer is NULL: the reference implements every op and attribute. */
static const sq_device_iface g_ref_device = {NULL, ref_session_create, &g_ref_session};

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
