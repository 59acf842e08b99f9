/*
 * engine/kernels/kernels_avx2.c - the x86 kernels (kernels_x86.inc) built for
 * AVX2 + FMA + F16C (the Makefile compiles this file alone with those flags;
 * kernels.c calls it only on a CPU that has them).
 */
#include "engine/kernels/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
#define X86_GEMM (&el_gemm_avx2_ops)
#include "engine/kernels/kernels_x86.inc"

static const el_kernels table = X86_KERNELS("avx2");

const el_kernels *el_kernels_avx2_table(void) { return &table; }
#else
const el_kernels *el_kernels_avx2_table(void) { return NULL; }
#endif
