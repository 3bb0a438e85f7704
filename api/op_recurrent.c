/*
 * Schema hooks of the recurrent ops, lstm, gru and rnn (see op_hooks.h):
 * the shape rule of x, h0, c0 and lengths, lstm's attribute check, the
 * weight tensors of every layer and direction, and the FLOPs.
 */
#include <stdio.h>
#include <string.h>

#include "gate_fn.h"
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

bool sq_check_recurrent(const sq_layer *L, sq_attr_mask given, char *why, size_t n)
{
    const sq_attrs *a = &L->a;
    if (a->proj_size >= a->hidden_size) {
        snprintf(why, n, "attribute 'proj_size' = %lld must be smaller than hidden_size (%lld)",
                 (long long)a->proj_size, (long long)a->hidden_size);
        return false;
    }
    if (a->coupled && a->input_forget) {
        snprintf(why, n, "attributes 'coupled' (i = 1 - f) and 'input_forget' (f = 1 - i) exclude each other");
        return false;
    }
    if (sq_attr_given(L, given, "direction") && sq_attr_given(L, given, "bidirectional") &&
        a->bidirectional != (a->direction == SQ_DIR_BIDIRECTIONAL)) {
        snprintf(why, n, "attributes 'direction' (\"%s\") and 'bidirectional' (%s) disagree",
                 a->direction == SQ_DIR_REVERSE ? "reverse" : a->direction == SQ_DIR_FORWARD ? "forward" : "bidirectional",
                 a->bidirectional ? "true" : "false");
        return false;
    }
    if (sq_attr_given(L, given, "nonlinearity") && a->activations.n) {
        snprintf(why, n, "give 'nonlinearity' or 'activations', not both");
        return false;
    }
    return true;
}

/* Resolves direction and the gate functions of every direction: `activations`
 * lists the op's functions once (for every direction) or once per
 * direction; `activation_alpha` / `activation_beta` are consumed in that
 * order by the functions that take a parameter, as ONNX says, and a
 * function short of one takes its default (gate_fn.h). */
/* The op's own function for gate slot j: the schema's default, or the
 * rnn's `nonlinearity` when the description gives it. */
static int own_gate_fn(const sq_layer *L, sq_attr_mask given, const sq_op_schema *s, int j)
{
    if (sq_attr_given(L, given, "nonlinearity")) return L->a.nonlinearity == SQ_ACT_RELU ? SQ_GF_RELU : SQ_GF_TANH;
    return s->gate_fn_defaults[j];
}

bool sq_derive_recurrent(sq_layer *L, sq_attr_mask given, char *why, size_t n)
{
    sq_attrs *a = &L->a;
    const sq_op_schema *s = sq_op_schema_get(L->op);
    if (a->direction == SQ_DIR_BIDIRECTIONAL) a->bidirectional = true;
    if (a->bidirectional) a->direction = SQ_DIR_BIDIRECTIONAL;
    int D = sq_dirs(L), F = s->gate_fns, na = a->activations.n;
    if (na && na != F && na != D * F) {
        snprintf(why, n, "attribute 'activations' has %d functions: this layer takes %d%s%s", na, F,
                 D == 2 ? " (for both directions) or " : "", D == 2 ? "2 x that (one list per direction)" : "");
        return false;
    }
    int ia = 0, ib = 0;
    for (int d = 0; d < D; d++)
        for (int j = 0; j < F; j++) {
            sq_gate_act *g = &a->act[d * SQ_GATE_FNS_MAX + j];
            if (!na) {
                g->fn = own_gate_fn(L, given, s, j);
                g->alpha = g->beta = 0;
                continue;
            }
            bool again = na == F && d == 1; /* one list for both directions: the same parameters */
            if (again) {
                *g = a->act[j];
                continue;
            }
            g->fn = a->activations.v[(d * F + j) % na];
            int np = sq_gate_fn_params(g->fn);
            g->alpha = np >= 1 ? (ia < a->activation_alpha.n ? a->activation_alpha.v[ia++] : sq_gate_fn_default_alpha(g->fn)) : 0;
            g->beta = np >= 2 ? (ib < a->activation_beta.n ? a->activation_beta.v[ib++] : sq_gate_fn_default_beta(g->fn)) : 0;
        }
    if (ia < a->activation_alpha.n || ib < a->activation_beta.n) {
        bool al = ia < a->activation_alpha.n;
        snprintf(why, n, "attribute '%s' has %d values, but the activations take only %d",
                 al ? "activation_alpha" : "activation_beta", al ? a->activation_alpha.n : a->activation_beta.n,
                 al ? ia : ib);
        return false;
    }
    a->default_acts = true;
    for (int d = 0; d < D; d++)
        for (int j = 0; j < F; j++) {
            if (a->act[d * SQ_GATE_FNS_MAX + j].fn != own_gate_fn(L, given, s, j)) a->default_acts = false;
        }
    return true;
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
