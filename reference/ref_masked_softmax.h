/*
 * Private helper of the reference attention ops (attention, attention_pool,
 * multihead_attention): the softmax of one row of scores over its first
 * `nvalid` entries, in double. Every mask of the spec is a prefix (key
 * padding t < len[b], causal t <= query position), so a count suffices.
 */
#ifndef SEQRT_REF_MASKED_SOFTMAX_H
#define SEQRT_REF_MASKED_SOFTMAX_H

#include <math.h>
#include <stdint.h>

/* s[0 .. n) holds scores; on return s[t] is the weight of entry t.
 * Entries t >= nvalid get exactly 0. With no valid entry the row is all
 * zeros (the spec's never-NaN rule). A NaN or +Inf among the valid scores
 * gives NaN weights for the valid entries, as PyTorch's softmax does
 * (max-subtracted: inf - inf = NaN). */
static inline void ref_masked_softmax(double *s, int64_t n, int64_t nvalid)
{
    if (nvalid > n) nvalid = n;
    if (nvalid < 0) nvalid = 0;
    for (int64_t t = nvalid; t < n; t++) s[t] = 0.0;
    if (nvalid == 0) return;

    double m = s[0];
    for (int64_t t = 1; t < nvalid; t++) {
        if (isnan(s[t]) || s[t] > m) m = s[t];
        if (isnan(m)) break;
    }
    double sum = 0.0;
    for (int64_t t = 0; t < nvalid; t++) {
        s[t] = exp(s[t] - m);
        sum += s[t];
    }
    for (int64_t t = 0; t < nvalid; t++) s[t] /= sum;
}

#endif /* SEQRT_REF_MASKED_SOFTMAX_H */
