/*
 * Reference backend: the driver shared by the recurrent ops (lstm, gru, rnn).
 *
 * sq_rec_run() walks layers × directions × batch entries × time steps,
 * honours `lengths` and the optional initial states, writes the output
 * sequence, h_n and c_n, and calls one op-specific cell function per step.
 * The cell functions (ref_lstm.c, ref_gru.c, ref_rnn.c) hold only the gate
 * equations of the spec.
 */
#ifndef SEQRT_REF_RECURRENT_H
#define SEQRT_REF_RECURRENT_H

#include "gate_fn.h"
#include "ref_ops.h"

/* The weights and sizes of one direction of one layer. Pointers come from
 * sq_rnn_weight(); an optional tensor that is absent is NULL (a NULL bias
 * counts as zero). Matrices are row-major with PyTorch's gate row order. */
typedef struct sq_rec_dir {
    const sq_layer *L;   /* attributes: peephole, coupled, linear_before_reset, ... */
    int64_t in;          /* input width of this layer: input_size, or D * H_out */
    int64_t H;           /* hidden_size */
    int64_t H_out;       /* width of h: proj_size (lstm, projected) or hidden_size */
    const float *w_ih;   /* [G*H, in] */
    const float *w_hh;   /* [G*H, H_out] */
    const float *b_ih;   /* [G*H] or NULL */
    const float *b_hh;   /* [G*H] or NULL */
    const float *w_hr;   /* lstm: [H_out, H] when proj_size > 0, else NULL */
    const float *p_i, *p_f, *p_o; /* lstm peepholes [H], NULL unless peephole */
    const sq_gate_act *act;       /* this direction's gate functions (lstm f, g, h; gru f, g; rnn f) */
    double clip;                  /* 0, or the bound of every gate pre-activation */
} sq_rec_dir;

/* Gate function j of the direction applied to pre-activation x (clipped first). */
static inline double sq_rec_gate(const sq_rec_dir *dir, int j, double x)
{
    return sq_gate_fn_eval(&dir->act[j], sq_gate_clip(dir->clip, x));
}

/*
 * One time step of one batch entry, in place:
 *   ax   [G*H]       W_ih x_t + b_ih, in double (every gate row);
 *   ah   [hh_gates*H] W_hh h_{t-1} + b_hh, in double, for the first hh_gates
 *                    gate blocks only (see sq_rec_run); the cell computes any
 *                    other recurrent product itself;
 *   tmp  [H]         double scratch;
 *   h    [H_out]     in: h_{t-1}; out: h_t (rounded to float);
 *   c    [H]         lstm only: in c_{t-1}, out c_t (rounded to float); else NULL.
 */
typedef void (*sq_rec_cell_fn)(const sq_rec_dir *dir, const double *ax, const double *ah,
                               double *tmp, float *h, float *c);

/* Runs a recurrent op. `hh_gates` is how many leading gate blocks of W_hh
 * the driver projects onto h_{t-1} (lstm 4, rnn 1, gru 3 or, without
 * linear_before_reset, 2: the n block then needs W_hn (r ⊙ h)). */
seqrt_status sq_rec_run(const sq_op_args *a, int hh_gates, sq_rec_cell_fn cell);

/* Dot product of a float row with a double vector, accumulated in double
 * (for intermediate vectors that are never stored, e.g. r ⊙ h). */
double sq_rec_dot_fd(const float *w, const double *v, int64_t n);

#endif /* SEQRT_REF_RECURRENT_H */
