/* rules/load.c — a rules file to a compiled plan: reading the file, parsing
 * it with jansson, the top-level parts (missingValues, dialect, encoding,
 * policy, primaryKey, foreignKeys, rules) and the public assay_rules_*
 * functions. Fields are in field.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucnv.h>

#include "core/jsonmem.h"
#include "core/utf8.h"
#include "rules/expr.h"
#include "rules/keys.h"

/* A rules file is a small hand-written document; past this it is a mistake. */
#define RULES_MAX_FILE_BYTES ((size_t)64 << 20)

static const rules_word extra_words[] = {
    {"pass", false}, {"quarantine", false}, {"drop", false}, {NULL, false}};
static const rules_word blank_words[] = {
    {"quarantine", false}, {"skip", false}, {NULL, false}};
static const rules_word rule_severity_words[] = {
    {"error", false}, {"warn", false}, {NULL, false}};

static void load_missing(rules_ctx *c, json_t *root)
{
    struct assay_rules *r = c->r;
    json_t *v = rules_get(root, RP_TOP, "missingValues");
    if (v)
        r->missing_values = rules_copy_strings(c, v, &r->missing_lens, &r->nmissing);
    else {
        r->missing_values = calloc(1, sizeof *r->missing_values);
        r->missing_lens = calloc(1, sizeof *r->missing_lens);
        if (r->missing_values && r->missing_lens &&
            (r->missing_values[0] = rules_strndup(c, "", 0)))
            r->nmissing = 1;
        else
            c->nomem = true;
    }
    /* Most values are ruled out by their length or first byte alone
     * (val_maybe_missing). */
    for (size_t i = 0; i < r->nmissing && r->missing_lens && r->missing_values; i++) {
        r->missing_len_mask |= (uint64_t)1 << (r->missing_lens[i] < 63 ? r->missing_lens[i] : 63);
        if (r->missing_lens[i] && r->missing_values[i]) { /* NULL: out of memory */
            unsigned char b = (unsigned char)r->missing_values[i][0];
            r->missing_first[b >> 6] |= (uint64_t)1 << (b & 63);
        }
    }
}

/* A one-byte dialect character, or -1 when absent or wrong (reported). */
static int dialect_char(rules_ctx *c, json_t *d, const char *key)
{
    json_t *v = rules_get(d, RP_DIALECT, key);
    if (!v)
        return -1;
    size_t mark = rules_push_key(c, key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    char q[160];
    int ch = -1;
    rules_quote(q, sizeof q, s, n);
    if (n == 1 && s[0] != '\n' && s[0] != '\r')
        ch = (unsigned char)s[0];
    else if (n > 1 && core_utf8_count(s, n) == 1)
        rules_error(c, RW_VALUE, "expected a one-byte character for \"%s\", got %s "
                    "(characters of several bytes are not supported yet)", key, q);
    else
        rules_error(c, RW_VALUE, "expected a single character (not a line break) for "
                    "\"%s\", got %s", key, q);
    rules_pop(c, mark);
    return ch;
}

static void load_dialect(rules_ctx *c, json_t *root)
{
    rules_dialect *dl = &c->r->dialect;
    json_t *d = rules_get(root, RP_TOP, "dialect"), *v;
    if (!d)
        return;
    size_t mark = rules_push_key(c, "dialect");
    rules_check_keys(c, RP_DIALECT, d);
    dl->delimiter = dialect_char(c, d, "delimiter");
    dl->quote = dialect_char(c, d, "quoteChar");
    if (dl->delimiter >= 0 && dl->delimiter == dl->quote) {
        size_t m = rules_push_key(c, "quoteChar");
        rules_error(c, RW_VALUE, "quoteChar and delimiter are the same character; "
                    "they must differ");
        rules_pop(c, m);
    }
    if ((v = rules_get(d, RP_DIALECT, "header")))
        dl->header = json_is_true(v);
    if ((v = rules_get(d, RP_DIALECT, "caseSensitiveHeader")))
        dl->case_sensitive_header = json_is_true(v);
    if ((v = rules_get(d, RP_DIALECT, "recordPath"))) {
        const char *s = json_string_value(v);
        if (s && s[0] == '/' && s[1])
            dl->record_path = rules_strndup(c, s, json_string_length(v));
        else {
            size_t m = rules_push_key(c, "recordPath");
            rules_error(c, RW_VALUE, "expected an absolute element path such as "
                        "\"/orders/order\" for \"recordPath\"");
            rules_pop(c, m);
        }
    }
    rules_pop(c, mark);
}

static bool equal_nocase(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
        if (a != word[i])
            return false;
    }
    return true;
}

/* NULL when ICU can read text in the encoding named (s, n) record by record;
 * else why not. */
static const char *rules_encoding_problem(const char *s, size_t n, char *name, size_t cap)
{
    memcpy(name, s, n);
    name[n < cap ? n : cap - 1] = '\0';
    UErrorCode e = U_ZERO_ERROR;
    UConverter *cv = ucnv_open(name, &e);
    if (U_FAILURE(e) || !cv) {
        if (cv)
            ucnv_close(cv);
        return "not an encoding ICU knows (e.g. \"utf-8\", \"windows-1252\", "
               "\"ISO-8859-1\", \"Shift_JIS\", \"UTF-16LE\", or \"auto\")";
    }
    UConverterType t = ucnv_getType(cv);
    ucnv_close(cv);
    if (t == UCNV_ISO_2022 || t == UCNV_UTF7 || t == UCNV_HZ || t == UCNV_SCSU ||
        t == UCNV_BOCU1 || t == UCNV_EBCDIC_STATEFUL || t == UCNV_IMAP_MAILBOX)
        return "a stateful encoding: a record cannot be decoded or quarantined on its "
               "own, so assay does not read it";
    return NULL;
}

static void load_encoding(rules_ctx *c, json_t *root)
{
    json_t *v = rules_get(root, RP_TOP, "encoding");
    if (!v)
        return;
    size_t mark = rules_push_key(c, "encoding");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    char q[160];
    if (n == 0)
        rules_error(c, RW_VALUE, "expected an encoding name (e.g. \"utf-8\") or "
                    "\"auto\" for \"encoding\", got an empty string");
    else if (!equal_nocase(s, n, "auto")) {
        char name[64];
        const char *why = n < sizeof name ? rules_encoding_problem(s, n, name, sizeof name)
                                          : "the name is too long";
        if (why)
            rules_error(c, RW_VALUE, "encoding %s: %s", rules_quote(q, sizeof q, s, n), why);
        c->r->encoding = rules_strndup(c, s, n);
    }
    rules_pop(c, mark);
}

/* The index of table's word at obj[key], or -1 when absent or wrong. */
static int word_value(rules_ctx *c, json_t *obj, rules_place place, const char *key,
                      const rules_word *table)
{
    json_t *v = rules_get(obj, place, key);
    if (!v)
        return -1;
    size_t mark = rules_push_key(c, key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    const rules_word *w = rules_word_find(table, s, n);
    if (!w)
        rules_unknown_word(c, key, table, s, n);
    rules_pop(c, mark);
    return w ? (int)(w - table) : -1;
}

static void load_policy(rules_ctx *c, json_t *root)
{
    rules_policy *pol = &c->r->policy;
    json_t *p = rules_get(root, RP_TOP, "policy"), *v;
    if (!p)
        return;
    size_t mark = rules_push_key(c, "policy");
    rules_check_keys(c, RP_POLICY, p);
    if ((v = rules_get(p, RP_POLICY, "max_quarantine_rate"))) {
        size_t m = rules_push_key(c, "max_quarantine_rate");
        double x = json_number_value(v);
        char got[200];
        if (!(x >= 0 && x <= 1))
            rules_error(c, RW_VALUE, "expected a fraction from 0 to 1 for "
                        "\"max_quarantine_rate\" (0.05 means 5%%), got %s",
                        rules_got(c, v, got, sizeof got));
        else {
            pol->has_max_quarantine_rate = true;
            pol->max_quarantine_rate = x;
        }
        rules_pop(c, m);
    }
    if ((v = rules_get(p, RP_POLICY, "min_records"))) {
        pol->has_min_records = true;
        pol->min_records = (uint64_t)json_integer_value(v);
    }
    if ((v = rules_get(p, RP_POLICY, "max_formats_per_field"))) {
        pol->has_max_formats = true;
        pol->max_formats = (uint64_t)json_integer_value(v);
    }
    int k = word_value(c, p, RP_POLICY, "extra_fields", extra_words);
    if (k >= 0)
        pol->extra_fields = k == 2 ? REXTRA_DROP : k ? REXTRA_QUARANTINE : REXTRA_PASS;
    k = word_value(c, p, RP_POLICY, "blank_rows", blank_words);
    if (k >= 0)
        pol->blank_rows = k ? RBLANK_SKIP : RBLANK_QUARANTINE;
    rules_pop(c, mark);
}

/* One name of a primaryKey or foreignKeys "fields" (the value at the current
 * path): its field index, or -1 (reported). */
static ptrdiff_t field_ref(rules_ctx *c, json_t *name, const char *what)
{
    struct assay_rules *r = c->r;
    const char *s = json_string_value(name);
    size_t n = json_string_length(name);
    ptrdiff_t k = rules_field_index(r, s, n);
    if (k >= 0 || r->nfields == 0)
        return k;
    const char **names = malloc(r->nfields * sizeof *names);
    if (!names) { /* the message would lose its suggestion */
        c->nomem = true;
        return -1;
    }
    size_t count = 0;
    for (size_t i = 0; names && i < r->nfields; i++)
        if (r->fields[i].name)
            names[count++] = r->fields[i].name;
    const char *near = names ? rules_suggest(s, n, names, count) : NULL;
    char q[160];
    rules_quote(q, sizeof q, s, n);
    if (near)
        rules_error(c, RW_VALUE, "%s names %s, which is not a field (did you mean "
                    "\"%s\"?)", what, q, near);
    else
        rules_error(c, RW_VALUE, "%s names %s, which is not a field; expected the "
                    "name of a field in \"fields\"", what, q);
    free(names);
    return -1;
}

/* Checks the names of v (a string or an array of strings) against the
 * fields; stores their indexes in out (room for every name) when not NULL. */
static size_t field_refs(rules_ctx *c, json_t *v, const char *what, size_t *out)
{
    size_t count = 0;
    bool one = json_is_string(v);
    size_t n = one ? 1 : json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        size_t mark = one ? c->path.len : rules_push_index(c, i);
        ptrdiff_t k = field_ref(c, one ? v : json_array_get(v, i), what);
        for (size_t j = 0; k >= 0 && out && j < count; j++)
            if (out[j] == (size_t)k) {
                rules_error(c, RW_VALUE, "%s lists field \"%s\" twice", what,
                            c->r->fields[k].name);
                k = -1;
            }
        if (k >= 0 && out)
            out[count++] = (size_t)k;
        rules_pop(c, mark);
    }
    return count;
}

static void load_primary_key(rules_ctx *c, json_t *root)
{
    struct assay_rules *r = c->r;
    json_t *v = rules_get(root, RP_TOP, "primaryKey");
    if (!v || r->nfields == 0)
        return;
    size_t n = json_is_string(v) ? 1 : json_array_size(v);
    r->primary_key = calloc(n, sizeof *r->primary_key);
    if (!r->primary_key) {
        c->nomem = true;
        return;
    }
    size_t mark = rules_push_key(c, "primaryKey");
    r->npk = field_refs(c, v, "primaryKey", r->primary_key);
    for (size_t i = 0; i < r->npk; i++) /* a key is always required */
        r->fields[r->primary_key[i]].required = true;
    rules_pop(c, mark);
}

static void foreign_key(rules_ctx *c, json_t *fk)
{
    char got[200];
    if (!json_is_object(fk)) {
        rules_error(c, RW_VALUE, "expected a foreign key (an object with \"fields\" and "
                    "\"reference\"), got %s", rules_got(c, fk, got, sizeof got));
        return;
    }
    rules_check_keys(c, RP_FOREIGN_KEY, fk);
    json_t *fields = rules_get(fk, RP_FOREIGN_KEY, "fields");
    json_t *ref = rules_get(fk, RP_FOREIGN_KEY, "reference");
    if (!json_object_get(fk, "fields") || !json_object_get(fk, "reference"))
        rules_error(c, RW_VALUE, "a foreign key needs \"fields\" and \"reference\"");
    if (fields && c->r->nfields) {
        size_t mark = rules_push_key(c, "fields");
        field_refs(c, fields, "foreignKeys.fields", NULL);
        rules_pop(c, mark);
    }
    if (ref) {
        size_t mark = rules_push_key(c, "reference");
        rules_check_keys(c, RP_REFERENCE, ref);
        if (!json_object_get(ref, "resource") || !json_object_get(ref, "fields"))
            rules_error(c, RW_VALUE, "a reference needs \"resource\" and \"fields\"");
        rules_pop(c, mark);
    }
}

/* foreignKeys is accepted for Table Schema and warned about (keys.c); its
 * shape is still checked so that a later version can rely on it. */
static void load_foreign_keys(rules_ctx *c, json_t *root)
{
    json_t *a = rules_get(root, RP_TOP, "foreignKeys");
    if (!a)
        return;
    size_t mark = rules_push_key(c, "foreignKeys");
    for (size_t i = 0; i < json_array_size(a); i++) {
        size_t m = rules_push_index(c, i);
        foreign_key(c, json_array_get(a, i));
        rules_pop(c, m);
    }
    rules_pop(c, mark);
}

/* rules[].when / rules[].check compiled against the fields; an error names
 * the column inside the expression, the position is the string's. */
static expr_prog *rule_expr(rules_ctx *c, json_t *rule, const char *key)
{
    json_t *v = rules_get(rule, RP_RULE, key);
    if (!v || c->r->nfields == 0) /* no fields: every name would be unknown */
        return NULL;
    size_t mark = rules_push_key(c, key);
    expr_error err;
    expr_prog *p = NULL;
    assay_status st = rules_expr_compile(json_string_value(v), json_string_length(v),
                                         c->r->fields, c->r->nfields, true, &p, &err);
    if (st == ASSAY_E_NOMEM)
        c->nomem = true;
    else if (st)
        rules_error(c, RW_VALUE, "at column %zu of the expression: %s", err.col, err.msg);
    rules_pop(c, mark);
    return p;
}

/* Adds field k to the rule's refs unless it is there. */
static void rule_ref(rules_rule *ru, size_t k)
{
    for (size_t i = 0; i < ru->nrefs; i++)
        if (ru->refs[i] == k)
            return;
    ru->refs[ru->nrefs++] = k;
}

/* require, when and check of one rule, into ru. */
static void rule_tests(rules_ctx *c, json_t *rule, rules_rule *ru)
{
    struct assay_rules *r = c->r;
    json_t *v = rules_get(rule, RP_RULE, "require");
    ru->when = rule_expr(c, rule, "when");
    ru->check = rule_expr(c, rule, "check");
    if (r->nfields == 0)
        return;
    if (!(ru->refs = calloc(r->nfields, sizeof *ru->refs))) {
        c->nomem = true;
        return;
    }
    if (v) {
        size_t n = json_is_string(v) ? 1 : json_array_size(v);
        if (!(ru->require = calloc(n, sizeof *ru->require))) {
            c->nomem = true;
            return;
        }
        size_t mark = rules_push_key(c, "require");
        ru->nrequire = field_refs(c, v, "require", ru->require);
        rules_pop(c, mark);
    }
    for (size_t i = 0; ru->when && i < ru->when->nrefs; i++)
        rule_ref(ru, ru->when->refs[i]);
    for (size_t i = 0; i < ru->nrequire; i++)
        rule_ref(ru, ru->require[i]);
    for (size_t i = 0; ru->check && i < ru->check->nrefs; i++)
        rule_ref(ru, ru->check->refs[i]);
}

static void record_rule(rules_ctx *c, json_t *rule, json_t *all, size_t idx)
{
    char got[200], q[160];
    if (!json_is_object(rule)) {
        rules_error(c, RW_VALUE, "expected a rule (an object with \"name\" and "
                    "\"check\"), got %s", rules_got(c, rule, got, sizeof got));
        return;
    }
    struct assay_rules *r = c->r;
    if (!r->rules && !(r->rules = calloc(json_array_size(all), sizeof *r->rules))) {
        c->nomem = true;
        return;
    }
    rules_rule *ru = &r->rules[r->nrules++];
    rules_check_keys(c, RP_RULE, rule);
    json_t *name = rules_get(rule, RP_RULE, "name"), *v;
    if (!json_object_get(rule, "name"))
        rules_error(c, RW_VALUE, "a rule needs a \"name\" (it names the rule in stats "
                    "and errors)");
    else if (name && json_string_length(name) == 0) {
        size_t m = rules_push_key(c, "name");
        rules_error(c, RW_VALUE, "a rule name must not be empty");
        rules_pop(c, m);
    }
    if (name)
        ru->name = rules_strndup(c, json_string_value(name),
                                 ru->name_len = json_string_length(name));
    if ((v = rules_get(rule, RP_RULE, "description")))
        ru->description = rules_strndup(c, json_string_value(v), json_string_length(v));
    if (!json_object_get(rule, "check") && !json_object_get(rule, "require"))
        rules_error(c, RW_VALUE, "a rule needs \"check\" (an expression over fields)");
    ru->severity = word_value(c, rule, RP_RULE, "severity", rule_severity_words) == 1
                   ? RSEV_WARN : RSEV_ERROR;
    if ((v = rules_get(rule, RP_RULE, "mostly")) &&
        !(json_number_value(v) > 0 && json_number_value(v) <= 1)) {
        size_t m = rules_push_key(c, "mostly");
        rules_error(c, RW_VALUE, "expected a fraction above 0 and at most 1 for "
                    "\"mostly\", got %s", rules_got(c, v, got, sizeof got));
        rules_pop(c, m);
    } else if (v)
        ru->mostly = json_number_value(v);
    for (size_t k = 0; name && k < idx; k++) {
        json_t *other = json_object_get(json_array_get(all, k), "name");
        if (json_is_string(other) && json_equal(other, name)) {
            size_t m = rules_push_key(c, "name");
            rules_error(c, RW_VALUE, "duplicate rule name %s", rules_quote(q, sizeof q,
                        json_string_value(name), json_string_length(name)));
            rules_pop(c, m);
            break;
        }
    }
    rule_tests(c, rule, ru);
}

static void free_record_rules(struct assay_rules *r)
{
    for (size_t i = 0; i < r->nrules; i++) {
        rules_rule *ru = &r->rules[i];
        free(ru->name);
        free(ru->description);
        rules_expr_free(ru->when);
        rules_expr_free(ru->check);
        free(ru->require);
        free(ru->refs);
    }
    free(r->rules);
}

static void load_record_rules(rules_ctx *c, json_t *root)
{
    json_t *a = rules_get(root, RP_TOP, "rules");
    if (!a)
        return;
    size_t mark = rules_push_key(c, "rules");
    for (size_t i = 0; i < json_array_size(a); i++) {
        size_t m = rules_push_index(c, i);
        record_rule(c, json_array_get(a, i), a, i);
        rules_pop(c, m);
    }
    rules_pop(c, mark);
}

static void load_top(rules_ctx *c, json_t *root)
{
    char got[200];
    if (!json_is_object(root)) {
        rules_error(c, RW_VALUE, "expected a JSON object at the top of a rules file, "
                    "got %s", rules_got(c, root, got, sizeof got));
        return;
    }
    rules_check_keys(c, RP_TOP, root);
    json_t *v = rules_get(root, RP_TOP, "name");
    if (v)
        c->r->name = rules_strndup(c, json_string_value(v), json_string_length(v));
    if (!json_object_get(root, "fields"))
        rules_error(c, RW_VALUE, "missing \"fields\": a rules file needs a non-empty "
                    "array of field descriptors");
    if ((v = rules_get(root, RP_TOP, "fields"))) {
        size_t mark = rules_push_key(c, "fields");
        rules_parse_fields(c, v);
        rules_pop(c, mark);
    }
    load_missing(c, root);
    load_encoding(c, root);
    load_dialect(c, root);
    load_policy(c, root);
    load_primary_key(c, root);
    load_foreign_keys(c, root);
    load_record_rules(c, root);
}

static void syntax_error(rules_ctx *c, const json_error_t *e)
{
    core_buf at;
    core_buf_init(&at, 0);
    if (e->position >= 0 &&
        rules_path_at(c->text, c->len, (size_t)e->position, &at) != ASSAY_OK)
        c->nomem = true;
    char msg[400];
    snprintf(msg, sizeof msg, "invalid JSON: %s", e->text);
    c->nerrors++;
    if (rules_diags_add(c->diags, ASSAY_DIAG_ERROR, c->file, e->line > 0 ? e->line : 0,
                        e->column > 0 ? e->column : 0, at.data ? at.data : "$", msg))
        c->nomem = true;
    core_buf_free(&at);
}

static bool blank_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

static struct assay_rules *load_run(rules_ctx *c)
{
    if (blank_text(c->text, c->len)) {
        c->nerrors++;
        if (rules_diags_add(c->diags, ASSAY_DIAG_ERROR, c->file, 1, 1, "$",
                            "the rules file is empty; expected a JSON object with "
                            "\"fields\""))
            c->nomem = true;
        return NULL;
    }
    json_error_t je;
    bool nomem = false;
    json_t *root = core_json_loadb(c->text, c->len,
                                   JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je, &nomem);
    if (!root) {
        if (nomem)
            c->nomem = true;
        else
            syntax_error(c, &je);
        return NULL;
    }
    rules_posmap *pos = NULL;
    struct assay_rules *r = calloc(1, sizeof *r);
    if (!r || rules_posmap_build(c->text, c->len, &pos) ||
        core_buf_puts(&c->path, "$") || core_buf_nul(&c->path)) {
        c->nomem = true;
    } else {
        r->dialect.delimiter = r->dialect.quote = -1;
        r->dialect.header = r->dialect.case_sensitive_header = true;
        c->r = r;
        c->pos = pos;
        r->file = rules_strndup(c, c->file, strlen(c->file));
        load_top(c, root);
    }
    rules_posmap_free(pos);
    c->pos = NULL;
    json_decref(root);
    return r;
}

ASSAY_API assay_status assay_rules_load_buffer(const char *name, const char *text,
                                               size_t len, assay_diags *diags,
                                               assay_rules **out)
{
    if (out)
        *out = NULL;
    assay_diags *own = NULL;
    if (!diags && !(diags = own = assay_diags_new()))
        return ASSAY_E_NOMEM;
    rules_ctx c;
    memset(&c, 0, sizeof c);
    c.file = name ? name : "<rules>";
    c.diags = diags;
    c.text = text ? text : "";
    c.len = text ? len : 0;
    if (c.len >= 3 && memcmp(c.text, "\xEF\xBB\xBF", 3) == 0) { /* a BOM */
        c.text += 3;
        c.len -= 3;
    }
    core_buf_init(&c.path, 0);
    size_t from = assay_diags_count(diags);
    struct assay_rules *r = load_run(&c);
    core_buf_free(&c.path);
    rules_diags_sort(diags, from);
    assay_status st = c.nomem ? ASSAY_E_NOMEM : c.nerrors ? ASSAY_E_RULES : ASSAY_OK;
    if (st == ASSAY_OK && !r)
        st = ASSAY_E_INTERNAL;
    if (st == ASSAY_OK && out)
        *out = r;
    else
        assay_rules_free(r);
    assay_diags_free(own);
    return st;
}

/* Reads the whole file; ASSAY_E_IO with errno_out set, or ASSAY_E_LIMIT. */
static assay_status read_file(const char *path, core_buf *b, int *errno_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *errno_out = errno;
        return errno == ENOMEM ? ASSAY_E_NOMEM : ASSAY_E_IO; /* fopen's FILE */
    }
    assay_status st = ASSAY_OK;
    char chunk[65536];
    size_t n;
    while (!st && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        st = core_buf_append(b, chunk, n);
    if (!st && ferror(f)) {
        *errno_out = errno ? errno : EIO;
        st = ASSAY_E_IO;
    }
    fclose(f);
    return st;
}

ASSAY_API assay_status assay_rules_load(const char *path, assay_diags *diags,
                                        assay_rules **out)
{
    if (out)
        *out = NULL;
    core_buf b;
    core_buf_init(&b, RULES_MAX_FILE_BYTES);
    int err = 0;
    errno = 0;
    assay_status st = read_file(path, &b, &err);
    if (st == ASSAY_OK) {
        st = assay_rules_load_buffer(path, b.data, b.len, diags, out);
        core_buf_free(&b);
        return st;
    }
    core_buf_free(&b);
    char msg[400], reason[200] = "unknown error";
    if (st == ASSAY_E_IO && strerror_r(err, reason, sizeof reason) != 0)
        snprintf(reason, sizeof reason, "error %d", err);
    if (st == ASSAY_E_IO)
        snprintf(msg, sizeof msg, "cannot read the rules file: %s", reason);
    else if (st == ASSAY_E_LIMIT)
        snprintf(msg, sizeof msg, "the rules file is larger than %zu MiB",
                 RULES_MAX_FILE_BYTES >> 20);
    else
        snprintf(msg, sizeof msg, "cannot read the rules file: out of memory");
    if (st == ASSAY_E_LIMIT)
        st = ASSAY_E_RULES;
    if (diags && rules_diags_add(diags, ASSAY_DIAG_ERROR, path, 0, 0, "", msg))
        st = ASSAY_E_NOMEM;
    return st;
}

ASSAY_API void assay_rules_free(assay_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfields; i++)
        rules_field_free(&r->fields[i]);
    free(r->fields);
    for (size_t i = 0; r->missing_values && i < r->nmissing; i++)
        free(r->missing_values[i]);
    free(r->missing_values);
    free(r->missing_lens);
    free_record_rules(r);
    free(r->primary_key);
    free(r->encoding);
    free(r->dialect.record_path);
    free(r->name);
    free(r->file);
    free(r);
}

ASSAY_API size_t assay_rules_field_count(const assay_rules *r)
{
    return r ? r->nfields : 0;
}

ptrdiff_t rules_field_index(const struct assay_rules *r, const char *p, size_t n)
{
    for (size_t i = 0; r && i < r->nfields; i++) {
        const rules_field *f = &r->fields[i];
        if (f->name && f->name_len == n && memcmp(f->name, p, n) == 0)
            return (ptrdiff_t)i;
    }
    return -1;
}
