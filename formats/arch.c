/*
 * formats/arch.c - the architecture table (see arch.h).
 *
 * Tensor names on the transformers side are those of the modeling_*.py files
 * (LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM,
 * Gemma2ForCausalLM); GGUF names are llama.cpp's (gguf-py constants).
 */
#include "formats/arch.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define PRE EL_T_PRE
#define LAY EL_T_LAYER
#define POST EL_T_POST

/* Llama (SmolLM, TinyLlama, Llama 2/3, Mistral): optional q/k/v/o and MLP biases. */
static const el_tensor_tmpl llama_tensors[] = {
    {PRE, "model.embed_tokens.weight", "token_embd.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_EMBED, 0},
    {LAY, "model.layers.%d.input_layernorm.weight", "blk.%d.attn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.self_attn.q_proj.weight", "blk.%d.attn_q.weight", EL_DIM_Q, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.q_proj.bias", "blk.%d.attn_q.bias", EL_DIM_Q, EL_DIM_1, EL_INIT_BIAS, EL_IF_ATTN_BIAS},
    {LAY, "model.layers.%d.self_attn.k_proj.weight", "blk.%d.attn_k.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.k_proj.bias", "blk.%d.attn_k.bias", EL_DIM_KV, EL_DIM_1, EL_INIT_BIAS, EL_IF_ATTN_BIAS},
    {LAY, "model.layers.%d.self_attn.v_proj.weight", "blk.%d.attn_v.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.v_proj.bias", "blk.%d.attn_v.bias", EL_DIM_KV, EL_DIM_1, EL_INIT_BIAS, EL_IF_ATTN_BIAS},
    {LAY, "model.layers.%d.self_attn.o_proj.weight", "blk.%d.attn_output.weight", EL_DIM_HIDDEN, EL_DIM_Q, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.o_proj.bias", "blk.%d.attn_output.bias", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_BIAS, EL_IF_ATTN_BIAS},
    {LAY, "model.layers.%d.post_attention_layernorm.weight", "blk.%d.ffn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.mlp.gate_proj.weight", "blk.%d.ffn_gate.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.gate_proj.bias", "blk.%d.ffn_gate.bias", EL_DIM_FF, EL_DIM_1, EL_INIT_BIAS, EL_IF_MLP_BIAS},
    {LAY, "model.layers.%d.mlp.up_proj.weight", "blk.%d.ffn_up.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.up_proj.bias", "blk.%d.ffn_up.bias", EL_DIM_FF, EL_DIM_1, EL_INIT_BIAS, EL_IF_MLP_BIAS},
    {LAY, "model.layers.%d.mlp.down_proj.weight", "blk.%d.ffn_down.weight", EL_DIM_HIDDEN, EL_DIM_FF, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.down_proj.bias", "blk.%d.ffn_down.bias", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_BIAS, EL_IF_MLP_BIAS},
    {POST, "model.norm.weight", "output_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {POST, "lm_head.weight", "output.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_LINEAR, EL_IF_UNTIED},
};

/* Qwen2: q/k/v always carry biases, o_proj never. */
static const el_tensor_tmpl qwen2_tensors[] = {
    {PRE, "model.embed_tokens.weight", "token_embd.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_EMBED, 0},
    {LAY, "model.layers.%d.input_layernorm.weight", "blk.%d.attn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.self_attn.q_proj.weight", "blk.%d.attn_q.weight", EL_DIM_Q, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.q_proj.bias", "blk.%d.attn_q.bias", EL_DIM_Q, EL_DIM_1, EL_INIT_BIAS, 0},
    {LAY, "model.layers.%d.self_attn.k_proj.weight", "blk.%d.attn_k.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.k_proj.bias", "blk.%d.attn_k.bias", EL_DIM_KV, EL_DIM_1, EL_INIT_BIAS, 0},
    {LAY, "model.layers.%d.self_attn.v_proj.weight", "blk.%d.attn_v.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.v_proj.bias", "blk.%d.attn_v.bias", EL_DIM_KV, EL_DIM_1, EL_INIT_BIAS, 0},
    {LAY, "model.layers.%d.self_attn.o_proj.weight", "blk.%d.attn_output.weight", EL_DIM_HIDDEN, EL_DIM_Q, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.post_attention_layernorm.weight", "blk.%d.ffn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.mlp.gate_proj.weight", "blk.%d.ffn_gate.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.up_proj.weight", "blk.%d.ffn_up.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.down_proj.weight", "blk.%d.ffn_down.weight", EL_DIM_HIDDEN, EL_DIM_FF, EL_INIT_LINEAR, 0},
    {POST, "model.norm.weight", "output_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {POST, "lm_head.weight", "output.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_LINEAR, EL_IF_UNTIED},
};

/* Qwen3: no biases by default, RMSNorm over each head of q and k. */
static const el_tensor_tmpl qwen3_tensors[] = {
    {PRE, "model.embed_tokens.weight", "token_embd.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_EMBED, 0},
    {LAY, "model.layers.%d.input_layernorm.weight", "blk.%d.attn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.self_attn.q_proj.weight", "blk.%d.attn_q.weight", EL_DIM_Q, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.q_proj.bias", "blk.%d.attn_q.bias", EL_DIM_Q, EL_DIM_1, EL_INIT_BIAS, EL_IF_ATTN_BIAS},
    {LAY, "model.layers.%d.self_attn.k_proj.weight", "blk.%d.attn_k.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.k_proj.bias", "blk.%d.attn_k.bias", EL_DIM_KV, EL_DIM_1, EL_INIT_BIAS, EL_IF_ATTN_BIAS},
    {LAY, "model.layers.%d.self_attn.v_proj.weight", "blk.%d.attn_v.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.v_proj.bias", "blk.%d.attn_v.bias", EL_DIM_KV, EL_DIM_1, EL_INIT_BIAS, EL_IF_ATTN_BIAS},
    {LAY, "model.layers.%d.self_attn.o_proj.weight", "blk.%d.attn_output.weight", EL_DIM_HIDDEN, EL_DIM_Q, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.q_norm.weight", "blk.%d.attn_q_norm.weight", EL_DIM_HEAD, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.self_attn.k_norm.weight", "blk.%d.attn_k_norm.weight", EL_DIM_HEAD, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.post_attention_layernorm.weight", "blk.%d.ffn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.mlp.gate_proj.weight", "blk.%d.ffn_gate.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.up_proj.weight", "blk.%d.ffn_up.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.down_proj.weight", "blk.%d.ffn_down.weight", EL_DIM_HIDDEN, EL_DIM_FF, EL_INIT_LINEAR, 0},
    {POST, "model.norm.weight", "output_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {POST, "lm_head.weight", "output.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_LINEAR, EL_IF_UNTIED},
};

/* Phi-3 / Phi-3.5 / Phi-4-mini: fused qkv_proj and gate_up_proj. */
static const el_tensor_tmpl phi3_tensors[] = {
    {PRE, "model.embed_tokens.weight", "token_embd.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_EMBED, 0},
    {LAY, "model.layers.%d.input_layernorm.weight", "blk.%d.attn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.self_attn.qkv_proj.weight", "blk.%d.attn_qkv.weight", EL_DIM_QKV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.o_proj.weight", "blk.%d.attn_output.weight", EL_DIM_HIDDEN, EL_DIM_Q, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.post_attention_layernorm.weight", "blk.%d.ffn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {LAY, "model.layers.%d.mlp.gate_up_proj.weight", "blk.%d.ffn_up.weight", EL_DIM_FF2, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.down_proj.weight", "blk.%d.ffn_down.weight", EL_DIM_HIDDEN, EL_DIM_FF, EL_INIT_LINEAR, 0},
    {POST, "model.norm.weight", "output_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0},
    {POST, "lm_head.weight", "output.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_LINEAR, EL_IF_UNTIED},
};

/* Gemma 2: norms around each sub-block (pre and post), weights stored as w for 1 + w, output tied. */
static const el_tensor_tmpl gemma2_tensors[] = {
    {PRE, "model.embed_tokens.weight", "token_embd.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_EMBED, 0},
    {LAY, "model.layers.%d.input_layernorm.weight", "blk.%d.attn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM0, 0},
    {LAY, "model.layers.%d.self_attn.q_proj.weight", "blk.%d.attn_q.weight", EL_DIM_Q, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.k_proj.weight", "blk.%d.attn_k.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.v_proj.weight", "blk.%d.attn_v.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.self_attn.o_proj.weight", "blk.%d.attn_output.weight", EL_DIM_HIDDEN, EL_DIM_Q, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.post_attention_layernorm.weight", "blk.%d.post_attention_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM0, 0},
    {LAY, "model.layers.%d.pre_feedforward_layernorm.weight", "blk.%d.ffn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM0, 0},
    {LAY, "model.layers.%d.mlp.gate_proj.weight", "blk.%d.ffn_gate.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.up_proj.weight", "blk.%d.ffn_up.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.mlp.down_proj.weight", "blk.%d.ffn_down.weight", EL_DIM_HIDDEN, EL_DIM_FF, EL_INIT_LINEAR, 0},
    {LAY, "model.layers.%d.post_feedforward_layernorm.weight", "blk.%d.post_ffw_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM0, 0},
    {POST, "model.norm.weight", "output_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM0, 0},
};

static const char *const llama_classes[] = {"LlamaForCausalLM", "MistralForCausalLM", NULL};
static const char *const qwen2_classes[] = {"Qwen2ForCausalLM", NULL};
static const char *const qwen3_classes[] = {"Qwen3ForCausalLM", NULL};
static const char *const phi3_classes[] = {"Phi3ForCausalLM", NULL};
static const char *const gemma2_classes[] = {"Gemma2ForCausalLM", NULL};

static const el_arch archs[EL_ARCH_COUNT] = {
    {EL_ARCH_LLAMA, "llama", llama_classes, llama_tensors, EL_ARRAY_LEN(llama_tensors), false, true, false},
    {EL_ARCH_QWEN2, "qwen2", qwen2_classes, qwen2_tensors, EL_ARRAY_LEN(qwen2_tensors), true, false, false},
    {EL_ARCH_QWEN3, "qwen3", qwen3_classes, qwen3_tensors, EL_ARRAY_LEN(qwen3_tensors), true, false, false},
    {EL_ARCH_PHI3, "phi3", phi3_classes, phi3_tensors, EL_ARRAY_LEN(phi3_tensors), true, false, false},
    {EL_ARCH_GEMMA2, "gemma2", gemma2_classes, gemma2_tensors, EL_ARRAY_LEN(gemma2_tensors), true, false, true},
};

const el_arch *el_arch_from_hf(const char *hf_class)
{
    for (int i = 0; i < EL_ARCH_COUNT; i++)
        for (const char *const *c = archs[i].hf_classes; *c; c++)
            if (strcmp(*c, hf_class) == 0)
                return &archs[i];
    return NULL;
}

const char *el_arch_supported_list(void)
{
    return "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM, "
           "Gemma2ForCausalLM";
}

bool el_tensor_present(const el_tensor_tmpl *t, const hf_config *c)
{
    if ((t->cond & EL_IF_ATTN_BIAS) && !c->attention_bias)
        return false;
    if ((t->cond & EL_IF_MLP_BIAS) && !c->mlp_bias)
        return false;
    if ((t->cond & EL_IF_UNTIED) && c->tie_embeddings)
        return false;
    return true;
}

int64_t el_dim_value(el_dim d, const hf_config *c)
{
    switch (d) {
    case EL_DIM_1: return 1;
    case EL_DIM_HIDDEN: return c->hidden_size;
    case EL_DIM_FF: return c->intermediate_size;
    case EL_DIM_FF2: return 2 * c->intermediate_size;
    case EL_DIM_VOCAB: return c->vocab_size;
    case EL_DIM_Q: return c->n_heads * c->head_dim;
    case EL_DIM_KV: return c->n_kv_heads * c->head_dim;
    case EL_DIM_QKV: return (c->n_heads + 2 * c->n_kv_heads) * c->head_dim;
    case EL_DIM_HEAD: return c->head_dim;
    }
    return 0;
}

int el_tensor_shape(const el_tensor_tmpl *t, const hf_config *c, int64_t shape[2])
{
    shape[0] = el_dim_value(t->rows, c);
    if (t->cols == EL_DIM_1) {
        shape[1] = 1;
        return 1;
    }
    shape[1] = el_dim_value(t->cols, c);
    return 2;
}

void el_tensor_name(const char *pattern, int layer, char *buf, size_t cap)
{
    const char *p = strstr(pattern, "%d");
    if (!p) {
        snprintf(buf, cap, "%s", pattern);
        return;
    }
    snprintf(buf, cap, "%.*s%d%s", (int)(p - pattern), pattern, layer, p + 2);
}
