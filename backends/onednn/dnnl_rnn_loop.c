/*
 * oneDNN backend: the loop engine of the recurrent layers (see dnnl_rnn.h).
 *
 * For each stacked layer k and direction d, the sequence in chunks of n
 * steps (chunk_steps: n from a memory budget, dnnl_chunk.h, so that the memory a run adds
 * is O(n), not O(T); the state carries from chunk to chunk), per chunk:
 *   1. G = X W_ih^T + b for the chunk's steps at once: one matmul primitive
 *      over n*B rows (created on the first run of that row count; with
 *      SEQRT_ONEDNN_PROJ=runtime, a run-time row count at session creation);
 *      its source is x itself where the chunk's rows are contiguous in it,
 *      else a copy of the chunk's rows (batch-first input; the reverse
 *      direction with lengths);
 *   2. on the small-batch path (when the driver says so: run->small), the
 *      chunk's steps in the small-batch kernel of dnnl_rnn_small.c; else
 *      for each step s: the op's step (its dn_rnn_cell) — the step's
 *      matmuls, such as G[s] += h W_hh^T (matmul primitives, a sum post-op
 *      where the op asks for one, created once per batch size and bound
 *      here to memory objects, dn_bound), then its cell (dnnl_cell.c) —
 *      then the new h is copied to the output sequence (none when the run
 *      asks for h_n / c_n only: y NULL), in either layout.
 * A stacked layer's input is the whole output sequence of the layer below
 * (time-major scratch of T steps): only the last layer is bounded by chunks.
 * W_ih is reordered once, at session creation, into the blocked layout the
 * matmul prefers (or read from the model, SEQRT_ONEDNN_WX=model); W_hh is
 * packed for the small-batch kernel or reordered for the step matmuls,
 * once, when a session first needs it.
 *
 * Variable lengths, exactly as the spec says. All entries step in lockstep;
 * at step s entry b runs iff s < len[b]; an entry that has finished keeps
 * its state (the cell skips its row; its row of the step matmul is computed
 * and ignored — rows of a matmul are independent, so nothing leaks into the
 * others), so after the loop the state is the one after the entry's own
 * last step (the initial state when len[b] = 0): h_n and c_n. Outputs at
 * padded steps are 0. The reverse direction (the second of a bidirectional
 * layer, or the only one of a `direction: "reverse"` layer) must start at
 * each entry's own last step: its chunks read the input reversed per
 * entry (step s of entry b is time len[b]-1-s: walk_time, chunk_src), and
 * its output for step s goes to time len[b]-1-s. Chunks end at the longest
 * length: steps no entry runs are not computed.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnnl_cell.h"
#include "dnnl_chunk.h"
#include "dnnl_pace.h"
#include "dnnl_rnn.h"
#include "dnnl_rnn_small.h"

/* ------------------------------------------------------------ matmuls */

typedef struct mm_key {
    int kind;
    int64_t M, K, N;
    int sum, bias;
    dnnl_memory_desc_t w;
} mm_key;

/* A matmul [M, K] x [K, N] (M may be DNNL_RUNTIME_DIM_VAL; wmd NULL: any). */
static seqrt_status loop_pd(int64_t M, int64_t K, int64_t N, const dnnl_memory_desc_t *wmd, bool sum, bool bias,
                            dnnl_primitive_desc_t *pd)
{
    dnnl_memory_desc_t src = dn_md2(M, K), dst = dn_md2(M, N), b = dn_md2(1, N);
    int64_t dw[2] = {K, N};
    dnnl_memory_desc_t w = wmd ? *wmd : dn_md_tag(2, dw, dnnl_f32, dnnl_format_tag_any);
    if (M == DNNL_RUNTIME_DIM_VAL) {
        int64_t ds[2] = {M, K}, dd[2] = {M, N}, ss[2] = {K, 1}, sd[2] = {N, 1};
        src = dn_md_strided(2, ds, ss, dnnl_f32);
        dst = dn_md_strided(2, dd, sd, dnnl_f32);
    }
    dnnl_matmul_desc_t d;
    DN_TRY(dnnl_matmul_desc_init(&d, &src, &w, bias ? &b : NULL, &dst));
    return dn_pd_create(pd, &d, 0, 0.0f, 0.0f, sum, "matmul descriptor");
}

static seqrt_status loop_prim(dn_rnn *r, int64_t M, int64_t K, int64_t N, const dnnl_memory_desc_t *wmd, bool sum,
                              bool bias, dn_prim **out)
{
    mm_key key;
    memset(&key, 0, sizeof key);
    key.kind = 0x4d4d4c50;
    key.M = M;
    key.K = K;
    key.N = N;
    key.sum = sum;
    key.bias = bias;
    key.w = *wmd;
    if ((*out = dn_cache_find(&r->cache, &key, sizeof key))) return SEQRT_OK;
    dnnl_primitive_desc_t pd;
    SQ_TRY(loop_pd(M, K, N, wmd, sum, bias, &pd));
    return dn_cache_put(&r->cache, &key, sizeof key, pd, out, "matmul");
}

/* ------------------------------------------------------------ chunks */

/* The steps per chunk for batch B of layer r: the rule of dnnl_chunk.h
 * at the chunk's gates (B * G*H floats a step). */
static int64_t chunk_steps(const dn_rnn *r, int64_t B, int64_t T)
{
    return dn_chunk_steps(B * r->G * r->H * (int64_t)sizeof(float), B, T, r->chunk_env);
}

/* ------------------------------------------------------------ preparation */

/* The weights layout of a step matmul [M, K] x [K, N]: what the matmul
 * prefers at the nominal batch, if every batch size accepts it; else plain. */
static seqrt_status step_wmd(int64_t M, int64_t K, int64_t N, bool sum, bool bias, dnnl_memory_desc_t *out)
{
    dnnl_primitive_desc_t pd;
    SQ_TRY(loop_pd(M, K, N, NULL, sum, bias, &pd));
    *out = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_desc_destroy(pd);
    static const int64_t probe[] = {1, 7, 64, 1024};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        if (loop_pd(probe[i], K, N, out, sum, bias, &pd) != SEQRT_OK) {
            int64_t d[2] = {K, N};
            *out = dn_md_tag(2, d, dnnl_f32, dnnl_ab);
            sq_clear_error();
            return SEQRT_OK;
        }
        dnnl_primitive_desc_destroy(pd);
    }
    return SEQRT_OK;
}

/* Reorders a [K, N] matrix stored as its transpose (N rows of K, the
 * PyTorch layout, at `src`) into a new memory object laid out as `md`. */
static seqrt_status load_t(dn_session *s, const dnnl_memory_desc_t *md, const float *src, int64_t K, int64_t N,
                           dnnl_memory_t *out)
{
    dnnl_memory_desc_t from = dn_md2s(K, N, 1, K);
    dnnl_memory_t m = NULL;
    SQ_TRY(dn_mem_alloc(&m, md));
    seqrt_status st = dn_reorder_once(s, &from, src, md, dn_mem_ptr(m), 1.0f);
    if (st) dnnl_memory_destroy(m); /* nothing half-made is kept */
    else *out = m;
    return st;
}

/* The loop engine's biases of layer k, direction d (PyTorch's gate order):
 * bx = b_ih + b_hh, except the linear-before-reset GRU's n block (b_in),
 * whose b_hn goes to the step matmul's bias bh = {0, 0, b_hn}. */
static seqrt_status load_bias(const dn_rnn *r, int k, int d, dn_loop_dir *w)
{
    const sq_layer *L = r->L;
    const int64_t H = r->H, GH = r->G * H;
    float *bx = sq_calloc((size_t)GH, sizeof(float)), *bhn = r->lbr ? sq_calloc((size_t)GH, sizeof(float)) : NULL;
    if (!bx || (r->lbr && !bhn)) {
        sq_free(bx);
        sq_free(bhn);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    w->bx = bx;
    w->bh = bhn;
    if (!L->a.bias) return SEQRT_OK;
    const sq_weight *bi = sq_rnn_weight(L, k, d, SQ_RB_IH), *bh = sq_rnn_weight(L, k, d, SQ_RB_HH);
    for (int64_t j = 0; j < GH; j++) {
        const bool apart = r->lbr && j >= 2 * H;
        w->bx[j] = (bi ? bi->data[j] : 0.0f) + (bh && !apart ? bh->data[j] : 0.0f);
        if (apart && bh) w->bh[j] = bh->data[j];
    }
    return SEQRT_OK;
}

/* The step matmuls' weights (W_hh; plain GRU W_hn apart; LSTM W_hr), in
 * the layouts of the step matmuls at the nominal batch. */
static seqrt_status prepare_wh(dn_session *s, dn_rnn *r)
{
    if (r->wh_ready) return SEQRT_OK;
    const int64_t H = r->H, Ho = r->Ho, GH = r->G * H;
    const bool plain_gru = r->op == SQ_OP_GRU && !r->lbr;
    const bool lstm_like = r->op != SQ_OP_GRU; /* gates summed into G in place */
    /* nominal batch: the model's own when fixed */
    const sq_value *xv = &s->m->values[r->L->in[SQ_SLOT_X]];
    int64_t Bn = xv->dims[s->m->batch_first ? 0 : 1];
    if (Bn <= 0) Bn = 16;
    SQ_TRY(step_wmd(Bn, Ho, plain_gru ? 2 * H : GH, lstm_like, r->lbr, &r->wh_md));
    if (plain_gru) SQ_TRY(step_wmd(Bn, H, H, false, false, &r->who_md));
    if (r->P) SQ_TRY(step_wmd(Bn, H, r->P, false, false, &r->wr_md));
    for (int k = 0; k < r->nl; k++)
        for (int d = 0; d < r->D; d++) {
            dn_loop_dir *w = &r->dir[k * r->D + d];
            const sq_layer *L = r->L;
            const float *wi = sq_rnn_weight(L, k, d, SQ_RW_HH)->data;
            /* (what an earlier, failed attempt made is kept) */
            seqrt_status st = w->wh ? SEQRT_OK : load_t(s, &r->wh_md, wi, Ho, plain_gru ? 2 * H : GH, &w->wh);
            if (!st && plain_gru && !w->who) st = load_t(s, &r->who_md, wi + 2 * H * H, H, H, &w->who);
            if (!st && r->P && !w->wr)
                st = load_t(s, &r->wr_md, sq_rnn_weight(L, k, d, SQ_RW_HR)->data, H, r->P, &w->wr);
            if (st) return sq_error_prefix(st, "layer '%s'", r->L->name);
        }
    if (dnnl_stream_wait(s->stream) != dnnl_success) return sq_error(SEQRT_ERR_DEVICE, "stream wait failed");
    r->wh_ready = true;
    return SEQRT_OK;
}

/* W_hh of every direction packed for the small-batch path. */
static seqrt_status prepare_small(dn_rnn *r)
{
    for (int k = 0; k < r->nl; k++)
        for (int d = 0; d < r->D; d++) {
            dn_loop_dir *w = &r->dir[k * r->D + d];
            if (w->whp) continue;
            const sq_weight *b16 = r->Lb16 ? sq_rnn_weight(r->Lb16, k, d, SQ_RW_HH) : NULL;
            if (b16 && b16->form == SQ_WF_BF16 && b16->half) { /* half the bytes per step */
                SQ_TRY(dn_small_pack16(b16->half, r->H, r->G, &w->whp));
                r->whp_b16 = true;
            } else {
                SQ_TRY(dn_small_pack(sq_rnn_weight(r->L, k, d, SQ_RW_HH)->data, r->H, r->G, &w->whp));
            }
        }
    return SEQRT_OK;
}

seqrt_status dn_rnn_loop_prepare(dn_session *s, dn_rnn *r, bool small)
{
    if (!r->loop_ready) {
        const int64_t GH = r->G * r->H;
        SQ_TRY(dn_chunk_env(&r->chunk_env));
        r->proj_rt = s->proj_rt;
        /* SEQRT_ONEDNN_WX=model: the projection reads W_ih where the model
         * holds it, transposed, with no prepared copy — about half the
         * session's memory, 10 to 20 % slower at small batch (measured:
         * docs/onednn.md); default: reordered once into the blocked layout
         * the matmul prefers */
        r->wx_model = s->wx_model;
        for (int k = 0; k < (r->nl > 1 ? 2 : 1); k++) {
            if (r->wx_model) { /* W_ih as the model holds it: [4H, in] is the [in, 4H] matrix transposed */
                r->wx_md[k] = dn_md2s(dn_rnn_in(r, k), GH, 1, dn_rnn_in(r, k));
                if (r->proj_rt) {
                    dn_prim *p;
                    SQ_TRY(loop_prim(r, DNNL_RUNTIME_DIM_VAL, dn_rnn_in(r, k), GH, &r->wx_md[k], false, true, &p));
                }
                continue;
            }
            if (!r->proj_rt) {
                SQ_TRY(step_wmd(256, dn_rnn_in(r, k), GH, false, true, &r->wx_md[k]));
                continue;
            }
            dnnl_primitive_desc_t pd;
            dn_prim *p;
            SQ_TRY(loop_pd(DNNL_RUNTIME_DIM_VAL, dn_rnn_in(r, k), GH, NULL, false, true, &pd));
            r->wx_md[k] = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
            dnnl_primitive_desc_destroy(pd);
            /* the projection primitive itself is made now: the first run pays nothing for it */
            SQ_TRY(loop_prim(r, DNNL_RUNTIME_DIM_VAL, dn_rnn_in(r, k), GH, &r->wx_md[k], false, true, &p));
        }
        for (int k = 0; k < r->nl; k++)
            for (int d = 0; d < r->D; d++) {
                dn_loop_dir *w = &r->dir[k * r->D + d];
                seqrt_status st = w->wx || r->wx_model ? SEQRT_OK
                                        : load_t(s, &r->wx_md[k ? 1 : 0], sq_rnn_weight(r->L, k, d, SQ_RW_IH)->data,
                                                 dn_rnn_in(r, k), GH, &w->wx);
                if (!st && !w->bx) st = load_bias(r, k, d, w);
                if (st) return sq_error_prefix(st, "layer '%s'", r->L->name);
            }
        if (dnnl_stream_wait(s->stream) != dnnl_success) return sq_error(SEQRT_ERR_DEVICE, "stream wait failed");
        r->loop_ready = true;
    }
    return small ? prepare_small(r) : prepare_wh(s, r);
}

/* One direction's walk over its chunks: the sequence it reads and writes,
 * and the time of the chunk row i of the chunk starting at step s0 for
 * entry b (-1: the entry has no such step). Rows are in time order for the
 * reverse direction without lengths (row i of the chunk of steps s0 ..
 * s0+n-1 is time T-s0-n+i, walked from row n-1 down), else in step order
 * (with lengths the reverse direction's step s of entry b is time
 * len[b]-1-s). */
typedef struct dir_walk {
    int64_t T, B;
    const int32_t *lens;
    bool rev;
    const float *x;             /* the input [T, B, in] (xbf: [B, T, in]) */
    bool xbf;
    int64_t in;
    float *y;                   /* the output [T, B, F] (ybf: [B, T, F]) at this direction's
                                   features, or NULL */
    bool ybf;
    int64_t F;
} dir_walk;

/* The time of the chunk's row 0 where rows are times (no lengths, or the
 * forward direction): T-s0-n for the reverse direction, else s0. */
static int64_t chunk_t0(const dir_walk *w, int64_t s0, int64_t n) { return w->rev ? w->T - s0 - n : s0; }

static int64_t walk_time(const dir_walk *w, int64_t s0, int64_t n, int64_t i, int64_t b)
{
    if (w->rev && !w->lens) return w->T - s0 - n + i;
    const int64_t s = s0 + i, len = sq_valid_len(w->lens, b, w->T);
    if (s >= len) return -1;
    return w->rev ? len - 1 - s : s;
}

/* The projection's source for the chunk: x itself where its rows are the
 * chunk's, contiguous; else a copy in `buf` (zeros where an entry has no
 * step). */
static const float *chunk_src(const dir_walk *w, int64_t s0, int64_t n, float *buf)
{
    if (!w->xbf && (!w->rev || !w->lens)) return w->x + chunk_t0(w, s0, n) * w->B * w->in;
    const size_t row = sizeof(float) * (size_t)w->in;
    for (int64_t i = 0; i < n; i++)
        for (int64_t b = 0; b < w->B; b++) {
            const int64_t t = walk_time(w, s0, n, i, b);
            float *dst = buf + (i * w->B + b) * w->in;
            if (t < 0) memset(dst, 0, row);
            else memcpy(dst, w->x + sq_seq_off(w->xbf, w->T, w->B, t, b, w->in), row);
        }
    return buf;
}

/* ------------------------------------------------------------ run */

/* Binds matmul i of the op's step (`m`) for the step's c->B rows:
 * dst [B, N] = src [B, K] · W (+ bias) (+ dst), W the direction's prepared
 * matrix; only the data pointers change from step to step. */
static seqrt_status bind_mm(dn_rnn *r, dn_loop_step *c, int i, const dn_loop_mm *m)
{
    const dnnl_memory_desc_t *wmd = m->w == DN_LOOP_W_HH ? &r->wh_md : m->w == DN_LOOP_W_HO ? &r->who_md : &r->wr_md;
    const dnnl_memory_t w = m->w == DN_LOOP_W_HH ? c->w->wh : m->w == DN_LOOP_W_HO ? c->w->who : c->w->wr;
    dn_prim *p;
    SQ_TRY(loop_prim(r, c->B, m->K, m->N, wmd, m->sum, m->bias, &p));
    const dnnl_memory_desc_t src = dn_md2(c->B, m->K), dst = dn_md2(c->B, m->N), b = dn_md2(1, m->N);
    c->mmw[i] = dn_mem_ptr(w);
    const dn_arg a[4] = {{DNNL_ARG_SRC, &src, NULL}, {DNNL_ARG_WEIGHTS, wmd, c->mmw[i]}, {DNNL_ARG_DST, &dst, NULL},
                         {DNNL_ARG_BIAS, &b, NULL}};
    return dn_bound_init(&c->mm[i], p, m->bias ? 4 : 3, a);
}

/* The input projection of one chunk (n steps from s0) of direction d of
 * layer k into `gates` [n, B, G*H]. */
static seqrt_status project(dn_session *s, dn_rnn *r, const dir_walk *w, int k, int d, int64_t s0, int64_t n,
                            float *gates)
{
    const int64_t GH = r->G * r->H, rows = n * w->B;
    const dn_loop_dir *dir = &r->dir[k * r->D + d];
    dn_prim *pj;
    SQ_TRY(loop_prim(r, r->proj_rt ? DNNL_RUNTIME_DIM_VAL : rows, w->in, GH, &r->wx_md[k ? 1 : 0], false, true, &pj));
    dnnl_memory_desc_t msrc = dn_md2(rows, w->in), mdst = dn_md2(rows, GH), mb = dn_md2(1, GH);
    const float *src = chunk_src(w, s0, n, dn_buf_f(&r->tmp));
    dn_arg pa[4] = {{DNNL_ARG_SRC, &msrc, (void *)src},
                    {DNNL_ARG_WEIGHTS, NULL,
                     r->wx_model ? (void *)sq_rnn_weight(r->L, k, d, SQ_RW_IH)->data : dn_mem_ptr(dir->wx)},
                    {DNNL_ARG_BIAS, &mb, dir->bx},
                    {DNNL_ARG_DST, &mdst, gates}};
    return dn_exec(s, pj, 4, pa);
}

/* The steps of direction d of layer k on the small-batch path, chunk by
 * chunk (h ping-pongs by the global step across chunks). */
static seqrt_status run_small(dn_session *s, dn_rnn *r, const dn_rnn_run *run, const dir_walk *w, int k, int d,
                              int64_t steps, int64_t n)
{
    const int64_t B = w->B, H = r->H, rows = (int64_t)(k * r->D + d) * B;
    const bool lstm = r->op == SQ_OP_LSTM;
    SQ_TRY(dn_buf_reserve(&r->state, sizeof(float) * (size_t)((lstm ? 3 : 2) * B * H)));
    const dn_loop_dir *dir = &r->dir[k * r->D + d];
    dn_small a = {.op = r->op, .G = r->G, .B = B, .H = H, .whp = dir->whp, .wb16 = r->whp_b16, .gates = dn_buf_f(&r->gates),
                  .reverse = w->rev, .lens = w->lens, .h = dn_buf_f(&r->state),
                  .ldt = w->ybf ? w->F : B * w->F, .ldy = w->ybf ? w->T * w->F : w->F};
    if (lstm) {
        a.peep = r->peep ? r->peep[k] + (int64_t)d * 3 * H : NULL;
        a.coupled = r->L->a.coupled;
        a.c = a.h + 2 * B * H;
    }
    if (r->op == SQ_OP_GRU) a.bhn = dir->bh + 2 * H;
    a.relu = r->op == SQ_OP_RNN && r->L->a.nonlinearity == SQ_ACT_RELU;
    a.tile = s->small_tile;
    if (run->h0) memcpy(a.h, run->h0 + rows * H, sizeof(float) * (size_t)(B * H));
    else memset(a.h, 0, sizeof(float) * (size_t)(B * H));
    if (lstm && run->c0) memcpy(a.c, run->c0 + rows * H, sizeof(float) * (size_t)(B * H));
    else if (lstm) memset(a.c, 0, sizeof(float) * (size_t)(B * H));
    int64_t done = 0;
    for (int64_t s0 = 0; s0 < steps; s0 += n) {
        const int64_t nc = steps - s0 < n ? steps - s0 : n;
        SQ_TRY(project(s, r, w, k, d, s0, nc, dn_buf_f(&r->gates)));
        a.s0 = s0;
        a.T = nc;
        /* without lengths the output rows are the chunk's: y from its first time */
        a.y = w->y && !w->lens ? w->y + chunk_t0(w, s0, nc) * a.ldt : w->y;
        done = s0 + dn_small_run(&a);
    }
    memcpy(run->hn + rows * H, a.h + (done % 2) * B * H, sizeof(float) * (size_t)(B * H));
    if (lstm) memcpy(run->cn + rows * H, a.c, sizeof(float) * (size_t)(B * H));
    return SEQRT_OK;
}

/* The steps of one chunk on the step matmuls: row i of the gates for
 * step s0+i (walked backwards for the reverse direction without lengths). */
static seqrt_status step_chunk(dn_rnn *r, dn_loop_step *c, uint8_t *active, const dir_walk *w, int64_t s0, int64_t n,
                               float *gates)
{
    const int64_t B = w->B, Ho = r->Ho, GH = r->G * r->H, F = w->F;
    for (int64_t i = 0; i < n; i++) {
        const int64_t row = w->rev && !w->lens ? n - 1 - i : i, step = s0 + i;
        c->g = gates + row * B * GH;
        if (w->lens) {
            bool any = false;
            for (int64_t b = 0; b < B; b++) any |= (active[b] = step < w->lens[b]) != 0;
            if (!any) break; /* every entry has finished */
        }
        SQ_TRY(r->cell->loop_step(c));
        if (!w->y) continue; /* h_n / c_n only */
        /* the output: y[t, b, d*Ho ...] = h[b] */
        if (!w->lens && !w->ybf) {
            dn_copy_rows(B, Ho, NULL, c->h, Ho, w->y + (chunk_t0(w, s0, n) + row) * B * F, F);
            continue;
        }
        for (int64_t b = 0; b < B; b++) {
            const int64_t t = walk_time(w, s0, n, row, b);
            if (t >= 0 && (!active || active[b]))
                memcpy(w->y + sq_seq_off(w->ybf, w->T, B, t, b, F), c->h + b * Ho, sizeof(float) * (size_t)Ho);
        }
    }
    return SEQRT_OK;
}

/* One direction of stacked layer k, chunk by chunk: `w` says what it reads
 * and writes. */
static seqrt_status run_dir(dn_session *s, dn_rnn *r, const dn_rnn_run *run, const dir_walk *w, int k, int d)
{
    const int64_t T = w->T, B = w->B, H = r->H, Ho = r->Ho, GH = r->G * H;
    const int64_t rows = (int64_t)(k * r->D + d) * B;
    /* steps some entry runs: the longest length, or T */
    int64_t steps = w->lens ? 0 : T;
    for (int64_t b = 0; w->lens && b < B; b++)
        if (sq_valid_len(w->lens, b, T) > steps) steps = sq_valid_len(w->lens, b, T);
    const int64_t n = chunk_steps(r, B, T);
    SQ_TRY(dn_buf_reserve(&r->gates, sizeof(float) * (size_t)(n * B * GH)));
    SQ_TRY(dn_buf_reserve(&r->tmp, sizeof(float) * (size_t)(n * B * w->in)));
    if (run->small) return run_small(s, r, run, w, k, d, steps, n);

    dn_loop_step c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.r = r;
    c.w = &r->dir[k * r->D + d];
    c.B = B;
    const size_t nstate = (size_t)(B * Ho + B * H + B * GH + B * H) + (size_t)B;
    SQ_TRY(dn_buf_reserve(&r->state, sizeof(float) * nstate));
    c.h = dn_buf_f(&r->state);
    c.c = c.h + B * Ho;
    c.aux = c.c + B * H;
    c.aux2 = c.aux + B * GH;
    uint8_t *active = w->lens ? (uint8_t *)(c.aux2 + B * H) : NULL;
    c.active = active;
    c.peep = r->peep ? r->peep[k] + (int64_t)d * 3 * H : NULL;
    c.coupled = r->op == SQ_OP_LSTM && r->L->a.coupled;
    c.gen = r->gen ? &r->gen_of[d] : NULL;
    if (run->h0) memcpy(c.h, run->h0 + rows * Ho, sizeof(float) * (size_t)(B * Ho));
    else memset(c.h, 0, sizeof(float) * (size_t)(B * Ho));
    if (run->c0) memcpy(c.c, run->c0 + rows * H, sizeof(float) * (size_t)(B * H));
    else memset(c.c, 0, sizeof(float) * (size_t)(B * H));

    /* rows a cell skips are read by the next matmul: zeros, not stale data */
    memset(c.aux2, 0, sizeof(float) * (size_t)(B * H));
    dn_loop_mm mm[DN_LOOP_MAX_MM];
    const int nmm = r->cell->loop_mms(r, mm);
    seqrt_status st = SEQRT_OK;
    for (int i = 0; i < nmm && !st; i++) st = bind_mm(r, &c, i, &mm[i]);
    /* each chunk's steps meet at OpenMP barriers (a matmul a step): its
     * thread count measured as the primitive's is (dnnl_pace.h) */
    const double chunk_flops = 2.0 * (double)B * (double)GH * (double)(w->in + Ho);
    for (int64_t s0 = 0; s0 < steps && !st; s0 += n) {
        const int64_t nc = steps - s0 < n ? steps - s0 : n;
        dn_pace_unit u;
        dn_pace_begin(&u, DN_PACE_LOOP, s->nthreads, chunk_flops * (double)nc);
        st = project(s, r, w, k, d, s0, nc, dn_buf_f(&r->gates));
        if (!st) st = step_chunk(r, &c, active, w, s0, nc, dn_buf_f(&r->gates));
        if (!st && dnnl_stream_wait(s->stream) != dnnl_success)
            st = sq_error(SEQRT_ERR_DEVICE, "oneDNN stream wait failed");
        dn_pace_end(&u);
    }
    for (int i = 0; i < DN_LOOP_MAX_MM; i++) dn_bound_free(&c.mm[i]);
    if (st) return st;
    memcpy(run->hn + rows * Ho, c.h, sizeof(float) * (size_t)(B * Ho));
    if (run->cn) memcpy(run->cn + rows * H, c.c, sizeof(float) * (size_t)(B * H));
    return SEQRT_OK;
}

seqrt_status dn_rnn_loop_run(dn_session *s, dn_rnn *r, const dn_rnn_run *run)
{
    const int64_t T = run->T, B = run->B, F = r->D * r->Ho;
    const size_t seq = (size_t)(T * B * F);
    /* inter-layer sequences (time-major): layer k < nl-1 writes seq[k % 2];
     * the last layer writes the output itself (or nothing: y NULL) */
    if (r->nl > 1) SQ_TRY(dn_buf_reserve(&r->seq[0], sizeof(float) * seq));
    if (r->nl > 2) SQ_TRY(dn_buf_reserve(&r->seq[1], sizeof(float) * seq));
    for (int k = 0; k < r->nl; k++) {
        const bool last = k == r->nl - 1;
        dir_walk w = {.T = T, .B = B, .lens = run->lens, .in = dn_rnn_in(r, k), .F = F};
        w.x = k == 0 ? run->x : dn_buf_f(&r->seq[(k - 1) % 2]);
        w.xbf = k == 0 && run->bf;
        float *y = last ? run->y : dn_buf_f(&r->seq[k % 2]);
        w.ybf = last && run->bf;
        if (y && run->lens) memset(y, 0, sizeof(float) * seq); /* padded steps stay 0 */
        for (int d = 0; d < r->D; d++) {
            w.rev = sq_dir_reversed(r->L, d);
            w.y = y ? y + d * r->Ho : NULL;
            SQ_TRY(run_dir(s, r, run, &w, k, d));
        }
    }
    return SEQRT_OK;
}
