/*
 * What the shape-inference hooks of the op schema share (shape_rules.c):
 * the context of one layer's inference and the checks and messages every
 * rule uses, so an error reads the same whatever the op. Private to the
 * shape files (shape.c and the op_*.c hook files).
 */
#ifndef SEQRT_SHAPE_RULES_H
#define SEQRT_SHAPE_RULES_H

#include "ops.h"
#include "shape.h"

struct sq_infer_ctx {
    const seqrt_model *m;
    const sq_layer *L;
    const sq_op_schema *s;   /* L's op */
    sq_shape *shapes;        /* per value */
    int *taxis;              /* per value; NULL at run time */
    seqrt_model *symtab;     /* load time: where new symbols go; NULL at run time */
};

/* Equal, or not decidable yet (a symbol at load time). */
static inline bool sq_dim_ok(int64_t a, int64_t b) { return a < 0 || b < 0 || a == b; }

/* "layer 'l' (op): input 'slot' ('value', shape [..]): dim <axis> (<what>) must be <want>" */
seqrt_status sq_fail_dim(const sq_infer_ctx *c, int slot, int axis, const char *what, int64_t want);
/* "layer 'l' (op): input 'slot' ('value') has shape [..]; expected <want>" */
seqrt_status sq_fail_rank(const sq_infer_ctx *c, int slot, const char *want);
/* "layer 'l' (op): axis A is out of range for rank R" */
seqrt_status sq_fail_axis(const sq_infer_ctx *c, int64_t axis, int rank);
/* Shape of the value in `slot`, NULL when the slot is absent. */
const sq_shape *sq_in_shape(const sq_infer_ctx *c, int slot);
/* Time axis of the value in `slot` (-1: none, absent, or run time). */
int sq_in_taxis(const sq_infer_ctx *c, int slot);
/* Sets output `o` (when the layer has it) to dims d[0..rank) and time axis. */
void sq_set_out(sq_infer_ctx *c, int o, int rank, const int64_t *d, int taxis);
/* A weight's dim that is taken from an input (-1 in the weight spec). */
seqrt_status sq_check_weight_dim(const sq_infer_ctx *c, int widx, int axis, int64_t want, const char *what);
/* Lengths, when given, are [B]. */
seqrt_status sq_check_lengths(const sq_infer_ctx *c, int64_t B);
/* A sequence input: rank 3 in the model's layout; its T, B, F. */
seqrt_status sq_check_seq(const sq_infer_ctx *c, int slot, int64_t *T, int64_t *B, int64_t *F);
/* Dims of a sequence [T, B, F] in the model's layout. */
void sq_seq_dims(bool batch_first, int64_t T, int64_t B, int64_t F, int64_t *d);
/* A new anonymous symbol of the model being loaded (-1 at run time or out
 * of memory). */
int64_t sq_new_symbol(sq_infer_ctx *c);

#endif /* SEQRT_SHAPE_RULES_H */
