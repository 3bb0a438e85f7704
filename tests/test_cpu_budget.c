/*
 * The CPU budget (api/cpu_budget.c): cgroup quota texts parsed as the
 * kernel writes them, SEQRT_NUM_THREADS taken or refused, and the budget
 * never above the affinity mask.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <sched.h>
#include <stdlib.h>

#include "cpu_budget.h"

Test(cpu_budget, quota_texts)
{
    cr_expect_eq(sq_cpu_quota_parse("max 100000", NULL), 0.0);
    cr_expect_float_eq(sq_cpu_quota_parse("150000 100000", NULL), 1.5, 1e-12);
    cr_expect_float_eq(sq_cpu_quota_parse("50000 100000", NULL), 0.5, 1e-12);
    cr_expect_float_eq(sq_cpu_quota_parse("200000", "100000"), 2.0, 1e-12); /* v1 quota, period */
    cr_expect_eq(sq_cpu_quota_parse("-1", "100000"), 0.0);                  /* v1: no quota */
    cr_expect_lt(sq_cpu_quota_parse("junk", NULL), 0.0);
    cr_expect_lt(sq_cpu_quota_parse("100000 0", NULL), 0.0);
}

Test(cpu_budget, env_and_affinity)
{
    sq_cpu_budget b;
    unsetenv("SEQRT_NUM_THREADS");
    cr_assert_eq(sq_cpu_budget_get(&b), SEQRT_OK);
    cpu_set_t set;
    cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
    cr_expect_geq(b.threads, 1);
    cr_expect_leq(b.threads, CPU_COUNT(&set));
    cr_expect_eq(b.affinity, CPU_COUNT(&set));
    cr_expect(strstr(b.why, "affinity") != NULL, "why: %s", b.why);

    setenv("SEQRT_NUM_THREADS", "3", 1);
    cr_assert_eq(sq_cpu_budget_get(&b), SEQRT_OK);
    cr_expect_eq(b.threads, 3);
    cr_expect(strstr(b.why, "SEQRT_NUM_THREADS=3") != NULL, "why: %s", b.why);

    static const char *const bad[] = {"0", "-2", "two", "3x", "100000"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("SEQRT_NUM_THREADS", bad[i], 1);
        cr_expect_eq(sq_cpu_budget_get(&b), SEQRT_ERR_INVALID_ARGUMENT, "SEQRT_NUM_THREADS=%s", bad[i]);
        cr_expect(strstr(seqrt_last_error(), "SEQRT_NUM_THREADS") != NULL, "%s", seqrt_last_error());
    }
    unsetenv("SEQRT_NUM_THREADS");
}

/* Pinned to one CPU (as `taskset -c 0` does), the budget is one thread. */
Test(cpu_budget, pinned)
{
    cpu_set_t old, one;
    cr_assert_eq(sched_getaffinity(0, sizeof old, &old), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &old)) {
            CPU_SET(c, &one);
            break;
        }
    cr_assert_eq(sched_setaffinity(0, sizeof one, &one), 0);
    sq_cpu_budget b;
    unsetenv("SEQRT_NUM_THREADS");
    seqrt_status st = sq_cpu_budget_get(&b);
    sched_setaffinity(0, sizeof old, &old);
    cr_assert_eq(st, SEQRT_OK);
    cr_expect_eq(b.threads, 1);
    cr_expect_eq(b.affinity, 1);
}
