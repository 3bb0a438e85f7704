/*
 * Helpers shared by the Criterion tests that build their own fixtures:
 * a temporary directory, a small safetensors writer (F32 only), weights with
 * fixed pseudo-random values for the layers of a description, and loading a
 * description held as a cJSON tree.
 *
 * Everything is static (each test executable includes this once).
 */
#ifndef SEQRT_TEST_UTIL_H
#define SEQRT_TEST_UTIL_H

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seqrt.h"

#define TU_UNUSED __attribute__((unused))

/* ------------------------------------------------------------ files */

/* Creates a fresh directory under $TMPDIR (or /tmp); `dir` gets its path. */
TU_UNUSED static int tu_mkdtemp(char *dir, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/seqrt-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes the files of `dir` (one level: fixtures write no subdirectories)
 * and the directory itself. */
TU_UNUSED static void tu_rmtree(const char *dir)
{
    if (!dir || !*dir) return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

TU_UNUSED static int tu_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = len ? fwrite(data, 1, len, f) : 0;
    int rc = fclose(f);
    return (n == len && rc == 0) ? 0 : -1;
}

/* ------------------------------------------------------------ random */

/* xorshift32: deterministic values in [-scale, scale]. */
TU_UNUSED static float tu_rand(uint32_t *state, float scale)
{
    uint32_t x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return scale * (float)((double)x / 4294967295.0 * 2.0 - 1.0);
}

/* ------------------------------------------------------------ safetensors */

/* A safetensors file being built: F32 tensors laid out in order. */
typedef struct tu_st {
    cJSON *header;
    uint8_t *data;
    size_t len, cap;
} tu_st;

TU_UNUSED static void tu_st_init(tu_st *b)
{
    memset(b, 0, sizeof *b);
    b->header = cJSON_CreateObject();
}

TU_UNUSED static void tu_st_free(tu_st *b)
{
    cJSON_Delete(b->header);
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Adds tensor `name` of `dims`; values from `vals`, or pseudo-random in
 * [-scale, scale] from *seed when `vals` is NULL. */
TU_UNUSED static void tu_st_add(tu_st *b, const char *name, int rank, const int64_t *dims,
                                const float *vals, uint32_t *seed, float scale)
{
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > ((int64_t)1 << 24)) return; /* a deliberately bad attribute */
        count *= (size_t)dims[i];
    }
    if (count > ((size_t)1 << 24)) return;
    size_t bytes = count * 4;
    if (b->len + bytes > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + bytes) cap *= 2;
        b->data = realloc(b->data, cap);
        b->cap = cap;
    }
    for (size_t i = 0; i < count; i++) {
        float v = vals ? vals[i] : tu_rand(seed, scale);
        uint32_t u;
        memcpy(&u, &v, 4);
        uint8_t *p = b->data + b->len + 4 * i;
        p[0] = (uint8_t)u, p[1] = (uint8_t)(u >> 8), p[2] = (uint8_t)(u >> 16), p[3] = (uint8_t)(u >> 24);
    }
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "dtype", "F32");
    cJSON *shape = cJSON_AddArrayToObject(e, "shape");
    for (int i = 0; i < rank; i++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)dims[i]));
    cJSON *off = cJSON_AddArrayToObject(e, "data_offsets");
    cJSON_AddItemToArray(off, cJSON_CreateNumber((double)b->len));
    cJSON_AddItemToArray(off, cJSON_CreateNumber((double)(b->len + bytes)));
    cJSON_AddItemToObject(b->header, name, e);
    b->len += bytes;
}

TU_UNUSED static void tu_st_add2(tu_st *b, const char *name, int64_t d0, int64_t d1, uint32_t *seed,
                                 float scale)
{
    int64_t d[2] = {d0, d1};
    tu_st_add(b, name, d1 > 0 ? 2 : 1, d, NULL, seed, scale);
}

/* Writes a safetensors file: 8-byte LE header length, `header` verbatim,
 * then `data_len` bytes of `data`. Used both for valid files and for
 * hand-made malformed ones (hlen_override != 0 replaces the length field). */
TU_UNUSED static int tu_write_safetensors_raw(const char *path, const char *header, uint64_t hlen_override,
                                              const void *data, size_t data_len)
{
    size_t hn = strlen(header);
    uint64_t hlen = hlen_override ? hlen_override : (uint64_t)hn;
    size_t total = 8 + hn + data_len;
    uint8_t *buf = malloc(total);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(hlen >> (8 * i));
    memcpy(buf + 8, header, hn);
    if (data_len) memcpy(buf + 8 + hn, data, data_len);
    int rc = tu_write(path, buf, total);
    free(buf);
    return rc;
}

TU_UNUSED static int tu_st_write(const tu_st *b, const char *path)
{
    char *h = cJSON_PrintUnformatted(b->header);
    int rc = tu_write_safetensors_raw(path, h, 0, b->data, b->len);
    cJSON_free(h);
    return rc;
}

/* ------------------------------------------------------------ descriptions */

static int64_t tu_attr_int(const cJSON *layer, const char *name, int64_t def)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(layer, name);
    if (!cJSON_IsNumber(j)) return def;
    /* a deliberately bad attribute (huge, negative): no weights for it */
    if (!(j->valuedouble >= 1 && j->valuedouble <= (double)(1 << 24))) return -1;
    return (int64_t)j->valuedouble;
}

static int tu_attr_bool(const cJSON *layer, const char *name, int def)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(layer, name);
    return cJSON_IsBool(j) ? cJSON_IsTrue(j) : def;
}

/* Adds the weights of every embedding / lstm / gru / rnn / linear layer of
 * `desc` (PyTorch names and shapes, no projection or peepholes). */
TU_UNUSED static void tu_weights_for(const cJSON *desc, tu_st *b, uint32_t *seed, float scale)
{
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(desc, "layers");
    const cJSON *L;
    cJSON_ArrayForEach(L, layers) {
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(L, "op");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(L, "name");
        if (!cJSON_IsString(op) || !cJSON_IsString(nm)) continue;
        const char *name = nm->valuestring;
        char w[256];
        if (!strcmp(op->valuestring, "embedding")) {
            snprintf(w, sizeof w, "%s.weight", name);
            tu_st_add2(b, w, tu_attr_int(L, "num_embeddings", 1), tu_attr_int(L, "embedding_dim", 1), seed,
                       scale);
        } else if (!strcmp(op->valuestring, "linear")) {
            int64_t in = tu_attr_int(L, "in_features", 1), out = tu_attr_int(L, "out_features", 1);
            snprintf(w, sizeof w, "%s.weight", name);
            tu_st_add2(b, w, out, in, seed, scale);
            if (tu_attr_bool(L, "bias", 1)) {
                snprintf(w, sizeof w, "%s.bias", name);
                tu_st_add2(b, w, out, 0, seed, scale);
            }
        } else if (!strcmp(op->valuestring, "lstm") || !strcmp(op->valuestring, "gru") ||
                   !strcmp(op->valuestring, "rnn")) {
            int64_t G = op->valuestring[0] == 'l' ? 4 : op->valuestring[0] == 'g' ? 3 : 1;
            int64_t H = tu_attr_int(L, "hidden_size", 1), I = tu_attr_int(L, "input_size", 1);
            int64_t NL = tu_attr_int(L, "num_layers", 1);
            int D = tu_attr_bool(L, "bidirectional", 0) ? 2 : 1;
            if (H < 1 || I < 1 || NL < 1 || NL > 64) continue;
            int bias = tu_attr_bool(L, "bias", 1);
            for (int64_t k = 0; k < NL; k++)
                for (int d = 0; d < D; d++) {
                    const char *s = d ? "_reverse" : "";
                    snprintf(w, sizeof w, "%s.weight_ih_l%lld%s", name, (long long)k, s);
                    tu_st_add2(b, w, G * H, k ? D * H : I, seed, scale);
                    snprintf(w, sizeof w, "%s.weight_hh_l%lld%s", name, (long long)k, s);
                    tu_st_add2(b, w, G * H, H, seed, scale);
                    if (bias) {
                        snprintf(w, sizeof w, "%s.bias_ih_l%lld%s", name, (long long)k, s);
                        tu_st_add2(b, w, G * H, 0, seed, scale);
                        snprintf(w, sizeof w, "%s.bias_hh_l%lld%s", name, (long long)k, s);
                        tu_st_add2(b, w, G * H, 0, seed, scale);
                    }
                }
        }
    }
}

/* Writes `dir`/`stem`.json (the description as is) and, when `weights` is
 * set, `dir`/`stem`.safetensors with the layers' weights (seeded). The
 * description's path goes to `json_path`. */
TU_UNUSED static void tu_write_model(const char *dir, const char *stem, const cJSON *desc, int weights,
                                     uint32_t seed, char *json_path, size_t n)
{
    char path[1024];
    snprintf(json_path, n, "%s/%s.json", dir, stem);
    char *text = cJSON_Print(desc);
    tu_write(json_path, text, strlen(text));
    cJSON_free(text);
    if (weights) {
        tu_st b;
        tu_st_init(&b);
        tu_weights_for(desc, &b, &seed, 0.5f);
        snprintf(path, sizeof path, "%s/%s.safetensors", dir, stem);
        tu_st_write(&b, path);
        tu_st_free(&b);
    }
}

/* Layer `name` of a description (NULL if none). */
TU_UNUSED static cJSON *tu_layer(cJSON *desc, const char *name)
{
    cJSON *L;
    cJSON_ArrayForEach(L, cJSON_GetObjectItemCaseSensitive(desc, "layers")) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(L, "name");
        if (cJSON_IsString(nm) && !strcmp(nm->valuestring, name)) return L;
    }
    return NULL;
}

/* Sets (adds or replaces) field `key` of `obj`. */
TU_UNUSED static void tu_set(cJSON *obj, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else cJSON_AddItemToObject(obj, key, value);
}

/* Parses a description literal (aborts on a typo in the test itself). */
TU_UNUSED static cJSON *tu_parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    if (!j) {
        fprintf(stderr, "test bug: bad JSON literal near: %.40s\n", cJSON_GetErrorPtr());
        abort();
    }
    return j;
}

/* For criterion tests (include <criterion/criterion.h> first): checks the
 * status and that the last error mentions every substring given;
 * SEQRT_TEST_SHOW_ERRORS=1 prints each message. */
#ifdef CRITERION_H_
static inline void tu_check_error(seqrt_status st, seqrt_status want, const char *const *subs)
{
    const char *err = seqrt_last_error();
    cr_assert_eq(st, want, "status %d (%s), expected %d (%s); error: %s", (int)st, seqrt_status_str(st),
                 (int)want, seqrt_status_str(want), err);
    cr_assert(err && *err, "no error message for status %s", seqrt_status_str(st));
    if (getenv("SEQRT_TEST_SHOW_ERRORS")) fprintf(stderr, "  [%s] %s\n", seqrt_status_str(st), err);
    for (int i = 0; subs[i]; i++)
        cr_assert(strstr(err, subs[i]), "error \"%s\" does not mention \"%s\"", err, subs[i]);
}
#define expect_error(st, want, ...) tu_check_error((st), (want), (const char *const[]){__VA_ARGS__, NULL})
#endif

#endif /* SEQRT_TEST_UTIL_H */
