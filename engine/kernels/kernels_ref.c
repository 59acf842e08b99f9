/*
 * engine/kernels/kernels_ref.c - scalar reference kernels: the oracle for the SIMD
 * tables and the fallback on CPUs without them.
 *
 * Quantized dot products follow the block definitions (quant/blocks.h): the
 * integer part of each (sub-)block is exact, then scaled in f32:
 *   Q4_0/Q5_0/Q8_0 x Q8_0:  d_w d_a sum(q_w q_a)
 *   Q4_1/Q5_1 x Q8_1:       d_w d_a sum(q_w q_a) + m_w s_a       (s_a = d_a sum q_a)
 *   K-quants x Q8_K:        d_a (d_w sum_g sc_g sum(q_w q_a) - dmin_w sum_g m_g bsum_g)
 */
#include <math.h>
#include <string.h>

#include "core/fp_rows.h"
#include "core/half.h"
#include "engine/kernels/kernels.h"
#include "quant/blocks.h"
#include "quant/quant_ref.h"

float el_dot_f32_ref(int64_t n, const void *w, const void *a)
{
    const float *x = w, *y = a;
    double s = 0; /* the reference is exact enough to judge the fast versions */
    for (int64_t i = 0; i < n; i++)
        s += (double)x[i] * y[i];
    return (float)s;
}

/* F16 and BF16 weights meet activations rounded to the same type (ggml's vec_dot_type). */
float el_dot_f16_ref(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)el_f16_to_f32(x[i]) * el_f16_to_f32(y[i]);
    return (float)s;
}

float el_dot_bf16_ref(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)el_bf16_to_f32(x[i]) * el_bf16_to_f32(y[i]);
    return (float)s;
}

float el_dot_q4_0_ref(int64_t n, const void *w, const void *a)
{
    const block_q4_0 *x = w;
    const block_q8_0 *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int sumi = 0;
        for (int j = 0; j < 16; j++)
            sumi += ((x[i].qs[j] & 0xF) - 8) * y[i].qs[j] + ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)sumi;
    }
    return s;
}

float el_dot_iq4_nl_ref(int64_t n, const void *w, const void *a)
{
    static const int8_t T[16] = EL_IQ4NL_VALUES;
    const block_iq4_nl *x = w;
    const block_q8_0 *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int sumi = 0;
        for (int j = 0; j < 16; j++)
            sumi += T[x[i].qs[j] & 0xF] * y[i].qs[j] + T[x[i].qs[j] >> 4] * y[i].qs[j + 16];
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)sumi;
    }
    return s;
}

/* IQ4_XS x Q8_K: the groups' integer sums times their scales, exact in an int per super-block */
float el_dot_iq4_xs_ref(int64_t n, const void *w, const void *a)
{
    static const int8_t T[16] = EL_IQ4NL_VALUES;
    const block_iq4_xs *x = w;
    const block_q8_K *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int sumi = 0;
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = x[i].qs + 16 * g;
            const int8_t *qa = y[i].qs + 32 * g;
            int sg = 0;
            for (int j = 0; j < 16; j++)
                sg += T[q[j] & 0xF] * qa[j] + T[q[j] >> 4] * qa[j + 16];
            sumi += (el_iq4_xs_scale(&x[i], g) - 32) * sg;
        }
        s += el_f16_to_f32(x[i].d) * y[i].d * (float)sumi;
    }
    return s;
}

float el_dot_q4_1_ref(int64_t n, const void *w, const void *a)
{
    const block_q4_1 *x = w;
    const block_q8_1 *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        int sumi = 0;
        for (int j = 0; j < 16; j++)
            sumi += (x[i].qs[j] & 0xF) * y[i].qs[j] + (x[i].qs[j] >> 4) * y[i].qs[j + 16];
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)sumi + el_f16_to_f32(x[i].m) * el_f16_to_f32(y[i].s);
    }
    return s;
}

float el_dot_q5_0_ref(int64_t n, const void *w, const void *a)
{
    const block_q5_0 *x = w;
    const block_q8_0 *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        int sumi = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = ((x[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - 16;
            int q1 = ((x[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            sumi += q0 * y[i].qs[j] + q1 * y[i].qs[j + 16];
        }
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)sumi;
    }
    return s;
}

float el_dot_q5_1_ref(int64_t n, const void *w, const void *a)
{
    const block_q5_1 *x = w;
    const block_q8_1 *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        int sumi = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = (x[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
            int q1 = (x[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
            sumi += q0 * y[i].qs[j] + q1 * y[i].qs[j + 16];
        }
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)sumi + el_f16_to_f32(x[i].m) * el_f16_to_f32(y[i].s);
    }
    return s;
}

float el_dot_q8_0_ref(int64_t n, const void *w, const void *a)
{
    const block_q8_0 *x = w;
    const block_q8_0 *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int sumi = 0;
        for (int j = 0; j < QK8_0; j++)
            sumi += x[i].qs[j] * y[i].qs[j];
        s += el_f16_to_f32(x[i].d) * el_f16_to_f32(y[i].d) * (float)sumi;
    }
    return s;
}

/*
 * K-quants: each super-block is unpacked to 256 signed weight quants with a
 * scale (and min) per group, in the element order of the dequantizers.
 */
float el_dot_q2_K_ref(int64_t n, const void *w, const void *a)
{
    const block_q2_K *x = w;
    const block_q8_K *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = x[i].qs;
        const int8_t *qa = y[i].qs;
        int sumi = 0, summ = 0, g = 0;
        for (int half = 0; half < 2; half++, q += 32)
            for (int shift = 0; shift < 8; shift += 2)
                for (int part = 0; part < 2; part++, g++) {
                    int acc = 0;
                    for (int l = 0; l < 16; l++)
                        acc += ((q[l + 16 * part] >> shift) & 3) * *qa++;
                    sumi += (x[i].scales[g] & 0xF) * acc;
                    summ += (x[i].scales[g] >> 4) * y[i].bsums[g];
                }
        s += y[i].d * (el_f16_to_f32(x[i].d) * (float)sumi - el_f16_to_f32(x[i].dmin) * (float)summ);
    }
    return s;
}

float el_dot_q3_K_ref(int64_t n, const void *w, const void *a)
{
    const block_q3_K *x = w;
    const block_q8_K *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = x[i].qs, *hm = x[i].hmask, *sc = x[i].scales;
        const int8_t *qa = y[i].qs;
        uint8_t m = 1;
        int sumi = 0, g = 0;
        for (int half = 0; half < 2; half++, q += 32)
            for (int shift = 0; shift < 8; shift += 2, m <<= 1)
                for (int part = 0; part < 2; part++, g++) {
                    int acc = 0;
                    for (int l = 16 * part; l < 16 * part + 16; l++)
                        acc += (((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4)) * *qa++;
                    int low = g < 8 ? (sc[g] & 0xF) : (sc[g - 8] >> 4);
                    int high = (sc[8 + g % 4] >> (2 * (g / 4))) & 3;
                    sumi += ((low | (high << 4)) - 32) * acc;
                }
        s += y[i].d * el_f16_to_f32(x[i].d) * (float)sumi;
    }
    return s;
}

float el_dot_q4_K_ref(int64_t n, const void *w, const void *a)
{
    const block_q4_K *x = w;
    const block_q8_K *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = x[i].qs;
        const int8_t *qa = y[i].qs;
        int sumi = 0, summ = 0;
        for (int j = 0; j < 8; j += 2, q += 32, qa += 64) {
            uint8_t s1, m1, s2, m2;
            el_k4_scale_min(j, x[i].scales, &s1, &m1);
            el_k4_scale_min(j + 1, x[i].scales, &s2, &m2);
            int a1 = 0, a2 = 0;
            for (int l = 0; l < 32; l++) {
                a1 += (q[l] & 0xF) * qa[l];
                a2 += (q[l] >> 4) * qa[l + 32];
            }
            sumi += s1 * a1 + s2 * a2;
            summ += m1 * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]) + m2 * (y[i].bsums[2 * j + 2] + y[i].bsums[2 * j + 3]);
        }
        s += y[i].d * (el_f16_to_f32(x[i].d) * (float)sumi - el_f16_to_f32(x[i].dmin) * (float)summ);
    }
    return s;
}

float el_dot_q5_K_ref(int64_t n, const void *w, const void *a)
{
    const block_q5_K *x = w;
    const block_q8_K *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = x[i].qs, *qh = x[i].qh;
        const int8_t *qa = y[i].qs;
        uint8_t u1 = 1, u2 = 2;
        int sumi = 0, summ = 0;
        for (int j = 0; j < 8; j += 2, q += 32, qa += 64, u1 <<= 2, u2 <<= 2) {
            uint8_t s1, m1, s2, m2;
            el_k4_scale_min(j, x[i].scales, &s1, &m1);
            el_k4_scale_min(j + 1, x[i].scales, &s2, &m2);
            int a1 = 0, a2 = 0;
            for (int l = 0; l < 32; l++) {
                a1 += ((q[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) * qa[l];
                a2 += ((q[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) * qa[l + 32];
            }
            sumi += s1 * a1 + s2 * a2;
            summ += m1 * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]) + m2 * (y[i].bsums[2 * j + 2] + y[i].bsums[2 * j + 3]);
        }
        s += y[i].d * (el_f16_to_f32(x[i].d) * (float)sumi - el_f16_to_f32(x[i].dmin) * (float)summ);
    }
    return s;
}

float el_dot_q6_K_ref(int64_t n, const void *w, const void *a)
{
    const block_q6_K *x = w;
    const block_q8_K *y = a;
    float s = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int sumi = 0;
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = x[i].ql + 64 * h, *qh = x[i].qh + 32 * h;
            const int8_t *sc = x[i].scales + 8 * h, *qa = y[i].qs + 128 * h;
            int acc[8] = {0};
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                acc[is + 0] += (((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32) * qa[l];
                acc[is + 2] += (((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32) * qa[l + 32];
                acc[is + 4] += (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32) * qa[l + 64];
                acc[is + 6] += (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32) * qa[l + 96];
            }
            for (int g = 0; g < 8; g++)
                sumi += sc[g] * acc[g];
        }
        s += y[i].d * el_f16_to_f32(x[i].d) * (float)sumi;
    }
    return s;
}

/* ---- activation quantizers ---------------------------------------------------------------------- */

/*
 * Q8_0 and Q8_1 as ggml's AVX2 quantize_row_q8_0/q8_1: d = amax / 127, q = rint(x * (127 / amax)).
 * A NaN in the block makes amax (and so d) NaN, as the SIMD maximum does, so it reaches the logits
 * and el_decode's check names the model; the quantized value of a NaN or Inf is 0 (a C cast of it
 * to int8 is undefined). Finite blocks are unchanged.
 */
static inline float amax_nan(float amax, float v) { return fabsf(v) > amax || v != v ? fabsf(v) : amax; }

static inline int8_t q8_rint(float v)
{
    v = rintf(v);
    return (int8_t)(v >= -128.0f && v <= 127.0f ? v : 0.0f);
}

void el_act_q8_0_ref(const float *x, void *yv, int64_t n)
{
    block_q8_0 *y = yv;
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++)
            amax = amax_nan(amax, x[j]);
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        y[i].d = el_f32_to_f16(amax / 127.0f);
        for (int j = 0; j < QK8_0; j++)
            y[i].qs[j] = q8_rint(x[j] * id);
    }
}

void el_act_q8_1_ref(const float *x, void *yv, int64_t n)
{
    block_q8_1 *y = yv;
    for (int64_t i = 0; i < n / QK8_1; i++, x += QK8_1) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_1; j++)
            amax = amax_nan(amax, x[j]);
        const float d = amax / 127.0f, id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) {
            y[i].qs[j] = q8_rint(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].d = el_f32_to_f16(d);
        y[i].s = el_f32_to_f16(d * (float)sum);
    }
}

/* Q8_K: quant_ref.c's quantizer is ggml's reference, which x86 runs too. */
void el_act_q8_K_ref(const float *x, void *y, int64_t n) { quantize_row_q8_K_ref(x, y, n); }

void el_axpy_f32_ref(int64_t n, float a, const float *x, float *y)
{
    for (int64_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

void el_axpy_f16_ref(int64_t n, float a, const uint16_t *x, float *y)
{
    for (int64_t i = 0; i < n; i++)
        y[i] += a * el_f16_to_f32(x[i]);
}

void el_act_f32_ref(const float *x, void *y, int64_t n) { memcpy(y, x, (size_t)n * 4); }
void el_act_f16_ref(const float *x, void *y, int64_t n) { el_row_f32_to_f16(x, y, (size_t)n); }
void el_act_bf16_ref(const float *x, void *y, int64_t n) { el_row_f32_to_bf16(x, y, (size_t)n); }

/* The scalar gemv (the reference is slow, but need not be slower than it must) */
#define REF_GEMV(T) EL_GEMV_BY_DOT(gemv_##T, el_dot_##T##_ref)
REF_GEMV(f32)
REF_GEMV(f16)
REF_GEMV(bf16)
REF_GEMV(q4_0)
REF_GEMV(q4_1)
REF_GEMV(q5_0)
REF_GEMV(q5_1)
REF_GEMV(q8_0)
REF_GEMV(q2_K)
REF_GEMV(q3_K)
REF_GEMV(q4_K)
REF_GEMV(q5_K)
REF_GEMV(q6_K)
REF_GEMV(iq4_nl)
REF_GEMV(iq4_xs)

static const el_kernels ref = {
    .name = "ref",
    .dot = {
        [EL_TYPE_F32] = el_dot_f32_ref, [EL_TYPE_F16] = el_dot_f16_ref, [EL_TYPE_BF16] = el_dot_bf16_ref,
        [EL_TYPE_Q4_0] = el_dot_q4_0_ref, [EL_TYPE_Q4_1] = el_dot_q4_1_ref, [EL_TYPE_Q5_0] = el_dot_q5_0_ref,
        [EL_TYPE_Q5_1] = el_dot_q5_1_ref, [EL_TYPE_Q8_0] = el_dot_q8_0_ref, [EL_TYPE_Q2_K] = el_dot_q2_K_ref,
        [EL_TYPE_Q3_K] = el_dot_q3_K_ref, [EL_TYPE_Q4_K] = el_dot_q4_K_ref, [EL_TYPE_Q5_K] = el_dot_q5_K_ref,
        [EL_TYPE_Q6_K] = el_dot_q6_K_ref, [EL_TYPE_IQ4_NL] = el_dot_iq4_nl_ref, [EL_TYPE_IQ4_XS] = el_dot_iq4_xs_ref,
    },
    .quant_act = {
        [EL_TYPE_F32] = el_act_f32_ref, [EL_TYPE_F16] = el_act_f16_ref, [EL_TYPE_BF16] = el_act_bf16_ref, [EL_TYPE_Q8_0] = el_act_q8_0_ref, [EL_TYPE_Q8_1] = el_act_q8_1_ref, [EL_TYPE_Q8_K] = el_act_q8_K_ref,
    },
    .gemv = {
        [EL_TYPE_F32] = gemv_f32, [EL_TYPE_F16] = gemv_f16, [EL_TYPE_BF16] = gemv_bf16, [EL_TYPE_Q4_0] = gemv_q4_0,
        [EL_TYPE_Q4_1] = gemv_q4_1, [EL_TYPE_Q5_0] = gemv_q5_0, [EL_TYPE_Q5_1] = gemv_q5_1, [EL_TYPE_Q8_0] = gemv_q8_0,
        [EL_TYPE_Q2_K] = gemv_q2_K, [EL_TYPE_Q3_K] = gemv_q3_K, [EL_TYPE_Q4_K] = gemv_q4_K, [EL_TYPE_Q5_K] = gemv_q5_K,
        [EL_TYPE_Q6_K] = gemv_q6_K, [EL_TYPE_IQ4_NL] = gemv_iq4_nl, [EL_TYPE_IQ4_XS] = gemv_iq4_xs,
    },
    .axpy_f32 = el_axpy_f32_ref,
    .axpy_f16 = el_axpy_f16_ref,
};

const el_kernels *el_kernels_ref(void) { return &ref; }

size_t el_act_row_bytes(uint32_t vec_dot_type, int64_t n)
{
    switch (vec_dot_type) {
    case EL_TYPE_Q8_0: return (size_t)(n / QK8_0) * sizeof(block_q8_0);
    case EL_TYPE_Q8_1: return (size_t)(n / QK8_1) * sizeof(block_q8_1);
    case EL_TYPE_Q8_K: return (size_t)(n / QK_K) * sizeof(block_q8_K);
    case EL_TYPE_F16:
    case EL_TYPE_BF16: return (size_t)n * 2;
    default: return (size_t)n * sizeof(float);
    }
}
