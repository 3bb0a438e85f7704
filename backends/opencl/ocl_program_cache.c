/*
 * Compiled programs cached on disk, so a second process does not compile
 * seqrt's kernels again.
 *
 * Folder: $SEQRT_OPENCL_CACHE_DIR, else $XDG_CACHE_HOME/seqrt/opencl, else
 * ~/.cache/seqrt/opencl (SEQRT_OPENCL_CACHE=0 turns the cache off). One file
 * per program, named by a 128-bit key hashed from the device name, driver
 * version, platform version, device version, the source and the build
 * options; so a driver update, another device or an edited kernel never
 * reuses a stale binary. File layout (little-endian):
 *
 *   "SEQRTCL1" | key (16 bytes) | binary size (8 bytes) | binary
 *
 * A file is written to a temporary name in the same folder and renamed into
 * place: readers never see a partial file, and concurrent writers of the
 * same key are harmless. A file that is short, foreign or rejected by the
 * driver is ignored and rewritten. Cache trouble is logged at warn level and
 * never fails a session: the program is then built from source.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ocl_internal.h"

static const char g_magic[8] = {'S', 'E', 'Q', 'R', 'T', 'C', 'L', '1'};

void ocl_cache_dir(char *buf, size_t n)
{
    buf[0] = '\0';
    const char *off = getenv("SEQRT_OPENCL_CACHE");
    if (off && !strcmp(off, "0")) return;
    const char *dir = getenv("SEQRT_OPENCL_CACHE_DIR");
    if (dir && *dir) {
        snprintf(buf, n, "%s", dir);
        return;
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg == '/') {
        snprintf(buf, n, "%s/seqrt/opencl", xdg);
        return;
    }
    const char *home = getenv("HOME");
    if (home && *home) snprintf(buf, n, "%s/.cache/seqrt/opencl", home);
}

/* FNV-1a, 64 bits, continued from `h`. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Two independent 64-bit hashes over the same fields (each field ends with
 * a NUL so "ab"+"c" and "a"+"bc" differ). */
static void key_words(const ocl_desc *d, const char *src, size_t len, const char *options, uint64_t k[2])
{
    const char *fields[] = {d->name,    d->driver, d->platform_name,      d->platform_version,
                            d->version, d->vendor, options ? options : ""};
    uint64_t seeds[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    for (int w = 0; w < 2; w++) {
        uint64_t h = seeds[w];
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) h = fnv(h, fields[f], strlen(fields[f]) + 1);
        h = fnv(h, src, len);
        if (w) h = fnv(h, "seqrt-opencl-cache-v1", 21);
        k[w] = h;
    }
}

void ocl_cache_key(const ocl_desc *d, const char *src, size_t len, const char *options, char out[33])
{
    uint64_t k[2];
    key_words(d, src, len, options, k);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)k[0], (unsigned long long)k[1]);
}

/* mkdir -p with 0700 for the folders it creates. */
static bool make_dirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return false;
        *p = '/';
    }
    return mkdir(tmp, 0700) == 0 || errno == EEXIST;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The binary of a cache file, or NULL (logged at debug) when there is none
 * or it is not ours. */
static unsigned char *read_entry(const char *path, const uint64_t key[2], size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char head[32];
    unsigned char *bin = NULL;
    if (fread(head, 1, sizeof head, f) != sizeof head || memcmp(head, g_magic, 8)) goto bad;
    uint64_t k0 = 0, k1 = 0, n = 0;
    for (int i = 7; i >= 0; i--) {
        k0 = k0 << 8 | head[8 + i];
        k1 = k1 << 8 | head[16 + i];
        n = n << 8 | head[24 + i];
    }
    if (k0 != key[0] || k1 != key[1] || n == 0 || n > ((uint64_t)1 << 31)) goto bad;
    bin = sq_malloc((size_t)n);
    if (!bin || fread(bin, 1, (size_t)n, f) != (size_t)n) goto bad;
    if (fgetc(f) != EOF) goto bad; /* trailing bytes: not a file we wrote */
    fclose(f);
    *size = (size_t)n;
    return bin;
bad:
    sq_log(SQ_LOG_DEBUG, "opencl: program cache file %s is not a valid entry; rebuilding", path);
    sq_free(bin);
    fclose(f);
    return NULL;
}

static void write_entry(const char *dir, const char *path, const uint64_t key[2], const unsigned char *bin, size_t size,
                        ocl_cache_stats *st)
{
    if (!make_dirs(dir)) {
        sq_log(SQ_LOG_WARN, "opencl: cannot create the program cache folder %s: %s", dir, strerror(errno));
        return;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sq_log(SQ_LOG_WARN, "opencl: cannot write to the program cache folder %s: %s", dir, strerror(errno));
        return;
    }
    unsigned char head[32];
    memcpy(head, g_magic, 8);
    uint64_t fields[3] = {key[0], key[1], (uint64_t)size};
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < 8; i++) head[8 + 8 * f + i] = (unsigned char)(fields[f] >> (8 * i));
    FILE *fp = fdopen(fd, "wb");
    bool ok = fp && fwrite(head, 1, sizeof head, fp) == sizeof head && fwrite(bin, 1, size, fp) == size;
    if (fp)
        ok = (fflush(fp) == 0) && ok, ok = (fclose(fp) == 0) && ok;
    else
        close(fd);
    if (!ok || rename(tmp, path) != 0) {
        sq_log(SQ_LOG_WARN, "opencl: cannot store %s in the program cache: %s", path, strerror(errno));
        unlink(tmp);
        return;
    }
    st->stored = true;
}

/* The device binary of a built program (one device). */
static unsigned char *program_binary(cl_program p, size_t *size)
{
    size_t n = 0;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof n, &n, NULL) != CL_SUCCESS || n == 0) return NULL;
    unsigned char *bin = sq_malloc(n);
    if (!bin) return NULL;
    unsigned char *ptrs[1] = {bin};
    if (clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof ptrs, ptrs, NULL) != CL_SUCCESS) {
        sq_free(bin);
        return NULL;
    }
    *size = n;
    return bin;
}

seqrt_status ocl_program_get(cl_context ctx, cl_device_id dev, const ocl_desc *d, const char *src, size_t len,
                             const char *options, cl_program *out, ocl_cache_stats *st)
{
    ocl_cache_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    *out = NULL;
    double t0 = now_s();
    char dir[900];
    ocl_cache_dir(dir, sizeof dir);
    uint64_t key[2];
    key_words(d, src, len, options, key);
    if (dir[0]) {
        char hex[33];
        ocl_cache_key(d, src, len, options, hex);
        snprintf(st->path, sizeof st->path, "%s/%s.bin", dir, hex);
        size_t size = 0;
        unsigned char *bin = read_entry(st->path, key, &size);
        if (bin) {
            cl_int err, bin_status = CL_SUCCESS;
            const unsigned char *bins[1] = {bin};
            cl_program p = clCreateProgramWithBinary(ctx, 1, &dev, &size, bins, &bin_status, &err);
            sq_free(bin);
            if (err == CL_SUCCESS && bin_status == CL_SUCCESS) {
                err = clBuildProgram(p, 1, &dev, options, NULL, NULL);
                if (err == CL_SUCCESS) {
                    st->hit = true;
                    st->seconds = now_s() - t0;
                    *out = p;
                    return SEQRT_OK;
                }
            }
            if (p) clReleaseProgram(p);
            sq_log(SQ_LOG_INFO, "opencl: the driver rejected cached program %s (%s); rebuilding from source", st->path,
                   ocl_err_name(err != CL_SUCCESS ? err : bin_status));
        }
    }
    cl_program p;
    seqrt_status s = ocl_build_source(ctx, dev, src, len, options, &p);
    if (s) return s;
    if (dir[0]) {
        size_t size = 0;
        unsigned char *bin = program_binary(p, &size);
        if (bin)
            write_entry(dir, st->path, key, bin, size, st);
        else
            sq_log(SQ_LOG_WARN, "opencl: the driver gives no program binary; nothing cached");
        sq_free(bin);
    }
    st->seconds = now_s() - t0;
    *out = p;
    return SEQRT_OK;
}
