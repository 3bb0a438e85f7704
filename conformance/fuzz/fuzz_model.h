/*
 * Shared part of the description and graph fuzzers: from the bytes of a
 * (possibly hostile) description, make the weights it asks for, so that
 * mutated descriptions get past weight binding into shape inference and the
 * run instead of stopping at "weight tensor ... is missing".
 *
 * A pre-pass parses the description with the core's own parser
 * (sq_parse_description), infers the symbolic shapes without weights, asks
 * the op table for each layer's weight tensors (sq_layer_weight_specs) and
 * writes a safetensors image holding them (F32, sometimes F16/BF16). The
 * image is then handed to the real loader (sq_model_load_memory), which
 * checks everything again from scratch. Sizes are bounded so that one input
 * runs in milliseconds. A few bits of a hash of the input decide small
 * deliberate faults (a tensor dropped, mis-shaped or extra), so the binding
 * errors stay covered too.
 *
 * Everything is static: each fuzzer includes this once.
 */
#ifndef SEQRT_FUZZ_MODEL_H
#define SEQRT_FUZZ_MODEL_H

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "internal.h"
#include "ops.h"
#include "shape.h"

/* model.c (declared in model_load.c) */
seqrt_status sq_parse_description(seqrt_model *m, const char *file, const cJSON *root);

#define FZ_MAX_WEIGHT_ELEMENTS (1 << 16) /* all tensors together */
#define FZ_MAX_SYMS 64

typedef struct fz_rng {
    uint64_t s;
} fz_rng;

static uint64_t fz_next(fz_rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t fz_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* A float in [-1, 1], now and then a special value. */
static float fz_float(fz_rng *r, int specials)
{
    uint64_t x = fz_next(r);
    if (specials && (x & 0xff) == 0) {
        static const float sp[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 1e-40f, 0.0f, -0.0f};
        return sp[(x >> 8) & 7];
    }
    return (float)((double)(x >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* ------------------------------------------------------------ byte buffer */

typedef struct fz_buf {
    uint8_t *p;
    size_t n, cap;
    int failed;
} fz_buf;

static void fz_put(fz_buf *b, const void *data, size_t n)
{
    if (b->failed) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void fz_printf(fz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fz_printf(fz_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = 1;
        return;
    }
    fz_put(b, tmp, (size_t)n);
}

/* ------------------------------------------------------------ weights */

typedef struct fz_tensor {
    char name[400];
    int rank;
    int64_t dims[2];
    int dtype; /* 0 F32, 1 F16, 2 BF16 */
} fz_tensor;

/* What the pre-pass learned: the weights image and the value chosen for each
 * symbol a weight had to fix (0: free). */
typedef struct fz_model {
    uint8_t *image;
    size_t image_len;
    int64_t sym_value[FZ_MAX_SYMS];
} fz_model;

/* Last dim of value v, or -1 if v is absent; a symbol is fixed to a small
 * value (recorded, so the run's inputs agree). */
static int64_t fz_width(const seqrt_model *m, int v, fz_rng *r, fz_model *fm)
{
    if (v < 0 || v >= m->nvalues || m->values[v].rank < 1) return 1;
    int64_t d = m->values[v].dims[m->values[v].rank - 1];
    if (d >= 0) return d;
    int s = (int)(-d - 1);
    if (s >= FZ_MAX_SYMS) return 1;
    if (!fm->sym_value[s]) fm->sym_value[s] = 1 + (int64_t)(fz_next(r) % 4);
    return fm->sym_value[s];
}

static uint16_t fz_to_half(float f, int bf16)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if (bf16) return (uint16_t)(u >> 16);
    /* crude f16: enough for fuzzing (values in [-1, 1] or specials) */
    uint32_t sign = (u >> 16) & 0x8000, exp = (u >> 23) & 0xff, mant = u & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) return (uint16_t)sign;
    return (uint16_t)(sign | (uint32_t)e << 10 | mant >> 13);
}

/* Builds the weights image for the description in `json`. Returns 0 and
 * leaves fm->image NULL when the description does not parse (the loader
 * then reports why, with no weights at all). */
static int fz_make_weights(const uint8_t *json, size_t len, uint64_t seed, fz_model *fm)
{
    memset(fm, 0, sizeof *fm);
    fz_rng r = {seed};
    cJSON *root = cJSON_ParseWithLength((const char *)json, len);
    if (!root) return 0;
    seqrt_model *m = sq_calloc(1, sizeof *m);
    fz_tensor *t = NULL;
    int nt = 0, cap = 0;
    int64_t total = 0;
    sq_weight_spec *specs = NULL;
    if (!m || sq_parse_description(m, "fuzz", root) != SEQRT_OK || sq_infer_model(m) != SEQRT_OK) goto out;
    for (int l = 0; l < m->nlayers; l++) {
        sq_layer *L = &m->layers[l];
        int max = (int)(L->a.num_layers > 0 ? L->a.num_layers : 1) * 2 * SQ_RW_COUNT + 8, nw = 0;
        free(specs);
        specs = calloc((size_t)max, sizeof *specs);
        if (!specs) goto out;
        int n = sq_layer_weight_specs(L, specs, max, &nw);
        for (int i = 0; i < n; i++) {
            sq_weight_spec *sp = &specs[i];
            int64_t d[2] = {sp->dims[0], sp->dims[1]};
            for (int k = 0; k < sp->rank; k++) {
                if (d[k] >= 0) continue;
                /* a dim taken from the layer's inputs (see ops.c) */
                int v = -1;
                if (L->op == SQ_OP_ATTENTION_POOL) v = L->in[SQ_SLOT_X];
                else if (L->op == SQ_OP_ATTENTION && L->a.score == SQ_SCORE_GENERAL)
                    v = L->in[k == 0 ? SQ_SLOT_QUERY : SQ_SLOT_KEYS];
                else if (L->op == SQ_OP_ATTENTION)
                    v = L->in[strncmp(sp->param, "query", 5) ? SQ_SLOT_KEYS : SQ_SLOT_QUERY];
                d[k] = fz_width(m, v, &r, fm);
            }
            int64_t count = sp->rank == 2 ? d[0] * d[1] : d[0];
            if (count > FZ_MAX_WEIGHT_ELEMENTS || total + count > FZ_MAX_WEIGHT_ELEMENTS) goto out;
            total += count;
            if (nt == cap) {
                cap = cap ? 2 * cap : 16;
                fz_tensor *q = realloc(t, sizeof *t * (size_t)cap);
                if (!q) goto out;
                t = q;
            }
            fz_tensor *e = &t[nt++];
            snprintf(e->name, sizeof e->name, "%s.%s", L->name, sp->param);
            e->rank = sp->rank;
            e->dims[0] = d[0];
            e->dims[1] = d[1];
            uint64_t x = fz_next(&r);
            e->dtype = (x & 15) == 0 ? 1 : (x & 15) == 1 ? 2 : 0;
        }
    }
    /* deliberate faults, now and then */
    uint64_t x = fz_next(&r);
    if (nt > 0 && (x & 31) == 0) { /* one missing */
        int drop = (int)(fz_next(&r) % (uint64_t)nt);
        t[drop] = t[nt - 1];
        nt--;
    } else if (nt > 0 && (x & 31) == 1) t[fz_next(&r) % (uint64_t)nt].dims[0] += 1; /* mis-shaped */
    else if (nt > 0 && (x & 31) == 2) {                                          /* one unused */
        fz_tensor extra = t[0];
        snprintf(extra.name, sizeof extra.name, "%s.unused", t[0].name);
        if (nt < cap) t[nt++] = extra;
    }

    /* the image: header, padded to 8, then the data in order */
    fz_buf h = {0}, d = {0};
    fz_put(&h, "{\"__metadata__\": {\"format\": \"pt\"}", 33);
    uint64_t off = 0;
    for (int i = 0; i < nt; i++) {
        fz_tensor *e = &t[i];
        int64_t count = e->rank == 2 ? e->dims[0] * e->dims[1] : e->dims[0];
        size_t es = e->dtype ? 2 : 4;
        fz_printf(&h, ", \"%s\": {\"dtype\": \"%s\", \"shape\": [", e->name,
                  e->dtype == 1 ? "F16" : e->dtype == 2 ? "BF16" : "F32");
        for (int k = 0; k < e->rank; k++) fz_printf(&h, "%s%lld", k ? ", " : "", (long long)e->dims[k]);
        fz_printf(&h, "], \"data_offsets\": [%llu, %llu]}", (unsigned long long)off,
                  (unsigned long long)(off + (uint64_t)count * es));
        for (int64_t k = 0; k < count; k++) {
            float f = fz_float(&r, 1) * 0.5f;
            uint8_t b[4];
            if (es == 4) {
                uint32_t u;
                memcpy(&u, &f, 4);
                for (int j = 0; j < 4; j++) b[j] = (uint8_t)(u >> (8 * j));
            } else {
                uint16_t u = fz_to_half(f, e->dtype == 2);
                b[0] = (uint8_t)u, b[1] = (uint8_t)(u >> 8);
            }
            fz_put(&d, b, es);
        }
        off += (uint64_t)count * es;
    }
    fz_put(&h, "}", 1);
    while (h.n % 8) fz_put(&h, " ", 1);
    fz_buf img = {0};
    uint8_t len8[8];
    for (int j = 0; j < 8; j++) len8[j] = (uint8_t)((uint64_t)h.n >> (8 * j));
    fz_put(&img, len8, 8);
    fz_put(&img, h.p, h.n);
    if (d.n) fz_put(&img, d.p, d.n);
    if (!h.failed && !d.failed && !img.failed) {
        fm->image = img.p;
        fm->image_len = img.n;
    } else {
        free(img.p);
    }
    free(h.p);
    free(d.p);
out:
    free(specs);
    free(t);
    sq_model_destroy(m);
    cJSON_Delete(root);
    return 0;
}

static void fz_model_free(fz_model *fm)
{
    free(fm->image);
    fm->image = NULL;
}

#endif /* SEQRT_FUZZ_MODEL_H */
