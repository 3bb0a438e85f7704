/*
 * oneDNN backend: the auto mode's engine for a recurrent layer, measured
 * (see dnnl_probe.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dnnl_kern.h"
#include "dnnl_probe.h"

#define DN_PROBE_MAX_STEPS 16   /* the synthetic sequence: min(T, 16) steps */
#define DN_PROBE_REPS 3         /* timed runs per engine after a warm-up ... */
#define DN_PROBE_BUDGET_NS 30000000LL /* ... fewer when they pass 30 ms */
#define DN_PROBE_MARGIN 1.05    /* the rule's engine kept within 5 % of the fastest */
#define DN_PROBE_TABLE 512
#define DN_PROBE_KEY 320

typedef struct probe_entry {
    char key[DN_PROBE_KEY];
    unsigned engine;
} probe_entry;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_mode = DN_PROBE_AUTO;
static probe_entry g_table[DN_PROBE_TABLE];
static int g_count;
static bool g_file_read;
static char g_cpu[128];

seqrt_status dn_probe_env(int *mode)
{
    const char *e = getenv("SEQRT_ONEDNN_PROBE");
    *mode = DN_PROBE_AUTO;
    if (!e || !*e || !strcmp(e, "auto")) return SEQRT_OK;
    if (!strcmp(e, "memory")) *mode = DN_PROBE_MEMORY;
    else if (!strcmp(e, "always")) *mode = DN_PROBE_ALWAYS;
    else if (!strcmp(e, "off")) *mode = DN_PROBE_OFF;
    else
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                        "SEQRT_ONEDNN_PROBE='%s' is not one of auto, memory, always, off", e);
    return SEQRT_OK;
}

void dn_probe_configure(int mode)
{
    pthread_mutex_lock(&g_lock);
    g_mode = mode;
    pthread_mutex_unlock(&g_lock);
}

int dn_probe_mode(void)
{
    pthread_mutex_lock(&g_lock);
    const int m = g_mode;
    pthread_mutex_unlock(&g_lock);
    return m;
}

static const char *engine_name(unsigned e)
{
    return e == DN_ENG_SMALL ? "small" : e == DN_ENG_LOOP ? "loop" : "primitive";
}

static unsigned engine_of(const char *name)
{
    if (!strcmp(name, "small")) return DN_ENG_SMALL;
    if (!strcmp(name, "loop")) return DN_ENG_LOOP;
    if (!strcmp(name, "primitive")) return DN_ENG_PRIM;
    return 0;
}

/* ------------------------------------------------------------ the cache file */

static void cache_dir(char *buf, size_t n)
{
    const char *dir = getenv("SEQRT_ONEDNN_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (dir && *dir) snprintf(buf, n, "%s", dir);
    else if (xdg && *xdg) snprintf(buf, n, "%s/seqrt/onednn", xdg);
    else if (home && *home) snprintf(buf, n, "%s/.cache/seqrt/onednn", home);
    else buf[0] = '\0';
}

static void cache_file(char *buf, size_t n)
{
    char dir[900];
    cache_dir(dir, sizeof dir);
    if (dir[0]) snprintf(buf, n, "%s/engines.txt", dir);
    else buf[0] = '\0';
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* Under g_lock: a table entry (first one wins). */
static void table_put(const char *key, unsigned engine)
{
    for (int i = 0; i < g_count; i++)
        if (!strcmp(g_table[i].key, key)) return;
    if (g_count == DN_PROBE_TABLE) return;
    snprintf(g_table[g_count].key, sizeof g_table[g_count].key, "%s", key);
    g_table[g_count++].engine = engine;
}

/* Under g_lock, once: the file's lines "key<TAB>engine<TAB>figures". */
static void read_file(void)
{
    if (g_file_read) return;
    g_file_read = true;
    if (g_mode != DN_PROBE_AUTO && g_mode != DN_PROBE_ALWAYS) return;
    char path[1024];
    cache_file(path, sizeof path);
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    if (!f) return;
    char line[DN_PROBE_KEY + 200];
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
        if (!tab || !tab2 || tab - line >= DN_PROBE_KEY) {
            bad++;
            continue;
        }
        *tab = *tab2 = '\0';
        const unsigned e = engine_of(tab + 1);
        if (!e) {
            bad++;
            continue;
        }
        table_put(line, e);
    }
    fclose(f);
    if (bad) sq_log(SQ_LOG_WARN, "onednn: %s: %d line(s) not understood, ignored", path, bad);
}

static void append_file(const char *key, unsigned engine, const double ms[3])
{
    char dir[900], path[1024];
    cache_dir(dir, sizeof dir);
    if (!dir[0]) return;
    cache_file(path, sizeof path);
    if (make_dirs(dir)) {
        sq_log(SQ_LOG_WARN, "onednn: cannot create %s (%s): engine figures not cached", dir, strerror(errno));
        return;
    }
    char line[DN_PROBE_KEY + 200];
    const int n = snprintf(line, sizeof line, "%s\t%s\tms per run: small %.4g loop %.4g primitive %.4g\n", key,
                           engine_name(engine), ms[0], ms[1], ms[2]);
    const int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    /* one write of one line with O_APPEND: concurrent writers do not interleave */
    if (fd < 0 || write(fd, line, (size_t)n) != n)
        sq_log(SQ_LOG_WARN, "onednn: cannot write %s (%s): engine figures not cached", path, strerror(errno));
    if (fd >= 0) close(fd);
}

/* ------------------------------------------------------------ the key */

static void read_cpu(void)
{
    snprintf(g_cpu, sizeof g_cpu, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        char *c = strchr(line, ':');
        if (strncmp(line, "model name", 10) || !c) continue;
        c++;
        while (*c == ' ' || *c == '\t') c++;
        snprintf(g_cpu, sizeof g_cpu, "%s", c);
        break;
    }
    if (f) fclose(f);
    for (char *p = g_cpu; *p; p++)
        if (*p == '\n') *p = '\0';
        else if (*p == ' ' || *p == '\t') *p = '_';
}

static void make_key(const dn_session *s, const dn_rnn *r, int64_t B, int64_t Tp, bool bf, char *key, size_t n)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, read_cpu);
    snprintf(key, n,
             "cpu=%s isa=%s threads=%d op=%s layers=%d dirs=%d I=%lld H=%lld Ho=%lld lbr=%d peep=%d coupled=%d "
             "B=%lld T=%lld bf=%d y=%d%s",
             g_cpu, s->kern->name, s->nthreads, sq_op_name(r->op), r->nl, r->D, (long long)r->I, (long long)r->H,
             (long long)r->Ho, r->lbr, r->peep != NULL, r->op == SQ_OP_LSTM && r->L->a.coupled, (long long)B,
             (long long)Tp, bf, !r->y_unused, r->Lb16 ? " w=bf16" : ""); /* bf16: the small path reads half the bytes */
}

/* ------------------------------------------------------------ measuring */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static seqrt_status run_once(dn_session *s, dn_rnn *r, unsigned e, dn_rnn_run *run)
{
    if (e == DN_ENG_PRIM) {
        SQ_TRY(dn_rnn_prim_prepare(s, r));
        return dn_rnn_prim_run(s, r, run);
    }
    run->small = e == DN_ENG_SMALL;
    SQ_TRY(dn_rnn_loop_prepare(s, r, run->small));
    return dn_rnn_loop_run(s, r, run);
}

/* ms[i]: the best time of a run on engine bit i (0 when not a candidate). */
static seqrt_status measure(dn_session *s, dn_rnn *r, int64_t B, int64_t Tp, bool bf, unsigned cands, double ms[3])
{
    const size_t nx = (size_t)(Tp * B * r->I), ny = r->y_unused ? 0 : (size_t)(Tp * B * r->D * r->Ho);
    const size_t nh = (size_t)(r->nl * r->D * B * r->Ho), nc = r->op == SQ_OP_LSTM ? (size_t)(r->nl * r->D * B * r->H) : 0;
    float *buf = sq_malloc(sizeof(float) * (nx + ny + nh + nc + 1));
    if (!buf) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory measuring the engines of layer '%s'", r->L->name);
    uint32_t seed = 12345u; /* the values do not matter, only that they are ordinary numbers */
    for (size_t i = 0; i < nx; i++) {
        seed = seed * 1664525u + 1013904223u;
        buf[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    dn_rnn_run run = {.T = Tp, .B = B, .bf = bf, .x = buf, .y = ny ? buf + nx : NULL, .hn = buf + nx + ny,
                      .cn = nc ? buf + nx + ny + nh : NULL};
    seqrt_status st = SEQRT_OK;
    for (int i = 0; i < 3 && !st; i++) {
        const unsigned e = 1u << i;
        ms[i] = 0;
        if (!(cands & e)) continue;
        if ((st = run_once(s, r, e, &run))) break; /* warm-up: weights laid out, primitives made */
        double best = 0;
        const int64_t t_start = now_ns();
        for (int rep = 0; rep < DN_PROBE_REPS && !st; rep++) {
            const int64_t t0 = now_ns();
            st = run_once(s, r, e, &run);
            const double t = (double)(now_ns() - t0) / 1e6;
            if (best == 0 || t < best) best = t;
            if (now_ns() - t_start > DN_PROBE_BUDGET_NS) break;
        }
        ms[i] = best > 0 ? best : 1e-6;
    }
    sq_free(buf);
    return st;
}

/* ------------------------------------------------------------ the choice */

seqrt_status dn_probe_choose(dn_session *s, dn_rnn *r, int64_t B, int64_t T, bool bf, unsigned cands,
                             unsigned predicted, unsigned *engine)
{
    *engine = predicted;
    const int mode = dn_probe_mode();
    if (mode == DN_PROBE_OFF) return SEQRT_OK;
    const double flop = 2.0 * (double)T * (double)B * r->D * r->nl * (double)(r->G * r->H) *
                        (double)(r->I + r->Ho);
    if (mode != DN_PROBE_ALWAYS && flop < DN_PROBE_MIN_FLOP) return SEQRT_OK;
    const int64_t Tp = T < DN_PROBE_MAX_STEPS ? T : DN_PROBE_MAX_STEPS;
    char key[DN_PROBE_KEY];
    make_key(s, r, B, Tp, bf, key, sizeof key);
    pthread_mutex_lock(&g_lock);
    read_file();
    unsigned found = 0;
    for (int i = 0; i < g_count && !found; i++)
        if (!strcmp(g_table[i].key, key)) found = g_table[i].engine;
    pthread_mutex_unlock(&g_lock);
    if (found & cands) {
        *engine = found;
        sq_log(SQ_LOG_DEBUG, "onednn: layer '%s' at B=%lld: %s engine (measured before: %s)", r->L->name,
               (long long)B, engine_name(found), key);
        return SEQRT_OK;
    }
    double ms[3];
    SQ_TRY(measure(s, r, B, Tp, bf, cands, ms));
    unsigned best = 0;
    double tbest = 0;
    for (int i = 0; i < 3; i++)
        if (ms[i] > 0 && (best == 0 || ms[i] < tbest)) best = 1u << i, tbest = ms[i];
    const int pi = predicted == DN_ENG_SMALL ? 0 : predicted == DN_ENG_LOOP ? 1 : 2;
    if (ms[pi] > 0 && ms[pi] <= DN_PROBE_MARGIN * tbest) best = predicted;
    *engine = best;
    sq_log(SQ_LOG_INFO,
           "onednn: layer '%s' (%s) at B=%lld, %lld steps measured: small-batch kernel %.3g ms, step-matmul loop "
           "%.3g ms, RNN primitive %.3g ms (0: cannot run it): %s engine",
           r->L->name, sq_op_name(r->op), (long long)B, (long long)Tp, ms[0], ms[1], ms[2], engine_name(best));
    pthread_mutex_lock(&g_lock);
    table_put(key, best);
    pthread_mutex_unlock(&g_lock);
    if (mode == DN_PROBE_AUTO || mode == DN_PROBE_ALWAYS) append_file(key, best, ms);
    return SEQRT_OK;
}

void dn_probe_describe(char *buf, size_t n)
{
    static const char *what[] = {"the rule alone (SEQRT_ONEDNN_PROBE=off)", "measured per layer shape, cached on disk",
                                 "measured per layer shape, not cached", "measured for every layer, cached on disk"};
    snprintf(buf, n, "auto engine: %s", what[dn_probe_mode()]);
}
