/* engine/merge.c — `assay merge`: the statistics of shards of one data set
 * (each written by `assay check -s`) combined into the statistics of the whole.
 *
 * Every count sums exactly: records, fields (missing, invalid, cleaned, failed,
 * violations, formats, ambiguous_resolved), record_violations, rules and
 * encoding.invalid_sequences. header.extra/missing become the union in
 * first-seen order and inputs are concatenated. The thresholds are recomputed
 * from the merged counts with the limits the shards carry (all shards must
 * carry the same thresholds with the same limits); one the stats cannot
 * recompute keeps the most conservative verdict of the shards and says
 * "recomputed": false. timing.seconds is the longest shard (shards run in
 * parallel); the rates are the merged totals over it.
 *
 * Profile documents (`assay profile`) are merged by engine/merge_profile.c;
 * the first file decides which kind is merged, and a mix is refused. */
#include <jansson.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonmem.h"
#include "engine/merge_profile.h"
#include "io/outfile.h"

#define MERGE_STATS_VERSION 1 /* the stats_version this build reads and writes */
#define MERGE_DEPTH_MAX 8     /* nesting of count objects (stats use 3) */

/* One threshold of the shards, keyed by name + field + rule. */
typedef struct mg_threshold {
    const char *name, *field, *rule; /* borrowed from the first shard's JSON */
    double limit;
    bool exact;         /* every shard holds the counts to recompute it */
    bool shards_ok;     /* every shard's own verdict */
    double worst;       /* actual of the first shard that failed, else the first's */
    size_t seen;        /* index + 1 of the last shard that carried it */
} mg_threshold;

typedef struct mg_state {
    const char *file;   /* the stats file being merged, for messages */
    size_t index;       /* its position, from 0 */
    json_t *first;      /* the first shard (owned): thresholds borrow from it */
    json_t *inputs, *records, *extra, *missing, *fields, *recviol, *rules;
    json_t *enc;        /* the merged encoding object */
    json_t *enc_by_shard;
    bool enc_mixed, by_mixed;
    mg_threshold *th;
    size_t nth;
    double max_secs, bytes;
    assay_error *err;
} mg_state;

static assay_status fail(mg_state *s, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static assay_status fail(mg_state *s, assay_status st, const char *fmt, ...)
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

static assay_status nomem(mg_state *s)
{
    return fail(s, ASSAY_E_NOMEM, "%s", assay_strerror(ASSAY_E_NOMEM));
}

/* Reads one stats file: exit 3 when it cannot be read, 2 when it is not
 * JSON (with jansson's line:column) or not assay statistics. */
static assay_status load(mg_state *s, const char *path, json_t **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return fail(s, ASSAY_E_IO, "cannot read the stats file: %s", strerror(errno));
    json_error_t je;
    bool nomem = false;
    json_t *root = core_json_loadf(fp, JSON_REJECT_DUPLICATES, &je, &nomem);
    int rerr = ferror(fp);
    fclose(fp);
    if (rerr) {
        json_decref(root);
        return fail(s, ASSAY_E_IO, "cannot read the stats file");
    }
    if (nomem)
        return fail(s, ASSAY_E_NOMEM, "out of memory reading the stats file");
    if (!root) {
        snprintf(s->err->message, sizeof s->err->message, "%s:%d:%d: not valid JSON: %s",
                 path, je.line, je.column, je.text);
        s->err->status = ASSAY_E_USAGE;
        return ASSAY_E_USAGE;
    }
    if (json_is_object(root) && json_object_get(root, "profile_version")) {
        json_decref(root);
        return fail(s, ASSAY_E_USAGE, "a profile, but the first file holds check "
                    "statistics: merge profiles with profiles and statistics with statistics");
    }
    if (!json_is_object(root) || !json_is_integer(json_object_get(root, "stats_version")) ||
        !json_is_object(json_object_get(root, "records"))) {
        json_decref(root);
        return fail(s, ASSAY_E_USAGE, "not an assay statistics file (no stats_version "
                                      "and records)");
    }
    *out = root;
    return ASSAY_OK;
}

static assay_status check_version(mg_state *s, json_t *root)
{
    json_int_t v = json_integer_value(json_object_get(root, "stats_version"));
    json_int_t v0 = json_integer_value(json_object_get(s->first, "stats_version"));
    if (v != v0)
        return fail(s, ASSAY_E_USAGE, "stats_version %lld differs from %lld of the first "
                    "file; merge stats of one assay version", (long long)v, (long long)v0);
    if (v != MERGE_STATS_VERSION)
        return fail(s, ASSAY_E_USAGE, "stats_version %lld is not supported (this assay "
                    "reads version %d)", (long long)v, MERGE_STATS_VERSION);
    return ASSAY_OK;
}

/* dst += src for every count under src (integers, nested objects of them). */
static assay_status sum_counts(mg_state *s, json_t *dst, json_t *src, char *path,
                               size_t plen, int depth)
{
    const char *key;
    json_t *v;
    if (depth > MERGE_DEPTH_MAX)
        return fail(s, ASSAY_E_USAGE, "%s: nested too deeply", path);
    json_object_foreach(src, key, v) {
        int n = snprintf(path + plen, 512 - plen, ".%s", key);
        size_t len = plen + (n > 0 ? (size_t)n : 0);
        if (len > 511)
            len = 511;
        json_t *d = json_object_get(dst, key);
        assay_status st = ASSAY_OK;
        if (json_is_object(v) && (!d || json_is_object(d))) {
            if (!d && json_object_set_new(dst, key, d = json_object()))
                return nomem(s);
            st = sum_counts(s, d, v, path, len, depth + 1);
        } else if (json_is_integer(v) && json_integer_value(v) >= 0 &&
                   (!d || json_is_integer(d))) {
            json_int_t a = d ? json_integer_value(d) : 0, b = json_integer_value(v);
            if (a > INT64_MAX - b)
                return fail(s, ASSAY_E_USAGE, "%s: the merged count overflows", path);
            if (json_object_set_new(dst, key, json_integer(a + b)))
                return nomem(s);
        } else
            return fail(s, ASSAY_E_USAGE, "%s: expected a count (a non-negative integer) "
                        "or an object of counts", path);
        if (st)
            return st;
        path[plen] = '\0';
    }
    return ASSAY_OK;
}

/* Sums the section `key` of root into dst; an absent section adds nothing. */
static assay_status sum_section(mg_state *s, json_t *dst, json_t *root, const char *key)
{
    json_t *src = json_object_get(root, key);
    char path[512];
    int n = snprintf(path, sizeof path, "$.%s", key);
    if (!src)
        return ASSAY_OK;
    if (!json_is_object(src))
        return fail(s, ASSAY_E_USAGE, "%s: expected an object", path);
    return sum_counts(s, dst, src, path, (size_t)n, 0);
}

/* Appends the strings of src not yet in dst (first-seen order). */
static assay_status add_names(mg_state *s, json_t *dst, json_t *src, const char *what)
{
    size_t i, k;
    json_t *v, *w;
    if (!src)
        return ASSAY_OK;
    if (!json_is_array(src))
        return fail(s, ASSAY_E_USAGE, "%s: expected an array of strings", what);
    json_array_foreach(src, i, v) {
        if (!json_is_string(v))
            return fail(s, ASSAY_E_USAGE, "%s[%zu]: expected a string", what, i);
        bool dup = false;
        json_array_foreach(dst, k, w)
            dup = dup || json_equal(v, w);
        if (!dup && json_array_append(dst, v))
            return nomem(s);
    }
    return ASSAY_OK;
}

static assay_status merge_lists(mg_state *s, json_t *root)
{
    json_t *in = json_object_get(root, "inputs");
    if (in && !json_is_array(in))
        return fail(s, ASSAY_E_USAGE, "$.inputs: expected an array of strings");
    if (in && json_array_extend(s->inputs, in))
        return nomem(s);
    json_t *h = json_object_get(root, "header");
    if (h && !json_is_object(h))
        return fail(s, ASSAY_E_USAGE, "$.header: expected an object");
    assay_status st = add_names(s, s->extra, json_object_get(h, "extra"), "$.header.extra");
    if (!st)
        st = add_names(s, s->missing, json_object_get(h, "missing"), "$.header.missing");
    return st;
}

/* A string of the encoding object that differs between shards becomes "mixed". */
static assay_status merge_enc_name(mg_state *s, json_t *enc, const char *key, bool *mixed)
{
    json_t *v = json_object_get(enc, key), *m = json_object_get(s->enc, key);
    if (v && !json_is_string(v))
        return fail(s, ASSAY_E_USAGE, "$.encoding.%s: expected a string", key);
    if (s->index == 0)
        return v && json_object_set(s->enc, key, v) ? nomem(s) : ASSAY_OK;
    bool same = (!v && !m) || (v && m && json_equal(v, m));
    if (!*mixed && !same) {
        *mixed = true;
        if (json_object_set_new(s->enc, key, json_string("mixed")))
            return nomem(s);
    }
    return ASSAY_OK;
}

/* Encoding: names agree or become "mixed" (with every shard's detected in
 * detected_by_shard); confidence is the lowest; invalid_sequences sum. */
static assay_status merge_encoding(mg_state *s, json_t *root)
{
    json_t *enc = json_object_get(root, "encoding");
    if (!enc)
        return ASSAY_OK;
    if (!json_is_object(enc))
        return fail(s, ASSAY_E_USAGE, "$.encoding: expected an object");
    json_t *det = json_object_get(enc, "detected");
    if (json_array_append_new(s->enc_by_shard, det ? json_copy(det) : json_null()))
        return nomem(s);
    assay_status st = merge_enc_name(s, enc, "detected", &s->enc_mixed);
    if (!st)
        st = merge_enc_name(s, enc, "decided_by", &s->by_mixed);
    if (st)
        return st;
    json_t *c = json_object_get(enc, "confidence"), *mc = json_object_get(s->enc, "confidence");
    if (c && !json_is_integer(c))
        return fail(s, ASSAY_E_USAGE, "$.encoding.confidence: expected an integer");
    if (c && (s->index == 0 || (mc && json_integer_value(c) < json_integer_value(mc))))
        if (json_object_set(s->enc, "confidence", c))
            return nomem(s);
    if (!c && s->index > 0)
        json_object_del(s->enc, "confidence");
    json_t *iv = json_object_get(enc, "invalid_sequences");
    if (!iv)
        return ASSAY_OK;
    json_t *one = json_pack("{s:O}", "invalid_sequences", iv);
    if (!one)
        return nomem(s);
    char path[512] = "$.encoding";
    st = sum_counts(s, s->enc, one, path, strlen(path), 0);
    json_decref(one);
    return st;
}

static assay_status merge_timing(mg_state *s, json_t *root)
{
    json_t *t = json_object_get(root, "timing");
    double secs = json_number_value(json_object_get(t, "seconds"));
    double bps = json_number_value(json_object_get(t, "bytes_per_second"));
    if (secs > s->max_secs)
        s->max_secs = secs;
    if (secs > 0 && bps > 0) /* the stats hold no byte count: estimated */
        s->bytes += secs * bps;
    return ASSAY_OK;
}

static const char *opt_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static mg_threshold *find_threshold(mg_state *s, const char *name, const char *field,
                                    const char *rule)
{
    for (size_t i = 0; i < s->nth; i++)
        if (same_str(s->th[i].name, name) && same_str(s->th[i].field, field) &&
            same_str(s->th[i].rule, rule))
            return &s->th[i];
    return NULL;
}

/* Whether this shard holds the counts the threshold is recomputed from. */
static bool shard_can_recompute(json_t *root, const mg_threshold *t)
{
    json_t *f = t->field ? json_object_get(json_object_get(root, "fields"), t->field) : NULL;
    if (strcmp(t->name, "max_quarantine_rate") == 0 || strcmp(t->name, "min_records") == 0)
        return true;
    if (strcmp(t->name, "max_formats_per_field") == 0)
        return json_is_object(json_object_get(f, "formats"));
    if (strcmp(t->name, "mostly") != 0)
        return false;
    if (t->field)
        return json_is_integer(json_object_get(f, "failed"));
    json_t *r = json_object_get(json_object_get(root, "rules"), t->rule ? t->rule : "");
    return json_is_integer(json_object_get(r, "violations")) &&
           json_is_integer(json_object_get(r, "applied"));
}

static const char *threshold_label(const mg_threshold *t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s", t->name, t->field || t->rule ? " of " : "",
             t->field ? "field " : t->rule ? "rule " : "",
             t->field ? t->field : t->rule ? t->rule : "");
    return buf;
}

/* One threshold of one shard: the first shard defines the set, every later
 * one must carry the same thresholds with the same limits. */
static assay_status add_threshold(mg_state *s, json_t *root, json_t *o, size_t i)
{
    const char *name = opt_str(o, "name");
    json_t *limit = json_object_get(o, "limit"), *ok = json_object_get(o, "ok");
    if (!name || !json_is_number(limit) || !json_is_boolean(ok))
        return fail(s, ASSAY_E_USAGE, "$.thresholds[%zu]: expected name, limit and ok", i);
    mg_threshold *t = find_threshold(s, name, opt_str(o, "field"), opt_str(o, "rule"));
    char label[256];
    if (!t && s->index > 0)
        return fail(s, ASSAY_E_USAGE, "threshold %s is not in the first file: the "
                    "shards must be checked with the same rules", name);
    if (!t) {
        t = &s->th[s->nth++];
        *t = (mg_threshold){name, opt_str(o, "field"), opt_str(o, "rule"),
                            json_number_value(limit), true, true,
                            json_number_value(json_object_get(o, "actual")), 0};
    } else if (json_number_value(limit) != t->limit)
        return fail(s, ASSAY_E_USAGE, "the limit %g of threshold %s differs from %g in the "
                    "first file: the shards must be checked with the same rules",
                    json_number_value(limit), threshold_label(t, label, sizeof label),
                    t->limit);
    t->exact = t->exact && shard_can_recompute(root, t);
    if (t->shards_ok && !json_is_true(ok))
        t->worst = json_number_value(json_object_get(o, "actual"));
    t->shards_ok = t->shards_ok && json_is_true(ok);
    t->seen = s->index + 1;
    return ASSAY_OK;
}

static assay_status merge_thresholds(mg_state *s, json_t *root)
{
    json_t *a = json_object_get(root, "thresholds"), *o;
    size_t i;
    char label[256];
    if (!json_is_array(a))
        return fail(s, ASSAY_E_USAGE, "$.thresholds: expected an array");
    if (s->index == 0) {
        s->th = calloc(json_array_size(a) + 1, sizeof *s->th);
        if (!s->th)
            return nomem(s);
    }
    json_array_foreach(a, i, o) {
        assay_status st = json_is_object(o) ? add_threshold(s, root, o, i)
                          : fail(s, ASSAY_E_USAGE, "$.thresholds[%zu]: expected an object", i);
        if (st)
            return st;
    }
    for (size_t k = 0; k < s->nth; k++)
        if (s->th[k].seen != s->index + 1)
            return fail(s, ASSAY_E_USAGE, "threshold %s of the first file is missing: the "
                        "shards must be checked with the same rules",
                        threshold_label(&s->th[k], label, sizeof label));
    return ASSAY_OK;
}

static assay_status merge_one(mg_state *s, json_t *root)
{
    assay_status st = check_version(s, root);
    if (!st)
        st = merge_lists(s, root);
    if (!st)
        st = sum_section(s, s->records, root, "records");
    if (!st)
        st = sum_section(s, s->fields, root, "fields");
    if (!st)
        st = sum_section(s, s->recviol, root, "record_violations");
    if (!st)
        st = sum_section(s, s->rules, root, "rules");
    if (!st)
        st = merge_encoding(s, root);
    if (!st)
        st = merge_thresholds(s, root);
    if (!st)
        st = merge_timing(s, root);
    return st;
}

/* ---- the merged statistics -------------------------------------------- */

static uint64_t count(json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* The engine's formulas (engine/check.c, eng_thresholds) over merged counts. */
static bool recompute(const mg_state *s, const mg_threshold *t, double *actual)
{
    uint64_t read = count(s->records, "read"), q = count(s->records, "quarantined");
    uint64_t unparsed = count(s->records, "unparsed");
    uint64_t parsed = read > unparsed ? read - unparsed : 0;
    json_t *f = t->field ? json_object_get(s->fields, t->field) : NULL;
    if (strcmp(t->name, "max_quarantine_rate") == 0) {
        *actual = read ? (double)q / (double)read : 0.0;
        return *actual <= t->limit;
    }
    if (strcmp(t->name, "min_records") == 0) {
        *actual = (double)read;
        return (double)read >= t->limit;
    }
    if (strcmp(t->name, "max_formats_per_field") == 0) {
        const char *key;
        json_t *v;
        uint64_t used = 0;
        json_object_foreach(json_object_get(f, "formats"), key, v)
            used += json_integer_value(v) > 0;
        *actual = (double)used;
        return *actual <= t->limit;
    }
    uint64_t failed = count(f, "failed"), base = parsed;
    if (!t->field) {
        json_t *r = json_object_get(s->rules, t->rule);
        failed = count(r, "violations");
        base = count(r, "applied");
    }
    *actual = base ? 1.0 - (double)failed / (double)base : 1.0;
    return *actual >= t->limit;
}

static void describe(assay_merge_result *res, const mg_threshold *t, double actual)
{
    char label[256];
    size_t len = strlen(res->breach);
    snprintf(res->breach + len, sizeof res->breach - len, "%s%s is %.4g, limit %g",
             len ? "; " : "", threshold_label(t, label, sizeof label), actual, t->limit);
}

static json_t *thresholds_json(const mg_state *s, assay_merge_result *res)
{
    json_t *a = json_array();
    res->thresholds_ok = 1;
    for (size_t i = 0; a && i < s->nth; i++) {
        const mg_threshold *t = &s->th[i];
        double actual = t->worst;
        bool ok = t->exact ? recompute(s, t, &actual) : t->shards_ok;
        json_t *o = json_pack("{s:s}", "name", t->name);
        if (!o || (t->field && json_object_set_new(o, "field", json_string(t->field))) ||
            (t->rule && json_object_set_new(o, "rule", json_string(t->rule))) ||
            json_object_set_new(o, "limit", json_real(t->limit)) ||
            json_object_set_new(o, "actual", json_real(actual)) ||
            json_object_set_new(o, "ok", json_boolean(ok)) ||
            (!t->exact && json_object_set_new(o, "recomputed", json_false())) ||
            json_array_append_new(a, o)) {
            json_decref(o);
            json_decref(a);
            return NULL;
        }
        if (!ok) {
            describe(res, t, actual);
            res->thresholds_ok = 0;
        }
    }
    return a;
}

static json_t *timing_json(const mg_state *s)
{
    double secs = s->max_secs;
    double rps = secs > 0 ? (double)count(s->records, "read") / secs : 0;
    double bps = secs > 0 ? s->bytes / secs : 0;
    return json_pack("{s:f, s:I, s:I}", "seconds", secs, "records_per_second",
                     (json_int_t)rps, "bytes_per_second", (json_int_t)llround(bps));
}

static json_t *stats_json(mg_state *s, assay_merge_result *res)
{
    if (s->enc_mixed && json_object_set(s->enc, "detected_by_shard", s->enc_by_shard))
        return NULL;
    json_t *th = thresholds_json(s, res);
    return json_pack("{s:i, s:s, s:O, s:O, s:{s:O, s:O}, s:O, s:O, s:O, s:O, s:o, s:o}",
                     "stats_version", MERGE_STATS_VERSION, "assay_version", ASSAY_VERSION,
                     "inputs", s->inputs, "records", s->records, "header", "extra",
                     s->extra, "missing", s->missing, "fields", s->fields,
                     "record_violations", s->recviol, "rules", s->rules, "encoding",
                     s->enc, "thresholds", th, "timing", timing_json(s));
}

/* ---- driver ------------------------------------------------------------- */

static void state_free(mg_state *s)
{
    json_t *objs[] = {s->inputs, s->records, s->extra, s->missing, s->fields,
                      s->recviol, s->rules, s->enc, s->enc_by_shard, s->first};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        json_decref(objs[i]);
    free(s->th);
}

static assay_status merge_files(mg_state *s, const char *const *paths, size_t n)
{
    s->inputs = json_array();
    s->records = json_object();
    s->extra = json_array();
    s->missing = json_array();
    s->fields = json_object();
    s->recviol = json_object();
    s->rules = json_object();
    s->enc = json_object();
    s->enc_by_shard = json_array();
    if (!s->inputs || !s->records || !s->extra || !s->missing || !s->fields ||
        !s->recviol || !s->rules || !s->enc || !s->enc_by_shard)
        return nomem(s);
    for (size_t i = 0; i < n; i++) {
        json_t *root;
        s->file = paths[i];
        s->index = i;
        assay_status st = load(s, paths[i], &root);
        if (st)
            return st;
        if (i == 0)
            s->first = json_incref(root);
        st = merge_one(s, root);
        json_decref(root);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

static assay_status write_stats(mg_state *s, io_out *out, assay_merge_result *res)
{
    json_t *o = stats_json(s, res);
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                       JSON_REAL_PRECISION(12)) : NULL;
    json_decref(o);
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

ASSAY_API assay_status assay_stats_merge(const char *const *paths, size_t n,
                                         const char *out_path, assay_tempfile_fn on_tempfile,
                                         void *tempfile_ctx, assay_merge_result *result,
                                         assay_error *err)
{
    assay_merge_result scratch;
    assay_merge_result *res = result ? result : &scratch;
    memset(res, 0, sizeof *res);
    memset(err, 0, sizeof *err);
    mg_state s = {.file = "merge", .err = err};
    if (n == 0)
        return fail(&s, ASSAY_E_USAGE, "no stats file given");
    json_t *first = NULL;
    eng_doc_kind kind;
    assay_status st = eng_doc_load(paths[0], &first, &kind, err);
    json_decref(first);
    if (st)
        return st;
    if (kind == ENG_DOC_PROFILE) /* profiles: engine/merge_profile.c */
        return eng_profile_merge(paths, n, out_path, on_tempfile, tempfile_ctx, res, err);
    io_out *out = NULL;
    st = io_out_open(&out, out_path, on_tempfile, tempfile_ctx, err);
    if (!st)
        st = merge_files(&s, paths, n);
    if (!st) {
        s.file = out_path ? out_path : "-";
        st = write_stats(&s, out, res);
    }
    if (!st)
        st = io_out_commit(out, err);
    else if (out)
        io_out_abort(out);
    res->broken_pipe = out && io_out_broken_pipe(out);
    io_out_free(out);
    res->nshards = n;
    res->read = count(s.records, "read");
    res->passed = count(s.records, "passed");
    res->quarantined = count(s.records, "quarantined");
    state_free(&s);
    return st;
}
