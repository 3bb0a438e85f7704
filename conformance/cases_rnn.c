/*
 * Recurrent cases: lstm, gru and rnn, every attribute (projection,
 * peephole, coupled, bias, linear_before_reset, nonlinearity, layers,
 * bidirectional, initial states) x layout x shapes x lengths patterns x
 * value patterns.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

enum { R_LSTM, R_GRU, R_RNN };

static const char *rnn_op(int op) { return op == R_LSTM ? "lstm" : op == R_GRU ? "gru" : "rnn"; }

static void build_rnn(cf_builder *b, const cf_params *p)
{
    const char *op = rnn_op(p->op);
    const int D = p->bidir ? 2 : 1, L = p->L ? p->L : 1;
    const int HO = p->op == R_LSTM && p->P ? p->P : p->H;
    int32_t *lens = cf_in_lengths(b, "lengths", p->B, p->T, p->lens);
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, lens);
    if (p->state) {
        cf_in_state(b, "h0", L * D, p->B, HO);
        if (p->op == R_LSTM) cf_in_state(b, "c0", L * D, p->B, p->H);
    }
    cf_rnn_weights(b, "rnn", op, p->I, p->H, L, p->bidir, p->op == R_LSTM ? p->P : 0, p->peep, p->coupled, !p->nobias,
                   p->vals == CF_VAL_SATW ? 20.0 : 1.0);
    char attrs[512], ins[256];
    int n = snprintf(attrs, sizeof attrs, "'input_size': %d, 'hidden_size': %d", p->I, p->H);
    if (L != 1) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'num_layers': %d", L);
    if (p->bidir) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'bidirectional': true");
    if (p->nobias) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'bias': false");
    if (p->op == R_LSTM && p->P) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'proj_size': %d", p->P);
    if (p->peep) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'peephole': true");
    if (p->coupled) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'coupled': true");
    if (p->lbr_false) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'linear_before_reset': false");
    if (p->relu) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'nonlinearity': 'relu'");
    n = snprintf(ins, sizeof ins, "'x': 'x'");
    if (p->state) n += snprintf(ins + n, sizeof ins - (size_t)n, ", 'h0': 'h0'");
    if (p->state && p->op == R_LSTM) n += snprintf(ins + n, sizeof ins - (size_t)n, ", 'c0': 'c0'");
    if (lens) n += snprintf(ins + n, sizeof ins - (size_t)n, ", 'lengths': 'lengths'");
    cf_layer(b, "{'op': '%s', 'name': 'rnn', 'inputs': {%s}, %s}", op, ins, attrs);
    cf_output(b, "rnn");
    cf_output(b, "rnn:h_n");
    if (p->op == R_LSTM) cf_output(b, "rnn:c_n");
    cf_describe(b, "%s {%s}; T=%d B=%d%s%s; values %s", op, attrs, p->T, p->B, p->state ? "; initial state from inputs" : "",
                p->bf ? "; batch_first" : "", cf_val_name(p->vals));
    (void)n;
}

typedef struct rvar {
    int op;
    const char *tag;
    int L, P, bidir, peep, coupled, nobias, lbr_false, relu, state;
} rvar;

static const rvar g_vars[] = {
    {R_LSTM, "", 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {R_LSTM, "_nobias", 1, 0, 0, 0, 0, 1, 0, 0, 0},
    {R_LSTM, "_proj", 1, 3, 0, 0, 0, 0, 0, 0, 0},
    {R_LSTM, "_peep", 1, 0, 0, 1, 0, 0, 0, 0, 0},
    {R_LSTM, "_cifg", 1, 0, 0, 0, 1, 0, 0, 0, 0},
    {R_LSTM, "_peep_cifg", 1, 0, 0, 1, 1, 0, 0, 0, 0},
    {R_LSTM, "_L2", 2, 0, 0, 0, 0, 0, 0, 0, 0},
    {R_LSTM, "_bidir", 1, 0, 1, 0, 0, 0, 0, 0, 0},
    {R_LSTM, "_bidir_L2_proj", 2, 3, 1, 0, 0, 0, 0, 0, 0},
    {R_LSTM, "_h0", 1, 0, 0, 0, 0, 0, 0, 0, 1},
    {R_LSTM, "_peep_cifg_proj_bidir_L2_h0", 2, 3, 1, 1, 1, 0, 0, 0, 1},
    {R_GRU, "", 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {R_GRU, "_lbr0", 1, 0, 0, 0, 0, 0, 1, 0, 0},
    {R_GRU, "_nobias", 1, 0, 0, 0, 0, 1, 0, 0, 0},
    {R_GRU, "_bidir_L2", 2, 0, 1, 0, 0, 0, 0, 0, 0},
    {R_GRU, "_h0", 1, 0, 0, 0, 0, 0, 0, 0, 1},
    {R_GRU, "_lbr0_bidir_h0", 1, 0, 1, 0, 0, 0, 1, 0, 1},
    {R_RNN, "_tanh", 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {R_RNN, "_relu", 1, 0, 0, 0, 0, 0, 0, 1, 0},
    {R_RNN, "_nobias", 1, 0, 0, 0, 0, 1, 0, 0, 0},
    {R_RNN, "_bidir_L2", 2, 0, 1, 0, 0, 0, 0, 0, 0},
    {R_RNN, "_relu_h0", 1, 0, 0, 0, 0, 0, 0, 1, 1},
};
#define NVARS (sizeof g_vars / sizeof g_vars[0])

static const char *len_tag(int l)
{
    static const char *const t[] = {"", "_len-mixed", "_len-zero", "_len-full", "_len-one", "_len-rand"};
    return t[l];
}

static const char *val_tag(int v)
{
    static const char *const t[CF_VAL_COUNT] = {"", "_sat", "_satw", "_nan", "_inf", "_denorm", "_padnan", "_padbig",
                                                "_huge", "_neginf"};
    return t[v];
}

static void add_rnn(cf_suite *s, const rvar *v, int T, int B, int I, int H, int bf, int lens, int vals, int full)
{
    cf_params p = {0};
    p.op = v->op;
    p.T = T, p.B = B, p.I = I, p.H = H, p.L = v->L, p.P = v->P;
    if (p.P >= H) p.P = H > 1 ? H - 1 : 0; /* proj_size < hidden_size */
    p.bidir = v->bidir, p.peep = v->peep, p.coupled = v->coupled, p.nobias = v->nobias;
    p.lbr_false = v->lbr_false, p.relu = v->relu, p.state = v->state;
    p.lens = lens, p.vals = vals, p.bf = bf;
    char name[112];
    snprintf(name, sizeof name, "%s%s_T%dB%dI%dH%d%s%s%s", rnn_op(v->op), v->tag, T, B, I, H, bf ? "_bf" : "",
             len_tag(lens), val_tag(vals));
    cf_add_case(s, name, rnn_op(v->op), full, 0, build_rnn, &p, NULL);
}

static const rvar *find_var(int op, const char *tag)
{
    for (size_t i = 0; i < NVARS; i++)
        if (g_vars[i].op == op && !strcmp(g_vars[i].tag, tag)) return &g_vars[i];
    return NULL;
}

void cf_add_rnn_cases(cf_suite *s)
{
    /* quick: every variant x layout x {no lengths, mixed lengths with a 0} */
    for (size_t i = 0; i < NVARS; i++)
        for (int bf = 0; bf < 2; bf++)
            for (int l = 0; l < 2; l++) add_rnn(s, &g_vars[i], 5, 3, 4, 7, bf, l ? CF_LEN_MIXED : CF_LEN_NONE, 0, 0);

    const rvar *base[3] = {find_var(R_LSTM, ""), find_var(R_GRU, ""), find_var(R_RNN, "_tanh")};
    const rvar *bidir[3] = {find_var(R_LSTM, "_bidir"), find_var(R_GRU, "_bidir_L2"), find_var(R_RNN, "_bidir_L2")};
    /* quick: edge shapes (T=1, B=1, H=1, I=1, odd sizes that fit no tile) */
    static const int shapes[][4] = {{1, 3, 4, 7}, {5, 1, 4, 7}, {5, 3, 4, 1}, {5, 3, 1, 7},
                                    {4, 3, 5, 33}, {3, 2, 9, 257}, {1, 1, 1, 1}};
    for (int o = 0; o < 3; o++)
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
            add_rnn(s, base[o], shapes[k][0], shapes[k][1], shapes[k][2], shapes[k][3], k == 6, CF_LEN_NONE, 0, 0);
    for (int o = 0; o < 3; o++) {
        add_rnn(s, bidir[o], 1, 4, 3, 5, 0, CF_LEN_MIXED, 0, 0);   /* T = 1 with lengths 1 and 0 */
        add_rnn(s, bidir[o], 6, 1, 3, 5, 1, CF_LEN_RANDOM, 0, 0);  /* B = 1 */
    }
    /* quick: lengths patterns */
    static const int lens[] = {CF_LEN_ZERO, CF_LEN_FULL, CF_LEN_ONE, CF_LEN_RANDOM};
    for (int o = 0; o < 3; o++)
        for (int k = 0; k < 4; k++) add_rnn(s, bidir[o], 6, 5, 3, 5, k & 1, lens[k], 0, 0);
    /* quick: values */
    static const int vals[] = {CF_VAL_SAT, CF_VAL_SATW, CF_VAL_NAN, CF_VAL_INF, CF_VAL_DENORM};
    for (int o = 0; o < 3; o++)
        for (int k = 0; k < 5; k++) add_rnn(s, base[o], 5, 3, 4, 7, 0, CF_LEN_NONE, vals[k], 0);
    for (int o = 0; o < 3; o++) {
        add_rnn(s, bidir[o], 6, 4, 3, 5, 0, CF_LEN_MIXED, CF_VAL_PADNAN, 0);
        add_rnn(s, bidir[o], 6, 4, 3, 5, 1, CF_LEN_MIXED, CF_VAL_PADBIG, 0);
    }
    add_rnn(s, find_var(R_LSTM, "_bidir_L2_proj"), 5, 3, 4, 7, 0, CF_LEN_NONE, CF_VAL_NAN, 0);
    add_rnn(s, find_var(R_LSTM, "_bidir_L2_proj"), 5, 3, 4, 7, 1, CF_LEN_MIXED, CF_VAL_INF, 0);
    add_rnn(s, find_var(R_LSTM, "_peep_cifg"), 5, 3, 4, 7, 0, CF_LEN_NONE, CF_VAL_SAT, 0);
    add_rnn(s, find_var(R_RNN, "_relu"), 5, 3, 4, 7, 0, CF_LEN_NONE, CF_VAL_NAN, 0);

    /* full: every variant x layout x the other lengths patterns, odd sizes */
    for (size_t i = 0; i < NVARS; i++)
        for (int bf = 0; bf < 2; bf++)
            for (int k = 0; k < 4; k++) add_rnn(s, &g_vars[i], 7, 5, 6, 9, bf, lens[k], 0, 1);
    /* full: every variant x values */
    static const int fvals[] = {CF_VAL_SAT, CF_VAL_SATW, CF_VAL_NAN, CF_VAL_INF, CF_VAL_DENORM};
    for (size_t i = 0; i < NVARS; i++)
        for (int k = 0; k < 5; k++) {
            if (g_vars[i].relu && (fvals[k] == CF_VAL_SAT || fvals[k] == CF_VAL_SATW)) continue; /* unbounded */
            add_rnn(s, &g_vars[i], 6, 3, 5, 8, 1, g_vars[i].bidir ? CF_LEN_MIXED : CF_LEN_NONE, fvals[k], 1);
        }
    /* full: long sequences and big layers */
    add_rnn(s, find_var(R_LSTM, "_L2"), 1000, 2, 8, 64, 0, CF_LEN_NONE, 0, 1);
    add_rnn(s, find_var(R_LSTM, "_bidir_L2_proj"), 1000, 3, 8, 32, 1, CF_LEN_MIXED, 0, 1);
    add_rnn(s, find_var(R_LSTM, "_peep_cifg_proj_bidir_L2_h0"), 1000, 2, 8, 16, 0, CF_LEN_RANDOM, 0, 1);
    add_rnn(s, find_var(R_GRU, ""), 1000, 2, 8, 64, 1, CF_LEN_NONE, 0, 1);
    add_rnn(s, find_var(R_GRU, "_lbr0_bidir_h0"), 1000, 3, 8, 32, 0, CF_LEN_MIXED, 0, 1);
    add_rnn(s, find_var(R_RNN, "_tanh"), 1000, 2, 8, 64, 0, CF_LEN_NONE, 0, 1);
    add_rnn(s, find_var(R_RNN, "_relu"), 1000, 2, 8, 32, 0, CF_LEN_NONE, 0, 1);
    add_rnn(s, find_var(R_LSTM, ""), 1000, 1, 1, 1, 0, CF_LEN_NONE, CF_VAL_SAT, 1);
    for (int o = 0; o < 3; o++) {
        add_rnn(s, base[o], 20, 3, 33, 257, 0, CF_LEN_NONE, 0, 1);
        add_rnn(s, bidir[o], 12, 3, 33, 257, 1, CF_LEN_MIXED, 0, 1);
        add_rnn(s, base[o], 10, 64, 16, 16, 0, CF_LEN_NONE, 0, 1);
        add_rnn(s, bidir[o], 10, 64, 16, 16, 0, CF_LEN_RANDOM, 0, 1);
    }
    add_rnn(s, find_var(R_LSTM, ""), 4, 2, 16, 512, 0, CF_LEN_NONE, 0, 1);
    add_rnn(s, find_var(R_LSTM, "_proj"), 6, 2, 31, 129, 1, CF_LEN_NONE, 0, 1);
}
