/* concat: the "x" list joined along `axis` (negative counts from the end),
 * in list order. Every other axis is equal across inputs. */
#include <string.h>

#include "ref_ops.h"

seqrt_status ref_concat(const sq_op_args *args)
{
    const sq_layer *L = args->layer;
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int rank = out->rank;
    /* Each view as [outer, d_axis, inner]; F32 and I32 elements are 4 bytes. */
    int64_t outer, inner;
    const int axis = sq_axis_split(rank, out->d, L->a.axis, &outer, &inner);
    if (axis < 0)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': axis %lld out of range for rank %d",
                        L->name, (long long)L->a.axis, rank);

    const size_t esize = 4;
    const int64_t out_row = out->d[axis] * inner; /* elements per outer index */
    char *y = out->data;

    int64_t start = 0; /* offset along the axis, in elements of the inner block */
    for (int k = 0; k < args->nlist; k++) {
        const sq_view *x = args->list[k];
        const int64_t row = x->d[axis] * inner;
        const char *xv = x->data;
        for (int64_t o = 0; o < outer && row > 0; o++)
            memcpy(y + (size_t)(o * out_row + start) * esize, xv + (size_t)(o * row) * esize,
                   (size_t)row * esize);
        start += row;
    }
    return SEQRT_OK;
}
