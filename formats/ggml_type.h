/*
 * formats/ggml_type.h - the ggml tensor types as GGUF stores them.
 *
 * Ids, names, block sizes and bytes per block are ggml's (llama.cpp build
 * 4748), for every type it defines, including ones edgelm never writes, so
 * any GGUF can be read, inspected and sized. Removed ids (4, 5, 31-33, 36-38)
 * have block_size 0: a tensor of such a type is rejected as unknown.
 *
 * Kernels and quantizers per type live in quant/ and engine/, indexed by the
 * same enum.
 */
#ifndef EL_FORMATS_GGML_TYPE_H
#define EL_FORMATS_GGML_TYPE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum el_type {
    EL_TYPE_F32 = 0,
    EL_TYPE_F16 = 1,
    EL_TYPE_Q4_0 = 2,
    EL_TYPE_Q4_1 = 3,
    EL_TYPE_Q5_0 = 6,
    EL_TYPE_Q5_1 = 7,
    EL_TYPE_Q8_0 = 8,
    EL_TYPE_Q8_1 = 9,
    EL_TYPE_Q2_K = 10,
    EL_TYPE_Q3_K = 11,
    EL_TYPE_Q4_K = 12,
    EL_TYPE_Q5_K = 13,
    EL_TYPE_Q6_K = 14,
    EL_TYPE_Q8_K = 15,
    EL_TYPE_IQ2_XXS = 16,
    EL_TYPE_IQ2_XS = 17,
    EL_TYPE_IQ3_XXS = 18,
    EL_TYPE_IQ1_S = 19,
    EL_TYPE_IQ4_NL = 20,
    EL_TYPE_IQ3_S = 21,
    EL_TYPE_IQ2_S = 22,
    EL_TYPE_IQ4_XS = 23,
    EL_TYPE_I8 = 24,
    EL_TYPE_I16 = 25,
    EL_TYPE_I32 = 26,
    EL_TYPE_I64 = 27,
    EL_TYPE_F64 = 28,
    EL_TYPE_IQ1_M = 29,
    EL_TYPE_BF16 = 30,
    EL_TYPE_TQ1_0 = 34,
    EL_TYPE_TQ2_0 = 35,
    EL_TYPE_COUNT = 39,
} el_type;

typedef struct el_type_info {
    const char *name;     /* ggml's name: "q4_K", "bf16" */
    uint32_t block_size;  /* elements per block; 0 = not a valid type */
    uint32_t type_size;   /* bytes per block */
    bool quantized;
} el_type_info;

/* Info for a type id; NULL for ids outside the table or removed. */
const el_type_info *el_type_get(uint32_t type);

/* ggml's name of a type, or "unknown" for an invalid id. */
const char *el_type_name(uint32_t type);

/* Case-insensitive lookup by name ("Q4_K", "bf16"); -1 when unknown. */
int el_type_from_name(const char *name);

/*
 * Bytes of a row of n elements: false when the type is invalid, n is not a
 * multiple of the block size, or the size overflows.
 */
bool el_type_row_bytes(uint32_t type, uint64_t n, uint64_t *bytes);

/* Bits per weight of the type (type_size * 8 / block_size). */
double el_type_bpw(uint32_t type);

#endif
