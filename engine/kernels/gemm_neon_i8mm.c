/*
 * engine/kernels/gemm_neon_i8mm.c - the aarch64 matrix kernels with the int8 matrix multiply SMMLA
 * (gemm_neon.c; the Makefile compiles this file with -march=armv8.2-a+dotprod+i8mm).
 */
#define EL_NEON_I8MM 1
#include "engine/kernels/gemm_neon.c"
