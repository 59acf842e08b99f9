/*
 * quant/search_avx2.c - quant/search.c built again for AVX2 (eight lanes in one register instead of two
 * SSE2 ones; the same operations, so the same bytes). el_quantize_row_best() picks it when the CPU has
 * AVX2. No FMA here: a fused multiply-add rounds once where the other builds round twice.
 */
#if defined(__x86_64__)
#define EL_SEARCH_ENTRY el_quantize_row_best_avx2
#define EL_SEARCH_ERROR_ENTRY el_quant_row_error_avx2
#include "quant/search.c"
#else
typedef int el_search_avx2_unused; /* an empty file is not valid C */
#endif
