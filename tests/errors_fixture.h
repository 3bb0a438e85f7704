/*
 * The fixture shared by test_model_errors.c (load-time errors) and
 * test_run_errors.c (run-time and .npy errors): a fresh temporary directory
 * per test, the base description (embedding -> lstm -> linear) and the
 * loaders that write a description or a broken weights file there and load
 * it, checking that a failing seqrt_model_load leaves *out NULL.
 *
 * Everything is static (each test executable includes this once); each
 * file declares its own TestSuite with setup/teardown.
 */
#ifndef SEQRT_ERRORS_FIXTURE_H
#define SEQRT_ERRORS_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqrt.h"
#include "test_util.h"

static char g_dir[512];
static char g_json[1024];     /* description path of the last load_desc */
static seqrt_model *g_model;  /* a successful load_desc / load_ok */
static seqrt_session *g_sess;

TU_UNUSED static void setup(void)
{
    cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0, "mkdtemp failed");
    g_model = NULL;
    g_sess = NULL;
}

TU_UNUSED static void teardown(void)
{
    seqrt_session_free(g_sess);
    seqrt_model_free(g_model);
    g_sess = NULL;
    g_model = NULL;
    tu_rmtree(g_dir);
}

/* embedding -> lstm -> linear, time-major ids; weights: model.safetensors. */
static const char *const BASE_DESC =
    "{\"format\": \"seqrt\", \"version\": 1, \"name\": \"base\","
    " \"inputs\": [{\"name\": \"tokens\", \"dtype\": \"int32\", \"shape\": [\"T\", \"B\"]}],"
    " \"layers\": ["
    "  {\"op\": \"embedding\", \"name\": \"embed\", \"inputs\": {\"x\": \"tokens\"},"
    "   \"num_embeddings\": 10, \"embedding_dim\": 4},"
    "  {\"op\": \"lstm\", \"name\": \"rnn\", \"inputs\": {\"x\": \"embed\"},"
    "   \"input_size\": 4, \"hidden_size\": 8},"
    "  {\"op\": \"linear\", \"name\": \"fc\", \"inputs\": {\"x\": \"rnn\"},"
    "   \"in_features\": 8, \"out_features\": 10}"
    " ],"
    " \"outputs\": [\"fc\", \"rnn:h_n\", \"rnn:c_n\"]}";

TU_UNUSED static cJSON *base(void) { return tu_parse(BASE_DESC); }


/* Loads g_json; on failure *out must be NULL. */
TU_UNUSED static seqrt_status load_path(const char *path, const seqrt_load_options *opt)
{
    seqrt_model *m = (seqrt_model *)(uintptr_t)0x1; /* sentinel: must be overwritten */
    seqrt_status st = seqrt_model_load(&m, path, opt);
    if (st != SEQRT_OK) {
        cr_assert_null(m, "seqrt_model_load failed (%s) but left *out non-NULL", seqrt_status_str(st));
    } else {
        cr_assert_not_null(m);
        seqrt_model_free(g_model);
        g_model = m;
    }
    return st;
}

/* Writes `desc` as model.json (and its weights when `weights`), frees it,
 * and loads it. */
TU_UNUSED static seqrt_status load_desc_opt(cJSON *desc, int weights, const seqrt_load_options *opt)
{
    tu_write_model(g_dir, "model", desc, weights, 1234, g_json, sizeof g_json);
    cJSON_Delete(desc);
    return load_path(g_json, opt);
}
TU_UNUSED static seqrt_status load_desc(cJSON *desc, int weights) { return load_desc_opt(desc, weights, NULL); }

/* Writes `text` verbatim as model.json (with the base weights) and loads it. */
TU_UNUSED static seqrt_status load_text(const char *text)
{
    cJSON *b = base();
    tu_write_model(g_dir, "model", b, 1, 1234, g_json, sizeof g_json);
    cJSON_Delete(b);
    tu_write(g_json, text, strlen(text));
    return load_path(g_json, NULL);
}

/* The base description with a hand-made weights file (a header and data). */
TU_UNUSED static seqrt_status load_base_with_st(const char *header, uint64_t hlen, size_t data_len)
{
    cJSON *b = base();
    tu_write_model(g_dir, "model", b, 0, 0, g_json, sizeof g_json);
    cJSON_Delete(b);
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", g_dir);
    uint8_t *data = calloc(data_len ? data_len : 1, 1);
    tu_write_safetensors_raw(path, header, hlen, data, data_len);
    free(data);
    return load_path(g_json, NULL);
}

/* The base description with its weights edited by `edit` before writing. */
TU_UNUSED static seqrt_status load_base_edit_weights(void (*edit)(tu_st *), const seqrt_load_options *opt)
{
    cJSON *b = base();
    tu_write_model(g_dir, "model", b, 0, 0, g_json, sizeof g_json);
    tu_st st;
    tu_st_init(&st);
    uint32_t seed = 77;
    tu_weights_for(b, &st, &seed, 0.5f);
    cJSON_Delete(b);
    edit(&st);
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", g_dir);
    tu_st_write(&st, path);
    tu_st_free(&st);
    return load_path(g_json, opt);
}

TU_UNUSED static cJSON *add_layer(cJSON *desc, const char *json)
{
    cJSON *L = tu_parse(json);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(desc, "layers"), L);
    return L;
}

#endif /* SEQRT_ERRORS_FIXTURE_H */
