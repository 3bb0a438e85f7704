/*
 * The conformance rule of the spec: for every element
 * |x - ref| <= atol + rtol * |ref|, and NaN / +Inf / -Inf exactly where the
 * reference has them.
 */
#ifndef SEQRT_COMPARE_H
#define SEQRT_COMPARE_H

#include <stddef.h>

#define SQ_DEFAULT_ATOL 1e-4
#define SQ_DEFAULT_RTOL 1e-3

typedef struct sq_compare_result {
    size_t count;        /* elements compared */
    size_t failures;     /* elements outside the bound */
    size_t first_bad;    /* flat index of the first failure */
    double got_bad, ref_bad;
    double max_abs;      /* over finite pairs */
    double max_rel;      /* |x - ref| / |ref| over finite pairs with ref != 0 */
    double nmse;         /* sum (x - ref)^2 / sum ref^2 over finite pairs */
    size_t nonfinite_mismatch; /* NaN/Inf not where the reference has them */
} sq_compare_result;

/* Returns 1 when every element conforms. */
int sq_compare(const float *got, const float *ref, size_t n, double atol, double rtol,
               sq_compare_result *out);

#endif /* SEQRT_COMPARE_H */
