/*
 * The stream pool under threads (docs/streams.md: a pool is internally
 * locked): on every available device, 4 threads share one pool, each
 * stepping its own 3 streams (chunks of 1 to 3 tokens) for
 * SEQRT_POOL_THREAD_STEPS steps (default 30), ending and restarting one of
 * them halfway; every output must equal, bitwise on the reference and
 * within the conformance tolerance elsewhere, the same stream run alone in
 * a streaming session beforehand. Each thread also makes a bad call now
 * and then and checks that seqrt_last_error() holds its own message. Run
 * it under ThreadSanitizer too (tools/ci_sanitize.sh, build-tsan).
 * Plain C and pthreads (no Criterion), like test_concurrency.
 */
#define _DEFAULT_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqrt.h"

#define NTHREADS 4
#define PER 3
#define NSTREAMS (NTHREADS * PER)
#define V 12
#define MAXLEN 3

static int g_steps = 30;
static const seqrt_model *g_model;

static int chunk_len(int s, int k) { return 1 + (s + 2 * k) % MAXLEN; }
static int32_t token(int s, int k, int t) { return (int32_t)((s * 7 + k * 5 + t * 3) % V); }
/* stream s restarts (ends, starts again from zeros) at step g_steps / 2 when s % 3 == 0 */
static int restarts(int s, int k) { return s % 3 == 0 && k == g_steps / 2; }

typedef struct shared {
    const seqrt_device *dev;
    int exact;
    seqrt_stream_pool *pool;
    float *want;   /* [NSTREAMS][g_steps][MAXLEN * V]: output fc of each chunk alone */
} shared;

typedef struct worker {
    shared *sh;
    int id;
    int failures;
    char msg[512];
} worker;

static seqrt_tensor *chunk(int s, int k)
{
    int len = chunk_len(s, k);
    seqrt_tensor *t = NULL;
    if (seqrt_tensor_create(&t, SEQRT_I32, 2, (int64_t[]){len, 1})) return NULL;
    int32_t *p = seqrt_tensor_data(t);
    for (int i = 0; i < len; i++) p[i] = token(s, k, i);
    return t;
}

static float *want_at(shared *sh, int s, int k) { return sh->want + ((size_t)s * (size_t)g_steps + (size_t)k) * MAXLEN * V; }

/* Single-threaded: each stream alone in a streaming session. */
static int solo_runs(shared *sh)
{
    seqrt_session_options so = {.streaming = 1};
    for (int s = 0; s < NSTREAMS; s++) {
        seqrt_session *ss;
        if (seqrt_session_create(&ss, g_model, sh->dev, &so)) return -1;
        for (int k = 0; k < g_steps; k++) {
            if (restarts(s, k)) seqrt_session_reset(ss);
            seqrt_tensor *t = chunk(s, k);
            const seqrt_tensor *in[1] = {t};
            const seqrt_tensor *o;
            if (!t || seqrt_session_run(ss, in, 1) || seqrt_session_output(ss, 0, &o)) return -1;
            memcpy(want_at(sh, s, k), seqrt_tensor_data(o), seqrt_tensor_count(o) * sizeof(float));
            seqrt_tensor_free(t);
        }
        seqrt_session_free(ss);
    }
    return 0;
}

static void wfail(worker *w, const char *what)
{
    if (!w->failures++) snprintf(w->msg, sizeof w->msg, "thread %d: %s (%s)", w->id, what, seqrt_last_error());
}

static void *work(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    uint64_t ids[PER];
    for (int j = 0; j < PER; j++) ids[j] = (uint64_t)(w->id * PER + j);
    for (int j = 0; j < PER; j++)
        if (seqrt_stream_pool_start(sh->pool, ids[j], NULL, 0)) wfail(w, "start");
    for (int k = 0; k < g_steps && !w->failures; k++) {
        for (int j = 0; j < PER; j++)
            if (restarts((int)ids[j], k) &&
                (seqrt_stream_pool_end(sh->pool, ids[j]) || seqrt_stream_pool_start(sh->pool, ids[j], NULL, 0)))
                wfail(w, "restart");
        seqrt_tensor *t[PER];
        const seqrt_tensor *in[PER];
        for (int j = 0; j < PER; j++) in[j] = t[j] = chunk((int)ids[j], k);
        if (seqrt_stream_pool_step(sh->pool, PER, ids, in)) wfail(w, "step");
        for (int j = 0; j < PER && !w->failures; j++) {
            const seqrt_tensor *o;
            if (seqrt_stream_pool_output(sh->pool, ids[j], 0, &o)) {
                wfail(w, "output");
                break;
            }
            const float *a = seqrt_tensor_data(o), *b = want_at(sh, (int)ids[j], k);
            for (size_t i = 0; i < seqrt_tensor_count(o); i++) {
                int same = sh->exact ? !memcmp(&a[i], &b[i], sizeof(float))
                                     : fabs((double)a[i] - b[i]) <= 1e-4 + 1e-3 * fabs((double)b[i]);
                if (!same) {
                    char m[160];
                    snprintf(m, sizeof m, "stream %llu, step %d, [%zu] = %.9g, alone %.9g", (unsigned long long)ids[j],
                             k, i, a[i], b[i]);
                    wfail(w, m);
                    break;
                }
            }
        }
        for (int j = 0; j < PER; j++) seqrt_tensor_free(t[j]);
        /* a bad call: this thread's own message */
        if (k % 5 == 0) {
            uint64_t bad = 1000 + (uint64_t)w->id;
            char want[64];
            snprintf(want, sizeof want, "stream %llu is not open", (unsigned long long)bad);
            if (seqrt_stream_pool_end(sh->pool, bad) == SEQRT_OK || !strstr(seqrt_last_error(), want))
                wfail(w, "bad call: another thread's message, or none");
        }
    }
    for (int j = 0; j < PER; j++)
        if (seqrt_stream_pool_end(sh->pool, ids[j])) wfail(w, "end");
    return NULL;
}

static int one_device(const char *spec)
{
    shared sh = {0};
    if (seqrt_device_find(&sh.dev, spec)) return fprintf(stderr, "%s: %s\n", spec, seqrt_last_error()), 1;
    seqrt_device_info di;
    seqrt_device_get_info(sh.dev, &di);
    sh.exact = !strcmp(di.backend, "reference");
    sh.want = calloc((size_t)NSTREAMS * (size_t)g_steps * MAXLEN * V, sizeof(float));
    seqrt_stream_pool_options po = {.capacity = NSTREAMS};
    if (!sh.want || solo_runs(&sh) || seqrt_stream_pool_create(&sh.pool, g_model, sh.dev, &po)) {
        fprintf(stderr, "%s: setup failed: %s\n", spec, seqrt_last_error());
        return 1;
    }
    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){.sh = &sh, .id = i};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    int failed = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        if (w[i].failures) fprintf(stderr, "FAIL %s: %s\n", spec, w[i].msg), failed = 1;
    }
    if (seqrt_stream_pool_open_count(sh.pool) != 0) fprintf(stderr, "FAIL %s: streams left open\n", spec), failed = 1;
    seqrt_stream_pool_free(sh.pool);
    free(sh.want);
    printf("%s %s: %d threads x %d streams x %d steps%s\n", failed ? "FAIL" : "ok", spec, NTHREADS, PER, g_steps,
           sh.exact ? " (bitwise)" : " (within tolerance)");
    return failed;
}

int main(void)
{
    const char *e = getenv("SEQRT_POOL_THREAD_STEPS");
    if (e && atoi(e) > 1) g_steps = atoi(e);
    seqrt_model *m;
    if (seqrt_model_load(&m, SEQRT_SOURCE_DIR "/conformance/data/golden/charlm_embedding_lstm_linear/model.json",
                         NULL)) {
        fprintf(stderr, "load: %s\n", seqrt_last_error());
        return 1;
    }
    g_model = m;
    const char *only = getenv("SEQRT_TEST_BACKENDS");
    int failed = 0;
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        seqrt_backend_info info;
        if (seqrt_backend_get_info(b, &info) || !info.available) continue;
        if (only && *only) {
            char list[256], key[64];
            snprintf(list, sizeof list, ",%s,", only);
            snprintf(key, sizeof key, ",%s,", info.name);
            if (!strstr(list, key)) continue;
        }
        char spec[64];
        snprintf(spec, sizeof spec, "%s:0", info.name);
        failed |= one_device(spec);
    }
    seqrt_model_free(m);
    return failed;
}
