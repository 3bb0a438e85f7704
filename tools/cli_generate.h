/*
 * seqrt command-line program: what the `generate` command's two ways of
 * sampling share — one text through a streaming session (cli_generate.c)
 * and N texts at once through a stream pool (cli_generate_streams.c).
 */
#ifndef SEQRT_CLI_GENERATE_H
#define SEQRT_CLI_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "cli_text.h"

/* Most streams of one `generate --streams N`. */
#define GEN_MAX_STREAMS 4096

typedef struct gen_args {
    const char *model, *prompt, *backend, *weights;
    int64_t tokens;
    double temperature;
    uint64_t seed;
    int strict, verbose;
    int64_t streams;           /* --streams N (0: one text on stdout) */
    const char *output_dir;    /* --output-dir DIR */
} gen_args;

/* The model's inputs as generate feeds them: the token ids (chunk by
 * chunk) and the initial states, zeros of batch one (a streaming session
 * starts from them on the first run and ignores them afterwards, carrying
 * its own state). */
typedef struct gen_inputs {
    size_t n, ids;             /* inputs; which one is the token ids */
    int time_axis;             /* of the token ids */
    seqrt_tensor **zeros;      /* [n]: the state inputs' zeros; NULL at `ids` */
    const seqrt_tensor **feed; /* [n]: what a run is given: the zeros, and the chunk at `ids` */
} gen_inputs;

/* Checks that the model takes one input of token ids and beside it only
 * initial states; fills `g` (prints the error and returns CLI_EXIT_FAIL
 * otherwise). */
int gen_check_inputs(const seqrt_model *m, gen_inputs *g);
void gen_inputs_free(gen_inputs *g);
/* The next-token scores in output tensor `t` of a run of `steps` steps:
 * its last step, checked to be [.., V]. */
int gen_scores(const seqrt_tensor *t, const seqrt_model *m, size_t steps, size_t V, const float **x);
/* A token drawn from the distribution p[0..V) with one uniform of `rng`. */
size_t gen_sample(const double *p, size_t V, cli_rng *rng);
double gen_now_s(void);

/* --streams N: N texts through one stream pool, stream i seeded seed + i,
 * each written to DIR/stream-<i>.txt exactly as `generate --seed S+i`
 * prints it; aggregate tokens/s on stderr. No file is written unless every
 * stream succeeded. */
int gen_streams(const gen_args *a, const seqrt_model *m, const seqrt_device *dev, const gen_inputs *g,
                const cli_textmodel *tm, const char *prompt, const int32_t *ids, size_t nprompt);

#endif /* SEQRT_CLI_GENERATE_H */
