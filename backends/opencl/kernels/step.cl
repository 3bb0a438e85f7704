/*
 * The fused step kernels (the "step" recurrent path, ocl_step.c): one
 * launch per time step does h W_hh^T and the cell, with no GEMM call in the
 * step loop (the input projection xg of every step stays the layer's one
 * GEMM before it). Two forms share the per-unit functions sq_*_apply below
 * (pre-activations, cell, stores): the units form here (CPUs) and the rows
 * form of step_rows.cl (GPUs; ocl_step_form.c chooses).
 *
 * Units form: a work-item owns one hidden unit j of one direction d,
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

/* The arguments of SQ_STEP_ARGS, to hand them on to the per-unit
 * functions below (shared by both forms of the step kernels). */
#define SQ_STEP_PASS xg, wt, wr, b_ih, b_hh, peep, gates, lens, has_len, ha, hb, c, tmp, y, T, B, H, Ho, D, bf, flags, act, s

/* h of step s (read) and of step s + 1 (written) of direction d. */
#define SQ_STEP_SRC(W) (((s & 1) ? hb : ha) + (long)d * B * (W))
#define SQ_STEP_DST(W) (((s & 1) ? ha : hb) + (long)d * B * (W))

/* What one unit of one entry does with the recurrent parts of its gates
 * (r*: h W_hh^T of each gate, without biases), for both forms of the step
 * kernels: the pre-activations, the cell (recurrent.cl's sq_lstm_unit,
 * sq_gru_unit, the gate functions of gates.cl) and the stores. An entry
 * whose sequence has ended copies its h across and writes nothing. */

/* LSTM unit j of entry b, direction d: c (read from c, written to cout:
 * the same buffer in the step kernels, the other of two in the grid
 * kernel), and h (or o * h(c) into tmp when projected). */
inline void sq_lstm_apply(SQ_STEP_ARGS, __global float *cout, int d, int b, int j, float ri, float rf, float rg,
                          float ro)
{
    const int G = 4 * H, db = d * B + b, bias = flags & SQ_F_BIAS, proj = flags & SQ_F_PROJ;
    const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
    if (row < 0) {
        cout[db * H + j] = c[db * H + j];
        if (!proj) SQ_STEP_DST(Ho)[b * Ho + j] = SQ_STEP_SRC(Ho)[b * Ho + j];
        return;
    }
    __global const float *gx = xg + (long)row * D * G + d * G, *bi = b_ih + d * G, *bh = b_hh + d * G;
    float ct;
    const float ht = sq_lstm_unit(sq_step_pre(gx, ri, bi, bh, bias, j), sq_step_pre(gx, rf, bi, bh, bias, H + j),
                                  sq_step_pre(gx, rg, bi, bh, bias, 2 * H + j),
                                  sq_step_pre(gx, ro, bi, bh, bias, 3 * H + j), c[db * H + j], peep + d * 3 * H, H, j,
                                  gates + d * SQ_GT_STRIDE, flags, &ct);
    cout[db * H + j] = ct;
    if (proj) {
        tmp[db * H + j] = ht;
    } else {
        SQ_STEP_DST(Ho)[b * Ho + j] = ht;
        y[(long)row * D * Ho + d * Ho + j] = ht;
    }
}

/* Projected LSTM, output q: h = (W_hr tmp)[q] = v. */
inline void sq_proj_apply(SQ_STEP_ARGS, int d, int b, int q, float v)
{
    const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
    SQ_STEP_DST(Ho)[b * Ho + q] = row < 0 ? SQ_STEP_SRC(Ho)[b * Ho + q] : v;
    if (row >= 0) y[(long)row * D * Ho + d * Ho + q] = v;
}

/* GRU without linear_before_reset: tmp = r * h (0 for an ended entry). */
inline void sq_gru_reset_apply(SQ_STEP_ARGS, int d, int b, int j, float rr)
{
    const int G = 3 * H;
    const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
    float rh = 0.0f;
    if (row >= 0) {
        const float ar = sq_step_pre(xg + (long)row * D * G + d * G, rr, b_ih + d * G, b_hh + d * G,
                                     flags & SQ_F_BIAS, j);
        rh = sq_gate(flags & SQ_F_GATES, gates + d * SQ_GT_STRIDE, 0, ar, SQ_ACT_SIGMOID) * SQ_STEP_SRC(H)[b * H + j];
    }
    tmp[(d * B + b) * H + j] = rh;
}

/* GRU: z, n (rn: W_hn h with linear_before_reset, else W_hn (r * h)) and
 * h' = (1 - z) n + z h; rr is read with linear_before_reset only. */
inline void sq_gru_apply(SQ_STEP_ARGS, int d, int b, int j, float rr, float rz, float rn)
{
    const int G = 3 * H, bias = flags & SQ_F_BIAS;
    const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
    const float hprev = SQ_STEP_SRC(H)[b * H + j];
    if (row < 0) {
        SQ_STEP_DST(H)[b * H + j] = hprev;
        return;
    }
    __global const float *gx = xg + (long)row * D * G + d * G, *bi = b_ih + d * G, *bh = b_hh + d * G;
    const float r = (flags & SQ_F_LBR) ? sq_step_pre(gx, rr, bi, bh, bias, j) : 0.0f;
    const float z = sq_step_pre(gx, rz, bi, bh, bias, H + j);
    float xn = gx[2 * H + j], hn = rn;
    if (bias) {
        xn += bi[2 * H + j];
        hn += bh[2 * H + j];
    }
    const float hv = sq_gru_unit(r, z, xn, hn, hprev, gates + d * SQ_GT_STRIDE, flags);
    SQ_STEP_DST(H)[b * H + j] = hv;
    y[(long)row * D * H + d * H + j] = hv;
}

/* Elman RNN: h' = f(xg + h W_hh^T + biases), f the table's or `act`. */
inline void sq_rnn_apply(SQ_STEP_ARGS, int d, int b, int j, float rec)
{
    const int row = sq_step_row(d, b, s, T, B, bf, lens, has_len, flags);
    if (row < 0) {
        SQ_STEP_DST(H)[b * H + j] = SQ_STEP_SRC(H)[b * H + j];
        return;
    }
    const float a =
        sq_step_pre(xg + (long)row * D * H + d * H, rec, b_ih + d * H, b_hh + d * H, flags & SQ_F_BIAS, j);
    const float hv = (flags & SQ_F_GATES) ? sq_gate_tab(gates + d * SQ_GT_STRIDE, 0, a, 1) : sq_act(act, a);
    SQ_STEP_DST(H)[b * H + j] = hv;
    y[(long)row * D * H + d * H + j] = hv;
}

/* ---- the units form: a work-item per SQ_VEC units, a serial loop over K */

#define SQ_NBV (SQ_STEP_NB * SQ_VEC)

/* For each block of SQ_STEP_NB entries: the recurrent parts of the gates
 * (acc[q][e * SQ_VEC + u]), then the unit function for every entry and unit
 * of the work-item. */
__kernel void sq_lstm_step(SQ_STEP_ARGS)
{
    int d, j0;
    if (!sq_step_units(get_global_id(0), H, D, &d, &j0)) return;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float acc[4][SQ_NBV];
        for (int q = 0; q < 4; q++) {
            int ldw;
            __global const float *w = sq_step_w(wt, d, Ho, 4, H, j0, q, flags, &ldw);
            sq_step_dot(w, ldw, SQ_STEP_SRC(Ho) + (long)b0 * Ho, Ho, Ho, n, acc[q]);
        }
        for (int e = 0; e < n; e++)
            for (int u = 0; u < SQ_VEC && j0 + u < H; u++) {
                const int x = e * SQ_VEC + u;
                sq_lstm_apply(SQ_STEP_PASS, c, d, b0 + e, j0 + u, acc[0][x], acc[1][x], acc[2][x], acc[3][x]);
            }
    }
}

/* Projected LSTM, second launch: h = W_hr tmp (wr = W_hr^T [D][H][pad(H_out)]). */
__kernel void sq_lstm_proj_step(SQ_STEP_ARGS)
{
    int d, q0;
    if (!sq_step_units(get_global_id(0), Ho, D, &d, &q0)) return;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float acc[SQ_NBV];
        int ldw;
        __global const float *w = sq_step_w(wr, d, H, 1, Ho, q0, 0, flags, &ldw);
        sq_step_dot(w, ldw, tmp + ((long)d * B + b0) * H, H, H, n, acc);
        for (int e = 0; e < n; e++)
            for (int u = 0; u < SQ_VEC && q0 + u < Ho; u++)
                sq_proj_apply(SQ_STEP_PASS, d, b0 + e, q0 + u, acc[e * SQ_VEC + u]);
    }
}

/* GRU without linear_before_reset, first launch: tmp = r * h. */
__kernel void sq_gru_reset_step(SQ_STEP_ARGS)
{
    int d, j0;
    if (!sq_step_units(get_global_id(0), H, D, &d, &j0)) return;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float acc[SQ_NBV];
        int ldw;
        __global const float *w = sq_step_w(wt, d, H, 3, H, j0, 0, flags, &ldw);
        sq_step_dot(w, ldw, SQ_STEP_SRC(H) + (long)b0 * H, H, H, n, acc);
        for (int e = 0; e < n; e++)
            for (int u = 0; u < SQ_VEC && j0 + u < H; u++)
                sq_gru_reset_apply(SQ_STEP_PASS, d, b0 + e, j0 + u, acc[e * SQ_VEC + u]);
    }
}

/* GRU: z, n (W_hn h with linear_before_reset, else W_hn (r * h) from tmp)
 * and h' = (1 - z) n + z h. */
__kernel void sq_gru_step(SQ_STEP_ARGS)
{
    int d, j0;
    if (!sq_step_units(get_global_id(0), H, D, &d, &j0)) return;
    const int lbr = flags & SQ_F_LBR;
    __global const float *src = SQ_STEP_SRC(H), *nv = lbr ? src : tmp + (long)d * B * H;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float ar[SQ_NBV], az[SQ_NBV], an[SQ_NBV];
        int ldw;
        if (lbr) sq_step_dot(sq_step_w(wt, d, H, 3, H, j0, 0, flags, &ldw), ldw, src + (long)b0 * H, H, H, n, ar);
        sq_step_dot(sq_step_w(wt, d, H, 3, H, j0, 1, flags, &ldw), ldw, src + (long)b0 * H, H, H, n, az);
        sq_step_dot(sq_step_w(wt, d, H, 3, H, j0, 2, flags, &ldw), ldw, nv + (long)b0 * H, H, H, n, an);
        for (int e = 0; e < n; e++)
            for (int u = 0; u < SQ_VEC && j0 + u < H; u++) {
                const int x = e * SQ_VEC + u;
                sq_gru_apply(SQ_STEP_PASS, d, b0 + e, j0 + u, lbr ? ar[x] : 0.0f, az[x], an[x]);
            }
    }
}

/* Elman RNN. */
__kernel void sq_rnn_step(SQ_STEP_ARGS)
{
    int d, j0;
    if (!sq_step_units(get_global_id(0), H, D, &d, &j0)) return;
    for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {
        const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;
        float acc[SQ_NBV];
        int ldw;
        __global const float *w = sq_step_w(wt, d, H, 1, H, j0, 0, flags, &ldw);
        sq_step_dot(w, ldw, SQ_STEP_SRC(H) + (long)b0 * H, H, H, n, acc);
        for (int e = 0; e < n; e++)
            for (int u = 0; u < SQ_VEC && j0 + u < H; u++)
                sq_rnn_apply(SQ_STEP_PASS, d, b0 + e, j0 + u, acc[e * SQ_VEC + u]);
    }
}
