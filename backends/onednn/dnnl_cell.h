/*
 * oneDNN backend: the cells of the loop engine (dnnl_cell.c), over the `B`
 * rows of one step (rows whose `active` flag is 0 are left untouched; NULL:
 * all rows run). Gates are in PyTorch's order.
 */
#ifndef SEQRT_DNNL_CELL_H
#define SEQRT_DNNL_CELL_H

#include <stdbool.h>
#include <stdint.h>

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
/* Copies the active rows of src [B, n] (row stride lds) to dst (ldd). */
void dn_copy_rows(int64_t B, int64_t n, const uint8_t *active, const float *src, int64_t lds, float *dst,
                  int64_t ldd);

#endif /* SEQRT_DNNL_CELL_H */
