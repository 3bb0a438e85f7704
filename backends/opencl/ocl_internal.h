/*
 * seqrt OpenCL backend: declarations shared by the module's files.
 *
 *   ocl_backend.c        module entry point: platforms and devices
 *   ocl_device.c         per device: context, program, CLBlast overrides (lazy)
 *   ocl_vendor.c         vendor normalisation, architecture, oneDNN route choice
 *   ocl_profiles.c       the vendor -> architecture -> device table
 *   ocl_program_cache.c  compiled programs cached on disk
 *   ocl_onednn.c         the Intel-GPU route through oneDNN (dlopen'ed)
 *   ocl_util.c           error text, device description, program builds
 *   ocl_buffer.c         device buffers: creation, growth, upload, write, fill, copy
 *   ocl_session.c        sessions: queue, kernels, values, the op table, launches
 *   ocl_state.c          a streaming session's state kept on the device
 *   ocl_rows.c           a stream pool's states kept on the device
 *   ocl_gemm.c           GEMMs through CLBlast (or oneDNN on its route)
 *   ocl_misc.c ocl_softmax.c ocl_recurrent.c ocl_lstm.c ocl_gru_rnn.c
 *   ocl_persistent.c ocl_attention.c ocl_mha.c   the ops (each exports its
 *                        sq_op_impl rows, listed at the end of this file)
 */
#ifndef OCL_INTERNAL_H
#define OCL_INTERNAL_H

#include <CL/cl.h>
#include <pthread.h>
#include <stdbool.h>

#include "backend.h"

/* ------------------------------------------------------------ vendors */

typedef enum ocl_vendor {
    OCL_GENERIC = 0, /* anything else, PoCL and other CPU runtimes included */
    OCL_AMD,
    OCL_INTEL,
    OCL_NVIDIA,
    OCL_VENDOR_COUNT
} ocl_vendor;

/* What vendor dispatch knows of a device: read from the runtime
 * (ocl_describe) or written by hand in a test. */
typedef struct ocl_desc {
    char platform_name[128];
    char platform_vendor[128];
    char platform_version[128];
    char vendor[128];         /* CL_DEVICE_VENDOR */
    cl_uint vendor_id;        /* CL_DEVICE_VENDOR_ID (PCI id on GPUs) */
    char name[128];           /* CL_DEVICE_NAME */
    char version[128];        /* CL_DEVICE_VERSION */
    char driver[128];         /* CL_DRIVER_VERSION */
    bool is_gpu, is_cpu;
    int nv_cc_major, nv_cc_minor; /* cl_nv_device_attribute_query, else 0 */
    bool has_fp64, has_subgroups;
    cl_uint compute_units;
    cl_ulong global_mem, local_mem, max_alloc;
    size_t max_wg;
} ocl_desc;

const char *ocl_vendor_name(ocl_vendor v);          /* "amd", "intel", ... */
/* false when `s` names no vendor. */
bool ocl_vendor_parse(const char *s, ocl_vendor *out);
/* The vendor a device belongs to, and why (for SEQRT_LOG=info). */
ocl_vendor ocl_vendor_normalise(const ocl_desc *d, char *why, size_t why_size);
/* The architecture key of the table: "SM8.6", "gfx1030", "Xe", "cpu", ... */
void ocl_arch(const ocl_desc *d, ocl_vendor v, char *arch, size_t n);

/* ------------------------------------------------------------ profiles */

#define OCL_MAX_CLBLAST_PARAMS 16

/* One CLBlastOverrideParameters() call: every parameter of one kernel. */
typedef struct ocl_clblast_override {
    const char *kernel;       /* "GemmRoutine", "XgemmDirect", "Xgemm", ... */
    int n;
    const char *names[OCL_MAX_CLBLAST_PARAMS];
    size_t values[OCL_MAX_CLBLAST_PARAMS];
} ocl_clblast_override;

/* The kernel profile of a device. */
typedef struct ocl_profile {
    int wg;                   /* work-group size of the elementwise and cell kernels (0: the runtime picks) */
    int reduce_wg;            /* work-group size of row reductions (power of two) */
    int vec;                  /* elements per work-item of the vectorised elementwise kernels */
    int softmax_wg_min;       /* rows at least this long use the work-group softmax */
    bool subgroups;           /* reduce with subgroup built-ins where the device has them */
    int persistent_max_batch; /* persistent recurrent kernel when B <= this ... (0: never) */
    int persistent_max_hidden;/* ... and hidden_size <= this ... */
    int persistent_local_kib; /* ... and its local memory fits this (and the device) */
    int persistent_wg;        /* its work-group size */
    bool onednn;              /* Intel GPUs: recurrent layers and GEMMs through oneDNN */
    const ocl_clblast_override *clblast;
    int nclblast;
    /* the step path (ocl_step.c): auto runs it for B <= step_max_batch (0:
     * never; at most 8, the kernels' register block), in the form
     * step_form: OCL_STEP_UNITS (a work-item per `vec` units, a serial loop
     * over K: CPUs) or OCL_STEP_ROWS (a work-group per rows_units units with
     * all their gates, K split over rows_lanes work-items per row, work-groups
     * of rows_wg: GPUs; kernels/step_rows.cl) */
    int step_max_batch;
    int step_form;
    int rows_wg, rows_lanes, rows_units;
    /* the grid kernel (ocl_grid.c): auto runs it for B <= grid_max_batch
     * (0: never) on a grid of compute units x grid_per_cu work-groups, a
     * barrier polled at most grid_spin times before the step kernels take
     * over */
    int grid_max_batch, grid_per_cu, grid_spin;
} ocl_profile;

/* The forms of the step kernels (ocl_profile.step_form). */
enum { OCL_STEP_UNITS = 0, OCL_STEP_ROWS = 1 };

typedef struct ocl_profile_entry {
    const char *vendor;       /* "amd", "intel", "nvidia", "generic" */
    const char *arch;         /* "default" or an architecture key */
    const char *device;       /* "default" or a device-name prefix */
    ocl_profile p;
} ocl_profile_entry;

/* The table itself (ocl_profiles.c). */
extern const ocl_profile_entry ocl_profile_table[];
extern const int ocl_profile_table_size;

typedef struct ocl_choice {
    ocl_vendor vendor;     /* the profile's vendor */
    ocl_vendor actual;     /* the device's own vendor */
    bool forced;              /* by SEQRT_OPENCL_VENDOR */
    char arch[64];            /* the device's architecture key */
    ocl_profile profile;
    char name[160];           /* "nvidia/SM8.6/default" */
    char why[512];
} ocl_choice;

/* Chooses the profile of a device; `forced` is SEQRT_OPENCL_VENDOR (NULL or
 * "" when unset). An unknown forced name fails with SEQRT_ERR_UNAVAILABLE
 * naming the valid values. */
seqrt_status ocl_choose_profile(const ocl_desc *d, const char *forced, ocl_choice *out);

/* oneDNN route: selected when the profile asks for it, the device really is
 * an Intel GPU, and oneDNN reports a GPU engine. `gpu_engines` returns the
 * number of oneDNN GPU engines (-1: oneDNN is missing); it is called only
 * when every other condition holds. */
typedef int (*ocl_engine_probe)(void *ctx);
bool ocl_onednn_route_selected(const ocl_desc *d, const ocl_choice *c,
                               ocl_engine_probe gpu_engines, void *probe_ctx, char *why,
                               size_t why_size);

/* ------------------------------------------------------------ utilities */

/* Fault injection (api/fault.h, when the core has it): OCL_FAULT(site,
 * fail, call) makes the runtime call at "opencl:<site>" fail on purpose in a
 * fault-injection build; in any other build it is just `call`. */
#if defined(__has_include)
#if __has_include("fault.h")
#include "fault.h"
#define OCL_FAULT(site, fail, call) SQ_FAULT_OR("opencl:" site, fail, call)
#endif
#endif
#ifndef OCL_FAULT
#define OCL_FAULT(site, fail, call) (call)
#endif

const char *ocl_err_name(cl_int err);
/* Sets the last error "<what>: CL_xxx (code)" and returns the status for it. */
seqrt_status ocl_fail(cl_int err, const char *fmt, ...) SQ_PRINTF(2, 3);
#define OCL_CL(call, ...)                                                                          \
    do {                                                                                           \
        cl_int e_ = (call);                                                                        \
        if (e_ != CL_SUCCESS) return ocl_fail(e_, __VA_ARGS__);                                    \
    } while (0)
/* The same for a call that has a fault-injection site. */
#define OCL_CLF(site, call, ...) OCL_CL(OCL_FAULT(site, CL_OUT_OF_RESOURCES, call), __VA_ARGS__)

/* Reads the description of a device from the runtime. */
seqrt_status ocl_describe(cl_platform_id p, cl_device_id dev, ocl_desc *out);
/* Builds a program from source; a failure carries the build log. */
seqrt_status ocl_build_source(cl_context ctx, cl_device_id dev, const char *src, size_t len,
                              const char *options, cl_program *out);

/* ------------------------------------------------------------ program cache */

typedef struct ocl_cache_stats {
    bool hit;                 /* loaded from disk */
    bool stored;              /* written to disk */
    double seconds;           /* build time */
    char path[1024];          /* the cache file, "" when caching is off */
} ocl_cache_stats;

/* The cache folder: $SEQRT_OPENCL_CACHE_DIR, else $XDG_CACHE_HOME/seqrt/opencl,
 * else ~/.cache/seqrt/opencl; "" when SEQRT_OPENCL_CACHE=0 or no home. */
void ocl_cache_dir(char *buf, size_t n);
/* 128-bit key of a program for a device, as 32 hex digits. */
void ocl_cache_key(const ocl_desc *d, const char *src, size_t len, const char *options,
                   char out[33]);
/* A built program, from the cache when it holds one, else from source
 * (then stored, atomically). Cache trouble is logged, never an error. */
seqrt_status ocl_program_get(cl_context ctx, cl_device_id dev, const ocl_desc *d,
                             const char *src, size_t len, const char *options, cl_program *out,
                             ocl_cache_stats *stats);

/* ------------------------------------------------------------ oneDNN route */

typedef struct ocl_onednn ocl_onednn;
/* Number of oneDNN GPU engines (-1 when libdnnl cannot be opened). */
int ocl_onednn_gpu_engines(void *unused);
/* Engine on (context, device) and stream on `queue`; NULL + error if it fails. */
seqrt_status ocl_onednn_create(cl_context ctx, cl_device_id dev, cl_command_queue q,
                               ocl_onednn **out);
void ocl_onednn_free(ocl_onednn *r);
/* C = alpha * op(A) op(B) + beta * C, row-major, batched by strides. */
seqrt_status ocl_onednn_gemm(ocl_onednn *r, bool ta, bool tb, size_t m, size_t n, size_t k,
                             float alpha, cl_mem a, size_t oa, size_t lda, size_t sa, cl_mem b,
                             size_t ob, size_t ldb, size_t sb, float beta, cl_mem c, size_t oc,
                             size_t ldc, size_t sc, size_t batch);

/* ------------------------------------------------------------ devices */

typedef struct ocl_device {
    cl_platform_id platform;
    cl_device_id id;
    ocl_desc desc;
    ocl_choice choice;
    char options[256];        /* program build options from the profile */
    pthread_mutex_t lock;
    bool ready;
    cl_context ctx;           /* one per device, shared by its sessions */
    cl_program program;
    bool onednn_route;        /* chosen at first use */
    char onednn_why[256];
} ocl_device;

/* Creates the context and builds the program once (thread-safe). */
seqrt_status ocl_device_prepare(ocl_device *d);

/* ------------------------------------------------------------ sessions */

/* Every kernel of the program, by name. */
#define OCL_KERNELS(X)                                                                             \
    X(sq_activation) X(sq_binary) X(sq_add_bias) X(sq_embedding) X(sq_one_hot) X(sq_pool_steps)    \
    X(sq_softmax_rows) X(sq_softmax_wg) X(sq_lstm_cell) X(sq_gru_reset)            \
    X(sq_gru_cell) X(sq_rnn_cell) X(sq_rec_commit) X(sq_rec_persistent) X(sq_masked_softmax)       \
    X(sq_additive_score) X(sq_attn_context) X(sq_head_average) X(sq_pool_score)

typedef enum ocl_kid {
#define OCL_KID(name) K_##name,
    OCL_KERNELS(OCL_KID)
#undef OCL_KID
    OCL_KERNEL_COUNT
} ocl_kid;

/* A device buffer that only grows. */
typedef struct ocl_buf {
    cl_mem mem;
    size_t cap;               /* bytes */
} ocl_buf;

/* Host <-> device transfers of the run in progress (ocl_count_transfer). */
typedef struct ocl_moved {
    unsigned to_dev, to_host;
    size_t bytes_to_dev, bytes_to_host;
} ocl_moved;

typedef struct ocl_carried ocl_carried;
typedef struct ocl_rows ocl_rows;

/* The `session` of every OpenCL op row (sq_op_impl). */
typedef struct ocl_session {
    const seqrt_model *model;
    ocl_device *dev;
    cl_context ctx;
    cl_command_queue q;
    cl_kernel k[OCL_KERNEL_COUNT];
    size_t kmax[OCL_KERNEL_COUNT]; /* CL_KERNEL_WORK_GROUP_SIZE of each */
    ocl_buf *vals;            /* per value: its device buffer */
    sq_view *views;           /* per value: shape of the run, data = vals[v].mem */
    void **state;             /* per layer: what its row's prepare made */
    cl_mem dummy;             /* bound to absent optional kernel arguments */
    ocl_onednn *dnnl;         /* the oneDNN route, or NULL */
    bool *unread;             /* per model input: read by no layer nor output, never uploaded */
    ocl_carried *carry;       /* streaming: the states kept on the device (ocl_state.c) */
    int ncarry;
    ocl_rows *rows;           /* a stream pool's: per carried state, its rows (ocl_rows.c) */
    int nrowstates;
    size_t nrows;
    int64_t *route;           /* the next run's rows: gather [nrows], then scatter [nrows] */
    int route_kb, route_k;    /* its batch and streams; 0: no route */
    /* the run in progress */
    const sq_view *const *host_in; /* model inputs on the host */
    ocl_moved moved;
} ocl_session;

/* ------------------------------------------------------------ streaming state (ocl_state.c) */

/* The carry slots of the session interface (api/backend.h). */
seqrt_status ocl_carry_init(void *impl, int n, const sq_carry_slot *slots);
seqrt_status ocl_state_write(void *impl, int i, const sq_shape *sh, const float *data);
seqrt_status ocl_state_read(void *impl, int i, float *dst, size_t count);
void ocl_state_free(ocl_session *s);
/* The buffer holding the carried state that value v (a state input of
 * `count` floats) reads in a run, or NULL when v is not one; *st an error
 * when the held state has another size. */
cl_mem ocl_state_mem(const ocl_session *s, int v, size_t count, seqrt_status *st);
/* After a run's layers: enqueues the copy of every final state into the
 * buffer that holds the next state. */
seqrt_status ocl_state_commit(ocl_session *s);
/* Once the run has succeeded, queue drained: the next states become the
 * states (the buffers bound to the state inputs alternate from run to run). */
void ocl_state_advance(ocl_session *s);
/* ------------------------------------------------------------ a stream pool's states (ocl_rows.c) */

/* The row slots of the session interface (api/backend.h). */
seqrt_status ocl_rows_init(void *impl, int n, const sq_carry_slot *slots, size_t rows);
seqrt_status ocl_row_write(void *impl, int i, size_t row, const float *data);
seqrt_status ocl_row_read(void *impl, int i, size_t row, float *dst);
seqrt_status ocl_rows_route(void *impl, int kb, const int64_t *gather, int k, const int64_t *scatter);
void ocl_rows_free(ocl_session *s);
/* Before a routed run's layers: the rows into the state inputs; after
 * them: the final states into the rows (nothing without a route). */
seqrt_status ocl_rows_gather(ocl_session *s);
seqrt_status ocl_rows_scatter(ocl_session *s);

/* Counts one transfer between host and device of the run in progress
 * (ocl_buffer.c). */
void ocl_count_transfer(ocl_session *s, bool to_device, size_t bytes);

/* Grows `b` to at least `bytes` (contents lost when it grows). */
seqrt_status ocl_buf_reserve(ocl_session *s, ocl_buf *b, size_t bytes, const char *what);
void ocl_buf_release(ocl_buf *b);
/* A new read-only device buffer holding `count` floats (NULL data: zeros). */
seqrt_status ocl_upload(ocl_session *s, const float *data, size_t count, cl_mem *out,
                        const char *what);
/* Writes `count` floats at element offset `off` of `m` (blocking). */
seqrt_status ocl_write(ocl_session *s, cl_mem m, size_t off, const float *data, size_t count,
                       const char *what);
seqrt_status ocl_zero(ocl_session *s, cl_mem m, size_t off, size_t count);
seqrt_status ocl_copy(ocl_session *s, cl_mem src, size_t soff, cl_mem dst, size_t doff,
                      size_t count);
void ocl_release_mem(cl_mem *m);

/* The device buffer of a view an op row gets in its sq_op_args (NULL when
 * the slot is absent): the session binds each value's cl_mem as `data`. */
static inline cl_mem ocl_mem(const sq_view *v) { return v ? (cl_mem)v->data : NULL; }
/* Host copy of L's lengths (a model input), or NULL. */
const int32_t *ocl_host_lengths(ocl_session *s, const sq_layer *L);
/* The weight L->w[i], or NULL when absent. */
const sq_weight *ocl_weight(const sq_layer *L, int i);

/* Kernel arguments: pointer and size of each. A buffer argument (KA_MEM)
 * that is NULL — an absent bias, peephole or lengths, which the kernel is
 * told about by a flag and never reads — is bound to the session's small
 * placeholder buffer by ocl_launch. */
typedef struct ocl_karg {
    size_t size;
    const void *ptr;
    bool mem;
} ocl_karg;
#define KA_MEM(m) ((ocl_karg){sizeof(cl_mem), &(m), true})
#define KA_INT(v) ((ocl_karg){sizeof(cl_int), &(cl_int){(cl_int)(v)}, false})
#define KA_FLOAT(v) ((ocl_karg){sizeof(cl_float), &(cl_float){(cl_float)(v)}, false})
#define KA_LOCAL(bytes) ((ocl_karg){(size_t)(bytes), NULL, false})

/* Launches kernel `kid` over `n` work-items in 1-D (rounded up to the
 * work-group size `wg`, itself lowered to a power of two the kernel allows;
 * 0 lets the runtime choose). n == 0 does nothing. Kernels with a required
 * work-group size (the callers check ocl_wg_fits first) get it as is. */
seqrt_status ocl_launch(ocl_session *s, ocl_kid kid, size_t n, size_t wg, int nargs,
                        const ocl_karg *args);
#define OCL_LAUNCH(s, kid, n, wg, ...)                                                              \
    ocl_launch((s), (kid), (n), (wg), (int)(sizeof((ocl_karg[]){__VA_ARGS__}) / sizeof(ocl_karg)),  \
               (ocl_karg[]){__VA_ARGS__})

/* Whether kernel `kid` runs with work-groups of `wg` items. */
bool ocl_wg_fits(const ocl_session *s, ocl_kid kid, size_t wg);
/* Values are indexed with 32-bit ints on the device. */
seqrt_status ocl_check_int(const sq_layer *L, int64_t v, const char *what);

/* ------------------------------------------------------------ GEMM (ocl_gemm.c) */

/* Row-major C[m, n] = alpha * op(A) op(B) + beta * C, offsets and leading
 * dimensions in elements; batch > 1 strides each matrix by its stride. */
typedef struct ocl_gemm {
    bool ta, tb;
    size_t m, n, k;
    float alpha, beta;
    cl_mem a, b, c;
    size_t oa, ob, oc;
    size_t lda, ldb, ldc;
    size_t sa, sb, sc;        /* batch strides */
    size_t batch;             /* 0 or 1: one GEMM */
} ocl_gemm;
seqrt_status ocl_gemm_run(ocl_session *s, const ocl_gemm *g);
/* Applies the profile's CLBlast overrides to a device (once per process). */
seqrt_status ocl_clblast_overrides(cl_device_id dev, const ocl_profile *p);

/* ------------------------------------------------------------ ops */

/* The op rows, one per op kind: `session` is the ocl_session, every view of
 * the args a device buffer (ocl_mem). Every row computes every form of its
 * op that the model format allows, so each `supports` is
 * sq_op_supports_all: nothing known when a session is created is refused
 * later (sizes beyond 32-bit indexing depend on a run's shapes and are
 * SEQRT_ERR_LIMIT then). */
/* ocl_misc.c */
extern const sq_op_impl ocl_embedding_impl, ocl_one_hot_impl, ocl_linear_impl, ocl_activation_impl,
    ocl_dropout_impl, ocl_add_impl, ocl_mul_impl, ocl_concat_impl, ocl_select_impl, ocl_last_step_impl,
    ocl_mean_pool_impl;
extern const sq_op_impl ocl_softmax_impl, ocl_log_softmax_impl;      /* ocl_softmax.c */
extern const sq_op_impl ocl_lstm_impl;                               /* ocl_lstm.c */
extern const sq_op_impl ocl_gru_impl, ocl_rnn_impl;                  /* ocl_gru_rnn.c */
extern const sq_op_impl ocl_attention_impl, ocl_attention_pool_impl; /* ocl_attention.c */
extern const sq_op_impl ocl_multihead_attention_impl;                /* ocl_mha.c */

/* Masked softmax over rows of [rows, Tk] scores: row r is query i = r % Tq
 * of batch entry r / (heads * Tq); keys t >= len[b] (and t > i when causal)
 * get weight 0. */
seqrt_status ocl_masked_softmax(ocl_session *s, cl_mem scores, size_t rows, int Tk, int Tq,
                                int heads, cl_mem lens, bool causal);

#endif /* OCL_INTERNAL_H */
