/*
 * Reference Elman RNN cell (op "rnn"): PyTorch's nn.RNN, one direction, one step.
 *
 *   h' = f(W_ih x + b_ih + W_hh h + b_hh)
 *
 * f: the direction's gate function — tanh or relu as `nonlinearity` says,
 * unless `activations` names another; clipped first when `clip` > 0.
 *
 * Evaluated in double; h' is the stored state, rounded to float once.
 */
#include "ref_recurrent.h"

static void rnn_cell(const sq_rec_dir *dir, const double *ax, const double *ah, double *tmp,
                     float *h, float *c)
{
    (void)tmp;
    (void)c;
    for (int64_t j = 0; j < dir->H; j++) h[j] = (float)sq_rec_gate(dir, 0, ax[j] + ah[j]);
}

seqrt_status ref_rnn(const sq_op_args *a)
{
    return sq_rec_run(a, 1, rnn_cell);
}
