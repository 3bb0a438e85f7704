/*
 * seqrt_model_load: reading the description, resolving its weights path,
 * and the order of the load (parse: model.c; weights: model_weights.c;
 * shapes: shape.c); freeing a model.
 *
 * The weights path in a description is resolved relative to the
 * description's directory and must stay inside it: an absolute path or a
 * ".." component is refused (a downloaded description cannot make seqrt read
 * files elsewhere). An embedding program that wants another file passes
 * seqrt_load_options.weights_path, which is used as given.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "ops.h"
#include "shape.h"

#define SQ_MAX_DESCRIPTION_BYTES ((size_t)64 << 20)

static seqrt_status resolve_weights_path(seqrt_model *m, const cJSON *root, const char *json_path,
                                         const seqrt_load_options *opt)
{
    if (opt && opt->weights_path) {
        m->weights_path = sq_strdup(opt->weights_path);
        return m->weights_path ? SEQRT_OK : sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "weights");
    const char *slash = strrchr(json_path, '/');
    size_t dirlen = slash ? (size_t)(slash - json_path + 1) : 0;
    char *path;
    if (w) {
        if (!cJSON_IsString(w) || !*w->valuestring)
            return sq_error(SEQRT_ERR_MODEL, "%s: field 'weights' must be a file name (a string)", json_path);
        const char *rel = w->valuestring;
        if (rel[0] == '/' || !strcmp(rel, "..") || !strncmp(rel, "../", 3) || strstr(rel, "/../") ||
            (strlen(rel) >= 3 && !strcmp(rel + strlen(rel) - 3, "/..")))
            return sq_error(SEQRT_ERR_MODEL,
                            "%s: field 'weights' = \"%s\" leaves the description's directory (absolute "
                            "paths and '..' are refused; pass the path explicitly to load it)",
                            json_path, rel);
        path = sq_malloc(dirlen + strlen(rel) + 1);
        if (!path) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        memcpy(path, json_path, dirlen);
        strcpy(path + dirlen, rel);
    } else {
        size_t n = strlen(json_path);
        bool dot_json = n >= 5 && !strcmp(json_path + n - 5, ".json");
        size_t stem = dot_json ? n - 5 : n;
        path = sq_malloc(stem + sizeof ".safetensors");
        if (!path) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        memcpy(path, json_path, stem);
        strcpy(path + stem, ".safetensors");
    }
    m->weights_path = path;
    return SEQRT_OK;
}

/* Parses, validates and binds a description held in `buf` (`len` bytes,
 * freed here); `json_path` is its path (or the name standing for it). */
static seqrt_status load_description(seqrt_model **out, const char *json_path, uint8_t *buf, size_t len,
                                     const uint8_t *weights, size_t weights_len, const seqrt_load_options *opt)
{
    seqrt_status st = SEQRT_OK;
    /* The end of the parse (or the error position) comes back through
     * return_parse_end, not cJSON's global error pointer, which other
     * threads may overwrite. Anything but whitespace after the top-level
     * value is an error too (cJSON_ParseWithLength would accept it). */
    const char *at = NULL;
    const char *trailing = "";
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)buf, len, &at, 0);
    if (root) {
        for (const char *p = at; p && p < (const char *)buf + len; p++)
            if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
                cJSON_Delete(root);
                root = NULL;
                at = p;
                trailing = " (unexpected data after the top-level value)";
                break;
            }
    }
    if (!root) {
        size_t off = (at && at >= (const char *)buf && at <= (const char *)buf + len) ? (size_t)(at - (const char *)buf) : 0;
        int line = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
            if (buf[i] == '\n') line++, col = 1;
            else col++;
        }
        sq_free(buf);
        return sq_error(SEQRT_ERR_PARSE, "%s: malformed JSON near line %d, column %d%s", json_path, line, col,
                        trailing);
    }
    sq_free(buf);
    seqrt_model *m = sq_calloc(1, sizeof *m);
    if (!m) {
        cJSON_Delete(root);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    if (!(m->path = sq_strdup(json_path))) st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    if (!st) st = sq_parse_description(m, json_path, root);
    if (!st) st = resolve_weights_path(m, root, json_path, opt);
    cJSON_Delete(root);
    if (!st) st = sq_model_load_weights(m, opt && opt->strict, weights, weights_len);
    if (!st) st = sq_infer_model(m);
    if (st) {
        sq_model_destroy(m);
        return st;
    }
    sq_log(SQ_LOG_INFO, "loaded model '%s' from %s: %d layers, %d weight tensors", m->name, json_path,
           m->nlayers, m->nweights);
    *out = m;
    return SEQRT_OK;
}

seqrt_status seqrt_model_load(seqrt_model **out, const char *json_path, const seqrt_load_options *opt)
{
    sq_clear_error();
    if (out) *out = NULL; /* on every failure, NULL arguments included */
    if (!out || !json_path) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_model_load: NULL argument");
    uint8_t *buf = NULL;
    size_t len = 0;
    seqrt_status st = sq_read_file(json_path, SQ_MAX_DESCRIPTION_BYTES, &buf, &len);
    if (st) return st;
    return load_description(out, json_path, buf, len, NULL, 0, opt);
}

seqrt_status sq_model_load_memory(seqrt_model **out, const char *name, const uint8_t *json, size_t json_len,
                                  const uint8_t *weights, size_t weights_len, const seqrt_load_options *opt)
{
    sq_clear_error();
    if (out) *out = NULL;
    if (!out || !name || (!json && json_len) || (!weights && weights_len))
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "sq_model_load_memory: NULL argument");
    if (json_len > SQ_MAX_DESCRIPTION_BYTES)
        return sq_error(SEQRT_ERR_LIMIT, "%s: description is %zu bytes, more than the limit of %zu bytes", name,
                        json_len, SQ_MAX_DESCRIPTION_BYTES);
    uint8_t *buf = sq_malloc(json_len);
    if (!buf) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    if (json_len) memcpy(buf, json, json_len);
    /* no image: a safetensors file with no tensors ("{}") */
    static const uint8_t empty[10] = {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    if (!weights) weights = empty, weights_len = sizeof empty;
    return load_description(out, name, buf, json_len, weights, weights_len, opt);
}

void sq_model_destroy(seqrt_model *m)
{
    if (!m) return;
    if (!m->borrowed) {
        for (int v = 0; v < m->nvalues; v++) sq_free(m->values[v].name);
        for (int l = 0; l < m->nlayers; l++) {
            sq_free(m->layers[l].name);
            sq_free(m->layers[l].list);
            sq_free((void *)m->layers[l].w);
        }
        for (int s = 0; s < m->nsyms; s++) sq_free(m->sym_names[s]);
        for (int i = 0; i < m->nwarnings; i++) sq_free(m->warnings[i]);
        sq_weights_free(m->weights, m->nweights);
        sq_free(m->sym_names);
        sq_free(m->warnings);
        sq_free(m->name);
        sq_free(m->path);
        sq_free(m->weights_path);
        sq_free(m->metadata_json);
    } else {
        /* a streaming view owns the names of the values it added */
        for (int v = m->nvalues - m->nstate; v < m->nvalues; v++) sq_free(m->values[v].name);
        if (m->widen_self == m) { /* a widened view: its layers' arrays and f32 copies (names borrowed) */
            for (int l = 0; m->layers && l < m->nlayers; l++) sq_free((void *)m->layers[l].w);
            for (int i = 0; i < m->nwidened; i++) sq_free(m->widened[i].data);
            sq_free(m->widened);
        }
    }
    sq_free(m->values);
    sq_free(m->layers);
    sq_free(m->inputs);
    sq_free(m->outputs);
    sq_free(m);
}

void seqrt_model_free(seqrt_model *m) { sq_model_destroy(m); }
