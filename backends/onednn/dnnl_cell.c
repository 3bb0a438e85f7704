/*
 * oneDNN backend: the element-wise cells of the loop engine (dnnl_cell.h),
 * run by the ops' steps (dnnl_lstm.c, dnnl_gru_rnn.c) — what oneDNN's RNN
 * primitive does in its post-GEMM kernels, for one step of B rows after the
 * step matmul.
 *
 * The math runs on 16-float vectors (dnnl_vec.h); each row kernel is
 * compiled for AVX-512, AVX2 and baseline x86-64 and picked at load time
 * (target_clones). Rows are spread over the threads when a step is large
 * enough to pay for it.
 */
#include <string.h>

#include "dnnl_cell.h"
#include "dnnl_vec.h"

/* rows are split over threads from this many elements per step */
#define DN_CELL_PAR 2048


/* ------------------------------------------------------------ row kernels */

CLONES void dn_row_lstm(int64_t H, const float *g, const float *peep, int coupled, float *c, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf ai = vload(g + j, n), af = vload(g + H + j, n), ag = vload(g + 2 * H + j, n);
        const vf ao = vload(g + 3 * H + j, n);
        vstore(h + j, vlstm_cell(ai, af, ag, ao, peep, H, j, n, coupled, c), n);
    }
}

/* GRU rows r, z, n (PyTorch's order). */
CLONES void dn_row_gru_lbr(int64_t H, const float *g, const float *gh, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf ar = vload(g + j, n) + vload(gh + j, n), az = vload(g + H + j, n) + vload(gh + H + j, n);
        vstore(h + j, vgru_cell(ar, az, vload(g + 2 * H + j, n), vload(gh + 2 * H + j, n), vload(h + j, n)), n);
    }
}

CLONES void dn_row_gru_ur(int64_t H, const float *g, float *gh, const float *h, float *rh)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf r = vsigmoid(vload(g + j, n) + vload(gh + j, n));
        const vf z = vsigmoid(vload(g + H + j, n) + vload(gh + H + j, n));
        vstore(gh + j, z, n);
        vstore(rh + j, r * vload(h + j, n), n);
    }
}

CLONES void dn_row_gru_o(int64_t H, const float *g, const float *go, const float *u, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf o = vtanh(vload(g + 2 * H + j, n) + vload(go + j, n));
        const vf uu = vload(u + j, n);
        vstore(h + j, uu * vload(h + j, n) + (1.0f - uu) * o, n);
    }
}

CLONES void dn_row_rnn(int64_t H, const float *g, int relu, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        vstore(h + j, vrnn_act(vload(g + j, n), relu), n);
    }
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

void dn_copy_rows(int64_t B, int64_t n, const uint8_t *active, const float *src, int64_t lds, float *dst, int64_t ldd)
{
    for (int64_t b = 0; b < B; b++)
        if (!active || active[b]) memcpy(dst + b * ldd, src + b * lds, sizeof(float) * (size_t)n);
}
