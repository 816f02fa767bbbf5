/* tests/unit/test_rules_lint.c — broken rules files and the exact diagnostics
 * they give: line, column, JSON path and message of each, in file order. */
#include <stdlib.h>
#include <string.h>

#include "assay/assay.h"
#include "tests/unit/t.h"

enum { E = ASSAY_DIAG_ERROR, W = ASSAY_DIAG_WARNING };

typedef struct want {
    int level, line, col;
    const char *path, *msg;
} want;

static void dump(const assay_diags *d)
{
    for (size_t i = 0; i < assay_diags_count(d); i++) {
        const assay_diag *g = assay_diags_get(d, i);
        fprintf(stderr, "    %s %d:%d %s: %s\n", g->level ? "warning" : "error",
                g->line, g->column, g->path, g->message);
    }
}

/* Loads text and checks the status and every diagnostic, in order. */
static void expect(const char *name, const char *text, assay_status want_st,
                   const want *w, size_t n)
{
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    assay_status st = assay_rules_load_buffer("t.json", text, strlen(text), d, &r);
    int bad = t_fail;
    CHECK_MSG(st == want_st, "%s: status %d, want %d", name, st, want_st);
    CHECK_MSG((r != NULL) == (want_st == ASSAY_OK), "%s: plan", name);
    CHECK_MSG(assay_diags_count(d) == n, "%s: %zu diagnostics, want %zu", name,
              assay_diags_count(d), n);
    for (size_t i = 0; i < n && i < assay_diags_count(d); i++) {
        const assay_diag *g = assay_diags_get(d, i);
        CHECK_MSG(g->level == (assay_diag_level)w[i].level, "%s[%zu]: level", name, i);
        CHECK_MSG(g->line == w[i].line && g->column == w[i].col,
                  "%s[%zu]: at %d:%d, want %d:%d", name, i, g->line, g->column,
                  w[i].line, w[i].col);
        CHECK_MSG(strcmp(g->path, w[i].path) == 0, "%s[%zu]: path %s, want %s", name,
                  i, g->path, w[i].path);
        CHECK_MSG(strcmp(g->message, w[i].msg) == 0, "%s[%zu]:\n  got  %s\n  want %s",
                  name, i, g->message, w[i].msg);
        CHECK(strcmp(g->file, "t.json") == 0);
    }
    if (t_fail != bad)
        dump(d);
    assay_rules_free(r);
    assay_diags_free(d);
}

#define EXPECT(name, text, st, ...)                                            \
    do {                                                                       \
        static const want w_[] = {__VA_ARGS__};                                \
        expect(name, text, st, w_, sizeof w_ / sizeof w_[0]);                  \
    } while (0)

static void test_unknown_keys(void)
{
    EXPECT("unknown keys",
           "{\n"
           "  \"feilds\": [],\n"
           "  \"fields\": [\n"
           "    {\"name\": \"a\", \"Type\": \"string\",\n"
           "     \"constraints\": {\"minimun\": 1, \"bogus\": true}},\n"
           "    {\"name\": \"b\", \"maxLength\": 3, \"x-ok\": {\"whatever\": [1]}}\n"
           "  ],\n"
           "  \"x-note\": \"free\"\n"
           "}\n",
           ASSAY_E_RULES,
           {E, 2, 3, "$.feilds", "unknown key \"feilds\" (did you mean \"fields\"?)"},
           {E, 4, 19, "$.fields[0].Type", "unknown key \"Type\" (did you mean \"type\"?)"},
           {E, 5, 22, "$.fields[0].constraints.minimun",
            "unknown key \"minimun\" (did you mean \"minimum\"?)"},
           {E, 5, 36, "$.fields[0].constraints.bogus",
            "unknown key \"bogus\" in constraints; expected one of: required, unique, "
            "minimum, maximum, minLength, maxLength, pattern, enum, minItems, maxItems "
            "(or a key starting with \"x-\")"},
           {E, 6, 19, "$.fields[1].maxLength",
            "unknown key \"maxLength\" in a field descriptor (it belongs in "
            "\"constraints\")"});
    /* A key that is not a plain name is spelled with brackets in the path. */
    EXPECT("odd key", "{\"fields\": [{\"name\": \"a\"}], \"a b\": 1}", ASSAY_E_RULES,
           {E, 1, 29, "$[\"a b\"]",
            "unknown key \"a b\" at the top level; expected one of: $schema, profile, "
            "name, title, description, fields, primaryKey, foreignKeys, missingValues, "
            "dialect, encoding, rules, policy (or a key starting with \"x-\")"});
}

static void test_value_types(void)
{
    EXPECT("value types",
           "{\"fields\": [\n"
           " {\"name\": \"id\", \"type\": \"integr\", \"severity\": \"warning\",\n"
           "  \"constraints\": {\"required\": \"yes\", \"minLength\": -1, \"maxLength\": 1.5,\n"
           "                  \"pattern\": 7, \"enum\": []}},\n"
           " {\"name\": \"n\", \"type\": \"integer\",\n"
           "  \"constraints\": {\"enum\": [1, \"2\", 2.5, \"x\", 1, null], \"minimum\": \"a\"}},\n"
           " {\"name\": 5}, [], {\"type\": \"string\"}\n"
           "], \"missingValues\": [\"\", 0], \"primaryKey\": []}\n",
           ASSAY_E_RULES,
           {E, 2, 25, "$.fields[0].type", "unknown type \"integr\" (did you mean \"integer\"?)"},
           {E, 2, 47, "$.fields[0].severity",
            "unknown severity \"warning\"; expected \"error\" or \"warn\""},
           {E, 3, 31, "$.fields[0].constraints.required",
            "expected true or false for \"required\", got the string \"yes\""},
           {E, 3, 51, "$.fields[0].constraints.minLength",
            "expected a non-negative integer for \"minLength\", got the number -1"},
           {E, 3, 68, "$.fields[0].constraints.maxLength",
            "expected a non-negative integer for \"maxLength\", got the number 1.5"},
           {E, 4, 30, "$.fields[0].constraints.pattern",
            "expected a string for \"pattern\", got the number 7"},
           {E, 4, 41, "$.fields[0].constraints.enum",
            "expected a non-empty array for \"enum\", got an empty array"},
           {E, 6, 36, "$.fields[1].constraints.enum[2]",
            "expected an integer in the enum of integer field \"n\", got the number 2.5"},
           {E, 6, 41, "$.fields[1].constraints.enum[3]",
            "expected an integer in the enum of integer field \"n\", got the string \"x\""},
           {W, 6, 46, "$.fields[1].constraints.enum[4]",
            "enum value \"1\" is listed more than once"},
           {E, 6, 49, "$.fields[1].constraints.enum[5]",
            "expected an integer in the enum of integer field \"n\", got null"},
           {E, 6, 67, "$.fields[1].constraints.minimum",
            "expected an integer for \"minimum\" of an integer field, got the string \"a\""},
           {E, 7, 11, "$.fields[2].name", "expected a string for \"name\", got the number 5"},
           {E, 7, 15, "$.fields[3]",
            "expected a field descriptor (an object with a \"name\"), got an array"},
           {E, 7, 19, "$.fields[4]",
            "field has no \"name\"; every field needs one (the column or key it checks)"},
           {E, 8, 26, "$.missingValues[1]",
            "expected a string in \"missingValues\", got the number 0"},
           {E, 8, 44, "$.primaryKey",
            "expected a field name or a non-empty array of field names for "
            "\"primaryKey\", got an empty array"});
}

static void test_pattern_and_bounds(void)
{
    EXPECT("pattern",
           "{\"fields\": [\n"
           "  {\"name\": \"zip\", \"constraints\": {\"pattern\": \"^(abc\", \"minimum\": 5}},\n"
           "  {\"name\": \"q\", \"constraints\": {\"pattern\": \"[0-9]{5}\"}},\n"
           "  {\"name\": \"d\", \"type\": \"date\", \"constraints\": {\"maximum\": 3}},\n"
           "  {\"name\": \"b\", \"type\": \"boolean\", \"constraints\": {\"minimum\": 0}},\n"
           "  {\"name\": \"s\", \"constraints\": {\"minLength\": 5, \"maxLength\": 2}}\n"
           "]}\n",
           ASSAY_E_RULES,
           {E, 2, 46, "$.fields[0].constraints.pattern",
            "pattern does not compile: missing closing parenthesis at offset 5"},
           {E, 2, 66, "$.fields[0].constraints.minimum",
            "\"minimum\" is a number, but field \"zip\" has type string; a string field's "
            "bounds are strings (for a length limit use \"minLength\")"},
           {E, 4, 60, "$.fields[2].constraints.maximum",
            "expected a string for \"maximum\" of a date field (e.g. \"2000-01-01\" or "
            "\"today\"), got the number 3"},
           {E, 5, 52, "$.fields[3].constraints.minimum",
            "\"minimum\" does not apply to boolean fields; it applies to integer, number, "
            "date, time, datetime, year and yearmonth fields"},
           {E, 6, 62, "$.fields[4].constraints.maxLength",
            "maxLength 2 is less than minLength 5; no value could pass"});
}

static void test_fields_and_keys(void)
{
    EXPECT("duplicate field and primaryKey",
           "{\"fields\": [\n"
           "  {\"name\": \"id\"},\n"
           "  {\"name\": \"zip\"},\n"
           "  {\"name\": \"id\"}\n"
           "],\n"
           "\"primaryKey\": [\"idd\", \"zip\", \"zip\", \"nothing\"]}\n",
           ASSAY_E_RULES,
           {E, 4, 12, "$.fields[2].name", "duplicate field name \"id\" (first defined at line 2)"},
           {E, 6, 16, "$.primaryKey[0]",
            "primaryKey names \"idd\", which is not a field (did you mean \"id\"?)"},
           {E, 6, 30, "$.primaryKey[2]", "primaryKey lists field \"zip\" twice"},
           {E, 6, 37, "$.primaryKey[3]",
            "primaryKey names \"nothing\", which is not a field; expected the name of a "
            "field in \"fields\""});
    EXPECT("no fields", "{\"name\": \"x\"}", ASSAY_E_RULES,
           {E, 1, 1, "$", "missing \"fields\": a rules file needs a non-empty array of "
                          "field descriptors"});
    EXPECT("empty fields", "{\"fields\": []}", ASSAY_E_RULES,
           {E, 1, 12, "$.fields", "expected a non-empty array of field descriptors for "
                                  "\"fields\", got an empty array"});
    EXPECT("top not object", "[1, 2]", ASSAY_E_RULES,
           {E, 1, 1, "$", "expected a JSON object at the top of a rules file, got an array"});
}

static void test_syntax(void)
{
    EXPECT("trailing comma", "{\n  \"fields\": [\n    {\"name\": \"a\",}\n  ]\n}\n",
           ASSAY_E_RULES,
           {E, 3, 18, "$.fields[0].name", "invalid JSON: string or '}' expected near '}'"});
    EXPECT("duplicate JSON key",
           "{\n  \"fields\": [\n    {\"name\": \"a\", \"name\": \"b\"}\n  ]\n}\n",
           ASSAY_E_RULES,
           {E, 3, 24, "$.fields[0].name", "invalid JSON: duplicate object key near '\"name\"'"});
    EXPECT("empty", " \n", ASSAY_E_RULES,
           {E, 1, 1, "$", "the rules file is empty; expected a JSON object with \"fields\""});
    EXPECT("truncated", "{\"fields\": [{\"name\": \"a\"}", ASSAY_E_RULES,
           {E, 1, 25, "$.fields[0].name", "invalid JSON: ']' expected near end of file"});
}

static void test_not_checked(void)
{
    EXPECT("not checked warnings",
           "{\"fields\": [\n"
           "  {\"name\": \"e\", \"format\": \"email\", \"clean\": [\"trim\", \"nfc\"],\n"
           "   \"decimalChar\": \",\", \"mostly\": 0.9, \"rdfType\": \"x\"},\n"
           "  {\"name\": \"t\", \"type\": \"time\", \"formats\": [\"HH:mm\"]}\n"
           "],\n"
           "\"dialect\": {\"delimiter\": \";\", \"doubleQuote\": true},\n"
           "\"encoding\": \"latin1\",\n"
           "\"foreignKeys\": [{\"fields\": \"e\", \"reference\": {\"resource\": \"r\", "
           "\"fields\": \"id\"}}],\n"
           "\"rules\": [{\"name\": \"r1\", \"check\": \"e != null\"}]}\n",
           ASSAY_OK,
           {W, 3, 4, "$.fields[0].decimalChar",
            "\"decimalChar\" applies to number fields only; it is ignored on string fields"},
           {W, 3, 39, "$.fields[0].rdfType",
            "\"rdfType\": not checked yet by assay"},
           {W, 6, 31, "$.dialect.doubleQuote", "\"doubleQuote\": not checked yet by assay"},
           {W, 8, 1, "$.foreignKeys", "\"foreignKeys\": not checked yet by assay; "
                                      "references to other tables are not resolved"});
}

static void test_clean_dialect_policy(void)
{
    EXPECT("clean, dialect, policy",
           "{\"fields\": [{\"name\": \"a\", \"clean\": [\"trm\", {\"default\": 0}, "
           "{\"dflt\": \"x\"}, 5]}],\n"
           "\"dialect\": {\"delimiter\": \";;\", \"quoteChar\": \"\xc3\xa9\", \"Header\": true},\n"
           "\"policy\": {\"max_quarantine_rate\": 1.5, \"extra_fields\": \"dropp\",\n"
           "           \"blank_rows\": \"skp\", \"min_records\": -3},\n"
           "\"rules\": [{\"name\": \"r\", \"check\": \"a != null\"}, {\"name\": \"r\"}]}\n",
           ASSAY_E_RULES,
           {E, 1, 37, "$.fields[0].clean[0]", "unknown clean step \"trm\" (did you mean \"trim\"?)"},
           {E, 1, 60, "$.fields[0].clean[2]",
            "expected {\"default\": VALUE}, {\"map\": {...}} or {\"replace\": {...}}: "
            "a clean step object needs one of them"},
           {E, 1, 61, "$.fields[0].clean[2].dflt",
            "unknown key \"dflt\" in a clean step; expected one of: default, map, replace "
            "(or a key "
            "starting with \"x-\")"},
           {E, 1, 75, "$.fields[0].clean[3]",
            "expected a clean step name or {\"default\": VALUE}, {\"map\": {...}} or "
            "{\"replace\": {...}}, got the number 5"},
           {E, 2, 26, "$.dialect.delimiter",
            "expected a single character (not a line break) for \"delimiter\", got \";;\""},
           {E, 2, 45, "$.dialect.quoteChar",
            "expected a one-byte character for \"quoteChar\", got \"\xc3\xa9\" (characters "
            "of several bytes are not supported yet)"},
           {E, 2, 50, "$.dialect.Header", "unknown key \"Header\" (did you mean \"header\"?)"},
           {E, 3, 35, "$.policy.max_quarantine_rate",
            "expected a fraction from 0 to 1 for \"max_quarantine_rate\" (0.05 means 5%), "
            "got the number 1.5"},
           {E, 3, 56, "$.policy.extra_fields",
            "unknown extra_fields \"dropp\" (did you mean \"drop\"?)"},
           {E, 4, 26, "$.policy.blank_rows", "unknown blank_rows \"skp\" (did you mean \"skip\"?)"},
           {E, 4, 48, "$.policy.min_records",
            "expected a non-negative integer for \"min_records\", got the number -3"},
           {E, 5, 48, "$.rules[1]", "a rule needs \"check\" (an expression over fields)"},
           {E, 5, 57, "$.rules[1].name", "duplicate rule name \"r\""});
}

static void test_positions(void)
{
    /* Columns count characters, not bytes; a BOM is not a character. */
    EXPECT("utf-8 columns",
           "\xef\xbb\xbf{\"title\": \"\xc3\xa9t\xc3\xa9\", \"fields\": [{\"name\": \"a\", "
           "\"tpye\": \"string\"}]}",
           ASSAY_E_RULES,
           {E, 1, 43, "$.fields[0].tpye", "unknown key \"tpye\" (did you mean \"type\"?)"});
    EXPECT("escaped key", "{\"fields\": [{\"name\": \"a\", \"\\u0074ipe\": 1}]}",
           ASSAY_E_RULES,
           {E, 1, 27, "$.fields[0].tipe", "unknown key \"tipe\" (did you mean \"type\"?)"});
}

static void test_io(void)
{
    assay_diags *d = assay_diags_new();
    assay_rules *r = (assay_rules *)d; /* must be reset to NULL */
    CHECK_EQ_INT(assay_rules_load("no/such/rules.json", d, &r), ASSAY_E_IO);
    CHECK(r == NULL);
    CHECK_EQ_INT(assay_diags_count(d), 1);
    CHECK_EQ_INT(assay_diags_errors(d), 1);
    const assay_diag *g = assay_diags_get(d, 0);
    CHECK(g && strcmp(g->file, "no/such/rules.json") == 0);
    CHECK(g && strcmp(g->message, "cannot read the rules file: No such file or directory") == 0);
    CHECK(g && g->line == 0 && g->column == 0);
    CHECK(assay_diags_get(d, 1) == NULL);
    assay_diags_free(d);
    /* NULL diags: the status still says what happened. */
    CHECK_EQ_INT(assay_rules_load_buffer("x", "{", 1, NULL, &r), ASSAY_E_RULES);
    CHECK_EQ_INT(assay_rules_load_buffer("x", NULL, 0, NULL, &r), ASSAY_E_RULES);
    assay_diags_free(NULL);
    CHECK_EQ_INT(assay_diags_count(NULL), 0);
}

static void test_encoding(void)
{
    EXPECT("unknown encoding",
           "{\"encoding\": \"latin-9000\", \"fields\": [{\"name\": \"a\"}]}\n",
           ASSAY_E_RULES,
           {E, 1, 14, "$.encoding",
            "encoding \"latin-9000\": not an encoding ICU knows (e.g. \"utf-8\", "
            "\"windows-1252\", \"ISO-8859-1\", \"Shift_JIS\", \"UTF-16LE\", or \"auto\")"});
    EXPECT("stateful encoding",
           "{\"encoding\": \"ISO-2022-JP\", \"fields\": [{\"name\": \"a\"}]}\n",
           ASSAY_E_RULES,
           {E, 1, 14, "$.encoding",
            "encoding \"ISO-2022-JP\": a stateful encoding: a record cannot be decoded or "
            "quarantined on its own, so assay does not read it"});
    expect("known encoding",
           "{\"encoding\": \"windows-1252\", \"fields\": [{\"name\": \"a\"}]}\n", ASSAY_OK,
           NULL, 0);
}

int main(void)
{
    test_unknown_keys();
    test_value_types();
    test_pattern_and_bounds();
    test_fields_and_keys();
    test_syntax();
    test_not_checked();
    test_clean_dialect_policy();
    test_encoding();
    test_positions();
    test_io();
    return t_done();
}
