/* tests/unit/test_expr.c — record-rule expressions: what compiles, the exact
 * lint message and column of what does not, and what each expression gives
 * on records with present, missing and invalid values (the truth table of
 * docs/record-rules.md). */
#include <stdlib.h>
#include <string.h>

#include "rules/expr.h"
#include "tests/unit/t.h"
#include "validators/datetime.h"
#include "validators/expr_eval.h"

static const char *const FIELDS =
    "{\"fields\": ["
    "{\"name\": \"country\"}, {\"name\": \"zip\"}, {\"name\": \"state\"},"
    "{\"name\": \"order_id\", \"type\": \"integer\"},"
    "{\"name\": \"amount\", \"type\": \"number\"},"
    "{\"name\": \"order_date\", \"type\": \"date\"},"
    "{\"name\": \"ship_date\", \"type\": \"date\"},"
    "{\"name\": \"paid\", \"type\": \"boolean\"},"
    "{\"name\": \"created\", \"type\": \"datetime\"},"
    "{\"name\": \"opens\", \"type\": \"time\"},"
    "{\"name\": \"period\", \"type\": \"yearmonth\"},"
    "{\"name\": \"lead\", \"type\": \"duration\"},"
    "{\"name\": \"built\", \"type\": \"year\"},"
    "{\"name\": \"meta\", \"type\": \"object\"},"
    "{\"name\": \"order note\"},"
    "{\"name\": \"customer.address.zip\"}"
    "]}";

enum { COUNTRY, ZIP, STATE, ORDER_ID, AMOUNT, ORDER_DATE, SHIP_DATE, PAID, CREATED,
       OPENS, PERIOD, LEAD, BUILT, META, NOTE, CZIP, NF };

static assay_rules *plan;
static expr_state *st;
static expr_value rec[NF];

static void rec_clear(void)
{
    for (int i = 0; i < NF; i++) {
        memset(&rec[i], 0, sizeof rec[i]);
        rec[i].missing = rec[i].null = true;
    }
}

static void set_str(int f, const char *s)
{
    rec[f] = (expr_value){.kind = EXPR_V_STR, .text = s, .len = strlen(s)};
}

static void set_int(int f, int64_t v)
{
    rec[f] = (expr_value){.kind = EXPR_V_INT, .text = "", .u.i = v};
}

static void set_dec(int f, const char *s)
{
    rec[f] = (expr_value){.kind = EXPR_V_DEC, .text = s, .len = strlen(s)};
    CHECK(val_number_parse(s, strlen(s), &rec[f].u.d));
}

static void set_date(int f, const char *s)
{
    rec[f] = (expr_value){.kind = EXPR_V_DATE, .text = s, .len = strlen(s)};
    CHECK(rules_parse_iso_date(s, strlen(s), &rec[f].u.days));
}

static void set_invalid(int f, const char *s)
{
    rec[f] = (expr_value){.null = true, .text = s, .len = strlen(s)};
}

/* 1 true, 0 false, -1 null; -2 when it does not compile. */
static int eval(const char *src)
{
    expr_prog *p = NULL;
    expr_error err;
    assay_status rc = rules_expr_compile(src, strlen(src), plan->fields, plan->nfields,
                                         true, &p, &err);
    CHECK_MSG(rc == ASSAY_OK, "%s: col %zu: %s", src, err.col, err.msg);
    if (rc)
        return -2;
    int v = expr_eval_bool(st, p, rec);
    rules_expr_free(p);
    return v;
}

#define EVAL(src, want) CHECK_MSG(eval(src) == (want), "%s: got %d, want %d", src, \
                                  eval(src), want)

static void bad(const char *src, size_t col, const char *msg)
{
    expr_prog *p = NULL;
    expr_error err;
    assay_status rc = rules_expr_compile(src, strlen(src), plan->fields, plan->nfields,
                                         true, &p, &err);
    CHECK_MSG(rc == ASSAY_E_RULES && p == NULL, "%s: compiled", src);
    CHECK_MSG(err.col == col && strcmp(err.msg, msg) == 0,
              "%s:\n  got  col %zu: %s\n  want col %zu: %s", src, err.col, err.msg, col,
              msg);
    rules_expr_free(p);
}

static void test_null_semantics(void)
{
    rec_clear();
    set_date(ORDER_DATE, "2024-03-05");
    /* a comparison with a missing value is false */
    EVAL("ship_date >= order_date", 0);
    EVAL("ship_date < order_date", 0);
    EVAL("ship_date != order_date", 0);
    EVAL("!(ship_date >= order_date)", 1);
    EVAL("ship_date == null || ship_date >= order_date", 1);
    EVAL("ship_date == null", 1);
    EVAL("ship_date != null", 0);
    EVAL("null == ship_date", 1);
    EVAL("is_missing(ship_date)", 1);
    EVAL("is_missing(order_date)", 0);
    EVAL("country in ['US', 'FR']", 0);
    EVAL("!(country in ['US', 'FR'])", 1);
    EVAL("matches(country, 'U')", 0);
    /* a missing boolean is null; three-valued && || ! */
    EVAL("paid", -1);
    EVAL("!paid", -1);
    EVAL("paid && false", 0);
    EVAL("false && paid", 0);
    EVAL("paid && true", -1);
    EVAL("paid || true", 1);
    EVAL("true || paid", 1);
    EVAL("paid || false", -1);
    EVAL("paid == true", 0);
    /* arithmetic with null is null, and a comparison of it is false */
    EVAL("amount + 1 > 0", 0);
    EVAL("amount + 1 == null", 1);
    EVAL("len(country) == null", 1);
    EVAL("lower(country) == null", 1);
    /* a value that failed its type is null too */
    set_invalid(SHIP_DATE, "2024-02-30");
    EVAL("ship_date == null", 1);
    EVAL("ship_date >= order_date", 0);
    set_date(SHIP_DATE, "2024-03-06");
    EVAL("ship_date >= order_date", 1);
    EVAL("ship_date == null || ship_date >= order_date", 1);
    set_date(SHIP_DATE, "2024-03-04");
    EVAL("ship_date == null || ship_date >= order_date", 0);
    rec[PAID] = (expr_value){.kind = EXPR_V_BOOL, .u.b = true};
    EVAL("paid", 1);
    EVAL("paid && ship_date > order_date", 0);
    EVAL("paid == true", 1);
    EVAL("paid != false", 1);
    rec[META] = (expr_value){.kind = EXPR_V_OTHER};
    EVAL("meta != null", 1);
}

static void test_numbers(void)
{
    rec_clear();
    set_dec(AMOUNT, "0.2");
    set_int(ORDER_ID, 7);
    EVAL("amount + 0.1 == 0.3", 1);      /* exact, not binary floating point */
    EVAL("amount * 3 == 0.6", 1);
    EVAL("amount - 0.25 == -0.05", 1);
    EVAL("order_id / 2 == 3.5", 1);      /* division is exact when it ends */
    EVAL("1 / 3 == 0.333333333333333333", 1); /* else 18 places, half to even */
    EVAL("2 / 3 == 0.666666666666666667", 1);
    EVAL("order_id / 0 == null", 1);
    EVAL("0.0000000001 * 0.0000000001 == 0", 1);  /* past 18 places: rounded */
    EVAL("0.000000001 * 0.000000001 == 0.000000000000000001", 1);
    EVAL("0.0000000005 * 0.000000001 == 0", 1);   /* half to even */
    EVAL("0.0000000015 * 0.000000001 == 0.000000000000000002", 1);
    EVAL("-order_id == -7", 1);
    EVAL("order_id > amount", 1);
    EVAL("order_id >= 7.0", 1);
    EVAL("order_id == 7e0", 1);
    EVAL("1e2 == 100", 1);
    EVAL("order_id * 1000000000000 * 1000000000000 == null", 1); /* overflow */
    EVAL("9223372036854775807 + 1 == null", 1);
    EVAL("-9223372036854775808 < 0", 1);
    EVAL("0.1 + 0.2 * 3 == 0.7", 1);     /* precedence */
    EVAL("(0.1 + 0.2) * 3 == 0.9", 1);
    EVAL("10 - 2 - 3 == 5", 1);          /* left to right */
    EVAL("2 * 3 / 4 == 1.5", 1);
    /* beyond 18 significant digits: exact comparison, arithmetic is null */
    set_dec(AMOUNT, "12345678901234567890.5");
    EVAL("amount > 12345678901234567890", 1);
    EVAL("amount < 12345678901234567890.50001", 1);
    EVAL("amount == 12345678901234567890.50", 1);
    EVAL("amount + 1 == null", 1);
    set_dec(AMOUNT, "NaN");
    EVAL("amount == amount", 0);
    EVAL("amount != 1", 1);
    EVAL("amount > 1", 0);
    set_dec(AMOUNT, "-INF");
    EVAL("amount < -1e300", 1);
    rec[BUILT] = (expr_value){.kind = EXPR_V_INT, .u.i = 1999};
    EVAL("built < 2000 && built + 1 == 2000", 1);
}

static void test_strings(void)
{
    rec_clear();
    set_str(COUNTRY, "Us");
    set_str(ZIP, "h\xc3\xa9llo");
    EVAL("lower(country) == 'us'", 1);
    EVAL("upper(country) == \"US\"", 1);
    EVAL("lower(upper(country)) == 'us'", 1);
    EVAL("country == 'us'", 0);
    EVAL("upper(country) in ['FR', 'US']", 1);
    EVAL("country in ['FR', 'US']", 0);
    EVAL("len(zip) == 5", 1);               /* code points, not bytes */
    EVAL("len(country) + 1 == 3", 1);
    EVAL("matches(zip, 'll')", 1);          /* a search */
    EVAL("matches(zip, '^ll')", 0);
    EVAL("matches(zip, '^h.llo$')", 1);     /* . is one code point */
    EVAL("matches(upper(country), '^US$')", 1);
    EVAL("'a' < 'b' && 'ab' > 'a' && 'B' < 'a'", 1); /* byte order */
    EVAL("'it\\'s' == \"it's\"", 1);
    EVAL("'\\u00e9' == '\xc3\xa9'", 1);
    EVAL("'\\ud83d\\ude00' == '\xf0\x9f\x98\x80'", 1);
    EVAL("'a\\tb' != 'a b'", 1);
    set_str(NOTE, "rush");
    EVAL("`order note` == 'rush'", 1);
    set_str(CZIP, "75001");
    EVAL("customer.address.zip == '75001'", 1);
    EVAL("`customer.address.zip` == '75001'", 1);
    set_str(STATE, "");
    EVAL("state == ''", 1);
    EVAL("len(state) == 0", 1);
}

static void test_dates(void)
{
    rec_clear();
    set_date(ORDER_DATE, "2024-01-31");
    set_date(SHIP_DATE, "2024-03-01");
    EVAL("ship_date - order_date == 30", 1);        /* days */
    EVAL("ship_date - order_date <= 30", 1);
    EVAL("order_date + 30d == ship_date", 1);
    EVAL("order_date + 30d == '2024-03-01'", 1);   /* typed by context */
    EVAL("order_date + 30d == date('2024-03-01')", 1);
    EVAL("ship_date - 1w == '2024-02-23'", 1);
    EVAL("order_date >= '2024-01-01' && order_date < '2024-02-01'", 1);
    EVAL("order_date in ['2024-01-31', '2024-02-01']", 1);
    EVAL("-30d + ship_date == order_date", 1);
    EVAL("30d + order_date == ship_date", 1);
    rec[LEAD] = (expr_value){.kind = EXPR_V_DURATION, .u.dur = {1, 0}};
    EVAL("order_date + lead == '2024-02-29'", 1);  /* a month: clamped */
    EVAL("order_date - lead == '2023-12-31'", 1);
    rec[LEAD] = (expr_value){.kind = EXPR_V_DURATION, .u.dur = {0, 3600000000}};
    EVAL("order_date + lead == null", 1);          /* not whole days */
    EVAL("lead == 1h && lead < 2h && lead > 59m && lead == 3600s", 1);
    expr_state_set_clock(st, rules_days_from_civil(2024, 2, 10) * EXPR_US_PER_DAY +
                                 INT64_C(3600000000) * 5);
    EVAL("order_date <= today() && ship_date > today()", 1);
    EVAL("today() - order_date == 10", 1);
    EVAL("now() == '2024-02-10T05:00:00Z'", 1);
    EVAL("now() == '2024-02-10T07:00:00+02:00'", 1);
    rec[CREATED] = (expr_value){.kind = EXPR_V_DATETIME};
    CHECK(rules_parse_iso_datetime("2024-02-09T05:00:00", 19, &rec[CREATED].u.micros));
    EVAL("now() - created == 1d", 1);
    EVAL("created + 24h == now()", 1);
    EVAL("created < now() - 23h", 1);
    rec[OPENS] = (expr_value){.kind = EXPR_V_TIME};
    CHECK(rules_parse_iso_time("08:30", 5, &rec[OPENS].u.micros));
    EVAL("opens >= '08:00' && opens < time('09:00:00.5')", 1);
    rec[PERIOD] = (expr_value){.kind = EXPR_V_YEARMONTH, .u.months = 2024 * 12 + 1};
    EVAL("period == '2024-02' && period > yearmonth('2023-12')", 1);
}

/* Temporal values of validators/datetime.h as expression values. */
static void test_from_dt(void)
{
    rec_clear();
    val_dt dt = {.type = RT_DATE, .year = 2024, .month = 3, .day = 5};
    CHECK(expr_value_from_dt(&rec[ORDER_DATE], &dt));
    rec[ORDER_DATE].missing = rec[ORDER_DATE].null = false;
    EVAL("order_date == '2024-03-05'", 1);
    dt = (val_dt){.type = RT_DATETIME, .year = 2024, .month = 3, .day = 5, .hour = 10,
                  .minute = 30, .nanos = 500000, .has_offset = true, .offset_s = 3600};
    rec[CREATED] = (expr_value){0};
    CHECK(expr_value_from_dt(&rec[CREATED], &dt));
    EVAL("created == '2024-03-05T09:30:00.0005Z'", 1);
    dt = (val_dt){.type = RT_DURATION, .dur = {.years = 1, .months = 2, .days = 3,
                                               .hours = 4}};
    rec[LEAD] = (expr_value){0};
    CHECK(expr_value_from_dt(&rec[LEAD], &dt));
    CHECK(rec[LEAD].u.dur.months == 14 && rec[LEAD].u.dur.micros == 273600000000);
    set_date(ORDER_DATE, "2024-01-31");
    EVAL("order_date + lead == null", 1); /* 4 hours: not whole days */
    dt.dur = (val_duration){.neg = true, .months = 1};
    CHECK(expr_value_from_dt(&rec[LEAD], &dt));
    EVAL("order_date + lead == '2023-12-31'", 1);
    dt.dur = (val_duration){.weeks = INT64_MAX};
    CHECK(!expr_value_from_dt(&rec[LEAD], &dt) && rec[LEAD].null);
    dt = (val_dt){.type = RT_YEAR, .year = 1999};
    rec[BUILT] = (expr_value){0};
    CHECK(expr_value_from_dt(&rec[BUILT], &dt));
    EVAL("built == 1999", 1);
}

static void test_errors(void)
{
    bad("order_date >= 'abc'", 12, "cannot compare date \"order_date\" with string 'abc'");
    bad("ship_date == null || order_date >= 5", 33,
        "cannot compare date \"order_date\" with number 5");
    bad("amount + country > 1", 8, "cannot add number \"amount\" and string \"country\"");
    bad("country - 1 == 2", 9, "cannot subtract number 1 from string \"country\"");
    bad("paid * 2 == 2", 6, "cannot multiply boolean \"paid\" by number 2");
    bad("len(amount) > 1", 5, "len() needs a string, got number \"amount\"");
    bad("lower(order_id) == 'a'", 7, "lower() needs a string, got integer \"order_id\"");
    bad("shipdate == null", 1, "unknown field \"shipdate\" (did you mean \"ship_date\"?)");
    bad("nothing_like_it == 1", 1,
        "unknown field \"nothing_like_it\"; expected the name of a field in \"fields\" "
        "(a name with spaces is written in backquotes: `order date`)");
    bad("lowr(country) == 'a'", 1, "unknown function \"lowr\" (did you mean \"lower\"?)");
    bad("lenght(country) > 1", 1, "unknown function \"lenght\"; expected is_missing, len, "
        "matches, lower, upper, today, now, date, time, datetime or yearmonth");
    bad("len(country, zip) > 1", 1, "len() takes 1 argument, got 2");
    bad("today(1) == order_date", 1, "today() takes 0 arguments, got 1");
    bad("1 < order_id < 5", 14, "comparisons do not chain; write a < b && b < c");
    bad("country = 'US'", 9, "unexpected character \"=\" (compare with ==)");
    bad("country == 'US' & zip == ''", 17, "unexpected character \"&\" (use &&)");
    bad("matches(country, '[a-')", 18,
        "invalid pattern: missing terminating ] for character class (at offset 3 of the "
        "pattern)");
    bad("matches(country, zip)", 18,
        "matches() needs a string literal as its pattern, got string \"zip\"");
    bad("order_date + 2h > order_date", 12,
        "a date moves by whole days, and duration 2h is not a whole number of days");
    bad("amount > null", 8, "null has no order; test a missing value with == null or "
        "!= null");
    bad("amount + null == 1", 8, "arithmetic with null is always null; test a missing "
        "value with == null");
    bad("country == 'US", 12, "unclosed string");
    bad("country == 'a\\qb'", 14, "invalid escape in a string; expected \\\\, \\', \\\", "
        "\\n, \\t, \\r, \\0 or \\uXXXX");
    bad("", 1, "the expression is empty");
    bad("   ", 1, "the expression is empty");
    bad("paid < true", 6, "true and false have no order; compare booleans with == or !=");
    bad("country in []", 9, "an empty list after in never matches");
    bad("country in [1]", 13, "cannot compare string \"country\" with number 1");
    bad("country in [zip]", 13, "a list after in holds literals only, got string \"zip\"");
    bad("country in [null]", 13, "null in a list never matches; test a missing value "
        "with == null");
    bad("amount", 1, "the expression must be a true/false test, got number \"amount\"");
    bad("amount + 1", 1, "the expression must be a true/false test, got number amount + 1");
    bad("date('2024-02-30') < order_date", 6,
        "'2024-02-30' is not a valid date (expected yyyy-MM-dd)");
    bad("order_date == 30x", 15, "unexpected \"x\" after a number; a duration is an "
        "integer and one unit: 2w, 30d, 12h, 15m or 10s");
    bad("order_date == 1.5d", 15, "unexpected \"d\" after a number; a duration is an "
        "integer and one unit: 2w, 30d, 12h, 15m or 10s");
    bad("(country == 'US'", 17, "expected \")\", got the end of the expression");
    bad("country == 'US')", 16, "unexpected \")\" after a complete expression");
    bad("country == ", 12, "expected a value (a field, a literal, a function call or "
        "\"(\"), got the end of the expression");
    bad("!amount", 1, "! needs a true/false test, got number \"amount\"");
    bad("paid && amount", 6, "&& needs a true/false test, got number \"amount\"");
    bad("-country == 'a'", 1, "cannot negate string \"country\"");
    bad("meta == 1", 6, "cannot compare object \"meta\" with number 1");
    bad("built == '2024'", 7, "cannot compare year \"built\" with string '2024'");
    bad("created == order_date", 9,
        "cannot compare datetime \"created\" with date \"order_date\"");
    bad("`` == 1", 1, "an empty backquoted name");
    bad("\xc3\xa9t\xc3\xa9 == 1", 1, "unknown field \"\xc3\xa9t\xc3\xa9\"; expected the "
        "name of a field in \"fields\" (a name with spaces is written in backquotes: "
        "`order date`)");
    bad("'\xc3\xa9' == 'x' && zip == 1", 19, "cannot compare string \"zip\" with number 1");
    bad("null == null", 6, "null compared with null");
    /* nesting deeper than the limit */
    char deep[2 * EXPR_MAX_DEPTH + 64];
    size_t n = 0;
    for (int i = 0; i < EXPR_MAX_DEPTH + 1; i++)
        deep[n++] = '(';
    memcpy(deep + n, "paid", 5);
    bad(deep, EXPR_MAX_DEPTH + 1, "the expression nests deeper than 200 levels");
    char chain[8 * (EXPR_MAX_DEPTH + 2)];
    n = 0;
    for (int i = 0; i < EXPR_MAX_DEPTH + 1; i++) {
        memcpy(chain + n, "paid || ", 8);
        n += 8;
    }
    memcpy(chain + n, "paid", 5);
    bad(chain, 1, "the expression nests deeper than 200 levels");
}

int main(void)
{
    assay_diags *d = assay_diags_new();
    assay_status rc = assay_rules_load_buffer("t.json", FIELDS, strlen(FIELDS), d, &plan);
    CHECK_EQ_INT(rc, ASSAY_OK);
    if (rc) {
        for (size_t i = 0; i < assay_diags_count(d); i++)
            fprintf(stderr, "%s\n", assay_diags_get(d, i)->message);
        return t_done();
    }
    CHECK_EQ_INT(plan->nfields, NF);
    st = expr_state_new(plan);
    CHECK(st != NULL);
    test_null_semantics();
    test_numbers();
    test_strings();
    test_dates();
    test_from_dt();
    test_errors();
    expr_state_free(st);
    assay_rules_free(plan);
    assay_diags_free(d);
    return t_done();
}
