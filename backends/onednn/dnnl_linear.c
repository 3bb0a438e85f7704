/*
 * oneDNN backend: linear (y = x W^T + b on the last axis, any rank) on the
 * matmul primitive, and the dn_lin helper the attention ops share.
 *
 * The weights are reordered at session creation into the layout a matmul
 * with a run-time row count prefers, and that primitive is created then
 * too: every run, whatever its shape, executes it without a creation.
 */
#include <stdlib.h>
#include <string.h>

#include "dnnl_common.h"

seqrt_status dn_lin_prepare(dn_session *s, dn_lin *l, int64_t K, int64_t N, const float *w, bool w_is_nk,
                            const float *bias, dnnl_alg_kind_t post_alg, float alpha)
{
    memset(l, 0, sizeof *l);
    l->K = K;
    l->N = N;
    l->bias = bias;
    int64_t ds[2] = {DNNL_RUNTIME_DIM_VAL, K}, dd[2] = {DNNL_RUNTIME_DIM_VAL, N};
    int64_t ss[2] = {K, 1}, sd[2] = {N, 1}, dw[2] = {K, N};
    dnnl_memory_desc_t src = dn_md_strided(2, ds, ss, dnnl_f32), dst = dn_md_strided(2, dd, sd, dnnl_f32);
    dnnl_memory_desc_t any = dn_md_tag(2, dw, dnnl_f32, dnnl_format_tag_any), mb = dn_md2(1, N);
    dnnl_matmul_desc_t d;
    DN_TRY(dnnl_matmul_desc_init(&d, &src, &any, bias ? &mb : NULL, &dst));
    dnnl_primitive_desc_t pd;
    SQ_TRY(dn_pd_create(&pd, &d, post_alg, alpha, 0.0f, false, "matmul descriptor"));
    seqrt_status st = dn_mem_alloc(&l->w, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0));
    if (st) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    /* the host weights as [K, N] */
    dnnl_memory_desc_t from = w_is_nk ? dn_md2s(K, N, 1, K) : dn_md2(K, N);
    if ((st = dn_reorder_into(s, &from, w, l->w))) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    return dn_prim_create(&l->p, pd, "matmul");
}

seqrt_status dn_lin_run(dn_session *s, const dn_lin *l, int64_t rows, const float *x, float *y)
{
    if (rows == 0) return SEQRT_OK;
    dnnl_memory_desc_t src = dn_md2(rows, l->K), dst = dn_md2(rows, l->N), mb = dn_md2(1, l->N);
    dn_arg a[4] = {{DNNL_ARG_SRC, &src, (void *)x},
                   {DNNL_ARG_WEIGHTS, NULL, dn_mem_ptr(l->w)},
                   {DNNL_ARG_DST, &dst, y},
                   {DNNL_ARG_BIAS, &mb, (void *)l->bias}};
    return dn_exec(s, &l->p, l->bias ? 4 : 3, a);
}

void dn_lin_free(dn_lin *l)
{
    dn_prim_destroy(&l->p);
    if (l->w) dnnl_memory_destroy(l->w);
    memset(l, 0, sizeof *l);
}

void dn_state_free(void *state, dn_cache *cache, dn_buf *buf, int nbuf, dn_lin *const *lin, int nlin)
{
    if (!state) return;
    if (cache) dn_cache_clear(cache);
    for (int i = 0; i < nbuf; i++) dn_buf_free(&buf[i]);
    for (int i = 0; i < nlin; i++) dn_lin_free(lin[i]);
    sq_free(state);
}

/* ------------------------------------------------------------ the op */

static seqrt_status linear_prepare(void *session, const sq_layer *L, void **out)
{
    dn_session *s = session;
    dn_lin *l = sq_calloc(1, sizeof *l);
    if (!l) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *out = l;
    const sq_weight *W = dn_weight(L, SQ_W_LINEAR), *b = dn_weight(L, SQ_B_LINEAR);
    return dn_lin_prepare(s, l, L->a.in_features, L->a.out_features, W->data, true, b ? b->data : NULL, 0, 0.0f);
}

static seqrt_status linear_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    const dn_lin *l = state;
    const sq_view *x = a->in[SQ_SLOT_X];
    int64_t rows = 1;
    for (int i = 0; i + 1 < x->rank; i++) rows *= x->d[i];
    return dn_lin_run(s, l, rows, sq_vf(x), sq_vf(a->out[SQ_OUT_MAIN]));
}

static void linear_release(void *state)
{
    dn_lin *l = state;
    dn_state_free(l, NULL, NULL, 0, &l, 1);
}

const sq_op_impl dn_linear_impl = DN_OP_ROW(sq_op_supports_all, linear_prepare, linear_run, linear_release);
