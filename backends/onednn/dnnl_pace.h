/*
 * oneDNN backend: the thread count of oneDNN's RNN primitive on a busy
 * machine (dnnl_pace.c).
 *
 * The primitive parallelises each step over OpenMP's team, with a barrier
 * per step (so do the loop engine's step matmuls outside the small-batch
 * path, which has its own team: dnnl_team.h). When another process holds a
 * core, every barrier waits for the descheduled thread's next time slice,
 * and a run can become tens of times slower. The primitive's GEMMs give us
 * no barrier to watch, so the choice is measured: each execution (a chunk
 * of steps, or one layer's run) is timed per FLOP on the thread count it
 * ran with, and the process keeps the latest figure for the session's full
 * count and for one thread. The first execution takes one thread when the
 * load average already fills the session's CPUs, every thread otherwise;
 * then runs take the faster, and the other is probed again after a while
 * (1 s, doubling while the probes lose, up to 16 s; a probe that wins
 * switches at once), so a quiet machine gets every thread back and a loaded
 * one pays a slow probe at most every 16 s. SEQRT_ONEDNN_PACE=fixed always
 * uses the full count (the behaviour before, for comparison).
 */
#ifndef SEQRT_DNNL_PACE_H
#define SEQRT_DNNL_PACE_H

#include <stddef.h>
#include <stdint.h>

#include "seqrt.h"

/* The decision state (one per process and kind; exposed for the unit
 * test). Times in ns, cost in ns per FLOP; cost[0]: the full count,
 * cost[1]: one thread; 0: not measured yet. */
typedef struct dn_pace {
    double cost[2];
    int cur;              /* the option runs take: 0 full, 1 one thread */
    int primed;           /* cur set from the machine's load before the first figure */
    int64_t next_probe;   /* when the other option is tried next */
    int64_t backoff;      /* the wait after a losing probe */
} dn_pace;

#define DN_PACE_FIRST_NS 1000000000LL   /* 1 s */
#define DN_PACE_MAX_NS 16000000000LL    /* 16 s */

/* The option (0 full, 1 one) execution at time `now` takes. */
int dn_pace_pick(const dn_pace *p, int64_t now);
/* Records that option `opt` took `cost` ns/FLOP, measured at time `now`. */
void dn_pace_record(dn_pace *p, int opt, double cost, int64_t now);

/* One timed execution under the process's state for its kind: the RNN
 * primitive's, or the loop engine's chunk of step matmuls (the same
 * barrier per step; dnnl_rnn_loop.c). */
enum { DN_PACE_PRIMITIVE, DN_PACE_LOOP, DN_PACE_KINDS };
typedef struct dn_pace_unit {
    int kind, opt, threads, before;
    double flops;
    int64_t t0;
} dn_pace_unit;

/* Sets the calling thread's OpenMP count for an execution of `flops` on a
 * session of `full` threads; end restores it and records the time. */
void dn_pace_begin(dn_pace_unit *u, int kind, int full, double flops);
void dn_pace_end(dn_pace_unit *u);

/* The process's mode: SEQRT_ONEDNN_PACE (adapt, the default: 1; fixed:
 * 0), an error naming a bad value; set by dnnl_backend.c. */
seqrt_status dn_pace_env(int *adaptive);
void dn_pace_configure(int adaptive);
/* The policy and the current choice in a line, for `seqrt backends`. */
void dn_pace_describe(char *buf, size_t size);

#endif /* SEQRT_DNNL_PACE_H */
