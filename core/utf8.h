/*
 * core/utf8.h - UTF-8 validation, one sequence at a time, and the bytes one U+FFFD replaces.
 */
#ifndef EL_CORE_UTF8_H
#define EL_CORE_UTF8_H

#include <stddef.h>

/*
 * Length (1-4) of the valid UTF-8 sequence at s, with n bytes available;
 * 0 when the bytes there are not valid UTF-8 (overlong forms, surrogates,
 * code points above U+10FFFF and truncated sequences are all invalid).
 */
static inline size_t el_utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
    else return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/*
 * Where el_utf8_len(s, n) is 0: the length (>= 1) of the maximal subpart at s, the bytes that one
 * U+FFFD replaces under the Unicode standard's recommendation (section 3.9, "U+FFFD Substitution of
 * Maximal Subparts"; Python's decode(errors="replace") and Rust's from_utf8_lossy do the same): a
 * lead byte and the continuation bytes that can still follow it, or 1 for a byte no sequence starts with.
 */
static inline size_t el_utf8_bad_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xbf;
    size_t len;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
        hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
    } else
        return 1;
    size_t i = 1;
    if (i < n && s[i] >= lo && s[i] <= hi)
        for (i = 2; i < len && i < n && (s[i] & 0xc0) == 0x80;)
            i++;
    return i < len ? i : 1; /* i == len only if the sequence was valid: a caller's mistake */
}

#endif
