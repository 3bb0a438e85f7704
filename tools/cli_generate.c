/*
 * seqrt command-line program: the `generate` command. Samples text from a
 * language model one token at a time through a streaming session: the
 * prompt runs as one chunk, then each sampled token runs as a chunk of one
 * step, the recurrent state carried between runs (the prefix is never run
 * again). Inputs beside the token ids must be initial states (d2l's
 * RNNModel(inputs, state) exported): zeros on the first run, the carried
 * state after it. With --streams N, N texts are sampled at once through a
 * stream pool (cli_generate_streams.c).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_generate.h"
#include "cli_text.h"

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
        } else if ((r = cli_option_value(argc, argv, &i, "--streams", &v, "generate")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!cli_parse_positive(v, &a->streams) || a->streams > GEN_MAX_STREAMS)
                return cli_usage_error("generate", "--streams '%s': expected a whole number from 1 to %d", v,
                                       GEN_MAX_STREAMS);
        } else if ((r = cli_option_value(argc, argv, &i, "--output-dir", &v, "generate")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("generate", "--output-dir: the directory name is empty");
            a->output_dir = v;
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
    if (!a->streams != !a->output_dir)
        return cli_usage_error("generate", a->streams ? "--streams needs --output-dir DIR (stream i is written to "
                                                        "DIR/stream-<i>.txt)"
                                                      : "--output-dir needs --streams N");
    return CLI_EXIT_OK;
}

/* The next-token scores: the last step of output 0, checked to be [.., V]. */
static int last_step(seqrt_session *s, const seqrt_model *m, size_t steps, size_t V, const float **x)
{
    const seqrt_tensor *t = NULL;
    seqrt_status st = seqrt_session_output(s, 0, &t);
    if (st != SEQRT_OK) return cli_lib_error(st, "generate: output '%s'", seqrt_model_output_name(m, 0));
    return gen_scores(t, m, steps, V, x);
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
    if ((rc = gen_check_inputs(model, &gi)) != CLI_EXIT_OK) goto done;
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
    if (a.streams) {
        rc = gen_streams(&a, model, dev, &gi, &tm, prompt, ids, nprompt);
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
    double t0 = gen_now_s();
    /* The prompt: one chunk of nprompt steps. */
    if ((rc = run_chunk(session, model, &gi, ids, nprompt)) != CLI_EXIT_OK) goto done;
    double t_prompt = gen_now_s() - t0;
    fputs(prompt, stdout);
    fflush(stdout);
    size_t steps = nprompt;
    int64_t produced = 0;
    double t1 = gen_now_s();
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
        size_t tok = gen_sample(p, tm.nvocab, &rng);
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
            double dt = gen_now_s() - t1;
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
