/*
 * seqrt command-line program: declarations shared by its source files.
 *
 * The program uses only the public API (seqrt.h). Every error is reported as
 * exactly one line "seqrt: error: <message>" on stderr; commands return the
 * process exit status (0 success, 1 runtime or model error, 2 usage error).
 */
#ifndef SEQRT_CLI_H
#define SEQRT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "seqrt.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1  /* runtime or model error */
#define CLI_EXIT_USAGE 2 /* bad command line */

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* ------------------------------------------------------------ commands */

int cli_cmd_run(int argc, char **argv);      /* argv[0] == "run" */
int cli_cmd_info(int argc, char **argv);     /* argv[0] == "info" */
int cli_cmd_backends(int argc, char **argv); /* argv[0] == "backends" */
int cli_cmd_generate(int argc, char **argv); /* argv[0] == "generate" */
int cli_cmd_classify(int argc, char **argv); /* argv[0] == "classify" */
int cli_cmd_quantize(int argc, char **argv); /* argv[0] == "quantize" (cli_quantize.c) */

/* ------------------------------------------------------------ usage texts (cli_help.c) */

void cli_help_main(FILE *f);
void cli_help_run(FILE *f);
void cli_help_info(FILE *f);
void cli_help_backends(FILE *f);
void cli_help_generate(FILE *f);
void cli_help_classify(FILE *f);
void cli_help_quantize(FILE *f);
void cli_help_environment(FILE *f);

/* ------------------------------------------------------------ messages */

/* "seqrt: error: <message>\n" on stderr, newlines in the message folded into
 * spaces so that it stays one line. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* "seqrt: warning: <message>\n" on stderr. */
void cli_warning(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Reports a failed library call: "seqrt: error: <context>: <detail>" where
 * the detail is seqrt_last_error() (or the status string when it is empty).
 * Returns CLI_EXIT_FAIL. */
int cli_lib_error(seqrt_status status, const char *fmt, ...) CLI_PRINTF(2, 3);
/* A usage error (one line, with a hint to --help). Returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...) CLI_PRINTF(2, 3);
/* 1 when SEQRT_LOG asks for info or debug messages. */
int cli_log_info(void);

/* ------------------------------------------------------------ option parsing */

/* Matches argv[*i] against the long option `name` ("--chunk"): accepts
 * "--chunk N" (consuming the next argument) and "--chunk=N". Returns 1 with
 * *value set on a match, 0 when argv[*i] is another argument, and -1 (after
 * printing a usage error) when the value is missing. */
int cli_option_value(int argc, char **argv, int *i, const char *name, const char **value,
                     const char *command);
/* 1 if `s` is "-h" or "--help". */
int cli_is_help(const char *s);
/* Parses a positive decimal integer (no sign, no spaces, fits in int64).
 * Returns 1 on success. */
int cli_parse_positive(const char *s, int64_t *out);

/* ------------------------------------------------------------ paths and names */

/* Newly allocated "dir/name" (no doubled '/'); NULL when out of memory. */
char *cli_path_join(const char *dir, const char *name);
/* Newly allocated output file name for a value: ':' → '.', plus ".npy". */
char *cli_output_file_name(const char *value);
/* 1 if `path` exists and is a directory. */
int cli_is_directory(const char *path);
const char *cli_dtype_name(seqrt_dtype dtype);
/* Writes "[d0, d1, ...]" of a tensor into buf. */
void cli_format_dims(const seqrt_tensor *t, char *buf, size_t size);

/* ------------------------------------------------------------ time steps */

/* Views tensor t as [outer, T, inner] around `axis`: outer = product of the
 * dims before it, inner_bytes = bytes of the dims after it. */
void cli_split_dims(const seqrt_tensor *t, int axis, size_t *outer, size_t *inner_bytes);

/* ------------------------------------------------------------ atomic output set */

/* A set of output files written all or nothing: each tensor is saved to a
 * hidden temporary beside its final path; commit renames them all into
 * place; abort (or a failed commit) removes every temporary. */
typedef struct cli_writer {
    char *dir;
    size_t count, cap;
    char **final_path; /* DIR/<name>.npy */
    char **temp_path;  /* DIR/.<name>.npy.tmp-<pid> */
} cli_writer;

void cli_writer_init(cli_writer *w);
/* Saves `t` as the temporary for DIR/file_name. Prints the error and returns
 * CLI_EXIT_FAIL on failure (the caller then aborts). */
int cli_writer_add(cli_writer *w, const char *dir, const char *file_name, const seqrt_tensor *t);
/* Renames every temporary into place. On failure prints the error, removes
 * what it wrote and returns CLI_EXIT_FAIL. */
int cli_writer_commit(cli_writer *w);
/* Removes every temporary not yet committed and frees the writer. */
void cli_writer_free(cli_writer *w);

/* ------------------------------------------------------------ tables */

/* A text table printed with its columns aligned. Cells are copied. */
typedef struct cli_table {
    int ncols;
    size_t nrows, cap;
    char **cells; /* nrows * ncols */
    int right[16]; /* 1: right-align column */
} cli_table;

int cli_table_init(cli_table *t, int ncols);
/* Appends a row of ncols strings (NULL counts as ""). Returns 0 when out of
 * memory. */
int cli_table_row(cli_table *t, const char *const *cells);
void cli_table_print(const cli_table *t, FILE *f, const char *indent);
void cli_table_free(cli_table *t);

#endif /* SEQRT_CLI_H */
