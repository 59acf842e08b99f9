/*
 * engine/tokenizer/tok_spm.c - SentencePiece BPE ("llama" vocabularies), as llama.cpp's
 * llm_tokenizer_spm does it: the text (spaces already "▁") is split into UTF-8
 * characters; adjacent pairs whose concatenation is a piece are merged, the
 * highest-scoring first (ties: leftmost), until none is left; a symbol that is
 * not a piece becomes <0xNN> byte tokens (or the unknown token without them).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer/tok_internal.h"

/* the highest score first: prio = -score */
static int try_bigram(const el_tokenizer *t, const char *text, el_tok_sym *s, el_tok_pairq *q, int a, int b)
{
    if (a < 0 || b < 0)
        return 0;
    int64_t id = el_strmap_get(&t->text_to_id, text + s[a].off, s[a].n + s[b].n);
    if (id < 0 || id >= t->v.n_tokens)
        return 0;
    return el_tok_pairq_push(q, (el_tok_pair){-(double)(t->v.scores ? t->v.scores[id] : 0.0f), a, b, s[a].n, s[b].n});
}

int el_spm_encode(const el_tokenizer *t, const char *text, size_t len, el_tokens *out)
{
    if (len == 0)
        return 0;
    el_tok_sym *s = malloc(len * sizeof *s);
    el_tok_pairq q = {0};
    if (!s)
        return -1;
    const int ns = el_tok_syms_split(text, len, s);
    int rc = 0;
    for (int i = 1; i < ns && !rc; i++)
        rc = try_bigram(t, text, s, &q, i - 1, i);
    while (!rc && q.n) {
        el_tok_pair b = el_tok_pairq_pop(&q);
        el_tok_sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.ln + b.rn)
            continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            s[r->next].prev = b.left;
        rc = try_bigram(t, text, s, &q, l->prev, b.left);
        if (!rc)
            rc = try_bigram(t, text, s, &q, b.left, l->next);
    }
    int unk = (int)t->v.special[EL_SPECIAL_UNK];
    for (int i = 0; !rc && i >= 0; i = s[i].next) {
        int64_t id = el_strmap_get(&t->text_to_id, text + s[i].off, s[i].n);
        if (id >= 0) {
            rc = el_tokens_push(out, (int32_t)id);
            continue;
        }
        /* byte fallback; a vocabulary without byte pieces gives the unknown token once per symbol */
        bool all_bytes = true;
        for (uint32_t k = 0; k < s[i].n; k++)
            all_bytes = all_bytes && t->byte_token[(uint8_t)text[s[i].off + k]] >= 0;
        if (!all_bytes) {
            if (unk >= 0)
                rc = el_tokens_push(out, unk);
            continue;
        }
        for (uint32_t k = 0; k < s[i].n && !rc; k++)
            rc = el_tokens_push(out, t->byte_token[(uint8_t)text[s[i].off + k]]);
    }
    free(s);
    free(q.v);
    return rc;
}

static int spm_word(const el_tokenizer *t, el_tok_ctx *c, const char *w, size_t n, el_tokens *out)
{
    (void)c;
    return el_spm_encode(t, w, n, out);
}

int el_spm_encode_words(const el_tokenizer *t, el_tok_ctx *c, const char *text, size_t len, el_tokens *out)
{
    if (!t->spm_words)
        return el_spm_encode(t, text, len, out);
    /* words: a run of "▁" and what follows up to the next "▁" that comes after another character */
    size_t start = 0;
    for (size_t i = 3; i + 3 <= len; i++) {
        if (memcmp(text + i, "\xe2\x96\x81", 3) == 0 && memcmp(text + i - 3, "\xe2\x96\x81", 3) != 0) {
            if (el_tok_cached(t, c, text + start, i - start, out, spm_word))
                return -1;
            start = i;
        }
    }
    return el_tok_cached(t, c, text + start, len - start, out, spm_word);
}
