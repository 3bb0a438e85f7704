/*
 * Backend interface: registry -> device -> session vtables.
 *
 * A backend is built in (reference) or a shared module loaded at run time
 * (libseqrt-<name>.so, found beside libseqrt or in $SEQRT_BACKEND_PATH). A
 * module exports
 *
 *     seqrt_status seqrt_backend_module_init(int abi, sq_backend *out);
 *
 * which fills `out` (name, devices, or the reason it is unavailable).
 *
 * Optional slots may be NULL; the core then supplies the default noted.
 * The core validates everything (graph, shapes, ids, lengths) before a
 * backend is called: backends compute, they do not re-validate inputs.
 */
#ifndef SEQRT_BACKEND_H
#define SEQRT_BACKEND_H

#include "internal.h"

#define SQ_BACKEND_ABI 1

typedef struct sq_backend sq_backend;

typedef struct sq_session_iface {
    /* Computes the model. `inputs[i]` is model input i (I32 ids/lengths,
     * F32 otherwise) in host memory; `outputs[i]` is host memory of the
     * planned shape for model output i, written by the backend. */
    seqrt_status (*run)(void *impl, const sq_plan *plan, const sq_view *const *inputs,
                        sq_view *const *outputs);
    void (*free)(void *impl);
} sq_session_iface;

typedef struct sq_device_iface {
    /* Optional (NULL: every op and attribute supported). Returns false and
     * writes a reason naming the op or attribute into `why`. */
    bool (*supports_layer)(const seqrt_device *dev, const seqrt_model *model,
                           const sq_layer *layer, char *why, size_t why_size);
    /* Prepares the model: converts or uploads weights, builds plans. The
     * model outlives the session. */
    seqrt_status (*session_create)(const seqrt_device *dev, const seqrt_model *model,
                                   void **out_impl);
    const sq_session_iface *session;
} sq_device_iface;

struct seqrt_device {
    const sq_backend *backend;
    size_t index;
    char name[128];
    char description[256];
    char vendor[64];
    char driver[128];
    int compute_units;
    uint64_t memory_bytes;
    bool is_gpu;             /* "auto" prefers a GPU device */
    const sq_device_iface *iface;
    void *ctx;               /* the backend's own */
};

struct sq_backend {
    char name[32];
    char module[512];        /* path of the module, or "built-in" */
    char reason[512];        /* why unavailable; "" when available */
    seqrt_device *devices;
    size_t ndevices;
    void *dl_handle;         /* dlopen handle of a module */
};

/* Entry point every backend module exports. */
typedef seqrt_status (*sq_backend_module_init_fn)(int abi, sq_backend *out);
#define SQ_BACKEND_MODULE_INIT "seqrt_backend_module_init"

/* The built-in reference backend. */
seqrt_status sq_reference_backend_init(sq_backend *out);

/* ------------------------------------------------------------ host values */

/* The values of a model in host memory, for backends whose ops read and
 * write host buffers: model inputs and outputs are used in place (no
 * copies); every other value lives in a buffer of the store (64-byte
 * aligned, with 64 bytes of slack past its end), grown only when a run
 * needs more than the last one. */
typedef struct sq_values {
    const seqrt_model *model;
    sq_view *views;      /* per value, bound for the current run */
    void **buf;          /* per value: the store's own storage */
    size_t *cap;         /* bytes */
    int *out_of;         /* per value: index in model outputs, or -1 */
} sq_values;
seqrt_status sq_values_init(sq_values *v, const seqrt_model *model);
void sq_values_free(sq_values *v);
/* Binds every value for a run of `plan`'s shapes. */
seqrt_status sq_values_bind(sq_values *v, const sq_plan *plan, const sq_view *const *inputs,
                            sq_view *const *outputs);
/* After the run: copies the outputs that are model inputs themselves. */
void sq_values_copy_through(const sq_values *v, sq_view *const *outputs);

/* ------------------------------------------------------------ host executor */

/* A generic graph walker over host memory for backends whose ops read and
 * write host buffers (reference, oneDNN's CPU engine). It allocates every
 * intermediate value once per shape and reuses it, binds model inputs and
 * outputs without copies, and calls ops[layer->op] for each layer in order. */
typedef struct sq_host_exec sq_host_exec;

seqrt_status sq_host_exec_create(sq_host_exec **out, const seqrt_model *model,
                                 const sq_host_op_fn *ops /* [SQ_OP_COUNT] */);
seqrt_status sq_host_exec_run(sq_host_exec *exec, const sq_plan *plan,
                              const sq_view *const *inputs, sq_view *const *outputs);
void sq_host_exec_free(sq_host_exec *exec);

/* Runs the layers of `model` in order over `views` (one per value, shapes
 * and data bound): builds each layer's sq_op_args and calls
 * run(ctx, layer index, args), stopping at the first error. The walk of the
 * host executor and of any backend that binds values itself. */
typedef seqrt_status (*sq_layer_run_fn)(void *ctx, int layer, const sq_op_args *args);
seqrt_status sq_run_layers(const seqrt_model *model, sq_view *views, sq_layer_run_fn run, void *ctx);

#endif /* SEQRT_BACKEND_H */
