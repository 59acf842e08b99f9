/*
 * core/half.h - scalar conversions between float32 and the small float formats
 * found in checkpoints: IEEE half (F16), bfloat16 (BF16), and the two FP8
 * formats of safetensors (F8_E4M3 = OCP "e4m3fn": no infinities, 0x7F/0xFF are
 * NaN; F8_E5M2 = the top byte of an IEEE half).
 *
 * float -> F16 and float -> BF16 round to nearest, ties to even, as numpy,
 * PyTorch and ggml's reference do, so converted files match theirs bit for bit.
 */
#ifndef EL_CORE_HALF_H
#define EL_CORE_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t el_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float el_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline float el_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    if (exp == 0x1f) /* inf / nan */
        return el_bits_f32(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        if (man == 0)
            return el_bits_f32(sign);
        /* subnormal: man * 2^-24 */
        float f = (float)man * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    return el_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

static inline uint16_t el_f32_to_f16(float f)
{
    uint32_t x = el_f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u) /* NaN: keep it a (quiet) NaN */
        return (uint16_t)(sign | 0x7e00 | ((absx >> 13) & 0x3ff));
    if (absx >= 0x477ff000u) /* rounds to >= 65520: infinity */
        return (uint16_t)(sign | 0x7c00);
    if (absx < 0x38800000u) {
        /* result is subnormal or zero: value / 2^-24, rounded to nearest even */
        if (absx < 0x33000000u) /* < 2^-25: rounds to zero */
            return (uint16_t)sign;
        uint32_t e = absx >> 23;
        uint32_t m = (absx & 0x7fffff) | 0x800000;
        int shift = 126 - (int)e; /* 14..24 */
        uint32_t q = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
        return (uint16_t)(sign | q);
    }
    /* normal: rebias exponent, round mantissa 23 -> 10 bits, ties to even */
    uint32_t r = absx - 0x38000000u; /* exponent 127 -> 15 bias */
    r += 0xfff + ((r >> 13) & 1);
    return (uint16_t)(sign | (r >> 13));
}

static inline float el_bf16_to_f32(uint16_t b) { return el_bits_f32((uint32_t)b << 16); }

static inline uint16_t el_f32_to_bf16(float f)
{
    uint32_t u = el_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: force quiet */
        return (uint16_t)((u >> 16) | 64);
    return (uint16_t)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

static inline float el_f8e5m2_to_f32(uint8_t v) { return el_f16_to_f32((uint16_t)v << 8); }

static inline float el_f8e4m3_to_f32(uint8_t v)
{
    uint32_t sign = (uint32_t)(v & 0x80) << 24;
    uint32_t exp = (v >> 3) & 0xf;
    uint32_t man = v & 0x7;
    if (exp == 0xf && man == 0x7)
        return el_bits_f32(sign | 0x7fc00000u);
    if (exp == 0) {
        float f = (float)man * 0.001953125f; /* man/8 * 2^-6 */
        return sign ? -f : f;
    }
    return el_bits_f32(sign | ((exp + 120) << 23) | (man << 20));
}

#endif
