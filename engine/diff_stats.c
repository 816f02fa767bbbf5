/* engine/diff_stats.c — `assay diff` of two check statistics files (`assay
 * check -s`): the quarantine rate of the run; per field its missing rate, its
 * quarantine rate (invalid / read) and the violation rate of each of its
 * rules (violations / read); per record rule and per record-level violation
 * their violation rate. Every rate is over records.read of its own file;
 * the deltas are new - baseline (docs/diff.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/diff.h"

static double count_of(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (double)v : 0;
}

static double rate(double part, double whole)
{
    return whole > 0 ? part / whole : 0;
}

typedef struct reads {
    double a, b;      /* records.read of baseline and new */
} reads;

/* One rate: metric `key` of the current entry, its table token and judged. */
static int judge_rate(eng_diff *d, const char *key, const char *label, double ra, double rb,
                      eng_dt k, bool absolute)
{
    json_t *m = eng_diff_triple(ra, rb);
    if (!m || json_object_set_new(json_object_get(d->cur, "metrics"), key, m))
        return -1;
    eng_diff_text(d, "%s %.4f->%.4f", label, ra, rb);
    return eng_diff_judge(d, k, absolute ? fabs(rb - ra) : rb - ra);
}

static int nomem_rc(eng_diff *d)
{
    snprintf(d->err->message, sizeof d->err->message, "%s", assay_strerror(ASSAY_E_NOMEM));
    d->err->status = ASSAY_E_NOMEM;
    return -1;
}

static int records(eng_diff *d, json_t *a, json_t *b, reads r)
{
    json_t *ra = json_object_get(a, "records"), *rb = json_object_get(b, "records");
    if (eng_diff_begin(d, d->rules, "records", "records", "compared") ||
        judge_rate(d, "quarantine_rate", "quarantined", rate(count_of(ra, "quarantined"), r.a),
                   rate(count_of(rb, "quarantined"), r.b), ENG_DT_QUARANTINE, false))
        return -1;
    eng_diff_text(d, "read %.0f->%.0f", r.a, r.b);
    return eng_diff_end(d);
}

/* One field present on both sides (either may be NULL: only on one side). */
static int field(eng_diff *d, const char *name, json_t *fa, json_t *fb, reads r)
{
    const char *status = !fa ? "added" : !fb ? "removed" : "compared";
    if (eng_diff_begin(d, d->fields, "field", name, status))
        return -1;
    if (!fa || !fb) {
        eng_diff_text(d, "%s", status);
        d->added += !fa;
        d->removed += !fb;
        return eng_diff_end(d);
    }
    d->compared++;
    if (judge_rate(d, "missing_rate", "missing", rate(count_of(fa, "missing"), r.a),
                   rate(count_of(fb, "missing"), r.b), ENG_DT_MISSING, true) ||
        judge_rate(d, "quarantine_rate", "invalid", rate(count_of(fa, "invalid"), r.a),
                   rate(count_of(fb, "invalid"), r.b), ENG_DT_QUARANTINE, false))
        return -1;
    json_t *va = json_object_get(fa, "violations"), *vb = json_object_get(fb, "violations");
    json_t *m = json_object(), *v;
    const char *rule;
    if (!m || json_object_set_new(json_object_get(d->cur, "metrics"), "violation_rate", m))
        return -1;
    /* every rule of either side, the baseline's first */
    for (int side = 0; side < 2; side++)
        json_object_foreach(side ? vb : va, rule, v) {
            if (side && json_object_get(va, rule))
                continue;
            double x = rate(count_of(va, rule), r.a), y = rate(count_of(vb, rule), r.b);
            if (json_object_set_new(m, rule, eng_diff_triple(x, y)))
                return -1;
            eng_diff_text(d, "%s %+.4f", rule, y - x);
            if (eng_diff_judge(d, ENG_DT_VIOLATION, y - x))
                return -1;
        }
    return eng_diff_end(d);
}

/* Record rules (rules.R.violations) or record-level violations (R: count). */
static int rule_rates(eng_diff *d, json_t *sa, json_t *sb, const char *kind, bool nested,
                      reads r)
{
    const char *name;
    json_t *v;
    for (int side = 0; side < 2; side++)
        json_object_foreach(side ? sb : sa, name, v) {
            if (side && json_object_get(sa, name))
                continue;
            json_t *xa = json_object_get(sa, name), *xb = json_object_get(sb, name);
            double ca = nested ? count_of(xa, "violations")
                               : (double)(json_integer_value(xa) > 0 ? json_integer_value(xa) : 0);
            double cb = nested ? count_of(xb, "violations")
                               : (double)(json_integer_value(xb) > 0 ? json_integer_value(xb) : 0);
            const char *status = !xa ? "added" : !xb ? "removed" : "compared";
            if (eng_diff_begin(d, d->rules, kind, name, status) ||
                judge_rate(d, "violation_rate", kind, rate(ca, r.a), rate(cb, r.b),
                           ENG_DT_VIOLATION, false) ||
                eng_diff_end(d))
                return -1;
        }
    return 0;
}

assay_status eng_diff_stats(eng_diff *d, json_t *a, json_t *b)
{
    reads r = {count_of(json_object_get(a, "records"), "read"),
               count_of(json_object_get(b, "records"), "read")};
    json_t *fa = json_object_get(a, "fields"), *fb = json_object_get(b, "fields"), *v;
    const char *name;
    d->rules = json_array();
    if (!d->rules || json_object_set_new(d->report, "rules", d->rules))
        return nomem_rc(d), ASSAY_E_NOMEM;
    if (records(d, a, b, r))
        return nomem_rc(d), ASSAY_E_NOMEM;
    json_object_foreach(fa, name, v)
        if (field(d, name, v, json_object_get(fb, name), r))
            return nomem_rc(d), ASSAY_E_NOMEM;
    json_object_foreach(fb, name, v)
        if (!json_object_get(fa, name) && field(d, name, NULL, v, r))
            return nomem_rc(d), ASSAY_E_NOMEM;
    if (rule_rates(d, json_object_get(a, "rules"), json_object_get(b, "rules"), "rule", true,
                   r) ||
        rule_rates(d, json_object_get(a, "record_violations"),
                   json_object_get(b, "record_violations"), "record", false, r))
        return nomem_rc(d), ASSAY_E_NOMEM;
    return ASSAY_OK;
}
