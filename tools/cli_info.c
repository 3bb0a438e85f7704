/*
 * seqrt command-line program: the `info` command (a model's inputs, layers,
 * shapes, parameter count, FLOPs per step, every attribute of every layer,
 * outputs, and whether it streams).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "1,234,567" */
static void format_count(uint64_t v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
    size_t k = 0;
    for (int i = 0; i < n && k + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k] = '\0';
}

static int print_inputs(const seqrt_model *m)
{
    cli_table t;
    cli_table_init(&t, 4);
    const char *head[] = {"NAME", "DTYPE", "SHAPE", "TIME AXIS"};
    int ok = cli_table_row(&t, head);
    size_t n = seqrt_model_input_count(m);
    for (size_t i = 0; i < n && ok; i++) {
        int axis = seqrt_model_input_time_axis(m, i);
        char ax[48];
        if (axis >= 0)
            snprintf(ax, sizeof ax, "%d", axis);
        else
            snprintf(ax, sizeof ax, "-");
        char shape[128] = "?";
        seqrt_model_input_shape(m, i, NULL, NULL, shape, sizeof shape);
        const char *row[] = {seqrt_model_input_name(m, i), cli_dtype_name(seqrt_model_input_dtype(m, i)), shape, ax};
        ok = cli_table_row(&t, row);
    }
    if (ok) {
        printf("\ninputs:\n");
        cli_table_print(&t, stdout, "  ");
    }
    cli_table_free(&t);
    return ok;
}

static int print_layers(const seqrt_model *m, int *status_rc)
{
    cli_table t;
    cli_table_init(&t, 6);
    t.right[0] = t.right[4] = t.right[5] = 1;
    const char *head[] = {"#", "NAME", "OP", "OUTPUT SHAPE", "PARAMS", "FLOPS/STEP"};
    int ok = cli_table_row(&t, head);
    uint64_t params = 0, flops = 0;
    size_t n = seqrt_model_layer_count(m);
    for (size_t l = 0; l < n && ok; l++) {
        seqrt_layer_info li;
        seqrt_status st = seqrt_model_layer_info(m, l, &li);
        if (st != SEQRT_OK) {
            *status_rc = cli_lib_error(st, "layer %zu", l);
            cli_table_free(&t);
            return 1;
        }
        li.shape[sizeof li.shape - 1] = '\0';
        char idx[24], p[40], f[40];
        snprintf(idx, sizeof idx, "%zu", l);
        format_count(li.params, p, sizeof p);
        format_count(li.flops_per_step, f, sizeof f);
        params += li.params;
        flops += li.flops_per_step;
        const char *row[] = {idx, li.name, li.op, li.shape, p, f};
        ok = cli_table_row(&t, row);
    }
    char p[40], f[40];
    format_count(params, p, sizeof p);
    format_count(flops, f, sizeof f);
    const char *total[] = {"", "total", "", "", p, f};
    if (ok) ok = cli_table_row(&t, total);
    if (ok) {
        printf("\nlayers:\n");
        cli_table_print(&t, stdout, "  ");
        printf("\nparameters:      %s\n", p);
        printf("FLOPs per step:  %s (per time step and batch entry, 2 per multiply-add)\n", f);
    }
    cli_table_free(&t);
    return ok;
}

/* Every attribute of every layer, from the op's schema through
 * seqrt_model_layer_attr (so a new attribute shows without editing this),
 * and a recurrent layer's gate functions when `activations` is given. */
static int print_attributes(const seqrt_model *m, int *status_rc)
{
    size_t n = seqrt_model_layer_count(m);
    int ok = 1;
    printf("\nattributes (\"(default)\": the value is the attribute's default):\n");
    for (size_t l = 0; l < n && ok; l++) {
        seqrt_layer_info li;
        seqrt_status st = seqrt_model_layer_info(m, l, &li);
        if (st != SEQRT_OK) {
            *status_rc = cli_lib_error(st, "layer %zu", l);
            return 1;
        }
        cli_table t;
        cli_table_init(&t, 2);
        int acts = 0;
        size_t na = seqrt_model_layer_attr_count(m, l);
        for (size_t k = 0; k < na && ok; k++) {
            seqrt_layer_attr a;
            if ((st = seqrt_model_layer_attr(m, l, k, &a)) != SEQRT_OK) {
                *status_rc = cli_lib_error(st, "layer '%s'", li.name);
                cli_table_free(&t);
                return 1;
            }
            if (!strcmp(a.name, "activations") && !a.is_default) acts = 1;
            char val[sizeof a.value + 16];
            snprintf(val, sizeof val, "%s%s", a.value, a.is_default ? " (default)" : "");
            const char *row[] = {a.name, val};
            ok = cli_table_row(&t, row);
        }
        char fns[512];
        if (ok && acts) {
            if ((st = seqrt_model_layer_gate_functions(m, l, fns, sizeof fns)) != SEQRT_OK) {
                *status_rc = cli_lib_error(st, "layer '%s'", li.name);
                cli_table_free(&t);
                return 1;
            }
            const char *row[] = {"(gate functions)", fns};
            ok = cli_table_row(&t, row);
        }
        if (ok) {
            printf("  %s (%s):%s\n", li.name, li.op, na ? "" : " none");
            cli_table_print(&t, stdout, "    ");
        }
        cli_table_free(&t);
    }
    return ok;
}

static int print_outputs(const seqrt_model *m)
{
    cli_table t;
    cli_table_init(&t, 4);
    const char *head[] = {"VALUE", "SHAPE", "TIME AXIS", "FILE"};
    int ok = cli_table_row(&t, head);
    size_t n = seqrt_model_output_count(m);
    for (size_t o = 0; o < n && ok; o++) {
        const char *name = seqrt_model_output_name(m, o);
        int axis = seqrt_model_output_time_axis(m, o);
        char shape[128] = "?";
        seqrt_model_output_shape(m, o, NULL, NULL, shape, sizeof shape);
        char ax[48];
        if (axis >= 0)
            snprintf(ax, sizeof ax, "%d", axis);
        else
            snprintf(ax, sizeof ax, "-");
        char *file = cli_output_file_name(name);
        const char *row[] = {name, shape, ax, file};
        ok = file && cli_table_row(&t, row);
        free(file);
    }
    if (ok) {
        printf("\noutputs:\n");
        cli_table_print(&t, stdout, "  ");
    }
    cli_table_free(&t);
    return ok;
}

int cli_cmd_info(int argc, char **argv)
{
    const char *path = NULL, *weights = NULL, *v;
    int strict = 0, r;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            cli_help_info(stdout);
            return CLI_EXIT_OK;
        }
        if ((r = cli_option_value(argc, argv, &i, "--weights", &v, "info")) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            if (!*v) return cli_usage_error("info", "--weights: the file name is empty");
            weights = v;
        } else if (!strcmp(arg, "--strict")) {
            strict = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage_error("info", "unknown option '%s'", arg);
        } else if (path) {
            return cli_usage_error("info", "unexpected argument '%s' (the model is '%s')", arg, path);
        } else {
            path = arg;
        }
    }
    if (!path) return cli_usage_error("info", "no model given");

    seqrt_model *m = NULL;
    seqrt_load_options lo = {strict, weights};
    seqrt_status st = seqrt_model_load(&m, path, &lo);
    if (st != SEQRT_OK) return cli_lib_error(st, "cannot load model");
    for (size_t k = 0; k < seqrt_model_warning_count(m); k++)
        cli_warning("%s", seqrt_model_warning(m, k));

    int rc = CLI_EXIT_OK;
    printf("model:        %s\n", seqrt_model_name(m));
    printf("description:  %s\n", path);
    printf("batch_first:  %s\n", seqrt_model_batch_first(m) ? "true" : "false");
    const char *meta = seqrt_model_metadata(m);
    if (meta) {
        size_t len = strlen(meta);
        if (len > 100)
            printf("metadata:     %.96s ... (%zu bytes)\n", meta, len);
        else
            printf("metadata:     %s\n", meta);
    }
    int ok = print_inputs(m) && print_layers(m, &rc) && rc == CLI_EXIT_OK && print_attributes(m, &rc) &&
             rc == CLI_EXIT_OK && print_outputs(m);
    if (rc == CLI_EXIT_OK && !ok) {
        cli_error("out of memory describing the model");
        rc = CLI_EXIT_FAIL;
    }
    if (rc == CLI_EXIT_OK) {
        char why[512];
        if (seqrt_model_streamable(m, why, sizeof why))
            printf("\nstreamable:   yes (seqrt run --chunk N works)\n");
        else
            printf("\nstreamable:   no: %s\n", why);
        size_t nw = seqrt_model_warning_count(m);
        if (nw) printf("warnings:     %zu (printed on stderr)\n", nw);
    }
    seqrt_model_free(m);
    return rc;
}
