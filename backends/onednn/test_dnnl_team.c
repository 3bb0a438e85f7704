/*
 * The recurrent loops' own team (dnnl_team.c): every step sees all of the
 * previous step (a recurrence whose every element reads its neighbours,
 * compared with the same recurrence computed serially), for 1 to 8 threads
 * and many steps; a forced drop to one thread (the test hook) mid-run
 * keeps the result; a member that sleeps at each step (what a descheduled
 * thread looks like to the others) makes the team drop; the process
 * remembers a drop only when asked. No assertion depends on how fast
 * anything runs.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "dnnl_team.h"

#define N_ELEMS 97

/* x_{s+1}[i] = x_s[i-1] + 2 x_s[i] + x_s[i+1] (mod 2^32, cyclic) + s:
 * element i at step s + 1 reads three elements of step s, most of them
 * written by another member. */
typedef struct {
    uint32_t x[2][N_ELEMS];
    int sleeper;                /* member that sleeps each step, or -1 */
    useconds_t sleep_us;
    _Atomic int max_members;    /* most members seen at a step */
    _Atomic int min_members;
} recurrence;

static void rec_step(void *arg, int64_t s, int t, int n)
{
    recurrence *r = arg;
    const uint32_t *p = r->x[s & 1];
    uint32_t *q = r->x[(s + 1) & 1];
    const int i0 = N_ELEMS * t / n, i1 = N_ELEMS * (t + 1) / n;
    for (int i = i0; i < i1; i++)
        q[i] = p[(i + N_ELEMS - 1) % N_ELEMS] + 2u * p[i] + p[(i + 1) % N_ELEMS] + (uint32_t)s;
    if (t == 0) {
        if (n > atomic_load(&r->max_members)) atomic_store(&r->max_members, n);
        if (n < atomic_load(&r->min_members)) atomic_store(&r->min_members, n);
    }
    if (t == r->sleeper) usleep(r->sleep_us);
}

static void rec_init(recurrence *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < N_ELEMS; i++) r->x[0][i] = (uint32_t)(i * 2654435761u);
    r->sleeper = -1;
    atomic_store(&r->min_members, 1 << 30);
}

static void rec_serial(uint32_t *out, int64_t steps)
{
    uint32_t a[N_ELEMS], b[N_ELEMS];
    for (int i = 0; i < N_ELEMS; i++) a[i] = (uint32_t)(i * 2654435761u);
    for (int64_t s = 0; s < steps; s++) {
        for (int i = 0; i < N_ELEMS; i++)
            b[i] = a[(i + N_ELEMS - 1) % N_ELEMS] + 2u * a[i] + a[(i + 1) % N_ELEMS] + (uint32_t)s;
        memcpy(a, b, sizeof a);
    }
    memcpy(out, a, sizeof a);
}

static void check_run(int threads, int64_t steps, const dn_team_opts *opts, dn_team_stats *st)
{
    static recurrence r;
    rec_init(&r);
    dn_team_run(threads, steps, rec_step, &r, opts, st);
    uint32_t want[N_ELEMS];
    rec_serial(want, steps);
    cr_assert_arr_eq(r.x[steps & 1], want, sizeof want, "%d threads, %lld steps", threads, (long long)steps);
}

Test(dnnl_team, every_step_sees_the_previous_one)
{
    const dn_team_opts opts = {.drop_at = -1, .remember = 0};
    const int64_t steps[] = {0, 1, 2, 3, 17, 1000, 5001};
    for (int threads = 1; threads <= 8; threads++)
        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
            dn_team_stats st;
            check_run(threads, steps[k], &opts, &st);
            cr_expect_eq(st.threads_start, threads);
            cr_expect_leq(st.threads_end, st.threads_start);
        }
}

Test(dnnl_team, teams_are_reused_run_after_run)
{
    const dn_team_opts opts = {.drop_at = -1, .remember = 0};
    for (int run = 0; run < 300; run++) check_run(1 + run % 4, 1 + run % 13, &opts, NULL);
}

Test(dnnl_team, forced_drop_keeps_the_result)
{
    for (int threads = 2; threads <= 6; threads++)
        for (int64_t at = 1; at <= 40; at += 13) {
            const dn_team_opts opts = {.drop_at = at, .remember = 0};
            dn_team_stats st;
            check_run(threads, 100, &opts, &st);
            cr_expect_eq(st.threads_start, threads);
            cr_expect_eq(st.threads_end, 1);
            /* more threads than this machine's CPUs may drop earlier, measured */
            cr_expect(st.drop_step >= 1 && st.drop_step <= at, "drop at step %lld, recorded %lld", (long long)at,
                      (long long)st.drop_step);
        }
}

/* The sleeping member's run (60 steps on 2 threads): the result is the
 * serial one and the run ends on one thread. */
static void sleeper_run(recurrence *r, const dn_team_opts *opts, dn_team_stats *st)
{
    dn_team_forget();
    rec_init(r);
    r->sleeper = 1;
    r->sleep_us = 3000;
    dn_team_run(2, 60, rec_step, r, opts, st);
    uint32_t want[N_ELEMS];
    rec_serial(want, 60);
    cr_assert_arr_eq(r->x[60 & 1], want, sizeof want);
    cr_expect_eq(st->threads_start, 2);
    cr_expect_eq(st->threads_end, 1);
}

/* A member that sleeps 3 ms at every step leaves the others waiting nearly
 * all the time: the team halves until the sleeper is no longer a member
 * (member 1 of 2: one thread left). */
Test(dnnl_team, a_descheduled_member_makes_the_team_drop)
{
    static recurrence r;
    dn_team_stats st;
    sleeper_run(&r, &(dn_team_opts){.drop_at = -1, .remember = 0}, &st);
    cr_expect_geq(st.drop_step, 1);
    cr_expect_eq(atomic_load(&r.min_members), 1);
    cr_expect_eq(dn_team_limit(), 0, "remember = 0 leaves the process's limit alone");
}

Test(dnnl_team, a_drop_is_remembered_when_asked)
{
    static recurrence r;
    const dn_team_opts opts = {.drop_at = -1, .remember = 1};
    dn_team_stats st;
    sleeper_run(&r, &opts, &st);
    cr_expect_eq(dn_team_limit(), 1);
    /* the next run (well before the probe) starts on the remembered count */
    rec_init(&r);
    dn_team_run(2, 10, rec_step, &r, &opts, &st);
    cr_expect_eq(st.threads_start, 1);
    cr_expect_eq(atomic_load(&r.max_members), 1);
    dn_team_forget();
    cr_expect_eq(dn_team_limit(), 0);
    rec_init(&r);
    dn_team_run(2, 10, rec_step, &r, &opts, &st);
    cr_expect_eq(st.threads_start, 2);
}

Test(dnnl_team, mode_and_description)
{
    dn_team_configure(DN_TEAM_OMP, -1);
    cr_expect_eq(dn_team_mode(), DN_TEAM_OMP);
    char text[120];
    dn_team_describe(text, sizeof text);
    cr_expect(strstr(text, "SEQRT_ONEDNN_TEAM=omp") != NULL, "%s", text);
    dn_team_configure(DN_TEAM_OWN, -1);
    cr_expect_eq(dn_team_mode(), DN_TEAM_OWN);
    dn_team_describe(text, sizeof text);
    cr_expect(strstr(text, "own team") != NULL, "%s", text);
}
