/*
 * seqrt-bench: the built-in shape sets (deepbench, training, seeds,
 * attention, peers, memory, and --scaling), each case a seqrt description built
 * here in memory, and the case of a user's --model. A built-in case is
 * written out (description and random weights) by bench_weights.c; every
 * case, built-in or not, is analysed by bench_analyze.c.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ------------------------------------------------------------ description builders */

static cJSON *desc_new(const char *name)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "format", "seqrt");
    cJSON_AddNumberToObject(d, "version", 1);
    cJSON_AddStringToObject(d, "name", name);
    cJSON_AddBoolToObject(d, "batch_first", 0);
    cJSON_AddArrayToObject(d, "inputs");
    cJSON_AddArrayToObject(d, "layers");
    cJSON_AddArrayToObject(d, "outputs");
    return d;
}

/* `shape`: comma-separated dims, each a symbol or a number ("T,B,128"). */
static void desc_input(cJSON *d, const char *name, const char *dtype, const char *shape)
{
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "name", name);
    cJSON_AddStringToObject(in, "dtype", dtype);
    cJSON *s = cJSON_AddArrayToObject(in, "shape");
    char buf[128];
    snprintf(buf, sizeof buf, "%s", shape);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (isdigit((unsigned char)t[0])) cJSON_AddItemToArray(s, cJSON_CreateNumber(atof(t)));
        else cJSON_AddItemToArray(s, cJSON_CreateString(t));
    }
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(d, "inputs"), in);
}

static cJSON *desc_layer(cJSON *d, const char *op, const char *name, const char *x)
{
    cJSON *L = cJSON_CreateObject();
    cJSON_AddStringToObject(L, "op", op);
    cJSON_AddStringToObject(L, "name", name);
    cJSON *in = cJSON_AddObjectToObject(L, "inputs");
    cJSON_AddStringToObject(in, op[0] == 'm' ? "query" : "x", x);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(d, "layers"), L);
    return L;
}

static void desc_output(cJSON *d, const char *value)
{
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(d, "outputs"), cJSON_CreateString(value));
}

static void num(cJSON *o, const char *k, double v) { cJSON_AddNumberToObject(o, k, v); }

static cJSON *lstm_desc(const char *name, int64_t I, int64_t H, int L, int bidir)
{
    cJSON *d = desc_new(name);
    char shape[64];
    snprintf(shape, sizeof shape, "T,B,%lld", (long long)I);
    desc_input(d, "x", "float32", shape);
    cJSON *l = desc_layer(d, "lstm", "rnn", "x");
    num(l, "input_size", (double)I);
    num(l, "hidden_size", (double)H);
    num(l, "num_layers", L);
    if (bidir) cJSON_AddBoolToObject(l, "bidirectional", 1);
    desc_output(d, "rnn");
    return d;
}

/* A description named `name` that embeds int32 "tokens" [T, B] (V entries
 * of E) and runs them through an L-layer LSTM of H ("embed", "rnn"). */
static cJSON *token_lstm_desc(const char *name, int64_t V, int64_t E, int64_t H, int L)
{
    cJSON *d = desc_new(name);
    desc_input(d, "tokens", "int32", "T,B");
    cJSON *l = desc_layer(d, "embedding", "embed", "tokens");
    num(l, "num_embeddings", (double)V);
    num(l, "embedding_dim", (double)E);
    l = desc_layer(d, "lstm", "rnn", "embed");
    num(l, "input_size", (double)E);
    num(l, "hidden_size", (double)H);
    num(l, "num_layers", L);
    return d;
}

static bench_case *push(bench_case **cases, int *n)
{
    bench_case *c = realloc(*cases, sizeof **cases * (size_t)(*n + 1));
    if (!c) return NULL;
    *cases = c;
    c = &c[(*n)++];
    memset(c, 0, sizeof *c);
    return c;
}

static void quick_shrink(bench_case *c, int quick)
{
    if (!quick) return;
    if (c->T > 16) c->T = 16;
    if (c->B > 4) c->B = 4;
}

static int add_lstm_case(bench_case **cases, int *n, const char *set, const char *name, int64_t T, int64_t B,
                         int64_t I, int64_t H, int L, int bidir, int quick)
{
    bench_case *c = push(cases, n);
    if (!c) return -1;
    snprintf(c->set, sizeof c->set, "%s", set);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->T = T, c->B = B;
    quick_shrink(c, quick);
    c->desc = lstm_desc(name, I, H, L, bidir);
    snprintf(c->shape, sizeof c->shape, "T=%lld B=%lld I=%lld H=%lld%s%s", (long long)c->T, (long long)c->B,
             (long long)I, (long long)H, L > 1 ? (L == 2 ? " L=2" : " L=3+") : "", bidir ? " bidir" : "");
    return 0;
}

/* DeepBench's LSTM inference shapes (input size = H); `training`: the same H
 * and T with its training batch sizes. */
static int deepbench(bench_case **cases, int *n, const char *set, const int *batches, int quick)
{
    static const struct { int64_t H, T; } shapes[] = {{512, 25}, {1024, 25}, {2048, 25}, {1536, 50}, {256, 150}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int b = 0; b < 3; b++) {
            int64_t T = shapes[s].T, B = batches[b], H = shapes[s].H;
            if (quick) { /* one batch size per H, shrunk */
                if (b > 0) break;
                T = T < 16 ? T : 16;
                B = B < 4 ? B : 4;
            }
            char name[64];
            snprintf(name, sizeof name, "lstm_h%lld_b%lld_t%lld", (long long)H, (long long)B, (long long)T);
            if (add_lstm_case(cases, n, set, name, T, B, H, H, 1, 0, 0)) return -1;
        }
    return 0;
}

/* The shapes of the oneDNN backend's performance target (one forward
 * layer each), and the seed shape again with coupled gates (CIFG), which
 * must run at the vanilla LSTM's speed. */
static int peers(bench_case **cases, int *n, int quick)
{
    static const struct { const char *name; int64_t T, B, I, H; int coupled; } p[] = {
        {"lstm_t100_b16_i128_h256", 100, 16, 128, 256, 0}, {"cifg_t100_b16_i128_h256", 100, 16, 128, 256, 1},
        {"lstm_t25_b16_i1024_h1024", 25, 16, 1024, 1024, 0}, {"lstm_t50_b1_i512_h512", 50, 1, 512, 512, 0},
        {"lstm_t64_b64_i300_h256", 64, 64, 300, 256, 0},
    };
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        if (add_lstm_case(cases, n, "peers", p[i].name, p[i].T, p[i].B, p[i].I, p[i].H, 1, 0, quick)) return -1;
        if (!p[i].coupled) continue;
        bench_case *c = &(*cases)[*n - 1];
        cJSON *L = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c->desc, "layers"), 0);
        cJSON_AddBoolToObject(L, "coupled", 1);
        size_t len = strlen(c->shape);
        snprintf(c->shape + len, sizeof c->shape - len, " coupled");
    }
    return 0;
}

/* The tutorial models. */
static int seeds(bench_case **cases, int *n, int quick)
{
    if (add_lstm_case(cases, n, "seeds", "lstm", 100, 16, 128, 256, 1, 0, quick)) return -1;
    if (add_lstm_case(cases, n, "seeds", "bilstm2", 100, 16, 128, 256, 2, 1, quick)) return -1;

    /* classifier: embedding(V=20000, E=300) -> 2-layer LSTM(256) ->
     * attention pooling (128) -> linear(256 -> 4 classes) */
    bench_case *c = push(cases, n);
    if (!c) return -1;
    snprintf(c->set, sizeof c->set, "seeds");
    snprintf(c->name, sizeof c->name, "classifier");
    c->T = 64, c->B = 64;
    quick_shrink(c, quick);
    snprintf(c->shape, sizeof c->shape, "T=%lld B=%lld V=20000 E=300 H=256 L=2 +attn pool", (long long)c->T,
             (long long)c->B);
    cJSON *d = token_lstm_desc("classifier", 20000, 300, 256, 2);
    cJSON *l = desc_layer(d, "attention_pool", "pool", "rnn");
    num(l, "hidden", 128);
    l = desc_layer(d, "linear", "fc", "pool");
    num(l, "in_features", 256);
    num(l, "out_features", 4);
    desc_output(d, "fc");
    c->desc = d;

    /* char-LM: embedding(96, 64) -> 2-layer LSTM(256) -> linear(256 -> 96) */
    c = push(cases, n);
    if (!c) return -1;
    snprintf(c->set, sizeof c->set, "seeds");
    snprintf(c->name, sizeof c->name, "charlm");
    c->T = 100, c->B = 16;
    quick_shrink(c, quick);
    snprintf(c->shape, sizeof c->shape, "T=%lld B=%lld V=96 E=64 H=256 L=2", (long long)c->T, (long long)c->B);
    d = token_lstm_desc("charlm", 96, 64, 256, 2);
    l = desc_layer(d, "linear", "fc", "rnn");
    num(l, "in_features", 256);
    num(l, "out_features", 96);
    desc_output(d, "fc");
    desc_output(d, "rnn:h_n");
    desc_output(d, "rnn:c_n");
    c->desc = d;
    return 0;
}

/* Multi-head self-attention, E=256, 4 heads, B=4, T up to 1024. */
static int attention(bench_case **cases, int *n, int quick)
{
    static const int64_t Ts[] = {64, 128, 256, 512, 1024};
    for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++) {
        if (quick && i > 0) break; /* one case: every T shrinks to 16 */
        bench_case *c = push(cases, n);
        if (!c) return -1;
        snprintf(c->set, sizeof c->set, "attention");
        snprintf(c->name, sizeof c->name, "mha_t%lld", (long long)Ts[i]);
        c->T = Ts[i], c->B = 4;
        quick_shrink(c, quick);
        snprintf(c->shape, sizeof c->shape, "T=%lld B=%lld E=256 heads=4", (long long)c->T, (long long)c->B);
        cJSON *d = desc_new(c->name);
        desc_input(d, "x", "float32", "T,B,256");
        cJSON *l = desc_layer(d, "multihead_attention", "mha", "x");
        num(l, "embed_dim", 256);
        num(l, "num_heads", 4);
        desc_output(d, "mha");
        c->desc = d;
    }
    return 0;
}

/* Memory at long T (issue 15): a one-layer LSTM B=16 I=128 H=256 whose
 * only output is h_n, at T = 500, 5000 and 20000 (quick: 16 and 64), so
 * the peak MB column shows what the session adds beyond its input as T
 * grows (bounded when the backend processes time in chunks). */
static int memory(bench_case **cases, int *n, int quick)
{
    static const int64_t Ts[] = {500, 5000, 20000}, quickTs[] = {16, 64};
    const int64_t B = quick ? 4 : 16, I = 128, H = 256;
    for (size_t i = 0; i < (quick ? 2u : 3u); i++) {
        const int64_t T = quick ? quickTs[i] : Ts[i];
        char name[64];
        snprintf(name, sizeof name, "lstm_hn_t%lld", (long long)T);
        if (add_lstm_case(cases, n, "memory", name, T, B, I, H, 1, 0, 0)) return -1;
        bench_case *c = &(*cases)[*n - 1];
        cJSON *outs = cJSON_GetObjectItemCaseSensitive(c->desc, "outputs");
        cJSON_ReplaceItemInArray(outs, 0, cJSON_CreateString("rnn:h_n"));
        const double in_mb = (double)(T * B * I) * sizeof(float) / (1024.0 * 1024.0);
        size_t len = strlen(c->shape);
        snprintf(c->shape + len, sizeof c->shape - len, " h_n only, input %.1f MB", in_mb);
    }
    return 0;
}

/* The reduced-precision shapes (issue 14; run with --precision
 * f32,bf16,int8): an LSTM, I = H, T = 25, at H = 1024 and 2048, B = 1, 2,
 * 4 (bandwidth-bound: W_hh streamed per step) and 64 (compute-bound). */
static int quant(bench_case **cases, int *n, int quick)
{
    static const int64_t Hs[] = {1024, 2048}, Bs[] = {1, 2, 4, 64};
    for (size_t h = 0; h < 2; h++)
        for (size_t b = 0; b < 4; b++) {
            char name[64];
            snprintf(name, sizeof name, "quant_h%lld_b%lld", (long long)Hs[h], (long long)Bs[b]);
            if (add_lstm_case(cases, n, "quant", name, 25, Bs[b], Hs[h], Hs[h], 1, 0, quick)) return -1;
        }
    return 0;
}

const char *bench_set_names(void) { return "deepbench, training, seeds, attention, peers, memory, quant"; }

int bench_set_cases(const char *name, int quick, bench_case **cases, int *n)
{
    static const int infer_b[3] = {1, 2, 4}, train_b[3] = {16, 32, 64};
    if (!strcmp(name, "deepbench")) return deepbench(cases, n, "deepbench", infer_b, quick);
    if (!strcmp(name, "training")) return deepbench(cases, n, "training", train_b, quick);
    if (!strcmp(name, "quant")) return quant(cases, n, quick);
    if (!strcmp(name, "seeds")) return seeds(cases, n, quick);
    if (!strcmp(name, "attention")) return attention(cases, n, quick);
    if (!strcmp(name, "peers")) return peers(cases, n, quick);
    if (!strcmp(name, "memory")) return memory(cases, n, quick);
    return -1;
}

/* --scaling: one-layer LSTM around the seed shape (T=100, B=16, I=128,
 * H=256), varying T, then B, then H. */
int bench_scaling_cases(int quick, bench_case **cases, int *n)
{
    static const int64_t Ts[] = {25, 50, 100, 200, 400, 800};
    static const int64_t Bs[] = {1, 2, 4, 8, 16, 32, 64};
    static const int64_t Hs[] = {64, 128, 256, 512, 1024};
    const int64_t T0 = quick ? 8 : 100, B0 = quick ? 2 : 16, H0 = quick ? 64 : 256, I = quick ? 32 : 128;
    for (int axis = 0; axis < 3; axis++) {
        const int64_t *v = axis == 0 ? Ts : axis == 1 ? Bs : Hs;
        size_t nv = axis == 0 ? 6 : axis == 1 ? 7 : 5;
        if (quick) nv = 3;
        for (size_t i = 0; i < nv; i++) {
            int64_t T = T0, B = B0, H = H0;
            if (axis == 0) T = quick ? v[i] / 8 : v[i];
            if (axis == 1) B = v[i];
            if (axis == 2) H = quick ? v[i] / 2 : v[i];
            char name[64];
            snprintf(name, sizeof name, "scale_%c%lld", "TBH"[axis],
                     (long long)(axis == 0 ? T : axis == 1 ? B : H));
            if (add_lstm_case(cases, n, "scaling", name, T, B, I, H, 1, 0, 0)) return -1;
            bench_case *c = &(*cases)[*n - 1];
            c->axis[0] = "TBH"[axis];
            c->axis_value = (double)(axis == 0 ? T : axis == 1 ? B : H);
        }
    }
    return 0;
}

int bench_model_case(const char *path, int64_t T, int64_t B, bench_case **cases, int *n, char *err, size_t err_size)
{
    bench_case *c = push(cases, n);
    if (!c) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    snprintf(c->set, sizeof c->set, "model");
    const char *base = strrchr(path, '/');
    snprintf(c->name, sizeof c->name, "%s", base ? base + 1 : path);
    char *dot = strrchr(c->name, '.');
    if (dot && !strcmp(dot, ".json")) *dot = '\0';
    snprintf(c->json_path, sizeof c->json_path, "%s", path);
    c->T = T, c->B = B;
    return 0;
}

void bench_cases_free(bench_case *cases, int n)
{
    for (int i = 0; i < n; i++) cJSON_Delete(cases[i].desc);
    free(cases);
}

