/* Shape inference for every op of the spec (see shape.h). */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "shape.h"

typedef struct infer_ctx {
    const seqrt_model *m;
    const sq_layer *L;
    sq_shape *shapes;
    int *taxis;
    seqrt_model *symtab;
} infer_ctx;

int sq_norm_axis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= rank) return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}

int sq_axis_split(int rank, const int64_t *d, int64_t axis, int64_t *outer, int64_t *inner)
{
    const int a = sq_norm_axis(axis, rank);
    *outer = *inner = 1;
    if (a < 0) return -1;
    for (int i = 0; i < a; i++) *outer *= d[i];
    for (int i = a + 1; i < rank; i++) *inner *= d[i];
    return a;
}

void sq_format_dims(const seqrt_model *m, int rank, const int64_t *dims, char *buf, size_t n)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && used < n; i++) {
        const char *sep = i ? ", " : "";
        if (dims[i] >= 0)
            used += (size_t)snprintf(buf + used, n - used, "%s%lld", sep, (long long)dims[i]);
        else {
            int s = (int)(-dims[i] - 1);
            const char *name = (m && s < m->nsyms) ? m->sym_names[s] : "?";
            used += (size_t)snprintf(buf + used, n - used, "%s%s", sep, name);
        }
    }
    if (used < n) snprintf(buf + used, n - used, "]");
}

/* Equal, or not decidable yet (a symbol at load time). */
static bool dim_ok(int64_t a, int64_t b) { return a < 0 || b < 0 || a == b; }

static const char *slot_name(const sq_layer *L, int slot)
{
    return sq_op_schema_get(L->op)->slots[slot].name;
}

static seqrt_status fail_dim(const infer_ctx *c, int slot, int axis, const char *what, int64_t want)
{
    const sq_shape *s = &c->shapes[c->L->in[slot]];
    char shape[128], wbuf[64];
    sq_format_dims(c->m, s->rank, s->d, shape, sizeof shape);
    sq_format_dims(c->m, 1, &want, wbuf, sizeof wbuf);
    return sq_error(SEQRT_ERR_SHAPE,
                    "layer '%s' (%s): input '%s' ('%s', shape %s): dim %d (%s) must be %.*s",
                    c->L->name, sq_op_name(c->L->op), slot_name(c->L, slot),
                    c->m->values[c->L->in[slot]].name, shape, axis, what,
                    (int)strlen(wbuf) - 2, wbuf + 1);
}

static seqrt_status fail_rank(const infer_ctx *c, int slot, const char *want)
{
    const sq_shape *s = &c->shapes[c->L->in[slot]];
    char shape[128];
    sq_format_dims(c->m, s->rank, s->d, shape, sizeof shape);
    return sq_error(SEQRT_ERR_SHAPE, "layer '%s' (%s): input '%s' ('%s') has shape %s; expected %s",
                    c->L->name, sq_op_name(c->L->op), slot_name(c->L, slot),
                    c->m->values[c->L->in[slot]].name, shape, want);
}

static const sq_shape *in_shape(const infer_ctx *c, int slot)
{
    return c->L->in[slot] >= 0 ? &c->shapes[c->L->in[slot]] : NULL;
}

static void set_out(infer_ctx *c, int o, int rank, const int64_t *d, int taxis)
{
    int v = c->L->out[o];
    if (v < 0) return;
    c->shapes[v].rank = rank;
    memcpy(c->shapes[v].d, d, sizeof(int64_t) * (size_t)rank);
    if (c->taxis) c->taxis[v] = taxis;
}

static int in_taxis(const infer_ctx *c, int slot)
{
    return (c->taxis && c->L->in[slot] >= 0) ? c->taxis[c->L->in[slot]] : -1;
}

/* A weight's dim that is taken from an input (-1 in the weight spec). */
static seqrt_status check_weight_dim(const infer_ctx *c, int widx, int axis, int64_t want,
                                     const char *what)
{
    const sq_weight *w = c->L->w ? c->L->w[widx] : NULL;
    if (!w || want < 0 || w->dims[axis] == want) return SEQRT_OK;
    char shape[128];
    sq_format_dims(NULL, w->rank, w->dims, shape, sizeof shape);
    return sq_error(SEQRT_ERR_SHAPE,
                    "layer '%s' (%s): weight '%s' has shape %s, but dim %d must equal %s (%lld)",
                    c->L->name, sq_op_name(c->L->op), w->name, shape, axis, what, (long long)want);
}

/* Checks lengths is [B]. */
static seqrt_status check_lengths(const infer_ctx *c, int64_t B)
{
    const sq_shape *len = in_shape(c, SQ_SLOT_LENGTHS);
    if (!len) return SEQRT_OK;
    if (len->rank != 1) return fail_rank(c, SQ_SLOT_LENGTHS, "[B], one length per batch entry");
    if (!dim_ok(len->d[0], B)) return fail_dim(c, SQ_SLOT_LENGTHS, 0, "B", B);
    return SEQRT_OK;
}

/* A sequence input: rank 3 in the model's layout. */
static seqrt_status check_seq(const infer_ctx *c, int slot, int64_t *T, int64_t *B, int64_t *F)
{
    const sq_shape *s = in_shape(c, slot);
    bool bf = c->m->batch_first;
    if (s->rank != 3) return fail_rank(c, slot, bf ? "a sequence [B, T, F]" : "a sequence [T, B, F]");
    *T = s->d[bf ? 1 : 0];
    *B = s->d[bf ? 0 : 1];
    *F = s->d[2];
    return SEQRT_OK;
}

static void seq_dims(bool bf, int64_t T, int64_t B, int64_t F, int64_t *d)
{
    d[0] = bf ? B : T;
    d[1] = bf ? T : B;
    d[2] = F;
}

static seqrt_status infer_recurrent(infer_ctx *c)
{
    const sq_attrs *a = &c->L->a;
    int64_t T, B, F, LD = a->num_layers * sq_dirs(c->L), HO = sq_h_out(c->L), d[3];
    seqrt_status st = check_seq(c, SQ_SLOT_X, &T, &B, &F);
    if (st) return st;
    if (!dim_ok(F, a->input_size)) return fail_dim(c, SQ_SLOT_X, 2, "features = input_size", a->input_size);
    int64_t want[2][3] = {{LD, B, HO}, {LD, B, a->hidden_size}};
    for (int s = SQ_SLOT_H0; s <= SQ_SLOT_C0; s++) {
        const sq_shape *h = in_shape(c, s);
        if (!h) continue;
        if (h->rank != 3)
            return fail_rank(c, s, "[num_layers * directions, B, hidden] (always, whatever batch_first says)");
        static const char *what[3] = {"num_layers * directions", "B", "hidden"};
        for (int i = 0; i < 3; i++)
            if (!dim_ok(h->d[i], want[s - 1][i])) return fail_dim(c, s, i, what[i], want[s - 1][i]);
    }
    if ((st = check_lengths(c, B))) return st;
    seq_dims(c->m->batch_first, T, B, sq_dirs(c->L) * HO, d);
    set_out(c, SQ_OUT_MAIN, 3, d, c->m->batch_first ? 1 : 0);
    set_out(c, SQ_OUT_H_N, 3, want[0], -1);
    set_out(c, SQ_OUT_C_N, 3, want[1], -1);
    return SEQRT_OK;
}

static seqrt_status infer_ids(infer_ctx *c, int64_t width)
{
    const sq_shape *x = in_shape(c, SQ_SLOT_X);
    if (x->rank >= SEQRT_MAX_RANK) return fail_rank(c, SQ_SLOT_X, "ids of rank below 6");
    int64_t d[SEQRT_MAX_RANK];
    memcpy(d, x->d, sizeof(int64_t) * (size_t)x->rank);
    d[x->rank] = width;
    set_out(c, SQ_OUT_MAIN, x->rank + 1, d, in_taxis(c, SQ_SLOT_X));
    return SEQRT_OK;
}

static seqrt_status infer_same(infer_ctx *c)
{
    const sq_shape *x = in_shape(c, SQ_SLOT_X);
    if (x->rank < 1) return fail_rank(c, SQ_SLOT_X, "rank 1 or more");
    if (c->L->op == SQ_OP_SOFTMAX || c->L->op == SQ_OP_LOG_SOFTMAX) {
        if (sq_norm_axis(c->L->a.axis, x->rank) < 0)
            return sq_error(SEQRT_ERR_SHAPE, "layer '%s' (%s): axis %lld is out of range for rank %d",
                            c->L->name, sq_op_name(c->L->op), (long long)c->L->a.axis, x->rank);
    }
    if (c->L->op == SQ_OP_ADD || c->L->op == SQ_OP_MUL) {
        const sq_shape *b = in_shape(c, SQ_SLOT_B);
        char sa[128];
        sq_format_dims(c->m, x->rank, x->d, sa, sizeof sa);
        if (b->rank != x->rank) return fail_rank(c, SQ_SLOT_B, sa);
        int64_t d[SEQRT_MAX_RANK];
        for (int i = 0; i < x->rank; i++) {
            if (!dim_ok(x->d[i], b->d[i])) return fail_rank(c, SQ_SLOT_B, sa);
            d[i] = x->d[i] >= 0 ? x->d[i] : b->d[i];
        }
        set_out(c, SQ_OUT_MAIN, x->rank, d, in_taxis(c, SQ_SLOT_A));
        return SEQRT_OK;
    }
    set_out(c, SQ_OUT_MAIN, x->rank, x->d, in_taxis(c, SQ_SLOT_X));
    return SEQRT_OK;
}

static seqrt_status infer_linear(infer_ctx *c)
{
    const sq_shape *x = in_shape(c, SQ_SLOT_X);
    if (x->rank < 1) return fail_rank(c, SQ_SLOT_X, "rank 1 or more");
    if (!dim_ok(x->d[x->rank - 1], c->L->a.in_features))
        return fail_dim(c, SQ_SLOT_X, x->rank - 1, "last axis = in_features", c->L->a.in_features);
    int64_t d[SEQRT_MAX_RANK];
    memcpy(d, x->d, sizeof(int64_t) * (size_t)x->rank);
    d[x->rank - 1] = c->L->a.out_features;
    set_out(c, SQ_OUT_MAIN, x->rank, d, in_taxis(c, SQ_SLOT_X));
    return SEQRT_OK;
}

static int64_t new_symbol(infer_ctx *c)
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

static seqrt_status infer_concat(infer_ctx *c)
{
    const sq_layer *L = c->L;
    const sq_shape *x0 = &c->shapes[L->list[0]];
    int axis = sq_norm_axis(L->a.axis, x0->rank);
    if (axis < 0)
        return sq_error(SEQRT_ERR_SHAPE, "layer '%s' (concat): axis %lld is out of range for rank %d",
                        L->name, (long long)L->a.axis, x0->rank);
    int64_t d[SEQRT_MAX_RANK];
    memcpy(d, x0->d, sizeof(int64_t) * (size_t)x0->rank);
    bool symbolic = d[axis] < 0;
    for (int i = 1; i < L->nlist; i++) {
        const sq_shape *xi = &c->shapes[L->list[i]];
        bool ok = xi->rank == x0->rank;
        for (int j = 0; ok && j < x0->rank; j++)
            if (j != axis && !dim_ok(xi->d[j], x0->d[j])) ok = false;
        if (!ok) {
            char s0[128], si[128];
            sq_format_dims(c->m, x0->rank, x0->d, s0, sizeof s0);
            sq_format_dims(c->m, xi->rank, xi->d, si, sizeof si);
            return sq_error(SEQRT_ERR_SHAPE,
                            "layer '%s' (concat): input %d ('%s') has shape %s, which does not "
                            "match input 0 ('%s', %s) off axis %d",
                            L->name, i, c->m->values[L->list[i]].name, si,
                            c->m->values[L->list[0]].name, s0, axis);
        }
        if (xi->d[axis] < 0) symbolic = true;
        else if (!symbolic && !sq_add_ok(d[axis], xi->d[axis], &d[axis]))
            return sq_error(SEQRT_ERR_LIMIT, "layer '%s' (concat): size overflows", L->name);
    }
    if (symbolic) {
        d[axis] = new_symbol(c);
        if (d[axis] == -1 && !c->symtab) return sq_error(SEQRT_ERR_INTERNAL, "concat: symbolic dim at run time");
    }
    int t = c->taxis ? c->taxis[L->list[0]] : -1;
    set_out(c, SQ_OUT_MAIN, x0->rank, d, t == axis ? -1 : t);
    return SEQRT_OK;
}

static seqrt_status infer_select(infer_ctx *c)
{
    const sq_shape *x = in_shape(c, SQ_SLOT_X);
    int axis = sq_norm_axis(c->L->a.axis, x->rank);
    if (axis < 0)
        return sq_error(SEQRT_ERR_SHAPE, "layer '%s' (select): axis %lld is out of range for rank %d",
                        c->L->name, (long long)c->L->a.axis, x->rank);
    int64_t n = x->d[axis], idx = c->L->a.index;
    if (n >= 0 && (idx < -n || idx >= n))
        return sq_error(SEQRT_ERR_SHAPE,
                        "layer '%s' (select): index %lld is out of range for axis %d of size %lld",
                        c->L->name, (long long)idx, axis, (long long)n);
    int64_t d[SEQRT_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (i != axis) d[r++] = x->d[i];
    int t = in_taxis(c, SQ_SLOT_X);
    set_out(c, SQ_OUT_MAIN, r, d, t == axis ? -1 : t > axis ? t - 1 : t);
    return SEQRT_OK;
}

static seqrt_status infer_pool(infer_ctx *c)
{
    int64_t T, B, F, d[2];
    seqrt_status st = check_seq(c, SQ_SLOT_X, &T, &B, &F);
    if (st || (st = check_lengths(c, B))) return st;
    if (c->L->op == SQ_OP_ATTENTION_POOL && (st = check_weight_dim(c, SQ_W_POOL0, 1, F, "the features of x")))
        return st;
    d[0] = B;
    d[1] = F;
    set_out(c, SQ_OUT_MAIN, 2, d, -1);
    d[1] = T;
    set_out(c, SQ_OUT_WEIGHTS, 2, d, -1);
    return SEQRT_OK;
}

static seqrt_status infer_attention(infer_ctx *c)
{
    const sq_attrs *a = &c->L->a;
    bool bf = c->m->batch_first;
    const sq_shape *q = in_shape(c, SQ_SLOT_QUERY);
    int64_t Tk, B, Hk, Tv, Bv, Hv, Tq = 0, Hq;
    seqrt_status st = check_seq(c, SQ_SLOT_KEYS, &Tk, &B, &Hk);
    if (st) return st;
    Hv = Hk;
    if (in_shape(c, SQ_SLOT_VALUES)) {
        if ((st = check_seq(c, SQ_SLOT_VALUES, &Tv, &Bv, &Hv))) return st;
        if (!dim_ok(Tv, Tk)) return fail_dim(c, SQ_SLOT_VALUES, bf ? 1 : 0, "T of keys", Tk);
        if (!dim_ok(Bv, B)) return fail_dim(c, SQ_SLOT_VALUES, bf ? 0 : 1, "B of keys", B);
    }
    if (q->rank == 2) {
        if (!dim_ok(q->d[0], B)) return fail_dim(c, SQ_SLOT_QUERY, 0, "B of keys", B);
        Hq = q->d[1];
    } else if (q->rank == 3) {
        int64_t Bq;
        if ((st = check_seq(c, SQ_SLOT_QUERY, &Tq, &Bq, &Hq))) return st;
        if (!dim_ok(Bq, B)) return fail_dim(c, SQ_SLOT_QUERY, bf ? 0 : 1, "B of keys", B);
    } else {
        return fail_rank(c, SQ_SLOT_QUERY, "[B, H] or a sequence");
    }
    if ((st = check_lengths(c, B))) return st;
    switch (a->score) {
    case SQ_SCORE_DOT:
    case SQ_SCORE_SCALED_DOT:
        if (!dim_ok(Hq, Hk)) return fail_dim(c, SQ_SLOT_QUERY, q->rank - 1, "features of keys (dot score)", Hk);
        break;
    case SQ_SCORE_GENERAL:
        if ((st = check_weight_dim(c, SQ_W_GENERAL, 0, Hq, "the query features")) ||
            (st = check_weight_dim(c, SQ_W_GENERAL, 1, Hk, "the key features")))
            return st;
        break;
    case SQ_SCORE_ADDITIVE:
        if ((st = check_weight_dim(c, SQ_W_ADD_Q, 1, Hq, "the query features")) ||
            (st = check_weight_dim(c, SQ_W_ADD_K, 1, Hk, "the key features")))
            return st;
        break;
    }
    int64_t d[3];
    if (q->rank == 2) {
        d[0] = B, d[1] = Hv;
        set_out(c, SQ_OUT_MAIN, 2, d, -1);
        d[1] = Tk;
        set_out(c, SQ_OUT_WEIGHTS, 2, d, -1);
    } else {
        seq_dims(bf, Tq, B, Hv, d);
        set_out(c, SQ_OUT_MAIN, 3, d, bf ? 1 : 0);
        d[0] = B, d[1] = Tq, d[2] = Tk;
        set_out(c, SQ_OUT_WEIGHTS, 3, d, -1);
    }
    return SEQRT_OK;
}

static seqrt_status infer_mha(infer_ctx *c)
{
    bool bf = c->m->batch_first;
    int64_t E = c->L->a.embed_dim, Tq, B, Fq, Tk, Bk, Fk, Tv, Bv, Fv;
    seqrt_status st = check_seq(c, SQ_SLOT_QUERY, &Tq, &B, &Fq);
    if (st) return st;
    if (!dim_ok(Fq, E)) return fail_dim(c, SQ_SLOT_QUERY, 2, "embed_dim", E);
    int ks = in_shape(c, SQ_SLOT_KEYS) ? SQ_SLOT_KEYS : SQ_SLOT_QUERY;
    /* The spec: an absent key or value defaults to the query (not value to key). */
    int vs = in_shape(c, SQ_SLOT_VALUES) ? SQ_SLOT_VALUES : SQ_SLOT_QUERY;
    if ((st = check_seq(c, ks, &Tk, &Bk, &Fk)) || (st = check_seq(c, vs, &Tv, &Bv, &Fv))) return st;
    if (!dim_ok(Fk, E)) return fail_dim(c, ks, 2, "embed_dim", E);
    if (!dim_ok(Fv, E)) return fail_dim(c, vs, 2, "embed_dim", E);
    if (!dim_ok(Bk, B)) return fail_dim(c, ks, bf ? 0 : 1, "B of query", B);
    if (!dim_ok(Bv, B)) return fail_dim(c, vs, bf ? 0 : 1, "B of query", B);
    if (!dim_ok(Tv, Tk)) return fail_dim(c, vs, bf ? 1 : 0, "T of key", Tk);
    if ((st = check_lengths(c, B))) return st;
    if (c->L->a.causal && !dim_ok(Tq, Tk))
        return fail_dim(c, ks, bf ? 1 : 0, "T of query (causal attention)", Tq);
    int64_t d[3];
    seq_dims(bf, Tq, B, E, d);
    set_out(c, SQ_OUT_MAIN, 3, d, bf ? 1 : 0);
    d[0] = B, d[1] = Tq, d[2] = Tk;
    set_out(c, SQ_OUT_WEIGHTS, 3, d, -1);
    return SEQRT_OK;
}

seqrt_status sq_infer_layer(const seqrt_model *m, const sq_layer *L, sq_shape *shapes, int *taxis,
                            seqrt_model *symtab)
{
    infer_ctx c = {m, L, shapes, taxis, symtab};
    switch (L->op) {
    case SQ_OP_LSTM:
    case SQ_OP_GRU:
    case SQ_OP_RNN: return infer_recurrent(&c);
    case SQ_OP_EMBEDDING: return infer_ids(&c, L->a.embedding_dim);
    case SQ_OP_ONE_HOT: return infer_ids(&c, L->a.depth);
    case SQ_OP_LINEAR: return infer_linear(&c);
    case SQ_OP_ACTIVATION:
    case SQ_OP_SOFTMAX:
    case SQ_OP_LOG_SOFTMAX:
    case SQ_OP_DROPOUT:
    case SQ_OP_ADD:
    case SQ_OP_MUL: return infer_same(&c);
    case SQ_OP_CONCAT: return infer_concat(&c);
    case SQ_OP_SELECT: return infer_select(&c);
    case SQ_OP_LAST_STEP:
    case SQ_OP_MEAN_POOL:
    case SQ_OP_ATTENTION_POOL: return infer_pool(&c);
    case SQ_OP_ATTENTION: return infer_attention(&c);
    case SQ_OP_MULTIHEAD_ATTENTION: return infer_mha(&c);
    case SQ_OP_COUNT: break;
    }
    return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': no shape rule", L->name);
}

/* Every output value must stay within the element limit. */
static seqrt_status check_outputs(const seqrt_model *m, const sq_layer *L, const sq_shape *shapes)
{
    for (int o = 0; o < SQ_MAX_OUTS; o++) {
        int v = L->out[o];
        if (v < 0) continue;
        int64_t n = 1;
        bool ok = true;
        for (int i = 0; i < shapes[v].rank; i++)
            if (shapes[v].d[i] >= 0 && !sq_mul_ok(n, shapes[v].d[i], &n)) ok = false;
        if (!ok || n > SQ_MAX_ELEMENTS) {
            char s[128];
            sq_format_dims(m, shapes[v].rank, shapes[v].d, s, sizeof s);
            return sq_error(SEQRT_ERR_LIMIT,
                            "layer '%s': value '%s' of shape %s exceeds the limit of %lld elements",
                            L->name, m->values[v].name, s, (long long)SQ_MAX_ELEMENTS);
        }
    }
    return SEQRT_OK;
}

seqrt_status sq_infer_model(seqrt_model *m)
{
    sq_shape *shapes = sq_calloc((size_t)m->nvalues, sizeof *shapes);
    int *taxis = sq_calloc((size_t)m->nvalues, sizeof *taxis);
    seqrt_status st = SEQRT_OK;
    if (!shapes || !taxis) {
        st = sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory inferring shapes");
        goto done;
    }
    for (int v = 0; v < m->nvalues; v++) {
        shapes[v].rank = m->values[v].rank;
        memcpy(shapes[v].d, m->values[v].dims, sizeof shapes[v].d);
        taxis[v] = m->values[v].time_axis;
    }
    for (int l = 0; l < m->nlayers && !st; l++) {
        st = sq_infer_layer(m, &m->layers[l], shapes, taxis, m);
        if (!st) st = check_outputs(m, &m->layers[l], shapes);
    }
    for (int v = 0; v < m->nvalues && !st; v++) {
        m->values[v].rank = shapes[v].rank;
        memcpy(m->values[v].dims, shapes[v].d, sizeof shapes[v].d);
        m->values[v].time_axis = taxis[v];
    }
done:
    sq_free(shapes);
    sq_free(taxis);
    return st;
}

seqrt_status sq_infer_plan(const seqrt_model *m, sq_shape *shapes)
{
    for (int l = 0; l < m->nlayers; l++) {
        seqrt_status st = sq_infer_layer(m, &m->layers[l], shapes, NULL, NULL);
        if (!st) st = check_outputs(m, &m->layers[l], shapes);
        if (st) return st;
    }
    return SEQRT_OK;
}
