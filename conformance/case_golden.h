/*
 * Private to the conformance library: the golden cases (case_golden.c):
 * where they are, their entries in the list, loading one as an instance,
 * and copying its files.
 */
#ifndef SEQRT_CONFORMANCE_CASE_GOLDEN_H
#define SEQRT_CONFORMANCE_CASE_GOLDEN_H

#include <stddef.h>

#include "case_table.h"

/* Adds a case for each directory of `dir` that holds a case.json, in name
 * order. 0, or -1 with the reason in err: a golden directory that is
 * missing or holds no case is an error (--no-golden turns the group off),
 * never a quiet run without it. */
int cf_add_golden_cases(cf_suite *s, const char *dir, char *err, size_t errn);
/* Loads golden case `e` into `inst`: bound and description from case.json,
 * the model, the stored inputs and expected outputs, then the oracle. 0, or
 * -1 with the reason in err. */
int cf_golden_instance(cf_instance *inst, const cf_entry *e, char *err, size_t errn);
/* Copies the golden case's model.json, model.safetensors and case.json
 * into `dir` (those that exist). */
void cf_golden_copy_files(const cf_entry *e, const char *dir);

#endif /* SEQRT_CONFORMANCE_CASE_GOLDEN_H */
