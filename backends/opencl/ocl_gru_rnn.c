/*
 * gru and rnn on the per-step path (see ocl_recurrent.h).
 *
 * gru, linear_before_reset (PyTorch's default): hg = h W_hh^T for r, z, n,
 * then sq_gru_cell. Without it (ONNX's default): hg = h W_hh^T for r and z,
 * sq_gru_reset gives r * h, a second batched GEMM gives W_hn (r * h) into
 * the n block of hg, then sq_gru_cell.
 * rnn: hg = h W_hh^T, then sq_rnn_cell (tanh or relu).
 */
#include "ocl_recurrent.h"

static seqrt_status gru_step(const ocl_rec_run *c, int step)
{
    ocl_session *s = c->s;
    ocl_rec *r = c->r;
    const ocl_rec_layer *w = c->w;
    const int D = r->D, B = c->B;
    const int64_t H = r->H;
    const size_t wg = (size_t)s->dev->choice.profile.wg, n = (size_t)D * (size_t)B * (size_t)H;
    const bool lbr = (r->flags & OCL_RF_LBR) != 0;
    seqrt_status st = ocl_rec_hh_gemm(c, r->h.mem, H, 0, lbr ? 3 * H : 2 * H);
    if (st) return st;
    if (!lbr) {
        st = OCL_LAUNCH(s, K_sq_gru_reset, n, wg, KA_MEM(r->xg.mem), KA_MEM(r->hg.mem), KA_MEM(w->b_ih),
                        KA_MEM(w->b_hh), KA_MEM(r->gates), KA_MEM(c->lens), KA_INT(c->has_len), KA_MEM(r->h.mem),
                        KA_MEM(r->htmp.mem), KA_INT(step), KA_INT(c->T), KA_INT(B), KA_INT(H), KA_INT(D), KA_INT(c->bf),
                        KA_INT(r->flags));
        if (st || (st = ocl_rec_hh_gemm(c, r->htmp.mem, H, 2 * H, H))) return st;
    }
    return OCL_LAUNCH(s, K_sq_gru_cell, n, wg, KA_MEM(r->xg.mem), KA_MEM(r->hg.mem), KA_MEM(w->b_ih), KA_MEM(w->b_hh),
                      KA_MEM(r->gates), KA_MEM(c->lens), KA_INT(c->has_len), KA_MEM(r->h.mem), KA_MEM(c->y),
                      KA_INT(step), KA_INT(c->T), KA_INT(B), KA_INT(H), KA_INT(D), KA_INT(c->bf), KA_INT(r->flags));
}

static seqrt_status rnn_step(const ocl_rec_run *c, int step)
{
    const ocl_rec *r = c->r;
    seqrt_status st = ocl_rec_hh_gemm(c, r->h.mem, r->H, 0, r->H);
    if (st) return st;
    return OCL_LAUNCH(c->s, K_sq_rnn_cell, (size_t)r->D * (size_t)c->B * (size_t)r->H,
                      (size_t)c->s->dev->choice.profile.wg, KA_MEM(r->xg.mem), KA_MEM(r->hg.mem), KA_MEM(c->w->b_ih),
                      KA_MEM(c->w->b_hh), KA_MEM(r->gates), KA_MEM(c->lens), KA_INT(c->has_len), KA_MEM(r->h.mem),
                      KA_MEM(c->y), KA_INT(step), KA_INT(c->T), KA_INT(c->B), KA_INT(r->H), KA_INT(r->D), KA_INT(c->bf),
                      KA_INT(r->flags), KA_INT(c->L->a.nonlinearity));
}

static seqrt_status run_gru(void *session, const sq_op_args *a, void *state)
{
    return ocl_rec_execute(session, a, state, gru_step);
}

static seqrt_status run_rnn(void *session, const sq_op_args *a, void *state)
{
    return ocl_rec_execute(session, a, state, rnn_step);
}

const sq_op_impl ocl_gru_impl = {
    .supports = sq_op_supports_all, .prepare = ocl_rec_prepare, .run = run_gru, .release = ocl_rec_release};
const sq_op_impl ocl_rnn_impl = {
    .supports = sq_op_supports_all, .prepare = ocl_rec_prepare, .run = run_rnn, .release = ocl_rec_release};
