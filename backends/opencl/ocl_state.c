/*
 * Streaming state on the device (the carry slots of sq_session_iface,
 * api/backend.h). A streaming session's carried states — the h0/c0 of its
 * recurrent layers, [L*D, B, H] each — stay in one device buffer per state
 * from one run to the next: a run binds each as the buffer of its state
 * input and copies the final state, on the device, into a second buffer,
 * which becomes the state only once the whole run has succeeded (its queue
 * drained): a run that fails anywhere, its last clFinish included, leaves
 * the state as it was. The host sees a state only when it sets one (the first run and
 * the first after a reset: state_write) or asks for one (a final state
 * that is a model output, read by seqrt_session_output: state_read). So a
 * chunk moves only the model's own inputs and the outputs it returns: for
 * `seqrt generate` on the char-LM, one token id in and one probability row
 * out.
 *
 * Every host <-> device transfer of a run is counted (ocl_count_transfer)
 * and the count logged at SEQRT_LOG=debug by the session; the streaming
 * test reads that line: the round trip must stay gone.
 */
#include <stdio.h>
#include <string.h>

#include "ocl_internal.h"

struct ocl_carried {
    int value;      /* the view value of the state input */
    int final;      /* the value of its final state */
    ocl_buf buf[2]; /* buf[cur]: the state between runs; the other: the next one, written by a run */
    int cur;
    size_t count;   /* floats it holds; 0 before the first state_write */
};

void ocl_state_free(ocl_session *s)
{
    for (int i = 0; s->carry && i < s->ncarry; i++) {
        ocl_buf_release(&s->carry[i].buf[0]);
        ocl_buf_release(&s->carry[i].buf[1]);
    }
    sq_free(s->carry);
    s->carry = NULL;
    s->ncarry = 0;
}

seqrt_status ocl_carry_init(void *impl, int n, const sq_carry_slot *slots)
{
    ocl_session *s = impl;
    const seqrt_model *m = s->model;
    ocl_state_free(s);
    if (!(s->carry = sq_calloc((size_t)(n ? n : 1), sizeof *s->carry)))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory for the streaming state");
    for (int i = 0; i < n; i++) {
        s->carry[i].value = m->inputs[slots[i].state_input];
        s->carry[i].final = m->outputs[slots[i].final_output];
    }
    s->ncarry = n;
    sq_log(SQ_LOG_INFO, "opencl: %d streaming state(s) kept on the device", n);
    return SEQRT_OK;
}

seqrt_status ocl_state_write(void *impl, int i, const sq_shape *sh, const float *data)
{
    ocl_session *s = impl;
    ocl_carried *c = &s->carry[i];
    const char *name = s->model->values[c->value].name;
    int64_t count;
    if (!sq_dims_count(sh->rank, sh->d, &count))
        return sq_error(SEQRT_ERR_LIMIT, "streaming state '%s' is too large", name);
    c->count = 0;
    size_t bytes = (size_t)count * sizeof(float);
    seqrt_status st = ocl_buf_reserve(s, &c->buf[0], bytes, name);
    if (!st) st = ocl_buf_reserve(s, &c->buf[1], bytes, name);
    cl_mem mem = c->buf[c->cur].mem;
    if (!st) st = data ? ocl_write(s, mem, 0, data, (size_t)count, name) : ocl_zero(s, mem, 0, (size_t)count);
    if (st) return st;
    c->count = (size_t)count;
    if (data) sq_log(SQ_LOG_DEBUG, "opencl: streaming state '%s' written to the device (%zu bytes)", name,
                     c->count * sizeof(float));
    else sq_log(SQ_LOG_DEBUG, "opencl: streaming state '%s' zeroed on the device", name);
    return SEQRT_OK;
}

seqrt_status ocl_state_read(void *impl, int i, float *dst, size_t count)
{
    ocl_session *s = impl;
    ocl_carried *c = &s->carry[i];
    const char *name = s->model->values[c->value].name;
    if (count != c->count)
        return sq_error(SEQRT_ERR_INTERNAL, "opencl: streaming state '%s' holds %zu floats; %zu asked for", name,
                        c->count, count);
    if (!count) return SEQRT_OK;
    OCL_CLF("clEnqueueReadBuffer",
            clEnqueueReadBuffer(s->q, c->buf[c->cur].mem, CL_TRUE, 0, count * sizeof(float), dst, 0, NULL, NULL),
            "clEnqueueReadBuffer(streaming state '%s')", name);
    ocl_count_transfer(s, false, count * sizeof(float));
    sq_log(SQ_LOG_DEBUG, "opencl: streaming state '%s' read from the device (%zu bytes)", name,
           count * sizeof(float));
    return SEQRT_OK;
}

cl_mem ocl_state_mem(const ocl_session *s, int v, size_t count, seqrt_status *st)
{
    *st = SEQRT_OK;
    for (int i = 0; i < s->ncarry; i++) {
        const ocl_carried *c = &s->carry[i];
        if (c->value != v) continue;
        /* the core writes a state before the first run and keeps its batch */
        if (c->count != count)
            *st = sq_error(SEQRT_ERR_INTERNAL, "opencl: streaming state '%s' holds %zu floats; the run needs %zu",
                           s->model->values[v].name, c->count, count);
        return c->buf[c->cur].mem;
    }
    return NULL;
}

seqrt_status ocl_state_commit(ocl_session *s)
{
    for (int i = 0; i < s->ncarry; i++) {
        const ocl_carried *c = &s->carry[i];
        seqrt_status st = ocl_copy(s, s->vals[c->final].mem, 0, c->buf[1 - c->cur].mem, 0, c->count);
        if (st) return st;
    }
    return SEQRT_OK;
}

void ocl_state_advance(ocl_session *s)
{
    for (int i = 0; i < s->ncarry; i++) s->carry[i].cur ^= 1;
}
