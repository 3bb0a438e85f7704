/*
 * oneDNN backend: the chunk rule of the recurrent engines (see
 * dnnl_chunk.h).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "dnnl_chunk.h"
#include "internal.h"

int64_t dn_chunk_budget(void)
{
    static int64_t cached; /* 0: not read yet; every thread computes the same value */
    int64_t b = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (b) return b;
    long l3 = -1, l2 = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
    l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    b = l3 > 0 ? l3 / 2 : l2 > 0 ? 4 * (int64_t)l2 : 4 << 20;
    if (b < (1 << 20)) b = 1 << 20;
    if (b > (32 << 20)) b = 32 << 20;
    __atomic_store_n(&cached, b, __ATOMIC_RELAXED);
    return b;
}

seqrt_status dn_chunk_env(int64_t *steps)
{
    const char *e = getenv("SEQRT_ONEDNN_CHUNK");
    *steps = 0;
    if (!e || !*e) return SEQRT_OK;
    char *end = NULL;
    const long long v = strtoll(e, &end, 10);
    if (*end || v < 1)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "SEQRT_ONEDNN_CHUNK='%s': expected a positive number of steps", e);
    *steps = v;
    return SEQRT_OK;
}

int64_t dn_chunk_steps(int64_t step_bytes, int64_t B, int64_t T, int64_t env)
{
    int64_t n = env;
    if (n <= 0) {
        n = dn_chunk_budget() / (step_bytes > 0 ? step_bytes : 1);
        if (n * B < 256) n = (256 + B - 1) / B;
    }
    return n < 1 ? 1 : n > T ? T : n;
}
