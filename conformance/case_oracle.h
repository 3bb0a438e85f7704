/*
 * Private to the conformance library: the last steps of making an
 * instance, whatever the case's source (case_oracle.c): its input and
 * output counts, and the oracle run on the reference device.
 */
#ifndef SEQRT_CONFORMANCE_CASE_ORACLE_H
#define SEQRT_CONFORMANCE_CASE_ORACLE_H

#include <stddef.h>

#include "runner.h"

/* Once inst->model is loaded: the input and output counts, the (empty)
 * inputs array, and for a streaming case the check that the model can
 * stream. 0, or -1 with the reason in err. */
int cf_instance_finish_model(cf_instance *inst, char *err, size_t errn);
/* The oracle: the whole run on reference:0, its outputs copied into
 * inst->oracle. 0, or -1 with the reason in err. */
int cf_instance_run_oracle(cf_instance *inst, char *err, size_t errn);

#endif /* SEQRT_CONFORMANCE_CASE_ORACLE_H */
