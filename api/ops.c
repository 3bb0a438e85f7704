/*
 * The op schema of the model-format spec (see ops.h): one row per op, its
 * attribute tables, and the lookups the core makes in them. The hooks the
 * rows name are in op_basic.c, op_recurrent.c and op_attention.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "op_hooks.h"
#include "ops.h"
#define OFF(f) offsetof(sq_attrs, f)
#define DIM_MAX SQ_MAX_ATTR_DIM
#define INT_ANY ((int64_t)1 << 40)

static const char *const g_act_names[] = {"relu", "tanh", "sigmoid", "gelu", NULL};
static const int g_act_values[] = {SQ_ACT_RELU, SQ_ACT_TANH, SQ_ACT_SIGMOID, SQ_ACT_GELU};
/* The activation op's functions: those above, and affine since 1.1. */
static const char *const g_fn_names[] = {"relu", "tanh", "sigmoid", "gelu", "affine", NULL};
static const int g_fn_values[] = {SQ_ACT_RELU, SQ_ACT_TANH, SQ_ACT_SIGMOID, SQ_ACT_GELU, SQ_ACT_AFFINE};
static const int g_fn_since[] = {0, 0, 0, 0, 1};
static const char *const g_nl_names[] = {"tanh", "relu", NULL};
static const int g_nl_values[] = {SQ_ACT_TANH, SQ_ACT_RELU};
static const char *const g_score_names[] = {"dot", "scaled_dot", "general", "additive", NULL};
static const int g_score_values[] = {SQ_SCORE_DOT, SQ_SCORE_SCALED_DOT, SQ_SCORE_GENERAL,
                                     SQ_SCORE_ADDITIVE};

#define A_INT(n, f, req, d, lo, hi) \
    {.name = n, .type = SQ_AT_INT, .offset = OFF(f), .required = req, .def = d, .min = lo, .max = hi}
#define A_BOOL(n, f, d) {.name = n, .type = SQ_AT_BOOL, .offset = OFF(f), .def = d, .min = 0, .max = 1}
#define A_FLOAT(n, f, d, lo, hi) {.name = n, .type = SQ_AT_FLOAT, .offset = OFF(f), .def = d, .min = lo, .max = hi}
#define A_ENUM(n, f, req, d, nm, vals) \
    {.name = n, .type = SQ_AT_ENUM, .offset = OFF(f), .required = req, .def = d, .names = nm, .values = vals}
#define A_LIST(n, f, t, nm, vals) {.name = n, .type = t, .offset = OFF(f), .max = SQ_ACTS_MAX, .names = nm, .values = vals, .since = 1}
#define A_END {.name = NULL}

/* Gate functions (format 1.1 `activations`): ONNX's names, in any case. */
static const char *const g_gate_fn_names[] = {"sigmoid", "tanh", "relu", "affine", "leakyrelu",
                                              "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu",
                                              "softsign", "softplus", NULL};
static const int g_gate_fn_values[] = {SQ_GF_SIGMOID, SQ_GF_TANH, SQ_GF_RELU, SQ_GF_AFFINE,
                                       SQ_GF_LEAKY_RELU, SQ_GF_THRESHOLDED_RELU, SQ_GF_SCALED_TANH,
                                       SQ_GF_HARD_SIGMOID, SQ_GF_ELU, SQ_GF_SOFTSIGN, SQ_GF_SOFTPLUS};
static const char *const g_dir_names[] = {"forward", "reverse", "bidirectional", NULL};
static const int g_dir_values[] = {SQ_DIR_FORWARD, SQ_DIR_REVERSE, SQ_DIR_BIDIRECTIONAL};
/* The op's own gate functions, used where `activations` is absent. */
static const int g_lstm_fns[] = {SQ_GF_SIGMOID, SQ_GF_TANH, SQ_GF_TANH};
static const int g_gru_fns[] = {SQ_GF_SIGMOID, SQ_GF_TANH};
static const int g_rnn_fns[] = {SQ_GF_TANH}; /* or relu, as `nonlinearity` says */

/* Recurrent attributes shared by lstm, gru and rnn (the last five: 1.1). */
#define A_RECURRENT                                                                          \
    A_INT("input_size", input_size, true, 0, 1, DIM_MAX),                                    \
        A_INT("hidden_size", hidden_size, true, 0, 1, DIM_MAX),                              \
        A_INT("num_layers", num_layers, false, 1, 1, 64),                                    \
        A_BOOL("bidirectional", bidirectional, 0), A_BOOL("bias", bias, 1),                  \
        A_FLOAT("dropout", dropout, 0, 0, 1),                                                \
        {.name = "direction", .type = SQ_AT_ENUM, .offset = OFF(direction), .def = SQ_DIR_FORWARD, \
         .names = g_dir_names, .values = g_dir_values, .since = 1},                          \
        {.name = "clip", .type = SQ_AT_FLOAT, .offset = OFF(clip), .def = 0, .min = 0, .max = INT_ANY, .since = 1}, \
        A_LIST("activations", activations, SQ_AT_ENUM_LIST, g_gate_fn_names, g_gate_fn_values), \
        A_LIST("activation_alpha", activation_alpha, SQ_AT_FLOAT_LIST, NULL, NULL),          \
        A_LIST("activation_beta", activation_beta, SQ_AT_FLOAT_LIST, NULL, NULL)

static const sq_attr_spec g_lstm_attrs[] = {
    A_RECURRENT,
    A_INT("proj_size", proj_size, false, 0, 0, DIM_MAX),
    A_BOOL("peephole", peephole, 0),
    A_BOOL("coupled", coupled, 0),
    {.name = "input_forget", .type = SQ_AT_BOOL, .offset = OFF(input_forget), .def = 0, .min = 0, .max = 1,
     .since = 1},
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
/* alpha and beta (1.1) belong to affine: check_activation refuses them
 * with another function. */
static const sq_attr_spec g_activation_attrs[] = {
    {.name = "function", .type = SQ_AT_ENUM, .offset = OFF(function), .required = true, .names = g_fn_names,
     .values = g_fn_values, .value_since = g_fn_since},
    {.name = "alpha", .type = SQ_AT_FLOAT, .offset = OFF(act_alpha), .def = 1, .min = -INT_ANY, .max = INT_ANY,
     .since = 1},
    {.name = "beta", .type = SQ_AT_FLOAT, .offset = OFF(act_beta), .def = 0, .min = -INT_ANY, .max = INT_ANY,
     .since = 1},
    A_END};

static bool check_activation(const sq_layer *L, sq_attr_mask given, char *why, size_t n)
{
    if (L->a.function == SQ_ACT_AFFINE) return true;
    const char *a = sq_attr_given(L, given, "alpha") ? "alpha" : sq_attr_given(L, given, "beta") ? "beta" : NULL;
    if (!a) return true;
    snprintf(why, n, "attribute '%s' is only meaningful for function \"affine\" (function is \"%s\")", a,
             g_fn_names[L->a.function]);
    return false;
}
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

/* Slots: a float or int value; a recurrent state (carried by streaming from
 * output `out`); ids bounded by an attribute; lengths bounded by the T of
 * the first present of two slots. */
#define S_F(n, req) {.name = n, .required = req, .kind = SQ_SLOT_FLOAT}
#define S_LIST(n) {.name = n, .required = true, .list = true, .kind = SQ_SLOT_FLOAT}
#define S_STATE(n, st, out) {.name = n, .kind = SQ_SLOT_FLOAT, .state = st, .final = out}
#define S_IDS(what, attr) \
    {.name = "x", .required = true, .kind = SQ_SLOT_INT, .id_what = what, .id_limit = OFF(attr)}
#define S_LENGTHS_OF(a, b) {.name = "lengths", .kind = SQ_SLOT_INT, .time_of = {a, b}}
#define S_LENGTHS S_LENGTHS_OF(SQ_SLOT_X, SQ_SLOT_X)
#define S_NONE {.name = NULL}
#define X_ONLY {S_F("x", true), S_NONE, S_NONE, S_NONE}
#define X_LENGTHS {S_F("x", true), S_NONE, S_NONE, S_LENGTHS}
#define MAIN_ONLY {"", NULL, NULL}

static const sq_op_schema g_ops[SQ_OP_COUNT] = {
    [SQ_OP_EMBEDDING] = {.name = "embedding",
                         .slots = {S_IDS("id", num_embeddings), S_NONE, S_NONE, S_NONE},
                         .outputs = MAIN_ONLY, .attrs = g_embedding_attrs, .stream = SQ_STREAM_PER_STEP,
                         .infer = sq_infer_embedding, .weights = sq_weights_embedding},
    [SQ_OP_ONE_HOT] = {.name = "one_hot", .slots = {S_IDS("index", depth), S_NONE, S_NONE, S_NONE},
                       .outputs = MAIN_ONLY, .attrs = g_one_hot_attrs, .stream = SQ_STREAM_PER_STEP,
                       .infer = sq_infer_one_hot},
    [SQ_OP_LSTM] = {.name = "lstm",
                    .slots = {S_F("x", true), S_STATE("h0", "h", SQ_OUT_H_N), S_STATE("c0", "c", SQ_OUT_C_N),
                              S_LENGTHS},
                    .outputs = {"", "h_n", "c_n"}, .attrs = g_lstm_attrs, .gates = 4, .gate_fns = 3,
                    .gate_fn_defaults = g_lstm_fns, .stream = SQ_STREAM_CARRIED, .infer = sq_infer_recurrent,
                    .check = sq_check_recurrent, .derive = sq_derive_recurrent,
                    .weights = sq_weights_recurrent, .flops = sq_flops_recurrent},
    [SQ_OP_GRU] = {.name = "gru", .slots = {S_F("x", true), S_STATE("h0", "h", SQ_OUT_H_N), S_NONE, S_LENGTHS},
                   .outputs = {"", "h_n", NULL}, .attrs = g_gru_attrs, .gates = 3, .gate_fns = 2,
                   .gate_fn_defaults = g_gru_fns, .stream = SQ_STREAM_CARRIED, .infer = sq_infer_recurrent,
                   .check = sq_check_recurrent, .derive = sq_derive_recurrent, .weights = sq_weights_recurrent, .flops = sq_flops_recurrent},
    [SQ_OP_RNN] = {.name = "rnn", .slots = {S_F("x", true), S_STATE("h0", "h", SQ_OUT_H_N), S_NONE, S_LENGTHS},
                   .outputs = {"", "h_n", NULL}, .attrs = g_rnn_attrs, .gates = 1, .gate_fns = 1,
                   .gate_fn_defaults = g_rnn_fns, .stream = SQ_STREAM_CARRIED, .infer = sq_infer_recurrent,
                   .check = sq_check_recurrent, .derive = sq_derive_recurrent, .weights = sq_weights_recurrent, .flops = sq_flops_recurrent},
    [SQ_OP_LINEAR] = {.name = "linear", .slots = X_ONLY, .outputs = MAIN_ONLY, .attrs = g_linear_attrs,
                      .stream = SQ_STREAM_PER_STEP, .infer = sq_infer_linear, .weights = sq_weights_linear,
                      .flops = sq_flops_linear},
    [SQ_OP_ACTIVATION] = {.name = "activation", .slots = X_ONLY, .outputs = MAIN_ONLY,
                          .attrs = g_activation_attrs, .stream = SQ_STREAM_PER_STEP, .infer = sq_infer_same,
                          .check = check_activation},
    [SQ_OP_SOFTMAX] = {.name = "softmax", .slots = X_ONLY, .outputs = MAIN_ONLY, .attrs = g_axis_attrs,
                       .stream = SQ_STREAM_LAST_AXIS, .infer = sq_infer_same_axis},
    [SQ_OP_LOG_SOFTMAX] = {.name = "log_softmax", .slots = X_ONLY, .outputs = MAIN_ONLY, .attrs = g_axis_attrs,
                           .stream = SQ_STREAM_LAST_AXIS, .infer = sq_infer_same_axis},
    [SQ_OP_DROPOUT] = {.name = "dropout", .slots = X_ONLY, .outputs = MAIN_ONLY, .attrs = g_dropout_attrs,
                       .stream = SQ_STREAM_PER_STEP, .infer = sq_infer_same},
    [SQ_OP_ADD] = {.name = "add", .slots = {S_F("a", true), S_F("b", true), S_NONE, S_NONE},
                   .outputs = MAIN_ONLY, .attrs = g_no_attrs, .stream = SQ_STREAM_PER_STEP,
                   .infer = sq_infer_binary},
    [SQ_OP_MUL] = {.name = "mul", .slots = {S_F("a", true), S_F("b", true), S_NONE, S_NONE},
                   .outputs = MAIN_ONLY, .attrs = g_no_attrs, .stream = SQ_STREAM_PER_STEP,
                   .infer = sq_infer_binary},
    [SQ_OP_CONCAT] = {.name = "concat", .slots = {S_LIST("x"), S_NONE, S_NONE, S_NONE}, .outputs = MAIN_ONLY,
                      .attrs = g_axis_attrs, .stream = SQ_STREAM_LAST_AXIS, .infer = sq_infer_concat},
    [SQ_OP_SELECT] = {.name = "select", .slots = X_ONLY, .outputs = MAIN_ONLY, .attrs = g_select_attrs,
                      .stream = SQ_STREAM_WHOLE, .infer = sq_infer_select},
    [SQ_OP_LAST_STEP] = {.name = "last_step", .slots = X_LENGTHS, .outputs = MAIN_ONLY, .attrs = g_no_attrs,
                         .stream = SQ_STREAM_WHOLE, .infer = sq_infer_pool},
    [SQ_OP_MEAN_POOL] = {.name = "mean_pool", .slots = X_LENGTHS, .outputs = MAIN_ONLY, .attrs = g_no_attrs,
                         .stream = SQ_STREAM_WHOLE, .infer = sq_infer_pool},
    [SQ_OP_ATTENTION] = {.name = "attention",
                         .slots = {S_F("query", true), S_F("keys", true), S_F("values", false),
                                   S_LENGTHS_OF(SQ_SLOT_KEYS, SQ_SLOT_QUERY)},
                         .outputs = {"", "weights", NULL}, .attrs = g_attention_attrs, .stream = SQ_STREAM_WHOLE,
                         .infer = sq_infer_attention, .check = sq_check_attention,
                         .weights = sq_weights_attention, .flops = sq_flops_attention},
    [SQ_OP_ATTENTION_POOL] = {.name = "attention_pool", .slots = X_LENGTHS, .outputs = {"", "weights", NULL},
                              .attrs = g_attention_pool_attrs, .stream = SQ_STREAM_WHOLE,
                              .infer = sq_infer_attention_pool, .weights = sq_weights_attention_pool,
                              .flops = sq_flops_attention_pool},
    [SQ_OP_MULTIHEAD_ATTENTION] = {.name = "multihead_attention",
                                   .slots = {S_F("query", true), S_F("key", false), S_F("value", false),
                                             S_LENGTHS_OF(SQ_SLOT_KEYS, SQ_SLOT_QUERY)},
                                   .outputs = {"", "weights", NULL}, .attrs = g_mha_attrs,
                                   .stream = SQ_STREAM_WHOLE, .infer = sq_infer_mha, .check = sq_check_mha,
                                   .weights = sq_weights_mha, .flops = sq_flops_mha},
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

bool sq_attr_given(const sq_layer *L, sq_attr_mask given, const char *name)
{
    const sq_attr_spec *a = g_ops[L->op].attrs;
    for (int i = 0; i < 64 && a[i].name; i++)
        if (!strcmp(a[i].name, name)) return (given >> i) & 1u;
    return false;
}

int sq_gates(const sq_layer *L) { return g_ops[L->op].gates; }

bool sq_is_recurrent(sq_op op) { return op >= 0 && op < SQ_OP_COUNT && g_ops[op].gates > 0; }

void sq_weight_spec_add(sq_weight_spec *out, int max, int *n, const char *param, int index, int rank, int64_t d0,
                        int64_t d1, bool optional)
{
    if (*n >= max) return;
    sq_weight_spec *s = &out[(*n)++];
    snprintf(s->param, sizeof s->param, "%s", param);
    s->index = index;
    s->rank = rank;
    s->dims[0] = d0;
    s->dims[1] = d1;
    s->optional = optional;
}

int sq_layer_weight_specs(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    const sq_op_schema *s = &g_ops[L->op];
    *nw = 0;
    return s->weights ? s->weights(L, out, max, nw) : 0;
}
