/*
 * engine/kernels/kernels.h - the compute kernels, one table per instruction set.
 *
 * Every weight type has a dot product of one weight row with one activation
 * row in the type's vec_dot_type (quant/quant.h): Q8_0/Q8_1/Q8_K blocks for the
 * quantized types, f32 for F32/F16/BF16. The scalar table ("ref") is the
 * oracle; "avx2" and "avx512" tables override what they accelerate and fall
 * back to the scalar functions for the rest. el_kernels_best() picks the
 * widest table the CPU supports (CPUID, once per call site) - one binary runs
 * on any x86-64; an aarch64 build gets the "neon" table (kernels_neon.c).
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

#include "engine/kernels/gemm.h"
#include "formats/ggml_type.h"

/* n elements of a weight row `w` (in its type) against an activation row `a` (in vec_dot_type). */
typedef float (*el_dot_fn)(int64_t n, const void *w, const void *a);
/* Quantize n floats into activation blocks. */
typedef void (*el_quant_fn)(const float *x, void *y, int64_t n);
/* nr consecutive weight rows (stride bytes apart) times one activation row: y[r] = dot(row r, a).
 * The decode step's loop; implementations prefetch the rows ahead of the one they read. */
typedef void (*el_gemv_fn)(int64_t n, const uint8_t *w, size_t stride, int64_t nr, const void *a, float *y);

/* Rewrite one activation row (vec_dot_type blocks) into the layout a gemv reads (at most
 * EL_PREP_BYTES(n) bytes, 64-byte aligned output). */
typedef void (*el_prep_fn)(int64_t n, const void *a, void *out);
#define EL_PREP_BYTES(n) ((size_t)(n) * 4 + 1024)

/* How far ahead of its reading a gemv prefetches (bytes): enough to cover DRAM latency at full
 * bandwidth for one core (measured with bench/engine.sh; docs/engine.md). */
#ifndef EL_PREFETCH_AHEAD
#define EL_PREFETCH_AHEAD 4096
#endif

/* A gemv made of one dot per row, with the rows ahead prefetched (__builtin_prefetch: prefetcht0 on
 * x86, prfm pldl1keep on aarch64). Every table builds its decode loops from this unless it has a
 * kernel of its own for the type. */
#define EL_GEMV_BY_DOT(NAME, DOT)                                                                         \
    __attribute__((unused)) static void NAME(int64_t n, const uint8_t *w, size_t stride, int64_t nr,      \
                                             const void *a, float *y)                                     \
    {                                                                                                     \
        for (int64_t r = 0; r < nr; r++) {                                                                \
            const uint8_t *wr = w + (size_t)r * stride;                                                   \
            for (size_t o = 0; o < stride; o += 64)                                                       \
                __builtin_prefetch(wr + EL_PREFETCH_AHEAD + o);                                           \
            y[r] = DOT(n, wr, a);                                                                         \
        }                                                                                                 \
    }

typedef struct el_kernels {
    const char *name;
    el_dot_fn dot[EL_TYPE_COUNT];            /* indexed by the weight type */
    el_quant_fn quant_act[EL_TYPE_COUNT];    /* indexed by vec_dot_type (F16, BF16, Q8_0, Q8_1, Q8_K) */
    el_gemv_fn gemv[EL_TYPE_COUNT];          /* indexed by the weight type */
    el_prep_fn prep[EL_TYPE_COUNT];          /* per weight type; NULL: gemv reads the blocks as they are */
    /* y[i] += a * x[i]: attention's weighted sum of V rows (x from an f32 or f16 cache) */
    void (*axpy_f32)(int64_t n, float a, const float *x, float *y);
    void (*axpy_f16)(int64_t n, float a, const uint16_t *x, float *y);
    const el_gemm *gemm;                     /* matrix x matrix (engine/kernels/gemm.h); NULL: gemv per token */
} el_kernels;

const el_kernels *el_kernels_ref(void);
const el_kernels *el_kernels_avx2(void);   /* NULL when the CPU lacks AVX2+FMA+F16C */
const el_kernels *el_kernels_avx512(void); /* NULL when the CPU lacks AVX-512 F/BW/DQ/VL/VNNI/VBMI */
const el_kernels *el_kernels_neon(void);   /* NULL unless built for aarch64 */
const el_kernels *el_kernels_neon_dotprod(void); /* NULL unless aarch64 and the CPU has SDOT (HWCAP_ASIMDDP) */
const el_kernels *el_kernels_neon_i8mm(void);    /* NULL unless aarch64 and the CPU has SDOT and SMMLA (HWCAP2_I8MM) */

/* The names of the tables this build holds (whether or not this CPU runs them), NULL-terminated. */
const char *const *el_kernels_compiled(void);
const el_kernels *el_kernels_best(void);
/* By name ("ref", "avx2", "avx512", "neon", "neon_dotprod", "neon_i8mm", "best"); NULL when unknown or unsupported here. */
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
float el_dot_iq4_nl_ref(int64_t n, const void *w, const void *a);
float el_dot_iq4_xs_ref(int64_t n, const void *w, const void *a);
/* Activation quantizers with the numerics of ggml's x86 code (Q8_0, Q8_1: scale 127/amax, round to
 * nearest even; Q8_K: ggml's reference, -127/max of the signed extreme), so the integer parts equal
 * llama.cpp's on the machines we compare with. */
void el_act_q8_0_ref(const float *x, void *y, int64_t n);
void el_act_q8_1_ref(const float *x, void *y, int64_t n);
void el_act_q8_K_ref(const float *x, void *y, int64_t n);
void el_act_f32_ref(const float *x, void *y, int64_t n);
void el_act_f16_ref(const float *x, void *y, int64_t n);
void el_act_bf16_ref(const float *x, void *y, int64_t n);
void el_axpy_f32_ref(int64_t n, float a, const float *x, float *y);
void el_axpy_f16_ref(int64_t n, float a, const uint16_t *x, float *y);

/* The SIMD tables themselves, without the CPU check (kernels.c checks, then calls these). */
const el_kernels *el_kernels_avx2_table(void);
const el_kernels *el_kernels_avx512_table(void);
const el_kernels *el_kernels_neon_table(void);
const el_kernels *el_kernels_neon_dotprod_table(void);
const el_kernels *el_kernels_neon_i8mm_table(void);

#endif
