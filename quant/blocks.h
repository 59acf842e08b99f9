/*
 * quant/blocks.h - ggml block layouts, bit-compatible with ggml-common.h.
 *
 * Each struct is exactly the bytes one block occupies in a GGUF file; the
 * static_asserts keep the compiler honest about padding.
 */
#ifndef EL_QUANT_BLOCKS_H
#define EL_QUANT_BLOCKS_H

#include <assert.h>
#include <stdint.h>

#define QK8_0 32

/* Q8_0: 32 weights = fp16 scale d + 32 signed bytes; w = d * q. 8.5 bits per weight. */
typedef struct {
    uint16_t d;          /* fp16 */
    int8_t qs[QK8_0];
} block_q8_0;
static_assert(sizeof(block_q8_0) == 2 + QK8_0, "wrong q8_0 block size/padding");

#endif
