/*
 * The grid recurrent path (kernels/grid.cl): every step of a layer in one
 * launch over several work-groups, the steps separated by a barrier across
 * the work-groups in global memory, W_hh (and W_hr) split across the
 * groups and their first rows kept in local memory for the whole sequence.
 *
 * Why it cannot hang (docs/opencl.md, "The grid kernel"):
 *   1. the grid is at most compute units x grid_per_cu groups (the profile;
 *      1 by default: one work-group of a size the kernel allows
 *      (CL_KERNEL_WORK_GROUP_SIZE) and of local memory within the device's
 *      (CL_KERNEL_LOCAL_MEM_SIZE against CL_DEVICE_LOCAL_MEM_SIZE) fits on
 *      every compute unit), so on a GPU that runs its compute units
 *      together every group is resident and the barriers complete;
 *   2. every barrier wait is bounded (grid_spin polls, or
 *      SEQRT_OPENCL_GRID_SPIN): past it the group sets an abort flag and
 *      every group stops at its next barrier, so the kernel ends on any
 *      device, also one that runs the groups one after another (PoCL);
 *   3. a step never overwrites the state it reads (h and c double-buffered),
 *      so the host reads how many barriers every group passed, and reruns
 *      the remaining steps on the step kernels, with a note in the log.
 * SEQRT_OPENCL_GRID_GROUPS caps the grid (a GPU run can try more groups
 * per compute unit), SEQRT_OPENCL_GRID_CACHE_KIB the local memory for
 * weights per group (0: none, every row read from global memory);
 * SEQRT_OPENCL_GRID_GIVE_UP=N (tests) makes group 0 give up at barrier N,
 * so the hand-over to the step kernels is tested mid-sequence on any
 * device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocl_recurrent.h"

enum { GRID_ARG_CB = 23 }; /* the first argument after SQ_STEP_ARGS */

/* The phases of a step: units W, rows of length K, gates nq from q0 of a
 * matrix of Gd gates per direction. */
typedef struct phase {
    int64_t W, K;
    int nq;
} phase;

static int phases_of(const ocl_rec *r, phase ph[2])
{
    if (r->op == 0) {
        ph[0] = (phase){r->H, r->Ho, 4};
        ph[1] = (phase){r->Ho, r->H, 1};
        return (r->flags & OCL_RF_PROJ) ? 2 : 1;
    }
    if (r->op == 1) {
        if (r->flags & OCL_RF_LBR) {
            ph[0] = (phase){r->H, r->H, 3};
            return 1;
        }
        ph[0] = (phase){r->H, r->H, 1};
        ph[1] = (phase){r->H, r->H, 2};
        return 2;
    }
    ph[0] = (phase){r->H, r->H, 1};
    return 1;
}

static const char *kernel_name(const ocl_rec *r)
{
    if (r->op == 0) return (r->flags & OCL_RF_PROJ) ? "sq_grid_lstm_proj" : "sq_grid_lstm";
    if (r->op == 1) return (r->flags & OCL_RF_LBR) ? "sq_grid_gru_lbr" : "sq_grid_gru";
    return "sq_grid_rnn";
}

seqrt_status ocl_grid_prepare(ocl_session *s, const sq_layer *L, ocl_rec *r, int k)
{
    ocl_rec_layer *w = &r->layers[k];
    cl_int err;
    const char *name = kernel_name(r);
    w->kg = OCL_FAULT("clCreateKernel", (err = CL_OUT_OF_HOST_MEMORY, NULL),
                      clCreateKernel(s->dev->program, name, &err));
    if (err != CL_SUCCESS) {
        w->kg = NULL;
        return ocl_fail(err, "clCreateKernel(%s) for layer '%s'", name, L->name);
    }
    OCL_CL(clGetKernelWorkGroupInfo(w->kg, s->dev->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof w->kg_wg, &w->kg_wg, NULL),
           "clGetKernelWorkGroupInfo(%s, CL_KERNEL_WORK_GROUP_SIZE)", name);
    return SEQRT_OK;
}

seqrt_status ocl_grid_cfg_get(const ocl_session *s, ocl_grid_cfg *out)
{
    const ocl_profile *p = &s->dev->choice.profile;
    const long cus = s->dev->desc.compute_units ? (long)s->dev->desc.compute_units : 1;
    long groups = cus * (p->grid_per_cu > 0 ? p->grid_per_cu : 1), spin = p->grid_spin, kib = -1, stop = 0;
    seqrt_status st;
    if ((st = ocl_env_int("SEQRT_OPENCL_GRID_GROUPS", 1, 65536, false, &groups)) ||
        (st = ocl_env_int("SEQRT_OPENCL_GRID_SPIN", 1, 2147483647L, false, &spin)) ||
        (st = ocl_env_int("SEQRT_OPENCL_GRID_CACHE_KIB", 0, 1 << 20, false, &kib)) ||
        (st = ocl_env_int("SEQRT_OPENCL_GRID_GIVE_UP", 0, 2147483647L, false, &stop)))
        return st;
    out->groups = (int)groups;
    out->spin = (int)spin;
    out->stop = (int)stop;
    out->cache_bytes = kib < 0 ? -1 : kib * 1024;
    return SEQRT_OK;
}

/* Sets the __local arguments of plan g on the kernel and checks what the
 * implementation reports against the device (as the persistent kernel's
 * fit check: at least the arguments' sum, plus a margin). */
static bool local_fits(const ocl_session *s, cl_kernel k, const ocl_grid_plan *g, cl_ulong *used)
{
    const size_t b[4] = {g->scr_bytes, g->acc_bytes, g->wl_bytes, sizeof(cl_int)};
    cl_int e = CL_SUCCESS;
    for (int i = 0; i < 4 && e == CL_SUCCESS; i++) e = clSetKernelArg(k, (cl_uint)(GRID_ARG_CB + 2 + i), b[i], NULL);
    *used = 0;
    if (e == CL_SUCCESS) e = clGetKernelWorkGroupInfo(k, s->dev->id, CL_KERNEL_LOCAL_MEM_SIZE, sizeof *used, used, NULL);
    if (e != CL_SUCCESS) return false;
    const cl_ulong args = b[0] + b[1] + b[2] + b[3], have = s->dev->desc.local_mem;
    if (*used < args) *used = args;
    const cl_ulong margin = have / 16 > 1024 ? have / 16 : 1024;
    return *used + margin <= have;
}

bool ocl_grid_plan_make(const ocl_session *s, const ocl_rec *r, int64_t B, ocl_grid_plan *g, char *why, size_t n)
{
    (void)B;
    memset(g, 0, sizeof *g);
    const ocl_rec_layer *w = &r->layers[0];
    if (!w->kg) {
        snprintf(why, n, "the grid kernel was not made (the session was created with SEQRT_OPENCL_RECURRENT=gemm)");
        return false;
    }
    const ocl_grid_cfg *cfg = &r->grid;
    size_t wg = (size_t)r->step.wg;
    while (wg > 1 && wg > w->kg_wg) wg /= 2;
    g->wg = wg;
    g->lanes = r->step.lanes < (int)wg ? r->step.lanes : (int)wg;
    phase ph[2];
    g->phases = phases_of(r, ph);
    /* units per block: the fewest for which each direction's blocks fit its
     * share of the grid (a grid smaller than the directions gives each
     * group whole directions in turn); groups: the most blocks of a phase */
    const int64_t ng = cfg->groups, share = ng / r->D > 1 ? ng / r->D : 1;
    int64_t maxrows = 1, blocks[2] = {1, 1};
    g->groups = 1;
    for (int p = 0; p < g->phases; p++) {
        const int64_t U = (ph[p].W + share - 1) / share;
        g->U[p] = (int)U;
        blocks[p] = r->D * ((ph[p].W + U - 1) / U);
        if (blocks[p] > (int64_t)g->groups) g->groups = (size_t)(blocks[p] < ng ? blocks[p] : ng);
        if (ph[p].nq * U > maxrows) maxrows = ph[p].nq * U;
    }
    g->scr_bytes = wg * 8 * sizeof(float);
    g->acc_bytes = (size_t)maxrows * 8 * sizeof(float);
    /* the weights' cache: what is left of the device's local memory, phase 0's rows first */
    const cl_ulong have = s->dev->desc.local_mem, margin = have / 16 > 1024 ? have / 16 : 1024;
    int64_t room = (int64_t)have - (int64_t)margin - (int64_t)(g->scr_bytes + g->acc_bytes) - 256;
    if (cfg->cache_bytes >= 0 && room > cfg->cache_bytes) room = cfg->cache_bytes;
    cl_ulong used = 0;
    for (int tries = 0; tries < 8; tries++) {
        int64_t left = room > 0 ? room / (int64_t)sizeof(float) : 0, wl = 0;
        for (int p = 0; p < g->phases; p++) {
            const int64_t per_group = (blocks[p] + (int64_t)g->groups - 1) / (int64_t)g->groups;
            int64_t rows = ph[p].nq * g->U[p] * per_group, fit = left / ph[p].K;
            g->nc[p] = (int)(rows < fit ? rows : fit);
            left -= g->nc[p] * ph[p].K;
            wl += g->nc[p] * ph[p].K;
        }
        g->wl_bytes = wl ? (size_t)wl * sizeof(float) : sizeof(float);
        if (local_fits(s, w->kg, g, &used)) {
            snprintf(why, n,
                     "%zu work-groups of %zu (at most %d: compute units x the profile's groups per unit), "
                     "%d/%d units per group, %d/%d rows of weights in local memory, %llu bytes of local memory",
                     g->groups, g->wg, cfg->groups, g->U[0], g->U[1], g->nc[0], g->nc[1], (unsigned long long)used);
            return true;
        }
        room /= 2;
        if (room < 1024) room = 0;
    }
    snprintf(why, n, "the grid kernel needs %llu bytes of local memory (CL_KERNEL_LOCAL_MEM_SIZE) without its weights' "
                     "cache, the device has %llu",
             (unsigned long long)used, (unsigned long long)have);
    return false;
}

seqrt_status ocl_grid_run(const ocl_rec_run *c, int steps, int *done)
{
    ocl_session *s = c->s;
    const ocl_rec *r = c->r;
    const ocl_rec_layer *w = c->w;
    ocl_grid_plan g;
    char why[512];
    *done = 0;
    if (!ocl_grid_plan_make(s, r, c->B, &g, why, sizeof why))
        return sq_error(SEQRT_ERR_INTERNAL, "opencl: layer '%s': the grid kernel no longer fits: %s", c->L->name, why);
    seqrt_status st;
    /* the barrier count, the abort flag, the grid, the bound, the test's give-up barrier (grid.cl) */
    const cl_int sync0[5] = {0, 0, (cl_int)g.groups, r->grid.spin, r->grid.stop};
    OCL_CLF("clEnqueueWriteBuffer",
            clEnqueueWriteBuffer(s->q, r->sync.mem, CL_TRUE, 0, sizeof sync0, sync0, 0, NULL, NULL),
            "clEnqueueWriteBuffer(the grid kernel's barrier)");
    ocl_count_transfer(s, true, sizeof sync0);
    if ((st = ocl_step_args(c, w->kg, w->w_hh, w->w_hr, 0))) return st;
    cl_mem cb = r->op == 0 ? r->cg.mem : s->dummy, sync = r->sync.mem;
    const size_t lb[4] = {g.scr_bytes, g.acc_bytes, g.wl_bytes, sizeof(cl_int)};
    const cl_int iv[6] = {g.U[0], g.U[1] ? g.U[1] : 1, g.lanes, g.nc[0], g.nc[1], steps};
    OCL_CL(clSetKernelArg(w->kg, GRID_ARG_CB, sizeof cb, &cb), "clSetKernelArg(grid kernel, cb)");
    OCL_CL(clSetKernelArg(w->kg, GRID_ARG_CB + 1, sizeof sync, &sync), "clSetKernelArg(grid kernel, sync)");
    for (int i = 0; i < 4; i++)
        OCL_CL(clSetKernelArg(w->kg, (cl_uint)(GRID_ARG_CB + 2 + i), lb[i], NULL), "clSetKernelArg(grid kernel, %d)",
               GRID_ARG_CB + 2 + i);
    for (int i = 0; i < 6; i++)
        OCL_CL(clSetKernelArg(w->kg, (cl_uint)(GRID_ARG_CB + 6 + i), sizeof(cl_int), &iv[i]),
               "clSetKernelArg(grid kernel, %d)", GRID_ARG_CB + 6 + i);
    const size_t global = g.groups * g.wg;
    OCL_CLF("clEnqueueNDRangeKernel", clEnqueueNDRangeKernel(s->q, w->kg, 1, NULL, &global, &g.wg, 0, NULL, NULL),
            "clEnqueueNDRangeKernel(grid kernel of layer '%s', %zu groups of %zu)", c->L->name, g.groups, g.wg);
    /* how far every group got: barriers passed by all / barriers per step */
    cl_int sv[2] = {0, 0};
    OCL_CLF("clEnqueueReadBuffer", clEnqueueReadBuffer(s->q, sync, CL_TRUE, 0, sizeof sv, sv, 0, NULL, NULL),
            "clEnqueueReadBuffer(the grid kernel's barrier count)");
    ocl_count_transfer(s, false, sizeof sv);
    sq_log(SQ_LOG_DEBUG, "opencl: layer '%s': grid kernel: %d arrivals at barriers, abort flag %d", c->L->name,
           (int)sv[0], (int)sv[1]);
    *done = sv[1] ? (int)((size_t)sv[0] / g.groups / (size_t)g.phases) : steps;
    if (*done > steps) *done = steps;
    if (*done < steps)
        sq_log(SQ_LOG_INFO,
               "opencl: layer '%s': the grid kernel stopped after %d of %d steps (%s); steps %d.. run on the step "
               "kernels",
               c->L->name, *done, steps,
               r->grid.stop ? "SEQRT_OPENCL_GRID_GIVE_UP: group 0 gave up at a barrier"
                            : "a work-group polled a barrier SEQRT_OPENCL_GRID_SPIN / the profile's grid_spin times: "
                              "the device did not run the work-groups together",
               *done);
    /* the state of step `done` is in the buffers of its parity: the step
     * kernels read c in place from r->c and h by parity (ocl_step_run) */
    const size_t nh = (size_t)r->D * (size_t)c->B * (size_t)r->Ho, nc = (size_t)r->D * (size_t)c->B * (size_t)r->H;
    if ((*done % 2) && r->op == 0 && (st = ocl_copy(s, r->cg.mem, 0, r->c.mem, 0, nc))) return st;
    if (*done == steps && (steps % 2)) return ocl_copy(s, r->hp.mem, 0, r->h.mem, 0, nh);
    return SEQRT_OK;
}
