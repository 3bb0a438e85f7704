/*
 * What the stream pool (stream_pool*.c) asks of its session beyond the
 * public API: that the backend keep every stream's states as rows
 * (sq_session_iface's row slots, backend.h), and runs that gather and
 * scatter them there instead of taking them from the host. Implemented in
 * session.c.
 */
#ifndef SEQRT_SESSION_ROWS_H
#define SEQRT_SESSION_ROWS_H

#include "backend.h"

/* Asks the backend of session `s` (a plain session over a streaming view)
 * to hold `rows` rows of each of the n carried states `slots`; the final
 * states among the view's outputs from `first_unread` on are then never
 * read to the host. SEQRT_ERR_UNSUPPORTED (no message) when the backend
 * has no row slots, or SEQRT_STREAM_STATE=host. */
seqrt_status sq_session_hold_rows(seqrt_session *s, int n, const sq_carry_slot *slots, size_t rows,
                                  int first_unread);
seqrt_status sq_session_row_write(seqrt_session *s, int i, size_t row, const float *data);
seqrt_status sq_session_row_read(seqrt_session *s, int i, size_t row, float *dst);
/* seqrt_session_run with the states in rows: inputs[] NULL at every state
 * input and at every input wired to a slot they replace (their shapes:
 * [L*D, kb, H]); batch entry b of each state is row gather[b] (b < kb,
 * -1: zeros), and entries b < k of each final state go to rows scatter[b]. */
seqrt_status sq_session_run_rows(seqrt_session *s, const seqrt_tensor *const *inputs, size_t n, int kb,
                                 const int64_t *gather, int k, const int64_t *scatter);

#endif /* SEQRT_SESSION_ROWS_H */
