/*
 * The CPUs this process may use (cpu_budget.h): affinity, cgroup quota and
 * SEQRT_NUM_THREADS. A quota of q CPUs allows floor(q) threads (at least
 * one): a thread more than the quota is descheduled for the rest of each
 * period, and a recurrent step waits for its slowest thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_budget.h"

double sq_cpu_quota_parse(const char *text, const char *period_text)
{
    if (!text) return -1;
    while (*text == ' ') text++;
    if (!strncmp(text, "max", 3)) return 0;
    char *end;
    double q = strtod(text, &end), p;
    if (end == text) return -1;
    if (period_text) p = strtod(period_text, NULL);
    else p = strtod(end, NULL);
    if (q < 0) return 0; /* v1: -1 means no quota */
    if (!(p > 0)) return -1;
    return q / p;
}

static int read_small(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl) *nl = '\0';
    return 0;
}

/* Whether the comma-separated list has `tok` ("cpu,cpuacct" has "cpu"). */
static int has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, tok, n) && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

/* The quota of one cgroup directory (v2: 1, v1: 0), or <= 0 for none. */
static double quota_of(const char *dir, int v2)
{
    char path[1200], a[128], b[128];
    if (v2) {
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", dir);
        return read_small(path, a, sizeof a) ? 0 : sq_cpu_quota_parse(a, NULL);
    }
    static const char *const roots[] = {"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"};
    for (int r = 0; r < 2; r++) {
        snprintf(path, sizeof path, "%s%s/cpu.cfs_quota_us", roots[r], dir);
        if (read_small(path, a, sizeof a)) continue;
        snprintf(path, sizeof path, "%s%s/cpu.cfs_period_us", roots[r], dir);
        if (!read_small(path, b, sizeof b)) return sq_cpu_quota_parse(a, b);
    }
    return 0;
}

/* The smallest quota on the process's cgroup and its ancestors (0: none). */
static double cgroup_quota(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return 0;
    char line[1024];
    double best = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        /* "hierarchy-id:controllers:path"; v2 is "0::path" */
        char *c = strchr(line, ':'), *dir = c ? strchr(c + 1, ':') : NULL;
        if (!dir) continue;
        *dir++ = '\0';
        int v2 = c[1] == '\0';
        if (!v2 && !has_token(c + 1, "cpu")) continue;
        for (char d[1024];;) {
            snprintf(d, sizeof d, "%s", dir);
            double q = quota_of(d, v2);
            if (q > 0 && (best == 0 || q < best)) best = q;
            char *slash = strrchr(dir, '/');
            if (!slash || !strcmp(dir, "/")) break;
            if (slash == dir) dir[1] = '\0';
            else *slash = '\0';
        }
    }
    fclose(f);
    return best;
}

seqrt_status sq_cpu_budget_get(sq_cpu_budget *out)
{
    memset(out, 0, sizeof *out);
    long on = sysconf(_SC_NPROCESSORS_ONLN);
    out->online = on > 0 ? (int)on : 1;
    cpu_set_t set;
    out->affinity = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : out->online;
    if (out->affinity < 1) out->affinity = out->online;
    out->quota = cgroup_quota();
    const char *env = getenv("SEQRT_NUM_THREADS");
    if (env && *env) {
        char *end;
        errno = 0;
        long n = strtol(env, &end, 10);
        if (*end || errno || n < 1 || n > 4096)
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                            "SEQRT_NUM_THREADS='%s' is not a thread count (an integer in [1, 4096])", env);
        out->env = (int)n;
        out->threads = (int)n;
        snprintf(out->why, sizeof out->why, "SEQRT_NUM_THREADS=%d", out->env);
        return SEQRT_OK;
    }
    int t = out->affinity;
    char quota[64] = "no cgroup CPU quota";
    if (out->quota > 0) {
        snprintf(quota, sizeof quota, "cgroup quota %.2f CPUs", out->quota);
        int q = (int)floor(out->quota + 1e-9);
        if (q < 1) q = 1;
        if (q < t) t = q;
    }
    out->threads = t;
    snprintf(out->why, sizeof out->why, "%d of %d online CPUs in the affinity mask, %s", out->affinity, out->online,
             quota);
    return SEQRT_OK;
}
