/* one_hot: out[..., k] = 1 if id == k else 0, ids shape + [depth], float. */
#include <string.h>

#include "ref_ops.h"

seqrt_status ref_one_hot(const sq_op_args *args)
{
    const sq_view *ids = args->in[SQ_SLOT_X];
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int64_t depth = out->d[out->rank - 1];
    const int64_t n = sq_view_count(ids);
    const int32_t *id = sq_vi(ids);
    float *y = sq_vf(out);

    memset(y, 0, (size_t)(n * depth) * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        int64_t k = id[i];
        if (k < 0 || k >= depth) /* validated by the core; never write outside */
            return sq_error(SEQRT_ERR_RANGE, "layer '%s': id %lld outside [0, %lld)",
                            args->layer->name, (long long)k, (long long)depth);
        y[i * depth + k] = 1.0f;
    }
    return SEQRT_OK;
}
