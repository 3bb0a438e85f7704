/*
 * oneDNN backend: the interface of the loop engine's small-batch path
 * (dnnl_rnn_small.c) — LSTM without projection, linear-before-reset GRU,
 * RNN, at batch 1 to DN_SMALL_MAX_BATCH: one thread team for each chunk of
 * the sequence (the loop engine's chunks; chunks chain through s0 and the
 * ping-pong h), each thread the product h W_hh^T and the cell for its own
 * hidden units, one barrier per step.
 */
#ifndef SEQRT_DNNL_RNN_SMALL_H
#define SEQRT_DNNL_RNN_SMALL_H

#include "dnnl_rnn.h"

#define DN_SMALL_MAX_BATCH 64

/* One direction of one layer over one chunk of a sequence: steps s0 to
 * s0 + T - 1 (global step numbers; the whole sequence: s0 = 0, T steps). */
typedef struct dn_small {
    sq_op op;
    int G;                      /* gates: 4, 3 or 1 */
    int64_t T, B, H;            /* T: the steps of this chunk */
    int64_t s0;                 /* the global step of the chunk's first step */
    const float *whp;           /* packed W_hh (dn_small_pack, or dn_small_pack16 when wb16) */
    bool wb16;                  /* whp holds bf16 weights */
    const float *gates;         /* [T, B, G*H] x W_ih^T + b of the chunk's steps, PyTorch's gate
                                   order (reverse without lengths: row T-1-s for step s0+s) */
    bool reverse;               /* the reverse direction (see dnnl_rnn_loop.c) */
    const int32_t *lens;        /* [B] or NULL */
    const float *peep;          /* lstm: [3H] (i, f, o) or NULL */
    bool coupled;               /* lstm: i = 1 - f */
    const float *bhn;           /* gru: [H] b_hn */
    bool relu;                  /* rnn: relu, else tanh */
    int tile;                   /* batch entries per tile: 2, 3 or 4 (dn_session.small_tile) */
    float *h;                   /* [2, B, H] state, ping-pong by the global step: h after
                                   step s0 - 1 (h0 when s0 = 0) at h + (s0 % 2) * B * H */
    float *c;                   /* lstm: [B, H] c in (c0 when s0 = 0), c out */
    float *y;                   /* output of time t, entry b at y + t*ldt + b*ldy, t the global
                                   time with lengths, else the chunk's row; or NULL */
    int64_t ldt, ldy;
} dn_small;

/* 1 if layer r can run batch B on this path. */
int dn_small_eligible(const dn_rnn *r, int64_t B);
/* Packs W_hh [G*H, H] (PyTorch's layout) into a new aligned buffer. */
seqrt_status dn_small_pack(const float *w_hh, int64_t H, int G, float **out);
/* Packs a bf16 layer's W_hh [G*H, H] (its 16-bit patterns) for the
 * bf16 form of the path. */
seqrt_status dn_small_pack16(const uint16_t *w_hh, int64_t H, int G, float **out);
/* Runs the chunk; returns the number of its steps run (T, or fewer where
 * every entry's length ends sooner): the last h is then in
 * h + ((s0 + steps) % 2) * B * H. */
int64_t dn_small_run(const dn_small *a);

#endif /* SEQRT_DNNL_RNN_SMALL_H */
