/*
 * oneDNN backend: the data-movement and pooling ops.
 *
 *  - embedding: rows of the table gathered by id (oneDNN 2.6 has no gather
 *    primitive; it is one memcpy per id, spread over threads);
 *  - one_hot: zeros and a 1 per id (memory writes only);
 *  - concat: oneDNN's concat primitive over [outer, d_k, inner] views, f32
 *    or s32;
 *  - select: a reorder from the strided slice to a dense tensor;
 *  - last_step: one row copy per batch entry (the row at len[b] - 1);
 *  - mean_pool: a batched matmul [B, 1, T] x [B, T, F] with weights 1/len[b]
 *    on the valid steps (and over a copy whose padded steps are zeros when
 *    lengths are given, so padding is never read).
 */
#include <stdlib.h>
#include <string.h>

#include "dnnl_common.h"

static seqrt_status embedding_run(void *session, const sq_op_args *a, void *state)
{
    (void)session;
    (void)state;
    const sq_view *ids = a->in[SQ_SLOT_X];
    const sq_weight *w = a->layer->w[SQ_W_EMBEDDING];
    const int64_t V = w->dims[0], E = w->dims[1], n = sq_view_count(ids);
    const int32_t *id = sq_vi(ids);
    float *y = sq_vf(a->out[SQ_OUT_MAIN]);
    for (int64_t i = 0; i < n; i++) /* validated by the core; never read outside */
        if (id[i] < 0 || id[i] >= V)
            return sq_error(SEQRT_ERR_RANGE, "layer '%s': id %d outside [0, %lld)", a->layer->name, id[i],
                            (long long)V);
#pragma omp parallel for schedule(static) if (n * E >= 65536)
    for (int64_t i = 0; i < n; i++) memcpy(y + i * E, w->data + (int64_t)id[i] * E, sizeof(float) * (size_t)E);
    return SEQRT_OK;
}

static seqrt_status one_hot_run(void *session, const sq_op_args *a, void *state)
{
    (void)session;
    (void)state;
    const sq_view *ids = a->in[SQ_SLOT_X];
    sq_view *out = a->out[SQ_OUT_MAIN];
    const int64_t depth = out->d[out->rank - 1], n = sq_view_count(ids);
    const int32_t *id = sq_vi(ids);
    float *y = sq_vf(out);
    memset(y, 0, sizeof(float) * (size_t)(n * depth));
    for (int64_t i = 0; i < n; i++) {
        if (id[i] < 0 || id[i] >= depth)
            return sq_error(SEQRT_ERR_RANGE, "layer '%s': index %d outside [0, %lld)", a->layer->name, id[i],
                            (long long)depth);
        y[i * depth + id[i]] = 1.0f;
    }
    return SEQRT_OK;
}

static dnnl_data_type_t dt_of(const sq_view *v) { return v->dtype == SEQRT_I32 ? dnnl_s32 : dnnl_f32; }

static seqrt_status concat_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    dn_simple *st = state;
    const sq_layer *L = a->layer;
    sq_view *out = a->out[SQ_OUT_MAIN];
    const int rank = out->rank;
    int64_t outer, inner;
    int axis;
    SQ_TRY(dn_axis_of(L, rank, out->d, &axis, &outer, NULL, &inner));
    const int n = a->nlist;
    if (outer * inner == 0) return SEQRT_OK;
    /* key: data type, outer, inner and each input's extent */
    const size_t nkey = sizeof(int64_t) * (size_t)(n + 4);
    int64_t *key = sq_malloc(nkey);
    dnnl_memory_desc_t *mds = sq_malloc(sizeof *mds * (size_t)n);
    dn_arg *args = sq_malloc(sizeof *args * (size_t)(n + 1));
    seqrt_status ret = SEQRT_OK;
    if (!key || !mds || !args) {
        ret = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    const dnnl_data_type_t dt = dt_of(a->list[0]);
    key[0] = 0x434f4e43;
    key[1] = dt;
    key[2] = outer;
    key[3] = inner;
    for (int k = 0; k < n; k++) {
        int64_t d[3] = {outer, a->list[k]->d[axis], inner};
        key[4 + k] = d[1];
        mds[k] = dn_md(3, d, dt);
        args[k] = (dn_arg){DNNL_ARG_MULTIPLE_SRC + k, &mds[k], a->list[k]->data};
    }
    int64_t dd[3] = {outer, out->d[axis], inner};
    dnnl_memory_desc_t dst = dn_md(3, dd, dt);
    args[n] = (dn_arg){DNNL_ARG_DST, &dst, out->data};
    dn_prim *p = dn_cache_find(&st->cache, key, nkey);
    if (!p) {
        dnnl_primitive_desc_t pd;
        dnnl_status_t ds = dn_user_concat_pd_create(&pd, &dst, n, 1, mds, dn_engine);
        if (ds != dnnl_success) {
            ret = dn_fail(ds, "concat");
            goto done;
        }
        if ((ret = dn_cache_put(&st->cache, key, nkey, pd, &p, "concat"))) goto done;
    }
    if (n + 1 <= 16) {
        ret = dn_exec(s, p, n + 1, args);
    } else { /* more inputs than dn_exec's argument array: execute directly */
        dnnl_exec_arg_t *ea = sq_calloc((size_t)(n + 2), sizeof *ea);
        int made = 0;
        if (!ea) ret = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        for (; !ret && made < n + 1; made++) {
            ea[made].arg = args[made].arg;
            if ((ret = dn_mem(&ea[made].memory, args[made].md, args[made].ptr))) break;
        }
        if (!ret && !(ret = dn_scratch_arg(s, p->pd, &ea[n + 1])) && ea[n + 1].memory) made++;
        if (!ret) {
            dnnl_status_t ds = dnf_primitive_execute(p->p, s->stream, made, ea);
            if (ds != dnnl_success) ret = dn_fail(ds, "concat");
        }
        for (int i = 0; ea && i < made; i++) dnnl_memory_destroy(ea[i].memory);
        sq_free(ea);
    }
done:
    sq_free(key);
    sq_free(mds);
    sq_free(args);
    return ret;
}

static seqrt_status select_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    dn_simple *st = state;
    const sq_layer *L = a->layer;
    const sq_view *x = a->in[SQ_SLOT_X];
    int64_t outer, n, inner;
    SQ_TRY(dn_axis_of(L, x->rank, x->d, NULL, &outer, &n, &inner));
    int64_t index = L->a.index < 0 ? L->a.index + n : L->a.index;
    if (index < 0 || index >= n)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': index %lld out of range", L->name, (long long)L->a.index);
    if (outer * inner == 0) return SEQRT_OK;
    /* the slice [outer, inner] of x seen as [outer, n, inner] */
    int64_t d[2] = {outer, inner}, sx[2] = {n * inner, 1};
    const dnnl_data_type_t dt = dt_of(x);
    dnnl_memory_desc_t from = dn_md_strided(2, d, sx, dt), to = dn_md(2, d, dt);
    const char *base = (const char *)x->data + (size_t)(index * inner) * 4;
    return dn_reorder(s, &st->cache, &from, base, &to, a->out[SQ_OUT_MAIN]->data);
}

static seqrt_status last_step_run(void *session, const sq_op_args *a, void *state)
{
    (void)session;
    (void)state;
    const bool bf = a->batch_first;
    const sq_view *x = a->in[SQ_SLOT_X];
    const int32_t *lens = a->in[SQ_SLOT_LENGTHS] ? sq_vi(a->in[SQ_SLOT_LENGTHS]) : NULL;
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), F = x->d[2];
    float *y = sq_vf(a->out[SQ_OUT_MAIN]);
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = sq_valid_len(lens, b, T);
        if (len == 0) memset(y + b * F, 0, sizeof(float) * (size_t)F);
        else
            memcpy(y + b * F, sq_vf(x) + (bf ? b * T + len - 1 : (len - 1) * B + b) * F, sizeof(float) * (size_t)F);
    }
    return SEQRT_OK;
}

static seqrt_status mean_pool_run(void *session, const sq_op_args *a, void *state)
{
    const bool bf = a->batch_first;
    const sq_view *x = a->in[SQ_SLOT_X];
    const int32_t *lens = a->in[SQ_SLOT_LENGTHS] ? sq_vi(a->in[SQ_SLOT_LENGTHS]) : NULL;
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), F = x->d[2];
    dn_session *s = session;
    dn_simple *st = state;
    /* w [B, 1, T]: 1/len[b] on the valid steps */
    SQ_TRY(dn_buf_reserve(&st->buf[0], sizeof(float) * (size_t)(B * T)));
    float *w = dn_buf_f(&st->buf[0]);
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = sq_valid_len(lens, b, T);
        for (int64_t t = 0; t < T; t++) w[b * T + t] = t < len ? 1.0f / (float)len : 0.0f;
    }
    dnnl_memory_desc_t mx;
    const float *xs;
    SQ_TRY(dn_seq_btf_valid(s, &st->cache, x, bf, lens, &st->buf[1], &mx, &xs));
    dnnl_memory_desc_t mw = dn_md3(B, 1, T), my = dn_md3(B, 1, F);
    return dn_matmul(s, &st->cache, &mw, w, &mx, xs, NULL, NULL, &my, sq_vf(a->out[SQ_OUT_MAIN]), 0, 0, 0);
}

const sq_op_impl dn_embedding_impl = DN_OP_ROW(sq_op_supports_all, NULL, embedding_run, NULL);
const sq_op_impl dn_one_hot_impl = DN_OP_ROW(sq_op_supports_all, NULL, one_hot_run, NULL);
const sq_op_impl dn_concat_impl = DN_SIMPLE_ROW(sq_op_supports_all, concat_run);
const sq_op_impl dn_select_impl = DN_SIMPLE_ROW(sq_op_supports_all, select_run);
const sq_op_impl dn_last_step_impl = DN_OP_ROW(sq_op_supports_all, NULL, last_step_run, NULL);
const sq_op_impl dn_mean_pool_impl = DN_SIMPLE_ROW(sq_op_supports_all, mean_pool_run);
