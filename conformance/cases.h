/*
 * Private to the conformance library: what a case family (cases_rnn.c,
 * cases_ops.c, cases_attention.c, cases_models.c) writes its cases with:
 * cf_add_case to list one (case_table.c), and the model builder
 * (case_build.c; its inputs in case_inputs.c).
 *
 * A generated case is a build function and its parameters. Building a case
 * makes a description (cJSON), its weights and its inputs in memory from a
 * pseudo-random stream seeded by hash(suite seed, data key): the same seed
 * gives the same bytes on every machine, whatever subset is selected.
 */
#ifndef SEQRT_CONFORMANCE_CASES_H
#define SEQRT_CONFORMANCE_CASES_H

#include <cjson/cJSON.h>

#include "runner.h"

/* Lengths patterns (lengths input [B], int32). */
enum {
    CF_LEN_NONE = 0, /* no lengths input */
    CF_LEN_MIXED,    /* T, 0, ceil(T/2), 1, T-1, ... (a row of zeros when B > 1) */
    CF_LEN_ZERO,     /* every row is all padding */
    CF_LEN_FULL,     /* every row is T */
    CF_LEN_ONE,      /* every row is 1 */
    CF_LEN_RANDOM    /* uniform in [0, T] */
};

/* Value patterns of float inputs. */
enum {
    CF_VAL_NORMAL = 0, /* uniform(-1, 1) */
    CF_VAL_SAT,        /* uniform(-100, 100): saturates sigmoid and tanh */
    CF_VAL_SATW,       /* normal inputs, weights x20: saturated gates through the recurrence */
    CF_VAL_NAN,        /* one NaN (last batch row, middle step) */
    CF_VAL_INF,        /* +Inf and -Inf (last batch rows) */
    CF_VAL_DENORM,     /* subnormal floats (|x| < 1.2e-38), weights too */
    CF_VAL_PADNAN,     /* NaN in every padded step (t >= len[b]): must not leak */
    CF_VAL_PADBIG,     /* +-1000 in every padded step: must not leak */
    CF_VAL_HUGE,       /* +-1e4, +-88.8, +-1e30 mixed in: activation extremes */
    CF_VAL_NEGINF_ROW, /* one row entirely -Inf, one with a single +Inf (softmax) */
    CF_VAL_COUNT
};
typedef struct cf_params {
    int op;                 /* family specific: an op or a variant */
    int T, B, I, H, L, P;   /* sizes; P: proj_size / heads / extra size */
    int bidir, peep, coupled, nobias, lbr_false, relu, state;
    int lens, vals, bf;
    int a, c;               /* family specific */
} cf_params;

typedef struct cf_builder cf_builder;
typedef void (*cf_build_fn)(cf_builder *b, const cf_params *p);

/* ------------------------------------------------------------ the list */

/* Adds a generated case (ignored when it is full-only and the suite is the
 * quick set, or when the filter rejects its name). `data_key` (NULL: the
 * name) seeds its data: streaming cases share the key of their whole run.
 * (case_table.c) */
void cf_add_case(cf_suite *s, const char *name, const char *group, int full_only, int chunk,
                 cf_build_fn build, const cf_params *p, const char *data_key);
/* The families, each adding its cases (cases_rnn.c, cases_rnn_v11.c,
 * cases_ops.c, cases_attention.c, cases_models.c), called in this order by
 * cases.c. */
void cf_add_rnn_cases(cf_suite *s);
void cf_add_rnn_v11_cases(cf_suite *s); /* format 1.1's recurrent attributes (cases_rnn_v11.c) */
void cf_add_op_cases(cf_suite *s);
void cf_add_attention_cases(cf_suite *s);
void cf_add_model_cases(cf_suite *s);

/* ------------------------------------------------------------ the builder */

/* Names of the patterns, for descriptions (case_build.c). */
const char *cf_val_name(int vals);
const char *cf_len_name(int lens);

/* Random numbers from the case's stream. */
double cf_uniform(cf_builder *b, double lo, double hi);
int cf_randint(cf_builder *b, int n); /* [0, n) */

int cf_bf(const cf_builder *b); /* the case's batch_first */
/* Appends to the case's description (printf). */
void cf_describe(cf_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The description's format version (default 1; 1.1 for the attributes
 * format 1.1 added, which a version 1 description may not use). */
void cf_format_version(cf_builder *b, double version);
/* Looser bound than the spec default, with its reason. */
void cf_tolerance(cf_builder *b, double atol, double rtol, const char *why);
/* A layer as JSON; single quotes stand for double quotes (printf). */
void cf_layer(cf_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cf_output(cf_builder *b, const char *value);

/* A weight tensor `name` (rank 1 or 2: d1 = 0 for rank 1) filled with
 * uniform(-scale, scale), denormal-scaled under CF_VAL_DENORM. */
float *cf_weight(cf_builder *b, const char *name, int64_t d0, int64_t d1, double scale);
/* The weights of a recurrent layer ("lstm", "gru", "rnn"), PyTorch's init
 * scale 1/sqrt(H) times `mult`. Coupled LSTMs get +-1000 garbage in their
 * input-gate rows (which coupled must ignore). */
void cf_rnn_weights(cf_builder *b, const char *layer, const char *op, int64_t in, int64_t H, int L,
                    int bidir, int64_t proj, int peep, int coupled, int bias, double mult);

/* Inputs, declared in the description in the order they are made
 * (case_inputs.c). */
/* A float sequence [T, B, F] (or [B, T, F]) with time symbol `tsym`; values
 * by `vals`; `lens` (may be NULL) marks the padded steps. */
float *cf_in_seq(cf_builder *b, const char *name, const char *tsym, int64_t T, int64_t B, int64_t F,
                 int vals, const int32_t *lens);
/* Token ids [T, B] (or [B, T]; time symbol `tsym`) in [0, V); int64 when `i64`. */
void cf_in_ids(cf_builder *b, const char *name, const char *tsym, int64_t T, int64_t B, int64_t V, int i64);
/* A lengths input [B] (int32) by pattern; returns the values (NULL for
 * CF_LEN_NONE, when nothing is declared). */
int32_t *cf_in_lengths(cf_builder *b, const char *name, int64_t B, int64_t T, int pattern);
/* A recurrent state [LD, B, H]. */
float *cf_in_state(cf_builder *b, const char *name, int64_t LD, int64_t B, int64_t H);
/* Any float tensor with a declared shape written as JSON (single quotes),
 * e.g. "['B', 5]", and concrete dims; values by `vals`. */
float *cf_in_float(cf_builder *b, const char *name, const char *shape_json, int rank, const int64_t *dims,
                   int vals);

/* Fills x[n] by a value pattern (no padding, no position-specific specials
 * for SEQ patterns: NaN/Inf go at the given flat index `special`, or
 * nowhere when special < 0). */
void cf_fill(cf_builder *b, float *x, size_t n, int vals, long special);

#endif /* SEQRT_CONFORMANCE_CASES_H */
