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
void dequantize_row_iq4_nl(const block_iq4_nl *x, float *y, int64_t n);
void dequantize_row_iq4_xs(const block_iq4_xs *x, float *y, int64_t n);

/* Levels -> K-quant bits (the layouts of quant/blocks.h), for the reference and the searching quantizers.
 * el_k4_pack: eight 6-bit scales and mins of Q4_K/Q5_K; *_pack_qs: quants of one super-block (Q4_K
 * 0..15, Q5_K 0..31, Q6_K -32..31, Q2_K 0..3 into qs[64]); el_q3_K_pack: quants -4..3 and the 16
 * scales -32..31 of a Q3_K block (d is the caller's). */
void el_k4_pack(uint8_t *s, const uint8_t *ls, const uint8_t *lm);
/* 32-element blocks: levels 0..15 (or 0..31) into qs's nibbles, and bit 4 of each into qh. */
void el_pack_nibbles(uint8_t *qs, const uint8_t *L);
void el_pack_fifth_bits(uint8_t *qh, const uint8_t *L);
void el_q4_K_pack_qs(block_q4_K *y, const uint8_t *L);
void el_q5_K_pack_qs(block_q5_K *y, const uint8_t *L);
void el_q6_K_pack_qs(block_q6_K *y, const int8_t *L);
void el_q2_K_pack_qs(uint8_t *qs, const uint8_t *L);
void el_q3_K_pack(block_q3_K *y, const int8_t *L, const int8_t *scales);
/* Scale j (-32..31) of a Q3_K block's packed scales. */
int el_q3_K_scale(const uint8_t *s, int j);

#endif
