/*
 * Format 1.2's precisions in the description (docs/model-format/quantization.md):
 * the top level's `precision` and `int8_rule`, each layer's `precision`
 * (its own, else the model's, with the defaults that keep 1.0/1.1 files
 * f32), and the forms of the ops that int8-dynamic cannot take. The
 * weights' side (I8 tensors, scales, forms) is model_weights.c's.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "attrs.h"
#include "ops.h"

static const char *const g_prec_names[SQ_PREC_COUNT] = {"f32", "bf16", "f16", "int8-dynamic"};

const char *sq_precision_name(int p) { return p >= 0 && p < SQ_PREC_COUNT ? g_prec_names[p] : "?"; }

static int precision_from_name(const char *s)
{
    for (int p = 0; p < SQ_PREC_COUNT; p++)
        if (!strcmp(s, g_prec_names[p])) return p;
    return -1;
}

/* Whether int8-dynamic is defined for the op (what quantize_dynamic quantizes). */
static bool int8_op(sq_op op) { return op == SQ_OP_LINEAR || op == SQ_OP_LSTM || op == SQ_OP_GRU; }

/* `what` = "field 'precision'" or "layer 'l' (lstm): attribute 'precision'". */
static seqrt_status parse_name(const char *file, const char *what, const cJSON *j, int *out)
{
    int p = cJSON_IsString(j) ? precision_from_name(j->valuestring) : -1;
    if (p < 0)
        return sq_error(SEQRT_ERR_MODEL, "%s: %s must be one of \"f32\", \"bf16\", \"f16\", \"int8-dynamic\"%s%s%s",
                        file, what, cJSON_IsString(j) ? " (got \"" : "", cJSON_IsString(j) ? j->valuestring : "",
                        cJSON_IsString(j) ? "\")" : "");
    *out = p;
    return SEQRT_OK;
}

seqrt_status sq_parse_model_precision(seqrt_model *m, const char *file, const cJSON *root)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "precision");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "int8_rule");
    m->precision = SQ_PREC_F32;
    m->int8_rule = SQ_INT8_RULE_NONE;
    if ((p || r) && m->format_minor < 2)
        return sq_error(SEQRT_ERR_MODEL, "%s: field '%s' needs format version 1.2 (the description says 1.%d)", file,
                        p ? "precision" : "int8_rule", m->format_minor);
    seqrt_status st;
    if (p && (st = parse_name(file, "field 'precision'", p, &m->precision))) return st;
    if (r) {
        if (cJSON_IsString(r) && !strcmp(r->valuestring, "qnnpack")) m->int8_rule = SQ_INT8_RULE_QNNPACK;
        else if (cJSON_IsString(r) && !strcmp(r->valuestring, "onednn")) m->int8_rule = SQ_INT8_RULE_ONEDNN;
        else
            return sq_error(SEQRT_ERR_MODEL, "%s: field 'int8_rule' must be \"qnnpack\" or \"onednn\"%s%s%s", file,
                            cJSON_IsString(r) ? " (got \"" : "", cJSON_IsString(r) ? r->valuestring : "",
                            cJSON_IsString(r) ? "\")" : "");
    }
    return SEQRT_OK;
}

/* The attribute of an lstm/gru layer that int8-dynamic cannot take, NULL if none. */
static const char *int8_refused_attr(const sq_layer *L)
{
    const sq_attrs *a = &L->a;
    if (L->op == SQ_OP_LINEAR) return NULL;
    if (a->proj_size > 0) return "proj_size";
    if (a->peephole) return "peephole";
    if (a->coupled) return "coupled";
    if (a->clip > 0) return "clip";
    if (a->input_forget) return "input_forget";
    if (!a->default_acts) return "activations";
    if (L->op == SQ_OP_GRU && !a->linear_before_reset) return "linear_before_reset: false";
    return NULL;
}

seqrt_status sq_parse_layer_precision(seqrt_model *m, const char *file, sq_layer *L, const cJSON *obj)
{
    const sq_op_schema *s = sq_op_schema_get(L->op);
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, "precision");
    int p;
    if (j) {
        char what[400];
        snprintf(what, sizeof what, "layer '%s' (%s): attribute 'precision'", L->name, s->name);
        if (m->format_minor < 2)
            return sq_error(SEQRT_ERR_MODEL, "%s: %s needs format version 1.2 (the description says 1.%d)", file,
                            what, m->format_minor);
        seqrt_status st = parse_name(file, what, j, &p);
        if (st) return st;
        if (!s->weights)
            return sq_error(SEQRT_ERR_MODEL, "%s: %s: op '%s' has no weights, so it has no precision", file, what,
                            s->name);
        if (p == SQ_PREC_INT8 && !int8_op(L->op))
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: %s = \"int8-dynamic\": op '%s' cannot take it (defined for linear, lstm and gru)",
                            file, what, s->name);
    } else {
        p = m->precision;
        if (!s->weights || (p == SQ_PREC_INT8 && !int8_op(L->op))) p = SQ_PREC_F32;
    }
    const char *refused = p == SQ_PREC_INT8 ? int8_refused_attr(L) : NULL;
    if (refused)
        return sq_error(SEQRT_ERR_MODEL,
                        "%s: layer '%s' (%s): precision \"int8-dynamic\"%s cannot take '%s' (PyTorch's dynamic "
                        "quantization has no such form)",
                        file, L->name, s->name, j ? "" : " (the model's)", refused);
    L->precision = p;
    return SEQRT_OK;
}

seqrt_status sq_check_model_precision(const seqrt_model *m, const char *file)
{
    const sq_layer *first = NULL;
    for (int l = 0; l < m->nlayers && !first; l++)
        if (m->layers[l].precision == SQ_PREC_INT8) first = &m->layers[l];
    if (first && m->int8_rule == SQ_INT8_RULE_NONE)
        return sq_error(SEQRT_ERR_MODEL,
                        "%s: layer '%s' (%s) computes int8-dynamic, so field 'int8_rule' (\"qnnpack\" or "
                        "\"onednn\") is required",
                        file, first->name, sq_op_name(first->op));
    if (!first && m->int8_rule != SQ_INT8_RULE_NONE)
        return sq_error(SEQRT_ERR_MODEL, "%s: field 'int8_rule' is given but no layer computes int8-dynamic", file);
    return SEQRT_OK;
}
