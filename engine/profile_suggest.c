/* engine/profile_suggest.c — a rules file suggested from a profile document
 * (`assay profile --suggest`). Conservative: every rule is drawn from exact
 * counts, so the data that was profiled passes all of them (what each rule is
 * inferred from, and the margins, are in docs/profile-html.md). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/profile_out.h"

#define ENUM_MAX 20      /* at most this many distinct values become an enum */
#define ENUM_LEN_MAX 49  /* longer values may be cut (200 bytes) in the document */
#define MARGIN 0.10      /* numeric bounds: widened by 10% of the range */
#define LEN_MARGIN 0.20  /* maxLength: 20% above the longest value, at least 1 */

typedef struct sg {
    assay_error *err;
    assay_status st; /* first failure (allocation) */
} sg;

static void set_err(assay_error *err, assay_status st, const char *msg)
{
    if (!err)
        return;
    err->status = st;
    snprintf(err->message, sizeof err->message, "profile: %s", msg);
}

/* Takes ownership of v; remembers an allocation failure. */
static void put(sg *s, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new(obj, key, v) != 0)
        s->st = ASSAY_E_NOMEM;
}

static void append(sg *s, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) != 0)
        s->st = ASSAY_E_NOMEM;
}

static void note(sg *s, json_t *notes, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(sg *s, json_t *notes, const char *key, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(s, notes, key, json_string(buf));
}

/* A count: a non-negative JSON integer, else -1. */
static long long count_of(const json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        return (long long)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9.2e18)
        return (long long)json_real_value(v);
    return -1;
}

static long long key_count(const json_t *obj, const char *key)
{
    return count_of(json_object_get(obj, key));
}

/* ---- numeric bounds ---------------------------------------------------- */

/* 10^floor(log10(x)) for x > 0. */
static double step_of(double x)
{
    return pow(10.0, floor(log10(x)));
}

/* Bounds of an integer field: [min - m, max + m], m = ceil(10% of the range)
 * (at least 1), each rounded outward to a multiple of the power of ten at or
 * below m, never below 0 when the minimum is not. Saturates at int64. */
static void int_bounds(int64_t mn, int64_t mx, int64_t *lo, int64_t *hi)
{
    double range = (double)mx - (double)mn;
    double m = ceil(range * MARGIN);
    if (m < 1)
        m = 1;
    double step = step_of(m);
    double l = floor(((double)mn - m) / step) * step;
    double h = ceil(((double)mx + m) / step) * step;
    /* Doubles lose precision past 2^53: keep the exact value's side. */
    if (l >= 9.2e18 || l > (double)mn)
        *lo = mn;
    else if (l <= -9.2e18)
        *lo = INT64_MIN;
    else
        *lo = (int64_t)l <= mn ? (int64_t)l : mn;
    if (h <= -9.2e18 || h < (double)mx)
        *hi = mx;
    else if (h >= 9.2e18)
        *hi = INT64_MAX;
    else
        *hi = (int64_t)h >= mx ? (int64_t)h : mx;
    if (mn >= 0 && *lo < 0)
        *lo = 0;
}

/* Bounds of a number field: the same widening, rounded outward to the power
 * of ten at or below the margin; m is 10% of |value| (1 for 0) when every
 * value is the same. *decimals: digits after the point that show the bounds
 * exactly. */
static void num_bounds(double mn, double mx, double *lo, double *hi, int *decimals)
{
    double m = (mx - mn) * MARGIN;
    if (!(m > 0)) {
        double a = fabs(mn) > fabs(mx) ? fabs(mn) : fabs(mx);
        m = a > 0 ? a * MARGIN : 1;
    }
    double step = step_of(m);
    int e = (int)floor(log10(m));
    *decimals = e < 0 ? -e : 0;
    *lo = floor((mn - m) / step) * step;
    *hi = ceil((mx + m) / step) * step;
    if (mn >= 0 && *lo < 0)
        *lo = 0;
}

/* A bound as a JSON number written exactly as the decimal it stands for
 * (jansson writes reals with 17 digits: 0.1 would come out above 0.1). */
static json_t *decimal(double v, int decimals)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (decimals == 0 && fabs(v) < 9e15)
        return json_integer((json_int_t)v);
    return json_real(strtod(buf, NULL));
}

/* ---- patterns from shapes ---------------------------------------------- */

/* Translates a pure character-class mask (A upper-case letter, a lower-case
 * letter, 9 digit; a run of one class followed by "+" stands for that many or
 * more) into a regular expression over ASCII. Returns false for any other
 * mask (literal characters, a "+" that follows no class). */
static bool mask_regex(const char *mask, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = mask;
    if (!*p)
        return false;
    while (*p) {
        const char *cls;
        switch (*p) {
        case 'A': cls = "[A-Z]"; break;
        case 'a': cls = "[a-z]"; break;
        case '9': cls = "[0-9]"; break;
        default: return false;
        }
        char c = *p;
        size_t k = 0;
        while (*p == c) {
            k++;
            p++;
        }
        bool more = *p == '+';
        if (more)
            p++;
        int n;
        if (more)
            n = snprintf(out + o, cap - o, "%s{%zu,}", cls, k);
        else if (k == 1)
            n = snprintf(out + o, cap - o, "%s", cls);
        else
            n = snprintf(out + o, cap - o, "%s{%zu}", cls, k);
        if (n < 0 || (size_t)n >= cap - o)
            return false;
        o += (size_t)n;
    }
    return true;
}

/* ---- per field --------------------------------------------------------- */

/* The spellings of a boolean column, when the top values list them all:
 * each goes to trueValues or falseValues. False when one is not a known
 * spelling (the column is then suggested as a string). */
static bool bool_values(sg *s, const json_t *vals, json_t *t, json_t *f)
{
    static const char *const yes[] = {"true", "yes", "y", "t", "on", "1"};
    static const char *const no[] = {"false", "no", "n", "f", "off", "0"};
    size_t i;
    json_t *it;
    json_array_foreach(vals, i, it)
    {
        const char *v = json_string_value(it);
        bool done = false;
        for (size_t k = 0; k < sizeof yes / sizeof *yes && !done; k++) {
            if (strcasecmp(v, yes[k]) == 0) {
                append(s, t, json_string(v));
                done = true;
            } else if (strcasecmp(v, no[k]) == 0) {
                append(s, f, json_string(v));
                done = true;
            }
        }
        if (!done)
            return false;
    }
    return json_array_size(t) > 0 || json_array_size(f) > 0;
}

/* Every distinct non-missing value, most frequent first, when the document
 * lists them all with exact counts (top, or the top sketch when exact) and
 * there are at most ENUM_MAX. NULL otherwise (or on allocation failure). */
static json_t *all_values(const json_t *fd, long long nm)
{
    const json_t *dist = json_object_get(fd, "distinct");
    if (!json_is_true(json_object_get(dist, "exact")) ||
        key_count(dist, "estimate") < 1 || key_count(dist, "estimate") > ENUM_MAX)
        return NULL;
    long long ndist = key_count(dist, "estimate");
    json_t *vals = json_array();
    if (!vals)
        return NULL;
    long long sum = 0;
    const json_t *top = json_object_get(fd, "top");
    const json_t *sk = json_object_get(fd, "top_sketch");
    size_t i;
    json_t *it;
    if (json_is_true(json_object_get(fd, "top_exact")) && json_is_array(top) &&
        (long long)json_array_size(top) == ndist) {
        json_array_foreach(top, i, it)
        {
            const json_t *v = json_object_get(it, "value");
            long long c = key_count(it, "count");
            if (!json_is_string(v) || c < 0 || json_array_append(vals, (json_t *)v)) {
                json_decref(vals);
                return NULL;
            }
            sum += c;
        }
    } else if (json_is_true(json_object_get(sk, "exact")) &&
               json_is_array(json_object_get(sk, "items")) &&
               (long long)json_array_size(json_object_get(sk, "items")) == ndist) {
        json_array_foreach(json_object_get(sk, "items"), i, it)
        {
            const json_t *v = json_array_get(it, 0);
            long long c = count_of(json_array_get(it, 1));
            if (!json_is_string(v) || c < 0 || count_of(json_array_get(it, 2)) != 0 ||
                json_array_append(vals, (json_t *)v)) {
                json_decref(vals);
                return NULL;
            }
            sum += c;
        }
    }
    if (sum != nm || (long long)json_array_size(vals) != ndist) {
        json_decref(vals);
        return NULL;
    }
    return vals;
}

/* The date formats seen, most used first (ties by name). */
static json_t *formats_by_count(const json_t *df)
{
    json_t *out = json_array();
    if (!out || !json_is_object(df))
        return out;
    size_t n = json_object_size(df);
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    long long *cnt = calloc(n ? n : 1, sizeof *cnt);
    size_t k = 0;
    if (!keys || !cnt) {
        free(keys);
        free(cnt);
        json_decref(out);
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)df, key, v)
    {
        long long c = count_of(v);
        if (c <= 0)
            continue;
        size_t j = k++;
        while (j > 0 && (cnt[j - 1] < c || (cnt[j - 1] == c && strcmp(keys[j - 1], key) > 0))) {
            keys[j] = keys[j - 1];
            cnt[j] = cnt[j - 1];
            j--;
        }
        keys[j] = key;
        cnt[j] = c;
    }
    for (size_t j = 0; j < k; j++) {
        if (json_array_append_new(out, json_string(keys[j])) != 0) {
            json_decref(out);
            out = NULL;
            break;
        }
    }
    free(keys);
    free(cnt);
    return out;
}

static void numeric_bounds(sg *s, const json_t *fd, bool integer, json_t *cons,
                           json_t *notes)
{
    const json_t *num = json_object_get(fd, "numeric");
    const json_t *jmn = json_object_get(num, "min"), *jmx = json_object_get(num, "max");
    if (!json_is_number(jmn) || !json_is_number(jmx))
        return;
    if (integer && json_is_integer(jmn) && json_is_integer(jmx)) {
        int64_t mn = json_integer_value(jmn), mx = json_integer_value(jmx), lo, hi;
        int_bounds(mn, mx, &lo, &hi);
        put(s, cons, "minimum", json_integer(lo));
        put(s, cons, "maximum", json_integer(hi));
        note(s, notes, "minimum",
             "observed minimum %lld, widened by 10%% of the range %lld..%lld, rounded "
             "down%s",
             (long long)mn, (long long)mn, (long long)mx,
             mn >= 0 && lo == 0 && mn > 0 ? ", not below 0" : "");
        note(s, notes, "maximum",
             "observed maximum %lld, widened by 10%% of the range, rounded up",
             (long long)mx);
        return;
    }
    double mn = json_number_value(jmn), mx = json_number_value(jmx), lo, hi;
    if (!isfinite(mn) || !isfinite(mx) || mn > mx)
        return;
    int dec;
    if (integer) {
        num_bounds(mn, mx, &lo, &hi, &dec);
        lo = floor(lo);
        hi = ceil(hi);
        dec = 0;
    } else {
        num_bounds(mn, mx, &lo, &hi, &dec);
    }
    put(s, cons, "minimum", decimal(lo, dec));
    put(s, cons, "maximum", decimal(hi, dec));
    note(s, notes, "minimum",
         "observed minimum %.15g, widened by 10%% of the range, rounded down%s", mn,
         mn > 0 && lo == 0 ? ", not below 0" : "");
    note(s, notes, "maximum", "observed maximum %.15g, widened by 10%% of the range, "
                              "rounded up", mx);
}

/* One field descriptor. */
static json_t *field_rules(sg *s, const json_t *fd, long long records)
{
    json_t *f = json_object(), *cons = json_object(), *notes = json_object();
    if (!f || !cons || !notes) {
        json_decref(f);
        json_decref(cons);
        json_decref(notes);
        s->st = ASSAY_E_NOMEM;
        return NULL;
    }
    const char *name = json_string_value(json_object_get(fd, "name"));
    put(s, f, "name", json_string(name));
    put(s, f, "type", json_string("string")); /* first; set below */
    put(s, notes, "type", json_string(""));
    long long count = key_count(fd, "count"), missing = key_count(fd, "missing");
    if (count < 0)
        count = 0;
    if (missing < 0)
        missing = 0;
    long long nm = count - missing;
    const char *inf = json_string_value(json_object_get(fd, "inferred"));
    const json_t *types = json_object_get(fd, "types");
    const char *type = "string";
    if (nm <= 0)
        inf = NULL;

    if (inf && (strcmp(inf, "integer") == 0 || strcmp(inf, "number") == 0)) {
        type = inf;
        numeric_bounds(s, fd, strcmp(inf, "integer") == 0, cons, notes);
    } else if (inf && strcmp(inf, "boolean") == 0) {
        json_t *vals = all_values(fd, nm);
        json_t *t = json_array(), *fl = json_array();
        if (vals && t && fl && bool_values(s, vals, t, fl)) {
            type = "boolean";
            put(s, f, "trueValues", t);
            put(s, f, "falseValues", fl);
            t = fl = NULL;
        }
        json_decref(vals);
        json_decref(t);
        json_decref(fl);
    } else if (inf && (strcmp(inf, "date") == 0 || strcmp(inf, "datetime") == 0 ||
                       strcmp(inf, "time") == 0)) {
        json_t *fm = formats_by_count(json_object_get(fd, "date_formats"));
        size_t optional = 0; /* Table Schema "any" patterns ([.S+] sections) */
        for (size_t k = 0; fm && k < json_array_size(fm); k++)
            optional += strchr(json_string_value(json_array_get(fm, k)), '[') != NULL;
        if (!fm)
            s->st = ASSAY_E_NOMEM;
        else if (json_array_size(fm) == 0)
            json_decref(fm);
        else if (optional == json_array_size(fm)) {
            /* Only the built-in ISO 8601 variants read the values: a
             * "formats" list cannot name them, Table Schema's "any" does. */
            type = inf;
            json_decref(fm);
            put(s, f, "format", json_string("any"));
            note(s, notes, "format", "every value is an ISO 8601 %s (Table Schema \"any\")",
                 inf);
        } else if (optional) {
            /* ISO variants mixed with other formats: no rules key lists both. */
            json_decref(fm);
            note(s, notes, "type", "a %s column mixing ISO 8601 variants with other "
                 "formats: left a string; list its formats by hand", inf);
        } else {
            type = inf;
            size_t nf = json_array_size(fm);
            json_t *first = json_array_get(fm, 0);
            if (nf > 1) {
                put(s, f, "prefer", json_string("first"));
                put(s, f, "output", json_copy(first));
            }
            put(s, f, "formats", fm);
            note(s, notes, "formats",
                 "the %zu format%s that read the values, most used first (%s: %lld of "
                 "%lld)",
                 nf, nf > 1 ? "s" : "", json_string_value(first),
                 key_count(json_object_get(fd, "date_formats"), json_string_value(first)),
                 nm);
        }
    }
    put(s, f, "type", json_string(type));
    if (strcmp(type, "string") == 0 || !inf)
        note(s, notes, "type", "%s", nm <= 0 ? "no value present: string" :
             inf && strcmp(inf, "string") != 0 ?
             "the values read as the inferred type, but the document does not say how: string" :
             "the values read as no narrower type");
    else
        note(s, notes, "type", "%lld of %lld non-missing values read as %s",
             key_count(types, type) >= 0 ? key_count(types, type) : nm, nm, type);

    if (missing == 0 && count == records && nm > 0) {
        put(s, cons, "required", json_true());
        note(s, notes, "required", "present and not missing in all %lld records", records);
    }

    if (strcmp(type, "string") == 0 && nm > 0) {
        const json_t *len = json_object_get(fd, "length");
        long long lmax = key_count(len, "max");
        long long bad = key_count(fd, "invalid_encoding");
        long long nonascii = key_count(fd, "non_ascii");
        json_t *vals = NULL;
        if (bad == 0 && lmax >= 0 && lmax <= ENUM_LEN_MAX)
            vals = all_values(fd, nm);
        if (vals) {
            note(s, notes, "enum", "the %zu distinct values, all counted exactly (%lld values)",
                 json_array_size(vals), nm);
            put(s, cons, "enum", vals);
        } else {
            const json_t *shapes = json_object_get(fd, "shapes");
            const json_t *sh0 = json_array_get(shapes, 0);
            const char *mask = json_string_value(json_object_get(sh0, "shape"));
            char re[512];
            if (json_is_true(json_object_get(fd, "shapes_exact")) && mask &&
                key_count(sh0, "count") == nm && nonascii == 0 && bad == 0 &&
                mask_regex(mask, re, sizeof re)) {
                put(s, cons, "pattern", json_string(re));
                note(s, notes, "pattern", "shape %s covers all %lld non-missing values",
                     mask, nm);
            }
            if (lmax > 0) {
                long long m = (long long)ceil((double)lmax * LEN_MARGIN);
                if (m < 1)
                    m = 1;
                put(s, cons, "maxLength", json_integer(lmax + m));
                note(s, notes, "maxLength", "longest value %lld characters, plus 20%%",
                     lmax);
            }
        }
    }
    if (json_object_size(cons))
        put(s, f, "constraints", cons);
    else
        json_decref(cons);
    put(s, f, "x-inferred", notes);
    return f;
}

/* The missing tokens of every field, "" first, then most counted first. */
static json_t *missing_values(sg *s, const json_t *fields)
{
    json_t *tot = json_object(), *out = json_array();
    if (!tot || !out) {
        json_decref(tot);
        json_decref(out);
        s->st = ASSAY_E_NOMEM;
        return NULL;
    }
    size_t i;
    json_t *fd;
    json_array_foreach(fields, i, fd)
    {
        const char *tok;
        json_t *c;
        json_object_foreach(json_object_get(fd, "missing_tokens"), tok, c)
        {
            long long n = count_of(c);
            if (n <= 0 || !*tok)
                continue;
            long long was = count_of(json_object_get(tot, tok));
            put(s, tot, tok, json_integer((was > 0 ? was : 0) + n));
        }
    }
    append(s, out, json_string(""));
    size_t n = json_object_size(tot);
    for (size_t k = 0; k < n && s->st == ASSAY_OK; k++) { /* n is small: selection */
        const char *best = NULL, *tok;
        long long bc = 0; /* taken tokens are marked -1 */
        json_t *c;
        json_object_foreach(tot, tok, c)
        {
            long long v = json_integer_value(c);
            if (v > bc || (v == bc && best && strcmp(tok, best) < 0)) {
                bc = v;
                best = tok;
            }
        }
        append(s, out, json_string(best));
        json_object_set_new(tot, best, json_integer(-1)); /* taken */
    }
    json_decref(tot);
    return out;
}

assay_status eng_profile_suggest(const json_t *profile, io_out *o, assay_error *err)
{
    const json_t *fields = json_object_get(profile, "fields");
    if (!json_is_array(fields) || json_array_size(fields) == 0) {
        set_err(err, ASSAY_E_USAGE, "no \"fields\" to suggest rules for");
        return ASSAY_E_USAGE;
    }
    size_t i;
    json_t *fd;
    json_array_foreach(fields, i, fd)
    {
        if (!json_is_string(json_object_get(fd, "name")) ||
            !*json_string_value(json_object_get(fd, "name"))) {
            set_err(err, ASSAY_E_USAGE, "a field has no \"name\"");
            return ASSAY_E_USAGE;
        }
    }
    sg s = {err, ASSAY_OK};
    long long records = key_count(profile, "records");
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr) {
        json_decref(root);
        json_decref(arr);
        set_err(err, ASSAY_E_NOMEM, "out of memory");
        return ASSAY_E_NOMEM;
    }
    put(&s, root, "description",
        json_string("Suggested by assay profile --suggest: every rule holds on the data "
                    "profiled; x-inferred says what each was drawn from."));
    const json_t *in0 = json_array_get(json_object_get(profile, "inputs"), 0);
    const json_t *dia = json_object_get(in0, "dialect");
    const char *fmt = json_string_value(json_object_get(in0, "format"));
    if (json_is_object(dia) && fmt && (strcmp(fmt, "csv") == 0 || strcmp(fmt, "tsv") == 0)) {
        json_t *d = json_object();
        const json_t *del = json_object_get(dia, "delimiter");
        const json_t *q = json_object_get(dia, "quote");
        const json_t *h = json_object_get(dia, "header");
        if (!d)
            s.st = ASSAY_E_NOMEM;
        else {
            if (json_is_string(del) && json_string_length(del) == 1)
                put(&s, d, "delimiter", json_copy((json_t *)del));
            if (json_is_string(q) && json_string_length(q) == 1)
                put(&s, d, "quoteChar", json_copy((json_t *)q));
            if (json_is_boolean(h))
                put(&s, d, "header", json_copy((json_t *)h));
            if (json_object_size(d))
                put(&s, root, "dialect", d);
            else
                json_decref(d);
        }
    }
    put(&s, root, "missingValues", missing_values(&s, fields));
    json_array_foreach(fields, i, fd)
    {
        append(&s, arr, field_rules(&s, fd, records));
    }
    put(&s, root, "fields", arr);
    char *text = s.st == ASSAY_OK ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                                         JSON_REAL_PRECISION(15))
                                  : NULL;
    json_decref(root);
    if (!text) {
        set_err(err, ASSAY_E_NOMEM, "out of memory");
        return ASSAY_E_NOMEM;
    }
    assay_status st = io_out_puts(o, text);
    if (st == ASSAY_OK)
        st = io_out_puts(o, "\n");
    free(text);
    if (st != ASSAY_OK)
        io_out_error(o, err);
    return st;
}
