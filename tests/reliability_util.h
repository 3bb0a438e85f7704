/*
 * Helpers of the plain-C reliability tests (test_fault_injection,
 * test_concurrency): golden cases from conformance/data/golden, outputs
 * copied out of a session, bitwise comparison, and a failure counter.
 * These tests have their own main() (no Criterion): they must run inside
 * ThreadSanitizer and under a counting allocator, one process, no forks.
 *
 * Everything is static: each test includes this once.
 */
#ifndef SEQRT_RELIABILITY_UTIL_H
#define SEQRT_RELIABILITY_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqrt.h"

#define RL_UNUSED __attribute__((unused))
#define RL_MAX_IO 16

static int g_rl_failures;

RL_UNUSED static void rl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
RL_UNUSED static void rl_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    g_rl_failures++;
}

/* The directory of golden case `name`. */
RL_UNUSED static void rl_case_dir(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/conformance/data/golden/%s", SEQRT_SOURCE_DIR, name);
}

/* Loads input.<name>.npy of the case for every input of `m` into `in`. */
RL_UNUSED static seqrt_status rl_load_inputs(const char *dir, const seqrt_model *m, seqrt_tensor **in)
{
    size_t n = seqrt_model_input_count(m);
    for (size_t i = 0; i < n; i++) in[i] = NULL;
    for (size_t i = 0; i < n && i < RL_MAX_IO; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/input.%s.npy", dir, seqrt_model_input_name(m, i));
        seqrt_status st = seqrt_tensor_load_npy(&in[i], path);
        if (st) {
            for (size_t k = 0; k < i; k++) seqrt_tensor_free(in[k]);
            return st;
        }
    }
    return SEQRT_OK;
}

RL_UNUSED static void rl_free_tensors(seqrt_tensor **t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        seqrt_tensor_free(t[i]);
        t[i] = NULL;
    }
}

/* The outputs of one run, copied (plain malloc: not counted by the fault
 * injection's allocation counter). */
typedef struct rl_outs {
    size_t n;
    float *data[RL_MAX_IO];
    size_t count[RL_MAX_IO];
} rl_outs;

RL_UNUSED static void rl_outs_free(rl_outs *o)
{
    for (size_t i = 0; i < o->n; i++) free(o->data[i]);
    memset(o, 0, sizeof *o);
}

RL_UNUSED static int rl_outs_get(rl_outs *o, seqrt_session *s, const seqrt_model *m)
{
    memset(o, 0, sizeof *o);
    o->n = seqrt_model_output_count(m);
    for (size_t i = 0; i < o->n && i < RL_MAX_IO; i++) {
        const seqrt_tensor *t = NULL;
        if (seqrt_session_output(s, i, &t) != SEQRT_OK) return -1;
        o->count[i] = seqrt_tensor_count(t);
        o->data[i] = malloc(o->count[i] * sizeof(float) + 1);
        if (!o->data[i]) return -1;
        memcpy(o->data[i], seqrt_tensor_data(t), o->count[i] * sizeof(float));
    }
    return 0;
}

/* 1 if the session's current outputs are bitwise those of `want` (NaN
 * payloads included). */
RL_UNUSED static int rl_outs_same(const rl_outs *want, seqrt_session *s)
{
    for (size_t i = 0; i < want->n; i++) {
        const seqrt_tensor *t = NULL;
        if (seqrt_session_output(s, i, &t) != SEQRT_OK || !t) return 0;
        if (seqrt_tensor_count(t) != want->count[i]) return 0;
        if (memcmp(seqrt_tensor_data(t), want->data[i], want->count[i] * sizeof(float))) return 0;
    }
    return 1;
}

/* Every available backend's first device: "reference", "onednn", "opencl". */
RL_UNUSED static size_t rl_devices(const seqrt_device **dev, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t b = 0; b < seqrt_backend_count() && n < max; b++) {
        seqrt_backend_info info;
        if (seqrt_backend_get_info(b, &info) != SEQRT_OK) continue;
        if (!info.available) {
            printf("backend %s: unavailable (%s); skipped\n", info.name, info.reason);
            continue;
        }
        if (seqrt_backend_get_device(&dev[n], b, 0) != SEQRT_OK) continue;
        names[n++] = info.name;
    }
    return n;
}

#endif /* SEQRT_RELIABILITY_UTIL_H */
