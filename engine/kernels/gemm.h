/*
 * engine/kernels/gemm.h - matrix x matrix for prefill and batches (many tokens, one
 * weight matrix), where the decode kernels' one-row-at-a-time dot products
 * leave most of the arithmetic units idle.
 *
 * The weights are repacked on the fly, 16 rows at a time, into a panel the
 * vector registers read directly: for integer types the quants of the 16
 * rows interleaved 4 bytes at a time (one 64-byte vector = 4 consecutive
 * quants of 16 rows), unsigned with a per-type offset, with a scale (and
 * minimum) per row per group of 16 or 32; for float types, f32 values
 * interleaved one element at a time. A panel is packed once per call and
 * then meets every token of the batch while it sits in the cache. The
 * activations are repacked once per call too (quants made contiguous, scales
 * and sums beside them), and each group of 4 of them is broadcast against a
 * whole vector of 16 rows.
 *
 * Numerics are those of the decode kernels: exact integer products per
 * group, f32 scaling and sums (the group order differs, docs/engine.md).
 */
#ifndef EL_ENGINE_GEMM_H
#define EL_ENGINE_GEMM_H

#include <stddef.h>
#include <stdint.h>

#define EL_GEMM_ROWS 16

typedef struct el_gemm {
    /* bytes of one panel of EL_GEMM_ROWS rows of n elements of `type`; 0 when the type is not handled */
    size_t (*panel_bytes)(uint32_t type, int64_t n);
    /* pack nr (<= 16) rows, stride bytes apart; missing rows are zero */
    void (*pack_w)(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel);
    /* bytes of one packed activation row (64-byte multiple), and the packing of one row in the
     * weight type's vec_dot_type */
    size_t (*act_bytes)(uint32_t type, int64_t n);
    void (*pack_a)(uint32_t type, int64_t n, const void *a, void *out);
    /* y[t * ldy + r] = (row r) . (activation t) for r < nr, t < nt; acts act_stride bytes apart */
    void (*run)(uint32_t type, int64_t n, const void *panel, int nr, const uint8_t *acts, size_t act_stride, int nt,
                float *y, size_t ldy);
} el_gemm;

/* ---- the packing all implementations share (engine/kernels/gemm.c) --------------------------------------------- */

#include <stdbool.h>

/* How an integer type packs: quants per scale, offset added to make them unsigned, elements per
 * block of the format, whether a minimum term exists. signed_q8: Q8_0 keeps its signed quants. */
typedef struct el_gemm_qinfo {
    int group, off, unit;
    bool min;
} el_gemm_qinfo;

/* A packed activation row: [quants, n bytes][-off x S_g: int32][da_g: f32][das_g: f32] (offsets) */
typedef struct el_gemm_act_layout {
    size_t nos, da, das, total;
} el_gemm_act_layout;

bool el_gemm_is_float(uint32_t type);
bool el_gemm_qinfo_of(uint32_t type, bool signed_q8, el_gemm_qinfo *q);
size_t el_gemm_group_bytes(const el_gemm_qinfo *q);
el_gemm_act_layout el_gemm_act_layout_of(const el_gemm_qinfo *q, int64_t n);
size_t el_gemm_panel_bytes(uint32_t type, int64_t n);
void el_gemm_pack_w(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel, bool signed_q8);
/* The same with the quants of the 16 rows interleaved il (4 or 8) bytes at a time: il = 8 makes
 * each 16-byte vector 2 rows x 8 quants, the operand of the aarch64 int8 matrix multiply (SMMLA). */
void el_gemm_pack_w_il(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel, bool signed_q8,
                       int il);
size_t el_gemm_act_bytes(uint32_t type, int64_t n);
void el_gemm_pack_a(uint32_t type, int64_t n, const void *a, void *out, bool signed_q8);

/* Upper bounds for scratch sizing (any type, any table). */
#define EL_GEMM_PANEL_MAX(n) ((size_t)(n) * 64 + 4096)
#define EL_GEMM_ACT_MAX(n) ((size_t)(n) * 4 + 4096)

/* The AVX-512 VNNI implementation (gemm_avx512.c, built on x86-64 only; kernels.c hands it out
 * only on CPUs that run it). */
extern const el_gemm el_gemm_avx512_ops;
/* The AVX2 implementation (gemm_avx2.c, likewise). */
extern const el_gemm el_gemm_avx2_ops;
/* The aarch64 implementations (gemm_neon.c, built three times; kernels.c hands each out only on
 * CPUs that run it): float types only on the armv8-a baseline, and the integer types too with
 * SDOT (neon_dotprod) and with SMMLA (neon_i8mm). */
extern const el_gemm el_gemm_neon_ops;
extern const el_gemm el_gemm_neon_dotprod_ops;
extern const el_gemm el_gemm_neon_i8mm_ops;

#endif
