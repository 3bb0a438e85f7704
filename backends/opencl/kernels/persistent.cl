/*
 * The persistent recurrent kernel: one launch runs every step of one layer.
 * One work-group per (direction d, batch entry b) copies W_hh of its
 * direction into local memory once, keeps h in local memory (two buffers,
 * swapped each step) and separates the steps with barriers, instead of a
 * GEMM and a cell launch per step. Chosen by the vendor profile for small
 * batches and hidden sizes (ocl_persistent.c). xg, biases, lengths, flags,
 * the gate table, the direction of time and state are as in recurrent.cl,
 * and so is the cell math (sq_lstm_unit, sq_gru_unit). op: 0 lstm, 1 gru,
 * 2 rnn.
 *
 * Every loop that contains a barrier runs the same number of times in all
 * work-items of a group (the bounds depend on b only).
 */
inline float sq_dot_local(__local const float *w, __local const float *v, int n)
{
    float acc = 0.0f;
    for (int k = 0; k < n; k++) acc += w[k] * v[k];
    return acc;
}

__kernel void sq_rec_persistent(__global const float *xg, __global const float *whh, __global const float *b_ih,
                                __global const float *b_hh, __global const float *peep, __global const float *whr,
                                __global const float *gates, __global const int *lens, int has_len, __global float *h,
                                __global float *c, __global float *y, __local float *wl, __local float *hl,
                                __local float *tl, int T, int B, int H, int Ho, int D, int bf, int op, int flags,
                                int act)
{
    const int g = get_group_id(0), l = get_local_id(0), nl = get_local_size(0);
    const int d = g / B, b = g - (g / B) * B, db = d * B + b;
    const int G = op == 0 ? 4 : (op == 1 ? 3 : 1), GH = G * H;
    const bool bias = (flags & SQ_F_BIAS) != 0;
    __global const float *w = whh + (long)d * GH * Ho;
    for (int k = l; k < GH * Ho; k += nl) wl[k] = w[k];
    __local float *cur = hl, *nxt = hl + Ho;
    for (int k = l; k < Ho; k += nl) cur[k] = h[db * Ho + k];
    barrier(CLK_LOCAL_MEM_FENCE);
    const int len = sq_valid(lens, has_len, b, T);
    __global const float *bi = b_ih + d * GH, *bh = b_hh + d * GH;
    __global const float *gt = gates + d * SQ_GT_STRIDE;
    const int gtab = flags & SQ_F_GATES;

    for (int s = 0; s < len; s++) {
        const int t = sq_dir_time(d, flags, s, len);
        const int row = sq_seq_row(bf, T, B, t, b);
        __global const float *gx = xg + (long)row * D * GH + d * GH;
        if (op == 0) {
            for (int j = l; j < H; j += nl) {
                float a[4];
                for (int q = 0; q < 4; q++) {
                    a[q] = gx[q * H + j] + sq_dot_local(wl + (q * H + j) * Ho, cur, Ho);
                    if (bias) a[q] += bi[q * H + j] + bh[q * H + j];
                }
                float ct;
                float ht = sq_lstm_unit(a[0], a[1], a[2], a[3], c[db * H + j], peep + d * 3 * H, H, j, gt, flags, &ct);
                c[db * H + j] = ct;
                if (flags & SQ_F_PROJ) tl[j] = ht;
                else nxt[j] = ht;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            /* projection: nxt = W_hr tl (a loop of no iterations without one;
             * the barrier stays unconditional) */
            __global const float *wp = whr + (long)d * Ho * H;
            const int np = (flags & SQ_F_PROJ) ? Ho : 0;
            for (int q = l; q < np; q += nl) {
                float acc = 0.0f;
                for (int k = 0; k < H; k++) acc += wp[q * H + k] * tl[k];
                nxt[q] = acc;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        } else if (op == 1) {
            const bool lbr = (flags & SQ_F_LBR) != 0;
            const int nr = lbr ? 0 : H; /* r * h first, without linear_before_reset */
            for (int j = l; j < nr; j += nl) {
                float ar = gx[j] + sq_dot_local(wl + j * Ho, cur, Ho);
                if (bias) ar += bi[j] + bh[j];
                tl[j] = sq_gate(gtab, gt, 0, ar, SQ_ACT_SIGMOID) * cur[j];
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int j = l; j < H; j += nl) {
                float az = gx[H + j] + sq_dot_local(wl + (H + j) * Ho, cur, Ho), xn = gx[2 * H + j];
                float hn = sq_dot_local(wl + (2 * H + j) * Ho, lbr ? cur : tl, Ho);
                if (bias) {
                    az += bi[H + j] + bh[H + j];
                    xn += bi[2 * H + j];
                    hn += bh[2 * H + j];
                }
                float ar = 0.0f; /* read with linear_before_reset only */
                if (lbr) {
                    ar = gx[j] + sq_dot_local(wl + j * Ho, cur, Ho);
                    if (bias) ar += bi[j] + bh[j];
                }
                nxt[j] = sq_gru_unit(ar, az, xn, hn, cur[j], gt, flags);
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        } else {
            for (int j = l; j < H; j += nl) {
                float a = gx[j] + sq_dot_local(wl + j * Ho, cur, Ho);
                if (bias) a += bi[j] + bh[j];
                nxt[j] = gtab ? sq_gate_tab(gt, 0, a, 1) : sq_act(act, a);
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        for (int k = l; k < Ho; k += nl) y[(long)row * D * Ho + d * Ho + k] = nxt[k];
        __local float *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    for (int k = l; k < Ho; k += nl) h[db * Ho + k] = cur[k];
}
