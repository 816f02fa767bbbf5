/* validators/unicode.h — the Unicode half of the cleaning steps: UTF-8
 * decoding with maximal invalid subparts, white space and control sets,
 * ICU case mapping and normalisation (docs/cleaning.md).
 *
 * Everything here works on UTF-8 bytes that may be ill-formed: a step never
 * fails on bad bytes, it works on the well-formed stretches between them and
 * copies the bad bytes as they are (only replace_invalid rewrites them). So
 * a step keeps valid text valid, and the invalid bytes of a value stay in
 * their places until replace_invalid runs.
 *
 * Threads: ICU's case mapping and normaliser functions are thread-safe; the
 * UTF-16 buffers they need live in a val_uni_bufs owned by one thread (the
 * clean worker, validators/clean.h). Nothing reads the process locale. */
#ifndef ASSAY_VALIDATORS_UNICODE_H
#define ASSAY_VALIDATORS_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"
#include "core/buf.h"

/* ---- UTF-8 ---------------------------------------------------------- */

#define VAL_UTF8_BAD 0xFFFFFFFFu

/* Decodes the unit at p[i] (i < n): returns its length (>= 1) and sets *cp to
 * the code point, or to VAL_UTF8_BAD when p[i..i+len) is a maximal invalid
 * subpart (Unicode §3.9 / WHATWG: a bad lead byte alone, or a good lead with
 * the continuation bytes that fit it, up to the first that does not). */
size_t val_utf8_next(const char *p, size_t n, size_t i, uint32_t *cp);
/* The number of maximal invalid subparts in (p, n): how many U+FFFD
 * replace_invalid writes. 0 for valid text. */
size_t val_utf8_invalid_count(const char *p, size_t n);
/* replace_invalid: (p, n) with every maximal invalid subpart replaced by
 * U+FFFD (EF BF BD), appended to out (cleared first). The output is at most
 * 3 * n bytes. */
assay_status val_utf8_replace_invalid(const char *p, size_t n, core_buf *out);

/* ---- character sets --------------------------------------------------- */

/* The control characters of rule control_chars and step strip_control:
 * U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+007F and U+0080-U+009F.
 * TAB, LF and CR are text. */
static inline bool val_is_control(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
           (cp >= 0x7F && cp <= 0x9F);
}
/* Offset of the first control character in (p, n), or n. Invalid bytes are
 * not control characters (they are rule encoding's). */
size_t val_control_at(const char *p, size_t n);
/* strip_control in place from offset i (the first control character):
 * returns the new length. */
size_t val_strip_control(char *w, size_t n, size_t i);

/* The blanks of trim and collapse_spaces. *ws: the code point has the
 * White_Space property (TAB LF VT FF CR, space, U+0085, U+00A0, U+1680,
 * U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); *zw: it is one of
 * the zero-width characters U+200B ZWSP, U+200C ZWNJ, U+200D ZWJ, U+2060 WJ,
 * U+FEFF BOM. Returns *ws || *zw. generic asks ICU (u_isUWhiteSpace) instead
 * of the built-in table; tests hold the two equal. */
bool val_uni_blank(uint32_t cp, bool generic, bool *ws, bool *zw);
/* trim: [*a, *b) is (p, n) without blanks at either end. */
void val_uni_trim(const char *p, size_t n, bool generic, size_t *a, size_t *b);
/* collapse_spaces: every maximal run of blanks holding at least one white
 * space becomes one ASCII space; a run of zero-width characters alone is
 * kept (ZWJ in emoji and Indic scripts, ZWNJ in Persian). Returns the offset
 * of the first run that changes, or n. */
size_t val_uni_collapse_first(const char *p, size_t n, bool generic);
/* Rewrites in place from i (a result of val_uni_collapse_first); returns the
 * new length (never more than n). */
size_t val_uni_collapse(char *w, size_t n, size_t i, bool generic);

/* ---- ICU ---------------------------------------------------------------- */

/* UTF-16 scratch of one thread; zero-initialise, free with val_uni_bufs_free.
 * limit: the most UTF-16 units a buffer may hold (0: 2^31 - 1). */
typedef struct val_uni_bufs {
    uint16_t *a, *b;
    int32_t cap_a, cap_b;
    size_t limit;
} val_uni_bufs;
void val_uni_bufs_free(val_uni_bufs *u);

typedef enum val_case_op { VAL_CASE_LOWER = 0, VAL_CASE_UPPER, VAL_CASE_FOLD } val_case_op;

/* Full Unicode case mapping of (p, n) with ICU (u_strToLower/Upper,
 * u_strFoldCase) in locale (ICU id, "" for root; "tr"/"az" fold with the
 * Turkic rules too). Returns 1 and the result in out (cleared first) when the
 * text changes, 0 when it does not (out untouched), or -ASSAY_E_NOMEM /
 * -ASSAY_E_LIMIT. */
int val_uni_case(val_uni_bufs *u, val_case_op op, const char *locale, const char *p,
                 size_t n, core_buf *out);
/* NFC (nfkc false) or NFKC of (p, n) with ICU's unorm2. A quick check runs
 * first: text that is already normalised returns 0 without any copy (text
 * with no byte >= 0xCC is NFC at once, ASCII is NFKC at once). Otherwise as
 * val_uni_case. */
int val_uni_normalize(val_uni_bufs *u, bool nfkc, const char *p, size_t n, core_buf *out);

/* Does locale's case mapping of ASCII letters equal the ASCII mapping (so
 * pure-ASCII text may skip ICU)? False for Turkish and Azeri (i/İ, ı/I). */
bool val_uni_case_ascii_safe(const char *locale);
/* Checks a locale for case mapping (letters, digits, '_' and '-'; a language
 * ICU knows) and writes its canonical ICU id into canon (cap >= 64). */
bool val_uni_locale_ok(const char *p, size_t n, char *canon, size_t cap);

/* ---- fix_mojibake (validators/mojibake.c) ------------------------------ */

/* Repairs UTF-8 text that was decoded as windows-1252 or ISO-8859-1 and
 * encoded again ("CafÃ©" -> "Café"), up to three layers deep. Only when the
 * whole value maps back to bytes of one of those codecs, those bytes are
 * valid UTF-8 holding at least one multi-byte character and no C1 control,
 * and decoding them again reproduces the value exactly. Returns 1 with the
 * repair in out (cleared first; never longer than n), 0 when the value is left
 * as it is, -ASSAY_E_NOMEM / -ASSAY_E_LIMIT. */
int val_mojibake_fix(const char *p, size_t n, core_buf *out);
/* The mojibake of valid UTF-8 (p, n): each byte decoded as windows-1252
 * (latin1 false; the five undefined bytes as U+0081...) or ISO-8859-1,
 * written as UTF-8 into out (cleared first). For tests and the fuzzer. */
assay_status val_mojibake_make(const char *p, size_t n, bool latin1, core_buf *out);

#endif
