/*
 * The step path (kernels/step.cl): per time step one launch of seqrt's own
 * fused kernel doing h W_hh^T and the cell (two for a projected LSTM and
 * for GRU without linear_before_reset), no CLBlast call in the step loop.
 *
 * At session creation (ocl_step_prepare) each layer gets W_hh^T (and W_hr^T)
 * uploaded, each gate's units padded to whole vectors of the profile's
 * width (SQ_VEC): interleaved by k on GPUs, so the kernels read the
 * weights coalesced, packed per work-item on CPUs (one contiguous stream
 * each: OCL_RF_PACKED), and its own kernel
 * objects: the arguments are set when the layer runs and only when a buffer
 * or size changed since the last run (ocl_step_bound), and per step only
 * the step index is set before the enqueue. h ping-pongs between r->h and
 * r->hp by the step's parity; after an odd number of steps the final h is
 * copied back into r->h, where the driver reads h_n.
 */
#include <stdio.h>
#include <string.h>

#include "ocl_recurrent.h"

enum { STEP_ARG_S = 22 }; /* the step index, the last argument of SQ_STEP_ARGS */

/* The kernels of each op in the layer's form: [0] runs first when there
 * are two. */
static void kernel_names(const ocl_rec *r, const char *names[2])
{
    const bool rows = r->step.form == OCL_STEP_ROWS;
    names[0] = names[1] = NULL;
    if (r->op == 0) {
        names[0] = rows ? "sq_lstm_rows" : "sq_lstm_step";
        if (r->flags & OCL_RF_PROJ) names[1] = rows ? "sq_lstm_proj_rows" : "sq_lstm_proj_step";
    } else if (r->op == 1) {
        if (!(r->flags & OCL_RF_LBR)) names[0] = rows ? "sq_gru_reset_rows" : "sq_gru_reset_step";
        names[1] = rows ? "sq_gru_rows" : "sq_gru_step";
    } else {
        names[0] = rows ? "sq_rnn_rows" : "sq_rnn_step";
    }
}

/* Uploads weight `which` of layer k transposed and padded, per direction:
 * [G * units, K] (row q * units + j) becomes [K][G][pad] (pad: units
 * rounded up to the vector width v, the padding zero), or packed per
 * work-item, [pad / v][K][G][v] (step.cl's sq_step_w). */
static seqrt_status upload_t(ocl_session *s, const sq_layer *L, int k, int which, size_t G, size_t units, size_t K,
                             size_t pad, bool packed, cl_mem *out)
{
    const int D = sq_dirs(L);
    const size_t each = K * G * pad;
    float *t = sq_calloc(each ? each : 1, sizeof *t);
    if (!t) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory transposing the weights of layer '%s'", L->name);
    seqrt_status st = ocl_upload(s, NULL, each * (size_t)D, out, L->name);
    for (int d = 0; !st && d < D; d++) {
        const sq_weight *w = sq_rnn_weight(L, k, d, which);
        if (!w) continue;
        if ((size_t)w->count != G * units * K) {
            st = sq_error(SEQRT_ERR_INTERNAL, "recurrent weight %s has %lld values, expected %zu", w->name,
                          (long long)w->count, G * units * K);
            break;
        }
        const float *src = w->data;
        const size_t v = (size_t)s->dev->choice.profile.vec;
        for (size_t q = 0; q < G; q++)
            for (size_t j = 0; j < units; j++)
                for (size_t i = 0; i < K; i++) {
                    const size_t at = packed ? (((j / v) * K + i) * G + q) * v + j % v : (i * G + q) * pad + j;
                    t[at] = src[(q * units + j) * K + i];
                }
        st = ocl_write(s, *out, (size_t)d * each, t, each, w->name);
    }
    sq_free(t);
    return st;
}

/* Units rounded up to the kernels' vector width (SQ_VEC, the profile's vec). */
static size_t pad_of(const ocl_session *s, int64_t units)
{
    const size_t v = (size_t)s->dev->choice.profile.vec;
    return ((size_t)units + v - 1) / v * v;
}

bool ocl_step_packed(const ocl_session *s)
{
    return s->dev->choice.vendor == OCL_GENERIC && !strcmp(s->dev->choice.arch, "cpu");
}

seqrt_status ocl_step_prepare(ocl_session *s, const sq_layer *L, ocl_rec *r, int k)
{
    ocl_rec_layer *w = &r->layers[k];
    const size_t H = (size_t)r->H, Ho = (size_t)r->Ho;
    const bool packed = (r->flags & OCL_RF_PACKED) != 0;
    seqrt_status st = SEQRT_OK;
    /* the units form reads transposed copies; the rows form the row-major
     * W_hh and W_hr the gemm path uploaded */
    if (r->step.form == OCL_STEP_UNITS) {
        st = upload_t(s, L, k, SQ_RW_HH, (size_t)r->G, H, Ho, pad_of(s, r->H), packed, &w->wt);
        if (!st && (r->flags & OCL_RF_PROJ))
            st = upload_t(s, L, k, SQ_RW_HR, 1, Ho, H, pad_of(s, r->Ho), packed, &w->wrt);
    }
    if (st) return st;
    const char *names[2];
    kernel_names(r, names);
    for (int i = 0; i < 2; i++) {
        if (!names[i]) continue;
        cl_int err;
        w->ks[i] = OCL_FAULT("clCreateKernel", (err = CL_OUT_OF_HOST_MEMORY, NULL),
                             clCreateKernel(s->dev->program, names[i], &err));
        if (err != CL_SUCCESS) {
            w->ks[i] = NULL;
            return ocl_fail(err, "clCreateKernel(%s) for layer '%s'", names[i], L->name);
        }
        OCL_CL(clGetKernelWorkGroupInfo(w->ks[i], s->dev->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof w->ks_wg[i],
                                        &w->ks_wg[i], NULL),
               "clGetKernelWorkGroupInfo(%s, CL_KERNEL_WORK_GROUP_SIZE)", names[i]);
    }
    return SEQRT_OK;
}

bool ocl_step_ready(const ocl_rec *r) { return r->nl > 0 && (r->layers[0].ks[0] || r->layers[0].ks[1]); }

void ocl_step_release(ocl_rec_layer *w)
{
    ocl_release_mem(&w->wt);
    ocl_release_mem(&w->wrt);
    for (int i = 0; i < 2; i++)
        if (w->ks[i]) {
            clReleaseKernel(w->ks[i]);
            w->ks[i] = NULL;
        }
}

/* The step kernels' arguments of a layer's run: 13 buffers, 9 ints; the
 * weights are the transposed copies (units form) or W_hh and W_hr
 * themselves (rows form, grid kernel). */
static struct ocl_step_bound args_of(const ocl_rec_run *c, cl_mem wt, cl_mem wr)
{
    const ocl_rec *r = c->r;
    const ocl_rec_layer *w = c->w;
    struct ocl_step_bound now;
    memset(&now, 0, sizeof now);
    cl_mem m[13] = {r->xg.mem, wt,       wr,        w->b_ih,  w->b_hh,     w->peep, r->gates,
                    c->lens,   r->h.mem, r->hp.mem, r->c.mem, r->htmp.mem, c->y};
    for (int j = 0; j < 13; j++) now.m[j] = m[j] ? m[j] : c->s->dummy;
    const cl_int v[9] = {c->has_len, c->T, c->B, (cl_int)r->H, (cl_int)r->Ho, r->D, c->bf, r->flags,
                         c->L->a.nonlinearity};
    memcpy(now.v, v, sizeof v);
    now.set = true;
    return now;
}

static seqrt_status set_args(cl_kernel k, const struct ocl_step_bound *a)
{
    /* argument order of SQ_STEP_ARGS: 8 buffers, has_len, 5 buffers, 8 ints, s */
    for (int j = 0; j < 13; j++) {
        const cl_uint i = (cl_uint)(j < 8 ? j : j + 1);
        OCL_CL(clSetKernelArg(k, i, sizeof(cl_mem), &a->m[j]), "clSetKernelArg(step kernel, %u)", i);
    }
    OCL_CL(clSetKernelArg(k, 8, sizeof(cl_int), &a->v[0]), "clSetKernelArg(step kernel, 8)");
    for (int j = 1; j < 9; j++)
        OCL_CL(clSetKernelArg(k, (cl_uint)(13 + j), sizeof(cl_int), &a->v[j]), "clSetKernelArg(step kernel, %d)",
               13 + j);
    return SEQRT_OK;
}

seqrt_status ocl_step_args(const ocl_rec_run *c, cl_kernel k, cl_mem wt, cl_mem wr, cl_int s)
{
    const struct ocl_step_bound a = args_of(c, wt, wr);
    seqrt_status st = set_args(k, &a);
    if (st) return st;
    OCL_CL(clSetKernelArg(k, STEP_ARG_S, sizeof s, &s), "clSetKernelArg(step kernel, step)");
    return SEQRT_OK;
}

/* Sets every argument but the step index on kernel i of the layer, unless
 * the same were set last time. */
static seqrt_status bind(const ocl_rec_run *c, ocl_rec_layer *w, int i)
{
    const bool rows = c->r->step.form == OCL_STEP_ROWS;
    const struct ocl_step_bound now = args_of(c, rows ? w->w_hh : w->wt, rows ? w->w_hr : w->wrt);
    if (!memcmp(&now, &w->bound[i], sizeof now)) return SEQRT_OK;
    seqrt_status st = set_args(w->ks[i], &now);
    if (st) return st;
    memcpy(&w->bound[i], &now, sizeof now);
    return SEQRT_OK;
}

/* Work-group size: the profile's, within the kernel's limit, halved (not
 * below 16) while there are fewer groups than compute units. */
static size_t pick_wg(const ocl_session *s, size_t items, size_t kmax)
{
    size_t wg = (size_t)s->dev->choice.profile.wg;
    if (!wg) wg = 64;
    while (wg > 1 && wg > kmax) wg /= 2;
    const size_t cus = s->dev->desc.compute_units ? s->dev->desc.compute_units : 1;
    while (wg > 16 && (items + wg - 1) / wg < cus) wg /= 2;
    return wg;
}

/* The rows form's extra arguments (after the step index): the two
 * __local buffers, U and lanes; its launch shape in *global, *wg. */
static seqrt_status bind_rows(const ocl_rec_run *c, ocl_rec_layer *w, int i, size_t *global, size_t *wg)
{
    ocl_rows_shape_t sh;
    ocl_rows_shape(c->s, c->r, i, w->ks_wg[i], &sh);
    const cl_int U = sh.U, lanes = sh.lanes;
    OCL_CL(clSetKernelArg(w->ks[i], STEP_ARG_S + 1, sh.scr_bytes, NULL), "clSetKernelArg(rows kernel, scr)");
    OCL_CL(clSetKernelArg(w->ks[i], STEP_ARG_S + 2, sh.acc_bytes, NULL), "clSetKernelArg(rows kernel, acc)");
    OCL_CL(clSetKernelArg(w->ks[i], STEP_ARG_S + 3, sizeof U, &U), "clSetKernelArg(rows kernel, U)");
    OCL_CL(clSetKernelArg(w->ks[i], STEP_ARG_S + 4, sizeof lanes, &lanes), "clSetKernelArg(rows kernel, lanes)");
    *wg = sh.wg;
    *global = sh.groups * sh.wg;
    return SEQRT_OK;
}

seqrt_status ocl_step_run(const ocl_rec_run *c, int s0, int steps)
{
    ocl_session *s = c->s;
    const ocl_rec *r = c->r;
    ocl_rec_layer *w = (ocl_rec_layer *)c->w;
    const size_t v = (size_t)s->dev->choice.profile.vec, D = (size_t)r->D;
    size_t items[2] = {D * pad_of(s, r->H) / v, D * pad_of(s, r->H) / v}, global[2], wg[2];
    if (r->op == 0) items[1] = D * pad_of(s, r->Ho) / v;
    seqrt_status st;
    for (int i = 0; i < 2; i++) {
        if (!w->ks[i]) continue;
        if ((st = bind(c, w, i))) return st;
        if (r->step.form == OCL_STEP_ROWS) {
            if ((st = bind_rows(c, w, i, &global[i], &wg[i]))) return st;
            continue;
        }
        wg[i] = pick_wg(s, items[i], w->ks_wg[i]);
        global[i] = (items[i] + wg[i] - 1) / wg[i] * wg[i];
    }
    for (cl_int t = s0; t < steps; t++)
        for (int i = 0; i < 2; i++) {
            if (!w->ks[i]) continue;
            OCL_CL(clSetKernelArg(w->ks[i], STEP_ARG_S, sizeof t, &t), "clSetKernelArg(step kernel, step)");
            OCL_CLF("clEnqueueNDRangeKernel",
                    clEnqueueNDRangeKernel(s->q, w->ks[i], 1, NULL, &global[i], &wg[i], 0, NULL, NULL),
                    "clEnqueueNDRangeKernel(step kernel of layer '%s', %zu items, work-group %zu)", c->L->name,
                    global[i], wg[i]);
        }
    /* step t wrote h into hp when t was even: after an odd count it is there */
    if (steps % 2) return ocl_copy(s, r->hp.mem, 0, r->h.mem, 0, (size_t)r->D * (size_t)c->B * (size_t)r->Ho);
    return SEQRT_OK;
}
