/*
 * The recurrent driver shared by lstm, gru and rnn (ocl_recurrent.c): weights
 * on the device, per layer one CLBlast GEMM for the input projection of all
 * steps and both directions, then either the per-step path (per step: a
 * GEMM batched over directions + the op's cell kernel, ocl_lstm.c and
 * ocl_gru_rnn.c: the "gemm" path), the fused step kernels (per step one
 * launch of seqrt's own kernel doing h W_hh^T and the cell, ocl_step.c: the
 * "step" path) or the persistent kernel (ocl_persistent.c); ocl_rec_path.c
 * chooses. Every path
 * compute every form of the format: the layer's gate functions and clip
 * reach the kernels as a small gate table per direction (gates.cl),
 * direction "reverse" and input_forget as flags; the op's own functions
 * without clip take the kernels' fixed sigmoid/tanh code (no table).
 */
#ifndef OCL_RECURRENT_H
#define OCL_RECURRENT_H

#include "ocl_internal.h"

/* Kernel flags (recurrent.cl): GATES, the layer has a gate table (gates.cl:
 * functions other than the op's own, or clip); REV0, direction 0 runs from
 * the last step (`direction: "reverse"`); IFORGET, lstm's input_forget;
 * PACKED, the step kernels' transposed weights are packed per work-item. */
enum {
    OCL_RF_COUPLED = 1, OCL_RF_PROJ = 2, OCL_RF_BIAS = 4, OCL_RF_PEEP = 8, OCL_RF_LBR = 16,
    OCL_RF_GATES = 32, OCL_RF_REV0 = 64, OCL_RF_IFORGET = 128,
    OCL_RF_PACKED = 256 /* the step kernels' weights per work-item (CPUs), ocl_step.c */
};
/* Floats per direction in the gate table (SQ_GT_STRIDE of gates.cl). */
enum { OCL_GT_STRIDE = 10 };

/* Weights of layer k, both directions stacked. */
typedef struct ocl_rec_layer {
    int64_t in;        /* input width: input_size, or D * H_out */
    cl_mem w_ih;       /* [D * G*H, in] */
    cl_mem w_hh;       /* [D, G*H, H_out] */
    cl_mem b_ih, b_hh; /* [D * G*H], NULL without bias */
    cl_mem w_hr;       /* [D, H_out, H] when projected */
    cl_mem peep;       /* [D, 3, H]: p_i, p_f, p_o when peephole */
    /* the step path (ocl_step.c): transposed weights, made at session
     * creation unless SEQRT_OPENCL_RECURRENT rules the path out */
    cl_mem wt;         /* W_hh^T [D, H_out, G*H] */
    cl_mem wrt;        /* W_hr^T [D, H, H_out] when projected */
    cl_kernel ks[2];   /* its kernels (one object per layer: arguments set once) */
    cl_kernel kg;      /* the grid kernel (ocl_grid.c), unless ruled out */
    size_t kg_wg;      /* its CL_KERNEL_WORK_GROUP_SIZE */
    size_t ks_wg[2];   /* CL_KERNEL_WORK_GROUP_SIZE of each */
    struct ocl_step_bound {
        cl_mem m[13];
        cl_int v[9];
        bool set;
    } bound[2];        /* the arguments last set on each */
} ocl_rec_layer;

/* The step kernels' form and the rows form's parameters (ocl_step_form.c),
 * fixed at session creation. */
typedef struct ocl_step_cfg {
    int form;               /* OCL_STEP_UNITS or OCL_STEP_ROWS */
    int wg, lanes, units;   /* rows form: work-group, work-items per row, units per group */
    bool forced;            /* by SEQRT_OPENCL_STEP_FORM */
} ocl_step_cfg;

/* The grid kernel's bounds (ocl_grid.c), fixed at session creation. */
typedef struct ocl_grid_cfg {
    int groups;         /* at most this many work-groups */
    int spin;           /* polls of a barrier before giving up */
    long cache_bytes;   /* local memory for cached weights per group (-1: what fits) */
    int stop;           /* tests: group 0 gives up at this barrier (0: never) */
} ocl_grid_cfg;

typedef struct ocl_rec {
    int nl, D, G, op; /* op: 0 lstm, 1 gru, 2 rnn (persistent.cl) */
    ocl_step_cfg step;
    ocl_grid_cfg grid;
    int64_t H, Ho;
    int flags; /* OCL_RF_* shared by every layer */
    cl_mem gates; /* [D, OCL_GT_STRIDE] with OCL_RF_GATES, else NULL */
    ocl_rec_layer *layers;
    ocl_buf xg, hg, h, c, htmp, hp, seq[2];
    ocl_buf cg, sync; /* the grid kernel: c's second buffer, its barrier count and abort flag */
} ocl_rec;

/* One layer of one run, as the step functions see it. */
typedef struct ocl_rec_run {
    ocl_session *s;
    const sq_layer *L;
    ocl_rec *r;
    const ocl_rec_layer *w;
    cl_mem y;    /* the layer's output sequence [T*B, D*H_out] */
    cl_mem lens; /* device lengths, or the session's dummy */
    int has_len;
    int T, B, bf;
} ocl_rec_run;

/* The recurrent paths, and what SEQRT_OPENCL_RECURRENT asks for. */
typedef enum ocl_rec_path { OCL_PATH_GEMM, OCL_PATH_STEP, OCL_PATH_PERSISTENT, OCL_PATH_GRID } ocl_rec_path;
typedef enum ocl_rec_mode {
    OCL_MODE_AUTO, OCL_MODE_GEMM, OCL_MODE_STEP, OCL_MODE_PERSISTENT, OCL_MODE_GRID
} ocl_rec_mode;

/* SEQRT_OPENCL_RECURRENT (unset, "" or auto | gemm | step | persistent | grid);
 * any other value is SEQRT_ERR_INVALID_ARGUMENT naming the valid ones. */
seqrt_status ocl_rec_mode_get(ocl_rec_mode *out);
/* The path of a layer at batch B (and why, for SEQRT_LOG=debug): see
 * ocl_rec_path.c for the rule. */
ocl_rec_path ocl_rec_choose(ocl_session *s, const ocl_rec *r, ocl_rec_mode mode, int64_t B, char *why,
                            size_t why_size);

/* One time step of every direction (gemm path). */
typedef seqrt_status (*ocl_step_fn)(const ocl_rec_run *c, int step);

/* hg[d] = h[d] W_hh[d]^T over rows [row0, row0 + rows) of W_hh's gate rows,
 * written at column col0 of hg (ld G*H): one GEMM batched over directions.
 * `h` is [D, B, width] (width H_out, or H for GRU's r * h). */
seqrt_status ocl_rec_hh_gemm(const ocl_rec_run *c, cl_mem h, int64_t width, int64_t row0, int64_t rows);

/* The prepare and release of the lstm, gru and rnn rows (sq_op_impl), and
 * the body of their run: `a` the layer's args, `r` its prepared state. */
seqrt_status ocl_rec_prepare(void *session, const sq_layer *L, void **state);
seqrt_status ocl_rec_execute(ocl_session *s, const sq_op_args *a, ocl_rec *r, ocl_step_fn step);
void ocl_rec_release(void *state);

/* Persistent kernel (ocl_persistent.c): its local memory (the three
 * __local arguments, bytes each) and the launch for one layer. */
void ocl_persistent_local(const ocl_rec *r, size_t bytes[3]);
seqrt_status ocl_persistent_run(const ocl_rec_run *c);

/* Step path (ocl_step.c): the transposed weights and kernels of layer k
 * (at session creation), and the `steps` steps of one layer. */
seqrt_status ocl_step_prepare(ocl_session *s, const sq_layer *L, ocl_rec *r, int k);
void ocl_step_release(ocl_rec_layer *w);
/* Whether the step kernels' weights are packed per work-item: under the
 * generic/cpu profile (a CPU device; a GPU profile forced onto PoCL keeps
 * the GPU layout, so CI runs both). */
bool ocl_step_packed(const ocl_session *s);
seqrt_status ocl_step_run(const ocl_rec_run *c, int s0, int steps);
/* Sets SQ_STEP_ARGS on kernel k for a layer's run (wt, wr: the weights the
 * kernel reads), step index s. */
seqrt_status ocl_step_args(const ocl_rec_run *c, cl_kernel k, cl_mem wt, cl_mem wr, cl_int s);

/* Grid path (ocl_grid.c): its bounds (profile, SEQRT_OPENCL_GRID_GROUPS,
 * _SPIN, _CACHE_KIB, _GIVE_UP; bad values are errors), its kernel for layer k, its
 * plan for a run (false, and why, when it does not fit the device), and
 * its run: *done is the number of steps completed (the rest to rerun on
 * the step kernels, from step *done). */
typedef struct ocl_grid_plan {
    size_t groups, wg, scr_bytes, acc_bytes, wl_bytes;
    int lanes, phases, U[2], nc[2];
} ocl_grid_plan;
seqrt_status ocl_grid_cfg_get(const ocl_session *s, ocl_grid_cfg *out);
seqrt_status ocl_grid_prepare(ocl_session *s, const sq_layer *L, ocl_rec *r, int k);
bool ocl_grid_plan_make(const ocl_session *s, const ocl_rec *r, int64_t B, ocl_grid_plan *g, char *why, size_t n);
seqrt_status ocl_grid_run(const ocl_rec_run *c, int steps, int *done);
/* Whether the layers' step kernels were made (not under
 * SEQRT_OPENCL_RECURRENT=gemm). */
bool ocl_step_ready(const ocl_rec *r);

/* The step kernels' forms (ocl_step_form.c): the profile's, or forced by
 * SEQRT_OPENCL_STEP_FORM, with the rows form's parameters (env overrides
 * SEQRT_OPENCL_STEP_ROWS_WG, _LANES, _UNITS); bad values are errors. */
seqrt_status ocl_step_form_get(const ocl_session *s, ocl_step_cfg *out);
const char *ocl_step_form_name(int form); /* "units", "rows" */
/* Environment variable `name` as an integer in [lo, hi] (a power of two
 * when p2) into *out, left as is when unset or empty; anything else is
 * SEQRT_ERR_INVALID_ARGUMENT naming the variable and its value. */
seqrt_status ocl_env_int(const char *name, long lo, long hi, bool p2, long *out);
/* The rows form's launch of kernel i of a layer (kmax: its
 * CL_KERNEL_WORK_GROUP_SIZE): work-group, lanes, units per group, groups
 * and the two __local arguments' bytes. */
typedef struct ocl_rows_shape_t {
    size_t wg, groups, scr_bytes, acc_bytes;
    int lanes, U;
} ocl_rows_shape_t;
void ocl_rows_shape(const ocl_session *s, const ocl_rec *r, int i, size_t kmax, ocl_rows_shape_t *out);

#endif /* OCL_RECURRENT_H */
