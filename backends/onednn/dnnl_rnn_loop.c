/*
 * oneDNN backend: the loop engine of the recurrent layers (see dnnl_rnn.h).
 *
 * For each stacked layer k and direction d:
 *   1. G = X W_ih^T + b for every step at once: one matmul primitive over
 *      T*B rows (created on the first run of that row count; with
 *      SEQRT_ONEDNN_PROJ=runtime, a run-time row count at session creation);
 *   2. on the small-batch path (when the driver says so: run->small), the
 *      whole sequence in the small-batch kernel of dnnl_rnn_small.c; else
 *      for each step s: the op's step (its dn_rnn_cell) — the step's
 *      matmuls, such as G[s] += h W_hh^T (matmul primitives, a sum post-op
 *      where the op asks for one, created once per batch size and bound
 *      here to memory objects, dn_bound), then its cell (dnnl_cell.c) —
 *      then the new h is copied to the output sequence.
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
 * each entry's own last step: it runs over a copy of the input whose valid prefix is
 * reversed per entry (x'[s, b] = x[len[b]-1-s, b], reverse_prefixes), and its
 * output for step s goes to time len[b]-1-s.
 */
#include <stdlib.h>
#include <string.h>

#include "dnnl_cell.h"
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
            if (!w->whp) SQ_TRY(dn_small_pack(sq_rnn_weight(r->L, k, d, SQ_RW_HH)->data, r->H, r->G, &w->whp));
        }
    return SEQRT_OK;
}

seqrt_status dn_rnn_loop_prepare(dn_session *s, dn_rnn *r, bool small)
{
    if (!r->loop_ready) {
        const int64_t GH = r->G * r->H;
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

/* ------------------------------------------------------------ run */

/* The reversed valid prefix of every entry of a time-major sequence:
 * out[t, b] = x[len[b]-1-t, b] for t < len[b]. */
static void reverse_prefixes(float *out, const float *x, int64_t T, int64_t B, int64_t F, const int32_t *lens)
{
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = sq_valid_len(lens, b, T);
        for (int64_t t = 0; t < len; t++)
            memcpy(out + (t * B + b) * F, x + ((len - 1 - t) * B + b) * F, sizeof(float) * (size_t)F);
        /* rows past the prefix are never read by a running entry */
        for (int64_t t = len; t < T; t++) memset(out + (t * B + b) * F, 0, sizeof(float) * (size_t)F);
    }
}

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

/* One direction of stacked layer k. `src` is the time-major input
 * [T, B, in] as this direction reads it (reverse with lengths: the
 * reversed prefixes); `y` the time-major output [T, B, D*Ho]. */
static seqrt_status run_dir(dn_session *s, dn_rnn *r, const dn_rnn_run *run, int k, int d, const float *src,
                            float *y, float *gates)
{
    const int64_t T = run->T, B = run->B, H = r->H, Ho = r->Ho, GH = r->G * H, F = r->D * Ho;
    const int64_t in = dn_rnn_in(r, k), rows = (int64_t)(k * r->D + d) * B;
    const dn_loop_dir *w = &r->dir[k * r->D + d];
    const int32_t *lens = run->lens;
    const bool rev = sq_dir_reversed(r->L, d); /* runs from the last step to the first */

    /* 1. every step's input projection at once */
    dn_prim *pj;
    SQ_TRY(loop_prim(r, r->proj_rt ? DNNL_RUNTIME_DIM_VAL : T * B, in, GH, &r->wx_md[k ? 1 : 0], false, true, &pj));
    dnnl_memory_desc_t msrc = dn_md2(T * B, in), mdst = dn_md2(T * B, GH), mb = dn_md2(1, GH);
    dn_arg pa[4] = {{DNNL_ARG_SRC, &msrc, (void *)src},
                    {DNNL_ARG_WEIGHTS, NULL,
                     r->wx_model ? (void *)sq_rnn_weight(r->L, k, d, SQ_RW_IH)->data : dn_mem_ptr(w->wx)},
                    {DNNL_ARG_BIAS, &mb, w->bx},
                    {DNNL_ARG_DST, &mdst, gates}};
    SQ_TRY(dn_exec(s, pj, 4, pa));

    /* 2. the steps */
    if (run->small) {
        const bool lstm = r->op == SQ_OP_LSTM;
        const size_t n = (size_t)((lstm ? 3 : 2) * B * H);
        SQ_TRY(dn_buf_reserve(&r->state, sizeof(float) * n));
        dn_small a = {.op = r->op, .G = r->G, .T = T, .B = B, .H = H, .whp = w->whp, .gates = gates,
                      .reverse = rev, .lens = lens, .h = dn_buf_f(&r->state), .y = y + d * Ho, .ldy = F};
        if (lstm) {
            a.peep = r->peep ? r->peep[k] + (int64_t)d * 3 * H : NULL;
            a.coupled = r->L->a.coupled;
            a.c = a.h + 2 * B * H;
        }
        if (r->op == SQ_OP_GRU) a.bhn = w->bh + 2 * H;
        a.relu = r->op == SQ_OP_RNN && r->L->a.nonlinearity == SQ_ACT_RELU;
        a.tile = s->small_tile;
        if (run->h0) memcpy(a.h, run->h0 + rows * H, sizeof(float) * (size_t)(B * H));
        else memset(a.h, 0, sizeof(float) * (size_t)(B * H));
        if (lstm && run->c0) memcpy(a.c, run->c0 + rows * H, sizeof(float) * (size_t)(B * H));
        else if (lstm) memset(a.c, 0, sizeof(float) * (size_t)(B * H));
        const int64_t steps = dn_small_run(&a);
        memcpy(run->hn + rows * H, a.h + (steps % 2) * B * H, sizeof(float) * (size_t)(B * H));
        if (lstm) memcpy(run->cn + rows * H, a.c, sizeof(float) * (size_t)(B * H));
        return SEQRT_OK;
    }
    dn_loop_step c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.r = r;
    c.w = w;
    c.B = B;
    const size_t nstate = (size_t)(B * Ho + B * H + B * GH + B * H) + (size_t)B;
    SQ_TRY(dn_buf_reserve(&r->state, sizeof(float) * nstate));
    c.h = dn_buf_f(&r->state);
    c.c = c.h + B * Ho;
    c.aux = c.c + B * H;
    c.aux2 = c.aux + B * GH;
    uint8_t *active = lens ? (uint8_t *)(c.aux2 + B * H) : NULL;
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
    for (int64_t step = 0; step < T && !st; step++) {
        /* the gates' row: reverse without lengths walks G backwards */
        const int64_t tg = rev && !lens ? T - 1 - step : step;
        c.g = gates + tg * B * GH;
        if (lens) {
            bool any = false;
            for (int64_t b = 0; b < B; b++) any |= (active[b] = step < lens[b]) != 0;
            if (!any) break; /* every entry has finished */
        }
        st = r->cell->loop_step(&c);
        if (st) break;
        /* the output: y[t, b, d*Ho ...] = h[b] */
        if (!lens) {
            dn_copy_rows(B, Ho, NULL, c.h, Ho, y + tg * B * F + d * Ho, F);
        } else {
            for (int64_t b = 0; b < B; b++) {
                if (!active[b]) continue;
                const int64_t t = rev ? lens[b] - 1 - step : step;
                memcpy(y + (t * B + b) * F + d * Ho, c.h + b * Ho, sizeof(float) * (size_t)Ho);
            }
        }
    }
    for (int i = 0; i < DN_LOOP_MAX_MM; i++) dn_bound_free(&c.mm[i]);
    if (st) return st;
    memcpy(run->hn + rows * Ho, c.h, sizeof(float) * (size_t)(B * Ho));
    if (run->cn) memcpy(run->cn + rows * H, c.c, sizeof(float) * (size_t)(B * H));
    return SEQRT_OK;
}

seqrt_status dn_rnn_loop_run(dn_session *s, dn_rnn *r, const dn_rnn_run *run)
{
    const int64_t T = run->T, B = run->B, F = r->D * r->Ho, GH = r->G * r->H;
    const size_t seq = (size_t)(T * B * F);
    /* inter-layer sequences: layer k writes seq[k % 2]; the last layer
     * writes the output itself unless it is batch-first */
    if (r->nl > 1 || run->bf) SQ_TRY(dn_buf_reserve(&r->seq[0], sizeof(float) * seq));
    if (r->nl > 1) SQ_TRY(dn_buf_reserve(&r->seq[1], sizeof(float) * seq));
    SQ_TRY(dn_buf_reserve(&r->gates, sizeof(float) * (size_t)(T * B * GH)));
    const float *x = run->x;
    if (run->bf) { /* time-major copy of the input */
        SQ_TRY(dn_buf_reserve(&r->gath, sizeof(float) * (size_t)(T * B * r->I)));
        dnnl_memory_desc_t from = dn_md3s(T, B, r->I, r->I, T * r->I, 1), to = dn_md3(T, B, r->I);
        SQ_TRY(dn_reorder(s, &r->cache, &from, run->x, &to, r->gath.p));
        x = dn_buf_f(&r->gath);
    }
    for (int k = 0; k < r->nl; k++) {
        const bool last = k == r->nl - 1;
        const float *src = k == 0 ? x : dn_buf_f(&r->seq[(k - 1) % 2]);
        float *y = last && !run->bf ? run->y : dn_buf_f(&r->seq[k % 2]);
        if (run->lens) memset(y, 0, sizeof(float) * seq); /* padded steps stay 0 */
        for (int d = 0; d < r->D; d++) {
            const float *dsrc = src;
            if (sq_dir_reversed(r->L, d) && run->lens) {
                const int64_t in = dn_rnn_in(r, k);
                SQ_TRY(dn_buf_reserve(&r->tmp, sizeof(float) * (size_t)(T * B * in)));
                reverse_prefixes(dn_buf_f(&r->tmp), src, T, B, in, run->lens);
                dsrc = dn_buf_f(&r->tmp);
            }
            SQ_TRY(run_dir(s, r, run, k, d, dsrc, y, dn_buf_f(&r->gates)));
        }
    }
    if (run->bf) { /* back to batch-first */
        dnnl_memory_desc_t from = dn_md3(T, B, F), to = dn_md3s(T, B, F, F, T * F, 1);
        SQ_TRY(dn_reorder(s, &r->cache, &from, dn_buf_f(&r->seq[(r->nl - 1) % 2]), &to, run->y));
    }
    return SEQRT_OK;
}
