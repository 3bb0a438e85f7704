/* What `seqrt info` shows of each layer: output shape, parameters, FLOPs
 * (from the op schema's flops hook). */
#include <stdio.h>

#include "ops.h"

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
    const sq_op_schema *s = sq_op_schema_get(L->op);
    out->flops_per_step = s->flops ? s->flops(m, L) : 0;
    return SEQRT_OK;
}
