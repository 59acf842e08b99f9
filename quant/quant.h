/*
 * quant/quant.h - per-type functions, indexed by ggml type (ggml's type_traits).
 *
 * For every type edgelm reads: how to turn a row into floats, how to make a
 * row from floats (reference quantizer; NULL when edgelm does not write the
 * type), and which activation format its dot products use (vec_dot_type: Q8_0
 * for Q4_0/Q5_0/Q8_0/IQ4_NL, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants and IQ4_XS, the weight's
 * own type for F32/F16/BF16 - exactly as ggml, so results match llama.cpp's;
 * see docs/engine.md).
 */
#ifndef EL_QUANT_QUANT_H
#define EL_QUANT_QUANT_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*el_to_float_fn)(const void *x, float *y, int64_t n);
typedef void (*el_from_float_fn)(const float *x, void *y, int64_t n);

typedef struct el_qtraits {
    el_to_float_fn to_float;
    el_from_float_fn from_float_ref;
    uint32_t vec_dot_type;
} el_qtraits;

/* Traits for a ggml type id; NULL when edgelm cannot compute with it. */
const el_qtraits *el_qtraits_get(uint32_t type);

/* Dequantize a row of n elements of `type` (false when the type has no to_float). */
bool el_dequantize_row(uint32_t type, const void *x, float *y, int64_t n);

#endif
