/*
 * seqrt command-line program: text models — vocabulary and labels from a
 * model's metadata, tokenizing, sampling weights and a seeded generator.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli_text.h"

void cli_textmodel_free(cli_textmodel *t)
{
    for (size_t i = 0; i < t->nvocab; i++) free(t->vocab ? t->vocab[i] : NULL);
    for (size_t i = 0; i < t->nlabels; i++) free(t->labels ? t->labels[i] : NULL);
    free(t->vocab);
    free(t->vocab_len);
    free(t->labels);
    free(t->prompt);
    memset(t, 0, sizeof *t);
}

/* Copies a JSON array of strings. Returns 0 (after printing) on a bad entry
 * or when out of memory. */
static int string_list(const cJSON *arr, const char *field, const char *model, char ***out, size_t *count)
{
    int n = cJSON_GetArraySize(arr);
    *count = 0;
    *out = calloc((size_t)n + 1, sizeof **out);
    if (!*out) return cli_error("out of memory"), 0;
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        if (!cJSON_IsString(e)) {
            cli_error("model '%s': metadata.%s[%d] must be a string", model, field, i);
            return 0;
        }
        if (!((*out)[i] = strdup(e->valuestring))) return cli_error("out of memory"), 0;
        *count = (size_t)i + 1;
    }
    return 1;
}

/* "probs" when the layer that computes output 0 is a softmax, else "logits". */
static int output_is_softmax(const seqrt_model *m)
{
    const char *value = seqrt_model_output_name(m, 0);
    if (!value) return 0;
    size_t n = strcspn(value, ":");
    if (value[n] == ':') return 0; /* an extra output (h_n, weights): not a distribution */
    for (size_t l = 0; l < seqrt_model_layer_count(m); l++) {
        seqrt_layer_info li;
        if (seqrt_model_layer_info(m, l, &li) != SEQRT_OK) continue;
        if (strlen(li.name) == n && !strncmp(li.name, value, n)) return !strcmp(li.op, "softmax");
    }
    return 0;
}

int cli_textmodel_load(cli_textmodel *t, const seqrt_model *m, const char *command, int need_labels)
{
    memset(t, 0, sizeof *t);
    t->unk = -1;
    const char *name = seqrt_model_name(m);
    const char *json = seqrt_model_metadata(m);
    cJSON *meta = json ? cJSON_Parse(json) : NULL;
    int rc = CLI_EXIT_FAIL;
    if (!meta || !cJSON_IsObject(meta)) {
        cli_error("%s: model '%s' has no metadata object: it needs metadata.vocab (the text of each token "
                  "id)%s",
                  command, name, need_labels ? " and metadata.labels (the name of each class)" : "");
        goto done;
    }
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(meta, "vocab");
    if (!cJSON_IsArray(vocab) || cJSON_GetArraySize(vocab) == 0) {
        cli_error("%s: model '%s' has no metadata.vocab: a list of strings, the text of each token id",
                  command, name);
        goto done;
    }
    if (!string_list(vocab, "vocab", name, &t->vocab, &t->nvocab)) goto done;
    t->vocab_len = calloc(t->nvocab + 1, sizeof *t->vocab_len);
    if (!t->vocab_len) {
        cli_error("out of memory");
        goto done;
    }
    for (size_t i = 0; i < t->nvocab; i++) t->vocab_len[i] = strlen(t->vocab[i]);

    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(meta, "unk");
    if (unk) {
        if (!cJSON_IsNumber(unk) || unk->valuedouble != (double)(int64_t)unk->valuedouble ||
            unk->valuedouble < 0 || unk->valuedouble >= (double)t->nvocab) {
            cli_error("%s: model '%s': metadata.unk must be a token id in [0, %zu)", command, name, t->nvocab);
            goto done;
        }
        t->unk = (int64_t)unk->valuedouble;
    }
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
    if (labels) {
        if (!cJSON_IsArray(labels)) {
            cli_error("%s: model '%s': metadata.labels must be a list of strings", command, name);
            goto done;
        }
        if (!string_list(labels, "labels", name, &t->labels, &t->nlabels)) goto done;
    } else if (need_labels) {
        cli_error("%s: model '%s' has no metadata.labels: a list of strings, the name of each class", command,
                  name);
        goto done;
    }
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(meta, "prompt");
    if (cJSON_IsString(prompt) && !(t->prompt = strdup(prompt->valuestring))) {
        cli_error("out of memory");
        goto done;
    }
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(meta, "normalize");
    if (norm) {
        if (!cJSON_IsString(norm) || strcmp(norm->valuestring, "whitespace") != 0) {
            cli_error("%s: model '%s': metadata.normalize must be \"whitespace\"", command, name);
            goto done;
        }
        t->normalize = 1;
    }
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(meta, "output");
    if (out) {
        if (cJSON_IsString(out) && !strcmp(out->valuestring, "probs"))
            t->output_probs = 1;
        else if (cJSON_IsString(out) && !strcmp(out->valuestring, "logits"))
            t->output_probs = 0;
        else {
            cli_error("%s: model '%s': metadata.output must be \"probs\" or \"logits\"", command, name);
            goto done;
        }
    } else {
        t->output_probs = output_is_softmax(m);
    }
    rc = CLI_EXIT_OK;
done:
    cJSON_Delete(meta);
    if (rc != CLI_EXIT_OK) cli_textmodel_free(t);
    return rc;
}

/* Length in bytes of the UTF-8 character at s (1 for a malformed byte) and
 * its code point (-1 when malformed). */
static size_t utf8_char(const unsigned char *s, long *cp)
{
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0) {
        *cp = -1;
        return 1;
    }
    long v = n == 1 ? (long)c : (long)(c & (0x7F >> n));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = -1;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return n;
}

int cli_tokenize(const cli_textmodel *t, const char *text, const char *what, int32_t **ids, size_t *n)
{
    size_t len = strlen(text), count = 0, chars = 0;
    int32_t *out = malloc((len ? len : 1) * sizeof *out); /* at most one id per byte */
    if (!out) return cli_error("out of memory"), CLI_EXIT_FAIL;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t best = 0, best_len = 0;
        for (size_t v = 0; v < t->nvocab; v++) {
            size_t l = t->vocab_len[v];
            if (l > best_len && l <= len - i && !memcmp(text + i, t->vocab[v], l)) best = v, best_len = l;
        }
        long cp;
        size_t clen = utf8_char(s + i, &cp);
        if (best_len == 0) {
            if (t->unk >= 0) {
                out[count++] = (int32_t)t->unk;
                i += clen;
                chars++;
                continue;
            }
            char shown[64];
            if (cp < 0)
                snprintf(shown, sizeof shown, "byte 0x%02X (not valid UTF-8)", s[i]);
            else if (cp == '\n')
                snprintf(shown, sizeof shown, "character '\\n' (U+000A)");
            else if (cp == '\t')
                snprintf(shown, sizeof shown, "character '\\t' (U+0009)");
            else if (cp == '\r')
                snprintf(shown, sizeof shown, "character '\\r' (U+000D)");
            else if (cp < 0x20 || cp == 0x7F)
                snprintf(shown, sizeof shown, "control character U+%04lX", cp);
            else
                snprintf(shown, sizeof shown, "character '%.*s' (U+%04lX)", (int)clen, text + i, cp);
            cli_error("%s: %s at character %zu is not in the model's vocabulary (metadata.vocab, %zu entries)",
                      what, shown, chars + 1, t->nvocab);
            free(out);
            return CLI_EXIT_FAIL;
        }
        out[count++] = (int32_t)best;
        /* count the characters consumed, for positions in messages */
        for (size_t k = 0; k < best_len;) {
            long c2;
            k += utf8_char(s + i + k, &c2);
            chars++;
        }
        i += best_len;
    }
    *ids = out;
    *n = count;
    return CLI_EXIT_OK;
}

void cli_normalize_whitespace(char *s)
{
    size_t w = 0;
    int space = 0;
    for (size_t r = 0; s[r]; r++) {
        char c = s[r];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            space = w > 0;
            continue;
        }
        if (space) s[w++] = ' ';
        space = 0;
        s[w++] = c;
    }
    s[w] = '\0';
}

int cli_distribution(const float *x, size_t n, int is_probs, double temperature, double *p)
{
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || (is_probs && x[i] < 0)) return 0;
        double z = is_probs ? (x[i] > 0 ? log((double)x[i]) : -INFINITY) : (double)x[i];
        p[i] = z;
        if (z > mx) mx = z;
    }
    if (!isfinite(mx)) return 0;
    if (temperature <= 0) { /* greedy: all the weight on the first best */
        size_t best = 0;
        for (size_t i = 0; i < n; i++)
            if (p[i] == mx) {
                best = i;
                break;
            }
        for (size_t i = 0; i < n; i++) p[i] = i == best;
        return 1;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        p[i] = p[i] == -INFINITY ? 0.0 : exp((p[i] - mx) / temperature);
        sum += p[i];
    }
    if (!(sum > 0) || !isfinite(sum)) return 0;
    for (size_t i = 0; i < n; i++) p[i] /= sum;
    return 1;
}

/* PCG32 (XSH-RR output of a 64-bit LCG), seeded with the stream fixed. */
uint32_t cli_rng_next(cli_rng *r)
{
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (x >> rot) | (x << ((32 - rot) & 31));
}

void cli_rng_seed(cli_rng *r, uint64_t seed)
{
    r->state = 0;
    r->inc = (0x5eed5eedULL << 1) | 1u;
    cli_rng_next(r);
    r->state += seed;
    cli_rng_next(r);
}

double cli_rng_uniform(cli_rng *r)
{
    uint64_t hi = cli_rng_next(r) >> 5, lo = cli_rng_next(r) >> 6; /* 27 + 26 bits */
    return ((double)hi * 67108864.0 + (double)lo) / 9007199254740992.0;
}
