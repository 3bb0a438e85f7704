/*
 * Backend interface: registry -> device -> session vtables.
 *
 * A backend is built in (reference) or a shared module loaded at run time
 * (libseqrt-<name>.so, found in $SEQRT_BACKEND_PATH or in <libdir>/seqrt-0
 * beside libseqrt). A module exports two symbols:
 *
 *     const int seqrt_backend_module_abi;           (SQ_BACKEND_MODULE_ABI)
 *     seqrt_status seqrt_backend_module_init(sq_backend *out);
 *
 * The registry reads the first and loads the module only when it equals
 * SQ_BACKEND_ABI; the second fills `out` (devices, priority, or the reason
 * the backend is unavailable).
 *
 * Every backend implements ops through one table of sq_op_impl, one row per
 * op kind (NULL: op not implemented). The core asks each row's `supports`
 * for every layer once, at session creation, before the backend sees the
 * model; it prepares, runs and releases the rows through the walks below.
 * Optional slots may be NULL; the core then supplies the default noted.
 * The core validates everything (graph, shapes, ids, lengths) before a
 * backend is called: backends compute, they do not re-validate inputs.
 */
#ifndef SEQRT_BACKEND_H
#define SEQRT_BACKEND_H

#include "internal.h"

/* Raised whenever a struct a module reads changes layout (seqrt_model,
 * sq_layer, sq_op_schema, sq_op_impl, sq_op_args): 3 = the op schema rows
 * and the model's format version; 6 = sq_op_impl.unbound_outs; 7 = format
 * 1.2's precisions (sq_layer.precision, sq_weight's forms, seqrt_model's
 * int8_rule, sq_device_iface.precisions); 8 = sq_session_iface's carry
 * slots (carry_init, state_write, state_read); 9 = its row slots (rows_init,
 * row_write, row_read, rows_route). */
#define SQ_BACKEND_ABI 9

typedef struct sq_backend sq_backend;

/* One carried state of a streaming session (api/stream.c): the view's
 * input `state_input` takes it, its output `final_output` is the state a
 * run leaves. */
typedef struct sq_carry_slot {
    int state_input;
    int final_output;
} sq_carry_slot;

typedef struct sq_session_iface {
    /* Computes the model. `inputs[i]` is model input i (I32 ids/lengths,
     * F32 otherwise) in host memory; `outputs[i]` is host memory of the
     * planned shape for model output i, written by the backend. */
    seqrt_status (*run)(void *impl, const sq_plan *plan, const sq_view *const *inputs,
                        sq_view *const *outputs);
    void (*free)(void *impl);
    /* Optional, the three together (NULL: the core keeps a streaming
     * session's carried states in host memory, stream.c, and hands them to
     * every run as inputs and takes them back as outputs: for a device, a
     * copy of every state to it and back per chunk).
     *
     * carry_init is called once, after session_create on a streaming view,
     * with the view's n carried states; SEQRT_OK: the session keeps them in
     * its own memory from one run to the next (any other status: the core
     * keeps them, as if the slot were NULL; nothing is reported). From then
     * on a run gets, for carried state i, an input view of data NULL (the
     * state the session holds) and an output view of data NULL for its
     * final state unless the core wants that on the host (a caller-bound
     * output); after a run that succeeds the state held is the final one,
     * after one that fails it is unchanged. state_write sets state i to
     * `data` (shape `sh`, [L*D, B, H]; NULL: zeros) before the first run
     * and after a reset; state_read copies it out (count floats), when the
     * caller asks for a final state (seqrt_session_output). */
    seqrt_status (*carry_init)(void *impl, int n, const sq_carry_slot *slots);
    seqrt_status (*state_write)(void *impl, int i, const sq_shape *sh, const float *data);
    seqrt_status (*state_read)(void *impl, int i, float *dst, size_t count);
    /* Optional, the four together (NULL: the stream pool keeps its
     * streams' states in host memory, api/stream_pool*.c, gathers them into
     * every run's state inputs and scatters the final states back: for a
     * device, the group's states to it and back per step).
     *
     * rows_init is called once on the session of a stream pool, over the
     * streaming view (a plain session), with its n carried states; SEQRT_OK:
     * the session keeps `rows` rows of each state, row r of state i one
     * batch entry, [L*D, 1, H] (the shape of view input
     * slots[i].state_input with its batch dim 1), all zeros. row_write sets
     * row `row` of state i (data NULL: zeros), row_read copies it out.
     * rows_route, called before each run, says what the run does with
     * them: batch entry b of every state input is row gather[b] (-1: zeros),
     * b < kb (the run's batch); after the run entries b < k of every final
     * state go to rows scatter[b]. That run gets the state inputs, and the
     * inputs wired to the slots they replace, with data NULL, and the
     * final states that are not among the model's outputs the pool reads
     * with data NULL; a run that fails may have written the scatter rows,
     * never others. */
    seqrt_status (*rows_init)(void *impl, int n, const sq_carry_slot *slots, size_t rows);
    seqrt_status (*row_write)(void *impl, int i, size_t row, const float *data);
    seqrt_status (*row_read)(void *impl, int i, size_t row, float *dst);
    seqrt_status (*rows_route)(void *impl, int kb, const int64_t *gather, int k, const int64_t *scatter);
} sq_session_iface;

/* One op's implementation in a backend: the same shape in every backend.
 * `session` is the backend's own session object; `state` what `prepare`
 * made for this layer (NULL without prepare). */
typedef struct sq_op_impl {
    /* Required. Whether the device computes `layer` (attributes, sizes);
     * false with a reason naming the attribute in `why`. Asked by the core
     * for every layer at session creation. sq_op_supports_all: every form. */
    bool (*supports)(const seqrt_device *dev, const seqrt_model *model, const sq_layer *layer,
                     char *why, size_t why_size);
    /* Optional (NULL: nothing to prepare, state NULL). Runs once at session
     * creation: converts or uploads weights, builds primitives. */
    seqrt_status (*prepare)(void *session, const sq_layer *layer, void **state);
    /* Required. Computes one layer of a run. */
    seqrt_status (*run)(void *session, const sq_op_args *args, void *state);
    /* Optional (NULL: the state needs no freeing). Called for every non-NULL
     * state when the session ends. */
    void (*release)(void *state);
    /* Optional (0: none). Bit o (1u << SQ_OUT_*): output slot o may be
     * left unbound. Where the layer's value in such a slot is unused (not a
     * model output, read by no layer) and the session's store applies the
     * row (sq_values_skip_unused), `run` gets a view of the planned shape
     * whose data is NULL and must write nothing there; nothing is
     * allocated for it. Every other output is bound as before. */
    unsigned unbound_outs;
} sq_op_impl;

/* The `supports` of an op implemented in every form the spec allows. */
bool sq_op_supports_all(const seqrt_device *dev, const seqrt_model *model, const sq_layer *layer, char *why,
                        size_t why_size);

typedef struct sq_device_iface {
    /* Required: the device's op table, [SQ_OP_COUNT] (a NULL row: the op is
     * not implemented). The core refuses a model with any layer whose row is
     * NULL or whose `supports` says no, before session_create. */
    const sq_op_impl *const *ops;
    /* Bit p (1u << SQ_PREC_*): the device computes layers of precision p
     * (format 1.2). f32 is always computed; the core refuses a layer of any
     * other precision whose bit is clear (SEQRT_ERR_UNSUPPORTED naming the
     * layer and precision) before the rows' `supports`, unless the session
     * widens it (model.h, sq_model_widen): a layer whose bit is set has
     * its weights in that precision's form (sq_weight.form), never f32. */
    unsigned precisions;
    /* Prepares the model (every layer supported): converts or uploads
     * weights, builds plans, usually through sq_ops_prepare. The model
     * outlives the session. */
    seqrt_status (*session_create)(const seqrt_device *dev, const seqrt_model *model,
                                   void **out_impl);
    const sq_session_iface *session;
} sq_device_iface;

struct seqrt_device {
    const sq_backend *backend;
    size_t index;
    char name[128];
    char description[512];
    char vendor[64];
    char driver[128];
    int compute_units;
    uint64_t memory_bytes;
    bool is_gpu;             /* "auto" prefers a GPU device, then the backend's priority */
    const sq_device_iface *iface;
    void *ctx;               /* the backend's own */
};

struct sq_backend {
    char name[32];
    char module[512];        /* path of the module, or "built-in" */
    char reason[512];        /* why unavailable; "" when available */
    int priority;            /* "auto" among non-GPU devices: highest first
                                (reference 0; a backend says its own) */
    seqrt_device *devices;
    size_t ndevices;
    void *dl_handle;         /* dlopen handle of a module */
};

/* The two symbols every backend module exports (see the top of this file). */
typedef seqrt_status (*sq_backend_module_init_fn)(sq_backend *out);
#define SQ_BACKEND_MODULE_INIT "seqrt_backend_module_init"
#define SQ_BACKEND_MODULE_ABI_SYMBOL "seqrt_backend_module_abi"
#define SQ_BACKEND_MODULE_ABI \
    __attribute__((visibility("default"))) const int seqrt_backend_module_abi = SQ_BACKEND_ABI
#define SQ_BACKEND_MODULE_INIT_FN \
    __attribute__((visibility("default"))) seqrt_status seqrt_backend_module_init

/* The built-in reference backend. */
seqrt_status sq_reference_backend_init(sq_backend *out);

/* ------------------------------------------------------------ host values */

/* The values of a model in host memory, for backends whose ops read and
 * write host buffers (the host executor below, and the oneDNN backend's
 * own session): model inputs and outputs are used in place (no copies);
 * every other value lives in a buffer of the store (64-byte aligned, with
 * 64 bytes of slack past its end), grown only when a run needs more than
 * the last one. */
typedef struct sq_values {
    const seqrt_model *model;
    sq_view *views;      /* per value, bound for the current run */
    void **buf;          /* per value: the store's own storage */
    size_t *cap;         /* bytes */
    int *out_of;         /* per value: index in model outputs, or -1 */
    bool *unbound;       /* per value: bound with data NULL (sq_values_skip_unused) */
} sq_values;
seqrt_status sq_values_init(sq_values *v, const seqrt_model *model);
void sq_values_free(sq_values *v);
/* Whether value x is unused: not a model output and read by no layer. */
bool sq_value_unused(const seqrt_model *model, int x);
/* Marks the unused outputs of layer L in the slots of `mask` (an op row's
 * unbound_outs) to be bound with data NULL, their buffers freed. Sessions
 * apply their whole table at creation (sq_values_skip_table: the host
 * executor, the oneDNN session). Returns how many it marked. */
int sq_values_skip_unused(sq_values *v, const sq_layer *L, unsigned mask);
/* sq_values_skip_unused for every layer with its row of `ops` (a device's
 * op table): what a session applies once, at creation. */
void sq_values_skip_table(sq_values *v, const sq_op_impl *const *ops);
/* Binds every value for a run of `plan`'s shapes (an unbound value: the
 * view's shape, data NULL). */
seqrt_status sq_values_bind(sq_values *v, const sq_plan *plan, const sq_view *const *inputs,
                            sq_view *const *outputs);
/* After the run: copies the outputs that are model inputs themselves. */
void sq_values_copy_through(const sq_values *v, sq_view *const *outputs);

/* ------------------------------------------------------------ op walks */

/* Whether every layer of `model` has a row in `dev`'s table that supports
 * it; SEQRT_ERR_UNSUPPORTED naming the backend, layer, op and reason if not.
 * Called by seqrt_session_create. */
seqrt_status sq_ops_check(const seqrt_device *dev, const seqrt_model *model);
/* prepare of each layer's row in order into state[layer] (state: nlayers
 * entries, zeroed); on failure the error names the layer and op, and the
 * states made so far are left for sq_ops_release. */
seqrt_status sq_ops_prepare(const sq_op_impl *const *ops, void *session, const seqrt_model *model,
                            void **state);
/* release of every non-NULL state; sets them to NULL. */
void sq_ops_release(const sq_op_impl *const *ops, const seqrt_model *model, void **state);
/* Runs every layer in order over `views` (one per value, shapes bound; data
 * as the backend keeps it) through its row's run. */
seqrt_status sq_ops_run(const sq_op_impl *const *ops, void *session, const seqrt_model *model, sq_view *views,
                        void **state);

/* ------------------------------------------------------------ host executor */

/* A session over host memory for backends whose ops need no session state
 * of their own: values in an sq_values store, each layer's row prepared at
 * creation and run in order with `session` = NULL. The reference backend
 * is the one that uses it; oneDNN makes a session of its own (its rows get
 * that session) over sq_values and the op walks above. */
typedef struct sq_host_exec sq_host_exec;

seqrt_status sq_host_exec_create(sq_host_exec **out, const seqrt_model *model,
                                 const sq_op_impl *const *ops /* [SQ_OP_COUNT] */);
seqrt_status sq_host_exec_run(sq_host_exec *exec, const sq_plan *plan,
                              const sq_view *const *inputs, sq_view *const *outputs);
void sq_host_exec_free(sq_host_exec *exec);

#endif /* SEQRT_BACKEND_H */
