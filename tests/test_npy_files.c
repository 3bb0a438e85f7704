/*
 * .npy files: loading from disk (missing, a directory, a FIFO, empty,
 * short), round trips through files for every dtype, and failed saves
 * leaving nothing (no temporary file, the old file intact). The in-memory
 * forms are in test_npy.c; both share npy_fixture.h.
 */
#define _DEFAULT_SOURCE
#include "npy_fixture.h"

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
