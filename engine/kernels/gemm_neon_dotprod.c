/*
 * engine/kernels/gemm_neon_dotprod.c - the aarch64 matrix kernels with SDOT for the integer types
 * (gemm_neon.c; the Makefile compiles this file with -march=armv8.2-a+dotprod).
 */
#define EL_NEON_DOTPROD 1
#include "engine/kernels/gemm_neon.c"
