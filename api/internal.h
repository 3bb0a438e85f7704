/*
 * seqrt core internals shared by the core, the reference backend and the
 * backend modules. Not installed; not part of the public API.
 */
#ifndef SEQRT_INTERNAL_H
#define SEQRT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seqrt.h"

#if defined(__GNUC__)
#define SQ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SQ_PRINTF(a, b)
#endif

/* ------------------------------------------------------------ limits */

/* Largest value of any size attribute (hidden_size, embed_dim, ...). */
#define SQ_MAX_ATTR_DIM ((int64_t)1 << 24)
/* Largest number of elements of one tensor (weights, inputs, activations). */
#define SQ_MAX_ELEMENTS ((int64_t)1 << 34)
/* Largest number of layers in a description (and of num_layers). */
#define SQ_MAX_LAYERS 4096
/* Longest name of an input or a layer (value and weight names are built
 * from it in fixed buffers: "<layer>:<extra>", "<layer>.<param>"). */
#define SQ_MAX_NAME 255

/* ------------------------------------------------------------ errors, log */

/* Sets the thread's last error and returns `status`. */
seqrt_status sq_error(seqrt_status status, const char *fmt, ...) SQ_PRINTF(2, 3);
/* Prefixes the current last error with "prefix: " and returns `status`. */
seqrt_status sq_error_prefix(seqrt_status status, const char *fmt, ...) SQ_PRINTF(2, 3);
void sq_clear_error(void);

enum { SQ_LOG_ERROR = 0, SQ_LOG_WARN = 1, SQ_LOG_INFO = 2, SQ_LOG_DEBUG = 3 };
int sq_log_level(void); /* from SEQRT_LOG, read once */
void sq_log(int level, const char *fmt, ...) SQ_PRINTF(2, 3);

/* Overflow-checked size arithmetic: return false on overflow. */
static inline bool sq_mul_ok(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0) return false;
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool sq_add_ok(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0) return false;
    return !__builtin_add_overflow(a, b, out);
}
/* Product of dims, false on overflow or beyond SQ_MAX_ELEMENTS. */
bool sq_dims_count(int rank, const int64_t *dims, int64_t *out);

/* Allocation wrappers (a test build can make them fail: fault injection). */
void *sq_malloc(size_t size);
void *sq_calloc(size_t n, size_t size);
/* `size` bytes aligned to `align` (a power of two; size rounded up to a
 * multiple of it); freed with sq_free. */
void *sq_aligned_alloc(size_t align, size_t size);
void *sq_realloc(void *p, size_t size);
char *sq_strdup(const char *s);
void sq_free(void *p);

/* ------------------------------------------------------------ graph */

typedef enum sq_op {
    SQ_OP_EMBEDDING,
    SQ_OP_ONE_HOT,
    SQ_OP_LSTM,
    SQ_OP_GRU,
    SQ_OP_RNN,
    SQ_OP_LINEAR,
    SQ_OP_ACTIVATION,
    SQ_OP_SOFTMAX,
    SQ_OP_LOG_SOFTMAX,
    SQ_OP_DROPOUT,
    SQ_OP_ADD,
    SQ_OP_MUL,
    SQ_OP_CONCAT,
    SQ_OP_SELECT,
    SQ_OP_LAST_STEP,
    SQ_OP_MEAN_POOL,
    SQ_OP_ATTENTION,
    SQ_OP_ATTENTION_POOL,
    SQ_OP_MULTIHEAD_ATTENTION,
    SQ_OP_COUNT
} sq_op;

const char *sq_op_name(sq_op op);

/* Input slots. Lengths is slot 3 for every op that takes it. */
enum {
    SQ_SLOT_X = 0,       /* x (every single-input op); a (add, mul) */
    SQ_SLOT_H0 = 1,      /* recurrent */
    SQ_SLOT_C0 = 2,      /* lstm */
    SQ_SLOT_LENGTHS = 3,
    SQ_SLOT_A = 0,
    SQ_SLOT_B = 1,
    SQ_SLOT_QUERY = 0,   /* attention, multihead_attention */
    SQ_SLOT_KEYS = 1,    /* attention "keys"; multihead_attention "key" */
    SQ_SLOT_VALUES = 2,  /* attention "values"; multihead_attention "value" */
    SQ_MAX_SLOTS = 4
};

/* Output slots: the main value and the extras. */
enum {
    SQ_OUT_MAIN = 0,
    SQ_OUT_H_N = 1,      /* recurrent :h_n */
    SQ_OUT_C_N = 2,      /* lstm :c_n */
    SQ_OUT_WEIGHTS = 1,  /* attention, attention_pool, multihead_attention :weights */
    SQ_MAX_OUTS = 3
};

/* Functions of the activation op (SQ_ACT_AFFINE: format 1.1, alpha * x + beta,
 * the sq_attrs fields act_alpha, act_beta). */
enum { SQ_ACT_RELU, SQ_ACT_TANH, SQ_ACT_SIGMOID, SQ_ACT_GELU, SQ_ACT_AFFINE };

/* Gate functions of the recurrent ops (format 1.1 `activations`, ONNX's
 * names): gate_fn.h evaluates them. */
typedef enum sq_gate_fn {
    SQ_GF_SIGMOID, SQ_GF_TANH, SQ_GF_RELU, SQ_GF_AFFINE, SQ_GF_LEAKY_RELU, SQ_GF_THRESHOLDED_RELU,
    SQ_GF_SCALED_TANH, SQ_GF_HARD_SIGMOID, SQ_GF_ELU, SQ_GF_SOFTSIGN, SQ_GF_SOFTPLUS, SQ_GF_COUNT
} sq_gate_fn;
/* One gate function with its parameters (those it does not take are 0). */
typedef struct sq_gate_act {
    int fn;                      /* sq_gate_fn */
    double alpha, beta;
} sq_gate_act;
/* Functions per direction: lstm f, g, h; gru f, g; rnn f. */
enum { SQ_GATE_FNS_MAX = 3, SQ_ACTS_MAX = 2 * SQ_GATE_FNS_MAX };
/* Direction of a recurrent layer (format 1.1 `direction`). */
enum { SQ_DIR_FORWARD, SQ_DIR_REVERSE, SQ_DIR_BIDIRECTIONAL };

/* List attributes (format 1.1). */
typedef struct sq_enum_list { int n; int v[SQ_ACTS_MAX]; } sq_enum_list;
typedef struct sq_float_list { int n; double v[SQ_ACTS_MAX]; } sq_float_list;
enum { SQ_SCORE_DOT, SQ_SCORE_SCALED_DOT, SQ_SCORE_GENERAL, SQ_SCORE_ADDITIVE };

/* Every attribute of every op; each op reads its own (see sq_op_schema). */
typedef struct sq_attrs {
    int64_t input_size, hidden_size, num_layers, proj_size;
    bool bidirectional, bias, peephole, coupled, linear_before_reset;
    int nonlinearity;            /* rnn: SQ_ACT_TANH or SQ_ACT_RELU */
    double dropout;              /* ignored */
    /* Format 1.1 (lstm, gru, rnn). direction agrees with bidirectional
     * once derived; clip 0: none, else every gate pre-activation is
     * bounded to [-clip, clip]; input_forget (lstm): f = 1 - i. */
    int direction;               /* SQ_DIR_* */
    double clip;
    bool input_forget;
    sq_enum_list activations;    /* as given (sq_gate_fn values) */
    sq_float_list activation_alpha, activation_beta;
    /* Derived: gate function j of direction d is act[d * SQ_GATE_FNS_MAX + j]
     * (the op's own functions unless `activations` says otherwise);
     * default_acts: they are those (sigmoid/tanh, or rnn's nonlinearity). */
    sq_gate_act act[SQ_ACTS_MAX];
    bool default_acts;
    int64_t num_embeddings, embedding_dim;
    int64_t depth;
    int64_t in_features, out_features;
    int function;                /* activation: SQ_ACT_* */
    double act_alpha, act_beta;  /* activation affine (1.1): y = act_alpha * x + act_beta */
    int64_t axis, index;         /* softmax, log_softmax, concat, select */
    double p;                    /* dropout: ignored */
    int score;                   /* attention: SQ_SCORE_* */
    int64_t attention_size;      /* attention additive */
    int64_t hidden;              /* attention_pool */
    int activation;              /* attention_pool: SQ_ACT_* */
    int64_t embed_dim, num_heads;
    bool causal;
} sq_attrs;

/* A weight tensor and a value of the graph: defined in model.h. */
typedef struct sq_weight sq_weight;
typedef struct sq_value sq_value;

/* Recurrent weights of layer k, direction d: L->w[(k * D + d) * SQ_RW_COUNT + which]. */
enum {
    SQ_RW_IH, SQ_RW_HH, SQ_RB_IH, SQ_RB_HH, /* weight_ih, weight_hh, bias_ih, bias_hh */
    SQ_RW_HR,                               /* lstm projection */
    SQ_RW_PI, SQ_RW_PF, SQ_RW_PO,           /* lstm peepholes */
    SQ_RW_COUNT
};

/* Weight indices of the other ops (L->w[i]). */
enum {
    SQ_W_EMBEDDING = 0,                                /* embedding: weight */
    SQ_W_LINEAR = 0, SQ_B_LINEAR = 1,                  /* linear: weight, bias */
    SQ_W_GENERAL = 0,                                  /* attention general: weight */
    SQ_W_ADD_Q = 0, SQ_W_ADD_K = 1, SQ_B_ADD_K = 2, SQ_W_ADD_V = 3, /* additive */
    SQ_W_POOL0 = 0, SQ_B_POOL0 = 1, SQ_W_POOL2 = 2, SQ_B_POOL2 = 3, /* attention_pool */
    SQ_W_MHA_IN = 0, SQ_B_MHA_IN = 1, SQ_W_MHA_OUT = 2, SQ_B_MHA_OUT = 3
};

/* How a layer computes (format 1.2 `precision`, docs/model-format/quantization.md):
 * f32 (every 1.0/1.1 layer), weights rounded to bf16 or f16 with float32
 * arithmetic, or PyTorch's int8 dynamic quantization (linear, lstm, gru). */
typedef enum sq_precision { SQ_PREC_F32, SQ_PREC_BF16, SQ_PREC_F16, SQ_PREC_INT8, SQ_PREC_COUNT } sq_precision;
/* The model's `int8_rule`: which engine's int8-dynamic equations. */
enum { SQ_INT8_RULE_NONE, SQ_INT8_RULE_QNNPACK, SQ_INT8_RULE_ONEDNN };
/* "f32", "bf16", "f16", "int8-dynamic". */
const char *sq_precision_name(int precision);

typedef struct sq_layer {
    sq_op op;
    char *name;
    int in[SQ_MAX_SLOTS];    /* value index per slot, -1 when absent */
    int *list;               /* concat: value indices of the "x" list */
    int nlist;
    int out[SQ_MAX_OUTS];    /* value index per output, -1 when the op has none */
    sq_attrs a;
    const sq_weight **w;     /* op-specific order (see the enums above); NULL = absent */
    int nw;
    int precision;           /* sq_precision: its weights are kept in that form (model.h) */
} sq_layer;

/* Number of directions of a recurrent layer. */
static inline int sq_dirs(const sq_layer *L) { return L->a.bidirectional ? 2 : 1; }
/* Whether direction d of a recurrent layer runs from the last step to the
 * first: the second direction of a bidirectional layer, or the only one of
 * a `direction: "reverse"` layer. */
static inline bool sq_dir_reversed(const sq_layer *L, int d)
{
    return d == 1 || L->a.direction == SQ_DIR_REVERSE;
}
/* Gate function j (lstm: 0 f, 1 g, 2 h; gru: 0 f, 1 g; rnn: 0 f) of
 * direction d. */
static inline const sq_gate_act *sq_gate_act_of(const sq_layer *L, int d, int j)
{
    return &L->a.act[d * SQ_GATE_FNS_MAX + j];
}
/* Output width of a recurrent layer: proj_size if projected (an lstm
 * attribute: 0 in every other op's layers), else hidden_size. */
static inline int64_t sq_h_out(const sq_layer *L)
{
    return L->a.proj_size > 0 ? L->a.proj_size : L->a.hidden_size;
}
/* Gate count of a recurrent layer's op, from its schema row (lstm 4, gru 3,
 * rnn 1; 0 for an op that is not recurrent). */
int sq_gates(const sq_layer *L);
static inline const sq_weight *sq_rnn_weight(const sq_layer *L, int k, int d, int which)
{
    return L->w[(k * sq_dirs(L) + d) * SQ_RW_COUNT + which];
}
/* Whether the op is recurrent (its schema row has gates). */
bool sq_is_recurrent(sq_op op);

/* ------------------------------------------------------------ run-time shapes */

typedef struct sq_shape {
    int rank;
    int64_t d[SEQRT_MAX_RANK];
} sq_shape;

/* Concrete shapes of every value for one run (computed by the core). */
typedef struct sq_plan {
    int nvalues;
    sq_shape *shapes;        /* per value */
} sq_plan;

/* A host tensor as ops see it. */
typedef struct sq_view {
    seqrt_dtype dtype;       /* SEQRT_F32 or SEQRT_I32 */
    int rank;
    int64_t d[SEQRT_MAX_RANK];
    void *data;
} sq_view;

static inline float *sq_vf(const sq_view *v) { return (float *)v->data; }
static inline int32_t *sq_vi(const sq_view *v) { return (int32_t *)v->data; }
static inline int64_t sq_view_count(const sq_view *v)
{
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) n *= v->d[i];
    return n;
}

/* `axis` of dims d[0..rank) normalised (negative counts from the end), with
 * the products of the dims before it (*outer) and after it (*inner): a
 * tensor seen as [outer, d[axis], inner]. Returns the axis, or -1 when out
 * of range. */
int sq_axis_split(int rank, const int64_t *d, int64_t axis, int64_t *outer, int64_t *inner);

/* Arguments of one host op call. Layout of sequences: [T, B, F] or, when
 * batch_first, [B, T, F]; recurrent states always [L*D, B, H]. */
typedef struct sq_op_args {
    const seqrt_model *model;
    const sq_layer *layer;
    bool batch_first;
    const sq_view *in[SQ_MAX_SLOTS]; /* NULL when the slot is absent */
    const sq_view *const *list;      /* concat inputs */
    int nlist;
    sq_view *out[SQ_MAX_OUTS];       /* NULL when the op has no such output */
} sq_op_args;

/* The model object and the core's calls on it (model.h), for every file
 * that includes this one. */
#include "model.h"

#endif /* SEQRT_INTERNAL_H */
