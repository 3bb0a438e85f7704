/*
 * Shape inference. One set of rules serves both the load-time check (dims
 * may be symbols: negative values naming the model's symbols) and the
 * run-time plan (every dim concrete).
 */
#ifndef SEQRT_SHAPE_H
#define SEQRT_SHAPE_H

#include "internal.h"

/* Infers the shapes (and time axes) of layer L's outputs from those of its
 * inputs in `shapes`/`taxis` (one entry per value). At load `symtab` is the
 * model being built (new anonymous symbols are added to it); at run time it
 * is NULL and every dim is concrete. Errors name the layer and the slot. */
seqrt_status sq_infer_layer(const seqrt_model *m, const sq_layer *L, sq_shape *shapes, int *taxis,
                            seqrt_model *symtab);

/* Load time: infers every value's shape from the declared inputs into
 * m->values (rank, dims, time_axis). */
seqrt_status sq_infer_model(seqrt_model *m);

/* Run time: given the concrete shapes of the model inputs (in `shapes`, at
 * the inputs' value indices), infers all the others. */
seqrt_status sq_infer_plan(const seqrt_model *m, sq_shape *shapes);

/* Normalises a possibly negative axis against `rank`; -1 if out of range. */
int sq_norm_axis(int64_t axis, int rank);

#endif /* SEQRT_SHAPE_H */
