/*
 * Format 1.2's precisions at load (docs/model-format/quantization.md): the
 * bad inputs of issue 14 (scales zero, negative, NaN or of the wrong count,
 * zero points, an I8 tensor without its scale, a precision the op cannot
 * take, int8_rule missing or unknown), each refused naming the layer and
 * tensor or field, and the accepted forms checked on the reference against
 * hand-derived values: an int8-dynamic linear, a bf16 linear (weights
 * rounded to bf16), and the widened run (session option and
 * SEQRT_PRECISION=f32) computing f32 from the dequantized weights.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqrt.h"
#include "test_util.h"

static char g_dir[512];
static char g_json[1024];
static seqrt_model *g_model;

static void setup(void)
{
    cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0, "mkdtemp failed");
    g_model = NULL;
    unsetenv("SEQRT_PRECISION");
}

static void teardown(void)
{
    seqrt_model_free(g_model);
    g_model = NULL;
    tu_rmtree(g_dir);
    unsetenv("SEQRT_PRECISION");
}

TestSuite(model_errors_v12, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ helpers */

/* Appends a tensor of any dtype (raw little-endian bytes) to b. */
static void add_raw(tu_st *b, const char *name, const char *dtype, int rank, const int64_t *dims, const void *bytes,
                    size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, bytes, n);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "dtype", dtype);
    cJSON *shape = cJSON_AddArrayToObject(e, "shape");
    for (int i = 0; i < rank; i++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)dims[i]));
    cJSON *off = cJSON_AddArrayToObject(e, "data_offsets");
    cJSON_AddItemToArray(off, cJSON_CreateNumber((double)b->len));
    cJSON_AddItemToArray(off, cJSON_CreateNumber((double)(b->len + n)));
    cJSON_AddItemToObject(b->header, name, e);
    b->len += n;
}

/* fc.weight I8 [3, 4]: row r is (2, r, -1, 0); the rest as the test says. */
static const int8_t Q[12] = {2, 0, -1, 0, 2, 1, -1, 0, 2, 2, -1, 0};
static const float BIAS[3] = {0.25f, -0.5f, 0.0f};

static void add_q(tu_st *b)
{
    int64_t d[2] = {3, 4};
    add_raw(b, "fc.weight", "I8", 2, d, Q, sizeof Q);
}

static void add_scale(tu_st *b, const char *name, int n, const float *v)
{
    int64_t d[1] = {n};
    tu_st_add(b, name, 1, d, v, NULL, 0);
}

static void add_bias(tu_st *b)
{
    int64_t d[1] = {3};
    tu_st_add(b, "fc.bias", 1, d, BIAS, NULL, 0);
}

/* A description of one linear layer fc (4 -> 3) over x [T, B, 4] at
 * `version`, with `top` extra top-level members and `attrs` layer members. */
static char *desc_text(const char *version, const char *top, const char *attrs)
{
    static char text[2048];
    snprintf(text, sizeof text,
             "{\"format\": \"seqrt\", \"version\": %s%s%s,"
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 4]}],"
             " \"layers\": [{\"op\": \"linear\", \"name\": \"fc\", \"inputs\": {\"x\": \"x\"},"
             "  \"in_features\": 4, \"out_features\": 3%s%s}],"
             " \"outputs\": [\"fc\"]}",
             version, *top ? ", " : "", top, *attrs ? ", " : "", attrs);
    return text;
}

/* Writes `text` and the weights `b` (freed) and loads them. */
static seqrt_status load_with(const char *text, tu_st *b)
{
    char wpath[1100];
    snprintf(g_json, sizeof g_json, "%s/model.json", g_dir);
    snprintf(wpath, sizeof wpath, "%s/model.safetensors", g_dir);
    cr_assert_eq(tu_st_write(b, wpath), 0);
    tu_st_free(b);
    tu_write(g_json, text, strlen(text));
    seqrt_model *m = (seqrt_model *)(uintptr_t)0x1;
    seqrt_status st = seqrt_model_load(&m, g_json, NULL);
    if (st != SEQRT_OK) {
        cr_assert_null(m, "a failed load left the model non-NULL");
    } else {
        seqrt_model_free(g_model);
        g_model = m;
    }
    return st;
}

#define INT8_TOP "\"precision\": \"int8-dynamic\", \"int8_rule\": \"qnnpack\""

/* The int8 linear with a per-tensor scale of `scale` entries. */
static seqrt_status load_int8_scale(int n, const float *scale)
{
    tu_st b;
    tu_st_init(&b);
    add_q(&b);
    add_scale(&b, "fc.weight.scale", n, scale);
    add_bias(&b);
    return load_with(desc_text("1.2", INT8_TOP, ""), &b);
}

/* Runs g_model on x = [[[1, 0, 0, 0]]] ([1, 1, 4]) and copies fc's 3 values. */
static void run_one(const seqrt_session_options *opt, float out[3])
{
    seqrt_session *s = NULL;
    const seqrt_device *ref = NULL;
    cr_assert_eq(seqrt_device_find(&ref, "reference"), SEQRT_OK);
    cr_assert_eq(seqrt_session_create(&s, g_model, ref, opt), SEQRT_OK, "%s", seqrt_last_error());
    int64_t dims[3] = {1, 1, 4};
    seqrt_tensor *x = NULL;
    cr_assert_eq(seqrt_tensor_create(&x, SEQRT_F32, 3, dims), SEQRT_OK);
    ((float *)seqrt_tensor_data(x))[0] = 1.0f;
    cr_assert_eq(seqrt_session_run(s, (const seqrt_tensor *const *)&x, 1), SEQRT_OK, "%s", seqrt_last_error());
    const seqrt_tensor *y = NULL;
    cr_assert_eq(seqrt_session_output(s, 0, &y), SEQRT_OK);
    memcpy(out, seqrt_tensor_data(y), 3 * sizeof(float));
    seqrt_tensor_free(x);
    seqrt_session_free(s);
}


/* ------------------------------------------------------------ accepted */

Test(model_errors_v12, int8_linear_runs_on_the_reference)
{
    const float s = 0.5f;
    cr_assert_eq(load_int8_scale(1, &s), SEQRT_OK, "%s", seqrt_last_error());
    float y[3];
    run_one(NULL, y);
    /* x = e_0: the input range [0, 1] gives s_x = 1/255, z_x = 0, x's codes
     * (255, 0, 0, 0), acc = 255 * q[r][0] = 510, y = 510 * (0.5 / 255) + b = 1 + b
     * (within float32 rounding of the scale products) */
    for (int r = 0; r < 3; r++) cr_expect(fabsf(y[r] - (1.0f + BIAS[r])) < 1e-6f, "y[%d] = %.9g", r, y[r]);
}

Test(model_errors_v12, widened_int8_computes_f32_from_dequantized_weights)
{
    const float s = 0.3f;
    cr_assert_eq(load_int8_scale(1, &s), SEQRT_OK, "%s", seqrt_last_error());
    seqrt_session_options o = {0};
    o.precision = "f32";
    float y[3];
    run_one(&o, y);
    /* w[r][0] = f32(2 * 0.3), y = w[r][0] * 1 + b: no input quantization */
    for (int r = 0; r < 3; r++) cr_expect_eq(y[r], (float)(2 * 0.3f) + BIAS[r], "y[%d] = %.9g", r, y[r]);
    setenv("SEQRT_PRECISION", "f32", 1);
    run_one(NULL, y);
    for (int r = 0; r < 3; r++) cr_expect_eq(y[r], (float)(2 * 0.3f) + BIAS[r], "env: y[%d] = %.9g", r, y[r]);
}

Test(model_errors_v12, a_bad_widening_request_is_refused)
{
    const float s = 0.5f;
    cr_assert_eq(load_int8_scale(1, &s), SEQRT_OK, "%s", seqrt_last_error());
    seqrt_session *sess = NULL;
    seqrt_session_options o = {0};
    o.precision = "f64";
    expect_error(seqrt_session_create(&sess, g_model, NULL, &o), SEQRT_ERR_INVALID_ARGUMENT, "precision", "f64");
    cr_assert_null(sess);
    setenv("SEQRT_PRECISION", "bf16", 1);
    expect_error(seqrt_session_create(&sess, g_model, NULL, NULL), SEQRT_ERR_INVALID_ARGUMENT, "SEQRT_PRECISION",
                 "bf16");
}

Test(model_errors_v12, bf16_rounds_the_weights)
{
    /* 1 + 2^-10 is not a bf16 (8 bits of mantissa): it rounds to 1 */
    float w[12] = {0};
    w[0] = 1.0f + ldexpf(1.0f, -10);
    w[4] = 3.0f + ldexpf(1.0f, -7); /* 3 + 2^-7: exactly halfway between two bf16, ties to even: 3 */
    w[8] = 1.0f + ldexpf(1.0f, -7); /* a bf16 */
    tu_st b;
    tu_st_init(&b);
    int64_t d[2] = {3, 4};
    tu_st_add(&b, "fc.weight", 2, d, w, NULL, 0);
    add_bias(&b);
    cr_assert_eq(load_with(desc_text("1.2", "", "\"precision\": \"bf16\""), &b), SEQRT_OK, "%s",
                 seqrt_last_error());
    float y[3];
    run_one(NULL, y);
    cr_expect_eq(y[0], 1.0f + BIAS[0]);
    cr_expect_eq(y[1], 3.0f + BIAS[1]);
    cr_expect_eq(y[2], 1.0f + ldexpf(1.0f, -7));
}

Test(model_errors_v12, version_1_1_files_mean_what_they_meant)
{
    /* an f16 tensor in a 1.1 file is widened and computed in f32 as before */
    uint16_t h[12] = {0};
    h[0] = 0x3C01; /* 1 + 2^-10 in f16 */
    tu_st b;
    tu_st_init(&b);
    int64_t d[2] = {3, 4};
    add_raw(&b, "fc.weight", "F16", 2, d, h, sizeof h);
    add_bias(&b);
    cr_assert_eq(load_with(desc_text("1.1", "", ""), &b), SEQRT_OK, "%s", seqrt_last_error());
    float y[3];
    run_one(NULL, y);
    cr_expect_eq(y[0], 1.0f + ldexpf(1.0f, -10) + BIAS[0]);
}

/* ------------------------------------------------------------ refused */

Test(model_errors_v12, scale_zero_negative_nan_infinite)
{
    const float bad[4] = {0.0f, -0.5f, NAN, INFINITY};
    for (int i = 0; i < 4; i++)
        expect_error(load_int8_scale(1, &bad[i]), SEQRT_ERR_MODEL, "layer 'fc'", "'fc.weight.scale'",
                     "finite and > 0");
    const float rows[3] = {0.5f, 0.0f, 0.5f};
    expect_error(load_int8_scale(3, rows), SEQRT_ERR_MODEL, "'fc.weight.scale'", "index 1");
}

Test(model_errors_v12, scale_of_the_wrong_count)
{
    const float two[2] = {0.5f, 0.5f};
    expect_error(load_int8_scale(2, two), SEQRT_ERR_MODEL, "layer 'fc'", "'fc.weight.scale'", "[1]", "[3]");
    const float four[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    expect_error(load_int8_scale(4, four), SEQRT_ERR_MODEL, "'fc.weight.scale'", "[4]");
}

Test(model_errors_v12, scale_of_another_dtype)
{
    tu_st b;
    tu_st_init(&b);
    add_q(&b);
    uint16_t half = 0x3800;
    int64_t d[1] = {1};
    add_raw(&b, "fc.weight.scale", "F16", 1, d, &half, 2);
    add_bias(&b);
    expect_error(load_with(desc_text("1.2", INT8_TOP, ""), &b), SEQRT_ERR_MODEL, "'fc.weight.scale'", "F16",
                 "must be F32");
}

Test(model_errors_v12, zero_points_are_refused)
{
    static const char *const names[] = {"fc.weight.zero_point", "fc.weight.zero_points"};
    for (int i = 0; i < 2; i++) {
        tu_st b;
        tu_st_init(&b);
        add_q(&b);
        const float s = 0.5f, z = 0.0f;
        add_scale(&b, "fc.weight.scale", 1, &s);
        add_scale(&b, names[i], 1, &z);
        add_bias(&b);
        expect_error(load_with(desc_text("1.2", INT8_TOP, ""), &b), SEQRT_ERR_MODEL, "layer 'fc'", names[i],
                     "zero point");
    }
}

Test(model_errors_v12, i8_without_its_scale)
{
    tu_st b;
    tu_st_init(&b);
    add_q(&b);
    add_bias(&b);
    expect_error(load_with(desc_text("1.2", INT8_TOP, ""), &b), SEQRT_ERR_MODEL, "layer 'fc'",
                 "I8 tensor 'fc.weight'", "no scale tensor 'fc.weight.scale'");
}

Test(model_errors_v12, scale_without_an_i8_matrix)
{
    tu_st b;
    tu_st_init(&b);
    uint32_t seed = 3;
    tu_st_add2(&b, "fc.weight", 3, 4, &seed, 0.5f);
    const float s = 0.5f;
    add_scale(&b, "fc.weight.scale", 1, &s);
    add_bias(&b);
    expect_error(load_with(desc_text("1.2", INT8_TOP, ""), &b), SEQRT_ERR_MODEL, "'fc.weight.scale'",
                 "stored F32, not I8");
}

Test(model_errors_v12, i8_bias_is_refused)
{
    tu_st b;
    tu_st_init(&b);
    add_q(&b);
    const float s = 0.5f;
    add_scale(&b, "fc.weight.scale", 1, &s);
    int8_t qb[3] = {1, 2, 3};
    int64_t d[1] = {3};
    add_raw(&b, "fc.bias", "I8", 1, d, qb, 3);
    expect_error(load_with(desc_text("1.2", INT8_TOP, ""), &b), SEQRT_ERR_MODEL, "layer 'fc'", "'fc.bias' is I8",
                 "only the weight matrices");
}

Test(model_errors_v12, i8_needs_version_1_2)
{
    tu_st b;
    tu_st_init(&b);
    add_q(&b);
    const float s = 0.5f;
    add_scale(&b, "fc.weight.scale", 1, &s);
    add_bias(&b);
    expect_error(load_with(desc_text("1.1", "", ""), &b), SEQRT_ERR_MODEL, "'fc.weight' is I8", "format version 1.2");
}

static seqrt_status load_f32(const char *version, const char *top, const char *attrs)
{
    tu_st b;
    tu_st_init(&b);
    uint32_t seed = 5;
    tu_st_add2(&b, "fc.weight", 3, 4, &seed, 0.5f);
    add_bias(&b);
    return load_with(desc_text(version, top, attrs), &b);
}

Test(model_errors_v12, precision_needs_version_1_2)
{
    expect_error(load_f32("1.1", "\"precision\": \"bf16\"", ""), SEQRT_ERR_MODEL, "field 'precision'",
                 "format version 1.2");
    expect_error(load_f32("1", "", "\"precision\": \"f16\""), SEQRT_ERR_MODEL, "layer 'fc'", "'precision'",
                 "format version 1.2");
    expect_error(load_f32("1.1", "\"int8_rule\": \"onednn\"", ""), SEQRT_ERR_MODEL, "field 'int8_rule'",
                 "format version 1.2");
}

Test(model_errors_v12, unknown_precision)
{
    expect_error(load_f32("1.2", "\"precision\": \"int4\"", ""), SEQRT_ERR_MODEL, "field 'precision'", "\"int4\"");
    expect_error(load_f32("1.2", "", "\"precision\": 8"), SEQRT_ERR_MODEL, "layer 'fc'", "attribute 'precision'",
                 "int8-dynamic");
}

Test(model_errors_v12, int8_rule_missing_unknown_or_unused)
{
    expect_error(load_f32("1.2", "\"precision\": \"int8-dynamic\"", ""), SEQRT_ERR_MODEL, "layer 'fc'",
                 "'int8_rule'", "required");
    expect_error(load_f32("1.2", "\"precision\": \"int8-dynamic\", \"int8_rule\": \"fbgemm\"", ""), SEQRT_ERR_MODEL,
                 "'int8_rule'", "\"fbgemm\"");
    expect_error(load_f32("1.2", "\"int8_rule\": \"qnnpack\"", ""), SEQRT_ERR_MODEL, "'int8_rule'",
                 "no layer computes int8-dynamic");
}

/* A 1.2 description of one layer `l` of `op` over x [T, B, 4] with `attrs`. */
static seqrt_status load_op(const char *top, const char *op_and_attrs)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"format\": \"seqrt\", \"version\": 1.2%s%s,"
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 4]}],"
             " \"layers\": [{\"name\": \"l\", \"inputs\": {\"x\": \"x\"}, %s}],"
             " \"outputs\": [\"l\"]}",
             *top ? ", " : "", top, op_and_attrs);
    cJSON *desc = tu_parse(text);
    tu_write_model(g_dir, "model", desc, 1, 11, g_json, sizeof g_json);
    cJSON_Delete(desc);
    seqrt_model *m = NULL;
    seqrt_status st = seqrt_model_load(&m, g_json, NULL);
    if (st == SEQRT_OK) {
        seqrt_model_free(g_model);
        g_model = m;
    }
    return st;
}

Test(model_errors_v12, a_precision_the_op_cannot_take)
{
    expect_error(load_op("", "\"op\": \"activation\", \"function\": \"tanh\", \"precision\": \"bf16\""),
                 SEQRT_ERR_MODEL, "layer 'l' (activation)", "'precision'", "no weights");
    expect_error(load_op("\"int8_rule\": \"qnnpack\"",
                         "\"op\": \"rnn\", \"input_size\": 4, \"hidden_size\": 5, \"precision\": \"int8-dynamic\""),
                 SEQRT_ERR_MODEL, "layer 'l' (rnn)", "int8-dynamic", "cannot take it");
    expect_error(load_op("\"int8_rule\": \"qnnpack\"", "\"op\": \"lstm\", \"input_size\": 4, \"hidden_size\": 5, "
                                                     "\"peephole\": true, \"precision\": \"int8-dynamic\""),
                 SEQRT_ERR_MODEL, "layer 'l' (lstm)", "int8-dynamic", "'peephole'");
    expect_error(load_op(INT8_TOP, "\"op\": \"lstm\", \"input_size\": 4, \"hidden_size\": 5, \"proj_size\": 3"),
                 SEQRT_ERR_MODEL, "layer 'l' (lstm)", "the model's", "'proj_size'");
    expect_error(load_op(INT8_TOP, "\"op\": \"gru\", \"input_size\": 4, \"hidden_size\": 5, "
                                   "\"linear_before_reset\": false"),
                 SEQRT_ERR_MODEL, "layer 'l' (gru)", "linear_before_reset");
}

Test(model_errors_v12, model_wide_int8_leaves_other_ops_f32)
{
    /* an rnn layer under the model's int8-dynamic computes f32 (as
     * quantize_dynamic leaves other modules float); no int8 layer: no rule */
    expect_error(load_op(INT8_TOP, "\"op\": \"rnn\", \"input_size\": 4, \"hidden_size\": 5"), SEQRT_ERR_MODEL,
                 "'int8_rule'", "no layer computes int8-dynamic");
    cr_assert_eq(load_op("\"precision\": \"int8-dynamic\"", "\"op\": \"rnn\", \"input_size\": 4, \"hidden_size\": 5"),
                 SEQRT_OK, "%s", seqrt_last_error());
}

Test(model_errors_v12, int8_quantizes_float_weights_at_load)
{
    /* an F32 lstm under int8-dynamic: quantized per tensor at load; runs */
    cr_assert_eq(load_op(INT8_TOP, "\"op\": \"lstm\", \"input_size\": 4, \"hidden_size\": 5"), SEQRT_OK, "%s",
                 seqrt_last_error());
    seqrt_session *s = NULL;
    const seqrt_device *ref = NULL;
    cr_assert_eq(seqrt_device_find(&ref, "reference"), SEQRT_OK);
    cr_assert_eq(seqrt_session_create(&s, g_model, ref, NULL), SEQRT_OK, "%s", seqrt_last_error());
    seqrt_session_free(s);
}

Test(model_errors_v12, other_backends_refuse_a_precision_they_do_not_compute)
{
    /* every available device but the reference and oneDNN (which compute
     * int8-dynamic; OpenCL computes f32 only for now): refused naming the
     * layer and precision, never widened unless asked; asked, the session
     * is made. oneDNN makes it as it is. */
    const float s = 0.5f;
    cr_assert_eq(load_int8_scale(1, &s), SEQRT_OK, "%s", seqrt_last_error());
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        seqrt_backend_info info;
        if (seqrt_backend_get_info(b, &info) != SEQRT_OK || !info.available || !strcmp(info.name, "reference"))
            continue;
        const bool computes = !strcmp(info.name, "onednn");
        for (size_t d = 0; d < info.device_count; d++) {
            const seqrt_device *dev = NULL;
            cr_assert_eq(seqrt_backend_get_device(&dev, b, d), SEQRT_OK);
            seqrt_session *sess = NULL;
            if (computes) {
                cr_assert_eq(seqrt_session_create(&sess, g_model, dev, NULL), SEQRT_OK, "%s: %s", info.name,
                             seqrt_last_error());
                seqrt_session_free(sess);
                continue;
            }
            expect_error(seqrt_session_create(&sess, g_model, dev, NULL), SEQRT_ERR_UNSUPPORTED, "layer 'fc'",
                         "precision int8-dynamic");
            cr_assert_null(sess);
            seqrt_session_options o = {0};
            o.precision = "f32";
            cr_assert_eq(seqrt_session_create(&sess, g_model, dev, &o), SEQRT_OK, "%s: %s", info.name,
                         seqrt_last_error());
            seqrt_session_free(sess);
        }
    }
}

Test(model_errors_v12, before_1_2_a_scale_name_is_an_unused_tensor)
{
    /* in a 1.1 file `fc.weight.scale` means nothing: a warning, as before 1.2 */
    tu_st b;
    tu_st_init(&b);
    uint32_t seed = 9;
    tu_st_add2(&b, "fc.weight", 3, 4, &seed, 0.5f);
    const float s = 0.5f;
    add_scale(&b, "fc.weight.scale", 1, &s);
    add_bias(&b);
    cr_assert_eq(load_with(desc_text("1.1", "", ""), &b), SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(seqrt_model_warning_count(g_model), 1);
    cr_assert(strstr(seqrt_model_warning(g_model, 0), "'fc.weight.scale' is not used"));
}
