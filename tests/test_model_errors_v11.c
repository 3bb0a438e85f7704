/*
 * Load-time errors (and the matching accepted forms) of the format 1.1
 * recurrent attributes: direction, clip, input_forget, activations,
 * activation_alpha, activation_beta (docs/model-format/recurrent.md). Each
 * refused description is checked for its status and the key words of its
 * message; each accepted one for the gate functions the loader derived
 * (seqrt_model_layer_gate_functions) and the attribute values it reports
 * (seqrt_model_layer_attr). The 1.0 error tests are in test_model_errors.c.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
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
}

static void teardown(void)
{
    seqrt_model_free(g_model);
    g_model = NULL;
    tu_rmtree(g_dir);
}

TestSuite(model_errors_v11, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ helpers */

/* A version 1.1 description: one recurrent layer `rnn` of op `op` over a
 * float input [T, B, 4], hidden size 8, plus `extra` attributes (JSON
 * members, "" for none). */
static cJSON *desc_of(const char *op, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"format\": \"seqrt\", \"version\": 1.1,"
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 4]}],"
             " \"layers\": [{\"op\": \"%s\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\"},"
             "  \"input_size\": 4, \"hidden_size\": 8%s%s}],"
             " \"outputs\": [\"rnn\"]}",
             op, *extra ? ", " : "", extra);
    return tu_parse(text);
}


/* Writes `desc` (with its weights) and loads it; frees desc. A failed load
 * must leave the model NULL. */
static seqrt_status load(cJSON *desc)
{
    /* tu_weights_for reads `bidirectional` only: give it the second direction
     * that `direction: "bidirectional"` implies */
    cJSON *w = cJSON_Duplicate(desc, 1);
    cJSON *L = tu_layer(w, "rnn");
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(L, "direction");
    if (cJSON_IsString(dir) && !strcmp(dir->valuestring, "bidirectional"))
        tu_set(L, "bidirectional", cJSON_CreateTrue());
    tu_write_model(g_dir, "model", w, 1, 77, g_json, sizeof g_json);
    cJSON_Delete(w);
    char *text = cJSON_Print(desc);
    tu_write(g_json, text, strlen(text));
    cJSON_free(text);
    cJSON_Delete(desc);
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

static seqrt_status load_of(const char *op, const char *extra) { return load(desc_of(op, extra)); }

/* Loads and checks the derived gate functions of layer 0. */
static void expect_fns(const char *op, const char *extra, const char *want)
{
    seqrt_status st = load_of(op, extra);
    cr_assert_eq(st, SEQRT_OK, "%s %s: %s", op, extra, seqrt_last_error());
    char text[512];
    cr_assert_eq(seqrt_model_layer_gate_functions(g_model, 0, text, sizeof text), SEQRT_OK, "%s",
                 seqrt_last_error());
    cr_assert_str_eq(text, want, "%s %s", op, extra);
}

/* The value text of attribute `name` of layer 0 (and whether at its default). */
static const char *attr_value(const char *name, int *is_default)
{
    static seqrt_layer_attr a;
    size_t n = seqrt_model_layer_attr_count(g_model, 0);
    for (size_t k = 0; k < n; k++) {
        cr_assert_eq(seqrt_model_layer_attr(g_model, 0, k, &a), SEQRT_OK, "%s", seqrt_last_error());
        if (!strcmp(a.name, name)) {
            if (is_default) *is_default = a.is_default;
            return a.value;
        }
    }
    cr_assert_fail("layer 0 has no attribute '%s'", name);
    return NULL;
}

/* ------------------------------------------------------------ activations */

Test(model_errors_v11, unknown_function_lists_the_names)
{
    expect_error(load_of("lstm", "\"activations\": [\"sigmoid\", \"tanh\", \"swish\"]"), SEQRT_ERR_MODEL,
                 "layer 'rnn' (lstm)", "'activations'[2]", "\"swish\"", "not one of", "sigmoid", "tanh", "relu",
                 "affine", "leakyrelu", "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu", "softsign",
                 "softplus", "any case");
}

Test(model_errors_v11, function_not_a_string)
{
    expect_error(load_of("gru", "\"activations\": [\"sigmoid\", 3]"), SEQRT_ERR_MODEL, "'activations'[1]",
                 "must be a string", "a number");
}

Test(model_errors_v11, activations_not_a_list)
{
    expect_error(load_of("rnn", "\"activations\": \"tanh\""), SEQRT_ERR_MODEL, "layer 'rnn' (rnn)",
                 "'activations' must be a list", "a string");
}

Test(model_errors_v11, activations_more_than_two_directions_hold)
{
    expect_error(load_of("lstm", "\"bidirectional\": true, \"activations\": [\"tanh\", \"tanh\", \"tanh\","
                                 " \"tanh\", \"tanh\", \"tanh\", \"tanh\"]"),
                 SEQRT_ERR_MODEL, "'activations'", "7 entries", "at most 6");
}

Test(model_errors_v11, activations_wrong_count_lstm)
{
    expect_error(load_of("lstm", "\"activations\": [\"sigmoid\", \"tanh\"]"), SEQRT_ERR_MODEL,
                 "layer 'rnn' (lstm)", "'activations' has 2 functions", "takes 3");
}

/* Six functions are two lists: a one-direction layer takes only one. */
Test(model_errors_v11, activations_per_direction_on_one_direction)
{
    expect_error(load_of("lstm", "\"activations\": [\"sigmoid\", \"tanh\", \"tanh\", \"sigmoid\", \"tanh\","
                                 " \"tanh\"]"),
                 SEQRT_ERR_MODEL, "'activations' has 6 functions", "takes 3");
}

Test(model_errors_v11, activations_wrong_count_bidirectional)
{
    expect_error(load_of("gru", "\"bidirectional\": true, \"activations\": [\"sigmoid\", \"tanh\", \"relu\"]"),
                 SEQRT_ERR_MODEL, "layer 'rnn' (gru)", "'activations' has 3 functions", "takes 2",
                 "for both directions", "one list per direction");
}

Test(model_errors_v11, activations_wrong_count_rnn)
{
    expect_error(load_of("rnn", "\"activations\": [\"relu\", \"tanh\"]"), SEQRT_ERR_MODEL, "layer 'rnn' (rnn)",
                 "has 2 functions", "takes 1");
}

Test(model_errors_v11, too_many_alpha)
{
    expect_error(load_of("lstm", "\"activations\": [\"leakyrelu\", \"tanh\", \"tanh\"],"
                                 " \"activation_alpha\": [0.1, 0.2]"),
                 SEQRT_ERR_MODEL, "'activation_alpha' has 2 values", "take only 1");
}

Test(model_errors_v11, too_many_beta)
{
    expect_error(load_of("lstm", "\"activations\": [\"hardsigmoid\", \"tanh\", \"tanh\"],"
                                 " \"activation_alpha\": [0.3], \"activation_beta\": [0.4, 0.5]"),
                 SEQRT_ERR_MODEL, "'activation_beta' has 2 values", "take only 1");
}

/* Without `activations` the op's own functions take no parameter. */
Test(model_errors_v11, alpha_without_activations)
{
    expect_error(load_of("gru", "\"activation_alpha\": [1.0]"), SEQRT_ERR_MODEL, "'activation_alpha' has 1 values",
                 "take only 0");
}

Test(model_errors_v11, alpha_not_a_number)
{
    expect_error(load_of("lstm", "\"activations\": [\"elu\", \"tanh\", \"tanh\"], \"activation_alpha\": [\"1\"]"),
                 SEQRT_ERR_MODEL, "'activation_alpha'[0]", "finite number", "a string");
}

Test(model_errors_v11, nonlinearity_with_activations)
{
    expect_error(load_of("rnn", "\"nonlinearity\": \"relu\", \"activations\": [\"relu\"]"), SEQRT_ERR_MODEL,
                 "layer 'rnn' (rnn)", "'nonlinearity' or 'activations', not both");
}

/* ------------------------------------------------------------ direction, clip, input_forget */

Test(model_errors_v11, direction_reverse_vs_bidirectional_true)
{
    expect_error(load_of("lstm", "\"direction\": \"reverse\", \"bidirectional\": true"), SEQRT_ERR_MODEL,
                 "layer 'rnn' (lstm)", "'direction' (\"reverse\")", "'bidirectional' (true)", "disagree");
}

Test(model_errors_v11, direction_bidirectional_vs_bidirectional_false)
{
    expect_error(load_of("gru", "\"direction\": \"bidirectional\", \"bidirectional\": false"), SEQRT_ERR_MODEL,
                 "'direction' (\"bidirectional\")", "'bidirectional' (false)", "disagree");
}

/* `direction` is an exact choice (only `activations` names are any case). */
Test(model_errors_v11, direction_unknown_name)
{
    expect_error(load_of("rnn", "\"direction\": \"Reverse\""), SEQRT_ERR_MODEL, "'direction'", "\"Reverse\"",
                 "not one of forward, reverse, bidirectional");
}

Test(model_errors_v11, coupled_with_input_forget)
{
    expect_error(load_of("lstm", "\"coupled\": true, \"input_forget\": true"), SEQRT_ERR_MODEL,
                 "layer 'rnn' (lstm)", "'coupled'", "'input_forget'", "exclude each other");
}

Test(model_errors_v11, negative_clip)
{
    expect_error(load_of("lstm", "\"clip\": -1"), SEQRT_ERR_MODEL, "layer 'rnn' (lstm)", "'clip'",
                 "must be a number in [0,");
}

Test(model_errors_v11, clip_not_a_number)
{
    expect_error(load_of("gru", "\"clip\": \"3\""), SEQRT_ERR_MODEL, "'clip'", "must be a number");
}

Test(model_errors_v11, input_forget_on_gru_is_unknown)
{
    expect_error(load_of("gru", "\"input_forget\": true"), SEQRT_ERR_MODEL, "layer 'rnn' (gru)",
                 "unknown attribute 'input_forget'");
}

/* A 1.0 description may not use a 1.1 attribute: the message names 1.1. */
Test(model_errors_v11, version_1_0_with_clip)
{
    cJSON *d = desc_of("lstm", "\"clip\": 3");
    tu_set(d, "version", cJSON_CreateNumber(1));
    expect_error(load(d), SEQRT_ERR_MODEL, "layer 'rnn' (lstm)", "attribute 'clip'", "format version 1.1");
}

Test(model_errors_v11, version_1_0_with_each_1_1_attribute)
{
    static const char *const extra[] = {
        "\"direction\": \"forward\"", "\"input_forget\": false", "\"activations\": [\"tanh\"]",
        "\"activation_alpha\": []", "\"activation_beta\": []"};
    static const char *const names[] = {"'direction'", "'input_forget'", "'activations'", "'activation_alpha'",
                                        "'activation_beta'"};
    for (int i = 0; i < 5; i++) {
        cJSON *d = desc_of(i == 2 ? "rnn" : "lstm", extra[i]);
        tu_set(d, "version", cJSON_CreateNumber(1));
        expect_error(load(d), SEQRT_ERR_MODEL, names[i], "format version 1.1");
    }
}

/* ------------------------------------------------------------ accepted forms */

/* Names in any case; a leakyrelu without a value takes ONNX's default 0.01. */
Test(model_errors_v11, any_case_and_default_alpha)
{
    expect_fns("lstm", "\"activations\": [\"LeakyRelu\", \"TANH\", \"Tanh\"]", "leakyrelu(alpha=0.01), tanh, tanh");
    cr_assert_str_eq(attr_value("activations", NULL), "[\"leakyrelu\", \"tanh\", \"tanh\"]");
}

/* One list on a bidirectional layer serves both directions, with the same
 * parameters (consumed once). */
Test(model_errors_v11, one_list_for_both_directions)
{
    expect_fns("gru", "\"bidirectional\": true, \"activations\": [\"hardsigmoid\", \"scaledtanh\"],"
                      " \"activation_alpha\": [0.3, 2], \"activation_beta\": [0.4]",
               "forward: hardsigmoid(alpha=0.3, beta=0.4), scaledtanh(alpha=2, beta=1); "
               "reverse: hardsigmoid(alpha=0.3, beta=0.4), scaledtanh(alpha=2, beta=1)");
}

/* One list per direction, forward first; parameters consumed in order
 * across both; direction "bidirectional" alone makes two directions. */
Test(model_errors_v11, per_direction_lists)
{
    expect_fns("lstm", "\"direction\": \"bidirectional\","
                       " \"activations\": [\"sigmoid\", \"tanh\", \"tanh\", \"hardsigmoid\", \"elu\", \"affine\"],"
                       " \"activation_alpha\": [0.25, 0.5, 2], \"activation_beta\": [0.75, -1]",
               "forward: sigmoid, tanh, tanh; reverse: hardsigmoid(alpha=0.25, beta=0.75), elu(alpha=0.5), "
               "affine(alpha=2, beta=-1)");
    int def = -1;
    cr_assert_str_eq(attr_value("bidirectional", &def), "true");
    cr_assert_eq(def, 0);
    cr_assert_str_eq(attr_value("direction", NULL), "\"bidirectional\"");
    cr_assert_str_eq(attr_value("activation_alpha", NULL), "[0.25, 0.5, 2]");
}

/* The defaults of every parameterised function without values (ONNX's). */
Test(model_errors_v11, default_parameters)
{
    expect_fns("lstm", "\"activations\": [\"affine\", \"thresholdedrelu\", \"scaledtanh\"]",
               "affine(alpha=1, beta=0), thresholdedrelu(alpha=1), scaledtanh(alpha=1, beta=1)");
    expect_fns("gru", "\"activations\": [\"hardsigmoid\", \"elu\"]", "hardsigmoid(alpha=0.2, beta=0.5), elu(alpha=1)");
    expect_fns("rnn", "\"activations\": [\"softsign\"]", "softsign");
    expect_fns("rnn", "\"activations\": [\"softplus\"]", "softplus");
}

/* Without `activations`: the op's own functions; rnn's follow nonlinearity. */
Test(model_errors_v11, own_functions)
{
    expect_fns("lstm", "", "sigmoid, tanh, tanh");
    expect_fns("gru", "\"bidirectional\": true", "forward: sigmoid, tanh; reverse: sigmoid, tanh");
    expect_fns("rnn", "\"nonlinearity\": \"relu\"", "relu");
    int def = -1;
    cr_assert_str_eq(attr_value("activations", &def), "[]");
    cr_assert_eq(def, 1);
}

/* direction reverse, clip, input_forget load (1.1) and read back. */
Test(model_errors_v11, reverse_clip_input_forget_load)
{
    cr_assert_eq(load_of("lstm", "\"direction\": \"reverse\", \"clip\": 2.5, \"input_forget\": true"), SEQRT_OK,
                 "%s", seqrt_last_error());
    int def = -1;
    cr_assert_str_eq(attr_value("direction", &def), "\"reverse\"");
    cr_assert_eq(def, 0);
    cr_assert_str_eq(attr_value("bidirectional", &def), "false");
    cr_assert_eq(def, 1);
    cr_assert_str_eq(attr_value("clip", &def), "2.5");
    cr_assert_eq(def, 0);
    cr_assert_str_eq(attr_value("input_forget", NULL), "true");
    cr_assert_str_eq(attr_value("hidden_size", &def), "8");
    cr_assert_eq(def, 0, "a required attribute is never at a default");
}

/* The introspection calls refuse bad indices and a short buffer. */
Test(model_errors_v11, introspection_arguments)
{
    cr_assert_eq(load_of("lstm", "\"activations\": [\"hardsigmoid\", \"scaledtanh\", \"affine\"]"), SEQRT_OK);
    seqrt_layer_attr a;
    size_t n = seqrt_model_layer_attr_count(g_model, 0);
    cr_assert_gt(n, 10);
    cr_assert_eq(seqrt_model_layer_attr_count(g_model, 1), 0);
    cr_assert_eq(seqrt_model_layer_attr_count(NULL, 0), 0);
    expect_error(seqrt_model_layer_attr(g_model, 0, n, &a), SEQRT_ERR_INVALID_ARGUMENT, "out of range");
    expect_error(seqrt_model_layer_attr(g_model, 1, 0, &a), SEQRT_ERR_INVALID_ARGUMENT, "out of range");
    cr_assert_eq(seqrt_model_layer_attr(g_model, 0, 0, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_model_layer_attr(g_model, 0, 0, &a), SEQRT_OK);
    cr_assert_str_eq(a.name, "input_size");
    cr_assert_eq(a.since_minor, 0);
    char small[16];
    expect_error(seqrt_model_layer_gate_functions(g_model, 0, small, sizeof small), SEQRT_ERR_LIMIT, "too few");
    cr_assert_str_eq(small, "");
    cr_assert_eq(seqrt_model_layer_gate_functions(g_model, 0, NULL, 8), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seqrt_model_layer_gate_functions(g_model, 3, small, sizeof small), SEQRT_ERR_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------ activation affine */

/* A description of version `version`: one activation layer `rnn` over a
 * float input [T, B, 4] with `extra` attributes (JSON members). */
static cJSON *activation_desc(double version, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"format\": \"seqrt\", \"version\": %g,"
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 4]}],"
             " \"layers\": [{\"op\": \"activation\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\"}, %s}],"
             " \"outputs\": [\"rnn\"]}",
             version, extra);
    return tu_parse(text);
}

Test(model_errors_v11, affine_loads_in_1_1)
{
    cr_assert_eq(load(activation_desc(1.1, "\"function\": \"affine\", \"alpha\": -2.5, \"beta\": 0.25")), SEQRT_OK,
                 "%s", seqrt_last_error());
    int def = -1;
    cr_assert_str_eq(attr_value("function", NULL), "\"affine\"");
    cr_assert_str_eq(attr_value("alpha", &def), "-2.5");
    cr_assert_eq(def, 0);
    cr_assert_str_eq(attr_value("beta", &def), "0.25");
    cr_assert_eq(def, 0);
    /* without alpha and beta: 1 and 0 */
    cr_assert_eq(load(activation_desc(1.1, "\"function\": \"affine\"")), SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_str_eq(attr_value("alpha", &def), "1");
    cr_assert_eq(def, 1);
    cr_assert_str_eq(attr_value("beta", &def), "0");
    cr_assert_eq(def, 1);
}

Test(model_errors_v11, affine_in_1_0_names_1_1)
{
    expect_error(load(activation_desc(1, "\"function\": \"affine\"")), SEQRT_ERR_MODEL, "layer 'rnn' (activation)",
                 "attribute 'function'", "\"affine\"", "format version 1.1");
    /* alpha alone in 1.0 is a 1.1 attribute */
    expect_error(load(activation_desc(1, "\"function\": \"relu\", \"alpha\": 2")), SEQRT_ERR_MODEL,
                 "attribute 'alpha'", "format version 1.1");
    /* the 1.0 functions still load in 1.0 */
    cr_assert_eq(load(activation_desc(1, "\"function\": \"gelu\"")), SEQRT_OK, "%s", seqrt_last_error());
}

Test(model_errors_v11, alpha_beta_only_with_affine)
{
    expect_error(load(activation_desc(1.1, "\"function\": \"relu\", \"alpha\": 2")), SEQRT_ERR_MODEL,
                 "layer 'rnn' (activation)", "'alpha'", "\"affine\"", "\"relu\"");
    expect_error(load(activation_desc(1.1, "\"function\": \"tanh\", \"beta\": 1")), SEQRT_ERR_MODEL, "'beta'",
                 "\"affine\"", "\"tanh\"");
}

Test(model_errors_v11, affine_alpha_not_a_number)
{
    expect_error(load(activation_desc(1.1, "\"function\": \"affine\", \"alpha\": \"2\"")), SEQRT_ERR_MODEL,
                 "layer 'rnn' (activation)", "attribute 'alpha'", "must be a number");
    expect_error(load(activation_desc(1.1, "\"function\": \"affine\", \"beta\": true")), SEQRT_ERR_MODEL,
                 "attribute 'beta'", "must be a number");
    expect_error(load(activation_desc(1.1, "\"function\": \"affine\", \"alpha\": 1e400")), SEQRT_ERR_MODEL,
                 "attribute 'alpha'", "must be a number");
}
