/* engine/merge_profile.c — `assay merge` of profile documents: the profiles of
 * shards of one data set combined into the profile of the whole.
 *
 * records, bytes and every count of a field (count, missing, missing_tokens,
 * types, date_formats, whitespace, non_ascii, invalid_encoding, and any count
 * a later profile adds) sum exactly; inputs are concatenated; fields match by
 * name, in first-seen order, and a field only some shards have keeps the
 * counts of those shards. numeric count/min/max are exact and mean/stddev are
 * combined exactly from each shard's count, mean and variance (the parallel
 * formula); quantiles come from the merged KLL sketch, distinct from the
 * merged stats_distinct, top values and shapes from the merged Space-Saving
 * sketches; length min/max exact, mean weighted by the non-missing values;
 * inferred is recomputed from the merged type counts. Memory: one set of
 * sketches per field, whatever the number of shards. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonmem.h"
#include "engine/merge_profile.h"
#include "io/outfile.h"
#include "stats/hll.h"
#include "stats/kll.h"
#include "stats/topk.h"

#define MP_PROFILE_VERSION 1 /* the profile_version this build reads and writes */
#define MP_TOP_LISTED 10     /* values listed in top and shapes */
#define MP_DEPTH_MAX 8

typedef struct mp_field {
    json_t *acc;            /* the merged field: keys in first-seen order */
    uint64_t count, missing, nonmissing;
    /* numeric: exact count, min, max; mean and the sum of squared deviations */
    uint64_t ncount;
    double nmean, nm2;
    json_t *nmin, *nmax;    /* the JSON values of the shards holding them */
    json_t *quantile_keys;  /* the first shard's numeric.quantiles (for the keys) */
    stats_kll *kll;
    stats_distinct *distinct;
    stats_topk *top, *shapes;
    json_t *tmin, *tmax, *xmin, *xmax; /* temporal and text min/max strings */
    bool has_len;
    json_int_t len_min, len_max;
    double len_sum;         /* mean * values, summed over the shards */
    uint64_t len_n;
} mp_field;

typedef struct mp_state {
    const char *file;
    assay_error *err;
    json_t *top;            /* the merged document without its fields */
    mp_field *fields;
    size_t nfields, capfields;
    json_t *index;          /* field name -> its position (integer) */
} mp_state;

static assay_status fail(mp_state *s, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static assay_status fail(mp_state *s, assay_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(s->err->message, sizeof s->err->message, "%s: ", s->file);
    if (n < 0 || (size_t)n >= sizeof s->err->message)
        n = 0;
    vsnprintf(s->err->message + n, sizeof s->err->message - (size_t)n, fmt, ap);
    va_end(ap);
    s->err->status = st;
    return st;
}

static assay_status nomem(mp_state *s)
{
    return fail(s, ASSAY_E_NOMEM, "%s", assay_strerror(ASSAY_E_NOMEM));
}

assay_status eng_doc_load(const char *path, json_t **out, eng_doc_kind *kind,
                          assay_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err->message, sizeof err->message, "%s: cannot read: %s", path,
                 strerror(errno));
        return err->status = ASSAY_E_IO;
    }
    json_error_t je;
    bool nomem = false;
    json_t *root = core_json_loadf(fp, JSON_REJECT_DUPLICATES, &je, &nomem);
    int rerr = ferror(fp);
    fclose(fp);
    if (rerr) {
        json_decref(root);
        snprintf(err->message, sizeof err->message, "%s: cannot read", path);
        return err->status = ASSAY_E_IO;
    }
    if (nomem) {
        snprintf(err->message, sizeof err->message, "%s: out of memory", path);
        return err->status = ASSAY_E_NOMEM;
    }
    if (!root) {
        snprintf(err->message, sizeof err->message, "%s:%d:%d: not valid JSON: %s", path,
                 je.line, je.column, je.text);
        return err->status = ASSAY_E_USAGE;
    }
    if (json_is_object(root) && json_is_integer(json_object_get(root, "profile_version")) &&
        json_is_array(json_object_get(root, "fields"))) {
        *kind = ENG_DOC_PROFILE;
    } else if (json_is_object(root) &&
               json_is_integer(json_object_get(root, "stats_version")) &&
               json_is_object(json_object_get(root, "records"))) {
        *kind = ENG_DOC_STATS;
    } else {
        json_decref(root);
        snprintf(err->message, sizeof err->message, "%s: neither an assay profile "
                 "(profile_version, fields) nor assay statistics (stats_version, records)",
                 path);
        return err->status = ASSAY_E_USAGE;
    }
    *out = root;
    return ASSAY_OK;
}

/* ---- inference ---------------------------------------------------------- */

static uint64_t ucount(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

const char *eng_profile_infer(const json_t *types, uint64_t nonmissing)
{
    /* integer < number < string; then boolean and the temporal types. */
    static const char *const order[] = {"integer", "number", "boolean", "date",
                                        "datetime", "time"};
    if (nonmissing == 0)
        return "string";
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (ucount(types, order[i]) >= nonmissing)
            return order[i];
    return "string";
}

/* ---- generic keys ------------------------------------------------------- */

/* dst[key] += v for counts (recursively through objects); any other value is
 * kept from the first shard that has it. */
static assay_status merge_generic(mp_state *s, json_t *dst, const char *key, json_t *v,
                                  int depth)
{
    json_t *d = json_object_get(dst, key);
    if (depth > MP_DEPTH_MAX)
        return fail(s, ASSAY_E_USAGE, "%s: nested too deeply", key);
    if (json_is_integer(v) && json_integer_value(v) >= 0 && (!d || json_is_integer(d))) {
        json_int_t a = d ? json_integer_value(d) : 0, b = json_integer_value(v);
        if (a > INT64_MAX - b)
            return fail(s, ASSAY_E_USAGE, "%s: the merged count overflows", key);
        return json_object_set_new(dst, key, json_integer(a + b)) ? nomem(s) : ASSAY_OK;
    }
    if (json_is_object(v) && (!d || json_is_object(d))) {
        const char *k;
        json_t *w;
        if (!d && json_object_set_new(dst, key, d = json_object()))
            return nomem(s);
        json_object_foreach(v, k, w) {
            assay_status st = merge_generic(s, d, k, w, depth + 1);
            if (st)
                return st;
        }
        return ASSAY_OK;
    }
    if (!d || json_is_null(d))
        return json_object_set(dst, key, v) ? nomem(s) : ASSAY_OK;
    if (json_typeof(d) != json_typeof(v) && !json_is_null(v))
        return fail(s, ASSAY_E_USAGE, "%s: a %s here, a %s in an earlier file", key,
                    json_is_integer(v) ? "number" : "value of another type",
                    json_is_integer(d) ? "number" : "value");
    return ASSAY_OK;
}

/* ---- one field ---------------------------------------------------------- */

static const char *const special_keys[] = {
    "name", "inferred", "numeric", "temporal", "text", "length", "distinct", "top",
    "top_exact", "top_sketch", "shapes", "shapes_exact", "shape_sketch"};

static bool is_special(const char *key)
{
    for (size_t i = 0; i < sizeof special_keys / sizeof *special_keys; i++)
        if (strcmp(key, special_keys[i]) == 0)
            return true;
    return false;
}

static assay_status field_at(mp_state *s, const char *name, mp_field **out)
{
    json_t *pos = json_object_get(s->index, name);
    if (pos) {
        *out = &s->fields[json_integer_value(pos)];
        return ASSAY_OK;
    }
    if (s->nfields == s->capfields) {
        size_t cap = s->capfields ? 2 * s->capfields : 16;
        mp_field *f = realloc(s->fields, cap * sizeof *f);
        if (!f)
            return nomem(s);
        s->fields = f;
        s->capfields = cap;
    }
    mp_field *f = &s->fields[s->nfields];
    memset(f, 0, sizeof *f);
    f->acc = json_object();
    f->kll = stats_kll_new(STATS_KLL_K);
    f->distinct = stats_distinct_new();
    s->nfields++;
    if (!f->acc || !f->kll || !f->distinct ||
        json_object_set_new(s->index, name, json_integer((json_int_t)(s->nfields - 1))))
        return nomem(s);
    *out = f;
    return ASSAY_OK;
}

/* Keeps in *slot the lower (want_max false) or higher string of v and *slot. */
static void keep_str(json_t **slot, json_t *v, bool want_max)
{
    if (!json_is_string(v))
        return;
    if (*slot) {
        size_t a = json_string_length(*slot), b = json_string_length(v);
        int c = memcmp(json_string_value(v), json_string_value(*slot), a < b ? a : b);
        if (c == 0)
            c = b < a ? -1 : b > a;
        if (want_max ? c <= 0 : c >= 0)
            return;
        json_decref(*slot);
    }
    *slot = json_incref(v);
}

static void keep_num(json_t **slot, json_t *v, bool want_max)
{
    if (!json_is_number(v))
        return;
    if (*slot) {
        double a = json_number_value(*slot), b = json_number_value(v);
        if (want_max ? b <= a : b >= a)
            return;
        json_decref(*slot);
    }
    *slot = json_incref(v);
}

static assay_status merge_numeric(mp_state *s, mp_field *f, json_t *num)
{
    if (!num || json_is_null(num))
        return ASSAY_OK;
    if (!json_is_object(num))
        return fail(s, ASSAY_E_USAGE, "numeric: expected an object");
    uint64_t n = ucount(num, "count");
    json_t *sk = json_object_get(num, "sketch");
    if (!f->quantile_keys && json_is_object(json_object_get(num, "quantiles")))
        f->quantile_keys = json_incref(json_object_get(num, "quantiles"));
    if (n == 0)
        return ASSAY_OK;
    char why[160];
    stats_kll *k = sk ? stats_kll_from_json(sk, why, sizeof why) : NULL;
    if (!k && sk && strstr(why, "out of memory")) /* the sketches' words for it */
        return nomem(s);
    if (!k)
        return fail(s, ASSAY_E_USAGE, "numeric.sketch: %s", sk ? why : "missing");
    int rc = stats_kll_merge(f->kll, k);
    stats_kll_free(k);
    if (rc)
        return nomem(s);
    double mean = json_number_value(json_object_get(num, "mean"));
    double sd = json_number_value(json_object_get(num, "stddev"));
    double m2 = sd * sd * (double)n;
    uint64_t total = f->ncount + n;
    double delta = mean - f->nmean;
    f->nm2 += m2 + delta * delta * (double)f->ncount * (double)n / (double)total;
    f->nmean += delta * (double)n / (double)total;
    f->ncount = total;
    keep_num(&f->nmin, json_object_get(num, "min"), false);
    keep_num(&f->nmax, json_object_get(num, "max"), true);
    return ASSAY_OK;
}

static assay_status merge_topk(mp_state *s, stats_topk **dst, json_t *sk, const char *what)
{
    char why[160];
    if (!sk || json_is_null(sk))
        return ASSAY_OK;
    stats_topk *t = stats_topk_from_json(sk, why, sizeof why);
    if (!t && strstr(why, "out of memory"))
        return nomem(s);
    if (!t)
        return fail(s, ASSAY_E_USAGE, "%s: %s", what, why);
    if (!*dst) {
        *dst = t;
        return ASSAY_OK;
    }
    int rc = stats_topk_merge(*dst, t);
    stats_topk_free(t);
    return rc ? nomem(s) : ASSAY_OK;
}

static assay_status merge_special(mp_state *s, mp_field *f, json_t *fj, uint64_t nonmissing)
{
    char why[160];
    assay_status st = merge_numeric(s, f, json_object_get(fj, "numeric"));
    json_t *d = json_object_get(json_object_get(fj, "distinct"), "sketch");
    if (!st && d) {
        stats_distinct *x = stats_distinct_from_json(d, why, sizeof why);
        if (!x && strstr(why, "out of memory"))
            return nomem(s);
        if (!x)
            return fail(s, ASSAY_E_USAGE, "distinct.sketch: %s", why);
        int rc = stats_distinct_merge(f->distinct, x);
        stats_distinct_free(x);
        if (rc)
            return nomem(s);
    }
    if (!st)
        st = merge_topk(s, &f->top, json_object_get(fj, "top_sketch"), "top_sketch");
    if (!st)
        st = merge_topk(s, &f->shapes, json_object_get(fj, "shape_sketch"), "shape_sketch");
    if (st)
        return st;
    json_t *t = json_object_get(fj, "temporal"), *x = json_object_get(fj, "text");
    keep_str(&f->tmin, json_object_get(t, "min"), false);
    keep_str(&f->tmax, json_object_get(t, "max"), true);
    keep_str(&f->xmin, json_object_get(x, "min"), false);
    keep_str(&f->xmax, json_object_get(x, "max"), true);
    json_t *len = json_object_get(fj, "length");
    json_t *lmin = json_object_get(len, "min"), *lmax = json_object_get(len, "max");
    if (json_is_integer(lmin) && json_is_integer(lmax) && nonmissing > 0) {
        if (!f->has_len || json_integer_value(lmin) < f->len_min)
            f->len_min = json_integer_value(lmin);
        if (!f->has_len || json_integer_value(lmax) > f->len_max)
            f->len_max = json_integer_value(lmax);
        f->has_len = true;
        f->len_sum += json_number_value(json_object_get(len, "mean")) * (double)nonmissing;
        f->len_n += nonmissing;
    }
    return ASSAY_OK;
}

static assay_status merge_field(mp_state *s, json_t *fj, size_t i)
{
    const char *name = json_string_value(json_object_get(fj, "name"));
    if (!json_is_object(fj) || !name)
        return fail(s, ASSAY_E_USAGE, "$.fields[%zu]: expected an object with a name", i);
    mp_field *f = NULL;
    assay_status st = field_at(s, name, &f);
    if (st)
        return st;
    const char *key;
    json_t *v;
    json_object_foreach(fj, key, v) {
        if (is_special(key)) {
            json_t *d = json_object_get(f->acc, key);
            bool first = strcmp(key, "inferred") == 0 || strcmp(key, "name") == 0;
            json_t *keep = first ? v : json_null();
            if ((!d || json_is_null(d)) && json_object_set(f->acc, key, keep))
                return nomem(s);
        } else if ((st = merge_generic(s, f->acc, key, v, 0)))
            return st;
    }
    uint64_t count = ucount(fj, "count"), missing = ucount(fj, "missing");
    uint64_t nonmissing = count > missing ? count - missing : 0;
    f->nonmissing += nonmissing;
    return merge_special(s, f, fj, nonmissing);
}

static assay_status merge_doc(mp_state *s, json_t *root, size_t index)
{
    const char *key;
    json_t *v;
    json_int_t ver = json_integer_value(json_object_get(root, "profile_version"));
    if (ver != MP_PROFILE_VERSION)
        return fail(s, ASSAY_E_USAGE, "profile_version %lld is not supported (this assay "
                    "reads version %d)", (long long)ver, MP_PROFILE_VERSION);
    json_object_foreach(root, key, v) {
        assay_status st = ASSAY_OK;
        if (strcmp(key, "fields") == 0) {
            if (!json_object_get(s->top, key) && json_object_set(s->top, key, json_null()))
                return nomem(s);
            size_t i;
            json_t *fj;
            json_array_foreach(v, i, fj)
                if ((st = merge_field(s, fj, i)))
                    return st;
        } else if (strcmp(key, "inputs") == 0) {
            json_t *d = json_object_get(s->top, key);
            if (!json_is_array(v))
                return fail(s, ASSAY_E_USAGE, "$.inputs: expected an array");
            if (!d && json_object_set_new(s->top, key, d = json_array()))
                return nomem(s);
            if (json_array_extend(d, v))
                return nomem(s);
        } else if (strcmp(key, "profile_version") == 0 || strcmp(key, "sampling") == 0 ||
                   !(json_is_integer(v) || json_is_object(v))) {
            if (index == 0 && json_object_set(s->top, key, v))
                return nomem(s);
        } else
            st = merge_generic(s, s->top, key, v, 0);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

/* ---- the merged document ------------------------------------------------ */

static json_t *num_or_null(double v, bool ok)
{
    return ok && isfinite(v) ? json_real(v) : json_null();
}

static json_t *numeric_json(const mp_field *f)
{
    bool any = f->ncount > 0;
    json_t *q = json_object(), *o = NULL;
    const char *key;
    json_t *v;
    if (!q)
        return NULL;
    json_object_foreach(f->quantile_keys, key, v) {
        double at = -1;
        if (key[0] == 'p' && key[1]) {
            char buf[32];
            snprintf(buf, sizeof buf, "0.%s", key + 1);
            at = strtod(buf, NULL);
        }
        double qv = NAN;
        bool want = any && at >= 0 && at <= 1;
        if ((want && stats_kll_quantile_at(f->kll, at, &qv) != 0) ||
            json_object_set_new(q, key, num_or_null(qv, want))) {
            json_decref(q);
            return NULL;
        }
    }
    o = json_pack("{s:I, s:O, s:O, s:o, s:o, s:o, s:o}", "count", (json_int_t)f->ncount,
                  "min", any && f->nmin ? f->nmin : json_null(),
                  "max", any && f->nmax ? f->nmax : json_null(),
                  "mean", num_or_null(f->nmean, any),
                  "stddev", num_or_null(sqrt(f->nm2 / (double)(any ? f->ncount : 1)), any),
                  "quantiles", q, "sketch", stats_kll_to_json(f->kll));
    return o;
}

/* The MP_TOP_LISTED most frequent of t as [{key: value, "count": n}]. */
static json_t *listing(const stats_topk *t, const char *key)
{
    stats_topk_item items[MP_TOP_LISTED];
    size_t n = t ? stats_topk_list(t, items, MP_TOP_LISTED) : 0;
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack("{s:s%, s:I}", key, items[i].value, items[i].len, "count",
                              (json_int_t)items[i].count);
        if (!o || json_array_append_new(a, o) ||
            (items[i].error &&
             json_object_set_new(o, "error", json_integer((json_int_t)items[i].error)))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Sets the special key `key` of f's merged object (only when a shard had it). */
static int put(json_t *acc, const char *key, json_t *v)
{
    if (!json_object_get(acc, key)) {
        json_decref(v);
        return 0;
    }
    return v ? json_object_set_new(acc, key, v) : -1;
}

static json_t *pair(json_t *a, json_t *b)
{
    return json_pack("{s:O, s:O}", "min", a ? a : json_null(), "max", b ? b : json_null());
}

static json_t *sketch_or_null(const stats_topk *t)
{
    return t ? stats_topk_to_json(t) : json_null();
}

static json_t *field_json(mp_field *f)
{
    json_t *a = f->acc;
    const char *inferred = eng_profile_infer(json_object_get(a, "types"), f->nonmissing);
    double lmean = f->len_n ? f->len_sum / (double)f->len_n : 0;
    /* shapes stop being counted past sampling.shapes_after: then not exact */
    json_t *counted = json_object_get(a, "shapes_counted");
    bool shapes_exact = (!f->shapes || stats_topk_exact(f->shapes)) &&
                        (!counted || (uint64_t)json_integer_value(counted) == f->nonmissing);
    if ((inferred && put(a, "inferred", json_string(inferred))) ||
        put(a, "numeric", numeric_json(f)) ||
        put(a, "temporal", pair(f->tmin, f->tmax)) || put(a, "text", pair(f->xmin, f->xmax)) ||
        put(a, "length", f->has_len ? json_pack("{s:I, s:f, s:I}", "min", f->len_min,
                                                "mean", lmean, "max", f->len_max)
                                    : json_pack("{s:n, s:n, s:n}", "min", "mean", "max")) ||
        put(a, "distinct", json_pack("{s:I, s:b, s:o}", "estimate",
                                     (json_int_t)stats_distinct_estimate(f->distinct), "exact",
                                     stats_distinct_exact(f->distinct),
                                     "sketch", stats_distinct_to_json(f->distinct))) ||
        put(a, "top", listing(f->top, "value")) ||
        put(a, "top_exact", json_boolean(!f->top || stats_topk_exact(f->top))) ||
        put(a, "top_sketch", sketch_or_null(f->top)) ||
        put(a, "shapes", listing(f->shapes, "shape")) ||
        put(a, "shapes_exact", json_boolean(shapes_exact)) ||
        put(a, "shape_sketch", sketch_or_null(f->shapes)))
        return NULL;
    return a;
}

static void field_free(mp_field *f)
{
    json_t *objs[] = {f->acc, f->nmin, f->nmax, f->quantile_keys, f->tmin, f->tmax,
                      f->xmin, f->xmax};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        json_decref(objs[i]);
    stats_kll_free(f->kll);
    stats_distinct_free(f->distinct);
    stats_topk_free(f->top);
    stats_topk_free(f->shapes);
}

static assay_status write_doc(mp_state *s, io_out *out)
{
    json_t *fields = json_array();
    if (!fields || json_object_set_new(s->top, "fields", fields))
        return nomem(s);
    for (size_t i = 0; i < s->nfields; i++) {
        json_t *f = field_json(&s->fields[i]);
        if (!f || json_array_append(fields, f))
            return nomem(s);
    }
    char *text = json_dumps(s->top, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                        JSON_REAL_PRECISION(17));
    if (!text)
        return nomem(s);
    assay_status st = io_out_write(out, text, strlen(text));
    if (!st)
        st = io_out_write(out, "\n", 1);
    free(text);
    if (st == ASSAY_E_IO)
        io_out_error(out, s->err);
    return st;
}

static assay_status merge_all(mp_state *s, const char *const *paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *root;
        eng_doc_kind kind;
        s->file = paths[i];
        assay_status st = eng_doc_load(paths[i], &root, &kind, s->err);
        if (st)
            return st;
        if (kind != ENG_DOC_PROFILE) {
            json_decref(root);
            return fail(s, ASSAY_E_USAGE, "check statistics, but %s is a profile: merge "
                        "profiles with profiles and statistics with statistics", paths[0]);
        }
        st = merge_doc(s, root, i);
        json_decref(root);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

assay_status eng_profile_merge(const char *const *paths, size_t n, const char *out_path,
                               assay_tempfile_fn on_tempfile, void *tempfile_ctx,
                               assay_merge_result *res, assay_error *err)
{
    mp_state s = {.file = "merge", .err = err};
    io_out *out = NULL;
    s.top = json_object();
    s.index = json_object();
    assay_status st = s.top && s.index ? ASSAY_OK : nomem(&s);
    if (!st)
        st = io_out_open(&out, out_path, on_tempfile, tempfile_ctx, err);
    if (!st)
        st = merge_all(&s, paths, n);
    if (!st) {
        s.file = out_path ? out_path : "-";
        st = write_doc(&s, out);
    }
    if (!st)
        st = io_out_commit(out, err);
    else if (out)
        io_out_abort(out);
    res->broken_pipe = out && io_out_broken_pipe(out);
    io_out_free(out);
    res->nshards = n;
    res->read = ucount(s.top, "records");
    res->thresholds_ok = 1;
    for (size_t i = 0; i < s.nfields; i++)
        field_free(&s.fields[i]);
    free(s.fields);
    json_decref(s.top);
    json_decref(s.index);
    return st;
}
