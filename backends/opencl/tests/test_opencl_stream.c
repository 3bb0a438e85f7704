/*
 * Streaming state on the device (backends/opencl/ocl_state.c): a streaming
 * session on OpenCL keeps its carried states in device buffers, so a chunk
 * moves the token ids in and the outputs asked for out, nothing else. The
 * backend logs each run's host <-> device transfers at SEQRT_LOG=debug
 * (set by ctest); these tests read that log (stderr, captured) chunk by
 * chunk and check that
 *   - every run after the first writes one buffer (the tokens) and reads
 *     one (output 0), even where h0/c0 are model inputs, and no state is
 *     read back between chunks;
 *   - a final state (h_n, c_n) crosses only when asked for, once, and
 *     equals the state a session with the core's host copies computes
 *     (SEQRT_STREAM_STATE=host), bitwise: the same kernels on the same
 *     values; both agree with the reference within the conformance
 *     tolerance;
 *   - a reset mid-stream starts again from the initial states, and a bound
 *     final state is read on every run; a refused chunk leaves the state as
 *     it was, and after a reset the batch size may change;
 *   - a stream pool keeps its streams' states on the device too: a step
 *     moves the group's tokens in and output 0 out, a final state or a
 *     get_state reads one row when asked, and the outputs equal a pool's
 *     with host copies bitwise; get_state / set_state mid-stream restore a
 *     stream exactly.
 * Device opencl:0: PoCL, or rusticl under tests/with_rusticl.sh.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "stream_pool_fixture.h"

TestSuite(opencl_stream, .init = setup, .fini = teardown);

static const seqrt_device *opencl(void)
{
    const seqrt_device *dev = NULL;
    OK(seqrt_device_find(&dev, "opencl:0"));
    return dev;
}

/* ------------------------------------------------------------ the log */

static int g_saved = -1;
static char g_log_path[600];

static void capture_begin(void)
{
    fflush(stderr);
    snprintf(g_log_path, sizeof g_log_path, "%s/log.txt", g_dir);
    int fd = open(g_log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0, "cannot create %s", g_log_path);
    g_saved = dup(2);
    dup2(fd, 2);
    close(fd);
}

/* What the backend logged since capture_begin: its transfers per run. */
typedef struct moved {
    int runs;                 /* "opencl: run:" lines */
    unsigned to_dev, to_host; /* their sums */
    int state_reads, state_writes, state_zeros;
    int row_reads, row_writes;  /* a stream pool's rows */
} moved;

static moved capture_end(void)
{
    fflush(stderr);
    dup2(g_saved, 2);
    close(g_saved);
    moved r = {0};
    FILE *f = fopen(g_log_path, "r");
    cr_assert(f, "cannot read %s", g_log_path);
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        unsigned a, b;
        size_t ba, bb;
        const char *p = strstr(line, "opencl: run: ");
        if (p && sscanf(p, "opencl: run: %u host->device transfer(s) of %zu bytes, %u device->host of %zu bytes", &a,
                        &ba, &b, &bb) == 4) {
            r.runs++;
            r.to_dev += a;
            r.to_host += b;
        }
        if (strstr(line, "opencl: streaming state '") && strstr(line, "read from the device")) r.state_reads++;
        if (strstr(line, "opencl: streaming state '") && strstr(line, "written to the device")) r.state_writes++;
        if (strstr(line, "opencl: streaming state '") && strstr(line, "zeroed on the device")) r.state_zeros++;
        if (strstr(line, "opencl: stream pool state '") && strstr(line, "read from the device")) r.row_reads++;
        if (strstr(line, "opencl: stream pool state '") && strstr(line, "written to the device")) r.row_writes++;
    }
    fclose(f);
    return r;
}

/* ------------------------------------------------------------ helpers */

static seqrt_session *streaming_session(const seqrt_model *m, const seqrt_device *dev, int host_state)
{
    if (host_state) setenv("SEQRT_STREAM_STATE", "host", 1);
    seqrt_session_options so = {.streaming = 1};
    seqrt_session *s;
    seqrt_status st = seqrt_session_create(&s, m, dev, &so);
    unsetenv("SEQRT_STREAM_STATE");
    OK(st);
    return s;
}

static void run_ids(seqrt_session *s, const int32_t *ids, int len, int B, seqrt_tensor *const *extra, int nextra)
{
    seqrt_tensor *x;
    OK(seqrt_tensor_wrap(&x, SEQRT_I32, 2, (int64_t[]){len, B}, (void *)ids));
    const seqrt_tensor *in[3] = {x, nextra > 0 ? extra[0] : NULL, nextra > 1 ? extra[1] : NULL};
    OK(seqrt_session_run(s, in, (size_t)(1 + nextra)));
    seqrt_tensor_free(x);
}

static const seqrt_tensor *output(seqrt_session *s, size_t o)
{
    const seqrt_tensor *t;
    OK(seqrt_session_output(s, o, &t));
    return t;
}

static void expect_same(const seqrt_tensor *got, const seqrt_tensor *want, const char *what)
{
    cr_assert_eq(seqrt_tensor_count(got), seqrt_tensor_count(want), "%s: element count", what);
    cr_assert(!memcmp(seqrt_tensor_data(got), seqrt_tensor_data(want), seqrt_tensor_count(want) * sizeof(float)),
              "%s: not bitwise equal", what);
}

static void expect_near(const seqrt_tensor *got, const seqrt_tensor *want, const char *what)
{
    const float *a = seqrt_tensor_data(got), *b = seqrt_tensor_data(want);
    cr_assert_eq(seqrt_tensor_count(got), seqrt_tensor_count(want), "%s: element count", what);
    for (size_t i = 0; i < seqrt_tensor_count(want); i++)
        cr_assert(fabs(a[i] - b[i]) <= 1e-4 + 1e-3 * fabs(b[i]), "%s[%zu]: %.9g, reference %.9g", what, i, a[i], b[i]);
}

/* ------------------------------------------------------------ sessions */

/* Chunks of 1 and 2 steps through three streaming sessions: OpenCL with
 * the state on the device (dev), OpenCL with the core's host copies
 * (host), the reference (ref); a reset of all three mid-stream. */
static void stream_case(model_opts mo)
{
    seqrt_model *m = load_model(recurrent_desc(mo), 4242);
    int lstm = !strcmp(mo.op, "lstm");
    int nst = lstm ? 2 : 1, nextra = mo.with_state ? nst : 0;
    size_t nout = seqrt_model_output_count(m);
    seqrt_tensor *extra[2] = {NULL, NULL};
    uint32_t seed = 31;
    for (int k = 0; k < nextra; k++) {
        OK(seqrt_tensor_create(&extra[k], SEQRT_F32, 3, (int64_t[]){NL, B_ALL, H}));
        float *p = seqrt_tensor_data(extra[k]);
        for (size_t i = 0; i < seqrt_tensor_count(extra[k]); i++) p[i] = tu_rand(&seed, 0.8f);
    }
    int32_t ids[T_ALL * B_ALL];
    fill_ids(ids, T_ALL * B_ALL, 99);
    seqrt_session *dev = streaming_session(m, opencl(), 0), *host = streaming_session(m, opencl(), 1),
                  *ref = streaming_session(m, reference(), 0);
    int chunk = 0;
    for (int t0 = 0; t0 < T_ALL; chunk++) {
        int len = chunk % 3 == 2 ? 2 : 1, fresh = t0 == 0 || t0 == 10;
        if (t0 + len > T_ALL) len = T_ALL - t0;
        if (t0 == 10) { /* mid-stream: every session starts again from the initial states */
            OK(seqrt_session_reset(dev));
            OK(seqrt_session_reset(host));
            OK(seqrt_session_reset(ref));
        }
        const int32_t *x = ids + (size_t)t0 * B_ALL;
        capture_begin();
        run_ids(dev, x, len, B_ALL, extra, nextra);
        const seqrt_tensor *out0 = output(dev, 0);
        moved mv = capture_end();
        char what[128];
        snprintf(what, sizeof what, "%s%s, chunk %d (steps %d..%d)", mo.op, mo.with_state ? " with h0" : "", chunk, t0,
                 t0 + len - 1);
        cr_assert_eq(mv.runs, 1, "%s: %d runs logged (SEQRT_LOG=debug?)", what, mv.runs);
        cr_assert_eq(mv.to_dev, 1u, "%s: %u host->device transfers; only the tokens should move", what, mv.to_dev);
        cr_assert_eq(mv.to_host, 1u, "%s: %u device->host transfers; only output 0 should move", what, mv.to_host);
        cr_assert_eq(mv.state_reads, 0, "%s: a state was read back between chunks", what);
        /* fresh runs set every state: from h0/c0 when wired, else zeros */
        cr_assert_eq(mv.state_writes, fresh && nextra ? nst : 0, "%s: states written", what);
        cr_assert_eq(mv.state_zeros, fresh && !nextra ? nst : 0, "%s: states zeroed", what);
        run_ids(host, x, len, B_ALL, extra, nextra);
        run_ids(ref, x, len, B_ALL, extra, nextra);
        expect_same(out0, output(host, 0), what); /* vs the core's host copies of the state */
        expect_near(out0, output(ref, 0), what);
        if (chunk % 4 == 3 || t0 + len == T_ALL) { /* the final states, asked for: read once each */
            capture_begin();
            for (size_t o = 1; o < nout; o++) output(dev, o);
            for (size_t o = 1; o < nout; o++) output(dev, o); /* already on the host */
            mv = capture_end();
            cr_assert_eq(mv.state_reads, (int)nout - 1, "%s: %d state reads for %zu final states", what,
                         mv.state_reads, nout - 1);
            for (size_t o = 1; o < nout; o++) {
                expect_same(output(dev, o), output(host, o), what);
                expect_near(output(dev, o), output(ref, o), what);
            }
        }
        t0 += len;
    }
    seqrt_session_free(dev);
    seqrt_session_free(host);
    seqrt_session_free(ref);
    for (int k = 0; k < 2; k++) seqrt_tensor_free(extra[k]);
    seqrt_model_free(m);
}

Test(opencl_stream, lstm_state_stays_on_the_device) { stream_case((model_opts){.op = "lstm"}); }
Test(opencl_stream, lstm_with_h0_c0_inputs) { stream_case((model_opts){.op = "lstm", .with_state = 1}); }
Test(opencl_stream, gru_with_h0_input) { stream_case((model_opts){.op = "gru", .with_state = 1}); }

/* A final state bound to a caller's buffer is written on every run (read
 * with the outputs), the others still stay. */
Test(opencl_stream, bound_final_state_read_every_run)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 77);
    seqrt_session *dev = streaming_session(m, opencl(), 0), *host = streaming_session(m, opencl(), 1);
    seqrt_tensor *hn;
    OK(seqrt_tensor_create(&hn, SEQRT_F32, 3, (int64_t[]){NL, B_ALL, H}));
    OK(seqrt_session_bind_output(dev, 1, hn));
    int32_t ids[T_ALL * B_ALL];
    fill_ids(ids, T_ALL * B_ALL, 5);
    for (int t = 0; t < 5; t++) {
        capture_begin();
        run_ids(dev, ids + t * B_ALL, 1, B_ALL, NULL, 0);
        moved mv = capture_end();
        cr_assert_eq(mv.to_host, 2u, "step %d: %u device->host transfers; output 0 and the bound h_n", t, mv.to_host);
        run_ids(host, ids + t * B_ALL, 1, B_ALL, NULL, 0);
        expect_same(hn, output(host, 1), "bound h_n");
        expect_same(output(dev, 2), output(host, 2), "c_n");
    }
    seqrt_tensor_free(hn);
    seqrt_session_free(dev);
    seqrt_session_free(host);
    seqrt_model_free(m);
}

/* ------------------------------------------------------------ stream pool */

/* Mid-stream: the states saved after 3 chunks, 2 more chunks, the states
 * set back, the same 2 chunks again: the same outputs, bitwise. */
Test(opencl_stream, pool_get_set_state_mid_stream)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 9);
    seqrt_stream_pool *pool;
    OK(seqrt_stream_pool_create(&pool, m, opencl(), NULL));
    OK(seqrt_stream_pool_start(pool, 7, NULL, 0));
    OK(seqrt_stream_pool_start(pool, 8, NULL, 0));
    uint64_t sid[2] = {7, 8};
    int32_t ids[7][2];
    for (int k = 0; k < 7; k++) fill_ids(ids[k], 2, (uint32_t)(k + 1));
    seqrt_tensor *saved[2], *first[2][2] = {{NULL}};
    for (int q = 0; q < 2; q++) OK(seqrt_tensor_create(&saved[q], SEQRT_F32, 3, (int64_t[]){NL, 1, H}));
    for (int k = 0; k < 7; k++) {
        if (k == 3)
            for (int q = 0; q < 2; q++) OK(seqrt_stream_pool_get_state(pool, 7, (size_t)q, saved[q]));
        if (k == 5)
            for (int q = 0; q < 2; q++) OK(seqrt_stream_pool_set_state(pool, 7, (size_t)q, saved[q]));
        int r = k < 5 ? k : k - 2; /* steps 5 and 6 repeat the chunks of steps 3 and 4 */
        seqrt_tensor *c0 = ids_chunk(m, &ids[r][0], 1), *c1 = ids_chunk(m, &ids[k][1], 1);
        const seqrt_tensor *in[2] = {c0, c1};
        OK(seqrt_stream_pool_step(pool, 2, sid, in));
        const seqrt_tensor *got;
        OK(seqrt_stream_pool_output(pool, 7, 0, &got));
        if (k == 3 || k == 4) {
            OK(seqrt_tensor_create(&first[k - 3][0], SEQRT_F32, seqrt_tensor_rank(got),
                                   (int64_t[]){seqrt_tensor_dim(got, 0), 1, V}));
            memcpy(seqrt_tensor_data(first[k - 3][0]), seqrt_tensor_data(got), seqrt_tensor_count(got) * 4);
        }
        if (k >= 5) expect_same(got, first[k - 5][0], "stream 7 after set_state");
        seqrt_tensor_free(c0);
        seqrt_tensor_free(c1);
    }
    for (int q = 0; q < 2; q++) seqrt_tensor_free(saved[q]);
    for (int k = 0; k < 2; k++) seqrt_tensor_free(first[k][0]);
    seqrt_stream_pool_free(pool);
    seqrt_model_free(m);
}

/* Steps of one token for 3 streams (a batch padded to 4), then 2 of them:
 * one transfer each way per step; h_n read when asked for, once. */
Test(opencl_stream, pool_states_stay_on_the_device)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "lstm"}), 21);
    seqrt_stream_pool *dev, *host;
    OK(seqrt_stream_pool_create(&dev, m, opencl(), NULL));
    setenv("SEQRT_STREAM_STATE", "host", 1);
    seqrt_status st = seqrt_stream_pool_create(&host, m, opencl(), NULL);
    unsetenv("SEQRT_STREAM_STATE");
    OK(st);
    uint64_t sid[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        OK(seqrt_stream_pool_start(dev, sid[i], NULL, 0));
        OK(seqrt_stream_pool_start(host, sid[i], NULL, 0));
    }
    for (int k = 0; k < 6; k++) {
        size_t n = k < 4 ? 3 : 2; /* then streams 1 and 2 only */
        int32_t ids[3];
        fill_ids(ids, 3, (uint32_t)(k + 40));
        seqrt_tensor *c[3];
        const seqrt_tensor *in[3];
        for (size_t j = 0; j < n; j++) in[j] = c[j] = ids_chunk(m, &ids[j], 1);
        capture_begin();
        OK(seqrt_stream_pool_step(dev, n, sid, in));
        moved mv = capture_end();
        cr_assert_eq(mv.runs, 1, "step %d: %d runs logged (SEQRT_LOG=debug?)", k, mv.runs);
        cr_assert_eq(mv.to_dev, 1u, "step %d: %u host->device transfers; only the tokens should move", k, mv.to_dev);
        cr_assert_eq(mv.to_host, 1u, "step %d: %u device->host transfers; only output 0 should move", k, mv.to_host);
        cr_assert_eq(mv.row_reads + mv.row_writes, 0, "step %d: a state crossed", k);
        OK(seqrt_stream_pool_step(host, n, sid, in));
        for (size_t j = 0; j < n; j++) {
            const seqrt_tensor *a, *b;
            char what[64];
            OK(seqrt_stream_pool_output(dev, sid[j], 0, &a));
            OK(seqrt_stream_pool_output(host, sid[j], 0, &b));
            snprintf(what, sizeof what, "step %d, stream %llu, output 0", k, (unsigned long long)sid[j]);
            expect_same(a, b, what);
            if (k % 2) continue;
            capture_begin();
            OK(seqrt_stream_pool_output(dev, sid[j], 1, &a));
            OK(seqrt_stream_pool_output(dev, sid[j], 1, &a)); /* already on the host */
            mv = capture_end();
            cr_assert_eq(mv.row_reads, 1, "%s: h_n took %d row reads", what, mv.row_reads);
            OK(seqrt_stream_pool_output(host, sid[j], 1, &b));
            expect_same(a, b, "h_n");
            seqrt_tensor_free(c[j]);
        }
        if (k % 2)
            for (size_t j = 0; j < n; j++) seqrt_tensor_free(c[j]);
    }
    seqrt_stream_pool_free(dev);
    seqrt_stream_pool_free(host);
    seqrt_model_free(m);
}

/* A chunk refused (an id outside the vocabulary) or of another batch size
 * leaves the state on the device as it was; after a reset the batch may
 * change (the state buffers are set afresh at the new size). */
Test(opencl_stream, refused_chunk_and_batch_change)
{
    seqrt_model *m = load_model(recurrent_desc((model_opts){.op = "gru"}), 8);
    seqrt_session *dev = streaming_session(m, opencl(), 0), *host = streaming_session(m, opencl(), 1);
    int32_t ids[T_ALL * B_ALL], bad[B_ALL] = {1, V, 2};
    fill_ids(ids, T_ALL * B_ALL, 17);
    seqrt_tensor *xb, *x2;
    OK(seqrt_tensor_wrap(&xb, SEQRT_I32, 2, (int64_t[]){1, B_ALL}, bad));
    OK(seqrt_tensor_wrap(&x2, SEQRT_I32, 2, (int64_t[]){1, 2}, ids));
    const seqrt_tensor *inb[1] = {xb}, *in2[1] = {x2};
    for (int t = 0; t < 6; t++) {
        if (t == 2) {
            cr_assert_eq(seqrt_session_run(dev, inb, 1), SEQRT_ERR_RANGE);
            cr_assert_eq(seqrt_session_run(dev, in2, 1), SEQRT_ERR_SHAPE);
        }
        run_ids(dev, ids + t * B_ALL, 1, B_ALL, NULL, 0);
        run_ids(host, ids + t * B_ALL, 1, B_ALL, NULL, 0);
        expect_same(output(dev, 0), output(host, 0), "after a refused chunk");
        expect_same(output(dev, 1), output(host, 1), "h_n after a refused chunk");
    }
    OK(seqrt_session_reset(dev));
    OK(seqrt_session_reset(host));
    for (int t = 0; t < 3; t++) {
        run_ids(dev, ids + t * 2, 1, 2, NULL, 0);
        run_ids(host, ids + t * 2, 1, 2, NULL, 0);
        expect_same(output(dev, 0), output(host, 0), "batch 2 after a reset");
        expect_same(output(dev, 1), output(host, 1), "h_n, batch 2 after a reset");
    }
    seqrt_tensor_free(xb);
    seqrt_tensor_free(x2);
    seqrt_session_free(dev);
    seqrt_session_free(host);
    seqrt_model_free(m);
}
