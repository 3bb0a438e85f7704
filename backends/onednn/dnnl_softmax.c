/*
 * oneDNN backend: softmax and log_softmax along any axis, on oneDNN's
 * softmax primitive (accurate, i.e. max-subtracted; log form for
 * log_softmax). The tensor is seen as [outer, n, inner] with the axis in
 * the middle, so one primitive serves any rank. A row holding a NaN or +Inf
 * (or only -Inf) is all NaN, as in the reference and PyTorch.
 */
#include <math.h>

#include "dnnl_common.h"

static seqrt_status softmax_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    dn_simple *st = state;
    const sq_layer *L = a->layer;
    const bool log_form = L->op == SQ_OP_LOG_SOFTMAX;
    const sq_view *x = a->in[SQ_SLOT_X];
    int64_t outer, n, inner;
    SQ_TRY(dn_axis_of(L, x->rank, x->d, NULL, &outer, &n, &inner));
    struct {
        int kind, log_form;
        int64_t outer, n, inner;
    } key = {0x534f4654, log_form, outer, n, inner};
    dnnl_memory_desc_t md = dn_md3(outer, n, inner);
    dn_prim *p = dn_cache_find(&st->cache, &key, sizeof key);
    if (!p) {
        dnnl_softmax_v2_desc_t d;
        DN_TRY(dnnl_softmax_v2_forward_desc_init(&d, dnnl_forward_inference,
                                                 log_form ? dnnl_softmax_log : dnnl_softmax_accurate, &md, &md, 1));
        dnnl_primitive_desc_t pd;
        DN_TRY(dnf_primitive_desc_create(&pd, &d, NULL, dn_engine, NULL));
        SQ_TRY(dn_cache_put(&st->cache, &key, sizeof key, pd, &p, "softmax"));
    }
    float *y = sq_vf(a->out[SQ_OUT_MAIN]);
    dn_arg args[2] = {{DNNL_ARG_SRC, &md, x->data}, {DNNL_ARG_DST, &md, y}};
    SQ_TRY(dn_exec(s, p, 2, args));
    /* the reference's NaN rows (a NaN or +Inf in the row, or only -Inf),
     * which oneDNN's clamped exp does not produce */
    const float *xv = sq_vf(x);
    if (dn_any_nonfinite(xv, outer * n * inner))
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                const int64_t base = o * n * inner + i;
                if (dn_softmax_row_nan(xv + base, n, inner))
                    for (int64_t k = 0; k < n; k++) y[base + k * inner] = NAN;
            }
    return SEQRT_OK;
}

const sq_op_impl dn_softmax_impl = DN_SIMPLE_ROW(sq_op_supports_all, softmax_run);
