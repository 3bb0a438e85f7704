/*
 * Which recurrent path runs a layer (see docs/opencl.md, "Recurrent paths").
 *
 * auto (the default):
 *   1. persistent kernel when the batch, hidden size and local memory are
 *      within the profile's persistent bounds AND the kernel fits the device
 *      (below);
 *   2. else the grid kernel (ocl_grid.c) when B <= the profile's
 *      grid_max_batch (0 in every row until a GPU measurement) and its plan
 *      fits the device;
 *   3. else the fused step kernel (ocl_step.c, in the form of the profile:
 *      units on CPUs, rows on GPUs; ocl_step_form.c) when B <= the
 *      profile's step_max_batch (8 in every row but 0 is "never");
 *   4. else the gemm path (a CLBlast GEMM + a cell kernel per step: one GEMM
 *      over the whole batch wins at larger batches).
 * SEQRT_OPENCL_RECURRENT=gemm|step|persistent|grid forces a path (tests run
 * the suites under each): step and gemm run any layer; persistent and grid
 * still need their kernel to fit the device, else the layer runs the step
 * path and the debug log says why.
 *
 * The persistent kernel fits when its local memory plus a margin stays
 * within CL_DEVICE_LOCAL_MEM_SIZE. Its local memory: CL_KERNEL_LOCAL_MEM_SIZE
 * after the layer's __local arguments are set on the kernel (the spec has
 * it include them and what the implementation itself needs), but at least
 * the arguments' sum: rusticl (Mesa 22.3) answers 0 whatever the arguments; CL_KERNEL_WORK_GROUP_SIZE bounds its
 * work-group (ocl_persistent_run lowers it). A query that fails counts as
 * not fitting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocl_recurrent.h"


seqrt_status ocl_rec_mode_get(ocl_rec_mode *out)
{
    const char *e = getenv("SEQRT_OPENCL_RECURRENT");
    *out = OCL_MODE_AUTO;
    if (!e || !*e || !strcmp(e, "auto")) return SEQRT_OK;
    if (!strcmp(e, "gemm")) *out = OCL_MODE_GEMM;
    else if (!strcmp(e, "step")) *out = OCL_MODE_STEP;
    else if (!strcmp(e, "persistent")) *out = OCL_MODE_PERSISTENT;
    else if (!strcmp(e, "grid")) *out = OCL_MODE_GRID;
    else
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "SEQRT_OPENCL_RECURRENT='%s' is not one of auto, gemm, step, persistent, grid", e);
    return SEQRT_OK;
}

/* Whether the persistent kernel fits the device for this layer; `why`
 * says how much it needs against what the device has. */
static bool persistent_fits(ocl_session *s, const ocl_rec *r, char *why, size_t n)
{
    size_t bytes[3];
    ocl_persistent_local(r, bytes);
    cl_kernel k = s->k[K_sq_rec_persistent];
    cl_ulong used = 0;
    cl_int e = CL_SUCCESS;
    for (int i = 0; i < 3 && e == CL_SUCCESS; i++) e = clSetKernelArg(k, (cl_uint)(12 + i), bytes[i], NULL);
    if (e == CL_SUCCESS)
        e = clGetKernelWorkGroupInfo(k, s->dev->id, CL_KERNEL_LOCAL_MEM_SIZE, sizeof used, &used, NULL);
    if (e != CL_SUCCESS) {
        snprintf(why, n, "the persistent kernel's local memory could not be queried (%s)", ocl_err_name(e));
        return false;
    }
    const cl_ulong args = (cl_ulong)(bytes[0] + bytes[1] + bytes[2]);
    if (used < args) used = args;
    const cl_ulong have = s->dev->desc.local_mem;
    /* margin: 1 KiB or 1/16 of the device's local memory, whichever is larger */
    const cl_ulong margin = have / 16 > 1024 ? have / 16 : 1024;
    if (used + margin > have) {
        snprintf(why, n,
                 "the persistent kernel needs %llu bytes of local memory (CL_KERNEL_LOCAL_MEM_SIZE, at least its "
                 "__local arguments) plus a margin of %llu, the device has %llu",
                 (unsigned long long)used, (unsigned long long)margin, (unsigned long long)have);
        return false;
    }
    snprintf(why, n, "%llu bytes of local memory (CL_KERNEL_LOCAL_MEM_SIZE, at least its __local arguments) of the "
                     "device's %llu, work-group <= %zu",
             (unsigned long long)used, (unsigned long long)have, s->kmax[K_sq_rec_persistent]);
    return true;
}

ocl_rec_path ocl_rec_choose(ocl_session *s, const ocl_rec *r, ocl_rec_mode mode, int64_t B, char *why, size_t n)
{
    const ocl_profile *p = &s->dev->choice.profile;
    char fit[256];
    if (mode == OCL_MODE_GEMM) {
        snprintf(why, n, "gemm path (SEQRT_OPENCL_RECURRENT=gemm)");
        return OCL_PATH_GEMM;
    }
    if (mode == OCL_MODE_STEP) {
        snprintf(why, n, "step kernel, %s form (SEQRT_OPENCL_RECURRENT=step%s)", ocl_step_form_name(r->step.form),
                 r->step.forced ? ", SEQRT_OPENCL_STEP_FORM" : "");
        return OCL_PATH_STEP;
    }
    ocl_grid_plan g;
    if (mode == OCL_MODE_GRID) {
        if (ocl_grid_plan_make(s, r, B, &g, fit, sizeof fit)) {
            snprintf(why, n, "grid kernel (SEQRT_OPENCL_RECURRENT=grid): %s", fit);
            return OCL_PATH_GRID;
        }
        snprintf(why, n, "step kernel: SEQRT_OPENCL_RECURRENT=grid, but %s", fit);
        return OCL_PATH_STEP;
    }
    if (mode == OCL_MODE_PERSISTENT) {
        if (persistent_fits(s, r, fit, sizeof fit)) {
            snprintf(why, n, "persistent kernel (SEQRT_OPENCL_RECURRENT=persistent): %s", fit);
            return OCL_PATH_PERSISTENT;
        }
        snprintf(why, n, "step kernel: SEQRT_OPENCL_RECURRENT=persistent, but %s", fit);
        return OCL_PATH_STEP;
    }
    size_t bytes[3];
    ocl_persistent_local(r, bytes);
    const size_t local = bytes[0] + bytes[1] + bytes[2];
    const bool in_bounds = p->persistent_max_batch > 0 && B <= p->persistent_max_batch &&
                           r->H <= p->persistent_max_hidden && local <= (size_t)p->persistent_local_kib * 1024;
    if (in_bounds && persistent_fits(s, r, fit, sizeof fit)) {
        snprintf(why, n, "persistent kernel: batch %lld and hidden %lld within profile %s's bounds, %s",
                 (long long)B, (long long)r->H, s->dev->choice.name, fit);
        return OCL_PATH_PERSISTENT;
    }
    if (!in_bounds)
        snprintf(fit, sizeof fit,
                 "profile %s runs the persistent kernel for batch <= %d, hidden <= %d and %d KiB of local memory "
                 "(here batch %lld, hidden %lld, %zu bytes)",
                 s->dev->choice.name, p->persistent_max_batch, p->persistent_max_hidden, p->persistent_local_kib,
                 (long long)B, (long long)r->H, local);
    if (B <= p->grid_max_batch && ocl_grid_plan_make(s, r, B, &g, fit, sizeof fit)) {
        snprintf(why, n, "grid kernel: batch %lld <= %d (profile %s); %s", (long long)B, p->grid_max_batch,
                 s->dev->choice.name, fit);
        return OCL_PATH_GRID;
    }
    const int smax = p->step_max_batch;
    if (B <= smax) {
        snprintf(why, n, "step kernel (%s form%s): batch %lld <= %d (profile %s); %s",
                 ocl_step_form_name(r->step.form), r->step.forced ? ", SEQRT_OPENCL_STEP_FORM" : "", (long long)B,
                 smax, s->dev->choice.name, fit);
        return OCL_PATH_STEP;
    }
    snprintf(why, n, "gemm path: batch %lld > %d (profile %s's step bound); %s", (long long)B, smax,
             s->dev->choice.name, fit);
    return OCL_PATH_GEMM;
}
