/* What `seqrt info` shows of each layer: output shape, parameters, FLOPs
 * (from the op schema's flops hook), every attribute of the op's schema row
 * with its value, and a recurrent layer's derived gate functions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate_fn.h"
#include "ops.h"

seqrt_status seqrt_model_layer_info(const seqrt_model *m, size_t i, seqrt_layer_info *out)
{
    if (!m || !out || i >= (size_t)m->nlayers)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_model_layer_info: layer index %zu is out of range", i);
    const sq_layer *L = &m->layers[i];
    const sq_value *v = &m->values[L->out[SQ_OUT_MAIN]];
    out->name = L->name;
    out->op = sq_op_name(L->op);
    sq_format_dims(m, v->rank, v->dims, out->shape, sizeof out->shape);
    out->params = 0;
    for (int k = 0; k < L->nw; k++)
        if (L->w[k]) out->params += (uint64_t)L->w[k]->count;
    const sq_op_schema *s = sq_op_schema_get(L->op);
    out->flops_per_step = s->flops ? s->flops(m, L) : 0;
    return SEQRT_OK;
}

/* ------------------------------------------------------------ attributes */

static size_t attr_count(const sq_layer *L)
{
    size_t n = 0;
    for (const sq_attr_spec *sp = sq_op_schema_get(L->op)->attrs; sp->name; sp++) n++;
    return n;
}

size_t seqrt_model_layer_attr_count(const seqrt_model *m, size_t i)
{
    if (!m || i >= (size_t)m->nlayers) return 0;
    return attr_count(&m->layers[i]);
}

/* Appends printf text to buf[size] at *pos; false once it no longer fits. */
static bool put(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
    if (*pos >= size) return false;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *pos, size - *pos, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= size - *pos) {
        *pos = size;
        return false;
    }
    *pos += (size_t)k;
    return true;
}

/* The shortest of %.15g and %.17g that reads back as v. */
static bool put_number(char *buf, size_t size, size_t *pos, double v)
{
    char t[32];
    snprintf(t, sizeof t, "%.15g", v);
    if (strtod(t, NULL) != v) snprintf(t, sizeof t, "%.17g", v);
    return put(buf, size, pos, "%s", t);
}

/* The name of enum value v in spec sp ("?" if none). */
static const char *enum_name(const sq_attr_spec *sp, int v)
{
    for (int k = 0; sp->names[k]; k++)
        if (sp->values[k] == v) return sp->names[k];
    return "?";
}

seqrt_status seqrt_model_layer_attr(const seqrt_model *m, size_t i, size_t k, seqrt_layer_attr *out)
{
    if (!m || !out || i >= (size_t)m->nlayers)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_model_layer_attr: layer index %zu is out of range", i);
    const sq_layer *L = &m->layers[i];
    if (k >= attr_count(L))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "seqrt_model_layer_attr: layer '%s' (%s) has %zu attributes, index %zu is out of range",
                        L->name, sq_op_name(L->op), attr_count(L), k);
    const sq_attr_spec *sp = &sq_op_schema_get(L->op)->attrs[k];
    const char *base = (const char *)&L->a + sp->offset;
    char *buf = out->value;
    size_t size = sizeof out->value, pos = 0;
    bool def = false, ok = true;
    buf[0] = '\0';
    switch (sp->type) {
    case SQ_AT_INT: {
        int64_t v = *(const int64_t *)base;
        ok = put(buf, size, &pos, "%lld", (long long)v);
        def = v == (int64_t)sp->def;
        break;
    }
    case SQ_AT_BOOL: {
        bool v = *(const bool *)base;
        ok = put(buf, size, &pos, "%s", v ? "true" : "false");
        def = v == (sp->def != 0);
        break;
    }
    case SQ_AT_FLOAT: {
        double v = *(const double *)base;
        ok = put_number(buf, size, &pos, v);
        def = v == sp->def;
        break;
    }
    case SQ_AT_ENUM: {
        int v = *(const int *)base;
        ok = put(buf, size, &pos, "\"%s\"", enum_name(sp, v));
        def = v == (int)sp->def;
        break;
    }
    case SQ_AT_ENUM_LIST:
    case SQ_AT_FLOAT_LIST: {
        int n = sp->type == SQ_AT_ENUM_LIST ? ((const sq_enum_list *)base)->n : ((const sq_float_list *)base)->n;
        ok = put(buf, size, &pos, "[");
        for (int e = 0; e < n && ok; e++) {
            if (e) ok = put(buf, size, &pos, ", ");
            if (!ok) break;
            if (sp->type == SQ_AT_ENUM_LIST)
                ok = put(buf, size, &pos, "\"%s\"", enum_name(sp, ((const sq_enum_list *)base)->v[e]));
            else
                ok = put_number(buf, size, &pos, ((const sq_float_list *)base)->v[e]);
        }
        if (ok) ok = put(buf, size, &pos, "]");
        def = n == 0;
        break;
    }
    }
    if (!ok) /* cannot happen with the lists' bounds (SQ_ACTS_MAX entries) */
        return sq_error(SEQRT_ERR_LIMIT, "seqrt_model_layer_attr: the value of attribute '%s' of layer '%s' is too long",
                        sp->name, L->name);
    out->name = sp->name;
    out->is_default = !sp->required && def;
    out->since_minor = sp->since;
    return SEQRT_OK;
}

/* ------------------------------------------------------------ gate functions */

/* Names of the gate functions, by sq_gate_fn value (the `activations` spellings). */
static const char *gate_fn_name(const sq_layer *L, int fn)
{
    for (const sq_attr_spec *sp = sq_op_schema_get(L->op)->attrs; sp->name; sp++)
        if (sp->type == SQ_AT_ENUM_LIST && !strcmp(sp->name, "activations")) return enum_name(sp, fn);
    return "?";
}

seqrt_status seqrt_model_layer_gate_functions(const seqrt_model *m, size_t i, char *text, size_t size)
{
    if (!m || !text || !size || i >= (size_t)m->nlayers)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "seqrt_model_layer_gate_functions: layer index %zu is out of range (or no buffer)", i);
    const sq_layer *L = &m->layers[i];
    const sq_op_schema *s = sq_op_schema_get(L->op);
    size_t pos = 0;
    bool ok = true;
    text[0] = '\0';
    int D = s->gate_fns ? sq_dirs(L) : 0;
    for (int d = 0; d < D && ok; d++) {
        if (D == 2) ok = put(text, size, &pos, "%s%s: ", d ? "; " : "", d ? "reverse" : "forward");
        for (int j = 0; j < s->gate_fns && ok; j++) {
            const sq_gate_act *g = sq_gate_act_of(L, d, j);
            ok = put(text, size, &pos, "%s%s", j ? ", " : "", gate_fn_name(L, g->fn));
            int np = ok ? sq_gate_fn_params(g->fn) : 0;
            if (np) ok = put(text, size, &pos, "(alpha=") && put_number(text, size, &pos, g->alpha);
            if (ok && np == 2) ok = put(text, size, &pos, ", beta=") && put_number(text, size, &pos, g->beta);
            if (ok && np) ok = put(text, size, &pos, ")");
        }
    }
    if (!ok) {
        text[0] = '\0';
        return sq_error(SEQRT_ERR_LIMIT, "seqrt_model_layer_gate_functions: %zu bytes are too few for layer '%s'",
                        size, L->name);
    }
    return SEQRT_OK;
}
