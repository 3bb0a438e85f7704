/*
 * oneDNN backend: the driver of the recurrent ops (lstm, gru, rnn; see
 * dnnl_rnn.h) — a layer's state, made from the op's strategy table
 * (dn_rnn_cell) and freed here, and the choice of engine for each run.
 *
 * Engine choice (SEQRT_ONEDNN_RNN = auto, primitive, loop or fused; `fused`
 * is the small-batch path's name there): auto runs an LSTM without
 * projection, a linear-before-reset GRU or an RNN at batch <= 64 on the
 * loop engine's small-batch path (dnnl_rnn_small.c: one thread team per
 * sequence, each thread's share of W_hh kept in its cache); other layers
 * run on the loop engine when some entry is shorter than T (it handles
 * lengths in place) or the batch is small (B <= DN_LOOP_MAX_BATCH), where a
 * step matmul plus a vectorised cell beats the primitive's per-step
 * overhead; otherwise on oneDNN's RNN primitive. That is with the AVX-512
 * kernel build (dn_session.kern, dnnl_kern.h); with the AVX2 build auto
 * prefers the primitive except where the small-batch path measured faster,
 * with the baseline build it always does (see predict_engine). `loop` never
 * takes the small-batch path, `fused` takes it wherever it applies.
 * Where the rule's candidates are more than one and a run is large enough,
 * auto measures them instead (dnnl_probe.h) and keeps the fastest; an
 * engine the layer never ran on for real is then released (its weights'
 * layout freed), so measuring costs no memory after the first run.
 *
 * Format 1.1 forms: a layer with gate functions other than the op's own or
 * with `clip` runs on the loop engine in every mode (the primitive has
 * neither), stepped by the generic cells; so, off the primitive, does one
 * with input_forget. Those never take the small-batch path. A reverse-only
 * layer runs wherever its forward twin would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_kern.h"
#include "dnnl_probe.h"
#include "dnnl_rnn.h"
#include "dnnl_rnn_small.h"

/* Largest batch the auto mode gives to the loop engine (measured: see
 * docs/onednn.md). */
#define DN_LOOP_MAX_BATCH 32

/* Largest whole-sequence buffer (gates and outputs of every step) that the
 * auto mode lets oneDNN's primitive materialise for a bidirectional layer
 * where it prefers the primitive (no AVX-512): longer sequences go to the
 * loop engine, whose chunks bound the gates (docs/onednn.md). A
 * one-direction layer's primitive runs chunks of time itself
 * (dnnl_rnn_prim.c). */
#define DN_PRIM_MAX_SEQ_BYTES (64.0 * 1024 * 1024)

/* ------------------------------------------------------------ state */

void dn_rnn_release(void *state)
{
    dn_rnn *r = state;
    if (!r) return;
    dn_cache_clear(&r->cache);
    for (int k = 0; k < r->nl; k++) {
        if (r->bias) sq_free(r->bias[k]);
        if (r->peep) sq_free(r->peep[k]);
        if (r->wl && r->wl[k]) dnnl_memory_destroy(r->wl[k]);
        if (r->wi && r->wi[k]) dnnl_memory_destroy(r->wi[k]);
        if (r->wp && r->wp[k]) dnnl_memory_destroy(r->wp[k]);
    }
    if (r->dir)
        for (int i = 0; i < r->nl * r->D; i++) {
            dn_loop_dir *d = &r->dir[i];
            if (d->wx) dnnl_memory_destroy(d->wx);
            if (d->wh) dnnl_memory_destroy(d->wh);
            if (d->who) dnnl_memory_destroy(d->who);
            if (d->wr) dnnl_memory_destroy(d->wr);
            sq_free(d->bx);
            sq_free(d->bh);
            sq_free(d->whp);
        }
    for (int j = 0; j < r->nalt; j++) dnnl_memory_destroy(r->alt[j].mem);
    sq_free(r->bias);
    sq_free(r->peep);
    sq_free(r->wl);
    sq_free(r->wi);
    sq_free(r->wp);
    sq_free(r->dir);
    dn_buf_free(&r->seq[0]);
    dn_buf_free(&r->seq[1]);
    dn_buf_free(&r->gates);
    dn_buf_free(&r->state);
    dn_buf_free(&r->tmp);
    dn_buf_free(&r->gath);
    dn_buf_free(&r->lenbuf);
    dn_buf_free(&r->ybuf);
    sq_free(r);
}

/* The auto mode's use of the loop engine's small-batch path
 * (dnnl_rnn_small.c): for LSTM and GRU every batch it takes (up to 64) —
 * measured faster than, or within 4 % of, both the step-matmul loop and the
 * primitive from B = 1 to 64 at H = 256 to 2048; for the RNN, whose single
 * gate gives each block one dependent chain of FMAs, only up to B = 16 at
 * H <= 512 (docs/onednn.md). */
static int auto_small(const dn_rnn *r, int64_t B)
{
    if (!dn_small_eligible(r, B)) return 0;
    return r->op != SQ_OP_RNN || (B <= 16 && r->H <= 512);
}

/* Where the 8-float (AVX2) build's small-batch path beats oneDNN's
 * primitive, measured on an AVX2 EPYC with one thread (docs/onednn.md):
 * an LSTM at B = 2 to 4 whose W_hh passes 16 MB (H >= 1024), where the
 * primitive's GEMM over so few rows falls behind one pass of the path over
 * W_hh per tile of entries (1.2 to 1.5 times faster at H = 1024 to 2048).
 * At B = 1 both stream W_hh once per step and the primitive is as fast or
 * faster; from B = 8 to 64 they are level (within the noise); a GRU or
 * RNN was not measured there, so it keeps the primitive. */
#define DN_NARROW_SMALL_MIN_BATCH 2
#define DN_NARROW_SMALL_MAX_BATCH 4
#define DN_NARROW_SMALL_MIN_WHH_BYTES (16.0 * 1024 * 1024)

static int narrow_small(const dn_session *s, const dn_rnn *r, int64_t B)
{
    if (s->kern->vl != 8 || r->op != SQ_OP_LSTM || !dn_small_eligible(r, B)) return 0;
    const double whh = (double)r->G * (double)r->H * (double)r->H * sizeof(float);
    return B >= DN_NARROW_SMALL_MIN_BATCH && B <= DN_NARROW_SMALL_MAX_BATCH && whh >= DN_NARROW_SMALL_MIN_WHH_BYTES;
}

/* The engine auto mode picks for batch B, by the kernel build the session
 * runs (dn_session.kern, dnnl_kern.h):
 * - 16-float vectors (AVX-512, 32 registers): the small-batch path
 *   (auto_small), else the step-matmul loop up to DN_LOOP_MAX_BATCH, else
 *   the primitive;
 * - 8-float vectors (AVX2, 16 registers): the small-batch path where
 *   narrow_small says it wins, else the primitive — the step-matmul loop
 *   (a matmul primitive per step, then the cell) measured level with or
 *   up to 1.7 times slower than the primitive at every shape there;
 * - 4-float vectors (baseline x86-64, not measured): the primitive, which
 *   brings its own kernels for the CPU.
 * Everywhere the loop engine takes the ragged batches (it handles lengths
 * in place) and the forms the primitive lacks (engine_for). Where auto
 * prefers the primitive, bidirectional sequences whose whole-sequence
 * buffers would pass DN_PRIM_MAX_SEQ_BYTES go to the loop engine: the
 * primitive runs both directions of a whole sequence at once (its gates and
 * scratch O(T)), the loop engine walks each direction in chunks; a
 * one-direction layer's primitive walks chunks of time itself (bounded
 * memory, docs/onednn.md). T = 0: not known yet (session creation). */
static int predict_engine(const dn_session *s, const dn_rnn *r, int64_t B, int64_t T, bool ragged)
{
    if (ragged) return DN_RNN_LOOP;
    if (s->kern->vl == 16) {
        if (auto_small(r, B)) return DN_RNN_LOOP;
        return B <= DN_LOOP_MAX_BATCH ? DN_RNN_LOOP : DN_RNN_PRIMITIVE;
    }
    if (narrow_small(s, r, B)) return DN_RNN_LOOP;
    /* the primitive preferred: long bidirectional sequences on the chunked
     * loop engine */
    {
        const double seq = (double)T * (double)B * (double)r->D * (double)(r->G * r->H + r->H) * sizeof(float);
        return r->D == 2 && seq > DN_PRIM_MAX_SEQ_BYTES ? DN_RNN_LOOP : DN_RNN_PRIMITIVE;
    }
}

void dn_engine_policy(const dn_kern *k, const char *why, char *out, size_t n)
{
    if (!k)
        snprintf(out, n, "recurrent layers: no session can be created: %s", why);
    else if (k->vl == 16)
        snprintf(out, n, "recurrent layers: %s kernels (%d floats, %d registers; %s); rule: small-batch kernel at "
                 "B <= %d, step-matmul loop to B = %d, RNN primitive above", k->name, k->vl, k->regs, why,
                 DN_SMALL_MAX_BATCH, DN_LOOP_MAX_BATCH);
    else
        snprintf(out, n, "recurrent layers: %s kernels (%d floats, %d registers; %s); rule: %sRNN primitive; chunked "
                 "loop engine for ragged lengths, forms the primitive lacks, bidirectional sequences > %.0f MB", k->name, k->vl,
                 k->regs, why, k->vl == 8 ? "small-batch kernel for LSTM at B 2-4 with W_hh >= 16 MB, else " : "",
                 DN_PRIM_MAX_SEQ_BYTES / (1024.0 * 1024.0));
}

/* The engine a run takes in mode `engine`: the loop engine for a layer
 * the primitive does not compute. */
static int engine_for(const dn_rnn *r, int engine)
{
    return engine == DN_RNN_PRIMITIVE && !r->prim_ok ? DN_RNN_LOOP : engine;
}

/* The format 1.1 attributes of layer L as the engines take them. */
static void derive_forms(dn_rnn *r, const sq_layer *L)
{
    const bool lstm = L->op == SQ_OP_LSTM;
    r->prim_ok = L->a.default_acts && !(L->a.clip > 0);
    r->gen = !r->prim_ok || (lstm && L->a.input_forget);
    for (int d = 0; d < r->D; d++) {
        dn_gen *q = &r->gen_of[d];
        for (int j = 0; j < SQ_GATE_FNS_MAX; j++) q->act[j] = *sq_gate_act_of(L, d, j);
        q->clip = L->a.clip > 0 ? (float)L->a.clip : 0.0f;
        q->coupled = lstm && L->a.coupled;
        q->input_forget = lstm && L->a.input_forget;
    }
}

/* 1 if the loop engine runs batch B of layer r on its small-batch path
 * (SEQRT_ONEDNN_RNN=fused: whenever eligible; auto: see auto_small; loop
 * and primitive: never). */
static int use_small(const dn_session *s, const dn_rnn *r, int64_t B)
{
    if (s->rnn_mode == DN_RNN_SMALL) return dn_small_eligible(r, B);
    if (s->rnn_mode != DN_RNN_AUTO) return 0;
    return s->kern->vl == 16 ? auto_small(r, B) : narrow_small(s, r, B);
}

/* The engines auto may measure for batch B and T steps of layer r (DN_ENG_*
 * bits): the step-matmul loop always; the small-batch kernel where it
 * applies; the primitive where it computes the layer, except a
 * bidirectional sequence whose whole-sequence buffers would pass
 * DN_PRIM_MAX_SEQ_BYTES (see predict_engine). */
static unsigned candidates(const dn_rnn *r, int64_t B, int64_t T)
{
    unsigned c = DN_ENG_LOOP;
    if (!r->gen && dn_small_eligible(r, B)) c |= DN_ENG_SMALL;
    const double seq = (double)T * (double)B * (double)r->D * (double)(r->G * r->H + r->H) * sizeof(float);
    if (r->prim_ok && !(r->D == 2 && seq > DN_PRIM_MAX_SEQ_BYTES)) c |= DN_ENG_PRIM;
    return c;
}

/* Frees what an engine that no run of this layer has used (r->engines_used)
 * prepared: a measurement (dnnl_probe.c), or the session's first guess,
 * laid out weights for it. Prepared again if a later run takes it. */
static void drop_unused(dn_rnn *r)
{
    const unsigned used = r->engines_used;
    if (!(used & DN_ENG_PRIM) && r->prim_ready) {
        for (int k = 0; k < r->nl; k++) {
            if (r->wl[k]) dnnl_memory_destroy(r->wl[k]);
            if (r->wi[k]) dnnl_memory_destroy(r->wi[k]);
            if (r->wp[k]) dnnl_memory_destroy(r->wp[k]);
            r->wl[k] = r->wi[k] = r->wp[k] = NULL;
        }
        for (int j = 0; j < r->nalt; j++) dnnl_memory_destroy(r->alt[j].mem);
        r->nalt = 0;
        r->prim_ready = false;
    }
    for (int i = 0; r->dir && i < r->nl * r->D; i++) {
        dn_loop_dir *d = &r->dir[i];
        if (!(used & DN_ENG_SMALL) && d->whp) {
            sq_free(d->whp);
            d->whp = NULL;
        }
        if (!(used & DN_ENG_LOOP) && r->wh_ready) {
            if (d->wh) dnnl_memory_destroy(d->wh);
            if (d->who) dnnl_memory_destroy(d->who);
            if (d->wr) dnnl_memory_destroy(d->wr);
            d->wh = d->who = d->wr = NULL;
        }
        if (!(used & (DN_ENG_LOOP | DN_ENG_SMALL)) && r->loop_ready && d->wx) {
            dnnl_memory_destroy(d->wx);
            d->wx = NULL;
        }
    }
    if (!(used & DN_ENG_LOOP)) r->wh_ready = false;
    if (!(used & (DN_ENG_LOOP | DN_ENG_SMALL))) r->loop_ready = false;
}

seqrt_status dn_rnn_prepare(dn_session *s, const sq_layer *L, const dn_rnn_cell *cell, void **out)
{
    dn_rnn *r = sq_calloc(1, sizeof *r);
    if (!r) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *out = r;
    r->L = L;
    r->Lb16 = s->b16_source; /* set by dnnl_prec.c around a bf16 layer's prepare */
    r->cell = cell;
    r->op = L->op;
    r->nl = (int)L->a.num_layers;
    r->D = sq_dirs(L);
    r->G = sq_gates(L);
    r->lbr = L->op == SQ_OP_GRU && L->a.linear_before_reset;
    r->Gb = r->lbr ? 4 : r->G;
    r->I = L->a.input_size;
    r->H = L->a.hidden_size;
    r->Ho = sq_h_out(L);
    r->P = L->op == SQ_OP_LSTM && L->a.proj_size > 0 ? L->a.proj_size : 0;
    derive_forms(r, L);
    /* an unused sequence output is bound unallocated (the row's
     * unbound_outs, applied at session creation): runs write h_n / c_n only */
    r->y_unused = sq_value_unused(s->m, L->out[SQ_OUT_MAIN]);
    const int nl = r->nl;
    r->bias = sq_calloc((size_t)nl, sizeof *r->bias);
    r->wl = sq_calloc((size_t)nl, sizeof *r->wl);
    r->wi = sq_calloc((size_t)nl, sizeof *r->wi);
    r->wp = sq_calloc((size_t)nl, sizeof *r->wp);
    r->dir = sq_calloc((size_t)(nl * r->D), sizeof *r->dir);
    if (!r->bias || !r->wl || !r->wi || !r->wp || !r->dir) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    if (cell->peephole_of && L->a.peephole && !(r->peep = sq_calloc((size_t)nl, sizeof *r->peep)))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    for (int k = 0; k < nl; k++) {
        if (!(r->bias[k] = sq_malloc(sizeof(float) * (size_t)(r->D * r->Gb * r->H))))
            return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        dn_rnn_prim_bias(r, k, r->bias[k]);
        if (r->peep && !(r->peep[k] = sq_malloc(sizeof(float) * (size_t)(r->D * 3 * r->H))))
            return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        if (r->peep) cell->peephole_of(r, k, r->peep[k]);
    }
    /* The weights are reordered here, once, for the engine this model will
     * most likely run on (the model's batch size when it is fixed; else
     * the loop engine, which small batches use); the other engine's layout
     * is made on its first use. */
    int engine = s->rnn_mode;
    const sq_value *x = &s->m->values[L->in[SQ_SLOT_X]];
    const int64_t B = x->dims[s->m->batch_first ? 0 : 1];
    if (engine == DN_RNN_AUTO) engine = B > 0 ? predict_engine(s, r, B, 0, false) : DN_RNN_LOOP;
    engine = engine_for(r, engine);
    if (engine == DN_RNN_PRIMITIVE) return dn_rnn_prim_prepare(s, r);
    /* a symbolic batch prepares for the small batches (packing W_hh is
     * cheap); a larger batch prepares the step matmuls on first use */
    return dn_rnn_loop_prepare(s, r, use_small(s, r, B > 0 ? B : 1));
}

seqrt_status dn_rnn_op_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    dn_rnn *r = state;
    const bool bf = a->batch_first;
    const sq_view *x = a->in[SQ_SLOT_X];
    dn_rnn_run run;
    memset(&run, 0, sizeof run);
    run.T = sq_seq_T(x, bf);
    run.B = sq_seq_B(x, bf);
    run.bf = bf;
    run.x = sq_vf(x);
    run.h0 = a->in[SQ_SLOT_H0] ? sq_vf(a->in[SQ_SLOT_H0]) : NULL;
    run.c0 = r->op == SQ_OP_LSTM && a->in[SQ_SLOT_C0] ? sq_vf(a->in[SQ_SLOT_C0]) : NULL;
    run.lens = a->in[SQ_SLOT_LENGTHS] ? sq_vi(a->in[SQ_SLOT_LENGTHS]) : NULL;
    /* y NULL: the core bound the unused sequence output unallocated (the
     * row's may_skip), or no layer and no model output reads it — the loop
     * engine then writes none (h_n / c_n only) */
    run.y = r->y_unused ? NULL : sq_vf(a->out[SQ_OUT_MAIN]);
    run.hn = sq_vf(a->out[SQ_OUT_H_N]);
    run.cn = r->op == SQ_OP_LSTM ? sq_vf(a->out[SQ_OUT_C_N]) : NULL;
    const bool ragged = dn_lengths_matter(run.lens, run.B, run.T);
    if (!ragged) run.lens = NULL; /* every entry runs T steps */
    int engine = s->rnn_mode;
    if (engine == DN_RNN_AUTO) engine = predict_engine(s, r, run.B, run.T, ragged);
    if (engine == DN_RNN_SMALL) engine = DN_RNN_LOOP; /* the loop engine's small path where it applies */
    engine = engine_for(r, engine);
    bool small = engine == DN_RNN_LOOP && use_small(s, r, run.B);
    /* oneDNN's relu maps NaN to 0, the reference (and PyTorch) keep it: a
     * relu RNN over non-finite data runs on the loop engine, whose cell
     * propagates NaN */
    const bool relu_nan = r->op == SQ_OP_RNN && r->L->a.nonlinearity == SQ_ACT_RELU &&
                          (dn_any_nonfinite(run.x, sq_view_count(x)) ||
                           (run.h0 && dn_any_nonfinite(run.h0, sq_view_count(a->in[SQ_SLOT_H0]))));
    if (engine == DN_RNN_PRIMITIVE && relu_nan) engine = DN_RNN_LOOP, small = use_small(s, r, run.B);
    if (s->rnn_mode == DN_RNN_AUTO && !ragged && !relu_nan) {
        unsigned e = engine == DN_RNN_PRIMITIVE ? DN_ENG_PRIM : small ? DN_ENG_SMALL : DN_ENG_LOOP;
        const unsigned cands = candidates(r, run.B, run.T);
        if (cands & (cands - 1)) { /* two or more */
            seqrt_status pst = dn_probe_choose(s, r, run.B, run.T, bf, cands, e, &e);
            if (pst) return sq_error_prefix(pst, "layer '%s' (%s)", r->L->name, sq_op_name(r->op));
        }
        engine = e == DN_ENG_PRIM ? DN_RNN_PRIMITIVE : DN_RNN_LOOP;
        small = e == DN_ENG_SMALL;
    }
    r->engines_used |= engine == DN_RNN_PRIMITIVE ? DN_ENG_PRIM : small ? DN_ENG_SMALL : DN_ENG_LOOP;
    drop_unused(r);
    seqrt_status st;
    if (engine == DN_RNN_LOOP) {
        run.small = small;
        if ((st = dn_rnn_loop_prepare(s, r, run.small))) return st;
        st = dn_rnn_loop_run(s, r, &run);
    } else {
        if ((st = dn_rnn_prim_prepare(s, r))) return st;
        st = dn_rnn_prim_run(s, r, &run); /* run.lens: NULL unless ragged; run.y may be NULL */
    }
    if (st) return sq_error_prefix(st, "layer '%s' (%s)", r->L->name, sq_op_name(r->op));
    return SEQRT_OK;
}
