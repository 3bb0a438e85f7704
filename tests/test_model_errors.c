/*
 * Every bad input gets its own specific error: each test below feeds seqrt
 * one broken description, weights file, tensor or run input and checks the
 * status code and that seqrt_last_error() names what is wrong (layer, field,
 * tensor, dims). Fixtures are written by the tests themselves into a fresh
 * temporary directory.
 *
 * Every failing seqrt_model_load must leave *out NULL (checked in
 * load_desc); the target runs under ASan/LSan too, so nothing may leak on
 * any error path.
 */
#define _DEFAULT_SOURCE
#include "errors_fixture.h"

TestSuite(model_errors, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ sanity */

Test(model_errors, base_model_loads)
{
    cr_assert_eq(load_desc(base(), 1), SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(seqrt_model_warning_count(g_model), 0, "unexpected warning: %s",
                 seqrt_model_warning(g_model, 0));
    cr_assert_eq(seqrt_model_input_count(g_model), 1);
    cr_assert_eq(seqrt_model_output_count(g_model), 3);
}

/* ------------------------------------------------------------ JSON */

Test(model_errors, json_truncated_object)
{
    seqrt_status st = load_text("{\"format\": \"seqrt\",\n \"version\": 1,\n \"layers\": [");
    expect_error(st, SEQRT_ERR_PARSE, "model.json", "malformed JSON", "line", "column");
}

Test(model_errors, json_trailing_garbage)
{
    char text[4096];
    snprintf(text, sizeof text, "%s\n} trailing", BASE_DESC);
    seqrt_status st = load_text(text);
    expect_error(st, SEQRT_ERR_PARSE, "model.json", "line 2", "column");
}

Test(model_errors, json_empty_file)
{
    expect_error(load_text(""), SEQRT_ERR_PARSE, "model.json", "line", "column");
}

Test(model_errors, description_not_an_object)
{
    expect_error(load_text("[1, 2, 3]"), SEQRT_ERR_MODEL, "JSON object", "a list");
}

Test(model_errors, format_missing)
{
    cJSON *d = base();
    cJSON_DeleteItemFromObjectCaseSensitive(d, "format");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "'format'", "seqrt");
}

Test(model_errors, format_incorrect)
{
    cJSON *d = base();
    tu_set(d, "format", cJSON_CreateString("onnx"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "'format'", "seqrt");
}

Test(model_errors, version_2)
{
    cJSON *d = base();
    tu_set(d, "version", cJSON_CreateNumber(2));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "version 2", "not supported");
}

/* Format 1.1 is a superset of 1: a description that says 1.1 loads. */
Test(model_errors, version_1_1_loads)
{
    cJSON *d = base();
    tu_set(d, "version", cJSON_CreateNumber(1.1));
    cr_assert_eq(load_desc(d, 1), SEQRT_OK, "%s", seqrt_last_error());
}

Test(model_errors, version_1_5)
{
    cJSON *d = base();
    tu_set(d, "version", cJSON_CreateNumber(1.5));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "version 1.5", "not supported");
}

Test(model_errors, version_not_a_number)
{
    cJSON *d = base();
    tu_set(d, "version", cJSON_CreateString("1.1"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "'version'", "number");
}

Test(model_errors, version_missing)
{
    cJSON *d = base();
    cJSON_DeleteItemFromObjectCaseSensitive(d, "version");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "'version'");
}

Test(model_errors, unknown_top_level_field)
{
    cJSON *d = base();
    tu_set(d, "optimizer", cJSON_CreateString("adam"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "unknown field 'optimizer'");
}

/* ------------------------------------------------------------ safetensors */

Test(model_errors, st_header_length_2_pow_62)
{
    seqrt_status st = load_base_with_st("{}", (uint64_t)1 << 62, 0);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "header length", "4611686018427387904");
}

Test(model_errors, st_header_length_past_file)
{
    const char *h = "{\"embed.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    seqrt_status st = load_base_with_st(h, strlen(h) + 100, 8);
    char want[64];
    snprintf(want, sizeof want, "%zu", strlen(h) + 100);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "header length", want, "past the end");
}

Test(model_errors, st_offsets_past_end)
{
    seqrt_status st = load_base_with_st(
        "{\"embed.weight\":{\"dtype\":\"F32\",\"shape\":[10,4],\"data_offsets\":[0,160]}}", 0, 100);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "embed.weight", "data_offsets", "160");
}

Test(model_errors, st_offsets_overflow_u64_max)
{
    seqrt_status st = load_base_with_st(
        "{\"embed.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}", 0, 8);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "embed.weight", "data_offsets");
}

Test(model_errors, st_offsets_overflow_wrapping)
{
    /* begin + size would wrap a 64-bit sum to a small number */
    seqrt_status st = load_base_with_st(
        "{\"embed.weight\":{\"dtype\":\"F32\",\"shape\":[2],"
        "\"data_offsets\":[18446744073709551608,0]}}",
        0, 8);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "embed.weight", "data_offsets");
}

Test(model_errors, st_offsets_begin_after_end)
{
    seqrt_status st = load_base_with_st(
        "{\"embed.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 0, 16);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "embed.weight", "data_offsets", "begin");
}

Test(model_errors, st_size_not_shape_times_dtype)
{
    seqrt_status st = load_base_with_st(
        "{\"embed.weight\":{\"dtype\":\"F32\",\"shape\":[10,4],\"data_offsets\":[0,80]}}", 0, 160);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "embed.weight", "[10, 4]", "80", "160");
}

Test(model_errors, st_dtype_i64)
{
    seqrt_status st = load_base_with_st(
        "{\"embed.weight\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 0, 16);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "embed.weight", "I64");
}

Test(model_errors, st_header_invalid_json)
{
    seqrt_status st = load_base_with_st("{\"embed.weight\": {\"dtype\": ", 0, 16);
    expect_error(st, SEQRT_ERR_PARSE, "model.safetensors", "JSON");
}

Test(model_errors, st_file_too_short)
{
    cJSON *b = base();
    tu_write_model(g_dir, "model", b, 0, 0, g_json, sizeof g_json);
    cJSON_Delete(b);
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", g_dir);
    tu_write(path, "\x02\x00\x00", 3);
    expect_error(load_path(g_json, NULL), SEQRT_ERR_PARSE, "model.safetensors");
}

/* ------------------------------------------------------------ weights */

static void drop_weight_hh(tu_st *b) { cJSON_DeleteItemFromObjectCaseSensitive(b->header, "rnn.weight_hh_l0"); }

Test(model_errors, weight_missing)
{
    seqrt_status st = load_base_edit_weights(drop_weight_hh, NULL);
    expect_error(st, SEQRT_ERR_MODEL, "'rnn.weight_hh_l0'", "missing", "layer 'rnn'");
}

Test(model_errors, weights_file_without_tensors)
{
    /* a valid safetensors file with no tensors at all */
    seqrt_status st = load_base_with_st("{}", 0, 0);
    expect_error(st, SEQRT_ERR_MODEL, "'embed.weight'", "missing", "layer 'embed'");
}

static void misshape_weight_hh(tu_st *b)
{
    cJSON_DeleteItemFromObjectCaseSensitive(b->header, "rnn.weight_hh_l0");
    int64_t d[2] = {32, 7};
    uint32_t seed = 5;
    tu_st_add(b, "rnn.weight_hh_l0", 2, d, NULL, &seed, 0.5f);
}

Test(model_errors, weight_misshaped)
{
    seqrt_status st = load_base_edit_weights(misshape_weight_hh, NULL);
    expect_error(st, SEQRT_ERR_MODEL, "'rnn.weight_hh_l0'", "[32, 7]", "[32, 8]");
}

static void misrank_embedding(tu_st *b)
{
    cJSON_DeleteItemFromObjectCaseSensitive(b->header, "embed.weight");
    int64_t d[1] = {40};
    uint32_t seed = 5;
    tu_st_add(b, "embed.weight", 1, d, NULL, &seed, 0.5f);
}

Test(model_errors, weight_wrong_rank)
{
    seqrt_status st = load_base_edit_weights(misrank_embedding, NULL);
    expect_error(st, SEQRT_ERR_MODEL, "'embed.weight'", "[40]", "[10, 4]");
}

static void add_extra(tu_st *b)
{
    int64_t d[1] = {3};
    uint32_t seed = 9;
    tu_st_add(b, "extra.unused", 1, d, NULL, &seed, 0.5f);
}

Test(model_errors, weight_unused_is_warning)
{
    seqrt_status st = load_base_edit_weights(add_extra, NULL);
    cr_assert_eq(st, SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(seqrt_model_warning_count(g_model), 1);
    const char *w = seqrt_model_warning(g_model, 0);
    cr_assert(w && strstr(w, "extra.unused") && strstr(w, "not used"), "warning: %s", w ? w : "(null)");
    cr_assert_null(seqrt_model_warning(g_model, 1));
}

Test(model_errors, weight_unused_strict_is_error)
{
    seqrt_load_options opt = {.strict = 1};
    seqrt_status st = load_base_edit_weights(add_extra, &opt);
    expect_error(st, SEQRT_ERR_MODEL, "'extra.unused'", "not used");
}

/* ------------------------------------------------------------ layers: ops, attributes */

Test(model_errors, unknown_op)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "op", cJSON_CreateString("lstmcell"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "unknown op 'lstmcell'");
}

Test(model_errors, op_not_a_string)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "op", cJSON_CreateNumber(3));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'op'");
}

Test(model_errors, unknown_attribute)
{
    cJSON *d = base();
    cJSON *L = tu_layer(d, "rnn");
    cJSON_DeleteItemFromObjectCaseSensitive(L, "hidden_size");
    tu_set(L, "hiden_size", cJSON_CreateNumber(8));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "unknown attribute 'hiden_size'");
}

Test(model_errors, attribute_string_for_int)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "hidden_size", cJSON_CreateString("128"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'hidden_size'", "integer", "string");
}

Test(model_errors, attribute_number_for_bool)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "bidirectional", cJSON_CreateNumber(1));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'bidirectional'", "true or false");
}

Test(model_errors, attribute_fraction_for_int)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "num_layers", cJSON_CreateNumber(2.5));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'num_layers'", "integer");
}

Test(model_errors, attribute_bad_enum)
{
    cJSON *d = base();
    add_layer(d, "{\"op\": \"activation\", \"name\": \"act\", \"inputs\": {\"x\": \"fc\"}, \"function\": \"swish\"}");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'act'", "'function'", "swish", "relu");
}

Test(model_errors, hidden_size_zero)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "hidden_size", cJSON_CreateNumber(0));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'hidden_size'", "out of range");
}

Test(model_errors, hidden_size_negative)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "hidden_size", cJSON_CreateNumber(-1));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'hidden_size'", "-1", "out of range");
}

Test(model_errors, hidden_size_2_pow_40)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "hidden_size", cJSON_CreateNumber(1099511627776.0));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'hidden_size'", "1099511627776",
                 "out of range");
}

Test(model_errors, hidden_size_huge_double)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "hidden_size", cJSON_CreateNumber(1e300));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'hidden_size'");
}

Test(model_errors, missing_required_attribute)
{
    cJSON *d = base();
    cJSON_DeleteItemFromObjectCaseSensitive(tu_layer(d, "rnn"), "input_size");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "required attribute 'input_size'", "missing");
}

Test(model_errors, proj_size_not_below_hidden_size)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "proj_size", cJSON_CreateNumber(8));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'proj_size'", "hidden_size");
}

Test(model_errors, additive_attention_without_attention_size)
{
    cJSON *d = tu_parse(
        "{\"format\": \"seqrt\", \"version\": 1,"
        " \"inputs\": [{\"name\": \"q\", \"dtype\": \"float32\", \"shape\": [\"B\", 8]},"
        "            {\"name\": \"k\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 8]}],"
        " \"layers\": [{\"op\": \"attention\", \"name\": \"att\", \"inputs\": {\"query\": \"q\", \"keys\": \"k\"},"
        "              \"score\": \"additive\"}],"
        " \"outputs\": [\"att\"]}");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'att'", "additive", "'attention_size'");
}

Test(model_errors, embed_dim_not_divisible_by_num_heads)
{
    cJSON *d = tu_parse(
        "{\"format\": \"seqrt\", \"version\": 1,"
        " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 8]}],"
        " \"layers\": [{\"op\": \"multihead_attention\", \"name\": \"mha\", \"inputs\": {\"query\": \"x\"},"
        "              \"embed_dim\": 8, \"num_heads\": 3}],"
        " \"outputs\": [\"mha\"]}");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'mha'", "embed_dim 8", "num_heads 3");
}

/* ------------------------------------------------------------ graph: slots, values, names */

Test(model_errors, unknown_input_slot)
{
    cJSON *d = base();
    cJSON *in = cJSON_GetObjectItemCaseSensitive(tu_layer(d, "rnn"), "inputs");
    cJSON_AddStringToObject(in, "hx", "embed");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "unknown input slot 'hx'", "h0");
}

Test(model_errors, missing_required_slot)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "rnn"), "inputs", cJSON_CreateObject());
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "required input 'x'", "missing");
}

Test(model_errors, value_used_before_defined)
{
    cJSON *d = base();
    cJSON *in = cJSON_GetObjectItemCaseSensitive(tu_layer(d, "rnn"), "inputs");
    tu_set(in, "x", cJSON_CreateString("fc"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'x'", "'fc'", "not defined");
}

Test(model_errors, value_never_defined)
{
    cJSON *d = base();
    cJSON *in = cJSON_GetObjectItemCaseSensitive(tu_layer(d, "fc"), "inputs");
    tu_set(in, "x", cJSON_CreateString("rnn:y_n"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'fc'", "'rnn:y_n'", "not defined");
}

Test(model_errors, float_value_into_ids_slot)
{
    cJSON *d = base();
    cJSON *in = cJSON_GetObjectItemCaseSensitive(d, "inputs");
    cJSON_AddItemToArray(in, tu_parse("{\"name\": \"feats\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\"]}"));
    tu_set(cJSON_GetObjectItemCaseSensitive(tu_layer(d, "embed"), "inputs"), "x", cJSON_CreateString("feats"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'embed'", "'x'", "'feats'", "integer");
}

Test(model_errors, int_value_into_lstm_x)
{
    cJSON *d = base();
    tu_set(cJSON_GetObjectItemCaseSensitive(tu_layer(d, "rnn"), "inputs"), "x", cJSON_CreateString("tokens"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'rnn'", "'x'", "'tokens'", "float32");
}

Test(model_errors, duplicate_layer_name)
{
    cJSON *d = base();
    add_layer(d, "{\"op\": \"linear\", \"name\": \"fc\", \"inputs\": {\"x\": \"rnn\"},"
                 " \"in_features\": 8, \"out_features\": 10}");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'fc'", "already used");
}

Test(model_errors, layer_name_shadows_input)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "fc"), "name", cJSON_CreateString("tokens"));
    tu_set(d, "outputs", tu_parse("[\"rnn\"]"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layer 'tokens'", "already used");
}

Test(model_errors, layer_name_starts_with_digit)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "fc"), "name", cJSON_CreateString("1abc"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layers[2]", "'name'", "1abc");
}

Test(model_errors, layer_name_with_dash)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "fc"), "name", cJSON_CreateString("a-b"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layers[2]", "'name'", "a-b");
}

Test(model_errors, layer_name_missing)
{
    cJSON *d = base();
    cJSON_DeleteItemFromObjectCaseSensitive(tu_layer(d, "fc"), "name");
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "layers[2]", "'name'");
}

Test(model_errors, output_unknown_value)
{
    cJSON *d = base();
    tu_set(d, "outputs", tu_parse("[\"fc\", \"logits\"]"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "output 'logits'", "not a value");
}

Test(model_errors, output_duplicate)
{
    cJSON *d = base();
    tu_set(d, "outputs", tu_parse("[\"fc\", \"rnn:h_n\", \"fc\"]"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "output 'fc'", "twice");
}

Test(model_errors, input_duplicate)
{
    cJSON *d = base();
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(d, "inputs"),
                         tu_parse("{\"name\": \"tokens\", \"dtype\": \"int32\", \"shape\": [\"T\", \"B\"]}"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "input 'tokens'", "twice");
}

Test(model_errors, input_bad_dtype)
{
    cJSON *d = base();
    cJSON *in0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "inputs"), 0);
    tu_set(in0, "dtype", cJSON_CreateString("float16"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "input 'tokens'", "float16");
}

Test(model_errors, input_bad_dim)
{
    cJSON *d = base();
    cJSON *in0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "inputs"), 0);
    tu_set(in0, "shape", tu_parse("[\"T\", 0]"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "input 'tokens'", "shape[1]");
}

/* ------------------------------------------------------------ weights path */

Test(model_errors, weights_path_parent_refused)
{
    cJSON *d = base();
    tu_set(d, "weights", cJSON_CreateString("../x.safetensors"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "'weights'", "../x.safetensors");
}

Test(model_errors, weights_path_inner_parent_refused)
{
    cJSON *d = base();
    tu_set(d, "weights", cJSON_CreateString("sub/../../x.safetensors"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "'weights'", "sub/../../x.safetensors");
}

Test(model_errors, weights_path_absolute_refused)
{
    cJSON *d = base();
    tu_set(d, "weights", cJSON_CreateString("/etc/passwd"));
    expect_error(load_desc(d, 1), SEQRT_ERR_MODEL, "'weights'", "/etc/passwd");
}

Test(model_errors, weights_file_missing)
{
    cJSON *d = base();
    tu_set(d, "weights", cJSON_CreateString("nosuch.safetensors"));
    seqrt_status st = load_desc(d, 1);
    char want[1100];
    snprintf(want, sizeof want, "%s/nosuch.safetensors", g_dir);
    expect_error(st, SEQRT_ERR_IO, want);
}

Test(model_errors, weights_default_path_missing)
{
    /* no "weights": model.safetensors beside model.json, which is absent */
    char want[1100];
    snprintf(want, sizeof want, "%s/model.safetensors", g_dir);
    expect_error(load_desc(base(), 0), SEQRT_ERR_IO, want);
}

Test(model_errors, weights_explicit_option_used_as_given)
{
    /* the option bypasses the description's directory rule */
    cJSON *d = base();
    tu_write_model(g_dir, "other", d, 1, 1, g_json, sizeof g_json);
    tu_set(d, "weights", cJSON_CreateString("/etc/passwd"));
    char wpath[1100];
    snprintf(wpath, sizeof wpath, "%s/other.safetensors", g_dir);
    seqrt_load_options opt = {.weights_path = wpath};
    cr_assert_eq(load_desc_opt(d, 0, &opt), SEQRT_OK, "%s", seqrt_last_error());
}

Test(model_errors, description_file_missing)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/absent.json", g_dir);
    expect_error(load_path(path, NULL), SEQRT_ERR_IO, path);
}

/* ------------------------------------------------------------ static shapes */

Test(model_errors, static_shape_mismatch_at_load)
{
    cJSON *d = tu_parse(
        "{\"format\": \"seqrt\", \"version\": 1,"
        " \"inputs\": [{\"name\": \"feats\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", 4]}],"
        " \"layers\": [{\"op\": \"lstm\", \"name\": \"rnn\", \"inputs\": {\"x\": \"feats\"},"
        "              \"input_size\": 8, \"hidden_size\": 8}],"
        " \"outputs\": [\"rnn\"]}");
    expect_error(load_desc(d, 1), SEQRT_ERR_SHAPE, "layer 'rnn'", "'feats'", "[T, B, 4]", "8");
}

Test(model_errors, static_shape_linear_after_lstm)
{
    cJSON *d = base();
    tu_set(tu_layer(d, "fc"), "in_features", cJSON_CreateNumber(6));
    expect_error(load_desc(d, 1), SEQRT_ERR_SHAPE, "layer 'fc'", "'rnn'", "[T, B, 8]", "6");
}
