/*
 * The widened view of a model (model.h): every layer of a reduced
 * precision (bf16, f16, int8-dynamic) computed in f32 from its weights
 * widened exactly (f16/bf16) or dequantized (int8: f32(q * scale)). A
 * session makes one when the user asks for it (SEQRT_PRECISION=f32 or the
 * session option `precision`), never on its own: a backend that does not
 * compute a layer's precision refuses the layer (op_walk.c).
 */
#include <string.h>

#include "weight_forms.h"

bool sq_model_has_reduced_precision(const seqrt_model *m)
{
    for (int l = 0; l < m->nlayers; l++)
        if (m->layers[l].precision != SQ_PREC_F32) return true;
    return false;
}

seqrt_status sq_layer_widen(const sq_layer *L, sq_layer *V, sq_weight *copies, int *ncopies)
{
    *V = *L;
    V->w = NULL;
    V->precision = SQ_PREC_F32;
    if (L->nw && !(V->w = sq_calloc((size_t)L->nw, sizeof *V->w))) goto oom;
    for (int i = 0; i < L->nw; i++) {
        const sq_weight *w = L->w[i];
        if (!w || L->precision == SQ_PREC_F32) {
            V->w[i] = w;
            continue;
        }
        sq_weight *c = &copies[*ncopies];
        *c = *w;
        c->half = NULL, c->q = NULL, c->scale = NULL, c->nscale = 0;
        c->form = SQ_WF_F32;
        if (!(c->data = sq_malloc(sizeof(float) * (size_t)(w->count ? w->count : 1)))) goto oom;
        (*ncopies)++;
        sq_weight_to_f32(w, c->data); /* the name stays w's */
        V->w[i] = c;
    }
    return SEQRT_OK;
oom:
    return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "layer '%s': out of memory widening its weights to f32", L->name);
}

seqrt_status sq_model_widen(const seqrt_model *m, seqrt_model **out)
{
    *out = NULL;
    int n = 0;
    for (int l = 0; l < m->nlayers; l++)
        if (m->layers[l].precision != SQ_PREC_F32) n += m->layers[l].nw;
    seqrt_model *v = sq_calloc(1, sizeof *v);
    if (!v) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory widening the model");
    *v = *m;
    v->borrowed = true;
    v->widen_self = v;
    v->nwidened = 0;
    v->values = sq_calloc((size_t)m->nvalues, sizeof *v->values);
    v->layers = sq_calloc((size_t)m->nlayers, sizeof *v->layers);
    v->inputs = sq_calloc((size_t)(m->ninputs ? m->ninputs : 1), sizeof *v->inputs);
    v->outputs = sq_calloc((size_t)m->noutputs, sizeof *v->outputs);
    v->widened = sq_calloc((size_t)(n ? n : 1), sizeof *v->widened);
    seqrt_status st = SEQRT_ERR_OUT_OF_MEMORY;
    if (!v->values || !v->layers || !v->inputs || !v->outputs || !v->widened) {
        sq_error(st, "out of memory widening the model");
        goto fail;
    }
    memcpy(v->values, m->values, sizeof *v->values * (size_t)m->nvalues);
    memcpy(v->inputs, m->inputs, sizeof *v->inputs * (size_t)m->ninputs);
    memcpy(v->outputs, m->outputs, sizeof *v->outputs * (size_t)m->noutputs);
    for (int l = 0; l < m->nlayers; l++)
        if ((st = sq_layer_widen(&m->layers[l], &v->layers[l], v->widened, &v->nwidened))) goto fail;
    v->precision = SQ_PREC_F32;
    *out = v;
    return SEQRT_OK;
fail:
    sq_model_destroy(v);
    return st;
}
