/*
 * oneDNN backend: what is LSTM-specific in the recurrent layers — the
 * peepholes of the prepared weights, the loop engine's step, and the LSTM
 * primitive's descriptor (dnnl_lstm_forward_desc_init_v3: peephole and
 * projection in one primitive).
 *
 * Coupled gates (CIFG, i = 1 - f) are not native in oneDNN. They run on the
 * same primitive: since 1 - σ(a) = σ(-a), the input gate's rows of W_ih,
 * W_hh, the summed bias and the input peephole are filled with the negated
 * forget-gate rows (dn_rnn_load_prim — a reorder with scale -1 — and
 * build_bias in dnnl_rnn.c, the peephole here), so the primitive's own
 * input gate computes σ(-(a_f + p_f ⊙ c)) = 1 - f. The PyTorch input-gate
 * rows and p_i are ignored, as the spec says. The loop engine's cell takes
 * i = 1 - f directly. Either way a coupled LSTM costs exactly what an
 * ordinary one does.
 */
#include <stdlib.h>
#include <string.h>

#include "dnnl_rnn.h"

void dn_lstm_peephole(const dn_rnn *r, int k, float *out)
{
    const sq_layer *L = r->L;
    const int64_t H = r->H;
    for (int d = 0; d < r->D; d++) {
        const sq_weight *pi = sq_rnn_weight(L, k, d, SQ_RW_PI);
        const sq_weight *pf = sq_rnn_weight(L, k, d, SQ_RW_PF);
        const sq_weight *po = sq_rnn_weight(L, k, d, SQ_RW_PO);
        float *o = out + (int64_t)d * 3 * H;
        for (int64_t j = 0; j < H; j++) {
            const float f = pf ? pf->data[j] : 0.0f;
            o[j] = L->a.coupled ? -f : (pi ? pi->data[j] : 0.0f);
            o[H + j] = f;
            o[2 * H + j] = po ? po->data[j] : 0.0f;
        }
    }
}

seqrt_status dn_lstm_desc(const dn_rnn *r, dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir,
                          const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *h0, const dnnl_memory_desc_t *c0,
                          const dnnl_memory_desc_t *wl, const dnnl_memory_desc_t *wi,
                          const dnnl_memory_desc_t *wpeep, const dnnl_memory_desc_t *wproj,
                          const dnnl_memory_desc_t *bias, const dnnl_memory_desc_t *dst,
                          const dnnl_memory_desc_t *hn, const dnnl_memory_desc_t *cn)
{
    (void)r;
    DN_TRY(dnnl_lstm_forward_desc_init_v3(d, dnnl_forward_inference, dir, src, h0, c0, wl, wi, wpeep, wproj, bias,
                                          dst, hn, cn, 0));
    return SEQRT_OK;
}

/* ------------------------------------------------------------ loop engine */

seqrt_status dn_lstm_loop_init(dn_loop_step *c)
{
    dn_rnn *r = c->r;
    /* G[s] += h W_hh^T */
    SQ_TRY(dn_mmx_init(c->s, r, &c->mm[0], c->B, r->Ho, 4 * r->H, &r->wh_md, true, false));
    if (r->P) {
        /* h = (o ⊙ tanh c) W_hr^T */
        SQ_TRY(dn_mmx_init(c->s, r, &c->mm[1], c->B, r->H, r->P, &r->wr_md, false, false));
        memset(c->aux2, 0, sizeof(float) * (size_t)(c->B * r->H));
    }
    return SEQRT_OK;
}

seqrt_status dn_lstm_loop_step(dn_loop_step *c)
{
    dn_rnn *r = c->r;
    SQ_TRY(dn_mmx_run(c->s, &c->mm[0], c->h, c->w->wh, NULL, c->g));
    if (!r->P) {
        dn_cell_lstm(c->B, r->H, c->active, c->g, c->peep, c->coupled, c->c, c->h, r->Ho);
        return SEQRT_OK;
    }
    dn_cell_lstm(c->B, r->H, c->active, c->g, c->peep, c->coupled, c->c, c->aux2, r->H);
    SQ_TRY(dn_mmx_run(c->s, &c->mm[1], c->aux2, c->w->wr, NULL, c->aux));
    dn_copy_rows(c->B, r->P, c->active, c->aux, r->P, c->h, r->P);
    return SEQRT_OK;
}
