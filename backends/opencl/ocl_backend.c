/*
 * The OpenCL backend module: entry point and device enumeration.
 *
 * Every platform the ICD loader knows and every device of each is listed,
 * in platform order (SEQRT_BACKEND=opencl:N picks device N). Each device's
 * vendor profile is chosen here, once (SEQRT_OPENCL_VENDOR forces it; an
 * unknown value makes the whole backend unavailable, naming the valid
 * values). Nothing is created on the device until a session needs it
 * (ocl_device.c), so listing backends stays cheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocl_internal.h"

#define OCL_MAX_PLATFORMS 16
#define OCL_MAX_DEVICES 64

static seqrt_device g_devices[OCL_MAX_DEVICES];
static ocl_device g_ctx[OCL_MAX_DEVICES];

extern const sq_device_iface ocl_device_iface; /* ocl_session.c */

static void format_memory(uint64_t b, char *buf, size_t n)
{
    if (b >= ((uint64_t)1 << 30))
        snprintf(buf, n, "%.1f GiB", (double)b / (double)((uint64_t)1 << 30));
    else if (b >= ((uint64_t)1 << 20))
        snprintf(buf, n, "%.0f MiB", (double)b / (double)(1 << 20));
    else
        snprintf(buf, n, "%.0f KiB", (double)b / 1024.0);
}

/* "OpenCL 3.0" out of "OpenCL 3.0 PoCL HSTR: ..." */
static void short_version(const char *v, char *buf, size_t n)
{
    int words = 0;
    size_t k = 0;
    for (; v[k] && k + 1 < n; k++) {
        if (v[k] == ' ' && ++words == 2) break;
        buf[k] = v[k];
    }
    buf[k] = '\0';
}

static void fill_device(seqrt_device *out, ocl_device *d)
{
    const ocl_desc *x = &d->desc;
    snprintf(out->name, sizeof out->name, "%s", x->name);
    snprintf(out->vendor, sizeof out->vendor, "%s", x->vendor);
    char ver[64];
    short_version(x->version, ver, sizeof ver);
    snprintf(out->driver, sizeof out->driver, "%s (%s, %s)", x->driver, x->platform_name, ver);
    out->compute_units = (int)x->compute_units;
    out->memory_bytes = (uint64_t)x->global_mem;
    out->is_gpu = x->is_gpu;
    char mem[32];
    format_memory((uint64_t)x->local_mem, mem, sizeof mem);
    snprintf(out->description, sizeof out->description, "OpenCL %s %s, %s local memory; profile %s%s",
             x->is_gpu   ? "GPU"
             : x->is_cpu ? "CPU"
                         : "device",
             x->platform_name, mem, d->choice.name, d->choice.forced ? " (forced by SEQRT_OPENCL_VENDOR)" : "");
    out->iface = &ocl_device_iface;
    out->ctx = d;
}

SQ_BACKEND_MODULE_ABI;

SQ_BACKEND_MODULE_INIT_FN(sq_backend *b)
{
    snprintf(b->name, sizeof b->name, "opencl");
    /* auto: an OpenCL GPU goes first (is_gpu); an OpenCL CPU device after oneDNN */
    b->priority = 10;
    const char *forced = getenv("SEQRT_OPENCL_VENDOR");
    ocl_vendor fv;
    if (forced && *forced && !ocl_vendor_parse(forced, &fv)) {
        snprintf(b->reason, sizeof b->reason,
                 "SEQRT_OPENCL_VENDOR='%s' is not a vendor profile; valid values: amd, intel, nvidia, generic", forced);
        return SEQRT_ERR_UNAVAILABLE;
    }

    cl_platform_id plats[OCL_MAX_PLATFORMS];
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(OCL_MAX_PLATFORMS, plats, &np);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && np == 0)) {
        snprintf(b->reason, sizeof b->reason,
                 "no OpenCL platform: the ICD loader found no installable client driver (see /etc/OpenCL/vendors; "
                 "e.g. install pocl-opencl-icd or a GPU driver)");
        return SEQRT_ERR_UNAVAILABLE;
    }
    if (err != CL_SUCCESS) {
        snprintf(b->reason, sizeof b->reason, "clGetPlatformIDs failed: %s (%d)", ocl_err_name(err), (int)err);
        return SEQRT_ERR_UNAVAILABLE;
    }
    if (np > OCL_MAX_PLATFORMS) np = OCL_MAX_PLATFORMS;

    size_t n = 0;
    char skipped[256] = "";
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id ids[OCL_MAX_DEVICES];
        cl_uint nd = 0;
        err = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, OCL_MAX_DEVICES, ids, &nd);
        if (err == CL_DEVICE_NOT_FOUND) continue;
        if (err != CL_SUCCESS) {
            snprintf(skipped, sizeof skipped, "platform %u: clGetDeviceIDs failed: %s", (unsigned)p,
                     ocl_err_name(err));
            continue;
        }
        if (nd > OCL_MAX_DEVICES) nd = OCL_MAX_DEVICES;
        for (cl_uint i = 0; i < nd && n < OCL_MAX_DEVICES; i++) {
            cl_bool avail = CL_FALSE;
            if (clGetDeviceInfo(ids[i], CL_DEVICE_AVAILABLE, sizeof avail, &avail, NULL) != CL_SUCCESS || !avail)
                continue;
            ocl_device *d = &g_ctx[n];
            memset(d, 0, sizeof *d);
            d->platform = plats[p];
            d->id = ids[i];
            if (ocl_describe(plats[p], ids[i], &d->desc) != SEQRT_OK) {
                snprintf(skipped, sizeof skipped, "a device of platform %u: %s", (unsigned)p, seqrt_last_error());
                continue;
            }
            if (ocl_choose_profile(&d->desc, forced, &d->choice) != SEQRT_OK) {
                snprintf(b->reason, sizeof b->reason, "%s", seqrt_last_error());
                return SEQRT_ERR_UNAVAILABLE;
            }
            pthread_mutex_init(&d->lock, NULL);
            fill_device(&g_devices[n], d);
            sq_log(SQ_LOG_INFO, "opencl:%zu: %s (%s): %s", n, d->desc.name, d->desc.platform_name, d->choice.why);
            n++;
        }
    }
    if (n == 0) {
        snprintf(b->reason, sizeof b->reason, "no OpenCL device found on %u platform(s)%s%s", (unsigned)np,
                 skipped[0] ? "; " : "", skipped);
        return SEQRT_ERR_UNAVAILABLE;
    }
    if (skipped[0]) sq_log(SQ_LOG_WARN, "opencl: skipped %s", skipped);
    b->devices = g_devices;
    b->ndevices = n;
    return SEQRT_OK;
}
