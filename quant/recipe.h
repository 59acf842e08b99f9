/*
 * quant/recipe.h - which type each tensor gets: the mixes llama.cpp's llama-quantize names (Q4_K_M
 * etc.) and the fallback for rows that don't fit a type's blocks.
 *
 * The rules follow llama.cpp's llama_tensor_get_type (src/llama-quant.cpp, b4748) for the types
 * edgelm writes, so a Q4_K_M from edgelm has the same type per tensor as llama-quantize's (tested in
 * tests/test_quantize.c against a file llama-quantize made), fallbacks included: Q2_K, Q3_K and IQ4_XS
 * on rows that are not a multiple of 256 become IQ4_NL, Q4_K Q5_0, Q5_K Q5_1, Q6_K Q8_0; where
 * llama.cpp gives up (rows not a multiple of 32) edgelm writes F16.
 */
#ifndef EL_QUANT_RECIPE_H
#define EL_QUANT_RECIPE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct el_qmix {
    const char *name;   /* as llama.cpp spells it: "Q4_K_M" */
    uint32_t ftype;     /* general.file_type (LLAMA_FTYPE_MOSTLY_*) */
    uint32_t base;      /* the type most matrices get */
    const char *about;  /* one line for --help */
} el_qmix;

/* A mix by name, case-insensitive; NULL when unknown. */
const el_qmix *el_qmix_find(const char *name);
/* The table, for help texts: el_qmix_all(&n). */
const el_qmix *el_qmix_all(int *n);

/* Whether a tensor is a weight matrix that gets quantized (norms, 1-D tensors, gating stay). */
bool el_recipe_quantizable(const char *name, uint32_t n_dims);

typedef struct el_recipe {
    const el_qmix *mix;
    bool pure;          /* the base type for every matrix */
    bool has_output;    /* the model has output.weight (else token_embd is the output too) */
    bool has_imatrix;
    int n_layer;
    int n_gqa;          /* n_head / n_head_kv */
} el_recipe;

/* The type llama.cpp's recipe gives tensor `name` with rows of ne0 (before any fallback). */
uint32_t el_recipe_type(const el_recipe *r, const char *name, int64_t ne0);

/* `type` when rows of ne0 fit its blocks, else the closest type that fits (F16 at worst). */
uint32_t el_recipe_fallback(uint32_t type, int64_t ne0);

#endif
