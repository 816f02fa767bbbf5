/* engine/record.c — cleans and checks the values of one parsed record.
 *
 * The order of work on a value is SPEC §4a's: raw value -> clean steps ->
 * missing-value test -> type -> constraints. After a type failure no
 * constraint of that field runs. Every violation of the record is collected,
 * not only the first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "validators/boolean.h"
#include "validators/bounds.h"
#include "validators/clean.h"
#include "validators/formats.h"
#include "validators/unicode.h"
#include "validators/locnum.h"
#include "validators/number.h"
#include "validators/string.h"

static const char *const rule_names[ER_COUNT] = {
    "required", "type", "pattern", "enum", "minimum", "maximum", "minLength",
    "maxLength", "unique", "primaryKey", "ambiguous_date", "format", "minItems", "maxItems",
    "pattern_limit", "blank_row", "extra_cell",
    "missing_cell", "malformed", "encoding", "control_chars", "record_too_large",
    "header", "extra_field", "unwritable", "record_rule", "json_parse", "not_object", "xml",
    "xml_entity",
};

const char *eng_rule_name(eng_rule r)
{
    return r < ER_COUNT ? rule_names[r] : "unknown";
}

const char *eng_viol_rule(const eng_run *run, const eng_violation *v)
{
    if (v->rule == ER_RECORD_RULE)
        return run->rules->rules[v->rule_index].name;
    return eng_rule_name(v->rule);
}

const char *eng_viol_value(const eng_run *run, const eng_violation *v)
{
    return v->value_in_msgs ? run->msgs.data + v->val_off : v->value;
}

assay_status eng_add_violation(eng_run *run, int field, eng_rule rule,
                               rules_severity sev, const char *value, size_t n,
                               bool has_value, const char *fmt, ...)
{
    if (run->nviol == run->capviol) {
        size_t cap = run->capviol ? run->capviol * 2 : 16;
        eng_violation *v = realloc(run->viol, cap * sizeof *v);
        if (!v)
            return ASSAY_E_NOMEM;
        run->viol = v;
        run->capviol = cap;
    }
    eng_violation *v = &run->viol[run->nviol];
    memset(v, 0, sizeof *v);
    v->field = field;
    v->rule = rule;
    v->sev = sev;
    v->has_value = has_value;
    v->value = value;
    v->value_len = n;
    v->msg_off = run->msgs.len;
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int len = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (len < 0)
        len = 0;
    if ((size_t)len >= sizeof tmp)
        len = sizeof tmp - 1;
    assay_status st = core_buf_append(&run->msgs, tmp, (size_t)len);
    if (st)
        return st;
    v->msg_len = (size_t)len;
    run->nviol++;
    return ASSAY_OK;
}

/* The field's value in this record, before cleaning. Read into locals
 * first: v's stores could alias rec's fields for the compiler. */
static inline void take_raw(eng_value *v, const io_record *rec, ptrdiff_t col)
{
    bool present = (size_t)col < rec->nfields; /* col -1: no such column */
    io_slice s = present ? rec->fields[col] : (io_slice){NULL, 0};
    const struct io_docval *dv = rec->doc && present ? &rec->doc->vals[col] : NULL;
    bool absent = dv && !s.p;
    if (absent)
        s.p = "";
    v->present = present;
    v->absent = absent;
    v->doc = dv;
    v->raw = v->p = s.p;
    v->raw_n = v->n = s.n;
    v->changed = v->missing = v->type_ok = false;
}

/* A replace step hit a pcre2 limit on v: the value is not cleaned by it, and
 * the record says so (rule pattern_limit) rather than pass half-cleaned. */
static __attribute__((noinline, cold)) assay_status
replace_limit_violation(eng_run *run, size_t i, const eng_value *v, const rules_clean *step,
                        int rc)
{
    const rules_field *f = &run->rules->fields[i];
    char err[160];
    return eng_add_violation(run, (int)i, ER_PATTERN_LIMIT, f->severity, v->raw, v->raw_n,
                             true, "replace step %s %s: this step leaves the value as it was; "
                             "simplify the pattern", step && step->src ? step->src : "",
                             val_pattern_limit_message(rc, v->raw_n, err, sizeof err));
}

static assay_status clean_value(eng_run *run, size_t i, eng_value *v,
                                uint64_t line)
{
    if (!run->fplan[i].clean || !v->present)
        return ASSAY_OK;
    const rules_field *f = &run->rules->fields[i];
    uint32_t steps = 0;
    assay_status st = val_clean_apply_w(f, run->rules, run->cleanw, v->raw, v->raw_n, &v->clean,
                                      &v->p, &v->n, &steps);
    const rules_clean *limited;
    int rc = val_clean_worker_take_limit(run->cleanw, &limited);
    if (!st && rc)
        st = replace_limit_violation(run, i, v, limited, rc);
    if (st || !steps)
        return st;
    v->changed = true;
    run->st.fields[i].cleaned++;
    if (!run->chg)
        return ASSAY_OK;
    char names[128];
    size_t len = 0;
    names[0] = '\0';
    for (size_t k = 0; k < f->nclean; k++) {
        if (!(steps & VAL_STEP_BIT(f->clean[k].step)))
            continue;
        const char *nm = val_step_name(f->clean[k].step);
        if (strstr(names, nm))
            continue;
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                len ? "," : "", nm);
        if (len >= sizeof names)
            len = sizeof names - 1;
    }
    return eng_write_change(run, run->record_no, line, (int)i, names, v->raw,
                            v->raw_n, v->p, v->n);
}

static const char *type_message(rules_type t)
{
    switch (t) {
    case RT_INTEGER: return "not an integer (digits with an optional sign, within 64 bits)";
    case RT_NUMBER: return "not a number";
    case RT_BOOLEAN: return "not a boolean of this field's trueValues/falseValues";
    default: return "not of the field's type";
    }
}

/* Reads a locale-written integer or number into plain notation (pn_p/pn_n);
 * without a notation the plain text is the value itself. */
static int read_notation(eng_run *run, const rules_field *f, eng_value *v,
                         const char **msg)
{
    v->pn_p = v->p;
    v->pn_n = v->n;
    if (!f->locnum || (f->type != RT_INTEGER && f->type != RT_NUMBER))
        return 1;
    val_locnum_result r = val_locnum_parse(f->locnum, run->locnum, v->p, v->n, &v->plain,
                                           &v->pn_p, &v->pn_n);
    if (r == VAL_LOCNUM_OK)
        return 1;
    if (r == VAL_LOCNUM_INVALID || r == VAL_LOCNUM_RANGE) {
        *msg = val_locnum_message(f->locnum, r);
        return 0;
    }
    return -1;
}

/* A temporal value: parsed by the field's formats (fast matcher, ICU for
 * the rest); counted under the format that read it. */
static int check_date(eng_run *run, size_t i, eng_value *v, const char **msg,
                      eng_rule *rule)
{
    const rules_field *f = &run->rules->fields[i];
    eng_field_stats *fs = &run->st.fields[i];
    val_date_result r;
    val_date_parse(run->dates[i], v->p, v->n, &r);
    if (r.status != VAL_DATE_OK) {
        *rule = strcmp(val_date_rule(&r), "ambiguous_date") == 0 ? ER_AMBIGUOUS_DATE
                                                                 : ER_TYPE;
        val_date_message(f->dates, &r, run->tmsg, sizeof run->tmsg);
        *msg = run->tmsg;
        return 0;
    }
    v->dt = r.value;
    if (r.format >= 0)
        fs->formats[r.format]++;
    fs->ambiguous_resolved += r.resolved;
    return 1;
}

/* The canonical typed text of a value that passed its type: what unique,
 * primaryKey and number enums compare (integer 012 is 12, 1.50 is 1.5, one
 * instant written with two offsets is one key). Built only for fields that
 * need it: run->need_key. */
static int make_key(eng_run *run, size_t i, eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    char buf[64];
    size_t len;
    core_buf_clear(&v->key);
    if (f->dates && v->dt.has_offset) {
        int32_t nanos;
        int64_t secs = val_date_utc_seconds(run->dates[i], &v->dt, &nanos);
        len = (size_t)snprintf(buf, sizeof buf, "%lld.%09d", (long long)secs, (int)nanos);
        return core_buf_append(&v->key, buf, len < sizeof buf ? len : sizeof buf - 1) ? -1 : 1;
    }
    if (f->dates) {
        len = val_dt_iso(&v->dt, buf, sizeof buf);
        return core_buf_append(&v->key, buf, len < sizeof buf ? len : sizeof buf - 1) ? -1 : 1;
    }
    switch (f->type) {
    case RT_INTEGER:
        return core_buf_append(&v->key, buf, val_integer_key(v->ival, buf)) ? -1 : 1;
    case RT_NUMBER:
        if (core_buf_reserve(&v->key, VAL_CANON_CAP(v->pn_n)))
            return -1;
        v->key.len = val_dec_canon(&v->dec, v->key.data, VAL_CANON_CAP(v->pn_n));
        return 1;
    case RT_BOOLEAN:
        return core_buf_puts(&v->key, v->bval ? "true" : "false") ? -1 : 1;
    default:
        return core_buf_append(&v->key, v->pn_p, v->pn_n) ? -1 : 1;
    }
}

static const char *kind_name(io_vkind k)
{
    switch (k) {
    case IO_V_OBJECT: return "an object";
    case IO_V_ARRAY: return "an array";
    case IO_V_NUMBER: return "a number";
    case IO_V_BOOL: return "a boolean";
    default: return "a string";
    }
}

/* A JSON or XML value that is (or should be) an object or an array: its
 * kind decides, then minItems/maxItems. An XML element with child elements
 * is an object. */
static int check_doc_kind(eng_run *run, const rules_field *f, const eng_value *v,
                          const char **msg)
{
    io_vkind want = f->type == RT_OBJECT ? IO_V_OBJECT : f->type == RT_ARRAY ? IO_V_ARRAY
                                                                              : IO_V_STRING;
    if (v->doc->kind != want && (want != IO_V_STRING || v->doc->kind == IO_V_OBJECT ||
                                 v->doc->kind == IO_V_ARRAY)) {
        snprintf(run->tmsg, sizeof run->tmsg, "%s where %s was expected",
                 kind_name(v->doc->kind), want == IO_V_STRING ? "a single value"
                                                              : kind_name(want));
        *msg = run->tmsg;
        return 0;
    }
    return 1;
}

/* minItems / maxItems of an array or object that passed its type. */
static assay_status check_items(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    uint64_t items = v->doc->items;
    bool under = f->min_items >= 0 && items < (uint64_t)f->min_items;
    if (!under && (f->max_items < 0 || items <= (uint64_t)f->max_items))
        return ASSAY_OK;
    return eng_add_violation(run, (int)i, under ? ER_MINITEMS : ER_MAXITEMS, f->severity,
                             v->p, v->n, true, "%s of %llu %s; %s is %lld",
                             kind_name(v->doc->kind), (unsigned long long)items,
                             v->doc->kind == IO_V_ARRAY ? "items" : "members",
                             under ? "minItems" : "maxItems",
                             (long long)(under ? f->min_items : f->max_items));
}

/* Reads the plain text (pn_p, pn_n) as the field's type, when it is not
 * temporal: 1 of the type, 0 not. */
static inline int parse_plain(const rules_field *f, eng_value *v)
{
    switch (f->type) {
    case RT_INTEGER:
        return val_integer_parse(v->pn_p, v->pn_n, &v->ival);
    case RT_NUMBER:
        return val_number_parse(v->pn_p, v->pn_n, &v->dec);
    case RT_BOOLEAN: {
        int b = val_boolean_parse(v->pn_p, v->pn_n, f);
        v->bval = b > 0;
        return b >= 0;
    }
    default:
        return 1;
    }
}

/* Type check: 1 of the type, 0 not (*msg and *rule say why), -1 out of
 * memory. */
static int check_type(eng_run *run, size_t i, eng_value *v, const char **msg,
                      eng_rule *rule)
{
    const rules_field *f = &run->rules->fields[i];
    *msg = NULL; /* type_message(f->type) unless a check says more */
    *rule = ER_TYPE;
    if (v->doc && !v->changed && (v->doc->kind == IO_V_OBJECT || v->doc->kind == IO_V_ARRAY ||
                                  f->type == RT_OBJECT || f->type == RT_ARRAY))
        return check_doc_kind(run, f, v, msg);
    if (f->dates)
        return check_date(run, i, v, msg, rule);
    int ok = read_notation(run, f, v, msg);
    if (ok <= 0)
        return ok;
    return parse_plain(f, v);
}

/* With "output": "plain", a number written in a locale's notation is
 * rewritten in plain notation (step normalise), unless --no-clean. */
static assay_status normalise_number(eng_run *run, size_t i, eng_value *v, uint64_t line)
{
    if (v->pn_p == v->p) /* the caller checked fplan.num_output */
        return ASSAY_OK;
    if (!v->changed)
        run->st.fields[i].cleaned++;
    assay_status st = ASSAY_OK;
    if (run->chg)
        st = eng_write_change(run, run->record_no, line, (int)i, "normalise", v->p, v->n,
                              v->pn_p, v->pn_n);
    v->p = v->pn_p;
    v->n = v->pn_n;
    v->changed = true;
    return st;
}

/* With "output", a date or datetime is rewritten when its text changes
 * (step normalise), unless --no-clean. */
static assay_status normalise_date(eng_run *run, size_t i, eng_value *v, uint64_t line)
{
    if (core_buf_reserve(&v->plain, VAL_DATE_TEXT_MAX)) /* fplan.date_output */
        return ASSAY_E_NOMEM;
    bool changed = false;
    size_t n = val_date_output(run->dates[i], &v->dt, v->p, v->n, v->plain.data,
                               VAL_DATE_TEXT_MAX, &changed);
    if (!changed || n >= VAL_DATE_TEXT_MAX)
        return ASSAY_OK;
    v->plain.len = n;
    if (!v->changed)
        run->st.fields[i].cleaned++;
    assay_status st = ASSAY_OK;
    if (run->chg)
        st = eng_write_change(run, run->record_no, line, (int)i, "normalise", v->p, v->n,
                              v->plain.data, n);
    v->p = v->plain.data;
    v->n = n;
    v->changed = true;
    return st;
}

/* The checks below return at once when the value passes; what they report
 * otherwise is built out of line (COLD), keeping the per-value path small. */
#define COLD __attribute__((noinline, cold))

static COLD assay_status date_bound_violation(eng_run *run, size_t i, const eng_value *v,
                                              val_bound_result r)
{
    const rules_field *f = &run->rules->fields[i];
    char msg[256];
    val_date_bound_message(run->dates[i], r, msg, sizeof msg);
    return eng_add_violation(run, (int)i, r == VAL_BOUND_BELOW_MIN ? ER_MINIMUM : ER_MAXIMUM,
                             f->severity, v->p, v->n, true, "%s", msg);
}

static inline assay_status check_date_bounds(eng_run *run, size_t i, const eng_value *v)
{
    val_bound_result r = val_date_check_bounds(run->dates[i], &v->dt);
    return r == VAL_BOUND_OK ? ASSAY_OK : date_bound_violation(run, i, v, r);
}

static COLD assay_status bound_violation(eng_run *run, size_t i, const eng_value *v,
                                         val_bound_result r)
{
    const rules_field *f = &run->rules->fields[i];
    char msg[256];
    val_bound_message(f, r, msg, sizeof msg);
    return eng_add_violation(run, (int)i, r == VAL_BOUND_BELOW_MIN ? ER_MINIMUM : ER_MAXIMUM,
                             f->severity, v->p, v->n, true, "%s", msg);
}

/* Where an integer or number value lies against the field's bounds. */
static inline val_bound_result bounds_of(const eng_run *run, size_t i, const eng_value *v)
{
    rules_type t = run->rules->fields[i].type;
    if (t == RT_INTEGER)
        return val_bounds_check_int(&run->bounds[i], v->ival);
    if (t == RT_NUMBER)
        return val_bounds_check_dec(&run->bounds[i], &v->dec);
    return VAL_BOUND_OK;
}

static inline assay_status check_bounds(eng_run *run, size_t i, const eng_value *v)
{
    val_bound_result r = bounds_of(run, i, v);
    return r == VAL_BOUND_OK ? ASSAY_OK : bound_violation(run, i, v, r);
}

static COLD assay_status pattern_violation(eng_run *run, size_t i, const eng_value *v, int m,
                                           int rc)
{
    const rules_field *f = &run->rules->fields[i];
    if (m == 0)
        return eng_add_violation(run, (int)i, ER_PATTERN, f->severity, v->p, v->n, true,
                                 "does not match pattern %s", f->pattern_src);
    char err[160];
    if (m == VAL_PATTERN_LIMIT)
        return eng_add_violation(run, (int)i, ER_PATTERN_LIMIT, f->severity, v->p, v->n, true,
                                 "pattern %s %s: the value is not checked; simplify the "
                                 "pattern", f->pattern_src,
                                 val_pattern_limit_message(rc, v->n, err, sizeof err));
    return eng_add_violation(run, (int)i, ER_PATTERN, f->severity, v->p, v->n, true,
                             "pattern %s could not be matched: %s", f->pattern_src,
                             val_pattern_error(rc, err, sizeof err));
}

static inline assay_status check_pattern(eng_run *run, size_t i, const eng_value *v)
{
    int rc = 0;
    /* A value as read from a valid record, or cleaned from one, is valid. */
    int m = val_pattern_match_known(&run->rules->fields[i], run->md, run->mctx, v->p, v->n,
                                    run->raw_utf8, &rc);
    return m == 1 ? ASSAY_OK : pattern_violation(run, i, v, m, rc);
}

static COLD assay_status enum_violation(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    char list[200];
    size_t len = 0, shown = 0;
    for (; shown < f->enumset->count && len < 120; shown++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                shown ? ", " : "", f->enumset->shown[shown]);
    if (len >= sizeof list)
        len = sizeof list - 1;
    return eng_add_violation(run, (int)i, ER_ENUM, f->severity, v->p, v->n, true,
                             "not one of the %zu allowed values (%s%s)",
                             f->enumset->count, list,
                             shown < f->enumset->count ? ", ..." : "");
}

static inline bool enum_has(const rules_field *f, const eng_value *v)
{
    /* Integer and number enums hold canonical keys: typed values compare. */
    bool typed = f->type == RT_INTEGER || f->type == RT_NUMBER;
    return typed ? rules_enum_has(f->enumset, v->key.data, v->key.len)
                 : val_enum_has(f, v->p, v->n);
}

static inline assay_status check_enum(eng_run *run, size_t i, const eng_value *v)
{
    return enum_has(&run->rules->fields[i], v) ? ASSAY_OK : enum_violation(run, i, v);
}

static COLD assay_status count_length(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    size_t cps = val_length(v->p, v->n);
    int r = val_length_check(f, cps);
    if (r < 0)
        return eng_add_violation(run, (int)i, ER_MINLENGTH, f->severity, v->p, v->n,
                                 true, "%zu characters, fewer than minLength %lld", cps,
                                 (long long)f->min_length);
    if (r > 0)
        return eng_add_violation(run, (int)i, ER_MAXLENGTH, f->severity, v->p, v->n,
                                 true, "%zu characters, more than maxLength %lld", cps,
                                 (long long)f->max_length);
    return ASSAY_OK;
}

void eng_key_limit_message(eng_run *run, size_t set)
{
    if (set < run->rules->nfields)
        snprintf(run->err->message, sizeof run->err->message,
                 "more than %llu distinct keys for unique field \"%s\" "
                 "(raise --max-unique-keys; each key costs about 44 bytes plus its length)",
                 (unsigned long long)run->unique_limit, run->rules->fields[set].name);
    else
        snprintf(run->err->message, sizeof run->err->message,
                 "more than %llu distinct primary keys (raise --max-unique-keys; "
                 "each key costs about 44 bytes plus its length)",
                 (unsigned long long)run->unique_limit);
}

/* Whether key was seen before, in input order: set is a field's key set, or
 * nfields for the composite primaryKey. */
static assay_status key_seen(eng_run *run, size_t set, const void *key, size_t len,
                             int *dup, uint64_t *first)
{
    if (run->keymode != ENG_KEYS_INSERT)
        return eng_pipe_key(run, set, key, len, false, 0, dup, first);
    eng_keyset *ks = set < run->rules->nfields ? run->field_keys[set] : run->pk_keys;
    assay_status st = eng_keyset_insert(ks, key, len, run->record_no, dup, first);
    if (st == ASSAY_E_LIMIT)
        eng_key_limit_message(run, set);
    return st;
}

/* The same for an integer field's set of values. */
static assay_status int_seen(eng_run *run, size_t set, int64_t v, int *dup, uint64_t *first)
{
    if (run->keymode != ENG_KEYS_INSERT)
        return eng_pipe_key(run, set, NULL, 0, true, v, dup, first);
    assay_status st = eng_keyset_insert_int(run->field_keys[set], v, run->record_no, dup,
                                            first);
    if (st == ASSAY_E_LIMIT)
        eng_key_limit_message(run, set);
    return st;
}

/* n bytes hold at most n characters, and valid UTF-8 at least ceil(n/4):
 * most values are within the limits without counting. */
static inline bool length_fits(const eng_run *run, const rules_field *f, size_t n)
{
    return (f->max_length < 0 || (uint64_t)n <= (uint64_t)f->max_length) &&
           (f->min_length < 0 ||
            (run->raw_utf8 && ((uint64_t)n + 3) / 4 >= (uint64_t)f->min_length));
}

static inline assay_status check_length(eng_run *run, size_t i, const eng_value *v)
{
    return length_fits(run, &run->rules->fields[i], v->n) ? ASSAY_OK : count_length(run, i, v);
}

static assay_status check_unique(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    if (!run->field_keys[i])
        return ASSAY_OK;
    int dup;
    uint64_t first;
    assay_status st = f->type == RT_INTEGER ? int_seen(run, i, v->ival, &dup, &first)
                                            : key_seen(run, i, v->key.data, v->key.len, &dup,
                                                       &first);
    if (st || !dup)
        return st;
    eng_rule rule = f->unique ? ER_UNIQUE : ER_PRIMARYKEY;
    return eng_add_violation(run, (int)i, rule, f->severity, v->p, v->n, true,
                             "duplicate value: first seen in record %llu",
                             (unsigned long long)first);
}

static inline assay_status check_constraints(eng_run *run, size_t i, const eng_value *v)
{
    const eng_fplan *fp = &run->fplan[i];
    assay_status st = ASSAY_OK;
    if (fp->pattern)
        st = check_pattern(run, i, v);
    if (!st && fp->enumset)
        st = check_enum(run, i, v);
    if (!st && fp->bounds)
        st = check_bounds(run, i, v);
    if (!st && fp->date_bounds)
        st = check_date_bounds(run, i, v);
    if (!st && fp->length)
        st = check_length(run, i, v);
    return st;
}

/* The value as record rules see it: null when missing or not of its type. */
static void eng_expr_value(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    expr_value *x = &run->xvals[i];
    memset(x, 0, sizeof *x);
    x->missing = v->missing;
    x->null = v->missing || !v->type_ok;
    x->text = v->p;
    x->len = v->n;
    if (x->null)
        return;
    switch (f->type) {
    case RT_INTEGER: x->kind = EXPR_V_INT; x->u.i = v->ival; break;
    case RT_NUMBER: x->kind = EXPR_V_DEC; x->u.d = v->dec; break;
    case RT_BOOLEAN: x->kind = EXPR_V_BOOL; x->u.b = v->bval; break;
    case RT_STRING: case RT_ANY: x->kind = EXPR_V_STR; break;
    default: eng_expr_temporal(x, v); break;
    }
}

/* A control character left after cleaning (strip_control removes them): the
 * value is not text a consumer can trust, so nothing else is checked. */
static bool control_char(eng_run *run, size_t i, const eng_value *v, assay_status *st)
{
    size_t k = val_control_at(v->p, v->n);
    if (k >= v->n)
        return false;
    const unsigned char *u = (const unsigned char *)v->p;
    unsigned cp = u[k] < 0x80 || k + 1 >= v->n ? u[k] : ((u[k] & 0x1Fu) << 6) | (u[k + 1] & 0x3Fu);
    *st = eng_add_violation(run, (int)i, ER_CONTROL_CHARS, run->rules->fields[i].severity,
                            v->p, v->n, true,
                            "control character U+%04X at byte %zu (clean step strip_control "
                            "removes them)", cp, k + 1);
    return true;
}

/* unique, then the normalisation of dates and numbers: the checks of a
 * value of its type that passed its other constraints. */
static assay_status check_after(eng_run *run, size_t i, eng_value *v, uint64_t line)
{
    const eng_fplan *fp = &run->fplan[i];
    assay_status st = check_unique(run, i, v);
    if (!st && fp->date_output)
        st = normalise_date(run, i, v, line);
    else if (!st && fp->num_output)
        st = normalise_number(run, i, v, line);
    return st;
}

/* SPEC 4a's order for a present value: type, format, constraints, then the
 * normalisation of dates and numbers. */
static assay_status check_present(eng_run *run, size_t i, eng_value *v, uint64_t line)
{
    const rules_field *f = &run->rules->fields[i];
    assay_status st = ASSAY_OK;
    /* A value as read is a part of the record, checked once as a whole. */
    if ((!run->raw_ctl_free || v->changed) && control_char(run, i, v, &st))
        return st;
    const char *msg;
    eng_rule rule;
    int t = check_type(run, i, v, &msg, &rule);
    const eng_fplan *fp = &run->fplan[i];
    if (t > 0 && fp->need_key)
        t = make_key(run, i, v);
    v->type_ok = t > 0;
    if (t < 0)
        return ASSAY_E_NOMEM;
    if (!t)
        return eng_add_violation(run, (int)i, rule, f->severity, v->p, v->n, true, "%s",
                                 msg ? msg : type_message(f->type));
    if (v->doc && (f->min_items >= 0 || f->max_items >= 0))
        st = check_items(run, i, v);
    if (!st && fp->strfmt && val_format_check(f, run->md, v->p, v->n) != 1)
        st = eng_add_violation(run, (int)i, ER_FORMAT, f->severity, v->p, v->n, true, "%s",
                               val_format_message(f));
    if (!st && (fp->pattern || fp->enumset || fp->bounds || fp->date_bounds || fp->length))
        st = check_constraints(run, i, v);
    return st || !fp->after ? st : check_after(run, i, v, line);
}

/* The quick path of a value as read (fp->quick, of a CSV record without
 * control characters), present and not missing: true when it is of its type
 * and within every constraint check_after leaves out. v then holds its typed
 * value and key, and its date format is counted. False leaves the value to
 * check_present, which finds and reports what is wrong; nothing is counted
 * before the answer, so nothing is counted twice. The checks are
 * check_present's, in its order, without its reporting. */
static bool quick_pass(eng_run *run, size_t i, const eng_fplan *fp, eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    const char *p = v->p;
    size_t n = v->n;
    val_date_result r;
    v->pn_p = p;
    v->pn_n = n;
    if (f->dates) {
        val_date_parse(run->dates[i], p, n, &r);
        if (r.status != VAL_DATE_OK)
            return false;
        v->dt = r.value;
    } else if (parse_plain(f, v) != 1)
        return false;
    if (fp->need_key && make_key(run, i, v) != 1)
        return false;
    int rc;
    if ((fp->strfmt && val_format_check(f, run->md, p, n) != 1) ||
        (fp->pattern &&
         val_pattern_match_known(f, run->md, run->mctx, p, n, run->raw_utf8, &rc) != 1))
        return false;
    if ((fp->enumset && !enum_has(f, v)) ||
        (fp->bounds && bounds_of(run, i, v) != VAL_BOUND_OK) ||
        (fp->date_bounds && val_date_check_bounds(run->dates[i], &v->dt) != VAL_BOUND_OK) ||
        (fp->length && !length_fits(run, f, n) && val_length_check(f, val_length(p, n)) != 0))
        return false;
    if (f->dates) {
        eng_field_stats *fs = &run->st.fields[i];
        if (r.format >= 0)
            fs->formats[r.format]++;
        fs->ambiguous_resolved += r.resolved;
    }
    return true;
}

/* Whether a present value is a missingValues token. Their lengths and first
 * bytes rule out most values before the call. */
static inline bool missing_token(const eng_run *run, const eng_value *v)
{
    return val_maybe_missing(run->rules, v->p, v->n) &&
           val_missing_listed(run->rules, v->p, v->n);
}

/* What eng_check_values found of a value on the quick path. */
typedef enum { Q_NOT_ASKED, Q_MISSING, Q_REFUSED, Q_PASSED } quick_answer;

/* Cleans and checks field i's value v, knowing q. */
static assay_status check_one(eng_run *run, size_t i, eng_value *v, uint64_t line,
                              quick_answer q)
{
    const rules_field *f = &run->rules->fields[i];
    eng_field_stats *fs = &run->st.fields[i];
    size_t before = run->nviol;
    assay_status st = clean_value(run, i, v, line);
    if (st)
        return st;
    v->missing = q == Q_MISSING ||
                 (q == Q_NOT_ASKED &&
                  (!v->present || (v->absent && !v->changed) || missing_token(run, v)));
    if (v->missing) {
        fs->missing++;
        if (f->required)
            st = eng_add_violation(run, (int)i, ER_REQUIRED, f->severity, v->p, v->n,
                                   v->present && !v->absent,
                                   v->present ? "required value is missing"
                                              : "required column \"%s\" is absent",
                                   f->name);
    } else if (q == Q_PASSED) {
        v->type_ok = true;
        if (run->fplan[i].after)
            st = check_after(run, i, v, line);
    } else
        st = check_present(run, i, v, line);
    for (size_t k = before; k < run->nviol; k++) {
        fs->violations[run->viol[k].rule]++;
        run->viol[k].counts_only = f->mostly > 0; /* judged over the run */
    }
    if (run->nviol > before) {
        fs->failed++;
        if (f->severity == RSEV_ERROR)
            fs->invalid++;
    }
    if (run->fplan[i].in_rules) /* only record rules read them */
        eng_expr_value(run, i, v);
    run->any_changed |= v->changed;
    return st;
}

/* Composite (or single-field, non-unique) primaryKey over typed values. */
static assay_status check_primary_key(eng_run *run)
{
    const struct assay_rules *r = run->rules;
    core_buf_clear(&run->pkkey);
    for (size_t k = 0; k < r->npk; k++) {
        const eng_value *v = &run->vals[r->primary_key[k]];
        if (v->missing || !v->type_ok)
            return ASSAY_OK;
        uint64_t len = v->key.len;
        if (core_buf_append(&run->pkkey, &len, sizeof len) ||
            core_buf_append(&run->pkkey, v->key.data, v->key.len))
            return ASSAY_E_NOMEM;
    }
    int dup;
    uint64_t first;
    assay_status st = key_seen(run, r->nfields, run->pkkey.data, run->pkkey.len, &dup,
                               &first);
    if (st || !dup)
        return st;
    run->st.structural[ER_PRIMARYKEY]++;
    st = eng_add_violation(run, -1, ER_PRIMARYKEY, RSEV_ERROR, NULL, 0, false,
                           "duplicate primary key: first seen in record %llu",
                           (unsigned long long)first);
    if (!st) {
        run->viol[run->nviol - 1].label = run->pk_label;
        run->viol[run->nviol - 1].label_len = strlen(run->pk_label);
    }
    return st;
}

assay_status eng_check_values(eng_run *run, const io_record *rec, const eng_input *in,
                              uint64_t line)
{
    const struct assay_rules *r = run->rules;
    assay_status st = ASSAY_OK;
    /* The reader's verdict, exact when true; else look byte by byte (0xC2 A9
     * is not a control character). */
    run->raw_ctl_free = rec->ctl_free ||
                        (!rec->doc && val_control_at(rec->raw, rec->raw_len) == rec->raw_len);
    run->raw_utf8 = !rec->bad_utf8;
    /* A CSV record without control characters: its values may take the
     * quick path. */
    const bool quick_rec = run->raw_ctl_free && !rec->doc;
    run->any_changed = false;
    const size_t nf = r->nfields;
    const ptrdiff_t *cols = in->col_of_field;
    for (size_t i = 0; i < nf && !st; i++) {
        eng_value *v = &run->vals[i];
        take_raw(v, rec, cols[i]);
        /* The usual value in brief: present, as read, passing, and nothing
         * to do after it (fp->lean). */
        const eng_fplan *fp = &run->fplan[i];
        quick_answer q = Q_NOT_ASKED;
        if (quick_rec && fp->quick && v->present)
            q = missing_token(run, v)       ? Q_MISSING
                : quick_pass(run, i, fp, v) ? Q_PASSED
                                            : Q_REFUSED;
        if (q == Q_PASSED && fp->lean) {
            v->type_ok = true;
            continue;
        }
        st = check_one(run, i, v, line, q);
    }
    if (!st && run->pk_keys)
        st = check_primary_key(run);
    if (!st && r->nrules)
        st = eng_check_rules(run);
    return st;
}
