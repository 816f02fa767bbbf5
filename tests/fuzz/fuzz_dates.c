/* tests/fuzz/fuzz_dates.c — the date matcher equals shape check + ICU.
 *
 * The first byte picks a pattern, the rest is the value. abort() on any
 * inconsistency:
 *   - the matcher and the forced ICU path give the same status and value;
 *   - an accepted value's ISO text reads back, with the type's ISO default,
 *     as the same value;
 *   - the value written with the pattern itself reads back as the same value
 *     (for patterns whose numbers have fixed widths, the same text, up to the
 *     case of names);
 *   - a duration's canonical text reads back as the same duration;
 *   - bounds and messages never overrun their buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validators/datefmt.h"
#include "validators/daterange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fpat {
    rules_type type;
    const char *pattern;
} fpat;

static const fpat pats[] = {
    {RT_DATE, "yyyy-MM-dd"}, {RT_DATE, "dd/MM/yyyy"}, {RT_DATE, "MM/dd/yyyy"},
    {RT_DATE, "d/M/yyyy"}, {RT_DATE, "MMM d, yyyy"}, {RT_DATE, "EEEE, MMMM d, yyyy"},
    {RT_DATE, "dd.MM.yy"}, {RT_DATE, "yyyyMMdd"},
    {RT_DATETIME, "yyyy-MM-dd'T'HH:mm:ss'Z'"}, {RT_DATETIME, "yyyy-MM-dd'T'HH:mm:ssXXX"},
    {RT_DATETIME, "yyyy-MM-dd HH:mm:ss.SSSxx"}, {RT_DATETIME, "yyyy-MM-dd HH:mmX"},
    {RT_DATETIME, "EEE, d MMM yyyy h:mm:ss a Z"}, {RT_TIME, "HH:mm:ss.SSS"},
    {RT_TIME, "H:m"}, {RT_YEAR, "yyyy"}, {RT_YEARMONTH, "MMM yyyy"},
};
#define NPATS (sizeof pats / sizeof *pats)

static val_datefmts *df[NPATS], *writer_df[NPATS], *iso_df[RT_DURATION + 1];
static val_date_worker *fast[NPATS], *icu[NPATS], *writer[NPATS], *iso[RT_DURATION + 1];

static void setup(void)
{
    char err[512];
    for (size_t i = 0; i < NPATS; i++) {
        df[i] = val_datefmts_new(pats[i].type);
        writer_df[i] = val_datefmts_new(pats[i].type);
        if (!df[i] || !writer_df[i] ||
            val_datefmts_century_pivot(df[i], 1970, err, sizeof err) ||
            val_datefmts_add(df[i], pats[i].pattern, strlen(pats[i].pattern), err,
                             sizeof err) ||
            val_datefmts_finish(df[i], err, sizeof err) ||
            val_datefmts_output(writer_df[i], pats[i].pattern, strlen(pats[i].pattern),
                                err, sizeof err))
            abort();
        fast[i] = val_date_worker_new(df[i], 0);
        icu[i] = val_date_worker_new(df[i], 0);
        writer[i] = val_date_worker_new(writer_df[i], 0);
        if (!fast[i] || !icu[i] || !writer[i])
            abort();
        val_date_worker_force_icu(icu[i], true);
    }
    for (int t = RT_DATE; t <= RT_DURATION; t++) {
        iso_df[t] = val_datefmts_new((rules_type)t);
        if (!iso_df[t] || val_datefmts_finish(iso_df[t], err, sizeof err))
            abort();
        iso[t] = val_date_worker_new(iso_df[t], 0);
        if (!iso[t])
            abort();
    }
}

static void same(const val_dt *a, const val_dt *b)
{
    char x[128], y[128];
    val_dt_iso(a, x, sizeof x);
    val_dt_iso(b, y, sizeof y);
    if (strcmp(x, y) != 0)
        abort();
}

static void check_pattern(size_t k, const char *p, size_t n)
{
    val_date_result a, b, c;
    val_date_parse(fast[k], p, n, &a);
    val_date_parse(icu[k], p, n, &b);
    if (a.status != b.status)
        abort();
    char msg[VAL_DATE_TEXT_MAX];
    if (val_date_message(df[k], &a, msg, sizeof msg) >= sizeof msg)
        abort();
    if (a.status != VAL_DATE_OK)
        return;
    same(&a.value, &b.value);
    /* ISO text -> ISO default -> the same value. */
    char text[VAL_DATE_TEXT_MAX];
    size_t len = val_dt_iso(&a.value, text, sizeof text);
    val_date_parse(iso[pats[k].type], text, len, &c);
    if (c.status != VAL_DATE_OK)
        abort();
    same(&a.value, &c.value);
    /* Written with its own pattern, read back the same. */
    bool changed;
    len = val_date_output(writer[k], &a.value, p, n, text, sizeof text, &changed);
    if (len >= sizeof text)
        abort();
    val_date_parse(fast[k], text, len, &c);
    if (c.status != VAL_DATE_OK)
        abort();
    same(&a.value, &c.value);
}

static void check_duration(const char *p, size_t n)
{
    val_duration d, e;
    if (!val_duration_parse(p, n, &d))
        return;
    char text[128];
    size_t len = val_duration_format(&d, text, sizeof text);
    if (len >= sizeof text || !val_duration_parse(text, len, &e))
        abort();
    d.frac_digits = e.frac_digits = 0; /* the canonical text drops trailing zeros */
    if (d.nanos != e.nanos || d.years != e.years || d.months != e.months ||
        d.weeks != e.weeks || d.days != e.days || d.hours != e.hours ||
        d.minutes != e.minutes || d.seconds != e.seconds || d.neg != e.neg)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size == 0 || size > 256)
        return 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    check_pattern(data[0] % NPATS, p, n);
    check_duration(p, n);
    val_date_bound b;
    char err[512];
    if (val_date_bound_parse(pats[data[0] % NPATS].type, p, n, &b, err, sizeof err) ==
        VAL_DF_OK) {
        val_dt v;
        val_date_bound_resolve(&b, pats[data[0] % NPATS].type, fast[data[0] % NPATS],
                               1709633472LL * 1000000LL, &v);
        val_date_bound_free(&b);
    }
    return 0;
}
