/*
 * Schema hooks of the recurrent ops, lstm, gru and rnn (see op_hooks.h):
 * the shape rule of x, h0, c0 and lengths, lstm's attribute check, the
 * weight tensors of every layer and direction, and the FLOPs.
 */
#include <stdio.h>
#include <string.h>

#include "op_hooks.h"
#include "shape_rules.h"

seqrt_status sq_infer_recurrent(sq_infer_ctx *c)
{
    const sq_attrs *a = &c->L->a;
    int64_t T, B, F, LD = a->num_layers * sq_dirs(c->L), HO = sq_h_out(c->L), d[3];
    seqrt_status st = sq_check_seq(c, SQ_SLOT_X, &T, &B, &F);
    if (st) return st;
    if (!sq_dim_ok(F, a->input_size))
        return sq_fail_dim(c, SQ_SLOT_X, 2, "features = input_size", a->input_size);
    int64_t want[2][3] = {{LD, B, HO}, {LD, B, a->hidden_size}};
    for (int s = SQ_SLOT_H0; s <= SQ_SLOT_C0; s++) {
        const sq_shape *h = sq_in_shape(c, s);
        if (!h) continue;
        if (h->rank != 3)
            return sq_fail_rank(c, s, "[num_layers * directions, B, hidden] (always, whatever batch_first says)");
        static const char *what[3] = {"num_layers * directions", "B", "hidden"};
        for (int i = 0; i < 3; i++)
            if (!sq_dim_ok(h->d[i], want[s - 1][i])) return sq_fail_dim(c, s, i, what[i], want[s - 1][i]);
    }
    if ((st = sq_check_lengths(c, B))) return st;
    sq_seq_dims(c->m->batch_first, T, B, sq_dirs(c->L) * HO, d);
    sq_set_out(c, SQ_OUT_MAIN, 3, d, c->m->batch_first ? 1 : 0);
    sq_set_out(c, SQ_OUT_H_N, 3, want[0], -1);
    sq_set_out(c, SQ_OUT_C_N, 3, want[1], -1);
    return SEQRT_OK;
}

bool sq_check_lstm(const sq_layer *L, sq_attr_mask given, char *why, size_t n)
{
    (void)given;
    if (L->a.proj_size < L->a.hidden_size) return true;
    snprintf(why, n, "attribute 'proj_size' = %lld must be smaller than hidden_size (%lld)",
             (long long)L->a.proj_size, (long long)L->a.hidden_size);
    return false;
}

/* proj_size and peephole are lstm attributes: 0 and false in gru and rnn layers. */
int sq_weights_recurrent(const sq_layer *L, sq_weight_spec *out, int max, int *nw)
{
    const sq_attrs *a = &L->a;
    int D = sq_dirs(L), G = sq_gates(L), n = 0;
    int64_t H = a->hidden_size, HO = sq_h_out(L);
    char p[64];
    for (int k = 0; k < a->num_layers; k++) {
        int64_t in = k == 0 ? a->input_size : D * HO;
        for (int d = 0; d < D; d++) {
            const char *s = d ? "_reverse" : "";
            int base = (k * D + d) * SQ_RW_COUNT;
            snprintf(p, sizeof p, "weight_ih_l%d%s", k, s);
            sq_weight_spec_add(out, max, &n, p, base + SQ_RW_IH, 2, G * H, in, false);
            snprintf(p, sizeof p, "weight_hh_l%d%s", k, s);
            sq_weight_spec_add(out, max, &n, p, base + SQ_RW_HH, 2, G * H, HO, false);
            if (a->bias) {
                snprintf(p, sizeof p, "bias_ih_l%d%s", k, s);
                sq_weight_spec_add(out, max, &n, p, base + SQ_RB_IH, 1, G * H, 0, false);
                snprintf(p, sizeof p, "bias_hh_l%d%s", k, s);
                sq_weight_spec_add(out, max, &n, p, base + SQ_RB_HH, 1, G * H, 0, false);
            }
            if (a->proj_size > 0) {
                snprintf(p, sizeof p, "weight_hr_l%d%s", k, s);
                sq_weight_spec_add(out, max, &n, p, base + SQ_RW_HR, 2, a->proj_size, H, false);
            }
            if (a->peephole) {
                static const char *names[] = {"pi", "pf", "po"};
                static const int which[] = {SQ_RW_PI, SQ_RW_PF, SQ_RW_PO};
                for (int j = 0; j < 3; j++) {
                    snprintf(p, sizeof p, "weight_%s_l%d%s", names[j], k, s);
                    sq_weight_spec_add(out, max, &n, p, base + which[j], 1, H, 0, false);
                }
            }
        }
    }
    *nw = (int)(a->num_layers * D * SQ_RW_COUNT);
    return n;
}

uint64_t sq_flops_recurrent(const seqrt_model *m, const sq_layer *L)
{
    (void)m;
    const sq_attrs *a = &L->a;
    uint64_t f = 0;
    int D = sq_dirs(L);
    int64_t G = sq_gates(L), H = a->hidden_size, HO = sq_h_out(L);
    for (int k = 0; k < a->num_layers; k++) {
        int64_t in = k ? D * HO : a->input_size;
        f += (uint64_t)D * 2u * (uint64_t)(G * H * (in + HO));
        if (a->proj_size) f += (uint64_t)D * 2u * (uint64_t)(a->proj_size * H);
    }
    return f;
}
