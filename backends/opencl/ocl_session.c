/*
 * OpenCL sessions: one in-order queue per session, the kernels of the
 * device's program, the weights of every layer uploaded once at creation,
 * one device buffer per graph value allocated once per shape (grown only
 * when a run needs more). The layers' op rows (sq_op_impl, one per op kind,
 * exported by the op files) are prepared, run and released through the
 * core's walks (api/op_walk.c) with this session as their `session`; the
 * views they get hold a value's device buffer (cl_mem) in `data`. A run
 * uploads the model inputs, walks the layers in order with every
 * intermediate value on the device, reads the outputs back and waits for
 * the queue: on success and on every failure alike, so no host memory of
 * the caller is touched after the run returns. A streaming session's
 * carried states stay on the device between runs (ocl_state.c): an input
 * or output the core hands over with data NULL crosses nothing, and
 * neither does an input that no layer reads (an h0/c0 the streaming view
 * replaced by its carried state).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ocl_internal.h"

static const char *const g_kernel_names[OCL_KERNEL_COUNT] = {
#define OCL_KNAME(name) #name,
    OCL_KERNELS(OCL_KNAME)
#undef OCL_KNAME
};

/* The device's op table: one row per op kind (ops in ocl_internal.h). */
static const sq_op_impl *const g_ops[SQ_OP_COUNT] = {
    [SQ_OP_EMBEDDING] = &ocl_embedding_impl,
    [SQ_OP_ONE_HOT] = &ocl_one_hot_impl,
    [SQ_OP_LSTM] = &ocl_lstm_impl,
    [SQ_OP_GRU] = &ocl_gru_impl,
    [SQ_OP_RNN] = &ocl_rnn_impl,
    [SQ_OP_LINEAR] = &ocl_linear_impl,
    [SQ_OP_ACTIVATION] = &ocl_activation_impl,
    [SQ_OP_SOFTMAX] = &ocl_softmax_impl,
    [SQ_OP_LOG_SOFTMAX] = &ocl_log_softmax_impl,
    [SQ_OP_DROPOUT] = &ocl_dropout_impl,
    [SQ_OP_ADD] = &ocl_add_impl,
    [SQ_OP_MUL] = &ocl_mul_impl,
    [SQ_OP_CONCAT] = &ocl_concat_impl,
    [SQ_OP_SELECT] = &ocl_select_impl,
    [SQ_OP_LAST_STEP] = &ocl_last_step_impl,
    [SQ_OP_MEAN_POOL] = &ocl_mean_pool_impl,
    [SQ_OP_ATTENTION] = &ocl_attention_impl,
    [SQ_OP_ATTENTION_POOL] = &ocl_attention_pool_impl,
    [SQ_OP_MULTIHEAD_ATTENTION] = &ocl_multihead_attention_impl,
};

/* ------------------------------------------------------------ values */

const int32_t *ocl_host_lengths(ocl_session *s, const sq_layer *L)
{
    int v = L->in[SQ_SLOT_LENGTHS];
    if (v < 0) return NULL;
    int i = s->model->values[v].input_index;
    return i >= 0 ? (const int32_t *)s->host_in[i]->data : NULL;
}

const sq_weight *ocl_weight(const sq_layer *L, int i) { return i < L->nw ? L->w[i] : NULL; }

seqrt_status ocl_check_int(const sq_layer *L, int64_t v, const char *what)
{
    if (v < 0 || v > INT_MAX)
        return sq_error(SEQRT_ERR_LIMIT, "layer '%s': %s (%lld) is beyond the opencl backend's 32-bit indexing",
                        L->name, what, (long long)v);
    return SEQRT_OK;
}

/* ------------------------------------------------------------ kernels */

bool ocl_wg_fits(const ocl_session *s, ocl_kid kid, size_t wg) { return wg <= s->kmax[kid]; }

seqrt_status ocl_launch(ocl_session *s, ocl_kid kid, size_t n, size_t wg, int nargs, const ocl_karg *args)
{
    if (n == 0) return SEQRT_OK;
    if (kid != K_sq_softmax_wg)
        while (wg > 1 && wg > s->kmax[kid]) wg /= 2;
    cl_kernel k = s->k[kid];
    for (int i = 0; i < nargs; i++) {
        const void *ptr = args[i].mem && !*(const cl_mem *)args[i].ptr ? (const void *)&s->dummy : args[i].ptr;
        OCL_CL(clSetKernelArg(k, (cl_uint)i, args[i].size, ptr), "clSetKernelArg(%s, %d)", g_kernel_names[kid], i);
    }
    size_t global = wg ? (n + wg - 1) / wg * wg : n;
    OCL_CLF("clEnqueueNDRangeKernel", clEnqueueNDRangeKernel(s->q, k, 1, NULL, &global, wg ? &wg : NULL, 0, NULL, NULL),
            "clEnqueueNDRangeKernel(%s, %zu items, work-group %zu)", g_kernel_names[kid], global, wg);
    return SEQRT_OK;
}

/* ------------------------------------------------------------ sessions */

static void session_free(void *impl)
{
    ocl_session *s = impl;
    if (!s) return;
    const seqrt_model *m = s->model;
    if (s->q) clFinish(s->q);
    sq_ops_release(g_ops, m, s->state);
    ocl_state_free(s);
    ocl_rows_free(s);
    if (s->vals)
        for (int v = 0; v < m->nvalues; v++) ocl_buf_release(&s->vals[v]);
    for (int k = 0; k < OCL_KERNEL_COUNT; k++)
        if (s->k[k]) clReleaseKernel(s->k[k]);
    ocl_release_mem(&s->dummy);
    ocl_onednn_free(s->dnnl);
    if (s->q) clReleaseCommandQueue(s->q);
    sq_free(s->state);
    sq_free(s->unread);
    sq_free(s->views);
    sq_free(s->vals);
    sq_free(s);
}

static seqrt_status session_create(const seqrt_device *dev, const seqrt_model *m, void **out)
{
    *out = NULL;
    ocl_device *d = dev->ctx;
    seqrt_status st = ocl_device_prepare(d);
    if (st) return st;
    ocl_session *s = sq_calloc(1, sizeof *s);
    if (!s) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    s->model = m;
    s->dev = d;
    s->ctx = d->ctx;
    s->vals = sq_calloc((size_t)(m->nvalues ? m->nvalues : 1), sizeof *s->vals);
    s->views = sq_calloc((size_t)(m->nvalues ? m->nvalues : 1), sizeof *s->views);
    s->state = sq_calloc((size_t)(m->nlayers ? m->nlayers : 1), sizeof *s->state);
    s->unread = sq_calloc((size_t)(m->ninputs ? m->ninputs : 1), sizeof *s->unread);
    if (!s->vals || !s->views || !s->state || !s->unread) {
        session_free(s);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating an opencl session");
    }
    for (int i = 0; i < m->ninputs; i++) s->unread[i] = sq_value_unused(m, m->inputs[i]);
    cl_int err;
    s->q = OCL_FAULT("clCreateCommandQueue", (err = CL_OUT_OF_RESOURCES, NULL),
                     clCreateCommandQueue(d->ctx, d->id, 0, &err));
    if (err != CL_SUCCESS) {
        s->q = NULL;
        session_free(s);
        return ocl_fail(err, "clCreateCommandQueue(%s)", d->desc.name);
    }
    for (int k = 0; k < OCL_KERNEL_COUNT; k++) {
        s->k[k] = OCL_FAULT("clCreateKernel", (err = CL_OUT_OF_HOST_MEMORY, NULL),
                            clCreateKernel(d->program, g_kernel_names[k], &err));
        if (err != CL_SUCCESS) {
            s->k[k] = NULL;
            session_free(s);
            return ocl_fail(err, "clCreateKernel(%s)", g_kernel_names[k]);
        }
        err = clGetKernelWorkGroupInfo(s->k[k], d->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof s->kmax[k], &s->kmax[k], NULL);
        if (err != CL_SUCCESS) {
            session_free(s);
            return ocl_fail(err, "clGetKernelWorkGroupInfo(%s)", g_kernel_names[k]);
        }
    }
    if ((st = ocl_upload(s, NULL, 16, &s->dummy, "a placeholder"))) {
        session_free(s);
        return st;
    }
    if (d->onednn_route && ocl_onednn_create(d->ctx, d->id, s->q, &s->dnnl) != SEQRT_OK) {
        sq_log(SQ_LOG_WARN, "opencl: %s; using CLBlast", seqrt_last_error());
        s->dnnl = NULL;
    }
    if ((st = sq_ops_prepare(g_ops, s, m, s->state))) {
        session_free(s);
        return st;
    }
    if ((err = OCL_FAULT("clFinish", CL_OUT_OF_RESOURCES, clFinish(s->q))) != CL_SUCCESS) {
        session_free(s);
        return ocl_fail(err, "clFinish after uploading the weights");
    }
    sq_log(SQ_LOG_INFO, "opencl: session on %s with profile %s (%s)%s", d->desc.name, d->choice.name, d->choice.why,
           s->dnnl ? "; oneDNN route on" : "");
    *out = s;
    return SEQRT_OK;
}

static seqrt_status bind_values(ocl_session *s, const sq_plan *plan)
{
    const seqrt_model *m = s->model;
    for (int v = 0; v < m->nvalues; v++) {
        const sq_shape *sh = &plan->shapes[v];
        int64_t count;
        if (!sq_dims_count(sh->rank, sh->d, &count) || count > INT_MAX)
            return sq_error(SEQRT_ERR_LIMIT, "value '%s' has more elements than the opencl backend indexes (2^31-1)",
                            m->values[v].name);
        sq_view *w = &s->views[v];
        w->dtype = m->values[v].dtype;
        w->rank = sh->rank;
        memcpy(w->d, sh->d, sizeof w->d);
        seqrt_status st;
        if ((w->data = ocl_state_mem(s, v, (size_t)count, &st)) || st) { /* a carried state */
            if (st) return st;
            continue;
        }
        if ((st = ocl_buf_reserve(s, &s->vals[v], (size_t)count * 4, m->values[v].name))) return st;
        w->data = s->vals[v].mem;
    }
    return SEQRT_OK;
}

/* Enqueues the copy of value v between its device buffer and the host view
 * `host`: to the device for a model input (write), back for an output. */
static seqrt_status transfer(ocl_session *s, int v, const sq_view *host, bool write)
{
    const size_t bytes = (size_t)sq_view_count(host) * 4;
    if (!bytes || !host->data) return SEQRT_OK; /* data NULL: a streaming state kept on the device */
    cl_mem mem = s->vals[v].mem;
    const char *name = s->model->values[v].name;
    if (write)
        OCL_CLF("clEnqueueWriteBuffer", clEnqueueWriteBuffer(s->q, mem, CL_FALSE, 0, bytes, host->data, 0, NULL, NULL),
                "clEnqueueWriteBuffer(input '%s')", name);
    else
        OCL_CLF("clEnqueueReadBuffer", clEnqueueReadBuffer(s->q, mem, CL_FALSE, 0, bytes, host->data, 0, NULL, NULL),
                "clEnqueueReadBuffer(output '%s')", name);
    ocl_count_transfer(s, write, bytes);
    return SEQRT_OK;
}

/* SEQRT_LOG=debug: what the run moved between host and device. */
static void log_transfers(const ocl_session *s)
{
    const ocl_moved *x = &s->moved;
    sq_log(SQ_LOG_DEBUG,
           "opencl: run: %u host->device transfer(s) of %zu bytes, %u device->host of %zu bytes; %d streaming "
           "state(s) stay on the device",
           x->to_dev, x->bytes_to_dev, x->to_host, x->bytes_to_host, s->ncarry + s->nrowstates);
}

static seqrt_status run_graph(ocl_session *s, const sq_plan *plan, const sq_view *const *inputs,
                              sq_view *const *outputs)
{
    const seqrt_model *m = s->model;
    seqrt_status st = bind_values(s, plan);
    for (int i = 0; !st && i < m->ninputs; i++)
        if (!s->unread[i]) st = transfer(s, m->inputs[i], inputs[i], true);
    if (st || (st = ocl_rows_gather(s)) || (st = sq_ops_run(g_ops, s, m, s->views, s->state))) return st;
    for (int o = 0; !st && o < m->noutputs; o++) st = transfer(s, m->outputs[o], outputs[o], false);
    /* into the next states: the states change only when the run succeeds */
    if (!st) st = ocl_rows_scatter(s);
    return st ? st : ocl_state_commit(s);
}

static seqrt_status session_run(void *impl, const sq_plan *plan, const sq_view *const *inputs, sq_view *const *outputs)
{
    ocl_session *s = impl;
    s->host_in = inputs;
    memset(&s->moved, 0, sizeof s->moved);
    seqrt_status st = run_graph(s, plan, inputs, outputs);
    /* always drain the queue: the caller's buffers must not be touched later */
    cl_int err = clFinish(s->q);
    if (err == CL_SUCCESS) err = OCL_FAULT("clFinish", CL_OUT_OF_RESOURCES, CL_SUCCESS);
    s->host_in = NULL;
    s->route_kb = s->route_k = 0; /* a route serves one run */
    if (st) return st;
    if (err != CL_SUCCESS) return ocl_fail(err, "clFinish (the run)");
    ocl_state_advance(s);
    log_transfers(s);
    return SEQRT_OK;
}

static const sq_session_iface g_session_iface = {.run = session_run,
                                                 .free = session_free,
                                                 .carry_init = ocl_carry_init,
                                                 .state_write = ocl_state_write,
                                                 .state_read = ocl_state_read,
                                                 .rows_init = ocl_rows_init,
                                                 .row_write = ocl_row_write,
                                                 .row_read = ocl_row_read,
                                                 .rows_route = ocl_rows_route};

const sq_device_iface ocl_device_iface = {
    .ops = g_ops, .session_create = session_create, .session = &g_session_iface};
