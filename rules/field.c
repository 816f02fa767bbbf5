/* rules/field.c — field descriptors: name, type, format, clean steps and
 * constraints (bounds kept as source text, patterns compiled with pcre2,
 * enums hashed). Every check reports and goes on; see ctx.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/keys.h"
#include "validators/clean.h"
#include "validators/formats.h"
#include "validators/unicode.h"
#include "validators/datefmt.h"
#include "validators/dfa.h"
#include "validators/locnum.h"
#include "validators/number.h"

static const rules_word severity_words[] = {
    {"error", false}, {"warn", false}, {NULL, false}};

static bool is_datelike(rules_type t)
{
    return t >= RT_DATE && t <= RT_DURATION;
}

static const char *type_name(rules_type t)
{
    return rules_type_words[t].name;
}

static size_t digits(const char *p, size_t n, size_t i)
{
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    return i;
}

bool rules_is_decimal(const char *p, size_t n, bool integer_only)
{
    size_t i = n && (p[0] == '-' || p[0] == '+') ? 1 : 0;
    size_t end = digits(p, n, i);
    if (end == i)
        return false;
    if (integer_only)
        return end == n;
    i = end;
    if (i < n && p[i] == '.') {
        end = digits(p, n, i + 1);
        if (end == i + 1)
            return false;
        i = end;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '-' || p[i] == '+'))
            i++;
        end = digits(p, n, i);
        if (end == i)
            return false;
        i = end;
    }
    return i == n;
}

char **rules_copy_strings(rules_ctx *c, json_t *a, size_t **lens, size_t *n)
{
    size_t count = json_array_size(a);
    char **out = calloc(count ? count : 1, sizeof *out);
    size_t *ls = lens ? calloc(count ? count : 1, sizeof *ls) : NULL;
    if (!out || (lens && !ls)) {
        free(out);
        free(ls);
        c->nomem = true;
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *s = json_array_get(a, i);
        out[i] = rules_strndup(c, json_string_value(s), json_string_length(s));
        if (ls)
            ls[i] = json_string_length(s);
    }
    if (lens)
        *lens = ls;
    *n = count;
    return out;
}

/* The line where field k's name is written, for "first defined at". */
static int name_line(rules_ctx *c, size_t k)
{
    char path[64];
    snprintf(path, sizeof path, "$.fields[%zu].name", k);
    const rules_pos *p = rules_posmap_find(c->pos, path, strlen(path));
    return p ? p->val_line : 0;
}

static void field_name(rules_ctx *c, rules_field *f, json_t *fd, size_t idx)
{
    json_t *name = rules_get(fd, RP_FIELD, "name");
    if (!name) {
        if (!json_object_get(fd, "name"))
            rules_error(c, RW_VALUE, "field has no \"name\"; every field needs one "
                        "(the column or key it checks)");
        return;
    }
    const char *s = json_string_value(name);
    size_t n = json_string_length(name), mark = rules_push_key(c, "name");
    char q[160];
    rules_quote(q, sizeof q, s, n);
    if (n == 0)
        rules_error(c, RW_VALUE, "expected a non-empty field name");
    for (size_t k = 0; n && k < idx; k++) {
        const rules_field *o = &c->r->fields[k];
        if (o->name && o->name_len == n && memcmp(o->name, s, n) == 0) {
            rules_error(c, RW_VALUE, "duplicate field name %s (first defined at line %d)",
                        q, name_line(c, k));
            break;
        }
    }
    f->name = rules_strndup(c, s, n);
    f->name_len = n;
    rules_pop(c, mark);
}

static void field_type(rules_ctx *c, rules_field *f, json_t *fd)
{
    json_t *t = rules_get(fd, RP_FIELD, "type");
    if (!t)
        return;
    size_t mark = rules_push_key(c, "type");
    const char *s = json_string_value(t);
    size_t n = json_string_length(t);
    const rules_word *w = rules_word_find(rules_type_words, s, n);
    if (!w)
        rules_unknown_word(c, "type", rules_type_words, s, n);
    else {
        f->type = (rules_type)(w - rules_type_words);
        rules_warn_unchecked_word(c, "type", w, NULL);
    }
    rules_pop(c, mark);
}

static void field_format(rules_ctx *c, rules_field *f, json_t *fd)
{
    json_t *v = rules_get(fd, RP_FIELD, "format");
    if (!v)
        return;
    size_t mark = rules_push_key(c, "format");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    char q[160];
    if (f->type == RT_STRING) {
        const rules_word *w = rules_word_find(rules_string_formats, s, n);
        if (!w)
            rules_unknown_word(c, "string format", rules_string_formats, s, n);
        else
            rules_warn_unchecked_word(c, "format", w, NULL);
        if (w && (f->strfmt = val_format_kind(s, n)) != RF_NONE) {
            f->format_re = val_format_compile(f->strfmt, &f->format_jit);
            if (!f->format_re)
                c->nomem = true;
        }
    } else if ((!is_datelike(f->type) || f->type == RT_DURATION) &&
               strcmp(s, "default") != 0) {
        rules_error(c, RW_VALUE, "format %s is not defined for %s fields; expected "
                    "\"default\"", rules_quote(q, sizeof q, s, n), type_name(f->type));
    }
    f->format = rules_strndup(c, s, n);
    rules_pop(c, mark);
}

static void field_severity(rules_ctx *c, rules_field *f, json_t *fd)
{
    json_t *v = rules_get(fd, RP_FIELD, "severity");
    json_t *m = rules_get(fd, RP_FIELD, "mostly");
    if (v) {
        size_t mark = rules_push_key(c, "severity");
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        const rules_word *w = rules_word_find(severity_words, s, n);
        if (!w)
            rules_unknown_word(c, "severity", severity_words, s, n);
        else
            f->severity = w == severity_words ? RSEV_ERROR : RSEV_WARN;
        rules_pop(c, mark);
    }
    if (m) {
        size_t mark = rules_push_key(c, "mostly");
        double x = json_number_value(m);
        char got[200];
        if (!(x > 0 && x <= 1))
            rules_error(c, RW_VALUE, "expected a fraction above 0 and at most 1 for "
                        "\"mostly\", got %s", rules_got(c, m, got, sizeof got));
        else
            f->mostly = x;
        rules_pop(c, mark);
    }
}

static bool clean_default(rules_ctx *c, json_t *d, rules_clean *out)
{
    size_t mark = rules_push_key(c, "default");
    const char *p = json_string_value(d);
    size_t n = json_string_length(d);
    if (!json_is_string(d) && !rules_value_text(c, &p, &n)) {
        p = "";
        n = 0;
    }
    out->step = RS_DEFAULT;
    out->arg = rules_strndup(c, p, n);
    out->arg_len = n;
    rules_pop(c, mark);
    return out->arg != NULL;
}

/* {"map": {"U.S.": "US", ...}}: whole values, hashed. */
static bool clean_map(rules_ctx *c, json_t *m, rules_clean *out)
{
    size_t mark = rules_push_key(c, "map");
    size_t count = json_object_size(m);
    bool ok = count > 0;
    out->step = RS_MAP;
    if (!ok)
        rules_error(c, RW_VALUE, "expected a non-empty object for \"map\" (each value "
                    "to its replacement, e.g. {\"USA\": \"US\"}), got an empty object");
    else if (!(out->map = val_map_new(count))) {
        c->nomem = true;
        ok = false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(m, key, v) {
        if (!out->map)
            break;
        size_t km = rules_push_key(c, key);
        const char *p = json_string_value(v);
        size_t n = json_string_length(v);
        char got[200];
        if (!json_is_string(v) && !(json_is_number(v) && rules_value_text(c, &p, &n))) {
            rules_error(c, RW_VALUE, "expected a string for the replacement of a "
                        "\"map\" value, got %s", rules_got(c, v, got, sizeof got));
            ok = false;
        } else if (val_map_add(out->map, key, strlen(key), p, n) < 0) {
            c->nomem = true;
            ok = false;
        }
        rules_pop(c, km);
    }
    rules_pop(c, mark);
    return ok;
}

/* {"replace": {"pattern": "\\s+", "with": " "}}: pcre2_substitute, global. */
static bool clean_replace(rules_ctx *c, json_t *o, rules_clean *out)
{
    static const char *const names[] = {"pattern", "with"};
    size_t mark = rules_push_key(c, "replace");
    const char *key;
    json_t *v;
    bool ok = true;
    char q[160], got[200];
    out->step = RS_REPLACE;
    json_object_foreach(o, key, v) {
        size_t km = rules_push_key(c, key);
        const char *near = rules_suggest(key, strlen(key), names, 2);
        if (strncmp(key, "x-", 2) == 0 || (near && strcmp(near, key) == 0))
            ;
        else if (near)
            rules_error(c, RW_KEY, "unknown key %s in \"replace\" (did you mean \"%s\"?)",
                        rules_quote(q, sizeof q, key, strlen(key)), near);
        else
            rules_error(c, RW_KEY, "unknown key %s in \"replace\"; expected \"pattern\" "
                        "and \"with\"", rules_quote(q, sizeof q, key, strlen(key)));
        if (!json_is_string(v) && (!strcmp(key, "pattern") || !strcmp(key, "with"))) {
            rules_error(c, RW_VALUE, "expected a string for \"%s\", got %s", key,
                        rules_got(c, v, got, sizeof got));
            ok = false;
        }
        rules_pop(c, km);
    }
    json_t *pat = json_object_get(o, "pattern"), *with = json_object_get(o, "with");
    if (!pat || !with) {
        rules_error(c, RW_VALUE, "expected {\"pattern\": REGEX, \"with\": TEXT} for "
                    "\"replace\": \"%s\" is missing (write \"with\": \"\" to delete what "
                    "matches)", pat ? "with" : "pattern");
        ok = false;
    }
    if (ok) {
        char err[300];
        size_t km = rules_push_key(c, "pattern");
        out->re = val_replace_compile(json_string_value(pat), json_string_length(pat),
                                      json_string_value(with), json_string_length(with),
                                      &out->re_jit, err, sizeof err);
        if (!out->re && !err[0])
            c->nomem = true;
        else if (!out->re)
            rules_error(c, RW_VALUE, "%s", err);
        else if (!out->re_jit)
            rules_warn(c, RW_VALUE, "pattern runs without JIT; replacing is slower");
        ok = out->re != NULL;
        rules_pop(c, km);
        out->arg = rules_strndup(c, json_string_value(with), json_string_length(with));
        out->arg_len = json_string_length(with);
        out->src = rules_strndup(c, json_string_value(pat), json_string_length(pat));
        ok = ok && out->arg && out->src;
    }
    rules_pop(c, mark);
    return ok;
}

/* A clean step written as an object: default, map or replace. */
static bool clean_object(rules_ctx *c, json_t *step, rules_clean *out)
{
    static const char *const kinds[] = {"default", "map", "replace"};
    rules_check_keys(c, RP_CLEAN_STEP, step);
    json_t *v[3];
    int present = 0, which = -1;
    for (int k = 0; k < 3; k++) {
        v[k] = rules_get(step, RP_CLEAN_STEP, kinds[k]);
        if (json_object_get(step, kinds[k])) {
            present++;
            which = v[k] ? k : which;
        }
    }
    if (present == 0)
        rules_error(c, RW_VALUE, "expected {\"default\": VALUE}, {\"map\": {...}} or "
                    "{\"replace\": {...}}: a clean step object needs one of them");
    if (present > 1)
        rules_error(c, RW_VALUE, "a clean step object holds one of \"default\", \"map\" "
                    "and \"replace\"; write each as a step of its own");
    if (present != 1 || which < 0)
        return false;
    if (which == 0)
        return clean_default(c, v[0], out);
    return which == 1 ? clean_map(c, v[1], out) : clean_replace(c, v[2], out);
}

/* The step of a word of rules_step_words: the same index, except that
 * RS_DEFAULT has no word (it is an object), so the words after it are one
 * step further. */
static rules_step word_step(const rules_word *w)
{
    size_t i = (size_t)(w - rules_step_words);
    return (rules_step)(i < RS_DEFAULT ? i : i + 1);
}

static bool clean_step(rules_ctx *c, json_t *step, rules_clean *out)
{
    char got[200];
    if (json_is_object(step))
        return clean_object(c, step, out);
    if (!json_is_string(step)) {
        rules_error(c, RW_VALUE, "expected a clean step name or {\"default\": VALUE}, "
                    "{\"map\": {...}} or {\"replace\": {...}}, got %s",
                    rules_got(c, step, got, sizeof got));
        return false;
    }
    const char *s = json_string_value(step);
    size_t n = json_string_length(step);
    const rules_word *w = rules_word_find(rules_step_words, s, n);
    if (!w) {
        rules_unknown_word(c, "clean step", rules_step_words, s, n);
        return false;
    }
    rules_warn_unchecked_word(c, "clean step", w, NULL);
    out->step = word_step(w);
    return true;
}

static void field_clean(rules_ctx *c, rules_field *f, json_t *fd)
{
    json_t *a = rules_get(fd, RP_FIELD, "clean");
    size_t n = a ? json_array_size(a) : 0;
    if (n == 0)
        return;
    f->clean = calloc(n, sizeof *f->clean);
    if (!f->clean) {
        c->nomem = true;
        return;
    }
    size_t mark = rules_push_key(c, "clean");
    for (size_t i = 0; i < n; i++) {
        size_t m = rules_push_index(c, i);
        rules_clean *slot = &f->clean[f->nclean];
        if (clean_step(c, json_array_get(a, i), slot))
            f->nclean++;
        else { /* a refused step keeps nothing */
            free(slot->arg);
            free(slot->src);
            val_map_free(slot->map);
            pcre2_code_free(slot->re);
            memset(slot, 0, sizeof *slot);
        }
        rules_pop(c, m);
    }
    rules_pop(c, mark);
}

/* locale of a string field: the language of lower, upper and casefold
 * (numbers and dates read theirs elsewhere). */
static void field_case_locale(rules_ctx *c, rules_field *f, json_t *fd)
{
    json_t *v = rules_get(fd, RP_FIELD, "locale");
    if (!v || f->type != RT_STRING)
        return;
    size_t mark = rules_push_key(c, "locale");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    char q[160], canon[160];
    if (!val_uni_locale_ok(s, n, canon, sizeof canon))
        rules_error(c, RW_VALUE, "unknown locale %s; expected a language ICU knows, "
                    "such as \"tr\", \"az\", \"lt\" or \"en-US\"",
                    rules_quote(q, sizeof q, s, n));
    else {
        if (!val_clean_has(f, RS_LOWER) && !val_clean_has(f, RS_UPPER) &&
            !val_clean_has(f, RS_CASEFOLD))
            rules_warn(c, RW_VALUE, "\"locale\" on a string field sets the language of "
                       "the clean steps lower, upper and casefold; this field has none");
        f->case_locale = rules_strndup(c, canon, strlen(canon));
        f->case_needs_icu = !val_uni_case_ascii_safe(canon);
    }
    rules_pop(c, mark);
}

static void field_bool_values(rules_ctx *c, rules_field *f, json_t *fd)
{
    json_t *t = rules_get(fd, RP_FIELD, "trueValues");
    json_t *v = rules_get(fd, RP_FIELD, "falseValues");
    if (t)
        f->true_values = rules_copy_strings(c, t, NULL, &f->ntrue);
    if (v)
        f->false_values = rules_copy_strings(c, v, NULL, &f->nfalse);
}

/* A numeric bound: its source text (or a string holding a number). */
static void bound_number(rules_ctx *c, const rules_field *f, json_t *v,
                         const char *key, rules_bound *b)
{
    const char *p;
    size_t n;
    char got[200], fallback[40];
    if (json_is_string(v)) {
        p = json_string_value(v);
        n = json_string_length(v);
        if (!rules_is_decimal(p, n, f->type == RT_INTEGER)) {
            rules_error(c, RW_VALUE, "expected %s for \"%s\" of %s field, got %s",
                        f->type == RT_INTEGER ? "an integer" : "a number", key,
                        f->type == RT_INTEGER ? "an integer" : "a number",
                        rules_got(c, v, got, sizeof got));
            return;
        }
    } else if (!rules_value_text(c, &p, &n)) { /* not reached: the map has it */
        if (json_is_integer(v))
            snprintf(fallback, sizeof fallback, "%" PRId64, (int64_t)json_integer_value(v));
        else
            snprintf(fallback, sizeof fallback, "%.17g", json_real_value(v));
        p = fallback;
        n = strlen(fallback);
    }
    b->text = rules_strndup(c, p, n);
    b->len = n;
    b->set = b->text != NULL;
    b->is_string = false;
}

static void field_bound(rules_ctx *c, rules_field *f, json_t *cons, const char *key,
                        rules_bound *b)
{
    json_t *v = rules_get(cons, RP_CONSTRAINTS, key);
    if (!v)
        return;
    size_t mark = rules_push_key(c, key);
    rules_type t = f->type;
    char got[200];
    if (t == RT_BOOLEAN || t == RT_ANY || t == RT_OBJECT || t == RT_ARRAY)
        rules_error(c, RW_KEY, "\"%s\" does not apply to %s fields; it applies to "
                    "integer, number, date, time, datetime, year and yearmonth fields",
                    key, type_name(t));
    else if (t == RT_INTEGER || t == RT_NUMBER || (t == RT_YEAR && json_is_number(v)))
        bound_number(c, f, v, key, b);
    else if (json_is_number(v) && t == RT_STRING)
        rules_error(c, RW_VALUE, "\"%s\" is a number, but field \"%s\" has type string; "
                    "a string field's bounds are strings (for a length limit use "
                    "\"%sLength\")", key, f->name ? f->name : "", key[1] == 'i' ?
                    "min" : "max");
    else if (json_is_number(v))
        rules_error(c, RW_VALUE, "expected a string for \"%s\" of a %s field (e.g. "
                    "\"2000-01-01\" or \"today\"), got %s", key, type_name(t),
                    rules_got(c, v, got, sizeof got));
    else {
        b->text = rules_strndup(c, json_string_value(v), json_string_length(v));
        b->len = json_string_length(v);
        b->set = b->text != NULL;
        b->is_string = true;
    }
    rules_pop(c, mark);
}

static void field_lengths(rules_ctx *c, rules_field *f, json_t *cons)
{
    json_t *lo = rules_get(cons, RP_CONSTRAINTS, "minLength");
    json_t *hi = rules_get(cons, RP_CONSTRAINTS, "maxLength");
    if (lo)
        f->min_length = (int64_t)json_integer_value(lo);
    if (hi)
        f->max_length = (int64_t)json_integer_value(hi);
    if (lo && hi && f->min_length > f->max_length) {
        size_t mark = rules_push_key(c, "maxLength");
        rules_error(c, RW_VALUE, "maxLength %" PRId64 " is less than minLength %" PRId64
                    "; no value could pass", f->max_length, f->min_length);
        rules_pop(c, mark);
    }
}

/* minItems / maxItems: the number of elements of an array, members of an
 * object (JSON), or child elements (XML). */
static void field_items(rules_ctx *c, rules_field *f, json_t *cons)
{
    json_t *lo = rules_get(cons, RP_CONSTRAINTS, "minItems");
    json_t *hi = rules_get(cons, RP_CONSTRAINTS, "maxItems");
    if ((lo || hi) && f->type != RT_ARRAY && f->type != RT_OBJECT) {
        size_t mark = rules_push_key(c, lo ? "minItems" : "maxItems");
        rules_error(c, RW_VALUE, "%s applies to fields of type array or object, not %s",
                    lo ? "minItems" : "maxItems", type_name(f->type));
        rules_pop(c, mark);
        return;
    }
    if (lo)
        f->min_items = (int64_t)json_integer_value(lo);
    if (hi)
        f->max_items = (int64_t)json_integer_value(hi);
    if (lo && hi && f->min_items > f->max_items) {
        size_t mark = rules_push_key(c, "maxItems");
        rules_error(c, RW_VALUE, "maxItems %" PRId64 " is less than minItems %" PRId64
                    "; no value could pass", f->max_items, f->min_items);
        rules_pop(c, mark);
    }
}

static void field_pattern(rules_ctx *c, rules_field *f, json_t *cons)
{
    json_t *v = rules_get(cons, RP_CONSTRAINTS, "pattern");
    if (!v)
        return;
    size_t mark = rules_push_key(c, "pattern");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    int err = 0;
    PCRE2_SIZE off = 0;
    /* Anchored at both ends: the whole cleaned value must match (SPEC §4a).
     * MATCH_INVALID_UTF: a value with broken bytes fails, never crashes. */
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ANCHORED |
                    PCRE2_ENDANCHORED;
    f->pattern_src = rules_strndup(c, s, n);
    f->pattern = pcre2_compile((PCRE2_SPTR)s, n, opts, &err, &off, NULL);
    if (!f->pattern && err == PCRE2_ERROR_HEAP_FAILED) {
        c->nomem = true; /* out of memory, not a bad pattern */
    } else if (!f->pattern) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", err);
        rules_error(c, RW_VALUE, "pattern does not compile: %s at offset %zu",
                    (const char *)msg, (size_t)off);
    } else {
        int jit = pcre2_jit_compile(f->pattern, PCRE2_JIT_COMPLETE);
        f->pattern_jit = jit == 0;
        if (jit == PCRE2_ERROR_NOMEMORY) {
            c->nomem = true;
        } else if (jit) {
            PCRE2_UCHAR msg[256];
            if (pcre2_get_error_message(jit, msg, sizeof msg) < 0)
                snprintf((char *)msg, sizeof msg, "error %d", jit);
            rules_warn(c, RW_VALUE, "pattern runs without JIT (%s); matching is "
                       "slower", (const char *)msg);
        }
        /* Simple patterns also get a DFA, which gives pcre2's answer
         * faster; NULL (pcre2 does the work) for the rest. */
        f->pattern_dfa = val_dfa_compile(s, n);
    }
    rules_pop(c, mark);
}

static const char *enum_expected(rules_type t)
{
    switch (t) {
    case RT_INTEGER: return "an integer";
    case RT_NUMBER: return "a number";
    case RT_BOOLEAN: return "true, false or a string";
    case RT_YEAR:
    case RT_ANY: return "a string or a number";
    default: return "a string";
    }
}

/* The text an enum item stands for; false (reported) when it does not fit. */
static bool enum_text(rules_ctx *c, const rules_field *f, json_t *v, const char **p,
                      size_t *n)
{
    rules_type t = f->type;
    bool numeric = t == RT_INTEGER || t == RT_NUMBER;
    bool ok = false;
    if (json_is_string(v)) {
        *p = json_string_value(v);
        *n = json_string_length(v);
        ok = !numeric || rules_is_decimal(*p, *n, t == RT_INTEGER);
    } else if (json_is_integer(v) || (json_is_real(v) && t != RT_INTEGER)) {
        ok = (numeric || t == RT_YEAR || t == RT_ANY) && rules_value_text(c, p, n);
    } else if (json_is_boolean(v) && (t == RT_BOOLEAN || t == RT_ANY)) {
        *p = json_is_true(v) ? "true" : "false";
        *n = strlen(*p);
        ok = true;
    }
    if (!ok) {
        char got[200];
        rules_error(c, RW_VALUE, "expected %s in the enum of %s field \"%s\", got %s",
                    enum_expected(t), type_name(t), f->name ? f->name : "",
                    rules_got(c, v, got, sizeof got));
    }
    return ok;
}

/* Integer and number enums are keyed by the canonical text of the number, so
 * that values compare as typed values (SPEC §4a): 012 is 12, 1.50 is 1.5. */
static int enum_add_typed(rules_field *f, const char *p, size_t n)
{
    char key[VAL_INT64_BUF];
    int64_t iv;
    val_dec d;
    if (f->type == RT_INTEGER && val_integer_parse(p, n, &iv))
        return rules_enum_add_as(f->enumset, key, val_integer_key(iv, key), p, n);
    if (f->type == RT_NUMBER && val_number_parse(p, n, &d)) {
        size_t cap = VAL_CANON_CAP(n);
        char *canon = malloc(cap);
        if (!canon)
            return -1;
        size_t len = val_dec_canon(&d, canon, cap);
        int added = rules_enum_add_as(f->enumset, canon, len, p, n);
        free(canon);
        return added;
    }
    return rules_enum_add(f->enumset, p, n);
}

static void field_enum(rules_ctx *c, rules_field *f, json_t *cons)
{
    json_t *a = rules_get(cons, RP_CONSTRAINTS, "enum");
    if (!a)
        return;
    size_t n = json_array_size(a), mark = rules_push_key(c, "enum");
    if (n == 0) {
        rules_error(c, RW_VALUE, "expected a non-empty array for \"enum\", got an "
                    "empty array");
    } else if (!(f->enumset = rules_enum_new(n))) {
        c->nomem = true;
    } else {
        for (size_t i = 0; i < n; i++) {
            size_t m = rules_push_index(c, i);
            const char *p;
            size_t len;
            char q[160];
            if (enum_text(c, f, json_array_get(a, i), &p, &len)) {
                int added = enum_add_typed(f, p, len);
                if (added < 0)
                    c->nomem = true;
                else if (added == 0)
                    rules_warn(c, RW_VALUE, "enum value %s is listed more than once",
                               rules_quote(q, sizeof q, p, len));
            }
            rules_pop(c, m);
        }
    }
    rules_pop(c, mark);
}

static void field_constraints(rules_ctx *c, rules_field *f, json_t *fd)
{
    json_t *cons = rules_get(fd, RP_FIELD, "constraints");
    if (!cons)
        return;
    size_t mark = rules_push_key(c, "constraints");
    rules_check_keys(c, RP_CONSTRAINTS, cons);
    json_t *v;
    if ((v = rules_get(cons, RP_CONSTRAINTS, "required")))
        f->required = json_is_true(v);
    if ((v = rules_get(cons, RP_CONSTRAINTS, "unique")))
        f->unique = json_is_true(v);
    field_lengths(c, f, cons);
    field_items(c, f, cons);
    field_bound(c, f, cons, "minimum", &f->minimum);
    field_bound(c, f, cons, "maximum", &f->maximum);
    field_pattern(c, f, cons);
    field_enum(c, f, cons);
    rules_pop(c, mark);
}

/* ---- numbers in other notations (validators/locnum.h) ---------------- */

static const rules_word number_output_words[] = {{"plain", false}, {NULL, false}};

/* decimalChar (number fields) or groupChar (integer and number fields): one
 * character that cannot be read as part of a plain number. False when bad. */
static bool number_char(rules_ctx *c, const rules_field *f, json_t *fd, const char *key,
                        const char **p, size_t *n)
{
    json_t *v = rules_get(fd, RP_FIELD, key);
    bool group = key[0] == 'g', ok = true;
    *p = NULL;
    *n = 0;
    if (!v)
        return true;
    size_t mark = rules_push_key(c, key);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    char q[160];
    if (f->type == RT_INTEGER && !group)
        rules_warn(c, RW_KEY, "\"decimalChar\" does not apply to integer fields (they "
                   "have no fraction); it is ignored");
    else if (f->type != RT_INTEGER && f->type != RT_NUMBER)
        rules_warn(c, RW_KEY, "\"%s\" applies to %s fields only; it is ignored on %s "
                   "fields", key, group ? "integer and number" : "number", type_name(f->type));
    else if (group && len == 0)
        ; /* "": no grouping, as when absent */
    else if (!val_locnum_char_ok(s, len)) {
        rules_error(c, RW_VALUE, "expected one character for \"%s\" (not a digit, a "
                    "sign, \"e\" or \"E\"), got %s", key, rules_quote(q, sizeof q, s, len));
        ok = false;
    } else {
        *p = s;
        *n = len;
    }
    rules_pop(c, mark);
    return ok;
}

static void number_bare(rules_ctx *c, const rules_field *f, json_t *fd, bool *bare)
{
    json_t *v = rules_get(fd, RP_FIELD, "bareNumber");
    if (!v)
        return;
    *bare = json_is_true(v);
    if (f->type != RT_INTEGER && f->type != RT_NUMBER) {
        size_t mark = rules_push_key(c, "bareNumber");
        rules_warn(c, RW_KEY, "\"bareNumber\" applies to integer and number fields "
                   "only; it is ignored on %s fields", type_name(f->type));
        rules_pop(c, mark);
    }
}

/* locale of an integer or number field (dates read theirs elsewhere). */
static bool number_locale(rules_ctx *c, json_t *fd, val_locnum_opts *o)
{
    json_t *v = rules_get(fd, RP_FIELD, "locale");
    if (!v)
        return true;
    size_t mark = rules_push_key(c, "locale");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    char q[160], canon[160];
    bool own = false, ok = false;
    rules_quote(q, sizeof q, s, n);
    if (o->decimal_char || o->group_char)
        rules_error(c, RW_VALUE, "\"locale\" gives the separators of numbers; drop "
                    "\"decimalChar\" and \"groupChar\", or drop \"locale\"");
    else if (!val_locnum_locale_known(s, n, canon, sizeof canon, &own))
        rules_error(c, RW_VALUE, "unknown locale %s for numbers; expected a locale "
                    "with number data, such as \"de\", \"fr_CH\" or \"en-US\"", q);
    else {
        if (!own)
            rules_warn(c, RW_VALUE, "locale %s has no number data of its own; the "
                       "separators of its language are used", q);
        o->locale = s;
        o->locale_n = n;
        ok = true;
    }
    rules_pop(c, mark);
    return ok;
}

/* "output": "plain" on an integer or number field. */
static void number_output(rules_ctx *c, json_t *fd, val_locnum_opts *o)
{
    json_t *v = rules_get(fd, RP_FIELD, "output");
    if (!v)
        return;
    size_t mark = rules_push_key(c, "output");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (rules_word_find(number_output_words, s, n))
        o->output_plain = true;
    else
        rules_unknown_word(c, "number output", number_output_words, s, n);
    rules_pop(c, mark);
}

/* decimalChar, groupChar, bareNumber, and for integer and number fields
 * locale and output, compiled into f->locnum. */
static void field_number_notation(rules_ctx *c, rules_field *f, json_t *fd)
{
    val_locnum_opts o = {.integer = f->type == RT_INTEGER, .bare_number = true};
    bool ok = number_char(c, f, fd, "decimalChar", &o.decimal_char, &o.decimal_n);
    ok = number_char(c, f, fd, "groupChar", &o.group_char, &o.group_n) && ok;
    number_bare(c, f, fd, &o.bare_number);
    if (f->type != RT_INTEGER && f->type != RT_NUMBER)
        return;
    ok = number_locale(c, fd, &o) && ok;
    number_output(c, fd, &o);
    const char *dec = o.decimal_char ? o.decimal_char : ".";
    size_t dn = o.decimal_char ? o.decimal_n : 1;
    if (ok && f->type == RT_NUMBER && o.group_char && o.group_n == dn &&
        memcmp(o.group_char, dec, dn) == 0) {
        size_t mark = rules_push_key(c, "groupChar");
        rules_error(c, RW_VALUE, "groupChar \"%.*s\" is also the decimal point%s; a "
                    "number could not be read", (int)dn, dec, o.decimal_char ? "" :
                    " (decimalChar defaults to \".\")");
        rules_pop(c, mark);
        ok = false;
    }
    if (!ok)
        return;
    val_locnum_bad bad = val_locnum_compile(&o, &f->locnum);
    if (bad == VAL_LOCNUM_BAD_NOMEM)
        c->nomem = true;
    else if (bad) /* not reached: every case is reported above */
        rules_error(c, RW_VALUE, "the number notation of this field cannot be used");
    else if (o.output_plain && !f->locnum) {
        size_t mark = rules_push_key(c, "output");
        rules_warn(c, RW_VALUE, "\"output\": \"plain\" has no effect here: without "
                   "decimalChar, groupChar, bareNumber false or locale every valid "
                   "value is already plain");
        rules_pop(c, mark);
    }
}

/* ---- dates, times and datetimes (validators/datefmt.h) ----------------- */

static const char *const date_keys[] = {"formats", "prefer", "century_pivot",
                                        "timezone"};

/* Reports a failed datefmt step at the current path. */
static bool date_step(rules_ctx *c, val_df_rc rc, const char *err)
{
    if (rc == VAL_DF_NOMEM)
        c->nomem = true;
    else if (rc)
        rules_error(c, RW_VALUE, "%s", err);
    return rc == VAL_DF_OK;
}

/* The date keys on a field of another type: ignored, with a warning. */
static void date_keys_ignored(rules_ctx *c, const rules_field *f, json_t *fd)
{
    for (size_t i = 0; i < sizeof date_keys / sizeof *date_keys; i++) {
        if (!rules_get(fd, RP_FIELD, date_keys[i]))
            continue;
        size_t mark = rules_push_key(c, date_keys[i]);
        rules_warn(c, RW_KEY, "\"%s\" applies to date, time, datetime, year and "
                   "yearmonth fields only; it is ignored on %s fields", date_keys[i],
                   type_name(f->type));
        rules_pop(c, mark);
    }
}

/* A string key of the field passed to one datefmt step. */
static bool date_string_key(rules_ctx *c, val_datefmts *df, json_t *fd, const char *key,
                            val_df_rc (*step)(val_datefmts *, const char *, size_t,
                                              char *, size_t))
{
    json_t *v = rules_get(fd, RP_FIELD, key);
    if (!v)
        return true;
    char err[512];
    size_t mark = rules_push_key(c, key);
    bool ok = date_step(c, step(df, json_string_value(v), json_string_length(v), err,
                                sizeof err), err);
    rules_pop(c, mark);
    return ok;
}

/* formats (each at its index) or the Table Schema format. */
static bool date_formats(rules_ctx *c, rules_field *f, val_datefmts *df, json_t *fd)
{
    json_t *a = rules_get(fd, RP_FIELD, "formats");
    char err[512];
    bool ok = true;
    if (f->format && a && strcmp(f->format, "default") != 0) {
        size_t mark = rules_push_key(c, "format");
        rules_error(c, RW_KEY, "give either \"format\" (Table Schema: \"default\", "
                    "\"any\" or one strptime pattern) or \"formats\", not both");
        rules_pop(c, mark);
        return false;
    }
    if (f->format && !a) {
        size_t mark = rules_push_key(c, "format");
        ok = date_step(c, val_datefmts_add_table_schema(df, f->format, strlen(f->format),
                                                        err, sizeof err), err);
        rules_pop(c, mark);
    }
    size_t n = a ? json_array_size(a) : 0, mark = rules_push_key(c, "formats");
    if (a && n == 0) {
        rules_error(c, RW_VALUE, "expected at least one format in \"formats\" (or leave "
                    "it out for ISO 8601)");
        ok = false;
    }
    for (size_t i = 0; i < n; i++) {
        size_t m = rules_push_index(c, i);
        json_t *s = json_array_get(a, i);
        ok = date_step(c, val_datefmts_add(df, json_string_value(s), json_string_length(s),
                                           err, sizeof err), err) && ok;
        rules_pop(c, m);
    }
    rules_pop(c, mark);
    return ok;
}

/* minimum and maximum of a temporal field, checked now, resolved per run. */
static void date_bounds(rules_ctx *c, rules_field *f, val_datefmts *df)
{
    rules_bound *b[2] = {&f->minimum, &f->maximum};
    const char *key[2] = {"minimum", "maximum"};
    char err[512];
    for (int k = 0; k < 2; k++) {
        if (!b[k]->set)
            continue;
        size_t m1 = rules_push_key(c, "constraints"), m2 = rules_push_key(c, key[k]);
        if (f->type == RT_DURATION)
            rules_warn(c, RW_KEY, "\"%s\" on a duration field: not checked yet by assay; "
                       "durations with years or months have no order", key[k]);
        else
            date_step(c, val_datefmts_bound(df, k == 1, b[k]->text, b[k]->len, err,
                                            sizeof err), err);
        rules_pop(c, m2);
        rules_pop(c, m1);
    }
}

/* Everything a temporal field declares, compiled into f->dates. Order
 * matters: locale, century_pivot and timezone come before the formats that
 * use them; prefer after the formats it names. */
static void field_dates(rules_ctx *c, rules_field *f, json_t *fd)
{
    if (!is_datelike(f->type)) {
        date_keys_ignored(c, f, fd);
        return;
    }
    if (f->type == RT_DURATION) {
        static const char *const keys[] = {"formats", "prefer", "century_pivot",
                                           "timezone", "locale", "output"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            if (rules_get(fd, RP_FIELD, keys[i])) {
                size_t mark = rules_push_key(c, keys[i]);
                rules_error(c, RW_KEY, "\"%s\" does not apply to duration fields; they "
                            "are read as ISO 8601 durations (P1Y2M3DT4H5M6S)", keys[i]);
                rules_pop(c, mark);
            }
    }
    val_datefmts *df = f->dates = val_datefmts_new(f->type);
    if (!df) {
        c->nomem = true;
        return;
    }
    char err[512];
    bool ok = f->type == RT_DURATION || date_string_key(c, df, fd, "locale",
                                                         val_datefmts_locale);
    json_t *v = rules_get(fd, RP_FIELD, "century_pivot");
    if (v && f->type != RT_DURATION) {
        size_t mark = rules_push_key(c, "century_pivot");
        ok = date_step(c, val_datefmts_century_pivot(df, json_integer_value(v), err,
                                                     sizeof err), err) && ok;
        rules_pop(c, mark);
    }
    if (f->type != RT_DURATION) {
        ok = date_string_key(c, df, fd, "timezone", val_datefmts_timezone) && ok;
        ok = date_formats(c, f, df, fd) && ok;
        /* prefer is checked against formats that compiled: skip after an error. */
        if (ok)
            date_string_key(c, df, fd, "prefer", val_datefmts_prefer);
        date_string_key(c, df, fd, "output", val_datefmts_output);
    }
    date_step(c, val_datefmts_finish(df, err, sizeof err), err);
    date_bounds(c, f, df);
}

/* A key that does nothing for this field's type is said, never silently
 * dropped: the user meant something by it. */
static void field_no_effect(rules_ctx *c, const rules_field *f, json_t *fd)
{
    bool numeric = f->type == RT_INTEGER || f->type == RT_NUMBER;
    bool temporal = is_datelike(f->type) && f->type != RT_DURATION;
    static const char *const keys[] = {"locale", "output"};
    for (int k = 0; k < 2; k++) {
        bool used = numeric || temporal || (k == 0 && f->type == RT_STRING);
        if (used || !json_object_get(fd, keys[k]))
            continue;
        size_t mark = rules_push_key(c, keys[k]);
        rules_warn(c, RW_VALUE, "\"%s\" has no effect on %s fields; it is ignored",
                   keys[k], type_name(f->type));
        rules_pop(c, mark);
    }
}

static void field_parse(rules_ctx *c, rules_field *f, json_t *fd, size_t idx)
{
    f->type = RT_STRING;
    f->severity = RSEV_ERROR;
    f->min_length = f->max_length = -1;
    f->min_items = f->max_items = -1;
    if (!json_is_object(fd)) {
        char got[200];
        rules_error(c, RW_VALUE, "expected a field descriptor (an object with a "
                    "\"name\"), got %s", rules_got(c, fd, got, sizeof got));
        return;
    }
    rules_check_keys(c, RP_FIELD, fd);
    field_name(c, f, fd, idx);
    field_type(c, f, fd);
    field_format(c, f, fd);
    field_severity(c, f, fd);
    field_clean(c, f, fd);
    field_case_locale(c, f, fd);
    field_bool_values(c, f, fd);
    field_number_notation(c, f, fd);
    field_constraints(c, f, fd);
    field_dates(c, f, fd);
    field_no_effect(c, f, fd);
}

void rules_parse_fields(rules_ctx *c, json_t *fields)
{
    size_t n = json_array_size(fields);
    if (n == 0) {
        rules_error(c, RW_VALUE, "expected a non-empty array of field descriptors for "
                    "\"fields\", got an empty array");
        return;
    }
    c->r->fields = calloc(n, sizeof *c->r->fields);
    if (!c->r->fields) {
        c->nomem = true;
        return;
    }
    c->r->nfields = n;
    for (size_t i = 0; i < n; i++) {
        size_t mark = rules_push_index(c, i);
        field_parse(c, &c->r->fields[i], json_array_get(fields, i), i);
        rules_pop(c, mark);
    }
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void rules_field_free(rules_field *f)
{
    free(f->name);
    free(f->format);
    for (size_t i = 0; i < f->nclean; i++) {
        free(f->clean[i].arg);
        free(f->clean[i].src);
        val_map_free(f->clean[i].map);
        pcre2_code_free(f->clean[i].re);
    }
    free(f->clean);
    pcre2_code_free(f->format_re);
    free(f->case_locale);
    free(f->minimum.text);
    free(f->maximum.text);
    free(f->pattern_src);
    pcre2_code_free(f->pattern);
    val_dfa_free(f->pattern_dfa);
    rules_enum_free(f->enumset);
    free_list(f->true_values, f->ntrue);
    free_list(f->false_values, f->nfalse);
    val_locnum_spec_free(f->locnum);
    val_datefmts_free(f->dates);
}
