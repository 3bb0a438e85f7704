/*
 * seqrt-bench: runs a set of shapes on every available backend and device
 * (or those chosen with --backend), with the device's GEMM peak, oneDNN's
 * LSTM primitive and ONNX Runtime's CPU LSTM measured in the same run as
 * ratio columns. See docs/bench.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#ifndef SEQRT_BENCH_ORT_DIR
#define SEQRT_BENCH_ORT_DIR "bench/ort"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: seqrt-bench [--set NAME[,NAME...] | --model FILE.json | --scaling] [options]\n"
            "\n"
            "Times models on every available seqrt backend and device, next to the\n"
            "device's GEMM peak at the same GEMM shapes (oneDNN sgemm on the CPU, CLBlast\n"
            "on each OpenCL device), oneDNN's own LSTM primitive and ONNX Runtime's CPU\n"
            "LSTM, measured in the same run.\n"
            "\n"
            "what to run:\n"
            "  --set NAMES         built-in sets, comma-separated: %s\n"
            "                      (default: seeds)\n"
            "  --model FILE.json   a model of your own; symbolic dims bind to --T/--B\n"
            "  --T N, --B N        time steps and batch for --model (default 100, 16)\n"
            "  --streams N         N streams of one token a step: a stream pool against N\n"
            "                      sessions of batch 1 in turn (own options: --backend,\n"
            "                      --model, --rounds, --steps; docs/streams.md)\n"
            "  --scaling           time against T, B and H in turn around the seed LSTM\n"
            "                      (T=100 B=16 I=128 H=256); --svg draws it, log-log\n"
            "  --filter TEXT       only cases whose name contains TEXT\n"
            "  --precision LIST    every device at each precision, comma-separated: f32,\n"
            "                      bf16, f16, int8 (format 1.2's model-wide precision over the\n"
            "                      same weights; int8: int8-dynamic, rule onednn), each a series\n"
            "                      of its own; a summary gives each against f32\n"
            "  --backend SPECS     comma-separated: reference, onednn, opencl (every device\n"
            "                      of it) or NAME:N (device N); default: every available one\n"
            "\n"
            "method:\n"
            "  --budget S          measured seconds per case and device (default 0.5)\n"
            "  --warmup S          warm-up seconds after the first run (default budget/5)\n"
            "  --max-reps N        at most N measured runs (default 1000)\n"
            "  --rounds N          measured runs in N rounds, the case's series taking\n"
            "                      turns, so all see the same machine (default 5)\n"
            "  --quick             smoke run: T <= 16, B <= 4, fewer cases, budget 0.05 s\n"
            "  --ref-max-gflop X   the reference backend skips cases above X GFLOP per run\n"
            "                      (default 10; it is an oracle, not fast)\n"
            "  --threads N         CPU threads for everything timed: sets OMP_NUM_THREADS\n"
            "                      (oneDNN) and POCL_MAX_PTHREAD_COUNT (PoCL) and restarts\n"
            "                      itself; ONNX Runtime gets N intra-op threads. Default:\n"
            "                      every CPU. Use 1 on a busy machine, where threads that\n"
            "                      wait for each other at barriers make timings erratic\n"
            "  --neighbour N       N busy-loop processes run during the measurement (a\n"
            "                      busy machine; one per CPU: every core busy); the bench\n"
            "                      starts and ends them itself\n"
            "  --no-baselines      time seqrt only\n"
            "  --no-ort            skip the ONNX Runtime column\n"
            "  --ort-dir DIR       where ort_lstm.js is (default $SEQRT_BENCH_ORT_DIR or\n"
            "                      %s)\n"
            "\n"
            "output:\n"
            "  --json FILE, --csv FILE   every measurement; --svg FILE: GFLOP/s per case\n"
            "                      and series (or the --scaling plot)\n"
            "  --markdown FILE     a Markdown table of the results (for README files)\n"
            "  --list              list the cases and devices, run nothing\n"
            "  -q, --quiet         no table on stdout\n"
            "  -h, --help          this help\n",
            bench_set_names(), SEQRT_BENCH_ORT_DIR);
}

static int die(const char *fmt, const char *a)
{
    fprintf(stderr, "seqrt-bench: error: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    return 2;
}

/* Adds the devices of one --backend spec (or of every backend when NULL). */
static int add_devices(const char *spec, bench_device *devs, int *n, char *unavail, size_t un)
{
    char name[64] = "";
    long want = -1;
    if (spec) {
        snprintf(name, sizeof name, "%s", spec);
        char *colon = strchr(name, ':');
        if (colon) {
            *colon = '\0';
            char *end;
            want = strtol(colon + 1, &end, 10);
            if (*end || want < 0) return die("--backend %s: the device index must be a number", spec), -1;
        }
    }
    int found = 0;
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        seqrt_backend_info bi;
        if (seqrt_backend_get_info(b, &bi) != SEQRT_OK) continue;
        if (spec && strcmp(bi.name, name)) continue;
        found = 1;
        if (!bi.available) {
            if (spec) {
                fprintf(stderr, "seqrt-bench: error: backend '%s' is unavailable: %s\n", bi.name, bi.reason);
                return -1;
            }
            size_t u = strlen(unavail);
            snprintf(unavail + u, un - u, "%s%s (%s)", u ? "; " : "", bi.name, bi.reason);
            continue;
        }
        for (size_t d = 0; d < bi.device_count; d++) {
            if (want >= 0 && (size_t)want != d) continue;
            if (*n == BENCH_MAX_DEVICES) break;
            const seqrt_device *dev;
            if (seqrt_backend_get_device(&dev, b, d) != SEQRT_OK) continue;
            seqrt_device_info di;
            seqrt_device_get_info(dev, &di);
            int dup = 0;
            for (int k = 0; k < *n; k++) dup |= devs[k].dev == dev;
            if (dup) continue;
            bench_device *x = &devs[(*n)++];
            memset(x, 0, sizeof *x);
            snprintf(x->id, sizeof x->id, "%s:%zu", bi.name, d);
            snprintf(x->backend, sizeof x->backend, "%s", bi.name);
            x->index = d;
            snprintf(x->name, sizeof x->name, "%s", di.name ? di.name : "");
            snprintf(x->description, sizeof x->description, "%s", di.description ? di.description : "");
            x->dev = dev;
            x->cl_index = -1;
        }
        if (want >= 0 && (size_t)want >= bi.device_count) {
            fprintf(stderr, "seqrt-bench: error: backend '%s' has %zu device(s); there is no device %ld\n", bi.name,
                    bi.device_count, want);
            return -1;
        }
    }
    if (spec && !found) {
        fprintf(stderr, "seqrt-bench: error: unknown backend '%s' (known:", name);
        for (size_t b = 0; b < seqrt_backend_count(); b++) {
            seqrt_backend_info bi;
            if (seqrt_backend_get_info(b, &bi) == SEQRT_OK) fprintf(stderr, " %s", bi.name);
        }
        fprintf(stderr, ")\n");
        return -1;
    }
    return 0;
}

static void rm_case_files(const bench_case *c)
{
    if (!c->desc || !c->json_path[0]) return;
    char st[1100];
    snprintf(st, sizeof st, "%s", c->json_path);
    char *dot = strrchr(st, '.');
    if (dot) snprintf(dot, sizeof st - (size_t)(dot - st), ".safetensors");
    unlink(c->json_path);
    unlink(st);
}

static void fail_case(bench_case_result *x, int ndev, const char *why)
{
    for (int d = 0; d < ndev; d++) {
        x->seqrt[d].state = BENCH_FAILED;
        snprintf(x->seqrt[d].note, sizeof x->seqrt[d].note, "%s", why);
    }
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= 0)) return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    bench_opts opts = {.budget_s = 0.5, .warmup_s = -1, .max_reps = 1000, .ref_max_gflop = 10,
                       .baselines = 1, .ort = 1, .rounds = 5, .ort_dir = NULL};
    const char *sets = NULL, *model = NULL, *backends = NULL, *json = NULL, *csv = NULL, *svg = NULL, *filter = NULL,
               *markdown = NULL, *precision = NULL;
    int scaling = 0, list = 0, budget_given = 0;
    long T = 100, B = 16;
    bench_report rep;
    memset(&rep, 0, sizeof rep);
    for (int i = 0; i < argc && strlen(rep.command) + 2 < sizeof rep.command; i++) {
        size_t u = strlen(rep.command);
        snprintf(rep.command + u, sizeof rep.command - u, "%s%s", i ? " " : "", i ? argv[i] : "seqrt-bench");
    }

    for (int i = 1; i < argc; i++) /* a mode of its own (bench_streams.c) */
        if (!strcmp(argv[i], "--streams")) return bench_streams_main(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED()                                            \
    do {                                                  \
        if (!v) return die("option %s needs a value", a); \
        i++;                                              \
    } while (0)
#define VALUE(dst)    \
    do {              \
        NEED();       \
        (dst) = v;    \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--set")) VALUE(sets);
        else if (!strcmp(a, "--model")) VALUE(model);
        else if (!strcmp(a, "--backend")) VALUE(backends);
        else if (!strcmp(a, "--json")) VALUE(json);
        else if (!strcmp(a, "--csv")) VALUE(csv);
        else if (!strcmp(a, "--svg")) VALUE(svg);
        else if (!strcmp(a, "--markdown")) VALUE(markdown);
        else if (!strcmp(a, "--filter")) VALUE(filter);
        else if (!strcmp(a, "--precision")) VALUE(precision);
        else if (!strcmp(a, "--ort-dir")) VALUE(opts.ort_dir);
        else if (!strcmp(a, "--scaling")) scaling = 1;
        else if (!strcmp(a, "--quick")) opts.quick = 1;
        else if (!strcmp(a, "--list")) list = 1;
        else if (!strcmp(a, "--no-baselines")) opts.baselines = 0;
        else if (!strcmp(a, "--no-ort")) opts.ort = 0;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) opts.quiet = 1;
        else if (!strcmp(a, "--budget")) {
            NEED();
            if (parse_double(v, &opts.budget_s) || opts.budget_s <= 0) return die("--budget %s: not a positive number", v);
            budget_given = 1;
        } else if (!strcmp(a, "--warmup")) {
            NEED();
            if (parse_double(v, &opts.warmup_s)) return die("--warmup %s: not a number >= 0", v);
        } else if (!strcmp(a, "--ref-max-gflop")) {
            NEED();
            if (parse_double(v, &opts.ref_max_gflop)) return die("--ref-max-gflop %s: not a number >= 0", v);
        } else if (!strcmp(a, "--neighbour")) {
            NEED();
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 0 || n > 256) return die("--neighbour %s: expected a number of processes in [0, 256]", v);
            opts.neighbours = (int)n;
        } else if (!strcmp(a, "--max-reps") || !strcmp(a, "--T") || !strcmp(a, "--B") || !strcmp(a, "--threads") ||
                   !strcmp(a, "--rounds")) {
            NEED();
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1000000) return die("%s: expected a positive integer", v);
            if (a[2] == 'm') opts.max_reps = (int)n;
            else if (a[2] == 't') opts.threads = (int)n;
            else if (a[2] == 'r') opts.rounds = (int)n;
            else if (a[2] == 'T') T = n;
            else B = n;
        } else {
            fprintf(stderr, "seqrt-bench: error: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
#undef VALUE
#undef NEED
    }
    if (model && (sets || scaling)) return die("%s", "--model cannot be combined with --set or --scaling");
    if (scaling && sets) return die("%s", "--scaling runs its own shapes: drop --set");
    if (opts.threads > 0) {
        /* OpenMP reads its thread count once, when the library loads: set it
         * and start again */
        char want[16];
        snprintf(want, sizeof want, "%d", opts.threads);
        const char *cur = getenv("OMP_NUM_THREADS");
        if (!cur || strcmp(cur, want)) {
            setenv("OMP_NUM_THREADS", want, 1);
            setenv("POCL_MAX_PTHREAD_COUNT", want, 1);
            execv("/proc/self/exe", argv);
            fprintf(stderr, "seqrt-bench: warning: cannot restart with OMP_NUM_THREADS=%s: %s\n", want, strerror(errno));
        }
    }
    if (opts.quick && !budget_given) opts.budget_s = 0.05;
    if (opts.warmup_s < 0) opts.warmup_s = opts.budget_s / 5;
    if (!opts.ort_dir) {
        const char *e = getenv("SEQRT_BENCH_ORT_DIR");
        opts.ort_dir = e && *e ? e : SEQRT_BENCH_ORT_DIR;
    }

    /* cases */
    bench_case *cases = NULL;
    int ncases = 0;
    char err[1024] = "";
    if (model) {
        seqrt_model *m = NULL;
        if (seqrt_model_load(&m, model, NULL) != SEQRT_OK) return die("%s", seqrt_last_error());
        seqrt_model_free(m);
        if (bench_model_case(model, T, B, &cases, &ncases, err, sizeof err)) return die("%s", err);
    } else if (scaling) {
        if (bench_scaling_cases(opts.quick, &cases, &ncases)) return die("%s", "out of memory");
    } else {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", sets ? sets : "seeds");
        char *save = NULL;
        for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save))
            if (bench_set_cases(s, opts.quick, &cases, &ncases)) {
                fprintf(stderr, "seqrt-bench: error: unknown set '%s' (sets: %s)\n", s, bench_set_names());
                bench_cases_free(cases, ncases);
                return 2;
            }
    }
    if (filter) {
        int k = 0;
        for (int i = 0; i < ncases; i++) {
            if (strstr(cases[i].name, filter)) cases[k++] = cases[i];
            else cJSON_Delete(cases[i].desc);
        }
        ncases = k;
        if (!ncases) {
            bench_cases_free(cases, 0);
            return die("--filter %s: no case matches", filter);
        }
    }

    /* devices */
    bench_device devs[BENCH_MAX_DEVICES];
    int ndev = 0;
    if (backends) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", backends);
        char *save = NULL;
        for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save))
            if (add_devices(s, devs, &ndev, rep.unavailable, sizeof rep.unavailable)) {
                bench_cases_free(cases, ncases);
                return 2;
            }
    } else if (add_devices(NULL, devs, &ndev, rep.unavailable, sizeof rep.unavailable)) {
        bench_cases_free(cases, ncases);
        return 2;
    }

    /* baselines available */
    rep.have_dnnl = opts.baselines && bench_dnnl_available(rep.dnnl_version, sizeof rep.dnnl_version);
    if (!opts.baselines) snprintf(rep.dnnl_version, sizeof rep.dnnl_version, "not run (--no-baselines)");
    int any_cl = 0;
    for (int d = 0; d < ndev; d++) any_cl |= !strcmp(devs[d].backend, "opencl");
    if (opts.baselines && any_cl) {
        rep.ncl = bench_cl_devices(rep.cl_names, BENCH_MAX_CL, rep.cl_note, sizeof rep.cl_note);
        int used[BENCH_MAX_CL] = {0};
        for (int pass = 0; pass < 2; pass++) /* by name, then the first left */
            for (int d = 0; d < ndev; d++) {
                if (strcmp(devs[d].backend, "opencl") || devs[d].cl_index >= 0) continue;
                for (int c = 0; c < rep.ncl; c++)
                    if (!used[c] && (pass || !strcmp(rep.cl_names[c], devs[d].name))) {
                        devs[d].cl_index = c, used[c] = 1;
                        break;
                    }
            }
    } else {
        snprintf(rep.cl_note, sizeof rep.cl_note, "%s", opts.baselines ? "not run (no OpenCL device selected)"
                                                                        : "not run (--no-baselines)");
    }
    if (!opts.baselines || !opts.ort) {
        snprintf(rep.ort_version, sizeof rep.ort_version, "not run (%s)", opts.baselines ? "--no-ort" : "--no-baselines");
    } else if (!list) {
        rep.have_ort = bench_ort_available(&opts, rep.ort_version, sizeof rep.ort_version);
    }

    if (precision) {
        int precs[BENCH_NPREC], nprec = 0;
        if (bench_precision_parse(precision, precs, &nprec, err, sizeof err) ||
            bench_precision_expand(devs, &ndev, precs, nprec, err, sizeof err)) {
            bench_cases_free(cases, ncases);
            return die("%s", err);
        }
    }
    if (list) {
        for (int i = 0; i < ncases; i++) printf("%-10s %-22s %s\n", cases[i].set, cases[i].name, cases[i].shape);
        for (int d = 0; d < ndev; d++) printf("device %-12s %s\n", devs[d].id, devs[d].name);
        if (rep.unavailable[0]) printf("not available: %s\n", rep.unavailable);
        bench_cases_free(cases, ncases);
        return 0;
    }
    if (!ndev) {
        bench_cases_free(cases, ncases);
        return die("no backend available: %s", rep.unavailable);
    }

    bench_case_result *res = calloc((size_t)ncases, sizeof *res);
    char dir[512];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/seqrt-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!res || !mkdtemp(dir)) {
        free(res);
        bench_cases_free(cases, ncases);
        return die("cannot create a temporary directory: %s", strerror(errno));
    }

    char nerr[200];
    if (bench_neighbours_start(opts.neighbours, nerr, sizeof nerr)) {
        free(res);
        bench_cases_free(cases, ncases);
        return die("%s", nerr);
    }

    /* progress units per case: ONNX Runtime, each job's preparation, each round */
    int njobs_max = ndev + (opts.baselines ? 2 + rep.ncl : 0);
    int per_case = (rep.have_ort ? 1 : 0) + njobs_max + opts.rounds;
    int total = ncases * per_case, done = 0;
    for (int ci = 0; ci < ncases; ci++) {
        bench_case *c = &cases[ci];
        bench_case_result *x = &res[ci];
        char what[200];
        snprintf(what, sizeof what, "%s: preparing", c->name);
        bench_progress(done, total, what);
        seqrt_model *m = NULL;
        seqrt_tensor *inputs[BENCH_MAX_INPUTS] = {0};
        if (bench_case_write(c, dir, err, sizeof err)) {
            fail_case(x, ndev, err);
            done += per_case;
            continue;
        }
        seqrt_status st = seqrt_model_load(&m, c->json_path, NULL);
        if (st != SEQRT_OK) {
            snprintf(err, sizeof err, "model: %s", seqrt_last_error());
            fail_case(x, ndev, err);
            rm_case_files(c);
            done += per_case;
            continue;
        }
        seqrt_model *pm[BENCH_NPREC] = {0}; /* --precision: the case at each precision */
        if (bench_case_analyze(c, m, err, sizeof err) || bench_make_inputs(c, inputs, err, sizeof err) ||
            bench_precision_models(c, dir, devs, ndev, pm, err, sizeof err)) {
            fail_case(x, ndev, err);
            for (int p = 0; p < BENCH_NPREC; p++) seqrt_model_free(pm[p]);
            seqrt_model_free(m);
            rm_case_files(c);
            done += per_case;
            continue;
        }
        /* ONNX Runtime runs in its own process, first */
        if (opts.baselines && rep.have_ort) {
            snprintf(what, sizeof what, "%s: ONNX Runtime", c->name);
            bench_progress(done++, total, what);
            bench_ort_lstm(c, &opts, &x->ort);
        } else {
            x->ort.state = BENCH_SKIPPED;
            snprintf(x->ort.note, sizeof x->ort.note, "%s", rep.ort_version);
        }
        /* every other series: prepared, first run and warm-up one after the
         * other; then the measured runs in rounds, interleaved, so that every
         * series of the case sees the same machine */
        bench_job jobs[BENCH_MAX_DEVICES + 2 + BENCH_MAX_CL];
        int nj = 0;
        for (int k = 0; k < njobs_max; k++) {
            bench_job *j = &jobs[nj];
            memset(j, 0, sizeof *j);
            int rc = -1;
            const char *name = NULL;
            if (k < ndev) {
                name = devs[k].id;
                snprintf(what, sizeof what, "%s on %s: first run", c->name, name);
                bench_progress(done++, total, what);
                rc = bench_seqrt_job(c, devs[k].prec ? pm[devs[k].prec] : m, inputs, &devs[k], &opts, &x->seqrt[k], j);
            } else if (k == ndev) {
                name = "oneDNN sgemm";
                snprintf(what, sizeof what, "%s: %s", c->name, name);
                bench_progress(done++, total, what);
                rc = bench_dnnl_gemm_job(c, &x->dnnl_gemm, j);
            } else if (k == ndev + 1) {
                name = "oneDNN LSTM";
                snprintf(what, sizeof what, "%s: %s", c->name, name);
                bench_progress(done++, total, what);
                rc = bench_dnnl_lstm_job(c, &x->dnnl_lstm, j);
            } else {
                int cl = k - ndev - 2, used = 0;
                for (int d = 0; d < ndev; d++) used |= devs[d].cl_index == cl;
                done++;
                if (!used) continue;
                name = rep.cl_names[cl];
                snprintf(what, sizeof what, "%s: CLBlast on %s", c->name, name);
                bench_progress(done - 1, total, what);
                rc = bench_clblast_job(c, cl, &x->clblast[cl], j);
            }
            if (rc == 0 && bench_job_begin(j, &opts) == 0) nj++;
            else bench_job_end(j);
        }
        for (int r = 0; r < opts.rounds; r++) {
            snprintf(what, sizeof what, "%s: round %d/%d", c->name, r + 1, opts.rounds);
            bench_progress(done++, total, what);
            /* the last round runs whatever is still short of the budget */
            double slice = r + 1 < opts.rounds ? opts.budget_s / opts.rounds : 1e30;
            for (int k = 0; k < nj; k++) bench_job_slice(&jobs[k], slice, &opts);
        }
        for (int k = 0; k < nj; k++) bench_job_end(&jobs[k]);
        for (int d = 0; d < ndev; d++) {
            bench_stats *sd = &x->seqrt[d];
            if (sd->state == BENCH_FAILED && strstr(sd->note, ": unsupported: ")) sd->state = BENCH_SKIPPED;
            if (!opts.quiet && !isatty(2))
                fprintf(stderr, "seqrt-bench: [%d/%d] %s on %s: %s\n", ci + 1, ncases, c->name, devs[d].id,
                        sd->state == BENCH_OK ? "ok" : sd->note);
        }
        for (int i = 0; i < c->nin; i++) seqrt_tensor_free(inputs[i]);
        for (int p = 0; p < BENCH_NPREC; p++) seqrt_model_free(pm[p]);
        seqrt_model_free(m);
        rm_case_files(c);
    }
    bench_progress(total, total, "done");
    bench_progress_end();
    rmdir(dir);
    bench_clblast_release();

    rep.cases = cases;
    rep.ncases = ncases;
    rep.res = res;
    rep.devices = devs;
    rep.ndevices = ndev;
    rep.scaling = scaling;
    rep.opts = &opts;
    if (!opts.quiet) bench_print_table(stdout, &rep);
    if (!opts.quiet) bench_precision_summary(stdout, &rep);
    int rc = 0;
    if (json && bench_write_json(json, &rep)) rc = die("cannot write %s", json);
    if (csv && bench_write_csv(csv, &rep)) rc = die("cannot write %s", csv);
    if (svg && bench_write_svg(svg, &rep)) rc = die("cannot write %s", svg);
    if (markdown && bench_write_markdown(markdown, &rep)) rc = die("cannot write %s", markdown);
    /* a failure (not a skip) of seqrt is an error, after every output is written */
    for (int ci = 0; ci < ncases && !rc; ci++)
        for (int d = 0; d < ndev; d++)
            if (res[ci].seqrt[d].state == BENCH_FAILED) rc = 1;
    free(res);
    bench_cases_free(cases, ncases);
    return rc;
}
