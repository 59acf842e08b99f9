/*
 * engine/context.h - the per-user state of inference: KV cache, scratch
 * buffers, threads; and el_decode(), the forward pass over a batch.
 *
 * A batch holds tokens of one or several sequences, each token with its
 * sequence id and position; tokens of a sequence must come in order of
 * position, continuing (or rewinding) what the cache holds for it. Weights
 * are read once per call for all tokens (decoding many prompts at once costs
 * little more than one). Logits are produced for the rows flagged in
 * `logits` (in batch order).
 *
 * All memory is allocated by el_context_new(); el_decode() allocates nothing.
 * A context is used by one thread at a time (it runs its own OpenMP team).
 */
#ifndef EL_ENGINE_CONTEXT_H
#define EL_ENGINE_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "engine/kernels/kernels.h"
#include "engine/model.h"

typedef struct el_context_params {
    int n_ctx;          /* positions per sequence (default: the model's, capped at 4096) */
    int n_seq;          /* sequences (default 1) */
    int n_batch;        /* tokens per el_decode call (default 512) */
    int n_outputs;      /* logits rows per call (default n_seq) */
    int n_threads;      /* default: cores */
    bool kv_f32;        /* f32 KV cache (default f16) */
    /*
     * Each token's arithmetic depends only on its own sequence's tokens in the batch, never on
     * which other sequences share it: a batch of several sequences runs the matrix products
     * through the per-token kernels (the packed matrix kernels, which sum in another order, are
     * used only for a batch of one sequence). Distillation needs it so that --batch 1 and
     * --batch 8 give the same bytes; it costs throughput only on mixed multi-sequence prefill.
     */
    bool batch_invariant;
    const el_kernels *kernels; /* NULL: the best for this CPU */
    /*
     * Called by every thread of the forward pass's team (thread ith of nth) before each matrix
     * product, with the T input rows (ldx floats apart) that matrix w reads: how `edgelm imatrix`
     * sees activations. first: the first matrix of those multiplied by the same rows in one call (q for
     * q, k, v; gate for gate, up; w itself otherwise), so shared inputs can be told apart. A thread
     * should touch only its share of the columns; no barrier follows. NULL: none.
     */
    void (*observe)(void *ud, const el_wmat *w, const el_wmat *first, const float *x, int ldx, int T, int ith, int nth);
    void *observe_ud;
} el_context_params;

typedef struct el_batch {
    int n;
    const int32_t *tokens;
    const int32_t *pos;
    const int32_t *seq;     /* NULL: all sequence 0 */
    const int8_t *logits;   /* NULL: logits for the last token only */
} el_batch;

typedef struct el_context el_context;

el_context_params el_context_default_params(void);
int el_context_new(el_context **out, const el_model *m, const el_context_params *p, el_error *err);
void el_context_free(el_context *c);

/* Run the batch; afterwards el_logits(c, i) is the i-th requested row (n_vocab floats). */
int el_decode(el_context *c, const el_batch *b, el_error *err);
const float *el_logits(const el_context *c, int i);
int el_n_logits(const el_context *c);

/* Forget a sequence's cache (its next token may be at position 0). */
void el_seq_clear(el_context *c, int seq);
int el_seq_len(const el_context *c, int seq);

const el_model *el_context_model(const el_context *c);
int el_context_n_ctx(const el_context *c);
int el_context_threads(const el_context *c);
uint64_t el_context_kv_bytes(const el_context *c);
/* Every byte the context allocated: KV cache, activations, matrix and attention scratch, logits. */
uint64_t el_context_bytes(const el_context *c);

#endif
