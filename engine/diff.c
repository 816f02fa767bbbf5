/* engine/diff.c — `assay diff BASELINE NEW`: the driver. Loads the two
 * documents (both profiles or both check statistics), resolves the
 * thresholds (default < thresholds file < command line; a per-field entry of
 * the file wins for its field), runs the comparison of their kind
 * (engine/diff_profile.c, engine/diff_stats.c) and writes the table for
 * people and, on request, the JSON report. Both outputs are opened before
 * the documents are read and replaced together at the end. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonmem.h"
#include "engine/diff.h"
#include "engine/merge_profile.h"
#include "io/outfile.h"

#define DIFF_VERSION 1

static const struct {
    const char *key;
    double def;            /* NaN: off unless set */
} dt_info[ENG_DT_COUNT] = {
    [ENG_DT_PSI] = {"psi", 0.2},
    [ENG_DT_MISSING] = {"missing_rate_delta", 0.05},
    [ENG_DT_VIOLATION] = {"violation_rate_delta", 0.01},
    [ENG_DT_QUARANTINE] = {"quarantine_rate_delta", 0.01},
    [ENG_DT_DISTINCT] = {"distinct_ratio", NAN},
    [ENG_DT_MEAN] = {"mean_shift", NAN},
    [ENG_DT_NEW_CATEGORIES] = {"new_categories", NAN},
    [ENG_DT_NEW_DATE_FORMATS] = {"new_date_formats", NAN},
    [ENG_DT_TYPE] = {"type_change", 0},
    [ENG_DT_TYPE_SHARE] = {"type_share_drop", 0.01},
};

const char *eng_dt_key(eng_dt k)
{
    return dt_info[k].key;
}

ASSAY_API void assay_diff_opts_init(assay_diff_opts *o)
{
    memset(o, 0, sizeof *o);
    o->psi = o->missing_rate_delta = o->violation_rate_delta = NAN;
    o->quarantine_rate_delta = o->distinct_ratio = o->mean_shift = NAN;
    o->new_categories = o->new_date_formats = o->type_share_drop = NAN;
}

static assay_status usage(assay_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static assay_status usage(assay_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return err->status = ASSAY_E_USAGE;
}

static assay_status nomem(assay_error *err)
{
    snprintf(err->message, sizeof err->message, "%s", assay_strerror(ASSAY_E_NOMEM));
    return err->status = ASSAY_E_NOMEM;
}

/* ---- thresholds --------------------------------------------------------- */

static int dt_of(const char *key)
{
    for (int k = 0; k < ENG_DT_COUNT; k++)
        if (strcmp(dt_info[k].key, key) == 0)
            return k;
    return -1;
}

/* A threshold value of the file: a non-negative number, null (off), or for
 * type_change a boolean. */
static assay_status limit_of(const char *path, const char *where, int k, json_t *v,
                             double *out, assay_error *err)
{
    if (json_is_null(v) || (k == ENG_DT_TYPE && json_is_false(v)))
        *out = NAN;
    else if (k == ENG_DT_TYPE && json_is_true(v))
        *out = 0;
    else if (json_is_number(v) && json_number_value(v) >= 0)
        *out = json_number_value(v);
    else
        return usage(err, "%s: %s: expected a number >= 0 or null (off)%s", path, where,
                     k == ENG_DT_TYPE ? ", or true/false" : "");
    return ASSAY_OK;
}

/* Checks one object of thresholds; sets into[] when into is not NULL. */
static assay_status read_limits(const char *path, const char *prefix, json_t *o,
                                bool allow_fields, double *into, assay_error *err)
{
    const char *key;
    json_t *v;
    char where[300];
    json_object_foreach(o, key, v) {
        int k = dt_of(key);
        snprintf(where, sizeof where, "%s%s", prefix, key);
        if (k < 0 && !(allow_fields && strcmp(key, "fields") == 0)) {
            char known[400] = "";
            for (int i = 0; i < ENG_DT_COUNT; i++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                         i ? ", " : "", dt_info[i].key);
            return usage(err, "%s: %s: unknown threshold (known: %s%s)", path, where, known,
                         allow_fields ? ", fields" : "");
        }
        if (k < 0)
            continue;
        double lim;
        assay_status st = limit_of(path, where, k, v, &lim, err);
        if (st)
            return st;
        if (into)
            into[k] = lim;
    }
    return ASSAY_OK;
}

static assay_status load_thresholds(eng_diff *d, const char *path)
{
    json_error_t je;
    bool nomem = false;
    json_t *root = core_json_load_file(path, JSON_REJECT_DUPLICATES, &je, &nomem);
    if (!root && nomem) {
        snprintf(d->err->message, sizeof d->err->message,
                 "%s: out of memory reading the thresholds file", path);
        return d->err->status = ASSAY_E_NOMEM;
    }
    if (!root) {
        FILE *fp = fopen(path, "rb");
        if (!fp) {
            snprintf(d->err->message, sizeof d->err->message,
                     "%s: cannot read the thresholds file", path);
            return d->err->status = ASSAY_E_IO;
        }
        fclose(fp);
        return usage(d->err, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column,
                     je.text);
    }
    assay_status st = json_is_object(root) ? ASSAY_OK
                      : usage(d->err, "%s: expected an object of thresholds", path);
    if (!st)
        st = read_limits(path, "", root, true, d->global, d->err);
    json_t *fields = json_object_get(root, "fields");
    if (!st && fields && !json_is_object(fields))
        st = usage(d->err, "%s: fields: expected an object (field name -> thresholds)", path);
    const char *name;
    json_t *o;
    char prefix[300];
    json_object_foreach(fields, name, o) {
        if (st)
            break;
        snprintf(prefix, sizeof prefix, "fields.%s.", name);
        st = json_is_object(o) ? read_limits(path, prefix, o, false, NULL, d->err)
             : usage(d->err, "%s: fields.%s: expected an object of thresholds", path, name);
    }
    if (!st && fields)
        d->limits = json_incref(fields);
    json_decref(root);
    return st;
}

static void apply_flags(eng_diff *d, const assay_diff_opts *o)
{
    const double flags[ENG_DT_COUNT] = {
        [ENG_DT_PSI] = o->psi, [ENG_DT_MISSING] = o->missing_rate_delta,
        [ENG_DT_VIOLATION] = o->violation_rate_delta,
        [ENG_DT_QUARANTINE] = o->quarantine_rate_delta,
        [ENG_DT_DISTINCT] = o->distinct_ratio, [ENG_DT_MEAN] = o->mean_shift,
        [ENG_DT_NEW_CATEGORIES] = o->new_categories,
        [ENG_DT_NEW_DATE_FORMATS] = o->new_date_formats, [ENG_DT_TYPE] = NAN,
        [ENG_DT_TYPE_SHARE] = o->type_share_drop};
    for (int k = 0; k < ENG_DT_COUNT; k++)
        if (!isnan(flags[k]))
            d->global[k] = flags[k];
    if (o->allow_type_change)
        d->global[ENG_DT_TYPE] = NAN;
}

/* The limit of threshold k for the current entry; NaN: off. */
static double limit_for(const eng_diff *d, eng_dt k)
{
    json_t *own = d->cur_name ? json_object_get(d->limits, d->cur_name) : NULL;
    json_t *v = json_object_get(own, dt_info[k].key);
    double lim;
    assay_error ignored;
    if (v && limit_of("", "", (int)k, v, &lim, &ignored) == ASSAY_OK)
        return lim;
    return d->global[k];
}

bool eng_diff_own_limit(const eng_diff *d, eng_dt k)
{
    json_t *own = d->cur_name ? json_object_get(d->limits, d->cur_name) : NULL;
    return json_object_get(own, dt_info[k].key) != NULL;
}

/* ---- the report --------------------------------------------------------- */

static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *eng_diff_triple(double a, double b)
{
    return json_pack("{s:o, s:o, s:o}", "baseline", real_or_null(a), "new", real_or_null(b),
                     "delta", real_or_null(b - a));
}

int eng_diff_begin(eng_diff *d, json_t *into, const char *kind, const char *name,
                   const char *status)
{
    d->cur = json_pack("{s:s, s:s, s:s, s:{}, s:[]}", "name", name, "kind", kind, "status",
                       status, "metrics", "thresholds");
    d->cur_name = name;
    int n = snprintf(d->line, sizeof d->line, "%-24s", name);
    d->len = n > 0 && (size_t)n < sizeof d->line ? (size_t)n : sizeof d->line - 1;
    if (!d->cur)
        return -1;
    if (json_array_append_new(into, d->cur)) {
        d->cur = NULL;
        return -1;
    }
    return 0;
}

void eng_diff_text(eng_diff *d, const char *fmt, ...)
{
    va_list ap;
    if (d->len + 1 >= sizeof d->line)
        return;
    d->line[d->len++] = ' ';
    va_start(ap, fmt);
    int n = vsnprintf(d->line + d->len, sizeof d->line - d->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        d->len += (size_t)n < sizeof d->line - d->len ? (size_t)n : sizeof d->line - d->len - 1;
}

int eng_diff_judge(eng_diff *d, eng_dt k, double value)
{
    double lim = limit_for(d, k);
    if (isnan(value))
        return 0;
    bool on = !isnan(lim), crossed = on && value > lim;
    json_t *t = json_pack("{s:s, s:o, s:o, s:b}", "name", dt_info[k].key, "value",
                          real_or_null(value), "limit", on ? json_real(lim) : json_null(),
                          "crossed", crossed);
    if (!t || json_array_append_new(json_object_get(d->cur, "thresholds"), t))
        return -1;
    if (!crossed)
        return 0;
    d->crossed++;
    if (d->len + 1 < sizeof d->line) {
        d->line[d->len++] = '*';
        d->line[d->len] = '\0';
    }
    size_t l = strlen(d->crossed_list);
    snprintf(d->crossed_list + l, sizeof d->crossed_list - l, "%s%s: %s",
             l ? "; " : "", d->cur_name, dt_info[k].key);
    return 0;
}

int eng_diff_end(eng_diff *d)
{
    while (d->len > 0 && d->line[d->len - 1] == ' ')
        d->len--;
    if (d->table_len + d->len + 2 > d->table_cap) {
        size_t cap = 2 * d->table_cap + d->len + 4096;
        char *t = realloc(d->table, cap);
        if (!t)
            return -1;
        d->table = t;
        d->table_cap = cap;
    }
    memcpy(d->table + d->table_len, d->line, d->len);
    d->table_len += d->len;
    d->table[d->table_len++] = '\n';
    d->cur = NULL;
    d->cur_name = NULL;
    return 0;
}

static json_t *thresholds_json(const eng_diff *d)
{
    json_t *o = json_object();
    for (int k = 0; o && k < ENG_DT_COUNT; k++)
        if (json_object_set_new(o, dt_info[k].key, real_or_null(d->global[k]))) {
            json_decref(o);
            return NULL;
        }
    if (o && d->limits && json_object_set(o, "fields", d->limits)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- driver ------------------------------------------------------------- */

static assay_status write_text(io_out *out, const char *p, size_t n, assay_error *err)
{
    assay_status st = io_out_write(out, p, n);
    if (st == ASSAY_E_IO)
        io_out_error(out, err);
    return st;
}

static assay_status write_outputs(eng_diff *d, const assay_diff_opts *o, io_out *table,
                                  io_out *json, bool profiles)
{
    char sum[512];
    int n = snprintf(sum, sizeof sum, "%s: %zu compared, %zu added, %zu removed; %s%zu "
                     "threshold%s crossed%s%s\n", profiles ? "fields" : "fields and rules",
                     d->compared, d->added, d->removed, d->crossed ? "DRIFT: " : "",
                     d->crossed, d->crossed == 1 ? "" : "s", d->crossed ? ": " : "",
                     d->crossed_list);
    if (n < 0 || (size_t)n >= sizeof sum)
        n = (int)strlen(sum);
    assay_status st = write_text(table, d->table ? d->table : "", d->table_len, d->err);
    if (!st)
        st = write_text(table, sum, (size_t)n, d->err);
    if (st || !json)
        return st;
    json_t *summary = json_pack("{s:I, s:I, s:I, s:I, s:b}", "compared",
                                (json_int_t)d->compared, "added", (json_int_t)d->added,
                                "removed", (json_int_t)d->removed, "crossed",
                                (json_int_t)d->crossed, "drift", d->crossed > 0);
    json_t *th = thresholds_json(d);
    if (!summary || !th || json_object_set_new(d->report, "baseline", json_string(o->baseline)) ||
        json_object_set_new(d->report, "new", json_string(o->current)) ||
        json_object_set_new(d->report, "thresholds", th) ||
        json_object_set_new(d->report, "summary", summary)) {
        json_decref(summary);
        return nomem(d->err);
    }
    char *text = json_dumps(d->report, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                           JSON_REAL_PRECISION(10));
    if (!text)
        return nomem(d->err);
    st = write_text(json, text, strlen(text), d->err);
    if (!st)
        st = write_text(json, "\n", 1, d->err);
    free(text);
    return st;
}

static assay_status compare(eng_diff *d, const assay_diff_opts *o, bool *profiles)
{
    json_t *a = NULL, *b = NULL;
    eng_doc_kind ka, kb;
    assay_status st = eng_doc_load(o->baseline, &a, &ka, d->err);
    if (!st)
        st = eng_doc_load(o->current, &b, &kb, d->err);
    if (!st && ka != kb)
        st = usage(d->err, "%s is %s but %s is %s: compare two profiles or two "
                   "statistics files", o->baseline, ka == ENG_DOC_PROFILE ? "a profile" :
                   "check statistics", o->current, kb == ENG_DOC_PROFILE ? "a profile" :
                   "check statistics");
    if (!st) {
        *profiles = ka == ENG_DOC_PROFILE;
        d->report = json_pack("{s:i, s:s, s:[]}", "diff_version", DIFF_VERSION, "kind",
                              *profiles ? "profile" : "stats", "fields");
        d->fields = json_object_get(d->report, "fields");
        if (!d->report)
            st = nomem(d->err);
    }
    if (!st)
        st = *profiles ? eng_diff_profiles(d, a, b) : eng_diff_stats(d, a, b);
    json_decref(a);
    json_decref(b);
    return st;
}

static assay_status open_outputs(const assay_diff_opts *o, io_out **table, io_out **json,
                                 assay_error *err)
{
    const char *t = o->table && strcmp(o->table, "-") != 0 ? o->table : NULL;
    if (o->json && (io_path_same_file(o->json, o->baseline) ||
                    io_path_same_file(o->json, o->current)))
        return usage(err, "the output '%s' is an input; an output never overwrites an "
                     "input", o->json);
    if (o->json && !io_path_is_null(o->json) && io_path_same_file(o->json, t))
        return usage(err, "--json '%s' is the table's output", o->json);
    assay_status st = io_out_open(table, t, o->on_tempfile, o->tempfile_ctx, err);
    if (!st && o->json)
        st = io_out_open(json, o->json, o->on_tempfile, o->tempfile_ctx, err);
    return st;
}

static assay_status finish(io_out *table, io_out *json, assay_status st, assay_error *err)
{
    if (!st)
        st = io_out_prepare(table, err);
    if (!st && json)
        st = io_out_prepare(json, err);
    if (!st)
        st = io_out_commit(table, err);
    if (!st && json)
        st = io_out_commit(json, err);
    if (st) {
        if (table)
            io_out_abort(table);
        if (json)
            io_out_abort(json);
    }
    return st;
}

ASSAY_API assay_status assay_diff_run(const assay_diff_opts *o, assay_diff_result *result,
                                      assay_error *err)
{
    assay_diff_result scratch;
    assay_diff_result *res = result ? result : &scratch;
    memset(res, 0, sizeof *res);
    memset(err, 0, sizeof *err);
    if (!o->baseline || !o->current)
        return usage(err, "two documents are needed: BASELINE and NEW");
    eng_diff d = {.err = err};
    for (int k = 0; k < ENG_DT_COUNT; k++)
        d.global[k] = dt_info[k].def;
    io_out *table = NULL, *json = NULL;
    bool profiles = false;
    assay_status st = o->thresholds ? load_thresholds(&d, o->thresholds) : ASSAY_OK;
    apply_flags(&d, o);
    if (!st)
        st = open_outputs(o, &table, &json, err);
    if (!st)
        st = compare(&d, o, &profiles);
    if (!st)
        st = write_outputs(&d, o, table, json, profiles);
    st = finish(table, json, st, err);
    res->broken_pipe = table && io_out_broken_pipe(table);
    io_out_free(table);
    io_out_free(json);
    res->profiles = profiles;
    res->compared = d.compared;
    res->added = d.added;
    res->removed = d.removed;
    res->crossed = d.crossed;
    memcpy(res->crossed_list, d.crossed_list, sizeof res->crossed_list);
    json_decref(d.report);
    json_decref(d.limits);
    free(d.table);
    return st;
}
