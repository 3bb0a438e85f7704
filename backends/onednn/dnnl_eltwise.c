/*
 * oneDNN backend: element-wise ops — activation (relu, tanh, sigmoid, gelu
 * in its erf form, affine as eltwise_linear: alpha * x + beta) on the
 * eltwise primitive, add and mul on the binary
 * primitive, all over the flat tensor; dropout is the identity at
 * inference (a copy).
 */
#include <stdio.h>
#include <string.h>

#include "dnnl_common.h"

bool dn_act_alg(int act, dnnl_alg_kind_t *alg)
{
    switch (act) {
    case SQ_ACT_RELU: *alg = dnnl_eltwise_relu; return true;
    case SQ_ACT_TANH: *alg = dnnl_eltwise_tanh; return true;
    case SQ_ACT_SIGMOID: *alg = dnnl_eltwise_logistic; return true;
    case SQ_ACT_GELU: *alg = dnnl_eltwise_gelu_erf; return true;
    case SQ_ACT_AFFINE: *alg = dnnl_eltwise_linear; return true; /* alpha * x + beta */
    default: return false;
    }
}

bool dn_act_supported(int act, const char *what, char *why, size_t why_size)
{
    dnnl_alg_kind_t alg;
    if (dn_act_alg(act, &alg)) return true;
    snprintf(why, why_size, "%s %d", what, act);
    return false;
}

static seqrt_status activation_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    dn_simple *st = state;
    const sq_view *x = a->in[SQ_SLOT_X];
    dnnl_alg_kind_t alg;
    if (!dn_act_alg(a->layer->a.function, &alg))
        return sq_error(SEQRT_ERR_UNSUPPORTED, "layer '%s': activation %d", a->layer->name, a->layer->a.function);
    float *y = sq_vf(a->out[SQ_OUT_MAIN]);
    const bool affine = a->layer->a.function == SQ_ACT_AFFINE;
    const float alpha = affine ? (float)a->layer->a.act_alpha : 0.0f;
    const float beta = affine ? (float)a->layer->a.act_beta : 0.0f;
    SQ_TRY(dn_eltwise(s, &st->cache, alg, alpha, beta, sq_vf(x), y, sq_view_count(x)));
    dn_keep_nan(sq_vf(x), y, sq_view_count(x)); /* oneDNN's relu maps NaN to 0 */
    return SEQRT_OK;
}

static seqrt_status binary_run(dn_session *s, const sq_op_args *a, dn_simple *st, dnnl_alg_kind_t alg)
{
    const sq_view *x = a->in[SQ_SLOT_A], *y = a->in[SQ_SLOT_B];
    const int64_t n = sq_view_count(x);
    if (n == 0) return SEQRT_OK;
    struct {
        int kind;
        dnnl_alg_kind_t alg;
        int64_t n;
    } key = {0x42494e41, alg, n};
    dnnl_memory_desc_t md = dn_md1(n);
    dn_prim *p = dn_cache_find(&st->cache, &key, sizeof key);
    if (!p) {
        dnnl_binary_desc_t d;
        DN_TRY(dnnl_binary_desc_init(&d, alg, &md, &md, &md));
        dnnl_primitive_desc_t pd;
        DN_TRY(dnf_primitive_desc_create(&pd, &d, NULL, dn_engine, NULL));
        SQ_TRY(dn_cache_put(&st->cache, &key, sizeof key, pd, &p, "binary"));
    }
    dn_arg args[3] = {{DNNL_ARG_SRC_0, &md, x->data}, {DNNL_ARG_SRC_1, &md, y->data},
                      {DNNL_ARG_DST, &md, a->out[SQ_OUT_MAIN]->data}};
    return dn_exec(s, p, 3, args);
}

static seqrt_status add_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    return binary_run(s, a, state, dnnl_binary_add);
}

static seqrt_status mul_run(void *session, const sq_op_args *a, void *state)
{
    dn_session *s = session;
    return binary_run(s, a, state, dnnl_binary_mul);
}

static seqrt_status dropout_run(void *session, const sq_op_args *a, void *state)
{
    (void)session;
    (void)state;
    const sq_view *x = a->in[SQ_SLOT_X];
    sq_view *y = a->out[SQ_OUT_MAIN];
    const size_t bytes = (size_t)sq_view_count(x) * 4; /* f32 and i32 alike */
    if (y->data != x->data && bytes) memcpy(y->data, x->data, bytes);
    return SEQRT_OK;
}

/* The five functions of the spec, as oneDNN eltwise algorithms
 * (activation_run): anything else is refused before a session is made. */
static bool activation_supports(const seqrt_device *dev, const seqrt_model *model, const sq_layer *L, char *why,
                                size_t why_size)
{
    (void)dev;
    (void)model;
    return dn_act_supported(L->a.function, "activation function", why, why_size);
}

const sq_op_impl dn_activation_impl = DN_SIMPLE_ROW(activation_supports, activation_run);
const sq_op_impl dn_add_impl = DN_SIMPLE_ROW(sq_op_supports_all, add_run);
const sq_op_impl dn_mul_impl = DN_SIMPLE_ROW(sq_op_supports_all, mul_run);
const sq_op_impl dn_dropout_impl = DN_OP_ROW(sq_op_supports_all, NULL, dropout_run, NULL);
