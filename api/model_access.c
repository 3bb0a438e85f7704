/* The public accessors of a loaded model (seqrt_model_* in seqrt.h). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *seqrt_model_name(const seqrt_model *m) { return m ? m->name : NULL; }
const char *seqrt_model_metadata(const seqrt_model *m) { return m ? m->metadata_json : NULL; }
size_t seqrt_model_input_count(const seqrt_model *m) { return m ? (size_t)m->ninputs : 0; }
size_t seqrt_model_output_count(const seqrt_model *m) { return m ? (size_t)m->noutputs : 0; }
size_t seqrt_model_warning_count(const seqrt_model *m) { return m ? (size_t)m->nwarnings : 0; }
size_t seqrt_model_layer_count(const seqrt_model *m) { return m ? (size_t)m->nlayers : 0; }

int seqrt_model_batch_first(const seqrt_model *m) { return m && m->batch_first; }

/* The value behind input (or output) `i`, NULL when the model is NULL or `i`
 * is out of range: every per-input and per-output accessor reads through it. */
static const sq_value *port(const seqrt_model *m, int output, size_t i)
{
    if (!m) return NULL;
    int n = output ? m->noutputs : m->ninputs;
    if (i >= (size_t)n) return NULL;
    return &m->values[output ? m->outputs[i] : m->inputs[i]];
}

/* The declared or inferred shape of input/output `i` (symbolic dims as -1);
 * `fn` names the public function in the out-of-range error. */
static seqrt_status port_shape(const seqrt_model *m, int output, size_t i, int *rank, int64_t *dims, char *text,
                               size_t text_size, const char *fn)
{
    const sq_value *v = port(m, output, i);
    if (!v)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "%s: %s index %zu is out of range", fn,
                        output ? "output" : "input", i);
    if (rank) *rank = v->rank;
    for (int d = 0; dims && d < v->rank; d++) dims[d] = v->dims[d] >= 0 ? v->dims[d] : -1;
    if (text && text_size) sq_format_dims(m, v->rank, v->dims, text, text_size);
    return SEQRT_OK;
}

const char *seqrt_model_input_name(const seqrt_model *m, size_t i)
{
    const sq_value *v = port(m, 0, i);
    return v ? v->name : NULL;
}

seqrt_status seqrt_model_input_shape(const seqrt_model *m, size_t i, int *rank, int64_t *dims, char *text,
                                     size_t text_size)
{
    return port_shape(m, 0, i, rank, dims, text, text_size, "seqrt_model_input_shape");
}

seqrt_dtype seqrt_model_input_dtype(const seqrt_model *m, size_t i)
{
    const sq_value *v = port(m, 0, i);
    return v ? v->input_dtype : SEQRT_F32;
}

int seqrt_model_input_time_axis(const seqrt_model *m, size_t i)
{
    const sq_value *v = port(m, 0, i);
    return v ? v->time_axis : -1;
}

const char *seqrt_model_output_name(const seqrt_model *m, size_t i)
{
    const sq_value *v = port(m, 1, i);
    return v ? v->name : NULL;
}

seqrt_status seqrt_model_output_shape(const seqrt_model *m, size_t i, int *rank, int64_t *dims, char *text,
                                      size_t text_size)
{
    return port_shape(m, 1, i, rank, dims, text, text_size, "seqrt_model_output_shape");
}

int seqrt_model_output_time_axis(const seqrt_model *m, size_t i)
{
    const sq_value *v = port(m, 1, i);
    return v ? v->time_axis : -1;
}

const char *seqrt_model_warning(const seqrt_model *m, size_t i)
{
    return (m && i < (size_t)m->nwarnings) ? m->warnings[i] : NULL;
}

seqrt_status seqrt_model_find_input(const seqrt_model *m, const char *name, size_t *out)
{
    if (!m || !name || !out) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_model_find_input: NULL argument");
    for (int i = 0; i < m->ninputs; i++)
        if (!strcmp(m->values[m->inputs[i]].name, name)) {
            *out = (size_t)i;
            return SEQRT_OK;
        }
    char list[512] = "";
    for (int i = 0; i < m->ninputs; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 m->values[m->inputs[i]].name);
    return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "the model has no input '%s' (inputs: %s)", name, list);
}
