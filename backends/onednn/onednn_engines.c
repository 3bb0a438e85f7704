/*
 * onednn-engines: the oneDNN backend's recurrent engines side by side, in
 * one process and interleaved (docs/onednn.md, "Kernel builds per ISA"):
 * one session per SEQRT_ONEDNN_RNN mode (read at session creation; a
 * "fused:3" mode also sets SEQRT_ONEDNN_SMALL_TILE=3), the same one-layer
 * model and input, runs taken in turn (the order rotating), so a change of
 * the machine's load hits every engine alike. Prints each mode's median and
 * minimum ms. A measuring tool, not a test.
 *
 *   onednn-engines lstm|gru|rnn T B I H REPS MODE...
 *   e.g. OMP_NUM_THREADS=1 onednn-engines lstm 25 2 1024 1024 15 auto fused:3 primitive
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../tests/test_util.h"
#include "seqrt.h"

#define MAX_MODES 8

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void check(seqrt_status st, const char *what)
{
    if (!st) return;
    fprintf(stderr, "onednn-engines: %s: %s\n", what, seqrt_last_error());
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 8 || argc - 7 > MAX_MODES) {
        fprintf(stderr, "usage: onednn-engines lstm|gru|rnn T B I H REPS MODE... (at most %d modes: auto, "
                        "primitive, loop, fused, fused:TILE)\n", MAX_MODES);
        return 2;
    }
    const char *op = argv[1];
    const int T = atoi(argv[2]), B = atoi(argv[3]), I = atoi(argv[4]), H = atoi(argv[5]), reps = atoi(argv[6]);
    const int G = op[0] == 'l' ? 4 : op[0] == 'g' ? 3 : 1, nm = argc - 7;
    if (T < 1 || B < 1 || I < 1 || H < 1 || reps < 1 || (strcmp(op, "lstm") && strcmp(op, "gru") && strcmp(op, "rnn"))) {
        fprintf(stderr, "onednn-engines: bad op or size\n");
        return 2;
    }
    char dir[512], js[1024], jp[600], wp[600];
    if (tu_mkdtemp(dir, sizeof dir)) return 1;
    snprintf(js, sizeof js,
             "{\"format\": \"seqrt\", \"version\": 1, \"name\": \"engines\","
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"T\", \"B\", %d]}],"
             " \"layers\": [{\"op\": \"%s\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\"},"
             " \"input_size\": %d, \"hidden_size\": %d}], \"outputs\": [\"rnn\", \"rnn:h_n\"]}",
             I, op, I, H);
    tu_st w;
    tu_st_init(&w);
    uint32_t seed = 5;
    tu_st_add2(&w, "rnn.weight_ih_l0", (int64_t)G * H, I, &seed, 0.05f);
    tu_st_add2(&w, "rnn.weight_hh_l0", (int64_t)G * H, H, &seed, 0.05f);
    tu_st_add2(&w, "rnn.bias_ih_l0", (int64_t)G * H, 0, &seed, 0.05f);
    tu_st_add2(&w, "rnn.bias_hh_l0", (int64_t)G * H, 0, &seed, 0.05f);
    snprintf(jp, sizeof jp, "%s/m.json", dir);
    snprintf(wp, sizeof wp, "%s/m.safetensors", dir);
    if (tu_write(jp, js, strlen(js)) || tu_st_write(&w, wp)) return 1;
    tu_st_free(&w);
    seqrt_model *m;
    check(seqrt_model_load(&m, jp, NULL), "loading the model");
    const seqrt_device *d;
    check(seqrt_device_find(&d, "onednn"), "finding onednn");
    seqrt_session *s[MAX_MODES];
    double *t[MAX_MODES];
    for (int i = 0; i < nm; i++) {
        char mode[64];
        snprintf(mode, sizeof mode, "%s", argv[7 + i]);
        char *tile = strchr(mode, ':');
        if (tile) {
            *tile = 0;
            setenv("SEQRT_ONEDNN_SMALL_TILE", tile + 1, 1);
        } else {
            unsetenv("SEQRT_ONEDNN_SMALL_TILE");
        }
        setenv("SEQRT_ONEDNN_RNN", mode, 1);
        check(seqrt_session_create(&s[i], m, d, NULL), argv[7 + i]);
        if (!(t[i] = calloc((size_t)reps, sizeof(double)))) return 1;
    }
    int64_t dx[3] = {T, B, I};
    seqrt_tensor *x;
    check(seqrt_tensor_create(&x, SEQRT_F32, 3, dx), "input");
    float *p = seqrt_tensor_data(x);
    for (size_t k = 0; k < seqrt_tensor_count(x); k++) p[k] = tu_rand(&seed, 1.0f);
    const seqrt_tensor *const *in = (const seqrt_tensor *const *)&x;
    for (int i = 0; i < nm; i++) /* warm-up: weights, primitives */
        for (int k = 0; k < 3; k++) check(seqrt_session_run(s[i], in, 1), argv[7 + i]);
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < nm; i++) {
            const int ii = (i + r) % nm;
            const double a = now_ms();
            check(seqrt_session_run(s[ii], in, 1), argv[7 + ii]);
            t[ii][r] = now_ms() - a;
        }
    printf("%s T=%d B=%d I=%d H=%d:", op, T, B, I, H);
    for (int i = 0; i < nm; i++) {
        qsort(t[i], (size_t)reps, sizeof(double), cmp_double);
        printf("  %s %.3f/%.3f", argv[7 + i], t[i][reps / 2], t[i][0]);
        seqrt_session_free(s[i]);
        free(t[i]);
    }
    printf("   (median/min ms)\n");
    seqrt_tensor_free(x);
    seqrt_model_free(m);
    tu_rmtree(dir);
    return 0;
}
