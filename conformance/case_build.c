/*
 * The case builder the generated cases are written with: a pseudo-random
 * stream seeded per case, the description (layers, outputs, the text shown
 * in reports, a looser bound with its reason) and the weights, including a
 * recurrent layer's in PyTorch's names and init scale. Its inputs are made
 * in case_inputs.c; case_files.c writes what it built.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_build.h"

const char *cf_val_name(int v)
{
    static const char *const names[CF_VAL_COUNT] = {"normal", "saturating", "saturating weights", "NaN", "Inf",
                                                    "denormal", "NaN in padding", "garbage in padding",
                                                    "extreme values", "-Inf row"};
    return v >= 0 && v < CF_VAL_COUNT ? names[v] : "?";
}

const char *cf_len_name(int l)
{
    static const char *const names[] = {"no lengths", "mixed lengths with a 0", "all lengths 0",
                                        "all lengths T", "all lengths 1", "random lengths"};
    return l >= 0 && l <= CF_LEN_RANDOM ? names[l] : "?";
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double cf_uniform(cf_builder *b, double lo, double hi)
{
    double u = (double)(splitmix64(&b->rng) >> 11) * (1.0 / 9007199254740992.0);
    return lo + (hi - lo) * u;
}

int cf_randint(cf_builder *b, int n) { return n <= 1 ? 0 : (int)(splitmix64(&b->rng) % (uint64_t)n); }

int cf_bf(const cf_builder *b) { return b->bf; }

void cf_builder_fail(cf_builder *b, const char *fmt, ...)
{
    if (b->err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, sizeof b->err, fmt, ap);
    va_end(ap);
}

void cf_describe(cf_builder *b, const char *fmt, ...)
{
    size_t used = strlen(b->desc);
    if (used + 2 >= sizeof b->desc) return;
    if (used) {
        snprintf(b->desc + used, sizeof b->desc - used, "; ");
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->desc + used, sizeof b->desc - used, fmt, ap);
    va_end(ap);
}

void cf_format_version(cf_builder *b, double version) { b->version = version; }

void cf_tolerance(cf_builder *b, double atol, double rtol, const char *why)
{
    b->atol = atol;
    b->rtol = rtol;
    snprintf(b->note, sizeof b->note, "%s", why);
}

static cJSON *parse_quoted(cf_builder *b, const char *fmt, va_list ap)
{
    char buf[4096];
    vsnprintf(buf, sizeof buf, fmt, ap);
    for (char *c = buf; *c; c++)
        if (*c == '\'') *c = '"';
    cJSON *j = cJSON_Parse(buf);
    if (!j) cf_builder_fail(b, "bad JSON in the case builder: %s", buf);
    return j;
}

void cf_layer(cf_builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cJSON *j = parse_quoted(b, fmt, ap);
    va_end(ap);
    if (j) cJSON_AddItemToArray(b->layers, j);
}

void cf_output(cf_builder *b, const char *value) { cJSON_AddItemToArray(b->outputs, cJSON_CreateString(value)); }

float *cf_weight(cf_builder *b, const char *name, int64_t d0, int64_t d1, double scale)
{
    if (b->nw == b->wcap) {
        size_t cap = b->wcap ? 2 * b->wcap : 32;
        cf_wt *w = realloc(b->w, cap * sizeof *w);
        if (!w) {
            cf_builder_fail(b, "out of memory");
            return NULL;
        }
        b->w = w;
        b->wcap = cap;
    }
    size_t n = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    float *data = malloc((n ? n : 1) * sizeof *data);
    if (!data) {
        cf_builder_fail(b, "out of memory for weight %s", name);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) data[i] = (float)cf_uniform(b, -scale, scale);
    if (b->denorm_weights)
        for (size_t i = 0; i < n; i += 3) data[i] *= 1e-39f;
    cf_wt *w = &b->w[b->nw++];
    snprintf(w->name, sizeof w->name, "%s", name);
    w->rank = d1 ? 2 : 1;
    w->d[0] = d0;
    w->d[1] = d1;
    w->data = data;
    return data;
}

void cf_rnn_weights(cf_builder *b, const char *layer, const char *op, int64_t in, int64_t H, int L, int bidir,
                    int64_t proj, int peep, int coupled, int bias, double mult)
{
    int G = !strcmp(op, "lstm") ? 4 : !strcmp(op, "gru") ? 3 : 1;
    int D = bidir ? 2 : 1;
    int64_t HO = proj > 0 ? proj : H;
    double k = mult / sqrt((double)H);
    char name[160];
    for (int l = 0; l < L; l++) {
        int64_t inl = l == 0 ? in : D * HO;
        for (int d = 0; d < D; d++) {
            const char *s = d ? "_reverse" : "";
            float *w[4] = {NULL, NULL, NULL, NULL};
            int64_t cols[4] = {inl, HO, 0, 0};
            snprintf(name, sizeof name, "%s.weight_ih_l%d%s", layer, l, s);
            w[0] = cf_weight(b, name, G * H, inl, k);
            snprintf(name, sizeof name, "%s.weight_hh_l%d%s", layer, l, s);
            w[1] = cf_weight(b, name, G * H, HO, k);
            if (bias) {
                snprintf(name, sizeof name, "%s.bias_ih_l%d%s", layer, l, s);
                w[2] = cf_weight(b, name, G * H, 0, k);
                snprintf(name, sizeof name, "%s.bias_hh_l%d%s", layer, l, s);
                w[3] = cf_weight(b, name, G * H, 0, k);
            }
            if (proj > 0) {
                snprintf(name, sizeof name, "%s.weight_hr_l%d%s", layer, l, s);
                cf_weight(b, name, proj, H, 1.0 / sqrt((double)H));
            }
            float *pi = NULL;
            if (peep) {
                static const char *const pn[3] = {"pi", "pf", "po"};
                for (int j = 0; j < 3; j++) {
                    snprintf(name, sizeof name, "%s.weight_%s_l%d%s", layer, pn[j], l, s);
                    float *p = cf_weight(b, name, H, 0, k);
                    if (j == 0) pi = p;
                }
            }
            if (coupled) { /* input-gate rows (0 .. H-1) must be ignored: make them loud */
                for (int m = 0; m < 4; m++) {
                    if (!w[m]) continue;
                    int64_t c = cols[m] ? cols[m] : 1;
                    for (int64_t i = 0; i < H * c; i++) w[m][i] = (float)cf_uniform(b, -1000, 1000);
                }
                if (pi)
                    for (int64_t i = 0; i < H; i++) pi[i] = (float)cf_uniform(b, -1000, 1000);
            }
        }
    }
}

void cf_builder_init(cf_builder *b, uint64_t seed, const char *key, const cf_params *p)
{
    memset(b, 0, sizeof *b);
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the data key */
    for (const char *c = key; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    b->rng = h ^ (seed * 0x9e3779b97f4a7c15ull);
    splitmix64(&b->rng);
    b->bf = p->bf;
    b->denorm_weights = p->vals == CF_VAL_DENORM;
    b->inputs = cJSON_CreateArray();
    b->layers = cJSON_CreateArray();
    b->outputs = cJSON_CreateArray();
    b->atol = SQ_DEFAULT_ATOL;
    b->rtol = SQ_DEFAULT_RTOL;
    b->version = 1;
}

void cf_builder_free(cf_builder *b)
{
    cJSON_Delete(b->inputs);
    cJSON_Delete(b->layers);
    cJSON_Delete(b->outputs);
    for (size_t i = 0; i < b->nw; i++) free(b->w[i].data);
    free(b->w);
    for (int i = 0; i < b->nin; i++) seqrt_tensor_free(b->in[i]);
}

