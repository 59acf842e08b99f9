/*
 * quant/quant_ref.h - scalar reference quantize/dequantize for each block type.
 *
 * These functions write model files and are the oracles the SIMD kernels are
 * tested against. n (elements) must be a multiple of the block size.
 */
#ifndef EL_QUANT_QUANT_REF_H
#define EL_QUANT_QUANT_REF_H

#include <stdint.h>

#include "quant/blocks.h"

void quantize_row_q4_0_ref(const float *x, block_q4_0 *y, int64_t n);
void quantize_row_q4_1_ref(const float *x, block_q4_1 *y, int64_t n);
void quantize_row_q5_0_ref(const float *x, block_q5_0 *y, int64_t n);
void quantize_row_q5_1_ref(const float *x, block_q5_1 *y, int64_t n);
void quantize_row_q8_0_ref(const float *x, block_q8_0 *y, int64_t n);
void quantize_row_q8_1_ref(const float *x, block_q8_1 *y, int64_t n);
void quantize_row_q4_K_ref(const float *x, block_q4_K *y, int64_t n);
void quantize_row_q5_K_ref(const float *x, block_q5_K *y, int64_t n);
void quantize_row_q6_K_ref(const float *x, block_q6_K *y, int64_t n);
void quantize_row_q8_K_ref(const float *x, block_q8_K *y, int64_t n);

void dequantize_row_q4_0(const block_q4_0 *x, float *y, int64_t n);
void dequantize_row_q4_1(const block_q4_1 *x, float *y, int64_t n);
void dequantize_row_q5_0(const block_q5_0 *x, float *y, int64_t n);
void dequantize_row_q5_1(const block_q5_1 *x, float *y, int64_t n);
void dequantize_row_q8_0(const block_q8_0 *x, float *y, int64_t n);
void dequantize_row_q8_1(const block_q8_1 *x, float *y, int64_t n);
void dequantize_row_q2_K(const block_q2_K *x, float *y, int64_t n);
void dequantize_row_q3_K(const block_q3_K *x, float *y, int64_t n);
void dequantize_row_q4_K(const block_q4_K *x, float *y, int64_t n);
void dequantize_row_q5_K(const block_q5_K *x, float *y, int64_t n);
void dequantize_row_q6_K(const block_q6_K *x, float *y, int64_t n);
void dequantize_row_q8_K(const block_q8_K *x, float *y, int64_t n);

#endif
