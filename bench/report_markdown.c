/*
 * seqrt-bench output: the results as a Markdown table (for README files),
 * a row per seqrt device and baseline measured of each case.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

#include "report.h"

static void md_cell(FILE *f, double v, int ratio)
{
    char b[32];
    if (ratio) bench_fmt_ratio(b, sizeof b, v);
    else bench_fmt_num(b, sizeof b, v);
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
    bench_read_line_value("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    fprintf(f, "<!-- written by: %s -->\n", r->command);
    fprintf(f, "%s, %ld CPUs, threads: ", cpu, sysconf(_SC_NPROCESSORS_ONLN));
    if (r->opts->threads > 0) fprintf(f, "%d", r->opts->threads);
    else fprintf(f, "every CPU");
    if (r->opts->neighbours) fprintf(f, "; %d busy-loop neighbour process%s running", r->opts->neighbours,
                                     r->opts->neighbours == 1 ? "" : "es");
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
                fprintf(f, " %s: ", bench_state_name(s->state));
                md_text(f, s->note);
                fprintf(f, " | | | | | | | | | | |\n");
                continue;
            }
            md_cell(f, s->median_ms, 0);
            md_cell(f, s->p90_ms, 0);
            md_cell(f, bench_gflops(c, s), 0);
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

