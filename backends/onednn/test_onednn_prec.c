/*
 * The oneDNN backend's format 1.2 precisions against the reference backend
 * (the oracle of docs/model-format/quantization.md) on randomly weighted
 * models: int8-dynamic lstm, gru and linear on both rules (per-tensor
 * weights quantized at load), stacked, bidirectional, batch_first, h0/c0,
 * lengths with 0 and T, B = 1 to 9, H not a multiple of any vector width;
 * each on the CPU's int8 kernels (VNNI where it has them) and on the
 * widening kernels (SEQRT_ONEDNN_DOT=widen, which also takes the input
 * projections off oneDNN's matmul), and streaming sessions chunk by chunk;
 * bf16 and f16 lstm, gru, rnn on every engine and the other ops with
 * weights at the f32 bound. The ISA builds run this file again (ctest
 * test_onednn_prec_isa_*).
 *
 * The bound is docs/conformance.md's for int8-dynamic on oneDNN: the
 * reference's own against torch's goldens, every element within
 * 1e-5 + 1e-5 |ref| (the kernels compute the design's operations one by
 * one and σ/tanh rounded from double, as the reference: measured equal to
 * 1e-7 on every case here). A layer computed in f32 instead differs by
 * 1e-3 to 8e-2, and one code moved by an ulp of h by about 1e-3: the
 * bound tells both apart.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../conformance/compare.h"
#include "../../tests/test_util.h"
#include "onednn_test_util.h"
#include "seqrt.h"

/* int8-dynamic: the reference's own bound against torch's goldens */
#define Q8_ATOL 1e-5
#define Q8_RTOL 1e-5

static char g_dir[512];
static int g_model_no;

static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0); }
static void teardown(void) { tu_rmtree(g_dir); }

TestSuite(onednn_int8, .init = setup, .fini = teardown, .timeout = 600);

static seqrt_model *load(const char *json, tu_st *w) { return dn_test_load(g_dir, &g_model_no, json, w); }
#define ftensor dn_test_ftensor

/* Runs m on the reference and on onednn (with the environment variable
 * `var` = `value`) and compares every output within atol + rtol |ref|. */
static void compare(seqrt_model *m, seqrt_tensor **in, size_t nin, const char *var, const char *value, double atol,
                    double rtol, const char *what)
{
    seqrt_session *ref = NULL, *dn = NULL;
    OK(seqrt_session_create(&ref, m, device("reference"), NULL));
    setenv(var, value, 1);
    OK(seqrt_session_create(&dn, m, device("onednn"), NULL));
    OK(seqrt_session_run(ref, (const seqrt_tensor *const *)in, nin));
    char w2[400];
    snprintf(w2, sizeof w2, "%s [%s=%s]", what, var, value);
    runs_match_within(ref, dn, m, in, nin, atol, rtol, w2);
    unsetenv(var);
    seqrt_session_free(ref);
    seqrt_session_free(dn);
}

/* ------------------------------------------------------------ int8-dynamic */

typedef struct q8_opts {
    const char *op, *rule;  /* lstm / gru (/ rnn: bf16, f16); qnnpack / onednn, or the precision bf16 / f16 */
    int I, H, nl, bidir, bias, bf, h0, lengths;
} q8_opts;

static seqrt_model *q8_rec_model(const q8_opts *o)
{
    const int D = o->bidir ? 2 : 1, G = o->op[0] == 'l' ? 4 : o->op[0] == 'g' ? 3 : 1, lstm = G == 4;
    const bool q8 = o->rule[0] != 'b' && o->rule[0] != 'f';
    char js[4096], ins[512] = "", inl[256] = "", prec[128];
    if (q8) snprintf(prec, sizeof prec, "\"precision\": \"int8-dynamic\", \"int8_rule\": \"%s\"", o->rule);
    else snprintf(prec, sizeof prec, "\"precision\": \"%s\"", o->rule);
    if (o->h0) {
        snprintf(ins + strlen(ins), sizeof ins - strlen(ins),
                 ", {\"name\": \"h0\", \"dtype\": \"float32\", \"shape\": [%d, \"B\", %d]}", o->nl * D, o->H);
        snprintf(inl + strlen(inl), sizeof inl - strlen(inl), ", \"h0\": \"h0\"");
        if (lstm) {
            snprintf(ins + strlen(ins), sizeof ins - strlen(ins),
                     ", {\"name\": \"c0\", \"dtype\": \"float32\", \"shape\": [%d, \"B\", %d]}", o->nl * D, o->H);
            snprintf(inl + strlen(inl), sizeof inl - strlen(inl), ", \"c0\": \"c0\"");
        }
    }
    if (o->lengths) {
        snprintf(ins + strlen(ins), sizeof ins - strlen(ins),
                 ", {\"name\": \"lengths\", \"dtype\": \"int32\", \"shape\": [\"B\"]}");
        snprintf(inl + strlen(inl), sizeof inl - strlen(inl), ", \"lengths\": \"lengths\"");
    }
    snprintf(js, sizeof js,
             "{\"format\": \"seqrt\", \"version\": 1.2, \"name\": \"q\", \"batch_first\": %s,"
             " %s,"
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": %s}%s],"
             " \"layers\": [{\"op\": \"%s\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\"%s},"
             " \"input_size\": %d, \"hidden_size\": %d, \"num_layers\": %d, \"bidirectional\": %s, \"bias\": %s%s}],"
             " \"outputs\": [\"rnn\", \"rnn:h_n\"%s]}",
             o->bf ? "true" : "false", prec, o->bf ? "[\"B\", \"T\", IN]" : "[\"T\", \"B\", IN]", ins, o->op, inl,
             o->I, o->H, o->nl, o->bidir ? "true" : "false", o->bias ? "true" : "false",
             o->op[0] == 'g' ? ", \"linear_before_reset\": true" : "", lstm ? ", \"rnn:c_n\"" : "");
    char *p = strstr(js, "IN]");
    char num[16];
    snprintf(num, sizeof num, "%d", o->I);
    char js2[4200];
    snprintf(js2, sizeof js2, "%.*s%s%s", (int)(p - js), js, num, p + 2);
    tu_st w;
    tu_st_init(&w);
    uint32_t seed = 4242u + (uint32_t)g_model_no * 131u;
    char n[128];
    for (int k = 0; k < o->nl; k++)
        for (int d = 0; d < D; d++) {
            const char *s = d ? "_reverse" : "";
            snprintf(n, sizeof n, "rnn.weight_ih_l%d%s", k, s);
            tu_st_add2(&w, n, (int64_t)G * o->H, k ? D * o->H : o->I, &seed, 0.3f);
            snprintf(n, sizeof n, "rnn.weight_hh_l%d%s", k, s);
            tu_st_add2(&w, n, (int64_t)G * o->H, o->H, &seed, 0.3f);
            if (o->bias) {
                snprintf(n, sizeof n, "rnn.bias_ih_l%d%s", k, s);
                tu_st_add2(&w, n, (int64_t)G * o->H, 0, &seed, 0.3f);
                snprintf(n, sizeof n, "rnn.bias_hh_l%d%s", k, s);
                tu_st_add2(&w, n, (int64_t)G * o->H, 0, &seed, 0.3f);
            }
        }
    seqrt_model *m = load(js2, &w);
    tu_st_free(&w);
    return m;
}

static void q8_rec_case(q8_opts o)
{
    seqrt_model *m = q8_rec_model(&o);
    const int D = o.bidir ? 2 : 1;
    static const int32_t lens5[5] = {6, 0, 3, 6, 1}, lens9[9] = {4, 4, 1, 2, 3, 4, 0, 4, 2};
    static const struct { int64_t T, B; const int32_t *lens; } shapes[] = {{6, 5, lens5}, {25, 1, NULL}, {4, 9, lens9}};
    for (size_t sh = 0; sh < 3; sh++) {
        const int64_t T = shapes[sh].T, B = shapes[sh].B;
        uint32_t seed = 77u + (uint32_t)(T * 31 + B);
        seqrt_tensor *in[4];
        size_t n = 0;
        int64_t dx[3] = {o.bf ? B : T, o.bf ? T : B, o.I};
        in[n++] = ftensor(3, dx, &seed, 1.0f);
        if (o.h0) {
            int64_t dh[3] = {(int64_t)o.nl * D, B, o.H};
            in[n++] = ftensor(3, dh, &seed, 0.8f);
            if (o.op[0] == 'l') in[n++] = ftensor(3, dh, &seed, 0.8f);
        }
        if (o.lengths) {
            int32_t lens[9];
            for (int64_t b = 0; b < B; b++) lens[b] = shapes[sh].lens ? shapes[sh].lens[b] : (int32_t)T;
            int64_t dl = B;
            OK(seqrt_tensor_create(&in[n], SEQRT_I32, 1, &dl));
            memcpy(seqrt_tensor_data(in[n++]), lens, sizeof(int32_t) * (size_t)B);
        }
        char what[300];
        snprintf(what, sizeof what, "%s %s I=%d H=%d nl=%d bidir=%d bias=%d bf=%d h0=%d lengths=%d T=%lld B=%lld", o.op,
                 o.rule, o.I, o.H, o.nl, o.bidir, o.bias, o.bf, o.h0, o.lengths, (long long)T, (long long)B);
        if (o.rule[0] == 'b' || o.rule[0] == 'f') { /* bf16, f16: f32 arithmetic, on every engine */
            static const char *modes[] = {"auto", "fused", "loop", "primitive"};
            for (int md = 0; md < 4; md++) compare(m, in, n, "SEQRT_ONEDNN_RNN", modes[md], SQ_DEFAULT_ATOL, SQ_DEFAULT_RTOL, what);
        } else {
            compare(m, in, n, "SEQRT_ONEDNN_DOT", "auto", Q8_ATOL, Q8_RTOL, what);
            compare(m, in, n, "SEQRT_ONEDNN_DOT", "widen", Q8_ATOL, Q8_RTOL, what);
        }
        for (size_t i = 0; i < n; i++) seqrt_tensor_free(in[i]);
    }
    seqrt_model_free(m);
}

Test(onednn_int8, lstm)
{
    for (int r = 0; r < 2; r++) {
        const char *rule = r ? "onednn" : "qnnpack";
        q8_rec_case((q8_opts){"lstm", rule, 5, 33, 1, 0, 1, 0, 0, 0});
        q8_rec_case((q8_opts){"lstm", rule, 20, 64, 2, 1, 1, 0, 1, 1});
        q8_rec_case((q8_opts){"lstm", rule, 17, 130, 1, 0, 0, 1, 1, 0});
    }
}

Test(onednn_int8, gru)
{
    for (int r = 0; r < 2; r++) {
        const char *rule = r ? "onednn" : "qnnpack";
        q8_rec_case((q8_opts){"gru", rule, 5, 33, 1, 0, 1, 0, 0, 0});
        q8_rec_case((q8_opts){"gru", rule, 20, 64, 2, 1, 1, 1, 1, 1});
        q8_rec_case((q8_opts){"gru", rule, 17, 130, 1, 1, 0, 0, 0, 1});
    }
}

Test(onednn_int8, linear)
{
    static const int shapes[][3] = {{1, 1, 1}, {7, 33, 5}, {40, 300, 129}}; /* rows, K, N */
    for (int r = 0; r < 2; r++)
        for (int s = 0; s < 3; s++) {
            const int R = shapes[s][0], K = shapes[s][1], N = shapes[s][2];
            char js[1024];
            snprintf(js, sizeof js,
                     "{\"format\": \"seqrt\", \"version\": 1.2, \"name\": \"l\", \"precision\": \"int8-dynamic\","
                     " \"int8_rule\": \"%s\", \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [%d, %d]}],"
                     " \"layers\": [{\"op\": \"linear\", \"name\": \"fc\", \"inputs\": {\"x\": \"x\"},"
                     " \"in_features\": %d, \"out_features\": %d}], \"outputs\": [\"fc\"]}",
                     r ? "onednn" : "qnnpack", R, K, K, N);
            tu_st w;
            tu_st_init(&w);
            uint32_t seed = 99u + (uint32_t)s;
            tu_st_add2(&w, "fc.weight", N, K, &seed, 0.5f);
            tu_st_add2(&w, "fc.bias", N, 0, &seed, 0.5f);
            seqrt_model *m = load(js, &w);
            tu_st_free(&w);
            int64_t dx[2] = {R, K};
            seqrt_tensor *x = ftensor(2, dx, &seed, 2.0f);
            char what[100];
            snprintf(what, sizeof what, "linear %s R=%d K=%d N=%d", r ? "onednn" : "qnnpack", R, K, N);
            compare(m, &x, 1, "SEQRT_ONEDNN_DOT", "auto", Q8_ATOL, Q8_RTOL, what);
            compare(m, &x, 1, "SEQRT_ONEDNN_DOT", "widen", Q8_ATOL, Q8_RTOL, what);
            seqrt_tensor_free(x);
            seqrt_model_free(m);
        }
}

/* ------------------------------------------------------------ bf16, f16 */

TestSuite(onednn_b16, .init = setup, .fini = teardown, .timeout = 600);

/* bf16 and f16 compute f32 from the rounded weights: the f32 bound, on
 * every engine (fused: the small-batch path on bf16 W_hh; odd H: the last
 * input of a pair alone). */
Test(onednn_b16, recurrent)
{
    static const char *const precs[] = {"bf16", "f16"};
    for (int p = 0; p < 2; p++) {
        q8_rec_case((q8_opts){"lstm", precs[p], 5, 33, 1, 0, 1, 0, 0, 0});
        q8_rec_case((q8_opts){"lstm", precs[p], 20, 64, 2, 1, 1, 0, 1, 1});
        q8_rec_case((q8_opts){"gru", precs[p], 17, 37, 1, 1, 0, 1, 1, 1});
        q8_rec_case((q8_opts){"rnn", precs[p], 9, 130, 1, 0, 1, 0, 1, 0});
    }
}

/* The other ops with weights on their widening: embedding -> linear, and
 * attention pooling over an lstm. */
Test(onednn_b16, other_ops)
{
    const char *js =
        "{\"format\": \"seqrt\", \"version\": 1.2, \"name\": \"b\", \"precision\": \"bf16\","
        " \"inputs\": [{\"name\": \"ids\", \"dtype\": \"int32\", \"shape\": [\"T\", \"B\"]}],"
        " \"layers\": [{\"op\": \"embedding\", \"name\": \"emb\", \"inputs\": {\"x\": \"ids\"},"
        " \"num_embeddings\": 50, \"embedding_dim\": 12},"
        " {\"op\": \"lstm\", \"name\": \"rnn\", \"inputs\": {\"x\": \"emb\"}, \"input_size\": 12, \"hidden_size\": 20},"
        " {\"op\": \"attention_pool\", \"name\": \"pool\", \"inputs\": {\"x\": \"rnn\"}, \"hidden\": 8,"
        " \"activation\": \"tanh\"},"
        " {\"op\": \"linear\", \"name\": \"fc\", \"inputs\": {\"x\": \"pool\"}, \"in_features\": 20,"
        " \"out_features\": 5}], \"outputs\": [\"fc\", \"rnn\"]}";
    tu_st w;
    tu_st_init(&w);
    uint32_t seed = 5u;
    tu_st_add2(&w, "emb.weight", 50, 12, &seed, 1.0f);
    tu_st_add2(&w, "rnn.weight_ih_l0", 80, 12, &seed, 0.3f);
    tu_st_add2(&w, "rnn.weight_hh_l0", 80, 20, &seed, 0.3f);
    tu_st_add2(&w, "rnn.bias_ih_l0", 80, 0, &seed, 0.3f);
    tu_st_add2(&w, "rnn.bias_hh_l0", 80, 0, &seed, 0.3f);
    tu_st_add2(&w, "pool.projection.0.weight", 8, 20, &seed, 0.5f);
    tu_st_add2(&w, "pool.projection.0.bias", 8, 0, &seed, 0.5f);
    tu_st_add2(&w, "pool.projection.2.weight", 1, 8, &seed, 0.5f);
    tu_st_add2(&w, "pool.projection.2.bias", 1, 0, &seed, 0.5f);
    tu_st_add2(&w, "fc.weight", 5, 20, &seed, 0.5f);
    tu_st_add2(&w, "fc.bias", 5, 0, &seed, 0.5f);
    seqrt_model *m = load(js, &w);
    tu_st_free(&w);
    int64_t d[2] = {7, 3};
    seqrt_tensor *ids;
    OK(seqrt_tensor_create(&ids, SEQRT_I32, 2, d));
    int32_t *p = seqrt_tensor_data(ids);
    for (int i = 0; i < 21; i++) p[i] = (i * 17 + 3) % 50;
    compare(m, &ids, 1, "SEQRT_ONEDNN_RNN", "auto", SQ_DEFAULT_ATOL, SQ_DEFAULT_RTOL, "embedding lstm pool linear bf16");
    compare(m, &ids, 1, "SEQRT_ONEDNN_RNN", "fused", SQ_DEFAULT_ATOL, SQ_DEFAULT_RTOL, "embedding lstm pool linear bf16");
    seqrt_tensor_free(ids);
    seqrt_model_free(m);
}

/* A streaming session computes each chunk as one call (quantization.md:
 * the parameters are per call, states carried): onednn's chunks against
 * the reference's streaming chunks, every output of every chunk. */
Test(onednn_int8, streaming_chunks)
{
    static const char *const ops[] = {"lstm", "gru"};
    for (int op = 0; op < 2; op++) {
        seqrt_model *m = q8_rec_model(&(q8_opts){ops[op], "onednn", 6, 40, 2, 0, 1, 0, 0, 0});
        const int64_t B = 3, I = 6;
        seqrt_session *ref = NULL, *dn = NULL;
        seqrt_session_options so = {.streaming = 1};
        OK(seqrt_session_create(&ref, m, device("reference"), &so));
        OK(seqrt_session_create(&dn, m, device("onednn"), &so));
        static const int64_t chunks[] = {4, 1, 3, 1};
        uint32_t seed = 31u;
        for (int c = 0; c < 4; c++) {
            int64_t dx[3] = {chunks[c], B, I};
            seqrt_tensor *x = ftensor(3, dx, &seed, 1.0f);
            OK(seqrt_session_run(ref, (const seqrt_tensor *const *)&x, 1));
            OK(seqrt_session_run(dn, (const seqrt_tensor *const *)&x, 1));
            for (size_t o = 0; o < seqrt_model_output_count(m); o++) {
                const seqrt_tensor *want, *got;
                OK(seqrt_session_output(ref, o, &want));
                OK(seqrt_session_output(dn, o, &got));
                sq_compare_result r;
                cr_expect(sq_compare(seqrt_tensor_data(got), seqrt_tensor_data(want), seqrt_tensor_count(want),
                                     Q8_ATOL, Q8_RTOL, &r),
                          "%s int8 streaming chunk %d output %s: %zu of %zu bad (max abs %g)", ops[op], c,
                          seqrt_model_output_name(m, o), r.failures, r.count, r.max_abs);
            }
            seqrt_tensor_free(x);
        }
        seqrt_session_free(ref);
        seqrt_session_free(dn);
        seqrt_model_free(m);
    }
}
