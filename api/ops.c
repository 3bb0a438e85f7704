/* The op table of the model-format spec (see ops.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

#define OFF(f) offsetof(sq_attrs, f)
#define DIM_MAX SQ_MAX_ATTR_DIM
#define INT_ANY ((int64_t)1 << 40)

static const char *const g_act_names[] = {"relu", "tanh", "sigmoid", "gelu", NULL};
static const int g_act_values[] = {SQ_ACT_RELU, SQ_ACT_TANH, SQ_ACT_SIGMOID, SQ_ACT_GELU};
static const char *const g_nl_names[] = {"tanh", "relu", NULL};
static const int g_nl_values[] = {SQ_ACT_TANH, SQ_ACT_RELU};
static const char *const g_score_names[] = {"dot", "scaled_dot", "general", "additive", NULL};
static const int g_score_values[] = {SQ_SCORE_DOT, SQ_SCORE_SCALED_DOT, SQ_SCORE_GENERAL,
                                     SQ_SCORE_ADDITIVE};

#define A_INT(n, f, req, d, lo, hi) {n, SQ_AT_INT, OFF(f), req, d, lo, hi, NULL, NULL}
#define A_BOOL(n, f, d) {n, SQ_AT_BOOL, OFF(f), false, d, 0, 1, NULL, NULL}
#define A_FLOAT(n, f, d, lo, hi) {n, SQ_AT_FLOAT, OFF(f), false, d, lo, hi, NULL, NULL}
#define A_ENUM(n, f, req, d, names, vals) {n, SQ_AT_ENUM, OFF(f), req, d, 0, 0, names, vals}
#define A_END {NULL, 0, 0, false, 0, 0, 0, NULL, NULL}

/* Recurrent attributes shared by lstm, gru and rnn. */
#define A_RECURRENT                                                                          \
    A_INT("input_size", input_size, true, 0, 1, DIM_MAX),                                    \
        A_INT("hidden_size", hidden_size, true, 0, 1, DIM_MAX),                              \
        A_INT("num_layers", num_layers, false, 1, 1, 64),                                    \
        A_BOOL("bidirectional", bidirectional, 0), A_BOOL("bias", bias, 1),                  \
        A_FLOAT("dropout", dropout, 0, 0, 1)

static const sq_attr_spec g_lstm_attrs[] = {
    A_RECURRENT,
    A_INT("proj_size", proj_size, false, 0, 0, DIM_MAX),
    A_BOOL("peephole", peephole, 0),
    A_BOOL("coupled", coupled, 0),
    A_END};
static const sq_attr_spec g_gru_attrs[] = {
    A_RECURRENT, A_BOOL("linear_before_reset", linear_before_reset, 1), A_END};
/* The spec: rnn takes gru's attributes plus nonlinearity (linear_before_reset
 * is accepted and has no effect on a plain RNN). */
static const sq_attr_spec g_rnn_attrs[] = {
    A_RECURRENT,
    A_BOOL("linear_before_reset", linear_before_reset, 1),
    A_ENUM("nonlinearity", nonlinearity, false, SQ_ACT_TANH, g_nl_names, g_nl_values),
    A_END};
static const sq_attr_spec g_embedding_attrs[] = {
    A_INT("num_embeddings", num_embeddings, true, 0, 1, DIM_MAX),
    A_INT("embedding_dim", embedding_dim, true, 0, 1, DIM_MAX), A_END};
static const sq_attr_spec g_one_hot_attrs[] = {A_INT("depth", depth, true, 0, 1, DIM_MAX), A_END};
static const sq_attr_spec g_linear_attrs[] = {
    A_INT("in_features", in_features, true, 0, 1, DIM_MAX),
    A_INT("out_features", out_features, true, 0, 1, DIM_MAX), A_BOOL("bias", bias, 1), A_END};
static const sq_attr_spec g_activation_attrs[] = {
    A_ENUM("function", function, true, 0, g_act_names, g_act_values), A_END};
static const sq_attr_spec g_axis_attrs[] = {A_INT("axis", axis, false, -1, -INT_ANY, INT_ANY),
                                            A_END};
static const sq_attr_spec g_dropout_attrs[] = {A_FLOAT("p", p, 0, 0, 1), A_END};
static const sq_attr_spec g_no_attrs[] = {A_END};
static const sq_attr_spec g_select_attrs[] = {A_INT("axis", axis, true, 0, -INT_ANY, INT_ANY),
                                              A_INT("index", index, true, 0, -INT_ANY, INT_ANY),
                                              A_END};
static const sq_attr_spec g_attention_attrs[] = {
    A_ENUM("score", score, true, 0, g_score_names, g_score_values),
    A_INT("attention_size", attention_size, false, 0, 1, DIM_MAX), A_END};
static const sq_attr_spec g_attention_pool_attrs[] = {
    A_INT("hidden", hidden, false, 64, 1, DIM_MAX),
    A_ENUM("activation", activation, false, SQ_ACT_RELU, g_act_names, g_act_values), A_END};
static const sq_attr_spec g_mha_attrs[] = {
    A_INT("embed_dim", embed_dim, true, 0, 1, DIM_MAX),
    A_INT("num_heads", num_heads, true, 0, 1, DIM_MAX), A_BOOL("bias", bias, 1),
    A_BOOL("causal", causal, 0), A_END};

#define S_F(n, req) {n, req, false, SQ_SLOT_FLOAT}
#define S_I(n, req) {n, req, false, SQ_SLOT_INT}
#define S_NONE {NULL, false, false, 0}

static const sq_op_schema g_ops[SQ_OP_COUNT] = {
    [SQ_OP_EMBEDDING] = {"embedding", {S_I("x", true), S_NONE, S_NONE, S_NONE}, {"", NULL, NULL},
                         g_embedding_attrs, true},
    [SQ_OP_ONE_HOT] = {"one_hot", {S_I("x", true), S_NONE, S_NONE, S_NONE}, {"", NULL, NULL},
                       g_one_hot_attrs, true},
    [SQ_OP_LSTM] = {"lstm", {S_F("x", true), S_F("h0", false), S_F("c0", false), S_I("lengths", false)},
                    {"", "h_n", "c_n"}, g_lstm_attrs, false},
    [SQ_OP_GRU] = {"gru", {S_F("x", true), S_F("h0", false), S_NONE, S_I("lengths", false)},
                   {"", "h_n", NULL}, g_gru_attrs, false},
    [SQ_OP_RNN] = {"rnn", {S_F("x", true), S_F("h0", false), S_NONE, S_I("lengths", false)},
                   {"", "h_n", NULL}, g_rnn_attrs, false},
    [SQ_OP_LINEAR] = {"linear", {S_F("x", true), S_NONE, S_NONE, S_NONE}, {"", NULL, NULL},
                      g_linear_attrs, true},
    [SQ_OP_ACTIVATION] = {"activation", {S_F("x", true), S_NONE, S_NONE, S_NONE}, {"", NULL, NULL},
                          g_activation_attrs, true},
    [SQ_OP_SOFTMAX] = {"softmax", {S_F("x", true), S_NONE, S_NONE, S_NONE}, {"", NULL, NULL},
                       g_axis_attrs, true},
    [SQ_OP_LOG_SOFTMAX] = {"log_softmax", {S_F("x", true), S_NONE, S_NONE, S_NONE},
                           {"", NULL, NULL}, g_axis_attrs, true},
    [SQ_OP_DROPOUT] = {"dropout", {S_F("x", true), S_NONE, S_NONE, S_NONE}, {"", NULL, NULL},
                       g_dropout_attrs, true},
    [SQ_OP_ADD] = {"add", {S_F("a", true), S_F("b", true), S_NONE, S_NONE}, {"", NULL, NULL},
                   g_no_attrs, true},
    [SQ_OP_MUL] = {"mul", {S_F("a", true), S_F("b", true), S_NONE, S_NONE}, {"", NULL, NULL},
                   g_no_attrs, true},
    [SQ_OP_CONCAT] = {"concat", {{"x", true, true, SQ_SLOT_FLOAT}, S_NONE, S_NONE, S_NONE},
                      {"", NULL, NULL}, g_axis_attrs, true},
    [SQ_OP_SELECT] = {"select", {S_F("x", true), S_NONE, S_NONE, S_NONE}, {"", NULL, NULL},
                      g_select_attrs, false},
    [SQ_OP_LAST_STEP] = {"last_step", {S_F("x", true), S_NONE, S_NONE, S_I("lengths", false)},
                         {"", NULL, NULL}, g_no_attrs, false},
    [SQ_OP_MEAN_POOL] = {"mean_pool", {S_F("x", true), S_NONE, S_NONE, S_I("lengths", false)},
                         {"", NULL, NULL}, g_no_attrs, false},
    [SQ_OP_ATTENTION] = {"attention",
                         {S_F("query", true), S_F("keys", true), S_F("values", false),
                          S_I("lengths", false)},
                         {"", "weights", NULL}, g_attention_attrs, false},
    [SQ_OP_ATTENTION_POOL] = {"attention_pool",
                              {S_F("x", true), S_NONE, S_NONE, S_I("lengths", false)},
                              {"", "weights", NULL}, g_attention_pool_attrs, false},
    [SQ_OP_MULTIHEAD_ATTENTION] = {"multihead_attention",
                                   {S_F("query", true), S_F("key", false), S_F("value", false),
                                    S_I("lengths", false)},
                                   {"", "weights", NULL}, g_mha_attrs, false},
};

const sq_op_schema *sq_op_schema_get(sq_op op)
{
    return (op >= 0 && op < SQ_OP_COUNT) ? &g_ops[op] : NULL;
}

const char *sq_op_name(sq_op op)
{
    return (op >= 0 && op < SQ_OP_COUNT) ? g_ops[op].name : "?";
}

int sq_op_from_name(const char *name)
{
    for (int i = 0; i < SQ_OP_COUNT; i++)
        if (!strcmp(g_ops[i].name, name)) return i;
    return -1;
}

const char *sq_attr_enum_name(const sq_attr_spec *spec, int value)
{
    for (int i = 0; spec->names && spec->names[i]; i++)
        if (spec->values[i] == value) return spec->names[i];
    return "?";
}

int sq_layer_output_count(const sq_layer *L)
{
    const sq_op_schema *s = sq_op_schema_get(L->op);
    int n = 0;
    while (n < SQ_MAX_OUTS && s->outputs[n]) n++;
    return n;
}

static sq_weight_spec *add_spec(sq_weight_spec *out, int max, int *n, const char *param, int index,
                                int rank, int64_t d0, int64_t d1, bool optional)
{
    if (*n >= max) return NULL;
    sq_weight_spec *s = &out[(*n)++];
    snprintf(s->param, sizeof s->param, "%s", param);
    s->index = index;
    s->rank = rank;
    s->dims[0] = d0;
    s->dims[1] = d1;
    s->optional = optional;
    return s;
}

static int recurrent_specs(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    const sq_attrs *a = &L->a;
    int D = sq_dirs(L), G = sq_gates(L), n = 0;
    int64_t H = a->hidden_size, HO = sq_h_out(L);
    char p[64];
    for (int k = 0; k < a->num_layers; k++) {
        int64_t in = k == 0 ? a->input_size : D * HO;
        for (int d = 0; d < D; d++) {
            const char *s = d ? "_reverse" : "";
            int base = (k * D + d) * SQ_RW_COUNT;
            snprintf(p, sizeof p, "weight_ih_l%d%s", k, s);
            add_spec(out, max, &n, p, base + SQ_RW_IH, 2, G * H, in, false);
            snprintf(p, sizeof p, "weight_hh_l%d%s", k, s);
            add_spec(out, max, &n, p, base + SQ_RW_HH, 2, G * H, HO, false);
            if (a->bias) {
                snprintf(p, sizeof p, "bias_ih_l%d%s", k, s);
                add_spec(out, max, &n, p, base + SQ_RB_IH, 1, G * H, 0, false);
                snprintf(p, sizeof p, "bias_hh_l%d%s", k, s);
                add_spec(out, max, &n, p, base + SQ_RB_HH, 1, G * H, 0, false);
            }
            if (L->op == SQ_OP_LSTM && a->proj_size > 0) {
                snprintf(p, sizeof p, "weight_hr_l%d%s", k, s);
                add_spec(out, max, &n, p, base + SQ_RW_HR, 2, a->proj_size, H, false);
            }
            if (L->op == SQ_OP_LSTM && a->peephole) {
                static const char *names[] = {"pi", "pf", "po"};
                static const int which[] = {SQ_RW_PI, SQ_RW_PF, SQ_RW_PO};
                for (int j = 0; j < 3; j++) {
                    snprintf(p, sizeof p, "weight_%s_l%d%s", names[j], k, s);
                    add_spec(out, max, &n, p, base + which[j], 1, H, 0, false);
                }
            }
        }
    }
    *nw = (int)(a->num_layers * D * SQ_RW_COUNT);
    return n;
}

int sq_layer_weight_specs(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    const sq_attrs *a = &L->a;
    int n = 0;
    *nw = 0;
    switch (L->op) {
    case SQ_OP_LSTM:
    case SQ_OP_GRU:
    case SQ_OP_RNN: return recurrent_specs(L, out, max, nw);
    case SQ_OP_EMBEDDING:
        add_spec(out, max, &n, "weight", SQ_W_EMBEDDING, 2, a->num_embeddings, a->embedding_dim,
                 false);
        *nw = 1;
        break;
    case SQ_OP_LINEAR:
        add_spec(out, max, &n, "weight", SQ_W_LINEAR, 2, a->out_features, a->in_features, false);
        if (a->bias) add_spec(out, max, &n, "bias", SQ_B_LINEAR, 1, a->out_features, 0, false);
        *nw = 2;
        break;
    case SQ_OP_ATTENTION:
        if (a->score == SQ_SCORE_GENERAL) {
            add_spec(out, max, &n, "weight", SQ_W_GENERAL, 2, -1, -1, false);
            *nw = 1;
        } else if (a->score == SQ_SCORE_ADDITIVE) {
            int64_t A = a->attention_size;
            add_spec(out, max, &n, "query.weight", SQ_W_ADD_Q, 2, A, -1, false);
            add_spec(out, max, &n, "key.weight", SQ_W_ADD_K, 2, A, -1, false);
            add_spec(out, max, &n, "key.bias", SQ_B_ADD_K, 1, A, 0, true);
            add_spec(out, max, &n, "v.weight", SQ_W_ADD_V, 2, 1, A, false);
            *nw = 4;
        }
        break;
    case SQ_OP_ATTENTION_POOL:
        add_spec(out, max, &n, "projection.0.weight", SQ_W_POOL0, 2, a->hidden, -1, false);
        add_spec(out, max, &n, "projection.0.bias", SQ_B_POOL0, 1, a->hidden, 0, false);
        add_spec(out, max, &n, "projection.2.weight", SQ_W_POOL2, 2, 1, a->hidden, false);
        add_spec(out, max, &n, "projection.2.bias", SQ_B_POOL2, 1, 1, 0, false);
        *nw = 4;
        break;
    case SQ_OP_MULTIHEAD_ATTENTION: {
        int64_t E = a->embed_dim;
        add_spec(out, max, &n, "in_proj_weight", SQ_W_MHA_IN, 2, 3 * E, E, false);
        if (a->bias) add_spec(out, max, &n, "in_proj_bias", SQ_B_MHA_IN, 1, 3 * E, 0, false);
        add_spec(out, max, &n, "out_proj.weight", SQ_W_MHA_OUT, 2, E, E, false);
        if (a->bias) add_spec(out, max, &n, "out_proj.bias", SQ_B_MHA_OUT, 1, E, 0, false);
        *nw = 4;
        break;
    }
    default: break;
    }
    return n;
}
