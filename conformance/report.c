/*
 * The conformance report: a console table per device, JSON (cJSON) and
 * markdown. Every report names seqrt's version, the host, and for every
 * device its backend, name, vendor, driver and description (where the
 * backends put their runtime versions: OpenCL platform and driver, oneDNN,
 * CLBlast), so that it can be attached to a bug report as it is.
 */
#define _DEFAULT_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "runner.h"

typedef struct rep_entry {
    size_t case_index, dev_index;
    cf_verdict verdict;
    char reason[1024];
    double max_abs, max_rel, nmse, seconds;
    int deterministic;
    char determinism[512];
    char description[512];
    char tolerance_note[256];
    double atol, rtol;
    cf_check *checks;
    size_t nchecks;
} rep_entry;

typedef struct rep_backend {
    char name[32];
    int available;
    size_t devices;
    char module[512];
    char reason[512];
} rep_backend;

struct cf_report {
    const cf_suite *suite;
    rep_backend backends[16];
    size_t nbackends;
    cf_device *devs;
    size_t ndev;
    rep_entry *e;
    size_t n, cap;
    char date[64];
    char host[256];
    char cpu[128];
};

static void read_cpu(char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) && strncmp(line, "Hardware", 8)) continue;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, n, "%s", colon);
        break;
    }
    fclose(f);
}

cf_report *cf_report_create(const cf_suite *suite, const cf_device *devices, size_t ndev)
{
    cf_report *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->suite = suite;
    r->devs = calloc(ndev ? ndev : 1, sizeof *r->devs);
    if (!r->devs) {
        free(r);
        return NULL;
    }
    memcpy(r->devs, devices, ndev * sizeof *devices);
    r->ndev = ndev;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(r->date, sizeof r->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct utsname u;
    if (uname(&u) == 0) snprintf(r->host, sizeof r->host, "%s %s %s", u.sysname, u.release, u.machine);
    read_cpu(r->cpu, sizeof r->cpu);
    for (size_t b = 0; b < seqrt_backend_count() && r->nbackends < 16; b++) {
        seqrt_backend_info bi;
        if (seqrt_backend_get_info(b, &bi) != SEQRT_OK) continue;
        rep_backend *x = &r->backends[r->nbackends++];
        snprintf(x->name, sizeof x->name, "%s", bi.name);
        x->available = bi.available;
        x->devices = bi.device_count;
        snprintf(x->module, sizeof x->module, "%s", bi.module);
        snprintf(x->reason, sizeof x->reason, "%s", bi.reason);
    }
    return r;
}

void cf_report_free(cf_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) free(r->e[i].checks);
    free(r->e);
    free(r->devs);
    free(r);
}

void cf_report_add(cf_report *r, size_t ci, size_t di, const cf_result *res, const cf_instance *inst)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 512;
        rep_entry *e = realloc(r->e, cap * sizeof *e);
        if (!e) return;
        r->e = e;
        r->cap = cap;
    }
    rep_entry *e = &r->e[r->n++];
    memset(e, 0, sizeof *e);
    e->case_index = ci;
    e->dev_index = di;
    e->verdict = res->verdict;
    snprintf(e->reason, sizeof e->reason, "%s", res->reason);
    e->max_abs = res->max_abs;
    e->max_rel = res->max_rel;
    e->nmse = res->nmse;
    e->seconds = res->seconds;
    e->deterministic = res->deterministic;
    snprintf(e->determinism, sizeof e->determinism, "%s", res->determinism);
    e->atol = inst ? inst->atol : SQ_DEFAULT_ATOL;
    e->rtol = inst ? inst->rtol : SQ_DEFAULT_RTOL;
    if (inst) {
        snprintf(e->description, sizeof e->description, "%s", inst->description);
        snprintf(e->tolerance_note, sizeof e->tolerance_note, "%s", inst->tolerance_note);
    }
    if (res->nchecks && (e->checks = malloc(res->nchecks * sizeof *e->checks))) {
        memcpy(e->checks, res->checks, res->nchecks * sizeof *e->checks);
        e->nchecks = res->nchecks;
    }
}

static void counts(const cf_report *r, long dev, size_t *p, size_t *f, size_t *s)
{
    *p = *f = *s = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (dev >= 0 && r->e[i].dev_index != (size_t)dev) continue;
        if (r->e[i].verdict == CF_PASS) (*p)++;
        else if (r->e[i].verdict == CF_FAIL) (*f)++;
        else (*s)++;
    }
}

void cf_report_counts(const cf_report *r, size_t *p, size_t *f, size_t *s) { counts(r, -1, p, f, s); }

static void summary(size_t p, size_t f, size_t s, char *buf, size_t n)
{
    if (s)
        snprintf(buf, n, "%zu passed, %zu failed, %zu skipped", p, f, s);
    else
        snprintf(buf, n, "%zu passed, %zu failed", p, f);
}

void cf_report_summary_line(const cf_report *r, char *buf, size_t n)
{
    size_t p, f, s;
    counts(r, -1, &p, &f, &s);
    summary(p, f, s, buf, n);
}

/* ------------------------------------------------------------ groups */

typedef struct group_row {
    char group[32];
    size_t cases, pass, fail, skip, nondet;
    double max_abs, max_rel, nmse, seconds;
} group_row;

static size_t group_rows(const cf_report *r, size_t dev, group_row *rows, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const rep_entry *e = &r->e[i];
        if (e->dev_index != dev) continue;
        const char *g = cf_suite_case(r->suite, e->case_index)->group;
        size_t k = 0;
        while (k < n && strcmp(rows[k].group, g)) k++;
        if (k == n) {
            if (n == max) continue;
            memset(&rows[n], 0, sizeof rows[n]);
            snprintf(rows[n].group, sizeof rows[n].group, "%s", g);
            n++;
        }
        group_row *row = &rows[k];
        row->cases++;
        if (e->verdict == CF_PASS) row->pass++;
        else if (e->verdict == CF_FAIL) row->fail++;
        else row->skip++;
        if (e->deterministic == 0) row->nondet++;
        if (e->verdict != CF_SKIP) {
            if (e->max_abs > row->max_abs) row->max_abs = e->max_abs;
            if (e->max_rel > row->max_rel) row->max_rel = e->max_rel;
            if (e->nmse > row->nmse) row->nmse = e->nmse;
        }
        row->seconds += e->seconds;
    }
    return n;
}

/* ------------------------------------------------------------ console */

static void print_device_header(FILE *f, const cf_device *d)
{
    fprintf(f, "\n== %s: %s\n", d->spec, d->info.name);
    fprintf(f, "   vendor: %s | driver: %s | compute units: %d", d->info.vendor, d->info.driver, d->info.compute_units);
    if (d->info.memory_bytes) fprintf(f, " | memory: %.1f GiB", (double)d->info.memory_bytes / (1024.0 * 1024 * 1024));
    fprintf(f, "\n   %s\n   module: %s\n", d->info.description, d->module);
}

void cf_report_print(const cf_report *r, FILE *f, int verbose)
{
    size_t ncases = cf_suite_count(r->suite);
    fprintf(f, "\nseqrt conformance: seqrt %s, %s set (%zu cases), seed %llu\n", seqrt_version(),
            cf_suite_full(r->suite) ? "full" : "quick", ncases, (unsigned long long)cf_suite_seed(r->suite));
    fprintf(f, "host: %s%s%s; %s\n", r->host, r->cpu[0] ? "; " : "", r->cpu, r->date);
    if (cf_suite_golden_note(r->suite)[0]) fprintf(f, "note: %s\n", cf_suite_golden_note(r->suite));
    group_row rows[64];
    for (size_t d = 0; d < r->ndev; d++) {
        print_device_header(f, &r->devs[d]);
        fprintf(f, "   %-22s %6s %6s %6s %7s %10s %10s %10s %8s\n", "group", "cases", "passed", "failed", "skipped",
                "max abs", "max rel", "NMSE", "time s");
        size_t nr = group_rows(r, d, rows, 64);
        for (size_t k = 0; k < nr; k++)
            fprintf(f, "   %-22s %6zu %6zu %6zu %7zu %10.3g %10.3g %10.3g %8.2f\n", rows[k].group, rows[k].cases,
                    rows[k].pass, rows[k].fail, rows[k].skip, rows[k].max_abs, rows[k].max_rel, rows[k].nmse,
                    rows[k].seconds);
        int head = 0;
        for (size_t i = 0; i < r->n; i++) {
            const rep_entry *e = &r->e[i];
            if (e->dev_index != d) continue;
            if (!verbose && e->verdict == CF_PASS && e->deterministic != 0) continue;
            if (!head++)
                fprintf(f, "   %s\n", verbose ? "every case (max abs err, max rel err, NMSE, deterministic):"
                                              : "failed, skipped and nondeterministic cases:");
            const char *name = cf_suite_case(r->suite, e->case_index)->name;
            if (verbose && e->verdict == CF_PASS)
                fprintf(f, "   %-7s %s  %.3g %.3g %.3g %s\n", cf_verdict_str(e->verdict), name, e->max_abs, e->max_rel,
                        e->nmse, e->deterministic == 1 ? "yes" : e->deterministic == 0 ? "NO" : "-");
            else if (e->verdict != CF_PASS)
                fprintf(f, "   %-7s %s: %.*s%s\n", cf_verdict_str(e->verdict), name, CF_CONSOLE_REASON, e->reason,
                        strlen(e->reason) > CF_CONSOLE_REASON ? "... (the JSON and markdown reports have every finding)" : "");
            if (e->deterministic == 0) fprintf(f, "   %-7s %s: not deterministic: %s\n", "NOTE", name, e->determinism);
        }
        size_t p, fl, s;
        counts(r, (long)d, &p, &fl, &s);
        char line[128];
        summary(p, fl, s, line, sizeof line);
        fprintf(f, "   %s: %s\n", r->devs[d].spec, line);
    }
    fprintf(f, "\n");
}

/* ------------------------------------------------------------ JSON */

static cJSON *device_json(const cf_device *d)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "device", d->spec);
    cJSON_AddStringToObject(j, "backend", d->info.backend);
    cJSON_AddNumberToObject(j, "index", (double)d->info.index);
    cJSON_AddStringToObject(j, "name", d->info.name);
    cJSON_AddStringToObject(j, "vendor", d->info.vendor);
    cJSON_AddStringToObject(j, "driver", d->info.driver);
    cJSON_AddStringToObject(j, "description", d->info.description);
    cJSON_AddNumberToObject(j, "compute_units", d->info.compute_units);
    cJSON_AddNumberToObject(j, "memory_bytes", (double)d->info.memory_bytes);
    cJSON_AddStringToObject(j, "module", d->module);
    return j;
}

static void add_counts(cJSON *j, size_t p, size_t f, size_t s)
{
    cJSON *c = cJSON_AddObjectToObject(j, "summary");
    cJSON_AddNumberToObject(c, "passed", (double)p);
    cJSON_AddNumberToObject(c, "failed", (double)f);
    cJSON_AddNumberToObject(c, "skipped", (double)s);
}

static int write_text(const char *path, const char *text, char *err, size_t errn)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errn, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errn, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

int cf_report_write_json(const cf_report *r, const char *path, char *err, size_t errn)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tool", "seqrt-conformance");
    cJSON_AddStringToObject(j, "seqrt_version", seqrt_version());
    cJSON_AddStringToObject(j, "set", cf_suite_full(r->suite) ? "full" : "quick");
    cJSON_AddNumberToObject(j, "seed", (double)cf_suite_seed(r->suite));
    cJSON_AddNumberToObject(j, "cases", (double)cf_suite_count(r->suite));
    cJSON_AddStringToObject(j, "date", r->date);
    cJSON *h = cJSON_AddObjectToObject(j, "host");
    cJSON_AddStringToObject(h, "os", r->host);
    cJSON_AddStringToObject(h, "cpu", r->cpu);
    cJSON_AddStringToObject(j, "golden_dir", cf_suite_golden_dir(r->suite));
    if (cf_suite_golden_note(r->suite)[0]) cJSON_AddStringToObject(j, "note", cf_suite_golden_note(r->suite));
    cJSON *rule = cJSON_AddObjectToObject(j, "rule");
    cJSON_AddStringToObject(rule, "element", "|x - ref| <= atol + rtol * |ref|; NaN/+Inf/-Inf exactly where the reference has them");
    cJSON_AddNumberToObject(rule, "default_atol", SQ_DEFAULT_ATOL);
    cJSON_AddNumberToObject(rule, "default_rtol", SQ_DEFAULT_RTOL);
    size_t p, f, s;
    counts(r, -1, &p, &f, &s);
    add_counts(j, p, f, s);
    char line[128];
    summary(p, f, s, line, sizeof line);
    cJSON_AddStringToObject(j, "result", line);
    cJSON *bks = cJSON_AddArrayToObject(j, "backends");
    for (size_t b = 0; b < r->nbackends; b++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", r->backends[b].name);
        cJSON_AddBoolToObject(x, "available", r->backends[b].available);
        cJSON_AddNumberToObject(x, "devices", (double)r->backends[b].devices);
        cJSON_AddStringToObject(x, "module", r->backends[b].module);
        if (!r->backends[b].available) cJSON_AddStringToObject(x, "reason", r->backends[b].reason);
        cJSON_AddItemToArray(bks, x);
    }
    cJSON *devs = cJSON_AddArrayToObject(j, "devices");
    for (size_t d = 0; d < r->ndev; d++) {
        cJSON *dj = device_json(&r->devs[d]);
        counts(r, (long)d, &p, &f, &s);
        add_counts(dj, p, f, s);
        cJSON *cases = cJSON_AddArrayToObject(dj, "cases");
        for (size_t i = 0; i < r->n; i++) {
            const rep_entry *e = &r->e[i];
            if (e->dev_index != d) continue;
            const cf_case_info *ci = cf_suite_case(r->suite, e->case_index);
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "name", ci->name);
            cJSON_AddStringToObject(c, "group", ci->group);
            cJSON_AddStringToObject(c, "source", ci->source);
            if (ci->chunk) cJSON_AddNumberToObject(c, "chunk", ci->chunk);
            cJSON_AddStringToObject(c, "description", e->description);
            cJSON_AddStringToObject(c, "result", cf_verdict_str(e->verdict));
            if (e->reason[0]) cJSON_AddStringToObject(c, "reason", e->reason);
            cJSON_AddNumberToObject(c, "atol", e->atol);
            cJSON_AddNumberToObject(c, "rtol", e->rtol);
            if (e->tolerance_note[0]) cJSON_AddStringToObject(c, "tolerance_note", e->tolerance_note);
            if (e->verdict != CF_SKIP) {
                cJSON_AddNumberToObject(c, "max_abs_error", e->max_abs);
                cJSON_AddNumberToObject(c, "max_rel_error", e->max_rel);
                cJSON_AddNumberToObject(c, "nmse", e->nmse);
            }
            if (e->deterministic >= 0) cJSON_AddBoolToObject(c, "deterministic", e->deterministic);
            if (e->deterministic == 0) cJSON_AddStringToObject(c, "determinism", e->determinism);
            cJSON_AddNumberToObject(c, "seconds", e->seconds);
            if (e->nchecks) {
                cJSON *checks = cJSON_AddArrayToObject(c, "checks");
                for (size_t k = 0; k < e->nchecks; k++) {
                    const cf_check *ck = &e->checks[k];
                    cJSON *x = cJSON_CreateObject();
                    cJSON_AddStringToObject(x, "output", ck->output);
                    cJSON_AddStringToObject(x, "against", ck->against);
                    cJSON_AddStringToObject(x, "run", ck->phase);
                    cJSON_AddBoolToObject(x, "ok", ck->ok);
                    cJSON_AddNumberToObject(x, "elements", (double)ck->r.count);
                    cJSON_AddNumberToObject(x, "failures", (double)ck->r.failures);
                    cJSON_AddNumberToObject(x, "max_abs_error", ck->r.max_abs);
                    cJSON_AddNumberToObject(x, "max_rel_error", ck->r.max_rel);
                    cJSON_AddNumberToObject(x, "nmse", ck->r.nmse);
                    if (ck->r.nonfinite_mismatch)
                        cJSON_AddNumberToObject(x, "nonfinite_mismatches", (double)ck->r.nonfinite_mismatch);
                    cJSON_AddItemToArray(checks, x);
                }
            }
            cJSON_AddItemToArray(cases, c);
        }
        cJSON_AddItemToArray(devs, dj);
    }
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) {
        snprintf(err, errn, "out of memory writing the JSON report");
        return -1;
    }
    int rc = write_text(path, text, err, errn);
    free(text);
    return rc;
}

/* ------------------------------------------------------------ markdown */

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 65536) + (size_t)k;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* A table cell: '|' escaped, newlines as spaces. */
static void sb_cell(sbuf *b, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c == '|') sb_printf(b, "\\|");
        else if (*c == '\n' || *c == '\r') sb_printf(b, " ");
        else sb_printf(b, "%c", *c);
    }
}

int cf_report_write_markdown(const cf_report *r, const char *path, char *err, size_t errn)
{
    sbuf b = {0};
    size_t p, f, s;
    char line[128];
    cf_report_summary_line(r, line, sizeof line);
    sb_printf(&b, "# seqrt conformance report\n\n| | |\n|---|---|\n");
    sb_printf(&b, "| result | **%s** |\n", line);
    sb_printf(&b, "| seqrt | %s |\n", seqrt_version());
    sb_printf(&b, "| set | %s (%zu cases), seed %llu |\n", cf_suite_full(r->suite) ? "full" : "quick",
              cf_suite_count(r->suite), (unsigned long long)cf_suite_seed(r->suite));
    sb_printf(&b, "| date | %s |\n| host | ", r->date);
    sb_cell(&b, r->host);
    sb_printf(&b, " |\n| cpu | ");
    sb_cell(&b, r->cpu);
    sb_printf(&b, " |\n| rule | \\|x - ref\\| <= atol + rtol * \\|ref\\| (defaults atol %g, rtol %g), NaN/Inf exactly "
                  "where the reference has them |\n",
              SQ_DEFAULT_ATOL, SQ_DEFAULT_RTOL);
    if (cf_suite_golden_note(r->suite)[0]) {
        sb_printf(&b, "| note | ");
        sb_cell(&b, cf_suite_golden_note(r->suite));
        sb_printf(&b, " |\n");
    }
    sb_printf(&b, "\n## Devices\n\n| device | name | vendor | driver | description | module | passed | failed | skipped |\n"
                  "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t d = 0; d < r->ndev; d++) {
        const cf_device *dv = &r->devs[d];
        counts(r, (long)d, &p, &f, &s);
        sb_printf(&b, "| `%s` | ", dv->spec);
        sb_cell(&b, dv->info.name);
        sb_printf(&b, " | ");
        sb_cell(&b, dv->info.vendor);
        sb_printf(&b, " | ");
        sb_cell(&b, dv->info.driver);
        sb_printf(&b, " | ");
        sb_cell(&b, dv->info.description);
        sb_printf(&b, " | ");
        sb_cell(&b, dv->module);
        sb_printf(&b, " | %zu | %zu | %zu |\n", p, f, s);
    }
    int unavailable = 0;
    for (size_t k = 0; k < r->nbackends; k++) {
        if (r->backends[k].available) continue;
        if (!unavailable++) sb_printf(&b, "\nBackends not tested (unavailable on this machine):\n\n");
        sb_printf(&b, "- `%s`: ", r->backends[k].name);
        sb_cell(&b, r->backends[k].reason);
        sb_printf(&b, "\n");
    }
    group_row rows[64];
    for (size_t d = 0; d < r->ndev; d++) {
        const cf_device *dv = &r->devs[d];
        sb_printf(&b, "\n## `%s`: ", dv->spec);
        sb_cell(&b, dv->info.name);
        sb_printf(&b, "\n\n| group | cases | passed | failed | skipped | nondeterministic | max abs err | max rel err | "
                      "worst NMSE | time (s) |\n|---|---|---|---|---|---|---|---|---|---|\n");
        size_t nr = group_rows(r, d, rows, 64);
        for (size_t k = 0; k < nr; k++)
            sb_printf(&b, "| %s | %zu | %zu | %zu | %zu | %zu | %.3g | %.3g | %.3g | %.2f |\n", rows[k].group,
                      rows[k].cases, rows[k].pass, rows[k].fail, rows[k].skip, rows[k].nondet, rows[k].max_abs,
                      rows[k].max_rel, rows[k].nmse, rows[k].seconds);
        int head = 0;
        for (size_t i = 0; i < r->n; i++) {
            const rep_entry *e = &r->e[i];
            if (e->dev_index != d || (e->verdict == CF_PASS && e->deterministic != 0)) continue;
            if (!head++) sb_printf(&b, "\n### Failed, skipped and nondeterministic cases\n\n| case | result | why |\n|---|---|---|\n");
            sb_printf(&b, "| `%s` | %s | ", cf_suite_case(r->suite, e->case_index)->name, cf_verdict_str(e->verdict));
            sb_cell(&b, e->reason);
            if (e->deterministic == 0) {
                sb_printf(&b, "%snot deterministic: ", e->reason[0] ? "; " : "");
                sb_cell(&b, e->determinism);
            }
            sb_printf(&b, " |\n");
        }
        sb_printf(&b, "\n<details><summary>Every case on %s</summary>\n\n| case | group | result | max abs err | max rel err "
                      "| NMSE | deterministic | atol | rtol | time (ms) |\n|---|---|---|---|---|---|---|---|---|---|\n",
                  dv->spec);
        for (size_t i = 0; i < r->n; i++) {
            const rep_entry *e = &r->e[i];
            if (e->dev_index != d) continue;
            const cf_case_info *ci = cf_suite_case(r->suite, e->case_index);
            sb_printf(&b, "| `%s` | %s | %s | ", ci->name, ci->group, cf_verdict_str(e->verdict));
            if (e->verdict == CF_SKIP)
                sb_printf(&b, "- | - | - | ");
            else
                sb_printf(&b, "%.3g | %.3g | %.3g | ", e->max_abs, e->max_rel, e->nmse);
            sb_printf(&b, "%s | %g | %g | %.1f |\n", e->deterministic == 1 ? "yes" : e->deterministic == 0 ? "**no**" : "-",
                      e->atol, e->rtol, e->seconds * 1e3);
        }
        sb_printf(&b, "\n</details>\n");
    }
    if (b.oom) {
        free(b.s);
        snprintf(err, errn, "out of memory writing the markdown report");
        return -1;
    }
    int rc = write_text(path, b.s ? b.s : "", err, errn);
    free(b.s);
    return rc;
}
