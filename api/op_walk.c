/*
 * The op walks every backend shares (see backend.h): the support check a
 * session makes before a backend sees the model, and the prepare / run /
 * release of each layer through the backend's table of sq_op_impl. One
 * walk, so a layer's error reads the same on every backend and a backend
 * implements ops, not loops over the graph.
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"

bool sq_op_supports_all(const seqrt_device *dev, const seqrt_model *model, const sq_layer *layer, char *why,
                        size_t why_size)
{
    (void)dev;
    (void)model;
    (void)layer;
    (void)why;
    (void)why_size;
    return true;
}

seqrt_status sq_ops_check(const seqrt_device *dev, const seqrt_model *m)
{
    const sq_op_impl *const *ops = dev->iface->ops;
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        const sq_op_impl *impl = (int)L->op >= 0 && L->op < SQ_OP_COUNT ? ops[L->op] : NULL;
        char why[512] = "";
        if (L->precision != SQ_PREC_F32 && !(dev->iface->precisions & (1u << L->precision)))
            return sq_error(SEQRT_ERR_UNSUPPORTED,
                            "backend '%s' (device %zu, %s) does not compute layer '%s' (op '%s') at precision %s "
                            "(SEQRT_PRECISION=f32 or the session option precision = \"f32\" runs it widened to f32)",
                            dev->backend->name, dev->index, dev->name, L->name, sq_op_name(L->op),
                            sq_precision_name(L->precision));
        if (!impl)
            snprintf(why, sizeof why, "op '%s' is not implemented by the %s backend", sq_op_name(L->op),
                     dev->backend->name);
        else if (impl->supports(dev, m, L, why, sizeof why))
            continue;
        else if (!why[0])
            snprintf(why, sizeof why, "this form of op '%s' is not implemented", sq_op_name(L->op));
        return sq_error(SEQRT_ERR_UNSUPPORTED, "backend '%s' (device %zu, %s) does not support layer '%s' (op '%s'): %s",
                        dev->backend->name, dev->index, dev->name, L->name, sq_op_name(L->op), why);
    }
    return SEQRT_OK;
}

seqrt_status sq_ops_prepare(const sq_op_impl *const *ops, void *session, const seqrt_model *m, void **state)
{
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        const sq_op_impl *impl = ops[L->op];
        if (!impl || !impl->run) /* sq_ops_check ran first; a table without run is a backend bug */
            return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': op '%s' has no implementation", L->name,
                            sq_op_name(L->op));
        seqrt_status st;
        if (impl->prepare && (st = impl->prepare(session, L, &state[l])))
            return sq_error_prefix(st, "layer '%s' (%s)", L->name, sq_op_name(L->op));
    }
    return SEQRT_OK;
}

void sq_ops_release(const sq_op_impl *const *ops, const seqrt_model *m, void **state)
{
    if (!state) return;
    for (int l = 0; l < m->nlayers; l++) {
        const sq_op_impl *impl = ops[m->layers[l].op];
        if (state[l] && impl && impl->release) impl->release(state[l]);
        state[l] = NULL;
    }
}

seqrt_status sq_ops_run(const sq_op_impl *const *ops, void *session, const seqrt_model *m, sq_view *views,
                        void **state)
{
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        sq_op_args a;
        memset(&a, 0, sizeof a);
        a.model = m;
        a.layer = L;
        a.batch_first = m->batch_first;
        /* concat's list of input views: on the stack up to 64 entries; a
         * longer list is allocated here, on every run. Moving it to
         * sq_ops_prepare would need an array per session carried from
         * prepare to run and release, which the walk's signatures
         * (backend.h, called by the host executor and the oneDNN and OpenCL
         * sessions) do not pass; the per-layer `state` belongs to the ops. */
        const sq_view *list[64];
        const sq_view **lp = list;
        if (L->nlist > 64 && !(lp = sq_calloc((size_t)L->nlist, sizeof *lp)))
            return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        for (int s = 0; s < SQ_MAX_SLOTS; s++) a.in[s] = L->in[s] >= 0 ? &views[L->in[s]] : NULL;
        for (int k = 0; k < L->nlist; k++) lp[k] = &views[L->list[k]];
        a.list = lp;
        a.nlist = L->nlist;
        for (int o = 0; o < SQ_MAX_OUTS; o++) a.out[o] = L->out[o] >= 0 ? &views[L->out[o]] : NULL;
        seqrt_status st = ops[L->op]->run(session, &a, state ? state[l] : NULL);
        if (lp != list) sq_free(lp);
        if (st) return st;
    }
    return SEQRT_OK;
}
