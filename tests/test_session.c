/*
 * Sessions: streaming (chunked runs equal the whole run), caller-owned
 * input and output buffers, the backend registry and SEQRT_BACKEND, status
 * strings and the version, API misuse, and one model shared by threads.
 *
 * Models are built by the tests (descriptions as cJSON, weights with fixed
 * pseudo-random values) in a fresh temporary directory, and run on the
 * reference device.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
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

static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0, "mkdtemp failed"); }
static void teardown(void) { tu_rmtree(g_dir); }

TestSuite(streaming, .init = setup, .fini = teardown);
TestSuite(buffers, .init = setup, .fini = teardown);
TestSuite(registry);
TestSuite(api, .init = setup, .fini = teardown);
TestSuite(threads, .init = setup, .fini = teardown);

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

static cJSON *recurrent_desc(model_opts o)
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
static seqrt_model *load_model(cJSON *desc, uint32_t seed)
{
    char path[1024];
    tu_write_model(g_dir, "model", desc, 1, seed, path, sizeof path);
    cJSON_Delete(desc);
    seqrt_model *m = NULL;
    OK(seqrt_model_load(&m, path, NULL));
    cr_assert_eq(seqrt_model_warning_count(m), 0, "warning: %s", seqrt_model_warning(m, 0));
    return m;
}

static const seqrt_device *reference(void)
{
    const seqrt_device *dev = NULL;
    OK(seqrt_device_find(&dev, "reference"));
    return dev;
}

static void fill_ids(int32_t *ids, size_t n, uint32_t seed)
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

static void outs_free(outs *o)
{
    for (int i = 0; i < o->n; i++) free(o->data[i]);
    memset(o, 0, sizeof *o);
}

/* Expected element count of output `o` of the whole run. */
static void outs_alloc(outs *r, const seqrt_model *m, seqrt_session *s)
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
static void run_chunked(seqrt_session *s, const seqrt_model *m, int32_t *ids, int T, int B, int chunk,
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

static void expect_close(const outs *got, const outs *want, const seqrt_model *m, double atol, double rtol,
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

static void expect_identical(const outs *got, const outs *want, const seqrt_model *m, const char *what)
{
    cr_assert_eq(got->n, want->n);
    for (int o = 0; o < want->n; o++) {
        cr_assert_eq(got->count[o], want->count[o]);
        cr_assert(!memcmp(got->data[o], want->data[o], want->count[o] * sizeof(float)), "%s: output '%s' differs",
                  what, seqrt_model_output_name(m, (size_t)o));
    }
}

static int outs_differ(const outs *a, const outs *b)
{
    for (int o = 0; o < a->n; o++)
        if (memcmp(a->data[o], b->data[o], a->count[o] * sizeof(float))) return 1;
    return 0;
}

/* ------------------------------------------------------------ streaming */

static void streaming_case(model_opts mo)
{
    seqrt_model *m = load_model(recurrent_desc(mo), 4242);
    cr_assert(seqrt_model_streamable(m, NULL, 0));
    int lstm = !strcmp(mo.op, "lstm");
    int32_t ids[T_ALL * B_ALL];
    fill_ids(ids, T_ALL * B_ALL, 99);
    /* initial states, when wired: non-zero so that they matter */
    seqrt_tensor *extra[2] = {NULL, NULL};
    int nextra = 0;
    if (mo.with_state) {
        uint32_t seed = 31;
        for (int k = 0; k < (lstm ? 2 : 1); k++) {
            OK(seqrt_tensor_create(&extra[k], SEQRT_F32, 3, (int64_t[]){NL, B_ALL, H}));
            float *p = seqrt_tensor_data(extra[k]);
            for (size_t i = 0; i < seqrt_tensor_count(extra[k]); i++) p[i] = tu_rand(&seed, 0.8f);
            nextra++;
        }
    }
    const seqrt_device *dev = reference();

    /* the whole sequence, plain session */
    seqrt_session *plain;
    OK(seqrt_session_create(&plain, m, dev, NULL));
    outs whole = {0};
    run_chunked(plain, m, ids, T_ALL, B_ALL, T_ALL, extra, nextra, &whole);
    cr_assert_eq(whole.n, lstm ? 3 : 2);
    seqrt_session_free(plain);

    seqrt_session_options so = {.streaming = 1};
    seqrt_session *s;
    /* chunks of 1 */
    OK(seqrt_session_create(&s, m, dev, &so));
    outs c1 = {0};
    run_chunked(s, m, ids, T_ALL, B_ALL, 1, extra, nextra, &c1);
    expect_close(&c1, &whole, m, 1e-5, 1e-4, "chunks of 1");
    seqrt_session_free(s);

    /* chunks of 7 (7 + 7 + 6) */
    OK(seqrt_session_create(&s, m, dev, &so));
    outs c7 = {0};
    run_chunked(s, m, ids, T_ALL, B_ALL, 7, extra, nextra, &c7);
    expect_close(&c7, &whole, m, 1e-5, 1e-4, "chunks of 7");

    /* without a reset the state carries on: the same pass again differs */
    outs again = {0};
    run_chunked(s, m, ids, T_ALL, B_ALL, 7, extra, nextra, &again);
    cr_assert(outs_differ(&again, &c7), "a second pass without reset repeated the first: state is not carried");

    /* after a reset: exactly the first chunked pass */
    OK(seqrt_session_reset(s));
    outs after = {0};
    run_chunked(s, m, ids, T_ALL, B_ALL, 7, extra, nextra, &after);
    expect_identical(&after, &c7, m, "after reset");
    seqrt_session_free(s);

    outs_free(&whole);
    outs_free(&c1);
    outs_free(&c7);
    outs_free(&again);
    outs_free(&after);
    for (int k = 0; k < 2; k++) seqrt_tensor_free(extra[k]);
    seqrt_model_free(m);
}

Test(streaming, lstm_chunks_match_whole_run) { streaming_case((model_opts){.op = "lstm"}); }
Test(streaming, gru_chunks_match_whole_run) { streaming_case((model_opts){.op = "gru"}); }
Test(streaming, rnn_chunks_match_whole_run) { streaming_case((model_opts){.op = "rnn"}); }
Test(streaming, lstm_with_h0_c0_inputs) { streaming_case((model_opts){.op = "lstm", .with_state = 1}); }
Test(streaming, gru_with_h0_input) { streaming_case((model_opts){.op = "gru", .with_state = 1}); }
Test(streaming, lstm_batch_first) { streaming_case((model_opts){.op = "lstm", .with_state = 1, .batch_first = 1}); }

Test(streaming, bidirectional_unsupported)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm", .bidirectional = 1}), 1);
    char why[256];
    cr_assert_eq(seqrt_model_streamable(m, why, sizeof why), 0);
    cr_assert(strstr(why, "'rnn'"), "why: %s", why);
    seqrt_session_options so = {.streaming = 1};
    seqrt_session *s = (seqrt_session *)(uintptr_t)0x1;
    expect_error(seqrt_session_create(&s, m, reference(), &so), SEQRT_ERR_UNSUPPORTED, "layer 'rnn'",
                 "bidirectional");
    cr_assert_null(s);
    /* the same model runs in a plain session */
    OK(seqrt_session_create(&s, m, reference(), NULL));
    seqrt_session_free(s);
    seqrt_model_free(m);
}

Test(streaming, lengths_unsupported)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "gru", .lengths = 1}), 1);
    seqrt_session_options so = {.streaming = 1};
    seqrt_session *s = (seqrt_session *)(uintptr_t)0x1;
    expect_error(seqrt_session_create(&s, m, reference(), &so), SEQRT_ERR_UNSUPPORTED, "layer 'rnn'", "lengths");
    cr_assert_null(s);
    seqrt_model_free(m);
}

Test(streaming, whole_sequence_op_unsupported)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm", .mean_pool = 1}), 1);
    seqrt_session_options so = {.streaming = 1};
    seqrt_session *s = NULL;
    expect_error(seqrt_session_create(&s, m, reference(), &so), SEQRT_ERR_UNSUPPORTED, "layer 'pool'",
                 "mean_pool");
    cr_assert_null(s);
    seqrt_model_free(m);
}

Test(streaming, batch_change_without_reset)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 5);
    seqrt_session_options so = {.streaming = 1};
    seqrt_session *s;
    OK(seqrt_session_create(&s, m, reference(), &so));
    int32_t ids[4 * 3];
    fill_ids(ids, 12, 3);
    seqrt_tensor *x3, *x2;
    OK(seqrt_tensor_wrap(&x3, SEQRT_I32, 2, (int64_t[]){4, 3}, ids));
    OK(seqrt_tensor_wrap(&x2, SEQRT_I32, 2, (int64_t[]){4, 2}, ids));
    const seqrt_tensor *in3[1] = {x3}, *in2[1] = {x2};
    OK(seqrt_session_run(s, in3, 1));
    expect_error(seqrt_session_run(s, in2, 1), SEQRT_ERR_SHAPE, "batch size 2", "3", "reset");
    /* the failed run did not disturb the carried state: batch 3 goes on */
    OK(seqrt_session_run(s, in3, 1));
    /* after a reset the batch size may change */
    OK(seqrt_session_reset(s));
    OK(seqrt_session_run(s, in2, 1));
    const seqrt_tensor *hn;
    OK(seqrt_session_output(s, 1, &hn));
    cr_assert_eq(seqrt_tensor_dim(hn, 1), 2);
    seqrt_tensor_free(x3);
    seqrt_tensor_free(x2);
    seqrt_session_free(s);
    seqrt_model_free(m);
}

Test(streaming, failed_chunk_keeps_state)
{
    /* a chunk rejected before compute (id out of range) must not advance the
     * carried state: chunked output equals the whole run */
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "gru"}), 8);
    int32_t ids[T_ALL * B_ALL];
    fill_ids(ids, T_ALL * B_ALL, 17);
    seqrt_session *plain;
    OK(seqrt_session_create(&plain, m, reference(), NULL));
    outs whole = {0};
    run_chunked(plain, m, ids, T_ALL, B_ALL, T_ALL, NULL, 0, &whole);
    seqrt_session_free(plain);

    seqrt_session_options so = {.streaming = 1};
    seqrt_session *s;
    OK(seqrt_session_create(&s, m, reference(), &so));
    int32_t bad[2 * B_ALL] = {0, 1, 2, 3, V, 4};
    seqrt_tensor *xb;
    OK(seqrt_tensor_wrap(&xb, SEQRT_I32, 2, (int64_t[]){2, B_ALL}, bad));
    const seqrt_tensor *inb[1] = {xb};
    /* first a good half, then a bad chunk, then the rest */
    seqrt_tensor *x;
    OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){10, B_ALL}, ids));
    const seqrt_tensor *in[1] = {x};
    OK(seqrt_session_run(s, in, 1));
    outs part = {0};
    outs_alloc(&part, m, s);
    cr_assert_eq(seqrt_session_run(s, inb, 1), SEQRT_ERR_RANGE);
    seqrt_tensor_free(x);
    OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){10, B_ALL}, ids + 10 * B_ALL));
    in[0] = x;
    OK(seqrt_session_run(s, in, 1));
    const seqrt_tensor *t;
    OK(seqrt_session_output(s, 0, &t));
    size_t half = seqrt_tensor_count(t);
    cr_assert_eq(half * 2, whole.count[0]);
    const float *got = seqrt_tensor_data(t), *want = whole.data[0] + half;
    for (size_t i = 0; i < half; i++)
        cr_assert(fabs(got[i] - want[i]) <= 1e-5 + 1e-4 * fabs(want[i]), "logp[%zu]: %g vs %g", half + i, got[i],
                  want[i]);
    OK(seqrt_session_output(s, 1, &t));
    got = seqrt_tensor_data(t);
    for (size_t i = 0; i < whole.count[1]; i++)
        cr_assert(fabs(got[i] - whole.data[1][i]) <= 1e-5 + 1e-4 * fabs(whole.data[1][i]), "h_n[%zu]", i);
    seqrt_tensor_free(x);
    seqrt_tensor_free(xb);
    outs_free(&part);
    outs_free(&whole);
    seqrt_session_free(s);
    seqrt_model_free(m);
}

/* ------------------------------------------------------------ caller-owned buffers */

#define BT 5
#define BB 2

Test(buffers, wrapped_input_is_not_copied)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 11);
    seqrt_session *s;
    OK(seqrt_session_create(&s, m, reference(), NULL));
    int32_t ids[BT * BB];
    fill_ids(ids, BT * BB, 5);
    seqrt_tensor *x;
    OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){BT, BB}, ids));
    cr_assert_eq(seqrt_tensor_data(x), (void *)ids, "wrap must not copy");
    const seqrt_tensor *in[1] = {x};
    OK(seqrt_session_run(s, in, 1));
    const seqrt_tensor *o;
    OK(seqrt_session_output(s, 0, &o));
    size_t n = seqrt_tensor_count(o);
    float *first = malloc(n * sizeof(float));
    memcpy(first, seqrt_tensor_data(o), n * sizeof(float));

    /* change the caller's data under the same tensor: the output follows */
    ids[0] = (ids[0] + 1) % V;
    OK(seqrt_session_run(s, in, 1));
    OK(seqrt_session_output(s, 0, &o));
    cr_assert(memcmp(first, seqrt_tensor_data(o), n * sizeof(float)), "output did not change with the input data");
    /* step 0 of batch entry 0 changed; batch entry 1 did not (independent) */
    const float *now = seqrt_tensor_data(o);
    cr_assert(memcmp(first, now, V * sizeof(float)), "[0, 0] unchanged");
    cr_assert(!memcmp(first + V, now + V, V * sizeof(float)), "[0, 1] changed though its ids did not");

    /* and equals a run of an owned copy of the same data */
    seqrt_tensor *copy;
    OK(seqrt_tensor_create(&copy, SEQRT_I32, 2, (int64_t[]){BT, BB}));
    memcpy(seqrt_tensor_data(copy), ids, sizeof ids);
    float *second = malloc(n * sizeof(float));
    memcpy(second, now, n * sizeof(float));
    in[0] = copy;
    OK(seqrt_session_run(s, in, 1));
    OK(seqrt_session_output(s, 0, &o));
    cr_assert(!memcmp(second, seqrt_tensor_data(o), n * sizeof(float)));
    free(first);
    free(second);
    seqrt_tensor_free(copy);
    seqrt_tensor_free(x);
    seqrt_session_free(s);
    seqrt_model_free(m);
}

#define GUARD 16
static const float GUARD_VALUE = -12345.5f;

static float *guarded(size_t n)
{
    float *p = malloc((n + 2 * GUARD) * sizeof(float));
    for (size_t i = 0; i < n + 2 * GUARD; i++) p[i] = GUARD_VALUE;
    return p;
}

static void check_guards(const float *p, size_t n)
{
    for (size_t i = 0; i < GUARD; i++) {
        cr_assert_eq(p[i], GUARD_VALUE, "guard before the buffer overwritten at -%zu", GUARD - i);
        cr_assert_eq(p[GUARD + n + i], GUARD_VALUE, "guard after the buffer overwritten at +%zu", i);
    }
}

Test(buffers, bound_output_written_in_place)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 12);
    seqrt_session *s;
    OK(seqrt_session_create(&s, m, reference(), NULL));
    int32_t ids[BT * BB];
    fill_ids(ids, BT * BB, 6);
    seqrt_tensor *x;
    OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){BT, BB}, ids));
    const seqrt_tensor *in[1] = {x};

    /* the session's own outputs, for reference */
    OK(seqrt_session_run(s, in, 1));
    const seqrt_tensor *o;
    OK(seqrt_session_output(s, 0, &o));
    size_t n = seqrt_tensor_count(o);
    cr_assert_eq(n, (size_t)(BT * BB * V));
    float *want = malloc(n * sizeof(float));
    memcpy(want, seqrt_tensor_data(o), n * sizeof(float));
    OK(seqrt_session_output(s, 1, &o));
    size_t nh = seqrt_tensor_count(o);
    float *want_h = malloc(nh * sizeof(float));
    memcpy(want_h, seqrt_tensor_data(o), nh * sizeof(float));

    /* output 0 (logp) and output 1 (h_n) into guarded caller buffers */
    float *buf = guarded(n), *hbuf = guarded(nh);
    seqrt_tensor *dst, *hdst;
    OK(seqrt_tensor_wrap(&dst, SEQRT_F32, 3, (int64_t[]){BT, BB, V}, buf + GUARD));
    OK(seqrt_tensor_wrap(&hdst, SEQRT_F32, 3, (int64_t[]){NL, BB, H}, hbuf + GUARD));
    OK(seqrt_session_bind_output(s, 0, dst));
    OK(seqrt_session_bind_output(s, 1, hdst));
    OK(seqrt_session_run(s, in, 1));
    check_guards(buf, n);
    check_guards(hbuf, nh);
    cr_assert(!memcmp(buf + GUARD, want, n * sizeof(float)), "bound output differs from the session's own");
    cr_assert(!memcmp(hbuf + GUARD, want_h, nh * sizeof(float)), "bound h_n differs from the session's own");
    OK(seqrt_session_output(s, 0, &o));
    cr_assert_eq(o, dst, "seqrt_session_output must return the bound tensor");
    cr_assert_eq(seqrt_tensor_data(o), (void *)(buf + GUARD));

    /* unbound again: the session's buffers, and the caller's stay untouched */
    OK(seqrt_session_bind_output(s, 0, NULL));
    for (size_t i = 0; i < n; i++) buf[GUARD + i] = 7.0f;
    OK(seqrt_session_run(s, in, 1));
    OK(seqrt_session_output(s, 0, &o));
    cr_assert_neq(o, dst);
    cr_assert(!memcmp(seqrt_tensor_data(o), want, n * sizeof(float)));
    for (size_t i = 0; i < n; i++) cr_assert_eq(buf[GUARD + i], 7.0f, "unbound buffer written at %zu", i);
    check_guards(buf, n);

    free(want);
    free(want_h);
    seqrt_tensor_free(dst);
    seqrt_tensor_free(hdst);
    free(buf);
    free(hbuf);
    seqrt_tensor_free(x);
    seqrt_session_free(s);
    seqrt_model_free(m);
}

static void wrong_bind_case(seqrt_dtype dtype, const int64_t *dims, int rank, const char *got_text)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 13);
    seqrt_session *s;
    OK(seqrt_session_create(&s, m, reference(), NULL));
    int32_t ids[BT * BB];
    fill_ids(ids, BT * BB, 7);
    seqrt_tensor *x;
    OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){BT, BB}, ids));
    const seqrt_tensor *in[1] = {x};
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    float *buf = guarded(n);
    seqrt_tensor *dst;
    OK(seqrt_tensor_wrap(&dst, dtype, rank, dims, buf + GUARD));
    /* h_n bound right, so that a partial compute would show */
    size_t nh = NL * BB * H;
    float *hbuf = guarded(nh);
    seqrt_tensor *hdst;
    OK(seqrt_tensor_wrap(&hdst, SEQRT_F32, 3, (int64_t[]){NL, BB, H}, hbuf + GUARD));
    OK(seqrt_session_bind_output(s, 1, hdst));
    OK(seqrt_session_bind_output(s, 0, dst));
    expect_error(seqrt_session_run(s, in, 1), SEQRT_ERR_SHAPE, "output 'logp'", got_text, "[5, 2, 12]");
    /* nothing computed: both caller buffers untouched */
    for (size_t i = 0; i < n + 2 * GUARD; i++) cr_assert_eq(buf[i], GUARD_VALUE, "wrong-shape buffer written at %zu", i);
    for (size_t i = 0; i < nh + 2 * GUARD; i++) cr_assert_eq(hbuf[i], GUARD_VALUE, "h_n buffer written at %zu", i);
    /* unbinding makes the session usable again */
    OK(seqrt_session_bind_output(s, 0, NULL));
    OK(seqrt_session_run(s, in, 1));
    check_guards(hbuf, nh);
    seqrt_tensor_free(dst);
    seqrt_tensor_free(hdst);
    free(buf);
    free(hbuf);
    seqrt_tensor_free(x);
    seqrt_session_free(s);
    seqrt_model_free(m);
}

Test(buffers, bound_output_wrong_shape) { wrong_bind_case(SEQRT_F32, (int64_t[]){BT, BB, V - 1}, 3, "[5, 2, 11]"); }
Test(buffers, bound_output_wrong_rank) { wrong_bind_case(SEQRT_F32, (int64_t[]){BT * BB, V}, 2, "[10, 12]"); }
Test(buffers, bound_output_wrong_dtype) { wrong_bind_case(SEQRT_I32, (int64_t[]){BT, BB, V}, 3, "integer"); }
Test(buffers, bound_output_wrong_time) { wrong_bind_case(SEQRT_F32, (int64_t[]){BT + 1, BB, V}, 3, "[6, 2, 12]"); }

/* ------------------------------------------------------------ registry */

static int backend_index(const char *name)
{
    for (size_t i = 0; i < seqrt_backend_count(); i++) {
        seqrt_backend_info bi;
        OK(seqrt_backend_get_info(i, &bi));
        if (!strcmp(bi.name, name)) return (int)i;
    }
    return -1;
}

Test(registry, backends_listed)
{
    cr_assert_geq(seqrt_backend_count(), 3);
    const char *names[] = {"reference", "onednn", "opencl"};
    for (int k = 0; k < 3; k++) cr_assert_geq(backend_index(names[k]), 0, "backend '%s' not listed", names[k]);
    for (size_t i = 0; i < seqrt_backend_count(); i++) {
        seqrt_backend_info bi;
        OK(seqrt_backend_get_info(i, &bi));
        cr_assert(bi.name && *bi.name);
        cr_assert_not_null(bi.reason);
        cr_assert_not_null(bi.module);
        if (bi.available) {
            cr_assert_str_empty(bi.reason);
            cr_assert_geq(bi.device_count, 1);
        } else {
            cr_assert_str_not_empty(bi.reason, "unavailable backend '%s' gives no reason", bi.name);
            cr_assert_eq(bi.device_count, 0);
        }
    }
    seqrt_backend_info bi;
    expect_error(seqrt_backend_get_info(seqrt_backend_count(), &bi), SEQRT_ERR_INVALID_ARGUMENT, "out of range");
}

Test(registry, reference_available)
{
    int r = backend_index("reference");
    seqrt_backend_info bi;
    OK(seqrt_backend_get_info((size_t)r, &bi));
    cr_assert(bi.available);
    cr_assert_eq(bi.device_count, 1);
    cr_assert_str_eq(bi.module, "built-in");
    const seqrt_device *d1, *d2;
    OK(seqrt_backend_get_device(&d1, (size_t)r, 0));
    OK(seqrt_device_find(&d2, "reference"));
    cr_assert_eq(d1, d2);
    OK(seqrt_device_find(&d2, "reference:0"));
    cr_assert_eq(d1, d2);
    seqrt_device_info di;
    OK(seqrt_device_get_info(d1, &di));
    cr_assert_str_eq(di.backend, "reference");
    cr_assert_eq(di.index, 0);
    cr_assert(di.name && di.description && di.vendor && di.driver);
    expect_error(seqrt_backend_get_device(&d1, (size_t)r, 1), SEQRT_ERR_UNAVAILABLE, "reference");
}

Test(registry, unknown_backend_lists_available)
{
    const seqrt_device *d = (const seqrt_device *)(uintptr_t)0x1;
    expect_error(seqrt_device_find(&d, "nosuch"), SEQRT_ERR_UNAVAILABLE, "nosuch", "reference");
    cr_assert_null(d);
}

Test(registry, reference_device_1_refused)
{
    const seqrt_device *d;
    expect_error(seqrt_device_find(&d, "reference:1"), SEQRT_ERR_UNAVAILABLE, "reference", "1");
    expect_error(seqrt_device_find(&d, "reference:x"), SEQRT_ERR_UNAVAILABLE, "reference");
    expect_error(seqrt_device_find(&d, "reference:-1"), SEQRT_ERR_UNAVAILABLE, "reference");
    expect_error(seqrt_device_find(&d, "reference:"), SEQRT_ERR_UNAVAILABLE, "reference");
    expect_error(seqrt_device_find(&d, "auto:1"), SEQRT_ERR_UNAVAILABLE, "auto");
}

Test(registry, onednn_module_missing)
{
    int k = backend_index("onednn");
    seqrt_backend_info bi;
    OK(seqrt_backend_get_info((size_t)k, &bi));
    if (bi.available) {
        cr_log_info("onednn is available here (%s); the missing-module case is not testable", bi.module);
        const seqrt_device *d;
        OK(seqrt_device_find(&d, "onednn"));
        return;
    }
    const seqrt_device *d;
    seqrt_status st = seqrt_device_find(&d, "onednn");
    expect_error(st, SEQRT_ERR_UNAVAILABLE, "onednn", bi.reason);
    if (!*bi.module) /* no module file at all */
        expect_error(st, SEQRT_ERR_UNAVAILABLE, "libseqrt-onednn.so", "not found");
    /* never a silent fallback */
    cr_assert_null(d);
}

Test(registry, auto_resolves_to_available)
{
    const seqrt_device *d = NULL;
    OK(seqrt_device_find(&d, "auto"));
    cr_assert_not_null(d);
    seqrt_device_info di;
    OK(seqrt_device_get_info(d, &di));
    int k = backend_index(di.backend);
    seqrt_backend_info bi;
    OK(seqrt_backend_get_info((size_t)k, &bi));
    cr_assert(bi.available, "auto chose unavailable backend '%s'", di.backend);
    cr_assert_lt(di.index, bi.device_count);
}

Test(registry, env_var_honoured)
{
    const seqrt_device *d, *ref;
    OK(seqrt_device_find(&ref, "reference"));
    setenv("SEQRT_BACKEND", "reference", 1);
    OK(seqrt_device_find(&d, NULL));
    cr_assert_eq(d, ref);
    OK(seqrt_device_find(&d, ""));
    cr_assert_eq(d, ref);

    /* not cached: a later value is read again */
    setenv("SEQRT_BACKEND", "nosuch", 1);
    expect_error(seqrt_device_find(&d, NULL), SEQRT_ERR_UNAVAILABLE, "nosuch", "SEQRT_BACKEND", "reference");
    setenv("SEQRT_BACKEND", "reference:1", 1);
    expect_error(seqrt_device_find(&d, NULL), SEQRT_ERR_UNAVAILABLE, "reference", "SEQRT_BACKEND");
    /* an explicit spec wins over the variable */
    OK(seqrt_device_find(&d, "reference"));
    cr_assert_eq(d, ref);

    setenv("SEQRT_BACKEND", "auto", 1);
    const seqrt_device *a;
    OK(seqrt_device_find(&a, NULL));
    unsetenv("SEQRT_BACKEND");
    OK(seqrt_device_find(&d, NULL));
    cr_assert_eq(d, a, "unset SEQRT_BACKEND must mean auto");
}

Test(registry, env_var_used_by_session_create, .init = setup, .fini = teardown)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "gru"}), 3);
    setenv("SEQRT_BACKEND", "reference", 1);
    seqrt_session *s;
    OK(seqrt_session_create(&s, m, NULL, NULL));
    seqrt_device_info di;
    OK(seqrt_device_get_info(seqrt_session_device(s), &di));
    cr_assert_str_eq(di.backend, "reference");
    seqrt_session_free(s);
    setenv("SEQRT_BACKEND", "nosuch", 1);
    s = (seqrt_session *)(uintptr_t)0x1;
    expect_error(seqrt_session_create(&s, m, NULL, NULL), SEQRT_ERR_UNAVAILABLE, "nosuch");
    cr_assert_null(s);
    unsetenv("SEQRT_BACKEND");
    seqrt_model_free(m);
}

/* ------------------------------------------------------------ status, version, misuse */

Test(api, status_strings)
{
    const seqrt_status all[] = {SEQRT_OK,          SEQRT_ERR_INVALID_ARGUMENT, SEQRT_ERR_IO,
                                SEQRT_ERR_PARSE,   SEQRT_ERR_MODEL,            SEQRT_ERR_SHAPE,
                                SEQRT_ERR_RANGE,   SEQRT_ERR_UNSUPPORTED,      SEQRT_ERR_UNAVAILABLE,
                                SEQRT_ERR_OUT_OF_MEMORY, SEQRT_ERR_LIMIT,      SEQRT_ERR_DEVICE,
                                SEQRT_ERR_INTERNAL};
    size_t n = sizeof all / sizeof all[0];
    cr_assert_eq(n, (size_t)SEQRT_ERR_INTERNAL + 1);
    for (size_t i = 0; i < n; i++) {
        const char *a = seqrt_status_str(all[i]);
        cr_assert(a && *a, "status %d has no string", (int)all[i]);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(a, seqrt_status_str(all[j]), "statuses %d and %d share \"%s\"", (int)all[i],
                              (int)all[j], a);
    }
    cr_assert_not_null(seqrt_status_str((seqrt_status)999));
    cr_assert_not_null(seqrt_status_str((seqrt_status)-1));
}

Test(api, version)
{
    const char *v = seqrt_version();
    cr_assert_not_null(v);
    int a, b, c, n = 0;
    cr_assert_eq(sscanf(v, "%d.%d.%d%n", &a, &b, &c, &n), 3, "version \"%s\"", v);
    cr_assert_eq((size_t)n, strlen(v), "version \"%s\" has trailing text", v);
    cr_assert_eq(a, SEQRT_VERSION_MAJOR);
    cr_assert_eq(b, SEQRT_VERSION_MINOR);
    cr_assert_eq(c, SEQRT_VERSION_PATCH);
    cr_assert_str_eq(v, SEQRT_VERSION_TEXT); /* the version the build system packages (CMakeLists.txt) */
}

Test(api, last_error_cleared_by_success)
{
    const seqrt_device *d;
    cr_assert_neq(seqrt_device_find(&d, "nosuch"), SEQRT_OK);
    cr_assert_str_not_empty(seqrt_last_error());
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "gru"}), 3);
    cr_assert_str_empty(seqrt_last_error(), "a successful load left \"%s\"", seqrt_last_error());
    seqrt_model_free(m);
}

/* Output shapes before any run: the embedding -> 2-layer bidirectional
 * LSTM -> linear -> log_softmax model (V = 12, H = 8), as built above. */
Test(api, output_shapes)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm", .bidirectional = 1}), 3);
    cr_assert_eq(seqrt_model_output_count(m), 3);
    static const struct { const char *name, *text; int rank; int64_t dims[3]; } want[] = {
        {"logp", "[T, B, 12]", 3, {-1, -1, V}},
        {"rnn:h_n", "[4, B, 8]", 3, {NL * 2, -1, H}},
        {"rnn:c_n", "[4, B, 8]", 3, {NL * 2, -1, H}},
    };
    for (size_t o = 0; o < 3; o++) {
        int rank = 0;
        int64_t dims[SEQRT_MAX_RANK];
        char text[64];
        OK(seqrt_model_output_shape(m, o, &rank, dims, text, sizeof text));
        cr_assert_str_eq(seqrt_model_output_name(m, o), want[o].name);
        cr_assert_str_eq(text, want[o].text, "output %s: \"%s\"", want[o].name, text);
        cr_assert_eq(rank, want[o].rank);
        for (int d = 0; d < rank; d++) cr_assert_eq(dims[d], want[o].dims[d], "output %s dim %d", want[o].name, d);
    }
    expect_error(seqrt_model_output_shape(m, 3, NULL, NULL, NULL, 0), SEQRT_ERR_INVALID_ARGUMENT, "out of range");
    seqrt_model_free(m);
}

Test(api, null_arguments)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "gru"}), 3);
    char path[1024];
    snprintf(path, sizeof path, "%s/model.json", g_dir);
    const seqrt_device *dev = reference();
    seqrt_model *mo;
    seqrt_session *s;
    seqrt_tensor *t;
    const seqrt_tensor *ct;
    const seqrt_device *d;
    seqrt_device_info di;
    seqrt_backend_info bi;
    seqrt_layer_info li;
    size_t idx;
    int64_t dims[2] = {2, 2};

    /* models */
    cr_assert_eq(seqrt_model_load(NULL, path, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    mo = (seqrt_model *)(uintptr_t)0x1;
    cr_assert_eq(seqrt_model_load(&mo, NULL, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_null(mo, "a failed seqrt_model_load must leave *out NULL");
    cr_assert_eq(seqrt_model_find_input(NULL, "tokens", &idx), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_model_find_input(m, NULL, &idx), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_model_find_input(m, "tokens", NULL), SEQRT_ERR_INVALID_ARGUMENT);
    expect_error(seqrt_model_find_input(m, "nosuch", &idx), SEQRT_ERR_INVALID_ARGUMENT, "nosuch", "tokens");
    OK(seqrt_model_find_input(m, "tokens", &idx));
    cr_assert_eq(idx, 0);
    cr_assert_eq(seqrt_model_layer_info(NULL, 0, &li), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_model_layer_info(m, 0, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_model_layer_info(m, 99, &li), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_null(seqrt_model_name(NULL));
    cr_assert_null(seqrt_model_metadata(NULL));
    cr_assert_eq(seqrt_model_input_count(NULL), 0);
    cr_assert_eq(seqrt_model_output_count(NULL), 0);
    cr_assert_eq(seqrt_model_layer_count(NULL), 0);
    cr_assert_eq(seqrt_model_warning_count(NULL), 0);
    cr_assert_null(seqrt_model_input_name(NULL, 0));
    cr_assert_null(seqrt_model_input_name(m, 99));
    cr_assert_null(seqrt_model_output_name(m, 99));
    cr_assert_null(seqrt_model_warning(m, 0));
    cr_assert_eq(seqrt_model_input_time_axis(m, 99), -1);
    cr_assert_eq(seqrt_model_output_time_axis(m, 99), -1);
    cr_assert_eq(seqrt_model_streamable(NULL, NULL, 0), 0);
    seqrt_model_free(NULL);

    /* registry */
    cr_assert_eq(seqrt_device_find(NULL, "reference"), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_device_get_info(NULL, &di), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_device_get_info(dev, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_backend_get_info(0, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_backend_get_info(99, &bi), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_backend_get_device(NULL, 0, 0), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_backend_get_device(&d, 99, 0), SEQRT_ERR_INVALID_ARGUMENT);

    /* tensors */
    cr_assert_eq(seqrt_tensor_create(NULL, SEQRT_F32, 2, dims), SEQRT_ERR_INVALID_ARGUMENT);
    t = (seqrt_tensor *)(uintptr_t)0x1;
    cr_assert_eq(seqrt_tensor_create(&t, SEQRT_F32, 2, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_null(t);
    cr_assert_eq(seqrt_tensor_create(&t, SEQRT_F32, SEQRT_MAX_RANK + 1, dims), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_tensor_create(&t, SEQRT_F32, -1, dims), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_tensor_create(&t, (seqrt_dtype)7, 2, dims), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_tensor_create(&t, SEQRT_F32, 2, (int64_t[]){2, -3}), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_tensor_create(&t, SEQRT_F32, 2, (int64_t[]){(int64_t)1 << 40, (int64_t)1 << 40}),
                 SEQRT_ERR_LIMIT);
    cr_assert_null(t);
    cr_assert_eq(seqrt_tensor_wrap(NULL, SEQRT_F32, 2, dims, dims), SEQRT_ERR_INVALID_ARGUMENT);
    t = (seqrt_tensor *)(uintptr_t)0x1;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_F32, 2, dims, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_null(t);
    cr_assert_eq(seqrt_tensor_load_npy(NULL, path), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_tensor_load_npy(&t, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_tensor_save_npy(NULL, path), SEQRT_ERR_INVALID_ARGUMENT);
    OK(seqrt_tensor_create(&t, SEQRT_F32, 2, dims));
    cr_assert_eq(seqrt_tensor_save_npy(t, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_tensor_dim(t, 2), -1);
    cr_assert_eq(seqrt_tensor_dim(t, -1), -1);
    seqrt_tensor_free(t);
    cr_assert_eq(seqrt_tensor_rank(NULL), 0);
    cr_assert_eq(seqrt_tensor_count(NULL), 0);
    cr_assert_null(seqrt_tensor_data(NULL));
    cr_assert_eq(seqrt_tensor_dim(NULL, 0), -1);
    seqrt_tensor_free(NULL);

    /* sessions */
    cr_assert_eq(seqrt_session_create(NULL, m, dev, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    s = (seqrt_session *)(uintptr_t)0x1;
    cr_assert_eq(seqrt_session_create(&s, NULL, dev, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_null(s, "a failed seqrt_session_create must leave *out NULL");
    OK(seqrt_session_create(&s, m, dev, NULL));
    cr_assert_eq(seqrt_session_device(s), dev);
    cr_assert_null(seqrt_session_device(NULL));
    cr_assert_eq(seqrt_session_run(NULL, NULL, 0), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_session_run(s, NULL, 1), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_session_run(s, NULL, 0), SEQRT_ERR_INVALID_ARGUMENT); /* the model takes one */
    const seqrt_tensor *nulls[1] = {NULL};
    expect_error(seqrt_session_run(s, nulls, 1), SEQRT_ERR_INVALID_ARGUMENT, "'tokens'");
    /* output before any run */
    cr_assert_eq(seqrt_session_output(s, 0, &ct), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_session_output(NULL, 0, &ct), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_session_output(s, 0, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_session_output(s, 99, &ct), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_session_bind_output(NULL, 0, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_session_bind_output(s, 99, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_session_reset(NULL), SEQRT_ERR_INVALID_ARGUMENT);
    OK(seqrt_session_reset(s)); /* harmless on a plain session */
    seqrt_session_free(s);
    seqrt_session_free(NULL);
    seqrt_model_free(m);
}

/* ------------------------------------------------------------ threads */

#define NTHREADS 4
#define TT 12
#define TB 2

typedef struct worker {
    const seqrt_model *model;
    const seqrt_device *dev;
    const int32_t *ids;           /* [TT, TB] */
    const float *want[3];         /* single-threaded outputs */
    size_t count[3];
    int nout;
    int id;
    int failures;
    char msg[512];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    seqrt_session *s = NULL;
    seqrt_tensor *x = NULL;
    seqrt_status st = seqrt_session_create(&s, w->model, w->dev, NULL);
    if (st) {
        snprintf(w->msg, sizeof w->msg, "create: %s", seqrt_last_error());
        w->failures++;
        return NULL;
    }
    seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){TT, TB}, (void *)w->ids);
    const seqrt_tensor *in[1] = {x};
    for (int rep = 0; rep < 5; rep++) {
        if ((st = seqrt_session_run(s, in, 1))) {
            snprintf(w->msg, sizeof w->msg, "run %d: %s", rep, seqrt_last_error());
            w->failures++;
            break;
        }
        for (int o = 0; o < w->nout; o++) {
            const seqrt_tensor *t;
            seqrt_session_output(s, (size_t)o, &t);
            if (seqrt_tensor_count(t) != w->count[o] ||
                memcmp(seqrt_tensor_data(t), w->want[o], w->count[o] * sizeof(float))) {
                snprintf(w->msg, sizeof w->msg, "run %d: output %d differs from the single-threaded run", rep, o);
                w->failures++;
            }
        }
        /* the last error is per thread: this thread's own message survives */
        char spec[32];
        snprintf(spec, sizeof spec, "nosuch%d", w->id);
        const seqrt_device *d;
        seqrt_device_find(&d, spec);
        if (!strstr(seqrt_last_error(), spec)) {
            snprintf(w->msg, sizeof w->msg, "last error \"%s\" is not this thread's (%s)", seqrt_last_error(), spec);
            w->failures++;
        }
    }
    seqrt_tensor_free(x);
    seqrt_session_free(s);
    return NULL;
}

Test(threads, shared_model_four_sessions)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 77);
    const seqrt_device *dev = reference();
    int32_t ids[NTHREADS][TT * TB];
    float *want[NTHREADS][3];
    size_t count[3];
    int nout = (int)seqrt_model_output_count(m);
    cr_assert_eq(nout, 3);
    /* single-threaded: each thread's own input */
    seqrt_session *s;
    OK(seqrt_session_create(&s, m, dev, NULL));
    for (int k = 0; k < NTHREADS; k++) {
        fill_ids(ids[k], TT * TB, 1000u + (uint32_t)k);
        seqrt_tensor *x;
        OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){TT, TB}, ids[k]));
        const seqrt_tensor *in[1] = {x};
        OK(seqrt_session_run(s, in, 1));
        seqrt_tensor_free(x);
        for (int o = 0; o < nout; o++) {
            const seqrt_tensor *t;
            OK(seqrt_session_output(s, (size_t)o, &t));
            count[o] = seqrt_tensor_count(t);
            want[k][o] = malloc(count[o] * sizeof(float));
            memcpy(want[k][o], seqrt_tensor_data(t), count[o] * sizeof(float));
        }
    }
    seqrt_session_free(s);
    /* distinct inputs give distinct outputs, so a mix-up would show */
    cr_assert(memcmp(want[0][0], want[1][0], count[0] * sizeof(float)));

    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    for (int k = 0; k < NTHREADS; k++) {
        memset(&w[k], 0, sizeof w[k]);
        w[k].model = m;
        w[k].dev = dev;
        w[k].ids = ids[k];
        w[k].nout = nout;
        w[k].id = k;
        for (int o = 0; o < nout; o++) {
            w[k].want[o] = want[k][o];
            w[k].count[o] = count[o];
        }
        cr_assert_eq(pthread_create(&th[k], NULL, work, &w[k]), 0);
    }
    for (int k = 0; k < NTHREADS; k++) pthread_join(th[k], NULL);
    for (int k = 0; k < NTHREADS; k++) cr_expect_eq(w[k].failures, 0, "thread %d: %s", k, w[k].msg);
    for (int k = 0; k < NTHREADS; k++)
        for (int o = 0; o < nout; o++) free(want[k][o]);
    seqrt_model_free(m);
}
