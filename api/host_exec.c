/*
 * The host executor (see backend.h): walks the layers in order over host
 * buffers. Intermediate values live in buffers owned by the executor, grown
 * only when a run needs more than the last one; model inputs and outputs are
 * used in place (no copies).
 */
#include <string.h>

#include "backend.h"
#include "formats.h"

struct sq_host_exec {
    const sq_host_op_fn *ops;
    sq_values values;
};

seqrt_status sq_values_init(sq_values *v, const seqrt_model *m)
{
    memset(v, 0, sizeof *v);
    const size_t n = (size_t)m->nvalues;
    v->model = m;
    v->buf = sq_calloc(n, sizeof *v->buf);
    v->cap = sq_calloc(n, sizeof *v->cap);
    v->views = sq_calloc(n, sizeof *v->views);
    v->out_of = sq_calloc(n, sizeof *v->out_of);
    if (!v->buf || !v->cap || !v->views || !v->out_of) {
        sq_values_free(v);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < n; i++) v->out_of[i] = -1;
    for (int o = 0; o < m->noutputs; o++) v->out_of[m->outputs[o]] = o;
    return SEQRT_OK;
}

void sq_values_free(sq_values *v)
{
    if (v->buf)
        for (int i = 0; i < v->model->nvalues; i++) sq_free(v->buf[i]);
    sq_free(v->buf);
    sq_free(v->cap);
    sq_free(v->views);
    sq_free(v->out_of);
    memset(v, 0, sizeof *v);
}

seqrt_status sq_values_bind(sq_values *v, const sq_plan *plan, const sq_view *const *inputs,
                            sq_view *const *outputs)
{
    const seqrt_model *m = v->model;
    for (int i = 0; i < m->ninputs; i++) v->views[m->inputs[i]] = *inputs[i];
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        for (int o = 0; o < SQ_MAX_OUTS; o++) {
            const int x = L->out[o];
            if (x < 0) continue;
            if (v->out_of[x] >= 0) {
                v->views[x] = *outputs[v->out_of[x]];
                continue;
            }
            const sq_shape *sh = &plan->shapes[x];
            int64_t count;
            if (!sq_dims_count(sh->rank, sh->d, &count))
                return sq_error(SEQRT_ERR_LIMIT, "value '%s' is too large", m->values[x].name);
            const size_t bytes = (size_t)count * sizeof(float);
            if (bytes > v->cap[x] || !v->buf[x]) {
                sq_free(v->buf[x]);
                v->cap[x] = 0;
                if (!(v->buf[x] = sq_aligned_alloc(64, bytes + 64)))
                    return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory for value '%s' (%zu bytes)",
                                    m->values[x].name, bytes);
                v->cap[x] = bytes;
            }
            sq_view *vw = &v->views[x];
            vw->dtype = SEQRT_F32;
            vw->rank = sh->rank;
            memcpy(vw->d, sh->d, sizeof vw->d);
            vw->data = v->buf[x];
        }
    }
    return SEQRT_OK;
}

void sq_values_copy_through(const sq_values *v, sq_view *const *outputs)
{
    const seqrt_model *m = v->model;
    for (int o = 0; o < m->noutputs; o++) {
        const int x = m->outputs[o];
        if (m->values[x].producer >= 0) continue;
        const sq_view *iv = &v->views[x];
        memcpy(outputs[o]->data, iv->data, (size_t)sq_view_count(iv) * sq_dtype_size(iv->dtype));
    }
}

seqrt_status sq_host_exec_create(sq_host_exec **out, const seqrt_model *m, const sq_host_op_fn *ops)
{
    for (int l = 0; l < m->nlayers; l++)
        if (!ops[m->layers[l].op])
            return sq_error(SEQRT_ERR_UNSUPPORTED, "layer '%s': op '%s' has no implementation here",
                            m->layers[l].name, sq_op_name(m->layers[l].op));
    sq_host_exec *e = sq_calloc(1, sizeof *e);
    if (!e) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    e->ops = ops;
    seqrt_status st = sq_values_init(&e->values, m);
    if (st) {
        sq_free(e);
        return st;
    }
    *out = e;
    return SEQRT_OK;
}

void sq_host_exec_free(sq_host_exec *e)
{
    if (!e) return;
    sq_values_free(&e->values);
    sq_free(e);
}

seqrt_status sq_run_layers(const seqrt_model *m, sq_view *views, sq_layer_run_fn run, void *ctx)
{
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        sq_op_args a;
        memset(&a, 0, sizeof a);
        a.model = m;
        a.layer = L;
        a.batch_first = m->batch_first;
        const sq_view *list[64];
        const sq_view **lp = list;
        if (L->nlist > 64 && !(lp = sq_calloc((size_t)L->nlist, sizeof *lp)))
            return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        for (int s = 0; s < SQ_MAX_SLOTS; s++) a.in[s] = L->in[s] >= 0 ? &views[L->in[s]] : NULL;
        for (int k = 0; k < L->nlist; k++) lp[k] = &views[L->list[k]];
        a.list = lp;
        a.nlist = L->nlist;
        for (int o = 0; o < SQ_MAX_OUTS; o++) a.out[o] = L->out[o] >= 0 ? &views[L->out[o]] : NULL;
        seqrt_status st = run(ctx, l, &a);
        if (lp != list) sq_free(lp);
        if (st) return st;
    }
    return SEQRT_OK;
}

static seqrt_status host_layer(void *ctx, int layer, const sq_op_args *a)
{
    (void)layer;
    const sq_host_exec *e = ctx;
    return e->ops[a->layer->op](a);
}

seqrt_status sq_host_exec_run(sq_host_exec *e, const sq_plan *plan, const sq_view *const *inputs,
                              sq_view *const *outputs)
{
    seqrt_status st = sq_values_bind(&e->values, plan, inputs, outputs);
    if (!st) st = sq_run_layers(e->values.model, e->values.views, host_layer, e);
    if (!st) sq_values_copy_through(&e->values, outputs);
    return st;
}
