/*
 * The stream pool (docs/streams.md), private to seqrt: its structures,
 * shared by stream_pool.c (creation, streams' start, end, eviction, states)
 * and stream_pool_step.c (seqrt_stream_pool_step: check, group, gather, run,
 * scatter, commit). The pool runs the streaming view of the model (stream.c) in a
 * plain session: the carried states are ordinary inputs of the view there,
 * gathered from the streams of a group, and the final states ordinary
 * outputs, scattered back to them. Where the session's backend holds the
 * states itself (session_rows.h: a device), each stream's states are two
 * rows there (banks 0 and 1, the current and the next) and a step only
 * names the rows; the host blocks below are then unused.
 */
#ifndef SEQRT_STREAM_POOL_H
#define SEQRT_STREAM_POOL_H

#include <pthread.h>

#include "internal.h"
#include "stream.h"
#include "stream_pool_exec.h"

/* One carried state of every stream: [LD, B, H] in the view. */
typedef struct sp_state {
    const char *name;        /* the view input's name: "<layer>:state_h" */
    int state_input;         /* index among the view's inputs */
    int final_output;        /* index among the view's outputs */
    int user_input;          /* model input wired to the slot, or -1 */
    int64_t LD, H;
    size_t off;              /* floats into a stream's state block */
} sp_state;

/* Why an id is no longer open (for the message naming it). */
enum { SP_ENDED = 1, SP_EVICTED_IDLE, SP_EVICTED_FULL };

typedef struct sp_gone {
    uint64_t id;
    int why;                 /* SP_*; 0: empty entry */
    double idle;             /* seconds idle when evicted */
} sp_gone;

typedef struct sp_stream {
    bool open;
    bool shaped;             /* dims holds the shape of its first chunk */
    uint64_t id;
    double last;             /* clock at its start or last step */
    uint64_t mark;           /* step number that includes it (duplicates) */
    float *state, *next;     /* state block; the next one, written by a step */
    int bank;                /* states in the session's rows: this stream's are rows bank * cap + slot */
    seqrt_tensor **out;      /* per model output: the last step's */
    seqrt_tensor **next_out;
    bool *stale, *next_stale; /* per model output: a final state still in the session's rows (read when asked) */
    int64_t *dims;           /* per model input: SEQRT_MAX_RANK dims of its chunks */
} sp_stream;

struct seqrt_stream_pool {
    pthread_mutex_t mu;
    const seqrt_model *model;
    sq_stream *stream;       /* the streaming view (its carried state is unused) */
    const seqrt_model *view;
    seqrt_session *session;  /* plain session over the view, made, run and freed on `exec` */
    bool rows;               /* its backend holds every stream's states (session_rows.h) */
    int64_t *gather, *scatter; /* [cap] a group's rows, when `rows` */
    int route_kb, route_k;
    const seqrt_device *dev;
    sp_exec *exec;           /* the pool's own thread (stream_pool_exec.c) */
    size_t cap;
    double timeout;
    int evict_oldest;
    int exact_batch;         /* no padding of a group's batch (batch_of) */
    double (*clock)(void *);
    void *clock_ctx;
    int nin, nout, nvin;     /* model inputs, model outputs, view inputs */
    int *in_state;           /* per model input: the state it feeds, or -1 */
    int *in_batch;           /* per model input: its batch axis (non-state inputs) */
    int *out_batch;          /* per model output: its batch axis */
    int *out_state;          /* per model output: the state it is the final value of, or -1 */
    int nstates;
    sp_state *st;
    size_t state_floats;     /* one stream's state block */
    float *blocks;           /* 2 * cap state blocks */
    sp_stream *s;            /* [cap] */
    sp_gone *gone;           /* ring of 2 * cap */
    size_t gone_next;
    uint64_t steps;
    /* one step's work */
    int *order;              /* [cap] slots of the step's streams, grouped */
    int *member;             /* [cap] step positions of a group */
    bool *grouped;           /* [cap] step positions already in a group */
    const seqrt_tensor **col; /* [cap] one input of a group's members */
    void **gbuf;             /* per view input: gathered batch */
    size_t *gcap;            /* bytes */
    seqrt_tensor **gt;       /* per view input: wrap of gbuf */
};

/* Where the session holds the states of stream slot j in bank b (rows). */
static inline int64_t sp_row(const seqrt_stream_pool *p, size_t j, int b) { return (int64_t)((size_t)b * p->cap + j); }
/* Reads (dst) or writes (src; both NULL: zeros) row `row` of state k on the
 * pool's thread. */
seqrt_status sp_row_io(seqrt_stream_pool *p, int k, int64_t row, float *dst, const float *src);

/* The open stream `id`'s slot, or -1 with an error naming the stream (ended,
 * evicted, never started). */
int sp_find(seqrt_stream_pool *p, uint64_t id);
/* Current time on the pool's clock. */
double sp_now(const seqrt_stream_pool *p);
/* Evicts the streams idle longer than the timeout at `now`; their count. */
size_t sp_evict_idle(seqrt_stream_pool *p, double now);

#endif /* SEQRT_STREAM_POOL_H */
