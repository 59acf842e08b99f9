/*
 * engine/model.h - a GGUF model, mapped and checked, ready for the forward pass.
 *
 * Weights are views into the mapped file (never copied); small vectors (norm
 * weights, biases, RoPE factors) are converted to f32 copies at load so the
 * forward pass reads one type. The model is read-only and may be shared by
 * any number of contexts and threads.
 */
#ifndef EL_ENGINE_MODEL_H
#define EL_ENGINE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/arch.h"
#include "formats/gguf.h"

/* A weight matrix: ne1 rows (out features) of ne0 elements (in features). */
typedef struct el_wmat {
    const uint8_t *data;  /* NULL when absent */
    uint32_t type;
    int64_t ne0, ne1;
    size_t row_bytes;
    const char *name;     /* the GGUF tensor's name (imatrix entries are keyed by it) */
} el_wmat;

typedef struct el_layer {
    const float *attn_norm;      /* [n_embd] */
    el_wmat wq, wk, wv, wqkv, wo;/* wqkv: Phi-3's fused q,k,v (then wq/wk/wv are absent) */
    const float *bq, *bk, *bv, *bo;
    const float *q_norm, *k_norm;/* Qwen3: [head_dim] */
    const float *post_attn_norm; /* Gemma 2 */
    const float *ffn_norm;       /* [n_embd] (Gemma 2: pre-feed-forward norm) */
    el_wmat ffn_gate, ffn_up, ffn_down; /* Phi-3: ffn_up holds gate then up, ffn_gate absent */
    const float *b_gate, *b_up, *b_down;
    const float *post_ffw_norm;  /* Gemma 2 */
    bool swa;                    /* this layer uses the sliding window */
} el_layer;

typedef struct el_hparams {
    int n_vocab;
    int n_embd;
    int n_layer;
    int n_ff;
    int n_head, n_head_kv;
    int head_dim;         /* key/query per head */
    int head_dim_v;
    int n_rot;            /* dims rotated by RoPE (<= head_dim) */
    bool rope_neox;       /* rotate halves (NEOX) rather than adjacent pairs */
    float rope_base;
    float rope_freq_scale;/* linear scaling: 1 / factor */
    float rope_base_swa, rope_freq_scale_swa; /* of the sliding-window layers (Gemma 3: own base, unscaled) */
    float rope_attn_factor; /* Phi-3 long-context: scales cos/sin */
    float norm_eps;
    float attn_scale;     /* softmax scale of q.k */
    float attn_softcap;   /* 0: none (Gemma 2: tanh soft-cap of scores) */
    float final_softcap;  /* 0: none (Gemma 2: of logits) */
    int n_swa;            /* sliding window (0: none) */
    float embd_scale;     /* Gemma: embeddings * sqrt(n_embd); else 1 */
    int n_ctx_train;
    int n_ctx_orig;       /* Phi-3: original context (short vs long RoPE factors) */
    bool geglu;           /* Gemma: GELU(tanh) gate; else SiLU */
} el_hparams;

typedef struct el_model {
    gguf_file *f;
    const el_arch *arch;  /* the family's row of the architecture table */
    char path[1024];
    el_hparams hp;
    el_wmat tok_embd;     /* [n_vocab rows of n_embd] */
    const float *output_norm;
    el_wmat output;       /* == tok_embd when tied */
    const float *rope_freqs;     /* Llama 3.1+: divisors per dim pair, or NULL */
    const float *rope_long, *rope_short; /* Phi-3 longrope */
    el_layer *layers;
    float **owned;        /* f32 copies to free */
    int n_owned, cap_owned;
    uint64_t n_params, weight_bytes;
} el_model;

int el_model_load(el_model **out, const char *path, el_error *err);
void el_model_free(el_model *m);

/* Bytes of weights one token's forward pass reads (every matrix once; embedding: one row). */
uint64_t el_model_bytes_per_token(const el_model *m);

#endif
