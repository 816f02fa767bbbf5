/* tests/unit/test_val_clean.c — cleaning steps (validators/clean.h). */
#include <stdlib.h>
#include <string.h>

#include "assay/assay.h"
#include "tests/unit/t.h"
#include "validators/clean.h"

static rules_clean steps[8];

/* A field whose clean list is the given steps; RS_DEFAULT takes def. */
static rules_field field_of(const rules_step *list, size_t n, const char *def)
{
    rules_field f;
    memset(&f, 0, sizeof f);
    for (size_t i = 0; i < n; i++) {
        steps[i].step = list[i];
        steps[i].arg = list[i] == RS_DEFAULT ? (char *)def : NULL;
        steps[i].arg_len = list[i] == RS_DEFAULT ? strlen(def) : 0;
    }
    f.clean = steps;
    f.nclean = n;
    return f;
}

static core_buf scratch;
static const char *out;
static size_t out_n;
static uint32_t changed;

static void apply(const rules_field *f, const struct assay_rules *r, const char *in)
{
    assay_status st = val_clean_apply(f, r, in, strlen(in), &scratch, &out, &out_n,
                                      &changed);
    CHECK_EQ_INT(st, ASSAY_OK);
}

#define ONE(step, in, want)                                                    \
    do {                                                                       \
        rules_step l_[1] = { step };                                           \
        rules_field f_ = field_of(l_, 1, "");                                  \
        apply(&f_, NULL, in);                                                  \
        CHECK_EQ_MEM(out, out_n, want);                                        \
        CHECK_EQ_INT(changed, strcmp(in, want) ? VAL_STEP_BIT(step) : 0);     \
    } while (0)

static void test_single_steps(void)
{
    ONE(RS_TRIM, "  a b \t\r\n\v\f", "a b");
    ONE(RS_TRIM, "\t\n", "");
    ONE(RS_TRIM, "a", "a");
    ONE(RS_TRIM, "", "");
    ONE(RS_TRIM, "\xc2\xa0x\xc2\xa0", "x"); /* NBSP is white space (Unicode) */
    ONE(RS_COLLAPSE_SPACES, "a  b\t\tc\r\nd e", "a b c d e");
    ONE(RS_COLLAPSE_SPACES, "  a  ", " a "); /* does not trim */
    ONE(RS_COLLAPSE_SPACES, "a\tb", "a b");
    ONE(RS_COLLAPSE_SPACES, "a b c", "a b c");
    ONE(RS_COLLAPSE_SPACES, " ", " ");
    ONE(RS_COLLAPSE_SPACES, "\n", " ");
    ONE(RS_LOWER, "HeLLo W0rld", "hello w0rld");
    ONE(RS_LOWER, "already", "already");
    ONE(RS_LOWER, "@[`{", "@[`{");
    ONE(RS_UPPER, "us-fr_de", "US-FR_DE");
    ONE(RS_UPPER, "@[`{", "@[`{");
    /* Case mapping is Unicode's (ICU); a broken sequence stays as it was.
     * tests/unit/test_val_unicode*.c hold the rest. */
    ONE(RS_UPPER, "\xc3\xa9t\xc3\xa9", "\xc3\x89T\xc3\x89");
    ONE(RS_LOWER, "\xc3\x89T\xc3\x89", "\xc3\xa9t\xc3\xa9");
    ONE(RS_LOWER, "A\xff\x80Z", "a\xff\x80z");
    ONE(RS_NFC, "e\xcc\x81", "\xc3\xa9");
    ONE(RS_STRIP_CONTROL, "a\x01", "a");
    ONE(RS_REPLACE_INVALID, "a\xff", "a\xef\xbf\xbd");
}

static void test_no_copy(void)
{
    rules_step list[] = { RS_TRIM, RS_COLLAPSE_SPACES, RS_LOWER };
    rules_field f = field_of(list, 3, "");
    const char *in = "clean value";
    apply(&f, NULL, in);
    CHECK(out == in && out_n == strlen(in) && changed == 0);
    /* trim alone is a slice of the input. */
    rules_step t[] = { RS_TRIM };
    f = field_of(t, 1, "");
    in = "  x y  ";
    apply(&f, NULL, in);
    CHECK(out == in + 2 && out_n == 3 && changed == VAL_STEP_BIT(RS_TRIM));
    /* No clean list at all. */
    memset(&f, 0, sizeof f);
    apply(&f, NULL, in);
    CHECK(out == in && changed == 0);
}

static void test_sequences(void)
{
    rules_step l1[] = { RS_TRIM, RS_COLLAPSE_SPACES, RS_UPPER };
    rules_field f = field_of(l1, 3, "");
    apply(&f, NULL, "  new   york ");
    CHECK_EQ_MEM(out, out_n, "NEW YORK");
    CHECK_EQ_INT(changed, VAL_STEP_BIT(RS_TRIM) | VAL_STEP_BIT(RS_COLLAPSE_SPACES) |
                              VAL_STEP_BIT(RS_UPPER));
    apply(&f, NULL, " NEW YORK");
    CHECK_EQ_MEM(out, out_n, "NEW YORK");
    CHECK_EQ_INT(changed, VAL_STEP_BIT(RS_TRIM));

    /* Steps that undo each other: the value is not rewritten. */
    rules_step l2[] = { RS_LOWER, RS_UPPER };
    f = field_of(l2, 2, "");
    const char *in = "ABC";
    apply(&f, NULL, in);
    CHECK(out == in && changed == 0);

    /* Steps after a rewrite work on the rewritten bytes, in place. */
    rules_step l4[] = { RS_LOWER, RS_TRIM, RS_COLLAPSE_SPACES, RS_UPPER };
    f = field_of(l4, 4, "");
    apply(&f, NULL, "  Ab \t\tCd  ");
    CHECK_EQ_MEM(out, out_n, "AB CD");

    /* Order matters: collapse then trim, trim then collapse. */
    rules_step l3[] = { RS_COLLAPSE_SPACES, RS_TRIM };
    f = field_of(l3, 2, "");
    apply(&f, NULL, "\t a \t b \t");
    CHECK_EQ_MEM(out, out_n, "a b");
}

static void test_default(void)
{
    rules_step l1[] = { RS_TRIM, RS_DEFAULT, RS_UPPER };
    rules_field f = field_of(l1, 3, "unknown");
    apply(&f, NULL, "   ");
    CHECK_EQ_MEM(out, out_n, "UNKNOWN");
    CHECK_EQ_INT(changed, VAL_STEP_BIT(RS_TRIM) | VAL_STEP_BIT(RS_DEFAULT) |
                              VAL_STEP_BIT(RS_UPPER));
    apply(&f, NULL, "");
    CHECK_EQ_MEM(out, out_n, "UNKNOWN");
    CHECK_EQ_INT(changed, VAL_STEP_BIT(RS_DEFAULT) | VAL_STEP_BIT(RS_UPPER));
    apply(&f, NULL, "x");
    CHECK_EQ_MEM(out, out_n, "X");
    CHECK_EQ_INT(changed, VAL_STEP_BIT(RS_UPPER));
    /* A missingValues token is missing too; without rules only "" is. */
    apply(&f, NULL, "N/A");
    CHECK_EQ_MEM(out, out_n, "N/A");
    struct assay_rules r;
    memset(&r, 0, sizeof r);
    char *mv[] = { "", "N/A", "-" };
    size_t ml[] = { 0, 3, 1 };
    r.missing_values = mv;
    r.missing_lens = ml;
    r.nmissing = 3;
    apply(&f, &r, " N/A ");
    CHECK_EQ_MEM(out, out_n, "UNKNOWN");
    apply(&f, &r, "-");
    CHECK_EQ_MEM(out, out_n, "UNKNOWN");
    apply(&f, &r, "n/a");
    CHECK_EQ_MEM(out, out_n, "N/A");
    /* Default before trim: "  " is not missing at that point. */
    rules_step l2[] = { RS_DEFAULT, RS_TRIM };
    f = field_of(l2, 2, "0");
    apply(&f, &r, "  ");
    CHECK_EQ_MEM(out, out_n, "");
    CHECK_EQ_INT(changed, VAL_STEP_BIT(RS_TRIM));
    /* A default equal to the missing value changes nothing. */
    rules_step l3[] = { RS_DEFAULT };
    f = field_of(l3, 1, "");
    const char *in = "";
    apply(&f, &r, in);
    CHECK(out == in && changed == 0);

    CHECK(val_is_missing(NULL, "", 0));
    CHECK(!val_is_missing(NULL, "N/A", 3));
    CHECK(val_is_missing(&r, "N/A", 3));
    CHECK(!val_is_missing(&r, "N/A ", 4));
}

/* The masks a loaded plan gets (missingValues' lengths and first bytes)
 * only rule out what the token list would: val_is_missing answers the same
 * with them as without them, for every string of up to two bytes and for
 * the tokens and their near misses. */
static void test_missing_masks(void)
{
    static const char text[] =
        "{\"missingValues\": [\"\", \"N/A\", \"null\", \"-\", \"\\u00e9t\u00e9\", \"\\u007f\",\n"
        "  \"?\", \"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\"],\n"
        " \"fields\": [{\"name\": \"a\"}]}";
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    CHECK(assay_rules_load_buffer("rules.json", text, strlen(text), d, &r) == ASSAY_OK && r);
    assay_diags_free(d);
    if (!r)
        return;
    struct assay_rules bare = *r; /* the token list alone */
    bare.missing_len_mask = 0;
    memset(bare.missing_first, 0, sizeof bare.missing_first);
    CHECK(r->missing_len_mask != 0 && r->missing_first[1] != 0);
    size_t differ = 0, found = 0;
    unsigned char b[2];
    for (unsigned x = 0; x < 256; x++) {
        b[0] = (unsigned char)x;
        differ += val_is_missing(r, (char *)b, 1) != val_is_missing(&bare, (char *)b, 1);
        found += val_is_missing(r, (char *)b, 1);
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (unsigned char)y;
            differ += val_is_missing(r, (char *)b, 2) != val_is_missing(&bare, (char *)b, 2);
            found += val_is_missing(r, (char *)b, 2);
        }
    }
    CHECK_EQ_INT(differ, 0);
    CHECK_EQ_INT(found, 3); /* "-", "?" and DEL */
    for (size_t i = 0; i < r->nmissing; i++) {
        const char *t = r->missing_values[i];
        size_t n = r->missing_lens[i];
        CHECK(val_is_missing(r, t, n) && val_maybe_missing(r, t, n));
        char near[128];
        if (n == 0 || n >= sizeof near)
            continue;
        memcpy(near, t, n);
        near[0] ^= 0x20; /* another first byte */
        CHECK(val_is_missing(r, near, n) == val_is_missing(&bare, near, n));
        CHECK(!val_is_missing(r, t, n - 1) || n == 1);
    }
    CHECK(!val_maybe_missing(r, "paid", 4)); /* a length that fits, a first byte that does not */
    CHECK(val_maybe_missing(r, "", 0));
    assay_rules_free(r);
}

static void test_names_and_limits(void)
{
    CHECK(strcmp(val_step_name(RS_TRIM), "trim") == 0);
    CHECK(strcmp(val_step_name(RS_COLLAPSE_SPACES), "collapse_spaces") == 0);
    CHECK(strcmp(val_step_name(RS_LOWER), "lower") == 0);
    CHECK(strcmp(val_step_name(RS_UPPER), "upper") == 0);
    CHECK(strcmp(val_step_name(RS_NFC), "nfc") == 0);
    CHECK(strcmp(val_step_name(RS_STRIP_CONTROL), "strip_control") == 0);
    CHECK(strcmp(val_step_name(RS_REPLACE_INVALID), "replace_invalid") == 0);
    CHECK(strcmp(val_step_name(RS_DEFAULT), "default") == 0);

    /* A scratch buffer that cannot grow: an error, the input untouched. */
    core_buf tiny;
    core_buf_init(&tiny, 4);
    rules_step l[] = { RS_UPPER };
    rules_field f = field_of(l, 1, "");
    const char *in = "abcdefgh";
    assay_status st = val_clean_apply(&f, NULL, in, 8, &tiny, &out, &out_n, &changed);
    CHECK_EQ_INT(st, ASSAY_E_LIMIT);
    CHECK(out == in && out_n == 8 && changed == 0);
    core_buf_free(&tiny);
}

/* One scratch buffer serves values of any size, one after the other. */
static void test_reuse(void)
{
    rules_step l[] = { RS_COLLAPSE_SPACES, RS_LOWER };
    rules_field f = field_of(l, 2, "");
    size_t n = 100000;
    char *big = malloc(n + 1);
    if (!big)
        return;
    for (size_t i = 0; i < n; i++)
        big[i] = i % 3 == 0 ? ' ' : 'A';
    big[n] = '\0';
    apply(&f, NULL, big);
    CHECK(out_n == n && out != big && out[1] == 'a' && changed);
    apply(&f, NULL, "X  Y");
    CHECK_EQ_MEM(out, out_n, "x y");
    free(big);
}

int main(void)
{
    core_buf_init(&scratch, 0);
    test_single_steps();
    test_no_copy();
    test_sequences();
    test_default();
    test_missing_masks();
    test_names_and_limits();
    test_reuse();
    core_buf_free(&scratch);
    return t_done();
}
