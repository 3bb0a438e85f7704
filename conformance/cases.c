/*
 * The case list (generated cases and golden cases), the builder the
 * generated cases are written with (description, safetensors weights and
 * inputs, from a seeded pseudo-random stream), and instances: a case made
 * concrete, loaded, and run once on the reference device for the oracle.
 */
#define _DEFAULT_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases.h"

/* Where the golden cases are: SEQRT_GOLDEN_RELDIR, relative to the
 * directory of the running program, is where an installed seqrt-conformance
 * finds them (e.g. ../share/seqrt/conformance/golden); SEQRT_GOLDEN_DIR is the
 * source tree's, for a program run from the build tree. */
#ifndef SEQRT_GOLDEN_DIR
#define SEQRT_GOLDEN_DIR "conformance/data/golden"
#endif
#ifndef SEQRT_GOLDEN_RELDIR
#define SEQRT_GOLDEN_RELDIR "../share/seqrt/conformance/golden"
#endif

#define CF_MAX_INPUTS 16

/* ------------------------------------------------------------ suite */

typedef struct cf_entry {
    cf_case_info info;
    cf_build_fn build;   /* NULL: a golden case */
    cf_params p;
    char key[112];       /* seeds the data */
    char golden[640];    /* golden case directory */
} cf_entry;

struct cf_suite {
    cf_entry *e;
    size_t n, cap;
    uint64_t seed;
    int full;
    char filter[512];
    char golden_dir[512];
    char golden_note[600];
    int oom;
};

static char g_golden_dir[1024];
static pthread_once_t g_golden_once = PTHREAD_ONCE_INIT;

static void find_golden_dir(void)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            struct stat st;
            snprintf(g_golden_dir, sizeof g_golden_dir, "%s/%s", exe, SEQRT_GOLDEN_RELDIR);
            char *real = realpath(g_golden_dir, NULL);
            bool found = real && stat(real, &st) == 0 && S_ISDIR(st.st_mode);
            if (found) snprintf(g_golden_dir, sizeof g_golden_dir, "%s", real);
            free(real);
            if (found) return;
        }
    }
    snprintf(g_golden_dir, sizeof g_golden_dir, "%s", SEQRT_GOLDEN_DIR);
}

const char *cf_default_golden_dir(void)
{
    pthread_once(&g_golden_once, find_golden_dir);
    return g_golden_dir;
}

static int filter_match(const cf_suite *s, const char *name, const char *group)
{
    if (!s->filter[0]) return 1;
    char list[512], *save = NULL;
    snprintf(list, sizeof list, "%s", s->filter);
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!*tok) continue;
        if (tok[0] == '=') {
            if (!strcmp(name, tok + 1)) return 1;
        } else if (strpbrk(tok, "*?[")) {
            if (!fnmatch(tok, name, 0)) return 1;
        } else if (strstr(name, tok) || !strcmp(group, tok)) {
            return 1;
        }
    }
    return 0;
}

static cf_entry *new_entry(cf_suite *s, const char *name, const char *group, int full_only)
{
    if (full_only && !s->full) return NULL;
    if (!filter_match(s, name, group)) return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].info.name, name)) {
            fprintf(stderr, "seqrt-conformance: internal error: case '%s' is listed twice\n", name);
            abort();
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        cf_entry *e = realloc(s->e, cap * sizeof *e);
        if (!e) {
            s->oom = 1;
            return NULL;
        }
        s->e = e;
        s->cap = cap;
    }
    cf_entry *e = &s->e[s->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->info.name, sizeof e->info.name, "%s", name);
    snprintf(e->info.group, sizeof e->info.group, "%s", group);
    e->info.full_only = full_only;
    return e;
}

void cf_add_case(cf_suite *s, const char *name, const char *group, int full_only, int chunk,
                 cf_build_fn build, const cf_params *p, const char *data_key)
{
    cf_entry *e = new_entry(s, name, group, full_only);
    if (!e) return;
    snprintf(e->info.source, sizeof e->info.source, "generated");
    e->info.chunk = chunk;
    e->build = build;
    e->p = *p;
    snprintf(e->key, sizeof e->key, "%s", data_key ? data_key : name);
}

static char *read_text(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    return buf;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* 0, or -1 with the reason in err: a golden directory that is missing or
 * holds no case is an error (--no-golden turns the group off), never a
 * quiet run without it. */
static int add_golden_cases(cf_suite *s, const char *dir, char *err, size_t errn)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errn, "golden directory %s: %s (give --golden-dir DIR, or --no-golden)", dir, strerror(errno));
        return -1;
    }
    snprintf(s->golden_dir, sizeof s->golden_dir, "%s", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/case.json", dir, de->d_name);
        if (access(path, R_OK) != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 128;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char name[160], path[1024];
        snprintf(name, sizeof name, "golden/%s", names[i]);
        cf_entry *e = new_entry(s, name, "golden", 0);
        if (e) {
            snprintf(e->golden, sizeof e->golden, "%s/%s", dir, names[i]);
            snprintf(path, sizeof path, "%s/case.json", e->golden);
            char *text = read_text(path, 1 << 16);
            cJSON *j = text ? cJSON_Parse(text) : NULL;
            const cJSON *src = j ? cJSON_GetObjectItem(j, "source") : NULL;
            snprintf(e->info.source, sizeof e->info.source, "%s", cJSON_IsString(src) ? src->valuestring : "golden");
            cJSON_Delete(j);
            free(text);
        }
        free(names[i]);
    }
    free(names);
    if (!n) {
        snprintf(err, errn, "golden directory %s holds no case (a case is a directory with case.json)", dir);
        return -1;
    }
    return 0;
}

int cf_suite_create(cf_suite **out, const cf_suite_options *opt, char *err, size_t errn)
{
    *out = NULL;
    cf_suite *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    s->seed = opt && opt->seed ? opt->seed : CF_DEFAULT_SEED;
    s->full = opt ? opt->full : 0;
    if (opt && opt->filter) snprintf(s->filter, sizeof s->filter, "%s", opt->filter);
    cf_add_rnn_cases(s);
    cf_add_op_cases(s);
    cf_add_attention_cases(s);
    cf_add_model_cases(s);
    const char *gd = opt && opt->golden_dir ? opt->golden_dir : cf_default_golden_dir();
    if (*gd) {
        if (add_golden_cases(s, gd, err, errn)) {
            cf_suite_free(s);
            return -1;
        }
    } else
        snprintf(s->golden_note, sizeof s->golden_note, "golden cases turned off");
    if (s->oom) {
        cf_suite_free(s);
        snprintf(err, errn, "out of memory building the case list");
        return -1;
    }
    *out = s;
    return 0;
}

void cf_suite_free(cf_suite *s)
{
    if (!s) return;
    free(s->e);
    free(s);
}

size_t cf_suite_count(const cf_suite *s) { return s->n; }
const cf_case_info *cf_suite_case(const cf_suite *s, size_t i) { return i < s->n ? &s->e[i].info : NULL; }
uint64_t cf_suite_seed(const cf_suite *s) { return s->seed; }
int cf_suite_full(const cf_suite *s) { return s->full; }
const char *cf_suite_golden_dir(const cf_suite *s) { return s->golden_dir; }
const char *cf_suite_golden_note(const cf_suite *s) { return s->golden_note; }

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

/* ------------------------------------------------------------ builder */

typedef struct cf_wt {
    char name[128];
    int rank;
    int64_t d[2];
    float *data;
} cf_wt;

struct cf_builder {
    uint64_t rng;
    int bf;
    int denorm_weights;
    cJSON *inputs, *layers, *outputs;
    cf_wt *w;
    size_t nw, wcap;
    seqrt_tensor *in[CF_MAX_INPUTS];
    char in_name[CF_MAX_INPUTS][48];
    int nin;
    double atol, rtol;
    char note[256];
    char desc[512];
    char err[256];
};

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

static void fail(cf_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(cf_builder *b, const char *fmt, ...)
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
    if (!j) fail(b, "bad JSON in the case builder: %s", buf);
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
            fail(b, "out of memory");
            return NULL;
        }
        b->w = w;
        b->wcap = cap;
    }
    size_t n = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    float *data = malloc((n ? n : 1) * sizeof *data);
    if (!data) {
        fail(b, "out of memory for weight %s", name);
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

static seqrt_tensor *add_input(cf_builder *b, const char *name, seqrt_dtype dtype, const char *shape_json, int rank,
                               const int64_t *dims)
{
    if (b->nin == CF_MAX_INPUTS) {
        fail(b, "too many inputs");
        return NULL;
    }
    seqrt_tensor *t = NULL;
    if (seqrt_tensor_create(&t, dtype, rank, dims) != SEQRT_OK) {
        fail(b, "input %s: %s", name, seqrt_last_error());
        return NULL;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", shape_json);
    for (char *c = buf; *c; c++)
        if (*c == '\'') *c = '"';
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "name", name);
    cJSON_AddStringToObject(in, "dtype", dtype == SEQRT_F32 ? "float32" : dtype == SEQRT_I32 ? "int32" : "int64");
    cJSON *shape = cJSON_Parse(buf);
    if (!shape) fail(b, "bad shape %s", buf);
    cJSON_AddItemToObject(in, "shape", shape ? shape : cJSON_CreateArray());
    cJSON_AddItemToArray(b->inputs, in);
    b->in[b->nin] = t;
    snprintf(b->in_name[b->nin++], sizeof b->in_name[0], "%s", name);
    return t;
}

static float special_value(cf_builder *b, size_t i)
{
    static const float extremes[] = {1e4f, -1e4f, 88.8f, -88.8f, 1e30f, -1e30f, 20.f, -20.f, 710.f, -710.f, 50.f, -50.f};
    (void)b;
    return extremes[i % (sizeof extremes / sizeof extremes[0])];
}

void cf_fill(cf_builder *b, float *x, size_t n, int vals, long special)
{
    for (size_t i = 0; i < n; i++) {
        double v = cf_uniform(b, -1, 1);
        if (vals == CF_VAL_SAT) v *= 100;
        if (vals == CF_VAL_DENORM) v *= 1e-39;
        x[i] = (float)v;
        if (vals == CF_VAL_HUGE && i % 3 == 1) x[i] = special_value(b, i / 3);
    }
    if (special >= 0 && (size_t)special < n) {
        if (vals == CF_VAL_NAN) x[special] = NAN;
        if (vals == CF_VAL_INF) {
            x[special] = INFINITY;
            x[(size_t)special / 2] = -INFINITY;
            if (n > 2) x[n - 1] = -INFINITY;
        }
    }
}

float *cf_in_seq(cf_builder *b, const char *name, const char *tsym, int64_t T, int64_t B, int64_t F, int vals,
                 const int32_t *lens)
{
    int64_t dims[3] = {b->bf ? B : T, b->bf ? T : B, F};
    char shape[128];
    if (b->bf)
        snprintf(shape, sizeof shape, "['B', '%s', %lld]", tsym, (long long)F);
    else
        snprintf(shape, sizeof shape, "['%s', 'B', %lld]", tsym, (long long)F);
    seqrt_tensor *t = add_input(b, name, SEQRT_F32, shape, 3, dims);
    if (!t) return NULL;
    float *x = seqrt_tensor_data(t);
    cf_fill(b, x, (size_t)(T * B * F), vals == CF_VAL_NAN || vals == CF_VAL_INF ? CF_VAL_NORMAL : vals, -1);
#define AT(t_, b_, f_) x[(b->bf ? ((b_) * T + (t_)) : ((t_) * B + (b_))) * F + (f_)]
    if (vals == CF_VAL_NAN) AT(T / 2, B - 1, 0) = NAN;
    if (vals == CF_VAL_INF) {
        AT(T / 2, B - 1, 0) = INFINITY;
        AT(T - 1, B - 1, F - 1) = -INFINITY;
        if (B >= 3) AT(0, B - 2, 0) = -INFINITY;
    }
    if (vals == CF_VAL_NEGINF_ROW) {
        for (int64_t f = 0; f < F; f++) AT(0, 0, f) = -INFINITY;
        AT(T - 1, B - 1, 0) = INFINITY;
    }
    if (lens && (vals == CF_VAL_PADNAN || vals == CF_VAL_PADBIG))
        for (int64_t bb = 0; bb < B; bb++)
            for (int64_t t0 = lens[bb]; t0 < T; t0++)
                for (int64_t f = 0; f < F; f++)
                    AT(t0, bb, f) = vals == CF_VAL_PADNAN ? NAN : (cf_randint(b, 2) ? 1000.f : -1000.f);
#undef AT
    return x;
}

void cf_in_ids(cf_builder *b, const char *name, const char *tsym, int64_t T, int64_t B, int64_t V, int i64)
{
    int64_t dims[2] = {b->bf ? B : T, b->bf ? T : B};
    char shape[64];
    if (b->bf)
        snprintf(shape, sizeof shape, "['B', '%s']", tsym);
    else
        snprintf(shape, sizeof shape, "['%s', 'B']", tsym);
    seqrt_tensor *t = add_input(b, name, i64 ? SEQRT_I64 : SEQRT_I32, shape, 2, dims);
    if (!t) return;
    size_t n = (size_t)(T * B);
    for (size_t i = 0; i < n; i++) {
        int64_t id = cf_randint(b, (int)V);
        if (i == 0) id = 0;
        if (i == n - 1) id = V - 1; /* both ends of the vocabulary */
        if (i64)
            ((int64_t *)seqrt_tensor_data(t))[i] = id;
        else
            ((int32_t *)seqrt_tensor_data(t))[i] = (int32_t)id;
    }
}

int32_t *cf_in_lengths(cf_builder *b, const char *name, int64_t B, int64_t T, int pattern)
{
    if (pattern == CF_LEN_NONE) return NULL;
    int64_t dims[1] = {B};
    seqrt_tensor *t = add_input(b, name, SEQRT_I32, "['B']", 1, dims);
    if (!t) return NULL;
    int32_t *l = seqrt_tensor_data(t);
    const int64_t cyc[5] = {T, 0, (T + 1) / 2, 1, T > 1 ? T - 1 : T};
    for (int64_t i = 0; i < B; i++) {
        switch (pattern) {
        case CF_LEN_MIXED: l[i] = (int32_t)(B == 1 ? (T + 1) / 2 : cyc[i % 5]); break;
        case CF_LEN_ZERO: l[i] = 0; break;
        case CF_LEN_FULL: l[i] = (int32_t)T; break;
        case CF_LEN_ONE: l[i] = 1; break;
        default: l[i] = (int32_t)cf_randint(b, (int)T + 1); break;
        }
    }
    cf_describe(b, "%s", cf_len_name(pattern));
    return l;
}

float *cf_in_state(cf_builder *b, const char *name, int64_t LD, int64_t B, int64_t H)
{
    int64_t dims[3] = {LD, B, H};
    char shape[96];
    snprintf(shape, sizeof shape, "[%lld, 'B', %lld]", (long long)LD, (long long)H);
    seqrt_tensor *t = add_input(b, name, SEQRT_F32, shape, 3, dims);
    if (!t) return NULL;
    float *x = seqrt_tensor_data(t);
    cf_fill(b, x, (size_t)(LD * B * H), CF_VAL_NORMAL, -1);
    return x;
}

float *cf_in_float(cf_builder *b, const char *name, const char *shape_json, int rank, const int64_t *dims, int vals)
{
    seqrt_tensor *t = add_input(b, name, SEQRT_F32, shape_json, rank, dims);
    if (!t) return NULL;
    size_t n = seqrt_tensor_count(t);
    float *x = seqrt_tensor_data(t);
    cf_fill(b, x, n, vals, (long)(n / 2));
    return x;
}

static void builder_init(cf_builder *b, const cf_suite *s, const cf_entry *e)
{
    memset(b, 0, sizeof *b);
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the data key */
    for (const char *c = e->key; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    b->rng = h ^ (s->seed * 0x9e3779b97f4a7c15ull);
    splitmix64(&b->rng);
    b->bf = e->p.bf;
    b->denorm_weights = e->p.vals == CF_VAL_DENORM;
    b->inputs = cJSON_CreateArray();
    b->layers = cJSON_CreateArray();
    b->outputs = cJSON_CreateArray();
    b->atol = SQ_DEFAULT_ATOL;
    b->rtol = SQ_DEFAULT_RTOL;
}

static void builder_free(cf_builder *b)
{
    cJSON_Delete(b->inputs);
    cJSON_Delete(b->layers);
    cJSON_Delete(b->outputs);
    for (size_t i = 0; i < b->nw; i++) free(b->w[i].data);
    free(b->w);
    for (int i = 0; i < b->nin; i++) seqrt_tensor_free(b->in[i]);
}

/* ------------------------------------------------------------ files */

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    int rc = fclose(f);
    return w == n && rc == 0 ? 0 : -1;
}

/* safetensors: u64 LE header length, JSON header padded with spaces to a
 * multiple of 8, then the F32 LE data in header order. */
static int write_safetensors(const char *path, const cf_wt *w, size_t n)
{
    cJSON *h = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(h, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    cJSON_AddStringToObject(meta, "generator", "seqrt-conformance");
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = (size_t)w[i].d[0] * (size_t)(w[i].rank == 2 ? w[i].d[1] : 1);
        cJSON *t = cJSON_AddObjectToObject(h, w[i].name);
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(t, "shape");
        for (int d = 0; d < w[i].rank; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)w[i].d[d]));
        cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        off += count * 4;
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
    }
    char *js = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (!js) return -1;
    size_t hl = strlen(js), padded = (hl + 7) / 8 * 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(js);
        return -1;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(js, 1, hl, f) == hl;
    for (size_t i = hl; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
    free(js);
    for (size_t i = 0; ok && i < n; i++) {
        size_t count = (size_t)w[i].d[0] * (size_t)(w[i].rank == 2 ? w[i].d[1] : 1);
        for (size_t k = 0; ok && k < count; k++) {
            uint32_t u;
            memcpy(&u, &w[i].data[k], 4);
            unsigned char le[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                                   (unsigned char)(u >> 24)};
            ok = fwrite(le, 1, 4, f) == 4;
        }
    }
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}

static int write_model_files(cf_builder *b, const cf_entry *e, const char *dir)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "format", "seqrt");
    cJSON_AddNumberToObject(m, "version", 1);
    cJSON_AddStringToObject(m, "name", e->info.name);
    cJSON_AddBoolToObject(m, "batch_first", b->bf);
    cJSON_AddStringToObject(m, "weights", "model.safetensors");
    cJSON_AddItemReferenceToObject(m, "inputs", b->inputs);
    cJSON_AddItemReferenceToObject(m, "layers", b->layers);
    cJSON_AddItemReferenceToObject(m, "outputs", b->outputs);
    cJSON *meta = cJSON_AddObjectToObject(m, "metadata");
    cJSON_AddStringToObject(meta, "conformance_case", e->info.name);
    cJSON_AddStringToObject(meta, "description", b->desc);
    char *js = cJSON_Print(m);
    cJSON_Delete(m);
    if (!js) return -1;
    char path[1024];
    snprintf(path, sizeof path, "%s/model.json", dir);
    int rc = write_file(path, js, strlen(js));
    free(js);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!rc) rc = write_safetensors(path, b->w, b->nw);
    return rc;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char p[1200];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int make_temp_dir(char *dir, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/seqrt-conformance-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

/* ------------------------------------------------------------ instances */

static void output_file_value(const char *value, char *buf, size_t n)
{
    snprintf(buf, n, "%s", value);
    for (char *c = buf; *c; c++)
        if (*c == ':') *c = '.';
}

void cf_instance_free(cf_instance *inst)
{
    if (!inst) return;
    for (size_t i = 0; i < inst->nin; i++) seqrt_tensor_free(inst->inputs ? inst->inputs[i] : NULL);
    for (size_t o = 0; o < inst->nout; o++) {
        if (inst->oracle) seqrt_tensor_free(inst->oracle[o]);
        if (inst->expected) seqrt_tensor_free(inst->expected[o]);
    }
    free(inst->inputs);
    free(inst->oracle);
    free(inst->expected);
    seqrt_model_free(inst->model);
    free(inst);
}

static int copy_tensor(seqrt_tensor **out, const seqrt_tensor *t)
{
    int64_t dims[SEQRT_MAX_RANK];
    int rank = seqrt_tensor_rank(t);
    for (int d = 0; d < rank; d++) dims[d] = seqrt_tensor_dim(t, d);
    if (seqrt_tensor_create(out, seqrt_tensor_dtype(t), rank, dims) != SEQRT_OK) return -1;
    size_t esz = seqrt_tensor_dtype(t) == SEQRT_I64 ? 8 : 4;
    memcpy(seqrt_tensor_data(*out), seqrt_tensor_data(t), seqrt_tensor_count(t) * esz);
    return 0;
}

/* The oracle: the whole run on reference:0. */
static int run_oracle(cf_instance *inst, char *err, size_t errn)
{
    const seqrt_device *ref = NULL;
    if (seqrt_device_find(&ref, "reference:0") != SEQRT_OK) {
        snprintf(err, errn, "the reference device is unavailable: %s", seqrt_last_error());
        return -1;
    }
    seqrt_session *s = NULL;
    if (seqrt_session_create(&s, inst->model, ref, NULL) != SEQRT_OK) {
        snprintf(err, errn, "the reference backend cannot prepare the case: %s", seqrt_last_error());
        return -1;
    }
    if (seqrt_session_run(s, (const seqrt_tensor *const *)inst->inputs, inst->nin) != SEQRT_OK) {
        snprintf(err, errn, "the reference backend cannot run the case: %s", seqrt_last_error());
        seqrt_session_free(s);
        return -1;
    }
    inst->oracle = calloc(inst->nout, sizeof *inst->oracle);
    for (size_t o = 0; inst->oracle && o < inst->nout; o++) {
        const seqrt_tensor *t = NULL;
        if (seqrt_session_output(s, o, &t) != SEQRT_OK || copy_tensor(&inst->oracle[o], t)) {
            snprintf(err, errn, "the reference backend's output %zu: %s", o, seqrt_last_error());
            seqrt_session_free(s);
            return -1;
        }
    }
    seqrt_session_free(s);
    if (!inst->oracle) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    return 0;
}

static cf_instance *new_instance(const cf_entry *e)
{
    cf_instance *inst = calloc(1, sizeof *inst);
    if (!inst) return NULL;
    inst->info = &e->info;
    inst->atol = SQ_DEFAULT_ATOL;
    inst->rtol = SQ_DEFAULT_RTOL;
    inst->chunk = e->info.chunk;
    return inst;
}

static int finish_model(cf_instance *inst, char *err, size_t errn)
{
    inst->nin = seqrt_model_input_count(inst->model);
    inst->nout = seqrt_model_output_count(inst->model);
    inst->inputs = calloc(inst->nin ? inst->nin : 1, sizeof *inst->inputs);
    if (!inst->inputs) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    if (inst->chunk > 0) {
        char why[512];
        if (!seqrt_model_streamable(inst->model, why, sizeof why)) {
            snprintf(err, errn, "streaming case on a model that is not streamable: %s", why);
            return -1;
        }
    }
    return 0;
}

static int instance_generated(cf_instance *inst, const cf_suite *s, const cf_entry *e, char *err, size_t errn)
{
    cf_builder b;
    builder_init(&b, s, e);
    e->build(&b, &e->p);
    int rc = -1;
    char dir[512] = "";
    if (b.err[0]) {
        snprintf(err, errn, "case generator: %s", b.err);
        goto done;
    }
    /* the builder's JSON fragments use single quotes: drop them */
    size_t k = 0;
    for (const char *c = b.desc; *c && k + 1 < sizeof inst->description; c++)
        if (*c != '\'') inst->description[k++] = *c;
    inst->description[k] = '\0';
    inst->atol = b.atol;
    inst->rtol = b.rtol;
    snprintf(inst->tolerance_note, sizeof inst->tolerance_note, "%s", b.note);
    if (make_temp_dir(dir, sizeof dir)) {
        snprintf(err, errn, "cannot create a temporary directory (%s)", strerror(errno));
        dir[0] = '\0';
        goto done;
    }
    if (write_model_files(&b, e, dir)) {
        snprintf(err, errn, "cannot write the case's files in %s (%s)", dir, strerror(errno));
        goto done;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/model.json", dir);
    seqrt_load_options lo = {1, NULL}; /* strict: a generated weight no layer uses is a generator bug */
    if (seqrt_model_load(&inst->model, path, &lo) != SEQRT_OK) {
        snprintf(err, errn, "the generated model does not load: %s", seqrt_last_error());
        goto done;
    }
    if (finish_model(inst, err, errn)) goto done;
    if ((size_t)b.nin != inst->nin) {
        snprintf(err, errn, "case generator: %d inputs made, the model has %zu", b.nin, inst->nin);
        goto done;
    }
    for (int i = 0; i < b.nin; i++) {
        size_t at;
        if (seqrt_model_find_input(inst->model, b.in_name[i], &at) != SEQRT_OK) {
            snprintf(err, errn, "case generator: input %s not in the model", b.in_name[i]);
            goto done;
        }
        inst->inputs[at] = b.in[i];
        b.in[i] = NULL;
    }
    rc = run_oracle(inst, err, errn);
done:
    if (dir[0]) rm_dir(dir);
    builder_free(&b);
    return rc;
}

static int instance_golden(cf_instance *inst, const cf_entry *e, char *err, size_t errn)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/case.json", e->golden);
    char *text = read_text(path, 1 << 16);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!j) {
        snprintf(err, errn, "cannot read %s", path);
        return -1;
    }
    const cJSON *a = cJSON_GetObjectItem(j, "atol"), *r = cJSON_GetObjectItem(j, "rtol");
    const cJSON *d = cJSON_GetObjectItem(j, "description"), *n = cJSON_GetObjectItem(j, "tolerance_note");
    if (cJSON_IsNumber(a)) inst->atol = a->valuedouble;
    if (cJSON_IsNumber(r)) inst->rtol = r->valuedouble;
    if (cJSON_IsString(d)) snprintf(inst->description, sizeof inst->description, "%s", d->valuestring);
    if (cJSON_IsString(n)) snprintf(inst->tolerance_note, sizeof inst->tolerance_note, "%s", n->valuestring);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/model.json", e->golden);
    if (seqrt_model_load(&inst->model, path, NULL) != SEQRT_OK) {
        snprintf(err, errn, "the golden model does not load: %s", seqrt_last_error());
        return -1;
    }
    if (finish_model(inst, err, errn)) return -1;
    for (size_t i = 0; i < inst->nin; i++) {
        snprintf(path, sizeof path, "%s/input.%s.npy", e->golden, seqrt_model_input_name(inst->model, i));
        if (seqrt_tensor_load_npy(&inst->inputs[i], path) != SEQRT_OK) {
            snprintf(err, errn, "golden input: %s", seqrt_last_error());
            return -1;
        }
    }
    inst->expected = calloc(inst->nout, sizeof *inst->expected);
    if (!inst->expected) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    for (size_t o = 0; o < inst->nout; o++) {
        char v[256];
        output_file_value(seqrt_model_output_name(inst->model, o), v, sizeof v);
        snprintf(path, sizeof path, "%s/expected.%s.npy", e->golden, v);
        if (seqrt_tensor_load_npy(&inst->expected[o], path) != SEQRT_OK) {
            snprintf(err, errn, "golden expected output: %s", seqrt_last_error());
            return -1;
        }
    }
    return run_oracle(inst, err, errn);
}

int cf_instance_create(cf_instance **out, const cf_suite *s, size_t index, char *err, size_t errn)
{
    *out = NULL;
    if (index >= s->n) {
        snprintf(err, errn, "no case %zu", index);
        return -1;
    }
    const cf_entry *e = &s->e[index];
    cf_instance *inst = new_instance(e);
    if (!inst) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    int rc = e->build ? instance_generated(inst, s, e, err, errn) : instance_golden(inst, e, err, errn);
    if (rc) {
        cf_instance_free(inst);
        return -1;
    }
    *out = inst;
    return 0;
}

int cf_instance_save(const cf_suite *s, size_t index, const cf_instance *inst, const char *dir, char *err,
                     size_t errn)
{
    const cf_entry *e = &s->e[index];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errn, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[1200], v[256];
    if (e->build) {
        cf_builder b;
        builder_init(&b, s, e);
        e->build(&b, &e->p);
        int rc = b.err[0] ? -1 : write_model_files(&b, e, dir);
        builder_free(&b);
        if (rc) {
            snprintf(err, errn, "cannot write the model files into %s", dir);
            return -1;
        }
    } else {
        const char *files[] = {"model.json", "model.safetensors", "case.json"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/%s", e->golden, files[i]);
            FILE *f = fopen(path, "rb");
            if (!f) continue;
            fseek(f, 0, SEEK_END);
            long n = ftell(f);
            fseek(f, 0, SEEK_SET);
            char *buf = malloc(n > 0 ? (size_t)n : 1);
            size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
            fclose(f);
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            if (buf) write_file(path, buf, got);
            free(buf);
        }
    }
    for (size_t i = 0; i < inst->nin; i++) {
        snprintf(path, sizeof path, "%s/input.%s.npy", dir, seqrt_model_input_name(inst->model, i));
        if (seqrt_tensor_save_npy(inst->inputs[i], path) != SEQRT_OK) {
            snprintf(err, errn, "%s", seqrt_last_error());
            return -1;
        }
    }
    for (size_t o = 0; o < inst->nout; o++) {
        output_file_value(seqrt_model_output_name(inst->model, o), v, sizeof v);
        snprintf(path, sizeof path, "%s/reference.%s.npy", dir, v);
        if (seqrt_tensor_save_npy(inst->oracle[o], path) != SEQRT_OK) {
            snprintf(err, errn, "%s", seqrt_last_error());
            return -1;
        }
        if (inst->expected) {
            snprintf(path, sizeof path, "%s/expected.%s.npy", dir, v);
            seqrt_tensor_save_npy(inst->expected[o], path);
        }
    }
    return 0;
}
