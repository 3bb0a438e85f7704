/*
 * oneDNN backend: status mapping, memory descriptors, the primitive cache,
 * executions over host memory, scratch buffers, denormal control and the
 * masked helpers shared by the pooling and attention ops.
 */
#include "dnnl_common.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>

#include <oneapi/dnnl/dnnl_debug.h>

dnnl_engine_t dn_engine;

/* ------------------------------------------------------------ errors */

seqrt_status dn_fail(dnnl_status_t st, const char *what)
{
    seqrt_status s;
    switch (st) {
    case dnnl_out_of_memory: s = SEQRT_ERR_OUT_OF_MEMORY; break;
    case dnnl_unimplemented: s = SEQRT_ERR_UNSUPPORTED; break;
    case dnnl_invalid_arguments: s = SEQRT_ERR_INTERNAL; break;
    default: s = SEQRT_ERR_DEVICE; break;
    }
    return sq_error(s, "%s: oneDNN %s (status %d)", what, dnnl_status2str(st), (int)st);
}

/* ------------------------------------------------------------ memory descriptors */

dnnl_memory_desc_t dn_md_strided(int rank, const int64_t *dims, const int64_t *strides, dnnl_data_type_t dt)
{
    dnnl_memory_desc_t md;
    memset(&md, 0, sizeof md);
    dnnl_dims_t d, s;
    for (int i = 0; i < rank; i++) {
        d[i] = dims[i];
        s[i] = strides[i];
    }
    if (dnnl_memory_desc_init_by_strides(&md, rank, d, dt, s) != dnnl_success) memset(&md, 0, sizeof md);
    return md;
}

dnnl_memory_desc_t dn_md(int rank, const int64_t *dims, dnnl_data_type_t dt)
{
    int64_t s[DNNL_MAX_NDIMS];
    int64_t acc = 1;
    for (int i = rank - 1; i >= 0; i--) {
        s[i] = acc;
        acc *= dims[i] > 0 ? dims[i] : 1;
    }
    return dn_md_strided(rank, dims, s, dt);
}

dnnl_memory_desc_t dn_md_tag(int rank, const int64_t *dims, dnnl_data_type_t dt, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    memset(&md, 0, sizeof md);
    dnnl_dims_t d;
    for (int i = 0; i < rank; i++) d[i] = dims[i];
    if (dnnl_memory_desc_init_by_tag(&md, rank, d, dt, tag) != dnnl_success) memset(&md, 0, sizeof md);
    return md;
}

dnnl_memory_desc_t dn_md1(int64_t a) { return dn_md(1, &a, dnnl_f32); }

dnnl_memory_desc_t dn_md2(int64_t a, int64_t b)
{
    int64_t d[2] = {a, b};
    return dn_md(2, d, dnnl_f32);
}

dnnl_memory_desc_t dn_md3(int64_t a, int64_t b, int64_t c)
{
    int64_t d[3] = {a, b, c};
    return dn_md(3, d, dnnl_f32);
}

dnnl_memory_desc_t dn_md2s(int64_t a, int64_t b, int64_t sa, int64_t sb)
{
    int64_t d[2] = {a, b}, s[2] = {sa, sb};
    return dn_md_strided(2, d, s, dnnl_f32);
}

dnnl_memory_desc_t dn_md3s(int64_t a, int64_t b, int64_t c, int64_t sa, int64_t sb, int64_t sc)
{
    int64_t d[3] = {a, b, c}, s[3] = {sa, sb, sc};
    return dn_md_strided(3, d, s, dnnl_f32);
}

dnnl_memory_desc_t dn_md4s(int64_t a, int64_t b, int64_t c, int64_t d, int64_t sa, int64_t sb, int64_t sc,
                           int64_t sd)
{
    int64_t dd[4] = {a, b, c, d}, s[4] = {sa, sb, sc, sd};
    return dn_md_strided(4, dd, s, dnnl_f32);
}

dnnl_memory_desc_t dn_seq_as_btf(const sq_view *v, bool bf)
{
    const int64_t T = sq_seq_T(v, bf), B = sq_seq_B(v, bf), F = v->d[2];
    return bf ? dn_md3s(B, T, F, T * F, F, 1) : dn_md3s(B, T, F, F, B * F, 1);
}

/* ------------------------------------------------------------ primitives */

seqrt_status dn_prim_create(dn_prim *out, dnnl_primitive_desc_t pd, const char *what)
{
    memset(out, 0, sizeof *out);
    dnnl_status_t st = dnf_primitive_create(&out->p, pd);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) {
        out->p = NULL;
        return dn_fail(st, what);
    }
    if ((st = dnnl_primitive_get_primitive_desc(out->p, &out->pd)) != dnnl_success) {
        dnnl_primitive_destroy(out->p);
        out->p = NULL;
        return dn_fail(st, what);
    }
    return SEQRT_OK;
}

void dn_prim_destroy(dn_prim *p)
{
    if (p && p->p) dnnl_primitive_destroy(p->p);
    if (p) memset(p, 0, sizeof *p);
}

dn_prim *dn_cache_find(dn_cache *c, const void *key, size_t nkey)
{
    for (int i = 0; i < c->n; i++)
        if (c->e[i].nkey == nkey && !memcmp(c->e[i].key, key, nkey)) {
            c->e[i].used = ++c->clock;
            return &c->e[i].prim;
        }
    return NULL;
}

seqrt_status dn_cache_put(dn_cache *c, const void *key, size_t nkey, dnnl_primitive_desc_t pd, dn_prim **out,
                          const char *what)
{
    int slot = c->n;
    if (slot == DN_CACHE_MAX) {
        slot = 0;
        for (int i = 1; i < c->n; i++)
            if (c->e[i].used < c->e[slot].used) slot = i;
        dn_prim_destroy(&c->e[slot].prim);
        sq_free(c->e[slot].key);
        memset(&c->e[slot], 0, sizeof c->e[slot]);
    }
    dn_cache_entry *e = &c->e[slot];
    if (!(e->key = sq_malloc(nkey ? nkey : 1))) {
        dnnl_primitive_desc_destroy(pd);
        if (slot == c->n) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        /* an evicted slot stays empty: move the last entry into it */
        c->e[slot] = c->e[--c->n];
        memset(&c->e[c->n], 0, sizeof c->e[c->n]);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    seqrt_status st = dn_prim_create(&e->prim, pd, what);
    if (st) {
        sq_free(e->key);
        e->key = NULL;
        if (slot != c->n) {
            c->e[slot] = c->e[--c->n];
            memset(&c->e[c->n], 0, sizeof c->e[c->n]);
        }
        return st;
    }
    memcpy(e->key, key, nkey);
    e->nkey = nkey;
    e->used = ++c->clock;
    if (slot == c->n) c->n++;
    *out = &e->prim;
    return SEQRT_OK;
}

void dn_cache_clear(dn_cache *c)
{
    for (int i = 0; i < c->n; i++) {
        dn_prim_destroy(&c->e[i].prim);
        sq_free(c->e[i].key);
    }
    memset(c, 0, sizeof *c);
}

seqrt_status dn_mem(dnnl_memory_t *out, const dnnl_memory_desc_t *md, void *ptr)
{
    DN_TRY(dnf_memory_create(out, md, dn_engine, ptr ? ptr : DNNL_MEMORY_NONE));
    return SEQRT_OK;
}

seqrt_status dn_mem_alloc(dnnl_memory_t *out, const dnnl_memory_desc_t *md)
{
    DN_TRY(dnf_memory_create(out, md, dn_engine, DNNL_MEMORY_ALLOCATE));
    return SEQRT_OK;
}

void *dn_mem_ptr(dnnl_memory_t m)
{
    void *p = NULL;
    if (m) dnnl_memory_get_data_handle(m, &p);
    return p;
}

/* ------------------------------------------------------------ user scratchpads */

/* attr (or new attributes) in user scratchpad mode, in *out (to destroy). */
static dnnl_status_t user_attr(const_dnnl_primitive_attr_t attr, dnnl_primitive_attr_t *out)
{
    *out = NULL;
    dnnl_status_t ds = attr ? dnnl_primitive_attr_clone(out, attr) : dnnl_primitive_attr_create(out);
    if (ds == dnnl_success) ds = dnnl_primitive_attr_set_scratchpad_mode(*out, dnnl_scratchpad_mode_user);
    return ds;
}

dnnl_status_t dn_user_pd_create(dnnl_primitive_desc_t *pd, const_dnnl_op_desc_t d, const_dnnl_primitive_attr_t attr,
                                dnnl_engine_t e, const_dnnl_primitive_desc_t hint)
{
    dnnl_primitive_attr_t a;
    dnnl_status_t ds = user_attr(attr, &a);
    if (ds == dnnl_success) ds = dnnl_primitive_desc_create(pd, d, a, e, hint);
    if (a) dnnl_primitive_attr_destroy(a);
    return ds;
}

dnnl_status_t dn_user_reorder_pd_create(dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t *src, dnnl_engine_t se,
                                        const dnnl_memory_desc_t *dst, dnnl_engine_t de,
                                        const_dnnl_primitive_attr_t attr)
{
    dnnl_primitive_attr_t a;
    dnnl_status_t ds = user_attr(attr, &a);
    if (ds == dnnl_success) ds = dnnl_reorder_primitive_desc_create(pd, src, se, dst, de, a);
    if (a) dnnl_primitive_attr_destroy(a);
    return ds;
}

dnnl_status_t dn_user_concat_pd_create(dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t *dst, int n, int axis,
                                       const dnnl_memory_desc_t *srcs, dnnl_engine_t e)
{
    dnnl_primitive_attr_t a;
    dnnl_status_t ds = user_attr(NULL, &a);
    if (ds == dnnl_success) ds = dnnl_concat_primitive_desc_create(pd, dst, n, axis, srcs, a, e);
    if (a) dnnl_primitive_attr_destroy(a);
    return ds;
}

/* The bytes of pd's scratchpad (0: none). */
static size_t scratch_bytes(const_dnnl_primitive_desc_t pd)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    return md ? dnnl_memory_desc_get_size(md) : 0;
}

seqrt_status dn_scratch_arg(dn_session *s, const_dnnl_primitive_desc_t pd, dnnl_exec_arg_t *ea)
{
    ea->arg = DNNL_ARG_SCRATCHPAD;
    ea->memory = NULL;
    const size_t n = scratch_bytes(pd);
    if (!n) return SEQRT_OK;
    SQ_TRY(dn_buf_reserve(&s->scratch, n));
    DN_TRY(dnf_memory_create(&ea->memory, dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0), dn_engine,
                             s->scratch.p));
    return SEQRT_OK;
}

seqrt_status dn_exec(dn_session *s, const dn_prim *p, int n, const dn_arg *args)
{
    dnnl_exec_arg_t ea[17];
    memset(ea, 0, sizeof ea);
    seqrt_status st = SEQRT_OK;
    int made = 0;
    if (n > 16) return sq_error(SEQRT_ERR_INTERNAL, "dn_exec: too many arguments");
    for (; made < n; made++) {
        const dnnl_memory_desc_t *md = args[made].md;
        if (!md) md = dnnl_primitive_desc_query_md(p->pd, dnnl_query_exec_arg_md, args[made].arg);
        ea[made].arg = args[made].arg;
        dnnl_status_t ds = dnf_memory_create(&ea[made].memory, md, dn_engine,
                                              args[made].ptr ? args[made].ptr : DNNL_MEMORY_NONE);
        if (ds != dnnl_success) {
            st = dn_fail(ds, "dnnl_memory_create");
            break;
        }
    }
    if (!st && !(st = dn_scratch_arg(s, p->pd, &ea[n])) && ea[n].memory) made++;
    if (!st) {
        dnnl_status_t ds = dnf_primitive_execute(p->p, s->stream, made, ea);
        if (ds != dnnl_success) st = dn_fail(ds, "dnnl_primitive_execute");
    }
    for (int i = 0; i < made; i++) dnnl_memory_destroy(ea[i].memory);
    return st;
}

seqrt_status dn_reorder_once(dn_session *s, const dnnl_memory_desc_t *from, const void *src,
                             const dnnl_memory_desc_t *to, void *dst, float scale)
{
    dnnl_primitive_attr_t attr = NULL;
    dnnl_status_t ds = dnnl_success;
    if (scale != 1.0f) {
        ds = dnnl_primitive_attr_create(&attr);
        if (ds == dnnl_success) ds = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &scale);
    }
    dnnl_primitive_desc_t pd;
    if (ds == dnnl_success) ds = dnf_reorder_primitive_desc_create(&pd, from, dn_engine, to, dn_engine, attr);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (ds != dnnl_success) return dn_fail(ds, "weights reorder");
    dn_prim p;
    SQ_TRY(dn_prim_create(&p, pd, "weights reorder"));
    dn_arg a[2] = {{DNNL_ARG_FROM, from, (void *)src}, {DNNL_ARG_TO, to, dst}};
    seqrt_status st = dn_exec(s, &p, 2, a);
    dn_prim_destroy(&p);
    return st;
}

seqrt_status dn_reorder_into(dn_session *s, const dnnl_memory_desc_t *src_md, const void *src, dnnl_memory_t dst)
{
    const dnnl_memory_desc_t *dst_md;
    DN_TRY(dnnl_memory_get_memory_desc(dst, &dst_md));
    seqrt_status st = dn_reorder_once(s, src_md, src, dst_md, dn_mem_ptr(dst), 1.0f);
    if (!st && dnnl_stream_wait(s->stream) != dnnl_success) st = sq_error(SEQRT_ERR_DEVICE, "stream wait failed");
    return st;
}

seqrt_status dn_reorder(dn_session *s, dn_cache *c, const dnnl_memory_desc_t *src_md, const void *src,
                        const dnnl_memory_desc_t *dst_md, void *dst)
{
    struct {
        int kind;
        dnnl_memory_desc_t a, b;
    } key;
    memset(&key, 0, sizeof key);
    key.kind = 0x52454f52; /* "REOR" */
    key.a = *src_md;
    key.b = *dst_md;
    dn_prim *p = dn_cache_find(c, &key, sizeof key);
    if (!p) {
        dnnl_primitive_desc_t pd;
        DN_TRY(dnf_reorder_primitive_desc_create(&pd, src_md, dn_engine, dst_md, dn_engine, NULL));
        SQ_TRY(dn_cache_put(c, &key, sizeof key, pd, &p, "reorder"));
    }
    dn_arg a[2] = {{DNNL_ARG_FROM, src_md, (void *)src}, {DNNL_ARG_TO, dst_md, dst}};
    return dn_exec(s, p, 2, a);
}

seqrt_status dn_pd_create(dnnl_primitive_desc_t *pd, const void *op_desc, dnnl_alg_kind_t post_alg, float alpha,
                          float beta, bool sum, const char *what)
{
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_status_t ds = dnnl_success;
    if (post_alg || sum) {
        ds = dnnl_primitive_attr_create(&attr);
        if (ds == dnnl_success) ds = dnnl_post_ops_create(&po);
        if (ds == dnnl_success)
            ds = sum ? dnnl_post_ops_append_sum(po, 1.0f) : dnnl_post_ops_append_eltwise(po, 1.0f, post_alg, alpha, beta);
        if (ds == dnnl_success) ds = dnnl_primitive_attr_set_post_ops(attr, po);
    }
    if (ds == dnnl_success) ds = dnf_primitive_desc_create(pd, op_desc, attr, dn_engine, NULL);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return ds == dnnl_success ? SEQRT_OK : dn_fail(ds, what);
}

seqrt_status dn_bound_init(dn_bound *b, const dn_prim *p, int n, const dn_arg *args)
{
    memset(b, 0, sizeof *b);
    if (n > 6) return sq_error(SEQRT_ERR_INTERNAL, "dn_bound_init: too many arguments");
    b->p = p;
    for (; b->n < n; b->n++) {
        const dnnl_memory_desc_t *md = args[b->n].md;
        if (!md) md = dnnl_primitive_desc_query_md(p->pd, dnnl_query_exec_arg_md, args[b->n].arg);
        b->a[b->n].arg = args[b->n].arg;
        seqrt_status st = dn_mem(&b->a[b->n].memory, md, args[b->n].ptr);
        if (st) {
            dn_bound_free(b);
            return st;
        }
    }
    /* the scratchpad: its memory object made here, its data (the
     * session's buffer) set at each run */
    if ((b->scratch = scratch_bytes(p->pd))) {
        b->a[b->n].arg = DNNL_ARG_SCRATCHPAD;
        seqrt_status st = dn_mem(&b->a[b->n].memory, dnnl_primitive_desc_query_md(p->pd, dnnl_query_scratchpad_md, 0),
                                 NULL);
        if (st) {
            dn_bound_free(b);
            return st;
        }
    }
    return SEQRT_OK;
}

seqrt_status dn_bound_run(dn_session *s, const dn_bound *b, void *const *ptr)
{
    for (int i = 0; i < b->n; i++) DN_TRY(dnnl_memory_set_data_handle(b->a[i].memory, ptr[i]));
    if (b->scratch) {
        SQ_TRY(dn_buf_reserve(&s->scratch, b->scratch));
        DN_TRY(dnnl_memory_set_data_handle(b->a[b->n].memory, s->scratch.p));
    }
    DN_TRY(dnf_primitive_execute(b->p->p, s->stream, b->n + (b->scratch ? 1 : 0), b->a));
    return SEQRT_OK;
}

void dn_bound_free(dn_bound *b)
{
    for (int i = 0; i < b->n + (b->scratch ? 1 : 0); i++)
        if (b->a[i].memory) dnnl_memory_destroy(b->a[i].memory);
    memset(b, 0, sizeof *b);
}

seqrt_status dn_matmul(dn_session *s, dn_cache *c, const dnnl_memory_desc_t *src, const void *a,
                       const dnnl_memory_desc_t *wei, const void *w, const dnnl_memory_desc_t *bias, const void *b,
                       const dnnl_memory_desc_t *dst, void *y, dnnl_alg_kind_t post_alg, float alpha, float beta)
{
    dn_prim *p;
    SQ_TRY(dn_matmul_prim(c, src, wei, bias, dst, post_alg, alpha, beta, &p));
    dn_arg args[4] = {{DNNL_ARG_SRC, src, (void *)a}, {DNNL_ARG_WEIGHTS, wei, (void *)w}, {DNNL_ARG_DST, dst, y},
                      {DNNL_ARG_BIAS, bias, (void *)b}};
    return dn_exec(s, p, bias ? 4 : 3, args);
}

seqrt_status dn_matmul_prim(dn_cache *c, const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *wei,
                            const dnnl_memory_desc_t *bias, const dnnl_memory_desc_t *dst, dnnl_alg_kind_t post_alg,
                            float alpha, float beta, dn_prim **out)
{
    struct {
        int kind;
        int has_bias;
        dnnl_alg_kind_t alg;
        float alpha, beta;
        dnnl_memory_desc_t src, wei, bias, dst;
    } key;
    memset(&key, 0, sizeof key);
    key.kind = 0x4d41544d; /* "MATM" */
    key.has_bias = bias != NULL;
    key.alg = post_alg;
    key.alpha = alpha;
    key.beta = beta;
    key.src = *src;
    key.wei = *wei;
    if (bias) key.bias = *bias;
    key.dst = *dst;
    dn_prim *p = dn_cache_find(c, &key, sizeof key);
    if (!p) {
        dnnl_matmul_desc_t d;
        DN_TRY(dnnl_matmul_desc_init(&d, src, wei, bias, dst));
        dnnl_primitive_desc_t pd;
        SQ_TRY(dn_pd_create(&pd, &d, post_alg, alpha, beta, false, "matmul"));
        SQ_TRY(dn_cache_put(c, &key, sizeof key, pd, &p, "matmul"));
    }
    *out = p;
    return SEQRT_OK;
}

seqrt_status dn_eltwise(dn_session *s, dn_cache *c, dnnl_alg_kind_t alg, float alpha, float beta, const float *x,
                        float *y, int64_t n)
{
    if (n == 0) return SEQRT_OK;
    struct {
        int kind;
        dnnl_alg_kind_t alg;
        float alpha, beta;
        int64_t n;
    } key = {0x454c5457, alg, alpha, beta, n};
    dnnl_memory_desc_t md = dn_md1(n);
    dn_prim *p = dn_cache_find(c, &key, sizeof key);
    if (!p) {
        dnnl_eltwise_desc_t d;
        DN_TRY(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, alg, &md, alpha, beta));
        dnnl_primitive_desc_t pd;
        DN_TRY(dnf_primitive_desc_create(&pd, &d, NULL, dn_engine, NULL));
        SQ_TRY(dn_cache_put(c, &key, sizeof key, pd, &p, "eltwise"));
    }
    dn_arg a[2] = {{DNNL_ARG_SRC, &md, (void *)x}, {DNNL_ARG_DST, &md, y}};
    return dn_exec(s, p, 2, a);
}

/* ------------------------------------------------------------ scratch */

seqrt_status dn_buf_reserve(dn_buf *b, size_t bytes)
{
    if (bytes <= b->cap && b->p) return SEQRT_OK;
    sq_free(b->p);
    b->p = NULL;
    b->cap = 0;
    size_t n = (bytes + 63) / 64 * 64;
    if (n == 0) n = 64;
    if (!(b->p = sq_aligned_alloc(64, n)))
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory for a %zu-byte scratch buffer", bytes);
    b->cap = n;
    return SEQRT_OK;
}

void dn_buf_free(dn_buf *b)
{
    sq_free(b->p);
    b->p = NULL;
    b->cap = 0;
}

seqrt_status dn_simple_prepare(void *session, const sq_layer *L, void **state)
{
    (void)session;
    (void)L;
    if (!(*state = sq_calloc(1, sizeof(dn_simple)))) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    return SEQRT_OK;
}

void dn_simple_release(void *state)
{
    dn_simple *d = state;
    if (!d) return;
    dn_cache_clear(&d->cache);
    for (int i = 0; i < 4; i++) dn_buf_free(&d->buf[i]);
    sq_free(d);
}

/* ------------------------------------------------------------ masked helpers */

bool dn_lengths_matter(const int32_t *lens, int64_t B, int64_t T)
{
    if (!lens) return false;
    for (int64_t b = 0; b < B; b++)
        if (lens[b] < T) return true;
    return false;
}

seqrt_status dn_masked_btf(dn_session *s, dn_cache *c, const sq_view *x, bool bf, const int32_t *lens, dn_buf *out)
{
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf), F = x->d[2];
    SQ_TRY(dn_buf_reserve(out, (size_t)(B * T * F) * sizeof(float)));
    float *y = dn_buf_f(out);
    /* the valid steps move with one reorder (the layout change); the padded
     * ones are then overwritten with zeros */
    dnnl_memory_desc_t src = dn_seq_as_btf(x, bf), dst = dn_md3(B, T, F);
    SQ_TRY(dn_reorder(s, c, &src, x->data, &dst, y));
    for (int64_t b = 0; b < B; b++) {
        int64_t len = sq_valid_len(lens, b, T);
        if (len < T) memset(y + (b * T + len) * F, 0, (size_t)((T - len) * F) * sizeof(float));
    }
    return SEQRT_OK;
}

seqrt_status dn_seq_btf_valid(dn_session *s, dn_cache *c, const sq_view *x, bool bf, const int32_t *lens,
                              dn_buf *scratch, dnnl_memory_desc_t *md, const float **data)
{
    const int64_t T = sq_seq_T(x, bf), B = sq_seq_B(x, bf);
    *md = dn_seq_as_btf(x, bf);
    *data = sq_vf(x);
    if (!dn_lengths_matter(lens, B, T)) return SEQRT_OK;
    SQ_TRY(dn_masked_btf(s, c, x, bf, lens, scratch));
    *md = dn_md3(B, T, x->d[2]);
    *data = dn_buf_f(scratch);
    return SEQRT_OK;
}

seqrt_status dn_axis_of(const sq_layer *L, int rank, const int64_t *dims, int *axis, int64_t *outer, int64_t *n,
                        int64_t *inner)
{
    const int ax = sq_axis_split(rank, dims, L->a.axis, outer, inner);
    if (ax < 0)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': axis %lld out of range", L->name, (long long)L->a.axis);
    if (axis) *axis = ax;
    if (n) *n = dims[ax];
    return SEQRT_OK;
}

seqrt_status dn_masked_softmax(dn_session *s, dn_cache *c, float *x, int64_t rows, int64_t n, const int64_t *valid)
{
    if (rows == 0 || n == 0) return SEQRT_OK;
    /* rows the reference makes NaN (a NaN or +Inf among the valid scores,
     * or all of them -Inf): oneDNN's softmax clamps those away */
    uint8_t *nan_row = NULL;
    if (dn_any_nonfinite(x, rows * n)) {
        if (!(nan_row = sq_calloc((size_t)rows, 1))) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
        for (int64_t r = 0; r < rows; r++) nan_row[r] = valid[r] > 0 && dn_softmax_row_nan(x + r * n, valid[r], 1);
    }
    /* entries beyond a row's valid prefix become -inf, so their weight is
     * (nearly) 0 and the valid ones share all of it */
    for (int64_t r = 0; r < rows; r++)
        for (int64_t t = valid[r]; t < n; t++) x[r * n + t] = -INFINITY;
    struct {
        int64_t kind, rows, n; /* no padding: the cache compares bytes */
    } key = {0x534d4158, rows, n};
    dn_prim *p = dn_cache_find(c, &key, sizeof key);
    dnnl_memory_desc_t md = dn_md2(rows, n);
    if (!p) {
        dnnl_softmax_v2_desc_t d;
        dnnl_primitive_desc_t pd;
        dnnl_status_t ds = dnnl_softmax_v2_forward_desc_init(&d, dnnl_forward_inference, dnnl_softmax_accurate, &md,
                                                             &md, 1);
        if (ds == dnnl_success) ds = dnf_primitive_desc_create(&pd, &d, NULL, dn_engine, NULL);
        seqrt_status st = ds != dnnl_success ? dn_fail(ds, "softmax")
                                             : dn_cache_put(c, &key, sizeof key, pd, &p, "masked softmax");
        if (st) {
            sq_free(nan_row);
            return st;
        }
    }
    dn_arg a[2] = {{DNNL_ARG_SRC, &md, x}, {DNNL_ARG_DST, &md, x}};
    seqrt_status st = dn_exec(s, p, 2, a);
    /* exactly 0 where masked; a row with no valid entry is all zeros */
    for (int64_t r = 0; r < rows && !st; r++) {
        int64_t from = valid[r] > 0 ? valid[r] : 0;
        if (from < n) memset(x + r * n + from, 0, (size_t)(n - from) * sizeof(float));
        if (nan_row && nan_row[r])
            for (int64_t t = 0; t < from; t++) x[r * n + t] = NAN;
    }
    sq_free(nan_row);
    return st;
}

/* ------------------------------------------------------------ NaN and Inf */

bool dn_any_nonfinite(const float *x, int64_t n)
{
    int bad = 0;
    for (int64_t i = 0; i < n; i++) bad |= !(x[i] - x[i] == 0.0f); /* NaN or Inf: x - x is NaN */
    return bad != 0;
}

void dn_keep_nan(const float *x, float *y, int64_t n)
{
    if (!dn_any_nonfinite(x, n)) return;
    for (int64_t i = 0; i < n; i++)
        if (x[i] != x[i]) y[i] = x[i];
}

bool dn_softmax_row_nan(const float *row, int64_t n, int64_t inc)
{
    bool all_neg_inf = n > 0;
    for (int64_t k = 0; k < n; k++) {
        const float v = row[k * inc];
        if (v != v || v == INFINITY) return true;
        if (v != -INFINITY) all_neg_inf = false;
    }
    return all_neg_inf;
}

/* ------------------------------------------------------------ denormals */

#define DN_FTZ_DAZ 0x8040u

void dn_denormals_enter(unsigned *saved, int nsaved)
{
#pragma omp parallel
    {
        int t = omp_get_thread_num();
        unsigned csr = _mm_getcsr();
        if (t < nsaved) saved[t] = csr;
        _mm_setcsr(csr | DN_FTZ_DAZ);
    }
}

void dn_denormals_leave(const unsigned *saved, int nsaved)
{
#pragma omp parallel
    {
        int t = omp_get_thread_num();
        if (t < nsaved) _mm_setcsr(saved[t]);
    }
}
