/*
 * oneDNN backend: the body of one variant of the int8 kernels
 * (dnnl_q8_kern.c includes it once per variant). Before including, define:
 *
 *   Q8V(name)     the variant's function names (name_vnni, name_widen)
 *   Q8_KG         inputs per group of the packed layout (dnnl_q8.h)
 *   Q8_ATTR       the variant's function attributes (its target)
 *   Q8_WLOAD(p)   the weights of VL rows at one group, as a vi
 *   Q8_XLOAD(p)   one entry's codes of that group, as a vi
 *   Q8_DOT(a,x,w) a + the group's products (int32 lanes, exact)
 *
 * The products of a tile (NB entries x NG gates of one block of VL rows)
 * stay in int32 registers over the whole k loop; a tile with fewer than
 * Q8_CHAINS accumulators splits the loop into interleaved partial sums so
 * that the dot instruction's latency does not bound it (at B = 1 an LSTM
 * has 4 chains).
 */
#define Q8_CHAINS 12
#define Q8_KSPLIT(NB, NG) (Q8_CHAINS / ((NB) * (NG)) > 4 ? 4 : Q8_CHAINS / ((NB) * (NG)) > 1 ? Q8_CHAINS / ((NB) * (NG)) : 1)

/* acc[0][b][g] = sum over the groups of the codes of entry b0 + b (rows of
 * xq, stride ldq) times block u's rows of gate g. */
#define Q8_PRODUCT(NB, NG)                                                                        \
    enum { S = Q8_KSPLIT(NB, NG) };                                                               \
    vi acc[S][NB][NG];                                                                            \
    for (int q_ = 0; q_ < S; q_++)                                                                \
        for (int b_ = 0; b_ < NB; b_++)                                                           \
            for (int g_ = 0; g_ < NG; g_++) acc[q_][b_][g_] = (vi){0};                            \
    {                                                                                             \
        const int8_t *W = m->p + u * nkg * NG * VL * Q8_KG;                                       \
        int64_t kg = 0;                                                                           \
        for (; kg + S <= nkg; kg += S, W += S * NG * VL * Q8_KG)                                  \
            _Pragma("GCC unroll 4") for (int q_ = 0; q_ < S; q_++) {                              \
                vi w[NG];                                                                         \
                for (int g_ = 0; g_ < NG; g_++) w[g_] = Q8_WLOAD(W + (q_ * NG + g_) * VL * Q8_KG); \
                for (int b_ = 0; b_ < NB; b_++) {                                                 \
                    const vi x = Q8_XLOAD(xq + (b0 + b_) * ldq + (kg + q_) * Q8_KG);              \
                    for (int g_ = 0; g_ < NG; g_++) acc[q_][b_][g_] = Q8_DOT(acc[q_][b_][g_], x, w[g_]); \
                }                                                                                 \
            }                                                                                     \
        for (; kg < nkg; kg++, W += NG * VL * Q8_KG) {                                            \
            vi w[NG];                                                                             \
            for (int g_ = 0; g_ < NG; g_++) w[g_] = Q8_WLOAD(W + g_ * VL * Q8_KG);                \
            for (int b_ = 0; b_ < NB; b_++) {                                                     \
                const vi x = Q8_XLOAD(xq + (b0 + b_) * ldq + kg * Q8_KG);                         \
                for (int g_ = 0; g_ < NG; g_++) acc[0][b_][g_] = Q8_DOT(acc[0][b_][g_], x, w[g_]); \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
    for (int q_ = 1; q_ < S; q_++)                                                                \
        for (int b_ = 0; b_ < NB; b_++)                                                           \
            for (int g_ = 0; g_ < NG; g_++) acc[0][b_][g_] += acc[q_][b_][g_];

/* ------------------------------------------------------------ product */

/* Rows b0 .. b0+NB-1 of the product into out [R, N]. */
#define Q8_STORE_TILE(NB, NG)                                                                     \
    do {                                                                                          \
        Q8_PRODUCT(NB, NG)                                                                        \
        for (int b_ = 0; b_ < NB; b_++)                                                           \
            for (int g_ = 0; g_ < NG; g_++) {                                                     \
                int32_t *o = out + (b0 + b_) * m->N + g_ * m->rows + j;                           \
                if (n >= VL) memcpy(o, &acc[0][b_][g_], sizeof(vi));                              \
                else memcpy(o, &acc[0][b_][g_], sizeof(int32_t) * (size_t)n);                     \
            }                                                                                     \
    } while (0)

/* Block u (VL rows of every gate) for every entry. A function of its own,
 * with the variant's target, called from the OpenMP loop: clang outlines a
 * parallel region into a function without the enclosing one's target
 * attribute, where a VNNI intrinsic cannot be compiled (clang 14 stops with
 * "Cannot select X86ISD::VPDPBUSD"). */
#define Q8_UNIT(NG)                                                                               \
    static Q8_ATTR void Q8V(q8_unit##NG)(const uint8_t *xq, int64_t R, const dn_q8_mat *m, int32_t *out, \
                                         int64_t u, int64_t nkg, int64_t ldq)                     \
    {                                                                                             \
        const int64_t j = u * VL, n = m->rows - j < VL ? m->rows - j : VL;                        \
        int64_t b0 = 0;                                                                           \
        for (; b0 + 4 <= R; b0 += 4) Q8_STORE_TILE(4, NG);                                        \
        for (; b0 + 2 <= R; b0 += 2) Q8_STORE_TILE(2, NG);                                        \
        if (b0 < R) Q8_STORE_TILE(1, NG);                                                         \
    }
Q8_UNIT(4)
Q8_UNIT(3)
Q8_UNIT(1)
#undef Q8_UNIT

#define Q8_BLOCKS(NG)                                                                             \
    _Pragma("omp parallel for schedule(static)") for (int64_t u = 0; u < nu; u++)                 \
        Q8V(q8_unit##NG)(xq, R, m, out, u, nkg, ldq)

static void Q8V(q8_product)(const uint8_t *xq, int64_t R, const dn_q8_mat *m, int32_t *out)
{
    const int64_t nu = (m->rows + VL - 1) / VL, nkg = m->Kp / Q8_KG, ldq = m->Kp;
    switch (m->G) {
    case 4: Q8_BLOCKS(4); break;
    case 3: Q8_BLOCKS(3); break;
    default: Q8_BLOCKS(1); break;
    }
}

/* ------------------------------------------------------------ recurrent steps */

/* The cell of entry e for units j .. j+n-1 from its NG gates' products:
 * the result (step 5) with b_hh, plus the input projection's row, then
 * the design's cell (σ and tanh rounded from double); writes h (and c). */
AI void Q8V(q8_cell)(const dn_q8_rnn *a, const dn_q8_in *p, int NG, int64_t e, int64_t j, int64_t n,
                     const vi *acc, const float *ihr, const float *hp, float *hn, float *yt)
{
    const int64_t H = a->H;
    const dn_q8_mat *m = a->w;
    vf gate[4];
    for (int g = 0; g < NG; g++) {
        const int64_t r = g * H + j;
        const vf af = __builtin_convertvector(acc[g] - vloadi(m->rowsum + r, n) * p->z, vf);
        const vf b = a->bhh ? vload(a->bhh + r, n) : vsplat(0.0f);
        vf hh;
        if (p->qnnpack) {
            const vf mult = vload(m->sw + r, n) * p->sf;
            hh = af * mult + b;
        } else {
            const vf gg = vsplat(p->inv) * vload(m->rsw + r, n);
            const vf sum = af + b * gg;
            hh = sum * (1.0f / gg);
        }
        gate[g] = NG == 3 && g == 2 ? hh : hh + vload(ihr + r, n); /* gru: HH_n stays apart */
    }
    vf h;
    if (NG == 4) { /* the design's cell: c = f * c + i * g; h = o * tanh(c) */
        float *cp = a->c + e * H + j;
        const vf i = q8_sigmoid(gate[0]), f = q8_sigmoid(gate[1]), g = q8_tanh(gate[2]), o = q8_sigmoid(gate[3]);
        const vf fc = f * vload(cp, n), ig = i * g;
        const vf cn = fc + ig;
        vstore(cp, cn, n);
        h = o * q8_tanh(cn);
    } else { /* n = tanh(IH_n + HH_n * r); h = (h - n) * z + n */
        const vf r = q8_sigmoid(gate[0]), z = q8_sigmoid(gate[1]);
        const vf hr = gate[2] * r;
        const vf nn = q8_tanh(vload(ihr + 2 * H + j, n) + hr);
        const vf d = vload(hp + e * H + j, n) - nn;
        const vf dz = d * z;
        h = dz + nn;
    }
    vstore(hn + e * H + j, h, n);
    if (a->y) vstore(yt + e * a->ldy + j, h, n);
}

#define Q8_CELL_TILE(NB, NG)                                                                      \
    do {                                                                                          \
        Q8_PRODUCT(NB, NG)                                                                        \
        for (int b_ = 0; b_ < NB; b_++) {                                                         \
            const int64_t e = b0 + b_;                                                            \
            if (ir[e] < 0) {                                                                      \
                memcpy(hn + e * H + j, hp + e * H + j, sizeof(float) * (size_t)n);                \
                continue;                                                                         \
            }                                                                                     \
            Q8V(q8_cell)(a, &p, NG, e, j, n, acc[0][b_], a->ih + ir[e] * NG * H, hp, hn, yt);    \
        }                                                                                         \
    } while (0)

#define Q8_UNITS(NG)                                                                              \
    for (int64_t u = u0; u < u1; u++) {                                                           \
        const int64_t j = u * VL, n = H - j < VL ? H - j : VL;                                    \
        int64_t b0 = 0;                                                                           \
        if (VL == 16)                                                                             \
            for (; b0 + 4 <= B; b0 += 4) Q8_CELL_TILE(4, NG);                                     \
        for (; b0 + 3 <= B; b0 += 3) Q8_CELL_TILE(3, NG);                                         \
        for (; b0 + 2 <= B; b0 += 2) Q8_CELL_TILE(2, NG);                                         \
        if (b0 < B) Q8_CELL_TILE(1, NG);                                                          \
    }

typedef struct {
    const dn_q8_rnn *a;
    int64_t nu;
} Q8V(q8_job);

/* Step s for member t of n: the codes of h_{t-1} over the running entries
 * (each member makes them all, from the same h: no second barrier), then
 * the member's blocks of hidden units. */
static Q8_ATTR void Q8V(q8_step)(void *arg, int64_t s, int t, int nmem)
{
    const Q8V(q8_job) *jb = arg;
    const dn_q8_rnn *a = jb->a;
    const dn_q8_mat *m = a->w;
    const int64_t H = a->H, B = a->B, ldq = m->Kp, nkg = m->Kp / Q8_KG;
    const int64_t tt = a->reverse ? a->T - 1 - s : s;
    const int64_t *ir = a->ihrow + tt * B;
    const float *hp = a->h + (s & 1) * B * H;
    float *hn = a->h + ((s + 1) & 1) * B * H;
    float *yt = a->y ? a->y + tt * a->ldt : NULL;
    uint8_t *xq = a->codes + (int64_t)t * B * ldq;
    const int64_t u0 = jb->nu * t / nmem, u1 = jb->nu * (t + 1) / nmem;
    float lo = 0.0f, hi = 0.0f;
    for (int64_t b = 0; b < B; b++)
        if (ir[b] >= 0) q8_range(hp + b * H, H, &lo, &hi);
    dn_q8_in p;
    dn_q8_params(lo, hi, a->rule, &p);
    for (int64_t b = 0; b < B; b++)
        if (ir[b] >= 0) q8_codes(hp + b * H, H, &p, xq + b * ldq);
    switch (a->G) {
    case 4: Q8_UNITS(4) break;
    default: Q8_UNITS(3) break;
    }
}

static void Q8V(q8_rnn)(const dn_q8_rnn *a)
{
    const int64_t nu = (a->H + VL - 1) / VL;
    int nt = a->threads;
    const int64_t by_units = (a->H + Q8_UNITS_PER_THREAD - 1) / Q8_UNITS_PER_THREAD;
    if (nt > by_units) nt = (int)by_units;
    if (nt > nu) nt = (int)nu;
    if (nt < 1) nt = 1;
    Q8V(q8_job) jb = {.a = a, .nu = nu};
    dn_team_run(nt, a->T, Q8V(q8_step), &jb, NULL, NULL);
}

#undef Q8_CHAINS
#undef Q8_KSPLIT
#undef Q8_PRODUCT
#undef Q8_STORE_TILE
#undef Q8_BLOCKS
#undef Q8_CELL_TILE
#undef Q8_UNITS
