/*
 * The two forms of the step kernels (ocl_step.c runs them) and the rows
 * form's launch shape.
 *
 *   units (kernels/step.cl): a work-item owns `vec` consecutive units of
 *       one direction and loops over all of K; the weights transposed at
 *       session creation. The CPU form: PoCL runs a work-item's vector as
 *       SIMD and the work-items of a group one after the other.
 *   rows (kernels/step_rows.cl): a work-group owns U units of one direction
 *       with all their gates, `lanes` work-items per row of W_hh split K
 *       (coalesced reads of the row-major W_hh the gemm path uploads), the
 *       partial sums reduced in local memory. The GPU form: a B=1 step
 *       spreads over every compute unit.
 *
 * The profile chooses (step_form, rows_wg, rows_lanes, rows_units;
 * ocl_profiles.c); at session creation SEQRT_OPENCL_STEP_FORM=units|rows
 * forces a form and SEQRT_OPENCL_STEP_ROWS_WG, _LANES, _UNITS override the
 * rows form's parameters (a GPU run sweeps them without a rebuild). A bad
 * value is an error naming the valid ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocl_recurrent.h"

static bool pow2(long v) { return v > 0 && (v & (v - 1)) == 0; }

seqrt_status ocl_env_int(const char *name, long lo, long hi, bool p2, long *out)
{
    const char *e = getenv(name);
    if (!e || !*e) return SEQRT_OK;
    char *end;
    errno = 0;
    const long v = strtol(e, &end, 10);
    if (errno || *end || v < lo || v > hi || (p2 && !pow2(v)))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s='%s' is not %s in [%ld, %ld]", name, e,
                        p2 ? "a power of two" : "an integer", lo, hi);
    *out = v;
    return SEQRT_OK;
}

/* ocl_env_int into an int. */
static seqrt_status env_int(const char *name, long lo, long hi, bool p2, int *out)
{
    long v = *out;
    seqrt_status st = ocl_env_int(name, lo, hi, p2, &v);
    *out = (int)v;
    return st;
}

seqrt_status ocl_step_form_get(const ocl_session *s, ocl_step_cfg *out)
{
    const ocl_profile *p = &s->dev->choice.profile;
    out->form = p->step_form;
    out->wg = p->rows_wg;
    out->lanes = p->rows_lanes;
    out->units = p->rows_units;
    out->forced = false;
    const char *e = getenv("SEQRT_OPENCL_STEP_FORM");
    if (e && *e && strcmp(e, "auto")) {
        if (!strcmp(e, "units")) out->form = OCL_STEP_UNITS;
        else if (!strcmp(e, "rows")) out->form = OCL_STEP_ROWS;
        else
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "SEQRT_OPENCL_STEP_FORM='%s' is not one of auto, units, rows",
                            e);
        out->forced = true;
    }
    seqrt_status st;
    if ((st = env_int("SEQRT_OPENCL_STEP_ROWS_WG", 1, 1024, true, &out->wg)) ||
        (st = env_int("SEQRT_OPENCL_STEP_ROWS_LANES", 1, 1024, true, &out->lanes)) ||
        (st = env_int("SEQRT_OPENCL_STEP_ROWS_UNITS", 1, 64, false, &out->units)))
        return st;
    if (out->lanes > out->wg)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "the step kernels' rows form needs lanes (%d, SEQRT_OPENCL_STEP_ROWS_LANES) <= work-group "
                        "(%d, SEQRT_OPENCL_STEP_ROWS_WG)",
                        out->lanes, out->wg);
    return SEQRT_OK;
}

const char *ocl_step_form_name(int form) { return form == OCL_STEP_ROWS ? "rows" : "units"; }

/* Rows of W (per unit) that kernel i of the layer sums: LSTM 4 (its
 * projection 1), GRU without linear_before_reset 1 (r) then 2 (z, n), with
 * it 3, RNN 1. */
static int rows_per_unit(const ocl_rec *r, int i)
{
    if (r->op == 0) return i == 0 ? 4 : 1;
    if (r->op == 1) return i == 0 ? 1 : ((r->flags & OCL_RF_LBR) ? 3 : 2);
    return 1;
}

void ocl_rows_shape(const ocl_session *s, const ocl_rec *r, int i, size_t kmax, ocl_rows_shape_t *out)
{
    const ocl_step_cfg *cfg = &r->step;
    size_t wg = (size_t)cfg->wg;
    while (wg > 1 && wg > kmax) wg /= 2;
    size_t lanes = (size_t)cfg->lanes;
    if (lanes > wg) lanes = wg;
    /* the same rows per group in every kernel of the op: U units of the
     * op's G gates, so U * G / (this kernel's rows per unit) units here */
    const int per = rows_per_unit(r, i);
    int U = cfg->units * r->G / per;
    if (U < 1) U = 1;
    const int64_t W = (r->op == 0 && i == 1) ? r->Ho : r->H;
    /* fewer units per group while the groups do not cover the compute units */
    const size_t cus = s->dev->desc.compute_units ? s->dev->desc.compute_units : 1;
    while (U > 1 && (size_t)r->D * (size_t)((W + U - 1) / U) < cus) U /= 2;
    out->wg = wg;
    out->lanes = (int)lanes;
    out->U = U;
    out->groups = (size_t)r->D * (size_t)((W + U - 1) / U);
    out->scr_bytes = wg * 8 * sizeof(float);                      /* SQ_STEP_NB partial sums per work-item */
    out->acc_bytes = (size_t)per * (size_t)U * 8 * sizeof(float); /* SQ_STEP_NB sums per row */
}
