/*
 * Private to the conformance library: the suite's table of cases (what
 * cf_suite is), shared by the files that fill it (case_table.c,
 * case_golden.c, cases.c) and the one that makes its cases concrete
 * (case_instance.c).
 */
#ifndef SEQRT_CONFORMANCE_CASE_TABLE_H
#define SEQRT_CONFORMANCE_CASE_TABLE_H

#include "cases.h"

/* One case of the list: a generated case (a build function and its
 * parameters) or a golden case (a directory). */
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

/* A new entry named `name` at the end of the list, its info's name, group
 * and full_only set, the rest zero; NULL when the suite leaves it out (a
 * full-only case in the quick set, or one the filter rejects) or memory
 * runs out (s->oom). A name listed twice is an internal error (abort). */
cf_entry *cf_new_entry(cf_suite *s, const char *name, const char *group, int full_only);

#endif /* SEQRT_CONFORMANCE_CASE_TABLE_H */
