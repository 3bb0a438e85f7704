/*
 * seqrt-bench: the timing method, peak memory, and runs of seqrt sessions.
 *
 * Timing (CLOCK_MONOTONIC), per series (bench_job): one first run, timed on
 * its own (first-run latency: lazy allocation, kernel compilation, weight
 * packing...); warm-up runs until the warm-up time has passed; then measured
 * runs in slices, which bench_main.c interleaves across the series of a case,
 * until the budget of measured time is spent: at least one run, at most
 * --max-reps. The statistics are over the measured runs only: median, min,
 * p90 (nearest rank), mean.
 *
 * Peak memory: before a session is created the program returns freed heap
 * to the kernel (malloc_trim), resets the process's resident-set high-water
 * mark (writing 5 to /proc/self/clear_refs, Linux >= 4.0) and reads VmRSS;
 * after the first run and warm-up (before the interleaved rounds) it reads
 * VmHWM from /proc/self/status. Peak = VmHWM - VmRSS at the mark: the host
 * memory that the session (weights, work buffers, outputs) and its runs
 * added at their worst. Device memory of a GPU is not
 * included. Where clear_refs cannot be written the column reads -1 (n/a).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_job_init(bench_job *j, bench_stats *out, bench_fn fn, void *ctx, void (*release)(void *ctx))
{
    int64_t mark = j->mem_mark;
    memset(j, 0, sizeof *j);
    j->mem_mark = mark;
    j->out = out;
    j->fn = fn;
    j->ctx = ctx;
    j->release = release;
    j->live = 1;
}

static void job_fail(bench_job *j, const char *fmt, int rep, const char *err)
{
    j->out->state = BENCH_FAILED;
    snprintf(j->out->note, sizeof j->out->note, fmt, rep, err);
    j->live = 0;
}

int bench_job_begin(bench_job *j, const bench_opts *opts)
{
    char err[256] = "";
    if (!j->live) return -1;
    j->cap = opts->max_reps > 0 ? opts->max_reps : 1;
    j->t = malloc(sizeof *j->t * (size_t)j->cap);
    if (!j->t) {
        job_fail(j, "out of memory%.0d%s", 0, "");
        return -1;
    }
    double t0 = bench_now_s();
    if (j->fn(j->ctx, err, sizeof err) != 0) {
        job_fail(j, "first run failed%.0d: %s", 0, err);
        return -1;
    }
    double first = bench_now_s() - t0;
    j->out->first_ms = 1e3 * first;
    /* warm-up: skipped when the first run alone took most of the budget */
    int warm = 0;
    if (first < 0.5 * opts->budget_s) {
        double w0 = bench_now_s();
        do {
            if (j->fn(j->ctx, err, sizeof err) != 0) {
                job_fail(j, "warm-up run %d failed: %s", warm + 1, err);
                return -1;
            }
            warm++;
        } while (bench_now_s() - w0 < opts->warmup_s && warm < opts->max_reps);
    }
    j->out->warmup = warm;
    if (j->mem_mark >= 0) j->out->peak_mb = bench_mem_peak_mb(j->mem_mark);
    return 0;
}

int bench_job_pending(const bench_job *j, const bench_opts *opts)
{
    return j->live && j->t && j->total < opts->budget_s && j->n < j->cap;
}

void bench_job_slice(bench_job *j, double slice_s, const bench_opts *opts)
{
    char err[256] = "";
    double s0 = bench_now_s();
    while (bench_job_pending(j, opts)) {
        double a = bench_now_s();
        if (j->fn(j->ctx, err, sizeof err) != 0) {
            job_fail(j, "run %d failed: %s", j->n + 1, err);
            return;
        }
        double b = bench_now_s();
        j->t[j->n++] = b - a;
        j->total += b - a;
        if (b - s0 >= slice_s) break;
    }
}

void bench_job_end(bench_job *j)
{
    if (j->live && j->n > 0) {
        double *t = j->t;
        int n = j->n;
        qsort(t, (size_t)n, sizeof *t, cmp_double);
        bench_stats *o = j->out;
        o->reps = n;
        o->min_ms = 1e3 * t[0];
        o->median_ms = 1e3 * (n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]));
        int k = (int)ceil(0.9 * n) - 1;
        o->p90_ms = 1e3 * t[k < 0 ? 0 : k];
        o->mean_ms = 1e3 * j->total / n;
        o->state = BENCH_OK;
    }
    if (j->release && j->ctx) j->release(j->ctx);
    free(j->t);
    j->t = NULL;
    j->ctx = NULL;
    j->live = 0;
}

/* ------------------------------------------------------------ memory */

static int g_mem_exact = -1;

static int64_t status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    size_t kl = strlen(key);
    int64_t v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = strtoll(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

int64_t bench_mem_mark(void)
{
    malloc_trim(0);
    FILE *f = fopen("/proc/self/clear_refs", "w");
    int ok = 0;
    if (f) {
        ok = fputs("5", f) >= 0;
        ok = (fclose(f) == 0) && ok;
    }
    if (g_mem_exact != 0) g_mem_exact = ok;
    int64_t rss = status_kb("VmRSS");
    return rss < 0 ? -1 : rss * 1024;
}

double bench_mem_peak_mb(int64_t mark)
{
    if (g_mem_exact != 1 || mark < 0) return -1;
    int64_t hwm = status_kb("VmHWM");
    if (hwm < 0) return -1;
    double d = (double)(hwm * 1024 - mark) / (1024.0 * 1024.0);
    return d < 0 ? 0 : d;
}

int bench_mem_exact(void) { return g_mem_exact != 0; }

/* ------------------------------------------------------------ inputs */

static uint32_t g_seed = 0x2545F491u;

static float rnd(void)
{
    uint32_t x = g_seed;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    g_seed = x;
    return (float)((double)x / 4294967296.0);
}

int bench_make_inputs(const bench_case *c, seqrt_tensor **tensors, char *err, size_t err_size)
{
    for (int i = 0; i < c->nin; i++) tensors[i] = NULL;
    for (int i = 0; i < c->nin; i++) {
        const bench_input *in = &c->in[i];
        if (seqrt_tensor_create(&tensors[i], in->dtype, in->rank, in->dims) != SEQRT_OK) {
            snprintf(err, err_size, "input %s: %s", in->name, seqrt_last_error());
            for (int j = 0; j < i; j++) seqrt_tensor_free(tensors[j]);
            return -1;
        }
        size_t n = seqrt_tensor_count(tensors[i]);
        void *d = seqrt_tensor_data(tensors[i]);
        for (size_t k = 0; k < n; k++) {
            double v = 0;
            switch (in->fill) {
            case BENCH_FILL_RANDOM: v = 2.0 * rnd() - 1.0; break;
            case BENCH_FILL_IDS: v = floor(rnd() * (double)in->hi); break;
            case BENCH_FILL_LENGTHS: v = (double)c->T; break;
            default: v = 0; break;
            }
            if (in->dtype == SEQRT_F32) ((float *)d)[k] = (float)v;
            else if (in->dtype == SEQRT_I32) ((int32_t *)d)[k] = (int32_t)v;
            else ((int64_t *)d)[k] = (int64_t)v;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ seqrt */

typedef struct run_ctx {
    seqrt_session *s;
    seqrt_tensor *const *inputs;
    size_t n;
} run_ctx;

static int run_once(void *p, char *err, size_t err_size)
{
    run_ctx *r = p;
    seqrt_status st = seqrt_session_run(r->s, (const seqrt_tensor *const *)r->inputs, r->n);
    if (st != SEQRT_OK) {
        snprintf(err, err_size, "%s: %s", seqrt_status_str(st), seqrt_last_error());
        return -1;
    }
    return 0;
}

static void run_release(void *p)
{
    run_ctx *r = p;
    seqrt_session_free(r->s);
    free(r);
}

int bench_seqrt_job(const bench_case *c, const seqrt_model *model, seqrt_tensor **inputs, const bench_device *dev,
                    const bench_opts *opts, bench_stats *out, bench_job *job)
{
    memset(out, 0, sizeof *out);
    out->peak_mb = -1;
    if (!strcmp(dev->backend, "reference") && c->flops > opts->ref_max_gflop * 1e9) {
        out->state = BENCH_SKIPPED;
        snprintf(out->note, sizeof out->note, "reference backend: %.1f GFLOP per run > --ref-max-gflop %g",
                 c->flops * 1e-9, opts->ref_max_gflop);
        return -1;
    }
    run_ctx *r = calloc(1, sizeof *r);
    if (!r) {
        out->state = BENCH_FAILED;
        snprintf(out->note, sizeof out->note, "out of memory");
        return -1;
    }
    job->mem_mark = bench_mem_mark();
    double t0 = bench_now_s();
    seqrt_status st = seqrt_session_create(&r->s, model, dev->dev, NULL);
    out->create_ms = 1e3 * (bench_now_s() - t0);
    if (st != SEQRT_OK) {
        out->state = st == SEQRT_ERR_UNSUPPORTED ? BENCH_SKIPPED : BENCH_FAILED;
        snprintf(out->note, sizeof out->note, "session: %s: %s", seqrt_status_str(st), seqrt_last_error());
        free(r);
        return -1;
    }
    r->inputs = inputs;
    r->n = (size_t)c->nin;
    bench_job_init(job, out, run_once, r, run_release);
    return 0;
}
