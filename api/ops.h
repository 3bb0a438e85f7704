/*
 * The op table: for every op of the spec, its input slots, extra outputs,
 * attributes (type, default, range) and weight tensors. The loader, shape
 * inference and `seqrt info` read this table; nothing else spells out ops.
 */
#ifndef SEQRT_OPS_H
#define SEQRT_OPS_H

#include "internal.h"

typedef enum sq_attr_type { SQ_AT_INT, SQ_AT_BOOL, SQ_AT_FLOAT, SQ_AT_ENUM } sq_attr_type;

typedef struct sq_attr_spec {
    const char *name;
    sq_attr_type type;
    size_t offset;              /* into sq_attrs */
    bool required;
    double def;                 /* default: int, bool (0/1), float, or enum value */
    int64_t min, max;           /* ints: allowed range; floats: [min, max] too */
    const char *const *names;   /* enums: accepted strings, NULL-terminated */
    const int *values;          /* enums: value of each string */
} sq_attr_spec;

enum { SQ_SLOT_FLOAT, SQ_SLOT_INT };

typedef struct sq_slot_spec {
    const char *name;           /* NULL: no slot at this index */
    bool required;
    bool list;                  /* concat's "x": a list of values */
    int kind;                   /* SQ_SLOT_FLOAT or SQ_SLOT_INT */
} sq_slot_spec;

typedef struct sq_op_schema {
    const char *name;
    sq_slot_spec slots[SQ_MAX_SLOTS];
    const char *outputs[SQ_MAX_OUTS]; /* suffix of each output: "" main, "h_n", ... */
    const sq_attr_spec *attrs;        /* terminated by a NULL name */
    bool per_step;                    /* may run in streaming chunks */
} sq_op_schema;

const sq_op_schema *sq_op_schema_get(sq_op op);
/* -1 if `name` is no op. */
int sq_op_from_name(const char *name);
/* Name of an enum attribute's value (e.g. "additive"), for messages. */
const char *sq_attr_enum_name(const sq_attr_spec *spec, int value);
/* Number of outputs a layer defines (ops whose extras depend on attributes
 * — lstm's c_n — report it here). */
int sq_layer_output_count(const sq_layer *L);

/* One weight tensor a layer reads. Dims of -1 are taken from the layer's
 * inputs and checked by shape inference. */
typedef struct sq_weight_spec {
    char param[64];             /* "weight_ih_l0_reverse", "projection.0.weight" */
    int index;                  /* into layer->w */
    int rank;
    int64_t dims[2];
    bool optional;              /* absent is fine (attention's key.bias) */
} sq_weight_spec;

/* The weights of layer L (after its attributes are parsed): fills up to
 * `max` specs, returns how many exist, and sets *nw to the size layer->w
 * needs. */
int sq_layer_weight_specs(const sq_layer *L, sq_weight_spec *out, int max, int *nw);

#endif /* SEQRT_OPS_H */
