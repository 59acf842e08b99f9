/*
 * core/strmap.c - string hash map (see strmap.h).
 */
#include "core/strmap.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a, then a final mix so that similar keys spread over the table. */
uint64_t el_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

bool el_strmap_init(el_strmap *m, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2)
        cap *= 2;
    m->slots = calloc(cap, sizeof *m->slots);
    m->cap = m->slots ? cap : 0;
    m->count = 0;
    return m->slots != NULL;
}

void el_strmap_free(el_strmap *m)
{
    if (!m)
        return;
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

static size_t find(const el_strmap_slot *slots, size_t cap, const char *key, size_t len)
{
    size_t i = (size_t)el_hash_bytes(key, len) & (cap - 1);
    while (slots[i].key && !(slots[i].len == len && memcmp(slots[i].key, key, len) == 0))
        i = (i + 1) & (cap - 1);
    return i;
}

int64_t el_strmap_get(const el_strmap *m, const char *key, size_t len)
{
    if (!m->cap)
        return -1;
    size_t i = find(m->slots, m->cap, key, len);
    return m->slots[i].key ? m->slots[i].value : -1;
}

static bool grow(el_strmap *m)
{
    size_t cap = m->cap * 2;
    el_strmap_slot *s = calloc(cap, sizeof *s);
    if (!s)
        return false;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            s[find(s, cap, m->slots[i].key, m->slots[i].len)] = m->slots[i];
    free(m->slots);
    m->slots = s;
    m->cap = cap;
    return true;
}

int el_strmap_put(el_strmap *m, const char *key, size_t len, int64_t value, int64_t *old)
{
    if (!m->cap && !el_strmap_init(m, 8))
        return -1;
    if ((m->count + 1) * 2 > m->cap && !grow(m))
        return -1;
    size_t i = find(m->slots, m->cap, key, len);
    if (m->slots[i].key) {
        if (old)
            *old = m->slots[i].value;
        return 0;
    }
    m->slots[i].key = key;
    m->slots[i].len = len;
    m->slots[i].value = value;
    m->count++;
    return 1;
}

bool el_strmap_set(el_strmap *m, const char *key, size_t len, int64_t value)
{
    int64_t old;
    int r = el_strmap_put(m, key, len, value, &old);
    if (r < 0)
        return false;
    if (r == 0)
        m->slots[find(m->slots, m->cap, key, len)].value = value;
    return true;
}
