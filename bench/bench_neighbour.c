/*
 * seqrt-bench --neighbour N: N busy-loop processes run beside the
 * measurement, as on a shared CI runner or a loaded server (the case the
 * CPU backend must survive). The bench starts them before the first case and
 * ends them itself when it finishes, fails or is interrupted; each also dies
 * with the bench (PR_SET_PDEATHSIG) and after an hour at most (alarm), so
 * none outlives it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define NEIGHBOUR_MAX 256
#define NEIGHBOUR_LIFETIME_S 3600

static pid_t g_pids[NEIGHBOUR_MAX];
static int g_n;

static void busy_loop(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0); /* the bench ended before prctl took effect */
    alarm(NEIGHBOUR_LIFETIME_S);
    volatile double x = 1.0;
    for (;;) x = x * 1.0000001 + 1e-9;
}

static void on_signal(int sig)
{
    bench_neighbours_stop();
    signal(sig, SIG_DFL);
    raise(sig);
}

int bench_neighbours_start(int n, char *err, size_t err_size)
{
    if (n <= 0) return 0;
    if (n > NEIGHBOUR_MAX) {
        snprintf(err, err_size, "--neighbour %d: at most %d", n, NEIGHBOUR_MAX);
        return -1;
    }
    fflush(NULL);
    pid_t self = getpid();
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) {
            snprintf(err, err_size, "--neighbour: fork failed after %d of %d: %s", i, n, strerror(errno));
            bench_neighbours_stop();
            return -1;
        }
        if (p == 0) busy_loop(self);
        g_pids[g_n++] = p;
    }
    atexit(bench_neighbours_stop);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    return 0;
}

void bench_neighbours_stop(void)
{
    for (int i = 0; i < g_n; i++) kill(g_pids[i], SIGKILL);
    for (int i = 0; i < g_n; i++) waitpid(g_pids[i], NULL, 0);
    g_n = 0;
}
