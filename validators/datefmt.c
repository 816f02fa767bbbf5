/* validators/datefmt.c — the matcher, the ICU path and the per-thread worker
 * (see datefmt.h; the formats are compiled by datefmt_compile.c; the grammar
 * is in docs/dates.md).
 *
 * A pattern becomes a list of elements (literal, number, name, fraction,
 * offset). The matcher walks the value once against that list; a number
 * takes its digit count, a name the longest of the locale's names that
 * matches, case-insensitively. The calendar checks run after the walk. For
 * a pattern with names of a locale other than English the walk is the shape
 * check and ICU then parses the value (udat, lenient off, one UDateFormat per
 * pattern per worker). */
#include "validators/datefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>

#include "core/ascii.h"
#include "validators/daterange.h"
#include "validators/datefmt_int.h"

/* ---- The matcher ---------------------------------------------------------- */

typedef struct df_parts {
    int32_t year, nanos, offset_s;
    int month, day, wday, hour, hour12, ampm, minute, second, frac_digits;
    bool has_offset;
} df_parts;

static bool two_digits(const char *p, int *v)
{
    if (!val_df_is_digit(p[0]) || !val_df_is_digit(p[1]))
        return false;
    *v = (p[0] - '0') * 10 + (p[1] - '0');
    return true;
}

/* An offset at p[*i] in one of the forms of ofs; hours 00-23, minutes 00-59. */
static bool match_offset(int ofs, const char *p, size_t n, size_t *i, df_parts *o)
{
    size_t at = *i;
    if (at >= n)
        return (ofs & OF_OPT) != 0;
    if (p[at] == 'Z') {
        if (!(ofs & OF_Z))
            return false;
        o->has_offset = true;
        o->offset_s = 0;
        *i = at + 1;
        return true;
    }
    if ((p[at] != '+' && p[at] != '-') || n - at < 3)
        return false;
    int hh, mm = 0;
    if (!two_digits(p + at + 1, &hh))
        return false;
    size_t end = at + 3;
    if ((ofs & OF_COLON) && n - end >= 3 && p[end] == ':') {
        if (!two_digits(p + end + 1, &mm))
            return false;
        end += 3;
    } else if ((ofs & OF_HHMM) && n - end >= 2 && val_df_is_digit(p[end])) {
        if (!two_digits(p + end, &mm))
            return false;
        end += 2;
    } else if (!(ofs & OF_HH))
        return false;
    if (hh > 23 || mm > 59)
        return false;
    o->has_offset = true;
    o->offset_s = (hh * 3600 + mm * 60) * (p[at] == '-' ? -1 : 1);
    *i = end;
    return true;
}

static inline void set_num(df_parts *o, int field, int v)
{
    switch (field) {
    case FD_YEAR: case FD_YY: o->year = v; break;
    case FD_MONTH: o->month = v; break;
    case FD_DAY: o->day = v; break;
    case FD_HOUR: o->hour = v; break;
    case FD_HOUR12: o->hour12 = v; break;
    case FD_MINUTE: o->minute = v; break;
    case FD_SECOND: o->second = v; break;
    default: break;
    }
}

/* The shape walk: every element in order, the whole value, nothing else.
 * Checks what ICU does not: digit counts, names, h in 1..12, offsets. */
static bool df_match(const val_datefmts *df, const df_fmt *f, const char *p, size_t n,
                     df_parts *o)
{
    if (n < f->min_len || n > f->max_len)
        return false;
    for (size_t k = 0; k < f->nchk; k++)
        if (p[f->chk_off[k]] != f->chk[k]) /* min_len covers the offsets */
            return false;
    *o = (df_parts){.month = 1, .day = 1, .wday = -1, .ampm = -1};
    if (f->fixed) {
        for (size_t k = 0; k < f->nlit; k++)
            if (p[f->lit_off[k]] != f->lit[k])
                return false;
        for (size_t k = 0; k < f->nnum; k++) {
            const char *d = p + f->num[k].off;
            int v = 0;
            for (size_t j = 0; j < f->num[k].width; j++) {
                unsigned dgt = (unsigned)(unsigned char)d[j] - '0';
                if (dgt > 9)
                    return false;
                v = v * 10 + (int)dgt;
            }
            set_num(o, f->num[k].field, v);
        }
        return true;
    }
    size_t i = 0;
    for (size_t k = 0; k < f->nels; k++) {
        const df_el *e = &f->els[k];
        switch ((df_kind)e->kind) {
        case EK_LIT: {
            /* Most literals are one byte ('-', '/', ':'): no call for those. */
            const char *l = f->lits + e->off;
            if (n - i < e->len || p[i] != l[0] ||
                (e->len > 1 && memcmp(p + i + 1, l + 1, e->len - 1u) != 0))
                return false;
            i += e->len;
            break;
        }
        case EK_NUM: {
            int v = 0;
            if (e->min == e->max) { /* fixed width: the common case */
                if (n - i < e->max)
                    return false;
                for (size_t j = 0; j < e->max; j++) {
                    unsigned dgt = (unsigned)(unsigned char)p[i + j] - '0';
                    if (dgt > 9)
                        return false;
                    v = v * 10 + (int)dgt;
                }
                i += e->max;
            } else {
                size_t s = i;
                while (i < n && i - s < e->max && val_df_is_digit(p[i]))
                    v = v * 10 + (p[i++] - '0');
                if (i - s < e->min)
                    return false;
            }
            if (e->field == FD_HOUR12 && (v < 1 || v > 12))
                return false;
            set_num(o, e->field, v);
            break;
        }
        case EK_FRAC:
        case EK_OPT_FRAC: {
            if (e->kind == EK_OPT_FRAC) {
                if (i >= n || p[i] != '.')
                    break;
                i++;
            }
            size_t s = i;
            int32_t v = 0;
            while (i < n && i - s < e->max && val_df_is_digit(p[i]))
                v = v * 10 + (p[i++] - '0');
            size_t k2 = i - s;
            if (k2 < e->min || (i < n && val_df_is_digit(p[i]) && e->kind == EK_OPT_FRAC))
                return false;
            o->frac_digits = (int)k2;
            for (; k2 < 9; k2++)
                v *= 10;
            o->nanos = v;
            break;
        }
        case EK_TEXT: {
            size_t len;
            int idx = val_df_name_match(&df->names[e->min], p + i, n - i, &len);
            if (idx < 0)
                return false;
            if (e->field == FD_MONTH)
                o->month = idx + 1;
            else if (e->field == FD_WDAY)
                o->wday = idx;
            else
                o->ampm = idx;
            i += len;
            break;
        }
        case EK_OFS:
            if (!match_offset(e->ofs, p, n, &i, o))
                return false;
            break;
        }
    }
    return i == n;
}

/* The value of the parts; with ranges the calendar checks (the matcher),
 * without them ICU has made them. */
static bool df_build(const val_datefmts *df, const df_fmt *f, const df_parts *o,
                     bool ranges, val_dt *v)
{
    /* A copy of a zero value, not memset: at this size memset becomes a
     * `rep stos`, whose start-up cost is most of a fixed-layout parse. */
    static const val_dt zero;
    memcpy(v, &zero, sizeof *v);
    v->type = df->type;
    int32_t year = o->year;
    if ((f->has & HAS(FD_YY)) && ranges) {
        int32_t base = df->pivot - df->pivot % 100;
        year = base + o->year;
        if (year < df->pivot)
            year += 100;
    }
    int hour = o->hour;
    if ((f->has & HAS(FD_HOUR12)) && ranges)
        hour = o->hour12 % 12 + (o->ampm == 1 ? 12 : 0);
    if (!(f->has & (HAS(FD_YEAR) | HAS(FD_YY))))
        year = 1970;
    if (ranges && (year < 1 || year > 9999 || o->month < 1 || o->month > 12 ||
                   o->day < 1 || o->day > val_days_in_month(year, o->month) ||
                   hour > 23 || o->minute > 59 || o->second > 59))
        return false;
    v->year = year;
    v->month = (uint8_t)o->month;
    v->day = (uint8_t)o->day;
    v->hour = (uint8_t)hour;
    v->minute = (uint8_t)o->minute;
    v->second = (uint8_t)o->second;
    v->nanos = o->nanos;
    v->frac_digits = (uint8_t)o->frac_digits;
    v->has_offset = o->has_offset || f->utc_literal;
    v->offset_s = o->has_offset ? o->offset_s : 0;
    if ((f->has & HAS(FD_WDAY)) && val_weekday(val_dt_days(v)) != o->wday)
        return false;
    return true;
}

/* ---- The worker ------------------------------------------------------------ */

struct val_date_worker {
    const val_datefmts *df;
    UDateFormat *icu[VAL_DATE_MAX_FORMATS];
    UCalendar *cal[VAL_DATE_MAX_FORMATS];
    bool icu_failed[VAL_DATE_MAX_FORMATS];
    UCalendar *zone;         /* the field's timezone; NULL: UTC or none */
    bool force_icu, force_walk;
    uint32_t fast;           /* bit i: format i is read by fast_parse */
    bool has_min, has_max;
    val_dt min, max;
};

static UCalendar *open_calendar(const char *zone, const char *locale, bool lenient)
{
    UChar u[128];
    int32_t ulen = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(u, 128, &ulen, zone, -1, &st);
    UCalendar *c = ucal_open(u, ulen, locale, UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return NULL;
    ucal_setGregorianChange(c, U_DATE_MIN, &st); /* proleptic Gregorian */
    ucal_setAttribute(c, UCAL_LENIENT, lenient);
    return c;
}

/* The formats fast_parse reads: those with a word form, unless a test sends
 * them through ICU or the element walk. */
static void worker_fast(val_date_worker *w)
{
    w->fast = 0;
    if (w->force_icu || w->force_walk)
        return;
    for (size_t i = 0; i < w->df->n; i++)
        if (w->df->fmts[i].fast.nw)
            w->fast |= 1u << i;
}

val_date_worker *val_date_worker_new(const val_datefmts *df, int64_t now_us)
{
    val_date_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->df = df;
    if (df->tz && !df->tz_utc && !(w->zone = open_calendar(df->tz, "en", true))) {
        free(w);
        return NULL;
    }
    worker_fast(w);
    if ((w->has_min = df->min.set))
        val_date_bound_resolve(&df->min, df->type, w, now_us, &w->min);
    if ((w->has_max = df->max.set))
        val_date_bound_resolve(&df->max, df->type, w, now_us, &w->max);
    return w;
}

void val_date_worker_free(val_date_worker *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < VAL_DATE_MAX_FORMATS; i++) {
        if (w->icu[i])
            udat_close(w->icu[i]);
        if (w->cal[i])
            ucal_close(w->cal[i]);
    }
    if (w->zone)
        ucal_close(w->zone);
    free(w);
}

void val_date_worker_force_icu(val_date_worker *w, bool on)
{
    w->force_icu = on;
    worker_fast(w);
}

void val_date_worker_force_walk(val_date_worker *w, bool on)
{
    w->force_walk = on;
    worker_fast(w);
}

/* The formatter of format i, opened on first use (UTC, Gregorian, strict). */
static UDateFormat *worker_icu(val_date_worker *w, size_t i)
{
    if (w->icu[i] || w->icu_failed[i])
        return w->icu[i];
    const val_datefmts *df = w->df;
    const char *loc = df->locale ? df->locale : "en_US_POSIX@calendar=gregorian;numbers=latn";
    UChar pat[VAL_DATE_MAX_PATTERN * 3 + 1];
    int32_t plen = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(pat, (int32_t)(sizeof pat / sizeof *pat), &plen, df->fmts[i].icu, -1, &st);
    UDateFormat *f = udat_open(UDAT_PATTERN, UDAT_PATTERN, loc, u"UTC", -1, pat, plen, &st);
    UCalendar *c = open_calendar("UTC", loc, false);
    if (U_FAILURE(st) || !c) {
        if (f)
            udat_close(f);
        if (c)
            ucal_close(c);
        w->icu_failed[i] = true;
        return NULL;
    }
    udat_setLenient(f, false);
    udat_setBooleanAttribute(f, UDAT_PARSE_ALLOW_WHITESPACE, false, &st);
    udat_setBooleanAttribute(f, UDAT_PARSE_ALLOW_NUMERIC, false, &st);
    udat_setBooleanAttribute(f, UDAT_PARSE_PARTIAL_LITERAL_MATCH, false, &st);
    udat_setBooleanAttribute(f, UDAT_PARSE_MULTIPLE_PATTERNS_FOR_MATCH, false, &st);
    udat_setCalendar(f, c);
    if (df->has_pivot)
        udat_set2DigitYearStart(f, (double)val_days_from_civil(df->pivot, 1, 1) *
                                       VAL_S_PER_DAY * 1000.0, &st);
    w->icu[i] = f;
    w->cal[i] = c;
    return f;
}

/* The ICU path: the shape walk has passed; ICU parses, lenient off, and its
 * calendar decides the ranges (2024-02-30, 25:00). The fraction's digits
 * and the offset come from the shape walk, which saw them exactly. */
static bool icu_parse(val_date_worker *w, size_t i, const char *p, size_t n,
                      df_parts *o)
{
    UDateFormat *f = worker_icu(w, i);
    if (!f)
        return false;
    UChar u[512];
    int32_t ulen = 0, pos = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(u, 512, &ulen, p, (int32_t)n, &st);
    if (U_FAILURE(st))
        return false;
    UCalendar *c = w->cal[i];
    ucal_clear(c);
    udat_parseCalendar(f, c, u, ulen, &pos, &st);
    if (U_FAILURE(st) || pos != ulen)
        return false;
    int era = ucal_get(c, UCAL_ERA, &st);
    o->year = ucal_get(c, UCAL_YEAR, &st);
    o->month = ucal_get(c, UCAL_MONTH, &st) + 1;
    o->day = ucal_get(c, UCAL_DATE, &st);
    o->hour = ucal_get(c, UCAL_HOUR_OF_DAY, &st);
    o->minute = ucal_get(c, UCAL_MINUTE, &st);
    o->second = ucal_get(c, UCAL_SECOND, &st);
    int32_t zone = ucal_get(c, UCAL_ZONE_OFFSET, &st) + ucal_get(c, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st) || era != 1 || o->year < 1 || o->year > 9999)
        return false;
    if (o->has_offset && zone / 1000 != o->offset_s)
        return false;
    return true;
}

/* Format i on (p, n): the shape walk, then the matcher's checks or ICU. */
static bool parse_one(val_date_worker *w, size_t i, const char *p, size_t n, val_dt *v)
{
    const val_datefmts *df = w->df;
    const df_fmt *f = &df->fmts[i];
    df_parts o;
    if (!df_match(df, f, p, n, &o))
        return false;
    bool icu = f->icu && (f->icu_serves || w->force_icu);
    if (icu && !icu_parse(w, i, p, n, &o))
        return false;
    return df_build(df, f, &o, !icu, v);
}

void val_date_to_zone(val_date_worker *w, val_dt *v)
{
    if (!w->df->tz || !v->has_offset)
        return;
    int64_t utc = val_dt_local_seconds(v) - v->offset_s;
    int32_t off = val_date_zone_offset(w, utc);
    val_dt t = *v;
    if (val_dt_set_local_seconds(&t, utc + off)) {
        t.offset_s = off;
        *v = t;
    }
}

int32_t val_date_zone_offset(val_date_worker *w, int64_t utc_s)
{
    if (!w->zone)
        return 0;
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(w->zone, (double)utc_s * 1000.0, &st);
    int32_t ms = ucal_get(w->zone, UCAL_ZONE_OFFSET, &st) +
                 ucal_get(w->zone, UCAL_DST_OFFSET, &st);
    return U_SUCCESS(st) ? ms / 1000 : 0;
}

int64_t val_date_utc_seconds(val_date_worker *w, const val_dt *v, int32_t *nanos)
{
    int64_t local = val_dt_local_seconds(v);
    if (nanos)
        *nanos = v->nanos;
    if (v->has_offset)
        return local - v->offset_s;
    if (!w->zone)
        return local;
    UErrorCode st = U_ZERO_ERROR;
    ucal_clear(w->zone);
    ucal_setDateTime(w->zone, v->year, v->month - 1, v->day, v->hour, v->minute,
                     v->second, &st);
    double ms = ucal_getMillis(w->zone, &st);
    if (U_FAILURE(st))
        return local;
    int64_t s = (int64_t)(ms / 1000.0);
    return (double)s * 1000.0 > ms ? s - 1 : s;
}

/* Keeps the parts the type has (docs/dates.md, "What a value keeps"). */
static void finish_type(val_date_worker *w, val_dt *v)
{
    switch (v->type) {
    case RT_DATE:
    case RT_TIME:
        if (v->has_offset && w->df->tz)
            val_date_to_zone(w, v);
        if (v->type == RT_DATE) {
            v->hour = v->minute = v->second = 0;
            v->nanos = 0;
            v->frac_digits = 0;
            v->has_offset = false;
            v->offset_s = 0;
        } else {
            v->year = 1970;
            v->month = v->day = 1;
        }
        break;
    case RT_YEAR:
    case RT_YEARMONTH:
        if (v->type == RT_YEAR)
            v->month = 1;
        v->day = 1;
        v->hour = v->minute = v->second = 0;
        v->nanos = 0;
        v->frac_digits = 0;
        v->has_offset = false;
        v->offset_s = 0;
        break;
    default:
        break;
    }
}

/* ---- The fixed layouts, a word at a time ----------------------------------- */

static inline uint64_t load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Two digits already checked. */
static inline int dig2(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

static inline int days_in_month(int32_t y, int m)
{
    static const uint8_t days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : days[m];
}

/* Format f, a fixed layout with a word form (f->fast.nw), on (p, n): what
 * df_match + df_build + finish_type give, without the walk. The shape check is a few word
 * operations (see df_fast); the parts are read at their offsets. */
static bool fast_parse(val_date_worker *w, const df_fmt *f, const char *p, size_t n,
                       val_dt *v)
{
    const val_datefmts *df = w->df;
    const df_fast *x = &f->fast;
    if (n != x->len)
        return false;
    /* Words 0 and nw-1 always (the same word when len is 8), the middle
     * ones of a layout longer than 16 bytes in the loop. */
    size_t last = x->nw - 1u;
    uint64_t w0 = load64(p), wl, wk;
    if ((w0 & x->mask[0]) != x->want[0])
        return false; /* most values of another format stop here */
    wl = load64(p + x->woff[last]);
    uint64_t bad = (((w0 + x->add[0]) & x->high[0]) ^ (x->want[0] & x->high[0])) |
                   ((wl & x->mask[last]) ^ x->want[last]) |
                   (((wl + x->add[last]) & x->high[last]) ^ (x->want[last] & x->high[last]));
    for (size_t k = 1; k < last; k++) {
        wk = load64(p + x->woff[k]);
        bad |= ((wk & x->mask[k]) ^ x->want[k]) |
               (((wk + x->add[k]) & x->high[k]) ^ (x->want[k] & x->high[k]));
    }
    if (bad)
        return false;
    const int8_t *at = x->at;
    int32_t year = 1970;
    int month = 1, day = 1, hour = 0, minute = 0, second = 0;
    if (at[FD_YEAR] >= 0) {
        year = dig2(p + at[FD_YEAR]) * 100 + dig2(p + at[FD_YEAR] + 2);
    } else if (at[FD_YY] >= 0) {
        year = df->pivot - df->pivot % 100 + dig2(p + at[FD_YY]);
        if (year < df->pivot)
            year += 100;
    }
    if (at[FD_MONTH] >= 0)
        month = dig2(p + at[FD_MONTH]);
    if (at[FD_DAY] >= 0)
        day = dig2(p + at[FD_DAY]);
    if (at[FD_HOUR] >= 0)
        hour = dig2(p + at[FD_HOUR]);
    if (at[FD_MINUTE] >= 0)
        minute = dig2(p + at[FD_MINUTE]);
    if (at[FD_SECOND] >= 0)
        second = dig2(p + at[FD_SECOND]);
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
        (day > 28 && day > days_in_month(year, month)) || hour > 23 || minute > 59 ||
        second > 59)
        return false;
    static const val_dt zero; /* copied, not memset: see df_build */
    memcpy(v, &zero, sizeof *v);
    v->type = df->type;
    v->year = year;
    v->month = (uint8_t)month;
    v->day = (uint8_t)day;
    if (df->type == RT_DATE && !(f->utc_literal && df->tz))
        return true; /* what finish_type keeps of a date: no time, no offset */
    v->hour = (uint8_t)hour;
    v->minute = (uint8_t)minute;
    v->second = (uint8_t)second;
    v->has_offset = f->utc_literal;
    if (df->type != RT_DATETIME)
        finish_type(w, v); /* moves a date written in UTC to the timezone */
    return true;
}

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static inline void put2(char *o, unsigned v)
{
    memcpy(o, digit_pairs + 2 * v, 2);
}

/* v in the fixed output layout x (x->len bytes at buf, no NUL): what the
 * element writer gives. False, having written nothing, for a part the
 * layout cannot hold in its width (never for values this file made). */
static bool fast_write(const df_fast *x, const val_dt *v, char *buf)
{
    const int8_t *at = x->at;
    if (v->year < 0 || v->year > 9999 || v->month > 99 || v->day > 99 || v->hour > 99 ||
        v->minute > 99 || v->second > 99)
        return false;
    if (x->nw) {
        for (size_t k = 0; k < x->nw; k++)
            memcpy(buf + x->woff[k], x->tmpl + x->woff[k], 8);
    } else
        memcpy(buf, x->tmpl, x->len);
    if (at[FD_YEAR] >= 0) {
        put2(buf + at[FD_YEAR], (unsigned)v->year / 100);
        put2(buf + at[FD_YEAR] + 2, (unsigned)v->year % 100);
    }
    if (at[FD_YY] >= 0)
        put2(buf + at[FD_YY], (unsigned)v->year % 100);
    if (at[FD_MONTH] >= 0)
        put2(buf + at[FD_MONTH], v->month);
    if (at[FD_DAY] >= 0)
        put2(buf + at[FD_DAY], v->day);
    if (at[FD_HOUR] >= 0)
        put2(buf + at[FD_HOUR], v->hour);
    if (at[FD_MINUTE] >= 0)
        put2(buf + at[FD_MINUTE], v->minute);
    if (at[FD_SECOND] >= 0)
        put2(buf + at[FD_SECOND], v->second);
    return true;
}

/* Are the x->len bytes at a and b equal? */
static bool fast_equal(const df_fast *x, const char *a, const char *b)
{
    if (!x->nw)
        return memcmp(a, b, x->len) == 0;
    uint64_t d = 0;
    for (size_t k = 0; k < x->nw; k++)
        d |= load64(a + x->woff[k]) ^ load64(b + x->woff[k]);
    return d == 0;
}


static bool same_value(const val_dt *a, const val_dt *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day &&
           a->hour == b->hour && a->minute == b->minute && a->second == b->second &&
           a->nanos == b->nanos && a->has_offset == b->has_offset &&
           a->offset_s == b->offset_s;
}

void val_date_parse(val_date_worker *w, const char *p, size_t n, val_date_result *r)
{
    const val_datefmts *df = w->df;
    r->status = VAL_DATE_INVALID;
    r->format = r->other = -1;
    r->resolved = false;
    if (df->type == RT_DURATION) {
        memset(&r->value, 0, sizeof r->value);
        r->value.type = RT_DURATION;
        if (val_duration_parse(p, n, &r->value.dur)) {
            r->status = VAL_DATE_OK;
            r->format = 0;
        }
        return;
    }
    /* Every format that can match a value of this length, in listed order
     * (the others cannot match: skipping them changes no result). The first
     * match is read into r->value; later matches, rare, into vals. */
    uint32_t cand = df->by_len[n < VAL_DATE_LEN_SLOTS ? n : VAL_DATE_LEN_SLOTS - 1];
    val_dt vals[VAL_DATE_MAX_FORMATS];
    int idx[VAL_DATE_MAX_FORMATS], count = 0;
    while (cand) {
        int i = __builtin_ctz(cand);
        cand &= cand - 1;
        val_dt *dst = count ? &vals[count] : &r->value;
        if ((w->fast >> i) & 1u) {
            if (!fast_parse(w, &df->fmts[i], p, n, dst))
                continue;
        } else {
            if (!parse_one(w, (size_t)i, p, n, dst))
                continue;
            finish_type(w, dst);
        }
        idx[count++] = i;
    }
    if (count == 0)
        return;
    r->status = VAL_DATE_OK;
    r->format = idx[0];
    if (count == 1)
        return;
    vals[0] = r->value;
    int other = -1;
    for (int k = 1; k < count && other < 0; k++)
        if (!same_value(&vals[k], &vals[0]))
            other = k;
    if (other < 0)
        return; /* every format read the same value: the first is the match */
    /* Formats disagree: "prefer" decides, else the value is ambiguous. */
    int win = -1;
    for (int k = 0; k < count; k++)
        if (idx[k] == df->prefer)
            win = k;
    if (df->prefer == -2)
        win = 0;
    if (win < 0) {
        r->status = VAL_DATE_AMBIGUOUS;
        r->other = idx[other];
        r->other_value = vals[other];
        return;
    }
    r->format = idx[win];
    r->value = vals[win];
    r->resolved = true;
    for (int k = 0; k < count; k++)
        if (!same_value(&vals[k], &vals[win])) {
            r->other = idx[k];
            r->other_value = vals[k];
            break;
        }
}

const char *val_date_rule(const val_date_result *r)
{
    return r->status == VAL_DATE_INVALID ? "type"
           : r->status == VAL_DATE_AMBIGUOUS ? "ambiguous_date" : NULL;
}

static void put_s(val_text *t, const char *s)
{
    val_text_put(t, s, strlen(s));
}

size_t val_date_message(const val_datefmts *df, const val_date_result *r, char *buf,
                        size_t cap)
{
    val_text t = {buf, cap, 0};
    const char *type = val_dt_type_name(df->type);
    if (r->status == VAL_DATE_AMBIGUOUS) {
        char a[64], b[64];
        val_dt_iso(&r->value, a, sizeof a);
        val_dt_iso(&r->other_value, b, sizeof b);
        put_s(&t, "ambiguous ");
        put_s(&t, type);
        put_s(&t, ": ");
        put_s(&t, df->fmts[r->format].name);
        put_s(&t, " reads ");
        put_s(&t, a);
        put_s(&t, ", ");
        put_s(&t, df->fmts[r->other].name);
        put_s(&t, " reads ");
        put_s(&t, b);
        put_s(&t, " (add \"prefer\" to choose)");
        return val_text_end(&t);
    }
    if (r->status != VAL_DATE_INVALID)
        return val_text_end(&t);
    put_s(&t, df->type == RT_DURATION ? "not a valid ISO 8601 duration (PnYnMnDTnHnMnS)"
                                      : "not a valid ");
    if (df->type == RT_DURATION)
        return val_text_end(&t);
    put_s(&t, type);
    put_s(&t, " in formats [");
    for (size_t i = 0; i < df->n; i++) {
        if (i == 8) {
            put_s(&t, ", ...");
            break;
        }
        if (i)
            put_s(&t, ", ");
        put_s(&t, df->fmts[i].name);
    }
    put_s(&t, "]");
    return val_text_end(&t);
}

/* ---- Output ------------------------------------------------------------------ */

/* The offset written for v: its own, else the field's timezone at its local
 * time (UTC when none). */
static int32_t offset_for(val_date_worker *w, const val_dt *v)
{
    if (v->has_offset)
        return v->offset_s;
    return (int32_t)(val_dt_local_seconds(v) - val_date_utc_seconds(w, v, NULL));
}

static void write_el(val_date_worker *w, const df_fmt *f, const df_el *e, const val_dt *v,
                     val_text *t)
{
    const df_names *nm = w->df->names;
    switch ((df_kind)e->kind) {
    case EK_LIT:
        val_text_put(t, f->lits + e->off, e->len);
        break;
    case EK_NUM: {
        int width = e->min == e->max ? e->min : 1;
        int64_t x = 0;
        switch (e->field) {
        case FD_YEAR: x = v->year; break;
        case FD_YY: x = v->year % 100; break;
        case FD_MONTH: x = v->month; break;
        case FD_DAY: x = v->day; break;
        case FD_HOUR: x = v->hour; break;
        case FD_HOUR12: x = v->hour % 12 ? v->hour % 12 : 12; break;
        case FD_MINUTE: x = v->minute; break;
        case FD_SECOND: x = v->second; break;
        default: break;
        }
        val_text_num(t, x, width);
        break;
    }
    case EK_TEXT: {
        int k = e->field == FD_MONTH ? v->month - 1
                : e->field == FD_WDAY ? val_weekday(val_dt_days(v)) : v->hour >= 12;
        if (k >= 0 && k < nm[e->min].count) /* always, for values this file made */
            put_s(t, nm[e->min].s[k]);
        break;
    }
    case EK_FRAC: {
        int32_t x = v->nanos;
        for (int k = e->max; k < 9; k++)
            x /= 10;
        val_text_num(t, x, e->max);
        break;
    }
    case EK_OPT_FRAC:
        val_text_fraction(t, v->nanos, v->frac_digits);
        break;
    case EK_OFS:
        if ((e->ofs & OF_OPT) && !v->has_offset)
            break;
        val_text_offset(t, offset_for(w, v), (e->ofs & OF_COLON) != 0,
                        (e->ofs & OF_Z) != 0, (e->ofs & OF_HH) != 0);
        break;
    }
}

/* The copy (no "output"), and the element writer: every case the fixed
 * layout does not take. Out of line, so that the fixed layout's path stays
 * small. */
static __attribute__((noinline)) size_t output_walk(val_date_worker *w, const val_dt *v,
                                                    const char *in, size_t n, char *buf,
                                                    size_t cap, bool *changed)
{
    const val_datefmts *df = w->df;
    val_text t = {buf, cap, 0};
    if (!df->has_output) {
        val_text_put(&t, in, n);
        *changed = false;
        return val_text_end(&t);
    }
    val_dt x = *v;
    if (x.type == RT_DATETIME)
        val_date_to_zone(w, &x);
    if (df->output_iso) {
        t.len = val_dt_iso(&x, buf, cap);
    } else {
        for (size_t k = 0; k < df->output.nels; k++)
            write_el(w, &df->output, &df->output.els[k], &x, &t);
        val_text_end(&t);
    }
    *changed = t.len != n || (t.len <= cap && memcmp(buf, in, n) != 0);
    return t.len;
}

size_t val_date_output(val_date_worker *w, const val_dt *v, const char *in, size_t n,
                       char *buf, size_t cap, bool *changed)
{
    const val_datefmts *df = w->df;
    const df_fast *fx = &df->output.fast;
    /* A fixed layout (yyyy-MM-dd): the literals and digit pairs in place,
     * unless the value is first moved to the field's timezone. */
    if (fx->len && df->has_output && !w->force_walk && cap > fx->len &&
        !(v->type == RT_DATETIME && df->tz && v->has_offset) && fast_write(fx, v, buf)) {
        buf[fx->len] = '\0';
        *changed = fx->len != n || !fast_equal(fx, buf, in);
        return fx->len;
    }
    return output_walk(w, v, in, n, buf, cap, changed);
}

/* ---- Order and bounds ---------------------------------------------------------- */

static int cmp64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

int val_date_cmp(val_date_worker *w, const val_dt *a, const val_dt *b)
{
    int c;
    switch (a->type) {
    case RT_DURATION:
        return memcmp(&a->dur, &b->dur, sizeof a->dur) == 0 ? 0 : 2;
    case RT_YEAR:
        return cmp64(a->year, b->year);
    case RT_YEARMONTH:
        return cmp64(a->year * 12 + a->month, b->year * 12 + b->month);
    case RT_DATE:
        return cmp64(val_dt_days(a), val_dt_days(b));
    case RT_TIME:
        c = cmp64(a->hour * 3600 + a->minute * 60 + a->second,
                  b->hour * 3600 + b->minute * 60 + b->second);
        return c ? c : cmp64(a->nanos, b->nanos);
    default: {
        int32_t na, nb;
        int64_t sa = val_date_utc_seconds(w, a, &na), sb = val_date_utc_seconds(w, b, &nb);
        c = cmp64(sa, sb);
        return c ? c : cmp64(na, nb);
    }
    }
}

val_bound_result val_date_check_bounds(val_date_worker *w, const val_dt *v)
{
    if (w->has_min && val_date_cmp(w, v, &w->min) < 0)
        return VAL_BOUND_BELOW_MIN;
    if (w->has_max && val_date_cmp(w, v, &w->max) > 0 && v->type != RT_DURATION)
        return VAL_BOUND_ABOVE_MAX;
    return VAL_BOUND_OK;
}

bool val_date_bound_value(const val_date_worker *w, bool is_max, val_dt *out)
{
    if (!(is_max ? w->has_max : w->has_min))
        return false;
    *out = is_max ? w->max : w->min;
    return true;
}

size_t val_date_bound_message(const val_date_worker *w, val_bound_result r, char *buf,
                              size_t cap)
{
    val_text t = {buf, cap, 0};
    bool max = r == VAL_BOUND_ABOVE_MAX;
    const val_date_bound *b = max ? &w->df->max : &w->df->min;
    if (r == VAL_BOUND_OK || !b->set)
        return val_text_end(&t);
    put_s(&t, max ? "must be at most " : "must be at least ");
    put_s(&t, b->text);
    if (b->relative) {
        char iso[64];
        val_dt_iso(max ? &w->max : &w->min, iso, sizeof iso);
        put_s(&t, " (");
        put_s(&t, iso);
        put_s(&t, ")");
    }
    return val_text_end(&t);
}

