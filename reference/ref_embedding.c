/* embedding: out[..., :] = weight[id, :], ids shape + [E]. */
#include <string.h>

#include "ref_ops.h"

seqrt_status ref_embedding(const sq_op_args *args)
{
    const sq_view *ids = args->in[SQ_SLOT_X];
    const sq_weight *w = args->layer->w[SQ_W_EMBEDDING];
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int64_t V = w->dims[0], E = w->dims[1];
    const int64_t n = sq_view_count(ids);
    const int32_t *id = sq_vi(ids);
    float *y = sq_vf(out);

    for (int64_t i = 0; i < n; i++) {
        int64_t row = id[i];
        if (row < 0 || row >= V) /* validated by the core; never read outside */
            return sq_error(SEQRT_ERR_RANGE, "layer '%s': id %lld outside [0, %lld)",
                            args->layer->name, (long long)row, (long long)V);
        memcpy(y + i * E, w->data + row * E, (size_t)E * sizeof(float));
    }
    return SEQRT_OK;
}
