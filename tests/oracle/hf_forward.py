#!/usr/bin/python3
"""Reference forward pass of a Hugging Face checkpoint, written from the
transformers modeling files' semantics (LlamaForCausalLM, Qwen2ForCausalLM,
Qwen3ForCausalLM, Phi3ForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM), in float64 numpy.

It is the independent oracle for `edgelm convert`: it reads the original
safetensors (not our GGUF) and computes next-token logits after a prompt, so
a converted file that llama.cpp runs to the same logits proves the Q/K row
permutation, norms (+1 for Gemma), biases, GQA, RoPE variants and soft-caps.

    /usr/bin/python3 tests/oracle/hf_forward.py MODEL_DIR '[1, 2, 3]'
prints {"logits": [...]} for the position after the last token.
"""
import json
import math
import os
import struct
import sys

import numpy as np


def read_safetensors(path, out):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        for name, e in header.items():
            if name == "__metadata__":
                continue
            b, end = e["data_offsets"]
            f.seek(base + b)
            raw = f.read(end - b)
            dt = e["dtype"]
            if dt == "F32":
                a = np.frombuffer(raw, dtype="<f4")
            elif dt == "F16":
                a = np.frombuffer(raw, dtype="<f2")
            elif dt == "BF16":
                a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
            elif dt == "F64":
                a = np.frombuffer(raw, dtype="<f8")
            else:
                raise ValueError(f"{name}: dtype {dt} not handled by the oracle")
            out[name] = a.astype(np.float64).reshape(e["shape"])


def load(model_dir):
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    w = {}
    idx = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(idx):
        for shard in sorted(set(json.load(open(idx))["weight_map"].values())):
            read_safetensors(os.path.join(model_dir, shard), w)
    else:
        read_safetensors(os.path.join(model_dir, "model.safetensors"), w)
    return cfg, w


def rms_norm(x, weight, eps, plus_one=False):
    y = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return y * ((1.0 + weight) if plus_one else weight)


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def inv_freq_and_scale(cfg, rot_dim, seq_len, local=False):
    """transformers' rope initialisation: default, llama3, linear, longrope. local: Gemma 3's
    sliding-window layers (rope_local_base_freq, default rope: no scaling)."""
    base = cfg.get("rope_local_base_freq", 10000.0) if local else cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (base ** (np.arange(0, rot_dim, 2, dtype=np.float64) / rot_dim))
    rs = {} if local else (cfg.get("rope_scaling") or {})
    kind = rs.get("rope_type", rs.get("type"))
    scale = 1.0
    if kind == "llama3":
        factor = rs["factor"]
        lo, hi = rs.get("low_freq_factor", 1.0), rs.get("high_freq_factor", 4.0)
        old = rs.get("original_max_position_embeddings", 8192)
        lo_wl, hi_wl = old / lo, old / hi
        wl = 2 * math.pi / inv
        inv_l = np.where(wl > lo_wl, inv / factor, inv)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wl < hi_wl) & ~(wl > lo_wl)
        inv = np.where(medium, smoothed, inv_l)
    elif kind == "linear":
        inv = inv / rs["factor"]
    elif kind in ("longrope", "su"):
        orig = cfg.get("original_max_position_embeddings", cfg["max_position_embeddings"])
        factor = cfg["max_position_embeddings"] / orig
        scale = rs.get("attention_factor") or (1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(orig)))
        ext = np.array(rs["long_factor"] if seq_len > orig else rs["short_factor"], dtype=np.float64)
        inv = 1.0 / (ext * base ** (np.arange(0, rot_dim, 2, dtype=np.float64) / rot_dim))
    elif kind not in (None, "default"):
        raise ValueError(f"rope type {kind} not handled by the oracle")
    return inv, scale


def apply_rope(x, pos, inv, scale, rot_dim):
    # x: [seq, heads, head_dim]; HF: cat(freqs, freqs), x*cos + rotate_half(x)*sin on the first rot_dim dims
    freqs = np.outer(pos, inv)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos = (np.cos(emb) * scale)[:, None, :]
    sin = (np.sin(emb) * scale)[:, None, :]
    xr, xp = x[..., :rot_dim], x[..., rot_dim:]
    return np.concatenate([xr * cos + rotate_half(xr) * sin, xp], axis=-1)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1.0 + np.exp(-x))


def forward(cfg, w, ids):
    arch = cfg["architectures"][0]
    gemma3 = arch == "Gemma3ForCausalLM"
    gemma = arch == "Gemma2ForCausalLM" or gemma3
    phi3 = arch == "Phi3ForCausalLM"
    qwen3 = arch == "Qwen3ForCausalLM"
    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = cfg.get("head_dim") or H // nh
    eps = cfg.get("rms_norm_eps", 1e-6)
    rot_dim = int(hd * cfg.get("partial_rotary_factor", 1.0))
    T = len(ids)
    pos = np.arange(T, dtype=np.float64)
    inv, rscale = inv_freq_and_scale(cfg, rot_dim, T)
    inv_local, _ = inv_freq_and_scale(cfg, rot_dim, T, local=True)
    if gemma:
        scaling = cfg.get("query_pre_attn_scalar", hd) ** -0.5
    else:
        scaling = hd ** -0.5
    attn_cap = cfg.get("attn_logit_softcapping") if gemma else None
    final_cap = cfg.get("final_logit_softcapping") if gemma else None

    def lin(x, name):
        y = x @ w[name + ".weight"].T
        if name + ".bias" in w:
            y = y + w[name + ".bias"]
        return y

    x = w["model.embed_tokens.weight"][ids]
    if gemma:
        x = x * math.sqrt(H)
    mask = np.triu(np.full((T, T), -np.inf), k=1)
    # Gemma 3: layer L is sliding when (L + 1) % sliding_window_pattern; a query then sees the keys
    # less than sliding_window positions back (transformers: tril(..., diagonal=-sliding_window) masked)
    win = cfg.get("sliding_window") or T + 1
    swa_mask = mask + np.tril(np.full((T, T), -np.inf), k=-win)
    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        sliding = gemma3 and (L + 1) % cfg.get("sliding_window_pattern", 6) != 0
        res = x
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps, gemma)
        if phi3:
            qkv = lin(h, p + "self_attn.qkv_proj")
            q, k, v = qkv[:, :nh * hd], qkv[:, nh * hd:(nh + nkv) * hd], qkv[:, (nh + nkv) * hd:]
        else:
            q, k, v = lin(h, p + "self_attn.q_proj"), lin(h, p + "self_attn.k_proj"), lin(h, p + "self_attn.v_proj")
        q = q.reshape(T, nh, hd)
        k = k.reshape(T, nkv, hd)
        v = v.reshape(T, nkv, hd)
        if qwen3 or gemma3:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps, gemma3)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps, gemma3)
        li = inv_local if sliding else inv
        q = apply_rope(q, pos, li, rscale, rot_dim)
        k = apply_rope(k, pos, li, rscale, rot_dim)
        out = np.zeros((T, nh, hd))
        for hh in range(nh):
            kv = hh // (nh // nkv)
            s = (q[:, hh, :] @ k[:, kv, :].T) * scaling
            if attn_cap:
                s = np.tanh(s / attn_cap) * attn_cap
            s = s + (swa_mask if sliding else mask)
            s = s - s.max(axis=-1, keepdims=True)
            pr = np.exp(s)
            pr = pr / pr.sum(axis=-1, keepdims=True)
            out[:, hh, :] = pr @ v[:, kv, :]
        a = lin(out.reshape(T, nh * hd), p + "self_attn.o_proj")
        if gemma:
            a = rms_norm(a, w[p + "post_attention_layernorm.weight"], eps, True)
            x = res + a
            res = x
            h = rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps, True)
        else:
            x = res + a
            res = x
            h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        if phi3:
            gu = lin(h, p + "mlp.gate_up_proj")
            ff = gu.shape[-1] // 2
            m = lin(silu(gu[:, :ff]) * gu[:, ff:], p + "mlp.down_proj")
        else:
            act = gelu_tanh if gemma else silu
            m = lin(act(lin(h, p + "mlp.gate_proj")) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
        if gemma:
            m = rms_norm(m, w[p + "post_feedforward_layernorm.weight"], eps, True)
        x = res + m
    x = rms_norm(x, w["model.norm.weight"], eps, gemma)
    head = w.get("lm_head.weight")
    if head is None or gemma:
        head = w["model.embed_tokens.weight"]
    logits = x[-1] @ head.T
    if final_cap:
        logits = np.tanh(logits / final_cap) * final_cap
    return logits


def main():
    cfg, w = load(sys.argv[1])
    ids = json.loads(sys.argv[2])
    logits = forward(cfg, w, np.array(ids, dtype=np.int64))
    json.dump({"logits": [float(v) for v in logits]}, sys.stdout)


main()
