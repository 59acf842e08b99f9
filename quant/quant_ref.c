/*
 * quant/quant_ref.c - scalar reference (de)quantization for every block type.
 *
 * Dequantization follows the formats' definitions (quant/blocks.h), so any
 * ggml file reads back exactly. The quantizers here are the plain ones: a
 * scale from the block's range, values rounded to the nearest level. They
 * write valid, ggml-loadable blocks; `edgelm quantize` adds the
 * error-minimising scale search and importance weighting on top.
 *
 * Rounding is roundf (half away from zero) throughout, so files are the same
 * on every machine.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/half.h"
#include "core/util.h"
#include "quant/quant_ref.h"

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* roundf (half away from zero) without the libm call baseline x86-64 makes: x - trunc(x) is exact,
 * so this is the same value for every |x| < 2^31 (the quantizers' values are a few hundred at most) */
static inline float round_away(float x)
{
    if (!(fabsf(x) < 2147483520.0f))
        return x;
    const int i = (int)x;
    const float f = x - (float)i;
    return (float)(i + (f >= 0.5f) - (f <= -0.5f));
}


/* ---- 32-element blocks ---------------------------------------------------------------------------- */

/* The element of largest magnitude (the first, on a tie), with its sign: the plain symmetric scale's anchor. */
static float signed_extreme(const float *x, int n)
{
    float amax = 0, max = 0;
    for (int j = 0; j < n; j++)
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    return max;
}

/* Levels of a 32-element block: low nibbles of 0..15 in qs[0..16) (element j low, j + 16 high), and for
 * the 5-bit types bit 4 of element j as bit j of qh (a little-endian u32). */
void el_pack_nibbles(uint8_t *qs, const uint8_t *L)
{
    for (int j = 0; j < 16; j++)
        qs[j] = (uint8_t)((L[j] & 0xF) | ((L[j + 16] & 0xF) << 4));
}

void el_pack_fifth_bits(uint8_t *qh, const uint8_t *L)
{
    uint32_t h = 0;
    for (int j = 0; j < 32; j++)
        h |= (uint32_t)((L[j] >> 4) & 1) << j;
    memcpy(qh, &h, 4);
}

/* The inverse: the 32 levels from qs (and qh for the 5-bit types, NULL for the 4-bit ones). */
static void unpack_levels(const uint8_t *qs, const uint8_t *qh, uint8_t *L)
{
    uint32_t h = 0;
    if (qh)
        memcpy(&h, qh, 4);
    for (int j = 0; j < 16; j++) {
        L[j] = (uint8_t)((qs[j] & 0xF) | (((h >> j) & 1) << 4));
        L[j + 16] = (uint8_t)((qs[j] >> 4) | (((h >> (j + 16)) & 1) << 4));
    }
}

/* Scale from the signed extreme: the largest magnitude maps to -nmax, the full [-nmax, nmax-1] range is used.
 * The 32 levels into L (offset by nmax, so 0..2*nmax-1); the scale. */
static float symmetric_levels(const float *x, int nmax, uint8_t *L)
{
    const float d = signed_extreme(x, 32) / -(float)nmax, id = d ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++)
        L[j] = (uint8_t)clampi((int)round_away(x[j] * id) + nmax, 0, 2 * nmax - 1);
    return d;
}

void quantize_row_q4_0_ref(const float *x, block_q4_0 *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK4_0; i++, x += QK4_0) {
        uint8_t L[QK4_0];
        y[i].d = el_f32_to_f16(symmetric_levels(x, 8, L));
        el_pack_nibbles(y[i].qs, L);
    }
}

void dequantize_row_q4_0(const block_q4_0 *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK4_0; i++, y += QK4_0) {
        const float d = el_f16_to_f32(x[i].d);
        uint8_t L[QK4_0];
        unpack_levels(x[i].qs, NULL, L);
        for (int j = 0; j < QK4_0; j++)
            y[j] = d * (L[j] - 8);
    }
}

/* The smallest and largest of x[0..n): the plain affine range. */
static void min_max(const float *x, int n, float *mn, float *mx)
{
    *mn = FLT_MAX;
    *mx = -FLT_MAX;
    for (int j = 0; j < n; j++) {
        if (x[j] < *mn)
            *mn = x[j];
        if (x[j] > *mx)
            *mx = x[j];
    }
}

/* The 32 levels 0..top of the affine range [min, max] into L; the scale, and the minimum in *mn. */
static float affine_levels(const float *x, int top, uint8_t *L, float *mn)
{
    float mx;
    min_max(x, 32, mn, &mx);
    const float d = (mx - *mn) / (float)top, id = d ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++)
        L[j] = (uint8_t)clampi((int)round_away((x[j] - *mn) * id), 0, top);
    return d;
}

void quantize_row_q4_1_ref(const float *x, block_q4_1 *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK4_1; i++, x += QK4_1) {
        uint8_t L[QK4_1];
        float mn;
        y[i].d = el_f32_to_f16(affine_levels(x, 15, L, &mn));
        y[i].m = el_f32_to_f16(mn);
        el_pack_nibbles(y[i].qs, L);
    }
}

void dequantize_row_q4_1(const block_q4_1 *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK4_1; i++, y += QK4_1) {
        const float d = el_f16_to_f32(x[i].d), m = el_f16_to_f32(x[i].m);
        uint8_t L[QK4_1];
        unpack_levels(x[i].qs, NULL, L);
        for (int j = 0; j < QK4_1; j++)
            y[j] = d * L[j] + m;
    }
}

void quantize_row_q5_0_ref(const float *x, block_q5_0 *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK5_0; i++, x += QK5_0) {
        uint8_t L[QK5_0];
        y[i].d = el_f32_to_f16(symmetric_levels(x, 16, L));
        el_pack_nibbles(y[i].qs, L);
        el_pack_fifth_bits(y[i].qh, L);
    }
}

void dequantize_row_q5_0(const block_q5_0 *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK5_0; i++, y += QK5_0) {
        const float d = el_f16_to_f32(x[i].d);
        uint8_t L[QK5_0];
        unpack_levels(x[i].qs, x[i].qh, L);
        for (int j = 0; j < QK5_0; j++)
            y[j] = d * (L[j] - 16);
    }
}

void quantize_row_q5_1_ref(const float *x, block_q5_1 *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK5_1; i++, x += QK5_1) {
        uint8_t L[QK5_1];
        float mn;
        y[i].d = el_f32_to_f16(affine_levels(x, 31, L, &mn));
        y[i].m = el_f32_to_f16(mn);
        el_pack_nibbles(y[i].qs, L);
        el_pack_fifth_bits(y[i].qh, L);
    }
}

void dequantize_row_q5_1(const block_q5_1 *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK5_1; i++, y += QK5_1) {
        const float d = el_f16_to_f32(x[i].d), m = el_f16_to_f32(x[i].m);
        uint8_t L[QK5_1];
        unpack_levels(x[i].qs, x[i].qh, L);
        for (int j = 0; j < QK5_1; j++)
            y[j] = d * L[j] + m;
    }
}

void quantize_row_q8_0_ref(const float *x, block_q8_0 *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++)
            amax = fabsf(x[j]) > amax ? fabsf(x[j]) : amax;
        const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
        y[i].d = el_f32_to_f16(d);
        for (int j = 0; j < QK8_0; j++)
            y[i].qs[j] = (int8_t)round_away(x[j] * id);
    }
}

void dequantize_row_q8_0(const block_q8_0 *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK8_0; i++, y += QK8_0) {
        const float d = el_f16_to_f32(x[i].d);
        for (int j = 0; j < QK8_0; j++)
            y[j] = d * x[i].qs[j];
    }
}

void quantize_row_q8_1_ref(const float *x, block_q8_1 *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK8_1; i++, x += QK8_1) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_1; j++)
            amax = fabsf(x[j]) > amax ? fabsf(x[j]) : amax;
        const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) {
            y[i].qs[j] = (int8_t)round_away(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].d = el_f32_to_f16(d);
        y[i].s = el_f32_to_f16(d * (float)sum);
    }
}

void dequantize_row_q8_1(const block_q8_1 *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK8_1; i++, y += QK8_1) {
        const float d = el_f16_to_f32(x[i].d);
        for (int j = 0; j < QK8_1; j++)
            y[j] = d * x[i].qs[j];
    }
}

/* ---- packing levels into the K-quant layouts (shared with quant/search.c) -------------------------------- */

void el_q4_K_pack_qs(block_q4_K *y, const uint8_t *L)
{
    for (int j = 0; j < QK_K; j += 64)
        for (int l = 0; l < 32; l++)
            y->qs[j / 2 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
}

void el_q5_K_pack_qs(block_q5_K *y, const uint8_t *L)
{
    memset(y->qh, 0, sizeof y->qh);
    uint8_t m1 = 1, m2 = 2;
    for (int j = 0; j < QK_K; j += 64, m1 <<= 2, m2 <<= 2)
        for (int l = 0; l < 32; l++) {
            int a = L[j + l], b = L[j + l + 32];
            if (a > 15)
                y->qh[l] |= m1;
            if (b > 15)
                y->qh[l] |= m2;
            y->qs[j / 2 + l] = (uint8_t)((a & 0xF) | ((b & 0xF) << 4));
        }
}

/* 128 at a time, four runs of 32 (ql low/high nibbles, qh 2-bit fields) */
void el_q6_K_pack_qs(block_q6_K *y, const int8_t *L)
{
    for (int h = 0; h < 2; h++) {
        uint8_t *ql = y->ql + 64 * h, *qh = y->qh + 32 * h;
        const int8_t *Lh = L + 128 * h;
        for (int l = 0; l < 32; l++) {
            int q1 = Lh[l] + 32, q2 = Lh[l + 32] + 32, q3 = Lh[l + 64] + 32, q4 = Lh[l + 96] + 32;
            ql[l] = (uint8_t)((q1 & 0xF) | ((q3 & 0xF) << 4));
            ql[l + 32] = (uint8_t)((q2 & 0xF) | ((q4 & 0xF) << 4));
            qh[l] = (uint8_t)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
        }
    }
}

/* Element e of a Q2_K/Q3_K super-block: 2 bits at bit 2 * ((e % 128) / 32) of qs[32 * (e / 128) + e % 32]. */
void el_q2_K_pack_qs(uint8_t *qs, const uint8_t *L)
{
    memset(qs, 0, QK_K / 4);
    for (int e = 0; e < QK_K; e++)
        qs[32 * (e / 128) + e % 32] |= (uint8_t)((L[e] & 3) << (2 * ((e % 128) / 32)));
}

/* Q3_K: L in [-4, 3]; L + 4 has its low 2 bits in qs, bit 2 in hmask (bit (e / 32) of hmask[e % 32]). */
void el_q3_K_pack(block_q3_K *y, const int8_t *L, const int8_t *scales)
{
    uint8_t u[QK_K];
    for (int e = 0; e < QK_K; e++)
        u[e] = (uint8_t)(L[e] + 4);
    el_q2_K_pack_qs(y->qs, u);
    memset(y->hmask, 0, sizeof y->hmask);
    for (int e = 0; e < QK_K; e++)
        if (u[e] & 4)
            y->hmask[e % 32] |= (uint8_t)(1 << (e / 32));
    memset(y->scales, 0, sizeof y->scales);
    for (int j = 0; j < 16; j++) {
        const int v = scales[j] + 32;
        y->scales[j % 8] |= (uint8_t)((v & 0xF) << (j < 8 ? 0 : 4));
        y->scales[8 + j % 4] |= (uint8_t)((v >> 4) << (2 * (j / 4)));
    }
}

/* ---- 256-element super-blocks ---------------------------------------------------------------------- */

void dequantize_row_q2_K(const block_q2_K *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = el_f16_to_f32(x[i].d), dmin = el_f16_to_f32(x[i].dmin);
        const uint8_t *q = x[i].qs;
        int is = 0;
        for (int half = 0; half < 2; half++, q += 32)
            for (int shift = 0; shift < 8; shift += 2)
                for (int part = 0; part < 2; part++) {
                    uint8_t sc = x[i].scales[is++];
                    const float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
                    for (int l = 0; l < 16; l++)
                        *y++ = dl * ((q[l + 16 * part] >> shift) & 3) - ml;
                }
    }
}

/* The 16 signed 6-bit scales of a Q3_K block: low 4 bits in bytes 0-7 (two per byte), high 2 in bytes 8-11. */
int el_q3_K_scale(const uint8_t *s, int j)
{
    int low = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
    int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (low | (high << 4)) - 32;
}

void dequantize_row_q3_K(const block_q3_K *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = el_f16_to_f32(x[i].d);
        const uint8_t *q = x[i].qs, *hm = x[i].hmask;
        uint8_t m = 1;
        int is = 0;
        for (int half = 0; half < 2; half++, q += 32)
            for (int shift = 0; shift < 8; shift += 2, m <<= 1)
                for (int part = 0; part < 2; part++) {
                    const float dl = d * (float)el_q3_K_scale(x[i].scales, is++);
                    for (int l = 16 * part; l < 16 * part + 16; l++)
                        *y++ = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
                }
    }
}

/* Pack eight 6-bit scales and mins the Q4_K/Q5_K way (inverse of el_k4_scale_min). */
void el_k4_pack(uint8_t *s, const uint8_t *ls, const uint8_t *lm)
{
    memset(s, 0, K_SCALE_SIZE);
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        } else {
            s[j + 4] = (uint8_t)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            s[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
            s[j] |= (uint8_t)((lm[j] >> 4) << 6);
        }
    }
}

/*
 * Q4_K / Q5_K (nmax 15 / 31): per group of 32 an affine range [min(0, x), max];
 * scales and mins quantized to 6 bits against the super-block's largest.
 */
static void quantize_k_affine(const float *x, uint16_t *d_out, uint16_t *dmin_out, uint8_t *scales, uint8_t *L, int nmax)
{
    float sc[8], mn[8], max_sc = 0, max_mn = 0;
    for (int j = 0; j < 8; j++) {
        float lo, hi;
        min_max(x + 32 * j, 32, &lo, &hi);
        if (lo > 0)
            lo = 0;
        sc[j] = (hi - lo) / (float)nmax;
        mn[j] = -lo;
        max_sc = fmaxf(max_sc, sc[j]);
        max_mn = fmaxf(max_mn, mn[j]);
    }
    const float d = max_sc / 63.0f, dmin = max_mn / 63.0f;
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; j++) {
        ls[j] = (uint8_t)clampi(d > 0 ? (int)round_away(sc[j] / d) : 0, 0, 63);
        lm[j] = (uint8_t)clampi(dmin > 0 ? (int)round_away(mn[j] / dmin) : 0, 0, 63);
    }
    *d_out = el_f32_to_f16(d);
    *dmin_out = el_f32_to_f16(dmin);
    el_k4_pack(scales, ls, lm);
    const float df = el_f16_to_f32(*d_out), dmf = el_f16_to_f32(*dmin_out);
    for (int j = 0; j < 8; j++) {
        uint8_t s, m;
        el_k4_scale_min(j, scales, &s, &m);
        const float dd = df * s, dm = dmf * m;
        for (int l = 0; l < 32; l++)
            L[32 * j + l] = (uint8_t)(dd > 0 ? clampi((int)round_away((x[32 * j + l] + dm) / dd), 0, nmax) : 0);
    }
}

void quantize_row_q4_K_ref(const float *x, block_q4_K *y, int64_t n)
{
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        quantize_k_affine(x, &y[i].d, &y[i].dmin, y[i].scales, L, 15);
        el_q4_K_pack_qs(&y[i], L);
    }
}

/* One Q4_K/Q5_K super-block (qh NULL for Q4_K): d * scale * q - dmin * min per group of 32. */
static void k4_dequant(uint16_t d16, uint16_t dmin16, const uint8_t *scales, const uint8_t *q, const uint8_t *qh, float *y)
{
    const float d = el_f16_to_f32(d16), dmin = el_f16_to_f32(dmin16);
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < 8; j += 2, q += 32, u1 <<= 2, u2 <<= 2) {
        uint8_t s1, m1, s2, m2;
        el_k4_scale_min(j, scales, &s1, &m1);
        el_k4_scale_min(j + 1, scales, &s2, &m2);
        for (int l = 0; l < 32; l++)
            *y++ = d * s1 * ((q[l] & 0xF) + ((qh && (qh[l] & u1)) ? 16 : 0)) - dmin * m1;
        for (int l = 0; l < 32; l++)
            *y++ = d * s2 * ((q[l] >> 4) + ((qh && (qh[l] & u2)) ? 16 : 0)) - dmin * m2;
    }
}

void dequantize_row_q4_K(const block_q4_K *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K)
        k4_dequant(x[i].d, x[i].dmin, x[i].scales, x[i].qs, NULL, y);
}

void quantize_row_q5_K_ref(const float *x, block_q5_K *y, int64_t n)
{
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        quantize_k_affine(x, &y[i].d, &y[i].dmin, y[i].scales, L, 31);
        el_q5_K_pack_qs(&y[i], L);
    }
}

void dequantize_row_q5_K(const block_q5_K *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K)
        k4_dequant(x[i].d, x[i].dmin, x[i].scales, x[i].qs, x[i].qh, y);
}

void quantize_row_q6_K_ref(const float *x, block_q6_K *y, int64_t n)
{
    int8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float sc[16], amax_sc = 0, max_sc = 0;
        for (int g = 0; g < 16; g++) {
            sc[g] = signed_extreme(x + 16 * g, 16) / -32.0f;
            if (fabsf(sc[g]) > amax_sc) {
                amax_sc = fabsf(sc[g]);
                max_sc = sc[g];
            }
        }
        const float d = max_sc / -128.0f, id = d ? 1.0f / d : 0.0f;
        y[i].d = el_f32_to_f16(d);
        const float df = el_f16_to_f32(y[i].d);
        for (int g = 0; g < 16; g++) {
            y[i].scales[g] = (int8_t)clampi((int)round_away(sc[g] * id), -128, 127);
            const float dd = df * y[i].scales[g];
            for (int l = 0; l < 16; l++)
                L[16 * g + l] = (int8_t)(dd != 0 ? clampi((int)round_away(x[16 * g + l] / dd), -32, 31) : 0);
        }
        el_q6_K_pack_qs(&y[i], L);
    }
}

void dequantize_row_q6_K(const block_q6_K *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = el_f16_to_f32(x[i].d);
        for (int h = 0; h < 2; h++, y += 128) {
            const uint8_t *ql = x[i].ql + 64 * h, *qh = x[i].qh + 32 * h;
            const int8_t *sc = x[i].scales + 8 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * sc[is] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
        }
    }
}

/*
 * As ggml's quantize_row_q8_K_ref (Q8_K only ever holds activations, so we follow llama.cpp's
 * rounding exactly): scale -127 / (the element of largest magnitude), which maps that element to
 * -127; round to nearest even; d = 1 / scale; sums of 16 for the K-quants' minimums.
 */
void quantize_row_q8_K_ref(const float *x, block_q8_K *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK_K; j++)
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++) {
            const float r = rintf(iscale * x[j]); /* NaN and Inf become 0: casting them is undefined */
            const int v = r >= -128.0f && r <= 127.0f ? (int)r : 0;
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < QK_K / 16; g++) {
            int s = 0;
            for (int l = 0; l < 16; l++)
                s += y[i].qs[16 * g + l];
            y[i].bsums[g] = (int16_t)s;
        }
        y[i].d = 1.0f / iscale;
    }
}

void dequantize_row_q8_K(const block_q8_K *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++)
        for (int j = 0; j < QK_K; j++)
            *y++ = x[i].d * x[i].qs[j];
}

void dequantize_row_iq4_nl(const block_iq4_nl *x, float *y, int64_t n)
{
    static const int8_t T[16] = EL_IQ4NL_VALUES;
    for (int64_t i = 0; i < n / 32; i++, y += 32) {
        const float d = el_f16_to_f32(x[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = d * T[x[i].qs[j] & 0xF];
            y[j + 16] = d * T[x[i].qs[j] >> 4];
        }
    }
}

void dequantize_row_iq4_xs(const block_iq4_xs *x, float *y, int64_t n)
{
    static const int8_t T[16] = EL_IQ4NL_VALUES;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = el_f16_to_f32(x[i].d);
        for (int g = 0; g < 8; g++, y += 32) {
            const float dl = d * (float)(el_iq4_xs_scale(&x[i], g) - 32);
            const uint8_t *q = x[i].qs + 16 * g;
            for (int j = 0; j < 16; j++) {
                y[j] = dl * T[q[j] & 0xF];
                y[j + 16] = dl * T[q[j] >> 4];
            }
        }
    }
}
