/*
 * formats/arch.h - the architecture table: what differs between model families
 * as data, read by synth, convert and the engine.
 *
 * For each family: the Hugging Face class names that map to it, the GGUF
 * architecture name, and every tensor with its transformers name, its GGUF
 * name, its shape in terms of the config, how synth initialises it, and when
 * it is present (biases, untied output).
 *
 * Shapes are in PyTorch order: {rows (out features), columns (in features)};
 * GGUF stores the same bytes with ne[0] = columns.
 */
#ifndef EL_FORMATS_ARCH_H
#define EL_FORMATS_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/hf_config.h"

typedef enum el_arch_id {
    EL_ARCH_LLAMA,
    EL_ARCH_QWEN2,
    EL_ARCH_QWEN3,
    EL_ARCH_PHI3,
    EL_ARCH_GEMMA2,
    EL_ARCH_COUNT
} el_arch_id;

/* A dimension expressed through the config. */
typedef enum el_dim {
    EL_DIM_1 = 0,     /* absent (1-D tensors) */
    EL_DIM_HIDDEN,    /* hidden_size */
    EL_DIM_FF,        /* intermediate_size */
    EL_DIM_FF2,       /* 2 * intermediate_size (fused gate+up) */
    EL_DIM_VOCAB,     /* vocab_size */
    EL_DIM_Q,         /* n_heads * head_dim */
    EL_DIM_KV,        /* n_kv_heads * head_dim */
    EL_DIM_QKV,       /* (n_heads + 2 n_kv_heads) * head_dim (fused q,k,v) */
    EL_DIM_HEAD,      /* head_dim */
} el_dim;

/* How synth fills a tensor. */
typedef enum el_init {
    EL_INIT_LINEAR,   /* normal(0, initializer_range), a few outlier input columns */
    EL_INIT_EMBED,    /* normal(0, initializer_range) */
    EL_INIT_NORM,     /* near 1 (weight multiplies) */
    EL_INIT_NORM0,    /* near 0 (Gemma stores w and applies 1 + w) */
    EL_INIT_BIAS,     /* normal(0, 0.1): large enough that a dropped bias shows in logits */
} el_init;

enum {
    EL_T_PRE = 0,     /* group: before the layers */
    EL_T_LAYER = 1,   /* group: once per layer, names contain %d */
    EL_T_POST = 2,    /* group: after the layers */
};

enum {
    EL_IF_ALWAYS = 0,
    EL_IF_ATTN_BIAS = 1,  /* only when config.attention_bias */
    EL_IF_MLP_BIAS = 2,   /* only when config.mlp_bias */
    EL_IF_UNTIED = 4,     /* only when embeddings are not tied */
};

typedef struct el_tensor_tmpl {
    int group;            /* EL_T_PRE / EL_T_LAYER / EL_T_POST */
    const char *hf;       /* transformers name (printf pattern with %d for layers) */
    const char *gguf;     /* llama.cpp name (same pattern) */
    el_dim rows, cols;    /* cols == EL_DIM_1 for vectors */
    el_init init;
    unsigned cond;        /* EL_IF_* */
} el_tensor_tmpl;

typedef struct el_arch {
    el_arch_id id;
    const char *gguf_name;          /* general.architecture */
    const char *const *hf_classes;  /* NULL-terminated */
    const el_tensor_tmpl *tensors;
    int n_tensors;
    bool rope_neox;       /* rotate halves (NEOX) rather than interleaved pairs */
    bool permute_qk;      /* convert reorders Q/K rows for ggml's interleaved RoPE */
    bool norm_plus_one;   /* norm weights are stored as w, applied as 1 + w */
} el_arch;

/* Lookup by the config's architectures[0]; NULL when unsupported. */
const el_arch *el_arch_from_hf(const char *hf_class);
/* Comma-separated list of supported class names (static string). */
const char *el_arch_supported_list(void);

/* True when template t exists for this config. */
bool el_tensor_present(const el_tensor_tmpl *t, const hf_config *c);

/* Shape of t for this config in PyTorch order; returns n_dims (1 or 2). */
int el_tensor_shape(const el_tensor_tmpl *t, const hf_config *c, int64_t shape[2]);

/*
 * Expand a name pattern: the first "%d" becomes `layer`. Patterns are table
 * data, not printf formats (a literal-only substitution keeps -Wformat honest).
 */
void el_tensor_name(const char *pattern, int layer, char *buf, size_t cap);

/* Value of a dimension for this config. */
int64_t el_dim_value(el_dim d, const hf_config *c);

#endif
