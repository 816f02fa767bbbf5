/* core/ascii.h — locale-independent ASCII helpers (the process locale never
 * changes a result: no tolower() from libc). */
#ifndef ASSAY_CORE_ASCII_H
#define ASSAY_CORE_ASCII_H

#include <stdbool.h>
#include <stddef.h>

static inline unsigned char core_ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Are a[0..n) and b[0..n) equal when ASCII letters are folded? */
static inline bool core_ascii_eq_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (core_ascii_lower((unsigned char)a[i]) != core_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

#endif
