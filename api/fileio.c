/*
 * Whole-file reads with the size checked before anything is allocated.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Largest single read() request: Linux caps reads near 2 GiB anyway. */
#define SQ_READ_CHUNK ((size_t)1 << 30)

seqrt_status sq_read_file(const char *path, uint64_t max_bytes, uint8_t **out, size_t *len)
{
    if (!path || !out || !len)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "sq_read_file: NULL argument");
    *out = NULL;
    *len = 0;
    if (max_bytes > SIZE_MAX) max_bytes = SIZE_MAX;

    /* O_NONBLOCK: opening a FIFO must not hang waiting for a writer; it is
     * rejected below as not a regular file. */
    int fd;
    do {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return sq_error(SEQRT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));

    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sq_error(SEQRT_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return sq_error(SEQRT_ERR_IO, "%s: cannot read: %s", path, strerror(EISDIR));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return sq_error(SEQRT_ERR_IO, "%s: cannot read: not a regular file", path);
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max_bytes) {
        close(fd);
        return sq_error(SEQRT_ERR_LIMIT, "%s: file is %lld bytes, more than the limit of %llu bytes",
                        path, (long long)st.st_size, (unsigned long long)max_bytes);
    }
    /* Back to blocking reads for the regular file. */
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);

    size_t size = (size_t)st.st_size;
    uint8_t *buf = sq_malloc(size);
    if (!buf) {
        close(fd);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "%s: out of memory reading %zu bytes", path, size);
    }

    size_t got = 0;
    while (got < size) {
        size_t want = size - got;
        if (want > SQ_READ_CHUNK) want = SQ_READ_CHUNK;
        ssize_t n = read(fd, buf + got, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            sq_free(buf);
            close(fd);
            return sq_error(SEQRT_ERR_IO, "%s: read failed: %s", path, strerror(e));
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    if (got == size) {
        /* The file must not have grown since fstat either. */
        uint8_t extra;
        ssize_t n;
        do {
            n = read(fd, &extra, 1);
        } while (n < 0 && errno == EINTR);
        if (n > 0) got = size + 1;
    }
    close(fd);
    if (got != size) {
        sq_free(buf);
        return sq_error(SEQRT_ERR_IO, "%s: file changed size while being read", path);
    }
    *out = buf;
    *len = size;
    return SEQRT_OK;
}
