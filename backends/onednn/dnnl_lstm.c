/*
 * oneDNN backend: the LSTM op — its strategy for the recurrent driver
 * (dnnl_rnn.c): the peepholes of the prepared weights, the LSTM primitive's
 * descriptor (dnnl_lstm_forward_desc_init_v3: peephole and projection in
 * one primitive) and the loop engine's step; and the op row.
 *
 * Coupled gates (CIFG, i = 1 - f) are not native in oneDNN. They run on the
 * same primitive: since 1 - σ(a) = σ(-a), the input gate's rows of W_ih,
 * W_hh, the summed bias and the input peephole are filled with the negated
 * forget-gate rows (the primitive engine's weights — a reorder with scale
 * -1 — and biases in dnnl_rnn_prim.c, the peephole here), so the
 * primitive's own input gate computes σ(-(a_f + p_f ⊙ c)) = 1 - f. The
 * PyTorch input-gate rows and p_i are ignored, as the spec says. The loop
 * engine's cell takes i = 1 - f directly. Either way a coupled LSTM costs
 * exactly what an ordinary one does. input_forget (f = 1 - i) is the
 * mirror image on the primitive (the forget gate's rows and peephole the
 * negated input gate's); the loop engine steps it, like the other format
 * 1.1 forms (gate functions, clip), with the generic cell.
 */
#include "dnnl_cell.h"
#include "dnnl_rnn.h"

static void lstm_peephole(const dn_rnn *r, int k, float *out)
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
            const float i = pi ? pi->data[j] : 0.0f;
            o[j] = L->a.coupled ? -f : i;
            o[H + j] = L->a.input_forget ? -i : f;
            o[2 * H + j] = po ? po->data[j] : 0.0f;
        }
    }
}

static seqrt_status lstm_prim_desc(const dn_rnn *r, dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir,
                                   const dn_prim_mds *m)
{
    (void)r;
    DN_TRY(dnnl_lstm_forward_desc_init_v3(d, dnnl_forward_inference, dir, m->src, m->h0, m->c0, m->wl, m->wi,
                                          m->wpeep, m->wproj, m->bias, m->dst, m->hn, m->cn, 0));
    return SEQRT_OK;
}

/* ------------------------------------------------------------ loop engine */

static int lstm_loop_mms(const dn_rnn *r, dn_loop_mm *mm)
{
    /* G[s] += h W_hh^T */
    mm[0] = (dn_loop_mm){.K = r->Ho, .N = 4 * r->H, .w = DN_LOOP_W_HH, .sum = true};
    if (!r->P) return 1;
    /* h = (o ⊙ tanh c) W_hr^T */
    mm[1] = (dn_loop_mm){.K = r->H, .N = r->P, .w = DN_LOOP_W_HR};
    return 2;
}

/* The cell over the step's rows, h into [B, ldh]: the op's own, or the
 * generic one (format 1.1 forms). */
static void lstm_rows(const dn_loop_step *c, float *h, int64_t ldh)
{
    if (c->gen) dn_cell_lstm_gen(c->B, c->r->H, c->active, c->g, c->peep, c->gen, c->c, h, ldh);
    else dn_cell_lstm(c->B, c->r->H, c->active, c->g, c->peep, c->coupled, c->c, h, ldh);
}

static seqrt_status lstm_loop_step(dn_loop_step *c)
{
    const dn_rnn *r = c->r;
    SQ_TRY(dn_loop_mm_run(c, 0, c->h, NULL, c->g));
    if (!r->P) {
        lstm_rows(c, c->h, r->Ho);
        return SEQRT_OK;
    }
    lstm_rows(c, c->aux2, r->H);
    SQ_TRY(dn_loop_mm_run(c, 1, c->aux2, NULL, c->aux));
    dn_copy_rows(c->B, r->P, c->active, c->aux, r->P, c->h, r->P);
    return SEQRT_OK;
}

/* ------------------------------------------------------------ the op */

/* Every form of the spec's LSTM (peephole, coupled, input_forget,
 * projection, every direction, stacked, lengths, gate functions, clip):
 * the loop engine computes all of them and the primitive those the driver
 * gives it. */
DN_RNN_OP_ROW(dn_lstm_impl, .prim_desc = lstm_prim_desc, .peephole_of = lstm_peephole, .loop_mms = lstm_loop_mms,
              .loop_step = lstm_loop_step);
