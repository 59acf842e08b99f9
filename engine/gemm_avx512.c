/*
 * engine/gemm_avx512.c - matrix x matrix with AVX-512 VNNI (see gemm.h).
 *
 * Integer types. A panel holds, for each group of G quants (32; 16 for
 * Q6_K, whose scales cover 16), G/4 vectors of 64 bytes - vector v holds
 * quants 4v..4v+3 of the 16 rows, as unsigned bytes u = q + off - then the 16
 * rows' scales and minimums as floats:
 *
 *     row . act = sum_g  da_g (sc_g sum_i u_i a_i - off sc_g S_g) + mn_g das_g
 *
 * with S_g the group's sum of activation quants and das_g its scale times
 * that sum (Q8_1's s for Q4_1/Q5_1). vpdpbusd takes u (unsigned) against
 * four activation quants broadcast from memory (signed); the - off S_g term
 * starts its integer accumulator, so each group's integer sum is exact.
 *
 * Float types. A panel holds the 16 rows as f32, one element of each per
 * 64-byte vector; each activation (already rounded to the weights' type, as
 * ggml's vec_dot_type) is broadcast and multiplied with it.
 *
 * A tile is 16 rows x up to 8 (integer) or 12 (float) tokens, all in
 * registers; the loops over tokens and over a group's vectors have constant
 * bounds and are unrolled.
 */
#include "engine/gemm.h"

#if defined(__x86_64__) && defined(__AVX512VNNI__)
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "core/half.h"
#include "formats/ggml_type.h"
#include "quant/blocks.h"

static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

/* ---- integer types -------------------------------------------------------------------------------------- */

typedef struct {
    int group;   /* quants per scale */
    int off;     /* u = q + off */
    int unit;    /* elements per block of the format */
    bool min;    /* a minimum term */
} qinfo;

static bool qinfo_of(uint32_t type, qinfo *q)
{
    switch (type) {
    case EL_TYPE_Q4_0: *q = (qinfo){32, 8, 32, false}; return true;
    case EL_TYPE_Q5_0: *q = (qinfo){32, 16, 32, false}; return true;
    case EL_TYPE_Q8_0: *q = (qinfo){32, 128, 32, false}; return true;
    case EL_TYPE_Q4_1: *q = (qinfo){32, 0, 32, true}; return true;
    case EL_TYPE_Q5_1: *q = (qinfo){32, 0, 32, true}; return true;
    case EL_TYPE_Q4_K: *q = (qinfo){32, 0, 256, true}; return true;
    case EL_TYPE_Q5_K: *q = (qinfo){32, 0, 256, true}; return true;
    case EL_TYPE_Q6_K: *q = (qinfo){16, 32, 256, false}; return true;
    default: return false;
    }
}

static bool is_float(uint32_t type) { return type == EL_TYPE_F32 || type == EL_TYPE_F16 || type == EL_TYPE_BF16; }

/* One block of a row -> unit unsigned quants (q + off) and the scale and minimum of each group. */
static void unpack_unit(uint32_t type, const uint8_t *p, uint8_t *u, float *sc, float *mn)
{
    switch (type) {
    case EL_TYPE_Q4_0: {
        const block_q4_0 *x = (const void *)p;
        sc[0] = el_f16_to_f32(x->d);
        mn[0] = 0;
        for (int j = 0; j < 16; j++) {
            u[j] = x->qs[j] & 0xF;
            u[j + 16] = x->qs[j] >> 4;
        }
        break;
    }
    case EL_TYPE_Q5_0:
    case EL_TYPE_Q5_1: {
        const block_q5_1 *x1 = (const void *)p;
        const block_q5_0 *x0 = (const void *)p;
        const uint8_t *qs = type == EL_TYPE_Q5_0 ? x0->qs : x1->qs, *qhp = type == EL_TYPE_Q5_0 ? x0->qh : x1->qh;
        uint32_t qh;
        memcpy(&qh, qhp, 4);
        sc[0] = el_f16_to_f32(type == EL_TYPE_Q5_0 ? x0->d : x1->d);
        mn[0] = type == EL_TYPE_Q5_0 ? 0 : el_f16_to_f32(x1->m);
        for (int j = 0; j < 16; j++) {
            u[j] = (uint8_t)((qs[j] & 0xF) | (((qh >> j) & 1) << 4));
            u[j + 16] = (uint8_t)((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
        }
        break;
    }
    case EL_TYPE_Q8_0: {
        const block_q8_0 *x = (const void *)p;
        sc[0] = el_f16_to_f32(x->d);
        mn[0] = 0;
        for (int j = 0; j < 32; j++)
            u[j] = (uint8_t)(x->qs[j] ^ 0x80); /* q + 128 */
        break;
    }
    case EL_TYPE_Q4_1: {
        const block_q4_1 *x = (const void *)p;
        sc[0] = el_f16_to_f32(x->d);
        mn[0] = el_f16_to_f32(x->m);
        for (int j = 0; j < 16; j++) {
            u[j] = x->qs[j] & 0xF;
            u[j + 16] = x->qs[j] >> 4;
        }
        break;
    }
    case EL_TYPE_Q4_K:
    case EL_TYPE_Q5_K: {
        const block_q5_K *x5 = (const void *)p;
        const block_q4_K *x4 = (const void *)p;
        const bool five = type == EL_TYPE_Q5_K;
        const uint8_t *qs = five ? x5->qs : x4->qs, *scales = five ? x5->scales : x4->scales;
        const float d = el_f16_to_f32(five ? x5->d : x4->d), dmin = el_f16_to_f32(five ? x5->dmin : x4->dmin);
        for (int j = 0; j < 8; j++) {
            uint8_t s, m;
            el_k4_scale_min(j, scales, &s, &m);
            sc[j] = d * s;
            mn[j] = -dmin * m;
            const uint8_t *q = qs + 32 * (j / 2);
            for (int l = 0; l < 32; l++) {
                uint8_t v = (j & 1) ? q[l] >> 4 : q[l] & 0xF;
                if (five)
                    v |= (uint8_t)(((x5->qh[l] >> j) & 1) << 4);
                u[32 * j + l] = v;
            }
        }
        break;
    }
    case EL_TYPE_Q6_K: {
        const block_q6_K *x = (const void *)p;
        const float d = el_f16_to_f32(x->d);
        for (int g = 0; g < 16; g++) {
            sc[g] = d * x->scales[g];
            mn[g] = 0;
        }
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = x->ql + 64 * h, *qh = x->qh + 32 * h;
            uint8_t *o = u + 128 * h;
            for (int l = 0; l < 32; l++) {
                o[l] = (uint8_t)((ql[l] & 0xF) | ((qh[l] & 3) << 4));
                o[l + 32] = (uint8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
                o[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                o[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
            }
        }
        break;
    }
    default:
        break;
    }
}

static size_t qgroup_bytes(const qinfo *q) { return (size_t)q->group * EL_GEMM_ROWS + 128; }

/* activation layout: [quants, n bytes][-off x S_g: int32][da_g: f32][das_g: f32], groups of q->group */
typedef struct {
    size_t nos, da, das, total;
} qact_layout;

static qact_layout qact_of(const qinfo *q, int64_t n)
{
    const size_t ng = (size_t)(n / q->group);
    qact_layout l;
    l.nos = up64((size_t)n);
    l.da = l.nos + 4 * ng;
    l.das = l.da + 4 * ng;
    l.total = up64(l.das + 4 * ng);
    return l;
}

/* ---- float types ------------------------------------------------------------------------------------------ */

static float elem(uint32_t type, const uint8_t *row, int64_t k)
{
    if (type == EL_TYPE_F32) {
        float f;
        memcpy(&f, row + 4 * k, 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, row + 2 * k, 2);
    return type == EL_TYPE_F16 ? el_f16_to_f32(h) : el_bf16_to_f32(h);
}

/* ---- the interface ------------------------------------------------------------------------------------------ */

static size_t panel_bytes(uint32_t type, int64_t n)
{
    qinfo q;
    if (is_float(type))
        return (size_t)n * 64;
    if (!qinfo_of(type, &q) || n % q.unit)
        return 0;
    return (size_t)(n / q.group) * qgroup_bytes(&q);
}

static void pack_w(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel)
{
    uint8_t *out = panel;
    if (is_float(type)) {
        if (type == EL_TYPE_F16) { /* 16 rows x 16 elements: convert, then transpose through the cache */
            for (int64_t k0 = 0; k0 < n; k0 += 16) {
                const int64_t kn = n - k0 < 16 ? n - k0 : 16;
                const __mmask16 km = (__mmask16)((1u << kn) - 1);
                float blk[16][16];
                for (int r = 0; r < EL_GEMM_ROWS; r++) {
                    __m512 v = _mm512_setzero_ps();
                    if (r < nr)
                        v = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(km, w + (size_t)r * stride + 2 * k0));
                    _mm512_storeu_ps(blk[r], v);
                }
                for (int64_t k = 0; k < kn; k++) {
                    const __m512i idx = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                                            _mm512_set1_epi32(16)),
                                                         _mm512_set1_epi32((int)k));
                    _mm512_storeu_ps(out + (size_t)(k0 + k) * 64, _mm512_i32gather_ps(idx, &blk[0][0], 4));
                }
            }
            return;
        }
        for (int64_t k = 0; k < n; k++) {
            float *o = (float *)(void *)(out + (size_t)k * 64);
            for (int r = 0; r < EL_GEMM_ROWS; r++)
                o[r] = r < nr ? elem(type, w + (size_t)r * stride, k) : 0.0f;
        }
        return;
    }
    qinfo q;
    qinfo_of(type, &q);
    uint64_t ub = 0;
    el_type_row_bytes(type, (uint64_t)q.unit, &ub);
    const size_t gb = qgroup_bytes(&q);
    const int gpu = q.unit / q.group; /* groups per unit */
    for (int r = 0; r < EL_GEMM_ROWS; r++) {
        for (int64_t ui = 0; ui < n / q.unit; ui++) {
            uint8_t u[256];
            float sc[16], mn[16];
            if (r < nr) {
                unpack_unit(type, w + (size_t)r * stride + (size_t)ui * ub, u, sc, mn);
            } else {
                memset(u, 0, sizeof u);
                memset(sc, 0, sizeof sc);
                memset(mn, 0, sizeof mn);
            }
            for (int gl = 0; gl < gpu; gl++) {
                uint8_t *pg = out + (size_t)(ui * gpu + gl) * gb;
                for (int v = 0; v < q.group / 4; v++)
                    memcpy(pg + 64 * v + 4 * r, u + gl * q.group + 4 * v, 4);
                memcpy(pg + (size_t)q.group * 16 + 4 * r, &sc[gl], 4);
                memcpy(pg + (size_t)q.group * 16 + 64 + 4 * r, &mn[gl], 4);
            }
        }
    }
}

static size_t act_bytes(uint32_t type, int64_t n)
{
    qinfo q;
    if (is_float(type))
        return up64((size_t)n * 4);
    if (!qinfo_of(type, &q))
        return 0;
    return qact_of(&q, n).total;
}

static void pack_a(uint32_t type, int64_t n, const void *a, void *outv)
{
    uint8_t *out = outv;
    if (is_float(type)) {
        float *o = outv;
        if (type == EL_TYPE_F32)
            memcpy(o, a, (size_t)n * 4);
        else
            for (int64_t k = 0; k < n; k++) {
                uint16_t h = ((const uint16_t *)a)[k];
                o[k] = type == EL_TYPE_F16 ? el_f16_to_f32(h) : el_bf16_to_f32(h);
            }
        return;
    }
    qinfo q;
    qinfo_of(type, &q);
    const qact_layout L = qact_of(&q, n);
    int8_t *qs = (int8_t *)out;
    int32_t *nos = (int32_t *)(void *)(out + L.nos);
    float *da = (float *)(void *)(out + L.da), *das = (float *)(void *)(out + L.das);
    if (q.unit == 256) { /* Q8_K */
        const block_q8_K *y = a;
        for (int64_t i = 0; i < n / QK_K; i++) {
            memcpy(qs + 256 * i, y[i].qs, 256);
            for (int g = 0; g < 256 / q.group; g++) {
                const int s = q.group == 16 ? y[i].bsums[g] : y[i].bsums[2 * g] + y[i].bsums[2 * g + 1];
                const int64_t gi = i * (256 / q.group) + g;
                nos[gi] = -q.off * s;
                da[gi] = y[i].d;
                das[gi] = y[i].d * (float)s;
            }
        }
    } else if (q.min) { /* Q8_1 */
        const block_q8_1 *y = a;
        for (int64_t i = 0; i < n / 32; i++) {
            memcpy(qs + 32 * i, y[i].qs, 32);
            nos[i] = 0;
            da[i] = el_f16_to_f32(y[i].d);
            das[i] = el_f16_to_f32(y[i].s);
        }
    } else { /* Q8_0 */
        const block_q8_0 *y = a;
        for (int64_t i = 0; i < n / 32; i++) {
            memcpy(qs + 32 * i, y[i].qs, 32);
            int s = 0;
            for (int l = 0; l < 32; l++)
                s += y[i].qs[l];
            nos[i] = -q.off * s;
            da[i] = el_f16_to_f32(y[i].d);
            das[i] = 0;
        }
    }
}

/* One tile: 16 rows x NT tokens over all groups. */
static inline __attribute__((always_inline)) void qtile(const int G, const int NT, const bool has_min, int64_t ng,
                                                         const uint8_t *panel, const uint8_t *acts, size_t as,
                                                         const qact_layout *L, __mmask16 rows, float *y, size_t ldy)
{
    const size_t gb = (size_t)G * 16 + 128;
    __m512 acc[8];
#pragma GCC unroll 8
    for (int t = 0; t < NT; t++)
        acc[t] = _mm512_setzero_ps();
    for (int64_t g = 0; g < ng; g++) {
        const uint8_t *pg = panel + (size_t)g * gb;
        __m512i w[8];
#pragma GCC unroll 8
        for (int v = 0; v < G / 4; v++)
            w[v] = _mm512_load_si512(pg + 64 * v);
        const __m512 sc = _mm512_load_ps(pg + (size_t)G * 16);
        __m512 mn = _mm512_setzero_ps();
        if (has_min)
            mn = _mm512_load_ps(pg + (size_t)G * 16 + 64);
#pragma GCC unroll 8
        for (int t = 0; t < NT; t++) {
            const uint8_t *a = acts + (size_t)t * as;
            int32_t nos;
            float da;
            memcpy(&nos, a + L->nos + 4 * g, 4);
            memcpy(&da, a + L->da + 4 * g, 4);
            __m512i ia = _mm512_set1_epi32(nos);
            const uint8_t *qa = a + (size_t)g * (size_t)G;
#pragma GCC unroll 8
            for (int v = 0; v < G / 4; v++) {
                int32_t four;
                memcpy(&four, qa + 4 * v, 4);
                ia = _mm512_dpbusd_epi32(ia, w[v], _mm512_set1_epi32(four));
            }
            acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(ia), sc), _mm512_set1_ps(da), acc[t]);
            if (has_min) {
                float das;
                memcpy(&das, a + L->das + 4 * g, 4);
                acc[t] = _mm512_fmadd_ps(mn, _mm512_set1_ps(das), acc[t]);
            }
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < NT; t++)
        _mm512_mask_storeu_ps(y + (size_t)t * ldy, rows, acc[t]);
}

#define QTILE_CASES(G, MIN)                                                                                       \
    switch (m) {                                                                                                  \
    case 8: qtile(G, 8, MIN, ng, panel, a, as, &L, rows, yt, ldy); break;                                        \
    case 7: qtile(G, 7, MIN, ng, panel, a, as, &L, rows, yt, ldy); break;                                        \
    case 6: qtile(G, 6, MIN, ng, panel, a, as, &L, rows, yt, ldy); break;                                        \
    case 5: qtile(G, 5, MIN, ng, panel, a, as, &L, rows, yt, ldy); break;                                        \
    case 4: qtile(G, 4, MIN, ng, panel, a, as, &L, rows, yt, ldy); break;                                        \
    case 3: qtile(G, 3, MIN, ng, panel, a, as, &L, rows, yt, ldy); break;                                        \
    case 2: qtile(G, 2, MIN, ng, panel, a, as, &L, rows, yt, ldy); break;                                        \
    default: qtile(G, 1, MIN, ng, panel, a, as, &L, rows, yt, ldy); break;                                       \
    }

static void qrun(const qinfo *q, int64_t n, const uint8_t *panel, int nr, const uint8_t *acts, size_t as, int nt,
                 float *y, size_t ldy)
{
    const int64_t ng = n / q->group;
    const qact_layout L = qact_of(q, n);
    const __mmask16 rows = (__mmask16)((1u << nr) - 1);
    for (int t0 = 0; t0 < nt; t0 += 8) {
        const int m = nt - t0 < 8 ? nt - t0 : 8;
        const uint8_t *a = acts + (size_t)t0 * as;
        float *yt = y + (size_t)t0 * ldy;
        if (q->group == 16) {
            QTILE_CASES(16, false)
        } else if (q->min) {
            QTILE_CASES(32, true)
        } else {
            QTILE_CASES(32, false)
        }
    }
}

static inline __attribute__((always_inline)) void ftile(const int NT, int64_t n, const float *panel, const uint8_t *acts,
                                                         size_t as, __mmask16 rows, float *y, size_t ldy)
{
    __m512 acc[12];
#pragma GCC unroll 12
    for (int t = 0; t < NT; t++)
        acc[t] = _mm512_setzero_ps();
    for (int64_t k = 0; k < n; k++) {
        const __m512 w = _mm512_load_ps(panel + 16 * k);
#pragma GCC unroll 12
        for (int t = 0; t < NT; t++) {
            const float *a = (const float *)(const void *)(acts + (size_t)t * as);
            acc[t] = _mm512_fmadd_ps(w, _mm512_set1_ps(a[k]), acc[t]);
        }
    }
#pragma GCC unroll 12
    for (int t = 0; t < NT; t++)
        _mm512_mask_storeu_ps(y + (size_t)t * ldy, rows, acc[t]);
}

static void frun(int64_t n, const float *panel, int nr, const uint8_t *acts, size_t as, int nt, float *y, size_t ldy)
{
    const __mmask16 rows = (__mmask16)((1u << nr) - 1);
    for (int t0 = 0; t0 < nt; t0 += 12) {
        const int m = nt - t0 < 12 ? nt - t0 : 12;
        const uint8_t *a = acts + (size_t)t0 * as;
        float *yt = y + (size_t)t0 * ldy;
        switch (m) {
        case 12: ftile(12, n, panel, a, as, rows, yt, ldy); break;
        case 11: ftile(11, n, panel, a, as, rows, yt, ldy); break;
        case 10: ftile(10, n, panel, a, as, rows, yt, ldy); break;
        case 9: ftile(9, n, panel, a, as, rows, yt, ldy); break;
        case 8: ftile(8, n, panel, a, as, rows, yt, ldy); break;
        case 7: ftile(7, n, panel, a, as, rows, yt, ldy); break;
        case 6: ftile(6, n, panel, a, as, rows, yt, ldy); break;
        case 5: ftile(5, n, panel, a, as, rows, yt, ldy); break;
        case 4: ftile(4, n, panel, a, as, rows, yt, ldy); break;
        case 3: ftile(3, n, panel, a, as, rows, yt, ldy); break;
        case 2: ftile(2, n, panel, a, as, rows, yt, ldy); break;
        default: ftile(1, n, panel, a, as, rows, yt, ldy); break;
        }
    }
}

static void run(uint32_t type, int64_t n, const void *panel, int nr, const uint8_t *acts, size_t as, int nt, float *y,
                size_t ldy)
{
    if (is_float(type)) {
        frun(n, panel, nr, acts, as, nt, y, ldy);
        return;
    }
    qinfo q;
    qinfo_of(type, &q);
    qrun(&q, n, panel, nr, acts, as, nt, y, ldy);
}

const el_gemm el_gemm_avx512_ops = {panel_bytes, pack_w, act_bytes, pack_a, run};
#endif
