/*
 * A plain driver for the fuzz targets, for compilers without libFuzzer (and
 * for ctest with any compiler): runs LLVMFuzzerTestOneInput once on every
 * file given, or found (recursively) under every directory given, so the
 * committed corpora and every past finding run as a regression test.
 *
 *   fuzz_replay_<target> [--suffix=.json] PATH...
 *
 * --suffix keeps only files whose names end so (e.g. the model.json files
 * among the golden cases). Exits 0 after the last file; a finding aborts.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *g_suffix = "";
static long g_files;

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_replay: cannot open %s\n", path);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *q = realloc(buf, cap);
            if (!q) {
                free(buf);
                fclose(f);
                return 1;
            }
            buf = q;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    fclose(f);
    /* an exact-size copy, so ASan sees a read one past the end */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return 1;
    }
    if (len) memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    g_files++;
    return 0;
}

static int replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_replay: %s: no such file or directory\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) return ends_with(path, g_suffix) ? replay_file(path) : 0;
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) return 1;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name);
            rc |= replay(sub);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--suffix=", 9)) g_suffix = argv[i] + 9;
        else rc |= replay(argv[i]);
    }
    printf("fuzz_replay: %ld file(s) replayed\n", g_files);
    return rc;
}
