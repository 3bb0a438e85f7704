/*
 * Reference backend: one plain scalar function per op, mirroring the
 * equations of the model-format spec. Dot products and activations are
 * evaluated in double; every stored value (outputs, and the recurrent state
 * h_t / c_t carried from one step to the next) is rounded to float once.
 *
 * Each function reads args->in[...] (NULL when an optional slot is absent)
 * and writes args->out[...] (allocated by the executor with the planned
 * shape; NULL when the output does not exist). Shapes, ids and lengths are
 * validated by the core before an op is called.
 */
#ifndef SEQRT_REF_OPS_H
#define SEQRT_REF_OPS_H

#include "../api/internal.h"
#include "../api/seq.h"

/* ref_math.c */
double ref_dot(const float *a, const float *b, int64_t n);        /* in double */
double ref_dot_strided(const float *a, int64_t sa, const float *b, int64_t sb, int64_t n);
double ref_sigmoid(double x);
double ref_activation(int fn, double x);                          /* SQ_ACT_* */

seqrt_status ref_embedding(const sq_op_args *a);
seqrt_status ref_one_hot(const sq_op_args *a);
seqrt_status ref_lstm(const sq_op_args *a);
seqrt_status ref_gru(const sq_op_args *a);
seqrt_status ref_rnn(const sq_op_args *a);
seqrt_status ref_linear(const sq_op_args *a);
seqrt_status ref_activation_op(const sq_op_args *a);
seqrt_status ref_softmax(const sq_op_args *a);      /* softmax and log_softmax */
seqrt_status ref_dropout(const sq_op_args *a);
seqrt_status ref_add(const sq_op_args *a);
seqrt_status ref_mul(const sq_op_args *a);
seqrt_status ref_concat(const sq_op_args *a);
seqrt_status ref_select(const sq_op_args *a);
seqrt_status ref_last_step(const sq_op_args *a);
seqrt_status ref_mean_pool(const sq_op_args *a);
seqrt_status ref_attention(const sq_op_args *a);
seqrt_status ref_attention_pool(const sq_op_args *a);
seqrt_status ref_multihead_attention(const sq_op_args *a);

#endif /* SEQRT_REF_OPS_H */
