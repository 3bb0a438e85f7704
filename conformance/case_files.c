/*
 * The files of a generated case: its description as model.json and its
 * weights as safetensors (written here, F32 little-endian), the temporary
 * directory the case is loaded from, and small file helpers the golden
 * cases share.
 */
#define _DEFAULT_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case_files.h"

int cf_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    int rc = fclose(f);
    return w == n && rc == 0 ? 0 : -1;
}

/* safetensors: u64 LE header length, JSON header padded with spaces to a
 * multiple of 8, then the F32 LE data in header order. */
static int write_safetensors(const char *path, const cf_wt *w, size_t n)
{
    cJSON *h = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(h, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    cJSON_AddStringToObject(meta, "generator", "seqrt-conformance");
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = (size_t)w[i].d[0] * (size_t)(w[i].rank == 2 ? w[i].d[1] : 1);
        cJSON *t = cJSON_AddObjectToObject(h, w[i].name);
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(t, "shape");
        for (int d = 0; d < w[i].rank; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)w[i].d[d]));
        cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        off += count * 4;
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
    }
    char *js = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (!js) return -1;
    size_t hl = strlen(js), padded = (hl + 7) / 8 * 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(js);
        return -1;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(js, 1, hl, f) == hl;
    for (size_t i = hl; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
    free(js);
    for (size_t i = 0; ok && i < n; i++) {
        size_t count = (size_t)w[i].d[0] * (size_t)(w[i].rank == 2 ? w[i].d[1] : 1);
        for (size_t k = 0; ok && k < count; k++) {
            uint32_t u;
            memcpy(&u, &w[i].data[k], 4);
            unsigned char le[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                                   (unsigned char)(u >> 24)};
            ok = fwrite(le, 1, 4, f) == 4;
        }
    }
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}

int cf_write_model_files(const cf_builder *b, const char *case_name, const char *dir)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "format", "seqrt");
    cJSON_AddNumberToObject(m, "version", b->version);
    cJSON_AddStringToObject(m, "name", case_name);
    cJSON_AddBoolToObject(m, "batch_first", b->bf);
    cJSON_AddStringToObject(m, "weights", "model.safetensors");
    cJSON_AddItemReferenceToObject(m, "inputs", b->inputs);
    cJSON_AddItemReferenceToObject(m, "layers", b->layers);
    cJSON_AddItemReferenceToObject(m, "outputs", b->outputs);
    cJSON *meta = cJSON_AddObjectToObject(m, "metadata");
    cJSON_AddStringToObject(meta, "conformance_case", case_name);
    cJSON_AddStringToObject(meta, "description", b->desc);
    char *js = cJSON_Print(m);
    cJSON_Delete(m);
    if (!js) return -1;
    char path[1024];
    snprintf(path, sizeof path, "%s/model.json", dir);
    int rc = cf_write_file(path, js, strlen(js));
    free(js);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!rc) rc = write_safetensors(path, b->w, b->nw);
    return rc;
}

void cf_rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char p[1200];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

int cf_make_temp_dir(char *dir, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/seqrt-conformance-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

char *cf_read_text(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    return buf;
}

void cf_output_file_value(const char *value, char *buf, size_t n)
{
    snprintf(buf, n, "%s", value);
    for (char *c = buf; *c; c++)
        if (*c == ':') *c = '.';
}
