/* tests/unit/test_val_unicode.c — the Unicode cleaning steps
 * (validators/clean.h, validators/unicode.h) on real text in several
 * scripts: trim and collapse_spaces over Unicode white space, lower, upper
 * and casefold through ICU (root, Turkish, Greek), nfc and nfkc,
 * strip_control, replace_invalid, map and replace, and their load-time
 * checks. The mojibake repair is in test_val_unicode_mojibake.c, the
 * ASCII/ICU differential in test_val_unicode_diff.c. */
#include "tests/unit/test_val_unicode_util.h"
#include "validators/unicode.h"

static val_clean_worker *w;

static void test_white_space(void)
{
    assay_rules *r = u_load("[{'name': 't', 'clean': ['trim']},"
                            " {'name': 'c', 'clean': ['collapse_spaces']},"
                            " {'name': 'tc', 'clean': ['collapse_spaces', 'trim']}]", NULL);
    if (!r)
        return;
    /* trim: NBSP, ideographic space, em space, NEL, zero-width at the ends */
    U_CLEAN(r, 0, w, "\u00A0Zürich\u00A0", "Zürich");
    U_CLEAN(r, 0, w, "\u3000東京\u3000", "東京");
    U_CLEAN(r, 0, w, "\u2003Αθήνα \u2009", "Αθήνα");
    U_CLEAN(r, 0, w, "\xc2\x85Москва\xc2\x85", "Москва");
    U_CLEAN(r, 0, w, "\u200B\uFEFFcafé\u200D", "café");
    U_CLEAN(r, 0, w, "\u205F\u202F\u1680 القاهرة \u2028\u2029", "القاهرة");
    U_CLEAN(r, 0, w, "a\u00A0b", "a\u00A0b");   /* inside: kept */
    U_CLEAN(r, 0, w, "\u200B", "");
    U_CLEAN(r, 0, w, "x\xff\u00A0", "x\xff");  /* a bad byte is not a blank */
    U_CLEAN(r, 0, w, "\xe2\x80\u00A0", "\xe2\x80"); /* nor a cut sequence */
    const char *in = "  日本  ";
    u_apply(r, 0, w, in, strlen(in));
    CHECK(u_out == in + 2 && u_out_n == 6); /* a slice, never a copy */

    /* collapse_spaces: runs holding white space become one space */
    U_CLEAN(r, 1, w, "Москва\u00A0\u00A0 центр", "Москва центр");
    U_CLEAN(r, 1, w, "x\u3000\u3000y", "x y");
    U_CLEAN(r, 1, w, "a\u2003\u2003b\tc", "a b c");
    U_CLEAN(r, 1, w, "ab \u200B cd", "ab cd");          /* ZWSP inside a run */
    U_CLEAN(r, 1, w, "ภาษา\u200Bไทย", "ภาษา\u200Bไทย"); /* alone: a word break */
    U_CLEAN(r, 1, w, "👨\u200D👩\u200D👧", "👨\u200D👩\u200D👧"); /* emoji ZWJ */
    U_CLEAN(r, 1, w, "می\u200Cخواهم", "می\u200Cخواهم");  /* Persian ZWNJ */
    U_CLEAN(r, 1, w, "\u00A0a\u00A0", " a ");             /* does not trim */
    U_CLEAN(r, 1, w, "a b", "a b");
    U_CLEAN(r, 1, w, "a\u00A0b", "a b");
    U_CLEAN(r, 2, w, "\u3000 Ελλάδα \u00A0 και\u2002Κύπρος\u200B", "Ελλάδα και Κύπρος");
    assay_rules_free(r);
}

static void test_case(void)
{
    assay_rules *r = u_load(
        "[{'name': 'l', 'clean': ['lower']}, {'name': 'u', 'clean': ['upper']},"
        " {'name': 'f', 'clean': ['casefold']},"
        " {'name': 'tl', 'clean': ['lower'], 'locale': 'tr'},"
        " {'name': 'tu', 'clean': ['upper'], 'locale': 'tr'},"
        " {'name': 'tf', 'clean': ['casefold'], 'locale': 'tr'},"
        " {'name': 'eu', 'clean': ['upper'], 'locale': 'el'}]", NULL);
    if (!r)
        return;
    U_CLEAN(r, 0, w, "МОСКВА", "москва");
    U_CLEAN(r, 0, w, "ΟΔΥΣΣΕΥΣ", "οδυσσευς");     /* final sigma */
    U_CLEAN(r, 0, w, "ΣΟΦΙΑ ΚΑΙ ΣΑΣ", "σοφια και σας");
    U_CLEAN(r, 0, w, "ÉTÉ À PARIS", "été à paris");
    U_CLEAN(r, 0, w, "ISTANBUL", "istanbul");       /* root: ASCII path */
    U_CLEAN(r, 0, w, "İ", "i\u0307");              /* root keeps the dot */
    U_CLEAN(r, 0, w, "\xc3\x80" "B\xff", "\xc3\xa0" "b\xff"); /* bad byte kept */
    U_CLEAN(r, 1, w, "straße", "STRASSE");
    U_CLEAN(r, 1, w, "άλφα", "ΆΛΦΑ");
    U_CLEAN(r, 1, w, "istanbul", "ISTANBUL");
    U_CLEAN(r, 1, w, "ǆ", "Ǆ");
    U_CLEAN(r, 2, w, "Straße", "strasse");
    U_CLEAN(r, 2, w, "ΟΔΥΣΣΕΥΣ", "οδυσσευσ");     /* folding has no final form */
    U_CLEAN(r, 2, w, "IRMAK", "irmak");
    U_CLEAN(r, 2, w, "ﬁ", "fi");
    U_CLEAN(r, 3, w, "ISPARTA", "ısparta");         /* Turkish dotless ı */
    U_CLEAN(r, 3, w, "İSTANBUL", "istanbul");
    U_CLEAN(r, 4, w, "istanbul", "İSTANBUL");
    U_CLEAN(r, 4, w, "ırmak", "IRMAK");
    U_CLEAN(r, 5, w, "IRMAK", "ırmak");
    U_CLEAN(r, 6, w, "άλφα", "ΑΛΦΑ");              /* Greek drops the tonos */
    CHECK(r->fields[3].case_needs_icu && r->fields[3].case_locale &&
          strcmp(r->fields[3].case_locale, "tr") == 0);
    CHECK(!r->fields[0].case_needs_icu && !r->fields[0].case_locale);
    CHECK(!r->fields[6].case_needs_icu);
    /* Text without case is never copied. */
    const char *in = "مرحبا 你好";
    u_apply(r, 0, w, in, strlen(in));
    CHECK(u_out == in && u_changed == 0);
    assay_rules_free(r);
}

static void test_normalize(void)
{
    assay_rules *r = u_load("[{'name': 'c', 'clean': ['nfc']}, {'name': 'k', 'clean': ['nfkc']}]",
                            NULL);
    if (!r)
        return;
    U_CLEAN(r, 0, w, "Cafe\u0301", "Café");
    U_CLEAN(r, 0, w, "α\u0301", "ά");
    U_CLEAN(r, 0, w, "\u1100\u1161", "가");          /* Hangul jamo */
    U_CLEAN(r, 0, w, "Й", "Й");                      /* И + breve */
    U_CLEAN(r, 0, w, "ﬁ１", "ﬁ１");                   /* compatibility: kept */
    U_CLEAN(r, 0, w, "e\u0301\xff", "é\xff");
    U_CLEAN(r, 1, w, "ﬁle", "file");
    U_CLEAN(r, 1, w, "\uFF11\uFF12\uFF13", "123");     /* full-width digits */
    U_CLEAN(r, 1, w, "\uFF76\uFF9E", "ガ");            /* half-width katakana */
    U_CLEAN(r, 1, w, "x²", "x2");
    U_CLEAN(r, 1, w, "a\u00A0b", "a b");
    U_CLEAN(r, 1, w, "Cafe\u0301", "Café");
    /* Already normal: the input itself comes back, nothing is copied. */
    const char *ok[] = {"日本語のテキスト", "مرحبا بالعالم", "Ελληνικά", "Ünïcödé",
                        "plain ascii"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        for (size_t f = 0; f < 2; f++) {
            u_apply(r, f, w, ok[i], strlen(ok[i]));
            CHECK_MSG(u_out == ok[i] && u_changed == 0, "%s", ok[i]);
        }
    assay_rules_free(r);
}

static void test_controls(void)
{
    assay_rules *r = u_load("[{'name': 's', 'clean': ['strip_control']}]", NULL);
    if (!r)
        return;
    static const char in[] = "a\0b\x1f" "c\x7f\xc2\x85" "d\t\xd0\xb5\r\n\xc2\x9f";
    u_apply(r, 0, w, in, sizeof in - 1);
    CHECK_EQ_MEM(u_out, u_out_n, "abcd\t\xd0\xb5\r\n");
    CHECK_EQ_INT(u_changed, VAL_STEP_BIT(RS_STRIP_CONTROL));
    U_CLEAN(r, 0, w, "Grüße\tПривет\r\n", "Grüße\tПривет\r\n");
    U_CLEAN(r, 0, w, "x\xff\x01y", "x\xffy");
    assay_rules_free(r);
    CHECK_EQ_INT(val_control_at("ab\x01", 3), 2);
    CHECK_EQ_INT(val_control_at("a\0", 2), 1);
    CHECK_EQ_INT(val_control_at("a\xc2\x9f", 3), 1);
    CHECK_EQ_INT(val_control_at("a\xc2\xa0", 3), 3);
    CHECK_EQ_INT(val_control_at("\t\r\n", 3), 3);
    CHECK_EQ_INT(val_control_at("a\xff\x0b", 3), 2);
    CHECK_EQ_INT(val_control_at("\x7f", 1), 0);
    CHECK_EQ_INT(val_control_at("\xe2\x80\x8b", 3), 3); /* ZWSP is not a control */
}

static void test_replace_invalid(void)
{
    assay_rules *r = u_load("[{'name': 'r', 'clean': ['replace_invalid']}]", NULL);
    if (!r)
        return;
    static const struct {
        const char *in, *want;
        size_t bad;
    } cases[] = {
        {"caf\xe9", "caf\uFFFD", 1},
        {"\xe2\x82", "\uFFFD", 1},              /* a cut € */
        {"\xe2\x82x", "\uFFFDx", 1},
        {"\xf0\x9f\x98", "\uFFFD", 1},           /* a cut emoji */
        {"\xc0\xaf", "\uFFFD\uFFFD", 2},         /* overlong: C0 is no lead */
        {"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD", 3}, /* a surrogate */
        {"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD", 4}, /* above U+10FFFF */
        {"Ёж\xff\xfe", "Ёж\uFFFD\uFFFD", 2},
        {"\x80", "\uFFFD", 1},
        {"Ελλάδα", "Ελλάδα", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        U_CLEAN(r, 0, w, cases[i].in, cases[i].want);
        CHECK_EQ_INT(val_utf8_invalid_count(cases[i].in, strlen(cases[i].in)),
                     cases[i].bad);
    }
    CHECK(val_clean_fixes_utf8(&r->fields[0]));
    assay_rules_free(r);
}

static void test_map(void)
{
    assay_rules *r = u_load(
        "[{'name': 'm', 'clean': ['trim', {'map': {'U.S.': 'US', 'USA': 'US',"
        " 'Россия': 'RU', '日本': 'JP', 'Ελλάδα': 'GR', 'مصر': 'EG', 'none': 0}}]}]",
        NULL);
    if (!r)
        return;
    U_CLEAN(r, 0, w, " U.S. ", "US");
    U_CLEAN(r, 0, w, "USA", "US");
    U_CLEAN(r, 0, w, "Россия", "RU");
    U_CLEAN(r, 0, w, "日本", "JP");
    U_CLEAN(r, 0, w, "Ελλάδα", "GR");
    U_CLEAN(r, 0, w, "مصر", "EG");
    U_CLEAN(r, 0, w, "none", "0");
    U_CLEAN(r, 0, w, "usa", "usa"); /* exact: put lower first to ignore case */
    U_CLEAN(r, 0, w, "US", "US");
    U_CLEAN(r, 0, w, "", "");
    const rules_clean *m = &r->fields[0].clean[1];
    CHECK(m->step == RS_MAP && val_map_count(m->map) == 7);
    const char *v;
    size_t vn;
    CHECK(val_map_find(m->map, "USA", 3, &v, &vn) && vn == 2 && memcmp(v, "US", 2) == 0);
    u_apply(r, 0, w, "USA", 3);
    CHECK(u_out == v); /* the rules' text, not a copy */
    CHECK(strcmp(val_step_name(RS_MAP), "map") == 0);
    assay_rules_free(r);
}

static void test_replace(void)
{
    assay_rules *r = u_load(
        "[{'name': 's', 'clean': [{'replace': {'pattern': '\\\\s+', 'with': ' '}}]},"
        " {'name': 'p', 'clean': [{'replace': {'pattern': '(\\\\d{3})(\\\\d{4})', 'with': '$1-$2'}}]},"
        " {'name': 'yo', 'clean': [{'replace': {'pattern': 'ё', 'with': 'е'}}]},"
        " {'name': 'ym', 'clean': [{'replace': {'pattern': '(?<y>\\\\d{4})-(?<m>\\\\d\\\\d)',"
        "   'with': '${m}/${y}'}}]},"
        " {'name': 'e', 'clean': [{'replace': {'pattern': 'x*', 'with': '-'}}]},"
        " {'name': 'd', 'clean': [{'replace': {'pattern': 'USD', 'with': '$$'}}]},"
        " {'name': 't', 'clean': [{'replace': {'pattern': '\\\\x{0640}', 'with': ''}}]}]", NULL);
    if (!r)
        return;
    U_CLEAN(r, 0, w, "a \t\n b", "a b");
    U_CLEAN(r, 0, w, "a b", "a b");
    U_CLEAN(r, 1, w, "tel 5551234", "tel 555-1234");
    U_CLEAN(r, 2, w, "ёжик и ёлка", "ежик и елка");
    U_CLEAN(r, 3, w, "2024-05", "05/2024");
    U_CLEAN(r, 4, w, "ab", "-a-b-");
    U_CLEAN(r, 5, w, "5 USD", "5 $");
    U_CLEAN(r, 6, w, "مـــرحبا", "مرحبا");                 /* Arabic tatweel */
    U_CLEAN(r, 2, w, "ё\xffё", "е\xffе");                  /* bad bytes never match */
    CHECK(r->fields[0].clean[0].re && r->fields[0].clean[0].re_jit);
    /* A long value: the result grows past the first guess of the buffer. */
    char big[3001];
    memset(big, 'b', 3000);
    big[3000] = '\0';
    u_apply(r, 4, w, big, 3000);
    CHECK(u_out_n == 6001 && u_out[0] == '-' && u_out[6000] == '-');
    assay_rules_free(r);
}

static void test_load_checks(void)
{
    assay_status st;
    const char *m;
    m = u_first_diag("[{'name': 'a', 'clean': [{'replace': {'pattern': '(a', 'with': ''}}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "pattern does not compile"), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': [{'replace': {'pattern': '(a)', 'with': '$2'}}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "refers to group 2, which the pattern does not "
                                            "have (it has 1)"), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': [{'replace': {'pattern': 'a', 'with': '${x}'}}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "group x"), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': [{'replace': {'pattern': 'a', 'with': 'x$'}}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "lone"), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': [{'replace': {'pattern': 'a'}}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "\"with\" is missing"), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': [{'replace': {'pattern': 'a', 'with': '', 'wiht': ''}}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "did you mean \"with\""), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': [{'map': {}}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "non-empty object for \"map\""), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': [{'map': {'x': true}}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "replacement"), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': [{'map': {'x': 'y'}, 'default': 'z'}]}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "holds one of"), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': ['lower'], 'locale': 'xx'}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "unknown locale \"xx\""), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': ['trim'], 'locale': 'tr'}]", &st);
    CHECK_MSG(st == ASSAY_OK && strstr(m, "has none"), "%s", m);
    m = u_first_diag("[{'name': 'a', 'clean': ['casfold']}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "did you mean \"casefold\""), "%s", m);
    /* Every step and format of this version is checked: no warning. */
    size_t warnings = 99;
    assay_rules *r = u_load(
        "[{'name': 'a', 'format': 'email', 'locale': 'tr-TR', 'clean': ['trim',"
        " 'collapse_spaces', 'lower', 'upper', 'casefold', 'nfc', 'nfkc', 'strip_control',"
        " 'replace_invalid', 'fix_mojibake', {'map': {'a': 'b'}},"
        " {'replace': {'pattern': 'a', 'with': 'b'}}, {'default': 'x'}]}]", &warnings);
    CHECK_EQ_INT(warnings, 0);
    if (r) {
        const rules_field *f = &r->fields[0];
        static const rules_step want[] = {
            RS_TRIM, RS_COLLAPSE_SPACES, RS_LOWER, RS_UPPER, RS_CASEFOLD, RS_NFC, RS_NFKC,
            RS_STRIP_CONTROL, RS_REPLACE_INVALID, RS_FIX_MOJIBAKE, RS_MAP, RS_REPLACE,
            RS_DEFAULT};
        CHECK_EQ_INT(f->nclean, 13);
        for (size_t i = 0; i < 13 && i < f->nclean; i++)
            CHECK_MSG(f->clean[i].step == want[i], "step %zu is %s", i,
                      val_step_name(f->clean[i].step));
        CHECK(f->case_locale && strcmp(f->case_locale, "tr_TR") == 0 && f->case_needs_icu);
        /* Bounds: see clean.h. */
        CHECK(val_clean_bound(f, 10) >= 10);
    }
    assay_rules_free(r);
}

static void test_bounds(void)
{
    assay_rules *r = u_load(
        "[{'name': 'a', 'clean': ['trim', 'fix_mojibake', 'strip_control']},"
        " {'name': 'b', 'clean': ['upper', 'nfkc']},"
        " {'name': 'c', 'clean': [{'replace': {'pattern': '(a)(b)', 'with': '$1-$2'}}]},"
        " {'name': 'd', 'clean': [{'map': {'a': 'abcdefghij'}}, {'default': 'xyz'}]}]", NULL);
    if (!r)
        return;
    CHECK_EQ_INT(val_clean_bound(&r->fields[0], 100), 100);
    CHECK_EQ_INT(val_clean_bound(&r->fields[1], 100), 3300);
    CHECK_EQ_INT(val_clean_bound(&r->fields[2], 100), 100 + 101 + 200);
    CHECK_EQ_INT(val_clean_bound(&r->fields[3], 1), 10);
    CHECK_EQ_INT(val_clean_bound(&r->fields[1], SIZE_MAX / 2), SIZE_MAX);
    assay_rules_free(r);
}

int main(void)
{
    core_buf_init(&u_scratch, 0);
    w = val_clean_worker_new(NULL);
    CHECK(w != NULL);
    if (!w)
        return t_done();
    test_white_space();
    test_case();
    test_normalize();
    test_controls();
    test_replace_invalid();
    test_map();
    test_replace();
    test_load_checks();
    test_bounds();
    val_clean_worker_free(w);
    /* The same without a worker (val_clean_apply). */
    w = NULL;
    test_case();
    test_replace();
    core_buf_free(&u_scratch);
    return t_done();
}
