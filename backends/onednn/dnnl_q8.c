/*
 * oneDNN backend: the dynamic linear of int8-dynamic layers (dnnl_q8.h)
 * and the linear op. A call (quantization.md): the range of its whole
 * input, the parameters s_x, z_x (step 2, in double), the codes (step 3),
 * the int32 product (step 4) — oneDNN's u8s8 matmul into s32 where the CPU
 * has VNNI, the kernels' own product elsewhere (without VNNI oneDNN sums
 * pairs of u8 x s8 products in int16, vpmaddubsw, which saturates), the
 * input's zero point taken out as z_x * rowsum — and the float result per
 * rule (step 5). Built with -ffp-contract=off: each float operation of the
 * design is one rounded operation here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_kern.h"
#include "dnnl_q8.h"

/* Step 2 (quant_utils::ChooseQuantizationParams(lo, hi, 0, Q)): the
 * reference's equations (reference/ref_quant.c), written again here so
 * that the backend is checked against them, not built from them. */
void dn_q8_params(float xmin, float xmax, int rule, dn_q8_in *p)
{
    const bool qnnpack = rule == SQ_INT8_RULE_QNNPACK;
    const int qmax = qnnpack ? 255 : 127;
    const float floor_scale = 6.1e-5f;
    double lo = xmin < 0.0f ? (double)xmin : 0.0, hi = xmax > 0.0f ? (double)xmax : 0.0;
    double s = (hi - lo) / qmax;
    if ((float)s == 0.0f || isinf(1.0f / (float)s)) s = 0.1;
    if (s < (double)floor_scale) {
        const double org = s;
        s = (double)floor_scale;
        if (lo == 0.0) {
            hi = (double)(floor_scale * (float)qmax);
        } else if (hi == 0.0) {
            lo = -(double)(floor_scale * (float)qmax);
        } else {
            const float amp = floor_scale / (float)org;
            lo = (double)((float)lo * amp);
            hi = (double)((float)hi * amp);
        }
    }
    const double z_lo = -lo / s, z_hi = qmax - hi / s;
    const double z = -fabs(lo / s) < qmax - fabs(hi / s) ? z_lo : z_hi;
    p->z = z < 0 ? 0 : z > qmax ? qmax : (int32_t)nearbyint(z);
    p->s = s;
    p->sf = (float)s;
    p->inv = qnnpack ? 1.0f / (float)s : (float)(1.0 / s);
    p->qnnpack = qnnpack;
}

void dn_q8_range(const float *x, int64_t n, float *lo, float *hi)
{
    float l = 0.0f, h = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        l = x[i] < l ? x[i] : l;
        h = x[i] > h ? x[i] : h;
    }
    *lo = l;
    *hi = h;
}

void dn_q8_codes(const float *x, int64_t R, int64_t K, const dn_q8_in *p, uint8_t *xq, int64_t ldq)
{
    const float zf = (float)p->z;
    for (int64_t r = 0; r < R; r++) {
        const float *xr = x + r * K;
        uint8_t *q = xq + r * ldq;
        for (int64_t k = 0; k < K; k++) {
            const float c = p->qnnpack ? rintf(xr[k] * p->inv) + zf : rintf(xr[k] * p->inv + zf);
            q[k] = (uint8_t)(c > 0.0f ? (c < 255.0f ? (int)c : 255) : 0); /* NaN: 0 */
        }
        if (ldq > K) memset(q + K, 0, (size_t)(ldq - K));
    }
}

void dn_q8_result(const int32_t *acc, int64_t R, const dn_q8_mat *m, const float *bias, const dn_q8_in *p, float *y)
{
    const int64_t N = m->N;
    for (int64_t r = 0; r < R; r++) {
        const int32_t *ar = acc + r * N;
        float *yr = y + r * N;
        if (p->qnnpack)
            for (int64_t n = 0; n < N; n++) {
                const float a = (float)(ar[n] - p->z * m->rowsum[n]);
                const float mult = m->sw[n] * p->sf;
                const float prod = a * mult;
                yr[n] = prod + (bias ? bias[n] : 0.0f);
            }
        else
            for (int64_t n = 0; n < N; n++) {
                const float a = (float)(ar[n] - p->z * m->rowsum[n]);
                const float g = p->inv * m->rsw[n];
                const float bg = (bias ? bias[n] : 0.0f) * g;
                const float sum = a + bg;
                yr[n] = sum * (1.0f / g);
            }
    }
}

/* ------------------------------------------------------------ a matrix */

static bool cpu_vnni(void)
{
    const unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    return (isa & 0x67u) == 0x67u || (isa & 0x407u) == 0x407u; /* avx512_core_vnni and above, avx2_vnni */
}

const dn_q8k *dn_q8_kernels(const dn_session *s, bool *onednn_matmul)
{
    const dn_q8k *nat = s->kern->q8_native;
    *onednn_matmul = !s->dot_widen && cpu_vnni();
    if (!s->dot_widen && nat && nat->name && nat->usable()) return nat;
    return s->kern->q8_widen;
}

seqrt_status dn_q8_lin_prepare(dn_session *s, dn_q8_lin *l, const sq_weight *W, int G, int64_t rows, bool own,
                               const char *layer)
{
    memset(l, 0, sizeof *l);
    if (!W || W->form != SQ_WF_I8 || W->rank != 2 || !W->q || !W->scale)
        return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': an int8-dynamic matrix without its I8 codes and scales",
                        layer);
    const int64_t N = W->dims[0], K = W->dims[1];
    dn_q8_mat *m = &l->m;
    m->G = G;
    m->rows = rows;
    m->N = N;
    m->K = m->Kp = K;
    m->rowsum = sq_malloc(sizeof(int32_t) * (size_t)(N ? N : 1));
    m->sw = sq_malloc(sizeof(float) * (size_t)(N ? N : 1));
    m->rsw = sq_malloc(sizeof(float) * (size_t)(N ? N : 1));
    if (!m->rowsum || !m->sw || !m->rsw) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "layer '%s': out of memory", layer);
    for (int64_t n = 0; n < N; n++) {
        int32_t sum = 0;
        for (int64_t k = 0; k < K; k++) sum += W->q[n * K + k];
        m->rowsum[n] = sum;
        m->sw[n] = W->scale[W->nscale == 1 ? 0 : n];
        m->rsw[n] = 1.0f / m->sw[n];
    }
    l->k = dn_q8_kernels(s, &l->onednn);
    if (own) l->onednn = false;
    if (!l->onednn) return l->k->pack(W->q, m);
    /* oneDNN: u8 [R, K] x s8 [K, N] -> s32 [R, N], R given at each run */
    int64_t ds[2] = {DNNL_RUNTIME_DIM_VAL, K}, dd[2] = {DNNL_RUNTIME_DIM_VAL, N}, dw[2] = {K, N};
    int64_t ss[2] = {K, 1}, sd[2] = {N, 1}, sw[2] = {1, K};
    dnnl_memory_desc_t src = dn_md_strided(2, ds, ss, dnnl_u8), dst = dn_md_strided(2, dd, sd, dnnl_s32);
    dnnl_memory_desc_t any = dn_md_tag(2, dw, dnnl_s8, dnnl_format_tag_any);
    dnnl_matmul_desc_t d;
    DN_TRY(dnnl_matmul_desc_init(&d, &src, &any, NULL, &dst));
    dnnl_primitive_desc_t pd;
    SQ_TRY(dn_pd_create(&pd, &d, 0, 0.0f, 0.0f, false, "int8 matmul descriptor"));
    seqrt_status st = dn_mem_alloc(&l->wmem, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0));
    if (st) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    const dnnl_memory_desc_t from = dn_md_strided(2, dw, sw, dnnl_s8); /* the codes [N, K] read as [K, N] */
    if ((st = dn_reorder_into(s, &from, W->q, l->wmem))) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    return dn_prim_create(&l->prim, pd, "int8 matmul");
}

seqrt_status dn_q8_lin_run(dn_session *s, const dn_q8_lin *l, const float *x, int64_t R, const float *bias, int rule,
                           uint8_t *xq, int32_t *acc, float *y)
{
    if (R == 0) return SEQRT_OK;
    const dn_q8_mat *m = &l->m;
    const int64_t K = m->K, N = m->N;
    float lo, hi;
    dn_q8_range(x, R * K, &lo, &hi);
    dn_q8_in p;
    dn_q8_params(lo, hi, rule, &p);
    dn_q8_codes(x, R, K, &p, xq, m->Kp);
    if (l->onednn) {
        const dnnl_memory_desc_t src = dn_md_strided(2, (int64_t[]){R, K}, (int64_t[]){K, 1}, dnnl_u8);
        const dnnl_memory_desc_t dst = dn_md_strided(2, (int64_t[]){R, N}, (int64_t[]){N, 1}, dnnl_s32);
        dn_arg a[3] = {{DNNL_ARG_SRC, &src, xq}, {DNNL_ARG_WEIGHTS, NULL, dn_mem_ptr(l->wmem)},
                       {DNNL_ARG_DST, &dst, acc}};
        SQ_TRY(dn_exec(s, &l->prim, 3, a));
        if (dnnl_stream_wait(s->stream) != dnnl_success)
            return sq_error(SEQRT_ERR_DEVICE, "oneDNN stream wait failed");
    } else {
        l->k->product(xq, R, m, acc);
    }
    dn_q8_result(acc, R, m, bias, &p, y);
    return SEQRT_OK;
}

void dn_q8_lin_free(dn_q8_lin *l)
{
    dn_prim_destroy(&l->prim);
    if (l->wmem) dnnl_memory_destroy(l->wmem);
    sq_free(l->m.p);
    sq_free(l->m.rowsum);
    sq_free(l->m.sw);
    sq_free(l->m.rsw);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------ the linear op */

typedef struct q8_linear {
    dn_q8_lin l;
    const float *bias;          /* the model's [N], or NULL */
    dn_buf xq, acc;
} q8_linear;

static void q8_linear_release(void *state)
{
    q8_linear *q = state;
    if (!q) return;
    dn_q8_lin_free(&q->l);
    dn_buf_free(&q->xq);
    dn_buf_free(&q->acc);
    sq_free(q);
}

static seqrt_status q8_linear_prepare(void *session, const sq_layer *L, void **out)
{
    q8_linear *q = sq_calloc(1, sizeof *q);
    if (!q) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory");
    *out = q;
    const sq_weight *W = dn_weight(L, SQ_W_LINEAR), *b = dn_weight(L, SQ_B_LINEAR);
    q->bias = b ? b->data : NULL;
    if (b && !b->data) return sq_error(SEQRT_ERR_INTERNAL, "layer '%s': the bias of an int8 linear is not f32", L->name);
    return dn_q8_lin_prepare(session, &q->l, W, 1, W ? W->dims[0] : 0, false, L->name);
}

static seqrt_status q8_linear_run(void *session, const sq_op_args *a, void *state)
{
    q8_linear *q = state;
    const sq_view *x = a->in[SQ_SLOT_X];
    int64_t rows = 1;
    for (int i = 0; i + 1 < x->rank; i++) rows *= x->d[i];
    const int64_t Kp = q->l.m.Kp, N = q->l.m.N;
    SQ_TRY(dn_buf_reserve(&q->xq, (size_t)(rows * Kp + 64)));
    SQ_TRY(dn_buf_reserve(&q->acc, sizeof(int32_t) * (size_t)(rows * N + 16)));
    return dn_q8_lin_run(session, &q->l, sq_vf(x), rows, q->bias, a->model->int8_rule, q->xq.p, q->acc.p,
                         sq_vf(a->out[SQ_OUT_MAIN]));
}

const sq_op_impl dn_q8_linear_impl = DN_OP_ROW(sq_op_supports_all, q8_linear_prepare, q8_linear_run, q8_linear_release);
