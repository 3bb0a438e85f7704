/*
 * Private to the conformance library: the files of a case (case_files.c):
 * a generated case's model.json and model.safetensors, the temporary
 * directory they are loaded from, and small file helpers.
 */
#ifndef SEQRT_CONFORMANCE_CASE_FILES_H
#define SEQRT_CONFORMANCE_CASE_FILES_H

#include <stddef.h>

#include "case_build.h"

/* Writes the builder's description as `dir`/model.json (model name and
 * metadata.conformance_case: `case_name`) and its weights as
 * `dir`/model.safetensors; 0 or -1. */
int cf_write_model_files(const cf_builder *b, const char *case_name, const char *dir);
/* Writes n bytes to path; 0 or -1. */
int cf_write_file(const char *path, const void *data, size_t n);
/* The first `max` bytes of a file, NUL-terminated (free it); NULL if it
 * cannot be read. */
char *cf_read_text(const char *path, size_t max);
/* A new directory under $TMPDIR (or /tmp); 0 or -1. */
int cf_make_temp_dir(char *dir, size_t n);
/* Removes a directory and the files in it. */
void cf_rm_dir(const char *dir);
/* An output name as it appears in a file name: "rnn:h_n" -> "rnn.h_n". */
void cf_output_file_value(const char *value, char *buf, size_t n);

#endif /* SEQRT_CONFORMANCE_CASE_FILES_H */
