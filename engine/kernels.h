/*
 * engine/kernels.h - the compute kernels, one table per instruction set.
 *
 * Every weight type has a dot product of one weight row with one activation
 * row in the type's vec_dot_type (quant/quant.h): Q8_0/Q8_1/Q8_K blocks for the
 * quantized types, f32 for F32/F16/BF16. The scalar table ("ref") is the
 * oracle; "avx2" and "avx512" tables override what they accelerate and fall
 * back to the scalar functions for the rest. el_kernels_best() picks the
 * widest table the CPU supports (CPUID, once per call site) - one binary runs
 * on any x86-64; an aarch64 build gets the scalar table (NEON versions live
 * behind __ARM_NEON when they are written).
 *
 * Numerics (docs/engine.md): the integer dot products of a block are exact;
 * block results are scaled and summed in f32. SIMD versions sum blocks in a
 * different order, so they differ from the reference by rounding only
 * (tests/test_kernels.c bounds it).
 */
#ifndef EL_ENGINE_KERNELS_H
#define EL_ENGINE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "formats/ggml_type.h"

/* n elements of a weight row `w` (in its type) against an activation row `a` (in vec_dot_type). */
typedef float (*el_dot_fn)(int64_t n, const void *w, const void *a);
/* Quantize n floats into activation blocks. */
typedef void (*el_quant_fn)(const float *x, void *y, int64_t n);

typedef struct el_kernels {
    const char *name;
    el_dot_fn dot[EL_TYPE_COUNT];            /* indexed by the weight type */
    el_quant_fn quant_act[EL_TYPE_COUNT];    /* indexed by vec_dot_type (Q8_0, Q8_1, Q8_K) */
    /* several rows at once: y[r] = dot(w + r*w_stride, a), r < nr (decode's inner loop) */
    void (*dot_rows[EL_TYPE_COUNT])(int64_t n, const uint8_t *w, size_t w_stride, int nr, const void *a, float *y);
} el_kernels;

const el_kernels *el_kernels_ref(void);
const el_kernels *el_kernels_avx2(void);   /* NULL when the CPU lacks AVX2+FMA+F16C */
const el_kernels *el_kernels_avx512(void); /* NULL when the CPU lacks AVX-512F/BW/VL */
const el_kernels *el_kernels_best(void);
/* By name ("ref", "avx2", "avx512"); NULL when unknown or unsupported here. */
const el_kernels *el_kernels_by_name(const char *name);

/* Bytes of one activation row of n elements in the given vec_dot_type. */
size_t el_act_row_bytes(uint32_t vec_dot_type, int64_t n);

/* ---- scalar functions shared by the tables -------------------------------------------------------- */
float el_dot_f32_ref(int64_t n, const void *w, const void *a);
float el_dot_f16_ref(int64_t n, const void *w, const void *a);
float el_dot_bf16_ref(int64_t n, const void *w, const void *a);
float el_dot_q4_0_ref(int64_t n, const void *w, const void *a);
float el_dot_q4_1_ref(int64_t n, const void *w, const void *a);
float el_dot_q5_0_ref(int64_t n, const void *w, const void *a);
float el_dot_q5_1_ref(int64_t n, const void *w, const void *a);
float el_dot_q8_0_ref(int64_t n, const void *w, const void *a);
float el_dot_q2_K_ref(int64_t n, const void *w, const void *a);
float el_dot_q3_K_ref(int64_t n, const void *w, const void *a);
float el_dot_q4_K_ref(int64_t n, const void *w, const void *a);
float el_dot_q5_K_ref(int64_t n, const void *w, const void *a);
float el_dot_q6_K_ref(int64_t n, const void *w, const void *a);

#endif
