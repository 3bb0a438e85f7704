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
    seqrt_status st = image ? sq_safetensors_parse(image, image_len, m->weights_path, &m->weights, &m->nweights)
                            : sq_safetensors_load(m->weights_path, &m->weights, &m->nweights);
    if (st) return st;
    if (m->nweights > 1) qsort(m->weights, (size_t)m->nweights, sizeof *m->weights, cmp_weight_name);
    for (int l = 0; l < m->nlayers; l++)
        if ((st = bind_layer_weights(m, &m->layers[l]))) return st;
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
