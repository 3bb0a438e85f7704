/*
 * seqrt command-line program: text models (generate, classify). A model's
 * description says how to turn text into token ids and back in its
 * "metadata" object:
 *
 *   "vocab":     ["\n", " ", "a", ...]   token id -> its text (UTF-8; an
 *                                          entry may be several characters)
 *   "unk":       3                       optional: the id given to a character
 *                                          that no entry matches (else such a
 *                                          character is an error)
 *   "output":    "probs" | "logits"      what the model's first output holds
 *                                          (default: "probs" when the layer
 *                                          that computes it is a softmax, else
 *                                          "logits"; log-probabilities count as
 *                                          logits)
 *   "labels":    ["GPL", "BSD", ...]     classify: class index -> name
 *   "prompt":    "This program"          generate: the default prompt
 *   "normalize": "whitespace"            classify: trim the text and fold
 *                                          runs of spaces/tabs into one space
 */
#ifndef SEQRT_CLI_TEXT_H
#define SEQRT_CLI_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

typedef struct cli_textmodel {
    size_t nvocab;
    char **vocab;       /* nvocab strings (owned) */
    size_t *vocab_len;  /* their byte lengths */
    int64_t unk;        /* -1: none */
    size_t nlabels;
    char **labels;      /* owned; NULL when absent */
    char *prompt;       /* owned; NULL when absent */
    int normalize;      /* 1: "normalize": "whitespace" */
    int output_probs;   /* 1: output 0 holds probabilities, 0: logits */
} cli_textmodel;

/* Reads the metadata of `m` for `command` ("generate", "classify"). Prints
 * the error and returns CLI_EXIT_FAIL when the vocabulary is missing or
 * malformed (or, with need_labels, the labels). */
int cli_textmodel_load(cli_textmodel *t, const seqrt_model *m, const char *command, int need_labels);
void cli_textmodel_free(cli_textmodel *t);

/* Token ids of UTF-8 `text` (greedy longest match against the vocabulary).
 * A character no entry matches becomes `unk`, or, without one, an error
 * naming the character and its position; `what` names the text in that
 * message ("the prompt", "line 3"). On success *ids (malloc'd, may be NULL
 * when *n is 0) and *n are set. */
int cli_tokenize(const cli_textmodel *t, const char *text, const char *what, int32_t **ids, size_t *n);

/* Folds runs of spaces, tabs, CR and LF into one space and trims both ends,
 * in place. */
void cli_normalize_whitespace(char *s);

/* probabilities (or logits) -> sampling weights. Fills p[0..n) with the
 * distribution softmax(log(x) / temperature) (x = probs) or
 * softmax(x / temperature) (x = logits), in double. Returns 0 when the
 * values hold a NaN or give no finite weight. */
int cli_distribution(const float *x, size_t n, int is_probs, double temperature, double *p);

/* PCG32: a small seeded generator, so that generated text is reproducible. */
typedef struct cli_rng {
    uint64_t state, inc;
} cli_rng;
void cli_rng_seed(cli_rng *r, uint64_t seed);
uint32_t cli_rng_next(cli_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double cli_rng_uniform(cli_rng *r);

#endif /* SEQRT_CLI_TEXT_H */
