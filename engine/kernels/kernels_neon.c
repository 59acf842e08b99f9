/*
 * engine/kernels/kernels_neon.c - the aarch64 kernels (Advanced SIMD, which every
 * aarch64 CPU has; the int8 dot product instruction when the compiler is told
 * the CPU has it, -march=armv8.2-a+dotprod or later).
 *
 * The integer part of each (sub-)block is computed with vector instructions
 * and reduced to one int; block results are then scaled and added in the same
 * order as the scalar reference (kernels_ref.c), so on quantized types this
 * table returns exactly the reference's values - the edge targets compute
 * what the x86 test machines verified. F32/F16/BF16 accumulate in f32 lanes
 * (not in f16, as ggml does on CPUs with FP16 arithmetic), so they differ from
 * the float64 reference by rounding only. The activation quantizers use the
 * x86 numerics (scale 127/amax, round to nearest even; docs/engine.md), so
 * activations are bit-identical on every platform.
 *
 * The packed matrix kernels for prefill are gemm_neon.c's (float types only on the baseline).
 *
 * Built three times: as "neon" for the armv8-a baseline, through kernels_neon_dotprod.c
 * (EL_NEON_DOTPROD, -march=armv8.2-a+dotprod) as "neon_dotprod", and through kernels_neon_i8mm.c
 * (the same decode kernels, SMMLA matrix kernels) as "neon_i8mm"; engine/kernels/kernels.c runs the
 * latter two only when the CPU says it has the instructions (HWCAP_ASIMDDP, HWCAP2_I8MM).
 */
#include "engine/kernels/kernels.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "core/half.h"
#include "quant/blocks.h"

/* acc + the dot products of each group of 4 int8 lanes */
static inline int32x4_t dot_s8(int32x4_t acc, int8x16_t a, int8x16_t b)
{
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

/* sum(a[0..31] * b[0..31]) of 32 int8 lanes held as two vectors each */
static inline int dot32(int8x16_t a0, int8x16_t a1, const int8_t *b)
{
    int32x4_t acc = dot_s8(vdupq_n_s32(0), a0, vld1q_s8(b));
    acc = dot_s8(acc, a1, vld1q_s8(b + 16));
    return vaddvq_s32(acc);
}

/* ---- float types ---------------------------------------------------------------------------------- */

static float hsum4(float32x4_t a, float32x4_t b, float32x4_t c, float32x4_t d)
{
    return vaddvq_f32(vaddq_f32(vaddq_f32(a, b), vaddq_f32(c, d)));
}

static float dot_f32(int64_t n, const void *w, const void *a)
{
    const float *x = w, *y = a;
    float32x4_t s0 = vdupq_n_f32(0), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = vfmaq_f32(s0, vld1q_f32(x + i), vld1q_f32(y + i));
        s1 = vfmaq_f32(s1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
        s2 = vfmaq_f32(s2, vld1q_f32(x + i + 8), vld1q_f32(y + i + 8));
        s3 = vfmaq_f32(s3, vld1q_f32(x + i + 12), vld1q_f32(y + i + 12));
    }
    for (; i + 4 <= n; i += 4)
        s0 = vfmaq_f32(s0, vld1q_f32(x + i), vld1q_f32(y + i));
    float s = hsum4(s0, s1, s2, s3);
    for (; i < n; i++)
        s += x[i] * y[i];
    return s;
}

static inline float32x4_t f16x4(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
static inline float32x4_t bf16x4(const uint16_t *p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }

#define FLOAT16_DOT(NAME, LOAD, SCALAR)                                                                  \
    static float NAME(int64_t n, const void *w, const void *a)                                           \
    {                                                                                                    \
        const uint16_t *x = w, *y = a;                                                                   \
        float32x4_t s0 = vdupq_n_f32(0), s1 = s0, s2 = s0, s3 = s0;                                      \
        int64_t i = 0;                                                                                   \
        for (; i + 16 <= n; i += 16) {                                                                   \
            s0 = vfmaq_f32(s0, LOAD(x + i), LOAD(y + i));                                                \
            s1 = vfmaq_f32(s1, LOAD(x + i + 4), LOAD(y + i + 4));                                        \
            s2 = vfmaq_f32(s2, LOAD(x + i + 8), LOAD(y + i + 8));                                        \
            s3 = vfmaq_f32(s3, LOAD(x + i + 12), LOAD(y + i + 12));                                      \
        }                                                                                                \
        for (; i + 4 <= n; i += 4)                                                                       \
            s0 = vfmaq_f32(s0, LOAD(x + i), LOAD(y + i));                                                \
        float s = hsum4(s0, s1, s2, s3);                                                                 \
        for (; i < n; i++)                                                                               \
            s += SCALAR(x[i]) * SCALAR(y[i]);                                                            \
        return s;                                                                                        \
    }
FLOAT16_DOT(dot_f16, f16x4, el_f16_to_f32)
FLOAT16_DOT(dot_bf16, bf16x4, el_bf16_to_f32)

/* ---- 32-element block types ----------------------------------------------------------------------- */

static const uint8_t bit_of_lane[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};

/* 16 lanes of 0 or 16: bit j of the 16 bits in qh[0..1] for lane j (the fifth bit of Q5 quants) */
static inline uint8x16_t fifth_bits(const uint8_t *qh)
{
    const uint8x16_t v = vcombine_u8(vdup_n_u8(qh[0]), vdup_n_u8(qh[1]));
    return vandq_u8(vtstq_u8(v, vld1q_u8(bit_of_lane)), vdupq_n_u8(16));
}

static float dot_q4_0(int64_t n, const void *w, const void *a)
{
    const block_q4_0 *x = w;
    const block_q8_0 *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF);
    const int8x16_t k8 = vdupq_n_s8(8);
    float s = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        const uint8x16_t q = vld1q_u8(x[i].qs);
        const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, m4)), k8);
        const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), k8);
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)dot32(lo, hi, y[i].qs);
    }
    return s;
}

/* IQ4: the nibbles through the 16-level table (TBL), then as Q4_0 */
static const int8_t iq4_levels[16] = EL_IQ4NL_VALUES;

static float dot_iq4_nl(int64_t n, const void *w, const void *a)
{
    const block_iq4_nl *x = w;
    const block_q8_0 *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF);
    const int8x16_t t = vld1q_s8(iq4_levels);
    float s = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        const uint8x16_t q = vld1q_u8(x[i].qs);
        const int8x16_t lo = vqtbl1q_s8(t, vandq_u8(q, m4)), hi = vqtbl1q_s8(t, vshrq_n_u8(q, 4));
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)dot32(lo, hi, y[i].qs);
    }
    return s;
}

static float dot_iq4_xs(int64_t n, const void *w, const void *a)
{
    const block_iq4_xs *x = w;
    const block_q8_K *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF);
    const int8x16_t t = vld1q_s8(iq4_levels);
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int sumi = 0;
        for (int g = 0; g < 8; g++) {
            const uint8x16_t q = vld1q_u8(x[i].qs + 16 * g);
            const int8x16_t lo = vqtbl1q_s8(t, vandq_u8(q, m4)), hi = vqtbl1q_s8(t, vshrq_n_u8(q, 4));
            sumi += (el_iq4_xs_scale(&x[i], g) - 32) * dot32(lo, hi, y[i].qs + 32 * g);
        }
        s += el_f16_to_f32(x[i].d) * y[i].d * (float)sumi;
    }
    return s;
}

static float dot_q4_1(int64_t n, const void *w, const void *a)
{
    const block_q4_1 *x = w;
    const block_q8_1 *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF);
    float s = 0;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        const uint8x16_t q = vld1q_u8(x[i].qs);
        const int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(q, m4));
        const int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(q, 4));
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)dot32(lo, hi, y[i].qs) +
             el_f16_to_f32(x[i].m) * el_f16_to_f32(y[i].s);
    }
    return s;
}

static float dot_q5_0(int64_t n, const void *w, const void *a)
{
    const block_q5_0 *x = w;
    const block_q8_0 *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF);
    const int8x16_t k16 = vdupq_n_s8(16);
    float s = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        const uint8x16_t q = vld1q_u8(x[i].qs);
        const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q, m4), fifth_bits(x[i].qh))), k16);
        const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q, 4), fifth_bits(x[i].qh + 2))), k16);
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)dot32(lo, hi, y[i].qs);
    }
    return s;
}

static float dot_q5_1(int64_t n, const void *w, const void *a)
{
    const block_q5_1 *x = w;
    const block_q8_1 *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF);
    float s = 0;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        const uint8x16_t q = vld1q_u8(x[i].qs);
        const int8x16_t lo = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q, m4), fifth_bits(x[i].qh)));
        const int8x16_t hi = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q, 4), fifth_bits(x[i].qh + 2)));
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)dot32(lo, hi, y[i].qs) +
             el_f16_to_f32(x[i].m) * el_f16_to_f32(y[i].s);
    }
    return s;
}

static float dot_q8_0(int64_t n, const void *w, const void *a)
{
    const block_q8_0 *x = w;
    const block_q8_0 *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        const int sumi = dot32(vld1q_s8(x[i].qs), vld1q_s8(x[i].qs + 16), y[i].qs);
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)sumi;
    }
    return s;
}

/* ---- K-quants: the same per-group integer sums as the reference, then its scaling ----------------- */

static float dot_q4_K(int64_t n, const void *w, const void *a)
{
    const block_q4_K *x = w;
    const block_q8_K *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF);
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = x[i].qs;
        const int8_t *qa = y[i].qs;
        int sumi = 0, summ = 0;
        for (int j = 0; j < 8; j += 2, q += 32, qa += 64) {
            uint8_t s1, m1, s2, m2;
            el_k4_scale_min(j, x[i].scales, &s1, &m1);
            el_k4_scale_min(j + 1, x[i].scales, &s2, &m2);
            const uint8x16_t v0 = vld1q_u8(q), v1 = vld1q_u8(q + 16);
            const int a1 = dot32(vreinterpretq_s8_u8(vandq_u8(v0, m4)), vreinterpretq_s8_u8(vandq_u8(v1, m4)), qa);
            const int a2 = dot32(vreinterpretq_s8_u8(vshrq_n_u8(v0, 4)), vreinterpretq_s8_u8(vshrq_n_u8(v1, 4)), qa + 32);
            sumi += s1 * a1 + s2 * a2;
            summ += m1 * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]) + m2 * (y[i].bsums[2 * j + 2] + y[i].bsums[2 * j + 3]);
        }
        s += y[i].d * (el_f16_to_f32(x[i].d) * (float)sumi - el_f16_to_f32(x[i].dmin) * (float)summ);
    }
    return s;
}

static float dot_q5_K(int64_t n, const void *w, const void *a)
{
    const block_q5_K *x = w;
    const block_q8_K *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF), k16 = vdupq_n_u8(16);
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = x[i].qs;
        const int8_t *qa = y[i].qs;
        const uint8x16_t h0 = vld1q_u8(x[i].qh), h1 = vld1q_u8(x[i].qh + 16);
        uint8_t u1 = 1, u2 = 2;
        int sumi = 0, summ = 0;
        for (int j = 0; j < 8; j += 2, q += 32, qa += 64, u1 <<= 2, u2 <<= 2) {
            uint8_t s1, m1, s2, m2;
            el_k4_scale_min(j, x[i].scales, &s1, &m1);
            el_k4_scale_min(j + 1, x[i].scales, &s2, &m2);
            const uint8x16_t v0 = vld1q_u8(q), v1 = vld1q_u8(q + 16);
            const uint8x16_t b1 = vdupq_n_u8(u1), b2 = vdupq_n_u8(u2);
            const uint8x16_t l0 = vorrq_u8(vandq_u8(v0, m4), vandq_u8(vtstq_u8(h0, b1), k16));
            const uint8x16_t l1 = vorrq_u8(vandq_u8(v1, m4), vandq_u8(vtstq_u8(h1, b1), k16));
            const uint8x16_t g0 = vorrq_u8(vshrq_n_u8(v0, 4), vandq_u8(vtstq_u8(h0, b2), k16));
            const uint8x16_t g1 = vorrq_u8(vshrq_n_u8(v1, 4), vandq_u8(vtstq_u8(h1, b2), k16));
            const int a1 = dot32(vreinterpretq_s8_u8(l0), vreinterpretq_s8_u8(l1), qa);
            const int a2 = dot32(vreinterpretq_s8_u8(g0), vreinterpretq_s8_u8(g1), qa + 32);
            sumi += s1 * a1 + s2 * a2;
            summ += m1 * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]) + m2 * (y[i].bsums[2 * j + 2] + y[i].bsums[2 * j + 3]);
        }
        s += y[i].d * (el_f16_to_f32(x[i].d) * (float)sumi - el_f16_to_f32(x[i].dmin) * (float)summ);
    }
    return s;
}

/* sum over 16 lanes of a * b (int8) */
static inline int dot16(int8x16_t a, const int8_t *b) { return vaddvq_s32(dot_s8(vdupq_n_s32(0), a, vld1q_s8(b))); }

static float dot_q6_K(int64_t n, const void *w, const void *a)
{
    const block_q6_K *x = w;
    const block_q8_K *y = a;
    const uint8x16_t m4 = vdupq_n_u8(0xF), m3 = vdupq_n_u8(3);
    const int8x16_t k32 = vdupq_n_s8(32);
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int sumi = 0;
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = x[i].ql + 64 * h, *qh = x[i].qh + 32 * h;
            const int8_t *sc = x[i].scales + 8 * h, *qa = y[i].qs + 128 * h;
            /* lanes l = 16 c .. 16 c + 15 of the four 32-quant rows; group (l / 16) + 2 r */
            for (int c = 0; c < 2; c++) {
                const uint8x16_t la = vld1q_u8(ql + 16 * c), lb = vld1q_u8(ql + 32 + 16 * c);
                const uint8x16_t hb = vld1q_u8(qh + 16 * c);
                const uint8x16_t r0 = vorrq_u8(vandq_u8(la, m4), vshlq_n_u8(vandq_u8(hb, m3), 4));
                const uint8x16_t r1 = vorrq_u8(vandq_u8(lb, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), m3), 4));
                const uint8x16_t r2 = vorrq_u8(vshrq_n_u8(la, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), m3), 4));
                const uint8x16_t r3 = vorrq_u8(vshrq_n_u8(lb, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4));
                sumi += sc[c + 0] * dot16(vsubq_s8(vreinterpretq_s8_u8(r0), k32), qa + 16 * c);
                sumi += sc[c + 2] * dot16(vsubq_s8(vreinterpretq_s8_u8(r1), k32), qa + 32 + 16 * c);
                sumi += sc[c + 4] * dot16(vsubq_s8(vreinterpretq_s8_u8(r2), k32), qa + 64 + 16 * c);
                sumi += sc[c + 6] * dot16(vsubq_s8(vreinterpretq_s8_u8(r3), k32), qa + 96 + 16 * c);
            }
        }
        s += y[i].d * el_f16_to_f32(x[i].d) * (float)sumi;
    }
    return s;
}

/* ---- activation quantizers (x86 numerics: id = 127 / amax, round to nearest even) ----------------- */

/* the 32 values of x scaled by id, rounded, in two int8 vectors; returns their sum */
static inline int quant32(const float *x, float id, int8_t *q)
{
    int16x8_t h[4];
    for (int k = 0; k < 4; k++) {
        const int32x4_t a = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 8 * k), id));
        const int32x4_t b = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 8 * k + 4), id));
        h[k] = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
    }
    const int8x16_t q0 = vcombine_s8(vmovn_s16(h[0]), vmovn_s16(h[1]));
    const int8x16_t q1 = vcombine_s8(vmovn_s16(h[2]), vmovn_s16(h[3]));
    vst1q_s8(q, q0);
    vst1q_s8(q + 16, q1);
    return vaddlvq_s8(q0) + vaddlvq_s8(q1);
}

static inline float amax32(const float *x)
{
    float32x4_t m = vabsq_f32(vld1q_f32(x));
    for (int k = 4; k < 32; k += 4)
        m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + k)));
    return vmaxvq_f32(m);
}

static void act_q8_0(const float *x, void *yv, int64_t n)
{
    block_q8_0 *y = yv;
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        const float amax = amax32(x);
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        y[i].d = el_f32_to_f16(amax / 127.0f);
        quant32(x, id, y[i].qs);
    }
}

static void act_q8_1(const float *x, void *yv, int64_t n)
{
    block_q8_1 *y = yv;
    for (int64_t i = 0; i < n / QK8_1; i++, x += QK8_1) {
        const float amax = amax32(x);
        const float d = amax / 127.0f, id = amax != 0.0f ? 127.0f / amax : 0.0f;
        const int sum = quant32(x, id, y[i].qs);
        y[i].d = el_f32_to_f16(d);
        y[i].s = el_f32_to_f16(d * (float)sum);
    }
}

/* ---- decode loop and attention helpers ------------------------------------------------------------ */

#define NEON_GEMV(T) EL_GEMV_BY_DOT(gemv_##T, dot_##T)
NEON_GEMV(f32)
NEON_GEMV(f16)
NEON_GEMV(bf16)
NEON_GEMV(q4_0)
NEON_GEMV(q4_1)
NEON_GEMV(q5_0)
NEON_GEMV(q5_1)
NEON_GEMV(q8_0)
NEON_GEMV(q4_K)
NEON_GEMV(q5_K)
NEON_GEMV(q6_K)
NEON_GEMV(iq4_nl)
NEON_GEMV(iq4_xs)

static void axpy_f32(int64_t n, float a, const float *x, float *y)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), a));
    for (; i < n; i++)
        y[i] += a * x[i];
}

static void axpy_f16(int64_t n, float a, const uint16_t *x, float *y)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), f16x4(x + i), a));
    for (; i < n; i++)
        y[i] += a * el_f16_to_f32(x[i]);
}

static float dot_q2_K(int64_t n, const void *w, const void *a) { return el_dot_q2_K_ref(n, w, a); }
static float dot_q3_K(int64_t n, const void *w, const void *a) { return el_dot_q3_K_ref(n, w, a); }
NEON_GEMV(q2_K)
NEON_GEMV(q3_K)

#if defined(EL_NEON_I8MM)
#if !defined(__ARM_FEATURE_DOTPROD) || !defined(__ARM_FEATURE_MATMUL_INT8)
#error "kernels_neon_i8mm.c needs -march=armv8.2-a+dotprod+i8mm (see the Makefile)"
#endif
#define TABLE_NAME "neon_i8mm"
#define TABLE_FN el_kernels_neon_i8mm_table
#define TABLE_GEMM (&el_gemm_neon_i8mm_ops)
#elif defined(EL_NEON_DOTPROD)
#if !defined(__ARM_FEATURE_DOTPROD)
#error "kernels_neon_dotprod.c needs -march=armv8.2-a+dotprod (see the Makefile)"
#endif
#define TABLE_NAME "neon_dotprod"
#define TABLE_FN el_kernels_neon_dotprod_table
#define TABLE_GEMM (&el_gemm_neon_dotprod_ops)
#else
#define TABLE_NAME "neon"
#define TABLE_FN el_kernels_neon_table
#define TABLE_GEMM (&el_gemm_neon_ops)
#endif

static const el_kernels table = {
    .name = TABLE_NAME,
    .dot = {
        [EL_TYPE_F32] = dot_f32, [EL_TYPE_F16] = dot_f16, [EL_TYPE_BF16] = dot_bf16,
        [EL_TYPE_Q4_0] = dot_q4_0, [EL_TYPE_Q4_1] = dot_q4_1, [EL_TYPE_Q5_0] = dot_q5_0,
        [EL_TYPE_Q5_1] = dot_q5_1, [EL_TYPE_Q8_0] = dot_q8_0, [EL_TYPE_Q2_K] = dot_q2_K,
        [EL_TYPE_Q3_K] = dot_q3_K, [EL_TYPE_Q4_K] = dot_q4_K, [EL_TYPE_Q5_K] = dot_q5_K,
        [EL_TYPE_Q6_K] = dot_q6_K, [EL_TYPE_IQ4_NL] = dot_iq4_nl, [EL_TYPE_IQ4_XS] = dot_iq4_xs,
    },
    .quant_act = {
        [EL_TYPE_F32] = el_act_f32_ref, [EL_TYPE_F16] = el_act_f16_ref, [EL_TYPE_BF16] = el_act_bf16_ref,
        [EL_TYPE_Q8_0] = act_q8_0, [EL_TYPE_Q8_1] = act_q8_1, [EL_TYPE_Q8_K] = el_act_q8_K_ref,
    },
    .gemv = {
        [EL_TYPE_F32] = gemv_f32, [EL_TYPE_F16] = gemv_f16, [EL_TYPE_BF16] = gemv_bf16, [EL_TYPE_Q4_0] = gemv_q4_0,
        [EL_TYPE_Q4_1] = gemv_q4_1, [EL_TYPE_Q5_0] = gemv_q5_0, [EL_TYPE_Q5_1] = gemv_q5_1, [EL_TYPE_Q8_0] = gemv_q8_0,
        [EL_TYPE_Q2_K] = gemv_q2_K, [EL_TYPE_Q3_K] = gemv_q3_K, [EL_TYPE_Q4_K] = gemv_q4_K, [EL_TYPE_Q5_K] = gemv_q5_K,
        [EL_TYPE_Q6_K] = gemv_q6_K, [EL_TYPE_IQ4_NL] = gemv_iq4_nl, [EL_TYPE_IQ4_XS] = gemv_iq4_xs,
    },
    .axpy_f32 = axpy_f32,
    .axpy_f16 = axpy_f16,
    .gemm = TABLE_GEMM,
};

const el_kernels *TABLE_FN(void) { return &table; }
#elif defined(EL_NEON_I8MM)
const el_kernels *el_kernels_neon_i8mm_table(void) { return NULL; }
#elif defined(EL_NEON_DOTPROD)
const el_kernels *el_kernels_neon_dotprod_table(void) { return NULL; }
#else
const el_kernels *el_kernels_neon_table(void) { return NULL; }
#endif
