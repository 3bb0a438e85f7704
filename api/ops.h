/*
 * The op schema: the one place an op is described. For every op of the
 * spec, one row of api/ops.c gives its input slots (with what streaming
 * carries into them and how their integers are bounded), extra outputs,
 * attributes (type, default, range), gate count, streaming rule, and the
 * hooks the rest of the core calls instead of switching on the op: shape
 * inference, cross-attribute checks, weight tensors and FLOPs. The hooks
 * live in per-family files (op_basic.c, op_recurrent.c, op_attention.c)
 * and are named only by the rows.
 */
#ifndef SEQRT_OPS_H
#define SEQRT_OPS_H

#include "internal.h"

/* Attribute types. Lists (format 1.1) hold at most `max` entries: names of
 * an enum matched in any case (sq_enum_list), or numbers (sq_float_list). */
typedef enum sq_attr_type {
    SQ_AT_INT, SQ_AT_BOOL, SQ_AT_FLOAT, SQ_AT_ENUM, SQ_AT_ENUM_LIST, SQ_AT_FLOAT_LIST
} sq_attr_type;

typedef struct sq_attr_spec {
    const char *name;
    sq_attr_type type;
    size_t offset;              /* into sq_attrs */
    bool required;
    double def;                 /* default: int, bool (0/1), float, or enum value */
    int64_t min, max;           /* ints: allowed range; floats: [min, max] too */
    const char *const *names;   /* enums: accepted strings, NULL-terminated */
    const int *values;          /* enums: value of each string */
    int since;                  /* format minor version that introduced it (0: 1.0, 1: 1.1) */
    const int *value_since;     /* enums: NULL, or the `since` of each string (the loader refuses
                                 * a newer one as it refuses a newer attribute) */
} sq_attr_spec;

enum { SQ_SLOT_FLOAT, SQ_SLOT_INT };

typedef struct sq_slot_spec {
    const char *name;           /* NULL: no slot at this index */
    bool required;
    bool list;                  /* concat's "x": a list of values */
    int kind;                   /* SQ_SLOT_FLOAT or SQ_SLOT_INT */
    /* A recurrent initial state: the name of the state a streaming session
     * carries into this slot ("h", "c"), from output `final` of the last
     * chunk. NULL: not a state. */
    const char *state;
    int final;
    /* Integer slots, checked at every run: ids (`id_what` names a value in
     * messages, "id"; each must lie in [0, the int64 attribute at offset
     * `id_limit` of sq_attrs)), or, when id_what is NULL, lengths: each in
     * [0, T] where T is the time dim of the sequence in slot time_of[0], or
     * in time_of[1] when time_of[0] is absent. */
    const char *id_what;
    size_t id_limit;
    int time_of[2];
} sq_slot_spec;

/* How a layer of the op runs in a streaming session (stream.c). */
typedef enum sq_stream_rule {
    SQ_STREAM_WHOLE = 0,        /* needs the whole sequence: the model cannot stream */
    SQ_STREAM_PER_STEP,         /* each time step on its own */
    SQ_STREAM_LAST_AXIS,        /* per step when its `axis` attribute is the last (feature) axis */
    SQ_STREAM_CARRIED           /* recurrent: one direction, no lengths; its state slots are
                                   carried from chunk to chunk */
} sq_stream_rule;

/* One weight tensor a layer reads. Dims of -1 are taken from the layer's
 * inputs and checked by shape inference. */
typedef struct sq_weight_spec {
    char param[64];             /* "weight_ih_l0_reverse", "projection.0.weight" */
    int index;                  /* into layer->w */
    int rank;
    int64_t dims[2];
    bool optional;              /* absent is fine (attention's key.bias) */
} sq_weight_spec;

/* Shape inference of one layer (shape_rules.h). */
typedef struct sq_infer_ctx sq_infer_ctx;

/* Which attributes a layer's description gave: bit i for attrs[i]. */
typedef uint64_t sq_attr_mask;

typedef struct sq_op_schema {
    const char *name;
    int since;                        /* format minor version that introduced the op (0: 1.0) */
    sq_slot_spec slots[SQ_MAX_SLOTS];
    const char *outputs[SQ_MAX_OUTS]; /* suffix of each output: "" main, "h_n", ... */
    const sq_attr_spec *attrs;        /* terminated by a NULL name */
    int gates;                        /* recurrent: gates per step (lstm 4, gru 3, rnn 1); else 0 */
    int gate_fns;                     /* recurrent: gate functions per direction (lstm 3, gru 2, rnn 1) */
    const int *gate_fn_defaults;      /* recurrent: those functions without `activations` */
    sq_stream_rule stream;
    /* Required. Checks the shapes (and time axes) of the layer's inputs
     * and sets those of its outputs (shape.h says when it runs). */
    seqrt_status (*infer)(sq_infer_ctx *c);
    /* Optional. Rules between attributes the table cannot say, run at load
     * once the attributes are parsed: false with the reason in `why` (the
     * loader prefixes the file, layer and op). */
    bool (*check)(const sq_layer *layer, sq_attr_mask given, char *why, size_t why_size);
    /* Optional. Runs after check: derives the attributes other attributes
     * imply (a recurrent layer's per-direction gate functions), or fails
     * as check does. */
    bool (*derive)(sq_layer *layer, sq_attr_mask given, char *why, size_t why_size);
    /* Optional (NULL: no weights). The weight tensors of a layer, as
     * sq_layer_weight_specs says. */
    int (*weights)(const sq_layer *layer, sq_weight_spec *out, int max, int *nw);
    /* Optional (NULL: 0). FLOPs per time step and batch entry (2 per
     * multiply-add; attention ops: per key step), for `seqrt info`. */
    uint64_t (*flops)(const seqrt_model *model, const sq_layer *layer);
} sq_op_schema;

const sq_op_schema *sq_op_schema_get(sq_op op);
/* -1 if `name` is no op. */
int sq_op_from_name(const char *name);
/* Name of an enum attribute's value (e.g. "additive"), for messages. */
const char *sq_attr_enum_name(const sq_attr_spec *spec, int value);
/* Whether `given` (of layer L's op) has the attribute called `name`. */
bool sq_attr_given(const sq_layer *L, sq_attr_mask given, const char *name);
/* Number of outputs a layer defines (ops whose extras depend on attributes
 * — lstm's c_n — report it here). */
int sq_layer_output_count(const sq_layer *L);

/* The weights of layer L (after its attributes are parsed): fills up to
 * `max` specs, returns how many exist, and sets *nw to the size layer->w
 * needs. */
int sq_layer_weight_specs(const sq_layer *L, sq_weight_spec *out, int max, int *nw);
/* For the weights hooks: appends one spec (nothing when `max` are there). */
void sq_weight_spec_add(sq_weight_spec *out, int max, int *n, const char *param, int index, int rank, int64_t d0,
                        int64_t d1, bool optional);

#endif /* SEQRT_OPS_H */
