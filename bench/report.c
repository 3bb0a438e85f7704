/*
 * seqrt-bench output: what every writer of the report shares (report.h):
 * the ratios and GEMM baseline of a row, the series of a report, the
 * derived numbers and number formats, and the machine's description.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "report.h"

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

double bench_gflops(const bench_case *c, const bench_stats *s)
{
    return s->state == BENCH_OK && s->median_ms > 0 ? c->flops / (s->median_ms * 1e-3) * 1e-9 : 0;
}

const char *bench_state_name(int s)
{
    return s == BENCH_OK ? "ok" : s == BENCH_SKIPPED ? "skipped" : s == BENCH_FAILED ? "failed" : "not run";
}

const bench_stats *bench_series_stats(const bench_report *r, const bench_series *s, int ci)
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

static int any_ok(const bench_report *r, const bench_series *s)
{
    for (int ci = 0; ci < r->ncases; ci++)
        if (bench_series_stats(r, s, ci)->state == BENCH_OK) return 1;
    return 0;
}

int bench_make_series(const bench_report *r, bench_series *out, int max)
{
    int n = 0;
    for (int d = 0; d < r->ndevices && n < max; d++) {
        bench_series *s = &out[n++];
        s->kind = 0, s->index = d;
        snprintf(s->id, sizeof s->id, "%s", r->devices[d].id);
        snprintf(s->label, sizeof s->label, "seqrt %s (%s)", r->devices[d].id, r->devices[d].name);
    }
    static const char *ids[] = {"", "dnnl_sgemm", "dnnl_lstm", "ort_lstm"};
    static const char *labels[] = {"", "GEMM peak: oneDNN sgemm, same shapes", "oneDNN LSTM primitive",
                                   "ONNX Runtime CPU LSTM"};
    for (int k = 1; k <= 3 && n < max; k++) {
        bench_series t = {.kind = k, .index = 0};
        snprintf(t.id, sizeof t.id, "%s", ids[k]);
        snprintf(t.label, sizeof t.label, "%s", labels[k]);
        if (any_ok(r, &t)) out[n++] = t;
    }
    for (int c = 0; c < r->ncl && n < max; c++) {
        bench_series t = {.kind = 4, .index = c};
        snprintf(t.id, sizeof t.id, "clblast:%d", c);
        snprintf(t.label, sizeof t.label, "GEMM peak: CLBlast sgemm on %s", r->cl_names[c]);
        if (any_ok(r, &t)) out[n++] = t;
    }
    return n;
}

void bench_fmt_num(char *buf, size_t n, double v)
{
    if (v <= 0) snprintf(buf, n, "-");
    else if (v >= 1e5) snprintf(buf, n, "%.3g", v);
    else if (v >= 100) snprintf(buf, n, "%.0f", v);
    else if (v >= 10) snprintf(buf, n, "%.1f", v);
    else if (v >= 0.1) snprintf(buf, n, "%.2f", v);
    else snprintf(buf, n, "%.3f", v);
}

void bench_fmt_ratio(char *buf, size_t n, double v)
{
    if (v <= 0) snprintf(buf, n, "-");
    else if (v >= 10) snprintf(buf, n, "%.1f", v);
    else if (v >= 0.1) snprintf(buf, n, "%.2f", v);
    else snprintf(buf, n, "%.3f", v);
}

void bench_read_line_value(const char *path, const char *key, char *out, size_t n)
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

