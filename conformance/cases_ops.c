/*
 * Cases of the per-step and pooling ops: linear, activation, softmax,
 * log_softmax, dropout, add, mul, concat, select, last_step, mean_pool,
 * embedding and one_hot, with their attributes, both layouts, edge sizes
 * and value patterns (extremes, NaN, Inf, denormals, garbage in padding).
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

/* ------------------------------------------------------------ linear */

static void build_linear(cf_builder *b, const cf_params *p)
{
    if (p->a == 2) {
        int64_t dims[2] = {p->B, p->I};
        char shape[64];
        snprintf(shape, sizeof shape, "['B', %d]", p->I);
        cf_in_float(b, "x", shape, 2, dims, p->vals);
    } else {
        cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, NULL);
    }
    cf_weight(b, "fc.weight", p->H, p->I, 1.0 / sqrt((double)p->I));
    if (!p->nobias) cf_weight(b, "fc.bias", p->H, 0, 1.0 / sqrt((double)p->I));
    cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'x'}, 'in_features': %d, 'out_features': %d%s}", p->I,
             p->H, p->nobias ? ", 'bias': false" : "");
    cf_output(b, "fc");
    cf_describe(b, "linear %d -> %d%s on a rank-%d input; values %s", p->I, p->H, p->nobias ? " (no bias)" : "",
                p->a, cf_val_name(p->vals));
}

static void add_linear(cf_suite *s, int rank, int T, int B, int I, int O, int nobias, int bf, int vals, int full)
{
    cf_params p = {0};
    p.a = rank, p.T = T, p.B = B, p.I = I, p.H = O, p.nobias = nobias, p.bf = bf, p.vals = vals;
    add(s, "linear", full, build_linear, &p, "linear%s_r%d_T%dB%dI%dO%d%s%s", nobias ? "_nobias" : "", rank, T, B, I, O,
        bf ? "_bf" : "", val_tag(vals));
}

/* ------------------------------------------------------------ activation, softmax, dropout */

static const char *const g_act[] = {"relu", "tanh", "sigmoid", "gelu"};

static void build_activation(cf_builder *b, const cf_params *p)
{
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, NULL);
    cf_layer(b, "{'op': 'activation', 'name': 'act', 'inputs': {'x': 'x'}, 'function': '%s'}", g_act[p->op]);
    cf_output(b, "act");
    cf_describe(b, "activation %s; values %s", g_act[p->op], cf_val_name(p->vals));
}

/* activation affine (format 1.1): alpha * x + beta; row 0 gives neither
 * (the defaults 1, 0), row 1 alpha alone. */
static const struct { double alpha, beta; const char *tag; } g_affine[] = {
    {1, 0, "_default"}, {2.5, 0, "_a2.5"}, {-1.5, 0.25, "_a-1.5b0.25"}, {0, -0.75, "_a0b-0.75"}, {1e-3, 3, "_a0.001b3"}};

static void build_affine(cf_builder *b, const cf_params *p)
{
    char attrs[96] = "";
    if (p->a == 1) snprintf(attrs, sizeof attrs, ", 'alpha': %.17g", g_affine[p->a].alpha);
    if (p->a > 1)
        snprintf(attrs, sizeof attrs, ", 'alpha': %.17g, 'beta': %.17g", g_affine[p->a].alpha, g_affine[p->a].beta);
    cf_format_version(b, 1.1);
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, NULL);
    cf_layer(b, "{'op': 'activation', 'name': 'act', 'inputs': {'x': 'x'}, 'function': 'affine'%s}", attrs);
    cf_output(b, "act");
    cf_describe(b, "activation affine, %g * x + %g (format 1.1); values %s", g_affine[p->a].alpha,
                g_affine[p->a].beta, cf_val_name(p->vals));
}

static void build_softmax(cf_builder *b, const cf_params *p)
{
    const char *op = p->op ? "log_softmax" : "softmax";
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, NULL);
    if (p->a == 99)
        cf_layer(b, "{'op': '%s', 'name': 'sm', 'inputs': {'x': 'x'}}", op);
    else
        cf_layer(b, "{'op': '%s', 'name': 'sm', 'inputs': {'x': 'x'}, 'axis': %d}", op, p->a);
    cf_output(b, "sm");
    cf_describe(b, "%s over axis %s; values %s", op, p->a == 99 ? "-1 (default)" : (p->a == -1 ? "-1" : p->a == 0 ? "0" : p->a == 1 ? "1" : "2"),
                cf_val_name(p->vals));
}

static void build_dropout(cf_builder *b, const cf_params *p)
{
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, NULL);
    cf_layer(b, "{'op': 'dropout', 'name': 'drop', 'inputs': {'x': 'x'}, 'p': 0.5}");
    cf_output(b, "drop");
    cf_describe(b, "dropout p=0.5 at inference: identity; values %s", cf_val_name(p->vals));
}

/* ------------------------------------------------------------ add, mul */

static void build_binary(cf_builder *b, const cf_params *p)
{
    const char *op = p->op ? "mul" : "add";
    const int64_t T = p->T, B = p->B, F = p->I;
    float *a = cf_in_seq(b, "a", "T", T, B, F, p->vals, NULL);
    float *c = cf_in_seq(b, "b", "T", T, B, F, p->vals == CF_VAL_INF ? CF_VAL_NORMAL : p->vals, NULL);
    if (a && c && p->vals == CF_VAL_INF) {
        /* where a is +Inf, b is 0 (mul: NaN); where a is -Inf, b is +Inf (add: NaN) */
        int bf = cf_bf(b);
#define IDX(t_, b_, f_) ((bf ? ((b_) * T + (t_)) : ((t_) * B + (b_))) * F + (f_))
        c[IDX(T / 2, B - 1, 0)] = 0.f;
        c[IDX(T - 1, B - 1, F - 1)] = INFINITY;
#undef IDX
    }
    cf_layer(b, "{'op': '%s', 'name': 'y', 'inputs': {'a': 'a', 'b': 'b'}}", op);
    cf_output(b, "y");
    cf_describe(b, "%s; values %s%s", op, cf_val_name(p->vals), p->vals == CF_VAL_INF ? " (Inf * 0 and Inf - Inf)" : "");
}

/* ------------------------------------------------------------ concat, select */

static void build_concat(cf_builder *b, const cf_params *p)
{
    /* axis -1: widths 3, 1, 4; axis 0 / 1: the sequence axes (different
     * time lengths for the time axis) */
    const int axis = p->a;
    const int T = p->T, B = p->B;
    int time_axis = cf_bf(b) ? 1 : 0;
    if (axis == -1 || axis == 2) {
        cf_in_seq(b, "a", "T", T, B, 3, p->vals, NULL);
        cf_in_seq(b, "b", "T", T, B, 1, CF_VAL_NORMAL, NULL);
        cf_in_seq(b, "c", "T", T, B, 4, CF_VAL_NORMAL, NULL);
        cf_layer(b, "{'op': 'concat', 'name': 'cat', 'inputs': {'x': ['a', 'b', 'c']}, 'axis': %d}", axis);
    } else if (axis == time_axis) {
        cf_in_seq(b, "a", "T", T, B, 3, p->vals, NULL);
        cf_in_seq(b, "b", "S", T + 2, B, 3, CF_VAL_NORMAL, NULL);
        cf_layer(b, "{'op': 'concat', 'name': 'cat', 'inputs': {'x': ['a', 'b']}, 'axis': %d}", axis);
    } else { /* the batch axis: two [B, F] values */
        int64_t d1[2] = {B, 5}, d2[2] = {B + 1, 5};
        cf_in_float(b, "a", "['B', 5]", 2, d1, p->vals);
        cf_in_float(b, "b", "['C', 5]", 2, d2, CF_VAL_NORMAL);
        cf_layer(b, "{'op': 'concat', 'name': 'cat', 'inputs': {'x': ['a', 'b']}, 'axis': 0}");
        cf_describe(b, "concat of [B, 5] and [C, 5] on axis 0 (the batch axis); values %s", cf_val_name(p->vals));
        cf_output(b, "cat");
        return;
    }
    cf_output(b, "cat");
    cf_describe(b, "concat on axis %d (%s); values %s", axis, axis == time_axis ? "time, T and S = T + 2 steps" : "features, widths 3, 1, 4",
                cf_val_name(p->vals));
}

static void build_select(cf_builder *b, const cf_params *p)
{
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, NULL);
    cf_layer(b, "{'op': 'select', 'name': 'sel', 'inputs': {'x': 'x'}, 'axis': %d, 'index': %d}", p->a, p->c);
    cf_output(b, "sel");
    cf_describe(b, "select axis %d index %d", p->a, p->c);
}

/* ------------------------------------------------------------ pooling */

static void build_pool(cf_builder *b, const cf_params *p)
{
    const char *op = p->op ? "mean_pool" : "last_step";
    int32_t *lens = cf_in_lengths(b, "lengths", p->B, p->T, p->lens);
    cf_in_seq(b, "x", "T", p->T, p->B, p->I, p->vals, lens);
    cf_layer(b, "{'op': '%s', 'name': 'pool', 'inputs': {'x': 'x'%s}}", op, lens ? ", 'lengths': 'lengths'" : "");
    cf_output(b, "pool");
    cf_describe(b, "%s; values %s%s", op, cf_val_name(p->vals), p->bf ? "; batch_first" : "");
}

/* ------------------------------------------------------------ ids */

static void build_embedding(cf_builder *b, const cf_params *p)
{
    cf_in_ids(b, "ids", "T", p->T, p->B, p->I, p->a);
    if (p->op) {
        cf_layer(b, "{'op': 'one_hot', 'name': 'emb', 'inputs': {'x': 'ids'}, 'depth': %d}", p->I);
        cf_describe(b, "one_hot depth %d%s", p->I, p->a ? "; int64 ids" : "");
    } else {
        cf_weight(b, "emb.weight", p->I, p->H, 1.0);
        cf_layer(b, "{'op': 'embedding', 'name': 'emb', 'inputs': {'x': 'ids'}, 'num_embeddings': %d, 'embedding_dim': %d}",
                 p->I, p->H);
        cf_describe(b, "embedding %d x %d%s", p->I, p->H, p->a ? "; int64 ids" : "");
    }
    cf_output(b, "emb");
}

void cf_add_op_cases(cf_suite *s)
{
    cf_params p;
    /* linear */
    static const int lin[][3] = {{4, 5, 0}, {7, 33, 0}, {257, 7, 0}, {1, 1, 0}, {33, 1, 1}};
    for (size_t k = 0; k < sizeof lin / sizeof lin[0]; k++)
        for (int nb = 0; nb < 2; nb++) {
            add_linear(s, 3, 5, 3, lin[k][0], lin[k][1], nb, (int)k & 1, 0, lin[k][2]);
            add_linear(s, 2, 1, 4, lin[k][0], lin[k][1], nb, 0, 0, lin[k][2]);
        }
    static const int lvals[] = {CF_VAL_NAN, CF_VAL_INF, CF_VAL_DENORM};
    for (int k = 0; k < 3; k++) {
        add_linear(s, 3, 5, 3, 6, 5, 0, 0, lvals[k], 0);
        add_linear(s, 2, 1, 3, 6, 5, 1, 0, lvals[k], 0);
    }
    add_linear(s, 3, 1000, 4, 64, 48, 0, 1, 0, 1);
    add_linear(s, 3, 9, 64, 257, 129, 0, 0, 0, 1);
    add_linear(s, 2, 1, 128, 1024, 1000, 0, 0, 0, 1);

    /* activation */
    static const int avals[] = {CF_VAL_NORMAL, CF_VAL_SAT, CF_VAL_HUGE, CF_VAL_NAN, CF_VAL_INF, CF_VAL_DENORM};
    for (int f = 0; f < 4; f++)
        for (int k = 0; k < 6; k++) {
            memset(&p, 0, sizeof p);
            p.op = f, p.T = 5, p.B = 3, p.I = 7, p.vals = avals[k], p.bf = k == 1;
            add(s, "activation", 0, build_activation, &p, "activation_%s_T5B3F7%s%s", g_act[f], p.bf ? "_bf" : "",
                val_tag(avals[k]));
            p.T = 300, p.B = 7, p.I = 33, p.bf = 0;
            add(s, "activation", 1, build_activation, &p, "activation_%s_T300B7F33%s", g_act[f], val_tag(avals[k]));
        }

    /* activation affine (1.1): every alpha/beta row on plain values, the
     * value patterns on the negative-alpha and zero-alpha rows */
    for (int r = 0; r < (int)(sizeof g_affine / sizeof g_affine[0]); r++)
        for (int k = 0; k < 6; k++) {
            if (k && r != 2 && r != 3) continue;
            memset(&p, 0, sizeof p);
            p.a = r, p.T = 5, p.B = 3, p.I = 7, p.vals = avals[k], p.bf = k == 1;
            add(s, "activation", 0, build_affine, &p, "activation_affine%s_T5B3F7%s%s", g_affine[r].tag,
                p.bf ? "_bf" : "", val_tag(avals[k]));
        }

    /* softmax, log_softmax */
    for (int op = 0; op < 2; op++) {
        const char *nm = op ? "log_softmax" : "softmax";
        static const int axes[] = {99, -1, 0, 1, 2};
        for (int k = 0; k < 5; k++)
            for (int bf = 0; bf < 2; bf++) {
                memset(&p, 0, sizeof p);
                p.op = op, p.T = 4, p.B = 3, p.I = 6, p.a = axes[k], p.bf = bf;
                add(s, "softmax", bf && k > 1, build_softmax, &p, "%s_axis%s_T4B3F6%s", nm,
                    axes[k] == 99 ? "default" : axes[k] == -1 ? "-1" : axes[k] == 0 ? "0" : axes[k] == 1 ? "1" : "2",
                    bf ? "_bf" : "");
            }
        static const int svals[] = {CF_VAL_SAT, CF_VAL_HUGE, CF_VAL_NAN, CF_VAL_INF, CF_VAL_NEGINF_ROW, CF_VAL_DENORM};
        for (int k = 0; k < 6; k++) {
            memset(&p, 0, sizeof p);
            p.op = op, p.T = 4, p.B = 3, p.I = 6, p.a = -1, p.vals = svals[k];
            add(s, "softmax", 0, build_softmax, &p, "%s_axis-1_T4B3F6%s", nm, val_tag(svals[k]));
            p.a = 0;
            add(s, "softmax", 1, build_softmax, &p, "%s_axis0_T4B3F6%s", nm, val_tag(svals[k]));
        }
        memset(&p, 0, sizeof p);
        p.op = op, p.T = 3, p.B = 2, p.I = 1, p.a = -1; /* a single class: softmax 1, log_softmax 0 */
        add(s, "softmax", 0, build_softmax, &p, "%s_axis-1_T3B2F1", nm);
        p.T = 7, p.B = 5, p.I = 257;
        add(s, "softmax", 0, build_softmax, &p, "%s_axis-1_T7B5F257", nm);
        p.T = 1000, p.B = 4, p.I = 96, p.a = 0;
        add(s, "softmax", 1, build_softmax, &p, "%s_axis0_T1000B4F96", nm);
        p.T = 50, p.B = 4, p.I = 10000, p.a = -1;
        add(s, "softmax", 1, build_softmax, &p, "%s_axis-1_T50B4F10000", nm);
    }

    /* dropout */
    memset(&p, 0, sizeof p);
    p.T = 5, p.B = 3, p.I = 4;
    add(s, "dropout", 0, build_dropout, &p, "dropout_T5B3F4");
    p.vals = CF_VAL_NAN, p.bf = 1;
    add(s, "dropout", 0, build_dropout, &p, "dropout_T5B3F4_bf_nan");

    /* add, mul */
    for (int op = 0; op < 2; op++) {
        static const int bvals[] = {CF_VAL_NORMAL, CF_VAL_INF, CF_VAL_NAN, CF_VAL_DENORM};
        for (int k = 0; k < 4; k++) {
            memset(&p, 0, sizeof p);
            p.op = op, p.T = 5, p.B = 3, p.I = 7, p.vals = bvals[k], p.bf = k == 2;
            add(s, "elementwise", 0, build_binary, &p, "%s_T5B3F7%s%s", op ? "mul" : "add", p.bf ? "_bf" : "",
                val_tag(bvals[k]));
        }
        memset(&p, 0, sizeof p);
        p.op = op, p.T = 1000, p.B = 3, p.I = 257;
        add(s, "elementwise", 1, build_binary, &p, "%s_T1000B3F257", op ? "mul" : "add");
    }

    /* concat */
    for (int bf = 0; bf < 2; bf++) {
        static const int caxes[] = {-1, 2, 0, 1};
        for (int k = 0; k < 4; k++) {
            memset(&p, 0, sizeof p);
            p.T = 4, p.B = 3, p.a = caxes[k], p.bf = bf;
            add(s, "concat", k == 1, build_concat, &p, "concat_axis%d_T4B3%s", caxes[k], bf ? "_bf" : "");
        }
        memset(&p, 0, sizeof p);
        p.T = 4, p.B = 3, p.a = -1, p.bf = bf, p.vals = CF_VAL_NAN;
        add(s, "concat", 1, build_concat, &p, "concat_axis-1_T4B3%s_nan", bf ? "_bf" : "");
    }

    /* select */
    static const int sel[][2] = {{0, -1}, {0, 0}, {1, -1}, {1, 1}, {2, -2}, {-1, 0}};
    for (size_t k = 0; k < sizeof sel / sizeof sel[0]; k++)
        for (int bf = 0; bf < 2; bf++) {
            memset(&p, 0, sizeof p);
            p.T = 4, p.B = 3, p.I = 5, p.a = sel[k][0], p.c = sel[k][1], p.bf = bf;
            add(s, "select", bf && k > 1, build_select, &p, "select_axis%d_index%d_T4B3F5%s", sel[k][0], sel[k][1],
                bf ? "_bf" : "");
        }

    /* last_step, mean_pool */
    for (int op = 0; op < 2; op++) {
        const char *nm = op ? "mean_pool" : "last_step";
        static const int plens[] = {CF_LEN_NONE, CF_LEN_MIXED, CF_LEN_ZERO, CF_LEN_FULL, CF_LEN_ONE, CF_LEN_RANDOM};
        for (int k = 0; k < 6; k++)
            for (int bf = 0; bf < 2; bf++) {
                memset(&p, 0, sizeof p);
                p.op = op, p.T = 6, p.B = 5, p.I = 4, p.lens = plens[k], p.bf = bf;
                add(s, "pool", k > 3, build_pool, &p, "%s_T6B5F4%s%s", nm, bf ? "_bf" : "", len_tag(plens[k]));
            }
        static const int pv[] = {CF_VAL_PADNAN, CF_VAL_PADBIG, CF_VAL_NAN, CF_VAL_INF, CF_VAL_SAT};
        for (int k = 0; k < 5; k++) {
            memset(&p, 0, sizeof p);
            p.op = op, p.T = 6, p.B = 5, p.I = 4, p.lens = CF_LEN_MIXED, p.vals = pv[k], p.bf = k & 1;
            add(s, "pool", 0, build_pool, &p, "%s_T6B5F4%s%s%s", nm, p.bf ? "_bf" : "", len_tag(p.lens), val_tag(pv[k]));
        }
        memset(&p, 0, sizeof p);
        p.op = op, p.T = 1, p.B = 1, p.I = 1, p.lens = CF_LEN_FULL;
        add(s, "pool", 0, build_pool, &p, "%s_T1B1F1_len-full", nm);
        p.T = 1000, p.B = 6, p.I = 33, p.lens = CF_LEN_RANDOM, p.bf = 1;
        add(s, "pool", 1, build_pool, &p, "%s_T1000B6F33_bf_len-rand", nm);
    }

    /* embedding, one_hot */
    for (int op = 0; op < 2; op++) {
        const char *nm = op ? "one_hot" : "embedding";
        memset(&p, 0, sizeof p);
        p.op = op, p.T = 5, p.B = 3, p.I = 11, p.H = 6;
        add(s, "ids", 0, build_embedding, &p, "%s_T5B3V11", nm);
        p.bf = 1;
        add(s, "ids", 0, build_embedding, &p, "%s_T5B3V11_bf", nm);
        p.a = 1;
        add(s, "ids", 0, build_embedding, &p, "%s_T5B3V11_bf_i64", nm);
        p.a = 0, p.bf = 0, p.I = 1, p.H = 1, p.T = 1, p.B = 1;
        add(s, "ids", 0, build_embedding, &p, "%s_T1B1V1", nm);
        p.I = 10000, p.H = 257, p.T = 50, p.B = 8;
        add(s, "ids", 1, build_embedding, &p, "%s_T50B8V10000", nm);
    }
}
