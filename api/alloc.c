/*
 * Allocation wrappers. Every allocation in seqrt goes through these, so a
 * test build (SEQRT_FAULT_INJECTION) can make the N-th one fail.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef SEQRT_FAULT_INJECTION
/* Test hook: fail the allocation whose ordinal (counted from the last call)
 * equals `fail_at` (0 = never). Returns the number of allocations so far. */
static long g_alloc_count, g_fail_at;
long sq_fault_alloc_set(long fail_at)
{
    long n = g_alloc_count;
    g_alloc_count = 0;
    g_fail_at = fail_at;
    return n;
}
static int sq_fault_hit(void) { return ++g_alloc_count == g_fail_at; }
#else
static int sq_fault_hit(void) { return 0; }
#endif

void *sq_malloc(size_t size)
{
    if (sq_fault_hit()) return NULL;
    return malloc(size ? size : 1);
}

void *sq_calloc(size_t n, size_t size)
{
    if (sq_fault_hit()) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *sq_realloc(void *p, size_t size)
{
    if (sq_fault_hit()) return NULL;
    return realloc(p, size ? size : 1);
}

char *sq_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sq_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void sq_free(void *p) { free(p); }
