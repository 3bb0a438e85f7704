/*
 * oneDNN backend: the cells of the loop engine (dnnl_cell.c), over the `B`
 * rows of one step (rows whose `active` flag is 0 are left untouched; NULL:
 * all rows run). Gates are in PyTorch's order. The *_gen cells compute the
 * format 1.1 forms: the direction's gate functions (api/gate_fn.h), each
 * pre-activation clipped first when clip > 0, and input_forget.
 */
#ifndef SEQRT_DNNL_CELL_H
#define SEQRT_DNNL_CELL_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* The generic cells' parameters for one direction. */
typedef struct dn_gen {
    sq_gate_act act[SQ_GATE_FNS_MAX]; /* lstm f, g, h; gru f, g; rnn f */
    float clip;                       /* 0: none */
    bool coupled, input_forget;       /* lstm: i = 1 - f; f = 1 - i */
} dn_gen;

/* g [B, 4H] pre-activations i, f, g, o (W_ih x + W_hh h + b); peep [3H]
 * (i, f, o) or NULL; coupled: i = 1 - f; c [B, H] in/out; h [B, ldh] gets
 * o ⊙ tanh(c). */
void dn_cell_lstm(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *peep, bool coupled,
                  float *c, float *h, int64_t ldh);
/* lbr GRU: g [B, 3H] = W_ih x + b (r, z, n), gh [B, 3H] = W_hh h + {0, 0, b_hn}. */
void dn_cell_gru_lbr(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *gh, float *h);
/* plain GRU, first half: gh [B, 2H] = W_h{r,z} h in, z out (first H);
 * rh [B, H] = r ⊙ h. Second half: go [B, H] = W_hn (r ⊙ h); h updated
 * from u = z (first H of gh, row stride 2H). */
void dn_cell_gru_ur(int64_t B, int64_t H, const uint8_t *active, const float *g, float *gh, const float *h,
                    float *rh);
void dn_cell_gru_o(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *go, const float *u,
                   float *h);
/* RNN: h = act(g), g [B, H] = W_ih x + W_hh h + b. */
void dn_cell_rnn(int64_t B, int64_t H, const uint8_t *active, const float *g, bool relu, float *h);
/* The generic forms of the cells above: LSTM (peep as above; with
 * input_forget its f entry is not read), lbr GRU, plain GRU (both halves)
 * and RNN, with the gate functions, clip and gate coupling of q. */
void dn_cell_lstm_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *peep, const dn_gen *q,
                      float *c, float *h, int64_t ldh);
void dn_cell_gru_lbr_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *gh, const dn_gen *q,
                         float *h);
void dn_cell_gru_ur_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, float *gh, const float *h,
                        const dn_gen *q, float *rh);
void dn_cell_gru_o_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *go, const float *u,
                       const dn_gen *q, float *h);
void dn_cell_rnn_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const dn_gen *q, float *h);
/* Copies the active rows of src [B, n] (row stride lds) to dst (ldd). */
void dn_copy_rows(int64_t B, int64_t n, const uint8_t *active, const float *src, int64_t lds, float *dst,
                  int64_t ldd);

#endif /* SEQRT_DNNL_CELL_H */
