/*
 * Unit tests of the OpenCL backend's dispatch and program cache:
 *   - vendor normalisation and architecture keys of described devices
 *     (NVIDIA, AMD, Intel GPUs that are not here, PoCL and Intel CPUs);
 *   - the vendor -> architecture -> device table: defaults at each level,
 *     SEQRT_OPENCL_VENDOR forcing, an invalid value's error, fitting a
 *     profile to the device;
 *   - the Intel oneDNN route: selected for a described Intel GPU whose
 *     oneDNN reports a GPU engine, and not on every other device;
 *   - the on-disk program cache (on the first OpenCL device, if any): a
 *     second build is a cache hit, a corrupt entry is rebuilt, a failed
 *     build reports its build log;
 *   - the module: SEQRT_OPENCL_VENDOR=bogus makes the backend unavailable
 *     with a reason naming the valid values; the description names the
 *     profile.
 * Criterion runs every test in its own process, so each may set its own
 * environment before the registry is first used.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clblast_c.h>

#include "ocl_internal.h"

/* ------------------------------------------------------------ described devices */

static ocl_desc gpu(const char *vendor, cl_uint vendor_id, const char *name, const char *platform)
{
    ocl_desc d;
    memset(&d, 0, sizeof d);
    snprintf(d.vendor, sizeof d.vendor, "%s", vendor);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.platform_name, sizeof d.platform_name, "%s", platform);
    snprintf(d.platform_version, sizeof d.platform_version, "OpenCL 3.0");
    snprintf(d.version, sizeof d.version, "OpenCL 3.0");
    snprintf(d.driver, sizeof d.driver, "1.0");
    d.vendor_id = vendor_id;
    d.is_gpu = true;
    d.max_wg = 1024;
    d.local_mem = 64 * 1024;
    d.has_subgroups = true;
    return d;
}

static ocl_desc intel_arc(void)
{
    return gpu("Intel(R) Corporation", 0x8086, "Intel(R) Arc(TM) A770 Graphics", "Intel(R) OpenCL Graphics");
}

static ocl_desc pocl_cpu(void)
{
    ocl_desc d = gpu("AuthenticAMD", 0x8086, "pthread-skylake-avx512-AMD EPYC", "Portable Computing Language");
    snprintf(d.platform_version, sizeof d.platform_version, "OpenCL 3.0 PoCL 3.1+debian");
    d.is_gpu = false;
    d.is_cpu = true;
    d.local_mem = 512 * 1024;
    d.max_wg = 4096;
    d.has_subgroups = false;
    return d;
}

static ocl_choice choose(const ocl_desc *d, const char *forced)
{
    ocl_choice c;
    cr_assert_eq(ocl_choose_profile(d, forced, &c), SEQRT_OK, "%s", seqrt_last_error());
    return c;
}

Test(vendor, pocl_is_generic_cpu)
{
    ocl_desc d = pocl_cpu();
    char why[256];
    cr_assert_eq(ocl_vendor_normalise(&d, why, sizeof why), OCL_GENERIC);
    cr_assert(strstr(why, "PoCL"), "%s", why);
    ocl_choice c = choose(&d, NULL);
    cr_assert_str_eq(c.name, "generic/cpu/default");
    cr_assert(!c.forced);
}

Test(vendor, gpus_by_pci_id_and_name)
{
    ocl_desc nv = gpu("NVIDIA Corporation", 0x10DE, "NVIDIA GeForce RTX 3080", "NVIDIA CUDA");
    nv.nv_cc_major = 8, nv.nv_cc_minor = 6;
    cr_assert_str_eq(choose(&nv, NULL).name, "nvidia/SM8.6/default");
    nv.nv_cc_major = 7, nv.nv_cc_minor = 5; /* an architecture the table does not list */
    cr_assert_str_eq(choose(&nv, NULL).name, "nvidia/default/default");

    ocl_desc amd =
        gpu("Advanced Micro Devices, Inc.", 0x1002, "gfx90a:sramecc+:xnack-", "AMD Accelerated Parallel Processing");
    char arch[64];
    ocl_arch(&amd, OCL_AMD, arch, sizeof arch);
    cr_assert_str_eq(arch, "gfx90a");
    cr_assert_str_eq(choose(&amd, NULL).name, "amd/gfx90a/default");
    snprintf(amd.name, sizeof amd.name, "gfx1100");
    cr_assert_str_eq(choose(&amd, NULL).name, "amd/default/default");

    ocl_desc arc = intel_arc();
    cr_assert_str_eq(choose(&arc, NULL).name, "intel/Xe-HPG/default");
    ocl_desc uhd = gpu("Intel(R) Corporation", 0x8086, "Intel(R) UHD Graphics 630", "Intel(R) OpenCL HD Graphics");
    cr_assert_str_eq(choose(&uhd, NULL).name, "intel/Gen9/default");

    /* vendor string only (no PCI id) */
    ocl_desc nv2 = gpu("NVIDIA Corporation", 0, "Tesla T4", "NVIDIA CUDA");
    cr_assert_eq(ocl_vendor_normalise(&nv2, NULL, 0), OCL_NVIDIA);
    /* unknown vendor */
    ocl_desc apple = gpu("Apple", 0x1027f00, "Apple M1", "Apple");
    cr_assert_eq(ocl_vendor_normalise(&apple, NULL, 0), OCL_GENERIC);
    cr_assert_str_eq(choose(&apple, NULL).name, "generic/gpu/default");
}

Test(vendor, cpu_runtimes_are_generic)
{
    ocl_desc d = gpu("Intel(R) Corporation", 0x8086, "Intel(R) Xeon(R) Gold 6230",
                     "Intel(R) CPU Runtime for OpenCL(TM) Applications");
    d.is_gpu = false;
    d.is_cpu = true;
    cr_assert_eq(ocl_vendor_normalise(&d, NULL, 0), OCL_GENERIC);
    cr_assert_str_eq(choose(&d, NULL).name, "generic/cpu/default");
}

/* ------------------------------------------------------------ the table */

Test(profiles, every_vendor_has_defaults_and_sane_values)
{
    const char *vendors[] = {"generic", "amd", "intel", "nvidia"};
    for (int v = 0; v < 4; v++) {
        bool found = false;
        for (int i = 0; i < ocl_profile_table_size; i++) {
            const ocl_profile_entry *e = &ocl_profile_table[i];
            if (!strcmp(e->vendor, vendors[v]) && !strcmp(e->arch, "default") && !strcmp(e->device, "default"))
                found = true;
        }
        cr_assert(found, "vendor %s has no default/default row", vendors[v]);
    }
    for (int i = 0; i < ocl_profile_table_size; i++) {
        const ocl_profile_entry *e = &ocl_profile_table[i];
        const ocl_profile *p = &e->p;
        cr_assert(p->reduce_wg > 0 && (p->reduce_wg & (p->reduce_wg - 1)) == 0, "row %d: reduce_wg", i);
        cr_assert(p->vec == 1 || p->vec == 2 || p->vec == 4 || p->vec == 8, "row %d: vec", i);
        cr_assert(p->persistent_wg > 0 && p->wg >= 0, "row %d: work-group sizes", i);
        /* the step kernels: units on CPUs and the generic default, rows on GPUs */
        const bool gpu = strcmp(e->vendor, "generic") || !strcmp(e->arch, "gpu");
        cr_assert_eq(p->step_form, gpu ? OCL_STEP_ROWS : OCL_STEP_UNITS, "row %d: step form", i);
        cr_assert(p->step_max_batch >= 0 && p->step_max_batch <= 8, "row %d: step bound", i);
        cr_assert(p->rows_wg > 0 && (p->rows_wg & (p->rows_wg - 1)) == 0, "row %d: rows_wg", i);
        cr_assert(p->rows_lanes > 0 && (p->rows_lanes & (p->rows_lanes - 1)) == 0 && p->rows_lanes <= p->rows_wg,
                  "row %d: rows_lanes", i);
        cr_assert(p->rows_units > 0, "row %d: rows_units", i);
        /* the grid kernel: not in auto until measured on a GPU; a bounded wait */
        cr_assert_eq(p->grid_max_batch, 0, "row %d: grid bound", i);
        cr_assert(p->grid_per_cu >= 1 && p->grid_spin >= 1, "row %d: grid size and spin", i);
        for (int k = 0; k < p->nclblast; k++) {
            cr_assert(p->clblast[k].n > 0 && p->clblast[k].n <= OCL_MAX_CLBLAST_PARAMS);
            for (int j = 0; j < p->clblast[k].n; j++) cr_assert(p->clblast[k].names[j] != NULL);
        }
        for (int j = 0; j < i; j++) {
            const ocl_profile_entry *f = &ocl_profile_table[j];
            cr_assert(strcmp(e->vendor, f->vendor) || strcmp(e->arch, f->arch) || strcmp(e->device, f->device),
                      "rows %d and %d have the same key", j, i);
        }
    }
}

Test(profiles, forced_vendor)
{
    ocl_desc d = pocl_cpu();
    const char *names[] = {"amd", "intel", "nvidia", "generic", "NVIDIA"};
    const char *want[] = {"amd/default/default", "intel/default/default", "nvidia/default/default",
                          "generic/cpu/default", "nvidia/default/default"};
    for (int i = 0; i < 5; i++) {
        ocl_choice c = choose(&d, names[i]);
        cr_assert_str_eq(c.name, want[i], "SEQRT_OPENCL_VENDOR=%s", names[i]);
        cr_assert(c.forced);
        cr_assert_eq(c.actual, OCL_GENERIC);
        cr_assert(strstr(c.why, "forced by SEQRT_OPENCL_VENDOR"), "%s", c.why);
    }
    /* an empty value is "not set" */
    cr_assert(!choose(&d, "").forced);
}

Test(profiles, bogus_vendor_is_an_error)
{
    ocl_desc d = pocl_cpu();
    ocl_choice c;
    cr_assert_eq(ocl_choose_profile(&d, "bogus", &c), SEQRT_ERR_UNAVAILABLE);
    const char *e = seqrt_last_error();
    cr_assert(strstr(e, "bogus") && strstr(e, "amd, intel, nvidia, generic"), "%s", e);
}

Test(profiles, fitted_to_the_device)
{
    ocl_desc d = intel_arc();
    d.max_wg = 64;
    d.local_mem = 16 * 1024;
    d.has_subgroups = false;
    ocl_choice c = choose(&d, NULL);
    cr_assert_leq(c.profile.wg, 64);
    cr_assert_leq(c.profile.reduce_wg, 64);
    cr_assert_leq(c.profile.persistent_wg, 64);
    cr_assert_leq(c.profile.rows_wg, 64);
    cr_assert_leq(c.profile.rows_lanes, c.profile.rows_wg);
    cr_assert_eq(c.profile.persistent_local_kib, 16);
    cr_assert(!c.profile.subgroups);
    cr_assert(strstr(c.why, "subgroups off"), "%s", c.why);
    d.has_subgroups = true;
    cr_assert(choose(&d, NULL).profile.subgroups);
}

/* CLBlast checks an override's kernel name and that every parameter of the
 * kernel is given (the values are only compiled at the next GEMM). */
Test(profiles, clblast_accepts_every_override)
{
    cl_platform_id p;
    cl_device_id dev;
    cl_uint np = 0, nd = 0;
    if (clGetPlatformIDs(1, &p, &np) != CL_SUCCESS || !np ||
        clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, &dev, &nd) != CL_SUCCESS || !nd)
        cr_skip_test("no OpenCL device");
    int checked = 0;
    for (int i = 0; i < ocl_profile_table_size; i++) {
        const ocl_profile *pr = &ocl_profile_table[i].p;
        for (int k = 0; k < pr->nclblast; k++, checked++) {
            const ocl_clblast_override *o = &pr->clblast[k];
            CLBlastStatusCode c = CLBlastOverrideParameters(dev, o->kernel, CLBlastPrecisionSingle, (size_t)o->n,
                                                            (const char **)o->names, o->values);
            cr_assert_eq(c, CLBlastSuccess, "row %d (%s/%s/%s), %s: CLBlast status %d", i,
                         ocl_profile_table[i].vendor, ocl_profile_table[i].arch, ocl_profile_table[i].device,
                         o->kernel, (int)c);
        }
    }
    cr_assert_gt(checked, 0);
}

/* ------------------------------------------------------------ oneDNN route */

static int g_probe_calls;
static int probe_one(void *ctx)
{
    (void)ctx;
    g_probe_calls++;
    return 1;
}
static int probe_zero(void *ctx)
{
    (void)ctx;
    g_probe_calls++;
    return 0;
}
static int probe_missing(void *ctx)
{
    (void)ctx;
    g_probe_calls++;
    return -1;
}

Test(onednn_route, selected_on_an_intel_gpu_with_a_gpu_engine)
{
    ocl_desc d = intel_arc();
    ocl_choice c = choose(&d, NULL);
    char why[256];
    cr_assert(c.profile.onednn);
    cr_assert(ocl_onednn_route_selected(&d, &c, probe_one, NULL, why, sizeof why), "%s", why);
    cr_assert(strstr(why, "oneDNN"), "%s", why);
    /* also when the Intel profile is forced on the Intel GPU itself */
    c = choose(&d, "intel");
    cr_assert(ocl_onednn_route_selected(&d, &c, probe_one, NULL, why, sizeof why), "%s", why);
}

Test(onednn_route, falls_back_without_a_gpu_engine)
{
    ocl_desc d = intel_arc();
    ocl_choice c = choose(&d, NULL);
    char why[256];
    cr_assert(!ocl_onednn_route_selected(&d, &c, probe_zero, NULL, why, sizeof why));
    cr_assert(strstr(why, "no GPU engine"), "%s", why);
    cr_assert(!ocl_onednn_route_selected(&d, &c, probe_missing, NULL, why, sizeof why));
    cr_assert(strstr(why, "cannot be opened"), "%s", why);
}

Test(onednn_route, falls_back_on_every_other_device)
{
    ocl_desc nv = gpu("NVIDIA Corporation", 0x10DE, "NVIDIA A100", "NVIDIA CUDA");
    ocl_desc amd = gpu("Advanced Micro Devices, Inc.", 0x1002, "gfx90a", "AMD APP");
    ocl_desc pocl = pocl_cpu();
    ocl_desc xeon = gpu("Intel(R) Corporation", 0x8086, "Intel(R) Xeon(R)", "Intel(R) CPU Runtime");
    xeon.is_gpu = false, xeon.is_cpu = true;
    const ocl_desc *devs[] = {&nv, &amd, &pocl, &xeon};
    const char *forced[] = {NULL, "intel"};
    g_probe_calls = 0;
    for (int i = 0; i < 4; i++)
        for (int f = 0; f < 2; f++) {
            ocl_choice c = choose(devs[i], forced[f]);
            char why[256];
            cr_assert(!ocl_onednn_route_selected(devs[i], &c, probe_one, NULL, why, sizeof why),
                      "device %d, forced %s: %s", i, forced[f] ? forced[f] : "-", why);
        }
    /* oneDNN is not even probed where the route cannot apply */
    cr_assert_eq(g_probe_calls, 0);
}

Test(onednn_route, probe_of_the_real_onednn_does_not_crash)
{
    int n = ocl_onednn_gpu_engines(NULL);
    cr_assert_geq(n, -1);
}

/* ------------------------------------------------------------ program cache */

static bool first_device(cl_platform_id *p, cl_device_id *d)
{
    cl_uint np = 0;
    if (clGetPlatformIDs(1, p, &np) != CL_SUCCESS || np == 0) return false;
    cl_uint nd = 0;
    return clGetDeviceIDs(*p, CL_DEVICE_TYPE_ALL, 1, d, &nd) == CL_SUCCESS && nd > 0;
}

static const char g_src[] = "__kernel void twice(__global float *x) { x[get_global_id(0)] *= 2.0f; }\n";

Test(program_cache, second_build_is_a_hit_and_corruption_is_rebuilt)
{
    cl_platform_id p;
    cl_device_id dev;
    if (!first_device(&p, &dev)) cr_skip_test("no OpenCL device");
    char dir[] = "/tmp/seqrt-ocl-cache-XXXXXX";
    cr_assert(mkdtemp(dir));
    setenv("SEQRT_OPENCL_CACHE_DIR", dir, 1);
    ocl_desc d;
    cr_assert_eq(ocl_describe(p, dev, &d), SEQRT_OK);
    cl_int err;
    cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    cr_assert_eq(err, CL_SUCCESS);
    ocl_cache_stats st;
    cl_program prog;
    cr_assert_eq(ocl_program_get(ctx, dev, &d, g_src, strlen(g_src), "-DX=1", &prog, &st), SEQRT_OK, "%s",
                 seqrt_last_error());
    cr_assert(!st.hit && st.stored, "first build: hit %d stored %d", st.hit, st.stored);
    cr_assert(strncmp(st.path, dir, strlen(dir)) == 0, "%s", st.path);
    clReleaseProgram(prog);
    cr_assert_eq(ocl_program_get(ctx, dev, &d, g_src, strlen(g_src), "-DX=1", &prog, &st), SEQRT_OK);
    cr_assert(st.hit, "second build must come from the cache");
    cl_kernel k = clCreateKernel(prog, "twice", &err);
    cr_assert_eq(err, CL_SUCCESS, "a cached program must hold its kernels");
    clReleaseKernel(k);
    clReleaseProgram(prog);
    /* other options: another key */
    char k1[33], k2[33];
    ocl_cache_key(&d, g_src, strlen(g_src), "-DX=1", k1);
    ocl_cache_key(&d, g_src, strlen(g_src), "-DX=2", k2);
    cr_assert_str_neq(k1, k2);
    snprintf(d.driver, sizeof d.driver, "another driver");
    ocl_cache_key(&d, g_src, strlen(g_src), "-DX=1", k2);
    cr_assert_str_neq(k1, k2);
    cr_assert_eq(ocl_describe(p, dev, &d), SEQRT_OK);
    /* a corrupt entry is ignored and rewritten */
    FILE *f = fopen(st.path, "r+b");
    cr_assert(f);
    fseek(f, 40, SEEK_SET);
    fputs("garbage garbage garbage", f);
    fclose(f);
    cr_assert_eq(truncate(st.path, 60), 0);
    cr_assert_eq(ocl_program_get(ctx, dev, &d, g_src, strlen(g_src), "-DX=1", &prog, &st), SEQRT_OK);
    cr_assert(!st.hit && st.stored);
    clReleaseProgram(prog);
    cr_assert_eq(ocl_program_get(ctx, dev, &d, g_src, strlen(g_src), "-DX=1", &prog, &st), SEQRT_OK);
    cr_assert(st.hit);
    clReleaseProgram(prog);
    clReleaseContext(ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(program_cache, failed_build_reports_the_log)
{
    cl_platform_id p;
    cl_device_id dev;
    if (!first_device(&p, &dev)) cr_skip_test("no OpenCL device");
    setenv("SEQRT_OPENCL_CACHE", "0", 1);
    ocl_desc d;
    cr_assert_eq(ocl_describe(p, dev, &d), SEQRT_OK);
    cl_int err;
    cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    cr_assert_eq(err, CL_SUCCESS);
    const char bad[] = "__kernel void broken(__global float *x) { x[0] = undeclared_thing; }\n";
    cl_program prog = NULL;
    ocl_cache_stats st;
    cr_assert_eq(ocl_program_get(ctx, dev, &d, bad, strlen(bad), "", &prog, &st), SEQRT_ERR_DEVICE);
    cr_assert_null(prog);
    const char *e = seqrt_last_error();
    cr_assert(strstr(e, "build log") && strstr(e, "undeclared_thing"), "%s", e);
    cr_assert(strchr(e, '\n') == NULL, "one line: %s", e);
    clReleaseContext(ctx);
}

/* ------------------------------------------------------------ the module */

static int opencl_index(seqrt_backend_info *info)
{
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        cr_assert_eq(seqrt_backend_get_info(b, info), SEQRT_OK);
        if (!strcmp(info->name, "opencl")) return (int)b;
    }
    return -1;
}

Test(module, bogus_vendor_makes_the_backend_unavailable)
{
    setenv("SEQRT_OPENCL_VENDOR", "bogus", 1);
    seqrt_backend_info info;
    int b = opencl_index(&info);
    cr_assert_geq(b, 0);
    if (strstr(info.reason, "not found")) cr_skip_test("no opencl module: %s", info.reason);
    cr_assert(!info.available);
    cr_assert(strstr(info.reason, "bogus") && strstr(info.reason, "amd, intel, nvidia, generic"), "%s", info.reason);
    const seqrt_device *dev;
    cr_assert_eq(seqrt_device_find(&dev, "opencl"), SEQRT_ERR_UNAVAILABLE);
    cr_assert(strstr(seqrt_last_error(), "SEQRT_OPENCL_VENDOR"), "%s", seqrt_last_error());
}

Test(module, description_names_the_forced_profile)
{
    setenv("SEQRT_OPENCL_VENDOR", "amd", 1);
    seqrt_backend_info info;
    cr_assert_geq(opencl_index(&info), 0);
    if (!info.available) cr_skip_test("opencl unavailable: %s", info.reason);
    const seqrt_device *dev;
    cr_assert_eq(seqrt_device_find(&dev, "opencl:0"), SEQRT_OK, "%s", seqrt_last_error());
    seqrt_device_info di;
    cr_assert_eq(seqrt_device_get_info(dev, &di), SEQRT_OK);
    cr_assert(strstr(di.description, "amd/default/default") && strstr(di.description, "forced"), "%s", di.description);
    cr_assert(di.compute_units > 0 && di.memory_bytes > 0);
    cr_assert(di.vendor[0] && di.driver[0] && di.name[0]);
}

/* ------------------------------------------------------------ long softmax rows */

/* A model with no weights: softmax or log_softmax over [R, N]. */
static void write_softmax_model(const char *dir, const char *op, int N)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f,
            "{\"format\": \"seqrt\", \"version\": 1, \"name\": \"long_rows\", \"weights\": \"model.safetensors\","
            " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"R\", %d]}],"
            " \"layers\": [{\"op\": \"%s\", \"name\": \"sm\", \"inputs\": {\"x\": \"x\"}}],"
            " \"outputs\": [\"sm\"]}\n",
            N, op);
    fclose(f);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    cr_assert(f);
    const unsigned char header[16] = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
    fwrite(header, 1, sizeof header, f);
    fclose(f);
}

static seqrt_tensor *run_on(const char *dir, const char *backend, seqrt_tensor *x)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model.json", dir);
    seqrt_model *m = NULL;
    cr_assert_eq(seqrt_model_load(&m, path, NULL), SEQRT_OK, "%s", seqrt_last_error());
    const seqrt_device *dev;
    cr_assert_eq(seqrt_device_find(&dev, backend), SEQRT_OK, "%s", seqrt_last_error());
    seqrt_session *s = NULL;
    cr_assert_eq(seqrt_session_create(&s, m, dev, NULL), SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(seqrt_session_run(s, (const seqrt_tensor *const *)&x, 1), SEQRT_OK, "%s", seqrt_last_error());
    const seqrt_tensor *y;
    cr_assert_eq(seqrt_session_output(s, 0, &y), SEQRT_OK);
    seqrt_tensor *copy = NULL;
    int64_t dims[2] = {seqrt_tensor_dim(y, 0), seqrt_tensor_dim(y, 1)};
    cr_assert_eq(seqrt_tensor_create(&copy, SEQRT_F32, 2, dims), SEQRT_OK);
    memcpy(seqrt_tensor_data(copy), seqrt_tensor_data(y), seqrt_tensor_count(y) * sizeof(float));
    seqrt_session_free(s);
    seqrt_model_free(m);
    return copy;
}

/* Rows longer than every profile's softmax_wg_min take the work-group
 * kernel; rows of NaN, +Inf and all -Inf must come out as the reference's. */
static void long_rows(const char *op)
{
    seqrt_backend_info info;
    if (opencl_index(&info) < 0 || !info.available) cr_skip_test("opencl unavailable");
    char dir[] = "/tmp/seqrt-ocl-softmax-XXXXXX";
    cr_assert(mkdtemp(dir));
    const int R = 5, N = 5000;
    write_softmax_model(dir, op, N);
    int64_t dims[2] = {R, N};
    seqrt_tensor *x;
    cr_assert_eq(seqrt_tensor_create(&x, SEQRT_F32, 2, dims), SEQRT_OK);
    float *v = seqrt_tensor_data(x);
    for (int i = 0; i < R * N; i++) v[i] = (float)((i * 7919) % 2000) / 100.0f - 10.0f;
    v[1 * N + 17] = NAN;
    v[2 * N + 4000] = INFINITY;
    for (int i = 0; i < N; i++) v[3 * N + i] = -INFINITY;
    v[4 * N + 3] = 80.0f; /* large: max-subtraction keeps exp finite */
    seqrt_tensor *want = run_on(dir, "reference", x), *got = run_on(dir, "opencl", x);
    const float *a = seqrt_tensor_data(got), *b = seqrt_tensor_data(want);
    for (int i = 0; i < R * N; i++) {
        if (isnan(b[i]) || isinf(b[i])) {
            cr_assert(isnan(b[i]) ? isnan(a[i]) : a[i] == b[i], "%s element %d: got %g, expected %g", op, i, a[i],
                      b[i]);
            continue;
        }
        cr_assert(fabsf(a[i] - b[i]) <= 1e-4f + 1e-3f * fabsf(b[i]), "%s element %d: got %.9g, expected %.9g", op, i,
                  a[i], b[i]);
    }
    seqrt_tensor_free(x);
    seqrt_tensor_free(want);
    seqrt_tensor_free(got);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(long_rows, softmax) { long_rows("softmax"); }
Test(long_rows, log_softmax) { long_rows("log_softmax"); }
