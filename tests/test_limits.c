/*
 * The documented limits (docs/reliability.md) and the weights-path rule,
 * each at its edge: the largest accepted value loads, the next one is a
 * clear SEQRT_ERR_LIMIT (or SEQRT_ERR_MODEL for an attribute range) before
 * anything big is allocated; hostile structure (deep JSON nesting, a huge
 * file, a directory or a FIFO as weights) is an error, never a crash. Also
 * the in-memory loader the fuzzers use (sq_model_load_memory) against the
 * file loader.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "formats.h"
#include "internal.h"
#include "seqrt.h"
#include "test_util.h"

static char g_dir[512];

static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0, "mkdtemp failed"); }
static void teardown(void)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/sub", g_dir);
    rmdir(p);
    tu_rmtree(g_dir);
}

TestSuite(limits, .init = setup, .fini = teardown);

/* Writes `text` as model.json (and an empty weights file) and loads it. */
static seqrt_status load_text(const char *text, seqrt_model **out)
{
    char path[1024], wpath[1024];
    snprintf(path, sizeof path, "%s/model.json", g_dir);
    snprintf(wpath, sizeof wpath, "%s/model.safetensors", g_dir);
    cr_assert_eq(tu_write(path, text, strlen(text)), 0);
    tu_st st;
    tu_st_init(&st);
    tu_st_write(&st, wpath);
    tu_st_free(&st);
    seqrt_model *m = NULL;
    seqrt_status s = seqrt_model_load(&m, path, NULL);
    if (s) cr_assert_null(m);
    if (out) *out = m;
    else seqrt_model_free(m);
    return s;
}

static void expect(seqrt_status st, seqrt_status want, const char *sub)
{
    cr_assert_eq(st, want, "status %s, expected %s: %s", seqrt_status_str(st), seqrt_status_str(want),
                 seqrt_last_error());
    if (sub) cr_assert(strstr(seqrt_last_error(), sub), "error \"%s\" does not mention \"%s\"", seqrt_last_error(), sub);
}

/* A description with one dropout layer named `layer` over input `input`. */
static char *dropout_desc(const char *input, const char *layer)
{
    size_t n = strlen(input) * 3 + strlen(layer) * 2 + 512;
    char *s = malloc(n);
    snprintf(s, n,
             "{\"format\": \"seqrt\", \"version\": 1, \"inputs\": [{\"name\": \"%s\", \"dtype\": \"float32\","
             " \"shape\": [\"T\", 2]}], \"layers\": [{\"op\": \"dropout\", \"name\": \"%s\", \"inputs\": {\"x\": \"%s\"}}],"
             " \"outputs\": [\"%s\"]}",
             input, layer, input, layer);
    return s;
}

static char *name_of(size_t n, char c)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

Test(limits, name_length)
{
    /* Finding of the fuzzing round (issue 7): names longer than the fixed
     * buffers that build value and weight names were silently cut, so two
     * long layer names could collide. Now: at most SQ_MAX_NAME characters. */
    char *ok = name_of(SQ_MAX_NAME, 'a'), *bad = name_of(SQ_MAX_NAME + 1, 'b');
    char *d = dropout_desc("x", ok);
    seqrt_model *m = NULL;
    expect(load_text(d, &m), SEQRT_OK, NULL);
    cr_assert_str_eq(seqrt_model_output_name(m, 0), ok);
    seqrt_model_free(m);
    free(d);
    d = dropout_desc("x", bad);
    expect(load_text(d, NULL), SEQRT_ERR_LIMIT, "name of 256 characters");
    free(d);
    d = dropout_desc(bad, "drop");
    expect(load_text(d, NULL), SEQRT_ERR_LIMIT, "inputs[0]: name of 256 characters");
    free(d);
    free(ok);
    free(bad);
}

static char *many_layers(int n)
{
    size_t cap = (size_t)n * 100 + 512, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s, cap,
                            "{\"format\": \"seqrt\", \"version\": 1, \"inputs\": [{\"name\": \"x\", \"dtype\":"
                            " \"float32\", \"shape\": [2]}], \"layers\": [");
    for (int i = 0; i < n; i++) {
        char in[32];
        if (i) snprintf(in, sizeof in, "d%d", i - 1);
        else snprintf(in, sizeof in, "x");
        len += (size_t)snprintf(s + len, cap - len, "%s{\"op\": \"dropout\", \"name\": \"d%d\", \"inputs\": {\"x\": \"%s\"}}",
                                i ? ", " : "", i, in);
    }
    snprintf(s + len, cap - len, "], \"outputs\": [\"d%d\"]}", n - 1);
    return s;
}

Test(limits, layer_count)
{
    char *d = many_layers(SQ_MAX_LAYERS);
    expect(load_text(d, NULL), SEQRT_OK, NULL);
    free(d);
    d = many_layers(SQ_MAX_LAYERS + 1);
    expect(load_text(d, NULL), SEQRT_ERR_LIMIT, "4097 layers exceed the limit of 4096");
    free(d);
}

Test(limits, attribute_ranges)
{
    /* num_layers <= 64, size attributes <= 2^24: range errors at load,
     * before any weight is looked at. */
    expect(load_text("{\"format\": \"seqrt\", \"version\": 1, \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\","
                     " \"shape\": [\"T\", \"B\", 2]}], \"layers\": [{\"op\": \"lstm\", \"name\": \"r\", \"inputs\":"
                     " {\"x\": \"x\"}, \"input_size\": 2, \"hidden_size\": 2, \"num_layers\": 65}], \"outputs\": [\"r\"]}",
                     NULL),
           SEQRT_ERR_MODEL, "'num_layers' = 65 is out of range [1, 64]");
    expect(load_text("{\"format\": \"seqrt\", \"version\": 1, \"inputs\": [{\"name\": \"x\", \"dtype\": \"int32\","
                     " \"shape\": [\"T\"]}], \"layers\": [{\"op\": \"one_hot\", \"name\": \"o\", \"inputs\":"
                     " {\"x\": \"x\"}, \"depth\": 16777217}], \"outputs\": [\"o\"]}",
                     NULL),
           SEQRT_ERR_MODEL, "'depth' = 16777217 is out of range [1, 16777216]");
}

Test(limits, value_elements)
{
    /* Every dim within range, but the value has 2^35 elements: refused at
     * load (the limit is 2^34 elements per tensor). */
    expect(load_text("{\"format\": \"seqrt\", \"version\": 1, \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\","
                     " \"shape\": [131072, 131072, 2]}], \"layers\": [{\"op\": \"dropout\", \"name\": \"d\", \"inputs\":"
                     " {\"x\": \"x\"}}], \"outputs\": [\"d\"]}",
                     NULL),
           SEQRT_ERR_LIMIT, "exceeds the limit of 17179869184 elements");
    /* one_hot at its largest depth on a large declared input: the product
     * overflows 2^34 too */
    expect(load_text("{\"format\": \"seqrt\", \"version\": 1, \"inputs\": [{\"name\": \"x\", \"dtype\": \"int32\","
                     " \"shape\": [1048576, 1024]}], \"layers\": [{\"op\": \"one_hot\", \"name\": \"o\", \"inputs\":"
                     " {\"x\": \"x\"}, \"depth\": 16777216}], \"outputs\": [\"o\"]}",
                     NULL),
           SEQRT_ERR_LIMIT, "exceeds the limit");
    /* a run-time tensor beyond the limit cannot even be made */
    seqrt_tensor *t = NULL;
    expect(seqrt_tensor_create(&t, SEQRT_F32, 2, (int64_t[]){(int64_t)1 << 20, (int64_t)1 << 15}), SEQRT_ERR_LIMIT,
           NULL);
    cr_assert_null(t);
    expect(seqrt_tensor_create(&t, SEQRT_F32, 3, (int64_t[]){INT64_MAX, INT64_MAX, 2}), SEQRT_ERR_LIMIT, NULL);
}

Test(limits, deep_json_nesting)
{
    /* 100 000 nested lists in "metadata": a parse error (cJSON stops at a
     * depth of 1000), not a stack overflow. */
    const int depth = 100000;
    const char *head = "{\"format\": \"seqrt\", \"version\": 1, \"metadata\": ";
    const char *tail = ", \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [2]}], \"layers\":"
                       " [{\"op\": \"dropout\", \"name\": \"d\", \"inputs\": {\"x\": \"x\"}}], \"outputs\": [\"d\"]}";
    char *s = malloc(strlen(head) + 2 * (size_t)depth + strlen(tail) + 1);
    char *p = s;
    p += sprintf(p, "%s", head);
    memset(p, '[', (size_t)depth);
    p += depth;
    memset(p, ']', (size_t)depth);
    p += depth;
    strcpy(p, tail);
    expect(load_text(s, NULL), SEQRT_ERR_PARSE, "malformed JSON");
    free(s);
}

Test(limits, description_file_size)
{
    /* 64 MiB + 1 byte of whitespace: refused by size before it is read. */
    char path[1024];
    snprintf(path, sizeof path, "%s/big.json", g_dir);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fseek(f, (64L << 20), SEEK_SET), 0);
    fputc(' ', f);
    fclose(f);
    seqrt_model *m = NULL;
    expect(seqrt_model_load(&m, path, NULL), SEQRT_ERR_LIMIT, "more than the limit of 67108864 bytes");
    cr_assert_null(m);
    unlink(path);
}

/* The dropout model with "weights": `w`. */
static seqrt_status load_with_weights(const char *w)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"format\": \"seqrt\", \"version\": 1, \"weights\": \"%s\", \"inputs\": [{\"name\": \"x\", \"dtype\":"
             " \"float32\", \"shape\": [2]}], \"layers\": [{\"op\": \"dropout\", \"name\": \"d\", \"inputs\": {\"x\":"
             " \"x\"}}], \"outputs\": [\"d\"]}",
             w);
    return load_text(text, NULL);
}

Test(limits, weights_path_rule)
{
    /* Relative to the description's directory; lexical: any ".." component
     * is refused, even one that would come back inside. */
    expect(load_with_weights("./model.safetensors"), SEQRT_OK, NULL);
    expect(load_with_weights("sub/../model.safetensors"), SEQRT_ERR_MODEL, "leaves the description's directory");
    expect(load_with_weights(".."), SEQRT_ERR_MODEL, "leaves the description's directory");
    expect(load_with_weights("sub/.."), SEQRT_ERR_MODEL, "leaves the description's directory");
    expect(load_with_weights("/etc/passwd"), SEQRT_ERR_MODEL, "absolute paths");
    expect(load_with_weights(""), SEQRT_ERR_MODEL, "'weights'");
    /* a name that merely starts with dots is an ordinary file name */
    expect(load_with_weights("..model.safetensors"), SEQRT_ERR_IO, "..model.safetensors: cannot open");
    /* not a regular file: a directory, a FIFO, a device */
    char p[1024];
    snprintf(p, sizeof p, "%s/sub", g_dir);
    cr_assert_eq(mkdir(p, 0700), 0);
    expect(load_with_weights("sub"), SEQRT_ERR_IO, "cannot read");
    snprintf(p, sizeof p, "%s/fifo", g_dir);
    cr_assert_eq(mkfifo(p, 0600), 0);
    expect(load_with_weights("fifo"), SEQRT_ERR_IO, "not a regular file");
    unlink(p);
    /* the embedding program's explicit choice is used as given */
    char text[512];
    snprintf(text, sizeof text,
             "{\"format\": \"seqrt\", \"version\": 1, \"weights\": \"/nonexistent\", \"inputs\": [{\"name\": \"x\","
             " \"dtype\": \"float32\", \"shape\": [2]}], \"layers\": [{\"op\": \"dropout\", \"name\": \"d\", \"inputs\":"
             " {\"x\": \"x\"}}], \"outputs\": [\"d\"]}");
    char path[1024], wpath[1024];
    snprintf(path, sizeof path, "%s/model.json", g_dir);
    snprintf(wpath, sizeof wpath, "%s/model.safetensors", g_dir);
    tu_write(path, text, strlen(text));
    seqrt_load_options opt = {0, wpath};
    seqrt_model *m = NULL;
    expect(seqrt_model_load(&m, path, &opt), SEQRT_OK, NULL);
    seqrt_model_free(m);
}

/* ------------------------------------------------------------ memory loader */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

Test(limits, memory_loader_matches_file_loader)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/conformance/data/golden/charlm_embedding_lstm_linear", SEQRT_SOURCE_DIR);
    snprintf(path, sizeof path, "%s/model.json", dir);
    size_t jl, wl;
    uint8_t *json = slurp(path, &jl);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    uint8_t *w = slurp(path, &wl);
    seqrt_model *a = NULL, *b = NULL;
    snprintf(path, sizeof path, "%s/model.json", dir);
    expect(seqrt_model_load(&a, path, NULL), SEQRT_OK, NULL);
    expect(sq_model_load_memory(&b, "mem/model.json", json, jl, w, wl, NULL), SEQRT_OK, NULL);
    cr_assert_eq(seqrt_model_layer_count(a), seqrt_model_layer_count(b));
    snprintf(path, sizeof path, "%s/input.tokens.npy", dir);
    seqrt_tensor *x = NULL;
    expect(seqrt_tensor_load_npy(&x, path), SEQRT_OK, NULL);
    const seqrt_device *dev = NULL;
    expect(seqrt_device_find(&dev, "reference"), SEQRT_OK, NULL);
    seqrt_session *sa = NULL, *sb = NULL;
    expect(seqrt_session_create(&sa, a, dev, NULL), SEQRT_OK, NULL);
    expect(seqrt_session_create(&sb, b, dev, NULL), SEQRT_OK, NULL);
    expect(seqrt_session_run(sa, (const seqrt_tensor *const *)&x, 1), SEQRT_OK, NULL);
    expect(seqrt_session_run(sb, (const seqrt_tensor *const *)&x, 1), SEQRT_OK, NULL);
    for (size_t o = 0; o < seqrt_model_output_count(a); o++) {
        const seqrt_tensor *ta, *tb;
        seqrt_session_output(sa, o, &ta);
        seqrt_session_output(sb, o, &tb);
        cr_assert_eq(seqrt_tensor_count(ta), seqrt_tensor_count(tb));
        cr_assert(!memcmp(seqrt_tensor_data(ta), seqrt_tensor_data(tb), seqrt_tensor_count(ta) * sizeof(float)));
    }
    /* no weights image: a file with no tensors, so the layers' weights are missing */
    seqrt_model *c = NULL;
    expect(sq_model_load_memory(&c, "mem/model.json", json, jl, NULL, 0, NULL), SEQRT_ERR_MODEL, "is missing");
    cr_assert_null(c);
    /* the weights-path rule still applies to the description's own field */
    const char *esc = "{\"format\": \"seqrt\", \"version\": 1, \"weights\": \"../w\", \"inputs\": [{\"name\": \"x\","
                      " \"dtype\": \"float32\", \"shape\": [2]}], \"layers\": [{\"op\": \"dropout\", \"name\": \"d\","
                      " \"inputs\": {\"x\": \"x\"}}], \"outputs\": [\"d\"]}";
    expect(sq_model_load_memory(&c, "mem/model.json", (const uint8_t *)esc, strlen(esc), NULL, 0, NULL),
           SEQRT_ERR_MODEL, "leaves the description's directory");
    seqrt_session_free(sa);
    seqrt_session_free(sb);
    seqrt_tensor_free(x);
    seqrt_model_free(a);
    seqrt_model_free(b);
    free(json);
    free(w);
}
