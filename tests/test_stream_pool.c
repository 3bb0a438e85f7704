/*
 * The stream pool (docs/streams.md): on every available device, streams
 * stepped together through one pool give, chunk by chunk, the outputs of a
 * streaming session of batch one of their own fed the same chunks from the
 * same start — bitwise on the reference backend, within the conformance
 * tolerance (atol 1e-4, rtol 1e-3) on the others. The streams start and end
 * at different steps, skip steps, and their chunks differ in length from
 * step to step and from stream to stream. Eviction, save/restore and bad
 * input are in test_stream_pool_errors.c; threads in
 * test_stream_pool_threads.c.
 */
#define _DEFAULT_SOURCE
#include "stream_pool_fixture.h"

TestSuite(stream_pool, .init = setup, .fini = teardown);

/* The script of one stream: active in steps [start, end), skipping a step
 * now and then; its chunk length at step k varies in 1..4. */
static int active(int i, int k, int start, int end) { return k >= start && k < end && (k + i) % 4 != 3; }
static int chunk_len(int i, int k) { return 1 + (k * 7 + i * 3) % 4; }

#define NS 6     /* streams */
#define STEPS 9

static int g_exact_batch;

static void pool_vs_solo(const seqrt_device *dev, model_opts mo, int exact)
{
    seqrt_model *m = load_model(recurrent_desc(mo), 777);
    int lstm = !strcmp(mo.op, "lstm");
    int nst = mo.with_state ? (lstm ? 2 : 1) : 0;
    size_t nin = seqrt_model_input_count(m), nout = seqrt_model_output_count(m);
    seqrt_stream_pool *pool;
    seqrt_stream_pool_options po = {.capacity = 8, .exact_batch = g_exact_batch};
    OK(seqrt_stream_pool_create(&pool, m, dev, &po));
    cr_assert_eq(seqrt_stream_pool_state_count(pool), lstm ? 2u : 1u);
    int start[NS] = {0, 0, 1, 2, 4, 5}, end[NS] = {STEPS, 6, STEPS, 4, STEPS, 8};
    solo so[NS];
    memset(so, 0, sizeof so);
    int32_t ids[NS][4];
    for (int k = 0; k < STEPS; k++) {
        /* streams starting now: their own h0/c0 (non-zero) when wired */
        for (int i = 0; i < NS; i++)
            if (k == start[i]) solo_start(&so[i], pool, m, dev, (uint64_t)(100 + i), nst, 50 + (uint32_t)i);
        uint64_t sid[NS];
        const seqrt_tensor *in[NS * 4];
        seqrt_tensor *chunk[NS];
        size_t n = 0;
        for (int i = 0; i < NS; i++) {
            if (!active(i, k, start[i], end[i])) continue;
            int len = chunk_len(i, k);
            fill_ids(ids[i], (size_t)len, (uint32_t)(1000 * k + i + 1));
            chunk[n] = ids_chunk(m, ids[i], len);
            sid[n] = so[i].id;
            for (size_t q = 0; q < nin; q++) in[n * nin + q] = q ? NULL : chunk[n];
            n++;
        }
        OK(seqrt_stream_pool_step(pool, n, sid, in));
        for (size_t j = 0; j < n; j++) {
            solo *s = &so[sid[j] - 100];
            solo_run(s, m, chunk[j]);
            for (size_t o = 0; o < nout; o++) {
                const seqrt_tensor *got, *want;
                OK(seqrt_stream_pool_output(pool, sid[j], o, &got));
                OK(seqrt_session_output(s->session, o, &want));
                char what[160];
                snprintf(what, sizeof what, "%s, step %d, stream %llu, output '%s'", mo.op, k,
                         (unsigned long long)sid[j], seqrt_model_output_name(m, o));
                expect_tensor(got, want, exact, what);
            }
            seqrt_tensor_free(chunk[j]);
        }
        for (int i = 0; i < NS; i++)
            if (k + 1 == end[i]) {
                OK(seqrt_stream_pool_end(pool, so[i].id));
                solo_free(&so[i]);
            }
    }
    cr_assert_eq(seqrt_stream_pool_open_count(pool), 0u);
    seqrt_stream_pool_free(pool);
    seqrt_model_free(m);
}

static void every_device(model_opts mo)
{
    char specs[8][48];
    size_t n = list_devices(specs, 8);
    cr_assert(n >= 1, "no device (reference missing?)");
    for (size_t d = 0; d < n; d++) {
        const seqrt_device *dev;
        OK(seqrt_device_find(&dev, specs[d]));
        seqrt_device_info di;
        OK(seqrt_device_get_info(dev, &di));
        /* an op a backend does not support is its conformance's business */
        seqrt_model *m = load_model(recurrent_desc(mo), 777);
        seqrt_session *probe = NULL;
        seqrt_status st = seqrt_session_create(&probe, m, dev, NULL);
        seqrt_session_free(probe);
        seqrt_model_free(m);
        if (st == SEQRT_ERR_UNSUPPORTED) {
            cr_log_warn("%s: %s not supported, skipped: %s", specs[d], mo.op, seqrt_last_error());
            continue;
        }
        pool_vs_solo(dev, mo, !strcmp(di.backend, "reference"));
    }
}

Test(stream_pool, lstm_matches_solo_runs) { every_device((model_opts){.op = "lstm"}); }
Test(stream_pool, gru_matches_solo_runs) { every_device((model_opts){.op = "gru"}); }
Test(stream_pool, rnn_matches_solo_runs) { every_device((model_opts){.op = "rnn"}); }
Test(stream_pool, lstm_h0_c0_given_at_start) { every_device((model_opts){.op = "lstm", .with_state = 1}); }
Test(stream_pool, gru_h0_given_at_start) { every_device((model_opts){.op = "gru", .with_state = 1}); }
Test(stream_pool, gru_exact_batches)
{
    g_exact_batch = 1; /* each group at its own batch size, no padding */
    every_device((model_opts){.op = "gru", .with_state = 1});
}
Test(stream_pool, lstm_batch_first) { every_device((model_opts){.op = "lstm", .with_state = 1, .batch_first = 1}); }

/* A hand-derived case, independent of any seqrt run: an rnn of one unit,
 * relu, weight_ih 1, weight_hh 1, no bias, over one-hot inputs is a
 * counter — h_t = h_{t-1} + x_t. Two streams through one pool, chunks of
 * different lengths, must count their own ones. */
Test(stream_pool, counters_by_hand)
{
    cJSON *d = tu_parse("{\"format\": \"seqrt\", \"version\": 1, \"name\": \"counter\","
                        " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 1]}],"
                        " \"layers\": [{\"op\": \"rnn\", \"name\": \"c\", \"inputs\": {\"x\": \"x\"}, \"input_size\": 1,"
                        " \"hidden_size\": 1, \"nonlinearity\": \"relu\", \"bias\": false}],"
                        " \"outputs\": [\"c\", \"c:h_n\"]}");
    char path[1024];
    tu_write_model(g_dir, "counter", d, 0, 0, path, sizeof path);
    cJSON_Delete(d);
    /* weights: 1 and 1 */
    char wpath[1100];
    snprintf(wpath, sizeof wpath, "%s/counter.safetensors", g_dir);
    write_counter_weights(wpath);
    seqrt_model *m;
    OK(seqrt_model_load(&m, path, NULL));
    seqrt_stream_pool *pool;
    OK(seqrt_stream_pool_create(&pool, m, reference(), NULL));
    OK(seqrt_stream_pool_start(pool, 1, NULL, 0));
    OK(seqrt_stream_pool_start(pool, 2, NULL, 0));
    float a[3] = {1, 0, 1}, b[1] = {1};
    seqrt_tensor *ta, *tb;
    OK(seqrt_tensor_wrap(&ta, SEQRT_F32, 3, (int64_t[]){3, 1, 1}, a));
    OK(seqrt_tensor_wrap(&tb, SEQRT_F32, 3, (int64_t[]){1, 1, 1}, b));
    for (int rep = 0; rep < 2; rep++) {
        const seqrt_tensor *in[2] = {ta, tb};
        OK(seqrt_stream_pool_step(pool, 2, (uint64_t[]){1, 2}, in));
    }
    const seqrt_tensor *y1, *y2, *h1;
    OK(seqrt_stream_pool_output(pool, 1, 0, &y1));
    OK(seqrt_stream_pool_output(pool, 2, 0, &y2));
    OK(seqrt_stream_pool_output(pool, 1, 1, &h1));
    const float *p1 = seqrt_tensor_data(y1), *p2 = seqrt_tensor_data(y2);
    cr_assert_eq(seqrt_tensor_dim(y1, 0), 3);
    cr_assert_eq(seqrt_tensor_dim(y1, 1), 1);
    cr_assert(p1[0] == 3 && p1[1] == 3 && p1[2] == 4, "stream 1 counts %g %g %g, expected 3 3 4", p1[0], p1[1], p1[2]);
    cr_assert(p2[0] == 2, "stream 2 counts %g, expected 2", p2[0]);
    cr_assert(*(const float *)seqrt_tensor_data(h1) == 4);
    seqrt_tensor_free(ta);
    seqrt_tensor_free(tb);
    seqrt_stream_pool_free(pool);
    seqrt_model_free(m);
}
