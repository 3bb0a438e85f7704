/*
 * Host values and the host executor (see backend.h). sq_values binds every
 * value of a run to host memory: intermediate values live in buffers of the
 * store, grown only when a run needs more than the last one; model inputs
 * and outputs are used in place (no copies). The host executor is a whole
 * session over such a store for a backend whose ops keep no session state
 * (the reference): its table's rows run through the core's op walk.
 * An op row may accept some outputs unbound (sq_op_impl.unbound_outs):
 * an unused value in such a slot gets a view with data NULL and no buffer.
 */
#include <string.h>

#include "backend.h"
#include "formats.h"

struct sq_host_exec {
    const sq_op_impl *const *ops;
    void **state;            /* per layer, from each row's prepare */
    int nlayers;
    bool prepared;           /* some state is non-NULL (then the model is read at free) */
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
    v->unbound = sq_calloc(n, sizeof *v->unbound);
    if (!v->buf || !v->cap || !v->views || !v->out_of || !v->unbound) {
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
    sq_free(v->unbound);
    memset(v, 0, sizeof *v);
}

bool sq_value_unused(const seqrt_model *m, int x)
{
    for (int o = 0; o < m->noutputs; o++)
        if (m->outputs[o] == x) return false;
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        for (int i = 0; i < SQ_MAX_SLOTS; i++)
            if (L->in[i] == x) return false;
        for (int i = 0; i < L->nlist; i++) /* concat: its "x" list beyond the first */
            if (L->list[i] == x) return false;
    }
    return true;
}

int sq_values_skip_unused(sq_values *v, const sq_layer *L, unsigned mask)
{
    int marked = 0;
    for (int o = 0; o < SQ_MAX_OUTS; o++) {
        const int x = L->out[o];
        if (x < 0 || !(mask & (1u << o)) || !sq_value_unused(v->model, x)) continue;
        v->unbound[x] = true;
        sq_free(v->buf[x]);
        v->buf[x] = NULL;
        v->cap[x] = 0;
        marked++;
    }
    return marked;
}

void sq_values_skip_table(sq_values *v, const sq_op_impl *const *ops)
{
    const seqrt_model *m = v->model;
    for (int l = 0; l < m->nlayers; l++) {
        const sq_op_impl *row = ops[m->layers[l].op];
        if (row && row->unbound_outs) sq_values_skip_unused(v, &m->layers[l], row->unbound_outs);
    }
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
            sq_view *vw = &v->views[x];
            vw->dtype = SEQRT_F32;
            vw->rank = sh->rank;
            memcpy(vw->d, sh->d, sizeof vw->d);
            vw->data = NULL;
            if (v->unbound[x]) continue; /* the op writes nothing there */
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

seqrt_status sq_host_exec_create(sq_host_exec **out, const seqrt_model *m, const sq_op_impl *const *ops)
{
    sq_host_exec *e = sq_calloc(1, sizeof *e);
    if (!e) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    e->ops = ops;
    seqrt_status st = sq_values_init(&e->values, m);
    if (!st && !(e->state = sq_calloc((size_t)(m->nlayers ? m->nlayers : 1), sizeof *e->state)))
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    e->nlayers = m->nlayers;
    if (!st) sq_values_skip_table(&e->values, ops);
    if (!st) st = sq_ops_prepare(ops, NULL, m, e->state);
    for (int l = 0; e->state && l < m->nlayers; l++) e->prepared = e->prepared || e->state[l];
    if (st) {
        sq_host_exec_free(e);
        return st;
    }
    *out = e;
    return SEQRT_OK;
}

void sq_host_exec_free(sq_host_exec *e)
{
    if (!e) return;
    /* only a prepared state makes the walk read the model: a session may be
     * freed after its model (Python's garbage collector frees in any order) */
    if (e->prepared) sq_ops_release(e->ops, e->values.model, e->state);
    sq_free(e->state);
    sq_values_free(&e->values);
    sq_free(e);
}

seqrt_status sq_host_exec_run(sq_host_exec *e, const sq_plan *plan, const sq_view *const *inputs,
                              sq_view *const *outputs)
{
    seqrt_status st = sq_values_bind(&e->values, plan, inputs, outputs);
    if (!st) st = sq_ops_run(e->ops, NULL, e->values.model, e->values.views, e->state);
    if (!st) sq_values_copy_through(&e->values, outputs);
    return st;
}
