/*
 * Attribute values of a layer description (attrs.h): one JSON field parsed
 * by its schema row, into the sq_attrs field the row names.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "attrs.h"

const char *sq_json_type_name(const cJSON *j)
{
    if (!j) return "nothing";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsArray(j)) return "a list";
    if (cJSON_IsObject(j)) return "an object";
    return "an unknown JSON type";
}

bool sq_json_int(const cJSON *j, int64_t *out)
{
    if (!cJSON_IsNumber(j)) return false;
    double v = j->valuedouble;
    if (!isfinite(v) || v != floor(v) || fabs(v) > 9007199254740992.0) return false;
    *out = (int64_t)v;
    return true;
}

/* The accepted names of an enum, "a, b, c". */
static void name_list(const sq_attr_spec *sp, char *out, size_t n)
{
    out[0] = '\0';
    for (int i = 0; sp->names[i]; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? ", " : "", sp->names[i]);
}

/* The value of name `s` in an enum (exact, or any case for a list of
 * names), or -1. */
static int enum_value(const sq_attr_spec *sp, const char *s, bool any_case)
{
    for (int i = 0; sp->names[i]; i++)
        if (any_case ? !strcasecmp(sp->names[i], s) : !strcmp(sp->names[i], s)) return sp->values[i];
    return -1;
}

#define FAIL(...) sq_error(SEQRT_ERR_MODEL, __VA_ARGS__)

static seqrt_status parse_list(const char *file, sq_layer *L, const sq_attr_spec *sp, const cJSON *j)
{
    char *base = (char *)&L->a + sp->offset;
    const char *op = sq_op_name(L->op);
    int n = cJSON_GetArraySize(j);
    if (!cJSON_IsArray(j))
        return FAIL("%s: layer '%s' (%s): attribute '%s' must be a list, got %s", file, L->name, op, sp->name,
                    sq_json_type_name(j));
    if (n > sp->max)
        return FAIL("%s: layer '%s' (%s): attribute '%s' has %d entries, at most %lld are allowed", file, L->name,
                    op, sp->name, n, (long long)sp->max);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        if (sp->type == SQ_AT_FLOAT_LIST) {
            if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
                return FAIL("%s: layer '%s' (%s): attribute '%s'[%d] must be a finite number, got %s", file,
                            L->name, op, sp->name, i, sq_json_type_name(e));
            ((sq_float_list *)base)->v[i++] = e->valuedouble;
            continue;
        }
        int v = cJSON_IsString(e) ? enum_value(sp, e->valuestring, true) : -1;
        if (v < 0) {
            char list[256];
            name_list(sp, list, sizeof list);
            if (!cJSON_IsString(e))
                return FAIL("%s: layer '%s' (%s): attribute '%s'[%d] must be a string, got %s", file, L->name,
                            op, sp->name, i, sq_json_type_name(e));
            return FAIL("%s: layer '%s' (%s): attribute '%s'[%d] = \"%s\" is not one of %s (any case)", file,
                        L->name, op, sp->name, i, e->valuestring, list);
        }
        ((sq_enum_list *)base)->v[i++] = v;
    }
    if (sp->type == SQ_AT_FLOAT_LIST) ((sq_float_list *)base)->n = n;
    else ((sq_enum_list *)base)->n = n;
    return SEQRT_OK;
}

seqrt_status sq_attr_parse(const char *file, sq_layer *L, const sq_attr_spec *sp, const cJSON *j)
{
    char *base = (char *)&L->a + sp->offset;
    const char *op = sq_op_name(L->op);
    int64_t iv;
    switch (sp->type) {
    case SQ_AT_INT:
        if (!sq_json_int(j, &iv))
            return FAIL("%s: layer '%s' (%s): attribute '%s' must be an integer, got %s", file, L->name, op,
                        sp->name, sq_json_type_name(j));
        if (iv < sp->min || iv > sp->max)
            return FAIL("%s: layer '%s' (%s): attribute '%s' = %lld is out of range [%lld, %lld]", file, L->name,
                        op, sp->name, (long long)iv, (long long)sp->min, (long long)sp->max);
        *(int64_t *)base = iv;
        break;
    case SQ_AT_BOOL:
        if (!cJSON_IsBool(j))
            return FAIL("%s: layer '%s' (%s): attribute '%s' must be true or false, got %s", file, L->name, op,
                        sp->name, sq_json_type_name(j));
        *(bool *)base = cJSON_IsTrue(j);
        break;
    case SQ_AT_FLOAT:
        if (!cJSON_IsNumber(j) || !(j->valuedouble >= (double)sp->min && j->valuedouble <= (double)sp->max))
            return FAIL("%s: layer '%s' (%s): attribute '%s' must be a number in [%lld, %lld]", file, L->name, op,
                        sp->name, (long long)sp->min, (long long)sp->max);
        *(double *)base = j->valuedouble;
        break;
    case SQ_AT_ENUM: {
        if (!cJSON_IsString(j))
            return FAIL("%s: layer '%s' (%s): attribute '%s' must be a string, got %s", file, L->name, op,
                        sp->name, sq_json_type_name(j));
        int v = enum_value(sp, j->valuestring, false);
        if (v >= 0) {
            *(int *)base = v;
            return SEQRT_OK;
        }
        char list[256];
        name_list(sp, list, sizeof list);
        return FAIL("%s: layer '%s' (%s): attribute '%s' = \"%s\" is not one of %s", file, L->name, op, sp->name,
                    j->valuestring, list);
    }
    case SQ_AT_ENUM_LIST:
    case SQ_AT_FLOAT_LIST: return parse_list(file, L, sp, j);
    }
    return SEQRT_OK;
}

void sq_attr_set_default(sq_layer *L, const sq_attr_spec *sp)
{
    char *base = (char *)&L->a + sp->offset;
    switch (sp->type) {
    case SQ_AT_INT: *(int64_t *)base = (int64_t)sp->def; break;
    case SQ_AT_BOOL: *(bool *)base = sp->def != 0; break;
    case SQ_AT_FLOAT: *(double *)base = sp->def; break;
    case SQ_AT_ENUM: *(int *)base = (int)sp->def; break;
    case SQ_AT_ENUM_LIST: ((sq_enum_list *)base)->n = 0; break;
    case SQ_AT_FLOAT_LIST: ((sq_float_list *)base)->n = 0; break;
    }
}
