/*
 * engine/sampler.h - choosing the next token from logits.
 *
 * The chain, in llama.cpp's default order: repetition penalty over the last
 * repeat_last_n tokens, top-k, top-p and min-p (thresholds on the
 * distribution at temperature 1), then temperature, then a draw. temp <= 0
 * is greedy. The random state lives in the sampler, seeded explicitly, so the
 * same seed gives the same tokens on every machine and thread count.
 */
#ifndef EL_ENGINE_SAMPLER_H
#define EL_ENGINE_SAMPLER_H

#include <stdint.h>

typedef struct el_sampler_params {
    float temp;            /* <= 0: greedy */
    int top_k;             /* <= 0: off */
    float top_p;           /* >= 1: off */
    float min_p;           /* <= 0: off */
    float repeat_penalty;  /* 1: off */
    int repeat_last_n;
    uint64_t seed;
} el_sampler_params;

typedef struct el_sampler el_sampler;

el_sampler_params el_sampler_default_params(void);
/* NULL on OOM. */
el_sampler *el_sampler_new(const el_sampler_params *p, int n_vocab);
void el_sampler_free(el_sampler *s);
/* Reset the random state (and history) to a seed. */
void el_sampler_reset(el_sampler *s, uint64_t seed);
/*
 * The next token. *prob (may be NULL) receives its probability under the
 * distribution it was drawn from (for greedy: the full softmax), a confidence.
 */
int el_sample(el_sampler *s, const float *logits, float *prob);
/* Record a token in the history the repetition penalty looks at. */
void el_sampler_accept(el_sampler *s, int token);

#endif
