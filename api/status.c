/* Status strings, the thread-local last error, logging and the version. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define SQ_ERROR_MAX 1024

static _Thread_local char g_last_error[SQ_ERROR_MAX];

const char *seqrt_status_str(seqrt_status status)
{
    switch (status) {
    case SEQRT_OK: return "success";
    case SEQRT_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SEQRT_ERR_IO: return "I/O error";
    case SEQRT_ERR_PARSE: return "malformed file";
    case SEQRT_ERR_MODEL: return "invalid model";
    case SEQRT_ERR_SHAPE: return "shape mismatch";
    case SEQRT_ERR_RANGE: return "value out of range";
    case SEQRT_ERR_UNSUPPORTED: return "unsupported";
    case SEQRT_ERR_UNAVAILABLE: return "unavailable";
    case SEQRT_ERR_OUT_OF_MEMORY: return "out of memory";
    case SEQRT_ERR_LIMIT: return "limit exceeded";
    case SEQRT_ERR_DEVICE: return "device error";
    case SEQRT_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *seqrt_last_error(void) { return g_last_error; }

const char *seqrt_version(void)
{
#define SQ_STR2(x) #x
#define SQ_STR(x) SQ_STR2(x)
    return SQ_STR(SEQRT_VERSION_MAJOR) "." SQ_STR(SEQRT_VERSION_MINOR) "." SQ_STR(
        SEQRT_VERSION_PATCH);
}

void sq_clear_error(void) { g_last_error[0] = '\0'; }

seqrt_status sq_error(seqrt_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_last_error, sizeof g_last_error, fmt, ap);
    va_end(ap);
    sq_log(SQ_LOG_DEBUG, "error (%s): %s", seqrt_status_str(status), g_last_error);
    return status;
}

seqrt_status sq_error_prefix(seqrt_status status, const char *fmt, ...)
{
    char prefix[SQ_ERROR_MAX], old[SQ_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, g_last_error, sizeof old);
    snprintf(g_last_error, sizeof g_last_error, "%.400s: %.600s", prefix, old);
    return status;
}

/* SEQRT_LOG is read once; an unknown value is reported and treated as "warn"
 * so that the mistake is visible. */
static int g_log_level = -1;

int sq_log_level(void)
{
    int level = __atomic_load_n(&g_log_level, __ATOMIC_ACQUIRE);
    if (level >= 0) return level;
    const char *env = getenv("SEQRT_LOG");
    level = SQ_LOG_ERROR;
    if (env && *env) {
        if (!strcasecmp(env, "error")) level = SQ_LOG_ERROR;
        else if (!strcasecmp(env, "warn") || !strcasecmp(env, "warning")) level = SQ_LOG_WARN;
        else if (!strcasecmp(env, "info")) level = SQ_LOG_INFO;
        else if (!strcasecmp(env, "debug")) level = SQ_LOG_DEBUG;
        else {
            fprintf(stderr,
                    "seqrt: warning: SEQRT_LOG=%s is not one of error, warn, info, debug; "
                    "using warn\n",
                    env);
            level = SQ_LOG_WARN;
        }
    }
    __atomic_store_n(&g_log_level, level, __ATOMIC_RELEASE);
    return level;
}

void sq_log(int level, const char *fmt, ...)
{
    if (level > sq_log_level()) return;
    static const char *names[] = {"error", "warn", "info", "debug"};
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "seqrt: %s: %s\n", names[level], line);
}

bool sq_dims_count(int rank, const int64_t *dims, int64_t *out)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        if (!sq_mul_ok(n, dims[i], &n)) return false;
    if (n > SQ_MAX_ELEMENTS) return false;
    *out = n;
    return true;
}
