/*
 * seqrt command-line program: the `backends` command (every backend, whether
 * it is available or why not, and every device).
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

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
