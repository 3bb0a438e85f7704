/*
 * oneDNN backend: the choice of the hand-written kernels' ISA build
 * (dnnl_kern.h) and the unsuffixed entry points that call it — the loop
 * engine's cells (dnnl_cell.h) and the small-batch path (dnnl_rnn_small.h).
 *
 * One build per process: the weights the small-batch path packs are laid
 * out in blocks of the build's vector width, and the cells are called
 * where no session is at hand, so the first session creation chooses
 * (dn_kern_choose) and every later one must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_kern.h"

static const dn_kern *g_kern; /* NULL until the first session creation */

/* 1 if the CPU runs build k (features __builtin_cpu_supports reports;
 * the OS's saving of the wide registers is part of what it checks). */
static int cpu_runs(const dn_kern *k)
{
#ifdef DN_KERN_X86
    __builtin_cpu_init();
    if (k == &dn_kern_avx512) return __builtin_cpu_supports("avx512f");
    if (k == &dn_kern_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return k == &dn_kern_baseline;
}

static const dn_kern *const g_builds[] = {
#ifdef DN_KERN_X86
    &dn_kern_avx512, &dn_kern_avx2,
#endif
    &dn_kern_baseline,
};
#define NBUILDS (sizeof g_builds / sizeof g_builds[0])

const dn_kern *dn_kern_probe(char *why, size_t n)
{
    const char *e = getenv("SEQRT_ONEDNN_ISA");
    if (e && *e && strcmp(e, "auto")) {
        for (size_t i = 0; i < NBUILDS; i++) {
            if (strcmp(e, g_builds[i]->name)) continue;
            if (!cpu_runs(g_builds[i])) {
                snprintf(why, n, "SEQRT_ONEDNN_ISA='%s': this CPU does not have %s", e, e);
                return NULL;
            }
            snprintf(why, n, "forced by SEQRT_ONEDNN_ISA");
            return g_builds[i];
        }
#ifdef DN_KERN_X86
        snprintf(why, n, "SEQRT_ONEDNN_ISA='%s' is not one of auto, avx512, avx2, baseline", e);
#else
        snprintf(why, n, "SEQRT_ONEDNN_ISA='%s' is not one of auto, baseline (the only build on this CPU family)", e);
#endif
        return NULL;
    }
    for (size_t i = 0; i < NBUILDS; i++)
        if (cpu_runs(g_builds[i])) {
            snprintf(why, n, "the widest this CPU has");
            return g_builds[i];
        }
    snprintf(why, n, "no kernel build runs on this CPU");
    return NULL;
}

seqrt_status dn_kern_choose(const dn_kern **out, char *why, size_t n)
{
    const dn_kern *k = dn_kern_probe(why, n);
    if (!k) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "oneDNN backend: %s", why);
    const dn_kern *expected = NULL;
    if (!__atomic_compare_exchange_n(&g_kern, &expected, k, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
        expected != k)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "oneDNN backend: SEQRT_ONEDNN_ISA asks for the %s kernels, but this process already runs "
                        "the %s kernels (chosen once per process, at the first session)",
                        k->name, expected->name);
    *out = k;
    return SEQRT_OK;
}

/* The process's build; sessions exist before any kernel runs. */
static inline const dn_kern *K(void) { return __atomic_load_n(&g_kern, __ATOMIC_ACQUIRE); }

/* ------------------------------------------------------------ entry points */

void dn_cell_lstm(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *peep, bool coupled,
                  float *c, float *h, int64_t ldh)
{
    K()->cell_lstm(B, H, active, g, peep, coupled, c, h, ldh);
}

void dn_cell_gru_lbr(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *gh, float *h)
{
    K()->cell_gru_lbr(B, H, active, g, gh, h);
}

void dn_cell_gru_ur(int64_t B, int64_t H, const uint8_t *active, const float *g, float *gh, const float *h, float *rh)
{
    K()->cell_gru_ur(B, H, active, g, gh, h, rh);
}

void dn_cell_gru_o(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *go, const float *u,
                   float *h)
{
    K()->cell_gru_o(B, H, active, g, go, u, h);
}

void dn_cell_rnn(int64_t B, int64_t H, const uint8_t *active, const float *g, bool relu, float *h)
{
    K()->cell_rnn(B, H, active, g, relu, h);
}

void dn_cell_lstm_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *peep, const dn_gen *q,
                      float *c, float *h, int64_t ldh)
{
    K()->cell_lstm_gen(B, H, active, g, peep, q, c, h, ldh);
}

void dn_cell_gru_lbr_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *gh, const dn_gen *q,
                         float *h)
{
    K()->cell_gru_lbr_gen(B, H, active, g, gh, q, h);
}

void dn_cell_gru_ur_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, float *gh, const float *h,
                        const dn_gen *q, float *rh)
{
    K()->cell_gru_ur_gen(B, H, active, g, gh, h, q, rh);
}

void dn_cell_gru_o_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const float *go, const float *u,
                       const dn_gen *q, float *h)
{
    K()->cell_gru_o_gen(B, H, active, g, go, u, q, h);
}

void dn_cell_rnn_gen(int64_t B, int64_t H, const uint8_t *active, const float *g, const dn_gen *q, float *h)
{
    K()->cell_rnn_gen(B, H, active, g, q, h);
}

void dn_copy_rows(int64_t B, int64_t n, const uint8_t *active, const float *src, int64_t lds, float *dst, int64_t ldd)
{
    for (int64_t b = 0; b < B; b++)
        if (!active || active[b]) memcpy(dst + b * ldd, src + b * lds, sizeof(float) * (size_t)n);
}

int dn_small_eligible(const dn_rnn *r, int64_t B)
{
    if (B < 1 || B > DN_SMALL_MAX_BATCH || r->gen) return 0; /* gen: the generic cells (step matmuls) */
    if (r->op == SQ_OP_LSTM) return !r->P;
    if (r->op == SQ_OP_GRU) return r->lbr;
    return r->op == SQ_OP_RNN;
}

seqrt_status dn_small_pack(const float *w_hh, int64_t H, int G, float **out) { return K()->small_pack(w_hh, H, G, out); }

seqrt_status dn_small_pack16(const uint16_t *w_hh, int64_t H, int G, float **out)
{
    return K()->small_pack16(w_hh, H, G, out);
}

int64_t dn_small_run(const dn_small *a) { return K()->small_run(a); }
