/* tests/unit/test_val_pattern_limit.c — the pcre2 match limits of field
 * patterns and of matches() in record rules (validators/string.h): a
 * catastrophic pattern on a hostile value stops with VAL_PATTERN_LIMIT (and
 * EXPR_FAIL_LIMIT for a rule), ordinary patterns on large values are not
 * affected, and a JIT stack overflow falls back to the interpreter. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/t.h"
#include "validators/expr_eval.h"
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

/* count copies of unit, then tail; malloc'd, NUL-terminated; *n its length.
 * Zeroed padding follows: pcre2's JIT scans for a required character in
 * aligned 16-byte blocks, which may read past the end of the subject (within
 * the page; valgrind would report the read of the uninitialised bytes, as it
 * never does for values inside the engine's larger record buffers). */
static char *repeat(const char *unit, size_t count, const char *tail, size_t *n)
{
    size_t ul = strlen(unit), tl = strlen(tail);
    char *s = calloc(1, ul * count + tl + 64);
    if (!s)
        return NULL;
    for (size_t i = 0; i < count; i++)
        memcpy(s + i * ul, unit, ul);
    memcpy(s + ul * count, tail, tl + 1);
    *n = ul * count + tl;
    return s;
}

static void test_limits(void)
{
    CHECK_EQ_INT(val_match_limit(0),
                 VAL_MATCH_LIMIT_BASE + VAL_MATCH_LIMIT_FLOOR * VAL_MATCH_LIMIT_PER_BYTE);
    CHECK_EQ_INT(val_match_limit(1000), val_match_limit(0));
    CHECK_EQ_INT(val_match_limit(10000), VAL_MATCH_LIMIT_BASE + 10000 * VAL_MATCH_LIMIT_PER_BYTE);
    CHECK_EQ_INT(val_match_limit((size_t)1 << 31), UINT32_MAX);
    CHECK(val_match_limit_hit(PCRE2_ERROR_MATCHLIMIT));
    CHECK(val_match_limit_hit(PCRE2_ERROR_DEPTHLIMIT));
    CHECK(val_match_limit_hit(PCRE2_ERROR_HEAPLIMIT));
    CHECK(val_match_limit_hit(PCRE2_ERROR_JIT_STACKLIMIT));
    CHECK(!val_match_limit_hit(PCRE2_ERROR_NOMATCH));
    CHECK(!val_match_limit_hit(PCRE2_ERROR_UTF8_ERR1));
    CHECK(!val_match_limit_hit(PCRE2_ERROR_NOMEMORY));

    char buf[160];
    /* short values get the limits of VAL_MATCH_LIMIT_FLOOR bytes */
    val_pattern_limit_message(PCRE2_ERROR_MATCHLIMIT, 100, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "needed more than 1065536 steps on this value "
                          "(pcre2 match limit)") == 0, "%s", buf);
    val_pattern_limit_message(PCRE2_ERROR_MATCHLIMIT, 10000, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "needed more than 1160000 steps on this value "
                          "(pcre2 match limit)") == 0, "%s", buf);
    val_pattern_limit_message(PCRE2_ERROR_DEPTHLIMIT, 0, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "backtracked deeper than 1065536 on this value "
                          "(pcre2 depth limit)") == 0, "%s", buf);
    val_pattern_limit_message(PCRE2_ERROR_HEAPLIMIT, 1024, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "needed more than 16512 KiB of memory on this value "
                          "(pcre2 heap limit)") == 0, "%s", buf);
    val_pattern_limit_message(PCRE2_ERROR_HEAPLIMIT, 1 << 20, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "needed more than 49152 KiB of memory on this value "
                          "(pcre2 heap limit)") == 0, "%s", buf);
    val_pattern_limit_message(PCRE2_ERROR_JIT_STACKLIMIT, 5, buf, sizeof buf);
    CHECK(strstr(buf, "JIT stack") != NULL);
    val_pattern_limit_message(PCRE2_ERROR_MATCHLIMIT, 100, buf, 8);
    CHECK_EQ_INT(strlen(buf), 7); /* truncated, terminated */
}

static void test_field(bool jit)
{
    rules_field fields[4];
    fields[0] = field_with("(a+)+$", jit);
    fields[1] = field_with("(x+x+)+y", jit);
    fields[2] = field_with("-?[0-9]+(\\.[0-9]{1,2})?", jit);
    fields[3] = field_with("([a-z]+,)*", jit);
    CHECK(fields[0].pattern && fields[1].pattern && fields[2].pattern && fields[3].pattern);
    struct assay_rules r;
    memset(&r, 0, sizeof r);
    r.fields = fields;
    r.nfields = 4;
    pcre2_match_data *md = val_match_data_new(&r);
    pcre2_match_context *mc = val_match_context_new();
    CHECK(md && mc);
    size_t n;
    int rc;

    /* normal values are decided as before */
    CHECK_EQ_INT(val_pattern_match_known(&fields[0], md, mc, "aaaa", 4, true, &rc), 1);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(val_pattern_match_known(&fields[0], md, mc, "aab", 3, false, &rc), 0);
    CHECK_EQ_INT(rc, 0);
    /* invalid UTF-8 is an error, not a limit */
    CHECK_EQ_INT(val_pattern_match_known(&fields[0], md, mc, "a\x80", 2, false, &rc), -1);
    CHECK(rc != 0 && !val_match_limit_hit(rc));

    /* catastrophic backtracking on 5,000 a's: stopped by the match limit */
    char *s = repeat("a", 5000, "b", &n);
    CHECK(s != NULL);
    CHECK_EQ_INT(val_pattern_match_known(&fields[0], md, mc, s, n, true, &rc),
                 VAL_PATTERN_LIMIT);
    CHECK_EQ_INT(rc, PCRE2_ERROR_MATCHLIMIT);
    free(s);
    /* 5,000 x's: the JIT may rule the value out at once (no 'y'); else the
     * limit stops it. Never a match. */
    s = repeat("x", 5000, "", &n);
    CHECK(s != NULL);
    int m = val_pattern_match_known(&fields[1], md, mc, s, n, true, &rc);
    CHECK_MSG(m == 0 || m == VAL_PATTERN_LIMIT, "got %d", m);
    if (!jit)
        CHECK_EQ_INT(m, VAL_PATTERN_LIMIT);
    free(s);

    /* an ordinary pattern on a 1 MiB value: no limit, whether it matches or
     * not (about 3 steps per byte when it fails at the end) */
    s = repeat("1", (size_t)1 << 20, "x", &n);
    CHECK(s != NULL);
    CHECK_EQ_INT(val_pattern_match_known(&fields[2], md, mc, s, n, true, &rc), 0);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(val_pattern_match_known(&fields[2], md, mc, s, n - 1, true, &rc), 1);
    free(s);

    /* a repeated group over 60 KB overflows pcre2's default JIT stack: the
     * interpreter finishes the match within the heap limit */
    s = repeat("ab,", 20000, "", &n);
    CHECK(s != NULL);
    CHECK_EQ_INT(val_pattern_match_known(&fields[3], md, mc, s, n, true, &rc), 1);
    CHECK_EQ_INT(rc, 0);
    free(s);
    /* ... over 1.2 MB it needs about 100 MB: the heap limit stops it */
    s = repeat("ab,", 400000, "", &n);
    CHECK(s != NULL);
    CHECK_EQ_INT(val_pattern_match_known(&fields[3], md, mc, s, n, true, &rc),
                 VAL_PATTERN_LIMIT);
    CHECK_EQ_INT(rc, PCRE2_ERROR_HEAPLIMIT);
    free(s);

    val_match_context_free(mc);
    val_match_data_free(md);
    for (size_t i = 0; i < 4; i++)
        pcre2_code_free(fields[i].pattern);
}

#define RULES                                                                  \
    "{\"fields\": [{\"name\": \"id\", \"type\": \"integer\"}, {\"name\": \"note\"}],\n" \
    " \"rules\": [\n"                                                          \
    "  {\"name\": \"plain\", \"check\": \"!matches(note, '^(x+x+)+$')\"},\n"   \
    "  {\"name\": \"decided\", \"check\": \"matches(note, '^(x+x+)+$') || id > 0\"},\n" \
    "  {\"name\": \"guarded\", \"when\": \"matches(note, '(a+)+$')\", \"check\": \"id > 5\"}\n" \
    " ]}"

static void test_rules(void)
{
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    assay_rules_load_buffer("rules.json", RULES, strlen(RULES), d, &r);
    CHECK(r != NULL && r->nrules == 3);
    if (!r) {
        assay_diags_free(d);
        return;
    }
    expr_state *st = expr_state_new(r);
    CHECK(st != NULL);
    expr_value rec[2];
    rec[0] = (expr_value){.kind = EXPR_V_INT, .text = "1", .len = 1, .u.i = 1};
    size_t n;
    char *hostile = repeat("x", 5000, "!", &n);
    char *as = repeat("a", 5000, "b", &n);
    CHECK(hostile && as);
    core_buf msg;
    core_buf_init(&msg, 0);

    rec[1] = (expr_value){.kind = EXPR_V_STR, .text = "ok", .len = 2};
    CHECK_EQ_INT(expr_rule_eval(st, 0, rec), EXPR_PASS);
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_PASS); /* when false */
    rec[1] = (expr_value){.kind = EXPR_V_STR, .text = "xxxx", .len = 4};
    CHECK_EQ_INT(expr_rule_eval(st, 0, rec), EXPR_FAIL_CHECK);
    rec[1] = (expr_value){.kind = EXPR_V_STR, .text = hostile, .len = strlen(hostile)};
    CHECK_EQ_INT(expr_rule_eval(st, 0, rec), EXPR_FAIL_LIMIT);
    CHECK_EQ_INT(expr_rule_eval(st, 1, rec), EXPR_PASS); /* decided by id > 0 */
    CHECK_EQ_INT(expr_rule_message(r, 0, EXPR_FAIL_LIMIT, rec, &msg), ASSAY_OK);
    CHECK_EQ_MEM(msg.data, msg.len,
                 "not checked: a matches() pattern hit its pcre2 match limit on these "
                 "values; simplify the pattern (check !matches(note, '^(x+x+)+$'))");
    /* the limit in `when` fails the rule too */
    rec[1] = (expr_value){.kind = EXPR_V_STR, .text = as, .len = strlen(as)};
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_FAIL_LIMIT);
    core_buf_clear(&msg);
    CHECK_EQ_INT(expr_rule_message(r, 2, EXPR_FAIL_LIMIT, rec, &msg), ASSAY_OK);
    CHECK_EQ_MEM(msg.data, msg.len,
                 "not checked: a matches() pattern hit its pcre2 match limit on these "
                 "values; simplify the pattern (when matches(note, '(a+)+$'), check id > 5)");
    /* the flag does not leak into the next evaluation */
    rec[1] = (expr_value){.kind = EXPR_V_STR, .text = "aaa", .len = 3};
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_FAIL_CHECK);
    rec[0].u.i = 9;
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_PASS);

    core_buf_free(&msg);
    free(hostile);
    free(as);
    expr_state_free(st);
    assay_rules_free(r);
    assay_diags_free(d);
}

int main(void)
{
    test_limits();
    test_field(false);
    test_field(true);
    test_rules();
    return t_done();
}
