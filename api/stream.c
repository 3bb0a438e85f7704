/*
 * Streaming. A streaming session runs a "view" of the model in which every
 * state slot of a recurrent layer (h0, c0: the slots the op schema marks
 * as states) reads from an extra model input, the carried state, and the
 * final states are extra model outputs. This file builds the view, keeps
 * the carried state, and copies the final states into it after each run,
 * so any backend streams without knowing it: to a backend, the view is a
 * model like any other. A backend that computes elsewhere (a device) may
 * hold the states itself instead (sq_session_iface.carry_init, wired by
 * session.c): then this file only says when a state starts afresh. Which ops may stream, and how, is each op's
 * streaming rule in its schema row.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "stream.h"

/* One carried state: a state slot of one layer. */
typedef struct carried {
    int state_input;   /* index among the view's inputs */
    int state_value;   /* value index of that input */
    int final_output;  /* index among the view's outputs of the final state */
    int final_value;
    int user_input;    /* the model input wired to the slot, or -1 */
    float *data;       /* the carried value */
    size_t cap;        /* elements */
} carried;

struct sq_stream {
    seqrt_model *view;
    carried *states;
    int nstates;
    bool fresh;        /* the next run starts from the initial states */
    int64_t B;         /* batch size of the carried state (when not fresh) */
    sq_stream_write_fn write; /* states held by the backend (sq_stream_hold_elsewhere), or NULL */
    void *write_ctx;
};

/* Whether layer L of m may stream by its op's rule; if not, why. */
static bool layer_streams(const seqrt_model *m, const sq_layer *L, char *why, size_t n)
{
    const sq_op_schema *s = sq_op_schema_get(L->op);
    const char *op = s->name;
    switch (s->stream) {
    case SQ_STREAM_CARRIED:
        if (L->a.bidirectional || L->a.direction == SQ_DIR_REVERSE) {
            snprintf(why, n, "layer '%s' (%s) %s: its reverse direction needs the whole sequence", L->name, op,
                     L->a.bidirectional ? "is bidirectional" : "runs in reverse");
            return false;
        }
        if (L->in[SQ_SLOT_LENGTHS] >= 0) {
            snprintf(why, n, "layer '%s' (%s) takes lengths, which streaming does not support", L->name, op);
            return false;
        }
        for (int sl = 0; sl < SQ_MAX_SLOTS; sl++)
            if (s->slots[sl].state && L->in[sl] >= 0 && m->values[L->in[sl]].producer >= 0) {
                snprintf(why, n, "layer '%s' (%s): streaming needs '%s' to be a model input (it is computed by a layer)",
                         L->name, op, s->slots[sl].name);
                return false;
            }
        return true;
    case SQ_STREAM_WHOLE:
        snprintf(why, n, "layer '%s' (%s) is not a per-step op: it needs the whole sequence", L->name, op);
        return false;
    case SQ_STREAM_LAST_AXIS: {
        int rank = m->values[L->in[SQ_SLOT_X]].rank; /* concat: the first of its list */
        int64_t axis = L->a.axis < 0 ? L->a.axis + rank : L->a.axis;
        if (axis != rank - 1) {
            snprintf(why, n, "layer '%s' (%s) works on axis %lld, not the last (feature) axis", L->name, op,
                     (long long)L->a.axis);
            return false;
        }
        return true;
    }
    case SQ_STREAM_PER_STEP: return true;
    }
    return false;
}

/* Whether model input value vi feeds a state slot of some layer. */
static bool feeds_state(const seqrt_model *m, int vi)
{
    for (int l = 0; l < m->nlayers; l++) {
        const sq_op_schema *s = sq_op_schema_get(m->layers[l].op);
        for (int sl = 0; sl < SQ_MAX_SLOTS; sl++)
            if (s->slots[sl].state && m->layers[l].in[sl] == vi) return true;
    }
    return false;
}

int seqrt_model_streamable(const seqrt_model *m, char *why, size_t n)
{
    char buf[512];
    if (!why) why = buf, n = sizeof buf;
    if (!m) {
        snprintf(why, n, "no model");
        return 0;
    }
    for (int l = 0; l < m->nlayers; l++)
        if (!layer_streams(m, &m->layers[l], why, n)) return 0;
    for (int i = 0; i < m->ninputs; i++) {
        const sq_value *v = &m->values[m->inputs[i]];
        if (!feeds_state(m, m->inputs[i]) && v->time_axis < 0) {
            snprintf(why, n, "input '%s' has no time axis (rank %d) to split into chunks", v->name, v->rank);
            return 0;
        }
    }
    snprintf(why, n, "streamable");
    return 1;
}

/* Makes the state slot `slot` of view layer L read a new view input and
 * its final state a view output; m is the model the view copies. */
static seqrt_status add_state(seqrt_model *v, const seqrt_model *m, sq_layer *L, int slot, carried *c)
{
    const sq_slot_spec *sp = &sq_op_schema_get(L->op)->slots[slot];
    int src = L->out[sp->final];
    c->user_input = L->in[slot] >= 0 ? m->values[L->in[slot]].input_index : -1;
    /* the state value: a new model input shaped like the final state */
    int vi = v->nvalues++;
    v->nstate++;
    sq_value *sv = &v->values[vi];
    *sv = m->values[src];
    sv->name = NULL;
    char name[300];
    snprintf(name, sizeof name, "%s:state_%s", L->name, sp->state);
    if (!(sv->name = sq_strdup(name))) return SEQRT_ERR_OUT_OF_MEMORY;
    sv->producer = -1;
    sv->input_index = v->ninputs;
    sv->time_axis = -1;
    c->state_input = v->ninputs;
    v->inputs[v->ninputs++] = vi;
    L->in[slot] = vi;
    /* the final state: an output of the view (once) */
    int o = 0;
    while (o < v->noutputs && v->outputs[o] != src) o++;
    if (o == v->noutputs) v->outputs[v->noutputs++] = src;
    c->final_output = o;
    c->state_value = vi;
    c->final_value = src;
    return SEQRT_OK;
}

seqrt_status sq_stream_create(sq_stream **out, const seqrt_model *m)
{
    char why[512];
    *out = NULL;
    if (!seqrt_model_streamable(m, why, sizeof why))
        return sq_error(SEQRT_ERR_UNSUPPORTED, "this model cannot stream: %s", why);
    int nstate = 0;
    for (int l = 0; l < m->nlayers; l++) {
        const sq_op_schema *s = sq_op_schema_get(m->layers[l].op);
        for (int sl = 0; sl < SQ_MAX_SLOTS; sl++) nstate += s->slots[sl].state != NULL;
    }
    sq_stream *st = sq_calloc(1, sizeof *st);
    seqrt_model *v = sq_calloc(1, sizeof *v);
    if (!st || !v) goto oom;
    st->view = v;
    st->fresh = true;
    *v = *m;
    v->borrowed = true;
    v->nstate = 0;
    v->values = sq_calloc((size_t)(m->nvalues + nstate), sizeof *v->values);
    v->layers = sq_calloc((size_t)m->nlayers, sizeof *v->layers);
    v->inputs = sq_calloc((size_t)(m->ninputs + nstate), sizeof *v->inputs);
    v->outputs = sq_calloc((size_t)(m->noutputs + nstate), sizeof *v->outputs);
    st->states = sq_calloc((size_t)(nstate ? nstate : 1), sizeof *st->states);
    if (!v->values || !v->layers || !v->inputs || !v->outputs || !st->states) goto oom;
    memcpy(v->values, m->values, sizeof *v->values * (size_t)m->nvalues);
    memcpy(v->layers, m->layers, sizeof *v->layers * (size_t)m->nlayers);
    memcpy(v->inputs, m->inputs, sizeof *v->inputs * (size_t)m->ninputs);
    memcpy(v->outputs, m->outputs, sizeof *v->outputs * (size_t)m->noutputs);
    for (int l = 0; l < m->nlayers; l++) {
        sq_layer *L = &v->layers[l];
        const sq_op_schema *s = sq_op_schema_get(L->op);
        for (int sl = 0; sl < SQ_MAX_SLOTS; sl++)
            if (s->slots[sl].state && add_state(v, m, L, sl, &st->states[st->nstates++])) goto oom;
    }
    *out = st;
    return SEQRT_OK;
oom:
    if (st) st->view = NULL;
    sq_stream_free(st);
    sq_model_destroy(v);
    return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a streaming session");
}

void sq_stream_free(sq_stream *s)
{
    if (!s) return;
    for (int i = 0; s->states && i < s->nstates; i++) sq_free(s->states[i].data);
    sq_free(s->states);
    sq_model_destroy(s->view);
    sq_free(s);
}

const seqrt_model *sq_stream_view(const sq_stream *s) { return s->view; }

void sq_stream_reset(sq_stream *s) { s->fresh = true; }

void sq_stream_hold_elsewhere(sq_stream *s, sq_stream_write_fn write, void *ctx)
{
    s->write = write;
    s->write_ctx = ctx;
}

/* A fresh state handed to the backend that holds it: the model input wired
 * to its slot, or zeros. */
static seqrt_status write_fresh(sq_stream *s, int i, const sq_shape *sh, const sq_view *in_views)
{
    const carried *c = &s->states[i];
    const float *init = c->user_input >= 0 ? in_views[c->user_input].data : NULL;
    return s->write(s->write_ctx, i, sh, init);
}

seqrt_status sq_stream_prepare(sq_stream *s, sq_shape *shapes, sq_view *in_views)
{
    for (int i = 0; i < s->nstates; i++) {
        carried *c = &s->states[i];
        const sq_shape *sh = &shapes[c->final_value];
        int64_t count = sh->d[0] * sh->d[1] * sh->d[2];
        if (!s->fresh && sh->d[1] != s->B)
            return sq_error(SEQRT_ERR_SHAPE,
                            "streaming: this run has batch size %lld but the carried state has %lld; "
                            "reset the session to change it",
                            (long long)sh->d[1], (long long)s->B);
        shapes[c->state_value] = *sh;
        sq_view *iv = &in_views[c->state_input];
        iv->dtype = SEQRT_F32;
        iv->rank = 3;
        memcpy(iv->d, sh->d, sizeof iv->d);
        if (s->write) { /* held by the backend: nothing to copy unless fresh */
            seqrt_status st = s->fresh ? write_fresh(s, i, sh, in_views) : SEQRT_OK;
            if (st) return st;
            iv->data = NULL;
            continue;
        }
        if ((size_t)count > c->cap) {
            sq_free(c->data);
            c->cap = 0;
            if (!(c->data = sq_calloc((size_t)count, sizeof(float))))
                return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory for streaming state");
            c->cap = (size_t)count;
        }
        if (s->fresh) {
            if (c->user_input >= 0)
                memcpy(c->data, in_views[c->user_input].data, (size_t)count * sizeof(float));
            else
                memset(c->data, 0, (size_t)count * sizeof(float));
        }
        iv->data = c->data;
    }
    return SEQRT_OK;
}

void sq_stream_carry(sq_stream *s, const sq_view *out_views)
{
    for (int i = 0; i < s->nstates; i++) {
        const carried *c = &s->states[i];
        const sq_view *fv = &out_views[c->final_output];
        if (!s->write) memcpy(c->data, fv->data, (size_t)sq_view_count(fv) * sizeof(float));
        s->B = fv->d[1];
    }
    s->fresh = false;
}

int sq_stream_state_count(const sq_stream *s) { return s->nstates; }

void sq_stream_state_slot(const sq_stream *s, int i, int *state_input, int *final_output, int *user_input)
{
    const carried *c = &s->states[i];
    *state_input = c->state_input;
    *final_output = c->final_output;
    *user_input = c->user_input;
}
