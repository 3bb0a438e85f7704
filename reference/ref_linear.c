/* linear: y = x W^T + b on the last axis, any rank; W [out, in], b [out]. */
#include "ref_ops.h"

seqrt_status ref_linear(const sq_op_args *args)
{
    const sq_view *x = args->in[SQ_SLOT_X];
    const sq_weight *W = args->layer->w[SQ_W_LINEAR];
    /* NULL when bias=false */
    const sq_weight *bias = args->layer->nw > SQ_B_LINEAR ? args->layer->w[SQ_B_LINEAR] : NULL;
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int64_t in = W->dims[1], nout = W->dims[0];
    int64_t rows = 1; /* every axis but the last */
    for (int i = 0; i + 1 < x->rank; i++) rows *= x->d[i];
    const float *xv = sq_vf(x);
    float *y = sq_vf(out);

    for (int64_t r = 0; r < rows; r++) {
        const float *xr = xv + r * in;
        for (int64_t o = 0; o < nout; o++) {
            double acc = ref_dot(W->data + o * in, xr, in);
            if (bias) acc += bias->data[o];
            y[r * nout + o] = (float)acc;
        }
    }
    return SEQRT_OK;
}
