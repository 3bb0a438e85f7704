/*
 * The gate functions of the recurrent ops (format 1.1 `activations`; the
 * functions of ONNX's LSTM, GRU and RNN), evaluated in double: the
 * reference computes with them and the CPU backends may. The equations
 * are in docs/model-format/recurrent.md.
 */
#ifndef SEQRT_GATE_FN_H
#define SEQRT_GATE_FN_H

#include <math.h>

#include "internal.h"

/* Whether function fn takes alpha / beta, and their defaults when the
 * description gives none (ONNX's: those of the ONNX operator of that name). */
static inline int sq_gate_fn_params(int fn)
{
    switch (fn) {
    case SQ_GF_AFFINE: case SQ_GF_SCALED_TANH: case SQ_GF_HARD_SIGMOID: return 2;
    case SQ_GF_LEAKY_RELU: case SQ_GF_THRESHOLDED_RELU: case SQ_GF_ELU: return 1;
    default: return 0;
    }
}
static inline double sq_gate_fn_default_alpha(int fn)
{
    switch (fn) {
    case SQ_GF_AFFINE: case SQ_GF_THRESHOLDED_RELU: case SQ_GF_SCALED_TANH: case SQ_GF_ELU: return 1.0;
    case SQ_GF_LEAKY_RELU: return 0.01;
    case SQ_GF_HARD_SIGMOID: return 0.2;
    default: return 0.0;
    }
}
static inline double sq_gate_fn_default_beta(int fn)
{
    switch (fn) {
    case SQ_GF_SCALED_TANH: return 1.0;
    case SQ_GF_HARD_SIGMOID: return 0.5;
    default: return 0.0;
    }
}

static inline double sq_gate_fn_eval(const sq_gate_act *g, double x)
{
    double a = g->alpha, b = g->beta;
    switch (g->fn) {
    case SQ_GF_SIGMOID: {
        if (x >= 0) return 1.0 / (1.0 + exp(-x)); /* symmetric form: exp() never overflows */
        double e = exp(x);
        return e / (1.0 + e);
    }
    case SQ_GF_TANH: return tanh(x);
    case SQ_GF_RELU: return x > 0 ? x : (x == x ? 0.0 : x);
    case SQ_GF_AFFINE: return a * x + b;
    case SQ_GF_LEAKY_RELU: return x >= 0 ? x : a * x;
    case SQ_GF_THRESHOLDED_RELU: return x > a ? x : (x == x ? 0.0 : x);
    case SQ_GF_SCALED_TANH: return a * tanh(b * x);
    case SQ_GF_HARD_SIGMOID: {
        double y = a * x + b;
        return y < 0 ? 0.0 : (y > 1 ? 1.0 : y);
    }
    case SQ_GF_ELU: return x >= 0 ? x : a * (exp(x) - 1.0);
    case SQ_GF_SOFTSIGN: return x / (1.0 + fabs(x));
    case SQ_GF_SOFTPLUS: return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
    default: return x;
    }
}

/* clip > 0 bounds a pre-activation to [-clip, clip] (NaN stays NaN). */
static inline double sq_gate_clip(double clip, double x)
{
    if (clip > 0) {
        if (x > clip) return clip;
        if (x < -clip) return -clip;
    }
    return x;
}

#endif /* SEQRT_GATE_FN_H */
