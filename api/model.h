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

/* A weight tensor from the safetensors file, converted to f32 at load. */
struct sq_weight {
    char *name;
    int rank;
    int64_t dims[SEQRT_MAX_RANK];
    int64_t count;
    float *data;
    bool used;
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

#endif /* SEQRT_MODEL_H */
