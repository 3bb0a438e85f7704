/*
 * oneDNN backend: the op rows of the ops with weights, which a format 1.2
 * precision other than f32 may reach (the device's `precisions` bits,
 * dnnl_backend.c). Each hands a layer to what computes its precision:
 *
 *  - int8-dynamic linear, lstm, gru: dnnl_q8.c, dnnl_q8_rnn.c;
 *  - bf16, f16: the op's f32 row on the layer's f32 widening (every 16-bit
 *    weight widened exactly, sq_layer_widen): the design's bf16/f16 is f32
 *    arithmetic on the rounded weights, so that is the precision computed,
 *    not an approximation of it. A bf16 lstm/gru/rnn also keeps W_hh in
 *    bf16 for the small-batch path (dnnl_rnn_small.c: half the bytes per
 *    step); the f32 copies stay for the engines that read them;
 *  - f32: the op's f32 row.
 */
#include "dnnl_q8.h"
#include "dnnl_rnn.h"
#include "model.h"

typedef struct prec_state {
    const sq_op_impl *impl;     /* the row computing the layer */
    void *state;                /* its state */
    bool widened;               /* bf16/f16: `wide` is the layer the row computes */
    sq_layer wide;
    sq_weight *copies;          /* the widened tensors (wide.w points at them) */
    int ncopies;
} prec_state;

static void prec_release(void *state)
{
    prec_state *p = state;
    if (!p) return;
    if (p->state && p->impl->release) p->impl->release(p->state);
    for (int i = 0; i < p->ncopies; i++) sq_free(p->copies[i].data);
    sq_free(p->copies);
    if (p->widened) sq_free((void *)p->wide.w);
    sq_free(p);
}

static seqrt_status prec_prepare(void *session, const sq_layer *L, void **out, const sq_op_impl *f32_row)
{
    dn_session *s = session;
    prec_state *p = sq_calloc(1, sizeof *p);
    if (!p) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *out = p;
    p->impl = f32_row;
    if (L->precision == SQ_PREC_INT8) p->impl = L->op == SQ_OP_LINEAR ? &dn_q8_linear_impl : &dn_q8_rnn_impl;
    const sq_layer *run_as = L;
    if (L->precision == SQ_PREC_BF16 || L->precision == SQ_PREC_F16) {
        if (!(p->copies = sq_calloc((size_t)(L->nw ? L->nw : 1), sizeof *p->copies)))
            return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "layer '%s': out of memory", L->name);
        seqrt_status st = sq_layer_widen(L, &p->wide, p->copies, &p->ncopies);
        p->widened = true;
        if (st) return st;
        run_as = &p->wide;
    }
    if (!p->impl->prepare) return SEQRT_OK;
    s->b16_source = L->precision == SQ_PREC_BF16 ? L : NULL;
    seqrt_status st = p->impl->prepare(session, run_as, &p->state);
    s->b16_source = NULL;
    return st;
}

static seqrt_status prec_run(void *session, const sq_op_args *a, void *state)
{
    const prec_state *p = state;
    if (!p->widened) return p->impl->run(session, a, p->state);
    sq_op_args b = *a;
    b.layer = &p->wide;
    return p->impl->run(session, &b, p->state);
}

#define PREC_ROW(row, f32_row, unbound)                                                                   \
    static bool row##_supports(const seqrt_device *dev, const seqrt_model *m, const sq_layer *L, char *why, \
                               size_t n)                                                                  \
    {                                                                                                     \
        return f32_row.supports(dev, m, L, why, n);                                                      \
    }                                                                                                     \
    static seqrt_status row##_prepare(void *session, const sq_layer *L, void **out)                        \
    {                                                                                                     \
        return prec_prepare(session, L, out, &f32_row);                                                  \
    }                                                                                                     \
    const sq_op_impl row = {.supports = row##_supports, .prepare = row##_prepare, .run = prec_run,        \
                            .release = prec_release, .unbound_outs = (unbound)}

PREC_ROW(dn_prec_linear_impl, dn_linear_impl, 0);
PREC_ROW(dn_prec_lstm_impl, dn_lstm_impl, DN_RNN_UNBOUND);
PREC_ROW(dn_prec_gru_impl, dn_gru_impl, DN_RNN_UNBOUND);
PREC_ROW(dn_prec_rnn_impl, dn_rnn_impl, DN_RNN_UNBOUND);
PREC_ROW(dn_prec_embedding_impl, dn_embedding_impl, 0);
PREC_ROW(dn_prec_attention_impl, dn_attention_impl, 0);
PREC_ROW(dn_prec_attention_pool_impl, dn_attention_pool_impl, 0);
PREC_ROW(dn_prec_mha_impl, dn_mha_impl, 0);
