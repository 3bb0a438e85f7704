/*
 * The simple ops on the device: embedding, one_hot, linear (CLBlast GEMM +
 * bias kernel), activation, dropout (a copy), add, mul, concat and select
 * (rectangular buffer copies), last_step and mean_pool: one sq_op_impl row
 * per op kind.
 */
#include <stdio.h>
#include <string.h>

#include "ocl_internal.h"
#include "seq.h"

static size_t wg_of(ocl_session *s) { return (size_t)s->dev->choice.profile.wg; }

/* ------------------------------------------------------------ weights held by an op */

typedef struct mats {
    cl_mem m[4];
} mats;

static void mats_release(void *state)
{
    mats *w = state;
    if (!w) return;
    for (int i = 0; i < 4; i++) ocl_release_mem(&w->m[i]);
    sq_free(w);
}

/* Uploads L->w[0 .. n) (absent ones stay NULL). */
static seqrt_status upload_weights(void *s, const sq_layer *L, int n, void **state)
{
    mats *w = sq_calloc(1, sizeof *w);
    if (!w) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < n && i < 4; i++) {
        const sq_weight *x = ocl_weight(L, i);
        if (!x) continue;
        seqrt_status st = ocl_upload(s, x->data, (size_t)x->count, &w->m[i], x->name);
        if (st) {
            mats_release(w);
            return st;
        }
    }
    *state = w;
    return SEQRT_OK;
}

static seqrt_status prepare_one(void *s, const sq_layer *L, void **state)
{
    return upload_weights(s, L, 1, state);
}

static seqrt_status prepare_two(void *s, const sq_layer *L, void **state)
{
    return upload_weights(s, L, 2, state);
}

/* ------------------------------------------------------------ embedding, one_hot */

static seqrt_status run_embedding(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    mats *w = state;
    cl_mem ids = ocl_mem(a->in[SQ_SLOT_X]), y = ocl_mem(a->out[SQ_OUT_MAIN]);
    int64_t n = sq_view_count(a->in[SQ_SLOT_X]), E = L->a.embedding_dim;
    return OCL_LAUNCH(s, K_sq_embedding, (size_t)(n * E), wg_of(s), KA_MEM(ids), KA_MEM(w->m[0]), KA_MEM(y), KA_INT(n),
                      KA_INT(E));
}

static seqrt_status run_one_hot(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    (void)state;
    cl_mem ids = ocl_mem(a->in[SQ_SLOT_X]), y = ocl_mem(a->out[SQ_OUT_MAIN]);
    int64_t n = sq_view_count(a->in[SQ_SLOT_X]), depth = L->a.depth;
    return OCL_LAUNCH(s, K_sq_one_hot, (size_t)(n * depth), wg_of(s), KA_MEM(ids), KA_MEM(y), KA_INT(n), KA_INT(depth));
}

/* ------------------------------------------------------------ linear */

static seqrt_status run_linear(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    mats *w = state;
    cl_mem x = ocl_mem(a->in[SQ_SLOT_X]), y = ocl_mem(a->out[SQ_OUT_MAIN]);
    const sq_view *sh = a->in[SQ_SLOT_X];
    const size_t in = (size_t)L->a.in_features, out = (size_t)L->a.out_features;
    size_t rows = (size_t)(sq_view_count(sh) / (sh->d[sh->rank - 1] ? sh->d[sh->rank - 1] : 1));
    if (sh->d[sh->rank - 1] == 0) rows = 0;
    ocl_gemm g = {false, true, rows, out, in, 1.0f, 0.0f, x, w->m[0], y, 0, 0, 0, in, in, out, 0, 0, 0, 1};
    seqrt_status st = ocl_gemm_run(s, &g);
    if (st || !w->m[1]) return st;
    return OCL_LAUNCH(s, K_sq_add_bias, rows * out, wg_of(s), KA_MEM(y), KA_MEM(w->m[1]), KA_INT(rows), KA_INT(out));
}

/* ------------------------------------------------------------ elementwise */

static seqrt_status run_activation(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    (void)state;
    cl_mem x = ocl_mem(a->in[SQ_SLOT_X]), y = ocl_mem(a->out[SQ_OUT_MAIN]);
    int64_t n = sq_view_count(a->in[SQ_SLOT_X]);
    const bool affine = L->a.function == SQ_ACT_AFFINE;
    return OCL_LAUNCH(s, K_sq_activation, (size_t)n, wg_of(s), KA_MEM(x), KA_MEM(y), KA_INT(n), KA_INT(L->a.function),
                      KA_FLOAT(affine ? L->a.act_alpha : 1.0), KA_FLOAT(affine ? L->a.act_beta : 0.0));
}

static seqrt_status run_binary(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    (void)state;
    cl_mem x0 = ocl_mem(a->in[SQ_SLOT_A]), x1 = ocl_mem(a->in[SQ_SLOT_B]), y = ocl_mem(a->out[SQ_OUT_MAIN]);
    int64_t n = sq_view_count(a->out[SQ_OUT_MAIN]);
    size_t vec = (size_t)s->dev->choice.profile.vec;
    return OCL_LAUNCH(s, K_sq_binary, ((size_t)n + vec - 1) / vec, wg_of(s), KA_MEM(x0), KA_MEM(x1), KA_MEM(y),
                      KA_INT(n), KA_INT(L->op == SQ_OP_MUL));
}

static seqrt_status run_dropout(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    (void)state;
    int64_t n = sq_view_count(a->in[SQ_SLOT_X]);
    return ocl_copy(s, ocl_mem(a->in[SQ_SLOT_X]), 0, ocl_mem(a->out[SQ_OUT_MAIN]), 0, (size_t)n);
}

/* ------------------------------------------------------------ concat, select */

/* Copies `outer` rows of `row` floats between buffers with row pitches. */
static seqrt_status copy_rows(ocl_session *s, cl_mem src, size_t src_off, size_t src_pitch, cl_mem dst,
                              size_t dst_off, size_t dst_pitch, size_t row, size_t outer)
{
    if (!row || !outer) return SEQRT_OK;
    if (outer == 1 || (row == src_pitch && row == dst_pitch))
        return ocl_copy(s, src, src_off, dst, dst_off, row * outer);
    size_t so[3] = {src_off * 4, 0, 0}, dso[3] = {dst_off * 4, 0, 0}, region[3] = {row * 4, outer, 1};
    OCL_CLF("clEnqueueCopyBufferRect",
            clEnqueueCopyBufferRect(s->q, src, dst, so, dso, region, src_pitch * 4, 0, dst_pitch * 4, 0, 0, NULL, NULL),
            "clEnqueueCopyBufferRect(%zu rows of %zu floats)", outer, row);
    return SEQRT_OK;
}

static seqrt_status run_concat(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    (void)state;
    const sq_view *out = a->out[SQ_OUT_MAIN];
    cl_mem y = ocl_mem(a->out[SQ_OUT_MAIN]);
    int64_t outer, inner;
    const int axis = sq_axis_split(out->rank, out->d, L->a.axis, &outer, &inner); /* checked at load */
    const int64_t out_row = out->d[axis] * inner;
    int64_t start = 0;
    for (int k = 0; k < a->nlist; k++) {
        const sq_view *xs = a->list[k];
        int64_t row = xs->d[axis] * inner;
        seqrt_status st =
            copy_rows(s, ocl_mem(xs), 0, (size_t)row, y, (size_t)start, (size_t)out_row, (size_t)row, (size_t)outer);
        if (st) return st;
        start += row;
    }
    return SEQRT_OK;
}

static seqrt_status run_select(void *session, const sq_op_args *a, void *state)
{
    (void)state;
    const sq_attrs *at = &a->layer->a;
    const sq_view *xs = a->in[SQ_SLOT_X];
    int64_t outer, inner;
    const int axis = sq_axis_split(xs->rank, xs->d, at->axis, &outer, &inner); /* checked at load */
    const int64_t n = xs->d[axis], index = at->index < 0 ? at->index + n : at->index;
    return copy_rows(session, ocl_mem(xs), (size_t)(index * inner), (size_t)(n * inner), ocl_mem(a->out[SQ_OUT_MAIN]),
                     0, (size_t)inner, (size_t)inner, (size_t)outer);
}

/* ------------------------------------------------------------ last_step, mean_pool */

static seqrt_status run_pool(void *session, const sq_op_args *a, void *state)
{
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    (void)state;
    const bool bf = a->batch_first;
    const sq_view *xs = a->in[SQ_SLOT_X];
    const int64_t T = sq_seq_T(xs, bf), B = sq_seq_B(xs, bf), F = xs->d[2];
    cl_mem lens = ocl_mem(a->in[SQ_SLOT_LENGTHS]);
    const int has_len = lens != NULL;
    cl_mem x = ocl_mem(a->in[SQ_SLOT_X]), y = ocl_mem(a->out[SQ_OUT_MAIN]);
    return OCL_LAUNCH(s, K_sq_pool_steps, (size_t)(B * F), wg_of(s), KA_MEM(x), KA_MEM(lens), KA_INT(has_len),
                      KA_MEM(y), KA_INT(T), KA_INT(B), KA_INT(F), KA_INT(bf), KA_INT(L->op == SQ_OP_MEAN_POOL));
}

/* ------------------------------------------------------------ rows */

const sq_op_impl ocl_embedding_impl = {
    .supports = sq_op_supports_all, .prepare = prepare_one, .run = run_embedding, .release = mats_release};
const sq_op_impl ocl_one_hot_impl = {.supports = sq_op_supports_all, .run = run_one_hot};
const sq_op_impl ocl_linear_impl = {
    .supports = sq_op_supports_all, .prepare = prepare_two, .run = run_linear, .release = mats_release};
const sq_op_impl ocl_activation_impl = {.supports = sq_op_supports_all, .run = run_activation};
const sq_op_impl ocl_dropout_impl = {.supports = sq_op_supports_all, .run = run_dropout};
const sq_op_impl ocl_add_impl = {.supports = sq_op_supports_all, .run = run_binary};
const sq_op_impl ocl_mul_impl = {.supports = sq_op_supports_all, .run = run_binary};
const sq_op_impl ocl_concat_impl = {.supports = sq_op_supports_all, .run = run_concat};
const sq_op_impl ocl_select_impl = {.supports = sq_op_supports_all, .run = run_select};
const sq_op_impl ocl_last_step_impl = {.supports = sq_op_supports_all, .run = run_pool};
const sq_op_impl ocl_mean_pool_impl = {.supports = sq_op_supports_all, .run = run_pool};
