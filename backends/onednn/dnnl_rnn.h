/*
 * oneDNN backend: recurrent layers (lstm, gru, rnn) — the state and the
 * interfaces the driver, its two engines and the cells share.
 *
 * Files, each calling only those below it (cells never call the driver
 * back: the driver is given their strategy table):
 *
 *  - dnnl_lstm.c, dnnl_gru_rnn.c: the cells, one strategy table each
 *    (dn_rnn_cell) and the op rows (sq_op_impl) that hand it to the driver;
 *  - dnnl_rnn.c: the driver — the layer's state, and the choice of engine
 *    (and of the loop engine's small-batch path) for each run;
 *  - dnnl_rnn_prim.c: the primitive engine — oneDNN's LSTM / GRU /
 *    linear-before-reset GRU / vanilla RNN primitives, one per stacked
 *    layer k (both directions in one bidirectional_concat primitive), h0/c0
 *    as src_iter/src_iter_c and h_n/c_n as dst_iter/dst_iter_c, with its
 *    handling of variable lengths (entries grouped by length);
 *  - dnnl_rnn_loop.c: the loop engine — the sequence in chunks of steps
 *    (bounded memory at any length): a chunk's input projection as one
 *    matmul primitive, then a loop over its steps of small matmul
 *    primitives (the cell's dn_loop_mm list) and the cell's step; at small
 *    batch it is faster than the primitive, and it handles `lengths` in
 *    place;
 *  - dnnl_rnn_small.c (dnnl_rnn_small.h): the loop engine's small-batch
 *    path, one thread team per sequence; dnnl_cell.c (dnnl_cell.h): the
 *    vectorised cells of the steps.
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
 * arithmetic and the cell is an ordinary LSTM (input_forget, f = 1 - i,
 * likewise: the forget-gate rows replaced by the negated input-gate rows);
 * for the loop engine in PyTorch's gate order, its cell taking i = 1 - f
 * for a coupled LSTM.
 *
 * Format 1.1 forms: a `direction: "reverse"` layer is one direction that
 * both engines run backwards (the primitive as right_to_left); gate
 * functions other than the op's own and `clip` run on the loop engine
 * alone, stepped by the generic cells of dnnl_cell.c (as does
 * input_forget there; the primitive computes it as said above).
 */
#ifndef SEQRT_DNNL_RNN_H
#define SEQRT_DNNL_RNN_H

#include "dnnl_cell.h"
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

typedef struct dn_rnn_cell dn_rnn_cell;

typedef struct dn_rnn {
    const sq_layer *L;
    const dn_rnn_cell *cell;    /* the op's strategy (dnnl_lstm.c, dnnl_gru_rnn.c) */
    sq_op op;
    int nl, D, G, Gb;           /* layers, directions, gates, bias blocks */
    int64_t I, H, Ho, P;        /* input, hidden, output width (P or H), projection (0: none) */
    bool lbr;                   /* gru: linear before reset */
    /* format 1.1: prim_ok, the RNN primitive computes this layer (the op's
     * own gate functions, no clip); gen, the loop engine steps it with the
     * generic cells (dnnl_cell.c: other functions, clip or input_forget),
     * gen_of[d] their parameters for direction d */
    bool prim_ok, gen;
    /* a bf16 layer (dnnl_prec.c: L is its f32 widening): the layer with
     * the 16-bit patterns, from which the small-batch path packs W_hh in
     * bf16 (whp_b16); NULL otherwise */
    const sq_layer *Lb16;
    bool whp_b16;
    dn_gen gen_of[2];
    /* always prepared: per layer k */
    float **bias;               /* [nl] -> [D, Gb, H] (the primitive engine's) */
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
    int64_t chunk_env;          /* SEQRT_ONEDNN_CHUNK (steps per chunk), or 0: derived */
    bool y_unused;              /* no layer and no model output reads the sequence output */
    dn_loop_dir *dir;           /* [nl * D] */
    unsigned engines_used;      /* DN_ENG_* (dnnl_probe.h) some run of this layer took: the others' layouts
                                   are freed after a measurement */
    dnnl_memory_desc_t wx_md[2], wh_md, who_md, wr_md; /* [0]: k = 0, [1]: k > 0 */
    /* primitives of this layer, keyed by shapes */
    dn_cache cache;
    /* scratch */
    dn_buf seq[2], gates, state, tmp, gath, lenbuf;
    dn_buf ybuf;                /* the primitive engine's y when the run writes none */
} dn_rnn;

/* In-width of stacked layer k. */
static inline int64_t dn_rnn_in(const dn_rnn *r, int k) { return k == 0 ? r->I : r->D * r->Ho; }

/* One run of a recurrent layer, as the engines see it. Sequences are
 * [T, B, F] (time-major) unless bf. */
typedef struct dn_rnn_run {
    int64_t T, B;
    bool bf;                    /* x and y are batch-first */
    bool small;                 /* loop engine: the small-batch path (chosen by the driver) */
    const float *x;             /* [T, B, I] */
    const float *h0, *c0;       /* [nl*D, B, Ho] / [nl*D, B, H], or NULL (zeros) */
    const int32_t *lens;        /* [B], or NULL: every entry runs T steps */
    float *y;                   /* [T, B, D*Ho], or NULL: unused (h_n / c_n only) */
    float *hn, *cn;             /* [nl*D, B, Ho] / [nl*D, B, H] (cn NULL unless lstm) */
} dn_rnn_run;

/* ------------------------------------------------------------ the cells' strategy */

/* The memory descriptors of one layer's RNN primitive (weights may be
 * format `any`); c0, wpeep, wproj and cn are for the LSTM (NULL: absent). */
typedef struct dn_prim_mds {
    const dnnl_memory_desc_t *src, *h0, *c0, *wl, *wi, *wpeep, *wproj, *bias, *dst, *hn, *cn;
} dn_prim_mds;

/* One matmul of a loop-engine step: dst [B, N] = src [B, K] · W (+ bias
 * [1, N]) (+ dst with `sum`), W the prepared matrix `w`. */
enum { DN_LOOP_W_HH, DN_LOOP_W_HO, DN_LOOP_W_HR };
#define DN_LOOP_MAX_MM 3
typedef struct dn_loop_mm {
    int64_t K, N;
    int w;                      /* DN_LOOP_W_*: wh, who or wr of the direction */
    bool sum, bias;
} dn_loop_mm;

/* One step of one direction in the loop engine, as the cell sees it. */
typedef struct dn_loop_step {
    dn_session *s;
    const dn_rnn *r;
    const dn_loop_dir *w;
    int64_t B;
    const uint8_t *active;      /* per entry: runs this step (NULL: all) */
    float *g;                   /* [B, G*H] the projected gates of this step (x W_ih + b) */
    float *h, *c;               /* state [B, Ho], [B, H] */
    float *aux, *aux2;          /* op scratch: [B, G*H] and [B, H] (aux2 zeroed before the first step) */
    const float *peep;          /* lstm [3H] or NULL */
    bool coupled;               /* lstm: i = 1 - f */
    const dn_gen *gen;          /* the generic cells' parameters, or NULL: the op's own cell */
    dn_bound mm[DN_LOOP_MAX_MM]; /* the cell's dn_loop_mm list, bound by the loop engine */
    void *mmw[DN_LOOP_MAX_MM];  /* their weights' data */
} dn_loop_step;

/* Runs matmul i of a step: dst = src · W (+ bias) (+ dst). */
static inline seqrt_status dn_loop_mm_run(const dn_loop_step *c, int i, const float *src, const float *bias,
                                          float *dst)
{
    void *p[4] = {(void *)src, c->mmw[i], dst, (void *)bias};
    return dn_bound_run(c->s, &c->mm[i], p);
}

/* What each op adds to the driver and its engines. */
struct dn_rnn_cell {
    /* primitive engine: the RNN primitive descriptor for one layer */
    seqrt_status (*prim_desc)(const dn_rnn *r, dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir, const dn_prim_mds *m);
    /* the peepholes of layer k, [D, 3, H] (i, f, o), or NULL: none */
    void (*peephole_of)(const dn_rnn *r, int k, float *out);
    /* loop engine: the step's matmuls (returns how many, <= DN_LOOP_MAX_MM),
     * then one step: matmuls and cell over c->B rows */
    int (*loop_mms)(const dn_rnn *r, dn_loop_mm *mm);
    seqrt_status (*loop_step)(dn_loop_step *c);
};

/* ------------------------------------------------------------ the driver (dnnl_rnn.c) */

/* The op rows' prepare, run and release: `cell` is the op's strategy. */
seqrt_status dn_rnn_prepare(dn_session *s, const sq_layer *L, const dn_rnn_cell *cell, void **state);
seqrt_status dn_rnn_op_run(void *session, const sq_op_args *a, void *state);
/* The auto mode's engine rule, in words (`seqrt backends`), for kernel
 * build k (dnnl_kern.h; NULL: refused) chosen as `why` says. */
struct dn_kern;
void dn_engine_policy(const struct dn_kern *k, const char *why, char *out, size_t n);
void dn_rnn_release(void *state);
/* The outputs a recurrent row accepts unbound (sq_op_impl.unbound_outs):
 * the sequence output y; h_n and c_n are always written. */
#define DN_RNN_UNBOUND (1u << SQ_OUT_MAIN)
/* The op row `impl` of a recurrent op (every form: supports says yes),
 * with its strategy table impl##_cell (the designated fields given after
 * `impl`) and its prepare impl##_prepare. */
#define DN_RNN_OP_ROW(impl, ...)                                                                \
    static const dn_rnn_cell impl##_cell = {__VA_ARGS__};                                      \
    static seqrt_status impl##_prepare(void *session, const sq_layer *L, void **state)         \
    {                                                                                           \
        return dn_rnn_prepare(session, L, &impl##_cell, state);                                 \
    }                                                                                           \
    const sq_op_impl impl = {.supports = sq_op_supports_all, .prepare = impl##_prepare, .run = dn_rnn_op_run,    \
                             .release = dn_rnn_release, .unbound_outs = DN_RNN_UNBOUND}

/* ------------------------------------------------------------ the engines */

/* dnnl_rnn_prim.c: the summed biases of layer k in oneDNN's gate order,
 * [D, Gb, H]; the weights in the layouts the primitive prefers (once);
 * a run, with lengths (run->lens non-NULL) or without. */
void dn_rnn_prim_bias(const dn_rnn *r, int k, float *out);
seqrt_status dn_rnn_prim_prepare(dn_session *s, dn_rnn *r);
seqrt_status dn_rnn_prim_run(dn_session *s, dn_rnn *r, const dn_rnn_run *run);

/* dnnl_rnn_loop.c: the loop engine. Prepare makes what a run needs (the
 * input projection's weights; then W_hh packed for the small-batch path or
 * laid out for the step matmuls), once each. */
seqrt_status dn_rnn_loop_prepare(dn_session *s, dn_rnn *r, bool small);
seqrt_status dn_rnn_loop_run(dn_session *s, dn_rnn *r, const dn_rnn_run *run);

#endif /* SEQRT_DNNL_RNN_H */
