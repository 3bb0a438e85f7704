/*
 * The oneDNN recurrent engines' chunks of time (the loop engine's,
 * dnnl_rnn_loop.c, and the primitive's, dnnl_rnn_prim.c; issue 15) against
 * the reference backend: sequences of several chunks (SEQRT_ONEDNN_CHUNK
 * forces a short chunk; the derived one at a long T), for lstm / gru / rnn,
 * bidirectional, reverse (format 1.1), ragged lengths, peepholes,
 * projection, batch-first, with the sequence output used and with h_n /
 * c_n the only outputs (the sequence is then unused: the engine writes
 * none), under every recurrent engine mode; and a bad SEQRT_ONEDNN_CHUNK
 * refused naming it.
 *
 * The rule is the spec's: |x - ref| <= 1e-4 + 1e-3 |ref|.
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
static int g_model_no;

static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0); }
static void teardown(void)
{
    tu_rmtree(g_dir);
    unsetenv("SEQRT_ONEDNN_CHUNK");
    unsetenv("SEQRT_ONEDNN_RNN");
}

TestSuite(onednn_chunks, .init = setup, .fini = teardown, .timeout = 600);

/* One recurrent layer's configuration. */
typedef struct cfg {
    const char *op;        /* lstm, gru, rnn */
    int nl, bidir, proj, peep, bf, lengths;
    const char *extra;     /* more attributes (JSON members), or "" */
    int v11;               /* a format 1.1 description */
} cfg;

enum { I = 5, H = 7 };

static int gates(const cfg *c) { return c->op[0] == 'l' ? 4 : c->op[0] == 'g' ? 3 : 1; }

/* The model of `c` whose outputs are the sequence and the states (hn_only:
 * the states alone). */
static seqrt_model *model(const cfg *c, int hn_only)
{
    const int D = c->bidir ? 2 : 1, G = gates(c), Ho = c->proj ? c->proj : H, lstm = c->op[0] == 'l';
    char js[4096], attrs[512] = "";
    if (lstm)
        snprintf(attrs, sizeof attrs, ", \"proj_size\": %d, \"peephole\": %s", c->proj, c->peep ? "true" : "false");
    snprintf(js, sizeof js,
             "{\"format\": \"seqrt\", \"version\": %s, \"name\": \"c\", \"batch_first\": %s,"
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": %s}%s],"
             " \"layers\": [{\"op\": \"%s\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\"%s},"
             " \"input_size\": %d, \"hidden_size\": %d, \"num_layers\": %d, \"bidirectional\": %s%s%s}],"
             " \"outputs\": [%s\"rnn:h_n\"%s]}",
             c->v11 ? "1.1" : "1", c->bf ? "true" : "false", c->bf ? "[\"B\", \"T\", 5]" : "[\"T\", \"B\", 5]",
             c->lengths ? ", {\"name\": \"lengths\", \"dtype\": \"int32\", \"shape\": [\"B\"]}" : "", c->op,
             c->lengths ? ", \"lengths\": \"lengths\"" : "", I, H, c->nl, c->bidir ? "true" : "false", attrs,
             c->extra, hn_only ? "" : "\"rnn\", ", lstm ? ", \"rnn:c_n\"" : "");
    tu_st w;
    tu_st_init(&w);
    uint32_t seed = 4242u + (uint32_t)g_model_no * 13u;
    char n[128];
    for (int k = 0; k < c->nl; k++)
        for (int d = 0; d < D; d++) {
            const char *s = d ? "_reverse" : "";
            snprintf(n, sizeof n, "rnn.weight_ih_l%d%s", k, s);
            tu_st_add2(&w, n, (int64_t)G * H, k ? D * Ho : I, &seed, 0.4f);
            snprintf(n, sizeof n, "rnn.weight_hh_l%d%s", k, s);
            tu_st_add2(&w, n, (int64_t)G * H, Ho, &seed, 0.4f);
            snprintf(n, sizeof n, "rnn.bias_ih_l%d%s", k, s);
            tu_st_add2(&w, n, (int64_t)G * H, 0, &seed, 0.4f);
            snprintf(n, sizeof n, "rnn.bias_hh_l%d%s", k, s);
            tu_st_add2(&w, n, (int64_t)G * H, 0, &seed, 0.4f);
            if (c->proj) {
                snprintf(n, sizeof n, "rnn.weight_hr_l%d%s", k, s);
                tu_st_add2(&w, n, c->proj, H, &seed, 0.4f);
            }
            for (int p = 0; c->peep && p < 3; p++) {
                snprintf(n, sizeof n, "rnn.weight_p%c_l%d%s", "ifo"[p], k, s);
                tu_st_add2(&w, n, H, 0, &seed, 0.4f);
            }
        }
    char jp[1024], wp[1024];
    const int no = g_model_no++;
    snprintf(jp, sizeof jp, "%s/m%d.json", g_dir, no);
    snprintf(wp, sizeof wp, "%s/m%d.safetensors", g_dir, no);
    cr_assert_eq(tu_write(jp, js, strlen(js)), 0);
    cr_assert_eq(tu_st_write(&w, wp), 0);
    tu_st_free(&w);
    seqrt_model *m = NULL;
    OK(seqrt_model_load(&m, jp, NULL));
    return m;
}

/* Runs `m` over T steps of B entries on the reference and on onednn
 * (engine mode `mode`, SEQRT_ONEDNN_CHUNK `chunk` or unset: NULL) and
 * compares every output, twice (the second run reuses what the first made). */
static void compare(seqrt_model *m, const cfg *c, int64_t T, int64_t B, const char *mode, const char *chunk)
{
    seqrt_tensor *in[2];
    size_t nin = 0;
    int64_t dx[3] = {c->bf ? B : T, c->bf ? T : B, I};
    OK(seqrt_tensor_create(&in[nin], SEQRT_F32, 3, dx));
    uint32_t seed = 77u + (uint32_t)T;
    float *x = seqrt_tensor_data(in[nin]);
    for (size_t i = 0; i < seqrt_tensor_count(in[nin]); i++) x[i] = tu_rand(&seed, 1.0f);
    nin++;
    if (c->lengths) { /* 0, T, and lengths ending inside and at the edge of chunks */
        OK(seqrt_tensor_create(&in[nin], SEQRT_I32, 1, &B));
        int32_t *len = seqrt_tensor_data(in[nin]);
        for (int64_t b = 0; b < B; b++) len[b] = (int32_t)(b == 0 ? T : b == 1 ? 0 : (T * b) / B + (b & 1));
        nin++;
    }
    seqrt_session *ref = NULL, *dn = NULL;
    OK(seqrt_session_create(&ref, m, device("reference"), NULL));
    setenv("SEQRT_ONEDNN_RNN", mode, 1);
    if (chunk) setenv("SEQRT_ONEDNN_CHUNK", chunk, 1);
    else unsetenv("SEQRT_ONEDNN_CHUNK");
    OK(seqrt_session_create(&dn, m, device("onednn"), NULL));
    OK(seqrt_session_run(ref, (const seqrt_tensor *const *)in, nin));
    char what[512];
    snprintf(what, sizeof what, "%s nl=%d bidir=%d proj=%d peep=%d bf=%d lengths=%d %s T=%lld B=%lld [%s, chunk %s]",
             c->op, c->nl, c->bidir, c->proj, c->peep, c->bf, c->lengths, c->extra, (long long)T, (long long)B, mode,
             chunk ? chunk : "derived");
    runs_match(ref, dn, m, in, nin, what);
    seqrt_session_free(ref);
    seqrt_session_free(dn);
    for (size_t i = 0; i < nin; i++) seqrt_tensor_free(in[i]);
}

static const cfg g_cfgs[] = {
    {.op = "lstm", .nl = 1, .extra = ""},
    {.op = "lstm", .nl = 1, .bidir = 1, .peep = 1, .lengths = 1, .extra = ""},
    {.op = "lstm", .nl = 2, .proj = 3, .bf = 1, .lengths = 1, .extra = ""},
    {.op = "lstm", .nl = 1, .lengths = 1, .extra = ", \"direction\": \"reverse\"", .v11 = 1},
    {.op = "lstm", .nl = 1, .bf = 1, .extra = ", \"direction\": \"reverse\", \"clip\": 0.6", .v11 = 1},
    {.op = "gru", .nl = 1, .bidir = 1, .lengths = 1, .extra = ", \"linear_before_reset\": true"},
    {.op = "gru", .nl = 2, .bf = 1, .extra = ""},
    {.op = "gru", .nl = 1, .lengths = 1, .extra = ", \"direction\": \"reverse\", \"linear_before_reset\": true",
     .v11 = 1},
    {.op = "rnn", .nl = 1, .bidir = 1, .bf = 1, .lengths = 1, .extra = ", \"nonlinearity\": \"relu\""},
    {.op = "rnn", .nl = 1, .extra = ", \"activations\": [\"softsign\"], \"direction\": \"reverse\"", .v11 = 1},
    /* the primitive's chunks (one direction, every entry T steps): a
     * stack with projection and peepholes, and a reverse stack */
    {.op = "lstm", .nl = 2, .proj = 3, .peep = 1, .extra = ""},
    {.op = "lstm", .nl = 2, .bf = 1, .extra = ", \"direction\": \"reverse\"", .v11 = 1},
    {.op = "gru", .nl = 1, .extra = ", \"direction\": \"reverse\", \"linear_before_reset\": true", .v11 = 1},
};
static const char *g_modes[] = {"loop", "fused", "auto", "primitive"};

/* Every configuration over 11 steps in chunks of 3 and of 4 (a short last
 * chunk), with the sequence output used and with the states alone. */
Test(onednn_chunks, several_chunks)
{
    for (size_t i = 0; i < sizeof g_cfgs / sizeof *g_cfgs; i++)
        for (int hn_only = 0; hn_only < 2; hn_only++) {
            seqrt_model *m = model(&g_cfgs[i], hn_only);
            for (size_t md = 0; md < sizeof g_modes / sizeof *g_modes; md++) {
                compare(m, &g_cfgs[i], 11, 5, g_modes[md], "3");
                compare(m, &g_cfgs[i], 11, 2, g_modes[md], "4");
            }
            seqrt_model_free(m);
        }
}

/* A chunk of one step, and one as long as the sequence or longer. */
Test(onednn_chunks, edge_chunk_lengths)
{
    static const char *chunks[] = {"1", "11", "1000"};
    for (size_t i = 0; i < sizeof g_cfgs / sizeof *g_cfgs; i += 3) {
        seqrt_model *m = model(&g_cfgs[i], i & 1);
        for (size_t k = 0; k < 3; k++) compare(m, &g_cfgs[i], 11, 3, "auto", chunks[k]);
        seqrt_model_free(m);
    }
}

/* The derived chunk at a long sequence (at least 256 rows a chunk: several
 * chunks at T = 700, B = 2), h_n only and with the sequence. */
Test(onednn_chunks, derived_chunk_long_sequence)
{
    for (size_t i = 0; i < 3; i++) {
        const cfg *c = &g_cfgs[i == 2 ? 5 : i];
        for (int hn_only = 0; hn_only < 2; hn_only++) {
            seqrt_model *m = model(c, hn_only);
            compare(m, c, 700, 2, "auto", NULL);
            compare(m, c, 700, 2, "loop", NULL);
            seqrt_model_free(m);
        }
    }
}

/* SEQRT_ONEDNN_CHUNK must be a positive count: anything else fails the
 * session (or its first run) with a message naming the variable. */
Test(onednn_chunks, bad_chunk_refused)
{
    static const char *bad[] = {"0", "-3", "abc", "4x"};
    const cfg *c = &g_cfgs[0];
    seqrt_model *m = model(c, 1);
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        setenv("SEQRT_ONEDNN_RNN", "loop", 1);
        setenv("SEQRT_ONEDNN_CHUNK", bad[k], 1);
        seqrt_session *dn = NULL;
        seqrt_status st = seqrt_session_create(&dn, m, device("onednn"), NULL);
        if (st == SEQRT_OK) {
            int64_t dx[3] = {4, 2, I};
            seqrt_tensor *x;
            OK(seqrt_tensor_create(&x, SEQRT_F32, 3, dx));
            memset(seqrt_tensor_data(x), 0, sizeof(float) * seqrt_tensor_count(x));
            st = seqrt_session_run(dn, (const seqrt_tensor *const *)&x, 1);
            seqrt_tensor_free(x);
            seqrt_session_free(dn);
        }
        cr_expect_neq(st, SEQRT_OK, "SEQRT_ONEDNN_CHUNK=%s accepted", bad[k]);
        cr_expect(strstr(seqrt_last_error(), "SEQRT_ONEDNN_CHUNK") != NULL, "message: %s", seqrt_last_error());
    }
    seqrt_model_free(m);
}
