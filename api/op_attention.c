/*
 * Schema hooks of the attention ops, attention, attention_pool and
 * multihead_attention (see op_hooks.h): shape rules, attribute checks,
 * weight tensors and FLOPs.
 */
#include <stdio.h>
#include <string.h>

#include "op_hooks.h"
#include "shape_rules.h"

seqrt_status sq_infer_attention(sq_infer_ctx *c)
{
    const sq_attrs *a = &c->L->a;
    bool bf = c->m->batch_first;
    const sq_shape *q = sq_in_shape(c, SQ_SLOT_QUERY);
    int64_t Tk, B, Hk, Tv, Bv, Hv, Tq = 0, Hq;
    seqrt_status st = sq_check_seq(c, SQ_SLOT_KEYS, &Tk, &B, &Hk);
    if (st) return st;
    Hv = Hk;
    if (sq_in_shape(c, SQ_SLOT_VALUES)) {
        if ((st = sq_check_seq(c, SQ_SLOT_VALUES, &Tv, &Bv, &Hv))) return st;
        if (!sq_dim_ok(Tv, Tk)) return sq_fail_dim(c, SQ_SLOT_VALUES, bf ? 1 : 0, "T of keys", Tk);
        if (!sq_dim_ok(Bv, B)) return sq_fail_dim(c, SQ_SLOT_VALUES, bf ? 0 : 1, "B of keys", B);
    }
    if (q->rank == 2) {
        if (!sq_dim_ok(q->d[0], B)) return sq_fail_dim(c, SQ_SLOT_QUERY, 0, "B of keys", B);
        Hq = q->d[1];
    } else if (q->rank == 3) {
        int64_t Bq;
        if ((st = sq_check_seq(c, SQ_SLOT_QUERY, &Tq, &Bq, &Hq))) return st;
        if (!sq_dim_ok(Bq, B)) return sq_fail_dim(c, SQ_SLOT_QUERY, bf ? 0 : 1, "B of keys", B);
    } else {
        return sq_fail_rank(c, SQ_SLOT_QUERY, "[B, H] or a sequence");
    }
    if ((st = sq_check_lengths(c, B))) return st;
    switch (a->score) {
    case SQ_SCORE_DOT:
    case SQ_SCORE_SCALED_DOT:
        if (!sq_dim_ok(Hq, Hk))
            return sq_fail_dim(c, SQ_SLOT_QUERY, q->rank - 1, "features of keys (dot score)", Hk);
        break;
    case SQ_SCORE_GENERAL:
        if ((st = sq_check_weight_dim(c, SQ_W_GENERAL, 0, Hq, "the query features")) ||
            (st = sq_check_weight_dim(c, SQ_W_GENERAL, 1, Hk, "the key features")))
            return st;
        break;
    case SQ_SCORE_ADDITIVE:
        if ((st = sq_check_weight_dim(c, SQ_W_ADD_Q, 1, Hq, "the query features")) ||
            (st = sq_check_weight_dim(c, SQ_W_ADD_K, 1, Hk, "the key features")))
            return st;
        break;
    }
    int64_t d[3];
    if (q->rank == 2) {
        d[0] = B, d[1] = Hv;
        sq_set_out(c, SQ_OUT_MAIN, 2, d, -1);
        d[1] = Tk;
        sq_set_out(c, SQ_OUT_WEIGHTS, 2, d, -1);
    } else {
        sq_seq_dims(bf, Tq, B, Hv, d);
        sq_set_out(c, SQ_OUT_MAIN, 3, d, bf ? 1 : 0);
        d[0] = B, d[1] = Tq, d[2] = Tk;
        sq_set_out(c, SQ_OUT_WEIGHTS, 3, d, -1);
    }
    return SEQRT_OK;
}

seqrt_status sq_infer_attention_pool(sq_infer_ctx *c) { return sq_infer_pool_checked(c, SQ_W_POOL0); }

seqrt_status sq_infer_mha(sq_infer_ctx *c)
{
    bool bf = c->m->batch_first;
    int64_t E = c->L->a.embed_dim, Tq, B, Fq, Tk, Bk, Fk, Tv, Bv, Fv;
    seqrt_status st = sq_check_seq(c, SQ_SLOT_QUERY, &Tq, &B, &Fq);
    if (st) return st;
    if (!sq_dim_ok(Fq, E)) return sq_fail_dim(c, SQ_SLOT_QUERY, 2, "embed_dim", E);
    int ks = sq_in_shape(c, SQ_SLOT_KEYS) ? SQ_SLOT_KEYS : SQ_SLOT_QUERY;
    /* The spec: an absent key or value defaults to the query (not value to key). */
    int vs = sq_in_shape(c, SQ_SLOT_VALUES) ? SQ_SLOT_VALUES : SQ_SLOT_QUERY;
    if ((st = sq_check_seq(c, ks, &Tk, &Bk, &Fk)) || (st = sq_check_seq(c, vs, &Tv, &Bv, &Fv))) return st;
    if (!sq_dim_ok(Fk, E)) return sq_fail_dim(c, ks, 2, "embed_dim", E);
    if (!sq_dim_ok(Fv, E)) return sq_fail_dim(c, vs, 2, "embed_dim", E);
    if (!sq_dim_ok(Bk, B)) return sq_fail_dim(c, ks, bf ? 0 : 1, "B of query", B);
    if (!sq_dim_ok(Bv, B)) return sq_fail_dim(c, vs, bf ? 0 : 1, "B of query", B);
    if (!sq_dim_ok(Tv, Tk)) return sq_fail_dim(c, vs, bf ? 1 : 0, "T of key", Tk);
    if ((st = sq_check_lengths(c, B))) return st;
    if (c->L->a.causal && !sq_dim_ok(Tq, Tk))
        return sq_fail_dim(c, ks, bf ? 1 : 0, "T of query (causal attention)", Tq);
    int64_t d[3];
    sq_seq_dims(bf, Tq, B, E, d);
    sq_set_out(c, SQ_OUT_MAIN, 3, d, bf ? 1 : 0);
    d[0] = B, d[1] = Tq, d[2] = Tk;
    sq_set_out(c, SQ_OUT_WEIGHTS, 3, d, -1);
    return SEQRT_OK;
}

bool sq_check_attention(const sq_layer *L, sq_attr_mask given, char *why, size_t n)
{
    bool additive = L->a.score == SQ_SCORE_ADDITIVE, sized = sq_attr_given(L, given, "attention_size");
    if (additive && !sized) snprintf(why, n, "score 'additive' needs attribute 'attention_size'");
    else if (!additive && sized) snprintf(why, n, "attribute 'attention_size' applies to score 'additive' only");
    else return true;
    return false;
}

bool sq_check_mha(const sq_layer *L, sq_attr_mask given, char *why, size_t n)
{
    (void)given;
    if (L->a.embed_dim % L->a.num_heads == 0) return true;
    snprintf(why, n, "embed_dim %lld is not divisible by num_heads %lld", (long long)L->a.embed_dim,
             (long long)L->a.num_heads);
    return false;
}

int sq_weights_attention(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    const sq_attrs *a = &L->a;
    int n = 0;
    if (a->score == SQ_SCORE_GENERAL) {
        sq_weight_spec_add(out, max, &n, "weight", SQ_W_GENERAL, 2, -1, -1, false);
        *nw = 1;
    } else if (a->score == SQ_SCORE_ADDITIVE) {
        int64_t A = a->attention_size;
        sq_weight_spec_add(out, max, &n, "query.weight", SQ_W_ADD_Q, 2, A, -1, false);
        sq_weight_spec_add(out, max, &n, "key.weight", SQ_W_ADD_K, 2, A, -1, false);
        sq_weight_spec_add(out, max, &n, "key.bias", SQ_B_ADD_K, 1, A, 0, true);
        sq_weight_spec_add(out, max, &n, "v.weight", SQ_W_ADD_V, 2, 1, A, false);
        *nw = 4;
    }
    return n;
}

int sq_weights_attention_pool(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    int64_t h = L->a.hidden;
    int n = 0;
    sq_weight_spec_add(out, max, &n, "projection.0.weight", SQ_W_POOL0, 2, h, -1, false);
    sq_weight_spec_add(out, max, &n, "projection.0.bias", SQ_B_POOL0, 1, h, 0, false);
    sq_weight_spec_add(out, max, &n, "projection.2.weight", SQ_W_POOL2, 2, 1, h, false);
    sq_weight_spec_add(out, max, &n, "projection.2.bias", SQ_B_POOL2, 1, 1, 0, false);
    *nw = 4;
    return n;
}

int sq_weights_mha(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    const sq_attrs *a = &L->a;
    int64_t E = a->embed_dim;
    int n = 0;
    sq_weight_spec_add(out, max, &n, "in_proj_weight", SQ_W_MHA_IN, 2, 3 * E, E, false);
    if (a->bias) sq_weight_spec_add(out, max, &n, "in_proj_bias", SQ_B_MHA_IN, 1, 3 * E, 0, false);
    sq_weight_spec_add(out, max, &n, "out_proj.weight", SQ_W_MHA_OUT, 2, E, E, false);
    if (a->bias) sq_weight_spec_add(out, max, &n, "out_proj.bias", SQ_B_MHA_OUT, 1, E, 0, false);
    *nw = 4;
    return n;
}

/* Feature width (last dim) of a value at load time, 0 if symbolic. */
static int64_t width(const seqrt_model *m, int v)
{
    if (v < 0) return 0;
    const sq_value *x = &m->values[v];
    int64_t d = x->rank ? x->dims[x->rank - 1] : 1;
    return d > 0 ? d : 0;
}

uint64_t sq_flops_attention(const seqrt_model *m, const sq_layer *L)
{
    const sq_attrs *a = &L->a;
    int64_t hq = width(m, L->in[SQ_SLOT_QUERY]), hk = width(m, L->in[SQ_SLOT_KEYS]);
    int64_t hv = L->in[SQ_SLOT_VALUES] >= 0 ? width(m, L->in[SQ_SLOT_VALUES]) : hk;
    uint64_t f = 2u * (uint64_t)(hk + hv);
    if (a->score == SQ_SCORE_GENERAL) f += 2u * (uint64_t)(hq * hk);
    if (a->score == SQ_SCORE_ADDITIVE) f += 2u * (uint64_t)(a->attention_size * (hk + 1));
    return f;
}

uint64_t sq_flops_attention_pool(const seqrt_model *m, const sq_layer *L)
{
    int64_t F = width(m, L->in[SQ_SLOT_X]);
    return 2u * (uint64_t)(L->a.hidden * (F + 1) + F);
}

uint64_t sq_flops_mha(const seqrt_model *m, const sq_layer *L)
{
    (void)m;
    int64_t E = L->a.embed_dim;
    return 2u * (uint64_t)(4 * E * E) + 4u * (uint64_t)E;
}
