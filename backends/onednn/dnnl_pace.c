/*
 * oneDNN backend: the RNN primitive's thread count, measured (see
 * dnnl_pace.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnnl_pace.h"
#include "internal.h"

int dn_pace_pick(const dn_pace *p, int64_t now)
{
    return now >= p->next_probe && p->cost[p->cur] > 0 ? 1 - p->cur : p->cur;
}

void dn_pace_record(dn_pace *p, int opt, double cost, int64_t now)
{
    p->cost[opt] = cost;
    if (opt == p->cur) {
        /* the first figure of the option in use schedules the first probe */
        if (p->next_probe == 0) {
            p->backoff = DN_PACE_FIRST_NS;
            p->next_probe = now;
        }
        /* the option in use got clearly slower than the other's last
         * figure (a margin against noise): switch, and probe back soon */
        if (p->cost[1 - opt] > 0 && cost > 1.25 * p->cost[1 - opt]) {
            p->cur = 1 - opt;
            p->backoff = DN_PACE_FIRST_NS;
            p->next_probe = now + p->backoff;
        }
        return;
    }
    if (cost < p->cost[p->cur]) { /* the probe won: switch, probe back soon */
        p->cur = opt;
        p->backoff = DN_PACE_FIRST_NS;
    } else if (p->backoff < DN_PACE_MAX_NS) {
        p->backoff *= 2;
    }
    p->next_probe = now + p->backoff;
}

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static dn_pace g_pace[DN_PACE_KINDS]; /* per kind of execution: figures of one kind only are compared */
static int g_adaptive = 1;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

seqrt_status dn_pace_env(int *adaptive)
{
    const char *e = getenv("SEQRT_ONEDNN_PACE");
    *adaptive = 1;
    if (!e || !*e || !strcmp(e, "adapt")) return SEQRT_OK;
    if (!strcmp(e, "fixed")) {
        *adaptive = 0;
        return SEQRT_OK;
    }
    return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "SEQRT_ONEDNN_PACE='%s' is not one of adapt, fixed", e);
}

void dn_pace_configure(int adaptive)
{
    pthread_mutex_lock(&g_lock);
    g_adaptive = adaptive;
    pthread_mutex_unlock(&g_lock);
}

/* The option before any figure: one thread when the machine's load over
 * the last minute (/proc/loadavg) already fills the session's CPUs, else
 * every thread; the figures decide from then on. */
static int prior_option(int full)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double load = 0;
    int ok = f && fscanf(f, "%lf", &load) == 1;
    if (f) fclose(f);
    return ok && load >= (double)full ? 1 : 0;
}

void dn_pace_begin(dn_pace_unit *u, int kind, int full, double flops)
{
    u->kind = kind;
    u->flops = flops;
    u->before = omp_get_max_threads();
    u->opt = 0;
    pthread_mutex_lock(&g_lock);
    const int adaptive = g_adaptive;
    if (adaptive && full > 1) {
        dn_pace *p = &g_pace[kind];
        if (!p->primed) {
            p->cur = prior_option(full);
            p->primed = 1;
        }
        u->opt = dn_pace_pick(p, now_ns());
    }
    pthread_mutex_unlock(&g_lock);
    u->threads = u->opt ? 1 : full;
    if (u->threads != u->before) omp_set_num_threads(u->threads);
    u->t0 = adaptive && full > 1 ? now_ns() : -1;
}

void dn_pace_end(dn_pace_unit *u)
{
    if (u->threads != u->before) omp_set_num_threads(u->before);
    if (u->t0 < 0 || u->flops <= 0) return;
    const int64_t t1 = now_ns();
    pthread_mutex_lock(&g_lock);
    dn_pace_record(&g_pace[u->kind], u->opt, (double)(t1 - u->t0) / u->flops, t1);
    pthread_mutex_unlock(&g_lock);
}

void dn_pace_describe(char *buf, size_t size)
{
    pthread_mutex_lock(&g_lock);
    const dn_pace p = g_pace[DN_PACE_PRIMITIVE];
    const int adaptive = g_adaptive;
    pthread_mutex_unlock(&g_lock);
    if (!adaptive) snprintf(buf, size, "primitive threads: all (SEQRT_ONEDNN_PACE=fixed)");
    else
        snprintf(buf, size, "primitive threads: all or 1, as measured (now %s)",
                 p.cost[0] == 0 && p.cost[1] == 0 ? "unmeasured" : p.cur ? "1" : "all");
}
