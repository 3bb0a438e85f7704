/*
 * safetensors reader: 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON {name: {"dtype", "shape", "data_offsets"}, "__metadata__": {...}},
 * then the data. Every tensor is converted to its own f32 array, or, for
 * the model loader (the _forms calls), kept in the file's form: F16/BF16
 * bit patterns and I8 codes (format 1.2), as model.h's sq_weight says.
 *
 * The file is hostile: the header length, every shape and every offset are
 * checked against the file's length and for overflow before anything that
 * depends on them is allocated. All entries are validated before any tensor
 * data is allocated, and tensors may not overlap (so the f32 copies are at
 * most twice the size of the data section).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "formats.h"
#include "weight_forms.h"

/* Largest weights file sq_safetensors_load() reads. */
#define SQ_SAFETENSORS_MAX_BYTES ((uint64_t)16 << 30)
/* Largest integer a JSON number (a double) represents exactly. */
#define SQ_JSON_MAX_INT 9007199254740992.0 /* 2^53 */

enum { ST_F32, ST_F16, ST_BF16, ST_I8 };

/* What phase 1 learns about one tensor. */
typedef struct st_entry {
    const char *name; /* points into the cJSON tree */
    int dtype;
    uint64_t begin, end;
} st_entry;

/* A printable, bounded copy of a hostile string for error messages. */
static const char *st_printable(char *dst, size_t cap, const char *s)
{
    size_t j = 0, max = cap - 4;
    for (size_t i = 0; s[i]; i++) {
        if (j >= max) {
            memcpy(dst + j, "...", 3);
            j += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        dst[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[j] = '\0';
    return dst;
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
 * Returns the offset of the first bad byte, or `len` if all is well. */
static size_t st_utf8_check(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; min = 0x10000; }
        else return i;
        if (len - i <= n) return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += n + 1;
    }
    return len;
}

/* A JSON number that is an integer in [0, 2^53]. */
static bool st_json_uint(const cJSON *j, uint64_t *out)
{
    if (!cJSON_IsNumber(j)) return false;
    double v = j->valuedouble;
    if (!isfinite(v) || v < 0 || v > SQ_JSON_MAX_INT || v != floor(v)) return false;
    *out = (uint64_t)v;
    return true;
}

static void st_convert(float *dst, const uint8_t *src, int64_t count, int dtype)
{
    switch (dtype) {
    case ST_F32:
        for (int64_t i = 0; i < count; i++, src += 4) {
            uint32_t b = (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 |
                         (uint32_t)src[3] << 24;
            memcpy(&dst[i], &b, sizeof b);
        }
        break;
    case ST_F16:
        for (int64_t i = 0; i < count; i++, src += 2)
            dst[i] = sq_f16_to_f32((uint16_t)(src[0] | src[1] << 8));
        break;
    default: /* ST_BF16: the upper half of an f32 */
        for (int64_t i = 0; i < count; i++, src += 2) dst[i] = sq_bf16_to_f32((uint16_t)(src[0] | src[1] << 8));
        break;
    }
}

static const char *st_dtype_name(int dtype)
{
    return dtype == ST_F32 ? "F32" : dtype == ST_F16 ? "F16" : dtype == ST_BF16 ? "BF16" : "I8";
}

static unsigned st_dtype_bytes(int dtype) { return dtype == ST_F32 ? 4u : dtype == ST_I8 ? 1u : 2u; }

static void st_shape_str(char *dst, size_t cap, int rank, const int64_t *dims)
{
    size_t j = 0;
    j += (size_t)snprintf(dst, cap, "[");
    for (int i = 0; i < rank && j < cap; i++)
        j += (size_t)snprintf(dst + j, cap - j, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (j < cap) snprintf(dst + j, cap - j, "]");
}

static int st_cmp_name(const void *a, const void *b)
{
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    return strcmp(x->name, y->name);
}

static int st_cmp_offset(const void *a, const void *b)
{
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* Validates one tensor entry (phase 1): fills e and the rank/dims/count of w. */
static seqrt_status st_check_entry(const cJSON *item, const char *what, uint64_t data_len,
                                   st_entry *e, sq_weight *w, bool keep_forms)
{
    char nm[160];
    st_printable(nm, sizeof nm, item->string);
    e->name = item->string;
    if (!cJSON_IsObject(item))
        return sq_error(SEQRT_ERR_PARSE, "%s: tensor '%s': entry is not a JSON object", what, nm);

    const cJSON *jd = NULL, *js = NULL, *jo = NULL;
    for (const cJSON *f = item->child; f; f = f->next) {
        const cJSON **slot = !strcmp(f->string, "dtype")          ? &jd
                             : !strcmp(f->string, "shape")        ? &js
                             : !strcmp(f->string, "data_offsets") ? &jo
                                                                  : NULL;
        if (!slot) continue; /* unknown fields are ignored */
        if (*slot)
            return sq_error(SEQRT_ERR_PARSE, "%s: tensor '%s': duplicate field \"%s\"", what, nm,
                            f->string);
        *slot = f;
    }

    /* dtype */
    if (!jd)
        return sq_error(SEQRT_ERR_PARSE, "%s: tensor '%s': missing field \"dtype\"", what, nm);
    if (!cJSON_IsString(jd))
        return sq_error(SEQRT_ERR_PARSE, "%s: tensor '%s': \"dtype\" is not a string", what, nm);
    if (!strcmp(jd->valuestring, "F32")) e->dtype = ST_F32;
    else if (!strcmp(jd->valuestring, "F16")) e->dtype = ST_F16;
    else if (!strcmp(jd->valuestring, "BF16")) e->dtype = ST_BF16;
    else if (keep_forms && !strcmp(jd->valuestring, "I8")) e->dtype = ST_I8;
    else {
        char dt[64];
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: tensor '%s': dtype '%s' is not supported (use F32, F16%s BF16%s)",
                        what, nm, st_printable(dt, sizeof dt, jd->valuestring), keep_forms ? "," : " or",
                        keep_forms ? " or I8 (format 1.2)" : "");
    }

    /* shape */
    if (!js)
        return sq_error(SEQRT_ERR_PARSE, "%s: tensor '%s': missing field \"shape\"", what, nm);
    if (!cJSON_IsArray(js))
        return sq_error(SEQRT_ERR_PARSE, "%s: tensor '%s': \"shape\" is not a list", what, nm);
    int rank = cJSON_GetArraySize(js);
    if (rank > SEQRT_MAX_RANK)
        return sq_error(SEQRT_ERR_LIMIT, "%s: tensor '%s': shape has rank %d, more than %d", what,
                        nm, rank, SEQRT_MAX_RANK);
    int k = 0;
    for (const cJSON *d = js->child; d; d = d->next, k++) {
        uint64_t v;
        if (!st_json_uint(d, &v))
            return sq_error(SEQRT_ERR_PARSE,
                            "%s: tensor '%s': shape[%d] is not a non-negative integer up to 2^53",
                            what, nm, k);
        w->dims[k] = (int64_t)v;
    }
    w->rank = rank;
    if (!sq_dims_count(rank, w->dims, &w->count)) {
        char sh[160];
        st_shape_str(sh, sizeof sh, rank, w->dims);
        return sq_error(SEQRT_ERR_LIMIT,
                        "%s: tensor '%s': shape %s has more than %lld elements", what, nm, sh,
                        (long long)SQ_MAX_ELEMENTS);
    }

    /* data_offsets */
    if (!jo)
        return sq_error(SEQRT_ERR_PARSE, "%s: tensor '%s': missing field \"data_offsets\"", what,
                        nm);
    if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2 || !st_json_uint(jo->child, &e->begin) ||
        !st_json_uint(jo->child->next, &e->end))
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: tensor '%s': \"data_offsets\" is not a list of two non-negative "
                        "integers",
                        what, nm);
    if (e->begin > e->end)
        return sq_error(SEQRT_ERR_PARSE, "%s: tensor '%s': data_offsets [%llu, %llu] begin after end",
                        what, nm, (unsigned long long)e->begin, (unsigned long long)e->end);
    if (e->end > data_len)
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: tensor '%s': data_offsets [%llu, %llu] end past the data (%llu bytes)",
                        what, nm, (unsigned long long)e->begin, (unsigned long long)e->end,
                        (unsigned long long)data_len);
    uint64_t need = (uint64_t)w->count * st_dtype_bytes(e->dtype); /* count <= 2^34 */
    if (e->end - e->begin != need) {
        char sh[160];
        st_shape_str(sh, sizeof sh, rank, w->dims);
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, but shape %s "
                        "of %s needs %llu",
                        what, nm, (unsigned long long)e->begin, (unsigned long long)e->end,
                        (unsigned long long)(e->end - e->begin), sh, st_dtype_name(e->dtype),
                        (unsigned long long)need);
    }
    return SEQRT_OK;
}

static seqrt_status st_check_metadata(const cJSON *m, const char *what)
{
    if (!cJSON_IsObject(m))
        return sq_error(SEQRT_ERR_PARSE, "%s: \"__metadata__\" is not a JSON object", what);
    for (const cJSON *f = m->child; f; f = f->next) {
        if (!cJSON_IsString(f)) {
            char k[160];
            return sq_error(SEQRT_ERR_PARSE, "%s: \"__metadata__\" entry '%s' is not a string",
                            what, st_printable(k, sizeof k, f->string));
        }
    }
    return SEQRT_OK;
}

void sq_weights_free(sq_weight *w, int count)
{
    if (!w) return;
    for (int i = 0; i < count; i++) {
        sq_free(w[i].name);
        sq_free(w[i].data);
        sq_free(w[i].half);
        sq_free(w[i].q);
        sq_free(w[i].scale);
    }
    sq_free(w);
}

/* Phase 2 for one tensor: its f32 copy, or (keep_forms) a copy in the
 * file's own form (F16/BF16 bits, I8 codes). False: out of memory. */
static bool st_fill(sq_weight *w, const uint8_t *src, int dtype, bool keep_forms)
{
    size_t n = (size_t)w->count;
    if (dtype == ST_I8) {
        w->form = SQ_WF_I8;
        if (!(w->q = sq_malloc(n ? n : 1))) return false;
        memcpy(w->q, src, n);
        return true;
    }
    if (keep_forms && dtype != ST_F32) {
        w->form = dtype == ST_F16 ? SQ_WF_F16 : SQ_WF_BF16;
        if (!(w->half = sq_malloc((n ? n : 1) * sizeof *w->half))) return false;
        for (size_t i = 0; i < n; i++) w->half[i] = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
        return true;
    }
    w->form = SQ_WF_F32;
    if (!(w->data = sq_malloc((n ? n : 1) * sizeof(float)))) return false;
    st_convert(w->data, src, w->count, dtype);
    return true;
}

static seqrt_status st_parse(const uint8_t *buf, size_t len, const char *what, sq_weight **out, int *count,
                             bool keep_forms);

seqrt_status sq_safetensors_parse(const uint8_t *buf, size_t len, const char *what,
                                  sq_weight **out, int *count)
{
    return st_parse(buf, len, what, out, count, false);
}

seqrt_status sq_safetensors_parse_forms(const uint8_t *buf, size_t len, const char *what, sq_weight **out,
                                        int *count)
{
    return st_parse(buf, len, what, out, count, true);
}

static seqrt_status st_parse(const uint8_t *buf, size_t len, const char *what, sq_weight **out, int *count,
                             bool keep_forms)
{
    if (!out || !count || (!buf && len))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "sq_safetensors_parse: NULL argument");
    *out = NULL;
    *count = 0;
    if (!what) what = "safetensors";

    if (len < 8)
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: too short for a safetensors file (%zu bytes; the header length "
                        "alone takes 8)",
                        what, len);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | buf[i];
    if (hlen > (uint64_t)(len - 8))
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: header length %llu is past the end of the file (%zu bytes)", what,
                        (unsigned long long)hlen, len);
    if (hlen == 0) return sq_error(SEQRT_ERR_PARSE, "%s: header length is 0", what);
    size_t hn = (size_t)hlen;
    const uint8_t *hdr = buf + 8;
    const uint8_t *data = hdr + hn;
    uint64_t data_len = (uint64_t)(len - 8 - hn);

    const uint8_t *nul = memchr(hdr, 0, hn);
    if (nul)
        return sq_error(SEQRT_ERR_PARSE, "%s: header has a NUL byte at offset %zu", what,
                        (size_t)(nul - hdr) + 8);
    size_t bad = st_utf8_check(hdr, hn);
    if (bad != hn)
        return sq_error(SEQRT_ERR_PARSE, "%s: header is not valid UTF-8 (at byte %zu)", what,
                        bad + 8);

    /* cJSON gets its own NUL-terminated copy, so it can never read past it. */
    char *text = sq_malloc(hn + 1);
    if (!text)
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "%s: out of memory for a %zu-byte header", what,
                        hn);
    memcpy(text, hdr, hn);
    text[hn] = '\0';

    seqrt_status st = SEQRT_OK;
    st_entry *ents = NULL;
    st_entry **order = NULL;
    sq_weight *w = NULL;
    int n = 0;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, hn, &end, 0);
    if (!root) {
        size_t at = (end && end >= text && end <= text + hn) ? (size_t)(end - text) : 0;
        st = sq_error(SEQRT_ERR_PARSE, "%s: header is not valid JSON (near byte %zu)", what,
                      at + 8);
        goto done;
    }
    for (const char *p = end; p && p < text + hn; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            st = sq_error(SEQRT_ERR_PARSE, "%s: header has data after its JSON object (at byte %zu)",
                          what, (size_t)(p - text) + 8);
            goto done;
        }
    }
    if (!cJSON_IsObject(root)) {
        st = sq_error(SEQRT_ERR_PARSE, "%s: header is not a JSON object", what);
        goto done;
    }

    /* Phase 1: validate every entry; nothing big is allocated yet. */
    int total = 0;
    bool have_meta = false;
    for (const cJSON *c = root->child; c; c = c->next) {
        if (!strcmp(c->string, "__metadata__")) {
            if (have_meta) {
                st = sq_error(SEQRT_ERR_PARSE, "%s: duplicate \"__metadata__\"", what);
                goto done;
            }
            have_meta = true;
            if ((st = st_check_metadata(c, what)) != SEQRT_OK) goto done;
        } else {
            if (total == INT32_MAX) {
                st = sq_error(SEQRT_ERR_LIMIT, "%s: too many tensors", what);
                goto done;
            }
            total++;
        }
    }
    if (total == 0) goto done; /* a file with no tensors is valid */

    ents = sq_calloc((size_t)total, sizeof *ents);
    order = sq_calloc((size_t)total, sizeof *order);
    w = sq_calloc((size_t)total, sizeof *w);
    if (!ents || !order || !w) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "%s: out of memory for %d tensor entries", what,
                      total);
        goto done;
    }
    int i = 0;
    for (const cJSON *c = root->child; c; c = c->next) {
        if (!strcmp(c->string, "__metadata__")) continue;
        if ((st = st_check_entry(c, what, data_len, &ents[i], &w[i], keep_forms)) != SEQRT_OK) goto done;
        order[i] = &ents[i];
        i++;
    }

    /* Unique names. */
    qsort(order, (size_t)total, sizeof *order, st_cmp_name);
    for (i = 1; i < total; i++) {
        if (!strcmp(order[i - 1]->name, order[i]->name)) {
            char nm[160];
            st = sq_error(SEQRT_ERR_PARSE, "%s: duplicate tensor '%s'", what,
                          st_printable(nm, sizeof nm, order[i]->name));
            goto done;
        }
    }
    /* No two non-empty tensors share bytes. */
    qsort(order, (size_t)total, sizeof *order, st_cmp_offset);
    const st_entry *prev = NULL;
    for (i = 0; i < total; i++) {
        const st_entry *e = order[i];
        if (e->begin == e->end) continue;
        if (prev && e->begin < prev->end) {
            char a[160], b[160];
            st = sq_error(SEQRT_ERR_PARSE,
                          "%s: tensor '%s': data_offsets [%llu, %llu] overlap tensor '%s' "
                          "[%llu, %llu]",
                          what, st_printable(a, sizeof a, e->name), (unsigned long long)e->begin,
                          (unsigned long long)e->end, st_printable(b, sizeof b, prev->name),
                          (unsigned long long)prev->begin, (unsigned long long)prev->end);
            goto done;
        }
        if (!prev || e->end > prev->end) prev = e;
    }

    /* Phase 2: names and data (f32, or the file's form). */
    for (n = 0; n < total; n++) {
        w[n].name = sq_strdup(ents[n].name);
        w[n].used = false;
        bool filled = st_fill(&w[n], data + ents[n].begin, ents[n].dtype, keep_forms);
        if (!w[n].name || !filled) {
            n++;
            char nm[160];
            st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "%s: tensor '%s': out of memory for %lld floats",
                          what, st_printable(nm, sizeof nm, ents[n - 1].name),
                          (long long)w[n - 1].count);
            goto done;
        }
    }
    *out = w;
    *count = total;
    w = NULL;

done:
    sq_weights_free(w, n);
    sq_free(order);
    sq_free(ents);
    cJSON_Delete(root);
    sq_free(text);
    return st;
}

static seqrt_status st_load(const char *path, sq_weight **out, int *count, bool keep_forms)
{
    if (!path || !out || !count)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "sq_safetensors_load: NULL argument");
    *out = NULL;
    *count = 0;
    uint8_t *buf;
    size_t len;
    seqrt_status st = sq_read_file(path, SQ_SAFETENSORS_MAX_BYTES, &buf, &len);
    if (st != SEQRT_OK) return st;
    st = st_parse(buf, len, path, out, count, keep_forms);
    sq_free(buf);
    return st;
}

seqrt_status sq_safetensors_load(const char *path, sq_weight **out, int *count)
{
    return st_load(path, out, count, false);
}

seqrt_status sq_safetensors_load_forms(const char *path, sq_weight **out, int *count)
{
    return st_load(path, out, count, true);
}
