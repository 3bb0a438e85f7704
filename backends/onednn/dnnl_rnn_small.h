/*
 * oneDNN backend: the interface of the loop engine's small-batch path
 * (dnnl_rnn_small.c) — LSTM without projection, linear-before-reset GRU,
 * RNN, at batch 1 to DN_SMALL_MAX_BATCH: one OpenMP team for the whole
 * sequence, each thread the product h W_hh^T and the cell for its own
 * hidden units, one barrier per step.
 */
#ifndef SEQRT_DNNL_RNN_SMALL_H
#define SEQRT_DNNL_RNN_SMALL_H

#include "dnnl_rnn.h"

#define DN_SMALL_MAX_BATCH 64

/* One direction of one layer over a whole sequence. */
typedef struct dn_small {
    sq_op op;
    int G;                      /* gates: 4, 3 or 1 */
    int64_t T, B, H;
    const float *whp;           /* packed W_hh (dn_small_pack) */
    const float *gates;         /* [T, B, G*H] x W_ih^T + b, PyTorch's gate order */
    bool reverse;               /* the reverse direction (see dnnl_rnn_loop.c) */
    const int32_t *lens;        /* [B] or NULL */
    const float *peep;          /* lstm: [3H] (i, f, o) or NULL */
    bool coupled;               /* lstm: i = 1 - f */
    const float *bhn;           /* gru: [H] b_hn */
    bool relu;                  /* rnn: relu, else tanh */
    int tile;                   /* batch entries per tile: 4 or 2 (dn_session.small_tile) */
    float *h;                   /* [2, B, H] state, ping-pong: [0] holds h0 */
    float *c;                   /* lstm: [B, H] c0 in, c_n out */
    float *y;                   /* output of time t, entry b at y + (t*B + b)*ldy; or NULL */
    int64_t ldy;
} dn_small;

/* 1 if layer r can run batch B on this path. */
int dn_small_eligible(const dn_rnn *r, int64_t B);
/* Packs W_hh [G*H, H] (PyTorch's layout) into a new aligned buffer. */
seqrt_status dn_small_pack(const float *w_hh, int64_t H, int G, float **out);
/* Runs the sequence; returns the number of steps run (max len, or T):
 * the final h is in h + (steps % 2) * B * H. */
int64_t dn_small_run(const dn_small *a);

#endif /* SEQRT_DNNL_RNN_SMALL_H */
