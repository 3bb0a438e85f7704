/*
 * oneDNN backend: the small-batch path of the loop engine, for LSTM (without
 * projection), PyTorch's GRU (linear before reset) and the vanilla RNN, with
 * the op's own cells (format 1.1 forms that need the generic cells — other
 * gate functions, clip, input_forget — take the step matmuls instead).
 *
 * Compiled once per ISA (dnnl_kern.h; VL floats a vector, dnnl_vec.h),
 * its public names suffixed (dnnl_kern_names.h); dn_small_eligible is in
 * dnnl_kern.c. At batch 1 to DN_SMALL_MAX_BATCH a step is a matrix-vector
 * product over W_hh (G*H x H, G gates) and a cell over G*H gates: a few microseconds of
 * work, where oneDNN's RNN primitive (and a matmul primitive per step) spend
 * as much again in per-step overhead and stream all of W_hh through every
 * core. This path keeps one OpenMP team for the whole sequence; each thread
 * owns a fixed range of hidden units (blocks of VL) and the rows of W_hh
 * that feed them, so its part of the weights stays in its own cache from
 * step to step, and a step is, per thread: the product for its units,
 * combined with the cell, then one barrier.
 *
 * The input projection of every step (X W_ih^T + b) stays one oneDNN matmul
 * (dnnl_rnn_loop.c); this file takes the projected gates G [T, B, G*H] in
 * PyTorch's order (LSTM i, f, g, o; GRU r, z, n; RNN one block). For the
 * GRU, G holds b_ih + b_hh for r and z but b_in alone for n, and the
 * product's n block starts from b_hn: n = tanh(G_n + r ⊙ (W_hn h + b_hn)).
 *
 * Packed W_hh (made once per direction, dn_small_pack): for block u of VL
 * hidden units j = VL u + l and every input k, the G*VL floats W[g*H + j, k]
 * for each gate g and l = 0..VL-1, block after block:
 * whp[((u * H + k) * G + g) * VL + l]. Units past H (the last block of an H
 * that is not a multiple of VL) have zero weights and are never stored.
 *
 * Lengths and directions follow the loop engine (dnnl_rnn_loop.c): entry b
 * runs step s iff s < len[b] and otherwise keeps its state; the reverse
 * direction without lengths walks G backwards; with lengths it reads the
 * per-entry reversed input and writes step s to time len[b] - 1 - s.
 *
 * A call runs one chunk of the sequence (the loop engine's chunks, see
 * dnnl_rnn_loop.c): T steps from the global step s0, whose gates rows are
 * G's; the length masks, the output times and the ping-pong of h use the
 * global step, so chunks chain with no copy of the state between calls.
 */
#include "dnnl_kern_names.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_rnn_small.h"
#include "dnnl_team.h"
#include "dnnl_vec.h"

/* Hidden units per thread below which a second thread costs more (a
 * barrier per step) than it saves. */
#define DN_SMALL_UNITS_PER_THREAD 64

seqrt_status dn_small_pack(const float *w, int64_t H, int G, float **out)
{
    const int64_t nu = (H + VL - 1) / VL;
    const size_t bytes = sizeof(float) * (size_t)(nu * H * G * VL);
    float *p = sq_aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory packing the recurrent weights");
    /* source rows are read in order; each block's destination (G VL H
     * floats) stays in cache while it is filled */
    for (int64_t u = 0; u < nu; u++)
        for (int g = 0; g < G; g++)
            for (int l = 0; l < VL; l++) {
                const int64_t j = u * VL + l;
                float *dst = p + (u * H * G + g) * VL + l;
                const float *src = w + (g * H + j) * H;
                if (j < H)
                    for (int64_t k = 0; k < H; k++) dst[k * G * VL] = src[k];
                else
                    for (int64_t k = 0; k < H; k++) dst[k * G * VL] = 0.0f;
            }
    *out = p;
    return SEQRT_OK;
}

/* bf16 W_hh (a bf16 layer's 16-bit patterns, PyTorch's layout): for block
 * u and each pair kp of inputs, per gate g the VL 32-bit words
 * w[g*H + j, 2kp] | w[g*H + j, 2kp + 1] << 16 (j = VL u + l; 0 past H):
 * wp[((u * KP + kp) * G + g) * VL + l], KP = ceil(H / 2). A word widens to
 * the two floats exactly: its low half shifted up, its high half masked. */
seqrt_status dn_small_pack16(const uint16_t *w, int64_t H, int G, float **out)
{
    const int64_t nu = (H + VL - 1) / VL, KP = (H + 1) / 2;
    const size_t bytes = sizeof(uint32_t) * (size_t)(nu * KP * G * VL);
    uint32_t *p = sq_aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory packing the bf16 recurrent weights");
    for (int64_t u = 0; u < nu; u++)
        for (int g = 0; g < G; g++)
            for (int l = 0; l < VL; l++) {
                const int64_t j = u * VL + l;
                const uint16_t *src = w + (g * H + j) * H;
                for (int64_t kp = 0; kp < KP; kp++) {
                    uint32_t v = 0;
                    if (j < H) v = src[2 * kp] | (2 * kp + 1 < H ? (uint32_t)src[2 * kp + 1] << 16 : 0u);
                    p[((u * KP + kp) * G + g) * VL + l] = v;
                }
            }
    *out = (float *)(void *)p;
    return SEQRT_OK;
}

/* The cell of entry e for units j .. j+n-1, the NG gates' products in
 * acc: returns the new h; updates c (LSTM). NG tells the op (4: LSTM,
 * 3: GRU, 1: RNN). */
AI vf small_cell(const dn_small *a, int NG, int64_t e, int64_t j, int64_t n, const float *G, const float *hp,
                 const vf *acc)
{
    const int64_t H = a->H;
    if (NG == 4) return vlstm_cell(acc[0], acc[1], acc[2], acc[3], a->peep, H, j, n, a->coupled, a->c + e * H);
    if (NG == 3)
        return vgru_cell(acc[0], acc[1], vload(G + e * 3 * H + 2 * H + j, n), acc[2], vload(hp + e * H + j, n));
    return vrnn_act(acc[0], a->relu);
}

/* Independent FMA chains a k loop keeps in flight: below this many (NB x NG
 * accumulators) a 16-register ISA splits the k loop into DN_KSPLIT(NB, NG)
 * interleaved partial sums (even / odd k, ...), added up after the loop, so
 * the FMAs' latency (4-5 cycles, two units) does not bound the loop: at B =
 * 1 an LSTM has 4 chains, a GRU 3, an RNN 1. AVX-512 keeps one sum (its
 * kernels are as they were measured). */
#define DN_CHAINS 8
#define DN_KSPLIT(NB, NG) (VL < 16 && DN_CHAINS / ((NB) * (NG)) > 1 ? DN_CHAINS / ((NB) * (NG)) : 1)

/* The cells of a tile's NB entries from their accumulated gates acc[0]. */
#define SMALL_EPILOGUE(NB, NG)                                                           \
    for (int b = 0; b < NB; b++) {                                                       \
        const int64_t e = b0 + b;                                                        \
        if (act && !act[e]) {                                                            \
            memcpy(hn + e * H + j, hp + e * H + j, sizeof(float) * (size_t)n);          \
            continue;                                                                    \
        }                                                                                \
        const vf h = small_cell(a, NG, e, j, n, G, hp, acc[0][b]);                       \
        vstore(hn + e * H + j, h, n);                                                    \
        if (a->y) {                                                                      \
            const int64_t sg = a->s0 + s; /* the global step */                          \
            const int64_t ty = !a->lens ? tg : a->reverse ? a->lens[e] - 1 - sg : sg;    \
            vstore(a->y + ty * a->ldt + e * a->ldy + j, h, n);                           \
        }                                                                                \
    }

/* Gates of NB entries (rows b0 .. b0+NB-1) for unit block u: the G
 * products h W_g (plus, in acc, what G and the biases add), then the cell. */
#define GATES(NB, NG)                                                                    \
    do {                                                                                 \
        enum { S = DN_KSPLIT(NB, NG) };                                                  \
        vf acc[S][NB][NG];                                                               \
        for (int b = 0; b < NB; b++)                                                     \
            for (int g = 0; g < NG; g++) {                                               \
                acc[0][b][g] = NG == 3 && g == 2                                         \
                                   ? vload(a->bhn + j, n) /* W_hn h + b_hn: G_n comes in the cell */ \
                                   : vload(G + (b0 + b) * NG * H + g * H + j, n);        \
                for (int q = 1; q < S; q++) acc[q][b][g] = vsplat(0.0f);                 \
            }                                                                            \
        const float *W = a->whp + u * H * NG * VL;                                       \
        int64_t k = 0;                                                                   \
        for (; k + S <= H; k += S, W += S * NG * VL)                                     \
            _Pragma("GCC unroll 8") for (int q = 0; q < S; q++) {                        \
                vf w[NG];                                                                \
                for (int g = 0; g < NG; g++) w[g] = *(const vfu *)(W + (q * NG + g) * VL); \
                for (int b = 0; b < NB; b++) {                                           \
                    const float x = hp[(b0 + b) * H + k + q];                            \
                    for (int g = 0; g < NG; g++) acc[q][b][g] += x * w[g];               \
                }                                                                        \
            }                                                                            \
        for (; k < H; k++, W += NG * VL) /* the last H % S inputs */                     \
            for (int b = 0; b < NB; b++) {                                               \
                const float x = hp[(b0 + b) * H + k];                                    \
                for (int g = 0; g < NG; g++) acc[0][b][g] += x * *(const vfu *)(W + g * VL); \
            }                                                                            \
        for (int q = 1; q < S; q++)                                                      \
            for (int b = 0; b < NB; b++)                                                 \
                for (int g = 0; g < NG; g++) acc[0][b][g] += acc[q][b][g];               \
        SMALL_EPILOGUE(NB, NG);                                                          \
    } while (0)

/* GATES on bf16 weights (dn_small_pack16): per pair of inputs one word
 * vector per gate, widened to the two float vectors exactly, two FMAs per
 * entry; products and sums in f32 as for f32 weights (the design's bf16:
 * only the weights are rounded; vdpbf16ps would round h to bf16 too). A
 * single entry keeps the even and odd inputs in separate sums (8 chains
 * for an LSTM). */
#define GATES16(NB, NG)                                                                  \
    do {                                                                                 \
        enum { S2 = NB == 1 ? 2 : 1 };                                                   \
        vf acc[S2][NB][NG];                                                              \
        for (int b = 0; b < NB; b++)                                                     \
            for (int g = 0; g < NG; g++) {                                               \
                acc[0][b][g] = NG == 3 && g == 2 ? vload(a->bhn + j, n)                  \
                                                 : vload(G + (b0 + b) * NG * H + g * H + j, n); \
                if (S2 > 1) acc[S2 - 1][b][g] = vsplat(0.0f);                            \
            }                                                                            \
        const int64_t KP = (H + 1) / 2;                                                  \
        const vi *W = (const vi *)(const void *)a->whp + u * KP * NG;                    \
        int64_t kp = 0;                                                                  \
        for (; 2 * kp + 1 < H; kp++, W += NG) {                                          \
            vf we[NG], wo[NG]; /* 32 registers: all gates' weights, each entry's two inputs once */ \
            for (int g = 0; g < NG; g++) {                                               \
                const vi wv = W[g];                                                      \
                we[g] = (vf)(wv << 16);                                                  \
                wo[g] = (vf)(wv & ((vi){0} + (int32_t)0xffff0000));                      \
            }                                                                            \
            for (int b = 0; b < NB; b++) {                                               \
                const float x0 = hp[(b0 + b) * H + 2 * kp], x1 = hp[(b0 + b) * H + 2 * kp + 1]; \
                for (int g = 0; g < NG; g++) {                                           \
                    acc[0][b][g] += x0 * we[g];                                          \
                    acc[S2 - 1][b][g] += x1 * wo[g];                                     \
                }                                                                        \
            }                                                                            \
        }                                                                                \
        if (H & 1) /* the last input alone (its pair's high half is 0) */                \
            for (int g = 0; g < NG; g++) {                                               \
                const vf we = (vf)(W[g] << 16);                                          \
                for (int b = 0; b < NB; b++) acc[0][b][g] += hp[(b0 + b) * H + H - 1] * we; \
            }                                                                            \
        if (S2 > 1)                                                                      \
            for (int b = 0; b < NB; b++)                                                 \
                for (int g = 0; g < NG; g++) acc[0][b][g] += acc[S2 - 1][b][g];          \
        SMALL_EPILOGUE(NB, NG);                                                          \
    } while (0)

/* Every block of units [u0, u1) for NG gates, `tile` (dn_kern.small_tile)
 * entries at a time: NB x NG accumulators of VL lanes, NG weight vectors
 * and a broadcast live in the k loop — tile 4 (LSTM: 16 + 4 + 1) fits
 * AVX-512's 32 registers, tile 3 (12 accumulators) the 16 of AVX2 and SSE;
 * tile 2 is SEQRT_ONEDNN_SMALL_TILE's other choice. The rest of B in
 * threes (tile >= 3), pairs, one. */
#define UNITS_OF(NG, T)                                                                  \
    for (int64_t u = u0; u < u1; u++) {                                                  \
        const int64_t j = u * VL, n = H - j < VL ? H - j : VL;                           \
        int64_t b0 = 0;                                                                  \
        if (tile == 4)                                                                   \
            for (; b0 + 4 <= B; b0 += 4) T(4, NG);                                       \
        if (tile >= 3)                                                                   \
            for (; b0 + 3 <= B; b0 += 3) T(3, NG);                                       \
        for (; b0 + 2 <= B; b0 += 2) T(2, NG);                                           \
        if (b0 < B) T(1, NG);                                                            \
    }
#define UNITS(NG)                                                                        \
    if (a->wb16) {                                                                       \
        UNITS_OF(NG, GATES16)                                                            \
    } else {                                                                             \
        UNITS_OF(NG, GATES)                                                              \
    }

/* Units [u0, u1) of step s. */
static void step_units(const dn_small *a, int64_t s, int64_t u0, int64_t u1, const uint8_t *act,
                              int tile)
{
    const int64_t H = a->H, B = a->B;
    const int64_t tg = a->reverse && !a->lens ? a->T - 1 - s : s;
    const float *G = a->gates + tg * B * a->G * H;
    const float *hp = a->h + ((a->s0 + s) & 1) * B * H; /* ping-pong by the global step */
    float *hn = a->h + ((a->s0 + s + 1) & 1) * B * H;
    switch (a->G) {
    case 4: UNITS(4) break;
    case 3: UNITS(3) break;
    default: UNITS(1) break;
    }
}

/* A run's steps on the team (dnnl_team.h): member t of n takes its share
 * of the unit blocks of step s (the share may change between steps). */
typedef struct {
    const dn_small *a;
    int64_t nu;
} small_job;

static void small_step(void *arg, int64_t s, int t, int n)
{
    const small_job *j = arg;
    const dn_small *a = j->a;
    uint8_t act[DN_SMALL_MAX_BATCH];
    if (a->lens)
        for (int64_t b = 0; b < a->B; b++) act[b] = a->s0 + s < a->lens[b];
    step_units(a, s, j->nu * t / n, j->nu * (t + 1) / n, a->lens ? act : NULL, a->tile);
}

int64_t dn_small_run(const dn_small *a)
{
    const int64_t H = a->H, B = a->B, nu = (H + VL - 1) / VL;
    int64_t steps = a->T;
    if (a->lens) { /* the steps of this call some entry still runs */
        int64_t last = 0;
        for (int64_t b = 0; b < B; b++)
            if (a->lens[b] > last) last = a->lens[b];
        steps = last - a->s0 < 0 ? 0 : last - a->s0 < a->T ? last - a->s0 : a->T;
    }
    int nt = omp_get_max_threads();
    const int64_t by_units = (H + DN_SMALL_UNITS_PER_THREAD - 1) / DN_SMALL_UNITS_PER_THREAD;
    if (nt > by_units) nt = (int)by_units;
    if (nt > nu) nt = (int)nu;
    if (nt < 1) nt = 1;
    if (dn_team_mode() == DN_TEAM_OWN) {
        small_job j = {.a = a, .nu = nu};
        dn_team_run(nt, steps, small_step, &j, NULL, NULL);
        return steps;
    }
    const int tile = a->tile; /* SEQRT_ONEDNN_TEAM=omp: the OpenMP team, one barrier per step */
#pragma omp parallel num_threads(nt)
    {
        const int t = omp_get_thread_num(), n = omp_get_num_threads();
        const int64_t u0 = nu * t / n, u1 = nu * (t + 1) / n;
        uint8_t act[DN_SMALL_MAX_BATCH];
        for (int64_t s = 0; s < steps; s++) {
            if (a->lens)
                for (int64_t b = 0; b < B; b++) act[b] = a->s0 + s < a->lens[b];
            step_units(a, s, u0, u1, a->lens ? act : NULL, tile);
#pragma omp barrier
        }
    }
    return steps;
}
