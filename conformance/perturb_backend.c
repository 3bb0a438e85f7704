/*
 * libseqrt-perturb.so: a TEST-ONLY backend module. It is built into
 * build/test-modules/ (never beside libseqrt) and loaded only when a test
 * sets SEQRT_EXTRA_BACKENDS=perturb and SEQRT_BACKEND_PATH to that
 * directory. It wraps the reference backend and, per device, breaks the
 * result in one known way, so the conformance runner can be shown to catch
 * it:
 *
 *   perturb:0  element   output 0's first finite element moved by 1.5x the
 *                        spec's default bound (1.5 * (1e-4 + 1e-3 * |x|))
 *   perturb:1  overrun   writes one float past the end of output 0
 *   perturb:2  noisy     every other run flips the last mantissa bit of
 *                        every 7th element: within the bound, but not
 *                        deterministic run to run
 *   perturb:3  fail      claims support for everything, then every run
 *                        fails with SEQRT_ERR_DEVICE
 *   perturb:4  no-attn   says up front that it does not support the
 *                        attention ops (their cases are SKIPPED); otherwise
 *                        exact
 *   perturb:5  nan       output 0's first finite element becomes NaN
 *   perturb:6  underrun  writes one float before the start of output 0
 *   perturb:7  lazy      leaves output 0's last element unwritten
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

enum { P_ELEMENT, P_OVERRUN, P_NOISY, P_FAIL, P_NO_ATTENTION, P_NAN, P_UNDERRUN, P_LAZY, P_COUNT };

static const char *const g_names[P_COUNT] = {"perturb-element", "perturb-overrun", "perturb-noisy",
                                             "perturb-fail",    "perturb-no-attention", "perturb-nan",
                                             "perturb-underrun", "perturb-lazy"};
static const char *const g_desc[P_COUNT] = {
    "test-only: the reference, with output 0's first finite element moved by 1.5x the default bound",
    "test-only: the reference, writing one float past the end of output 0",
    "test-only: the reference, with last-bit noise on every other run",
    "test-only: claims every op, then fails every run",
    "test-only: the reference, declaring the attention ops unsupported",
    "test-only: the reference, with output 0's first finite element replaced by NaN",
    "test-only: the reference, writing one float before the start of output 0",
    "test-only: the reference, leaving output 0's last element unwritten"};

static seqrt_device g_devices[P_COUNT];
static int g_modes[P_COUNT];

typedef struct perturb_session {
    const seqrt_device *ref;
    void *ref_impl;
    int mode;
    unsigned long runs;
} perturb_session;

static size_t first_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) return i;
    return 0;
}

static seqrt_status perturb_run(void *impl, const sq_plan *plan, const sq_view *const *inputs, sq_view *const *outputs)
{
    perturb_session *p = impl;
    p->runs++;
    if (p->mode == P_FAIL) return sq_error(SEQRT_ERR_DEVICE, "perturb-fail: the device failed on purpose");
    float *y = sq_vf(outputs[0]);
    size_t n = (size_t)sq_view_count(outputs[0]);
    uint32_t before = 0; /* lazy: what the caller left in the last element */
    if (n) memcpy(&before, &y[n - 1], 4);
    seqrt_status st = p->ref->iface->session->run(p->ref_impl, plan, inputs, outputs);
    if (st) return st;
    if (!n) return SEQRT_OK;
    size_t i = first_finite(y, n);
    switch (p->mode) {
    case P_ELEMENT:
        if (isfinite(y[i]))
            y[i] += (float)(1.5 * (1e-4 + 1e-3 * fabs((double)y[i])));
        else
            y[i] = 0.0f; /* no finite element: a number where the reference has NaN/Inf */
        break;
    case P_OVERRUN: y[n] = 42.0f; break;
    case P_UNDERRUN: y[-1] = 42.0f; break;
    case P_NAN: y[i] = isfinite(y[i]) ? NAN : 0.0f; break;
    case P_LAZY: memcpy(&y[n - 1], &before, 4); break; /* as if never written */
    case P_NOISY:
        if (p->runs % 2 == 0)
            for (size_t k = 0; k < n; k += 7) {
                if (!isfinite(y[k])) continue;
                uint32_t u;
                memcpy(&u, &y[k], 4);
                u ^= 1u;
                memcpy(&y[k], &u, 4);
            }
        break;
    default: break;
    }
    return SEQRT_OK;
}

static void perturb_free(void *impl)
{
    perturb_session *p = impl;
    if (!p) return;
    if (p->ref_impl) p->ref->iface->session->free(p->ref_impl);
    free(p);
}

static const sq_session_iface g_session = {.run = perturb_run, .free = perturb_free};

static seqrt_status perturb_session_create(const seqrt_device *dev, const seqrt_model *model, void **out)
{
    const seqrt_device *ref = NULL;
    seqrt_status st = seqrt_device_find(&ref, "reference:0");
    if (st) return st;
    perturb_session *p = calloc(1, sizeof *p);
    if (!p) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    p->ref = ref;
    p->mode = *(const int *)dev->ctx;
    st = ref->iface->session_create(ref, model, &p->ref_impl);
    if (st) {
        free(p);
        return st;
    }
    *out = p;
    return SEQRT_OK;
}

static bool perturb_supports(const seqrt_device *dev, const seqrt_model *model, const sq_layer *L, char *why, size_t n)
{
    (void)model;
    if (*(const int *)dev->ctx != P_NO_ATTENTION) return true;
    snprintf(why, n, "the perturb-no-attention test device supports no attention op (%s)", sq_op_name(L->op));
    return false;
}

/* The op table says what each device supports; its sessions delegate the
 * whole run to a reference session, so no row is prepared or run here. */
static const sq_op_impl g_any = {.supports = sq_op_supports_all};
static const sq_op_impl g_attention = {.supports = perturb_supports};
static const sq_op_impl *g_rows[SQ_OP_COUNT];

static const sq_device_iface g_iface = {
    .ops = (const sq_op_impl *const *)g_rows, .session_create = perturb_session_create, .session = &g_session};

SQ_BACKEND_MODULE_ABI;

SQ_BACKEND_MODULE_INIT_FN(sq_backend *out)
{
    for (int k = 0; k < SQ_OP_COUNT; k++)
        g_rows[k] = k == SQ_OP_ATTENTION || k == SQ_OP_ATTENTION_POOL || k == SQ_OP_MULTIHEAD_ATTENTION ? &g_attention
                                                                                                       : &g_any;
    snprintf(out->name, sizeof out->name, "perturb");
    for (int i = 0; i < P_COUNT; i++) {
        seqrt_device *d = &g_devices[i];
        memset(d, 0, sizeof *d);
        g_modes[i] = i;
        snprintf(d->name, sizeof d->name, "%s", g_names[i]);
        snprintf(d->description, sizeof d->description, "%s", g_desc[i]);
        snprintf(d->vendor, sizeof d->vendor, "seqrt tests");
        snprintf(d->driver, sizeof d->driver, "test module (seqrt %s)", seqrt_version());
        d->compute_units = 1;
        d->iface = &g_iface;
        d->ctx = &g_modes[i];
    }
    out->devices = g_devices;
    out->ndevices = P_COUNT;
    return SEQRT_OK;
}
