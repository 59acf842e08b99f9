/*
 * engine/lm.h - a language model: a GGUF's weights and its tokenizer, opened together.
 *
 * The one way run, eval (ppl, kld, mc), imatrix and distill open a model. Besides opening both it
 * checks what neither can check alone: the tokenizer's vocabulary is exactly the output layer's
 * rows (llama.cpp creates token_embd and output as {n_embd, n_vocab} from the tokenizer's count
 * and refuses any other shape), so every id the tokenizer makes has a logit and every logit a
 * token.
 */
#ifndef EL_ENGINE_LM_H
#define EL_ENGINE_LM_H

#include "core/error.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"

typedef struct el_lm {
    el_model *model;
    el_tokenizer *tok;
} el_lm;

/* Open the GGUF at path. On failure *lm is zeroed and err names the file and what is wrong. */
int el_lm_open(el_lm *lm, const char *path, el_error *err);
void el_lm_close(el_lm *lm);

#endif
