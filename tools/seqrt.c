/*
 * seqrt command-line program: entry point, command dispatch, `help` and
 * `--version`. The usage texts are in cli_help.c, the commands in cli_*.c.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
    else if (!strcmp(c, "quantize"))
        cli_help_quantize(stdout);
    else if (!strcmp(c, "help"))
        cli_help_main(stdout);
    else
        return cli_usage_error(NULL, "unknown command '%s' (commands: run, info, generate, classify, quantize, backends, help)", c);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error(NULL, "no command given (commands: run, info, generate, classify, quantize, backends, help)");
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
    } else if (!strcmp(cmd, "quantize")) {
        rc = cli_cmd_quantize(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "help")) {
        rc = cmd_help(argc - 1, argv + 1);
    } else if (cmd[0] == '-') {
        rc = cli_usage_error(NULL, "unknown option '%s'", cmd);
    } else {
        rc = cli_usage_error(NULL, "unknown command '%s' (commands: run, info, generate, classify, quantize, backends, help)", cmd);
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
