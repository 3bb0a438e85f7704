/*
 * Reference bf16/f16 layers (ref_quant.h): the layer computes exactly as
 * f32 from its weights rounded to that type (quantization.md, "What each
 * precision computes"). Prepare makes the layer once with f32 copies of
 * the rounded weights (widened exactly, sq_layer_widen); run hands it to
 * the op's own f32 function.
 */
#include "ref_quant.h"

typedef struct ref_prec_state {
    sq_layer layer;   /* the f32 layer */
    sq_weight *copies;
    int ncopies;
} ref_prec_state;

void ref_prec_release(void *state)
{
    ref_prec_state *p = state;
    if (!p) return;
    for (int i = 0; i < p->ncopies; i++) sq_free(p->copies[i].data);
    sq_free(p->copies);
    sq_free((void *)p->layer.w);
    sq_free(p);
}

seqrt_status ref_prec_prepare(void *session, const sq_layer *L, void **state)
{
    (void)session;
    *state = NULL;
    if (L->precision != SQ_PREC_BF16 && L->precision != SQ_PREC_F16) return SEQRT_OK;
    ref_prec_state *p = sq_calloc(1, sizeof *p);
    if (!p || !(p->copies = sq_calloc((size_t)(L->nw ? L->nw : 1), sizeof *p->copies))) {
        sq_free(p);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "layer '%s': out of memory", L->name);
    }
    seqrt_status st = sq_layer_widen(L, &p->layer, p->copies, &p->ncopies);
    if (st) {
        ref_prec_release(p);
        return st;
    }
    *state = p;
    return SEQRT_OK;
}

seqrt_status ref_prec_run(seqrt_status (*fn)(const sq_op_args *), const sq_op_args *a, void *state)
{
    if (!state) return fn(a);
    sq_op_args b = *a;
    b.layer = &((ref_prec_state *)state)->layer;
    return fn(&b);
}
