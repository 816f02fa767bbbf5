/* core/utf8.h — UTF-8 validation and code point counting.
 *
 * A hand-written fast path (ASCII eight bytes at a time); tests/unit/test_utf8.c
 * holds it equal to ICU's u_strFromUTF8 on every input. Strict as RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF. */
#ifndef ASSAY_CORE_UTF8_H
#define ASSAY_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Returns the offset of the first invalid byte, or n when s[0..n) is valid. */
size_t core_utf8_invalid_at(const char *s, size_t n);
static inline bool core_utf8_valid(const char *s, size_t n)
{
    return core_utf8_invalid_at(s, n) == n;
}
/* Number of code points in valid UTF-8 text. */
size_t core_utf8_count(const char *s, size_t n);

#endif
