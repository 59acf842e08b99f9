/*
 * core/fp_rows.c - row conversions (see fp_rows.h).
 *
 * Layout: scalar references first, then the x86 F16C/AVX2 versions compiled
 * with target attributes (so one binary runs on any x86-64), then dispatch.
 */
#include "core/fp_rows.h"

#include <string.h>

#include "core/half.h"

/* ---- scalar ------------------------------------------------------------------------- */

void el_row_f16_to_f32_ref(const uint16_t *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = el_f16_to_f32(x[i]);
}

void el_row_f32_to_f16_ref(const float *x, uint16_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = el_f32_to_f16(x[i]);
}

void el_row_f32_to_bf16_ref(const float *x, uint16_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = el_f32_to_bf16(x[i]);
}

/* bf16 -> f32 is a 16-bit shift. */
static void bf16_to_f32_ref(const uint16_t *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = el_bits_f32((uint32_t)x[i] << 16);
}

/* ---- x86: F16C and AVX2 ---------------------------------------------------------------- */

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EL_X86 1

__attribute__((target("avx2"))) static void bf16_to_f32_avx2(const uint16_t *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_si256((__m256i *)(y + i), _mm256_slli_epi32(w, 16));
    }
    for (; i < n; i++)
        y[i] = el_bits_f32((uint32_t)x[i] << 16);
}

__attribute__((target("avx2,f16c"))) static void f16_to_f32_f16c(const uint16_t *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++)
        y[i] = el_f16_to_f32(x[i]);
}

__attribute__((target("avx2,f16c"))) static void f32_to_f16_f16c(const float *x, uint16_t *y, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++)
        y[i] = el_f32_to_f16(x[i]);
}

/* RNE to bfloat16 with NaNs kept quiet, 8 lanes at a time (same rule as el_f32_to_bf16). */
__attribute__((target("avx2"))) static void f32_to_bf16_avx2(const float *x, uint16_t *y, size_t n)
{
    size_t i = 0;
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1), quiet = _mm256_set1_epi32(64);
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_loadu_si256((const __m256i *)(x + i));
        __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, abs_mask), inf);
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
        __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(bias, lsb)), 16);
        __m256i nan = _mm256_or_si256(_mm256_srli_epi32(u, 16), quiet);
        __m256i r = _mm256_blendv_epi8(rounded, nan, is_nan);
        /* pack 8 x u32 (each < 65536) into 8 x u16 */
        __m128i lo = _mm256_castsi256_si128(r), hi = _mm256_extracti128_si256(r, 1);
        _mm_storeu_si128((__m128i *)(y + i), _mm_packus_epi32(lo, hi));
    }
    for (; i < n; i++)
        y[i] = el_f32_to_bf16(x[i]);
}
#endif

/* ---- dispatch ------------------------------------------------------------------------------ */

void el_row_bf16_to_f32(const uint16_t *x, float *y, size_t n)
{
#ifdef EL_X86
    if (__builtin_cpu_supports("avx2")) {
        bf16_to_f32_avx2(x, y, n);
        return;
    }
#endif
    bf16_to_f32_ref(x, y, n);
}

void el_row_f16_to_f32(const uint16_t *x, float *y, size_t n)
{
#ifdef EL_X86
    if (__builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx2")) {
        f16_to_f32_f16c(x, y, n);
        return;
    }
#endif
    el_row_f16_to_f32_ref(x, y, n);
}

void el_row_f32_to_f16(const float *x, uint16_t *y, size_t n)
{
#ifdef EL_X86
    if (__builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx2")) {
        f32_to_f16_f16c(x, y, n);
        return;
    }
#endif
    el_row_f32_to_f16_ref(x, y, n);
}

void el_row_f32_to_bf16(const float *x, uint16_t *y, size_t n)
{
#ifdef EL_X86
    if (__builtin_cpu_supports("avx2")) {
        f32_to_bf16_avx2(x, y, n);
        return;
    }
#endif
    el_row_f32_to_bf16_ref(x, y, n);
}
