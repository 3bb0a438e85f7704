/*
 * Every golden case under conformance/data/golden/ (PyTorch goldens, ONNX's
 * own node-test vectors, and the float64 implementation of the golden tool
 * for peephole/coupled) run on the reference backend and compared with the
 * spec's rule. The expected values are independent of seqrt: they were
 * computed by tools/make_goldens.py with PyTorch / ONNX / NumPy.
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../conformance/compare.h"
#include "seqrt.h"

#define DATA_DIR SEQRT_SOURCE_DIR "/conformance/data"
#define GOLDEN_DIR DATA_DIR "/golden"
/* The sets under DATA_DIR: golden (formats 1.0/1.1) and golden_quant (format
 * 1.2's int8-dynamic cases, tools/goldens/cases_quant.py). A case's name is
 * "<set>/<case>". */
static const char *const g_sets[] = {"golden", "golden_quant"};

typedef struct golden_case {
    char name[160];
    char device[48]; /* "reference:0", "onednn:0", ... */
} golden_case;

static int cmp_case(const void *a, const void *b)
{
    const golden_case *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->device, y->device);
}

/* Every available device of every backend ($SEQRT_TEST_BACKENDS, a comma
 * separated list of backend names, narrows it). */
static size_t list_devices(char specs[][48], size_t max)
{
    size_t n = 0;
    const char *only = getenv("SEQRT_TEST_BACKENDS");
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        seqrt_backend_info info;
        if (seqrt_backend_get_info(b, &info) != SEQRT_OK || !info.available) continue;
        if (only && *only) {
            char list[256];
            snprintf(list, sizeof list, ",%s,", only);
            char key[64];
            snprintf(key, sizeof key, ",%s,", info.name);
            if (!strstr(list, key)) continue;
        }
        for (size_t d = 0; d < info.device_count && n < max; d++)
            snprintf(specs[n++], 48, "%s:%zu", info.name, d);
    }
    return n;
}

ParameterizedTestParameters(goldens, every_device)
{
    char devices[16][48];
    size_t ndev = list_devices(devices, 16);
    size_t n = 0, cap = 512 * (ndev ? ndev : 1);
    golden_case *cases = cr_malloc(sizeof *cases * cap);
    for (size_t set = 0; set < sizeof g_sets / sizeof g_sets[0]; set++) {
        char root[600];
        snprintf(root, sizeof root, "%s/%s", DATA_DIR, g_sets[set]);
        DIR *d = opendir(root);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s/model.json", root, e->d_name);
            FILE *f = fopen(path, "r");
            if (!f) continue;
            fclose(f);
            for (size_t k = 0; k < ndev && n < cap; k++) {
                snprintf(cases[n].name, sizeof cases[0].name, "%s/%s", g_sets[set], e->d_name);
                snprintf(cases[n++].device, sizeof cases[0].device, "%s", devices[k]);
            }
        }
        closedir(d);
    }
    qsort(cases, n, sizeof *cases, cmp_case);
    return cr_make_param_array(golden_case, cases, n);
}

static void read_tolerance(const char *dir, double *atol, double *rtol)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/case.json", dir);
    *atol = SQ_DEFAULT_ATOL;
    *rtol = SQ_DEFAULT_RTOL;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    if (!j) return;
    const cJSON *a = cJSON_GetObjectItem(j, "atol"), *r = cJSON_GetObjectItem(j, "rtol");
    if (cJSON_IsNumber(a)) *atol = a->valuedouble;
    if (cJSON_IsNumber(r)) *rtol = r->valuedouble;
    cJSON_Delete(j);
}

/* Runs one case on `device` and compares every output with the golden. */
static void run_case(const char *name, const char *spec, const seqrt_device *device)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/%s", DATA_DIR, name);
    snprintf(path, sizeof path, "%s/model.json", dir);
    seqrt_model *model = NULL;
    cr_assert(eq(int, seqrt_model_load(&model, path, NULL), SEQRT_OK), "%s: load: %s", name, seqrt_last_error());
    size_t nin = seqrt_model_input_count(model), nout = seqrt_model_output_count(model);
    seqrt_tensor **inputs = calloc(nin, sizeof *inputs);
    for (size_t i = 0; i < nin; i++) {
        snprintf(path, sizeof path, "%s/input.%s.npy", dir, seqrt_model_input_name(model, i));
        cr_assert(eq(int, seqrt_tensor_load_npy(&inputs[i], path), SEQRT_OK), "%s: %s", name, seqrt_last_error());
    }
    seqrt_session *s = NULL;
    seqrt_status st = seqrt_session_create(&s, model, device, NULL);
    if (st == SEQRT_ERR_UNSUPPORTED && strstr(seqrt_last_error(), "at precision")) {
        /* a format 1.2 precision the backend does not compute: refused by
         * name, reported as such (neither a pass nor a silent skip) */
        char why[700];
        snprintf(why, sizeof why, "%s on %s: UNSUPPORTED ON THIS BACKEND: %s", name, spec, seqrt_last_error());
        for (size_t i = 0; i < nin; i++) seqrt_tensor_free(inputs[i]);
        free(inputs);
        seqrt_model_free(model);
        cr_skip_test("%s", why);
    }
    cr_assert(eq(int, st, SEQRT_OK), "%s on %s: session: %s", name, spec, seqrt_last_error());
    cr_assert(eq(int, seqrt_session_run(s, (const seqrt_tensor *const *)inputs, nin), SEQRT_OK), "%s on %s: run: %s",
              name, spec, seqrt_last_error());
    double atol, rtol;
    read_tolerance(dir, &atol, &rtol);
    for (size_t o = 0; o < nout; o++) {
        char value[256];
        snprintf(value, sizeof value, "%s", seqrt_model_output_name(model, o));
        for (char *c = value; *c; c++)
            if (*c == ':') *c = '.';
        snprintf(path, sizeof path, "%s/expected.%s.npy", dir, value);
        seqrt_tensor *want = NULL;
        const seqrt_tensor *got = NULL;
        cr_assert(eq(int, seqrt_tensor_load_npy(&want, path), SEQRT_OK), "%s: %s", name, seqrt_last_error());
        cr_assert(eq(int, seqrt_session_output(s, o, &got), SEQRT_OK));
        cr_assert(eq(int, seqrt_tensor_rank(got), seqrt_tensor_rank(want)), "%s: output %s: rank", name, value);
        for (int d = 0; d < seqrt_tensor_rank(want); d++)
            cr_assert(eq(i64, seqrt_tensor_dim(got, d), seqrt_tensor_dim(want, d)), "%s: output %s: dim %d", name,
                      value, d);
        sq_compare_result r;
        int ok = sq_compare(seqrt_tensor_data(got), seqrt_tensor_data(want), seqrt_tensor_count(want), atol, rtol, &r);
        cr_expect(ok,
                  "%s on %s: output %s: %zu of %zu elements outside atol %g + rtol %g (first at %zu: got %.9g, expected "
                  "%.9g; max abs %.3g, max rel %.3g, nonfinite mismatches %zu)",
                  name, spec, value, r.failures, r.count, atol, rtol, r.first_bad, r.got_bad, r.ref_bad, r.max_abs,
                  r.max_rel, r.nonfinite_mismatch);
        seqrt_tensor_free(want);
    }
    seqrt_session_free(s);
    for (size_t i = 0; i < nin; i++) seqrt_tensor_free(inputs[i]);
    free(inputs);
    seqrt_model_free(model);
}

ParameterizedTest(golden_case *c, goldens, every_device)
{
    const seqrt_device *dev = NULL;
    cr_assert(eq(int, seqrt_device_find(&dev, c->device), SEQRT_OK), "%s", seqrt_last_error());
    run_case(c->name, c->device, dev);
}

Test(goldens, present)
{
    /* the suite must not pass vacuously */
    DIR *d = opendir(GOLDEN_DIR);
    cr_assert(d != NULL, "no golden directory at %s", GOLDEN_DIR);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    cr_assert(gt(int, n, 40), "only %d golden cases found", n);
}

Test(goldens, requested_backends_available)
{
    /* A backend named in $SEQRT_TEST_BACKENDS must be there: a module that
     * fails to load must fail the run, not skip its cases silently. */
    const char *only = getenv("SEQRT_TEST_BACKENDS");
    if (!only || !*only) return;
    char list[256];
    snprintf(list, sizeof list, "%s", only);
    char *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const seqrt_device *dev = NULL;
        cr_expect(eq(int, seqrt_device_find(&dev, name), SEQRT_OK), "SEQRT_TEST_BACKENDS names '%s': %s", name,
                  seqrt_last_error());
    }
}
