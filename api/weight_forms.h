/*
 * The forms a weight tensor is kept in (model.h's sq_wform) and the
 * conversions between them: f16/bf16 bit patterns (widened exactly,
 * rounded to nearest even), int8 codes with their scales (dequantized as
 * f32(q * scale), quantized as PyTorch's dynamic quantization does:
 * docs/model-format/quantization.md, "weights quantized at load").
 */
#ifndef SEQRT_WEIGHT_FORMS_H
#define SEQRT_WEIGHT_FORMS_H

#include "internal.h"

float sq_f16_to_f32(uint16_t h);
float sq_bf16_to_f32(uint16_t h);
/* Round to nearest, ties to even; overflow gives infinity, NaN stays NaN. */
uint16_t sq_f32_to_f16(float f);
uint16_t sq_f32_to_bf16(float f);

/* Value i of w in f32, whatever its form. */
float sq_weight_value(const sq_weight *w, int64_t i);
/* Writes every value of w in f32 to dst (w->count floats). */
void sq_weight_to_f32(const sq_weight *w, float *dst);
/* Puts w in `form` (SQ_WF_*), freeing the old one: F32/F16/BF16 from any
 * form (an I8 tensor dequantized first, then rounded); I8 from a float form
 * quantized per tensor (MinMaxObserver, qint8 symmetric). A non-finite
 * value cannot be quantized: SEQRT_ERR_MODEL naming `layer` and the tensor. */
seqrt_status sq_weight_set_form(sq_weight *w, int form, const char *layer);

#endif /* SEQRT_WEIGHT_FORMS_H */
