/*
 * core/fp_rows.h - float16 / bfloat16 / float32 conversion of whole rows.
 *
 * Each function gives exactly the bits of the scalar functions in
 * core/half.h (round to nearest, ties to even); the x86 versions use F16C /
 * AVX2 when the CPU has them (checked per call through the compiler's cached
 * CPUID), otherwise the scalar loop runs. Tests compare both paths bit for bit.
 */
#ifndef EL_CORE_FP_ROWS_H
#define EL_CORE_FP_ROWS_H

#include <stddef.h>
#include <stdint.h>

void el_row_bf16_to_f32(const uint16_t *x, float *y, size_t n);
void el_row_f16_to_f32(const uint16_t *x, float *y, size_t n);
void el_row_f32_to_f16(const float *x, uint16_t *y, size_t n);
void el_row_f32_to_bf16(const float *x, uint16_t *y, size_t n);

/* The scalar versions, always available (the reference the tests compare against). */
void el_row_f16_to_f32_ref(const uint16_t *x, float *y, size_t n);
void el_row_f32_to_f16_ref(const float *x, uint16_t *y, size_t n);
void el_row_f32_to_bf16_ref(const float *x, uint16_t *y, size_t n);

#endif
