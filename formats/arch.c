/*
 * formats/arch.c - the architecture table (see arch.h).
 *
 * Tensor names on the transformers side are those of the modeling_*.py files
 * (LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM,
 * Gemma2ForCausalLM, Gemma3ForCausalLM); GGUF names are llama.cpp's (gguf-py constants).
 */
#include "formats/arch.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define PRE EL_T_PRE
#define LAY EL_T_LAYER
#define POST EL_T_POST

/*
 * The rows the families share, named by the slot they fill (a family's list below gives its order,
 * which is the GGUF's tensor order). A row that differs between families takes what differs: the
 * norms their init (Gemma stores w for 1 + w: EL_INIT_NORM0), the q/k/v biases their condition
 * (Qwen2 always has them).
 */
#define TOK_EMBD {PRE, "model.embed_tokens.weight", "token_embd.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_EMBED, 0, EL_S_TOK_EMBD}
#define ATTN_NORM(init) {LAY, "model.layers.%d.input_layernorm.weight", "blk.%d.attn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, init, 0, EL_S_ATTN_NORM}
#define WQ {LAY, "model.layers.%d.self_attn.q_proj.weight", "blk.%d.attn_q.weight", EL_DIM_Q, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0, EL_S_WQ}
#define BQ(cond) {LAY, "model.layers.%d.self_attn.q_proj.bias", "blk.%d.attn_q.bias", EL_DIM_Q, EL_DIM_1, EL_INIT_BIAS, cond, EL_S_BQ}
#define WK {LAY, "model.layers.%d.self_attn.k_proj.weight", "blk.%d.attn_k.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0, EL_S_WK}
#define BK(cond) {LAY, "model.layers.%d.self_attn.k_proj.bias", "blk.%d.attn_k.bias", EL_DIM_KV, EL_DIM_1, EL_INIT_BIAS, cond, EL_S_BK}
#define WV {LAY, "model.layers.%d.self_attn.v_proj.weight", "blk.%d.attn_v.weight", EL_DIM_KV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0, EL_S_WV}
#define BV(cond) {LAY, "model.layers.%d.self_attn.v_proj.bias", "blk.%d.attn_v.bias", EL_DIM_KV, EL_DIM_1, EL_INIT_BIAS, cond, EL_S_BV}
#define WO {LAY, "model.layers.%d.self_attn.o_proj.weight", "blk.%d.attn_output.weight", EL_DIM_HIDDEN, EL_DIM_Q, EL_INIT_LINEAR, 0, EL_S_WO}
#define Q_NORM(init) {LAY, "model.layers.%d.self_attn.q_norm.weight", "blk.%d.attn_q_norm.weight", EL_DIM_HEAD, EL_DIM_1, init, 0, EL_S_Q_NORM}
#define K_NORM(init) {LAY, "model.layers.%d.self_attn.k_norm.weight", "blk.%d.attn_k_norm.weight", EL_DIM_HEAD, EL_DIM_1, init, 0, EL_S_K_NORM}
/* the norm before the MLP: Llama's post_attention_layernorm (Gemma has one of that name after attention, and a pre_feedforward one) */
#define FFN_NORM {LAY, "model.layers.%d.post_attention_layernorm.weight", "blk.%d.ffn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM, 0, EL_S_FFN_NORM}
#define FFN_GATE {LAY, "model.layers.%d.mlp.gate_proj.weight", "blk.%d.ffn_gate.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0, EL_S_FFN_GATE}
#define FFN_UP {LAY, "model.layers.%d.mlp.up_proj.weight", "blk.%d.ffn_up.weight", EL_DIM_FF, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0, EL_S_FFN_UP}
#define FFN_DOWN {LAY, "model.layers.%d.mlp.down_proj.weight", "blk.%d.ffn_down.weight", EL_DIM_HIDDEN, EL_DIM_FF, EL_INIT_LINEAR, 0, EL_S_FFN_DOWN}
#define OUTPUT_NORM(init) {POST, "model.norm.weight", "output_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, init, 0, EL_S_OUTPUT_NORM}
#define OUTPUT {POST, "lm_head.weight", "output.weight", EL_DIM_VOCAB, EL_DIM_HIDDEN, EL_INIT_LINEAR, EL_IF_UNTIED, EL_S_OUTPUT}
/* Gemma's norms around each sub-block */
#define GEMMA_POST_ATTN_NORM {LAY, "model.layers.%d.post_attention_layernorm.weight", "blk.%d.post_attention_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM0, 0, EL_S_POST_ATTN_NORM}
#define GEMMA_FFN_NORM {LAY, "model.layers.%d.pre_feedforward_layernorm.weight", "blk.%d.ffn_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM0, 0, EL_S_FFN_NORM}
#define GEMMA_POST_FFW_NORM {LAY, "model.layers.%d.post_feedforward_layernorm.weight", "blk.%d.post_ffw_norm.weight", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_NORM0, 0, EL_S_POST_FFW_NORM}

/* Llama (SmolLM, TinyLlama, Llama 2/3, Mistral): optional q/k/v/o and MLP biases. */
static const el_tensor_tmpl llama_tensors[] = {
    TOK_EMBD,
    ATTN_NORM(EL_INIT_NORM),
    WQ, BQ(EL_IF_ATTN_BIAS), WK, BK(EL_IF_ATTN_BIAS), WV, BV(EL_IF_ATTN_BIAS), WO,
    {LAY, "model.layers.%d.self_attn.o_proj.bias", "blk.%d.attn_output.bias", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_BIAS, EL_IF_ATTN_BIAS, EL_S_BO},
    FFN_NORM,
    FFN_GATE,
    {LAY, "model.layers.%d.mlp.gate_proj.bias", "blk.%d.ffn_gate.bias", EL_DIM_FF, EL_DIM_1, EL_INIT_BIAS, EL_IF_MLP_BIAS, EL_S_B_GATE},
    FFN_UP,
    {LAY, "model.layers.%d.mlp.up_proj.bias", "blk.%d.ffn_up.bias", EL_DIM_FF, EL_DIM_1, EL_INIT_BIAS, EL_IF_MLP_BIAS, EL_S_B_UP},
    FFN_DOWN,
    {LAY, "model.layers.%d.mlp.down_proj.bias", "blk.%d.ffn_down.bias", EL_DIM_HIDDEN, EL_DIM_1, EL_INIT_BIAS, EL_IF_MLP_BIAS, EL_S_B_DOWN},
    OUTPUT_NORM(EL_INIT_NORM),
    OUTPUT,
};

/* Qwen2: q/k/v always carry biases, o_proj never. */
static const el_tensor_tmpl qwen2_tensors[] = {
    TOK_EMBD,
    ATTN_NORM(EL_INIT_NORM),
    WQ, BQ(EL_IF_ALWAYS), WK, BK(EL_IF_ALWAYS), WV, BV(EL_IF_ALWAYS), WO,
    FFN_NORM,
    FFN_GATE, FFN_UP, FFN_DOWN,
    OUTPUT_NORM(EL_INIT_NORM),
    OUTPUT,
};

/* Qwen3: no biases by default, RMSNorm over each head of q and k. */
static const el_tensor_tmpl qwen3_tensors[] = {
    TOK_EMBD,
    ATTN_NORM(EL_INIT_NORM),
    WQ, BQ(EL_IF_ATTN_BIAS), WK, BK(EL_IF_ATTN_BIAS), WV, BV(EL_IF_ATTN_BIAS), WO,
    Q_NORM(EL_INIT_NORM), K_NORM(EL_INIT_NORM),
    FFN_NORM,
    FFN_GATE, FFN_UP, FFN_DOWN,
    OUTPUT_NORM(EL_INIT_NORM),
    OUTPUT,
};

/* Phi-3 / Phi-3.5 / Phi-4-mini: fused qkv_proj and gate_up_proj. */
static const el_tensor_tmpl phi3_tensors[] = {
    TOK_EMBD,
    ATTN_NORM(EL_INIT_NORM),
    {LAY, "model.layers.%d.self_attn.qkv_proj.weight", "blk.%d.attn_qkv.weight", EL_DIM_QKV, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0, EL_S_WQKV},
    WO,
    FFN_NORM,
    {LAY, "model.layers.%d.mlp.gate_up_proj.weight", "blk.%d.ffn_up.weight", EL_DIM_FF2, EL_DIM_HIDDEN, EL_INIT_LINEAR, 0, EL_S_FFN_UP},
    FFN_DOWN,
    OUTPUT_NORM(EL_INIT_NORM),
    OUTPUT,
};

/* Gemma 2: norms around each sub-block (pre and post), weights stored as w for 1 + w, output tied. */
static const el_tensor_tmpl gemma2_tensors[] = {
    TOK_EMBD,
    ATTN_NORM(EL_INIT_NORM0),
    WQ, WK, WV, WO,
    GEMMA_POST_ATTN_NORM,
    GEMMA_FFN_NORM,
    FFN_GATE, FFN_UP, FFN_DOWN,
    GEMMA_POST_FFW_NORM,
    OUTPUT_NORM(EL_INIT_NORM0),
};

/* Gemma 3 (text): Gemma 2's tensors and RMSNorm over each head of q and k (stored as w for 1 + w). */
static const el_tensor_tmpl gemma3_tensors[] = {
    TOK_EMBD,
    ATTN_NORM(EL_INIT_NORM0),
    WQ, WK, WV, WO,
    Q_NORM(EL_INIT_NORM0), K_NORM(EL_INIT_NORM0),
    GEMMA_POST_ATTN_NORM,
    GEMMA_FFN_NORM,
    FFN_GATE, FFN_UP, FFN_DOWN,
    GEMMA_POST_FFW_NORM,
    OUTPUT_NORM(EL_INIT_NORM0),
};

static const char *const llama_classes[] = {"LlamaForCausalLM", "MistralForCausalLM", NULL};
static const char *const qwen2_classes[] = {"Qwen2ForCausalLM", NULL};
static const char *const qwen3_classes[] = {"Qwen3ForCausalLM", NULL};
static const char *const phi3_classes[] = {"Phi3ForCausalLM", NULL};
static const char *const gemma2_classes[] = {"Gemma2ForCausalLM", NULL};
static const char *const gemma3_classes[] = {"Gemma3ForCausalLM", NULL};

static const char *const llama_ropes[] = {"llama3", "linear", NULL};
static const char *const qwen_ropes[] = {"yarn", NULL};
static const char *const phi3_ropes[] = {"longrope", "su", NULL};
static const char *const gemma3_ropes[] = {"linear", NULL};

static const el_arch archs[EL_ARCH_COUNT] = {
    {.id = EL_ARCH_LLAMA, .gguf_name = "llama", .hf_classes = llama_classes, .tensors = llama_tensors,
     .n_tensors = EL_ARRAY_LEN(llama_tensors), .permute_qk = true, .hp_layout = EL_HP_COMMON,
     .rope_scalings = llama_ropes, .vocab_size_key = true},
    {.id = EL_ARCH_QWEN2, .gguf_name = "qwen2", .hf_classes = qwen2_classes, .tensors = qwen2_tensors,
     .n_tensors = EL_ARRAY_LEN(qwen2_tensors), .rope_neox = true, .hp_layout = EL_HP_COMMON, .rope_scalings = qwen_ropes},
    {.id = EL_ARCH_QWEN3, .gguf_name = "qwen3", .hf_classes = qwen3_classes, .tensors = qwen3_tensors,
     .n_tensors = EL_ARRAY_LEN(qwen3_tensors), .rope_neox = true, .hp_layout = EL_HP_COMMON, .rope_scalings = qwen_ropes},
    {.id = EL_ARCH_PHI3, .gguf_name = "phi3", .hf_classes = phi3_classes, .tensors = phi3_tensors,
     .n_tensors = EL_ARRAY_LEN(phi3_tensors), .rope_neox = true, .hp_layout = EL_HP_PHI3, .rope_scalings = phi3_ropes,
     .rope_dims_of_hidden = true, .swa_period = 1, .longrope = true},
    {.id = EL_ARCH_GEMMA2, .gguf_name = "gemma2", .hf_classes = gemma2_classes, .tensors = gemma2_tensors,
     .n_tensors = EL_ARRAY_LEN(gemma2_tensors), .rope_neox = true, .norm_plus_one = true, .hp_layout = EL_HP_GEMMA,
     .needs_head_dim = true, .tied_always = true, .no_space_prefix = true, .swa_period = 2,
     .softcaps = true, .embd_scale = true, .gelu = true, .big_layers = 46},
    /* five windowed layers to one global; the windowed ones rotate with their own base and unscaled */
    {.id = EL_ARCH_GEMMA3, .gguf_name = "gemma3", .hf_classes = gemma3_classes, .tensors = gemma3_tensors,
     .n_tensors = EL_ARRAY_LEN(gemma3_tensors), .rope_neox = true, .norm_plus_one = true, .hp_layout = EL_HP_GEMMA,
     .rope_scalings = gemma3_ropes, .needs_head_dim = true, .tied_always = true, .no_space_prefix = true, .swa_period = 6,
     .swa_rope_local = true, .embd_scale = true, .gelu = true, .big_layers = 62},
};

const el_arch *el_arch_from_gguf(const char *name, size_t len)
{
    for (int i = 0; i < EL_ARCH_COUNT; i++)
        if (strlen(archs[i].gguf_name) == len && memcmp(archs[i].gguf_name, name, len) == 0)
            return &archs[i];
    return NULL;
}

const char *el_arch_gguf_list(void) { return "llama, qwen2, qwen3, phi3, gemma2, gemma3"; }

bool el_arch_layer_swa(const el_arch *a, int il)
{
    return a->swa_period == 1 || (a->swa_period > 1 && il % a->swa_period < a->swa_period - 1);
}

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
           "Gemma2ForCausalLM, Gemma3ForCausalLM";
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

int64_t el_dim_of(el_dim d, const el_dims *x)
{
    switch (d) {
    case EL_DIM_1: return 1;
    case EL_DIM_HIDDEN: return x->hidden;
    case EL_DIM_FF: return x->ff;
    case EL_DIM_FF2: return 2 * x->ff;
    case EL_DIM_VOCAB: return x->vocab;
    case EL_DIM_Q: return x->n_heads * x->head_dim;
    case EL_DIM_KV: return x->n_kv_heads * x->head_dim;
    case EL_DIM_QKV: return (x->n_heads + 2 * x->n_kv_heads) * x->head_dim;
    case EL_DIM_HEAD: return x->head_dim;
    }
    return 0;
}

int64_t el_dim_value(el_dim d, const hf_config *c)
{
    const el_dims x = {c->hidden_size, c->intermediate_size, c->vocab_size, c->n_heads, c->n_kv_heads, c->head_dim};
    return el_dim_of(d, &x);
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
