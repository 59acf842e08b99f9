/*
 * engine/kernels_avx512.c - AVX-512 kernels (filled in below as they are written).
 */
#include "engine/kernels.h"

const el_kernels *el_kernels_avx512(void) { return NULL; }
