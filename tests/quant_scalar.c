/*
 * tests/quant_scalar.c - quant/search.c built a second time without its SSE2 loops, under other names
 * (el_quantize_row_best_scalar, ...), so tests/test_quantize.c can check the two give the same bytes.
 */
#define EL_QUANT_SCALAR 1
#define el_quant_can_write el_quant_can_write_scalar
#define el_quantize_row_best el_quantize_row_best_scalar
#define el_quantize_row_q2_K_plain el_quantize_row_q2_K_plain_scalar
#define el_quantize_row_q3_K_plain el_quantize_row_q3_K_plain_scalar
#include "quant/search.c"
