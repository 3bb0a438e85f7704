/* Host tensors: owned or wrapping caller memory; .npy load and save; the
 * size of a dtype and the copy of a range of time steps. */
#include <string.h>

#include "formats.h"
#include "tensor.h"

static seqrt_status check_shape(seqrt_dtype dtype, int rank, const int64_t *dims, int64_t *count)
{
    if (dtype != SEQRT_F32 && dtype != SEQRT_I32 && dtype != SEQRT_I64)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "unknown dtype %d", (int)dtype);
    if (rank < 0 || rank > SEQRT_MAX_RANK || (rank > 0 && !dims))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "rank %d is out of range [0, %d]", rank, SEQRT_MAX_RANK);
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "dim %d is negative (%lld)", i, (long long)dims[i]);
    if (!sq_dims_count(rank, dims, count))
        return sq_error(SEQRT_ERR_LIMIT, "tensor of %d dims exceeds the limit of %lld elements", rank,
                        (long long)SQ_MAX_ELEMENTS);
    return SEQRT_OK;
}

static seqrt_status make(seqrt_tensor **out, seqrt_dtype dtype, int rank, const int64_t *dims, void *data,
                         bool owned)
{
    int64_t count;
    seqrt_status st = check_shape(dtype, rank, dims, &count);
    if (st) return st;
    seqrt_tensor *t = sq_calloc(1, sizeof *t);
    if (!t) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    t->dtype = dtype;
    t->rank = rank;
    if (rank) memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
    t->count = (size_t)count;
    t->owned = owned;
    t->data = data;
    if (owned && !data) {
        t->data = sq_calloc(t->count ? t->count : 1, sq_dtype_size(dtype));
        if (!t->data) {
            sq_free(t); /* the message must not read t->count after this */
            return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory for a tensor of %zu elements", (size_t)count);
        }
    }
    *out = t;
    return SEQRT_OK;
}

seqrt_status seqrt_tensor_create(seqrt_tensor **out, seqrt_dtype dtype, int rank, const int64_t *dims)
{
    if (!out) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_tensor_create: NULL out");
    *out = NULL;
    return make(out, dtype, rank, dims, NULL, true);
}

seqrt_status seqrt_tensor_wrap(seqrt_tensor **out, seqrt_dtype dtype, int rank, const int64_t *dims, void *data)
{
    if (!out) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_tensor_wrap: NULL out");
    *out = NULL;
    if (!data) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_tensor_wrap: NULL data");
    return make(out, dtype, rank, dims, data, false);
}

void seqrt_tensor_free(seqrt_tensor *t)
{
    if (!t) return;
    if (t->owned) sq_free(t->data);
    sq_free(t);
}

seqrt_dtype seqrt_tensor_dtype(const seqrt_tensor *t) { return t ? t->dtype : SEQRT_F32; }
int seqrt_tensor_rank(const seqrt_tensor *t) { return t ? t->rank : 0; }
int64_t seqrt_tensor_dim(const seqrt_tensor *t, int axis)
{
    return (t && axis >= 0 && axis < t->rank) ? t->dims[axis] : -1;
}
size_t seqrt_tensor_count(const seqrt_tensor *t) { return t ? t->count : 0; }
void *seqrt_tensor_data(const seqrt_tensor *t) { return t ? t->data : NULL; }

size_t seqrt_dtype_size(seqrt_dtype dtype)
{
    switch (dtype) {
    case SEQRT_F32:
    case SEQRT_I32: return 4;
    case SEQRT_I64: return 8;
    }
    return 0;
}

/* Steps [step, step + count) inside the `n` steps of a tensor. */
static bool steps_inside(int64_t step, int64_t count, int64_t n)
{
    return step >= 0 && step <= n && count <= n - step;
}

seqrt_status seqrt_tensor_copy_steps(seqrt_tensor *dst, int64_t dst_step, const seqrt_tensor *src,
                                     int64_t src_step, int64_t count, int axis)
{
    static const char fn[] = "seqrt_tensor_copy_steps";
    if (!dst || !src) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: NULL tensor", fn);
    if (dst->dtype != src->dtype || dst->rank != src->rank)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "%s: the tensors differ in dtype or rank (source rank %d, destination rank %d)", fn,
                        src->rank, dst->rank);
    if (axis < 0 || axis >= src->rank)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: axis %d is out of range for rank %d", fn, axis,
                        src->rank);
    for (int d = 0; d < src->rank; d++)
        if (d != axis && dst->dims[d] != src->dims[d])
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                            "%s: dim %d differs (source %lld, destination %lld); only the time axis %d may",
                            fn, d, (long long)src->dims[d], (long long)dst->dims[d], axis);
    if (count < 0) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: negative count %lld", fn, (long long)count);
    if (!steps_inside(src_step, count, src->dims[axis]))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "%s: source steps %lld..%lld (%lld from %lld) are outside its %lld steps on axis %d", fn,
                        (long long)src_step, (long long)(src_step + count - 1), (long long)count,
                        (long long)src_step, (long long)src->dims[axis], axis);
    if (!steps_inside(dst_step, count, dst->dims[axis]))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "%s: destination steps %lld..%lld (%lld from %lld) are outside its %lld steps on axis %d",
                        fn, (long long)dst_step, (long long)(dst_step + count - 1), (long long)count,
                        (long long)dst_step, (long long)dst->dims[axis], axis);
    /* the tensors as [outer, steps, inner]: one block of count * inner per outer index */
    size_t outer = 1, inner = seqrt_dtype_size(src->dtype);
    for (int d = 0; d < axis; d++) outer *= (size_t)src->dims[d];
    for (int d = axis + 1; d < src->rank; d++) inner *= (size_t)src->dims[d];
    const size_t block = (size_t)count * inner, sT = (size_t)src->dims[axis], dT = (size_t)dst->dims[axis];
    if (block == 0) return SEQRT_OK;
    const char *s = src->data;
    char *d = dst->data;
    for (size_t o = 0; o < outer; o++)
        memmove(d + (o * dT + (size_t)dst_step) * inner, s + (o * sT + (size_t)src_step) * inner, block);
    return SEQRT_OK;
}

seqrt_status seqrt_tensor_load_npy(seqrt_tensor **out, const char *path)
{
    sq_clear_error();
    if (!out || !path) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_tensor_load_npy: NULL argument");
    *out = NULL;
    sq_npy npy;
    seqrt_status st = sq_npy_load(path, &npy);
    if (st) return st;
    st = make(out, npy.dtype, npy.rank, npy.dims, npy.data, true);
    if (st) sq_npy_free(&npy);
    return st;
}

seqrt_status seqrt_tensor_save_npy(const seqrt_tensor *t, const char *path)
{
    sq_clear_error();
    if (!t || !path) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_tensor_save_npy: NULL argument");
    return sq_npy_save(path, t->dtype, t->rank, t->dims, t->data);
}
