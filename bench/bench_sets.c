/*
 * seqrt-bench: the built-in shape sets, written as seqrt descriptions with
 * random weights (safetensors written here), and the analysis of any model
 * (built-in or --model) into what the benchmark needs: its inputs, the GEMM
 * shapes and FLOPs of one run, and its recurrent stacks (for the LSTM
 * baselines).
 *
 * FLOPs are GEMM FLOPs only, as oneDNN's benchdnn counts them for RNNs:
 * 2*T*B*G*H*(I+H) per layer and direction (G = 4 for LSTM, 3 for GRU, 1 for
 * RNN; I the layer's input width), plus 2*T*B*P*H per layer and direction
 * for an LSTM projection; linear layers 2*M*in*out; multi-head attention its
 * four projections and the two batched products (Q K^T, P V); attention
 * pooling its first projection. Elementwise work (gates, softmax) and
 * embeddings are not counted.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
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
    cJSON *d = desc_new("classifier");
    desc_input(d, "tokens", "int32", "T,B");
    cJSON *l = desc_layer(d, "embedding", "embed", "tokens");
    num(l, "num_embeddings", 20000);
    num(l, "embedding_dim", 300);
    l = desc_layer(d, "lstm", "rnn", "embed");
    num(l, "input_size", 300);
    num(l, "hidden_size", 256);
    num(l, "num_layers", 2);
    l = desc_layer(d, "attention_pool", "pool", "rnn");
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
    d = desc_new("charlm");
    desc_input(d, "tokens", "int32", "T,B");
    l = desc_layer(d, "embedding", "embed", "tokens");
    num(l, "num_embeddings", 96);
    num(l, "embedding_dim", 64);
    l = desc_layer(d, "lstm", "rnn", "embed");
    num(l, "input_size", 64);
    num(l, "hidden_size", 256);
    num(l, "num_layers", 2);
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

const char *bench_set_names(void) { return "deepbench, training, seeds, attention, peers"; }

int bench_set_cases(const char *name, int quick, bench_case **cases, int *n)
{
    static const int infer_b[3] = {1, 2, 4}, train_b[3] = {16, 32, 64};
    if (!strcmp(name, "deepbench")) return deepbench(cases, n, "deepbench", infer_b, quick);
    if (!strcmp(name, "training")) return deepbench(cases, n, "training", train_b, quick);
    if (!strcmp(name, "seeds")) return seeds(cases, n, quick);
    if (!strcmp(name, "attention")) return attention(cases, n, quick);
    if (!strcmp(name, "peers")) return peers(cases, n, quick);
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

/* ------------------------------------------------------------ random weights */

typedef struct wt {
    char name[128];
    int rank;
    int64_t dims[2];
    float scale;
} wt;

typedef struct wlist {
    wt *t;
    int n, cap;
} wlist;

static int wadd(wlist *w, const char *prefix, const char *name, int64_t d0, int64_t d1, double scale)
{
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 32;
        wt *t = realloc(w->t, sizeof *t * (size_t)cap);
        if (!t) return -1;
        w->t = t, w->cap = cap;
    }
    wt *t = &w->t[w->n++];
    snprintf(t->name, sizeof t->name, "%s.%s", prefix, name);
    t->rank = d1 > 0 ? 2 : 1;
    t->dims[0] = d0, t->dims[1] = d1;
    t->scale = (float)scale;
    return 0;
}

static double attr(const cJSON *L, const char *k, double def)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(L, k);
    return cJSON_IsNumber(j) ? j->valuedouble : def;
}

static int battr(const cJSON *L, const char *k, int def)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(L, k);
    return cJSON_IsBool(j) ? cJSON_IsTrue(j) : def;
}

/* The weights of the layers the built-in sets use, PyTorch's names and its
 * default init ranges (uniform +-1/sqrt(fan)). */
static int weights_of(const cJSON *desc, wlist *w)
{
    /* feature width of each value so far (for attention pooling) */
    struct { const char *name; int64_t width; } vw[64];
    int nvw = 0;
    const cJSON *L;
    cJSON_ArrayForEach(L, cJSON_GetObjectItemCaseSensitive(desc, "inputs")) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(L, "shape");
        const cJSON *last = cJSON_GetArrayItem(s, cJSON_GetArraySize(s) - 1);
        if (nvw < 64) {
            vw[nvw].name = cJSON_GetObjectItemCaseSensitive(L, "name")->valuestring;
            vw[nvw++].width = cJSON_IsNumber(last) ? (int64_t)last->valuedouble : 1;
        }
    }
    cJSON_ArrayForEach(L, cJSON_GetObjectItemCaseSensitive(desc, "layers")) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(L, "inputs"), "x");
        int64_t in_width = 1, out_width = 1;
        for (int i = 0; i < nvw; i++)
            if (cJSON_IsString(x) && !strcmp(vw[i].name, x->valuestring)) in_width = vw[i].width;
        const char *op = cJSON_GetObjectItemCaseSensitive(L, "op")->valuestring;
        const char *nm = cJSON_GetObjectItemCaseSensitive(L, "name")->valuestring;
        char k[96];
        int rc = 0;
        if (!strcmp(op, "embedding")) {
            out_width = (int64_t)attr(L, "embedding_dim", 1);
            rc |= wadd(w, nm, "weight", (int64_t)attr(L, "num_embeddings", 1), out_width, 1.0);
        } else if (!strcmp(op, "linear")) {
            int64_t in = (int64_t)attr(L, "in_features", 1), out = (int64_t)attr(L, "out_features", 1);
            out_width = out;
            rc |= wadd(w, nm, "weight", out, in, 1.0 / sqrt((double)in));
            rc |= wadd(w, nm, "bias", out, 0, 1.0 / sqrt((double)in));
        } else if (!strcmp(op, "lstm")) {
            int64_t H = (int64_t)attr(L, "hidden_size", 1), I = (int64_t)attr(L, "input_size", 1);
            int NL = (int)attr(L, "num_layers", 1), D = battr(L, "bidirectional", 0) ? 2 : 1;
            double s = 1.0 / sqrt((double)H);
            out_width = D * H;
            for (int l = 0; l < NL; l++)
                for (int d = 0; d < D; d++) {
                    const char *sfx = d ? "_reverse" : "";
                    snprintf(k, sizeof k, "weight_ih_l%d%s", l, sfx);
                    rc |= wadd(w, nm, k, 4 * H, l ? D * H : I, s);
                    snprintf(k, sizeof k, "weight_hh_l%d%s", l, sfx);
                    rc |= wadd(w, nm, k, 4 * H, H, s);
                    snprintf(k, sizeof k, "bias_ih_l%d%s", l, sfx);
                    rc |= wadd(w, nm, k, 4 * H, 0, s);
                    snprintf(k, sizeof k, "bias_hh_l%d%s", l, sfx);
                    rc |= wadd(w, nm, k, 4 * H, 0, s);
                }
        } else if (!strcmp(op, "attention_pool")) {
            int64_t A = (int64_t)attr(L, "hidden", 64), F = in_width;
            out_width = F;
            rc |= wadd(w, nm, "projection.0.weight", A, F, 1.0 / sqrt((double)F));
            rc |= wadd(w, nm, "projection.0.bias", A, 0, 1.0 / sqrt((double)F));
            rc |= wadd(w, nm, "projection.2.weight", 1, A, 1.0 / sqrt((double)A));
            rc |= wadd(w, nm, "projection.2.bias", 1, 0, 1.0 / sqrt((double)A));
        } else if (!strcmp(op, "multihead_attention")) {
            int64_t E = (int64_t)attr(L, "embed_dim", 1);
            double s = 1.0 / sqrt((double)E);
            out_width = E;
            rc |= wadd(w, nm, "in_proj_weight", 3 * E, E, s);
            rc |= wadd(w, nm, "in_proj_bias", 3 * E, 0, s);
            rc |= wadd(w, nm, "out_proj.weight", E, E, s);
            rc |= wadd(w, nm, "out_proj.bias", E, 0, s);
        }
        if (rc) return -1;
        if (nvw < 64) {
            vw[nvw].name = nm;
            vw[nvw++].width = out_width;
        }
    }
    return 0;
}

/* Streams F32 safetensors: the header, then each tensor's values in chunks. */
static int write_safetensors(const char *path, const wlist *w, char *err, size_t err_size)
{
    cJSON *h = cJSON_CreateObject();
    uint64_t off = 0;
    for (int i = 0; i < w->n; i++) {
        const wt *t = &w->t[i];
        uint64_t count = (uint64_t)t->dims[0] * (uint64_t)(t->rank == 2 ? t->dims[1] : 1);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "dtype", "F32");
        cJSON *s = cJSON_AddArrayToObject(e, "shape");
        for (int r = 0; r < t->rank; r++) cJSON_AddItemToArray(s, cJSON_CreateNumber((double)t->dims[r]));
        cJSON *o = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)(off + 4 * count)));
        cJSON_AddItemToObject(h, t->name, e);
        off += 4 * count;
    }
    char *text = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (!text) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    size_t hl = strlen(text), pad = (8 - hl % 8) % 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        cJSON_free(text);
        return -1;
    }
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)(hl + pad) >> (8 * i));
    int ok = fwrite(len, 1, 8, f) == 8 && fwrite(text, 1, hl, f) == hl && fwrite("        ", 1, pad, f) == pad;
    cJSON_free(text);
    enum { CHUNK = 1 << 16 };
    float *buf = malloc(sizeof *buf * CHUNK);
    uint32_t seed = 0x1234567u;
    for (int i = 0; ok && buf && i < w->n; i++) {
        const wt *t = &w->t[i];
        uint64_t count = (uint64_t)t->dims[0] * (uint64_t)(t->rank == 2 ? t->dims[1] : 1);
        while (ok && count) {
            size_t m = count < CHUNK ? (size_t)count : CHUNK;
            for (size_t j = 0; j < m; j++) {
                seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
                buf[j] = t->scale * (float)((double)seed / 4294967296.0 * 2.0 - 1.0);
            }
            ok = fwrite(buf, sizeof *buf, m, f) == m; /* little-endian host (x86, ARM) */
            count -= m;
        }
    }
    ok = buf && ok;
    free(buf);
    if (fclose(f) != 0) ok = 0;
    if (!ok) snprintf(err, err_size, "cannot write %s", path);
    return ok ? 0 : -1;
}

int bench_case_write(bench_case *c, const char *dir, char *err, size_t err_size)
{
    if (!c->desc) return 0;
    char st[1100];
    snprintf(c->json_path, sizeof c->json_path, "%s/%s.json", dir, c->name);
    snprintf(st, sizeof st, "%s/%s.safetensors", dir, c->name);
    const char *slash = strrchr(st, '/');
    cJSON_DeleteItemFromObjectCaseSensitive(c->desc, "weights");
    cJSON_AddStringToObject(c->desc, "weights", slash + 1);
    char *text = cJSON_Print(c->desc);
    FILE *f = text ? fopen(c->json_path, "w") : NULL;
    int ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    cJSON_free(text);
    if (!ok) {
        snprintf(err, err_size, "cannot write %s", c->json_path);
        return -1;
    }
    wlist w = {0};
    int rc = weights_of(c->desc, &w);
    if (rc) snprintf(err, err_size, "out of memory");
    else rc = write_safetensors(st, &w, err, err_size);
    free(w.t);
    return rc;
}

/* ------------------------------------------------------------ analysis */

typedef struct binding {
    char name[32];
    int64_t value;
} binding;

typedef struct bindings {
    binding b[16];
    int n;
} bindings;

static int64_t bind_get(const bindings *bs, const char *name)
{
    for (int i = 0; i < bs->n; i++)
        if (!strcmp(bs->b[i].name, name)) return bs->b[i].value;
    return -1;
}

static void bind_set(bindings *bs, const char *name, int64_t v)
{
    if (bind_get(bs, name) >= 0 || bs->n == 16) return;
    snprintf(bs->b[bs->n].name, sizeof bs->b[bs->n].name, "%s", name);
    bs->b[bs->n++].value = v;
}

/* Splits "[T, B, 256]" into tokens. */
static int shape_tokens(const char *text, char tok[][32], int max)
{
    int n = 0;
    const char *p = text;
    while (*p && n < max) {
        while (*p == '[' || *p == ' ' || *p == ',') p++;
        if (!*p || *p == ']') break;
        int k = 0;
        while (*p && *p != ',' && *p != ']' && *p != ' ' && k < 31) tok[n][k++] = *p++;
        tok[n++][k] = '\0';
        while (*p && *p != ',' && *p != ']') p++;
    }
    return n;
}

static int64_t tok_value(const bindings *bs, const char *t)
{
    if (isdigit((unsigned char)t[0])) return strtoll(t, NULL, 10);
    int64_t v = bind_get(bs, t);
    return v > 0 ? v : 1;
}

static const cJSON *find_layer(const cJSON *desc, const char *name)
{
    const cJSON *L;
    cJSON_ArrayForEach(L, cJSON_GetObjectItemCaseSensitive(desc, "layers")) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(L, "name");
        if (cJSON_IsString(nm) && !strcmp(nm->valuestring, name)) return L;
    }
    return NULL;
}

/* How input `name` is consumed: ids (with their range), lengths, a state,
 * or plain data. */
static int input_role(const cJSON *desc, const char *name, int64_t *hi)
{
    const cJSON *L;
    cJSON_ArrayForEach(L, cJSON_GetObjectItemCaseSensitive(desc, "layers")) {
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(L, "op");
        const cJSON *ins = cJSON_GetObjectItemCaseSensitive(L, "inputs");
        const cJSON *slot;
        cJSON_ArrayForEach(slot, ins) {
            int uses = cJSON_IsString(slot) && !strcmp(slot->valuestring, name);
            const cJSON *e;
            if (cJSON_IsArray(slot))
                cJSON_ArrayForEach(e, slot) if (cJSON_IsString(e) && !strcmp(e->valuestring, name)) uses = 1;
            if (!uses) continue;
            if (!strcmp(slot->string, "lengths")) return BENCH_FILL_LENGTHS;
            if (!strcmp(slot->string, "h0") || !strcmp(slot->string, "c0")) return BENCH_FILL_ZERO;
            if (cJSON_IsString(op) && !strcmp(slot->string, "x")) {
                if (!strcmp(op->valuestring, "embedding")) {
                    *hi = (int64_t)attr(L, "num_embeddings", 1);
                    return BENCH_FILL_IDS;
                }
                if (!strcmp(op->valuestring, "one_hot")) {
                    *hi = (int64_t)attr(L, "depth", 1);
                    return BENCH_FILL_IDS;
                }
            }
        }
    }
    return -1;
}

static int gemm_add(bench_case *c, const char *what, int64_t M, int64_t N, int64_t K, int64_t count, int acc)
{
    if (c->ngemm == BENCH_MAX_GEMM) return -1;
    bench_gemm *g = &c->gemm[c->ngemm++];
    g->M = M, g->N = N, g->K = K, g->count = count, g->accumulate = acc;
    snprintf(g->what, sizeof g->what, "%s", what);
    c->flops += 2.0 * (double)M * (double)N * (double)K * (double)count;
    return 0;
}

static void note_add(bench_case *c, const char *fmt, const char *a)
{
    size_t u = strlen(c->note);
    snprintf(c->note + u, sizeof c->note - u, fmt, *c->note ? "; " : "", a);
}

int bench_case_analyze(bench_case *c, const seqrt_model *m, char *err, size_t err_size)
{
    cJSON *own = NULL;
    const cJSON *desc = c->desc;
    if (!desc) {
        FILE *f = fopen(c->json_path, "rb");
        char *text = NULL;
        long len = 0;
        if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (text = malloc((size_t)len + 1)) && fread(text, 1, (size_t)len, f) == (size_t)len) {
            text[len] = '\0';
            own = cJSON_Parse(text);
        }
        free(text);
        if (f) fclose(f);
        if (!own) {
            snprintf(err, err_size, "%s: cannot read the description", c->json_path);
            return -1;
        }
        desc = own;
    }
    c->flops = 0, c->ngemm = 0, c->nrnn = 0, c->nin = 0, c->note[0] = '\0';
    int bf = seqrt_model_batch_first(m);

    /* inputs: a symbolic dim at the time position binds to T, at the batch
     * position (and of a rank-1 input, e.g. lengths) to B */
    bindings bs = {0};
    int64_t caseT = c->T, caseB = c->B, firstT = -1, firstB = -1;
    size_t nin = seqrt_model_input_count(m);
    if (nin > BENCH_MAX_INPUTS) {
        snprintf(err, err_size, "%zu inputs: more than the %d seqrt-bench handles", nin, BENCH_MAX_INPUTS);
        cJSON_Delete(own);
        return -1;
    }
    for (size_t i = 0; i < nin; i++) {
        bench_input *in = &c->in[c->nin++];
        memset(in, 0, sizeof *in);
        snprintf(in->name, sizeof in->name, "%s", seqrt_model_input_name(m, i));
        in->dtype = seqrt_model_input_dtype(m, i);
        char text[128], tok[SEQRT_MAX_RANK][32];
        int64_t dims[SEQRT_MAX_RANK];
        seqrt_model_input_shape(m, i, &in->rank, dims, text, sizeof text);
        int nt = shape_tokens(text, tok, SEQRT_MAX_RANK);
        int64_t hi = 0;
        int role = input_role(desc, in->name, &hi);
        for (int r = 0; r < in->rank; r++) {
            if (dims[r] >= 0) {
                in->dims[r] = dims[r];
                continue;
            }
            const char *sym = r < nt ? tok[r] : "?";
            int64_t v = bind_get(&bs, sym);
            if (v < 0) {
                int is_t = in->rank >= 2 && r == (bf ? 1 : 0) && role != BENCH_FILL_ZERO;
                v = is_t ? caseT : caseB;
                bind_set(&bs, sym, v);
            }
            in->dims[r] = v;
        }
        if (firstT < 0 && in->rank >= 2 && role != BENCH_FILL_ZERO) {
            firstT = in->dims[bf ? 1 : 0];
            firstB = in->dims[bf ? 0 : 1];
        }
        if (role < 0) role = in->dtype == SEQRT_F32 ? BENCH_FILL_RANDOM : BENCH_FILL_ZERO;
        in->fill = role;
        in->hi = hi > 0 ? hi : 1;
    }
    if (firstT > 0) c->T = firstT, c->B = firstB;
    if (!c->shape[0])
        snprintf(c->shape, sizeof c->shape, "T=%lld B=%lld", (long long)c->T, (long long)c->B);
    const int64_t T = c->T, B = c->B;

    /* layers */
    size_t nl = seqrt_model_layer_count(m);
    int rc = 0;
    for (size_t i = 0; i < nl && !rc; i++) {
        seqrt_layer_info li;
        if (seqrt_model_layer_info(m, i, &li) != SEQRT_OK) continue;
        const cJSON *L = find_layer(desc, li.name);
        if (!L) continue;
        char w[96];
        if (!strcmp(li.op, "lstm") || !strcmp(li.op, "gru") || !strcmp(li.op, "rnn")) {
            int64_t G = li.op[0] == 'l' ? 4 : li.op[0] == 'g' ? 3 : 1;
            int64_t H = (int64_t)attr(L, "hidden_size", 1), I = (int64_t)attr(L, "input_size", 1);
            int64_t P = (int64_t)attr(L, "proj_size", 0), HO = P > 0 ? P : H;
            int NL = (int)attr(L, "num_layers", 1), D = battr(L, "bidirectional", 0) ? 2 : 1;
            for (int k = 0; k < NL && !rc; k++)
                for (int d = 0; d < D && !rc; d++) {
                    const char *s = d ? "r" : "";
                    snprintf(w, sizeof w, "%s l%d%s input", li.name, k, s);
                    rc |= gemm_add(c, w, T * B, G * H, k ? D * HO : I, 1, 0);
                    snprintf(w, sizeof w, "%s l%d%s recurrent", li.name, k, s);
                    rc |= gemm_add(c, w, B, G * H, HO, T, 1);
                    if (P > 0) {
                        snprintf(w, sizeof w, "%s l%d%s projection", li.name, k, s);
                        rc |= gemm_add(c, w, B, P, H, T, 0);
                    }
                }
            if (c->nrnn < BENCH_MAX_RNN) {
                bench_rnn *r = &c->rnn[c->nrnn++];
                snprintf(r->layer, sizeof r->layer, "%s", li.name);
                snprintf(r->op, sizeof r->op, "%s", li.op);
                r->T = T, r->B = B, r->I = I, r->H = H, r->L = NL, r->D = D;
                r->plain = G == 4 && P == 0 && !battr(L, "peephole", 0) && !battr(L, "coupled", 0) &&
                           battr(L, "bias", 1);
            }
        } else if (!strcmp(li.op, "linear")) {
            char tok[SEQRT_MAX_RANK][32];
            int nt = shape_tokens(li.shape, tok, SEQRT_MAX_RANK);
            int64_t M = 1;
            for (int k = 0; k + 1 < nt; k++) M *= tok_value(&bs, tok[k]);
            rc |= gemm_add(c, li.name, M, (int64_t)attr(L, "out_features", 1), (int64_t)attr(L, "in_features", 1), 1, 0);
        } else if (!strcmp(li.op, "multihead_attention")) {
            int64_t E = (int64_t)attr(L, "embed_dim", 1), nh = (int64_t)attr(L, "num_heads", 1);
            int64_t dh = E / (nh > 0 ? nh : 1);
            snprintf(w, sizeof w, "%s in_proj", li.name);
            rc |= gemm_add(c, w, T * B, 3 * E, E, 1, 0);
            snprintf(w, sizeof w, "%s q.k", li.name);
            rc |= gemm_add(c, w, T, T, dh, B * nh, 0);
            snprintf(w, sizeof w, "%s p.v", li.name);
            rc |= gemm_add(c, w, T, dh, T, B * nh, 0);
            snprintf(w, sizeof w, "%s out_proj", li.name);
            rc |= gemm_add(c, w, T * B, E, E, 1, 0);
        } else if (!strcmp(li.op, "attention_pool")) {
            char tok[SEQRT_MAX_RANK][32];
            int nt = shape_tokens(li.shape, tok, SEQRT_MAX_RANK);
            int64_t F = nt ? tok_value(&bs, tok[nt - 1]) : 1;
            snprintf(w, sizeof w, "%s projection", li.name);
            rc |= gemm_add(c, w, T * B, (int64_t)attr(L, "hidden", 64), F, 1, 0);
        } else if (li.flops_per_step > 0) {
            note_add(c, "%sFLOPs of layer '%s' not counted", li.name);
        }
    }
    cJSON_Delete(own);
    if (rc) {
        snprintf(err, err_size, "more than %d GEMM shapes", BENCH_MAX_GEMM);
        return -1;
    }
    return 0;
}
