/*
 * Sequence layout helpers shared by the core and every backend: where step
 * t of batch entry b starts in a [T, B, F] or (batch_first) [B, T, F]
 * sequence, T and B of a rank-3 view, and how many steps of entry b are
 * valid under optional `lengths`. One definition, so that the reference,
 * oneDNN and OpenCL cannot disagree on a clamp or a layout.
 */
#ifndef SEQRT_SEQ_H
#define SEQRT_SEQ_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* Offset of element (t, b, 0) of a sequence with F features, in either layout. */
static inline int64_t sq_seq_off(bool batch_first, int64_t T, int64_t B, int64_t t, int64_t b,
                                 int64_t F)
{
    return (batch_first ? (b * T + t) : (t * B + b)) * F;
}
/* T and B of a rank-3 sequence view. */
static inline int64_t sq_seq_T(const sq_view *v, bool batch_first) { return v->d[batch_first ? 1 : 0]; }
static inline int64_t sq_seq_B(const sq_view *v, bool batch_first) { return v->d[batch_first ? 0 : 1]; }

/* Valid steps of batch entry b: lengths[b] clamped to [0, T], or T when
 * there are no lengths. (The core rejects lengths outside [0, T] before a
 * backend runs; the clamp keeps a reader safe regardless.) */
static inline int64_t sq_valid_len(const int32_t *lengths, int64_t b, int64_t T)
{
    if (!lengths) return T;
    int64_t n = lengths[b];
    return n < 0 ? 0 : n > T ? T : n;
}

#endif /* SEQRT_SEQ_H */
