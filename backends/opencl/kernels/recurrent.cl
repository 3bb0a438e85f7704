/*
 * Recurrent layers, one time step per launch (the per-step path). Before
 * the steps, one GEMM per layer gave xg = x W_ih^T for every step and both
 * directions: row (t, b), columns [d][gate][j]. Each step, a GEMM gives
 * hg = h_{t-1} W_hh^T per direction ([D, B, G*H]); these kernels add the
 * biases and apply the gate math of the spec to every (d, b, j).
 *
 * Step s runs forward time t = s and reverse time t = len[b] - 1 - s; batch
 * entries with s >= len[b] keep their state and write nothing (their output
 * rows were zeroed before the steps). State: h [D, B, H_out], c [D, B, H].
 *
 * flags: 1 coupled, 2 projected, 4 bias, 8 peephole, 16 linear_before_reset.
 */
#define SQ_F_COUPLED 1
#define SQ_F_PROJ 2
#define SQ_F_BIAS 4
#define SQ_F_PEEP 8
#define SQ_F_LBR 16

/* Decodes work-item i of D*B*W into (d, b, j); returns the time index or
 * -1 when the entry has finished. */
inline int sq_step_item(int i, int W, int B, int T, int s, __global const int *lens, int has_len, int *d, int *b,
                        int *j)
{
    *j = i % W;
    int db = i / W;
    *b = db % B;
    *d = db / B;
    int len = sq_valid(lens, has_len, *b, T);
    if (s >= len) return -1;
    return *d == 0 ? s : len - 1 - s;
}

__kernel void sq_lstm_cell(__global const float *xg, __global const float *hg, __global const float *b_ih,
                           __global const float *b_hh, __global const float *peep, __global const int *lens,
                           int has_len, __global float *h, __global float *c, __global float *htmp,
                           __global float *y, int s, int T, int B, int H, int Ho, int D, int bf, int flags)
{
    int i = get_global_id(0);
    if (i >= D * B * H) return;
    int d, b, j;
    int t = sq_step_item(i, H, B, T, s, lens, has_len, &d, &b, &j);
    if (t < 0) return;
    int row = sq_seq_row(bf, T, B, t, b), G = 4 * H, db = d * B + b;
    __global const float *gx = xg + (long)row * D * G + d * G;
    __global const float *gh = hg + (long)db * G;
    float ai = gx[j] + gh[j], af = gx[H + j] + gh[H + j];
    float ag = gx[2 * H + j] + gh[2 * H + j], ao = gx[3 * H + j] + gh[3 * H + j];
    if (flags & SQ_F_BIAS) {
        __global const float *bi = b_ih + d * G, *bh = b_hh + d * G;
        ai += bi[j] + bh[j];
        af += bi[H + j] + bh[H + j];
        ag += bi[2 * H + j] + bh[2 * H + j];
        ao += bi[3 * H + j] + bh[3 * H + j];
    }
    float cp = c[db * H + j];
    float f, ig, o, ct;
    if (flags & SQ_F_PEEP) {
        __global const float *p = peep + d * 3 * H;
        f = sq_sigmoid(af + p[H + j] * cp);
        ig = (flags & SQ_F_COUPLED) ? 1.0f - f : sq_sigmoid(ai + p[j] * cp);
        ct = f * cp + ig * tanh(ag);
        o = sq_sigmoid(ao + p[2 * H + j] * ct);
    } else {
        f = sq_sigmoid(af);
        ig = (flags & SQ_F_COUPLED) ? 1.0f - f : sq_sigmoid(ai);
        ct = f * cp + ig * tanh(ag);
        o = sq_sigmoid(ao);
    }
    float ht = o * tanh(ct);
    c[db * H + j] = ct;
    if (flags & SQ_F_PROJ) {
        htmp[db * H + j] = ht;
    } else {
        h[db * Ho + j] = ht;
        y[(long)row * D * Ho + d * Ho + j] = ht;
    }
}

/* Projected LSTM: h = hp (= W_hr (o * tanh c), a GEMM) for the entries that ran. */
__kernel void sq_rec_commit(__global const float *hp, __global const int *lens, int has_len, __global float *h,
                            __global float *y, int s, int T, int B, int Ho, int D, int bf)
{
    int i = get_global_id(0);
    if (i >= D * B * Ho) return;
    int d, b, j;
    int t = sq_step_item(i, Ho, B, T, s, lens, has_len, &d, &b, &j);
    if (t < 0) return;
    int row = sq_seq_row(bf, T, B, t, b);
    float v = hp[i];
    h[i] = v;
    y[(long)row * D * Ho + d * Ho + j] = v;
}

/* GRU without linear_before_reset, first half: rh = r * h (then a GEMM
 * gives W_hn (r * h) into the n block of hg). */
__kernel void sq_gru_reset(__global const float *xg, __global const float *hg, __global const float *b_ih,
                           __global const float *b_hh, __global const int *lens, int has_len,
                           __global const float *h, __global float *rh, int s, int T, int B, int H, int D, int bf,
                           int flags)
{
    int i = get_global_id(0);
    if (i >= D * B * H) return;
    int d, b, j;
    int t = sq_step_item(i, H, B, T, s, lens, has_len, &d, &b, &j);
    if (t < 0) {
        rh[i] = 0.0f;
        return;
    }
    int row = sq_seq_row(bf, T, B, t, b), G = 3 * H, db = d * B + b;
    float ar = xg[(long)row * D * G + d * G + j] + hg[(long)db * G + j];
    if (flags & SQ_F_BIAS) ar += b_ih[d * G + j] + b_hh[d * G + j];
    rh[i] = sq_sigmoid(ar) * h[i];
}

/* GRU: r, z, n and h' = (1 - z) n + z h. With linear_before_reset the n
 * block of hg is W_hn h, else W_hn (r * h) (from sq_gru_reset + GEMM). */
__kernel void sq_gru_cell(__global const float *xg, __global const float *hg, __global const float *b_ih,
                          __global const float *b_hh, __global const int *lens, int has_len, __global float *h,
                          __global float *y, int s, int T, int B, int H, int D, int bf, int flags)
{
    int i = get_global_id(0);
    if (i >= D * B * H) return;
    int d, b, j;
    int t = sq_step_item(i, H, B, T, s, lens, has_len, &d, &b, &j);
    if (t < 0) return;
    int row = sq_seq_row(bf, T, B, t, b), G = 3 * H, db = d * B + b;
    __global const float *gx = xg + (long)row * D * G + d * G;
    __global const float *gh = hg + (long)db * G;
    float ar = gx[j] + gh[j], az = gx[H + j] + gh[H + j], xn = gx[2 * H + j], hn = gh[2 * H + j];
    if (flags & SQ_F_BIAS) {
        __global const float *bi = b_ih + d * G, *bh = b_hh + d * G;
        ar += bi[j] + bh[j];
        az += bi[H + j] + bh[H + j];
        xn += bi[2 * H + j];
        hn += bh[2 * H + j];
    }
    float z = sq_sigmoid(az);
    float n = (flags & SQ_F_LBR) ? tanh(xn + sq_sigmoid(ar) * hn) : tanh(xn + hn);
    float hv = (1.0f - z) * n + z * h[db * H + j];
    h[db * H + j] = hv;
    y[(long)row * D * H + d * H + j] = hv;
}

/* Elman RNN: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh). */
__kernel void sq_rnn_cell(__global const float *xg, __global const float *hg, __global const float *b_ih,
                          __global const float *b_hh, __global const int *lens, int has_len, __global float *h,
                          __global float *y, int s, int T, int B, int H, int D, int bf, int flags, int act)
{
    int i = get_global_id(0);
    if (i >= D * B * H) return;
    int d, b, j;
    int t = sq_step_item(i, H, B, T, s, lens, has_len, &d, &b, &j);
    if (t < 0) return;
    int row = sq_seq_row(bf, T, B, t, b), db = d * B + b;
    float a = xg[(long)row * D * H + d * H + j] + hg[(long)db * H + j];
    if (flags & SQ_F_BIAS) a += b_ih[d * H + j] + b_hh[d * H + j];
    float hv = sq_act(act, a);
    h[db * H + j] = hv;
    y[(long)row * D * H + d * H + j] = hv;
}
