/*
 * Pooling over the time axis of a sequence x ([T, B, F], or [B, T, F] when
 * batch_first) into [B, F]:
 *   last_step: x at step len[b] - 1 (T - 1 without lengths);
 *   mean_pool: (1 / len[b]) * sum_{t < len[b]} x_t, summed in double.
 * Both give zeros where len[b] = 0.
 */
#include <string.h>

#include "ref_ops.h"

/* Valid steps of batch entry b. */
static int64_t valid_steps(const sq_view *lengths, int64_t b, int64_t T)
{
    if (!lengths) return T;
    int64_t len = sq_vi(lengths)[b];
    return len < 0 ? 0 : (len > T ? T : len);
}

seqrt_status ref_last_step(const sq_op_args *args)
{
    const bool bf = args->batch_first;
    const sq_view *x = args->in[SQ_SLOT_X];
    const sq_view *lengths = args->in[SQ_SLOT_LENGTHS];
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), F = x->d[2];
    const float *xv = sq_vf(x);
    float *y = sq_vf(out);

    for (int64_t b = 0; b < B; b++) {
        const int64_t len = valid_steps(lengths, b, T);
        float *yb = y + b * F;
        if (len == 0)
            memset(yb, 0, (size_t)F * sizeof(float));
        else
            memcpy(yb, xv + sq_seq_off(bf, T, B, len - 1, b, F), (size_t)F * sizeof(float));
    }
    return SEQRT_OK;
}

seqrt_status ref_mean_pool(const sq_op_args *args)
{
    const bool bf = args->batch_first;
    const sq_view *x = args->in[SQ_SLOT_X];
    const sq_view *lengths = args->in[SQ_SLOT_LENGTHS];
    sq_view *out = args->out[SQ_OUT_MAIN];
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), F = x->d[2];
    const float *xv = sq_vf(x);
    float *y = sq_vf(out);

    for (int64_t b = 0; b < B; b++) {
        const int64_t len = valid_steps(lengths, b, T);
        for (int64_t f = 0; f < F; f++) {
            double sum = 0.0;
            for (int64_t t = 0; t < len; t++) sum += xv[sq_seq_off(bf, T, B, t, b, F) + f];
            y[b * F + f] = len > 0 ? (float)(sum / (double)len) : 0.0f;
        }
    }
    return SEQRT_OK;
}
