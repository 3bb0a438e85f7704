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

const char *seqrt_model_input_name(const seqrt_model *m, size_t i)
{
    return (m && i < (size_t)m->ninputs) ? m->values[m->inputs[i]].name : NULL;
}

int seqrt_model_batch_first(const seqrt_model *m) { return m && m->batch_first; }

/* The declared or inferred shape of value `vi` (symbolic dims as -1). */
static void value_shape(const seqrt_model *m, int vi, int *rank, int64_t *dims, char *text, size_t text_size)
{
    const sq_value *v = &m->values[vi];
    if (rank) *rank = v->rank;
    for (int d = 0; dims && d < v->rank; d++) dims[d] = v->dims[d] >= 0 ? v->dims[d] : -1;
    if (text && text_size) sq_format_dims(m, v->rank, v->dims, text, text_size);
}

seqrt_status seqrt_model_input_shape(const seqrt_model *m, size_t i, int *rank, int64_t *dims, char *text,
                                     size_t text_size)
{
    if (!m || i >= (size_t)m->ninputs)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_model_input_shape: input index %zu is out of range", i);
    value_shape(m, m->inputs[i], rank, dims, text, text_size);
    return SEQRT_OK;
}

seqrt_dtype seqrt_model_input_dtype(const seqrt_model *m, size_t i)
{
    return (m && i < (size_t)m->ninputs) ? m->values[m->inputs[i]].input_dtype : SEQRT_F32;
}

int seqrt_model_input_time_axis(const seqrt_model *m, size_t i)
{
    return (m && i < (size_t)m->ninputs) ? m->values[m->inputs[i]].time_axis : -1;
}

const char *seqrt_model_output_name(const seqrt_model *m, size_t i)
{
    return (m && i < (size_t)m->noutputs) ? m->values[m->outputs[i]].name : NULL;
}

seqrt_status seqrt_model_output_shape(const seqrt_model *m, size_t i, int *rank, int64_t *dims, char *text,
                                      size_t text_size)
{
    if (!m || i >= (size_t)m->noutputs)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_model_output_shape: output index %zu is out of range", i);
    value_shape(m, m->outputs[i], rank, dims, text, text_size);
    return SEQRT_OK;
}

int seqrt_model_output_time_axis(const seqrt_model *m, size_t i)
{
    return (m && i < (size_t)m->noutputs) ? m->values[m->outputs[i]].time_axis : -1;
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
