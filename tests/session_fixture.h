/*
 * The fixture shared by test_session.c (streaming, caller-owned buffers)
 * and test_api.c (registry, status strings, version, misuse, threads): a
 * fresh temporary directory per test, a recurrent model built as a cJSON
 * description with fixed pseudo-random weights, runs on the reference
 * device (whole or in chunks) and comparison of their outputs.
 *
 * Everything is static (each test executable includes this once).
 */
#ifndef SEQRT_SESSION_FIXTURE_H
#define SEQRT_SESSION_FIXTURE_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqrt.h"
#include "test_util.h"

#define V 12   /* vocabulary */
#define E 6    /* embedding */
#define H 8    /* hidden */
#define NL 2   /* recurrent layers */
#define T_ALL 20
#define B_ALL 3

static char g_dir[512];

TU_UNUSED static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0, "mkdtemp failed"); }
TU_UNUSED static void teardown(void) { tu_rmtree(g_dir); }

/* ------------------------------------------------------------ helpers */

#define OK(call)                                                                                  \
    do {                                                                                          \
        seqrt_status st_ = (call);                                                                \
        cr_assert_eq(st_, SEQRT_OK, "%s: %s (%s)", #call, seqrt_status_str(st_), seqrt_last_error()); \
    } while (0)

/* embedding -> op (2 layers; "lstm", "gru" or "rnn") -> linear -> log_softmax.
 * with_state: h0 (and c0 for lstm) are model inputs. Extra options:
 * bidirectional, lengths. */
typedef struct model_opts {
    const char *op;
    int with_state;
    int bidirectional;
    int lengths;
    int mean_pool;
    int batch_first;
} model_opts;

TU_UNUSED static cJSON *recurrent_desc(model_opts o)
{
    int lstm = !strcmp(o.op, "lstm");
    int D = o.bidirectional ? 2 : 1;
    cJSON *d = tu_parse("{\"format\": \"seqrt\", \"version\": 1, \"name\": \"stream\"}");
    if (o.batch_first) cJSON_AddTrueToObject(d, "batch_first");
    cJSON *inputs = cJSON_AddArrayToObject(d, "inputs");
    cJSON_AddItemToArray(inputs, tu_parse(o.batch_first
                                              ? "{\"name\": \"tokens\", \"dtype\": \"int32\", \"shape\": [\"B\", \"T\"]}"
                                              : "{\"name\": \"tokens\", \"dtype\": \"int32\", \"shape\": [\"T\", \"B\"]}"));
    char buf[512];
    if (o.with_state) {
        snprintf(buf, sizeof buf, "{\"name\": \"h0\", \"dtype\": \"float32\", \"shape\": [%d, \"B\", %d]}", NL * D, H);
        cJSON_AddItemToArray(inputs, tu_parse(buf));
        if (lstm) {
            snprintf(buf, sizeof buf, "{\"name\": \"c0\", \"dtype\": \"float32\", \"shape\": [%d, \"B\", %d]}", NL * D,
                     H);
            cJSON_AddItemToArray(inputs, tu_parse(buf));
        }
    }
    if (o.lengths)
        cJSON_AddItemToArray(inputs, tu_parse("{\"name\": \"lengths\", \"dtype\": \"int32\", \"shape\": [\"B\"]}"));
    cJSON *layers = cJSON_AddArrayToObject(d, "layers");
    snprintf(buf, sizeof buf,
             "{\"op\": \"embedding\", \"name\": \"embed\", \"inputs\": {\"x\": \"tokens\"},"
             " \"num_embeddings\": %d, \"embedding_dim\": %d}",
             V, E);
    cJSON_AddItemToArray(layers, tu_parse(buf));
    snprintf(buf, sizeof buf,
             "{\"op\": \"%s\", \"name\": \"rnn\", \"inputs\": {\"x\": \"embed\"},"
             " \"input_size\": %d, \"hidden_size\": %d, \"num_layers\": %d, \"bidirectional\": %s}",
             o.op, E, H, NL, o.bidirectional ? "true" : "false");
    cJSON *rnn = tu_parse(buf);
    cJSON *rin = cJSON_GetObjectItemCaseSensitive(rnn, "inputs");
    if (o.with_state) {
        cJSON_AddStringToObject(rin, "h0", "h0");
        if (lstm) cJSON_AddStringToObject(rin, "c0", "c0");
    }
    if (o.lengths) cJSON_AddStringToObject(rin, "lengths", "lengths");
    cJSON_AddItemToArray(layers, rnn);
    snprintf(buf, sizeof buf,
             "{\"op\": \"linear\", \"name\": \"fc\", \"inputs\": {\"x\": \"rnn\"},"
             " \"in_features\": %d, \"out_features\": %d}",
             D * H, V);
    cJSON_AddItemToArray(layers, tu_parse(buf));
    cJSON_AddItemToArray(layers,
                         tu_parse("{\"op\": \"log_softmax\", \"name\": \"logp\", \"inputs\": {\"x\": \"fc\"}}"));
    cJSON *outputs = cJSON_AddArrayToObject(d, "outputs");
    cJSON_AddItemToArray(outputs, cJSON_CreateString("logp"));
    if (o.mean_pool) {
        cJSON_AddItemToArray(layers,
                             tu_parse("{\"op\": \"mean_pool\", \"name\": \"pool\", \"inputs\": {\"x\": \"fc\"}}"));
        cJSON_AddItemToArray(outputs, cJSON_CreateString("pool"));
    }
    cJSON_AddItemToArray(outputs, cJSON_CreateString("rnn:h_n"));
    if (lstm) cJSON_AddItemToArray(outputs, cJSON_CreateString("rnn:c_n"));
    return d;
}

/* Writes and loads a model; weights seeded by `seed`. */
TU_UNUSED static seqrt_model *load_model(cJSON *desc, uint32_t seed)
{
    char path[1024];
    tu_write_model(g_dir, "model", desc, 1, seed, path, sizeof path);
    cJSON_Delete(desc);
    seqrt_model *m = NULL;
    OK(seqrt_model_load(&m, path, NULL));
    cr_assert_eq(seqrt_model_warning_count(m), 0, "warning: %s", seqrt_model_warning(m, 0));
    return m;
}

TU_UNUSED static const seqrt_device *reference(void)
{
    const seqrt_device *dev = NULL;
    OK(seqrt_device_find(&dev, "reference"));
    return dev;
}

TU_UNUSED static void fill_ids(int32_t *ids, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        float r = tu_rand(&seed, 1.0f);
        ids[i] = (int32_t)((r + 1.0f) * 0.5f * (V - 1) + 0.5f);
        if (ids[i] < 0) ids[i] = 0;
        if (ids[i] >= V) ids[i] = V - 1;
    }
}

/* Every output of a run, concatenated along time for sequences. */
typedef struct outs {
    int n;
    float *data[8];
    size_t count[8];
} outs;

TU_UNUSED static void outs_free(outs *o)
{
    for (int i = 0; i < o->n; i++) free(o->data[i]);
    memset(o, 0, sizeof *o);
}

/* Expected element count of output `o` of the whole run. */
TU_UNUSED static void outs_alloc(outs *r, const seqrt_model *m, seqrt_session *s)
{
    r->n = (int)seqrt_model_output_count(m);
    for (int o = 0; o < r->n; o++) {
        const seqrt_tensor *t;
        OK(seqrt_session_output(s, (size_t)o, &t));
        r->count[o] = seqrt_tensor_count(t);
        r->data[o] = calloc(r->count[o], sizeof(float));
    }
}

/* Runs `ids` ([T, B], or [B, T] when the model is batch_first; plus the
 * state inputs `extra`) in chunks of `chunk` steps through session `s`,
 * filling `r` with the outputs concatenated along their time axis.
 * chunk == T: one run. */
TU_UNUSED static void run_chunked(seqrt_session *s, const seqrt_model *m, int32_t *ids, int T, int B, int chunk,
                        seqrt_tensor *const *extra, int nextra, outs *r)
{
    size_t nin = seqrt_model_input_count(m);
    cr_assert_eq(nin, (size_t)(1 + nextra));
    int tin = seqrt_model_input_time_axis(m, 0);
    cr_assert(tin == 0 || tin == 1, "tokens: time axis %d", tin);
    for (int i = 1; i < (int)nin; i++) cr_assert_eq(seqrt_model_input_time_axis(m, (size_t)i), -1);
    int first = 1;
    int32_t *slice = malloc((size_t)T * (size_t)B * sizeof(int32_t));
    for (int t0 = 0; t0 < T; t0 += chunk) {
        int len = T - t0 < chunk ? T - t0 : chunk;
        seqrt_tensor *x;
        if (tin == 0) {
            OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){len, B}, ids + (size_t)t0 * B));
        } else { /* [B, T]: the chunk is not contiguous */
            for (int b = 0; b < B; b++)
                memcpy(slice + (size_t)b * len, ids + (size_t)b * T + t0, (size_t)len * sizeof(int32_t));
            OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){B, len}, slice));
        }
        const seqrt_tensor *in[4] = {x};
        for (int i = 0; i < nextra; i++) in[1 + i] = extra[i];
        seqrt_status st = seqrt_session_run(s, in, nin);
        seqrt_tensor_free(x);
        cr_assert_eq(st, SEQRT_OK, "chunk at t=%d: %s", t0, seqrt_last_error());
        if (first) {
            /* sizes of the whole run: sequences scale with T */
            r->n = (int)seqrt_model_output_count(m);
            for (int o = 0; o < r->n; o++) {
                const seqrt_tensor *t;
                OK(seqrt_session_output(s, (size_t)o, &t));
                size_t c = seqrt_tensor_count(t);
                int ta = seqrt_model_output_time_axis(m, (size_t)o);
                if (ta >= 0) {
                    cr_assert_eq(ta, tin, "output %d has time axis %d, the input %d", o, ta, tin);
                    cr_assert_eq(seqrt_tensor_dim(t, ta), len);
                    c = c / (size_t)len * (size_t)T;
                }
                r->count[o] = c;
                r->data[o] = calloc(c, sizeof(float));
            }
            first = 0;
        }
        for (int o = 0; o < r->n; o++) {
            const seqrt_tensor *t;
            OK(seqrt_session_output(s, (size_t)o, &t));
            size_t c = seqrt_tensor_count(t);
            int ta = seqrt_model_output_time_axis(m, (size_t)o);
            if (ta == 0) {
                cr_assert_eq(seqrt_tensor_dim(t, 0), len);
                size_t per_step = c / (size_t)len;
                memcpy(r->data[o] + (size_t)t0 * per_step, seqrt_tensor_data(t), c * sizeof(float));
            } else if (ta == 1) { /* [B, len, F] into [B, T, F] */
                cr_assert_eq(seqrt_tensor_dim(t, 0), B);
                cr_assert_eq(seqrt_tensor_dim(t, 1), len);
                size_t F = c / ((size_t)B * (size_t)len);
                const float *src = seqrt_tensor_data(t);
                for (int b = 0; b < B; b++)
                    memcpy(r->data[o] + ((size_t)b * T + t0) * F, src + (size_t)b * len * F,
                           (size_t)len * F * sizeof(float));
            } else {
                cr_assert_eq(c, r->count[o]);
                memcpy(r->data[o], seqrt_tensor_data(t), c * sizeof(float));
            }
        }
    }
    free(slice);
}

TU_UNUSED static void expect_close(const outs *got, const outs *want, const seqrt_model *m, double atol, double rtol,
                         const char *what)
{
    cr_assert_eq(got->n, want->n);
    for (int o = 0; o < want->n; o++) {
        cr_assert_eq(got->count[o], want->count[o], "%s: output %s has %zu elements, expected %zu", what,
                     seqrt_model_output_name(m, (size_t)o), got->count[o], want->count[o]);
        for (size_t i = 0; i < want->count[o]; i++) {
            double a = got->data[o][i], b = want->data[o][i];
            cr_assert(isfinite(a) && fabs(a - b) <= atol + rtol * fabs(b),
                      "%s: output '%s'[%zu] = %.9g, whole run %.9g", what, seqrt_model_output_name(m, (size_t)o), i,
                      a, b);
        }
    }
}

TU_UNUSED static void expect_identical(const outs *got, const outs *want, const seqrt_model *m, const char *what)
{
    cr_assert_eq(got->n, want->n);
    for (int o = 0; o < want->n; o++) {
        cr_assert_eq(got->count[o], want->count[o]);
        cr_assert(!memcmp(got->data[o], want->data[o], want->count[o] * sizeof(float)), "%s: output '%s' differs",
                  what, seqrt_model_output_name(m, (size_t)o));
    }
}

TU_UNUSED static int outs_differ(const outs *a, const outs *b)
{
    for (int o = 0; o < a->n; o++)
        if (memcmp(a->data[o], b->data[o], a->count[o] * sizeof(float))) return 1;
    return 0;
}


#endif /* SEQRT_SESSION_FIXTURE_H */
