/*
 * The stream pool (docs/streams.md): idle eviction and eviction of the
 * oldest when full (on a clock the test drives: no timing), a full pool,
 * save and restore of a conversation, and every bad input — an unknown or
 * ended id, a chunk whose shape disagrees, the same id twice, a state of
 * the wrong size, a model that cannot stream, an id outside the
 * vocabulary — each a clear error naming the stream, the other streams'
 * states and outputs untouched. Reference device.
 */
#define _DEFAULT_SOURCE
#include "stream_pool_fixture.h"

TestSuite(pool_errors, .init = setup, .fini = teardown);

static double g_now;
static double fake_clock(void *ctx)
{
    (void)ctx;
    return g_now;
}

/* An lstm model (two states) and a pool over it. */
static seqrt_stream_pool *make_pool(seqrt_model **m, size_t cap, double timeout, int evict_oldest)
{
    *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 99);
    g_now = 1000;
    seqrt_stream_pool_options po = {.capacity = cap, .idle_timeout_s = timeout, .evict_oldest = evict_oldest,
                                    .clock = fake_clock};
    seqrt_stream_pool *p;
    OK(seqrt_stream_pool_create(&p, *m, reference(), &po));
    return p;
}

/* One step of stream `id` over `len` tokens seeded by `seed`. */
static seqrt_status step1(seqrt_stream_pool *p, const seqrt_model *m, uint64_t id, int len, uint32_t seed)
{
    int32_t ids[8];
    fill_ids(ids, (size_t)len, seed);
    seqrt_tensor *t = ids_chunk(m, ids, len);
    const seqrt_tensor *in[1] = {t};
    seqrt_status st = seqrt_stream_pool_step(p, 1, &id, in);
    seqrt_tensor_free(t);
    return st;
}

/* Both states and output 0 of a stream, to show it untouched. */
typedef struct snap {
    float st[2][NL * H];
    float *out;
    size_t nout;
} snap;

static void take(seqrt_stream_pool *p, uint64_t id, snap *s)
{
    for (size_t k = 0; k < 2; k++) {
        seqrt_tensor *t;
        OK(seqrt_tensor_wrap(&t, SEQRT_F32, 3, (int64_t[]){NL, 1, H}, s->st[k]));
        OK(seqrt_stream_pool_get_state(p, id, k, t));
        seqrt_tensor_free(t);
    }
    const seqrt_tensor *o;
    OK(seqrt_stream_pool_output(p, id, 0, &o));
    s->nout = seqrt_tensor_count(o);
    s->out = malloc(s->nout * sizeof(float));
    memcpy(s->out, seqrt_tensor_data(o), s->nout * sizeof(float));
}

static void expect_untouched(seqrt_stream_pool *p, uint64_t id, snap *before, const char *what)
{
    snap now;
    take(p, id, &now);
    cr_assert(!memcmp(now.st, before->st, sizeof now.st), "%s: stream %llu's state changed", what,
              (unsigned long long)id);
    cr_assert(now.nout == before->nout && !memcmp(now.out, before->out, now.nout * sizeof(float)),
              "%s: stream %llu's output changed", what, (unsigned long long)id);
    free(now.out);
    free(before->out);
}

Test(pool_errors, idle_streams_are_evicted)
{
    seqrt_model *m;
    seqrt_stream_pool *p = make_pool(&m, 4, 10.0, 0);
    OK(seqrt_stream_pool_start(p, 1, NULL, 0));
    OK(seqrt_stream_pool_start(p, 2, NULL, 0));
    g_now += 6;
    OK(step1(p, m, 1, 2, 5)); /* stream 1 was used at 1006, stream 2 last at 1000 */
    g_now += 4.5;             /* 1010.5: stream 2 idle 10.5 s > 10 s */
    size_t n = 99;
    OK(seqrt_stream_pool_evict_idle(p, &n));
    cr_assert_eq(n, 1u);
    cr_assert(seqrt_stream_pool_is_open(p, 1));
    cr_assert(!seqrt_stream_pool_is_open(p, 2));
    expect_error(step1(p, m, 2, 1, 3), SEQRT_ERR_INVALID_ARGUMENT, "stream 2", "evicted", "idle");
    g_now += 20; /* a step evicts first */
    expect_error(step1(p, m, 1, 1, 3), SEQRT_ERR_INVALID_ARGUMENT, "stream 1", "evicted");
    cr_assert_eq(seqrt_stream_pool_open_count(p), 0u);
    /* an evicted id may start again */
    OK(seqrt_stream_pool_start(p, 2, NULL, 0));
    OK(step1(p, m, 2, 1, 3));
    seqrt_stream_pool_free(p);
    seqrt_model_free(m);
}

Test(pool_errors, full_pool_is_an_error_or_evicts_the_oldest)
{
    seqrt_model *m;
    seqrt_stream_pool *p = make_pool(&m, 2, 0, 0);
    cr_assert_eq(seqrt_stream_pool_capacity(p), 2u);
    OK(seqrt_stream_pool_start(p, 10, NULL, 0));
    OK(seqrt_stream_pool_start(p, 11, NULL, 0));
    OK(step1(p, m, 10, 3, 1));
    OK(step1(p, m, 11, 2, 2));
    snap a, b;
    take(p, 10, &a);
    take(p, 11, &b);
    expect_error(seqrt_stream_pool_start(p, 12, NULL, 0), SEQRT_ERR_LIMIT, "stream 12", "full", "capacity 2");
    expect_untouched(p, 10, &a, "full pool");
    expect_untouched(p, 11, &b, "full pool");
    seqrt_stream_pool_free(p);
    seqrt_model_free(m);

    p = make_pool(&m, 2, 0, 1);
    OK(seqrt_stream_pool_start(p, 10, NULL, 0));
    g_now += 1;
    OK(seqrt_stream_pool_start(p, 11, NULL, 0));
    g_now += 1;
    OK(step1(p, m, 10, 1, 1)); /* 11 is now the one idle longest */
    g_now += 1;
    OK(seqrt_stream_pool_start(p, 12, NULL, 0));
    cr_assert(seqrt_stream_pool_is_open(p, 10) && seqrt_stream_pool_is_open(p, 12));
    expect_error(step1(p, m, 11, 1, 1), SEQRT_ERR_INVALID_ARGUMENT, "stream 11", "evicted", "full");
    seqrt_stream_pool_free(p);
    seqrt_model_free(m);
}

/* Save a conversation after 3 chunks, go on 2 chunks, restore, go on the
 * same 2 chunks: the same outputs; a new stream started from the saved
 * states gives them too. */
Test(pool_errors, save_and_restore)
{
    seqrt_model *m;
    seqrt_stream_pool *p = make_pool(&m, 4, 0, 0);
    OK(seqrt_stream_pool_start(p, 1, NULL, 0));
    for (int k = 0; k < 3; k++) OK(step1(p, m, 1, 1 + k, 10 + (uint32_t)k));
    float saved[2][NL * H];
    seqrt_tensor *st[2];
    for (size_t k = 0; k < 2; k++) {
        OK(seqrt_tensor_wrap(&st[k], SEQRT_F32, 3, (int64_t[]){NL, 1, H}, saved[k]));
        OK(seqrt_stream_pool_get_state(p, 1, k, st[k]));
    }
    float first[2][3 * V];
    for (int k = 0; k < 2; k++) {
        OK(step1(p, m, 1, 3, 20 + (uint32_t)k));
        const seqrt_tensor *o;
        OK(seqrt_stream_pool_output(p, 1, 0, &o));
        memcpy(first[k], seqrt_tensor_data(o), sizeof first[k]);
    }
    for (size_t k = 0; k < 2; k++) OK(seqrt_stream_pool_set_state(p, 1, k, st[k]));
    OK(seqrt_stream_pool_start(p, 2, (const seqrt_tensor *const *)st, 2));
    for (int k = 0; k < 2; k++) {
        for (uint64_t id = 1; id <= 2; id++) {
            OK(step1(p, m, id, 3, 20 + (uint32_t)k));
            const seqrt_tensor *o;
            OK(seqrt_stream_pool_output(p, id, 0, &o));
            cr_assert(!memcmp(seqrt_tensor_data(o), first[k], sizeof first[k]),
                      "stream %llu, chunk %d after restore differs", (unsigned long long)id, k);
        }
    }
    for (size_t k = 0; k < 2; k++) seqrt_tensor_free(st[k]);
    seqrt_stream_pool_free(p);
    seqrt_model_free(m);
}

Test(pool_errors, unknown_ended_and_repeated_ids)
{
    seqrt_model *m;
    seqrt_stream_pool *p = make_pool(&m, 4, 0, 0);
    OK(seqrt_stream_pool_start(p, 1, NULL, 0));
    OK(seqrt_stream_pool_start(p, 2, NULL, 0));
    OK(step1(p, m, 1, 2, 1));
    OK(step1(p, m, 2, 2, 2));
    expect_error(step1(p, m, 77, 1, 1), SEQRT_ERR_INVALID_ARGUMENT, "stream 77", "not open");
    expect_error(seqrt_stream_pool_start(p, 1, NULL, 0), SEQRT_ERR_INVALID_ARGUMENT, "stream 1", "already open");
    OK(seqrt_stream_pool_end(p, 2));
    expect_error(step1(p, m, 2, 1, 1), SEQRT_ERR_INVALID_ARGUMENT, "stream 2", "ended");
    expect_error(seqrt_stream_pool_end(p, 2), SEQRT_ERR_INVALID_ARGUMENT, "stream 2", "ended");
    const seqrt_tensor *o;
    expect_error(seqrt_stream_pool_output(p, 2, 0, &o), SEQRT_ERR_INVALID_ARGUMENT, "stream 2", "ended");
    /* the same id twice, and a good stream beside a bad one: nothing runs */
    snap a;
    take(p, 1, &a);
    int32_t ids[2] = {1, 2};
    seqrt_tensor *t = ids_chunk(m, ids, 2);
    const seqrt_tensor *in[2] = {t, t};
    expect_error(seqrt_stream_pool_step(p, 2, (uint64_t[]){1, 1}, in), SEQRT_ERR_INVALID_ARGUMENT, "stream 1",
                 "more than once");
    expect_error(seqrt_stream_pool_step(p, 2, (uint64_t[]){1, 9}, in), SEQRT_ERR_INVALID_ARGUMENT, "stream 9");
    expect_untouched(p, 1, &a, "bad id beside it");
    seqrt_tensor_free(t);
    /* a fresh stream has no output yet */
    OK(seqrt_stream_pool_start(p, 3, NULL, 0));
    expect_error(seqrt_stream_pool_output(p, 3, 0, &o), SEQRT_ERR_INVALID_ARGUMENT, "stream 3", "not run");
    expect_error(seqrt_stream_pool_output(p, 1, 9, &o), SEQRT_ERR_INVALID_ARGUMENT, "stream 1", "no output 9");
    seqrt_stream_pool_free(p);
    seqrt_model_free(m);
}

Test(pool_errors, chunk_shapes_that_disagree)
{
    seqrt_model *m;
    seqrt_stream_pool *p = make_pool(&m, 4, 0, 0);
    OK(seqrt_stream_pool_start(p, 1, NULL, 0));
    OK(seqrt_stream_pool_start(p, 2, NULL, 0));
    OK(step1(p, m, 1, 2, 1));
    snap a;
    take(p, 1, &a);
    int32_t ids[6] = {1, 2, 3, 4, 5, 6};
    seqrt_tensor *good = ids_chunk(m, ids, 2), *bad;
    /* a batch of two */
    OK(seqrt_tensor_wrap(&bad, SEQRT_I32, 2, (int64_t[]){3, 2}, ids));
    const seqrt_tensor *in[2] = {good, bad};
    expect_error(seqrt_stream_pool_step(p, 2, (uint64_t[]){1, 2}, in), SEQRT_ERR_SHAPE, "stream 2", "tokens",
                 "batch of one");
    seqrt_tensor_free(bad);
    /* the wrong rank, the wrong dtype, no tensor */
    OK(seqrt_tensor_wrap(&bad, SEQRT_I32, 3, (int64_t[]){2, 1, 1}, ids));
    in[1] = bad;
    expect_error(seqrt_stream_pool_step(p, 2, (uint64_t[]){1, 2}, in), SEQRT_ERR_SHAPE, "stream 2", "rank 2");
    seqrt_tensor_free(bad);
    OK(seqrt_tensor_wrap(&bad, SEQRT_F32, 2, (int64_t[]){2, 1}, ids));
    in[1] = bad;
    expect_error(seqrt_stream_pool_step(p, 2, (uint64_t[]){1, 2}, in), SEQRT_ERR_SHAPE, "stream 2", "int32");
    seqrt_tensor_free(bad);
    in[1] = NULL;
    expect_error(seqrt_stream_pool_step(p, 2, (uint64_t[]){1, 2}, in), SEQRT_ERR_INVALID_ARGUMENT, "stream 2",
                 "NULL");
    /* an id outside the vocabulary in one stream of a batch: the run fails
     * naming the streams of that batch, and no stream changes */
    int32_t oov[2] = {1, V + 3};
    OK(seqrt_tensor_wrap(&bad, SEQRT_I32, 2, (int64_t[]){2, 1}, oov));
    in[1] = bad;
    expect_error(seqrt_stream_pool_step(p, 2, (uint64_t[]){1, 2}, in), SEQRT_ERR_RANGE, "streams 1, 2", "embed");
    seqrt_tensor_free(bad);
    expect_untouched(p, 1, &a, "bad chunk beside it");
    const seqrt_tensor *o;
    expect_error(seqrt_stream_pool_output(p, 2, 0, &o), SEQRT_ERR_INVALID_ARGUMENT, "stream 2", "not run");
    seqrt_tensor_free(good);
    seqrt_stream_pool_free(p);
    seqrt_model_free(m);
}

Test(pool_errors, states_of_the_wrong_size)
{
    seqrt_model *m;
    seqrt_stream_pool *p = make_pool(&m, 4, 0, 0);
    cr_assert_eq(seqrt_stream_pool_state_count(p), 2u);
    const char *name;
    int64_t dims[3];
    int mi;
    OK(seqrt_stream_pool_state_info(p, 0, &name, dims, &mi));
    cr_assert(strstr(name, "rnn:state_"), "state name '%s'", name);
    cr_assert(dims[0] == NL && dims[1] == 1 && dims[2] == H && mi == -1);
    expect_error(seqrt_stream_pool_state_info(p, 2, &name, dims, &mi), SEQRT_ERR_INVALID_ARGUMENT, "no state 2");
    seqrt_tensor *big, *ok;
    OK(seqrt_tensor_create(&big, SEQRT_F32, 3, (int64_t[]){NL, 1, H + 1}));
    OK(seqrt_tensor_create(&ok, SEQRT_F32, 3, (int64_t[]){NL, 1, H}));
    const seqrt_tensor *st[2] = {ok, big};
    expect_error(seqrt_stream_pool_start(p, 5, st, 2), SEQRT_ERR_SHAPE, "stream 5", "state", "[2, 1, 8]");
    cr_assert(!seqrt_stream_pool_is_open(p, 5));
    expect_error(seqrt_stream_pool_start(p, 5, st, 1), SEQRT_ERR_INVALID_ARGUMENT, "stream 5", "carries 2");
    OK(seqrt_stream_pool_start(p, 5, NULL, 0));
    OK(step1(p, m, 5, 2, 4));
    snap a;
    take(p, 5, &a);
    expect_error(seqrt_stream_pool_set_state(p, 5, 1, big), SEQRT_ERR_SHAPE, "stream 5", "[2, 1, 8]");
    expect_error(seqrt_stream_pool_get_state(p, 5, 0, big), SEQRT_ERR_SHAPE, "stream 5");
    expect_error(seqrt_stream_pool_set_state(p, 5, 2, ok), SEQRT_ERR_INVALID_ARGUMENT, "stream 5", "no state 2");
    expect_error(seqrt_stream_pool_set_state(p, 6, 0, ok), SEQRT_ERR_INVALID_ARGUMENT, "stream 6");
    expect_untouched(p, 5, &a, "bad states");
    seqrt_tensor_free(big);
    seqrt_tensor_free(ok);
    seqrt_stream_pool_free(p);
    seqrt_model_free(m);
}

Test(pool_errors, models_that_cannot_stream)
{
    seqrt_stream_pool *p = (seqrt_stream_pool *)1;
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm", .bidirectional = 1}), 1);
    expect_error(seqrt_stream_pool_create(&p, m, reference(), NULL), SEQRT_ERR_UNSUPPORTED, "stream pool",
                 "bidirectional");
    cr_assert_null(p);
    seqrt_model_free(m);
    m = load_model(recurrent_desc((model_opts){.op = "gru", .mean_pool = 1}), 1);
    expect_error(seqrt_stream_pool_create(&p, m, reference(), NULL), SEQRT_ERR_UNSUPPORTED, "mean_pool");
    seqrt_model_free(m);
    expect_error(seqrt_stream_pool_create(&p, NULL, reference(), NULL), SEQRT_ERR_INVALID_ARGUMENT, "NULL");
}
