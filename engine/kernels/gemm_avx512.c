/*
 * engine/kernels/gemm_avx512.c - matrix x matrix with AVX-512 VNNI (see gemm.h).
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
#include "engine/kernels/gemm.h"

#if defined(__x86_64__) && defined(__AVX512VNNI__)
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "formats/ggml_type.h"

/* One tile: 16 rows x NT tokens over all groups. */
static inline __attribute__((always_inline)) void qtile(const int G, const int NT, const bool has_min, int64_t ng,
                                                         const uint8_t *panel, const uint8_t *acts, size_t as,
                                                         const el_gemm_act_layout *L, __mmask16 rows, float *y, size_t ldy)
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

static void qrun(const el_gemm_qinfo *q, int64_t n, const uint8_t *panel, int nr, const uint8_t *acts, size_t as, int nt,
                 float *y, size_t ldy)
{
    const int64_t ng = n / q->group;
    const el_gemm_act_layout L = el_gemm_act_layout_of(q, n);
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
    if (el_gemm_is_float(type)) {
        frun(n, panel, nr, acts, as, nt, y, ldy);
        return;
    }
    el_gemm_qinfo q;
    el_gemm_qinfo_of(type, false, &q);
    qrun(&q, n, panel, nr, acts, as, nt, y, ldy);
}

/* F16 panels: 16 rows x 16 elements converted, then transposed through the cache */
static void pack_w(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel)
{
    uint8_t *out = panel;
if (type == EL_TYPE_F16) {
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
    el_gemm_pack_w(type, n, w, stride, nr, panel, false);
}

static void pack_a(uint32_t type, int64_t n, const void *a, void *out) { el_gemm_pack_a(type, n, a, out, false); }

const el_gemm el_gemm_avx512_ops = {el_gemm_panel_bytes, pack_w, el_gemm_act_bytes, pack_a, run};
#endif
