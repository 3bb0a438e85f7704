/*
 * The fused step kernels (the "step" recurrent path, ocl_step.c): one
 * launch per time step does h W_hh^T and the cell, with no GEMM call in the
 * step loop (the input projection xg of every step stays the layer's one
 * GEMM before it). A work-item owns one hidden unit j of one direction d,
 * for every batch entry: work-groups split the units, so a batch-1 step
 * spreads over every compute unit. The recurrent weights were transposed at
 * session creation, wt = W_hh^T, each gate's units padded with zeros to
 * whole vectors of SQ_VEC (sq_step_w): a work-item owns SQ_VEC consecutive
 * units of one direction and reads them as one vector per gate and k. On
 * GPUs the layout is [K][G][units]: at each k the work-items of a group
 * read consecutive addresses (coalesced); on CPUs (SQ_F_PACKED) each
 * work-item's weights are one contiguous stream (PoCL runs a work-item's
 * vector as SIMD and the work-items of a group one after the other). Entries
 * are taken SQ_STEP_NB at a time (1, 2, 4 or 8 by a compile-time count, so
 * the accumulators stay in registers); the engine rule runs this path for
 * B <= SQ_STEP_NB, any B is correct.
 *
 * h is double-buffered: step s reads ha when s is even (hb when odd) and
 * writes the other, so every argument but s is set once (ocl_step.c).
 * Entries whose sequence has ended copy their h across and write nothing.
 * Every kernel has the same arguments (the ones it does not use are
 * placeholders); the cell math is recurrent.cl's (sq_lstm_unit,
 * sq_gru_unit, the gate functions of gates.cl), shared by every path.
 *
 * Global size: D * Hp / SQ_VEC work-items (H_out for sq_lstm_proj_step).
 * Kernels per step: lstm 1 (2 with a projection: sq_lstm_proj_step
 * computes h = W_hr (o * h(c)) from tmp); gru with linear_before_reset 1,
 * without 2 (sq_gru_reset_step writes r * h to tmp first); rnn 1.
 */
#define SQ_STEP_NB 8

#if SQ_VEC == 1
typedef float sq_vf;
#define SQ_VLOAD(p) (*(p))
#define SQ_VSTORE(v, p) (*(p) = (v))
#elif SQ_VEC == 2
typedef float2 sq_vf;
#define SQ_VLOAD(p) vload2(0, p)
#define SQ_VSTORE(v, p) vstore2(v, 0, p)
#elif SQ_VEC == 4
typedef float4 sq_vf;
#define SQ_VLOAD(p) vload4(0, p)
#define SQ_VSTORE(v, p) vstore4(v, 0, p)
#else
typedef float8 sq_vf;
#define SQ_VLOAD(p) vload8(0, p)
#define SQ_VSTORE(v, p) vstore8(v, 0, p)
#endif

#define SQ_STEP_ARGS                                                                                              \
    __global const float *xg, __global const float *wt, __global const float *wr, __global const float *b_ih,    \
        __global const float *b_hh, __global const float *peep, __global const float *gates,                    \
        __global const int *lens, int has_len, __global float *ha, __global float *hb, __global float *c,       \
        __global float *tmp, __global float *y, int T, int B, int H, int Ho, int D, int bf, int flags, int act,  \
        int s

/* Units padded to whole vectors. */
inline int sq_step_pad(int n) { return (n + SQ_VEC - 1) / SQ_VEC * SQ_VEC; }

/* Layouts of the transposed weights (ocl_step.c writes them), per
 * direction [K][G][pad(units)] rows of k, or with SQ_F_PACKED (CPUs) each
 * work-item's units together, [pad(units) / SQ_VEC][K][G][SQ_VEC], one
 * contiguous stream per work-item. Returns gate q's first vector of the
 * work-item owning units j0.., and in *ldw the distance between k's. */
#define SQ_F_PACKED 256
inline __global const float *sq_step_w(__global const float *wt, int d, int K, int G, int units, int j0, int q,
                                       int flags, int *ldw)
{
    const int up = sq_step_pad(units);
    __global const float *w = wt + (long)d * K * G * up;
    if (flags & SQ_F_PACKED) {
        *ldw = G * SQ_VEC;
        return w + (long)(j0 / SQ_VEC) * K * G * SQ_VEC + q * SQ_VEC;
    }
    *ldw = G * up;
    return w + q * up + j0;
}

/* out[e][u] = sum_k w[k * ldw + u] * v[e * ldv + k] for the n entries of v
 * (u < SQ_VEC): w points at the work-item's first unit of one gate of a
 * transposed weight. NB entries by a compile-time count (rows beyond n
 * repeat the last one, their sums are not used). */
#define SQ_STEP_DOT(NB)                                                                                             \
    inline void sq_step_dot##NB(__global const float *w, int ldw, __global const float *v, int ldv, int K, int n, \
                                float *out)                                                                         \
    {                                                                                                               \
        sq_vf a[NB];                                                                                                \
        for (int e = 0; e < NB; e++) a[e] = (sq_vf)(0.0f);                                                          \
        for (int k = 0; k < K; k++) {                                                                               \
            const sq_vf wk = SQ_VLOAD(w + (long)k * ldw);                                                           \
            for (int e = 0; e < NB; e++) a[e] += wk * v[min(e, n - 1) * ldv + k];                                   \
        }                                                                                                           \
        for (int e = 0; e < NB; e++) SQ_VSTORE(a[e], out + e * SQ_VEC);                                             \
    }
SQ_STEP_DOT(1)
SQ_STEP_DOT(2)
SQ_STEP_DOT(4)
SQ_STEP_DOT(8)

/* out [SQ_STEP_NB][SQ_VEC] (private) */
inline void sq_step_dot(__global const float *w, int ldw, __global const float *v, int ldv, int K, int n, float *out)
{
    if (n == 1) sq_step_dot1(w, ldw, v, ldv, K, n, out);
    else if (n == 2) sq_step_dot2(w, ldw, v, ldv, K, n, out);
    else if (n <= 4) sq_step_dot4(w, ldw, v, ldv, K, n, out);
    else sq_step_dot8(w, ldw, v, ldv, K, n, out);
}

/* Time and sequence row of step s for entry b of direction d; -1 when the
 * entry has finished. */
inline int sq_step_row(int d, int b, int s, int T, int B, int bf, __global const int *lens, int has_len, int flags)
{
    const int len = sq_valid(lens, has_len, b, T);
    if (s >= len) return -1;
    return sq_seq_row(bf, T, B, sq_dir_time(d, flags, s, len), b);
}

/* Pre-activation of gate q of unit j: input part, recurrent part, biases. */
inline float sq_step_pre(__global const float *gx, float rec, __global const float *bi, __global const float *bh,
                         int bias, int k)
{
    float a = gx[k] + rec;
    if (bias) a += bi[k] + bh[k];
    return a;
}

/* Work-item i over D * pad(W) / SQ_VEC: direction *d, first unit *j0;
 * false past the end. */
inline bool sq_step_units(int i, int W, int D, int *d, int *j0)
{
    const int per = sq_step_pad(W) / SQ_VEC;
    if (i >= D * per) return false;
    *d = i / per;
    *j0 = (i - *d * per) * SQ_VEC;
    return true;
}

#define SQ_NBV (SQ_STEP_NB * SQ_VEC)

__kernel void sq_lstm_step(SQ_STEP_ARGS)
{
    int d, j0;
    if (!sq_step_units(get_global_id(0), H, D, &d, &j0)) return;
    const int G = 4 * H, bias = flags & SQ_F_BIAS, proj = flags & SQ_F_PROJ;
    __global const float *src = ((s & 1) ? hb : ha) + (long)d * B * Ho;
    __global float *dst = ((s & 1) ? ha : hb) + (long)d * B * Ho;
    __global const float *bi = b_ih + d * G, *bh = b_hh + d * G;
    __global const float *gt = gates + d * SQ_GT_STRIDE, *p = peep + d * 3 * H;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float acc[4][SQ_NBV];
        for (int q = 0; q < 4; q++) {
            int ldw;
            __global const float *w = sq_step_w(wt, d, Ho, 4, H, j0, q, flags, &ldw);
            sq_step_dot(w, ldw, src + (long)b0 * Ho, Ho, Ho, n, acc[q]);
        }
        for (int e = 0; e < n; e++) {
            const int b = b0 + e, db = d * B + b;
            const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
            __global const float *gx = xg + (long)(row < 0 ? 0 : row) * D * G + d * G;
            for (int u = 0; u < SQ_VEC && j0 + u < H; u++) {
                const int j = j0 + u;
                if (row < 0) {
                    if (!proj) dst[b * Ho + j] = src[b * Ho + j];
                    continue;
                }
                float a[4];
                for (int q = 0; q < 4; q++) a[q] = sq_step_pre(gx, acc[q][e * SQ_VEC + u], bi, bh, bias, q * H + j);
                float ct;
                const float ht = sq_lstm_unit(a[0], a[1], a[2], a[3], c[db * H + j], p, H, j, gt, flags, &ct);
                c[db * H + j] = ct;
                if (proj) {
                    tmp[db * H + j] = ht;
                } else {
                    dst[b * Ho + j] = ht;
                    y[(long)row * D * Ho + d * Ho + j] = ht;
                }
            }
        }
    }
}

/* Projected LSTM, second launch: h = W_hr tmp (wr = W_hr^T [D][H][pad(H_out)]). */
__kernel void sq_lstm_proj_step(SQ_STEP_ARGS)
{
    int d, q0;
    if (!sq_step_units(get_global_id(0), Ho, D, &d, &q0)) return;
    __global const float *src = ((s & 1) ? hb : ha) + (long)d * B * Ho;
    __global float *dst = ((s & 1) ? ha : hb) + (long)d * B * Ho;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float acc[SQ_NBV];
        int ldw;
        __global const float *w = sq_step_w(wr, d, H, 1, Ho, q0, 0, flags, &ldw);
        sq_step_dot(w, ldw, tmp + ((long)d * B + b0) * H, H, H, n, acc);
        for (int e = 0; e < n; e++) {
            const int b = b0 + e;
            const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
            for (int u = 0; u < SQ_VEC && q0 + u < Ho; u++) {
                const int q = q0 + u;
                const float v = row < 0 ? src[b * Ho + q] : acc[e * SQ_VEC + u];
                dst[b * Ho + q] = v;
                if (row >= 0) y[(long)row * D * Ho + d * Ho + q] = v;
            }
        }
    }
}

/* GRU without linear_before_reset, first launch: tmp = r * h. */
__kernel void sq_gru_reset_step(SQ_STEP_ARGS)
{
    int d, j0;
    if (!sq_step_units(get_global_id(0), H, D, &d, &j0)) return;
    const int G = 3 * H;
    __global const float *src = ((s & 1) ? hb : ha) + (long)d * B * H;
    __global const float *bi = b_ih + d * G, *bh = b_hh + d * G;
    __global const float *gt = gates + d * SQ_GT_STRIDE;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float acc[SQ_NBV];
        int ldw;
        __global const float *w = sq_step_w(wt, d, H, 3, H, j0, 0, flags, &ldw);
        sq_step_dot(w, ldw, src + (long)b0 * H, H, H, n, acc);
        for (int e = 0; e < n; e++) {
            const int b = b0 + e;
            const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
            for (int u = 0; u < SQ_VEC && j0 + u < H; u++) {
                const int j = j0 + u;
                float rh = 0.0f;
                if (row >= 0) {
                    const float ar = sq_step_pre(xg + (long)row * D * G + d * G, acc[e * SQ_VEC + u], bi, bh,
                                                 flags & SQ_F_BIAS, j);
                    rh = sq_gate(flags & SQ_F_GATES, gt, 0, ar, SQ_ACT_SIGMOID) * src[b * H + j];
                }
                tmp[(d * B + b) * H + j] = rh;
            }
        }
    }
}

/* GRU: z, n (W_hn h with linear_before_reset, else W_hn (r * h) from tmp)
 * and h' = (1 - z) n + z h. */
__kernel void sq_gru_step(SQ_STEP_ARGS)
{
    int d, j0;
    if (!sq_step_units(get_global_id(0), H, D, &d, &j0)) return;
    const int G = 3 * H, bias = flags & SQ_F_BIAS, lbr = flags & SQ_F_LBR;
    __global const float *src = ((s & 1) ? hb : ha) + (long)d * B * H;
    __global float *dst = ((s & 1) ? ha : hb) + (long)d * B * H;
    __global const float *bi = b_ih + d * G, *bh = b_hh + d * G;
    __global const float *gt = gates + d * SQ_GT_STRIDE;
    __global const float *nv = lbr ? src : tmp + (long)d * B * H;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float ar[SQ_NBV], az[SQ_NBV], an[SQ_NBV];
        int ldw;
        if (lbr) sq_step_dot(sq_step_w(wt, d, H, 3, H, j0, 0, flags, &ldw), ldw, src + (long)b0 * H, H, H, n, ar);
        sq_step_dot(sq_step_w(wt, d, H, 3, H, j0, 1, flags, &ldw), ldw, src + (long)b0 * H, H, H, n, az);
        sq_step_dot(sq_step_w(wt, d, H, 3, H, j0, 2, flags, &ldw), ldw, nv + (long)b0 * H, H, H, n, an);
        for (int e = 0; e < n; e++) {
            const int b = b0 + e;
            const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
            __global const float *gx = xg + (long)(row < 0 ? 0 : row) * D * G + d * G;
            for (int u = 0; u < SQ_VEC && j0 + u < H; u++) {
                const int j = j0 + u, x = e * SQ_VEC + u;
                const float hprev = src[b * H + j];
                if (row < 0) {
                    dst[b * H + j] = hprev;
                    continue;
                }
                const float r = lbr ? sq_step_pre(gx, ar[x], bi, bh, bias, j) : 0.0f; /* read with lbr only */
                const float z = sq_step_pre(gx, az[x], bi, bh, bias, H + j);
                float xn = gx[2 * H + j], hn = an[x];
                if (bias) {
                    xn += bi[2 * H + j];
                    hn += bh[2 * H + j];
                }
                const float hv = sq_gru_unit(r, z, xn, hn, hprev, gt, flags);
                dst[b * H + j] = hv;
                y[(long)row * D * H + d * H + j] = hv;
            }
        }
    }
}

/* Elman RNN: h' = f(xg + h W_hh^T + biases), f the table's or `act`. */
__kernel void sq_rnn_step(SQ_STEP_ARGS)
{
    int d, j0;
    if (!sq_step_units(get_global_id(0), H, D, &d, &j0)) return;
    __global const float *src = ((s & 1) ? hb : ha) + (long)d * B * H;
    __global float *dst = ((s & 1) ? ha : hb) + (long)d * B * H;
    __global const float *bi = b_ih + d * H, *bh = b_hh + d * H;
    __global const float *gt = gates + d * SQ_GT_STRIDE;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float acc[SQ_NBV];
        int ldw;
        __global const float *w = sq_step_w(wt, d, H, 1, H, j0, 0, flags, &ldw);
        sq_step_dot(w, ldw, src + (long)b0 * H, H, H, n, acc);
        for (int e = 0; e < n; e++) {
            const int b = b0 + e;
            const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
            for (int u = 0; u < SQ_VEC && j0 + u < H; u++) {
                const int j = j0 + u;
                if (row < 0) {
                    dst[b * H + j] = src[b * H + j];
                    continue;
                }
                const float a = sq_step_pre(xg + (long)row * D * H + d * H, acc[e * SQ_VEC + u], bi, bh,
                                            flags & SQ_F_BIAS, j);
                const float hv = (flags & SQ_F_GATES) ? sq_gate_tab(gt, 0, a, 1) : sq_act(act, a);
                dst[b * H + j] = hv;
                y[(long)row * D * H + d * H + j] = hv;
            }
        }
    }
}
