/*
 * Fault injection (issue 7, item 3). Linked with its own copy of the core
 * built with SEQRT_FAULT_INJECTION (see api/fault.h and
 * tests/reliability.cmake): every allocation, and every backend runtime call
 * wrapped in SQ_FAULT_OR, can be made to fail.
 *
 * Each walk first runs an operation once without failures and counts its
 * injection points (N); then, for k = 1 .. N, it runs the operation again
 * with point k failing and checks that
 *   - the call returns an error status with a message (or, where seqrt
 *     legitimately recovers, e.g. a shrinking realloc, a correct result);
 *   - nothing leaks: the count of live allocations is back to where it was
 *     (and, under ASan, LeakSanitizer sees nothing at exit);
 *   - nothing crashes, and what the failed call left behind still works: a
 *     session whose run failed runs again, clean, to the same outputs
 *     bitwise; a failed save leaves no file, not even a temporary one.
 *
 * Operations: seqrt_model_load (JSON, description, weights file, binding,
 * shape inference), seqrt_session_create, seqrt_session_run on a fresh and
 * on a warm session, a streaming run, .npy load and save; on the reference
 * backend, and on every other backend module found in build/lib/seqrt-0 (its
 * allocations, then its own injection points: sites "onednn:..." and
 * "opencl:...").
 *
 * SEQRT_FAULT_ALL_CASES=1 walks every golden case instead of a selection
 * that covers every op.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "reliability_util.h"
#include "seqrt.h"

/* A selection of golden cases that uses every op and most attributes. */
static const char *const g_cases[] = {
    "charlm_int64_ids",
    "lstm_peephole_coupled_proj_bidir2_lengths_h0",
    "lstm_2layer_h0",
    "gru_lbr_false_bidir2_lengths_h0",
    "rnn_relu_bidir2_lengths_h0",
    "attention_additive_seqq_lengths",
    "attention_general_vecq_lengths",
    "attention_scaled_dot_vecq_lengths_values",
    "text_classifier_attention_pool",
    "mha_cross_lengths",
    "mha_causal_batch_first",
    "luong_encoder_decoder_batch_first",
    "concat_axis0",
    "select_hn_bidir2",
    "onehot_lstm_linear",
    "bilstm_last_step_mean_pool_lengths",
    "log_softmax_axis1",
    "activation_gelu",
    "add",
    "mul",
    "dropout",
    "embedding_gru_linear_batch_first",
    NULL,
};

/* ------------------------------------------------------------ the walk */

typedef struct walk_ops {
    int (*setup)(void *ctx);                       /* unarmed; 0 = ready */
    seqrt_status (*step)(void *ctx);               /* the call under test, armed */
    int (*after)(void *ctx, seqrt_status st);      /* unarmed; 1 = state is right */
    void (*cleanup)(void *ctx);                    /* unarmed */
} walk_ops;

typedef struct walk_stats {
    long points, errors, recovered, unreached;
} walk_stats;

static long g_total_points;

/* Walks the failure point over every injection point of `prefix` in
 * ops->step. Returns the number of points (0 if the clean run failed). */
static long walk(const char *what, const char *prefix, const walk_ops *ops, void *ctx)
{
    walk_stats ws = {0, 0, 0, 0};
    long base = sq_fault_live();
    if (ops->setup && ops->setup(ctx)) {
        rl_fail("%s: setup failed: %s", what, seqrt_last_error());
        return 0;
    }
    sq_fault_set(prefix, 0);
    seqrt_status st = ops->step(ctx);
    long total = sq_fault_set(prefix, 0);
    int good = ops->after ? ops->after(ctx, st) : 1;
    ops->cleanup(ctx);
    if (st != SEQRT_OK || !good) {
        rl_fail("%s: fails without fault injection (%s: %s)", what, seqrt_status_str(st), seqrt_last_error());
        return 0;
    }
    if (sq_fault_live() != base) {
        rl_fail("%s: %ld allocation(s) leaked without fault injection", what, sq_fault_live() - base);
        base = sq_fault_live();
    }
    for (long k = 1; k <= total; k++) {
        if (ops->setup && ops->setup(ctx)) {
            rl_fail("%s: setup failed: %s", what, seqrt_last_error());
            return total;
        }
        sq_fault_set(prefix, k);
        st = ops->step(ctx);
        long hits = sq_fault_set(prefix, 0);
        char err[1100];
        snprintf(err, sizeof err, "%s", seqrt_last_error());
        if (hits < k) {
            /* a process-wide cache filled once (e.g. a backend's) moves the
             * points: this one cannot be tested here, which is no failure */
            ws.unreached++;
        } else if (st == SEQRT_OK) {
            ws.recovered++;
        } else {
            ws.errors++;
            if (!err[0]) rl_fail("%s: point %ld/%ld: %s without a message", what, k, total, seqrt_status_str(st));
            if (st == SEQRT_ERR_INTERNAL)
                rl_fail("%s: point %ld/%ld: an injected failure reported as an internal error: %s", what, k, total,
                        err);
            if (getenv("SEQRT_FAULT_VERBOSE")) printf("    %s #%ld: [%s] %s\n", what, k, seqrt_status_str(st), err);
        }
        if (ops->after && !ops->after(ctx, st))
            rl_fail("%s: point %ld/%ld (%s: %s): wrong state after the call", what, k, total,
                    seqrt_status_str(st), err);
        ops->cleanup(ctx);
        long live = sq_fault_live();
        if (live != base) {
            rl_fail("%s: point %ld/%ld (%s: %s): %ld allocation(s) leaked", what, k, total, seqrt_status_str(st),
                    err, live - base);
            base = live;
        }
    }
    ws.points = total;
    g_total_points += total;
    printf("  %-64s %-7s %5ld points: %5ld errors, %3ld recovered", what, prefix, ws.points, ws.errors,
           ws.recovered);
    if (ws.unreached) printf(", %ld not reached again (not deterministic)", ws.unreached);
    printf("\n");
    fflush(stdout);
    return total;
}

/* ------------------------------------------------------------ model load */

typedef struct load_ctx {
    char path[1200];
    seqrt_model *m;
} load_ctx;

static seqrt_status load_step(void *c)
{
    load_ctx *x = c;
    x->m = (seqrt_model *)(uintptr_t)1; /* must be overwritten */
    return seqrt_model_load(&x->m, x->path, NULL);
}

static int load_after(void *c, seqrt_status st)
{
    load_ctx *x = c;
    if (st != SEQRT_OK) return x->m == NULL;
    return x->m && seqrt_model_layer_count(x->m) > 0;
}

static void load_cleanup(void *c)
{
    load_ctx *x = c;
    if (x->m != (seqrt_model *)(uintptr_t)1) seqrt_model_free(x->m);
    x->m = NULL;
}

static const walk_ops g_load_ops = {NULL, load_step, load_after, load_cleanup};

/* ------------------------------------------------------------ sessions */

typedef struct sess_ctx {
    const seqrt_model *m;
    const seqrt_device *dev;
    seqrt_session_options opt;
    seqrt_tensor **in;        /* the run's inputs (a chunk for streaming) */
    seqrt_tensor **in_first;  /* streaming: the first chunk, run in setup */
    size_t nin;
    const rl_outs *want;      /* outputs of a clean run of `in` */
    int warm;                 /* setup runs once before the step */
    seqrt_session *s;
} sess_ctx;

static seqrt_status create_step(void *c)
{
    sess_ctx *x = c;
    x->s = (seqrt_session *)(uintptr_t)1;
    return seqrt_session_create(&x->s, x->m, x->dev, &x->opt);
}

static int create_after(void *c, seqrt_status st)
{
    sess_ctx *x = c;
    if (st != SEQRT_OK) return x->s == NULL;
    /* the session works */
    return x->s && seqrt_session_run(x->s, (const seqrt_tensor *const *)x->in, x->nin) == SEQRT_OK &&
           rl_outs_same(x->want, x->s);
}

static void sess_cleanup(void *c)
{
    sess_ctx *x = c;
    if (x->s != (seqrt_session *)(uintptr_t)1) seqrt_session_free(x->s);
    x->s = NULL;
}

static const walk_ops g_create_ops = {NULL, create_step, create_after, sess_cleanup};

static int run_setup(void *c)
{
    sess_ctx *x = c;
    if (seqrt_session_create(&x->s, x->m, x->dev, &x->opt)) return -1;
    if (x->in_first && seqrt_session_run(x->s, (const seqrt_tensor *const *)x->in_first, x->nin)) return -1;
    if (x->warm && seqrt_session_run(x->s, (const seqrt_tensor *const *)x->in, x->nin)) return -1;
    return 0;
}

static seqrt_status run_step(void *c)
{
    sess_ctx *x = c;
    return seqrt_session_run(x->s, (const seqrt_tensor *const *)x->in, x->nin);
}

/* After the run, whether it failed or not: its outputs are right, and the
 * same run again, clean, gives them too (a failed run leaves the session,
 * and a stream's carried state, as they were). */
static int run_after(void *c, seqrt_status st)
{
    sess_ctx *x = c;
    if (st == SEQRT_OK && !rl_outs_same(x->want, x->s)) return 0;
    if (st != SEQRT_OK) {
        if (seqrt_session_run(x->s, (const seqrt_tensor *const *)x->in, x->nin) != SEQRT_OK) return 0;
        if (!rl_outs_same(x->want, x->s)) return 0;
    }
    return 1;
}

static const walk_ops g_run_ops = {run_setup, run_step, run_after, sess_cleanup};

/* ------------------------------------------------------------ npy */

typedef struct npy_ctx {
    char path[1200], out[1200], dir[600];
    const seqrt_tensor *want;
    seqrt_tensor *t;
} npy_ctx;

static int same_tensor(const seqrt_tensor *a, const seqrt_tensor *b)
{
    if (seqrt_tensor_dtype(a) != seqrt_tensor_dtype(b) || seqrt_tensor_rank(a) != seqrt_tensor_rank(b) ||
        seqrt_tensor_count(a) != seqrt_tensor_count(b))
        return 0;
    for (int d = 0; d < seqrt_tensor_rank(a); d++)
        if (seqrt_tensor_dim(a, d) != seqrt_tensor_dim(b, d)) return 0;
    size_t es = seqrt_tensor_dtype(a) == SEQRT_I64 ? 8 : 4;
    return !memcmp(seqrt_tensor_data(a), seqrt_tensor_data(b), seqrt_tensor_count(a) * es);
}

static seqrt_status npy_load_step(void *c)
{
    npy_ctx *x = c;
    return seqrt_tensor_load_npy(&x->t, x->path);
}

static int npy_load_after(void *c, seqrt_status st)
{
    npy_ctx *x = c;
    return st != SEQRT_OK ? x->t == NULL : same_tensor(x->t, x->want);
}

static void npy_cleanup(void *c)
{
    npy_ctx *x = c;
    seqrt_tensor_free(x->t);
    x->t = NULL;
    unlink(x->out);
}

static seqrt_status npy_save_step(void *c)
{
    npy_ctx *x = c;
    return seqrt_tensor_save_npy(x->want, x->out);
}

/* The directory holds the output file after a successful save and nothing
 * at all after a failed one (no temporary file left behind). */
static int npy_save_after(void *c, seqrt_status st)
{
    npy_ctx *x = c;
    DIR *d = opendir(x->dir);
    if (!d) return 0;
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) files++;
    closedir(d);
    if (st != SEQRT_OK) return files == 0;
    if (files != 1) return 0;
    seqrt_tensor *back = NULL;
    int ok = seqrt_tensor_load_npy(&back, x->out) == SEQRT_OK && same_tensor(back, x->want);
    seqrt_tensor_free(back);
    return ok;
}

static const walk_ops g_npy_load_ops = {NULL, npy_load_step, npy_load_after, npy_cleanup};
static const walk_ops g_npy_save_ops = {NULL, npy_save_step, npy_save_after, npy_cleanup};

/* ------------------------------------------------------------ per case */

/* A clean run of `in` on a new session: its outputs into `want`. */
static seqrt_status clean_run(const seqrt_model *m, const seqrt_device *dev, const seqrt_session_options *opt,
                              seqrt_tensor **first, seqrt_tensor **in, size_t nin, rl_outs *want)
{
    seqrt_session *s = NULL;
    seqrt_status st = seqrt_session_create(&s, m, dev, opt);
    if (!st && first) st = seqrt_session_run(s, (const seqrt_tensor *const *)first, nin);
    if (!st) st = seqrt_session_run(s, (const seqrt_tensor *const *)in, nin);
    if (!st && rl_outs_get(want, s, m)) st = SEQRT_ERR_OUT_OF_MEMORY;
    seqrt_session_free(s);
    return st;
}

/* The walks of one golden case on one device; `prefix` is "alloc" or a
 * backend's own sites. `with_load`: walk the model load too. */
static void walk_case(const char *name, const seqrt_device *dev, const char *devname, const char *prefix,
                      int with_load)
{
    char dir[1024], what[256];
    rl_case_dir(dir, sizeof dir, name);
    load_ctx lc = {{0}, NULL};
    snprintf(lc.path, sizeof lc.path, "%s/model.json", dir);
    if (with_load) {
        snprintf(what, sizeof what, "%s: seqrt_model_load", name);
        walk(what, prefix, &g_load_ops, &lc);
    }
    seqrt_model *m = NULL;
    if (seqrt_model_load(&m, lc.path, NULL)) {
        rl_fail("%s: cannot load: %s", name, seqrt_last_error());
        return;
    }
    seqrt_tensor *in[RL_MAX_IO] = {0};
    size_t nin = seqrt_model_input_count(m);
    if (rl_load_inputs(dir, m, in)) {
        rl_fail("%s: cannot load the inputs: %s", name, seqrt_last_error());
        seqrt_model_free(m);
        return;
    }
    rl_outs want = {0};
    seqrt_status st = clean_run(m, dev, NULL, NULL, in, nin, &want);
    if (st == SEQRT_ERR_UNSUPPORTED) {
        printf("  %s on %s: unsupported here (%s); skipped\n", name, devname, seqrt_last_error());
    } else if (st) {
        rl_fail("%s on %s: clean run failed: %s", name, devname, seqrt_last_error());
    } else {
        sess_ctx sc = {m, dev, {0}, in, NULL, nin, &want, 0, NULL};
        snprintf(what, sizeof what, "%s: seqrt_session_create on %s", name, devname);
        walk(what, prefix, &g_create_ops, &sc);
        snprintf(what, sizeof what, "%s: seqrt_session_run (new session) on %s", name, devname);
        walk(what, prefix, &g_run_ops, &sc);
        sc.warm = 1;
        snprintf(what, sizeof what, "%s: seqrt_session_run (warm session) on %s", name, devname);
        walk(what, prefix, &g_run_ops, &sc);
    }
    rl_outs_free(&want);
    rl_free_tensors(in, nin);
    seqrt_model_free(m);
}

/* Streaming: a time-major case split in two chunks; the walk fails the
 * second chunk's run (the carried state must survive a failed run). */
static void walk_stream(const char *name, const seqrt_device *dev, const char *devname, const char *prefix)
{
    char dir[1024], path[1200], what[256];
    rl_case_dir(dir, sizeof dir, name);
    snprintf(path, sizeof path, "%s/model.json", dir);
    seqrt_model *m = NULL;
    seqrt_tensor *in[RL_MAX_IO] = {0}, *c1[RL_MAX_IO] = {0}, *c2[RL_MAX_IO] = {0};
    size_t nin = 0;
    rl_outs want = {0};
    if (seqrt_model_load(&m, path, NULL) || rl_load_inputs(dir, m, in)) {
        rl_fail("%s: cannot load: %s", name, seqrt_last_error());
        goto out;
    }
    nin = seqrt_model_input_count(m);
    if (!seqrt_model_streamable(m, NULL, 0) || seqrt_model_batch_first(m)) {
        rl_fail("%s: not a time-major streamable case", name);
        goto out;
    }
    for (size_t i = 0; i < nin; i++) {
        seqrt_tensor *t = in[i];
        int r = seqrt_tensor_rank(t);
        int64_t dims[SEQRT_MAX_RANK];
        for (int d = 0; d < r; d++) dims[d] = seqrt_tensor_dim(t, d);
        int64_t T = dims[0], half = T / 2, row = (int64_t)seqrt_tensor_count(t) / T;
        size_t es = seqrt_tensor_dtype(t) == SEQRT_I64 ? 8 : 4;
        if (seqrt_model_input_time_axis(m, i) != 0 || T < 2) {
            rl_fail("%s: input %zu cannot be split in time", name, i);
            goto out;
        }
        dims[0] = half;
        seqrt_tensor_wrap(&c1[i], seqrt_tensor_dtype(t), r, dims, seqrt_tensor_data(t));
        dims[0] = T - half;
        seqrt_tensor_wrap(&c2[i], seqrt_tensor_dtype(t), r, dims,
                          (char *)seqrt_tensor_data(t) + (size_t)(half * row) * es);
    }
    seqrt_session_options opt = {1};
    if (clean_run(m, dev, &opt, c1, c2, nin, &want)) {
        rl_fail("%s: clean streaming run failed: %s", name, seqrt_last_error());
        goto out;
    }
    sess_ctx sc = {m, dev, opt, c2, c1, nin, &want, 0, NULL};
    snprintf(what, sizeof what, "%s: streaming session create on %s", name, devname);
    sc.in_first = NULL;
    sc.in = c1;
    rl_outs first = {0};
    if (clean_run(m, dev, &opt, NULL, c1, nin, &first) == SEQRT_OK) {
        sc.want = &first;
        walk(what, prefix, &g_create_ops, &sc);
    }
    rl_outs_free(&first);
    sc.in = c2;
    sc.in_first = c1;
    sc.want = &want;
    snprintf(what, sizeof what, "%s: streaming run, 2nd chunk, on %s", name, devname);
    walk(what, prefix, &g_run_ops, &sc);
out:
    rl_outs_free(&want);
    rl_free_tensors(c1, nin);
    rl_free_tensors(c2, nin);
    rl_free_tensors(in, nin);
    seqrt_model_free(m);
}

static void walk_npy(const char *file)
{
    npy_ctx x;
    memset(&x, 0, sizeof x);
    char dir[1024], what[256];
    rl_case_dir(dir, sizeof dir, "");
    snprintf(x.path, sizeof x.path, "%s%s", dir, file);
    seqrt_tensor *want = NULL;
    if (seqrt_tensor_load_npy(&want, x.path)) {
        rl_fail("%s: %s", file, seqrt_last_error());
        return;
    }
    x.want = want;
    snprintf(what, sizeof what, "seqrt_tensor_load_npy %s", file);
    walk(what, "alloc", &g_npy_load_ops, &x);
    const char *tmp = getenv("TMPDIR");
    snprintf(x.dir, sizeof x.dir, "%s/seqrt-fi-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(x.dir)) {
        rl_fail("mkdtemp failed");
    } else {
        snprintf(x.out, sizeof x.out, "%s/out.npy", x.dir);
        snprintf(what, sizeof what, "seqrt_tensor_save_npy %s", file);
        walk(what, "alloc", &g_npy_save_ops, &x);
        unlink(x.out);
        rmdir(x.dir);
    }
    seqrt_tensor_free(want);
}

/* ------------------------------------------------------------ main */

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* the registry (and any backend module) is initialised once, before
     * any walk, so its one-time allocations are not counted as leaks */
    const seqrt_device *devs[4];
    const char *names[4];
    size_t ndev = rl_devices(devs, names, 4);

    /* the case list */
    static char all[256][128];
    const char *cases[257];
    size_t ncases = 0;
    if (getenv("SEQRT_FAULT_ALL_CASES")) {
        char path[1200];
        rl_case_dir(path, sizeof path, "cases.txt");
        FILE *f = fopen(path, "r");
        while (f && ncases < 256 && fgets(all[ncases], sizeof all[ncases], f)) {
            all[ncases][strcspn(all[ncases], "\r\n")] = '\0';
            if (all[ncases][0]) cases[ncases] = all[ncases], ncases++;
        }
        if (f) fclose(f);
    } else {
        for (; g_cases[ncases]; ncases++) cases[ncases] = g_cases[ncases];
    }

    printf("allocation failures (site \"alloc\"):\n");
    walk_npy("charlm_int64_ids/input.tokens.npy");
    walk_npy("lstm_vanilla/expected.rnn.npy");
    for (size_t d = 0; d < ndev; d++) {
        for (size_t c = 0; c < ncases; c++) walk_case(cases[c], devs[d], names[d], "alloc", d == 0);
        walk_stream("charlm_embedding_lstm_linear", devs[d], names[d], "alloc");
    }

    /* the backends' own runtime calls (OpenCL, oneDNN) */
    for (size_t d = 0; d < ndev; d++) {
        if (!strcmp(names[d], "reference")) continue;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s:", names[d]);
        printf("%s runtime call failures (sites \"%s*\"):\n", names[d], prefix);
        long before = g_total_points;
        for (size_t c = 0; c < ncases; c++) walk_case(cases[c], devs[d], names[d], prefix, 0);
        walk_stream("charlm_embedding_lstm_linear", devs[d], names[d], prefix);
        if (g_total_points == before)
            printf("NOTE: backend %s has no fault injection points (SQ_FAULT_OR, api/fault.h)\n", names[d]);
    }

    printf("%ld injection points walked; %d failure(s)\n", g_total_points, g_rl_failures);
    return g_rl_failures ? 1 : 0;
}
