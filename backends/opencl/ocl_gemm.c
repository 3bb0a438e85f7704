/*
 * GEMMs through CLBlast (row-major sgemm and strided-batched sgemm) on the
 * session's in-order queue, or through oneDNN on the Intel-GPU
 * route. Also the profile's CLBlast parameter overrides.
 *
 * CLBlast compiles its kernels at first use and keeps the binaries in an
 * in-process cache only; across processes, a second start relies on the
 * driver's own kernel cache (PoCL's ~/.cache/pocl, NVIDIA's ComputeCache,
 * ...): see docs/opencl.md for what that costs.
 */
#include <clblast_c.h>
#include <stdio.h>
#include <string.h>

#include "ocl_internal.h"

static const char *clblast_name(CLBlastStatusCode c)
{
    switch (c) {
    case CLBlastSuccess: return "success";
    case CLBlastOpenCLCompilerNotAvailable: return "OpenCL compiler not available";
    case CLBlastTempBufferAllocFailure: return "temporary buffer allocation failed";
    case CLBlastOpenCLOutOfResources: return "out of resources";
    case CLBlastOpenCLOutOfHostMemory: return "out of host memory";
    case CLBlastOpenCLBuildProgramFailure: return "kernel build failed";
    case CLBlastInvalidValue: return "invalid value";
    case CLBlastInvalidCommandQueue: return "invalid command queue";
    case CLBlastInvalidMemObject: return "invalid buffer";
    case CLBlastInvalidLocalMemUsage: return "not enough local memory";
    case CLBlastInvalidOverrideKernel: return "invalid override kernel";
    case CLBlastMissingOverrideParameter: return "missing override parameter";
    case CLBlastInvalidDimension: return "invalid dimension";
    case CLBlastInvalidLeadDimA: return "leading dimension of A too small";
    case CLBlastInvalidLeadDimB: return "leading dimension of B too small";
    case CLBlastInvalidLeadDimC: return "leading dimension of C too small";
    case CLBlastInsufficientMemoryA: return "buffer A too small";
    case CLBlastInsufficientMemoryB: return "buffer B too small";
    case CLBlastInsufficientMemoryC: return "buffer C too small";
    case CLBlastInvalidBatchCount: return "invalid batch count";
    case CLBlastInvalidLocalThreadsTotal: return "work-group too large";
    default: return c < 0 && c > -100 ? ocl_err_name((cl_int)c) : "CLBlast error";
    }
}

static seqrt_status clblast_fail(CLBlastStatusCode c, const char *what, size_t m, size_t n, size_t k, size_t batch)
{
    seqrt_status st = (c == CLBlastTempBufferAllocFailure || c == CLBlastOpenCLOutOfHostMemory)
                          ? SEQRT_ERR_OUT_OF_MEMORY
                          : SEQRT_ERR_DEVICE;
    return sq_error(st, "opencl: CLBlast %s %zux%zux%zu (batch %zu) failed: %s (%d)", what, m, n, k, batch,
                    clblast_name(c), (int)c);
}

seqrt_status ocl_clblast_overrides(cl_device_id dev, const ocl_profile *p)
{
    for (int i = 0; i < p->nclblast; i++) {
        const ocl_clblast_override *o = &p->clblast[i];
        CLBlastStatusCode c = CLBlastOverrideParameters(dev, o->kernel, CLBlastPrecisionSingle, (size_t)o->n,
                                                        (const char **)o->names, o->values);
        if (c != CLBlastSuccess)
            return sq_error(SEQRT_ERR_INTERNAL, "opencl: CLBlast rejects the profile's parameters for %s: %s (%d)",
                            o->kernel, clblast_name(c), (int)c);
    }
    return SEQRT_OK;
}

/* k == 0: C = beta * C, here only beta == 0 is needed (C zeroed). */
static seqrt_status gemm_empty(ocl_session *s, const ocl_gemm *g)
{
    size_t batch = g->batch > 1 ? g->batch : 1;
    for (size_t i = 0; i < batch; i++)
        for (size_t r = 0; r < g->m; r++) {
            seqrt_status st = ocl_zero(s, g->c, g->oc + i * g->sc + r * g->ldc, g->n);
            if (st) return st;
        }
    return SEQRT_OK;
}

seqrt_status ocl_gemm_run(ocl_session *s, const ocl_gemm *g)
{
    if (g->m == 0 || g->n == 0 || (g->batch > 1 ? g->batch : 1) == 0) return SEQRT_OK;
    if (g->k == 0) return gemm_empty(s, g);
    if (s->dnnl)
        return ocl_onednn_gemm(s->dnnl, g->ta, g->tb, g->m, g->n, g->k, g->alpha, g->a, g->oa, g->lda, g->sa, g->b,
                               g->ob, g->ldb, g->sb, g->beta, g->c, g->oc, g->ldc, g->sc, g->batch);
    const CLBlastTranspose ta = g->ta ? CLBlastTransposeYes : CLBlastTransposeNo;
    const CLBlastTranspose tb = g->tb ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastStatusCode c;
    if (g->batch <= 1) {
        c = OCL_FAULT("CLBlastSgemm", CLBlastOpenCLOutOfResources,
                      CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a, g->oa, g->lda,
                                   g->b, g->ob, g->ldb, g->beta, g->c, g->oc, g->ldc, &s->q, NULL));
        if (c != CLBlastSuccess) return clblast_fail(c, "sgemm", g->m, g->n, g->k, 1);
    } else {
        c = OCL_FAULT("CLBlastSgemmStridedBatched", CLBlastOpenCLOutOfResources,
                      CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a,
                                                 g->oa, g->lda, g->sa, g->b, g->ob, g->ldb, g->sb, g->beta, g->c,
                                                 g->oc, g->ldc, g->sc, g->batch, &s->q, NULL));
        if (c != CLBlastSuccess) return clblast_fail(c, "strided-batched sgemm", g->m, g->n, g->k, g->batch);
    }
    return SEQRT_OK;
}
