/*
 * engine/tokenizer/tok_cache.c - a per-context cache of word -> token ids.
 *
 * Natural text repeats its words: the encoders (byte-level BPE per
 * pre-tokenizer piece, SentencePiece per "▁"-word where that is exact) look a
 * word up here first. Keys are copied into chained blocks that never move;
 * ids live in one growing array; an entry packs (first id << 20 | count).
 * The cache is cleared when it holds CACHE_MAX words or when the context is
 * used with another tokenizer.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/tokenizer/tok_internal.h"

#define CACHE_MAX 200000

void el_tok_cache_clear(el_tok_ctx *c)
{
    el_strmap_free(&c->cache);
    char *blk = c->cache_keys;
    while (blk) {
        char *prev;
        memcpy(&prev, blk, sizeof prev);
        free(blk);
        blk = prev;
    }
    c->cache_keys = NULL;
    c->cache_keys_len = c->cache_keys_cap = 0;
    c->cache_ids_len = 0;
}


static const char *cache_key(el_tok_ctx *c, const char *k, size_t n)
{
    if (!c->cache_keys || c->cache_keys_len + n > c->cache_keys_cap) {
        size_t cap = EL_MAX((size_t)1 << 20, n + sizeof(char *));
        char *blk = malloc(cap);
        if (!blk)
            return NULL;
        memcpy(blk, &c->cache_keys, sizeof(char *));
        c->cache_keys = blk;
        c->cache_keys_len = sizeof(char *);
        c->cache_keys_cap = cap;
    }
    char *d = c->cache_keys + c->cache_keys_len;
    memcpy(d, k, n);
    c->cache_keys_len += n;
    return d;
}

int el_tok_cached(const el_tokenizer *t, el_tok_ctx *c, const char *w, size_t n, el_tokens *out, el_word_fn enc)
{
    if (c->owner != t) {
        el_tok_cache_clear(c);
        c->owner = t;
    }
    int64_t v = el_strmap_get(&c->cache, w, n);
    if (v >= 0) {
        size_t start = (size_t)(v >> 20), count = (size_t)(v & 0xfffff);
        for (size_t i = 0; i < count; i++)
            if (el_tokens_push(out, c->cache_ids[start + i]))
                return -1;
        return 0;
    }
    size_t before_n = out->n;
    if (enc(t, c, w, n, out))
        return -1;
    size_t count = out->n - before_n;
    if (count >= 0xfffff || n > 4096)
        return 0; /* not worth caching */
    if (c->cache.count >= CACHE_MAX || c->cache_ids_len + count > ((size_t)1 << 40))
        el_tok_cache_clear(c);
    if (c->cache_ids_len + count > c->cache_ids_cap) {
        size_t cap = EL_MAX(c->cache_ids_cap * 2, c->cache_ids_len + count + 1024);
        int32_t *ids = realloc(c->cache_ids, cap * sizeof *ids);
        if (!ids)
            return 0;
        c->cache_ids = ids;
        c->cache_ids_cap = cap;
    }
    const char *key = cache_key(c, w, n);
    if (!key)
        return 0;
    if (count) /* an empty word's ids may be a NULL array */
        memcpy(c->cache_ids + c->cache_ids_len, out->ids + before_n, count * sizeof(int32_t));
    el_strmap_put(&c->cache, key, n, (int64_t)((c->cache_ids_len << 20) | count), NULL);
    c->cache_ids_len += count;
    return 0;
}

