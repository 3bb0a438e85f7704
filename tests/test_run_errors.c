/*
 * Run-time errors: each test opens a session on a good model and feeds it
 * one broken input (wrong rank, dims, dtype, ids out of range, lengths) or
 * one broken .npy file, and checks the status code and that
 * seqrt_last_error() names what is wrong. The load-time errors are in
 * test_model_errors.c; both share errors_fixture.h. Runs under ASan/LSan
 * too: nothing may leak on any error path.
 */
#define _DEFAULT_SOURCE
#include "errors_fixture.h"

TestSuite(run_errors, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ run time */

/* Loads `desc` (weights generated) and opens a session on the reference device. */
static void open_session(cJSON *desc)
{
    cr_assert_eq(load_desc(desc, 1), SEQRT_OK, "%s", seqrt_last_error());
    const seqrt_device *dev = NULL;
    cr_assert_eq(seqrt_device_find(&dev, "reference"), SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(seqrt_session_create(&g_sess, g_model, dev, NULL), SEQRT_OK, "%s", seqrt_last_error());
}

static seqrt_status run1(seqrt_tensor *a)
{
    const seqrt_tensor *in[1] = {a};
    return seqrt_session_run(g_sess, in, 1);
}

static seqrt_status run2(seqrt_tensor *a, seqrt_tensor *b)
{
    const seqrt_tensor *in[2] = {a, b};
    return seqrt_session_run(g_sess, in, 2);
}

static const char *const LENGTHS_DESC =
    "{\"format\": \"seqrt\", \"version\": 1,"
    " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 4]},"
    "            {\"name\": \"lengths\", \"dtype\": \"int32\", \"shape\": [\"B\"]}],"
    " \"layers\": [{\"op\": \"lstm\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\", \"lengths\": \"lengths\"},"
    "              \"input_size\": 4, \"hidden_size\": 8}],"
    " \"outputs\": [\"rnn\", \"rnn:h_n\"]}";

Test(run_errors, run_valid_base)
{
    open_session(base());
    int32_t ids[6] = {0, 1, 2, 3, 4, 9};
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_I32, 2, (int64_t[]){3, 2}, ids), SEQRT_OK);
    seqrt_status st = run1(t);
    seqrt_tensor_free(t);
    cr_assert_eq(st, SEQRT_OK, "%s", seqrt_last_error());
}

Test(run_errors, run_id_outside_vocabulary)
{
    open_session(base());
    int32_t ids[6] = {0, 1, 2, 3, 4, 5};
    ids[5] = 10; /* at [2, 1] of a [3, 2] input */
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_I32, 2, (int64_t[]){3, 2}, ids), SEQRT_OK);
    seqrt_status st = run1(t);
    seqrt_tensor_free(t);
    expect_error(st, SEQRT_ERR_RANGE, "layer 'embed'", "id 10", "'tokens'", "[2, 1]", "[0, 10)");
}

Test(run_errors, run_negative_id)
{
    open_session(base());
    int32_t ids[6] = {0, 1, -3, 3, 4, 5}; /* at [1, 0] */
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_I32, 2, (int64_t[]){3, 2}, ids), SEQRT_OK);
    seqrt_status st = run1(t);
    seqrt_tensor_free(t);
    expect_error(st, SEQRT_ERR_RANGE, "layer 'embed'", "id -3", "[1, 0]");
}

Test(run_errors, run_one_hot_index_not_below_depth)
{
    cJSON *d = tu_parse(
        "{\"format\": \"seqrt\", \"version\": 1,"
        " \"inputs\": [{\"name\": \"ids\", \"dtype\": \"int32\", \"shape\": [\"T\", \"B\"]}],"
        " \"layers\": [{\"op\": \"one_hot\", \"name\": \"oh\", \"inputs\": {\"x\": \"ids\"}, \"depth\": 5}],"
        " \"outputs\": [\"oh\"]}");
    open_session(d);
    int32_t ids[4] = {0, 4, 5, 1}; /* 5 at [1, 0] of [2, 2] */
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_I32, 2, (int64_t[]){2, 2}, ids), SEQRT_OK);
    seqrt_status st = run1(t);
    seqrt_tensor_free(t);
    expect_error(st, SEQRT_ERR_RANGE, "layer 'oh'", "index 5", "[1, 0]", "[0, 5)");
}

static seqrt_status run_lengths(int64_t T, int64_t B, int64_t nlen, const int32_t *len)
{
    float *x = calloc((size_t)(T * B * 4), sizeof(float));
    seqrt_tensor *tx, *tl;
    cr_assert_eq(seqrt_tensor_wrap(&tx, SEQRT_F32, 3, (int64_t[]){T, B, 4}, x), SEQRT_OK);
    cr_assert_eq(seqrt_tensor_wrap(&tl, SEQRT_I32, 1, (int64_t[]){nlen}, (void *)len), SEQRT_OK);
    seqrt_status st = run2(tx, tl);
    seqrt_tensor_free(tx);
    seqrt_tensor_free(tl);
    free(x);
    return st;
}

Test(run_errors, run_lengths_valid)
{
    open_session(tu_parse(LENGTHS_DESC));
    cr_assert_eq(run_lengths(5, 3, 3, (int32_t[]){5, 0, 2}), SEQRT_OK, "%s", seqrt_last_error());
}

Test(run_errors, run_length_above_t)
{
    open_session(tu_parse(LENGTHS_DESC));
    expect_error(run_lengths(5, 3, 3, (int32_t[]){5, 6, 2}), SEQRT_ERR_RANGE, "layer 'rnn'", "length 6",
                 "'lengths'", "[1]", "[0, 5]");
}

Test(run_errors, run_length_negative)
{
    open_session(tu_parse(LENGTHS_DESC));
    expect_error(run_lengths(5, 3, 3, (int32_t[]){5, 1, -1}), SEQRT_ERR_RANGE, "layer 'rnn'", "length -1",
                 "'lengths'", "[2]");
}

Test(run_errors, run_batch_symbol_disagrees)
{
    open_session(tu_parse(LENGTHS_DESC));
    expect_error(run_lengths(5, 3, 4, (int32_t[]){1, 1, 1, 1}), SEQRT_ERR_SHAPE, "'lengths'", "[4]", "B = 3");
}

Test(run_errors, run_float_ids)
{
    open_session(base());
    float ids[6] = {0};
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_F32, 2, (int64_t[]){3, 2}, ids), SEQRT_OK);
    seqrt_status st = run1(t);
    seqrt_tensor_free(t);
    expect_error(st, SEQRT_ERR_SHAPE, "'tokens'", "int32", "float32");
}

Test(run_errors, run_int32_for_float_input)
{
    open_session(tu_parse(LENGTHS_DESC));
    int32_t x[5 * 3 * 4] = {0};
    seqrt_tensor *tx, *tl;
    cr_assert_eq(seqrt_tensor_wrap(&tx, SEQRT_I32, 3, (int64_t[]){5, 3, 4}, x), SEQRT_OK);
    cr_assert_eq(seqrt_tensor_wrap(&tl, SEQRT_I32, 1, (int64_t[]){3}, (int32_t[]){1, 2, 3}), SEQRT_OK);
    seqrt_status st = run2(tx, tl);
    seqrt_tensor_free(tx);
    seqrt_tensor_free(tl);
    expect_error(st, SEQRT_ERR_SHAPE, "input 'x'", "float32", "int32");
}

Test(run_errors, run_wrong_rank)
{
    open_session(base());
    int32_t ids[6] = {0};
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_I32, 3, (int64_t[]){3, 2, 1}, ids), SEQRT_OK);
    seqrt_status st = run1(t);
    seqrt_tensor_free(t);
    expect_error(st, SEQRT_ERR_SHAPE, "'tokens'", "[3, 2, 1]", "[T, B]", "rank 2");
}

Test(run_errors, run_declared_dim_mismatch)
{
    open_session(tu_parse(LENGTHS_DESC));
    float x[5 * 3 * 5] = {0};
    seqrt_tensor *tx, *tl;
    cr_assert_eq(seqrt_tensor_wrap(&tx, SEQRT_F32, 3, (int64_t[]){5, 3, 5}, x), SEQRT_OK);
    cr_assert_eq(seqrt_tensor_wrap(&tl, SEQRT_I32, 1, (int64_t[]){3}, (int32_t[]){1, 2, 3}), SEQRT_OK);
    seqrt_status st = run2(tx, tl);
    seqrt_tensor_free(tx);
    seqrt_tensor_free(tl);
    expect_error(st, SEQRT_ERR_SHAPE, "'x'", "[5, 3, 5]", "[T, B, 4]", "dim 2");
}

Test(run_errors, run_empty_dim)
{
    open_session(base());
    int32_t ids[1] = {0};
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_I32, 2, (int64_t[]){0, 2}, ids), SEQRT_OK);
    seqrt_status st = run1(t);
    seqrt_tensor_free(t);
    expect_error(st, SEQRT_ERR_SHAPE, "'tokens'", "[0, 2]", "dim 0");
}

Test(run_errors, run_wrong_input_count)
{
    open_session(tu_parse(LENGTHS_DESC));
    float x[5 * 3 * 4] = {0};
    seqrt_tensor *tx;
    cr_assert_eq(seqrt_tensor_wrap(&tx, SEQRT_F32, 3, (int64_t[]){5, 3, 4}, x), SEQRT_OK);
    seqrt_status st = run1(tx);
    seqrt_tensor_free(tx);
    expect_error(st, SEQRT_ERR_INVALID_ARGUMENT, "2 input", "1 given");
}

Test(run_errors, run_null_input)
{
    open_session(tu_parse(LENGTHS_DESC));
    float x[5 * 3 * 4] = {0};
    seqrt_tensor *tx;
    cr_assert_eq(seqrt_tensor_wrap(&tx, SEQRT_F32, 3, (int64_t[]){5, 3, 4}, x), SEQRT_OK);
    seqrt_status st = run2(tx, NULL);
    seqrt_tensor_free(tx);
    expect_error(st, SEQRT_ERR_INVALID_ARGUMENT, "'lengths'");
}

Test(run_errors, run_int64_ids_beyond_int32)
{
    cJSON *d = base();
    tu_set(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "inputs"), 0), "dtype",
           cJSON_CreateString("int64"));
    open_session(d);
    int64_t ids[4] = {1, 2, (int64_t)1 << 32, 3};
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_I64, 2, (int64_t[]){2, 2}, ids), SEQRT_OK);
    seqrt_status st = run1(t);
    expect_error(st, SEQRT_ERR_RANGE, "'tokens'", "4294967296", "int32");
    /* the same input within int32 runs, and an int64 id past the vocabulary
     * is a range error naming it like an int32 one */
    ids[2] = 7;
    cr_assert_eq(run1(t), SEQRT_OK, "%s", seqrt_last_error());
    ids[2] = 10;
    st = run1(t);
    seqrt_tensor_free(t);
    expect_error(st, SEQRT_ERR_RANGE, "layer 'embed'", "id 10", "[1, 0]");
}

Test(run_errors, run_error_then_valid_run)
{
    /* a failed run leaves the session usable */
    open_session(base());
    int32_t ids[6] = {0, 1, 2, 3, 4, 99};
    seqrt_tensor *t;
    cr_assert_eq(seqrt_tensor_wrap(&t, SEQRT_I32, 2, (int64_t[]){3, 2}, ids), SEQRT_OK);
    cr_assert_eq(run1(t), SEQRT_ERR_RANGE);
    ids[5] = 9;
    seqrt_status st = run1(t);
    seqrt_tensor_free(t);
    cr_assert_eq(st, SEQRT_OK, "%s", seqrt_last_error());
    const seqrt_tensor *o;
    cr_assert_eq(seqrt_session_output(g_sess, 0, &o), SEQRT_OK);
    cr_assert_eq(seqrt_tensor_dim(o, 0), 3);
    cr_assert_eq(seqrt_tensor_dim(o, 1), 2);
    cr_assert_eq(seqrt_tensor_dim(o, 2), 10);
}

/* ------------------------------------------------------------ .npy */

/* A version 1.0 .npy header for `descr` and `shape`, padded to 128 bytes. */
static size_t npy_header(uint8_t *buf, const char *descr, const char *shape)
{
    char dict[128];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t hlen = 128 - 10;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)hlen;
    buf[9] = 0;
    memset(buf + 10, ' ', hlen);
    memcpy(buf + 10, dict, (size_t)n);
    buf[10 + hlen - 1] = '\n';
    return 128;
}

Test(run_errors, npy_truncated_data)
{
    uint8_t buf[128 + 16];
    size_t h = npy_header(buf, "<f4", "(4,)");
    memset(buf + h, 0, 16);
    char path[1100];
    snprintf(path, sizeof path, "%s/x.npy", g_dir);
    /* the full file loads */
    tu_write(path, buf, h + 16);
    seqrt_tensor *t = (seqrt_tensor *)(uintptr_t)0x1;
    cr_assert_eq(seqrt_tensor_load_npy(&t, path), SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(seqrt_tensor_count(t), 4);
    seqrt_tensor_free(t);
    /* half of its data does not */
    tu_write(path, buf, h + 8);
    t = (seqrt_tensor *)(uintptr_t)0x1;
    seqrt_status st = seqrt_tensor_load_npy(&t, path);
    cr_assert_null(t);
    expect_error(st, SEQRT_ERR_PARSE, "x.npy", "truncated");
}

Test(run_errors, npy_truncated_header)
{
    uint8_t buf[128];
    npy_header(buf, "<f4", "(4,)");
    char path[1100];
    snprintf(path, sizeof path, "%s/x.npy", g_dir);
    tu_write(path, buf, 60); /* cut inside the header dict */
    seqrt_tensor *t = NULL;
    expect_error(seqrt_tensor_load_npy(&t, path), SEQRT_ERR_PARSE, "x.npy", "header");
    cr_assert_null(t);
}

Test(run_errors, npy_unsupported_dtype)
{
    uint8_t buf[128 + 32];
    size_t h = npy_header(buf, "<f8", "(4,)");
    memset(buf + h, 0, 32);
    char path[1100];
    snprintf(path, sizeof path, "%s/x.npy", g_dir);
    tu_write(path, buf, h + 32);
    seqrt_tensor *t = NULL;
    expect_error(seqrt_tensor_load_npy(&t, path), SEQRT_ERR_PARSE, "x.npy", "<f8");
    cr_assert_null(t);
}

Test(run_errors, npy_missing_file)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/absent.npy", g_dir);
    seqrt_tensor *t = NULL;
    expect_error(seqrt_tensor_load_npy(&t, path), SEQRT_ERR_IO, path);
}
