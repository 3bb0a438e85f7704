/*
 * seqrt-bench output: the console table (a row per device and baseline of
 * each case, with the ratios to the baselines), the notes under it, and
 * for --scaling a table per axis with the fitted exponent of each series.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static void row(FILE *f, const char *c0, const char *c1, const bench_case *c, const bench_stats *s, int is_seqrt,
                double rg, double rl, double ro)
{
    char med[16], mn[16], p90[16], gf[16], us[16], sq[16], pk[16], cr[16], fr[16], a[16], b[16], d[16];
    if (s->state != BENCH_OK) {
        fprintf(f, "%-22s %-18s %s: %s\n", c0, c1, bench_state_name(s->state), s->note);
        return;
    }
    bench_fmt_num(med, sizeof med, s->median_ms);
    bench_fmt_num(mn, sizeof mn, s->min_ms);
    bench_fmt_num(p90, sizeof p90, s->p90_ms);
    bench_fmt_num(gf, sizeof gf, bench_gflops(c, s));
    bench_fmt_num(us, sizeof us, c->T > 0 ? s->median_ms * 1e3 / (double)c->T : 0);
    bench_fmt_num(sq, sizeof sq, s->median_ms > 0 ? (double)c->B / (s->median_ms * 1e-3) : 0);
    if (s->peak_mb >= 0) snprintf(pk, sizeof pk, "%.1f", s->peak_mb);
    else snprintf(pk, sizeof pk, "n/a");
    bench_fmt_num(cr, sizeof cr, s->create_ms);
    bench_fmt_num(fr, sizeof fr, s->first_ms);
    bench_fmt_ratio(a, sizeof a, rg);
    bench_fmt_ratio(b, sizeof b, rl);
    bench_fmt_ratio(d, sizeof d, ro);
    if (!is_seqrt) snprintf(a, sizeof a, " "), snprintf(b, sizeof b, " "), snprintf(d, sizeof d, " ");
    fprintf(f, "%-22s %-18s %9s %9s %9s %8s %8s %8s %7s %9s %9s %6s %6s %6s\n", c0, c1, med, mn, p90, gf, us, sq, pk, cr,
            fr, a, b, d);
}

static void print_scaling(FILE *f, const bench_report *r)
{
    bench_series sr[BENCH_MAX_SERIES];
    int ns = bench_make_series(r, sr, (int)(sizeof sr / sizeof sr[0]));
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
                const bench_stats *st = bench_series_stats(r, &sr[s], ci);
                char v[16];
                if (st->state == BENCH_OK) {
                    bench_fmt_num(v, sizeof v, st->median_ms);
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
    if (r->opts->neighbours)
        fprintf(f, "neighbours: %d busy-loop processes ran during the measurement\n", r->opts->neighbours);
    if (r->unavailable[0]) fprintf(f, "not run: %s\n", r->unavailable);
    if (!bench_mem_exact()) fprintf(f, "peak MB: n/a (/proc/self/clear_refs cannot be written here)\n");
    if (r->scaling) print_scaling(f, r);
}

