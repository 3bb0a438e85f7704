/*
 * oneDNN backend: the recurrent loops' own team of threads (dnnl_team.h):
 * a pool of persistent worker teams, a barrier that spins briefly and then
 * sleeps on a futex, the measurement of each member's barrier waits, and the
 * process-wide memory of contention (a thread limit, probed again later).
 *
 * Why not OpenMP's team: libgomp's barrier spins (and its team size is fixed
 * for the region), so on a machine whose every core is busy each step waits
 * for a descheduled member's next time slice — measured 55 to 110 times the
 * quiet time of a run. Here a wait longer than the spin yields the CPU, and
 * waits that show a lost time slice shrink the team for the rest of the run.
 *
 * Memory order: a member writes its wait total (its own slot) before it
 * arrives at the barrier (an acq_rel increment); the last to arrive reads
 * every slot, decides the member count of the next step, and releases the
 * others (a seq_cst store of the barrier's generation, which they acquire).
 * The window's bookkeeping is touched only by the last arriver of a step,
 * which the barrier orders from step to step.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#define HAVE_MXCSR 1
#else
#define CPU_RELAX() ((void)0)
#define HAVE_MXCSR 0
#endif

#include "dnnl_team.h"

#define TEAM_MAX_WORKERS 255
#define TEAM_POOL_MAX 64
#define BARRIER_SPIN_NS 50000        /* spin at a barrier this long, then sleep */
#define IDLE_SPIN_NS 300000          /* a worker spins this long for the next run, then sleeps */
#define WINDOW_MIN_STEPS 4           /* a window: at least this many steps ... */
#define WINDOW_MIN_NS 500000         /* ... and this long */
#define WAIT_FRACTION 0.5            /* waiting members idle more than this share of a window */
#define WAIT_MEAN_MIN_NS 50000       /* and wait this long per step on average: a lost time slice */
#define PROBE_FIRST_NS 1000000000LL  /* first probe of the full count 1 s after a drop */
#define PROBE_MAX_NS 16000000000LL

/* One member's: its wait total (written by the member only) and, for a
 * worker, the word it sleeps on between runs (bumped by the caller to start
 * it on a run: workers a run does not use are never woken). */
typedef struct {
    _Atomic int64_t wait_ns;
    _Atomic uint32_t job_gen;
    _Atomic int job_sleepers;
    char pad[64 - sizeof(int64_t) - sizeof(uint32_t) - sizeof(int)];
} slot;

typedef struct team {
    int cap;                    /* workers started */
    pthread_t tid[TEAM_MAX_WORKERS];
    slot slots[TEAM_MAX_WORKERS + 1];
    _Atomic int busy;
    _Atomic int quit;
    /* the run: set by the caller before job_gen is bumped */
    dn_team_step_fn fn;
    void *arg;
    int64_t steps;
    int nstart;
    unsigned csr;
    _Atomic uint32_t done;      /* workers finished with the run */
    _Atomic int done_sleepers;
    /* the barrier */
    _Atomic int arrived;
    _Atomic uint32_t bar_gen;
    _Atomic int bar_sleepers;
    _Atomic int n;              /* members of the next step */
    /* the window (last arriver only) and the run's record */
    int64_t win_t0, win_wait0, win_steps;
    int64_t drop_at, drop_step;
} team;

static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static team *g_pool[TEAM_POOL_MAX];
static int g_npool;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static _Atomic int g_mode = DN_TEAM_OWN;
static _Atomic int64_t g_drop_at = -1;
static _Atomic int g_limit;                 /* 0: none */
static _Atomic int64_t g_probe_at;          /* monotonic ns of the next probe */
static _Atomic int64_t g_backoff = PROBE_FIRST_NS;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void futex_wait(_Atomic uint32_t *word, uint32_t value)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Waits until *word differs from `value`: spins for spin_ns, then sleeps
 * (sleepers counts the sleeping, so that the waker calls futex only then). */
static void wait_change(_Atomic uint32_t *word, uint32_t value, _Atomic int *sleepers, int64_t spin_ns)
{
    int64_t t0 = 0;
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(word, memory_order_acquire) != value) return;
        CPU_RELAX();
        if (i % 64 == 0) {
            const int64_t t = now_ns();
            if (!t0) t0 = t;
            else if (t - t0 > spin_ns) break;
        }
    }
    atomic_fetch_add(sleepers, 1);
    while (atomic_load(word) == value) futex_wait(word, value);
    atomic_fetch_sub(sleepers, 1);
}

static void bump_and_wake(_Atomic uint32_t *word, _Atomic int *sleepers)
{
    atomic_fetch_add(word, 1); /* seq_cst: ordered before the read of sleepers */
    if (atomic_load(sleepers)) futex_wake_all(word);
}

/* ------------------------------------------------------------ the barrier and its window */

static int64_t waits_of(team *tm, int n)
{
    int64_t w = 0;
    for (int i = 0; i < n; i++) w += atomic_load_explicit(&tm->slots[i].wait_ns, memory_order_relaxed);
    return w;
}

static void window_start(team *tm, int n, int64_t t)
{
    tm->win_t0 = t;
    tm->win_wait0 = waits_of(tm, n);
    tm->win_steps = 0;
}

/* The member count after step s (the last arriver, every member of n
 * arrived): n, or fewer when the window shows a descheduled member. */
static int decide(team *tm, int n, int64_t s)
{
    if (n <= 1) return n;
    if (tm->drop_at >= 0 && s + 1 >= tm->drop_at) return 1;
    const int64_t t = now_ns();
    if (++tm->win_steps < WINDOW_MIN_STEPS || t - tm->win_t0 < WINDOW_MIN_NS) return n;
    const int64_t waited = waits_of(tm, n) - tm->win_wait0, wall = t - tm->win_t0;
    const double fraction = (double)waited / ((double)(n - 1) * (double)wall);
    const int64_t mean = waited / ((int64_t)(n - 1) * tm->win_steps);
    int next = n;
    if (fraction > WAIT_FRACTION && mean > WAIT_MEAN_MIN_NS) next = n / 2;
    window_start(tm, next, t);
    return next;
}

/* Member t's barrier after step s among n members; returns the members of
 * the next step. */
static int barrier(team *tm, int t, int n, int64_t s)
{
    const uint32_t gen = atomic_load_explicit(&tm->bar_gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&tm->arrived, 1, memory_order_acq_rel) == n - 1) {
        atomic_store_explicit(&tm->arrived, 0, memory_order_relaxed);
        const int next = decide(tm, n, s);
        if (next < n && tm->drop_step < 0) tm->drop_step = s + 1;
        atomic_store_explicit(&tm->n, next, memory_order_relaxed);
        bump_and_wake(&tm->bar_gen, &tm->bar_sleepers);
        return next;
    }
    const int64_t t0 = now_ns();
    wait_change(&tm->bar_gen, gen, &tm->bar_sleepers, BARRIER_SPIN_NS);
    _Atomic int64_t *w = &tm->slots[t].wait_ns;
    atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) + (now_ns() - t0),
                          memory_order_relaxed);
    return atomic_load_explicit(&tm->n, memory_order_relaxed);
}

/* Member t's part of the run; returns the members of the last step it saw. */
static int member_loop(team *tm, int t)
{
    int n = tm->nstart;
    for (int64_t s = 0; s < tm->steps && t < n; s++) {
        tm->fn(tm->arg, s, t, n);
        n = barrier(tm, t, n, s);
    }
    return n;
}

/* ------------------------------------------------------------ workers and the pool */

typedef struct {
    team *tm;
    int id;                     /* member id - 1 */
    uint32_t seen;
} worker_start;

static void *worker_main(void *p)
{
    worker_start ws = *(worker_start *)p;
    free(p);
    team *tm = ws.tm;
    slot *me = &tm->slots[ws.id + 1];
    for (;;) {
        wait_change(&me->job_gen, ws.seen, &me->job_sleepers, IDLE_SPIN_NS);
        ws.seen = atomic_load_explicit(&me->job_gen, memory_order_acquire);
        if (atomic_load(&tm->quit)) return NULL;
#if HAVE_MXCSR
        const unsigned csr = _mm_getcsr();
        _mm_setcsr(tm->csr); /* the caller's denormal mode (dn_denormals_enter) */
#endif
        member_loop(tm, ws.id + 1);
#if HAVE_MXCSR
        _mm_setcsr(csr);
#endif
        atomic_fetch_add(&tm->done, 1);
        if (atomic_load(&tm->done_sleepers)) futex_wake_all(&tm->done);
    }
}

/* Starts workers until the team has `workers`; returns how many it has. */
static int team_grow(team *tm, int workers)
{
    if (workers > TEAM_MAX_WORKERS) workers = TEAM_MAX_WORKERS;
    while (tm->cap < workers) {
        worker_start *ws = malloc(sizeof *ws);
        if (!ws) break;
        *ws = (worker_start){.tm = tm, .id = tm->cap, .seen = atomic_load(&tm->slots[tm->cap + 1].job_gen)};
        if (pthread_create(&tm->tid[tm->cap], NULL, worker_main, ws)) {
            free(ws);
            break;
        }
        tm->cap++;
    }
    return tm->cap;
}

/* The child of a fork has none of the workers: it starts afresh (the
 * parent's teams are left as they are, unreachable). */
static void after_fork_child(void)
{
    pthread_mutex_init(&g_pool_lock, NULL);
    g_npool = 0;
}

static void register_fork(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
}

/* An idle team of the pool (made if none is), or NULL. */
static team *team_acquire(void)
{
    pthread_once(&g_once, register_fork);
    pthread_mutex_lock(&g_pool_lock);
    team *tm = NULL;
    for (int i = 0; i < g_npool && !tm; i++)
        if (!atomic_load(&g_pool[i]->busy)) tm = g_pool[i];
    if (!tm && g_npool < TEAM_POOL_MAX && (tm = calloc(1, sizeof *tm))) g_pool[g_npool++] = tm;
    if (tm) atomic_store(&tm->busy, 1);
    pthread_mutex_unlock(&g_pool_lock);
    return tm;
}

static void team_release(team *tm)
{
    atomic_store(&tm->busy, 0);
}

/* At unload, the workers of idle teams end (a team still running is left). */
__attribute__((destructor)) static void pool_fini(void)
{
    pthread_mutex_lock(&g_pool_lock);
    for (int i = 0; i < g_npool; i++) {
        team *tm = g_pool[i];
        if (atomic_load(&tm->busy)) continue;
        atomic_store(&tm->quit, 1);
        for (int w = 0; w < tm->cap; w++) bump_and_wake(&tm->slots[w + 1].job_gen, &tm->slots[w + 1].job_sleepers);
        for (int w = 0; w < tm->cap; w++) pthread_join(tm->tid[w], NULL);
        free(tm);
        g_pool[i] = NULL;
    }
    g_npool = 0;
    pthread_mutex_unlock(&g_pool_lock);
}

/* ------------------------------------------------------------ the process's memory */

void dn_team_configure(int mode, int64_t drop_at)
{
    atomic_store(&g_mode, mode);
    atomic_store(&g_drop_at, drop_at);
}

int dn_team_mode(void)
{
    return atomic_load(&g_mode);
}

int dn_team_limit(void)
{
    return atomic_load(&g_limit);
}

void dn_team_forget(void)
{
    atomic_store(&g_limit, 0);
    atomic_store(&g_backoff, PROBE_FIRST_NS);
}

/* SEQRT_ONEDNN_TEAM_TRACE=1: every drop is reported on stderr (read once). */
static int trace_on(void)
{
    static _Atomic int on = -1;
    int v = atomic_load_explicit(&on, memory_order_relaxed);
    if (v < 0) {
        const char *e = getenv("SEQRT_ONEDNN_TEAM_TRACE");
        v = e && !strcmp(e, "1");
        atomic_store_explicit(&on, v, memory_order_relaxed);
    }
    return v;
}

/* The threads a run of at most `threads` starts on; *probe set when it
 * tries more than the remembered limit. */
static int start_threads(int threads, int remember, int *probe)
{
    *probe = 0;
    const int limit = atomic_load(&g_limit);
    if (!remember || !limit || limit >= threads) return threads;
    int64_t at = atomic_load(&g_probe_at);
    const int64_t t = now_ns();
    if (t >= at && atomic_compare_exchange_strong(&g_probe_at, &at, t + atomic_load(&g_backoff))) {
        *probe = 1;
        return threads;
    }
    return limit;
}

/* After a run that started on `start` threads and ended on `end`. */
static void remember_run(int start, int end, int probe)
{
    if (end < start) {
        const int limit = atomic_load(&g_limit);
        if (!limit || end < limit || probe) atomic_store(&g_limit, end);
        int64_t b = atomic_load(&g_backoff);
        if (probe && b < PROBE_MAX_NS) atomic_store(&g_backoff, b * 2 < PROBE_MAX_NS ? b * 2 : PROBE_MAX_NS);
        atomic_store(&g_probe_at, now_ns() + atomic_load(&g_backoff));
    } else if (probe) {
        dn_team_forget(); /* the full count held a whole run: the machine is quiet again */
    }
}

void dn_team_run(int threads, int64_t steps, dn_team_step_fn fn, void *arg, const dn_team_opts *opts,
                 dn_team_stats *stats)
{
    const dn_team_opts defaults = {.drop_at = atomic_load(&g_drop_at), .remember = 1};
    if (!opts) opts = &defaults;
    if (threads < 1) threads = 1;
    if (threads > TEAM_MAX_WORKERS + 1) threads = TEAM_MAX_WORKERS + 1;
    int probe;
    int n = start_threads(threads, opts->remember, &probe);
    team *tm = n > 1 ? team_acquire() : NULL;
    if (tm) n = team_grow(tm, n - 1) + 1;
    if (stats) *stats = (dn_team_stats){.threads_start = n, .threads_end = n, .drop_step = -1};
    if (!tm || n == 1) {
        if (tm) team_release(tm);
        for (int64_t s = 0; s < steps; s++) fn(arg, s, 0, 1);
        return;
    }
    tm->fn = fn;
    tm->arg = arg;
    tm->steps = steps;
    tm->nstart = n;
#if HAVE_MXCSR
    tm->csr = _mm_getcsr();
#endif
    tm->drop_at = opts->drop_at;
    tm->drop_step = -1;
    atomic_store(&tm->done, 0);
    atomic_store(&tm->arrived, 0);
    atomic_store(&tm->n, n);
    for (int i = 0; i < n; i++) atomic_store_explicit(&tm->slots[i].wait_ns, 0, memory_order_relaxed);
    window_start(tm, n, now_ns());
    for (int i = 1; i < n; i++) bump_and_wake(&tm->slots[i].job_gen, &tm->slots[i].job_sleepers);
    const int end = member_loop(tm, 0);
    /* every worker leaves the run before the team is reused */
    for (uint32_t d; (d = atomic_load(&tm->done)) < (uint32_t)(n - 1);) {
        atomic_fetch_add(&tm->done_sleepers, 1);
        if (atomic_load(&tm->done) == d) futex_wait(&tm->done, d);
        atomic_fetch_sub(&tm->done_sleepers, 1);
    }
    if (stats) {
        stats->threads_end = end;
        stats->drop_step = tm->drop_step;
    }
    const int64_t drop_step = tm->drop_step;
    team_release(tm);
    if (opts->remember && opts->drop_at < 0) remember_run(n, end, probe);
    if (end < n && trace_on())
        fprintf(stderr, "seqrt onednn team: %lld steps on %d threads%s, %d from step %lld\n", (long long)steps, n,
                probe ? " (probe)" : "", end, (long long)drop_step);
}

void dn_team_describe(char *buf, size_t size)
{
    if (dn_team_mode() == DN_TEAM_OMP)
        snprintf(buf, size, "recurrent steps: OpenMP barrier (SEQRT_ONEDNN_TEAM=omp)");
    else
        snprintf(buf, size, "recurrent steps: own team, sleeping barrier, fewer threads while busy");
}
