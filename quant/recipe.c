/*
 * quant/recipe.c - the mixes (see recipe.h). Comments name the llama.cpp rule each line follows.
 */
#include "quant/recipe.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "formats/ggml_type.h"

static const el_qmix mixes[] = {
    {"F32", 0, EL_TYPE_F32, "32-bit float"},
    {"F16", 1, EL_TYPE_F16, "16-bit float"},
    {"BF16", 32, EL_TYPE_BF16, "bfloat16"},
    {"Q8_0", 7, EL_TYPE_Q8_0, "8.5 bits/weight, near-lossless"},
    {"Q6_K", 18, EL_TYPE_Q6_K, "6.56 bits/weight"},
    {"Q5_K_M", 17, EL_TYPE_Q5_K, "Q5_K, attn_v/ffn_down partly Q6_K"},
    {"Q5_K_S", 16, EL_TYPE_Q5_K, "Q5_K throughout"},
    {"Q5_1", 9, EL_TYPE_Q5_1, "6 bits/weight, legacy"},
    {"Q5_0", 8, EL_TYPE_Q5_0, "5.5 bits/weight, legacy"},
    {"Q4_K_M", 15, EL_TYPE_Q4_K, "Q4_K, attn_v/ffn_down partly Q6_K (the usual choice)"},
    {"Q4_K_S", 14, EL_TYPE_Q4_K, "Q4_K, a few Q5_K"},
    {"Q4_1", 3, EL_TYPE_Q4_1, "5 bits/weight, legacy"},
    {"Q4_0", 2, EL_TYPE_Q4_0, "4.5 bits/weight, legacy"},
    {"IQ4_NL", 25, EL_TYPE_IQ4_NL, "4.5 bits/weight, non-uniform levels, 32-weight blocks"},
    {"IQ4_XS", 30, EL_TYPE_IQ4_XS, "4.25 bits/weight, non-uniform levels, 256-weight super-blocks"},
    {"Q3_K_L", 13, EL_TYPE_Q3_K, "Q3_K, attn_v/ffn_down/attn_output Q5_K"},
    {"Q3_K_M", 12, EL_TYPE_Q3_K, "Q3_K, attn_v/ffn_down/attn_output Q4_K-Q5_K"},
    {"Q3_K_S", 11, EL_TYPE_Q3_K, "Q3_K throughout"},
    {"Q2_K", 10, EL_TYPE_Q2_K, "Q2_K, attn_v/ffn_down/attn_output Q3_K-Q4_K"},
    {"Q2_K_S", 21, EL_TYPE_Q2_K, "Q2_K, smaller"},
};

const el_qmix *el_qmix_find(const char *name)
{
    for (size_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++)
        if (strcasecmp(name, mixes[i].name) == 0)
            return &mixes[i];
    return NULL;
}

const el_qmix *el_qmix_all(int *n)
{
    *n = (int)(sizeof mixes / sizeof mixes[0]);
    return mixes;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* llama_model_quantize_impl: names ending in "weight", 2-D or more, not norms, not MoE gates or position tables */
bool el_recipe_quantizable(const char *name, uint32_t n_dims)
{
    return ends_with(name, "weight") && n_dims >= 2 && !strstr(name, "_norm.weight") && !strstr(name, "ffn_gate_inp.weight") &&
           strcmp(name, "position_embd.weight") != 0 && strcmp(name, "token_types.weight") != 0;
}

/* use_more_bits: the first and last eighth of the layers, and every third one between */
static bool more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

static int layer_of(const char *name)
{
    int i = -1;
    if (sscanf(name, "blk.%d.", &i) != 1)
        return -1;
    return i;
}

uint32_t el_recipe_type(const el_recipe *r, const char *name, int64_t ne0)
{
    const uint32_t base = r->mix->base, ft = r->mix->ftype;
    const el_type_info *bi = el_type_get(base);
    if (r->pure || !bi->quantized)
        return base;
    const int il = layer_of(name), nl = r->n_layer;
    enum { Q2_K = 10, Q3_K_M = 12, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_M = 17, Q2_K_S = 21, Q4_0 = 2, Q5_0 = 8, IQ4_NL = 25,
           IQ4_XS = 30 }; /* general.file_type */
    const bool iq4 = ft == IQ4_NL || ft == IQ4_XS;
    /* the output matrix (or the token embeddings that double as it): Q6_K, or Q8_0 if rows don't fit */
    if (strcmp(name, "output.weight") == 0 || (!r->has_output && strcmp(name, "token_embd.weight") == 0)) {
        if (ne0 % (int64_t)bi->block_size != 0)
            return EL_TYPE_Q8_0;
        return base == EL_TYPE_Q8_0 ? base : EL_TYPE_Q6_K;
    }
    if (strstr(name, "attn_v.weight")) {
        if (ft == Q2_K)
            return r->n_gqa >= 4 ? EL_TYPE_Q4_K : EL_TYPE_Q3_K;
        if (ft == Q2_K_S && r->n_gqa >= 4)
            return EL_TYPE_Q4_K;
        if (ft == Q3_K_M)
            return il < 2 ? EL_TYPE_Q5_K : EL_TYPE_Q4_K;
        if (ft == Q3_K_L)
            return EL_TYPE_Q5_K;
        if (iq4 && r->n_gqa >= 4)
            return EL_TYPE_Q5_K;
        if ((ft == Q4_K_M || ft == Q5_K_M) && more_bits(il, nl))
            return EL_TYPE_Q6_K;
        if (ft == Q4_K_S && il < 4)
            return EL_TYPE_Q5_K;
        return base;
    }
    if (strstr(name, "ffn_down")) {
        if (ft == Q2_K)
            return EL_TYPE_Q3_K;
        if (ft == Q2_K_S)
            return il < nl / 8 ? EL_TYPE_Q4_K : base;
        if (ft == Q3_K_M)
            return il < nl / 16 ? EL_TYPE_Q5_K : EL_TYPE_Q4_K; /* the Falcon-only Q3_K branch does not apply */
        if (ft == Q3_K_L)
            return EL_TYPE_Q5_K;
        if (ft == Q4_K_M)
            return more_bits(il, nl) ? EL_TYPE_Q6_K : base;
        if (iq4 && il < nl / 8 && !r->has_imatrix)
            return EL_TYPE_Q5_K;
        if (ft == Q5_K_M && more_bits(il, nl))
            return EL_TYPE_Q6_K;
        if (ft == Q4_K_S && il < nl / 8)
            return EL_TYPE_Q5_K;
        if ((ft == Q4_0 || ft == Q5_0) && r->has_imatrix && il < nl / 8) /* "guard against craziness" in early ffn_down */
            return ft == Q4_0 ? EL_TYPE_Q4_1 : EL_TYPE_Q5_1;
        return base;
    }
    if (strstr(name, "attn_output.weight")) {
        if (ft == Q2_K)
            return EL_TYPE_Q3_K;
        if (ft == Q3_K_M)
            return EL_TYPE_Q4_K;
        if (ft == Q3_K_L)
            return EL_TYPE_Q5_K;
        return base;
    }
    if (strstr(name, "attn_qkv.weight")) {
        if (ft == Q3_K_M || ft == Q3_K_L)
            return EL_TYPE_Q4_K;
        if (ft == Q4_K_M)
            return EL_TYPE_Q5_K;
        if (ft == Q5_K_M)
            return EL_TYPE_Q6_K;
    }
    return base;
}

uint32_t el_recipe_fallback(uint32_t type, int64_t ne0)
{
    const el_type_info *ti = el_type_get(type);
    if (ne0 % (int64_t)ti->block_size == 0)
        return type;
    uint32_t t;
    switch (type) {
    case EL_TYPE_Q4_K: t = EL_TYPE_Q5_0; break; /* llama.cpp's choices, at least the bits per weight asked for */
    case EL_TYPE_Q5_K: t = EL_TYPE_Q5_1; break;
    case EL_TYPE_Q6_K: t = EL_TYPE_Q8_0; break;
    case EL_TYPE_Q2_K:
    case EL_TYPE_Q3_K:
    case EL_TYPE_IQ4_XS: t = EL_TYPE_IQ4_NL; break;
    default: t = EL_TYPE_F16; break;
    }
    return ne0 % (int64_t)el_type_get(t)->block_size == 0 ? t : EL_TYPE_F16;
}
