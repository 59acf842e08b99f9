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
    EL_ARCH_GEMMA3,
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

/* Where the engine keeps a tensor (engine/model.h's el_model and el_layer fields). */
typedef enum el_slot {
    EL_S_NONE = 0,
    EL_S_TOK_EMBD, EL_S_OUTPUT_NORM, EL_S_OUTPUT,
    EL_S_ATTN_NORM, EL_S_WQ, EL_S_BQ, EL_S_WK, EL_S_BK, EL_S_WV, EL_S_BV, EL_S_WQKV, EL_S_WO, EL_S_BO,
    EL_S_Q_NORM, EL_S_K_NORM, EL_S_POST_ATTN_NORM, EL_S_FFN_NORM,
    EL_S_FFN_GATE, EL_S_B_GATE, EL_S_FFN_UP, EL_S_B_UP, EL_S_FFN_DOWN, EL_S_B_DOWN, EL_S_POST_FFW_NORM,
} el_slot;

typedef struct el_tensor_tmpl {
    int group;            /* EL_T_PRE / EL_T_LAYER / EL_T_POST */
    const char *hf;       /* transformers name (printf pattern with %d for layers) */
    const char *gguf;     /* llama.cpp name (same pattern) */
    el_dim rows, cols;    /* cols == EL_DIM_1 for vectors */
    el_init init;
    unsigned cond;        /* EL_IF_*; the engine requires a tensor whose cond is 0 and loads the others when present */
    el_slot slot;         /* where the engine puts it */
} el_tensor_tmpl;

/* How convert writes the hyperparameters (the key order of llama.cpp's converter class). */
typedef enum el_hp_layout {
    EL_HP_COMMON,         /* llama, qwen2, qwen3 */
    EL_HP_PHI3,           /* context lengths first, rope.scaling.attn_factor for long RoPE */
    EL_HP_GEMMA,          /* key/value lengths always, soft-caps, sliding window */
} el_hp_layout;

typedef struct el_arch {
    el_arch_id id;
    const char *gguf_name;          /* general.architecture */
    const char *const *hf_classes;  /* NULL-terminated */
    const el_tensor_tmpl *tensors;
    int n_tensors;
    bool rope_neox;       /* rotate halves (NEOX) rather than interleaved pairs */
    bool permute_qk;      /* convert reorders Q/K rows for ggml's interleaved RoPE */
    bool norm_plus_one;   /* norm weights are stored as w, applied as 1 + w */
    /* convert */
    el_hp_layout hp_layout;
    const char *const *rope_scalings; /* rope_scaling types it converts (NULL-terminated; NULL: none) */
    bool rope_dims_of_hidden;       /* rotated dims = partial_rotary_factor * hidden_size / heads (Phi-3) */
    bool needs_head_dim;            /* config.json must give head_dim */
    bool tied_always;               /* the output is the embedding; an lm_head in the checkpoint is dropped */
    bool no_space_prefix;           /* tokenizer.ggml.add_space_prefix false (llama.cpp's Gemma converters) */
    bool vocab_size_key;            /* writes ARCH.vocab_size */
    /* forward pass features */
    int swa_period;                 /* 0: no sliding window; 1: every layer; P: layer il windowed when il % P < P - 1 */
    bool swa_rope_local;            /* windowed layers rotate with base rope.freq_base_swa and no scaling */
    bool softcaps;                  /* reads attention and final logit soft-caps */
    bool embd_scale;                /* embeddings times sqrt(n_embd) */
    bool gelu;                      /* GELU(tanh) gate; else SiLU */
    bool longrope;                  /* short / long RoPE factors by context (rope_factors_short/long) */
    int big_layers;                 /* at this layer count queries scale by 1/sqrt(n_embd / n_head) (27B) */
} el_arch;

/* Lookup by general.architecture; NULL when unsupported. */
const el_arch *el_arch_from_gguf(const char *name, size_t len);
/* Comma-separated general.architecture names (static string). */
const char *el_arch_gguf_list(void);
/* True when layer il of a model of this family attends through the sliding window. */
bool el_arch_layer_swa(const el_arch *a, int il);

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

/* The sizes a dimension is made of, from a config (convert, synth) or a GGUF's hyperparameters (engine). */
typedef struct el_dims {
    int64_t hidden, ff, vocab, n_heads, n_kv_heads, head_dim;
} el_dims;
int64_t el_dim_of(el_dim d, const el_dims *x);

/* Value of a dimension for this config. */
int64_t el_dim_value(el_dim d, const hf_config *c);

#endif
