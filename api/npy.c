/*
 * NumPy .npy reader and writer.
 *
 * Layout: "\x93NUMPY", major, minor, header length (2 bytes LE in 1.0, 4 in
 * 2.0 and 3.0), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 * padded with spaces and ended by '\n', then the raw C-order data.
 *
 * The header is read by a small strict parser for exactly that dict syntax
 * (never a general evaluator): the three keys in any order, each once,
 * single- or double-quoted strings without escapes, True/False, and a tuple
 * of non-negative decimal integers ("(3)" is an int, not a tuple, and is
 * rejected as NumPy would). The file is hostile: every length is checked
 * against the buffer before use and the data must be exactly count * size.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Largest .npy file sq_npy_load() reads. */
#define SQ_NPY_MAX_BYTES ((uint64_t)16 << 30)
#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_SUPPORTED "use float32 '<f4', int32 '<i4' or int64 '<i8'"

static bool np_host_le(void)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
#else
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
#endif
}

/* Reverses the bytes of each `size`-byte element in place (big-endian hosts). */
static void np_swap(void *data, int64_t count, size_t size)
{
    uint8_t *p = data;
    for (int64_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* A printable, bounded copy of hostile bytes for error messages. */
static const char *np_printable(char *dst, size_t cap, const char *s, size_t n)
{
    size_t j = 0, max = cap - 4;
    for (size_t i = 0; i < n; i++) {
        if (j >= max) {
            memcpy(dst + j, "...", 3);
            j += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        dst[j++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    dst[j] = '\0';
    return dst;
}

/* ------------------------------------------------------------ header parser */

typedef struct np_parser {
    const char *s; /* header text (not NUL-terminated) */
    size_t n, i;
    const char *what;
} np_parser;

static seqrt_status np_syntax(np_parser *P, const char *expected)
{
    char near[24];
    size_t left = P->n - P->i;
    if (left == 0)
        return sq_error(SEQRT_ERR_PARSE, "%s: malformed header: expected %s at its end (byte %zu)",
                        P->what, expected, P->i);
    np_printable(near, sizeof near, P->s + P->i, left < 12 ? left : 12);
    return sq_error(SEQRT_ERR_PARSE, "%s: malformed header: expected %s at byte %zu (near \"%s\")",
                    P->what, expected, P->i, near);
}

static void np_ws(np_parser *P)
{
    while (P->i < P->n && (P->s[P->i] == ' ' || P->s[P->i] == '\t' || P->s[P->i] == '\n' ||
                           P->s[P->i] == '\r'))
        P->i++;
}

static bool np_peek(np_parser *P, char c) { return P->i < P->n && P->s[P->i] == c; }

/* A quoted string without escapes; *str and *len point into the header. */
static seqrt_status np_string(np_parser *P, const char **str, size_t *len)
{
    if (P->i >= P->n || (P->s[P->i] != '\'' && P->s[P->i] != '"')) return np_syntax(P, "a string");
    char q = P->s[P->i++];
    size_t start = P->i;
    while (P->i < P->n && P->s[P->i] != q) {
        char c = P->s[P->i];
        if (c == '\\' || c == '\n' || c == '\r' || c == '\0')
            return np_syntax(P, "a plain string (no escapes or line breaks)");
        P->i++;
    }
    if (P->i >= P->n) return np_syntax(P, "the end of a string");
    *str = P->s + start;
    *len = P->i - start;
    P->i++;
    return SEQRT_OK;
}

static bool np_word(np_parser *P, const char *w)
{
    size_t k = strlen(w);
    if (P->n - P->i < k || memcmp(P->s + P->i, w, k) != 0) return false;
    /* Must not run on into an identifier ("Truex"). */
    if (P->i + k < P->n) {
        char c = P->s[P->i + k];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
            return false;
    }
    P->i += k;
    return true;
}

/* A non-negative decimal integer: no sign, no leading zeros, optional 'L'
 * (Python 2 long, still found in old files). */
static seqrt_status np_int(np_parser *P, int64_t *out)
{
    size_t start = P->i;
    int64_t v = 0;
    while (P->i < P->n && P->s[P->i] >= '0' && P->s[P->i] <= '9') {
        if (!sq_mul_ok(v, 10, &v) || !sq_add_ok(v, P->s[P->i] - '0', &v)) {
            P->i = start;
            return sq_error(SEQRT_ERR_LIMIT, "%s: shape has a dimension too large for int64",
                            P->what);
        }
        P->i++;
    }
    if (P->i == start) return np_syntax(P, "a non-negative integer");
    if (P->s[start] == '0' && P->i - start > 1) {
        P->i = start;
        return np_syntax(P, "an integer without leading zeros");
    }
    if (np_peek(P, 'L')) P->i++;
    *out = v;
    return SEQRT_OK;
}

/* '(' [int (',' int)* [',']] ')', where one element needs its comma. */
static seqrt_status np_shape(np_parser *P, int *rank, int64_t *dims)
{
    seqrt_status st;
    if (!np_peek(P, '(')) return np_syntax(P, "a tuple for 'shape'");
    P->i++;
    int r = 0;
    bool comma = false;
    for (;;) {
        np_ws(P);
        if (np_peek(P, ')')) break;
        if (r > 0 && !comma) return np_syntax(P, "',' or ')' in 'shape'");
        int64_t v = 0;
        if ((st = np_int(P, &v)) != SEQRT_OK) return st;
        if (r >= SEQRT_MAX_RANK)
            return sq_error(SEQRT_ERR_LIMIT, "%s: shape has more than %d dimensions", P->what,
                            SEQRT_MAX_RANK);
        dims[r++] = v;
        np_ws(P);
        comma = np_peek(P, ',');
        if (comma) P->i++;
    }
    if (r == 1 && !comma)
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: malformed header: 'shape' (%lld) is an integer, not a tuple "
                        "(a 1-D shape is written (%lld,))",
                        P->what, (long long)dims[0], (long long)dims[0]);
    P->i++; /* ')' */
    *rank = r;
    return SEQRT_OK;
}

typedef struct np_header {
    seqrt_dtype dtype;
    int rank;
    int64_t dims[SEQRT_MAX_RANK];
    int64_t count;
    size_t data_off; /* from the start of the file */
} np_header;

static seqrt_status np_check_descr(const char *what, const char *d, size_t n, seqrt_dtype *out)
{
    char shown[64];
    np_printable(shown, sizeof shown, d, n);
    if (n == 3) {
        /* '<' is little-endian; '=' (native) and '|' (not applicable) are
         * little-endian too on a little-endian host. */
        bool le = d[0] == '<' || ((d[0] == '=' || d[0] == '|') && np_host_le());
        if (le && !memcmp(d + 1, "f4", 2)) {
            *out = SEQRT_F32;
            return SEQRT_OK;
        }
        if (le && !memcmp(d + 1, "i4", 2)) {
            *out = SEQRT_I32;
            return SEQRT_OK;
        }
        if (le && !memcmp(d + 1, "i8", 2)) {
            *out = SEQRT_I64;
            return SEQRT_OK;
        }
        if (d[0] == '>' && (!memcmp(d + 1, "f4", 2) || !memcmp(d + 1, "i4", 2) ||
                            !memcmp(d + 1, "i8", 2)))
            return sq_error(SEQRT_ERR_PARSE,
                            "%s: dtype '%s' is big-endian, which is not supported (%s; e.g. "
                            "a.astype(a.dtype.newbyteorder('<')))",
                            what, shown, NPY_SUPPORTED);
    }
    return sq_error(SEQRT_ERR_PARSE, "%s: dtype '%s' is not supported (%s)", what, shown,
                    NPY_SUPPORTED);
}

static seqrt_status np_parse_dict(np_parser *P, np_header *h)
{
    seqrt_status st;
    bool have_descr = false, have_fortran = false, have_shape = false, fortran = false;
    const char *descr = NULL;
    size_t descr_len = 0;

    np_ws(P);
    if (!np_peek(P, '{')) return np_syntax(P, "'{'");
    P->i++;
    for (;;) {
        np_ws(P);
        if (np_peek(P, '}')) break;
        const char *key;
        size_t klen;
        if ((st = np_string(P, &key, &klen)) != SEQRT_OK) return st;
        np_ws(P);
        if (!np_peek(P, ':')) return np_syntax(P, "':'");
        P->i++;
        np_ws(P);
        bool *have;
        if (klen == 5 && !memcmp(key, "descr", 5)) {
            have = &have_descr;
            if (np_peek(P, '[') || np_peek(P, '('))
                return sq_error(SEQRT_ERR_PARSE,
                                "%s: structured dtype (a list 'descr') is not supported (%s)",
                                P->what, NPY_SUPPORTED);
            if ((st = np_string(P, &descr, &descr_len)) != SEQRT_OK) return st;
        } else if (klen == 13 && !memcmp(key, "fortran_order", 13)) {
            have = &have_fortran;
            if (np_word(P, "True")) fortran = true;
            else if (np_word(P, "False")) fortran = false;
            else return np_syntax(P, "True or False for 'fortran_order'");
        } else if (klen == 5 && !memcmp(key, "shape", 5)) {
            have = &have_shape;
            if ((st = np_shape(P, &h->rank, h->dims)) != SEQRT_OK) return st;
        } else {
            char k[64];
            return sq_error(SEQRT_ERR_PARSE,
                            "%s: malformed header: unknown key '%s' (expected 'descr', "
                            "'fortran_order' and 'shape')",
                            P->what, np_printable(k, sizeof k, key, klen));
        }
        if (*have) {
            char k[64];
            return sq_error(SEQRT_ERR_PARSE, "%s: malformed header: duplicate key '%s'", P->what,
                            np_printable(k, sizeof k, key, klen));
        }
        *have = true;
        np_ws(P);
        if (np_peek(P, ',')) P->i++;
        else if (!np_peek(P, '}')) return np_syntax(P, "',' or '}'");
    }
    P->i++; /* '}' */
    np_ws(P);
    if (P->i != P->n) return np_syntax(P, "the end of the header after '}'");
    if (!have_descr || !have_fortran || !have_shape)
        return sq_error(SEQRT_ERR_PARSE, "%s: malformed header: missing key '%s'", P->what,
                        !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");

    if ((st = np_check_descr(P->what, descr, descr_len, &h->dtype)) != SEQRT_OK) return st;
    if (fortran)
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: fortran_order True is not supported (C order only; save "
                        "np.ascontiguousarray(a))",
                        P->what);
    if (!sq_dims_count(h->rank, h->dims, &h->count))
        return sq_error(SEQRT_ERR_LIMIT, "%s: shape has more than %lld elements", P->what,
                        (long long)SQ_MAX_ELEMENTS);
    return SEQRT_OK;
}

/* Checks everything but copies nothing. */
static seqrt_status np_parse_header(const uint8_t *buf, size_t len, const char *what, np_header *h)
{
    memset(h, 0, sizeof *h);
    if (len < NPY_MAGIC_LEN + 4 || memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        if (len >= NPY_MAGIC_LEN && memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN) == 0)
            return sq_error(SEQRT_ERR_PARSE, "%s: truncated .npy header (%zu bytes)", what, len);
        return sq_error(SEQRT_ERR_PARSE, "%s: not a .npy file (no \\x93NUMPY magic)", what);
    }
    unsigned major = buf[6], minor = buf[7];
    size_t off;
    uint64_t hlen;
    if (major == 1 && minor == 0) {
        hlen = (uint64_t)buf[8] | (uint64_t)buf[9] << 8;
        off = 10;
    } else if ((major == 2 || major == 3) && minor == 0) {
        if (len < 12)
            return sq_error(SEQRT_ERR_PARSE, "%s: truncated .npy header (%zu bytes)", what, len);
        hlen = (uint64_t)buf[8] | (uint64_t)buf[9] << 8 | (uint64_t)buf[10] << 16 |
               (uint64_t)buf[11] << 24;
        off = 12;
    } else {
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: .npy version %u.%u is not supported (1.0, 2.0 or 3.0)", what, major,
                        minor);
    }
    if (hlen > (uint64_t)(len - off))
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: header length %llu is past the end of the file (%zu bytes)", what,
                        (unsigned long long)hlen, len);

    np_parser P = {.s = (const char *)buf + off, .n = (size_t)hlen, .i = 0, .what = what};
    seqrt_status st = np_parse_dict(&P, h);
    if (st != SEQRT_OK) return st;

    h->data_off = off + (size_t)hlen;
    size_t have = len - h->data_off;
    uint64_t need = (uint64_t)h->count * sq_dtype_size(h->dtype); /* count <= 2^34 */
    if ((uint64_t)have < need)
        return sq_error(SEQRT_ERR_PARSE, "%s: truncated: %zu bytes of data, %llu expected", what,
                        have, (unsigned long long)need);
    if ((uint64_t)have > need)
        return sq_error(SEQRT_ERR_PARSE,
                        "%s: %llu unexpected bytes after the data (%zu bytes of data, %llu "
                        "expected)",
                        what, (unsigned long long)(have - need), have, (unsigned long long)need);
    return SEQRT_OK;
}

static void np_fill(sq_npy *out, const np_header *h, void *data)
{
    out->dtype = h->dtype;
    out->rank = h->rank;
    memset(out->dims, 0, sizeof out->dims);
    memcpy(out->dims, h->dims, sizeof(int64_t) * (size_t)h->rank);
    out->data = data;
}

seqrt_status sq_npy_parse(const uint8_t *buf, size_t len, const char *what, sq_npy *out)
{
    if (!out || (!buf && len))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "sq_npy_parse: NULL argument");
    memset(out, 0, sizeof *out);
    if (!what) what = "npy";
    np_header h;
    seqrt_status st = np_parse_header(buf, len, what, &h);
    if (st != SEQRT_OK) return st;
    size_t bytes = (size_t)h.count * sq_dtype_size(h.dtype); /* <= len */
    void *data = sq_malloc(bytes);
    if (!data)
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "%s: out of memory for %zu bytes", what, bytes);
    memcpy(data, buf + h.data_off, bytes);
    if (!np_host_le()) np_swap(data, h.count, sq_dtype_size(h.dtype));
    np_fill(out, &h, data);
    return SEQRT_OK;
}

seqrt_status sq_npy_load(const char *path, sq_npy *out)
{
    if (!path || !out) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "sq_npy_load: NULL argument");
    memset(out, 0, sizeof *out);
    uint8_t *buf;
    size_t len;
    seqrt_status st = sq_read_file(path, SQ_NPY_MAX_BYTES, &buf, &len);
    if (st != SEQRT_OK) return st;
    np_header h;
    st = np_parse_header(buf, len, path, &h);
    if (st != SEQRT_OK) {
        sq_free(buf);
        return st;
    }
    /* Reuse the file buffer: slide the data to its start and shrink it. */
    size_t bytes = (size_t)h.count * sq_dtype_size(h.dtype);
    memmove(buf, buf + h.data_off, bytes);
    uint8_t *shrunk = sq_realloc(buf, bytes);
    if (shrunk) buf = shrunk; /* on failure the larger block is still valid */
    if (!np_host_le()) np_swap(buf, h.count, sq_dtype_size(h.dtype));
    np_fill(out, &h, buf);
    return SEQRT_OK;
}

void sq_npy_free(sq_npy *npy)
{
    if (!npy) return;
    sq_free(npy->data);
    npy->data = NULL;
    npy->rank = 0;
}

/* ------------------------------------------------------------ writer */

static bool np_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        size_t chunk = n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n;
        ssize_t k = write(fd, b, chunk);
        if (k < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (k == 0) {
            errno = EIO;
            return false;
        }
        b += k;
        n -= (size_t)k;
    }
    return true;
}

/* Data in little-endian order, converted through a bounded buffer on a
 * big-endian host. */
static bool np_write_data(int fd, const void *data, int64_t count, size_t size)
{
    if (np_host_le()) return np_write_all(fd, data, (size_t)count * size);
    uint8_t tmp[4096];
    const uint8_t *p = data;
    int64_t per = (int64_t)(sizeof tmp / size);
    for (int64_t i = 0; i < count; i += per) {
        int64_t m = count - i < per ? count - i : per;
        memcpy(tmp, p + (size_t)i * size, (size_t)m * size);
        np_swap(tmp, m, size);
        if (!np_write_all(fd, tmp, (size_t)m * size)) return false;
    }
    return true;
}

/* Builds the header (magic through '\n'); returns its length or 0. */
static size_t np_build_header(char *out, size_t cap, seqrt_dtype dtype, int rank,
                              const int64_t *dims)
{
    char dict[512];
    const char *descr = dtype == SEQRT_F32 ? "<f4" : dtype == SEQRT_I32 ? "<i4" : "<i8";
    size_t n = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                                descr);
    for (int i = 0; i < rank; i++)
        n += (size_t)snprintf(dict + n, sizeof dict - n, "%s%lld", i ? ", " : "",
                              (long long)dims[i]);
    n += (size_t)snprintf(dict + n, sizeof dict - n, "%s), }", rank == 1 ? "," : "");
    if (n >= sizeof dict) return 0;

    /* Version 1.0 unless the header length does not fit in 16 bits. */
    int version = 1;
    size_t prefix = NPY_MAGIC_LEN + 2 + 2;
    size_t total = prefix + n + 1;
    total += (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN;
    if (total - prefix > 0xFFFF) {
        version = 2;
        prefix = NPY_MAGIC_LEN + 2 + 4;
        total = prefix + n + 1;
        total += (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN;
    }
    if (total > cap) return 0;
    size_t hlen = total - prefix;
    memcpy(out, NPY_MAGIC, NPY_MAGIC_LEN);
    out[6] = (char)version;
    out[7] = 0;
    for (size_t k = 0; k < prefix - 8; k++) out[8 + k] = (char)((hlen >> (8 * k)) & 0xFF);
    memcpy(out + prefix, dict, n);
    memset(out + prefix + n, ' ', total - prefix - n - 1);
    out[total - 1] = '\n';
    return total;
}

/* Creates a new temporary file beside `path`, named "<path>.tmp.<random>"
 * into `tmp` (room for strlen(path) + 32). Plain open(O_CREAT | O_EXCL, 0666),
 * unlike mkstemp's 0600, so the final file gets the usual umask-based mode. */
static int np_open_temp(const char *path, char *tmp)
{
    static _Atomic unsigned long counter;
    size_t cap = strlen(path) + 32;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (int attempt = 0; attempt < 100; attempt++) {
        uint64_t x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
                     ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)tmp ^
                     (uint64_t)(counter++ * 0x9E3779B97F4A7C15ull);
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 29;
        snprintf(tmp, cap, "%s.tmp.%012llx", path, (unsigned long long)(x & 0xFFFFFFFFFFFFull));
        int fd;
        do {
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        } while (fd < 0 && errno == EINTR);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

seqrt_status sq_npy_save(const char *path, seqrt_dtype dtype, int rank, const int64_t *dims,
                         const void *data)
{
    if (!path || !*path) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "sq_npy_save: no path");
    if (dtype != SEQRT_F32 && dtype != SEQRT_I32 && dtype != SEQRT_I64)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: unknown dtype %d", path, (int)dtype);
    if (rank < 0 || rank > SEQRT_MAX_RANK || (rank > 0 && !dims))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: rank %d is not in [0, %d]", path, rank,
                        SEQRT_MAX_RANK);
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0)
            return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: dimension %d is negative (%lld)",
                            path, i, (long long)dims[i]);
    int64_t count;
    if (!sq_dims_count(rank, dims, &count))
        return sq_error(SEQRT_ERR_LIMIT, "%s: more than %lld elements", path,
                        (long long)SQ_MAX_ELEMENTS);
    if (count > 0 && !data)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: NULL data", path);

    char header[1024];
    size_t hn = np_build_header(header, sizeof header, dtype, rank, dims);
    if (hn == 0) return sq_error(SEQRT_ERR_INTERNAL, "%s: .npy header does not fit", path);

    char *tmp = sq_malloc(strlen(path) + 32);
    if (!tmp) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    int fd = np_open_temp(path, tmp);
    if (fd < 0) {
        int e = errno;
        sq_free(tmp);
        return sq_error(SEQRT_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
                        strerror(e));
    }
    bool ok = np_write_all(fd, header, hn) && np_write_data(fd, data, count, sq_dtype_size(dtype));
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        sq_free(tmp);
        return sq_error(SEQRT_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        sq_free(tmp);
        return sq_error(SEQRT_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    sq_free(tmp);
    return SEQRT_OK;
}
