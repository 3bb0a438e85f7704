/*
 * The oneDNN backend against the reference backend on randomly weighted
 * models: every recurrent configuration (lstm with projection, peepholes,
 * coupled gates; gru with and without linear_before_reset; rnn tanh/relu;
 * bidirectional, stacked, initial states, batch_first, lengths with 0 and
 * T; the format 1.1 forms: reverse direction, clip, input_forget, every
 * gate function) under each recurrent engine (SEQRT_ONEDNN_RNN = loop, primitive, fused,
 * auto), two shapes per session (primitive caches, one-step runs),
 * streaming sessions, and the attention / pooling ops with NaN written in
 * the padded steps (which no op may read).
 *
 * The rule is the spec's: |x - ref| <= 1e-4 + 1e-3 |ref|, NaN where the
 * reference has NaN.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../conformance/compare.h"
#include "../../tests/test_util.h"
#include "seqrt.h"
#include "onednn_test_util.h"

static char g_dir[512];
static int g_model_no;

static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0); }
static void teardown(void) { tu_rmtree(g_dir); }

TestSuite(onednn_recurrent, .init = setup, .fini = teardown, .timeout = 600);
TestSuite(onednn_ops, .init = setup, .fini = teardown, .timeout = 600);
TestSuite(onednn_streaming, .init = setup, .fini = teardown, .timeout = 600);

/* ------------------------------------------------------------ fixtures */

static seqrt_model *load(const char *json, tu_st *w) { return dn_test_load(g_dir, &g_model_no, json, w); }
#define ftensor dn_test_ftensor

static seqrt_tensor *lengths_tensor(int64_t B, const int32_t *lens)
{
    seqrt_tensor *t;
    OK(seqrt_tensor_create(&t, SEQRT_I32, 1, &B));
    memcpy(seqrt_tensor_data(t), lens, sizeof(int32_t) * (size_t)B);
    return t;
}

/* NaN in the padded steps of a sequence tensor (no op may read them). */
static void poison(seqrt_tensor *x, int bf, const int32_t *lens)
{
    const int64_t T = seqrt_tensor_dim(x, bf ? 1 : 0), B = seqrt_tensor_dim(x, bf ? 0 : 1), F = seqrt_tensor_dim(x, 2);
    float *p = seqrt_tensor_data(x);
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = lens[b]; t < T; t++)
            for (int64_t f = 0; f < F; f++) p[(bf ? b * T + t : t * B + b) * F + f] = NAN;
}

/* Runs `m` on the reference and on onednn (under `mode`), compares every
 * output. */
static void compare_run(seqrt_model *m, seqrt_tensor **in, size_t nin, const char *mode, const char *what)
{
    seqrt_session *ref = NULL, *dn = NULL;
    OK(seqrt_session_create(&ref, m, device("reference"), NULL));
    /* "pairs": the small-batch path with the entry tiling of CPUs without
     * AVX-512 (entries two at a time) */
    /* "wx": auto, with the input projection reading W_ih from the model */
    const int pairs = !strcmp(mode, "pairs"), wx = !strcmp(mode, "wx");
    setenv("SEQRT_ONEDNN_RNN", pairs ? "fused" : wx ? "auto" : mode, 1);
    if (pairs) setenv("SEQRT_ONEDNN_SMALL_TILE", "2", 1);
    if (wx) setenv("SEQRT_ONEDNN_WX", "model", 1);
    OK(seqrt_session_create(&dn, m, device("onednn"), NULL));
    OK(seqrt_session_run(ref, (const seqrt_tensor *const *)in, nin));
    char what_mode[700];
    snprintf(what_mode, sizeof what_mode, "%s [%s]", what, mode);
    runs_match(ref, dn, m, in, nin, what_mode); /* the second run reuses the primitives */
    seqrt_session_free(ref);
    seqrt_session_free(dn);
    unsetenv("SEQRT_ONEDNN_RNN");
    unsetenv("SEQRT_ONEDNN_SMALL_TILE");
    unsetenv("SEQRT_ONEDNN_WX");
}

/* ------------------------------------------------------------ recurrent */

typedef struct rec_opts {
    const char *op;        /* lstm, gru, rnn */
    int I, H, nl, bidir, proj, peep, coupled, bias, lbr, relu, bf, h0, lengths;
    const char *v11;       /* format 1.1 attributes (JSON members), or NULL: a 1.0 model */
} rec_opts;

static void rec_weights(const rec_opts *o, tu_st *w, uint32_t *seed)
{
    const int G = o->op[0] == 'l' ? 4 : o->op[0] == 'g' ? 3 : 1, D = o->bidir ? 2 : 1;
    const int Ho = o->proj ? o->proj : o->H;
    char n[128];
    for (int k = 0; k < o->nl; k++)
        for (int d = 0; d < D; d++) {
            const char *s = d ? "_reverse" : "";
            int64_t in = k ? D * Ho : o->I;
            snprintf(n, sizeof n, "rnn.weight_ih_l%d%s", k, s);
            tu_st_add2(w, n, (int64_t)G * o->H, in, seed, 0.4f);
            snprintf(n, sizeof n, "rnn.weight_hh_l%d%s", k, s);
            tu_st_add2(w, n, (int64_t)G * o->H, Ho, seed, 0.4f);
            if (o->bias) {
                snprintf(n, sizeof n, "rnn.bias_ih_l%d%s", k, s);
                tu_st_add2(w, n, (int64_t)G * o->H, 0, seed, 0.4f);
                snprintf(n, sizeof n, "rnn.bias_hh_l%d%s", k, s);
                tu_st_add2(w, n, (int64_t)G * o->H, 0, seed, 0.4f);
            }
            if (o->proj) {
                snprintf(n, sizeof n, "rnn.weight_hr_l%d%s", k, s);
                tu_st_add2(w, n, o->proj, o->H, seed, 0.4f);
            }
            if (o->peep)
                for (int p = 0; p < 3; p++) {
                    /* coupled: p_i is read by the loader but ignored by the cell */
                    snprintf(n, sizeof n, "rnn.weight_p%c_l%d%s", "ifo"[p], k, s);
                    tu_st_add2(w, n, o->H, 0, seed, 0.4f);
                }
        }
}

static seqrt_model *rec_model(const rec_opts *o)
{
    const int D = o->bidir ? 2 : 1, Ho = o->proj ? o->proj : o->H, lstm = o->op[0] == 'l';
    char js[4096], extra[1024] = "", ins[512] = "", inl[256] = "";
    if (lstm)
        snprintf(extra, sizeof extra, ", \"proj_size\": %d, \"peephole\": %s, \"coupled\": %s", o->proj,
                 o->peep ? "true" : "false", o->coupled ? "true" : "false");
    else if (o->op[0] == 'g')
        snprintf(extra, sizeof extra, ", \"linear_before_reset\": %s", o->lbr ? "true" : "false");
    else if (!o->v11 || !strstr(o->v11, "activations")) /* rnn: one or the other */
        snprintf(extra, sizeof extra, ", \"nonlinearity\": \"%s\"", o->relu ? "relu" : "tanh");
    if (o->v11) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", %s", o->v11);
    if (o->h0) {
        snprintf(ins + strlen(ins), sizeof ins - strlen(ins),
                 ", {\"name\": \"h0\", \"dtype\": \"float32\", \"shape\": [%d, \"B\", %d]}", o->nl * D, Ho);
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
             "{\"format\": \"seqrt\", \"version\": %s, \"name\": \"r\", \"batch_first\": %s,"
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": %s}%s],"
             " \"layers\": [{\"op\": \"%s\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\"%s},"
             " \"input_size\": %d, \"hidden_size\": %d, \"num_layers\": %d, \"bidirectional\": %s, \"bias\": %s%s}],"
             " \"outputs\": [\"rnn\", \"rnn:h_n\"%s]}",
             o->v11 ? "1.1" : "1", o->bf ? "true" : "false", o->bf ? "[\"B\", \"T\", %d]" : "[\"T\", \"B\", %d]", ins, o->op, inl, o->I,
             o->H, o->nl, o->bidir ? "true" : "false", o->bias ? "true" : "false", extra, lstm ? ", \"rnn:c_n\"" : "");
    /* the shape literal holds %d for I */
    char js2[4096];
    snprintf(js2, sizeof js2, js, o->I);
    tu_st w;
    tu_st_init(&w);
    uint32_t seed = 12345u + (uint32_t)g_model_no * 77u;
    rec_weights(o, &w, &seed);
    seqrt_model *m = load(js2, &w);
    tu_st_free(&w);
    return m;
}

/* Inputs for shape (T, B): x, [h0, c0], [lengths]. */
static size_t rec_inputs(const rec_opts *o, int64_t T, int64_t B, const int32_t *lens, seqrt_tensor **in)
{
    const int D = o->bidir ? 2 : 1, Ho = o->proj ? o->proj : o->H;
    uint32_t seed = 999u + (uint32_t)(T * 31 + B);
    size_t n = 0;
    int64_t dx[3] = {o->bf ? B : T, o->bf ? T : B, o->I};
    in[n++] = ftensor(3, dx, &seed, 1.0f);
    if (o->h0) {
        int64_t dh[3] = {(int64_t)o->nl * D, B, Ho}, dc[3] = {(int64_t)o->nl * D, B, o->H};
        in[n++] = ftensor(3, dh, &seed, 0.8f);
        if (o->op[0] == 'l') in[n++] = ftensor(3, dc, &seed, 0.8f);
    }
    if (o->lengths) {
        poison(in[0], o->bf, lens);
        in[n++] = lengths_tensor(B, lens);
    }
    return n;
}

static void rec_case(rec_opts o)
{
    char what[512];
    snprintf(what, sizeof what,
             "%s I=%d H=%d nl=%d bidir=%d proj=%d peep=%d coupled=%d bias=%d lbr=%d relu=%d bf=%d h0=%d lengths=%d%s%s",
             o.op, o.I, o.H, o.nl, o.bidir, o.proj, o.peep, o.coupled, o.bias, o.lbr, o.relu, o.bf, o.h0, o.lengths,
             o.v11 ? " " : "", o.v11 ? o.v11 : "");
    seqrt_model *m = rec_model(&o);
    static const int32_t lens5[5] = {6, 0, 3, 6, 1}, lens3[3] = {1, 1, 1}, lens2[2] = {2, 5};
    static const struct { int64_t T, B; const int32_t *lens; } shapes[] = {{6, 5, lens5}, {1, 3, lens3}, {5, 2, lens2}};
    static const char *modes[] = {"loop", "primitive", "auto", "fused", "pairs", "wx"};
    for (size_t sh = 0; sh < 3; sh++)
        for (int md = 0; md < 6; md++) {
            seqrt_tensor *in[4];
            size_t n = rec_inputs(&o, shapes[sh].T, shapes[sh].B, shapes[sh].lens, in);
            char w2[600];
            snprintf(w2, sizeof w2, "%s T=%lld B=%lld", what, (long long)shapes[sh].T, (long long)shapes[sh].B);
            compare_run(m, in, n, modes[md], w2);
            for (size_t i = 0; i < n; i++) seqrt_tensor_free(in[i]);
        }
    seqrt_model_free(m);
}

Test(onednn_recurrent, lstm_every_option)
{
    for (int v = 0; v < 64; v++) {
        rec_opts o = {"lstm", 5, 7, 1 + (v & 1), (v >> 1) & 1, (v >> 2) & 1 ? 3 : 0, (v >> 3) & 1, (v >> 4) & 1,
                      1, 0, 0, (v >> 5) & 1, (v % 3) != 0, (v % 5) != 0};
        o.bias = (v % 7) != 3;
        rec_case(o);
    }
}

Test(onednn_recurrent, gru_rnn_every_option)
{
    for (int v = 0; v < 32; v++) {
        rec_opts g = {"gru", 4, 6, 1 + (v & 1), (v >> 1) & 1, 0, 0, 0, (v % 7) != 3, (v >> 2) & 1, 0, (v >> 3) & 1,
                      (v >> 4) & 1, (v % 3) != 0};
        rec_case(g);
        rec_opts r = {"rnn", 4, 6, 1 + (v & 1), (v >> 1) & 1, 0, 0, 0, (v % 7) != 3, 0, (v >> 2) & 1, (v >> 3) & 1,
                      (v >> 4) & 1, (v % 3) != 0};
        rec_case(r);
    }
}

Test(onednn_recurrent, wide_layers)
{
    /* hidden sizes off the vector width, and steps wide enough for threaded cells */
    rec_opts a = {"lstm", 33, 130, 2, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1};
    rec_case(a);
    rec_opts b = {"gru", 70, 129, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1};
    rec_case(b);
    rec_opts c = {"lstm", 64, 96, 1, 0, 40, 0, 0, 1, 0, 0, 0, 0, 0};
    rec_case(c);
}

/* Format 1.1: direction "reverse" (with lengths, initial states, stacks,
 * projection), clip, input_forget, and every gate function with its
 * parameters given or defaulted, one list for both directions or one per
 * direction — each under every engine mode (the driver moves what the
 * primitive cannot compute to the loop engine). */
Test(onednn_recurrent, format_1_1)
{
    static const char *lstm_forms[] = {
        "\"direction\": \"reverse\"",
        "\"clip\": 0.4",
        "\"input_forget\": true",
        "\"direction\": \"reverse\", \"input_forget\": true, \"clip\": 0.7",
        "\"activations\": [\"hardsigmoid\", \"leakyrelu\", \"softsign\"], \"activation_alpha\": [0.3, 0.05],"
        " \"activation_beta\": [0.45]",
        "\"activations\": [\"Sigmoid\", \"ScaledTanh\", \"Elu\"], \"activation_alpha\": [1.5, 0.8],"
        " \"activation_beta\": [0.7], \"clip\": 1.2",
        "\"activations\": [\"sigmoid\", \"softplus\", \"tanh\", \"hardsigmoid\", \"tanh\", \"affine\"],"
        " \"activation_alpha\": [0.25, 0.5], \"activation_beta\": [0.5, 0.1]",
    };
    for (size_t f = 0; f < sizeof lstm_forms / sizeof *lstm_forms; f++)
        for (int v = 0; v < 4; v++) {
            const int per_dir = strstr(lstm_forms[f], "affine") != NULL, rev = strstr(lstm_forms[f], "reverse") != NULL;
            /* v: 0 plain; 1 peephole, lengths, h0, stacked; 2 projection, batch-first; 3 wide, bidirectional */
            rec_opts o = {"lstm", 5, v == 3 ? 37 : 7, 1 + (v == 1), per_dir || (v == 3 && !rev), v == 2 ? 3 : 0,
                          v == 1, 0, v != 2, 0, 0, v == 2, v >= 1, v == 1 || v == 3, lstm_forms[f]};
            rec_case(o);
        }
    static const char *gru_forms[] = {
        "\"direction\": \"reverse\"",
        "\"clip\": 0.5",
        "\"activations\": [\"hardsigmoid\", \"softsign\"], \"direction\": \"reverse\", \"clip\": 2.0",
        "\"activations\": [\"sigmoid\", \"relu\", \"hardsigmoid\", \"elu\"], \"activation_alpha\": [0.3, 0.5],"
        " \"activation_beta\": [0.6]",
    };
    for (size_t f = 0; f < sizeof gru_forms / sizeof *gru_forms; f++)
        for (int v = 0; v < 4; v++) {
            const int per_dir = strstr(gru_forms[f], "elu") != NULL;
            rec_opts o = {"gru", 4, 6, 1 + (v & 1), per_dir, 0, 0, 0, 1, v >> 1, 0, v == 2, v & 1, v != 0, gru_forms[f]};
            rec_case(o);
        }
    static const char *rnn_forms[] = {
        "\"direction\": \"reverse\"",
        "\"clip\": 0.3",
        "\"activations\": [\"relu\"]",
        "\"activations\": [\"sigmoid\"], \"direction\": \"reverse\"",
        "\"activations\": [\"affine\"], \"activation_alpha\": [0.7], \"activation_beta\": [-0.2]",
        "\"activations\": [\"affine\"]",
        "\"activations\": [\"leakyrelu\"], \"activation_alpha\": [0.2]",
        "\"activations\": [\"thresholdedrelu\"], \"activation_alpha\": [0.15]",
        "\"activations\": [\"scaledtanh\"], \"activation_alpha\": [1.3], \"activation_beta\": [0.6]",
        "\"activations\": [\"hardsigmoid\"]",
        "\"activations\": [\"elu\"], \"clip\": 0.9",
        "\"activations\": [\"softsign\", \"softplus\"], \"direction\": \"bidirectional\"",
        "\"activations\": [\"Tanh\"], \"clip\": 0.25, \"direction\": \"bidirectional\"",
    };
    for (size_t f = 0; f < sizeof rnn_forms / sizeof *rnn_forms; f++)
        for (int v = 0; v < 2; v++) {
            const int bi = strstr(rnn_forms[f], "bidirectional") != NULL;
            rec_opts o = {"rnn", 4, 6, 1 + v, bi, 0, 0, 0, 1, 0, 0, v, v, 1, rnn_forms[f]};
            rec_case(o);
        }
}

/* ------------------------------------------------------------ streaming */

static void stream_case(rec_opts o)
{
    seqrt_model *m = rec_model(&o);
    const int64_t T = 9, B = 3;
    seqrt_tensor *in[3];
    size_t n = rec_inputs(&o, T, B, NULL, in);
    seqrt_session *ref = NULL;
    OK(seqrt_session_create(&ref, m, device("reference"), NULL));
    OK(seqrt_session_run(ref, (const seqrt_tensor *const *)in, n));
    static const char *modes[] = {"loop", "primitive", "auto", "fused"};
    for (int md = 0; md < 4; md++) {
        setenv("SEQRT_ONEDNN_RNN", modes[md], 1);
        seqrt_session *s = NULL;
        seqrt_session_options so = {.streaming = 1};
        OK(seqrt_session_create(&s, m, device("onednn"), &so));
        static const int64_t chunks[] = {4, 1, 3, 1};
        int64_t t0 = 0;
        for (int c = 0; c < 4; c++) {
            const int64_t len = chunks[c];
            int64_t dx[3] = {len, B, o.I};
            seqrt_tensor *xc;
            OK(seqrt_tensor_create(&xc, SEQRT_F32, 3, dx));
            memcpy(seqrt_tensor_data(xc), (float *)seqrt_tensor_data(in[0]) + t0 * B * o.I,
                   sizeof(float) * (size_t)(len * B * o.I));
            seqrt_tensor *ci[3] = {xc, n > 1 ? in[1] : NULL, n > 2 ? in[2] : NULL};
            OK(seqrt_session_run(s, (const seqrt_tensor *const *)ci, n));
            const seqrt_tensor *got, *want;
            OK(seqrt_session_output(s, 0, &got));
            OK(seqrt_session_output(ref, 0, &want));
            const int64_t F = seqrt_tensor_dim(want, 2);
            sq_compare_result r;
            int ok = sq_compare(seqrt_tensor_data(got), (const float *)seqrt_tensor_data(want) + t0 * B * F,
                                (size_t)(len * B * F), SQ_DEFAULT_ATOL, SQ_DEFAULT_RTOL, &r);
            cr_expect(ok, "%s streaming [%s] chunk %d: %zu bad (got %g want %g)", o.op, modes[md], c, r.failures,
                      r.got_bad, r.ref_bad);
            seqrt_tensor_free(xc);
            t0 += len;
        }
        for (size_t k = 1; k < seqrt_model_output_count(m); k++) { /* final states */
            const seqrt_tensor *got, *want;
            OK(seqrt_session_output(s, k, &got));
            OK(seqrt_session_output(ref, k, &want));
            sq_compare_result r;
            cr_expect(sq_compare(seqrt_tensor_data(got), seqrt_tensor_data(want), seqrt_tensor_count(want),
                                 SQ_DEFAULT_ATOL, SQ_DEFAULT_RTOL, &r),
                      "%s streaming [%s]: final state %zu", o.op, modes[md], k);
        }
        seqrt_session_free(s);
    }
    unsetenv("SEQRT_ONEDNN_RNN");
    for (size_t i = 0; i < n; i++) seqrt_tensor_free(in[i]);
    seqrt_session_free(ref);
    seqrt_model_free(m);
}

Test(onednn_streaming, recurrent_chunks)
{
    stream_case((rec_opts){"lstm", 5, 7, 2, 0, 3, 1, 0, 1, 0, 0, 0, 1, 0});
    stream_case((rec_opts){"lstm", 5, 7, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0});
    stream_case((rec_opts){"gru", 5, 7, 2, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0});
    stream_case((rec_opts){"gru", 5, 7, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0});
    stream_case((rec_opts){"rnn", 5, 7, 2, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0});
}

/* Format 1.1 forward layers (a streaming session refuses reverse ones). */
Test(onednn_streaming, format_1_1_chunks)
{
    stream_case((rec_opts){"lstm", 5, 7, 2, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, "\"clip\": 0.5, \"input_forget\": true"});
    stream_case((rec_opts){"gru", 5, 7, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0,
                           "\"activations\": [\"hardsigmoid\", \"softsign\"], \"clip\": 1.5"});
    stream_case((rec_opts){"rnn", 5, 7, 2, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, "\"activations\": [\"elu\"]"});
}

/* ------------------------------------------------------------ other ops */

/* A model over a sequence input x [T, B, F] (or batch-first), lengths, and
 * an optional second sequence y [Tk, B, G]; `layers` and `outputs` are
 * JSON text; weights from `w`. */
static void ops_case(const char *layers, const char *outputs, int bf, int F, int G, int Tk, tu_st *w,
                     const char *what)
{
    char js[8192];
    snprintf(js, sizeof js,
             "{\"format\": \"seqrt\", \"version\": 1, \"name\": \"o\", \"batch_first\": %s, \"inputs\": ["
             "{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": %s},"
             "{\"name\": \"y\", \"dtype\": \"float32\", \"shape\": %s},"
             "{\"name\": \"q\", \"dtype\": \"float32\", \"shape\": [\"B\", %d]},"
             "{\"name\": \"lengths\", \"dtype\": \"int32\", \"shape\": [\"B\"]}],"
             " \"layers\": [%s], \"outputs\": [%s]}",
             bf ? "true" : "false", bf ? "[\"B\", \"T\", 8]" : "[\"T\", \"B\", 8]",
             bf ? "[\"B\", \"K\", 6]" : "[\"K\", \"B\", 6]", F, layers, outputs);
    (void)G;
    seqrt_model *m = load(js, w);
    static const int32_t lens[4] = {5, 0, 2, 5}, lensk[4] = {3, 0, 7, 1};
    const int64_t T = 5, B = 4;
    uint32_t seed = 4242u;
    int64_t dx[3] = {bf ? B : T, bf ? T : B, 8}, dy[3] = {bf ? B : Tk, bf ? Tk : B, 6}, dq[2] = {B, F};
    seqrt_tensor *in[4] = {ftensor(3, dx, &seed, 1.0f), ftensor(3, dy, &seed, 1.0f), ftensor(2, dq, &seed, 1.0f),
                           NULL};
    /* the lengths count steps of whichever sequence the op pools over */
    const int32_t *L = strstr(what, "keys=y") ? lensk : lens;
    in[3] = lengths_tensor(B, L);
    if (strstr(what, "keys=y")) poison(in[1], bf, lensk);
    else poison(in[0], bf, lens);
    compare_run(m, in, 4, "auto", what);
    for (int i = 0; i < 4; i++) seqrt_tensor_free(in[i]);
    seqrt_model_free(m);
}

/* Named random weights (cols 0: a vector), drawn in order from `seed`. */
typedef struct wspec {
    const char *name;
    int64_t rows, cols;
} wspec;

static void add_weights(tu_st *w, uint32_t seed, const wspec *ws, size_t n)
{
    tu_st_init(w);
    for (size_t i = 0; i < n; i++) tu_st_add2(w, ws[i].name, ws[i].rows, ws[i].cols, &seed, 0.5f);
}

Test(onednn_ops, attention_variants)
{
    static const char *scores[] = {"dot", "scaled_dot", "general", "additive"};
    for (int bf = 0; bf < 2; bf++)
        for (int sc = 0; sc < 4; sc++)
            for (int vecq = 0; vecq < 2; vecq++) {
                /* query: x (Hq 8) or q (Hq 6 for dot: must match Hk 6) ; keys y (6) */
                char layers[1024], what[128];
                const char *query = vecq ? "q" : "xp";
                snprintf(layers, sizeof layers,
                         "{\"op\": \"linear\", \"name\": \"xp\", \"inputs\": {\"x\": \"x\"}, \"in_features\": 8,"
                         " \"out_features\": 6},"
                         "{\"op\": \"attention\", \"name\": \"att\", \"inputs\": {\"query\": \"%s\", \"keys\": \"y\","
                         " \"lengths\": \"lengths\"}, \"score\": \"%s\"%s}",
                         query, scores[sc], sc == 3 ? ", \"attention_size\": 5" : "");
                tu_st w;
                tu_st_init(&w);
                uint32_t seed = 7u;
                tu_st_add2(&w, "xp.weight", 6, 8, &seed, 0.5f);
                tu_st_add2(&w, "xp.bias", 6, 0, &seed, 0.5f);
                if (sc == 2) tu_st_add2(&w, "att.weight", 6, 6, &seed, 0.5f);
                if (sc == 3) {
                    tu_st_add2(&w, "att.query.weight", 5, 6, &seed, 0.5f);
                    tu_st_add2(&w, "att.key.weight", 5, 6, &seed, 0.5f);
                    tu_st_add2(&w, "att.key.bias", 5, 0, &seed, 0.5f);
                    tu_st_add2(&w, "att.v.weight", 1, 5, &seed, 0.5f);
                }
                snprintf(what, sizeof what, "attention %s vecq=%d bf=%d keys=y", scores[sc], vecq, bf);
                ops_case(layers, "\"att\", \"att:weights\"", bf, 6, 6, 7, &w, what);
                tu_st_free(&w);
            }
}

Test(onednn_ops, mha_pool_misc)
{
    for (int bf = 0; bf < 2; bf++)
        for (int v = 0; v < 4; v++) {
            const int causal = v & 1, cross = v >> 1;
            if (causal && cross) continue; /* causal needs Tk == Tq */
            char layers[2048], what[128];
            snprintf(layers, sizeof layers,
                     "{\"op\": \"linear\", \"name\": \"yp\", \"inputs\": {\"x\": \"y\"}, \"in_features\": 6,"
                     " \"out_features\": 8},"
                     "{\"op\": \"multihead_attention\", \"name\": \"mha\", \"inputs\": {\"query\": \"x\"%s,"
                     " \"lengths\": \"lengths\"}, \"embed_dim\": 8, \"num_heads\": 2, \"causal\": %s}",
                     cross ? ", \"key\": \"yp\", \"value\": \"yp\"" : "", causal ? "true" : "false");
            static const wspec mw[] = {{.name = "yp.weight", .rows = 8, .cols = 6},
                                       {.name = "yp.bias", .rows = 8},
                                       {.name = "mha.in_proj_weight", .rows = 24, .cols = 8},
                                       {.name = "mha.in_proj_bias", .rows = 24},
                                       {.name = "mha.out_proj.weight", .rows = 8, .cols = 8},
                                       {.name = "mha.out_proj.bias", .rows = 8}};
            tu_st w;
            add_weights(&w, 11u, mw, sizeof mw / sizeof *mw);
            snprintf(what, sizeof what, "mha causal=%d cross=%d bf=%d%s", causal, cross, bf, cross ? " keys=y" : "");
            ops_case(layers, "\"mha\", \"mha:weights\"", bf, 6, 6, 7, &w, what);
            tu_st_free(&w);
        }
    for (int bf = 0; bf < 2; bf++) {
        static const char *acts[] = {"relu", "tanh", "sigmoid", "gelu"};
        for (int a = 0; a < 4; a++) {
            char layers[2048], what[128];
            snprintf(layers, sizeof layers,
                     "{\"op\": \"attention_pool\", \"name\": \"ap\", \"inputs\": {\"x\": \"x\", \"lengths\": \"lengths\"},"
                     " \"hidden\": 5, \"activation\": \"%s\"},"
                     "{\"op\": \"mean_pool\", \"name\": \"mp\", \"inputs\": {\"x\": \"x\", \"lengths\": \"lengths\"}},"
                     "{\"op\": \"last_step\", \"name\": \"ls\", \"inputs\": {\"x\": \"x\", \"lengths\": \"lengths\"}},"
                     "{\"op\": \"activation\", \"name\": \"act\", \"inputs\": {\"x\": \"ap\"}, \"function\": \"%s\"},"
                     "{\"op\": \"concat\", \"name\": \"cat\", \"inputs\": {\"x\": [\"ap\", \"mp\", \"ls\"]}, \"axis\": 0},"
                     "{\"op\": \"concat\", \"name\": \"cat2\", \"inputs\": {\"x\": [\"act\", \"mp\"]}},"
                     "{\"op\": \"softmax\", \"name\": \"sm\", \"inputs\": {\"x\": \"cat\"}, \"axis\": 0},"
                     "{\"op\": \"log_softmax\", \"name\": \"lsm\", \"inputs\": {\"x\": \"cat2\"}},"
                     "{\"op\": \"select\", \"name\": \"sel\", \"inputs\": {\"x\": \"cat\"}, \"axis\": 1, \"index\": -2},"
                     "{\"op\": \"add\", \"name\": \"ad\", \"inputs\": {\"a\": \"mp\", \"b\": \"ls\"}},"
                     "{\"op\": \"mul\", \"name\": \"mu\", \"inputs\": {\"a\": \"mp\", \"b\": \"ap\"}}",
                     acts[a], acts[a]);
            static const wspec pw[] = {{.name = "ap.projection.0.weight", .rows = 5, .cols = 8},
                                       {.name = "ap.projection.0.bias", .rows = 5},
                                       {.name = "ap.projection.2.weight", .rows = 1, .cols = 5},
                                       {.name = "ap.projection.2.bias", .rows = 1}};
            tu_st w;
            add_weights(&w, 13u, pw, sizeof pw / sizeof *pw);
            snprintf(what, sizeof what, "pools %s bf=%d", acts[a], bf);
            ops_case(layers, "\"ap\", \"ap:weights\", \"sm\", \"lsm\", \"sel\", \"ad\", \"mu\"", bf, 6, 6, 7, &w,
                     what);
            tu_st_free(&w);
        }
    }
}
