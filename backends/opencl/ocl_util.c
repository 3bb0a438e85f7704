/*
 * OpenCL backend utilities: error names and statuses, the description of a
 * device as vendor dispatch sees it, and program builds whose failures carry
 * the build log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ocl_internal.h"

const char *ocl_err_name(cl_int err)
{
    switch (err) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_IMAGE_FORMAT_MISMATCH)
    E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE)
    E(CL_DEVICE_PARTITION_FAILED) E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) E(CL_INVALID_VALUE)
    E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
    E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR)
    E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) E(CL_INVALID_IMAGE_SIZE)
    E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM)
    E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME) E(CL_INVALID_KERNEL_DEFINITION)
    E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
    E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
    E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT) E(CL_INVALID_BUFFER_SIZE)
    E(CL_INVALID_MIP_LEVEL) E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_INVALID_PROPERTY)
    E(CL_INVALID_IMAGE_DESCRIPTOR) E(CL_INVALID_COMPILER_OPTIONS) E(CL_INVALID_LINKER_OPTIONS)
    E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "unknown OpenCL error";
    }
}

/* Allocation failures are out-of-memory; a device that is lost, out of
 * resources or otherwise failing is a device error. */
static seqrt_status status_of(cl_int err)
{
    switch (err) {
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
    case CL_OUT_OF_HOST_MEMORY: return SEQRT_ERR_OUT_OF_MEMORY;
    case CL_INVALID_BUFFER_SIZE: return SEQRT_ERR_LIMIT;
    default: return SEQRT_ERR_DEVICE;
    }
}

seqrt_status ocl_fail(cl_int err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *hint = "";
    if (err == CL_OUT_OF_RESOURCES) hint = " (the device ran out of resources or was lost)";
    else if (err == CL_DEVICE_NOT_AVAILABLE) hint = " (the device is no longer available)";
    return sq_error(status_of(err), "opencl: %s failed: %s (%d)%s", what, ocl_err_name(err), (int)err, hint);
}

/* ------------------------------------------------------------ description */

static void info_str(cl_device_id d, cl_device_info what, char *buf, size_t n)
{
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, n, buf, NULL) != CL_SUCCESS) buf[0] = '\0';
    buf[n - 1] = '\0';
    /* trim trailing blanks some drivers append */
    size_t len = strlen(buf);
    while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\n')) buf[--len] = '\0';
}

static void platform_str(cl_platform_id p, cl_platform_info what, char *buf, size_t n)
{
    buf[0] = '\0';
    if (clGetPlatformInfo(p, what, n, buf, NULL) != CL_SUCCESS) buf[0] = '\0';
    buf[n - 1] = '\0';
}

#define CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV 0x4000
#define CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV 0x4001

seqrt_status ocl_describe(cl_platform_id p, cl_device_id dev, ocl_desc *d)
{
    memset(d, 0, sizeof *d);
    platform_str(p, CL_PLATFORM_NAME, d->platform_name, sizeof d->platform_name);
    platform_str(p, CL_PLATFORM_VENDOR, d->platform_vendor, sizeof d->platform_vendor);
    platform_str(p, CL_PLATFORM_VERSION, d->platform_version, sizeof d->platform_version);
    info_str(dev, CL_DEVICE_VENDOR, d->vendor, sizeof d->vendor);
    info_str(dev, CL_DEVICE_NAME, d->name, sizeof d->name);
    info_str(dev, CL_DEVICE_VERSION, d->version, sizeof d->version);
    info_str(dev, CL_DRIVER_VERSION, d->driver, sizeof d->driver);
    cl_device_type type = 0;
    OCL_CL(clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof type, &type, NULL), "clGetDeviceInfo(CL_DEVICE_TYPE)");
    d->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    d->is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
    /* the numeric queries: each fills one field of *d, of its own size */
#define NUM(p, f) {.param = p, .name = #p, .off = offsetof(ocl_desc, f), .size = sizeof d->f}
    static const struct {
        cl_device_info param;
        const char *name;
        size_t off, size;
    } nums[] = {
        NUM(CL_DEVICE_VENDOR_ID, vendor_id),         NUM(CL_DEVICE_MAX_COMPUTE_UNITS, compute_units),
        NUM(CL_DEVICE_GLOBAL_MEM_SIZE, global_mem),  NUM(CL_DEVICE_LOCAL_MEM_SIZE, local_mem),
        NUM(CL_DEVICE_MAX_MEM_ALLOC_SIZE, max_alloc), NUM(CL_DEVICE_MAX_WORK_GROUP_SIZE, max_wg),
    };
#undef NUM
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        OCL_CL(clGetDeviceInfo(dev, nums[i].param, nums[i].size, (char *)d + nums[i].off, NULL), "clGetDeviceInfo(%s)",
               nums[i].name);
    size_t ext_len = 0;
    if (clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_len) == CL_SUCCESS && ext_len) {
        char *ext = sq_malloc(ext_len + 1);
        if (!ext) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        ext[0] = '\0';
        if (clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, ext_len, ext, NULL) == CL_SUCCESS) {
            ext[ext_len] = '\0';
            d->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
            d->has_subgroups = strstr(ext, "cl_khr_subgroups") != NULL;
            if (strstr(ext, "cl_nv_device_attribute_query")) {
                cl_uint v = 0;
                if (clGetDeviceInfo(dev, CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV, sizeof v, &v, NULL) == CL_SUCCESS)
                    d->nv_cc_major = (int)v;
                if (clGetDeviceInfo(dev, CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV, sizeof v, &v, NULL) == CL_SUCCESS)
                    d->nv_cc_minor = (int)v;
            }
        }
        sq_free(ext);
    }
    return SEQRT_OK;
}

/* ------------------------------------------------------------ builds */

seqrt_status ocl_build_source(cl_context ctx, cl_device_id dev, const char *src, size_t len,
                              const char *options, cl_program *out)
{
    *out = NULL;
    cl_int err;
    cl_program p = OCL_FAULT("clCreateProgramWithSource", (err = CL_OUT_OF_HOST_MEMORY, NULL),
                             clCreateProgramWithSource(ctx, 1, &src, &len, &err));
    if (err != CL_SUCCESS) return ocl_fail(err, "clCreateProgramWithSource");
    err = OCL_FAULT("build", CL_BUILD_PROGRAM_FAILURE, clBuildProgram(p, 1, &dev, options, NULL, NULL));
    if (err != CL_SUCCESS) {
        size_t log_len = 0;
        char log[3072] = "";
        if (clGetProgramBuildInfo(p, dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_len) == CL_SUCCESS && log_len) {
            char *full = sq_malloc(log_len + 1);
            if (full && clGetProgramBuildInfo(p, dev, CL_PROGRAM_BUILD_LOG, log_len, full, NULL) == CL_SUCCESS) {
                full[log_len] = '\0';
                /* one line: the message is a single line */
                size_t o = 0;
                for (size_t i = 0; full[i] && o + 1 < sizeof log; i++) {
                    char c = full[i] == '\n' || full[i] == '\r' ? ' ' : full[i];
                    if (c == ' ' && o && log[o - 1] == ' ') continue;
                    log[o++] = c;
                }
                log[o] = '\0';
            }
            sq_free(full);
        }
        clReleaseProgram(p);
        return sq_error(status_of(err), "opencl: building the kernels failed: %s (%d) with options '%s'; build log: %s",
                        ocl_err_name(err), (int)err, options ? options : "", log[0] ? log : "(empty)");
    }
    *out = p;
    return SEQRT_OK;
}
