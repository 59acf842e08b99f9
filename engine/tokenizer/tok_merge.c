/*
 * engine/tokenizer/tok_merge.c - what byte-level BPE (tok_bpe.c) and SentencePiece
 * (tok_spm.c) merging share: a word split into symbols (one per UTF-8
 * character) in a linked list, and the queue of candidate merges of adjacent
 * symbols, best first. The two differ only in what makes a pair better (merge
 * rank vs piece score), which they put in the pair's `prio`.
 */
#include <stdlib.h>

#include "core/utf8.h"
#include "engine/tokenizer/tok_internal.h"

int el_tok_syms_split(const char *text, size_t len, el_tok_sym *s)
{
    int ns = 0;
    for (size_t off = 0; off < len;) {
        size_t l = el_utf8_len((const unsigned char *)text + off, len - off);
        l = l ? l : 1; /* an invalid byte is a symbol of its own: no piece contains it */
        s[ns] = (el_tok_sym){ns - 1, -1, (uint32_t)off, (uint32_t)l};
        if (ns)
            s[ns - 1].next = ns;
        ns++;
        off += l;
    }
    return ns;
}

/* a binary min-heap by (prio, left) */
static bool before(const el_tok_pair *a, const el_tok_pair *b)
{
    return a->prio < b->prio || (a->prio == b->prio && a->left < b->left);
}

int el_tok_pairq_push(el_tok_pairq *q, el_tok_pair p)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        el_tok_pair *nv = realloc(q->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        q->v = nv;
        q->cap = cap;
    }
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&p, &q->v[parent]))
            break;
        q->v[i] = q->v[parent];
        i = parent;
    }
    q->v[i] = p;
    return 0;
}

el_tok_pair el_tok_pairq_pop(el_tok_pairq *q)
{
    el_tok_pair top = q->v[0], last = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const el_tok_pair *best = &last;
        if (l < q->n && before(&q->v[l], best)) {
            m = l;
            best = &q->v[l];
        }
        if (r < q->n && before(&q->v[r], best))
            m = r;
        if (m == i)
            break;
        q->v[i] = q->v[m];
        i = m;
    }
    if (q->n)
        q->v[i] = last;
    return top;
}
