/*
 * The comparator is tested too: planted errors must fail.
 *
 *   compare   an error just over the bound fails (just under passes); a NaN
 *             where the reference has a number fails, and the other way
 *             round; Inf signs must match; a shape mismatch fails.
 *   guards    a write one float past the end (or before the start) of an
 *             output is caught; an element never written is caught.
 *   runner    the test-only backend "perturb" (perturb_backend.c, loaded
 *             with SEQRT_EXTRA_BACKENDS=perturb from build/test-modules)
 *             breaks the reference's outputs on purpose; the runner must
 *             report FAIL for every break, SKIPPED for what it declares
 *             unsupported, and say where it is not deterministic.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#define ATOL SQ_DEFAULT_ATOL
#define RTOL SQ_DEFAULT_RTOL

/* ------------------------------------------------------------ compare */

static int cmp1(float got, float ref)
{
    sq_compare_result r;
    return sq_compare(&got, &ref, 1, ATOL, RTOL, &r);
}

Test(compare, planted_error_just_over_the_bound_fails)
{
    const float refs[] = {0.0f, 1e-3f, 0.5f, 1.0f, -3.0f, 250.0f, -1e4f};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        double ref = refs[i], bound = ATOL + RTOL * fabs(ref);
        float over = (float)(ref + 1.01 * bound), under = (float)(ref - 0.99 * bound);
        cr_expect(!cmp1(over, refs[i]), "ref %g: an error of 1.01x the bound (%g) passed", ref, bound);
        cr_expect(!cmp1((float)(ref - 1.01 * bound), refs[i]), "ref %g: -1.01x the bound passed", ref);
        cr_expect(cmp1(under, refs[i]), "ref %g: an error of 0.99x the bound failed", ref);
    }
    /* one bad element among many is found, with its index */
    float ref[100], got[100];
    for (int i = 0; i < 100; i++) ref[i] = got[i] = (float)i * 0.25f;
    got[57] += (float)(1.01 * (ATOL + RTOL * fabs(ref[57])));
    sq_compare_result r;
    cr_assert(!sq_compare(got, ref, 100, ATOL, RTOL, &r));
    cr_expect_eq(r.failures, 1);
    cr_expect_eq(r.first_bad, 57);
}

Test(compare, nan_where_the_reference_has_a_number_fails)
{
    cr_expect(!cmp1(NAN, 1.0f));
    cr_expect(!cmp1(NAN, 0.0f));
    cr_expect(!cmp1(INFINITY, 1.0f));
    cr_expect(!cmp1(1.0f, NAN), "a number where the reference has NaN passed");
    cr_expect(!cmp1(1e38f, INFINITY), "a finite value where the reference has +Inf passed");
    cr_expect(!cmp1(-INFINITY, INFINITY), "-Inf where the reference has +Inf passed");
    cr_expect(!cmp1(NAN, INFINITY));
    cr_expect(cmp1(NAN, NAN));
    cr_expect(cmp1(-NAN, NAN), "NaN's sign is not part of the rule");
    cr_expect(cmp1(INFINITY, INFINITY));
    cr_expect(cmp1(-INFINITY, -INFINITY));
    cr_expect(cmp1(-0.0f, 0.0f));
    float ref[3] = {1, NAN, 2}, got[3] = {1, NAN, NAN};
    sq_compare_result r;
    cr_assert(!sq_compare(got, ref, 3, ATOL, RTOL, &r));
    cr_expect_eq(r.nonfinite_mismatch, 1);
    cr_expect_eq(r.first_bad, 2);
}

static seqrt_tensor *tensor2(int64_t a, int64_t b, float fill)
{
    int64_t d[2] = {a, b};
    seqrt_tensor *t = NULL;
    cr_assert(seqrt_tensor_create(&t, SEQRT_F32, 2, d) == SEQRT_OK);
    float *x = seqrt_tensor_data(t);
    for (size_t i = 0; i < seqrt_tensor_count(t); i++) x[i] = fill;
    return t;
}

Test(compare, shape_mismatch_fails)
{
    seqrt_tensor *a = tensor2(2, 3, 1.0f), *b = tensor2(3, 2, 1.0f), *c = tensor2(2, 3, 1.0f);
    char msg[256];
    /* same data, same element count, other shape */
    cr_expect(!cf_compare_tensors(a, b, ATOL, RTOL, NULL, msg, sizeof msg));
    cr_expect(strstr(msg, "shape mismatch") != NULL, "message: %s", msg);
    cr_expect(strstr(msg, "[2, 3]") && strstr(msg, "[3, 2]"), "message: %s", msg);
    cr_expect(cf_compare_tensors(a, c, ATOL, RTOL, NULL, msg, sizeof msg), "%s", msg);
    int64_t d1[1] = {6};
    seqrt_tensor *flat = NULL;
    cr_assert(seqrt_tensor_create(&flat, SEQRT_F32, 1, d1) == SEQRT_OK);
    cr_expect(!cf_compare_tensors(flat, a, ATOL, RTOL, NULL, msg, sizeof msg), "a rank mismatch passed");
    int64_t d2[2] = {2, 3};
    seqrt_tensor *ints = NULL;
    cr_assert(seqrt_tensor_create(&ints, SEQRT_I32, 2, d2) == SEQRT_OK);
    cr_expect(!cf_compare_tensors(ints, a, ATOL, RTOL, NULL, msg, sizeof msg), "an int32 output passed");
    /* the message names the first bad element and both values */
    ((float *)seqrt_tensor_data(c))[4] = 2.0f;
    cr_expect(!cf_compare_tensors(c, a, ATOL, RTOL, NULL, msg, sizeof msg));
    cr_expect(strstr(msg, "[1, 1]") && strstr(msg, "got 2"), "message: %s", msg);
    seqrt_tensor_free(a);
    seqrt_tensor_free(b);
    seqrt_tensor_free(c);
    seqrt_tensor_free(flat);
    seqrt_tensor_free(ints);
}

/* ------------------------------------------------------------ guards */

Test(guards, write_past_the_end_fails)
{
    int64_t d[3] = {4, 3, 5};
    cf_guarded g;
    char msg[256];
    cr_assert(cf_guarded_create(&g, 3, d) == 0);
    cr_assert_eq(g.count, 60);
    cf_guarded_arm(&g, CF_SENTINEL_RUN1);
    cr_expect(cf_guarded_intact(&g, msg, sizeof msg));
    for (size_t i = 0; i < g.count; i++) g.data[i] = (float)i;
    cr_expect(cf_guarded_intact(&g, msg, sizeof msg), "%s", msg);
    cr_expect_eq(cf_guarded_unwritten(&g, NULL), 0);
    g.data[g.count] = 0.0f; /* one float past the end */
    cr_expect(!cf_guarded_intact(&g, msg, sizeof msg), "a write past the end was not caught");
    cr_expect(strstr(msg, "past the end") != NULL, "message: %s", msg);
    cf_guarded_arm(&g, CF_SENTINEL_RUN2);
    g.data[g.count + CF_GUARD_FLOATS - 1] = 1.0f; /* the far end of the guard */
    cr_expect(!cf_guarded_intact(&g, msg, sizeof msg));
    cf_guarded_arm(&g, CF_SENTINEL_RUN2);
    g.data[-1] = 1.0f; /* before the start */
    cr_expect(!cf_guarded_intact(&g, msg, sizeof msg), "a write before the start was not caught");
    cr_expect(strstr(msg, "before the start") != NULL, "message: %s", msg);
    cf_guarded_free(&g);
}

Test(guards, unwritten_elements_are_found)
{
    int64_t d[2] = {3, 4};
    cf_guarded g;
    cr_assert(cf_guarded_create(&g, 2, d) == 0);
    cf_guarded_arm(&g, CF_SENTINEL_RUN1);
    for (size_t i = 0; i < g.count; i++)
        if (i != 5 && i != 9) g.data[i] = NAN; /* a computed NaN is not the sentinel */
    size_t first = 0;
    cr_expect_eq(cf_guarded_unwritten(&g, &first), 2);
    cr_expect_eq(first, 5);
    cf_guarded_free(&g);
}

/* ------------------------------------------------------------ runner vs perturb */

static cf_suite *g_suite;

static void setup(void)
{
    char err[512];
    cf_suite_options o = {0, 0, NULL, NULL};
    cr_assert(cf_suite_create(&g_suite, &o, err, sizeof err) == 0, "%s", err);
}

static void teardown(void) { cf_suite_free(g_suite); }

static size_t find_case(const char *name)
{
    for (size_t i = 0; i < cf_suite_count(g_suite); i++)
        if (!strcmp(cf_suite_case(g_suite, i)->name, name)) return i;
    cr_assert_fail("no case %s", name);
    return 0;
}

/* Runs `name` on `device`, returns the verdict and the result. */
static cf_verdict run_on(const char *name, const char *device, cf_result *res)
{
    const seqrt_device *dev = NULL;
    cr_assert(seqrt_device_find(&dev, device) == SEQRT_OK,
              "%s (the perturb module is loaded with SEQRT_EXTRA_BACKENDS=perturb and SEQRT_BACKEND_PATH=<build>/test-modules)",
              seqrt_last_error());
    cf_instance *inst = NULL;
    char err[512];
    cr_assert(cf_instance_create(&inst, g_suite, find_case(name), err, sizeof err) == 0, "%s", err);
    cf_verdict v = cf_run(inst, dev, res);
    cf_instance_free(inst);
    return v;
}

/* A case of every kind: recurrent, attention, a whole model, streaming,
 * NaN propagation, and a golden (PyTorch) case. */
static const char *const g_cases[] = {
    "lstm_T5B3I4H7",
    "gru_bidir_L2_T5B3I4H7_bf_len-mixed",
    "attention_general_seqq_Tq4Tk6B4Hq3Hk5_len-mixed",
    "model_luong_encoder_decoder_T5B5H8_len-mixed",
    "stream_charlm_embedding_T20B3H16_bf_chunk7",
    "rnn_tanh_T5B3I4H7_nan",
    "golden/lstm_vanilla",
};
#define NCASES (sizeof g_cases / sizeof g_cases[0])

TestSuite(runner, .init = setup, .fini = teardown);

Test(runner, reference_passes_and_is_deterministic)
{
    for (size_t i = 0; i < NCASES; i++) {
        cf_result res;
        cf_verdict v = run_on(g_cases[i], "reference:0", &res);
        cr_expect_eq(v, CF_PASS, "%s: %s", g_cases[i], res.reason);
        cr_expect_eq(res.deterministic, 1, "%s: %s", g_cases[i], res.determinism);
        for (size_t k = 0; k < res.nchecks; k++)
            if (!strcmp(res.checks[k].against, "reference"))
                cr_expect_eq(res.checks[k].r.max_abs, 0.0, "%s: the reference differs from itself", g_cases[i]);
        cf_result_clear(&res);
    }
}

static void expect_fail(const char *device, const char *why)
{
    for (size_t i = 0; i < NCASES; i++) {
        cf_result res;
        cf_verdict v = run_on(g_cases[i], device, &res);
        cr_expect_eq(v, CF_FAIL, "%s on %s: the runner says %s (%s)", g_cases[i], device, cf_verdict_str(v), res.reason);
        cr_expect(strstr(res.reason, why) != NULL, "%s on %s: the reason does not say \"%s\": %s", g_cases[i], device,
                  why, res.reason);
        cf_result_clear(&res);
    }
}

Test(runner, perturbed_element_fails) { expect_fail("perturb:0", "elements outside atol"); }
Test(runner, write_past_the_end_fails) { expect_fail("perturb:1", "wrote past the end"); }
Test(runner, failing_run_fails) { expect_fail("perturb:3", "perturb-fail: the device failed on purpose"); }
Test(runner, nan_for_a_number_fails) { expect_fail("perturb:5", "NaN/Inf not where the reference has them"); }
Test(runner, write_before_the_start_fails) { expect_fail("perturb:6", "wrote before the start"); }
Test(runner, unwritten_element_fails) { expect_fail("perturb:7", "never written"); }

Test(runner, nondeterminism_is_reported)
{
    for (size_t i = 0; i < NCASES; i++) {
        cf_result res;
        cf_verdict v = run_on(g_cases[i], "perturb:2", &res);
        /* last-bit noise is within the bound: PASS, but not deterministic */
        cr_expect_eq(v, CF_PASS, "%s: %s", g_cases[i], res.reason);
        cr_expect_eq(res.deterministic, 0, "%s: the last-bit noise went unnoticed", g_cases[i]);
        cr_expect(strstr(res.determinism, "rounding-level") != NULL, "%s: %s", g_cases[i], res.determinism);
        cf_result_clear(&res);
    }
}

Test(runner, unsupported_is_skipped_with_the_reason)
{
    for (size_t i = 0; i < NCASES; i++) {
        cf_result res;
        cf_verdict v = run_on(g_cases[i], "perturb:4", &res);
        int attention = strstr(g_cases[i], "attention") || strstr(g_cases[i], "luong");
        if (attention) {
            cr_expect_eq(v, CF_SKIP, "%s: %s", g_cases[i], cf_verdict_str(v));
            cr_expect(strstr(res.reason, "supports no attention op") != NULL, "%s: %s", g_cases[i], res.reason);
        } else {
            cr_expect_eq(v, CF_PASS, "%s: %s", g_cases[i], res.reason);
        }
        cf_result_clear(&res);
    }
}

Test(runner, report_counts_and_files)
{
    /* the report of a run with failures says so */
    cf_device devs[4];
    char err[512];
    int n = cf_list_devices(devs, 4, "reference,perturb:0", err, sizeof err);
    cr_assert_eq(n, 2, "%s", err);
    cf_report *rep = cf_report_create(g_suite, devs, 2);
    size_t ci = find_case("lstm_T5B3I4H7");
    cf_instance *inst = NULL;
    cr_assert(cf_instance_create(&inst, g_suite, ci, err, sizeof err) == 0);
    for (int d = 0; d < 2; d++) {
        cf_result res;
        cf_run(inst, devs[d].dev, &res);
        cf_report_add(rep, ci, (size_t)d, &res, inst);
        cf_result_clear(&res);
    }
    cf_instance_free(inst);
    size_t p, f, s;
    cf_report_counts(rep, &p, &f, &s);
    cr_expect(p == 1 && f == 1 && s == 0, "%zu passed, %zu failed, %zu skipped", p, f, s);
    char line[128];
    cf_report_summary_line(rep, line, sizeof line);
    cr_expect_str_eq(line, "1 passed, 1 failed");
    char dir[] = "/tmp/seqrt-report-XXXXXX", path[256];
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.json", dir);
    cr_expect(cf_report_write_json(rep, path, err, sizeof err) == 0, "%s", err);
    FILE *fj = fopen(path, "r");
    char buf[4096] = "";
    cr_assert(fj);
    size_t got = fread(buf, 1, sizeof buf - 1, fj);
    buf[got] = '\0';
    fclose(fj);
    cr_expect(strstr(buf, "\"seqrt_version\"") && strstr(buf, "\"driver\"") && strstr(buf, "perturb-element"),
              "JSON head: %.400s", buf);
    remove(path);
    snprintf(path, sizeof path, "%s/r.md", dir);
    cr_expect(cf_report_write_markdown(rep, path, err, sizeof err) == 0, "%s", err);
    remove(path);
    rmdir(dir);
    cf_report_free(rep);
}

Test(registry, extra_backend_is_listed_but_never_auto)
{
    int found = 0;
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        seqrt_backend_info bi;
        cr_assert(seqrt_backend_get_info(b, &bi) == SEQRT_OK);
        if (!strcmp(bi.name, "perturb")) {
            found = 1;
            cr_expect(bi.available, "perturb: %s", bi.reason);
            cr_expect_eq(bi.device_count, 8);
        }
    }
    cr_expect(found, "the perturb backend is not listed (SEQRT_EXTRA_BACKENDS=%s)",
              getenv("SEQRT_EXTRA_BACKENDS") ? getenv("SEQRT_EXTRA_BACKENDS") : "(unset)");
    const seqrt_device *d = NULL;
    cr_assert(seqrt_device_find(&d, "auto") == SEQRT_OK);
    seqrt_device_info info;
    seqrt_device_get_info(d, &info);
    cr_expect_str_neq(info.backend, "perturb");
}
