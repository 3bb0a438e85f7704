/*
 * The suite's table of cases: an entry per case, in the order the families
 * add them, each kept or left out by the suite's set (quick or full) and
 * its --filter. cf_add_case is how a family lists a generated case.
 */
#define _DEFAULT_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_table.h"

/* The filter: comma-separated tokens, each "=NAME" (that exact name), a
 * glob, or a substring of the name or the exact group. */
static int filter_match(const cf_suite *s, const char *name, const char *group)
{
    if (!s->filter[0]) return 1;
    char list[512], *save = NULL;
    snprintf(list, sizeof list, "%s", s->filter);
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!*tok) continue;
        if (tok[0] == '=') {
            if (!strcmp(name, tok + 1)) return 1;
        } else if (strpbrk(tok, "*?[")) {
            if (!fnmatch(tok, name, 0)) return 1;
        } else if (strstr(name, tok) || !strcmp(group, tok)) {
            return 1;
        }
    }
    return 0;
}


cf_entry *cf_new_entry(cf_suite *s, const char *name, const char *group, int full_only)
{
    if (full_only && !s->full) return NULL;
    if (!filter_match(s, name, group)) return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].info.name, name)) {
            fprintf(stderr, "seqrt-conformance: internal error: case '%s' is listed twice\n", name);
            abort();
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        cf_entry *e = realloc(s->e, cap * sizeof *e);
        if (!e) {
            s->oom = 1;
            return NULL;
        }
        s->e = e;
        s->cap = cap;
    }
    cf_entry *e = &s->e[s->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->info.name, sizeof e->info.name, "%s", name);
    snprintf(e->info.group, sizeof e->info.group, "%s", group);
    e->info.full_only = full_only;
    return e;
}

void cf_add_case(cf_suite *s, const char *name, const char *group, int full_only, int chunk,
                 cf_build_fn build, const cf_params *p, const char *data_key)
{
    cf_entry *e = cf_new_entry(s, name, group, full_only);
    if (!e) return;
    snprintf(e->info.source, sizeof e->info.source, "generated");
    e->info.chunk = chunk;
    e->build = build;
    e->p = *p;
    snprintf(e->key, sizeof e->key, "%s", data_key ? data_key : name);
}

