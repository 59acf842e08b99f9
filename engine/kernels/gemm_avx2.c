/*
 * engine/kernels/gemm_avx2.c - matrix x matrix with AVX2 (see gemm.h): the panels of
 * gemm_avx512.c read as two 256-bit halves (rows 0-7, rows 8-15).
 *
 * Without VNNI the u8 x s8 products go through vpmaddubsw, whose int16 pair
 * sums saturate above 32767. The unsigned quants of 4-, 5- and 6-bit types
 * stay far below that; Q8_0 is packed with its signed quants (offset 0) and
 * multiplied as |q| x (a with q's sign), the sign trick of the decode
 * kernels. A tile is 16 rows x up to 4 (integer) or 6 (float) tokens.
 */
#include "engine/kernels/gemm.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "formats/ggml_type.h"

static inline __attribute__((always_inline)) void qtile(const int G, const int NT, const bool has_min, const bool sgn,
                                                         int64_t ng, const uint8_t *panel, const uint8_t *acts, size_t as,
                                                         const el_gemm_act_layout *L, int nr, float *y, size_t ldy)
{
    const size_t gb = (size_t)G * 16 + 128;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[4][2];
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
        acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (int64_t g = 0; g < ng; g++) {
        const uint8_t *pg = panel + (size_t)g * gb;
        const __m256 sc0 = _mm256_load_ps((const float *)(const void *)(pg + (size_t)G * 16));
        const __m256 sc1 = _mm256_load_ps((const float *)(const void *)(pg + (size_t)G * 16 + 32));
#pragma GCC unroll 4
        for (int t = 0; t < NT; t++) {
            const uint8_t *a = acts + (size_t)t * as;
            int32_t nos;
            float da;
            memcpy(&nos, a + L->nos + 4 * g, 4);
            memcpy(&da, a + L->da + 4 * g, 4);
            __m256i i0 = _mm256_set1_epi32(nos), i1 = i0;
            const uint8_t *qa = a + (size_t)g * (size_t)G;
#pragma GCC unroll 8
            for (int v = 0; v < G / 4; v++) {
                int32_t four;
                memcpy(&four, qa + 4 * v, 4);
                const __m256i bc = _mm256_set1_epi32(four);
                const __m256i w0 = _mm256_load_si256((const __m256i *)(const void *)(pg + 64 * v));
                const __m256i w1 = _mm256_load_si256((const __m256i *)(const void *)(pg + 64 * v + 32));
                __m256i p0, p1;
                if (sgn) {
                    p0 = _mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(bc, w0));
                    p1 = _mm256_maddubs_epi16(_mm256_sign_epi8(w1, w1), _mm256_sign_epi8(bc, w1));
                } else {
                    p0 = _mm256_maddubs_epi16(w0, bc);
                    p1 = _mm256_maddubs_epi16(w1, bc);
                }
                i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(p0, ones));
                i1 = _mm256_add_epi32(i1, _mm256_madd_epi16(p1, ones));
            }
            const __m256 vda = _mm256_set1_ps(da);
            acc[t][0] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(i0), sc0), vda, acc[t][0]);
            acc[t][1] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(i1), sc1), vda, acc[t][1]);
            if (has_min) {
                float das;
                memcpy(&das, a + L->das + 4 * g, 4);
                const __m256 vdas = _mm256_set1_ps(das);
                acc[t][0] = _mm256_fmadd_ps(_mm256_load_ps((const float *)(const void *)(pg + (size_t)G * 16 + 64)), vdas, acc[t][0]);
                acc[t][1] = _mm256_fmadd_ps(_mm256_load_ps((const float *)(const void *)(pg + (size_t)G * 16 + 96)), vdas, acc[t][1]);
            }
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++) {
        float out[16];
        _mm256_storeu_ps(out, acc[t][0]);
        _mm256_storeu_ps(out + 8, acc[t][1]);
        memcpy(y + (size_t)t * ldy, out, (size_t)nr * sizeof(float));
    }
}

#define QTILE_CASES(G, MIN, SGN)                                                                                  \
    switch (m) {                                                                                                  \
    case 4: qtile(G, 4, MIN, SGN, ng, panel, a, as, &L, nr, yt, ldy); break;                                     \
    case 3: qtile(G, 3, MIN, SGN, ng, panel, a, as, &L, nr, yt, ldy); break;                                     \
    case 2: qtile(G, 2, MIN, SGN, ng, panel, a, as, &L, nr, yt, ldy); break;                                     \
    default: qtile(G, 1, MIN, SGN, ng, panel, a, as, &L, nr, yt, ldy); break;                                    \
    }

static void qrun(uint32_t type, const el_gemm_qinfo *q, int64_t n, const uint8_t *panel, int nr, const uint8_t *acts,
                 size_t as, int nt, float *y, size_t ldy)
{
    const int64_t ng = n / q->group;
    const el_gemm_act_layout L = el_gemm_act_layout_of(q, n);
    for (int t0 = 0; t0 < nt; t0 += 4) {
        const int m = nt - t0 < 4 ? nt - t0 : 4;
        const uint8_t *a = acts + (size_t)t0 * as;
        float *yt = y + (size_t)t0 * ldy;
        if (type == EL_TYPE_Q8_0 || type == EL_TYPE_IQ4_NL || type == EL_TYPE_IQ4_XS) { /* packed signed */
            QTILE_CASES(32, false, true)
        } else if (q->group == 16) {
            QTILE_CASES(16, false, false)
        } else if (q->min) {
            QTILE_CASES(32, true, false)
        } else {
            QTILE_CASES(32, false, false)
        }
    }
}

static inline __attribute__((always_inline)) void ftile(const int NT, int64_t n, const float *panel, const uint8_t *acts,
                                                         size_t as, int nr, float *y, size_t ldy)
{
    __m256 acc[6][2];
#pragma GCC unroll 6
    for (int t = 0; t < NT; t++)
        acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (int64_t k = 0; k < n; k++) {
        const __m256 w0 = _mm256_load_ps(panel + 16 * k), w1 = _mm256_load_ps(panel + 16 * k + 8);
#pragma GCC unroll 6
        for (int t = 0; t < NT; t++) {
            const __m256 b = _mm256_broadcast_ss((const float *)(const void *)(acts + (size_t)t * as) + k);
            acc[t][0] = _mm256_fmadd_ps(w0, b, acc[t][0]);
            acc[t][1] = _mm256_fmadd_ps(w1, b, acc[t][1]);
        }
    }
#pragma GCC unroll 6
    for (int t = 0; t < NT; t++) {
        float out[16];
        _mm256_storeu_ps(out, acc[t][0]);
        _mm256_storeu_ps(out + 8, acc[t][1]);
        memcpy(y + (size_t)t * ldy, out, (size_t)nr * sizeof(float));
    }
}

static void frun(int64_t n, const float *panel, int nr, const uint8_t *acts, size_t as, int nt, float *y, size_t ldy)
{
    for (int t0 = 0; t0 < nt; t0 += 6) {
        const int m = nt - t0 < 6 ? nt - t0 : 6;
        const uint8_t *a = acts + (size_t)t0 * as;
        float *yt = y + (size_t)t0 * ldy;
        switch (m) {
        case 6: ftile(6, n, panel, a, as, nr, yt, ldy); break;
        case 5: ftile(5, n, panel, a, as, nr, yt, ldy); break;
        case 4: ftile(4, n, panel, a, as, nr, yt, ldy); break;
        case 3: ftile(3, n, panel, a, as, nr, yt, ldy); break;
        case 2: ftile(2, n, panel, a, as, nr, yt, ldy); break;
        default: ftile(1, n, panel, a, as, nr, yt, ldy); break;
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
    el_gemm_qinfo_of(type, true, &q);
    qrun(type, &q, n, panel, nr, acts, as, nt, y, ldy);
}

static void pack_w(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel)
{
    el_gemm_pack_w(type, n, w, stride, nr, panel, true);
}

static void pack_a(uint32_t type, int64_t n, const void *a, void *out) { el_gemm_pack_a(type, n, a, out, true); }

const el_gemm el_gemm_avx2_ops = {el_gemm_panel_bytes, pack_w, el_gemm_act_bytes, pack_a, run};
#endif
