/*
 * Shape inference of a model (see shape.h): each layer through its op's
 * schema hook (the rules are in op_basic.c, op_recurrent.c,
 * op_attention.c), the element limit of every value, and the axis and
 * dims helpers the rules and messages use.
 */
#include <stdio.h>
#include <string.h>

#include "shape_rules.h"

int sq_norm_axis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= rank) return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}

int sq_axis_split(int rank, const int64_t *d, int64_t axis, int64_t *outer, int64_t *inner)
{
    const int a = sq_norm_axis(axis, rank);
    *outer = *inner = 1;
    if (a < 0) return -1;
    for (int i = 0; i < a; i++) *outer *= d[i];
    for (int i = a + 1; i < rank; i++) *inner *= d[i];
    return a;
}

void sq_format_dims(const seqrt_model *m, int rank, const int64_t *dims, char *buf, size_t n)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && used < n; i++) {
        const char *sep = i ? ", " : "";
        if (dims[i] >= 0)
            used += (size_t)snprintf(buf + used, n - used, "%s%lld", sep, (long long)dims[i]);
        else {
            int s = (int)(-dims[i] - 1);
            const char *name = (m && s < m->nsyms) ? m->sym_names[s] : "?";
            used += (size_t)snprintf(buf + used, n - used, "%s%s", sep, name);
        }
    }
    if (used < n) snprintf(buf + used, n - used, "]");
}

seqrt_status sq_infer_layer(const seqrt_model *m, const sq_layer *L, sq_shape *shapes, int *taxis,
                            seqrt_model *symtab)
{
    const sq_op_schema *s = sq_op_schema_get(L->op);
    if (!s || !s->infer) return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': no shape rule", L->name);
    sq_infer_ctx c = {.m = m, .L = L, .s = s, .shapes = shapes, .taxis = taxis, .symtab = symtab};
    return s->infer(&c);
}

/* Every output value must stay within the element limit. */
static seqrt_status check_outputs(const seqrt_model *m, const sq_layer *L, const sq_shape *shapes)
{
    for (int o = 0; o < SQ_MAX_OUTS; o++) {
        int v = L->out[o];
        if (v < 0) continue;
        int64_t n = 1;
        bool ok = true;
        for (int i = 0; i < shapes[v].rank; i++)
            if (shapes[v].d[i] >= 0 && !sq_mul_ok(n, shapes[v].d[i], &n)) ok = false;
        if (!ok || n > SQ_MAX_ELEMENTS) {
            char s[128];
            sq_format_dims(m, shapes[v].rank, shapes[v].d, s, sizeof s);
            return sq_error(SEQRT_ERR_LIMIT,
                            "layer '%s': value '%s' of shape %s exceeds the limit of %lld elements",
                            L->name, m->values[v].name, s, (long long)SQ_MAX_ELEMENTS);
        }
    }
    return SEQRT_OK;
}

seqrt_status sq_infer_model(seqrt_model *m)
{
    sq_shape *shapes = sq_calloc((size_t)m->nvalues, sizeof *shapes);
    int *taxis = sq_calloc((size_t)m->nvalues, sizeof *taxis);
    seqrt_status st = SEQRT_OK;
    if (!shapes || !taxis) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory inferring shapes");
        goto done;
    }
    for (int v = 0; v < m->nvalues; v++) {
        shapes[v].rank = m->values[v].rank;
        memcpy(shapes[v].d, m->values[v].dims, sizeof shapes[v].d);
        taxis[v] = m->values[v].time_axis;
    }
    for (int l = 0; l < m->nlayers && !st; l++) {
        st = sq_infer_layer(m, &m->layers[l], shapes, taxis, m);
        if (!st) st = check_outputs(m, &m->layers[l], shapes);
    }
    for (int v = 0; v < m->nvalues && !st; v++) {
        m->values[v].rank = shapes[v].rank;
        memcpy(m->values[v].dims, shapes[v].d, sizeof shapes[v].d);
        m->values[v].time_axis = taxis[v];
    }
done:
    sq_free(shapes);
    sq_free(taxis);
    return st;
}

seqrt_status sq_infer_plan(const seqrt_model *m, sq_shape *shapes)
{
    for (int l = 0; l < m->nlayers; l++) {
        seqrt_status st = sq_infer_layer(m, &m->layers[l], shapes, NULL, NULL);
        if (!st) st = check_outputs(m, &m->layers[l], shapes);
        if (st) return st;
    }
    return SEQRT_OK;
}
