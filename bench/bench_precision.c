/*
 * seqrt-bench: --precision f32,bf16,f16,int8 — every device runs every
 * case once per listed precision, as series of the same case (they take
 * turns with the f32 series, so the ratios compare like with like). A
 * precision's series is a device entry of its own ("onednn:0 int8"),
 * running the case's description with format 1.2's model-wide
 * `precision` (int8: `int8-dynamic` with `int8_rule` onednn, the weights
 * quantized per tensor at load as quantize_dynamic's default qconfig
 * does; bf16/f16: rounded at load) over the same weights file; the
 * summary prints each precision's median and minimum against its device's
 * f32 series.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static const char *const g_names[BENCH_NPREC] = {"f32", "bf16", "f16", "int8"};
static const char *const g_desc_names[BENCH_NPREC] = {"f32", "bf16", "f16", "int8-dynamic"};

const char *bench_precision_name(int p) { return p >= 0 && p < BENCH_NPREC ? g_names[p] : "?"; }

int bench_precision_parse(const char *list, int *precs, int *n, char *err, size_t err_size)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    char *save = NULL;
    for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        int p = -1;
        for (int i = 0; i < BENCH_NPREC; i++)
            if (!strcmp(s, g_names[i]) || !strcmp(s, g_desc_names[i])) p = i;
        if (p < 0) {
            snprintf(err, err_size, "--precision: '%s' is not one of f32, bf16, f16, int8", s);
            return -1;
        }
        for (int i = 0; i < *n; i++)
            if (precs[i] == p) p = -1;
        if (p >= 0) precs[(*n)++] = p;
    }
    if (!*n) {
        snprintf(err, err_size, "--precision: no precision given");
        return -1;
    }
    return 0;
}

int bench_precision_expand(bench_device *devs, int *ndev, const int *precs, int nprec, char *err, size_t err_size)
{
    const int n0 = *ndev;
    if (n0 * nprec > BENCH_MAX_DEVICES) {
        snprintf(err, err_size, "--precision: %d devices x %d precisions is more than %d series", n0, nprec,
                 BENCH_MAX_DEVICES);
        return -1;
    }
    bench_device base[BENCH_MAX_DEVICES];
    memcpy(base, devs, sizeof *devs * (size_t)n0);
    int k = 0;
    for (int d = 0; d < n0; d++)
        for (int p = 0; p < nprec; p++) {
            devs[k] = base[d];
            devs[k].prec = precs[p];
            if (precs[p]) snprintf(devs[k].id, sizeof devs[k].id, "%s %s", base[d].id, g_names[precs[p]]);
            k++;
        }
    *ndev = k;
    return 0;
}

/* The description of case c at precision p, beside the case's own (built-in
 * cases) or in dir (--model: its weights named by absolute path). */
static int write_variant(const bench_case *c, int p, const char *dir, char *path, size_t n, char *weights,
                         size_t wn, char *err, size_t err_size)
{
    FILE *f = fopen(c->json_path, "rb");
    if (!f) {
        snprintf(err, err_size, "cannot read %s", c->json_path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = len > 0 ? malloc((size_t)len + 1) : NULL;
    size_t got = text ? fread(text, 1, (size_t)len, f) : 0;
    fclose(f);
    if (!text || got != (size_t)len) {
        free(text);
        snprintf(err, err_size, "cannot read %s", c->json_path);
        return -1;
    }
    text[len] = '\0';
    cJSON *d = cJSON_Parse(text);
    free(text);
    if (!d) {
        snprintf(err, err_size, "%s: not JSON", c->json_path);
        return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(d, "version");
    cJSON_AddNumberToObject(d, "version", 1.2);
    cJSON_DeleteItemFromObjectCaseSensitive(d, "precision");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "int8_rule");
    cJSON_AddStringToObject(d, "precision", g_desc_names[p]);
    if (p == BENCH_PREC_INT8) cJSON_AddStringToObject(d, "int8_rule", "onednn");
    char real[PATH_MAX];
    weights[0] = '\0';
    if (!c->desc) { /* --model: the variant in dir, loaded with the weights' path */
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(d, "weights");
        char wp[PATH_MAX + 256];
        if (!realpath(c->json_path, real)) snprintf(real, sizeof real, "%s", c->json_path);
        char *slash = strrchr(real, '/');
        if (slash) *slash = '\0';
        if (cJSON_IsString(w) && w->valuestring[0] == '/') snprintf(wp, sizeof wp, "%s", w->valuestring);
        else if (cJSON_IsString(w)) snprintf(wp, sizeof wp, "%s/%s", slash ? real : ".", w->valuestring);
        else {
            const char *base = strrchr(c->json_path, '/');
            base = base ? base + 1 : c->json_path;
            snprintf(wp, sizeof wp, "%s/%.*s.safetensors", slash ? real : ".", (int)(strcspn(base, ".")), base);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(d, "weights");
        snprintf(weights, wn, "%s", wp);
        snprintf(path, n, "%s/model.%s.json", dir, g_names[p]);
    } else {
        snprintf(path, n, "%s.%s.json", c->json_path, g_names[p]);
    }
    char *out = cJSON_Print(d);
    cJSON_Delete(d);
    f = out ? fopen(path, "w") : NULL;
    int ok = f && fputs(out, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    cJSON_free(out);
    if (!ok) snprintf(err, err_size, "cannot write %s", path);
    return ok ? 0 : -1;
}

int bench_precision_models(const bench_case *c, const char *dir, const bench_device *devs, int ndev,
                           seqrt_model **models, char *err, size_t err_size)
{
    for (int p = 0; p < BENCH_NPREC; p++) models[p] = NULL;
    for (int k = 0; k < ndev; k++) {
        const int p = devs[k].prec;
        if (!p || models[p]) continue;
        char path[1200], weights[PATH_MAX + 256];
        if (write_variant(c, p, dir, path, sizeof path, weights, sizeof weights, err, err_size)) return -1;
        seqrt_load_options o = {0};
        o.weights_path = weights;
        seqrt_status st = seqrt_model_load(&models[p], path, weights[0] ? &o : NULL);
        unlink(path);
        if (st != SEQRT_OK) {
            snprintf(err, err_size, "model at %s: %s", g_names[p], seqrt_last_error());
            return -1;
        }
    }
    return 0;
}

void bench_precision_summary(FILE *f, const bench_report *rep)
{
    int any = 0;
    for (int d = 0; d < rep->ndevices; d++) any |= rep->devices[d].prec != 0;
    if (!any) return;
    fprintf(f, "\nprecision against f32 on the same device (f32 ms / precision ms: > 1 is faster)\n");
    fprintf(f, "%-24s %-18s %12s %12s %12s %12s %8s %8s\n", "case", "series", "f32 median", "f32 min", "median",
            "min", "x median", "x min");
    for (int ci = 0; ci < rep->ncases; ci++)
        for (int d = 0; d < rep->ndevices; d++) {
            const bench_device *x = &rep->devices[d];
            if (!x->prec) continue;
            int f32 = -1;
            for (int e = 0; e < rep->ndevices; e++)
                if (rep->devices[e].dev == x->dev && !rep->devices[e].prec) f32 = e;
            const bench_stats *a = f32 >= 0 ? &rep->res[ci].seqrt[f32] : NULL, *b = &rep->res[ci].seqrt[d];
            if (b->state != BENCH_OK) {
                fprintf(f, "%-24s %-18s %s\n", rep->cases[ci].name, x->id, b->note[0] ? b->note : "not run");
                continue;
            }
            if (!a || a->state != BENCH_OK) {
                fprintf(f, "%-24s %-18s %12s %12s %12.3f %12.3f %8s %8s\n", rep->cases[ci].name, x->id, "-", "-",
                        b->median_ms, b->min_ms, "-", "-");
                continue;
            }
            fprintf(f, "%-24s %-18s %12.3f %12.3f %12.3f %12.3f %8.2f %8.2f\n", rep->cases[ci].name, x->id,
                    a->median_ms, a->min_ms, b->median_ms, b->min_ms, a->median_ms / b->median_ms,
                    a->min_ms / b->min_ms);
        }
}
