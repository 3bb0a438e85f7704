/*
 * The quick conformance set on every available device, one Criterion test
 * per (group of cases, device): every case must PASS, or be SKIPPED when the
 * backend declares it unsupported up front; any failure fails the test with
 * the runner's reason for each failing case. $SEQRT_TEST_BACKENDS (comma-separated backend names) narrows the
 * devices, as for test_goldens.
 *
 * Also: the case generator is deterministic (same seed, same bytes) and the
 * quick set covers what issue 3 lists.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

typedef struct conf_param {
    char group[32];
    char device[48];
} conf_param;

static cf_suite *quick_suite(void)
{
    cf_suite_options o = {0, 0, NULL, NULL};
    char err[512];
    cf_suite *s = NULL;
    if (cf_suite_create(&s, &o, err, sizeof err)) return NULL;
    return s;
}

/* Available devices, minus the test-only backend, narrowed by
 * $SEQRT_TEST_BACKENDS. */
static size_t test_devices(cf_device *devs, size_t max)
{
    char err[512];
    int n = cf_list_devices(devs, max, NULL, err, sizeof err);
    if (n < 0) return 0;
    const char *only = getenv("SEQRT_TEST_BACKENDS");
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(devs[i].info.backend, "perturb")) continue;
        if (only && *only) {
            char list[256], key[64];
            snprintf(list, sizeof list, ",%s,", only);
            snprintf(key, sizeof key, ",%s,", devs[i].info.backend);
            if (!strstr(list, key)) continue;
        }
        devs[k++] = devs[i];
    }
    return k;
}

/* One test per (group, device): a process per case would start every
 * device's runtime (an OpenCL context, compiled kernels) hundreds of times. */
ParameterizedTestParameters(conformance, quick)
{
    static cf_device devs[32];
    size_t ndev = test_devices(devs, 32);
    cf_suite *s = quick_suite();
    size_t nc = s ? cf_suite_count(s) : 0, ng = 0, n = 0;
    char groups[64][32];
    for (size_t i = 0; i < nc; i++) {
        const char *g = cf_suite_case(s, i)->group;
        size_t k = 0;
        while (k < ng && strcmp(groups[k], g)) k++;
        if (k == ng && ng < 64) snprintf(groups[ng++], sizeof groups[0], "%s", g);
    }
    conf_param *p = cr_malloc(sizeof *p * (ng * ndev + 1));
    for (size_t d = 0; d < ndev; d++)
        for (size_t k = 0; k < ng; k++) {
            snprintf(p[n].group, sizeof p[n].group, "%s", groups[k]);
            snprintf(p[n].device, sizeof p[n].device, "%s", devs[d].spec);
            n++;
        }
    cf_suite_free(s);
    return cr_make_param_array(conf_param, p, n);
}

ParameterizedTest(conf_param *p, conformance, quick)
{
    cf_suite *s = quick_suite();
    cr_assert(s != NULL, "cannot build the case list");
    const seqrt_device *dev = NULL;
    cr_assert(seqrt_device_find(&dev, p->device) == SEQRT_OK, "%s", seqrt_last_error());
    size_t ran = 0, passed = 0, skipped = 0;
    for (size_t i = 0; i < cf_suite_count(s); i++) {
        const cf_case_info *ci = cf_suite_case(s, i);
        if (strcmp(ci->group, p->group)) continue;
        ran++;
        char err[1024];
        cf_instance *inst = NULL;
        if (cf_instance_create(&inst, s, i, err, sizeof err)) {
            cr_expect_fail("%s: the case cannot be set up: %s", ci->name, err);
            continue;
        }
        cf_result res;
        cf_verdict v = cf_run(inst, dev, &res);
        if (res.deterministic == 0) cr_log_warn("%s on %s is not deterministic: %s", ci->name, p->device, res.determinism);
        if (v == CF_SKIP) {
            skipped++;
            cr_log_info("%s on %s: SKIPPED: %s", ci->name, p->device, res.reason);
        } else if (v == CF_PASS) {
            passed++;
        }
        cr_expect(v != CF_FAIL, "%s on %s: FAIL: %s", ci->name, p->device, res.reason);
        cf_result_clear(&res);
        cf_instance_free(inst);
    }
    cf_suite_free(s);
    cr_assert_gt(ran, 0, "group %s has no case", p->group);
    /* The generated cases' expected values are the reference backend's own
     * outputs, so on the reference itself only the golden group (PyTorch and
     * ONNX values) tests numbers; the other groups there check guards,
     * unwritten elements, bound outputs, determinism and streamed chunks. */
    const int self = !strncmp(p->device, "reference", 9) && strcmp(p->group, "golden");
    cr_log_info("%s on %s: %zu passed, %zu failed, %zu skipped%s", p->group, p->device, passed,
                ran - passed - skipped, skipped, self ? " (self-consistency: values are this device's own)" : "");
    if (skipped == ran) cr_skip_test("every %s case is unsupported on %s", p->group, p->device);
}

/* ------------------------------------------------------------ the generator */

static int same_tensor(const seqrt_tensor *a, const seqrt_tensor *b)
{
    if (seqrt_tensor_rank(a) != seqrt_tensor_rank(b) || seqrt_tensor_dtype(a) != seqrt_tensor_dtype(b)) return 0;
    for (int d = 0; d < seqrt_tensor_rank(a); d++)
        if (seqrt_tensor_dim(a, d) != seqrt_tensor_dim(b, d)) return 0;
    size_t esz = seqrt_tensor_dtype(a) == SEQRT_I64 ? 8 : 4;
    return !memcmp(seqrt_tensor_data(a), seqrt_tensor_data(b), seqrt_tensor_count(a) * esz);
}

static size_t find_case(const cf_suite *s, const char *prefix)
{
    for (size_t i = 0; i < cf_suite_count(s); i++)
        if (!strncmp(cf_suite_case(s, i)->name, prefix, strlen(prefix))) return i;
    cr_assert_fail("no case named %s...", prefix);
    return 0;
}

Test(generator, deterministic_from_the_seed)
{
    cf_suite *a = quick_suite(), *b = quick_suite();
    cr_assert(a && b);
    cr_assert_eq(cf_suite_count(a), cf_suite_count(b));
    const char *names[] = {"lstm_peep_cifg_proj_bidir_L2_h0_T5B3I4H7", "attention_additive_seqq", "model_luong",
                           "stream_charlm_embedding", "mha_self_causal"};
    char err[512];
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t i = find_case(a, names[k]);
        cf_instance *x = NULL, *y = NULL;
        cr_assert(cf_instance_create(&x, a, i, err, sizeof err) == 0, "%s", err);
        cr_assert(cf_instance_create(&y, b, i, err, sizeof err) == 0, "%s", err);
        cr_assert_eq(x->nin, y->nin);
        for (size_t j = 0; j < x->nin; j++)
            cr_assert(same_tensor(x->inputs[j], y->inputs[j]), "%s: input %zu differs", names[k], j);
        for (size_t j = 0; j < x->nout; j++)
            cr_assert(same_tensor(x->oracle[j], y->oracle[j]), "%s: reference output %zu differs", names[k], j);
        cf_instance_free(x);
        cf_instance_free(y);
    }
    /* another seed, other data */
    cf_suite_options o = {12345, 0, "", NULL};
    cf_suite *c = NULL;
    cr_assert(cf_suite_create(&c, &o, err, sizeof err) == 0);
    size_t i = find_case(a, "lstm_T5B3I4H7");
    cf_instance *x = NULL, *z = NULL;
    cr_assert(cf_instance_create(&x, a, i, err, sizeof err) == 0, "%s", err);
    cr_assert(cf_instance_create(&z, c, find_case(c, "lstm_T5B3I4H7"), err, sizeof err) == 0, "%s", err);
    cr_assert(!same_tensor(x->inputs[0], z->inputs[0]), "seed 12345 gives the same inputs as the default seed");
    cf_instance_free(x);
    cf_instance_free(z);
    cf_suite_free(a);
    cf_suite_free(b);
    cf_suite_free(c);
}

Test(generator, covers_the_issue)
{
    cf_suite *s = quick_suite();
    cr_assert(s);
    /* edge cases, models, streaming and external vectors named by issue 3 */
    const char *must[] = {"_T1B", "B1I", "H1", "H33", "H257", "_len-zero", "_len-mixed", "_sat", "_nan", "_inf",
                          "_denorm", "_padnan", "_bf", "model_lstm_classifier", "model_cifg_lstm_lm",
                          "model_peephole_lstm", "model_bilstm_tagger", "model_lstm_dot_attention",
                          "model_luong_encoder_decoder", "model_attention_pool_classifier", "model_charlm_onehot",
                          "model_charlm_embedding", "_chunk1", "_chunk7", "golden/onnx_lstm", "golden/onnx_gru",
                          "golden/onnx_rnn", "golden/onnx_simple_rnn", "golden/onnx_softmax", "golden/onnx_logsoftmax",
                          "golden/lstm_vanilla", "golden/mha_", "attention_general", "attention_additive_nobias",
                          "attention_pool_gelu", "mha_cross", "linear_", "activation_gelu", "log_softmax_",
                          "embedding_", "one_hot_", "concat_", "select_", "last_step_", "mean_pool_"};
    for (size_t k = 0; k < sizeof must / sizeof must[0]; k++) {
        int found = 0;
        for (size_t i = 0; i < cf_suite_count(s) && !found; i++) found = strstr(cf_suite_case(s, i)->name, must[k]) != NULL;
        cr_expect(found, "no quick case named *%s*", must[k]);
    }
    cr_expect_gt(cf_suite_count(s), 400);
    cf_suite_free(s);
    /* T = 1000 is in the full set */
    cf_suite_options o = {0, 1, "", "T1000"};
    char err[256];
    cr_assert(cf_suite_create(&s, &o, err, sizeof err) == 0);
    cr_expect_gt(cf_suite_count(s), 10);
    cf_suite_free(s);
}
