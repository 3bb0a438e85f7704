/*
 * libFuzzer target: the model description. The input is a description
 * (JSON); fuzz_model.h makes the weights it asks for; the description goes
 * through the whole loader (JSON, fields, layers, attributes, slots, the
 * weights path rule, weight binding, shape inference), then through every
 * public accessor of a loaded model. Any crash, leak, sanitizer report or
 * broken invariant is a finding.
 */
#include "fuzz_model.h"

#define FZ_CHECK(c)                                                                 \
    do {                                                                            \
        if (!(c)) {                                                                 \
            fprintf(stderr, "fuzz_description: invariant failed: %s (line %d)\n", #c, \
                    __LINE__);                                                      \
            abort();                                                                \
        }                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20)) return 0;
    uint64_t seed = fz_hash(data, size);
    fz_model fm;
    fz_make_weights(data, size, seed, &fm);
    seqrt_load_options opt = {0};
    opt.strict = (seed >> 40) & 1;
    seqrt_model *m = (seqrt_model *)(uintptr_t)1;
    seqrt_status st = sq_model_load_memory(&m, "fuzz/model.json", data, size, fm.image, fm.image_len, &opt);
    fz_model_free(&fm);
    if (st != SEQRT_OK) {
        FZ_CHECK(m == NULL);
        FZ_CHECK(seqrt_last_error()[0] != '\0');
        return 0;
    }
    FZ_CHECK(m != NULL);
    (void)seqrt_model_name(m);
    (void)seqrt_model_metadata(m);
    (void)seqrt_model_batch_first(m);
    size_t ni = seqrt_model_input_count(m), no = seqrt_model_output_count(m);
    FZ_CHECK(ni >= 1 && no >= 1);
    for (size_t i = 0; i < ni; i++) {
        int rank = -1;
        int64_t dims[SEQRT_MAX_RANK];
        char text[64];
        FZ_CHECK(seqrt_model_input_shape(m, i, &rank, dims, text, sizeof text) == SEQRT_OK);
        FZ_CHECK(rank >= 0 && rank <= SEQRT_MAX_RANK);
        const char *name = seqrt_model_input_name(m, i);
        FZ_CHECK(name != NULL);
        size_t idx = 99;
        FZ_CHECK(seqrt_model_find_input(m, name, &idx) == SEQRT_OK && idx == i);
        (void)seqrt_model_input_dtype(m, i);
        (void)seqrt_model_input_time_axis(m, i);
    }
    FZ_CHECK(seqrt_model_input_shape(m, ni, NULL, NULL, NULL, 0) != SEQRT_OK);
    for (size_t o = 0; o < no; o++) {
        FZ_CHECK(seqrt_model_output_name(m, o) != NULL);
        (void)seqrt_model_output_time_axis(m, o);
    }
    for (size_t w = 0; w < seqrt_model_warning_count(m); w++) FZ_CHECK(seqrt_model_warning(m, w) != NULL);
    for (size_t l = 0; l < seqrt_model_layer_count(m); l++) {
        seqrt_layer_info info;
        FZ_CHECK(seqrt_model_layer_info(m, l, &info) == SEQRT_OK);
        FZ_CHECK(info.name && info.op && memchr(info.shape, 0, sizeof info.shape));
    }
    char why[96];
    (void)seqrt_model_streamable(m, why, sizeof why);
    FZ_CHECK(memchr(why, 0, sizeof why) != NULL);
    seqrt_model_free(m);
    return 0;
}
