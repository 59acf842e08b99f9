/*
 * engine/kernels/kernels_neon_i8mm.c - the dot product table (kernels_neon_dotprod.c) with the packed
 * matrix kernels of SMMLA (gemm_neon_i8mm.c) for prefill. The Makefile compiles this file with
 * -march=armv8.2-a+dotprod+i8mm; engine/kernels/kernels.c picks the table only when the CPU has both
 * instructions (HWCAP_ASIMDDP and HWCAP2_I8MM).
 */
#define EL_NEON_DOTPROD 1
#define EL_NEON_I8MM 1
#include "engine/kernels/kernels_neon.c"
