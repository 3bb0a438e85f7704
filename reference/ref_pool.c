/*
 * Pooling over the time axis of a sequence x ([T, B, F], or [B, T, F] when
 * batch_first) into [B, F]:
 *   last_step: x at step len[b] - 1 (T - 1 without lengths);
 *   mean_pool: (1 / len[b]) * sum_{t < len[b]} x_t, summed in double.
 * Both give zeros where len[b] = 0.
 */
#include <string.h>

#include "ref_ops.h"

/* What both poolings read: the layout, sizes and data of x, the lengths
 * (NULL when absent) and the [B, F] output. */
typedef struct pool_io {
    bool bf;
    int64_t T, B, F;
    const float *x;
    const int32_t *lengths;
    float *y;
} pool_io;

static pool_io pool_io_of(const sq_op_args *args)
{
    const bool bf = args->batch_first;
    const sq_view *x = args->in[SQ_SLOT_X];
    const sq_view *lengths = args->in[SQ_SLOT_LENGTHS];
    return (pool_io){.bf = bf,
                     .T = sq_seq_T(x, bf),
                     .B = sq_seq_B(x, bf),
                     .F = x->d[2],
                     .x = sq_vf(x),
                     .lengths = lengths ? sq_vi(lengths) : NULL,
                     .y = sq_vf(args->out[SQ_OUT_MAIN])};
}

seqrt_status ref_last_step(const sq_op_args *args)
{
    const pool_io p = pool_io_of(args);
    for (int64_t b = 0; b < p.B; b++) {
        const int64_t len = sq_valid_len(p.lengths, b, p.T);
        float *yb = p.y + b * p.F;
        if (len == 0)
            memset(yb, 0, (size_t)p.F * sizeof(float));
        else
            memcpy(yb, p.x + sq_seq_off(p.bf, p.T, p.B, len - 1, b, p.F), (size_t)p.F * sizeof(float));
    }
    return SEQRT_OK;
}

seqrt_status ref_mean_pool(const sq_op_args *args)
{
    const pool_io p = pool_io_of(args);
    for (int64_t b = 0; b < p.B; b++) {
        const int64_t len = sq_valid_len(p.lengths, b, p.T);
        for (int64_t f = 0; f < p.F; f++) {
            double sum = 0.0;
            for (int64_t t = 0; t < len; t++) sum += p.x[sq_seq_off(p.bf, p.T, p.B, t, b, p.F) + f];
            p.y[b * p.F + f] = len > 0 ? (float)(sum / (double)len) : 0.0f;
        }
    }
    return SEQRT_OK;
}
