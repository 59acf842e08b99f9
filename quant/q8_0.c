/*
 * quant/q8_0.c - Q8_0: per 32 weights, d = max|x| / 127, q = round(x / d).
 */
#include <math.h>

#include "core/half.h"
#include "quant/quant_ref.h"

void quantize_row_q8_0_ref(const float *x, block_q8_0 *y, int64_t n)
{
    const int64_t nb = n / QK8_0;
    for (int64_t i = 0; i < nb; i++) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++) {
            float v = fabsf(x[i * QK8_0 + j]);
            if (v > amax)
                amax = v;
        }
        const float d = amax / 127.0f;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = el_f32_to_f16(d);
        for (int j = 0; j < QK8_0; j++)
            y[i].qs[j] = (int8_t)roundf(x[i * QK8_0 + j] * id);
    }
}

void dequantize_row_q8_0_ref(const block_q8_0 *x, float *y, int64_t n)
{
    const int64_t nb = n / QK8_0;
    for (int64_t i = 0; i < nb; i++) {
        const float d = el_f16_to_f32(x[i].d);
        for (int j = 0; j < QK8_0; j++)
            y[i * QK8_0 + j] = x[i].qs[j] * d;
    }
}
