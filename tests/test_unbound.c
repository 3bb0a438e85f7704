/*
 * The core's unbound outputs (api/backend.h, sq_op_impl.unbound_outs): an
 * op row that accepts an output slot unbound gets, for an unused value in
 * that slot (not a model output, read by no layer), a view of the planned
 * shape whose data is NULL, and the store allocates nothing for it; a used
 * value, or a row that does not opt in, is bound as before. Checked through
 * the host executor with an op table of this file's own (a stand-in LSTM
 * row that records the views it gets), so no backend's arithmetic is
 * involved.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "seqrt.h"
#include "test_util.h"

#define T 5
#define B 2
#define I 2
#define HID 3

static char g_dir[512];

static void setup(void) { cr_assert_eq(tu_mkdtemp(g_dir, sizeof g_dir), 0, "mkdtemp failed"); }
static void teardown(void) { tu_rmtree(g_dir); }

TestSuite(unbound, .init = setup, .fini = teardown);

/* What the stand-in row saw on its last run. */
static struct {
    int runs;
    sq_view y, hn, cn;
} g_seen;

/* The stand-in LSTM: records its output views, writes h_n and c_n (and y
 * where bound) with a marker. */
static seqrt_status fake_lstm_run(void *session, const sq_op_args *a, void *state)
{
    (void)session;
    (void)state;
    g_seen.runs++;
    g_seen.y = *a->out[SQ_OUT_MAIN];
    g_seen.hn = *a->out[SQ_OUT_H_N];
    g_seen.cn = *a->out[SQ_OUT_C_N];
    for (int o = 0; o < SQ_MAX_OUTS; o++) {
        sq_view *v = a->out[o];
        if (!v || !v->data) continue;
        for (int64_t i = 0; i < sq_view_count(v); i++) sq_vf(v)[i] = 0.25f * (float)(o + 1);
    }
    return SEQRT_OK;
}

/* A linear stand-in that reads its input (the LSTM's y) and writes zeros. */
static seqrt_status fake_linear_run(void *session, const sq_op_args *a, void *state)
{
    (void)session;
    (void)state;
    cr_assert_not_null(a->in[SQ_SLOT_X]->data, "a value some layer reads must be bound");
    memset(a->out[SQ_OUT_MAIN]->data, 0, sizeof(float) * (size_t)sq_view_count(a->out[SQ_OUT_MAIN]));
    return SEQRT_OK;
}

static const sq_op_impl opt_in_lstm = {.supports = sq_op_supports_all, .run = fake_lstm_run,
                                       .unbound_outs = 1u << SQ_OUT_MAIN | 1u << SQ_OUT_H_N | 1u << SQ_OUT_C_N};
static const sq_op_impl plain_lstm = {.supports = sq_op_supports_all, .run = fake_lstm_run};
static const sq_op_impl fake_linear = {.supports = sq_op_supports_all, .run = fake_linear_run};

/* x [T, B, I] -> lstm "rnn"; with_linear: -> linear "fc" on rnn. Outputs
 * as given (a JSON list). */
static seqrt_model *load_model(int with_linear, const char *outputs)
{
    char text[2048], path[1024];
    snprintf(text, sizeof text,
             "{\"format\": \"seqrt\", \"version\": 1, \"name\": \"unbound\","
             " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [%d, %d, %d]}],"
             " \"layers\": [{\"op\": \"lstm\", \"name\": \"rnn\", \"inputs\": {\"x\": \"x\"},"
             " \"input_size\": %d, \"hidden_size\": %d}%s],"
             " \"outputs\": %s}",
             T, B, I, I, HID,
             with_linear ? ", {\"op\": \"linear\", \"name\": \"fc\", \"inputs\": {\"x\": \"rnn\"},"
                           " \"in_features\": 3, \"out_features\": 2}"
                         : "",
             outputs);
    cJSON *desc = tu_parse(text);
    tu_write_model(g_dir, "unbound", desc, 1, 7, path, sizeof path);
    cJSON_Delete(desc);
    seqrt_model *m = NULL;
    seqrt_status st = seqrt_model_load(&m, path, NULL);
    cr_assert_eq(st, SEQRT_OK, "load: %s", seqrt_last_error());
    return m;
}

static int value_of(const seqrt_model *m, const char *name)
{
    for (int x = 0; x < m->nvalues; x++)
        if (!strcmp(m->values[x].name, name)) return x;
    cr_assert_fail("no value '%s'", name);
    return -1;
}

/* One run of `m` on the host executor with table `lstm_row` (and the
 * linear stand-in): g_seen holds the LSTM row's views. */
static void run_with(const seqrt_model *m, const sq_op_impl *lstm_row)
{
    const sq_op_impl *ops[SQ_OP_COUNT] = {0};
    ops[SQ_OP_LSTM] = lstm_row;
    ops[SQ_OP_LINEAR] = &fake_linear;
    sq_host_exec *e = NULL;
    cr_assert_eq(sq_host_exec_create(&e, m, ops), SEQRT_OK, "%s", seqrt_last_error());
    sq_shape shapes[16];
    cr_assert(m->nvalues <= 16);
    for (int x = 0; x < m->nvalues; x++) {
        shapes[x].rank = m->values[x].rank;
        memcpy(shapes[x].d, m->values[x].dims, sizeof shapes[x].d);
    }
    const sq_plan plan = {.nvalues = m->nvalues, .shapes = shapes};
    static float xin[T * B * I], outbuf[4][T * B * HID];
    sq_view xv = {.dtype = SEQRT_F32, .rank = 3, .d = {T, B, I}, .data = xin};
    const sq_view *inputs[1] = {&xv};
    sq_view ov[4];
    sq_view *outputs[4];
    for (int o = 0; o < m->noutputs; o++) {
        const sq_value *v = &m->values[m->outputs[o]];
        ov[o] = (sq_view){.dtype = SEQRT_F32, .rank = v->rank, .data = outbuf[o]};
        memcpy(ov[o].d, v->dims, sizeof ov[o].d);
        outputs[o] = &ov[o];
    }
    memset(&g_seen, 0, sizeof g_seen);
    cr_assert_eq(sq_host_exec_run(e, &plan, inputs, outputs), SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(g_seen.runs, 1);
    sq_host_exec_free(e);
}

Test(unbound, unused_output_of_an_opted_in_row_gets_no_buffer)
{
    seqrt_model *m = load_model(0, "[\"rnn:h_n\"]");
    run_with(m, &opt_in_lstm);
    /* y and c_n: unused, data NULL, the planned shape */
    cr_assert_null(g_seen.y.data, "unused y must be bound with data NULL");
    cr_assert_eq(g_seen.y.rank, 3);
    cr_assert(g_seen.y.d[0] == T && g_seen.y.d[1] == B && g_seen.y.d[2] == HID, "y keeps its planned shape");
    cr_assert_null(g_seen.cn.data, "unused c_n must be bound with data NULL");
    /* h_n: the model output, the caller's buffer */
    cr_assert_not_null(g_seen.hn.data);
    seqrt_model_free(m);
}

Test(unbound, row_that_does_not_opt_in_is_bound_as_before)
{
    seqrt_model *m = load_model(0, "[\"rnn:h_n\"]");
    run_with(m, &plain_lstm);
    cr_assert_not_null(g_seen.y.data);
    cr_assert_not_null(g_seen.cn.data);
    cr_assert_not_null(g_seen.hn.data);
    seqrt_model_free(m);
}

Test(unbound, value_read_by_a_layer_or_asked_for_is_bound)
{
    seqrt_model *m = load_model(1, "[\"fc\", \"rnn:c_n\"]");
    run_with(m, &opt_in_lstm);
    cr_assert_not_null(g_seen.y.data, "y is read by fc: bound");
    cr_assert_not_null(g_seen.cn.data, "c_n is a model output: bound");
    cr_assert_null(g_seen.hn.data, "h_n is unused: data NULL");
    seqrt_model_free(m);
}

Test(unbound, skip_unused_marks_only_unused_values_in_the_mask)
{
    seqrt_model *m = load_model(1, "[\"fc\", \"rnn:c_n\"]");
    cr_assert(!sq_value_unused(m, value_of(m, "rnn")), "rnn is read by fc");
    cr_assert(!sq_value_unused(m, value_of(m, "rnn:c_n")), "c_n is a model output");
    cr_assert(sq_value_unused(m, value_of(m, "rnn:h_n")));
    sq_values v;
    cr_assert_eq(sq_values_init(&v, m), SEQRT_OK);
    const sq_layer *L = &m->layers[0];
    cr_assert_eq(sq_values_skip_unused(&v, L, 1u << SQ_OUT_MAIN | 1u << SQ_OUT_C_N), 0, "nothing unused in the mask");
    cr_assert_eq(sq_values_skip_unused(&v, L, 1u << SQ_OUT_H_N), 1);
    cr_assert(v.unbound[value_of(m, "rnn:h_n")]);
    cr_assert(!v.unbound[value_of(m, "rnn")]);
    sq_values_free(&v);
    seqrt_model_free(m);
}
