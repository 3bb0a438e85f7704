/*
 * softmax / log_softmax along `axis` (negative counts from the end):
 *   softmax(x)_i     = exp(x_i - m) / sum_j exp(x_j - m)
 *   log_softmax(x)_i = x_i - m - log(sum_j exp(x_j - m)),   m = max_j x_j
 * evaluated in double. NaN and Inf propagate as in PyTorch: a NaN anywhere in
 * a row makes the whole row NaN; a +Inf gives inf - inf = NaN; a row of -Inf
 * gives NaN.
 */
#include <math.h>

#include "ref_ops.h"

seqrt_status ref_softmax(const sq_op_args *args)
{
    const sq_layer *L = args->layer;
    const sq_view *x = args->in[SQ_SLOT_X];
    sq_view *out = args->out[SQ_OUT_MAIN];
    const bool log_form = L->op == SQ_OP_LOG_SOFTMAX;
    /* x viewed as [outer, n, inner]; each (o, i) pair is one row of n. */
    int64_t outer, inner;
    const int axis = sq_axis_split(x->rank, x->d, L->a.axis, &outer, &inner);
    if (axis < 0)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': axis %lld out of range for rank %d",
                        L->name, (long long)L->a.axis, x->rank);
    const int64_t n = x->d[axis];
    const float *xv = sq_vf(x);
    float *y = sq_vf(out);

    for (int64_t o = 0; o < outer; o++) {
        for (int64_t in = 0; in < inner; in++) {
            const float *xr = xv + o * n * inner + in;
            float *yr = y + o * n * inner + in;
            if (n == 0) continue;

            double m = xr[0];
            for (int64_t k = 1; k < n && !isnan(m); k++) {
                double v = xr[k * inner];
                if (isnan(v) || v > m) m = v;
            }
            double sum = 0.0;
            for (int64_t k = 0; k < n; k++) sum += exp((double)xr[k * inner] - m);

            if (log_form) {
                const double lse = log(sum);
                for (int64_t k = 0; k < n; k++)
                    yr[k * inner] = (float)((double)xr[k * inner] - m - lse);
            } else {
                for (int64_t k = 0; k < n; k++)
                    yr[k * inner] = (float)(exp((double)xr[k * inner] - m) / sum);
            }
        }
    }
    return SEQRT_OK;
}
