/*
 * oneDNN backend: the int8 kernels of one ISA build (dnnl_q8.h; compiled
 * per ISA like dnnl_rnn_small.c, and with -ffp-contract=off: the design's
 * float operations one by one). Two variants share dnnl_q8_body.h:
 *
 *  - vnni (the AVX-512 build, where the CPU has AVX512_VNNI): groups of 4
 *    inputs; for each of 16 rows the 4 codes times the row's 4 int8
 *    weights summed into its int32 lane by one vpdpbusd (u8 x s8, no
 *    saturation: 4 * 255 * 128 fits 17 bits);
 *  - widen (every build; SEQRT_ONEDNN_DOT=widen forces it): on x86 groups
 *    of 2 inputs, the weights sign-extended to int16 and vpmaddwd with the
 *    two codes (SSE2/AVX2: exact, no saturation, unlike vpmaddubsw);
 *    elsewhere groups of 1, the weights widened to int32 times the code.
 *
 * The packed matrix: for block u of VL rows r = u*VL + l of each gate g
 * (row g * rows + r of the matrix) and group kg of KG inputs, the KG codes
 * of each row, row after row: p[((u * nkg + kg) * G + g) * VL*KG + l*KG + i]
 * = q[(g * rows + r) * K + kg * KG + i]; rows past `rows` and inputs past
 * K are 0.
 */
#include "dnnl_kern_names.h"

#include <string.h>
#ifdef DN_KERN_X86
#include <immintrin.h>
#endif

#include "dnnl_q8.h"
#include "dnnl_team.h"
#include "dnnl_vec.h"

/* Hidden units per team member below which another member costs more (a
 * barrier per step) than it saves (as dnnl_rnn_small.c). */
#define Q8_UNITS_PER_THREAD 64

typedef int8_t vb8 __attribute__((vector_size(VL)));
typedef uint8_t vu8 __attribute__((vector_size(VL)));

AI vi vloadi(const int32_t *p, int64_t n)
{
    vi v = {0};
    memcpy(&v, p, sizeof(int32_t) * (size_t)(n < VL ? n : VL));
    return v;
}

/* [lo, hi] widened by x [n] (NaN ignored: a comparison with NaN is false). */
AI void q8_range(const float *x, int64_t n, float *lo, float *hi)
{
    vf l = vsplat(*lo), h = vsplat(*hi);
    for (int64_t i = 0; i < n; i += VL) {
        const vf v = vload(x + i, n - i); /* the tail's missing lanes are 0, inside [lo, hi] */
        l = vsel(v < l, v, l);
        h = vsel(v > h, v, h);
    }
    for (int i = 0; i < VL; i++) {
        if (l[i] < *lo) *lo = l[i];
        if (h[i] > *hi) *hi = h[i];
    }
}

/* rint for |v| <= 2^22 (round to nearest even in the default mode). */
AI vf q8_rint(vf v)
{
    const vf big = vsplat(12582912.0f); /* 1.5 * 2^23 */
    return (v + big) - big;
}

/* The codes of x [n] (quantization.md step 3) into xq. The value rounded
 * is clamped to ±1024 first (what is beyond clamps to 0 or 255 anyway). */
AI void q8_codes(const float *x, int64_t n, const dn_q8_in *p, uint8_t *xq)
{
    const vf inv = vsplat(p->inv), zf = vsplat((float)p->z), lim = vsplat(1024.0f);
    for (int64_t i = 0; i < n; i += VL) {
        const vf v = vload(x + i, n - i);
        vf c;
        if (p->qnnpack) {
            vf t = v * inv;
            t = vsel(t > lim, lim, vsel(t < -lim, -lim, t));
            c = q8_rint(t) + zf;
        } else {
            vf t = v * inv;
            t = t + zf;
            t = vsel(t > lim, lim, vsel(t < -lim, -lim, t));
            c = q8_rint(t);
        }
        c = vsel(c < 0.0f, vsplat(0.0f), vsel(c > 255.0f, vsplat(255.0f), c));
        c = vsel(c != c, vsplat(0.0f), c); /* NaN: code 0 (the reference's cast of NaN is undefined) */
        const vu8 b = __builtin_convertvector(__builtin_convertvector(c, vi), vu8);
        memcpy(xq + i, &b, (size_t)(n - i < VL ? n - i : VL));
    }
}

/* ------------------------------------------------------------ σ and tanh */

/* σ and tanh as the reference computes them (reference/ref_quant_rnn.c):
 * in double, rounded once to float. A 1-ulp difference in h can move a
 * code of the next step's input across a rounding boundary, and that
 * moves outputs by 1e-3 (quantization.md, Tolerance); with the double
 * evaluations below (relative error about 1e-15) the float results equal
 * the correctly rounded ones except within that distance of a midpoint,
 * so this backend reproduces the reference's codes. VL floats are
 * evaluated as two vectors of VL/2 doubles. */
typedef double vd __attribute__((vector_size(VL * 4)));
typedef int64_t vl64 __attribute__((vector_size(VL * 4)));
typedef float vfh __attribute__((vector_size(VL * 2)));

AI vd vdsplat(double x) { return (vd){0} + x; }
AI vd vdsel(vl64 m, vd a, vd b) { return (vd)(((vl64)a & m) | ((vl64)b & ~m)); }

/* exp(x) for x in [-700, 700] (clamped): x = n ln2 + r, |r| <= ln2/2,
 * e^r by its Taylor series to r^13 / 13! (error < 2e-16), 2^n from n's
 * bits. */
AI vd q8_dexp(vd x)
{
    x = vdsel(x > 700.0, vdsplat(700.0), vdsel(x < -700.0, vdsplat(-700.0), x));
    const vd magic = vdsplat(6755399441055744.0); /* 1.5 * 2^52: adding it rounds to an integer */
    const vd t = x * 1.4426950408889634 + magic;
    const vd n = t - magic;
    const vd r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
    vd p = vdsplat(1.0 / 6227020800.0);
    static const double c[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
                               1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,     1.0 / 120.0,
                               1.0 / 24.0,        1.0 / 6.0,        0.5,             1.0,
                               1.0};
    for (int i = 0; i < 13; i++) p = p * r + c[i];
    const vl64 nb = (vl64)t - (vl64)magic; /* n, exactly */
    return p * (vd)((nb + 1023) << 52);
}

/* expm1(y) for 0 <= y < 1: its Taylor series to y^17 / 17!. */
AI vd q8_dexpm1(vd y)
{
    vd p = vdsplat(1.0);
    for (int k = 17; k >= 2; k--) p = p * (y * (1.0 / k)) + 1.0;
    return p * y;
}

AI vd q8_dsigmoid(vd a) { return 1.0 / (1.0 + q8_dexp(-a)); }

AI vd q8_dtanh(vd x)
{
    const vl64 neg = x < 0.0;
    vd ax = vdsel(neg, -x, x);
    ax = vdsel(ax > 20.0, vdsplat(20.0), ax); /* tanh = 1 in double beyond */
    const vd y = ax + ax;
    const vd em = q8_dexpm1(vdsel(y < 1.0, y, vdsplat(0.0)));
    const vd small = em / (em + 2.0);
    const vd large = 1.0 - 2.0 / (q8_dexp(y) + 1.0);
    const vd t = vdsel(y < 1.0, small, large);
    return vdsel(neg, -t, t);
}

/* fn over the VL floats of v, in double, each result rounded once. */
#define Q8_EXACT(fn, v)                                                                  \
    ({                                                                                   \
        vfh lo_, hi_;                                                                    \
        const vf v_ = (v);                                                               \
        memcpy(&lo_, &v_, sizeof lo_);                                                   \
        memcpy(&hi_, (const char *)&v_ + sizeof lo_, sizeof hi_);                        \
        const vfh rlo_ = __builtin_convertvector(fn(__builtin_convertvector(lo_, vd)), vfh); \
        const vfh rhi_ = __builtin_convertvector(fn(__builtin_convertvector(hi_, vd)), vfh); \
        vf r_;                                                                           \
        memcpy(&r_, &rlo_, sizeof rlo_);                                                 \
        memcpy((char *)&r_ + sizeof rlo_, &rhi_, sizeof rhi_);                           \
        vsel(v_ != v_, v_, r_); /* NaN in, NaN out */                                    \
    })
#define q8_sigmoid(v) Q8_EXACT(q8_dsigmoid, v)
#define q8_tanh(v) Q8_EXACT(q8_dtanh, v)

static seqrt_status q8_pack(const int8_t *q, dn_q8_mat *m, int kg_n)
{
    const int64_t rows = m->rows, K = m->K, G = m->G;
    m->Kp = (K + kg_n - 1) / kg_n * kg_n;
    const int64_t nu = (rows + VL - 1) / VL, nkg = m->Kp / kg_n;
    const size_t bytes = (size_t)(nu * nkg * G * VL * kg_n);
    int8_t *p = sq_aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory packing an int8 matrix (%zu bytes)", bytes);
    memset(p, 0, (bytes + 63) / 64 * 64);
    for (int64_t u = 0; u < nu; u++)
        for (int64_t g = 0; g < G; g++)
            for (int l = 0; l < VL && u * VL + l < rows; l++) {
                const int8_t *src = q + (g * rows + u * VL + l) * K;
                for (int64_t k = 0; k < K; k++)
                    p[((u * nkg + k / kg_n) * G + g) * VL * kg_n + l * kg_n + k % kg_n] = src[k];
            }
    m->p = p;
    return SEQRT_OK;
}

/* ------------------------------------------------------------ widen */

#define Q8V(n) n##_widen
#define Q8_ATTR
#ifdef DN_KERN_X86
/* groups of 2 inputs: a row's two int8 weights sign-extended to int16 in
 * its 32-bit lane, pmaddwd with the two codes (x0 | x1 << 16): the lane's
 * x0 w0 + x1 w1, exact (|x w| <= 32640). AVX-512 runs it as two AVX2
 * halves (vpmaddwd on zmm needs AVX512BW). */
#define Q8_KG 2
typedef int8_t vb2 __attribute__((vector_size(VL * 2), aligned(1), may_alias));
typedef int16_t vs2 __attribute__((vector_size(VL * 4)));
AI vi q8_madd(vi w, vi x)
{
#if VL == 16
    __m256i wl, wh, xl, xh;
    memcpy(&wl, &w, 32);
    memcpy(&wh, (const char *)&w + 32, 32);
    memcpy(&xl, &x, 32);
    memcpy(&xh, (const char *)&x + 32, 32);
    const __m256i rl = _mm256_madd_epi16(wl, xl), rh = _mm256_madd_epi16(wh, xh);
    vi r;
    memcpy(&r, &rl, 32);
    memcpy((char *)&r + 32, &rh, 32);
    return r;
#elif VL == 8
    return (vi)_mm256_madd_epi16((__m256i)w, (__m256i)x);
#else
    return (vi)_mm_madd_epi16((__m128i)w, (__m128i)x);
#endif
}
AI vi q8_pair(const uint8_t *p) { return (vi){0} + (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 16); }
#define Q8_WLOAD(ptr) ((vi)__builtin_convertvector(*(const vb2 *)(const void *)(ptr), vs2))
#define Q8_XLOAD(ptr) q8_pair(ptr)
#define Q8_DOT(a, x, w) ((a) + q8_madd(w, x))
#else
/* groups of 1: the VL weights sign-extended to int32 times the code */
#define Q8_KG 1
#define Q8_WLOAD(ptr) __builtin_convertvector(*(const vb8 *)(const void *)(ptr), vi)
#define Q8_XLOAD(ptr) ((vi){0} + (int32_t) * (ptr))
#define Q8_DOT(a, x, w) ((a) + (x) * (w))
#endif
#include "dnnl_q8_body.h"
#define Q8_WIDEN_KG Q8_KG
#undef Q8V
#undef Q8_ATTR
#undef Q8_WLOAD
#undef Q8_XLOAD
#undef Q8_DOT

static int q8_usable_widen(void) { return 1; }
static seqrt_status q8_pack_widen(const int8_t *q, dn_q8_mat *m) { return q8_pack(q, m, Q8_WIDEN_KG); }

const dn_q8k DN_ISA_NAME(dn_q8k_widen) = {
    .name = "widen", .vl = VL, .kg = Q8_WIDEN_KG, .usable = q8_usable_widen, .pack = q8_pack_widen,
    .product = q8_product_widen, .rnn = q8_rnn_widen,
};
#undef Q8_KG

/* ------------------------------------------------------------ vnni */

#if defined(DN_KERN_X86) && VL == 16
typedef int32_t vi16u __attribute__((vector_size(64), aligned(1), may_alias));
#define Q8V(n) n##_vnni
#define Q8_KG 4
#define Q8_ATTR __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define Q8_WLOAD(ptr) (*(const vi16u *)(const void *)(ptr))
#define Q8_XLOAD(ptr) q8_word(ptr)
#define Q8_DOT(a, x, w) ((vi)_mm512_dpbusd_epi32((__m512i)(a), (__m512i)(x), (__m512i)(w)))
AI vi q8_word(const uint8_t *p)
{
    int32_t w;
    memcpy(&w, p, 4);
    return (vi){0} + w;
}
#include "dnnl_q8_body.h"

static int q8_usable_vnni(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
}
static seqrt_status q8_pack_vnni(const int8_t *q, dn_q8_mat *m) { return q8_pack(q, m, 4); }

const dn_q8k DN_ISA_NAME(dn_q8k_native) = {
    .name = "vnni", .vl = VL, .kg = 4, .usable = q8_usable_vnni, .pack = q8_pack_vnni,
    .product = q8_product_vnni, .rnn = q8_rnn_vnni,
};
#else
const dn_q8k DN_ISA_NAME(dn_q8k_native) = {.name = NULL};
#endif
