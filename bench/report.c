/*
 * seqrt-bench output: the progress bar (stderr, on a terminal), the console
 * table, JSON (cJSON), CSV, and SVG charts written directly: GFLOP/s per
 * case and series (log scale), or for --scaling the time against T, B and H
 * (log-log) with the fitted exponent of each series.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* ------------------------------------------------------------ helpers */

double bench_ratio(const bench_stats *b, const bench_stats *s)
{
    if (!b || !s || b->state != BENCH_OK || s->state != BENCH_OK || s->median_ms <= 0) return 0;
    return b->median_ms / s->median_ms;
}

const bench_stats *bench_gemm_for(const bench_report *r, int ci, int di, const char **source)
{
    const bench_device *d = &r->devices[di];
    if (!strcmp(d->backend, "opencl")) {
        if (source) *source = "clblast";
        return d->cl_index >= 0 && d->cl_index < BENCH_MAX_CL ? &r->res[ci].clblast[d->cl_index] : NULL;
    }
    if (source) *source = "dnnl_sgemm";
    return &r->res[ci].dnnl_gemm;
}

static double gflops(const bench_case *c, const bench_stats *s)
{
    return s->state == BENCH_OK && s->median_ms > 0 ? c->flops / (s->median_ms * 1e-3) * 1e-9 : 0;
}

static const char *state_name(int s)
{
    return s == BENCH_OK ? "ok" : s == BENCH_SKIPPED ? "skipped" : s == BENCH_FAILED ? "failed" : "not run";
}

/* The series of a report: each seqrt device, then the baselines measured. */
typedef struct series {
    char label[160];
    char id[64];
    int kind;   /* 0 seqrt device, 1 dnnl sgemm, 2 dnnl lstm, 3 ort, 4 clblast */
    int index;
} series;

static const bench_stats *series_stats(const bench_report *r, const series *s, int ci)
{
    const bench_case_result *x = &r->res[ci];
    switch (s->kind) {
    case 0: return &x->seqrt[s->index];
    case 1: return &x->dnnl_gemm;
    case 2: return &x->dnnl_lstm;
    case 3: return &x->ort;
    default: return &x->clblast[s->index];
    }
}

static int any_ok(const bench_report *r, const series *s)
{
    for (int ci = 0; ci < r->ncases; ci++)
        if (series_stats(r, s, ci)->state == BENCH_OK) return 1;
    return 0;
}

static int make_series(const bench_report *r, series *out, int max)
{
    int n = 0;
    for (int d = 0; d < r->ndevices && n < max; d++) {
        series *s = &out[n++];
        s->kind = 0, s->index = d;
        snprintf(s->id, sizeof s->id, "%s", r->devices[d].id);
        snprintf(s->label, sizeof s->label, "seqrt %s (%s)", r->devices[d].id, r->devices[d].name);
    }
    static const char *ids[] = {"", "dnnl_sgemm", "dnnl_lstm", "ort_lstm"};
    static const char *labels[] = {"", "GEMM peak: oneDNN sgemm, same shapes", "oneDNN LSTM primitive",
                                   "ONNX Runtime CPU LSTM"};
    for (int k = 1; k <= 3 && n < max; k++) {
        series t = {.kind = k, .index = 0};
        snprintf(t.id, sizeof t.id, "%s", ids[k]);
        snprintf(t.label, sizeof t.label, "%s", labels[k]);
        if (any_ok(r, &t)) out[n++] = t;
    }
    for (int c = 0; c < r->ncl && n < max; c++) {
        series t = {.kind = 4, .index = c};
        snprintf(t.id, sizeof t.id, "clblast:%d", c);
        snprintf(t.label, sizeof t.label, "GEMM peak: CLBlast sgemm on %s", r->cl_names[c]);
        if (any_ok(r, &t)) out[n++] = t;
    }
    return n;
}

/* ------------------------------------------------------------ progress */

static int g_progress_tty = -1;
static int g_progress_drawn;

void bench_progress(int done, int total, const char *what)
{
    if (g_progress_tty < 0) g_progress_tty = isatty(2);
    if (!g_progress_tty) return;
    const int width = 30;
    int fill = total > 0 ? done * width / total : 0;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] %3d%% %d/%d %.60s", bar, total ? 100 * done / total : 100, done, total, what);
    fflush(stderr);
    g_progress_drawn = 1;
}

void bench_progress_end(void)
{
    if (g_progress_drawn) fprintf(stderr, "\r\033[K");
    g_progress_drawn = 0;
}

/* ------------------------------------------------------------ console table */

static void fmt_num(char *buf, size_t n, double v)
{
    if (v <= 0) snprintf(buf, n, "-");
    else if (v >= 1e5) snprintf(buf, n, "%.3g", v);
    else if (v >= 100) snprintf(buf, n, "%.0f", v);
    else if (v >= 10) snprintf(buf, n, "%.1f", v);
    else if (v >= 0.1) snprintf(buf, n, "%.2f", v);
    else snprintf(buf, n, "%.3f", v);
}

static void fmt_ratio(char *buf, size_t n, double v)
{
    if (v <= 0) snprintf(buf, n, "-");
    else if (v >= 10) snprintf(buf, n, "%.1f", v);
    else if (v >= 0.1) snprintf(buf, n, "%.2f", v);
    else snprintf(buf, n, "%.3f", v);
}

static void row(FILE *f, const char *c0, const char *c1, const bench_case *c, const bench_stats *s, int is_seqrt,
                double rg, double rl, double ro)
{
    char med[16], mn[16], p90[16], gf[16], us[16], sq[16], pk[16], cr[16], fr[16], a[16], b[16], d[16];
    if (s->state != BENCH_OK) {
        fprintf(f, "%-22s %-18s %s: %s\n", c0, c1, state_name(s->state), s->note);
        return;
    }
    fmt_num(med, sizeof med, s->median_ms);
    fmt_num(mn, sizeof mn, s->min_ms);
    fmt_num(p90, sizeof p90, s->p90_ms);
    fmt_num(gf, sizeof gf, gflops(c, s));
    fmt_num(us, sizeof us, c->T > 0 ? s->median_ms * 1e3 / (double)c->T : 0);
    fmt_num(sq, sizeof sq, s->median_ms > 0 ? (double)c->B / (s->median_ms * 1e-3) : 0);
    if (s->peak_mb >= 0) snprintf(pk, sizeof pk, "%.1f", s->peak_mb);
    else snprintf(pk, sizeof pk, "n/a");
    fmt_num(cr, sizeof cr, s->create_ms);
    fmt_num(fr, sizeof fr, s->first_ms);
    fmt_ratio(a, sizeof a, rg);
    fmt_ratio(b, sizeof b, rl);
    fmt_ratio(d, sizeof d, ro);
    if (!is_seqrt) snprintf(a, sizeof a, " "), snprintf(b, sizeof b, " "), snprintf(d, sizeof d, " ");
    fprintf(f, "%-22s %-18s %9s %9s %9s %8s %8s %8s %7s %9s %9s %6s %6s %6s\n", c0, c1, med, mn, p90, gf, us, sq, pk, cr,
            fr, a, b, d);
}

static void print_scaling(FILE *f, const bench_report *r)
{
    series sr[BENCH_MAX_DEVICES + 3 + BENCH_MAX_CL];
    int ns = make_series(r, sr, (int)(sizeof sr / sizeof sr[0]));
    for (int ax = 0; ax < 3; ax++) {
        char axis = "TBH"[ax];
        fprintf(f, "\nscaling in %c (median ms; exponent k of a fit ms ~ %c^k over the points measured)\n", axis, axis);
        fprintf(f, "%-8s", &"T\0B\0H"[2 * ax]);
        for (int s = 0; s < ns; s++) fprintf(f, " %14.14s", sr[s].id);
        fprintf(f, "\n");
        double sx[64] = {0}, sy[64] = {0}, sxx[64] = {0}, sxy[64] = {0};
        int cnt[64] = {0};
        for (int ci = 0; ci < r->ncases; ci++) {
            const bench_case *c = &r->cases[ci];
            if (c->axis[0] != axis) continue;
            fprintf(f, "%-8.0f", c->axis_value);
            for (int s = 0; s < ns; s++) {
                const bench_stats *st = series_stats(r, &sr[s], ci);
                char v[16];
                if (st->state == BENCH_OK) {
                    fmt_num(v, sizeof v, st->median_ms);
                    double lx = log(c->axis_value), ly = log(st->median_ms);
                    sx[s] += lx, sy[s] += ly, sxx[s] += lx * lx, sxy[s] += lx * ly, cnt[s]++;
                } else {
                    snprintf(v, sizeof v, "%s", st->state == BENCH_SKIPPED ? "skip" : "fail");
                }
                fprintf(f, " %14s", v);
            }
            fprintf(f, "\n");
        }
        fprintf(f, "%-8s", "k");
        for (int s = 0; s < ns; s++) {
            double den = cnt[s] * sxx[s] - sx[s] * sx[s];
            if (cnt[s] >= 2 && den > 0) fprintf(f, " %14.2f", (cnt[s] * sxy[s] - sx[s] * sy[s]) / den);
            else fprintf(f, " %14s", "-");
        }
        fprintf(f, "\n");
    }
}

/* A baseline row worth a line: run, and not "no LSTM in this model". */
static int shown(const bench_stats *s)
{
    return s->state != BENCH_NOT_RUN && !(s->state == BENCH_SKIPPED && !strncmp(s->note, "no ", 3));
}

void bench_print_table(FILE *f, const bench_report *r)
{
    fprintf(f, "%-22s %-18s %9s %9s %9s %8s %8s %8s %7s %9s %9s %6s %6s %6s\n", "case", "device", "median ms", "min ms",
            "p90 ms", "GFLOP/s", "us/step", "seq/s", "peak MB", "create ms", "first ms", "xGEMM", "xLSTM", "xORT");
    for (int ci = 0; ci < r->ncases; ci++) {
        const bench_case *c = &r->cases[ci];
        const bench_case_result *x = &r->res[ci];
        char c0[64];
        snprintf(c0, sizeof c0, "%s", c->name);
        for (int di = 0; di < r->ndevices; di++) {
            const bench_stats *s = &x->seqrt[di];
            const bench_stats *g = bench_gemm_for(r, ci, di, NULL);
            row(f, c0, r->devices[di].id, c, s, 1, bench_ratio(g, s), bench_ratio(&x->dnnl_lstm, s),
                bench_ratio(&x->ort, s));
            c0[0] = '\0';
        }
        if (r->opts->baselines) {
            if (shown(&x->dnnl_gemm)) row(f, c0, "[oneDNN sgemm]", c, &x->dnnl_gemm, 0, 0, 0, 0);
            for (int k = 0; k < r->ncl; k++)
                if (shown(&x->clblast[k])) {
                    char id[32];
                    snprintf(id, sizeof id, "[CLBlast cl:%d]", k);
                    row(f, c0, id, c, &x->clblast[k], 0, 0, 0, 0);
                }
            if (shown(&x->dnnl_lstm)) row(f, c0, "[oneDNN LSTM]", c, &x->dnnl_lstm, 0, 0, 0, 0);
            if (shown(&x->ort) && (x->ort.state == BENCH_OK || r->have_ort))
                row(f, c0, "[ORT LSTM]", c, &x->ort, 0, 0, 0, 0);
        }
        fprintf(f, "%-22s %s, %.3g GFLOP per run%s%s\n", "", c->shape, c->flops * 1e-9, *c->note ? "; " : "", c->note);
    }
    fprintf(f, "\nxGEMM: the device's GEMM time at the same GEMM shapes / seqrt's time (the fraction of the GEMM peak "
               "reached; oneDNN sgemm on CPU devices, CLBlast on OpenCL devices).\n"
               "xLSTM, xORT: oneDNN's LSTM primitive / ONNX Runtime's CPU LSTM time (recurrent layers only) / seqrt's "
               "time: > 1 means seqrt is faster.\n");
    fprintf(f, "oneDNN: %s\n", r->dnnl_version);
    if (r->ncl)
        for (int k = 0; k < r->ncl; k++) fprintf(f, "CLBlast cl:%d: %s\n", k, r->cl_names[k]);
    else fprintf(f, "CLBlast: %s\n", r->cl_note);
    fprintf(f, "ONNX Runtime: %s\n", r->ort_version);
    if (r->unavailable[0]) fprintf(f, "not run: %s\n", r->unavailable);
    if (!bench_mem_exact()) fprintf(f, "peak MB: n/a (/proc/self/clear_refs cannot be written here)\n");
    if (r->scaling) print_scaling(f, r);
}

/* ------------------------------------------------------------ machine */

static void read_line_value(const char *path, const char *key, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    out[0] = '\0';
    if (!f) return;
    char line[512];
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl)) continue;
        char *v = line + kl;
        while (*v == ' ' || *v == '\t' || *v == ':' || *v == '=' || *v == '"') v++;
        v[strcspn(v, "\"\n")] = '\0';
        snprintf(out, n, "%s", v);
        break;
    }
    fclose(f);
}

static cJSON *machine_json(void)
{
    cJSON *m = cJSON_CreateObject();
    char buf[256];
    read_line_value("/proc/cpuinfo", "model name", buf, sizeof buf);
    cJSON_AddStringToObject(m, "cpu", buf);
    cJSON_AddNumberToObject(m, "cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
    read_line_value("/proc/meminfo", "MemTotal", buf, sizeof buf);
    cJSON_AddStringToObject(m, "memory", buf);
    read_line_value("/etc/os-release", "PRETTY_NAME", buf, sizeof buf);
    cJSON_AddStringToObject(m, "os", buf);
    read_line_value("/proc/sys/kernel/osrelease", "", buf, sizeof buf);
    cJSON_AddStringToObject(m, "kernel", buf);
    read_line_value("/proc/loadavg", "", buf, sizeof buf);
    cJSON_AddStringToObject(m, "loadavg_at_end", buf);
    return m;
}

static void stats_json(cJSON *o, const bench_stats *s, const bench_case *c)
{
    cJSON_AddStringToObject(o, "status", state_name(s->state));
    if (s->note[0]) cJSON_AddStringToObject(o, "note", s->note);
    if (s->state != BENCH_OK) return;
    cJSON_AddNumberToObject(o, "median_ms", s->median_ms);
    cJSON_AddNumberToObject(o, "min_ms", s->min_ms);
    cJSON_AddNumberToObject(o, "p90_ms", s->p90_ms);
    cJSON_AddNumberToObject(o, "mean_ms", s->mean_ms);
    cJSON_AddNumberToObject(o, "reps", s->reps);
    cJSON_AddNumberToObject(o, "warmup_reps", s->warmup);
    cJSON_AddNumberToObject(o, "gflops", gflops(c, s));
    cJSON_AddNumberToObject(o, "us_per_step", c->T > 0 ? s->median_ms * 1e3 / (double)c->T : 0);
    cJSON_AddNumberToObject(o, "seq_per_s", s->median_ms > 0 ? (double)c->B / (s->median_ms * 1e-3) : 0);
    if (s->peak_mb >= 0) cJSON_AddNumberToObject(o, "peak_mb", s->peak_mb);
    else cJSON_AddNullToObject(o, "peak_mb");
    cJSON_AddNumberToObject(o, "create_ms", s->create_ms);
    cJSON_AddNumberToObject(o, "first_ms", s->first_ms);
}

static void ratio_json(cJSON *o, const char *k, double v)
{
    if (v > 0) cJSON_AddNumberToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

int bench_write_json(const char *path, const bench_report *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tool", "seqrt-bench");
    cJSON_AddStringToObject(j, "seqrt_version", seqrt_version());
    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(j, "date", date);
    cJSON_AddStringToObject(j, "command", r->command);
    cJSON_AddItemToObject(j, "machine", machine_json());
    cJSON *cfg = cJSON_AddObjectToObject(j, "method");
    cJSON_AddNumberToObject(cfg, "budget_s", r->opts->budget_s);
    cJSON_AddNumberToObject(cfg, "warmup_s", r->opts->warmup_s);
    cJSON_AddNumberToObject(cfg, "max_reps", r->opts->max_reps);
    cJSON_AddNumberToObject(cfg, "rounds", r->opts->rounds);
    cJSON_AddBoolToObject(cfg, "quick", r->opts->quick);
    if (r->opts->threads > 0) cJSON_AddNumberToObject(cfg, "threads", r->opts->threads);
    else cJSON_AddStringToObject(cfg, "threads", "every CPU (OMP_NUM_THREADS unset by seqrt-bench)");
    cJSON_AddNumberToObject(cfg, "ref_max_gflop", r->opts->ref_max_gflop);
    cJSON_AddStringToObject(cfg, "flops", "GEMM FLOPs only (benchdnn): 2*T*B*G*H*(I+H) per recurrent layer and "
                                          "direction, plus linear / attention GEMMs");
    cJSON_AddStringToObject(cfg, "peak_memory", bench_mem_exact()
                                                    ? "VmHWM after creation, first run and warm-up - VmRSS "
                                                      "before creation (high-water mark reset via "
                                                      "/proc/self/clear_refs)"
                                                    : "n/a: /proc/self/clear_refs not writable");
    cJSON *libs = cJSON_AddObjectToObject(j, "baselines");
    cJSON_AddStringToObject(libs, "onednn", r->dnnl_version);
    cJSON *cl = cJSON_AddArrayToObject(libs, "clblast_devices");
    for (int k = 0; k < r->ncl; k++) cJSON_AddItemToArray(cl, cJSON_CreateString(r->cl_names[k]));
    if (!r->ncl) cJSON_AddStringToObject(libs, "clblast", r->cl_note);
    cJSON_AddStringToObject(libs, "onnxruntime", r->ort_version);
    cJSON *devs = cJSON_AddArrayToObject(j, "devices");
    for (int d = 0; d < r->ndevices; d++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", r->devices[d].id);
        cJSON_AddStringToObject(o, "name", r->devices[d].name);
        cJSON_AddStringToObject(o, "description", r->devices[d].description);
        cJSON_AddItemToArray(devs, o);
    }
    cJSON *cases = cJSON_AddArrayToObject(j, "cases");
    for (int ci = 0; ci < r->ncases; ci++) {
        const bench_case *c = &r->cases[ci];
        const bench_case_result *x = &r->res[ci];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "set", c->set);
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "shape", c->shape);
        if (c->axis[0]) {
            cJSON_AddStringToObject(o, "axis", c->axis);
            cJSON_AddNumberToObject(o, "axis_value", c->axis_value);
        }
        cJSON_AddNumberToObject(o, "T", (double)c->T);
        cJSON_AddNumberToObject(o, "B", (double)c->B);
        cJSON_AddNumberToObject(o, "gflop", c->flops * 1e-9);
        if (c->note[0]) cJSON_AddStringToObject(o, "note", c->note);
        cJSON *gm = cJSON_AddArrayToObject(o, "gemm_shapes");
        for (int g = 0; g < c->ngemm; g++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "what", c->gemm[g].what);
            cJSON_AddNumberToObject(e, "M", (double)c->gemm[g].M);
            cJSON_AddNumberToObject(e, "N", (double)c->gemm[g].N);
            cJSON_AddNumberToObject(e, "K", (double)c->gemm[g].K);
            cJSON_AddNumberToObject(e, "count", (double)c->gemm[g].count);
            cJSON_AddItemToArray(gm, e);
        }
        cJSON *bl = cJSON_AddObjectToObject(o, "baselines");
        stats_json(cJSON_AddObjectToObject(bl, "dnnl_sgemm"), &x->dnnl_gemm, c);
        stats_json(cJSON_AddObjectToObject(bl, "dnnl_lstm"), &x->dnnl_lstm, c);
        stats_json(cJSON_AddObjectToObject(bl, "ort_lstm"), &x->ort, c);
        for (int k = 0; k < r->ncl; k++) {
            if (x->clblast[k].state == BENCH_NOT_RUN) continue;
            char id[32];
            snprintf(id, sizeof id, "clblast:%d", k);
            stats_json(cJSON_AddObjectToObject(bl, id), &x->clblast[k], c);
        }
        cJSON *rs = cJSON_AddArrayToObject(o, "results");
        for (int d = 0; d < r->ndevices; d++) {
            const bench_stats *s = &x->seqrt[d];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "device", r->devices[d].id);
            stats_json(e, s, c);
            const char *src = NULL;
            const bench_stats *g = bench_gemm_for(r, ci, d, &src);
            cJSON_AddStringToObject(e, "gemm_baseline", src);
            ratio_json(e, "ratio_gemm_peak", bench_ratio(g, s));
            ratio_json(e, "ratio_dnnl_lstm", bench_ratio(&x->dnnl_lstm, s));
            ratio_json(e, "ratio_ort_lstm", bench_ratio(&x->ort, s));
            cJSON_AddItemToArray(rs, e);
        }
        cJSON_AddItemToArray(cases, o);
    }
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) return -1;
    FILE *f = fopen(path, "w");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = 0;
    cJSON_free(text);
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------ Markdown */

static void md_cell(FILE *f, double v, int ratio)
{
    char b[32];
    if (ratio) fmt_ratio(b, sizeof b, v);
    else fmt_num(b, sizeof b, v);
    fprintf(f, " %s |", b);
}

static void md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
}

int bench_write_markdown(const char *path, const bench_report *r)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    char cpu[200];
    read_line_value("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    fprintf(f, "<!-- written by: %s -->\n", r->command);
    fprintf(f, "%s, %ld CPUs, threads: ", cpu, sysconf(_SC_NPROCESSORS_ONLN));
    if (r->opts->threads > 0) fprintf(f, "%d", r->opts->threads);
    else fprintf(f, "every CPU");
    fprintf(f, "; seqrt %s; budget %.2f s per case and series. Baselines: %s; ONNX Runtime: %s", seqrt_version(),
            r->opts->budget_s, r->dnnl_version, r->ort_version);
    for (int k = 0; k < r->ncl; k++) fprintf(f, "; CLBlast cl:%d on %s", k, r->cl_names[k]);
    fprintf(f, ".\n\n");
    fprintf(f, "| case | shape | GFLOP | device | median ms | p90 ms | GFLOP/s | µs/step | seq/s | peak MB | create ms "
               "| first ms | ×GEMM | ×LSTM | ×ORT |\n");
    fprintf(f, "|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int ci = 0; ci < r->ncases; ci++) {
        const bench_case *c = &r->cases[ci];
        const bench_case_result *x = &r->res[ci];
        int first = 1;
        for (int d = 0; d < r->ndevices + 4 + r->ncl; d++) {
            const bench_stats *s;
            char dev[96];
            int seq = d < r->ndevices;
            double rg = 0, rl = 0, ro = 0;
            if (seq) {
                s = &x->seqrt[d];
                snprintf(dev, sizeof dev, "seqrt %s", r->devices[d].id);
                rg = bench_ratio(bench_gemm_for(r, ci, d, NULL), s);
                rl = bench_ratio(&x->dnnl_lstm, s);
                ro = bench_ratio(&x->ort, s);
            } else {
                int k = d - r->ndevices;
                if (k == 0) s = &x->dnnl_gemm, snprintf(dev, sizeof dev, "*oneDNN sgemm*");
                else if (k == 1) s = &x->dnnl_lstm, snprintf(dev, sizeof dev, "*oneDNN LSTM*");
                else if (k == 2) s = &x->ort, snprintf(dev, sizeof dev, "*ORT LSTM*");
                else if (k == 3) continue;
                else s = &x->clblast[k - 4], snprintf(dev, sizeof dev, "*CLBlast cl:%d*", k - 4);
                if (s->state != BENCH_OK) continue;
            }
            if (first) fprintf(f, "| %s | %s | %.3g |", c->name, c->shape, c->flops * 1e-9);
            else fprintf(f, "| | | |");
            first = 0;
            fprintf(f, " %s |", dev);
            if (s->state != BENCH_OK) {
                fprintf(f, " %s: ", state_name(s->state));
                md_text(f, s->note);
                fprintf(f, " | | | | | | | | | | |\n");
                continue;
            }
            md_cell(f, s->median_ms, 0);
            md_cell(f, s->p90_ms, 0);
            md_cell(f, gflops(c, s), 0);
            md_cell(f, c->T > 0 ? s->median_ms * 1e3 / (double)c->T : 0, 0);
            md_cell(f, s->median_ms > 0 ? (double)c->B / (s->median_ms * 1e-3) : 0, 0);
            if (s->peak_mb >= 0) fprintf(f, " %.1f |", s->peak_mb);
            else fprintf(f, " n/a |");
            md_cell(f, s->create_ms, 0);
            md_cell(f, s->first_ms, 0);
            if (seq) md_cell(f, rg, 1), md_cell(f, rl, 1), md_cell(f, ro, 1);
            else fprintf(f, " | | |");
            fputc('\n', f);
        }
    }
    if (r->unavailable[0]) fprintf(f, "\nNot run: %s.\n", r->unavailable);
    return fclose(f) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ CSV */

static void csv_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v, int ok)
{
    if (ok) fprintf(f, ",%.6g", v);
    else fputs(",", f);
}

static void csv_row(FILE *f, const bench_case *c, const char *dev, const char *devname, const bench_stats *s,
                    const char *gsrc, double rg, double rl, double ro)
{
    csv_str(f, c->set), fputc(',', f), csv_str(f, c->name), fputc(',', f), csv_str(f, c->shape);
    fprintf(f, ",%lld,%lld,%.6g,", (long long)c->T, (long long)c->B, c->flops * 1e-9);
    csv_str(f, dev), fputc(',', f), csv_str(f, devname), fputc(',', f), csv_str(f, state_name(s->state));
    fputc(',', f), csv_str(f, s->note);
    int ok = s->state == BENCH_OK;
    csv_num(f, s->median_ms, ok), csv_num(f, s->min_ms, ok), csv_num(f, s->p90_ms, ok), csv_num(f, s->mean_ms, ok);
    csv_num(f, s->reps, ok), csv_num(f, gflops(c, s), ok);
    csv_num(f, c->T > 0 ? s->median_ms * 1e3 / (double)c->T : 0, ok);
    csv_num(f, s->median_ms > 0 ? (double)c->B / (s->median_ms * 1e-3) : 0, ok);
    csv_num(f, s->peak_mb, ok && s->peak_mb >= 0), csv_num(f, s->create_ms, ok), csv_num(f, s->first_ms, ok);
    fputc(',', f), csv_str(f, gsrc);
    csv_num(f, rg, rg > 0), csv_num(f, rl, rl > 0), csv_num(f, ro, ro > 0);
    fputc('\n', f);
}

int bench_write_csv(const char *path, const bench_report *r)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs("set,case,shape,T,B,gflop,device,device_name,status,note,median_ms,min_ms,p90_ms,mean_ms,reps,gflops,"
          "us_per_step,seq_per_s,peak_mb,create_ms,first_ms,gemm_baseline,ratio_gemm_peak,ratio_dnnl_lstm,"
          "ratio_ort_lstm\n",
          f);
    for (int ci = 0; ci < r->ncases; ci++) {
        const bench_case *c = &r->cases[ci];
        const bench_case_result *x = &r->res[ci];
        for (int d = 0; d < r->ndevices; d++) {
            const bench_stats *s = &x->seqrt[d];
            const char *src = NULL;
            const bench_stats *g = bench_gemm_for(r, ci, d, &src);
            csv_row(f, c, r->devices[d].id, r->devices[d].name, s, src, bench_ratio(g, s),
                    bench_ratio(&x->dnnl_lstm, s), bench_ratio(&x->ort, s));
        }
        if (x->dnnl_gemm.state != BENCH_NOT_RUN) csv_row(f, c, "baseline:dnnl_sgemm", r->dnnl_version, &x->dnnl_gemm, "", 0, 0, 0);
        if (x->dnnl_lstm.state != BENCH_NOT_RUN) csv_row(f, c, "baseline:dnnl_lstm", r->dnnl_version, &x->dnnl_lstm, "", 0, 0, 0);
        if (x->ort.state != BENCH_NOT_RUN) csv_row(f, c, "baseline:ort_lstm", r->ort_version, &x->ort, "", 0, 0, 0);
        for (int k = 0; k < r->ncl; k++)
            if (x->clblast[k].state != BENCH_NOT_RUN) {
                char id[32];
                snprintf(id, sizeof id, "baseline:clblast:%d", k);
                csv_row(f, c, id, r->cl_names[k], &x->clblast[k], "", 0, 0, 0);
            }
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ SVG */

static const char *const g_colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static void svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

static int is_baseline(const series *s) { return s->kind != 0; }

/* Decades [lo, hi] covering every positive value. */
static void log_range(double mn, double mx, double *lo, double *hi)
{
    if (!(mn > 0)) mn = 1, mx = 10;
    *lo = floor(log10(mn));
    *hi = ceil(log10(mx));
    if (*hi <= *lo) *hi = *lo + 1;
}

static void svg_legend(FILE *f, const series *sr, int ns, double x, double y)
{
    for (int s = 0; s < ns; s++) {
        double yy = y + 16 * s;
        if (is_baseline(&sr[s]))
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\" fill-opacity=\"0.35\" "
                       "stroke=\"%s\" stroke-dasharray=\"3,2\"/>\n",
                    x, yy, g_colors[s % 10], g_colors[s % 10]);
        else
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>\n", x, yy, g_colors[s % 10]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", x + 18, yy + 9);
        svg_text(f, sr[s].label);
        fputs("</text>\n", f);
    }
}

static void svg_header(FILE *f, double w, double h, const bench_report *r, const char *title)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"sans-serif\">\n",
            w, h, w, h);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"20\" y=\"24\" font-size=\"15\" font-weight=\"bold\">");
    svg_text(f, title);
    fputs("</text>\n", f);
    char cpu[200];
    read_line_value("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    fprintf(f, "<text x=\"20\" y=\"42\" font-size=\"11\" fill=\"#555\">");
    char sub[400];
    char th[32] = "every CPU";
    if (r->opts->threads > 0) snprintf(th, sizeof th, "%d", r->opts->threads);
    snprintf(sub, sizeof sub, "%s, %ld CPUs, threads: %s; seqrt %s; budget %.2f s per case; median of measured runs",
             cpu, sysconf(_SC_NPROCESSORS_ONLN), th, seqrt_version(), r->opts->budget_s);
    svg_text(f, sub);
    fputs("</text>\n", f);
}

static int svg_bars(FILE *f, const bench_report *r)
{
    series sr[BENCH_MAX_DEVICES + 3 + BENCH_MAX_CL];
    int ns = make_series(r, sr, (int)(sizeof sr / sizeof sr[0]));
    double mn = 1e300, mx = 0;
    for (int ci = 0; ci < r->ncases; ci++)
        for (int s = 0; s < ns; s++) {
            double v = gflops(&r->cases[ci], series_stats(r, &sr[s], ci));
            if (v > 0) mn = v < mn ? v : mn, mx = v > mx ? v : mx;
        }
    double lo, hi;
    log_range(mn, mx, &lo, &hi);
    const double gap = 18, left = 70, top = 60 + 16.0 * ns + 10, ph = 300;
    double bw = 10, gw = ns * bw + gap;
    if (r->ncases * gw < 640) { /* few cases: wider bars, up to 24 px */
        bw = (640.0 / r->ncases - gap) / ns;
        if (bw > 24) bw = 24;
        gw = ns * bw + gap;
    }
    double w = left + r->ncases * gw + 40;
    if (w < 560) w = 560;
    double h = top + ph + 100;
    svg_header(f, w, h, r, "seqrt-bench: GFLOP/s per case (GEMM FLOPs, log scale; dashed: baselines)");
    svg_legend(f, sr, ns, 20, 56);
    /* axes and grid */
    for (double d = lo; d <= hi + 1e-9; d += 1) {
        double y = top + ph - (d - lo) / (hi - lo) * ph;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, w - 20, y);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%g</text>\n", left - 6, y + 4,
                pow(10, d));
    }
    fprintf(f, "<text x=\"16\" y=\"%.1f\" font-size=\"12\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">"
               "GFLOP/s</text>\n",
            top + ph / 2, top + ph / 2);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", left, top + ph, w - 20,
            top + ph);
    for (int ci = 0; ci < r->ncases; ci++) {
        double x0 = left + gap / 2 + ci * gw;
        for (int s = 0; s < ns; s++) {
            const bench_stats *st = series_stats(r, &sr[s], ci);
            double v = gflops(&r->cases[ci], st);
            double x = x0 + s * bw;
            if (v <= 0) {
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"8\" fill=\"#999\" text-anchor=\"middle\">-</text>\n",
                        x + bw / 2, top + ph - 3);
                continue;
            }
            double y = top + ph - (log10(v) - lo) / (hi - lo) * ph;
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s><title>", x, y, bw - 1,
                    top + ph - y, g_colors[s % 10],
                    is_baseline(&sr[s]) ? " fill-opacity=\"0.35\" stroke-dasharray=\"3,2\" stroke=\"#333\"" : "");
            char t[300];
            snprintf(t, sizeof t, "%s, %s: %.3g GFLOP/s, %.3g ms", r->cases[ci].name, sr[s].label, v, st->median_ms);
            svg_text(f, t);
            fputs("</title></rect>\n", f);
        }
        double cx = x0 + ns * bw / 2;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-40 %.1f %.1f)\">",
                cx, top + ph + 14, cx, top + ph + 14);
        svg_text(f, r->cases[ci].name);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    return 0;
}

static int svg_scaling(FILE *f, const bench_report *r)
{
    series sr[BENCH_MAX_DEVICES + 3 + BENCH_MAX_CL];
    int ns = make_series(r, sr, (int)(sizeof sr / sizeof sr[0]));
    const double pw = 300, ph = 260, left = 60, gapx = 70, top = 60 + 16.0 * ns + 20;
    double w = left + 3 * pw + 2 * gapx + 30, h = top + ph + 60;
    svg_header(f, w, h, r, "seqrt-bench --scaling: time per run against T, B and H (log-log; LSTM around T=100 B=16 "
                           "I=128 H=256)");
    svg_legend(f, sr, ns, 20, 56);
    for (int ax = 0; ax < 3; ax++) {
        char axis = "TBH"[ax];
        double xmn = 1e300, xmx = 0, ymn = 1e300, ymx = 0;
        for (int ci = 0; ci < r->ncases; ci++) {
            const bench_case *c = &r->cases[ci];
            if (c->axis[0] != axis) continue;
            xmn = c->axis_value < xmn ? c->axis_value : xmn;
            xmx = c->axis_value > xmx ? c->axis_value : xmx;
            for (int s = 0; s < ns; s++) {
                const bench_stats *st = series_stats(r, &sr[s], ci);
                if (st->state != BENCH_OK || st->median_ms <= 0) continue;
                ymn = st->median_ms < ymn ? st->median_ms : ymn;
                ymx = st->median_ms > ymx ? st->median_ms : ymx;
            }
        }
        if (xmx <= 0) continue;
        double xl = log2(xmn), xh = log2(xmx);
        if (xh <= xl) xh = xl + 1;
        double yl, yh;
        log_range(ymn, ymx, &yl, &yh);
        double x0 = left + ax * (pw + gapx);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n", x0,
                top, pw, ph);
        for (double d = yl; d <= yh + 1e-9; d += 1) {
            double y = top + ph - (d - yl) / (yh - yl) * ph;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", x0, y, x0 + pw, y);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%g</text>\n", x0 - 4, y + 3,
                    pow(10, d));
        }
        for (int ci = 0; ci < r->ncases; ci++) {
            const bench_case *c = &r->cases[ci];
            if (c->axis[0] != axis) continue;
            double x = x0 + (log2(c->axis_value) - xl) / (xh - xl) * pw;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", x, top, x, top + ph);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%g</text>\n", x,
                    top + ph + 14, c->axis_value);
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%c%s</text>\n", x0 + pw / 2,
                top + ph + 32, axis, ax == 0 ? " (time steps)" : ax == 1 ? " (batch)" : " (hidden size)");
        if (ax == 0)
            fprintf(f, "<text x=\"16\" y=\"%.1f\" font-size=\"12\" transform=\"rotate(-90 16 %.1f)\" "
                       "text-anchor=\"middle\">ms per run</text>\n",
                    top + ph / 2, top + ph / 2);
        for (int s = 0; s < ns; s++) {
            int first = 1;
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s points=\"", g_colors[s % 10],
                    is_baseline(&sr[s]) ? " stroke-dasharray=\"5,3\"" : "");
            for (int ci = 0; ci < r->ncases; ci++) {
                const bench_case *c = &r->cases[ci];
                const bench_stats *st = series_stats(r, &sr[s], ci);
                if (c->axis[0] != axis || st->state != BENCH_OK || st->median_ms <= 0) continue;
                double x = x0 + (log2(c->axis_value) - xl) / (xh - xl) * pw;
                double y = top + ph - (log10(st->median_ms) - yl) / (yh - yl) * ph;
                fprintf(f, "%s%.1f,%.1f", first ? "" : " ", x, y);
                first = 0;
            }
            fputs("\"/>\n", f);
            for (int ci = 0; ci < r->ncases; ci++) {
                const bench_case *c = &r->cases[ci];
                const bench_stats *st = series_stats(r, &sr[s], ci);
                if (c->axis[0] != axis || st->state != BENCH_OK || st->median_ms <= 0) continue;
                double x = x0 + (log2(c->axis_value) - xl) / (xh - xl) * pw;
                double y = top + ph - (log10(st->median_ms) - yl) / (yh - yl) * ph;
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>", x, y, g_colors[s % 10]);
                char t[256];
                snprintf(t, sizeof t, "%s %c=%g: %.3g ms", sr[s].label, axis, c->axis_value, st->median_ms);
                svg_text(f, t);
                fputs("</title></circle>\n", f);
            }
        }
    }
    fputs("</svg>\n", f);
    return 0;
}

int bench_write_svg(const char *path, const bench_report *r)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    if (r->scaling) svg_scaling(f, r);
    else svg_bars(f, r);
    return fclose(f) == 0 ? 0 : -1;
}
