/*
 * oneDNN backend: int8-dynamic lstm and gru (dnnl_q8.h), where the calls
 * are as quantization.md says: per layer and direction one dynamic linear
 * over the real steps of the whole input sequence (b_ih inside: oneDNN's
 * u8s8 matmul where the CPU has VNNI), then per step one over h_{t-1} of
 * the entries still running (b_hh inside) fused with the cell in the
 * kernels' team (dnnl_q8_kern.c: one barrier per step). The batch entries
 * of a step share one call, so its range spans them all; the layers run
 * one after the other over whole sequences (layer k + 1's input range is
 * layer k's whole output), which the design requires and which makes the
 * memory of a run O(T) (the chunks of the f32 loop engine cannot apply).
 *
 * The weights are kept as the model's int8 codes in the kernels' (or
 * oneDNN's) layout, and no f32 copy: W_ih and W_hh take a quarter of
 * their f32 size, plus one int32 and two floats per row.
 */
#include <omp.h>
#include <string.h>

#include "dnnl_q8.h"
#include "dnnl_rnn.h"
#include "seq.h"

typedef struct q8_rnn {
    const sq_layer *L;
    int nl, D, G;
    int64_t I, H;
    dn_q8_lin *ih, *hh;         /* [nl * D] */
    dn_buf seq[2], rows, proj, xq, acc, h, c, ihrow, codes;
} q8_rnn;

static void q8_rnn_release(void *state)
{
    q8_rnn *r = state;
    if (!r) return;
    for (int i = 0; r->ih && i < r->nl * r->D; i++) dn_q8_lin_free(&r->ih[i]);
    for (int i = 0; r->hh && i < r->nl * r->D; i++) dn_q8_lin_free(&r->hh[i]);
    sq_free(r->ih);
    sq_free(r->hh);
    dn_buf *b[] = {&r->seq[0], &r->seq[1], &r->rows, &r->proj, &r->xq, &r->acc, &r->h, &r->c, &r->ihrow, &r->codes};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) dn_buf_free(b[i]);
    sq_free(r);
}

static seqrt_status q8_rnn_prepare(void *session, const sq_layer *L, void **out)
{
    q8_rnn *r = sq_calloc(1, sizeof *r);
    if (!r) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *out = r;
    r->L = L;
    r->nl = (int)L->a.num_layers;
    r->D = sq_dirs(L);
    r->G = sq_gates(L);
    r->I = L->a.input_size;
    r->H = L->a.hidden_size;
    if ((L->op != SQ_OP_LSTM && L->op != SQ_OP_GRU) || (L->op == SQ_OP_GRU && !L->a.linear_before_reset))
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': not an int8-dynamic form (lstm, gru linear before reset)",
                        L->name);
    const int n = r->nl * r->D;
    r->ih = sq_calloc((size_t)n, sizeof *r->ih);
    r->hh = sq_calloc((size_t)n, sizeof *r->hh);
    if (!r->ih || !r->hh) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    for (int k = 0; k < r->nl; k++)
        for (int d = 0; d < r->D; d++) {
            const int i = k * r->D + d;
            SQ_TRY(dn_q8_lin_prepare(session, &r->ih[i], sq_rnn_weight(L, k, d, SQ_RW_IH), r->G, r->H, false, L->name));
            SQ_TRY(dn_q8_lin_prepare(session, &r->hh[i], sq_rnn_weight(L, k, d, SQ_RW_HH), r->G, r->H, true, L->name));
        }
    return SEQRT_OK;
}

static const float *bias_of(const sq_layer *L, int k, int d, int which)
{
    const sq_weight *b = L->a.bias ? sq_rnn_weight(L, k, d, which) : NULL;
    return b ? b->data : NULL;
}

#define NZ(n) ((size_t)((n) > 0 ? (n) : 1))

static seqrt_status q8_rnn_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    q8_rnn *r = state;
    const sq_layer *L = r->L;
    const bool bf = a->batch_first, lstm = L->op == SQ_OP_LSTM;
    const sq_view *x = a->in[SQ_SLOT_X], *vh0 = a->in[SQ_SLOT_H0];
    const sq_view *vc0 = lstm ? a->in[SQ_SLOT_C0] : NULL, *vlen = a->in[SQ_SLOT_LENGTHS];
    sq_view *vy = a->out[SQ_OUT_MAIN], *vhn = a->out[SQ_OUT_H_N], *vcn = lstm ? a->out[SQ_OUT_C_N] : NULL;
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), H = r->H, I = r->I;
    const int D = r->D, G = r->G;
    const int64_t F = D * H, GH = G * H, W0 = I > F ? I : F;
    const int32_t *lens = vlen ? sq_vi(vlen) : NULL;
    const int threads = omp_get_max_threads();
    int64_t Kp = 0;
    for (int i = 0; i < r->nl * D; i++) {
        if (r->ih[i].m.Kp > Kp) Kp = r->ih[i].m.Kp;
        if (r->hh[i].m.Kp > Kp) Kp = r->hh[i].m.Kp;
    }
    SQ_TRY(dn_buf_reserve(&r->seq[0], sizeof(float) * NZ(T * B * F)));
    SQ_TRY(dn_buf_reserve(&r->seq[1], sizeof(float) * NZ(T * B * F)));
    SQ_TRY(dn_buf_reserve(&r->rows, sizeof(float) * NZ(T * B * W0)));
    SQ_TRY(dn_buf_reserve(&r->proj, sizeof(float) * NZ(T * B * GH)));
    SQ_TRY(dn_buf_reserve(&r->xq, NZ(T * B * Kp) + 64));
    SQ_TRY(dn_buf_reserve(&r->acc, sizeof(int32_t) * NZ(T * B * GH)));
    SQ_TRY(dn_buf_reserve(&r->h, sizeof(float) * NZ(2 * B * H)));
    SQ_TRY(dn_buf_reserve(&r->c, sizeof(float) * NZ(B * H)));
    SQ_TRY(dn_buf_reserve(&r->ihrow, sizeof(int64_t) * NZ(T * B)));
    SQ_TRY(dn_buf_reserve(&r->codes, NZ((int64_t)threads * B * Kp) + 64));
    float *rows = dn_buf_f(&r->rows), *proj = dn_buf_f(&r->proj), *h = dn_buf_f(&r->h), *c = dn_buf_f(&r->c);
    int64_t *ihrow = r->ihrow.p;
    for (int k = 0; k < r->nl; k++) {
        const int64_t in = k == 0 ? I : F;
        const float *src = k == 0 ? NULL : dn_buf_f(&r->seq[(k - 1) % 2]);
        float *dst = dn_buf_f(&r->seq[k % 2]);
        memset(dst, 0, sizeof(float) * (size_t)(T * B * F)); /* padded steps stay 0 */
        /* the real steps' rows of the layer's input, once for both directions */
        int64_t nreal = 0;
        for (int64_t t = 0; t < T; t++)
            for (int64_t b = 0; b < B; b++) {
                ihrow[t * B + b] = -1;
                if (t >= sq_valid_len(lens, b, T)) continue;
                const float *row = k == 0 ? sq_vf(x) + sq_seq_off(bf, T, B, t, b, I) : src + (t * B + b) * F;
                memcpy(rows + nreal * in, row, sizeof(float) * (size_t)in);
                ihrow[t * B + b] = nreal++;
            }
        for (int d = 0; d < D; d++) {
            const int i = k * D + d;
            SQ_TRY(dn_q8_lin_run(s, &r->ih[i], rows, nreal, bias_of(L, k, d, SQ_RB_IH), a->model->int8_rule,
                                 r->xq.p, r->acc.p, proj));
            const int64_t row0 = (int64_t)i * B;
            if (vh0) memcpy(h, sq_vf(vh0) + row0 * H, sizeof(float) * (size_t)(B * H));
            else memset(h, 0, sizeof(float) * (size_t)(B * H));
            if (lstm && vc0) memcpy(c, sq_vf(vc0) + row0 * H, sizeof(float) * (size_t)(B * H));
            else memset(c, 0, sizeof(float) * (size_t)(B * H));
            memset(r->codes.p, 0, (size_t)((int64_t)threads * B * r->hh[i].m.Kp)); /* padding codes 0 */
            const dn_q8_rnn run = {
                .G = G, .T = T, .B = B, .H = H, .w = &r->hh[i].m, .bhh = bias_of(L, k, d, SQ_RB_HH),
                .rule = a->model->int8_rule, .ih = proj, .ihrow = ihrow, .reverse = sq_dir_reversed(L, d),
                .h = h, .c = c, .y = dst + d * H, .ldt = B * F, .ldy = F, .codes = r->codes.p, .threads = threads,
            };
            r->hh[i].k->rnn(&run);
            const float *hlast = h + (T % 2) * B * H;
            if (vhn) memcpy(sq_vf(vhn) + row0 * H, hlast, sizeof(float) * (size_t)(B * H));
            if (vcn) memcpy(sq_vf(vcn) + row0 * H, c, sizeof(float) * (size_t)(B * H));
        }
    }
    if (vy && sq_vf(vy)) {
        const float *last = dn_buf_f(&r->seq[(r->nl - 1) % 2]);
        for (int64_t t = 0; t < T; t++)
            for (int64_t b = 0; b < B; b++)
                memcpy(sq_vf(vy) + sq_seq_off(bf, T, B, t, b, F), last + (t * B + b) * F, sizeof(float) * (size_t)F);
    }
    return SEQRT_OK;
}

const sq_op_impl dn_q8_rnn_impl = {.supports = sq_op_supports_all, .prepare = q8_rnn_prepare, .run = q8_rnn_run,
                                   .release = q8_rnn_release, .unbound_outs = DN_RNN_UNBOUND};
