/* core/utf8.h — UTF-8 validation and code point counting.
 *
 * A hand-written fast path (ASCII eight bytes at a time); tests/unit/test_utf8.c
 * holds it equal to ICU's u_strFromUTF8 on every input. Strict as RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF. */
#ifndef ASSAY_CORE_UTF8_H
#define ASSAY_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s[0..n), or 0 when it is not
 * one (n >= 1). */
static inline size_t core_utf8_seq(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : lo;
        hi = c == 0xED ? 0x9F : hi;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : lo;
        hi = c == 0xF4 ? 0x8F : hi;
    } else
        return 0;
    if (n < len || u[1] < lo || u[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((u[k] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* Returns the offset of the first invalid byte, or n when s[0..n) is valid. */
size_t core_utf8_invalid_at(const char *s, size_t n);
static inline bool core_utf8_valid(const char *s, size_t n)
{
    return core_utf8_invalid_at(s, n) == n;
}
/* Number of code points in valid UTF-8 text. */
size_t core_utf8_count(const char *s, size_t n);

#endif
