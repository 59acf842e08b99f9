/*
 * quant/xtx_avx512.c - quant/xtx.c built again for AVX-512 (the same operations on 16 lanes, so the same
 * bits); el_xtx_accumulate() picks it when the CPU has AVX-512F.
 */
#if defined(__x86_64__)
#define EL_XTX_ENTRY el_xtx_accumulate_avx512
#include "quant/xtx.c"
#else
typedef int el_xtx_avx512_unused; /* an empty file is not valid C */
#endif
