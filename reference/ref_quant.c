/*
 * Reference int8-dynamic linear (ref_quant.h): the dynamic linear of
 * quantization.md step by step, each named value a float32 and each
 * operation one float32 operation (no fused multiply-add: this file is
 * built with -ffp-contract=off), the input's scale a double.
 */
#include <math.h>

#include "ref_quant.h"

/* quant_utils::ChooseQuantizationParams(lo, hi, 0, qmax), quantization.md step 2. */
static void choose_qparams(float xmin, float xmax, int qmax, double *s_out, int32_t *z_out)
{
    const float floor_scale = 6.1e-5f;
    double lo = xmin < 0.0f ? (double)xmin : 0.0, hi = xmax > 0.0f ? (double)xmax : 0.0;
    double s = (hi - lo) / qmax;
    if ((float)s == 0.0f || isinf(1.0f / (float)s)) s = 0.1;
    if (s < (double)floor_scale) {
        double org = s;
        s = (double)floor_scale;
        if (lo == 0.0) {
            hi = (double)(floor_scale * (float)qmax);
        } else if (hi == 0.0) {
            lo = -(double)(floor_scale * (float)qmax);
        } else {
            float amp = floor_scale / (float)org;
            lo = (double)((float)lo * amp);
            hi = (double)((float)hi * amp);
        }
    }
    double z_lo = -lo / s, z_hi = qmax - hi / s;
    double z = -fabs(lo / s) < qmax - fabs(hi / s) ? z_lo : z_hi;
    *z_out = z < 0 ? 0 : z > qmax ? qmax : (int32_t)nearbyint(z);
    *s_out = s;
}

seqrt_status ref_qlinear(const float *x, int64_t M, int64_t K, const sq_weight *W, const float *bias, int rule,
                         float *y)
{
    const bool qnnpack = rule == SQ_INT8_RULE_QNNPACK;
    const int64_t N = W->dims[0];
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < M * K; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    double s_x;
    int32_t z_x;
    choose_qparams(lo, hi, qnnpack ? 255 : 127, &s_x, &z_x);
    const float inv_q = 1.0f / (float)s_x;   /* qnnpack: f32(1 / f32(s_x)) */
    const float inv_o = (float)(1.0 / s_x);  /* onednn: f32(1 / s_x) */
    uint8_t *xq = sq_malloc((size_t)(K ? K : 1));
    if (!xq) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory for %lld input codes", (long long)K);
    for (int64_t m = 0; m < M; m++) {
        const float *xr = x + m * K;
        for (int64_t k = 0; k < K; k++) {
            float c = qnnpack ? rintf(xr[k] * inv_q) + (float)z_x : rintf(xr[k] * inv_o + (float)z_x);
            xq[k] = (uint8_t)(c < 0.0f ? 0 : c > 255.0f ? 255 : (int)c);
        }
        for (int64_t n = 0; n < N; n++) {
            const int8_t *q = W->q + n * K;
            int64_t acc = 0; /* exact (torch's int32 holds it for K < 65793) */
            for (int64_t k = 0; k < K; k++) acc += (int64_t)((int32_t)xq[k] - z_x) * q[k];
            const float s_w = W->scale[W->nscale == 1 ? 0 : n];
            const float b = bias ? bias[n] : 0.0f;
            const float a = (float)acc;
            if (qnnpack) {
                const float mult = s_w * (float)s_x;
                const float p = a * mult;
                y[m * N + n] = p + b;
            } else {
                const float g = inv_o * (1.0f / s_w);
                const float bg = b * g;
                const float sum = a + bg;
                y[m * N + n] = sum * (1.0f / g);
            }
        }
    }
    sq_free(xq);
    return SEQRT_OK;
}

seqrt_status ref_int8_linear(const sq_op_args *args)
{
    const sq_layer *L = args->layer;
    const sq_view *x = args->in[SQ_SLOT_X];
    const sq_weight *W = L->w[SQ_W_LINEAR];
    const sq_weight *bias = ref_weight_or_null(L, SQ_B_LINEAR);
    if (!W || W->form != SQ_WF_I8 || (bias && !bias->data))
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': int8-dynamic linear without its I8 weight", L->name);
    const int64_t K = W->dims[1];
    int64_t rows = 1;
    for (int i = 0; i + 1 < x->rank; i++) rows *= x->d[i];
    return ref_qlinear(sq_vf(x), rows, K, W, bias ? bias->data : NULL, args->model->int8_rule,
                       sq_vf(args->out[SQ_OUT_MAIN]));
}
