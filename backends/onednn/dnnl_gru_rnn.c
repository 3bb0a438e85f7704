/*
 * oneDNN backend: GRU and vanilla RNN primitives.
 *
 * PyTorch's nn.GRU (n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))) is
 * oneDNN's linear-before-reset GRU; the spec's `linear_before_reset: false`
 * (n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)) is oneDNN's plain GRU.
 * oneDNN's gates are u, r, o (PyTorch's z, r, n: the first two blocks swap,
 * see dn_gate_src in dnnl_rnn.c) and h_t = u ⊙ h_{t-1} + (1 - u) ⊙ o, as
 * PyTorch's h' = (1 - z) ⊙ n + z ⊙ h. The linear-before-reset bias has four
 * blocks: u and r (b_ih + b_hh), o (b_in) and b_hn; the plain GRU's three
 * blocks are all summed.
 *
 * nn.RNN is the vanilla RNN primitive with tanh, or relu with a zero
 * negative slope.
 */
#include "dnnl_rnn.h"

seqrt_status dn_gru_rnn_desc(const dn_rnn *r, dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir,
                             const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *h0,
                             const dnnl_memory_desc_t *wl, const dnnl_memory_desc_t *wi,
                             const dnnl_memory_desc_t *bias, const dnnl_memory_desc_t *dst,
                             const dnnl_memory_desc_t *hn)
{
    if (r->op == SQ_OP_RNN) {
        const dnnl_alg_kind_t act = r->L->a.nonlinearity == SQ_ACT_RELU ? dnnl_eltwise_relu : dnnl_eltwise_tanh;
        DN_TRY(dnnl_vanilla_rnn_forward_desc_init(d, dnnl_forward_inference, act, dir, src, h0, wl, wi, bias, dst,
                                                  hn, 0, 0.0f, 0.0f));
    } else if (r->lbr) {
        DN_TRY(dnnl_lbr_gru_forward_desc_init(d, dnnl_forward_inference, dir, src, h0, wl, wi, bias, dst, hn, 0));
    } else {
        DN_TRY(dnnl_gru_forward_desc_init(d, dnnl_forward_inference, dir, src, h0, wl, wi, bias, dst, hn, 0));
    }
    return SEQRT_OK;
}

/* ------------------------------------------------------------ loop engine */

seqrt_status dn_gru_rnn_loop_init(dn_loop_step *c)
{
    dn_rnn *r = c->r;
    const int64_t H = r->H;
    if (r->op == SQ_OP_RNN) /* G[s] += h W_hh^T */
        return dn_mmx_init(c->s, r, &c->mm[0], c->B, H, H, &r->wh_md, true, false);
    if (r->lbr) /* gh = h W_hh^T + {0, 0, b_hn} */
        return dn_mmx_init(c->s, r, &c->mm[0], c->B, H, 3 * H, &r->wh_md, false, true);
    /* gh = h W_h{u,r}^T, then go = (r ⊙ h) W_ho^T */
    SQ_TRY(dn_mmx_init(c->s, r, &c->mm[0], c->B, H, 2 * H, &r->wh_md, false, false));
    return dn_mmx_init(c->s, r, &c->mm[1], c->B, H, H, &r->who_md, false, false);
}

seqrt_status dn_gru_rnn_loop_step(dn_loop_step *c)
{
    dn_rnn *r = c->r;
    const int64_t B = c->B, H = r->H;
    if (r->op == SQ_OP_RNN) {
        SQ_TRY(dn_mmx_run(c->s, &c->mm[0], c->h, c->w->wh, NULL, c->g));
        dn_cell_rnn(B, H, c->active, c->g, r->L->a.nonlinearity == SQ_ACT_RELU, c->h);
        return SEQRT_OK;
    }
    if (r->lbr) {
        SQ_TRY(dn_mmx_run(c->s, &c->mm[0], c->h, c->w->wh, c->w->bh, c->aux));
        dn_cell_gru_lbr(B, H, c->active, c->g, c->aux, c->h);
        return SEQRT_OK;
    }
    float *gh = c->aux, *go = c->aux + B * 2 * H, *rh = c->aux2;
    SQ_TRY(dn_mmx_run(c->s, &c->mm[0], c->h, c->w->wh, NULL, gh));
    dn_cell_gru_ur(B, H, c->active, c->g, gh, c->h, rh);
    SQ_TRY(dn_mmx_run(c->s, &c->mm[1], rh, c->w->who, NULL, go));
    dn_cell_gru_o(B, H, c->active, c->g, go, gh, c->h);
    return SEQRT_OK;
}
