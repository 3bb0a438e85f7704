/* Streaming views of a model (see stream.c). */
#ifndef SEQRT_STREAM_H
#define SEQRT_STREAM_H

#include "internal.h"

/* One recurrent layer of a streaming view; index 0 is h, 1 is c (lstm). */
typedef struct sq_stream_layer {
    int layer;
    int state_input[2];   /* index among the view's inputs (-1: none) */
    int state_value[2];   /* value index of that input */
    int final_output[2];  /* index among the view's outputs of h_n / c_n */
    int final_value[2];
    int user_input[2];    /* the model input wired to h0 / c0, or -1 */
} sq_stream_layer;

/* Builds the streaming view of `m` (which must be streamable). The view
 * borrows everything it does not change from `m`. */
seqrt_status sq_stream_view_create(const seqrt_model *m, seqrt_model **view, sq_stream_layer **layers,
                                   int *nlayers);

#endif /* SEQRT_STREAM_H */
