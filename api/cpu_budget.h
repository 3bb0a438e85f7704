/*
 * How many CPUs this process may really use, for the CPU backends' thread
 * count: the affinity mask (taskset, a container's cpuset), capped by the
 * cgroup CPU quota (cgroup v2 cpu.max, v1 cpu.cfs_quota_us / period, on
 * the process's group and its ancestors), unless SEQRT_NUM_THREADS says
 * otherwise. A machine "with 64 CPUs" whose container may use 2 must not
 * run 64 threads that wait for each other at every step.
 */
#ifndef SEQRT_CPU_BUDGET_H
#define SEQRT_CPU_BUDGET_H

#include <stddef.h>

#include "internal.h"

typedef struct sq_cpu_budget {
    int threads;         /* what a backend should run: >= 1 */
    int online;          /* CPUs the system has online */
    int affinity;        /* CPUs in the affinity mask (online when unknown) */
    double quota;        /* cgroup quota in CPUs; 0: none */
    int env;             /* SEQRT_NUM_THREADS, 0 when unset */
    char why[192];       /* how `threads` was chosen, for `seqrt backends` */
} sq_cpu_budget;

/* Fills *out. SEQRT_NUM_THREADS that is not an integer in [1, 4096] is an
 * invalid-argument error naming it. */
seqrt_status sq_cpu_budget_get(sq_cpu_budget *out);

/* Parses a cgroup quota: cgroup v2's cpu.max text ("max 100000",
 * "150000 100000") or, with period_text, v1's quota and period files.
 * Returns the quota in CPUs, 0 for none, -1 for text it cannot read. */
double sq_cpu_quota_parse(const char *text, const char *period_text);

#endif /* SEQRT_CPU_BUDGET_H */
