/* select: x indexed at `index` along `axis` (both may be negative, counting
 * from the end); the axis is removed. */
#include <string.h>

#include "ref_ops.h"

seqrt_status ref_select(const sq_op_args *args)
{
    const sq_layer *L = args->layer;
    const sq_view *x = args->in[SQ_SLOT_X];
    sq_view *out = args->out[SQ_OUT_MAIN];
    int64_t outer, inner; /* x as [outer, n, inner]; out as [outer, inner] */
    const int axis = sq_axis_split(x->rank, x->d, L->a.axis, &outer, &inner);
    if (axis < 0)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': axis %lld out of range for rank %d",
                        L->name, (long long)L->a.axis, x->rank);
    const int64_t n = x->d[axis];
    int64_t index = L->a.index;
    if (index < 0) index += n;
    if (index < 0 || index >= n)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': index %lld out of range for size %lld",
                        L->name, (long long)L->a.index, (long long)n);

    const size_t esize = 4; /* F32 and I32 */
    const char *xv = x->data;
    char *y = out->data;

    for (int64_t o = 0; o < outer && inner > 0; o++)
        memcpy(y + (size_t)(o * inner) * esize, xv + (size_t)((o * n + index) * inner) * esize,
               (size_t)inner * esize);
    return SEQRT_OK;
}
