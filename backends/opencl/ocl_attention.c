/*
 * attention and attention_pool on the device.
 *
 * attention: scores by CLBlast GEMMs strided-batched over the batch (dot,
 * scaled_dot; general first projects the query, Q W), or, for additive,
 * GEMMs projecting queries and keys then sq_additive_score; the masked
 * softmax kernel; then the context: a strided-batched GEMM of weights and
 * values when no key is masked, else sq_attn_context, which reads only the
 * valid keys' values (as the reference: padding is never read).
 * attention_pool: a GEMM projects every step, sq_pool_score, the masked
 * softmax, and the context the same way.
 */
#include <math.h>
#include <string.h>

#include "ocl_internal.h"
#include "seq.h"

typedef struct att_state {
    cl_mem w[4];
    ocl_buf qp, kp, sc;
} att_state;

static void att_release(void *state)
{
    att_state *a = state;
    if (!a) return;
    for (int i = 0; i < 4; i++) ocl_release_mem(&a->w[i]);
    ocl_buf_release(&a->qp);
    ocl_buf_release(&a->kp);
    ocl_buf_release(&a->sc);
    sq_free(a);
}

static seqrt_status att_prepare(void *s, const sq_layer *L, void **state)
{
    att_state *a = sq_calloc(1, sizeof *a);
    if (!a) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *state = a;
    for (int i = 0; i < 4 && i < L->nw; i++) {
        const sq_weight *w = ocl_weight(L, i);
        seqrt_status st;
        if (w && (st = ocl_upload(s, w->data, (size_t)w->count, &a->w[i], w->name))) return st;
    }
    return SEQRT_OK;
}

/* Batch stride and leading dimension of the [T, W] matrix of batch entry b
 * inside a sequence ([T, B, W] or, batch-first, [B, T, W]) or, when !seq,
 * inside a [B, W] matrix (one row per entry). */
static void layout(bool bf, bool seq, int64_t T, int64_t B, int64_t W, size_t *stride, size_t *ld)
{
    (void)T;
    if (!seq || bf) {
        *stride = (size_t)((seq ? T : 1) * W);
        *ld = (size_t)W;
    } else {
        *stride = (size_t)W;
        *ld = (size_t)(B * W);
    }
}

/* Context of every query: GEMM when nothing is masked, else the kernel. */
static seqrt_status context(ocl_session *s, cl_mem P, cl_mem v, cl_mem out, cl_mem lens, bool bf, bool seq_q,
                            int64_t B, int64_t Tq, int64_t Tk, int64_t Hv)
{
    if (!lens) {
        size_t sv, ldv, so, ldo;
        layout(bf, true, Tk, B, Hv, &sv, &ldv);
        layout(bf, seq_q, Tq, B, Hv, &so, &ldo);
        ocl_gemm g = {
            false, false,      (size_t)Tq, (size_t)Hv, (size_t)Tk,        1.0f, 0.0f, P,        v, out, 0, 0,
            0,     (size_t)Tk, ldv,        ldo,        (size_t)(Tq * Tk), sv,   so,   (size_t)B};
        return ocl_gemm_run(s, &g);
    }
    return OCL_LAUNCH(s, K_sq_attn_context, (size_t)(B * Tq * Hv), (size_t)s->dev->choice.profile.wg, KA_MEM(P),
                      KA_MEM(v), KA_INT(Hv), KA_INT(0), KA_MEM(out), KA_INT(Hv), KA_MEM(lens), KA_INT(1), KA_INT(B),
                      KA_INT(1), KA_INT(Tq), KA_INT(Tk), KA_INT(Hv), KA_INT(bf), KA_INT(seq_q), KA_INT(0));
}

/* x [N, in] W^T -> out [N, outw] (W [outw, in]). */
static seqrt_status project(ocl_session *s, cl_mem x, int64_t N, int64_t in, cl_mem W, int64_t outw, cl_mem out)
{
    ocl_gemm g = {false, true, (size_t)N, (size_t)outw, (size_t)in, 1.0f,         0.0f, x, W, out,
                     0,     0,    0,         (size_t)in,   (size_t)in, (size_t)outw, 0,    0, 0, 1};
    return ocl_gemm_run(s, &g);
}

static seqrt_status run_attention(void *session, const sq_op_args *args, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = args->layer;
    att_state *a = state;
    const bool bf = args->batch_first;
    const sq_view *qs = args->in[SQ_SLOT_QUERY], *ks = args->in[SQ_SLOT_KEYS];
    const sq_view *vs = args->in[SQ_SLOT_VALUES] ? args->in[SQ_SLOT_VALUES] : ks;
    cl_mem q = ocl_mem(qs), k = ocl_mem(ks), v = ocl_mem(vs);
    cl_mem lens = ocl_mem(args->in[SQ_SLOT_LENGTHS]), out = ocl_mem(args->out[SQ_OUT_MAIN]);
    const bool seq_q = qs->rank == 3;
    const int64_t Tk = sq_seq_T(ks, bf), B = sq_seq_B(ks, bf), Hk = ks->d[2], Hv = vs->d[2];
    const int64_t Tq = seq_q ? sq_seq_T(qs, bf) : 1, Hq = qs->d[qs->rank - 1], Nq = Tq * B;
    seqrt_status st;
    if ((st = ocl_check_int(L, B * Tq * Tk, "the number of attention scores")) ||
        (st = ocl_check_int(L, B * Tq * Hv, "the context size")))
        return st;
    cl_mem S = ocl_mem(args->out[SQ_OUT_WEIGHTS]);
    if (!S) {
        if ((st = ocl_buf_reserve(s, &a->sc, (size_t)(B * Tq * Tk) * 4, "attention scores"))) return st;
        S = a->sc.mem;
    }
    if (B * Tq * Tk == 0) return B * Tq * Hv != 0 ? ocl_zero(s, out, 0, (size_t)(B * Tq * Hv)) : SEQRT_OK;
    if (L->a.score == SQ_SCORE_ADDITIVE) {
        const int64_t A = L->w[SQ_W_ADD_Q]->dims[0];
        if ((st = ocl_buf_reserve(s, &a->qp, (size_t)(Nq * A) * 4, "query projections")) ||
            (st = ocl_buf_reserve(s, &a->kp, (size_t)(Tk * B * A) * 4, "key projections")) ||
            (st = project(s, q, Nq, Hq, a->w[SQ_W_ADD_Q], A, a->qp.mem)) ||
            (st = project(s, k, Tk * B, Hk, a->w[SQ_W_ADD_K], A, a->kp.mem)))
            return st;
        st = OCL_LAUNCH(s, K_sq_additive_score, (size_t)(B * Tq * Tk), (size_t)s->dev->choice.profile.wg,
                        KA_MEM(a->qp.mem), KA_MEM(a->kp.mem), KA_MEM(a->w[SQ_B_ADD_K]),
                        KA_INT(a->w[SQ_B_ADD_K] != NULL), KA_MEM(a->w[SQ_W_ADD_V]), KA_MEM(S), KA_INT(B), KA_INT(Tq),
                        KA_INT(Tk), KA_INT(A), KA_INT(bf), KA_INT(seq_q));
    } else {
        cl_mem qsrc = q;
        if (L->a.score == SQ_SCORE_GENERAL) { /* Q W: [Nq, Hq] x [Hq, Hk] */
            if ((st = ocl_buf_reserve(s, &a->qp, (size_t)(Nq * Hk) * 4, "query projections"))) return st;
            ocl_gemm g = {false, false,      (size_t)Nq,         (size_t)Hk, (size_t)Hq, 1.0f,
                             0.0f,  q,          a->w[SQ_W_GENERAL], a->qp.mem,  0,          0,
                             0,     (size_t)Hq, (size_t)Hk,         (size_t)Hk, 0,          0,
                             0,     1};
            if ((st = ocl_gemm_run(s, &g))) return st;
            qsrc = a->qp.mem;
        }
        size_t sq_, ldq, sk, ldk;
        layout(bf, seq_q, Tq, B, Hk, &sq_, &ldq);
        layout(bf, true, Tk, B, Hk, &sk, &ldk);
        const float alpha = L->a.score == SQ_SCORE_SCALED_DOT ? (float)(1.0 / sqrt((double)Hk)) : 1.0f;
        ocl_gemm g = {
            false, true,       (size_t)Tq, (size_t)Tk, (size_t)Hk,        alpha,    0.0f, qsrc, k, S, 0, 0, 0, ldq,
            ldk,   (size_t)Tk, sq_,        sk,         (size_t)(Tq * Tk), (size_t)B};
        st = ocl_gemm_run(s, &g);
    }
    if (st || (st = ocl_masked_softmax(s, S, (size_t)(B * Tq), (int)Tk, (int)Tq, 1, lens, false))) return st;
    return context(s, S, v, out, lens, bf, seq_q, B, Tq, Tk, Hv);
}

static seqrt_status run_attention_pool(void *session, const sq_op_args *args, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = args->layer;
    att_state *a = state;
    const bool bf = args->batch_first;
    const sq_view *xs = args->in[SQ_SLOT_X];
    const int64_t T = sq_seq_T(xs, bf), B = sq_seq_B(xs, bf), F = xs->d[2];
    const int64_t A = L->w[SQ_W_POOL0]->dims[0];
    cl_mem x = ocl_mem(xs), lens = ocl_mem(args->in[SQ_SLOT_LENGTHS]);
    cl_mem out = ocl_mem(args->out[SQ_OUT_MAIN]), S = ocl_mem(args->out[SQ_OUT_WEIGHTS]);
    seqrt_status st;
    if (!S) {
        if ((st = ocl_buf_reserve(s, &a->sc, (size_t)(B * T) * 4, "attention_pool scores"))) return st;
        S = a->sc.mem;
    }
    if (B * T == 0) return B * F != 0 ? ocl_zero(s, out, 0, (size_t)(B * F)) : SEQRT_OK;
    if ((st = ocl_buf_reserve(s, &a->qp, (size_t)(T * B * A) * 4, "attention_pool projections")) ||
        (st = project(s, x, T * B, F, a->w[SQ_W_POOL0], A, a->qp.mem)))
        return st;
    st = OCL_LAUNCH(s, K_sq_pool_score, (size_t)(B * T), (size_t)s->dev->choice.profile.wg, KA_MEM(a->qp.mem),
                    KA_MEM(a->w[SQ_B_POOL0]), KA_INT(a->w[SQ_B_POOL0] != NULL), KA_MEM(a->w[SQ_W_POOL2]),
                    KA_MEM(a->w[SQ_B_POOL2]), KA_INT(a->w[SQ_B_POOL2] != NULL), KA_MEM(S), KA_INT(B), KA_INT(T),
                    KA_INT(A), KA_INT(bf), KA_INT(L->a.activation));
    if (st || (st = ocl_masked_softmax(s, S, (size_t)B, (int)T, 1, 1, lens, false))) return st;
    return context(s, S, x, out, lens, bf, false, B, 1, T, F);
}

const sq_op_impl ocl_attention_impl = {
    .supports = sq_op_supports_all, .prepare = att_prepare, .run = run_attention, .release = att_release};
const sq_op_impl ocl_attention_pool_impl = {
    .supports = sq_op_supports_all, .prepare = att_prepare, .run = run_attention_pool, .release = att_release};
