/*
 * oneDNN backend module (libseqrt-onednn.so): module entry point, the CPU
 * device, and sessions.
 *
 * The device's op table holds each op file's sq_op_impl row. A session
 * prepares every layer once (the row's prepare: weights reordered into the
 * layouts the primitives prefer) and runs the layers in order over host
 * buffers (api/op_walk.c), like the core's host executor, giving each op
 * its own prepared state and primitive cache. oneDNN's CPU engine computes with
 * every core (its OpenMP runtime); denormals are flushed to zero on those
 * threads for the duration of a run (dn_denormals_enter), as oneDNN advises
 * for performance, and each thread's mode is restored afterwards.
 *
 * SEQRT_ONEDNN_RNN = auto (default), primitive, loop or fused (the loop
 * engine's small-batch path) picks the engine of the recurrent layers (see
 * dnnl_rnn.c); the conformance suite runs under each.
 */
#define _GNU_SOURCE
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_budget.h"
#include "dnnl_common.h"
#include "dnnl_kern.h"
#include "dnnl_pace.h"
#include "dnnl_probe.h"
#include "dnnl_rnn.h"
#include "dnnl_team.h"
#include "formats.h"

/* The device's op table: each op file's row (api/backend.h). */
static const sq_op_impl *const g_ops[SQ_OP_COUNT] = {
    [SQ_OP_EMBEDDING] = &dn_prec_embedding_impl,
    [SQ_OP_ONE_HOT] = &dn_one_hot_impl,
    [SQ_OP_LSTM] = &dn_prec_lstm_impl,
    [SQ_OP_GRU] = &dn_prec_gru_impl,
    [SQ_OP_RNN] = &dn_prec_rnn_impl,
    [SQ_OP_LINEAR] = &dn_prec_linear_impl,
    [SQ_OP_ACTIVATION] = &dn_activation_impl,
    [SQ_OP_SOFTMAX] = &dn_softmax_impl,
    [SQ_OP_LOG_SOFTMAX] = &dn_softmax_impl,
    [SQ_OP_DROPOUT] = &dn_dropout_impl,
    [SQ_OP_ADD] = &dn_add_impl,
    [SQ_OP_MUL] = &dn_mul_impl,
    [SQ_OP_CONCAT] = &dn_concat_impl,
    [SQ_OP_SELECT] = &dn_select_impl,
    [SQ_OP_LAST_STEP] = &dn_last_step_impl,
    [SQ_OP_MEAN_POOL] = &dn_mean_pool_impl,
    [SQ_OP_ATTENTION] = &dn_prec_attention_impl,
    [SQ_OP_ATTENTION_POOL] = &dn_prec_attention_pool_impl,
    [SQ_OP_MULTIHEAD_ATTENTION] = &dn_prec_mha_impl,
};

/* ------------------------------------------------------------ sessions */

static void session_free(void *impl)
{
    dn_session *s = impl;
    if (!s) return;
    sq_ops_release(g_ops, s->m, s->state);
    sq_values_free(&s->values);
    dn_cache_clear(&s->misc);
    dn_buf_free(&s->scratch);
    if (s->stream) dnnl_stream_destroy(s->stream);
    sq_free(s->state);
    sq_free(s);
}

static bool env_is(const char *name, const char *value)
{
    const char *e = getenv(name);
    return e && !strcmp(e, value);
}

/* How the recurrent steps meet (dnnl_team.h): SEQRT_ONEDNN_TEAM = own
 * (default) or omp, and the test hook SEQRT_ONEDNN_TEAM_DROP_AT = a step
 * from which every team run continues on one thread. */
static seqrt_status team_env(int *mode, int64_t *drop_at)
{
    const char *e = getenv("SEQRT_ONEDNN_TEAM");
    *mode = DN_TEAM_OWN;
    if (e && *e && strcmp(e, "own")) {
        if (strcmp(e, "omp"))
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "SEQRT_ONEDNN_TEAM='%s' is not one of own, omp", e);
        *mode = DN_TEAM_OMP;
    }
    *drop_at = -1;
    e = getenv("SEQRT_ONEDNN_TEAM_DROP_AT");
    if (e && *e) {
        char *end;
        long long v = strtoll(e, &end, 10);
        if (*end || v < 1)
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                            "SEQRT_ONEDNN_TEAM_DROP_AT='%s' is not a step number (an integer >= 1)", e);
        *drop_at = v;
    }
    return SEQRT_OK;
}

/* The session's knobs from the environment, read once here. */
static seqrt_status parse_env(dn_session *s)
{
    const char *e = getenv("SEQRT_ONEDNN_RNN");
    s->rnn_mode = DN_RNN_AUTO;
    if (e && *e && strcmp(e, "auto")) {
        if (!strcmp(e, "primitive")) s->rnn_mode = DN_RNN_PRIMITIVE;
        else if (!strcmp(e, "loop")) s->rnn_mode = DN_RNN_LOOP;
        else if (!strcmp(e, "fused")) s->rnn_mode = DN_RNN_SMALL; /* the small-batch path's name here */
        else
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT,
                            "SEQRT_ONEDNN_RNN='%s' is not one of auto, primitive, loop, fused", e);
    }
    s->proj_rt = env_is("SEQRT_ONEDNN_PROJ", "runtime");
    s->wx_model = env_is("SEQRT_ONEDNN_WX", "model");
    e = getenv("SEQRT_ONEDNN_DOT");
    if (e && *e && strcmp(e, "auto") && strcmp(e, "widen"))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "SEQRT_ONEDNN_DOT='%s' is not one of auto, widen", e);
    s->dot_widen = e && !strcmp(e, "widen");
    char why[120];
    seqrt_status st = dn_kern_choose(&s->kern, why, sizeof why);
    if (st) return st;
    s->small_tile = s->kern->small_tile;
    e = getenv("SEQRT_ONEDNN_SMALL_TILE");
    if (e && *e) {
        if (strcmp(e, "2") && strcmp(e, "3") && strcmp(e, "4"))
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "SEQRT_ONEDNN_SMALL_TILE='%s' is not one of 2, 3, 4", e);
        s->small_tile = e[0] - '0';
    }
    int team_mode;
    int64_t drop_at;
    if ((st = team_env(&team_mode, &drop_at))) return st;
    dn_team_configure(team_mode, drop_at); /* process-wide: the last session created sets it */
    int pace;
    if ((st = dn_pace_env(&pace))) return st;
    dn_pace_configure(pace);
    return SEQRT_OK;
}

/* The thread count of a session and why: SEQRT_NUM_THREADS, else
 * OMP_NUM_THREADS when the user set it, else the CPUs the process may use
 * (affinity mask, cgroup quota: cpu_budget.h) — never more threads than
 * CPUs to run them, which on a shared or CPU-limited machine would make every
 * recurrent step wait for a descheduled thread. */
static seqrt_status choose_threads(int *threads, char *why, size_t why_size)
{
    sq_cpu_budget b;
    seqrt_status st = sq_cpu_budget_get(&b);
    if (st) return st;
    const char *omp = getenv("OMP_NUM_THREADS");
    if (!b.env && omp && *omp) {
        *threads = omp_get_max_threads();
        snprintf(why, why_size, "OMP_NUM_THREADS=%s", omp);
        return SEQRT_OK;
    }
    *threads = b.threads;
    snprintf(why, why_size, "%s", b.why);
    return SEQRT_OK;
}

/* Runs the calling thread's OpenMP regions (oneDNN's and ours) on the
 * session's thread count; returns the previous count for thread_leave. */
static int thread_enter(const dn_session *s)
{
    int before = omp_get_max_threads();
    if (before != s->nthreads) omp_set_num_threads(s->nthreads);
    return before;
}

static void thread_leave(const dn_session *s, int before)
{
    if (before != s->nthreads) omp_set_num_threads(before);
}

static seqrt_status session_create(const seqrt_device *dev, const seqrt_model *m, void **out)
{
    (void)dev;
    dn_session *s = sq_calloc(1, sizeof *s);
    if (!s) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    s->m = m;
    seqrt_status st = parse_env(s);
    if (st) {
        sq_free(s);
        return st;
    }
    char why[200];
    if ((st = choose_threads(&s->nthreads, why, sizeof why))) {
        sq_free(s);
        return st;
    }
    s->state = sq_calloc((size_t)(m->nlayers ? m->nlayers : 1), sizeof *s->state);
    if (!s->state) {
        session_free(s);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    if ((st = sq_values_init(&s->values, m))) {
        session_free(s);
        return st;
    }
    sq_values_skip_table(&s->values, g_ops); /* unused outputs of rows that accept them unbound */
    dnnl_status_t ds = dnf_stream_create(&s->stream, dn_engine, dnnl_stream_default_flags);
    if (ds != dnnl_success) {
        s->stream = NULL;
        session_free(s);
        return dn_fail(ds, "dnnl_stream_create");
    }
    unsigned saved[256];
    const int nsaved = s->nthreads < 256 ? s->nthreads : 256;
    int before = thread_enter(s);
    dn_denormals_enter(saved, nsaved);
    st = sq_ops_prepare(g_ops, s, m, s->state);
    if (!st && dnnl_stream_wait(s->stream) != dnnl_success)
        st = sq_error(SEQRT_ERR_DEVICE, "oneDNN stream wait failed");
    dn_denormals_leave(saved, nsaved);
    thread_leave(s, before);
    if (st) {
        session_free(s);
        return st;
    }
    *out = s;
    return SEQRT_OK;
}

static seqrt_status session_run(void *impl, const sq_plan *plan, const sq_view *const *inputs,
                                sq_view *const *outputs)
{
    dn_session *s = impl;
    seqrt_status st = sq_values_bind(&s->values, plan, inputs, outputs);
    if (st) return st;
    unsigned saved[256];
    const int nsaved = s->nthreads < 256 ? s->nthreads : 256;
    int before = thread_enter(s);
    dn_denormals_enter(saved, nsaved);
    st = sq_ops_run(g_ops, s, s->m, s->values.views, s->state);
    if (!st && dnnl_stream_wait(s->stream) != dnnl_success)
        st = sq_error(SEQRT_ERR_DEVICE, "oneDNN stream wait failed");
    dn_denormals_leave(saved, nsaved);
    thread_leave(s, before);
    if (st) return st;
    sq_values_copy_through(&s->values, outputs);
    return SEQRT_OK;
}

static const sq_session_iface g_session = {.run = session_run, .free = session_free};
/* format 1.2 precisions: dnnl_prec.c's rows hand int8-dynamic layers to
 * dnnl_q8*.c, bf16/f16 layers to the f32 rows on their exact widening */
static const sq_device_iface g_device = {
    .ops = g_ops, .precisions = 1u << SQ_PREC_INT8 | 1u << SQ_PREC_BF16 | 1u << SQ_PREC_F16, .session_create = session_create, .session = &g_session};

/* ------------------------------------------------------------ module */

static seqrt_device g_devices[1];

static void cpu_name(char *buf, size_t n, char *vendor, size_t vn)
{
    snprintf(buf, n, "CPU");
    snprintf(vendor, vn, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    bool got_name = false, got_vendor = false;
    while (fgets(line, sizeof line, f) && !(got_name && got_vendor)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        char *val = colon + 1;
        while (*val == ' ' || *val == '\t') val++;
        val[strcspn(val, "\n")] = '\0';
        if (!got_name && !strncmp(line, "model name", 10)) {
            snprintf(buf, n, "%s", val);
            got_name = true;
        } else if (!got_vendor && !strncmp(line, "vendor_id", 9)) {
            snprintf(vendor, vn, "%s", val);
            got_vendor = true;
        }
    }
    fclose(f);
}

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "SSE4.1";
    case dnnl_cpu_isa_avx: return "AVX";
    case dnnl_cpu_isa_avx2: return "AVX2";
    case dnnl_cpu_isa_avx512_mic: return "AVX-512 (MIC)";
    case dnnl_cpu_isa_avx512_mic_4ops: return "AVX-512 (MIC 4ops)";
    case dnnl_cpu_isa_avx512_core: return "AVX-512";
    case dnnl_cpu_isa_avx512_core_vnni: return "AVX-512 VNNI";
    case dnnl_cpu_isa_avx512_core_bf16: return "AVX-512 BF16";
    case dnnl_cpu_isa_avx512_core_amx: return "AVX-512 AMX";
    case dnnl_cpu_isa_avx2_vnni: return "AVX2 VNNI";
    default: return "baseline x86-64";
    }
}

SQ_BACKEND_MODULE_ABI;

SQ_BACKEND_MODULE_INIT_FN(sq_backend *b)
{
    snprintf(b->name, sizeof b->name, "onednn");
    /* auto prefers it to the reference and to OpenCL CPU devices */
    b->priority = 20;
    if (!dn_engine) {
        if (dnnl_engine_get_count(dnnl_cpu) < 1) {
            snprintf(b->reason, sizeof b->reason, "oneDNN reports no CPU engine");
            return SEQRT_ERR_UNAVAILABLE;
        }
        dnnl_status_t ds = dnnl_engine_create(&dn_engine, dnnl_cpu, 0);
        if (ds != dnnl_success) {
            dn_engine = NULL;
            snprintf(b->reason, sizeof b->reason, "oneDNN cannot create its CPU engine (status %d)", (int)ds);
            return SEQRT_ERR_UNAVAILABLE;
        }
    }
    seqrt_device *d = &g_devices[0];
    memset(d, 0, sizeof *d);
    char cpu[128], vendor[64];
    cpu_name(cpu, sizeof cpu, vendor, sizeof vendor);
    const dnnl_version_t *v = dnnl_version();
    int threads = 1;
    char why[200] = "";
    if (choose_threads(&threads, why, sizeof why)) {
        snprintf(b->reason, sizeof b->reason, "%s", seqrt_last_error());
        return SEQRT_ERR_INVALID_ARGUMENT;
    }
    int team_mode;
    int64_t drop_at;
    if (team_env(&team_mode, &drop_at)) {
        snprintf(b->reason, sizeof b->reason, "%s", seqrt_last_error());
        return SEQRT_ERR_INVALID_ARGUMENT;
    }
    dn_team_configure(team_mode, drop_at);
    int pace;
    if (dn_pace_env(&pace)) {
        snprintf(b->reason, sizeof b->reason, "%s", seqrt_last_error());
        return SEQRT_ERR_INVALID_ARGUMENT;
    }
    dn_pace_configure(pace);
    int probe;
    if (dn_probe_env(&probe)) {
        snprintf(b->reason, sizeof b->reason, "%s", seqrt_last_error());
        return SEQRT_ERR_INVALID_ARGUMENT;
    }
    dn_probe_configure(probe);
    char team[100], engines[320], kwhy[120], pacing[100], probing[200];
    dn_team_describe(team, sizeof team);
    dn_pace_describe(pacing, sizeof pacing);
    dn_engine_policy(dn_kern_probe(kwhy, sizeof kwhy), kwhy, engines, sizeof engines);
    dn_probe_describe(probing, sizeof probing);
    snprintf(d->name, sizeof d->name, "%s", cpu);
    snprintf(d->description, sizeof d->description,
             "oneDNN CPU engine: %d thread%s (%s), %s; %s; %s; %s; %s", threads,
             threads == 1 ? "" : "s", why, isa_name(dnnl_get_effective_cpu_isa()), team, pacing, probing, engines);
    snprintf(d->vendor, sizeof d->vendor, "%s", vendor);
    if (v->hash && strcmp(v->hash, "N/A"))
        snprintf(d->driver, sizeof d->driver, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch, v->hash);
    else
        snprintf(d->driver, sizeof d->driver, "oneDNN %d.%d.%d", v->major, v->minor, v->patch);
    d->compute_units = threads;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    d->memory_bytes = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    d->is_gpu = false;
    d->iface = &g_device;
    b->devices = g_devices;
    b->ndevices = 1;
    return SEQRT_OK;
}
