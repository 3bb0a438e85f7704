/*
 * seqrt command-line program: the `generate` command. Samples text from a
 * language model one token at a time through a streaming session: the
 * prompt runs as one chunk, then each sampled token runs as a chunk of one
 * step, the recurrent state carried between runs (the prefix is never run
 * again). Inputs beside the token ids must be initial states (d2l's
 * RNNModel(inputs, state) exported): zeros on the first run, the carried
 * state after it.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_text.h"

typedef struct gen_args {
    const char *model, *prompt, *backend, *weights;
    int64_t tokens;
    double temperature;
    uint64_t seed;
    int strict, verbose;
} gen_args;

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s) return 0;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* Returns CLI_EXIT_OK, CLI_EXIT_USAGE, or -1 after printing help. */
static int parse_args(int argc, char **argv, gen_args *a)
{
    const char *v;
    int r;
    a->tokens = 200;
    a->temperature = 0.8;
    a->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            cli_help_generate(stdout);
            return -1;
        }
        if ((r = cli_option_value(argc, argv, &i, "--prompt", &v, "generate")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            a->prompt = v;
        } else if ((r = cli_option_value(argc, argv, &i, "--tokens", &v, "generate")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!cli_parse_positive(v, &a->tokens))
                return cli_usage_error("generate", "--tokens '%s': expected a whole number >= 1", v);
        } else if ((r = cli_option_value(argc, argv, &i, "--temperature", &v, "generate")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            char *end;
            errno = 0;
            double t = strtod(v, &end);
            if (!*v || *end || errno || !isfinite(t) || t < 0)
                return cli_usage_error("generate", "--temperature '%s': expected a number >= 0", v);
            a->temperature = t;
        } else if ((r = cli_option_value(argc, argv, &i, "--seed", &v, "generate")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!parse_u64(v, &a->seed))
                return cli_usage_error("generate", "--seed '%s': expected a whole number from 0 to 2^64-1", v);
        } else if ((r = cli_option_value(argc, argv, &i, "--backend", &v, "generate")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("generate", "--backend: the backend name is empty");
            a->backend = v;
        } else if ((r = cli_option_value(argc, argv, &i, "--weights", &v, "generate")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("generate", "--weights: the file name is empty");
            a->weights = v;
        } else if (!strcmp(arg, "--strict")) {
            a->strict = 1;
        } else if (!strcmp(arg, "--verbose") || !strcmp(arg, "-v")) {
            a->verbose = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage_error("generate", "unknown option '%s'", arg);
        } else if (a->model) {
            return cli_usage_error("generate", "unexpected argument '%s' (the model is '%s')", arg, a->model);
        } else {
            a->model = arg;
        }
    }
    if (!a->model) return cli_usage_error("generate", "no model given");
    return CLI_EXIT_OK;
}

/* The model's inputs as generate feeds them: the token ids (chunk by
 * chunk) and the initial states, zeros of batch one (a streaming session
 * starts from them on the first run and ignores them afterwards, carrying
 * its own state). */
typedef struct gen_inputs {
    size_t n, ids;             /* inputs; which one is the token ids */
    int time_axis;             /* of the token ids */
    seqrt_tensor **zeros;      /* [n]: the state inputs' zeros; NULL at `ids` */
    const seqrt_tensor **feed; /* [n]: what a run is given: the zeros, and the chunk at `ids` */
} gen_inputs;

static void gen_inputs_free(gen_inputs *g)
{
    for (size_t i = 0; g->zeros && i < g->n; i++) seqrt_tensor_free(g->zeros[i]);
    free(g->zeros);
    free(g->feed);
}

static int is_token_ids(const seqrt_model *m, size_t i)
{
    int rank = 0;
    seqrt_model_input_shape(m, i, &rank, NULL, NULL, 0);
    seqrt_dtype dt = seqrt_model_input_dtype(m, i);
    return (dt == SEQRT_I32 || dt == SEQRT_I64) && rank == 2 && seqrt_model_input_time_axis(m, i) >= 0;
}

/* Checks that the model takes one input of token ids and, beside it, only
 * initial states (float inputs without a time axis: the streaming check
 * has made sure they feed h0/c0 slots); makes their zeros (symbolic dims,
 * the batch, as 1). */
static int check_inputs(const seqrt_model *m, gen_inputs *g)
{
    size_t n = seqrt_model_input_count(m);
    const char *name = seqrt_model_name(m);
    size_t nids = 0;
    for (size_t i = 0; i < n; i++)
        if (seqrt_model_input_time_axis(m, i) >= 0) nids++, g->ids = i;
    if (nids != 1) {
        cli_error("generate: model '%s' has %zu inputs with a time axis; it needs exactly one, the token ids "
                  "([T, B] int32), and beside it only initial states",
                  name, nids);
        return CLI_EXIT_FAIL;
    }
    if (!is_token_ids(m, g->ids)) {
        int rank = 0;
        char shape[128] = "";
        seqrt_model_input_shape(m, g->ids, &rank, NULL, shape, sizeof shape);
        cli_error("generate: model '%s': input '%s' is %s %s; it must be token ids, int32 [T, B]%s", name,
                  seqrt_model_input_name(m, g->ids), cli_dtype_name(seqrt_model_input_dtype(m, g->ids)), shape,
                  seqrt_model_batch_first(m) ? " ([B, T] as the model is batch_first)" : "");
        return CLI_EXIT_FAIL;
    }
    g->time_axis = seqrt_model_input_time_axis(m, g->ids);
    g->n = n;
    g->zeros = calloc(n, sizeof *g->zeros);
    g->feed = calloc(n, sizeof *g->feed);
    if (!g->zeros || !g->feed) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        if (i == g->ids) continue;
        int rank = 0;
        int64_t dims[SEQRT_MAX_RANK];
        char shape[128] = "";
        seqrt_model_input_shape(m, i, &rank, dims, shape, sizeof shape);
        if (seqrt_model_input_dtype(m, i) != SEQRT_F32) {
            cli_error("generate: model '%s': input '%s' is %s %s; beside the token ids generate feeds only "
                      "initial states (float32 [L*D, B, H])",
                      name, seqrt_model_input_name(m, i), cli_dtype_name(seqrt_model_input_dtype(m, i)), shape);
            return CLI_EXIT_FAIL;
        }
        for (int d = 0; d < rank; d++)
            if (dims[d] < 0) dims[d] = 1;
        seqrt_status st = seqrt_tensor_create(&g->zeros[i], SEQRT_F32, rank, dims);
        if (st != SEQRT_OK) return cli_lib_error(st, "generate: the initial state '%s'", seqrt_model_input_name(m, i));
        memset(seqrt_tensor_data(g->zeros[i]), 0, seqrt_tensor_count(g->zeros[i]) * sizeof(float));
        g->feed[i] = g->zeros[i];
    }
    return CLI_EXIT_OK;
}

/* The next-token scores: the last step of output 0, checked to be [.., V]. */
static int last_step(seqrt_session *s, const seqrt_model *m, size_t steps, size_t V, const float **x)
{
    const seqrt_tensor *t = NULL;
    seqrt_status st = seqrt_session_output(s, 0, &t);
    if (st != SEQRT_OK) return cli_lib_error(st, "generate: output '%s'", seqrt_model_output_name(m, 0));
    int rank = seqrt_tensor_rank(t);
    if (seqrt_tensor_dtype(t) != SEQRT_F32 || rank < 1 || (size_t)seqrt_tensor_dim(t, rank - 1) != V ||
        seqrt_tensor_count(t) != steps * V) {
        char dims[128];
        cli_format_dims(t, dims, sizeof dims);
        cli_error("generate: model '%s': output '%s' is %s for %zu step%s; it must hold a score for each of "
                  "the %zu vocabulary entries at each step ([T, B, %zu])",
                  seqrt_model_name(m), seqrt_model_output_name(m, 0), dims, steps, steps == 1 ? "" : "s", V, V);
        return CLI_EXIT_FAIL;
    }
    *x = (const float *)seqrt_tensor_data(t) + (steps - 1) * V;
    return CLI_EXIT_OK;
}

/* Runs `n` token ids as one chunk (batch of one), the initial states
 * beside them. */
static int run_chunk(seqrt_session *s, const seqrt_model *m, gen_inputs *g, int32_t *ids, size_t n)
{
    int64_t dims[2] = {1, 1};
    dims[g->time_axis] = (int64_t)n;
    seqrt_tensor *t = NULL;
    seqrt_status st = seqrt_tensor_wrap(&t, SEQRT_I32, 2, dims, ids);
    if (st == SEQRT_OK) {
        g->feed[g->ids] = t;
        st = seqrt_session_run(s, g->feed, g->n);
    }
    seqrt_tensor_free(t);
    if (st != SEQRT_OK) return cli_lib_error(st, "generate: run of model '%s'", seqrt_model_name(m));
    return CLI_EXIT_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_cmd_generate(int argc, char **argv)
{
    gen_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_EXIT_OK) return rc < 0 ? CLI_EXIT_OK : rc;

    seqrt_model *model = NULL;
    seqrt_session *session = NULL;
    cli_textmodel tm;
    memset(&tm, 0, sizeof tm);
    gen_inputs gi;
    memset(&gi, 0, sizeof gi);
    int32_t *ids = NULL;
    double *p = NULL;
    seqrt_status st;
    seqrt_load_options lo = {a.strict, a.weights};
    if ((st = seqrt_model_load(&model, a.model, &lo)) != SEQRT_OK) {
        rc = cli_lib_error(st, "cannot load model");
        goto done;
    }
    for (size_t k = 0; k < seqrt_model_warning_count(model); k++)
        cli_warning("%s", seqrt_model_warning(model, k));
    char why[512];
    if (!seqrt_model_streamable(model, why, sizeof why)) {
        cli_error("generate: model '%s' cannot run one step at a time: %s", seqrt_model_name(model), why);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if ((rc = check_inputs(model, &gi)) != CLI_EXIT_OK) goto done;
    if ((rc = cli_textmodel_load(&tm, model, "generate", 0)) != CLI_EXIT_OK) goto done;

    const char *prompt = a.prompt ? a.prompt : tm.prompt ? tm.prompt : tm.vocab[0];
    size_t nprompt = 0;
    if (!*prompt) {
        cli_error("generate: the prompt is empty: give at least one character (--prompt TEXT)");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if ((rc = cli_tokenize(&tm, prompt, "generate: the prompt", &ids, &nprompt)) != CLI_EXIT_OK) goto done;
    if (nprompt == 0) {
        cli_error("generate: the prompt gives no token");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (!(p = malloc(tm.nvocab * sizeof *p))) {
        cli_error("out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }

    const seqrt_device *dev = NULL;
    if ((st = seqrt_device_find(&dev, a.backend)) != SEQRT_OK) {
        rc = cli_lib_error(st, "%s", a.backend ? "--backend" : "backend");
        goto done;
    }
    seqrt_session_options so = {1};
    if ((st = seqrt_session_create(&session, model, dev, &so)) != SEQRT_OK) {
        rc = cli_lib_error(st, "cannot prepare the model");
        goto done;
    }
    if (a.verbose) {
        seqrt_device_info di;
        if (seqrt_device_get_info(dev, &di) == SEQRT_OK)
            fprintf(stderr, "seqrt: generating with model '%s' on %s:%zu (%s), seed %llu, temperature %g\n",
                    seqrt_model_name(model), di.backend, di.index, di.name, (unsigned long long)a.seed,
                    a.temperature);
    }

    cli_rng rng;
    cli_rng_seed(&rng, a.seed);
    double t0 = now_s();
    /* The prompt: one chunk of nprompt steps. */
    if ((rc = run_chunk(session, model, &gi, ids, nprompt)) != CLI_EXIT_OK) goto done;
    double t_prompt = now_s() - t0;
    fputs(prompt, stdout);
    fflush(stdout);
    size_t steps = nprompt;
    int64_t produced = 0;
    double t1 = now_s();
    for (; produced < a.tokens; produced++) {
        const float *x = NULL;
        if ((rc = last_step(session, model, steps, tm.nvocab, &x)) != CLI_EXIT_OK) break;
        if (!cli_distribution(x, tm.nvocab, tm.output_probs, a.temperature, p)) {
            fputc('\n', stdout);
            cli_error("generate: model '%s' gave no usable distribution after %lld tokens (NaN, or no finite "
                      "score%s)",
                      seqrt_model_name(model), (long long)produced,
                      tm.output_probs ? "; if the output holds logits, say \"output\": \"logits\" in the "
                                        "metadata"
                                      : "");
            rc = CLI_EXIT_FAIL;
            break;
        }
        double u = cli_rng_uniform(&rng), acc = 0;
        size_t tok = tm.nvocab - 1;
        for (size_t i = 0; i < tm.nvocab; i++) {
            acc += p[i];
            if (u < acc) {
                tok = i;
                break;
            }
        }
        while (p[tok] == 0 && tok > 0) tok--; /* rounding at the top end: never a zero-weight token */
        fwrite(tm.vocab[tok], 1, tm.vocab_len[tok], stdout);
        fflush(stdout);
        if (produced + 1 == a.tokens) continue; /* the last token needs no run */
        ids[0] = (int32_t)tok;
        if ((rc = run_chunk(session, model, &gi, ids, 1)) != CLI_EXIT_OK) {
            fputc('\n', stdout);
            break;
        }
        steps = 1;
    }
    if (rc == CLI_EXIT_OK) {
        fputc('\n', stdout);
        fflush(stdout);
        if (a.verbose) {
            double dt = now_s() - t1;
            fprintf(stderr,
                    "seqrt: prompt of %zu tokens in %.1f ms; %lld tokens sampled in %.1f ms (%.0f tokens/s)\n",
                    nprompt, 1e3 * t_prompt, (long long)produced, 1e3 * dt, dt > 0 ? (double)produced / dt : 0.0);
        }
    }
done:
    free(p);
    free(ids);
    cli_textmodel_free(&tm);
    gen_inputs_free(&gi);
    seqrt_session_free(session);
    seqrt_model_free(model);
    return rc;
}
