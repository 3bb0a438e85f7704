/*
 * .npy reader/writer tests: every accepted form, every rejected form (status
 * and message), round trips through files, and failed saves leaving nothing.
 * The ref_* arrays were written once by numpy 1.24 (np.save and
 * numpy.lib.format.write_array); no Python is needed to run these tests.
 */
#define _DEFAULT_SOURCE

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "formats.h"

/* np.save(np.array([[1.5, -2, 0], [3.25, 1e-3, -0.0]], dtype='<f4')) */
static const uint8_t ref_f4_v1[152] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73, 0x63,
    0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x66, 0x34, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f, 0x72, 0x74,
    0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46, 0x61, 0x6c, 0x73,
    0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20, 0x28, 0x32, 0x2c, 0x20,
    0x33, 0x29, 0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a,
    0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x40,
    0x6f, 0x12, 0x83, 0x3a, 0x00, 0x00, 0x00, 0x80,
};
/* write_array(np.array([-1, 2**40, 7], '<i8'), version=(2, 0)) */
static const uint8_t ref_i8_v2[152] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x02, 0x00, 0x74, 0x00, 0x00, 0x00, 0x7b, 0x27, 0x64, 0x65,
    0x73, 0x63, 0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x69, 0x38, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f,
    0x72, 0x74, 0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46, 0x61,
    0x6c, 0x73, 0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20, 0x28, 0x33,
    0x2c, 0x29, 0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* write_array(np.array(-5, '<i4'), version=(3, 0)) */
static const uint8_t ref_i4_v3[132] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x03, 0x00, 0x74, 0x00, 0x00, 0x00, 0x7b, 0x27, 0x64, 0x65,
    0x73, 0x63, 0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x69, 0x34, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f,
    0x72, 0x74, 0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46, 0x61,
    0x6c, 0x73, 0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20, 0x28, 0x29,
    0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a,
    0xfb, 0xff, 0xff, 0xff,
};

#define EXPECT_ERR(call, code, sub)                                                              \
    do {                                                                                         \
        seqrt_status st_ = (call);                                                               \
        cr_assert_eq(st_, (code), "status %d, expected %d (message: %s)", (int)st_, (int)(code), \
                     seqrt_last_error());                                                        \
        cr_assert(strstr(seqrt_last_error(), (sub)) != NULL, "message \"%s\" lacks \"%s\"",      \
                  seqrt_last_error(), (sub));                                                    \
    } while (0)

#define EXPECT_OK(call)                                                                          \
    do {                                                                                         \
        seqrt_status st_ = (call);                                                               \
        cr_assert_eq(st_, SEQRT_OK, "status %d: %s", (int)st_, seqrt_last_error());              \
    } while (0)

/* ------------------------------------------------------------ helpers */

static uint8_t g_buf[1 << 16];

/* magic, version, header length, `dict` verbatim, then `dlen` bytes of data
 * (a ramp when `data` is NULL). Returns the total length. */
static size_t mk(int major, int minor, const char *dict, const void *data, size_t dlen)
{
    size_t n = strlen(dict);
    memcpy(g_buf, "\x93NUMPY", 6);
    g_buf[6] = (uint8_t)major;
    g_buf[7] = (uint8_t)minor;
    size_t off;
    if (major == 1) {
        g_buf[8] = (uint8_t)(n & 0xFF);
        g_buf[9] = (uint8_t)(n >> 8);
        off = 10;
    } else {
        for (int k = 0; k < 4; k++) g_buf[8 + k] = (uint8_t)(n >> (8 * k));
        off = 12;
    }
    memcpy(g_buf + off, dict, n);
    for (size_t i = 0; i < dlen; i++)
        g_buf[off + n + i] = data ? ((const uint8_t *)data)[i] : (uint8_t)i;
    return off + n + dlen;
}

/* Parses a version 1.0 file with `dict` and `dlen` bytes of data. */
static seqrt_status try_dict(const char *dict, size_t dlen)
{
    size_t len = mk(1, 0, dict, NULL, dlen);
    sq_npy t;
    seqrt_status st = sq_npy_parse(g_buf, len, "x.npy", &t);
    if (st == SEQRT_OK) sq_npy_free(&t);
    return st;
}

static char g_dir[256];

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/seqrt_npy_XXXXXX", base && *base ? base : "/tmp");
    cr_assert(mkdtemp(g_dir) != NULL, "mkdtemp: %s", strerror(errno));
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char sub[1024];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void teardown(void) { rm_tree(g_dir); }

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *b;
    EXPECT_OK(sq_read_file(path, (size_t)1 << 30, &b, len));
    return b;
}

/* ------------------------------------------------------------ good files */

Test(npy_good, numpy_f4_v1)
{
    sq_npy t;
    EXPECT_OK(sq_npy_parse(ref_f4_v1, sizeof ref_f4_v1, "x.npy", &t));
    cr_assert_eq(t.dtype, SEQRT_F32);
    cr_assert_eq(t.rank, 2);
    cr_assert_eq(t.dims[0], 2);
    cr_assert_eq(t.dims[1], 3);
    const float want[6] = {1.5f, -2.0f, 0.0f, 3.25f, 1e-3f, -0.0f};
    cr_assert_eq(memcmp(t.data, want, sizeof want), 0);
    sq_npy_free(&t);
    cr_assert_null(t.data);
}

Test(npy_good, numpy_i8_v2)
{
    sq_npy t;
    EXPECT_OK(sq_npy_parse(ref_i8_v2, sizeof ref_i8_v2, "x.npy", &t));
    cr_assert_eq(t.dtype, SEQRT_I64);
    cr_assert_eq(t.rank, 1);
    cr_assert_eq(t.dims[0], 3);
    const int64_t *v = t.data;
    cr_assert_eq(v[0], -1);
    cr_assert_eq(v[1], (int64_t)1 << 40);
    cr_assert_eq(v[2], 7);
    sq_npy_free(&t);
}

Test(npy_good, numpy_i4_v3_scalar)
{
    sq_npy t;
    EXPECT_OK(sq_npy_parse(ref_i4_v3, sizeof ref_i4_v3, "x.npy", &t));
    cr_assert_eq(t.dtype, SEQRT_I32);
    cr_assert_eq(t.rank, 0);
    cr_assert_eq(*(const int32_t *)t.data, -5);
    sq_npy_free(&t);
}

Test(npy_good, each_dtype_each_version)
{
    const char *descr[3] = {"<f4", "<i4", "<i8"};
    const seqrt_dtype dt[3] = {SEQRT_F32, SEQRT_I32, SEQRT_I64};
    for (int v = 1; v <= 3; v++) {
        for (int k = 0; k < 3; k++) {
            char dict[128];
            snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (2, 3), }\n",
                     descr[k]);
            size_t dlen = 6 * sq_dtype_size(dt[k]);
            size_t len = mk(v, 0, dict, NULL, dlen);
            sq_npy t;
            EXPECT_OK(sq_npy_parse(g_buf, len, "x.npy", &t));
            cr_assert_eq(t.dtype, dt[k]);
            cr_assert_eq(t.rank, 2);
            cr_assert_eq(t.dims[0], 2);
            cr_assert_eq(t.dims[1], 3);
            cr_assert_eq(memcmp(t.data, g_buf + len - dlen, dlen), 0);
            sq_npy_free(&t);
        }
    }
}

Test(npy_good, one_d_and_scalar)
{
    sq_npy t;
    size_t len = mk(1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", NULL, 20);
    EXPECT_OK(sq_npy_parse(g_buf, len, "x.npy", &t));
    cr_assert_eq(t.rank, 1);
    cr_assert_eq(t.dims[0], 5);
    sq_npy_free(&t);

    len = mk(1, 0, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }", NULL, 8);
    EXPECT_OK(sq_npy_parse(g_buf, len, "x.npy", &t));
    cr_assert_eq(t.rank, 0);
    cr_assert_eq(t.dtype, SEQRT_I64);
    sq_npy_free(&t);
}

Test(npy_good, empty_and_rank6)
{
    sq_npy t;
    size_t len = mk(1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", NULL, 0);
    EXPECT_OK(sq_npy_parse(g_buf, len, "x.npy", &t));
    cr_assert_eq(t.rank, 2);
    cr_assert_eq(t.dims[0], 0);
    cr_assert_eq(t.dims[1], 3);
    cr_assert_not_null(t.data);
    sq_npy_free(&t);

    len = mk(1, 0, "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2, 1, 2, 1, 2), }",
             NULL, 32);
    EXPECT_OK(sq_npy_parse(g_buf, len, "x.npy", &t));
    cr_assert_eq(t.rank, 6);
    cr_assert_eq(t.dims[5], 2);
    sq_npy_free(&t);
}

Test(npy_good, dict_syntax_variants)
{
    /* Any key order, double quotes, no trailing comma, extra whitespace,
     * Python 2 'L' suffixes, native and not-applicable byte orders. */
    cr_assert_eq(try_dict("{\"shape\": (2,3), \"descr\": \"<f4\", \"fortran_order\": False}", 24),
                 SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(try_dict("  {  'fortran_order' :False ,'shape':( 2 , 3 , ),'descr':'<f4',}  \n", 24),
                 SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(try_dict("{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 3L), }", 48),
                 SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(try_dict("{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }", 4),
                 SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(try_dict("{'descr': '|i4', 'fortran_order': False, 'shape': (1,), }", 4),
                 SEQRT_OK, "%s", seqrt_last_error());
    cr_assert_eq(try_dict("{'descr':'<f4','fortran_order':False,'shape':(0,)}", 0), SEQRT_OK,
                 "%s", seqrt_last_error());
    cr_assert_eq(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }\t\r\n", 40),
                 SEQRT_OK, "%s", seqrt_last_error());
}

/* ------------------------------------------------------------ bad files */

Test(npy_bad, too_short_and_magic)
{
    sq_npy t;
    EXPECT_ERR(sq_npy_parse((const uint8_t *)"", 0, "x.npy", &t), SEQRT_ERR_PARSE,
               "x.npy: not a .npy file");
    EXPECT_ERR(sq_npy_parse((const uint8_t *)"\x93NUMPY\x01", 7, "x.npy", &t), SEQRT_ERR_PARSE,
               "x.npy: truncated .npy header");
    EXPECT_ERR(sq_npy_parse((const uint8_t *)"PK\x03\x04 not numpy", 16, "x.npy", &t),
               SEQRT_ERR_PARSE, "not a .npy file");
    EXPECT_ERR(sq_npy_parse((const uint8_t *)"\x93NUMPY\x02\x00\x01\x00", 10, "x.npy", &t),
               SEQRT_ERR_PARSE, "truncated .npy header (10 bytes)");
    cr_assert_null(t.data);
}

Test(npy_bad, version)
{
    sq_npy t;
    const char *d = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
    size_t len = mk(4, 0, d, NULL, 4);
    EXPECT_ERR(sq_npy_parse(g_buf, len, "x.npy", &t), SEQRT_ERR_PARSE,
               "x.npy: .npy version 4.0 is not supported");
    len = mk(1, 1, d, NULL, 4);
    EXPECT_ERR(sq_npy_parse(g_buf, len, "x.npy", &t), SEQRT_ERR_PARSE, "version 1.1");
    len = mk(0, 0, d, NULL, 4);
    EXPECT_ERR(sq_npy_parse(g_buf, len, "x.npy", &t), SEQRT_ERR_PARSE, "version 0.0");
}

Test(npy_bad, header_length_past_end)
{
    sq_npy t;
    size_t len = mk(1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", NULL, 4);
    g_buf[8] = 0xFF;
    g_buf[9] = 0xFF;
    EXPECT_ERR(sq_npy_parse(g_buf, len, "x.npy", &t), SEQRT_ERR_PARSE,
               "header length 65535 is past the end of the file");
    len = mk(2, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", NULL, 4);
    memset(g_buf + 8, 0xFF, 4);
    EXPECT_ERR(sq_npy_parse(g_buf, len, "x.npy", &t), SEQRT_ERR_PARSE,
               "header length 4294967295 is past the end");
}

Test(npy_bad, unsupported_dtypes)
{
    EXPECT_ERR(try_dict("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", 4),
               SEQRT_ERR_PARSE, "x.npy: dtype '>f4' is big-endian, which is not supported");
    EXPECT_ERR(try_dict("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", 8),
               SEQRT_ERR_PARSE, "dtype '>i8' is big-endian");
    EXPECT_ERR(try_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 8),
               SEQRT_ERR_PARSE,
               "x.npy: dtype '<f8' is not supported (use float32 '<f4', int32 '<i4' or int64 "
               "'<i8')");
    EXPECT_ERR(try_dict("{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }", 2),
               SEQRT_ERR_PARSE, "dtype '<i2' is not supported");
    EXPECT_ERR(try_dict("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", 2),
               SEQRT_ERR_PARSE, "dtype '<f2' is not supported");
    EXPECT_ERR(try_dict("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8),
               SEQRT_ERR_PARSE, "dtype '|O' is not supported");
    EXPECT_ERR(try_dict("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }", 4),
               SEQRT_ERR_PARSE, "dtype '<u4' is not supported");
    EXPECT_ERR(try_dict("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", 1),
               SEQRT_ERR_PARSE, "dtype '|b1' is not supported");
    EXPECT_ERR(try_dict("{'descr': '<f4 ', 'fortran_order': False, 'shape': (1,), }", 4),
               SEQRT_ERR_PARSE, "dtype '<f4 ' is not supported");
    EXPECT_ERR(try_dict("{'descr': '', 'fortran_order': False, 'shape': (1,), }", 4),
               SEQRT_ERR_PARSE, "dtype '' is not supported");
    EXPECT_ERR(try_dict("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, "
                        "'shape': (1,), }",
                        8),
               SEQRT_ERR_PARSE, "x.npy: structured dtype (a list 'descr') is not supported");
    EXPECT_ERR(try_dict("{'descr': 4, 'fortran_order': False, 'shape': (1,), }", 4),
               SEQRT_ERR_PARSE, "expected a string");
}

Test(npy_bad, fortran_order)
{
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16),
               SEQRT_ERR_PARSE, "x.npy: fortran_order True is not supported");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2), }", 16),
               SEQRT_ERR_PARSE, "True or False for 'fortran_order'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2, 2), }", 16),
               SEQRT_ERR_PARSE, "True or False");
}

Test(npy_bad, shapes)
{
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", 12),
               SEQRT_ERR_PARSE, "'shape' (3) is an integer, not a tuple");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4),
               SEQRT_ERR_PARSE, "expected a non-negative integer");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }", 8),
               SEQRT_ERR_PARSE, "expected ',' or ')' in 'shape'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", 24),
               SEQRT_ERR_PARSE, "expected ',' or ')'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (,), }", 4),
               SEQRT_ERR_PARSE, "expected a non-negative integer");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,,), }", 4),
               SEQRT_ERR_PARSE, "expected a non-negative integer");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (01,), }", 4),
               SEQRT_ERR_PARSE, "without leading zeros");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", 24),
               SEQRT_ERR_PARSE, "expected a tuple for 'shape'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", 24),
               SEQRT_ERR_PARSE, "expected ',' or ')' in 'shape' at its end (byte 55)");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1), }",
                        4),
               SEQRT_ERR_LIMIT, "x.npy: shape has more than 6 dimensions");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
                        4),
               SEQRT_ERR_LIMIT, "too large for int64");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, "
                        "4294967296), }",
                        4),
               SEQRT_ERR_LIMIT, "x.npy: shape has more than 17179869184 elements");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (17179869185,), }", 4),
               SEQRT_ERR_LIMIT, "more than 17179869184 elements");
}

Test(npy_bad, dict_syntax)
{
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False}", 4), SEQRT_ERR_PARSE,
               "missing key 'shape'");
    EXPECT_ERR(try_dict("{'shape': (1,), 'fortran_order': False}", 4), SEQRT_ERR_PARSE,
               "missing key 'descr'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'shape': (1,)}", 4), SEQRT_ERR_PARSE,
               "missing key 'fortran_order'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (1,)}", 4),
               SEQRT_ERR_PARSE, "duplicate key 'shape'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", 4),
               SEQRT_ERR_PARSE, "unknown key 'extra'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", 4),
               SEQRT_ERR_PARSE, "expected the end of the header after '}'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}}", 4),
               SEQRT_ERR_PARSE, "expected the end of the header");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4),
               SEQRT_ERR_PARSE, "expected ',' or '}'");
    EXPECT_ERR(try_dict("{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", 4),
               SEQRT_ERR_PARSE, "expected ',' or '}'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,),,}", 4),
               SEQRT_ERR_PARSE, "expected a string");
    EXPECT_ERR(try_dict("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", 4),
               SEQRT_ERR_PARSE, "expected");
    EXPECT_ERR(try_dict("{'descr: '<f4', 'fortran_order': False, 'shape': (1,)}", 4),
               SEQRT_ERR_PARSE, "expected ':'");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x", 4),
               SEQRT_ERR_PARSE, "expected the end of a string");
    EXPECT_ERR(try_dict("{'de\\x73cr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4),
               SEQRT_ERR_PARSE, "no escapes");
    EXPECT_ERR(try_dict("{'descr\": '<f4', 'fortran_order': False, 'shape': (1,)}", 4),
               SEQRT_ERR_PARSE, "expected");
    EXPECT_ERR(try_dict("['descr', '<f4']", 4), SEQRT_ERR_PARSE, "expected '{'");
    EXPECT_ERR(try_dict("", 4), SEQRT_ERR_PARSE, "expected '{'");
    EXPECT_ERR(try_dict("{}", 4), SEQRT_ERR_PARSE, "missing key 'descr'");
}

Test(npy_bad, nul_and_binary_in_header)
{
    static const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\0\0";
    memcpy(g_buf, "\x93NUMPY\x01\x00", 8);
    g_buf[8] = (uint8_t)(sizeof dict - 1);
    g_buf[9] = 0;
    memcpy(g_buf + 10, dict, sizeof dict - 1);
    memset(g_buf + 10 + sizeof dict - 1, 0, 4);
    sq_npy t;
    EXPECT_ERR(sq_npy_parse(g_buf, 10 + sizeof dict - 1 + 4, "x.npy", &t), SEQRT_ERR_PARSE,
               "expected the end of the header after '}'");
    /* Control bytes in a descr are shown as '?', never raw. */
    EXPECT_ERR(try_dict("{'descr': '<\x01\x1b', 'fortran_order': False, 'shape': (1,)}", 4),
               SEQRT_ERR_PARSE, "dtype '<?" "?' is not supported");
}

Test(npy_bad, data_length)
{
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }", 100),
               SEQRT_ERR_PARSE, "x.npy: truncated: 100 bytes of data, 400 expected");
    EXPECT_ERR(try_dict("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", 0),
               SEQRT_ERR_PARSE, "truncated: 0 bytes of data, 8 expected");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 17),
               SEQRT_ERR_PARSE, "x.npy: 1 unexpected bytes after the data (17 bytes of data, 16 expected)");
    EXPECT_ERR(try_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", 3),
               SEQRT_ERR_PARSE, "3 unexpected bytes");
    /* A huge shape with a tiny file is a truncation, not an allocation. */
    EXPECT_ERR(try_dict("{'descr': '<i8', 'fortran_order': False, 'shape': (1024, 1024, 1024), }",
                        8),
               SEQRT_ERR_PARSE, "truncated: 8 bytes of data, 8589934592 expected");
}

Test(npy_bad, null_arguments)
{
    sq_npy t;
    EXPECT_ERR(sq_npy_parse(NULL, 4, "x.npy", &t), SEQRT_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(sq_npy_parse(ref_f4_v1, sizeof ref_f4_v1, "x.npy", NULL),
               SEQRT_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(sq_npy_load(NULL, &t), SEQRT_ERR_INVALID_ARGUMENT, "NULL");
    sq_npy_free(NULL);
}

/* ------------------------------------------------------------ files */

TestSuite(npy_files, .init = setup, .fini = teardown);

Test(npy_files, load_numpy_file)
{
    char p[512];
    snprintf(p, sizeof p, "%s/ref.npy", g_dir);
    write_bytes(p, ref_i8_v2, sizeof ref_i8_v2);
    sq_npy t;
    EXPECT_OK(sq_npy_load(p, &t));
    cr_assert_eq(t.dtype, SEQRT_I64);
    cr_assert_eq(t.rank, 1);
    cr_assert_eq(((const int64_t *)t.data)[1], (int64_t)1 << 40);
    sq_npy_free(&t);
}

Test(npy_files, load_errors_name_the_path)
{
    char p[512];
    sq_npy t;
    snprintf(p, sizeof p, "%s/missing.npy", g_dir);
    EXPECT_ERR(sq_npy_load(p, &t), SEQRT_ERR_IO, "missing.npy: cannot open: No such file");
    EXPECT_ERR(sq_npy_load(g_dir, &t), SEQRT_ERR_IO, "Is a directory");

    snprintf(p, sizeof p, "%s/fifo.npy", g_dir);
    cr_assert_eq(mkfifo(p, 0600), 0);
    EXPECT_ERR(sq_npy_load(p, &t), SEQRT_ERR_IO, "fifo.npy: cannot read: not a regular file");

    snprintf(p, sizeof p, "%s/empty.npy", g_dir);
    write_bytes(p, "", 0);
    EXPECT_ERR(sq_npy_load(p, &t), SEQRT_ERR_PARSE, "empty.npy: not a .npy file");

    snprintf(p, sizeof p, "%s/short.npy", g_dir);
    write_bytes(p, ref_f4_v1, sizeof ref_f4_v1 - 4);
    EXPECT_ERR(sq_npy_load(p, &t), SEQRT_ERR_PARSE, "short.npy: truncated: 20 bytes of data, 24 expected");
    cr_assert_null(t.data);
}

Test(npy_files, read_file_limit)
{
    char p[512];
    snprintf(p, sizeof p, "%s/big.bin", g_dir);
    write_bytes(p, ref_f4_v1, sizeof ref_f4_v1);
    uint8_t *b = (uint8_t *)1;
    size_t n = 7;
    EXPECT_ERR(sq_read_file(p, 100, &b, &n), SEQRT_ERR_LIMIT,
               "big.bin: file is 152 bytes, more than the limit of 100 bytes");
    cr_assert_null(b);
    cr_assert_eq(n, 0);
    EXPECT_OK(sq_read_file(p, 152, &b, &n));
    cr_assert_eq(n, 152);
    cr_assert_eq(memcmp(b, ref_f4_v1, 152), 0);
    sq_free(b);
}

static void check_round_trip(seqrt_dtype dtype, int rank, const int64_t *dims)
{
    char p[512];
    snprintf(p, sizeof p, "%s/rt.npy", g_dir);
    int64_t count = 1;
    for (int i = 0; i < rank; i++) count *= dims[i];
    size_t esz = sq_dtype_size(dtype);
    uint8_t *data = malloc((size_t)count * esz + 1);
    for (size_t i = 0; i < (size_t)count * esz; i++) data[i] = (uint8_t)(i * 37 + 11);
    EXPECT_OK(sq_npy_save(p, dtype, rank, dims, data));

    size_t len;
    uint8_t *raw = slurp(p, &len);
    cr_assert_eq(raw[6], 1);
    cr_assert_eq(raw[7], 0);
    size_t hlen = raw[8] | (size_t)raw[9] << 8;
    cr_assert_eq((10 + hlen) % 64, 0, "data starts at %zu", 10 + hlen);
    cr_assert_eq(raw[10 + hlen - 1], '\n');
    cr_assert_eq(len, 10 + hlen + (size_t)count * esz);
    sq_free(raw);

    sq_npy t;
    EXPECT_OK(sq_npy_load(p, &t));
    cr_assert_eq(t.dtype, dtype);
    cr_assert_eq(t.rank, rank);
    for (int i = 0; i < rank; i++) cr_assert_eq(t.dims[i], dims[i]);
    cr_assert_eq(memcmp(t.data, data, (size_t)count * esz), 0);
    sq_npy_free(&t);
    free(data);
    cr_assert_eq(count_entries(g_dir), 1, "a temporary file was left behind");
}

Test(npy_files, round_trip)
{
    const int64_t d2[2] = {3, 4}, d1[1] = {5}, d6[6] = {2, 1, 3, 1, 2, 2}, d0[2] = {0, 7};
    const int64_t dbig[3] = {1000000000000, 0, 123456789};
    for (int k = 0; k < 3; k++) {
        seqrt_dtype dt = k == 0 ? SEQRT_F32 : k == 1 ? SEQRT_I32 : SEQRT_I64;
        check_round_trip(dt, 2, d2);
        check_round_trip(dt, 1, d1);
        check_round_trip(dt, 0, NULL);
        check_round_trip(dt, 6, d6);
        check_round_trip(dt, 2, d0);
        check_round_trip(dt, 3, dbig);
    }
}

Test(npy_files, save_header_is_numpy_style)
{
    char p[512];
    snprintf(p, sizeof p, "%s/h.npy", g_dir);
    const int64_t d1[1] = {3};
    const float v[3] = {1, 2, 3};
    EXPECT_OK(sq_npy_save(p, SEQRT_F32, 1, d1, v));
    size_t len;
    uint8_t *raw = slurp(p, &len);
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    cr_assert_eq(memcmp(raw + 10, want, strlen(want)), 0);
    sq_free(raw);

    EXPECT_OK(sq_npy_save(p, SEQRT_I64, 0, NULL, &(int64_t){42}));
    raw = slurp(p, &len);
    want = "{'descr': '<i8', 'fortran_order': False, 'shape': (), }";
    cr_assert_eq(memcmp(raw + 10, want, strlen(want)), 0);
    cr_assert_eq(len, 128 + 8);
    sq_free(raw);

    const int64_t d3[3] = {1, 2, 0};
    EXPECT_OK(sq_npy_save(p, SEQRT_I32, 3, d3, NULL));
    raw = slurp(p, &len);
    want = "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2, 0), }";
    cr_assert_eq(memcmp(raw + 10, want, strlen(want)), 0);
    cr_assert_eq(len, 128);
    sq_free(raw);
}

Test(npy_files, save_replaces_existing)
{
    char p[512];
    snprintf(p, sizeof p, "%s/o.npy", g_dir);
    write_bytes(p, "old contents", 12);
    const int64_t d1[1] = {2};
    const int32_t v[2] = {7, -7};
    EXPECT_OK(sq_npy_save(p, SEQRT_I32, 1, d1, v));
    sq_npy t;
    EXPECT_OK(sq_npy_load(p, &t));
    cr_assert_eq(((int32_t *)t.data)[1], -7);
    sq_npy_free(&t);
    cr_assert_eq(count_entries(g_dir), 1);
}

Test(npy_files, failed_save_leaves_nothing)
{
    const int64_t d1[1] = {2};
    const float v[2] = {1, 2};
    char p[512];

    /* Directory does not exist. */
    snprintf(p, sizeof p, "%s/nodir/x.npy", g_dir);
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 1, d1, v), SEQRT_ERR_IO, "nodir/x.npy: cannot create");
    cr_assert(strstr(seqrt_last_error(), "No such file or directory"));

    /* Parent is a regular file. */
    char f[512];
    snprintf(f, sizeof f, "%s/file", g_dir);
    write_bytes(f, "x", 1);
    snprintf(p, sizeof p, "%s/file/x.npy", g_dir);
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 1, d1, v), SEQRT_ERR_IO, "Not a directory");

    /* Target is a directory: the rename fails, the temporary is removed. */
    snprintf(p, sizeof p, "%s/adir", g_dir);
    cr_assert_eq(mkdir(p, 0700), 0);
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 1, d1, v), SEQRT_ERR_IO, "adir: cannot write");
    cr_assert_eq(count_entries(g_dir), 2, "only 'file' and 'adir' may remain");
    cr_assert_eq(count_entries(p), 0);
}

Test(npy_files, failed_save_unwritable_dir)
{
    if (geteuid() == 0) cr_skip_test("running as root: permissions are not enforced");
    char d[512], p[600];
    snprintf(d, sizeof d, "%s/ro", g_dir);
    cr_assert_eq(mkdir(d, 0500), 0);
    snprintf(p, sizeof p, "%s/x.npy", d);
    const int64_t d1[1] = {2};
    const float v[2] = {1, 2};
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 1, d1, v), SEQRT_ERR_IO, "Permission denied");
    cr_assert_eq(count_entries(d), 0);
}

Test(npy_files, failed_write_removes_temp)
{
    /* A file-size limit makes write() fail part-way (EFBIG). */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {100, 100};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/big.npy", g_dir);
    const int64_t d1[1] = {1000};
    float *v = calloc(1000, sizeof *v);
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 1, d1, v), SEQRT_ERR_IO, "big.npy: cannot write: File too large");
    free(v);
    cr_assert_eq(count_entries(g_dir), 0);
}

Test(npy_files, save_bad_arguments)
{
    char p[512];
    snprintf(p, sizeof p, "%s/a.npy", g_dir);
    const int64_t neg[2] = {2, -1}, huge[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
    const int64_t seven[7] = {1, 1, 1, 1, 1, 1, 1};
    const float v[2] = {0};
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 2, neg, v), SEQRT_ERR_INVALID_ARGUMENT,
               "dimension 1 is negative");
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 2, huge, v), SEQRT_ERR_LIMIT, "more than");
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 7, seven, v), SEQRT_ERR_INVALID_ARGUMENT,
               "rank 7 is not in [0, 6]");
    EXPECT_ERR(sq_npy_save(p, (seqrt_dtype)9, 1, seven, v), SEQRT_ERR_INVALID_ARGUMENT,
               "unknown dtype");
    EXPECT_ERR(sq_npy_save(p, SEQRT_F32, 1, seven, NULL), SEQRT_ERR_INVALID_ARGUMENT,
               "NULL data");
    EXPECT_ERR(sq_npy_save(NULL, SEQRT_F32, 1, seven, v), SEQRT_ERR_INVALID_ARGUMENT, "no path");
    cr_assert_eq(count_entries(g_dir), 0);
}

#ifdef SEQRT_FAULT_INJECTION
long sq_fault_alloc_set(long fail_at);

/* Fails each allocation in turn: the call either succeeds (a failed shrink
 * is harmless) or reports SEQRT_ERR_OUT_OF_MEMORY, never crashes or leaks. */
Test(npy_files, allocation_failures)
{
    char p[512];
    snprintf(p, sizeof p, "%s/f.npy", g_dir);
    const int64_t d2[2] = {2, 2};
    const float v[4] = {1, 2, 3, 4};
    EXPECT_OK(sq_npy_save(p, SEQRT_F32, 2, d2, v));
    for (long k = 1;; k++) {
        sq_fault_alloc_set(k);
        sq_npy t;
        seqrt_status st = sq_npy_load(p, &t);
        long used = sq_fault_alloc_set(0);
        if (st == SEQRT_OK) {
            cr_assert_eq(memcmp(t.data, v, sizeof v), 0);
            sq_npy_free(&t);
        } else {
            cr_assert_eq(st, SEQRT_ERR_OUT_OF_MEMORY, "%s", seqrt_last_error());
        }
        if (used < k) break;
    }
    for (long k = 1;; k++) {
        sq_fault_alloc_set(k);
        seqrt_status st = sq_npy_save(p, SEQRT_F32, 2, d2, v);
        long used = sq_fault_alloc_set(0);
        if (st != SEQRT_OK) cr_assert_eq(st, SEQRT_ERR_OUT_OF_MEMORY, "%s", seqrt_last_error());
        cr_assert_eq(count_entries(g_dir), 1);
        if (used < k) break;
    }
}
#endif
