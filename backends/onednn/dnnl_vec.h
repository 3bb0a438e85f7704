/*
 * oneDNN backend: the vector math of the hand-written recurrent kernels
 * (dnnl_cell.c, dnnl_rnn_small.c), GCC vector extensions of one register's
 * width for the ISA the including file is compiled for: those files are
 * built once per ISA (backends/onednn/CMakeLists.txt, dnnl_kern.h) —
 * -mavx512f: 16 floats (zmm), -mavx2 -mfma: 8 floats (ymm), baseline
 * x86-64 (or any other CPU): 4 floats (xmm / the target's own). exp is a
 * range reduction to [-ln2/2, ln2/2] with a degree-6 polynomial,
 * σ(x) = 1 / (1 + e^-x), and tanh an odd polynomial below |x| = 0.625 and
 * 1 - 2 / (e^2|x| + 1) above: both within 2 ulp of the correctly rounded
 * float, NaN in, NaN out.
 */
#ifndef SEQRT_DNNL_VEC_H
#define SEQRT_DNNL_VEC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* One register of the translation unit's ISA (its -m flags); clang and
 * GCC alike, since no function here is built for another ISA. */
#if defined(__AVX512F__)
#define VL 16
#elif defined(__AVX2__)
#define VL 8
#else
#define VL 4
#endif
typedef float vf __attribute__((vector_size(VL * 4)));
typedef int32_t vi __attribute__((vector_size(VL * 4)));
/* vf at any float's address: a load through it is one unaligned vector
 * load (a loop of memcpy into an array of vf may become one memcpy call,
 * which keeps the array, and what depends on it, on the stack) */
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4), may_alias));
#define AI static inline __attribute__((always_inline))

AI vf vsplat(float x) { return (vf){0} + x; }
AI vf vsel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }

/* Loads and stores of a whole vector (one instruction), or of the n < VL
 * floats of a row's tail. */
AI vf vload(const float *p, int64_t n)
{
    vf v = {0};
    if (n >= VL) memcpy(&v, p, sizeof v);
    else memcpy(&v, p, sizeof(float) * (size_t)n);
    return v;
}

AI void vstore(float *p, vf v, int64_t n)
{
    if (n >= VL) memcpy(p, &v, sizeof v);
    else memcpy(p, &v, sizeof(float) * (size_t)n);
}

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

/* The LSTM cell for the VL units j .. j+n-1 of one entry: pre-activations
 * in (PyTorch's i, f, g, o), c updated in place, h returned. peep [3H]
 * (i, f, o) or NULL; coupled: i = 1 - f. */
AI vf vlstm_cell(vf ai, vf af, vf ag, vf ao, const float *peep, int64_t H, int64_t j, int64_t n, bool coupled, float *c)
{
    const vf cp = vload(c + j, n);
    if (peep) {
        ai += vload(peep + j, n) * cp;
        af += vload(peep + H + j, n) * cp;
    }
    const vf f = vsigmoid(af);
    const vf i = coupled ? 1.0f - f : vsigmoid(ai);
    const vf cn = f * cp + i * vtanh(ag);
    if (peep) ao += vload(peep + 2 * H + j, n) * cn;
    vstore(c + j, cn, n);
    return vsigmoid(ao) * vtanh(cn);
}

/* PyTorch's GRU cell (linear before reset) for VL units: ar, az the r and z
 * pre-activations (every term summed), gn = x W_in + b_in, an = h W_hn +
 * b_hn, hp the previous h; returns the new h. */
AI vf vgru_cell(vf ar, vf az, vf gn, vf an, vf hp)
{
    const vf r = vsigmoid(ar), z = vsigmoid(az);
    const vf nn = vtanh(gn + r * an);
    return z * hp + (1.0f - z) * nn;
}

/* The RNN's activation; relu keeps NaN (a > 0 is false for NaN, a != a
 * selects it), as the reference and PyTorch do. */
AI vf vrnn_act(vf a, int relu) { return relu ? vsel((a > 0) | (a != a), a, vsplat(0.0f)) : vtanh(a); }

#endif /* SEQRT_DNNL_VEC_H */
