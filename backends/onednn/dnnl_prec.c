/*
 * oneDNN backend: the op rows of the ops whose layers may compute at a
 * format 1.2 precision other than f32 (the device's `precisions` bits,
 * dnnl_backend.c): each hands a layer to the row that computes its
 * precision — int8-dynamic linear, lstm and gru to dnnl_q8.c and
 * dnnl_q8_rnn.c — and every other layer to the op's f32 row.
 */
#include "dnnl_q8.h"
#include "dnnl_rnn.h"

typedef struct prec_state {
    const sq_op_impl *impl;     /* the row computing the layer */
    void *state;                /* its state */
} prec_state;

static seqrt_status prec_prepare(void *session, const sq_layer *L, void **out, const sq_op_impl *f32_row)
{
    prec_state *p = sq_calloc(1, sizeof *p);
    if (!p) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *out = p;
    p->impl = f32_row;
    if (L->precision == SQ_PREC_INT8) p->impl = L->op == SQ_OP_LINEAR ? &dn_q8_linear_impl : &dn_q8_rnn_impl;
    return p->impl->prepare ? p->impl->prepare(session, L, &p->state) : SEQRT_OK;
}

static seqrt_status prec_run(void *session, const sq_op_args *a, void *state)
{
    const prec_state *p = state;
    return p->impl->run(session, a, p->state);
}

static void prec_release(void *state)
{
    prec_state *p = state;
    if (!p) return;
    if (p->state && p->impl->release) p->impl->release(p->state);
    sq_free(p);
}

#define PREC_ROW(row, f32_row, unbound)                                                         \
    static seqrt_status row##_prepare(void *session, const sq_layer *L, void **out)              \
    {                                                                                            \
        return prec_prepare(session, L, out, &f32_row);                                         \
    }                                                                                            \
    const sq_op_impl row = {.supports = sq_op_supports_all, .prepare = row##_prepare, .run = prec_run, \
                            .release = prec_release, .unbound_outs = (unbound)}

PREC_ROW(dn_prec_linear_impl, dn_linear_impl, 0);
PREC_ROW(dn_prec_lstm_impl, dn_lstm_impl, DN_RNN_UNBOUND);
PREC_ROW(dn_prec_gru_impl, dn_gru_impl, DN_RNN_UNBOUND);
