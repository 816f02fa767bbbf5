/* rules/keys.c — the key tables of a rules file, the JSON kind of each key,
 * and "did you mean" (see keys.h). */
#include "rules/keys.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Flip `unchecked` to false here when assay starts acting on a key. */
static const rules_key top_keys[] = {
    {"$schema", RK_STRING, false, NULL},
    {"profile", RK_STRING, false, NULL},
    {"name", RK_STRING, false, NULL},
    {"title", RK_STRING, false, NULL},
    {"description", RK_STRING, false, NULL},
    {"fields", RK_ARRAY, false, NULL},
    {"primaryKey", RK_NAMES, false, NULL},
    {"foreignKeys", RK_ARRAY, true, "references to other tables are not resolved"},
    {"missingValues", RK_STRINGS, false, NULL},
    {"dialect", RK_OBJECT, false, NULL},
    {"encoding", RK_STRING, false, NULL},
    {"rules", RK_ARRAY, false, NULL},
    {"policy", RK_OBJECT, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key field_keys[] = {
    {"name", RK_STRING, false, NULL},
    {"title", RK_STRING, false, NULL},
    {"description", RK_STRING, false, NULL},
    {"type", RK_STRING, false, NULL},
    {"format", RK_STRING, false, NULL},
    {"constraints", RK_OBJECT, false, NULL},
    {"trueValues", RK_STRINGS, false, NULL},
    {"falseValues", RK_STRINGS, false, NULL},
    {"decimalChar", RK_STRING, false, NULL},
    {"groupChar", RK_STRING, false, NULL},
    {"bareNumber", RK_BOOL, false, NULL},
    {"rdfType", RK_STRING, true, NULL},
    {"example", RK_ANY, false, NULL},
    {"clean", RK_ARRAY, false, NULL},
    {"formats", RK_STRINGS, false, NULL},
    {"output", RK_STRING, false, NULL},
    {"locale", RK_STRING, false, NULL},
    {"severity", RK_STRING, false, NULL},
    {"mostly", RK_NUMBER, false, NULL},
    {"prefer", RK_STRING, false, NULL},
    {"century_pivot", RK_UINT, false, NULL},
    {"timezone", RK_STRING, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key constraint_keys[] = {
    {"required", RK_BOOL, false, NULL},
    {"unique", RK_BOOL, false, NULL},
    {"minimum", RK_SCALAR, false, NULL},
    {"maximum", RK_SCALAR, false, NULL},
    {"minLength", RK_UINT, false, NULL},
    {"maxLength", RK_UINT, false, NULL},
    {"pattern", RK_STRING, false, NULL},
    {"enum", RK_ARRAY, false, NULL},
    {"minItems", RK_UINT, false, NULL},
    {"maxItems", RK_UINT, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key dialect_keys[] = {
    {"delimiter", RK_STRING, false, NULL},
    {"lineTerminator", RK_STRING, true, NULL},
    {"quoteChar", RK_STRING, false, NULL},
    {"doubleQuote", RK_BOOL, true, NULL},
    {"escapeChar", RK_STRING, true, NULL},
    {"nullSequence", RK_STRING, true, NULL},
    {"skipInitialSpace", RK_BOOL, true, NULL},
    {"header", RK_BOOL, false, NULL},
    {"commentChar", RK_STRING, true, NULL},
    {"caseSensitiveHeader", RK_BOOL, false, NULL},
    {"csvddfVersion", RK_NUMBER, true, NULL},
    {"recordPath", RK_STRING, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key policy_keys[] = {
    {"max_quarantine_rate", RK_NUMBER, false, NULL},
    {"min_records", RK_UINT, false, NULL},
    {"max_formats_per_field", RK_UINT, false, NULL},
    {"extra_fields", RK_STRING, false, NULL},
    {"blank_rows", RK_STRING, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key rule_keys[] = {
    {"name", RK_STRING, false, NULL},
    {"check", RK_STRING, false, NULL},
    {"when", RK_STRING, false, NULL},
    {"require", RK_NAMES, false, NULL},
    {"severity", RK_STRING, false, NULL},
    {"mostly", RK_NUMBER, false, NULL},
    {"description", RK_STRING, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key foreign_key_keys[] = {
    {"fields", RK_NAMES, false, NULL},
    {"reference", RK_OBJECT, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key reference_keys[] = {
    {"resource", RK_STRING, false, NULL},
    {"fields", RK_NAMES, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key clean_step_keys[] = {
    {"default", RK_SCALAR, false, NULL},
    {"map", RK_OBJECT, false, NULL},
    {"replace", RK_OBJECT, false, NULL},
    {NULL, RK_ANY, false, NULL}};

static const rules_key *const place_keys[RP_COUNT] = {
    top_keys, field_keys, constraint_keys, dialect_keys, policy_keys,
    rule_keys, foreign_key_keys, reference_keys, clean_step_keys};

static const char *const place_names[RP_COUNT] = {
    "at the top level", "in a field descriptor", "in constraints", "in dialect",
    "in policy", "in a rules item", "in a foreignKeys item", "in reference",
    "in a clean step"};

const rules_word rules_type_words[] = {
    {"string", false}, {"integer", false}, {"number", false}, {"boolean", false},
    {"date", false}, {"time", false}, {"datetime", false}, {"year", false},
    {"yearmonth", false}, {"duration", false}, {"any", false}, {"object", false},
    {"array", false}, {NULL, false}};

const rules_word rules_step_words[] = {
    {"trim", false}, {"collapse_spaces", false}, {"lower", false}, {"upper", false},
    {"nfc", false}, {"strip_control", false}, {"replace_invalid", false},
    {"casefold", false}, {"nfkc", false}, {"fix_mojibake", false}, {NULL, false}};

const rules_word rules_string_formats[] = {
    {"default", false}, {"email", false}, {"uri", false}, {"binary", true},
    {"uuid", false}, {"ipv4", false}, {"ipv6", false}, {"hostname", false},
    {NULL, false}};

static const rules_key *key_find(rules_place place, const char *name)
{
    for (const rules_key *k = place_keys[place]; k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

static int lower_ascii(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool equal_nocase(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower_ascii((unsigned char)a[i]) != lower_ascii((unsigned char)b[i]))
            return false;
    return true;
}

/* Optimal string alignment distance (a swap of neighbours is one edit),
 * capped: returns 3 for anything further than 2. */
static int edit_distance(const char *a, size_t n, const char *b)
{
    enum { MAXW = 64 };
    size_t m = strlen(b);
    if (n > MAXW || m > MAXW || (n > m ? n - m : m - n) > 2)
        return 3;
    int rows[3][MAXW + 1];
    int *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
        }
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[m] > 2 ? 3 : prev[m];
}

const char *rules_suggest(const char *word, size_t n, const char *const *names,
                          size_t count)
{
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < count; i++) {
        if (equal_nocase(word, n, names[i]))
            return names[i];
        int d = edit_distance(word, n, names[i]);
        if (d < best_d && (size_t)d < n) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

const rules_word *rules_word_find(const rules_word *table, const char *word, size_t n)
{
    for (const rules_word *w = table; w->name; w++)
        if (strlen(w->name) == n && memcmp(w->name, word, n) == 0)
            return w;
    return NULL;
}

const char *rules_word_suggest(const rules_word *table, const char *word, size_t n)
{
    const char *names[32];
    size_t count = 0;
    for (const rules_word *w = table; w->name && count < 32; w++)
        names[count++] = w->name;
    return rules_suggest(word, n, names, count);
}

const char *rules_word_list(const rules_word *table, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const rules_word *w = table; w->name && len < cap; w++) {
        const char *sep = w == table ? "" : w[1].name ? ", " : " or ";
        int k = snprintf(buf + len, cap - len, "%s\"%s\"", sep, w->name);
        if (k < 0)
            break;
        len += (size_t)k;
    }
    return buf;
}

/* Names other tools and languages give to Table Schema's types: a closer
 * suggestion than edit distance finds ("int" is one edit from "any"). */
static const char *const type_aliases[][2] = {
    {"int", "integer"}, {"long", "integer"}, {"bigint", "integer"},
    {"float", "number"}, {"double", "number"}, {"decimal", "number"},
    {"numeric", "number"}, {"real", "number"}, {"bool", "boolean"},
    {"str", "string"}, {"text", "string"}, {"varchar", "string"},
    {"timestamp", "datetime"}, {"date-time", "datetime"},
};

static const char *type_alias(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof type_aliases / sizeof *type_aliases; i++)
        if (strlen(type_aliases[i][0]) == n && strncasecmp(p, type_aliases[i][0], n) == 0)
            return type_aliases[i][1];
    return NULL;
}

void rules_unknown_word(rules_ctx *c, const char *what, const rules_word *table,
                        const char *p, size_t n)
{
    char q[160], list[400];
    rules_quote(q, sizeof q, p, n);
    const char *near = table == rules_type_words ? type_alias(p, n) : NULL;
    if (!near)
        near = rules_word_suggest(table, p, n);
    if (near)
        rules_error(c, RW_VALUE, "unknown %s %s (did you mean \"%s\"?)", what, q, near);
    else
        rules_error(c, RW_VALUE, "unknown %s %s; expected %s", what, q,
                    rules_word_list(table, list, sizeof list));
}

void rules_warn_unchecked_word(rules_ctx *c, const char *what, const rules_word *w,
                               const char *note)
{
    if (w->unchecked)
        rules_warn(c, RW_VALUE, "%s \"%s\": not checked yet by assay%s%s", what, w->name,
                   note ? "; " : "", note ? note : "");
}

static bool kind_ok(const json_t *v, rules_kind k)
{
    switch (k) {
    case RK_ANY: return true;
    case RK_STRING: return json_is_string(v);
    case RK_BOOL: return json_is_boolean(v);
    case RK_NUMBER: return json_is_number(v);
    case RK_UINT: return json_is_integer(v) && json_integer_value(v) >= 0;
    case RK_OBJECT: return json_is_object(v);
    case RK_ARRAY: return json_is_array(v);
    case RK_SCALAR: return json_is_string(v) || json_is_number(v);
    case RK_STRINGS:
    case RK_NAMES:
        if (k == RK_NAMES && json_is_string(v))
            return true;
        if (!json_is_array(v) || (k == RK_NAMES && json_array_size(v) == 0))
            return false;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!json_is_string(json_array_get(v, i)))
                return false;
        return true;
    }
    return false;
}

static const char *kind_name(rules_kind k)
{
    static const char *const names[] = {
        "any value", "a string", "true or false", "a number",
        "a non-negative integer", "an object", "an array", "an array of strings",
        "a field name or a non-empty array of field names", "a number or a string"};
    return names[k];
}

json_t *rules_get(json_t *obj, rules_place place, const char *key)
{
    json_t *v = json_object_get(obj, key);
    const rules_key *k = key_find(place, key);
    return v && k && kind_ok(v, k->kind) ? v : NULL;
}

/* A wrong kind: for arrays of strings name each bad item, else the value. */
static void report_kind(rules_ctx *c, const rules_key *k, json_t *v)
{
    char got[200];
    if ((k->kind == RK_STRINGS || k->kind == RK_NAMES) && json_is_array(v) &&
        json_array_size(v) > 0) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *item = json_array_get(v, i);
            if (json_is_string(item))
                continue;
            size_t mark = rules_push_index(c, i);
            rules_error(c, RW_VALUE, "expected a string in \"%s\", got %s", k->name,
                        rules_got(c, item, got, sizeof got));
            rules_pop(c, mark);
        }
        return;
    }
    if (json_is_array(v) && json_array_size(v) == 0)
        snprintf(got, sizeof got, "an empty array");
    else
        rules_got(c, v, got, sizeof got);
    rules_error(c, RW_VALUE, "expected %s for \"%s\", got %s", kind_name(k->kind),
                k->name, got);
}

static void report_unknown(rules_ctx *c, rules_place place, const char *key)
{
    const char *names[32];
    size_t count = 0, n = strlen(key);
    for (const rules_key *k = place_keys[place]; k->name && count < 32; k++)
        names[count++] = k->name;
    char q[160];
    rules_quote(q, sizeof q, key, n);
    const char *near = rules_suggest(key, n, names, count);
    if (near) {
        rules_error(c, RW_KEY, "unknown key %s (did you mean \"%s\"?)", q, near);
        return;
    }
    if (place == RP_FIELD && key_find(RP_CONSTRAINTS, key)) {
        rules_error(c, RW_KEY, "unknown key %s in a field descriptor (it belongs in "
                    "\"constraints\")", q);
        return;
    }
    char list[600];
    size_t len = 0;
    for (size_t i = 0; i < count && len < sizeof list; i++) {
        int k = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
        if (k < 0)
            break;
        len += (size_t)k;
    }
    rules_error(c, RW_KEY, "unknown key %s %s; expected one of: %s (or a key "
                "starting with \"x-\")", q, place_names[place], list);
}

void rules_check_keys(rules_ctx *c, rules_place place, json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (strncmp(key, "x-", 2) == 0)
            continue;
        size_t mark = rules_push_key(c, key);
        const rules_key *k = key_find(place, key);
        if (!k)
            report_unknown(c, place, key);
        else if (!kind_ok(v, k->kind))
            report_kind(c, k, v);
        else if (k->unchecked)
            rules_warn(c, RW_KEY, "\"%s\": not checked yet by assay%s%s", k->name,
                       k->note ? "; " : "", k->note ? k->note : "");
        rules_pop(c, mark);
    }
}
