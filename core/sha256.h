/*
 * core/sha256.h - SHA-256 (FIPS 180-4, section 6.2): fingerprints of model files, shards and
 * downloads, so a manifest can say exactly which bytes a result came from.
 *
 * Streaming use is init, any number of updates, final. The helpers below hash one buffer or
 * one whole file and give the digest as 64 lowercase hex digits, the form sha256sum prints.
 * Portable C, no CPU-specific instructions; no state outside the el_sha256 the caller owns.
 */
#ifndef EL_CORE_SHA256_H
#define EL_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct el_sha256 {
    uint32_t h[8];       /* running hash value H(i) */
    uint64_t n;          /* bytes hashed so far; n % 64 of them wait in buf */
    uint8_t buf[64];     /* the incomplete block */
} el_sha256;

/* Start a new digest. */
void el_sha256_init(el_sha256 *s);
/* Hash n more bytes (n may be 0, data may then be NULL). */
void el_sha256_update(el_sha256 *s, const void *data, size_t n);
/* Pad, write the 32-byte digest to out and wipe *s; init it again before reuse. */
void el_sha256_final(el_sha256 *s, uint8_t out[32]);

/* Digest as 64 lowercase hex digits and a NUL. */
void el_sha256_hex(const uint8_t d[32], char hex[65]);
/* Hex digest of one buffer. */
void el_sha256_buf(const void *data, size_t n, char hex[65]);

/*
 * Hex digest of a file's contents, read sequentially in 1 MiB pieces (works on pipes and on
 * files larger than memory). On failure hex is "" and err names the file; a failed read
 * reports the byte offset it was at.
 */
int el_sha256_file(const char *path, char hex[65], el_error *err);

#endif
