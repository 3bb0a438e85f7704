/*
 * The grid kernel (the "grid" recurrent path, ocl_grid.c): every step of
 * one layer in one launch over several work-groups, the steps separated by
 * a barrier across the work-groups in global memory. Each work-group owns
 * blocks of U units of one direction with all their gates, as in the rows
 * form of the step kernels (step_rows.cl: the same K split, reduction and
 * per-unit functions), and keeps the first rows of its blocks' W_hh (and
 * W_hr) in local memory for the whole sequence (wl; the rest it reads from
 * global memory each step). h goes through the step kernels' global double
 * buffer (ha, hb by the step's parity), c through a second one (c, cb):
 * a step never overwrites the state it reads, so a run abandoned at a
 * barrier leaves the state of every completed step intact (ocl_grid.c
 * reruns the remaining steps on the step kernels).
 *
 * The barrier (sq_grid_sync): sync[0] counts arrivals, sync[1] is the
 * abort flag. Work-item 0 of a group fences its group's global writes,
 * increments sync[0] and spins until sync[0] reaches its target (every
 * group's arrival at this barrier), the abort flag is set, or it has spun
 * `bound` times: then it sets the flag. A group that saw its barrier fail
 * does no further work and never arrives again, so sync[0] / groups is the
 * number of barriers that every group passed; the host derives from it the
 * steps completed. Every wait is bounded and every group runs a bounded
 * number of phases, so the kernel ends whatever the device's scheduling
 * (work-groups run one after another on PoCL), with results from the
 * fallback. The grid is at most what ocl_grid.c counts as co-resident.
 *
 * The barrier's parameters come from the sync buffer (sync[2] the number
 * of groups, sync[3] the bound, sync[4] the test's give-up barrier). A
 * wait that ends without its target reached sets the abort flag, whatever
 * ended it: llvmpipe (rusticl) leaves any loop after 65535 iterations, and
 * a group that took that exit for a passed barrier ran on with h not yet
 * written (wrong results, no abort) before this rule.
 *
 * No barrier sits inside an if: the work of a phase runs in loops whose
 * bounds are 0 once the group has stopped (PoCL 3.1 mishandled a barrier in
 * a uniform if within a time loop, persistent.cl).
 */
#define SQ_GRID_ARGS                                                                                              \
    SQ_STEP_ARGS, __global float *cb, __global int *sync, __local float *scr, __local float *acc,              \
        __local float *wl, __local int *verdict, int U0, int U1, int lanes, int nc0, int nc1, int steps

/* Barrier number nbar (from 1) across the grid; returns whether the group
 * goes on (0 once it or any group gave up). `live`: whether the group
 * still works; `stop` (a test's, SEQRT_OPENCL_GRID_GIVE_UP; 0: none): the
 * barrier at which group 0 gives up as if its wait had timed out. */
inline int sq_grid_sync(__global int *sync, int nbar, int ng, int bound, int stop, int live, __local int *verdict)
{
    const int target = nbar * ng;
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    if (get_local_id(0) == 0) {
        int ok = 0;
        if (live && nbar == stop && get_group_id(0) == 0) {
            atomic_xchg(sync + 1, 1);
        } else if (live) {
            mem_fence(CLK_GLOBAL_MEM_FENCE);
            atomic_inc(sync);
            /* polled with atomics (a plain read would race the other
             * groups' increments: Oclgrind reports it); the abort flag
             * every 64 polls (each poll is a locked access on a CPU) */
            for (int i = 0; i <= bound && !ok; i++) {
                ok = atomic_add(sync, 0) >= target;
                if (!ok && (i & 63) == 0 && atomic_add(sync + 1, 0)) break;
            }
            /* any other way out of the loop gives up (also one the
             * implementation forced: llvmpipe ends a loop after 65535
             * iterations, rusticl's probe in docs/opencl.md) */
            if (!ok) atomic_xchg(sync + 1, 1);
            mem_fence(CLK_GLOBAL_MEM_FENCE);
        }
        *verdict = ok;
    }
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    const int ok = *verdict;
    mem_fence(CLK_GLOBAL_MEM_FENCE);
    return ok;
}

/* Whether the group starts: not when a barrier has already failed. */
inline int sq_grid_start(__global int *sync, __local int *verdict)
{
    if (get_local_id(0) == 0) *verdict = atomic_add(sync + 1, 0) == 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    const int ok = *verdict;
    barrier(CLK_LOCAL_MEM_FENCE);
    return ok;
}

/* Copies the first nc rows of the group's blocks of one phase into wl:
 * block i = group + i * groups, its R = nq * U rows in the rows form's
 * order (row r: gate q0 + r / U, unit r % U), row-major; `w` the weight of
 * every direction, Gd gates per direction, W units per gate, rows of K. */
inline void sq_grid_cache(__local float *wl, int nc, __global const float *w, int Gd, int W, int K, int q0, int U,
                          int R, int D, int ng)
{
    const int g = get_group_id(0), per = (W + U - 1) / U;
    for (int x = get_local_id(0); x < nc * K; x += get_local_size(0)) {
        const int gr = x / K, k = x - gr * K, i = gr / R, r = gr - i * R, blk = g + i * ng;
        const int d = blk / per, qi = r / U, j = (blk - d * per) * U + r - qi * U;
        wl[x] = (d < D && j < W) ? w[(((long)d * Gd + q0 + qi) * W + j) * K + k] : 0.0f;
    }
}

/* One phase of a step: the group's blocks (U units each, nq gates from q0,
 * the first nc rows from wl), then the barrier. */
#define SQ_GRID_PHASE(Up, nc, wlp, W, w, K, q0, nq, v, vlast, apply)                                             \
    {                                                                                                              \
        const int U = (Up), R = (nq) * U, nblk = live ? D * (((W) + U - 1) / U) : 0;                               \
        for (int i = 0, blk = g; blk < nblk; i++, blk += ng) {                                                     \
            const int nci = (nc) - i * R;                                                                          \
            SQ_ROWS_BLOCK(blk, (wlp) + (long)(nci > 0 ? i * R : 0) * (K), nci > 0 ? nci : 0, W, w, K, q0, nq, v,  \
                          vlast, apply)                                                                            \
        }                                                                                                          \
        live = sq_grid_sync(sync, ++nbar, ng, bound, stop, live, verdict);                                          \
    }

/* A grid kernel: the cache fill, then every step's phases. s (the first
 * step) and c (the state read by even steps) are shadowed per step. */
#define SQ_GRID_KERNEL(name, CACHE, PHASES)                                                                        \
    __kernel void name(SQ_GRID_ARGS)                                                                               \
    {                                                                                                              \
        __global float *const ca = c;                                                                              \
        const int g = get_group_id(0), ng = sync[2], bound = sync[3], stop = sync[4];                              \
        int live = sq_grid_start(sync, verdict), nbar = 0;                                                         \
        CACHE;                                                                                                     \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                              \
        for (int s_ = s; s_ < steps; s_++) {                                                                       \
            const int s = s_;                                                                                      \
            __global float *c = (s & 1) ? cb : ca, *cout = (s & 1) ? ca : cb;                                      \
            PHASES                                                                                                 \
        }                                                                                                          \
    }

#define SQ_A(qi) acc[((qi) * U + u) * SQ_STEP_NB + e]

SQ_GRID_KERNEL(sq_grid_lstm, sq_grid_cache(wl, nc0, wt, 4, H, Ho, 0, U0, 4 * U0, D, ng),
               SQ_GRID_PHASE(U0, nc0, wl, H, wt + (long)d * 4 * H * Ho, Ho, 0, 4, SQ_STEP_SRC(Ho), SQ_STEP_SRC(Ho),
                             sq_lstm_apply(SQ_STEP_PASS, cout, d, b, j, SQ_A(0), SQ_A(1), SQ_A(2), SQ_A(3))))

/* Projected: o * h(c) into tmp, then h = W_hr tmp (rows of W_hr after
 * W_hh's in wl). */
SQ_GRID_KERNEL(sq_grid_lstm_proj,
               sq_grid_cache(wl, nc0, wt, 4, H, Ho, 0, U0, 4 * U0, D, ng);
               sq_grid_cache(wl + (long)nc0 * Ho, nc1, wr, 1, Ho, H, 0, U1, U1, D, ng),
               SQ_GRID_PHASE(U0, nc0, wl, H, wt + (long)d * 4 * H * Ho, Ho, 0, 4, SQ_STEP_SRC(Ho), SQ_STEP_SRC(Ho),
                             sq_lstm_apply(SQ_STEP_PASS, cout, d, b, j, SQ_A(0), SQ_A(1), SQ_A(2), SQ_A(3)))
               SQ_GRID_PHASE(U1, nc1, wl + (long)nc0 * Ho, Ho, wr + (long)d * Ho * H, H, 0, 1,
                             tmp + (long)d * B * H, tmp + (long)d * B * H,
                             sq_proj_apply(SQ_STEP_PASS, d, b, j, SQ_A(0))))

SQ_GRID_KERNEL(sq_grid_gru_lbr, sq_grid_cache(wl, nc0, wt, 3, H, H, 0, U0, 3 * U0, D, ng),
               SQ_GRID_PHASE(U0, nc0, wl, H, wt + (long)d * 3 * H * H, H, 0, 3, SQ_STEP_SRC(H), SQ_STEP_SRC(H),
                             sq_gru_apply(SQ_STEP_PASS, d, b, j, SQ_A(0), SQ_A(1), SQ_A(2))))

/* Without linear_before_reset: tmp = r * h, then z and n = W_hn (r * h). */
SQ_GRID_KERNEL(sq_grid_gru,
               sq_grid_cache(wl, nc0, wt, 3, H, H, 0, U0, U0, D, ng);
               sq_grid_cache(wl + (long)nc0 * H, nc1, wt, 3, H, H, 1, U1, 2 * U1, D, ng),
               SQ_GRID_PHASE(U0, nc0, wl, H, wt + (long)d * 3 * H * H, H, 0, 1, SQ_STEP_SRC(H), SQ_STEP_SRC(H),
                             sq_gru_reset_apply(SQ_STEP_PASS, d, b, j, SQ_A(0)))
               SQ_GRID_PHASE(U1, nc1, wl + (long)nc0 * H, H, wt + (long)d * 3 * H * H, H, 1, 2, SQ_STEP_SRC(H),
                             tmp + (long)d * B * H, sq_gru_apply(SQ_STEP_PASS, d, b, j, 0.0f, SQ_A(0), SQ_A(1))))

SQ_GRID_KERNEL(sq_grid_rnn, sq_grid_cache(wl, nc0, wt, 1, H, H, 0, U0, U0, D, ng),
               SQ_GRID_PHASE(U0, nc0, wl, H, wt + (long)d * H * H, H, 0, 1, SQ_STEP_SRC(H), SQ_STEP_SRC(H),
                             sq_rnn_apply(SQ_STEP_PASS, d, b, j, SQ_A(0))))
#undef SQ_A
