/*
 * What the oneDNN backend's tests (test_onednn.c, test_onednn_chunks.c)
 * share: OK, asserting a seqrt call succeeds (naming the call, status and
 * message), and device(), the device a spec names.
 */
#ifndef SEQRT_ONEDNN_TEST_UTIL_H
#define SEQRT_ONEDNN_TEST_UTIL_H

#include <criterion/criterion.h>

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

#endif /* SEQRT_ONEDNN_TEST_UTIL_H */
