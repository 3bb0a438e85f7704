/*
 * Attribute values of a layer description: parsing one JSON field by its
 * row of the op schema (ops.h), defaults, and the JSON helpers the loader
 * shares with it.
 */
#ifndef SEQRT_ATTRS_H
#define SEQRT_ATTRS_H

#include <cjson/cJSON.h>

#include "ops.h"

/* "a boolean", "a list", ... for messages ("nothing" for NULL). */
const char *sq_json_type_name(const cJSON *j);
/* An integer JSON number (no fraction, within 2^53). */
bool sq_json_int(const cJSON *j, int64_t *out);

/* Stores field `j` of layer L's description by `spec`, or fails naming the
 * file, layer, op and attribute. */
seqrt_status sq_attr_parse(const char *file, sq_layer *L, const sq_attr_spec *spec, const cJSON *j);
/* Stores the default of `spec`. */
void sq_attr_set_default(sq_layer *L, const sq_attr_spec *spec);

#endif /* SEQRT_ATTRS_H */
