/*
 * The oneDNN backend's kernel builds per ISA (dnnl_kern.h): SEQRT_ONEDNN_ISA
 * forces one, a bad name or an ISA this CPU lacks is refused at session
 * creation naming the variable, the build is kept for the process (a later
 * session that asks for another is refused, naming both), and every build
 * the CPU runs computes LSTM / GRU / RNN layers (the small-batch path and
 * the loop engine's cells, H not a multiple of any vector width) within
 * the spec's tolerance of the reference backend. Each Test runs in its own
 * process (criterion), so each chooses its build afresh. The goldens under
 * each build: the onednn_isa_* ctests (CMakeLists.txt).
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tests/test_util.h"
#include "seqrt.h"
#include "onednn_test_util.h"

static char g_dir[512];

static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0); }
static void teardown(void)
{
    tu_rmtree(g_dir);
    unsetenv("SEQRT_ONEDNN_ISA");
    unsetenv("SEQRT_ONEDNN_RNN");
}

TestSuite(onednn_isa, .init = setup, .fini = teardown, .timeout = 300);

enum { I = 5, H = 37, T = 6, B = 5 };

/* A one-layer `op` (lstm, gru, rnn) with random weights; outputs the
 * sequence and h_n. */
static seqrt_model *model(const char *op)
{
    const int G = op[0] == 'l' ? 4 : op[0] == 'g' ? 3 : 1;
    char js[2048];
    snprintf(js, sizeof js,
             "{\"format\": \"seqrt\", \"version\": 1, \"name\": \"k\","
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", %d]}],"
             " \"layers\": [{\"op\": \"%s\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\"},"
             " \"input_size\": %d, \"hidden_size\": %d}],"
             " \"outputs\": [\"rnn\", \"rnn:h_n\"]}",
             I, op, I, H);
    tu_st w;
    tu_st_init(&w);
    uint32_t seed = 917u + (uint32_t)G;
    tu_st_add2(&w, "rnn.weight_ih_l0", (int64_t)G * H, I, &seed, 0.4f);
    tu_st_add2(&w, "rnn.weight_hh_l0", (int64_t)G * H, H, &seed, 0.4f);
    tu_st_add2(&w, "rnn.bias_ih_l0", (int64_t)G * H, 0, &seed, 0.4f);
    tu_st_add2(&w, "rnn.bias_hh_l0", (int64_t)G * H, 0, &seed, 0.4f);
    char jp[1024], wp[1024];
    snprintf(jp, sizeof jp, "%s/%s.json", g_dir, op);
    snprintf(wp, sizeof wp, "%s/%s.safetensors", g_dir, op);
    cr_assert_eq(tu_write(jp, js, strlen(js)), 0);
    cr_assert_eq(tu_st_write(&w, wp), 0);
    tu_st_free(&w);
    seqrt_model *m = NULL;
    OK(seqrt_model_load(&m, jp, NULL));
    return m;
}

static int cpu_has(const char *isa)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!strcmp(isa, "avx512")) return __builtin_cpu_supports("avx512f");
    if (!strcmp(isa, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return !strcmp(isa, "baseline");
}

/* A session of `m` on onednn with SEQRT_ONEDNN_ISA = isa: its status. */
static seqrt_status try_create(const seqrt_model *m, const char *isa)
{
    setenv("SEQRT_ONEDNN_ISA", isa, 1);
    seqrt_session *s = NULL;
    seqrt_status st = seqrt_session_create(&s, m, device("onednn"), NULL);
    seqrt_session_free(s);
    return st;
}

Test(onednn_isa, bad_name_refused)
{
    seqrt_model *m = model("lstm");
    static const char *bad[] = {"avx", "AVX2", "sse", "avx512f", "x"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cr_expect_neq(try_create(m, bad[k]), SEQRT_OK, "SEQRT_ONEDNN_ISA=%s accepted", bad[k]);
        cr_expect(strstr(seqrt_last_error(), "SEQRT_ONEDNN_ISA") && strstr(seqrt_last_error(), bad[k]),
                  "message: %s", seqrt_last_error());
    }
    seqrt_model_free(m);
}

Test(onednn_isa, missing_isa_refused)
{
    seqrt_model *m = model("lstm");
    static const char *isas[] = {"avx512", "avx2"};
    for (size_t k = 0; k < 2; k++) {
        if (cpu_has(isas[k])) continue; /* checked by chosen_once / every_build_matches */
        cr_expect_neq(try_create(m, isas[k]), SEQRT_OK, "SEQRT_ONEDNN_ISA=%s accepted on a CPU without it", isas[k]);
        cr_expect(strstr(seqrt_last_error(), "does not have") && strstr(seqrt_last_error(), isas[k]), "message: %s",
                  seqrt_last_error());
    }
    seqrt_model_free(m);
}

/* The first session's build stays; another is refused naming both, the
 * same one (or auto, when it is the widest) is accepted. */
Test(onednn_isa, chosen_once)
{
    seqrt_model *m = model("gru");
    OK(try_create(m, "baseline"));
    OK(try_create(m, "baseline"));
    const char *other = cpu_has("avx2") ? "avx2" : NULL;
    if (other) {
        cr_expect_neq(try_create(m, other), SEQRT_OK, "a second build accepted in one process");
        cr_expect(strstr(seqrt_last_error(), "baseline") && strstr(seqrt_last_error(), other), "message: %s",
                  seqrt_last_error());
        cr_expect_neq(try_create(m, "auto"), SEQRT_OK, "auto (the widest) accepted after baseline");
    } else {
        OK(try_create(m, "auto"));
    }
    seqrt_model_free(m);
}

/* `seqrt backends` (the device's description) names the build and rule. */
Test(onednn_isa, description_names_build)
{
    const seqrt_device *d = device("onednn");
    seqrt_device_info info;
    OK(seqrt_device_get_info(d, &info));
    const char *want = cpu_has("avx512") ? "avx512 kernels" : cpu_has("avx2") ? "avx2 kernels" : "baseline kernels";
    cr_expect(strstr(info.description, want) != NULL, "description: %s", info.description);
}

/* Every layer under build `isa` against the reference, on the small-batch
 * path (fused) and the loop engine's cells (loop). */
static void matches(const char *isa)
{
    if (!cpu_has(isa)) {
        cr_log_info("this CPU has no %s: not run", isa);
        return;
    }
    static const char *ops[] = {"lstm", "gru", "rnn"};
    static const char *modes[] = {"fused", "loop"};
    for (int o = 0; o < 3; o++) {
        seqrt_model *m = model(ops[o]);
        int64_t dx[3] = {T, B, I};
        seqrt_tensor *x;
        OK(seqrt_tensor_create(&x, SEQRT_F32, 3, dx));
        uint32_t seed = 31u + (uint32_t)o;
        float *p = seqrt_tensor_data(x);
        for (size_t i = 0; i < seqrt_tensor_count(x); i++) p[i] = tu_rand(&seed, 2.0f);
        seqrt_session *ref = NULL;
        OK(seqrt_session_create(&ref, m, device("reference"), NULL));
        OK(seqrt_session_run(ref, (const seqrt_tensor *const *)&x, 1));
        for (int md = 0; md < 2; md++) {
            setenv("SEQRT_ONEDNN_ISA", isa, 1);
            setenv("SEQRT_ONEDNN_RNN", modes[md], 1);
            seqrt_session *dn = NULL;
            OK(seqrt_session_create(&dn, m, device("onednn"), NULL));
            char what[100];
            snprintf(what, sizeof what, "%s [%s, %s]", ops[o], isa, modes[md]);
            runs_match(ref, dn, m, &x, 1, what);
            seqrt_session_free(dn);
        }
        seqrt_session_free(ref);
        seqrt_tensor_free(x);
        seqrt_model_free(m);
    }
}

Test(onednn_isa, baseline_matches_reference) { matches("baseline"); }
Test(onednn_isa, avx2_matches_reference) { matches("avx2"); }
Test(onednn_isa, avx512_matches_reference) { matches("avx512"); }
