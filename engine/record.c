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
#include "validators/number.h"
#include "validators/string.h"

static const char *const rule_names[ER_COUNT] = {
    "required", "type", "pattern", "enum", "minimum", "maximum", "minLength",
    "maxLength", "unique", "primaryKey", "blank_row", "extra_cell",
    "missing_cell", "malformed", "encoding", "control_chars", "record_too_large",
    "header", "extra_field", "unwritable",
};

const char *eng_rule_name(eng_rule r)
{
    return r < ER_COUNT ? rule_names[r] : "unknown";
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

/* The field's value in this record, before cleaning. */
static void take_raw(eng_value *v, const io_record *rec, ptrdiff_t col)
{
    v->present = col >= 0 && (size_t)col < rec->nfields;
    v->raw = v->present ? rec->fields[col].p : NULL;
    v->raw_n = v->present ? rec->fields[col].n : 0;
    v->p = v->raw;
    v->n = v->raw_n;
    v->changed = false;
    v->missing = false;
    v->type_ok = false;
}

static assay_status clean_value(eng_run *run, size_t i, eng_value *v,
                                uint64_t line)
{
    const rules_field *f = &run->rules->fields[i];
    if (run->opts->no_clean || !f->nclean || !v->present)
        return ASSAY_OK;
    uint32_t steps = 0;
    assay_status st = val_clean_apply(f, run->rules, v->raw, v->raw_n, &v->clean,
                                      &v->p, &v->n, &steps);
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

/* Type check; on success fills the value's canonical key for uniqueness. */
static bool check_type(const rules_field *f, eng_value *v)
{
    char buf[VAL_INT64_BUF];
    size_t len;
    core_buf_clear(&v->key);
    switch (f->type) {
    case RT_INTEGER:
        if (!val_integer_parse(v->p, v->n, &v->ival))
            return false;
        len = val_integer_key(v->ival, buf);
        return core_buf_append(&v->key, buf, len) == ASSAY_OK;
    case RT_NUMBER:
        if (!val_number_parse(v->p, v->n, &v->dec))
            return false;
        if (core_buf_reserve(&v->key, VAL_CANON_CAP(v->n)))
            return false;
        v->key.len = val_dec_canon(&v->dec, v->key.data, VAL_CANON_CAP(v->n));
        return true;
    case RT_BOOLEAN: {
        int b = val_boolean_parse(v->p, v->n, f);
        if (b < 0)
            return false;
        return core_buf_puts(&v->key, b ? "true" : "false") == ASSAY_OK;
    }
    default:
        return core_buf_append(&v->key, v->p, v->n) == ASSAY_OK;
    }
}

static assay_status check_bounds(eng_run *run, size_t i, const eng_value *v,
                                 const val_bounds *b)
{
    const rules_field *f = &run->rules->fields[i];
    val_bound_result r = VAL_BOUND_OK;
    if (f->type == RT_INTEGER)
        r = val_bounds_check_int(b, v->ival);
    else if (f->type == RT_NUMBER)
        r = val_bounds_check_dec(b, &v->dec);
    if (r == VAL_BOUND_OK)
        return ASSAY_OK;
    char msg[256];
    val_bound_message(f, r, msg, sizeof msg);
    return eng_add_violation(run, (int)i, r == VAL_BOUND_BELOW_MIN ? ER_MINIMUM : ER_MAXIMUM,
                             f->severity, v->p, v->n, true, "%s", msg);
}

static assay_status check_pattern(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    int rc = 0;
    int m = val_pattern_match_rc(f, run->md, v->p, v->n, &rc);
    if (m == 1)
        return ASSAY_OK;
    if (m == 0)
        return eng_add_violation(run, (int)i, ER_PATTERN, f->severity, v->p, v->n, true,
                                 "does not match pattern %s", f->pattern_src);
    char err[160];
    return eng_add_violation(run, (int)i, ER_PATTERN, f->severity, v->p, v->n, true,
                             "pattern %s could not be matched: %s", f->pattern_src,
                             val_pattern_error(rc, err, sizeof err));
}

static assay_status check_enum(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    /* Integer and number enums hold canonical keys: typed values compare. */
    bool typed = f->type == RT_INTEGER || f->type == RT_NUMBER;
    bool ok = typed ? rules_enum_has(f->enumset, v->key.data, v->key.len)
                    : val_enum_has(f, v->p, v->n);
    if (ok)
        return ASSAY_OK;
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

static assay_status check_length(eng_run *run, size_t i, const eng_value *v)
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

static assay_status check_unique(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    eng_keyset *ks = run->field_keys[i];
    if (!ks)
        return ASSAY_OK;
    int dup;
    uint64_t first;
    assay_status st = eng_keyset_insert(ks, v->key.data, v->key.len, run->record_no,
                                        &dup, &first);
    if (st == ASSAY_E_LIMIT) {
        snprintf(run->err->message, sizeof run->err->message,
                 "more than %llu distinct keys for unique field \"%s\" "
                 "(raise --max-unique-keys; each key costs about 44 bytes plus its length)",
                 (unsigned long long)run->unique_limit, f->name);
        return st;
    }
    if (st || !dup)
        return st;
    eng_rule rule = f->unique ? ER_UNIQUE : ER_PRIMARYKEY;
    return eng_add_violation(run, (int)i, rule, f->severity, v->p, v->n, true,
                             "duplicate value: first seen in record %llu",
                             (unsigned long long)first);
}

static assay_status check_constraints(eng_run *run, size_t i, const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    assay_status st = ASSAY_OK;
    if (f->pattern)
        st = check_pattern(run, i, v);
    if (!st && f->enumset)
        st = check_enum(run, i, v);
    if (!st && (run->bounds[i].has_min || run->bounds[i].has_max))
        st = check_bounds(run, i, v, &run->bounds[i]);
    if (!st && (f->min_length >= 0 || f->max_length >= 0))
        st = check_length(run, i, v);
    if (!st)
        st = check_unique(run, i, v);
    return st;
}

static assay_status check_one(eng_run *run, size_t i, eng_value *v, uint64_t line)
{
    const rules_field *f = &run->rules->fields[i];
    eng_field_stats *fs = &run->st.fields[i];
    size_t before = run->nviol;
    assay_status st = clean_value(run, i, v, line);
    if (st)
        return st;
    v->missing = !v->present || val_is_missing(run->rules, v->p, v->n);
    if (v->missing) {
        fs->missing++;
        if (f->required)
            st = eng_add_violation(run, (int)i, ER_REQUIRED, f->severity, v->p, v->n,
                                   v->present,
                                   v->present ? "required value is missing"
                                              : "required column \"%s\" is absent",
                                   f->name);
    } else if (!(v->type_ok = check_type(f, v))) {
        st = eng_add_violation(run, (int)i, ER_TYPE, f->severity, v->p, v->n, true,
                               "%s", type_message(f->type));
    } else {
        st = check_constraints(run, i, v);
    }
    for (size_t k = before; k < run->nviol; k++)
        fs->violations[run->viol[k].rule]++;
    if (run->nviol > before && f->severity == RSEV_ERROR)
        fs->invalid++;
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
    assay_status st = eng_keyset_insert(run->pk_keys, run->pkkey.data, run->pkkey.len,
                                        run->record_no, &dup, &first);
    if (st == ASSAY_E_LIMIT)
        snprintf(run->err->message, sizeof run->err->message,
                 "more than %llu distinct primary keys (raise --max-unique-keys; "
                 "each key costs about 44 bytes plus its length)",
                 (unsigned long long)run->unique_limit);
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
    for (size_t i = 0; i < r->nfields && !st; i++) {
        eng_value *v = &run->vals[i];
        take_raw(v, rec, in->col_of_field[i]);
        st = check_one(run, i, v, line);
    }
    if (!st && run->pk_keys)
        st = check_primary_key(run);
    return st;
}
