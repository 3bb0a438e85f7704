/* What `seqrt info` shows of each layer: output shape, parameters, FLOPs. */
#include <stdio.h>

#include "ops.h"

/* Feature width (last dim) of a value, 0 if symbolic. */
static int64_t width(const seqrt_model *m, int v)
{
    if (v < 0) return 0;
    const sq_value *x = &m->values[v];
    int64_t d = x->rank ? x->dims[x->rank - 1] : 1;
    return d > 0 ? d : 0;
}

/* GEMM-style FLOPs (2 per multiply-add) per time step and batch entry. For
 * attention ops, per key step. */
static uint64_t layer_flops(const seqrt_model *m, const sq_layer *L)
{
    const sq_attrs *a = &L->a;
    uint64_t f = 0;
    switch (L->op) {
    case SQ_OP_LSTM:
    case SQ_OP_GRU:
    case SQ_OP_RNN: {
        int D = sq_dirs(L);
        int64_t G = sq_gates(L), H = a->hidden_size, HO = sq_h_out(L);
        for (int k = 0; k < a->num_layers; k++) {
            int64_t in = k ? D * HO : a->input_size;
            f += (uint64_t)D * 2u * (uint64_t)(G * H * (in + HO));
            if (L->op == SQ_OP_LSTM && a->proj_size) f += (uint64_t)D * 2u * (uint64_t)(a->proj_size * H);
        }
        break;
    }
    case SQ_OP_LINEAR: f = 2u * (uint64_t)(a->in_features * a->out_features); break;
    case SQ_OP_ATTENTION: {
        int64_t hq = width(m, L->in[SQ_SLOT_QUERY]), hk = width(m, L->in[SQ_SLOT_KEYS]);
        int64_t hv = L->in[SQ_SLOT_VALUES] >= 0 ? width(m, L->in[SQ_SLOT_VALUES]) : hk;
        f = 2u * (uint64_t)(hk + hv);
        if (a->score == SQ_SCORE_GENERAL) f += 2u * (uint64_t)(hq * hk);
        if (a->score == SQ_SCORE_ADDITIVE) f += 2u * (uint64_t)(a->attention_size * (hk + 1));
        break;
    }
    case SQ_OP_ATTENTION_POOL: {
        int64_t F = width(m, L->in[SQ_SLOT_X]);
        f = 2u * (uint64_t)(a->hidden * (F + 1) + F);
        break;
    }
    case SQ_OP_MULTIHEAD_ATTENTION: {
        int64_t E = a->embed_dim;
        f = 2u * (uint64_t)(4 * E * E) + 4u * (uint64_t)E;
        break;
    }
    default: break;
    }
    return f;
}

seqrt_status seqrt_model_layer_info(const seqrt_model *m, size_t i, seqrt_layer_info *out)
{
    if (!m || !out || i >= (size_t)m->nlayers)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_model_layer_info: layer index %zu is out of range", i);
    const sq_layer *L = &m->layers[i];
    const sq_value *v = &m->values[L->out[SQ_OUT_MAIN]];
    out->name = L->name;
    out->op = sq_op_name(L->op);
    sq_format_dims(m, v->rank, v->dims, out->shape, sizeof out->shape);
    out->params = 0;
    for (int k = 0; k < L->nw; k++)
        if (L->w[k]) out->params += (uint64_t)L->w[k]->count;
    out->flops_per_step = layer_flops(m, L);
    return SEQRT_OK;
}
