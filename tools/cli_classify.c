/*
 * seqrt command-line program: the `classify` command. Runs a text
 * classifier on --text arguments or on each line of standard input and
 * prints the most likely label and the probability of every label.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_text.h"

typedef struct cls_args {
    const char *model, *backend, *weights;
    const char **texts;
    size_t ntexts;
    int64_t top;
    int brief, strict, verbose;
} cls_args;

static int parse_args(int argc, char **argv, cls_args *a)
{
    const char *v;
    int r;
    if (!(a->texts = calloc((size_t)argc, sizeof *a->texts))) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            cli_help_classify(stdout);
            return -1;
        }
        if ((r = cli_option_value(argc, argv, &i, "--text", &v, "classify")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            a->texts[a->ntexts++] = v;
        } else if ((r = cli_option_value(argc, argv, &i, "--top", &v, "classify")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!cli_parse_positive(v, &a->top))
                return cli_usage_error("classify", "--top '%s': expected a whole number >= 1", v);
        } else if ((r = cli_option_value(argc, argv, &i, "--backend", &v, "classify")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("classify", "--backend: the backend name is empty");
            a->backend = v;
        } else if ((r = cli_option_value(argc, argv, &i, "--weights", &v, "classify")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("classify", "--weights: the file name is empty");
            a->weights = v;
        } else if (!strcmp(arg, "--brief")) {
            a->brief = 1;
        } else if (!strcmp(arg, "--strict")) {
            a->strict = 1;
        } else if (!strcmp(arg, "--verbose") || !strcmp(arg, "-v")) {
            a->verbose = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage_error("classify", "unknown option '%s'", arg);
        } else if (a->model) {
            return cli_usage_error("classify", "unexpected argument '%s' (the model is '%s')", arg, a->model);
        } else {
            a->model = arg;
        }
    }
    if (!a->model) return cli_usage_error("classify", "no model given");
    return CLI_EXIT_OK;
}

typedef struct classifier {
    const seqrt_model *m;
    seqrt_session *s;
    cli_textmodel tm;
    size_t ids_input, len_input; /* len_input == SIZE_MAX: none */
    int time_axis;
    size_t nclasses;
    double *p;
    size_t *order;
} classifier;

/* Finds the token-ids input ([T, B]) and the optional lengths input ([B]). */
static int find_inputs(classifier *c)
{
    const seqrt_model *m = c->m;
    size_t n = seqrt_model_input_count(m);
    c->ids_input = c->len_input = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        int rank = 0;
        char shape[128] = "";
        seqrt_model_input_shape(m, i, &rank, NULL, shape, sizeof shape);
        seqrt_dtype dt = seqrt_model_input_dtype(m, i);
        int is_int = dt == SEQRT_I32 || dt == SEQRT_I64;
        if (is_int && rank == 2 && c->ids_input == SIZE_MAX) {
            c->ids_input = i;
        } else if (is_int && rank == 1 && c->len_input == SIZE_MAX) {
            c->len_input = i;
        } else {
            cli_error("classify: model '%s': input '%s' (%s %s) is neither the token ids ([T, B] int32) nor "
                      "their lengths ([B] int32)",
                      seqrt_model_name(m), seqrt_model_input_name(m, i), cli_dtype_name(dt), shape);
            return CLI_EXIT_FAIL;
        }
    }
    if (c->ids_input == SIZE_MAX) {
        cli_error("classify: model '%s' has no input of token ids ([T, B] int32)", seqrt_model_name(m));
        return CLI_EXIT_FAIL;
    }
    c->time_axis = seqrt_model_batch_first(m) ? 1 : 0;
    return CLI_EXIT_OK;
}

/* Sorts class indices by probability, most likely first (stable on ties). */
static void sort_classes(classifier *c)
{
    for (size_t i = 0; i < c->nclasses; i++) c->order[i] = i;
    for (size_t i = 1; i < c->nclasses; i++) { /* insertion sort: a handful of classes */
        size_t k = c->order[i], j = i;
        while (j > 0 && c->p[c->order[j - 1]] < c->p[k]) {
            c->order[j] = c->order[j - 1];
            j--;
        }
        c->order[j] = k;
    }
}

static const char *label_of(const classifier *c, size_t k, char *buf, size_t size)
{
    if (k < c->tm.nlabels) return c->tm.labels[k];
    snprintf(buf, size, "class %zu", k);
    return buf;
}

/* Classifies one text (already normalized) and prints the result. */
static int classify_one(classifier *c, const cls_args *a, const char *text, const char *what)
{
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = cli_tokenize(&c->tm, text, what, &ids, &n);
    if (rc != CLI_EXIT_OK) return rc;
    if (n == 0) {
        free(ids);
        cli_error("%s: the text is empty", what);
        return CLI_EXIT_FAIL;
    }
    size_t nin = seqrt_model_input_count(c->m);
    seqrt_tensor *tin[2] = {NULL, NULL};
    const seqrt_tensor *in[2] = {NULL, NULL};
    int64_t dims[2] = {1, 1};
    dims[c->time_axis] = (int64_t)n;
    int32_t len = (int32_t)n;
    int64_t one = 1;
    seqrt_status st = seqrt_tensor_wrap(&tin[c->ids_input], SEQRT_I32, 2, dims, ids);
    if (st == SEQRT_OK && c->len_input != SIZE_MAX)
        st = seqrt_tensor_wrap(&tin[c->len_input], SEQRT_I32, 1, &one, &len);
    for (size_t i = 0; i < nin; i++) in[i] = tin[i];
    if (st == SEQRT_OK) st = seqrt_session_run(c->s, in, nin);
    const seqrt_tensor *out = NULL;
    if (st == SEQRT_OK) st = seqrt_session_output(c->s, 0, &out);
    seqrt_tensor_free(tin[0]);
    seqrt_tensor_free(tin[1]);
    free(ids);
    if (st != SEQRT_OK) return cli_lib_error(st, "classify: %s", what);

    size_t C = seqrt_tensor_count(out);
    if (seqrt_tensor_dtype(out) != SEQRT_F32 || C == 0 || (size_t)seqrt_tensor_dim(out, seqrt_tensor_rank(out) - 1) != C ||
        (c->tm.nlabels && C != c->tm.nlabels)) {
        char d[128];
        cli_format_dims(out, d, sizeof d);
        cli_error("classify: model '%s': output '%s' is %s; it must be [B, C] with one score per label (%zu "
                  "labels)",
                  seqrt_model_name(c->m), seqrt_model_output_name(c->m, 0), d, c->tm.nlabels);
        return CLI_EXIT_FAIL;
    }
    if (!c->p) {
        c->nclasses = C;
        c->p = malloc(C * sizeof *c->p);
        c->order = malloc(C * sizeof *c->order);
        if (!c->p || !c->order) return cli_error("out of memory"), CLI_EXIT_FAIL;
    }
    if (!cli_distribution(seqrt_tensor_data(out), C, c->tm.output_probs, 1.0, c->p)) {
        cli_error("classify: %s: the model's output holds NaN or no finite score", what);
        return CLI_EXIT_FAIL;
    }
    sort_classes(c);
    char b0[32], b1[32];
    size_t best = c->order[0];
    if (a->brief) {
        printf("%s\t%.3f\t%s\n", label_of(c, best, b0, sizeof b0), c->p[best], text);
        return CLI_EXIT_OK;
    }
    size_t width = 0;
    for (size_t k = 0; k < C; k++) {
        size_t l = strlen(label_of(c, k, b1, sizeof b1));
        if (l > width) width = l;
    }
    printf("%s\n  -> %s (p = %.3f)\n", text, label_of(c, best, b0, sizeof b0), c->p[best]);
    size_t show = a->top > 0 && (size_t)a->top < C ? (size_t)a->top : C;
    for (size_t r = 0; r < show; r++) {
        size_t k = c->order[r];
        int bar = (int)lround(c->p[k] * 30.0);
        printf("     %-*s %.3f%s", (int)width, label_of(c, k, b1, sizeof b1), c->p[k], bar > 0 ? " " : "");
        for (int i = 0; i < bar; i++) fputc('#', stdout);
        fputc('\n', stdout);
    }
    return CLI_EXIT_OK;
}

int cli_cmd_classify(int argc, char **argv)
{
    cls_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_EXIT_OK) {
        free(a.texts);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    classifier c;
    memset(&c, 0, sizeof c);
    seqrt_model *model = NULL;
    seqrt_status st;
    seqrt_load_options lo = {a.strict, a.weights};
    if ((st = seqrt_model_load(&model, a.model, &lo)) != SEQRT_OK) {
        rc = cli_lib_error(st, "cannot load model");
        goto done;
    }
    c.m = model;
    for (size_t k = 0; k < seqrt_model_warning_count(model); k++)
        cli_warning("%s", seqrt_model_warning(model, k));
    if ((rc = find_inputs(&c)) != CLI_EXIT_OK) goto done;
    if ((rc = cli_textmodel_load(&c.tm, model, "classify", 1)) != CLI_EXIT_OK) goto done;
    const seqrt_device *dev = NULL;
    if ((st = seqrt_device_find(&dev, a.backend)) != SEQRT_OK) {
        rc = cli_lib_error(st, "%s", a.backend ? "--backend" : "backend");
        goto done;
    }
    if ((st = seqrt_session_create(&c.s, model, dev, NULL)) != SEQRT_OK) {
        rc = cli_lib_error(st, "cannot prepare the model");
        goto done;
    }
    if (a.verbose) {
        seqrt_device_info di;
        if (seqrt_device_get_info(dev, &di) == SEQRT_OK)
            fprintf(stderr, "seqrt: classifying with model '%s' on %s:%zu (%s)\n", seqrt_model_name(model),
                    di.backend, di.index, di.name);
    }
    if (a.ntexts > 0) {
        for (size_t i = 0; i < a.ntexts && rc == CLI_EXIT_OK; i++) {
            size_t n = strlen(a.texts[i]);
            char *t = malloc(n + 1), what[48];
            if (!t) {
                cli_error("out of memory");
                rc = CLI_EXIT_FAIL;
                break;
            }
            memcpy(t, a.texts[i], n + 1);
            if (c.tm.normalize) cli_normalize_whitespace(t);
            snprintf(what, sizeof what, a.ntexts > 1 ? "--text %zu" : "--text", i + 1);
            rc = classify_one(&c, &a, t, what);
            free(t);
        }
    } else {
        size_t lineno = 0, done_any = 0, cap = 0;
        char *line = NULL;
        ssize_t len;
        while (rc == CLI_EXIT_OK && (errno = 0, len = getline(&line, &cap, stdin)) >= 0) {
            lineno++;
            if (len > 0 && line[len - 1] == '\n') line[len - 1] = '\0';
            if (c.tm.normalize) cli_normalize_whitespace(line);
            int blank = 1;
            for (const char *q = line; *q; q++)
                if (*q != ' ' && *q != '\t' && *q != '\r') blank = 0;
            if (!blank) {
                char what[48];
                snprintf(what, sizeof what, "line %zu", lineno);
                rc = classify_one(&c, &a, line, what);
                done_any++;
            }
            fflush(stdout);
        }
        const int oom = rc == CLI_EXIT_OK && errno == ENOMEM; /* getline's failure, not the end */
        free(line);
        if (oom) {
            cli_error("out of memory reading standard input");
            rc = CLI_EXIT_FAIL;
        } else if (rc == CLI_EXIT_OK && ferror(stdin)) {
            cli_error("cannot read standard input");
            rc = CLI_EXIT_FAIL;
        } else if (rc == CLI_EXIT_OK && done_any == 0) {
            cli_error("classify: no text: give --text TEXT or lines on standard input");
            rc = CLI_EXIT_USAGE;
        }
    }
done:
    free(c.p);
    free(c.order);
    cli_textmodel_free(&c.tm);
    seqrt_session_free(c.s);
    seqrt_model_free(model);
    free(a.texts);
    return rc;
}
