/*
 * tests/fuzz/fuzz_tok.h - the check the tokenizer-loading targets run on what loads: encode a text
 * with each flag combination, every id inside the vocabulary, decode sized and written alike.
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
    el_error e;
    static const int flag_sets[] = {0, EL_TOK_PARSE_SPECIAL, EL_TOK_ADD_SPECIAL | EL_TOK_PARSE_SPECIAL};
    for (size_t f = 0; f < sizeof flag_sets / sizeof *flag_sets; f++) {
        ids.n = 0;
        el_error_clear(&e);
        int rc = el_tok_encode(t, NULL, text, len, flag_sets[f], &ids, &e);
        fz_said_why(rc, &e);
        if (rc)
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

#endif
