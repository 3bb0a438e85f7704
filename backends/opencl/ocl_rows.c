/*
 * A stream pool's states on the device (the row slots of sq_session_iface,
 * api/backend.h). The pool (api/stream_pool*.c) runs a plain session over
 * the streaming view and steps any group of its streams as one batch; here
 * the session keeps every stream's states as rows of one buffer per
 * carried state, laid out [L*D, rows, H], so the rows of streams that
 * follow each other (the pool's slots j, j+1, ... in one bank: every step
 * of `generate --streams N`) are one rectangle. Before each run the group's
 * rows are gathered into the state inputs ([L*D, kb, H]; a padding entry
 * is zeros), after it the final states are scattered into the rows the
 * pool names, all on the device: one rectangular copy per run of
 * consecutive rows. The host sees a row only when a stream starts
 * (row_write) or the caller gets or sets a state (row_read, row_write).
 */
#include <stdio.h>
#include <string.h>

#include "ocl_internal.h"

struct ocl_rows {
    int value;      /* the view value of the state input */
    int final;      /* the value of its final state */
    size_t LD, H;
    ocl_buf buf;    /* [LD, nrows, H] */
};

void ocl_rows_free(ocl_session *s)
{
    for (int i = 0; s->rows && i < s->nrowstates; i++) ocl_buf_release(&s->rows[i].buf);
    sq_free(s->rows);
    sq_free(s->route);
    s->rows = NULL;
    s->route = NULL;
    s->nrowstates = 0;
}

seqrt_status ocl_rows_init(void *impl, int n, const sq_carry_slot *slots, size_t nrows)
{
    ocl_session *s = impl;
    const seqrt_model *m = s->model;
    ocl_rows_free(s);
    s->rows = sq_calloc((size_t)(n ? n : 1), sizeof *s->rows);
    /* a route: gather (nrows at most: a batch is at most the pool's capacity), then scatter */
    s->route = sq_calloc(2 * nrows, sizeof *s->route);
    if (!s->rows || !s->route) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory for the stream pool's states");
    s->nrowstates = n;
    s->nrows = nrows;
    for (int i = 0; i < n; i++) {
        ocl_rows *r = &s->rows[i];
        r->value = m->inputs[slots[i].state_input];
        r->final = m->outputs[slots[i].final_output];
        const sq_value *v = &m->values[r->value];
        r->LD = (size_t)v->dims[0];
        r->H = (size_t)v->dims[2];
        size_t count = r->LD * nrows * r->H;
        seqrt_status st = ocl_buf_reserve(s, &r->buf, count * sizeof(float), v->name);
        if (!st) st = ocl_zero(s, r->buf.mem, 0, count);
        if (st) { /* declined: the pool keeps the states on the host */
            ocl_rows_free(s);
            return st;
        }
    }
    sq_log(SQ_LOG_INFO, "opencl: a stream pool's %d state(s) kept on the device, %zu rows each", n, nrows);
    return SEQRT_OK;
}

/* Row `row` of state i as a rectangle of the host's [LD, H] (read or
 * write, blocking), or zeros. */
static seqrt_status row_io(ocl_session *s, int i, size_t row, float *dst, const float *src)
{
    const ocl_rows *r = &s->rows[i];
    const char *name = s->model->values[r->value].name;
    if (row >= s->nrows)
        return sq_error(SEQRT_ERR_INTERNAL, "opencl: row %zu of state '%s' (%zu rows)", row, name, s->nrows);
    size_t H4 = r->H * sizeof(float), pitch = s->nrows * H4, bytes = r->LD * H4;
    const size_t at[3] = {row * H4, 0, 0}, host[3] = {0, 0, 0}, region[3] = {H4, r->LD, 1};
    if (dst) {
        OCL_CLF("clEnqueueReadBufferRect",
                clEnqueueReadBufferRect(s->q, r->buf.mem, CL_TRUE, at, host, region, pitch, 0, H4, 0, dst, 0, NULL, NULL),
                "clEnqueueReadBufferRect(state '%s', row %zu)", name, row);
    } else if (src) {
        OCL_CLF("clEnqueueWriteBufferRect",
                clEnqueueWriteBufferRect(s->q, r->buf.mem, CL_TRUE, at, host, region, pitch, 0, H4, 0, src, 0, NULL,
                                         NULL),
                "clEnqueueWriteBufferRect(state '%s', row %zu)", name, row);
    } else {
        for (size_t l = 0; l < r->LD; l++) {
            seqrt_status st = ocl_zero(s, r->buf.mem, (l * s->nrows + row) * r->H, r->H);
            if (st) return st;
        }
        sq_log(SQ_LOG_DEBUG, "opencl: stream pool state '%s', row %zu zeroed on the device", name, row);
        return SEQRT_OK;
    }
    ocl_count_transfer(s, !dst, bytes);
    sq_log(SQ_LOG_DEBUG, "opencl: stream pool state '%s', row %zu %s the device (%zu bytes)", name, row,
           dst ? "read from" : "written to", bytes);
    return SEQRT_OK;
}

seqrt_status ocl_row_write(void *impl, int i, size_t row, const float *data)
{
    return row_io(impl, i, row, NULL, data);
}

seqrt_status ocl_row_read(void *impl, int i, size_t row, float *dst) { return row_io(impl, i, row, dst, NULL); }

seqrt_status ocl_rows_route(void *impl, int kb, const int64_t *gather, int k, const int64_t *scatter)
{
    ocl_session *s = impl;
    if (kb < k || (size_t)kb > s->nrows)
        return sq_error(SEQRT_ERR_INTERNAL, "opencl: a route of %d rows into a batch of %d (%zu rows)", k, kb, s->nrows);
    for (int b = 0; b < kb; b++)
        if (gather[b] >= (int64_t)s->nrows || (b < k && (scatter[b] < 0 || scatter[b] >= (int64_t)s->nrows)))
            return sq_error(SEQRT_ERR_INTERNAL, "opencl: a route names a row beyond the %zu rows", s->nrows);
    memcpy(s->route, gather, (size_t)kb * sizeof *s->route);
    memcpy(s->route + s->nrows, scatter, (size_t)k * sizeof *s->route);
    s->route_kb = kb;
    s->route_k = k;
    return SEQRT_OK;
}

/* Copies the batch entries [b0, b0 + len) of a [LD, kb, H] value from or to
 * the rows [row0, row0 + len) of `r`: one rectangle of LD lines. */
static seqrt_status rect(ocl_session *s, const ocl_rows *r, cl_mem value, size_t b0, size_t row0, size_t len,
                         bool to_rows)
{
    size_t H4 = r->H * sizeof(float), vpitch = (size_t)s->route_kb * H4, rpitch = s->nrows * H4;
    const size_t vo[3] = {b0 * H4, 0, 0}, ro[3] = {row0 * H4, 0, 0}, region[3] = {len * H4, r->LD, 1};
    cl_int err = to_rows ? clEnqueueCopyBufferRect(s->q, value, r->buf.mem, vo, ro, region, vpitch, 0, rpitch, 0, 0,
                                                   NULL, NULL)
                         : clEnqueueCopyBufferRect(s->q, r->buf.mem, value, ro, vo, region, rpitch, 0, vpitch, 0, 0,
                                                   NULL, NULL);
    OCL_CL(OCL_FAULT("clEnqueueCopyBufferRect", CL_OUT_OF_RESOURCES, err), "clEnqueueCopyBufferRect(%zu rows of '%s')",
           len, s->model->values[r->value].name);
    return SEQRT_OK;
}

/* Every run of consecutive rows of `list` (n entries; -1 skipped) as one
 * rectangle. */
static seqrt_status rects(ocl_session *s, const ocl_rows *r, cl_mem value, const int64_t *list, int n, bool to_rows)
{
    for (int b = 0; b < n;) {
        if (list[b] < 0) {
            b++;
            continue;
        }
        int e = b + 1;
        while (e < n && list[e] == list[e - 1] + 1) e++;
        seqrt_status st = rect(s, r, value, (size_t)b, (size_t)list[b], (size_t)(e - b), to_rows);
        if (st) return st;
        b = e;
    }
    return SEQRT_OK;
}

seqrt_status ocl_rows_gather(ocl_session *s)
{
    if (!s->route_kb) return SEQRT_OK;
    const int64_t *gather = s->route;
    bool pad = false;
    for (int b = 0; b < s->route_kb; b++) pad |= gather[b] < 0;
    for (int i = 0; i < s->nrowstates; i++) {
        const ocl_rows *r = &s->rows[i];
        cl_mem v = s->vals[r->value].mem;
        seqrt_status st = pad ? ocl_zero(s, v, 0, r->LD * (size_t)s->route_kb * r->H) : SEQRT_OK;
        if (st || (st = rects(s, r, v, gather, s->route_kb, false))) return st;
    }
    return SEQRT_OK;
}

seqrt_status ocl_rows_scatter(ocl_session *s)
{
    if (!s->route_kb) return SEQRT_OK;
    for (int i = 0; i < s->nrowstates; i++) {
        const ocl_rows *r = &s->rows[i];
        seqrt_status st = rects(s, r, s->vals[r->final].mem, s->route + s->nrows, s->route_k, true);
        if (st) return st;
    }
    return SEQRT_OK;
}
