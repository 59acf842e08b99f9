/*
 * tests/fuzz/fuzz_tok.h - the check the tokenizer-loading targets run on what loads: encode a text
 * with each flag combination, every id inside the vocabulary, decode sized and written alike
 * (fz_tok_check), and the steps around it after a load (fz_tok_loaded).
 */
#ifndef EL_TESTS_FUZZ_TOK_H
#define EL_TESTS_FUZZ_TOK_H

#include <stdlib.h>

#include "engine/tokenizer/tokenizer.h"
#include "tests/fuzz/fuzz_util.h"

static const char fz_sample_text[] = "Hello world! It's 2024, naïve café... <|endoftext|><s>\n\tdone  \xff";

static inline void fz_tok_check(const el_tokenizer *t, const char *text, size_t len)
{
    const el_vocab *v = el_tok_vocab(t);
    el_tokens ids = {0};
    static const int flag_sets[] = {0, EL_TOK_PARSE_SPECIAL, EL_TOK_ADD_SPECIAL | EL_TOK_PARSE_SPECIAL};
    for (size_t f = 0; f < sizeof flag_sets / sizeof *flag_sets; f++) {
        ids.n = 0;
        if (fz_rc(el_tok_encode(t, NULL, text, len, flag_sets[f], &ids, fz_err())))
            continue;
        for (size_t i = 0; i < ids.n; i++)
            if (ids.ids[i] < 0 || (uint32_t)ids.ids[i] >= v->n_tokens)
                FZ_BUG("token id %d outside the vocabulary of %u", ids.ids[i], v->n_tokens);
        const bool special = flag_sets[f] != 0;
        size_t need = el_tok_decode(t, ids.ids, ids.n, special, NULL, 0);
        char *out = malloc(need + 1);
        if (!out)
            FZ_DIE("out of memory");
        if (el_tok_decode(t, ids.ids, ids.n, special, out, need + 1) != need)
            FZ_BUG("el_tok_decode: sizing and writing disagree");
        free(out);
        char small[8];
        (void)el_tok_decode(t, ids.ids, ids.n, special, small, sizeof small);
        for (size_t i = 0; i < ids.n && i < 8; i++)
            if (!el_tok_piece(t, ids.ids[i]))
                FZ_BUG("no piece for token %d", ids.ids[i]);
    }
    el_tokens_free(&ids);
}

/* After a call given fz_err() that returned rc and, on success, a tokenizer in *t: a failure must say
 * why; what loads is checked on text (NULL: fz_sample_text), then freed. */
static inline void fz_tok_loaded(int rc, el_tokenizer **t, const char *text, size_t len)
{
    if (fz_rc(rc))
        return;
    if (text)
        fz_tok_check(*t, text, len);
    else
        fz_tok_check(*t, fz_sample_text, sizeof fz_sample_text - 1);
    el_tok_free(*t);
    *t = NULL;
}

#endif
