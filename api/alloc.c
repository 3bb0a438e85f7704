/*
 * Allocation wrappers. Every allocation in seqrt goes through these, so a
 * test build (SEQRT_FAULT_INJECTION) can make the N-th one fail; see fault.h
 * for the injection points of the backends' runtime calls.
 */
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "internal.h"

#ifdef SEQRT_FAULT_INJECTION
#include <stdatomic.h>

#include <cjson/cJSON.h>

/* Test hooks (see fault.h). The prefix changes only while the test has no
 * call in flight; the counters are atomic so backend threads may hit. */
static char g_prefix[64];
static atomic_long g_count, g_fail_at, g_live;

long sq_fault_set(const char *prefix, long fail_at)
{
    long n = atomic_exchange(&g_count, 0);
    size_t len = prefix ? strlen(prefix) : 0;
    if (len >= sizeof g_prefix) len = sizeof g_prefix - 1;
    memcpy(g_prefix, prefix ? prefix : "", len);
    g_prefix[len] = '\0';
    atomic_store(&g_fail_at, fail_at);
    return n;
}

long sq_fault_alloc_set(long fail_at) { return sq_fault_set("alloc", fail_at); }

long sq_fault_live(void) { return atomic_load(&g_live); }

int sq_fault_hit(const char *site)
{
    if (strncmp(site, g_prefix, strlen(g_prefix)) != 0) return 0;
    long n = atomic_fetch_add(&g_count, 1) + 1;
    return n == atomic_load(&g_fail_at);
}

static void *live(void *p)
{
    if (p) atomic_fetch_add(&g_live, 1);
    return p;
}

/* cJSON's allocations (the description and safetensors headers) go through
 * the wrappers too in this build, so they fail and count like the others.
 * Installed before main(), before any cJSON tree exists. */
__attribute__((constructor)) static void route_cjson(void)
{
    cJSON_Hooks hooks = {.malloc_fn = sq_malloc, .free_fn = sq_free};
    cJSON_InitHooks(&hooks);
}
#define FAULT_ALLOC() sq_fault_hit("alloc")
#else
int sq_fault_hit(const char *site)
{
    (void)site;
    return 0;
}
#define FAULT_ALLOC() 0
#define live(p) (p)
#endif

void *sq_malloc(size_t size)
{
    if (FAULT_ALLOC()) return NULL;
    return live(malloc(size ? size : 1));
}

void *sq_calloc(size_t n, size_t size)
{
    if (FAULT_ALLOC()) return NULL;
    return live(calloc(n ? n : 1, size ? size : 1));
}

void *sq_aligned_alloc(size_t align, size_t size)
{
    if (FAULT_ALLOC()) return NULL;
    size = (size ? size : 1) + align - 1;
    return live(aligned_alloc(align, size / align * align));
}

void *sq_realloc(void *p, size_t size)
{
    if (FAULT_ALLOC()) return NULL;
    void *q = realloc(p, size ? size : 1);
    return p ? q : live(q);
}

char *sq_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sq_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void sq_free(void *p)
{
#ifdef SEQRT_FAULT_INJECTION
    if (p) atomic_fetch_sub(&g_live, 1);
#endif
    free(p);
}
