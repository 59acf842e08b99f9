/*
 * engine/kernels/kernels_avx512.c - the x86 kernels (kernels_x86.inc) built for
 * AVX-512 F/BW/DQ/VL with VNNI and VBMI (Ice Lake, Sapphire Rapids, Zen 4 and
 * later), plus decode kernels written for 512-bit registers. The Makefile
 * compiles this file alone with those flags; kernels.c calls it only on a CPU
 * that has them.
 *
 * The decode kernels (gemv) read the weights as they lie in the file. Blocks
 * of 18, 22 or 34 bytes do not line up with vectors, so four (or two) blocks
 * are loaded as two 64-byte vectors and one vpermt2b gathers their quants
 * into one register, another vpermt2w their scales; the activations are
 * rewritten once per matrix product into the matching order (prep), with the
 * sums that undo the quants' offsets (q - 8 for Q4_0: u8 x s8 products on
 * q, then - 8 x sum(a)). Integer parts stay exact; see docs/engine.md.
 */
#include "engine/kernels/kernels.h"

#if defined(__x86_64__) && defined(__AVX512VNNI__) && defined(__AVX512VBMI__)
/* the decode kernels below replace the 256-bit ones in the table (kernels_x86.inc reads these names) */
static void avx512_gemv_q4_0(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y);
static void avx512_gemv_q5_0(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y);
static void avx512_gemv_q8_0(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y);
static void avx512_gemv_q4_K(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y);
static void avx512_gemv_q5_K(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y);
static void avx512_gemv_q6_K(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y);
static void prep_g4(int64_t n, const void *a, void *out);
static void prep_p2(int64_t n, const void *a, void *out);
static void prep_k4(int64_t n, const void *a, void *out);
static void avx512_gemv_f16(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y);
static void prep_f16(int64_t n, const void *a, void *out);
#define GEMV_F16 avx512_gemv_f16
#define PREP_F16 prep_f16
#define GEMV_Q4_0 avx512_gemv_q4_0
#define PREP_Q4_0 prep_g4
#define GEMV_Q5_0 avx512_gemv_q5_0
#define PREP_Q5_0 prep_g4
#define GEMV_Q8_0 avx512_gemv_q8_0
#define PREP_Q8_0 prep_p2
#define GEMV_Q4_K avx512_gemv_q4_K
#define PREP_Q4_K prep_k4
#define GEMV_Q5_K avx512_gemv_q5_K
#define PREP_Q5_K prep_k4
#define GEMV_Q6_K avx512_gemv_q6_K
#define X86_GEMM (&el_gemm_avx512_ops)
#include "engine/kernels/kernels_x86.inc"

#include "core/half.h"

static const uint8_t idx_q4_0[64] __attribute__((aligned(64))) = {
    2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
    20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
    38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,
    56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,
};
static const uint16_t idxd_q4_0[32] __attribute__((aligned(64))) = {
    0, 0, 0, 0, 9, 9, 9, 9, 18, 18, 18, 18, 27, 27, 27, 27,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const uint8_t idx_q5_0[64] __attribute__((aligned(64))) = {
    6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
    50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
    72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87,
};
static const uint16_t idxd_q5_0[32] __attribute__((aligned(64))) = {
    0, 0, 0, 0, 11, 11, 11, 11, 22, 22, 22, 22, 33, 33, 33, 33,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const uint16_t idxh_q5_0[32] __attribute__((aligned(64))) = {
    1, 12, 23, 34, 2, 13, 24, 35, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const uint8_t idx_q8_0[64] __attribute__((aligned(64))) = {
    2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
    18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
    36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67,
};
static const uint16_t idxd_q8_0[32] __attribute__((aligned(64))) = {
    0, 0, 0, 0, 0, 0, 0, 0, 17, 17, 17, 17, 17, 17, 17, 17,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static inline __mmask64 first_bytes(int64_t n) { return n >= 64 ? ~(__mmask64)0 : n <= 0 ? 0 : (((__mmask64)1 << n) - 1); }

#define PREFETCH_ROW(wr, stride)                                                                             \
    for (size_t o_ = 0; o_ < (stride); o_ += 64)                                                             \
    _mm_prefetch((const char *)(wr) + EL_PREFETCH_AHEAD + o_, _MM_HINT_T0)

/* ---- Q4_0, Q5_0: four blocks at a time ------------------------------------------------------------------- */

/* One group of four activation blocks: lane i of the dot products covers bytes 4i..4i+3 of yl and yh
 * (block i/4); ns[i] is minus the sum of those 8 activations, da[i] that block's scale. */
typedef struct {
    int8_t yl[64], yh[64];
    int32_t ns[16];
    float da[16];
} g4_t;

static void prep_g4(int64_t n, const void *a, void *out)
{
    const block_q8_0 *y = a;
    g4_t *g = out;
    const int64_t nb = n / QK8_0;
    for (int64_t gi = 0; gi < (nb + 3) / 4; gi++) {
        g4_t *o = &g[gi];
        memset(o, 0, sizeof *o);
        for (int b = 0; b < 4 && 4 * gi + b < nb; b++) {
            const block_q8_0 *yb = &y[4 * gi + b];
            memcpy(o->yl + 16 * b, yb->qs, 16);
            memcpy(o->yh + 16 * b, yb->qs + 16, 16);
            const float d = el_f16_to_f32(yb->d);
            for (int i = 4 * b; i < 4 * b + 4; i++) {
                int s = 0;
                for (int l = 0; l < 4; l++)
                    s += o->yl[4 * i + l] + o->yh[4 * i + l];
                o->ns[i] = -s;
                o->da[i] = d;
            }
        }
    }
}

static inline __m512 g4_finish(__m512i lo, __m512i hi, __m512 dw, const g4_t *g, int shift, __m512 acc)
{
    __m512i s = _mm512_slli_epi32(_mm512_load_si512(g->ns), (unsigned)shift); /* -offset x sum(a) */
    s = _mm512_dpbusd_epi32(s, lo, _mm512_load_si512(g->yl));
    s = _mm512_dpbusd_epi32(s, hi, _mm512_load_si512(g->yh));
    return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_load_ps(g->da)), dw, acc);
}

static inline __m512 q4_0_group(const uint8_t *p, int64_t bytes, const g4_t *g, __m512 acc)
{
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i z0 = _mm512_maskz_loadu_epi8(first_bytes(bytes), p);
    const __m512i z1 = _mm512_maskz_loadu_epi8(first_bytes(bytes - 64), p + 64);
    const __m512i q = _mm512_permutex2var_epi8(z0, _mm512_load_si512(idx_q4_0), z1);
    const __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutex2var_epi16(z0, _mm512_load_si512(idxd_q4_0), z1)));
    return g4_finish(_mm512_and_si512(q, m4), _mm512_and_si512(_mm512_srli_epi16(q, 4), m4), dw, g, 3, acc);
}

static inline __m512 q5_0_group(const uint8_t *p, int64_t bytes, const g4_t *g, __m512 acc)
{
    const __m512i m4 = _mm512_set1_epi8(0x0F), b4 = _mm512_set1_epi8(0x10);
    const __m512i z0 = _mm512_maskz_loadu_epi8(first_bytes(bytes), p);
    const __m512i z1 = _mm512_maskz_loadu_epi8(first_bytes(bytes - 64), p + 64);
    const __m512i q = _mm512_permutex2var_epi8(z0, _mm512_load_si512(idx_q5_0), z1);
    const __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutex2var_epi16(z0, _mm512_load_si512(idxd_q5_0), z1)));
    /* the fifth bits: words 0-3 the low halves of the four qh, 4-7 the high halves -> byte masks */
    const __m128i h = _mm512_castsi512_si128(_mm512_permutex2var_epi16(z0, _mm512_load_si512(idxh_q5_0), z1));
    const __mmask64 kl = _cvtu64_mask64((uint64_t)_mm_cvtsi128_si64(h)), kh = _cvtu64_mask64((uint64_t)_mm_extract_epi64(h, 1));
    __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
    lo = _mm512_mask_add_epi8(lo, kl, lo, b4);
    hi = _mm512_mask_add_epi8(hi, kh, hi, b4);
    return g4_finish(lo, hi, dw, g, 4, acc);
}

#define G4_GEMV(T, BLOCK)                                                                                    \
    static void avx512_gemv_##T(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y) \
    {                                                                                                        \
        const g4_t *g = a;                                                                                   \
        const int64_t nb = n / 32, ng = (nb + 3) / 4;                                                        \
        for (int64_t r = 0; r < nr; r++) {                                                                   \
            const uint8_t *wr = w + (size_t)r * stride;                                                      \
            PREFETCH_ROW(wr, stride);                                                                        \
            __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();                                   \
            int64_t gi = 0;                                                                                  \
            for (; gi + 2 <= nb / 4; gi += 2) {                                                              \
                acc0 = T##_group(wr + (size_t)gi * 4 * BLOCK, 4 * BLOCK, &g[gi], acc0);                      \
                acc1 = T##_group(wr + (size_t)(gi + 1) * 4 * BLOCK, 4 * BLOCK, &g[gi + 1], acc1);            \
            }                                                                                                \
            for (; gi < ng; gi++)                                                                            \
                acc0 = T##_group(wr + (size_t)gi * 4 * BLOCK, (nb - 4 * gi < 4 ? nb - 4 * gi : 4) * BLOCK, &g[gi], acc0); \
            y[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));                                          \
        }                                                                                                    \
    }
G4_GEMV(q4_0, 18)
G4_GEMV(q5_0, 22)

/* ---- Q8_0: two blocks at a time --------------------------------------------------------------------------- */

/* Two activation blocks; lane i of the products covers bytes 4i..4i+3; ns[i] = -128 x their sum
 * (the weights enter as q + 128, unsigned). */
typedef struct {
    int8_t y[64];
    int32_t ns[16];
    float da[16];
} p2_t;

static void prep_p2(int64_t n, const void *a, void *out)
{
    const block_q8_0 *y = a;
    p2_t *p = out;
    const int64_t nb = n / QK8_0;
    for (int64_t i = 0; i < (nb + 1) / 2; i++) {
        memset(&p[i], 0, sizeof p[i]);
        for (int b = 0; b < 2 && 2 * i + b < nb; b++) {
            memcpy(p[i].y + 32 * b, y[2 * i + b].qs, 32);
            for (int l = 0; l < 8; l++)
                p[i].da[8 * b + l] = el_f16_to_f32(y[2 * i + b].d);
        }
        for (int l = 0; l < 16; l++)
            p[i].ns[l] = -128 * (p[i].y[4 * l] + p[i].y[4 * l + 1] + p[i].y[4 * l + 2] + p[i].y[4 * l + 3]);
    }
}

static inline __m512 q8_0_pair(const uint8_t *p, int64_t bytes, const p2_t *a, __m512 acc)
{
    const __m512i z0 = _mm512_maskz_loadu_epi8(first_bytes(bytes), p);
    const __m512i z1 = _mm512_maskz_loadu_epi8(first_bytes(bytes - 64), p + 64);
    const __m512i q = _mm512_permutex2var_epi8(z0, _mm512_load_si512(idx_q8_0), z1);
    const __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutex2var_epi16(z0, _mm512_load_si512(idxd_q8_0), z1)));
    /* (q + 128) x a, minus 128 x sum(a) from the prep */
    const __m512i u = _mm512_xor_si512(q, _mm512_set1_epi8((char)0x80));
    const __m512i s = _mm512_dpbusd_epi32(_mm512_load_si512(a->ns), u, _mm512_load_si512(a->y));
    return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_load_ps(a->da)), dw, acc);
}

static void avx512_gemv_q8_0(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y)
{
    const p2_t *p = a;
    const int64_t nb = n / 32, np = (nb + 1) / 2;
    for (int64_t r = 0; r < nr; r++) {
        const uint8_t *wr = w + (size_t)r * stride;
        PREFETCH_ROW(wr, stride);
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 2 <= nb / 2; i += 2) {
            acc0 = q8_0_pair(wr + (size_t)i * 68, 68, &p[i], acc0);
            acc1 = q8_0_pair(wr + (size_t)(i + 1) * 68, 68, &p[i + 1], acc1);
        }
        for (; i < np; i++)
            acc0 = q8_0_pair(wr + (size_t)i * 68, (nb - 2 * i < 2 ? nb - 2 * i : 2) * 34, &p[i], acc0);
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    }
}

/* ---- Q4_K, Q5_K ------------------------------------------------------------------------------------------- */

/* One Q8_K super-block in the order of the weights' nibbles: a 64-byte vector of quants holds
 * sub-blocks 2j (low nibbles, bytes 0-31) and 2j+2 (bytes 32-63); bs: sums per 32. */
typedef struct {
    int8_t ya0[64], yb0[64], ya1[64], yb1[64];
    int16_t bs[8];
    float d;
    int32_t pad[11];
} k4_t;

static void prep_k4(int64_t n, const void *a, void *out)
{
    const block_q8_K *y = a;
    k4_t *o = out;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const int8_t *q = y[i].qs;
        memcpy(o[i].ya0, q, 32);
        memcpy(o[i].ya0 + 32, q + 64, 32);
        memcpy(o[i].yb0, q + 32, 32);
        memcpy(o[i].yb0 + 32, q + 96, 32);
        memcpy(o[i].ya1, q + 128, 32);
        memcpy(o[i].ya1 + 32, q + 192, 32);
        memcpy(o[i].yb1, q + 160, 32);
        memcpy(o[i].yb1 + 32, q + 224, 32);
        for (int j = 0; j < 8; j++)
            o[i].bs[j] = (int16_t)(y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
        o[i].d = y[i].d;
        memset(o[i].pad, 0, sizeof o[i].pad);
    }
}

/* The 6-bit scales and mins of a Q4_K/Q5_K super-block as 8 bytes each (el_k4_scale_min, 4 at a time). */
static inline void k4_scales(const uint8_t *s, uint64_t *sc, uint64_t *mn)
{
    uint32_t u0, u1, u2;
    memcpy(&u0, s, 4);
    memcpy(&u1, s + 4, 4);
    memcpy(&u2, s + 8, 4);
    const uint32_t sc_lo = u0 & 0x3f3f3f3fu, mn_lo = u1 & 0x3f3f3f3fu;
    const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4);
    const uint32_t mn_hi = ((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4);
    *sc = sc_lo | (uint64_t)sc_hi << 32;
    *mn = mn_lo | (uint64_t)mn_hi << 32;
}

/* sum over the 8 sub-blocks of scale x (sum of 32 quants): lanes 0-7 sub-block s0, 8-15 sub-block s1 */
static inline __m512 k4_lane_scales(__m512 scf, int s0, int s1)
{
    const __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(s0)), _mm256_set1_epi32(s1), 1);
    return _mm512_permutexvar_ps(idx, scf);
}

/* One super-block's contribution, added to 16 lanes (summed once per row). */
static inline __m512 k4_block(const uint8_t *qs, const uint8_t *qh, const uint8_t *scales, uint16_t dw, uint16_t dminw,
                              const k4_t *a, __m512 acc)
{
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    uint64_t sc, mn;
    k4_scales(scales, &sc, &mn);
    const float d = a->d * el_f16_to_f32(dw), dmin = a->d * el_f16_to_f32(dminw);
    const __m512 scf = _mm512_castps256_ps512(
        _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)sc))), _mm256_set1_ps(d)));
    /* the minimums: - dmin x m_j x (sum of sub-block j's activations), in lanes 0-7 */
    const __m256 mins = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)mn))),
                                      _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)a->bs))));
    acc = _mm512_fnmadd_ps(_mm512_zextps256_ps512(mins), _mm512_set1_ps(dmin), acc);
    const __m512i q0 = _mm512_loadu_si512(qs), q1 = _mm512_loadu_si512(qs + 64);
    __m512i lo0 = _mm512_and_si512(q0, m4), hi0 = _mm512_and_si512(_mm512_srli_epi16(q0, 4), m4);
    __m512i lo1 = _mm512_and_si512(q1, m4), hi1 = _mm512_and_si512(_mm512_srli_epi16(q1, 4), m4);
    if (qh) { /* Q5_K: bit 2j of qh[l] is the fifth bit of sub-block 2j's element l, bit 2j+1 of 2j+1's */
        const __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(const void *)qh));
        const __m512i b4 = _mm512_set1_epi8(0x10);
#define K5_BITS(b0, b1) _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi8(b0)), _mm256_set1_epi8(b1), 1)
        lo0 = _mm512_mask_add_epi8(lo0, _mm512_test_epi8_mask(h, K5_BITS(0x01, 0x04)), lo0, b4);
        hi0 = _mm512_mask_add_epi8(hi0, _mm512_test_epi8_mask(h, K5_BITS(0x02, 0x08)), hi0, b4);
        lo1 = _mm512_mask_add_epi8(lo1, _mm512_test_epi8_mask(h, K5_BITS(0x10, 0x40)), lo1, b4);
        hi1 = _mm512_mask_add_epi8(hi1, _mm512_test_epi8_mask(h, K5_BITS(0x20, (char)0x80)), hi1, b4);
#undef K5_BITS
    }
    const __m512i z = _mm512_setzero_si512();
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(z, lo0, _mm512_load_si512(a->ya0))), k4_lane_scales(scf, 0, 2), acc);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(z, hi0, _mm512_load_si512(a->yb0))), k4_lane_scales(scf, 1, 3), acc);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(z, lo1, _mm512_load_si512(a->ya1))), k4_lane_scales(scf, 4, 6), acc);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(z, hi1, _mm512_load_si512(a->yb1))), k4_lane_scales(scf, 5, 7), acc);
}

static void avx512_gemv_q4_K(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y)
{
    const k4_t *p = a;
    for (int64_t r = 0; r < nr; r++) {
        const block_q4_K *x = (const block_q4_K *)(const void *)(w + (size_t)r * stride);
        PREFETCH_ROW(x, stride);
        __m512 acc = _mm512_setzero_ps();
        for (int64_t i = 0; i < n / QK_K; i++)
            acc = k4_block(x[i].qs, NULL, x[i].scales, x[i].d, x[i].dmin, &p[i], acc);
        y[r] = _mm512_reduce_add_ps(acc);
    }
}

static void avx512_gemv_q5_K(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y)
{
    const k4_t *p = a;
    for (int64_t r = 0; r < nr; r++) {
        const block_q5_K *x = (const block_q5_K *)(const void *)(w + (size_t)r * stride);
        PREFETCH_ROW(x, stride);
        __m512 acc = _mm512_setzero_ps();
        for (int64_t i = 0; i < n / QK_K; i++)
            acc = k4_block(x[i].qs, x[i].qh, x[i].scales, x[i].d, x[i].dmin, &p[i], acc);
        y[r] = _mm512_reduce_add_ps(acc);
    }
}

/* ---- Q6_K (reads Q8_K blocks as they are) ----------------------------------------------------------------- */

static inline __m512 q6_K_block(const block_q6_K *x, const block_q8_K *a, __m512 acc)
{
    const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
    /* scales as int16, and minus 32 x sum(scale x activation sums) for the quants' offset */
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)x->scales));
    const __m256i corr = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *)(const void *)a->bsums));
    __m512i sum = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_castsi256_si512(_mm256_slli_epi32(corr, 5)));
    sum = _mm512_inserti64x4(sum, _mm256_setzero_si256(), 1); /* the cast leaves the upper half undefined */
    const __m512i scz = _mm512_castsi256_si512(sc16);
    const __m512i sh01 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(0)), _mm256_set1_epi16(2), 1);
    const __m512i sh23 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(4)), _mm256_set1_epi16(6), 1);
    for (int h = 0; h < 2; h++) {
        const __m512i ql = _mm512_loadu_si512(x->ql + 64 * h);
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(const void *)(x->qh + 32 * h)));
        /* e01: elements 128h + 0..63 (low nibbles, high bits 0-1 then 2-3); e23: 128h + 64..127 */
        const __m512i e01 = _mm512_ternarylogic_epi32(_mm512_and_si512(ql, m4), _mm512_slli_epi16(_mm512_srlv_epi16(qh, sh01), 4), m30, 0xF8);
        const __m512i e23 = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                                      _mm512_slli_epi16(_mm512_srlv_epi16(qh, sh23), 4), m30, 0xF8);
        /* int16 lane k of a product covers elements 2k, 2k+1: scale index 8h + k/8 (+ 4 for e23) */
        const __m512i i01 = _mm512_add_epi16(_mm512_srli_epi16(_mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), 3), _mm512_set1_epi16((short)(8 * h)));
        const __m512i s01 = _mm512_permutexvar_epi16(i01, scz);
        const __m512i s23 = _mm512_permutexvar_epi16(_mm512_add_epi16(i01, _mm512_set1_epi16(4)), scz);
        const __m512i p01 = _mm512_maddubs_epi16(e01, _mm512_loadu_si512(a->qs + 128 * h));
        const __m512i p23 = _mm512_maddubs_epi16(e23, _mm512_loadu_si512(a->qs + 128 * h + 64));
        sum = _mm512_add_epi32(sum, _mm512_madd_epi16(p01, s01));
        sum = _mm512_add_epi32(sum, _mm512_madd_epi16(p23, s23));
    }
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(a->d * el_f16_to_f32(x->d)), acc);
}

static void avx512_gemv_q6_K(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y)
{
    const block_q8_K *p = a;
    for (int64_t r = 0; r < nr; r++) {
        const block_q6_K *x = (const block_q6_K *)(const void *)(w + (size_t)r * stride);
        PREFETCH_ROW(x, stride);
        __m512 acc = _mm512_setzero_ps();
        for (int64_t i = 0; i < n / QK_K; i++)
            acc = q6_K_block(&x[i], &p[i], acc);
        y[r] = _mm512_reduce_add_ps(acc);
    }
}

/* ---- F16: the activation row converted to f32 once (exact: it was rounded to f16) ---------------------- */

static void prep_f16(int64_t n, const void *a, void *out)
{
    const uint16_t *h = a;
    float *f = out;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_store_ps(f + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(h + i))));
    for (; i < n; i++)
        f[i] = el_f16_to_f32(h[i]);
}

static void avx512_gemv_f16(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y)
{
    const float *x = a;
    for (int64_t r = 0; r < nr; r++) {
        const uint16_t *wr = (const uint16_t *)(const void *)(w + (size_t)r * stride);
        PREFETCH_ROW(wr, stride);
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 32 <= n; i += 32) {
            s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(wr + i))), _mm512_load_ps(x + i), s0);
            s1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(wr + i + 16))), _mm512_load_ps(x + i + 16), s1);
        }
        for (; i < n; i += 16) {
            const __mmask16 m = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
            s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, wr + i)), _mm512_maskz_loadu_ps(m, x + i), s0);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    }
}

/* ---- the table ------------------------------------------------------------------------------------------- */

static const el_kernels table = X86_KERNELS("avx512");

const el_kernels *el_kernels_avx512_table(void) { return &table; }
#else
const el_kernels *el_kernels_avx512_table(void) { return NULL; }
#endif
