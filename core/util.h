/*
 * core/util.h - small inline helpers used everywhere: overflow-checked 64-bit
 * arithmetic, unaligned little-endian loads/stores, alignment.
 *
 * Every size or offset that comes from a file is untrusted. Arithmetic on such
 * values goes through el_add64/el_mul64, which report overflow instead of
 * wrapping, so a hostile header cannot turn a huge count into a small buffer.
 */
#ifndef EL_CORE_UTIL_H
#define EL_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "edgelm assumes a little-endian host (x86-64, aarch64): GGUF and safetensors are little-endian"
#endif

#define EL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define EL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define EL_MAX(a, b) ((a) > (b) ? (a) : (b))

/* a + b and a * b on uint64_t; return false (and leave *out untouched) on overflow. */
static inline bool el_add64(uint64_t a, uint64_t b, uint64_t *out)
{
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

static inline bool el_mul64(uint64_t a, uint64_t b, uint64_t *out)
{
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

/*
 * The product of n factors: a size or count computed from numbers a file gives (shape x element
 * size, chunks x rows x row bytes). false on overflow, *out untouched. Every reader goes through
 * this (or el_mul64/el_add64) before it allocates, maps or indexes by such numbers; EL_PROD takes
 * the factors as arguments: EL_PROD(&bytes, n_chunk, per, row_len, 2).
 */
static inline bool el_prod64(uint64_t *out, size_t n, const uint64_t *f)
{
    uint64_t r = 1;
    for (size_t i = 0; i < n; i++)
        if (__builtin_mul_overflow(r, f[i], &r))
            return false;
    *out = r;
    return true;
}
#define EL_PROD(out, ...) \
    el_prod64((out), sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t), (const uint64_t[]){__VA_ARGS__})

/* Round x up to a multiple of `align` (a power of two); false on overflow. */
static inline bool el_align_up(uint64_t x, uint64_t align, uint64_t *out)
{
    uint64_t r;
    if (!el_add64(x, align - 1, &r))
        return false;
    *out = r & ~(align - 1);
    return true;
}

static inline bool el_is_pow2(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Unaligned little-endian loads and stores (memcpy compiles to one move). */
static inline uint16_t el_rd16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t el_rd32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t el_rd64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline float el_rdf32(const void *p) { float v; memcpy(&v, p, 4); return v; }
static inline double el_rdf64(const void *p) { double v; memcpy(&v, p, 8); return v; }
static inline void el_wr16(void *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void el_wr32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void el_wr64(void *p, uint64_t v) { memcpy(p, &v, 8); }

/* True when s (length n) ends with suffix. */
static inline bool el_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

#endif
