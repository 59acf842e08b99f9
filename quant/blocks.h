/*
 * quant/blocks.h - ggml block layouts, bit-compatible with ggml-common.h.
 *
 * Each struct is exactly the bytes one block occupies in a GGUF file; the
 * static_asserts keep the compiler honest about padding. "d" fields are fp16
 * (stored as uint16_t), except in Q8_K, the activation format, where d is f32.
 *
 *   type   weights  bytes  value of weight i
 *   Q4_0   32       18     d * (nibble - 8); nibble i in qs[i%16], low half first
 *   Q4_1   32       20     d * nibble + m
 *   Q5_0   32       22     d * (nibble | bit << 4) - 16d; bit i of qh (u32 LE)
 *   Q5_1   32       24     d * (nibble | bit << 4) + m
 *   Q8_0   32       34     d * qs[i]
 *   Q8_1   32       36     d * qs[i]; s = d * sum(qs) (activations for Q4_1/Q5_1)
 *   Q2_K   256      84     16 groups of 16: 4-bit scale/min per group, 2-bit quants
 *   Q3_K   256      110    16 groups of 16: 6-bit signed scales, 3-bit quants (hmask = bit 2)
 *   Q4_K   256      144    8 groups of 32: 6-bit scale and min, d*sc*q - dmin*m
 *   Q5_K   256      176    as Q4_K with a fifth bit from qh
 *   Q6_K   256      210    16 groups of 16: int8 scales, 6-bit quants - 32
 *   Q8_K   256      292    f32 d, 256 int8, int16 sums of each 16 (activations for K-quants)
 *   IQ4_NL 32       18     d * T[nibble], T the 16 non-uniform levels below; nibbles as Q4_0
 *   IQ4_XS 256      136    8 groups of 32: 6-bit scale ls (4 low bits in scales_l, 2 high in
 *                          scales_h), d * (ls - 32) * T[nibble]; each group's nibbles as Q4_0
 */
#ifndef EL_QUANT_BLOCKS_H
#define EL_QUANT_BLOCKS_H

#include <assert.h>
#include <stdint.h>

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK_K 256
#define K_SCALE_SIZE 12

typedef struct {
    uint16_t d;
    uint8_t qs[QK4_0 / 2];
} block_q4_0;
static_assert(sizeof(block_q4_0) == 18, "wrong q4_0 block size/padding");

typedef struct {
    uint16_t d, m;
    uint8_t qs[QK4_1 / 2];
} block_q4_1;
static_assert(sizeof(block_q4_1) == 20, "wrong q4_1 block size/padding");

typedef struct {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[QK5_0 / 2];
} block_q5_0;
static_assert(sizeof(block_q5_0) == 22, "wrong q5_0 block size/padding");

typedef struct {
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
} block_q5_1;
static_assert(sizeof(block_q5_1) == 24, "wrong q5_1 block size/padding");

typedef struct {
    uint16_t d;
    int8_t qs[QK8_0];
} block_q8_0;
static_assert(sizeof(block_q8_0) == 34, "wrong q8_0 block size/padding");

typedef struct {
    uint16_t d, s;
    int8_t qs[QK8_1];
} block_q8_1;
static_assert(sizeof(block_q8_1) == 36, "wrong q8_1 block size/padding");

typedef struct {
    uint8_t scales[QK_K / 16]; /* low 4 bits scale, high 4 bits min, per group of 16 */
    uint8_t qs[QK_K / 4];      /* 2-bit quants */
    uint16_t d, dmin;
} block_q2_K;
static_assert(sizeof(block_q2_K) == 84, "wrong q2_K block size/padding");

typedef struct {
    uint8_t hmask[QK_K / 8];   /* high bit of each quant */
    uint8_t qs[QK_K / 4];      /* low 2 bits */
    uint8_t scales[12];        /* 16 6-bit scales, packed */
    uint16_t d;
} block_q3_K;
static_assert(sizeof(block_q3_K) == 110, "wrong q3_K block size/padding");

typedef struct {
    uint16_t d, dmin;
    uint8_t scales[K_SCALE_SIZE]; /* 8 6-bit scales and 8 6-bit mins, packed */
    uint8_t qs[QK_K / 2];
} block_q4_K;
static_assert(sizeof(block_q4_K) == 144, "wrong q4_K block size/padding");

typedef struct {
    uint16_t d, dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
} block_q5_K;
static_assert(sizeof(block_q5_K) == 176, "wrong q5_K block size/padding");

typedef struct {
    uint8_t ql[QK_K / 2];      /* low 4 bits */
    uint8_t qh[QK_K / 4];      /* high 2 bits */
    int8_t scales[QK_K / 16];
    uint16_t d;
} block_q6_K;
static_assert(sizeof(block_q6_K) == 210, "wrong q6_K block size/padding");

typedef struct {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
} block_q8_K;
static_assert(sizeof(block_q8_K) == 292, "wrong q8_K block size/padding");

/* IQ4_NL's and IQ4_XS's levels (ggml's kvalues_iq4nl), ascending: use as
 * static const int8_t T[16] = EL_IQ4NL_VALUES; */
#define EL_IQ4NL_VALUES {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

typedef struct {
    uint16_t d;
    uint8_t qs[16];
} block_iq4_nl;
static_assert(sizeof(block_iq4_nl) == 18, "wrong iq4_nl block size/padding");

typedef struct {
    uint16_t d;
    uint16_t scales_h;         /* bits 4-5 of group j's scale at bits 2j, 2j+1 */
    uint8_t scales_l[4];       /* bits 0-3 of group j's scale: low nibble of byte j/2 for even j */
    uint8_t qs[QK_K / 2];      /* group j in qs[16j .. 16j+15] */
} block_iq4_xs;
static_assert(sizeof(block_iq4_xs) == 136, "wrong iq4_xs block size/padding");

/* Group j's stored scale (0..63; the multiplier is it minus 32) of an IQ4_XS block. */
static inline int el_iq4_xs_scale(const block_iq4_xs *b, int j)
{
    return ((b->scales_l[j / 2] >> (4 * (j % 2))) & 0xF) | (((b->scales_h >> (2 * j)) & 3) << 4);
}

/* The packed 6-bit scale j and min j of a Q4_K/Q5_K block (j = 0..7). */
static inline void el_k4_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

#endif
