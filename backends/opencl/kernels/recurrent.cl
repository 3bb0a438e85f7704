/*
 * Recurrent layers, one time step per launch (the per-step path), and the
 * cell math the persistent kernel (persistent.cl) shares. Before the steps,
 * one GEMM per layer gave xg = x W_ih^T for every step and both
 * directions: row (t, b), columns [d][gate][j]. Each step, a GEMM gives
 * hg = h_{t-1} W_hh^T per direction ([D, B, G*H]); these kernels add the
 * biases and apply the gate math of the spec to every (d, b, j).
 *
 * Step s runs time t = s in a forward direction and t = len[b] - 1 - s in a
 * reversed one (direction 1, or direction 0 with SQ_F_REV0: a `direction:
 * "reverse"` layer); batch entries with s >= len[b] keep their state and
 * write nothing (their output rows were zeroed before the steps). State:
 * h [D, B, H_out], c [D, B, H]. Gate functions: gates.cl (`gates` is the
 * layer's gate table, read only with SQ_F_GATES).
 *
 * flags: 1 coupled, 2 projected, 4 bias, 8 peephole, 16 linear_before_reset,
 * 32 gate table, 64 direction 0 reversed, 128 input_forget.
 */
#define SQ_F_COUPLED 1
#define SQ_F_PROJ 2
#define SQ_F_BIAS 4
#define SQ_F_PEEP 8
#define SQ_F_LBR 16
#define SQ_F_GATES 32
#define SQ_F_REV0 64
#define SQ_F_IFORGET 128

/* Time index of step s of direction d for an entry of len valid steps. */
inline int sq_dir_time(int d, int flags, int s, int len)
{
    return (d == 1 || (flags & SQ_F_REV0)) ? len - 1 - s : s;
}

/* Work-item i of a step kernel over D*B*W (W: H or H_out; the kernel
 * returns for i >= D*B*W, whose fields are not meaningful): direction d,
 * batch entry b, unit j, time t (-1 when the entry has finished), row the
 * sequence row of (t, b), db = d * B + b, and xo / ho the offsets of the
 * direction's G*H gate columns in xg (row `row`) and in hg (row db). */
typedef struct sq_item {
    int i, d, b, j, t, row, db;
    long xo, ho;
} sq_item;
inline sq_item sq_step_item(int i, int W, int G, int D, int B, int T, int s, int bf, __global const int *lens,
                            int has_len, int flags)
{
    sq_item it;
    it.i = i;
    it.j = i % W;
    it.db = i / W;
    it.b = it.db % B;
    it.d = it.db / B;
    int len = sq_valid(lens, has_len, it.b, T);
    it.t = s >= len ? -1 : sq_dir_time(it.d, flags, s, len);
    it.row = it.t < 0 ? 0 : sq_seq_row(bf, T, B, it.t, it.b);
    it.xo = (long)it.row * D * G + it.d * G;
    it.ho = (long)it.db * G;
    return it;
}

/* Pre-activation of gate q of unit j: the x and h parts (gx, gh: the
 * direction's gate columns), plus both biases when the layer has them. */
inline float sq_preact(__global const float *gx, __global const float *gh, __global const float *bi,
                       __global const float *bh, int bias, int q, int H, int j)
{
    const int k = q * H + j;
    float a = gx[k] + gh[k];
    if (bias) a += bi[k] + bh[k];
    return a;
}

/* LSTM unit j: a* the pre-activations i, f, g, o (biases added), cp =
 * c_{t-1}, p the direction's peepholes [3, H] (read with SQ_F_PEEP), gt its
 * gate table. Stores c_t in *ct and returns o * h(c_t). */
inline float sq_lstm_unit(float ai, float af, float ag, float ao, float cp, __global const float *p, int H, int j,
                          __global const float *gt, int flags, float *ct)
{
    const int gates = flags & SQ_F_GATES, peep = flags & SQ_F_PEEP;
    const float pi = peep ? p[j] * cp : 0.0f, pf = peep ? p[H + j] * cp : 0.0f;
    float f, ig;
    if (flags & SQ_F_IFORGET) {
        ig = sq_gate(gates, gt, 0, ai + pi, SQ_ACT_SIGMOID);
        f = 1.0f - ig;
    } else {
        f = sq_gate(gates, gt, 0, af + pf, SQ_ACT_SIGMOID);
        ig = (flags & SQ_F_COUPLED) ? 1.0f - f : sq_gate(gates, gt, 0, ai + pi, SQ_ACT_SIGMOID);
    }
    const float c = f * cp + ig * sq_gate(gates, gt, 1, ag, SQ_ACT_TANH);
    const float o = sq_gate(gates, gt, 0, ao + (peep ? p[2 * H + j] * c : 0.0f), SQ_ACT_SIGMOID);
    *ct = c;
    return o * (gates ? sq_gate_tab(gt, 2, c, 0) : tanh(c));
}

/* GRU unit: h' = (1 - z) n + z h from the pre-activations of r and z, the
 * input part xn and the recurrent part hn of n (with linear_before_reset
 * hn = W_hn h + b_hn and n = g(xn + r hn), else n = g(xn + hn) and ar is
 * not read). */
inline float sq_gru_unit(float ar, float az, float xn, float hn, float hprev, __global const float *gt, int flags)
{
    const int gates = flags & SQ_F_GATES;
    const float z = sq_gate(gates, gt, 0, az, SQ_ACT_SIGMOID);
    const float a = (flags & SQ_F_LBR) ? xn + sq_gate(gates, gt, 0, ar, SQ_ACT_SIGMOID) * hn : xn + hn;
    const float n = sq_gate(gates, gt, 1, a, SQ_ACT_TANH);
    return (1.0f - z) * n + z * hprev;
}

__kernel void sq_lstm_cell(__global const float *xg, __global const float *hg, __global const float *b_ih,
                           __global const float *b_hh, __global const float *peep, __global const float *gates,
                           __global const int *lens, int has_len, __global float *h, __global float *c,
                           __global float *htmp, __global float *y, int s, int T, int B, int H, int Ho, int D, int bf,
                           int flags)
{
    const int G = 4 * H;
    sq_item it = sq_step_item(get_global_id(0), H, G, D, B, T, s, bf, lens, has_len, flags);
    if (it.i >= D * B * H || it.t < 0) return;
    const int d = it.d, j = it.j, db = it.db, bias = flags & SQ_F_BIAS;
    float a[4];
    for (int q = 0; q < 4; q++) a[q] = sq_preact(xg + it.xo, hg + it.ho, b_ih + d * G, b_hh + d * G, bias, q, H, j);
    float ct;
    float ht = sq_lstm_unit(a[0], a[1], a[2], a[3], c[db * H + j], peep + d * 3 * H, H, j,
                            gates + d * SQ_GT_STRIDE, flags, &ct);
    c[db * H + j] = ct;
    if (flags & SQ_F_PROJ) {
        htmp[db * H + j] = ht;
    } else {
        h[db * Ho + j] = ht;
        y[(long)it.row * D * Ho + d * Ho + j] = ht;
    }
}

/* Projected LSTM: h = hp (= W_hr (o * h(c)), a GEMM) for the entries that ran. */
__kernel void sq_rec_commit(__global const float *hp, __global const int *lens, int has_len, __global float *h,
                            __global float *y, int s, int T, int B, int Ho, int D, int bf, int flags)
{
    int i = get_global_id(0);
    if (i >= D * B * Ho) return;
    sq_item it = sq_step_item(i, Ho, 0, D, B, T, s, bf, lens, has_len, flags);
    if (it.t < 0) return;
    float v = hp[i];
    h[i] = v;
    y[(long)it.row * D * Ho + it.d * Ho + it.j] = v;
}

/* GRU without linear_before_reset, first half: rh = r * h (then a GEMM
 * gives W_hn (r * h) into the n block of hg). */
__kernel void sq_gru_reset(__global const float *xg, __global const float *hg, __global const float *b_ih,
                           __global const float *b_hh, __global const float *gates, __global const int *lens,
                           int has_len, __global const float *h, __global float *rh, int s, int T, int B, int H, int D,
                           int bf, int flags)
{
    int i = get_global_id(0), G = 3 * H;
    if (i >= D * B * H) return;
    sq_item it = sq_step_item(i, H, G, D, B, T, s, bf, lens, has_len, flags);
    if (it.t < 0) {
        rh[i] = 0.0f;
        return;
    }
    const int d = it.d, j = it.j;
    float ar = xg[it.xo + j] + hg[it.ho + j];
    if (flags & SQ_F_BIAS) ar += b_ih[d * G + j] + b_hh[d * G + j];
    rh[i] = sq_gate(flags & SQ_F_GATES, gates + d * SQ_GT_STRIDE, 0, ar, SQ_ACT_SIGMOID) * h[i];
}

/* GRU: r, z, n and h' = (1 - z) n + z h. With linear_before_reset the n
 * block of hg is W_hn h, else W_hn (r * h) (from sq_gru_reset + GEMM). */
__kernel void sq_gru_cell(__global const float *xg, __global const float *hg, __global const float *b_ih,
                          __global const float *b_hh, __global const float *gates, __global const int *lens,
                          int has_len, __global float *h, __global float *y, int s, int T, int B, int H, int D, int bf,
                          int flags)
{
    const int G = 3 * H;
    sq_item it = sq_step_item(get_global_id(0), H, G, D, B, T, s, bf, lens, has_len, flags);
    if (it.i >= D * B * H || it.t < 0) return;
    const int d = it.d, j = it.j, db = it.db, bias = flags & SQ_F_BIAS;
    __global const float *gx = xg + it.xo, *gh = hg + it.ho, *bi = b_ih + d * G, *bh = b_hh + d * G;
    float ar = sq_preact(gx, gh, bi, bh, bias, 0, H, j), az = sq_preact(gx, gh, bi, bh, bias, 1, H, j);
    float xn = gx[2 * H + j], hn = gh[2 * H + j];
    if (bias) {
        xn += bi[2 * H + j];
        hn += bh[2 * H + j];
    }
    float hv = sq_gru_unit(ar, az, xn, hn, h[db * H + j], gates + d * SQ_GT_STRIDE, flags);
    h[db * H + j] = hv;
    y[(long)it.row * D * H + d * H + j] = hv;
}

/* Elman RNN: h' = f(x W_ih^T + b_ih + h W_hh^T + b_hh), f the table's
 * function or the op's own (`act`: tanh or relu). */
__kernel void sq_rnn_cell(__global const float *xg, __global const float *hg, __global const float *b_ih,
                          __global const float *b_hh, __global const float *gates, __global const int *lens,
                          int has_len, __global float *h, __global float *y, int s, int T, int B, int H, int D, int bf,
                          int flags, int act)
{
    int i = get_global_id(0);
    if (i >= D * B * H) return;
    sq_item it = sq_step_item(i, H, H, D, B, T, s, bf, lens, has_len, flags);
    if (it.t < 0) return;
    const int d = it.d, j = it.j;
    float a = xg[it.xo + j] + hg[it.ho + j];
    if (flags & SQ_F_BIAS) a += b_ih[d * H + j] + b_hh[d * H + j];
    float hv = (flags & SQ_F_GATES) ? sq_gate_tab(gates + d * SQ_GT_STRIDE, 0, a, 1) : sq_act(act, a);
    h[it.db * H + j] = hv;
    y[(long)it.row * D * H + d * H + j] = hv;
}
