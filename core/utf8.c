/* core/utf8.c — strict UTF-8 validation with an ASCII fast path.
 * Held equal to ICU by tests/unit/test_utf8.c. */
#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

size_t core_utf8_invalid_at(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    const uint64_t high = 0x8080808080808080ULL;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path: sixteen bytes at a time, then eight. */
        while (i + 16 <= n) {
            uint64_t a, b;
            memcpy(&a, u + i, 8);
            memcpy(&b, u + i + 8, 8);
            if ((a | b) & high)
                break;
            i += 16;
        }
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (w & high)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        /* Fewer than eight bytes left (or a word with a high byte): the last
         * eight bytes of the text, read again, are ASCII in the usual case. */
        if (n >= 8 && i + 8 > n) {
            uint64_t w;
            memcpy(&w, u + n - 8, 8);
            if (!(w & high))
                break;
        }
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = core_utf8_seq(s + i, n - i);
        if (!len)
            return i;
        i += len;
    }
    return n;
}

size_t core_utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}
