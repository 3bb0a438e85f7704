/*
 * seqrt command-line program: the `quantize` command. The conversion has
 * one implementation, the Python package's seqrt.quantize
 * (python/seqrt/quantize.py: int8 codes and scales as PyTorch's
 * quantize_dynamic makes them, bf16/f16 rounding, the report on random
 * inputs); this command finds that package and an interpreter and hands
 * them its arguments, so `seqrt quantize` and `python3 -m seqrt.quantize`
 * are the same program.
 *
 * The package: $SEQRT_PYTHONPATH when set, else the installed one beside
 * this program (<prefix>/lib/python3/dist-packages, docs/install.md), else
 * the source tree's python/ this program was built from. The interpreter:
 * $SEQRT_PYTHON, else /usr/bin/python3, else python3 on PATH. The package
 * is pointed at the library this program runs on ($SEQRT_LIBRARY, unless
 * already set), so both convert and check with the same seqrt.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Runs the package's main() or says in one line what is missing. */
static const char g_boot[] =
    "import sys\n"
    "try:\n"
    "    import numpy\n"
    "except ImportError as e:\n"
    "    sys.stderr.write('seqrt: error: seqrt quantize needs NumPy (Debian: python3-numpy): %s\\n' % e)\n"
    "    sys.exit(1)\n"
    "try:\n"
    "    from seqrt import quantize\n"
    "except ImportError as e:\n"
    "    sys.stderr.write('seqrt: error: seqrt quantize needs the seqrt Python package: %s\\n' % e)\n"
    "    sys.exit(1)\n"
    "import argparse\n"
    "def _one_line(self, message):\n"
    "    sys.stderr.write('seqrt: error: quantize: %s (try seqrt quantize --help)\\n' % message)\n"
    "    sys.exit(2)\n"
    "argparse.ArgumentParser.error = _one_line\n"
    "sys.exit(quantize.main(sys.argv[1:]))\n";

static int is_file(const char *p) { return access(p, R_OK) == 0; }

/* The folder holding seqrt/quantize.py, or "" (with why). */
static void find_package(char *out, size_t n, char *why, size_t wn)
{
    char path[4096 + 64];
    out[0] = '\0';
    const char *env = getenv("SEQRT_PYTHONPATH");
    if (env && *env) {
        snprintf(path, sizeof path, "%s/seqrt/quantize.py", env);
        if (is_file(path)) snprintf(out, n, "%s", env);
        else snprintf(why, wn, "SEQRT_PYTHONPATH='%s' has no seqrt/quantize.py", env);
        return;
    }
    char exe[4096];
    const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(path, sizeof path, "%s/../lib/python3/dist-packages/seqrt/quantize.py", exe);
        if (is_file(path)) {
            snprintf(out, n, "%s/../lib/python3/dist-packages", exe);
            return;
        }
    }
#ifdef SEQRT_SOURCE_DIR
    snprintf(path, sizeof path, "%s/python/seqrt/quantize.py", SEQRT_SOURCE_DIR);
    if (is_file(path)) {
        snprintf(out, n, "%s/python", SEQRT_SOURCE_DIR);
        return;
    }
#endif
    snprintf(why, wn, "the seqrt Python package is not installed beside this program (lib/python3/dist-packages) "
                      "and SEQRT_PYTHONPATH is not set");
}

static const char *find_python(void)
{
    const char *env = getenv("SEQRT_PYTHON");
    if (env && *env) return env;
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

int cli_cmd_quantize(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            cli_help_quantize(stdout);
            return CLI_EXIT_OK;
        }
    char pkg[4200], why[512] = "";
    find_package(pkg, sizeof pkg, why, sizeof why);
    if (!pkg[0]) {
        cli_error("quantize: %s", why);
        return CLI_EXIT_FAIL;
    }
    const char *old = getenv("PYTHONPATH");
    char *pp = malloc(strlen(pkg) + (old ? strlen(old) : 0) + 2);
    if (!pp) {
        cli_error("quantize: out of memory");
        return CLI_EXIT_FAIL;
    }
    sprintf(pp, "%s%s%s", pkg, old && *old ? ":" : "", old && *old ? old : "");
    setenv("PYTHONPATH", pp, 1);
    free(pp);
    Dl_info info;
    if (!getenv("SEQRT_LIBRARY") && dladdr((void *)seqrt_version, &info) && info.dli_fname)
        setenv("SEQRT_LIBRARY", info.dli_fname, 1);
    const char *py = find_python();
    char **args = calloc((size_t)argc + 4, sizeof *args);
    if (!args) {
        cli_error("quantize: out of memory");
        return CLI_EXIT_FAIL;
    }
    args[0] = (char *)py;
    args[1] = "-c";
    args[2] = (char *)g_boot;
    for (int i = 1; i < argc; i++) args[2 + i] = argv[i];
    fflush(stdout);
    execvp(py, args);
    cli_error("quantize: cannot run the Python interpreter '%s' (%s): seqrt quantize needs Python 3 with NumPy "
              "(set SEQRT_PYTHON)", py, strerror(errno));
    free(args);
    return CLI_EXIT_FAIL;
}
