/*
 * oneDNN backend: recurrent layers (lstm, gru, rnn).
 *
 * Two engines compute the same equations:
 *
 *  - the primitive engine (dnnl_rnn.c, dnnl_lstm.c, dnnl_gru_rnn.c) runs
 *    oneDNN's LSTM / GRU / linear-before-reset GRU / vanilla RNN primitives,
 *    one primitive per stacked layer k (both directions in one
 *    bidirectional_concat primitive), h0/c0 as src_iter/src_iter_c and
 *    h_n/c_n as dst_iter/dst_iter_c;
 *
 *  - the loop engine (dnnl_rnn_loop.c, dnnl_cell.c) runs the input
 *    projection of every step as one matmul primitive, then a loop over the
 *    steps of a small matmul primitive (W_hh h_{t-1}, summed into the
 *    projected gates) and a vectorised cell. At small batch it is faster
 *    than the primitive, and it handles `lengths` in place.
 *
 * Weights are prepared once per session, reordered straight from the
 * model's tensors (no host copy, so preparing needs no memory beyond the
 * prepared weights): for the primitive engine into oneDNN's conventions —
 * LSTM gates i, f, c, o (= PyTorch's i, f, g, o); GRU gates u, r, o (=
 * PyTorch's z, r, n); the two PyTorch biases summed (for the
 * linear-before-reset GRU the fourth bias block is b_hn); peepholes
 * [i, f, o]; and, for a coupled LSTM, the input-gate rows (weights, bias,
 * peephole) replaced by the negated forget-gate rows, so that
 * i = σ(-a_f - p_f c) = 1 - σ(a_f + p_f c) = 1 - f exactly in real
 * arithmetic and the cell is an ordinary LSTM; for the loop engine in
 * PyTorch's gate order, its cell taking i = 1 - f for a coupled LSTM.
 */
#ifndef SEQRT_DNNL_RNN_H
#define SEQRT_DNNL_RNN_H

#include "dnnl_common.h"

/* Prepared state of the loop engine for one direction of one layer, in
 * PyTorch's gate order (read straight from the model's tensors). */
typedef struct dn_loop_dir {
    dnnl_memory_t wx;   /* input projection weights [in_k, G*H] (matmul layout) */
    dnnl_memory_t wh;   /* recurrent weights [Ho, G*H]; plain GRU: [H, 2H] (r, z);
                           made on the first run that needs it */
    dnnl_memory_t who;  /* plain GRU: [H, H] (n) */
    dnnl_memory_t wr;   /* lstm projection [H, P] */
    float *bx;          /* [G*H] b_ih + b_hh (lbr GRU: b_in alone in the n block) */
    float *bh;          /* lbr GRU: [G*H] {0, 0, b_hn}; else NULL */
    float *whp;         /* W_hh packed for the small-batch path
                           (dnnl_rnn_small.c), made on its first use */
} dn_loop_dir;

/* Weights of layer k (which: 0 layer, 1 iter, 2 projection) in a layout
 * some shape's primitive wants beyond the prepared one. */
#define DN_RNN_MAX_ALT 6
typedef struct dn_rnn_alt {
    int k, which;
    dnnl_memory_desc_t md;
    dnnl_memory_t mem;
} dn_rnn_alt;

typedef struct dn_rnn {
    const sq_layer *L;
    sq_op op;
    int nl, D, G, Gb;           /* layers, directions, gates, bias blocks */
    int64_t I, H, Ho, P;        /* input, hidden, output width (P or H), projection (0: none) */
    bool lbr;                   /* gru: linear before reset */
    /* always prepared: per layer k */
    float **bias;               /* [nl] -> [D, Gb, H] */
    float **peep;               /* [nl] -> [D, 3, H], or NULL (lstm peephole only) */
    /* primitive engine (prepared on first use) */
    bool prim_ready;
    dnnl_memory_t *wl, *wi, *wp; /* [nl] in the layouts the primitive prefers */
    dn_rnn_alt alt[DN_RNN_MAX_ALT]; /* other layouts some shapes want */
    int nalt;
    /* loop engine (prepared on first use) */
    bool loop_ready, wh_ready;
    bool proj_rt;               /* input projection with a run-time row count */
    bool wx_model;              /* input projection reads W_ih from the model (no copy) */
    dn_loop_dir *dir;           /* [nl * D] */
    dnnl_memory_desc_t wx_md[2], wh_md, who_md, wr_md; /* [0]: k = 0, [1]: k > 0 */
    /* primitives of this layer, keyed by shapes */
    dn_cache cache;
    /* scratch */
    dn_buf seq[2], gates, state, tmp, gath, lenbuf;
} dn_rnn;

/* In-width of stacked layer k. */
static inline int64_t dn_rnn_in(const dn_rnn *r, int k) { return k == 0 ? r->I : r->D * r->Ho; }

/* dnnl_rnn.c: matrix `which` (0: weights_layer, 1: weights_iter, 2:
 * weights_projection) of layer k in oneDNN's gate order, in a new memory
 * object laid out as `want`, reordered straight from the model's tensors. */
seqrt_status dn_rnn_load_prim(dn_session *s, const dn_rnn *r, int k, int which, const dnnl_memory_desc_t *want,
                              dnnl_memory_t *out);

/* dnnl_lstm.c / dnnl_gru_rnn.c: the RNN primitive descriptor for layer k
 * over the given memory descriptors (weights may be format `any`). */
seqrt_status dn_lstm_desc(const dn_rnn *r, dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir,
                          const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *h0,
                          const dnnl_memory_desc_t *c0, const dnnl_memory_desc_t *wl,
                          const dnnl_memory_desc_t *wi, const dnnl_memory_desc_t *wpeep,
                          const dnnl_memory_desc_t *wproj, const dnnl_memory_desc_t *bias,
                          const dnnl_memory_desc_t *dst, const dnnl_memory_desc_t *hn,
                          const dnnl_memory_desc_t *cn);
seqrt_status dn_gru_rnn_desc(const dn_rnn *r, dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir,
                             const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *h0,
                             const dnnl_memory_desc_t *wl, const dnnl_memory_desc_t *wi,
                             const dnnl_memory_desc_t *bias, const dnnl_memory_desc_t *dst,
                             const dnnl_memory_desc_t *hn);
/* dnnl_lstm.c: the peepholes of layer k, [D, 3, H] (i, f, o; coupled: the
 * input gate's is the negated forget gate's). */
void dn_lstm_peephole(const dn_rnn *r, int k, float *out);

/* One run of a recurrent layer, as the engines see it. Sequences are
 * [T, B, F] (time-major) unless bf. */
typedef struct dn_rnn_run {
    int64_t T, B;
    bool bf;                    /* x and y are batch-first */
    const float *x;             /* [T, B, I] */
    const float *h0, *c0;       /* [nl*D, B, Ho] / [nl*D, B, H], or NULL (zeros) */
    const int32_t *lens;        /* [B] or NULL (every entry runs T steps) */
    float *y;                   /* [T, B, D*Ho] */
    float *hn, *cn;             /* [nl*D, B, Ho] / [nl*D, B, H] (cn NULL unless lstm) */
} dn_rnn_run;

/* dnnl_rnn.c: the primitive engine (lengths: dnnl_lengths.c groups). */
seqrt_status dn_rnn_prim_prepare(dn_session *s, dn_rnn *r);
seqrt_status dn_rnn_prim_run(dn_session *s, dn_rnn *r, const dn_rnn_run *run);

/* dnnl_rnn_loop.c: the loop engine. Prepare makes what a run of batch B
 * needs (the input projection's weights; then W_hh packed for the
 * small-batch path or laid out for the step matmuls), once each. */
seqrt_status dn_rnn_loop_prepare(dn_session *s, dn_rnn *r, int64_t B);
seqrt_status dn_rnn_loop_run(dn_session *s, dn_rnn *r, const dn_rnn_run *run);

/* dnnl_lengths.c: the primitive engine over variable lengths — batch
 * entries grouped by length, each group run as a dense batch. */
seqrt_status dn_rnn_prim_run_lengths(dn_session *s, dn_rnn *r, const dn_rnn_run *run);
/* dnnl_lengths.c: the reversed valid prefix of every entry of a
 * time-major sequence: out[t, b] = x[len[b]-1-t, b] for t < len[b]. */
void dn_reverse_prefixes(float *out, const float *x, int64_t T, int64_t B, int64_t F, const int32_t *lens);

/* A matmul of the loop engine with its memory objects, kept for a whole
 * run so each step only swaps pointers: dst = src · W (+ bias) (+ dst). */
typedef struct dn_mmx {
    dn_prim *p;
    dnnl_memory_t src, wei, bias, dst;
} dn_mmx;
/* `src`/`dst` are [M, K] / [M, N] dense; `wmd` the prepared weights. */
seqrt_status dn_mmx_init(dn_session *s, dn_rnn *r, dn_mmx *x, int64_t M, int64_t K, int64_t N,
                         const dnnl_memory_desc_t *wmd, bool sum, bool bias);
seqrt_status dn_mmx_run(dn_session *s, dn_mmx *x, const float *src, dnnl_memory_t wei, const float *bias,
                        float *dst);
void dn_mmx_free(dn_mmx *x);

/* One step of one direction in the loop engine. */
typedef struct dn_loop_step {
    dn_session *s;
    dn_rnn *r;
    const dn_loop_dir *w;
    int64_t B;
    const uint8_t *active;      /* per entry: runs this step (NULL: all) */
    float *g;                   /* [B, G*H] the projected gates of this step (x W_ih + b) */
    float *h, *c;               /* state [B, Ho], [B, H] */
    float *aux, *aux2;          /* op scratch: [B, G*H] and [B, H] */
    const float *peep;          /* lstm [3H] or NULL */
    bool coupled;               /* lstm: i = 1 - f */
    dn_mmx mm[3];               /* the step's matmuls (op-specific) */
} dn_loop_step;

/* dnnl_lstm.c / dnnl_gru_rnn.c: the step matmuls of a run, and one step. */
seqrt_status dn_lstm_loop_init(dn_loop_step *c);
seqrt_status dn_lstm_loop_step(dn_loop_step *c);
seqrt_status dn_gru_rnn_loop_init(dn_loop_step *c);
seqrt_status dn_gru_rnn_loop_step(dn_loop_step *c);

/* dnnl_rnn_small.c: the small-batch path of the loop engine (LSTM without
 * projection, linear-before-reset GRU, RNN) — one OpenMP team for the whole
 * sequence, each thread the product h W_hh^T and the cell for its own
 * hidden units, one barrier per step. */
#define DN_SMALL_MAX_BATCH 64
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
    bool quad;                  /* entries 4 at a time (dn_session.small_quad) */
    float *h;                   /* [2, B, H] state, ping-pong: [0] holds h0 */
    float *c;                   /* lstm: [B, H] c0 in, c_n out */
    float *y;                   /* output of time t, entry b at y + (t*B + b)*ldy; or NULL */
    int64_t ldy;
} dn_small;
/* 1 if layer r can run batch B on this path. */
int dn_small_eligible(const dn_rnn *r, int64_t B);
/* dnnl_rnn.c: 1 if the loop engine runs batch B of layer r on this path
 * (SEQRT_ONEDNN_RNN=fused: whenever eligible; auto: see auto_small; loop:
 * never). */
int dn_rnn_loop_small(const dn_session *s, const dn_rnn *r, int64_t B);
/* Packs W_hh [G*H, H] (PyTorch's layout) into a new aligned buffer. */
seqrt_status dn_small_pack(const float *w_hh, int64_t H, int G, float **out);
/* Runs the sequence; returns the number of steps run (max len, or T):
 * the final h is in h + (steps % 2) * B * H. */
int64_t dn_small_run(const dn_small *a);

/* dnnl_cell.c: the cells of the loop engine, over the `B` rows of one step
 * (rows whose `active` flag is 0 are left untouched; NULL: all rows run).
 * Gates are in PyTorch's order. */
/* g [B, 4H] pre-activations i, f, g, o (W_ih x + W_hh h + b); peep [3H]
 * (i, f, o) or NULL; coupled: i = 1 - f; c [B, H] in/out; h [B, ldh] gets
 * o ⊙ tanh(c). */
void dn_cell_lstm(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *peep, bool coupled,
                  float *c, float *h, int64_t ldh);
/* lbr GRU: g [B, 3H] = W_ih x + b (r, z, n), gh [B, 3H] = W_hh h + {0, 0, b_hn}. */
void dn_cell_gru_lbr(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *gh, float *h);
/* plain GRU, first half: gh [B, 2H] = W_h{r,z} h in, z out (first H);
 * rh [B, H] = r ⊙ h. Second half: go [B, H] = W_hn (r ⊙ h); h updated
 * from u = z (first H of gh, row stride 2H). */
void dn_cell_gru_ur(int64_t B, int64_t H, const uint8_t *active, const float *g, float *gh, const float *h,
                    float *rh);
void dn_cell_gru_o(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *go, const float *u,
                   float *h);
/* RNN: h = act(g), g [B, H] = W_ih x + W_hh h + b. */
void dn_cell_rnn(int64_t B, int64_t H, const uint8_t *active, const float *g, bool relu, float *h);
/* Copies the active rows of src [B, n] (row stride lds) to dst (ldd). */
void dn_copy_rows(int64_t B, int64_t n, const uint8_t *active, const float *src, int64_t lds, float *dst,
                  int64_t ldd);

#endif /* SEQRT_DNNL_RNN_H */
