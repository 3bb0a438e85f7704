/* activation: y = f(x) elementwise, f = relu, tanh, sigmoid or gelu (erf form). */
#include "ref_ops.h"

seqrt_status ref_activation_op(const sq_op_args *args)
{
    const sq_view *x = args->in[SQ_SLOT_X];
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int fn = args->layer->a.function;
    const int64_t n = sq_view_count(x);
    const float *xv = sq_vf(x);
    float *y = sq_vf(out);

    for (int64_t i = 0; i < n; i++) y[i] = (float)ref_activation(fn, (double)xv[i]);
    return SEQRT_OK;
}
