/*
 * The persistent recurrent kernel (kernels/persistent.cl): its local
 * memory and its launch. ocl_rec_path.c decides when it runs (the profile's
 * bounds and the kernel's fit on the device); the input projection still
 * comes from the layer's CLBlast GEMM.
 */
#include "ocl_recurrent.h"

void ocl_persistent_local(const ocl_rec *r, size_t bytes[3])
{
    const size_t wl = (size_t)r->G * (size_t)r->H * (size_t)r->Ho * sizeof(float);
    bytes[0] = wl ? wl : 4;                                       /* W_hh of one direction */
    bytes[1] = r->Ho ? 2 * (size_t)r->Ho * sizeof(float) : 4;     /* h, double-buffered */
    bytes[2] = (size_t)(r->H ? r->H : 1) * sizeof(float);         /* r * h, or o * h(c) */
}

seqrt_status ocl_persistent_run(const ocl_rec_run *c)
{
    ocl_session *s = c->s;
    const ocl_rec *r = c->r;
    const ocl_rec_layer *w = c->w;
    size_t wg = (size_t)s->dev->choice.profile.persistent_wg;
    /* no more work-items than hidden units */
    while (wg > 1 && wg / 2 >= (size_t)(r->H > r->Ho ? r->H : r->Ho)) wg /= 2;
    while (wg > 1 && !ocl_wg_fits(s, K_sq_rec_persistent, wg)) wg /= 2;
    const size_t groups = (size_t)r->D * (size_t)c->B;
    size_t lb[3];
    ocl_persistent_local(r, lb);
    return OCL_LAUNCH(s, K_sq_rec_persistent, groups * wg, wg, KA_MEM(r->xg.mem), KA_MEM(w->w_hh), KA_MEM(w->b_ih),
                      KA_MEM(w->b_hh), KA_MEM(w->peep), KA_MEM(w->w_hr), KA_MEM(r->gates), KA_MEM(c->lens),
                      KA_INT(c->has_len), KA_MEM(r->h.mem), KA_MEM(r->c.mem), KA_MEM(c->y), KA_LOCAL(lb[0]),
                      KA_LOCAL(lb[1]), KA_LOCAL(lb[2]), KA_INT(c->T), KA_INT(c->B), KA_INT(r->H), KA_INT(r->Ho),
                      KA_INT(r->D), KA_INT(c->bf), KA_INT(r->op), KA_INT(r->flags), KA_INT(c->L->a.nonlinearity));
}
