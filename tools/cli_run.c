/*
 * seqrt command-line program: the `run` command, whole or in chunks of the
 * time axis through one streaming session (--chunk N).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct run_args {
    const char *model, *output_dir, *backend, *weights;
    int64_t chunk; /* 0: whole run */
    int strict, verbose;
    size_t ninputs;
    char **names;        /* --input NAME (allocated) */
    const char **files;  /* --input FILE (in argv) */
} run_args;

static void free_args(run_args *a)
{
    for (size_t i = 0; i < a->ninputs; i++) free(a->names[i]);
    free(a->names);
    free(a->files);
}

/* Returns CLI_EXIT_OK, CLI_EXIT_USAGE, or -1 after printing help. */
static int parse_args(int argc, char **argv, run_args *a)
{
    const char *v;
    int r;
    a->output_dir = ".";
    a->names = calloc((size_t)argc, sizeof *a->names);
    a->files = calloc((size_t)argc, sizeof *a->files);
    if (!a->names || !a->files) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            cli_help_run(stdout);
            return -1;
        }
        if ((r = cli_option_value(argc, argv, &i, "--input", &v, "run")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            const char *eq = strchr(v, '=');
            if (!eq) return cli_usage_error("run", "--input '%s': expected NAME=FILE.npy", v);
            if (eq == v) return cli_usage_error("run", "--input '%s': the input name is empty", v);
            if (!eq[1]) return cli_usage_error("run", "--input '%s': the file name is empty", v);
            char *name = strndup(v, (size_t)(eq - v));
            if (!name) {
                cli_error("out of memory");
                return CLI_EXIT_FAIL;
            }
            for (size_t k = 0; k < a->ninputs; k++)
                if (!strcmp(a->names[k], name)) {
                    free(name);
                    return cli_usage_error("run", "input '%s' is given twice", a->names[k]);
                }
            a->names[a->ninputs] = name;
            a->files[a->ninputs++] = eq + 1;
        } else if ((r = cli_option_value(argc, argv, &i, "--output-dir", &v, "run")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("run", "--output-dir: the directory name is empty");
            a->output_dir = v;
        } else if ((r = cli_option_value(argc, argv, &i, "--backend", &v, "run")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("run", "--backend: the backend name is empty");
            a->backend = v;
        } else if ((r = cli_option_value(argc, argv, &i, "--weights", &v, "run")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("run", "--weights: the file name is empty");
            a->weights = v;
        } else if ((r = cli_option_value(argc, argv, &i, "--chunk", &v, "run")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!cli_parse_positive(v, &a->chunk))
                return cli_usage_error("run", "--chunk '%s': expected a whole number of steps >= 1", v);
        } else if (!strcmp(arg, "--strict")) {
            a->strict = 1;
        } else if (!strcmp(arg, "--verbose") || !strcmp(arg, "-v")) {
            a->verbose = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage_error("run", "unknown option '%s'", arg);
        } else if (a->model) {
            return cli_usage_error("run", "unexpected argument '%s' (the model is '%s')", arg, a->model);
        } else {
            a->model = arg;
        }
    }
    if (!a->model) return cli_usage_error("run", "no model given");
    return CLI_EXIT_OK;
}

/* Everything a run holds, freed by free_ctx on every path. */
typedef struct run_ctx {
    run_args a;
    seqrt_model *model;
    seqrt_session *session;
    size_t nin, nout;
    seqrt_tensor **in;     /* loaded inputs, model order */
    seqrt_tensor **chunk;  /* current chunk of each input (wrappers) */
    void **chunk_buf;      /* copy buffers for non-contiguous chunks */
    seqrt_tensor **whole;  /* assembled time outputs (chunked run) */
    char **out_file;       /* file name of each output, NULL: duplicate value */
    cli_writer w;
} run_ctx;

static void free_ctx(run_ctx *c)
{
    cli_writer_free(&c->w); /* removes uncommitted temporaries */
    for (size_t i = 0; i < c->nin; i++) {
        if (c->in) seqrt_tensor_free(c->in[i]);
        if (c->chunk) seqrt_tensor_free(c->chunk[i]);
        if (c->chunk_buf) free(c->chunk_buf[i]);
    }
    for (size_t o = 0; o < c->nout; o++) {
        if (c->whole) seqrt_tensor_free(c->whole[o]);
        if (c->out_file) free(c->out_file[o]);
    }
    free(c->in);
    free(c->chunk);
    free(c->chunk_buf);
    free(c->whole);
    free(c->out_file);
    seqrt_session_free(c->session);
    seqrt_model_free(c->model);
    free_args(&c->a);
}

/* Matches --input names to the model's inputs and loads the files. */
static int load_inputs(run_ctx *c)
{
    const seqrt_model *m = c->model;
    size_t *which = calloc(c->a.ninputs + 1, sizeof *which);
    if (!which) return cli_error("out of memory"), CLI_EXIT_FAIL;
    int rc = CLI_EXIT_OK;
    for (size_t k = 0; k < c->a.ninputs && rc == CLI_EXIT_OK; k++) {
        if (seqrt_model_find_input(m, c->a.names[k], &which[k]) != SEQRT_OK) {
            char list[512] = "";
            size_t n = 0;
            for (size_t i = 0; i < c->nin && n < sizeof list; i++)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "",
                                      seqrt_model_input_name(m, i));
            rc = cli_usage_error("run", "model '%s' has no input '%s' (its inputs: %s)",
                                 seqrt_model_name(m), c->a.names[k], list);
        }
    }
    for (size_t i = 0; i < c->nin && rc == CLI_EXIT_OK; i++) {
        size_t k = 0;
        while (k < c->a.ninputs && which[k] != i) k++;
        if (k == c->a.ninputs)
            rc = cli_usage_error("run", "missing input '%s' (give --input %s=FILE.npy)",
                                 seqrt_model_input_name(m, i), seqrt_model_input_name(m, i));
    }
    for (size_t k = 0; k < c->a.ninputs && rc == CLI_EXIT_OK; k++) {
        seqrt_status st = seqrt_tensor_load_npy(&c->in[which[k]], c->a.files[k]);
        if (st != SEQRT_OK) rc = cli_lib_error(st, "input '%s'", c->a.names[k]);
    }
    free(which);
    return rc;
}

/* File names of the outputs; two values may not share one file. */
static int name_outputs(run_ctx *c)
{
    for (size_t o = 0; o < c->nout; o++) {
        const char *value = seqrt_model_output_name(c->model, o);
        char *file = cli_output_file_name(value);
        if (!file) return cli_error("out of memory"), CLI_EXIT_FAIL;
        for (size_t p = 0; p < o && file; p++) {
            if (!c->out_file[p] || strcmp(c->out_file[p], file) != 0) continue;
            const char *pv = seqrt_model_output_name(c->model, p);
            free(file);
            file = NULL;
            if (strcmp(pv, value) != 0) {
                cli_error("outputs '%s' and '%s' would both be written to %s.npy", pv, value, pv);
                return CLI_EXIT_FAIL;
            }
        }
        c->out_file[o] = file; /* NULL: the same value listed again */
    }
    return CLI_EXIT_OK;
}

/* Makes c->chunk[i] hold steps [t0, t0+n) of every input with a time axis. */
static int make_chunk(run_ctx *c, int64_t T, int64_t t0, int64_t n)
{
    for (size_t i = 0; i < c->nin; i++) {
        int axis = seqrt_model_input_time_axis(c->model, i);
        if (axis < 0) continue;
        const seqrt_tensor *src = c->in[i];
        int64_t dims[SEQRT_MAX_RANK];
        int rank = seqrt_tensor_rank(src);
        for (int d = 0; d < rank; d++) dims[d] = seqrt_tensor_dim(src, d);
        dims[axis] = n;
        size_t outer, inner;
        cli_split_dims(src, axis, &outer, &inner);
        char *base = seqrt_tensor_data(src);
        const int contiguous = outer == 1; /* steps are adjacent: wrap in place */
        void *data;
        if (contiguous) {
            data = base ? base + (size_t)t0 * inner : NULL;
        } else {
            size_t bytes = outer * (size_t)(c->a.chunk < T ? c->a.chunk : T) * inner;
            if (!c->chunk_buf[i] && !(c->chunk_buf[i] = malloc(bytes ? bytes : 1)))
                return cli_error("out of memory for the chunks of input '%s'", seqrt_model_input_name(c->model, i)),
                       CLI_EXIT_FAIL;
            data = c->chunk_buf[i];
        }
        seqrt_tensor_free(c->chunk[i]);
        c->chunk[i] = NULL;
        seqrt_status st = seqrt_tensor_wrap(&c->chunk[i], seqrt_tensor_dtype(src), rank, dims, data);
        if (st == SEQRT_OK && !contiguous) st = seqrt_tensor_copy_steps(c->chunk[i], 0, src, t0, n, axis);
        if (st != SEQRT_OK) return cli_lib_error(st, "input '%s'", seqrt_model_input_name(c->model, i));
    }
    return CLI_EXIT_OK;
}

/* Copies output o of the chunk [t0, t0+n) into the assembled output. */
static int gather_output(run_ctx *c, size_t o, int64_t T, int64_t t0, int64_t n)
{
    int axis = seqrt_model_output_time_axis(c->model, o);
    const char *name = seqrt_model_output_name(c->model, o);
    const seqrt_tensor *t = NULL;
    seqrt_status st = seqrt_session_output(c->session, o, &t);
    if (st != SEQRT_OK) return cli_lib_error(st, "output '%s'", name);
    int rank = seqrt_tensor_rank(t);
    if (axis >= rank || seqrt_tensor_dim(t, axis) != n) {
        cli_error("--chunk: output '%s' has %lld steps for a chunk of %lld", name,
                  (long long)(axis < rank ? seqrt_tensor_dim(t, axis) : -1), (long long)n);
        return CLI_EXIT_FAIL;
    }
    int64_t dims[SEQRT_MAX_RANK];
    for (int d = 0; d < rank; d++) dims[d] = seqrt_tensor_dim(t, d);
    dims[axis] = T;
    seqrt_tensor *w = c->whole[o];
    if (!w) {
        st = seqrt_tensor_create(&c->whole[o], seqrt_tensor_dtype(t), rank, dims);
        if (st != SEQRT_OK) return cli_lib_error(st, "output '%s'", name);
        w = c->whole[o];
    }
    int same = seqrt_tensor_rank(w) == rank && seqrt_tensor_dtype(w) == seqrt_tensor_dtype(t);
    for (int d = 0; same && d < rank; d++) same = seqrt_tensor_dim(w, d) == dims[d];
    if (!same) {
        cli_error("--chunk: output '%s' changes shape or type between chunks", name);
        return CLI_EXIT_FAIL;
    }
    st = seqrt_tensor_copy_steps(w, t0, t, 0, n, axis);
    if (st != SEQRT_OK) return cli_lib_error(st, "output '%s'", name);
    return CLI_EXIT_OK;
}

/* Runs the whole time axis in chunks of a.chunk steps. */
static int run_chunked(run_ctx *c)
{
    int64_t T = -1;
    size_t first = 0;
    for (size_t i = 0; i < c->nin; i++) {
        int axis = seqrt_model_input_time_axis(c->model, i);
        if (axis < 0) continue;
        const char *name = seqrt_model_input_name(c->model, i);
        if (seqrt_tensor_rank(c->in[i]) <= axis) {
            cli_error("--chunk: input '%s' has %d dimensions, so no time axis %d", name,
                      seqrt_tensor_rank(c->in[i]), axis);
            return CLI_EXIT_FAIL;
        }
        int64_t d = seqrt_tensor_dim(c->in[i], axis);
        if (T < 0) {
            T = d;
            first = i;
        } else if (d != T) {
            cli_error("--chunk: inputs '%s' and '%s' have %lld and %lld time steps",
                      seqrt_model_input_name(c->model, first), name, (long long)T, (long long)d);
            return CLI_EXIT_FAIL;
        }
    }
    if (T < 0) T = 0; /* no time axis: one run of the whole inputs */

    const seqrt_tensor **ins = calloc(c->nin + 1, sizeof *ins);
    if (!ins) return cli_error("out of memory"), CLI_EXIT_FAIL;
    int rc = CLI_EXIT_OK;
    int64_t t0 = 0;
    do {
        int64_t n = T - t0 < c->a.chunk ? T - t0 : c->a.chunk;
        if ((rc = make_chunk(c, T, t0, n)) != CLI_EXIT_OK) break;
        for (size_t i = 0; i < c->nin; i++) ins[i] = c->chunk[i] ? c->chunk[i] : c->in[i];
        seqrt_status st = seqrt_session_run(c->session, ins, c->nin);
        if (st != SEQRT_OK) {
            rc = cli_lib_error(st, "run, chunk of steps %lld-%lld", (long long)t0, (long long)(t0 + n - 1));
            break;
        }
        for (size_t o = 0; o < c->nout && rc == CLI_EXIT_OK; o++)
            if (seqrt_model_output_time_axis(c->model, o) >= 0) rc = gather_output(c, o, T, t0, n);
        t0 += n;
    } while (rc == CLI_EXIT_OK && t0 < T);
    free(ins);
    return rc;
}

int cli_cmd_run(int argc, char **argv)
{
    run_ctx c;
    memset(&c, 0, sizeof c);
    cli_writer_init(&c.w);
    int rc = parse_args(argc, argv, &c.a);
    if (rc != CLI_EXIT_OK) {
        free_args(&c.a);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    seqrt_status st;
    if (!cli_is_directory(c.a.output_dir)) {
        cli_error("--output-dir '%s': no such directory", c.a.output_dir);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    seqrt_load_options lo = {c.a.strict, c.a.weights};
    if ((st = seqrt_model_load(&c.model, c.a.model, &lo)) != SEQRT_OK) {
        rc = cli_lib_error(st, "cannot load model");
        goto done;
    }
    for (size_t k = 0; k < seqrt_model_warning_count(c.model); k++)
        cli_warning("%s", seqrt_model_warning(c.model, k));
    char why[512];
    if (c.a.chunk > 0 && !seqrt_model_streamable(c.model, why, sizeof why)) {
        cli_error("--chunk: %s", why);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    c.nin = seqrt_model_input_count(c.model);
    c.nout = seqrt_model_output_count(c.model);
    c.in = calloc(c.nin + 1, sizeof *c.in);
    c.chunk = calloc(c.nin + 1, sizeof *c.chunk);
    c.chunk_buf = calloc(c.nin + 1, sizeof *c.chunk_buf);
    c.whole = calloc(c.nout + 1, sizeof *c.whole);
    c.out_file = calloc(c.nout + 1, sizeof *c.out_file);
    if (!c.in || !c.chunk || !c.chunk_buf || !c.whole || !c.out_file) {
        cli_error("out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if ((rc = name_outputs(&c)) != CLI_EXIT_OK || (rc = load_inputs(&c)) != CLI_EXIT_OK) goto done;

    const seqrt_device *dev = NULL;
    if ((st = seqrt_device_find(&dev, c.a.backend)) != SEQRT_OK) {
        rc = cli_lib_error(st, "%s", c.a.backend ? "--backend" : "backend");
        goto done;
    }
    seqrt_session_options so = {c.a.chunk > 0};
    if ((st = seqrt_session_create(&c.session, c.model, dev, &so)) != SEQRT_OK) {
        rc = cli_lib_error(st, "cannot prepare the model");
        goto done;
    }
    if (c.a.verbose) {
        seqrt_device_info di;
        if (seqrt_device_get_info(dev, &di) == SEQRT_OK)
            fprintf(stderr, "seqrt: running model '%s' on %s:%zu (%s)\n", seqrt_model_name(c.model), di.backend,
                    di.index, di.name);
    }
    if (c.a.chunk > 0) {
        if ((rc = run_chunked(&c)) != CLI_EXIT_OK) goto done;
    } else if ((st = seqrt_session_run(c.session, (const seqrt_tensor *const *)c.in, c.nin)) != SEQRT_OK) {
        rc = cli_lib_error(st, "run");
        goto done;
    }

    /* Write every output to a temporary, then move them all into place. */
    for (size_t o = 0; o < c.nout; o++) {
        if (!c.out_file[o]) continue;
        const seqrt_tensor *t = c.whole[o];
        if (!t && (st = seqrt_session_output(c.session, o, &t)) != SEQRT_OK) {
            rc = cli_lib_error(st, "output '%s'", seqrt_model_output_name(c.model, o));
            goto done;
        }
        if ((rc = cli_writer_add(&c.w, c.a.output_dir, c.out_file[o], t)) != CLI_EXIT_OK) goto done;
    }
    if ((rc = cli_writer_commit(&c.w)) != CLI_EXIT_OK) goto done;
    if (c.a.verbose || cli_log_info()) {
        for (size_t o = 0, k = 0; o < c.nout; o++) {
            if (!c.out_file[o]) continue;
            const seqrt_tensor *t = c.whole[o];
            if (!t && seqrt_session_output(c.session, o, &t) != SEQRT_OK) continue;
            char dims[256];
            cli_format_dims(t, dims, sizeof dims);
            fprintf(stderr, "seqrt: output '%s' %s %s -> %s\n", seqrt_model_output_name(c.model, o),
                    cli_dtype_name(seqrt_tensor_dtype(t)), dims, c.w.final_path[k++]);
        }
    }
done:
    free_ctx(&c);
    return rc;
}
