/*
 * The rows form of the fused step kernels (GPUs; ocl_step_rows.c): the
 * units form of step.cl gives each work-item SQ_VEC units and a serial loop
 * over all of K, so a batch-1 step of H = 512 has H / SQ_VEC work-items, a
 * few warps on a GPU of a hundred compute units, each streaming its
 * weights alone. Here a work-group owns U units of one direction with all
 * their gates (the rows q * H + j of W_hh, row-major [D][G*H][K] as the gemm
 * path uploaded it: no second copy) and splits K across the work-group:
 * `lanes` work-items per row stride over k, so consecutive work-items read
 * consecutive addresses of a row (coalesced, one float4 each), and the
 * work-group's local_size / lanes row slots take the group's rows in turn.
 * The partial sums are reduced in local memory (no sub-groups: NVIDIA's
 * OpenCL has no cl_khr_subgroups), then U * n work-items apply the cell
 * (step.cl's sq_*_apply: the same cell math as every path).
 *
 * Arguments: SQ_STEP_ARGS (wt = W_hh, wr = W_hr [D][H_out][H], both
 * row-major), then scr (local_size * SQ_STEP_NB floats), acc (rows of the
 * group * SQ_STEP_NB floats), U and lanes (a power of two dividing the
 * local size). Global size: groups * local size, groups = D * ceil(W / U)
 * (W: H, or H_out for sq_lstm_proj_rows). Every barrier is reached by
 * every work-item of the group: the loops around them depend on B and the
 * group's row count only.
 */
#define SQ_ROWS_ARGS SQ_STEP_ARGS, __local float *scr, __local float *acc, int U, int lanes

/* p[e] = this work-item's share (k = 4 lane, 4 lane + 4 lanes, ...) of
 * sum_k w[k] v[e * K + k] for the n entries of v (e >= n repeat entry n - 1;
 * their sums are not used), NB by a compile-time count; w in global (g) or
 * local memory (l: the grid kernel's cached rows). */
#define SQ_ROWS_DOT(NB, AS, X)                                                                                     \
    inline void sq_rows_dot##X##NB(AS const float *w, __global const float *v, int K, int n, int lane, int lanes, \
                                   float *p)                                                                       \
    {                                                                                                              \
        float a[NB];                                                                                               \
        for (int e = 0; e < NB; e++) a[e] = 0.0f;                                                                  \
        for (int k = 4 * lane; k + 3 < K; k += 4 * lanes) {                                                        \
            const float4 wk = vload4(0, w + k);                                                                    \
            for (int e = 0; e < NB; e++) a[e] += dot(wk, vload4(0, v + (long)min(e, n - 1) * K + k));              \
        }                                                                                                          \
        for (int k = (K & ~3) + lane; k < K; k += lanes)                                                           \
            for (int e = 0; e < NB; e++) a[e] += w[k] * v[(long)min(e, n - 1) * K + k];                            \
        for (int e = 0; e < SQ_STEP_NB; e++) p[e] = e < NB ? a[e] : 0.0f;                                          \
    }
#define SQ_ROWS_DOTS(AS, X)                                                                                        \
    SQ_ROWS_DOT(1, AS, X)                                                                                          \
    SQ_ROWS_DOT(2, AS, X)                                                                                          \
    SQ_ROWS_DOT(4, AS, X)                                                                                          \
    SQ_ROWS_DOT(8, AS, X)                                                                                          \
    inline void sq_rows_dot##X(AS const float *w, __global const float *v, int K, int n, int lane, int lanes,     \
                               float *p)                                                                           \
    {                                                                                                              \
        if (n == 1) sq_rows_dot##X##1(w, v, K, n, lane, lanes, p);                                                 \
        else if (n == 2) sq_rows_dot##X##2(w, v, K, n, lane, lanes, p);                                            \
        else if (n <= 4) sq_rows_dot##X##4(w, v, K, n, lane, lanes, p);                                            \
        else sq_rows_dot##X##8(w, v, K, n, lane, lanes, p);                                                        \
    }
SQ_ROWS_DOTS(__global, g)
SQ_ROWS_DOTS(__local, l)

/* The group's recurrent sums of one block for entries b0 .. b0 + n - 1:
 * acc[(qi * U + u) * SQ_STEP_NB + e] = W[(q0 + qi) * units + j0 + u] .
 * v_q[b0 + e] for qi < nq, where W is `units` rows per gate of length K (w:
 * the direction's first row) and v_q is `v`, or `vlast` for the last gate
 * qi = nq - 1 (GRU's n gate reads r * h). The block's first nc rows (row r:
 * gate qi = r / U, unit r % U) are read from wl + r * K instead (the grid
 * kernel's cache; nc = 0 in the step kernels). Rows of units past the end
 * sum to 0. Ends with a barrier: acc is complete for every work-item. */
inline void sq_rows_gemv(__local const float *wl, int nc, __global const float *w, int units, int K, int q0, int nq,
                         int j0, int U, __global const float *v, __global const float *vlast, int n, int lanes,
                         __local float *scr, __local float *acc)
{
    const int l = get_local_id(0), slots = get_local_size(0) / lanes, slot = l / lanes, lane = l - slot * lanes;
    const int nr = nq * U;
    for (int r0 = 0; r0 < nr; r0 += slots) {
        const int r = r0 + slot, qi = r / U, j = j0 + r - qi * U;
        float p[SQ_STEP_NB];
        if (r < nr && j < units) {
            __global const float *vq = qi == nq - 1 ? vlast : v;
            if (r < nc) sq_rows_dotl(wl + (long)r * K, vq, K, n, lane, lanes, p);
            else sq_rows_dotg(w + ((long)(q0 + qi) * units + j) * K, vq, K, n, lane, lanes, p);
        } else {
            for (int e = 0; e < SQ_STEP_NB; e++) p[e] = 0.0f;
        }
        for (int e = 0; e < SQ_STEP_NB; e++) scr[l * SQ_STEP_NB + e] = p[e];
        barrier(CLK_LOCAL_MEM_FENCE);
        /* the first SQ_STEP_NB lanes of each slot sum its lanes, one entry each */
        if (r < nr)
            for (int e = lane; e < SQ_STEP_NB; e += lanes) {
                float sum = 0.0f;
                for (int i = 0; i < lanes; i++) sum += scr[(slot * lanes + i) * SQ_STEP_NB + e];
                acc[r * SQ_STEP_NB + e] = sum;
            }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* Block blk of D * ceil(W / U) blocks (the rows form's work-group, or one of
 * a grid kernel's groups' blocks): for each of the entries' blocks the gemv
 * of the block's rows, then one work-item per (unit, entry) runs `apply` (a
 * statement using d, b, j and the sums SQ_A(qi) of gate qi). w may use d
 * (the block's direction); wl, nc: the block's cached rows. */
#define SQ_ROWS_BLOCK(blk, wl, nc, W, w, K, q0, nq, v, vlast, apply)                                              \
    {                                                                                                              \
        const int per_ = ((W) + U - 1) / U, d = (blk) / per_, j0 = ((blk) - d * per_) * U;                         \
        for (int b0 = 0; b0 < B; b0 += SQ_STEP_NB) {                                                               \
            const int n = B - b0 < SQ_STEP_NB ? B - b0 : SQ_STEP_NB;                                               \
            sq_rows_gemv(wl, nc, w, W, K, q0, nq, j0, U, (v) + (long)b0 * (K), (vlast) + (long)b0 * (K), n, lanes, \
                         scr, acc);                                                                                \
            for (int i = get_local_id(0); i < U * n; i += get_local_size(0)) {                                     \
                const int e = i / U, u = i - e * U, j = j0 + u, b = b0 + e;                                        \
                if (j < (W)) {                                                                                     \
                    apply;                                                                                         \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
    }
#define SQ_ROWS_BODY(W, w, K, q0, nq, v, vlast, apply) \
    SQ_ROWS_BLOCK(get_group_id(0), scr, 0, W, w, K, q0, nq, v, vlast, apply)
#define SQ_A(qi) acc[((qi) * U + u) * SQ_STEP_NB + e]

__kernel void sq_lstm_rows(SQ_ROWS_ARGS)
{
    SQ_ROWS_BODY(H, wt + (long)d * 4 * H * Ho, Ho, 0, 4, SQ_STEP_SRC(Ho), SQ_STEP_SRC(Ho),
                 sq_lstm_apply(SQ_STEP_PASS, c, d, b, j, SQ_A(0), SQ_A(1), SQ_A(2), SQ_A(3)))
}

/* Projected LSTM, second launch: h = W_hr tmp. */
__kernel void sq_lstm_proj_rows(SQ_ROWS_ARGS)
{
    SQ_ROWS_BODY(Ho, wr + (long)d * Ho * H, H, 0, 1, tmp + (long)d * B * H, tmp + (long)d * B * H,
                 sq_proj_apply(SQ_STEP_PASS, d, b, j, SQ_A(0)))
}

/* GRU without linear_before_reset, first launch: tmp = r * h. */
__kernel void sq_gru_reset_rows(SQ_ROWS_ARGS)
{
    SQ_ROWS_BODY(H, wt + (long)d * 3 * H * H, H, 0, 1, SQ_STEP_SRC(H), SQ_STEP_SRC(H),
                 sq_gru_reset_apply(SQ_STEP_PASS, d, b, j, SQ_A(0)))
}

/* GRU: gates r (with linear_before_reset), z and n (of h, or of r * h in
 * tmp without it). */
__kernel void sq_gru_rows(SQ_ROWS_ARGS)
{
    const int lbr = (flags & SQ_F_LBR) != 0, q0 = lbr ? 0 : 1;
    SQ_ROWS_BODY(H, wt + (long)d * 3 * H * H, H, q0, 3 - q0, SQ_STEP_SRC(H),
                 lbr ? SQ_STEP_SRC(H) : tmp + (long)d * B * H,
                 sq_gru_apply(SQ_STEP_PASS, d, b, j, lbr ? SQ_A(0) : 0.0f, SQ_A(1 - q0), SQ_A(2 - q0)))
}

/* Elman RNN. */
__kernel void sq_rnn_rows(SQ_ROWS_ARGS)
{
    SQ_ROWS_BODY(H, wt + (long)d * H * H, H, 0, 1, SQ_STEP_SRC(H), SQ_STEP_SRC(H),
                 sq_rnn_apply(SQ_STEP_PASS, d, b, j, SQ_A(0)))
}
#undef SQ_A
