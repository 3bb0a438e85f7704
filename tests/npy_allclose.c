/*
 * npy_allclose: test helper comparing two .npy files through the public API.
 *
 *   npy_allclose [--atol A] [--rtol R] GOT.npy EXPECTED.npy
 *
 * Passes (exit 0) when both have the same shape and every element satisfies
 * |got - expected| <= atol + rtol * |expected| (defaults 1e-4, 1e-3), with NaN
 * exactly where expected has NaN and infinities equal. Exit 1 when they
 * differ (the first difference and the largest error are printed on stderr),
 * 2 on a usage or file error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqrt.h"

static double element(const seqrt_tensor *t, size_t i)
{
    const void *p = seqrt_tensor_data(t);
    switch (seqrt_tensor_dtype(t)) {
    case SEQRT_F32: return ((const float *)p)[i];
    case SEQRT_I32: return ((const int32_t *)p)[i];
    case SEQRT_I64: return (double)((const int64_t *)p)[i];
    }
    return 0.0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return *s && !*end && *out >= 0.0;
}

int main(int argc, char **argv)
{
    double atol = 1e-4, rtol = 1e-3;
    const char *path[2] = {NULL, NULL};
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "--atol") || !strcmp(argv[i], "--rtol")) && i + 1 < argc) {
            double *dst = argv[i][2] == 'a' ? &atol : &rtol;
            if (!parse_double(argv[i + 1], dst)) {
                fprintf(stderr, "npy_allclose: bad value for %s: '%s'\n", argv[i], argv[i + 1]);
                return 2;
            }
            i++;
        } else if (np < 2 && argv[i][0] != '-') {
            path[np++] = argv[i];
        } else {
            fprintf(stderr, "usage: npy_allclose [--atol A] [--rtol R] GOT.npy EXPECTED.npy\n");
            return 2;
        }
    }
    if (np != 2) {
        fprintf(stderr, "usage: npy_allclose [--atol A] [--rtol R] GOT.npy EXPECTED.npy\n");
        return 2;
    }
    seqrt_tensor *t[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        if (seqrt_tensor_load_npy(&t[k], path[k]) != SEQRT_OK) {
            fprintf(stderr, "npy_allclose: %s\n", seqrt_last_error());
            seqrt_tensor_free(t[0]);
            return 2;
        }
    }
    int rc = 0;
    int rank = seqrt_tensor_rank(t[0]);
    if (rank != seqrt_tensor_rank(t[1])) rc = 1;
    for (int a = 0; a < rank && !rc; a++)
        if (seqrt_tensor_dim(t[0], a) != seqrt_tensor_dim(t[1], a)) rc = 1;
    if (rc) {
        fprintf(stderr, "npy_allclose: %s and %s have different shapes\n", path[0], path[1]);
    } else {
        size_t n = seqrt_tensor_count(t[0]), bad = 0, first = 0, worst_i = 0;
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double g = element(t[0], i), e = element(t[1], i);
            int ok;
            if (isnan(e) || isnan(g))
                ok = isnan(e) && isnan(g);
            else if (isinf(e) || isinf(g))
                ok = g == e;
            else {
                double err = fabs(g - e);
                ok = err <= atol + rtol * fabs(e);
                if (err > worst) worst = err, worst_i = i;
            }
            if (!ok && bad++ == 0) first = i;
        }
        if (bad) {
            fprintf(stderr,
                    "npy_allclose: %s vs %s: %zu of %zu elements differ; first at flat index %zu: %.9g vs "
                    "%.9g; largest error %.3g at %zu (atol %g, rtol %g)\n",
                    path[0], path[1], bad, n, first, element(t[0], first), element(t[1], first), worst,
                    worst_i, atol, rtol);
            rc = 1;
        }
    }
    seqrt_tensor_free(t[0]);
    seqrt_tensor_free(t[1]);
    return rc;
}
