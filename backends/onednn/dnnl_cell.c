/*
 * oneDNN backend: the element-wise cells of the loop engine (dnnl_cell.h),
 * run by the ops' steps (dnnl_lstm.c, dnnl_gru_rnn.c) — what oneDNN's RNN
 * primitive does in its post-GEMM kernels, for one step of B rows after the
 * step matmul.
 *
 * The math runs on vectors of one register (dnnl_vec.h): this file is
 * compiled once per ISA (AVX-512, AVX2, baseline; dnnl_kern.h), its public
 * names suffixed (dnnl_kern_names.h), and dnnl_kern.c calls the build the
 * process chose. Rows are spread over the threads when a step is large
 * enough to pay for it.
 *
 * The generic cells (the *_gen rows) take the direction's gate functions
 * in float on the same vectors — sigmoid and tanh as the op's own cells,
 * the piecewise-linear functions, scaledtanh and softsign exactly as
 * api/gate_fn.h writes them — except elu and softplus, which go lane by
 * lane through gate_fn.h's double evaluation (expm1/log1p accuracy near 0).
 */
#include "dnnl_kern_names.h"

#include <string.h>

#include "dnnl_cell.h"
#include "dnnl_vec.h"
#include "gate_fn.h"

/* rows are split over threads from this many elements per step */
#define DN_CELL_PAR 2048


/* ------------------------------------------------------------ row kernels */

static void dn_row_lstm(int64_t H, const float *g, const float *peep, int coupled, float *c, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf ai = vload(g + j, n), af = vload(g + H + j, n), ag = vload(g + 2 * H + j, n);
        const vf ao = vload(g + 3 * H + j, n);
        vstore(h + j, vlstm_cell(ai, af, ag, ao, peep, H, j, n, coupled, c), n);
    }
}

/* GRU rows r, z, n (PyTorch's order). */
static void dn_row_gru_lbr(int64_t H, const float *g, const float *gh, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf ar = vload(g + j, n) + vload(gh + j, n), az = vload(g + H + j, n) + vload(gh + H + j, n);
        vstore(h + j, vgru_cell(ar, az, vload(g + 2 * H + j, n), vload(gh + 2 * H + j, n), vload(h + j, n)), n);
    }
}

static void dn_row_gru_ur(int64_t H, const float *g, float *gh, const float *h, float *rh)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf r = vsigmoid(vload(g + j, n) + vload(gh + j, n));
        const vf z = vsigmoid(vload(g + H + j, n) + vload(gh + H + j, n));
        vstore(gh + j, z, n);
        vstore(rh + j, r * vload(h + j, n), n);
    }
}

static void dn_row_gru_o(int64_t H, const float *g, const float *go, const float *u, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf o = vtanh(vload(g + 2 * H + j, n) + vload(go + j, n));
        const vf uu = vload(u + j, n);
        vstore(h + j, uu * vload(h + j, n) + (1.0f - uu) * o, n);
    }
}

static void dn_row_rnn(int64_t H, const float *g, int relu, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        vstore(h + j, vrnn_act(vload(g + j, n), relu), n);
    }
}

/* ------------------------------------------------------------ generic row kernels */

/* clip > 0 bounds x to [-clip, clip]; NaN stays NaN (sq_gate_clip). */
AI vf vclip(vf x, float clip)
{
    if (!(clip > 0)) return x;
    x = vsel(x > clip, vsplat(clip), x);
    return vsel(x < -clip, vsplat(-clip), x);
}

/* Gate function g of clip(x) (api/gate_fn.h's equations). */
AI vf vgate(const sq_gate_act *g, float clip, vf x)
{
    const float a = (float)g->alpha, b = (float)g->beta;
    x = vclip(x, clip);
    switch (g->fn) {
    case SQ_GF_SIGMOID: return vsigmoid(x);
    case SQ_GF_TANH: return vtanh(x);
    case SQ_GF_RELU: return vrnn_act(x, 1);
    case SQ_GF_AFFINE: return a * x + b;
    case SQ_GF_LEAKY_RELU: return vsel(x >= 0, x, a * x);
    case SQ_GF_THRESHOLDED_RELU: return vsel((x > a) | (x != x), x, vsplat(0.0f));
    case SQ_GF_SCALED_TANH: return a * vtanh(b * x);
    case SQ_GF_HARD_SIGMOID: {
        const vf y = a * x + b;
        return vsel(y < 0, vsplat(0.0f), vsel(y > 1, vsplat(1.0f), y));
    }
    case SQ_GF_SOFTSIGN: return x / (1.0f + vsel(x < 0, -x, x));
    default: { /* elu, softplus */
        vf y;
        for (int l = 0; l < VL; l++) y[l] = (float)sq_gate_fn_eval(g, (double)x[l]);
        return y;
    }
    }
}

static void dn_row_lstm_gen(int64_t H, const float *g, const float *peep, const dn_gen *q, float *c, float *h)
{
    const sq_gate_act *fa = &q->act[0], *ga = &q->act[1], *ha = &q->act[2];
    const float k = q->clip;
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf cp = vload(c + j, n);
        vf ai = vload(g + j, n), af = vload(g + H + j, n), ao = vload(g + 3 * H + j, n);
        if (peep) {
            ai += vload(peep + j, n) * cp;
            af += vload(peep + H + j, n) * cp;
        }
        vf i, f;
        if (q->input_forget) {
            i = vgate(fa, k, ai);
            f = 1.0f - i;
        } else {
            f = vgate(fa, k, af);
            i = q->coupled ? 1.0f - f : vgate(fa, k, ai);
        }
        const vf cn = f * cp + i * vgate(ga, k, vload(g + 2 * H + j, n));
        if (peep) ao += vload(peep + 2 * H + j, n) * cn;
        vstore(c + j, cn, n);
        vstore(h + j, vgate(fa, k, ao) * vgate(ha, 0.0f, cn), n); /* h(c_t) is not clipped */
    }
}

static void dn_row_gru_lbr_gen(int64_t H, const float *g, const float *gh, const dn_gen *q, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf r = vgate(&q->act[0], q->clip, vload(g + j, n) + vload(gh + j, n));
        const vf z = vgate(&q->act[0], q->clip, vload(g + H + j, n) + vload(gh + H + j, n));
        const vf nn = vgate(&q->act[1], q->clip, vload(g + 2 * H + j, n) + r * vload(gh + 2 * H + j, n));
        vstore(h + j, (1.0f - z) * nn + z * vload(h + j, n), n);
    }
}

static void dn_row_gru_ur_gen(int64_t H, const float *g, float *gh, const float *h, const dn_gen *q, float *rh)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf r = vgate(&q->act[0], q->clip, vload(g + j, n) + vload(gh + j, n));
        vstore(gh + j, vgate(&q->act[0], q->clip, vload(g + H + j, n) + vload(gh + H + j, n)), n);
        vstore(rh + j, r * vload(h + j, n), n);
    }
}

static void dn_row_gru_o_gen(int64_t H, const float *g, const float *go, const float *u, const dn_gen *q, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf o = vgate(&q->act[1], q->clip, vload(g + 2 * H + j, n) + vload(go + j, n));
        const vf z = vload(u + j, n);
        vstore(h + j, (1.0f - z) * o + z * vload(h + j, n), n);
    }
}

static void dn_row_rnn_gen(int64_t H, const float *g, const dn_gen *q, float *h)
{
    for (int64_t j = 0; j < H; j += VL) vstore(h + j, vgate(&q->act[0], q->clip, vload(g + j, H - j)), H - j);
}

/* ------------------------------------------------------------ cells */

#define ROWS(B, H, body)                                                              \
    do {                                                                              \
        _Pragma("omp parallel for schedule(static) if ((B) * (H) >= DN_CELL_PAR)")   \
        for (int64_t b = 0; b < (B); b++) {                                           \
            if (active && !active[b]) continue;                                       \
            body;                                                                     \
        }                                                                             \
    } while (0)

void dn_cell_lstm(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *peep, bool coupled,
                  float *c, float *h, int64_t ldh)
{
    ROWS(B, H, dn_row_lstm(H, g + b * 4 * H, peep, coupled, c + b * H, h + b * ldh));
}

void dn_cell_gru_lbr(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *gh, float *h)
{
    ROWS(B, H, dn_row_gru_lbr(H, g + b * 3 * H, gh + b * 3 * H, h + b * H));
}

void dn_cell_gru_ur(int64_t B, int64_t H, const uint8_t *active, const float *g, float *gh, const float *h, float *rh)
{
    ROWS(B, H, dn_row_gru_ur(H, g + b * 3 * H, gh + b * 2 * H, h + b * H, rh + b * H));
}

void dn_cell_gru_o(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *go, const float *u,
                   float *h)
{
    ROWS(B, H, dn_row_gru_o(H, g + b * 3 * H, go + b * H, u + b * 2 * H, h + b * H));
}

void dn_cell_rnn(int64_t B, int64_t H, const uint8_t *active, const float *g, bool relu, float *h)
{
    ROWS(B, H, dn_row_rnn(H, g + b * H, relu, h + b * H));
}

void dn_cell_lstm_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *peep, const dn_gen *q,
                      float *c, float *h, int64_t ldh)
{
    ROWS(B, H, dn_row_lstm_gen(H, g + b * 4 * H, peep, q, c + b * H, h + b * ldh));
}

void dn_cell_gru_lbr_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *gh, const dn_gen *q,
                         float *h)
{
    ROWS(B, H, dn_row_gru_lbr_gen(H, g + b * 3 * H, gh + b * 3 * H, q, h + b * H));
}

void dn_cell_gru_ur_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, float *gh, const float *h,
                        const dn_gen *q, float *rh)
{
    ROWS(B, H, dn_row_gru_ur_gen(H, g + b * 3 * H, gh + b * 2 * H, h + b * H, q, rh + b * H));
}

void dn_cell_gru_o_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *go, const float *u,
                       const dn_gen *q, float *h)
{
    ROWS(B, H, dn_row_gru_o_gen(H, g + b * 3 * H, go + b * H, u + b * 2 * H, q, h + b * H));
}

void dn_cell_rnn_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const dn_gen *q, float *h)
{
    ROWS(B, H, dn_row_rnn_gen(H, g + b * H, q, h + b * H));
}
