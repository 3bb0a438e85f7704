/*
 * multihead_attention: nn.MultiheadAttention(E, num_heads, bias) with
 * need_weights=True, average_attn_weights=True and no dropout. With
 * head_dim = E / num_heads and per head h (columns h*head_dim ...):
 *   Q = query W_q^T + b_q,  K = key W_k^T + b_k,  V = value W_v^T + b_v
 *       (in_proj_weight [3E, E]: rows q, k, v; in_proj_bias [3E])
 *   S_h[i, t] = Q_h[i] . K_h[t] / sqrt(head_dim)
 *   P_h[i, :] = softmax over the unmasked keys: t < len[b] (key padding)
 *               and, when causal, t <= i
 *   O[i] = concat_h (sum_t P_h[i, t] V_h[t]);   out = O W_o^T + b_o
 *   weights[b, i, t] = mean_h P_h[i, t]
 * Every projection, dot product and sum is in double (the projections are
 * kept in double scratch); each stored value is rounded to float once.
 *
 * A query whose keys are all masked gives NaN in PyTorch; here, by the
 * spec's never-NaN rule, its weights are all zero and its attention output
 * before out_proj is zero, so its output is out_proj.bias (or 0).
 */
#include <math.h>

#include "ref_masked_softmax.h"
#include "ref_ops.h"

/* P[b, t, :] = x[t, b] W[rows r0 .. r0+E)^T + bias[r0 ..], for a sequence x
 * of width E in either layout; P is [B, T, E] in double. */
static void project(double *P, const sq_view *x, bool bf, const sq_weight *W,
                    const sq_weight *bias, int64_t r0, int64_t E)
{
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf);
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) {
            const float *xt = sq_vf(x) + sq_seq_off(bf, T, B, t, b, E);
            double *p = P + (b * T + t) * E;
            for (int64_t e = 0; e < E; e++)
                p[e] = ref_dot(W->data + (r0 + e) * E, xt, E) +
                       (bias ? (double)bias->data[r0 + e] : 0.0);
        }
}

seqrt_status ref_multihead_attention(const sq_op_args *args)
{
    const sq_layer *L = args->layer;
    const bool bf = args->batch_first;
    const sq_view *query = args->in[SQ_SLOT_QUERY];
    const sq_view *key = args->in[SQ_SLOT_KEYS] ? args->in[SQ_SLOT_KEYS] : query;
    const sq_view *value = args->in[SQ_SLOT_VALUES] ? args->in[SQ_SLOT_VALUES] : query;
    const int32_t *lens = args->in[SQ_SLOT_LENGTHS] ? sq_vi(args->in[SQ_SLOT_LENGTHS]) : NULL;
    sq_view *out = args->out[SQ_OUT_MAIN];
    sq_view *w_out = args->out[SQ_OUT_WEIGHTS]; /* may be NULL */
    const sq_weight *Win = ref_weight_or_null(L, SQ_W_MHA_IN), *bin = ref_weight_or_null(L, SQ_B_MHA_IN);
    const sq_weight *Wout = ref_weight_or_null(L, SQ_W_MHA_OUT);
    const sq_weight *bout = ref_weight_or_null(L, SQ_B_MHA_OUT);

    if (query->rank != 3 || key->rank != 3 || value->rank != 3 || L->a.num_heads <= 0)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': multihead_attention needs sequences",
                        L->name);
    const int64_t Tq = sq_seq_T(query, bf), B = sq_seq_B(query, bf), E = query->d[2];
    const int64_t Tk = sq_seq_T(key, bf);
    const int64_t H = L->a.num_heads, hd = E / H;
    const double scale_div = sqrt((double)hd);

    /* One scratch block: Q [B, Tq, E], K and V [B, Tk, E], the scores and
     * the head-averaged weights [Tk], one output row O [E]. */
    const int64_t nq = B * Tq * E, nk = B * Tk * E;
    double *Q = sq_malloc((size_t)(nq + 2 * nk + 2 * Tk + E) * sizeof(double));
    if (!Q)
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY,
                        "layer '%s': out of memory for multihead_attention scratch", L->name);
    double *K = Q + nq, *V = K + nk, *s = V + nk, *wavg = s + Tk, *O = wavg + Tk;

    project(Q, query, bf, Win, bin, 0, E);
    project(K, key, bf, Win, bin, E, E);
    project(V, value, bf, Win, bin, 2 * E, E);

    for (int64_t b = 0; b < B; b++) {
        const int64_t nkeys = sq_valid_len(lens, b, Tk); /* key padding */
        for (int64_t i = 0; i < Tq; i++) {
            /* Unmasked keys: t < nkeys and, when causal, t <= i (a prefix). */
            int64_t nvalid = nkeys;
            if (L->a.causal && i + 1 < nvalid) nvalid = i + 1;
            const double *qi = Q + (b * Tq + i) * E;

            for (int64_t t = 0; t < Tk; t++) wavg[t] = 0.0;
            for (int64_t e = 0; e < E; e++) O[e] = 0.0;
            for (int64_t h = 0; h < H; h++) {
                const int64_t c0 = h * hd; /* this head's columns */
                for (int64_t t = 0; t < nvalid; t++) {
                    const double *kt = K + (b * Tk + t) * E + c0;
                    double dot = 0.0;
                    for (int64_t d = 0; d < hd; d++) dot += qi[c0 + d] * kt[d];
                    s[t] = dot / scale_div;
                }
                ref_masked_softmax(s, Tk, nvalid);
                for (int64_t t = 0; t < nvalid; t++) {
                    const double *vt = V + (b * Tk + t) * E + c0;
                    for (int64_t d = 0; d < hd; d++) O[c0 + d] += s[t] * vt[d];
                    wavg[t] += s[t];
                }
            }

            /* out_proj: out[i] = W_o O + b_o. */
            float *y = sq_vf(out) + sq_seq_off(bf, Tq, B, i, b, E);
            for (int64_t e = 0; e < E; e++) {
                double acc = bout ? (double)bout->data[e] : 0.0;
                const float *wr = Wout->data + e * E;
                for (int64_t c = 0; c < E; c++) acc += (double)wr[c] * O[c];
                y[e] = (float)acc;
            }
            if (w_out) {
                float *yw = sq_vf(w_out) + (b * Tq + i) * Tk;
                for (int64_t t = 0; t < Tk; t++) yw[t] = (float)(wavg[t] / (double)H);
            }
        }
    }

    sq_free(Q);
    return SEQRT_OK;
}
