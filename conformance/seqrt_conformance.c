/*
 * seqrt-conformance: runs the conformance suite on every available backend
 * and device (or those named with --backend) and reports, per case, PASS /
 * FAIL / SKIPPED with the max abs error, max relative error and NMSE against
 * the reference backend (and the stored goldens). Exit status: 0 when
 * nothing failed, 1 when something did, 2 for a usage error.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"

#define MAX_DEVICES 64

/* What is running, for the crash message (a driver that crashes takes the
 * whole program with it: at least say where). */
static const char *volatile g_case = "";
static const char *volatile g_device = "";

static void put(const char *s) { (void)!write(2, s, strlen(s)); }

static void on_crash(int sig)
{
    put("\nseqrt-conformance: crashed (signal ");
    char num[8];
    int n = 0, v = sig;
    do num[n++] = (char)('0' + v % 10); while ((v /= 10) && n < 7);
    while (n) {
        char c[2] = {num[--n], 0};
        put(c);
    }
    put(") while running case ");
    put(g_case);
    put(" on ");
    put(g_device);
    put(": please report it with this line and the output of `seqrt backends`\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

static void usage(FILE *f)
{
    fputs("usage: seqrt-conformance [--backend B[:N]] [--quick|--full] [--json FILE] [--markdown FILE]\n"
          "                         [options]\n"
          "\n"
          "Runs the conformance suite on every available backend and device and\n"
          "compares each with the reference backend (the oracle) by the spec's rule:\n"
          "|x - ref| <= atol + rtol * |ref| (atol 1e-4, rtol 1e-3 unless a case\n"
          "documents a looser bound), NaN and Inf exactly where the reference has them.\n"
          "Every case runs twice per device (the runs must agree bit for bit, or the\n"
          "report says where they do not), with guard zones around every output.\n"
          "\n"
          "options:\n"
          "  --backend B[:N]       only backend B (reference, onednn, opencl), or only its\n"
          "                        device N; repeat or separate with commas for several\n"
          "                        (default: every available device)\n"
          "  --quick               the quick set (default; what CI runs)\n"
          "  --full                the full set: every case, T = 1000, large layers\n"
          "  --json FILE           write the report as JSON\n"
          "  --markdown FILE       write the report as markdown (attach it to a bug report)\n"
          "  --filter S[,S...]     only cases whose name contains S or whose group is S;\n"
          "                        S with * ? [ is a glob on the whole name; =S is exactly S\n"
          "  --seed N              seed of the generated cases (default 20240611)\n"
          "  --golden-dir DIR      the golden cases (default: the installed copy,\n"
          "                        <prefix>/share/seqrt/conformance/golden, or the\n"
          "                        source tree's conformance/data/golden)\n"
          "  --no-golden           skip the golden cases\n"
          "  --save-failures DIR   write every failing case (model, weights, inputs,\n"
          "                        reference outputs) to DIR/<device>/<case>/ to reproduce\n"
          "                        it with `seqrt run`\n"
          "  --list                list the cases and exit\n"
          "  --no-progress         no progress bar (it is shown only on a terminal)\n"
          "  -v, --verbose         a row for every case in the console tables\n"
          "  --version             print seqrt's version\n"
          "  -h, --help            show this help\n"
          "\n"
          "Exit status: 0 when no case failed (skipped cases do not fail), 1 when one\n"
          "did, 2 for a usage error.\n",
          f);
}

typedef struct opts {
    char backends[512];
    int full, list, verbose, progress, no_golden;
    const char *json, *markdown, *filter, *golden_dir, *save_dir;
    unsigned long long seed;
} opts;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "seqrt-conformance: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see --help)\n");
    return 2;
}

static int parse(int argc, char **argv, opts *o)
{
    o->progress = isatty(2);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
#define VALUE(flag)                                                                 \
    (!strcmp(a, flag) ? (i + 1 < argc ? (v = argv[++i], 1) : -1)                     \
                      : (!strncmp(a, flag "=", strlen(flag) + 1) ? (v = a + strlen(flag) + 1, 1) : 0))
        int r;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(a, "--version")) {
            printf("seqrt-conformance (seqrt %s)\n", seqrt_version());
            return -1;
        } else if (!strcmp(a, "--quick")) {
            o->full = 0;
        } else if (!strcmp(a, "--full")) {
            o->full = 1;
        } else if (!strcmp(a, "--list")) {
            o->list = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = 1;
        } else if (!strcmp(a, "--no-progress")) {
            o->progress = 0;
        } else if (!strcmp(a, "--no-golden")) {
            o->no_golden = 1;
        } else if ((r = VALUE("--backend")) != 0) {
            if (r < 0 || !*v) return usage_error("%s needs a backend name", a);
            size_t n = strlen(o->backends);
            snprintf(o->backends + n, sizeof o->backends - n, "%s%s", n ? "," : "", v);
        } else if ((r = VALUE("--json")) != 0) {
            if (r < 0 || !*v) return usage_error("%s needs a file name", a);
            o->json = v;
        } else if ((r = VALUE("--markdown")) != 0) {
            if (r < 0 || !*v) return usage_error("%s needs a file name", a);
            o->markdown = v;
        } else if ((r = VALUE("--filter")) != 0) {
            if (r < 0) return usage_error("%s needs a pattern", a);
            o->filter = v;
        } else if ((r = VALUE("--golden-dir")) != 0) {
            if (r < 0 || !*v) return usage_error("%s needs a directory", a);
            o->golden_dir = v;
        } else if ((r = VALUE("--save-failures")) != 0) {
            if (r < 0 || !*v) return usage_error("%s needs a directory", a);
            o->save_dir = v;
        } else if ((r = VALUE("--seed")) != 0) {
            char *end = NULL;
            if (r < 0 || !*v) return usage_error("%s needs a number", a);
            errno = 0;
            o->seed = strtoull(v, &end, 10);
            if (errno || *end || !o->seed) return usage_error("--seed '%s': expected a whole number >= 1", v);
        } else {
            return usage_error("unknown argument '%s'", a);
        }
#undef VALUE
    }
    return 0;
}

static void progress(const opts *o, size_t done, size_t total, size_t failed, const char *name)
{
    if (!o->progress) return;
    const int width = 30;
    int fill = total ? (int)((double)done / (double)total * width) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] %zu/%zu%s%.0zu%s  %.48s", bar, done, total, failed ? "  " : "", failed,
            failed ? " failed" : "", name ? name : "");
    fflush(stderr);
}

static void clear_progress(const opts *o)
{
    if (o->progress) fprintf(stderr, "\r\033[K");
}

static void save_failure(const opts *o, const cf_suite *suite, size_t ci, const cf_instance *inst, const char *dev)
{
    char dir[1024], err[512];
    if (mkdir(o->save_dir, 0777) != 0 && errno != EEXIST) return;
    snprintf(dir, sizeof dir, "%s/%s", o->save_dir, dev);
    for (char *c = dir + strlen(o->save_dir) + 1; *c; c++)
        if (*c == ':') *c = '_';
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return;
    size_t n = strlen(dir);
    snprintf(dir + n, sizeof dir - n, "/%s", cf_suite_case(suite, ci)->name);
    for (char *c = dir + n + 1; *c; c++)
        if (*c == '/') *c = '_';
    if (cf_instance_save(suite, ci, inst, dir, err, sizeof err))
        fprintf(stderr, "seqrt-conformance: warning: cannot save %s: %s\n", dir, err);
}

int main(int argc, char **argv)
{
    opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;

    char err[1024];
    cf_suite_options so = {o.seed, o.full, o.no_golden ? "" : o.golden_dir, o.filter};
    cf_suite *suite = NULL;
    if (cf_suite_create(&suite, &so, err, sizeof err)) {
        fprintf(stderr, "seqrt-conformance: error: %s\n", err);
        return 1;
    }
    size_t ncases = cf_suite_count(suite);
    if (o.list) {
        for (size_t i = 0; i < ncases; i++) {
            const cf_case_info *ci = cf_suite_case(suite, i);
            printf("%-72s %-20s %s%s\n", ci->name, ci->group, ci->source, ci->full_only ? " (full)" : "");
        }
        printf("%zu cases (%s set)\n", ncases, o.full ? "full" : "quick");
        cf_suite_free(suite);
        return 0;
    }

    cf_device devs[MAX_DEVICES];
    int ndev = cf_list_devices(devs, MAX_DEVICES, o.backends, err, sizeof err);
    if (ndev < 0) {
        fprintf(stderr, "seqrt-conformance: error: %s\n", err);
        cf_suite_free(suite);
        return 2;
    }
    if (ndev == 0) {
        fprintf(stderr, "seqrt-conformance: error: no available device\n");
        cf_suite_free(suite);
        return 1;
    }
    if (!ncases) {
        fprintf(stderr, "seqrt-conformance: error: no case selected%s%s\n", o.filter ? " by --filter " : "",
                o.filter ? o.filter : "");
        cf_suite_free(suite);
        return 2;
    }

    printf("seqrt-conformance: seqrt %s, %s set, %zu cases, seed %llu\n", seqrt_version(), o.full ? "full" : "quick",
           ncases, (unsigned long long)cf_suite_seed(suite));
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        seqrt_backend_info bi;
        if (seqrt_backend_get_info(b, &bi) != SEQRT_OK) continue;
        if (bi.available)
            printf("  backend %-10s %zu device(s), %s\n", bi.name, bi.device_count, bi.module);
        else
            printf("  backend %-10s unavailable: %s\n", bi.name, bi.reason);
    }
    for (int d = 0; d < ndev; d++)
        printf("  device  %-12s %s | %s | %s\n", devs[d].spec, devs[d].info.name, devs[d].info.vendor,
               devs[d].info.driver);
    if (cf_suite_golden_note(suite)[0]) printf("  note: %s\n", cf_suite_golden_note(suite));
    fflush(stdout);

    cf_report *report = cf_report_create(suite, devs, (size_t)ndev);
    if (!report) {
        fprintf(stderr, "seqrt-conformance: error: out of memory\n");
        cf_suite_free(suite);
        return 1;
    }
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t k = 0; k < sizeof fatal / sizeof fatal[0]; k++) signal(fatal[k], on_crash);
    size_t total = ncases * (size_t)ndev, done = 0, failed = 0;
    for (size_t i = 0; i < ncases; i++) {
        const cf_case_info *ci = cf_suite_case(suite, i);
        progress(&o, done, total, failed, ci->name);
        cf_instance *inst = NULL;
        int made = cf_instance_create(&inst, suite, i, err, sizeof err) == 0;
        for (int d = 0; d < ndev; d++) {
            cf_result res;
            g_case = ci->name;
            g_device = devs[d].spec;
            if (made)
                cf_run(inst, devs[d].dev, &res);
            else
                cf_result_instance_failed(&res, err);
            cf_report_add(report, i, (size_t)d, &res, inst);
            if (res.verdict == CF_FAIL) {
                failed++;
                clear_progress(&o);
                fprintf(stderr, "FAIL %s on %s: %.*s%s\n", ci->name, devs[d].spec, CF_CONSOLE_REASON, res.reason,
                        strlen(res.reason) > CF_CONSOLE_REASON ? "..." : "");
                if (o.save_dir && made) save_failure(&o, suite, i, inst, devs[d].spec);
            }
            done++;
            progress(&o, done, total, failed, ci->name);
            cf_result_clear(&res);
        }
        cf_instance_free(inst);
    }
    clear_progress(&o);

    cf_report_print(report, stdout, o.verbose);
    int status = 0;
    if (o.json && cf_report_write_json(report, o.json, err, sizeof err)) {
        fprintf(stderr, "seqrt-conformance: error: %s\n", err);
        status = 1;
    } else if (o.json) {
        printf("JSON report: %s\n", o.json);
    }
    if (o.markdown && cf_report_write_markdown(report, o.markdown, err, sizeof err)) {
        fprintf(stderr, "seqrt-conformance: error: %s\n", err);
        status = 1;
    } else if (o.markdown) {
        printf("markdown report: %s\n", o.markdown);
    }
    size_t p, f, s;
    cf_report_counts(report, &p, &f, &s);
    char line[128];
    cf_report_summary_line(report, line, sizeof line);
    printf("%s\n", line);
    cf_report_free(report);
    cf_suite_free(suite);
    return f ? 1 : status;
}
