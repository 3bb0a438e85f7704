/*
 * Vendor dispatch, part 1: which vendor a device belongs to, its
 * architecture key, and whether the Intel-GPU route through oneDNN applies.
 * Pure functions of a ocl_desc, so the unit test can describe devices it
 * does not have (an Intel Arc GPU, an NVIDIA GPU, PoCL on a CPU).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ocl_internal.h"

static const char *const g_vendor_names[OCL_VENDOR_COUNT] = {"generic", "amd", "intel", "nvidia"};

const char *ocl_vendor_name(ocl_vendor v) { return (unsigned)v < OCL_VENDOR_COUNT ? g_vendor_names[v] : "?"; }

bool ocl_vendor_parse(const char *s, ocl_vendor *out)
{
    for (int v = 0; s && v < OCL_VENDOR_COUNT; v++)
        if (!strcasecmp(s, g_vendor_names[v])) {
            *out = (ocl_vendor)v;
            return true;
        }
    return false;
}

static bool has(const char *hay, const char *needle) { return hay && strcasestr(hay, needle) != NULL; }

static bool is_pocl(const ocl_desc *d)
{
    return has(d->platform_name, "Portable Computing Language") || has(d->platform_version, "PoCL") ||
           has(d->version, "PoCL");
}

ocl_vendor ocl_vendor_normalise(const ocl_desc *d, char *why, size_t n)
{
    char tmp[8];
    if (!why) why = tmp, n = sizeof tmp;
    if (is_pocl(d)) {
        snprintf(why, n, "PoCL (platform '%s') counts as a generic %s device", d->platform_name,
                 d->is_gpu ? "GPU" : "CPU");
        return OCL_GENERIC;
    }
    if (d->is_cpu && !d->is_gpu) {
        snprintf(why, n, "a CPU device (vendor '%s'): the GPU vendor profiles do not apply", d->vendor);
        return OCL_GENERIC;
    }
    /* PCI vendor ids first (GPUs report them), then the vendor string. */
    switch (d->vendor_id) {
    case 0x10DE: snprintf(why, n, "PCI vendor id 0x10de (NVIDIA)"); return OCL_NVIDIA;
    case 0x1002:
    case 0x1022: snprintf(why, n, "PCI vendor id 0x%04x (AMD)", (unsigned)d->vendor_id); return OCL_AMD;
    case 0x8086: snprintf(why, n, "PCI vendor id 0x8086 (Intel)"); return OCL_INTEL;
    default: break;
    }
    if (has(d->vendor, "NVIDIA")) {
        snprintf(why, n, "vendor '%s'", d->vendor);
        return OCL_NVIDIA;
    }
    if (has(d->vendor, "Advanced Micro Devices") || has(d->vendor, "AMD") || has(d->vendor, "ATI Technologies")) {
        snprintf(why, n, "vendor '%s'", d->vendor);
        return OCL_AMD;
    }
    if (has(d->vendor, "Intel")) {
        snprintf(why, n, "vendor '%s'", d->vendor);
        return OCL_INTEL;
    }
    snprintf(why, n, "vendor '%s' (id 0x%x) is none of AMD, Intel, NVIDIA", d->vendor, (unsigned)d->vendor_id);
    return OCL_GENERIC;
}

void ocl_arch(const ocl_desc *d, ocl_vendor v, char *arch, size_t n)
{
    snprintf(arch, n, "default");
    switch (v) {
    case OCL_NVIDIA:
        /* compute capability, as CLBlast's database keys NVIDIA GPUs */
        if (d->nv_cc_major > 0) snprintf(arch, n, "SM%d.%d", d->nv_cc_major, d->nv_cc_minor);
        break;
    case OCL_AMD: {
        /* ROCm names devices by their gfx target ("gfx90a:sramecc+:xnack-") */
        if (!strncmp(d->name, "gfx", 3)) {
            size_t k = 0;
            while (d->name[k] && d->name[k] != ':' && k + 1 < n) {
                arch[k] = d->name[k];
                k++;
            }
            arch[k] = '\0';
        } else if (d->name[0] && !strchr(d->name, ' ')) {
            snprintf(arch, n, "%s", d->name); /* older drivers: "Ellesmere", "Fiji" */
        }
        break;
    }
    case OCL_INTEL:
        if (!d->is_gpu) break;
        if (has(d->name, "Data Center GPU Max"))
            snprintf(arch, n, "Xe-HPC");
        else if (has(d->name, "Arc"))
            snprintf(arch, n, "Xe-HPG");
        else if (has(d->name, "Iris(R) Xe") || has(d->name, "Iris Xe") || has(d->name, "UHD Graphics 7"))
            snprintf(arch, n, "Xe-LP");
        else if (has(d->name, "HD Graphics") || has(d->name, "Iris"))
            snprintf(arch, n, "Gen9");
        break;
    case OCL_GENERIC:
    default: snprintf(arch, n, "%s", d->is_gpu ? "gpu" : d->is_cpu ? "cpu" : "default"); break;
    }
}

/* ------------------------------------------------------------ oneDNN route */

bool ocl_onednn_route_selected(const ocl_desc *d, const ocl_choice *c, ocl_engine_probe gpu_engines,
                               void *probe_ctx, char *why, size_t n)
{
    char tmp[8];
    if (!why) why = tmp, n = sizeof tmp;
    if (!c->profile.onednn) {
        snprintf(why, n, "profile %s does not route through oneDNN", c->name);
        return false;
    }
    if (c->actual != OCL_INTEL || !d->is_gpu) {
        snprintf(why, n,
                 "profile %s asks for oneDNN, but oneDNN's GPU engine needs an Intel GPU and this device is "
                 "a %s %s: own kernels and CLBlast instead",
                 c->name, ocl_vendor_name(c->actual),
                 d->is_gpu   ? "GPU"
                 : d->is_cpu ? "CPU"
                             : "device");
        return false;
    }
    int engines = gpu_engines ? gpu_engines(probe_ctx) : -1;
    if (engines < 0) {
        snprintf(why, n,
                 "Intel GPU, but oneDNN (libdnnl.so.2 or .3) cannot be opened: own kernels and CLBlast instead");
        return false;
    }
    if (engines == 0) {
        snprintf(why, n,
                 "Intel GPU, but oneDNN reports no GPU engine (built without its OpenCL GPU runtime, or the "
                 "driver is unsupported): own kernels and CLBlast instead");
        return false;
    }
    snprintf(why, n,
             "Intel GPU and oneDNN reports %d GPU engine(s): GEMMs of the recurrent and linear layers go "
             "through oneDNN on the session's OpenCL context and queue",
             engines);
    return true;
}
