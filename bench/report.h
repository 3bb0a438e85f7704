/*
 * seqrt-bench: what the report writers share (report.c): the series of a
 * report, the derived numbers of a measurement, the number formats of the
 * tables, and the machine description read from /proc and /etc. The
 * writers: report_table.c (console), report_json.c, report_csv.c,
 * report_markdown.c, report_svg.c.
 */
#ifndef SEQRT_BENCH_REPORT_H
#define SEQRT_BENCH_REPORT_H

#include <stddef.h>

#include "bench.h"

/* The most series a report has: each device, three CPU baselines, and
 * CLBlast on each OpenCL device. */
#define BENCH_MAX_SERIES (BENCH_MAX_DEVICES + 3 + BENCH_MAX_CL)

/* A series of a report: each seqrt device, then the baselines measured. */
typedef struct bench_series {
    char label[160];
    char id[64];
    int kind;   /* 0 seqrt device, 1 dnnl sgemm, 2 dnnl lstm, 3 ort, 4 clblast */
    int index;
} bench_series;

/* The series of the report (devices first, then each baseline with at
 * least one measurement), at most `max`; their count. */
int bench_make_series(const bench_report *r, bench_series *out, int max);
/* The series' measurement of case `ci`. */
const bench_stats *bench_series_stats(const bench_report *r, const bench_series *s, int ci);

/* GEMM GFLOP/s of a measurement (0 unless it is ok). */
double bench_gflops(const bench_case *c, const bench_stats *s);
/* "ok", "skipped", "failed" or "not run". */
const char *bench_state_name(int state);

/* A time or rate with 3 significant digits or so; "-" for v <= 0. */
void bench_fmt_num(char *buf, size_t n, double v);
/* A ratio ("-" for v <= 0). */
void bench_fmt_ratio(char *buf, size_t n, double v);

/* The value of the first line of file `path` that starts with `key`
 * (separators ' ', tab, ':', '=', '"' skipped, up to '"' or the end of the
 * line); "" if none. */
void bench_read_line_value(const char *path, const char *key, char *out, size_t n);

#endif /* SEQRT_BENCH_REPORT_H */
