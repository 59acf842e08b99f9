/*
 * engine/kernels_avx512.c - the x86 kernels (kernels_x86.inc) built for
 * AVX-512 F/BW/DQ/VL with VNNI (Ice Lake, Sapphire Rapids, Zen 4 and later):
 * vpdpbusd for the u8 x s8 products, 512-bit float kernels, 32 registers.
 * The Makefile compiles this file alone with those flags; kernels.c calls it
 * only on a CPU that has them.
 */
#include "engine/kernels.h"

#if defined(__x86_64__) && defined(__AVX512VNNI__)
#include "engine/kernels_x86.inc"

static const el_kernels table = X86_KERNELS("avx512");

const el_kernels *el_kernels_avx512_table(void) { return &table; }
#else
const el_kernels *el_kernels_avx512_table(void) { return NULL; }
#endif
