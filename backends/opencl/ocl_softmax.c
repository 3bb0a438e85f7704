/*
 * softmax and log_softmax along any axis, and the masked softmax of the
 * attention ops. Long contiguous rows (a vocabulary) take one work-group
 * per row (the profile's reduce_wg items, subgroup sums where enabled);
 * other rows one work-item each. One sq_op_impl row per op kind.
 */
#include "ocl_internal.h"

static seqrt_status run_softmax(void *session, const sq_op_args *a, void *state)
{
    (void)state;
    ocl_session *s = session;
    const sq_layer *L = a->layer;
    const sq_view *xs = a->in[SQ_SLOT_X];
    int64_t outer, inner;
    const int axis = sq_axis_split(xs->rank, xs->d, L->a.axis, &outer, &inner); /* checked at load */
    const int64_t n = xs->d[axis];
    cl_mem x = ocl_mem(xs), y = ocl_mem(a->out[SQ_OUT_MAIN]);
    const int log_form = L->op == SQ_OP_LOG_SOFTMAX;
    const ocl_profile *p = &s->dev->choice.profile;
    if (n == 0 || outer * inner == 0) return SEQRT_OK;
    if (inner == 1 && n >= p->softmax_wg_min && ocl_wg_fits(s, K_sq_softmax_wg, (size_t)p->reduce_wg)) {
        size_t wg = (size_t)p->reduce_wg;
        return OCL_LAUNCH(s, K_sq_softmax_wg, (size_t)outer * wg, wg, KA_MEM(x), KA_MEM(y), KA_INT(outer), KA_INT(n),
                          KA_INT(log_form));
    }
    return OCL_LAUNCH(s, K_sq_softmax_rows, (size_t)(outer * inner), (size_t)p->wg, KA_MEM(x), KA_MEM(y), KA_INT(outer),
                      KA_INT(n), KA_INT(inner), KA_INT(log_form));
}

seqrt_status ocl_masked_softmax(ocl_session *s, cl_mem scores, size_t rows, int Tk, int Tq, int heads,
                                cl_mem lens, bool causal)
{
    const int has_len = lens != NULL;
    return OCL_LAUNCH(s, K_sq_masked_softmax, rows, (size_t)s->dev->choice.profile.wg, KA_MEM(scores), KA_INT(rows),
                      KA_INT(Tk), KA_INT(Tq), KA_INT(heads), KA_MEM(lens), KA_INT(has_len), KA_INT(causal));
}

const sq_op_impl ocl_softmax_impl = {.supports = sq_op_supports_all, .run = run_softmax};
const sq_op_impl ocl_log_softmax_impl = {.supports = sq_op_supports_all, .run = run_softmax};
