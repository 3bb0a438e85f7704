/*
 * lstm on the per-step path: per step, hg = h W_hh^T (one GEMM batched over
 * directions), then sq_lstm_cell (gates with the layer's gate functions and
 * clip, peepholes, coupled input gate or input_forget, c and h; rows that
 * finished are left alone). With a projection the cell writes o * h(c) to
 * htmp, a second batched GEMM gives W_hr htmp, and sq_rec_commit stores it
 * as h and output for the rows that ran. Every format 1.1 form runs here
 * and on the persistent kernel (see ocl_recurrent.h).
 */
#include "ocl_recurrent.h"

static seqrt_status lstm_step(const ocl_rec_run *c, int step)
{
    ocl_session *s = c->s;
    ocl_rec *r = c->r;
    const ocl_rec_layer *w = c->w;
    const int D = r->D, B = c->B;
    const size_t wg = (size_t)s->dev->choice.profile.wg;
    seqrt_status st = ocl_rec_hh_gemm(c, r->h.mem, r->Ho, 0, 4 * r->H);
    if (st) return st;
    st = OCL_LAUNCH(s, K_sq_lstm_cell, (size_t)D * (size_t)B * (size_t)r->H, wg, KA_MEM(r->xg.mem), KA_MEM(r->hg.mem),
                    KA_MEM(w->b_ih), KA_MEM(w->b_hh), KA_MEM(w->peep), KA_MEM(r->gates), KA_MEM(c->lens),
                    KA_INT(c->has_len), KA_MEM(r->h.mem), KA_MEM(r->c.mem), KA_MEM(r->htmp.mem), KA_MEM(c->y),
                    KA_INT(step), KA_INT(c->T), KA_INT(B), KA_INT(r->H), KA_INT(r->Ho), KA_INT(D), KA_INT(c->bf),
                    KA_INT(r->flags));
    if (st || !(r->flags & OCL_RF_PROJ)) return st;
    const size_t H = (size_t)r->H, P = (size_t)r->Ho;
    ocl_gemm g = {false, true, (size_t)B, P, H, 1.0f, 0.0f,          r->htmp.mem, w->w_hr,       r->hp.mem,
                     0,     0,    0,         H, H, P,    (size_t)B * H, P * H,       (size_t)B * P, (size_t)D};
    if ((st = ocl_gemm_run(s, &g))) return st;
    return OCL_LAUNCH(s, K_sq_rec_commit, (size_t)D * (size_t)B * P, wg, KA_MEM(r->hp.mem), KA_MEM(c->lens),
                      KA_INT(c->has_len), KA_MEM(r->h.mem), KA_MEM(c->y), KA_INT(step), KA_INT(c->T), KA_INT(B),
                      KA_INT(P), KA_INT(D), KA_INT(c->bf), KA_INT(r->flags));
}

static seqrt_status run_lstm(void *session, const sq_op_args *a, void *state)
{
    return ocl_rec_execute(session, a, state, lstm_step);
}

const sq_op_impl ocl_lstm_impl = {
    .supports = sq_op_supports_all, .prepare = ocl_rec_prepare, .run = run_lstm, .release = ocl_rec_release};
