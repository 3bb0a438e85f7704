/* activation: y = f(x) elementwise, f = relu, tanh, sigmoid, gelu (erf form)
 * or affine (alpha * x + beta, format 1.1), in double. */
#include "ref_ops.h"

seqrt_status ref_activation_op(const sq_op_args *args)
{
    const sq_view *x = args->in[SQ_SLOT_X];
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int fn = args->layer->a.function;
    const int64_t n = sq_view_count(x);
    const float *xv = sq_vf(x);
    float *y = sq_vf(out);

    const double alpha = args->layer->a.act_alpha, beta = args->layer->a.act_beta;
    for (int64_t i = 0; i < n; i++)
        y[i] = (float)(fn == SQ_ACT_AFFINE ? ref_affine(alpha, beta, (double)xv[i]) : ref_activation(fn, (double)xv[i]));
    return SEQRT_OK;
}
