/*
 * Reference backend, format 1.2's precisions (docs/model-format/quantization.md):
 * int8-dynamic linear, lstm and gru exactly as the page's equations say
 * (PyTorch 1.13's quantize_dynamic on qnnpack or onednn, the model's
 * int8_rule), and bf16/f16 layers computed as f32 from their rounded
 * weights (ref_prec.c widens them once, at prepare).
 */
#ifndef SEQRT_REF_QUANT_H
#define SEQRT_REF_QUANT_H

#include "ref_ops.h"

/* Y [M, N] = qlinear(X [M, K]) of the design: one call's input range and
 * parameters over all M rows; W is the I8 matrix [N, K] with its scales;
 * bias [N] or NULL (0). `rule`: SQ_INT8_RULE_QNNPACK or _ONEDNN. */
seqrt_status ref_qlinear(const float *x, int64_t M, int64_t K, const sq_weight *W, const float *bias, int rule,
                         float *y);

/* The int8-dynamic ops (a layer whose precision is SQ_PREC_INT8). */
seqrt_status ref_int8_linear(const sq_op_args *a);
seqrt_status ref_int8_recurrent(const sq_op_args *a); /* lstm, gru */

/* bf16/f16 layers: prepare makes the layer with f32 copies of its rounded
 * weights (state), run calls the op's f32 function on it. */
seqrt_status ref_prec_prepare(void *session, const sq_layer *L, void **state);
void ref_prec_release(void *state);
/* The op function `fn` on the layer `state` holds (NULL: a->layer). */
seqrt_status ref_prec_run(seqrt_status (*fn)(const sq_op_args *), const sq_op_args *a, void *state);

#endif /* SEQRT_REF_QUANT_H */
