/* validators/unicode.c — UTF-8 units, blanks, controls, and ICU case
 * mapping and normalisation for the cleaning steps (see unicode.h). */
#include "validators/unicode.h"

#include "core/swar.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uloc.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "core/utf8.h"

/* ---- UTF-8 ---------------------------------------------------------- */

size_t val_utf8_next(const char *s, size_t n, size_t i, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *cp = VAL_UTF8_BAD;
        return 1;
    }
    size_t k = 1;
    for (; k < len && i + k < n; k++) {
        unsigned b = u[i + k];
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
            break;
        v = (v << 6) | (b & 0x3F);
    }
    *cp = k == len ? v : VAL_UTF8_BAD;
    return k;
}

size_t val_utf8_invalid_count(const char *p, size_t n)
{
    size_t count = 0, i = 0;
    while (i < n) {
        i += core_utf8_invalid_at(p + i, n - i);
        if (i >= n)
            break;
        uint32_t cp;
        i += val_utf8_next(p, n, i, &cp);
        count++;
    }
    return count;
}

assay_status val_utf8_replace_invalid(const char *p, size_t n, core_buf *out)
{
    static const char fffd[3] = {'\xEF', '\xBF', '\xBD'};
    core_buf_clear(out);
    size_t i = 0;
    while (i < n) {
        size_t good = core_utf8_invalid_at(p + i, n - i);
        assay_status st = core_buf_append(out, p + i, good);
        if (st)
            return st;
        i += good;
        if (i >= n)
            break;
        uint32_t cp;
        i += val_utf8_next(p, n, i, &cp);
        if ((st = core_buf_append(out, fffd, sizeof fffd)))
            return st;
    }
    return ASSAY_OK;
}

/* ---- controls ------------------------------------------------------- */

/* Is the character at u[k] a control character (a C1 one is C2 80..9F)? */
static inline bool control_at(const unsigned char *u, size_t n, size_t k)
{
    unsigned c = u[k];
    if (c < 0x80)
        return val_is_control(c);
    return c == 0xC2 && k + 1 < n && u[k + 1] >= 0x80 && u[k + 1] <= 0x9F;
}

size_t val_control_at(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    /* A word at a time; only the bytes that may start a control character
     * (below 0x20, 0x7F, 0xC2) are looked at one by one, so tabs, line
     * breaks and other UTF-8 text cost little. */
    for (; CORE_SWAR_LE && i + 8 <= n; i += 8) {
        uint64_t w = core_swar_load(u + i);
        uint64_t m = core_swar_lt(w, 0x20) | core_swar_eq(w, 0x7F) | core_swar_eq(w, 0xC2);
        for (; m; m &= m - 1) {
            size_t k = i + core_swar_first(m);
            if (control_at(u, n, k))
                return k;
        }
    }
    for (; i < n; i++)
        if (control_at(u, n, i))
            return i;
    return n;
}

size_t val_strip_control(char *w, size_t n, size_t i)
{
    unsigned char *u = (unsigned char *)w;
    size_t o = i;
    while (i < n) {
        unsigned c = u[i];
        if (c < 0x80 && val_is_control(c))
            i++;
        else if (c == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F)
            i += 2;
        else
            u[o++] = u[i++];
    }
    return o;
}

/* ---- blanks --------------------------------------------------------- */

bool val_uni_blank(uint32_t cp, bool generic, bool *ws, bool *zw)
{
    *zw = cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 || cp == 0xFEFF;
    if (cp == VAL_UTF8_BAD)
        *ws = false;
    else if (generic)
        *ws = u_isUWhiteSpace((UChar32)cp) != 0;
    else
        *ws = cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || cp == 0xA0 ||
              cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
              cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    return *ws || *zw;
}

/* Length of the blank at i, or 0. The ASCII bytes are answered at once
 * unless generic (then ICU is asked for every code point). */
static size_t blank_at(const char *p, size_t n, size_t i, bool generic, bool *ws)
{
    unsigned c = (unsigned char)p[i];
    bool zw;
    if (c < 0x80 && !generic) {
        *ws = c == ' ' || (c >= '\t' && c <= '\r');
        return *ws;
    }
    uint32_t cp;
    size_t len = val_utf8_next(p, n, i, &cp);
    return val_uni_blank(cp, generic, ws, &zw) ? len : 0;
}

/* Length of the blank that ends at b (> a), or 0. */
static size_t blank_before(const char *p, size_t a, size_t b, bool generic)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t j = b - 1;
    bool ws, zw;
    if (u[j] < 0x80 && !generic)
        return u[j] == ' ' || (u[j] >= '\t' && u[j] <= '\r');
    while (j > a && (u[j] & 0xC0) == 0x80 && b - j < 4)
        j--;
    uint32_t cp;
    size_t len = val_utf8_next(p, b, j, &cp);
    if (j + len != b || cp == VAL_UTF8_BAD)
        return 0;
    return val_uni_blank(cp, generic, &ws, &zw) ? len : 0;
}

void val_uni_trim(const char *p, size_t n, bool generic, size_t *a, size_t *b)
{
    size_t i = 0, j = n, len;
    bool ws;
    while (i < j && (len = blank_at(p, j, i, generic, &ws)) > 0)
        i += len;
    while (j > i && (len = blank_before(p, i, j, generic)) > 0)
        j -= len;
    *a = i;
    *b = j;
}

/* The run of blanks at i: its end, and whether it holds a white space. */
static size_t blank_run(const char *p, size_t n, size_t i, bool generic, bool *has_ws)
{
    size_t len;
    bool ws;
    *has_ws = false;
    while (i < n && (len = blank_at(p, n, i, generic, &ws)) > 0) {
        *has_ws |= ws;
        i += len;
    }
    return i;
}

static size_t unit_len(const char *p, size_t n, size_t i)
{
    uint32_t cp;
    return (unsigned char)p[i] < 0x80 ? 1 : val_utf8_next(p, n, i, &cp);
}

size_t val_uni_collapse_first(const char *p, size_t n, bool generic)
{
    size_t i = 0;
    while (i < n) {
        bool has_ws;
        size_t end = blank_run(p, n, i, generic, &has_ws);
        if (end == i) {
            i += unit_len(p, n, i);
            continue;
        }
        if (has_ws && !(end == i + 1 && p[i] == ' '))
            return i;
        i = end;
    }
    return n;
}

size_t val_uni_collapse(char *w, size_t n, size_t i, bool generic)
{
    size_t o = i;
    while (i < n) {
        bool has_ws;
        size_t end = blank_run(w, n, i, generic, &has_ws);
        if (end == i)
            end = i + unit_len(w, n, i);
        else if (has_ws) {
            w[o++] = ' ';
            i = end;
            continue;
        }
        memmove(w + o, w + i, end - i);
        o += end - i;
        i = end;
    }
    return o;
}

/* ---- ICU ------------------------------------------------------------ */

void val_uni_bufs_free(val_uni_bufs *u)
{
    free(u->a);
    free(u->b);
    memset(u, 0, sizeof *u);
}

/* Room for need units in *buf. */
static assay_status ensure16(val_uni_bufs *u, uint16_t **buf, int32_t *cap, size_t need)
{
    size_t limit = u->limit && u->limit < INT32_MAX ? u->limit : INT32_MAX - 1;
    if (need <= (size_t)*cap)
        return ASSAY_OK;
    if (need > limit)
        return ASSAY_E_LIMIT;
    size_t want = (size_t)*cap * 2 > need ? (size_t)*cap * 2 : need + 64;
    if (want > limit)
        want = limit;
    uint16_t *nb = realloc(*buf, want * sizeof **buf);
    if (!nb)
        return ASSAY_E_NOMEM;
    *buf = nb;
    *cap = (int32_t)want;
    return ASSAY_OK;
}

/* Valid UTF-8 (p, n) into u->a; *len16 its length. */
static assay_status to16(val_uni_bufs *u, const char *p, size_t n, int32_t *len16)
{
    if (n >= INT32_MAX)
        return ASSAY_E_LIMIT;
    assay_status st = ensure16(u, &u->a, &u->cap_a, n + 1);
    if (st)
        return st;
    UErrorCode e = U_ZERO_ERROR;
    u_strFromUTF8((UChar *)u->a, u->cap_a, len16, p, (int32_t)n, &e);
    return U_FAILURE(e) ? ASSAY_E_NOMEM : ASSAY_OK; /* valid input: not reached */
}

/* Appends UTF-16 (s, len) to out as UTF-8. */
static assay_status append8(const uint16_t *s, int32_t len, core_buf *out)
{
    size_t room = (size_t)len * 3 + 1;
    assay_status st = core_buf_reserve(out, room);
    if (st)
        return st;
    int32_t written = 0;
    UErrorCode e = U_ZERO_ERROR;
    u_strToUTF8(out->data + out->len, (int32_t)(room < INT32_MAX ? room : INT32_MAX),
                &written, (const UChar *)s, len, &e);
    if (U_FAILURE(e))
        return ASSAY_E_LIMIT;
    out->len += (size_t)written;
    return ASSAY_OK;
}

static bool turkic(const char *locale)
{
    return (strncmp(locale, "tr", 2) == 0 || strncmp(locale, "az", 2) == 0) &&
           (locale[2] == '\0' || locale[2] == '_');
}

/* One ICU transform of u->a[0, len) into u->b; *out_len its length. */
typedef int32_t (*uni_fn)(UChar *dst, int32_t cap, const UChar *src, int32_t len,
                          const void *arg, UErrorCode *e);

typedef struct case_arg {
    val_case_op op;
    const char *locale;
} case_arg;

static int32_t case_fn(UChar *dst, int32_t cap, const UChar *src, int32_t len,
                       const void *arg, UErrorCode *e)
{
    const case_arg *c = arg;
    switch (c->op) {
    case VAL_CASE_LOWER: return u_strToLower(dst, cap, src, len, c->locale, e);
    case VAL_CASE_UPPER: return u_strToUpper(dst, cap, src, len, c->locale, e);
    case VAL_CASE_FOLD:
        return u_strFoldCase(dst, cap, src, len, turkic(c->locale) ?
                             U_FOLD_CASE_EXCLUDE_SPECIAL_I : U_FOLD_CASE_DEFAULT, e);
    }
    return 0;
}

static int32_t norm_fn(UChar *dst, int32_t cap, const UChar *src, int32_t len,
                       const void *arg, UErrorCode *e)
{
    return unorm2_normalize((const UNormalizer2 *)arg, src, len, dst, cap, e);
}

static assay_status run_fn(val_uni_bufs *u, uni_fn fn, const void *arg, int32_t len,
                           int32_t *out_len)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        UErrorCode e = U_ZERO_ERROR;
        int32_t got = fn((UChar *)u->b, u->cap_b, (const UChar *)u->a, len, arg, &e);
        if (U_SUCCESS(e)) {
            *out_len = got;
            return ASSAY_OK;
        }
        if (e != U_BUFFER_OVERFLOW_ERROR && e != U_STRING_NOT_TERMINATED_WARNING)
            return ASSAY_E_NOMEM;
        assay_status st = ensure16(u, &u->b, &u->cap_b, (size_t)got + 1);
        if (st)
            return st;
    }
    return ASSAY_E_NOMEM;
}

/* Applies fn to every well-formed stretch of (p, n), copying invalid bytes;
 * out gets the result. 1 changed, 0 same, negative status. */
static int over_runs(val_uni_bufs *u, uni_fn fn, const void *arg, const char *p,
                     size_t n, core_buf *out)
{
    core_buf_clear(out);
    size_t i = 0;
    assay_status st = ASSAY_OK;
    while (i < n && !st) {
        size_t good = core_utf8_invalid_at(p + i, n - i);
        int32_t len16, got;
        if (good && !(st = to16(u, p + i, good, &len16)) &&
            !(st = ensure16(u, &u->b, &u->cap_b, (size_t)len16 + 16)) &&
            !(st = run_fn(u, fn, arg, len16, &got)))
            st = append8(u->b, got, out);
        i += good;
        if (i < n && !st) {
            uint32_t cp;
            size_t bad = val_utf8_next(p, n, i, &cp);
            st = core_buf_append(out, p + i, bad);
            i += bad;
        }
    }
    if (st)
        return -(int)st;
    return out->len != n || (n && memcmp(out->data, p, n) != 0);
}

int val_uni_case(val_uni_bufs *u, val_case_op op, const char *locale, const char *p,
                 size_t n, core_buf *out)
{
    case_arg a = {op, locale ? locale : ""};
    return over_runs(u, case_fn, &a, p, n, out);
}

/* Is every well-formed stretch of (p, n) quick-checked "yes"? */
static int all_normal(val_uni_bufs *u, const UNormalizer2 *nz, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t good = core_utf8_invalid_at(p + i, n - i);
        if (good) {
            int32_t len16;
            assay_status st = to16(u, p + i, good, &len16);
            if (st)
                return -(int)st;
            UErrorCode e = U_ZERO_ERROR;
            int32_t span = unorm2_spanQuickCheckYes(nz, (const UChar *)u->a, len16, &e);
            if (U_FAILURE(e) || span < len16)
                return 0;
        }
        i += good;
        if (i < n) {
            uint32_t cp;
            i += val_utf8_next(p, n, i, &cp);
        }
    }
    return 1;
}

int val_uni_normalize(val_uni_bufs *u, bool nfkc, const char *p, size_t n, core_buf *out)
{
    const unsigned char *s = (const unsigned char *)p;
    unsigned above = nfkc ? 0x80 : 0xCC; /* U+0300 is CC 80: below it all is NFC */
    size_t i = 0;
    while (i < n && s[i] < above)
        i++;
    if (i == n)
        return 0;
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *nz = nfkc ? unorm2_getNFKCInstance(&e) : unorm2_getNFCInstance(&e);
    if (U_FAILURE(e))
        return -(int)ASSAY_E_NOMEM;
    int yes = all_normal(u, nz, p, n);
    if (yes != 0)
        return yes > 0 ? 0 : yes;
    return over_runs(u, norm_fn, nz, p, n, out);
}

bool val_uni_case_ascii_safe(const char *locale)
{
    UChar up[26], lo[26], got[64];
    for (int i = 0; i < 26; i++) {
        up[i] = (UChar)('A' + i);
        lo[i] = (UChar)('a' + i);
    }
    const char *loc = locale ? locale : "";
    UErrorCode e = U_ZERO_ERROR;
    int32_t n = u_strToLower(got, 64, up, 26, loc, &e);
    if (U_FAILURE(e) || n != 26 || memcmp(got, lo, sizeof lo) != 0)
        return false;
    n = u_strToUpper(got, 64, lo, 26, loc, &e);
    if (U_FAILURE(e) || n != 26 || memcmp(got, up, sizeof up) != 0)
        return false;
    n = u_strFoldCase(got, 64, up, 26, turkic(loc) ? U_FOLD_CASE_EXCLUDE_SPECIAL_I :
                      U_FOLD_CASE_DEFAULT, &e);
    return U_SUCCESS(e) && n == 26 && memcmp(got, lo, sizeof lo) == 0;
}

bool val_uni_locale_ok(const char *p, size_t n, char *canon, size_t cap)
{
    char raw[64], lang[16];
    if (n == 0 || n >= sizeof raw || cap < 64)
        return false;
    bool tag = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
        tag |= c == '-';
    }
    memcpy(raw, p, n);
    raw[n] = '\0';
    UErrorCode e = U_ZERO_ERROR;
    if (tag) {
        int32_t parsed = 0;
        uloc_forLanguageTag(raw, canon, (int32_t)cap, &parsed, &e);
        if (U_FAILURE(e) || parsed != (int32_t)n)
            return false;
    } else {
        uloc_canonicalize(raw, canon, (int32_t)cap, &e);
        if (U_FAILURE(e))
            return false;
    }
    uloc_getLanguage(canon, lang, sizeof lang, &e);
    if (U_FAILURE(e) || lang[0] == '\0')
        return false;
    return uloc_getISO3Language(canon)[0] != '\0';
}
