/*
 * oneDNN backend: variable sequence lengths for the recurrent layers.
 *
 * oneDNN's RNN primitives have no sequence lengths; the spec's semantics
 * (entry b runs steps 0 … len[b]-1, the reverse direction len[b]-1 … 0;
 * outputs at padded steps are 0; h_n / c_n hold the state after the entry's
 * last step, the initial state when len[b] = 0) are obtained exactly by two
 * schemes:
 *
 *  - on the primitive engine (here, dn_rnn_prim_run_lengths): the entries
 *    are grouped by length; each group is gathered into a dense batch of its
 *    own T = len, the whole stack of layers runs on it as an ordinary
 *    sequence (so the reverse direction starts at the entry's own last
 *    step), and its outputs and final states are scattered back. Entries of
 *    length 0 take their initial state as final state and only zeros as
 *    output. Every group is a dense run: nothing is masked or approximated.
 *
 *  - on the loop engine (dnnl_rnn_loop.c): all entries step in lockstep, an
 *    entry that has finished keeps its state, and the reverse direction reads
 *    the input with each entry's valid prefix reversed (dn_reverse_prefixes).
 */
#include <stdlib.h>
#include <string.h>

#include "dnnl_rnn.h"

void dn_reverse_prefixes(float *out, const float *x, int64_t T, int64_t B, int64_t F, const int32_t *lens)
{
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = dn_len(lens, b, T);
        for (int64_t t = 0; t < len; t++)
            memcpy(out + (t * B + b) * F, x + ((len - 1 - t) * B + b) * F, sizeof(float) * (size_t)F);
        /* rows past the prefix are never read by a running entry */
        for (int64_t t = len; t < T; t++) memset(out + (t * B + b) * F, 0, sizeof(float) * (size_t)F);
    }
}

/* Offset of (t, b) in a sequence of width F, either layout. */
static inline int64_t seq_off(bool bf, int64_t T, int64_t B, int64_t t, int64_t b, int64_t F)
{
    return (bf ? b * T + t : t * B + b) * F;
}

seqrt_status dn_rnn_prim_run_lengths(dn_session *s, dn_rnn *r, const dn_rnn_run *run)
{
    const int64_t T = run->T, B = run->B, I = r->I, H = r->H, Ho = r->Ho, F = r->D * Ho;
    const int64_t LD = (int64_t)r->nl * r->D;
    const bool lstm = r->op == SQ_OP_LSTM;
    const int32_t *lens = run->lens;

    /* the entries by decreasing length: idx[0 .. B) */
    SQ_TRY(dn_buf_reserve(&r->lenbuf, sizeof(int64_t) * (size_t)B));
    int64_t *idx = r->lenbuf.p;
    for (int64_t b = 0; b < B; b++) {
        int64_t j = b;
        while (j > 0 && dn_len(lens, idx[j - 1], T) < dn_len(lens, b, T)) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = b;
    }

    /* scratch for one group: x, y, h0, c0, h_n, c_n */
    const size_t nx = (size_t)(T * B * I), ny = (size_t)(T * B * F), nh = (size_t)(LD * B * Ho),
                 nc = (size_t)(LD * B * H);
    SQ_TRY(dn_buf_reserve(&r->gath, sizeof(float) * (nx + ny + 2 * nh + 2 * nc)));
    float *xg = dn_buf_f(&r->gath), *yg = xg + nx, *h0g = yg + ny, *hng = h0g + nh, *c0g = hng + nh, *cng = c0g + nc;

    memset(run->y, 0, sizeof(float) * (size_t)(T * B * F)); /* padded steps are 0 */
    for (int64_t g0 = 0; g0 < B;) {
        const int64_t len = dn_len(lens, idx[g0], T);
        int64_t g1 = g0 + 1;
        while (g1 < B && dn_len(lens, idx[g1], T) == len) g1++;
        const int64_t Bg = g1 - g0;
        const int64_t *m = idx + g0; /* the group's entries */
        if (len == 0) {
            /* nothing runs: the final state is the initial one */
            for (int64_t row = 0; row < LD; row++)
                for (int64_t j = 0; j < Bg; j++) {
                    const int64_t b = m[j];
                    if (run->h0) memcpy(run->hn + (row * B + b) * Ho, run->h0 + (row * B + b) * Ho, sizeof(float) * (size_t)Ho);
                    else memset(run->hn + (row * B + b) * Ho, 0, sizeof(float) * (size_t)Ho);
                    if (!lstm) continue;
                    if (run->c0) memcpy(run->cn + (row * B + b) * H, run->c0 + (row * B + b) * H, sizeof(float) * (size_t)H);
                    else memset(run->cn + (row * B + b) * H, 0, sizeof(float) * (size_t)H);
                }
            g0 = g1;
            continue;
        }
        /* gather: x [len, Bg, I] and the initial states */
        for (int64_t t = 0; t < len; t++)
            for (int64_t j = 0; j < Bg; j++)
                memcpy(xg + (t * Bg + j) * I, run->x + seq_off(run->bf, T, B, t, m[j], I), sizeof(float) * (size_t)I);
        for (int64_t row = 0; row < LD; row++)
            for (int64_t j = 0; j < Bg; j++) {
                if (run->h0)
                    memcpy(h0g + (row * Bg + j) * Ho, run->h0 + (row * B + m[j]) * Ho, sizeof(float) * (size_t)Ho);
                if (lstm && run->c0)
                    memcpy(c0g + (row * Bg + j) * H, run->c0 + (row * B + m[j]) * H, sizeof(float) * (size_t)H);
            }
        dn_rnn_run g = {len, Bg, false, xg, run->h0 ? h0g : NULL, lstm && run->c0 ? c0g : NULL, NULL, yg, hng,
                        lstm ? cng : NULL};
        SQ_TRY(dn_rnn_prim_run(s, r, &g));
        /* scatter: outputs and final states */
        for (int64_t t = 0; t < len; t++)
            for (int64_t j = 0; j < Bg; j++)
                memcpy(run->y + seq_off(run->bf, T, B, t, m[j], F), yg + (t * Bg + j) * F, sizeof(float) * (size_t)F);
        for (int64_t row = 0; row < LD; row++)
            for (int64_t j = 0; j < Bg; j++) {
                memcpy(run->hn + (row * B + m[j]) * Ho, hng + (row * Bg + j) * Ho, sizeof(float) * (size_t)Ho);
                if (lstm) memcpy(run->cn + (row * B + m[j]) * H, cng + (row * Bg + j) * H, sizeof(float) * (size_t)H);
            }
        g0 = g1;
    }
    return SEQRT_OK;
}
