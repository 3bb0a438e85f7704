/* Scalar math shared by the reference ops: dot products and activations in double. */
#include <math.h>

#include "ref_ops.h"

/* Four partial sums keep the loop off the add latency chain; each is a
 * double, so the result differs from a serial double sum only in the last
 * bits of a double — far below float32 resolution. */
double ref_dot(const float *a, const float *b, int64_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)a[i] * (double)b[i];
        s1 += (double)a[i + 1] * (double)b[i + 1];
        s2 += (double)a[i + 2] * (double)b[i + 2];
        s3 += (double)a[i + 3] * (double)b[i + 3];
    }
    for (; i < n; i++) s0 += (double)a[i] * (double)b[i];
    return (s0 + s1) + (s2 + s3);
}

double ref_dot_strided(const float *a, int64_t sa, const float *b, int64_t sb, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)a[i * sa] * (double)b[i * sb];
    return s;
}

double ref_sigmoid(double x)
{
    /* Symmetric form: no overflow of exp() for large |x|. */
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double ref_affine(double alpha, double beta, double x) { return alpha * x + beta; }

double ref_activation(int fn, double x)
{
    switch (fn) {
    case SQ_ACT_RELU: return x > 0 ? x : (x == x ? 0.0 : x); /* NaN propagates */
    case SQ_ACT_TANH: return tanh(x);
    case SQ_ACT_SIGMOID: return ref_sigmoid(x);
    case SQ_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    }
    return x;
}
