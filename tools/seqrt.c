/*
 * seqrt command-line program: entry point, command dispatch, help, version,
 * and the `backends` command.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_help_environment(FILE *f)
{
    fputs("environment:\n"
          "  SEQRT_BACKEND        backend used when --backend is not given: reference,\n"
          "                       onednn, opencl or auto (default), optionally with :N\n"
          "                       for device N (e.g. opencl:1). auto = an OpenCL GPU if\n"
          "                       present, else oneDNN, else reference. An unknown or\n"
          "                       unavailable name is an error, never a silent fallback.\n"
          "  SEQRT_BACKEND_PATH   directory holding the backend modules (default: beside\n"
          "                       libseqrt)\n"
          "  SEQRT_OPENCL_VENDOR  force the OpenCL vendor profile: amd, intel, nvidia,\n"
          "                       generic\n"
          "  SEQRT_LOG            what the library prints on stderr: error (default),\n"
          "                       warn, info (which backend and device it chose, and why),\n"
          "                       debug\n",
          f);
}

void cli_help_main(FILE *f)
{
    fputs("usage: seqrt <command> [options]\n"
          "\n"
          "Runs LSTM/attention models in seqrt's format (a JSON description and its\n"
          "safetensors weights) on the reference, oneDNN or OpenCL backend. Inputs and\n"
          "outputs are NumPy .npy files.\n"
          "\n"
          "commands:\n"
          "  run MODEL.json --input NAME=FILE.npy ... [--output-dir DIR] [--backend B]\n"
          "                 [--chunk N] [--strict] [--weights FILE] [--verbose]\n"
          "                      run a model; write each output to DIR/<value>.npy\n"
          "  info MODEL.json [--strict] [--weights FILE]\n"
          "                      describe a model: inputs, layers, shapes, parameter\n"
          "                      count, FLOPs per step, outputs, whether it can stream\n"
          "  generate MODEL.json [--prompt TEXT] [--tokens N] [--temperature X] [--seed S]\n"
          "                      sample text from a language model one token at a time\n"
          "                      (streaming session; vocabulary from metadata.vocab)\n"
          "  classify MODEL.json [--text TEXT ...]\n"
          "                      label each text (or each line of stdin) with a\n"
          "                      classifier; print every label's probability\n"
          "  backends            list every backend and device, available or why not\n"
          "  help [COMMAND]      show this help, or a command's\n"
          "\n"
          "options:\n"
          "  -h, --help          show this help\n"
          "  --version           show the version\n"
          "\n",
          f);
    cli_help_environment(f);
    fputs("\n"
          "Exit status: 0 on success, 1 when a model, file or run fails, 2 for a bad\n"
          "command line. Errors are one line on stderr: \"seqrt: error: ...\".\n",
          f);
}

void cli_help_backends(FILE *f)
{
    fputs("usage: seqrt backends\n"
          "\n"
          "Lists every backend (reference, onednn, opencl): whether it is available or\n"
          "why not, and the module it comes from; then every device, named as\n"
          "BACKEND:INDEX (the value --backend and SEQRT_BACKEND take), with its\n"
          "description, vendor, driver, compute units and memory.\n"
          "\n",
          f);
    cli_help_environment(f);
}

/* "15.6 GiB", "512 MiB", or "-" when unknown. */
static void format_bytes(uint64_t b, char *buf, size_t size)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (b == 0) {
        snprintf(buf, size, "-");
        return;
    }
    double v = (double)b;
    int u = 0;
    while (v >= 1024.0 && u < 4) v /= 1024.0, u++;
    if (u == 0)
        snprintf(buf, size, "%llu B", (unsigned long long)b);
    else
        snprintf(buf, size, "%.1f %s", v, unit[u]);
}

int cli_cmd_backends(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            cli_help_backends(stdout);
            return CLI_EXIT_OK;
        }
        if (argv[i][0] == '-') return cli_usage_error("backends", "unknown option '%s'", argv[i]);
        return cli_usage_error("backends", "unexpected argument '%s'", argv[i]);
    }

    size_t nb = seqrt_backend_count();
    cli_table bt, dt;
    cli_table_init(&bt, 4);
    bt.right[2] = 1;
    cli_table_init(&dt, 7);
    dt.right[4] = 1;
    dt.right[5] = 1;
    int rc = CLI_EXIT_OK;
    const char *bh[] = {"BACKEND", "MODULE", "DEVICES", "STATUS"};
    const char *dh[] = {"DEVICE", "NAME", "VENDOR", "DRIVER", "UNITS", "MEMORY", "DESCRIPTION"};
    if (!cli_table_row(&bt, bh) || !cli_table_row(&dt, dh)) goto oom;

    for (size_t b = 0; b < nb; b++) {
        seqrt_backend_info bi;
        seqrt_status st = seqrt_backend_get_info(b, &bi);
        if (st != SEQRT_OK) {
            rc = cli_lib_error(st, "backend %zu", b);
            goto done;
        }
        char status[600];
        if (bi.available)
            snprintf(status, sizeof status, "available");
        else
            snprintf(status, sizeof status, "unavailable: %s",
                     (bi.reason && *bi.reason) ? bi.reason : "no usable device");
        char ndev[24];
        snprintf(ndev, sizeof ndev, "%zu", bi.device_count);
        const char *brow[] = {bi.name, (bi.module && *bi.module) ? bi.module : "-", ndev, status};
        if (!cli_table_row(&bt, brow)) goto oom;

        for (size_t d = 0; d < bi.device_count; d++) {
            const seqrt_device *dev = NULL;
            seqrt_device_info di;
            st = seqrt_backend_get_device(&dev, b, d);
            if (st == SEQRT_OK) st = seqrt_device_get_info(dev, &di);
            if (st != SEQRT_OK) {
                rc = cli_lib_error(st, "device %s:%zu", bi.name, d);
                goto done;
            }
            char id[160], units[32], mem[32];
            snprintf(id, sizeof id, "%s:%zu", di.backend ? di.backend : bi.name, di.index);
            if (di.compute_units > 0)
                snprintf(units, sizeof units, "%d", di.compute_units);
            else
                snprintf(units, sizeof units, "-");
            format_bytes(di.memory_bytes, mem, sizeof mem);
            const char *drow[] = {id,
                                  (di.name && *di.name) ? di.name : "-",
                                  (di.vendor && *di.vendor) ? di.vendor : "-",
                                  (di.driver && *di.driver) ? di.driver : "-",
                                  units,
                                  mem,
                                  (di.description && *di.description) ? di.description : "-"};
            if (!cli_table_row(&dt, drow)) goto oom;
        }
    }

    printf("backends:\n");
    cli_table_print(&bt, stdout, "  ");
    printf("\ndevices:\n");
    if (dt.nrows > 1)
        cli_table_print(&dt, stdout, "  ");
    else
        printf("  (none)\n");
    fflush(stdout);
    goto done;
oom:
    cli_error("out of memory listing the backends");
    rc = CLI_EXIT_FAIL;
done:
    cli_table_free(&bt);
    cli_table_free(&dt);
    return rc;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        cli_help_main(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2) return cli_usage_error(NULL, "help takes at most one command, got '%s'", argv[2]);
    const char *c = argv[1];
    if (!strcmp(c, "run"))
        cli_help_run(stdout);
    else if (!strcmp(c, "info"))
        cli_help_info(stdout);
    else if (!strcmp(c, "backends"))
        cli_help_backends(stdout);
    else if (!strcmp(c, "generate"))
        cli_help_generate(stdout);
    else if (!strcmp(c, "classify"))
        cli_help_classify(stdout);
    else if (!strcmp(c, "help"))
        cli_help_main(stdout);
    else
        return cli_usage_error(NULL, "unknown command '%s' (commands: run, info, generate, classify, backends, help)", c);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error(NULL, "no command given (commands: run, info, generate, classify, backends, help)");
    const char *cmd = argv[1];
    int rc;
    if (cli_is_help(cmd)) {
        cli_help_main(stdout);
        rc = CLI_EXIT_OK;
    } else if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("seqrt %s\n", seqrt_version());
        rc = CLI_EXIT_OK;
    } else if (!strcmp(cmd, "run")) {
        rc = cli_cmd_run(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "info")) {
        rc = cli_cmd_info(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "backends")) {
        rc = cli_cmd_backends(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "generate")) {
        rc = cli_cmd_generate(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "classify")) {
        rc = cli_cmd_classify(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "help")) {
        rc = cmd_help(argc - 1, argv + 1);
    } else if (cmd[0] == '-') {
        rc = cli_usage_error(NULL, "unknown option '%s'", cmd);
    } else {
        rc = cli_usage_error(NULL, "unknown command '%s' (commands: run, info, generate, classify, backends, help)", cmd);
    }
    /* A failed write to stdout (e.g. a full disk) is an error too. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == CLI_EXIT_OK) {
            cli_error("cannot write to standard output");
            rc = CLI_EXIT_FAIL;
        }
    }
    return rc;
}
