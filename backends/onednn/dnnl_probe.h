/*
 * oneDNN backend: the auto mode's engine for a recurrent layer, measured
 * (dnnl_probe.c; docs/onednn.md, "Which engine: measured").
 *
 * Which of the three engines is fastest for a layer — the small-batch
 * kernel, the step-matmul loop or oneDNN's RNN primitive — depends on the
 * CPU far more than any rule of features can say: on an Intel Xeon with
 * AVX-512 the small-batch kernel won from B = 1 to 64, on an AMD Zen 4 with
 * the same AVX-512 features (its 512-bit operations split in two halves,
 * 1 MiB of L2 per core) the step-matmul loop ran 2 to 5 times faster than
 * it at most of the same shapes, and the primitive was fastest at others.
 * So the first run of a layer shape that is worth it (an estimated
 * DN_PROBE_MIN_FLOP per run or more) times each engine that can run it on
 * a short synthetic sequence of the run's batch, with the layer's own
 * weights, and keeps the fastest for the process; the figures go to a
 * cache file on disk, keyed by the CPU model, the kernel build and the
 * thread count with the layer's shape, so later processes on the machine
 * skip the measurement.
 *
 * SEQRT_ONEDNN_PROBE = auto (default: measure, cache on disk), memory
 * (measure, no file), always (measure every layer, however small, and cache
 * it: tests),
 * off (the feature rule of dnnl_rnn.c alone). Cache folder:
 * $SEQRT_ONEDNN_CACHE_DIR, else $XDG_CACHE_HOME/seqrt/onednn, else
 * ~/.cache/seqrt/onednn; file engines.txt. A line that cannot be read is
 * ignored (logged at warn level); cache trouble never fails a run.
 */
#ifndef SEQRT_DNNL_PROBE_H
#define SEQRT_DNNL_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnnl_rnn.h"

/* The engines a layer can run on, as bits of a candidate set. */
enum { DN_ENG_SMALL = 1, DN_ENG_LOOP = 2, DN_ENG_PRIM = 4 };

enum { DN_PROBE_OFF, DN_PROBE_AUTO, DN_PROBE_MEMORY, DN_PROBE_ALWAYS };

/* Runs smaller than this (2 * T * B * D * layers * G * H * (in + Ho)
 * FLOPs) keep the rule: they take well under a millisecond on any engine. */
#define DN_PROBE_MIN_FLOP 2e7

/* SEQRT_ONEDNN_PROBE, read once per process (an error naming a bad value). */
seqrt_status dn_probe_env(int *mode);
void dn_probe_configure(int mode);
int dn_probe_mode(void);

/* The engine (one DN_ENG_* bit of `cands`, which has at least two) for
 * batch B and T steps of layer r: from the process's table or the cache
 * file, else measured now. `predicted` is the rule's choice, kept when the
 * fastest is within the noise of it. Returns an error only when a
 * measurement run failed (out of memory, a oneDNN error). */
seqrt_status dn_probe_choose(dn_session *s, dn_rnn *r, int64_t B, int64_t T, bool bf, unsigned cands,
                             unsigned predicted, unsigned *engine);

/* The policy in a few words, for `seqrt backends`. */
void dn_probe_describe(char *buf, size_t n);

#endif /* SEQRT_DNNL_PROBE_H */
