/*
 * eval/memfit.h - the memory a model needs to run at a context of N positions on this machine
 * (`edgelm inspect MODEL --ctx N`, `report --ram`): what a device must have free.
 *
 *   weights   the model file, mapped: every tensor is read at each token, so all of it becomes
 *             resident (page cache counted in the process's RSS)
 *   context   every byte el_context_new allocates for one sequence of N positions as `run -c N`
 *             makes it (prefill batches of 512): KV cache, activations, matrix and attention scratch,
 *             logits
 *   tokenizer what loading the tokenizer made resident (measured: RSS after minus before)
 *   process   this binary's resident memory before any of it (code, libraries, OpenMP runtime)
 *
 * The sum is held to 10% of the peak RSS of `run -c N` with a prompt that fills most of the context
 * (tests/test_eval.c).
 */
#ifndef EL_EVAL_MEMFIT_H
#define EL_EVAL_MEMFIT_H

#include <stdint.h>

#include "core/error.h"

typedef struct el_memfit {
    int n_ctx, n_batch, n_threads;
    uint64_t weights, context, kv, tokenizer, process, total; /* bytes */
} el_memfit;

int el_memfit_of(const char *path, int n_ctx, el_memfit *f, el_error *err);

/* Resident bytes of this process now (/proc/self/statm; 0 when unknown). */
uint64_t el_rss_now(void);

#endif
