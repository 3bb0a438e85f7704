/*
 * Sessions: a model prepared for one device. seqrt_session_run checks every
 * input (dtype, rank, dims, symbols, ids, lengths) and plans every shape
 * before the backend computes anything, then hands the backend host views of
 * the inputs and of the output buffers (the caller's own when bound).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "formats.h"
#include "ops.h"
#include "session_rows.h"
#include "shape.h"
#include "stream.h"
#include "tensor.h"

struct seqrt_session {
    const seqrt_model *model;     /* the user's model */
    sq_stream *stream;            /* streaming: the view and its carried state, or NULL */
    const seqrt_model *view;      /* streaming view (owned by stream), or NULL */
    const seqrt_model *exec;      /* what the backend runs: view or model */
    seqrt_model *widened;         /* SEQRT_PRECISION=f32 / options->precision: the f32 view (model.h), or NULL */
    const seqrt_device *device;
    void *impl;
    sq_shape *shapes;             /* per exec value */
    int64_t *syms;                /* per symbol of the model */
    sq_view *in_views;            /* per exec input */
    const sq_view **in_ptrs;
    sq_view *out_views;           /* per exec output */
    sq_view **out_ptrs;
    int32_t **conv;               /* per model input: int64 -> int32 */
    size_t *conv_cap;
    seqrt_tensor **outs;          /* per model output: session-owned */
    seqrt_tensor **bound;         /* per model output: caller-owned, or NULL */
    float **extra;                /* per exec output beyond the model's */
    size_t *extra_cap;
    /* streaming with the carried states held by the backend (carry_init) */
    bool held;
    int *final_of;                /* per model output: the carried state it is the final value of, or -1 */
    bool *lazy;                   /* per model output: this run leaves it on the device */
    bool *pending;                /* per model output: the last run's value not read from the device yet */
    /* a stream pool's session with the states in rows (sq_session_hold_rows) */
    bool rows;
    bool *row_input;              /* per model input: NULL in a run on rows (a state, or an input it replaces) */
    bool *row_unread;             /* per model output: a final state never read to the host */
    int route_kb;                 /* > 0: the run in progress is on rows, at this batch */
};

static void session_destroy(seqrt_session *s)
{
    if (!s) return;
    if (s->impl) s->device->iface->session->free(s->impl);
    const seqrt_model *m = s->model, *e = s->exec;
    if (s->conv)
        for (int i = 0; i < m->ninputs; i++) sq_free(s->conv[i]);
    if (s->outs)
        for (int o = 0; o < m->noutputs; o++) seqrt_tensor_free(s->outs[o]);
    if (s->extra && e)
        for (int o = m->noutputs; o < e->noutputs; o++) sq_free(s->extra[o - m->noutputs]);
    sq_free(s->shapes);
    sq_free(s->syms);
    sq_free(s->in_views);
    sq_free(s->in_ptrs);
    sq_free(s->out_views);
    sq_free(s->out_ptrs);
    sq_free(s->conv);
    sq_free(s->conv_cap);
    sq_free(s->outs);
    sq_free(s->bound);
    sq_free(s->extra);
    sq_free(s->extra_cap);
    sq_free(s->final_of);
    sq_free(s->lazy);
    sq_free(s->pending);
    sq_free(s->row_input);
    sq_free(s->row_unread);
    sq_stream_free(s->stream);
    sq_model_destroy(s->widened);
    sq_free(s);
}

/* Whether the session computes every layer in f32: the option, else the
 * environment's SEQRT_PRECISION ("f32"; unset or "" leaves each layer at
 * its own precision; anything else is an error naming it). */
static seqrt_status widen_asked(const seqrt_session_options *opt, bool *out)
{
    const char *v = opt && opt->precision && *opt->precision ? opt->precision : NULL;
    const char *what = "session option precision";
    if (!v) {
        v = getenv("SEQRT_PRECISION");
        what = "SEQRT_PRECISION";
        if (v && !*v) v = NULL;
    }
    *out = v != NULL;
    if (v && strcmp(v, "f32"))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "%s = \"%s\": the only precision a session widens to is \"f32\" (unset: each layer "
                        "computes at its own)",
                        what, v);
    return SEQRT_OK;
}

/* Whether a streaming session lets its backend hold the carried states
 * (when the backend offers to): SEQRT_STREAM_STATE unset, "" or "auto"
 * yes, "host" no (the core's host copies: to compare, or to measure). */
static seqrt_status hold_asked(bool *out)
{
    const char *v = getenv("SEQRT_STREAM_STATE");
    *out = !v || !*v || !strcmp(v, "auto");
    if (!*out && strcmp(v, "host"))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "SEQRT_STREAM_STATE = \"%s\": expected \"auto\" (the backend keeps a streaming session's "
                        "state where it computes, if it can) or \"host\"",
                        v);
    return SEQRT_OK;
}

static seqrt_status state_write(void *ctx, int i, const sq_shape *sh, const float *data)
{
    seqrt_session *s = ctx;
    seqrt_status st = s->device->iface->session->state_write(s->impl, i, sh, data);
    return st ? sq_error_prefix(st, "backend '%s' (device %zu): streaming state", s->device->backend->name,
                                s->device->index)
              : SEQRT_OK;
}

/* Offers the backend the carried states (sq_session_iface.carry_init);
 * where it takes them, the model outputs that are final states are read
 * from it only when asked for (seqrt_session_output). */
static seqrt_status hold_states(seqrt_session *s)
{
    const sq_session_iface *si = s->device->iface->session;
    bool want;
    seqrt_status st = hold_asked(&want);
    if (st || !want || !si->carry_init || !si->state_write || !si->state_read) return st;
    int n = sq_stream_state_count(s->stream), nout = s->model->noutputs;
    sq_carry_slot *slots = sq_calloc((size_t)(n ? n : 1), sizeof *slots);
    s->final_of = sq_calloc((size_t)(nout ? nout : 1), sizeof *s->final_of);
    s->lazy = sq_calloc((size_t)(nout ? nout : 1), sizeof *s->lazy);
    s->pending = sq_calloc((size_t)(nout ? nout : 1), sizeof *s->pending);
    if (!slots || !s->final_of || !s->lazy || !s->pending) {
        sq_free(slots);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a streaming session");
    }
    for (int o = 0; o < nout; o++) s->final_of[o] = -1;
    for (int i = 0; i < n; i++) {
        int user;
        sq_stream_state_slot(s->stream, i, &slots[i].state_input, &slots[i].final_output, &user);
        if (slots[i].final_output < nout) s->final_of[slots[i].final_output] = i;
    }
    st = si->carry_init(s->impl, n, slots);
    sq_free(slots);
    if (st) { /* the backend declines: the core's host copies */
        sq_clear_error();
        return SEQRT_OK;
    }
    s->held = true;
    sq_stream_hold_elsewhere(s->stream, state_write, s);
    return SEQRT_OK;
}

void seqrt_session_free(seqrt_session *s) { session_destroy(s); }

const seqrt_device *seqrt_session_device(const seqrt_session *s) { return s ? s->device : NULL; }

seqrt_status seqrt_session_create(seqrt_session **out, const seqrt_model *m, const seqrt_device *dev,
                                  const seqrt_session_options *opt)
{
    sq_clear_error();
    if (out) *out = NULL; /* on every failure, NULL arguments included */
    if (!out || !m) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_session_create: NULL argument");
    seqrt_status st;
    bool widen;
    if ((st = widen_asked(opt, &widen))) return st;
    if (!dev && (st = seqrt_device_find(&dev, NULL))) return st;
    seqrt_model *widened = NULL;
    if (widen && sq_model_has_reduced_precision(m) && (st = sq_model_widen(m, &widened))) return st;
    const seqrt_model *base = widened ? widened : m;
    /* every layer must be supported: no silent fallback to another backend */
    if ((st = sq_ops_check(dev, base))) {
        sq_model_destroy(widened);
        return st;
    }
    seqrt_session *s = sq_calloc(1, sizeof *s);
    if (!s) {
        sq_model_destroy(widened);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    s->model = m;
    s->exec = base;
    s->widened = widened;
    s->device = dev;
    if (opt && opt->streaming) {
        if ((st = sq_stream_create(&s->stream, base))) goto fail;
        s->exec = s->view = sq_stream_view(s->stream);
    }
    const seqrt_model *e = s->exec;
    size_t nv = (size_t)e->nvalues, ni = (size_t)e->ninputs, no = (size_t)e->noutputs;
    size_t nextra = no - (size_t)m->noutputs;
    s->shapes = sq_calloc(nv, sizeof *s->shapes);
    s->syms = sq_calloc((size_t)(m->nsyms ? m->nsyms : 1), sizeof *s->syms);
    s->in_views = sq_calloc(ni, sizeof *s->in_views);
    s->in_ptrs = sq_calloc(ni, sizeof *s->in_ptrs);
    s->out_views = sq_calloc(no, sizeof *s->out_views);
    s->out_ptrs = sq_calloc(no, sizeof *s->out_ptrs);
    s->conv = sq_calloc((size_t)m->ninputs, sizeof *s->conv);
    s->conv_cap = sq_calloc((size_t)m->ninputs, sizeof *s->conv_cap);
    s->outs = sq_calloc((size_t)m->noutputs, sizeof *s->outs);
    s->bound = sq_calloc((size_t)m->noutputs, sizeof *s->bound);
    s->extra = sq_calloc(nextra ? nextra : 1, sizeof *s->extra);
    s->extra_cap = sq_calloc(nextra ? nextra : 1, sizeof *s->extra_cap);
    if (!s->shapes || !s->syms || !s->in_views || !s->in_ptrs || !s->out_views || !s->out_ptrs || !s->conv ||
        !s->conv_cap || !s->outs || !s->bound || !s->extra || !s->extra_cap) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a session");
        goto fail;
    }
    for (size_t i = 0; i < ni; i++) s->in_ptrs[i] = &s->in_views[i];
    for (size_t o = 0; o < no; o++) s->out_ptrs[o] = &s->out_views[o];
    if ((st = dev->iface->session_create(dev, e, &s->impl))) {
        s->impl = NULL;
        sq_error_prefix(st, "backend '%s' (device %zu)", dev->backend->name, dev->index);
        goto fail;
    }
    if (s->stream && (st = hold_states(s))) goto fail;
    sq_log(SQ_LOG_INFO, "session: model '%s' on %s:%zu (%s)%s", m->name, dev->backend->name, dev->index,
           dev->name, !s->view ? "" : s->held ? ", streaming (the backend holds the state)" : ", streaming");
    *out = s;
    return SEQRT_OK;
fail:
    session_destroy(s);
    return st;
}

/* ------------------------------------------------------------ input checks */

/* A state input (or one it replaces) of a run on rows: [L*D, kb, H], its
 * data in the backend's rows. */
static void bind_row_input(seqrt_session *s, int i)
{
    const sq_value *v = &s->model->values[s->model->inputs[i]];
    sq_shape *sh = &s->shapes[s->model->inputs[i]];
    sh->rank = 3;
    sh->d[0] = v->dims[0], sh->d[1] = s->route_kb, sh->d[2] = v->dims[2];
    sq_view *iv = &s->in_views[i];
    iv->dtype = SEQRT_F32;
    iv->rank = 3;
    memcpy(iv->d, sh->d, sizeof iv->d);
    iv->data = NULL;
}

static seqrt_status bind_input(seqrt_session *s, int i, const seqrt_tensor *t)
{
    const seqrt_model *m = s->model;
    const sq_value *v = &m->values[m->inputs[i]];
    char want[128], got[128];
    if (!t && s->route_kb && s->row_input[i]) {
        bind_row_input(s, i);
        return SEQRT_OK;
    }
    if (!t) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "input '%s' is NULL", v->name);
    bool want_int = v->dtype == SEQRT_I32;
    if (want_int != (t->dtype != SEQRT_F32))
        return sq_error(SEQRT_ERR_SHAPE, "input '%s' must be %s, got %s", v->name,
                        want_int ? "int32 or int64 (ids, lengths)" : "float32",
                        t->dtype == SEQRT_F32 ? "float32" : t->dtype == SEQRT_I32 ? "int32" : "int64");
    sq_format_dims(m, v->rank, v->dims, want, sizeof want);
    sq_format_dims(NULL, t->rank, t->dims, got, sizeof got);
    if (t->rank != v->rank)
        return sq_error(SEQRT_ERR_SHAPE, "input '%s' has shape %s; expected %s (rank %d)", v->name, got, want, v->rank);
    for (int d = 0; d < v->rank; d++) {
        int64_t n = t->dims[d];
        if (n == 0) return sq_error(SEQRT_ERR_SHAPE, "input '%s' has shape %s: dim %d is empty", v->name, got, d);
        /* a streaming session takes chunks of any length on the time axis */
        if (v->dims[d] >= 0 && !(s->view && d == v->time_axis)) {
            if (v->dims[d] != n)
                return sq_error(SEQRT_ERR_SHAPE, "input '%s' has shape %s; expected %s (dim %d)", v->name, got, want, d);
            continue;
        }
        if (v->dims[d] >= 0) continue;
        int sym = (int)(-v->dims[d] - 1);
        if (s->syms[sym] == 0) {
            s->syms[sym] = n;
        } else if (s->syms[sym] != n) {
            return sq_error(SEQRT_ERR_SHAPE, "input '%s' has shape %s, but %s = %lld from an earlier input (dim %d)",
                            v->name, got, m->sym_names[sym], (long long)s->syms[sym], d);
        }
    }
    sq_shape *sh = &s->shapes[m->inputs[i]];
    sh->rank = t->rank;
    memcpy(sh->d, t->dims, sizeof sh->d);
    /* the view the backend reads: int64 becomes int32, range-checked */
    sq_view *iv = &s->in_views[i];
    iv->dtype = v->dtype;
    iv->rank = t->rank;
    memcpy(iv->d, t->dims, sizeof iv->d);
    iv->data = t->data;
    if (t->dtype == SEQRT_I64) {
        if (t->count > s->conv_cap[i]) {
            sq_free(s->conv[i]);
            s->conv_cap[i] = 0;
            if (!(s->conv[i] = sq_malloc(t->count * sizeof(int32_t))))
                return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory converting input '%s'", v->name);
            s->conv_cap[i] = t->count;
        }
        const int64_t *src = t->data;
        for (size_t k = 0; k < t->count; k++) {
            if (src[k] < INT32_MIN || src[k] > INT32_MAX)
                return sq_error(SEQRT_ERR_RANGE, "input '%s': value %lld at flat index %zu does not fit in int32",
                                v->name, (long long)src[k], k);
            s->conv[i][k] = (int32_t)src[k];
        }
        iv->data = s->conv[i];
    }
    return SEQRT_OK;
}

/* Flat index -> "[i, j, k]" for messages. */
static void format_index(const sq_shape *sh, size_t flat, char *buf, size_t n)
{
    int64_t idx[SEQRT_MAX_RANK];
    for (int d = sh->rank - 1; d >= 0; d--) {
        idx[d] = (int64_t)flat % sh->d[d];
        flat /= (size_t)sh->d[d];
    }
    sq_format_dims(NULL, sh->rank, idx, buf, n);
}

/* Ids within their bound, lengths within [0, T], as the op schema's
 * integer slots say. Integer values are always model inputs (no op
 * produces one). */
static seqrt_status check_int_data(seqrt_session *s)
{
    const seqrt_model *m = s->model;
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        const sq_op_schema *sc = sq_op_schema_get(L->op);
        for (int slot = 0; slot < SQ_MAX_SLOTS; slot++) {
            const sq_slot_spec *sp = &sc->slots[slot];
            int v = L->in[slot];
            if (v < 0 || m->values[v].dtype != SEQRT_I32) continue;
            const sq_view *iv = &s->in_views[m->values[v].input_index];
            const int32_t *x = iv->data;
            const sq_shape *sh = &s->shapes[v];
            size_t n = (size_t)sq_view_count(iv);
            int64_t hi;
            const char *what;
            if (!sp->id_what) { /* lengths */
                int tv = L->in[L->in[sp->time_of[0]] >= 0 ? sp->time_of[0] : sp->time_of[1]];
                hi = s->shapes[tv].d[m->batch_first ? 1 : 0];
                what = "length";
                for (size_t k = 0; k < n; k++)
                    if (x[k] < 0 || x[k] > hi) {
                        char at[64];
                        format_index(sh, k, at, sizeof at);
                        return sq_error(SEQRT_ERR_RANGE, "layer '%s': %s %d of input '%s' at %s is outside [0, %lld] (T)",
                                        L->name, what, x[k], m->values[v].name, at, (long long)hi);
                    }
            } else {
                hi = *(const int64_t *)((const char *)&L->a + sp->id_limit);
                what = sp->id_what;
                for (size_t k = 0; k < n; k++)
                    if (x[k] < 0 || x[k] >= hi) {
                        char at[64];
                        format_index(sh, k, at, sizeof at);
                        return sq_error(SEQRT_ERR_RANGE, "layer '%s' (%s): %s %d of input '%s' at %s is outside [0, %lld)",
                                        L->name, sq_op_name(L->op), what, x[k], m->values[v].name, at, (long long)hi);
                    }
            }
        }
    }
    return SEQRT_OK;
}

/* ------------------------------------------------------------ outputs */

static seqrt_status prepare_outputs(seqrt_session *s)
{
    const seqrt_model *m = s->model, *e = s->exec;
    for (int o = 0; o < e->noutputs; o++) {
        const sq_shape *sh = &s->shapes[e->outputs[o]];
        sq_view *ov = &s->out_views[o];
        ov->dtype = SEQRT_F32;
        ov->rank = sh->rank;
        memcpy(ov->d, sh->d, sizeof ov->d);
        int64_t count;
        if (!sq_dims_count(sh->rank, sh->d, &count))
            return sq_error(SEQRT_ERR_LIMIT, "output '%s' is too large", e->values[e->outputs[o]].name);
        if ((o >= m->noutputs && s->held) || (s->rows && s->row_unread[o])) { /* a final state the backend keeps */
            ov->data = NULL;
            continue;
        }
        if (o >= m->noutputs) { /* a final state of a streaming view */
            int x = o - m->noutputs;
            if ((size_t)count > s->extra_cap[x]) {
                sq_free(s->extra[x]);
                s->extra_cap[x] = 0;
                if (!(s->extra[x] = sq_malloc((size_t)count * sizeof(float))))
                    return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
                s->extra_cap[x] = (size_t)count;
            }
            ov->data = s->extra[x];
            continue;
        }
        const char *name = m->values[m->outputs[o]].name;
        seqrt_tensor *b = s->bound[o];
        if (b) {
            bool ok = b->dtype == SEQRT_F32 && b->rank == sh->rank;
            for (int d = 0; ok && d < sh->rank; d++) ok = b->dims[d] == sh->d[d];
            if (!ok) {
                char want[128], got[128];
                sq_format_dims(NULL, sh->rank, sh->d, want, sizeof want);
                sq_format_dims(NULL, b->rank, b->dims, got, sizeof got);
                return sq_error(SEQRT_ERR_SHAPE, "output '%s': the bound buffer is %s %s; this run needs float32 %s",
                                name, b->dtype == SEQRT_F32 ? "float32" : "integer", got, want);
            }
            ov->data = b->data;
            continue;
        }
        seqrt_tensor *t = s->outs[o];
        bool same = t && t->rank == sh->rank && !memcmp(t->dims, sh->d, sizeof(int64_t) * (size_t)sh->rank);
        if (!same) {
            seqrt_tensor_free(s->outs[o]);
            s->outs[o] = NULL;
            seqrt_status st = seqrt_tensor_create(&s->outs[o], SEQRT_F32, sh->rank, sh->d);
            if (st) return sq_error_prefix(st, "output '%s'", name);
        }
        ov->data = s->outs[o]->data;
        /* a final state held by the backend: read when asked for */
        if (s->held && s->final_of[o] >= 0) {
            s->lazy[o] = true;
            ov->data = NULL;
        }
    }
    return SEQRT_OK;
}

seqrt_status seqrt_session_reset(seqrt_session *s)
{
    sq_clear_error();
    if (!s) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_session_reset: NULL session");
    if (s->stream) sq_stream_reset(s->stream);
    return SEQRT_OK;
}

/* ------------------------------------------------------------ run */

static seqrt_status run(seqrt_session *s, const seqrt_tensor *const *inputs, size_t n)
{
    const seqrt_model *m = s->model;
    if (n != (size_t)m->ninputs)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "the model takes %d input(s), %zu given", m->ninputs, n);
    memset(s->syms, 0, sizeof *s->syms * (size_t)(m->nsyms ? m->nsyms : 1));
    seqrt_status st;
    for (int i = 0; i < m->ninputs; i++)
        if ((st = bind_input(s, i, inputs[i]))) return st;
    if ((st = sq_infer_plan(m, s->shapes))) return st;
    if ((st = check_int_data(s))) return st;
    if (s->held)
        for (int o = 0; o < m->noutputs; o++) s->lazy[o] = s->pending[o] = false;
    if (s->stream && (st = sq_stream_prepare(s->stream, s->shapes, s->in_views))) return st;
    if ((st = prepare_outputs(s))) return st;
    sq_plan plan = {.nvalues = s->exec->nvalues, .shapes = s->shapes};
    st = s->device->iface->session->run(s->impl, &plan, s->in_ptrs, s->out_ptrs);
    if (st) return sq_error_prefix(st, "backend '%s' (device %zu)", s->device->backend->name, s->device->index);
    if (s->stream) sq_stream_carry(s->stream, s->out_views);
    if (s->held) memcpy(s->pending, s->lazy, sizeof *s->pending * (size_t)m->noutputs);
    return SEQRT_OK;
}

seqrt_status seqrt_session_run(seqrt_session *s, const seqrt_tensor *const *inputs, size_t n)
{
    sq_clear_error();
    if (!s || (!inputs && n)) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_session_run: NULL argument");
    return run(s, inputs, n);
}

/* ------------------------------------------------------------ a stream pool's rows (session_rows.h) */

seqrt_status sq_session_hold_rows(seqrt_session *s, int n, const sq_carry_slot *slots, size_t rows, int first_unread)
{
    const sq_session_iface *si = s->device->iface->session;
    bool want;
    seqrt_status st = hold_asked(&want);
    if (st) return st;
    if (!want || !si->rows_init || !si->row_write || !si->row_read || !si->rows_route) return SEQRT_ERR_UNSUPPORTED;
    const seqrt_model *m = s->model;
    s->row_input = sq_calloc((size_t)(m->ninputs ? m->ninputs : 1), sizeof *s->row_input);
    s->row_unread = sq_calloc((size_t)(m->noutputs ? m->noutputs : 1), sizeof *s->row_unread);
    if (!s->row_input || !s->row_unread) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a stream pool");
    /* the inputs the view reads from no layer: the h0/c0 its states replace */
    for (int i = 0; i < m->ninputs; i++) s->row_input[i] = sq_value_unused(m, m->inputs[i]);
    for (int i = 0; i < n; i++) {
        s->row_input[slots[i].state_input] = true;
        if (slots[i].final_output >= first_unread) s->row_unread[slots[i].final_output] = true;
    }
    if ((st = si->rows_init(s->impl, n, slots, rows)))
        return sq_error_prefix(st, "backend '%s' (device %zu)", s->device->backend->name, s->device->index);
    s->rows = true;
    return SEQRT_OK;
}

seqrt_status sq_session_row_write(seqrt_session *s, int i, size_t row, const float *data)
{
    seqrt_status st = s->device->iface->session->row_write(s->impl, i, row, data);
    return st ? sq_error_prefix(st, "backend '%s' (device %zu)", s->device->backend->name, s->device->index) : SEQRT_OK;
}

seqrt_status sq_session_row_read(seqrt_session *s, int i, size_t row, float *dst)
{
    seqrt_status st = s->device->iface->session->row_read(s->impl, i, row, dst);
    return st ? sq_error_prefix(st, "backend '%s' (device %zu)", s->device->backend->name, s->device->index) : SEQRT_OK;
}

seqrt_status sq_session_run_rows(seqrt_session *s, const seqrt_tensor *const *inputs, size_t n, int kb,
                                 const int64_t *gather, int k, const int64_t *scatter)
{
    sq_clear_error();
    seqrt_status st = s->device->iface->session->rows_route(s->impl, kb, gather, k, scatter);
    if (st) return sq_error_prefix(st, "backend '%s' (device %zu)", s->device->backend->name, s->device->index);
    s->route_kb = kb;
    st = run(s, inputs, n);
    s->route_kb = 0;
    return st;
}

/* Output i left on the device by the last run (a final state the backend
 * holds): read now. The state is still the run's final one: a reset only
 * takes effect at the next run. */
static seqrt_status read_pending(seqrt_session *s, size_t i)
{
    seqrt_tensor *t = s->outs[i];
    seqrt_status st = s->device->iface->session->state_read(s->impl, s->final_of[i], t->data, t->count);
    if (st)
        return sq_error_prefix(st, "backend '%s' (device %zu): output '%s'", s->device->backend->name,
                               s->device->index, s->model->values[s->model->outputs[i]].name);
    s->pending[i] = false;
    return SEQRT_OK;
}

seqrt_status seqrt_session_output(seqrt_session *s, size_t i, const seqrt_tensor **out)
{
    if (!s || !out || i >= (size_t)s->model->noutputs)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_session_output: bad argument (index %zu)", i);
    if (s->bound[i]) {
        *out = s->bound[i];
        return SEQRT_OK;
    }
    if (!s->outs[i])
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "output %zu: the session has not run yet", i);
    seqrt_status st;
    if (s->held && s->pending[i] && (st = read_pending(s, i))) return st;
    *out = s->outs[i];
    return SEQRT_OK;
}

seqrt_status seqrt_session_bind_output(seqrt_session *s, size_t i, seqrt_tensor *dst)
{
    if (!s || i >= (size_t)s->model->noutputs)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_session_bind_output: bad argument (index %zu)", i);
    s->bound[i] = dst;
    return SEQRT_OK;
}
