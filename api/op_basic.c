/*
 * Schema hooks of the ops that are not recurrent and not attention (see
 * op_hooks.h): ids (embedding, one_hot), linear, the element-wise ops,
 * concat, select and the pooling ops: their shape rules, weights and FLOPs.
 */
#include <stdio.h>
#include <string.h>

#include "op_hooks.h"
#include "shape_rules.h"

/* ids [..] -> [.., width] */
static seqrt_status infer_ids(sq_infer_ctx *c, int64_t width)
{
    const sq_shape *x = sq_in_shape(c, SQ_SLOT_X);
    if (x->rank >= SEQRT_MAX_RANK) return sq_fail_rank(c, SQ_SLOT_X, "ids of rank below 6");
    int64_t d[SEQRT_MAX_RANK];
    memcpy(d, x->d, sizeof(int64_t) * (size_t)x->rank);
    d[x->rank] = width;
    sq_set_out(c, SQ_OUT_MAIN, x->rank + 1, d, sq_in_taxis(c, SQ_SLOT_X));
    return SEQRT_OK;
}

seqrt_status sq_infer_embedding(sq_infer_ctx *c) { return infer_ids(c, c->L->a.embedding_dim); }

seqrt_status sq_infer_one_hot(sq_infer_ctx *c) { return infer_ids(c, c->L->a.depth); }

seqrt_status sq_infer_linear(sq_infer_ctx *c)
{
    const sq_shape *x = sq_in_shape(c, SQ_SLOT_X);
    if (x->rank < 1) return sq_fail_rank(c, SQ_SLOT_X, "rank 1 or more");
    if (!sq_dim_ok(x->d[x->rank - 1], c->L->a.in_features))
        return sq_fail_dim(c, SQ_SLOT_X, x->rank - 1, "last axis = in_features", c->L->a.in_features);
    int64_t d[SEQRT_MAX_RANK];
    memcpy(d, x->d, sizeof(int64_t) * (size_t)x->rank);
    d[x->rank - 1] = c->L->a.out_features;
    sq_set_out(c, SQ_OUT_MAIN, x->rank, d, sq_in_taxis(c, SQ_SLOT_X));
    return SEQRT_OK;
}

seqrt_status sq_infer_same(sq_infer_ctx *c)
{
    const sq_shape *x = sq_in_shape(c, SQ_SLOT_X);
    if (x->rank < 1) return sq_fail_rank(c, SQ_SLOT_X, "rank 1 or more");
    sq_set_out(c, SQ_OUT_MAIN, x->rank, x->d, sq_in_taxis(c, SQ_SLOT_X));
    return SEQRT_OK;
}

seqrt_status sq_infer_same_axis(sq_infer_ctx *c)
{
    const sq_shape *x = sq_in_shape(c, SQ_SLOT_X);
    if (x->rank < 1) return sq_fail_rank(c, SQ_SLOT_X, "rank 1 or more");
    if (sq_norm_axis(c->L->a.axis, x->rank) < 0) return sq_fail_axis(c, c->L->a.axis, x->rank);
    sq_set_out(c, SQ_OUT_MAIN, x->rank, x->d, sq_in_taxis(c, SQ_SLOT_X));
    return SEQRT_OK;
}

/* a and b of one shape (a symbol of either side is taken from the other). */
seqrt_status sq_infer_binary(sq_infer_ctx *c)
{
    const sq_shape *x = sq_in_shape(c, SQ_SLOT_A);
    if (x->rank < 1) return sq_fail_rank(c, SQ_SLOT_A, "rank 1 or more");
    const sq_shape *b = sq_in_shape(c, SQ_SLOT_B);
    char sa[128];
    sq_format_dims(c->m, x->rank, x->d, sa, sizeof sa);
    if (b->rank != x->rank) return sq_fail_rank(c, SQ_SLOT_B, sa);
    int64_t d[SEQRT_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        if (!sq_dim_ok(x->d[i], b->d[i])) return sq_fail_rank(c, SQ_SLOT_B, sa);
        d[i] = x->d[i] >= 0 ? x->d[i] : b->d[i];
    }
    sq_set_out(c, SQ_OUT_MAIN, x->rank, d, sq_in_taxis(c, SQ_SLOT_A));
    return SEQRT_OK;
}

seqrt_status sq_infer_concat(sq_infer_ctx *c)
{
    const sq_layer *L = c->L;
    const sq_shape *x0 = &c->shapes[L->list[0]];
    int axis = sq_norm_axis(L->a.axis, x0->rank);
    if (axis < 0) return sq_fail_axis(c, L->a.axis, x0->rank);
    int64_t d[SEQRT_MAX_RANK];
    memcpy(d, x0->d, sizeof(int64_t) * (size_t)x0->rank);
    bool symbolic = d[axis] < 0;
    for (int i = 1; i < L->nlist; i++) {
        const sq_shape *xi = &c->shapes[L->list[i]];
        bool ok = xi->rank == x0->rank;
        for (int j = 0; ok && j < x0->rank; j++)
            if (j != axis && !sq_dim_ok(xi->d[j], x0->d[j])) ok = false;
        if (!ok) {
            char s0[128], si[128];
            sq_format_dims(c->m, x0->rank, x0->d, s0, sizeof s0);
            sq_format_dims(c->m, xi->rank, xi->d, si, sizeof si);
            return sq_error(SEQRT_ERR_SHAPE,
                            "layer '%s' (concat): input %d ('%s') has shape %s, which does not "
                            "match input 0 ('%s', %s) off axis %d",
                            L->name, i, c->m->values[L->list[i]].name, si, c->m->values[L->list[0]].name, s0,
                            axis);
        }
        if (xi->d[axis] < 0) symbolic = true;
        else if (!symbolic && !sq_add_ok(d[axis], xi->d[axis], &d[axis]))
            return sq_error(SEQRT_ERR_LIMIT, "layer '%s' (concat): size overflows", L->name);
    }
    if (symbolic) {
        d[axis] = sq_new_symbol(c);
        if (d[axis] == -1 && !c->symtab) return sq_error(SEQRT_ERR_INTERNAL, "concat: symbolic dim at run time");
    }
    int t = c->taxis ? c->taxis[L->list[0]] : -1;
    sq_set_out(c, SQ_OUT_MAIN, x0->rank, d, t == axis ? -1 : t);
    return SEQRT_OK;
}

seqrt_status sq_infer_select(sq_infer_ctx *c)
{
    const sq_shape *x = sq_in_shape(c, SQ_SLOT_X);
    int axis = sq_norm_axis(c->L->a.axis, x->rank);
    if (axis < 0) return sq_fail_axis(c, c->L->a.axis, x->rank);
    int64_t n = x->d[axis], idx = c->L->a.index;
    if (n >= 0 && (idx < -n || idx >= n))
        return sq_error(SEQRT_ERR_SHAPE,
                        "layer '%s' (select): index %lld is out of range for axis %d of size %lld",
                        c->L->name, (long long)idx, axis, (long long)n);
    int64_t d[SEQRT_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (i != axis) d[r++] = x->d[i];
    int t = sq_in_taxis(c, SQ_SLOT_X);
    sq_set_out(c, SQ_OUT_MAIN, r, d, t == axis ? -1 : t > axis ? t - 1 : t);
    return SEQRT_OK;
}

seqrt_status sq_infer_pool_checked(sq_infer_ctx *c, int weight)
{
    int64_t T, B, F, d[2];
    seqrt_status st = sq_check_seq(c, SQ_SLOT_X, &T, &B, &F);
    if (st || (st = sq_check_lengths(c, B))) return st;
    if (weight >= 0 && (st = sq_check_weight_dim(c, weight, 1, F, "the features of x"))) return st;
    d[0] = B;
    d[1] = F;
    sq_set_out(c, SQ_OUT_MAIN, 2, d, -1);
    d[1] = T;
    sq_set_out(c, SQ_OUT_WEIGHTS, 2, d, -1);
    return SEQRT_OK;
}

seqrt_status sq_infer_pool(sq_infer_ctx *c) { return sq_infer_pool_checked(c, -1); }

int sq_weights_embedding(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    int n = 0;
    sq_weight_spec_add(out, max, &n, "weight", SQ_W_EMBEDDING, 2, L->a.num_embeddings, L->a.embedding_dim, false);
    *nw = 1;
    return n;
}

int sq_weights_linear(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    const sq_attrs *a = &L->a;
    int n = 0;
    sq_weight_spec_add(out, max, &n, "weight", SQ_W_LINEAR, 2, a->out_features, a->in_features, false);
    if (a->bias) sq_weight_spec_add(out, max, &n, "bias", SQ_B_LINEAR, 1, a->out_features, 0, false);
    *nw = 2;
    return n;
}

uint64_t sq_flops_linear(const seqrt_model *m, const sq_layer *L)
{
    (void)m;
    return 2u * (uint64_t)(L->a.in_features * L->a.out_features);
}
