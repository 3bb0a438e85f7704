/*
 * The persistent recurrent kernel (kernels/persistent.cl): when it runs and
 * how it is launched.
 *
 * The vendor profile decides: batch <= persistent_max_batch, hidden_size <=
 * persistent_max_hidden, and W_hh of one direction plus the state fitting in
 * persistent_local_kib (already capped by the device's local memory). The
 * input projection still comes from the layer's CLBlast GEMM.
 * SEQRT_OPENCL_RECURRENT=step|persistent|auto (default auto) overrides the
 * choice, for the bench's comparison of the two paths; "persistent" still
 * needs the weights to fit in local memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocl_recurrent.h"

bool ocl_persistent_chosen(ocl_session *s, const ocl_rec *r, int64_t B, size_t *local_bytes, char *why,
                           size_t n)
{
    const ocl_profile *p = &s->dev->choice.profile;
    const char *mode = getenv("SEQRT_OPENCL_RECURRENT");
    const bool force_step = mode && !strcmp(mode, "step");
    const bool force_persistent = mode && !strcmp(mode, "persistent");
    const uint64_t words = (uint64_t)r->G * (uint64_t)r->H * (uint64_t)r->Ho + 2 * (uint64_t)r->Ho + (uint64_t)r->H;
    *local_bytes = (size_t)(words * sizeof(float));
    const uint64_t cap = (uint64_t)p->persistent_local_kib * 1024;
    const uint64_t dev_cap = s->dev->desc.local_mem;
    if (force_step) {
        snprintf(why, n, "per-step path (SEQRT_OPENCL_RECURRENT=step)");
        return false;
    }
    if (force_persistent) {
        if (*local_bytes > dev_cap) {
            snprintf(why, n,
                     "per-step path: SEQRT_OPENCL_RECURRENT=persistent, but W_hh needs %zu bytes of local "
                     "memory and the device has %llu",
                     *local_bytes, (unsigned long long)dev_cap);
            return false;
        }
        snprintf(why, n, "persistent kernel (SEQRT_OPENCL_RECURRENT=persistent), %zu bytes of local memory",
                 *local_bytes);
        return true;
    }
    if (p->persistent_max_batch <= 0 || B > p->persistent_max_batch || r->H > p->persistent_max_hidden ||
        *local_bytes > cap) {
        snprintf(why, n,
                 "per-step path: profile %s runs the persistent kernel for batch <= %d, hidden <= %d and "
                 "%d KiB of local memory (here batch %lld, hidden %lld, %zu bytes)",
                 s->dev->choice.name, p->persistent_max_batch, p->persistent_max_hidden, p->persistent_local_kib,
                 (long long)B, (long long)r->H, *local_bytes);
        return false;
    }
    snprintf(why, n,
             "persistent kernel: batch %lld and hidden %lld within profile %s's bounds, %zu bytes of local "
             "memory",
             (long long)B, (long long)r->H, s->dev->choice.name, *local_bytes);
    return true;
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
    const size_t wl = (size_t)r->G * (size_t)r->H * (size_t)r->Ho * sizeof(float);
    const size_t hl = 2 * (size_t)r->Ho * sizeof(float), tl = (size_t)(r->H ? r->H : 1) * sizeof(float);
    return OCL_LAUNCH(s, K_sq_rec_persistent, groups * wg, wg, KA_MEM(r->xg.mem), KA_MEM(w->w_hh), KA_MEM(w->b_ih),
                      KA_MEM(w->b_hh), KA_MEM(w->peep), KA_MEM(w->w_hr), KA_MEM(r->gates), KA_MEM(c->lens),
                      KA_INT(c->has_len), KA_MEM(r->h.mem), KA_MEM(r->c.mem), KA_MEM(c->y), KA_LOCAL(wl ? wl : 4),
                      KA_LOCAL(hl ? hl : 4), KA_LOCAL(tl), KA_INT(c->T), KA_INT(c->B), KA_INT(r->H), KA_INT(r->Ho),
                      KA_INT(r->D), KA_INT(c->bf), KA_INT(r->op), KA_INT(r->flags), KA_INT(c->L->a.nonlinearity));
}
