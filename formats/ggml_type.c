/*
 * formats/ggml_type.c - the ggml type table (see ggml_type.h).
 *
 * Block byte sizes follow the block structs of ggml-common.h; e.g. q4_0 is an
 * fp16 scale plus 16 bytes of nibbles (18 bytes per 32 weights), q4_K is two
 * fp16 (d, dmin), 12 bytes of 6-bit scales and 128 bytes of nibbles (144 per 256).
 */
#include "formats/ggml_type.h"

#include <strings.h>

#include "core/util.h"

static const el_type_info type_table[EL_TYPE_COUNT] = {
    [EL_TYPE_F32] = {"f32", 1, 4, false},
    [EL_TYPE_F16] = {"f16", 1, 2, false},
    [EL_TYPE_Q4_0] = {"q4_0", 32, 18, true},
    [EL_TYPE_Q4_1] = {"q4_1", 32, 20, true},
    [EL_TYPE_Q5_0] = {"q5_0", 32, 22, true},
    [EL_TYPE_Q5_1] = {"q5_1", 32, 24, true},
    [EL_TYPE_Q8_0] = {"q8_0", 32, 34, true},
    [EL_TYPE_Q8_1] = {"q8_1", 32, 36, true},
    [EL_TYPE_Q2_K] = {"q2_K", 256, 84, true},
    [EL_TYPE_Q3_K] = {"q3_K", 256, 110, true},
    [EL_TYPE_Q4_K] = {"q4_K", 256, 144, true},
    [EL_TYPE_Q5_K] = {"q5_K", 256, 176, true},
    [EL_TYPE_Q6_K] = {"q6_K", 256, 210, true},
    [EL_TYPE_Q8_K] = {"q8_K", 256, 292, true},
    [EL_TYPE_IQ2_XXS] = {"iq2_xxs", 256, 66, true},
    [EL_TYPE_IQ2_XS] = {"iq2_xs", 256, 74, true},
    [EL_TYPE_IQ3_XXS] = {"iq3_xxs", 256, 98, true},
    [EL_TYPE_IQ1_S] = {"iq1_s", 256, 50, true},
    [EL_TYPE_IQ4_NL] = {"iq4_nl", 32, 18, true},
    [EL_TYPE_IQ3_S] = {"iq3_s", 256, 110, true},
    [EL_TYPE_IQ2_S] = {"iq2_s", 256, 82, true},
    [EL_TYPE_IQ4_XS] = {"iq4_xs", 256, 136, true},
    [EL_TYPE_I8] = {"i8", 1, 1, false},
    [EL_TYPE_I16] = {"i16", 1, 2, false},
    [EL_TYPE_I32] = {"i32", 1, 4, false},
    [EL_TYPE_I64] = {"i64", 1, 8, false},
    [EL_TYPE_F64] = {"f64", 1, 8, false},
    [EL_TYPE_IQ1_M] = {"iq1_m", 256, 56, true},
    [EL_TYPE_BF16] = {"bf16", 1, 2, false},
    [EL_TYPE_TQ1_0] = {"tq1_0", 256, 54, true},
    [EL_TYPE_TQ2_0] = {"tq2_0", 256, 66, true},
};

const el_type_info *el_type_get(uint32_t type)
{
    if (type >= EL_TYPE_COUNT || type_table[type].block_size == 0)
        return NULL;
    return &type_table[type];
}

const char *el_type_name(uint32_t type)
{
    const el_type_info *t = el_type_get(type);
    return t ? t->name : "unknown";
}

int el_type_from_name(const char *name)
{
    for (int i = 0; i < EL_TYPE_COUNT; i++)
        if (type_table[i].block_size && strcasecmp(type_table[i].name, name) == 0)
            return i;
    return -1;
}

bool el_type_row_bytes(uint32_t type, uint64_t n, uint64_t *bytes)
{
    const el_type_info *t = el_type_get(type);
    if (!t || n % t->block_size != 0)
        return false;
    return el_mul64(n / t->block_size, t->type_size, bytes);
}

double el_type_bpw(uint32_t type)
{
    const el_type_info *t = el_type_get(type);
    return t ? 8.0 * t->type_size / t->block_size : 0.0;
}
