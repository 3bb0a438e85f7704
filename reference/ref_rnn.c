/*
 * Reference Elman RNN cell (op "rnn"): PyTorch's nn.RNN, one direction, one step.
 *
 *   h' = act(W_ih x + b_ih + W_hh h + b_hh),   act = tanh or relu (nonlinearity)
 *
 * Evaluated in double; h' is the stored state, rounded to float once.
 */
#include "ref_recurrent.h"

static void rnn_cell(const sq_rec_dir *dir, const double *ax, const double *ah, double *tmp,
                     float *h, float *c)
{
    (void)tmp;
    (void)c;
    const int act = dir->L->a.nonlinearity; /* SQ_ACT_TANH or SQ_ACT_RELU */
    for (int64_t j = 0; j < dir->H; j++) h[j] = (float)ref_activation(act, ax[j] + ah[j]);
}

seqrt_status ref_rnn(const sq_op_args *a)
{
    return sq_rec_run(a, 1, rnn_cell);
}
