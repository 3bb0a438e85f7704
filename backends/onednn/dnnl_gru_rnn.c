/*
 * oneDNN backend: the GRU and vanilla RNN ops — their strategies for the
 * recurrent driver (dnnl_rnn.c): primitive descriptors and loop-engine
 * steps; and the op rows.
 *
 * PyTorch's nn.GRU (n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))) is
 * oneDNN's linear-before-reset GRU; the spec's `linear_before_reset: false`
 * (n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)) is oneDNN's plain GRU.
 * oneDNN's gates are u, r, o (PyTorch's z, r, n: the first two blocks swap,
 * see dn_gate_src in dnnl_rnn_prim.c) and h_t = u ⊙ h_{t-1} + (1 - u) ⊙ o,
 * as PyTorch's h' = (1 - z) ⊙ n + z ⊙ h. The linear-before-reset bias has
 * four blocks: u and r (b_ih + b_hh), o (b_in) and b_hn; the plain GRU's
 * three blocks are all summed.
 *
 * nn.RNN is the vanilla RNN primitive with tanh, or relu with a zero
 * negative slope.
 *
 * Format 1.1 forms with other gate functions or clip run on the loop
 * engine alone, whose steps here call the generic cells (dnnl_cell.c).
 */
#include <stdio.h>

#include "dnnl_cell.h"
#include "dnnl_rnn.h"

/* ------------------------------------------------------------ GRU */

static seqrt_status gru_prim_desc(const dn_rnn *r, dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir,
                                  const dn_prim_mds *m)
{
    if (r->lbr)
        DN_TRY(dnnl_lbr_gru_forward_desc_init(d, dnnl_forward_inference, dir, m->src, m->h0, m->wl, m->wi, m->bias,
                                              m->dst, m->hn, 0));
    else
        DN_TRY(dnnl_gru_forward_desc_init(d, dnnl_forward_inference, dir, m->src, m->h0, m->wl, m->wi, m->bias,
                                          m->dst, m->hn, 0));
    return SEQRT_OK;
}

static int gru_loop_mms(const dn_rnn *r, dn_loop_mm *mm)
{
    const int64_t H = r->H;
    if (r->lbr) { /* gh = h W_hh^T + {0, 0, b_hn} */
        mm[0] = (dn_loop_mm){.K = H, .N = 3 * H, .w = DN_LOOP_W_HH, .bias = true};
        return 1;
    }
    /* gh = h W_h{u,r}^T, then go = (r ⊙ h) W_ho^T */
    mm[0] = (dn_loop_mm){.K = H, .N = 2 * H, .w = DN_LOOP_W_HH};
    mm[1] = (dn_loop_mm){.K = H, .N = H, .w = DN_LOOP_W_HO};
    return 2;
}

static seqrt_status gru_loop_step(dn_loop_step *c)
{
    const dn_rnn *r = c->r;
    const int64_t B = c->B, H = r->H;
    const dn_gen *q = c->gen; /* the generic cells, or NULL */
    if (r->lbr) {
        SQ_TRY(dn_loop_mm_run(c, 0, c->h, c->w->bh, c->aux));
        if (q) dn_cell_gru_lbr_gen(B, H, c->active, c->g, c->aux, q, c->h);
        else dn_cell_gru_lbr(B, H, c->active, c->g, c->aux, c->h);
        return SEQRT_OK;
    }
    float *gh = c->aux, *go = c->aux + B * 2 * H, *rh = c->aux2;
    SQ_TRY(dn_loop_mm_run(c, 0, c->h, NULL, gh));
    if (q) dn_cell_gru_ur_gen(B, H, c->active, c->g, gh, c->h, q, rh);
    else dn_cell_gru_ur(B, H, c->active, c->g, gh, c->h, rh);
    SQ_TRY(dn_loop_mm_run(c, 1, rh, NULL, go));
    if (q) dn_cell_gru_o_gen(B, H, c->active, c->g, go, gh, q, c->h);
    else dn_cell_gru_o(B, H, c->active, c->g, go, gh, c->h);
    return SEQRT_OK;
}

/* Both GRU forms (linear before reset or not), every direction and stack,
 * any gate functions, clip. */
DN_RNN_OP_ROW(dn_gru_impl, .prim_desc = gru_prim_desc, .loop_mms = gru_loop_mms, .loop_step = gru_loop_step);

/* ------------------------------------------------------------ RNN */

static seqrt_status rnn_prim_desc(const dn_rnn *r, dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir,
                                  const dn_prim_mds *m)
{
    const dnnl_alg_kind_t act = r->L->a.nonlinearity == SQ_ACT_RELU ? dnnl_eltwise_relu : dnnl_eltwise_tanh;
    DN_TRY(dnnl_vanilla_rnn_forward_desc_init(d, dnnl_forward_inference, act, dir, m->src, m->h0, m->wl, m->wi,
                                              m->bias, m->dst, m->hn, 0, 0.0f, 0.0f));
    return SEQRT_OK;
}

static int rnn_loop_mms(const dn_rnn *r, dn_loop_mm *mm)
{
    /* G[s] += h W_hh^T */
    mm[0] = (dn_loop_mm){.K = r->H, .N = r->H, .w = DN_LOOP_W_HH, .sum = true};
    return 1;
}

static seqrt_status rnn_loop_step(dn_loop_step *c)
{
    const dn_rnn *r = c->r;
    SQ_TRY(dn_loop_mm_run(c, 0, c->h, NULL, c->g));
    if (c->gen) dn_cell_rnn_gen(c->B, r->H, c->active, c->g, c->gen, c->h);
    else dn_cell_rnn(c->B, r->H, c->active, c->g, r->L->a.nonlinearity == SQ_ACT_RELU, c->h);
    return SEQRT_OK;
}

/* tanh, relu or any other gate function, clip, every direction and stack. */
DN_RNN_OP_ROW(dn_rnn_impl, .prim_desc = rnn_prim_desc, .loop_mms = rnn_loop_mms, .loop_step = rnn_loop_step);
