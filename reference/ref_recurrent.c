/*
 * Reference backend: the driver of the recurrent ops (see ref_recurrent.h).
 *
 * Order of work, as in the spec's "Recurrent equations":
 *   for each layer k (layer k > 0 reads the [forward, reverse] outputs of k-1)
 *     for each direction d (forward runs t = 0 … len-1, reverse len-1 … 0;
 *       a `direction: "reverse"` layer has one direction, the reverse one)
 *       for each batch entry b (its own length len[b], its own initial state)
 *         for each step that runs: a = W_ih x_t + b_ih (+ W_hh h_{t-1} + b_hh),
 *                                  then the op's cell equations.
 * Outputs at padded steps are 0; h_n / c_n hold the state after the last
 * step that ran, i.e. the initial state where len[b] = 0.
 *
 * Batch entries are independent, so running them one after the other keeps
 * the state of one entry in a small contiguous buffer; each weight row is
 * contiguous, so every gate pre-activation is one ref_dot() call.
 */
#include <string.h>

#include "ref_recurrent.h"

double sq_rec_dot_fd(const float *w, const double *v, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)w[i] * v[i];
    return s;
}

/* Internal consistency checks: the core has validated shapes and weights
 * before the op is called, so a failure here is a bug in seqrt. */
static seqrt_status check_weight(const sq_layer *L, const sq_weight *w, int64_t count,
                                 const char *what, int k, int d)
{
    if (!w || !w->data || w->count != count)
        return sq_error(SEQRT_ERR_INTERNAL,
                        "layer '%s': recurrent weight %s of layer %d direction %d is %s "
                        "(expected %lld values)",
                        L->name, what, k, d, !w || !w->data ? "missing" : "mis-sized",
                        (long long)count);
    return SEQRT_OK;
}

/* Fills `dir` with the weights of layer k, direction d. */
static seqrt_status load_dir(const sq_layer *L, int k, int d, int64_t in, int64_t H,
                             int64_t H_out, sq_rec_dir *dir)
{
    const int64_t GH = (int64_t)sq_gates(L) * H;
    const sq_weight *w_ih = sq_rnn_weight(L, k, d, SQ_RW_IH);
    const sq_weight *w_hh = sq_rnn_weight(L, k, d, SQ_RW_HH);
    const sq_weight *b_ih = L->a.bias ? sq_rnn_weight(L, k, d, SQ_RB_IH) : NULL;
    const sq_weight *b_hh = L->a.bias ? sq_rnn_weight(L, k, d, SQ_RB_HH) : NULL;
    seqrt_status st;

    memset(dir, 0, sizeof *dir);
    dir->L = L;
    dir->in = in;
    dir->H = H;
    dir->H_out = H_out;
    dir->act = sq_gate_act_of(L, d, 0);
    dir->clip = L->a.clip;

    if ((st = check_weight(L, w_ih, GH * in, "weight_ih", k, d))) return st;
    if ((st = check_weight(L, w_hh, GH * H_out, "weight_hh", k, d))) return st;
    dir->w_ih = w_ih->data;
    dir->w_hh = w_hh->data;
    /* A bias that is absent counts as zero. */
    if (b_ih) {
        if ((st = check_weight(L, b_ih, GH, "bias_ih", k, d))) return st;
        dir->b_ih = b_ih->data;
    }
    if (b_hh) {
        if ((st = check_weight(L, b_hh, GH, "bias_hh", k, d))) return st;
        dir->b_hh = b_hh->data;
    }
    if (L->op != SQ_OP_LSTM) return SEQRT_OK;

    if (L->a.proj_size > 0) {
        const sq_weight *w_hr = sq_rnn_weight(L, k, d, SQ_RW_HR);
        if ((st = check_weight(L, w_hr, H_out * H, "weight_hr", k, d))) return st;
        dir->w_hr = w_hr->data;
    }
    if (L->a.peephole) {
        const sq_weight *p_i = sq_rnn_weight(L, k, d, SQ_RW_PI);
        const sq_weight *p_f = sq_rnn_weight(L, k, d, SQ_RW_PF);
        const sq_weight *p_o = sq_rnn_weight(L, k, d, SQ_RW_PO);
        /* A coupled cell ignores p_i: it need not be there. */
        if (!L->a.coupled || p_i) {
            if ((st = check_weight(L, p_i, H, "weight_pi", k, d))) return st;
            dir->p_i = p_i->data;
        }
        if ((st = check_weight(L, p_f, H, "weight_pf", k, d))) return st;
        if ((st = check_weight(L, p_o, H, "weight_po", k, d))) return st;
        dir->p_f = p_f->data;
        dir->p_o = p_o->data;
    }
    return SEQRT_OK;
}

/* Checks that a view holds exactly `count` values (NULL views pass). */
static seqrt_status check_view(const sq_layer *L, const sq_view *v, int64_t count,
                               const char *what)
{
    if (v && (sq_view_count(v) != count || (count > 0 && !v->data)))
        return sq_error(SEQRT_ERR_INTERNAL,
                        "layer '%s': %s holds %lld values, expected %lld", L->name, what,
                        (long long)sq_view_count(v), (long long)count);
    return SEQRT_OK;
}

seqrt_status sq_rec_run(const sq_op_args *a, int hh_gates, sq_rec_cell_fn cell)
{
    const sq_layer *L = a->layer;
    const bool bf = a->batch_first;
    const bool is_lstm = L->op == SQ_OP_LSTM;
    const sq_view *x = a->in[SQ_SLOT_X];
    const sq_view *vh0 = a->in[SQ_SLOT_H0];
    const sq_view *vc0 = is_lstm ? a->in[SQ_SLOT_C0] : NULL;
    const sq_view *vlen = a->in[SQ_SLOT_LENGTHS];
    sq_view *vy = a->out[SQ_OUT_MAIN];
    sq_view *vhn = a->out[SQ_OUT_H_N];
    sq_view *vcn = is_lstm ? a->out[SQ_OUT_C_N] : NULL;

    if (!x || x->rank != 3 || x->dtype != SEQRT_F32 || !vy)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': recurrent op called without its "
                        "[T, B, F] input or its output", L->name);

    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf);
    const int nl = (int)L->a.num_layers, D = sq_dirs(L), G = sq_gates(L);
    const int64_t I = L->a.input_size, H = L->a.hidden_size, Ho = sq_h_out(L);
    const int64_t F = D * Ho; /* width of every layer's output sequence */
    const int32_t *lens = vlen ? sq_vi(vlen) : NULL;
    seqrt_status st;

    if (x->d[2] != I)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': input has %lld features, "
                        "expected input_size %lld", L->name, (long long)x->d[2], (long long)I);
    if ((st = check_view(L, vy, T * B * F, "output")) ||
        (st = check_view(L, vh0, nl * D * B * Ho, "h0")) ||
        (st = check_view(L, vc0, nl * D * B * H, "c0")) ||
        (st = check_view(L, vhn, nl * D * B * Ho, "h_n")) ||
        (st = check_view(L, vcn, nl * D * B * H, "c_n")) ||
        (st = check_view(L, vlen, B, "lengths")))
        return st;
    if (lens)
        for (int64_t b = 0; b < B; b++)
            if (lens[b] < 0 || lens[b] > T)
                return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': lengths[%lld] = %d is "
                                "outside [0, %lld]", L->name, (long long)b, (int)lens[b],
                                (long long)T);

    /* Scratch: up to two inter-layer sequences (layer k writes buf[k % 2]
     * while reading buf[(k - 1) % 2]; the last layer writes the output), the
     * pre-activations and the state of one batch entry. */
    const size_t seq_n = (size_t)(T * B * F);
    const int64_t hh_rows = (int64_t)hh_gates * H;
    const int nbuf = nl - 1 < 2 ? nl - 1 : 2;
    float *buf[2] = {NULL, NULL};
    double *ax = sq_malloc(sizeof(double) * (size_t)(G * H));
    double *ah = sq_malloc(sizeof(double) * (size_t)(G * H));
    double *tmp = sq_malloc(sizeof(double) * (size_t)H);
    float *h = sq_malloc(sizeof(float) * (size_t)Ho);
    float *c = is_lstm ? sq_malloc(sizeof(float) * (size_t)H) : NULL;
    bool ok = ax && ah && tmp && h && (c || !is_lstm);
    for (int i = 0; i < nbuf && ok; i++) ok = (buf[i] = sq_malloc(sizeof(float) * seq_n)) != NULL;
    if (!ok) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY,
                      "layer '%s': out of memory for the recurrent scratch buffers "
                      "(T=%lld, B=%lld, width %lld)",
                      L->name, (long long)T, (long long)B, (long long)F);
        goto done;
    }

    for (int k = 0; k < nl; k++) {
        const float *src = k == 0 ? sq_vf(x) : buf[(k - 1) % 2];
        const int64_t in = k == 0 ? I : F;
        float *dst = k == nl - 1 ? sq_vf(vy) : buf[k % 2];
        if (seq_n) memset(dst, 0, sizeof(float) * seq_n); /* padded steps stay 0 */

        for (int d = 0; d < D; d++) {
            sq_rec_dir dir;
            if ((st = load_dir(L, k, d, in, H, Ho, &dir))) goto done;
            const int64_t row0 = (int64_t)(k * D + d) * B; /* row of h0/h_n for b = 0 */

            for (int64_t b = 0; b < B; b++) {
                const int64_t len = sq_valid_len(lens, b, T);
                /* Initial state: h0 / c0 when given, else zeros. */
                if (vh0) memcpy(h, sq_vf(vh0) + (row0 + b) * Ho, sizeof(float) * (size_t)Ho);
                else memset(h, 0, sizeof(float) * (size_t)Ho);
                if (c && vc0) memcpy(c, sq_vf(vc0) + (row0 + b) * H, sizeof(float) * (size_t)H);
                else if (c) memset(c, 0, sizeof(float) * (size_t)H);

                for (int64_t s = 0; s < len; s++) {
                    const int64_t t = sq_dir_reversed(L, d) ? len - 1 - s : s;
                    const float *xt = src + sq_seq_off(bf, T, B, t, b, in);
                    /* ax = W_ih x_t + b_ih, every gate row. */
                    for (int64_t r = 0; r < G * H; r++)
                        ax[r] = ref_dot(dir.w_ih + r * in, xt, in) +
                                (dir.b_ih ? (double)dir.b_ih[r] : 0.0);
                    /* ah = W_hh h_{t-1} + b_hh, the rows the cell asked for. */
                    for (int64_t r = 0; r < hh_rows; r++)
                        ah[r] = ref_dot(dir.w_hh + r * Ho, h, Ho) +
                                (dir.b_hh ? (double)dir.b_hh[r] : 0.0);
                    cell(&dir, ax, ah, tmp, h, c);
                    /* Forward half first, then reverse. */
                    memcpy(dst + sq_seq_off(bf, T, B, t, b, F) + d * Ho, h,
                           sizeof(float) * (size_t)Ho);
                }
                if (vhn) memcpy(sq_vf(vhn) + (row0 + b) * Ho, h, sizeof(float) * (size_t)Ho);
                if (vcn) memcpy(sq_vf(vcn) + (row0 + b) * H, c, sizeof(float) * (size_t)H);
            }
        }
    }
    st = SEQRT_OK;

done:
    sq_free(buf[0]);
    sq_free(buf[1]);
    sq_free(ax);
    sq_free(ah);
    sq_free(tmp);
    sq_free(h);
    sq_free(c);
    return st;
}
