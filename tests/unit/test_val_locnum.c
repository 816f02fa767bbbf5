/* tests/unit/test_val_locnum.c — numbers in other notations: decimalChar,
 * groupChar, bareNumber and locale (validators/locnum.h), the hand path held
 * equal to the ICU path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assay/assay.h"
#include "core/buf.h"
#include "rules/rules.h"
#include "tests/unit/t.h"
#include "validators/locnum.h"
#include "validators/number.h"

#define NNBSP "\xe2\x80\xaf" /* U+202F NARROW NO-BREAK SPACE */
#define NBSP "\xc2\xa0"      /* U+00A0 NO-BREAK SPACE */
#define RSQUO "\xe2\x80\x99" /* U+2019 RIGHT SINGLE QUOTATION MARK */
#define MINUS "\xe2\x88\x92" /* U+2212 MINUS SIGN */

static val_locnum_worker *W;
static core_buf B;

static val_locnum_spec *spec(bool integer, const char *dec, const char *grp, bool bare,
                             const char *loc)
{
    val_locnum_opts o = {integer, dec, dec ? strlen(dec) : 0, grp, grp ? strlen(grp) : 0,
                         bare, loc, loc ? strlen(loc) : 0, false};
    val_locnum_spec *s = NULL;
    val_locnum_bad bad = val_locnum_compile(&o, &s);
    CHECK_MSG(bad == VAL_LOCNUM_GOOD && s, "compile %s/%s/%s: %d", dec ? dec : "-",
              grp ? grp : "-", loc ? loc : "-", (int)bad);
    return s;
}

static val_locnum_result run(const val_locnum_spec *s, const char *in, const char **pl,
                             size_t *pn)
{
    return val_locnum_parse(s, W, in, strlen(in), &B, pl, pn);
}

/* in is valid and reads as want; same: the plain text is the input itself. */
static void ok_as(const val_locnum_spec *s, const char *in, const char *want, int line)
{
    const char *pl = NULL;
    size_t pn = 0;
    val_locnum_result r = s ? run(s, in, &pl, &pn) : VAL_LOCNUM_INVALID;
    bool good = r == VAL_LOCNUM_OK && pn == strlen(want) && memcmp(pl, want, pn) == 0;
    bool same = strcmp(in, want) == 0 ? pl == in : pl != in;
    CHECK_MSG(good && same, "line %d: \"%s\" -> %d \"%.*s\", want \"%s\"", line, in, (int)r,
              r == VAL_LOCNUM_OK ? (int)pn : 0, pl ? pl : "", want);
}
#define OK(s, in, want) ok_as((s), (in), (want), __LINE__)

static void bad_as(const val_locnum_spec *s, const char *in, val_locnum_result want,
                   int line)
{
    const char *pl;
    size_t pn;
    val_locnum_result r = s ? run(s, in, &pl, &pn) : want;
    CHECK_MSG(r == want, "line %d: \"%s\" -> %d, want %d", line, in, (int)r, (int)want);
}
#define BAD(s, in) bad_as((s), (in), VAL_LOCNUM_INVALID, __LINE__)
#define RANGE(s, in) bad_as((s), (in), VAL_LOCNUM_RANGE, __LINE__)

static void test_compile(void)
{
    val_locnum_spec *s = (val_locnum_spec *)1;
    val_locnum_opts o = {false, ".", 1, NULL, 0, true, NULL, 0, false};
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_GOOD && s == NULL);
    o.decimal_char = NULL;
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_GOOD && s == NULL);
    o.group_char = "";
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_GOOD && s == NULL);
    o.group_char = ".";
    o.group_n = 1;
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_BAD_SAME && s == NULL);
    o.integer = true; /* integers have no decimal point: no clash */
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_GOOD && s);
    val_locnum_spec_free(s);
    o.integer = false;
    o.decimal_char = ",,";
    o.decimal_n = 2;
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_BAD_DECIMAL);
    o.decimal_char = ",";
    o.decimal_n = 1;
    o.group_char = "1";
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_BAD_GROUP);
    o.group_char = ".";
    o.locale = "de";
    o.locale_n = 2;
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_BAD_MIXED);
    o.decimal_char = o.group_char = NULL;
    o.locale = "xx";
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_BAD_LOCALE);
    o.bare_number = false; /* bareNumber false alone needs a spec */
    o.locale = NULL;
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_GOOD && s && !val_locnum_uses_icu(s));
    val_locnum_spec_free(s);

    CHECK(val_locnum_char_ok(",", 1));
    CHECK(val_locnum_char_ok(" ", 1));
    CHECK(val_locnum_char_ok(RSQUO, 3));
    CHECK(val_locnum_char_ok(NNBSP, 3));
    CHECK(!val_locnum_char_ok("", 0));
    CHECK(!val_locnum_char_ok(",.", 2));
    CHECK(!val_locnum_char_ok("7", 1));
    CHECK(!val_locnum_char_ok("-", 1));
    CHECK(!val_locnum_char_ok("+", 1));
    CHECK(!val_locnum_char_ok("e", 1));
    CHECK(!val_locnum_char_ok("E", 1));
    CHECK(!val_locnum_char_ok("\t", 1));
    CHECK(!val_locnum_char_ok("\xc3", 1));
    CHECK(!val_locnum_char_ok("\xd9\xa3", 2)); /* ARABIC-INDIC DIGIT THREE */

    char canon[160];
    bool own;
    CHECK(val_locnum_locale_known("de", 2, canon, sizeof canon, &own) && own);
    CHECK(val_locnum_locale_known("de-CH", 5, canon, sizeof canon, &own) && own &&
          strcmp(canon, "de_CH") == 0);
    CHECK(val_locnum_locale_known("de_CH", 5, canon, sizeof canon, &own) && own);
    CHECK(val_locnum_locale_known("de_XX", 5, canon, sizeof canon, &own) && !own);
    CHECK(!val_locnum_locale_known("xx", 2, canon, sizeof canon, &own));
    CHECK(!val_locnum_locale_known("", 0, canon, sizeof canon, &own));
    CHECK(!val_locnum_locale_known("de CH", 5, canon, sizeof canon, &own));
    CHECK(!val_locnum_locale_known("de@numbers=arab", 15, canon, sizeof canon, &own));
    CHECK(!val_locnum_locale_known("klingon", 7, canon, sizeof canon, &own));
}

static void test_hand(void)
{
    val_locnum_spec *s = spec(false, ",", ".", true, NULL);
    OK(s, "1.234,56", "1234.56");
    OK(s, "1234,56", "1234.56");
    OK(s, "1.234.567", "1234567");
    OK(s, "1.234.567,000", "1234567.000");
    OK(s, "-1.234,5", "-1234.5");
    OK(s, "+1.234,5", "1234.5");
    OK(s, ",5", ".5");
    OK(s, "5,", "5.");
    OK(s, "007,50", "007.50");
    OK(s, "1234", "1234"); /* unchanged: the input itself */
    OK(s, "-12", "-12");
    OK(s, "1,5e3", "1.5e3");
    OK(s, "1.234,5E-2", "1234.5E-2");
    OK(s, "NaN", "NaN");
    OK(s, "INF", "INF");
    OK(s, "-INF", "-INF");
    BAD(s, "1.23.4");   /* groups of three only */
    BAD(s, "12.34");
    BAD(s, "1.2345");
    BAD(s, "1234.567"); /* first group longer than three */
    BAD(s, "1.5");      /* "." is the group separator here, never a point */
    BAD(s, ".1.234");
    BAD(s, "1..234");
    BAD(s, "1.234.");
    BAD(s, "1.234,5.6");
    BAD(s, "1,2,3");
    BAD(s, "1,234.5");
    BAD(s, ",");
    BAD(s, "");
    BAD(s, "-");
    BAD(s, "+-1");
    BAD(s, " 1");
    BAD(s, "1 ");
    BAD(s, "1e");
    BAD(s, "1,5e");
    BAD(s, "1.234e3,5");
    BAD(s, "+INF");
    BAD(s, "nan");
    BAD(s, "12%");
    BAD(s, "\xd9\xa1");
    val_locnum_spec_free(s);

    s = spec(false, NULL, " ", true, NULL); /* groupChar " ", decimal "." */
    OK(s, "1 234 567.5", "1234567.5");
    OK(s, "1234567.5", "1234567.5");
    BAD(s, "1  234");
    BAD(s, "1 23");
    val_locnum_spec_free(s);

    s = spec(false, ",", NULL, true, NULL); /* decimalChar only */
    OK(s, "3,14", "3.14");
    BAD(s, "3.14");
    BAD(s, "1.234,5");
    val_locnum_spec_free(s);
}

static void test_integer(void)
{
    val_locnum_spec *s = spec(true, NULL, ".", true, NULL);
    OK(s, "1.234.567", "1234567");
    OK(s, "-1.234", "-1234");
    OK(s, "1234", "1234");
    BAD(s, "1.234,5");
    BAD(s, "1.234.5");
    BAD(s, "1e3");
    BAD(s, "NaN");
    OK(s, "9.223.372.036.854.775.807", "9223372036854775807");
    OK(s, "-9.223.372.036.854.775.808", "-9223372036854775808");
    RANGE(s, "9.223.372.036.854.775.808");
    RANGE(s, "-9.223.372.036.854.775.809");
    RANGE(s, "99.999.999.999.999.999.999.999");
    RANGE(s, "9223372036854775808");
    const char *pl;
    size_t pn;
    CHECK(strcmp(val_locnum_message(s, run(s, "9.223.372.036.854.775.808", &pl, &pn)),
                 "not an integer with groupChar \".\": beyond the 64-bit range") == 0);
    CHECK(strcmp(val_locnum_message(s, VAL_LOCNUM_INVALID),
                 "not an integer with groupChar \".\" (expected like 1.234.567)") == 0);
    val_locnum_spec_free(s);

    s = spec(true, NULL, NULL, true, "de");
    OK(s, "9.223.372.036.854.775.807", "9223372036854775807");
    RANGE(s, "9.223.372.036.854.775.808");
    OK(s, "-9223372036854775808", "-9223372036854775808");
    BAD(s, "1.234,0");
    CHECK(strcmp(val_locnum_message(s, VAL_LOCNUM_RANGE),
                 "not an integer in locale de: beyond the 64-bit range") == 0);
    val_locnum_spec_free(s);
}

static void test_locales(void)
{
    val_locnum_spec *de = spec(false, NULL, NULL, true, "de");
    OK(de, "1.234,56", "1234.56");
    OK(de, "1234,56", "1234.56");
    OK(de, "-1.234.567,5", "-1234567.5");
    OK(de, "+5", "5");
    OK(de, "1234", "1234");
    OK(de, "NaN", "NaN");
    BAD(de, "1.23.4");
    BAD(de, "12.34");
    BAD(de, "1,234.56");
    BAD(de, "1 234,56");  /* ICU takes any space here; assay does not */
    BAD(de, "1" NBSP "234,56");
    BAD(de, "1,5E3");     /* no exponent in a locale notation */
    BAD(de, " 1");
    BAD(de, "1 ");
    CHECK(strcmp(val_locnum_message(de, VAL_LOCNUM_INVALID),
                 "not a number in locale de (expected like 1.234.567,89)") == 0);
    val_locnum_spec_free(de);

    val_locnum_spec *fr = spec(false, NULL, NULL, true, "fr");
    OK(fr, "1" NNBSP "234,56", "1234.56");
    OK(fr, "1" NBSP "234" NBSP "567,5", "1234567.5");
    OK(fr, "1234,56", "1234.56");
    BAD(fr, "1 234,56"); /* ASCII space: use groupChar " " */
    BAD(fr, "1.234,56");
    BAD(fr, "1" NNBSP "23,5");
    CHECK(strcmp(val_locnum_message(fr, VAL_LOCNUM_INVALID),
                 "not a number in locale fr (expected like 1" NNBSP "234" NNBSP
                 "567,89; group separator U+202F or U+00A0)") == 0);
    val_locnum_spec_free(fr);

    val_locnum_spec *en = spec(false, NULL, NULL, true, "en");
    OK(en, "1,234.56", "1234.56");
    OK(en, "1234.56", "1234.56");
    OK(en, "-0.5", "-0.5");
    BAD(en, "1,23,456");
    BAD(en, "1.234,56");
    BAD(en, "1e5");
    val_locnum_spec_free(en);

    val_locnum_spec *in = spec(false, NULL, NULL, true, "en-IN");
    OK(in, "12,34,567.8", "1234567.8");
    OK(in, "1,234", "1234");
    OK(in, "1,23,45,678", "12345678");
    BAD(in, "1,234,567");
    BAD(in, "123,456");
    val_locnum_spec_free(in);

    val_locnum_spec *ch = spec(false, NULL, NULL, true, "de_CH");
    OK(ch, "1" RSQUO "234.56", "1234.56");
    OK(ch, "1'234'567.5", "1234567.5");
    OK(ch, "-1'234", "-1234");
    BAD(ch, "1.234,56");
    BAD(ch, "1'23.5");
    val_locnum_spec_free(ch);

    val_locnum_spec *sv = spec(false, NULL, NULL, true, "sv");
    OK(sv, MINUS "1" NBSP "234,5", "-1234.5");
    OK(sv, "-1" NNBSP "234,5", "-1234.5");
    val_locnum_spec_free(sv);

    val_locnum_spec *ar = spec(false, NULL, NULL, true, "ar"); /* digits stay ASCII */
    OK(ar, "1,234.5", "1234.5");
    BAD(ar, "\xd9\xa1\xd9\xa2");
    val_locnum_spec_free(ar);
}

static void test_bare_number_false(void)
{
    val_locnum_spec *fr = spec(false, NULL, NULL, false, "fr");
    OK(fr, "12" NNBSP "%", "12");
    OK(fr, "12" NBSP "%", "12");
    OK(fr, "12 %", "12");
    OK(fr, "12%", "12");
    OK(fr, "1" NNBSP "234,50" NBSP "\xe2\x82\xac", "1234.50");
    OK(fr, "12", "12");
    val_locnum_spec_free(fr);

    val_locnum_spec *de = spec(false, NULL, NULL, false, "de");
    OK(de, "1.234,56 \xe2\x82\xac", "1234.56");
    OK(de, "\xe2\x82\xac 1.234,56", "1234.56");
    OK(de, "EUR 1.234,56", "1234.56");
    OK(de, "EUR -5", "-5");
    OK(de, "-\xe2\x82\xac" "5", "-5");
    OK(de, "\xe2\x82\xac-5", "-5");
    OK(de, "5EUR", "5");
    OK(de, ",5 %", ".5");
    OK(de, "INF", "INF");
    BAD(de, "(5)");       /* accounting minus: never read as +5 */
    BAD(de, "5-");
    BAD(de, "5 -");
    BAD(de, "--5");
    BAD(de, "EUR");
    BAD(de, "");
    BAD(de, "$,50");      /* is the comma the unit's or the number's? */
    BAD(de, "1.23.4 EUR");
    BAD(de, "\xef\xbc\x95" "5"); /* FULLWIDTH DIGIT FIVE is no junk */
    BAD(de, "5\xef\xbc\x95");
    BAD(de, "\xff" "5");
    CHECK(strcmp(val_locnum_message(de, VAL_LOCNUM_INVALID),
                 "not a number in locale de (expected like 1.234.567,89, with or "
                 "without text such as a currency or % around it)") == 0);
    val_locnum_spec_free(de);

    val_locnum_spec *en = spec(false, NULL, NULL, false, "en");
    OK(en, "$1,234.56", "1234.56");
    OK(en, "-$5.00", "-5.00");
    OK(en, "95%", "95");
    BAD(en, "$.50");
    BAD(en, "Rs.500");
    OK(en, ".50", ".50");
    val_locnum_spec_free(en);

    val_locnum_spec *plain = spec(false, NULL, NULL, false, NULL);
    OK(plain, "EUR 12.50", "12.50");
    OK(plain, "95 %", "95");
    OK(plain, "1.5e3 m", "1.5e3");
    OK(plain, "12.5", "12.5");
    BAD(plain, "1,234.5");
    val_locnum_spec_free(plain);

    val_locnum_spec *in = spec(true, NULL, NULL, false, NULL);
    OK(in, "12 items", "12");
    OK(in, "#42", "42");
    BAD(in, "12.5 kg");
    val_locnum_spec_free(in);

    val_locnum_spec *bare = spec(false, NULL, NULL, true, "en");
    BAD(bare, "95%");
    BAD(bare, "$5");
    val_locnum_spec_free(bare);
}

/* A many-digit value keeps every digit, through ICU and past its limit. */
static void test_many_digits(void)
{
    val_locnum_spec *de = spec(false, NULL, NULL, true, "de");
    for (size_t nd = 1000; nd <= 6000; nd += 5000) {
        size_t cap = nd * 2 + 16;
        char *in = malloc(cap), *want = malloc(cap);
        size_t a = 0, b = 0;
        for (size_t i = 0; i < nd; i++) {
            if (i && (nd - i) % 3 == 0)
                in[a++] = '.';
            in[a++] = want[b++] = (char)('1' + i % 9);
        }
        memcpy(in + a, ",123456789012345678901234567890", 32);
        memcpy(want + b, ".123456789012345678901234567890", 32);
        OK(de, in, want);
        free(in);
        free(want);
    }
    val_locnum_spec_free(de);
}

static uint64_t rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A random value: well formed in (dec, grp) most of the time, else noise
 * from the characters that matter. want gets the plain form when formed. */
static void gen(char *out, char *want, const char *dec, const char *grp, bool integer,
                bool *formed)
{
    static const char *const noise[] = {"0", "1", "7", "9", ".", ",", "-", "+", " ", "e"};
    size_t o = 0, w = 0;
    *formed = rnd(4) != 0;
    if (!*formed) {
        for (unsigned i = 0, n = rnd(12); i < n; i++) {
            const char *t = rnd(5) == 0 ? grp : noise[rnd(9)]; /* no "e" */
            memcpy(out + o, t, strlen(t));
            o += strlen(t);
        }
        out[o] = '\0';
        want[0] = '\0';
        return;
    }
    if (rnd(4) == 0) {
        out[o++] = '-';
        want[w++] = '-';
    }
    unsigned nd = 1 + rnd(25);
    bool group = rnd(2);
    for (unsigned i = 0; i < nd; i++) {
        if (group && i && (nd - i) % 3 == 0) {
            memcpy(out + o, grp, strlen(grp));
            o += strlen(grp);
        }
        out[o++] = want[w++] = (char)('0' + rnd(10));
    }
    if (!integer && rnd(2)) {
        memcpy(out + o, dec, strlen(dec));
        o += strlen(dec);
        want[w++] = '.';
        for (unsigned i = 0, n = rnd(8); i < n; i++)
            out[o++] = want[w++] = (char)('0' + rnd(10));
    }
    out[o] = '\0';
    want[w] = '\0';
}

/* The hand path (decimalChar/groupChar) equals the ICU path (locale) on
 * every generated value: same verdict, same plain text. */
static void differential(const char *loc, const char *dec, const char *grp, bool integer,
                         int rounds)
{
    val_locnum_spec *icu = spec(integer, NULL, NULL, true, loc);
    val_locnum_spec *hand = spec(integer, dec, grp, true, NULL);
    if (!icu || !hand)
        return;
    core_buf b2;
    core_buf_init(&b2, 0);
    int fails = 0, valid = 0;
    for (int k = 0; k < rounds && fails < 10; k++) {
        char in[256], want[256];
        bool formed;
        gen(in, want, dec, grp, integer, &formed);
        const char *p1 = NULL, *p2 = NULL;
        size_t n1 = 0, n2 = 0;
        val_locnum_result r1 = val_locnum_parse(icu, W, in, strlen(in), &B, &p1, &n1);
        val_locnum_result r2 = val_locnum_parse(hand, NULL, in, strlen(in), &b2, &p2, &n2);
        bool same = r1 == r2 && (r1 != VAL_LOCNUM_OK || (n1 == n2 && !memcmp(p1, p2, n1)));
        bool right = !formed || r1 == VAL_LOCNUM_RANGE ||
                     (r1 == VAL_LOCNUM_OK && n1 == strlen(want) && !memcmp(p1, want, n1));
        if (!same || !right)
            fails++;
        valid += r1 == VAL_LOCNUM_OK;
        CHECK_MSG(same && right, "%s \"%s\": icu %d \"%.*s\", hand %d \"%.*s\", want \"%s\"",
                  loc, in, (int)r1, r1 ? 0 : (int)n1, p1 ? p1 : "", (int)r2,
                  r2 ? 0 : (int)n2, p2 ? p2 : "", want);
    }
    CHECK_MSG(valid > rounds / 2, "%s: only %d of %d valid", loc, valid, rounds);
    core_buf_free(&b2);
    val_locnum_spec_free(icu);
    val_locnum_spec_free(hand);
}

static void test_differential(void)
{
    differential("de", ",", ".", false, 20000);
    differential("de", ",", ".", true, 5000);
    differential("en", ".", ",", false, 20000);
    differential("fr", ",", NNBSP, false, 10000);
    differential("de_CH", ".", RSQUO, false, 10000);
    differential("es", ",", ".", false, 5000);
    differential("it", ",", ".", false, 5000);
}

static void test_edges(void)
{
    val_locnum_spec *de = spec(false, NULL, NULL, true, "de");
    const char *pl;
    size_t pn;
    core_buf tiny;
    core_buf_init(&tiny, 4);
    CHECK(val_locnum_parse(de, NULL, "1.234,5", 7, &B, &pl, &pn) == VAL_LOCNUM_NOMEM);
    CHECK(val_locnum_parse(de, W, "1.234.567,5", 11, &tiny, &pl, &pn) == VAL_LOCNUM_LIMIT);
    CHECK(val_locnum_uses_icu(de) && !val_locnum_rewrites(de));
    core_buf_free(&tiny);
    val_locnum_spec_free(de);

    val_locnum_opts o = {false, NULL, 0, ".", 1, true, NULL, 0, true};
    o.decimal_char = ",";
    o.decimal_n = 1;
    val_locnum_spec *s = NULL;
    CHECK(val_locnum_compile(&o, &s) == VAL_LOCNUM_GOOD && val_locnum_rewrites(s));
    CHECK(!val_locnum_uses_icu(s));
    val_locnum_spec_free(s);

    /* Embedded NUL and bytes after the number are never ignored. */
    s = spec(false, ",", ".", true, NULL);
    CHECK(val_locnum_parse(s, NULL, "1,5\0" "7", 5, &B, &pl, &pn) == VAL_LOCNUM_INVALID);
    val_locnum_spec_free(s);

    /* Two workers on one spec: each its own handles. */
    val_locnum_worker *w2 = val_locnum_worker_new();
    s = spec(false, NULL, NULL, true, "fr");
    CHECK(val_locnum_parse(s, w2, "1" NNBSP "234,5", 9, &B, &pl, &pn) == VAL_LOCNUM_OK);
    CHECK(val_locnum_parse(s, W, "1" NNBSP "234,5", 9, &B, &pl, &pn) == VAL_LOCNUM_OK);
    val_locnum_worker_free(w2);
    val_locnum_worker_free(NULL);
    val_locnum_spec_free(s);
}

/* ---- the loader: rules/field.c's number notation keys --------------- */

/* Loads a one-field rules file; returns its diagnostics joined by "\n" as
 * "E|W path: message", and the plan (or NULL) in *out. */
static const char *lint(const char *field, assay_rules **out)
{
    static char all[2048];
    char text[1024];
    snprintf(text, sizeof text, "{\"fields\": [%s]}", field);
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    assay_rules_load_buffer("t.json", text, strlen(text), d, &r);
    size_t len = 0;
    all[0] = '\0';
    for (size_t i = 0; i < assay_diags_count(d) && len < sizeof all; i++) {
        const assay_diag *g = assay_diags_get(d, i);
        len += (size_t)snprintf(all + len, sizeof all - len, "%s%s %s: %s", i ? "\n" : "",
                                g->level ? "W" : "E", g->path, g->message);
    }
    assay_diags_free(d);
    if (out)
        *out = r;
    else
        assay_rules_free(r);
    return all;
}

#define LINT(field, want)                                                      \
    do {                                                                       \
        const char *got_ = lint(field, NULL);                                  \
        CHECK_MSG(strcmp(got_, want) == 0, "\n  got  %s\n  want %s", got_, want); \
    } while (0)

static void test_lint(void)
{
    assay_rules *r = NULL;
    CHECK(strcmp(lint("{\"name\": \"a\", \"type\": \"number\", \"locale\": \"de\", "
                      "\"bareNumber\": false, \"output\": \"plain\"}", &r), "") == 0);
    CHECK(r && r->fields[0].locnum && val_locnum_rewrites(r->fields[0].locnum) &&
          val_locnum_uses_icu(r->fields[0].locnum));
    assay_rules_free(r);
    CHECK(strcmp(lint("{\"name\": \"a\", \"type\": \"number\", \"decimalChar\": \".\", "
                      "\"groupChar\": \"\", \"bareNumber\": true}", &r), "") == 0);
    CHECK(r && r->fields[0].locnum == NULL);
    assay_rules_free(r);
    CHECK(strcmp(lint("{\"name\": \"a\", \"type\": \"integer\", \"groupChar\": \"'\"}",
                      &r), "") == 0);
    CHECK(r && r->fields[0].locnum && !val_locnum_uses_icu(r->fields[0].locnum));
    assay_rules_free(r);

    LINT("{\"name\": \"a\", \"type\": \"number\", \"decimalChar\": \",\", "
         "\"groupChar\": \",\"}",
         "E $.fields[0].groupChar: groupChar \",\" is also the decimal point; a number "
         "could not be read");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"groupChar\": \".\"}",
         "E $.fields[0].groupChar: groupChar \".\" is also the decimal point "
         "(decimalChar defaults to \".\"); a number could not be read");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"decimalChar\": \",,\"}",
         "E $.fields[0].decimalChar: expected one character for \"decimalChar\" (not a "
         "digit, a sign, \"e\" or \"E\"), got \",,\"");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"decimalChar\": \"\"}",
         "E $.fields[0].decimalChar: expected one character for \"decimalChar\" (not a "
         "digit, a sign, \"e\" or \"E\"), got \"\"");
    LINT("{\"name\": \"a\", \"type\": \"integer\", \"groupChar\": \"0\"}",
         "E $.fields[0].groupChar: expected one character for \"groupChar\" (not a "
         "digit, a sign, \"e\" or \"E\"), got \"0\"");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"bareNumber\": \"no\"}",
         "E $.fields[0].bareNumber: expected true or false for \"bareNumber\", got the "
         "string \"no\"");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"locale\": \"xx\"}",
         "E $.fields[0].locale: unknown locale \"xx\" for numbers; expected a locale "
         "with number data, such as \"de\", \"fr_CH\" or \"en-US\"");
    LINT("{\"name\": \"a\", \"type\": \"integer\", \"locale\": \"de CH\"}",
         "E $.fields[0].locale: unknown locale \"de CH\" for numbers; expected a locale "
         "with number data, such as \"de\", \"fr_CH\" or \"en-US\"");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"locale\": \"de_XX\"}",
         "W $.fields[0].locale: locale \"de_XX\" has no number data of its own; the "
         "separators of its language are used");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"locale\": \"de\", "
         "\"decimalChar\": \",\"}",
         "E $.fields[0].locale: \"locale\" gives the separators of numbers; drop "
         "\"decimalChar\" and \"groupChar\", or drop \"locale\"");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"locale\": \"de\", "
         "\"output\": \"plane\"}",
         "E $.fields[0].output: unknown number output \"plane\" (did you mean "
         "\"plain\"?)");
    LINT("{\"name\": \"a\", \"type\": \"number\", \"output\": \"plain\"}",
         "W $.fields[0].output: \"output\": \"plain\" has no effect here: without "
         "decimalChar, groupChar, bareNumber false or locale every valid value is "
         "already plain");
    LINT("{\"name\": \"a\", \"type\": \"integer\", \"decimalChar\": \",\"}",
         "W $.fields[0].decimalChar: \"decimalChar\" does not apply to integer fields "
         "(they have no fraction); it is ignored");
    LINT("{\"name\": \"a\", \"type\": \"string\", \"groupChar\": \",\", "
         "\"bareNumber\": false}",
         "W $.fields[0].groupChar: \"groupChar\" applies to integer and number fields "
         "only; it is ignored on string fields\n"
         "W $.fields[0].bareNumber: \"bareNumber\" applies to integer and number fields "
         "only; it is ignored on string fields");
}

int main(void)
{
    W = val_locnum_worker_new();
    core_buf_init(&B, 0);
    test_compile();
    test_hand();
    test_integer();
    test_locales();
    test_bare_number_false();
    test_many_digits();
    test_differential();
    test_edges();
    test_lint();
    core_buf_free(&B);
    val_locnum_worker_free(W);
    return t_done();
}
