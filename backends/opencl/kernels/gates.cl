/*
 * Gate functions of the recurrent kernels (format 1.1 `activations`, ONNX's
 * functions; api/gate_fn.h evaluates the same ones in double for the
 * reference), in float. NaN propagates as in gate_fn.h.
 *
 * A layer whose functions are not the op's own, or that has `clip`, gets a
 * gate table (ocl_recurrent.c uploads it; flag SQ_F_GATES): per direction d,
 * SQ_GT_STRIDE floats at d * SQ_GT_STRIDE:
 *   [3j] function id (SQ_GF_*), [3j + 1] alpha, [3j + 2] beta   for j < 3
 *   [9]  clip (0: none)
 * Function j: lstm 0 f (i, f, o), 1 g (candidate), 2 h (of c_t); gru 0 f
 * (r, z), 1 g (n); rnn 0 f. Every gate's pre-activation is clipped, except
 * the argument of lstm's h.
 */
#define SQ_GF_SIGMOID 0
#define SQ_GF_TANH 1
#define SQ_GF_RELU 2
#define SQ_GF_AFFINE 3
#define SQ_GF_LEAKY_RELU 4
#define SQ_GF_THRESHOLDED_RELU 5
#define SQ_GF_SCALED_TANH 6
#define SQ_GF_HARD_SIGMOID 7
#define SQ_GF_ELU 8
#define SQ_GF_SOFTSIGN 9
#define SQ_GF_SOFTPLUS 10
#define SQ_GT_STRIDE 10

inline float sq_gate_fn(int fn, float a, float b, float x)
{
    switch (fn) {
    case SQ_GF_SIGMOID: return sq_sigmoid(x);
    case SQ_GF_TANH: return tanh(x);
    case SQ_GF_RELU: return sq_relu(x);
    case SQ_GF_AFFINE: return a * x + b;
    case SQ_GF_LEAKY_RELU: return x >= 0.0f ? x : a * x;
    case SQ_GF_THRESHOLDED_RELU: return x > a ? x : (isnan(x) ? x : 0.0f);
    case SQ_GF_SCALED_TANH: return a * tanh(b * x);
    case SQ_GF_HARD_SIGMOID: {
        float y = a * x + b;
        return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    case SQ_GF_ELU: return x >= 0.0f ? x : a * expm1(x);
    case SQ_GF_SOFTSIGN: return x / (1.0f + fabs(x));
    case SQ_GF_SOFTPLUS: return x > 0.0f ? x + log1p(exp(-x)) : log1p(exp(x));
    default: return x;
    }
}

/* Function j of the direction whose table starts at gt, of x (clipped
 * first when `clipped` and the table's clip > 0; NaN stays NaN). */
inline float sq_gate_tab(__global const float *gt, int j, float x, int clipped)
{
    float clip = gt[9];
    if (clipped && clip > 0.0f) {
        if (x > clip) x = clip;
        else if (x < -clip) x = -clip;
    }
    return sq_gate_fn((int)gt[3 * j], gt[3 * j + 1], gt[3 * j + 2], x);
}

/* Gate function j: from the table when the layer has one (`gates`), else
 * the op's own function `own` (an SQ_ACT_* code, constant at each call). */
inline float sq_gate(int gates, __global const float *gt, int j, float x, int own)
{
    return gates ? sq_gate_tab(gt, j, x, 1) : sq_act(own, x);
}
