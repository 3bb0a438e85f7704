/*
 * The case builder's inputs: float sequences, token ids, lengths, states
 * and other float tensors, each declared in the description in the order
 * it is made and filled from the case's stream by a value pattern
 * (saturating, NaN, Inf, denormal, garbage in padded steps, ...).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "case_build.h"

static seqrt_tensor *add_input(cf_builder *b, const char *name, seqrt_dtype dtype, const char *shape_json, int rank,
                               const int64_t *dims)
{
    if (b->nin == CF_MAX_INPUTS) {
        cf_builder_fail(b, "too many inputs");
        return NULL;
    }
    seqrt_tensor *t = NULL;
    if (seqrt_tensor_create(&t, dtype, rank, dims) != SEQRT_OK) {
        cf_builder_fail(b, "input %s: %s", name, seqrt_last_error());
        return NULL;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", shape_json);
    for (char *c = buf; *c; c++)
        if (*c == '\'') *c = '"';
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "name", name);
    cJSON_AddStringToObject(in, "dtype", dtype == SEQRT_F32 ? "float32" : dtype == SEQRT_I32 ? "int32" : "int64");
    cJSON *shape = cJSON_Parse(buf);
    if (!shape) cf_builder_fail(b, "bad shape %s", buf);
    cJSON_AddItemToObject(in, "shape", shape ? shape : cJSON_CreateArray());
    cJSON_AddItemToArray(b->inputs, in);
    b->in[b->nin] = t;
    snprintf(b->in_name[b->nin++], sizeof b->in_name[0], "%s", name);
    return t;
}

static float special_value(cf_builder *b, size_t i)
{
    static const float extremes[] = {1e4f, -1e4f, 88.8f, -88.8f, 1e30f, -1e30f, 20.f, -20.f, 710.f, -710.f, 50.f, -50.f};
    (void)b;
    return extremes[i % (sizeof extremes / sizeof extremes[0])];
}

void cf_fill(cf_builder *b, float *x, size_t n, int vals, long special)
{
    for (size_t i = 0; i < n; i++) {
        double v = cf_uniform(b, -1, 1);
        if (vals == CF_VAL_SAT) v *= 100;
        if (vals == CF_VAL_DENORM) v *= 1e-39;
        x[i] = (float)v;
        if (vals == CF_VAL_HUGE && i % 3 == 1) x[i] = special_value(b, i / 3);
    }
    if (special >= 0 && (size_t)special < n) {
        if (vals == CF_VAL_NAN) x[special] = NAN;
        if (vals == CF_VAL_INF) {
            x[special] = INFINITY;
            x[(size_t)special / 2] = -INFINITY;
            if (n > 2) x[n - 1] = -INFINITY;
        }
    }
}

float *cf_in_seq(cf_builder *b, const char *name, const char *tsym, int64_t T, int64_t B, int64_t F, int vals,
                 const int32_t *lens)
{
    int64_t dims[3] = {b->bf ? B : T, b->bf ? T : B, F};
    char shape[128];
    if (b->bf)
        snprintf(shape, sizeof shape, "['B', '%s', %lld]", tsym, (long long)F);
    else
        snprintf(shape, sizeof shape, "['%s', 'B', %lld]", tsym, (long long)F);
    seqrt_tensor *t = add_input(b, name, SEQRT_F32, shape, 3, dims);
    if (!t) return NULL;
    float *x = seqrt_tensor_data(t);
    cf_fill(b, x, (size_t)(T * B * F), vals == CF_VAL_NAN || vals == CF_VAL_INF ? CF_VAL_NORMAL : vals, -1);
#define AT(t_, b_, f_) x[(b->bf ? ((b_) * T + (t_)) : ((t_) * B + (b_))) * F + (f_)]
    if (vals == CF_VAL_NAN) AT(T / 2, B - 1, 0) = NAN;
    if (vals == CF_VAL_INF) {
        AT(T / 2, B - 1, 0) = INFINITY;
        AT(T - 1, B - 1, F - 1) = -INFINITY;
        if (B >= 3) AT(0, B - 2, 0) = -INFINITY;
    }
    if (vals == CF_VAL_NEGINF_ROW) {
        for (int64_t f = 0; f < F; f++) AT(0, 0, f) = -INFINITY;
        AT(T - 1, B - 1, 0) = INFINITY;
    }
    if (lens && (vals == CF_VAL_PADNAN || vals == CF_VAL_PADBIG))
        for (int64_t bb = 0; bb < B; bb++)
            for (int64_t t0 = lens[bb]; t0 < T; t0++)
                for (int64_t f = 0; f < F; f++)
                    AT(t0, bb, f) = vals == CF_VAL_PADNAN ? NAN : (cf_randint(b, 2) ? 1000.f : -1000.f);
#undef AT
    return x;
}

void cf_in_ids(cf_builder *b, const char *name, const char *tsym, int64_t T, int64_t B, int64_t V, int i64)
{
    int64_t dims[2] = {b->bf ? B : T, b->bf ? T : B};
    char shape[64];
    if (b->bf)
        snprintf(shape, sizeof shape, "['B', '%s']", tsym);
    else
        snprintf(shape, sizeof shape, "['%s', 'B']", tsym);
    seqrt_tensor *t = add_input(b, name, i64 ? SEQRT_I64 : SEQRT_I32, shape, 2, dims);
    if (!t) return;
    size_t n = (size_t)(T * B);
    for (size_t i = 0; i < n; i++) {
        int64_t id = cf_randint(b, (int)V);
        if (i == 0) id = 0;
        if (i == n - 1) id = V - 1; /* both ends of the vocabulary */
        if (i64)
            ((int64_t *)seqrt_tensor_data(t))[i] = id;
        else
            ((int32_t *)seqrt_tensor_data(t))[i] = (int32_t)id;
    }
}

int32_t *cf_in_lengths(cf_builder *b, const char *name, int64_t B, int64_t T, int pattern)
{
    if (pattern == CF_LEN_NONE) return NULL;
    int64_t dims[1] = {B};
    seqrt_tensor *t = add_input(b, name, SEQRT_I32, "['B']", 1, dims);
    if (!t) return NULL;
    int32_t *l = seqrt_tensor_data(t);
    const int64_t cyc[5] = {T, 0, (T + 1) / 2, 1, T > 1 ? T - 1 : T};
    for (int64_t i = 0; i < B; i++) {
        switch (pattern) {
        case CF_LEN_MIXED: l[i] = (int32_t)(B == 1 ? (T + 1) / 2 : cyc[i % 5]); break;
        case CF_LEN_ZERO: l[i] = 0; break;
        case CF_LEN_FULL: l[i] = (int32_t)T; break;
        case CF_LEN_ONE: l[i] = 1; break;
        default: l[i] = (int32_t)cf_randint(b, (int)T + 1); break;
        }
    }
    cf_describe(b, "%s", cf_len_name(pattern));
    return l;
}

float *cf_in_state(cf_builder *b, const char *name, int64_t LD, int64_t B, int64_t H)
{
    int64_t dims[3] = {LD, B, H};
    char shape[96];
    snprintf(shape, sizeof shape, "[%lld, 'B', %lld]", (long long)LD, (long long)H);
    seqrt_tensor *t = add_input(b, name, SEQRT_F32, shape, 3, dims);
    if (!t) return NULL;
    float *x = seqrt_tensor_data(t);
    cf_fill(b, x, (size_t)(LD * B * H), CF_VAL_NORMAL, -1);
    return x;
}

float *cf_in_float(cf_builder *b, const char *name, const char *shape_json, int rank, const int64_t *dims, int vals)
{
    seqrt_tensor *t = add_input(b, name, SEQRT_F32, shape_json, rank, dims);
    if (!t) return NULL;
    size_t n = seqrt_tensor_count(t);
    float *x = seqrt_tensor_data(t);
    cf_fill(b, x, n, vals, (long)(n / 2));
    return x;
}

