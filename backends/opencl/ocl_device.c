/*
 * Per device, at the first session: one OpenCL context (shared by every
 * session on the device, so CLBlast's in-process program cache serves them
 * all), seqrt's kernels built once through the on-disk program cache with
 * the profile's build options, the profile's CLBlast overrides, and the
 * choice of the oneDNN route. Guarded by the device's mutex: sessions may be
 * created from several threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocl_internal.h"
#include "ocl_kernels_embed.h"

static void CL_CALLBACK context_notify(const char *info, const void *priv, size_t cb, void *user)
{
    (void)priv, (void)cb;
    const ocl_device *d = user;
    sq_log(SQ_LOG_WARN, "opencl: %s: %s", d->desc.name, info);
}

static seqrt_status prepare_locked(ocl_device *d)
{
    const ocl_profile *p = &d->choice.profile;
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)d->platform, 0};
    d->ctx = OCL_FAULT("clCreateContext", (err = CL_OUT_OF_HOST_MEMORY, NULL),
                       clCreateContext(props, 1, &d->id, context_notify, d, &err));
    if (err != CL_SUCCESS) {
        d->ctx = NULL;
        return ocl_fail(err, "clCreateContext(%s)", d->desc.name);
    }
    snprintf(d->options, sizeof d->options, "-cl-std=CL1.2 -DSQ_WG=%d -DSQ_VEC=%d -DSQ_SUBGROUPS=%d", p->reduce_wg,
             p->vec, p->subgroups ? 1 : 0);
    ocl_cache_stats st;
    seqrt_status s = ocl_program_get(d->ctx, d->id, &d->desc, ocl_kernel_source, OCL_KERNEL_SOURCE_LENGTH,
                                     d->options, &d->program, &st);
    if (s) {
        clReleaseContext(d->ctx);
        d->ctx = NULL;
        return s;
    }
    sq_log(SQ_LOG_INFO, "opencl: %s: kernels %s in %.3f s (%s%s)", d->desc.name,
           st.hit ? "loaded from the program cache" : "built from source", st.seconds,
           st.path[0] ? st.path : "program cache off", st.stored ? ", stored" : "");
    /* CLBlast's parameters are tuned for the vendor's own hardware: a profile
     * forced onto another vendor's device (CI runs every profile on PoCL)
     * keeps CLBlast's tuning for the real device, unless
     * SEQRT_OPENCL_CLBLAST_OVERRIDES=always. */
    const char *ov = getenv("SEQRT_OPENCL_CLBLAST_OVERRIDES");
    const bool apply =
        (ov && !strcmp(ov, "always")) || (!(ov && !strcmp(ov, "never")) && d->choice.vendor == d->choice.actual);
    if (!apply)
        sq_log(SQ_LOG_INFO, "opencl: %s: CLBlast keeps its own tuning (profile %s is for %s devices; this one is %s)",
               d->desc.name, d->choice.name, ocl_vendor_name(d->choice.vendor),
               ocl_vendor_name(d->choice.actual));
    else if (p->nclblast)
        sq_log(SQ_LOG_INFO, "opencl: %s: %d CLBlast parameter override(s) of profile %s", d->desc.name, p->nclblast,
               d->choice.name);
    if (apply && (s = ocl_clblast_overrides(d->id, p))) {
        clReleaseProgram(d->program);
        clReleaseContext(d->ctx);
        d->program = NULL;
        d->ctx = NULL;
        return s;
    }
    d->onednn_route = ocl_onednn_route_selected(&d->desc, &d->choice, ocl_onednn_gpu_engines, NULL, d->onednn_why,
                                                sizeof d->onednn_why);
    sq_log(SQ_LOG_INFO, "opencl: %s: %s", d->desc.name, d->onednn_why);
    d->ready = true;
    return SEQRT_OK;
}

seqrt_status ocl_device_prepare(ocl_device *d)
{
    pthread_mutex_lock(&d->lock);
    seqrt_status s = d->ready ? SEQRT_OK : prepare_locked(d);
    pthread_mutex_unlock(&d->lock);
    return s;
}
