/* engine/diff_profile.c — `assay diff` of two profiles: per field (matched by
 * name) the change in missing rate, distinct count, mean and quantiles, the
 * population stability index, new and vanished categories, new date formats
 * a changed inferred type and the drop in the share of values of the
 * baseline's dominant type. Formulas: docs/diff.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/diff.h"
#include "engine/merge_profile.h"
#include "stats/topk.h"

/* ---- PSI ----------------------------------------------------------------- */

double eng_psi(const double *base, const double *cur, size_t n)
{
    double psi = 0;
    for (size_t i = 0; i < n; i++) {
        double b = base[i] > ENG_PSI_EPSILON ? base[i] : ENG_PSI_EPSILON;
        double c = cur[i] > ENG_PSI_EPSILON ? cur[i] : ENG_PSI_EPSILON;
        psi += (c - b) * log(c / b);
    }
    return psi;
}

double eng_psi_numeric(const stats_kll *base, double base_share, const stats_kll *cur,
                       double cur_share)
{
    double edges[ENG_PSI_BINS], pb[ENG_PSI_BINS + 1], pc[ENG_PSI_BINS + 1];
    size_t ne = 0;
    if (!base || stats_kll_count(base) == 0)
        return NAN;
    for (int i = 1; i < ENG_PSI_BINS; i++) {
        double e = NAN;
        if (stats_kll_quantile_at(base, (double)i / ENG_PSI_BINS, &e) != 0)
            return -1; /* out of memory */
        if (!isnan(e) && (ne == 0 || e > edges[ne - 1]))
            edges[ne++] = e;
    }
    bool cur_any = cur && stats_kll_count(cur) > 0;
    double rb = 0, rc = 0;
    for (size_t i = 0; i <= ne; i++) {
        double nb = i < ne ? stats_kll_rank(base, edges[i]) : 1.0;
        double nc = !cur_any ? 0 : i < ne ? stats_kll_rank(cur, edges[i]) : 1.0;
        pb[i] = (nb - rb) * base_share;
        pc[i] = (nc - rc) * (cur_any ? cur_share : 0);
        rb = nb;
        rc = nc;
    }
    /* the values that are not numbers */
    pb[ne + 1] = 1 - base_share;
    pc[ne + 1] = 1 - (cur_any ? cur_share : 0);
    return eng_psi(pb, pc, ne + 2);
}

/* The count of value v in t's items (0 when t does not hold it). */
static uint64_t count_in(const stats_topk_item *items, size_t n, const char *v, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].len == len && memcmp(items[i].value, v, len) == 0)
            return items[i].count;
    return 0;
}

static size_t list_all(const stats_topk *t, stats_topk_item **out)
{
    json_t *j = stats_topk_to_json(t);
    size_t cap = j ? json_array_size(json_object_get(j, "items")) : 0;
    json_decref(j);
    /* Out of memory: no list, which the callers take as such (an empty
     * one would make every value look new). */
    *out = j ? calloc(cap + 1, sizeof **out) : NULL;
    return *out ? stats_topk_list(t, *out, cap) : 0;
}

double eng_psi_categorical(const stats_topk *base, const stats_topk *cur)
{
    double pb[ENG_PSI_TOP + 1], pc[ENG_PSI_TOP + 1];
    stats_topk_item top[ENG_PSI_TOP], *all = NULL;
    uint64_t tb = base ? stats_topk_total(base) : 0, tc = cur ? stats_topk_total(cur) : 0;
    if (tb == 0)
        return NAN;
    size_t n = stats_topk_list(base, top, ENG_PSI_TOP);
    size_t nall = cur ? list_all(cur, &all) : 0;
    if (cur && !all)
        return -1; /* out of memory */
    double sb = 0, sc = 0;
    for (size_t i = 0; i < n; i++) {
        pb[i] = (double)top[i].count / (double)tb;
        pc[i] = tc ? (double)count_in(all, nall, top[i].value, top[i].len) / (double)tc : 0;
        sb += pb[i];
        sc += pc[i];
    }
    free(all);
    pb[n] = sb < 1 ? 1 - sb : 0;
    pc[n] = sc < 1 ? 1 - sc : 0;
    return eng_psi(pb, pc, n + 1);
}

/* ---- type share ---------------------------------------------------------- */

static uint64_t ucount(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* Non-missing values: every one reads as a string; older documents without
 * that count: count - missing. */
static uint64_t nonmissing_of(const json_t *f)
{
    json_t *types = json_object_get(f, "types");
    uint64_t count = ucount(f, "count"), missing = ucount(f, "missing");
    return json_object_get(types, "string") ? ucount(types, "string")
           : count > missing                ? count - missing
                                            : 0;
}

double eng_type_share(const json_t *f, const char *type)
{
    uint64_t n = nonmissing_of(f);
    return n ? (double)ucount(json_object_get(f, "types"), type) / (double)n : NAN;
}

const char *eng_dominant_type(const json_t *f, double *share)
{
    static const char *const candidates[] = {"integer", "number", "boolean",
                                             "date",    "datetime", "time"};
    const char *best = NULL;
    double top = NAN;
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        double s = eng_type_share(f, candidates[i]);
        if (!isnan(s) && (isnan(top) || s > top)) {
            top = s;
            best = candidates[i];
        }
    }
    *share = top;
    return !isnan(top) && top >= ENG_TYPE_SHARE_MIN ? best : NULL;
}

/* ---- one field ---------------------------------------------------------- */

typedef struct side {
    json_t *f;
    uint64_t count, missing, nonmissing, ncount;
    bool id_like;          /* baseline: more than ENG_ID_LIKE_SHARE distinct */
    stats_kll *kll;
    stats_topk *top;
} side;

static void side_free(side *s)
{
    stats_kll_free(s->kll);
    stats_topk_free(s->top);
}

static assay_status side_load(eng_diff *d, side *s, json_t *f, const char *which)
{
    char why[160];
    memset(s, 0, sizeof *s);
    s->f = f;
    s->count = ucount(f, "count");
    s->missing = ucount(f, "missing");
    s->nonmissing = nonmissing_of(f);
    double distinct = (double)ucount(json_object_get(f, "distinct"), "estimate");
    s->id_like = s->nonmissing > 0 && distinct > ENG_ID_LIKE_SHARE * (double)s->nonmissing;
    json_t *num = json_object_get(f, "numeric");
    s->ncount = ucount(num, "count");
    json_t *sk = json_object_get(num, "sketch");
    if (s->ncount && !(s->kll = stats_kll_from_json(sk, why, sizeof why))) {
        snprintf(d->err->message, sizeof d->err->message, "%s: field %s: numeric.sketch: %s",
                 which, json_string_value(json_object_get(f, "name")), sk ? why : "missing");
        return d->err->status = sk && strstr(why, "out of memory") ? ASSAY_E_NOMEM
                                                                  : ASSAY_E_USAGE;
    }
    sk = json_object_get(f, "top_sketch");
    if (json_is_object(sk) && !(s->top = stats_topk_from_json(sk, why, sizeof why))) {
        snprintf(d->err->message, sizeof d->err->message, "%s: field %s: top_sketch: %s",
                 which, json_string_value(json_object_get(f, "name")), why);
        /* The sketches say "out of memory" in why: exit 3, not a bad file. */
        return d->err->status = strstr(why, "out of memory") ? ASSAY_E_NOMEM : ASSAY_E_USAGE;
    }
    return ASSAY_OK;
}

static double rate(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0;
}

static int set_metric(eng_diff *d, const char *key, json_t *v)
{
    return !v || json_object_set_new(json_object_get(d->cur, "metrics"), key, v) ? -1 : 0;
}

static int missing_and_distinct(eng_diff *d, const side *a, const side *b)
{
    double ma = rate(a->missing, a->count), mb = rate(b->missing, b->count);
    eng_diff_text(d, "missing %+.4f", mb - ma);
    if (set_metric(d, "missing_rate", eng_diff_triple(ma, mb)) ||
        eng_diff_judge(d, ENG_DT_MISSING, fabs(mb - ma)))
        return -1;
    json_t *da = json_object_get(a->f, "distinct"), *db = json_object_get(b->f, "distinct");
    double ea = (double)ucount(da, "estimate"), eb = (double)ucount(db, "estimate");
    /* A field of many distinct values (ids, e-mails: a tenth or more of its
     * values distinct) grows with the data: its distinct share is compared.
     * A field of few (categories) is compared by count: a new category is a
     * change whatever the size. */
    double va = (double)(a->count - a->missing), vb = (double)(b->count - b->missing);
    bool scaled = va > 0 && vb > 0 && ea / va >= 0.1;
    double ratio = ea > 0 ? (scaled ? (eb / vb) / (ea / va) : eb / ea) : NAN;
    json_t *m = eng_diff_triple(ea, eb);
    if (m && (json_object_set_new(m, "ratio", isfinite(ratio) ? json_real(ratio) : json_null()) ||
              json_object_set_new(m, "per_value", json_boolean(scaled))))
        return -1;
    if (isfinite(ratio))
        eng_diff_text(d, "distinct x%.3g", ratio);
    return set_metric(d, "distinct", m) ||
           eng_diff_judge(d, ENG_DT_DISTINCT, ratio > 0 ? fmax(ratio, 1 / ratio) : NAN);
}

/* Judges k unless the field is id-like and has no limit of its own. */
static int judge_unless_id(eng_diff *d, const side *a, eng_dt k, double v)
{
    return a->id_like && !eng_diff_own_limit(d, k) ? 0 : eng_diff_judge(d, k, v);
}

static int numeric(eng_diff *d, const side *a, const side *b)
{
    json_t *na = json_object_get(a->f, "numeric"), *nb = json_object_get(b->f, "numeric");
    if (!a->ncount || !b->ncount)
        return 0;
    double ma = json_number_value(json_object_get(na, "mean"));
    double mb = json_number_value(json_object_get(nb, "mean"));
    double sd = json_number_value(json_object_get(na, "stddev"));
    double shift = sd > 0 ? fabs(mb - ma) / sd : (mb == ma ? 0 : INFINITY);
    json_t *m = eng_diff_triple(ma, mb);
    if (!m || json_object_set_new(m, "shift_sd", isfinite(shift) ? json_real(shift)
                                                                  : json_null()) ||
        set_metric(d, "mean", m))
        return -1;
    eng_diff_text(d, "mean %+.4g", mb - ma);
    if (judge_unless_id(d, a, ENG_DT_MEAN, shift))
        return -1;
    json_t *q = json_object(), *qa = json_object_get(na, "quantiles");
    const char *key;
    json_t *v;
    if (!q || set_metric(d, "quantiles", q))
        return -1;
    json_object_foreach(qa, key, v) {
        json_t *w = json_object_get(json_object_get(nb, "quantiles"), key);
        double x = json_is_number(v) ? json_number_value(v) : NAN;
        double y = json_is_number(w) ? json_number_value(w) : NAN;
        if (json_object_set_new(q, key, eng_diff_triple(x, y)))
            return -1;
        if (strcmp(key, "p50") == 0 && isfinite(x) && isfinite(y))
            eng_diff_text(d, "p50 %+.4g", y - x);
    }
    return 0;
}

static int psi(eng_diff *d, const side *a, const side *b)
{
    bool num = a->kll && a->nonmissing && 2 * a->ncount >= a->nonmissing;
    double v = num ? eng_psi_numeric(a->kll, rate(a->ncount, a->nonmissing), b->kll,
                                     rate(b->ncount, b->nonmissing))
                   : eng_psi_categorical(a->top, b->top);
    if (v < 0) /* out of memory */
        return -1;
    if (isnan(v))
        return 0;
    json_t *m = json_pack("{s:f, s:s}", "value", v, "method", num ? "deciles" : "top values");
    eng_diff_text(d, "psi %.4f", v);
    return set_metric(d, "psi", m) || judge_unless_id(d, a, ENG_DT_PSI, v);
}

/* Values of one's top list that other's exact sketch does not hold. */
static json_t *absent_values(const side *one, const side *other)
{
    json_t *a = json_array();
    stats_topk_item top[ENG_PSI_TOP], *all = NULL;
    if (!a || !one->top || !other->top || !stats_topk_exact(other->top))
        return a;
    size_t n = stats_topk_list(one->top, top, ENG_PSI_TOP);
    size_t nall = list_all(other->top, &all);
    for (size_t i = 0; all && i < n; i++)
        if (!count_in(all, nall, top[i].value, top[i].len) &&
            json_array_append_new(a, json_stringn(top[i].value, top[i].len))) {
            json_decref(a);
            a = NULL;
            break;
        }
    if (!all) {
        json_decref(a);
        a = NULL;
    }
    free(all);
    return a;
}

static int categories(eng_diff *d, const side *a, const side *b)
{
    json_t *added = absent_values(b, a), *gone = absent_values(a, b);
    if (!added || !gone || set_metric(d, "new_categories", added) ||
        set_metric(d, "vanished_categories", gone)) {
        json_decref(added);
        json_decref(gone);
        return -1;
    }
    bool judged = a->top && b->top && stats_topk_exact(a->top);
    if (json_array_size(added))
        eng_diff_text(d, "new %s%s", json_string_value(json_array_get(added, 0)),
                      json_array_size(added) > 1 ? ",..." : "");
    if (json_array_size(gone))
        eng_diff_text(d, "vanished %s%s", json_string_value(json_array_get(gone, 0)),
                      json_array_size(gone) > 1 ? ",..." : "");
    return judged ? eng_diff_judge(d, ENG_DT_NEW_CATEGORIES, (double)json_array_size(added))
                  : 0;
}

static int formats_and_type(eng_diff *d, const side *a, const side *b)
{
    json_t *fa = json_object_get(a->f, "date_formats"), *fb = json_object_get(b->f, "date_formats");
    json_t *added = json_array(), *v;
    const char *key;
    if (!added || set_metric(d, "new_date_formats", added))
        return -1;
    json_object_foreach(fb, key, v)
        if (json_integer_value(v) > 0 && json_integer_value(json_object_get(fa, key)) <= 0) {
            if (json_array_append_new(added, json_string(key)))
                return -1;
            eng_diff_text(d, "format %s", key);
        }
    if (eng_diff_judge(d, ENG_DT_NEW_DATE_FORMATS, (double)json_array_size(added)))
        return -1;
    const char *ta = json_string_value(json_object_get(a->f, "inferred"));
    const char *tb = json_string_value(json_object_get(b->f, "inferred"));
    bool changed = ta && tb && strcmp(ta, tb) != 0;
    if (set_metric(d, "inferred", json_pack("{s:s?, s:s?, s:b}", "baseline", ta, "new", tb,
                                            "changed", changed)))
        return -1;
    if (changed)
        eng_diff_text(d, "type %s->%s", ta, tb);
    return eng_diff_judge(d, ENG_DT_TYPE, changed ? 1 : 0);
}

/* The share of non-missing values of the baseline's dominant type on both
 * sides; judged: the drop baseline - new. */
static int type_share(eng_diff *d, const side *a, const side *b)
{
    double sa;
    const char *type = eng_dominant_type(a->f, &sa);
    if (!type)
        return 0;
    double sb = eng_type_share(b->f, type);
    json_t *m = eng_diff_triple(sa, sb);
    if (m && json_object_set_new(m, "type", json_string(type))) {
        json_decref(m);
        return -1;
    }
    if (set_metric(d, "type_share", m))
        return -1;
    if (isnan(sb))
        return 0;
    eng_diff_text(d, "%s share %+.4f", type, sb - sa);
    return eng_diff_judge(d, ENG_DT_TYPE_SHARE, sa - sb);
}

static assay_status compare_field(eng_diff *d, json_t *fa, json_t *fb)
{
    side a, b;
    const char *name = json_string_value(json_object_get(fa, "name"));
    assay_status st = side_load(d, &a, fa, "baseline");
    if (st)
        return st;
    if ((st = side_load(d, &b, fb, "new"))) {
        side_free(&a);
        return st;
    }
    int rc = eng_diff_begin(d, d->fields, "field", name, "compared");
    if (!rc && a.id_like) {
        eng_diff_text(d, "id-like");
        rc = set_metric(d, "id_like", json_true());
    }
    if (!rc)
        rc = missing_and_distinct(d, &a, &b);
    if (!rc)
        rc = numeric(d, &a, &b);
    if (!rc)
        rc = psi(d, &a, &b);
    if (!rc)
        rc = categories(d, &a, &b);
    if (!rc)
        rc = formats_and_type(d, &a, &b);
    if (!rc)
        rc = type_share(d, &a, &b);
    if (!rc)
        rc = eng_diff_end(d);
    side_free(&a);
    side_free(&b);
    d->compared++;
    if (rc) {
        snprintf(d->err->message, sizeof d->err->message, "%s",
                 assay_strerror(ASSAY_E_NOMEM));
        return d->err->status = ASSAY_E_NOMEM;
    }
    return ASSAY_OK;
}

static json_t *find(json_t *fields, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *n = json_string_value(json_object_get(f, "name"));
        if (n && strcmp(n, name) == 0)
            return f;
    }
    return NULL;
}

static assay_status one_side(eng_diff *d, const char *name, const char *status)
{
    if (eng_diff_begin(d, d->fields, "field", name, status))
        return ASSAY_E_NOMEM;
    eng_diff_text(d, "%s", status);
    return eng_diff_end(d) ? ASSAY_E_NOMEM : ASSAY_OK;
}

assay_status eng_diff_profiles(eng_diff *d, json_t *base, json_t *cur)
{
    json_t *fa = json_object_get(base, "fields"), *fb = json_object_get(cur, "fields"), *f;
    size_t i;
    assay_status st = ASSAY_OK;
    json_array_foreach(fa, i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!name)
            continue;
        json_t *other = find(fb, name);
        st = other ? compare_field(d, f, other) : one_side(d, name, "removed");
        d->removed += !other;
        if (st)
            return st;
    }
    json_array_foreach(fb, i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!name || find(fa, name))
            continue;
        d->added++;
        if ((st = one_side(d, name, "added")))
            return st;
    }
    return ASSAY_OK;
}
