/*
 * libFuzzer target: the .npy parser (sq_npy_parse) over a hostile file, and
 * the tensor the public API would make of it. On success the dtype, rank
 * and dims must be in range and the data must hold exactly count elements
 * (which the file itself must have contained).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

#define FZ_CHECK(c)                                                                   \
    do {                                                                              \
        if (!(c)) {                                                                   \
            fprintf(stderr, "fuzz_npy: invariant failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sq_npy npy;
    seqrt_status st = sq_npy_parse(data, size, "fuzz.npy", &npy);
    if (st != SEQRT_OK) {
        FZ_CHECK(npy.data == NULL);
        FZ_CHECK(seqrt_last_error()[0] != '\0');
        return 0;
    }
    FZ_CHECK(npy.dtype == SEQRT_F32 || npy.dtype == SEQRT_I32 || npy.dtype == SEQRT_I64);
    FZ_CHECK(npy.rank >= 0 && npy.rank <= SEQRT_MAX_RANK);
    int64_t count = 1;
    for (int d = 0; d < npy.rank; d++) {
        FZ_CHECK(npy.dims[d] >= 0);
        count *= npy.dims[d];
    }
    size_t bytes = (size_t)count * sq_dtype_size(npy.dtype);
    FZ_CHECK(bytes <= size);
    /* the data is the file's last `bytes` bytes, copied */
    FZ_CHECK(bytes == 0 || memcmp(npy.data, data + size - bytes, bytes) == 0);
    /* the public tensor over it */
    seqrt_tensor *t = NULL;
    st = seqrt_tensor_wrap(&t, npy.dtype, npy.rank, npy.dims, npy.data ? npy.data : (void *)data);
    FZ_CHECK(st == SEQRT_OK);
    FZ_CHECK(seqrt_tensor_count(t) == (size_t)count);
    seqrt_tensor_free(t);
    sq_npy_free(&npy);
    return 0;
}
