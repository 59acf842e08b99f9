/*
 * tests/evalref.h - an evaluation oracle for the tests, written apart from eval/: one sequence at a
 * time, logits for every position, log-softmax in double. tests/test_quantize.c measures quantization
 * with it, and tests/test_eval.c puts `edgelm eval` against it.
 */
#ifndef EL_TESTS_EVALREF_H
#define EL_TESTS_EVALREF_H

#include <stdbool.h>
#include <stdint.h>

/* The header and tokens of a llama.cpp logits file (chunk starts set to BOS, as llama-perplexity runs them). */
typedef struct {
    int n_ctx, n_vocab, n_chunk;
    int32_t *tokens;
} er_kld_tokens;

bool er_read_kld_tokens(const char *path, er_kld_tokens *k);

/* log-softmax of every scored position (positions n_ctx/2 .. n_ctx-2 of each chunk predict the next
 * token; n_scored x n_vocab, malloc'd) and the perplexity. */
float *er_score(const char *gguf, const er_kld_tokens *k, double *ppl, int *n_scored);

/* Mean KL(base || q) over the scored positions, from full log-softmax rows. */
double er_mean_kld(const float *base, const float *q, int ns, int V);

/* Sum of log p(continuation | context) with the model's tokenizer, lm-evaluation-harness's way: the
 * continuation's tokens are tokenize(context + continuation) after tokenize(context); BOS first when
 * the model adds one; one sequence per call from an empty cache. */
double er_loglik(const char *gguf, const char *context, const char *continuation);

/* log-softmax at every position of one sequence (n x n_vocab, malloc'd), decoded alone from an empty cache. */
float *er_seq_logsoftmax(const char *gguf, const int32_t *ids, int n, int *n_vocab);

#endif
