/*
 * The model object, private to seqrt: the values and weight tensors of the
 * graph, struct seqrt_model, and the core's calls on it. Loading is in
 * model_load.c, the description's parse in model.c, the binding of weight
 * tensors to layers in model_weights.c, the public accessors in
 * model_access.c (and seqrt_model_layer_info in model_info.c). internal.h
 * includes this header, so every file that includes internal.h sees it.
 */
#ifndef SEQRT_MODEL_H
#define SEQRT_MODEL_H

#include "internal.h"

struct cJSON;

/* How a weight's values are kept: f32, the 16-bit patterns of f16/bf16,
 * or int8 codes with their scales. The safetensors reader keeps the
 * file's form; once the layers are bound, every tensor takes the form its
 * layer's precision computes from (weight_forms.h): f32 for an f32 layer
 * (and for every tensor of 1.0/1.1 files), f16/bf16 for such a layer, I8
 * for the weight matrices of an int8-dynamic layer (its biases f32). */
typedef enum sq_wform { SQ_WF_F32, SQ_WF_F16, SQ_WF_BF16, SQ_WF_I8 } sq_wform;

/* A weight tensor from the safetensors file. */
struct sq_weight {
    char *name;
    int rank;
    int64_t dims[SEQRT_MAX_RANK];
    int64_t count;
    float *data;             /* SQ_WF_F32: the values; NULL in every other form */
    bool used;
    int form;                /* sq_wform */
    uint16_t *half;          /* SQ_WF_F16, SQ_WF_BF16: the bit patterns */
    int8_t *q;               /* SQ_WF_I8: the codes, row-major */
    float *scale;            /* SQ_WF_I8: value [r][c] = q[r][c] * scale[nscale == 1 ? 0 : r] */
    int64_t nscale;
};

/* A value of the graph: a model input or a layer's output. Dims >= 0 are
 * known; a negative dim is symbol -(d + 1) of the model's symbol table. */
struct sq_value {
    char *name;
    seqrt_dtype dtype;       /* F32 or I32 inside the graph (I64 inputs are converted) */
    seqrt_dtype input_dtype; /* graph inputs: declared dtype */
    int rank;
    int64_t dims[SEQRT_MAX_RANK];
    int time_axis;           /* -1: not a sequence */
    int producer;            /* layer index, or -1 for a graph input */
    int input_index;         /* graph inputs: position in model inputs, else -1 */
};

struct seqrt_model {
    char *name;
    char *path;              /* description path */
    char *weights_path;
    int format_minor;        /* the description's version: 1.0 (0) or 1.1 (1) */
    bool batch_first;
    int nsyms;
    char **sym_names;        /* symbol i; anonymous symbols are named "?" */
    sq_value *values;
    int nvalues;
    int *inputs;             /* value indices */
    int ninputs;
    int *outputs;            /* value indices */
    int noutputs;
    sq_layer *layers;
    int nlayers;
    sq_weight *weights;      /* every tensor of the weights file */
    int nweights;
    char *metadata_json;
    char **warnings;
    int nwarnings;
    bool borrowed;           /* a streaming view of another model: frees only its arrays */
    int nstate;              /* streaming view: state inputs appended (see stream.c) */
    int precision;           /* sq_precision: the top level's `precision` (format 1.2; else f32) */
    int int8_rule;           /* SQ_INT8_RULE_*: format 1.2's `int8_rule` (NONE: no int8 layer) */
    /* A widened view (model_widen.c): the f32 copies of the weights it made,
     * freed with the view; widen_self is the view itself, so a copy of the
     * struct (a streaming view of it) frees nothing of them. */
    sq_weight *widened;
    int nwidened;
    const seqrt_model *widen_self;
};

/* ------------------------------------------------------------ loading (model_load.c) */

/* seqrt_model_load for a description held in memory (`json`, `json_len`
 * bytes) whose weights are a safetensors image in memory (`weights`,
 * `weights_len` bytes; NULL: no tensors at all). `name` stands for the
 * description's path in messages and in the weights-path check. The
 * fuzzers' entry point (conformance/fuzz). */
seqrt_status sq_model_load_memory(seqrt_model **out, const char *name, const uint8_t *json, size_t json_len,
                                  const uint8_t *weights, size_t weights_len, const seqrt_load_options *opt);
/* Frees a model (or a streaming view of one). */
void sq_model_destroy(seqrt_model *m);
/* "[T, B, 32]" for a shape whose negative dims are symbols of `m` (shape.c). */
void sq_format_dims(const seqrt_model *m, int rank, const int64_t *dims, char *buf, size_t n);

/* ------------------------------------------------------------ parsing (model.c) */

/* The description's top level (format, version, name, batch_first, inputs,
 * layers, outputs, metadata; "weights" is resolved by the loader) into m;
 * `file` names it in messages. */
seqrt_status sq_parse_description(seqrt_model *m, const char *file, const struct cJSON *root);
/* The value called `name` (the latest defined), -1 if none. */
int sq_model_find_value(const seqrt_model *m, const char *name);
/* Appends a load warning (seqrt_model_warning). */
seqrt_status sq_model_add_warning(seqrt_model *m, const char *text);

/* ------------------------------------------------------------ weights (model_weights.c) */

/* Reads the weights of m from m->weights_path, or from `image` (a
 * safetensors file held in memory, `image_len` bytes) when it is not NULL,
 * binds every tensor each layer reads (missing or misshapen: an error
 * naming the layer and tensor), and warns about, or under `strict` refuses,
 * the tensors no layer uses. */
seqrt_status sq_model_load_weights(seqrt_model *m, bool strict, const uint8_t *image, size_t image_len);

/* ------------------------------------------------------------ precisions (model_precision.c) */

/* The top level's `precision` and `int8_rule` (format 1.2; an error naming
 * the field in a 1.0/1.1 description), before the layers are parsed. */
seqrt_status sq_parse_model_precision(seqrt_model *m, const char *file, const struct cJSON *root);
/* Layer L's precision: its `precision` field (obj's), else the model's as
 * the design says; an error naming the layer when the op cannot take it.
 * Runs once L's attributes are parsed and checked. */
seqrt_status sq_parse_layer_precision(seqrt_model *m, const char *file, sq_layer *L, const struct cJSON *obj);
/* After every layer: int8_rule required by (and only with) an int8 layer. */
seqrt_status sq_check_model_precision(const seqrt_model *m, const char *file);
/* After the weights are bound: I8 tensors and their scales checked and
 * attached (errors name the layer and tensor), then every tensor put in the
 * form its layer's precision keeps (weight_forms.c). */
seqrt_status sq_model_weight_forms(seqrt_model *m);

/* ------------------------------------------------------------ widening (model_widen.c) */

/* Whether some layer of m computes at a precision other than f32. */
bool sq_model_has_reduced_precision(const seqrt_model *m);
/* A view of m in which every layer computes f32 from its weights widened
 * (f16/bf16 exactly, int8 dequantized): what SEQRT_PRECISION=f32 or the
 * session option runs. Freed with sq_model_destroy; m outlives it. */
seqrt_status sq_model_widen(const seqrt_model *m, seqrt_model **out);
/* One layer of it: *V is L computing f32, its own V->w array pointing at
 * L's f32 tensors and at f32 copies of the others, made in copies[*ncopies
 * ...] (room for L->nw; the names are L's). On failure the caller frees
 * V->w and the copies made so far. */
seqrt_status sq_layer_widen(const sq_layer *L, sq_layer *V, sq_weight *copies, int *ncopies);

#endif /* SEQRT_MODEL_H */
