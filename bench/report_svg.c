/*
 * seqrt-bench output: SVG charts written directly: GFLOP/s per case and
 * series (log scale; baselines dashed), or for --scaling the time against
 * T, B and H (log-log).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "report.h"

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

static int is_baseline(const bench_series *s) { return s->kind != 0; }

/* Decades [lo, hi] covering every positive value. */
static void log_range(double mn, double mx, double *lo, double *hi)
{
    if (!(mn > 0)) mn = 1, mx = 10;
    *lo = floor(log10(mn));
    *hi = ceil(log10(mx));
    if (*hi <= *lo) *hi = *lo + 1;
}

static void svg_legend(FILE *f, const bench_series *sr, int ns, double x, double y)
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
    bench_read_line_value("/proc/cpuinfo", "model name", cpu, sizeof cpu);
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
    bench_series sr[BENCH_MAX_SERIES];
    int ns = bench_make_series(r, sr, (int)(sizeof sr / sizeof sr[0]));
    double mn = 1e300, mx = 0;
    for (int ci = 0; ci < r->ncases; ci++)
        for (int s = 0; s < ns; s++) {
            double v = bench_gflops(&r->cases[ci], bench_series_stats(r, &sr[s], ci));
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
            const bench_stats *st = bench_series_stats(r, &sr[s], ci);
            double v = bench_gflops(&r->cases[ci], st);
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

/* One panel of the --scaling chart: the axis it plots (T, B or H), its box
 * and its log ranges (x: log2 of the axis value; y: decades of ms). */
typedef struct {
    char axis;
    double x0, top, pw, ph, xl, xh, yl, yh;
} panel;

/* Where series `s` puts case `ci` in panel `p`: 0 when the case is not on
 * the panel's axis or has no measured time, else 1 with the point in *x, *y. */
static int panel_point(const panel *p, const bench_report *r, const bench_series *s, int ci, double *x, double *y)
{
    const bench_case *c = &r->cases[ci];
    const bench_stats *st = bench_series_stats(r, s, ci);
    if (c->axis[0] != p->axis || st->state != BENCH_OK || st->median_ms <= 0) return 0;
    *x = p->x0 + (log2(c->axis_value) - p->xl) / (p->xh - p->xl) * p->pw;
    *y = p->top + p->ph - (log10(st->median_ms) - p->yl) / (p->yh - p->yl) * p->ph;
    return 1;
}

static int svg_scaling(FILE *f, const bench_report *r)
{
    bench_series sr[BENCH_MAX_SERIES];
    int ns = bench_make_series(r, sr, (int)(sizeof sr / sizeof sr[0]));
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
                const bench_stats *st = bench_series_stats(r, &sr[s], ci);
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
        const panel pn = {
            .axis = axis, .x0 = x0, .top = top, .pw = pw, .ph = ph, .xl = xl, .xh = xh, .yl = yl, .yh = yh};
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
            double x, y;
            for (int ci = 0; ci < r->ncases; ci++) {
                if (!panel_point(&pn, r, &sr[s], ci, &x, &y)) continue;
                fprintf(f, "%s%.1f,%.1f", first ? "" : " ", x, y);
                first = 0;
            }
            fputs("\"/>\n", f);
            for (int ci = 0; ci < r->ncases; ci++) {
                if (!panel_point(&pn, r, &sr[s], ci, &x, &y)) continue;
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>", x, y, g_colors[s % 10]);
                char t[256];
                snprintf(t, sizeof t, "%s %c=%g: %.3g ms", sr[s].label, pn.axis, r->cases[ci].axis_value,
                         bench_series_stats(r, &sr[s], ci)->median_ms);
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
