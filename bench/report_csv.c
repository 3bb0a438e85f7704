/*
 * seqrt-bench output: every measurement as CSV, a row per seqrt device and
 * baseline run of each case.
 */
#include <stdio.h>

#include "report.h"

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
    csv_str(f, dev), fputc(',', f), csv_str(f, devname), fputc(',', f), csv_str(f, bench_state_name(s->state));
    fputc(',', f), csv_str(f, s->note);
    int ok = s->state == BENCH_OK;
    csv_num(f, s->median_ms, ok), csv_num(f, s->min_ms, ok), csv_num(f, s->p90_ms, ok), csv_num(f, s->mean_ms, ok);
    csv_num(f, s->reps, ok), csv_num(f, bench_gflops(c, s), ok);
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

