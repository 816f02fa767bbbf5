/* validators/number.c — strict integers and exact decimals (see number.h).
 *
 * A number is normalised once, at parse time, to its significant digits and
 * an adjusted exponent (value = d.ddd x 10^adj); comparing two numbers is
 * then a sign test, an exponent test and a memcmp of digits. */
#include "validators/number.h"

#include <string.h>

/* No text longer than this is a number: it keeps every digit count far
 * below VAL_EXP_SAT, so adding counts to exponents never overflows. */
#define NUM_MAX_LEN ((size_t)1 << 40)

static size_t scan_digits(const char *p, size_t i, size_t n)
{
    while (i < n && (unsigned char)(p[i] - '0') <= 9)
        i++;
    return i;
}

bool val_integer_parse(const char *p, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (i == n)
        return false;
    uint64_t v = 0;
    if (n - i <= 18) { /* 18 digits never overflow: no per-digit bound */
        for (; i < n; i++) {
            unsigned d = (unsigned)(unsigned char)p[i] - '0';
            if (d > 9)
                return false;
            v = v * 10 + d;
        }
        *out = neg ? -(int64_t)v : (int64_t)v;
        return true;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9 || v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (!neg)
        *out = (int64_t)v;
    else if (v == (uint64_t)INT64_MAX + 1)
        *out = INT64_MIN;
    else
        *out = -(int64_t)v;
    return true;
}

/* The Table Schema specials, exactly as written there. */
static bool parse_special(const char *p, size_t n, val_dec *out)
{
    val_dec d;
    memset(&d, 0, sizeof d);
    if (n == 3 && memcmp(p, "NaN", 3) == 0)
        d.kind = VAL_DEC_NAN;
    else if (n == 3 && memcmp(p, "INF", 3) == 0)
        d.kind = VAL_DEC_INF;
    else if (n == 4 && memcmp(p, "-INF", 4) == 0) {
        d.kind = VAL_DEC_INF;
        d.neg = true;
    } else
        return false;
    d.int_p = d.frac_p = d.sig1 = d.sig2 = p;
    *out = d;
    return true;
}

/* [eE][+-]?[0-9]+ at *i, saturating at VAL_EXP_SAT. */
static bool parse_exp(const char *p, size_t *i, size_t n, int64_t *exp)
{
    size_t k = *i + 1;
    bool neg = false;
    if (k < n && (p[k] == '+' || p[k] == '-')) {
        neg = p[k] == '-';
        k++;
    }
    size_t start = k;
    int64_t e = 0;
    for (; k < n && (unsigned char)(p[k] - '0') <= 9; k++)
        e = e > VAL_EXP_SAT / 10 ? VAL_EXP_SAT : e * 10 + (p[k] - '0');
    if (k == start)
        return false;
    if (e > VAL_EXP_SAT)
        e = VAL_EXP_SAT;
    *exp = neg ? -e : e;
    *i = k;
    return true;
}

static int64_t clamp_exp(int64_t e)
{
    return e > VAL_EXP_SAT ? VAL_EXP_SAT : e < -VAL_EXP_SAT ? -VAL_EXP_SAT : e;
}

/* Sets sig1/sig2/adj from the digits as written. */
static void normalise(val_dec *d)
{
    size_t k = 0;
    while (k < d->int_n && d->int_p[k] == '0')
        k++;
    d->sig2 = d->frac_p;
    d->sig2_n = 0;
    if (k < d->int_n) {
        d->sig1 = d->int_p + k;
        d->sig1_n = d->int_n - k;
        d->sig2_n = d->frac_n;
        d->adj = d->exp + (int64_t)(d->int_n - k - 1);
    } else {
        size_t j = 0;
        while (j < d->frac_n && d->frac_p[j] == '0')
            j++;
        d->sig1 = d->frac_p + j;
        d->sig1_n = d->frac_n - j;
        d->adj = d->sig1_n ? d->exp - (int64_t)(j + 1) : 0;
    }
    while (d->sig2_n > 0 && d->sig2[d->sig2_n - 1] == '0')
        d->sig2_n--;
    if (d->sig2_n == 0)
        while (d->sig1_n > 0 && d->sig1[d->sig1_n - 1] == '0')
            d->sig1_n--;
    d->adj = clamp_exp(d->adj);
}

bool val_number_parse(const char *p, size_t n, val_dec *out)
{
    static const val_dec zero; /* copied, not memset: see df_build in datefmt.c */
    val_dec d = zero;
    if (n > NUM_MAX_LEN)
        return false;
    size_t i = 0;
    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        d.neg = p[0] == '-';
        i = 1;
    }
    size_t start = i;
    i = scan_digits(p, i, n);
    d.int_p = p + start;
    d.int_n = i - start;
    d.frac_p = p + i;
    if (i < n && p[i] == '.') {
        start = ++i;
        i = scan_digits(p, i, n);
        d.frac_p = p + start;
        d.frac_n = i - start;
    }
    if (d.int_n + d.frac_n == 0)
        return parse_special(p, n, out);
    if (i < n && (p[i] == 'e' || p[i] == 'E') && !parse_exp(p, &i, n, &d.exp))
        return false;
    if (i != n)
        return false;
    normalise(&d);
    *out = d;
    return true;
}

/* Compares the significant digits of two numbers of equal adj. Trailing
 * zeros are stripped, so a longer run of digits is the larger value. */
int val_dec_sig_cmp(const val_dec *a, const val_dec *b)
{
    const char *pa = a->sig1, *pb = b->sig1;
    size_t na = a->sig1_n, nb = b->sig1_n;
    bool a2 = false, b2 = false; /* on the second slice */
    for (;;) {
        if (na == 0 && !a2) {
            pa = a->sig2, na = a->sig2_n, a2 = true;
            continue;
        }
        if (nb == 0 && !b2) {
            pb = b->sig2, nb = b->sig2_n, b2 = true;
            continue;
        }
        if (na == 0 || nb == 0)
            return na == nb ? 0 : na == 0 ? -1 : 1;
        size_t m = na < nb ? na : nb;
        int c = memcmp(pa, pb, m);
        if (c)
            return c < 0 ? -1 : 1;
        pa += m, na -= m, pb += m, nb -= m;
    }
}

size_t val_integer_key(int64_t v, char *buf)
{
    char tmp[VAL_INT64_BUF];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t k = 0, len = 0;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[len++] = '-';
    while (k)
        buf[len++] = tmp[--k];
    buf[len] = '\0';
    return len;
}

void val_dec_from_int64(int64_t v, char buf[VAL_INT64_BUF], val_dec *out)
{
    size_t len = val_integer_key(v, buf);
    val_number_parse(buf, len, out); /* always a number */
}

int val_int_dec_cmp(int64_t v, const val_dec *b)
{
    char buf[VAL_INT64_BUF];
    val_dec a;
    val_dec_from_int64(v, buf, &a);
    return val_dec_cmp(&a, b);
}

/* Length of the decimal text of e; writes it to out when out is not NULL. */
static size_t exp_text(int64_t e, char *out)
{
    char buf[VAL_INT64_BUF];
    size_t len = val_integer_key(e, buf);
    if (out)
        memcpy(out, buf, len);
    return len;
}

size_t val_dec_canon(const val_dec *d, char *out, size_t cap)
{
    const char *special = NULL;
    if (d->kind == VAL_DEC_NAN)
        special = "NaN";
    else if (d->kind == VAL_DEC_INF)
        special = d->neg ? "-INF" : "INF";
    else if (d->sig1_n == 0)
        special = "0";
    if (special) {
        size_t len = strlen(special);
        if (len <= cap)
            memcpy(out, special, len);
        return len;
    }
    size_t nsig = d->sig1_n + d->sig2_n;
    size_t len = (d->neg ? 1 : 0) + nsig + (nsig > 1 ? 1 : 0) + 1 + exp_text(d->adj, NULL);
    if (len > cap)
        return len;
    char *w = out;
    if (d->neg)
        *w++ = '-';
    *w++ = d->sig1[0];
    if (nsig > 1) {
        *w++ = '.';
        memcpy(w, d->sig1 + 1, d->sig1_n - 1);
        w += d->sig1_n - 1;
        memcpy(w, d->sig2, d->sig2_n);
        w += d->sig2_n;
    }
    *w++ = 'e';
    w += exp_text(d->adj, w);
    return len;
}
