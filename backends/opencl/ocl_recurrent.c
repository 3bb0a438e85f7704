/*
 * The recurrent driver (see ocl_recurrent.h). Per layer k:
 *
 *   xg = x W_ih^T           one CLBlast GEMM, every step, both directions
 *   h, c <- h0, c0 or 0     (rows k*D .. k*D + D - 1 of the initial states)
 *   the path ocl_rec_choose picks (ocl_rec_path.c), over s < max(len):
 *     persistent kernel     one launch for all steps (small B and H), or
 *     step kernels          per step one fused launch (ocl_step.c), or
 *     gemm path, per step:  hg = h W_hh^T (GEMM batched over directions),
 *                           then the op's cell kernel(s)
 *   h_n, c_n <- h, c
 *
 * Layer k > 0 reads layer k - 1's [forward, reverse] outputs from one of two
 * ping-pong buffers; the last layer writes the op's output. With lengths,
 * output rows are zeroed first (padded steps stay 0) and the steps stop at
 * the longest sequence.
 */
#include <stdio.h>
#include <string.h>

#include "ocl_recurrent.h"
#include "seq.h"

void ocl_rec_release(void *state)
{
    ocl_rec *r = state;
    if (!r) return;
    for (int k = 0; r->layers && k < r->nl; k++) {
        ocl_rec_layer *w = &r->layers[k];
        ocl_release_mem(&w->w_ih);
        ocl_release_mem(&w->w_hh);
        ocl_release_mem(&w->b_ih);
        ocl_release_mem(&w->b_hh);
        ocl_release_mem(&w->w_hr);
        ocl_release_mem(&w->peep);
        ocl_step_release(w);
        if (w->kg) clReleaseKernel(w->kg);
    }
    ocl_release_mem(&r->gates);
    ocl_buf *bufs[] = {&r->xg, &r->hg, &r->h, &r->c, &r->htmp, &r->hp, &r->seq[0], &r->seq[1], &r->cg, &r->sync};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) ocl_buf_release(bufs[i]);
    sq_free(r->layers);
    sq_free(r);
}

/* Uploads weight `which` of every direction of layer k into one buffer,
 * each direction `each` floats apart (NULL weights stay zero). */
static seqrt_status stack(ocl_session *s, const sq_layer *L, int k, int which, size_t each, cl_mem *out)
{
    const int D = sq_dirs(L);
    seqrt_status st = ocl_upload(s, NULL, each * (size_t)D, out, L->name);
    for (int d = 0; !st && d < D; d++) {
        const sq_weight *w = sq_rnn_weight(L, k, d, which);
        if (!w) continue;
        if ((size_t)w->count != each)
            return sq_error(SEQRT_ERR_INTERNAL, "recurrent weight %s has %lld values, expected %zu", w->name,
                            (long long)w->count, each);
        st = ocl_write(s, *out, (size_t)d * each, w->data, each, w->name);
    }
    return st;
}

/* The gate table of gates.cl: per direction, function id, alpha and beta of
 * each of the op's gate functions, then clip. */
static seqrt_status upload_gates(ocl_session *s, const sq_layer *L, int D, cl_mem *out)
{
    float t[2 * OCL_GT_STRIDE] = {0};
    const int nf = L->op == SQ_OP_LSTM ? 3 : L->op == SQ_OP_GRU ? 2 : 1;
    for (int d = 0; d < D; d++) {
        float *row = t + d * OCL_GT_STRIDE;
        for (int j = 0; j < nf; j++) {
            const sq_gate_act *g = sq_gate_act_of(L, d, j);
            row[3 * j] = (float)g->fn;
            row[3 * j + 1] = (float)g->alpha;
            row[3 * j + 2] = (float)g->beta;
        }
        row[OCL_GT_STRIDE - 1] = (float)L->a.clip;
    }
    return ocl_upload(s, t, (size_t)D * OCL_GT_STRIDE, out, L->name);
}

seqrt_status ocl_rec_prepare(void *session, const sq_layer *L, void **state)
{
    ocl_session *s = session;
    ocl_rec_mode mode;
    seqrt_status st = ocl_rec_mode_get(&mode);
    if (st) return st;
    ocl_rec *r = sq_calloc(1, sizeof *r);
    if (!r) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    r->nl = (int)L->a.num_layers;
    r->D = sq_dirs(L);
    r->G = sq_gates(L);
    r->op = L->op == SQ_OP_LSTM ? 0 : L->op == SQ_OP_GRU ? 1 : 2;
    r->H = L->a.hidden_size;
    r->Ho = sq_h_out(L);
    const bool lstm = L->op == SQ_OP_LSTM;
    r->flags = (L->a.bias ? OCL_RF_BIAS : 0) | (lstm && L->a.coupled ? OCL_RF_COUPLED : 0) |
               (lstm && L->a.proj_size > 0 ? OCL_RF_PROJ : 0) | (lstm && L->a.peephole ? OCL_RF_PEEP : 0) |
               (L->op == SQ_OP_GRU && L->a.linear_before_reset ? OCL_RF_LBR : 0) |
               (!L->a.default_acts || L->a.clip > 0 ? OCL_RF_GATES : 0) |
               (L->a.direction == SQ_DIR_REVERSE ? OCL_RF_REV0 : 0) | (lstm && L->a.input_forget ? OCL_RF_IFORGET : 0) |
               (ocl_step_packed(s) ? OCL_RF_PACKED : 0);
    *state = r;
    if ((st = ocl_step_form_get(s, &r->step)) || (st = ocl_grid_cfg_get(s, &r->grid))) return st;
    if ((r->flags & OCL_RF_GATES) && (st = upload_gates(s, L, r->D, &r->gates))) return st;
    r->layers = sq_calloc((size_t)r->nl, sizeof *r->layers);
    if (!r->layers) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    const size_t GH = (size_t)r->G * (size_t)r->H, H = (size_t)r->H, Ho = (size_t)r->Ho;
    for (int k = 0; k < r->nl; k++) {
        ocl_rec_layer *w = &r->layers[k];
        w->in = k == 0 ? L->a.input_size : r->D * r->Ho;
        if ((st = stack(s, L, k, SQ_RW_IH, GH * (size_t)w->in, &w->w_ih)) ||
            (st = stack(s, L, k, SQ_RW_HH, GH * Ho, &w->w_hh)))
            return st;
        if (L->a.bias &&
            ((st = stack(s, L, k, SQ_RB_IH, GH, &w->b_ih)) || (st = stack(s, L, k, SQ_RB_HH, GH, &w->b_hh))))
            return st;
        if ((r->flags & OCL_RF_PROJ) && (st = stack(s, L, k, SQ_RW_HR, Ho * H, &w->w_hr))) return st;
        if (r->flags & OCL_RF_PEEP) {
            if ((st = ocl_upload(s, NULL, (size_t)r->D * 3 * H, &w->peep, L->name))) return st;
            for (int d = 0; d < r->D; d++)
                for (int q = 0; q < 3; q++) {
                    const sq_weight *p = sq_rnn_weight(L, k, d, SQ_RW_PI + q);
                    if (p && (st = ocl_write(s, w->peep, ((size_t)d * 3 + (size_t)q) * H, p->data, H, p->name)))
                        return st;
                }
        }
        /* the step path's transposed weights, unless a forced mode rules it out */
        if (mode != OCL_MODE_GEMM && (st = ocl_step_prepare(s, L, r, k))) return st;
        /* the grid kernel where it may run (the step kernels are its fallback) */
        const bool grid = mode == OCL_MODE_GRID || (mode == OCL_MODE_AUTO && s->dev->choice.profile.grid_max_batch > 0);
        if (grid && (st = ocl_grid_prepare(s, L, r, k))) return st;
    }
    return SEQRT_OK;
}

seqrt_status ocl_rec_hh_gemm(const ocl_rec_run *c, cl_mem h, int64_t width, int64_t row0, int64_t rows)
{
    const ocl_rec *r = c->r;
    const size_t GH = (size_t)r->G * (size_t)r->H, B = (size_t)c->B, W = (size_t)width;
    ocl_gemm g = {false,        true,        B,          (size_t)rows, W,     1.0f,
                     0.0f,         h,           c->w->w_hh, r->hg.mem,    0,     (size_t)row0 * W,
                     (size_t)row0, W,           W,          GH,           B * W, GH * (size_t)r->Ho,
                     B * GH,       (size_t)r->D};
    /* every caller's width equals H_out: W_hh rows are `width` long */
    return ocl_gemm_run(c->s, &g);
}

static seqrt_status reserve(ocl_session *s, ocl_buf *b, int64_t count, const char *what)
{
    return ocl_buf_reserve(s, b, (size_t)count * sizeof(float), what);
}

seqrt_status ocl_rec_execute(ocl_session *s, const sq_op_args *a, ocl_rec *r, ocl_step_fn step)
{
    const sq_layer *L = a->layer;
    const bool bf = a->batch_first;
    const sq_view *xs = a->in[SQ_SLOT_X];
    const int64_t T = sq_seq_T(xs, bf), B = sq_seq_B(xs, bf);
    const int D = r->D;
    const int64_t GH = (int64_t)r->G * r->H, F = D * r->Ho, rows = T * B;
    seqrt_status st;
    if ((st = ocl_check_int(L, rows * D * GH, "the input projection size")) ||
        (st = ocl_check_int(L, rows * F, "the sequence size")))
        return st;
    if ((st = reserve(s, &r->xg, rows * D * GH, "input projections")) ||
        (st = reserve(s, &r->hg, D * B * GH, "recurrent projections")) ||
        (st = reserve(s, &r->h, D * B * r->Ho, "h")) || (st = reserve(s, &r->c, D * B * r->H, "c")) ||
        (st = reserve(s, &r->htmp, D * B * r->H, "h before projection")) ||
        (st = reserve(s, &r->hp, D * B * r->Ho, "projected h")))
        return st;
    for (int i = 0; i < 2 && i < r->nl - 1; i++)
        if ((st = reserve(s, &r->seq[i], rows * F, "inter-layer sequence"))) return st;

    const int32_t *hl = ocl_host_lengths(s, L);
    int64_t steps = T;
    if (hl) {
        steps = 0;
        for (int64_t b = 0; b < B; b++) {
            const int64_t n = sq_valid_len(hl, b, T);
            steps = n > steps ? n : steps;
        }
    }
    const bool lstm = L->op == SQ_OP_LSTM;
    cl_mem h0 = ocl_mem(a->in[SQ_SLOT_H0]), c0 = lstm ? ocl_mem(a->in[SQ_SLOT_C0]) : NULL;
    cl_mem hn = ocl_mem(a->out[SQ_OUT_H_N]), cn = lstm ? ocl_mem(a->out[SQ_OUT_C_N]) : NULL;
    ocl_rec_run c = {s, L, r, NULL, NULL, ocl_mem(a->in[SQ_SLOT_LENGTHS]), 0, (int)T, (int)B, bf};
    c.has_len = c.lens != NULL;
    ocl_rec_mode mode;
    if ((st = ocl_rec_mode_get(&mode))) return st;
    char why[640];
    ocl_rec_path path = ocl_rec_choose(s, r, mode, B, why, sizeof why);
    if (path == OCL_PATH_STEP && !ocl_step_ready(r)) {
        /* prepared under SEQRT_OPENCL_RECURRENT=gemm, run under another */
        path = OCL_PATH_GEMM;
        snprintf(why, sizeof why, "gemm path: the session was created with SEQRT_OPENCL_RECURRENT=gemm");
    }
    sq_log(SQ_LOG_DEBUG, "opencl: layer '%s': %s", L->name, why);
    if (path == OCL_PATH_GRID &&
        ((st = reserve(s, &r->cg, D * B * r->H, "the grid kernel's c")) || (st = reserve(s, &r->sync, 5, "a barrier"))))
        return st;

    const size_t state_h = (size_t)(D * B * r->Ho), state_c = (size_t)(D * B * r->H);
    for (int k = 0; k < r->nl; k++) {
        c.w = &r->layers[k];
        cl_mem src = k == 0 ? ocl_mem(xs) : r->seq[(k - 1) % 2].mem;
        c.y = k == r->nl - 1 ? ocl_mem(a->out[SQ_OUT_MAIN]) : r->seq[k % 2].mem;
        const size_t in = (size_t)c.w->in;
        ocl_gemm g = {false, true, (size_t)rows, (size_t)(D * GH), in, 1.0f, 0.0f, src, c.w->w_ih, r->xg.mem, 0, 0,
                         0,     in,   in,           (size_t)(D * GH), 0,  0,    0,    1};
        if ((st = ocl_gemm_run(s, &g))) return st;
        if (hl && (st = ocl_zero(s, c.y, 0, (size_t)(rows * F)))) return st;
        st = h0 ? ocl_copy(s, h0, (size_t)k * state_h, r->h.mem, 0, state_h) : ocl_zero(s, r->h.mem, 0, state_h);
        if (st) return st;
        /* gemm and step paths, projected, lengths: the projection (a GEMM,
         * or the step kernels' W_hr product, which the rows form sums in
         * local memory) reads every row of htmp, also those of entries that
         * have not run (yet): give them defined values (their results are
         * never stored) */
        if (path != OCL_PATH_PERSISTENT && (r->flags & OCL_RF_PROJ) && hl &&
            (st = ocl_zero(s, r->htmp.mem, 0, state_c)))
            return st;
        if (L->op == SQ_OP_LSTM) {
            st = c0 ? ocl_copy(s, c0, (size_t)k * state_c, r->c.mem, 0, state_c)
                    : ocl_zero(s, r->c.mem, 0, state_c);
            if (st) return st;
        }
        if (path == OCL_PATH_PERSISTENT) {
            if ((st = ocl_persistent_run(&c))) return st;
        } else if (path == OCL_PATH_GRID) {
            /* the steps the grid kernel did not complete (it gave up at a
             * barrier: logged) run on the step kernels */
            int done = 0;
            if ((st = ocl_grid_run(&c, (int)steps, &done))) return st;
            if (done < steps && (st = ocl_step_run(&c, done, (int)steps))) return st;
        } else if (path == OCL_PATH_STEP) {
            if ((st = ocl_step_run(&c, 0, (int)steps))) return st;
        } else {
            for (int64_t t = 0; t < steps; t++)
                if ((st = step(&c, (int)t))) return st;
        }
        if (hn && (st = ocl_copy(s, r->h.mem, 0, hn, (size_t)k * state_h, state_h))) return st;
        if (cn && (st = ocl_copy(s, r->c.mem, 0, cn, (size_t)k * state_c, state_c))) return st;
    }
    return SEQRT_OK;
}
