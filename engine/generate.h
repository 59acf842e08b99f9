/*
 * engine/generate.h - prompt -> continuation: tokenize, prefill, sample, stop.
 *
 * Used by `edgelm run` (and later by distillation for one sequence at a
 * time). The prompt gets BOS as the model says; generation stops at an
 * end-of-generation token (EOS, <|im_end|>, <|eot_id|>, <end_of_turn>, ...),
 * after n_predict tokens, or when the context is full.
 */
#ifndef EL_ENGINE_GENERATE_H
#define EL_ENGINE_GENERATE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/context.h"
#include "engine/sampler.h"
#include "engine/tokenizer/tokenizer.h"

typedef struct el_gen_params {
    const char *prompt;
    size_t prompt_len;
    int n_predict;          /* tokens to generate at most */
    bool parse_special;     /* special-token texts in the prompt become tokens */
    el_sampler_params sampling;
} el_gen_params;

/* Called for each generated token with the text it adds (complete UTF-8 only); non-zero stops. */
typedef int (*el_gen_fn)(void *arg, int token, const char *text, size_t len, float prob);

typedef struct el_gen_result {
    el_tokens prompt;       /* prompt ids, BOS included */
    el_tokens gen;          /* generated ids */
    float *probs;           /* probability of each generated token */
    char *text;             /* the continuation (malloc'd, NUL-terminated) */
    size_t text_len;
    const char *stop;       /* "eos", "length" or "context" */
    double t_prefill;       /* seconds */
    double t_decode;        /* seconds for the tokens after the first */
    double ttft;            /* seconds from start to the first generated token */
} el_gen_result;

/* True for tokens that end generation. */
bool el_tok_is_eog(const el_tokenizer *t, int id);

int el_generate(el_context *c, const el_tokenizer *tok, const el_gen_params *p, el_gen_fn cb, void *arg,
                el_gen_result *r, el_error *err);
void el_gen_result_free(el_gen_result *r);

#endif
