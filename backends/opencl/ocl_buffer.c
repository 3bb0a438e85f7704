/*
 * Device buffers of an OpenCL session: creation within the device's
 * largest allocation, grow-only value buffers, weight uploads, and the
 * blocking write, zero-fill and copy every op uses on the session's queue,
 * and the count of what a run moves between host and device.
 * Kept apart from the session and the ops so that both (and the GEMMs'
 * zero-fill of an empty product) depend on it, never the other way round.
 */
#include <stdio.h>

#include "ocl_internal.h"

void ocl_release_mem(cl_mem *m)
{
    if (*m) clReleaseMemObject(*m);
    *m = NULL;
}

void ocl_buf_release(ocl_buf *b)
{
    ocl_release_mem(&b->mem);
    b->cap = 0;
}

static seqrt_status create_buffer(ocl_session *s, cl_mem_flags flags, size_t bytes, void *host, cl_mem *out,
                                  const char *what)
{
    if (bytes < 16) bytes = 16;
    cl_ulong max = s->dev->desc.max_alloc;
    if (max && bytes > max)
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "opencl: %s needs %zu bytes in one buffer; %s allows at most %llu",
                        what, bytes, s->dev->desc.name, (unsigned long long)max);
    cl_int err;
    *out = OCL_FAULT("clCreateBuffer", (err = CL_MEM_OBJECT_ALLOCATION_FAILURE, NULL),
                        clCreateBuffer(s->ctx, flags, bytes, host, &err));
    if (err != CL_SUCCESS) {
        *out = NULL;
        return ocl_fail(err, "clCreateBuffer(%zu bytes for %s)", bytes, what);
    }
    return SEQRT_OK;
}

seqrt_status ocl_buf_reserve(ocl_session *s, ocl_buf *b, size_t bytes, const char *what)
{
    if (bytes <= b->cap && b->mem) return SEQRT_OK;
    ocl_buf_release(b);
    seqrt_status st = create_buffer(s, CL_MEM_READ_WRITE, bytes, NULL, &b->mem, what);
    if (st) return st;
    b->cap = bytes < 16 ? 16 : bytes;
    return SEQRT_OK;
}

seqrt_status ocl_upload(ocl_session *s, const float *data, size_t count, cl_mem *out, const char *what)
{
    seqrt_status st = create_buffer(s, CL_MEM_READ_WRITE, count * sizeof(float), NULL, out, what);
    if (st) return st;
    st = data ? ocl_write(s, *out, 0, data, count, what) : ocl_zero(s, *out, 0, count);
    if (st) ocl_release_mem(out);
    return st;
}

seqrt_status ocl_write(ocl_session *s, cl_mem m, size_t off, const float *data, size_t count, const char *what)
{
    if (!count) return SEQRT_OK;
    OCL_CLF("clEnqueueWriteBuffer",
            clEnqueueWriteBuffer(s->q, m, CL_TRUE, off * sizeof(float), count * sizeof(float), data, 0, NULL, NULL),
            "clEnqueueWriteBuffer(%s)", what);
    ocl_count_transfer(s, true, count * sizeof(float));
    return SEQRT_OK;
}

seqrt_status ocl_zero(ocl_session *s, cl_mem m, size_t off, size_t count)
{
    if (!count) return SEQRT_OK;
    const cl_float zero = 0.0f;
    OCL_CLF("clEnqueueFillBuffer",
            clEnqueueFillBuffer(s->q, m, &zero, sizeof zero, off * sizeof(float), count * sizeof(float), 0, NULL, NULL),
            "clEnqueueFillBuffer(%zu floats)", count);
    return SEQRT_OK;
}

seqrt_status ocl_copy(ocl_session *s, cl_mem src, size_t soff, cl_mem dst, size_t doff, size_t count)
{
    if (!count) return SEQRT_OK;
    OCL_CLF("clEnqueueCopyBuffer",
            clEnqueueCopyBuffer(s->q, src, dst, soff * sizeof(float), doff * sizeof(float), count * sizeof(float), 0,
                                NULL, NULL),
            "clEnqueueCopyBuffer(%zu floats)", count);
    return SEQRT_OK;
}

void ocl_count_transfer(ocl_session *s, bool to_device, size_t bytes)
{
    if (to_device) s->moved.to_dev++, s->moved.bytes_to_dev += bytes;
    else s->moved.to_host++, s->moved.bytes_to_host += bytes;
}
