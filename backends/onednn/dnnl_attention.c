/*
 * oneDNN backend: attention (dot, scaled_dot, general, additive) and
 * attention_pool.
 *
 * attention: the scores of every (b, query, key) are one batched matmul
 * Q · K^T over strided views of the caller's tensors (scaled_dot: an
 * eltwise post-op scales them; general: Q is first mapped by W, a matmul
 * prepared at session creation; additive: W_q q and W_k k + b_k are two
 * prepared matmuls, then per query step a binary add with a tanh post-op
 * and a matmul with v). The masked softmax is oneDNN's softmax over rows
 * whose padded keys are -inf, then exactly 0 (dnnl_common.c); the context
 * is the batched matmul weights · V. When lengths are given, V is read
 * from a copy whose padded steps are zeros, so padding is never read.
 *
 * attention_pool: scores = projection.2(act(projection.0(x))) as two
 * prepared matmuls and an eltwise primitive between them, the masked
 * softmax, and the pooled output as the batched matmul weights · x.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_common.h"

typedef struct att_state {
    dn_cache cache;
    dn_buf buf[6];
    dn_lin l0, l1; /* general: l0 = W; additive: l0 = W_q, l1 = W_k (+ b_k); pool: projection.0, .2 */
    const float *v; /* additive: v.weight [A] */
    int64_t A;
} att_state;

static void att_release(void *state)
{
    att_state *a = state;
    if (a) dn_state_free(a, &a->cache, a->buf, 6, (dn_lin *const[]){&a->l0, &a->l1}, 2);
}

/* attention_pool's activation as an eltwise algorithm (its supports
 * refuses any value dn_act_alg does not map). */
static dnnl_alg_kind_t act_alg(int act)
{
    dnnl_alg_kind_t alg = dnnl_eltwise_relu;
    dn_act_alg(act, &alg);
    return alg;
}

static seqrt_status att_prepare(void *session, const sq_layer *L, void **out)
{
    dn_session *s = session;
    att_state *a = sq_calloc(1, sizeof *a);
    if (!a) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *out = a;
    const seqrt_model *m = s->m;
    if (L->op == SQ_OP_ATTENTION_POOL) {
        const sq_weight *W0 = dn_weight(L, SQ_W_POOL0), *b0 = dn_weight(L, SQ_B_POOL0);
        const sq_weight *W2 = dn_weight(L, SQ_W_POOL2), *b2 = dn_weight(L, SQ_B_POOL2);
        a->A = W0->dims[0];
        /* the activation runs apart (not as a post-op): NaN must go through it */
        SQ_TRY(dn_lin_prepare(s, &a->l0, W0->dims[1], a->A, W0->data, true, b0 ? b0->data : NULL, 0, 0.0f));
        return dn_lin_prepare(s, &a->l1, a->A, 1, W2->data, true, b2 ? b2->data : NULL, 0, 0.0f);
    }
    const int64_t Hq = m->values[L->in[SQ_SLOT_QUERY]].dims[m->values[L->in[SQ_SLOT_QUERY]].rank - 1];
    if (L->a.score == SQ_SCORE_GENERAL) {
        const sq_weight *W = dn_weight(L, SQ_W_GENERAL); /* [Hq, Hk]: q^T W k */
        return dn_lin_prepare(s, &a->l0, W->dims[0], W->dims[1], W->data, false, NULL, 0, 0.0f);
    }
    if (L->a.score == SQ_SCORE_ADDITIVE) {
        const sq_weight *Wq = dn_weight(L, SQ_W_ADD_Q), *Wk = dn_weight(L, SQ_W_ADD_K);
        const sq_weight *bk = dn_weight(L, SQ_B_ADD_K), *Wv = dn_weight(L, SQ_W_ADD_V);
        a->A = Wq->dims[0];
        a->v = Wv->data;
        SQ_TRY(dn_lin_prepare(s, &a->l0, Hq, a->A, Wq->data, true, NULL, 0, 0.0f));
        return dn_lin_prepare(s, &a->l1, Wk->dims[1], a->A, Wk->data, true, bk ? bk->data : NULL, 0, 0.0f);
    }
    return SEQRT_OK;
}

/* A [B, Tq, F] view of the query-shaped tensor `v` (rank 2 [B, F] or a
 * sequence) whose last axis is F. */
static dnnl_memory_desc_t q_view(const sq_view *v, bool bf, int64_t F)
{
    if (v->rank == 2) return dn_md3s(v->d[0], 1, F, F, F, 1);
    const int64_t T = sq_seq_T(v, bf), B = sq_seq_B(v, bf);
    return bf ? dn_md3s(B, T, F, T * F, F, 1) : dn_md3s(B, T, F, F, B * F, 1);
}

/* Rows of a tensor in storage order (every axis but the last). */
static int64_t rows_of(const sq_view *v)
{
    int64_t r = 1;
    for (int i = 0; i + 1 < v->rank; i++) r *= v->d[i];
    return r;
}

static seqrt_status attention_run(void *session, const sq_op_args *args, void *state)
{
    dn_session *s = session;
    att_state *st = state;
    const sq_layer *L = args->layer;
    const bool bf = args->batch_first;
    const sq_view *q = args->in[SQ_SLOT_QUERY], *k = args->in[SQ_SLOT_KEYS];
    const sq_view *v = args->in[SQ_SLOT_VALUES] ? args->in[SQ_SLOT_VALUES] : k;
    const int32_t *lens = args->in[SQ_SLOT_LENGTHS] ? sq_vi(args->in[SQ_SLOT_LENGTHS]) : NULL;
    sq_view *ctx = args->out[SQ_OUT_MAIN], *w_out = args->out[SQ_OUT_WEIGHTS];
    const int64_t Tk = sq_seq_T(k, bf), B = sq_seq_B(k, bf), Hk = k->d[2], Hv = v->d[2];
    const int64_t Tq = q->rank == 3 ? sq_seq_T(q, bf) : 1, Hq = q->d[q->rank - 1];
    const int score = L->a.score;

    /* scores S [B, Tq, Tk]: the weights output itself when there is one */
    float *S = w_out ? sq_vf(w_out) : NULL;
    if (!S) {
        SQ_TRY(dn_buf_reserve(&st->buf[0], sizeof(float) * (size_t)(B * Tq * Tk)));
        S = dn_buf_f(&st->buf[0]);
    }
    dnnl_memory_desc_t mS = dn_md3(B, Tq, Tk);
    const dnnl_memory_desc_t mk = dn_seq_as_btf(k, bf);
    /* K^T [B, Hk, Tk] over the same storage */
    const dnnl_memory_desc_t mkt = dn_md3s(B, Hk, Tk, mk.format_desc.blocking.strides[0], 1,
                                           mk.format_desc.blocking.strides[1]);
    if (score == SQ_SCORE_DOT || score == SQ_SCORE_SCALED_DOT) {
        const dnnl_memory_desc_t mq = q_view(q, bf, Hq);
        const float scale = score == SQ_SCORE_SCALED_DOT ? (float)(1.0 / sqrt((double)Hk)) : 1.0f;
        SQ_TRY(dn_matmul(s, &st->cache, &mq, q->data, &mkt, k->data, NULL, NULL, &mS, S,
                         scale != 1.0f ? dnnl_eltwise_linear : 0, scale, 0.0f));
    } else if (score == SQ_SCORE_GENERAL) {
        /* Qw = q^T W, then S = Qw · K^T */
        const int64_t rows = rows_of(q);
        SQ_TRY(dn_buf_reserve(&st->buf[1], sizeof(float) * (size_t)(rows * Hk)));
        float *qw = dn_buf_f(&st->buf[1]);
        SQ_TRY(dn_lin_run(s, &st->l0, rows, sq_vf(q), qw));
        const dnnl_memory_desc_t mq = q_view(q, bf, Hk);
        SQ_TRY(dn_matmul(s, &st->cache, &mq, qw, &mkt, k->data, NULL, NULL, &mS, S, 0, 0, 0));
    } else {
        /* additive: S[b, i, t] = v · tanh(W_q q_i + W_k k_t + b_k) */
        const int64_t A = st->A, rq = rows_of(q), rk = rows_of(k);
        SQ_TRY(dn_buf_reserve(&st->buf[1], sizeof(float) * (size_t)(rq * A)));
        SQ_TRY(dn_buf_reserve(&st->buf[2], sizeof(float) * (size_t)(rk * A)));
        SQ_TRY(dn_buf_reserve(&st->buf[3], sizeof(float) * (size_t)(B * Tk * A)));
        float *pq = dn_buf_f(&st->buf[1]), *pk = dn_buf_f(&st->buf[2]), *e = dn_buf_f(&st->buf[3]);
        SQ_TRY(dn_lin_run(s, &st->l0, rq, sq_vf(q), pq));
        SQ_TRY(dn_lin_run(s, &st->l1, rk, sq_vf(k), pk));
        const dnnl_memory_desc_t mpk = dn_seq_as_btf(k, bf);
        const dnnl_memory_desc_t mpk_a = dn_md3s(B, Tk, A, mpk.format_desc.blocking.strides[0] / Hk * A,
                                                 mpk.format_desc.blocking.strides[1] / Hk * A, 1);
        const dnnl_memory_desc_t mpq = q_view(q, bf, A);
        const int64_t sqb = mpq.format_desc.blocking.strides[0], sqt = mpq.format_desc.blocking.strides[1];
        const dnnl_memory_desc_t mpqi = dn_md3s(B, 1, A, sqb, A, 1), me = dn_md3(B, Tk, A);
        const dnnl_memory_desc_t mv = dn_md3s(1, A, 1, A, 1, 1), msi = dn_md3s(B, Tk, 1, Tq * Tk, 1, 1);
        struct {
            int kind;
            dnnl_memory_desc_t a, b, c;
        } key;
        memset(&key, 0, sizeof key);
        key.kind = 0x41444454;
        key.a = mpk_a;
        key.b = mpqi;
        key.c = me;
        dn_prim *add = dn_cache_find(&st->cache, &key, sizeof key);
        if (!add) {
            dnnl_binary_desc_t d;
            DN_TRY(dnnl_binary_desc_init(&d, dnnl_binary_add, &mpk_a, &mpqi, &me));
            dnnl_primitive_desc_t pd;
            SQ_TRY(dn_pd_create(&pd, &d, dnnl_eltwise_tanh, 0.0f, 0.0f, false, "binary add"));
            SQ_TRY(dn_cache_put(&st->cache, &key, sizeof key, pd, &add, "binary add"));
        }
        /* per query step: e = tanh(W_k k + b_k + W_q q_i), S_i = e · v; the
         * primitives and their memory objects are made once for all steps */
        dn_prim *mm;
        SQ_TRY(dn_matmul_prim(&st->cache, &me, &mv, NULL, &msi, 0, 0.0f, 0.0f, &mm));
        dn_arg ba[3] = {{DNNL_ARG_SRC_0, &mpk_a, pk}, {DNNL_ARG_SRC_1, &mpqi, pq}, {DNNL_ARG_DST, &me, e}};
        dn_arg ma[3] = {{DNNL_ARG_SRC, &me, e}, {DNNL_ARG_WEIGHTS, &mv, (void *)st->v}, {DNNL_ARG_DST, &msi, S}};
        dn_bound badd, bmm;
        SQ_TRY(dn_bound_init(&badd, add, 3, ba));
        seqrt_status rs = dn_bound_init(&bmm, mm, 3, ma);
        for (int64_t i = 0; i < Tq && !rs; i++) {
            void *pa[3] = {pk, pq + i * sqt, e}, *pm[3] = {e, (void *)st->v, S + i * Tk};
            rs = dn_bound_run(s, &badd, pa);
            if (!rs) rs = dn_bound_run(s, &bmm, pm);
        }
        dn_bound_free(&badd);
        dn_bound_free(&bmm);
        SQ_TRY(rs);
    }

    /* weights: the masked softmax over the keys */
    SQ_TRY(dn_buf_reserve(&st->buf[4], sizeof(int64_t) * (size_t)(B * Tq)));
    int64_t *valid = st->buf[4].p;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < Tq; i++) valid[b * Tq + i] = sq_valid_len(lens, b, Tk);
    SQ_TRY(dn_masked_softmax(s, &st->cache, S, B * Tq, Tk, valid));

    /* context = weights · V */
    dnnl_memory_desc_t mv;
    const float *vs;
    SQ_TRY(dn_seq_btf_valid(s, &st->cache, v, bf, lens, &st->buf[5], &mv, &vs));
    const dnnl_memory_desc_t mc = q_view(ctx, bf, Hv);
    return dn_matmul(s, &st->cache, &mS, S, &mv, vs, NULL, NULL, &mc, sq_vf(ctx), 0, 0, 0);
}

static seqrt_status attention_pool_run(void *session, const sq_op_args *args, void *state)
{
    dn_session *s = session;
    att_state *st = state;
    const bool bf = args->batch_first;
    const sq_view *x = args->in[SQ_SLOT_X];
    const int32_t *lens = args->in[SQ_SLOT_LENGTHS] ? sq_vi(args->in[SQ_SLOT_LENGTHS]) : NULL;
    sq_view *out = args->out[SQ_OUT_MAIN], *w_out = args->out[SQ_OUT_WEIGHTS];
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), F = x->d[2], rows = T * B;

    /* scores of every step, in x's storage order */
    SQ_TRY(dn_buf_reserve(&st->buf[0], sizeof(float) * (size_t)(rows * st->A)));
    SQ_TRY(dn_buf_reserve(&st->buf[1], sizeof(float) * (size_t)rows));
    float *hid = dn_buf_f(&st->buf[0]);
    SQ_TRY(dn_lin_run(s, &st->l0, rows, sq_vf(x), hid));
    SQ_TRY(dn_buf_reserve(&st->buf[5], sizeof(float) * (size_t)(rows * st->A)));
    float *act = dn_buf_f(&st->buf[5]);
    SQ_TRY(dn_eltwise(s, &st->cache, act_alg(args->layer->a.activation), 0.0f, 0.0f, hid, act, rows * st->A));
    dn_keep_nan(hid, act, rows * st->A);
    SQ_TRY(dn_lin_run(s, &st->l1, rows, act, dn_buf_f(&st->buf[1])));
    /* as [B, T] */
    float *S = w_out ? sq_vf(w_out) : NULL;
    if (!S) {
        SQ_TRY(dn_buf_reserve(&st->buf[2], sizeof(float) * (size_t)rows));
        S = dn_buf_f(&st->buf[2]);
    }
    const dnnl_memory_desc_t from = bf ? dn_md2(B, T) : dn_md2s(B, T, 1, B), to = dn_md2(B, T);
    SQ_TRY(dn_reorder(s, &st->cache, &from, dn_buf_f(&st->buf[1]), &to, S));
    SQ_TRY(dn_buf_reserve(&st->buf[3], sizeof(int64_t) * (size_t)B));
    int64_t *valid = st->buf[3].p;
    for (int64_t b = 0; b < B; b++) valid[b] = sq_valid_len(lens, b, T);
    SQ_TRY(dn_masked_softmax(s, &st->cache, S, B, T, valid));
    /* out[b] = sum_t w[b, t] x[t, b] */
    dnnl_memory_desc_t mx;
    const float *xs;
    SQ_TRY(dn_seq_btf_valid(s, &st->cache, x, bf, lens, &st->buf[4], &mx, &xs));
    const dnnl_memory_desc_t mw = dn_md3(B, 1, T), my = dn_md3(B, 1, F);
    return dn_matmul(s, &st->cache, &mw, S, &mx, xs, NULL, NULL, &my, sq_vf(out), 0, 0, 0);
}

/* attention_pool's activation: the four functions act_alg maps (it would
 * take any other value for relu, so that is refused here). */
static bool attention_pool_supports(const seqrt_device *dev, const seqrt_model *model, const sq_layer *L,
                                    char *why, size_t why_size)
{
    (void)dev;
    (void)model;
    return dn_act_supported(L->a.activation, "activation", why, why_size);
}

const sq_op_impl dn_attention_impl = DN_OP_ROW(sq_op_supports_all, att_prepare, attention_run, att_release);
const sq_op_impl dn_attention_pool_impl = DN_OP_ROW(attention_pool_supports, att_prepare, attention_pool_run,
                                                    att_release);
