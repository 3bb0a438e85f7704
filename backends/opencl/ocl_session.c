/*
 * OpenCL sessions: one in-order queue per session, the kernels of the
 * device's program, the weights of every layer uploaded once at creation,
 * one device buffer per graph value allocated once per shape (grown only
 * when a run needs more). A run uploads the model inputs, walks the layers
 * in order with every intermediate value on the device, reads the outputs
 * back and waits for the queue: on success and on every failure alike, so
 * no host memory of the caller is touched after the run returns.
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

static const ocl_op *const g_ops[SQ_OP_COUNT] = {
    [SQ_OP_EMBEDDING] = &ocl_op_embedding,
    [SQ_OP_ONE_HOT] = &ocl_op_one_hot,
    [SQ_OP_LSTM] = &ocl_op_lstm,
    [SQ_OP_GRU] = &ocl_op_gru,
    [SQ_OP_RNN] = &ocl_op_rnn,
    [SQ_OP_LINEAR] = &ocl_op_linear,
    [SQ_OP_ACTIVATION] = &ocl_op_activation,
    [SQ_OP_SOFTMAX] = &ocl_op_softmax,
    [SQ_OP_LOG_SOFTMAX] = &ocl_op_softmax,
    [SQ_OP_DROPOUT] = &ocl_op_dropout,
    [SQ_OP_ADD] = &ocl_op_binary,
    [SQ_OP_MUL] = &ocl_op_binary,
    [SQ_OP_CONCAT] = &ocl_op_concat,
    [SQ_OP_SELECT] = &ocl_op_select,
    [SQ_OP_LAST_STEP] = &ocl_op_pool,
    [SQ_OP_MEAN_POOL] = &ocl_op_pool,
    [SQ_OP_ATTENTION] = &ocl_op_attention,
    [SQ_OP_ATTENTION_POOL] = &ocl_op_attention_pool,
    [SQ_OP_MULTIHEAD_ATTENTION] = &ocl_op_mha,
};

/* ------------------------------------------------------------ buffers */

void ocl_release_mem(cl_mem *m)
{
    if (*m) clReleaseMemObject(*m);
    *m = NULL;
}

void ocl_buf_release(ocl_buf *b)
{
    ocl_release_mem(&b->mem);
    b->cap = 0;
}

static seqrt_status create_buffer(ocl_session *s, cl_mem_flags flags, size_t bytes, void *host, cl_mem *out,
                                  const char *what)
{
    if (bytes < 16) bytes = 16;
    cl_ulong max = s->dev->desc.max_alloc;
    if (max && bytes > max)
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "opencl: %s needs %zu bytes in one buffer; %s allows at most %llu",
                        what, bytes, s->dev->desc.name, (unsigned long long)max);
    cl_int err;
    *out = OCL_FAULT("clCreateBuffer", (err = CL_MEM_OBJECT_ALLOCATION_FAILURE, NULL),
                        clCreateBuffer(s->ctx, flags, bytes, host, &err));
    if (err != CL_SUCCESS) {
        *out = NULL;
        return ocl_fail(err, "clCreateBuffer(%zu bytes for %s)", bytes, what);
    }
    return SEQRT_OK;
}

seqrt_status ocl_buf_reserve(ocl_session *s, ocl_buf *b, size_t bytes, const char *what)
{
    if (bytes <= b->cap && b->mem) return SEQRT_OK;
    ocl_buf_release(b);
    seqrt_status st = create_buffer(s, CL_MEM_READ_WRITE, bytes, NULL, &b->mem, what);
    if (st) return st;
    b->cap = bytes < 16 ? 16 : bytes;
    return SEQRT_OK;
}

seqrt_status ocl_upload(ocl_session *s, const float *data, size_t count, cl_mem *out, const char *what)
{
    seqrt_status st = create_buffer(s, CL_MEM_READ_WRITE, count * sizeof(float), NULL, out, what);
    if (st) return st;
    st = data ? ocl_write(s, *out, 0, data, count, what) : ocl_zero(s, *out, 0, count);
    if (st) ocl_release_mem(out);
    return st;
}

seqrt_status ocl_write(ocl_session *s, cl_mem m, size_t off, const float *data, size_t count, const char *what)
{
    if (!count) return SEQRT_OK;
    OCL_CLF("clEnqueueWriteBuffer",
           clEnqueueWriteBuffer(s->q, m, CL_TRUE, off * sizeof(float), count * sizeof(float), data, 0, NULL, NULL),
           "clEnqueueWriteBuffer(%s)", what);
    return SEQRT_OK;
}

seqrt_status ocl_zero(ocl_session *s, cl_mem m, size_t off, size_t count)
{
    if (!count) return SEQRT_OK;
    const cl_float zero = 0.0f;
    OCL_CLF("clEnqueueFillBuffer",
           clEnqueueFillBuffer(s->q, m, &zero, sizeof zero, off * sizeof(float), count * sizeof(float), 0, NULL, NULL),
           "clEnqueueFillBuffer(%zu floats)", count);
    return SEQRT_OK;
}

seqrt_status ocl_copy(ocl_session *s, cl_mem src, size_t soff, cl_mem dst, size_t doff, size_t count)
{
    if (!count) return SEQRT_OK;
    OCL_CLF("clEnqueueCopyBuffer",
           clEnqueueCopyBuffer(s->q, src, dst, soff * sizeof(float), doff * sizeof(float), count * sizeof(float), 0,
                               NULL, NULL),
           "clEnqueueCopyBuffer(%zu floats)", count);
    return SEQRT_OK;
}

/* ------------------------------------------------------------ values */

cl_mem ocl_in(ocl_session *s, const sq_layer *L, int slot)
{
    return L->in[slot] >= 0 ? s->vals[L->in[slot]].mem : NULL;
}

cl_mem ocl_out(ocl_session *s, const sq_layer *L, int o)
{
    return L->out[o] >= 0 ? s->vals[L->out[o]].mem : NULL;
}

const sq_shape *ocl_in_shape(ocl_session *s, const sq_layer *L, int slot)
{
    return L->in[slot] >= 0 ? &s->plan->shapes[L->in[slot]] : NULL;
}

const sq_shape *ocl_out_shape(ocl_session *s, const sq_layer *L, int o)
{
    return L->out[o] >= 0 ? &s->plan->shapes[L->out[o]] : NULL;
}

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
    if (s->state)
        for (int l = 0; l < m->nlayers; l++)
            if (s->state[l] && g_ops[m->layers[l].op]->release) g_ops[m->layers[l].op]->release(s->state[l]);
    if (s->vals)
        for (int v = 0; v < m->nvalues; v++) ocl_buf_release(&s->vals[v]);
    for (int k = 0; k < OCL_KERNEL_COUNT; k++)
        if (s->k[k]) clReleaseKernel(s->k[k]);
    ocl_release_mem(&s->dummy);
    ocl_onednn_free(s->dnnl);
    if (s->q) clReleaseCommandQueue(s->q);
    sq_free(s->state);
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
    s->state = sq_calloc((size_t)(m->nlayers ? m->nlayers : 1), sizeof *s->state);
    if (!s->vals || !s->state) {
        session_free(s);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating an opencl session");
    }
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
    if ((st = create_buffer(s, CL_MEM_READ_WRITE, 64, NULL, &s->dummy, "a placeholder")) ||
        (st = ocl_zero(s, s->dummy, 0, 16))) {
        session_free(s);
        return st;
    }
    if (d->onednn_route && ocl_onednn_create(d->ctx, d->id, s->q, &s->dnnl) != SEQRT_OK) {
        sq_log(SQ_LOG_WARN, "opencl: %s; using CLBlast", seqrt_last_error());
        s->dnnl = NULL;
    }
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        const ocl_op *op = g_ops[L->op];
        if (!op) {
            session_free(s);
            return sq_error(SEQRT_ERR_UNSUPPORTED, "layer '%s': op '%s' has no opencl implementation", L->name,
                            sq_op_name(L->op));
        }
        if (op->prepare && (st = op->prepare(s, L, &s->state[l]))) {
            session_free(s);
            return sq_error_prefix(st, "layer '%s'", L->name);
        }
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
        seqrt_status st = ocl_buf_reserve(s, &s->vals[v], (size_t)count * 4, m->values[v].name);
        if (st) return st;
    }
    return SEQRT_OK;
}

static seqrt_status run_graph(ocl_session *s, const sq_plan *plan, const sq_view *const *inputs,
                              sq_view *const *outputs)
{
    const seqrt_model *m = s->model;
    seqrt_status st = bind_values(s, plan);
    if (st) return st;
    for (int i = 0; i < m->ninputs; i++) {
        size_t bytes = (size_t)sq_view_count(inputs[i]) * 4;
        if (!bytes) continue;
        OCL_CLF(
            "clEnqueueWriteBuffer",
            clEnqueueWriteBuffer(s->q, s->vals[m->inputs[i]].mem, CL_FALSE, 0, bytes, inputs[i]->data, 0, NULL, NULL),
            "clEnqueueWriteBuffer(input '%s')", m->values[m->inputs[i]].name);
    }
    for (int l = 0; l < m->nlayers; l++) {
        const sq_layer *L = &m->layers[l];
        if ((st = g_ops[L->op]->run(s, L, s->state[l]))) return sq_error_prefix(st, "layer '%s'", L->name);
    }
    for (int o = 0; o < m->noutputs; o++) {
        size_t bytes = (size_t)sq_view_count(outputs[o]) * 4;
        if (!bytes) continue;
        OCL_CLF(
            "clEnqueueReadBuffer",
            clEnqueueReadBuffer(s->q, s->vals[m->outputs[o]].mem, CL_FALSE, 0, bytes, outputs[o]->data, 0, NULL, NULL),
            "clEnqueueReadBuffer(output '%s')", m->values[m->outputs[o]].name);
    }
    return SEQRT_OK;
}

static seqrt_status session_run(void *impl, const sq_plan *plan, const sq_view *const *inputs, sq_view *const *outputs)
{
    ocl_session *s = impl;
    s->plan = plan;
    s->host_in = inputs;
    seqrt_status st = run_graph(s, plan, inputs, outputs);
    /* always drain the queue: the caller's buffers must not be touched later */
    cl_int err = clFinish(s->q);
    if (err == CL_SUCCESS) err = OCL_FAULT("clFinish", CL_OUT_OF_RESOURCES, CL_SUCCESS);
    s->plan = NULL;
    s->host_in = NULL;
    if (st) return st;
    if (err != CL_SUCCESS) return ocl_fail(err, "clFinish (the run)");
    return SEQRT_OK;
}

static const sq_session_iface g_session_iface = {.run = session_run, .free = session_free};

/* The device's op table (transitional: each row runs through g_ops). */
static seqrt_status row_run(void *s, const sq_op_args *a, void *state)
{
    return g_ops[a->layer->op]->run(s, a->layer, state);
}
static const sq_op_impl g_row = {.supports = sq_op_supports_all, .run = row_run};
static const sq_op_impl *const g_rows[SQ_OP_COUNT] = {
#define ROW(k) [SQ_OP_##k] = &g_row
    ROW(EMBEDDING), ROW(ONE_HOT), ROW(LSTM), ROW(GRU), ROW(RNN), ROW(LINEAR), ROW(ACTIVATION), ROW(SOFTMAX),
    ROW(LOG_SOFTMAX), ROW(DROPOUT), ROW(ADD), ROW(MUL), ROW(CONCAT), ROW(SELECT), ROW(LAST_STEP), ROW(MEAN_POOL),
    ROW(ATTENTION), ROW(ATTENTION_POOL), ROW(MULTIHEAD_ATTENTION),
#undef ROW
};

const sq_device_iface ocl_device_iface = {
    .ops = g_rows, .session_create = session_create, .session = &g_session_iface};
