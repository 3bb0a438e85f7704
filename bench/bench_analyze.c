/*
 * seqrt-bench: the analysis of a loaded model (built-in or --model) into
 * what the benchmark needs: its inputs (symbolic dims bound to the case's T
 * and B, and how each is filled), the GEMM shapes and FLOPs of one run, and
 * its recurrent stacks (for the LSTM baselines).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

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
                    *hi = (int64_t)bench_attr(L, "num_embeddings", 1);
                    return BENCH_FILL_IDS;
                }
                if (!strcmp(op->valuestring, "one_hot")) {
                    *hi = (int64_t)bench_attr(L, "depth", 1);
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
            int64_t H = (int64_t)bench_attr(L, "hidden_size", 1), I = (int64_t)bench_attr(L, "input_size", 1);
            int64_t P = (int64_t)bench_attr(L, "proj_size", 0), HO = P > 0 ? P : H;
            int NL = (int)bench_attr(L, "num_layers", 1), D = bench_attr_bool(L, "bidirectional", 0) ? 2 : 1;
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
                r->plain = G == 4 && P == 0 && !bench_attr_bool(L, "peephole", 0) &&
                           !bench_attr_bool(L, "coupled", 0) && bench_attr_bool(L, "bias", 1);
            }
        } else if (!strcmp(li.op, "linear")) {
            char tok[SEQRT_MAX_RANK][32];
            int nt = shape_tokens(li.shape, tok, SEQRT_MAX_RANK);
            int64_t M = 1;
            for (int k = 0; k + 1 < nt; k++) M *= tok_value(&bs, tok[k]);
            rc |= gemm_add(c, li.name, M, (int64_t)bench_attr(L, "out_features", 1),
                           (int64_t)bench_attr(L, "in_features", 1), 1, 0);
        } else if (!strcmp(li.op, "multihead_attention")) {
            int64_t E = (int64_t)bench_attr(L, "embed_dim", 1), nh = (int64_t)bench_attr(L, "num_heads", 1);
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
            rc |= gemm_add(c, w, T * B, (int64_t)bench_attr(L, "hidden", 64), F, 1, 0);
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
