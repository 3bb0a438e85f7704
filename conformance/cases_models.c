/*
 * Whole models: the tutorial architectures (vanilla, coupled-gate,
 * peephole and bidirectional LSTM; LSTM + dot attention with the last
 * hidden state as the query; Luong general attention in an
 * encoder-decoder; a self-attention-pooling classifier; char-level LMs with
 * one-hot and with embedding; a small transformer block), in both layouts,
 * small for the quick set and larger (T = 1000) for the full set.
 *
 * Streaming: the streamable ones are also run in chunks of 1 and 7 steps
 * through a streaming session; the assembled outputs must equal the whole
 * run of the same data on the reference backend.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cases.h"

enum {
    M_LSTM_CLASSIFIER, /* vanilla LSTM: embedding -> lstm(lengths) -> last_step -> linear -> log_softmax */
    M_CIFG_LM,         /* coupled-gate LSTM LM: embedding -> lstm(coupled, 2 layers) -> linear -> log_softmax */
    M_PEEPHOLE,        /* peephole LSTM regressor: x -> lstm(peephole, proj) -> linear */
    M_BILSTM_TAGGER,   /* embedding -> bilstm(2 layers, lengths) -> linear -> log_softmax; + mean_pool */
    M_DOT_ATTENTION,   /* embedding -> lstm(lengths) -> select(h_n, -1) as query -> dot attention -> linear */
    M_LUONG,           /* encoder-decoder with Luong general attention */
    M_ATTPOOL,         /* embedding -> bilstm(lengths) -> attention_pool -> linear -> softmax */
    M_CHARLM_ONEHOT,   /* one_hot -> lstm(2 layers) -> linear -> log_softmax */
    M_CHARLM_EMBED,    /* embedding -> lstm -> linear -> softmax */
    M_CHARLM_STATE,    /* embedding -> lstm(h0, c0 inputs) -> linear */
    M_GRU_TAGGER,      /* x -> gru(h0) -> linear -> tanh -> dropout */
    M_RNN_RELU,        /* x -> rnn(relu, 2 layers) -> linear -> add(x-sized residual) */
    M_TRANSFORMER,     /* x -> mha(causal, lengths) -> add -> linear -> gelu -> linear */
    M_COUNT
};

static const char *const g_model_name[M_COUNT] = {
    "lstm_classifier", "cifg_lstm_lm", "peephole_lstm", "bilstm_tagger", "lstm_dot_attention",
    "luong_encoder_decoder", "attention_pool_classifier", "charlm_onehot", "charlm_embedding",
    "charlm_embedding_state", "gru_tagger", "rnn_relu_residual", "transformer_block"};

/* p: op = model, T, B, I = V (vocabulary) or feature width, P = E (embedding),
 * H = hidden, lens, bf, a = S (source length, Luong) */
static void build_model(cf_builder *b, const cf_params *p)
{
    const int T = p->T, B = p->B, V = p->I, E = p->P, H = p->H;
    int32_t *lens = NULL;
    char tmp[64];
    switch (p->op) {
    case M_LSTM_CLASSIFIER:
        lens = cf_in_lengths(b, "lengths", B, T, p->lens);
        cf_in_ids(b, "tokens", "T", T, B, V, 0);
        cf_weight(b, "embed.weight", V, E, 1.0);
        cf_rnn_weights(b, "rnn", "lstm", E, H, 1, 0, 0, 0, 0, 1, 1.0);
        cf_weight(b, "fc.weight", 5, H, 1.0 / sqrt(H));
        cf_weight(b, "fc.bias", 5, 0, 1.0 / sqrt(H));
        cf_layer(b, "{'op': 'embedding', 'name': 'embed', 'inputs': {'x': 'tokens'}, 'num_embeddings': %d, 'embedding_dim': %d}", V, E);
        cf_layer(b, "{'op': 'lstm', 'name': 'rnn', 'inputs': {'x': 'embed'%s}, 'input_size': %d, 'hidden_size': %d}",
                 lens ? ", 'lengths': 'lengths'" : "", E, H);
        cf_layer(b, "{'op': 'last_step', 'name': 'last', 'inputs': {'x': 'rnn'%s}}", lens ? ", 'lengths': 'lengths'" : "");
        cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'last'}, 'in_features': %d, 'out_features': 5}", H);
        cf_layer(b, "{'op': 'log_softmax', 'name': 'logp', 'inputs': {'x': 'fc'}}");
        cf_output(b, "logp");
        cf_output(b, "rnn:h_n");
        cf_describe(b, "vanilla LSTM classifier: embedding %dx%d -> lstm H=%d -> last_step -> linear -> log_softmax", V, E, H);
        break;
    case M_CIFG_LM:
        cf_in_ids(b, "tokens", "T", T, B, V, 0);
        cf_weight(b, "embed.weight", V, E, 1.0);
        cf_rnn_weights(b, "rnn", "lstm", E, H, 2, 0, 0, 0, 1, 1, 1.0);
        cf_weight(b, "fc.weight", V, H, 1.0 / sqrt(H));
        cf_weight(b, "fc.bias", V, 0, 1.0 / sqrt(H));
        cf_layer(b, "{'op': 'embedding', 'name': 'embed', 'inputs': {'x': 'tokens'}, 'num_embeddings': %d, 'embedding_dim': %d}", V, E);
        cf_layer(b, "{'op': 'lstm', 'name': 'rnn', 'inputs': {'x': 'embed'}, 'input_size': %d, 'hidden_size': %d, 'num_layers': 2, 'coupled': true}", E, H);
        cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'rnn'}, 'in_features': %d, 'out_features': %d}", H, V);
        cf_layer(b, "{'op': 'log_softmax', 'name': 'logp', 'inputs': {'x': 'fc'}}");
        cf_output(b, "logp");
        cf_output(b, "rnn:h_n");
        cf_output(b, "rnn:c_n");
        cf_describe(b, "coupled-gate (CIFG) LSTM LM: embedding -> 2-layer coupled lstm H=%d -> linear -> log_softmax", H);
        break;
    case M_PEEPHOLE:
        cf_in_seq(b, "x", "T", T, B, V, CF_VAL_NORMAL, NULL);
        cf_rnn_weights(b, "rnn", "lstm", V, H, 1, 0, H / 2, 1, 0, 1, 1.0);
        cf_weight(b, "out.weight", 1, H / 2, 1.0 / sqrt(H));
        cf_weight(b, "out.bias", 1, 0, 0.1);
        cf_layer(b, "{'op': 'lstm', 'name': 'rnn', 'inputs': {'x': 'x'}, 'input_size': %d, 'hidden_size': %d, 'proj_size': %d, 'peephole': true}", V, H, H / 2);
        cf_layer(b, "{'op': 'linear', 'name': 'out', 'inputs': {'x': 'rnn'}, 'in_features': %d, 'out_features': 1}", H / 2);
        cf_output(b, "out");
        cf_output(b, "rnn:c_n");
        cf_describe(b, "peephole LSTM regressor: lstm(peephole, H=%d, proj %d) -> linear -> 1", H, H / 2);
        break;
    case M_BILSTM_TAGGER:
        lens = cf_in_lengths(b, "lengths", B, T, p->lens);
        cf_in_ids(b, "tokens", "T", T, B, V, 0);
        cf_weight(b, "embed.weight", V, E, 1.0);
        cf_rnn_weights(b, "rnn", "lstm", E, H, 2, 1, 0, 0, 0, 1, 1.0);
        cf_weight(b, "tag.weight", 7, 2 * H, 1.0 / sqrt(2 * H));
        cf_weight(b, "tag.bias", 7, 0, 0.1);
        cf_layer(b, "{'op': 'embedding', 'name': 'embed', 'inputs': {'x': 'tokens'}, 'num_embeddings': %d, 'embedding_dim': %d}", V, E);
        cf_layer(b, "{'op': 'lstm', 'name': 'rnn', 'inputs': {'x': 'embed'%s}, 'input_size': %d, 'hidden_size': %d, 'num_layers': 2, 'bidirectional': true}",
                 lens ? ", 'lengths': 'lengths'" : "", E, H);
        cf_layer(b, "{'op': 'linear', 'name': 'tag', 'inputs': {'x': 'rnn'}, 'in_features': %d, 'out_features': 7}", 2 * H);
        cf_layer(b, "{'op': 'log_softmax', 'name': 'logp', 'inputs': {'x': 'tag'}}");
        cf_layer(b, "{'op': 'mean_pool', 'name': 'avg', 'inputs': {'x': 'rnn'%s}}", lens ? ", 'lengths': 'lengths'" : "");
        cf_output(b, "logp");
        cf_output(b, "avg");
        cf_output(b, "rnn:h_n");
        cf_describe(b, "bidirectional LSTM tagger: embedding -> 2-layer bilstm H=%d -> linear -> log_softmax per step; mean_pool", H);
        break;
    case M_DOT_ATTENTION:
        lens = cf_in_lengths(b, "lengths", B, T, p->lens);
        cf_in_ids(b, "tokens", "T", T, B, V, 0);
        cf_weight(b, "embed.weight", V, E, 1.0);
        cf_rnn_weights(b, "rnn", "lstm", E, H, 1, 0, 0, 0, 0, 1, 1.0);
        cf_weight(b, "fc.weight", 4, 2 * H, 1.0 / sqrt(2 * H));
        cf_weight(b, "fc.bias", 4, 0, 0.1);
        cf_layer(b, "{'op': 'embedding', 'name': 'embed', 'inputs': {'x': 'tokens'}, 'num_embeddings': %d, 'embedding_dim': %d}", V, E);
        cf_layer(b, "{'op': 'lstm', 'name': 'rnn', 'inputs': {'x': 'embed'%s}, 'input_size': %d, 'hidden_size': %d}",
                 lens ? ", 'lengths': 'lengths'" : "", E, H);
        cf_layer(b, "{'op': 'select', 'name': 'last', 'inputs': {'x': 'rnn:h_n'}, 'axis': 0, 'index': -1}");
        cf_layer(b, "{'op': 'attention', 'name': 'att', 'inputs': {'query': 'last', 'keys': 'rnn'%s}, 'score': 'dot'}",
                 lens ? ", 'lengths': 'lengths'" : "");
        cf_layer(b, "{'op': 'concat', 'name': 'cat', 'inputs': {'x': ['att', 'last']}}");
        cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'cat'}, 'in_features': %d, 'out_features': 4}", 2 * H);
        cf_layer(b, "{'op': 'softmax', 'name': 'probs', 'inputs': {'x': 'fc'}}");
        cf_output(b, "probs");
        cf_output(b, "att:weights");
        cf_describe(b, "LSTM + dot attention, the last hidden state (h_n) as the query; [context; h] -> linear -> softmax");
        break;
    case M_LUONG: {
        const int S = p->a;
        lens = cf_in_lengths(b, "src_lengths", B, S, p->lens);
        cf_in_ids(b, "src", "S", S, B, V, 0);
        cf_in_ids(b, "tgt", "T", T, B, V, 0);
        cf_weight(b, "src_embed.weight", V, E, 1.0);
        cf_weight(b, "tgt_embed.weight", V, E, 1.0);
        cf_rnn_weights(b, "enc", "lstm", E, H, 1, 0, 0, 0, 0, 1, 1.0);
        cf_rnn_weights(b, "dec", "lstm", E, H, 1, 0, 0, 0, 0, 1, 1.0);
        cf_weight(b, "att.weight", H, H, 1.0 / sqrt(H));
        cf_weight(b, "comb.weight", H, 2 * H, 1.0 / sqrt(2 * H));
        cf_weight(b, "out.weight", V, H, 1.0 / sqrt(H));
        cf_weight(b, "out.bias", V, 0, 0.1);
        cf_layer(b, "{'op': 'embedding', 'name': 'src_embed', 'inputs': {'x': 'src'}, 'num_embeddings': %d, 'embedding_dim': %d}", V, E);
        cf_layer(b, "{'op': 'embedding', 'name': 'tgt_embed', 'inputs': {'x': 'tgt'}, 'num_embeddings': %d, 'embedding_dim': %d}", V, E);
        cf_layer(b, "{'op': 'lstm', 'name': 'enc', 'inputs': {'x': 'src_embed'%s}, 'input_size': %d, 'hidden_size': %d}",
                 lens ? ", 'lengths': 'src_lengths'" : "", E, H);
        cf_layer(b, "{'op': 'lstm', 'name': 'dec', 'inputs': {'x': 'tgt_embed', 'h0': 'enc:h_n', 'c0': 'enc:c_n'}, 'input_size': %d, 'hidden_size': %d}", E, H);
        cf_layer(b, "{'op': 'attention', 'name': 'att', 'inputs': {'query': 'dec', 'keys': 'enc'%s}, 'score': 'general'}",
                 lens ? ", 'lengths': 'src_lengths'" : "");
        cf_layer(b, "{'op': 'concat', 'name': 'cat', 'inputs': {'x': ['att', 'dec']}, 'axis': -1}");
        cf_layer(b, "{'op': 'linear', 'name': 'comb', 'inputs': {'x': 'cat'}, 'in_features': %d, 'out_features': %d, 'bias': false}", 2 * H, H);
        cf_layer(b, "{'op': 'activation', 'name': 'hid', 'inputs': {'x': 'comb'}, 'function': 'tanh'}");
        cf_layer(b, "{'op': 'linear', 'name': 'out', 'inputs': {'x': 'hid'}, 'in_features': %d, 'out_features': %d}", H, V);
        cf_layer(b, "{'op': 'log_softmax', 'name': 'logp', 'inputs': {'x': 'out'}}");
        cf_output(b, "logp");
        cf_output(b, "att:weights");
        cf_output(b, "dec:h_n");
        cf_describe(b, "Luong encoder-decoder: encoder lstm (S=%d) with source lengths, decoder lstm (T=%d) from the encoder's state, "
                    "general attention, tanh(W[context; dec]) -> linear -> log_softmax", S, T);
        break;
    }
    case M_ATTPOOL:
        lens = cf_in_lengths(b, "lengths", B, T, p->lens);
        cf_in_ids(b, "tokens", "T", T, B, V, 0);
        cf_weight(b, "embed.weight", V, E, 1.0);
        cf_rnn_weights(b, "rnn", "lstm", E, H, 1, 1, 0, 0, 0, 1, 1.0);
        cf_weight(b, "pool.projection.0.weight", 10, 2 * H, 1.0 / sqrt(2 * H));
        cf_weight(b, "pool.projection.0.bias", 10, 0, 0.1);
        cf_weight(b, "pool.projection.2.weight", 1, 10, 1.0 / sqrt(10));
        cf_weight(b, "pool.projection.2.bias", 1, 0, 0.1);
        cf_weight(b, "fc.weight", 3, 2 * H, 1.0 / sqrt(2 * H));
        cf_weight(b, "fc.bias", 3, 0, 0.1);
        cf_layer(b, "{'op': 'embedding', 'name': 'embed', 'inputs': {'x': 'tokens'}, 'num_embeddings': %d, 'embedding_dim': %d}", V, E);
        cf_layer(b, "{'op': 'lstm', 'name': 'rnn', 'inputs': {'x': 'embed'%s}, 'input_size': %d, 'hidden_size': %d, 'bidirectional': true}",
                 lens ? ", 'lengths': 'lengths'" : "", E, H);
        cf_layer(b, "{'op': 'attention_pool', 'name': 'pool', 'inputs': {'x': 'rnn'%s}, 'hidden': 10, 'activation': 'tanh'}",
                 lens ? ", 'lengths': 'lengths'" : "");
        cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'pool'}, 'in_features': %d, 'out_features': 3}", 2 * H);
        cf_layer(b, "{'op': 'softmax', 'name': 'probs', 'inputs': {'x': 'fc'}}");
        cf_output(b, "probs");
        cf_output(b, "pool:weights");
        cf_describe(b, "self-attention-pooling classifier: embedding -> bilstm H=%d -> attention_pool(tanh) -> linear -> softmax", H);
        break;
    case M_CHARLM_ONEHOT:
        cf_in_ids(b, "chars", "T", T, B, V, 0);
        cf_rnn_weights(b, "rnn", "lstm", V, H, 2, 0, 0, 0, 0, 1, 1.0);
        cf_weight(b, "fc.weight", V, H, 1.0 / sqrt(H));
        cf_weight(b, "fc.bias", V, 0, 1.0 / sqrt(H));
        cf_layer(b, "{'op': 'one_hot', 'name': 'onehot', 'inputs': {'x': 'chars'}, 'depth': %d}", V);
        cf_layer(b, "{'op': 'lstm', 'name': 'rnn', 'inputs': {'x': 'onehot'}, 'input_size': %d, 'hidden_size': %d, 'num_layers': 2}", V, H);
        cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'rnn'}, 'in_features': %d, 'out_features': %d}", H, V);
        cf_layer(b, "{'op': 'log_softmax', 'name': 'logp', 'inputs': {'x': 'fc'}}");
        cf_output(b, "logp");
        cf_output(b, "rnn:h_n");
        cf_output(b, "rnn:c_n");
        cf_describe(b, "char-level LM, one-hot input: one_hot %d -> 2-layer lstm H=%d -> linear -> log_softmax", V, H);
        break;
    case M_CHARLM_EMBED:
    case M_CHARLM_STATE:
        cf_in_ids(b, "chars", "T", T, B, V, 0);
        if (p->op == M_CHARLM_STATE) {
            cf_in_state(b, "h0", 1, B, H);
            cf_in_state(b, "c0", 1, B, H);
        }
        cf_weight(b, "embed.weight", V, E, 1.0);
        cf_rnn_weights(b, "rnn", "lstm", E, H, 1, 0, 0, 0, 0, 1, 1.0);
        cf_weight(b, "fc.weight", V, H, 1.0 / sqrt(H));
        cf_weight(b, "fc.bias", V, 0, 1.0 / sqrt(H));
        cf_layer(b, "{'op': 'embedding', 'name': 'embed', 'inputs': {'x': 'chars'}, 'num_embeddings': %d, 'embedding_dim': %d}", V, E);
        snprintf(tmp, sizeof tmp, "%s", p->op == M_CHARLM_STATE ? ", 'h0': 'h0', 'c0': 'c0'" : "");
        cf_layer(b, "{'op': 'lstm', 'name': 'rnn', 'inputs': {'x': 'embed'%s}, 'input_size': %d, 'hidden_size': %d}", tmp, E, H);
        cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'rnn'}, 'in_features': %d, 'out_features': %d}", H, V);
        cf_layer(b, "{'op': 'softmax', 'name': 'probs', 'inputs': {'x': 'fc'}}");
        cf_output(b, "probs");
        cf_output(b, "fc");
        cf_output(b, "rnn:h_n");
        cf_output(b, "rnn:c_n");
        cf_describe(b, "char-level LM, embedding input: embedding %dx%d -> lstm H=%d%s -> linear -> softmax", V, E, H,
                    p->op == M_CHARLM_STATE ? " from h0/c0 inputs" : "");
        break;
    case M_GRU_TAGGER:
        cf_in_seq(b, "x", "T", T, B, V, CF_VAL_NORMAL, NULL);
        cf_in_state(b, "h0", 1, B, H);
        cf_rnn_weights(b, "rnn", "gru", V, H, 1, 0, 0, 0, 0, 1, 1.0);
        cf_weight(b, "fc.weight", 6, H, 1.0 / sqrt(H));
        cf_weight(b, "fc.bias", 6, 0, 0.1);
        cf_layer(b, "{'op': 'gru', 'name': 'rnn', 'inputs': {'x': 'x', 'h0': 'h0'}, 'input_size': %d, 'hidden_size': %d}", V, H);
        cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'rnn'}, 'in_features': %d, 'out_features': 6}", H);
        cf_layer(b, "{'op': 'activation', 'name': 'act', 'inputs': {'x': 'fc'}, 'function': 'tanh'}");
        cf_layer(b, "{'op': 'dropout', 'name': 'drop', 'inputs': {'x': 'act'}, 'p': 0.1}");
        cf_output(b, "drop");
        cf_output(b, "rnn:h_n");
        cf_describe(b, "GRU tagger: gru H=%d from h0 -> linear -> tanh -> dropout", H);
        break;
    case M_RNN_RELU:
        cf_in_seq(b, "x", "T", T, B, V, CF_VAL_NORMAL, NULL);
        cf_rnn_weights(b, "rnn", "rnn", V, H, 2, 0, 0, 0, 0, 1, 1.0);
        cf_weight(b, "fc.weight", V, H, 1.0 / sqrt(H));
        cf_layer(b, "{'op': 'rnn', 'name': 'rnn', 'inputs': {'x': 'x'}, 'input_size': %d, 'hidden_size': %d, 'num_layers': 2, 'nonlinearity': 'relu'}", V, H);
        cf_layer(b, "{'op': 'linear', 'name': 'fc', 'inputs': {'x': 'rnn'}, 'in_features': %d, 'out_features': %d, 'bias': false}", H, V);
        cf_layer(b, "{'op': 'add', 'name': 'res', 'inputs': {'a': 'fc', 'b': 'x'}}");
        cf_layer(b, "{'op': 'mul', 'name': 'gate', 'inputs': {'a': 'res', 'b': 'x'}}");
        cf_layer(b, "{'op': 'concat', 'name': 'cat', 'inputs': {'x': ['res', 'gate', 'rnn']}}");
        cf_output(b, "cat");
        cf_output(b, "rnn:h_n");
        cf_describe(b, "2-layer relu RNN H=%d -> linear -> add/mul with the input -> concat", H);
        break;
    case M_TRANSFORMER:
        lens = cf_in_lengths(b, "lengths", B, T, p->lens);
        cf_in_seq(b, "x", "T", T, B, E, CF_VAL_NORMAL, NULL);
        cf_weight(b, "mha.in_proj_weight", 3 * E, E, sqrt(6.0 / (4.0 * E)));
        cf_weight(b, "mha.in_proj_bias", 3 * E, 0, 0.1);
        cf_weight(b, "mha.out_proj.weight", E, E, 1.0 / sqrt(E));
        cf_weight(b, "mha.out_proj.bias", E, 0, 0.1);
        cf_weight(b, "ff1.weight", H, E, 1.0 / sqrt(E));
        cf_weight(b, "ff1.bias", H, 0, 0.1);
        cf_weight(b, "ff2.weight", E, H, 1.0 / sqrt(H));
        cf_weight(b, "ff2.bias", E, 0, 0.1);
        cf_layer(b, "{'op': 'multihead_attention', 'name': 'mha', 'inputs': {'query': 'x'%s}, 'embed_dim': %d, 'num_heads': 2, 'causal': true}",
                 lens ? ", 'lengths': 'lengths'" : "", E);
        cf_layer(b, "{'op': 'add', 'name': 'res', 'inputs': {'a': 'x', 'b': 'mha'}}");
        cf_layer(b, "{'op': 'linear', 'name': 'ff1', 'inputs': {'x': 'res'}, 'in_features': %d, 'out_features': %d}", E, H);
        cf_layer(b, "{'op': 'activation', 'name': 'act', 'inputs': {'x': 'ff1'}, 'function': 'gelu'}");
        cf_layer(b, "{'op': 'linear', 'name': 'ff2', 'inputs': {'x': 'act'}, 'in_features': %d, 'out_features': %d}", H, E);
        cf_output(b, "ff2");
        cf_output(b, "mha:weights");
        cf_describe(b, "transformer block: causal multihead_attention (2 heads, E=%d) + residual -> linear -> gelu -> linear", E);
        break;
    }
    cf_describe(b, "T=%d B=%d%s", T, B, p->bf ? "; batch_first" : "");
}

static void add_model(cf_suite *s, int model, int T, int B, int V, int E, int H, int lens, int bf, int full, int S)
{
    cf_params p = {0};
    p.op = model, p.T = T, p.B = B, p.I = V, p.P = E, p.H = H, p.lens = lens, p.bf = bf, p.a = S;
    char name[112];
    snprintf(name, sizeof name, "model_%s_T%dB%dH%d%s%s", g_model_name[model], T, B, H, bf ? "_bf" : "",
             lens == CF_LEN_NONE ? "" : lens == CF_LEN_MIXED ? "_len-mixed" : lens == CF_LEN_RANDOM ? "_len-rand" : "_len");
    cf_add_case(s, name, "model", full, 0, build_model, &p, NULL);
}

/* The same data run in chunks of 1 and of 7 steps. */
static void add_stream(cf_suite *s, int model, int T, int B, int V, int E, int H, int bf, int full)
{
    cf_params p = {0};
    p.op = model, p.T = T, p.B = B, p.I = V, p.P = E, p.H = H, p.bf = bf;
    char key[112], name[112];
    snprintf(key, sizeof key, "stream_%s_T%dB%dH%d%s", g_model_name[model], T, B, H, bf ? "_bf" : "");
    static const int chunks[] = {1, 7};
    for (int k = 0; k < 2; k++) {
        snprintf(name, sizeof name, "%s_chunk%d", key, chunks[k]);
        cf_add_case(s, name, "stream", full, chunks[k], build_model, &p, key);
    }
}

void cf_add_model_cases(cf_suite *s)
{
    for (int bf = 0; bf < 2; bf++) {
        add_model(s, M_LSTM_CLASSIFIER, 7, 4, 20, 8, 16, CF_LEN_MIXED, bf, 0, 0);
        add_model(s, M_CIFG_LM, 9, 3, 17, 6, 12, CF_LEN_NONE, bf, 0, 0);
        add_model(s, M_PEEPHOLE, 8, 3, 5, 0, 10, CF_LEN_NONE, bf, 0, 0);
        add_model(s, M_BILSTM_TAGGER, 7, 5, 15, 6, 9, CF_LEN_MIXED, bf, 0, 0);
        add_model(s, M_DOT_ATTENTION, 7, 5, 15, 6, 9, CF_LEN_MIXED, bf, 0, 0);
        add_model(s, M_LUONG, 5, 5, 13, 6, 8, CF_LEN_MIXED, bf, 0, 7);
        add_model(s, M_ATTPOOL, 7, 5, 15, 6, 9, CF_LEN_MIXED, bf, 0, 0);
        add_model(s, M_CHARLM_ONEHOT, 12, 2, 27, 0, 16, CF_LEN_NONE, bf, 0, 0);
        add_model(s, M_CHARLM_EMBED, 12, 2, 27, 8, 16, CF_LEN_NONE, bf, 0, 0);
        add_model(s, M_CHARLM_STATE, 12, 2, 27, 8, 16, CF_LEN_NONE, bf, 0, 0);
        add_model(s, M_GRU_TAGGER, 8, 3, 5, 0, 7, CF_LEN_NONE, bf, 0, 0);
        add_model(s, M_RNN_RELU, 8, 3, 5, 0, 7, CF_LEN_NONE, bf, 0, 0);
        add_model(s, M_TRANSFORMER, 6, 3, 0, 8, 16, CF_LEN_MIXED, bf, 0, 0);
        /* variants without lengths */
        add_model(s, M_LSTM_CLASSIFIER, 7, 4, 20, 8, 16, CF_LEN_NONE, bf, 1, 0);
        add_model(s, M_DOT_ATTENTION, 7, 5, 15, 6, 9, CF_LEN_NONE, bf, 1, 0);
        add_model(s, M_LUONG, 5, 5, 13, 6, 8, CF_LEN_NONE, bf, 1, 7);
        add_model(s, M_ATTPOOL, 7, 5, 15, 6, 9, CF_LEN_NONE, bf, 1, 0);
        /* full: tutorial sizes */
        add_model(s, M_LSTM_CLASSIFIER, 100, 8, 1000, 64, 128, CF_LEN_RANDOM, bf, 1, 0);
        add_model(s, M_CIFG_LM, 100, 4, 96, 32, 128, CF_LEN_NONE, bf, 1, 0);
        add_model(s, M_PEEPHOLE, 200, 4, 12, 0, 64, CF_LEN_NONE, bf, 1, 0);
        add_model(s, M_BILSTM_TAGGER, 60, 8, 500, 32, 64, CF_LEN_RANDOM, bf, 1, 0);
        add_model(s, M_DOT_ATTENTION, 80, 8, 500, 32, 64, CF_LEN_RANDOM, bf, 1, 0);
        add_model(s, M_LUONG, 30, 6, 200, 32, 64, CF_LEN_RANDOM, bf, 1, 40);
        add_model(s, M_ATTPOOL, 80, 8, 500, 32, 64, CF_LEN_RANDOM, bf, 1, 0);
        add_model(s, M_CHARLM_ONEHOT, 1000, 2, 96, 0, 128, CF_LEN_NONE, bf, 1, 0);
        add_model(s, M_CHARLM_EMBED, 1000, 2, 96, 32, 256, CF_LEN_NONE, bf, 1, 0);
        add_model(s, M_TRANSFORMER, 100, 4, 0, 64, 128, CF_LEN_RANDOM, bf, 1, 0);
    }

    /* streaming: whole vs chunks of 1 and 7 */
    add_stream(s, M_CHARLM_ONEHOT, 20, 2, 27, 0, 16, 0, 0);
    add_stream(s, M_CHARLM_EMBED, 20, 3, 27, 8, 16, 1, 0);
    add_stream(s, M_CHARLM_STATE, 20, 2, 27, 8, 16, 0, 0);
    add_stream(s, M_CIFG_LM, 15, 2, 17, 6, 12, 1, 0);
    add_stream(s, M_PEEPHOLE, 15, 3, 5, 0, 10, 0, 0);
    add_stream(s, M_GRU_TAGGER, 15, 3, 5, 0, 7, 1, 0);
    add_stream(s, M_RNN_RELU, 15, 3, 5, 0, 7, 0, 0);
    add_stream(s, M_CHARLM_ONEHOT, 20, 2, 27, 0, 16, 1, 1);
    add_stream(s, M_CHARLM_EMBED, 20, 3, 27, 8, 16, 0, 1);
    add_stream(s, M_PEEPHOLE, 15, 3, 5, 0, 10, 1, 1);
    add_stream(s, M_GRU_TAGGER, 15, 3, 5, 0, 7, 0, 1);
    add_stream(s, M_CHARLM_EMBED, 1000, 2, 96, 32, 128, 0, 1);
    add_stream(s, M_CHARLM_STATE, 1000, 2, 96, 32, 64, 1, 1);
    add_stream(s, M_GRU_TAGGER, 1000, 2, 16, 0, 64, 0, 1);
}
