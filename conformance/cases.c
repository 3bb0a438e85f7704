/*
 * The case list: the generated families in a fixed order (recurrent
 * layers, format 1.1's recurrent attributes, ops, attention, models), then the golden cases, each kept or
 * left out by the suite's set and filter (case_table.c); and what the rest
 * of the suite asks of the list. The builders the families are written
 * with are in case_build.c and case_inputs.c; instances in case_instance.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "case_golden.h"
#include "case_table.h"

int cf_suite_create(cf_suite **out, const cf_suite_options *opt, char *err, size_t errn)
{
    *out = NULL;
    cf_suite *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    s->seed = opt && opt->seed ? opt->seed : CF_DEFAULT_SEED;
    s->full = opt ? opt->full : 0;
    if (opt && opt->filter) snprintf(s->filter, sizeof s->filter, "%s", opt->filter);
    cf_add_rnn_cases(s);
    cf_add_rnn_v11_cases(s);
    cf_add_op_cases(s);
    cf_add_attention_cases(s);
    cf_add_model_cases(s);
    const char *gd = opt && opt->golden_dir ? opt->golden_dir : cf_default_golden_dir();
    if (*gd) {
        if (cf_add_golden_cases(s, gd, err, errn)) {
            cf_suite_free(s);
            return -1;
        }
    } else
        snprintf(s->golden_note, sizeof s->golden_note, "golden cases turned off");
    if (s->oom) {
        cf_suite_free(s);
        snprintf(err, errn, "out of memory building the case list");
        return -1;
    }
    *out = s;
    return 0;
}

void cf_suite_free(cf_suite *s)
{
    if (!s) return;
    free(s->e);
    free(s);
}

size_t cf_suite_count(const cf_suite *s) { return s->n; }
const cf_case_info *cf_suite_case(const cf_suite *s, size_t i) { return i < s->n ? &s->e[i].info : NULL; }
uint64_t cf_suite_seed(const cf_suite *s) { return s->seed; }
int cf_suite_full(const cf_suite *s) { return s->full; }
const char *cf_suite_golden_dir(const cf_suite *s) { return s->golden_dir; }
const char *cf_suite_golden_note(const cf_suite *s) { return s->golden_note; }

