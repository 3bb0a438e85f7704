/*
 * libFuzzer target: graph validation, shape inference and the run. The
 * input is a description (JSON); fuzz_model.h makes its weights; once it
 * loads, a session is created on the reference backend (streaming when the
 * model allows it, now and then) and run three times on small generated
 * inputs (another time length, other symbol values, a stream reset or not,
 * output 0 bound to a caller's buffer of the right or a wrong shape):
 * symbols get values in [1, 4] (shared by every input, as the spec says),
 * floats are in [-1, 1] with now and then a NaN, an Inf, a huge or a
 * subnormal value, integer inputs (ids, lengths) are small and sometimes out
 * of range. Models whose values would exceed a small element budget are
 * loaded but not run, so one input stays within milliseconds.
 *
 * A run may fail only with a status that names bad data (SEQRT_ERR_RANGE,
 * SEQRT_ERR_SHAPE, SEQRT_ERR_LIMIT); anything else after a successful load (an internal
 * error, a crash, a sanitizer report, a leak) is a finding.
 */
#include "fuzz_model.h"

#define FZ_MAX_VALUE_ELEMENTS (1 << 15)
#define FZ_MAX_ALL_ELEMENTS (1 << 18)

#define FZ_CHECK(c, ...)                                                                \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "fuzz_graph: invariant failed: %s (line %d): ", #c, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                               \
            fprintf(stderr, "\n");                                                      \
            abort();                                                                    \
        }                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Element count of value v with symbols at their chosen values (an
 * anonymous symbol, made by concat, counts as 16). */
static int64_t fz_value_count(const seqrt_model *m, const sq_value *v, const int64_t *sym)
{
    int64_t n = 1;
    for (int d = 0; d < v->rank; d++) {
        int64_t k = v->dims[d];
        if (k < 0) {
            int s = (int)(-k - 1);
            k = (s < m->nsyms && s < FZ_MAX_SYMS && sym[s]) ? sym[s] : 16;
        }
        if (!sq_mul_ok(n, k, &n) || n > FZ_MAX_ALL_ELEMENTS) return FZ_MAX_ALL_ELEMENTS + 1;
    }
    return n;
}

static seqrt_status fz_make_inputs(const seqrt_model *m, const int64_t *sym, int64_t t_override, fz_rng *r,
                                   seqrt_tensor **in)
{
    for (int i = 0; i < m->ninputs; i++) {
        const sq_value *v = &m->values[m->inputs[i]];
        int64_t dims[SEQRT_MAX_RANK];
        for (int d = 0; d < v->rank; d++) {
            int64_t k = v->dims[d];
            if (k < 0) k = sym[(int)(-k - 1)];
            if (t_override > 0 && d == v->time_axis) k = t_override;
            dims[d] = k;
        }
        seqrt_status st = seqrt_tensor_create(&in[i], v->input_dtype, v->rank, dims);
        if (st) return st;
        size_t n = seqrt_tensor_count(in[i]);
        void *p = seqrt_tensor_data(in[i]);
        for (size_t k = 0; k < n; k++) {
            uint64_t x = fz_next(r);
            /* ids and lengths: half the time 0 or 1 (valid whatever T and
             * the vocabulary), else in [0, 3]; now and then out of range */
            int64_t iv = (x & 63) == 0   ? -1
                         : (x & 63) == 1 ? 1000
                                         : (int64_t)((x >> 9) % ((x >> 8) & 1 ? 2 : 4));
            if (v->input_dtype == SEQRT_F32) ((float *)p)[k] = fz_float(r, 1);
            else if (v->input_dtype == SEQRT_I32) ((int32_t *)p)[k] = (int32_t)iv;
            else ((int64_t *)p)[k] = (x & 127) == 2 ? INT64_MAX : iv;
        }
    }
    return SEQRT_OK;
}

static void fz_free_inputs(seqrt_tensor **in, int n)
{
    for (int i = 0; i < n; i++) {
        seqrt_tensor_free(in[i]);
        in[i] = NULL;
    }
}

/* FUZZ_GRAPH_VERBOSE=1: one line per input (load, run statuses) on stderr. */
static int fz_verbose(void)
{
    static int v = -1;
    if (v < 0) v = getenv("FUZZ_GRAPH_VERBOSE") != NULL;
    return v;
}

static void fz_check_run(seqrt_status st, seqrt_session *s, const seqrt_model *m)
{
    if (fz_verbose()) fprintf(stderr, "  run: %s %s\n", seqrt_status_str(st), st ? seqrt_last_error() : "");
    FZ_CHECK(st == SEQRT_OK || st == SEQRT_ERR_RANGE || st == SEQRT_ERR_SHAPE ||
                 st == SEQRT_ERR_LIMIT || st == SEQRT_ERR_OUT_OF_MEMORY,
             "run failed with %s: %s", seqrt_status_str(st), seqrt_last_error());
    if (st != SEQRT_OK) return;
    for (size_t o = 0; o < seqrt_model_output_count(m); o++) {
        const seqrt_tensor *t = NULL;
        FZ_CHECK(seqrt_session_output(s, o, &t) == SEQRT_OK && t, "output %zu missing", o);
        FZ_CHECK(seqrt_tensor_dtype(t) == SEQRT_F32, "output %zu not float", o);
        size_t n = 1;
        for (int d = 0; d < seqrt_tensor_rank(t); d++) n *= (size_t)seqrt_tensor_dim(t, d);
        FZ_CHECK(n == seqrt_tensor_count(t), "output %zu count", o);
        /* touch every element: ASan catches a short buffer */
        volatile float sink = 0;
        const float *p = seqrt_tensor_data(t);
        for (size_t k = 0; k < n; k++) sink += p[k];
        (void)sink;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20)) return 0;
    uint64_t seed = fz_hash(data, size);
    fz_model fm;
    fz_make_weights(data, size, seed, &fm);
    seqrt_model *m = NULL;
    seqrt_status st = sq_model_load_memory(&m, "fuzz/model.json", data, size, fm.image, fm.image_len, NULL);
    int64_t sym[FZ_MAX_SYMS], fm_fixed[FZ_MAX_SYMS];
    memcpy(sym, fm.sym_value, sizeof sym);
    memcpy(fm_fixed, fm.sym_value, sizeof fm_fixed); /* fixed by a weight: kept */
    fz_model_free(&fm);
    if (fz_verbose()) fprintf(stderr, "load: %s %s\n", seqrt_status_str(st), st ? seqrt_last_error() : "");
    if (st != SEQRT_OK) return 0;

    /* symbol values: those the weights fixed, else small ones */
    fz_rng r = {seed ^ 0x5eed};
    bool runnable = m->nsyms <= FZ_MAX_SYMS;
    for (int s = 0; s < m->nsyms && s < FZ_MAX_SYMS; s++)
        if (!sym[s]) sym[s] = 1 + (int64_t)(fz_next(&r) % 4);
    int64_t total = 0;
    for (int v = 0; v < m->nvalues && runnable; v++) {
        int64_t n = fz_value_count(m, &m->values[v], sym);
        if (n > FZ_MAX_VALUE_ELEMENTS) runnable = false;
        total += n;
    }
    if (!runnable || total > FZ_MAX_ALL_ELEMENTS) {
        if (fz_verbose()) fprintf(stderr, "  not run: too large\n");
        seqrt_model_free(m);
        return 0;
    }

    const seqrt_device *dev = NULL;
    FZ_CHECK(seqrt_device_find(&dev, "reference") == SEQRT_OK, "%s", seqrt_last_error());
    seqrt_session_options so = {0};
    so.streaming = (seed & 3) == 0 && seqrt_model_streamable(m, NULL, 0);
    seqrt_session *s = NULL;
    st = seqrt_session_create(&s, m, dev, &so);
    FZ_CHECK(st == SEQRT_OK, "session_create: %s: %s", seqrt_status_str(st), seqrt_last_error());

    seqrt_tensor *in[64] = {0}, *bound = NULL;
    int ni = m->ninputs;
    if (ni <= 64) {
        /* three runs: the second with another time length (new shapes,
         * buffers reused or regrown; for a stream, the next chunk), the
         * third with every symbol drawn again (another batch size: for a
         * stream, an error unless it was reset) */
        for (int run = 0; run < 3; run++) {
            int64_t t_over = run == 1 ? 1 + (int64_t)(fz_next(&r) % 3) : 0;
            if (run == 2) {
                for (int k = 0; k < m->nsyms && k < FZ_MAX_SYMS; k++)
                    if (!fm_fixed[k]) sym[k] = 1 + (int64_t)(fz_next(&r) % 4);
                if (so.streaming && (fz_next(&r) & 1)) FZ_CHECK(seqrt_session_reset(s) == SEQRT_OK, "reset");
            }
            if (fz_make_inputs(m, sym, t_over, &r, in) == SEQRT_OK) {
                st = seqrt_session_run(s, (const seqrt_tensor *const *)in, (size_t)ni);
                fz_check_run(st, s, m);
                /* after the first good run, now and then write output 0
                 * straight into a caller's buffer: of that run's shape, or
                 * one element longer (later runs must then refuse it) */
                uint64_t x = fz_next(&r);
                if (st == SEQRT_OK && !bound && (x & 3) == 0) {
                    const seqrt_tensor *o0 = NULL;
                    seqrt_session_output(s, 0, &o0);
                    int rank = seqrt_tensor_rank(o0);
                    int64_t dims[SEQRT_MAX_RANK];
                    for (int d = 0; d < rank; d++) dims[d] = seqrt_tensor_dim(o0, d);
                    if (rank > 0 && (x & 4)) dims[rank - 1]++;
                    if (seqrt_tensor_create(&bound, SEQRT_F32, rank, dims) == SEQRT_OK)
                        FZ_CHECK(seqrt_session_bind_output(s, 0, bound) == SEQRT_OK, "bind");
                } else if (bound && (x & 3) == 1) {
                    FZ_CHECK(seqrt_session_bind_output(s, 0, NULL) == SEQRT_OK, "unbind");
                }
            }
            fz_free_inputs(in, ni);
        }
    }
    seqrt_session_free(s);
    seqrt_tensor_free(bound);
    seqrt_model_free(m);
    return 0;
}
