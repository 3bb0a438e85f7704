/*
 * Streaming (stream.c): the streaming view of a model and the state it
 * carries from one run to the next. A session in streaming mode makes one
 * sq_stream, runs its view, and calls it before and after each run.
 */
#ifndef SEQRT_STREAM_H
#define SEQRT_STREAM_H

#include "internal.h"

typedef struct sq_stream sq_stream;

/* Builds the streaming view of `m` (SEQRT_ERR_UNSUPPORTED with the reason
 * when m cannot stream) and an empty carried state. The view borrows
 * everything it does not change from `m`, which must outlive it. */
seqrt_status sq_stream_create(sq_stream **out, const seqrt_model *m);
void sq_stream_free(sq_stream *s);
/* The view: the model the backend runs. Its inputs are the model's, then
 * one per carried state; its outputs the model's, then the final states
 * not already among them. */
const seqrt_model *sq_stream_view(const sq_stream *s);
/* Where the carried states live between runs: by default in the stream's
 * own host buffers, copied into every run and out of it. A session whose
 * backend keeps them itself (sq_session_iface.carry_init) calls this once,
 * before the first run: from then on prepare hands a fresh state to
 * write(ctx, i, shape, initial value or NULL for zeros) and binds every
 * state input with data NULL, and carry copies nothing. */
typedef seqrt_status (*sq_stream_write_fn)(void *ctx, int i, const sq_shape *sh, const float *data);
void sq_stream_hold_elsewhere(sq_stream *s, sq_stream_write_fn write, void *ctx);
/* The next run starts again from the initial states. */
void sq_stream_reset(sq_stream *s);
/* Before a run planned in `shapes` (per view value; the final states'
 * shapes are planned): binds in_views (per view input) of every carried
 * state to the carried values; on the first run after creation or reset,
 * fills them from the model inputs wired to h0/c0 (in in_views), or zeros.
 * SEQRT_ERR_SHAPE when the batch size changed since the last run. */
seqrt_status sq_stream_prepare(sq_stream *s, sq_shape *shapes, sq_view *in_views);
/* After a run: keeps the final states of out_views (per view output; their
 * data is not read when the states are held elsewhere). */
void sq_stream_carry(sq_stream *s, const sq_view *out_views);
/* The carried states, for a caller that runs the view itself (the stream
 * pool, stream_pool.c): their number, and for state i its index among the
 * view's inputs, the index among the view's outputs of its final state, and
 * the model input wired to its slot (h0/c0), or -1. */
int sq_stream_state_count(const sq_stream *s);
void sq_stream_state_slot(const sq_stream *s, int i, int *state_input, int *final_output, int *user_input);

#endif /* SEQRT_STREAM_H */
