/* tests/unit/test_expr_rules.c — rules[] through the loader: what the plan
 * holds (name, severity, mostly, when, check, require, refs), the lint
 * messages with their file positions, expr_rule_eval on records, the -e
 * helpers, and a micro-benchmark of a three-rule set (printed). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/expr.h"
#include "tests/unit/t.h"
#include "validators/expr_eval.h"

#define FIELDS                                                                 \
    "\"fields\": [{\"name\": \"country\"}, {\"name\": \"zip\"},\n"             \
    "  {\"name\": \"state\"}, {\"name\": \"order_date\", \"type\": \"date\"},\n" \
    "  {\"name\": \"ship_date\", \"type\": \"date\"},\n"                       \
    "  {\"name\": \"amount\", \"type\": \"number\"}]"

enum { COUNTRY, ZIP, STATE, ORDER_DATE, SHIP_DATE, AMOUNT, NF };

static assay_rules *load(const char *text, assay_diags *d)
{
    assay_rules *r = NULL;
    assay_rules_load_buffer("rules.json", text, strlen(text), d, &r);
    return r;
}

static void dump(const assay_diags *d)
{
    for (size_t i = 0; i < assay_diags_count(d); i++) {
        const assay_diag *g = assay_diags_get(d, i);
        fprintf(stderr, "    %s %d:%d %s: %s\n", g->level ? "warning" : "error",
                g->line, g->column, g->path, g->message);
    }
}

/* The only error of text is (line, col, path, msg). */
static void expect_error(const char *text, int line, int col, const char *path,
                         const char *msg)
{
    assay_diags *d = assay_diags_new();
    assay_rules *r = load(text, d);
    CHECK(r == NULL);
    const assay_diag *g = NULL;
    for (size_t i = 0; i < assay_diags_count(d); i++)
        if (assay_diags_get(d, i)->level == ASSAY_DIAG_ERROR)
            g = g ? NULL : assay_diags_get(d, i);
    CHECK_MSG(g && assay_diags_errors(d) == 1, "%s: want one error", msg);
    if (g) {
        CHECK_MSG(g->line == line && g->column == col, "at %d:%d, want %d:%d", g->line,
                  g->column, line, col);
        CHECK_MSG(strcmp(g->path, path) == 0, "path %s, want %s", g->path, path);
        CHECK_MSG(strcmp(g->message, msg) == 0, "\n  got  %s\n  want %s", g->message, msg);
    } else
        dump(d);
    assay_rules_free(r);
    assay_diags_free(d);
}

static const char *const GOOD =
    "{" FIELDS ",\n"
    "\"rules\": [\n"
    "  {\"name\": \"shipped_after_ordered\",\n"
    "   \"check\": \"ship_date == null || ship_date >= order_date\"},\n"
    "  {\"name\": \"us_address\", \"when\": \"country == 'US'\",\n"
    "   \"require\": [\"zip\", \"state\"], \"severity\": \"warn\", \"mostly\": 0.9,\n"
    "   \"description\": \"US orders need an address\"},\n"
    "  {\"name\": \"big_us\", \"when\": \"country == 'US'\", \"require\": \"state\",\n"
    "   \"check\": \"amount < 1000\"}\n"
    "]}";

static expr_value rec[NF];

static void rec_clear(void)
{
    for (int i = 0; i < NF; i++)
        rec[i] = (expr_value){.missing = true, .null = true};
}

static void set_str(int f, const char *s)
{
    rec[f] = (expr_value){.kind = EXPR_V_STR, .text = s, .len = strlen(s)};
}

static void set_date(int f, const char *s)
{
    rec[f] = (expr_value){.kind = EXPR_V_DATE, .text = s, .len = strlen(s)};
    CHECK(rules_parse_iso_date(s, strlen(s), &rec[f].u.days));
}

static void set_dec(int f, const char *s)
{
    rec[f] = (expr_value){.kind = EXPR_V_DEC, .text = s, .len = strlen(s)};
    CHECK(val_number_parse(s, strlen(s), &rec[f].u.d));
}

static void test_plan(void)
{
    assay_diags *d = assay_diags_new();
    assay_rules *r = load(GOOD, d);
    CHECK(r != NULL);
    if (!r) {
        dump(d);
        assay_diags_free(d);
        return;
    }
    CHECK_EQ_INT(r->nrules, 3);
    const rules_rule *a = &r->rules[0], *b = &r->rules[1], *c = &r->rules[2];
    CHECK(strcmp(a->name, "shipped_after_ordered") == 0);
    CHECK(a->severity == RSEV_ERROR && a->mostly == 0 && !a->when && a->check);
    CHECK(a->nrequire == 0 && a->nrefs == 2 && a->refs[0] == SHIP_DATE &&
          a->refs[1] == ORDER_DATE);
    CHECK(strcmp(b->name, "us_address") == 0 && b->severity == RSEV_WARN);
    CHECK(b->mostly == 0.9 && b->when && !b->check);
    CHECK(strcmp(b->description, "US orders need an address") == 0);
    CHECK(b->nrequire == 2 && b->require[0] == ZIP && b->require[1] == STATE);
    CHECK(b->nrefs == 3 && b->refs[0] == COUNTRY && b->refs[1] == ZIP &&
          b->refs[2] == STATE);
    CHECK(c->nrequire == 1 && c->require[0] == STATE && c->nrefs == 3 &&
          c->refs[2] == AMOUNT);

    expr_state *st = expr_state_new(r);
    core_buf msg, vals;
    core_buf_init(&msg, 0);
    core_buf_init(&vals, 0);
    rec_clear();
    set_date(ORDER_DATE, "2024-03-05");
    /* the SPEC example: no ship date passes */
    CHECK_EQ_INT(expr_rule_eval(st, 0, rec), EXPR_PASS);
    set_date(SHIP_DATE, "2024-03-01");
    CHECK_EQ_INT(expr_rule_eval(st, 0, rec), EXPR_FAIL_CHECK);
    expr_rule_message(r, 0, EXPR_FAIL_CHECK, rec, &msg);
    expr_rule_values(r, 0, rec, &vals);
    CHECK_EQ_MEM(msg.data, msg.len,
                 "check failed: ship_date == null || ship_date >= order_date");
    CHECK_EQ_MEM(vals.data, vals.len,
                 "ship_date=\"2024-03-01\", order_date=\"2024-03-05\"");
    /* when does not hold: nothing is required */
    CHECK_EQ_INT(expr_rule_eval(st, 1, rec), EXPR_PASS);
    set_str(COUNTRY, "FR");
    CHECK_EQ_INT(expr_rule_eval(st, 1, rec), EXPR_PASS);
    set_str(COUNTRY, "US");
    set_str(STATE, "CA");
    CHECK_EQ_INT(expr_rule_eval(st, 1, rec), EXPR_FAIL_REQUIRE);
    core_buf_clear(&msg);
    core_buf_clear(&vals);
    expr_rule_message(r, 1, EXPR_FAIL_REQUIRE, rec, &msg);
    expr_rule_values(r, 1, rec, &vals);
    CHECK_EQ_MEM(msg.data, msg.len, "required when country == 'US': \"zip\" missing");
    CHECK_EQ_MEM(vals.data, vals.len, "country=\"US\", zip=null, state=\"CA\"");
    /* a value that failed its type is present for require */
    rec[ZIP] = (expr_value){.null = true, .text = "x", .len = 1};
    CHECK_EQ_INT(expr_rule_eval(st, 1, rec), EXPR_PASS);
    core_buf_clear(&vals);
    expr_rule_values(r, 1, rec, &vals);
    CHECK_EQ_MEM(vals.data, vals.len, "country=\"US\", zip=\"x\" (invalid), state=\"CA\"");
    /* when + require + check */
    set_dec(AMOUNT, "999.99");
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_PASS);
    set_dec(AMOUNT, "1000");
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_FAIL_CHECK);
    rec[STATE] = (expr_value){.missing = true, .null = true};
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_FAIL_REQUIRE);
    set_str(COUNTRY, "DE");
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_PASS);
    rec[COUNTRY] = (expr_value){.missing = true, .null = true}; /* when is false */
    CHECK_EQ_INT(expr_rule_eval(st, 2, rec), EXPR_PASS);
    core_buf_free(&msg);
    core_buf_free(&vals);
    expr_state_free(st);
    assay_rules_free(r);
    assay_diags_free(d);
}

static void test_lint(void)
{
    expect_error("{" FIELDS ",\n\"rules\": [\n"
                 "  {\"name\": \"r\", \"check\": \"order_date >= 'abc'\"}]}",
                 6, 26, "$.rules[0].check",
                 "at column 12 of the expression: cannot compare date \"order_date\" with "
                 "string 'abc'");
    expect_error("{" FIELDS ",\n\"rules\": [\n"
                 "  {\"name\": \"r\", \"when\": \"contry == 'US'\", \"require\": [\"zip\"]}]}",
                 6, 25, "$.rules[0].when",
                 "at column 1 of the expression: unknown field \"contry\" (did you mean "
                 "\"country\"?)");
    expect_error("{" FIELDS ",\n\"rules\": [\n"
                 "  {\"name\": \"r\", \"require\": [\"zip\", \"stat\"]}]}",
                 6, 36, "$.rules[0].require[1]",
                 "require names \"stat\", which is not a field (did you mean \"state\"?)");
    expect_error("{" FIELDS ",\n\"rules\": [\n"
                 "  {\"name\": \"r\", \"require\": [\"zip\", \"zip\"]}]}",
                 6, 36, "$.rules[0].require[1]", "require lists field \"zip\" twice");
    expect_error("{" FIELDS ",\n\"rules\": [\n"
                 "  {\"name\": \"r\", \"require\": []}]}",
                 6, 28, "$.rules[0].require",
                 "expected a field name or a non-empty array of field names for "
                 "\"require\", got an empty array");
    expect_error("{" FIELDS ",\n\"rules\": [\n"
                 "  {\"name\": \"\", \"check\": \"zip != null\"}]}",
                 6, 12, "$.rules[0].name", "a rule name must not be empty");
    expect_error("{" FIELDS ",\n\"rules\": [\n"
                 "  {\"name\": \"r\", \"check\": \"amount\"}]}",
                 6, 26, "$.rules[0].check", "at column 1 of the expression: the expression "
                 "must be a true/false test, got number \"amount\"");
    expect_error("{" FIELDS ",\n\"rules\": [\n"
                 "  {\"name\": \"r\", \"when\": \"zip != null\"}]}",
                 6, 3, "$.rules[0]", "a rule needs \"check\" (an expression over fields)");
}

/* Three rules on one record, many times: the figure docs/record-rules.md
 * quotes. */
static void bench(void)
{
    assay_diags *d = assay_diags_new();
    assay_rules *r = load(GOOD, d);
    expr_state *st = r ? expr_state_new(r) : NULL;
    if (!st) {
        CHECK(st != NULL);
        assay_rules_free(r);
        assay_diags_free(d);
        return;
    }
    rec_clear();
    set_str(COUNTRY, "US");
    set_str(ZIP, "94103");
    set_str(STATE, "CA");
    set_date(ORDER_DATE, "2024-03-05");
    set_date(SHIP_DATE, "2024-03-07");
    set_dec(AMOUNT, "129.95");
    enum { ROUNDS = 2000000 };
    struct timespec t0, t1;
    unsigned fails = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < ROUNDS; i++)
        for (size_t k = 0; k < r->nrules; k++)
            fails += expr_rule_eval(st, k, rec) != EXPR_PASS;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_EQ_INT(fails, 0);
    printf("bench: 3 rules x %d records: %.1f ns per record (%.1f M records/s)\n", ROUNDS,
           s * 1e9 / ROUNDS, ROUNDS / s / 1e6);
    expr_state_free(st);
    assay_rules_free(r);
    assay_diags_free(d);
}

int main(void)
{
    test_plan();
    test_lint();
    bench();
    return t_done();
}
