/*
 * File formats: safetensors (weights) and NumPy .npy (tensors in and out).
 * Every size, offset and product is checked against the data's length and
 * for overflow before anything is allocated; errors go through sq_error()
 * naming the file, the tensor and the field at fault.
 */
#ifndef SEQRT_FORMATS_H
#define SEQRT_FORMATS_H

#include "internal.h"

/* Parses a whole safetensors file held in memory. On success *out is an
 * array of *count weights, each with its own f32 copy of the data (F32,
 * F16 and BF16 accepted; any other dtype is an error naming the tensor).
 * `what` names the source in error messages (usually the path). */
seqrt_status sq_safetensors_parse(const uint8_t *buf, size_t len, const char *what,
                                  sq_weight **out, int *count);
/* Reads `path` (size checked) and parses it. */
seqrt_status sq_safetensors_load(const char *path, sq_weight **out, int *count);
/* The same, each tensor kept in the file's form (sq_weight.form): F32 as
 * f32 data, F16/BF16 as their bits, I8 codes (accepted here only). */
seqrt_status sq_safetensors_parse_forms(const uint8_t *buf, size_t len, const char *what, sq_weight **out,
                                        int *count);
seqrt_status sq_safetensors_load_forms(const char *path, sq_weight **out, int *count);
/* Frees what sq_safetensors_parse returned. */
void sq_weights_free(sq_weight *w, int count);

/* A host tensor read from or written to .npy. */
typedef struct sq_npy {
    seqrt_dtype dtype;       /* F32 (<f4), I32 (<i4), I64 (<i8) */
    int rank;
    int64_t dims[SEQRT_MAX_RANK];
    void *data;              /* sq_malloc'ed, count * dtype size bytes */
} sq_npy;

/* Parses a .npy file held in memory (versions 1.0, 2.0, 3.0; C order only;
 * dtypes <f4, <i4, <i8 — also '|' or '=' byte order on a little-endian host). */
seqrt_status sq_npy_parse(const uint8_t *buf, size_t len, const char *what, sq_npy *out);
seqrt_status sq_npy_load(const char *path, sq_npy *out);
/* Writes version 1.0 (2.0 if the header needs it) to a temporary file in the
 * same directory, then renames it over `path`: never a partial file. */
seqrt_status sq_npy_save(const char *path, seqrt_dtype dtype, int rank, const int64_t *dims,
                         const void *data);
void sq_npy_free(sq_npy *npy);

/* Reads a whole file into memory (size checked against `max_bytes`, itself
 * capped at SIZE_MAX). */
seqrt_status sq_read_file(const char *path, uint64_t max_bytes, uint8_t **out, size_t *len);

/* Bytes per element of a dtype: the public seqrt_dtype_size (tensor.c). */
static inline size_t sq_dtype_size(seqrt_dtype t) { return seqrt_dtype_size(t); }

#endif /* SEQRT_FORMATS_H */
