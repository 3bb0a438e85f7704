/*
 * Sessions: streaming (chunked runs equal the whole run) and caller-owned
 * input and output buffers. The registry, status strings, version, API
 * misuse and threads are in test_api.c; both share session_fixture.h.
 *
 * Models are built by the tests (descriptions as cJSON, weights with fixed
 * pseudo-random values) in a fresh temporary directory, and run on the
 * reference device.
 */
#define _DEFAULT_SOURCE
#include "session_fixture.h"

TestSuite(streaming, .init = setup, .fini = teardown);
TestSuite(buffers, .init = setup, .fini = teardown);

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
