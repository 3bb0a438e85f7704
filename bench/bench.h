/*
 * seqrt-bench: shared types of the benchmark program.
 *
 *   bench_main.c      command line, the loop over cases x devices, progress
 *   bench_sets.c      built-in shape sets -> descriptions; --model's case
 *   bench_weights.c   a built-in case written: description + random weights
 *                     (written as safetensors)
 *   bench_analyze.c   analysis of any model (GEMM shapes, FLOPs, recurrent
 *                     stacks, inputs)
 *   bench_run.c       timing method, peak memory, seqrt sessions
 *   baseline_dnnl.c   oneDNN sgemm at the case's GEMM shapes; oneDNN's LSTM
 *   baseline_clblast.c CLBlast sgemm on each OpenCL device
 *   baseline_ort.c    ONNX Runtime's CPU LSTM through bench/ort/ort_lstm.js
 *   progress.c        progress bar
 *   report.c          what the writers share (report.h): series, ratios,
 *                     number formats, the machine
 *   report_table.c    console table (and --scaling's tables)
 *   report_json.c, report_csv.c, report_markdown.c, report_svg.c
 *                     the files: JSON (cJSON), CSV, Markdown, SVG charts
 */
#ifndef SEQRT_BENCH_H
#define SEQRT_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "seqrt.h"

#define BENCH_MAX_GEMM 64
#define BENCH_MAX_RNN 8
#define BENCH_MAX_INPUTS 16
#define BENCH_MAX_DEVICES 16
#define BENCH_MAX_CL 8

/* ------------------------------------------------------------ cases */

/* One GEMM shape, row-major C[M,N] = A[M,K] * B[N,K]^T, done `count` times
 * per run of the model (the recurrent GEMM runs once per time step). */
typedef struct bench_gemm {
    int64_t M, N, K, count;
    int accumulate; /* beta = 1 (recurrent GEMM adds to the input projection) */
    char what[48];  /* "rnn l0 input", "rnn l0 recurrent", ... */
} bench_gemm;

/* A recurrent layer stack of the model, for the LSTM baselines. */
typedef struct bench_rnn {
    char layer[64];
    char op[8];     /* "lstm", "gru", "rnn" */
    int64_t T, B, I, H;
    int L, D;
    int plain;      /* plain LSTM (bias, no projection/peephole/coupled) */
} bench_rnn;

enum bench_fill { BENCH_FILL_RANDOM, BENCH_FILL_IDS, BENCH_FILL_LENGTHS, BENCH_FILL_ZERO };

typedef struct bench_input {
    char name[64];
    seqrt_dtype dtype;
    int rank;
    int64_t dims[SEQRT_MAX_RANK];
    int fill;       /* enum bench_fill */
    int64_t hi;     /* ids in [0, hi) */
} bench_input;

/* A case: one model at one shape. Built-in sets make the description
 * (`desc`) and write it with random weights to a temporary directory;
 * --model points at a user's files. */
typedef struct bench_case {
    char set[32];
    char name[64];
    char shape[128];         /* "T=25 B=1 I=512 H=512" */
    cJSON *desc;             /* built-in description (NULL for --model) */
    char json_path[1024];    /* where the description is (once written) */
    int64_t T, B;            /* bindings of the time and batch axes */
    char axis[4];            /* --scaling: "T", "B" or "H" ("" otherwise) */
    double axis_value;
    /* filled by bench_case_analyze() */
    double flops;            /* GEMM FLOPs of one run */
    bench_gemm gemm[BENCH_MAX_GEMM];
    int ngemm;
    bench_rnn rnn[BENCH_MAX_RNN];
    int nrnn;
    bench_input in[BENCH_MAX_INPUTS];
    int nin;
    char note[256];          /* FLOPs not counted, ... */
} bench_case;

/* ------------------------------------------------------------ results */

enum bench_state { BENCH_NOT_RUN = 0, BENCH_OK, BENCH_SKIPPED, BENCH_FAILED };

typedef struct bench_stats {
    int state;               /* enum bench_state */
    char note[320];          /* why skipped / failed */
    double median_ms, min_ms, p90_ms, mean_ms;
    int reps;                /* measured repetitions */
    int warmup;              /* warm-up repetitions (after the first run) */
    double create_ms;        /* session / primitive / model creation */
    double first_ms;         /* the first run */
    double peak_mb;          /* -1 if unknown */
} bench_stats;

typedef struct bench_device {
    char id[48];             /* "onednn:0" */
    char backend[32];
    size_t index;
    char name[128];
    char description[256];
    const seqrt_device *dev;
    int cl_index;            /* opencl: index into the CLBlast device list, -1 none */
    int prec;                /* --precision: BENCH_PREC_* the series runs the case at (0: as described) */
} bench_device;

/* --precision's choices (bench_precision.c) */
enum { BENCH_PREC_F32, BENCH_PREC_BF16, BENCH_PREC_F16, BENCH_PREC_INT8, BENCH_NPREC };

/* Everything measured for one case. */
typedef struct bench_case_result {
    bench_stats dnnl_gemm;               /* oneDNN sgemm at the case's GEMM shapes */
    bench_stats dnnl_lstm;               /* oneDNN LSTM primitive, recurrent layers only */
    bench_stats ort;                     /* ONNX Runtime CPU LSTM, recurrent layers only */
    bench_stats clblast[BENCH_MAX_CL];   /* CLBlast sgemm per OpenCL device */
    bench_stats seqrt[BENCH_MAX_DEVICES];/* per selected device */
} bench_case_result;

/* ------------------------------------------------------------ options */

typedef struct bench_opts {
    double budget_s;         /* measured time per (case, device) */
    double warmup_s;         /* warm-up time after the first run */
    int max_reps;
    int quick;
    double ref_max_gflop;    /* the reference backend skips bigger cases */
    int baselines;           /* 0: --no-baselines */
    int ort;                 /* 0: --no-ort */
    int quiet;
    int threads;             /* --threads (0: every CPU) */
    int rounds;              /* measured time split in this many interleaved slices */
    int neighbours;          /* --neighbour: busy-loop processes beside the measurement */
    const char *ort_dir;
} bench_opts;

/* ------------------------------------------------------------ bench_neighbour.c */

/* Starts n busy-loop processes (none for n <= 0); they end with
 * bench_neighbours_stop, at exit, on SIGINT/SIGTERM/SIGHUP, or with the
 * bench. 0, or -1 with the reason in err. */
int bench_neighbours_start(int n, char *err, size_t err_size);
void bench_neighbours_stop(void);

/* ------------------------------------------------------------ bench_run.c */

typedef int (*bench_fn)(void *ctx, char *err, size_t err_size); /* 0 on success */

/* One timed series of a case (a seqrt device or a baseline), prepared by
 * its *_job() function (creation timed into out->create_ms), then run by
 * the scheduler in bench_main.c: bench_job_begin() (first run, warm-up),
 * bench_job_slice() in rounds interleaved with the case's other series,
 * bench_job_end() (statistics, release). */
typedef struct bench_job {
    bench_fn fn;
    void *ctx;
    void (*release)(void *ctx);
    bench_stats *out;
    int64_t mem_mark;        /* RSS before preparing; -1: peak not tracked */
    double *t;               /* measured run times, seconds */
    int n, cap;
    double total;
    int live;                /* prepared and not failed */
} bench_job;

double bench_now_s(void);
/* Sets the job up around fn/ctx (release may be NULL). */
void bench_job_init(bench_job *j, bench_stats *out, bench_fn fn, void *ctx, void (*release)(void *ctx));
/* The first run (out->first_ms) and warm-up runs until opts->warmup_s
 * (none when the first run took more than half the budget); then the peak
 * memory since the job's mark. 0, or -1 with out->state FAILED. */
int bench_job_begin(bench_job *j, const bench_opts *opts);
/* Measured runs for `slice_s` seconds (at least one), until the job has
 * opts->budget_s of measured time or opts->max_reps runs. */
void bench_job_slice(bench_job *j, double slice_s, const bench_opts *opts);
int bench_job_pending(const bench_job *j, const bench_opts *opts);
/* Median, min, p90 (nearest rank), mean of the measured runs; releases. */
void bench_job_end(bench_job *j);

/* Resets the process's peak-RSS mark and returns the current RSS in bytes
 * (see bench_mem_peak_mb). */
int64_t bench_mem_mark(void);
/* Peak RSS since the last mark, minus the RSS at the mark, in MiB; -1 if
 * the kernel cannot reset the mark. */
double bench_mem_peak_mb(int64_t mark);
int bench_mem_exact(void);

/* Creates the case's inputs (random floats, ids, full lengths, zeros). */
int bench_make_inputs(const bench_case *c, seqrt_tensor **tensors, char *err, size_t err_size);
/* A session of the model on one device (creation timed); 0, or -1 with
 * out->state SKIPPED (reference size cap, unsupported) or FAILED. */
int bench_seqrt_job(const bench_case *c, const seqrt_model *model, seqrt_tensor **inputs, const bench_device *dev,
                    const bench_opts *opts, bench_stats *out, bench_job *job);

/* ------------------------------------------------------------ descriptions */

/* Attribute `k` of a layer's JSON (a number, or a boolean), or `def` when
 * the layer does not have it. */
static inline double bench_attr(const cJSON *L, const char *k, double def)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(L, k);
    return cJSON_IsNumber(j) ? j->valuedouble : def;
}

static inline int bench_attr_bool(const cJSON *L, const char *k, int def)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(L, k);
    return cJSON_IsBool(j) ? cJSON_IsTrue(j) : def;
}

/* ------------------------------------------------------------ bench_sets.c */

/* Appends the cases of built-in set `name` ("deepbench", "training",
 * "seeds", "attention"); -1 if unknown. */
int bench_set_cases(const char *name, int quick, bench_case **cases, int *n);
int bench_scaling_cases(int quick, bench_case **cases, int *n);
int bench_model_case(const char *path, int64_t T, int64_t B, bench_case **cases, int *n, char *err,
                     size_t err_size);
const char *bench_set_names(void);
void bench_cases_free(bench_case *cases, int n);

/* ------------------------------------------------------------ bench_weights.c */

/* Writes the description and random weights of a built-in case to `dir`
 * (nothing for --model's case). */
int bench_case_write(bench_case *c, const char *dir, char *err, size_t err_size);

/* ------------------------------------------------------------ bench_analyze.c */

/* Reads the loaded model (and its description) into the case's GEMM shapes,
 * FLOPs, recurrent stacks and inputs. */
int bench_case_analyze(bench_case *c, const seqrt_model *model, char *err, size_t err_size);

/* ------------------------------------------------------------ baselines */

/* oneDNN; `version` gets "oneDNN 2.6.3" or why it is missing. */
int bench_dnnl_available(char *version, size_t n);
/* Jobs (see bench_job): 0, or -1 with out->state SKIPPED or FAILED. */
int bench_dnnl_gemm_job(const bench_case *c, bench_stats *out, bench_job *job);
int bench_dnnl_lstm_job(const bench_case *c, bench_stats *out, bench_job *job);

/* CLBlast: the OpenCL devices it can use (platform order), or why none. */
int bench_cl_devices(char names[][128], int max, char *why, size_t n);
int bench_clblast_job(const bench_case *c, int cl_index, bench_stats *out, bench_job *job);
void bench_clblast_release(void);

/* ONNX Runtime through node: 1 if usable (`version` gets its version),
 * else 0 with the reason. */
int bench_ort_available(const bench_opts *opts, char *version, size_t n);
void bench_ort_lstm(const bench_case *c, const bench_opts *opts, bench_stats *out);

/* ------------------------------------------------------------ progress.c */

void bench_progress(int done, int total, const char *what);
void bench_progress_end(void);

/* ------------------------------------------------------------ report*.c */

typedef struct bench_report {
    bench_case *cases;
    int ncases;
    bench_case_result *res;
    bench_device *devices;
    int ndevices;
    char cl_names[BENCH_MAX_CL][128];
    int ncl;
    char dnnl_version[128];
    char cl_note[256];
    char ort_version[256];
    int have_dnnl, have_ort;
    char unavailable[1024];  /* backends not run, with the reason */
    int scaling;
    const bench_opts *opts;
    char command[1024];
} bench_report;

/* ------------------------------------------------------------ bench_precision.c */

/* --precision LIST ("f32,bf16,f16,int8"): the BENCH_PREC_* indices. */
int bench_precision_parse(const char *list, int *precs, int *n, char *err, size_t err_size);
const char *bench_precision_name(int p);
/* Each device once per precision ("onednn:0 int8"), device-major. */
int bench_precision_expand(bench_device *devs, int *ndev, const int *precs, int nprec, char *err, size_t err_size);
/* models[p]: case c's description at precision p for every p a device
 * needs (NULL for f32 and the unused ones), over the case's weights. */
int bench_precision_models(const bench_case *c, const char *dir, const bench_device *devs, int ndev,
                           seqrt_model **models, char *err, size_t err_size);
/* Each precision's median and minimum against its device's f32 series. */
void bench_precision_summary(FILE *f, const bench_report *rep);

void bench_print_table(FILE *f, const bench_report *r);      /* report_table.c */
int bench_write_json(const char *path, const bench_report *r);     /* report_json.c */
int bench_write_csv(const char *path, const bench_report *r);      /* report_csv.c */
int bench_write_markdown(const char *path, const bench_report *r); /* report_markdown.c */
int bench_write_svg(const char *path, const bench_report *r);      /* report_svg.c */

/* (report.c) The row's GEMM baseline: CLBlast on the device for OpenCL
 * devices, else oneDNN sgemm. */
const bench_stats *bench_gemm_for(const bench_report *r, int ci, int di, const char **source);
/* baseline median / seqrt median (>1: seqrt is faster), or 0 if either is
 * missing. */
double bench_ratio(const bench_stats *baseline, const bench_stats *s);

/* seqrt-bench --streams N (bench_streams.c): its own options; the exit status. */
int bench_streams_main(int argc, char **argv);

#endif /* SEQRT_BENCH_H */
