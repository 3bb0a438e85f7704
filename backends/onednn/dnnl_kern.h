/*
 * oneDNN backend: the hand-written recurrent kernels per ISA — the loop
 * engine's cells (dnnl_cell.c) and the small-batch path (dnnl_rnn_small.c)
 * are compiled once per ISA from the same source (CMakeLists.txt: object
 * libraries with -mavx512f, with -mavx2 -mfma, and baseline), each build's
 * functions suffixed by DN_ISA (dnnl_kern_names.h) and gathered in a table
 * (dnnl_kern_table.c). dnnl_kern.c picks one table per process, at the
 * first session creation, from the CPU's features or SEQRT_ONEDNN_ISA, and
 * the unsuffixed dn_cell_* / dn_small_* entry points call it.
 */
#ifndef SEQRT_DNNL_KERN_H
#define SEQRT_DNNL_KERN_H

#include "dnnl_cell.h"
#include "dnnl_rnn_small.h"

typedef struct dn_kern {
    const char *name;  /* "avx512", "avx2", "baseline" */
    int vl;            /* floats per vector (one register) */
    int regs;          /* vector registers of the ISA */
    int small_tile;    /* small-batch path: batch entries per register tile */
    void (*cell_lstm)(int64_t, int64_t, const uint8_t *, const float *, const float *, bool, float *, float *,
                      int64_t);
    void (*cell_gru_lbr)(int64_t, int64_t, const uint8_t *, const float *, const float *, float *);
    void (*cell_gru_ur)(int64_t, int64_t, const uint8_t *, const float *, float *, const float *, float *);
    void (*cell_gru_o)(int64_t, int64_t, const uint8_t *, const float *, const float *, const float *, float *);
    void (*cell_rnn)(int64_t, int64_t, const uint8_t *, const float *, bool, float *);
    void (*cell_lstm_gen)(int64_t, int64_t, const uint8_t *, const float *, const float *, const dn_gen *, float *,
                          float *, int64_t);
    void (*cell_gru_lbr_gen)(int64_t, int64_t, const uint8_t *, const float *, const float *, const dn_gen *,
                             float *);
    void (*cell_gru_ur_gen)(int64_t, int64_t, const uint8_t *, const float *, float *, const float *,
                            const dn_gen *, float *);
    void (*cell_gru_o_gen)(int64_t, int64_t, const uint8_t *, const float *, const float *, const float *,
                           const dn_gen *, float *);
    void (*cell_rnn_gen)(int64_t, int64_t, const uint8_t *, const float *, const dn_gen *, float *);
    const struct dn_q8k *q8_native; /* int8 kernels on the build's dot instruction (name NULL: none) */
    const struct dn_q8k *q8_widen;  /* int8 kernels widening to int32 (every CPU of the build) */
    seqrt_status (*small_pack)(const float *, int64_t, int, float **);
    seqrt_status (*small_pack16)(const uint16_t *, int64_t, int, float **);
    int64_t (*small_run)(const dn_small *);
} dn_kern;

/* The builds linked in (dn_kern_avx512 and dn_kern_avx2 on x86-64 only). */
extern const dn_kern dn_kern_baseline;
#ifdef DN_KERN_X86
extern const dn_kern dn_kern_avx512, dn_kern_avx2;
#endif

/* The kernels of this process: SEQRT_ONEDNN_ISA = avx512, avx2 or baseline
 * when set (an ISA the CPU lacks, or not built, is refused naming it),
 * else the widest the CPU has. Chosen at the first call and kept: a later
 * call that asks for another ISA is refused (the packed weights of live
 * sessions are laid out for the first). why: how it was chosen, in words. */
seqrt_status dn_kern_choose(const dn_kern **out, char *why, size_t why_size);
/* What dn_kern_choose would pick, without keeping it (seqrt backends);
 * NULL with why set when SEQRT_ONEDNN_ISA is refused. */
const dn_kern *dn_kern_probe(char *why, size_t why_size);

#endif /* SEQRT_DNNL_KERN_H */
