/*
 * What the oneDNN backend's tests (test_onednn.c, test_onednn_chunks.c)
 * share: OK, asserting a seqrt call succeeds (naming the call, status and
 * message), device(), the device a spec names, a model written and
 * loaded, random tensors, and runs_match(), runs of onednn against the
 * reference compared output by output.
 */
#ifndef SEQRT_ONEDNN_TEST_UTIL_H
#define SEQRT_ONEDNN_TEST_UTIL_H

#include <criterion/criterion.h>

#include "../../conformance/compare.h"
#include "seqrt.h"
#include "../../tests/test_util.h"

#define OK(call)                                                                                   \
    do {                                                                                           \
        seqrt_status st_ = (call);                                                                 \
        cr_assert_eq(st_, SEQRT_OK, "%s: %s (%s)", #call, seqrt_status_str(st_), seqrt_last_error()); \
    } while (0)

static inline const seqrt_device *device(const char *spec)
{
    const seqrt_device *d = NULL;
    OK(seqrt_device_find(&d, spec));
    return d;
}

/* Writes `json` and the weights `w` to dir/m<n>.json and .safetensors
 * (n = (*counter)++) and loads the model. */
static inline seqrt_model *dn_test_load(const char *dir, int *counter, const char *json, tu_st *w)
{
    char jp[1024], wp[1024];
    int n = (*counter)++;
    snprintf(jp, sizeof jp, "%s/m%d.json", dir, n);
    snprintf(wp, sizeof wp, "%s/m%d.safetensors", dir, n);
    cr_assert_eq(tu_write(jp, json, strlen(json)), 0);
    cr_assert_eq(tu_st_write(w, wp), 0);
    seqrt_model *m = NULL;
    OK(seqrt_model_load(&m, jp, NULL));
    return m;
}

/* A float tensor of uniform values in [-scale, scale]. */
static inline seqrt_tensor *dn_test_ftensor(int rank, const int64_t *dims, uint32_t *seed, float scale)
{
    seqrt_tensor *t;
    OK(seqrt_tensor_create(&t, SEQRT_F32, rank, dims));
    float *p = seqrt_tensor_data(t);
    for (size_t i = 0; i < seqrt_tensor_count(t); i++) p[i] = tu_rand(seed, scale);
    return t;
}

/* Runs session `dn` twice (the second run reuses what the first made) on
 * `in` and expects every output of `m` within atol + rtol |ref| of the
 * same output of `ref` (already run), naming `what` and the output. */
static inline void runs_match_within(seqrt_session *ref, seqrt_session *dn, const seqrt_model *m, seqrt_tensor **in,
                                     size_t nin, double atol, double rtol, const char *what)
{
    for (int rep = 0; rep < 2; rep++) {
        OK(seqrt_session_run(dn, (const seqrt_tensor *const *)in, nin));
        for (size_t o = 0; o < seqrt_model_output_count(m); o++) {
            const seqrt_tensor *a, *b;
            OK(seqrt_session_output(ref, o, &a));
            OK(seqrt_session_output(dn, o, &b));
            cr_assert_eq(seqrt_tensor_count(a), seqrt_tensor_count(b));
            sq_compare_result r;
            int ok = sq_compare(seqrt_tensor_data(b), seqrt_tensor_data(a), seqrt_tensor_count(a), atol, rtol, &r);
            cr_expect(ok,
                      "%s output %s: %zu of %zu outside %g + %g |ref| (first %zu: got %g want %g; max abs %g, NMSE "
                      "%g, nonfinite %zu)",
                      what, seqrt_model_output_name(m, o), r.failures, r.count, atol, rtol, r.first_bad, r.got_bad,
                      r.ref_bad, r.max_abs, r.nmse, r.nonfinite_mismatch);
            if (!ok) break;
        }
    }
}

/* The same within the spec's tolerance. */
static inline void runs_match(seqrt_session *ref, seqrt_session *dn, const seqrt_model *m, seqrt_tensor **in,
                              size_t nin, const char *what)
{
    runs_match_within(ref, dn, m, in, nin, SQ_DEFAULT_ATOL, SQ_DEFAULT_RTOL, what);
}

#endif /* SEQRT_ONEDNN_TEST_UTIL_H */
