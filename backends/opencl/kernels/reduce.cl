/* softmax / log_softmax along one axis of x viewed as [outer, n, inner],
 * max-subtracted; NaN anywhere in a row makes the row NaN, as in the
 * reference. */

/* NaN-sticky maximum. */
inline float sq_max_nan(float m, float v) { return isnan(m) ? m : ((isnan(v) || v > m) ? v : m); }

/* One work-item per row: rows of any stride (inner >= 1). */
__kernel void sq_softmax_rows(__global const float *x, __global float *y, int outer, int n, int inner,
                              int log_form)
{
    int r = get_global_id(0);
    if (r >= outer * inner || n <= 0) return;
    int o = r / inner, in = r - o * inner;
    int base = o * n * inner + in;
    float m = x[base];
    for (int k = 1; k < n; k++) m = sq_max_nan(m, x[base + k * inner]);
    float s = 0.0f;
    for (int k = 0; k < n; k++) s += exp(x[base + k * inner] - m);
    if (log_form) {
        float ls = log(s);
        for (int k = 0; k < n; k++) y[base + k * inner] = x[base + k * inner] - m - ls;
    } else {
        float inv = 1.0f / s;
        for (int k = 0; k < n; k++) y[base + k * inner] = exp(x[base + k * inner] - m) * inv;
    }
}

/* Work-group reductions over SQ_WG items (SQ_WG a power of two). The
 * maximum stays a local-memory tree (NaN-sticky); the sum uses subgroup
 * built-ins where the profile and the device allow them. */
inline float sq_wg_max(float v, __local float *tmp)
{
    int l = get_local_id(0);
    tmp[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = SQ_WG / 2; w > 0; w >>= 1) {
        if (l < w) tmp[l] = sq_max_nan(tmp[l], tmp[l + w]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = tmp[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

inline float sq_wg_sum(float v, __local float *tmp)
{
#if SQ_SUBGROUPS
    float s = sub_group_reduce_add(v);
    if (get_sub_group_local_id() == 0) tmp[get_sub_group_id()] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    float r = 0.0f;
    for (uint i = 0; i < get_num_sub_groups(); i++) r += tmp[i];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
#else
    int l = get_local_id(0);
    tmp[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = SQ_WG / 2; w > 0; w >>= 1) {
        if (l < w) tmp[l] += tmp[l + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = tmp[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
#endif
}

/* One work-group of SQ_WG items per contiguous row (inner == 1): for long
 * rows such as a vocabulary. */
__kernel __attribute__((reqd_work_group_size(SQ_WG, 1, 1)))
void sq_softmax_wg(__global const float *x, __global float *y, int rows, int n, int log_form)
{
    __local float tmp[SQ_WG];
    int r = get_group_id(0), l = get_local_id(0);
    /* exactly `rows` groups are launched (ocl_softmax.c) */
    __global const float *xr = x + (long)r * n;
    __global float *yr = y + (long)r * n;
    float m = -INFINITY; /* neutral: an item with no element changes nothing */
    for (int k = l; k < n; k += SQ_WG) m = sq_max_nan(m, xr[k]);
    m = sq_wg_max(m, tmp);
    float s = 0.0f;
    for (int k = l; k < n; k += SQ_WG) s += exp(xr[k] - m);
    s = sq_wg_sum(s, tmp);
    if (log_form) {
        float ls = log(s);
        for (int k = l; k < n; k += SQ_WG) yr[k] = xr[k] - m - ls;
    } else {
        float inv = 1.0f / s;
        for (int k = l; k < n; k += SQ_WG) yr[k] = exp(xr[k] - m) * inv;
    }
}
