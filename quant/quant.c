/*
 * quant/quant.c - the traits table (see quant.h).
 */
#include "quant/quant.h"

#include <string.h>

#include "core/fp_rows.h"
#include "formats/ggml_type.h"
#include "quant/iq4.h"
#include "quant/quant_ref.h"
#include "quant/search.h"

static void f32_to_float(const void *x, float *y, int64_t n) { memcpy(y, x, (size_t)n * 4); }
static void f16_to_float(const void *x, float *y, int64_t n) { el_row_f16_to_f32(x, y, (size_t)n); }
static void bf16_to_float(const void *x, float *y, int64_t n) { el_row_bf16_to_f32(x, y, (size_t)n); }
static void f32_from_float(const float *x, void *y, int64_t n) { memcpy(y, x, (size_t)n * 4); }
static void f16_from_float(const float *x, void *y, int64_t n) { el_row_f32_to_f16_ref(x, y, (size_t)n); }
static void bf16_from_float(const float *x, void *y, int64_t n) { el_row_f32_to_bf16_ref(x, y, (size_t)n); }

/* Adapters from the typed block functions to the table's void-pointer signatures. */
#define ADAPT(T)                                                                                       \
    static void T##_to(const void *x, float *y, int64_t n) { dequantize_row_##T(x, y, n); }           \
    static void T##_from(const float *x, void *y, int64_t n) { quantize_row_##T##_ref(x, y, n); }
ADAPT(q4_0)
ADAPT(q4_1)
ADAPT(q5_0)
ADAPT(q5_1)
ADAPT(q8_0)
ADAPT(q8_1)
ADAPT(q4_K)
ADAPT(q5_K)
ADAPT(q6_K)
ADAPT(q8_K)
static void q2_K_to(const void *x, float *y, int64_t n) { dequantize_row_q2_K(x, y, n); }
static void q3_K_to(const void *x, float *y, int64_t n) { dequantize_row_q3_K(x, y, n); }
static void iq4_nl_to(const void *x, float *y, int64_t n) { dequantize_row_iq4_nl(x, y, n); }
static void iq4_xs_to(const void *x, float *y, int64_t n) { dequantize_row_iq4_xs(x, y, n); }

static const el_qtraits table[EL_TYPE_COUNT] = {
    [EL_TYPE_F32] = {f32_to_float, f32_from_float, EL_TYPE_F32},
    [EL_TYPE_F16] = {f16_to_float, f16_from_float, EL_TYPE_F16},
    [EL_TYPE_BF16] = {bf16_to_float, bf16_from_float, EL_TYPE_BF16},
    [EL_TYPE_Q4_0] = {q4_0_to, q4_0_from, EL_TYPE_Q8_0},
    [EL_TYPE_Q4_1] = {q4_1_to, q4_1_from, EL_TYPE_Q8_1},
    [EL_TYPE_Q5_0] = {q5_0_to, q5_0_from, EL_TYPE_Q8_0},
    [EL_TYPE_Q5_1] = {q5_1_to, q5_1_from, EL_TYPE_Q8_1},
    [EL_TYPE_Q8_0] = {q8_0_to, q8_0_from, EL_TYPE_Q8_0},
    [EL_TYPE_Q8_1] = {q8_1_to, q8_1_from, EL_TYPE_Q8_1},
    [EL_TYPE_Q2_K] = {q2_K_to, el_quantize_row_q2_K_plain, EL_TYPE_Q8_K},
    [EL_TYPE_Q3_K] = {q3_K_to, el_quantize_row_q3_K_plain, EL_TYPE_Q8_K},
    [EL_TYPE_Q4_K] = {q4_K_to, q4_K_from, EL_TYPE_Q8_K},
    [EL_TYPE_Q5_K] = {q5_K_to, q5_K_from, EL_TYPE_Q8_K},
    [EL_TYPE_Q6_K] = {q6_K_to, q6_K_from, EL_TYPE_Q8_K},
    [EL_TYPE_Q8_K] = {q8_K_to, q8_K_from, EL_TYPE_Q8_K},
    [EL_TYPE_IQ4_NL] = {iq4_nl_to, el_quantize_row_iq4_nl, EL_TYPE_Q8_0},
    [EL_TYPE_IQ4_XS] = {iq4_xs_to, el_quantize_row_iq4_xs, EL_TYPE_Q8_K},
};

const el_qtraits *el_qtraits_get(uint32_t type)
{
    if (type >= EL_TYPE_COUNT || !table[type].to_float)
        return NULL;
    return &table[type];
}

bool el_dequantize_row(uint32_t type, const void *x, float *y, int64_t n)
{
    const el_qtraits *t = el_qtraits_get(type);
    if (!t)
        return false;
    t->to_float(x, y, n);
    return true;
}
