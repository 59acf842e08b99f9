/*
 * engine/tokenizer/tok_bpe.c - byte-level BPE ("gpt2" vocabularies).
 *
 * text -> (valid UTF-8 runs) pre-tokenizer pieces -> each piece's bytes spelled
 * with the GPT-2 byte map -> symbols = characters -> merge the adjacent pair
 * with the lowest merge rank (ties: leftmost) until none applies -> token ids.
 * With ignore_merges (Llama 3) a piece that is a token as a whole is that token.
 * A symbol that is not a token is written as the tokens of its bytes.
 *
 * Words repeat: each context keeps a cache of piece -> ids (tok_cache.c).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/tokenizer/tok_internal.h"

typedef struct word_state {
    const el_tokenizer *t;
    el_tok_ctx *c;
    const char *w;        /* spelled word */
    el_tok_sym *s;
    el_tok_pairq q;
    char *key;            /* "left right" scratch */
    size_t key_cap;
} word_state;

static int rank_of(word_state *ws, int a, int b)
{
    const el_tok_sym *l = &ws->s[a], *r = &ws->s[b];
    size_t need = l->n + r->n + 1;
    if (need > ws->key_cap) {
        size_t cap = need * 2;
        char *k = realloc(ws->key, cap);
        if (!k)
            return -2;
        ws->key = k;
        ws->key_cap = cap;
    }
    memcpy(ws->key, ws->w + l->off, l->n);
    ws->key[l->n] = ' ';
    memcpy(ws->key + l->n + 1, ws->w + r->off, r->n);
    int64_t rank = el_strmap_get(&ws->t->merge_rank, ws->key, need);
    return rank < 0 ? -1 : (int)rank;
}

static int add_bigram(word_state *ws, int a, int b)
{
    if (a < 0 || b < 0)
        return 0;
    int r = rank_of(ws, a, b);
    if (r == -2)
        return -1;
    if (r < 0)
        return 0;
    return el_tok_pairq_push(&ws->q, (el_tok_pair){r, a, b, ws->s[a].n, ws->s[b].n});
}

/* Tokens of one spelled word (w, n bytes) appended to out. */
static int encode_word(const el_tokenizer *t, el_tok_ctx *c, const char *w, size_t n, el_tokens *out)
{
    if (t->v.ignore_merges) {
        int64_t id = el_strmap_get(&t->text_to_id, w, n);
        if (id >= 0)
            return el_tokens_push(out, (int32_t)id);
    }
    word_state ws = {t, c, w, NULL, {0}, NULL, 0};
    ws.s = malloc((n ? n : 1) * sizeof *ws.s);
    if (!ws.s)
        return -1;
    const int ns = el_tok_syms_split(w, n, ws.s);
    int rc = 0;
    for (int i = 1; i < ns && !rc; i++)
        rc = add_bigram(&ws, i - 1, i);
    while (!rc && ws.q.n) {
        el_tok_pair b = el_tok_pairq_pop(&ws.q);
        el_tok_sym *l = &ws.s[b.left];
        if (l->n != b.ln || l->next < 0)
            continue;
        el_tok_sym *r = &ws.s[l->next];
        if (r->n != b.rn || r->n == 0)
            continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            ws.s[r->next].prev = b.left;
        rc = add_bigram(&ws, l->prev, b.left);
        if (!rc)
            rc = add_bigram(&ws, b.left, l->next);
    }
    /* symbols -> ids; a symbol outside the vocabulary becomes its bytes' tokens */
    for (int i = 0; !rc && ns && i >= 0; i = ws.s[i].next) {
        int64_t id = el_strmap_get(&t->text_to_id, w + ws.s[i].off, ws.s[i].n);
        if (id >= 0) {
            rc = el_tokens_push(out, (int32_t)id);
            continue;
        }
        /* map the spelled characters back to bytes */
        for (uint32_t k = 0; k < ws.s[i].n && !rc;) {
            size_t l = el_utf8_len((const unsigned char *)w + ws.s[i].off + k, ws.s[i].n - k);
            l = l ? l : 1;
            int cp = -1;
            const unsigned char *p = (const unsigned char *)w + ws.s[i].off + k;
            if (l == 1)
                cp = p[0];
            else if (l == 2)
                cp = ((p[0] & 0x1f) << 6) | (p[1] & 0x3f);
            int byte = cp >= 0 && cp < 512 ? t->cp_to_byte[cp] : -1;
            if (byte >= 0 && t->byte_token[byte] >= 0)
                rc = el_tokens_push(out, t->byte_token[byte]);
            k += (uint32_t)l;
        }
    }
    free(ws.s);
    free(ws.q.v);
    free(ws.key);
    return rc;
}

/* ---- pieces ------------------------------------------------------------------------ */

typedef struct piece_arg {
    const el_tokenizer *t;
    el_tok_ctx *c;
    const char *text;
    el_tokens *out;
} piece_arg;

/* Spell a piece's bytes with the byte map, then encode it. */
static int on_piece(void *arg, size_t start, size_t end)
{
    piece_arg *a = arg;
    size_t n = end - start, need = 2 * n + 1;
    el_tok_ctx *c = a->c;
    if (need > c->buf2_cap) {
        char *b = realloc(c->buf2, need * 2);
        if (!b)
            return -1;
        c->buf2 = b;
        c->buf2_cap = need * 2;
    }
    size_t o = 0;
    for (size_t i = start; i < end; i++) {
        uint8_t byte = (uint8_t)a->text[i];
        memcpy(c->buf2 + o, a->t->byte_char[byte], a->t->byte_char_len[byte]);
        o += a->t->byte_char_len[byte];
    }
    /* the cache may reallocate nothing we hold: buf2 is only read by cached_word */
    return el_tok_cached(a->t, c, c->buf2, o, a->out, encode_word);
}

int el_bpe_encode(const el_tokenizer *t, el_tok_ctx *c, const char *text, size_t len, el_tokens *out)
{
    piece_arg a = {t, c, text, out};
    /* valid UTF-8 runs go through the pre-tokenizer; each invalid byte is a piece of its own */
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len) {
            size_t l = el_utf8_len((const unsigned char *)text + j, len - j);
            if (!l)
                break;
            j += l;
        }
        if (j > i) {
            a.text = text + i;
            if (el_tok_pre_split(t, c, text + i, j - i, on_piece, &a))
                return -1;
        }
        if (j < len) {
            a.text = text + j;
            if (on_piece(&a, 0, 1))
                return -1;
            j++;
        }
        i = j;
    }
    return 0;
}
