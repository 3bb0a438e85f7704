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
    const seqrt_model *model;
    const sq_host_op_fn *ops;
    void **buf;          /* per value: the executor's own storage */
    size_t *cap;         /* bytes */
    sq_view *views;      /* per value, for this run */
    int *out_of;         /* per value: index in model outputs, or -1 */
};

seqrt_status sq_host_exec_create(sq_host_exec **out, const seqrt_model *m, const sq_host_op_fn *ops)
{
    sq_host_exec *e = sq_calloc(1, sizeof *e);
    if (!e) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    size_t n = (size_t)m->nvalues;
    e->model = m;
    e->ops = ops;
    e->buf = sq_calloc(n, sizeof *e->buf);
    e->cap = sq_calloc(n, sizeof *e->cap);
    e->views = sq_calloc(n, sizeof *e->views);
    e->out_of = sq_calloc(n, sizeof *e->out_of);
    if (!e->buf || !e->cap || !e->views || !e->out_of) {
        sq_host_exec_free(e);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t v = 0; v < n; v++) e->out_of[v] = -1;
    for (int o = 0; o < m->noutputs; o++) e->out_of[m->outputs[o]] = o;
    for (int l = 0; l < m->nlayers; l++)
        if (!ops[m->layers[l].op]) {
            sq_host_exec_free(e);
            return sq_error(SEQRT_ERR_UNSUPPORTED, "layer '%s': op '%s' has no implementation here",
                            m->layers[l].name, sq_op_name(m->layers[l].op));
        }
    *out = e;
    return SEQRT_OK;
}

void sq_host_exec_free(sq_host_exec *e)
{
    if (!e) return;
    if (e->buf)
        for (int v = 0; v < e->model->nvalues; v++) sq_free(e->buf[v]);
    sq_free(e->buf);
    sq_free(e->cap);
    sq_free(e->views);
    sq_free(e->out_of);
    sq_free(e);
}

static void set_view(sq_view *v, seqrt_dtype dt, const sq_shape *s, void *data)
{
    v->dtype = dt;
    v->rank = s->rank;
    memcpy(v->d, s->d, sizeof v->d);
    v->data = data;
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
    const seqrt_model *m = e->model;
    /* bind every value to its storage */
    for (int i = 0; i < m->ninputs; i++) e->views[m->inputs[i]] = *inputs[i];
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        for (int o = 0; o < SQ_MAX_OUTS; o++) {
            int v = L->out[o];
            if (v < 0) continue;
            const sq_shape *s = &plan->shapes[v];
            if (e->out_of[v] >= 0) {
                e->views[v] = *outputs[e->out_of[v]];
                continue;
            }
            int64_t count;
            if (!sq_dims_count(s->rank, s->d, &count))
                return sq_error(SEQRT_ERR_LIMIT, "value '%s' is too large", m->values[v].name);
            size_t bytes = (size_t)count * sizeof(float);
            if (bytes > e->cap[v]) {
                sq_free(e->buf[v]);
                e->cap[v] = 0;
                if (!(e->buf[v] = sq_malloc(bytes)))
                    return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory for value '%s' (%zu bytes)",
                                    m->values[v].name, bytes);
                e->cap[v] = bytes;
            }
            set_view(&e->views[v], SEQRT_F32, s, e->buf[v]);
        }
    }
    seqrt_status st = sq_run_layers(m, e->views, host_layer, e);
    if (st) return st;
    /* outputs that are model inputs themselves */
    for (int o = 0; o < m->noutputs; o++) {
        int v = m->outputs[o];
        if (m->values[v].producer >= 0) continue;
        int64_t count = sq_view_count(&e->views[v]);
        memcpy(outputs[o]->data, e->views[v].data, (size_t)count * sq_dtype_size(e->views[v].dtype));
    }
    return SEQRT_OK;
}
