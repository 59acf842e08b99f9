/*
 * core/sha256.c - SHA-256 from FIPS 180-4: constants (4.2.2, 5.3.3), the compression function
 * (6.2.2), padding (5.1.1), then the buffer and file helpers.
 */
#include "core/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"

/* First 32 bits of the fractional parts of the cube roots of the first 64 primes (4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Compilers turn this shape into a single rotate instruction; n is never 0 here. */
#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* The six logical functions of 4.1.2. Ch and Maj use forms with one operation fewer. */
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define BSIG0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * One round of 6.2.2 step 3. Instead of shifting a..h down by one each round, the callers
 * below rotate the names they pass, so the eight working variables stay in registers and
 * only d and h are written: T1 is added to d (giving the new e) and T1 + T2 becomes the new a
 * in h's slot.
 */
#define ROUND(a, b, c, d, e, f, g, h, i, w)                          \
    do {                                                             \
        uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + K[i] + (w);    \
        (d) += t1_;                                                  \
        (h) = t1_ + BSIG0(a) + MAJ(a, b, c);                         \
    } while (0)

/* Eight rounds, after which the names are back in their starting order. */
#define ROUND8(i, w0, w1, w2, w3, w4, w5, w6, w7) \
    do {                                          \
        ROUND(a, b, c, d, e, f, g, h, (i) + 0, w0); \
        ROUND(h, a, b, c, d, e, f, g, (i) + 1, w1); \
        ROUND(g, h, a, b, c, d, e, f, (i) + 2, w2); \
        ROUND(f, g, h, a, b, c, d, e, (i) + 3, w3); \
        ROUND(e, f, g, h, a, b, c, d, (i) + 4, w4); \
        ROUND(d, e, f, g, h, a, b, c, (i) + 5, w5); \
        ROUND(c, d, e, f, g, h, a, b, (i) + 6, w6); \
        ROUND(b, c, d, e, f, g, h, a, (i) + 7, w7); \
    } while (0)

/*
 * The message schedule of 6.2.2 step 1, kept as a ring of 16 words: W[t] for t >= 16 only
 * needs W[t-2], W[t-7], W[t-15] and W[t-16], so it overwrites W[t-16] in place.
 */
#define SCHED(j) (w[(j) & 15] += SSIG1(w[((j) + 14) & 15]) + w[((j) + 9) & 15] + SSIG0(w[((j) + 1) & 15]))

/* Hash nblocks consecutive 64-byte blocks into the state st. */
static void compress(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    uint32_t w[16];
    for (; nblocks > 0; nblocks--, p += 64) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        for (int j = 0; j < 16; j++)
            w[j] = load_be32(p + 4 * j);
        ROUND8(0, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
        ROUND8(8, w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15]);
        for (int i = 16; i < 64; i += 16) {
            ROUND8(i, SCHED(0), SCHED(1), SCHED(2), SCHED(3), SCHED(4), SCHED(5), SCHED(6), SCHED(7));
            ROUND8(i + 8, SCHED(8), SCHED(9), SCHED(10), SCHED(11), SCHED(12), SCHED(13), SCHED(14),
                   SCHED(15));
        }
        st[0] += a;
        st[1] += b;
        st[2] += c;
        st[3] += d;
        st[4] += e;
        st[5] += f;
        st[6] += g;
        st[7] += h;
    }
}

void el_sha256_init(el_sha256 *s)
{
    /* H(0) of 5.3.3: fractional parts of the square roots of the first 8 primes. */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->n = 0;
    memset(s->buf, 0, sizeof s->buf);
}

void el_sha256_update(el_sha256 *s, const void *data, size_t n)
{
    /* memcpy with a NULL pointer is undefined even for 0 bytes, and callers may pass (NULL, 0). */
    if (n == 0)
        return;
    const uint8_t *p = data;
    size_t fill = (size_t)(s->n % 64);
    s->n += (uint64_t)n;
    if (fill > 0) {
        size_t take = 64 - fill < n ? 64 - fill : n;
        memcpy(s->buf + fill, p, take);
        p += take;
        n -= take;
        if (fill + take < 64)
            return;
        compress(s->h, s->buf, 1);
    }
    /* Whole blocks straight from the caller's memory: no copy for large inputs. */
    if (n >= 64) {
        compress(s->h, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n > 0)
        memcpy(s->buf, p, n);
}

void el_sha256_final(el_sha256 *s, uint8_t out[32])
{
    /* 5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, then the message length in bits as a
     * 64-bit big-endian number. The length is taken mod 2^64, as the standard allows
     * messages below 2^64 bits. */
    uint64_t bits = s->n * 8;
    size_t fill = (size_t)(s->n % 64);
    s->buf[fill++] = 0x80;
    if (fill > 56) {
        memset(s->buf + fill, 0, 64 - fill);
        compress(s->h, s->buf, 1);
        fill = 0;
    }
    memset(s->buf + fill, 0, 56 - fill);
    store_be32(s->buf + 56, (uint32_t)(bits >> 32));
    store_be32(s->buf + 60, (uint32_t)bits);
    compress(s->h, s->buf, 1);
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, s->h[i]);
    memset(s, 0, sizeof *s);
}

void el_sha256_hex(const uint8_t d[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

void el_sha256_buf(const void *data, size_t n, char hex[65])
{
    el_sha256 s;
    uint8_t d[32];
    el_sha256_init(&s);
    el_sha256_update(&s, data, n);
    el_sha256_final(&s, d);
    el_sha256_hex(d, hex);
}

/* Big enough that syscall cost vanishes against hashing, small enough to stay in L2/L3. */
#define EL_SHA256_CHUNK ((size_t)1 << 20)

int el_sha256_file(const char *path, char hex[65], el_error *err)
{
    hex[0] = '\0';
    int fd;
    int rc = el_open_input(path, &fd, NULL, err);
    if (rc)
        return rc;
    uint8_t *buf = malloc(EL_SHA256_CHUNK);
    if (!buf) {
        close(fd);
        return EL_NOMEM(err);
    }
    el_sha256 s;
    el_sha256_init(&s);
    for (;;) {
        ssize_t r = read(fd, buf, EL_SHA256_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            int64_t at = (int64_t)s.n;
            free(buf);
            close(fd);
            return EL_FAIL(err, el_code_from_errno(e), path, at, "read failed: %s", strerror(e));
        }
        if (r == 0)
            break;
        el_sha256_update(&s, buf, (size_t)r);
    }
    free(buf);
    close(fd);
    uint8_t d[32];
    el_sha256_final(&s, d);
    el_sha256_hex(d, hex);
    return EL_OK;
}
