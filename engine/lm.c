/*
 * engine/lm.c - a model with its tokenizer (see lm.h).
 */
#include "engine/lm.h"

#include <string.h>

int el_lm_open(el_lm *lm, const char *path, el_error *err)
{
    memset(lm, 0, sizeof *lm);
    int rc = el_model_load(&lm->model, path, err);
    if (!rc)
        rc = el_tok_load(&lm->tok, path, err);
    if (!rc && (int64_t)el_tok_vocab(lm->tok)->n_tokens != lm->model->hp.n_vocab)
        rc = EL_FAIL(err, EL_EFORMAT, path, -1,
                     "its tokenizer has %u tokens but its output layer %d rows: the vocabulary and the weights disagree",
                     el_tok_vocab(lm->tok)->n_tokens, lm->model->hp.n_vocab);
    if (rc)
        el_lm_close(lm);
    return rc;
}

void el_lm_close(el_lm *lm)
{
    el_tok_free(lm->tok);
    el_model_free(lm->model);
    memset(lm, 0, sizeof *lm);
}
