/*
 * Reference int8-dynamic lstm and gru (ref_quant.h), as quantization.md's
 * "Where the calls are" says: per layer and direction, one dynamic linear
 * over the real steps of the whole input sequence (b_ih inside), then per
 * step one over h_{t-1} of the entries still running (b_hh inside), and the
 * cell in float32 with σ and tanh computed in double and rounded once.
 * Unlike sq_rec_run (one batch entry at a time), the batch entries of a
 * step go through one call: its input range spans them all.
 */
#include <math.h>
#include <string.h>

#include "ref_quant.h"

static float sigm(float a) { return (float)(1.0 / (1.0 + exp(-(double)a))); }
static float tanh_f(float a) { return (float)tanh((double)a); }

/* lstm: G = HH + IH; c = f*c + i*g; h = o*tanh(c) (gate rows i, f, g, o). */
static void lstm_cell(int64_t H, const float *ih, const float *hh, float *h, float *c)
{
    for (int64_t j = 0; j < H; j++) {
        const float gi = hh[j] + ih[j], gf = hh[H + j] + ih[H + j];
        const float gg = hh[2 * H + j] + ih[2 * H + j], go = hh[3 * H + j] + ih[3 * H + j];
        const float i = sigm(gi), f = sigm(gf), g = tanh_f(gg), o = sigm(go);
        const float fc = f * c[j], ig = i * g;
        c[j] = fc + ig;
        h[j] = o * tanh_f(c[j]);
    }
}

/* gru: r = σ(HH_r + IH_r); z = σ(HH_z + IH_z); n = tanh(IH_n + HH_n * r); h = (h - n) * z + n. */
static void gru_cell(int64_t H, const float *ih, const float *hh, float *h)
{
    for (int64_t j = 0; j < H; j++) {
        const float r = sigm(hh[j] + ih[j]), z = sigm(hh[H + j] + ih[H + j]);
        const float hr = hh[2 * H + j] * r;
        const float n = tanh_f(ih[2 * H + j] + hr);
        const float d = h[j] - n;
        const float dz = d * z;
        h[j] = dz + n;
    }
}

static const float *bias_of(const sq_layer *L, int k, int d, int which)
{
    const sq_weight *b = L->a.bias ? sq_rnn_weight(L, k, d, which) : NULL;
    return b ? b->data : NULL;
}

seqrt_status ref_int8_recurrent(const sq_op_args *a)
{
    const sq_layer *L = a->layer;
    const bool bf = a->batch_first, lstm = L->op == SQ_OP_LSTM;
    const sq_view *x = a->in[SQ_SLOT_X], *vh0 = a->in[SQ_SLOT_H0];
    const sq_view *vc0 = lstm ? a->in[SQ_SLOT_C0] : NULL, *vlen = a->in[SQ_SLOT_LENGTHS];
    sq_view *vy = a->out[SQ_OUT_MAIN], *vhn = a->out[SQ_OUT_H_N], *vcn = lstm ? a->out[SQ_OUT_C_N] : NULL;
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), H = L->a.hidden_size, I = L->a.input_size;
    const int nl = (int)L->a.num_layers, D = sq_dirs(L), G = sq_gates(L);
    const int64_t F = D * H, GH = G * H, W0 = I > F ? I : F;
    const int32_t *lens = vlen ? sq_vi(vlen) : NULL;
#define NZ(n) ((size_t)((n) > 0 ? (n) : 1)) /* at least one element per buffer */
    const int rule = a->model->int8_rule;
    seqrt_status st = SEQRT_OK;

    /* the layers' output sequences (time-major [T, B, F]), the gathered
     * rows of a call and their results, and the states of one direction */
    float *seq[2] = {sq_calloc(NZ(T * B * F), sizeof(float)),
                     sq_calloc(NZ(T * B * F), sizeof(float))};
    float *rows = sq_malloc(sizeof(float) * NZ(T * B * W0));
    float *ih = sq_malloc(sizeof(float) * NZ(T * B * GH));
    float *hh = sq_malloc(sizeof(float) * NZ(B * GH));
    float *h = sq_malloc(sizeof(float) * NZ(B * H));
    float *c = sq_malloc(sizeof(float) * NZ(B * H));
    float *hg = sq_malloc(sizeof(float) * NZ(B * H));
    int64_t *act = sq_malloc(sizeof(int64_t) * NZ(B));
    int64_t *ihrow = sq_malloc(sizeof(int64_t) * NZ(T * B));
    if (!seq[0] || !seq[1] || !rows || !ih || !hh || !h || !c || !hg || !act || !ihrow) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "layer '%s': out of memory for the int8-dynamic buffers", L->name);
        goto done;
    }
    for (int k = 0; k < nl && !st; k++) {
        const int64_t in = k == 0 ? I : F;
        const float *src = k == 0 ? NULL : seq[(k - 1) % 2];
        float *dst = seq[k % 2];
        memset(dst, 0, sizeof(float) * (size_t)(T * B * F)); /* padded steps stay 0 */
        /* the real steps' rows of the layer's input, once for both directions */
        int64_t nreal = 0;
        for (int64_t t = 0; t < T; t++)
            for (int64_t b = 0; b < B; b++) {
                ihrow[t * B + b] = -1;
                if (t >= sq_valid_len(lens, b, T)) continue;
                const float *r = k == 0 ? sq_vf(x) + sq_seq_off(bf, T, B, t, b, I) : src + (t * B + b) * F;
                memcpy(rows + nreal * in, r, sizeof(float) * (size_t)in);
                ihrow[t * B + b] = nreal++;
            }
        for (int d = 0; d < D && !st; d++) {
            const sq_weight *w_ih = sq_rnn_weight(L, k, d, SQ_RW_IH), *w_hh = sq_rnn_weight(L, k, d, SQ_RW_HH);
            if (!w_ih || !w_hh || w_ih->form != SQ_WF_I8 || w_hh->form != SQ_WF_I8) {
                st = sq_error(SEQRT_ERR_INTERNAL, "layer '%s': int8-dynamic layer %d without its I8 matrices",
                              L->name, k);
                break;
            }
            if ((st = ref_qlinear(rows, nreal, in, w_ih, bias_of(L, k, d, SQ_RB_IH), rule, ih))) break;
            const int64_t row0 = (int64_t)(k * D + d) * B;
            if (vh0) memcpy(h, sq_vf(vh0) + row0 * H, sizeof(float) * (size_t)(B * H));
            else memset(h, 0, sizeof(float) * (size_t)(B * H));
            if (vc0) memcpy(c, sq_vf(vc0) + row0 * H, sizeof(float) * (size_t)(B * H));
            else memset(c, 0, sizeof(float) * (size_t)(B * H));
            for (int64_t s = 0; s < T && !st; s++) {
                const int64_t t = sq_dir_reversed(L, d) ? T - 1 - s : s;
                int64_t na = 0;
                for (int64_t b = 0; b < B; b++)
                    if (ihrow[t * B + b] >= 0) {
                        memcpy(hg + na * H, h + b * H, sizeof(float) * (size_t)H);
                        act[na++] = b;
                    }
                if (!na) continue;
                if ((st = ref_qlinear(hg, na, H, w_hh, bias_of(L, k, d, SQ_RB_HH), rule, hh))) break;
                for (int64_t e = 0; e < na; e++) {
                    const int64_t b = act[e];
                    const float *ihr = ih + ihrow[t * B + b] * GH;
                    if (lstm) lstm_cell(H, ihr, hh + e * GH, h + b * H, c + b * H);
                    else gru_cell(H, ihr, hh + e * GH, h + b * H);
                    memcpy(dst + (t * B + b) * F + d * H, h + b * H, sizeof(float) * (size_t)H);
                }
            }
            if (vhn) memcpy(sq_vf(vhn) + row0 * H, h, sizeof(float) * (size_t)(B * H));
            if (vcn) memcpy(sq_vf(vcn) + row0 * H, c, sizeof(float) * (size_t)(B * H));
        }
    }
    if (!st && vy && sq_vf(vy)) {
        const float *last = seq[(nl - 1) % 2];
        for (int64_t t = 0; t < T; t++)
            for (int64_t b = 0; b < B; b++)
                memcpy(sq_vf(vy) + sq_seq_off(bf, T, B, t, b, F), last + (t * B + b) * F, sizeof(float) * (size_t)F);
    }
done:
    sq_free(seq[0]);
    sq_free(seq[1]);
    sq_free(rows);
    sq_free(ih);
    sq_free(hh);
    sq_free(h);
    sq_free(c);
    sq_free(hg);
    sq_free(act);
    sq_free(ihrow);
    return st;
}
