/*
 * seqrt-bench baseline for OpenCL devices: CLBlast's sgemm at the case's
 * GEMM shapes (see baseline_dnnl.c for which), on each OpenCL device the ICD
 * loader lists, in platform order. One context and in-order queue per
 * device, kept for the whole run; a run enqueues every GEMM and waits with
 * clFinish. The first run includes CLBlast's kernel compilation and is
 * reported as first-run latency, not in the statistics.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifndef SEQRT_BENCH_HAVE_CLBLAST

int bench_cl_devices(char names[][128], int max, char *why, size_t n)
{
    (void)names, (void)max;
    snprintf(why, n, "CLBlast/OpenCL not found when seqrt-bench was built (install libclblast-dev, "
                     "ocl-icd-opencl-dev and rebuild)");
    return 0;
}

int bench_clblast_job(const bench_case *c, int cl_index, bench_stats *out, bench_job *job)
{
    (void)c, (void)cl_index, (void)job;
    memset(out, 0, sizeof *out);
    out->state = BENCH_SKIPPED;
    out->peak_mb = -1;
    bench_cl_devices(NULL, 0, out->note, sizeof out->note);
    return -1;
}

void bench_clblast_release(void) {}

#else

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <clblast_c.h>

typedef struct cl_dev {
    cl_device_id id;
    cl_context ctx;
    cl_command_queue q;
} cl_dev;

static cl_dev g_dev[BENCH_MAX_CL];
static int g_ndev = -1;

int bench_cl_devices(char names[][128], int max, char *why, size_t n)
{
    if (g_ndev < 0) {
        g_ndev = 0;
        cl_platform_id plats[8];
        cl_uint np = 0;
        if (clGetPlatformIDs(8, plats, &np) != CL_SUCCESS || np == 0) {
            snprintf(why, n, "no OpenCL platform (ICD loader found none)");
            return 0;
        }
        for (cl_uint p = 0; p < np && p < 8; p++) {
            cl_device_id ids[BENCH_MAX_CL];
            cl_uint nd = 0;
            if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, BENCH_MAX_CL, ids, &nd) != CL_SUCCESS) continue;
            for (cl_uint d = 0; d < nd && g_ndev < BENCH_MAX_CL; d++) g_dev[g_ndev++].id = ids[d];
        }
    }
    if (g_ndev == 0) snprintf(why, n, "no OpenCL device");
    for (int i = 0; names && i < g_ndev && i < max; i++) {
        names[i][0] = '\0';
        clGetDeviceInfo(g_dev[i].id, CL_DEVICE_NAME, 128, names[i], NULL);
        names[i][127] = '\0';
    }
    return g_ndev < max ? g_ndev : max;
}

typedef struct cl_gemm_ctx {
    const bench_case *c;
    cl_dev *d;
    cl_mem a, b, o;
} cl_gemm_ctx;

static int cl_run(void *p, char *err, size_t err_size)
{
    cl_gemm_ctx *g = p;
    for (int i = 0; i < g->c->ngemm; i++) {
        const bench_gemm *s = &g->c->gemm[i];
        for (int64_t r = 0; r < s->count; r++) {
            CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                                                (size_t)s->M, (size_t)s->N, (size_t)s->K, 1.0f, g->a, 0,
                                                (size_t)s->K, g->b, 0, (size_t)s->K, s->accumulate ? 1.0f : 0.0f,
                                                g->o, 0, (size_t)s->N, &g->d->q, NULL);
            if (st != CLBlastSuccess) {
                snprintf(err, err_size, "CLBlastSgemm(%lld x %lld x %lld): status %d", (long long)s->M,
                         (long long)s->N, (long long)s->K, (int)st);
                return -1;
            }
        }
    }
    cl_int e = clFinish(g->d->q);
    if (e != CL_SUCCESS) {
        snprintf(err, err_size, "clFinish: %d", (int)e);
        return -1;
    }
    return 0;
}

static void cl_release(void *p)
{
    cl_gemm_ctx *g = p;
    if (g->a) clReleaseMemObject(g->a);
    if (g->b) clReleaseMemObject(g->b);
    if (g->o) clReleaseMemObject(g->o);
    free(g);
}

int bench_clblast_job(const bench_case *c, int cl_index, bench_stats *out, bench_job *job)
{
    memset(out, 0, sizeof *out);
    out->peak_mb = -1;
    char why[256] = "";
    if (cl_index < 0 || cl_index >= bench_cl_devices(NULL, BENCH_MAX_CL, why, sizeof why)) {
        out->state = BENCH_SKIPPED;
        snprintf(out->note, sizeof out->note, "no matching OpenCL device for CLBlast%s%s", *why ? ": " : "", why);
        return -1;
    }
    if (c->ngemm == 0) {
        out->state = BENCH_SKIPPED;
        snprintf(out->note, sizeof out->note, "no GEMM in this model");
        return -1;
    }
    cl_dev *d = &g_dev[cl_index];
    cl_int e = CL_SUCCESS;
    double t0 = bench_now_s();
    if (!d->ctx) {
        d->ctx = clCreateContext(NULL, 1, &d->id, NULL, NULL, &e);
        if (e == CL_SUCCESS) d->q = clCreateCommandQueue(d->ctx, d->id, 0, &e);
        if (e != CL_SUCCESS) {
            out->state = BENCH_FAILED;
            snprintf(out->note, sizeof out->note, "OpenCL context/queue: error %d", (int)e);
            return -1;
        }
    }
    size_t a = 1, b = 1, o = 1;
    for (int i = 0; i < c->ngemm; i++) {
        const bench_gemm *s = &c->gemm[i];
        if ((size_t)(s->M * s->K) > a) a = (size_t)(s->M * s->K);
        if ((size_t)(s->N * s->K) > b) b = (size_t)(s->N * s->K);
        if ((size_t)(s->M * s->N) > o) o = (size_t)(s->M * s->N);
    }
    cl_gemm_ctx *g = calloc(1, sizeof *g);
    size_t most = a > b ? (a > o ? a : o) : (b > o ? b : o);
    float *host = calloc(most, sizeof(float));
    int ok = g && host;
    for (size_t i = 0; ok && i < most; i++) host[i] = (float)((i * 7919u) % 1000u) * 1e-4f;
    if (ok) {
        g->c = c, g->d = d;
        g->a = clCreateBuffer(d->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, a * sizeof(float), host, &e);
        if (e == CL_SUCCESS)
            g->b = clCreateBuffer(d->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, b * sizeof(float), host, &e);
        if (e == CL_SUCCESS)
            g->o = clCreateBuffer(d->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, o * sizeof(float), host, &e);
        ok = e == CL_SUCCESS;
    }
    free(host);
    out->create_ms = 1e3 * (bench_now_s() - t0);
    if (!ok) {
        if (g) cl_release(g);
        out->state = BENCH_FAILED;
        snprintf(out->note, sizeof out->note, "OpenCL buffers: error %d", (int)e);
        return -1;
    }
    job->mem_mark = -1;
    bench_job_init(job, out, cl_run, g, cl_release);
    return 0;
}

void bench_clblast_release(void)
{
    for (int i = 0; i < g_ndev; i++) {
        if (g_dev[i].q) clReleaseCommandQueue(g_dev[i].q);
        if (g_dev[i].ctx) clReleaseContext(g_dev[i].ctx);
        g_dev[i].q = NULL, g_dev[i].ctx = NULL;
    }
}

#endif
