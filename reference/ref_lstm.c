/*
 * Reference LSTM cell (op "lstm"), one direction, one step, as in the spec,
 * with the gate functions f, g, h of the direction (σ, tanh, tanh unless
 * `activations` says otherwise), each pre-activation clipped first when
 * `clip` > 0:
 *
 *   a   = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh      (rows i, f, g, o)
 *   i   = f(a_i + p_i ⊙ c_{t-1})                     (peephole term only when peephole)
 *   f   = f(a_f + p_f ⊙ c_{t-1})
 *   i   = 1 - f                                      (when coupled; a_i, p_i ignored)
 *   f   = 1 - i                                      (when input_forget; a_f, p_f ignored)
 *   g   = g(a_g)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   o   = f(a_o + p_o ⊙ c_t)
 *   h_t = o ⊙ h(c_t);   h_t = W_hr h_t               (when proj_size > 0)
 *
 * Everything is evaluated in double. c_t and h_t are the stored state, so
 * they are rounded to float once per step; o and h(c_t) use the stored
 * c_t. With a projection, o ⊙ h(c_t) is an intermediate and stays double.
 */
#include <math.h>

#include "ref_recurrent.h"

static void lstm_cell(const sq_rec_dir *dir, const double *ax, const double *ah, double *tmp,
                      float *h, float *c)
{
    const int64_t H = dir->H;
    const bool coupled = dir->L->a.coupled, input_forget = dir->L->a.input_forget;
    const float *p_i = dir->p_i, *p_f = dir->p_f, *p_o = dir->p_o; /* NULL: no peephole */
    const bool projected = dir->w_hr != NULL;

    for (int64_t j = 0; j < H; j++) {
        const double a_i = ax[j] + ah[j];
        const double a_f = ax[H + j] + ah[H + j];
        const double a_g = ax[2 * H + j] + ah[2 * H + j];
        const double a_o = ax[3 * H + j] + ah[3 * H + j];
        const double c_prev = c[j];

        double i, f;
        if (input_forget) {
            i = sq_rec_gate(dir, 0, a_i + (p_i ? (double)p_i[j] * c_prev : 0.0));
            f = 1.0 - i;
        } else {
            f = sq_rec_gate(dir, 0, a_f + (p_f ? (double)p_f[j] * c_prev : 0.0));
            i = coupled ? 1.0 - f : sq_rec_gate(dir, 0, a_i + (p_i ? (double)p_i[j] * c_prev : 0.0));
        }
        const double g = sq_rec_gate(dir, 1, a_g);
        const float c_t = (float)(f * c_prev + i * g); /* stored state */
        const double o = sq_rec_gate(dir, 0, a_o + (p_o ? (double)p_o[j] * (double)c_t : 0.0));
        const double h_t = o * sq_gate_fn_eval(&dir->act[2], (double)c_t);

        c[j] = c_t;
        if (projected) tmp[j] = h_t;
        else h[j] = (float)h_t;
    }
    /* Projection: h_t = W_hr (o ⊙ tanh(c_t)), W_hr is [H_out, H]. W_hh h_{t-1}
     * was taken by the driver before this call, so h is free to overwrite. */
    if (projected)
        for (int64_t p = 0; p < dir->H_out; p++)
            h[p] = (float)sq_rec_dot_fd(dir->w_hr + p * H, tmp, H);
}

seqrt_status ref_lstm(const sq_op_args *a)
{
    /* Every gate block takes W_hh h_{t-1} + b_hh. */
    return sq_rec_run(a, 4, lstm_cell);
}
