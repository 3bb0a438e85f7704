/* Weight forms and their conversions (weight_forms.h). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "weight_forms.h"

float sq_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t mant = h & 0x3FF;
    uint32_t bits;
    if (exp == 0) {
        /* Zero or subnormal: mant * 2^-24, exact in f32. */
        float f = (float)mant * (1.0f / 16777216.0f);
        return sign ? -f : f;
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13); /* Inf, or NaN keeping its payload */
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13); /* rebias 15 -> 127 */
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* The upper half of an f32. */
float sq_bf16_to_f32(uint16_t h)
{
    uint32_t b = (uint32_t)h << 16;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

uint16_t sq_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x0040); /* NaN, quiet */
    x += 0x7FFFu + ((x >> 16) & 1u);                                          /* to nearest even */
    return (uint16_t)(x >> 16);
}

uint16_t sq_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return (uint16_t)(sign | 0x7E00u | ((ax >> 13) & 0x3FFu)); /* NaN */
    if (ax >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u); /* >= 65520: infinity */
    if (ax < 0x38800000u) {
        /* below 2^-14: a multiple of 2^-24, rounded to nearest even (the
         * product by 2^24 is exact); 1024 is the smallest normal's pattern */
        float a;
        memcpy(&a, &ax, sizeof a);
        return (uint16_t)(sign | (uint16_t)rintf(a * 16777216.0f));
    }
    uint32_t e = (ax >> 23) - 127 + 15, mant = ax & 0x7FFFFFu;
    uint32_t h = (e << 10) | (mant >> 13), rem = mant & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* a carry rounds into the exponent */
    return (uint16_t)(sign | h);
}

float sq_weight_value(const sq_weight *w, int64_t i)
{
    switch (w->form) {
    case SQ_WF_F16: return sq_f16_to_f32(w->half[i]);
    case SQ_WF_BF16: return sq_bf16_to_f32(w->half[i]);
    case SQ_WF_I8: {
        int64_t cols = w->rank >= 2 ? w->count / w->dims[0] : w->count;
        int64_t r = w->nscale > 1 && cols > 0 ? i / cols : 0;
        return (float)w->q[i] * w->scale[r];
    }
    default: return w->data[i];
    }
}

void sq_weight_to_f32(const sq_weight *w, float *dst)
{
    for (int64_t i = 0; i < w->count; i++) dst[i] = sq_weight_value(w, i);
}

/* Per-tensor int8 codes of f32 values (quantization.md: a = the largest
 * magnitude, widened to contain 0; scale = max(f32(a / 127.5), FLT_EPSILON);
 * q = clamp(rint(w * f32(1 / scale)), -128, 127)), every step in float32. */
static seqrt_status quantize(sq_weight *w, const float *v, const char *layer)
{
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < w->count; i++) {
        if (!isfinite(v[i]))
            return sq_error(SEQRT_ERR_MODEL,
                            "layer '%s': weight tensor '%s' has %g at index %lld: int8-dynamic cannot quantize it",
                            layer, w->name, (double)v[i], (long long)i);
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
    }
    float a = -lo > hi ? -lo : hi;
    float scale = a / 127.5f;
    if (scale < FLT_EPSILON) scale = FLT_EPSILON;
    float inv = 1.0f / scale;
    int8_t *q = sq_malloc((size_t)(w->count ? w->count : 1));
    float *s = sq_malloc(sizeof *s);
    if (!q || !s) {
        sq_free(q);
        sq_free(s);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory quantizing '%s'", w->name);
    }
    for (int64_t i = 0; i < w->count; i++) {
        float r = rintf(v[i] * inv);
        q[i] = (int8_t)(r < -128.0f ? -128 : r > 127.0f ? 127 : (int)r);
    }
    *s = scale;
    w->q = q;
    w->scale = s;
    w->nscale = 1;
    return SEQRT_OK;
}

seqrt_status sq_weight_set_form(sq_weight *w, int form, const char *layer)
{
    if (w->form == form) return SEQRT_OK;
    size_t n = (size_t)(w->count ? w->count : 1);
    float *v = w->form == SQ_WF_F32 ? w->data : sq_malloc(n * sizeof *v);
    if (!v) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory converting '%s'", w->name);
    if (v != w->data) sq_weight_to_f32(w, v);
    seqrt_status st = SEQRT_OK;
    uint16_t *half = NULL;
    int8_t *old_q = w->q;
    float *old_scale = w->scale;
    uint16_t *old_half = w->half;
    float *old_data = w->data;
    int64_t old_nscale = w->nscale;
    w->q = NULL, w->scale = NULL, w->half = NULL, w->data = NULL, w->nscale = 0;
    if (form == SQ_WF_F32) {
        w->data = v;
        v = NULL;
    } else if (form == SQ_WF_I8) {
        st = quantize(w, v, layer);
    } else if (!(half = sq_malloc(n * sizeof *half))) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory converting '%s'", w->name);
    } else {
        for (int64_t i = 0; i < w->count; i++) half[i] = form == SQ_WF_F16 ? sq_f32_to_f16(v[i]) : sq_f32_to_bf16(v[i]);
        w->half = half;
    }
    if (st) {
        /* the tensor stays as it was */
        if (v != old_data) sq_free(v);
        w->q = old_q, w->scale = old_scale, w->half = old_half, w->data = old_data;
        w->nscale = old_nscale;
        return st;
    }
    if (v != old_data) sq_free(v);
    if (old_data != w->data) sq_free(old_data);
    sq_free(old_q);
    sq_free(old_scale);
    sq_free(old_half);
    w->form = form;
    return SEQRT_OK;
}
