/*
 * core/strmap.h - a string -> int64 hash map (open addressing, linear probing).
 *
 * Keys are (pointer, length) byte strings that the caller keeps alive (they
 * usually point into a mapped file or a vocabulary arena); the map copies no
 * key bytes. Used for duplicate detection in writers and for token lookup.
 */
#ifndef EL_CORE_STRMAP_H
#define EL_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct el_strmap_slot {
    const char *key;  /* NULL: empty */
    size_t len;
    int64_t value;
} el_strmap_slot;

typedef struct el_strmap {
    el_strmap_slot *slots;
    size_t cap;       /* power of two */
    size_t count;
} el_strmap;

/* Initialise for about `expect` keys; false on OOM. */
bool el_strmap_init(el_strmap *m, size_t expect);
void el_strmap_free(el_strmap *m);

/* Value for a key, or -1 when absent (values stored are expected >= 0). */
int64_t el_strmap_get(const el_strmap *m, const char *key, size_t len);

/*
 * Insert key -> value. Returns 1 when inserted, 0 when the key was already
 * present (the map is unchanged and *old, if given, receives its value),
 * -1 on OOM.
 */
int el_strmap_put(el_strmap *m, const char *key, size_t len, int64_t value, int64_t *old);

/* Insert or overwrite key -> value; false on OOM. */
bool el_strmap_set(el_strmap *m, const char *key, size_t len, int64_t value);

uint64_t el_hash_bytes(const void *p, size_t n);

#endif
