/* tests/unit/test_val_unicode_diff.c — the fast paths against ICU.
 *
 * 1. The built-in white space table equals ICU's White_Space property on
 *    every code point.
 * 2. On tens of thousands of generated values (pure ASCII, and mixed with
 *    Unicode blanks, letters of several scripts, combining marks and bad
 *    bytes), every list of steps gives the same bytes and the same changed
 *    steps with the fast paths as with every value forced through ICU.
 * 3. replace_invalid equals ICU's own U+FFFD substitution
 *    (u_strFromUTF8WithSub) on random bytes.
 * 4. The time of both paths on ASCII values is printed. */
#include <time.h>

#include <unicode/ustring.h>

#include "tests/unit/test_val_unicode_util.h"
#include "core/utf8.h"
#include "validators/unicode.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void test_table(void)
{
    size_t differ = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        bool ws1, ws2, zw;
        val_uni_blank(cp, false, &ws1, &zw);
        val_uni_blank(cp, true, &ws2, &zw);
        if (ws1 != ws2 && differ++ < 5)
            fprintf(stderr, "U+%04X: table %d, ICU %d\n", (unsigned)cp, ws1, ws2);
    }
    CHECK_EQ_INT(differ, 0);
}

static const char *const ascii_pieces[] = {
    "a", "Z", "i", "I", "q", "0", "9", " ", " ", "  ", "\t", "\r\n", "\v", "\f", "-", ".",
    "@", "_", "~", "\x01", "\x7f"};
static const char *const uni_pieces[] = {
    "\u00A0", "\u3000", "\u2003", "\u200B", "\u200D", "\uFEFF", "\xc2\x85", "\u2028",
    "é", "É", "e\u0301", "ß", "Σ", "σ", "ς", "İ", "ı", "Ж", "ж", "Ё", "日", "本", "م",
    "ـ", "ﬁ", "\uFF11", "ǅ", "ΐ", "\xff", "\xe2\x82", "\xc0", "😀", "\u0345"};

static size_t gen(char *buf, size_t cap, bool ascii)
{
    size_t len = 0, parts = next_rand() % 12;
    for (size_t k = 0; k < parts; k++) {
        const char *p = ascii || next_rand() % 3
                            ? ascii_pieces[next_rand() % (sizeof ascii_pieces / sizeof *ascii_pieces)]
                            : uni_pieces[next_rand() % (sizeof uni_pieces / sizeof *uni_pieces)];
        size_t n = strlen(p);
        if (len + n >= cap)
            break;
        memcpy(buf + len, p, n);
        len += n;
    }
    return len;
}

static void test_paths(void)
{
    assay_rules *r = u_load(
        "[{'name': 'a', 'clean': ['trim']}, {'name': 'b', 'clean': ['collapse_spaces']},"
        " {'name': 'c', 'clean': ['lower']}, {'name': 'd', 'clean': ['upper']},"
        " {'name': 'e', 'clean': ['casefold']}, {'name': 'f', 'clean': ['nfc']},"
        " {'name': 'g', 'clean': ['nfkc']},"
        " {'name': 'h', 'clean': ['collapse_spaces', 'trim', 'lower', 'nfc']},"
        " {'name': 'i', 'clean': ['upper', 'collapse_spaces'], 'locale': 'tr'},"
        " {'name': 'j', 'clean': ['casefold', 'trim'], 'locale': 'az'},"
        " {'name': 'k', 'clean': ['lower', 'upper'], 'locale': 'lt'}]", NULL);
    val_clean_worker *fast = val_clean_worker_new(r), *icu = val_clean_worker_new(r);
    if (!r || !fast || !icu)
        return;
    val_clean_worker_force_icu(icu, true);
    core_buf s2;
    core_buf_init(&s2, 0);
    size_t differ = 0, changed = 0;
    char buf[128];
    for (int round = 0; round < 40000; round++) {
        size_t n = gen(buf, sizeof buf, round % 2 == 0);
        for (size_t fi = 0; fi < r->nfields; fi++) {
            const char *o1, *o2;
            size_t n1, n2;
            uint32_t c1, c2;
            assay_status st1 = val_clean_apply_w(&r->fields[fi], r, fast, buf, n,
                                                 &u_scratch, &o1, &n1, &c1);
            assay_status st2 = val_clean_apply_w(&r->fields[fi], r, icu, buf, n, &s2, &o2,
                                                 &n2, &c2);
            changed += c1 != 0;
            if ((st1 || st2 || n1 != n2 || c1 != c2 || memcmp(o1, o2, n1) != 0) &&
                differ++ < 10)
                fprintf(stderr, "field %s, \"%.*s\": fast \"%.*s\" (%x), ICU \"%.*s\" (%x)\n",
                        r->fields[fi].name, (int)n, buf, (int)n1, o1, (unsigned)c1,
                        (int)n2, o2, (unsigned)c2);
            /* valid in, valid out */
            if (core_utf8_valid(buf, n))
                CHECK(core_utf8_valid(o1, n1));
        }
    }
    CHECK_EQ_INT(differ, 0);
    CHECK(changed > 10000); /* the generator exercises the steps */
    core_buf_free(&s2);
    val_clean_worker_free(fast);
    val_clean_worker_free(icu);
    assay_rules_free(r);
}

static void test_replace_invalid(void)
{
    core_buf out, ref;
    core_buf_init(&out, 0);
    core_buf_init(&ref, 0);
    UChar u16[256];
    size_t differ = 0;
    for (int round = 0; round < 50000; round++) {
        unsigned char b[40];
        size_t n = next_rand() % sizeof b;
        for (size_t i = 0; i < n; i++) {
            uint32_t x = next_rand();
            b[i] = (unsigned char)(x % 4 == 0 ? 0x80 + (x >> 8) % 0x80
                                              : x % 4 == 1 ? 'a' : (x >> 8) & 0xFF);
        }
        CHECK_EQ_INT(val_utf8_replace_invalid((const char *)b, n, &out), 0);
        int32_t len16 = 0, subs = 0, len8 = 0;
        UErrorCode e = U_ZERO_ERROR;
        u_strFromUTF8WithSub(u16, 256, &len16, (const char *)b, (int32_t)n, 0xFFFD, &subs, &e);
        core_buf_clear(&ref);
        core_buf_reserve(&ref, 3 * (size_t)len16 + 1);
        u_strToUTF8(ref.data, (int32_t)ref.cap, &len8, u16, len16, &e);
        ref.len = (size_t)len8;
        if ((U_FAILURE(e) || out.len != ref.len || memcmp(out.data, ref.data, out.len) != 0 ||
             val_utf8_invalid_count((const char *)b, n) != (size_t)subs) &&
            differ++ < 5)
            fprintf(stderr, "replace_invalid differs from ICU on %zu bytes\n", n);
        CHECK(core_utf8_valid(out.data, out.len) && out.len <= 3 * n);
    }
    CHECK_EQ_INT(differ, 0);
    core_buf_free(&out);
    core_buf_free(&ref);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ns per value of [trim, collapse_spaces, lower] on ASCII values. */
static void test_speed(void)
{
    assay_rules *r = u_load("[{'name': 'a', 'clean': ['trim', 'collapse_spaces', 'lower']}]",
                            NULL);
    val_clean_worker *wk = val_clean_worker_new(r);
    if (!r || !wk)
        return;
    static const char *const vals[] = {"  John.Smith@Example.COM ", "NEW   YORK", "already clean",
                                       "Order 12345 shipped", " A  B  C  D  E  F  G "};
    double t[2];
    for (int icu = 0; icu < 2; icu++) {
        val_clean_worker_force_icu(wk, icu != 0);
        double t0 = now();
        for (int i = 0; i < 200000; i++) {
            const char *v = vals[i % 5], *o;
            size_t on;
            uint32_t c;
            val_clean_apply_w(&r->fields[0], r, wk, v, strlen(v), &u_scratch, &o, &on, &c);
        }
        t[icu] = (now() - t0) / 200000 * 1e9;
    }
    printf("ASCII [trim, collapse_spaces, lower]: fast path %.0f ns/value, ICU path %.0f "
           "ns/value (%.1fx)\n", t[0], t[1], t[1] / t[0]);
    CHECK(t[0] < t[1]);
    val_clean_worker_free(wk);
    assay_rules_free(r);
}

int main(void)
{
    core_buf_init(&u_scratch, 0);
    test_table();
    test_paths();
    test_replace_invalid();
    test_speed();
    core_buf_free(&u_scratch);
    return t_done();
}
