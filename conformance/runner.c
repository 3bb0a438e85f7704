/*
 * Runs one case on one device (see runner.h): guarded output buffers,
 * two runs, comparison with the oracle and the golden values, the
 * determinism check, and streaming in chunks.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"

const char *cf_verdict_str(cf_verdict v)
{
    return v == CF_PASS ? "PASS" : v == CF_FAIL ? "FAIL" : "SKIPPED";
}

/* ------------------------------------------------------------ guarded buffers */

static uint32_t canary(size_t i) { return (uint32_t)(0xC0FFEE11u ^ (uint32_t)(i * 0x9E3779B1u)); }

int cf_guarded_create(cf_guarded *g, int rank, const int64_t *dims)
{
    memset(g, 0, sizeof *g);
    size_t count = 1;
    for (int d = 0; d < rank; d++) count *= (size_t)dims[d];
    g->count = count;
    g->base = malloc((count + 2 * CF_GUARD_FLOATS) * sizeof(float));
    if (!g->base) return -1;
    g->data = g->base + CF_GUARD_FLOATS;
    if (seqrt_tensor_wrap(&g->tensor, SEQRT_F32, rank, dims, g->data) != SEQRT_OK) {
        free(g->base);
        g->base = NULL;
        return -1;
    }
    return 0;
}

void cf_guarded_arm(cf_guarded *g, uint32_t sentinel)
{
    uint32_t *u = (uint32_t *)(void *)g->base;
    size_t total = g->count + 2 * CF_GUARD_FLOATS;
    for (size_t i = 0; i < CF_GUARD_FLOATS; i++) u[i] = canary(i);
    for (size_t i = CF_GUARD_FLOATS + g->count; i < total; i++) u[i] = canary(i - g->count);
    for (size_t i = 0; i < g->count; i++) u[CF_GUARD_FLOATS + i] = sentinel;
    g->sentinel = sentinel;
}

int cf_guarded_intact(const cf_guarded *g, char *msg, size_t n)
{
    const uint32_t *u = (const uint32_t *)(const void *)g->base;
    size_t before = 0, after = 0, first_before = 0, last_after = 0;
    for (size_t i = 0; i < CF_GUARD_FLOATS; i++)
        if (u[i] != canary(i)) {
            if (!before) first_before = CF_GUARD_FLOATS - i;
            before++;
        }
    for (size_t i = 0; i < CF_GUARD_FLOATS; i++) {
        size_t at = CF_GUARD_FLOATS + g->count + i;
        if (u[at] != canary(at - g->count)) {
            after++;
            last_after = i + 1;
        }
    }
    if (!before && !after) return 1;
    size_t used = 0;
    if (msg && n) msg[0] = '\0';
    if (after && msg)
        used += (size_t)snprintf(msg + used, n > used ? n - used : 0,
                                 "wrote past the end: %zu of the %u guard floats after the buffer changed (up to element %zu of %zu)",
                                 after, CF_GUARD_FLOATS, g->count + last_after - 1, g->count);
    if (before && msg)
        snprintf(msg + used, n > used ? n - used : 0,
                 "%swrote before the start: %zu of the %u guard floats before the buffer changed (from element -%zu)",
                 after ? "; " : "", before, CF_GUARD_FLOATS, first_before);
    return 0;
}

size_t cf_guarded_unwritten(const cf_guarded *g, size_t *first)
{
    const uint32_t *u = (const uint32_t *)(const void *)g->data;
    size_t n = 0;
    for (size_t i = 0; i < g->count; i++)
        if (u[i] == g->sentinel) {
            if (!n && first) *first = i;
            n++;
        }
    return n;
}

void cf_guarded_free(cf_guarded *g)
{
    seqrt_tensor_free(g->tensor);
    free(g->base);
    memset(g, 0, sizeof *g);
}

/* ------------------------------------------------------------ comparison */

void cf_format_index(const seqrt_tensor *t, size_t flat, char *buf, size_t n)
{
    int rank = seqrt_tensor_rank(t);
    int64_t idx[SEQRT_MAX_RANK];
    for (int d = rank - 1; d >= 0; d--) {
        int64_t dim = seqrt_tensor_dim(t, d);
        idx[d] = dim > 0 ? (int64_t)(flat % (size_t)dim) : 0;
        flat = dim > 0 ? flat / (size_t)dim : 0;
    }
    size_t used = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < rank && used < n; d++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", d ? ", " : "", (long long)idx[d]);
    if (used < n) snprintf(buf + used, n - used, "]");
}

static void format_shape(const seqrt_tensor *t, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < seqrt_tensor_rank(t) && used < n; d++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", d ? ", " : "", (long long)seqrt_tensor_dim(t, d));
    if (used < n) snprintf(buf + used, n - used, "]");
}

int cf_compare_tensors(const seqrt_tensor *got, const seqrt_tensor *ref, double atol, double rtol,
                       sq_compare_result *r, char *msg, size_t n)
{
    sq_compare_result local;
    if (!r) r = &local;
    memset(r, 0, sizeof *r);
    if (msg && n) msg[0] = '\0';
    int same = seqrt_tensor_rank(got) == seqrt_tensor_rank(ref) && seqrt_tensor_dtype(got) == SEQRT_F32 &&
               seqrt_tensor_dtype(ref) == SEQRT_F32;
    for (int d = 0; same && d < seqrt_tensor_rank(ref); d++) same = seqrt_tensor_dim(got, d) == seqrt_tensor_dim(ref, d);
    if (!same) {
        char a[128], b[128];
        format_shape(got, a, sizeof a);
        format_shape(ref, b, sizeof b);
        if (msg) snprintf(msg, n, "shape mismatch: got %s%s, expected %s", a,
                          seqrt_tensor_dtype(got) == SEQRT_F32 ? "" : " (not float32)", b);
        r->failures = 1;
        return 0;
    }
    if (sq_compare(seqrt_tensor_data(got), seqrt_tensor_data(ref), seqrt_tensor_count(ref), atol, rtol, r)) return 1;
    if (msg) {
        char at[96];
        cf_format_index(ref, r->first_bad, at, sizeof at);
        snprintf(msg, n,
                 "%zu of %zu elements outside atol %g + rtol %g * |ref|%s; first at %s: got %.9g, expected %.9g "
                 "(max abs err %.3g, max rel err %.3g)",
                 r->failures, r->count, atol, rtol,
                 r->nonfinite_mismatch ? " or NaN/Inf not where the reference has them" : "", at, r->got_bad,
                 r->ref_bad, r->max_abs, r->max_rel);
    }
    return 0;
}

/* ------------------------------------------------------------ results */

void cf_result_clear(cf_result *res)
{
    free(res->checks);
    memset(res, 0, sizeof *res);
}

static void issue(cf_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void issue(cf_result *res, const char *fmt, ...)
{
    res->verdict = CF_FAIL;
    res->issues++;
    size_t used = strlen(res->reason);
    if (used + 8 >= sizeof res->reason) return;
    if (used) used += (size_t)snprintf(res->reason + used, sizeof res->reason - used, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->reason + used, sizeof res->reason - used, fmt, ap);
    va_end(ap);
}

void cf_result_instance_failed(cf_result *res, const char *why)
{
    memset(res, 0, sizeof *res);
    res->deterministic = -1;
    issue(res, "the case cannot be set up: %s", why);
}

/* Sum of ref^2 over the pairs sq_compare puts into its NMSE (both finite). */
static double ref_energy(const seqrt_tensor *got, const seqrt_tensor *ref)
{
    if (seqrt_tensor_count(got) != seqrt_tensor_count(ref)) return 0;
    const float *g = seqrt_tensor_data(got), *e = seqrt_tensor_data(ref);
    double s = 0;
    for (size_t i = 0; i < seqrt_tensor_count(ref); i++)
        if (isfinite(g[i]) && isfinite(e[i])) s += (double)e[i] * (double)e[i];
    return s;
}

static void add_check(cf_result *res, const char *output, const char *against, const char *phase, int ok,
                      const sq_compare_result *r, const seqrt_tensor *got, const seqrt_tensor *ref, double *err2,
                      double *ref2)
{
    double e2 = ref_energy(got, ref);
    *ref2 += e2;
    *err2 += e2 > 0 ? r->nmse * e2 : r->nmse;
    cf_check *c = realloc(res->checks, (res->nchecks + 1) * sizeof *c);
    if (!c) return;
    res->checks = c;
    c = &res->checks[res->nchecks++];
    memset(c, 0, sizeof *c);
    snprintf(c->output, sizeof c->output, "%s", output);
    snprintf(c->against, sizeof c->against, "%s", against);
    snprintf(c->phase, sizeof c->phase, "%s", phase);
    c->ok = ok;
    c->r = *r;
    if (r->max_abs > res->max_abs) res->max_abs = r->max_abs;
    if (r->max_rel > res->max_rel) res->max_rel = r->max_rel;
}

/* ------------------------------------------------------------ runs */

typedef struct run_ctx {
    const cf_instance *inst;
    const seqrt_device *dev;
    seqrt_session *s;
    cf_result *res;
    int run;                     /* 0 or 1 */
    seqrt_tensor **out;          /* assembled outputs of this run */
} run_ctx;

static int new_like(seqrt_tensor **out, const seqrt_tensor *t, int axis, int64_t len)
{
    int64_t dims[SEQRT_MAX_RANK];
    int rank = seqrt_tensor_rank(t);
    for (int d = 0; d < rank; d++) dims[d] = seqrt_tensor_dim(t, d);
    if (axis >= 0) dims[axis] = len;
    return seqrt_tensor_create(out, seqrt_tensor_dtype(t), rank, dims) == SEQRT_OK ? 0 : -1;
}

static size_t elem_size(seqrt_dtype t) { return seqrt_dtype_size(t); }

/* Copies steps [t0, t0 + n) of src (time axis `axis`) into dst at step d0.
 * The runner makes both tensors itself, so a refusal is a runner bug. */
static void copy_steps(seqrt_tensor *dst, int64_t d0, const seqrt_tensor *src, int64_t t0, int64_t n, int axis)
{
    if (seqrt_tensor_copy_steps(dst, d0, src, t0, n, axis) != SEQRT_OK) {
        fprintf(stderr, "conformance runner bug: %s\n", seqrt_last_error());
        abort();
    }
}

/* Binds guarded buffers of the given shapes, runs, checks the guards and
 * the sentinels; `guards` are left for the caller to read and free.
 * Returns 0 when the run succeeded (even with findings), -1 when it failed. */
static int guarded_run(run_ctx *c, const seqrt_tensor *const *inputs, cf_guarded *guards, const char *what)
{
    const cf_instance *inst = c->inst;
    const uint32_t sentinel = c->run ? CF_SENTINEL_RUN2 : CF_SENTINEL_RUN1;
    for (size_t o = 0; o < inst->nout; o++) {
        cf_guarded_arm(&guards[o], sentinel);
        if (seqrt_session_bind_output(c->s, o, guards[o].tensor) != SEQRT_OK) {
            issue(c->res, "%s: binding output %s failed: %s", what, seqrt_model_output_name(inst->model, o),
                  seqrt_last_error());
            for (size_t k = 0; k < inst->nout; k++) seqrt_session_bind_output(c->s, k, NULL);
            return -1;
        }
    }
    seqrt_status st = seqrt_session_run(c->s, inputs, inst->nin);
    if (st != SEQRT_OK) {
        issue(c->res, "%s failed (%s): %s", what, seqrt_status_str(st), seqrt_last_error());
        for (size_t o = 0; o < inst->nout; o++) seqrt_session_bind_output(c->s, o, NULL);
        return -1;
    }
    for (size_t o = 0; o < inst->nout; o++) {
        const char *name = seqrt_model_output_name(inst->model, o);
        char msg[512];
        if (!cf_guarded_intact(&guards[o], msg, sizeof msg)) issue(c->res, "%s: output %s: %s", what, name, msg);
        size_t first = 0, n = cf_guarded_unwritten(&guards[o], &first);
        if (n) {
            char at[96];
            cf_format_index(guards[o].tensor, first, at, sizeof at);
            issue(c->res, "%s: output %s: %zu of %zu elements never written (first at %s)", what, name, n,
                  guards[o].count, at);
        }
        const seqrt_tensor *t = NULL;
        if (seqrt_session_output(c->s, o, &t) != SEQRT_OK || t != guards[o].tensor)
            issue(c->res, "%s: output %s: seqrt_session_output does not return the bound buffer", what, name);
        seqrt_session_bind_output(c->s, o, NULL);
    }
    return 0;
}

static int run_whole(run_ctx *c)
{
    const cf_instance *inst = c->inst;
    cf_guarded *g = calloc(inst->nout, sizeof *g);
    int rc = g ? 0 : -1;
    for (size_t o = 0; !rc && o < inst->nout; o++) {
        const seqrt_tensor *ref = inst->oracle[o];
        int64_t dims[SEQRT_MAX_RANK];
        for (int d = 0; d < seqrt_tensor_rank(ref); d++) dims[d] = seqrt_tensor_dim(ref, d);
        if (cf_guarded_create(&g[o], seqrt_tensor_rank(ref), dims)) rc = -1;
    }
    if (rc) issue(c->res, "out of memory for the output buffers");
    char what[32];
    snprintf(what, sizeof what, "run %d", c->run + 1);
    if (!rc) rc = guarded_run(c, (const seqrt_tensor *const *)inst->inputs, g, what);
    for (size_t o = 0; !rc && o < inst->nout; o++) {
        if (new_like(&c->out[o], inst->oracle[o], -1, 0)) {
            rc = -1;
            break;
        }
        memcpy(seqrt_tensor_data(c->out[o]), g[o].data, g[o].count * sizeof(float));
    }
    for (size_t o = 0; g && o < inst->nout; o++) cf_guarded_free(&g[o]);
    free(g);
    return rc;
}

/* The time length of the inputs that have a time axis. */
static int64_t input_T(const cf_instance *inst)
{
    for (size_t i = 0; i < inst->nin; i++) {
        int axis = seqrt_model_input_time_axis(inst->model, i);
        if (axis >= 0) return seqrt_tensor_dim(inst->inputs[i], axis);
    }
    return -1;
}

static int run_chunked(run_ctx *c)
{
    const cf_instance *inst = c->inst;
    const int64_t T = input_T(inst), chunk = inst->chunk;
    if (T < 1) {
        issue(c->res, "streaming case without a time axis");
        return -1;
    }
    if (c->run && seqrt_session_reset(c->s) != SEQRT_OK) {
        issue(c->res, "seqrt_session_reset failed: %s", seqrt_last_error());
        return -1;
    }
    for (size_t o = 0; o < inst->nout; o++)
        if (new_like(&c->out[o], inst->oracle[o], -1, 0)) return -1;
    seqrt_tensor **in = calloc(inst->nin, sizeof *in);
    cf_guarded *g = calloc(inst->nout, sizeof *g);
    int rc = in && g ? 0 : -1;
    for (int64_t t0 = 0; !rc && t0 < T; t0 += chunk) {
        const int64_t n = T - t0 < chunk ? T - t0 : chunk;
        for (size_t i = 0; !rc && i < inst->nin; i++) {
            int axis = seqrt_model_input_time_axis(inst->model, i);
            seqrt_tensor_free(in[i]);
            in[i] = NULL;
            if (axis < 0) continue; /* a state input: the same every chunk */
            if (new_like(&in[i], inst->inputs[i], axis, n)) rc = -1;
            else copy_steps(in[i], 0, inst->inputs[i], t0, n, axis);
        }
        const seqrt_tensor **args = calloc(inst->nin, sizeof *args);
        for (size_t i = 0; args && i < inst->nin; i++) args[i] = in[i] ? in[i] : inst->inputs[i];
        for (size_t o = 0; !rc && o < inst->nout; o++) {
            const seqrt_tensor *ref = inst->oracle[o];
            int axis = seqrt_model_output_time_axis(inst->model, o);
            int64_t dims[SEQRT_MAX_RANK];
            for (int d = 0; d < seqrt_tensor_rank(ref); d++) dims[d] = seqrt_tensor_dim(ref, d);
            if (axis >= 0) dims[axis] = n;
            if (cf_guarded_create(&g[o], seqrt_tensor_rank(ref), dims)) rc = -1;
        }
        char what[96];
        snprintf(what, sizeof what, "run %d, chunk of steps %lld..%lld", c->run + 1, (long long)t0,
                 (long long)(t0 + n - 1));
        if (!rc && !args) rc = -1;
        if (!rc) rc = guarded_run(c, args, g, what);
        for (size_t o = 0; !rc && o < inst->nout; o++) {
            int axis = seqrt_model_output_time_axis(inst->model, o);
            if (axis >= 0)
                copy_steps(c->out[o], t0, g[o].tensor, 0, n, axis);
            else
                memcpy(seqrt_tensor_data(c->out[o]), g[o].data, g[o].count * sizeof(float));
        }
        for (size_t o = 0; o < inst->nout; o++) cf_guarded_free(&g[o]);
        free(args);
    }
    for (size_t i = 0; in && i < inst->nin; i++) seqrt_tensor_free(in[i]);
    free(in);
    free(g);
    return rc;
}

/* ------------------------------------------------------------ determinism */

static int64_t ordered(float f)
{
    int32_t i;
    memcpy(&i, &f, 4);
    return i < 0 ? (int64_t)INT32_MIN - i : i;
}

static void check_determinism(const cf_instance *inst, seqrt_tensor *const *a, seqrt_tensor *const *b, cf_result *res)
{
    res->deterministic = 1;
    size_t used = 0;
    int beyond_rounding = 0, only_nan = 1;
    for (size_t o = 0; o < inst->nout; o++) {
        const float *x = seqrt_tensor_data(a[o]), *y = seqrt_tensor_data(b[o]);
        size_t n = seqrt_tensor_count(a[o]), diff = 0, first = 0;
        double max_abs = 0;
        int64_t max_ulp = 0;
        for (size_t i = 0; i < n; i++) {
            if (!memcmp(&x[i], &y[i], 4)) continue;
            if (!diff) first = i;
            diff++;
            if (isnan(x[i]) && isnan(y[i])) continue;
            only_nan = 0;
            if (isfinite(x[i]) && isfinite(y[i])) {
                double d = fabs((double)x[i] - (double)y[i]);
                if (d > max_abs) max_abs = d;
                int64_t u = llabs(ordered(x[i]) - ordered(y[i]));
                if (u > max_ulp) max_ulp = u;
            } else {
                beyond_rounding = 1;
            }
        }
        if (!diff) continue;
        res->deterministic = 0;
        if (max_ulp > 64) beyond_rounding = 1;
        char at[96];
        cf_format_index(a[o], first, at, sizeof at);
        if (used < sizeof res->determinism)
            used += (size_t)snprintf(res->determinism + used, sizeof res->determinism - used,
                                     "%soutput %s: %zu of %zu elements differ between run 1 and run 2 (first at %s; "
                                     "max |diff| %.3g, %lld ulp)",
                                     used ? "; " : "", seqrt_model_output_name(inst->model, o), diff, n, at, max_abs,
                                     (long long)max_ulp);
    }
    if (res->deterministic) return;
    const char *why = only_nan ? "only NaN payloads or signs differ"
                      : !beyond_rounding
                          ? "rounding-level differences: a reduction whose order changes from run to run (threads, "
                            "atomics, or a kernel chosen at run time)"
                          : inst->chunk ? "differences beyond rounding: a race, memory read before it is written, or "
                                          "state that survives seqrt_session_reset"
                                        : "differences beyond rounding: a race, or memory read before it is written";
    if (used < sizeof res->determinism)
        snprintf(res->determinism + used, sizeof res->determinism - used, " - likely %s", why);
}

/* ------------------------------------------------------------ a case on a device */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int input_equal(const seqrt_tensor *a, const seqrt_tensor *b)
{
    return !memcmp(seqrt_tensor_data(a), seqrt_tensor_data(b), seqrt_tensor_count(a) * elem_size(seqrt_tensor_dtype(a)));
}

cf_verdict cf_run(const cf_instance *inst, const seqrt_device *dev, cf_result *res)
{
    memset(res, 0, sizeof *res);
    res->deterministic = -1;
    const double t_start = now();
    seqrt_session_options so = {inst->chunk > 0};
    seqrt_session *s = NULL;
    seqrt_status st = seqrt_session_create(&s, inst->model, dev, &so);
    if (st == SEQRT_ERR_UNSUPPORTED) {
        res->verdict = CF_SKIP;
        snprintf(res->reason, sizeof res->reason, "%s", seqrt_last_error());
        return res->verdict;
    }
    if (st != SEQRT_OK) {
        issue(res, "seqrt_session_create failed (%s): %s", seqrt_status_str(st), seqrt_last_error());
        return res->verdict;
    }
    /* pristine copies of the inputs: a backend must not write into them */
    seqrt_tensor **pristine = calloc(inst->nin, sizeof *pristine);
    seqrt_tensor **out[2] = {calloc(inst->nout, sizeof(seqrt_tensor *)), calloc(inst->nout, sizeof(seqrt_tensor *))};
    int ok = pristine && out[0] && out[1];
    for (size_t i = 0; ok && i < inst->nin; i++) {
        ok = !new_like(&pristine[i], inst->inputs[i], -1, 0);
        if (ok)
            memcpy(seqrt_tensor_data(pristine[i]), seqrt_tensor_data(inst->inputs[i]),
                   seqrt_tensor_count(inst->inputs[i]) * elem_size(seqrt_tensor_dtype(inst->inputs[i])));
    }
    if (!ok) issue(res, "out of memory");
    int ran = 0;
    for (int r = 0; ok && r < 2; r++) {
        run_ctx c = {inst, dev, s, res, r, out[r]};
        if ((inst->chunk ? run_chunked(&c) : run_whole(&c)) != 0) break;
        ran++;
    }
    for (size_t i = 0; ok && i < inst->nin; i++)
        if (!input_equal(pristine[i], inst->inputs[i])) {
            issue(res, "input %s was modified by the backend", seqrt_model_input_name(inst->model, i));
            /* restore it for the other devices */
            memcpy(seqrt_tensor_data(inst->inputs[i]), seqrt_tensor_data(pristine[i]),
                   seqrt_tensor_count(pristine[i]) * elem_size(seqrt_tensor_dtype(pristine[i])));
        }
    res->seconds = now() - t_start;
    double err2 = 0, ref2 = 0; /* over every check: the case's NMSE */
    for (int r = 0; r < ran; r++) {
        const char *phase = r ? "run 2" : "run 1";
        for (size_t o = 0; o < inst->nout; o++) {
            const char *name = seqrt_model_output_name(inst->model, o);
            char msg[768];
            sq_compare_result cr;
            int good = cf_compare_tensors(out[r][o], inst->oracle[o], inst->atol, inst->rtol, &cr, msg, sizeof msg);
            add_check(res, name, "reference", phase, good, &cr, out[r][o], inst->oracle[o], &err2, &ref2);
            if (!good) issue(res, "%s: output %s vs the reference: %s", phase, name, msg);
            if (inst->expected) {
                good = cf_compare_tensors(out[r][o], inst->expected[o], inst->atol, inst->rtol, &cr, msg, sizeof msg);
                add_check(res, name, "expected", phase, good, &cr, out[r][o], inst->expected[o], &err2, &ref2);
                if (!good) issue(res, "%s: output %s vs the stored expected values: %s", phase, name, msg);
            }
        }
    }
    res->nmse = ref2 > 0 ? err2 / ref2 : err2;
    if (ran == 2) check_determinism(inst, out[0], out[1], res);
    for (size_t i = 0; pristine && i < inst->nin; i++) seqrt_tensor_free(pristine[i]);
    free(pristine);
    for (int r = 0; r < 2; r++) {
        for (size_t o = 0; out[r] && o < inst->nout; o++) seqrt_tensor_free(out[r][o]);
        free(out[r]);
    }
    seqrt_session_free(s);
    return res->verdict;
}

/* ------------------------------------------------------------ devices */

static int add_device(cf_device *out, size_t max, int *n, size_t b, size_t d, char *err, size_t errn)
{
    seqrt_backend_info bi;
    const seqrt_device *dev = NULL;
    if (seqrt_backend_get_info(b, &bi) != SEQRT_OK || seqrt_backend_get_device(&dev, b, d) != SEQRT_OK) {
        snprintf(err, errn, "%s", seqrt_last_error());
        return -1;
    }
    for (int i = 0; i < *n; i++)
        if (out[i].dev == dev) return 0;
    if ((size_t)*n >= max) return 0;
    cf_device *c = &out[(*n)++];
    memset(c, 0, sizeof *c);
    c->dev = dev;
    seqrt_device_get_info(dev, &c->info);
    snprintf(c->spec, sizeof c->spec, "%s:%zu", bi.name, d);
    snprintf(c->module, sizeof c->module, "%s", bi.module);
    return 0;
}

int cf_list_devices(cf_device *out, size_t max, const char *only, char *err, size_t errn)
{
    int n = 0;
    size_t nb = seqrt_backend_count();
    if (!only || !*only || !strcmp(only, "all")) {
        for (size_t b = 0; b < nb; b++) {
            seqrt_backend_info bi;
            if (seqrt_backend_get_info(b, &bi) != SEQRT_OK || !bi.available) continue;
            for (size_t d = 0; d < bi.device_count; d++)
                if (add_device(out, max, &n, b, d, err, errn)) return -1;
        }
        return n;
    }
    char list[512], *save = NULL;
    snprintf(list, sizeof list, "%s", only);
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!*tok) continue;
        char name[64];
        snprintf(name, sizeof name, "%s", tok);
        char *colon = strchr(name, ':');
        if (colon) *colon = '\0';
        size_t b = 0;
        seqrt_backend_info bi;
        for (; b < nb; b++)
            if (seqrt_backend_get_info(b, &bi) == SEQRT_OK && !strcmp(bi.name, name)) break;
        if (b == nb || !bi.available || colon) {
            /* let the registry word the error (unknown, unavailable, no such device) */
            const seqrt_device *dev = NULL;
            if (seqrt_device_find(&dev, tok) != SEQRT_OK) {
                snprintf(err, errn, "%s", seqrt_last_error());
                return -1;
            }
            int found = 0;
            for (size_t bb = 0; !found && bb < nb; bb++) {
                seqrt_backend_info bj;
                if (seqrt_backend_get_info(bb, &bj) != SEQRT_OK || !bj.available) continue;
                for (size_t d = 0; !found && d < bj.device_count; d++) {
                    const seqrt_device *x = NULL;
                    if (seqrt_backend_get_device(&x, bb, d) == SEQRT_OK && x == dev) {
                        if (add_device(out, max, &n, bb, d, err, errn)) return -1;
                        found = 1;
                    }
                }
            }
            continue;
        }
        for (size_t d = 0; d < bi.device_count; d++)
            if (add_device(out, max, &n, b, d, err, errn)) return -1;
    }
    return n;
}
