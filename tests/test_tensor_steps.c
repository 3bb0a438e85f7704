/*
 * seqrt_dtype_size and seqrt_tensor_copy_steps (api/seqrt.h): element sizes,
 * copies of time steps along each axis (chunks cut from a sequence and
 * joined back), overlapping copies within one tensor, and every refusal
 * (status, message, destination untouched). Expected values are worked out
 * by hand in the comments.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "seqrt.h"

Test(dtype_size, every_dtype)
{
    cr_expect_eq(seqrt_dtype_size(SEQRT_F32), 4);
    cr_expect_eq(seqrt_dtype_size(SEQRT_I32), 4);
    cr_expect_eq(seqrt_dtype_size(SEQRT_I64), 8);
    cr_expect_eq(seqrt_dtype_size((seqrt_dtype)7), 0);
}

/* A tensor whose element i holds `base + i`. */
static seqrt_tensor *ramp_f32(int rank, const int64_t *dims, float base)
{
    seqrt_tensor *t = NULL;
    cr_assert_eq(seqrt_tensor_create(&t, SEQRT_F32, rank, dims), SEQRT_OK);
    float *p = seqrt_tensor_data(t);
    for (size_t i = 0; i < seqrt_tensor_count(t); i++) p[i] = base + (float)i;
    return t;
}

static void expect_floats(const seqrt_tensor *t, const float *want, size_t n)
{
    cr_assert_eq(seqrt_tensor_count(t), n);
    const float *p = seqrt_tensor_data(t);
    for (size_t i = 0; i < n; i++) cr_expect_eq(p[i], want[i], "element %zu: %g, expected %g", i, p[i], want[i]);
}

/* Copies `count` steps from step `s0` of a rank-3 source holding
 * `base + i` (dims `sd`) to step `d0` of a zeroed destination (dims `dd`)
 * along `axis`, and expects the destination to hold `want`. */
static void expect_copy_into_zeros(const int64_t *sd, float base, const int64_t *dd, int64_t d0, int64_t s0,
                                   int64_t count, int axis, const float *want, size_t n)
{
    seqrt_tensor *src = ramp_f32(3, sd, base), *dst = NULL;
    cr_assert_eq(seqrt_tensor_create(&dst, SEQRT_F32, 3, dd), SEQRT_OK);
    cr_assert_eq(seqrt_tensor_copy_steps(dst, d0, src, s0, count, axis), SEQRT_OK);
    expect_floats(dst, want, n);
    seqrt_tensor_free(src);
    seqrt_tensor_free(dst);
}

/* [T=4, B=2, F=1] holding 0..7, steps 1..2 into a zeroed [2, 2, 1]: rows t
 * of the source are {2t, 2t+1}, so the chunk is {2, 3, 4, 5}. */
Test(copy_steps, chunk_on_axis0)
{
    const int64_t sd[3] = {4, 2, 1}, dd[3] = {2, 2, 1};
    const float want[4] = {2, 3, 4, 5};
    expect_copy_into_zeros(sd, 0, dd, 0, 1, 2, 0, want, 4);
}

/* batch_first [B=2, T=3, F=2] holding 0..11 (entry b, step t, feature f at
 * 6b + 2t + f); step 2 of the source into step 0 of a [2, 1, 2]:
 * b=0 -> {4, 5}, b=1 -> {10, 11}. */
Test(copy_steps, chunk_on_axis1)
{
    const int64_t sd[3] = {2, 3, 2}, dd[3] = {2, 1, 2};
    const float want[4] = {4, 5, 10, 11};
    expect_copy_into_zeros(sd, 0, dd, 0, 2, 1, 1, want, 4);
}

/* Joining: a [2, 2, 2] chunk holding 100..107 into steps 1..2 of a zeroed
 * [B=2, T=4, F=2]. Entry b of the chunk is {100+4b .. 103+4b}; it lands at
 * flat 8b + 2 .. 8b + 5, the rest stays 0. */
Test(copy_steps, join_chunk_into_whole)
{
    const int64_t cd[3] = {2, 2, 2}, wd[3] = {2, 4, 2};
    const float want[16] = {0, 0, 100, 101, 102, 103, 0, 0, 0, 0, 104, 105, 106, 107, 0, 0};
    expect_copy_into_zeros(cd, 100, wd, 1, 0, 2, 1, want, 16);
}

/* int64 ids [T=3, B=1]: 8-byte elements. Steps 0..1 of {7, 8, 9} into
 * steps 1..2 of {-1, -1, -1} give {-1, 7, 8}. */
Test(copy_steps, int64_elements)
{
    int64_t a[3] = {7, 8, 9}, b[3] = {-1, -1, -1};
    const int64_t dims[2] = {3, 1};
    seqrt_tensor *src = NULL, *dst = NULL;
    cr_assert_eq(seqrt_tensor_wrap(&src, SEQRT_I64, 2, dims, a), SEQRT_OK);
    cr_assert_eq(seqrt_tensor_wrap(&dst, SEQRT_I64, 2, dims, b), SEQRT_OK);
    cr_assert_eq(seqrt_tensor_copy_steps(dst, 1, src, 0, 2, 0), SEQRT_OK);
    cr_expect_eq(b[0], -1);
    cr_expect_eq(b[1], 7);
    cr_expect_eq(b[2], 8);
    seqrt_tensor_free(src);
    seqrt_tensor_free(dst);
}

/* Within one tensor [T=5] holding 0..4: steps 0..2 to steps 1..3 overlap;
 * as through a temporary: {0, 0, 1, 2, 4}. */
Test(copy_steps, overlapping_in_place)
{
    const int64_t dims[1] = {5};
    seqrt_tensor *t = ramp_f32(1, dims, 0);
    cr_assert_eq(seqrt_tensor_copy_steps(t, 1, t, 0, 3, 0), SEQRT_OK);
    const float want[5] = {0, 0, 1, 2, 4};
    expect_floats(t, want, 5);
    seqrt_tensor_free(t);
}

/* count 0 is a copy of nothing, also at the very end of the axis. */
Test(copy_steps, zero_count)
{
    const int64_t dims[2] = {3, 2};
    seqrt_tensor *src = ramp_f32(2, dims, 1), *dst = ramp_f32(2, dims, 50);
    cr_assert_eq(seqrt_tensor_copy_steps(dst, 3, src, 3, 0, 0), SEQRT_OK);
    const float want[6] = {50, 51, 52, 53, 54, 55};
    expect_floats(dst, want, 6);
    seqrt_tensor_free(src);
    seqrt_tensor_free(dst);
}

static void expect_refused(seqrt_tensor *dst, int64_t d0, const seqrt_tensor *src, int64_t s0, int64_t n, int axis,
                           const char *message)
{
    cr_expect_eq(seqrt_tensor_copy_steps(dst, d0, src, s0, n, axis), SEQRT_ERR_INVALID_ARGUMENT);
    cr_expect_str_eq(seqrt_last_error(), message);
}

Test(copy_steps, refusals)
{
    const int64_t sd[3] = {4, 2, 3}, dd[3] = {2, 2, 3}, od[3] = {2, 1, 3}, rd[2] = {4, 2};
    seqrt_tensor *src = ramp_f32(3, sd, 0), *dst = ramp_f32(3, dd, 100), *other = ramp_f32(3, od, 0);
    seqrt_tensor *rank2 = ramp_f32(2, rd, 0), *ints = NULL;
    cr_assert_eq(seqrt_tensor_create(&ints, SEQRT_I32, 3, dd), SEQRT_OK);
    expect_refused(NULL, 0, src, 0, 1, 0, "seqrt_tensor_copy_steps: NULL tensor");
    expect_refused(dst, 0, NULL, 0, 1, 0, "seqrt_tensor_copy_steps: NULL tensor");
    expect_refused(ints, 0, src, 0, 1, 0,
                   "seqrt_tensor_copy_steps: the tensors differ in dtype or rank (source rank 3, destination rank 3)");
    expect_refused(dst, 0, rank2, 0, 1, 0,
                   "seqrt_tensor_copy_steps: the tensors differ in dtype or rank (source rank 2, destination rank 3)");
    expect_refused(dst, 0, src, 0, 1, 3, "seqrt_tensor_copy_steps: axis 3 is out of range for rank 3");
    expect_refused(dst, 0, src, 0, 1, -1, "seqrt_tensor_copy_steps: axis -1 is out of range for rank 3");
    expect_refused(other, 0, src, 0, 1, 0,
                   "seqrt_tensor_copy_steps: dim 1 differs (source 2, destination 1); only the time axis 0 may");
    expect_refused(dst, 0, src, 0, -1, 0, "seqrt_tensor_copy_steps: negative count -1");
    expect_refused(dst, 0, src, 3, 2, 0,
                   "seqrt_tensor_copy_steps: source steps 3..4 (2 from 3) are outside its 4 steps on axis 0");
    expect_refused(dst, 0, src, -1, 1, 0,
                   "seqrt_tensor_copy_steps: source steps -1..-1 (1 from -1) are outside its 4 steps on axis 0");
    expect_refused(dst, 1, src, 0, 2, 0,
                   "seqrt_tensor_copy_steps: destination steps 1..2 (2 from 1) are outside its 2 steps on axis 0");
    /* nothing was written by any refused call */
    float want[12];
    for (int i = 0; i < 12; i++) want[i] = 100 + (float)i;
    expect_floats(dst, want, 12);
    seqrt_tensor_free(src);
    seqrt_tensor_free(dst);
    seqrt_tensor_free(other);
    seqrt_tensor_free(rank2);
    seqrt_tensor_free(ints);
}
