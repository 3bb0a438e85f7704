/*
 * The hooks of the op schema's rows (ops.c), one set per family of ops:
 * op_basic.c (ids, linear, element-wise, concat, select, pooling),
 * op_recurrent.c (lstm, gru, rnn), op_attention.c (attention,
 * attention_pool, multihead_attention). Only ops.c names them; everything
 * else reaches them through sq_op_schema_get. What each kind of hook does
 * is said in ops.h.
 */
#ifndef SEQRT_OP_HOOKS_H
#define SEQRT_OP_HOOKS_H

#include "ops.h"

/* op_basic.c */
seqrt_status sq_infer_embedding(sq_infer_ctx *c);
seqrt_status sq_infer_one_hot(sq_infer_ctx *c);
seqrt_status sq_infer_linear(sq_infer_ctx *c);
seqrt_status sq_infer_same(sq_infer_ctx *c);      /* activation, dropout */
seqrt_status sq_infer_same_axis(sq_infer_ctx *c); /* softmax, log_softmax: same, axis in range */
seqrt_status sq_infer_binary(sq_infer_ctx *c);    /* add, mul */
seqrt_status sq_infer_concat(sq_infer_ctx *c);
seqrt_status sq_infer_select(sq_infer_ctx *c);
seqrt_status sq_infer_pool(sq_infer_ctx *c);      /* last_step, mean_pool */
/* The pooling rule; `weight` >= 0: that weight's dim 1 must be the
 * features of x (attention_pool). */
seqrt_status sq_infer_pool_checked(sq_infer_ctx *c, int weight);
int sq_weights_embedding(const sq_layer *L, sq_weight_spec *out, int max, int *nw);
int sq_weights_linear(const sq_layer *L, sq_weight_spec *out, int max, int *nw);
uint64_t sq_flops_linear(const seqrt_model *m, const sq_layer *L);

/* op_recurrent.c */
seqrt_status sq_infer_recurrent(sq_infer_ctx *c);
bool sq_check_recurrent(const sq_layer *L, sq_attr_mask given, char *why, size_t why_size);
bool sq_derive_recurrent(sq_layer *L, sq_attr_mask given, char *why, size_t why_size);
int sq_weights_recurrent(const sq_layer *L, sq_weight_spec *out, int max, int *nw);
uint64_t sq_flops_recurrent(const seqrt_model *m, const sq_layer *L);

/* op_attention.c */
seqrt_status sq_infer_attention(sq_infer_ctx *c);
seqrt_status sq_infer_attention_pool(sq_infer_ctx *c);
seqrt_status sq_infer_mha(sq_infer_ctx *c);
bool sq_check_attention(const sq_layer *L, sq_attr_mask given, char *why, size_t why_size);
bool sq_check_mha(const sq_layer *L, sq_attr_mask given, char *why, size_t why_size);
int sq_weights_attention(const sq_layer *L, sq_weight_spec *out, int max, int *nw);
int sq_weights_attention_pool(const sq_layer *L, sq_weight_spec *out, int max, int *nw);
int sq_weights_mha(const sq_layer *L, sq_weight_spec *out, int max, int *nw);
uint64_t sq_flops_attention(const seqrt_model *m, const sq_layer *L);
uint64_t sq_flops_attention_pool(const seqrt_model *m, const sq_layer *L);
uint64_t sq_flops_mha(const seqrt_model *m, const sq_layer *L);

#endif /* SEQRT_OP_HOOKS_H */
