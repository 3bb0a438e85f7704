/*
 * Numerical robustness (issue 7, item 6). Expected values come from the
 * spec's equations and IEEE 754 arithmetic, worked out by hand below, never
 * from seqrt's own output:
 *   - NaN and Inf inputs propagate as IEEE arithmetic (and PyTorch) does, with
 *     no trap: relu/tanh/sigmoid/gelu at NaN, +-Inf; linear with Inf * 0;
 *     softmax/log_softmax rows with NaN, +Inf, -Inf;
 *   - extreme logits do not overflow softmax, log_softmax or attention (the
 *     spec: max-subtracted), and a row with no valid key is zeros, never NaN;
 *   - padding is never read: NaN in padded steps of a sequence (t >= len[b])
 *     changes nothing (recurrent ops, pools, attention);
 *   - batch entries are independent: a NaN in one leaves the others intact;
 *   - T = 10 000 LSTM/GRU/RNN steps stay within what the math allows (the
 *     closed form of an LSTM with constant gates; |h| <= 1; |c_t| <= t), and
 *     a stream of 10 chunks equals the whole run;
 *   - subnormal inputs are neither flushed nor trapped.
 *
 * Models are written by the tests into a temporary directory and run on the
 * devices listed in SEQRT_NUMERICS_BACKENDS (default "reference"; e.g.
 * "reference,onednn,opencl" to hold another backend to the same rules:
 * NaN and Inf exactly where expected, finite values within the spec's
 * tolerance; the bitwise checks on subnormals apply to the reference only).
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqrt.h"
#include "test_util.h"

static char g_dir[512];

static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0, "mkdtemp failed"); }
static void teardown(void) { tu_rmtree(g_dir); }

TestSuite(numerics, .init = setup, .fini = teardown);

#define OK(call)                                                                                      \
    do {                                                                                              \
        seqrt_status st_ = (call);                                                                    \
        cr_assert_eq(st_, SEQRT_OK, "%s: %s (%s)", #call, seqrt_status_str(st_), seqrt_last_error()); \
    } while (0)

/* ------------------------------------------------------------ harness */

/* The devices to test, from SEQRT_NUMERICS_BACKENDS. */
static int devices(const seqrt_device **out, const char **names, int max)
{
    static char buf[256];
    const char *env = getenv("SEQRT_NUMERICS_BACKENDS");
    snprintf(buf, sizeof buf, "%s", env && *env ? env : "reference");
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save)) {
        OK(seqrt_device_find(&out[n], tok));
        names[n++] = tok;
    }
    return n;
}

typedef struct model {
    seqrt_model *m;
    int ndev;
    const seqrt_device *dev[4];
    const char *devname[4];
} model;

/* Writes `json` (single quotes stand for double quotes) and the weights in
 * `st` (may be NULL: none), and loads them. */
static model load(const char *json, tu_st *st)
{
    char *text = strdup(json), path[1024], wpath[1024];
    for (char *p = text; *p; p++)
        if (*p == '\'') *p = '"';
    snprintf(path, sizeof path, "%s/model.json", g_dir);
    snprintf(wpath, sizeof wpath, "%s/model.safetensors", g_dir);
    cr_assert_eq(tu_write(path, text, strlen(text)), 0);
    free(text);
    tu_st empty;
    if (!st) {
        tu_st_init(&empty);
        st = &empty;
    }
    cr_assert_eq(tu_st_write(st, wpath), 0);
    if (st == &empty) tu_st_free(&empty);
    model md;
    memset(&md, 0, sizeof md);
    OK(seqrt_model_load(&md.m, path, NULL));
    md.ndev = devices(md.dev, md.devname, 4);
    return md;
}

/* Runs model `md` on device `d` with `in`; the session is returned so the
 * outputs can be read (free it). */
static seqrt_session *run(const model *md, int d, seqrt_tensor **in, seqrt_session_options *opt)
{
    seqrt_session *s = NULL;
    OK(seqrt_session_create(&s, md->m, md->dev[d], opt));
    OK(seqrt_session_run(s, (const seqrt_tensor *const *)in, seqrt_model_input_count(md->m)));
    return s;
}

static const float *out_data(seqrt_session *s, size_t i, size_t *count)
{
    const seqrt_tensor *t = NULL;
    OK(seqrt_session_output(s, i, &t));
    if (count) *count = seqrt_tensor_count(t);
    return seqrt_tensor_data(t);
}

static seqrt_tensor *f32(int rank, const int64_t *dims, const float *vals)
{
    seqrt_tensor *t = NULL;
    OK(seqrt_tensor_create(&t, SEQRT_F32, rank, dims));
    if (vals) memcpy(seqrt_tensor_data(t), vals, seqrt_tensor_count(t) * sizeof(float));
    return t;
}

static seqrt_tensor *i32(int rank, const int64_t *dims, const int32_t *vals)
{
    seqrt_tensor *t = NULL;
    OK(seqrt_tensor_create(&t, SEQRT_I32, rank, dims));
    memcpy(seqrt_tensor_data(t), vals, seqrt_tensor_count(t) * sizeof(int32_t));
    return t;
}

/* NaN matches NaN; infinities match by sign; else |got - want| <= tol.
 * The tolerances are the reference's (it evaluates in double); another
 * backend gets at least the spec's (atol 1e-4 + rtol 1e-3), while NaN and
 * Inf must still appear exactly where expected. */
static void expect_value(float got, float want, double tol, const char *what, int i, const char *dev)
{
    if (strcmp(dev, "reference") && isfinite(want) && tol < 1e-4 + 1e-3 * fabs((double)want))
        tol = 1e-4 + 1e-3 * fabs((double)want);
    if (isnan(want)) {
        cr_expect(isnan(got), "%s [%d] on %s: got %g, expected NaN", what, i, dev, (double)got);
    } else if (isinf(want)) {
        cr_expect(got == want, "%s [%d] on %s: got %g, expected %g", what, i, dev, (double)got, (double)want);
    } else {
        cr_expect(isfinite(got) && fabs((double)got - (double)want) <= tol,
                  "%s [%d] on %s: got %.9g, expected %.9g (tolerance %g)", what, i, dev, (double)got, (double)want,
                  tol);
    }
}

static void expect_values(const float *got, const float *want, int n, double tol, const char *what, const char *dev)
{
    for (int i = 0; i < n; i++) expect_value(got[i], want[i], tol, what, i, dev);
}

/* ------------------------------------------------------------ activations */

#define NX 9
static const float g_x[NX] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-40f, 100.0f, -100.0f, 3.0e38f};

static void activation_case(const char *fn, const float *want, double tol)
{
    char json[512];
    snprintf(json, sizeof json,
             "{'format': 'seqrt', 'version': 1, 'inputs': [{'name': 'x', 'dtype': 'float32', 'shape': [%d]}],"
             " 'layers': [{'op': 'activation', 'name': 'act', 'inputs': {'x': 'x'}, 'function': '%s'}],"
             " 'outputs': ['act']}",
             NX, fn);
    model md = load(json, NULL);
    seqrt_tensor *x = f32(1, (int64_t[]){NX}, g_x);
    for (int d = 0; d < md.ndev; d++) {
        seqrt_session *s = run(&md, d, &x, NULL);
        expect_values(out_data(s, 0, NULL), want, NX, tol, fn, md.devname[d]);
        seqrt_session_free(s);
    }
    seqrt_tensor_free(x);
    seqrt_model_free(md.m);
}

Test(numerics, activations_nan_inf)
{
    /* relu = max(x, 0); NaN stays NaN (PyTorch). */
    static const float relu[NX] = {NAN, INFINITY, 0, 0, 0, 1e-40f, 100, 0, 3.0e38f};
    activation_case("relu", relu, 0);
    /* tanh(+-inf) = +-1; tanh(x) = x for |x| < 2^-26 (1e-40 is exact). */
    static const float th[NX] = {NAN, 1, -1, 0, 0, 1e-40f, 1, -1, 1};
    activation_case("tanh", th, 0);
    /* sigmoid(+inf) = 1, (-inf) = 0, (1e-40) = 0.5, (100) = 1 - 3.7e-44
     * (1 in float), (-100) = e^-100 / (1 + e^-100) = 3.720076e-44, a
     * subnormal float: within half its spacing (1.4e-45). */
    static const float sg[NX] = {NAN, 1, 0, 0.5f, 0.5f, 0.5f, 1, 3.720076e-44f, 1};
    activation_case("sigmoid", sg, 1.5e-45);
}

Test(numerics, gelu_nan_inf)
{
    /* gelu(x) = x/2 (1 + erf(x / sqrt 2)): NaN -> NaN, +inf -> inf,
     * 1e-40 -> 5e-41, 100 -> 100, -100 -> -100/2 erfc(70.7) = -0 (underflow),
     * 3e38 -> 3e38 (evaluated in double, no overflow). gelu(-inf) is
     * -inf * 0 in that formula; the spec leaves it to PyTorch: not checked. */
    float want[NX] = {NAN, INFINITY, 0, 0, 0, 5e-41f, 100, 0, 3.0e38f};
    char json[512];
    snprintf(json, sizeof json,
             "{'format': 'seqrt', 'version': 1, 'inputs': [{'name': 'x', 'dtype': 'float32', 'shape': [%d]}],"
             " 'layers': [{'op': 'activation', 'name': 'act', 'inputs': {'x': 'x'}, 'function': 'gelu'}],"
             " 'outputs': ['act']}",
             NX);
    model md = load(json, NULL);
    seqrt_tensor *x = f32(1, (int64_t[]){NX}, g_x);
    for (int d = 0; d < md.ndev; d++) {
        seqrt_session *s = run(&md, d, &x, NULL);
        const float *y = out_data(s, 0, NULL);
        for (int i = 0; i < NX; i++)
            if (i != 2) expect_value(y[i], want[i], 1.5e-45, "gelu", i, md.devname[d]);
        seqrt_session_free(s);
    }
    seqrt_tensor_free(x);
    seqrt_model_free(md.m);
}

/* ------------------------------------------------------------ linear */

Test(numerics, linear_inf_times_zero)
{
    /* W = [[1, 0], [0.5, 0.5]], b = [0, 1]:
     *   x = [NaN, 1]   -> [NaN, NaN]
     *   x = [inf, 1]   -> [inf + 0, 0.5 inf + 0.5 + 1] = [inf, inf]
     *   x = [inf, -inf]-> [inf + (-inf * 0) = NaN, 0.5 inf - 0.5 inf = NaN]
     *   x = [1e-40, 2] -> [1e-40, 1.00000000000000000000005e0 + ... = 2] */
    tu_st st;
    tu_st_init(&st);
    tu_st_add(&st, "fc.weight", 2, (int64_t[]){2, 2}, (float[]){1, 0, 0.5f, 0.5f}, NULL, 0);
    tu_st_add(&st, "fc.bias", 1, (int64_t[]){2}, (float[]){0, 1}, NULL, 0);
    model md = load("{'format': 'seqrt', 'version': 1, 'inputs': [{'name': 'x', 'dtype': 'float32', 'shape': [4, 2]}],"
                    " 'layers': [{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'x'}, 'in_features': 2,"
                    " 'out_features': 2}], 'outputs': ['fc']}",
                    &st);
    tu_st_free(&st);
    float x[8] = {NAN, 1, INFINITY, 1, INFINITY, -INFINITY, 1e-40f, 2};
    float want[8] = {NAN, NAN, INFINITY, INFINITY, NAN, NAN, 1e-40f, 2.0f};
    seqrt_tensor *in = f32(2, (int64_t[]){4, 2}, x);
    for (int d = 0; d < md.ndev; d++) {
        seqrt_session *s = run(&md, d, &in, NULL);
        expect_values(out_data(s, 0, NULL), want, 8, 0, "linear", md.devname[d]);
        seqrt_session_free(s);
    }
    seqrt_tensor_free(in);
    seqrt_model_free(md.m);
}

/* ------------------------------------------------------------ softmax */

#define SM_ROWS 9
#define SM_N 3
static const float g_logits[SM_ROWS][SM_N] = {
    {1000, 0, -1000},          /* one-hot; log: [0, -1000, -2000] */
    {-1000, -1000, -1000},     /* uniform */
    {3.0e38f, -3.0e38f, 0},    /* one-hot, no overflow */
    {1e4f, 1e4f, -INFINITY},   /* [0.5, 0.5, 0] */
    {INFINITY, 0, 0},          /* inf - inf: NaN row */
    {NAN, 0, 0},               /* NaN row */
    {-INFINITY, -INFINITY, -INFINITY}, /* -inf - -inf: NaN row */
    {1e-40f, -1e-40f, 0},      /* subnormal logits: uniform */
    {88.8f, 88.8f, 88.8f},     /* exp(88.8) would be inf in float without the max */
};

Test(numerics, softmax_extreme_logits)
{
    const float third = (float)(1.0 / 3.0);
    static float want[SM_ROWS][SM_N];
    float w[SM_ROWS][SM_N] = {
        {1, 0, 0}, {third, third, third}, {1, 0, 0}, {0.5f, 0.5f, 0}, {NAN, NAN, NAN},
        {NAN, NAN, NAN}, {NAN, NAN, NAN}, {third, third, third}, {third, third, third},
    };
    memcpy(want, w, sizeof want);
    const float ln3 = (float)log(3.0), ln2 = (float)log(2.0);
    float wl[SM_ROWS][SM_N] = {
        {0, -1000, -2000}, {-ln3, -ln3, -ln3}, {0, -INFINITY, -3.0e38f}, {-ln2, -ln2, -INFINITY},
        {NAN, NAN, NAN}, {NAN, NAN, NAN}, {NAN, NAN, NAN}, {-ln3, -ln3, -ln3}, {-ln3, -ln3, -ln3},
    };
    /* row 2, log_softmax: -3e38 - 3e38 = -6e38 is beyond float: -inf, as in
     * PyTorch's float32 (x - max overflows there already). */
    for (int lg = 0; lg < 2; lg++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{'format': 'seqrt', 'version': 1, 'inputs': [{'name': 'x', 'dtype': 'float32', 'shape': [%d, %d]}],"
                 " 'layers': [{'op': '%s', 'name': 'sm', 'inputs': {'x': 'x'}}], 'outputs': ['sm']}",
                 SM_ROWS, SM_N, lg ? "log_softmax" : "softmax");
        model md = load(json, NULL);
        seqrt_tensor *x = f32(2, (int64_t[]){SM_ROWS, SM_N}, &g_logits[0][0]);
        for (int d = 0; d < md.ndev; d++) {
            seqrt_session *s = run(&md, d, &x, NULL);
            const float *y = out_data(s, 0, NULL);
            for (int r = 0; r < SM_ROWS; r++) {
                char what[64];
                snprintf(what, sizeof what, "%s row %d", lg ? "log_softmax" : "softmax", r);
                expect_values(y + r * SM_N, lg ? wl[r] : want[r], SM_N, 1e-7, what, md.devname[d]);
            }
            seqrt_session_free(s);
        }
        seqrt_tensor_free(x);
        seqrt_model_free(md.m);
    }
}

/* ------------------------------------------------------------ attention */

Test(numerics, attention_extreme_scores_and_padding)
{
    /* dot attention, a [B, 2] query over keys [T=3, B=2, 2] (values = keys):
     * b = 0: q = [100, 0], keys [100, 0], [0, 0], [-100, 0]: scores
     *        [1e4, 0, -1e4] -> weights [1, 0, 0] exactly (e^-1e4 = 0),
     *        context = [100, 0];
     * b = 1: len 1, key 0 = [1, 2], keys 1 and 2 NaN (padding, never
     *        read): weights [1, 0, 0], context [1, 2]. Then len 0 for
     *        b = 1: weights and context all 0, never NaN (the spec). */
    model md = load("{'format': 'seqrt', 'version': 1, 'inputs': ["
                    " {'name': 'q', 'dtype': 'float32', 'shape': ['B', 2]},"
                    " {'name': 'k', 'dtype': 'float32', 'shape': ['T', 'B', 2]},"
                    " {'name': 'len', 'dtype': 'int32', 'shape': ['B']}],"
                    " 'layers': [{'op': 'attention', 'name': 'att', 'inputs': {'query': 'q', 'keys': 'k',"
                    " 'lengths': 'len'}, 'score': 'dot'}], 'outputs': ['att', 'att:weights']}",
                    NULL);
    float q[4] = {100, 0, 5, 5};
    float k[12] = {100, 0, 1, 2, /* t = 0: b0, b1 */
                   0, 0, NAN, NAN, -100, 0, NAN, INFINITY};
    for (int len1 = 1; len1 >= 0; len1--) {
        seqrt_tensor *in[3] = {f32(2, (int64_t[]){2, 2}, q), f32(3, (int64_t[]){3, 2, 2}, k),
                               i32(1, (int64_t[]){2}, (int32_t[]){3, len1})};
        float ctx[4] = {100, 0, len1 ? 1.0f : 0.0f, len1 ? 2.0f : 0.0f};
        float w[6] = {1, 0, 0, len1 ? 1.0f : 0.0f, 0, 0};
        for (int d = 0; d < md.ndev; d++) {
            seqrt_session *s = run(&md, d, in, NULL);
            expect_values(out_data(s, 0, NULL), ctx, 4, 0, "attention context", md.devname[d]);
            expect_values(out_data(s, 1, NULL), w, 6, 0, "attention weights", md.devname[d]);
            seqrt_session_free(s);
        }
        for (int i = 0; i < 3; i++) seqrt_tensor_free(in[i]);
    }
    seqrt_model_free(md.m);
}

Test(numerics, multihead_attention_extreme_and_padding)
{
    /* E = 2, one head, identity in/out projections, no bias: scores are
     * q.k / sqrt(2). Query = keys = values = x, [T=3, B=1, 2]:
     * x0 = [1e3, 0], x1 = [0, 1e3], x2 = NaN (padding: len 2).
     * Query 0: scores [1e6, 0]/sqrt2 -> weights [1, 0] -> out [1e3, 0];
     * query 1: [0, 1e6]/sqrt2 -> [0, 1] -> out [0, 1e3]; query 2 (NaN)
     * -> NaN scores -> NaN (a query is not padding: only keys are masked). */
    tu_st st;
    tu_st_init(&st);
    float win[12] = {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1};
    tu_st_add(&st, "mha.in_proj_weight", 2, (int64_t[]){6, 2}, win, NULL, 0);
    tu_st_add(&st, "mha.out_proj.weight", 2, (int64_t[]){2, 2}, (float[]){1, 0, 0, 1}, NULL, 0);
    model md = load("{'format': 'seqrt', 'version': 1, 'inputs': ["
                    " {'name': 'x', 'dtype': 'float32', 'shape': ['T', 'B', 2]},"
                    " {'name': 'len', 'dtype': 'int32', 'shape': ['B']}],"
                    " 'layers': [{'op': 'multihead_attention', 'name': 'mha', 'inputs': {'query': 'x',"
                    " 'lengths': 'len'}, 'embed_dim': 2, 'num_heads': 1, 'bias': false}],"
                    " 'outputs': ['mha', 'mha:weights']}",
                    &st);
    tu_st_free(&st);
    float x[6] = {1e3f, 0, 0, 1e3f, NAN, NAN};
    seqrt_tensor *in[2] = {f32(3, (int64_t[]){3, 1, 2}, x), i32(1, (int64_t[]){1}, (int32_t[]){2})};
    float out[6] = {1e3f, 0, 0, 1e3f, NAN, NAN};
    float w[9] = {1, 0, 0, 0, 1, 0, NAN, NAN, 0};
    for (int d = 0; d < md.ndev; d++) {
        seqrt_session *s = run(&md, d, in, NULL);
        expect_values(out_data(s, 0, NULL), out, 6, 0, "mha output", md.devname[d]);
        expect_values(out_data(s, 1, NULL), w, 9, 0, "mha weights", md.devname[d]);
        seqrt_session_free(s);
    }
    for (int i = 0; i < 2; i++) seqrt_tensor_free(in[i]);
    seqrt_model_free(md.m);
}

/* ------------------------------------------------------------ pools */

Test(numerics, pools_inf_and_padding)
{
    /* x [T=3, B=3, 1]; lengths [3, 2, 0]:
     * b = 0: [inf, 1, 2]    mean inf,  last 2
     * b = 1: [inf, -inf, NaN(padding)]  mean NaN (inf - inf), last -inf
     * b = 2: all padding (NaN): mean 0, last 0 (the spec: zeros) */
    model md = load("{'format': 'seqrt', 'version': 1, 'inputs': ["
                    " {'name': 'x', 'dtype': 'float32', 'shape': ['T', 'B', 1]},"
                    " {'name': 'len', 'dtype': 'int32', 'shape': ['B']}],"
                    " 'layers': [{'op': 'mean_pool', 'name': 'mp', 'inputs': {'x': 'x', 'lengths': 'len'}},"
                    " {'op': 'last_step', 'name': 'ls', 'inputs': {'x': 'x', 'lengths': 'len'}}],"
                    " 'outputs': ['mp', 'ls']}",
                    NULL);
    float x[9] = {INFINITY, INFINITY, NAN, 1, -INFINITY, NAN, 2, NAN, NAN};
    seqrt_tensor *in[2] = {f32(3, (int64_t[]){3, 3, 1}, x), i32(1, (int64_t[]){3}, (int32_t[]){3, 2, 0})};
    for (int d = 0; d < md.ndev; d++) {
        seqrt_session *s = run(&md, d, in, NULL);
        expect_values(out_data(s, 0, NULL), (float[]){INFINITY, NAN, 0}, 3, 0, "mean_pool", md.devname[d]);
        expect_values(out_data(s, 1, NULL), (float[]){2, -INFINITY, 0}, 3, 0, "last_step", md.devname[d]);
        seqrt_session_free(s);
    }
    for (int i = 0; i < 2; i++) seqrt_tensor_free(in[i]);
    seqrt_model_free(md.m);
}

/* ------------------------------------------------------------ recurrent */

/* A recurrent layer of `op` (input 2, hidden H, one layer) with weights
 * from *seed in [-scale, scale]. */
static model recurrent_model(const char *op, int H, int with_lengths, uint32_t seed, float scale)
{
    int G = op[0] == 'l' ? 4 : op[0] == 'g' ? 3 : 1;
    tu_st st;
    tu_st_init(&st);
    tu_st_add2(&st, "r.weight_ih_l0", G * H, 2, &seed, scale);
    tu_st_add2(&st, "r.weight_hh_l0", G * H, H, &seed, scale);
    tu_st_add2(&st, "r.bias_ih_l0", G * H, 0, &seed, scale);
    tu_st_add2(&st, "r.bias_hh_l0", G * H, 0, &seed, scale);
    char json[1024];
    snprintf(json, sizeof json,
             "{'format': 'seqrt', 'version': 1, 'inputs': [{'name': 'x', 'dtype': 'float32', 'shape': ['T', 'B', 2]}%s],"
             " 'layers': [{'op': '%s', 'name': 'r', 'inputs': {'x': 'x'%s}, 'input_size': 2, 'hidden_size': %d}],"
             " 'outputs': ['r', 'r:h_n'%s]}",
             with_lengths ? ", {'name': 'len', 'dtype': 'int32', 'shape': ['B']}" : "", op,
             with_lengths ? ", 'lengths': 'len'" : "", H, G == 4 ? ", 'r:c_n'" : "");
    model md = load(json, &st);
    tu_st_free(&st);
    return md;
}

Test(numerics, lstm_closed_form_10000_steps)
{
    /* W_ih = W_hh = 0, so every gate is constant: i = s(0) = 1/2,
     * f = s(bf), g = tanh(1), o = s(1). Then c_t = f c_{t-1} + i g, so
     * c_t = i g (1 - f^t) / (1 - f) and h_t = o tanh(c_t). Checked at
     * T = 10 000 for a forgetting cell (f = s(3): c -> 8.03) and for one
     * that hardly forgets (f = s(20) = 1 - 2e-9: c grows linearly to
     * i g t = 3808, no blow-up beyond that, no NaN). */
    const int T = 10000, H = 2;
    const double bfs[2] = {3.0, 20.0};
    for (int cse = 0; cse < 2; cse++) {
        tu_st st;
        tu_st_init(&st);
        float zeros[4 * H * H];
        memset(zeros, 0, sizeof zeros);
        float bias[4 * H];
        for (int j = 0; j < H; j++) {
            bias[j] = 0;                      /* i */
            bias[H + j] = (float)bfs[cse];    /* f */
            bias[2 * H + j] = 1;              /* g */
            bias[3 * H + j] = 1;              /* o */
        }
        tu_st_add(&st, "r.weight_ih_l0", 2, (int64_t[]){4 * H, 2}, zeros, NULL, 0);
        tu_st_add(&st, "r.weight_hh_l0", 2, (int64_t[]){4 * H, H}, zeros, NULL, 0);
        tu_st_add(&st, "r.bias_ih_l0", 1, (int64_t[]){4 * H}, bias, NULL, 0);
        tu_st_add(&st, "r.bias_hh_l0", 1, (int64_t[]){4 * H}, zeros, NULL, 0);
        model md = load("{'format': 'seqrt', 'version': 1, 'inputs': [{'name': 'x', 'dtype': 'float32',"
                        " 'shape': ['T', 'B', 2]}], 'layers': [{'op': 'lstm', 'name': 'r', 'inputs': {'x': 'x'},"
                        " 'input_size': 2, 'hidden_size': 2}], 'outputs': ['r', 'r:h_n', 'r:c_n']}",
                        &st);
        tu_st_free(&st);
        seqrt_tensor *x = f32(3, (int64_t[]){T, 1, 2}, NULL);
        float *xv = seqrt_tensor_data(x);
        for (int t = 0; t < T; t++) xv[2 * t] = xv[2 * t + 1] = (t % 7) ? 1e30f : -1e30f; /* W = 0: no effect */
        double i = 0.5, f = 1.0 / (1.0 + exp(-bfs[cse])), g = tanh(1.0), o = 1.0 / (1.0 + exp(-1.0));
        for (int d = 0; d < md.ndev; d++) {
            seqrt_session *s = run(&md, d, &x, NULL);
            const float *y = out_data(s, 0, NULL), *hn = out_data(s, 1, NULL), *cn = out_data(s, 2, NULL);
            for (int t = 0; t < T; t += 997) {
                double c = i * g * (1.0 - pow(f, t + 1)) / (1.0 - f);
                expect_value(y[2 * t], (float)(o * tanh(c)), 1e-5, "lstm h_t", t, md.devname[d]);
            }
            double c = i * g * (1.0 - pow(f, T)) / (1.0 - f);
            for (int j = 0; j < H; j++) {
                /* float storage of c each step: relative error within 1e-3 */
                expect_value(cn[j], (float)c, 1e-3 * c, "lstm c_n", j, md.devname[d]);
                expect_value(hn[j], (float)(o * tanh(c)), 1e-5, "lstm h_n", j, md.devname[d]);
            }
            seqrt_session_free(s);
        }
        seqrt_tensor_free(x);
        seqrt_model_free(md.m);
    }
}

Test(numerics, recurrent_10000_steps_bounded_and_streamed)
{
    /* Random weights, random inputs with now and then a huge value: every
     * h_t of lstm, gru and tanh rnn lies in [-1, 1] (o tanh(c), a convex
     * mix of tanh values, tanh); |c_t| <= t (|f c + i g| <= |c| + 1); and
     * 10 streamed chunks of 1 000 steps give the whole run's outputs
     * within float rounding. */
    const int T = 10000, B = 2, H = 6;
    const char *ops[3] = {"lstm", "gru", "rnn"};
    for (int k = 0; k < 3; k++) {
        model md = recurrent_model(ops[k], H, 0, 1234u + (uint32_t)k, 0.8f);
        seqrt_tensor *x = f32(3, (int64_t[]){T, B, 2}, NULL);
        float *xv = seqrt_tensor_data(x);
        uint32_t seed = 99;
        for (int n = 0; n < T * B * 2; n++) xv[n] = (n % 1013 == 0) ? 1e20f : tu_rand(&seed, 3.0f);
        for (int d = 0; d < md.ndev; d++) {
            seqrt_session *s = run(&md, d, &x, NULL);
            size_t ny, nh;
            const float *y = out_data(s, 0, &ny), *hn = out_data(s, 1, &nh);
            for (size_t n = 0; n < ny; n++)
                cr_assert(isfinite(y[n]) && fabsf(y[n]) <= 1.0f, "%s on %s: h[%zu] = %g", ops[k], md.devname[d], n,
                          (double)y[n]);
            if (k == 0) {
                const float *cn = out_data(s, 2, NULL);
                for (int j = 0; j < B * H; j++)
                    cr_assert(isfinite(cn[j]) && fabsf(cn[j]) <= (float)T, "lstm c_n[%d] = %g", j, (double)cn[j]);
            }
            /* streamed in 10 chunks */
            seqrt_session_options so = {1};
            seqrt_session *ss = NULL;
            OK(seqrt_session_create(&ss, md.m, md.dev[d], &so));
            for (int c = 0; c < 10; c++) {
                seqrt_tensor *chunk = NULL;
                OK(seqrt_tensor_wrap(&chunk, SEQRT_F32, 3, (int64_t[]){T / 10, B, 2}, xv + (size_t)c * (T / 10) * B * 2));
                OK(seqrt_session_run(ss, (const seqrt_tensor *const *)&chunk, 1));
                size_t nc;
                const float *yc = out_data(ss, 0, &nc);
                for (size_t n = 0; n < nc; n++)
                    expect_value(yc[n], y[(size_t)c * nc + n], 1e-5, "streamed h_t", (int)n, md.devname[d]);
                seqrt_tensor_free(chunk);
            }
            expect_values(out_data(ss, 1, NULL), hn, (int)nh, 1e-5, "streamed h_n", md.devname[d]);
            seqrt_session_free(ss);
            seqrt_session_free(s);
        }
        seqrt_tensor_free(x);
        seqrt_model_free(md.m);
    }
}

Test(numerics, recurrent_nan_stays_in_its_batch_entry_and_padding_is_not_read)
{
    /* lstm, gru, rnn over x [T=8, B=3, 2]:
     *   b = 0: x_5 = NaN -> h_t finite for t < 5, NaN from t = 5 on; h_n NaN;
     *   b = 1: no NaN -> all finite (batch entries are independent);
     *   b = 2: NaN and Inf only in padded steps (len 4) -> all finite, and
     *          the padded outputs are 0 (the spec). */
    const int T = 8, B = 3, H = 3;
    const char *ops[3] = {"lstm", "gru", "rnn"};
    for (int k = 0; k < 3; k++) {
        model md = recurrent_model(ops[k], H, 1, 555u + (uint32_t)k, 0.5f);
        float xv[8 * 3 * 2];
        uint32_t seed = 7;
        for (int n = 0; n < T * B * 2; n++) xv[n] = tu_rand(&seed, 1.0f);
        xv[(5 * B + 0) * 2] = NAN;
        for (int t = 4; t < T; t++) xv[(t * B + 2) * 2 + (t & 1)] = (t & 2) ? NAN : INFINITY;
        seqrt_tensor *in[2] = {f32(3, (int64_t[]){T, B, 2}, xv), i32(1, (int64_t[]){B}, (int32_t[]){T, T, 4})};
        for (int d = 0; d < md.ndev; d++) {
            seqrt_session *s = run(&md, d, in, NULL);
            const float *y = out_data(s, 0, NULL), *hn = out_data(s, 1, NULL);
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < H; j++) {
                        float v = y[(t * B + b) * H + j];
                        if (b == 0 && t >= 5)
                            cr_expect(isnan(v), "%s on %s: h[t=%d, b=0] = %g, expected NaN", ops[k], md.devname[d], t,
                                      (double)v);
                        else if (b == 2 && t >= 4)
                            cr_expect(v == 0.0f, "%s on %s: padded h[t=%d, b=2] = %g, expected 0", ops[k],
                                      md.devname[d], t, (double)v);
                        else
                            cr_expect(isfinite(v), "%s on %s: h[t=%d, b=%d] = %g, expected finite", ops[k],
                                      md.devname[d], t, b, (double)v);
                    }
            for (int j = 0; j < H; j++) {
                cr_expect(isnan(hn[j]), "%s: h_n[b=0] must be NaN", ops[k]);
                cr_expect(isfinite(hn[H + j]) && isfinite(hn[2 * H + j]), "%s: h_n[b=1,2] must be finite", ops[k]);
                cr_expect(hn[2 * H + j] == y[(3 * B + 2) * H + j], "%s: h_n[b=2] is the state after step len-1",
                          ops[k]);
            }
            seqrt_session_free(s);
        }
        for (int i = 0; i < 2; i++) seqrt_tensor_free(in[i]);
        seqrt_model_free(md.m);
    }
}

/* ------------------------------------------------------------ subnormals */

Test(numerics, subnormal_inputs)
{
    /* Subnormal floats are neither flushed to zero nor trapped:
     *   linear with W = I, b = 0 returns them bit for bit;
     *   an LSTM (biases of normal size) sees 1e-40 * w + b == b in double,
     *   so its outputs equal those for a zero input, bit for bit. */
    tu_st st;
    tu_st_init(&st);
    tu_st_add(&st, "fc.weight", 2, (int64_t[]){2, 2}, (float[]){1, 0, 0, 1}, NULL, 0);
    tu_st_add(&st, "fc.bias", 1, (int64_t[]){2}, (float[]){0, 0}, NULL, 0);
    model md = load("{'format': 'seqrt', 'version': 1, 'inputs': [{'name': 'x', 'dtype': 'float32', 'shape': [3, 2]}],"
                    " 'layers': [{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'x'}, 'in_features': 2,"
                    " 'out_features': 2}], 'outputs': ['fc']}",
                    &st);
    tu_st_free(&st);
    float x[6] = {1e-40f, -1e-45f, FLT_MIN / 2, -FLT_MIN, 1.4e-45f, 0};
    seqrt_tensor *in = f32(2, (int64_t[]){3, 2}, x);
    for (int d = 0; d < md.ndev; d++) {
        seqrt_session *s = run(&md, d, &in, NULL);
        const float *y = out_data(s, 0, NULL);
        if (!strcmp(md.devname[d], "reference"))
            cr_expect(!memcmp(y, x, sizeof x), "linear on %s flushed or changed a subnormal input", md.devname[d]);
        else
            expect_values(y, x, 6, 0, "linear (subnormal inputs)", md.devname[d]);
        seqrt_session_free(s);
    }
    seqrt_tensor_free(in);
    seqrt_model_free(md.m);

    md = recurrent_model("lstm", 4, 0, 31u, 0.5f);
    float xs[2 * 2 * 2], xz[2 * 2 * 2];
    for (int n = 0; n < 8; n++) xs[n] = (n & 1) ? -1e-40f : 1e-42f, xz[n] = 0;
    seqrt_tensor *a = f32(3, (int64_t[]){2, 2, 2}, xs), *z = f32(3, (int64_t[]){2, 2, 2}, xz);
    for (int d = 0; d < md.ndev; d++) {
        seqrt_session *s1 = run(&md, d, &a, NULL), *s0 = run(&md, d, &z, NULL);
        for (size_t o = 0; o < 3; o++) {
            size_t n1, n0;
            const float *y1 = out_data(s1, o, &n1), *y0 = out_data(s0, o, &n0);
            cr_expect(n1 == n0, "lstm on %s: output %zu sizes differ", md.devname[d], o);
            if (!strcmp(md.devname[d], "reference"))
                cr_expect(!memcmp(y1, y0, n1 * sizeof(float)),
                          "lstm on %s: output %zu for subnormal inputs differs from that for zeros", md.devname[d], o);
            else
                for (size_t k = 0; k < n1 && k < n0; k++)
                    expect_value(y1[k], y0[k], 0, "lstm (subnormal inputs)", (int)k, md.devname[d]);
        }
        seqrt_session_free(s1);
        seqrt_session_free(s0);
    }
    seqrt_tensor_free(a);
    seqrt_tensor_free(z);
    seqrt_model_free(md.m);
}
