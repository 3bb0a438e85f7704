/*
 * oneDNN backend: the table of one ISA's kernel build (dnnl_kern.h),
 * dn_kern_<isa>, compiled with that build's flags and names.
 */
#include "dnnl_kern_names.h"

#include "dnnl_kern.h"
#include "dnnl_q8.h"
#include "dnnl_vec.h"

#define DN_KSTR2(x) #x
#define DN_KSTR(x) DN_KSTR2(x)

/* Register tiles of the small-batch path (dnnl_rnn_small.c: NB entries x
 * NG gates accumulators, NG weight vectors and a broadcast live in the
 * k loop): 4 entries fill AVX-512's 32 registers (LSTM: 16 + 4 + 1); with
 * 16 registers 3 entries (12 accumulators, the weights read by the FMAs
 * from memory) do not spill (objdump: no stack access in the k loops) and
 * pass over W_hh a third fewer times than pairs (faster in 12 of 16
 * interleaved comparisons at B = 4 to 64 on an AVX2 EPYC: docs/onednn.md). */
#if VL == 16
#define DN_REGS 32
#define DN_TILE 4
#else
#define DN_REGS 16
#define DN_TILE 3
#endif

extern const dn_q8k DN_ISA_NAME(dn_q8k_native), DN_ISA_NAME(dn_q8k_widen); /* dnnl_q8_kern.c */

const dn_kern DN_ISA_NAME(dn_kern) = {
    .name = DN_KSTR(DN_ISA),
    .vl = VL,
    .regs = DN_REGS,
    .small_tile = DN_TILE,
    .cell_lstm = dn_cell_lstm,
    .cell_gru_lbr = dn_cell_gru_lbr,
    .cell_gru_ur = dn_cell_gru_ur,
    .cell_gru_o = dn_cell_gru_o,
    .cell_rnn = dn_cell_rnn,
    .cell_lstm_gen = dn_cell_lstm_gen,
    .cell_gru_lbr_gen = dn_cell_gru_lbr_gen,
    .cell_gru_ur_gen = dn_cell_gru_ur_gen,
    .cell_gru_o_gen = dn_cell_gru_o_gen,
    .cell_rnn_gen = dn_cell_rnn_gen,
    .q8_native = &DN_ISA_NAME(dn_q8k_native),
    .q8_widen = &DN_ISA_NAME(dn_q8k_widen),
    .small_pack = dn_small_pack,
    .small_pack16 = dn_small_pack16,
    .small_run = dn_small_run,
};
