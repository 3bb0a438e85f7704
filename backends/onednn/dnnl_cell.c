/*
 * oneDNN backend: the element-wise cells of the loop engine (dnnl_rnn_loop.c)
 * — what oneDNN's RNN primitive does in its post-GEMM kernels, for one step
 * of B rows after the step matmul.
 *
 * The math runs on 16-float vectors (GCC vector extensions); each row
 * kernel is compiled for AVX-512, AVX2 and baseline x86-64 and picked at
 * load time (target_clones). exp is a range reduction to [-ln2/2, ln2/2]
 * with a degree-6 polynomial, σ(x) = 1 / (1 + e^-x), and tanh an odd
 * polynomial below |x| = 0.625 and 1 - 2 / (e^2|x| + 1) above: both within
 * 2 ulp of the correctly rounded float, NaN in, NaN out. Rows are spread
 * over the threads when a step is large enough to pay for it.
 */
#include <string.h>

#include "dnnl_rnn.h"

typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
#define VL 16
#define AI static inline __attribute__((always_inline))

/* rows are split over threads from this many elements per step */
#define DN_CELL_PAR 8192

AI vf vsplat(float x) { return (vf){0} + x; }
AI vf vsel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }

AI vf vload(const float *p, int64_t n)
{
    vf v = {0};
    memcpy(&v, p, sizeof(float) * (size_t)(n < VL ? n : VL));
    return v;
}

AI void vstore(float *p, vf v, int64_t n) { memcpy(p, &v, sizeof(float) * (size_t)(n < VL ? n : VL)); }

AI vf vexp(vf x)
{
    const vi nan = x != x;
    x = vsel(x > 88.3762626647949f, vsplat(88.3762626647949f), x);
    x = vsel(x < -87.3365447504f, vsplat(-87.3365447504f), x);
    /* n = round(x / ln 2), by truncation corrected downwards */
    const vf t = x * 1.44269504088896341f + 0.5f;
    vi n = __builtin_convertvector(t, vi);
    n += (vi)(__builtin_convertvector(n, vf) > t);
    const vf fn = __builtin_convertvector(n, vf);
    /* r = x - n ln 2, ln 2 split in two for accuracy */
    vf r = x - fn * 0.693359375f;
    r = r + fn * 2.12194440e-4f;
    vf p = vsplat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const vi scale = (n + 127) << 23; /* 2^n */
    return vsel(nan, x, p * (vf)scale);
}

AI vf vsigmoid(vf x) { return 1.0f / (1.0f + vexp(-x)); }

AI vf vtanh(vf x)
{
    const vi neg = x < 0;
    const vf ax = vsel(neg, -x, x);
    const vf z = x * x;
    vf ps = vsplat(-5.70498872745e-3f);
    ps = ps * z + 2.06390887954e-2f;
    ps = ps * z - 5.37397155531e-2f;
    ps = ps * z + 1.33314422036e-1f;
    ps = ps * z - 3.33332819422e-1f;
    ps = ps * z * x + x;
    vf pl = 1.0f - 2.0f / (vexp(ax + ax) + 1.0f);
    pl = vsel(neg, -pl, pl);
    return vsel(ax < 0.625f, ps, vsel(x != x, x, pl));
}

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* ------------------------------------------------------------ row kernels */

CLONES void dn_row_lstm(int64_t H, const float *g, const float *peep, int coupled, float *c, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        vf ai = vload(g + j, n), af = vload(g + H + j, n), ag = vload(g + 2 * H + j, n);
        vf ao = vload(g + 3 * H + j, n), cp = vload(c + j, n);
        if (peep) {
            ai += vload(peep + j, n) * cp;
            af += vload(peep + H + j, n) * cp;
        }
        const vf f = vsigmoid(af);
        const vf i = coupled ? 1.0f - f : vsigmoid(ai);
        const vf cn = f * cp + i * vtanh(ag);
        if (peep) ao += vload(peep + 2 * H + j, n) * cn;
        vstore(c + j, cn, n);
        vstore(h + j, vsigmoid(ao) * vtanh(cn), n);
    }
}

/* GRU rows r, z, n (PyTorch's order). */
CLONES void dn_row_gru_lbr(int64_t H, const float *g, const float *gh, float *h)
{
    for (int64_t j = 0; j < H; j += VL) {
        const int64_t n = H - j;
        const vf r = vsigmoid(vload(g + j, n) + vload(gh + j, n));
        const vf z = vsigmoid(vload(g + H + j, n) + vload(gh + H + j, n));
        const vf nn = vtanh(vload(g + 2 * H + j, n) + r * vload(gh + 2 * H + j, n));
        const vf hp = vload(h + j, n);
        vstore(h + j, z * hp + (1.0f - z) * nn, n);
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
        const vf a = vload(g + j, n);
        /* relu keeps NaN: a > 0 is false for NaN, a != a selects it */
        const vf y = relu ? vsel((a > 0) | (a != a), a, vsplat(0.0f)) : vtanh(a);
        vstore(h + j, y, n);
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
