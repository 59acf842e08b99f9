/*
 * engine/attention.h - softmax(q k^T * scale) v over the KV cache, for every
 * query head of every token of a batch (causal; optional soft-cap and
 * sliding window; grouped-query heads share their K/V head).
 *
 * Called by every thread of the forward pass's OpenMP team; returns after a
 * barrier, with all outputs written. Nothing is allocated per call.
 *
 * Two ways, one arithmetic (ggml's): with an f16 cache, q and the
 * probabilities are rounded to f16 before they meet K and V. A token decoded
 * alone (or a sequence with few tokens in the batch) walks the cache row by
 * row with the table's dot and axpy kernels; a sequence with many queries
 * (prefill) goes through the packed matrix kernels (engine/kernels/gemm.h): keys 16
 * positions at a time against up to 64 queries, then the probabilities against
 * V 16 dimensions at a time.
 */
#ifndef EL_ENGINE_ATTENTION_H
#define EL_ENGINE_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/kernels.h"

typedef struct el_attn {
    const el_kernels *k;
    int n_head, n_head_kv, head_dim;
    int kv_dim;        /* n_head_kv * head_dim: floats (or halves) per cache row */
    int n_ctx, n_seq;  /* cache rows per sequence, sequences */
    size_t kv_elt;     /* 2: f16 cache, 4: f32 */
    float scale;       /* of q.k */
    float softcap;     /* 0: none */
} el_attn;

typedef struct el_attn_scratch el_attn_scratch;

el_attn_scratch *el_attn_scratch_new(const el_attn *a, int batch, int threads);
size_t el_attn_scratch_bytes(const el_attn_scratch *s); /* what it allocated */
void el_attn_scratch_free(el_attn_scratch *s);

/*
 * One layer. kc, vc: this layer's cache, [seq][pos][kv_dim]; q: T rows of n_head * head_dim floats
 * (ldq apart); out: T rows (ldo apart); pos, seq: per token (seq NULL: all 0); n_swa: sliding
 * window of this layer (0: none).
 */
void el_attention(const el_attn *a, el_attn_scratch *s, const uint8_t *kc, const uint8_t *vc, int n_swa, const float *q,
                  int ldq, float *out, int ldo, int T, const int32_t *pos, const int32_t *seq);

#endif
