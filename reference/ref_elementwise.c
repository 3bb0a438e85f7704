/* add, mul: elementwise over equal shapes (no broadcasting); dropout:
 * identity at inference (a copy). */
#include <string.h>

#include "ref_ops.h"

static double add_d(double a, double b) { return a + b; }
static double mul_d(double a, double b) { return a * b; }

/* y = fn(a, b) elementwise, in double, rounded once. */
static seqrt_status binary(const sq_op_args *args, double (*fn)(double, double))
{
    const sq_view *a = args->in[SQ_SLOT_A], *b = args->in[SQ_SLOT_B];
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int64_t n = sq_view_count(out);
    const float *av = sq_vf(a), *bv = sq_vf(b);
    float *y = sq_vf(out);

    for (int64_t i = 0; i < n; i++) y[i] = (float)fn((double)av[i], (double)bv[i]);
    return SEQRT_OK;
}

seqrt_status ref_add(const sq_op_args *args) { return binary(args, add_d); }
seqrt_status ref_mul(const sq_op_args *args) { return binary(args, mul_d); }

seqrt_status ref_dropout(const sq_op_args *args)
{
    const sq_view *x = args->in[SQ_SLOT_X];
    sq_view *out = args->out[SQ_OUT_MAIN];
    /* F32 and I32 elements are both 4 bytes. */
    const size_t bytes = (size_t)sq_view_count(x) * 4;
    if (out->data != x->data && bytes) memmove(out->data, x->data, bytes);
    return SEQRT_OK;
}
