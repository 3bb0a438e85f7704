/*
 * oneDNN backend: the per-ISA names of the kernel builds (dnnl_kern.h).
 * Included first by dnnl_cell.c, dnnl_rnn_small.c and dnnl_kern_table.c,
 * which CMakeLists.txt compiles once per ISA with -DDN_ISA=<isa>: every
 * public kernel name, its declaration in dnnl_cell.h / dnnl_rnn_small.h
 * included, becomes name_<isa> (dn_cell_lstm_avx2, ...); dnnl_kern.c
 * (compiled once, without DN_ISA) defines the unsuffixed names.
 */
#ifndef SEQRT_DNNL_KERN_NAMES_H
#define SEQRT_DNNL_KERN_NAMES_H

#ifndef DN_ISA
#error "dnnl_kern_names.h: compile the kernel files with -DDN_ISA=avx512|avx2|baseline (CMakeLists.txt)"
#endif

#define DN_KCAT2(a, b) a##_##b
#define DN_KCAT(a, b) DN_KCAT2(a, b)
#define DN_ISA_NAME(n) DN_KCAT(n, DN_ISA)

#define dn_cell_lstm DN_ISA_NAME(dn_cell_lstm)
#define dn_cell_gru_lbr DN_ISA_NAME(dn_cell_gru_lbr)
#define dn_cell_gru_ur DN_ISA_NAME(dn_cell_gru_ur)
#define dn_cell_gru_o DN_ISA_NAME(dn_cell_gru_o)
#define dn_cell_rnn DN_ISA_NAME(dn_cell_rnn)
#define dn_cell_lstm_gen DN_ISA_NAME(dn_cell_lstm_gen)
#define dn_cell_gru_lbr_gen DN_ISA_NAME(dn_cell_gru_lbr_gen)
#define dn_cell_gru_ur_gen DN_ISA_NAME(dn_cell_gru_ur_gen)
#define dn_cell_gru_o_gen DN_ISA_NAME(dn_cell_gru_o_gen)
#define dn_cell_rnn_gen DN_ISA_NAME(dn_cell_rnn_gen)
#define dn_small_pack DN_ISA_NAME(dn_small_pack)
#define dn_small_pack16 DN_ISA_NAME(dn_small_pack16)
#define dn_small_run DN_ISA_NAME(dn_small_run)

#endif /* SEQRT_DNNL_KERN_NAMES_H */
