/*
 * engine/tok_spm.c - SentencePiece BPE ("llama" vocabularies), as llama.cpp's
 * llm_tokenizer_spm does it: the text (spaces already "▁") is split into UTF-8
 * characters; adjacent pairs whose concatenation is a piece are merged, the
 * highest-scoring first (ties: leftmost), until none is left; a symbol that is
 * not a piece becomes <0xNN> byte tokens (or the unknown token without them).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/tok_internal.h"

typedef struct sym {
    int prev, next;
    uint32_t off, n;
} sym;

typedef struct bigram {
    float score;
    int left, right;
    uint32_t size;
} bigram;

/* max-heap by score, then the smaller left index */
static bool above(const bigram *a, const bigram *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct heap {
    bigram *v;
    size_t n, cap;
} heap;

static int push(heap *h, bigram b)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        bigram *nv = realloc(h->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        h->v = nv;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!above(&b, &h->v[p]))
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = b;
    return 0;
}

static bigram pop(heap *h)
{
    bigram top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const bigram *best = &last;
        if (l < h->n && above(&h->v[l], best)) {
            m = l;
            best = &h->v[l];
        }
        if (r < h->n && above(&h->v[r], best))
            m = r;
        if (m == i)
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

static int try_bigram(const el_tokenizer *t, const char *text, sym *s, heap *h, int a, int b)
{
    if (a < 0 || b < 0)
        return 0;
    uint32_t size = s[a].n + s[b].n;
    int64_t id = el_strmap_get(&t->text_to_id, text + s[a].off, size);
    if (id < 0 || id >= t->v.n_tokens)
        return 0;
    return push(h, (bigram){t->v.scores ? t->v.scores[id] : 0.0f, a, b, size});
}

int el_spm_encode(const el_tokenizer *t, const char *text, size_t len, el_tokens *out)
{
    if (len == 0)
        return 0;
    sym *s = malloc(len * sizeof *s);
    heap h = {0};
    if (!s)
        return -1;
    int ns = 0, rc = 0;
    for (size_t off = 0; off < len;) {
        size_t l = el_utf8_len((const unsigned char *)text + off, len - off);
        l = l ? l : 1; /* an invalid byte is a symbol of its own: no piece contains it */
        s[ns] = (sym){ns - 1, -1, (uint32_t)off, (uint32_t)l};
        if (ns)
            s[ns - 1].next = ns;
        ns++;
        off += l;
    }
    for (int i = 1; i < ns && !rc; i++)
        rc = try_bigram(t, text, s, &h, i - 1, i);
    while (!rc && h.n) {
        bigram b = pop(&h);
        sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size)
            continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            s[r->next].prev = b.left;
        rc = try_bigram(t, text, s, &h, l->prev, b.left);
        if (!rc)
            rc = try_bigram(t, text, s, &h, b.left, l->next);
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
    free(h.v);
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
