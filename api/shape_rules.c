/* The checks and messages the shape-inference hooks share (see shape_rules.h). */
#include <stdio.h>
#include <string.h>

#include "shape_rules.h"

seqrt_status sq_fail_dim(const sq_infer_ctx *c, int slot, int axis, const char *what, int64_t want)
{
    const sq_shape *s = &c->shapes[c->L->in[slot]];
    char shape[128], wbuf[64];
    sq_format_dims(c->m, s->rank, s->d, shape, sizeof shape);
    sq_format_dims(c->m, 1, &want, wbuf, sizeof wbuf);
    return sq_error(SEQRT_ERR_SHAPE,
                    "layer '%s' (%s): input '%s' ('%s', shape %s): dim %d (%s) must be %.*s",
                    c->L->name, c->s->name, c->s->slots[slot].name, c->m->values[c->L->in[slot]].name, shape,
                    axis, what, (int)strlen(wbuf) - 2, wbuf + 1);
}

seqrt_status sq_fail_rank(const sq_infer_ctx *c, int slot, const char *want)
{
    const sq_shape *s = &c->shapes[c->L->in[slot]];
    char shape[128];
    sq_format_dims(c->m, s->rank, s->d, shape, sizeof shape);
    return sq_error(SEQRT_ERR_SHAPE, "layer '%s' (%s): input '%s' ('%s') has shape %s; expected %s",
                    c->L->name, c->s->name, c->s->slots[slot].name, c->m->values[c->L->in[slot]].name, shape,
                    want);
}

seqrt_status sq_fail_axis(const sq_infer_ctx *c, int64_t axis, int rank)
{
    return sq_error(SEQRT_ERR_SHAPE, "layer '%s' (%s): axis %lld is out of range for rank %d", c->L->name,
                    c->s->name, (long long)axis, rank);
}

const sq_shape *sq_in_shape(const sq_infer_ctx *c, int slot)
{
    return c->L->in[slot] >= 0 ? &c->shapes[c->L->in[slot]] : NULL;
}

int sq_in_taxis(const sq_infer_ctx *c, int slot)
{
    return (c->taxis && c->L->in[slot] >= 0) ? c->taxis[c->L->in[slot]] : -1;
}

void sq_set_out(sq_infer_ctx *c, int o, int rank, const int64_t *d, int taxis)
{
    int v = c->L->out[o];
    if (v < 0) return;
    c->shapes[v].rank = rank;
    memcpy(c->shapes[v].d, d, sizeof(int64_t) * (size_t)rank);
    if (c->taxis) c->taxis[v] = taxis;
}

seqrt_status sq_check_weight_dim(const sq_infer_ctx *c, int widx, int axis, int64_t want, const char *what)
{
    const sq_weight *w = c->L->w ? c->L->w[widx] : NULL;
    if (!w || want < 0 || w->dims[axis] == want) return SEQRT_OK;
    char shape[128];
    sq_format_dims(NULL, w->rank, w->dims, shape, sizeof shape);
    return sq_error(SEQRT_ERR_SHAPE,
                    "layer '%s' (%s): weight '%s' has shape %s, but dim %d must equal %s (%lld)",
                    c->L->name, c->s->name, w->name, shape, axis, what, (long long)want);
}

seqrt_status sq_check_lengths(const sq_infer_ctx *c, int64_t B)
{
    const sq_shape *len = sq_in_shape(c, SQ_SLOT_LENGTHS);
    if (!len) return SEQRT_OK;
    if (len->rank != 1) return sq_fail_rank(c, SQ_SLOT_LENGTHS, "[B], one length per batch entry");
    if (!sq_dim_ok(len->d[0], B)) return sq_fail_dim(c, SQ_SLOT_LENGTHS, 0, "B", B);
    return SEQRT_OK;
}

seqrt_status sq_check_seq(const sq_infer_ctx *c, int slot, int64_t *T, int64_t *B, int64_t *F)
{
    const sq_shape *s = sq_in_shape(c, slot);
    bool bf = c->m->batch_first;
    if (s->rank != 3) return sq_fail_rank(c, slot, bf ? "a sequence [B, T, F]" : "a sequence [T, B, F]");
    *T = s->d[bf ? 1 : 0];
    *B = s->d[bf ? 0 : 1];
    *F = s->d[2];
    return SEQRT_OK;
}

void sq_seq_dims(bool bf, int64_t T, int64_t B, int64_t F, int64_t *d)
{
    d[0] = bf ? B : T;
    d[1] = bf ? T : B;
    d[2] = F;
}

int64_t sq_new_symbol(sq_infer_ctx *c)
{
    seqrt_model *m = c->symtab;
    if (!m) return -1; /* run time: never reached, every dim is concrete */
    char **names = sq_realloc(m->sym_names, sizeof(char *) * (size_t)(m->nsyms + 1));
    if (!names) return -1;
    m->sym_names = names;
    names[m->nsyms] = sq_strdup("?");
    if (!names[m->nsyms]) return -1;
    return -(int64_t)(m->nsyms++) - 1;
}
