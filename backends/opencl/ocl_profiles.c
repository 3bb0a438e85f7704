/*
 * Vendor dispatch, part 2: the kernel profiles, as data. In the spirit of
 * CLBlast's database, the table is keyed vendor -> architecture -> device,
 * with a "default" entry at each level:
 *
 *   1. the vendor: the device's own (ocl_vendor.c) or SEQRT_OPENCL_VENDOR;
 *   2. the architecture: an exact key ("SM8.6", "gfx1030", "Xe-HPG", "cpu"),
 *      else the vendor's "default";
 *   3. the device: the longest device-name prefix listed under that
 *      architecture, else its "default".
 *
 * Every vendor has a "default"/"default" row, so any device gets a profile.
 * Each row gives the work-group sizes, vector width, whether subgroups are
 * used, when the persistent recurrent kernel runs (batch, hidden size and
 * local memory bounds), whether the oneDNN route applies (Intel GPUs) and
 * the CLBlast parameters to override. The values come from each vendor's
 * optimisation guides (wavefront/warp/SIMD widths, local memory per
 * work-group) and, for PoCL, from measurements (docs/opencl.md).
 */
#include <stdio.h>
#include <string.h>

#include "ocl_internal.h"

/* ------------------------------------------------------------ CLBlast overrides */

/* CLBlast chooses between its one-kernel "direct" GEMM and the tiled
 * "indirect" one by m*n*k against XGEMM_MIN_INDIRECT_SIZE^3; recurrent steps
 * (m = batch) belong on the direct kernel. */
#define GEMM_ROUTINE(size) {"GemmRoutine", 1, {"XGEMM_MIN_INDIRECT_SIZE"}, {size}}

/* PoCL on x86 (measured on a busy 2-core AVX-512 host, docs/opencl.md):
 * none of six XgemmDirect candidates beat CLBlast's own default at the
 * recurrent step's shape (16x1024x256), and its indirect kernel was slower
 * than the direct one at the input projections' (1600x2048x128): keep every
 * GEMM of an LSTM-sized layer on the direct kernel, with CLBlast's
 * parameters. */
static const ocl_clblast_override g_cpu_clblast[] = {
    GEMM_ROUTINE(1024),
};
/* GPUs: no overrides. The rows had design values (CLBlast's own vendor
 * defaults for XgemmDirect, a GemmRoutine switch point) that were never
 * measured on a GPU; on NVIDIA, AMD and Intel GPUs CLBlast brings its own
 * tuned database per device, which an unmeasured override would replace,
 * and since the step kernels (kernels/step.cl) the recurrent steps of small
 * batches no longer call CLBlast at all. Add a row's overrides only with a
 * measurement on that device (bench/baseline_clblast.c gives the ratio). */
#define N_OF(a) (int)(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ the table */

/* The step path (kernels/step.cl, step_rows.c): auto runs it for B <= 8,
 * CPUs in the units form (measured on PoCL: 6-8x the gemm path at B=1,
 * docs/opencl.md), GPUs in the rows form: on an H200 the units form ran a
 * B=1 H=512 LSTM step in 124 us against the gemm path's 36.8 (a few warps
 * on 132 SMs); the rows form's work-group of 256, 32 lanes per row (one
 * float4 each: 512 contiguous bytes per row and pass) and 2 units per group
 * (8 LSTM rows: one row per slot, 256 groups at H=512) are design values
 * from warp and wavefront widths until a GPU run retunes them
 * (SEQRT_OPENCL_STEP_ROWS_WG, _LANES, _UNITS). */
/* The grid kernel (kernels/grid.cl): never in auto until a GPU run has
 * measured it against the step kernels (SEQRT_OPENCL_RECURRENT=grid forces
 * it); one work-group per compute unit, a barrier polled up to 2^20 times
 * (on a GPU a barrier of all groups takes microseconds). PoCL started the
 * second of two work-groups up to ~3 million polls after the first
 * (measured with a probe kernel), so the CPU row polls up to 2^24 times:
 * with it, 1469 of 1542 grid runs of the quick set completed every barrier
 * on PoCL (the rest went on on the step kernels). */
#define GRID_NEVER 0, 1, 1 << 20
#define GRID_CPU 0, 1, 1 << 24
#define STEP_UNITS 8, OCL_STEP_UNITS, 64, 8, 2
#define STEP_ROWS(wg, lanes, units) 8, OCL_STEP_ROWS, wg, lanes, units

/*  wg, reduce_wg, vec, softmax_wg_min, subgroups,
 *  persistent: max_batch, max_hidden, local_kib, wg,  onednn, clblast overrides,
 *  step: max_batch, form, rows wg, rows lanes, rows units,  grid: max_batch, groups per CU, spin */
const ocl_profile_entry ocl_profile_table[] = {
    /* ---- generic: PoCL and other CPU runtimes, unknown GPUs */
    {"generic", "default", "default", {64, 64, 4, 2048, false, 8, 64, 32, 64, false, NULL, 0, STEP_UNITS, GRID_NEVER}},
    {"generic", "gpu", "default", {128, 128, 4, 1024, false, 8, 64, 32, 128, false, NULL, 0, STEP_ROWS(256, 32, 2), GRID_NEVER}},
    /* CPU: local memory is ordinary memory, work-groups are loops. The
     * step kernels beat the persistent kernel on PoCL at every shape
     * measured (LSTM T=100: B=1 H=128 1.6x, B=4 H=64 1.5x, B=4 H=128 2.4x,
     * B=8 H=64 1.9x; docs/opencl.md), so auto never picks it here
     * (max_batch 0; SEQRT_OPENCL_RECURRENT=persistent still runs it). */
    {"generic", "cpu", "default",
     {64, 64, 8, 4096, false, 0, 128, 512, 64, false, g_cpu_clblast, N_OF(g_cpu_clblast), STEP_UNITS, GRID_CPU}},

    /* ---- AMD: wavefronts of 64 (GCN/CDNA) or 32 (RDNA), 64 KiB LDS */
    {"amd", "default", "default",
     {256, 256, 4, 1024, false, 16, 128, 64, 256, false, NULL, 0, STEP_ROWS(256, 32, 2), GRID_NEVER}},
    {"amd", "gfx90a", "default",
     {256, 256, 4, 1024, false, 32, 128, 64, 256, false, NULL, 0, STEP_ROWS(256, 32, 2), GRID_NEVER}},
    {"amd", "gfx1030", "default",
     {128, 128, 4, 1024, false, 16, 128, 64, 128, false, NULL, 0, STEP_ROWS(256, 32, 2), GRID_NEVER}},

    /* ---- Intel GPUs: SIMD8-32, 64 KiB SLM; subgroups; oneDNN route */
    {"intel", "default", "default",
     {128, 128, 4, 1024, true, 8, 64, 64, 128, true, NULL, 0, STEP_ROWS(128, 16, 2), GRID_NEVER}},
    {"intel", "Gen9", "default",
     {128, 128, 4, 1024, true, 8, 64, 64, 128, true, NULL, 0, STEP_ROWS(128, 16, 2), GRID_NEVER}},
    {"intel", "Xe-HPG", "default",
     {256, 256, 4, 1024, true, 16, 128, 64, 256, true, NULL, 0, STEP_ROWS(128, 16, 2), GRID_NEVER}},
    {"intel", "Xe-HPC", "default",
     {256, 256, 4, 1024, true, 32, 128, 128, 256, true, NULL, 0, STEP_ROWS(128, 16, 2), GRID_NEVER}},

    /* ---- NVIDIA: warps of 32, 48 KiB of local memory per work-group */
    {"nvidia", "default", "default",
     {128, 256, 4, 1024, false, 32, 96, 48, 256, false, NULL, 0, STEP_ROWS(256, 32, 2), GRID_NEVER}},
    {"nvidia", "SM8.0", "default",
     {256, 256, 4, 1024, false, 64, 96, 48, 256, false, NULL, 0, STEP_ROWS(256, 32, 2), GRID_NEVER}},
    {"nvidia", "SM8.6", "default",
     {128, 256, 4, 1024, false, 32, 96, 48, 256, false, NULL, 0, STEP_ROWS(256, 32, 2), GRID_NEVER}},
    {"nvidia", "SM8.9", "default",
     {128, 256, 4, 1024, false, 32, 96, 48, 256, false, NULL, 0, STEP_ROWS(256, 32, 2), GRID_NEVER}},
};
const int ocl_profile_table_size = N_OF(ocl_profile_table);

/* ------------------------------------------------------------ lookup */

static int pow2_floor(size_t v)
{
    int p = 1;
    while ((size_t)p * 2 <= v && p < (1 << 14)) p *= 2;
    return p;
}

/* Index of the row for (vendor, arch, device name), or -1. */
static int lookup(const char *vendor, const char *arch, const char *device)
{
    int best = -1, best_score = -1;
    size_t best_len = 0;
    for (int i = 0; i < ocl_profile_table_size; i++) {
        const ocl_profile_entry *e = &ocl_profile_table[i];
        if (strcmp(e->vendor, vendor)) continue;
        int score;
        if (!strcmp(e->arch, arch)) score = 2;
        else if (!strcmp(e->arch, "default")) score = 0;
        else continue;
        size_t len = 0;
        if (strcmp(e->device, "default")) {
            len = strlen(e->device);
            if (strncmp(device, e->device, len)) continue;
            score += 1;
        }
        if (score > best_score || (score == best_score && len > best_len)) {
            best = i;
            best_score = score;
            best_len = len;
        }
    }
    return best;
}

seqrt_status ocl_choose_profile(const ocl_desc *d, const char *forced, ocl_choice *out)
{
    memset(out, 0, sizeof *out);
    char vwhy[256];
    out->actual = ocl_vendor_normalise(d, vwhy, sizeof vwhy);
    out->vendor = out->actual;
    if (forced && *forced) {
        if (!ocl_vendor_parse(forced, &out->vendor))
            return sq_error(SEQRT_ERR_UNAVAILABLE,
                            "SEQRT_OPENCL_VENDOR='%s' is not a vendor profile; valid values: amd, intel, nvidia, "
                            "generic",
                            forced);
        out->forced = true;
    }
    ocl_arch(d, out->vendor, out->arch, sizeof out->arch);
    const char *vname = ocl_vendor_name(out->vendor);
    int row = lookup(vname, out->arch, d->name);
    if (row < 0) row = lookup("generic", "default", d->name); /* never: every vendor has a default */
    if (row < 0) return sq_error(SEQRT_ERR_INTERNAL, "opencl: the profile table has no generic/default row");
    const ocl_profile_entry *e = &ocl_profile_table[row];
    out->profile = e->p;
    snprintf(out->name, sizeof out->name, "%s/%s/%s", e->vendor, e->arch, e->device);

    /* Fit the profile to the device. */
    ocl_profile *p = &out->profile;
    size_t maxwg = d->max_wg ? d->max_wg : 1;
    if (p->wg > 0 && (size_t)p->wg > maxwg) p->wg = pow2_floor(maxwg);
    if (p->reduce_wg < 1) p->reduce_wg = 1;
    if ((size_t)p->reduce_wg > maxwg) p->reduce_wg = pow2_floor(maxwg);
    p->reduce_wg = pow2_floor((size_t)p->reduce_wg);
    if ((size_t)p->persistent_wg > maxwg) p->persistent_wg = pow2_floor(maxwg);
    if (p->persistent_wg < 1) p->persistent_wg = 1;
    if (p->vec != 1 && p->vec != 2 && p->vec != 4 && p->vec != 8) p->vec = 1;
    if (p->step_max_batch < 0) p->step_max_batch = 0;
    if (p->step_max_batch > 8) p->step_max_batch = 8;
    if (p->rows_wg < 1) p->rows_wg = 1;
    if ((size_t)p->rows_wg > maxwg) p->rows_wg = pow2_floor(maxwg);
    p->rows_wg = pow2_floor((size_t)p->rows_wg);
    if (p->rows_lanes < 1) p->rows_lanes = 1;
    if (p->rows_lanes > p->rows_wg) p->rows_lanes = p->rows_wg;
    p->rows_lanes = pow2_floor((size_t)p->rows_lanes);
    if (p->rows_units < 1) p->rows_units = 1;
    if (p->grid_max_batch < 0) p->grid_max_batch = 0;
    if (p->grid_max_batch > 8) p->grid_max_batch = 8;
    if (p->grid_per_cu < 1) p->grid_per_cu = 1;
    if (p->grid_spin < 1) p->grid_spin = 1;
    bool wanted_subgroups = p->subgroups;
    p->subgroups = p->subgroups && d->has_subgroups;
    if (d->local_mem && (cl_ulong)p->persistent_local_kib * 1024 > d->local_mem)
        p->persistent_local_kib = (int)(d->local_mem / 1024);

    if (out->forced)
        snprintf(out->why, sizeof out->why,
                 "forced by SEQRT_OPENCL_VENDOR=%s (the device itself is %s: %s); profile %s%s", forced,
                 ocl_vendor_name(out->actual), vwhy, out->name,
                 wanted_subgroups && !p->subgroups ? "; subgroups off: the device lacks cl_khr_subgroups" : "");
    else
        snprintf(out->why, sizeof out->why, "%s: %s; architecture '%s'; profile %s%s", vname, vwhy, out->arch,
                 out->name,
                 wanted_subgroups && !p->subgroups ? "; subgroups off: the device lacks cl_khr_subgroups" : "");
    return SEQRT_OK;
}
