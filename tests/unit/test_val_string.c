/* tests/unit/test_val_string.c — pattern, length and enum checks
 * (validators/string.h). Patterns are compiled here the way the rules loader
 * does: anchored at both ends, UTF mode, JIT when available. */
#include <string.h>

#include "tests/unit/t.h"
#include "validators/string.h"

static rules_field field_with(const char *pattern, bool jit)
{
    rules_field f;
    memset(&f, 0, sizeof f);
    f.min_length = f.max_length = -1;
    int err;
    PCRE2_SIZE off;
    f.pattern = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                              PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF, &err, &off,
                              NULL);
    f.pattern_src = (char *)pattern;
    if (f.pattern && jit)
        f.pattern_jit = pcre2_jit_compile(f.pattern, PCRE2_JIT_COMPLETE) == 0;
    return f;
}

static int match(const rules_field *f, pcre2_match_data *md, const char *s)
{
    return val_pattern_match(f, md, s, strlen(s));
}

static void test_patterns(bool jit)
{
    rules_field fields[3];
    fields[0] = field_with("[0-9]{5}", jit);
    fields[1] = field_with("(a)(b)(c)|x", jit);
    fields[2] = field_with("\\p{L}+", jit);
    CHECK(fields[0].pattern && fields[1].pattern && fields[2].pattern);
    struct assay_rules r;
    memset(&r, 0, sizeof r);
    r.fields = fields;
    r.nfields = 3;
    pcre2_match_data *md = val_match_data_new(&r);
    CHECK(md && pcre2_get_ovector_count(md) == 4);

    rules_field *zip = &fields[0];
    CHECK_EQ_INT(match(zip, md, "12345"), 1);
    CHECK_EQ_INT(match(zip, md, "123456"), 0); /* whole value */
    CHECK_EQ_INT(match(zip, md, "a12345"), 0);
    CHECK_EQ_INT(match(zip, md, "12345\n"), 0); /* no $-before-newline slack */
    CHECK_EQ_INT(match(zip, md, ""), 0);
    CHECK_EQ_INT(val_pattern_match(zip, md, "12345678", 5), 1); /* length, not NUL */
    CHECK_EQ_INT(match(&fields[1], md, "abc"), 1);
    CHECK_EQ_INT(match(&fields[1], md, "x"), 1);
    CHECK_EQ_INT(match(&fields[1], md, "abcx"), 0);
    CHECK_EQ_INT(match(&fields[2], md, "\xc3\xa9t\xc3\xa9"), 1); /* "été" */
    CHECK_EQ_INT(match(&fields[2], md, "\xc3\xa9t\xc3\xa9!"), 0);

    /* Invalid UTF-8 is a match error, with pcre2's message. */
    int rc = 0;
    CHECK_EQ_INT(val_pattern_match_rc(&fields[2], md, "ab\x80", 3, &rc), -1);
    CHECK(rc < 0 && rc != PCRE2_ERROR_NOMATCH);
    char msg[128];
    val_pattern_error(rc, msg, sizeof msg);
    CHECK_MSG(strstr(msg, "UTF-8") != NULL, "message \"%s\"", msg);
    CHECK_EQ_INT(match(zip, md, "\xff\xfe"), -1);
    CHECK_EQ_INT(val_pattern_match_rc(zip, md, "12345", 5, &rc), 1);
    CHECK_EQ_INT(rc, 0);
    val_pattern_error(-9999, msg, sizeof msg);
    CHECK(msg[0] != '\0');
    val_pattern_error(rc, msg, 0); /* no room: nothing written */

    /* No pattern: everything matches. */
    rules_field none;
    memset(&none, 0, sizeof none);
    CHECK_EQ_INT(match(&none, md, "anything"), 1);

    val_match_data_free(md);
    for (int i = 0; i < 3; i++)
        pcre2_code_free(fields[i].pattern);
}

static void test_lengths(void)
{
    rules_field f;
    memset(&f, 0, sizeof f);
    f.min_length = f.max_length = -1;
    CHECK_EQ_INT(val_length_check(&f, 0), 0);
    CHECK_EQ_INT(val_length_check(&f, 1000000), 0);
    f.min_length = 2;
    f.max_length = 3;
    CHECK_EQ_INT(val_length_check(&f, 1), -1);
    CHECK_EQ_INT(val_length_check(&f, 2), 0);
    CHECK_EQ_INT(val_length_check(&f, 3), 0);
    CHECK_EQ_INT(val_length_check(&f, 4), 1);
    /* Code points, not bytes: "été" is 3, "😀" is 1. */
    const char *ete = "\xc3\xa9t\xc3\xa9";
    CHECK_EQ_INT(val_length(ete, strlen(ete)), 3);
    CHECK_EQ_INT(val_length_check(&f, val_length(ete, strlen(ete))), 0);
    CHECK_EQ_INT(val_length("\xf0\x9f\x98\x80", 4), 1);
    CHECK_EQ_INT(val_length("", 0), 0);
}

int main(void)
{
    test_patterns(true);
    test_patterns(false);
    test_lengths();
    return t_done();
}
