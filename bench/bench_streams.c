/*
 * seqrt-bench --streams N (docs/streams.md, docs/bench.md): N concurrent
 * streams of a language model taking one token each per step, two ways —
 * one stream pool stepping all N together (one batch of N), and N separate
 * streaming sessions of batch one stepping in turn. Both run the same
 * tokens; the two are measured in alternating rounds of the same run (the
 * machine's load hits both alike), and the report gives the aggregate
 * tokens/s of each way, median and minimum over the rounds, and the ratio
 * per round (pool / sessions), median and minimum.
 *
 *   seqrt-bench --streams 32 [--backend onednn] [--model FILE.json]
 *               [--rounds R] [--steps K]
 *
 * The model (default: the example char-LM, examples/charlm) must be
 * streamable and take one input of token ids; its other inputs, initial
 * states, are left to the pool and given as zeros to the sessions.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct sb_ctx {
    const seqrt_model *m;
    size_t nin, ids;            /* inputs; the token ids */
    int time_axis;
    int n, steps;
    seqrt_stream_pool *pool;
    seqrt_session **sessions;   /* [n] */
    seqrt_tensor **zeros;       /* [nin]: zeros of batch one for the state inputs */
    int32_t *tok;               /* [n] */
    seqrt_tensor **chunk;       /* [n]: [1, 1] over tok[i] */
    const seqrt_tensor **in;    /* [n * nin] */
    uint64_t *sid;
    int64_t V;
} sb_ctx;

static int fail(const char *what)
{
    fprintf(stderr, "seqrt-bench: error: %s: %s\n", what, seqrt_last_error());
    return 1;
}

static void next_tokens(sb_ctx *c, int step)
{
    for (int i = 0; i < c->n; i++) c->tok[i] = (int32_t)((i * 7 + step * 3) % c->V);
}

/* One round of `steps` steps through the pool; its seconds. */
static int pool_round(sb_ctx *c, double *dt)
{
    double t0 = bench_now_s();
    for (int k = 0; k < c->steps; k++) {
        next_tokens(c, k);
        for (int i = 0; i < c->n; i++) c->in[(size_t)i * c->nin + c->ids] = c->chunk[i];
        if (seqrt_stream_pool_step(c->pool, (size_t)c->n, c->sid, c->in)) return fail("pool step");
    }
    *dt = bench_now_s() - t0;
    return 0;
}

/* The same steps, each stream's token through its own session in turn. */
static int sessions_round(sb_ctx *c, double *dt)
{
    const seqrt_tensor *in[16];
    for (size_t q = 0; q < c->nin; q++) in[q] = c->zeros[q];
    double t0 = bench_now_s();
    for (int k = 0; k < c->steps; k++) {
        next_tokens(c, k);
        for (int i = 0; i < c->n; i++) {
            in[c->ids] = c->chunk[i];
            if (seqrt_session_run(c->sessions[i], in, c->nin)) return fail("session run");
        }
    }
    *dt = bench_now_s() - t0;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int setup(sb_ctx *c, const seqrt_device *dev)
{
    const seqrt_model *m = c->m;
    char why[512];
    if (!seqrt_model_streamable(m, why, sizeof why)) {
        fprintf(stderr, "seqrt-bench: error: model '%s' cannot stream: %s\n", seqrt_model_name(m), why);
        return 1;
    }
    c->nin = seqrt_model_input_count(m);
    int nseq = 0;
    for (size_t q = 0; q < c->nin; q++)
        if (seqrt_model_input_time_axis(m, q) >= 0) c->ids = q, nseq++;
    if (nseq != 1 || seqrt_model_input_dtype(m, c->ids) == SEQRT_F32 || c->nin > 16) {
        fprintf(stderr, "seqrt-bench: error: --streams needs a model taking one input of token ids (and initial "
                        "states)\n");
        return 1;
    }
    c->time_axis = seqrt_model_input_time_axis(m, c->ids);
    int rank;
    int64_t dims[SEQRT_MAX_RANK];
    if (seqrt_model_output_shape(m, 0, &rank, dims, NULL, 0) || dims[rank - 1] <= 0) return fail("output 0");
    c->V = dims[rank - 1];
    size_t n = (size_t)c->n;
    c->sessions = calloc(n, sizeof *c->sessions);
    c->zeros = calloc(c->nin, sizeof *c->zeros);
    c->tok = calloc(n, sizeof *c->tok);
    c->chunk = calloc(n, sizeof *c->chunk);
    c->in = calloc(n * c->nin, sizeof *c->in);
    c->sid = calloc(n, sizeof *c->sid);
    if (!c->sessions || !c->zeros || !c->tok || !c->chunk || !c->in || !c->sid) return fail("out of memory");
    for (size_t q = 0; q < c->nin; q++) {
        if (q == c->ids) continue;
        if (seqrt_model_input_shape(m, q, &rank, dims, NULL, 0)) return fail("input shape");
        for (int d = 0; d < rank; d++)
            if (dims[d] < 0) dims[d] = 1;
        if (seqrt_tensor_create(&c->zeros[q], SEQRT_F32, rank, dims)) return fail("zeros");
    }
    seqrt_stream_pool_options po = {.capacity = n};
    if (seqrt_stream_pool_create(&c->pool, m, dev, &po)) return fail("pool");
    seqrt_session_options so = {.streaming = 1};
    for (size_t i = 0; i < n; i++) {
        c->sid[i] = i;
        if (seqrt_stream_pool_start(c->pool, i, NULL, 0)) return fail("pool start");
        if (seqrt_session_create(&c->sessions[i], m, dev, &so)) return fail("session");
        if (seqrt_tensor_wrap(&c->chunk[i], SEQRT_I32, 2, (int64_t[]){1, 1}, &c->tok[i])) return fail("chunk");
    }
    return 0;
}

static void teardown(sb_ctx *c)
{
    for (int i = 0; c->sessions && i < c->n; i++) seqrt_session_free(c->sessions[i]);
    for (int i = 0; c->chunk && i < c->n; i++) seqrt_tensor_free(c->chunk[i]);
    for (size_t q = 0; c->zeros && q < c->nin; q++) seqrt_tensor_free(c->zeros[q]);
    seqrt_stream_pool_free(c->pool);
    free(c->sessions);
    free(c->zeros);
    free(c->tok);
    free(c->chunk);
    free(c->in);
    free(c->sid);
}

static int one_device(const char *spec, const seqrt_model *m, int n, int rounds, int steps)
{
    const seqrt_device *dev;
    if (seqrt_device_find(&dev, spec)) return fail(spec);
    seqrt_device_info di;
    seqrt_device_get_info(dev, &di);
    sb_ctx c = {.m = m, .n = n, .steps = steps};
    int rc = setup(&c, dev);
    double *pool_tps = calloc((size_t)rounds, sizeof(double)), *sess_tps = calloc((size_t)rounds, sizeof(double)),
           *ratio = calloc((size_t)rounds, sizeof(double));
    if (!rc && (!pool_tps || !sess_tps || !ratio)) rc = fail("out of memory");
    /* a warm-up round of each, then the measured rounds, alternating */
    double dp, ds;
    if (!rc) rc = pool_round(&c, &dp) || sessions_round(&c, &ds);
    double tokens = (double)n * (double)steps;
    for (int r = 0; !rc && r < rounds; r++) {
        if (r % 2 == 0) rc = pool_round(&c, &dp) || sessions_round(&c, &ds);
        else rc = sessions_round(&c, &ds) || pool_round(&c, &dp);
        pool_tps[r] = tokens / dp;
        sess_tps[r] = tokens / ds;
        ratio[r] = pool_tps[r] / sess_tps[r];
    }
    if (!rc) {
        double pmin = pool_tps[0], smin = sess_tps[0], rmin = ratio[0];
        for (int r = 1; r < rounds; r++) {
            if (pool_tps[r] < pmin) pmin = pool_tps[r];
            if (sess_tps[r] < smin) smin = sess_tps[r];
            if (ratio[r] < rmin) rmin = ratio[r];
        }
        printf("%s (%s): model '%s', %d streams, %d rounds x %d steps of one token\n", spec, di.name,
               seqrt_model_name(m), n, rounds, steps);
        printf("  pool, one step of %d streams:      %10.0f tokens/s median, %10.0f min\n", n, median(pool_tps, rounds),
               pmin);
        printf("  %d sessions of batch 1 in turn:   %10.0f tokens/s median, %10.0f min\n", n, median(sess_tps, rounds),
               smin);
        printf("  ratio pool / sessions, per round: %10.2fx median, %9.2fx min\n", median(ratio, rounds), rmin);
    }
    free(pool_tps);
    free(sess_tps);
    free(ratio);
    teardown(&c);
    return rc;
}

int bench_streams_main(int argc, char **argv)
{
    int n = 0, rounds = 9, steps = 20;
    const char *model = SEQRT_BENCH_CHARLM, *backends = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *num = !strcmp(a, "--streams") ? &n : !strcmp(a, "--rounds") ? &rounds : !strcmp(a, "--steps") ? &steps : NULL;
        if (num) {
            char *end;
            long x = v ? strtol(v, &end, 10) : 0;
            if (!v || *end || x < 1 || x > 100000) {
                fprintf(stderr, "seqrt-bench: error: %s needs a whole number from 1 to 100000\n", a);
                return 2;
            }
            *num = (int)x;
            i++;
        } else if (!strcmp(a, "--model") && v) {
            model = v, i++;
        } else if (!strcmp(a, "--backend") && v) {
            backends = v, i++;
        } else {
            fprintf(stderr, "seqrt-bench: error: with --streams the options are --backend, --model, --rounds, "
                            "--steps; not '%s'\n", a);
            return 2;
        }
    }
    seqrt_model *m;
    if (seqrt_model_load(&m, model, NULL)) return fail(model);
    int rc = 0;
    char list[512];
    snprintf(list, sizeof list, "%s", backends ? backends : "");
    if (!backends) { /* every available device 0 */
        size_t at = 0;
        for (size_t b = 0; b < seqrt_backend_count() && at < sizeof list; b++) {
            seqrt_backend_info bi;
            if (seqrt_backend_get_info(b, &bi) || !bi.available) continue;
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", at ? "," : "", bi.name);
        }
    }
    char *save = NULL;
    for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) rc |= one_device(s, m, n, rounds, steps);
    seqrt_model_free(m);
    return rc;
}
