/*
 * One step of a stream pool (docs/streams.md): every stream's chunk is
 * checked first (the stream is open, named once, its chunk shaped as the
 * model and its earlier chunks say); the streams are grouped by the shape
 * of their chunks (a streamable model takes no lengths, so chunks of one
 * length run together); per group, the chunks and the carried states are
 * gathered along the batch axis, the view runs once, and the outputs and
 * final states are scattered into each stream's next buffers. Only when
 * every group has run are the buffers committed: a failure changes no
 * stream. Where the session holds the states as rows (session_rows.h), the
 * gather and scatter are the backend's, named by rows: each member's
 * current bank in, its next bank out, the banks swapped at the commit.
 */
#include <stdio.h>
#include <string.h>

#include "session_rows.h"
#include "stream_pool.h"
#include "tensor.h"

#define R SEQRT_MAX_RANK

static seqrt_status check_chunk(const seqrt_stream_pool *p, const sp_stream *s, const seqrt_tensor *const *in)
{
    const seqrt_model *m = p->model;
    unsigned long long u = (unsigned long long)s->id;
    for (int i = 0; i < p->nin; i++) {
        if (p->in_state[i] >= 0) continue;
        const sq_value *v = &m->values[m->inputs[i]];
        const seqrt_tensor *t = in[i];
        if (!t) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu: input '%s' is NULL", u, v->name);
        bool want_int = v->dtype == SEQRT_I32;
        if (want_int != (t->dtype != SEQRT_F32))
            return sq_error(SEQRT_ERR_SHAPE, "stream %llu: input '%s' must be %s", u, v->name,
                            want_int ? "int32 or int64" : "float32");
        char want[128], got[128];
        sq_format_dims(m, v->rank, v->dims, want, sizeof want);
        sq_format_dims(NULL, t->rank, t->dims, got, sizeof got);
        if (t->rank != v->rank)
            return sq_error(SEQRT_ERR_SHAPE, "stream %llu: input '%s' has shape %s; expected %s (rank %d)", u, v->name,
                            got, want, v->rank);
        for (int d = 0; d < t->rank; d++) {
            int64_t n = t->dims[d];
            if (n <= 0)
                return sq_error(SEQRT_ERR_SHAPE, "stream %llu: input '%s' has shape %s: dim %d is empty", u, v->name,
                                got, d);
            if (d == p->in_batch[i]) {
                if (n != 1)
                    return sq_error(SEQRT_ERR_SHAPE,
                                    "stream %llu: input '%s' has shape %s; a stream's chunk has a batch of one (dim %d)",
                                    u, v->name, got, d);
                continue;
            }
            if (d == v->time_axis) continue;
            if (v->dims[d] >= 0 && v->dims[d] != n)
                return sq_error(SEQRT_ERR_SHAPE, "stream %llu: input '%s' has shape %s; expected %s (dim %d)", u,
                                v->name, got, want, d);
            if (s->shaped && s->dims[i * R + d] != n) {
                char was[128];
                sq_format_dims(NULL, t->rank, s->dims + i * R, was, sizeof was);
                return sq_error(SEQRT_ERR_SHAPE,
                                "stream %llu: input '%s' has shape %s, but the stream's earlier chunks were %s (dim %d)",
                                u, v->name, got, was, d);
            }
        }
    }
    return SEQRT_OK;
}

/* Whether the chunks of two streams can run in one batch. */
static bool same_shape(const seqrt_stream_pool *p, const seqrt_tensor *const *a, const seqrt_tensor *const *b)
{
    for (int i = 0; i < p->nin; i++) {
        if (p->in_state[i] >= 0) continue;
        if (a[i]->dtype != b[i]->dtype || memcmp(a[i]->dims, b[i]->dims, sizeof(int64_t) * (size_t)a[i]->rank))
            return false;
    }
    return true;
}

static seqrt_status grow(seqrt_stream_pool *p, int vi, size_t bytes)
{
    if (bytes <= p->gcap[vi]) return SEQRT_OK;
    sq_free(p->gbuf[vi]);
    p->gcap[vi] = 0;
    if (!(p->gbuf[vi] = sq_malloc(bytes ? bytes : 1)))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "stream pool: out of memory gathering a batch");
    p->gcap[vi] = bytes;
    return SEQRT_OK;
}

/* [outer, 1, inner] slices of each of the k members' tensors into rows
 * 0..k of [outer, kb, inner]; rows k..kb (the padding) are zeros. */
static void gather(char *dst, const seqrt_tensor **src, int k, int kb, int64_t outer, size_t inner)
{
    if (kb > k) memset(dst, 0, (size_t)outer * (size_t)kb * inner);
    for (int r = 0; r < k; r++) {
        const char *x = src[r]->data;
        for (int64_t o = 0; o < outer; o++) memcpy(dst + ((size_t)o * (size_t)kb + (size_t)r) * inner, x + o * inner, inner);
    }
}

static void split(const int64_t *dims, int rank, int axis, int64_t *outer, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < axis; d++) *outer *= dims[d];
    for (int d = axis + 1; d < rank; d++) *inner *= dims[d];
}

/* The batch a group of k streams runs at: k, or (by default) k padded up
 * to a power of two, at most the capacity — a backend that prepares work
 * per shape (oneDNN's primitive cache holds 24) then sees a few batch sizes,
 * not every one from 1 to the capacity (docs/streams.md: measured). */
static int batch_of(const seqrt_stream_pool *p, int k)
{
    if (p->exact_batch) return k;
    size_t kb = 1;
    while (kb < (size_t)k) kb *= 2;
    return (int)(kb < p->cap ? kb : (p->cap > (size_t)k ? p->cap : (size_t)k));
}

/* The group's inputs gathered into p->gt (the view's inputs), kb rows. */
static seqrt_status gather_group(seqrt_stream_pool *p, const int *pos, int k, int kb, const seqrt_tensor *const *inputs)
{
    const seqrt_tensor **col = p->col;
    seqrt_status st;
    for (int i = 0; i < p->nin; i++) {
        if (p->in_state[i] >= 0) continue;
        for (int r = 0; r < k; r++) col[r] = inputs[(size_t)pos[r] * (size_t)p->nin + (size_t)i];
        const seqrt_tensor *t = col[0];
        int64_t dims[R], outer, inner;
        memcpy(dims, t->dims, sizeof dims);
        dims[p->in_batch[i]] = kb;
        split(dims, t->rank, p->in_batch[i], &outer, &inner);
        size_t es = seqrt_dtype_size(t->dtype);
        if ((st = grow(p, i, (size_t)outer * (size_t)kb * (size_t)inner * es))) return st;
        gather(p->gbuf[i], col, k, kb, outer, (size_t)inner * es);
        if ((st = seqrt_tensor_wrap(&p->gt[i], t->dtype, t->rank, dims, p->gbuf[i]))) return st;
    }
    if (p->rows) { /* the states stay in the session's rows: only which rows */
        for (int r = 0; r < kb; r++) {
            size_t j = r < k ? (size_t)p->order[pos[r]] : 0;
            p->gather[r] = r < k ? sp_row(p, j, p->s[j].bank) : -1;
            if (r < k) p->scatter[r] = sp_row(p, j, 1 - p->s[j].bank);
        }
        p->route_kb = kb;
        p->route_k = k;
        return SEQRT_OK; /* the states and the inputs wired to their slots: NULL */
    }
    for (int q = 0; q < p->nstates; q++) {
        const sp_state *s = &p->st[q];
        int vi = s->state_input;
        size_t H = (size_t)s->H;
        if ((st = grow(p, vi, (size_t)s->LD * (size_t)kb * H * sizeof(float)))) return st;
        float *dst = p->gbuf[vi];
        if (kb > k) memset(dst, 0, (size_t)s->LD * (size_t)kb * H * sizeof(float));
        for (int r = 0; r < k; r++) {
            const float *x = p->s[p->order[pos[r]]].state + s->off;
            for (int64_t l = 0; l < s->LD; l++)
                memcpy(dst + ((size_t)l * (size_t)kb + (size_t)r) * H, x + (size_t)l * H, H * sizeof(float));
        }
        if ((st = seqrt_tensor_wrap(&p->gt[vi], SEQRT_F32, 3, (int64_t[]){s->LD, kb, s->H}, dst))) return st;
    }
    /* model inputs wired to h0/c0 are not read by the view: the state itself */
    for (int i = 0; i < p->nin; i++)
        if (p->in_state[i] >= 0) {
            int vi = p->st[p->in_state[i]].state_input;
            if ((st = seqrt_tensor_wrap(&p->gt[i], SEQRT_F32, 3, p->gt[vi]->dims, p->gbuf[vi]))) return st;
        }
    return SEQRT_OK;
}

/* The outputs of the group's run into the members' next buffers. */
static seqrt_status scatter_group(seqrt_stream_pool *p, const int *pos, int k)
{
    seqrt_status st;
    for (int o = 0; o < p->nout; o++) {
        if (p->rows && p->out_state[o] >= 0) { /* a final state: in the rows, read when asked for */
            const sp_state *q = &p->st[p->out_state[o]];
            for (int r = 0; r < k; r++) {
                sp_stream *s = &p->s[p->order[pos[r]]];
                if (!s->next_out[o] &&
                    (st = seqrt_tensor_create(&s->next_out[o], SEQRT_F32, 3, (int64_t[]){q->LD, 1, q->H})))
                    return st;
                s->next_stale[o] = true;
            }
            continue;
        }
        const seqrt_tensor *t;
        if ((st = seqrt_session_output(p->session, (size_t)o, &t))) return st;
        int b = p->out_batch[o];
        size_t kb = (size_t)t->dims[b]; /* k rows and the padding */
        int64_t dims[R], outer, inner;
        memcpy(dims, t->dims, sizeof dims);
        dims[b] = 1;
        split(dims, t->rank, b, &outer, &inner);
        size_t row = (size_t)inner * sizeof(float);
        for (int r = 0; r < k; r++) {
            sp_stream *s = &p->s[p->order[pos[r]]];
            seqrt_tensor *d = s->next_out[o];
            if (!d || d->rank != t->rank || memcmp(d->dims, dims, sizeof(int64_t) * (size_t)t->rank)) {
                seqrt_tensor_free(d);
                s->next_out[o] = NULL;
                if ((st = seqrt_tensor_create(&s->next_out[o], SEQRT_F32, t->rank, dims))) return st;
                d = s->next_out[o];
            }
            const char *x = t->data;
            for (int64_t q = 0; q < outer; q++)
                memcpy((char *)d->data + (size_t)q * row, x + ((size_t)q * kb + (size_t)r) * row, row);
        }
    }
    for (int q = 0; q < p->nstates && !p->rows; q++) {
        const sp_state *s = &p->st[q];
        const seqrt_tensor *t;
        if ((st = seqrt_session_output(p->session, (size_t)s->final_output, &t))) return st;
        size_t H = (size_t)s->H, kb = (size_t)t->dims[1];
        const float *x = t->data;
        for (int r = 0; r < k; r++) {
            float *dst = p->s[p->order[pos[r]]].next + s->off;
            for (int64_t l = 0; l < s->LD; l++)
                memcpy(dst + (size_t)l * H, x + ((size_t)l * kb + (size_t)r) * H, H * sizeof(float));
        }
    }
    return SEQRT_OK;
}

static void free_wraps(seqrt_stream_pool *p)
{
    for (int i = 0; i < p->nvin; i++) {
        seqrt_tensor_free(p->gt[i]);
        p->gt[i] = NULL;
    }
}

/* "streams 3, 5, 8" (at most the first 8) for a failed run's message. */
static void name_group(const seqrt_stream_pool *p, const int *pos, int k, char *buf, size_t n)
{
    size_t at = (size_t)snprintf(buf, n, "stream%s", k == 1 ? "" : "s");
    for (int r = 0; r < k && r < 8 && at < n; r++)
        at += (size_t)snprintf(buf + at, n - at, "%s %llu", r ? "," : "",
                               (unsigned long long)p->s[p->order[pos[r]]].id);
    if (k > 8 && at < n) snprintf(buf + at, n - at, ", ... (%d in all)", k);
}

static seqrt_status session_run(void *arg)
{
    seqrt_stream_pool *p = arg;
    const seqrt_tensor *const *in = (const seqrt_tensor *const *)p->gt;
    if (p->rows)
        return sq_session_run_rows(p->session, in, (size_t)p->nvin, p->route_kb, p->gather, p->route_k, p->scatter);
    return seqrt_session_run(p->session, in, (size_t)p->nvin);
}

static seqrt_status run_group(seqrt_stream_pool *p, const int *pos, int k, const seqrt_tensor *const *inputs)
{
    seqrt_status st = gather_group(p, pos, k, batch_of(p, k), inputs);
    if (!st) {
        st = sp_exec_call(p->exec, session_run, p); /* on the pool's own thread */
        if (!st) st = scatter_group(p, pos, k);
    }
    free_wraps(p);
    if (st) {
        char who[256];
        name_group(p, pos, k, who, sizeof who);
        sq_error_prefix(st, "stream pool: step of %s", who);
    }
    return st;
}

static void commit(seqrt_stream_pool *p, size_t n, const seqrt_tensor *const *inputs, double now)
{
    for (size_t j = 0; j < n; j++) {
        sp_stream *s = &p->s[p->order[j]];
        float *f = s->state;
        s->state = s->next;
        s->next = f;
        s->bank ^= p->rows; /* the rows the step wrote */
        seqrt_tensor **t = s->out;
        s->out = s->next_out;
        s->next_out = t;
        bool *b = s->stale;
        s->stale = s->next_stale;
        s->next_stale = b;
        s->last = now;
        if (!s->shaped)
            for (int i = 0; i < p->nin; i++)
                if (p->in_state[i] < 0) memcpy(s->dims + i * R, inputs[j * (size_t)p->nin + (size_t)i]->dims, sizeof(int64_t) * R);
        s->shaped = true;
    }
}

static seqrt_status step_locked(seqrt_stream_pool *p, size_t n, const uint64_t *ids, const seqrt_tensor *const *inputs)
{
    if (n > p->cap)
        return sq_error(SEQRT_ERR_LIMIT, "stream pool: a step of %zu streams; the pool holds at most %zu", n, p->cap);
    double now = sp_now(p);
    sp_evict_idle(p, now);
    uint64_t mark = ++p->steps;
    seqrt_status st;
    /* every stream checked before anything runs; order[j]: slot of ids[j] */
    for (size_t j = 0; j < n; j++) {
        int slot = sp_find(p, ids[j]);
        if (slot < 0) return SEQRT_ERR_INVALID_ARGUMENT;
        sp_stream *s = &p->s[slot];
        if (s->mark == mark)
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "stream %llu appears more than once in this step",
                            (unsigned long long)ids[j]);
        s->mark = mark;
        p->order[j] = slot;
        if ((st = check_chunk(p, s, inputs + j * (size_t)p->nin))) return st;
    }
    /* groups of equal chunk shapes, each run once; `done` marks grouped positions */
    bool *done = p->grouped;
    memset(done, 0, n * sizeof *done);
    for (size_t j = 0; j < n; j++) {
        if (done[j]) continue;
        int k = 0;
        for (size_t q = j; q < n; q++)
            if (!done[q] && same_shape(p, inputs + j * (size_t)p->nin, inputs + q * (size_t)p->nin)) {
                done[q] = true;
                p->member[k++] = (int)q;
            }
        if ((st = run_group(p, p->member, k, inputs))) return st;
    }
    commit(p, n, inputs, now);
    return SEQRT_OK;
}

seqrt_status seqrt_stream_pool_step(seqrt_stream_pool *p, size_t n, const uint64_t *ids,
                                    const seqrt_tensor *const *inputs)
{
    sq_clear_error();
    if (!p || (n && (!ids || !inputs)))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_stream_pool_step: NULL argument");
    pthread_mutex_lock(&p->mu);
    seqrt_status st = step_locked(p, n, ids, inputs);
    pthread_mutex_unlock(&p->mu);
    return st;
}
