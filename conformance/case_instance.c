/*
 * Instances: a case of the list made concrete. A generated case is built
 * (case_build.c, case_inputs.c), written to a temporary directory and
 * loaded strictly; a golden case is loaded from its directory
 * (case_golden.c); both end with the oracle run (case_oracle.c). An
 * instance can be saved as a directory (--save-failures).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case_build.h"
#include "case_files.h"
#include "case_golden.h"
#include "case_oracle.h"

void cf_instance_free(cf_instance *inst)
{
    if (!inst) return;
    for (size_t i = 0; i < inst->nin; i++) seqrt_tensor_free(inst->inputs ? inst->inputs[i] : NULL);
    for (size_t o = 0; o < inst->nout; o++) {
        if (inst->oracle) seqrt_tensor_free(inst->oracle[o]);
        if (inst->expected) seqrt_tensor_free(inst->expected[o]);
    }
    free(inst->inputs);
    free(inst->oracle);
    free(inst->expected);
    seqrt_model_free(inst->model);
    free(inst);
}

static cf_instance *new_instance(const cf_entry *e)
{
    cf_instance *inst = calloc(1, sizeof *inst);
    if (!inst) return NULL;
    inst->info = &e->info;
    inst->atol = SQ_DEFAULT_ATOL;
    inst->rtol = SQ_DEFAULT_RTOL;
    inst->chunk = e->info.chunk;
    return inst;
}

static int instance_generated(cf_instance *inst, const cf_suite *s, const cf_entry *e, char *err, size_t errn)
{
    cf_builder b;
    cf_builder_init(&b, s->seed, e->key, &e->p);
    e->build(&b, &e->p);
    int rc = -1;
    char dir[512] = "";
    if (b.err[0]) {
        snprintf(err, errn, "case generator: %s", b.err);
        goto done;
    }
    /* the builder's JSON fragments use single quotes: drop them */
    size_t k = 0;
    for (const char *c = b.desc; *c && k + 1 < sizeof inst->description; c++)
        if (*c != '\'') inst->description[k++] = *c;
    inst->description[k] = '\0';
    inst->atol = b.atol;
    inst->rtol = b.rtol;
    snprintf(inst->tolerance_note, sizeof inst->tolerance_note, "%s", b.note);
    if (cf_make_temp_dir(dir, sizeof dir)) {
        snprintf(err, errn, "cannot create a temporary directory (%s)", strerror(errno));
        dir[0] = '\0';
        goto done;
    }
    if (cf_write_model_files(&b, e->info.name, dir)) {
        snprintf(err, errn, "cannot write the case's files in %s (%s)", dir, strerror(errno));
        goto done;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/model.json", dir);
    seqrt_load_options lo = {1, NULL}; /* strict: a generated weight no layer uses is a generator bug */
    if (seqrt_model_load(&inst->model, path, &lo) != SEQRT_OK) {
        snprintf(err, errn, "the generated model does not load: %s", seqrt_last_error());
        goto done;
    }
    if (cf_instance_finish_model(inst, err, errn)) goto done;
    if ((size_t)b.nin != inst->nin) {
        snprintf(err, errn, "case generator: %d inputs made, the model has %zu", b.nin, inst->nin);
        goto done;
    }
    for (int i = 0; i < b.nin; i++) {
        size_t at;
        if (seqrt_model_find_input(inst->model, b.in_name[i], &at) != SEQRT_OK) {
            snprintf(err, errn, "case generator: input %s not in the model", b.in_name[i]);
            goto done;
        }
        inst->inputs[at] = b.in[i];
        b.in[i] = NULL;
    }
    rc = cf_instance_run_oracle(inst, err, errn);
done:
    if (dir[0]) cf_rm_dir(dir);
    cf_builder_free(&b);
    return rc;
}

int cf_instance_create(cf_instance **out, const cf_suite *s, size_t index, char *err, size_t errn)
{
    *out = NULL;
    if (index >= s->n) {
        snprintf(err, errn, "no case %zu", index);
        return -1;
    }
    const cf_entry *e = &s->e[index];
    cf_instance *inst = new_instance(e);
    if (!inst) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    int rc = e->build ? instance_generated(inst, s, e, err, errn) : cf_golden_instance(inst, e, err, errn);
    if (rc) {
        cf_instance_free(inst);
        return -1;
    }
    *out = inst;
    return 0;
}

int cf_instance_save(const cf_suite *s, size_t index, const cf_instance *inst, const char *dir, char *err,
                     size_t errn)
{
    const cf_entry *e = &s->e[index];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errn, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[1200], v[256];
    if (e->build) {
        cf_builder b;
        cf_builder_init(&b, s->seed, e->key, &e->p);
        e->build(&b, &e->p);
        int rc = b.err[0] ? -1 : cf_write_model_files(&b, e->info.name, dir);
        cf_builder_free(&b);
        if (rc) {
            snprintf(err, errn, "cannot write the model files into %s", dir);
            return -1;
        }
    } else {
        cf_golden_copy_files(e, dir);
    }
    for (size_t i = 0; i < inst->nin; i++) {
        snprintf(path, sizeof path, "%s/input.%s.npy", dir, seqrt_model_input_name(inst->model, i));
        if (seqrt_tensor_save_npy(inst->inputs[i], path) != SEQRT_OK) {
            snprintf(err, errn, "%s", seqrt_last_error());
            return -1;
        }
    }
    for (size_t o = 0; o < inst->nout; o++) {
        cf_output_file_value(seqrt_model_output_name(inst->model, o), v, sizeof v);
        snprintf(path, sizeof path, "%s/reference.%s.npy", dir, v);
        if (seqrt_tensor_save_npy(inst->oracle[o], path) != SEQRT_OK) {
            snprintf(err, errn, "%s", seqrt_last_error());
            return -1;
        }
        if (inst->expected) {
            snprintf(path, sizeof path, "%s/expected.%s.npy", dir, v);
            seqrt_tensor_save_npy(inst->expected[o], path);
        }
    }
    return 0;
}
