/*
 * The steps every instance ends with, generated or golden: its input and
 * output counts (and, for a streaming case, the check that its model can
 * stream), then the oracle: the whole run on the reference device, whose
 * outputs every device is compared with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_oracle.h"

static int copy_tensor(seqrt_tensor **out, const seqrt_tensor *t)
{
    int64_t dims[SEQRT_MAX_RANK];
    int rank = seqrt_tensor_rank(t);
    for (int d = 0; d < rank; d++) dims[d] = seqrt_tensor_dim(t, d);
    if (seqrt_tensor_create(out, seqrt_tensor_dtype(t), rank, dims) != SEQRT_OK) return -1;
    size_t esz = seqrt_tensor_dtype(t) == SEQRT_I64 ? 8 : 4;
    memcpy(seqrt_tensor_data(*out), seqrt_tensor_data(t), seqrt_tensor_count(t) * esz);
    return 0;
}

int cf_instance_run_oracle(cf_instance *inst, char *err, size_t errn)
{
    const seqrt_device *ref = NULL;
    if (seqrt_device_find(&ref, "reference:0") != SEQRT_OK) {
        snprintf(err, errn, "the reference device is unavailable: %s", seqrt_last_error());
        return -1;
    }
    seqrt_session *s = NULL;
    if (seqrt_session_create(&s, inst->model, ref, NULL) != SEQRT_OK) {
        snprintf(err, errn, "the reference backend cannot prepare the case: %s", seqrt_last_error());
        return -1;
    }
    if (seqrt_session_run(s, (const seqrt_tensor *const *)inst->inputs, inst->nin) != SEQRT_OK) {
        snprintf(err, errn, "the reference backend cannot run the case: %s", seqrt_last_error());
        seqrt_session_free(s);
        return -1;
    }
    inst->oracle = calloc(inst->nout, sizeof *inst->oracle);
    for (size_t o = 0; inst->oracle && o < inst->nout; o++) {
        const seqrt_tensor *t = NULL;
        if (seqrt_session_output(s, o, &t) != SEQRT_OK || copy_tensor(&inst->oracle[o], t)) {
            snprintf(err, errn, "the reference backend's output %zu: %s", o, seqrt_last_error());
            seqrt_session_free(s);
            return -1;
        }
    }
    seqrt_session_free(s);
    if (!inst->oracle) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    return 0;
}


int cf_instance_finish_model(cf_instance *inst, char *err, size_t errn)
{
    inst->nin = seqrt_model_input_count(inst->model);
    inst->nout = seqrt_model_output_count(inst->model);
    inst->inputs = calloc(inst->nin ? inst->nin : 1, sizeof *inst->inputs);
    if (!inst->inputs) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    if (inst->chunk > 0) {
        char why[512];
        if (!seqrt_model_streamable(inst->model, why, sizeof why)) {
            snprintf(err, errn, "streaming case on a model that is not streamable: %s", why);
            return -1;
        }
    }
    return 0;
}

