/* tests/unit/test_rules_plan.c — what a loaded rules file becomes: the plan's
 * fields, bounds as source text, anchored patterns, enum sets, dialect and
 * policy; the benchmark rules and a full Table Schema descriptor load. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules/ctx.h"
#include "rules/jsonpos.h"
#include "rules/rules.h"
#include "tests/unit/t.h"

/* From tests/unit (the ctest working directory) to the shared benchmark. */
static const char *bench_dir = "../../../shared/bench";

static assay_rules *load(const char *text, size_t *nerr, size_t *nwarn)
{
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    assay_status st = assay_rules_load_buffer("t.json", text, strlen(text), d, &r);
    *nerr = assay_diags_errors(d);
    *nwarn = assay_diags_count(d) - *nerr;
    for (size_t i = 0; st && i < assay_diags_count(d); i++) {
        const assay_diag *g = assay_diags_get(d, i);
        fprintf(stderr, "  %d:%d %s: %s\n", g->line, g->column, g->path, g->message);
    }
    assay_diags_free(d);
    return r;
}

static bool bound_is(const rules_bound *b, const char *text, bool is_string)
{
    return b->set && b->is_string == is_string && b->len == strlen(text) &&
           memcmp(b->text, text, b->len) == 0;
}

static bool matches(const rules_field *f, const char *s, size_t n)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(f->pattern, NULL);
    int rc = pcre2_match(f->pattern, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

static void check_bench_plan(const assay_rules *r, bool dates)
{
    CHECK_EQ_INT(assay_rules_field_count(r), 12);
    CHECK(strcmp(r->name, "orders") == 0);
    const rules_field *id = &r->fields[0];
    CHECK(id->type == RT_INTEGER && id->required && id->unique);
    CHECK(bound_is(&id->minimum, "1", false) && !id->maximum.set);
    ptrdiff_t k = rules_field_index(r, "amount", 6);
    CHECK_EQ_INT(k, 5);
    const rules_field *amount = &r->fields[k];
    CHECK(bound_is(&amount->minimum, "0.01", false));
    CHECK(bound_is(&amount->maximum, "100000.0", false)); /* never through a double */
    CHECK(amount->pattern && matches(amount, "12.50", 5) && !matches(amount, "12.505", 6));
    const rules_field *country = &r->fields[rules_field_index(r, "country", 7)];
    CHECK(country->enumset && country->enumset->count == 249);
    CHECK(rules_enum_has(country->enumset, "US", 2) && rules_enum_has(country->enumset, "ZW", 2));
    CHECK(!rules_enum_has(country->enumset, "XX", 2) && !rules_enum_has(country->enumset, "U", 1));
    const rules_field *zip = &r->fields[rules_field_index(r, "zip", 3)];
    CHECK(matches(zip, "12345", 5) && !matches(zip, "123456", 6) && !matches(zip, "1234", 4));
    CHECK(!matches(zip, "12345\n", 6)); /* "$" must not stop before a final newline */
    CHECK(r->fields[rules_field_index(r, "notes", 5)].max_length == 500);
    CHECK(r->fields[4].type == (dates ? RT_DATE : RT_STRING));
    CHECK(r->npk == 1 && r->primary_key[0] == 0);
    CHECK(r->nmissing == 4 && strcmp(r->missing_values[1], "N/A") == 0 && r->missing_lens[0] == 0);
    CHECK(r->dialect.delimiter == ',' && r->dialect.quote == '"' && r->dialect.header);
    CHECK(r->policy.has_max_quarantine_rate && r->policy.max_quarantine_rate == 0.06);
    CHECK(r->policy.extra_fields == REXTRA_QUARANTINE && !r->policy.has_min_records);
    CHECK(r->encoding && strcmp(r->encoding, "utf-8") == 0);
}

static void test_bench(void)
{
    static const char *const names[] = {"orders.rules.json", "orders.core.rules.json"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", bench_dir, names[i]);
        if (access(path, R_OK) != 0) { /* a checkout without ../shared beside it */
            printf("skipped: %s not found\n", path);
            continue;
        }
        assay_diags *d = assay_diags_new();
        assay_rules *r = NULL;
        assay_status st = assay_rules_load(path, d, &r);
        CHECK_MSG(st == ASSAY_OK, "%s: status %d", path, st);
        CHECK_EQ_INT(assay_diags_errors(d), 0);
        if (r)
            check_bench_plan(r, i == 0);
        /* assay checks every key of both: no "not checked yet" warning. */
        CHECK_EQ_INT(assay_diags_count(d), 0);
        assay_rules_free(r);
        assay_diags_free(d);
    }
}

/* Every key Table Schema v1 defines, at its place. */
static const char table_schema[] =
    "{\"$schema\": \"https://specs.frictionlessdata.io/schemas/table-schema.json\",\n"
    " \"profile\": \"tabular-data-resource\", \"name\": \"people\", \"title\": \"People\",\n"
    " \"description\": \"everyone\",\n"
    " \"fields\": [\n"
    "  {\"name\": \"id\", \"title\": \"Id\", \"description\": \"key\", \"type\": \"integer\",\n"
    "   \"format\": \"default\", \"rdfType\": \"http://schema.org/identifier\",\n"
    "   \"example\": 7, \"bareNumber\": false,\n"
    "   \"constraints\": {\"required\": true, \"unique\": true, \"minimum\": 1,\n"
    "                   \"maximum\": 1e6, \"enum\": [1, 2, 3, 1000000]}},\n"
    "  {\"name\": \"ok\", \"type\": \"boolean\", \"trueValues\": [\"Y\"], \"falseValues\": [\"N\"]},\n"
    "  {\"name\": \"amount\", \"type\": \"number\", \"decimalChar\": \",\", \"groupChar\": \".\"},\n"
    "  {\"name\": \"mail\", \"type\": \"string\", \"format\": \"email\",\n"
    "   \"constraints\": {\"minLength\": 3, \"maxLength\": 99, \"pattern\": \".+@.+\"}},\n"
    "  {\"name\": \"born\", \"type\": \"date\", \"format\": \"%Y-%m-%d\",\n"
    "   \"constraints\": {\"minimum\": \"1900-01-01\", \"maximum\": \"today\"}},\n"
    "  {\"name\": \"at\", \"type\": \"datetime\"}, {\"name\": \"t\", \"type\": \"time\"},\n"
    "  {\"name\": \"y\", \"type\": \"year\", \"constraints\": {\"minimum\": 1900}},\n"
    "  {\"name\": \"ym\", \"type\": \"yearmonth\"}, {\"name\": \"d\", \"type\": \"duration\"},\n"
    "  {\"name\": \"o\", \"type\": \"object\"}, {\"name\": \"a\", \"type\": \"array\"},\n"
    "  {\"name\": \"anything\", \"type\": \"any\"}\n"
    " ],\n"
    " \"primaryKey\": \"id\",\n"
    " \"foreignKeys\": [{\"fields\": [\"id\"], \"reference\": {\"resource\": \"\", "
    "\"fields\": [\"id\"]}}],\n"
    " \"missingValues\": [\"\", \"NA\"]\n"
    "}\n";

static void test_table_schema(void)
{
    size_t nerr, nwarn;
    assay_rules *r = load(table_schema, &nerr, &nwarn);
    CHECK(r != NULL);
    CHECK_EQ_INT(nerr, 0);
    CHECK(nwarn > 0); /* foreignKeys, date types, decimalChar... are not checked yet */
    if (!r)
        return;
    CHECK_EQ_INT(r->nfields, 13);
    CHECK(r->npk == 1 && r->primary_key[0] == 0 && r->fields[0].required);
    CHECK(bound_is(&r->fields[0].maximum, "1e6", false));
    CHECK(rules_enum_has(r->fields[0].enumset, "1000000", 7));
    CHECK(r->fields[1].ntrue == 1 && strcmp(r->fields[1].true_values[0], "Y") == 0);
    CHECK(r->fields[1].nfalse == 1 && strcmp(r->fields[1].false_values[0], "N") == 0);
    CHECK(r->fields[3].min_length == 3 && r->fields[3].max_length == 99);
    CHECK(strcmp(r->fields[3].format, "email") == 0);
    CHECK(bound_is(&r->fields[4].maximum, "today", true));
    CHECK(bound_is(&r->fields[7].minimum, "1900", false));
    CHECK(r->fields[10].type == RT_OBJECT && r->fields[12].type == RT_ANY);
    CHECK(r->nmissing == 2 && strcmp(r->missing_values[1], "NA") == 0);
    CHECK(r->dialect.delimiter == -1 && r->dialect.quote == -1);
    CHECK(r->dialect.header && r->dialect.case_sensitive_header);
    assay_rules_free(r);
}

static void test_assay_keys(void)
{
    size_t nerr, nwarn;
    assay_rules *r = load(
        "{\"x-top\": {\"any\": [\"thing\"]},\n"
        " \"dialect\": {\"delimiter\": \"\\t\", \"quoteChar\": \"'\", \"header\": false,\n"
        "             \"caseSensitiveHeader\": false, \"x-d\": 1},\n"
        " \"encoding\": \"AUTO\",\n"
        " \"policy\": {\"max_quarantine_rate\": 0, \"min_records\": 10, \"extra_fields\": \"pass\",\n"
        "            \"blank_rows\": \"skip\", \"x-p\": null},\n"
        " \"fields\": [{\"name\": \"c\", \"x-f\": true, \"severity\": \"warn\",\n"
        "   \"clean\": [\"trim\", \"collapse_spaces\", \"lower\", \"upper\", {\"default\": \"n/a\"},\n"
        "             {\"default\": -0.50, \"x-why\": \"zero\"}],\n"
        "   \"constraints\": {\"x-c\": 1, \"minimum\": \"a\", \"maximum\": \"z\"}},\n"
        "  {\"name\": \"i\", \"type\": \"integer\", \"constraints\": {\"minimum\": \"-5\", "
        "\"maximum\": -0, \"enum\": [\"-5\", 0, 7]}}]}\n",
        &nerr, &nwarn);
    CHECK(r != NULL);
    CHECK_EQ_INT(nerr, 0);
    CHECK_EQ_INT(nwarn, 0);
    if (!r)
        return;
    CHECK(r->dialect.delimiter == '\t' && r->dialect.quote == '\'');
    CHECK(!r->dialect.header && !r->dialect.case_sensitive_header);
    CHECK(r->encoding == NULL); /* auto */
    CHECK(r->policy.has_max_quarantine_rate && r->policy.max_quarantine_rate == 0);
    CHECK(r->policy.has_min_records && r->policy.min_records == 10);
    CHECK(r->policy.extra_fields == REXTRA_PASS && r->policy.blank_rows == RBLANK_SKIP);
    const rules_field *c = &r->fields[0];
    CHECK(c->severity == RSEV_WARN && c->nclean == 6 && c->clean[1].step == RS_COLLAPSE_SPACES);
    CHECK(c->clean[4].step == RS_DEFAULT && strcmp(c->clean[4].arg, "n/a") == 0);
    CHECK(c->clean[5].step == RS_DEFAULT && strcmp(c->clean[5].arg, "-0.50") == 0);
    CHECK(bound_is(&c->minimum, "a", true) && bound_is(&c->maximum, "z", true));
    CHECK(!c->required && !c->unique && c->min_length == -1 && !c->pattern);
    const rules_field *i = &r->fields[1];
    CHECK(bound_is(&i->minimum, "-5", false) && bound_is(&i->maximum, "-0", false));
    CHECK(rules_enum_has(i->enumset, "-5", 2) && rules_enum_has(i->enumset, "0", 1));
    CHECK(rules_enum_has(i->enumset, "7", 1) && !rules_enum_has(i->enumset, "5", 1));
    CHECK(rules_field_index(r, "i", 1) == 1 && rules_field_index(r, "x", 1) == -1);
    CHECK(rules_field_index(r, "", 0) == -1);
    assay_rules_free(r);
}

static void test_enum_many(void)
{
    enum { N = 100000 };
    rules_enum *e = rules_enum_new(N + 1);
    CHECK(e != NULL);
    if (!e)
        return;
    char buf[32];
    int added = 0;
    for (int i = 0; i < N; i++) {
        int n = snprintf(buf, sizeof buf, "v%d", i * 7);
        added += rules_enum_add(e, buf, (size_t)n);
    }
    CHECK_EQ_INT(added, N);
    CHECK_EQ_INT(rules_enum_add(e, "v7", 2), 0); /* already there */
    CHECK((e->nslots & (e->nslots - 1)) == 0 && e->nslots >= 2 * (size_t)N);
    int found = 0, wrong = 0;
    for (int i = 0; i < N * 7; i++) {
        int n = snprintf(buf, sizeof buf, "v%d", i);
        bool has = rules_enum_has(e, buf, (size_t)n);
        found += has;
        wrong += has != (i % 7 == 0);
    }
    CHECK_EQ_INT(found, N);
    CHECK_EQ_INT(wrong, 0);
    CHECK(!rules_enum_has(e, "", 0) && !rules_enum_has(NULL, "v0", 2));
    CHECK_EQ_INT(rules_enum_add(e, "", 0), 1);
    CHECK(rules_enum_has(e, "", 0));
    CHECK_EQ_INT(rules_enum_add(e, "one more", 8), -1); /* past its size */
    rules_enum_free(e);
    rules_enum_free(NULL);
}

/* A large enum through the loader, values with shared prefixes and bytes. */
static void test_enum_loaded(void)
{
    enum { N = 5000 };
    size_t cap = 64 + (size_t)N * 16, len = 0;
    char *text = malloc(cap);
    if (!text)
        return;
    len += (size_t)snprintf(text, cap, "{\"fields\": [{\"name\": \"k\", \"constraints\": "
                                       "{\"enum\": [");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s\"k%05d\"", i ? "," : "", i);
    snprintf(text + len, cap - len, "]}}]}");
    size_t nerr, nwarn;
    assay_rules *r = load(text, &nerr, &nwarn);
    CHECK(r && nerr == 0 && nwarn == 0);
    if (r) {
        const rules_enum *e = r->fields[0].enumset;
        CHECK_EQ_INT(e->count, N);
        CHECK(rules_enum_has(e, "k00000", 6) && rules_enum_has(e, "k04999", 6));
        CHECK(!rules_enum_has(e, "k05000", 6) && !rules_enum_has(e, "k0000", 5));
    }
    assay_rules_free(r);
    free(text);
}

static void test_patterns(void)
{
    size_t nerr, nwarn;
    assay_rules *r = load("{\"fields\": [{\"name\": \"p\", \"constraints\": {\"pattern\": "
                          "\"a|b\\\\d\"}}, {\"name\": \"u\", \"constraints\": {\"pattern\": "
                          "\"\\u00e9+\"}}]}",
                          &nerr, &nwarn);
    CHECK(r && nerr == 0);
    if (!r)
        return;
    const rules_field *p = &r->fields[0], *u = &r->fields[1];
    CHECK(strcmp(p->pattern_src, "a|b\\d") == 0);
    /* Anchored at both ends, even across an alternation. */
    CHECK(matches(p, "a", 1) && matches(p, "b1", 2) && !matches(p, "ab1", 3) && !matches(p, "a1", 2));
    CHECK(matches(u, "\xc3\xa9\xc3\xa9", 4) && !matches(u, "e", 1));
    CHECK(!matches(u, "\xc3\xa9\xff", 3)); /* invalid UTF-8 fails, never crashes */
    uint32_t jit = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &jit);
    CHECK(p->pattern_jit == (jit != 0));
    CHECK(jit ? nwarn == 0 : nwarn == 2);
    assay_rules_free(r);
}

static void test_order_and_paths(void)
{
    /* primaryKey is checked after the fields but written first: diagnostics
     * still come in file order. */
    assay_diags *d = assay_diags_new();
    const char *text = "{\"primaryKey\": \"nope\",\n\"fields\": [{\"name\": \"a\", \"bad\": 1}]}";
    assay_rules *r = NULL;
    CHECK_EQ_INT(assay_rules_load_buffer("f", text, strlen(text), d, &r), ASSAY_E_RULES);
    CHECK_EQ_INT(assay_diags_count(d), 2);
    const assay_diag *a = assay_diags_get(d, 0), *b = assay_diags_get(d, 1);
    CHECK(a && a->line == 1 && strcmp(a->path, "$.primaryKey") == 0);
    CHECK(b && b->line == 2 && strcmp(b->path, "$.fields[0].bad") == 0);
    /* A second load appends to the same list. */
    CHECK_EQ_INT(assay_rules_load_buffer("g", "{}", 2, d, &r), ASSAY_E_RULES);
    CHECK_EQ_INT(assay_diags_count(d), 3);
    CHECK(strcmp(assay_diags_get(d, 2)->file, "g") == 0);
    assay_diags_free(d);

    core_buf p;
    core_buf_init(&p, 0);
    CHECK(rules_path_key(&p, "x-a_b$1", 7) == ASSAY_OK && strcmp(p.data, ".x-a_b$1") == 0);
    core_buf_clear(&p);
    CHECK(rules_path_key(&p, "a.\"b\"", 5) == ASSAY_OK && strcmp(p.data, "[\"a.\\\"b\\\"\"]") == 0);
    core_buf_clear(&p);
    CHECK(rules_path_index(&p, 12) == ASSAY_OK && strcmp(p.data, "[12]") == 0);
    core_buf_free(&p);

    rules_posmap *m = NULL;
    const char *json = "{\"a\": [1, {\"b\":\n  -2.50e+3}]}";
    CHECK(rules_posmap_build(json, strlen(json), &m) == ASSAY_OK);
    const rules_pos *pos = rules_posmap_find(m, "$.a[1].b", 8);
    CHECK(pos && pos->has_key && pos->key_line == 1 && pos->key_col == 12);
    CHECK(pos && pos->val_line == 2 && pos->val_col == 3);
    CHECK(pos && pos->val_len == 8 && memcmp(json + pos->val_off, "-2.50e+3", 8) == 0);
    pos = rules_posmap_find(m, "$.a[0]", 6);
    CHECK(pos && !pos->has_key && pos->val_col == 8);
    CHECK(rules_posmap_find(m, "$.a[2]", 6) == NULL);
    rules_posmap_free(m);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        bench_dir = argv[1];
    test_bench();
    test_table_schema();
    test_assay_keys();
    test_enum_many();
    test_enum_loaded();
    test_patterns();
    test_order_and_paths();
    return t_done();
}
