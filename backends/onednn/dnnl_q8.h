/*
 * oneDNN backend: int8-dynamic layers (format 1.2, docs/model-format/
 * quantization.md) — linear, lstm and gru computed as the design's
 * equations say, which are PyTorch 1.13's quantize_dynamic on the model's
 * int8_rule (qnnpack or onednn):
 *
 *  - dnnl_q8.c (compiled once): a call's input parameters (step 2), the
 *    codes, the product of a whole input with an I8 matrix (oneDNN's u8s8
 *    matmul with int32 output where the CPU has VNNI, else the kernels'
 *    own product), the float result per rule (step 5), and the linear op;
 *  - dnnl_q8_rnn.c: lstm and gru — per layer and direction one call for
 *    the input projection over the real steps of the whole sequence, then
 *    the recurrent steps on the kernels below;
 *  - dnnl_q8_kern.c (compiled per ISA, like dnnl_rnn_small.c): the packed
 *    I8 matrices and the products on them — vpdpbusd (AVX512_VNNI) or
 *    plain widening to int32 (every other CPU, or SEQRT_ONEDNN_DOT=widen) —
 *    and one recurrent step per team member: the step's codes of h_{t-1},
 *    the product for the member's hidden units straight into int32
 *    registers, the result, the cell, h_t.
 *
 * Every product is exact in int32 (|code| <= 255, |q| <= 128: K < 65793)
 * and every float operation is the design's, one by one (these files are
 * built with -ffp-contract=off); only σ and tanh differ from the reference
 * (dnnl_vec.h's, within 2 ulp, where the reference rounds double results).
 */
#ifndef SEQRT_DNNL_Q8_H
#define SEQRT_DNNL_Q8_H

#include <stdbool.h>
#include <stdint.h>

#include "dnnl_common.h"

/* The parameters of one call's input (quantization.md steps 2 and 3). */
typedef struct dn_q8_in {
    double s;       /* s_x */
    int32_t z;      /* z_x */
    float inv;      /* the codes' multiplier: qnnpack f32(1 / f32(s_x)), onednn f32(1 / s_x) */
    float sf;       /* f32(s_x) */
    bool qnnpack;   /* the rule (SQ_INT8_RULE_QNNPACK, else onednn) */
} dn_q8_in;

/* Step 2 from the input's range [lo, hi] (lo <= 0 <= hi). */
void dn_q8_params(float lo, float hi, int rule, dn_q8_in *p);

/* An I8 matrix [N, K] as the kernels read it: blocks of `vl` rows (of
 * each of G gates of `rows` rows: N = G * rows) by groups of `kg` inputs
 * (dn_q8k's; K padded to Kp with zero weights), and per row the sum of its
 * codes (the input's zero point comes out of the product as z_x * rowsum),
 * its scale and f32(1 / scale). */
typedef struct dn_q8_mat {
    int G;
    int64_t rows, N, K, Kp;
    int8_t *p;          /* packed (NULL when oneDNN's matmul holds the matrix) */
    int32_t *rowsum;    /* [N] */
    float *sw, *rsw;    /* [N] */
} dn_q8_mat;

/* One direction of one int8-dynamic lstm/gru layer over a whole sequence,
 * as the kernels see it (dnnl_q8_rnn.c fills it). */
typedef struct dn_q8_rnn {
    int G;                      /* 4: lstm, 3: gru */
    int64_t T, B, H;
    const dn_q8_mat *w;         /* W_hh, G gates of H rows, K = H */
    const float *bhh;           /* [G*H] b_hh, or NULL: 0 */
    int rule;                   /* SQ_INT8_RULE_* */
    const float *ih;            /* the input projection's rows [*, G*H] (b_ih in) */
    const int64_t *ihrow;       /* [T, B]: entry b at time t reads ih row ihrow[t*B+b]; -1: padding */
    bool reverse;               /* time T-1 first */
    float *h;                   /* [2, B, H]: h0 in the first half; after the run, h_n at
                                   h + (T % 2) * B * H */
    float *c;                   /* lstm: [B, H] c0 in, c_n out */
    float *y;                   /* entry b at time t: y + t * ldt + b * ldy (H floats) */
    int64_t ldt, ldy;
    uint8_t *codes;             /* scratch: [threads, B, Kp] */
    int threads;                /* the most team members */
} dn_q8_rnn;

/* One ISA build's int8 kernels (dnnl_q8_kern.c; listed in dnnl_kern.h's
 * table). */
typedef struct dn_q8k {
    const char *name;           /* "vnni", "widen" */
    int vl, kg;
    /* 1 if this CPU runs them */
    int (*usable)(void);
    /* packs q [G * rows, K] into m (m->G, rows, K set; fills Kp and p) */
    seqrt_status (*pack)(const int8_t *q, dn_q8_mat *m);
    /* acc [R, N] = xq [R, Kp] (codes) times m's packed matrix */
    void (*product)(const uint8_t *xq, int64_t R, const dn_q8_mat *m, int32_t *acc);
    /* the recurrent steps of one direction on a team of up to a->threads */
    void (*rnn)(const dn_q8_rnn *a);
} dn_q8k;

/* ------------------------------------------------------------ dnnl_q8.c */

/* The range of x [n] widened to contain 0 (NaN ignored, as the reference). */
void dn_q8_range(const float *x, int64_t n, float *lo, float *hi);
/* Codes of rows x [R, K] (row stride K) into xq [R, ldq] (step 3). */
void dn_q8_codes(const float *x, int64_t R, int64_t K, const dn_q8_in *p, uint8_t *xq, int64_t ldq);
/* Step 5 for rows [R, N]: y = result(acc - z_x * rowsum, s_w, bias). */
void dn_q8_result(const int32_t *acc, int64_t R, const dn_q8_mat *m, const float *bias, const dn_q8_in *p, float *y);

/* A matrix of an int8-dynamic layer, prepared for the session's product:
 * oneDNN's u8s8 matmul (the weights reordered into its s8 layout, the
 * primitive made with a run-time row count), or the kernels' own. */
typedef struct dn_q8_lin {
    dn_q8_mat m;
    const dn_q8k *k;
    bool onednn;                /* the product on oneDNN's matmul */
    dnnl_memory_t wmem;         /* oneDNN's: the weights in its layout */
    dn_prim prim;               /* oneDNN's: the matmul */
} dn_q8_lin;

/* Prepares W (an I8 weight, G gates of rows each) for session s; `own`:
 * packed for the kernels whatever the CPU (a recurrent W_hh). */
seqrt_status dn_q8_lin_prepare(dn_session *s, dn_q8_lin *l, const sq_weight *W, int G, int64_t rows, bool own,
                               const char *layer);
/* y [R, N] = qlinear(x [R, K]) with the call's parameters from x itself
 * (R rows, dense); xq and acc: scratch of R*K bytes and R*N int32. */
seqrt_status dn_q8_lin_run(dn_session *s, const dn_q8_lin *l, const float *x, int64_t R, const float *bias,
                           int rule, uint8_t *xq, int32_t *acc, float *y);
void dn_q8_lin_free(dn_q8_lin *l);

/* The int8 kernels the session uses (SEQRT_ONEDNN_DOT), and whether the
 * projections run on oneDNN's matmul. */
const dn_q8k *dn_q8_kernels(const dn_session *s, bool *onednn_matmul);

/* The op rows (dnnl_prec.c hands int8-dynamic layers to them). */
extern const sq_op_impl dn_q8_linear_impl;   /* dnnl_q8.c */
extern const sq_op_impl dn_q8_rnn_impl;      /* dnnl_q8_rnn.c: lstm, gru */

#endif /* SEQRT_DNNL_Q8_H */
