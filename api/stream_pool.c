/*
 * The stream pool (docs/streams.md): creation, the streams' start and end,
 * idle eviction, the carried states read and written. One step is in
 * stream_pool_step.c. Every public call takes the pool's lock.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "session_rows.h"
#include "stream_pool.h"
#include "tensor.h"

#define DEFAULT_CAPACITY 64
/* A ceiling that keeps cap * state sizes far from overflow. */
#define MAX_CAPACITY ((size_t)1 << 20)

static double monotonic(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double sp_now(const seqrt_stream_pool *p) { return p->clock(p->clock_ctx); }

/* ------------------------------------------------------------ creation */

/* Batch symbol of the view: dim 1 of the states, else the batch axis of
 * the first sequence input. 0 when there is none. */
static int64_t batch_symbol(const seqrt_stream_pool *p, const seqrt_model *v)
{
    if (p->nstates) return v->values[v->inputs[p->st[0].state_input]].dims[1];
    for (int i = 0; i < p->nin; i++) {
        const sq_value *x = &v->values[v->inputs[i]];
        if (x->time_axis >= 0 && x->rank >= 2) return x->dims[x->time_axis == 0 ? 1 : 0];
    }
    return 0;
}

static seqrt_status plan_axes(seqrt_stream_pool *p)
{
    const seqrt_model *v = p->view;
    int64_t bsym = batch_symbol(p, v);
    if (bsym >= 0)
        return sq_error(SEQRT_ERR_UNSUPPORTED,
                        "stream pool: model '%s' has no symbolic batch dimension to gather streams along", v->name);
    for (int i = 0; i < p->nin; i++) {
        p->in_batch[i] = -1;
        if (p->in_state[i] >= 0) continue;
        const sq_value *x = &v->values[v->inputs[i]];
        int b = x->rank >= 2 ? (x->time_axis == 0 ? 1 : 0) : -1;
        if (b < 0 || x->dims[b] != bsym)
            return sq_error(SEQRT_ERR_UNSUPPORTED, "stream pool: input '%s' of model '%s' has no batch axis (%s)",
                            x->name, v->name, p->model->sym_names[-bsym - 1]);
        p->in_batch[i] = b;
    }
    for (int o = 0; o < p->nout; o++) {
        const sq_value *x = &v->values[v->outputs[o]];
        int b = -1;
        for (int d = 0; d < x->rank && b < 0; d++)
            if (x->dims[d] == bsym && d != x->time_axis) b = d;
        if (b < 0)
            return sq_error(SEQRT_ERR_UNSUPPORTED, "stream pool: output '%s' of model '%s' has no batch axis (%s)",
                            x->name, v->name, p->model->sym_names[-bsym - 1]);
        p->out_batch[o] = b;
    }
    return SEQRT_OK;
}

static seqrt_status plan_states(seqrt_stream_pool *p)
{
    const seqrt_model *v = p->view;
    p->nstates = sq_stream_state_count(p->stream);
    for (int o = 0; o < p->nout; o++) p->out_state[o] = -1;
    p->st = sq_calloc((size_t)(p->nstates ? p->nstates : 1), sizeof *p->st);
    if (!p->st) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a stream pool");
    for (int i = 0; i < p->nin; i++) p->in_state[i] = -1;
    size_t off = 0;
    for (int k = 0; k < p->nstates; k++) {
        sp_state *s = &p->st[k];
        sq_stream_state_slot(p->stream, k, &s->state_input, &s->final_output, &s->user_input);
        const sq_value *x = &v->values[v->inputs[s->state_input]];
        s->name = x->name;
        s->LD = x->dims[0];
        s->H = x->dims[2];
        if (x->rank != 3 || s->LD <= 0 || s->H <= 0)
            return sq_error(SEQRT_ERR_UNSUPPORTED, "stream pool: state '%s' of model '%s' has no fixed size", s->name,
                            v->name);
        s->off = off;
        off += (size_t)(s->LD * s->H);
        if (s->user_input >= 0) p->in_state[s->user_input] = k;
        if (s->final_output < p->nout) p->out_state[s->final_output] = k;
    }
    p->state_floats = off;
    return SEQRT_OK;
}

static seqrt_status alloc_streams(seqrt_stream_pool *p)
{
    size_t cap = p->cap, nv = (size_t)p->nvin;
    p->s = sq_calloc(cap, sizeof *p->s);
    p->gone = sq_calloc(2 * cap, sizeof *p->gone);
    p->order = sq_calloc(cap, sizeof *p->order);
    p->member = sq_calloc(cap, sizeof *p->member);
    p->grouped = sq_calloc(cap, sizeof *p->grouped);
    p->col = sq_calloc(cap, sizeof *p->col);
    p->gbuf = sq_calloc(nv, sizeof *p->gbuf);
    p->gcap = sq_calloc(nv, sizeof *p->gcap);
    p->gt = sq_calloc(nv, sizeof *p->gt);
    p->blocks = sq_calloc(2 * cap * (p->state_floats ? p->state_floats : 1), sizeof(float));
    p->gather = sq_calloc(cap, sizeof *p->gather);
    p->scatter = sq_calloc(cap, sizeof *p->scatter);
    if (!p->s || !p->gone || !p->order || !p->member || !p->grouped || !p->col || !p->gbuf || !p->gcap || !p->gt ||
        !p->blocks || !p->gather || !p->scatter)
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a stream pool of capacity %zu", cap);
    size_t nin = (size_t)(p->nin ? p->nin : 1), nout = (size_t)(p->nout ? p->nout : 1);
    for (size_t j = 0; j < cap; j++) {
        sp_stream *s = &p->s[j];
        s->state = p->blocks + (2 * j) * p->state_floats;
        s->next = p->blocks + (2 * j + 1) * p->state_floats;
        s->out = sq_calloc(nout, sizeof *s->out);
        s->next_out = sq_calloc(nout, sizeof *s->next_out);
        s->stale = sq_calloc(nout, sizeof *s->stale);
        s->next_stale = sq_calloc(nout, sizeof *s->next_stale);
        s->dims = sq_calloc(nin * SEQRT_MAX_RANK, sizeof *s->dims);
        if (!s->out || !s->next_out || !s->stale || !s->next_stale || !s->dims)
            return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a stream pool of capacity %zu", cap);
    }
    return SEQRT_OK;
}

static void close_stream(seqrt_stream_pool *p, sp_stream *s, int why, double idle)
{
    for (int o = 0; o < p->nout; o++) {
        seqrt_tensor_free(s->out[o]);
        seqrt_tensor_free(s->next_out[o]);
        s->out[o] = s->next_out[o] = NULL;
        s->stale[o] = s->next_stale[o] = false;
    }
    s->open = false;
    s->shaped = false;
    sp_gone *g = &p->gone[p->gone_next];
    p->gone_next = (p->gone_next + 1) % (2 * p->cap);
    g->id = s->id;
    g->why = why;
    g->idle = idle;
}

static seqrt_status session_make(void *arg)
{
    seqrt_stream_pool *p = arg;
    return seqrt_session_create(&p->session, p->view, p->dev, NULL);
}

/* Offers the session's backend every stream's states (session_rows.h);
 * where it declines, or cannot, the pool keeps them on the host. */
static seqrt_status rows_make(void *arg)
{
    seqrt_stream_pool *p = arg;
    sq_carry_slot *slots = sq_calloc((size_t)(p->nstates ? p->nstates : 1), sizeof *slots);
    if (!slots) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a stream pool");
    for (int k = 0; k < p->nstates; k++) slots[k] = (sq_carry_slot){p->st[k].state_input, p->st[k].final_output};
    seqrt_status st = sq_session_hold_rows(p->session, p->nstates, slots, 2 * p->cap, 0);
    sq_free(slots);
    if (st == SEQRT_ERR_INVALID_ARGUMENT) return st; /* SEQRT_STREAM_STATE */
    p->rows = st == SEQRT_OK;
    if (st && st != SEQRT_ERR_UNSUPPORTED)
        sq_log(SQ_LOG_INFO, "stream pool: the states stay on the host: %s", seqrt_last_error());
    return SEQRT_OK;
}

typedef struct row_call {
    seqrt_stream_pool *p;
    int k;
    int64_t row;
    float *dst;
    const float *src;
} row_call;

static seqrt_status row_run(void *arg)
{
    row_call *c = arg;
    if (c->dst) return sq_session_row_read(c->p->session, c->k, (size_t)c->row, c->dst);
    return sq_session_row_write(c->p->session, c->k, (size_t)c->row, c->src);
}

seqrt_status sp_row_io(seqrt_stream_pool *p, int k, int64_t row, float *dst, const float *src)
{
    row_call c = {p, k, row, dst, src};
    return sp_exec_call(p->exec, row_run, &c);
}

static seqrt_status session_drop(void *arg)
{
    seqrt_stream_pool *p = arg;
    seqrt_session_free(p->session);
    p->session = NULL;
    return SEQRT_OK;
}

void seqrt_stream_pool_free(seqrt_stream_pool *p)
{
    if (!p) return;
    if (p->session) sp_exec_call(p->exec, session_drop, p);
    sp_exec_stop(p->exec);
    if (p->s)
        for (size_t j = 0; j < p->cap; j++) {
            sp_stream *s = &p->s[j];
            for (int o = 0; s->out && o < p->nout; o++) seqrt_tensor_free(s->out[o]);
            for (int o = 0; s->next_out && o < p->nout; o++) seqrt_tensor_free(s->next_out[o]);
            sq_free(s->out);
            sq_free(s->next_out);
            sq_free(s->stale);
            sq_free(s->next_stale);
            sq_free(s->dims);
        }
    for (int i = 0; p->gbuf && i < p->nvin; i++) sq_free(p->gbuf[i]);
    sq_stream_free(p->stream);
    sq_free(p->s);
    sq_free(p->gone);
    sq_free(p->order);
    sq_free(p->member);
    sq_free(p->grouped);
    sq_free(p->col);
    sq_free(p->gbuf);
    sq_free(p->gcap);
    sq_free(p->gt);
    sq_free(p->blocks);
    sq_free(p->gather);
    sq_free(p->scatter);
    sq_free(p->st);
    sq_free(p->in_state);
    sq_free(p->in_batch);
    sq_free(p->out_batch);
    sq_free(p->out_state);
    pthread_mutex_destroy(&p->mu);
    sq_free(p);
}

seqrt_status seqrt_stream_pool_create(seqrt_stream_pool **out, const seqrt_model *m, const seqrt_device *dev,
                                      const seqrt_stream_pool_options *opt)
{
    sq_clear_error();
    if (out) *out = NULL;
    if (!out || !m) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_stream_pool_create: NULL argument");
    seqrt_stream_pool_options o = {0};
    if (opt) o = *opt;
    if (o.capacity > MAX_CAPACITY)
        return sq_error(SEQRT_ERR_LIMIT, "stream pool: capacity %zu is beyond the limit %zu", o.capacity,
                        MAX_CAPACITY);
    if (!(o.idle_timeout_s >= 0))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream pool: idle_timeout_s %g must be >= 0 (0: never)",
                        o.idle_timeout_s);
    seqrt_status st;
    if (!dev && (st = seqrt_device_find(&dev, NULL))) return st;
    seqrt_stream_pool *p = sq_calloc(1, sizeof *p);
    if (!p) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a stream pool");
    pthread_mutex_init(&p->mu, NULL);
    p->model = m;
    p->cap = o.capacity ? o.capacity : DEFAULT_CAPACITY;
    p->timeout = o.idle_timeout_s;
    p->evict_oldest = o.evict_oldest;
    p->exact_batch = o.exact_batch;
    p->clock = o.clock ? o.clock : monotonic;
    p->clock_ctx = o.clock_ctx;
    p->nin = m->ninputs;
    p->nout = m->noutputs;
    if ((st = sq_stream_create(&p->stream, m))) {
        sq_error_prefix(st, "stream pool");
        goto fail;
    }
    p->view = sq_stream_view(p->stream);
    p->nvin = p->view->ninputs;
    p->in_state = sq_calloc((size_t)(p->nin ? p->nin : 1), sizeof *p->in_state);
    p->in_batch = sq_calloc((size_t)(p->nin ? p->nin : 1), sizeof *p->in_batch);
    p->out_batch = sq_calloc((size_t)(p->nout ? p->nout : 1), sizeof *p->out_batch);
    p->out_state = sq_calloc((size_t)(p->nout ? p->nout : 1), sizeof *p->out_state);
    if (!p->in_state || !p->in_batch || !p->out_batch || !p->out_state) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a stream pool");
        goto fail;
    }
    if ((st = plan_states(p)) || (st = plan_axes(p)) || (st = alloc_streams(p))) goto fail;
    p->dev = dev;
    if ((st = sp_exec_start(&p->exec))) goto fail;
    if ((st = sp_exec_call(p->exec, session_make, p)) || (st = sp_exec_call(p->exec, rows_make, p))) {
        sq_error_prefix(st, "stream pool");
        goto fail;
    }
    *out = p;
    return SEQRT_OK;
fail:
    seqrt_stream_pool_free(p);
    return st;
}

size_t seqrt_stream_pool_capacity(const seqrt_stream_pool *p) { return p ? p->cap : 0; }

size_t seqrt_stream_pool_state_count(const seqrt_stream_pool *p) { return p ? (size_t)p->nstates : 0; }

seqrt_status seqrt_stream_pool_state_info(const seqrt_stream_pool *p, size_t i, const char **name, int64_t dims[3],
                                          int *model_input)
{
    sq_clear_error();
    if (!p || i >= (size_t)p->nstates)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_stream_pool_state_info: no state %zu (the pool has %d)", i,
                        p ? p->nstates : 0);
    const sp_state *s = &p->st[i];
    if (name) *name = s->name;
    if (dims) dims[0] = s->LD, dims[1] = 1, dims[2] = s->H;
    if (model_input) *model_input = s->user_input;
    return SEQRT_OK;
}

/* ------------------------------------------------------------ streams */

int sp_find(seqrt_stream_pool *p, uint64_t id)
{
    for (size_t j = 0; j < p->cap; j++)
        if (p->s[j].open && p->s[j].id == id) return (int)j;
    unsigned long long u = (unsigned long long)id;
    for (size_t k = 0; k < 2 * p->cap; k++) { /* the latest record first */
        const sp_gone *g = &p->gone[(p->gone_next + 2 * p->cap - 1 - k) % (2 * p->cap)];
        if (!g->why || g->id != id) continue;
        if (g->why == SP_ENDED) sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu has ended", u);
        else if (g->why == SP_EVICTED_IDLE)
            sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu was evicted: idle %.3g s, longer than the timeout %.3g s",
                     u, g->idle, p->timeout);
        else
            sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                     "stream %llu was evicted to make room for a new stream (the pool was full; evict_oldest)", u);
        return -1;
    }
    sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu is not open (never started)", u);
    return -1;
}

size_t sp_evict_idle(seqrt_stream_pool *p, double now)
{
    size_t n = 0;
    if (p->timeout <= 0) return 0;
    for (size_t j = 0; j < p->cap; j++) {
        sp_stream *s = &p->s[j];
        if (s->open && now - s->last > p->timeout) {
            close_stream(p, s, SP_EVICTED_IDLE, now - s->last);
            n++;
        }
    }
    if (n) sq_log(SQ_LOG_INFO, "stream pool: %zu idle stream(s) evicted", n);
    return n;
}

size_t seqrt_stream_pool_open_count(seqrt_stream_pool *p)
{
    if (!p) return 0;
    pthread_mutex_lock(&p->mu);
    size_t n = 0;
    for (size_t j = 0; j < p->cap; j++) n += p->s[j].open;
    pthread_mutex_unlock(&p->mu);
    return n;
}

int seqrt_stream_pool_is_open(seqrt_stream_pool *p, uint64_t id)
{
    if (!p) return 0;
    pthread_mutex_lock(&p->mu);
    int open = 0;
    for (size_t j = 0; j < p->cap && !open; j++) open = p->s[j].open && p->s[j].id == id;
    pthread_mutex_unlock(&p->mu);
    return open;
}

/* State `k` given by the caller for stream `id`: float32 [LD, 1, H]. */
static seqrt_status check_state(const seqrt_stream_pool *p, uint64_t id, size_t k, const seqrt_tensor *t)
{
    const sp_state *s = &p->st[k];
    if (t->dtype == SEQRT_F32 && t->rank == 3 && t->dims[0] == s->LD && t->dims[1] == 1 && t->dims[2] == s->H)
        return SEQRT_OK;
    char got[128];
    sq_format_dims(NULL, t->rank, t->dims, got, sizeof got);
    return sq_error(SEQRT_ERR_SHAPE, "stream %llu: state '%s' is %s %s; it must be float32 [%lld, 1, %lld]",
                    (unsigned long long)id, s->name, t->dtype == SEQRT_F32 ? "float32" : "integer", got,
                    (long long)s->LD, (long long)s->H);
}

static seqrt_status start_locked(seqrt_stream_pool *p, uint64_t id, const seqrt_tensor *const *states, size_t n)
{
    unsigned long long u = (unsigned long long)id;
    double now = sp_now(p);
    sp_evict_idle(p, now);
    if ((states == NULL) != (n == 0) || (n && n != (size_t)p->nstates))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "stream %llu: %zu initial state(s) given; the model carries %d (or give none: zeros)", u, n,
                        p->nstates);
    for (size_t k = 0; k < n; k++) {
        seqrt_status st;
        if (states[k] && (st = check_state(p, id, k, states[k]))) return st;
    }
    int free_slot = -1, oldest = -1;
    for (size_t j = 0; j < p->cap; j++) {
        const sp_stream *s = &p->s[j];
        if (s->open && s->id == id) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu is already open", u);
        if (!s->open && free_slot < 0) free_slot = (int)j;
        if (s->open && (oldest < 0 || s->last < p->s[oldest].last)) oldest = (int)j;
    }
    if (free_slot < 0 && !p->evict_oldest)
        return sq_error(SEQRT_ERR_LIMIT,
                        "stream %llu cannot start: the pool is full (capacity %zu); end a stream, or create the "
                        "pool with evict_oldest",
                        u, p->cap);
    int slot = free_slot >= 0 ? free_slot : oldest;
    /* states held by the session: written into the slot's other bank, so a
     * failure leaves the stream evicted below (if any) as it was */
    int bank = 1 - p->s[slot].bank;
    for (int k = 0; p->rows && k < p->nstates; k++) {
        seqrt_status st = sp_row_io(p, k, sp_row(p, (size_t)slot, bank), NULL, n && states[k] ? states[k]->data : NULL);
        if (st) return sq_error_prefix(st, "stream %llu cannot start", u);
    }
    if (free_slot < 0) {
        sq_log(SQ_LOG_INFO, "stream pool: stream %llu evicted for stream %llu (full)",
               (unsigned long long)p->s[oldest].id, u);
        close_stream(p, &p->s[oldest], SP_EVICTED_FULL, now - p->s[oldest].last);
    }
    sp_stream *s = &p->s[slot];
    s->bank = bank;
    s->open = true;
    s->shaped = false;
    s->id = id;
    s->last = now;
    for (size_t k = 0; k < (size_t)p->nstates; k++) {
        float *dst = s->state + p->st[k].off;
        size_t count = (size_t)(p->st[k].LD * p->st[k].H);
        if (n && states[k]) memcpy(dst, states[k]->data, count * sizeof(float));
        else memset(dst, 0, count * sizeof(float));
    }
    return SEQRT_OK;
}

seqrt_status seqrt_stream_pool_start(seqrt_stream_pool *p, uint64_t id, const seqrt_tensor *const *states, size_t n)
{
    sq_clear_error();
    if (!p) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_stream_pool_start: NULL pool");
    pthread_mutex_lock(&p->mu);
    seqrt_status st = start_locked(p, id, states, n);
    pthread_mutex_unlock(&p->mu);
    return st;
}

seqrt_status seqrt_stream_pool_end(seqrt_stream_pool *p, uint64_t id)
{
    sq_clear_error();
    if (!p) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_stream_pool_end: NULL pool");
    pthread_mutex_lock(&p->mu);
    int j = sp_find(p, id);
    if (j >= 0) close_stream(p, &p->s[j], SP_ENDED, 0);
    pthread_mutex_unlock(&p->mu);
    return j >= 0 ? SEQRT_OK : SEQRT_ERR_INVALID_ARGUMENT;
}

seqrt_status seqrt_stream_pool_evict_idle(seqrt_stream_pool *p, size_t *evicted)
{
    sq_clear_error();
    if (evicted) *evicted = 0;
    if (!p) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_stream_pool_evict_idle: NULL pool");
    pthread_mutex_lock(&p->mu);
    size_t n = sp_evict_idle(p, sp_now(p));
    pthread_mutex_unlock(&p->mu);
    if (evicted) *evicted = n;
    return SEQRT_OK;
}

/* Output o of stream slot j, when it is a final state the last step left
 * in the session's rows: read now (the row holds it until the stream's
 * next step or set_state, which reads it first). */
static seqrt_status read_stale(seqrt_stream_pool *p, size_t j, size_t o)
{
    sp_stream *s = &p->s[j];
    if (!s->stale[o]) return SEQRT_OK;
    seqrt_status st = sp_row_io(p, p->out_state[o], sp_row(p, j, s->bank), s->out[o]->data, NULL);
    if (!st) s->stale[o] = false;
    return st;
}

seqrt_status seqrt_stream_pool_output(seqrt_stream_pool *p, uint64_t id, size_t i, const seqrt_tensor **out)
{
    sq_clear_error();
    if (out) *out = NULL;
    if (!p || !out) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_stream_pool_output: NULL argument");
    pthread_mutex_lock(&p->mu);
    seqrt_status st = SEQRT_OK;
    int j = sp_find(p, id);
    if (j < 0) st = SEQRT_ERR_INVALID_ARGUMENT;
    else if (i >= (size_t)p->nout)
        st = sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu: no output %zu (the model has %d)",
                      (unsigned long long)id, i, p->nout);
    else if (!p->s[j].out[i])
        st = sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu has not run a step yet", (unsigned long long)id);
    else if (!(st = read_stale(p, (size_t)j, i)))
        *out = p->s[j].out[i];
    pthread_mutex_unlock(&p->mu);
    return st;
}

/* get (dst) or set (src) state k of stream id. */
static seqrt_status state_io(seqrt_stream_pool *p, uint64_t id, size_t k, seqrt_tensor *dst, const seqrt_tensor *src)
{
    const char *fn = dst ? "seqrt_stream_pool_get_state" : "seqrt_stream_pool_set_state";
    sq_clear_error();
    if (!p || (!dst && !src)) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    pthread_mutex_lock(&p->mu);
    seqrt_status st = SEQRT_OK;
    int j = sp_find(p, id);
    if (j < 0) st = SEQRT_ERR_INVALID_ARGUMENT;
    else if (k >= (size_t)p->nstates)
        st = sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu: no state %zu (the model carries %d)",
                      (unsigned long long)id, k, p->nstates);
    else if (!(st = check_state(p, id, k, dst ? dst : src)) && p->rows) {
        for (int o = 0; src && !st && o < p->nout; o++) st = read_stale(p, (size_t)j, (size_t)o);
        if (!st)
            st = sp_row_io(p, (int)k, sp_row(p, (size_t)j, p->s[j].bank), dst ? dst->data : NULL,
                           src ? src->data : NULL);
    } else if (!st) {
        float *mine = p->s[j].state + p->st[k].off;
        size_t bytes = (size_t)(p->st[k].LD * p->st[k].H) * sizeof(float);
        if (dst) memcpy(dst->data, mine, bytes);
        else memcpy(mine, src->data, bytes);
    }
    pthread_mutex_unlock(&p->mu);
    return st;
}

seqrt_status seqrt_stream_pool_get_state(seqrt_stream_pool *p, uint64_t id, size_t k, seqrt_tensor *dst)
{
    return state_io(p, id, k, dst, NULL);
}

seqrt_status seqrt_stream_pool_set_state(seqrt_stream_pool *p, uint64_t id, size_t k, const seqrt_tensor *src)
{
    return state_io(p, id, k, NULL, src);
}
