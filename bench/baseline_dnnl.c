/*
 * seqrt-bench baselines from oneDNN (linked directly when CMake finds it):
 *
 *   dnnl_gemm  oneDNN's sgemm at the case's GEMM shapes: for each recurrent
 *              layer and direction the input projection (T*B x I -> G*H)
 *              and T recurrent GEMMs (B x H -> G*H), plus the other GEMMs
 *              the case counts (linear, attention). The time a backend
 *              would take if it did nothing but its GEMMs, back to back,
 *              with the vendor's sgemm: the "GEMM peak" at those shapes.
 *   dnnl_lstm  oneDNN's own LSTM primitive (forward inference, weights in
 *              the layout the primitive asks for, reordered once outside
 *              the timing), one primitive per layer, chained, for each
 *              plain LSTM stack of the model. Other layers (embedding,
 *              pooling, linear) are not included.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifndef SEQRT_BENCH_HAVE_DNNL

int bench_dnnl_available(char *version, size_t n)
{
    snprintf(version, n, "oneDNN not found when seqrt-bench was built (install libdnnl-dev and rebuild)");
    return 0;
}

static int missing(bench_stats *out)
{
    memset(out, 0, sizeof *out);
    out->state = BENCH_SKIPPED;
    out->peak_mb = -1;
    bench_dnnl_available(out->note, sizeof out->note);
    return -1;
}

int bench_dnnl_gemm_job(const bench_case *c, bench_stats *out, bench_job *job)
{
    (void)c, (void)job;
    return missing(out);
}

int bench_dnnl_lstm_job(const bench_case *c, bench_stats *out, bench_job *job)
{
    (void)c, (void)job;
    return missing(out);
}

#else

#include <oneapi/dnnl/dnnl.h>

int bench_dnnl_available(char *version, size_t n)
{
    const dnnl_version_t *v = dnnl_version();
    snprintf(version, n, "oneDNN %d.%d.%d (cpu runtime %s)", v->major, v->minor, v->patch,
             v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "other");
    return 1;
}

static float *rand_buf(size_t n, uint32_t *seed)
{
    float *p = malloc(sizeof *p * (n ? n : 1));
    if (!p) return NULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = *seed;
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        *seed = x;
        p[i] = (float)((double)x / 4294967296.0 - 0.5) * 0.1f;
    }
    return p;
}

/* ------------------------------------------------------------ sgemm */

typedef struct gemm_ctx {
    const bench_case *c;
    float *a[BENCH_MAX_GEMM], *b[BENCH_MAX_GEMM], *o[BENCH_MAX_GEMM];
} gemm_ctx;

static int gemm_run(void *p, char *err, size_t err_size)
{
    gemm_ctx *g = p;
    for (int i = 0; i < g->c->ngemm; i++) {
        const bench_gemm *s = &g->c->gemm[i];
        for (int64_t r = 0; r < s->count; r++) {
            dnnl_status_t st = dnnl_sgemm('N', 'T', s->M, s->N, s->K, 1.0f, g->a[i], s->K, g->b[i], s->K,
                                          s->accumulate ? 1.0f : 0.0f, g->o[i], s->N);
            if (st != dnnl_success) {
                snprintf(err, err_size, "dnnl_sgemm(%lld x %lld x %lld): status %d", (long long)s->M,
                         (long long)s->N, (long long)s->K, (int)st);
                return -1;
            }
        }
    }
    return 0;
}

static void gemm_release(void *p)
{
    gemm_ctx *g = p;
    for (int i = 0; i < g->c->ngemm; i++) free(g->a[i]), free(g->b[i]), free(g->o[i]);
    free(g);
}

int bench_dnnl_gemm_job(const bench_case *c, bench_stats *out, bench_job *job)
{
    memset(out, 0, sizeof *out);
    out->peak_mb = -1;
    if (c->ngemm == 0) {
        out->state = BENCH_SKIPPED;
        snprintf(out->note, sizeof out->note, "no GEMM in this model");
        return -1;
    }
    gemm_ctx *g = calloc(1, sizeof *g);
    uint32_t seed = 77;
    int ok = g != NULL;
    double t0 = bench_now_s();
    if (g) g->c = c;
    for (int i = 0; ok && i < c->ngemm; i++) {
        const bench_gemm *s = &c->gemm[i];
        g->a[i] = rand_buf((size_t)(s->M * s->K), &seed);
        g->b[i] = rand_buf((size_t)(s->N * s->K), &seed);
        g->o[i] = calloc((size_t)(s->M * s->N), sizeof(float));
        ok = g->a[i] && g->b[i] && g->o[i];
    }
    out->create_ms = 1e3 * (bench_now_s() - t0);
    if (!ok) {
        if (g) gemm_release(g);
        out->state = BENCH_FAILED;
        snprintf(out->note, sizeof out->note, "out of memory");
        return -1;
    }
    job->mem_mark = -1;
    bench_job_init(job, out, gemm_run, g, gemm_release);
    return 0;
}

/* ------------------------------------------------------------ LSTM primitive */

#define MAX_PRIMS (BENCH_MAX_RNN * 8)

typedef struct lstm_ctx {
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    int n;
    dnnl_primitive_t prim[MAX_PRIMS];
    dnnl_memory_t src[MAX_PRIMS], wl[MAX_PRIMS], wi[MAX_PRIMS], bias[MAX_PRIMS], dst[MAX_PRIMS];
} lstm_ctx;

static int lstm_run(void *p, char *err, size_t err_size)
{
    lstm_ctx *l = p;
    for (int i = 0; i < l->n; i++) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC_LAYER, l->src[i]},
                                  {DNNL_ARG_WEIGHTS_LAYER, l->wl[i]},
                                  {DNNL_ARG_WEIGHTS_ITER, l->wi[i]},
                                  {DNNL_ARG_BIAS, l->bias[i]},
                                  {DNNL_ARG_DST_LAYER, l->dst[i]}};
        dnnl_status_t st = dnnl_primitive_execute(l->prim[i], l->strm, 5, args);
        if (st != dnnl_success) {
            snprintf(err, err_size, "LSTM primitive %d: status %d", i, (int)st);
            return -1;
        }
    }
    dnnl_stream_wait(l->strm);
    return 0;
}

static void lstm_free(void *p)
{
    lstm_ctx *l = p;
    for (int i = 0; i < l->n; i++) {
        if (l->prim[i]) dnnl_primitive_destroy(l->prim[i]);
        if (l->src[i]) dnnl_memory_destroy(l->src[i]);
        if (l->wl[i]) dnnl_memory_destroy(l->wl[i]);
        if (l->wi[i]) dnnl_memory_destroy(l->wi[i]);
        if (l->bias[i]) dnnl_memory_destroy(l->bias[i]);
        if (l->dst[i]) dnnl_memory_destroy(l->dst[i]);
    }
    if (l->strm) dnnl_stream_destroy(l->strm);
    if (l->eng) dnnl_engine_destroy(l->eng);
    free(l);
}

/* Fills a memory object of layout `md` with random values: random plain
 * values in `plain_tag` layout, reordered into it. */
static int fill_reordered(lstm_ctx *l, dnnl_memory_t dst, int nd, const dnnl_dims_t dims, dnnl_format_tag_t plain_tag,
                          uint32_t *seed)
{
    dnnl_memory_desc_t pmd;
    if (dnnl_memory_desc_init_by_tag(&pmd, nd, dims, dnnl_f32, plain_tag) != dnnl_success) return -1;
    size_t count = dnnl_memory_desc_get_size(&pmd) / sizeof(float);
    float *vals = rand_buf(count, seed);
    if (!vals) return -1;
    dnnl_memory_t src = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    const dnnl_memory_desc_t *dmd = NULL;
    int rc = -1;
    if (dnnl_memory_create(&src, &pmd, l->eng, vals) == dnnl_success &&
        dnnl_memory_get_memory_desc(dst, &dmd) == dnnl_success &&
        dnnl_reorder_primitive_desc_create(&rpd, &pmd, l->eng, dmd, l->eng, NULL) == dnnl_success &&
        dnnl_primitive_create(&r, rpd) == dnnl_success) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
        if (dnnl_primitive_execute(r, l->strm, 2, args) == dnnl_success && dnnl_stream_wait(l->strm) == dnnl_success)
            rc = 0;
    }
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (src) dnnl_memory_destroy(src);
    free(vals);
    return rc;
}

static int lstm_layer(lstm_ctx *l, int64_t T, int64_t B, int64_t SLC, int64_t H, int D, uint32_t *seed, char *err,
                      size_t err_size)
{
    if (l->n == MAX_PRIMS) {
        snprintf(err, err_size, "too many layers");
        return -1;
    }
    int i = l->n++;
    dnnl_memory_desc_t src_md, wl_md, wi_md, b_md, dst_md;
    dnnl_dims_t src_d = {T, B, SLC}, wl_d = {1, D, SLC, 4, H}, wi_d = {1, D, H, 4, H}, b_d = {1, D, 4, H},
                dst_d = {T, B, D * H};
    dnnl_memory_desc_init_by_tag(&src_md, 3, src_d, dnnl_f32, dnnl_tnc);
    dnnl_memory_desc_init_by_tag(&wl_md, 5, wl_d, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&wi_md, 5, wi_d, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&b_md, 4, b_d, dnnl_f32, dnnl_ldgo);
    dnnl_memory_desc_init_by_tag(&dst_md, 3, dst_d, dnnl_f32, dnnl_tnc);
    dnnl_rnn_desc_t rd;
    dnnl_status_t st = dnnl_lstm_forward_desc_init(&rd, dnnl_forward_inference,
                                                   D == 2 ? dnnl_bidirectional_concat : dnnl_unidirectional_left2right,
                                                   &src_md, NULL, NULL, &wl_md, &wi_md, &b_md, &dst_md, NULL, NULL, 0);
    dnnl_primitive_desc_t pd = NULL;
    if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &rd, NULL, l->eng, NULL);
    if (st != dnnl_success) {
        snprintf(err, err_size, "LSTM primitive T=%lld B=%lld I=%lld H=%lld D=%d: status %d", (long long)T, (long long)B,
                 (long long)SLC, (long long)H, D, (int)st);
        return -1;
    }
    st = dnnl_primitive_create(&l->prim[i], pd);
    const dnnl_memory_desc_t *wl_real = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, DNNL_ARG_WEIGHTS_LAYER);
    const dnnl_memory_desc_t *wi_real = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, DNNL_ARG_WEIGHTS_ITER);
    if (st == dnnl_success) st = dnnl_memory_create(&l->src[i], &src_md, l->eng, DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success) st = dnnl_memory_create(&l->wl[i], wl_real, l->eng, DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success) st = dnnl_memory_create(&l->wi[i], wi_real, l->eng, DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success) st = dnnl_memory_create(&l->bias[i], &b_md, l->eng, DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success) st = dnnl_memory_create(&l->dst[i], &dst_md, l->eng, DNNL_MEMORY_ALLOCATE);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) {
        snprintf(err, err_size, "LSTM primitive memory: status %d", (int)st);
        return -1;
    }
    if (fill_reordered(l, l->wl[i], 5, wl_d, dnnl_ldigo, seed) || fill_reordered(l, l->wi[i], 5, wi_d, dnnl_ldigo, seed) ||
        fill_reordered(l, l->bias[i], 4, b_d, dnnl_ldgo, seed) || fill_reordered(l, l->src[i], 3, src_d, dnnl_tnc, seed)) {
        snprintf(err, err_size, "LSTM primitive: cannot fill the weights");
        return -1;
    }
    return 0;
}

int bench_dnnl_lstm_job(const bench_case *c, bench_stats *out, bench_job *job)
{
    memset(out, 0, sizeof *out);
    out->peak_mb = -1;
    int plain = 0;
    for (int i = 0; i < c->nrnn; i++) {
        if (!c->rnn[i].plain) {
            out->state = BENCH_SKIPPED;
            snprintf(out->note, sizeof out->note, "layer '%s' is not a plain LSTM", c->rnn[i].layer);
            return -1;
        }
        plain++;
    }
    if (!plain) {
        out->state = BENCH_SKIPPED;
        snprintf(out->note, sizeof out->note, "no LSTM in this model");
        return -1;
    }
    lstm_ctx *l = calloc(1, sizeof *l);
    if (!l) {
        out->state = BENCH_FAILED;
        snprintf(out->note, sizeof out->note, "out of memory");
        return -1;
    }
    char err[256] = "";
    uint32_t seed = 99;
    job->mem_mark = bench_mem_mark();
    double t0 = bench_now_s();
    int rc = 0;
    if (dnnl_engine_create(&l->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&l->strm, l->eng, dnnl_stream_default_flags) != dnnl_success) {
        snprintf(err, sizeof err, "cannot create a oneDNN CPU engine");
        rc = -1;
    }
    for (int i = 0; i < c->nrnn && !rc; i++) {
        const bench_rnn *r = &c->rnn[i];
        for (int k = 0; k < r->L && !rc; k++)
            rc = lstm_layer(l, r->T, r->B, k ? r->D * r->H : r->I, r->H, r->D, &seed, err, sizeof err);
    }
    out->create_ms = 1e3 * (bench_now_s() - t0);
    if (rc) {
        lstm_free(l);
        out->state = BENCH_FAILED;
        snprintf(out->note, sizeof out->note, "%s", err);
        return -1;
    }
    bench_job_init(job, out, lstm_run, l, lstm_free);
    return 0;
}

#endif
