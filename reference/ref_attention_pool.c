/*
 * attention_pool over a sequence x ([T, B, F], or [B, T, F] when batch_first):
 *   score_t = projection.2(act(projection.0(x_t)))
 *           = b2 + sum_a W2[a] * act(W0[a] . x_t + b0[a])     (A = hidden)
 *   w = softmax(score) over the valid steps t < len[b]; padded steps get 0;
 *   a row with no valid step gets all-zero weights and a zero output.
 *   out[b] = sum_t w_t x_t   ([B, F]);   weights [B, T]
 * Every sum and activation is in double; each stored value is rounded once.
 */
#include "ref_masked_softmax.h"
#include "ref_ops.h"

seqrt_status ref_attention_pool(const sq_op_args *args)
{
    const sq_layer *L = args->layer;
    const bool bf = args->batch_first;
    const sq_view *x = args->in[SQ_SLOT_X];
    const int32_t *lens = args->in[SQ_SLOT_LENGTHS] ? sq_vi(args->in[SQ_SLOT_LENGTHS]) : NULL;
    sq_view *out = args->out[SQ_OUT_MAIN];
    sq_view *w_out = args->out[SQ_OUT_WEIGHTS]; /* may be NULL */
    const sq_weight *W0 = ref_weight_or_null(L, SQ_W_POOL0), *b0 = ref_weight_or_null(L, SQ_B_POOL0);
    const sq_weight *W2 = ref_weight_or_null(L, SQ_W_POOL2), *b2 = ref_weight_or_null(L, SQ_B_POOL2);
    const int act = L->a.activation;
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), F = x->d[2];
    const int64_t A = W0->dims[0];
    const float *xv = sq_vf(x);

    double *s = sq_malloc((size_t)T * sizeof(double));
    double *acc = sq_malloc((size_t)F * sizeof(double));
    if (!s || !acc) {
        sq_free(s);
        sq_free(acc);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY,
                        "layer '%s': out of memory for attention_pool scratch", L->name);
    }

    for (int64_t b = 0; b < B; b++) {
        const int64_t nvalid = sq_valid_len(lens, b, T);
        for (int64_t t = 0; t < nvalid; t++) {
            const float *xt = xv + sq_seq_off(bf, T, B, t, b, F);
            double sc = b2 ? (double)b2->data[0] : 0.0;
            for (int64_t a = 0; a < A; a++) {
                double h = ref_dot(W0->data + a * F, xt, F) + (b0 ? b0->data[a] : 0.0);
                sc += (double)W2->data[a] * ref_activation(act, h);
            }
            s[t] = sc;
        }
        ref_masked_softmax(s, T, nvalid);

        for (int64_t f = 0; f < F; f++) acc[f] = 0.0;
        for (int64_t t = 0; t < nvalid; t++) { /* padded steps are never read */
            const float *xt = xv + sq_seq_off(bf, T, B, t, b, F);
            for (int64_t f = 0; f < F; f++) acc[f] += s[t] * (double)xt[f];
        }
        for (int64_t f = 0; f < F; f++) sq_vf(out)[b * F + f] = (float)acc[f];
        if (w_out)
            for (int64_t t = 0; t < T; t++) sq_vf(w_out)[b * T + t] = (float)s[t];
    }

    sq_free(s);
    sq_free(acc);
    return SEQRT_OK;
}
