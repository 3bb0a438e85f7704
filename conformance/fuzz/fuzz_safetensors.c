/*
 * libFuzzer target: the safetensors parser (sq_safetensors_parse) over a
 * hostile image. On success every tensor must be self-consistent (name,
 * rank, count = product of dims, data readable for count floats); on
 * failure nothing may be returned and the error must be set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

#define FZ_CHECK(c)                                                                          \
    do {                                                                                     \
        if (!(c)) {                                                                          \
            fprintf(stderr, "fuzz_safetensors: invariant failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sq_weight *w = (sq_weight *)(uintptr_t)1;
    int n = -1;
    seqrt_status st = sq_safetensors_parse(data, size, "fuzz.safetensors", &w, &n);
    if (st != SEQRT_OK) {
        FZ_CHECK(w == NULL && n == 0);
        FZ_CHECK(seqrt_last_error()[0] != '\0');
        return 0;
    }
    FZ_CHECK(n >= 0 && (n == 0 || w != NULL));
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        FZ_CHECK(w[i].name != NULL);
        FZ_CHECK(w[i].rank >= 0 && w[i].rank <= SEQRT_MAX_RANK);
        int64_t c = 1;
        for (int d = 0; d < w[i].rank; d++) {
            FZ_CHECK(w[i].dims[d] >= 0);
            c *= w[i].dims[d];
        }
        FZ_CHECK(c == w[i].count);
        /* the f32 copies are at most twice the data section (F16/BF16) */
        total += c;
        volatile float sink = 0;
        for (int64_t k = 0; k < c; k++) sink += w[i].data[k];
        (void)sink;
    }
    FZ_CHECK((uint64_t)total * 2 <= (uint64_t)size);
    sq_weights_free(w, n);
    return 0;
}
