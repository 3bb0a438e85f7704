/*
 * Reference GRU cell (op "gru"): PyTorch's nn.GRU, one direction, one step.
 * Gate rows r, z, n; gate functions f, g of the direction (σ and tanh
 * unless `activations` says otherwise), each pre-activation clipped first
 * when `clip` > 0:
 *
 *   r  = f(W_ir x + b_ir + W_hr h + b_hr)
 *   z  = f(W_iz x + b_iz + W_hz h + b_hz)
 *   n  = g(W_in x + b_in + r ⊙ (W_hn h + b_hn))        linear_before_reset (default)
 *   n  = g(W_in x + b_in + W_hn (r ⊙ h) + b_hn)        linear_before_reset = false
 *   h' = (1 - z) ⊙ n + z ⊙ h
 *
 * Evaluated in double; h' is the stored state, rounded to float once.
 */
#include <math.h>

#include "ref_recurrent.h"

static void gru_cell(const sq_rec_dir *dir, const double *ax, const double *ah, double *tmp,
                     float *h, float *c)
{
    (void)c;
    const int64_t H = dir->H;
    const double *ax_r = ax, *ax_z = ax + H, *ax_n = ax + 2 * H;
    const double *ah_r = ah, *ah_z = ah + H;
    double *r = tmp; /* r, then (without linear_before_reset) r ⊙ h */

    for (int64_t j = 0; j < H; j++) r[j] = sq_rec_gate(dir, 0, ax_r[j] + ah_r[j]);

    if (dir->L->a.linear_before_reset) {
        /* The driver projected all three blocks: ah_n = W_hn h + b_hn. */
        const double *ah_n = ah + 2 * H;
        for (int64_t j = 0; j < H; j++) {
            const double z = sq_rec_gate(dir, 0, ax_z[j] + ah_z[j]);
            const double n = sq_rec_gate(dir, 1, ax_n[j] + r[j] * ah_n[j]);
            h[j] = (float)((1.0 - z) * n + z * (double)h[j]);
        }
        return;
    }

    /* linear_before_reset = false: the driver projected r and z only.
     * tmp becomes r ⊙ h (from the old h, all of it, before any h[j] is
     * overwritten); then n_j = tanh(ax_n + W_hn (r ⊙ h) + b_hn) reads only tmp. */
    const float *w_hn = dir->w_hh + 2 * H * H;
    const float *b_hn = dir->b_hh ? dir->b_hh + 2 * H : NULL;
    for (int64_t j = 0; j < H; j++) r[j] *= (double)h[j];
    for (int64_t j = 0; j < H; j++) {
        const double z = sq_rec_gate(dir, 0, ax_z[j] + ah_z[j]);
        const double n = sq_rec_gate(dir, 1, ax_n[j] + sq_rec_dot_fd(w_hn + j * H, r, H) +
                                                   (b_hn ? (double)b_hn[j] : 0.0));
        h[j] = (float)((1.0 - z) * n + z * (double)h[j]);
    }
}

seqrt_status ref_gru(const sq_op_args *a)
{
    /* With linear_before_reset the n block takes W_hn h + b_hn like r and z;
     * without it, the cell computes W_hn (r ⊙ h) itself. */
    return sq_rec_run(a, a->layer->a.linear_before_reset ? 3 : 2, gru_cell);
}
