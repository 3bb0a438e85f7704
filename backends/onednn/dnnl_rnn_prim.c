/*
 * oneDNN backend: the primitive engine of the recurrent layers (see
 * dnnl_rnn.h) — the weights in oneDNN's conventions, one RNN primitive per
 * stacked layer (the op's descriptor from its dn_rnn_cell), and variable
 * lengths.
 *
 * oneDNN's RNN primitives have no sequence lengths; the spec's semantics
 * (entry b runs steps 0 … len[b]-1, the reverse direction len[b]-1 … 0;
 * outputs at padded steps are 0; h_n / c_n hold the state after the entry's
 * last step, the initial state when len[b] = 0) are obtained exactly: the
 * entries are grouped by length; each group is gathered into a dense batch
 * of its own T = len, the whole stack of layers runs on it as an ordinary
 * sequence (so the reverse direction — of a bidirectional layer, or a
 * `direction: "reverse"` layer's, oneDNN's right_to_left — starts at the
 * entry's own last step),
 * and its outputs and final states are scattered back. Entries of length 0
 * take their initial state as final state and only zeros as output. Every
 * group is a dense run: nothing is masked or approximated. (The loop engine
 * handles lengths in place: dnnl_rnn_loop.c.)
 */
#include <stdlib.h>
#include <string.h>

#include "dnnl_chunk.h"
#include "dnnl_pace.h"
#include "dnnl_rnn.h"

/* ------------------------------------------------------------ weights */

/* oneDNN gate g of this op reads PyTorch gate block dn_gate_src(op, g). */
static int dn_gate_src(sq_op op, int g)
{
    static const int gru[3] = {1, 0, 2}; /* u <- z, r <- r, o <- n */
    return op == SQ_OP_GRU ? gru[g] : g;
}

/* The LSTM gate whose rows are the negated rows of the other of i and f
 * (see dnnl_rnn.h), so that it computes 1 - that one: coupled, i (0) <- -f;
 * input_forget, f (1) <- -i; else -1. */
static int negated_gate(const dn_rnn *r)
{
    if (r->op != SQ_OP_LSTM) return -1;
    return r->L->a.coupled ? 0 : r->L->a.input_forget ? 1 : -1;
}

/* The model block oneDNN gate g reads, and its sign. */
static int gate_block(const dn_rnn *r, int g, float *sign)
{
    const int neg = negated_gate(r);
    *sign = g == neg ? -1.0f : 1.0f;
    return g == neg ? 1 - neg : dn_gate_src(r->op, g);
}

/* The block of oneDNN gate g (direction d) of matrix `which` as it lies in
 * the model: its tensor, the sign, and a descriptor of the block in
 * oneDNN's logical dims ([1, 1, in, 1, H] / [1, 1, H, P]). */
static const float *model_block(const dn_rnn *r, int k, int which, int d, int g, float *sign, dnnl_memory_desc_t *md)
{
    const sq_layer *L = r->L;
    const int64_t H = r->H, in = which == 0 ? dn_rnn_in(r, k) : r->Ho;
    if (which == 2) { /* weight_hr [P, H] */
        *sign = 1.0f;
        int64_t dims[4] = {1, 1, H, r->P}, str[4] = {H * r->P, H * r->P, 1, H};
        *md = dn_md_strided(4, dims, str, dnnl_f32);
        return sq_rnn_weight(L, k, d, SQ_RW_HR)->data;
    }
    const int src = gate_block(r, g, sign);
    int64_t dims[5] = {1, 1, in, 1, H}, str[5] = {r->G * H * in, r->G * H * in, 1, H * in, in};
    *md = dn_md_strided(5, dims, str, dnnl_f32);
    const sq_weight *w = sq_rnn_weight(L, k, d, which == 0 ? SQ_RW_IH : SQ_RW_HH);
    return w->data + (int64_t)src * H * in;
}

/* Matrix `which` (0: weights_layer, 1: weights_iter, 2: weights_projection)
 * of layer k in oneDNN's gate order, in a new memory object laid out as
 * `want`, reordered straight from the model's tensors. */
static seqrt_status load_prim(dn_session *s, const dn_rnn *r, int k, int which, const dnnl_memory_desc_t *want,
                              dnnl_memory_t *out)
{
    SQ_TRY(dn_mem_alloc(out, want));
    const int ng = which == 2 ? 1 : r->G;
    const int64_t H = r->H, in = which == 0 ? dn_rnn_in(r, k) : which == 1 ? r->Ho : H;
    const int64_t cols = which == 2 ? r->P : H; /* per block */
    const bool plain = want->format_kind == dnnl_blocked && want->format_desc.blocking.inner_nblks == 0;
    if (plain) {
        /* each gate block of each direction straight into its place */
        for (int d = 0; d < r->D; d++)
            for (int g = 0; g < ng; g++) {
                float sign;
                dnnl_memory_desc_t from, to;
                const float *src = model_block(r, k, which, d, g, &sign, &from);
                dnnl_dims_t dims, offs;
                if (which == 2) {
                    int64_t dd[4] = {1, 1, H, r->P}, oo[4] = {0, d, 0, 0};
                    memcpy(dims, dd, sizeof dd);
                    memcpy(offs, oo, sizeof oo);
                } else {
                    int64_t dd[5] = {1, 1, in, 1, H}, oo[5] = {0, d, 0, g, 0};
                    memcpy(dims, dd, sizeof dd);
                    memcpy(offs, oo, sizeof oo);
                }
                DN_TRY(dnnl_memory_desc_init_submemory(&to, want, dims, offs));
                SQ_TRY(dn_reorder_once(s, &from, src, &to, dn_mem_ptr(*out), sign));
            }
    } else {
        /* a packed layout: through one host copy of this matrix in
         * oneDNN's gate order (ldgoi / ldoi) */
        const int64_t blk = in * cols;
        float *host = sq_malloc(sizeof(float) * (size_t)(r->D * ng * blk));
        if (!host) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory preparing weights");
        for (int d = 0; d < r->D; d++)
            for (int g = 0; g < ng; g++) {
                float sign;
                dnnl_memory_desc_t from;
                const float *src = model_block(r, k, which, d, g, &sign, &from);
                float *dst = host + (int64_t)(d * ng + g) * blk;
                for (int64_t i = 0; i < blk; i++) dst[i] = sign * src[i];
            }
        int64_t dl[5] = {1, r->D, in, r->G, H}, dp[4] = {1, r->D, H, r->P};
        const dnnl_memory_desc_t from = which == 2 ? dn_md_tag(4, dp, dnnl_f32, dnnl_ldoi)
                                                   : dn_md_tag(5, dl, dnnl_f32, dnnl_ldgoi);
        seqrt_status st = dn_reorder_once(s, &from, host, want, dn_mem_ptr(*out), 1.0f);
        sq_free(host);
        if (st) return st;
    }
    if (dnnl_stream_wait(s->stream) != dnnl_success) return sq_error(SEQRT_ERR_DEVICE, "stream wait failed");
    return SEQRT_OK;
}

/* Summed biases of layer k in oneDNN's gate order: [D, Gb, H]. */
void dn_rnn_prim_bias(const dn_rnn *r, int k, float *out)
{
    const sq_layer *L = r->L;
    const int64_t H = r->H;
    memset(out, 0, sizeof(float) * (size_t)(r->D * r->Gb * H));
    if (!L->a.bias) return;
    for (int d = 0; d < r->D; d++) {
        const sq_weight *bi = sq_rnn_weight(L, k, d, SQ_RB_IH), *bh = sq_rnn_weight(L, k, d, SQ_RB_HH);
        float *o = out + (int64_t)d * r->Gb * H;
        for (int g = 0; g < r->G; g++) {
            float sign;
            const int src = gate_block(r, g, &sign);
            /* linear-before-reset: b_hn stays apart (block 3), r multiplies it */
            const bool lbr_o = r->lbr && g == 2;
            for (int64_t j = 0; j < H; j++) {
                float v = bi ? bi->data[src * H + j] : 0.0f;
                if (!lbr_o && bh) v += bh->data[src * H + j];
                o[g * H + j] = sign * v;
            }
        }
        if (r->lbr && bh)
            for (int64_t j = 0; j < H; j++) o[3 * H + j] = bh->data[2 * H + j];
    }
}


/* ------------------------------------------------------------ primitives */

/* Descriptors of layer k for one shape. The primitive cache compares keys
 * as bytes: every field is 64 bits wide, so the struct has no padding. */
typedef struct prim_key {
    int64_t kind, in, T, B, bf_src, bf_dst, has_h0;
} prim_key;

static void prim_mds(const dn_rnn *r, int k, int64_t T, int64_t B, bool bf_src, bool bf_dst,
                     dnnl_memory_desc_t *src, dnnl_memory_desc_t *dst, dnnl_memory_desc_t *h,
                     dnnl_memory_desc_t *c, dnnl_memory_desc_t *bias, dnnl_memory_desc_t *peep)
{
    int64_t ds[3] = {T, B, dn_rnn_in(r, k)}, dd[3] = {T, B, r->D * r->Ho};
    int64_t dh[4] = {1, r->D, B, r->Ho}, dc[4] = {1, r->D, B, r->H};
    int64_t db[4] = {1, r->D, r->Gb, r->H}, dp[4] = {1, r->D, 3, r->H};
    *src = dn_md_tag(3, ds, dnnl_f32, bf_src ? dnnl_ntc : dnnl_tnc);
    *dst = dn_md_tag(3, dd, dnnl_f32, bf_dst ? dnnl_ntc : dnnl_tnc);
    *h = dn_md_tag(4, dh, dnnl_f32, dnnl_ldnc);
    *c = dn_md_tag(4, dc, dnnl_f32, dnnl_ldnc);
    *bias = dn_md_tag(4, db, dnnl_f32, dnnl_ldgo);
    *peep = dn_md_tag(4, dp, dnnl_f32, dnnl_ldgo);
}

static seqrt_status prim_pd(const dn_rnn *r, int k, int64_t T, int64_t B, bool bf_src, bool bf_dst, bool has_h0,
                            dnnl_primitive_desc_t *pd)
{
    dnnl_memory_desc_t src, dst, h, c, bias, peep;
    prim_mds(r, k, T, B, bf_src, bf_dst, &src, &dst, &h, &c, &bias, &peep);
    /* weights `any`: the layout oneDNN prefers for this shape. Except with
     * a projection: there oneDNN 2.6 picks its packed layout one step at a
     * time (T = 1) on AVX2 CPUs, and that primitive writes through a NULL
     * pointer (segfault seen on AMD EPYC Milan; AVX-512 CPUs take another
     * path). Plain layouts are always valid and avoid it. */
    const int64_t in = dn_rnn_in(r, k);
    int64_t dl[5] = {1, r->D, in, r->G, r->H}, di[5] = {1, r->D, r->Ho, r->G, r->H};
    int64_t dp[4] = {1, r->D, r->H, r->P};
    const bool plain = r->P > 0;
    const dnnl_memory_desc_t wl = dn_md_tag(5, dl, dnnl_f32, plain ? dnnl_ldigo : dnnl_format_tag_any);
    const dnnl_memory_desc_t wi = dn_md_tag(5, di, dnnl_f32, plain ? dnnl_ldigo : dnnl_format_tag_any);
    const dnnl_memory_desc_t wp = dn_md_tag(4, dp, dnnl_f32, plain ? dnnl_ldio : dnnl_format_tag_any);
    const dnnl_rnn_direction_t dir = r->D == 2                  ? dnnl_bidirectional_concat
                                     : sq_dir_reversed(r->L, 0) ? dnnl_unidirectional_right2left
                                                                : dnnl_unidirectional_left2right;
    const dn_prim_mds m = {.src = &src,
                           .h0 = has_h0 ? &h : NULL,
                           .c0 = has_h0 ? &c : NULL,
                           .wl = &wl,
                           .wi = &wi,
                           .wpeep = r->peep ? &peep : NULL,
                           .wproj = r->P ? &wp : NULL,
                           .bias = &bias,
                           .dst = &dst,
                           .hn = &h,
                           .cn = &c};
    dnnl_rnn_desc_t d;
    SQ_TRY(r->cell->prim_desc(r, &d, dir, &m));
    DN_TRY(dnf_primitive_desc_create(pd, &d, NULL, dn_engine, NULL));
    return SEQRT_OK;
}

seqrt_status dn_rnn_prim_prepare(dn_session *s, dn_rnn *r)
{
    if (r->prim_ready) return SEQRT_OK;
    SQ_TRY(dn_chunk_env(&r->chunk_env));
    const sq_value *xv = &s->m->values[r->L->in[SQ_SLOT_X]];
    int64_t Tn = xv->dims[s->m->batch_first ? 1 : 0], Bn = xv->dims[s->m->batch_first ? 0 : 1];
    if (Tn < 2) Tn = 2;
    if (Bn <= 0) Bn = 16;
    for (int k = 0; k < r->nl; k++) {
        /* the layout the primitive prefers, from a descriptor of a nominal
         * shape: the model's own T and B when fixed (oneDNN's f32 CPU layout
         * is plain for T > 1 whatever B; one step at a time it packs the
         * weights for the batch size: prim_weights makes that copy then) */
        dnnl_primitive_desc_t pd;
        SQ_TRY(prim_pd(r, k, Tn, Bn, false, false, true, &pd));
        seqrt_status st = load_prim(s, r, k, 0, dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, DNNL_ARG_WEIGHTS_LAYER), &r->wl[k]);
        if (!st)
            st = load_prim(s, r, k, 1, dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, DNNL_ARG_WEIGHTS_ITER),
                                  &r->wi[k]);
        if (!st && r->P)
            st = load_prim(s, r, k, 2,
                                  dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, DNNL_ARG_WEIGHTS_PROJECTION),
                                  &r->wp[k]);
        dnnl_primitive_desc_destroy(pd);
        if (st) return sq_error_prefix(st, "layer '%s'", r->L->name);
    }
    r->prim_ready = true;
    return SEQRT_OK;
}

/* The weights of layer k in the layouts primitive `p` wants: those
 * prepared at session creation, or — for a shape whose layout differs (one
 * step at a time, oneDNN packs the weights for the batch size) — a copy
 * made for that layout on first use and kept. */
static seqrt_status prim_weights(dn_session *s, dn_rnn *r, int k, const dn_prim *p, dnnl_memory_t w[3])
{
    static const int arg[3] = {DNNL_ARG_WEIGHTS_LAYER, DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_WEIGHTS_PROJECTION};
    const dnnl_memory_t mine[3] = {r->wl[k], r->wi[k], r->P ? r->wp[k] : NULL};
    for (int i = 0; i < 3; i++) {
        w[i] = mine[i];
        if (!mine[i]) continue;
        const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(p->pd, dnnl_query_exec_arg_md, arg[i]);
        const dnnl_memory_desc_t *have;
        DN_TRY(dnnl_memory_get_memory_desc(mine[i], &have));
        if (dnnl_memory_desc_equal(have, want)) continue;
        int j = 0;
        for (; j < r->nalt; j++)
            if (r->alt[j].k == k && r->alt[j].which == i && dnnl_memory_desc_equal(&r->alt[j].md, want)) break;
        if (j < r->nalt) {
            w[i] = r->alt[j].mem;
            continue;
        }
        if (r->nalt == DN_RNN_MAX_ALT) { /* drop the oldest */
            dnnl_memory_destroy(r->alt[0].mem);
            memmove(r->alt, r->alt + 1, sizeof r->alt[0] * (DN_RNN_MAX_ALT - 1));
            r->nalt--;
        }
        dnnl_memory_t m;
        SQ_TRY(load_prim(s, r, k, i, want, &m));
        r->alt[r->nalt++] = (dn_rnn_alt){k, i, *want, m};
        w[i] = m;
    }
    return SEQRT_OK;
}

/* Runs stacked layer k on the primitive. Pointers are the whole state
 * tensors' rows of layer k. */
static seqrt_status prim_layer(dn_session *s, dn_rnn *r, int k, int64_t T, int64_t B, bool bf_src, bool bf_dst,
                               const float *src, float *dst, const float *h0, const float *c0, float *hn, float *cn)
{
    const bool has_h0 = h0 || c0;
    /* stacked layers of equal shapes share one primitive (weights are arguments) */
    prim_key key = {0x524e4e50, dn_rnn_in(r, k), T, B, bf_src, bf_dst, has_h0};
    dn_prim *p = dn_cache_find(&r->cache, &key, sizeof key);
    if (!p) {
        dnnl_primitive_desc_t pd;
        SQ_TRY(prim_pd(r, k, T, B, bf_src, bf_dst, has_h0, &pd));
        SQ_TRY(dn_cache_put(&r->cache, &key, sizeof key, pd, &p, "recurrent primitive"));
    }
    dnnl_memory_t w[3];
    SQ_TRY(prim_weights(s, r, k, p, w));
    dnnl_memory_desc_t msrc, mdst, mh, mc, mb, mpp;
    prim_mds(r, k, T, B, bf_src, bf_dst, &msrc, &mdst, &mh, &mc, &mb, &mpp);
    /* zeros stand in for an absent h0 or c0 when the other is given */
    float *zeros = NULL;
    if (has_h0 && (!h0 || (r->op == SQ_OP_LSTM && !c0))) {
        SQ_TRY(dn_buf_reserve(&r->tmp, sizeof(float) * (size_t)(r->D * B * r->Ho > r->D * B * r->H ? r->D * B * r->Ho : r->D * B * r->H)));
        zeros = dn_buf_f(&r->tmp);
        memset(zeros, 0, r->tmp.cap);
    }
    dn_arg a[12];
    int n = 0;
    a[n++] = (dn_arg){DNNL_ARG_SRC_LAYER, &msrc, (void *)src};
    a[n++] = (dn_arg){DNNL_ARG_DST_LAYER, &mdst, dst};
    a[n++] = (dn_arg){DNNL_ARG_WEIGHTS_LAYER, NULL, dn_mem_ptr(w[0])};
    a[n++] = (dn_arg){DNNL_ARG_WEIGHTS_ITER, NULL, dn_mem_ptr(w[1])};
    a[n++] = (dn_arg){DNNL_ARG_BIAS, &mb, r->bias[k]};
    a[n++] = (dn_arg){DNNL_ARG_DST_ITER, &mh, hn};
    if (has_h0) a[n++] = (dn_arg){DNNL_ARG_SRC_ITER, &mh, (void *)(h0 ? h0 : zeros)};
    if (r->op == SQ_OP_LSTM) {
        a[n++] = (dn_arg){DNNL_ARG_DST_ITER_C, &mc, cn};
        if (has_h0) a[n++] = (dn_arg){DNNL_ARG_SRC_ITER_C, &mc, (void *)(c0 ? c0 : zeros)};
        if (r->peep) a[n++] = (dn_arg){DNNL_ARG_WEIGHTS_PEEPHOLE, &mpp, r->peep[k]};
        if (r->P) a[n++] = (dn_arg){DNNL_ARG_WEIGHTS_PROJECTION, NULL, dn_mem_ptr(w[2])};
    }
    return dn_exec(s, p, n, a);
}

/* The multiply-adds of `steps` steps of stacked layer k at batch B, x 2:
 * what dn_pace times an execution by. */
static double layer_flops(const dn_rnn *r, int k, int64_t steps, int64_t B)
{
    const double per_step = (double)r->D * ((double)(r->G * r->H) * (double)(dn_rnn_in(r, k) + r->Ho) +
                                            (double)r->H * (double)r->P);
    return 2.0 * per_step * (double)steps * (double)B;
}

/* The stacked layers over one dense batch (all entries run every step). */
static seqrt_status run_dense(dn_session *s, dn_rnn *r, const dn_rnn_run *run)
{
    const int64_t T = run->T, B = run->B, F = r->D * r->Ho;
    float *buf[2] = {NULL, NULL};
    if (r->nl > 1) {
        const size_t n = sizeof(float) * (size_t)(T * B * F);
        SQ_TRY(dn_buf_reserve(&r->seq[0], n));
        if (r->nl > 2) SQ_TRY(dn_buf_reserve(&r->seq[1], n));
        buf[0] = dn_buf_f(&r->seq[0]);
        buf[1] = dn_buf_f(&r->seq[1]);
    }
    for (int k = 0; k < r->nl; k++) {
        const bool last = k == r->nl - 1;
        const float *src = k == 0 ? run->x : buf[(k - 1) % 2];
        float *dst = last ? run->y : buf[k % 2];
        const int64_t rows = (int64_t)k * r->D * B;
        /* each layer a timed execution (dnnl_pace.h) */
        dn_pace_unit u;
        dn_pace_begin(&u, DN_PACE_PRIMITIVE, s->nthreads, layer_flops(r, k, T, B));
        seqrt_status st = prim_layer(s, r, k, T, B, k == 0 && run->bf, last && run->bf, src, dst,
                                     run->h0 ? run->h0 + rows * r->Ho : NULL, run->c0 ? run->c0 + rows * r->H : NULL,
                                     run->hn + rows * r->Ho, run->cn ? run->cn + rows * r->H : NULL);
        if (!st && dnnl_stream_wait(s->stream) != dnnl_success)
            st = sq_error(SEQRT_ERR_DEVICE, "oneDNN stream wait failed");
        dn_pace_end(&u);
        if (st) return st;
    }
    return SEQRT_OK;
}


/* ------------------------------------------------------------ variable lengths */

/* Variable lengths: the entries grouped by length, each group gathered
 * into a dense batch of its own T = len and run as an ordinary sequence,
 * then scattered back (see the top of this file). */
static seqrt_status run_lengths(dn_session *s, dn_rnn *r, const dn_rnn_run *run)
{
    const int64_t T = run->T, B = run->B, I = r->I, H = r->H, Ho = r->Ho, F = r->D * Ho;
    const int64_t LD = (int64_t)r->nl * r->D;
    const bool lstm = r->op == SQ_OP_LSTM;
    const int32_t *lens = run->lens;

    /* the entries by decreasing length: idx[0 .. B) */
    SQ_TRY(dn_buf_reserve(&r->lenbuf, sizeof(int64_t) * (size_t)B));
    int64_t *idx = r->lenbuf.p;
    for (int64_t b = 0; b < B; b++) {
        int64_t j = b;
        while (j > 0 && sq_valid_len(lens, idx[j - 1], T) < sq_valid_len(lens, b, T)) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = b;
    }

    /* scratch for one group: x, y, h0, c0, h_n, c_n */
    const size_t nx = (size_t)(T * B * I), ny = (size_t)(T * B * F), nh = (size_t)(LD * B * Ho),
                 nc = (size_t)(LD * B * H);
    SQ_TRY(dn_buf_reserve(&r->gath, sizeof(float) * (nx + ny + 2 * nh + 2 * nc)));
    float *xg = dn_buf_f(&r->gath), *yg = xg + nx, *h0g = yg + ny, *hng = h0g + nh, *c0g = hng + nh, *cng = c0g + nc;

    memset(run->y, 0, sizeof(float) * (size_t)(T * B * F)); /* padded steps are 0 */
    for (int64_t g0 = 0; g0 < B;) {
        const int64_t len = sq_valid_len(lens, idx[g0], T);
        int64_t g1 = g0 + 1;
        while (g1 < B && sq_valid_len(lens, idx[g1], T) == len) g1++;
        const int64_t Bg = g1 - g0;
        const int64_t *m = idx + g0; /* the group's entries */
        if (len == 0) {
            /* nothing runs: the final state is the initial one */
            for (int64_t row = 0; row < LD; row++)
                for (int64_t j = 0; j < Bg; j++) {
                    const int64_t b = m[j];
                    if (run->h0) memcpy(run->hn + (row * B + b) * Ho, run->h0 + (row * B + b) * Ho, sizeof(float) * (size_t)Ho);
                    else memset(run->hn + (row * B + b) * Ho, 0, sizeof(float) * (size_t)Ho);
                    if (!lstm) continue;
                    if (run->c0) memcpy(run->cn + (row * B + b) * H, run->c0 + (row * B + b) * H, sizeof(float) * (size_t)H);
                    else memset(run->cn + (row * B + b) * H, 0, sizeof(float) * (size_t)H);
                }
            g0 = g1;
            continue;
        }
        /* gather: x [len, Bg, I] and the initial states */
        for (int64_t t = 0; t < len; t++)
            for (int64_t j = 0; j < Bg; j++)
                memcpy(xg + (t * Bg + j) * I, run->x + sq_seq_off(run->bf, T, B, t, m[j], I), sizeof(float) * (size_t)I);
        for (int64_t row = 0; row < LD; row++)
            for (int64_t j = 0; j < Bg; j++) {
                if (run->h0)
                    memcpy(h0g + (row * Bg + j) * Ho, run->h0 + (row * B + m[j]) * Ho, sizeof(float) * (size_t)Ho);
                if (lstm && run->c0)
                    memcpy(c0g + (row * Bg + j) * H, run->c0 + (row * B + m[j]) * H, sizeof(float) * (size_t)H);
            }
        const dn_rnn_run g = {.T = len,
                              .B = Bg,
                              .x = xg,
                              .h0 = run->h0 ? h0g : NULL,
                              .c0 = lstm && run->c0 ? c0g : NULL,
                              .y = yg,
                              .hn = hng,
                              .cn = lstm ? cng : NULL};
        SQ_TRY(run_dense(s, r, &g));
        /* scatter: outputs and final states */
        for (int64_t t = 0; t < len; t++)
            for (int64_t j = 0; j < Bg; j++)
                memcpy(run->y + sq_seq_off(run->bf, T, B, t, m[j], F), yg + (t * Bg + j) * F, sizeof(float) * (size_t)F);
        for (int64_t row = 0; row < LD; row++)
            for (int64_t j = 0; j < Bg; j++) {
                memcpy(run->hn + (row * B + m[j]) * Ho, hng + (row * Bg + j) * Ho, sizeof(float) * (size_t)Ho);
                if (lstm) memcpy(run->cn + (row * B + m[j]) * H, cng + (row * Bg + j) * H, sizeof(float) * (size_t)H);
            }
        g0 = g1;
    }
    return SEQRT_OK;
}

/* ------------------------------------------------------------ chunks of time */

/* The same for every stacked layer. */
static double stack_flops(const dn_rnn *r, int64_t steps, int64_t B)
{
    double f = 0;
    for (int k = 0; k < r->nl; k++) f += layer_flops(r, k, steps, B);
    return f;
}

/* The bytes a chunk adds per step: the primitive's gates and states
 * (its scratchpad), the stacked layers' outputs, and the copies of a
 * batch-first input and output (see run_chunked). */
static int64_t chunk_step_bytes(const dn_rnn *r, int64_t B)
{
    const int64_t per_b = r->nl * (r->Gb * r->H + 2 * r->Ho + r->H) + r->I + 3 * r->Ho;
    return B * per_b * (int64_t)sizeof(float);
}

/* A one-direction stack of layers over a dense batch, n steps at a time:
 * for each chunk of the sequence (from its end when the layer runs
 * reverse), every stacked layer runs on the chunk as a sequence of its own,
 * its initial state the state the layer had after the previous chunk
 * (src_iter from the previous chunk's dst_iter, through two state buffers
 * used in turn; zeros for an absent h0 / c0, which computes what no
 * src_iter does), so the run computes exactly the steps of the whole
 * sequence, and the memory it adds is that of one chunk. A batch-first
 * input is copied into a time-major chunk, and the chunk's output back;
 * y NULL: the chunk's output goes to scratch. */
static seqrt_status run_chunked(dn_session *s, dn_rnn *r, const dn_rnn_run *run, int64_t n)
{
    const int64_t T = run->T, B = run->B, I = r->I, H = r->H, F = r->Ho; /* one direction: F = Ho */
    const int nl = r->nl;
    const bool lstm = r->op == SQ_OP_LSTM, rev = sq_dir_reversed(r->L, 0);
    const size_t nh = (size_t)(nl * B * F), nc = lstm ? (size_t)(nl * B * H) : 0, nseq = (size_t)(n * B * F);
    SQ_TRY(dn_buf_reserve(&r->state, sizeof(float) * 2 * (nh + nc)));
    const bool copy_x = run->bf, own_y = run->bf || !run->y;
    SQ_TRY(dn_buf_reserve(&r->gath, sizeof(float) * ((copy_x ? (size_t)(n * B * I) : 0) + (own_y ? nseq : 1))));
    if (nl > 1) {
        SQ_TRY(dn_buf_reserve(&r->seq[0], sizeof(float) * nseq));
        if (nl > 2) SQ_TRY(dn_buf_reserve(&r->seq[1], sizeof(float) * nseq));
    }
    float *hs[2], *cs[2];
    hs[0] = dn_buf_f(&r->state);
    hs[1] = hs[0] + nh;
    cs[0] = lstm ? hs[1] + nh : NULL;
    cs[1] = lstm ? cs[0] + nc : NULL;
    float *xc = copy_x ? dn_buf_f(&r->gath) : NULL;
    float *yc = own_y ? dn_buf_f(&r->gath) + (copy_x ? n * B * I : 0) : NULL;
    float *buf[2] = {dn_buf_f(&r->seq[0]), dn_buf_f(&r->seq[1])};
    /* the state before the first chunk */
    if (run->h0) memcpy(hs[0], run->h0, sizeof(float) * nh);
    else memset(hs[0], 0, sizeof(float) * nh);
    if (lstm && run->c0) memcpy(cs[0], run->c0, sizeof(float) * nc);
    else if (lstm) memset(cs[0], 0, sizeof(float) * nc);
    const int64_t nchunks = (T + n - 1) / n;
    for (int64_t c = 0; c < nchunks; c++) {
        const int64_t a = rev ? (T - (c + 1) * n > 0 ? T - (c + 1) * n : 0) : c * n;
        const int64_t len = rev ? T - c * n - a : (a + n < T ? n : T - a);
        const bool final = c == nchunks - 1;
        const int cur = (int)(c % 2), nxt = 1 - cur;
        const float *x = run->x + a * B * I;
        if (copy_x) {
            for (int64_t t = 0; t < len; t++)
                for (int64_t b = 0; b < B; b++)
                    memcpy(xc + (t * B + b) * I, run->x + sq_seq_off(true, T, B, a + t, b, I), sizeof(float) * (size_t)I);
            x = xc;
        }
        float *y = own_y ? yc : run->y + a * B * F;
        dn_pace_unit u;
        dn_pace_begin(&u, DN_PACE_PRIMITIVE, s->nthreads, stack_flops(r, len, B));
        seqrt_status st = SEQRT_OK;
        for (int k = 0; k < nl && !st; k++) {
            const bool last = k == nl - 1;
            const float *src = k == 0 ? x : buf[(k - 1) % 2];
            float *dst = last ? y : buf[k % 2];
            float *hn = final ? run->hn + (int64_t)k * B * F : hs[nxt] + (int64_t)k * B * F;
            float *cn = !lstm ? NULL : final ? run->cn + (int64_t)k * B * H : cs[nxt] + (int64_t)k * B * H;
            st = prim_layer(s, r, k, len, B, false, false, src, dst, hs[cur] + (int64_t)k * B * F,
                            lstm ? cs[cur] + (int64_t)k * B * H : NULL, hn, cn);
        }
        if (!st && dnnl_stream_wait(s->stream) != dnnl_success)
            st = sq_error(SEQRT_ERR_DEVICE, "oneDNN stream wait failed");
        dn_pace_end(&u);
        if (st) return st;
        if (run->bf && run->y)
            for (int64_t t = 0; t < len; t++)
                for (int64_t b = 0; b < B; b++)
                    memcpy(run->y + sq_seq_off(true, T, B, a + t, b, F), y + (t * B + b) * F, sizeof(float) * (size_t)F);
    }
    return SEQRT_OK;
}

seqrt_status dn_rnn_prim_run(dn_session *s, dn_rnn *r, const dn_rnn_run *run)
{
    /* one direction, every entry T steps: in chunks of time when the
     * sequence spans more than one */
    if (!run->lens && r->D == 1) {
        const int64_t n = dn_chunk_steps(chunk_step_bytes(r, run->B), run->B, run->T, r->chunk_env);
        if (n < run->T) return run_chunked(s, r, run, n);
    }
    dn_rnn_run g = *run;
    /* the primitive writes a whole sequence: scratch of T steps when the
     * run asks for h_n / c_n only */
    if (!g.y) {
        SQ_TRY(dn_buf_reserve(&r->ybuf, sizeof(float) * (size_t)(run->T * run->B * r->D * r->Ho)));
        g.y = dn_buf_f(&r->ybuf);
    }
    return g.lens ? run_lengths(s, r, &g) : run_dense(s, r, &g);
}
