/*
 * Recurrent cases of format 1.1 (descriptions with "version": 1.1, group
 * "recurrent_1_1"): lstm, gru and rnn with the attributes format 1.1 added
 * — every gate function of `activations` with given and default
 * activation_alpha / activation_beta, one list for both directions and one
 * per direction, `clip`, `input_forget` with and without peepholes,
 * `direction` "reverse" (one layer, 2-layer stacks, with lengths and
 * initial states) and "bidirectional" — x layout x lengths, plus value
 * patterns. The reference is the oracle, as for every generated case; a
 * backend that refuses a form at session creation reports it SKIPPED.
 */
#include <stdio.h>

#include "cases.h"

enum { V_LSTM, V_GRU, V_RNN };

typedef struct v11var {
    int op;
    const char *tag;
    int L, P, bidir, peep, state; /* bidir: the weights of two directions */
    int bounded;                  /* every gate function bounded: saturating inputs make sense */
    const char *attrs;            /* the 1.1 attributes (and others), JSON with single quotes */
} v11var;

static const v11var g_vars[] = {
    {V_LSTM, "_acts_explicit", 1, 0, 0, 0, 0, 1,
     "'activations': ['HardSigmoid', 'ScaledTanh', 'Softsign'], 'activation_alpha': [0.25, 0.8], "
     "'activation_beta': [0.45, 1.25]"},
    {V_LSTM, "_acts_default_params", 1, 0, 0, 0, 1, 0, "'activations': ['hardsigmoid', 'elu', 'scaledtanh']"},
    {V_LSTM, "_acts_relu_softplus", 1, 0, 0, 0, 0, 0, "'activations': ['sigmoid', 'relu', 'softplus']"},
    {V_LSTM, "_bidir_acts_per_direction", 1, 0, 1, 0, 1, 0,
     "'bidirectional': true, 'activations': ['sigmoid', 'tanh', 'tanh', 'hardsigmoid', 'softsign', 'relu'], "
     "'activation_alpha': [0.3], 'activation_beta': [0.6]"},
    {V_LSTM, "_dirbidir_acts_shared", 1, 0, 1, 0, 0, 1,
     "'direction': 'bidirectional', 'activations': ['HARDSIGMOID', 'tanh', 'softsign'], 'activation_alpha': [0.3], "
     "'activation_beta': [0.55]"},
    {V_LSTM, "_clip", 1, 0, 0, 0, 0, 1, "'clip': 0.3"},
    {V_LSTM, "_peep_clip_acts", 1, 0, 0, 1, 1, 0, "'peephole': true, 'clip': 0.4, 'activations': ['sigmoid', 'relu', 'tanh']"},
    {V_LSTM, "_ifg", 1, 0, 0, 0, 1, 1, "'input_forget': true"},
    {V_LSTM, "_peep_ifg_bidir", 1, 0, 1, 1, 0, 1, "'bidirectional': true, 'peephole': true, 'input_forget': true"},
    {V_LSTM, "_rev", 1, 0, 0, 0, 0, 1, "'direction': 'reverse'"},
    {V_LSTM, "_rev_peep_h0", 1, 0, 0, 1, 1, 1, "'direction': 'reverse', 'peephole': true"},
    {V_LSTM, "_rev_L2_clip_h0", 2, 0, 0, 0, 1, 1, "'direction': 'reverse', 'clip': 0.5"},
    {V_LSTM, "_proj_rev_acts", 1, 3, 0, 0, 0, 1, "'direction': 'reverse', 'activations': ['sigmoid', 'tanh', 'softsign']"},
    {V_GRU, "_acts_explicit_lbr0", 1, 0, 0, 0, 1, 0,
     "'linear_before_reset': false, 'activations': ['hardsigmoid', 'leakyrelu'], 'activation_alpha': [0.3, 0.2], "
     "'activation_beta': [0.4]"},
    {V_GRU, "_acts_softplus", 1, 0, 0, 0, 0, 0, "'activations': ['Sigmoid', 'Softplus']"},
    {V_GRU, "_bidir_L2_acts_shared", 2, 0, 1, 0, 0, 1,
     "'bidirectional': true, 'activations': ['hardsigmoid', 'scaledtanh'], 'activation_alpha': [0.3, 0.9], "
     "'activation_beta': [0.55, 1.1]"},
    {V_GRU, "_clip_bidir", 1, 0, 1, 0, 0, 1, "'bidirectional': true, 'clip': 0.25"},
    {V_GRU, "_rev_h0", 1, 0, 0, 0, 1, 1, "'direction': 'reverse'"},
    {V_GRU, "_rev_L2_lbr0", 2, 0, 0, 0, 0, 1, "'direction': 'reverse', 'linear_before_reset': false"},
    {V_RNN, "_affine", 1, 0, 0, 0, 1, 0, "'activations': ['Affine'], 'activation_alpha': [0.7], 'activation_beta': [0.1]"},
    {V_RNN, "_affine_default", 1, 0, 0, 0, 0, 0, "'activations': ['affine']"},
    {V_RNN, "_thresholdedrelu", 1, 0, 0, 0, 0, 0, "'activations': ['ThresholdedRelu'], 'activation_alpha': [0.1]"},
    {V_RNN, "_leakyrelu_default", 1, 0, 0, 0, 0, 0, "'activations': ['LEAKYRELU']"},
    {V_RNN, "_dirbidir_relu_elu", 1, 0, 1, 0, 1, 0,
     "'direction': 'bidirectional', 'activations': ['Relu', 'Elu'], 'activation_alpha': [0.5]"},
    {V_RNN, "_clip_relu", 1, 0, 0, 0, 1, 1, "'nonlinearity': 'relu', 'clip': 0.2"},
    {V_RNN, "_rev_softsign_h0", 1, 0, 0, 0, 1, 1, "'direction': 'reverse', 'activations': ['softsign']"},
    {V_RNN, "_rev_L2", 2, 0, 0, 0, 0, 1, "'direction': 'reverse'"},
};
#define NVARS (sizeof g_vars / sizeof g_vars[0])

static const char *v11_op(int op) { return op == V_LSTM ? "lstm" : op == V_GRU ? "gru" : "rnn"; }

static void build_v11(cf_builder *b, const cf_params *p)
{
    const v11var *v = &g_vars[p->a];
    const char *op = v11_op(v->op);
    const int D = v->bidir ? 2 : 1, L = v->L;
    const int HO = v->P ? v->P : p->H;
    cf_format_version(b, 1.1);
    int32_t *lens = cf_in_lengths(b, "lengths", p->B, p->T, p->lens);
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, lens);
    if (v->state) {
        cf_in_state(b, "h0", L * D, p->B, HO);
        if (v->op == V_LSTM) cf_in_state(b, "c0", L * D, p->B, p->H);
    }
    cf_rnn_weights(b, "rnn", op, p->I, p->H, L, v->bidir, v->P, v->peep, 0, 1, 1.0);
    char attrs[640], ins[256];
    int n = snprintf(attrs, sizeof attrs, "'input_size': %d, 'hidden_size': %d", p->I, p->H);
    if (L != 1) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'num_layers': %d", L);
    if (v->P) n += snprintf(attrs + n, sizeof attrs - (size_t)n, ", 'proj_size': %d", v->P);
    snprintf(attrs + n, sizeof attrs - (size_t)n, ", %s", v->attrs);
    n = snprintf(ins, sizeof ins, "'x': 'x'");
    if (v->state) n += snprintf(ins + n, sizeof ins - (size_t)n, ", 'h0': 'h0'");
    if (v->state && v->op == V_LSTM) n += snprintf(ins + n, sizeof ins - (size_t)n, ", 'c0': 'c0'");
    if (lens) snprintf(ins + n, sizeof ins - (size_t)n, ", 'lengths': 'lengths'");
    cf_layer(b, "{'op': '%s', 'name': 'rnn', 'inputs': {%s}, %s}", op, ins, attrs);
    cf_output(b, "rnn");
    cf_output(b, "rnn:h_n");
    if (v->op == V_LSTM) cf_output(b, "rnn:c_n");
    cf_describe(b, "format 1.1: %s {%s}; T=%d B=%d%s%s; values %s", op, attrs, p->T, p->B,
                v->state ? "; initial state from inputs" : "", p->bf ? "; batch_first" : "", cf_val_name(p->vals));
}

static void add_v11(cf_suite *s, size_t var, int T, int B, int I, int H, int bf, int lens, int vals, int full)
{
    static const char *const len_tag[] = {"", "_len-mixed", "_len-zero", "_len-full", "_len-one", "_len-rand"};
    static const char *const val_tag[CF_VAL_COUNT] = {"", "_sat", "_satw", "_nan", "_inf", "_denorm", "_padnan",
                                                      "_padbig", "_huge", "_neginf"};
    const v11var *v = &g_vars[var];
    if (v->P >= H && v->P) return; /* proj_size < hidden_size */
    cf_params p = {0};
    p.op = v->op, p.a = (int)var;
    p.T = T, p.B = B, p.I = I, p.H = H, p.L = v->L, p.P = v->P;
    p.bidir = v->bidir, p.peep = v->peep, p.state = v->state;
    p.lens = lens, p.vals = vals, p.bf = bf;
    char name[112];
    snprintf(name, sizeof name, "v11_%s%s_T%dB%dI%dH%d%s%s%s", v11_op(v->op), v->tag, T, B, I, H, bf ? "_bf" : "",
             len_tag[lens], val_tag[vals]);
    cf_add_case(s, name, "recurrent_1_1", full, 0, build_v11, &p, NULL);
}

void cf_add_rnn_v11_cases(cf_suite *s)
{
    /* quick: every variant x layout x {no lengths, mixed lengths with a 0} */
    for (size_t i = 0; i < NVARS; i++)
        for (int bf = 0; bf < 2; bf++)
            for (int l = 0; l < 2; l++) add_v11(s, i, 5, 3, 4, 7, bf, l ? CF_LEN_MIXED : CF_LEN_NONE, 0, 0);
    /* quick: saturating inputs where every gate function is bounded (clip
     * acts on every gate), NaN in padded steps (reverse must not read them),
     * and edge shapes */
    for (size_t i = 0; i < NVARS; i++) {
        if (g_vars[i].bounded) add_v11(s, i, 5, 3, 4, 7, 0, CF_LEN_NONE, CF_VAL_SAT, 0);
        add_v11(s, i, 6, 4, 3, 5, 1, CF_LEN_MIXED, CF_VAL_PADNAN, 0);
        add_v11(s, i, 1, 1, 1, 1, 0, CF_LEN_NONE, 0, 0);
    }
    /* full: every variant x the other lengths patterns, odd sizes, a long run */
    static const int lens[] = {CF_LEN_ZERO, CF_LEN_FULL, CF_LEN_ONE, CF_LEN_RANDOM};
    for (size_t i = 0; i < NVARS; i++) {
        for (int k = 0; k < 4; k++) add_v11(s, i, 7, 5, 6, 9, k & 1, lens[k], 0, 1);
        add_v11(s, i, 12, 3, 33, 65, 0, CF_LEN_MIXED, CF_VAL_PADBIG, 1);
        if (g_vars[i].bounded) add_v11(s, i, 1000, 2, 8, 32, 1, CF_LEN_RANDOM, 0, 1);
    }
}
