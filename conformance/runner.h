/*
 * The conformance suite's library (seqrt_conformance), shared by the
 * standalone program seqrt-conformance and the Criterion tests.
 *
 *   cases   a deterministic list, generated from a seed (cases.c lists the
 *           families of cases_*.c, which build them with case_*.c), plus
 *           the golden cases stored under conformance/data/golden (PyTorch
 *           goldens and ONNX's node tests).
 *   runner  runs one case on one device: every output is bound to a buffer
 *           with guard zones before and after it (out-of-bounds writes) and
 *           a sentinel inside it (elements never written); the case runs
 *           twice (determinism); each run is compared with the reference
 *           backend's outputs (the oracle) and, for golden cases, with the
 *           stored expected values, by the spec's rule (compare.h).
 *           Streaming cases run the sequence in chunks through a streaming
 *           session and compare the assembled outputs with the whole run.
 *   report  a console table per device, JSON and markdown (report.c).
 *
 * Verdicts: PASS; FAIL (any mismatch, out-of-bounds write, unwritten
 * element, modified input, or a failure of a backend that claimed support);
 * SKIPPED (seqrt_session_create returned SEQRT_ERR_UNSUPPORTED: the backend
 * says up front that it does not support an op or attribute of the case).
 */
#ifndef SEQRT_CONFORMANCE_RUNNER_H
#define SEQRT_CONFORMANCE_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compare.h"
#include "seqrt.h"

#define CF_DEFAULT_SEED 20240611u

/* ------------------------------------------------------------ cases */

typedef struct cf_case_info {
    char name[112];      /* unique and stable for a given seed */
    char group[32];      /* "lstm", "attention", "model", "stream", "golden", ... */
    char source[16];     /* "generated", or a golden's source: "pytorch", "onnx", "float64" */
    int full_only;       /* 1: only in the full set */
    int chunk;           /* > 0: a streaming case run in chunks of `chunk` steps */
} cf_case_info;

typedef struct cf_suite_options {
    uint64_t seed;          /* 0: CF_DEFAULT_SEED */
    int full;               /* 1: the full set; 0: the quick set */
    const char *golden_dir; /* NULL: the compiled-in default; "": no golden cases */
    const char *filter;     /* comma-separated: a substring of the name or a group name; a glob
                             * (with * ? [); or =NAME for exactly NAME. NULL or "": all */
} cf_suite_options;

typedef struct cf_suite cf_suite;

/* Builds the case list (cheap: nothing is generated until a case is
 * instantiated). Returns 0, or -1 with a message in `err`. */
int cf_suite_create(cf_suite **out, const cf_suite_options *options, char *err, size_t err_size);
void cf_suite_free(cf_suite *suite);
size_t cf_suite_count(const cf_suite *suite);
const cf_case_info *cf_suite_case(const cf_suite *suite, size_t index);
uint64_t cf_suite_seed(const cf_suite *suite);
int cf_suite_full(const cf_suite *suite);
/* The golden directory in use ("" when golden cases are off or it is missing)
 * and, when missing, why ("" otherwise). */
const char *cf_suite_golden_dir(const cf_suite *suite);
const char *cf_suite_golden_note(const cf_suite *suite);
/* Default golden directory (compiled in). */
const char *cf_default_golden_dir(void);

/* One case made concrete: a loaded model, its inputs, the reference
 * backend's outputs and, for golden cases, the expected outputs. */
typedef struct cf_instance {
    const cf_case_info *info;
    char description[512];
    seqrt_model *model;
    size_t nin, nout;
    seqrt_tensor **inputs;     /* model order */
    seqrt_tensor **oracle;     /* reference:0, whole run */
    seqrt_tensor **expected;   /* golden cases: stored outputs; else NULL */
    double atol, rtol;
    char tolerance_note[256];  /* why the bound is not the spec default ("" if it is) */
    int chunk;                 /* streaming: steps per chunk, else 0 */
} cf_instance;

/* Generates (or loads) case `index` and runs it on the reference device to
 * get the oracle. Returns 0, or -1 with a message in `err` (a case whose
 * instance cannot be made fails on every device). */
int cf_instance_create(cf_instance **out, const cf_suite *suite, size_t index, char *err,
                       size_t err_size);
void cf_instance_free(cf_instance *inst);
/* Writes the case as files (model.json, model.safetensors, input.*.npy,
 * reference.*.npy, and expected.*.npy for golden cases) into `dir`, which
 * is created if missing; for reproducing a failure with `seqrt run`. */
int cf_instance_save(const cf_suite *suite, size_t index, const cf_instance *inst, const char *dir,
                     char *err, size_t err_size);

/* ------------------------------------------------------------ devices */

typedef struct cf_device {
    char spec[48];             /* "reference:0", "onednn:0", ... */
    const seqrt_device *dev;
    seqrt_device_info info;    /* strings owned by the registry */
    char module[512];          /* the backend's module path or "built-in" */
} cf_device;

/* Every available device of every backend, or only those named in `only`
 * (comma-separated "B" or "B:N"). Returns the number found (<= max), or -1
 * with a message in `err` when `only` names something unknown or
 * unavailable. */
int cf_list_devices(cf_device *out, size_t max, const char *only, char *err, size_t err_size);

/* ------------------------------------------------------------ running */

typedef enum cf_verdict { CF_PASS = 0, CF_FAIL = 1, CF_SKIP = 2 } cf_verdict;
const char *cf_verdict_str(cf_verdict v); /* "PASS", "FAIL", "SKIPPED" */

/* One comparison of one output. */
typedef struct cf_check {
    char output[96];           /* the output value ("rnn:h_n") */
    char against[12];          /* "reference" or "expected" */
    char phase[12];            /* "run 1", "run 2" */
    int ok;
    sq_compare_result r;
} cf_check;

typedef struct cf_result {
    cf_verdict verdict;
    char reason[1024];         /* FAIL / SKIPPED: what and where; PASS: "" */
    size_t issues;             /* number of failed checks and findings */
    double max_abs, max_rel;   /* worst over every check (finite pairs; rel: where ref != 0) */
    double nmse;               /* sum (x - ref)^2 / sum ref^2 over every check of the case */
    int deterministic;         /* 1 bitwise identical runs; 0 not; -1 not checked */
    char determinism[512];     /* when 0: what differs and the likely reason */
    double seconds;            /* wall time of the device's runs */
    cf_check *checks;
    size_t nchecks;
} cf_result;

/* Runs `inst` on `dev` (twice, with guards) and fills `res`; returns its
 * verdict. `res` must be released with cf_result_clear. */
cf_verdict cf_run(const cf_instance *inst, const seqrt_device *dev, cf_result *res);
void cf_result_clear(cf_result *res);
/* A result for a case whose instance could not be made. */
void cf_result_instance_failed(cf_result *res, const char *why);

/* ------------------------------------------------------------ building blocks
 * (exposed for the comparator's own tests) */

#define CF_GUARD_FLOATS 256u         /* guard zone on each side: 1 KiB */
#define CF_SENTINEL_RUN1 0x7fc0bad1u /* quiet NaNs with a payload no computation makes */
#define CF_SENTINEL_RUN2 0x7fc0bad2u

/* An f32 output buffer inside a larger allocation: [guard | data | guard]. */
typedef struct cf_guarded {
    seqrt_tensor *tensor;      /* wraps `data` with the output's shape */
    float *base;               /* the whole allocation */
    float *data;
    size_t count;              /* elements of the output */
    uint32_t sentinel;
} cf_guarded;

int cf_guarded_create(cf_guarded *g, int rank, const int64_t *dims);
/* Fills both guard zones with a position-dependent canary and the data with
 * `sentinel` (bit pattern). */
void cf_guarded_arm(cf_guarded *g, uint32_t sentinel);
/* 1 if both guard zones are intact; else 0 with what was overwritten. */
int cf_guarded_intact(const cf_guarded *g, char *msg, size_t msg_size);
/* Elements still holding the sentinel (never written); the first in *first. */
size_t cf_guarded_unwritten(const cf_guarded *g, size_t *first);
void cf_guarded_free(cf_guarded *g);

/* Same rank and dims, then the spec's rule. Returns 1 when `got` conforms;
 * otherwise 0 with a one-line reason in `msg`. `r` may be NULL. */
int cf_compare_tensors(const seqrt_tensor *got, const seqrt_tensor *ref, double atol, double rtol,
                       sq_compare_result *r, char *msg, size_t msg_size);

/* "[2, 0, 5]" for flat index `flat` of a tensor of the given shape. */
void cf_format_index(const seqrt_tensor *t, size_t flat, char *buf, size_t n);

/* ------------------------------------------------------------ report */

#define CF_CONSOLE_REASON 400 /* characters of a reason shown on the console */

typedef struct cf_report cf_report;

cf_report *cf_report_create(const cf_suite *suite, const cf_device *devices, size_t ndevices);
void cf_report_free(cf_report *report);
/* Records the result of case `case_index` on device `device_index` (copies
 * what it needs; `inst` gives the description and the bound, may be NULL). */
void cf_report_add(cf_report *report, size_t case_index, size_t device_index, const cf_result *res,
                   const cf_instance *inst);
void cf_report_counts(const cf_report *report, size_t *passed, size_t *failed, size_t *skipped);
/* The console tables (one per device, each with its own count). verbose: a
 * row for every case, else one per group plus every failure, skip and
 * nondeterministic case. The caller prints the closing summary line. */
void cf_report_print(const cf_report *report, FILE *f, int verbose);
/* "N passed, N failed[, N skipped]" */
void cf_report_summary_line(const cf_report *report, char *buf, size_t n);
int cf_report_write_json(const cf_report *report, const char *path, char *err, size_t err_size);
int cf_report_write_markdown(const cf_report *report, const char *path, char *err, size_t err_size);

#endif /* SEQRT_CONFORMANCE_RUNNER_H */
