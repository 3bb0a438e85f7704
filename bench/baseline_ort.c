/*
 * seqrt-bench baseline: ONNX Runtime's CPU LSTM, the peer a user would pick
 * instead. ONNX Runtime comes from the npm package onnxruntime-node (its
 * CPU library ships inside the package: bench/ort/install.sh), driven by
 * bench/ort/ort_lstm.js, which builds an ONNX model of the case's recurrent
 * stacks, times it with the same method as seqrt-bench and prints one JSON
 * object; this file runs it with popen and reads that object. Node is
 * $NODE or `node` on the PATH; the script's folder is --ort-dir, else
 * $SEQRT_BENCH_ORT_DIR, else the source tree's bench/ort.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static const char *node_bin(void)
{
    const char *n = getenv("NODE");
    return n && *n ? n : "node";
}

/* Runs the script with `arg` (JSON, no single quote) and parses its last
 * line of output. */
static cJSON *run_script(const bench_opts *opts, const char *arg, char *err, size_t err_size)
{
    if (strchr(opts->ort_dir, '\'') || strchr(node_bin(), '\'')) {
        snprintf(err, err_size, "the ORT script's path holds a quote");
        return NULL;
    }
    size_t n = strlen(arg) + strlen(opts->ort_dir) + 256;
    char *cmd = malloc(n);
    if (!cmd) return NULL;
    snprintf(cmd, n, "'%s' '%s/ort_lstm.js' '%s' 2>&1", node_bin(), opts->ort_dir, arg);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) {
        snprintf(err, err_size, "cannot start node");
        return NULL;
    }
    char line[4096], last[4096] = "";
    while (fgets(line, sizeof line, p))
        if (line[0] == '{') snprintf(last, sizeof last, "%s", line);
        else if (!*last && line[0] != '\n') snprintf(err, err_size, "%.*s", (int)strcspn(line, "\n"), line);
    int status = pclose(p);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(err, err_size, "node not found (apt-get install nodejs npm, then run bench/ort/install.sh)");
        return NULL;
    }
    cJSON *j = cJSON_Parse(last);
    if (!j && !*err) snprintf(err, err_size, "no result from ort_lstm.js (exit status %d)", status);
    return j;
}

int bench_ort_available(const bench_opts *opts, char *version, size_t n)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/ort_lstm.js", opts->ort_dir);
    if (access(path, R_OK) != 0) {
        snprintf(version, n, "n/a (%s not found: set --ort-dir)", path);
        return 0;
    }
    char err[512] = "";
    cJSON *j = run_script(opts, "--version", err, sizeof err);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "version");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    int good = cJSON_IsTrue(ok) && cJSON_IsString(v);
    if (good) {
        const cJSON *nv = cJSON_GetObjectItemCaseSensitive(j, "node");
        snprintf(version, n, "%s (node %s)", v->valuestring, cJSON_IsString(nv) ? nv->valuestring : "?");
    } else {
        const char *why = cJSON_IsString(e) ? e->valuestring : *err ? err : "node or onnxruntime-node missing";
        snprintf(version, n, "n/a (%s%s)", why, strstr(why, "install") ? "" : "; see bench/ort/install.sh");
    }
    cJSON_Delete(j);
    return good;
}

static double num(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

void bench_ort_lstm(const bench_case *c, const bench_opts *opts, bench_stats *out)
{
    memset(out, 0, sizeof *out);
    out->peak_mb = -1;
    if (c->nrnn == 0) {
        out->state = BENCH_SKIPPED;
        snprintf(out->note, sizeof out->note, "no LSTM in this model");
        return;
    }
    for (int i = 0; i < c->nrnn; i++)
        if (!c->rnn[i].plain) {
            out->state = BENCH_SKIPPED;
            snprintf(out->note, sizeof out->note, "layer '%s' is not a plain LSTM", c->rnn[i].layer);
            return;
        }
    cJSON *spec = cJSON_CreateObject();
    cJSON *st = cJSON_AddArrayToObject(spec, "stacks");
    for (int i = 0; i < c->nrnn; i++) {
        const bench_rnn *r = &c->rnn[i];
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "T", (double)r->T);
        cJSON_AddNumberToObject(s, "B", (double)r->B);
        cJSON_AddNumberToObject(s, "I", (double)r->I);
        cJSON_AddNumberToObject(s, "H", (double)r->H);
        cJSON_AddNumberToObject(s, "L", r->L);
        cJSON_AddNumberToObject(s, "D", r->D);
        cJSON_AddItemToArray(st, s);
    }
    cJSON_AddNumberToObject(spec, "budget_s", opts->budget_s);
    cJSON_AddNumberToObject(spec, "warmup_s", opts->warmup_s);
    cJSON_AddNumberToObject(spec, "max_reps", opts->max_reps);
    if (opts->threads > 0) cJSON_AddNumberToObject(spec, "threads", opts->threads);
    char *arg = cJSON_PrintUnformatted(spec);
    cJSON_Delete(spec);
    char err[512] = "";
    cJSON *j = arg ? run_script(opts, arg, err, sizeof err) : NULL;
    cJSON_free(arg);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"))) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        out->state = BENCH_FAILED;
        snprintf(out->note, sizeof out->note, "%s", cJSON_IsString(e) ? e->valuestring : *err ? err : "ort_lstm.js failed");
    } else {
        out->state = BENCH_OK;
        out->median_ms = num(j, "median_ms");
        out->min_ms = num(j, "min_ms");
        out->p90_ms = num(j, "p90_ms");
        out->mean_ms = num(j, "mean_ms");
        out->reps = (int)num(j, "reps");
        out->warmup = (int)num(j, "warmup");
        out->create_ms = num(j, "create_ms");
        out->first_ms = num(j, "first_ms");
        out->peak_mb = num(j, "peak_mb");
    }
    cJSON_Delete(j);
}
