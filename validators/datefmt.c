/* validators/datefmt.c — the format compiler (ICU and strptime patterns), the
 * matcher, the ICU path, the "any" list and the per-thread worker (see
 * datefmt.h; the grammar is in docs/dates.md).
 *
 * A pattern becomes a list of elements (literal, number, name, fraction,
 * offset). The matcher walks the value once against that list; a number
 * takes its digit count, a name the longest of the locale's names that
 * matches, case-insensitively. The calendar checks run after the walk. For
 * a pattern with names of a locale other than English the walk is the shape
 * check and ICU then parses the value (udat, lenient off, one UDateFormat per
 * pattern per worker). */
#include "validators/datefmt.h"

#include "core/ascii.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>

#include "validators/daterange.h"

#define VAL_DATE_LEN_SLOTS 128

/* ---- Elements ------------------------------------------------------------ */

typedef enum df_kind {
    EK_LIT = 0,
    EK_NUM,      /* min..max ASCII digits */
    EK_TEXT,     /* one of a names list (min: the list) */
    EK_FRAC,     /* min..max fraction digits (no dot) */
    EK_OPT_FRAC, /* nothing, or '.' and 1..9 digits (ISO defaults) */
    EK_OFS       /* an offset; ofs says which forms */
} df_kind;

typedef enum df_field {
    FD_NONE = 0, FD_YEAR, FD_YY, FD_MONTH, FD_DAY, FD_WDAY, FD_HOUR, FD_HOUR12,
    FD_AMPM, FD_MINUTE, FD_SECOND, FD_FRAC, FD_OFS, FD_COUNT
} df_field;

#define HAS(f) (1u << (f))

enum { OF_Z = 1, OF_HH = 2, OF_HHMM = 4, OF_COLON = 8, OF_OPT = 16 };
enum { NL_MON_ABBR = 0, NL_MON_FULL, NL_WDAY_ABBR, NL_WDAY_FULL, NL_AMPM, NL_COUNT };

typedef struct df_el {
    uint8_t kind, field, min, max, ofs;
    uint16_t off, len; /* EK_LIT: bytes in the format's lits */
} df_el;

typedef struct df_fmt {
    char *name;        /* as written (stats, messages) */
    char *icu;         /* the ICU pattern (UTF-8); NULL when not expressible */
    df_el *els;
    size_t nels;
    char *lits;
    size_t min_len, max_len;
    uint32_t has;      /* HAS(field) of each field present */
    uint8_t nchk;      /* literal bytes at fixed offsets, checked first */
    uint8_t chk_off[4];
    char chk[4];
    /* Fixed layout (every element a literal or a fixed-width number, as in
     * yyyy-MM-dd): one exact length, every literal byte at its offset, every
     * number at its offset; matched without walking the elements. */
    bool fixed;
    uint8_t nlit, nnum;
    uint8_t lit_off[16];
    char lit[16];
    struct { uint8_t off, width, field; } num[8];
    bool icu_serves;   /* names of a locale the matcher does not know */
    bool utc_literal;  /* ends with a literal Z, GMT or UTC after a time */
} df_fmt;

typedef struct df_names {
    int count;
    const char *s[12];
    uint8_t len[12];
    bool ascii[12];
    UChar *u[12];
    int32_t ulen[12];
} df_names;

struct val_datefmts {
    rules_type type;
    df_fmt fmts[VAL_DATE_MAX_FORMATS];
    size_t n;
    /* Bit i: format i can match a value of this many bytes (its length
     * range holds it); the last entry stands for every longer length. */
    uint32_t by_len[VAL_DATE_LEN_SLOTS];
    bool any;                /* Table Schema "any" */
    char *locale;            /* ICU id with @calendar=gregorian;numbers=latn */
    bool english;
    df_names names[NL_COUNT];
    char *name_block;        /* owns the locale's names */
    bool has_pivot;
    int32_t pivot;
    char *tz;                /* NULL: none */
    bool tz_utc;
    int prefer;              /* -1 none, -2 "first", else the format */
    bool has_output, output_iso;
    df_fmt output;
    val_date_bound min, max;
};

static const df_names english[NL_COUNT] = {
    {12, {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
          "Nov", "Dec"}, {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3},
     {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {0}, {0}},
    {12, {"January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"},
     {7, 8, 5, 5, 3, 4, 4, 6, 9, 7, 8, 8}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
     {0}, {0}},
    {7, {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}, {3, 3, 3, 3, 3, 3, 3},
     {1, 1, 1, 1, 1, 1, 1}, {0}, {0}},
    {7, {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
     {6, 6, 7, 9, 8, 6, 8}, {1, 1, 1, 1, 1, 1, 1}, {0}, {0}},
    {2, {"AM", "PM"}, {2, 2}, {1, 1}, {0}, {0}}};

static const char *const field_words[FD_COUNT] = {
    "", "the year", "the year", "the month", "the day", "the day of the week",
    "the hour", "the hour", "AM/PM", "the minutes", "the seconds", "the fraction",
    "the offset"};

/* ---- The pattern compiler ------------------------------------------------ */

typedef struct df_builder {
    df_el els[64];
    size_t nels;
    char lits[VAL_DATE_MAX_PATTERN * 2];
    size_t nlits;
    char icu[VAL_DATE_MAX_PATTERN * 3];
    size_t nicu;
    bool icu_ok;
    uint32_t has;
    char *err;
    size_t cap;
} df_builder;

static val_df_rc fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static val_df_rc fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return VAL_DF_BAD;
}

static bool is_letter(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void icu_text(df_builder *b, const char *s, size_t n)
{
    if (b->nicu + n < sizeof b->icu) {
        memcpy(b->icu + b->nicu, s, n);
        b->nicu += n;
    } else
        b->icu_ok = false;
}

/* A literal: merged with the literal before it; quoted in the ICU pattern
 * when it holds a letter or a quote. */
static bool add_lit(df_builder *b, const char *s, size_t n)
{
    if (b->nlits + n > sizeof b->lits || b->nels >= 64) {
        fail(b->err, b->cap, "pattern is too long");
        return false;
    }
    df_el *last = b->nels ? &b->els[b->nels - 1] : NULL;
    if (last && last->kind == EK_LIT && last->off + last->len == b->nlits)
        last->len = (uint16_t)(last->len + n);
    else
        b->els[b->nels++] = (df_el){EK_LIT, FD_NONE, 0, 0, 0, (uint16_t)b->nlits,
                                    (uint16_t)n};
    memcpy(b->lits + b->nlits, s, n);
    b->nlits += n;
    bool plain = true;
    for (size_t i = 0; i < n; i++)
        plain &= !is_letter((unsigned char)s[i]) && s[i] != '\'';
    if (plain) {
        icu_text(b, s, n);
        return true;
    }
    icu_text(b, "'", 1);
    for (size_t i = 0; i < n; i++)
        icu_text(b, s[i] == '\'' ? "''" : s + i, 1 + (s[i] == '\''));
    icu_text(b, "'", 1);
    return true;
}

static bool numeric(const df_el *e)
{
    return e->kind == EK_NUM || e->kind == EK_FRAC;
}

static bool add_el(df_builder *b, df_kind kind, df_field field, int min, int max, int ofs,
                   const char *icu)
{
    if (b->nels >= 64)
        return fail(b->err, b->cap, "pattern is too long"), false;
    if (b->has & HAS(field))
        return fail(b->err, b->cap, "pattern sets %s twice", field_words[field]), false;
    if ((field == FD_HOUR && (b->has & HAS(FD_HOUR12))) ||
        (field == FD_HOUR12 && (b->has & HAS(FD_HOUR))) ||
        (field == FD_YY && (b->has & HAS(FD_YEAR))) ||
        (field == FD_YEAR && (b->has & HAS(FD_YY))))
        return fail(b->err, b->cap, "pattern sets %s twice", field_words[field]), false;
    df_el e = {(uint8_t)kind, (uint8_t)field, (uint8_t)min, (uint8_t)max, (uint8_t)ofs, 0, 0};
    const df_el *prev = b->nels ? &b->els[b->nels - 1] : NULL;
    if (prev && numeric(prev) && numeric(&e) && (prev->min != prev->max || min != max))
        return fail(b->err, b->cap, "%s and %s are written without anything between "
                    "them and one has a variable number of digits, so the value cannot "
                    "be split; use fixed widths (e.g. MM, dd) or a separator",
                    field_words[prev->field], field_words[field]), false;
    b->els[b->nels++] = e;
    b->has |= HAS(field);
    if (icu)
        icu_text(b, icu, strlen(icu));
    else
        b->icu_ok = false;
    return true;
}

/* One run of an ICU pattern letter: c repeated count times. */
static bool icu_letter(df_builder *b, char c, int count)
{
    char run[16];
    int k = count < 15 ? count : 15;
    memset(run, c, (size_t)k);
    run[k] = '\0';
    switch (c) {
    case 'y':
        if (count == 4)
            return add_el(b, EK_NUM, FD_YEAR, 4, 4, 0, run);
        if (count == 2)
            return add_el(b, EK_NUM, FD_YY, 2, 2, 0, run);
        return fail(b->err, b->cap, "the year is written yyyy (4 digits) or yy "
                    "(2 digits, with \"century_pivot\"), not %s", run), false;
    case 'M':
        if (count <= 2)
            return add_el(b, EK_NUM, FD_MONTH, count == 2 ? 2 : 1, 2, 0, run);
        if (count <= 4)
            return add_el(b, EK_TEXT, FD_MONTH, count == 3 ? NL_MON_ABBR : NL_MON_FULL,
                          0, 0, run);
        break;
    case 'd':
        if (count <= 2)
            return add_el(b, EK_NUM, FD_DAY, count == 2 ? 2 : 1, 2, 0, run);
        break;
    case 'E':
        if (count == 3 || count == 4)
            return add_el(b, EK_TEXT, FD_WDAY, count == 3 ? NL_WDAY_ABBR : NL_WDAY_FULL,
                          0, 0, run);
        return fail(b->err, b->cap, "day names are written EEE (abbreviated) or EEEE "
                    "(full), not %s", run), false;
    case 'a':
        if (count == 1)
            return add_el(b, EK_TEXT, FD_AMPM, NL_AMPM, 0, 0, run);
        break;
    case 'H': case 'h': case 'm': case 's': {
        df_field f = c == 'H' ? FD_HOUR : c == 'h' ? FD_HOUR12 : c == 'm' ? FD_MINUTE
                                                                        : FD_SECOND;
        if (count <= 2)
            return add_el(b, EK_NUM, f, count == 2 ? 2 : 1, 2, 0, run);
        break;
    }
    case 'S':
        if (count <= 9)
            return add_el(b, EK_FRAC, FD_FRAC, count, count, 0, run);
        return fail(b->err, b->cap, "a fraction has at most 9 digits (SSSSSSSSS)"), false;
    case 'X': case 'x': case 'Z': {
        static const int forms[3][3] = {
            {OF_Z | OF_HH | OF_HHMM, OF_Z | OF_HHMM, OF_Z | OF_COLON},
            {OF_HH | OF_HHMM, OF_HHMM, OF_COLON},
            {OF_HHMM, OF_HHMM, OF_HHMM}};
        if (count <= 3)
            return add_el(b, EK_OFS, FD_OFS, 0, 0,
                          forms[c == 'X' ? 0 : c == 'x' ? 1 : 2][count - 1], run);
        return fail(b->err, b->cap, "offsets are written X, XX, XXX, x, xx, xxx or Z; "
                    "%s is not supported", run), false;
    }
    default:
        return fail(b->err, b->cap, "pattern letter '%c' is not supported; assay reads "
                    "y M d E a H h m s S X x Z (quote literal text: 'T')", c), false;
    }
    return fail(b->err, b->cap, "%s is not a supported pattern field (see the "
                "format grammar in docs/dates.md)", run), false;
}

/* Internal markers of the built-in patterns (never in a rules file). */
#define MARK_OPT_FRAC '\x01'
#define MARK_OPT_OFS '\x02'

static bool compile_icu(df_builder *b, const char *p, size_t n, bool internal)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (internal && c == MARK_OPT_FRAC) {
            if (!add_el(b, EK_OPT_FRAC, FD_FRAC, 1, 9, 0, NULL))
                return false;
            i++;
        } else if (internal && c == MARK_OPT_OFS) {
            if (!add_el(b, EK_OFS, FD_OFS, 0, 0, OF_OPT | OF_Z | OF_COLON, NULL))
                return false;
            i++;
        } else if (is_letter(c)) {
            size_t j = i;
            while (j < n && p[j] == p[i])
                j++;
            if (!icu_letter(b, (char)c, (int)(j - i)))
                return false;
            i = j;
        } else if (c == '\'') {
            if (i + 1 < n && p[i + 1] == '\'') {
                if (!add_lit(b, "'", 1))
                    return false;
                i += 2;
                continue;
            }
            size_t j = i + 1;
            char tmp[VAL_DATE_MAX_PATTERN];
            size_t k = 0;
            for (;;) {
                if (j >= n)
                    return fail(b->err, b->cap, "unterminated quote: a literal "
                                "opened with ' needs a closing '"), false;
                if (p[j] == '\'' && j + 1 < n && p[j + 1] == '\'') {
                    tmp[k++] = '\'';
                    j += 2;
                } else if (p[j] == '\'') {
                    break;
                } else
                    tmp[k++] = p[j++];
            }
            if (k && !add_lit(b, tmp, k))
                return false;
            i = j + 1;
        } else {
            size_t j = i;
            while (j < n && !is_letter((unsigned char)p[j]) && p[j] != '\'' &&
                   !(internal && (p[j] == MARK_OPT_FRAC || p[j] == MARK_OPT_OFS)))
                j++;
            if (!add_lit(b, p + i, j - i))
                return false;
            i = j;
        }
    }
    return true;
}

/* strptime directives, as ICU letters or elements. */
static bool compile_strptime(df_builder *b, const char *p, size_t n)
{
    static const struct { char d; const char *pad, *nopad; } map[] = {
        {'Y', "yyyy", NULL}, {'y', "yy", NULL}, {'m', "MM", "M"}, {'d', "dd", "d"},
        {'H', "HH", "H"}, {'I', "hh", "h"}, {'M', "mm", "m"}, {'S', "ss", "s"},
        {'b', "MMM", NULL}, {'h', "MMM", NULL}, {'B', "MMMM", NULL}, {'a', "EEE", NULL},
        {'A', "EEEE", NULL}, {'p', "a", NULL}, {'F', "yyyy-MM-dd", NULL},
        {'T', "HH:mm:ss", NULL}, {'R', "HH:mm", NULL}, {'D', "MM/dd/yy", NULL},
        {0, NULL, NULL}};
    size_t i = 0;
    while (i < n) {
        if (p[i] != '%') {
            size_t j = i;
            while (j < n && p[j] != '%')
                j++;
            if (!add_lit(b, p + i, j - i))
                return false;
            i = j;
            continue;
        }
        bool nopad = i + 1 < n && p[i + 1] == '-';
        size_t at = i + 1 + nopad;
        char d = at < n ? p[at] : '\0';
        i = at + 1;
        if (d == '%' && !nopad) {
            if (!add_lit(b, "%", 1))
                return false;
            continue;
        }
        if (d == 'f' && !nopad) {
            if (!add_el(b, EK_FRAC, FD_FRAC, 1, 6, 0, NULL))
                return false;
            continue;
        }
        if (d == 'z' && !nopad) {
            if (!add_el(b, EK_OFS, FD_OFS, 0, 0, OF_Z | OF_HHMM | OF_COLON, NULL))
                return false;
            continue;
        }
        const char *icu = NULL;
        for (size_t k = 0; map[k].d; k++)
            if (map[k].d == d)
                icu = nopad ? map[k].nopad : map[k].pad;
        if (!icu) {
            char shown[4] = {'%', 0, 0, 0};
            if (nopad) {
                shown[1] = '-';
                shown[2] = d;
            } else
                shown[1] = d;
            return fail(b->err, b->cap, "unknown strptime directive %s; assay reads "
                        "%%Y %%y %%m %%d %%H %%I %%M %%S %%f %%p %%b %%B %%a %%A %%z "
                        "%%F %%T %%R %%D %%%% (and %%-m %%-d %%-H %%-I %%-M %%-S)",
                        d ? shown : "%"), false;
        }
        if (!compile_icu(b, icu, strlen(icu), false))
            return false;
    }
    return true;
}

/* Which fields must be present for each type, and which may be. */
static bool check_fields(df_builder *b, rules_type t)
{
    uint32_t h = b->has;
    bool y = h & (HAS(FD_YEAR) | HAS(FD_YY)), mo = h & HAS(FD_MONTH),
         d = h & HAS(FD_DAY), hr = h & (HAS(FD_HOUR) | HAS(FD_HOUR12)),
         mi = h & HAS(FD_MINUTE), s = h & HAS(FD_SECOND);
    const char *why = NULL;
    if ((mo && !y) || (d && !mo))
        why = "a pattern names the day only with a month and the month only with a year";
    else if ((h & HAS(FD_WDAY)) && !d)
        why = "a day name (E) needs the full date";
    else if ((h & HAS(FD_HOUR12)) && !(h & HAS(FD_AMPM)))
        why = "h (hour 1-12) needs a (AM/PM); use H for 0-23";
    else if ((h & HAS(FD_AMPM)) && !(h & HAS(FD_HOUR12)))
        why = "a (AM/PM) needs h (hour 1-12)";
    else if ((mi && !hr) || (s && !mi) || ((h & HAS(FD_FRAC)) && !s) ||
             ((h & HAS(FD_OFS)) && !mi))
        why = "a pattern names the minutes only with the hour, the seconds only with "
              "the minutes, a fraction only with the seconds, an offset only with a time";
    else if (hr && !mi)
        why = "the hour needs the minutes (HH:mm)";
    if (why)
        return fail(b->err, b->cap, "%s", why), false;
    switch (t) {
    case RT_DATE: why = y && mo && d ? NULL : "a date format needs the year, month and "
                                                "day (e.g. yyyy-MM-dd)"; break;
    case RT_DATETIME: why = y && mo && d && hr ? NULL : "a datetime format needs the "
                            "date and the time (e.g. yyyy-MM-dd'T'HH:mm:ss)"; break;
    case RT_TIME: why = hr ? NULL : "a time format needs the hour and minutes (e.g. "
                                    "HH:mm:ss)"; break;
    case RT_YEAR: why = y && !mo && !hr ? NULL : "a year format holds the year only "
                                                 "(yyyy)"; break;
    case RT_YEARMONTH: why = y && mo && !d && !hr ? NULL : "a yearmonth format holds "
                                                           "the year and month only "
                                                           "(e.g. yyyy-MM)"; break;
    default: why = "durations have no formats"; break;
    }
    if (why)
        return fail(b->err, b->cap, "%s", why), false;
    return true;
}

/* Fields an output pattern may use for each type. */
static bool check_output_fields(df_builder *b, rules_type t)
{
    uint32_t date = HAS(FD_YEAR) | HAS(FD_YY) | HAS(FD_MONTH) | HAS(FD_DAY) | HAS(FD_WDAY);
    uint32_t time = HAS(FD_HOUR) | HAS(FD_HOUR12) | HAS(FD_AMPM) | HAS(FD_MINUTE) |
                    HAS(FD_SECOND) | HAS(FD_FRAC) | HAS(FD_OFS);
    uint32_t ok = t == RT_DATE ? date : t == RT_TIME ? time : t == RT_DATETIME ?
                  date | time : t == RT_YEAR ? HAS(FD_YEAR) | HAS(FD_YY) :
                  HAS(FD_YEAR) | HAS(FD_YY) | HAS(FD_MONTH);
    for (int f = FD_YEAR; f < FD_COUNT; f++)
        if ((b->has & HAS(f)) && !(ok & HAS(f)))
            return fail(b->err, b->cap, "output writes %s, which a %s value does not "
                        "have", field_words[f], val_dt_type_name(t)), false;
    if (!b->has)
        return fail(b->err, b->cap, "output writes no part of the value"), false;
    return true;
}

static size_t names_min(const df_names *nm)
{
    size_t m = 255;
    for (int k = 0; k < nm->count; k++)
        m = nm->len[k] < m ? nm->len[k] : m;
    return m;
}

static size_t names_max(const df_names *nm)
{
    size_t m = 0;
    for (int k = 0; k < nm->count; k++)
        m = nm->len[k] > m ? nm->len[k] : m;
    return m;
}

/* Up to four literal bytes at offsets every matching value has them at (the
 * elements before them have fixed widths): a cheap first rejection. */
static void prechecks(df_fmt *f)
{
    size_t at = 0;
    for (size_t k = 0; k < f->nels && f->nchk < 4 && at < 256; k++) {
        const df_el *e = &f->els[k];
        if (e->kind == EK_LIT) {
            for (size_t j = 0; j < e->len && f->nchk < 4 && at + j < 256; j++) {
                f->chk_off[f->nchk] = (uint8_t)(at + j);
                f->chk[f->nchk++] = f->lits[e->off + j];
            }
            at += e->len;
        } else if ((e->kind == EK_NUM || e->kind == EK_FRAC) && e->min == e->max)
            at += e->min;
        else
            break;
    }
}

static void fixed_layout(df_fmt *f)
{
    size_t at = 0;
    f->fixed = false;
    f->nlit = f->nnum = 0;
    for (size_t k = 0; k < f->nels; k++) {
        const df_el *e = &f->els[k];
        if (e->kind == EK_LIT) {
            for (size_t j = 0; j < e->len; j++) {
                if (f->nlit == 16 || at + j > 255)
                    return;
                f->lit_off[f->nlit] = (uint8_t)(at + j);
                f->lit[f->nlit++] = f->lits[e->off + j];
            }
            at += e->len;
        } else if (e->kind == EK_NUM && e->min == e->max && e->field != FD_HOUR12 &&
                   f->nnum < 8 && at <= 255) {
            f->num[f->nnum].off = (uint8_t)at;
            f->num[f->nnum].width = e->min;
            f->num[f->nnum++].field = e->field;
            at += e->min;
        } else
            return;
    }
    f->fixed = at == f->min_len && at == f->max_len;
}

/* The byte lengths a matching value can have. */
static void length_range(const val_datefmts *df, df_fmt *f)
{
    size_t lo = 0, hi = 0;
    for (size_t k = 0; k < f->nels; k++) {
        const df_el *e = &f->els[k];
        switch ((df_kind)e->kind) {
        case EK_LIT: lo += e->len; hi += e->len; break;
        case EK_NUM: case EK_FRAC: lo += e->min; hi += e->max; break;
        case EK_TEXT: lo += names_min(&df->names[e->min]);
                      hi += names_max(&df->names[e->min]); break;
        case EK_OPT_FRAC: hi += 10; break;
        case EK_OFS: lo += e->ofs & OF_OPT ? 0 : e->ofs & OF_Z ? 1 : 3; hi += 6; break;
        }
    }
    f->min_len = lo;
    f->max_len = hi;
}

static bool ends_with_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && memcmp(s + n - k, w, k) == 0 && (n == k || s[n - k - 1] == ' ');
}

/* Compiles (p, n) into f: ICU syntax, or strptime when it holds a '%'. */
static val_df_rc compile(val_datefmts *df, const char *p, size_t n, bool output,
                         bool internal, df_fmt *f, char *err, size_t cap)
{
    memset(f, 0, sizeof *f);
    if (n == 0)
        return fail(err, cap, "expected a pattern, got an empty string");
    if (n > VAL_DATE_MAX_PATTERN)
        return fail(err, cap, "pattern is longer than %d bytes", VAL_DATE_MAX_PATTERN);
    df_builder *b = calloc(1, sizeof *b);
    if (!b)
        return VAL_DF_NOMEM;
    b->err = err;
    b->cap = cap;
    b->icu_ok = true;
    bool ok = !internal && memchr(p, '%', n) ? compile_strptime(b, p, n)
                                             : compile_icu(b, p, n, internal);
    if (ok)
        ok = output ? check_output_fields(b, df->type) : check_fields(b, df->type);
    if (ok && (b->has & HAS(FD_YY)) && !output && !df->has_pivot)
        ok = !fail(err, cap, "yy (2-digit year) needs \"century_pivot\", the first "
                   "year of the 100 that yy stands for (e.g. 1970: 70 is 1970, 69 is "
                   "2069)");
    if (!ok) {
        free(b);
        return VAL_DF_BAD;
    }
    f->name = malloc(n + 1);
    f->els = malloc(b->nels * sizeof *f->els);
    f->lits = malloc(b->nlits + 1);
    f->icu = b->icu_ok ? malloc(b->nicu + 1) : NULL;
    if (!f->name || !f->els || !f->lits || (b->icu_ok && !f->icu)) {
        free(b);
        return VAL_DF_NOMEM;
    }
    memcpy(f->name, p, n);
    f->name[n] = '\0';
    memcpy(f->els, b->els, b->nels * sizeof *f->els);
    f->nels = b->nels;
    memcpy(f->lits, b->lits, b->nlits);
    if (f->icu) {
        memcpy(f->icu, b->icu, b->nicu);
        f->icu[b->nicu] = '\0';
    }
    f->has = b->has;
    bool names = false;
    for (size_t k = 0; k < f->nels; k++)
        names |= f->els[k].kind == EK_TEXT;
    f->icu_serves = names && !df->english;
    const df_el *last = f->nels ? &f->els[f->nels - 1] : NULL;
    f->utc_literal = last && last->kind == EK_LIT && !(f->has & HAS(FD_OFS)) &&
                     (f->has & HAS(FD_MINUTE)) &&
                     (ends_with_word(f->lits + last->off, last->len, "Z") ||
                      ends_with_word(f->lits + last->off, last->len, "GMT") ||
                      ends_with_word(f->lits + last->off, last->len, "UTC"));
    length_range(df, f);
    prechecks(f);
    fixed_layout(f);
    free(b);
    return VAL_DF_OK;
}

static void fmt_free(df_fmt *f)
{
    free(f->name);
    free(f->icu);
    free(f->els);
    free(f->lits);
}

/* ---- Names ---------------------------------------------------------------- */


static bool name_eq(const df_names *nm, int k, const char *p)
{
    if (nm->ascii[k])
        return core_ascii_eq_nocase(p, nm->s[k], nm->len[k]);
    UChar u[64];
    int32_t ulen = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(u, 64, &ulen, p, nm->len[k], &st);
    if (U_FAILURE(st))
        return false;
    st = U_ZERO_ERROR;
    return u_strCaseCompare(u, ulen, nm->u[k], nm->ulen[k], U_FOLD_CASE_DEFAULT, &st) == 0 &&
           U_SUCCESS(st);
}

/* The index of the longest name at p (n bytes left); -1 when none. */
static int name_match(const df_names *nm, const char *p, size_t n, size_t *len)
{
    int best = -1;
    for (int k = 0; k < nm->count; k++)
        if (nm->len[k] <= n && (best < 0 || nm->len[k] > nm->len[best]) &&
            name_eq(nm, k, p))
            best = k;
    if (best >= 0)
        *len = nm->len[best];
    return best;
}

/* The locale's names from ICU (Gregorian, format context). */
static val_df_rc load_names(val_datefmts *df, char *err, size_t cap)
{
    static const UDateFormatSymbolType types[NL_COUNT] = {
        UDAT_SHORT_MONTHS, UDAT_MONTHS, UDAT_SHORT_WEEKDAYS, UDAT_WEEKDAYS, UDAT_AM_PMS};
    static const int counts[NL_COUNT] = {12, 12, 7, 7, 2};
    static const int first[NL_COUNT] = {0, 0, 1, 1, 0}; /* weekdays start at 1 */
    UErrorCode st = U_ZERO_ERROR;
    UDateFormat *fmt = udat_open(UDAT_PATTERN, UDAT_PATTERN, df->locale, u"UTC", -1,
                                 u"yyyy", -1, &st);
    if (U_FAILURE(st))
        return fail(err, cap, "ICU cannot open locale \"%s\": %s", df->locale,
                    u_errorName(st));
    size_t total = 0;
    UChar u[64];
    char s[192];
    /* Two passes: measure, then copy into one block. */
    for (int pass = 0; pass < 2; pass++) {
        char *at = df->name_block;
        for (int l = 0; l < NL_COUNT; l++) {
            df_names *nm = &df->names[l];
            nm->count = counts[l];
            for (int k = 0; k < counts[l]; k++) {
                st = U_ZERO_ERROR;
                int32_t ul = udat_getSymbols(fmt, types[l], first[l] + k, u, 64, &st);
                int32_t sl = 0;
                if (U_SUCCESS(st))
                    u_strToUTF8(s, sizeof s, &sl, u, ul, &st);
                if (U_FAILURE(st) || ul == 0 || sl > 120) {
                    udat_close(fmt);
                    return fail(err, cap, "locale \"%s\" has no usable names in ICU",
                                df->locale);
                }
                size_t need = (size_t)sl + 1 + ((size_t)ul + 1) * sizeof(UChar);
                if (pass == 0) {
                    total += need + sizeof(UChar);
                    continue;
                }
                at = (char *)(((uintptr_t)at + 1) & ~(uintptr_t)1); /* UChar aligned */
                nm->u[k] = (UChar *)(void *)at;
                memcpy(at, u, (size_t)ul * sizeof(UChar));
                nm->ulen[k] = ul;
                at += ((size_t)ul + 1) * sizeof(UChar);
                memcpy(at, s, (size_t)sl + 1);
                nm->s[k] = at;
                nm->len[k] = (uint8_t)sl;
                nm->ascii[k] = true;
                for (int32_t i = 0; i < sl; i++)
                    nm->ascii[k] &= (unsigned char)s[i] < 0x80;
                at += sl + 1;
            }
        }
        if (pass == 0 && !(df->name_block = malloc(total + 2))) {
            udat_close(fmt);
            return VAL_DF_NOMEM;
        }
    }
    udat_close(fmt);
    return VAL_DF_OK;
}

/* ---- The matcher ---------------------------------------------------------- */

typedef struct df_parts {
    int32_t year, nanos, offset_s;
    int month, day, wday, hour, hour12, ampm, minute, second, frac_digits;
    bool has_offset;
} df_parts;

static bool two_digits(const char *p, int *v)
{
    if (!is_digit(p[0]) || !is_digit(p[1]))
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
    } else if ((ofs & OF_HHMM) && n - end >= 2 && is_digit(p[end])) {
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
                while (i < n && i - s < e->max && is_digit(p[i]))
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
            while (i < n && i - s < e->max && is_digit(p[i]))
                v = v * 10 + (p[i++] - '0');
            size_t k2 = i - s;
            if (k2 < e->min || (i < n && is_digit(p[i]) && e->kind == EK_OPT_FRAC))
                return false;
            o->frac_digits = (int)k2;
            for (; k2 < 9; k2++)
                v *= 10;
            o->nanos = v;
            break;
        }
        case EK_TEXT: {
            size_t len;
            int idx = name_match(&df->names[e->min], p + i, n - i, &len);
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
    memset(v, 0, sizeof *v);
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

/* ---- Building ------------------------------------------------------------- */

val_datefmts *val_datefmts_new(rules_type type)
{
    val_datefmts *df = calloc(1, sizeof *df);
    if (!df)
        return NULL;
    df->type = type;
    df->english = true;
    df->prefer = -1;
    memcpy(df->names, english, sizeof english);
    return df;
}

void val_datefmts_free(val_datefmts *df)
{
    if (!df)
        return;
    for (size_t i = 0; i < df->n; i++)
        fmt_free(&df->fmts[i]);
    fmt_free(&df->output);
    free(df->locale);
    free(df->name_block);
    free(df->tz);
    val_date_bound_free(&df->min);
    val_date_bound_free(&df->max);
    free(df);
}

static bool english_locale(const char *lang, const char *country, const char *variant)
{
    return strcmp(lang, "en") == 0 && (!*country || strcmp(country, "US") == 0) &&
           (!*variant || strcmp(variant, "POSIX") == 0);
}

val_df_rc val_datefmts_locale(val_datefmts *df, const char *s, size_t n, char *err,
                              size_t cap)
{
    char in[64], id[ULOC_FULLNAME_CAPACITY], lang[16], country[8], variant[16];
    UErrorCode st = U_ZERO_ERROR;
    if (n == 0 || n >= sizeof in || memchr(s, '@', n))
        return fail(err, cap, "expected a locale such as \"fr\", \"de_AT\" or "
                    "\"en_US_POSIX\"");
    memcpy(in, s, n);
    in[n] = '\0';
    if (memchr(s, '-', n)) {
        int32_t parsed = 0;
        uloc_forLanguageTag(in, id, sizeof id, &parsed, &st);
        if (U_FAILURE(st) || parsed != (int32_t)n)
            return fail(err, cap, "\"%s\" is not a valid locale tag", in);
    } else
        uloc_canonicalize(in, id, sizeof id, &st);
    uloc_getLanguage(id, lang, sizeof lang, &st);
    uloc_getCountry(id, country, sizeof country, &st);
    uloc_getVariant(id, variant, sizeof variant, &st);
    if (U_FAILURE(st) || !*lang)
        return fail(err, cap, "\"%s\" is not a valid locale", in);
    bool known = false;
    for (int32_t i = 0, c = uloc_countAvailable(); i < c && !known; i++) {
        char l2[16];
        UErrorCode s2 = U_ZERO_ERROR;
        uloc_getLanguage(uloc_getAvailable(i), l2, sizeof l2, &s2);
        known = U_SUCCESS(s2) && strcmp(l2, lang) == 0;
    }
    if (!known)
        return fail(err, cap, "unknown locale \"%s\": ICU has no data for language "
                    "\"%s\"", in, lang);
    df->english = english_locale(lang, country, variant);
    uloc_setKeywordValue("calendar", "gregorian", id, sizeof id, &st);
    uloc_setKeywordValue("numbers", "latn", id, sizeof id, &st);
    if (U_FAILURE(st))
        return fail(err, cap, "\"%s\" is not a valid locale", in);
    free(df->locale);
    if (!(df->locale = strdup(id)))
        return VAL_DF_NOMEM;
    if (df->english)
        return VAL_DF_OK;
    return load_names(df, err, cap);
}

val_df_rc val_datefmts_century_pivot(val_datefmts *df, int64_t pivot, char *err,
                                     size_t cap)
{
    if (pivot < 1 || pivot > 9900)
        return fail(err, cap, "expected a year from 1 to 9900 for \"century_pivot\" "
                    "(yy then reads years pivot..pivot+99), got %lld", (long long)pivot);
    df->has_pivot = true;
    df->pivot = (int32_t)pivot;
    return VAL_DF_OK;
}

val_df_rc val_datefmts_timezone(val_datefmts *df, const char *s, size_t n, char *err,
                                size_t cap)
{
    UChar u[128], canon[128];
    int32_t ulen = 0;
    UErrorCode st = U_ZERO_ERROR;
    UBool system = false;
    if (n == 3 && memcmp(s, "UTC", 3) == 0) {
        df->tz_utc = true;
    } else {
        if (n == 0 || n > 100 || memchr(s, '\0', n))
            return fail(err, cap, "expected \"UTC\" or an IANA time zone name such as "
                        "\"Europe/Paris\"");
        u_strFromUTF8(u, 128, &ulen, s, (int32_t)n, &st);
        ucal_getCanonicalTimeZoneID(u, ulen, canon, 128, &system, &st);
        if (U_FAILURE(st) || !system || !memchr(s, '/', n))
            return fail(err, cap, "unknown time zone \"%.*s\"; expected \"UTC\" or an "
                        "IANA name such as \"Europe/Paris\" or \"America/New_York\"",
                        (int)(n > 60 ? 60 : n), s);
    }
    free(df->tz);
    if (!(df->tz = malloc(n + 1)))
        return VAL_DF_NOMEM;
    memcpy(df->tz, s, n);
    df->tz[n] = '\0';
    return VAL_DF_OK;
}

static val_df_rc add_compiled(val_datefmts *df, const char *p, size_t n, bool internal,
                              const char *name, char *err, size_t cap)
{
    if (df->type == RT_DURATION)
        return fail(err, cap, "duration fields have one format, ISO 8601 (P1Y2M3DT4H5M6S)");
    if (df->n >= VAL_DATE_MAX_FORMATS)
        return fail(err, cap, "at most %d formats per field", VAL_DATE_MAX_FORMATS);
    for (size_t i = 0; !internal && i < df->n; i++)
        if (strlen(df->fmts[i].name) == n && memcmp(df->fmts[i].name, p, n) == 0)
            return fail(err, cap, "format \"%s\" is listed twice", df->fmts[i].name);
    df_fmt *f = &df->fmts[df->n];
    val_df_rc rc = compile(df, p, n, false, internal, f, err, cap);
    if (rc) {
        fmt_free(f);
        memset(f, 0, sizeof *f);
        return rc;
    }
    if (name) {
        char *nm = strdup(name);
        if (!nm) {
            fmt_free(f);
            return VAL_DF_NOMEM;
        }
        free(f->name);
        f->name = nm;
    }
    df->n++;
    return VAL_DF_OK;
}

val_df_rc val_datefmts_add(val_datefmts *df, const char *s, size_t n, char *err,
                           size_t cap)
{
    return add_compiled(df, s, n, false, NULL, err, cap);
}

/* The ISO default and the "any" list of each type: internal patterns (with
 * the optional fraction and offset markers) and their names. */
typedef struct builtin { const char *pattern, *name; } builtin;

static const builtin iso_date[] = {{"yyyy-MM-dd", "yyyy-MM-dd"}, {NULL, NULL}};
static const builtin iso_time[] = {
    {"HH:mm:ss\x01\x02", "HH:mm:ss[.S+][XXX]"}, {NULL, NULL}};
static const builtin iso_datetime[] = {
    {"yyyy-MM-dd'T'HH:mm:ss\x01\x02", "yyyy-MM-dd'T'HH:mm:ss[.S+][XXX]"}, {NULL, NULL}};
static const builtin iso_year[] = {{"yyyy", "yyyy"}, {NULL, NULL}};
static const builtin iso_yearmonth[] = {{"yyyy-MM", "yyyy-MM"}, {NULL, NULL}};

static const builtin any_date[] = {
    {"yyyy-MM-dd", "yyyy-MM-dd"}, {"yyyyMMdd", "yyyyMMdd"}, {"yyyy/MM/dd", "yyyy/MM/dd"},
    {"dd.MM.yyyy", "dd.MM.yyyy"}, {"d MMM yyyy", "d MMM yyyy"},
    {"d MMMM yyyy", "d MMMM yyyy"}, {"MMM d, yyyy", "MMM d, yyyy"},
    {"MMMM d, yyyy", "MMMM d, yyyy"}, {"EEE, d MMM yyyy", "EEE, d MMM yyyy"},
    {"EEEE, MMMM d, yyyy", "EEEE, MMMM d, yyyy"},
    {"yyyy-MM-dd'T'HH:mm:ss\x01\x02", "yyyy-MM-dd'T'HH:mm:ss[.S+][XXX]"},
    {"yyyy-MM-dd HH:mm:ss\x01\x02", "yyyy-MM-dd HH:mm:ss[.S+][XXX]"}, {NULL, NULL}};
static const builtin any_time[] = {
    {"HH:mm:ss\x01\x02", "HH:mm:ss[.S+][XXX]"}, {"HH:mm", "HH:mm"},
    {"h:mm a", "h:mm a"}, {"h:mm:ss a", "h:mm:ss a"}, {NULL, NULL}};
static const builtin any_datetime[] = {
    {"yyyy-MM-dd'T'HH:mm:ss\x01\x02", "yyyy-MM-dd'T'HH:mm:ss[.S+][XXX]"},
    {"yyyy-MM-dd HH:mm:ss\x01\x02", "yyyy-MM-dd HH:mm:ss[.S+][XXX]"},
    {"yyyy-MM-dd'T'HH:mm\x02", "yyyy-MM-dd'T'HH:mm[XXX]"},
    {"yyyy-MM-dd HH:mm\x02", "yyyy-MM-dd HH:mm[XXX]"},
    {"EEE, d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm:ss Z"},
    {"EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEE, dd MMM yyyy HH:mm:ss 'GMT'"},
    {NULL, NULL}};
static const builtin any_yearmonth[] = {
    {"yyyy-MM", "yyyy-MM"}, {"yyyy/MM", "yyyy/MM"}, {"MM/yyyy", "MM/yyyy"},
    {"MMM yyyy", "MMM yyyy"}, {"MMMM yyyy", "MMMM yyyy"}, {NULL, NULL}};

static const builtin *builtin_list(rules_type t, bool any)
{
    switch (t) {
    case RT_DATE: return any ? any_date : iso_date;
    case RT_TIME: return any ? any_time : iso_time;
    case RT_DATETIME: return any ? any_datetime : iso_datetime;
    case RT_YEAR: return iso_year;
    case RT_YEARMONTH: return any ? any_yearmonth : iso_yearmonth;
    default: return NULL;
    }
}

static val_df_rc add_builtins(val_datefmts *df, bool any, char *err, size_t cap)
{
    const builtin *l = builtin_list(df->type, any);
    for (; l && l->pattern; l++) {
        val_df_rc rc = add_compiled(df, l->pattern, strlen(l->pattern), true, l->name,
                                    err, cap);
        if (rc)
            return rc;
    }
    df->any |= any;
    return VAL_DF_OK;
}

val_df_rc val_datefmts_add_table_schema(val_datefmts *df, const char *s, size_t n,
                                        char *err, size_t cap)
{
    if (df->type == RT_DURATION)
        return n == 7 && memcmp(s, "default", 7) == 0 ? VAL_DF_OK
               : fail(err, cap, "duration fields take format \"default\" (ISO 8601) only");
    if (n == 7 && memcmp(s, "default", 7) == 0)
        return VAL_DF_OK;
    if (n == 3 && memcmp(s, "any", 3) == 0)
        return add_builtins(df, true, err, cap);
    if (n > 4 && memcmp(s, "fmt:", 4) == 0) {
        s += 4;
        n -= 4;
    }
    if (!memchr(s, '%', n))
        return fail(err, cap, "expected \"default\", \"any\" or a strptime pattern such "
                    "as \"%%Y-%%m-%%d\" for the format of a %s field; ICU patterns go in "
                    "\"formats\"", val_dt_type_name(df->type));
    return add_compiled(df, s, n, false, NULL, err, cap);
}

val_df_rc val_datefmts_prefer(val_datefmts *df, const char *s, size_t n, char *err,
                              size_t cap)
{
    if (n == 5 && memcmp(s, "first", 5) == 0) {
        df->prefer = -2;
        return VAL_DF_OK;
    }
    for (size_t i = 0; i < df->n; i++)
        if (strlen(df->fmts[i].name) == n && memcmp(df->fmts[i].name, s, n) == 0) {
            df->prefer = (int)i;
            return VAL_DF_OK;
        }
    return fail(err, cap, "\"prefer\" names \"%.*s\", which is not one of the field's "
                "formats; expected \"first\" or a format exactly as listed",
                (int)(n > 60 ? 60 : n), s);
}

val_df_rc val_datefmts_output(val_datefmts *df, const char *s, size_t n, char *err,
                              size_t cap)
{
    if (df->type == RT_DURATION)
        return fail(err, cap, "\"output\" does not apply to duration fields");
    fmt_free(&df->output);
    memset(&df->output, 0, sizeof df->output);
    df->has_output = true;
    if (n == 3 && memcmp(s, "iso", 3) == 0) {
        df->output_iso = true;
        return VAL_DF_OK;
    }
    val_df_rc rc = compile(df, s, n, true, false, &df->output, err, cap);
    if (rc)
        df->has_output = false;
    return rc;
}

val_df_rc val_datefmts_bound(val_datefmts *df, bool is_max, const char *s, size_t n,
                             char *err, size_t cap)
{
    val_date_bound *b = is_max ? &df->max : &df->min;
    val_date_bound_free(b);
    return val_date_bound_parse(df->type, s, n, b, err, cap);
}

val_df_rc val_datefmts_finish(val_datefmts *df, char *err, size_t cap)
{
    val_df_rc rc = VAL_DF_OK;
    if (df->type != RT_DURATION && df->n == 0)
        rc = add_builtins(df, false, err, cap);
    for (size_t len = 0; len < VAL_DATE_LEN_SLOTS; len++) {
        df->by_len[len] = 0;
        for (size_t i = 0; i < df->n; i++)
            if (df->fmts[i].max_len >= len &&
                (df->fmts[i].min_len <= len || len == VAL_DATE_LEN_SLOTS - 1))
                df->by_len[len] |= 1u << i;
    }
    return rc;
}

rules_type val_datefmts_type(const val_datefmts *df)
{
    return df->type;
}

size_t val_datefmts_count(const val_datefmts *df)
{
    return df->type == RT_DURATION ? 1 : df->n;
}

const char *val_datefmts_name(const val_datefmts *df, size_t i)
{
    if (df->type == RT_DURATION)
        return i == 0 ? "PnYnMnDTnHnMnS" : NULL;
    return i < df->n ? df->fmts[i].name : NULL;
}

bool val_datefmts_has_output(const val_datefmts *df)
{
    return df->has_output;
}

bool val_datefmts_has_bounds(const val_datefmts *df)
{
    return df->min.set || df->max.set;
}

bool val_datefmts_icu_capable(const val_datefmts *df, size_t i)
{
    return i < df->n && df->fmts[i].icu != NULL;
}

const char *val_datefmts_icu_pattern(const val_datefmts *df, size_t i)
{
    return i < df->n ? df->fmts[i].icu : NULL;
}

/* ---- The worker ------------------------------------------------------------ */

struct val_date_worker {
    const val_datefmts *df;
    UDateFormat *icu[VAL_DATE_MAX_FORMATS];
    UCalendar *cal[VAL_DATE_MAX_FORMATS];
    bool icu_failed[VAL_DATE_MAX_FORMATS];
    UCalendar *zone;         /* the field's timezone; NULL: UTC or none */
    bool force_icu;
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
        if (!parse_one(w, (size_t)i, p, n, dst))
            continue;
        finish_type(w, dst);
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

size_t val_date_output(val_date_worker *w, const val_dt *v, const char *in, size_t n,
                       char *buf, size_t cap, bool *changed)
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
