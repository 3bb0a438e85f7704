/*
 * seqrt command-line program: the pieces of `generate` that its two ways
 * of sampling share (cli_generate.h): the check of the model's inputs, the
 * next-token scores of an output, the draw of a token, the clock.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_generate.h"

void gen_inputs_free(gen_inputs *g)
{
    for (size_t i = 0; g->zeros && i < g->n; i++) seqrt_tensor_free(g->zeros[i]);
    free(g->zeros);
    free(g->feed);
}

static int is_token_ids(const seqrt_model *m, size_t i)
{
    int rank = 0;
    seqrt_model_input_shape(m, i, &rank, NULL, NULL, 0);
    seqrt_dtype dt = seqrt_model_input_dtype(m, i);
    return (dt == SEQRT_I32 || dt == SEQRT_I64) && rank == 2 && seqrt_model_input_time_axis(m, i) >= 0;
}

/* Checks that the model takes one input of token ids and, beside it, only
 * initial states (float inputs without a time axis: the streaming check
 * has made sure they feed h0/c0 slots); makes their zeros (symbolic dims,
 * the batch, as 1). */
int gen_check_inputs(const seqrt_model *m, gen_inputs *g)
{
    size_t n = seqrt_model_input_count(m);
    const char *name = seqrt_model_name(m);
    size_t nids = 0;
    for (size_t i = 0; i < n; i++)
        if (seqrt_model_input_time_axis(m, i) >= 0) nids++, g->ids = i;
    if (nids != 1) {
        cli_error("generate: model '%s' has %zu inputs with a time axis; it needs exactly one, the token ids "
                  "([T, B] int32), and beside it only initial states",
                  name, nids);
        return CLI_EXIT_FAIL;
    }
    if (!is_token_ids(m, g->ids)) {
        int rank = 0;
        char shape[128] = "";
        seqrt_model_input_shape(m, g->ids, &rank, NULL, shape, sizeof shape);
        cli_error("generate: model '%s': input '%s' is %s %s; it must be token ids, int32 [T, B]%s", name,
                  seqrt_model_input_name(m, g->ids), cli_dtype_name(seqrt_model_input_dtype(m, g->ids)), shape,
                  seqrt_model_batch_first(m) ? " ([B, T] as the model is batch_first)" : "");
        return CLI_EXIT_FAIL;
    }
    g->time_axis = seqrt_model_input_time_axis(m, g->ids);
    g->n = n;
    g->zeros = calloc(n, sizeof *g->zeros);
    g->feed = calloc(n, sizeof *g->feed);
    if (!g->zeros || !g->feed) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        if (i == g->ids) continue;
        int rank = 0;
        int64_t dims[SEQRT_MAX_RANK];
        char shape[128] = "";
        seqrt_model_input_shape(m, i, &rank, dims, shape, sizeof shape);
        if (seqrt_model_input_dtype(m, i) != SEQRT_F32) {
            cli_error("generate: model '%s': input '%s' is %s %s; beside the token ids generate feeds only "
                      "initial states (float32 [L*D, B, H])",
                      name, seqrt_model_input_name(m, i), cli_dtype_name(seqrt_model_input_dtype(m, i)), shape);
            return CLI_EXIT_FAIL;
        }
        for (int d = 0; d < rank; d++)
            if (dims[d] < 0) dims[d] = 1;
        seqrt_status st = seqrt_tensor_create(&g->zeros[i], SEQRT_F32, rank, dims);
        if (st != SEQRT_OK) return cli_lib_error(st, "generate: the initial state '%s'", seqrt_model_input_name(m, i));
        memset(seqrt_tensor_data(g->zeros[i]), 0, seqrt_tensor_count(g->zeros[i]) * sizeof(float));
        g->feed[i] = g->zeros[i];
    }
    return CLI_EXIT_OK;
}

int gen_scores(const seqrt_tensor *t, const seqrt_model *m, size_t steps, size_t V, const float **x)
{
    int rank = seqrt_tensor_rank(t);
    if (seqrt_tensor_dtype(t) != SEQRT_F32 || rank < 1 || (size_t)seqrt_tensor_dim(t, rank - 1) != V ||
        seqrt_tensor_count(t) != steps * V) {
        char dims[128];
        cli_format_dims(t, dims, sizeof dims);
        cli_error("generate: model '%s': output '%s' is %s for %zu step%s; it must hold a score for each of "
                  "the %zu vocabulary entries at each step ([T, B, %zu])",
                  seqrt_model_name(m), seqrt_model_output_name(m, 0), dims, steps, steps == 1 ? "" : "s", V, V);
        return CLI_EXIT_FAIL;
    }
    *x = (const float *)seqrt_tensor_data(t) + (steps - 1) * V;
    return CLI_EXIT_OK;
}

size_t gen_sample(const double *p, size_t V, cli_rng *rng)
{
    double u = cli_rng_uniform(rng), acc = 0;
    size_t tok = V - 1;
    for (size_t i = 0; i < V; i++) {
        acc += p[i];
        if (u < acc) {
            tok = i;
            break;
        }
    }
    while (p[tok] == 0 && tok > 0) tok--; /* rounding at the top end: never a zero-weight token */
    return tok;
}

double gen_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
