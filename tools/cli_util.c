/*
 * seqrt command-line program: helpers shared by the commands (messages,
 * option parsing, paths, the all-or-nothing output writer, text tables).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ------------------------------------------------------------ messages */

/* Prints "seqrt: <kind>: <text>\n", folding control characters so that the
 * message is exactly one line. */
static void print_line(const char *kind, const char *text)
{
    char line[2048];
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < sizeof line; p++)
        line[n++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
    while (n > 0 && line[n - 1] == ' ') n--;
    line[n] = '\0';
    fflush(stdout);
    fprintf(stderr, "seqrt: %s: %s\n", kind, line);
}

/* print_line of a printf-style message. */
static void print_linev(const char *kind, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    print_line(kind, msg);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_linev("error", fmt, ap);
    va_end(ap);
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_linev("warning", fmt, ap);
    va_end(ap);
}

int cli_lib_error(seqrt_status status, const char *fmt, ...)
{
    /* Copy the detail first: formatting must not call into the library. */
    char detail[1200], context[700], msg[2048];
    const char *le = seqrt_last_error();
    snprintf(detail, sizeof detail, "%s", (le && *le) ? le : seqrt_status_str(status));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof context, fmt, ap);
    va_end(ap);
    if (context[0])
        snprintf(msg, sizeof msg, "%s: %s", context, detail);
    else
        snprintf(msg, sizeof msg, "%s", detail);
    print_line("error", msg);
    return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    char text[1500], msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (command)
        snprintf(msg, sizeof msg, "%s (try 'seqrt %s --help')", text, command);
    else
        snprintf(msg, sizeof msg, "%s (try 'seqrt --help')", text);
    print_line("error", msg);
    return CLI_EXIT_USAGE;
}

int cli_log_info(void)
{
    const char *env = getenv("SEQRT_LOG");
    return env && (!strcasecmp(env, "info") || !strcasecmp(env, "debug"));
}

/* ------------------------------------------------------------ option parsing */

int cli_is_help(const char *s)
{
    return s && (!strcmp(s, "-h") || !strcmp(s, "--help"));
}

int cli_option_value(int argc, char **argv, int *i, const char *name, const char **value,
                     const char *command)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(command, "option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_parse_positive(const char *s, int64_t *out)
{
    if (!s || !*s) return 0;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (v < 1) return 0;
    *out = v;
    return 1;
}

/* ------------------------------------------------------------ paths and names */

char *cli_path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    int slash = dl > 0 && dir[dl - 1] != '/';
    char *p = malloc(dl + (size_t)slash + nl + 1);
    if (!p) return NULL;
    memcpy(p, dir, dl);
    if (slash) p[dl] = '/';
    memcpy(p + dl + slash, name, nl + 1);
    return p;
}

char *cli_output_file_name(const char *value)
{
    size_t n = strlen(value);
    char *p = malloc(n + 5);
    if (!p) return NULL;
    for (size_t i = 0; i < n; i++) p[i] = value[i] == ':' ? '.' : value[i];
    memcpy(p + n, ".npy", 5);
    return p;
}

int cli_is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_dtype_name(seqrt_dtype dtype)
{
    switch (dtype) {
    case SEQRT_F32: return "float32";
    case SEQRT_I32: return "int32";
    case SEQRT_I64: return "int64";
    }
    return "?";
}

void cli_format_dims(const seqrt_tensor *t, char *buf, size_t size)
{
    size_t n = 0;
    int rank = seqrt_tensor_rank(t);
    n += (size_t)snprintf(buf, size, "[");
    for (int a = 0; a < rank && n < size; a++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", a ? ", " : "",
                              (long long)seqrt_tensor_dim(t, a));
    if (n < size) snprintf(buf + n, size - n, "]");
}

/* ------------------------------------------------------------ time steps */

/* The buffers are seen as int32 tensors [outer, T, inner_bytes / 4] (every
 * dtype's size is a multiple of 4) and copied by seqrt_tensor_copy_steps. */
void cli_split_dims(const seqrt_tensor *t, int axis, size_t *outer, size_t *inner_bytes)
{
    size_t ou = 1, in = seqrt_dtype_size(seqrt_tensor_dtype(t));
    int rank = seqrt_tensor_rank(t);
    for (int d = 0; d < axis; d++) ou *= (size_t)seqrt_tensor_dim(t, d);
    for (int d = axis + 1; d < rank; d++) in *= (size_t)seqrt_tensor_dim(t, d);
    *outer = ou;
    *inner_bytes = in;
}

/* ------------------------------------------------------------ atomic output set */

void cli_writer_init(cli_writer *w)
{
    memset(w, 0, sizeof *w);
}

int cli_writer_add(cli_writer *w, const char *dir, const char *file_name, const seqrt_tensor *t)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        char **f = realloc(w->final_path, cap * sizeof *f);
        if (!f) goto oom;
        w->final_path = f;
        char **tp = realloc(w->temp_path, cap * sizeof *tp);
        if (!tp) goto oom;
        w->temp_path = tp;
        w->cap = cap;
    }
    char *final = cli_path_join(dir, file_name);
    size_t tl = strlen(file_name) + 40;
    char *tname = malloc(tl);
    char *temp = NULL;
    if (tname) {
        snprintf(tname, tl, ".%s.tmp-%ld", file_name, (long)getpid());
        temp = cli_path_join(dir, tname);
        free(tname);
    }
    if (!final || !temp) {
        free(final);
        free(temp);
        goto oom;
    }
    seqrt_status st = seqrt_tensor_save_npy(t, temp);
    if (st != SEQRT_OK) {
        cli_lib_error(st, "writing %s", final);
        unlink(temp); /* normally absent: the library writes atomically */
        free(final);
        free(temp);
        return CLI_EXIT_FAIL;
    }
    w->final_path[w->count] = final;
    w->temp_path[w->count] = temp;
    w->count++;
    return CLI_EXIT_OK;
oom:
    cli_error("out of memory writing the outputs");
    return CLI_EXIT_FAIL;
}

int cli_writer_commit(cli_writer *w)
{
    for (size_t i = 0; i < w->count; i++) {
        if (rename(w->temp_path[i], w->final_path[i]) != 0) {
            int err = errno;
            /* Take back what was already moved: never a partial set. */
            for (size_t k = 0; k < i; k++) unlink(w->final_path[k]);
            cli_error("cannot write %s: %s", w->final_path[i], strerror(err));
            return CLI_EXIT_FAIL; /* cli_writer_free removes the rest */
        }
        free(w->temp_path[i]);
        w->temp_path[i] = NULL;
    }
    return CLI_EXIT_OK;
}

void cli_writer_free(cli_writer *w)
{
    for (size_t i = 0; i < w->count; i++) {
        if (w->temp_path[i]) {
            unlink(w->temp_path[i]);
            free(w->temp_path[i]);
        }
        free(w->final_path[i]);
    }
    free(w->final_path);
    free(w->temp_path);
    memset(w, 0, sizeof *w);
}

/* ------------------------------------------------------------ tables */

int cli_table_init(cli_table *t, int ncols)
{
    memset(t, 0, sizeof *t);
    if (ncols < 1 || ncols > 16) return 0;
    t->ncols = ncols;
    return 1;
}

int cli_table_row(cli_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, cap * (size_t)t->ncols * sizeof *c);
        if (!c) return 0;
        t->cells = c;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * (size_t)t->ncols;
    for (int c = 0; c < t->ncols; c++) {
        const char *s = cells[c] ? cells[c] : "";
        size_t n = strlen(s);
        row[c] = malloc(n + 1);
        if (!row[c]) {
            while (c-- > 0) free(row[c]);
            return 0;
        }
        memcpy(row[c], s, n + 1);
    }
    t->nrows++;
    return 1;
}

void cli_table_print(const cli_table *t, FILE *f, const char *indent)
{
    size_t width[16] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            size_t n = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (n > width[c]) width[c] = n;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(indent ? indent : "", f);
        char *const *row = t->cells + r * (size_t)t->ncols;
        for (int c = 0; c < t->ncols; c++) {
            int last = c == t->ncols - 1;
            int w = (int)width[c];
            if (t->right[c])
                fprintf(f, "%*s", w, row[c]);
            else if (last)
                fputs(row[c], f);
            else
                fprintf(f, "%-*s", w, row[c]);
            if (!last) fputs("  ", f);
        }
        fputc('\n', f);
    }
}

void cli_table_free(cli_table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
