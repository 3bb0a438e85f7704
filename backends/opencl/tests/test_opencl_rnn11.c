/*
 * The OpenCL backend on the format 1.1 recurrent forms, against the
 * reference backend (the oracle): small lstm, gru and rnn models written
 * here (description + safetensors with seeded weights, in a temporary
 * folder) with gate functions other than the op's own (all eleven, with
 * alpha/beta, one list per direction), clip, input_forget and direction
 * "reverse" (with lengths, initial states, stacks, projection, peepholes),
 * each run on the three recurrent paths, gemm, step (in both of its forms,
 * units and rows: SEQRT_OPENCL_STEP_FORM), persistent and grid
 * (SEQRT_OPENCL_RECURRENT) and compared output by output with the
 * conformance suite's rule |x - ref| <= 1e-4 + 1e-3 |ref|.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seqrt.h"

#define ATOL 1e-4
#define RTOL 1e-3
#define MAX_T 16
#define MAX_W 64

/* One model: a single recurrent layer "r" over input x [T, B, I]. */
typedef struct rcase {
    const char *op;    /* lstm, gru, rnn */
    int T, B, I, H, L;
    int D;             /* directions: 2 for bidirectional, else 1 */
    int proj, peephole, bias, lbr, bf, lengths, states;
    const char *attrs; /* extra attributes, JSON members (may be "") */
} rcase;

typedef struct wbuf {
    char names[MAX_W][96];
    int64_t count[MAX_W], dims[MAX_W][2];
    int rank[MAX_W], n;
} wbuf;

static uint32_t g_seed = 12345;
static float rnd(void)
{
    g_seed = g_seed * 1664525u + 1013904223u;
    return ((float)(g_seed >> 8) / (float)(1u << 24) - 0.5f) * 1.2f;
}

static void add_w(wbuf *w, const char *name, int rank, int64_t d0, int64_t d1)
{
    cr_assert_lt(w->n, MAX_W);
    snprintf(w->names[w->n], sizeof w->names[0], "%s", name);
    w->rank[w->n] = rank;
    w->dims[w->n][0] = d0;
    w->dims[w->n][1] = d1;
    w->count[w->n] = rank == 1 ? d0 : d0 * d1;
    w->n++;
}

/* Writes the safetensors file of every weight of the case (seeded values). */
static void write_weights(const rcase *c, const char *path)
{
    const int G = !strcmp(c->op, "lstm") ? 4 : !strcmp(c->op, "gru") ? 3 : 1;
    const int Ho = c->proj ? c->proj : c->H;
    wbuf w = {.n = 0};
    char name[96];
    for (int k = 0; k < c->L; k++)
        for (int d = 0; d < c->D; d++) {
            const char *s = d ? "_reverse" : "";
            const int in = k == 0 ? c->I : c->D * Ho;
#define W2(what, a, b) (snprintf(name, sizeof name, "r." what "_l%d%s", k, s), add_w(&w, name, 2, a, b))
#define W1(what, a) (snprintf(name, sizeof name, "r." what "_l%d%s", k, s), add_w(&w, name, 1, a, 0))
            W2("weight_ih", G * c->H, in);
            W2("weight_hh", G * c->H, Ho);
            if (c->bias) {
                W1("bias_ih", G * c->H);
                W1("bias_hh", G * c->H);
            }
            if (c->proj) W2("weight_hr", c->proj, c->H);
            if (c->peephole) {
                W1("weight_pi", c->H);
                W1("weight_pf", c->H);
                W1("weight_po", c->H);
            }
#undef W1
#undef W2
        }
    char hdr[16384];
    size_t pos = 0;
    int64_t off = 0;
    pos += (size_t)snprintf(hdr + pos, sizeof hdr - pos, "{");
    for (int i = 0; i < w.n; i++) {
        if (w.rank[i] == 1)
            pos += (size_t)snprintf(hdr + pos, sizeof hdr - pos, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld],",
                                    i ? "," : "", w.names[i], (long long)w.dims[i][0]);
        else
            pos += (size_t)snprintf(hdr + pos, sizeof hdr - pos, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],",
                                    i ? "," : "", w.names[i], (long long)w.dims[i][0], (long long)w.dims[i][1]);
        pos += (size_t)snprintf(hdr + pos, sizeof hdr - pos, "\"data_offsets\":[%lld,%lld]}", (long long)off,
                                (long long)(off + 4 * w.count[i]));
        off += 4 * w.count[i];
    }
    pos += (size_t)snprintf(hdr + pos, sizeof hdr - pos, "}");
    cr_assert_lt(pos, sizeof hdr);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    uint64_t n = pos;
    fwrite(&n, 8, 1, f);
    fwrite(hdr, 1, pos, f);
    for (int i = 0; i < w.n; i++)
        for (int64_t j = 0; j < w.count[i]; j++) {
            float v = rnd();
            fwrite(&v, 4, 1, f);
        }
    fclose(f);
}

static void write_model(const rcase *c, const char *dir, char *json_path, size_t n)
{
    const int Ho = c->proj ? c->proj : c->H;
    const bool lstm = !strcmp(c->op, "lstm");
    char wpath[512];
    snprintf(wpath, sizeof wpath, "%s/m.safetensors", dir);
    write_weights(c, wpath);
    snprintf(json_path, n, "%s/m.json", dir);
    FILE *f = fopen(json_path, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"format\":\"seqrt\",\"version\":1.1,\"name\":\"m\",\"batch_first\":%s,\"inputs\":[",
            c->bf ? "true" : "false");
    if (c->bf) fprintf(f, "{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[%d,%d,%d]}", c->B, c->T, c->I);
    else fprintf(f, "{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[%d,%d,%d]}", c->T, c->B, c->I);
    if (c->lengths) fprintf(f, ",{\"name\":\"len\",\"dtype\":\"int32\",\"shape\":[%d]}", c->B);
    if (c->states) {
        fprintf(f, ",{\"name\":\"h0\",\"dtype\":\"float32\",\"shape\":[%d,%d,%d]}", c->L * c->D, c->B, Ho);
        if (lstm) fprintf(f, ",{\"name\":\"c0\",\"dtype\":\"float32\",\"shape\":[%d,%d,%d]}", c->L * c->D, c->B, c->H);
    }
    fprintf(f, "],\"layers\":[{\"op\":\"%s\",\"name\":\"r\",\"inputs\":{\"x\":\"x\"%s%s%s}", c->op,
            c->lengths ? ",\"lengths\":\"len\"" : "", c->states ? ",\"h0\":\"h0\"" : "",
            c->states && lstm ? ",\"c0\":\"c0\"" : "");
    fprintf(f, ",\"input_size\":%d,\"hidden_size\":%d,\"num_layers\":%d,\"bias\":%s", c->I, c->H, c->L,
            c->bias ? "true" : "false");
    if (c->proj) fprintf(f, ",\"proj_size\":%d", c->proj);
    if (c->peephole) fprintf(f, ",\"peephole\":true");
    if (!strcmp(c->op, "gru")) fprintf(f, ",\"linear_before_reset\":%s", c->lbr ? "true" : "false");
    if (c->attrs && *c->attrs) fprintf(f, ",%s", c->attrs);
    fprintf(f, "}],\"outputs\":[\"r\",\"r:h_n\"%s]}\n", lstm ? ",\"r:c_n\"" : "");
    fclose(f);
}

static seqrt_tensor *input(int rank, const int64_t *dims, bool ints, int B, int T)
{
    seqrt_tensor *t = NULL;
    cr_assert_eq(seqrt_tensor_create(&t, ints ? SEQRT_I32 : SEQRT_F32, rank, dims), SEQRT_OK, "%s", seqrt_last_error());
    size_t n = seqrt_tensor_count(t);
    if (ints) {
        int32_t *v = seqrt_tensor_data(t);
        for (int b = 0; b < B; b++) v[b] = b == 0 ? T : (T - 1 - (b * 2) % T); /* mixed, one 0 when B > T/2 */
    } else {
        float *v = seqrt_tensor_data(t);
        for (size_t i = 0; i < n; i++) v[i] = rnd() * 1.5f;
    }
    return t;
}

static void run_on(const seqrt_model *m, const char *spec, const char *mode, seqrt_tensor *const *in, size_t nin,
                   float **out, size_t *counts, size_t nout)
{
    const seqrt_device *dev = NULL;
    cr_assert_eq(seqrt_device_find(&dev, spec), SEQRT_OK, "%s", seqrt_last_error());
    /* "path:form" also forces the step kernels' form (SEQRT_OPENCL_STEP_FORM) */
    char path[32];
    snprintf(path, sizeof path, "%s", mode ? mode : "");
    char *form = strchr(path, ':');
    if (form) *form++ = '\0';
    if (mode) setenv("SEQRT_OPENCL_RECURRENT", path, 1);
    if (form) setenv("SEQRT_OPENCL_STEP_FORM", form, 1);
    else unsetenv("SEQRT_OPENCL_STEP_FORM");
    seqrt_session *s = NULL;
    cr_assert_eq(seqrt_session_create(&s, m, dev, NULL), SEQRT_OK, "%s: %s", spec, seqrt_last_error());
    cr_assert_eq(seqrt_session_run(s, (const seqrt_tensor *const *)in, nin), SEQRT_OK, "%s: %s", spec,
                 seqrt_last_error());
    for (size_t o = 0; o < nout; o++) {
        const seqrt_tensor *t = NULL;
        cr_assert_eq(seqrt_session_output(s, o, &t), SEQRT_OK);
        counts[o] = seqrt_tensor_count(t);
        out[o] = malloc(counts[o] * sizeof(float));
        memcpy(out[o], seqrt_tensor_data(t), counts[o] * sizeof(float));
    }
    seqrt_session_free(s);
}

/* Builds case c, runs it on the reference and on opencl (every recurrent
 * path) and compares every output. */
static void check(const rcase *c, const char *what)
{
    char dir[] = "/tmp/seqrt_ocl11_XXXXXX", json[600];
    cr_assert_not_null(mkdtemp(dir));
    g_seed = 12345u + (uint32_t)strlen(what) * 7919u;
    write_model(c, dir, json, sizeof json);
    seqrt_model *m = NULL;
    cr_assert_eq(seqrt_model_load(&m, json, NULL), SEQRT_OK, "%s: %s", what, seqrt_last_error());
    const int Ho = c->proj ? c->proj : c->H;
    seqrt_tensor *in[4];
    size_t nin = 0;
    int64_t xd[3] = {c->bf ? c->B : c->T, c->bf ? c->T : c->B, c->I};
    in[nin++] = input(3, xd, false, c->B, c->T);
    int64_t ld[1] = {c->B};
    if (c->lengths) in[nin++] = input(1, ld, true, c->B, c->T);
    const bool lstm = !strcmp(c->op, "lstm");
    if (c->states) {
        int64_t hd[3] = {c->L * c->D, c->B, Ho}, cd[3] = {c->L * c->D, c->B, c->H};
        in[nin++] = input(3, hd, false, c->B, c->T);
        if (lstm) in[nin++] = input(3, cd, false, c->B, c->T);
    }
    const size_t nout = lstm ? 3 : 2;
    float *ref[3], *got[3];
    size_t rc[3], gc[3];
    run_on(m, "reference", NULL, in, nin, ref, rc, nout);
    /* the step kernels in both forms: units (CPUs) and rows (GPUs) */
    const char *modes[] = {"gemm", "step:units", "step:rows", "persistent", "grid"};
    for (int p = 0; p < (int)(sizeof modes / sizeof modes[0]); p++) {
        run_on(m, "opencl", modes[p], in, nin, got, gc, nout);
        for (size_t o = 0; o < nout; o++) {
            cr_assert_eq(gc[o], rc[o]);
            for (size_t i = 0; i < rc[o]; i++) {
                const double e = ref[o][i], g = got[o][i];
                const bool ok = isnan(e) ? isnan(g) : fabs(g - e) <= ATOL + RTOL * fabs(e);
                cr_assert(ok, "%s (%s path): output %zu element %zu is %.9g, the reference %.9g", what, modes[p], o,
                          i, g, e);
            }
            free(got[o]);
        }
    }
    for (size_t o = 0; o < nout; o++) free(ref[o]);
    for (size_t i = 0; i < nin; i++) seqrt_tensor_free(in[i]);
    seqrt_model_free(m);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static const char *const g_fns[] = {"sigmoid", "tanh", "relu", "affine", "leakyrelu", "thresholdedrelu",
                                    "scaledtanh", "hardsigmoid", "elu", "softsign", "softplus"};
enum { NFN = sizeof g_fns / sizeof g_fns[0] };

Test(rnn11, rnn_every_function_both_paths)
{
    char attrs[256], what[64];
    for (int f = 0; f < NFN; f++) {
        /* one list per direction: function f forward, another reverse; the
         * parameters are consumed only by the functions that take them, and
         * more than they take is an error: give as many as they take */
        int na = 0, nb = 0;
        for (int d = 0; d < 2; d++) {
            const char *fn = g_fns[(f + 3 * d) % NFN];
            bool two = !strcmp(fn, "affine") || !strcmp(fn, "scaledtanh") || !strcmp(fn, "hardsigmoid");
            bool one = !strcmp(fn, "leakyrelu") || !strcmp(fn, "thresholdedrelu") || !strcmp(fn, "elu");
            na += two || one;
            nb += two;
        }
        const char *alphas[] = {"", "0.7", "0.7,0.3"}, *betas[] = {"", "0.2", "0.2,0.4"};
        int pos = snprintf(attrs, sizeof attrs, "\"activations\":[\"%s\",\"%s\"]", g_fns[f], g_fns[(f + 3) % NFN]);
        if (na) pos += snprintf(attrs + pos, sizeof attrs - (size_t)pos, ",\"activation_alpha\":[%s]", alphas[na]);
        if (nb) snprintf(attrs + pos, sizeof attrs - (size_t)pos, ",\"activation_beta\":[%s]", betas[nb]);
        snprintf(what, sizeof what, "rnn %s", g_fns[f]);
        rcase c = {.op = "rnn", .T = 5, .B = 3, .I = 4, .H = 6, .L = 2, .D = 2, .bias = 1, .lengths = 1,
                   .states = 1, .attrs = attrs};
        char full[300];
        snprintf(full, sizeof full, "\"bidirectional\":true,%s", attrs);
        c.attrs = full;
        check(&c, what);
    }
}

Test(rnn11, lstm_functions_clip_input_forget)
{
    /* g and h run through every function; f stays a gate-like one */
    char attrs[300], what[64];
    for (int f = 0; f < NFN; f++) {
        /* f = hardsigmoid takes alpha and beta; g and h take 0 to 2 each,
         * and more values than the functions take are an error */
        int na = 1, nb = 1;
        for (int j = 0; j < 2; j++) {
            const char *fn = g_fns[j ? (f + 5) % NFN : f];
            bool two = !strcmp(fn, "affine") || !strcmp(fn, "scaledtanh") || !strcmp(fn, "hardsigmoid");
            bool one = !strcmp(fn, "leakyrelu") || !strcmp(fn, "thresholdedrelu") || !strcmp(fn, "elu");
            na += two || one;
            nb += two;
        }
        const char *alphas[] = {"0.25", "0.25,0.9", "0.25,0.9,0.8"}, *betas[] = {"0.45", "0.45,0.6", "0.45,0.6,0.7"};
        snprintf(attrs, sizeof attrs,
                 "\"activations\":[\"hardsigmoid\",\"%s\",\"%s\"],\"activation_alpha\":[%s],"
                 "\"activation_beta\":[%s],\"clip\":1.5%s",
                 g_fns[f], g_fns[(f + 5) % NFN], alphas[na - 1], betas[nb - 1], f % 2 ? ",\"input_forget\":true" : "");
        snprintf(what, sizeof what, "lstm g %s h %s", g_fns[f], g_fns[(f + 5) % NFN]);
        rcase c = {.op = "lstm", .T = 6, .B = 3, .I = 5, .H = 7, .L = 1, .D = 1, .bias = 1, .peephole = f % 3 == 0,
                   .lengths = f % 2, .states = 1, .attrs = attrs};
        check(&c, what);
    }
}

Test(rnn11, lstm_reverse_stack_projection)
{
    rcase c = {.op = "lstm", .T = 6, .B = 4, .I = 5, .H = 8, .L = 2, .D = 1, .proj = 3, .peephole = 1, .bias = 1,
               .lengths = 1, .states = 1, .attrs = "\"direction\":\"reverse\",\"clip\":0.8"};
    check(&c, "lstm reverse L2 proj peephole clip lengths states");
    rcase d = {.op = "lstm", .T = 5, .B = 2, .I = 3, .H = 6, .L = 1, .D = 1, .bias = 0, .bf = 1,
               .attrs = "\"direction\":\"reverse\",\"input_forget\":true"};
    check(&d, "lstm reverse input_forget batch_first, no bias");
    rcase e = {.op = "lstm", .T = 5, .B = 3, .I = 4, .H = 5, .L = 2, .D = 2, .proj = 2, .bias = 1, .lengths = 1,
               .states = 1,
               .attrs = "\"direction\":\"bidirectional\",\"activations\":[\"sigmoid\",\"softsign\",\"elu\","
                        "\"hardsigmoid\",\"tanh\",\"scaledtanh\"],\"activation_alpha\":[0.5,0.3,1.2],"
                        "\"activation_beta\":[0.5,0.8],\"clip\":2.0"};
    check(&e, "lstm bidirectional per-direction functions L2 proj");
}

Test(rnn11, gru_forms)
{
    for (int lbr = 0; lbr < 2; lbr++) {
        rcase c = {.op = "gru", .T = 6, .B = 3, .I = 4, .H = 7, .L = 2, .D = 1, .bias = 1, .lbr = lbr, .lengths = 1,
                   .states = 1, .attrs = "\"direction\":\"reverse\",\"clip\":1.0"};
        check(&c, lbr ? "gru reverse clip lbr" : "gru reverse clip");
        rcase d = {.op = "gru", .T = 5, .B = 2, .I = 3, .H = 5, .L = 1, .D = 2, .bias = lbr, .lbr = lbr, .bf = 1,
                   .lengths = 1,
                   .attrs = "\"bidirectional\":true,\"activations\":[\"hardsigmoid\",\"leakyrelu\",\"sigmoid\","
                            "\"softplus\"],\"activation_alpha\":[0.3,0.05],\"activation_beta\":[0.55]"};
        check(&d, lbr ? "gru bidirectional functions lbr" : "gru bidirectional functions");
        rcase e = {.op = "gru", .T = 4, .B = 3, .I = 3, .H = 4, .L = 1, .D = 1, .bias = 1, .lbr = lbr,
                   .attrs = "\"activations\":[\"sigmoid\",\"relu\"],\"clip\":0.5"};
        check(&e, lbr ? "gru forward relu clip lbr" : "gru forward relu clip");
    }
}

Test(rnn11, rnn_reverse_relu_clip)
{
    rcase c = {.op = "rnn", .T = 7, .B = 3, .I = 4, .H = 6, .L = 3, .D = 1, .bias = 1, .lengths = 1, .states = 1,
               .attrs = "\"direction\":\"reverse\",\"nonlinearity\":\"relu\",\"clip\":0.9"};
    check(&c, "rnn reverse relu clip L3");
    rcase d = {.op = "rnn", .T = 4, .B = 2, .I = 3, .H = 5, .L = 1, .D = 1, .bias = 1, .bf = 1,
               .attrs = "\"direction\":\"forward\""};
    check(&d, "rnn forward explicit (default form)");
}

/* The step kernels take batch entries 8 at a time (1, 2, 4 or 8 by a
 * compile-time count) and units a vector at a time, padded: B = 11 (a
 * chunk of 8, then 3 through the 4-entry code), B = 2 and 6, and hidden
 * sizes that are not multiples of the vector width, on every path. */
Test(rnn11, step_batch_chunks_and_padding)
{
    const int batches[] = {11, 2, 6};
    for (int i = 0; i < 3; i++) {
        const int B = batches[i];
        char what[64];
        rcase a = {.op = "lstm", .T = 5, .B = B, .I = 3, .H = 13, .L = 2, .D = 2, .proj = 5, .peephole = 1,
                   .bias = 1, .lengths = 1, .states = 1, .attrs = "\"bidirectional\":true"};
        snprintf(what, sizeof what, "lstm B=%d H=13 proj 5 bidirectional L2", B);
        check(&a, what);
        rcase g = {.op = "gru", .T = 5, .B = B, .I = 4, .H = 9, .L = 1, .D = 2, .bias = 1, .lbr = i % 2,
                   .lengths = 1, .states = 1, .attrs = "\"bidirectional\":true"};
        snprintf(what, sizeof what, "gru B=%d H=9 lbr %d bidirectional", B, i % 2);
        check(&g, what);
        rcase r = {.op = "rnn", .T = 4, .B = B, .I = 3, .H = 17, .L = 1, .D = 1, .bias = 1, .bf = 1, .lengths = 1,
                   .attrs = "\"nonlinearity\":\"relu\""};
        snprintf(what, sizeof what, "rnn B=%d H=17 relu batch_first", B);
        check(&r, what);
    }
}

/* An LSTM whose W_hh (4 * 192 * 192 floats, 576 KiB) is beyond PoCL's
 * 512 KiB and rusticl's 32 KiB of local memory: forced onto the persistent
 * kernel, the fit check sends it to the step kernels (the run must succeed
 * and match), the other paths run it as usual. */
Test(rnn11, persistent_beyond_local_memory)
{
    rcase c = {.op = "lstm", .T = 3, .B = 2, .I = 4, .H = 192, .L = 1, .D = 1, .bias = 1, .lengths = 1,
               .states = 1, .attrs = ""};
    check(&c, "lstm H=192 beyond local memory");
}

/* A value of SEQRT_OPENCL_RECURRENT that names no path is an error at
 * session creation, naming the value and the valid ones. */
/* A small rnn model in a new folder `dir`, and the opencl device. */
static seqrt_model *tiny_model(char *dir, const seqrt_device **dev)
{
    char json[600];
    cr_assert_not_null(mkdtemp(dir));
    rcase c = {.op = "rnn", .T = 3, .B = 2, .I = 3, .H = 4, .L = 1, .D = 1, .bias = 1, .attrs = ""};
    write_model(&c, dir, json, sizeof json);
    seqrt_model *m = NULL;
    cr_assert_eq(seqrt_model_load(&m, json, NULL), SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(seqrt_device_find(dev, "opencl"), SEQRT_OK, "%s", seqrt_last_error());
    return m;
}

static void tiny_model_free(seqrt_model *m, const char *dir)
{
    seqrt_model_free(m);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(rnn11, unknown_path_refused)
{
    char dir[] = "/tmp/seqrt_ocl11_XXXXXX";
    const seqrt_device *dev = NULL;
    seqrt_model *m = tiny_model(dir, &dev);
    setenv("SEQRT_OPENCL_RECURRENT", "fused", 1);
    seqrt_session *s = NULL;
    cr_assert_eq(seqrt_session_create(&s, m, dev, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(seqrt_last_error(), "SEQRT_OPENCL_RECURRENT='fused'"), "%s", seqrt_last_error());
    cr_assert_not_null(strstr(seqrt_last_error(), "auto, gemm, step, persistent, grid"), "%s", seqrt_last_error());
    unsetenv("SEQRT_OPENCL_RECURRENT");
    tiny_model_free(m, dir);
}

/* Bad values of the step kernels' form, of the rows form's parameters and
 * of the grid kernel's are errors at session creation naming the variable
 * and the value. */
Test(rnn11, bad_step_form_refused)
{
    char dir[] = "/tmp/seqrt_ocl11_XXXXXX";
    const seqrt_device *dev = NULL;
    seqrt_model *m = tiny_model(dir, &dev);
    const char *bad[][3] = {{"SEQRT_OPENCL_STEP_FORM", "cols", "auto, units, rows"},
                            {"SEQRT_OPENCL_STEP_ROWS_WG", "48", "power of two"},
                            {"SEQRT_OPENCL_STEP_ROWS_LANES", "0", "power of two"},
                            {"SEQRT_OPENCL_STEP_ROWS_UNITS", "2x", "an integer"},
                            {"SEQRT_OPENCL_GRID_GROUPS", "0", "an integer"},
                            {"SEQRT_OPENCL_GRID_SPIN", "-5", "an integer"},
                            {"SEQRT_OPENCL_GRID_CACHE_KIB", "lots", "an integer"},
                            {"SEQRT_OPENCL_GRID_GIVE_UP", "1.5", "an integer"}};
    for (int i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
        setenv(bad[i][0], bad[i][1], 1);
        seqrt_session *s = NULL;
        cr_assert_eq(seqrt_session_create(&s, m, dev, NULL), SEQRT_ERR_INVALID_ARGUMENT, "%s=%s", bad[i][0],
                     bad[i][1]);
        char want[96];
        snprintf(want, sizeof want, "%s='%s'", bad[i][0], bad[i][1]);
        cr_assert_not_null(strstr(seqrt_last_error(), want), "%s", seqrt_last_error());
        cr_assert_not_null(strstr(seqrt_last_error(), bad[i][2]), "%s", seqrt_last_error());
        unsetenv(bad[i][0]);
    }
    setenv("SEQRT_OPENCL_STEP_ROWS_WG", "8", 1);
    setenv("SEQRT_OPENCL_STEP_ROWS_LANES", "16", 1);
    seqrt_session *s = NULL;
    cr_assert_eq(seqrt_session_create(&s, m, dev, NULL), SEQRT_ERR_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(seqrt_last_error(), "lanes (16"), "%s", seqrt_last_error());
    unsetenv("SEQRT_OPENCL_STEP_ROWS_WG");
    unsetenv("SEQRT_OPENCL_STEP_ROWS_LANES");
    tiny_model_free(m, dir);
}
