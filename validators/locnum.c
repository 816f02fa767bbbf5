/* validators/locnum.c — numbers in locale notations (see locnum.h).
 *
 * One shape check serves both paths: it walks sign, digits, group and
 * decimal separators, writing the plain text as it goes, so a value is read
 * once and every digit it holds is kept. With a locale, ICU then parses the
 * same digits and must find the same value: ICU is the parser, the shape is
 * the grammar (ICU alone accepts any space as a French group separator). */
#include "validators/locnum.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uloc.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "validators/number.h"

/* Bytes of one separator or sign as CLDR writes it (a character, perhaps
 * with bidi marks). */
#define LN_SYM_MAX 16
/* Longer bodies skip the ICU cross-check: ICU's parse time grows with the
 * square of the digits (200,000 digits take a quarter of a second); the
 * shape alone decides them, digit for digit as below this size. */
#define LN_ICU_MAX 4096
#define LN_LOCALE_MAX 160
#define LN_MSG_MAX 384

typedef struct ln_sym {
    char s[LN_SYM_MAX];
    size_t n;
} ln_sym;

struct val_locnum_spec {
    bool integer;
    bool bare;                /* bareNumber */
    bool exponent;            /* [eE][+-]?digits allowed (hand path, numbers) */
    bool icu;                 /* a locale: cross-check with ICU */
    bool rewrite;             /* "output": "plain" */
    ln_sym dec;
    ln_sym grp[3];            /* accepted group separators */
    size_t ngrp;              /* 0: no grouping */
    ln_sym minus[1];          /* the locale's minus sign when it is not "-" */
    size_t nminus;
    size_t g1, g2;            /* primary and secondary group sizes */
    char icu_locale[LN_LOCALE_MAX]; /* canonical, with @numbers=latn */
    char msg_type[LN_MSG_MAX];
    char msg_range[LN_MSG_MAX];
};

typedef struct ln_handle {
    char locale[LN_LOCALE_MAX];
    UNumberFormat *fmt;
} ln_handle;

struct val_locnum_worker {
    ln_handle *h;
    size_t nh, caph;
    UChar *u;                 /* the body in UTF-16, for ICU */
    size_t ucap;
    char *d;                  /* ICU's decimal result */
    size_t dcap;
};

static bool is_digit(char c)
{
    return (unsigned char)(c - '0') <= 9;
}

/* The code point at p[0..n), its length in *len; -1 when not UTF-8. */
static UChar32 next_cp(const char *p, size_t n, size_t *len)
{
    int32_t i = 0, m = n < 4 ? (int32_t)n : 4;
    UChar32 c;
    U8_NEXT((const uint8_t *)p, i, m, c);
    *len = (size_t)i;
    return c;
}

bool val_locnum_char_ok(const char *p, size_t n)
{
    if (!p || n == 0 || n > 4)
        return false;
    size_t len;
    UChar32 c = next_cp(p, n, &len);
    if (c < 0 || len != n)
        return false;
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        return false;
    return !(u_isdigit(c) || c == '+' || c == '-' || c == 'e' || c == 'E');
}

static size_t match_sym(const ln_sym *set, size_t k, const char *p, size_t n)
{
    for (size_t i = 0; i < k; i++)
        if (set[i].n <= n && memcmp(set[i].s, p, set[i].n) == 0)
            return set[i].n;
    return 0;
}

static bool sym_set(ln_sym *s, const char *p, size_t n)
{
    if (n == 0 || n >= LN_SYM_MAX)
        return false;
    memcpy(s->s, p, n);
    s->n = n;
    return true;
}

/* ---- locales --------------------------------------------------------- */

static bool locale_chars_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
              c == '_' || c == '-'))
            return false;
    }
    return n > 0 && n < 64;
}

bool val_locnum_locale_known(const char *p, size_t n, char *canon, size_t cap,
                             bool *own)
{
    char in[64], lang[16], base[LN_LOCALE_MAX], al[16];
    UErrorCode st = U_ZERO_ERROR;
    *own = false;
    if (!locale_chars_ok(p, n) || cap < LN_LOCALE_MAX)
        return false;
    memcpy(in, p, n);
    in[n] = '\0';
    if (memchr(in, '-', n)) {
        int32_t parsed = 0;
        uloc_forLanguageTag(in, canon, (int32_t)cap, &parsed, &st);
        if (U_FAILURE(st) || parsed != (int32_t)n)
            return false;
    } else {
        uloc_canonicalize(in, canon, (int32_t)cap, &st);
    }
    uloc_getLanguage(canon, lang, sizeof lang, &st);
    uloc_getBaseName(canon, base, sizeof base, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || !lang[0])
        return false;
    bool known = false;
    for (int32_t i = 0, k = unum_countAvailable(); i < k; i++) {
        const char *a = unum_getAvailable(i);
        UErrorCode s2 = U_ZERO_ERROR;
        if (strcmp(a, base) == 0)
            *own = true;
        uloc_getLanguage(a, al, sizeof al, &s2);
        if (U_SUCCESS(s2) && strcmp(al, lang) == 0)
            known = true;
    }
    return known;
}

static UNumberFormat *icu_open(const char *locale)
{
    UErrorCode st = U_ZERO_ERROR;
    UNumberFormat *f = unum_open(UNUM_DECIMAL, NULL, 0, locale, NULL, &st);
    if (U_FAILURE(st)) {
        unum_close(f);
        return NULL;
    }
    unum_setAttribute(f, UNUM_LENIENT_PARSE, 0);
    unum_setAttribute(f, UNUM_PARSE_NO_EXPONENT, 1);
    return f;
}

static bool icu_symbol(UNumberFormat *f, UNumberFormatSymbol which, ln_sym *out)
{
    UChar u[LN_SYM_MAX];
    char b[LN_SYM_MAX];
    UErrorCode st = U_ZERO_ERROR;
    int32_t un = unum_getSymbol(f, which, u, LN_SYM_MAX, &st);
    int32_t bn = 0;
    u_strToUTF8(b, LN_SYM_MAX, &bn, u, un, &st);
    return U_SUCCESS(st) && st != U_STRING_NOT_TERMINATED_WARNING &&
           sym_set(out, b, (size_t)bn);
}

/* CLDR's group separator, and the one each stands for in older data:
 * U+202F NARROW NO-BREAK SPACE with U+00A0 NO-BREAK SPACE (French),
 * U+2019 RIGHT SINGLE QUOTATION MARK with U+0027 APOSTROPHE (Swiss). */
static void add_group_twin(val_locnum_spec *s)
{
    static const char *const twins[][2] = {
        {"\xe2\x80\xaf", "\xc2\xa0"}, {"\xe2\x80\x99", "'"}};
    for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++)
        for (size_t j = 0; j < 2; j++)
            if (s->grp[0].n == strlen(twins[i][j]) &&
                memcmp(s->grp[0].s, twins[i][j], s->grp[0].n) == 0 &&
                sym_set(&s->grp[1], twins[i][1 - j], strlen(twins[i][1 - j])))
                s->ngrp = 2;
}

static val_locnum_bad compile_locale(val_locnum_spec *s, const char *p, size_t n)
{
    char canon[LN_LOCALE_MAX];
    bool own;
    UErrorCode st = U_ZERO_ERROR;
    if (!val_locnum_locale_known(p, n, canon, sizeof canon, &own))
        return VAL_LOCNUM_BAD_LOCALE;
    /* Digits are always ASCII: the latn numbering system of the locale. */
    uloc_setKeywordValue("numbers", "latn", canon, sizeof canon, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING)
        return VAL_LOCNUM_BAD_LOCALE;
    memcpy(s->icu_locale, canon, sizeof canon);
    UNumberFormat *f = icu_open(s->icu_locale);
    if (!f)
        return VAL_LOCNUM_BAD_LOCALE;
    ln_sym minus;
    bool ok = icu_symbol(f, UNUM_DECIMAL_SEPARATOR_SYMBOL, &s->dec) &&
              icu_symbol(f, UNUM_MINUS_SIGN_SYMBOL, &minus);
    if (ok && unum_getAttribute(f, UNUM_GROUPING_USED) &&
        icu_symbol(f, UNUM_GROUPING_SEPARATOR_SYMBOL, &s->grp[0])) {
        s->ngrp = 1;
        add_group_twin(s);
    }
    int32_t g1 = unum_getAttribute(f, UNUM_GROUPING_SIZE);
    int32_t g2 = unum_getAttribute(f, UNUM_SECONDARY_GROUPING_SIZE);
    unum_close(f);
    if (!ok)
        return VAL_LOCNUM_BAD_LOCALE;
    if (!(minus.n == 1 && minus.s[0] == '-')) {
        s->minus[0] = minus;
        s->nminus = 1;
    }
    if (g1 <= 0)
        s->ngrp = 0;
    s->g1 = g1 > 0 ? (size_t)g1 : 3;
    s->g2 = g2 > 0 ? (size_t)g2 : s->g1;
    s->icu = true;
    return VAL_LOCNUM_GOOD;
}

/* ---- messages -------------------------------------------------------- */

/* "1.234.567,89" in s's notation. */
static size_t put_example(const val_locnum_spec *s, char *b, size_t cap)
{
    static const char digits[] = "1234567";
    size_t nd = sizeof digits - 1, len = 0;
    bool cut[sizeof digits] = {false};
    if (s->ngrp)
        for (size_t at = nd - s->g1, step = s->g2; at > 0 && at < nd;
             at = at > step ? at - step : 0)
            cut[at] = true;
    for (size_t i = 0; i < nd && len + LN_SYM_MAX + 2 < cap; i++) {
        if (cut[i]) {
            memcpy(b + len, s->grp[0].s, s->grp[0].n);
            len += s->grp[0].n;
        }
        b[len++] = digits[i];
    }
    if (!s->integer && len + LN_SYM_MAX + 3 < cap) {
        memcpy(b + len, s->dec.s, s->dec.n);
        len += s->dec.n;
        b[len++] = '8';
        b[len++] = '9';
    }
    b[len] = '\0';
    return len;
}

/* "; group separator U+202F or U+00A0" when a separator is not visible ASCII. */
static void put_group_names(const val_locnum_spec *s, char *b, size_t cap)
{
    bool plain = true;
    for (size_t i = 0; i < s->ngrp; i++)
        plain = plain && s->grp[i].n == 1 && s->grp[i].s[0] > ' ';
    b[0] = '\0';
    if (plain)
        return;
    size_t len = (size_t)snprintf(b, cap, "; group separator");
    for (size_t i = 0; i < s->ngrp && len < cap; i++) {
        size_t l;
        UChar32 c = next_cp(s->grp[i].s, s->grp[i].n, &l);
        len += (size_t)snprintf(b + len, cap - len, "%s U+%04X", i ? " or" : "",
                                (unsigned)c);
    }
}

static void build_messages(val_locnum_spec *s, const val_locnum_opts *o)
{
    const char *what = s->integer ? "an integer" : "a number";
    char where[160] = "", ex[96], names[96];
    if (o->locale)
        snprintf(where, sizeof where, " in locale %.*s", (int)o->locale_n, o->locale);
    else if (s->ngrp && !s->integer && !(s->dec.n == 1 && s->dec.s[0] == '.'))
        snprintf(where, sizeof where, " with decimalChar \"%.*s\" and groupChar \"%.*s\"",
                 (int)s->dec.n, s->dec.s, (int)s->grp[0].n, s->grp[0].s);
    else if (s->ngrp)
        snprintf(where, sizeof where, " with groupChar \"%.*s\"", (int)s->grp[0].n,
                 s->grp[0].s);
    else if (!s->integer && !(s->dec.n == 1 && s->dec.s[0] == '.'))
        snprintf(where, sizeof where, " with decimalChar \"%.*s\"", (int)s->dec.n,
                 s->dec.s);
    put_example(s, ex, sizeof ex);
    put_group_names(s, names, sizeof names);
    snprintf(s->msg_type, sizeof s->msg_type, "not %s%s (expected like %s%s%s)", what,
             where, ex, names,
             s->bare ? "" : ", with or without text such as a currency or % around it");
    snprintf(s->msg_range, sizeof s->msg_range,
             "not an integer%s: beyond the 64-bit range", where);
}

/* ---- compile --------------------------------------------------------- */

static bool is_dot(const char *p, size_t n)
{
    return n == 1 && p[0] == '.';
}

val_locnum_bad val_locnum_compile(const val_locnum_opts *o, val_locnum_spec **out)
{
    *out = NULL;
    bool has_dec = o->decimal_char && !o->integer;
    bool has_grp = o->group_char && o->group_n > 0;
    if (has_dec && !val_locnum_char_ok(o->decimal_char, o->decimal_n))
        return VAL_LOCNUM_BAD_DECIMAL;
    if (has_grp && !val_locnum_char_ok(o->group_char, o->group_n))
        return VAL_LOCNUM_BAD_GROUP;
    if (o->locale && (has_dec || has_grp))
        return VAL_LOCNUM_BAD_MIXED;
    if (!o->locale && !has_grp && o->bare_number &&
        (!has_dec || is_dot(o->decimal_char, o->decimal_n)))
        return VAL_LOCNUM_GOOD;
    val_locnum_spec *s = calloc(1, sizeof *s);
    if (!s)
        return VAL_LOCNUM_BAD_NOMEM;
    s->integer = o->integer;
    s->bare = o->bare_number;
    s->rewrite = o->output_plain;
    val_locnum_bad bad = VAL_LOCNUM_GOOD;
    if (o->locale) {
        bad = compile_locale(s, o->locale, o->locale_n);
    } else {
        s->exponent = !o->integer;
        s->g1 = s->g2 = 3;
        sym_set(&s->dec, has_dec ? o->decimal_char : ".", has_dec ? o->decimal_n : 1);
        if (has_grp) {
            sym_set(&s->grp[0], o->group_char, o->group_n);
            s->ngrp = 1;
            if (!o->integer && s->grp[0].n == s->dec.n &&
                memcmp(s->grp[0].s, s->dec.s, s->dec.n) == 0)
                bad = VAL_LOCNUM_BAD_SAME;
        }
    }
    if (bad) {
        free(s);
        return bad;
    }
    build_messages(s, o);
    *out = s;
    return VAL_LOCNUM_GOOD;
}

void val_locnum_spec_free(val_locnum_spec *s)
{
    free(s);
}

bool val_locnum_rewrites(const val_locnum_spec *s)
{
    return s && s->rewrite;
}

bool val_locnum_uses_icu(const val_locnum_spec *s)
{
    return s && s->icu;
}

const char *val_locnum_message(const val_locnum_spec *s, val_locnum_result r)
{
    return r == VAL_LOCNUM_RANGE ? s->msg_range : s->msg_type;
}

/* ---- workers --------------------------------------------------------- */

val_locnum_worker *val_locnum_worker_new(void)
{
    return calloc(1, sizeof(val_locnum_worker));
}

void val_locnum_worker_free(val_locnum_worker *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nh; i++)
        unum_close(w->h[i].fmt);
    free(w->h);
    free(w->u);
    free(w->d);
    free(w);
}

/* This thread's formatter for s's locale, opened on first use. */
static UNumberFormat *worker_handle(val_locnum_worker *w, const val_locnum_spec *s)
{
    for (size_t i = 0; i < w->nh; i++)
        if (strcmp(w->h[i].locale, s->icu_locale) == 0)
            return w->h[i].fmt;
    if (w->nh == w->caph) {
        size_t cap = w->caph ? w->caph * 2 : 4;
        ln_handle *h = realloc(w->h, cap * sizeof *h);
        if (!h)
            return NULL;
        w->h = h;
        w->caph = cap;
    }
    UNumberFormat *f = icu_open(s->icu_locale);
    if (!f)
        return NULL;
    memcpy(w->h[w->nh].locale, s->icu_locale, sizeof s->icu_locale);
    w->h[w->nh++].fmt = f;
    return f;
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    void *q = realloc(*p, need * size);
    if (!q)
        return false;
    *p = q;
    *cap = need;
    return true;
}

/* ICU reads the body (no sign) and must find the value of plain (no sign). */
static val_locnum_result icu_agrees(const val_locnum_spec *s, val_locnum_worker *w,
                                    const char *b, size_t bn, const char *plain,
                                    size_t pn)
{
    UNumberFormat *f = w ? worker_handle(w, s) : NULL;
    if (!f || !grow((void **)&w->u, &w->ucap, bn + 1, sizeof *w->u) ||
        !grow((void **)&w->d, &w->dcap, bn + 48, 1))
        return VAL_LOCNUM_NOMEM;
    UErrorCode st = U_ZERO_ERROR;
    int32_t un = 0, pos = 0;
    u_strFromUTF8(w->u, (int32_t)w->ucap, &un, b, (int32_t)bn, &st);
    if (U_FAILURE(st))
        return VAL_LOCNUM_INVALID;
    int32_t dn = unum_parseDecimal(f, w->u, un, &pos, w->d, (int32_t)w->dcap, &st);
    val_dec a, v;
    if (U_FAILURE(st) || pos != un || dn <= 0 || (size_t)dn >= w->dcap ||
        !val_number_parse(w->d, (size_t)dn, &a) || !val_number_parse(plain, pn, &v) ||
        val_dec_cmp(&a, &v) != 0)
        return VAL_LOCNUM_INVALID;
    return VAL_LOCNUM_OK;
}

/* ---- parse ----------------------------------------------------------- */

typedef struct ln_split {
    bool neg;
    const char *b;   /* the body: digits and separators */
    size_t bn;
} ln_split;

static size_t match_sign(const val_locnum_spec *s, const char *p, size_t n, bool *neg)
{
    if (n && (p[0] == '+' || p[0] == '-')) {
        *neg = p[0] == '-';
        return 1;
    }
    size_t k = match_sym(s->minus, s->nminus, p, n);
    if (k)
        *neg = true;
    return k;
}

static bool split_bare(const val_locnum_spec *s, const char *p, size_t n, ln_split *sp)
{
    sp->neg = false;
    size_t i = match_sign(s, p, n, &sp->neg);
    sp->b = p + i;
    sp->bn = n - i;
    return true;
}

/* A character that bareNumber false must not strip: it would change the
 * value (a sign after the number, accounting parentheses, another digit). */
static bool strippable(UChar32 c)
{
    return c >= 0 && c != '(' && c != ')' && c != '+' && c != '-' && c != 0x2212 &&
           !u_isdigit(c);
}

/* bareNumber false: strips leading and trailing non-numeric characters,
 * keeping one sign found among the leading ones. */
static bool split_strip(const val_locnum_spec *s, const char *p, size_t n, ln_split *sp)
{
    size_t i = 0, signs = 0, k;
    bool junk = false;
    sp->neg = false;
    while (i < n && !is_digit(p[i])) {
        k = match_sym(&s->dec, 1, p + i, n - i);
        if (k && i + k < n && is_digit(p[i + k]))
            break;
        if ((k = match_sign(s, p + i, n - i, &sp->neg))) {
            if (++signs > 1)
                return false;
            i += k;
            continue;
        }
        if (!strippable(next_cp(p + i, n - i, &k)))
            return false;
        junk = true;
        i += k;
    }
    /* "$.50" or "Rs.500": is the point part of the unit or of the number? */
    if (junk && match_sym(&s->dec, 1, p + i, n - i))
        return false;
    size_t j = n;
    while (j > i && !is_digit(p[j - 1]))
        j--;
    for (size_t t = j; t < n; t += k)
        if (match_sym(s->minus, s->nminus, p + t, n - t) ||
            !strippable(next_cp(p + t, n - t, &k)))
            return false;
    sp->b = p + i;
    sp->bn = j - i;
    return true;
}

/* The body's shape; writes its plain form (digits, ".", exponent) to w,
 * which has room for m bytes (the plain form is never longer). */
static bool shape(const val_locnum_spec *s, const char *q, size_t m, char *w, size_t *wn)
{
    size_t i = 0, o = 0, run = 0, whole = 0, frac = 0, k;
    bool grouped = false;
    for (;;) {
        if (i < m && is_digit(q[i])) {
            w[o++] = q[i++];
            run++;
            whole++;
            continue;
        }
        if (i == m || !(k = match_sym(s->grp, s->ngrp, q + i, m - i)))
            break;
        /* The first group holds 1..g2 digits, later ones exactly g2, the
         * last exactly g1: 1.234.567 (de), 12,34,567 (en_IN). */
        if (run == 0 || run > s->g2 || (grouped && run != s->g2))
            return false;
        grouped = true;
        run = 0;
        i += k;
    }
    if (grouped && run != s->g1)
        return false;
    if (!s->integer && i < m && (k = match_sym(&s->dec, 1, q + i, m - i))) {
        i += k;
        w[o++] = '.';
        while (i < m && is_digit(q[i])) {
            w[o++] = q[i++];
            frac++;
        }
    }
    if (whole + frac == 0)
        return false;
    if (s->exponent && i < m && (q[i] == 'e' || q[i] == 'E')) {
        w[o++] = q[i++];
        if (i < m && (q[i] == '+' || q[i] == '-'))
            w[o++] = q[i++];
        size_t d0 = i;
        while (i < m && is_digit(q[i]))
            w[o++] = q[i++];
        if (i == d0)
            return false;
    }
    *wn = o;
    return i == m;
}

static bool is_special(const char *p, size_t n)
{
    return (n == 3 && (memcmp(p, "NaN", 3) == 0 || memcmp(p, "INF", 3) == 0)) ||
           (n == 4 && memcmp(p, "-INF", 4) == 0);
}

val_locnum_result val_locnum_parse(const val_locnum_spec *s, val_locnum_worker *w,
                                   const char *p, size_t n, core_buf *scratch,
                                   const char **plain, size_t *plain_n)
{
    *plain = p;
    *plain_n = n;
    if (!s->integer && is_special(p, n))
        return VAL_LOCNUM_OK;
    ln_split sp;
    if (!(s->bare ? split_bare(s, p, n, &sp) : split_strip(s, p, n, &sp)))
        return VAL_LOCNUM_INVALID;
    core_buf_clear(scratch);
    assay_status st = core_buf_reserve(scratch, sp.bn + 2);
    if (st)
        return st == ASSAY_E_LIMIT ? VAL_LOCNUM_LIMIT : VAL_LOCNUM_NOMEM;
    char *out = scratch->data;
    size_t sign = sp.neg ? 1 : 0, body = 0;
    out[0] = '-';
    if (!shape(s, sp.b, sp.bn, out + sign, &body))
        return VAL_LOCNUM_INVALID;
    size_t len = sign + body;
    out[len] = '\0';
    scratch->len = len;
    int64_t iv;
    val_dec d;
    if (s->integer && !val_integer_parse(out, len, &iv))
        return VAL_LOCNUM_RANGE;
    if (!s->integer && !val_number_parse(out, len, &d))
        return VAL_LOCNUM_INVALID; /* not reached: the shape is the grammar */
    if (s->icu && sp.bn <= LN_ICU_MAX) {
        val_locnum_result r = icu_agrees(s, w, sp.b, sp.bn, out + sign, body);
        if (r)
            return r;
    }
    if (len != n || memcmp(out, p, n) != 0) {
        *plain = out;
        *plain_n = len;
    }
    return VAL_LOCNUM_OK;
}
