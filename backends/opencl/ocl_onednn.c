/*
 * The Intel-GPU route: on an Intel GPU for which oneDNN reports a GPU engine
 * (Debian's oneDNN is built with its OpenCL GPU runtime), the GEMMs of the
 * recurrent and linear layers run as oneDNN matmul primitives on the
 * session's own OpenCL context and in-order queue (dnnl_ocl.h interop), on
 * the session's own cl_mem buffers; the gate math stays in seqrt's kernels.
 *
 * oneDNN is opened with dlopen (libdnnl.so.<major of the headers>) only when
 * the vendor table selects this route (ocl_vendor.c), so the module never
 * depends on it. Kept deliberately small: no Intel GPU is reachable where
 * seqrt is tested, so the selection logic is unit-tested with a described
 * Intel GPU, and every other device falls back to CLBlast.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ocl_internal.h"

#if defined(__has_include)
#if __has_include(<oneapi/dnnl/dnnl_ocl.h>)
#define SQ_HAVE_DNNL_HEADERS 1
#endif
#endif

#ifdef SQ_HAVE_DNNL_HEADERS
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_ocl.h>
#include <oneapi/dnnl/dnnl_version.h>

/* The oneDNN functions the route calls, resolved once. */
#define DNNL_FUNCS(X)                                                                                              \
    X(dnnl_engine_get_count) X(dnnl_ocl_interop_engine_create) X(dnnl_ocl_interop_stream_create)                   \
    X(dnnl_ocl_interop_memory_create) X(dnnl_memory_desc_init_by_strides) X(dnnl_matmul_desc_init)                \
    X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) X(dnnl_primitive_attr_set_output_scales)         \
    X(dnnl_post_ops_create) X(dnnl_post_ops_append_sum) X(dnnl_post_ops_destroy) X(dnnl_primitive_attr_set_post_ops) \
    X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_create)                         \
    X(dnnl_primitive_destroy) X(dnnl_primitive_execute) X(dnnl_memory_destroy) X(dnnl_engine_destroy)             \
    X(dnnl_stream_destroy)

static struct {
#define DECL(f) __typeof__(&f) f;
    DNNL_FUNCS(DECL)
#undef DECL
    void *handle;
    bool ok;
} g_dnnl;
static pthread_once_t g_dnnl_once = PTHREAD_ONCE_INIT;

static void dnnl_open(void)
{
    char lib[32];
    snprintf(lib, sizeof lib, "libdnnl.so.%d", DNNL_VERSION_MAJOR);
    g_dnnl.handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!g_dnnl.handle) return;
    bool ok = true;
#define LOAD(f) ok = ok && (*(void **)&g_dnnl.f = dlsym(g_dnnl.handle, #f)) != NULL;
    DNNL_FUNCS(LOAD)
#undef LOAD
    g_dnnl.ok = ok;
}

int ocl_onednn_gpu_engines(void *unused)
{
    (void)unused;
    pthread_once(&g_dnnl_once, dnnl_open);
    if (!g_dnnl.ok) return -1;
    return (int)g_dnnl.dnnl_engine_get_count(dnnl_gpu);
}

struct ocl_onednn {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
};

seqrt_status ocl_onednn_create(cl_context ctx, cl_device_id dev, cl_command_queue q, ocl_onednn **out)
{
    *out = NULL;
    if (ocl_onednn_gpu_engines(NULL) <= 0)
        return sq_error(SEQRT_ERR_UNAVAILABLE, "opencl: oneDNN has no GPU engine");
    ocl_onednn *r = sq_calloc(1, sizeof *r);
    if (!r) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    if (g_dnnl.dnnl_ocl_interop_engine_create(&r->engine, dev, ctx) != dnnl_success ||
        g_dnnl.dnnl_ocl_interop_stream_create(&r->stream, r->engine, q) != dnnl_success) {
        ocl_onednn_free(r);
        return sq_error(SEQRT_ERR_DEVICE, "opencl: oneDNN cannot create an engine and stream on this device");
    }
    *out = r;
    return SEQRT_OK;
}

void ocl_onednn_free(ocl_onednn *r)
{
    if (!r) return;
    if (r->stream) g_dnnl.dnnl_stream_destroy(r->stream);
    if (r->engine) g_dnnl.dnnl_engine_destroy(r->engine);
    sq_free(r);
}

/* [batch, rows, cols] view of a row-major matrix with leading dimension ld,
 * transposed when `t` (stored as [cols, rows]). */
static dnnl_status_t matrix_md(dnnl_memory_desc_t *md, size_t batch, size_t rows, size_t cols, bool t, size_t ld,
                               size_t stride, size_t off)
{
    dnnl_dims_t dims = {(dnnl_dim_t)batch, (dnnl_dim_t)rows, (dnnl_dim_t)cols};
    dnnl_dims_t strides = {(dnnl_dim_t)stride, t ? 1 : (dnnl_dim_t)ld, t ? (dnnl_dim_t)ld : 1};
    dnnl_status_t st = g_dnnl.dnnl_memory_desc_init_by_strides(md, 3, dims, dnnl_f32, strides);
    md->offset0 = (dnnl_dim_t)off;
    return st;
}

seqrt_status ocl_onednn_gemm(ocl_onednn *r, bool ta, bool tb, size_t m, size_t n, size_t k, float alpha,
                             cl_mem a, size_t oa, size_t lda, size_t sa, cl_mem b, size_t ob, size_t ldb,
                             size_t sb, float beta, cl_mem c, size_t oc, size_t ldc, size_t sc, size_t batch)
{
    if (batch < 1) batch = 1;
    dnnl_memory_desc_t amd, bmd, cmd;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t ma = NULL, mb = NULL, mc = NULL;
    bool ok = matrix_md(&amd, batch, m, k, ta, lda, batch > 1 ? sa : m * k, oa) == dnnl_success &&
              matrix_md(&bmd, batch, k, n, tb, ldb, batch > 1 ? sb : k * n, ob) == dnnl_success &&
              matrix_md(&cmd, batch, m, n, false, ldc, batch > 1 ? sc : m * n, oc) == dnnl_success &&
              g_dnnl.dnnl_matmul_desc_init(&desc, &amd, &bmd, NULL, &cmd) == dnnl_success &&
              g_dnnl.dnnl_primitive_attr_create(&attr) == dnnl_success &&
              g_dnnl.dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha) == dnnl_success;
    if (ok && beta != 0.0f)
        ok = g_dnnl.dnnl_post_ops_create(&ops) == dnnl_success &&
             g_dnnl.dnnl_post_ops_append_sum(ops, beta) == dnnl_success &&
             g_dnnl.dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success;
    ok = ok && g_dnnl.dnnl_primitive_desc_create(&pd, &desc, attr, r->engine, NULL) == dnnl_success &&
         g_dnnl.dnnl_primitive_create(&prim, pd) == dnnl_success &&
         g_dnnl.dnnl_ocl_interop_memory_create(&ma, &amd, r->engine, dnnl_ocl_interop_buffer, a) == dnnl_success &&
         g_dnnl.dnnl_ocl_interop_memory_create(&mb, &bmd, r->engine, dnnl_ocl_interop_buffer, b) == dnnl_success &&
         g_dnnl.dnnl_ocl_interop_memory_create(&mc, &cmd, r->engine, dnnl_ocl_interop_buffer, c) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
        ok = g_dnnl.dnnl_primitive_execute(prim, r->stream, 3, args) == dnnl_success;
    }
    if (mc) g_dnnl.dnnl_memory_destroy(mc);
    if (mb) g_dnnl.dnnl_memory_destroy(mb);
    if (ma) g_dnnl.dnnl_memory_destroy(ma);
    if (prim) g_dnnl.dnnl_primitive_destroy(prim);
    if (pd) g_dnnl.dnnl_primitive_desc_destroy(pd);
    if (ops) g_dnnl.dnnl_post_ops_destroy(ops);
    if (attr) g_dnnl.dnnl_primitive_attr_destroy(attr);
    if (!ok)
        return sq_error(SEQRT_ERR_DEVICE, "opencl: oneDNN matmul %zux%zux%zu (batch %zu) failed", m, n, k, batch);
    return SEQRT_OK;
}

#else /* no oneDNN headers at build time: the route is never available */

int ocl_onednn_gpu_engines(void *unused)
{
    (void)unused;
    return -1;
}

seqrt_status ocl_onednn_create(cl_context ctx, cl_device_id dev, cl_command_queue q, ocl_onednn **out)
{
    (void)ctx, (void)dev, (void)q;
    *out = NULL;
    return sq_error(SEQRT_ERR_UNAVAILABLE, "opencl: built without oneDNN headers");
}

void ocl_onednn_free(ocl_onednn *r) { (void)r; }

seqrt_status ocl_onednn_gemm(ocl_onednn *r, bool ta, bool tb, size_t m, size_t n, size_t k, float alpha,
                             cl_mem a, size_t oa, size_t lda, size_t sa, cl_mem b, size_t ob, size_t ldb,
                             size_t sb, float beta, cl_mem c, size_t oc, size_t ldc, size_t sc, size_t batch)
{
    (void)r, (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)oa, (void)lda, (void)sa;
    (void)b, (void)ob, (void)ldb, (void)sb, (void)beta, (void)c, (void)oc, (void)ldc, (void)sc, (void)batch;
    return sq_error(SEQRT_ERR_UNAVAILABLE, "opencl: built without oneDNN headers");
}
#endif
