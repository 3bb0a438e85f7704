/*
 * Attention cases: attention (dot, scaled_dot, general, additive with and
 * without the key bias; a [B, Hq] query or a sequence query; separate
 * values), attention_pool (every activation) and multihead_attention
 * (heads, causal, key padding, cross attention, separate key and value),
 * with lengths patterns (rows with no valid key), both layouts, and values
 * that must not leak out of padding.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cases.h"

static const char *val_tag(int v)
{
    static const char *const t[CF_VAL_COUNT] = {"", "_sat", "_satw", "_nan", "_inf", "_denorm", "_padnan", "_padbig",
                                                "_huge", "_neginf"};
    return t[v];
}

static const char *len_tag(int l)
{
    static const char *const t[] = {"", "_len-mixed", "_len-zero", "_len-full", "_len-one", "_len-rand"};
    return t[l];
}

static void add(cf_suite *s, const char *group, int full, cf_build_fn fn, const cf_params *p, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void add(cf_suite *s, const char *group, int full, cf_build_fn fn, const cf_params *p, const char *fmt, ...)
{
    char name[112];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    cf_add_case(s, name, group, full, 0, fn, p, NULL);
}

/* ------------------------------------------------------------ attention */

enum { S_DOT, S_SCALED, S_GENERAL, S_ADDITIVE, S_ADDITIVE_NOBIAS, S_COUNT };
static const char *const g_score[S_COUNT] = {"dot", "scaled_dot", "general", "additive", "additive"};
static const char *const g_score_tag[S_COUNT] = {"dot", "scaled_dot", "general", "additive", "additive_nobias"};

/* p: op = score, a = 1 for a sequence query, c = 1 for separate values;
 * T = Tk, P = Tq, I = Hk, H = Hq, L = Hv (with c), lens, vals, bf. */
static void build_attention(cf_builder *b, const cf_params *p)
{
    const int Hk = p->I, Hq = (p->op == S_DOT || p->op == S_SCALED) ? p->I : p->H, Hv = p->c ? p->L : p->I;
    const int A = 6;
    int32_t *lens = cf_in_lengths(b, "lengths", p->B, p->T, p->lens);
    const int qvals = p->vals == CF_VAL_NAN || p->vals == CF_VAL_INF || p->vals == CF_VAL_SAT || p->vals == CF_VAL_DENORM
                          ? p->vals
                          : CF_VAL_NORMAL;
    if (p->a) {
        cf_in_seq(b, "q", "S", p->P, p->B, Hq, qvals, NULL);
    } else {
        int64_t d[2] = {p->B, Hq};
        char shape[64];
        snprintf(shape, sizeof shape, "['B', %d]", Hq);
        cf_in_float(b, "q", shape, 2, d, qvals);
    }
    int kvals = p->vals == CF_VAL_NAN || p->vals == CF_VAL_INF ? CF_VAL_NORMAL : p->vals;
    cf_in_seq(b, "keys", "T", p->T, p->B, Hk, kvals, lens);
    if (p->c) cf_in_seq(b, "values", "T", p->T, p->B, Hv, kvals, lens);
    char attrs[64] = "";
    if (p->op == S_GENERAL) cf_weight(b, "att.weight", Hq, Hk, 1.0 / sqrt((double)Hk));
    if (p->op == S_ADDITIVE || p->op == S_ADDITIVE_NOBIAS) {
        cf_weight(b, "att.query.weight", A, Hq, 1.0 / sqrt((double)Hq));
        cf_weight(b, "att.key.weight", A, Hk, 1.0 / sqrt((double)Hk));
        if (p->op == S_ADDITIVE) cf_weight(b, "att.key.bias", A, 0, 1.0 / sqrt((double)Hk));
        cf_weight(b, "att.v.weight", 1, A, 1.0 / sqrt((double)A));
        snprintf(attrs, sizeof attrs, ", 'attention_size': %d", A);
    }
    cf_layer(b, "{'op': 'attention', 'name': 'att', 'inputs': {'query': 'q', 'keys': 'keys'%s%s}, 'score': '%s'%s}",
             p->c ? ", 'values': 'values'" : "", lens ? ", 'lengths': 'lengths'" : "", g_score[p->op], attrs);
    cf_output(b, "att");
    cf_output(b, "att:weights");
    cf_describe(b, "attention %s%s; %s query (Hq=%d), Tk=%d Hk=%d%s; values %s", g_score_tag[p->op],
                p->op == S_ADDITIVE_NOBIAS ? " (no key bias)" : "", p->a ? "sequence" : "[B, Hq]", Hq, p->T, Hk,
                p->c ? "; separate values" : "", cf_val_name(p->vals));
}

static void add_att(cf_suite *s, int score, int seqq, int sepv, int Tk, int Tq, int B, int Hk, int Hq, int lens,
                    int vals, int bf, int full)
{
    cf_params p = {0};
    p.op = score, p.a = seqq, p.c = sepv, p.T = Tk, p.P = Tq, p.B = B, p.I = Hk, p.H = Hq, p.L = Hk + 3;
    p.lens = lens, p.vals = vals, p.bf = bf;
    int hq = (score == S_DOT || score == S_SCALED) ? Hk : Hq;
    add(s, "attention", full, build_attention, &p, "attention_%s_%s%s_Tq%dTk%dB%dHq%dHk%d%s%s%s", g_score_tag[score],
        seqq ? "seqq" : "vecq", sepv ? "_values" : "", seqq ? Tq : 1, Tk, B, hq, Hk, bf ? "_bf" : "", len_tag(lens),
        val_tag(vals));
}

/* ------------------------------------------------------------ attention_pool */

static const char *const g_act[] = {"relu", "tanh", "sigmoid", "gelu"};

static void build_pool(cf_builder *b, const cf_params *p)
{
    int32_t *lens = cf_in_lengths(b, "lengths", p->B, p->T, p->lens);
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, lens);
    cf_weight(b, "pool.projection.0.weight", p->H, p->I, 1.0 / sqrt((double)p->I));
    cf_weight(b, "pool.projection.0.bias", p->H, 0, 1.0 / sqrt((double)p->I));
    cf_weight(b, "pool.projection.2.weight", 1, p->H, 1.0 / sqrt((double)p->H));
    cf_weight(b, "pool.projection.2.bias", 1, 0, 1.0 / sqrt((double)p->H));
    cf_layer(b, "{'op': 'attention_pool', 'name': 'pool', 'inputs': {'x': 'x'%s}, 'hidden': %d, 'activation': '%s'}",
             lens ? ", 'lengths': 'lengths'" : "", p->H, g_act[p->op]);
    cf_output(b, "pool");
    cf_output(b, "pool:weights");
    cf_describe(b, "attention_pool hidden %d, %s; values %s", p->H, g_act[p->op], cf_val_name(p->vals));
}

static void add_pool(cf_suite *s, int act, int T, int B, int F, int A, int lens, int vals, int bf, int full)
{
    cf_params p = {0};
    p.op = act, p.T = T, p.B = B, p.I = F, p.H = A, p.lens = lens, p.vals = vals, p.bf = bf;
    add(s, "attention_pool", full, build_pool, &p, "attention_pool_%s_T%dB%dF%dA%d%s%s%s", g_act[act], T, B, F, A,
        bf ? "_bf" : "", len_tag(lens), val_tag(vals));
}

/* ------------------------------------------------------------ multihead_attention */

enum { M_SELF, M_CROSS, M_QKV };

/* p: I = E, P = heads, a = causal, c = mode, T = Tq, L = Tk (cross, qkv),
 * nobias, lens (key padding), vals, bf. */
static void build_mha(cf_builder *b, const cf_params *p)
{
    const int E = p->I, Tk = p->c == M_SELF ? p->T : p->L;
    int32_t *lens = cf_in_lengths(b, "lengths", p->B, Tk, p->lens);
    char ins[160];
    if (p->c == M_SELF) {
        cf_in_seq(b, "x", "T", p->T, p->B, E, p->vals, lens);
        snprintf(ins, sizeof ins, "'query': 'x'");
    } else if (p->c == M_CROSS) {
        cf_in_seq(b, "x", "T", p->T, p->B, E, CF_VAL_NORMAL, NULL);
        cf_in_seq(b, "mem", "S", Tk, p->B, E, p->vals, lens);
        snprintf(ins, sizeof ins, "'query': 'x', 'key': 'mem', 'value': 'mem'");
    } else {
        cf_in_seq(b, "x", "T", p->T, p->B, E, CF_VAL_NORMAL, NULL);
        cf_in_seq(b, "k", "S", Tk, p->B, E, p->vals, lens);
        cf_in_seq(b, "v", "S", Tk, p->B, E, p->vals, lens);
        snprintf(ins, sizeof ins, "'query': 'x', 'key': 'k', 'value': 'v'");
    }
    cf_weight(b, "mha.in_proj_weight", 3 * E, E, sqrt(6.0 / (4.0 * E)));
    if (!p->nobias) cf_weight(b, "mha.in_proj_bias", 3 * E, 0, 0.1);
    cf_weight(b, "mha.out_proj.weight", E, E, 1.0 / sqrt((double)E));
    if (!p->nobias) cf_weight(b, "mha.out_proj.bias", E, 0, 0.1);
    cf_layer(b, "{'op': 'multihead_attention', 'name': 'mha', 'inputs': {%s%s}, 'embed_dim': %d, 'num_heads': %d%s%s}",
             ins, lens ? ", 'lengths': 'lengths'" : "", E, p->P, p->a ? ", 'causal': true" : "",
             p->nobias ? ", 'bias': false" : "");
    cf_output(b, "mha");
    cf_output(b, "mha:weights");
    cf_describe(b, "multihead_attention E=%d heads=%d, %s%s%s; Tq=%d Tk=%d; values %s", E, p->P,
                p->c == M_SELF ? "self" : p->c == M_CROSS ? "cross (key = value)" : "separate key and value",
                p->a ? ", causal" : "", p->nobias ? ", no bias" : "", p->T, Tk, cf_val_name(p->vals));
}

static void add_mha(cf_suite *s, int mode, int causal, int nobias, int E, int heads, int Tq, int Tk, int B, int lens,
                    int vals, int bf, int full)
{
    cf_params p = {0};
    p.c = mode, p.a = causal, p.nobias = nobias, p.I = E, p.P = heads, p.T = Tq, p.L = Tk, p.B = B;
    p.lens = lens, p.vals = vals, p.bf = bf;
    static const char *const mt[] = {"self", "cross", "qkv"};
    add(s, "multihead_attention", full, build_mha, &p, "mha_%s%s%s_E%dh%d_Tq%dTk%dB%d%s%s%s", mt[mode],
        causal ? "_causal" : "", nobias ? "_nobias" : "", E, heads, Tq, mode == M_SELF ? Tq : Tk, B, bf ? "_bf" : "",
        len_tag(lens), val_tag(vals));
}

void cf_add_attention_cases(cf_suite *s)
{
    /* attention: every score x query kind x {no lengths, mixed lengths} */
    for (int sc = 0; sc < S_COUNT; sc++)
        for (int q = 0; q < 2; q++)
            for (int l = 0; l < 2; l++)
                add_att(s, sc, q, 0, 6, 4, 4, 5, 3, l ? CF_LEN_MIXED : CF_LEN_NONE, 0, (sc + q + l) & 1, 0);
    static const int sv[] = {S_DOT, S_GENERAL, S_ADDITIVE};
    for (int k = 0; k < 3; k++)
        for (int q = 0; q < 2; q++) add_att(s, sv[k], q, 1, 6, 4, 4, 5, 3, CF_LEN_MIXED, 0, q, 0);
    add_att(s, S_DOT, 0, 0, 6, 1, 3, 5, 5, CF_LEN_ZERO, 0, 0, 0);
    add_att(s, S_ADDITIVE, 1, 0, 6, 4, 3, 5, 3, CF_LEN_ZERO, 0, 1, 0);
    add_att(s, S_GENERAL, 1, 1, 6, 4, 3, 5, 3, CF_LEN_ONE, 0, 0, 0);
    add_att(s, S_DOT, 0, 1, 6, 1, 5, 5, 5, CF_LEN_MIXED, CF_VAL_PADNAN, 0, 0);
    add_att(s, S_GENERAL, 1, 0, 6, 4, 5, 5, 3, CF_LEN_MIXED, CF_VAL_PADNAN, 1, 0);
    add_att(s, S_ADDITIVE, 0, 1, 6, 1, 5, 5, 3, CF_LEN_MIXED, CF_VAL_PADNAN, 0, 0);
    add_att(s, S_SCALED, 1, 0, 6, 4, 5, 5, 5, CF_LEN_MIXED, CF_VAL_PADBIG, 0, 0);
    add_att(s, S_DOT, 0, 0, 6, 1, 3, 5, 5, CF_LEN_NONE, CF_VAL_NAN, 0, 0);
    add_att(s, S_GENERAL, 1, 0, 6, 4, 3, 5, 3, CF_LEN_MIXED, CF_VAL_NAN, 1, 0);
    add_att(s, S_DOT, 0, 0, 6, 1, 3, 5, 5, CF_LEN_NONE, CF_VAL_INF, 0, 0);
    add_att(s, S_DOT, 0, 0, 6, 1, 3, 5, 5, CF_LEN_NONE, CF_VAL_SAT, 0, 0);
    add_att(s, S_ADDITIVE, 1, 0, 6, 4, 3, 5, 3, CF_LEN_MIXED, CF_VAL_SAT, 0, 0);
    add_att(s, S_GENERAL, 0, 0, 6, 1, 3, 5, 3, CF_LEN_NONE, CF_VAL_DENORM, 0, 0);
    add_att(s, S_DOT, 1, 0, 1, 1, 1, 1, 1, CF_LEN_NONE, 0, 0, 0);      /* Tk = Tq = B = H = 1 */
    add_att(s, S_SCALED, 0, 0, 1, 1, 3, 7, 7, CF_LEN_MIXED, 0, 1, 0);  /* one key, lengths 1 and 0 */
    add_att(s, S_GENERAL, 1, 0, 5, 3, 2, 257, 33, CF_LEN_MIXED, 0, 0, 0);
    add_att(s, S_ADDITIVE, 0, 1, 5, 1, 2, 33, 257, CF_LEN_NONE, 0, 1, 0);
    /* full */
    static const int fl[] = {CF_LEN_ZERO, CF_LEN_FULL, CF_LEN_ONE, CF_LEN_RANDOM};
    for (int sc = 0; sc < S_COUNT; sc++)
        for (int q = 0; q < 2; q++)
            for (int k = 0; k < 4; k++)
                for (int bf = 0; bf < 2; bf++) add_att(s, sc, q, q, 7, 5, 5, 9, 6, fl[k], 0, bf, 1);
    for (int sc = 0; sc < S_COUNT; sc++) {
        add_att(s, sc, 0, 1, 1000, 1, 3, 33, 17, CF_LEN_RANDOM, 0, sc & 1, 1);
        add_att(s, sc, 1, 0, 200, 100, 2, 64, 48, CF_LEN_MIXED, 0, 0, 1);
        add_att(s, sc, 1, 1, 9, 5, 5, 7, 6, CF_LEN_MIXED, CF_VAL_PADNAN, 1, 1);
        add_att(s, sc, 0, 0, 9, 1, 5, 7, 6, CF_LEN_NONE, CF_VAL_INF, 0, 1);
    }

    /* attention_pool */
    for (int a = 0; a < 4; a++)
        for (int l = 0; l < 2; l++) add_pool(s, a, 6, 5, 4, 5, l ? CF_LEN_MIXED : CF_LEN_NONE, 0, (a + l) & 1, 0);
    add_pool(s, 1, 6, 3, 4, 5, CF_LEN_ZERO, 0, 0, 0);
    add_pool(s, 0, 6, 5, 4, 5, CF_LEN_MIXED, CF_VAL_PADNAN, 1, 0);
    add_pool(s, 1, 6, 5, 4, 5, CF_LEN_MIXED, CF_VAL_PADBIG, 0, 0);
    add_pool(s, 2, 6, 3, 4, 5, CF_LEN_NONE, CF_VAL_NAN, 0, 0);
    add_pool(s, 1, 6, 3, 4, 5, CF_LEN_NONE, CF_VAL_SAT, 1, 0);
    add_pool(s, 3, 1, 1, 1, 1, CF_LEN_NONE, 0, 0, 0);
    add_pool(s, 0, 5, 2, 33, 257, CF_LEN_MIXED, 0, 0, 0);
    for (int a = 0; a < 4; a++) {
        add_pool(s, a, 1000, 3, 32, 16, CF_LEN_RANDOM, 0, a & 1, 1);
        add_pool(s, a, 7, 5, 9, 6, CF_LEN_ONE, CF_VAL_INF, 0, 1);
        add_pool(s, a, 7, 5, 9, 6, CF_LEN_FULL, CF_VAL_DENORM, 1, 1);
    }

    /* multihead_attention */
    add_mha(s, M_SELF, 0, 0, 8, 2, 5, 5, 3, CF_LEN_NONE, 0, 0, 0);
    add_mha(s, M_SELF, 0, 0, 8, 1, 5, 5, 3, CF_LEN_MIXED, 0, 1, 0);
    add_mha(s, M_SELF, 1, 0, 8, 4, 5, 5, 3, CF_LEN_NONE, 0, 1, 0);
    add_mha(s, M_SELF, 1, 0, 8, 2, 6, 6, 5, CF_LEN_MIXED, 0, 0, 0);
    add_mha(s, M_SELF, 0, 0, 21, 3, 4, 4, 2, CF_LEN_RANDOM, 0, 0, 0); /* head_dim 7 */
    add_mha(s, M_CROSS, 0, 0, 8, 2, 3, 6, 5, CF_LEN_MIXED, 0, 1, 0);
    add_mha(s, M_CROSS, 1, 0, 8, 2, 4, 4, 3, CF_LEN_NONE, 0, 0, 0);
    add_mha(s, M_QKV, 0, 0, 8, 2, 3, 6, 5, CF_LEN_MIXED, 0, 0, 0);
    add_mha(s, M_QKV, 0, 1, 8, 2, 3, 6, 3, CF_LEN_NONE, 0, 1, 0);
    add_mha(s, M_SELF, 0, 1, 6, 3, 4, 4, 3, CF_LEN_NONE, 0, 0, 0);
    add_mha(s, M_SELF, 0, 0, 8, 2, 4, 4, 3, CF_LEN_ZERO, 0, 0, 0);
    add_mha(s, M_SELF, 1, 0, 8, 2, 6, 6, 5, CF_LEN_MIXED, CF_VAL_PADBIG, 1, 0);
    add_mha(s, M_SELF, 0, 0, 8, 2, 5, 5, 3, CF_LEN_NONE, CF_VAL_NAN, 0, 0);
    add_mha(s, M_SELF, 0, 0, 1, 1, 1, 1, 1, CF_LEN_NONE, 0, 0, 0);
    for (int bf = 0; bf < 2; bf++) {
        add_mha(s, M_SELF, 1, 0, 64, 8, 200, 200, 2, CF_LEN_RANDOM, 0, bf, 1);
        add_mha(s, M_CROSS, 0, 0, 32, 4, 50, 1000, 2, CF_LEN_RANDOM, 0, bf, 1);
        add_mha(s, M_QKV, 1, 1, 12, 4, 7, 7, 5, CF_LEN_ONE, 0, bf, 1);
        add_mha(s, M_SELF, 0, 0, 8, 2, 5, 5, 3, CF_LEN_MIXED, CF_VAL_INF, bf, 1);
        add_mha(s, M_SELF, 1, 0, 8, 2, 5, 5, 3, CF_LEN_FULL, CF_VAL_DENORM, bf, 1);
    }
}
