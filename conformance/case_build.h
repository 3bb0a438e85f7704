/*
 * Private to the conformance library: what a case builder holds (the
 * description being written, its weights and its inputs) and its life
 * cycle, for the files that make a builder's case (case_build.c,
 * case_inputs.c), write it out (case_files.c) or load it (case_instance.c).
 * The case families see the builder only through cases.h.
 */
#ifndef SEQRT_CONFORMANCE_CASE_BUILD_H
#define SEQRT_CONFORMANCE_CASE_BUILD_H

#include <cjson/cJSON.h>

#include "cases.h"

#define CF_MAX_INPUTS 16

/* A weight tensor of the case (rank 1: d[1] = 0). */
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
    double version;      /* the description's "version": 1, or 1.1 (cf_format_version) */
    char note[256];
    char desc[512];
    char err[256];
};

/* A builder for the case with data key `key` in a suite seeded `seed`: its
 * random stream is seeded by hash(seed, key); batch_first and denormal
 * weights come from `p`; the bound starts at the spec default and the
 * format version at 1. */
void cf_builder_init(cf_builder *b, uint64_t seed, const char *key, const cf_params *p);
void cf_builder_free(cf_builder *b);
/* Records the builder's first error (printf); later ones are dropped. */
void cf_builder_fail(cf_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SEQRT_CONFORMANCE_CASE_BUILD_H */
