/*
 * oneDNN backend: multihead_attention (nn.MultiheadAttention with
 * need_weights=True, average_attn_weights=True).
 *
 *   Q, K, V   three matmuls with the rows of in_proj_weight / in_proj_bias,
 *             prepared at session creation (run-time row count);
 *   S         one batched matmul over [B, heads] of Q_h · K_h^T, read
 *             through strided views of Q and K (no transposes), scaled by
 *             1/sqrt(head_dim) in an eltwise post-op;
 *   P         oneDNN's softmax over the unmasked keys (key padding t < len[b]
 *             and, when causal, t <= i); masked keys get exactly 0, a query
 *             with no key gets zeros (dnnl_common.c);
 *   O         one batched matmul P · V_h written straight into the
 *             [T, B, E] / [B, T, E] layout of the query;
 *   out       the out_proj matmul;
 *   weights   the mean of P over the heads: a reduction primitive.
 * With key padding, the padded rows of V (own buffer) are zeroed so the
 * caller's padding is never read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_common.h"

typedef struct mha_state {
    dn_cache cache;
    dn_buf buf[6];
    dn_lin q, k, v, o;
} mha_state;

static void mha_release(void *state)
{
    mha_state *m = state;
    if (m) dn_state_free(m, &m->cache, m->buf, 6, (dn_lin *const[]){&m->q, &m->k, &m->v, &m->o}, 4);
}

static seqrt_status mha_prepare(void *session, const sq_layer *L, void **out)
{
    dn_session *s = session;
    mha_state *m = sq_calloc(1, sizeof *m);
    if (!m) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *out = m;
    const int64_t E = L->a.embed_dim;
    const sq_weight *Win = dn_weight(L, SQ_W_MHA_IN), *bin = dn_weight(L, SQ_B_MHA_IN);
    const sq_weight *Wout = dn_weight(L, SQ_W_MHA_OUT), *bout = dn_weight(L, SQ_B_MHA_OUT);
    dn_lin *lin[3] = {&m->q, &m->k, &m->v};
    for (int i = 0; i < 3; i++)
        SQ_TRY(dn_lin_prepare(s, lin[i], E, E, Win->data + i * E * E, true, bin ? bin->data + i * E : NULL, 0, 0.0f));
    return dn_lin_prepare(s, &m->o, E, E, Wout->data, true, bout ? bout->data : NULL, 0, 0.0f);
}

/* [B, nh, T, hd] (head_T) or its transpose [B, nh, hd, T] (head_TT) over a
 * [T, B, E] / [B, T, E] buffer. */
static dnnl_memory_desc_t head_view(int64_t B, int64_t nh, int64_t T, int64_t hd, bool bf, bool transposed)
{
    const int64_t E = nh * hd;
    const int64_t sb = bf ? T * E : E, st = bf ? E : B * E;
    return transposed ? dn_md4s(B, nh, hd, T, sb, hd, 1, st) : dn_md4s(B, nh, T, hd, sb, hd, st, 1);
}

static seqrt_status mha_run(void *session, const sq_op_args *args, void *state)
{
    dn_session *s = session;
    mha_state *m = state;
    const sq_layer *L = args->layer;
    const bool bf = args->batch_first;
    const sq_view *query = args->in[SQ_SLOT_QUERY];
    const sq_view *key = args->in[SQ_SLOT_KEYS] ? args->in[SQ_SLOT_KEYS] : query;
    const sq_view *value = args->in[SQ_SLOT_VALUES] ? args->in[SQ_SLOT_VALUES] : query;
    const int32_t *lens = args->in[SQ_SLOT_LENGTHS] ? sq_vi(args->in[SQ_SLOT_LENGTHS]) : NULL;
    sq_view *out = args->out[SQ_OUT_MAIN], *w_out = args->out[SQ_OUT_WEIGHTS];
    const int64_t Tq = sq_seq_T(query, bf), B = sq_seq_B(query, bf), E = query->d[2];
    const int64_t Tk = sq_seq_T(key, bf), nh = L->a.num_heads, hd = E / nh;

    /* projections, rows in storage order */
    const size_t nq = (size_t)(Tq * B * E), nk = (size_t)(Tk * B * E);
    SQ_TRY(dn_buf_reserve(&m->buf[0], sizeof(float) * nq));
    SQ_TRY(dn_buf_reserve(&m->buf[1], sizeof(float) * nk));
    SQ_TRY(dn_buf_reserve(&m->buf[2], sizeof(float) * nk));
    SQ_TRY(dn_buf_reserve(&m->buf[3], sizeof(float) * (size_t)(B * nh * Tq * Tk)));
    float *Q = dn_buf_f(&m->buf[0]), *K = dn_buf_f(&m->buf[1]), *V = dn_buf_f(&m->buf[2]), *S = dn_buf_f(&m->buf[3]);
    SQ_TRY(dn_lin_run(s, &m->q, Tq * B, sq_vf(query), Q));
    SQ_TRY(dn_lin_run(s, &m->k, Tk * B, sq_vf(key), K));
    SQ_TRY(dn_lin_run(s, &m->v, Tk * B, sq_vf(value), V));
    if (dn_lengths_matter(lens, B, Tk))
        for (int64_t b = 0; b < B; b++)
            for (int64_t t = sq_valid_len(lens, b, Tk); t < Tk; t++)
                memset(V + (bf ? b * Tk + t : t * B + b) * E, 0, sizeof(float) * (size_t)E);

    /* scores, [B, nh, Tq, Tk] */
    const dnnl_memory_desc_t mq = head_view(B, nh, Tq, hd, bf, false), mkt = head_view(B, nh, Tk, hd, bf, true);
    int64_t dS[4] = {B, nh, Tq, Tk};
    const dnnl_memory_desc_t mS = dn_md(4, dS, dnnl_f32);
    SQ_TRY(dn_matmul(s, &m->cache, &mq, Q, &mkt, K, NULL, NULL, &mS, S, dnnl_eltwise_linear,
                     (float)(1.0 / sqrt((double)hd)), 0.0f));

    /* masked softmax */
    SQ_TRY(dn_buf_reserve(&m->buf[4], sizeof(int64_t) * (size_t)(B * nh * Tq)));
    int64_t *valid = m->buf[4].p;
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < nh; h++)
            for (int64_t i = 0; i < Tq; i++) {
                int64_t n = sq_valid_len(lens, b, Tk);
                if (L->a.causal && i + 1 < n) n = i + 1;
                valid[(b * nh + h) * Tq + i] = n;
            }
    SQ_TRY(dn_masked_softmax(s, &m->cache, S, B * nh * Tq, Tk, valid));

    /* O = P · V_h, into the query's layout (Q's buffer is free again) */
    const dnnl_memory_desc_t mv = head_view(B, nh, Tk, hd, bf, false);
    SQ_TRY(dn_matmul(s, &m->cache, &mS, S, &mv, V, NULL, NULL, &mq, Q, 0, 0, 0));
    SQ_TRY(dn_lin_run(s, &m->o, Tq * B, Q, sq_vf(out)));

    /* weights averaged over the heads */
    if (w_out && nh == 1) {
        memcpy(sq_vf(w_out), S, sizeof(float) * (size_t)(B * Tq * Tk));
    } else if (w_out) {
        int64_t dW[4] = {B, 1, Tq, Tk};
        const dnnl_memory_desc_t mW = dn_md(4, dW, dnnl_f32);
        struct {
            int kind;
            int64_t B, nh, Tq, Tk;
        } rk = {0x4d45414e, B, nh, Tq, Tk};
        dn_prim *p = dn_cache_find(&m->cache, &rk, sizeof rk);
        if (!p) {
            dnnl_reduction_desc_t d;
            DN_TRY(dnnl_reduction_desc_init(&d, dnnl_reduction_mean, &mS, &mW, 0.0f, 0.0f));
            dnnl_primitive_desc_t pd;
            DN_TRY(dnf_primitive_desc_create(&pd, &d, NULL, dn_engine, NULL));
            SQ_TRY(dn_cache_put(&m->cache, &rk, sizeof rk, pd, &p, "reduction"));
        }
        dn_arg a[2] = {{DNNL_ARG_SRC, &mS, S}, {DNNL_ARG_DST, &mW, sq_vf(w_out)}};
        SQ_TRY(dn_exec(s, p, 2, a));
    }
    return SEQRT_OK;
}

const sq_op_impl dn_mha_impl = DN_OP_ROW(sq_op_supports_all, mha_prepare, mha_run, mha_release);
