/* stats/b64.h — base64 (RFC 4648, standard alphabet, padded) for the
 * sketches' JSON forms: HyperLogLog registers, exact hash sets, value bytes
 * that are not UTF-8. Private to stats/. The decoder is strict: it accepts
 * only the canonical encoding of some byte string (no whitespace, exact
 * padding, zero unused bits), so decode then encode gives the input back. */
#ifndef ASSAY_STATS_B64_H
#define ASSAY_STATS_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Characters needed to encode n bytes (without a terminator). */
static inline size_t stats_b64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

/* Writes stats_b64_len(n) characters and a NUL to out. */
static inline void stats_b64_encode(const unsigned char *in, size_t n, char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0, o = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63];
        out[o++] = abc[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
}

static inline int stats_b64_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes s[0..n) into a malloc'd buffer (*out, *outn; *out is non-NULL even
 * for no bytes). false when s is not canonical base64 or on out of memory
 * (*oom says which). */
static inline bool stats_b64_decode(const char *s, size_t n, unsigned char **out,
                                    size_t *outn, bool *oom)
{
    *oom = false;
    *out = NULL;
    *outn = 0;
    if (n % 4)
        return false;
    size_t pad = 0;
    if (n >= 4 && s[n - 1] == '=')
        pad = s[n - 2] == '=' ? 2 : 1;
    unsigned char *b = malloc(n / 4 * 3 + 1);
    if (!b) {
        *oom = true;
        return false;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        size_t data = last ? 4 - pad : 4;
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            int d = 0;
            if (k < data) {
                d = stats_b64_digit((unsigned char)s[i + k]);
                if (d < 0)
                    goto bad;
            }
            v = v << 6 | (uint32_t)d;
        }
        b[o++] = (unsigned char)(v >> 16);
        if (data >= 3)
            b[o++] = (unsigned char)(v >> 8);
        if (data == 4)
            b[o++] = (unsigned char)v;
        /* Unused bits of a padded group must be zero (canonical form). */
        if ((data == 2 && (v & 0xFFFF)) || (data == 3 && (v & 0xFF)))
            goto bad;
    }
    *out = b;
    *outn = o;
    return true;
bad:
    free(b);
    return false;
}

#endif
