/*
 * safetensors reader tests: every accepted form (F32, F16 and BF16 with
 * their special values, scalars, empty tensors, metadata), and every
 * rejected form with its status and message.
 */
#define _DEFAULT_SOURCE

#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats.h"

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

/* 8-byte length, `json`, then `dlen` bytes of `data` (a ramp when NULL). */
static size_t mk(const char *json, const void *data, size_t dlen)
{
    size_t n = strlen(json);
    for (int k = 0; k < 8; k++) g_buf[k] = (uint8_t)((uint64_t)n >> (8 * k));
    memcpy(g_buf + 8, json, n);
    for (size_t i = 0; i < dlen; i++)
        g_buf[8 + n + i] = data ? ((const uint8_t *)data)[i] : (uint8_t)i;
    return 8 + n + dlen;
}

static seqrt_status try_st(const char *json, size_t dlen)
{
    size_t len = mk(json, NULL, dlen);
    sq_weight *w = (sq_weight *)1;
    int n = -1;
    seqrt_status st = sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n);
    if (st == SEQRT_OK) {
        sq_weights_free(w, n);
    } else {
        cr_assert_null(w);
        cr_assert_eq(n, 0);
    }
    return st;
}

static uint32_t bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* ------------------------------------------------------------ good files */

Test(st_good, f32_two_tensors)
{
    const float v[8] = {1, 2, 3, 4, 5, 6, -0.5f, 1e30f};
    size_t len = mk("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                    "\"a.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}",
                    v, sizeof v);
    sq_weight *w;
    int n;
    EXPECT_OK(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n));
    cr_assert_eq(n, 2);
    cr_assert_str_eq(w[0].name, "a.weight");
    cr_assert_eq(w[0].rank, 2);
    cr_assert_eq(w[0].dims[0], 2);
    cr_assert_eq(w[0].dims[1], 3);
    cr_assert_eq(w[0].count, 6);
    cr_assert_not(w[0].used);
    cr_assert_eq(memcmp(w[0].data, v, 24), 0);
    cr_assert_str_eq(w[1].name, "a.bias");
    cr_assert_eq(w[1].rank, 1);
    cr_assert_eq(w[1].count, 2);
    cr_assert_eq(w[1].data[0], -0.5f);
    cr_assert_eq(w[1].data[1], 1e30f);
    cr_assert_not(w[1].used);
    sq_weights_free(w, n);
}

Test(st_good, f16_conversion)
{
    static const struct {
        uint16_t h;
        uint32_t f;
    } cases[] = {
        {0x0000, 0x00000000}, /* +0 */
        {0x8000, 0x80000000}, /* -0 */
        {0x3C00, 0x3F800000}, /* 1 */
        {0xC000, 0xC0000000}, /* -2 */
        {0x3555, 0x3EAAA000}, /* 0.333251953125 */
        {0x7BFF, 0x477FE000}, /* 65504, largest finite */
        {0x0400, 0x38800000}, /* 2^-14, smallest normal */
        {0x0001, 0x33800000}, /* 2^-24, smallest subnormal */
        {0x03FF, 0x387FC000}, /* 1023 * 2^-24, largest subnormal */
        {0x8200, 0xB8000000}, /* -2^-15, negative subnormal */
        {0x7C00, 0x7F800000}, /* +Inf */
        {0xFC00, 0xFF800000}, /* -Inf */
        {0x7E00, 0x7FC00000}, /* quiet NaN */
        {0x7C01, 0x7F802000}, /* signalling NaN, payload kept */
        {0xFE00, 0xFFC00000}, /* negative NaN */
    };
    enum { N = sizeof cases / sizeof cases[0] };
    uint8_t data[2 * N];
    for (int i = 0; i < N; i++) {
        data[2 * i] = (uint8_t)(cases[i].h & 0xFF);
        data[2 * i + 1] = (uint8_t)(cases[i].h >> 8);
    }
    char json[128];
    snprintf(json, sizeof json, "{\"h\":{\"dtype\":\"F16\",\"shape\":[%d],\"data_offsets\":[0,%d]}}",
             N, 2 * N);
    size_t len = mk(json, data, sizeof data);
    sq_weight *w;
    int n;
    EXPECT_OK(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n));
    cr_assert_eq(n, 1);
    cr_assert_eq(w[0].count, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(bits(w[0].data[i]), cases[i].f, "f16 0x%04x -> 0x%08x, expected 0x%08x",
                     cases[i].h, bits(w[0].data[i]), cases[i].f);
    cr_assert(isnan(w[0].data[12]));
    cr_assert(isinf(w[0].data[10]) && w[0].data[10] > 0);
    cr_assert_eq(w[0].data[7], ldexpf(1.0f, -24));
    sq_weights_free(w, n);
}

Test(st_good, bf16_conversion)
{
    static const uint16_t hs[] = {0x3F80, 0xC040, 0x0000, 0x8000, 0x7F80,
                                  0xFF80, 0x7FC0, 0x0001, 0x7F7F, 0x3EAB};
    enum { N = sizeof hs / sizeof hs[0] };
    uint8_t data[2 * N];
    for (int i = 0; i < N; i++) {
        data[2 * i] = (uint8_t)(hs[i] & 0xFF);
        data[2 * i + 1] = (uint8_t)(hs[i] >> 8);
    }
    char json[128];
    snprintf(json, sizeof json,
             "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2,%d],\"data_offsets\":[0,%d]}}", N / 2, 2 * N);
    size_t len = mk(json, data, sizeof data);
    sq_weight *w;
    int n;
    EXPECT_OK(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n));
    cr_assert_eq(w[0].rank, 2);
    cr_assert_eq(w[0].count, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(bits(w[0].data[i]), (uint32_t)hs[i] << 16, "bf16 0x%04x", hs[i]);
    cr_assert_eq(w[0].data[0], 1.0f);
    cr_assert_eq(w[0].data[1], -3.0f);
    cr_assert(isinf(w[0].data[5]) && w[0].data[5] < 0);
    cr_assert(isnan(w[0].data[6]));
    cr_assert_eq(w[0].data[7], from_bits(0x00010000)); /* subnormal */
    sq_weights_free(w, n);
}

Test(st_good, mixed_dtypes_unaligned)
{
    /* A 2-byte tensor first leaves the F32 one at an odd-aligned address. */
    uint8_t data[2 + 4];
    data[0] = 0x00;
    data[1] = 0x3C; /* f16 1.0 */
    uint32_t b = bits(-7.25f);
    for (int k = 0; k < 4; k++) data[2 + k] = (uint8_t)(b >> (8 * k));
    size_t len = mk("{\"x\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,2]},"
                    "\"y\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1],\"data_offsets\":[2,6]}}",
                    data, sizeof data);
    sq_weight *w;
    int n;
    EXPECT_OK(sq_safetensors_parse(g_buf + 0, len, "w.safetensors", &w, &n));
    cr_assert_eq(n, 2);
    cr_assert_eq(w[0].rank, 0);
    cr_assert_eq(w[0].count, 1);
    cr_assert_eq(w[0].data[0], 1.0f);
    cr_assert_eq(w[1].rank, 6);
    cr_assert_eq(w[1].data[0], -7.25f);
    sq_weights_free(w, n);
}

Test(st_good, metadata_padding_empty_tensors)
{
    /* Metadata, empty tensors (also sharing an offset), unknown fields,
     * and the space padding writers add to align the data. */
    const char *json =
        "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"caf\xc3\xa9\"},"
        "\"e1\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
        "\"e2\":{\"dtype\":\"BF16\",\"shape\":[0],\"data_offsets\":[4,4],\"extra\":[1,2]},"
        "\"s\":{\"data_offsets\":[0,4],\"shape\":[],\"dtype\":\"F32\"}}      \n  ";
    float one = 1.0f;
    size_t len = mk(json, &one, 4);
    sq_weight *w;
    int n;
    EXPECT_OK(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n));
    cr_assert_eq(n, 3);
    cr_assert_str_eq(w[0].name, "e1");
    cr_assert_eq(w[0].count, 0);
    cr_assert_eq(w[0].rank, 2);
    cr_assert_not_null(w[0].data);
    cr_assert_eq(w[1].count, 0);
    cr_assert_str_eq(w[2].name, "s");
    cr_assert_eq(w[2].rank, 0);
    cr_assert_eq(w[2].data[0], 1.0f);
    sq_weights_free(w, n);
}

Test(st_good, no_tensors)
{
    sq_weight *w = (sq_weight *)1;
    int n = -1;
    size_t len = mk("{}", NULL, 0);
    EXPECT_OK(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n));
    cr_assert_eq(n, 0);
    sq_weights_free(w, n);
    len = mk("{\"__metadata__\":{}}", NULL, 0);
    EXPECT_OK(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n));
    cr_assert_eq(n, 0);
    sq_weights_free(w, n);
    sq_weights_free(NULL, 0);
}

Test(st_good, gaps_are_tolerated)
{
    cr_assert_eq(try_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 12),
                 SEQRT_OK, "%s", seqrt_last_error());
}

/* ------------------------------------------------------------ bad files */

Test(st_bad, too_short)
{
    sq_weight *w;
    int n;
    EXPECT_ERR(sq_safetensors_parse((const uint8_t *)"\x02\0\0\0\0\0\0", 7, "w.safetensors", &w,
                                    &n),
               SEQRT_ERR_PARSE, "w.safetensors: too short for a safetensors file (7 bytes");
    EXPECT_ERR(sq_safetensors_parse(NULL, 0, "w.safetensors", &w, &n), SEQRT_ERR_PARSE,
               "too short");
}

Test(st_bad, header_length)
{
    sq_weight *w;
    int n;
    /* 2^62: a clean error, nothing of that size allocated. */
    size_t len = mk("{}", NULL, 0);
    memset(g_buf, 0, 8);
    g_buf[7] = 0x40;
    EXPECT_ERR(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n), SEQRT_ERR_PARSE,
               "w.safetensors: header length 4611686018427387904 is past the end of the file (10 "
               "bytes)");
    memset(g_buf, 0xFF, 8);
    EXPECT_ERR(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n), SEQRT_ERR_PARSE,
               "header length 18446744073709551615 is past the end");
    /* One byte too many. */
    len = mk("{}", NULL, 0);
    g_buf[0] = 3;
    EXPECT_ERR(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n), SEQRT_ERR_PARSE,
               "header length 3 is past the end of the file (10 bytes)");
    len = mk("", NULL, 4);
    EXPECT_ERR(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n), SEQRT_ERR_PARSE,
               "header length is 0");
}

Test(st_bad, header_not_json)
{
    EXPECT_ERR(try_st("{\"a\":", 0), SEQRT_ERR_PARSE, "w.safetensors: header is not valid JSON");
    EXPECT_ERR(try_st("not json", 0), SEQRT_ERR_PARSE, "header is not valid JSON (near byte 8)");
    EXPECT_ERR(try_st("[1, 2]", 0), SEQRT_ERR_PARSE, "w.safetensors: header is not a JSON object");
    EXPECT_ERR(try_st("\"str\"", 0), SEQRT_ERR_PARSE, "header is not a JSON object");
    EXPECT_ERR(try_st("{} {}", 0), SEQRT_ERR_PARSE, "header has data after its JSON object (at byte 11)");
    EXPECT_ERR(try_st("{}x", 0), SEQRT_ERR_PARSE, "data after its JSON object");
    EXPECT_ERR(try_st("{\"a\xff\":{}}", 0), SEQRT_ERR_PARSE, "header is not valid UTF-8 (at byte 11)");
    EXPECT_ERR(try_st("{\"\xc0\xaf\":{}}", 0), SEQRT_ERR_PARSE, "not valid UTF-8"); /* overlong */
    EXPECT_ERR(try_st("{\"\xed\xa0\x80\":{}}", 0), SEQRT_ERR_PARSE, "not valid UTF-8"); /* surrogate */
    EXPECT_ERR(try_st("{\"\xe2\x82\":{}}", 0), SEQRT_ERR_PARSE, "not valid UTF-8"); /* cut short */

    /* A NUL byte inside the header. */
    size_t len = mk("{\"a\":1}  ", NULL, 0);
    g_buf[8 + 8] = 0;
    sq_weight *w;
    int n;
    EXPECT_ERR(sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n), SEQRT_ERR_PARSE,
               "header has a NUL byte at offset 16");
}

Test(st_bad, entry_fields)
{
    EXPECT_ERR(try_st("{\"t\":[1]}", 0), SEQRT_ERR_PARSE,
               "w.safetensors: tensor 't': entry is not a JSON object");
    EXPECT_ERR(try_st("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), SEQRT_ERR_PARSE,
               "tensor 't': missing field \"dtype\"");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":1,\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
               SEQRT_ERR_PARSE, "tensor 't': \"dtype\" is not a string");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), SEQRT_ERR_PARSE,
               "tensor 't': missing field \"shape\"");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4),
               SEQRT_ERR_PARSE, "tensor 't': \"shape\" is not a list");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), SEQRT_ERR_PARSE,
               "tensor 't': missing field \"data_offsets\"");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                      4),
               SEQRT_ERR_PARSE, "tensor 't': duplicate field \"dtype\"");
}

Test(st_bad, dtypes)
{
    EXPECT_ERR(try_st("{\"rnn.weight_ih_l0\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE,
               "w.safetensors: tensor 'rnn.weight_ih_l0': dtype 'F64' is not supported (use F32, "
               "F16 or BF16)");
    EXPECT_ERR(try_st("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE, "tensor 'ids': dtype 'I64' is not supported");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
               SEQRT_ERR_PARSE, "dtype 'f32' is not supported");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
               SEQRT_ERR_PARSE, "dtype 'F8_E4M3' is not supported");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
               SEQRT_ERR_PARSE, "dtype '' is not supported");
}

Test(st_bad, shapes)
{
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE, "tensor 't': shape[0] is not a non-negative integer");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,-1],\"data_offsets\":[0,4]}}", 4),
               SEQRT_ERR_PARSE, "tensor 't': shape[1] is not a non-negative integer");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE, "shape[0] is not a non-negative integer");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE, "shape[0] is not");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE, "shape[0] is not a non-negative integer up to 2^53");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[9007199254740994],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE, "up to 2^53");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1e999],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE, "shape[0] is not");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4),
               SEQRT_ERR_LIMIT, "tensor 't': shape has rank 7, more than 6");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}",
                      4),
               SEQRT_ERR_LIMIT, "tensor 't': shape [4294967296, 4294967296] has more than 17179869184 elements");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[9007199254740992,9007199254740992,2],"
                      "\"data_offsets\":[0,4]}}",
                      4),
               SEQRT_ERR_LIMIT, "has more than");
}

Test(st_bad, data_offsets)
{
    EXPECT_ERR(try_st("{\"rnn.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[1024],\"data_offsets\":[0,"
                      "4096]}}",
                      2048),
               SEQRT_ERR_PARSE,
               "w.safetensors: tensor 'rnn.weight_ih_l0': data_offsets [0, 4096] end past the data "
               "(2048 bytes)");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8),
               SEQRT_ERR_PARSE, "tensor 't': data_offsets [8, 4] begin after end");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 24),
               SEQRT_ERR_PARSE,
               "tensor 't': data_offsets [0, 20] hold 20 bytes, but shape [2, 3] of F32 needs 24");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24),
               SEQRT_ERR_PARSE, "hold 24 bytes, but shape [2, 3] of F16 needs 12");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,4]}}", 4),
               SEQRT_ERR_PARSE, "hold 4 bytes, but shape [] of BF16 needs 2");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
               SEQRT_ERR_PARSE, "tensor 't': \"data_offsets\" is not a list of two non-negative integers");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8),
               SEQRT_ERR_PARSE, "\"data_offsets\" is not a list of two");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}}", 4),
               SEQRT_ERR_PARSE, "\"data_offsets\" is not a list of two");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4),
               SEQRT_ERR_PARSE, "\"data_offsets\" is not a list of two");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.5,4.5]}}", 8),
               SEQRT_ERR_PARSE, "\"data_offsets\" is not a list of two");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"a\":0,\"b\":4}}}", 4),
               SEQRT_ERR_PARSE, "\"data_offsets\" is not a list of two");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[18446744073709551612,"
                      "18446744073709551616]}}",
                      4),
               SEQRT_ERR_PARSE, "\"data_offsets\" is not a list of two");
    EXPECT_ERR(try_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9007199254740988,"
                      "9007199254740992]}}",
                      4),
               SEQRT_ERR_PARSE, "end past the data (4 bytes)");
}

Test(st_bad, names_and_overlaps)
{
    EXPECT_ERR(try_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                      12),
               SEQRT_ERR_PARSE, "w.safetensors: duplicate tensor 'a'");
    EXPECT_ERR(try_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                      8),
               SEQRT_ERR_PARSE, "tensor 'b': data_offsets [4, 8] overlap tensor 'a' [0, 8]");
    EXPECT_ERR(try_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                      "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}",
                      16),
               SEQRT_ERR_PARSE, "overlap tensor 'a'");
    /* The same bytes named twice (an amplification attack) are refused. */
    EXPECT_ERR(try_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                      8),
               SEQRT_ERR_PARSE, "overlap");
    /* Hostile names are shown printable. */
    EXPECT_ERR(try_st("{\"a\\u001b[31m\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8),
               SEQRT_ERR_PARSE, "tensor 'a?[31m': dtype 'F64'");
}

Test(st_bad, metadata)
{
    EXPECT_ERR(try_st("{\"__metadata__\":[1]}", 0), SEQRT_ERR_PARSE,
               "w.safetensors: \"__metadata__\" is not a JSON object");
    EXPECT_ERR(try_st("{\"__metadata__\":{\"k\":1}}", 0), SEQRT_ERR_PARSE,
               "\"__metadata__\" entry 'k' is not a string");
    EXPECT_ERR(try_st("{\"__metadata__\":{},\"__metadata__\":{}}", 0), SEQRT_ERR_PARSE,
               "duplicate \"__metadata__\"");
}

Test(st_bad, null_arguments)
{
    sq_weight *w;
    int n;
    EXPECT_ERR(sq_safetensors_parse(g_buf, 10, "w", NULL, &n), SEQRT_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(sq_safetensors_parse(NULL, 10, "w", &w, &n), SEQRT_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(sq_safetensors_load(NULL, &w, &n), SEQRT_ERR_INVALID_ARGUMENT, "NULL");
}

/* ------------------------------------------------------------ files */

static char g_dir[256];

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/seqrt_st_XXXXXX", base && *base ? base : "/tmp");
    cr_assert(mkdtemp(g_dir) != NULL, "mkdtemp: %s", strerror(errno));
}

static void teardown(void)
{
    char p[512];
    const char *names[] = {"w.safetensors", "bad.safetensors"};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", g_dir, names[i]);
        unlink(p);
    }
    rmdir(g_dir);
}

TestSuite(st_files, .init = setup, .fini = teardown);

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

Test(st_files, load)
{
    char p[512];
    snprintf(p, sizeof p, "%s/w.safetensors", g_dir);
    const float v[3] = {1, 2, 3};
    size_t len = mk("{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", v,
                    sizeof v);
    write_bytes(p, g_buf, len);
    sq_weight *w;
    int n;
    EXPECT_OK(sq_safetensors_load(p, &w, &n));
    cr_assert_eq(n, 1);
    cr_assert_str_eq(w[0].name, "fc.bias");
    cr_assert_eq(w[0].data[2], 3.0f);
    sq_weights_free(w, n);

    snprintf(p, sizeof p, "%s/bad.safetensors", g_dir);
    write_bytes(p, g_buf, len - 1);
    EXPECT_ERR(sq_safetensors_load(p, &w, &n), SEQRT_ERR_PARSE,
               "bad.safetensors: tensor 'fc.bias': data_offsets [0, 12] end past the data (11 bytes)");
    cr_assert_null(w);
}

Test(st_files, load_io_errors)
{
    char p[512];
    snprintf(p, sizeof p, "%s/missing.safetensors", g_dir);
    sq_weight *w;
    int n;
    EXPECT_ERR(sq_safetensors_load(p, &w, &n), SEQRT_ERR_IO,
               "missing.safetensors: cannot open: No such file or directory");
    EXPECT_ERR(sq_safetensors_load(g_dir, &w, &n), SEQRT_ERR_IO, "Is a directory");
}

#ifdef SEQRT_FAULT_INJECTION
long sq_fault_alloc_set(long fail_at);

Test(st_files, allocation_failures)
{
    const float v[4] = {1, 2, 3, 4};
    size_t len = mk("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                    v, sizeof v);
    for (long k = 1;; k++) {
        sq_fault_alloc_set(k);
        sq_weight *w;
        int n;
        seqrt_status st = sq_safetensors_parse(g_buf, len, "w.safetensors", &w, &n);
        long used = sq_fault_alloc_set(0);
        if (st == SEQRT_OK) {
            cr_assert_eq(n, 2);
            sq_weights_free(w, n);
        } else {
            cr_assert_eq(st, SEQRT_ERR_OUT_OF_MEMORY, "%s", seqrt_last_error());
            cr_assert_null(w);
        }
        if (used < k) break;
    }
}
#endif
