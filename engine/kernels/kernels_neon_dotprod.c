/*
 * engine/kernels/kernels_neon_dotprod.c - the aarch64 kernels again, with the int8 dot product instruction
 * (SDOT, armv8.2-a+dotprod; the Makefile compiles this file, and only it, with that -march).
 * engine/kernels/kernels.c picks this table only when the CPU has the instruction (HWCAP_ASIMDDP).
 */
#define EL_NEON_DOTPROD 1
#include "engine/kernels/kernels_neon.c"
