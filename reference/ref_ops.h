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

/* Weight `i` of layer L (the op's order, ops.h), NULL when the layer has
 * no such weight (an optional one absent). */
static inline const sq_weight *ref_weight_or_null(const sq_layer *L, int i)
{
    return L->nw > i ? L->w[i] : NULL;
}

/* ref_math.c */
double ref_dot(const float *a, const float *b, int64_t n);        /* in double */
double ref_dot_strided(const float *a, int64_t sa, const float *b, int64_t sb, int64_t n);
double ref_sigmoid(double x);
double ref_activation(int fn, double x);                          /* SQ_ACT_* but affine */
double ref_affine(double alpha, double beta, double x);          /* alpha * x + beta */

/* Every op function of the backend, once: REF_OP_LIST(X) expands X(fn) for
 * each `seqrt_status fn(const sq_op_args *)` (ref_softmax serves softmax and
 * log_softmax). The declarations below and ref_backend.c's op rows are both
 * generated from it. */
#define REF_OP_LIST(X)                                                                             \
    X(ref_embedding)                                                                               \
    X(ref_one_hot)                                                                                 \
    X(ref_lstm)                                                                                    \
    X(ref_gru)                                                                                     \
    X(ref_rnn)                                                                                     \
    X(ref_linear)                                                                                  \
    X(ref_activation_op)                                                                           \
    X(ref_softmax)                                                                                 \
    X(ref_dropout)                                                                                 \
    X(ref_add)                                                                                     \
    X(ref_mul)                                                                                     \
    X(ref_concat)                                                                                  \
    X(ref_select)                                                                                  \
    X(ref_last_step)                                                                               \
    X(ref_mean_pool)                                                                               \
    X(ref_attention)                                                                               \
    X(ref_attention_pool)                                                                          \
    X(ref_multihead_attention)

#define REF_DECLARE_OP(fn) seqrt_status fn(const sq_op_args *a);
REF_OP_LIST(REF_DECLARE_OP)
#undef REF_DECLARE_OP

#endif /* SEQRT_REF_OPS_H */
