/*
 * seqrt OpenCL kernels: shared helpers. OpenCL C 1.2, no extension needed
 * (subgroup code is compiled only where the device has it and the vendor
 * profile asks for it: SQ_SUBGROUPS). Float math throughout; no fast-math
 * options, so NaN and Inf propagate as in the reference.
 *
 * Build-time parameters (from the vendor profile, see ocl_profiles.c):
 *   SQ_WG       work-group size of the reduction kernels (power of two)
 *   SQ_VEC      vector width of the elementwise kernels (1, 2, 4 or 8)
 *   SQ_SUBGROUPS 1 to reduce with subgroup built-ins
 */
#ifndef SQ_WG
#define SQ_WG 64
#endif
#ifndef SQ_VEC
#define SQ_VEC 4
#endif
#ifndef SQ_SUBGROUPS
#define SQ_SUBGROUPS 0
#endif
#if SQ_SUBGROUPS
#pragma OPENCL EXTENSION cl_khr_subgroups : enable
#endif

/* Activation codes: the core's SQ_ACT_* values. */
#define SQ_ACT_RELU 0
#define SQ_ACT_TANH 1
#define SQ_ACT_SIGMOID 2
#define SQ_ACT_GELU 3
#define SQ_ACT_AFFINE 4 /* the activation op only (sq_activation), not sq_act */

/* Symmetric logistic: exp() never overflows; NaN stays NaN. */
inline float sq_sigmoid(float x)
{
    if (x >= 0.0f) return 1.0f / (1.0f + exp(-x));
    float e = exp(x);
    return e / (1.0f + e);
}

inline float sq_relu(float x) { return x > 0.0f ? x : (isnan(x) ? x : 0.0f); }

inline float sq_act(int fn, float x)
{
    switch (fn) {
    case SQ_ACT_RELU: return sq_relu(x);
    case SQ_ACT_TANH: return tanh(x);
    case SQ_ACT_SIGMOID: return sq_sigmoid(x);
    default: return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
    }
}

/* Row of element (t, b) of a sequence [T, B, .] or, batch-first, [B, T, .]. */
inline int sq_seq_row(int bf, int T, int B, int t, int b) { return bf ? b * T + t : t * B + b; }

/* Valid steps of batch entry b (lens may be a dummy buffer when has_len is 0). */
inline int sq_valid(__global const int *lens, int has_len, int b, int T)
{
    if (!has_len) return T;
    int n = lens[b];
    return n < 0 ? 0 : (n > T ? T : n);
}
