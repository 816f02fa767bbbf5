/* validators/datefmt_compile.c — the format compiler: ICU and strptime
 * patterns become element lists (see datefmt_int.h), the locale's names are
 * loaded, and a field's formats, prefer, output, time zone and bounds are
 * put together at load time. The grammar is in docs/dates.md. */
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

/* The word-at-a-time form of a fixed layout (see df_fast): at most 32 bytes,
 * every number yyyy or a 2-digit yy MM dd HH mm ss. */
static void fast_layout(df_fmt *f)
{
    df_fast *x = &f->fast;
    memset(x, 0, sizeof *x);
    if (!f->fixed || f->min_len == 0 || f->min_len > sizeof x->tmpl)
        return;
    size_t len = f->min_len;
    char tmpl[32], mask[32], want[32], add[32], high[32];
    memset(tmpl, 0, sizeof tmpl);
    memset(mask, 0, sizeof mask);
    memset(want, 0, sizeof want);
    memset(add, 0, sizeof add);
    memset(high, 0, sizeof high);
    for (size_t k = 0; k < FD_COUNT; k++)
        x->at[k] = -1;
    for (size_t k = 0; k < f->nlit; k++) {
        size_t o = f->lit_off[k];
        tmpl[o] = want[o] = f->lit[k];
        mask[o] = (char)0xff;
    }
    for (size_t k = 0; k < f->nnum; k++) {
        size_t o = f->num[k].off, wd = f->num[k].width;
        int fd = f->num[k].field;
        bool ok = fd == FD_YEAR ? wd == 4
                  : (fd == FD_YY || fd == FD_MONTH || fd == FD_DAY || fd == FD_HOUR ||
                     fd == FD_MINUTE || fd == FD_SECOND) && wd == 2;
        if (!ok || x->at[fd] >= 0)
            return;
        x->at[fd] = (int8_t)o;
        for (size_t j = o; j < o + wd; j++) {
            tmpl[j] = '0';
            mask[j] = (char)0xf0;
            want[j] = 0x30;
            add[j] = 0x06;
            high[j] = (char)0xf0;
        }
    }
    memcpy(x->tmpl, tmpl, sizeof tmpl);
    x->len = (uint8_t)len;
    if (len < 8)
        return; /* written fast, matched by the element walk */
    x->nw = (uint8_t)((len + 7) / 8);
    for (size_t k = 0; k < x->nw; k++) {
        size_t o = k * 8 + 8 <= len ? k * 8 : len - 8;
        x->woff[k] = (uint8_t)o;
        memcpy(&x->mask[k], mask + o, 8);
        memcpy(&x->want[k], want + o, 8);
        memcpy(&x->add[k], add + o, 8);
        memcpy(&x->high[k], high + o, 8);
    }
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
    fast_layout(f);
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
int val_df_name_match(const df_names *nm, const char *p, size_t n, size_t *len)
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

