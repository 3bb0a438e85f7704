/*
 * Attention kernels. Scores S are [B, heads, Tq, Tk] (heads = 1 for
 * attention and attention_pool); sequences are in the model's layout (row
 * (t, b) of a [T, B, F] or [B, T, F] tensor). Masks are prefixes: key t of
 * query i of batch entry b is valid when t < len[b] and, if causal, t <= i.
 */
inline int sq_nvalid(__global const int *lens, int has_len, int b, int i, int Tk, int causal)
{
    int n = sq_valid(lens, has_len, b, Tk);
    if (causal && i + 1 < n) n = i + 1;
    return n;
}

/* Softmax over the valid keys of each row; masked keys get exactly 0 and a
 * row without valid keys is all zeros (never NaN). */
__kernel void sq_masked_softmax(__global float *sc, int rows, int Tk, int Tq, int heads, __global const int *lens,
                                int has_len, int causal)
{
    int r = get_global_id(0);
    if (r >= rows) return;
    int i = r % Tq, b = r / (heads * Tq);
    int n = sq_nvalid(lens, has_len, b, i, Tk, causal);
    __global float *x = sc + (long)r * Tk;
    if (n > 0) {
        float m = x[0];
        for (int t = 1; t < n; t++) m = sq_max_nan(m, x[t]);
        float s = 0.0f;
        for (int t = 0; t < n; t++) {
            float e = exp(x[t] - m);
            x[t] = e;
            s += e;
        }
        for (int t = 0; t < n; t++) x[t] = x[t] / s;
    }
    for (int t = n; t < Tk; t++) x[t] = 0.0f;
}

/* additive: S[b, i, t] = sum_a v[a] tanh(qp[q(i, b), a] + kp[k(t, b), a] + bk[a]);
 * qp is [Nq, A] (seq_q: rows in the layout, else row b), kp [Nk, A]. */
__kernel void sq_additive_score(__global const float *qp, __global const float *kp, __global const float *bk,
                                int has_bk, __global const float *v, __global float *sc, int B, int Tq, int Tk,
                                int A, int bf, int seq_q)
{
    int idx = get_global_id(0);
    if (idx >= B * Tq * Tk) return;
    int t = idx % Tk, i = (idx / Tk) % Tq, b = idx / (Tk * Tq);
    __global const float *q = qp + (long)(seq_q ? sq_seq_row(bf, Tq, B, i, b) : b) * A;
    __global const float *k = kp + (long)sq_seq_row(bf, Tk, B, t, b) * A;
    float acc = 0.0f;
    for (int a = 0; a < A; a++) acc += v[a] * tanh(q[a] + k[a] + (has_bk ? bk[a] : 0.0f));
    sc[idx] = acc;
}

/* Context of the valid keys only (values at masked positions are never
 * read, as in the reference):
 *   out[o(i, b), h*hd + f] = sum_{t < n} P[b, h, i, t] * v[row(t, b) * v_ld + v_off + h*hd + f]
 * where o(i, b) is the sequence row of query i (seq_q) or b. */
__kernel void sq_attn_context(__global const float *P, __global const float *v, int v_ld, int v_off,
                              __global float *out, int o_ld, __global const int *lens, int has_len, int B,
                              int heads, int Tq, int Tk, int hd, int bf, int seq_q, int causal)
{
    int idx = get_global_id(0);
    int E = heads * hd;
    if (idx >= B * Tq * E) return;
    int col = idx % E, i = (idx / E) % Tq, b = idx / (E * Tq);
    int h = col / hd;
    int n = sq_nvalid(lens, has_len, b, i, Tk, causal);
    __global const float *p = P + ((long)(b * heads + h) * Tq + i) * Tk;
    float acc = 0.0f;
    for (int t = 0; t < n; t++) acc += p[t] * v[(long)sq_seq_row(bf, Tk, B, t, b) * v_ld + v_off + col];
    out[(long)(seq_q ? sq_seq_row(bf, Tq, B, i, b) : b) * o_ld + col] = acc;
}

/* w[b, i, t] = mean over heads of P[b, h, i, t]. */
__kernel void sq_head_average(__global const float *P, __global float *w, int B, int heads, int Tq, int Tk)
{
    int idx = get_global_id(0);
    if (idx >= B * Tq * Tk) return;
    int t = idx % Tk, i = (idx / Tk) % Tq, b = idx / (Tk * Tq);
    float s = 0.0f;
    for (int h = 0; h < heads; h++) s += P[((long)(b * heads + h) * Tq + i) * Tk + t];
    w[idx] = s / (float)heads;
}

/* attention_pool: S[b, t] = b2 + sum_a w2[a] act(pj[row(t, b), a] + b0[a]). */
__kernel void sq_pool_score(__global const float *pj, __global const float *b0, int has_b0, __global const float *w2,
                            __global const float *b2, int has_b2, __global float *sc, int B, int T, int A, int bf,
                            int act)
{
    int idx = get_global_id(0);
    if (idx >= B * T) return;
    int t = idx % T, b = idx / T;
    __global const float *x = pj + (long)sq_seq_row(bf, T, B, t, b) * A;
    float acc = 0.0f;
    for (int a = 0; a < A; a++) acc += w2[a] * sq_act(act, x[a] + (has_b0 ? b0[a] : 0.0f));
    sc[idx] = acc + (has_b2 ? b2[0] : 0.0f);
}
