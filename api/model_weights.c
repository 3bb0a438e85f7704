/*
 * The weights of a model (see model.h): the safetensors tensors, sorted by
 * name, bound to the layers that read them as each op's schema lists them
 * (sq_layer_weight_specs), and the tensors no layer uses reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "ops.h"
#include "weight_forms.h"

static int cmp_weight_name(const void *a, const void *b)
{
    return strcmp(((const sq_weight *)a)->name, ((const sq_weight *)b)->name);
}

static sq_weight *find_weight(seqrt_model *m, const char *name)
{
    if (m->nweights == 0) return NULL; /* m->weights is NULL: bsearch must not see it */
    sq_weight key = {0};
    key.name = (char *)name;
    return bsearch(&key, m->weights, (size_t)m->nweights, sizeof key, cmp_weight_name);
}

static seqrt_status bind_layer_weights(seqrt_model *m, sq_layer *L)
{
    int nw = 0;
    int max = (int)(L->a.num_layers > 0 ? L->a.num_layers : 1) * 2 * SQ_RW_COUNT + 8;
    sq_weight_spec *specs = sq_calloc((size_t)max, sizeof *specs);
    if (!specs) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    int n = sq_layer_weight_specs(L, specs, max, &nw);
    seqrt_status st = SEQRT_OK;
    if (nw > 0 && !(L->w = sq_calloc((size_t)nw, sizeof *L->w))) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    L->nw = nw;
    for (int i = 0; i < n; i++) {
        const sq_weight_spec *sp = &specs[i];
        char name[400];
        snprintf(name, sizeof name, "%s.%s", L->name, sp->param);
        sq_weight *w = find_weight(m, name);
        if (!w) {
            if (sp->optional) continue;
            st = sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): weight tensor '%s' is missing", m->weights_path,
                          L->name, sq_op_name(L->op), name);
            goto done;
        }
        bool ok = w->rank == sp->rank;
        for (int d = 0; ok && d < sp->rank; d++)
            if (sp->dims[d] >= 0 && w->dims[d] != sp->dims[d]) ok = false;
        if (!ok) {
            char got[128], want[128];
            sq_format_dims(NULL, w->rank, w->dims, got, sizeof got);
            int64_t wd[2] = {sp->dims[0], sp->dims[1]};
            sq_format_dims(NULL, sp->rank, wd, want, sizeof want);
            /* a -1 dim (taken from the inputs) prints as "?" */
            st = sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): weight tensor '%s' has shape %s, expected %s",
                          m->weights_path, L->name, sq_op_name(L->op), name, got, want);
            goto done;
        }
        w->used = true;
        L->w[sp->index] = w;
    }
done:
    sq_free(specs);
    return st;
}

seqrt_status sq_model_load_weights(seqrt_model *m, bool strict, const uint8_t *image, size_t image_len)
{
    seqrt_status st = image ? sq_safetensors_parse_forms(image, image_len, m->weights_path, &m->weights, &m->nweights)
                            : sq_safetensors_load_forms(m->weights_path, &m->weights, &m->nweights);
    if (st) return st;
    if (m->nweights > 1) qsort(m->weights, (size_t)m->nweights, sizeof *m->weights, cmp_weight_name);
    for (int l = 0; l < m->nlayers; l++)
        if ((st = bind_layer_weights(m, &m->layers[l]))) return st;
    if ((st = sq_model_weight_forms(m))) return st;
    for (int i = 0; i < m->nweights; i++) {
        if (m->weights[i].used) continue;
        char msg[600];
        snprintf(msg, sizeof msg, "%s: tensor '%s' is not used by any layer", m->weights_path,
                 m->weights[i].name);
        if (strict) return sq_error(SEQRT_ERR_MODEL, "%s (error under --strict)", msg);
        if ((st = sq_model_add_warning(m, msg))) return st;
        sq_log(SQ_LOG_WARN, "%s", msg);
    }
    return SEQRT_OK;
}

/* ------------------------------------------------------------ forms (format 1.2) */

/* Whether weight slot i of layer L is a matrix that may be int8: linear's
 * weight, lstm/gru's weight_ih / weight_hh. */
static bool int8_matrix(const sq_layer *L, int i)
{
    if (L->op == SQ_OP_LINEAR) return i == SQ_W_LINEAR;
    if (L->op != SQ_OP_LSTM && L->op != SQ_OP_GRU) return false;
    return i % SQ_RW_COUNT == SQ_RW_IH || i % SQ_RW_COUNT == SQ_RW_HH;
}

static const char *form_name(int form)
{
    return form == SQ_WF_F32 ? "F32" : form == SQ_WF_F16 ? "F16" : form == SQ_WF_BF16 ? "BF16" : "I8";
}

/* The tensor called `<w>.<suffix>`, NULL if none. */
static sq_weight *companion(seqrt_model *m, const sq_weight *w, const char *suffix)
{
    char name[512];
    snprintf(name, sizeof name, "%s.%s", w->name, suffix);
    return find_weight(m, name);
}

/* Checks the `<name>.scale` of I8 matrix w of layer L and attaches it. */
static seqrt_status attach_scale(seqrt_model *m, const sq_layer *L, sq_weight *w)
{
    const char *op = sq_op_name(L->op);
    sq_weight *s = companion(m, w, "scale");
    int64_t rows = w->rank >= 1 ? w->dims[0] : 1;
    if (!s)
        return sq_error(SEQRT_ERR_MODEL,
                        "%s: layer '%s' (%s): I8 tensor '%s' has no scale tensor '%s.scale' (F32 [1] or [%lld])",
                        m->weights_path, L->name, op, w->name, w->name, (long long)rows);
    if (s->form != SQ_WF_F32 || s->rank != 1 || (s->count != 1 && s->count != rows)) {
        char got[128];
        sq_format_dims(NULL, s->rank, s->dims, got, sizeof got);
        return sq_error(SEQRT_ERR_MODEL,
                        "%s: layer '%s' (%s): scale tensor '%s' is %s %s; it must be F32 [1] (per tensor) or "
                        "[%lld] (per output row)",
                        m->weights_path, L->name, op, s->name, form_name(s->form), got, (long long)rows);
    }
    for (int64_t i = 0; i < s->count; i++)
        if (!(s->data[i] > 0) || s->data[i] > 3.4028234663852886e38f)
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: layer '%s' (%s): scale tensor '%s' has %g at index %lld; a scale must be finite "
                            "and > 0",
                            m->weights_path, L->name, op, s->name, (double)s->data[i], (long long)i);
    if (!(w->scale = sq_malloc(sizeof(float) * (size_t)s->count)))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    memcpy(w->scale, s->data, sizeof(float) * (size_t)s->count);
    w->nscale = s->count;
    s->used = true;
    return SEQRT_OK;
}

/* The I8 and scale rules of one bound weight (slot i of L). */
static seqrt_status check_int8_tensors(seqrt_model *m, const sq_layer *L, int i, sq_weight *w)
{
    const char *op = sq_op_name(L->op);
    /* before 1.2 these names meant nothing: such a tensor stays an unused one */
    if (m->format_minor < 2 && w->form != SQ_WF_I8) return SEQRT_OK;
    static const char *const zp[] = {"zero_point", "zero_points", NULL};
    for (int k = 0; zp[k]; k++) {
        const sq_weight *z = companion(m, w, zp[k]);
        if (z)
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: layer '%s' (%s): tensor '%s': int8 weights are symmetric (zero point 0), and "
                            "format 1.2 has no zero-point tensor",
                            m->weights_path, L->name, op, z->name);
    }
    if (w->form != SQ_WF_I8) {
        const sq_weight *s = companion(m, w, "scale");
        if (s)
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: layer '%s' (%s): tensor '%s' is a scale, but '%s' is stored %s, not I8",
                            m->weights_path, L->name, op, s->name, w->name, form_name(w->form));
        return SEQRT_OK;
    }
    if (m->format_minor < 2)
        return sq_error(SEQRT_ERR_MODEL,
                        "%s: layer '%s' (%s): tensor '%s' is I8, which needs format version 1.2 (the description "
                        "says 1.%d)",
                        m->weights_path, L->name, op, w->name, m->format_minor);
    if (!int8_matrix(L, i))
        return sq_error(SEQRT_ERR_MODEL,
                        "%s: layer '%s' (%s): tensor '%s' is I8; only the weight matrices of linear, lstm and gru "
                        "may be",
                        m->weights_path, L->name, op, w->name);
    return attach_scale(m, L, w);
}

seqrt_status sq_model_weight_forms(seqrt_model *m)
{
    seqrt_status st;
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        for (int i = 0; i < L->nw; i++) {
            sq_weight *w = (sq_weight *)L->w[i]; /* the model's own tensor */
            if (!w) continue;
            if ((st = check_int8_tensors(m, L, i, w))) return st;
            int form = L->precision == SQ_PREC_BF16   ? SQ_WF_BF16
                       : L->precision == SQ_PREC_F16  ? SQ_WF_F16
                       : L->precision == SQ_PREC_INT8 && int8_matrix(L, i) ? SQ_WF_I8
                                                                            : SQ_WF_F32;
            if ((st = sq_weight_set_form(w, form, L->name))) return st;
        }
    }
    /* a tensor no layer reads is widened to f32 as before 1.2; an I8 one
     * can only be a layer's matrix */
    for (int i = 0; i < m->nweights; i++) {
        sq_weight *w = &m->weights[i];
        if (w->used) continue;
        if (w->form == SQ_WF_I8)
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: tensor '%s' is I8, but it is not the weight matrix of any linear, lstm or gru layer",
                            m->weights_path, w->name);
        if ((st = sq_weight_set_form(w, SQ_WF_F32, "(none)"))) return st;
    }
    return SEQRT_OK;
}
