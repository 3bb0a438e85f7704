/*
 * oneDNN backend: the recurrent loops' own team of threads (dnnl_team.c),
 * which runs a sequence of dependent steps (the small-batch path,
 * dnnl_rnn_small.c) with one barrier per step and survives a busy machine.
 *
 * The barrier spins briefly, then sleeps (futex), and measures each
 * member's waits. When, over a window of steps, the waiting members idle
 * most of the time and wait long per step (a descheduled member: on a
 * machine whose every core is busy, each barrier waits for its next time
 * slice), the team halves its member count for the rest of the run, down to
 * the calling thread alone. The process remembers the count for later runs
 * and probes the full count again after a while (1 s, doubling while the
 * probes fail), so that a quiet machine gets every thread back.
 * SEQRT_ONEDNN_TEAM=omp keeps OpenMP's team and barrier (the behaviour
 * before, for comparison).
 */
#ifndef SEQRT_DNNL_TEAM_H
#define SEQRT_DNNL_TEAM_H

#include <stddef.h>
#include <stdint.h>

enum { DN_TEAM_OWN, DN_TEAM_OMP };

/* Step s for member t of n. A member's part may depend only on (s, t, n)
 * and on what step s - 1 wrote: the count may change between steps. */
typedef void (*dn_team_step_fn)(void *arg, int64_t s, int t, int n);

typedef struct dn_team_opts {
    int64_t drop_at;            /* test hook: one member from this step on; -1: never */
    int remember;               /* 1: follow and update the process's remembered count */
} dn_team_opts;

typedef struct dn_team_stats {
    int threads_start, threads_end;
    int64_t drop_step;          /* first step run on fewer members, or -1 */
} dn_team_stats;

/* Runs steps 0 .. steps-1 on up to `threads` threads (the caller is member
 * 0), each step begun only when every member has finished the one before.
 * opts NULL: the process's settings (dn_team_configure) and its memory;
 * stats may be NULL. Denormal mode (MXCSR) of the caller applies to every
 * member. */
void dn_team_run(int threads, int64_t steps, dn_team_step_fn fn, void *arg, const dn_team_opts *opts,
                 dn_team_stats *stats);

/* The process's mode (DN_TEAM_OWN or DN_TEAM_OMP) and the test hook's step
 * (-1: none), set from the environment by dnnl_backend.c. */
void dn_team_configure(int mode, int64_t drop_at);
int dn_team_mode(void);
/* The member count remembered after contention (0: none); forgetting it
 * also resets the probe's back-off. */
int dn_team_limit(void);
void dn_team_forget(void);
/* The policy in a line, for `seqrt backends`. */
void dn_team_describe(char *buf, size_t size);

#endif /* SEQRT_DNNL_TEAM_H */
