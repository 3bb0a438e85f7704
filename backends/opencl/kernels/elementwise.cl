/* Elementwise and gather kernels: one work-item per SQ_VEC elements (or per
 * element where the access is not contiguous). Every kernel checks its
 * bound: the global size is rounded up to the work-group size. */

/* The activation op: sq_act's functions, or affine (alpha * x + beta). */
__kernel void sq_activation(__global const float *x, __global float *y, int n, int fn, float alpha, float beta)
{
    int i = get_global_id(0);
    if (i < n) y[i] = fn == SQ_ACT_AFFINE ? alpha * x[i] + beta : sq_act(fn, x[i]);
}

/* op 0: add, 1: mul. Each work-item does SQ_VEC consecutive elements. */
__kernel void sq_binary(__global const float *a, __global const float *b, __global float *y, int n,
                        int op)
{
    int i0 = get_global_id(0) * SQ_VEC;
    for (int k = 0; k < SQ_VEC; k++) {
        int i = i0 + k;
        if (i < n) y[i] = op ? a[i] * b[i] : a[i] + b[i];
    }
}

/* y[r, c] += bias[c] for a [rows, cols] matrix (after a GEMM). */
__kernel void sq_add_bias(__global float *y, __global const float *bias, int rows, int cols)
{
    int i = get_global_id(0);
    if (i < rows * cols) y[i] += bias[i % cols];
}

/* y[i, :] = W[ids[i], :] */
__kernel void sq_embedding(__global const int *ids, __global const float *W, __global float *y, int n,
                           int E)
{
    int i = get_global_id(0);
    if (i >= n * E) return;
    int r = i / E, e = i - r * E;
    y[i] = W[ids[r] * E + e];
}

__kernel void sq_one_hot(__global const int *ids, __global float *y, int n, int depth)
{
    int i = get_global_id(0);
    if (i >= n * depth) return;
    int r = i / depth, k = i - r * depth;
    y[i] = ids[r] == k ? 1.0f : 0.0f;
}

/* [B, F] <- x at step len[b] - 1 (T - 1 without lengths) when mean is 0
 * (last_step), else the mean over the valid steps (mean_pool); 0 where
 * len = 0. */
__kernel void sq_pool_steps(__global const float *x, __global const int *lens, int has_len,
                            __global float *y, int T, int B, int F, int bf, int mean)
{
    int i = get_global_id(0);
    if (i >= B * F) return;
    int b = i / F, f = i - b * F;
    int n = sq_valid(lens, has_len, b, T);
    if (n <= 0) {
        y[i] = 0.0f;
    } else if (!mean) {
        y[i] = x[sq_seq_row(bf, T, B, n - 1, b) * F + f];
    } else {
        float s = 0.0f;
        for (int t = 0; t < n; t++) s += x[sq_seq_row(bf, T, B, t, b) * F + f];
        y[i] = s / (float)n;
    }
}
