/* validators/locnum.h — numbers written the way locales write them.
 *
 * Table Schema's decimalChar, groupChar and bareNumber, and assay's locale on
 * integer and number fields. A value in such a notation is checked against a
 * strict shape (the separators in the right places, nothing else), then
 * rewritten to the plain grammar of validators/number.h, which the existing
 * checks (type, minimum/maximum, enum, unique) then judge. Never through a
 * double: every digit is kept. docs/values.md "Numbers in other notations"
 * says exactly what is accepted.
 *
 * Two paths, one grammar:
 *   - by hand, when no locale is given (decimalChar/groupChar/bareNumber);
 *   - with a locale, the separators and group sizes come from ICU's CLDR data
 *     and ICU's unum_parseDecimal reads the value; the shape check still
 *     decides what is valid (ICU alone is lenient), and ICU's result must
 *     equal the shape's, digit for digit in value.
 *
 * Ownership and threads:
 *   - a val_locnum_spec is compiled once at load, lives in the immutable plan
 *     (rules_field.locnum) and is only read afterwards: share it freely;
 *   - ICU's UNumberFormat is not thread-safe, so each thread owns one
 *     val_locnum_worker (val_locnum_worker_new/_free) holding its handles,
 *     opened lazily per locale on first use;
 *   - the plain text of a value is borrowed: it is the caller's input itself
 *     when unchanged, else it lives in the caller's scratch buffer until that
 *     buffer is next written or freed.
 *
 * Per value, the engine calls:
 *
 *     const char *plain; size_t plain_n;
 *     val_locnum_result r = val_locnum_parse(f->locnum, worker, p, n, &scratch,
 *                                            &plain, &plain_n);
 *     VAL_LOCNUM_OK:      plain is in the plain grammar (already checked:
 *                         val_integer_parse / val_number_parse succeed on it);
 *                         plain == p exactly when the text is unchanged;
 *     VAL_LOCNUM_INVALID: rule "type", message val_locnum_message(spec, r);
 *     VAL_LOCNUM_RANGE:   integer field, value beyond int64: rule "type" too;
 *     VAL_LOCNUM_NOMEM / VAL_LOCNUM_LIMIT: out of memory / scratch limit. */
#ifndef ASSAY_VALIDATORS_LOCNUM_H
#define ASSAY_VALIDATORS_LOCNUM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

typedef struct val_locnum_spec val_locnum_spec;
typedef struct val_locnum_worker val_locnum_worker;

/* What a field declares. Strings are UTF-8 with their lengths. */
typedef struct val_locnum_opts {
    bool integer;              /* integer field: no fraction, no exponent, int64 */
    const char *decimal_char;  /* one character; NULL: "." (ignored on integers) */
    size_t decimal_n;
    const char *group_char;    /* one character; NULL or "": no grouping */
    size_t group_n;
    bool bare_number;          /* Table Schema's bareNumber; default true */
    const char *locale;        /* "de", "fr_CH", "de-CH"; NULL: none */
    size_t locale_n;
    bool output_plain;         /* "output": "plain": rewrite to the plain form */
} val_locnum_opts;

/* Why a declaration cannot be compiled (for lint messages). */
typedef enum val_locnum_bad {
    VAL_LOCNUM_GOOD = 0,
    VAL_LOCNUM_BAD_DECIMAL,    /* decimalChar is not one allowed character */
    VAL_LOCNUM_BAD_GROUP,      /* groupChar is not one allowed character */
    VAL_LOCNUM_BAD_SAME,       /* decimalChar equals groupChar */
    VAL_LOCNUM_BAD_LOCALE,     /* not a locale, or one without number data */
    VAL_LOCNUM_BAD_MIXED,      /* locale together with decimalChar/groupChar */
    VAL_LOCNUM_BAD_NOMEM
} val_locnum_bad;

/* Is (p, n) allowed as decimalChar or groupChar: exactly one character
 * (code point), not an ASCII digit, sign, "e"/"E", control or invalid UTF-8? */
bool val_locnum_char_ok(const char *p, size_t n);

/* Canonicalises a locale ("de-CH" and "de_CH" are both de_CH) into canon
 * (cap >= 160) and says whether ICU has number data for its language.
 * *own is set to whether the full locale has data of its own (false for
 * "de_XX": ICU then uses "de"). */
bool val_locnum_locale_known(const char *p, size_t n, char *canon, size_t cap,
                             bool *own);

/* Compiles a declaration. *out is NULL (and VAL_LOCNUM_GOOD returned) when
 * it is the plain notation (decimalChar ".", no groupChar, bareNumber true,
 * no locale): the caller then uses val_integer_parse/val_number_parse. */
val_locnum_bad val_locnum_compile(const val_locnum_opts *o, val_locnum_spec **out);
void val_locnum_spec_free(val_locnum_spec *s);

/* Does the field rewrite changed values to their plain form ("output":
 * "plain")? The step is named "normalise" in the changes file. */
bool val_locnum_rewrites(const val_locnum_spec *s);
/* Does parsing need a worker (a locale is given)? */
bool val_locnum_uses_icu(const val_locnum_spec *s);

/* One per thread; NULL when out of memory. Free with val_locnum_worker_free
 * (NULL is fine). A worker is not tied to a plan. */
val_locnum_worker *val_locnum_worker_new(void);
void val_locnum_worker_free(val_locnum_worker *w);

typedef enum val_locnum_result {
    VAL_LOCNUM_OK = 0,
    VAL_LOCNUM_INVALID,        /* not in the field's notation */
    VAL_LOCNUM_RANGE,          /* an integer beyond int64 */
    VAL_LOCNUM_NOMEM,
    VAL_LOCNUM_LIMIT           /* scratch's ceiling reached */
} val_locnum_result;

/* Reads (p, n) in s's notation. On VAL_LOCNUM_OK, *plain and *plain_n hold the
 * value in the plain grammar: p itself when the text needs no change, else
 * scratch's bytes (scratch is overwritten). w may be NULL when
 * val_locnum_uses_icu(s) is false. Never reads the process locale. */
val_locnum_result val_locnum_parse(const val_locnum_spec *s, val_locnum_worker *w,
                                   const char *p, size_t n, core_buf *scratch,
                                   const char **plain, size_t *plain_n);

/* The message for the errors file, naming the notation expected, e.g.
 * "not a number in locale de (expected like 1.234.567,89)". Lives in s. */
const char *val_locnum_message(const val_locnum_spec *s, val_locnum_result r);

#endif
