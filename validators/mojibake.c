/* validators/mojibake.c — fix_mojibake: UTF-8 text that was read as
 * windows-1252 or ISO-8859-1 and written out again as UTF-8 (see unicode.h).
 *
 * The repair maps every character back to the byte the wrong decoder made it
 * from and reads those bytes as UTF-8. It is refused unless it is certain:
 * every non-ASCII character must have such a byte (one CJK character, say,
 * and nothing changes), the bytes must be valid UTF-8, one codec must explain
 * the whole value, and decoding the repair the wrong way again must give the
 * value back byte for byte. Genuine text almost never passes: "Ã" before an
 * ASCII letter ("SÃO PAULO") or after nothing is not a UTF-8 sequence, and
 * "Café" maps to "Caf\xE9", which is not UTF-8. */
#include "validators/unicode.h"

#include <string.h>

#include "core/utf8.h"

/* windows-1252 bytes 0x80-0x9F; the five undefined ones map to the C1
 * control of the same number, as WHATWG's decoder does. */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

#define MOJI_LEVELS 3

static uint32_t decode_byte(unsigned b, bool latin1)
{
    return b >= 0x80 && b <= 0x9F && !latin1 ? cp1252_hi[b - 0x80] : b;
}

static size_t put8(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

assay_status val_mojibake_make(const char *p, size_t n, bool latin1, core_buf *out)
{
    core_buf_clear(out);
    assay_status st = core_buf_reserve(out, n * 3 + 1);
    for (size_t i = 0; i < n && !st; i++)
        out->len += put8(decode_byte((unsigned char)p[i], latin1), out->data + out->len);
    return st;
}

/* The byte the wrong decoder made cp from, or -1. *how: 1 needs
 * windows-1252 (a special of 0x80-0x9F), 2 needs ISO-8859-1 (a C1 control
 * that windows-1252 defines otherwise), 0 either. */
static int byte_of(uint32_t cp, int *how)
{
    *how = 0;
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF))
        return (int)cp;
    if (cp >= 0x80 && cp <= 0x9F) {
        if (cp == 0x81 || cp == 0x8D || cp == 0x8F || cp == 0x90 || cp == 0x9D)
            return (int)cp;
        *how = 2;
        return (int)cp;
    }
    for (int k = 0; k < 32; k++)
        if (cp1252_hi[k] == cp) {
            *how = 1;
            return 0x80 + k;
        }
    return -1;
}

/* Does decoding b (len bytes) the wrong way give t (tn bytes) back? */
static bool roundtrips(const unsigned char *b, size_t len, const char *t, size_t tn,
                       bool latin1)
{
    char tmp[4];
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        size_t k = put8(decode_byte(b[i], latin1), tmp);
        if (j + k > tn || memcmp(t + j, tmp, k) != 0)
            return false;
        j += k;
    }
    return j == tn;
}

/* Has (p, n) a character U+00C2-U+00F4 (C3 82 - C3 B4), the only ones that
 * can stand for a UTF-8 lead byte? */
static bool has_lead(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    const unsigned char *c = memchr(u, 0xC3, n);
    while (c && (size_t)(c - u) + 1 < n) {
        if (c[1] >= 0x82 && c[1] <= 0xB4)
            return true;
        size_t at = (size_t)(c - u) + 1;
        c = memchr(u + at, 0xC3, n - at);
    }
    return false;
}

/* Has valid UTF-8 (p, n) a C1 control (C2 80 - C2 9F)? */
static bool has_c1(const unsigned char *u, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (u[i] == 0xC2 && u[i + 1] <= 0x9F)
            return true;
    return false;
}

/* One layer: the bytes behind valid UTF-8 t, written to o. Returns their length, or 0 when the repair is refused. */
static size_t fix_layer(const char *t, size_t tn, unsigned char *o)
{
    size_t len = 0, i = 0;
    int need = 0;
    while (i < tn) {
        uint32_t cp;
        int how;
        i += val_utf8_next(t, tn, i, &cp);
        int b = byte_of(cp, &how);
        if (b < 0 || (how && need && how != need))
            return 0;
        if (how)
            need = how;
        o[len++] = (unsigned char)b;
    }
    if (len == tn || !core_utf8_valid((const char *)o, len) || has_c1(o, len) ||
        !roundtrips(o, len, t, tn, need == 2))
        return 0;
    return len;
}

int val_mojibake_fix(const char *p, size_t n, core_buf *out)
{
    if (!has_lead(p, n) || !core_utf8_valid(p, n))
        return 0;
    core_buf_clear(out);
    int levels = 0;
    const char *t = p;
    size_t tn = n;
    while (levels < MOJI_LEVELS && has_lead(t, tn)) {
        /* The candidate goes after the current text (which, from the second
         * layer on, is out[0, len)); the buffer may move. */
        size_t at = out->len;
        assay_status st = core_buf_reserve(out, tn + 1);
        if (st)
            return -(int)st;
        if (levels)
            t = out->data;
        size_t len = fix_layer(t, tn, (unsigned char *)out->data + at);
        if (!len)
            break;
        memmove(out->data, out->data + at, len);
        out->len = len;
        t = out->data;
        tn = len;
        levels++;
    }
    return levels > 0;
}
