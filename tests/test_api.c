/*
 * The API around sessions: the backend registry and SEQRT_BACKEND, status
 * strings and the version, API misuse (NULL arguments, last_error), and one
 * model shared by threads. Streaming and buffers are in test_session.c;
 * both share session_fixture.h.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>

#include "session_fixture.h"

TestSuite(registry);
TestSuite(api, .init = setup, .fini = teardown);
TestSuite(threads, .init = setup, .fini = teardown);

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
