/*
 * Parsing a model's JSON description (through cJSON) into a validated
 * graph: inputs, layers (op, attributes, slots, as the op schema says) and
 * outputs. Everything is checked here, before any compute; errors name the
 * layer and the field. The loader (model_load.c) then binds the weights
 * (model_weights.c) and infers the shapes (shape.c).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "formats.h"
#include "ops.h"
#include "shape.h"

typedef struct loader {
    seqrt_model *m;
    const char *file;  /* description path, for messages */
    int cap_values;
} loader;

/* ------------------------------------------------------------ helpers */

static bool is_identifier(const char *s, bool dots)
{
    if (!s || !*s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || (dots && *s == '.')))
            return false;
    return true;
}

int sq_model_find_value(const seqrt_model *m, const char *name)
{
    for (int v = m->nvalues - 1; v >= 0; v--)
        if (!strcmp(m->values[v].name, name)) return v;
    return -1;
}

static seqrt_status add_value(loader *ld, const char *name, int producer, int *out)
{
    seqrt_model *m = ld->m;
    if (m->nvalues == ld->cap_values) {
        int cap = ld->cap_values ? ld->cap_values * 2 : 16;
        sq_value *v = sq_realloc(m->values, sizeof *v * (size_t)cap);
        if (!v) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        m->values = v;
        ld->cap_values = cap;
    }
    sq_value *v = &m->values[m->nvalues];
    memset(v, 0, sizeof *v);
    v->name = sq_strdup(name);
    if (!v->name) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    v->dtype = v->input_dtype = SEQRT_F32;
    v->time_axis = -1;
    v->producer = producer;
    v->input_index = -1;
    *out = m->nvalues++;
    return SEQRT_OK;
}

seqrt_status sq_model_add_warning(seqrt_model *m, const char *text)
{
    char **w = sq_realloc(m->warnings, sizeof(char *) * (size_t)(m->nwarnings + 1));
    if (!w) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    m->warnings = w;
    if (!(w[m->nwarnings] = sq_strdup(text))) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    m->nwarnings++;
    return SEQRT_OK;
}

static int find_symbol(seqrt_model *m, const char *name)
{
    for (int i = 0; i < m->nsyms; i++)
        if (!strcmp(m->sym_names[i], name)) return i;
    return -1;
}

/* ------------------------------------------------------------ inputs */

static seqrt_status parse_inputs(loader *ld, const cJSON *arr)
{
    seqrt_model *m = ld->m;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return sq_error(SEQRT_ERR_MODEL, "%s: field 'inputs' must be a non-empty list, got %s",
                        ld->file, sq_json_type_name(arr));
    int n = cJSON_GetArraySize(arr);
    if (!(m->inputs = sq_calloc((size_t)n, sizeof(int))))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    const cJSON *in;
    int i = 0;
    cJSON_ArrayForEach(in, arr) {
        if (!cJSON_IsObject(in))
            return sq_error(SEQRT_ERR_MODEL, "%s: inputs[%d] must be an object, got %s", ld->file, i,
                            sq_json_type_name(in));
        const cJSON *f;
        cJSON_ArrayForEach(f, in) {
            if (strcmp(f->string, "name") && strcmp(f->string, "dtype") && strcmp(f->string, "shape"))
                return sq_error(SEQRT_ERR_MODEL, "%s: inputs[%d]: unknown field '%s' (expected name, dtype, shape)",
                                ld->file, i, f->string);
        }
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(in, "name");
        const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(in, "dtype");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(in, "shape");
        if (!cJSON_IsString(name) || !is_identifier(name->valuestring, true))
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: inputs[%d]: field 'name' must be a name matching [A-Za-z_][A-Za-z0-9_.]*",
                            ld->file, i);
        const char *nm = name->valuestring;
        if (strlen(nm) > SQ_MAX_NAME)
            return sq_error(SEQRT_ERR_LIMIT, "%s: inputs[%d]: name of %zu characters exceeds the limit of %d",
                            ld->file, i, strlen(nm), SQ_MAX_NAME);
        if (sq_model_find_value(m, nm) >= 0)
            return sq_error(SEQRT_ERR_MODEL, "%s: input '%s' is declared twice", ld->file, nm);
        seqrt_dtype dt;
        if (!cJSON_IsString(dtype))
            return sq_error(SEQRT_ERR_MODEL, "%s: input '%s': field 'dtype' must be a string, got %s",
                            ld->file, nm, sq_json_type_name(dtype));
        if (!strcmp(dtype->valuestring, "float32")) dt = SEQRT_F32;
        else if (!strcmp(dtype->valuestring, "int32")) dt = SEQRT_I32;
        else if (!strcmp(dtype->valuestring, "int64")) dt = SEQRT_I64;
        else
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: input '%s': dtype '%s' is not one of float32, int32, int64", ld->file,
                            nm, dtype->valuestring);
        if (!cJSON_IsArray(shape))
            return sq_error(SEQRT_ERR_MODEL, "%s: input '%s': field 'shape' must be a list, got %s",
                            ld->file, nm, sq_json_type_name(shape));
        int rank = cJSON_GetArraySize(shape);
        if (rank > SEQRT_MAX_RANK)
            return sq_error(SEQRT_ERR_MODEL, "%s: input '%s': rank %d exceeds the limit of %d",
                            ld->file, nm, rank, SEQRT_MAX_RANK);
        int vi;
        seqrt_status st = add_value(ld, nm, -1, &vi);
        if (st) return st;
        sq_value *v = &m->values[vi];
        v->dtype = dt == SEQRT_I64 ? SEQRT_I32 : dt;
        v->input_dtype = dt;
        v->rank = rank;
        v->input_index = i;
        int k = 0;
        const cJSON *d;
        cJSON_ArrayForEach(d, shape) {
            int64_t val;
            if (sq_json_int(d, &val)) {
                if (val < 1 || val > SQ_MAX_ELEMENTS)
                    return sq_error(SEQRT_ERR_MODEL, "%s: input '%s': shape[%d] = %lld is out of range [1, %lld]",
                                    ld->file, nm, k, (long long)val, (long long)SQ_MAX_ELEMENTS);
                v->dims[k] = val;
            } else if (cJSON_IsString(d) && is_identifier(d->valuestring, false)) {
                int s = find_symbol(m, d->valuestring);
                if (s < 0) {
                    char **names = sq_realloc(m->sym_names, sizeof(char *) * (size_t)(m->nsyms + 1));
                    if (!names) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
                    m->sym_names = names;
                    if (!(names[m->nsyms] = sq_strdup(d->valuestring)))
                        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
                    s = m->nsyms++;
                }
                v->dims[k] = -(int64_t)s - 1;
            } else {
                return sq_error(SEQRT_ERR_MODEL,
                                "%s: input '%s': shape[%d] must be a positive integer or a symbol "
                                "such as \"T\", got %s",
                                ld->file, nm, k, sq_json_type_name(d));
            }
            k++;
        }
        m->inputs[i++] = vi;
        m->ninputs = i;
    }
    return SEQRT_OK;
}

/* ------------------------------------------------------------ layers */

/* Cross-attribute rules the table cannot say: the op's schema check. */
static seqrt_status check_attrs(loader *ld, sq_layer *L, const cJSON *obj)
{
    const sq_op_schema *s = sq_op_schema_get(L->op);
    sq_attr_mask given = 0;
    for (int i = 0; i < 64 && s->attrs[i].name; i++)
        if (cJSON_GetObjectItemCaseSensitive(obj, s->attrs[i].name)) given |= (sq_attr_mask)1 << i;
    char why[256];
    if ((!s->check || s->check(L, given, why, sizeof why)) && (!s->derive || s->derive(L, given, why, sizeof why)))
        return SEQRT_OK;
    return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): %s", ld->file, L->name, s->name, why);
}

static seqrt_status lookup_value(loader *ld, const sq_layer *L, const char *slot, const cJSON *j,
                                 int *out)
{
    if (!cJSON_IsString(j))
        return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): input '%s' must name a value (a string), got %s",
                        ld->file, L->name, sq_op_name(L->op), slot, sq_json_type_name(j));
    int v = sq_model_find_value(ld->m, j->valuestring);
    if (v < 0)
        return sq_error(SEQRT_ERR_MODEL,
                        "%s: layer '%s' (%s): input '%s' refers to '%s', which is not defined before this layer",
                        ld->file, L->name, sq_op_name(L->op), slot, j->valuestring);
    *out = v;
    return SEQRT_OK;
}

static seqrt_status parse_slots(loader *ld, sq_layer *L, const cJSON *inputs)
{
    const sq_op_schema *s = sq_op_schema_get(L->op);
    const char *op = s->name;
    if (!cJSON_IsObject(inputs))
        return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): field 'inputs' must be an object {slot: value}, got %s",
                        ld->file, L->name, op, sq_json_type_name(inputs));
    const cJSON *e;
    cJSON_ArrayForEach(e, inputs) {
        int slot = -1;
        for (int i = 0; i < SQ_MAX_SLOTS; i++)
            if (s->slots[i].name && !strcmp(s->slots[i].name, e->string)) slot = i;
        if (slot < 0) {
            char list[96] = "";
            for (int i = 0; i < SQ_MAX_SLOTS; i++)
                if (s->slots[i].name)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? ", " : "",
                             s->slots[i].name);
            return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): unknown input slot '%s' (slots: %s)",
                            ld->file, L->name, op, e->string, list);
        }
        const sq_slot_spec *sp = &s->slots[slot];
        seqrt_status st;
        if (sp->list) {
            if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) < 1)
                return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): input '%s' must be a non-empty list of values",
                                ld->file, L->name, op, sp->name);
            int n = cJSON_GetArraySize(e);
            if (!(L->list = sq_calloc((size_t)n, sizeof(int))))
                return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
            const cJSON *item;
            cJSON_ArrayForEach(item, e) {
                if ((st = lookup_value(ld, L, sp->name, item, &L->list[L->nlist]))) return st;
                L->nlist++;
            }
            L->in[slot] = L->list[0];
        } else if ((st = lookup_value(ld, L, sp->name, e, &L->in[slot]))) {
            return st;
        }
        /* dtype of the slot */
        int n = sp->list ? L->nlist : 1;
        for (int i = 0; i < n; i++) {
            int v = sp->list ? L->list[i] : L->in[slot];
            bool is_int = ld->m->values[v].dtype != SEQRT_F32;
            if (is_int != (sp->kind == SQ_SLOT_INT))
                return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): input '%s' ('%s') must be %s, but is %s",
                                ld->file, L->name, op, sp->name, ld->m->values[v].name,
                                sp->kind == SQ_SLOT_INT ? "integer (int32 or int64)" : "float32",
                                is_int ? "integer" : "float32");
        }
    }
    for (int i = 0; i < SQ_MAX_SLOTS; i++)
        if (s->slots[i].name && s->slots[i].required && L->in[i] < 0)
            return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): required input '%s' is missing",
                            ld->file, L->name, op, s->slots[i].name);
    return SEQRT_OK;
}

static seqrt_status parse_layer(loader *ld, const cJSON *obj, int index)
{
    seqrt_model *m = ld->m;
    sq_layer *L = &m->layers[index];
    for (int i = 0; i < SQ_MAX_SLOTS; i++) L->in[i] = -1;
    for (int i = 0; i < SQ_MAX_OUTS; i++) L->out[i] = -1;
    if (!cJSON_IsObject(obj))
        return sq_error(SEQRT_ERR_MODEL, "%s: layers[%d] must be an object, got %s", ld->file, index,
                        sq_json_type_name(obj));
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "name");
    if (!cJSON_IsString(name) || !is_identifier(name->valuestring, true))
        return sq_error(SEQRT_ERR_MODEL,
                        "%s: layers[%d]: field 'name' must be a name matching [A-Za-z_][A-Za-z0-9_.]*%s%s%s",
                        ld->file, index, cJSON_IsString(name) ? " (got \"" : "",
                        cJSON_IsString(name) ? name->valuestring : "", cJSON_IsString(name) ? "\")" : "");
    if (strlen(name->valuestring) > SQ_MAX_NAME)
        return sq_error(SEQRT_ERR_LIMIT, "%s: layers[%d]: name of %zu characters exceeds the limit of %d", ld->file,
                        index, strlen(name->valuestring), SQ_MAX_NAME);
    if (!(L->name = sq_strdup(name->valuestring))) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    m->nlayers = index + 1;
    const cJSON *opj = cJSON_GetObjectItemCaseSensitive(obj, "op");
    if (!cJSON_IsString(opj))
        return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s': field 'op' must be a string, got %s", ld->file,
                        L->name, sq_json_type_name(opj));
    int op = sq_op_from_name(opj->valuestring);
    if (op < 0)
        return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s': unknown op '%s'", ld->file, L->name, opj->valuestring);
    L->op = (sq_op)op;
    const sq_op_schema *s = sq_op_schema_get(L->op);
    if (s->since > m->format_minor)
        return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s': op '%s' needs format version 1.%d (the description says 1)",
                        ld->file, L->name, s->name, s->since);
    for (const sq_attr_spec *sp = s->attrs; sp->name; sp++) sq_attr_set_default(L, sp);
    /* attributes: every field but op, name, inputs */
    const cJSON *f;
    cJSON_ArrayForEach(f, obj) {
        if (!strcmp(f->string, "op") || !strcmp(f->string, "name") || !strcmp(f->string, "inputs") ||
            !strcmp(f->string, "precision")) /* precision: sq_parse_layer_precision */
            continue;
        const sq_attr_spec *sp = s->attrs;
        while (sp->name && strcmp(sp->name, f->string)) sp++;
        if (!sp->name)
            return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): unknown attribute '%s'", ld->file, L->name,
                            s->name, f->string);
        if (sp->since > m->format_minor)
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: layer '%s' (%s): attribute '%s' needs format version 1.%d (the description says 1)",
                            ld->file, L->name, s->name, sp->name, sp->since);
        seqrt_status st = sq_attr_parse(ld->file, L, sp, f);
        if (st) return st;
        for (int i = 0; sp->value_since && sp->names[i]; i++)
            if (!strcmp(sp->names[i], f->valuestring) && sp->value_since[i] > m->format_minor)
                return sq_error(SEQRT_ERR_MODEL,
                                "%s: layer '%s' (%s): attribute '%s' = \"%s\" needs format version 1.%d (the "
                                "description says 1)",
                                ld->file, L->name, s->name, sp->name, f->valuestring, sp->value_since[i]);
    }
    for (const sq_attr_spec *sp = s->attrs; sp->name; sp++)
        if (sp->required && !cJSON_GetObjectItemCaseSensitive(obj, sp->name))
            return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s' (%s): required attribute '%s' is missing",
                            ld->file, L->name, s->name, sp->name);
    seqrt_status st = check_attrs(ld, L, obj);
    if (st) return st;
    if ((st = sq_parse_layer_precision(m, ld->file, L, obj))) return st;
    if ((st = parse_slots(ld, L, cJSON_GetObjectItemCaseSensitive(obj, "inputs")))) return st;
    /* outputs: <name> and <name>:<extra> */
    if (sq_model_find_value(m, L->name) >= 0)
        return sq_error(SEQRT_ERR_MODEL, "%s: layer '%s': the name is already used by an input or a layer",
                        ld->file, L->name);
    int nout = sq_layer_output_count(L);
    for (int o = 0; o < nout; o++) {
        char vname[300];
        snprintf(vname, sizeof vname, "%s%s%s", L->name, o ? ":" : "", s->outputs[o]);
        if ((st = add_value(ld, vname, index, &L->out[o]))) return st;
    }
    return SEQRT_OK;
}

/* A graph input has a time axis unless it is below rank 2 or feeds nothing
 * but recurrent initial states (h0, c0: the state slots of the schema). */
static void set_input_time_axes(seqrt_model *m)
{
    for (int i = 0; i < m->ninputs; i++) {
        int vi = m->inputs[i];
        bool other_use = false, state_use = false;
        for (int l = 0; l < m->nlayers; l++) {
            const sq_layer *L = &m->layers[l];
            const sq_op_schema *sc = sq_op_schema_get(L->op);
            for (int s = 0; s < SQ_MAX_SLOTS; s++) {
                if (L->in[s] != vi) continue;
                if (sc->slots[s].state) state_use = true;
                else other_use = true;
            }
            for (int k = 1; k < L->nlist; k++)
                if (L->list[k] == vi) other_use = true;
        }
        bool state_only = state_use && !other_use;
        m->values[vi].time_axis = (m->values[vi].rank >= 2 && !state_only) ? (m->batch_first ? 1 : 0) : -1;
    }
}

static seqrt_status parse_layers(loader *ld, const cJSON *arr)
{
    seqrt_model *m = ld->m;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return sq_error(SEQRT_ERR_MODEL, "%s: field 'layers' must be a non-empty list, got %s", ld->file,
                        sq_json_type_name(arr));
    int n = cJSON_GetArraySize(arr);
    if (n > SQ_MAX_LAYERS)
        return sq_error(SEQRT_ERR_LIMIT, "%s: %d layers exceed the limit of %d", ld->file, n, SQ_MAX_LAYERS);
    if (!(m->layers = sq_calloc((size_t)n, sizeof(sq_layer))))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    int i = 0;
    const cJSON *obj;
    cJSON_ArrayForEach(obj, arr) {
        seqrt_status st = parse_layer(ld, obj, i++);
        if (st) return st;
    }
    return SEQRT_OK;
}

static seqrt_status parse_outputs(loader *ld, const cJSON *arr)
{
    seqrt_model *m = ld->m;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return sq_error(SEQRT_ERR_MODEL, "%s: field 'outputs' must be a non-empty list of value names, got %s",
                        ld->file, sq_json_type_name(arr));
    int n = cJSON_GetArraySize(arr);
    if (!(m->outputs = sq_calloc((size_t)n, sizeof(int))))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        if (!cJSON_IsString(o))
            return sq_error(SEQRT_ERR_MODEL, "%s: outputs[%d] must be a value name (a string), got %s",
                            ld->file, m->noutputs, sq_json_type_name(o));
        int v = sq_model_find_value(m, o->valuestring);
        if (v < 0)
            return sq_error(SEQRT_ERR_MODEL, "%s: output '%s' is not a value of the model", ld->file,
                            o->valuestring);
        for (int k = 0; k < m->noutputs; k++)
            if (m->outputs[k] == v)
                return sq_error(SEQRT_ERR_MODEL, "%s: output '%s' is listed twice", ld->file, o->valuestring);
        if (m->values[v].dtype != SEQRT_F32)
            return sq_error(SEQRT_ERR_MODEL, "%s: output '%s' is an integer input; outputs must be float32 values",
                            ld->file, o->valuestring);
        m->outputs[m->noutputs++] = v;
    }
    return SEQRT_OK;
}

/* The description's top level: format, version, name, batch_first, inputs,
 * layers, outputs, metadata ("weights" is resolved by the caller). */
seqrt_status sq_parse_description(seqrt_model *m, const char *file, const cJSON *root)
{
    loader ld = {.m = m, .file = file, .cap_values = 0};
    static const char *const fields[] = {"format",  "version", "name",     "batch_first", "weights",  "inputs",
                                         "layers",  "outputs", "metadata", "precision",   "int8_rule", NULL};
    if (!cJSON_IsObject(root))
        return sq_error(SEQRT_ERR_MODEL, "%s: the description must be a JSON object, got %s", file,
                        sq_json_type_name(root));
    const cJSON *f;
    cJSON_ArrayForEach(f, root) {
        int k = 0;
        while (fields[k] && strcmp(fields[k], f->string)) k++;
        if (!fields[k])
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: unknown field '%s' (fields: format, version, name, batch_first, "
                            "weights, inputs, layers, outputs, metadata, precision, int8_rule)",
                            file, f->string);
    }
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, "seqrt"))
        return sq_error(SEQRT_ERR_MODEL, "%s: field 'format' must be \"seqrt\"", file);
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    int64_t ver;
    if (cJSON_IsNumber(version) && version->valuedouble == 1.1) {
        m->format_minor = 1;
    } else if (cJSON_IsNumber(version) && version->valuedouble == 1.2) {
        m->format_minor = 2;
    } else if (cJSON_IsNumber(version) && !sq_json_int(version, &ver)) {
        return sq_error(SEQRT_ERR_MODEL, "%s: format version %g is not supported (this seqrt reads 1, 1.1 and 1.2)",
                        file, version->valuedouble);
    } else if (!sq_json_int(version, &ver)) {
        return sq_error(SEQRT_ERR_MODEL, "%s: field 'version' must be a number (1, 1.1 or 1.2), got %s", file,
                        sq_json_type_name(version));
    } else if (ver != 1) {
        return sq_error(SEQRT_ERR_MODEL, "%s: format version %lld is not supported (this seqrt reads 1, 1.1 and 1.2)",
                        file, (long long)ver);
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (name && !cJSON_IsString(name))
        return sq_error(SEQRT_ERR_MODEL, "%s: field 'name' must be a string, got %s", file, sq_json_type_name(name));
    if (!(m->name = sq_strdup(name ? name->valuestring : "model")))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    const cJSON *bf = cJSON_GetObjectItemCaseSensitive(root, "batch_first");
    if (bf && !cJSON_IsBool(bf))
        return sq_error(SEQRT_ERR_MODEL, "%s: field 'batch_first' must be true or false, got %s", file,
                        sq_json_type_name(bf));
    m->batch_first = bf && cJSON_IsTrue(bf);
    seqrt_status st = sq_parse_model_precision(m, file, root);
    if (!st) st = parse_inputs(&ld, cJSON_GetObjectItemCaseSensitive(root, "inputs"));
    if (!st) st = parse_layers(&ld, cJSON_GetObjectItemCaseSensitive(root, "layers"));
    if (!st) st = parse_outputs(&ld, cJSON_GetObjectItemCaseSensitive(root, "outputs"));
    if (!st) st = sq_check_model_precision(m, file);
    if (st) return st;
    set_input_time_axes(m);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    if (meta) {
        char *text = cJSON_PrintUnformatted(meta);
        if (!text) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        m->metadata_json = sq_strdup(text);
        cJSON_free(text);
        if (!m->metadata_json) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (int i = 0; i < m->ninputs; i++) {
        bool used = false;
        for (int l = 0; l < m->nlayers && !used; l++) {
            for (int s = 0; s < SQ_MAX_SLOTS; s++) used |= m->layers[l].in[s] == m->inputs[i];
            for (int k = 0; k < m->layers[l].nlist; k++) used |= m->layers[l].list[k] == m->inputs[i];
        }
        if (!used) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s: input '%s' is not used by any layer", file,
                     m->values[m->inputs[i]].name);
            if ((st = sq_model_add_warning(m, msg))) return st;
        }
    }
    return SEQRT_OK;
}
