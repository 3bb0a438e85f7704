/*
 * seqrt-bench: a built-in case written out, its description as JSON and
 * random weights for the layers the built-in sets use (PyTorch's names and
 * default init ranges) as F32 safetensors, streamed in chunks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* A weight tensor to write: its name, shape and init range. */
typedef struct wt {
    char name[128];
    int rank;
    int64_t dims[2];
    float scale;
} wt;

typedef struct wlist {
    wt *t;
    int n, cap;
} wlist;

static int wadd(wlist *w, const char *prefix, const char *name, int64_t d0, int64_t d1, double scale)
{
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 32;
        wt *t = realloc(w->t, sizeof *t * (size_t)cap);
        if (!t) return -1;
        w->t = t, w->cap = cap;
    }
    wt *t = &w->t[w->n++];
    snprintf(t->name, sizeof t->name, "%s.%s", prefix, name);
    t->rank = d1 > 0 ? 2 : 1;
    t->dims[0] = d0, t->dims[1] = d1;
    t->scale = (float)scale;
    return 0;
}

/* The weights of the layers the built-in sets use, PyTorch's names and its
 * default init ranges (uniform +-1/sqrt(fan)). */
static int weights_of(const cJSON *desc, wlist *w)
{
    /* feature width of each value so far (for attention pooling) */
    struct { const char *name; int64_t width; } vw[64];
    int nvw = 0;
    const cJSON *L;
    cJSON_ArrayForEach(L, cJSON_GetObjectItemCaseSensitive(desc, "inputs")) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(L, "shape");
        const cJSON *last = cJSON_GetArrayItem(s, cJSON_GetArraySize(s) - 1);
        if (nvw < 64) {
            vw[nvw].name = cJSON_GetObjectItemCaseSensitive(L, "name")->valuestring;
            vw[nvw++].width = cJSON_IsNumber(last) ? (int64_t)last->valuedouble : 1;
        }
    }
    cJSON_ArrayForEach(L, cJSON_GetObjectItemCaseSensitive(desc, "layers")) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(L, "inputs"), "x");
        int64_t in_width = 1, out_width = 1;
        for (int i = 0; i < nvw; i++)
            if (cJSON_IsString(x) && !strcmp(vw[i].name, x->valuestring)) in_width = vw[i].width;
        const char *op = cJSON_GetObjectItemCaseSensitive(L, "op")->valuestring;
        const char *nm = cJSON_GetObjectItemCaseSensitive(L, "name")->valuestring;
        char k[96];
        int rc = 0;
        if (!strcmp(op, "embedding")) {
            out_width = (int64_t)bench_attr(L, "embedding_dim", 1);
            rc |= wadd(w, nm, "weight", (int64_t)bench_attr(L, "num_embeddings", 1), out_width, 1.0);
        } else if (!strcmp(op, "linear")) {
            int64_t in = (int64_t)bench_attr(L, "in_features", 1), out = (int64_t)bench_attr(L, "out_features", 1);
            out_width = out;
            rc |= wadd(w, nm, "weight", out, in, 1.0 / sqrt((double)in));
            rc |= wadd(w, nm, "bias", out, 0, 1.0 / sqrt((double)in));
        } else if (!strcmp(op, "lstm")) {
            int64_t H = (int64_t)bench_attr(L, "hidden_size", 1), I = (int64_t)bench_attr(L, "input_size", 1);
            int NL = (int)bench_attr(L, "num_layers", 1), D = bench_attr_bool(L, "bidirectional", 0) ? 2 : 1;
            double s = 1.0 / sqrt((double)H);
            out_width = D * H;
            for (int l = 0; l < NL; l++)
                for (int d = 0; d < D; d++) {
                    const char *sfx = d ? "_reverse" : "";
                    snprintf(k, sizeof k, "weight_ih_l%d%s", l, sfx);
                    rc |= wadd(w, nm, k, 4 * H, l ? D * H : I, s);
                    snprintf(k, sizeof k, "weight_hh_l%d%s", l, sfx);
                    rc |= wadd(w, nm, k, 4 * H, H, s);
                    snprintf(k, sizeof k, "bias_ih_l%d%s", l, sfx);
                    rc |= wadd(w, nm, k, 4 * H, 0, s);
                    snprintf(k, sizeof k, "bias_hh_l%d%s", l, sfx);
                    rc |= wadd(w, nm, k, 4 * H, 0, s);
                }
        } else if (!strcmp(op, "attention_pool")) {
            int64_t A = (int64_t)bench_attr(L, "hidden", 64), F = in_width;
            out_width = F;
            rc |= wadd(w, nm, "projection.0.weight", A, F, 1.0 / sqrt((double)F));
            rc |= wadd(w, nm, "projection.0.bias", A, 0, 1.0 / sqrt((double)F));
            rc |= wadd(w, nm, "projection.2.weight", 1, A, 1.0 / sqrt((double)A));
            rc |= wadd(w, nm, "projection.2.bias", 1, 0, 1.0 / sqrt((double)A));
        } else if (!strcmp(op, "multihead_attention")) {
            int64_t E = (int64_t)bench_attr(L, "embed_dim", 1);
            double s = 1.0 / sqrt((double)E);
            out_width = E;
            rc |= wadd(w, nm, "in_proj_weight", 3 * E, E, s);
            rc |= wadd(w, nm, "in_proj_bias", 3 * E, 0, s);
            rc |= wadd(w, nm, "out_proj.weight", E, E, s);
            rc |= wadd(w, nm, "out_proj.bias", E, 0, s);
        }
        if (rc) return -1;
        if (nvw < 64) {
            vw[nvw].name = nm;
            vw[nvw++].width = out_width;
        }
    }
    return 0;
}

/* Streams F32 safetensors: the header, then each tensor's values in chunks. */
static int write_safetensors(const char *path, const wlist *w, char *err, size_t err_size)
{
    cJSON *h = cJSON_CreateObject();
    uint64_t off = 0;
    for (int i = 0; i < w->n; i++) {
        const wt *t = &w->t[i];
        uint64_t count = (uint64_t)t->dims[0] * (uint64_t)(t->rank == 2 ? t->dims[1] : 1);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "dtype", "F32");
        cJSON *s = cJSON_AddArrayToObject(e, "shape");
        for (int r = 0; r < t->rank; r++) cJSON_AddItemToArray(s, cJSON_CreateNumber((double)t->dims[r]));
        cJSON *o = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)(off + 4 * count)));
        cJSON_AddItemToObject(h, t->name, e);
        off += 4 * count;
    }
    char *text = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (!text) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    size_t hl = strlen(text), pad = (8 - hl % 8) % 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        cJSON_free(text);
        return -1;
    }
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)(hl + pad) >> (8 * i));
    int ok = fwrite(len, 1, 8, f) == 8 && fwrite(text, 1, hl, f) == hl && fwrite("        ", 1, pad, f) == pad;
    cJSON_free(text);
    enum { CHUNK = 1 << 16 };
    float *buf = malloc(sizeof *buf * CHUNK);
    uint32_t seed = 0x1234567u;
    for (int i = 0; ok && buf && i < w->n; i++) {
        const wt *t = &w->t[i];
        uint64_t count = (uint64_t)t->dims[0] * (uint64_t)(t->rank == 2 ? t->dims[1] : 1);
        while (ok && count) {
            size_t m = count < CHUNK ? (size_t)count : CHUNK;
            for (size_t j = 0; j < m; j++) {
                seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
                buf[j] = t->scale * (float)((double)seed / 4294967296.0 * 2.0 - 1.0);
            }
            ok = fwrite(buf, sizeof *buf, m, f) == m; /* little-endian host (x86, ARM) */
            count -= m;
        }
    }
    ok = buf && ok;
    free(buf);
    if (fclose(f) != 0) ok = 0;
    if (!ok) snprintf(err, err_size, "cannot write %s", path);
    return ok ? 0 : -1;
}

int bench_case_write(bench_case *c, const char *dir, char *err, size_t err_size)
{
    if (!c->desc) return 0;
    char st[1100];
    snprintf(c->json_path, sizeof c->json_path, "%s/%s.json", dir, c->name);
    snprintf(st, sizeof st, "%s/%s.safetensors", dir, c->name);
    const char *slash = strrchr(st, '/');
    cJSON_DeleteItemFromObjectCaseSensitive(c->desc, "weights");
    cJSON_AddStringToObject(c->desc, "weights", slash + 1);
    char *text = cJSON_Print(c->desc);
    FILE *f = text ? fopen(c->json_path, "w") : NULL;
    int ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    cJSON_free(text);
    if (!ok) {
        snprintf(err, err_size, "cannot write %s", c->json_path);
        return -1;
    }
    wlist w = {0};
    int rc = weights_of(c->desc, &w);
    if (rc) snprintf(err, err_size, "out of memory");
    else rc = write_safetensors(st, &w, err, err_size);
    free(w.t);
    return rc;
}

