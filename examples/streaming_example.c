/*
 * Streaming with seqrt's C API: a char-level language model reads a prompt
 * one character per run, its LSTM state carried from run to run by a
 * streaming session, then continues the text greedily (the most likely
 * character each step). It also runs the whole prompt at once in an
 * ordinary session and checks that both give the same next-character
 * distribution (within the spec's tolerance).
 *
 *   streaming_example MODEL.json "PROMPT" [N]
 *
 * The model takes token ids [T, B] and its first output is the next-token
 * distribution [T, B, V]; metadata.vocab holds the character of each id
 * (examples/charlm/charlm.json is such a model).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <seqrt.h>

static int fail(const char *what)
{
    fprintf(stderr, "streaming_example: %s: %s\n", what, seqrt_last_error());
    return 1;
}

/* Runs ids[0..n) as one chunk ([n, 1]); returns the distribution after the
 * last of them (V values, owned by the session), or NULL. */
static const float *run(seqrt_session *s, int32_t *ids, int64_t n, int64_t *V)
{
    int64_t dims[2] = {n, 1};
    seqrt_tensor *t;
    if (seqrt_tensor_wrap(&t, SEQRT_I32, 2, dims, ids) != SEQRT_OK) return NULL;
    const seqrt_tensor *in[1] = {t}, *out;
    seqrt_status st = seqrt_session_run(s, in, 1);
    seqrt_tensor_free(t);
    if (st != SEQRT_OK || seqrt_session_output(s, 0, &out) != SEQRT_OK) return NULL;
    *V = seqrt_tensor_dim(out, 2);
    return (const float *)seqrt_tensor_data(out) + (n - 1) * *V;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: streaming_example MODEL.json \"PROMPT\" [N]\n");
        return 2;
    }
    const char *prompt = argv[2];
    int n_new = argc > 3 ? atoi(argv[3]) : 100;
    seqrt_model *model;
    if (seqrt_model_load(&model, argv[1], NULL) != SEQRT_OK) return fail("load");

    /* metadata.vocab: the character of each token id */
    cJSON *meta = seqrt_model_metadata(model) ? cJSON_Parse(seqrt_model_metadata(model)) : NULL;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(meta, "vocab");
    int nv = cJSON_GetArraySize(vocab);
    if (!cJSON_IsArray(vocab) || nv == 0) {
        fprintf(stderr, "streaming_example: the model has no metadata.vocab\n");
        return 1;
    }
    size_t T = strlen(prompt);
    int32_t *ids = malloc((T + 1) * sizeof *ids);
    for (size_t t = 0; t < T; t++) {
        ids[t] = -1;
        for (int v = 0; v < nv; v++) {
            const char *s = cJSON_GetArrayItem(vocab, v)->valuestring;
            if (s && s[0] == prompt[t] && s[1] == '\0') ids[t] = v;
        }
        if (ids[t] < 0) {
            fprintf(stderr, "streaming_example: character '%c' is not in the vocabulary\n", prompt[t]);
            return 1;
        }
    }

    seqrt_session *whole, *stream;
    seqrt_session_options streaming = {.streaming = 1};
    if (seqrt_session_create(&whole, model, NULL, NULL) != SEQRT_OK ||
        seqrt_session_create(&stream, model, NULL, &streaming) != SEQRT_OK)
        return fail("session");

    /* The whole prompt in one run: the reference for the streamed runs. */
    int64_t V;
    const float *p = run(whole, ids, (int64_t)T, &V);
    if (!p) return fail("whole run");
    float *ref = malloc((size_t)V * sizeof *ref);
    memcpy(ref, p, (size_t)V * sizeof *ref);

    /* The same prompt one character per run: the session carries the state. */
    for (size_t t = 0; t < T; t++) {
        if (!(p = run(stream, &ids[t], 1, &V))) return fail("streamed run");
        fputc(prompt[t], stdout);
    }
    double worst = 0, ratio = 0;
    for (int64_t v = 0; v < V; v++) {
        double d = fabs((double)p[v] - ref[v]);
        if (d > worst) worst = d;
        if (d / (1e-4 + 1e-3 * fabs(ref[v])) > ratio) ratio = d / (1e-4 + 1e-3 * fabs(ref[v]));
    }

    /* Greedy continuation: feed back the most likely character, one step each. */
    printf("|");
    for (int i = 0; i < n_new; i++) {
        int32_t best = 0;
        for (int64_t v = 1; v < V; v++)
            if (p[v] > p[best]) best = (int32_t)v;
        fputs(cJSON_GetArrayItem(vocab, best)->valuestring, stdout);
        if (!(p = run(stream, &best, 1, &V))) return fail("streamed run");
    }
    printf("\n[%zu prompt steps and %d generated, one run each; after the prompt, "
           "max |streamed - whole run| = %.3g]\n", T, n_new, worst);

    seqrt_session_free(stream);
    seqrt_session_free(whole);
    seqrt_model_free(model);
    cJSON_Delete(meta);
    free(ids);
    free(ref);
    if (ratio > 1.0) {
        fprintf(stderr, "streaming_example: streamed and whole runs differ beyond the tolerance\n");
        return 1;
    }
    return 0;
}
