/*
 * multihead_attention (nn.MultiheadAttention, need_weights, averaged) on
 * the device:
 *
 *   Q, K, V = query W_q^T + b_q, ...   three CLBlast GEMMs + bias kernels;
 *                                      rows stay in the model's layout
 *   S[b, h] = Q_bh K_bh^T / sqrt(hd)   strided-batched GEMM over (b, h)
 *   masked softmax                     key padding and causal masks
 *   weights = mean over heads          sq_head_average
 *   O[b, h] = S[b, h] V_bh             strided-batched GEMM when nothing is masked,
 *                                      else sq_attn_context (valid keys only)
 *   out = O W_o^T + b_o                GEMM + bias
 *
 * The (b, h) blocks of every operand sit at b * sb + h * sh (heads_gemm):
 * in the [T, B, E] layout sb = H * sh for all of them, so the (b, h) pairs
 * are one strided batch of B * H; batch-first, one strided batch per
 * batch entry (over heads) or per head (over entries), whichever is fewer
 * calls. No per-call offset arrays (CLBlastSgemmBatched).
 */
#include <math.h>

#include "ocl_internal.h"
#include "seq.h"

typedef struct mha_state {
    cl_mem w_in, b_in[3], w_out, b_out;
    ocl_buf qkv[3], sc, o;
} mha_state;

static void mha_release(void *state)
{
    mha_state *m = state;
    if (!m) return;
    ocl_release_mem(&m->w_in);
    ocl_release_mem(&m->w_out);
    ocl_release_mem(&m->b_out);
    for (int i = 0; i < 3; i++) {
        ocl_release_mem(&m->b_in[i]);
        ocl_buf_release(&m->qkv[i]);
    }
    ocl_buf_release(&m->sc);
    ocl_buf_release(&m->o);
    sq_free(m);
}

static seqrt_status mha_prepare(void *s, const sq_layer *L, void **state)
{
    mha_state *m = sq_calloc(1, sizeof *m);
    if (!m) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *state = m;
    const size_t E = (size_t)L->a.embed_dim;
    const sq_weight *w_in = ocl_weight(L, SQ_W_MHA_IN), *b_in = ocl_weight(L, SQ_B_MHA_IN);
    const sq_weight *w_out = ocl_weight(L, SQ_W_MHA_OUT), *b_out = ocl_weight(L, SQ_B_MHA_OUT);
    seqrt_status st;
    if ((st = ocl_upload(s, w_in->data, 3 * E * E, &m->w_in, w_in->name)) ||
        (st = ocl_upload(s, w_out->data, E * E, &m->w_out, w_out->name)))
        return st;
    for (int i = 0; b_in && i < 3; i++)
        if ((st = ocl_upload(s, b_in->data + (size_t)i * E, E, &m->b_in[i], b_in->name))) return st;
    if (b_out && (st = ocl_upload(s, b_out->data, E, &m->b_out, b_out->name))) return st;
    return SEQRT_OK;
}

/* out [N, E] = x [N, E] W^T (+ bias), W at row `row0` of `w`. */
static seqrt_status linear(ocl_session *s, cl_mem x, int64_t N, int64_t E, cl_mem w, size_t row0, cl_mem bias,
                           cl_mem out)
{
    ocl_gemm g = {false, true,      (size_t)N, (size_t)E, (size_t)E, 1.0f, 0.0f, x, w, out, 0, row0 * (size_t)E,
                     0,     (size_t)E, (size_t)E, (size_t)E, 0,         0,    0,    1};
    seqrt_status st = ocl_gemm_run(s, &g);
    if (st || !bias) return st;
    return OCL_LAUNCH(s, K_sq_add_bias, (size_t)(N * E), (size_t)s->dev->choice.profile.wg, KA_MEM(out), KA_MEM(bias),
                      KA_INT(N), KA_INT(E));
}

/* Where the (b, h) block of an operand starts: b * sb + h * sh. */
typedef struct mha_blocks {
    cl_mem mem;
    size_t sb, sh, ld;
} mha_blocks;

/* C_bh = alpha * A_bh op(B_bh) for every (b, h) of B x H, as strided
 * batches (see the header). */
static seqrt_status heads_gemm(ocl_session *s, bool tb, size_t m, size_t n, size_t k, float alpha, mha_blocks a,
                               mha_blocks b, mha_blocks c, size_t B, size_t H)
{
    const bool flat = a.sb == H * a.sh && b.sb == H * b.sh && c.sb == H * c.sh;
    /* flat: one batch of B * H at stride sh; else loop over the outer index */
    const bool over_heads = flat || B <= H;
    const size_t calls = flat ? 1 : (over_heads ? B : H), batch = flat ? B * H : (over_heads ? H : B);
    for (size_t i = 0; i < calls; i++) {
        const size_t oa = over_heads ? i * a.sb : i * a.sh, ob = over_heads ? i * b.sb : i * b.sh;
        const size_t oc = over_heads ? i * c.sb : i * c.sh;
        ocl_gemm g = {false, tb, m, n, k, alpha, 0.0f, a.mem, b.mem, c.mem, oa, ob, oc, a.ld, b.ld, c.ld,
                      over_heads ? a.sh : a.sb, over_heads ? b.sh : b.sb, over_heads ? c.sh : c.sb, batch};
        seqrt_status st = ocl_gemm_run(s, &g);
        if (st) return st;
    }
    return SEQRT_OK;
}

static seqrt_status run_mha(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    mha_state *m = state;
    const bool bf = a->batch_first;
    const sq_view *qs = a->in[SQ_SLOT_QUERY];
    const sq_view *ks = a->in[SQ_SLOT_KEYS] ? a->in[SQ_SLOT_KEYS] : qs;
    const sq_view *vs = a->in[SQ_SLOT_VALUES] ? a->in[SQ_SLOT_VALUES] : qs;
    const int64_t Tq = sq_seq_T(qs, bf), B = sq_seq_B(qs, bf), E = qs->d[2], Tk = sq_seq_T(ks, bf);
    const int64_t H = L->a.num_heads, hd = E / H;
    cl_mem src[3] = {ocl_mem(qs), ocl_mem(ks), ocl_mem(vs)};
    const int64_t rows[3] = {Tq * B, Tk * B, Tk * B};
    cl_mem lens = ocl_mem(a->in[SQ_SLOT_LENGTHS]), out = ocl_mem(a->out[SQ_OUT_MAIN]);
    cl_mem wout = ocl_mem(a->out[SQ_OUT_WEIGHTS]);
    const bool causal = L->a.causal, masked = lens || causal;
    seqrt_status st;
    if ((st = ocl_check_int(L, B * H * Tq * Tk, "the number of attention scores"))) return st;
    for (int i = 0; i < 3; i++)
        if ((st = ocl_buf_reserve(s, &m->qkv[i], (size_t)(rows[i] * E) * 4, "projections")) ||
            (st = linear(s, src[i], rows[i], E, m->w_in, (size_t)i * (size_t)E, m->b_in[i], m->qkv[i].mem)))
            return st;
    const size_t nb = (size_t)(B * H);
    if ((st = ocl_buf_reserve(s, &m->sc, nb * (size_t)(Tq * Tk) * 4, "scores")) ||
        (st = ocl_buf_reserve(s, &m->o, (size_t)(Tq * B * E) * 4, "attention outputs")))
        return st;
    /* (b, h) blocks: of Q, K, V and O in the model's layout ([T, B, E] or
     * [B, T, E], rows of E, head h at column h * hd), of the scores [B, H,
     * Tq, Tk] */
    const size_t ld = (size_t)(bf ? E : B * E), shd = (size_t)hd;
    const mha_blocks q = {m->qkv[0].mem, (size_t)(bf ? Tq * E : E), shd, ld};
    const mha_blocks k = {m->qkv[1].mem, (size_t)(bf ? Tk * E : E), shd, ld};
    const mha_blocks v = {m->qkv[2].mem, k.sb, shd, ld};
    const mha_blocks o = {m->o.mem, q.sb, shd, ld};
    const mha_blocks sc = {m->sc.mem, (size_t)(H * Tq * Tk), (size_t)(Tq * Tk), (size_t)Tk};
    if (Tq * Tk > 0) {
        const float alpha = (float)(1.0 / sqrt((double)hd));
        if ((st = heads_gemm(s, true, (size_t)Tq, (size_t)Tk, shd, alpha, q, k, sc, (size_t)B, (size_t)H)) ||
            (st = ocl_masked_softmax(s, m->sc.mem, nb * (size_t)Tq, (int)Tk, (int)Tq, (int)H, lens, causal)))
            return st;
        if (wout && (st = OCL_LAUNCH(s, K_sq_head_average, (size_t)(B * Tq * Tk), (size_t)s->dev->choice.profile.wg,
                                     KA_MEM(m->sc.mem), KA_MEM(wout), KA_INT(B), KA_INT(H), KA_INT(Tq), KA_INT(Tk))))
            return st;
    }
    if (!masked && Tk > 0) {
        st = heads_gemm(s, false, (size_t)Tq, shd, (size_t)Tk, 1.0f, sc, v, o, (size_t)B, (size_t)H);
    } else {
        st = OCL_LAUNCH(s, K_sq_attn_context, (size_t)(B * Tq * E), (size_t)s->dev->choice.profile.wg,
                        KA_MEM(m->sc.mem), KA_MEM(m->qkv[2].mem), KA_INT(E), KA_INT(0), KA_MEM(m->o.mem), KA_INT(E),
                        KA_MEM(lens), KA_INT(lens != NULL), KA_INT(B), KA_INT(H), KA_INT(Tq), KA_INT(Tk), KA_INT(hd),
                        KA_INT(bf), KA_INT(1), KA_INT(causal));
    }
    if (st) return st;
    return linear(s, m->o.mem, Tq * B, E, m->w_out, 0, m->b_out, out);
}

const sq_op_impl ocl_multihead_attention_impl = {
    .supports = sq_op_supports_all, .prepare = mha_prepare, .run = run_mha, .release = mha_release};
