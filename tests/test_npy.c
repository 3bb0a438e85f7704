/*
 * .npy reader tests: every accepted form (the arrays numpy wrote, every
 * dtype, version and header spelling) and every rejected form (status and
 * message). Files, round trips and failed saves are in test_npy_files.c;
 * both share npy_fixture.h.
 */
#define _DEFAULT_SOURCE
#include "npy_fixture.h"

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
