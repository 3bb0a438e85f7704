/*
 * Streaming. A streaming session runs a "view" of the model in which every
 * recurrent layer reads its initial state from an extra model input (the
 * carried state) and the final states are extra model outputs. The session
 * copies the final states into the carried state after each run, so any
 * backend streams without knowing it: to a backend, the view is a model like
 * any other.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "stream.h"

int seqrt_model_streamable(const seqrt_model *m, char *why, size_t n)
{
    char buf[512];
    if (!why) why = buf, n = sizeof buf;
    if (!m) {
        snprintf(why, n, "no model");
        return 0;
    }
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        const sq_op_schema *s = sq_op_schema_get(L->op);
        const char *op = s->name;
        if (sq_is_recurrent(L->op)) {
            if (L->a.bidirectional) {
                snprintf(why, n, "layer '%s' (%s) is bidirectional: its reverse direction needs the whole sequence",
                         L->name, op);
                return 0;
            }
            if (L->in[SQ_SLOT_LENGTHS] >= 0) {
                snprintf(why, n, "layer '%s' (%s) takes lengths, which streaming does not support", L->name, op);
                return 0;
            }
            for (int sl = SQ_SLOT_H0; sl <= SQ_SLOT_C0; sl++)
                if (L->in[sl] >= 0 && m->values[L->in[sl]].producer >= 0) {
                    snprintf(why, n, "layer '%s' (%s): streaming needs '%s' to be a model input (it is computed by a layer)",
                             L->name, op, s->slots[sl].name);
                    return 0;
                }
            continue;
        }
        if (!s->per_step) {
            snprintf(why, n, "layer '%s' (%s) is not a per-step op: it needs the whole sequence", L->name, op);
            return 0;
        }
        /* per-step only along the feature axis */
        if (L->op == SQ_OP_SOFTMAX || L->op == SQ_OP_LOG_SOFTMAX || L->op == SQ_OP_CONCAT) {
            int v = L->op == SQ_OP_CONCAT ? L->list[0] : L->in[SQ_SLOT_X];
            int rank = m->values[v].rank;
            int64_t axis = L->a.axis < 0 ? L->a.axis + rank : L->a.axis;
            if (axis != rank - 1) {
                snprintf(why, n, "layer '%s' (%s) works on axis %lld, not the last (feature) axis", L->name, op,
                         (long long)L->a.axis);
                return 0;
            }
        }
    }
    for (int i = 0; i < m->ninputs; i++) {
        const sq_value *v = &m->values[m->inputs[i]];
        bool state = false;
        for (int l = 0; l < m->nlayers; l++)
            if (m->layers[l].in[SQ_SLOT_H0] == m->inputs[i] || m->layers[l].in[SQ_SLOT_C0] == m->inputs[i])
                state = true;
        if (!state && v->time_axis < 0) {
            snprintf(why, n, "input '%s' has no time axis (rank %d) to split into chunks", v->name, v->rank);
            return 0;
        }
    }
    if (why) snprintf(why, n, "streamable");
    return 1;
}

seqrt_status sq_stream_view_create(const seqrt_model *m, seqrt_model **out, sq_stream_layer **layers_out,
                                   int *nrec_out)
{
    char why[512];
    if (!seqrt_model_streamable(m, why, sizeof why))
        return sq_error(SEQRT_ERR_UNSUPPORTED, "this model cannot stream: %s", why);
    int nrec = 0, nstate = 0;
    for (int l = 0; l < m->nlayers; l++)
        if (sq_is_recurrent(m->layers[l].op)) {
            nrec++;
            nstate += m->layers[l].op == SQ_OP_LSTM ? 2 : 1;
        }
    seqrt_model *v = sq_calloc(1, sizeof *v);
    sq_stream_layer *rec = sq_calloc((size_t)(nrec ? nrec : 1), sizeof *rec);
    if (!v || !rec) goto oom;
    *v = *m;
    v->borrowed = true;
    v->nstate = 0;
    v->values = sq_calloc((size_t)(m->nvalues + nstate), sizeof *v->values);
    v->layers = sq_calloc((size_t)m->nlayers, sizeof *v->layers);
    v->inputs = sq_calloc((size_t)(m->ninputs + nstate), sizeof *v->inputs);
    v->outputs = sq_calloc((size_t)(m->noutputs + nstate), sizeof *v->outputs);
    if (!v->values || !v->layers || !v->inputs || !v->outputs) goto oom;
    memcpy(v->values, m->values, sizeof *v->values * (size_t)m->nvalues);
    memcpy(v->layers, m->layers, sizeof *v->layers * (size_t)m->nlayers);
    memcpy(v->inputs, m->inputs, sizeof *v->inputs * (size_t)m->ninputs);
    memcpy(v->outputs, m->outputs, sizeof *v->outputs * (size_t)m->noutputs);
    int r = 0;
    for (int l = 0; l < m->nlayers; l++) {
        sq_layer *L = &v->layers[l];
        if (!sq_is_recurrent(L->op)) continue;
        sq_stream_layer *s = &rec[r++];
        s->layer = l;
        int nst = L->op == SQ_OP_LSTM ? 2 : 1;
        for (int k = 0; k < nst; k++) {
            int slot = k ? SQ_SLOT_C0 : SQ_SLOT_H0;
            int src = L->out[k ? SQ_OUT_C_N : SQ_OUT_H_N];
            s->user_input[k] = L->in[slot] >= 0 ? m->values[L->in[slot]].input_index : -1;
            /* the state value: a new model input shaped like the final state */
            int vi = v->nvalues++;
            v->nstate++;
            sq_value *sv = &v->values[vi];
            *sv = m->values[src];
            sv->name = NULL;
            char name[300];
            snprintf(name, sizeof name, "%s:state_%s", L->name, k ? "c" : "h");
            if (!(sv->name = sq_strdup(name))) goto oom;
            sv->producer = -1;
            sv->input_index = v->ninputs;
            sv->time_axis = -1;
            s->state_input[k] = v->ninputs;
            v->inputs[v->ninputs++] = vi;
            L->in[slot] = vi;
            /* the final state: an output of the view (once) */
            int o = 0;
            while (o < v->noutputs && v->outputs[o] != src) o++;
            if (o == v->noutputs) v->outputs[v->noutputs++] = src;
            s->final_output[k] = o;
            s->state_value[k] = vi;
            s->final_value[k] = src;
        }
        if (nst == 1) s->state_input[1] = s->final_output[1] = s->user_input[1] = -1;
    }
    *out = v;
    *layers_out = rec;
    *nrec_out = nrec;
    return SEQRT_OK;
oom:
    sq_model_destroy(v);
    sq_free(rec);
    return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a streaming session");
}
