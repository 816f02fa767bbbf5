/* engine/profile_acc.c — one field of `assay profile`: every value goes
 * through prof_field_add once (one hash, one byte scan, the number parsers,
 * the date matcher when the first byte can start a date), and
 * prof_field_json writes what was gathered (docs/profile-format.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "core/utf8.h"
#include "engine/profile_acc.h"
#include "validators/number.h"

/* The formats tried on every field (docs/profile.md lists them). Day-first
 * before month-first: a value both read (03/04/2024) counts for the first. */
static const char *const date_formats[] = {
    "yyyy-MM-dd", "yyyy/MM/dd", "dd/MM/yyyy", "MM/dd/yyyy", "d/M/yyyy", "M/d/yyyy",
    "dd.MM.yyyy", "dd-MM-yyyy", "d MMM yyyy", "d MMMM yyyy", "MMM d, yyyy",
    "MMMM d, yyyy"};
/* "any": Table Schema's fixed list of the type (docs/dates.md) */
static const char *const datetime_formats[] = {
    "any", "dd/MM/yyyy HH:mm:ss", "MM/dd/yyyy HH:mm:ss", "dd/MM/yyyy HH:mm",
    "MM/dd/yyyy HH:mm"};
static const char *const time_formats[] = {"any"};

static const struct {
    const char *const *list;
    size_t n;
    rules_type type;
} format_lists[PROF_KINDS] = {
    {date_formats, sizeof date_formats / sizeof *date_formats, RT_DATE},
    {datetime_formats, sizeof datetime_formats / sizeof *datetime_formats, RT_DATETIME},
    {time_formats, sizeof time_formats / sizeof *time_formats, RT_TIME}};

static const char *const kind_names[PROF_KINDS] = {"date", "datetime", "time"};

assay_status prof_ctx_formats(prof_ctx *c, assay_error *err)
{
    for (int k = 0; k < PROF_KINDS; k++) {
        char msg[256];
        c->fmts[k] = val_datefmts_new(format_lists[k].type);
        if (!c->fmts[k])
            return ASSAY_E_NOMEM;
        for (size_t i = 0; i < format_lists[k].n; i++) {
            const char *s = format_lists[k].list[i];
            val_df_rc rc = strcmp(s, "any") == 0
                               ? val_datefmts_add_table_schema(c->fmts[k], s, 3, msg, sizeof msg)
                               : val_datefmts_add(c->fmts[k], s, strlen(s), msg, sizeof msg);
            if (rc == VAL_DF_NOMEM)
                return ASSAY_E_NOMEM;
            if (rc) {
                snprintf(err->message, sizeof err->message, "date format %s: %s", s, msg);
                return ASSAY_E_INTERNAL;
            }
        }
        val_df_rc rc = val_datefmts_finish(c->fmts[k], msg, sizeof msg);
        if (rc)
            return rc == VAL_DF_NOMEM ? ASSAY_E_NOMEM : ASSAY_E_INTERNAL;
    }
    return ASSAY_OK;
}

void prof_ctx_free_formats(prof_ctx *c)
{
    for (int k = 0; k < PROF_KINDS; k++) {
        val_datefmts_free(c->fmts[k]);
        c->fmts[k] = NULL;
    }
}

int prof_kind_of_type(rules_type t)
{
    switch (t) {
    case RT_DATE: case RT_YEAR: case RT_YEARMONTH: return PROF_DATE;
    case RT_DATETIME: return PROF_DATETIME;
    case RT_TIME: return PROF_TIME;
    default: return -1;
    }
}

int prof_field_init(prof_field *f, const prof_ctx *c, const char *name, size_t n,
                    const rules_field *rf)
{
    memset(f, 0, sizeof *f);
    f->rkind = -1;
    f->name = malloc(n + 1);
    if (!f->name)
        return -1;
    memcpy(f->name, name, n);
    f->name[n] = '\0';
    f->name_len = n;
    f->miss = calloc(c->nslots ? c->nslots : 1, sizeof *f->miss);
    f->text_min = malloc(PROF_TEXT_MAX + 1);
    f->text_max = malloc(PROF_TEXT_MAX + 1);
    f->kll = stats_kll_new(STATS_KLL_K);
    f->distinct = stats_distinct_new();
    f->top = stats_topk_new(PROF_TOP_CAPACITY);
    f->shapes = stats_topk_new(PROF_SHAPE_CAPACITY);
    if (!f->miss || !f->text_min || !f->text_max || !f->kll || !f->distinct || !f->top ||
        !f->shapes)
        return -1;
    for (int k = 0; k < PROF_KINDS; k++) {
        f->w[k] = val_date_worker_new(c->fmts[k], c->now_us);
        f->fmt[k] = calloc(val_datefmts_count(c->fmts[k]) + 1, sizeof *f->fmt[k]);
        if (!f->w[k] || !f->fmt[k])
            return -1;
    }
    f->nmin = INFINITY;
    f->nmax = -INFINITY;
    f->len_min = UINT64_MAX;
    if (rf && rf->dates && prof_kind_of_type(rf->type) >= 0) {
        f->rf = rf;
        f->rkind = prof_kind_of_type(rf->type);
        f->rw = val_date_worker_new(rf->dates, c->now_us);
        f->rfmt = calloc(val_datefmts_count(rf->dates) + 1, sizeof *f->rfmt);
        if (!f->rw || !f->rfmt)
            return -1;
    } else
        f->rf = rf;
    return 0;
}

void prof_field_free(prof_field *f)
{
    free(f->name);
    free(f->miss);
    free(f->text_min);
    free(f->text_max);
    stats_kll_free(f->kll);
    stats_distinct_free(f->distinct);
    stats_topk_free(f->top);
    stats_topk_free(f->shapes);
    for (int k = 0; k < PROF_KINDS; k++) {
        val_date_worker_free(f->w[k]);
        free(f->fmt[k]);
    }
    val_date_worker_free(f->rw);
    free(f->rfmt);
    memset(f, 0, sizeof *f);
}

/* ---- the per-value path ------------------------------------------------- */

static int missing_token(const prof_ctx *c, const char *p, size_t n)
{
    if (n >= 63 || !((c->tok_len_mask >> n) & 1))
        return -1;
    for (size_t t = 0; t < c->ntok; t++)
        if (c->toklens[t] == n && memcmp(c->tokens[t], p, n) == 0)
            return (int)t;
    return -1;
}

static bool is_boolean(const char *p, size_t n)
{
    char w[6];
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        w[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
    switch (n) {
    case 1: return strchr("tfyn10", w[0]) != NULL;
    case 2: return memcmp(w, "no", 2) == 0;
    case 3: return memcmp(w, "yes", 3) == 0;
    case 4: return memcmp(w, "true", 4) == 0;
    default: return memcmp(w, "false", 5) == 0;
    }
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Can the value be one of the formats tried? The first byte a digit, or the
 * first letter of an English month or day name; and every format has a
 * digit somewhere (a day, a year, an hour). */
static bool may_be_temporal(const char *p, size_t n, bool digit)
{
    if (n < 4 || n > 64 || !digit)
        return false;
    unsigned char c = (unsigned char)p[0];
    if (c >= '0' && c <= '9')
        return true;
    return c < 0x80 && strchr("JFMASONDTWjfmasondtw", c) && c != '\0';
}

/* The shape of a value (docs/profile.md): A upper-case ASCII letter, a
 * lower-case one, 9 a digit, U any other code point of 0x80 and above, C a
 * control character, every other byte as itself; a run of more than four of
 * one of A a 9 U is written as that letter and '+'. Cut at PROF_SHAPE_MAX
 * bytes with "…" after. Returns the length written to out. */
static size_t shape_of(const char *p, size_t n, char *out)
{
    size_t o = 0, run = 0;
    char last = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        char cls;
        size_t step = 1;
        if (c >= 'A' && c <= 'Z')
            cls = 'A';
        else if (c >= 'a' && c <= 'z')
            cls = 'a';
        else if (c >= '0' && c <= '9')
            cls = '9';
        else if (c >= 0x80) {
            cls = 'U';
            step = core_utf8_seq(p + i, n - i);
            step = step ? step : 1;
        } else if (c < 0x20 || c == 0x7F)
            cls = 'C';
        else
            cls = (char)c;
        i += step;
        bool klass = cls == 'A' || cls == 'a' || cls == '9' || cls == 'U';
        if (klass && cls == last) {
            run++;
            if (run > 5)
                continue;
            if (run == 5) { /* the four before become "X+" */
                o -= 4;
                out[o++] = cls;
                out[o++] = '+';
                continue;
            }
        } else {
            last = klass ? cls : 0;
            run = 1;
        }
        if (o >= PROF_SHAPE_MAX) {
            memcpy(out + o, "\xE2\x80\xA6", 3);
            return o + 3;
        }
        out[o++] = cls;
    }
    return o;
}

static void temporal_key(prof_field *f, val_date_worker *w, int kind, const val_dt *v,
                         prof_tkey *k)
{
    (void)f;
    if (kind == PROF_DATE) {
        k->a = (int64_t)v->year * 10000 + (v->month ? v->month : 1) * 100 + (v->day ? v->day : 1);
        k->b = 0;
    } else if (kind == PROF_DATETIME) {
        int32_t nanos = 0;
        k->a = val_date_utc_seconds(w, v, &nanos);
        k->b = nanos;
    } else {
        k->a = (int64_t)v->hour * 3600 + v->minute * 60 + v->second;
        k->b = v->nanos;
    }
}

static int tkey_cmp(const prof_tkey *x, const prof_tkey *y)
{
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

static void add_temporal(prof_field *f, val_date_worker *w, int kind, const val_dt *v,
                         uint64_t record)
{
    prof_tkey k;
    temporal_key(f, w, kind, v, &k);
    f->t_kind[kind]++;
    if (!f->thas[kind] || tkey_cmp(&k, &f->tkmin[kind]) < 0) {
        f->tkmin[kind] = k;
        f->tmin[kind] = *v;
        f->trec_min[kind] = record;
    }
    if (!f->thas[kind] || tkey_cmp(&k, &f->tkmax[kind]) > 0) {
        f->tkmax[kind] = k;
        f->tmax[kind] = *v;
        f->trec_max[kind] = record;
    }
    f->thas[kind] = true;
}

static void try_temporal(prof_field *f, const char *p, size_t n, bool numeric, bool digit,
                         uint64_t record)
{
    val_date_result r;
    if (f->rw) { /* the rules' own formats first */
        val_date_parse(f->rw, p, n, &r);
        if (r.status != VAL_DATE_INVALID && r.format >= 0) {
            f->rfmt[r.format]++;
            add_temporal(f, f->rw, f->rkind, &r.value, record);
            return;
        }
    }
    if (numeric || !may_be_temporal(p, n, digit))
        return;
    for (int k = 0; k < PROF_KINDS; k++) {
        val_date_parse(f->w[k], p, n, &r);
        if (r.status != VAL_DATE_INVALID && r.format >= 0) {
            f->fmt[k][r.format]++;
            add_temporal(f, f->w[k], k, &r.value, record);
            return;
        }
    }
}

static int add_number(prof_field *f, double x)
{
    if (!isfinite(x))
        return 0;
    if (x == 0)
        x = 0; /* -0 and 0: one minimum whatever order they come in */
    f->ncount++;
    if (x < f->nmin)
        f->nmin = x;
    if (x > f->nmax)
        f->nmax = x;
    f->bn++;
    double d = x - f->bmean;
    f->bmean += d / (double)f->bn;
    f->bm2 += d * (x - f->bmean);
    return stats_kll_add(f->kll, x);
}

void prof_field_fold(prof_field *f, uint64_t n, double mean, double m2)
{
    if (!n)
        return;
    if (!f->fn) {
        f->mean = mean;
        f->m2 = m2;
    } else {
        double na = (double)f->fn, nb = (double)n, nt = na + nb;
        double d = mean - f->mean;
        f->mean += d * (nb / nt);
        f->m2 += m2 + d * d * (na * nb / nt);
    }
    f->fn += n;
}

void prof_field_end_batch(prof_field *f)
{
    prof_field_fold(f, f->bn, f->bmean, f->bm2);
    f->bn = 0;
    f->bmean = f->bm2 = 0;
}

/* Reads the value as a number; true when it is one (*x its value, NaN for
 * NaN and the infinities' own value). */
static bool read_number(prof_field *f, const char *p, size_t n, double *x)
{
    unsigned char c = n ? (unsigned char)p[0] : 0;
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'N' || c == 'I'))
        return false;
    int64_t iv;
    if (val_integer_parse(p, n, &iv)) {
        f->t_int++;
        *x = (double)iv;
        return true;
    }
    val_dec d;
    if (!val_number_parse(p, n, &d))
        return false;
    if (d.kind == VAL_DEC_NAN)
        *x = NAN;
    else if (d.kind == VAL_DEC_INF)
        *x = d.neg ? -INFINITY : INFINITY;
    else {
        char buf[128];
        if (n < sizeof buf) {
            memcpy(buf, p, n);
            buf[n] = '\0';
            *x = strtod(buf, NULL);
        } else
            *x = NAN; /* a number of 128 characters or more: typed, not summed */
    }
    return true;
}

static int text_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    return r ? r : an < bn ? -1 : an > bn;
}

/* The first PROF_TEXT_MAX bytes of a value, cut at a code point boundary. */
static size_t text_cut(const char *p, size_t n)
{
    if (n <= PROF_TEXT_MAX)
        return n;
    size_t k = PROF_TEXT_MAX;
    while (k > 0 && ((unsigned char)p[k] & 0xC0) == 0x80)
        k--;
    return k;
}

int prof_field_add(prof_field *f, const prof_ctx *c, const char *p, size_t n, bool null_json,
                   bool utf8_known, uint64_t record)
{
    f->count++;
    if (!p) {
        f->missing++;
        f->miss[null_json ? c->slot_null : c->slot_empty]++;
        return 0;
    }
    int tok = missing_token(c, p, n);
    if (tok >= 0) {
        f->missing++;
        f->miss[tok]++;
        return 0;
    }
    int rc = 0;
    uint64_t h = XXH3_64bits(p, n);
    rc |= stats_distinct_add(f->distinct, h);
    if (record < c->top_after) {
        f->top_seen++;
        rc |= stats_topk_add(f->top, p, n, h);
    }
    /* one scan: high bytes and continuation bytes */
    unsigned any = 0, digits = 0;
    size_t cont = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)p[i];
        any |= b;
        cont += (b & 0xC0) == 0x80;
        digits |= (unsigned)(b - '0') < 10;
    }
    uint64_t len = n - cont;
    if (any & 0x80) {
        f->non_ascii++;
        if (!utf8_known && !core_utf8_valid(p, n))
            f->invalid++;
    } else
        len = n;
    if (len < f->len_min)
        f->len_min = len;
    if (len > f->len_max)
        f->len_max = len;
    f->len_sum += len;
    if (n && is_space((unsigned char)p[0]))
        f->ws_lead++;
    if (n && is_space((unsigned char)p[n - 1]))
        f->ws_trail++;
    if (record < c->shapes_after) {
        char sh[PROF_SHAPE_MAX + 8];
        size_t sn = shape_of(p, n, sh);
        f->shapes_seen++;
        rc |= stats_topk_add(f->shapes, sh, sn, XXH3_64bits(sh, sn));
    }
    /* text min / max */
    size_t tn = text_cut(p, n);
    if (!f->has_text || text_cmp(p, tn, f->text_min, f->text_min_n) < 0) {
        memcpy(f->text_min, p, tn);
        f->text_min_n = tn;
    }
    if (!f->has_text || text_cmp(p, tn, f->text_max, f->text_max_n) > 0) {
        memcpy(f->text_max, p, tn);
        f->text_max_n = tn;
    }
    f->has_text = true;
    f->t_str++;
    double x;
    bool numeric = read_number(f, p, n, &x);
    if (numeric) {
        f->t_num++;
        rc |= add_number(f, x);
    }
    if (is_boolean(p, n))
        f->t_bool++;
    try_temporal(f, p, n, numeric, digits != 0, record);
    return rc ? -1 : 0;
}

/* ---- merging (engine/profile_par.c) -------------------------------------- */

/* Is (k, rec) before (k2, rec2) as a minimum (lt) or a maximum: the key
 * first, then the earlier record, as one pass over the stream keeps it. */
static bool tkey_better(const prof_tkey *k, uint64_t rec, const prof_tkey *k2, uint64_t rec2,
                        bool lt)
{
    int r = tkey_cmp(k, k2);
    if (r)
        return lt ? r < 0 : r > 0;
    return rec < rec2;
}

int prof_field_merge(prof_field *dst, const prof_field *src, const prof_ctx *c)
{
    dst->count += src->count;
    dst->missing += src->missing;
    for (size_t t = 0; t < c->nslots; t++)
        dst->miss[t] += src->miss[t];
    dst->t_int += src->t_int;
    dst->t_num += src->t_num;
    dst->t_bool += src->t_bool;
    dst->t_str += src->t_str;
    for (int k = 0; k < PROF_KINDS; k++) {
        dst->t_kind[k] += src->t_kind[k];
        for (size_t i = 0; i < val_datefmts_count(c->fmts[k]); i++)
            dst->fmt[k][i] += src->fmt[k][i];
        if (!src->thas[k])
            continue;
        if (!dst->thas[k] || tkey_better(&src->tkmin[k], src->trec_min[k], &dst->tkmin[k],
                                         dst->trec_min[k], true)) {
            dst->tkmin[k] = src->tkmin[k];
            dst->tmin[k] = src->tmin[k];
            dst->trec_min[k] = src->trec_min[k];
        }
        if (!dst->thas[k] || tkey_better(&src->tkmax[k], src->trec_max[k], &dst->tkmax[k],
                                         dst->trec_max[k], false)) {
            dst->tkmax[k] = src->tkmax[k];
            dst->tmax[k] = src->tmax[k];
            dst->trec_max[k] = src->trec_max[k];
        }
        dst->thas[k] = true;
    }
    for (size_t i = 0; dst->rw && src->rw && i < val_datefmts_count(dst->rf->dates); i++)
        dst->rfmt[i] += src->rfmt[i];
    prof_field_fold(dst, src->fn, src->mean, src->m2);
    prof_field_fold(dst, src->bn, src->bmean, src->bm2);
    if (src->ncount) {
        dst->ncount += src->ncount;
        if (src->nmin < dst->nmin)
            dst->nmin = src->nmin;
        if (src->nmax > dst->nmax)
            dst->nmax = src->nmax;
    }
    if (src->has_text) {
        if (!dst->has_text ||
            text_cmp(src->text_min, src->text_min_n, dst->text_min, dst->text_min_n) < 0) {
            memcpy(dst->text_min, src->text_min, src->text_min_n);
            dst->text_min_n = src->text_min_n;
        }
        if (!dst->has_text ||
            text_cmp(src->text_max, src->text_max_n, dst->text_max, dst->text_max_n) > 0) {
            memcpy(dst->text_max, src->text_max, src->text_max_n);
            dst->text_max_n = src->text_max_n;
        }
        dst->has_text = true;
    }
    if (src->len_min < dst->len_min)
        dst->len_min = src->len_min;
    if (src->len_max > dst->len_max)
        dst->len_max = src->len_max;
    dst->len_sum += src->len_sum;
    dst->shapes_seen += src->shapes_seen;
    dst->top_seen += src->top_seen;
    dst->ws_lead += src->ws_lead;
    dst->ws_trail += src->ws_trail;
    dst->non_ascii += src->non_ascii;
    dst->invalid += src->invalid;
    int rc = 0;
    if (src->ncount)
        rc |= stats_kll_merge(dst->kll, src->kll);
    rc |= stats_distinct_merge(dst->distinct, src->distinct);
    if (src->top_seen)
        rc |= stats_topk_merge(dst->top, src->top);
    if (src->shapes_seen)
        rc |= stats_topk_merge(dst->shapes, src->shapes);
    return rc ? -1 : 0;
}

/* ---- the field object ---------------------------------------------------- */

const char *prof_field_inferred(const prof_field *f)
{
    uint64_t present = f->count - f->missing;
    if (present == 0)
        return "string";
    if (f->t_int == present)
        return "integer";
    if (f->t_num == present)
        return "number";
    if (f->t_bool == present)
        return "boolean";
    for (int k = 0; k < PROF_KINDS; k++)
        if (f->t_kind[k] == present)
            return kind_names[k];
    return "string";
}

/* A JSON string of bytes that may not be UTF-8: each invalid byte becomes
 * U+FFFD. NULL out of memory. */
static json_t *jstr(const char *p, size_t n)
{
    if (core_utf8_valid(p, n))
        return json_stringn(p, n);
    char *b = malloc(n * 3 + 1);
    if (!b)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t s = core_utf8_seq(p + i, n - i);
        if (s == 0) {
            memcpy(b + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(b + o, p + i, s);
            o += s;
            i += s;
        }
    }
    json_t *j = json_stringn(b, o);
    free(b);
    return j;
}

static json_t *jreal(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* obj[key] = v, stealing v, when ok; else v is released. false when v is
 * NULL (out of memory) or the set fails. */
static bool set(bool ok, json_t *obj, const char *key, json_t *v)
{
    if (!ok || !v) {
        json_decref(v);
        return false;
    }
    return json_object_set_new(obj, key, v) == 0;
}

static json_t *numeric_json(const prof_field *f)
{
    static const struct { const char *key; double q; } qs[] = {
        {"p01", 0.01}, {"p05", 0.05}, {"p25", 0.25}, {"p50", 0.50},
        {"p75", 0.75}, {"p95", 0.95}, {"p99", 0.99}};
    bool some = f->ncount > 0;
    /* the run's moments, and those of a batch not yet folded (none once a
     * run is done) */
    prof_field m;
    m.fn = f->fn;
    m.mean = f->mean;
    m.m2 = f->m2;
    prof_field_fold(&m, f->bn, f->bmean, f->bm2);
    json_t *o = json_object(), *q = json_object();
    bool ok = o && q;
    ok = set(ok, o, "count", json_integer((json_int_t)f->ncount));
    ok = set(ok, o, "min", some ? jreal(f->nmin) : json_null());
    ok = set(ok, o, "max", some ? jreal(f->nmax) : json_null());
    ok = set(ok, o, "mean", some ? jreal(m.mean) : json_null());
    ok = set(ok, o, "stddev", some ? jreal(sqrt(m.m2 / (double)m.fn)) : json_null());
    for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
        double at = NAN;
        ok = ok && (!some || stats_kll_quantile_at(f->kll, qs[k].q, &at) == 0);
        ok = set(ok, q, qs[k].key, some ? jreal(at) : json_null());
    }
    ok = set(ok, o, "quantiles", q);
    ok = set(ok, o, "sketch", stats_kll_to_json(f->kll));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The temporal kind with the most values (ties: date, datetime, time). */
static int main_kind(const prof_field *f)
{
    int best = -1;
    for (int k = 0; k < PROF_KINDS; k++)
        if (f->t_kind[k] && (best < 0 || f->t_kind[k] > f->t_kind[best]))
            best = k;
    return best;
}

static json_t *iso_json(const val_dt *v)
{
    char buf[128];
    size_t n = val_dt_iso(v, buf, sizeof buf);
    return json_stringn(buf, n < sizeof buf ? n : sizeof buf - 1);
}

static json_t *temporal_json(const prof_field *f)
{
    int k = main_kind(f);
    json_t *o = json_object();
    if (!o)
        return NULL;
    bool ok = true;
    if (k >= 0)
        ok = set(ok, o, "kind", json_string(kind_names[k]));
    ok = set(ok, o, "min", k < 0 ? json_null() : iso_json(&f->tmin[k]));
    ok = set(ok, o, "max", k < 0 ? json_null() : iso_json(&f->tmax[k]));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *formats_json(const prof_field *f, const prof_ctx *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    /* the rules' formats first, then the fixed lists; counts of one name add */
    size_t nr = f->rw ? val_datefmts_count(f->rf->dates) : 0;
    for (size_t i = 0; i < nr; i++) {
        if (!f->rfmt[i])
            continue;
        const char *name = val_datefmts_name(f->rf->dates, i);
        json_t *had = json_object_get(o, name);
        uint64_t prev = had ? (uint64_t)json_integer_value(had) : 0;
        if (!set(true, o, name, json_integer((json_int_t)(prev + f->rfmt[i]))))
            goto oom;
    }
    for (int k = 0; k < PROF_KINDS; k++)
        for (size_t i = 0; i < val_datefmts_count(c->fmts[k]); i++) {
            if (!f->fmt[k][i])
                continue;
            const char *name = val_datefmts_name(c->fmts[k], i);
            json_t *had = json_object_get(o, name);
            uint64_t prev = had ? (uint64_t)json_integer_value(had) : 0;
            if (!set(true, o, name, json_integer((json_int_t)(prev + f->fmt[k][i]))))
                goto oom;
        }
    return o;
oom:
    json_decref(o);
    return NULL;
}

/* [{"value": v, "count": c}] of the first max of a Space-Saving listing. */
static json_t *list_json(const stats_topk *t, const char *key)
{
    stats_topk_item items[PROF_TOP_LIST];
    size_t n = stats_topk_list(t, items, PROF_TOP_LIST);
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (!o || json_array_append_new(a, o) ||
            !set(true, o, key, jstr(items[i].value, items[i].len)) ||
            !set(true, o, "count", json_integer((json_int_t)items[i].count))) {
            json_decref(a);
            return NULL;
        }
        if (items[i].error && !set(true, o, "error", json_integer((json_int_t)items[i].error))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *missing_json(const prof_field *f, const prof_ctx *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t t = 0; t < c->nslots; t++) {
        if (!f->miss[t])
            continue;
        json_t *had = json_object_get(o, c->slot_names[t]);
        uint64_t prev = had ? (uint64_t)json_integer_value(had) : 0;
        if (!set(true, o, c->slot_names[t], json_integer((json_int_t)(prev + f->miss[t])))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *prof_field_json(const prof_field *f, const prof_ctx *c)
{
    uint64_t present = f->count - f->missing;
    const char *inferred = prof_field_inferred(f);
    /* the missing values that are tokens other than "" in a numeric field:
     * the few exceptions that would have made it a string */
    uint64_t nulls = 0;
    if (strcmp(inferred, "integer") == 0 || strcmp(inferred, "number") == 0)
        for (size_t t = 0; t < c->nslots; t++)
            if (c->slot_names[t][0])
                nulls += f->miss[t];
    json_t *o = json_object(), *types = json_object(), *length = json_object();
    json_t *text = json_object(), *distinct = json_object(), *ws = json_object();
    bool ok = o != NULL, sub = types && length && text && distinct && ws;
    if (!sub) {
        json_decref(o);
        json_decref(types);
        json_decref(length);
        json_decref(text);
        json_decref(distinct);
        json_decref(ws);
        return NULL;
    }
    ok = set(ok, types, "integer", json_integer((json_int_t)f->t_int));
    ok = set(ok, types, "number", json_integer((json_int_t)f->t_num));
    ok = set(ok, types, "boolean", json_integer((json_int_t)f->t_bool));
    ok = set(ok, types, "date", json_integer((json_int_t)f->t_kind[PROF_DATE]));
    ok = set(ok, types, "datetime", json_integer((json_int_t)f->t_kind[PROF_DATETIME]));
    ok = set(ok, types, "time", json_integer((json_int_t)f->t_kind[PROF_TIME]));
    ok = set(ok, types, "string", json_integer((json_int_t)f->t_str));
    ok = set(ok, text, "min", f->has_text ? jstr(f->text_min, f->text_min_n) : json_null());
    ok = set(ok, text, "max", f->has_text ? jstr(f->text_max, f->text_max_n) : json_null());
    ok = set(ok, length, "min", present ? json_integer((json_int_t)f->len_min) : json_null());
    ok = set(ok, length, "mean",
             present ? json_real((double)f->len_sum / (double)present) : json_null());
    ok = set(ok, length, "max", present ? json_integer((json_int_t)f->len_max) : json_null());
    ok = set(ok, distinct, "estimate",
             json_integer((json_int_t)stats_distinct_estimate(f->distinct)));
    ok = set(ok, distinct, "exact", json_boolean(stats_distinct_exact(f->distinct)));
    ok = set(ok, distinct, "sketch", stats_distinct_to_json(f->distinct));
    ok = set(ok, ws, "leading", json_integer((json_int_t)f->ws_lead));
    ok = set(ok, ws, "trailing", json_integer((json_int_t)f->ws_trail));
    ok = set(ok, o, "name", jstr(f->name, f->name_len));
    ok = set(ok, o, "count", json_integer((json_int_t)f->count));
    ok = set(ok, o, "missing", json_integer((json_int_t)f->missing));
    ok = set(ok, o, "missing_tokens", missing_json(f, c));
    ok = set(ok, o, "types", types);
    ok = set(ok, o, "inferred", json_string(inferred));
    ok = set(ok, o, "date_formats", formats_json(f, c));
    ok = set(ok, o, "numeric", numeric_json(f));
    ok = set(ok, o, "temporal", temporal_json(f));
    ok = set(ok, o, "text", text);
    ok = set(ok, o, "length", length);
    ok = set(ok, o, "distinct", distinct);
    ok = set(ok, o, "top", list_json(f->top, "value"));
    ok = set(ok, o, "top_exact",
             json_boolean(stats_topk_exact(f->top) && f->top_seen == present));
    ok = set(ok, o, "top_counted", json_integer((json_int_t)f->top_seen));
    ok = set(ok, o, "top_sketch", stats_topk_to_json(f->top));
    ok = set(ok, o, "shapes", list_json(f->shapes, "shape"));
    ok = set(ok, o, "shapes_exact",
             json_boolean(stats_topk_exact(f->shapes) && f->shapes_seen == present));
    ok = set(ok, o, "shapes_counted", json_integer((json_int_t)f->shapes_seen));
    ok = set(ok, o, "shape_sketch", stats_topk_to_json(f->shapes));
    ok = set(ok, o, "whitespace", ws);
    ok = set(ok, o, "non_ascii", json_integer((json_int_t)f->non_ascii));
    ok = set(ok, o, "invalid_encoding", json_integer((json_int_t)f->invalid));
    ok = set(ok, o, "nulls_in_integers", json_integer((json_int_t)nulls));
    if (ok)
        return o;
    json_decref(o);
    return NULL;
}
