/* tests/unit/test_val_number.c — integer and number grammar, exact compare,
 * canonical keys, bounds (validators/number.h, validators/bounds.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/t.h"
#include "validators/bounds.h"
#include "validators/number.h"

static int int_ok(const char *s, int64_t want)
{
    int64_t v = 12345;
    return val_integer_parse(s, strlen(s), &v) && v == want;
}

static int int_bad(const char *s)
{
    int64_t v = 12345;
    return !val_integer_parse(s, strlen(s), &v) && v == 12345;
}

static void test_integer_grammar(void)
{
    CHECK(int_ok("0", 0));
    CHECK(int_ok("12", 12));
    CHECK(int_ok("+12", 12));
    CHECK(int_ok("012", 12));
    CHECK(int_ok("-0", 0));
    CHECK(int_ok("+0", 0));
    CHECK(int_ok("-12", -12));
    CHECK(int_ok("000000000000000000000000000000042", 42));
    CHECK(int_ok("9223372036854775807", INT64_MAX));
    CHECK(int_ok("+9223372036854775807", INT64_MAX));
    CHECK(int_ok("-9223372036854775808", INT64_MIN));
    CHECK(int_ok("-9223372036854775807", -INT64_MAX));
    CHECK(int_ok("0009223372036854775807", INT64_MAX));
    CHECK(int_bad("9223372036854775808"));
    CHECK(int_bad("-9223372036854775809"));
    CHECK(int_bad("18446744073709551616"));
    CHECK(int_bad("99999999999999999999999"));
    CHECK(int_bad(""));
    CHECK(int_bad("+"));
    CHECK(int_bad("-"));
    CHECK(int_bad("+-1"));
    CHECK(int_bad("--1"));
    CHECK(int_bad(" 1"));
    CHECK(int_bad("1 "));
    CHECK(int_bad("1e3"));
    CHECK(int_bad("1.0"));
    CHECK(int_bad("1."));
    CHECK(int_bad("1_000"));
    CHECK(int_bad("1,000"));
    CHECK(int_bad("0x10"));
    CHECK(int_bad("\xd9\xa1")); /* ARABIC-INDIC DIGIT ONE */
    CHECK(!val_integer_parse("12\0" "3", 4, &(int64_t){0}));
    /* either side of the 18-digit fast path */
    CHECK(int_ok("999999999999999999", 999999999999999999));
    CHECK(int_ok("-999999999999999999", -999999999999999999));
    CHECK(int_ok("1000000000000000000", 1000000000000000000));
    CHECK(int_ok("-1000000000000000000", -1000000000000000000));
    CHECK(int_bad("99999999999999999x"));
    CHECK(int_bad("x99999999999999999"));
}

/* Random sign-and-digit strings of 1 to 22 digits against strtoll, which
 * takes the same grammar here (no spaces are generated). */
static void test_integer_vs_strtoll(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15u;
    char s[32];
    for (int iter = 0; iter < 200000; iter++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t x = seed >> 11;
        size_t n = 0;
        if (x & 1)
            s[n++] = (x & 2) ? '-' : '+';
        x >>= 2;
        size_t digits = 1 + (size_t)(x % 22);
        x >>= 5;
        for (size_t k = 0; k < digits; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            unsigned d = (unsigned)((seed >> 33) % 10);
            /* mostly 9s and 0s near the top, to hit the bounds */
            s[n++] = (char)('0' + ((seed >> 40) % 3 == 0 ? 9 : d));
        }
        s[n] = '\0';
        errno = 0;
        char *end;
        long long want = strtoll(s, &end, 10);
        bool lib_ok = errno == 0 && *end == '\0';
        int64_t got = 0;
        bool ok = val_integer_parse(s, n, &got);
        CHECK_MSG(ok == lib_ok && (!ok || got == want), "%s: got %d %lld, strtoll %d %lld",
                  s, ok, (long long)got, lib_ok, want);
    }
}

static int num_ok(const char *s)
{
    val_dec d;
    return val_number_parse(s, strlen(s), &d);
}

static void test_number_grammar(void)
{
    const char *good[] = { "0", "12", "+12", "-12", "012", ".5", "5.", "-.5", "+.5",
                           "1E3", "1e3", "1e+3", "1e-3", "1.5e10", "-0", "+0", "0.0",
                           "00.00", "5.e2", ".5e-2", "1e0000000000000000000000003",
                           "NaN", "INF", "-INF", "123456789012345678901234567890" };
    const char *bad[] = { "", ".", "+", "-", "+.", "-.", "e5", ".e5", "1e", "1e+", "1e-",
                          "1.5e", " 1", "1 ", "1,000", "1_000", "0x10", "Infinity",
                          "-Infinity", "inf", "Inf", "nan", "NAN", "+INF", "+NaN", "-NaN",
                          "1.2.3", "1e2e3", "1e2.5", "--1", "+-1", "1-", "1d3", "١",
                          "1\n", "\t1", "NaN ", "INF0" };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK_MSG(num_ok(good[i]), "\"%s\" should be a number", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(!num_ok(bad[i]), "\"%s\" should not be a number", bad[i]);
    val_dec d;
    CHECK(!val_number_parse("1\0", 2, &d));
    CHECK(val_number_parse("-12.50e3", 8, &d));
    CHECK(d.kind == VAL_DEC_FINITE && d.neg && d.exp == 3);
    CHECK_EQ_MEM(d.int_p, d.int_n, "12");
    CHECK_EQ_MEM(d.frac_p, d.frac_n, "50");
    CHECK_EQ_INT(d.adj, 4);
    CHECK(val_number_parse("-INF", 4, &d) && d.kind == VAL_DEC_INF && d.neg);
    CHECK(val_number_parse("NaN", 3, &d) && d.kind == VAL_DEC_NAN);
    CHECK(val_number_parse("-0.000", 6, &d) && val_dec_is_zero(&d));
}

/* cmp of two texts, both must parse. */
static int cmp(const char *a, const char *b)
{
    val_dec x, y;
    if (!val_number_parse(a, strlen(a), &x) || !val_number_parse(b, strlen(b), &y))
        return 99;
    return val_dec_cmp(&x, &y);
}

#define CMP(a, b, want)                                                        \
    do {                                                                       \
        CHECK_MSG(cmp(a, b) == (want), "cmp(%s, %s) = %d, want %d", a, b,      \
                  cmp(a, b), want);                                            \
        int anti_ = (want) == VAL_CMP_UNORDERED ? (want) : -(want);            \
        CHECK_MSG(cmp(b, a) == anti_, "cmp(%s, %s) = %d, want %d", b, a,       \
                  cmp(b, a), anti_);                                           \
    } while (0)

static void test_compare(void)
{
    CMP("0.1", "0.10", 0);
    CMP("1e2", "100", 0);
    CMP("-0", "0", 0);
    CMP("-0.0e5", "+.0", 0);
    CMP("012", "12", 0);
    CMP("1.0", "1", 0);
    CMP("1e0", "01", 0);
    CMP("5.", "5", 0);
    CMP(".5", "0.5", 0);
    CMP("0.5e1", "5", 0);
    CMP("1234.5e-2", "12.345", 0);
    CMP("0.01", "0.009999999999999999999999999999", 1);
    CMP("0.1", "0.2", -1);
    CMP("-0.1", "-0.2", 1);
    CMP("-1", "1", -1);
    CMP("-1", "0", -1);
    CMP("0", "1e-999999999", -1);
    CMP("-1e-999999999", "0", -1);
    CMP("99", "100", -1);
    CMP("9.99999", "10", -1);
    CMP("123456789012345678901234567890", "123456789012345678901234567891", -1);
    CMP("123456789012345678901234567890", "1.2345678901234567890123456789e29", 0);
    CMP("123456789012345678901234567890.1", "123456789012345678901234567890.09", 1);
    CMP("1.0000000000000000000000000000000001", "1", 1);
    CMP("0.30000000000000000000000000001", "0.3", 1);
    CMP("1e308", "1e309", -1);
    CMP("1e-400", "0", 1);
    CMP("1e999999999999999999999999", "1e999999999999999999999998", 0); /* saturated */
    CMP("2e999999999999999999999999", "1e999999999999999999999999", 1);
    CMP("1e999999999999999999999999", "99999999999999999999", 1);
    CMP("1e-999999999999999999999999", "0", 1);
    CMP("-1e999999999999999999999999", "-1e3", -1);
    CMP("INF", "1e999999999999999999999999", 1);
    CMP("-INF", "-1e999999999999999999999999", -1);
    CMP("INF", "INF", 0);
    CMP("-INF", "-INF", 0);
    CMP("-INF", "INF", -1);
    CMP("-INF", "0", -1);
    CMP("NaN", "0", VAL_CMP_UNORDERED);
    CMP("NaN", "NaN", VAL_CMP_UNORDERED);
    CMP("NaN", "INF", VAL_CMP_UNORDERED);
    /* Digits split differently between integer and fraction parts. */
    CMP("12.34", "1234e-2", 0);
    CMP("12.345", "1234e-2", 1);
    CMP("0.001234", "1.234e-3", 0);
    CMP("100.00100", "1.00001e2", 0);
}

static void test_int_vs_dec(void)
{
    val_dec d;
    char buf[VAL_INT64_BUF];
    val_dec_from_int64(INT64_MIN, buf, &d);
    CHECK(cmp("-9223372036854775808", "-9223372036854775808") == 0);
    CHECK_EQ_INT(val_int_dec_cmp(INT64_MIN, &d), 0);
    val_number_parse("-9223372036854775808.5", 22, &d);
    CHECK_EQ_INT(val_int_dec_cmp(INT64_MIN, &d), 1);
    val_number_parse("9223372036854775807.0000001", 27, &d);
    CHECK_EQ_INT(val_int_dec_cmp(INT64_MAX, &d), -1);
    val_number_parse("0.5", 3, &d);
    CHECK_EQ_INT(val_int_dec_cmp(0, &d), -1);
    CHECK_EQ_INT(val_int_dec_cmp(1, &d), 1);
    val_number_parse("1e2", 3, &d);
    CHECK_EQ_INT(val_int_dec_cmp(100, &d), 0);
    CHECK_EQ_INT(val_int_dec_cmp(-100, &d), -1);
    val_number_parse("NaN", 3, &d);
    CHECK_EQ_INT(val_int_dec_cmp(1, &d), VAL_CMP_UNORDERED);
}

static int canon_is(const char *s, const char *want)
{
    val_dec d;
    char out[256];
    if (!val_number_parse(s, strlen(s), &d))
        return 0;
    size_t n = val_dec_canon(&d, out, sizeof out);
    if (n != strlen(want) || memcmp(out, want, n) != 0) {
        fprintf(stderr, "canon(%s) = \"%.*s\", want \"%s\"\n", s, (int)n, out, want);
        return 0;
    }
    return 1;
}

static void test_canon(void)
{
    CHECK(canon_is("1.0", "1e0"));
    CHECK(canon_is("1", "1e0"));
    CHECK(canon_is("1e0", "1e0"));
    CHECK(canon_is("01", "1e0"));
    CHECK(canon_is("+1.", "1e0"));
    CHECK(canon_is("0", "0"));
    CHECK(canon_is("-0", "0"));
    CHECK(canon_is("-0.000e-7", "0"));
    CHECK(canon_is(".0", "0"));
    CHECK(canon_is("-12.50", "-1.25e1"));
    CHECK(canon_is("1250e-2", "1.25e1"));
    CHECK(canon_is("0.00125", "1.25e-3"));
    CHECK(canon_is("100", "1e2"));
    CHECK(canon_is("1e999999999999999999999", "1e1000000000000000000"));
    CHECK(canon_is("123e999999999999999999999", "1.23e1000000000000000000"));
    CHECK(canon_is("-1e-999999999999999999999", "-1e-1000000000000000000"));
    CHECK(canon_is("NaN", "NaN"));
    CHECK(canon_is("INF", "INF"));
    CHECK(canon_is("-INF", "-INF"));
    /* Too small a buffer: the length, nothing written. */
    val_dec d;
    char small[4] = "xxx";
    val_number_parse("12345", 5, &d);
    CHECK_EQ_INT(val_dec_canon(&d, small, 3), 8); /* "1.2345e4" */
    CHECK(memcmp(small, "xxx", 3) == 0);
    CHECK(val_dec_canon(&d, NULL, 0) == 8);
    /* Integer keys. */
    char key[VAL_INT64_BUF];
    CHECK_EQ_INT(val_integer_key(0, key), 1);
    CHECK(strcmp(key, "0") == 0);
    val_integer_key(INT64_MIN, key);
    CHECK(strcmp(key, "-9223372036854775808") == 0);
    val_integer_key(INT64_MAX, key);
    CHECK(strcmp(key, "9223372036854775807") == 0);
    int64_t v;
    CHECK(val_integer_parse("-012", 4, &v) && val_integer_key(v, key) == 3);
    CHECK(strcmp(key, "-12") == 0);
    /* An integer's decimal canon equals its number canon. */
    char a[64], b[64];
    val_dec x, y;
    val_dec_from_int64(-1200, key, &x);
    val_number_parse("-12e2", 5, &y);
    size_t na = val_dec_canon(&x, a, sizeof a), nb = val_dec_canon(&y, b, sizeof b);
    CHECK(na == nb && memcmp(a, b, na) == 0);
}

/* Exponents are read in time linear in their text, not their value. */
static void test_huge_exponent(void)
{
    size_t n = 1 << 20;
    char *s = malloc(n);
    if (!s)
        return;
    s[0] = '1';
    s[1] = 'e';
    memset(s + 2, '9', n - 2);
    val_dec d;
    CHECK(val_number_parse(s, n, &d));
    CHECK(d.exp == VAL_EXP_SAT && d.adj == VAL_EXP_SAT);
    s[2] = '-';
    CHECK(val_number_parse(s, n, &d));
    CHECK(d.exp == -VAL_EXP_SAT && d.adj == -VAL_EXP_SAT);
    /* A million digits compare exactly (a view borrows its bytes: two
     * buffers). */
    char *s2 = malloc(n);
    if (s2) {
        memset(s, '7', n);
        s[n / 2] = '.';
        memcpy(s2, s, n);
        s2[n - 1] = '8';
        val_dec big, big2;
        CHECK(val_number_parse(s, n, &big));
        CHECK(val_number_parse(s2, n, &big2));
        CHECK_EQ_INT(val_dec_cmp(&big, &big2), -1);
        CHECK_EQ_INT(val_dec_cmp(&big2, &big), 1);
        s2[n - 1] = '7';
        CHECK_EQ_INT(val_dec_cmp(&big, &big2), 0);
        free(s2);
    }
    free(s);
}

static rules_bound bound(const char *text)
{
    rules_bound b = { true, false, (char *)text, strlen(text) };
    return b;
}

static void test_bounds_decimal(void)
{
    rules_field f;
    memset(&f, 0, sizeof f);
    f.minimum = bound("0.5");
    f.maximum = bound("1e2");
    val_bounds b;
    CHECK(val_bounds_compile(&f, &b));
    CHECK(b.has_min && b.has_max && !b.min_is_int && !b.max_is_int);
    CHECK_EQ_INT(val_bounds_check_int(&b, 0), VAL_BOUND_BELOW_MIN);
    CHECK_EQ_INT(val_bounds_check_int(&b, 1), VAL_BOUND_OK);
    CHECK_EQ_INT(val_bounds_check_int(&b, 100), VAL_BOUND_OK);
    CHECK_EQ_INT(val_bounds_check_int(&b, 101), VAL_BOUND_ABOVE_MAX);
    CHECK_EQ_INT(val_bounds_check_int(&b, INT64_MIN), VAL_BOUND_BELOW_MIN);
    val_dec v;
    val_number_parse("0.49999999999999999999999", 25, &v);
    CHECK_EQ_INT(val_bounds_check_dec(&b, &v), VAL_BOUND_BELOW_MIN);
    val_number_parse("0.50", 4, &v);
    CHECK_EQ_INT(val_bounds_check_dec(&b, &v), VAL_BOUND_OK);
    val_number_parse("100.0000000000000000000001", 26, &v);
    CHECK_EQ_INT(val_bounds_check_dec(&b, &v), VAL_BOUND_ABOVE_MAX);
    val_number_parse("NaN", 3, &v);
    CHECK_EQ_INT(val_bounds_check_dec(&b, &v), VAL_BOUND_BELOW_MIN);
    val_number_parse("INF", 3, &v);
    CHECK_EQ_INT(val_bounds_check_dec(&b, &v), VAL_BOUND_ABOVE_MAX);
    val_number_parse("-INF", 4, &v);
    CHECK_EQ_INT(val_bounds_check_dec(&b, &v), VAL_BOUND_BELOW_MIN);
    char msg[64];
    CHECK_EQ_INT(val_bound_message(&f, VAL_BOUND_BELOW_MIN, msg, sizeof msg), 20);
    CHECK(strcmp(msg, "must be at least 0.5") == 0);
    val_bound_message(&f, VAL_BOUND_ABOVE_MAX, msg, sizeof msg);
    CHECK(strcmp(msg, "must be at most 1e2") == 0);
    CHECK(strcmp(val_bound_rule(VAL_BOUND_BELOW_MIN), "minimum") == 0);
    CHECK(strcmp(val_bound_rule(VAL_BOUND_ABOVE_MAX), "maximum") == 0);
}

static void test_bounds_int_and_bad(void)
{
    rules_field f;
    val_bounds b;
    val_dec v;
    /* Integer bounds take the integer path; NaN fails a lone maximum. */
    memset(&f, 0, sizeof f);
    f.maximum = bound("-7");
    CHECK(val_bounds_compile(&f, &b) && !b.has_min && b.max_is_int && b.max_i == -7);
    CHECK_EQ_INT(val_bounds_check_int(&b, -7), VAL_BOUND_OK);
    CHECK_EQ_INT(val_bounds_check_int(&b, -6), VAL_BOUND_ABOVE_MAX);
    val_number_parse("NaN", 3, &v);
    CHECK_EQ_INT(val_bounds_check_dec(&b, &v), VAL_BOUND_ABOVE_MAX);
    val_number_parse("-7.000", 6, &v);
    CHECK_EQ_INT(val_bounds_check_dec(&b, &v), VAL_BOUND_OK);

    /* A bound that is not a number, or a string bound, does not compile. */
    memset(&f, 0, sizeof f);
    f.minimum = bound("today");
    CHECK(!val_bounds_compile(&f, &b) && !b.has_min);
    f.minimum = bound("1");
    f.minimum.is_string = true;
    CHECK(!val_bounds_compile(&f, &b));
    f.minimum = bound("NaN");
    CHECK(!val_bounds_compile(&f, &b));
    memset(&f, 0, sizeof f);
    CHECK(val_bounds_compile(&f, &b) && !b.has_min && !b.has_max);
    CHECK_EQ_INT(val_bounds_check_int(&b, 5), VAL_BOUND_OK);
}

int main(void)
{
    test_integer_grammar();
    test_integer_vs_strtoll();
    test_number_grammar();
    test_compare();
    test_int_vs_dec();
    test_canon();
    test_huge_exponent();
    test_bounds_decimal();
    test_bounds_int_and_bad();
    return t_done();
}
