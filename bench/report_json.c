/*
 * seqrt-bench output: the JSON report (cJSON): the run's method, machine,
 * baselines and devices, then every case with its GEMM shapes and each
 * series' measurements and ratios.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

static cJSON *machine_json(void)
{
    cJSON *m = cJSON_CreateObject();
    char buf[256];
    bench_read_line_value("/proc/cpuinfo", "model name", buf, sizeof buf);
    cJSON_AddStringToObject(m, "cpu", buf);
    cJSON_AddNumberToObject(m, "cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
    bench_read_line_value("/proc/meminfo", "MemTotal", buf, sizeof buf);
    cJSON_AddStringToObject(m, "memory", buf);
    bench_read_line_value("/etc/os-release", "PRETTY_NAME", buf, sizeof buf);
    cJSON_AddStringToObject(m, "os", buf);
    bench_read_line_value("/proc/sys/kernel/osrelease", "", buf, sizeof buf);
    cJSON_AddStringToObject(m, "kernel", buf);
    bench_read_line_value("/proc/loadavg", "", buf, sizeof buf);
    cJSON_AddStringToObject(m, "loadavg_at_end", buf);
    return m;
}

static void stats_json(cJSON *o, const bench_stats *s, const bench_case *c)
{
    cJSON_AddStringToObject(o, "status", bench_state_name(s->state));
    if (s->note[0]) cJSON_AddStringToObject(o, "note", s->note);
    if (s->state != BENCH_OK) return;
    cJSON_AddNumberToObject(o, "median_ms", s->median_ms);
    cJSON_AddNumberToObject(o, "min_ms", s->min_ms);
    cJSON_AddNumberToObject(o, "p90_ms", s->p90_ms);
    cJSON_AddNumberToObject(o, "mean_ms", s->mean_ms);
    cJSON_AddNumberToObject(o, "reps", s->reps);
    cJSON_AddNumberToObject(o, "warmup_reps", s->warmup);
    cJSON_AddNumberToObject(o, "gflops", bench_gflops(c, s));
    cJSON_AddNumberToObject(o, "us_per_step", c->T > 0 ? s->median_ms * 1e3 / (double)c->T : 0);
    cJSON_AddNumberToObject(o, "seq_per_s", s->median_ms > 0 ? (double)c->B / (s->median_ms * 1e-3) : 0);
    if (s->peak_mb >= 0) cJSON_AddNumberToObject(o, "peak_mb", s->peak_mb);
    else cJSON_AddNullToObject(o, "peak_mb");
    cJSON_AddNumberToObject(o, "create_ms", s->create_ms);
    cJSON_AddNumberToObject(o, "first_ms", s->first_ms);
}

static void ratio_json(cJSON *o, const char *k, double v)
{
    if (v > 0) cJSON_AddNumberToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

int bench_write_json(const char *path, const bench_report *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tool", "seqrt-bench");
    cJSON_AddStringToObject(j, "seqrt_version", seqrt_version());
    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(j, "date", date);
    cJSON_AddStringToObject(j, "command", r->command);
    cJSON_AddItemToObject(j, "machine", machine_json());
    cJSON *cfg = cJSON_AddObjectToObject(j, "method");
    cJSON_AddNumberToObject(cfg, "budget_s", r->opts->budget_s);
    cJSON_AddNumberToObject(cfg, "warmup_s", r->opts->warmup_s);
    cJSON_AddNumberToObject(cfg, "max_reps", r->opts->max_reps);
    cJSON_AddNumberToObject(cfg, "rounds", r->opts->rounds);
    cJSON_AddBoolToObject(cfg, "quick", r->opts->quick);
    if (r->opts->threads > 0) cJSON_AddNumberToObject(cfg, "threads", r->opts->threads);
    else cJSON_AddStringToObject(cfg, "threads", "every CPU (OMP_NUM_THREADS unset by seqrt-bench)");
    cJSON_AddNumberToObject(cfg, "neighbours", r->opts->neighbours);
    cJSON_AddNumberToObject(cfg, "ref_max_gflop", r->opts->ref_max_gflop);
    cJSON_AddStringToObject(cfg, "flops", "GEMM FLOPs only (benchdnn): 2*T*B*G*H*(I+H) per recurrent layer and "
                                          "direction, plus linear / attention GEMMs");
    cJSON_AddStringToObject(cfg, "peak_memory", bench_mem_exact()
                                                    ? "VmHWM after creation, first run and warm-up - VmRSS "
                                                      "before creation (high-water mark reset via "
                                                      "/proc/self/clear_refs)"
                                                    : "n/a: /proc/self/clear_refs not writable");
    cJSON *libs = cJSON_AddObjectToObject(j, "baselines");
    cJSON_AddStringToObject(libs, "onednn", r->dnnl_version);
    cJSON *cl = cJSON_AddArrayToObject(libs, "clblast_devices");
    for (int k = 0; k < r->ncl; k++) cJSON_AddItemToArray(cl, cJSON_CreateString(r->cl_names[k]));
    if (!r->ncl) cJSON_AddStringToObject(libs, "clblast", r->cl_note);
    cJSON_AddStringToObject(libs, "onnxruntime", r->ort_version);
    cJSON *devs = cJSON_AddArrayToObject(j, "devices");
    for (int d = 0; d < r->ndevices; d++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", r->devices[d].id);
        cJSON_AddStringToObject(o, "name", r->devices[d].name);
        cJSON_AddStringToObject(o, "description", r->devices[d].description);
        cJSON_AddItemToArray(devs, o);
    }
    cJSON *cases = cJSON_AddArrayToObject(j, "cases");
    for (int ci = 0; ci < r->ncases; ci++) {
        const bench_case *c = &r->cases[ci];
        const bench_case_result *x = &r->res[ci];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "set", c->set);
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "shape", c->shape);
        if (c->axis[0]) {
            cJSON_AddStringToObject(o, "axis", c->axis);
            cJSON_AddNumberToObject(o, "axis_value", c->axis_value);
        }
        cJSON_AddNumberToObject(o, "T", (double)c->T);
        cJSON_AddNumberToObject(o, "B", (double)c->B);
        cJSON_AddNumberToObject(o, "gflop", c->flops * 1e-9);
        if (c->note[0]) cJSON_AddStringToObject(o, "note", c->note);
        cJSON *gm = cJSON_AddArrayToObject(o, "gemm_shapes");
        for (int g = 0; g < c->ngemm; g++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "what", c->gemm[g].what);
            cJSON_AddNumberToObject(e, "M", (double)c->gemm[g].M);
            cJSON_AddNumberToObject(e, "N", (double)c->gemm[g].N);
            cJSON_AddNumberToObject(e, "K", (double)c->gemm[g].K);
            cJSON_AddNumberToObject(e, "count", (double)c->gemm[g].count);
            cJSON_AddItemToArray(gm, e);
        }
        cJSON *bl = cJSON_AddObjectToObject(o, "baselines");
        stats_json(cJSON_AddObjectToObject(bl, "dnnl_sgemm"), &x->dnnl_gemm, c);
        stats_json(cJSON_AddObjectToObject(bl, "dnnl_lstm"), &x->dnnl_lstm, c);
        stats_json(cJSON_AddObjectToObject(bl, "ort_lstm"), &x->ort, c);
        for (int k = 0; k < r->ncl; k++) {
            if (x->clblast[k].state == BENCH_NOT_RUN) continue;
            char id[32];
            snprintf(id, sizeof id, "clblast:%d", k);
            stats_json(cJSON_AddObjectToObject(bl, id), &x->clblast[k], c);
        }
        cJSON *rs = cJSON_AddArrayToObject(o, "results");
        for (int d = 0; d < r->ndevices; d++) {
            const bench_stats *s = &x->seqrt[d];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "device", r->devices[d].id);
            stats_json(e, s, c);
            const char *src = NULL;
            const bench_stats *g = bench_gemm_for(r, ci, d, &src);
            cJSON_AddStringToObject(e, "gemm_baseline", src);
            ratio_json(e, "ratio_gemm_peak", bench_ratio(g, s));
            ratio_json(e, "ratio_dnnl_lstm", bench_ratio(&x->dnnl_lstm, s));
            ratio_json(e, "ratio_ort_lstm", bench_ratio(&x->ort, s));
            cJSON_AddItemToArray(rs, e);
        }
        cJSON_AddItemToArray(cases, o);
    }
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) return -1;
    FILE *f = fopen(path, "w");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = 0;
    cJSON_free(text);
    return ok ? 0 : -1;
}

