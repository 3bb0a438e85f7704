/*
 * The golden cases: where their directory is (the installed copy, or the
 * source tree's), an entry in the list for each case in it, loading one as
 * an instance (stored inputs and expected outputs, plus the oracle), and
 * copying its files for --save-failures.
 */
#define _DEFAULT_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case_files.h"
#include "case_golden.h"
#include "case_oracle.h"

/* Where the golden cases are: SEQRT_GOLDEN_RELDIR, relative to the
 * directory of the running program, is where an installed seqrt-conformance
 * finds them (e.g. ../share/seqrt/conformance/golden); SEQRT_GOLDEN_DIR is the
 * source tree's, for a program run from the build tree. */
#ifndef SEQRT_GOLDEN_DIR
#define SEQRT_GOLDEN_DIR "conformance/data/golden"
#endif
#ifndef SEQRT_GOLDEN_RELDIR
#define SEQRT_GOLDEN_RELDIR "../share/seqrt/conformance/golden"
#endif

static char g_golden_dir[1024];
static pthread_once_t g_golden_once = PTHREAD_ONCE_INIT;

/* The installed copy beside the running program if it is there, else the
 * source tree's. */
static void find_golden_dir(void)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            struct stat st;
            snprintf(g_golden_dir, sizeof g_golden_dir, "%s/%s", exe, SEQRT_GOLDEN_RELDIR);
            char *real = realpath(g_golden_dir, NULL);
            bool found = real && stat(real, &st) == 0 && S_ISDIR(st.st_mode);
            if (found) snprintf(g_golden_dir, sizeof g_golden_dir, "%s", real);
            free(real);
            if (found) return;
        }
    }
    snprintf(g_golden_dir, sizeof g_golden_dir, "%s", SEQRT_GOLDEN_DIR);
}

const char *cf_default_golden_dir(void)
{
    pthread_once(&g_golden_once, find_golden_dir);
    return g_golden_dir;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int cf_add_golden_cases(cf_suite *s, const char *dir, char *err, size_t errn)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errn, "golden directory %s: %s (give --golden-dir DIR, or --no-golden)", dir, strerror(errno));
        return -1;
    }
    snprintf(s->golden_dir, sizeof s->golden_dir, "%s", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/case.json", dir, de->d_name);
        if (access(path, R_OK) != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 128;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char name[160], path[1024];
        snprintf(name, sizeof name, "golden/%s", names[i]);
        cf_entry *e = cf_new_entry(s, name, "golden", 0);
        if (e) {
            snprintf(e->golden, sizeof e->golden, "%s/%s", dir, names[i]);
            snprintf(path, sizeof path, "%s/case.json", e->golden);
            char *text = cf_read_text(path, 1 << 16);
            cJSON *j = text ? cJSON_Parse(text) : NULL;
            const cJSON *src = j ? cJSON_GetObjectItem(j, "source") : NULL;
            snprintf(e->info.source, sizeof e->info.source, "%s", cJSON_IsString(src) ? src->valuestring : "golden");
            cJSON_Delete(j);
            free(text);
        }
        free(names[i]);
    }
    free(names);
    if (!n) {
        snprintf(err, errn, "golden directory %s holds no case (a case is a directory with case.json)", dir);
        return -1;
    }
    return 0;
}

int cf_golden_instance(cf_instance *inst, const cf_entry *e, char *err, size_t errn)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/case.json", e->golden);
    char *text = cf_read_text(path, 1 << 16);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!j) {
        snprintf(err, errn, "cannot read %s", path);
        return -1;
    }
    const cJSON *a = cJSON_GetObjectItem(j, "atol"), *r = cJSON_GetObjectItem(j, "rtol");
    const cJSON *d = cJSON_GetObjectItem(j, "description"), *n = cJSON_GetObjectItem(j, "tolerance_note");
    if (cJSON_IsNumber(a)) inst->atol = a->valuedouble;
    if (cJSON_IsNumber(r)) inst->rtol = r->valuedouble;
    if (cJSON_IsString(d)) snprintf(inst->description, sizeof inst->description, "%s", d->valuestring);
    if (cJSON_IsString(n)) snprintf(inst->tolerance_note, sizeof inst->tolerance_note, "%s", n->valuestring);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/model.json", e->golden);
    if (seqrt_model_load(&inst->model, path, NULL) != SEQRT_OK) {
        snprintf(err, errn, "the golden model does not load: %s", seqrt_last_error());
        return -1;
    }
    if (cf_instance_finish_model(inst, err, errn)) return -1;
    for (size_t i = 0; i < inst->nin; i++) {
        snprintf(path, sizeof path, "%s/input.%s.npy", e->golden, seqrt_model_input_name(inst->model, i));
        if (seqrt_tensor_load_npy(&inst->inputs[i], path) != SEQRT_OK) {
            snprintf(err, errn, "golden input: %s", seqrt_last_error());
            return -1;
        }
    }
    inst->expected = calloc(inst->nout, sizeof *inst->expected);
    if (!inst->expected) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    for (size_t o = 0; o < inst->nout; o++) {
        char v[256];
        cf_output_file_value(seqrt_model_output_name(inst->model, o), v, sizeof v);
        snprintf(path, sizeof path, "%s/expected.%s.npy", e->golden, v);
        if (seqrt_tensor_load_npy(&inst->expected[o], path) != SEQRT_OK) {
            snprintf(err, errn, "golden expected output: %s", seqrt_last_error());
            return -1;
        }
    }
    return cf_instance_run_oracle(inst, err, errn);
}

void cf_golden_copy_files(const cf_entry *e, const char *dir)
{
    char path[1200];
    const char *files[] = {"model.json", "model.safetensors", "case.json"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", e->golden, files[i]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc(n > 0 ? (size_t)n : 1);
        size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
        fclose(f);
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (buf) cf_write_file(path, buf, got);
        free(buf);
    }
}
