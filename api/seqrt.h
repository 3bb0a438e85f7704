/*
 * seqrt — run one LSTM/attention model description on any hardware.
 *
 * Public C API (C11). Conventions, as in oneDNN's C API:
 *   - every object is an opaque handle;
 *   - every call that can fail returns a seqrt_status and hands its result
 *     back through an out-pointer given first;
 *   - on failure, seqrt_last_error() holds a one-line message for the calling
 *     thread naming what is wrong (layer, field, tensor, dimensions).
 *
 * Thread safety (tests/test_concurrency.c, also under ThreadSanitizer):
 *   - seqrt_model: immutable after seqrt_model_load(); any number of threads
 *     may create sessions from one model and run them concurrently. Free it
 *     only after every session made from it is freed.
 *   - seqrt_model_load(), seqrt_tensor_load_npy(), seqrt_tensor_save_npy()
 *     (to different paths): may run in several threads at once.
 *   - registry and seqrt_device: initialised once at first use (from any
 *     thread), read-only after; thread-safe.
 *   - seqrt_session: used by one thread at a time (no internal locking); it
 *     may move from one thread to another between calls. Sessions, also of
 *     one model, run in parallel.
 *   - seqrt_tensor: plain data; not synchronised. Runs only read their
 *     inputs, so concurrent runs may share input tensors; a tensor must not
 *     be written while a run reads it, nor a bound output read during a run.
 *   - seqrt_last_error(): per thread.
 */
#ifndef SEQRT_H
#define SEQRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEQRT_VERSION_MAJOR 0
#define SEQRT_VERSION_MINOR 3
#define SEQRT_VERSION_PATCH 0

/* Largest tensor rank handled anywhere in seqrt. */
#define SEQRT_MAX_RANK 6

typedef enum seqrt_status {
    SEQRT_OK = 0,
    SEQRT_ERR_INVALID_ARGUMENT, /* API misuse: NULL pointer, index out of range */
    SEQRT_ERR_IO,               /* a file cannot be opened, read or written */
    SEQRT_ERR_PARSE,            /* malformed JSON, safetensors or .npy */
    SEQRT_ERR_MODEL,            /* invalid description: op, attribute, type, value, weight */
    SEQRT_ERR_SHAPE,            /* run inputs: wrong shape or dtype, symbols disagree */
    SEQRT_ERR_RANGE,            /* data out of range: id outside vocabulary, length > T */
    SEQRT_ERR_UNSUPPORTED,      /* the device does not support an op or attribute */
    SEQRT_ERR_UNAVAILABLE,      /* unknown or unavailable backend or device */
    SEQRT_ERR_OUT_OF_MEMORY,    /* an allocation failed */
    SEQRT_ERR_LIMIT,            /* a size beyond seqrt's documented limits */
    SEQRT_ERR_DEVICE,           /* the backend's runtime failed */
    SEQRT_ERR_INTERNAL          /* a bug in seqrt: please report it */
} seqrt_status;

/* Static, never NULL: "success", "invalid model", ... */
const char *seqrt_status_str(seqrt_status status);
/* Detail of the last failure on this thread ("" if none). Valid until the
 * next seqrt call on this thread. */
const char *seqrt_last_error(void);
/* "MAJOR.MINOR.PATCH" */
const char *seqrt_version(void);

/* ------------------------------------------------------------------ tensors */

typedef enum seqrt_dtype {
    SEQRT_F32 = 0,
    SEQRT_I32 = 1,
    SEQRT_I64 = 2
} seqrt_dtype;

typedef struct seqrt_tensor seqrt_tensor;

/* Bytes of one element of `dtype`: 4 for SEQRT_F32 and SEQRT_I32, 8 for
 * SEQRT_I64; 0 for a value that is no seqrt_dtype. */
size_t seqrt_dtype_size(seqrt_dtype dtype);

/* A new tensor owning zero-filled host memory. */
seqrt_status seqrt_tensor_create(seqrt_tensor **out, seqrt_dtype dtype, int rank,
                                 const int64_t *dims);
/* A tensor over caller-owned memory (no copy). `data` must hold the whole
 * tensor in C order and outlive the tensor. */
seqrt_status seqrt_tensor_wrap(seqrt_tensor **out, seqrt_dtype dtype, int rank,
                               const int64_t *dims, void *data);
void seqrt_tensor_free(seqrt_tensor *tensor);

seqrt_dtype seqrt_tensor_dtype(const seqrt_tensor *tensor);
int seqrt_tensor_rank(const seqrt_tensor *tensor);
int64_t seqrt_tensor_dim(const seqrt_tensor *tensor, int axis); /* -1 if out of range */
size_t seqrt_tensor_count(const seqrt_tensor *tensor);          /* elements */
void *seqrt_tensor_data(const seqrt_tensor *tensor);

/* Copies `count` time steps of a sequence: steps [src_step, src_step +
 * count) of `src` along `axis` become steps [dst_step, dst_step + count) of
 * `dst`; everything else in `dst` is left as it was. Both tensors must have
 * the same dtype and rank and the same dims on every axis but `axis` (they
 * may differ in length along it: a chunk and the whole sequence). count 0
 * copies nothing; src and dst may be the same tensor (overlapping steps are
 * copied as if through a temporary). Fails with SEQRT_ERR_INVALID_ARGUMENT,
 * changing nothing, when a tensor is NULL, the dtypes, ranks or other dims
 * differ, `axis` is not in [0, rank), `count` is negative, or a range of
 * steps does not lie inside its tensor. Used to cut a sequence into the
 * chunks of a streaming session and to join the chunks' outputs. */
seqrt_status seqrt_tensor_copy_steps(seqrt_tensor *dst, int64_t dst_step, const seqrt_tensor *src,
                                     int64_t src_step, int64_t count, int axis);

/* .npy I/O (versions 1.0-3.0, C order, <f4, <i4, <i8). Saving writes a
 * temporary file beside `path` and renames it: no partial file on failure. */
seqrt_status seqrt_tensor_load_npy(seqrt_tensor **out, const char *path);
seqrt_status seqrt_tensor_save_npy(const seqrt_tensor *tensor, const char *path);

/* ------------------------------------------------------------------ models */

typedef struct seqrt_model seqrt_model;

typedef struct seqrt_load_options {
    int strict;               /* unused weight tensors are errors, not warnings */
    const char *weights_path; /* overrides the description's "weights" (NULL: use it) */
} seqrt_load_options;

/* Loads and validates a description and its weights: every layer, attribute,
 * slot and weight is checked before this returns. `options` may be NULL. */
seqrt_status seqrt_model_load(seqrt_model **out, const char *json_path,
                              const seqrt_load_options *options);
void seqrt_model_free(seqrt_model *model);

const char *seqrt_model_name(const seqrt_model *model);
/* The description's "metadata" object as compact JSON, or NULL. */
const char *seqrt_model_metadata(const seqrt_model *model);
/* 1 if sequences are [B, T, F] (the description's batch_first), else 0. */
int seqrt_model_batch_first(const seqrt_model *model);
size_t seqrt_model_input_count(const seqrt_model *model);
const char *seqrt_model_input_name(const seqrt_model *model, size_t index);
seqrt_dtype seqrt_model_input_dtype(const seqrt_model *model, size_t index);
/* Declared shape of input `index`: its rank, its dims (-1 for a symbolic
 * dim; `dims` holds SEQRT_MAX_RANK entries, may be NULL) and, when `text`
 * is given, a printable form such as "[T, B, 32]". */
seqrt_status seqrt_model_input_shape(const seqrt_model *model, size_t index, int *rank,
                                     int64_t *dims, char *text, size_t text_size);
/* The time axis of input `index` in a streamable model (0, or 1 when
 * batch_first), or -1 for a state input (h0/c0) that has no time axis. */
int seqrt_model_input_time_axis(const seqrt_model *model, size_t index);
seqrt_status seqrt_model_find_input(const seqrt_model *model, const char *name,
                                    size_t *out_index);
size_t seqrt_model_output_count(const seqrt_model *model);
const char *seqrt_model_output_name(const seqrt_model *model, size_t index);
/* The time axis of output `index` when it is a sequence, else -1. */
int seqrt_model_output_time_axis(const seqrt_model *model, size_t index);
/* Shape of output `index` (always float32) as inferred at load time, in the
 * form of seqrt_model_input_shape: -1 for a dim known only at run time
 * (its text names the input symbol, e.g. "[T, B, 96]"). Lets a caller
 * allocate buffers for seqrt_session_bind_output before the first run. */
seqrt_status seqrt_model_output_shape(const seqrt_model *model, size_t index, int *rank,
                                      int64_t *dims, char *text, size_t text_size);
/* Warnings found while loading (e.g. a weight tensor no layer uses). */
size_t seqrt_model_warning_count(const seqrt_model *model);
const char *seqrt_model_warning(const seqrt_model *model, size_t index);

typedef struct seqrt_layer_info {
    const char *name;
    const char *op;
    char shape[128];         /* main output, symbolic: "[T, B, 256]" */
    uint64_t params;         /* weight elements the layer uses */
    uint64_t flops_per_step; /* per time step and batch entry (2 per MAC) */
} seqrt_layer_info;

size_t seqrt_model_layer_count(const seqrt_model *model);
seqrt_status seqrt_model_layer_info(const seqrt_model *model, size_t index,
                                    seqrt_layer_info *out);

/* One attribute of a layer: every attribute of the layer's op (the op
 * tables of docs/model-format/), given in the description or not. */
typedef struct seqrt_layer_attr {
    const char *name;        /* as in the description: "hidden_size" */
    char value[256];         /* the value in force, as JSON text: 32, true, 0.5,
                                "reverse", ["tanh", "relu"] ([] for an empty list) */
    int is_default;          /* 1 when the value equals the attribute's default
                                (0 for a required attribute) */
    int since_minor;         /* the format version 1.N that introduced it: N */
} seqrt_layer_attr;

/* Number of attributes of layer `index`'s op (0 when out of range). */
size_t seqrt_model_layer_attr_count(const seqrt_model *model, size_t index);
/* Attribute `attr` (0 ... count-1, in the op's table order) of layer
 * `index`. Values are those after loading: `bidirectional` and `direction`
 * agree, whichever the description gave. SEQRT_ERR_INVALID_ARGUMENT when
 * an index is out of range. */
seqrt_status seqrt_model_layer_attr(const seqrt_model *model, size_t index, size_t attr,
                                    seqrt_layer_attr *out);
/* The gate functions a recurrent layer (lstm, gru, rnn) computes with, as
 * resolved from `activations`, `activation_alpha` and `activation_beta`
 * (or the op's own: lstm "sigmoid, tanh, tanh", gru "sigmoid, tanh", rnn
 * "tanh" or "relu" by `nonlinearity`), in the order of `activations`; a
 * function that takes parameters shows them, "leakyrelu(alpha=0.1)",
 * "hardsigmoid(alpha=0.2, beta=0.5)". A bidirectional layer gives both
 * directions: "forward: ...; reverse: ...". Other ops write "". 512 bytes
 * always suffice; SEQRT_ERR_LIMIT (and "") when `size` is too small,
 * SEQRT_ERR_INVALID_ARGUMENT for an index out of range or no buffer. */
seqrt_status seqrt_model_layer_gate_functions(const seqrt_model *model, size_t index,
                                              char *text, size_t size);
/* 1 if the model can run in a streaming session, else 0 with the reason
 * (naming the layer) in `why` when given. */
int seqrt_model_streamable(const seqrt_model *model, char *why, size_t why_size);

/* ------------------------------------------------------------------ registry */

typedef struct seqrt_device seqrt_device; /* owned by the registry */

typedef struct seqrt_backend_info {
    const char *name;        /* "reference", "onednn", "opencl" */
    int available;           /* 1 if it has at least one usable device */
    const char *reason;      /* why not available ("" when available) */
    const char *module;      /* shared module path, "built-in", or "" */
    size_t device_count;
} seqrt_backend_info;

typedef struct seqrt_device_info {
    const char *backend;
    size_t index;
    const char *name;
    const char *description;
    const char *vendor;
    const char *driver;
    int compute_units;       /* 0 if unknown */
    uint64_t memory_bytes;   /* 0 if unknown */
} seqrt_device_info;

size_t seqrt_backend_count(void);
seqrt_status seqrt_backend_get_info(size_t backend, seqrt_backend_info *out);
seqrt_status seqrt_backend_get_device(const seqrt_device **out, size_t backend,
                                      size_t device);
/* "reference", "onednn:1", "auto", ... NULL means $SEQRT_BACKEND (default
 * "auto": an OpenCL GPU, else oneDNN, else reference). An unknown or
 * unavailable name fails with SEQRT_ERR_UNAVAILABLE, listing what exists. */
seqrt_status seqrt_device_find(const seqrt_device **out, const char *spec);
seqrt_status seqrt_device_get_info(const seqrt_device *device, seqrt_device_info *out);

/* ------------------------------------------------------------------ sessions */

typedef struct seqrt_session seqrt_session;

typedef struct seqrt_session_options {
    /* Carry every recurrent layer's state from one run to the next, so a
     * sequence run in chunks gives the outputs of the whole sequence. Needs a
     * streamable model (see seqrt_model_streamable). */
    int streaming;
    /* NULL (or ""): every layer computes at its own precision (format 1.2),
     * and a device that cannot refuses the layer (SEQRT_ERR_UNSUPPORTED).
     * "f32": layers of another precision compute in f32 from their weights
     * widened (f16/bf16 exactly, int8 dequantized), as the environment's
     * SEQRT_PRECISION=f32 asks too. Any other value is an error. */
    const char *precision;
} seqrt_session_options;

/* Prepares `model` for `device` (NULL: seqrt_device_find(NULL)); weights are
 * converted or uploaded here, once. `options` may be NULL. */
seqrt_status seqrt_session_create(seqrt_session **out, const seqrt_model *model,
                                  const seqrt_device *device,
                                  const seqrt_session_options *options);
void seqrt_session_free(seqrt_session *session);
const seqrt_device *seqrt_session_device(const seqrt_session *session);

/* Runs the model. `inputs[i]` is the model's input i (model order). Every
 * shape, dtype, id and length is checked before any compute. */
seqrt_status seqrt_session_run(seqrt_session *session, const seqrt_tensor *const *inputs,
                               size_t input_count);
/* Output i of the last run; owned by the session, valid until the next run
 * or seqrt_session_free(). */
seqrt_status seqrt_session_output(seqrt_session *session, size_t index,
                                  const seqrt_tensor **out);
/* Makes later runs write output `index` straight into caller-owned `dst`
 * (dtype f32; its shape must match the output's, else the run fails with
 * SEQRT_ERR_SHAPE before computing). NULL unbinds. */
seqrt_status seqrt_session_bind_output(seqrt_session *session, size_t index,
                                       seqrt_tensor *dst);
/* Streaming: forget carried state; the next run starts from the model's
 * initial states (inputs h0/c0 if wired, else zeros). */
seqrt_status seqrt_session_reset(seqrt_session *session);

/* ------------------------------------------------------------------ stream pool
 * Many independent streams of one model on one device (docs/streams.md).
 * Each stream has an id (any uint64 the caller chooses), a start (the
 * model's initial states, zeros, or states the caller gives), chunks of any
 * length and an end. One seqrt_stream_pool_step call runs a chunk of each
 * of any subset of the open streams together: their states are gathered
 * into one batch, the streaming view of the model runs once per group of
 * streams whose chunks have the same shape (the same length: a streamable
 * model takes no lengths, so chunks of different lengths run as separate
 * groups), and the final states are scattered back. Each stream's outputs
 * and states equal those of a streaming session of batch one fed the same
 * chunks from the same start (bitwise on the reference backend, within the
 * conformance tolerance on the others).
 *
 * Every failing call names the stream it is about and changes no stream:
 * a step that fails (an unknown, ended or evicted id, a chunk whose shape
 * disagrees with the model or with the stream's earlier chunks, the same
 * id twice, a backend error) leaves the state and outputs of every stream
 * in it as they were.
 *
 * Thread safety: a pool is internally locked; any number of threads may
 * call it at once (each call runs whole under the pool's lock, so steps
 * of one pool do not overlap: for parallel compute use one pool per
 * thread). The pool's session is created, run and freed on a thread of
 * the pool's own, so callers may come from any thread whatever the backend.
 * An output tensor returned by seqrt_stream_pool_output stays valid until
 * the next step that includes its stream, its end or eviction.
 */

typedef struct seqrt_stream_pool seqrt_stream_pool;

typedef struct seqrt_stream_pool_options {
    size_t capacity;          /* most streams open at once; 0: 64 */
    double idle_timeout_s;    /* a stream not started or stepped for longer is
                                 evicted (at the next start or step); 0: never */
    int evict_oldest;         /* when the pool is full, a start evicts the stream
                                 idle longest instead of failing */
    double (*clock)(void *ctx); /* seconds, monotonic; NULL: CLOCK_MONOTONIC */
    void *clock_ctx;
    int exact_batch;          /* 0 (default): a group of k streams runs as a batch
                                 padded up to a power of two (at most the
                                 capacity; padding rows are zeros, their results
                                 dropped), so a backend sees few batch sizes;
                                 1: each group at its own size k */
} seqrt_stream_pool_options;

/* A pool for `model` (which must be streamable, and outlive the pool) on
 * `device` (NULL: seqrt_device_find(NULL)); `options` may be NULL.
 * SEQRT_ERR_UNSUPPORTED, with the reason, when the model cannot stream or
 * has no batch axis to gather streams along. */
seqrt_status seqrt_stream_pool_create(seqrt_stream_pool **out, const seqrt_model *model,
                                      const seqrt_device *device,
                                      const seqrt_stream_pool_options *options);
void seqrt_stream_pool_free(seqrt_stream_pool *pool);
size_t seqrt_stream_pool_capacity(const seqrt_stream_pool *pool);
/* Streams open now (started, not ended or evicted). */
size_t seqrt_stream_pool_open_count(seqrt_stream_pool *pool);
/* 1 if stream `id` is open, else 0. */
int seqrt_stream_pool_is_open(seqrt_stream_pool *pool, uint64_t id);

/* The carried states of each stream, one per state slot (h0, c0) of each
 * recurrent layer: their number, and for state `index` its name
 * ("<layer>:state_h", "<layer>:state_c"), its shape [L*D, 1, H] and the
 * model input wired to its slot (-1 if none: the model starts it from
 * zeros). */
size_t seqrt_stream_pool_state_count(const seqrt_stream_pool *pool);
seqrt_status seqrt_stream_pool_state_info(const seqrt_stream_pool *pool, size_t index, const char **name,
                                          int64_t dims[3], int *model_input);

/* Opens stream `id`. `states` NULL (count 0): every state starts from
 * zeros, the model's initial states. Else `count` is the state count and
 * states[i] is state i (float32 [L*D, 1, H]; a NULL entry: zeros) — the
 * h0/c0 a streaming session would take from the model's inputs. Fails with
 * SEQRT_ERR_INVALID_ARGUMENT when `id` is already open, SEQRT_ERR_SHAPE for
 * a state of the wrong dtype or shape, SEQRT_ERR_LIMIT when the pool is at
 * capacity (unless evict_oldest). */
seqrt_status seqrt_stream_pool_start(seqrt_stream_pool *pool, uint64_t id, const seqrt_tensor *const *states,
                                     size_t count);
/* Closes stream `id` (its outputs are freed); the id may start again. */
seqrt_status seqrt_stream_pool_end(seqrt_stream_pool *pool, uint64_t id);
/* Evicts the streams idle longer than the idle timeout now; *evicted (may
 * be NULL) gets their number. Start and step do this first. */
seqrt_status seqrt_stream_pool_evict_idle(seqrt_stream_pool *pool, size_t *evicted);

/* Runs one chunk of each of the `n` streams ids[0..n): inputs[j * I + i]
 * is model input i (I = seqrt_model_input_count) of stream ids[j], with a
 * batch of one and any length on its time axis. Model inputs wired to
 * h0/c0 are not read (the stream carries its own state): pass NULL. */
seqrt_status seqrt_stream_pool_step(seqrt_stream_pool *pool, size_t n, const uint64_t *ids,
                                    const seqrt_tensor *const *inputs);
/* Output `index` (model order) of the last step of stream `id`, batch one;
 * owned by the pool (see the thread-safety note above). */
seqrt_status seqrt_stream_pool_output(seqrt_stream_pool *pool, uint64_t id, size_t index,
                                      const seqrt_tensor **out);
/* Copies state `index` of stream `id` into `dst` (float32 [L*D, 1, H]),
 * or replaces it from `src`: save and restore a conversation. */
seqrt_status seqrt_stream_pool_get_state(seqrt_stream_pool *pool, uint64_t id, size_t index, seqrt_tensor *dst);
seqrt_status seqrt_stream_pool_set_state(seqrt_stream_pool *pool, uint64_t id, size_t index,
                                         const seqrt_tensor *src);

#ifdef __cplusplus
}
#endif

#endif /* SEQRT_H */
