/*
 * The fixture shared by test_stream_pool.c and test_stream_pool_errors.c:
 * the session fixture's models (session_fixture.h), the devices to test,
 * a "solo" stream (a streaming session of batch one, started like a pool
 * stream) and the comparison of a pool output with a solo one.
 *
 * Everything is static (each test executable includes this once).
 */
#ifndef SEQRT_STREAM_POOL_FIXTURE_H
#define SEQRT_STREAM_POOL_FIXTURE_H

#include "session_fixture.h"

/* Every available device of every backend ($SEQRT_TEST_BACKENDS, a comma
 * separated list of backend names, narrows it). */
TU_UNUSED static size_t list_devices(char specs[][48], size_t max)
{
    size_t n = 0;
    const char *only = getenv("SEQRT_TEST_BACKENDS");
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        seqrt_backend_info info;
        if (seqrt_backend_get_info(b, &info) != SEQRT_OK || !info.available) continue;
        if (only && *only) {
            char list[256], key[64];
            snprintf(list, sizeof list, ",%s,", only);
            snprintf(key, sizeof key, ",%s,", info.name);
            if (!strstr(list, key)) continue;
        }
        for (size_t d = 0; d < info.device_count && n < max; d++) snprintf(specs[n++], 48, "%s:%zu", info.name, d);
    }
    return n;
}

/* A token chunk of one stream: [len, 1], or [1, len] when batch_first. */
TU_UNUSED static seqrt_tensor *ids_chunk(const seqrt_model *m, const int32_t *ids, int len)
{
    seqrt_tensor *t;
    int64_t dims[2] = {len, 1};
    if (seqrt_model_batch_first(m)) dims[0] = 1, dims[1] = len;
    OK(seqrt_tensor_create(&t, SEQRT_I32, 2, dims));
    memcpy(seqrt_tensor_data(t), ids, (size_t)len * sizeof(int32_t));
    return t;
}

/* One stream run alone: a streaming session of batch one and the model
 * inputs beside the tokens (its h0/c0: given on its first run). */
typedef struct solo {
    uint64_t id;
    seqrt_session *session;
    seqrt_tensor *extra[2];
    int nextra;
} solo;

/* Starts stream `id` in the pool and its solo twin; `nst` initial states
 * (the model's inputs 1.., random from `seed`), or none (zeros). */
TU_UNUSED static void solo_start(solo *s, seqrt_stream_pool *pool, const seqrt_model *m, const seqrt_device *dev,
                                 uint64_t id, int nst, uint32_t seed)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    seqrt_session_options so = {.streaming = 1};
    OK(seqrt_session_create(&s->session, m, dev, &so));
    s->nextra = nst;
    for (int k = 0; k < nst; k++) {
        OK(seqrt_tensor_create(&s->extra[k], SEQRT_F32, 3, (int64_t[]){NL, 1, H}));
        float *p = seqrt_tensor_data(s->extra[k]);
        for (size_t i = 0; i < seqrt_tensor_count(s->extra[k]); i++) p[i] = tu_rand(&seed, 0.8f);
    }
    if (!nst) {
        OK(seqrt_stream_pool_start(pool, id, NULL, 0));
        return;
    }
    size_t ns = seqrt_stream_pool_state_count(pool);
    const seqrt_tensor *states[4] = {NULL};
    for (size_t k = 0; k < ns; k++) {
        int mi = -1;
        OK(seqrt_stream_pool_state_info(pool, k, NULL, NULL, &mi));
        cr_assert(mi >= 1 && mi <= nst, "state %zu comes from model input %d", k, mi);
        states[k] = s->extra[mi - 1];
    }
    OK(seqrt_stream_pool_start(pool, id, states, ns));
}

TU_UNUSED static void solo_run(solo *s, const seqrt_model *m, const seqrt_tensor *chunk)
{
    const seqrt_tensor *in[4] = {chunk, s->extra[0], s->extra[1]};
    OK(seqrt_session_run(s->session, in, seqrt_model_input_count(m)));
}

TU_UNUSED static void solo_free(solo *s)
{
    seqrt_session_free(s->session);
    for (int k = 0; k < 2; k++) seqrt_tensor_free(s->extra[k]);
    memset(s, 0, sizeof *s);
}

/* got == want: same shape; bitwise when `exact`, else within the
 * conformance tolerance (atol 1e-4, rtol 1e-3). */
TU_UNUSED static void expect_tensor(const seqrt_tensor *got, const seqrt_tensor *want, int exact, const char *what)
{
    cr_assert_eq(seqrt_tensor_rank(got), seqrt_tensor_rank(want), "%s: rank", what);
    for (int d = 0; d < seqrt_tensor_rank(want); d++)
        cr_assert_eq(seqrt_tensor_dim(got, d), seqrt_tensor_dim(want, d), "%s: dim %d is %lld, solo %lld", what, d,
                     (long long)seqrt_tensor_dim(got, d), (long long)seqrt_tensor_dim(want, d));
    const float *a = seqrt_tensor_data(got), *b = seqrt_tensor_data(want);
    size_t n = seqrt_tensor_count(want);
    if (exact) {
        for (size_t i = 0; i < n; i++)
            cr_assert(!memcmp(&a[i], &b[i], sizeof(float)), "%s: [%zu] = %.9g, solo %.9g (not bitwise)", what, i, a[i],
                      b[i]);
        return;
    }
    for (size_t i = 0; i < n; i++)
        cr_assert(isfinite(a[i]) && fabs((double)a[i] - b[i]) <= 1e-4 + 1e-3 * fabs((double)b[i]),
                  "%s: [%zu] = %.9g, solo %.9g", what, i, a[i], b[i]);
}

/* The counter rnn's weights (test_stream_pool.c): weight_ih 1, weight_hh 1. */
TU_UNUSED static void write_counter_weights(const char *path)
{
    tu_st b;
    tu_st_init(&b);
    float one = 1.0f;
    tu_st_add(&b, "c.weight_ih_l0", 2, (int64_t[]){1, 1}, &one, NULL, 0);
    tu_st_add(&b, "c.weight_hh_l0", 2, (int64_t[]){1, 1}, &one, NULL, 0);
    cr_assert_eq(tu_st_write(&b, path), 0);
    tu_st_free(&b);
}

#endif /* SEQRT_STREAM_POOL_FIXTURE_H */
