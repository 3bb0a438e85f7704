/*
 * oneDNN backend: what every op file shares — the engine, the session and
 * its value buffers, memory-descriptor helpers, the per-layer primitive
 * cache, scratch buffers and the mapping of oneDNN's status codes to
 * seqrt's.
 *
 * Execution model: a session walks the layers in order (dnnl_backend.c,
 * through api/op_walk.c); each op file exports its row of the backend's op
 * table (sq_op_impl, api/backend.h): `supports`, a prepare step run once at
 * session creation (weights reordered into the layout the primitives
 * prefer, biases summed, gate rows permuted), a run step that builds or
 * finds its primitives in the layer's cache (keyed by the shapes of this
 * run) and executes them over the host buffers of the values, and the
 * release of what prepare made.
 */
#ifndef SEQRT_DNNL_COMMON_H
#define SEQRT_DNNL_COMMON_H

#include <oneapi/dnnl/dnnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "fault.h"
#include "seq.h"

/* ------------------------------------------------------------ fault sites */

/* The oneDNN calls that create or run something, as fault-injection sites
 * (api/fault.h; "onednn:<call>"): in a fault-injection build of the core a
 * test makes any of them fail and checks the error path. Elsewhere each is
 * the plain call behind one cheap check. */
#define dnf_primitive_desc_create(...)                                                   \
    SQ_FAULT_OR("onednn:dnnl_primitive_desc_create", dnnl_out_of_memory,                 \
                dn_user_pd_create(__VA_ARGS__))
#define dnf_primitive_create(...)                                                        \
    SQ_FAULT_OR("onednn:dnnl_primitive_create", dnnl_out_of_memory, dnnl_primitive_create(__VA_ARGS__))
#define dnf_memory_create(...)                                                           \
    SQ_FAULT_OR("onednn:dnnl_memory_create", dnnl_out_of_memory, dnnl_memory_create(__VA_ARGS__))
#define dnf_primitive_execute(...)                                                       \
    SQ_FAULT_OR("onednn:dnnl_primitive_execute", dnnl_runtime_error, dnnl_primitive_execute(__VA_ARGS__))
#define dnf_stream_create(...)                                                           \
    SQ_FAULT_OR("onednn:dnnl_stream_create", dnnl_out_of_memory, dnnl_stream_create(__VA_ARGS__))
#define dnf_reorder_primitive_desc_create(...)                                           \
    SQ_FAULT_OR("onednn:dnnl_reorder_primitive_desc_create", dnnl_out_of_memory,         \
                dn_user_reorder_pd_create(__VA_ARGS__))

/* Scratchpads. Every primitive descriptor is made in oneDNN's user
 * scratchpad mode (the calls below add it to the given attributes, or to
 * new ones), and every execution passes the session's own scratch buffer
 * (dn_session.scratch) as DNNL_ARG_SCRATCHPAD. In oneDNN's default library
 * mode a primitive's scratchpad belongs to the thread that created it, and
 * a primitive run from another thread (a session created in one thread and
 * run in another) read freed memory and crashed. */
dnnl_status_t dn_user_pd_create(dnnl_primitive_desc_t *pd, const_dnnl_op_desc_t d, const_dnnl_primitive_attr_t attr,
                                dnnl_engine_t e, const_dnnl_primitive_desc_t hint);
dnnl_status_t dn_user_reorder_pd_create(dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t *src, dnnl_engine_t se,
                                        const dnnl_memory_desc_t *dst, dnnl_engine_t de,
                                        const_dnnl_primitive_attr_t attr);
dnnl_status_t dn_user_concat_pd_create(dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t *dst, int n, int axis,
                                       const dnnl_memory_desc_t *srcs, dnnl_engine_t e);

/* ------------------------------------------------------------ errors */

/* Maps a oneDNN status to seqrt's and sets the thread's last error:
 * "<what>: oneDNN <status text>". */
seqrt_status dn_fail(dnnl_status_t st, const char *what);
/* Evaluates a oneDNN call; on failure returns the mapped status from the
 * enclosing function (which must return seqrt_status). */
#define DN_TRY(call)                                                       \
    do {                                                                   \
        dnnl_status_t dn_st_ = (call);                                     \
        if (dn_st_ != dnnl_success) return dn_fail(dn_st_, #call);         \
    } while (0)
/* Same, for a seqrt_status expression. */
#define SQ_TRY(expr)                                                       \
    do {                                                                   \
        seqrt_status sq_st_ = (expr);                                      \
        if (sq_st_ != SEQRT_OK) return sq_st_;                             \
    } while (0)

/* ------------------------------------------------------------ engine */

/* The CPU engine shared by every session (created by the module init). */
extern dnnl_engine_t dn_engine;

/* ------------------------------------------------------------ memory descriptors */

/* A dense row-major (C order) f32/s32 descriptor of `rank` dims. */
dnnl_memory_desc_t dn_md(int rank, const int64_t *dims, dnnl_data_type_t dt);
/* A strided descriptor. */
dnnl_memory_desc_t dn_md_strided(int rank, const int64_t *dims, const int64_t *strides,
                                 dnnl_data_type_t dt);
/* dn_md with a format tag. */
dnnl_memory_desc_t dn_md_tag(int rank, const int64_t *dims, dnnl_data_type_t dt,
                             dnnl_format_tag_t tag);
/* Shorthands for 1-, 2- and 3-D dense f32 descriptors. */
dnnl_memory_desc_t dn_md1(int64_t a);
dnnl_memory_desc_t dn_md2(int64_t a, int64_t b);
dnnl_memory_desc_t dn_md3(int64_t a, int64_t b, int64_t c);
/* Strided 2-D / 3-D / 4-D f32 descriptors. */
dnnl_memory_desc_t dn_md2s(int64_t a, int64_t b, int64_t sa, int64_t sb);
dnnl_memory_desc_t dn_md3s(int64_t a, int64_t b, int64_t c, int64_t sa, int64_t sb, int64_t sc);
dnnl_memory_desc_t dn_md4s(int64_t a, int64_t b, int64_t c, int64_t d, int64_t sa, int64_t sb,
                           int64_t sc, int64_t sd);

/* ------------------------------------------------------------ primitives */

/* One primitive with the memory descriptors it was made for. */
typedef struct dn_prim {
    dnnl_primitive_t p;
    const_dnnl_primitive_desc_t pd; /* owned by p */
} dn_prim;

/* Creates a primitive from `pd` and destroys `pd` (also on failure). */
seqrt_status dn_prim_create(dn_prim *out, dnnl_primitive_desc_t pd, const char *what);
void dn_prim_destroy(dn_prim *p);

/* A small least-recently-used cache of primitives keyed by bytes (a zeroed
 * struct describing the shapes and options the primitive was made for). */
#define DN_CACHE_MAX 24
typedef struct dn_cache_entry {
    void *key;
    size_t nkey;
    uint64_t used;
    dn_prim prim;
} dn_cache_entry;
typedef struct dn_cache {
    dn_cache_entry e[DN_CACHE_MAX];
    int n;
    uint64_t clock;
} dn_cache;

/* The cached primitive for `key`, or NULL. */
dn_prim *dn_cache_find(dn_cache *c, const void *key, size_t nkey);
/* Creates a primitive from `pd` (consumed) and stores it under `key`,
 * evicting the least recently used entry when full. */
seqrt_status dn_cache_put(dn_cache *c, const void *key, size_t nkey, dnnl_primitive_desc_t pd,
                          dn_prim **out, const char *what);
void dn_cache_clear(dn_cache *c);

/* One argument of an execution: host memory described by `md`. */
typedef struct dn_arg {
    int arg;                       /* DNNL_ARG_* */
    const dnnl_memory_desc_t *md;  /* NULL: the primitive's own descriptor for `arg` */
    void *ptr;
} dn_arg;

struct dn_session;
/* Executes `p` on the session's stream over host pointers. */
seqrt_status dn_exec(struct dn_session *s, const dn_prim *p, int n, const dn_arg *args);
/* The DNNL_ARG_SCRATCHPAD argument of an execution of pd over the session's
 * scratch buffer (memory NULL: pd needs none; else the caller destroys it). */
seqrt_status dn_scratch_arg(struct dn_session *s, const_dnnl_primitive_desc_t pd, dnnl_exec_arg_t *ea);
/* A memory object over host memory (for hot loops that keep them). */
seqrt_status dn_mem(dnnl_memory_t *out, const dnnl_memory_desc_t *md, void *ptr);
/* A memory object owning storage in `md`'s layout. */
seqrt_status dn_mem_alloc(dnnl_memory_t *out, const dnnl_memory_desc_t *md);
void *dn_mem_ptr(dnnl_memory_t m);
/* One reorder, made, run and destroyed: host data `src` (described by
 * `from`) into `dst` (described by `to`), times `scale` (1: a plain copy):
 * weights preparation. Does not wait for the stream. */
seqrt_status dn_reorder_once(struct dn_session *s, const dnnl_memory_desc_t *from, const void *src,
                             const dnnl_memory_desc_t *to, void *dst, float scale);
/* Reorders host data `src` (described by `src_md`) into `dst` (a memory
 * object) and waits for it: weights preparation. */
seqrt_status dn_reorder_into(struct dn_session *s, const dnnl_memory_desc_t *src_md, const void *src,
                             dnnl_memory_t dst);
/* Executes a reorder between two host buffers (cached in `c`). */
seqrt_status dn_reorder(struct dn_session *s, dn_cache *c, const dnnl_memory_desc_t *src_md,
                        const void *src, const dnnl_memory_desc_t *dst_md, void *dst);

/* A primitive descriptor for the operation `op_desc` (a dnnl_*_desc_t),
 * with at most one post-op: an eltwise (`post_alg` non-zero: alpha, beta)
 * or, with `sum`, a sum into the destination. Whatever it makes on the way
 * is freed on every path; on failure the error names `what`. */
seqrt_status dn_pd_create(dnnl_primitive_desc_t *pd, const void *op_desc, dnnl_alg_kind_t post_alg, float alpha,
                          float beta, bool sum, const char *what);

/* A primitive with memory objects for its arguments, made once, for loops
 * whose calls differ only in the data pointers. */
typedef struct dn_bound {
    const dn_prim *p;
    int n;
    dnnl_exec_arg_t a[7];         /* the arguments, then the scratchpad when it has one */
    size_t scratch;               /* its bytes (0: none) */
} dn_bound;
seqrt_status dn_bound_init(dn_bound *b, const dn_prim *p, int n, const dn_arg *args);
/* Executes with ptr[i] as argument i's data. */
seqrt_status dn_bound_run(struct dn_session *s, const dn_bound *b, void *const *ptr);
void dn_bound_free(dn_bound *b);

/* The matmul primitive dst = post(src · wei + bias), created on first use
 * and cached in `c`. `bias` may be NULL; `post_alg` 0 means no eltwise
 * post-op (else dnnl_eltwise_* with alpha, beta). Descriptors may be
 * strided and batched (rank 2-4, weights broadcast over batch dims of
 * size 1). */
seqrt_status dn_matmul_prim(dn_cache *c, const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *wei,
                            const dnnl_memory_desc_t *bias, const dnnl_memory_desc_t *dst, dnnl_alg_kind_t post_alg,
                            float alpha, float beta, dn_prim **out);
/* That matmul, executed over host buffers. */
seqrt_status dn_matmul(struct dn_session *s, dn_cache *c, const dnnl_memory_desc_t *src, const void *a,
                       const dnnl_memory_desc_t *wei, const void *w, const dnnl_memory_desc_t *bias, const void *b,
                       const dnnl_memory_desc_t *dst, void *y, dnnl_alg_kind_t post_alg, float alpha, float beta);
/* An element-wise op over `n` contiguous floats (cached in `c`). */
seqrt_status dn_eltwise(struct dn_session *s, dn_cache *c, dnnl_alg_kind_t alg, float alpha, float beta,
                        const float *x, float *y, int64_t n);

/* A linear map y = post(x W^T + b) over rows of K features, its weights
 * reordered once (at session creation) into the layout the matmul prefers
 * and its primitive made with a run-time number of rows, so no run pays
 * for a primitive creation (dnnl_linear.c). */
typedef struct dn_lin {
    int64_t K, N;
    dnnl_memory_t w;
    const float *bias;            /* [N] or NULL (the model's tensor) */
    dn_prim p;
} dn_lin;
/* `w` is [N, K] (PyTorch's Linear) when w_is_nk, else [K, N]. */
seqrt_status dn_lin_prepare(struct dn_session *s, dn_lin *l, int64_t K, int64_t N, const float *w, bool w_is_nk,
                            const float *bias, dnnl_alg_kind_t post_alg, float alpha);
/* x [rows, K] and y [rows, N], dense. */
seqrt_status dn_lin_run(struct dn_session *s, const dn_lin *l, int64_t rows, const float *x, float *y);
void dn_lin_free(dn_lin *l);

/* ------------------------------------------------------------ session */

/* Growable host scratch buffer. */
typedef struct dn_buf {
    void *p;
    size_t cap;
} dn_buf;
/* Makes `b` hold at least `bytes` (64-byte aligned; contents not kept). */
seqrt_status dn_buf_reserve(dn_buf *b, size_t bytes);
void dn_buf_free(dn_buf *b);
static inline float *dn_buf_f(const dn_buf *b) { return (float *)b->p; }
/* dnnl_linear.c: frees a state holding a primitive cache, nbuf scratch
 * buffers and nlin linear layers (the release of the ops whose state is
 * such), then the state itself. */
void dn_state_free(void *state, dn_cache *cache, dn_buf *buf, int nbuf, dn_lin *const *lin, int nlin);

/* Which recurrent engine a session uses (SEQRT_ONEDNN_RNN = auto,
 * primitive, loop, or fused: the loop engine's small-batch path wherever it
 * applies). */
enum { DN_RNN_AUTO, DN_RNN_PRIMITIVE, DN_RNN_LOOP, DN_RNN_SMALL };

typedef struct dn_session {
    const seqrt_model *m;
    dnnl_stream_t stream;
    /* read once from the environment at session creation (docs/onednn.md) */
    int rnn_mode;                 /* DN_RNN_* (SEQRT_ONEDNN_RNN) */
    bool proj_rt;                 /* SEQRT_ONEDNN_PROJ=runtime */
    bool wx_model;                /* SEQRT_ONEDNN_WX=model */
    bool dot_widen;               /* SEQRT_ONEDNN_DOT=widen: the int8 kernels without VNNI
                                     and the projections on them, not oneDNN's matmul */
    const struct dn_kern *kern;   /* the hand-written kernels' ISA build (dnnl_kern.h:
                                     SEQRT_ONEDNN_ISA, else the CPU's widest); auto's engine
                                     rule follows it (dn_engine_policy) */
    int small_tile;               /* small-batch path: batch entries per tile, the build's
                                     (kern->small_tile) unless SEQRT_ONEDNN_SMALL_TILE */
    int nthreads;
    const sq_layer *b16_source;   /* during the prepare of a bf16 layer's f32 widening
                                     (dnnl_prec.c): the layer itself, else NULL */
    void **state;                 /* per layer: the op's prepared state */
    sq_values values;             /* every value in host memory (api/backend.h) */
    dn_cache misc;                /* reorders shared by the session */
    dn_buf scratch;               /* every primitive's scratchpad, one execution at a time */
} dn_session;

/* The state of ops without weights: a primitive cache and scratch (the
 * prepare and release of their sq_op_impl rows; `session` a dn_session). */
typedef struct dn_simple {
    dn_cache cache;
    dn_buf buf[4];
} dn_simple;
seqrt_status dn_simple_prepare(void *session, const sq_layer *L, void **state);
void dn_simple_release(void *state);

/* An op row (sq_op_impl, its fields designated): supports, prepare, run,
 * release (prepare and release may be NULL); DN_SIMPLE_ROW, the row of an
 * op whose state is a dn_simple. */
#define DN_OP_ROW(sup, prep, run_fn, rel) {.supports = (sup), .prepare = (prep), .run = (run_fn), .release = (rel)}
#define DN_SIMPLE_ROW(sup, run_fn) DN_OP_ROW(sup, dn_simple_prepare, run_fn, dn_simple_release)

/* The op rows of each file (the backend's table: dnnl_backend.c). */
extern const sq_op_impl dn_lstm_impl;                                /* dnnl_lstm.c */
extern const sq_op_impl dn_gru_impl, dn_rnn_impl;                    /* dnnl_gru_rnn.c */
extern const sq_op_impl dn_linear_impl;                              /* dnnl_linear.c */
extern const sq_op_impl dn_prec_linear_impl, dn_prec_lstm_impl, dn_prec_gru_impl, dn_prec_rnn_impl,
    dn_prec_embedding_impl, dn_prec_attention_impl, dn_prec_attention_pool_impl, dn_prec_mha_impl; /* dnnl_prec.c */
extern const sq_op_impl dn_softmax_impl;                             /* dnnl_softmax.c (both forms) */
extern const sq_op_impl dn_activation_impl, dn_add_impl, dn_mul_impl, dn_dropout_impl; /* dnnl_eltwise.c */
extern const sq_op_impl dn_attention_impl, dn_attention_pool_impl;   /* dnnl_attention.c */
extern const sq_op_impl dn_mha_impl;                                 /* dnnl_mha.c */
extern const sq_op_impl dn_embedding_impl, dn_one_hot_impl, dn_concat_impl, dn_select_impl,
    dn_last_step_impl, dn_mean_pool_impl;                            /* dnnl_misc.c */

/* ------------------------------------------------------------ helpers shared by ops */

/* A weight of layer L, or NULL when absent. */
static inline const sq_weight *dn_weight(const sq_layer *L, int i)
{
    return i < L->nw ? L->w[i] : NULL;
}
/* A rank-3 sequence [T, B, F] / [B, T, F] as the strided logical view
 * [B, T, F] (batch outermost), whichever its layout. */
dnnl_memory_desc_t dn_seq_as_btf(const sq_view *v, bool bf);
/* True when lengths are given and some entry is shorter than T. */
bool dn_lengths_matter(const int32_t *lens, int64_t B, int64_t T);

/* A copy of the sequence `x` ([B, T, F] view via dn_seq_as_btf) in which
 * the padded steps t >= len[b] hold zeros, laid out as dense [B, T, F]:
 * ops that reduce over time never read the caller's padding (which may hold
 * anything, NaN included). */
seqrt_status dn_masked_btf(dn_session *s, dn_cache *c, const sq_view *x, bool bf, const int32_t *lens,
                           dn_buf *out);
/* The sequence x as [B, T, F] for a reduction over time: *md, *data its own
 * view (dn_seq_as_btf) when no entry is padded, else dn_masked_btf's copy
 * in `scratch`. */
seqrt_status dn_seq_btf_valid(dn_session *s, dn_cache *c, const sq_view *x, bool bf, const int32_t *lens,
                              dn_buf *scratch, dnnl_memory_desc_t *md, const float **data);
/* The axis of layer L over a tensor of dims [rank], seen as [outer, n,
 * inner] (sq_axis_split; axis and n may be NULL); an error naming the
 * layer when it is out of range. */
seqrt_status dn_axis_of(const sq_layer *L, int rank, const int64_t *dims, int *axis, int64_t *outer, int64_t *n,
                        int64_t *inner);
/* dnnl_eltwise.c: the oneDNN eltwise algorithm of activation `act`
 * (SQ_ACT_*: relu, tanh, sigmoid, gelu); false for any other value. And
 * the `supports` rule of an op attribute holding one: the reason names
 * `what` and the value. */
bool dn_act_alg(int act, dnnl_alg_kind_t *alg);
bool dn_act_supported(int act, const char *what, char *why, size_t why_size);
/* Masked softmax over the last axis of `scores` ([rows, n] dense), where
 * row r may use its first nvalid(r) entries: the others get weight exactly
 * 0 and a row with no valid entry is all zeros. `valid` gives nvalid per
 * row. The softmax itself is oneDNN's. */
seqrt_status dn_masked_softmax(dn_session *s, dn_cache *c, float *scores, int64_t rows, int64_t n,
                               const int64_t *valid);

/* NaN and Inf. oneDNN's kernels clamp their inputs (exp, max), so a NaN
 * or an Inf does not always come out where the reference (and PyTorch) puts
 * it; these restore the reference's rule after a primitive, at the cost of
 * one scan when every value is finite. */
bool dn_any_nonfinite(const float *x, int64_t n);
/* y[i] = x[i] wherever x[i] is NaN (element-wise ops: NaN in, NaN out). */
void dn_keep_nan(const float *x, float *y, int64_t n);
/* For a softmax over rows of `n` entries (stride `inc` between entries,
 * first entries at row_base(r)): 1 when the row makes the reference's
 * softmax all NaN — a NaN or +Inf among the entries, or all of them -Inf. */
bool dn_softmax_row_nan(const float *row, int64_t n, int64_t inc);

/* Flush denormals (FTZ/DAZ) on every thread oneDNN uses for the duration
 * of a run, restoring each thread's previous mode afterwards. */
void dn_denormals_enter(unsigned *saved, int nsaved);
void dn_denormals_leave(const unsigned *saved, int nsaved);

#endif /* SEQRT_DNNL_COMMON_H */
