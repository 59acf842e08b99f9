/*
 * tests/quant_scalar.c - quant/search.c built a second time in plain C (no SIMD), under other names
 * (el_quantize_row_best_scalar, el_quant_row_error_scalar), so the tests can check every SIMD build
 * gives the bytes this one gives.
 */
#define EL_QUANT_SCALAR 1
#define EL_SEARCH_ENTRY el_quantize_row_best_scalar
#define EL_SEARCH_ERROR_ENTRY el_quant_row_error_scalar
#include "quant/search.c"
