/*
 * attention: for each query q (a [B, Hq] query, or each step of a sequence
 * query) over the keys k_t and values v_t of the same batch entry:
 *   score_t = q . k_t                            (dot)
 *           = q . k_t / sqrt(Hk)                 (scaled_dot)
 *           = q . (W k_t),  W [Hq, Hk]           (general)
 *           = v . tanh(W_q q + W_k k_t + b_k)    (additive, A = attention_size)
 *   w = softmax(score) over the valid keys t < len[b]; padded keys get 0;
 *   a row with no valid key gets all-zero weights and a zero context.
 *   context = sum_t w_t v_t
 * Every sum is in double; each stored value is rounded to float once.
 */
#include <math.h>

#include "ref_masked_softmax.h"
#include "ref_ops.h"

seqrt_status ref_attention(const sq_op_args *args)
{
    const sq_layer *L = args->layer;
    const bool bf = args->batch_first;
    const sq_view *q = args->in[SQ_SLOT_QUERY];
    const sq_view *k = args->in[SQ_SLOT_KEYS];
    const sq_view *v = args->in[SQ_SLOT_VALUES] ? args->in[SQ_SLOT_VALUES] : k;
    const int32_t *lens = args->in[SQ_SLOT_LENGTHS] ? sq_vi(args->in[SQ_SLOT_LENGTHS]) : NULL;
    sq_view *ctx_out = args->out[SQ_OUT_MAIN];
    sq_view *w_out = args->out[SQ_OUT_WEIGHTS]; /* may be NULL */
    const int score = L->a.score;

    const bool seq_q = q->rank == 3; /* else a [B, Hq] query */
    const int64_t Tk = sq_seq_T(k, bf), B = sq_seq_B(k, bf), Hk = k->d[2], Hv = v->d[2];
    const int64_t Tq = seq_q ? sq_seq_T(q, bf) : 1, Hq = q->d[q->rank - 1];

    const sq_weight *Wg = score == SQ_SCORE_GENERAL ? ref_weight_or_null(L, SQ_W_GENERAL) : NULL;
    const sq_weight *Wq = NULL, *Wk = NULL, *bk = NULL, *Wv = NULL;
    int64_t A = 0;
    if (score == SQ_SCORE_ADDITIVE) {
        Wq = ref_weight_or_null(L, SQ_W_ADD_Q);
        Wk = ref_weight_or_null(L, SQ_W_ADD_K);
        bk = ref_weight_or_null(L, SQ_B_ADD_K); /* optional */
        Wv = ref_weight_or_null(L, SQ_W_ADD_V);
        A = Wq->dims[0];
    }

    /* Scratch, all double: scores [Tk], context [Hv], the per-query vector
     * (general: W^T q [Hk]; additive: W_q q [A]) and, for additive, the key
     * projections W_k k_t + b_k of every (b, t): [B, Tk, A]. */
    const int64_t nqvec = score == SQ_SCORE_GENERAL ? Hk : A;
    const int64_t nkproj = B * Tk * A;
    double *s = sq_malloc((size_t)Tk * sizeof(double));
    double *ctx = sq_malloc((size_t)Hv * sizeof(double));
    double *qvec = sq_malloc((size_t)nqvec * sizeof(double));
    double *kproj = sq_malloc((size_t)nkproj * sizeof(double));
    if (!s || !ctx || !qvec || !kproj) {
        sq_free(s);
        sq_free(ctx);
        sq_free(qvec);
        sq_free(kproj);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "layer '%s': out of memory for attention scratch",
                        L->name);
    }

    const float *qv = sq_vf(q), *kv = sq_vf(k), *vv = sq_vf(v);
    if (score == SQ_SCORE_ADDITIVE) {
        for (int64_t b = 0; b < B; b++)
            for (int64_t t = 0; t < Tk; t++) {
                const float *kt = kv + sq_seq_off(bf, Tk, B, t, b, Hk);
                double *kp = kproj + (b * Tk + t) * A;
                for (int64_t a = 0; a < A; a++)
                    kp[a] = ref_dot(Wk->data + a * Hk, kt, Hk) + (bk ? bk->data[a] : 0.0);
            }
    }

    for (int64_t b = 0; b < B; b++) {
        const int64_t nvalid = sq_valid_len(lens, b, Tk);
        for (int64_t i = 0; i < Tq; i++) {
            const float *qi = seq_q ? qv + sq_seq_off(bf, Tq, B, i, b, Hq) : qv + b * Hq;

            /* The part of the score that depends on the query only. */
            if (score == SQ_SCORE_GENERAL) {
                for (int64_t j = 0; j < Hk; j++) /* (W^T q)_j = sum_r q_r W[r, j] */
                    qvec[j] = ref_dot_strided(qi, 1, Wg->data + j, Hk, Hq);
            } else if (score == SQ_SCORE_ADDITIVE) {
                for (int64_t a = 0; a < A; a++) qvec[a] = ref_dot(Wq->data + a * Hq, qi, Hq);
            }

            for (int64_t t = 0; t < nvalid; t++) {
                const float *kt = kv + sq_seq_off(bf, Tk, B, t, b, Hk);
                double sc = 0.0;
                switch (score) {
                case SQ_SCORE_DOT: sc = ref_dot(qi, kt, Hk); break;
                case SQ_SCORE_SCALED_DOT: sc = ref_dot(qi, kt, Hk) / sqrt((double)Hk); break;
                case SQ_SCORE_GENERAL:
                    for (int64_t j = 0; j < Hk; j++) sc += qvec[j] * (double)kt[j];
                    break;
                case SQ_SCORE_ADDITIVE: {
                    const double *kp = kproj + (b * Tk + t) * A;
                    for (int64_t a = 0; a < A; a++)
                        sc += (double)Wv->data[a] * tanh(qvec[a] + kp[a]);
                    break;
                }
                }
                s[t] = sc;
            }
            ref_masked_softmax(s, Tk, nvalid);

            for (int64_t f = 0; f < Hv; f++) ctx[f] = 0.0;
            for (int64_t t = 0; t < nvalid; t++) { /* padded values are never read */
                const float *vt = vv + sq_seq_off(bf, Tk, B, t, b, Hv);
                for (int64_t f = 0; f < Hv; f++) ctx[f] += s[t] * (double)vt[f];
            }

            float *yc = sq_vf(ctx_out) + (seq_q ? sq_seq_off(bf, Tq, B, i, b, Hv) : b * Hv);
            for (int64_t f = 0; f < Hv; f++) yc[f] = (float)ctx[f];
            if (w_out) {
                float *yw = sq_vf(w_out) + (b * Tq + i) * Tk; /* [B, Tk] or [B, Tq, Tk] */
                for (int64_t t = 0; t < Tk; t++) yw[t] = (float)s[t];
            }
        }
    }

    sq_free(s);
    sq_free(ctx);
    sq_free(qvec);
    sq_free(kproj);
    return SEQRT_OK;
}
