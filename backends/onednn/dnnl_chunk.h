/*
 * oneDNN backend: how many steps of a sequence a recurrent engine runs at
 * once (a chunk), so that the memory a run adds is O(chunk), not O(T), at
 * any sequence length (docs/onednn.md, "Bounded memory").
 *
 * The budget is half the last-level cache the system reports (L3, else
 * 4 x L2; 4 MiB when it reports none), kept within [1, 32] MiB, read once
 * per process. A chunk is as many steps as fill the budget at `step_bytes`
 * a step, and at least enough steps for 256 rows (B per step) in the
 * chunk's input-projection GEMM. SEQRT_ONEDNN_CHUNK (a positive step
 * count) overrides it, for tests and measurements.
 */
#ifndef SEQRT_DNNL_CHUNK_H
#define SEQRT_DNNL_CHUNK_H

#include <stdint.h>

#include "seqrt.h"

/* The chunk budget in bytes. */
int64_t dn_chunk_budget(void);

/* SEQRT_ONEDNN_CHUNK as a step count (0: unset); an error naming the value
 * when it is not a positive count. */
seqrt_status dn_chunk_env(int64_t *steps);

/* Steps per chunk for a batch of B at step_bytes a step, within [1, T];
 * env: dn_chunk_env's value (0: derive it). */
int64_t dn_chunk_steps(int64_t step_bytes, int64_t B, int64_t T, int64_t env);

#endif /* SEQRT_DNNL_CHUNK_H */
