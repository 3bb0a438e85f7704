/*
 * seqrt command-line program: `generate --streams N --output-dir DIR`. N
 * texts sampled at once through one stream pool (docs/streams.md): every
 * stream runs the prompt in the first step, then each step runs one
 * sampled token of every stream, all N in one batch. Stream i samples with
 * its own generator seeded S+i, so DIR/stream-<i>.txt holds exactly what
 * `generate --seed S+i` prints on stdout (same prompt, tokens, temperature
 * and backend; bitwise-equal runs on the reference backend). The texts are
 * kept in memory and written at the end, each to a temporary file beside
 * its name, then renamed: a failure leaves no file.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_generate.h"

/* A growing text. */
typedef struct text {
    char *s;
    size_t n, cap;
} text;

static int text_add(text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->n + n + 1) cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p) return -1;
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    return 0;
}

/* Writes every text to DIR/stream-<i>.txt: all to temporary files first,
 * then the renames. */
static int write_all(const char *dir, const text *texts, size_t n)
{
    char **tmp = calloc(n, sizeof *tmp);
    if (!tmp) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; i < n && rc == CLI_EXIT_OK; i++) {
        char name[64];
        snprintf(name, sizeof name, ".stream-%zu.txt.XXXXXX", i);
        if (!(tmp[i] = cli_path_join(dir, name))) {
            cli_error("out of memory");
            rc = CLI_EXIT_FAIL;
            break;
        }
        int fd = mkstemp(tmp[i]);
        FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (!f) {
            cli_error("generate: cannot create a file in '%s': %s", dir, strerror(errno));
            if (fd >= 0) close(fd), unlink(tmp[i]);
            free(tmp[i]);
            tmp[i] = NULL;
            rc = CLI_EXIT_FAIL;
            break;
        }
        size_t w = texts[i].n ? fwrite(texts[i].s, 1, texts[i].n, f) : 0;
        int bad = w != texts[i].n || fflush(f) != 0 || fsync(fileno(f)) != 0;
        if (fclose(f) != 0 || bad) {
            cli_error("generate: cannot write '%s': %s", tmp[i], strerror(errno));
            rc = CLI_EXIT_FAIL;
        }
    }
    for (size_t i = 0; i < n && rc == CLI_EXIT_OK; i++) {
        char name[64];
        snprintf(name, sizeof name, "stream-%zu.txt", i);
        char *path = cli_path_join(dir, name);
        if (!path || rename(tmp[i], path) != 0) {
            cli_error("generate: cannot write '%s': %s", path ? path : name, path ? strerror(errno) : "out of memory");
            rc = CLI_EXIT_FAIL;
        } else {
            free(tmp[i]);
            tmp[i] = NULL;
        }
        free(path);
    }
    for (size_t i = 0; i < n; i++) {
        if (tmp[i]) unlink(tmp[i]);
        free(tmp[i]);
    }
    free(tmp);
    return rc;
}

/* One step of every stream; chunks[i] its chunk (token ids of batch one). */
static int step_all(seqrt_stream_pool *pool, const seqrt_model *m, const gen_inputs *g, size_t n,
                    const uint64_t *sid, seqrt_tensor *const *chunks, const seqrt_tensor **in)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < g->n; k++) in[i * g->n + k] = NULL; /* initial states: the pool's own */
        in[i * g->n + g->ids] = chunks[i];
    }
    seqrt_status st = seqrt_stream_pool_step(pool, n, sid, in);
    if (st != SEQRT_OK) return cli_lib_error(st, "generate: run of model '%s'", seqrt_model_name(m));
    return CLI_EXIT_OK;
}

int gen_streams(const gen_args *a, const seqrt_model *m, const seqrt_device *dev, const gen_inputs *g,
                const cli_textmodel *tm, const char *prompt, const int32_t *ids, size_t nprompt)
{
    if (!cli_is_directory(a->output_dir)) {
        cli_error("--output-dir '%s': no such directory", a->output_dir);
        return CLI_EXIT_FAIL;
    }
    size_t n = (size_t)a->streams, V = tm->nvocab;
    int rc = CLI_EXIT_OK;
    seqrt_stream_pool *pool = NULL;
    text *texts = calloc(n, sizeof *texts);
    cli_rng *rng = calloc(n, sizeof *rng);
    uint64_t *sid = calloc(n, sizeof *sid);
    int32_t *tok = calloc(n, sizeof *tok);
    seqrt_tensor **chunks = calloc(n, sizeof *chunks);
    const seqrt_tensor **in = calloc(n * g->n, sizeof *in);
    double *p = malloc(V * sizeof *p);
    seqrt_tensor *prompt_t = NULL;
    if (!texts || !rng || !sid || !tok || !chunks || !in || !p) {
        cli_error("out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    seqrt_stream_pool_options po = {.capacity = n};
    seqrt_status st = seqrt_stream_pool_create(&pool, m, dev, &po);
    if (st != SEQRT_OK) {
        rc = cli_lib_error(st, "cannot prepare the model");
        goto done;
    }
    int64_t dims[2] = {1, 1};
    dims[g->time_axis] = (int64_t)nprompt;
    if ((st = seqrt_tensor_wrap(&prompt_t, SEQRT_I32, 2, dims, (void *)ids)) != SEQRT_OK) {
        rc = cli_lib_error(st, "generate: the prompt");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        sid[i] = i;
        cli_rng_seed(&rng[i], a->seed + i);
        if ((st = seqrt_stream_pool_start(pool, sid[i], NULL, 0)) != SEQRT_OK) {
            rc = cli_lib_error(st, "generate: stream %zu", i);
            goto done;
        }
        if (text_add(&texts[i], prompt, strlen(prompt))) goto oom;
        chunks[i] = prompt_t;
    }
    double t0 = gen_now_s();
    if ((rc = step_all(pool, m, g, n, sid, chunks, in)) != CLI_EXIT_OK) goto done;
    double t_prompt = gen_now_s() - t0;
    for (size_t i = 0; i < n; i++) {
        chunks[i] = NULL;
        if ((st = seqrt_tensor_wrap(&chunks[i], SEQRT_I32, 2, (int64_t[]){1, 1}, &tok[i])) != SEQRT_OK) {
            rc = cli_lib_error(st, "generate: stream %zu", i);
            goto done;
        }
    }
    size_t steps = nprompt;
    double t1 = gen_now_s();
    for (int64_t produced = 0; produced < a->tokens; produced++) {
        for (size_t i = 0; i < n; i++) {
            const seqrt_tensor *t = NULL;
            const float *x = NULL;
            if ((st = seqrt_stream_pool_output(pool, sid[i], 0, &t)) != SEQRT_OK) {
                rc = cli_lib_error(st, "generate: output '%s'", seqrt_model_output_name(m, 0));
                goto done;
            }
            if ((rc = gen_scores(t, m, steps, V, &x)) != CLI_EXIT_OK) goto done;
            if (!cli_distribution(x, V, tm->output_probs, a->temperature, p)) {
                cli_error("generate: model '%s' gave no usable distribution for stream %zu after %lld tokens (NaN, or "
                          "no finite score); no file written",
                          seqrt_model_name(m), i, (long long)produced);
                rc = CLI_EXIT_FAIL;
                goto done;
            }
            size_t k = gen_sample(p, V, &rng[i]);
            tok[i] = (int32_t)k;
            if (text_add(&texts[i], tm->vocab[k], tm->vocab_len[k])) goto oom;
        }
        if (produced + 1 == a->tokens) continue; /* the last tokens need no run */
        if ((rc = step_all(pool, m, g, n, sid, chunks, in)) != CLI_EXIT_OK) goto done;
        steps = 1;
    }
    double dt = gen_now_s() - t1;
    for (size_t i = 0; i < n; i++)
        if (text_add(&texts[i], "\n", 1)) goto oom;
    if ((rc = write_all(a->output_dir, texts, n)) != CLI_EXIT_OK) goto done;
    double total = (double)n * (double)a->tokens;
    fprintf(stderr,
            "seqrt: %zu streams x %lld tokens in %.1f ms: %.0f tokens/s aggregate (prompt of %zu tokens in %.1f ms); "
            "written to %s/stream-<i>.txt\n",
            n, (long long)a->tokens, 1e3 * dt, dt > 0 ? total / dt : 0.0, nprompt, 1e3 * t_prompt, a->output_dir);
    goto done;
oom:
    cli_error("out of memory");
    rc = CLI_EXIT_FAIL;
done:
    if (chunks)
        for (size_t i = 0; i < n; i++)
            if (chunks[i] != prompt_t) seqrt_tensor_free(chunks[i]);
    seqrt_tensor_free(prompt_t);
    for (size_t i = 0; texts && i < n; i++) free(texts[i].s);
    seqrt_stream_pool_free(pool);
    free(texts);
    free(rng);
    free(sid);
    free(tok);
    free(chunks);
    free(in);
    free(p);
    return rc;
}
