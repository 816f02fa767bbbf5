/* validators/number.h — strict integers and exact decimals.
 *
 * Never through a double: a number is a view of its digits (slices into the
 * caller's bytes, no copy, no allocation), compared digit by digit, so the
 * result is exact for any number of digits and the process locale never
 * matters. The grammar and every accepted/refused example are in
 * docs/values.md.
 *
 * A val_dec borrows the bytes it was parsed from: keep them alive (and
 * unchanged) as long as the view is used. */
#ifndef ASSAY_VALIDATORS_NUMBER_H
#define ASSAY_VALIDATORS_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exponents (written and adjusted) saturate at +-10^18: larger ones are held
 * as 10^18, so parsing takes time linear in the text, never in the value.
 * Two numbers beyond it compare by their digits only. */
#define VAL_EXP_SAT 1000000000000000000LL

/* Room for the text of any int64 (sign, 19 digits) plus a NUL. */
#define VAL_INT64_BUF 24

/* Room that val_dec_canon needs for a number parsed from n bytes. */
#define VAL_CANON_CAP(n) ((n) + 32)

/* val_dec_cmp: a or b is NaN. */
#define VAL_CMP_UNORDERED 2

typedef enum val_dec_kind {
    VAL_DEC_FINITE = 0,
    VAL_DEC_NAN,
    VAL_DEC_INF /* sign in neg: INF or -INF */
} val_dec_kind;

typedef struct val_dec {
    val_dec_kind kind;
    bool neg;              /* as written: "-0" keeps it; zero ignores it */
    const char *int_p;     /* integer digits as written (may be empty) */
    size_t int_n;
    const char *frac_p;    /* fraction digits as written (may be empty) */
    size_t frac_n;
    int64_t exp;           /* exponent as written, saturated */
    /* Normalised view, set by the parser: the significant digits without
     * leading or trailing zeros, possibly split over two slices (integer
     * part, then fraction). Zero has none. Value = d.ddd x 10^adj. */
    const char *sig1;
    size_t sig1_n;
    const char *sig2;
    size_t sig2_n;
    int64_t adj;           /* saturated to +-VAL_EXP_SAT; 0 for zero */
} val_dec;

/* [+-]?[0-9]+ whose value fits int64; "012" is 12, "-0" is 0. */
bool val_integer_parse(const char *p, size_t n, int64_t *out);

/* [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?, or exactly "NaN",
 * "INF" or "-INF" (Table Schema). *out is written only on success. */
bool val_number_parse(const char *p, size_t n, val_dec *out);

static inline bool val_dec_is_zero(const val_dec *d)
{
    return d->kind == VAL_DEC_FINITE && d->sig1_n == 0;
}

/* Compares the significant digits of two numbers of equal adj (number.c). */
int val_dec_sig_cmp(const val_dec *a, const val_dec *b);

/* -2 for -INF, -1 negative, 0 zero, 1 positive, 2 for INF. */
static inline int val_dec_rank(const val_dec *d)
{
    if (d->kind == VAL_DEC_INF)
        return d->neg ? -2 : 2;
    if (d->sig1_n == 0)
        return 0;
    return d->neg ? -1 : 1;
}

/* -1, 0, 1 as a <, ==, > b; VAL_CMP_UNORDERED when either is NaN.
 * -INF < every finite < INF; -0 == 0; 0.1 == 0.10; 1e2 == 100. Inline: the
 * bounds of a number field compare every value, and the exponents alone
 * (adj) decide most comparisons. */
static inline int val_dec_cmp(const val_dec *a, const val_dec *b)
{
    if (a->kind == VAL_DEC_NAN || b->kind == VAL_DEC_NAN)
        return VAL_CMP_UNORDERED;
    int ra = val_dec_rank(a), rb = val_dec_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra != 1 && ra != -1)
        return 0;
    int c = a->adj != b->adj ? (a->adj < b->adj ? -1 : 1) : val_dec_sig_cmp(a, b);
    return ra < 0 ? -c : c;
}

/* The integer v as a val_dec whose digits live in buf (keep buf alive). */
void val_dec_from_int64(int64_t v, char buf[VAL_INT64_BUF], val_dec *out);
/* val_dec_cmp of the integer v against b, exactly. */
int val_int_dec_cmp(int64_t v, const val_dec *b);

/* The canonical text of an integer (decimal, "-" for negatives, no leading
 * zeros) into buf (VAL_INT64_BUF bytes), NUL-terminated; returns its length. */
size_t val_integer_key(int64_t v, char *buf);

/* One text per value, for uniqueness: "0"; else [-]D[.DDD]eN with no
 * trailing zeros ("1.0", "1", "1e0", "01" all give "1e0"; "-12.50" gives
 * "-1.25e1"); "NaN", "INF", "-INF". Returns the length of the text; writes
 * it (not NUL-terminated) only when it fits in cap. VAL_CANON_CAP(n) bytes
 * always suffice for a number parsed from n bytes. */
size_t val_dec_canon(const val_dec *d, char *out, size_t cap);

#endif
