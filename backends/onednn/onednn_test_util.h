/*
 * What the oneDNN backend's tests (test_onednn.c, test_onednn_chunks.c)
 * share: OK, asserting a seqrt call succeeds (naming the call, status and
 * message), device(), the device a spec names, and runs_match(), runs
 * of onednn against the reference compared output by output.
 */
#ifndef SEQRT_ONEDNN_TEST_UTIL_H
#define SEQRT_ONEDNN_TEST_UTIL_H

#include <criterion/criterion.h>

#include "../../conformance/compare.h"
#include "seqrt.h"

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

/* Runs session `dn` twice (the second run reuses what the first made) on
 * `in` and expects every output of `m` within the spec's tolerance of the
 * same output of `ref` (already run), naming `what` and the output. */
static inline void runs_match(seqrt_session *ref, seqrt_session *dn, const seqrt_model *m, seqrt_tensor **in,
                              size_t nin, const char *what)
{
    for (int rep = 0; rep < 2; rep++) {
        OK(seqrt_session_run(dn, (const seqrt_tensor *const *)in, nin));
        for (size_t o = 0; o < seqrt_model_output_count(m); o++) {
            const seqrt_tensor *a, *b;
            OK(seqrt_session_output(ref, o, &a));
            OK(seqrt_session_output(dn, o, &b));
            cr_assert_eq(seqrt_tensor_count(a), seqrt_tensor_count(b));
            sq_compare_result r;
            int ok = sq_compare(seqrt_tensor_data(b), seqrt_tensor_data(a), seqrt_tensor_count(a), SQ_DEFAULT_ATOL,
                                SQ_DEFAULT_RTOL, &r);
            cr_expect(ok, "%s output %s: %zu of %zu bad (first %zu: got %g want %g; max abs %g, nonfinite %zu)",
                      what, seqrt_model_output_name(m, o), r.failures, r.count, r.first_bad, r.got_bad, r.ref_bad,
                      r.max_abs, r.nonfinite_mismatch);
            if (!ok) break;
        }
    }
}

#endif /* SEQRT_ONEDNN_TEST_UTIL_H */
