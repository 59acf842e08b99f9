/*
 * quant/quant_ref.h - scalar reference quantizers and dequantizers.
 *
 * These are the functions that write model files, so a file is the same on
 * every machine; SIMD versions elsewhere must match them bit for bit (tests
 * compare). Rounding follows ggml's _ref functions: roundf (half away from
 * zero) on x / d, scales stored as fp16 with round-to-nearest-even.
 */
#ifndef EL_QUANT_QUANT_REF_H
#define EL_QUANT_QUANT_REF_H

#include <stdint.h>

#include "quant/blocks.h"

/* n must be a multiple of QK8_0. */
void quantize_row_q8_0_ref(const float *x, block_q8_0 *y, int64_t n);
void dequantize_row_q8_0_ref(const block_q8_0 *x, float *y, int64_t n);

#endif
