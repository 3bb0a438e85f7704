/*
 * Concurrency (issue 7, item 4): on every available backend, models loaded
 * once and shared by 8 threads, each with its own sessions, each running
 * SEQRT_CONCURRENCY_RUNS runs (default 500) over the models and over input
 * variants of different shapes: every output must be bitwise the output of
 * the same run made single-threaded beforehand. Along the way each thread
 * makes a bad call now and then and checks that seqrt_last_error() holds
 * its own message (the error is per thread). Before that, 8 threads load
 * the same model concurrently, and each runs it once; and each model's
 * session is handed from thread to thread (made in one, first run in a
 * second that ends, run again in a third), as seqrt.h allows.
 *
 * Run it in a ThreadSanitizer build too (tools/ci_sanitize.sh, build-tsan).
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reliability_util.h"
#include "seqrt.h"

#define NTHREADS 8
#define NVARIANTS 3

static const char *const g_cases[] = {
    "charlm_embedding_lstm_linear",
    "gru_bidir2_lengths_h0",
    "attention_additive_seqq_lengths",
    "mha_causal_lengths",
    "text_classifier_attention_pool",
    NULL,
};

typedef struct variant {
    seqrt_tensor *in[RL_MAX_IO];
    rl_outs want;
} variant;

typedef struct model_case {
    const char *name;
    seqrt_model *m;
    size_t nin;
    int nvar;
    variant var[NVARIANTS];
    int skip;
} model_case;

typedef struct worker {
    const seqrt_device *dev;
    model_case *cases;
    int ncases, runs, id;
    long planned, done; /* runs on supported models; those that succeeded */
    int failures;
    char msg[512];
} worker;

static void wfail(worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wfail(worker *w, const char *fmt, ...)
{
    if (!w->failures++) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->msg, sizeof w->msg, fmt, ap);
        va_end(ap);
    }
}

/* Variant 1: the float inputs scaled by -0.5 (same shapes). Variant 2: the
 * time axis cut by one step (time-major cases without lengths only): other
 * shapes, so buffers are regrown and reused as runs alternate. */
static int make_variants(model_case *c, const char *dir)
{
    variant *v0 = &c->var[0];
    if (rl_load_inputs(dir, c->m, v0->in)) return -1;
    c->nvar = 1;
    variant *v1 = &c->var[c->nvar++];
    for (size_t i = 0; i < c->nin; i++) {
        const seqrt_tensor *t = v0->in[i];
        int r = seqrt_tensor_rank(t);
        int64_t dims[SEQRT_MAX_RANK];
        for (int d = 0; d < r; d++) dims[d] = seqrt_tensor_dim(t, d);
        if (seqrt_tensor_create(&v1->in[i], seqrt_tensor_dtype(t), r, dims)) return -1;
        size_t n = seqrt_tensor_count(t), es = seqrt_tensor_dtype(t) == SEQRT_I64 ? 8 : 4;
        memcpy(seqrt_tensor_data(v1->in[i]), seqrt_tensor_data(t), n * es);
        if (seqrt_tensor_dtype(t) == SEQRT_F32)
            for (size_t k = 0; k < n; k++) ((float *)seqrt_tensor_data(v1->in[i]))[k] *= -0.5f;
    }
    int cut = !seqrt_model_batch_first(c->m);
    for (size_t i = 0; i < c->nin && cut; i++) {
        int ta = seqrt_model_input_time_axis(c->m, i);
        if (ta < 0 && seqrt_tensor_dtype(v0->in[i]) != SEQRT_F32) cut = 0; /* lengths */
        if (ta == 0 && seqrt_tensor_dim(v0->in[i], 0) < 2) cut = 0;
    }
    if (cut) {
        variant *v2 = &c->var[c->nvar++];
        for (size_t i = 0; i < c->nin; i++) {
            const seqrt_tensor *t = v0->in[i];
            int r = seqrt_tensor_rank(t);
            int64_t dims[SEQRT_MAX_RANK];
            for (int d = 0; d < r; d++) dims[d] = seqrt_tensor_dim(t, d);
            if (seqrt_model_input_time_axis(c->m, i) == 0) dims[0]--;
            if (seqrt_tensor_wrap(&v2->in[i], seqrt_tensor_dtype(t), r, dims, seqrt_tensor_data(t))) return -1;
        }
    }
    return 0;
}

static void *work(void *arg)
{
    worker *w = arg;
    seqrt_session *s[16] = {0};
    for (int c = 0; c < w->ncases; c++) {
        if (w->cases[c].skip) continue;
        if (seqrt_session_create(&s[c], w->cases[c].m, w->dev, NULL)) {
            wfail(w, "%s: session_create: %s", w->cases[c].name, seqrt_last_error());
            goto out;
        }
    }
    for (int r = 0; r < w->runs; r++) {
        int c = (r + w->id) % w->ncases;
        model_case *mc = &w->cases[c];
        if (mc->skip) continue;
        w->planned++;
        int v = (r / w->ncases + w->id) % mc->nvar;
        seqrt_status st = seqrt_session_run(s[c], (const seqrt_tensor *const *)mc->var[v].in, mc->nin);
        if (st) {
            wfail(w, "%s: run %d: %s", mc->name, r, seqrt_last_error());
            break;
        }
        if (!rl_outs_same(&mc->var[v].want, s[c])) {
            wfail(w, "%s: run %d (variant %d): outputs differ from the single-threaded run", mc->name, r, v);
            break;
        }
        w->done++;
        if (r % 50 == 7) {
            /* a bad call: this thread's own message must come back */
            st = seqrt_session_run(s[c], (const seqrt_tensor *const *)mc->var[v].in, (size_t)(90 + w->id));
            char tag[32];
            snprintf(tag, sizeof tag, "%d given", 90 + w->id);
            if (st != SEQRT_ERR_INVALID_ARGUMENT || !strstr(seqrt_last_error(), tag)) {
                wfail(w, "bad call: status %s, message \"%s\" (expected \"%s\")", seqrt_status_str(st),
                      seqrt_last_error(), tag);
                break;
            }
        }
    }
out:
    for (int c = 0; c < w->ncases; c++) seqrt_session_free(s[c]);
    return NULL;
}

/* 8 threads load one model at once, each runs it once. */
typedef struct loader {
    const char *path;
    const seqrt_device *dev;
    const variant *var;
    size_t nin;
    int ok;
    char msg[256];
} loader;

static void *load_work(void *arg)
{
    loader *l = arg;
    seqrt_model *m = NULL;
    seqrt_session *s = NULL;
    if (seqrt_model_load(&m, l->path, NULL) || seqrt_session_create(&s, m, l->dev, NULL) ||
        seqrt_session_run(s, (const seqrt_tensor *const *)l->var->in, l->nin))
        snprintf(l->msg, sizeof l->msg, "%s", seqrt_last_error());
    else
        l->ok = rl_outs_same(&l->var->want, s);
    seqrt_session_free(s);
    seqrt_model_free(m);
    return NULL;
}

/* A session handed from thread to thread: made by the main thread, its
 * first run (which makes oneDNN's primitives) in one thread that then ends,
 * its next runs in another, then in the main thread again. */
typedef struct handover {
    seqrt_session *s;
    const model_case *mc;
    int ok;
    char msg[256];
} handover;

static void *handover_work(void *arg)
{
    handover *h = arg;
    h->ok = 1;
    for (int v = 0; v < h->mc->nvar && h->ok; v++) {
        if (seqrt_session_run(h->s, (const seqrt_tensor *const *)h->mc->var[v].in, h->mc->nin)) {
            snprintf(h->msg, sizeof h->msg, "%s", seqrt_last_error());
            h->ok = 0;
        } else if (!rl_outs_same(&h->mc->var[v].want, h->s)) {
            snprintf(h->msg, sizeof h->msg, "variant %d: outputs differ from the single-threaded run", v);
            h->ok = 0;
        }
    }
    return NULL;
}

static void check_handover(const seqrt_device *dev, const char *dname, const model_case *mc)
{
    handover h = {NULL, mc, 0, ""};
    if (seqrt_session_create(&h.s, mc->m, dev, NULL)) {
        rl_fail("%s: %s: handover: session_create: %s", dname, mc->name, seqrt_last_error());
        return;
    }
    for (int round = 0; round < 3; round++) {
        pthread_t t;
        if (round < 2) {
            pthread_create(&t, NULL, handover_work, &h);
            pthread_join(t, NULL);
        } else {
            handover_work(&h);
        }
        if (!h.ok) {
            rl_fail("%s: %s: session run in thread %d after another: %s", dname, mc->name, round, h.msg);
            break;
        }
    }
    seqrt_session_free(h.s);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *env = getenv("SEQRT_CONCURRENCY_RUNS");
    int runs = env && atoi(env) > 0 ? atoi(env) : 500;
    const seqrt_device *devs[4];
    const char *names[4];
    size_t ndev = rl_devices(devs, names, 4);

    int ncases = 0;
    while (g_cases[ncases]) ncases++;
    model_case cases[16];
    memset(cases, 0, sizeof cases);
    for (int c = 0; c < ncases; c++) {
        char dir[1024], path[1200];
        rl_case_dir(dir, sizeof dir, g_cases[c]);
        snprintf(path, sizeof path, "%s/model.json", dir);
        cases[c].name = g_cases[c];
        if (seqrt_model_load(&cases[c].m, path, NULL)) {
            rl_fail("%s: %s", g_cases[c], seqrt_last_error());
            return 1;
        }
        cases[c].nin = seqrt_model_input_count(cases[c].m);
        if (make_variants(&cases[c], dir)) {
            rl_fail("%s: inputs: %s", g_cases[c], seqrt_last_error());
            return 1;
        }
    }

    for (size_t d = 0; d < ndev; d++) {
        /* single-threaded results */
        for (int c = 0; c < ncases; c++) {
            model_case *mc = &cases[c];
            mc->skip = 0;
            seqrt_session *s = NULL;
            seqrt_status st = seqrt_session_create(&s, mc->m, devs[d], NULL);
            if (st == SEQRT_ERR_UNSUPPORTED) {
                printf("%s: %s unsupported (%s); skipped\n", names[d], mc->name, seqrt_last_error());
                mc->skip = 1;
                continue;
            }
            for (int v = 0; v < mc->nvar && !st; v++) {
                rl_outs_free(&mc->var[v].want);
                st = seqrt_session_run(s, (const seqrt_tensor *const *)mc->var[v].in, mc->nin);
                if (!st && rl_outs_get(&mc->var[v].want, s, mc->m)) st = SEQRT_ERR_OUT_OF_MEMORY;
            }
            seqrt_session_free(s);
            if (st) {
                rl_fail("%s: %s: single-threaded run: %s", names[d], mc->name, seqrt_last_error());
                mc->skip = 1;
            }
        }

        /* concurrent loads */
        char path[1200];
        rl_case_dir(path, sizeof path, "charlm_embedding_lstm_linear/model.json");
        loader ld[NTHREADS];
        pthread_t th[NTHREADS];
        for (int k = 0; k < NTHREADS; k++) {
            ld[k] = (loader){path, devs[d], &cases[0].var[0], cases[0].nin, 0, ""};
            pthread_create(&th[k], NULL, load_work, &ld[k]);
        }
        for (int k = 0; k < NTHREADS; k++) pthread_join(th[k], NULL);
        for (int k = 0; k < NTHREADS; k++)
            if (!ld[k].ok) rl_fail("%s: concurrent load %d: %s", names[d], k, ld[k].msg[0] ? ld[k].msg : "outputs differ");

        /* each session handed between threads */
        for (int c = 0; c < ncases; c++)
            if (!cases[c].skip) check_handover(devs[d], names[d], &cases[c]);

        /* shared models, one session per thread and model */
        worker w[NTHREADS];
        for (int k = 0; k < NTHREADS; k++) {
            w[k] = (worker){devs[d], cases, ncases, runs, k, 0, 0, 0, ""};
            if (pthread_create(&th[k], NULL, work, &w[k])) {
                rl_fail("pthread_create failed");
                return 1;
            }
        }
        for (int k = 0; k < NTHREADS; k++) pthread_join(th[k], NULL);
        int bad = 0;
        long done = 0, planned = 0;
        for (int k = 0; k < NTHREADS; k++) done += w[k].done, planned += w[k].planned;
        if (done != planned || done == 0) {
            rl_fail("%s: %ld of %ld runs made", names[d], done, planned);
            bad = 1;
        }
        for (int k = 0; k < NTHREADS; k++)
            if (w[k].failures) {
                rl_fail("%s: thread %d: %d failure(s); first: %s", names[d], k, w[k].failures, w[k].msg);
                bad = 1;
            }
        printf("%s: %d threads x %d runs over %d shared models (%ld runs): %s\n", names[d], NTHREADS, runs, ncases,
               done, bad ? "FAILED" : "identical to the single-threaded runs");
    }

    for (int c = 0; c < ncases; c++) {
        for (int v = 0; v < cases[c].nvar; v++) {
            rl_free_tensors(cases[c].var[v].in, cases[c].nin);
            rl_outs_free(&cases[c].var[v].want);
        }
        seqrt_model_free(cases[c].m);
    }
    return g_rl_failures ? 1 : 0;
}
