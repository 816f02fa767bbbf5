/* engine/report.c — the machine outputs: errors NDJSON (-e), changes NDJSON
 * (-c), statistics JSON (-s), and the top violations for the summary. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonmem.h"
#include "engine/engine.h"
#include "engine/machine_reports.h"
#include "io/decode.h"

#define ERRORS_VERSION 1
#define STATS_VERSION 1
#define VALUE_MAX 256 /* bytes of a value written to the errors file */

static assay_status put_head(core_buf *b, const eng_run *run, uint64_t record,
                             uint64_t line)
{
    bool bad = false;
    bad |= core_buf_printf(b, "{\"record\":%llu,\"line\":%llu", (unsigned long long)record,
                    (unsigned long long)line) != ASSAY_OK;
    if (run->input_label) {
        bad |= core_buf_puts(b, ",\"input\":") != ASSAY_OK;
        bad |= core_buf_json_str(b, run->input_label, strlen(run->input_label)) != ASSAY_OK;
    }
    return bad ? ASSAY_E_NOMEM : ASSAY_OK;
}

/* The counter of errors lines a violation's (field, rule) has: fields (and
 * -1, record level) times rules, then the record rules. */
static size_t cap_counter(const eng_run *run, const eng_violation *v)
{
    if (v->rule == ER_RECORD_RULE)
        return (run->rules->nfields + 1) * ER_COUNT + v->rule_index;
    return (size_t)(v->field + 1) * ER_COUNT + v->rule;
}

bool eng_over_cap(eng_run *run, size_t counter)
{
    uint64_t cap = run->opts->max_errors_per_rule;
    if (!cap)
        return false;
    size_t fields = (run->rules->nfields + 1) * ER_COUNT;
    uint64_t *n = counter >= fields ? &run->rule_errs_written[counter - fields]
                                    : &run->errs_written[counter];
    if (*n >= cap)
        return true;
    (*n)++;
    return false;
}

static double viol_mostly(const eng_run *run, const eng_violation *v)
{
    if (v->rule == ER_RECORD_RULE)
        return run->rules->rules[v->rule_index].mostly;
    return v->field >= 0 ? run->rules->fields[v->field].mostly : 0;
}

/* Every append is checked: a line cut short would be invalid NDJSON. */
static assay_status put_violation(core_buf *b, const eng_run *run, const eng_violation *v)
{
    bool bad = false;
    bad |= core_buf_puts(b, ",\"field\":") != ASSAY_OK;
    if (v->field >= 0) {
        const rules_field *f = &run->rules->fields[v->field];
        bad |= core_buf_json_str(b, f->name, f->name_len) != ASSAY_OK;
    } else if (v->label)
        bad |= core_buf_json_str(b, v->label, v->label_len) != ASSAY_OK;
    else
        bad |= core_buf_puts(b, "null") != ASSAY_OK;
    bad |= core_buf_puts(b, ",\"rule\":") != ASSAY_OK;
    const char *rule = eng_viol_rule(run, v);
    bad |= core_buf_json_str(b, rule, strlen(rule)) != ASSAY_OK;
    bad |= core_buf_puts(b, ",\"value\":") != ASSAY_OK;
    if (!v->has_value)
        bad |= core_buf_puts(b, "null") != ASSAY_OK;
    else {
        const char *value = eng_viol_value(run, v);
        size_t n = v->value_len > VALUE_MAX ? VALUE_MAX : v->value_len;
        /* Do not cut a UTF-8 sequence in half. */
        while (n < v->value_len && n > 0 && ((unsigned char)value[n] & 0xC0) == 0x80)
            n--;
        bad |= core_buf_json_str(b, value, n) != ASSAY_OK;
        if (n < v->value_len)
            bad |= core_buf_puts(b, ",\"truncated\":true") != ASSAY_OK;
    }
    bad |= core_buf_printf(b, ",\"severity\":\"%s\",\"message\":",
                    v->sev == RSEV_WARN ? "warn" : "error") != ASSAY_OK;
    bad |= core_buf_json_str(b, run->msgs.data + v->msg_off, v->msg_len) != ASSAY_OK;
    if (v->counts_only) /* a "mostly" check: judged over the run */
        bad |= core_buf_printf(b, ",\"mostly\":%g", viol_mostly(run, v)) != ASSAY_OK;
    bad |= core_buf_printf(b, ",\"errors_version\":%d}\n", ERRORS_VERSION) != ASSAY_OK;
    return bad ? ASSAY_E_NOMEM : ASSAY_OK;
}

assay_status eng_write_violations(eng_run *run, uint64_t record, uint64_t line)
{
    if (run->samples && run->nviol) { /* --junit: the first failing records */
        assay_status st = eng_samples_note(run, record, line);
        if (st)
            return st;
    }
    if (!run->errs || !run->nviol)
        return ASSAY_OK;
    core_buf *b = &run->jbuf;
    core_buf_clear(b);
    /* A worker writes every line; the ordered writer applies the cap. */
    bool inline_ = run->keymode == ENG_KEYS_INSERT;
    bool tag = !inline_ && run->opts->max_errors_per_rule;
    for (size_t k = 0; k < run->nviol; k++) {
        const eng_violation *v = &run->viol[k];
        if (inline_ && eng_over_cap(run, cap_counter(run, v)))
            continue;
        size_t start = b->len;
        if (put_head(b, run, record, line) || put_violation(b, run, v))
            return ASSAY_E_NOMEM;
        if (tag && eng_pipe_tag(run, cap_counter(run, v), b->len - start))
            return ASSAY_E_NOMEM;
    }
    if (core_buf_nul(b))
        return ASSAY_E_NOMEM;
    return io_out_write(run->errs, b->data, b->len);
}

assay_status eng_write_change(eng_run *run, uint64_t record, uint64_t line, int field,
                              const char *step, const char *before, size_t bn,
                              const char *after, size_t an)
{
    core_buf *b = &run->jbuf;
    core_buf_clear(b);
    bool bad = put_head(b, run, record, line) != ASSAY_OK;
    const rules_field *f = &run->rules->fields[field];
    bad |= core_buf_puts(b, ",\"field\":") != ASSAY_OK;
    bad |= core_buf_json_str(b, f->name, f->name_len) != ASSAY_OK;
    bad |= core_buf_puts(b, ",\"step\":") != ASSAY_OK;
    bad |= core_buf_json_str(b, step, strlen(step)) != ASSAY_OK;
    bad |= core_buf_puts(b, ",\"before\":") != ASSAY_OK;
    bad |= core_buf_json_str(b, before, bn) != ASSAY_OK;
    bad |= core_buf_puts(b, ",\"after\":") != ASSAY_OK;
    bad |= core_buf_json_str(b, after, an) != ASSAY_OK;
    bad |= core_buf_puts(b, "}\n") != ASSAY_OK;
    if (bad || core_buf_nul(b))
        return ASSAY_E_NOMEM;
    return io_out_write(run->chg, b->data, b->len);
}

/* ---- statistics -------------------------------------------------------- */

static int set_u(json_t *o, const char *k, uint64_t v)
{
    return json_object_set_new(o, k, json_integer((json_int_t)v));
}

static json_t *records_json(const eng_stats *s)
{
    json_t *o = json_object();
    set_u(o, "read", s->read);
    set_u(o, "passed", s->passed);
    set_u(o, "quarantined", s->quarantined);
    set_u(o, "cleaned", s->cleaned);
    set_u(o, "skipped", s->skipped);
    set_u(o, "unparsed", s->unparsed);
    return o;
}

static json_t *names_json(char **names, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

/* The rules a field declares, so a zero shows that the check ran (the
 * statistics, JUnit test cases and metric series list them). */
bool eng_field_declares(const eng_run *run, size_t i, eng_rule r)
{
    const rules_field *f = &run->rules->fields[i];
    switch (r) {
    case ER_REQUIRED: return f->required;
    case ER_TYPE: return f->type != RT_STRING && f->type != RT_ANY;
    case ER_AMBIGUOUS_DATE: return f->dates && val_datefmts_count(f->dates) > 1;
    case ER_PATTERN: return f->pattern != NULL;
    case ER_ENUM: return f->enumset != NULL;
    case ER_MINIMUM:
        return run->bounds[i].has_min || (f->dates && val_datefmts_has_bounds(f->dates));
    case ER_MAXIMUM:
        return run->bounds[i].has_max || (f->dates && val_datefmts_has_bounds(f->dates));
    case ER_MINLENGTH: return f->min_length >= 0;
    case ER_MAXLENGTH: return f->max_length >= 0;
    case ER_UNIQUE: return f->unique;
    case ER_PRIMARYKEY: return run->field_keys[i] && !f->unique;
    case ER_MINITEMS: return f->min_items >= 0;
    case ER_MAXITEMS: return f->max_items >= 0;
    case ER_FORMAT: return f->strfmt != RF_NONE;
    default: return false;
    }
}

/* formats: values each format read; ambiguous_resolved: dates prefer chose. */
static void date_stats(const eng_run *run, size_t i, json_t *f)
{
    const val_datefmts *df = run->rules->fields[i].dates;
    json_t *fm = json_object();
    for (size_t k = 0; k < val_datefmts_count(df); k++)
        set_u(fm, val_datefmts_name(df, k), run->st.fields[i].formats[k]);
    json_object_set_new(f, "formats", fm);
    set_u(f, "ambiguous_resolved", run->st.fields[i].ambiguous_resolved);
}

static json_t *fields_json(const eng_run *run)
{
    json_t *o = json_object();
    for (size_t i = 0; i < run->rules->nfields; i++) {
        const eng_field_stats *fs = &run->st.fields[i];
        json_t *f = json_object(), *v = json_object();
        set_u(f, "missing", fs->missing);
        set_u(f, "invalid", fs->invalid);
        set_u(f, "cleaned", fs->cleaned);
        if (run->rules->fields[i].mostly > 0) /* what `assay merge` recomputes from */
            set_u(f, "failed", fs->failed);
        for (int r = 0; r < ER_COUNT; r++)
            if (fs->violations[r] || (r < ER_FIELD_RULES && r != ER_FORMAT &&
                                     eng_field_declares(run, i, (eng_rule)r)))
                set_u(v, eng_rule_name((eng_rule)r), fs->violations[r]);
        json_object_set_new(f, "violations", v);
        if (run->rules->fields[i].dates)
            date_stats(run, i, f);
        json_object_set_new(o, run->rules->fields[i].name, f);
    }
    return o;
}

static json_t *structure_json(const eng_run *run)
{
    json_t *o = json_object();
    for (int r = ER_FIELD_RULES; r < ER_COUNT; r++)
        if (run->st.structural[r])
            set_u(o, eng_rule_name((eng_rule)r), run->st.structural[r]);
    if (run->pk_keys)
        set_u(o, "primaryKey", run->st.structural[ER_PRIMARYKEY]);
    return o;
}

static json_t *thresholds_json(const eng_run *run)
{
    eng_threshold *t = calloc(eng_threshold_max(run), sizeof *t);
    size_t n = 0;
    json_t *a = json_array();
    if (!t) {
        core_json_note_nomem();
        return a;
    }
    eng_thresholds(run, t, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s}", "name", t[i].name);
        if (t[i].field)
            json_object_set_new(o, "field", json_string(t[i].field));
        if (t[i].rule)
            json_object_set_new(o, "rule", json_string(t[i].rule));
        json_object_set_new(o, "limit", json_real(t[i].limit));
        json_object_set_new(o, "actual", json_real(t[i].actual));
        json_object_set_new(o, "ok", json_boolean(t[i].ok));
        json_array_append_new(a, o);
    }
    free(t);
    return a;
}

static json_t *rules_json(const eng_run *run)
{
    json_t *o = json_object();
    for (size_t k = 0; k < run->rules->nrules; k++) {
        const rules_rule *rr = &run->rules->rules[k];
        json_t *r = json_object();
        set_u(r, "violations", run->st.rule_viol[k]);
        if (rr->mostly > 0)
            set_u(r, "applied", run->st.rule_eval[k]);
        json_object_set_new(o, rr->name, r);
    }
    return o;
}

/* The first input's encoding (all inputs share it) and how it was decided. */
static json_t *encoding_json(const eng_run *run)
{
    const io_decoding *d = run->ninputs && run->inputs[0].dec
                               ? io_decode_info(run->inputs[0].dec) : NULL;
    uint64_t invalid = 0;
    for (size_t k = 0; k < run->ninputs; k++)
        if (run->inputs[k].dec && !io_decode_is_utf8(run->inputs[k].dec))
            invalid += io_decode_invalid_sequences(run->inputs[k].dec);
    if (!d || d->utf8)
        invalid = run->st.invalid_sequences;
    json_t *o = json_object();
    json_object_set_new(o, "detected", json_string(d ? d->name : "UTF-8"));
    json_object_set_new(o, "decided_by",
                        json_string(d ? io_decided_by_name(d->decided_by) : "declared"));
    if (d && d->decided_by == IO_DECIDED_DETECTED)
        set_u(o, "confidence", (uint64_t)d->confidence);
    set_u(o, "invalid_sequences", invalid);
    return o;
}

static json_t *stats_json(const eng_run *run, double secs)
{
    json_t *o = json_object(), *in = json_array();
    json_object_set_new(o, "stats_version", json_integer(STATS_VERSION));
    json_object_set_new(o, "assay_version", json_string(ASSAY_VERSION));
    for (size_t k = 0; k < run->ninputs; k++)
        json_array_append_new(in, json_string(run->inputs[k].name));
    json_object_set_new(o, "inputs", in);
    json_object_set_new(o, "records", records_json(&run->st));
    json_object_set_new(o, "header", json_pack("{s:o, s:o}", "extra",
                        names_json(run->hdr_extra.name, run->hdr_extra.n), "missing",
                        names_json(run->hdr_missing.name, run->hdr_missing.n)));
    json_object_set_new(o, "fields", fields_json(run));
    json_object_set_new(o, "record_violations", structure_json(run));
    json_object_set_new(o, "rules", rules_json(run));
    json_object_set_new(o, "encoding", encoding_json(run));
    json_object_set_new(o, "thresholds", thresholds_json(run));
    double rps = secs > 0 ? (double)run->st.read / secs : 0;
    double bps = secs > 0 ? (double)run->st.bytes / secs : 0;
    json_object_set_new(o, "timing", json_pack("{s:f, s:I, s:I}", "seconds", secs,
                        "records_per_second", (json_int_t)rps, "bytes_per_second",
                        (json_int_t)bps));
    return o;
}

assay_status eng_write_stats(eng_run *run, double secs)
{
    core_json_watch(); /* the builders above check few results */
    json_t *o = stats_json(run, secs);
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                       JSON_REAL_PRECISION(12)) : NULL;
    json_decref(o);
    if (!text || core_json_failed()) {
        free(text);
        return ASSAY_E_NOMEM;
    }
    assay_status st = io_out_write(run->stats_out, text, strlen(text));
    if (!st)
        st = io_out_write(run->stats_out, "\n", 1);
    free(text);
    return st;
}

/* ---- summary ----------------------------------------------------------- */

static void consider(assay_check_result *res, const char *field, const char *rule,
                     uint64_t count)
{
    if (!count)
        return;
    size_t cap = sizeof res->top / sizeof *res->top;
    size_t pos = res->ntop;
    while (pos > 0 && res->top[pos - 1].count < count)
        pos--;
    if (pos >= cap)
        return;
    size_t end = res->ntop < cap ? res->ntop : cap - 1;
    memmove(&res->top[pos + 1], &res->top[pos], (end - pos) * sizeof *res->top);
    res->top[pos] = (assay_violation_count){field, rule, count};
    if (res->ntop < cap)
        res->ntop++;
}

void eng_fill_top(const eng_run *run, assay_check_result *res)
{
    res->ntop = 0;
    if (!run->st.fields)
        return;
    for (size_t i = 0; i < run->rules->nfields; i++)
        for (int r = 0; r < ER_COUNT; r++)
            consider(res, run->rules->fields[i].name, eng_rule_name((eng_rule)r),
                     run->st.fields[i].violations[r]);
    for (int r = ER_FIELD_RULES; r < ER_COUNT; r++)
        consider(res, "", eng_rule_name((eng_rule)r), run->st.structural[r]);
    if (run->pk_keys)
        consider(res, run->pk_label, "primaryKey", run->st.structural[ER_PRIMARYKEY]);
    for (size_t k = 0; k < run->rules->nrules; k++)
        consider(res, "", run->rules->rules[k].name, run->st.rule_viol[k]);
}
