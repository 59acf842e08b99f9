/*
 * formats/hf_config.h - a Hugging Face config.json read into typed hyperparameters.
 *
 * Defaults follow transformers' configuration classes for each model_type
 * (e.g. head_dim = hidden_size / num_attention_heads when absent,
 * num_key_value_heads = num_attention_heads). The parsed JSON is kept so
 * architecture-specific fields (rope_scaling, soft-caps) can be read later.
 */
#ifndef EL_FORMATS_HF_CONFIG_H
#define EL_FORMATS_HF_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef struct hf_config {
    json_t *root;              /* the whole document (owned) */
    char path[1024];           /* where it was read from */
    char arch[128];            /* architectures[0], e.g. "LlamaForCausalLM" */
    char model_type[64];       /* "llama", "qwen2", ... ("" when absent) */
    char torch_dtype[32];      /* "bfloat16" ... ("" when absent) */
    int64_t hidden_size;       /* d_model */
    int64_t intermediate_size; /* FFN width */
    int64_t n_layers;          /* num_hidden_layers */
    int64_t n_heads;           /* num_attention_heads */
    int64_t n_kv_heads;        /* num_key_value_heads (GQA), defaults to n_heads */
    int64_t head_dim;          /* defaults to hidden_size / n_heads */
    int64_t vocab_size;
    int64_t max_positions;     /* max_position_embeddings (0 when absent) */
    double norm_eps;           /* rms_norm_eps */
    double rope_theta;         /* default 10000 */
    double init_range;         /* initializer_range, default 0.02 */
    bool tie_embeddings;       /* tie_word_embeddings */
    bool attention_bias;       /* llama: q/k/v/o biases */
    bool mlp_bias;             /* llama: gate/up/down biases */
    int64_t bos_id, eos_id;    /* -1 when absent (first id when a list) */
} hf_config;

/* Read and validate `path` (a config.json). On failure c->root is NULL. */
int hf_config_load(hf_config *c, const char *path, el_error *err);
/* Same, from a JSON object already parsed (borrowed: a reference is taken). */
int hf_config_from_json(hf_config *c, json_t *root, const char *path, el_error *err);
void hf_config_free(hf_config *c);

#endif
