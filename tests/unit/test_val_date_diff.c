/* tests/unit/test_val_date_diff.c — the matcher equals shape check + ICU.
 *
 * For every pattern both paths cover, the same values go through a worker
 * that uses the hand-written matcher and one forced onto the ICU path
 * (val_date_worker_force_icu): the status and the value must agree. Values
 * are written from random parts, in range and out of it (day 31 in April,
 * hour 24, month 13, offset +24:00), then mutated byte by byte, plus the
 * benchmark generator's real and broken dates. */
#include "tests/unit/test_val_date_util.h"

typedef struct dpat {
    rules_type type;
    const char *pattern;
} dpat;

static const dpat pats[] = {
    {RT_DATE, "yyyy-MM-dd"}, {RT_DATE, "dd/MM/yyyy"}, {RT_DATE, "MM/dd/yyyy"},
    {RT_DATE, "d/M/yyyy"}, {RT_DATE, "MMM d, yyyy"}, {RT_DATE, "MMMM d yyyy"},
    {RT_DATE, "EEE, d MMM yyyy"}, {RT_DATE, "EEEE, MMMM dd, yyyy"},
    {RT_DATE, "yyyyMMdd"}, {RT_DATE, "dd.MM.yy"}, {RT_DATE, "d-MMM-yy"},
    {RT_DATETIME, "yyyy-MM-dd'T'HH:mm:ss'Z'"}, {RT_DATETIME, "yyyy-MM-dd'T'HH:mm:ssXXX"},
    {RT_DATETIME, "yyyy-MM-dd HH:mm:ss.SSSxx"}, {RT_DATETIME, "yyyy-MM-dd HH:mmX"},
    {RT_DATETIME, "yyyy-MM-dd'T'HH:mm:ssZ"}, {RT_DATETIME, "dd/MM/yyyy H:m:s"},
    {RT_DATETIME, "MMM d yyyy h:mm a"}, {RT_DATETIME, "yyyy-MM-dd HH:mm:ssxxx"},
    {RT_TIME, "HH:mm:ss.SSS"}, {RT_TIME, "HH:mm"}, {RT_TIME, "h:mm:ss a"},
    {RT_TIME, "H.mm"}, {RT_YEAR, "yyyy"}, {RT_YEARMONTH, "yyyy-MM"},
    {RT_YEARMONTH, "MM/yyyy"}, {RT_YEARMONTH, "MMMM yyyy"},
};

/* The benchmark generator's dates (gen_orders.py), good and broken. */
static const char *const real[] = {
    "2024-03-05", "05/03/2024", "03/05/2024", "Mar 5, 2024", "2024-03-05T10:11:12Z",
    "2024-02-30", "2023-02-29", "2024-04-31", "2024-06-31", "2024-09-31", "2024-11-31",
    "2024-13-05", "2024-00-10", "2025-02-29", "31/04/2024", "30/02/2024", "yesterday",
    "TBD", "not a date", "2024/03/05 noon", "5th March", "03-2024", "2024-3-5x", "??",
    "20xx-01-01", "soon", " 2024-03-05", "2024-03-05 ", "Sept 5, 2024", "24:00",
    "23:59:60", "12:60", "0:05 AM", "13:05 PM", "12:00 AM", "29/02/00", "29.02.00",
    "29.02.01", "Feb 29, 2100", "Feb 29, 2000", "1-Jan-70", "31-Dec-69",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Random parts: mostly valid, a third of the time one part out of range. */
static void random_parts(val_dt *v)
{
    memset(v, 0, sizeof v[0]);
    v->type = RT_DATETIME;
    v->year = rnd(10) ? 1900 + (int32_t)rnd(200) : 1 + (int32_t)rnd(9999);
    v->month = (uint8_t)(1 + rnd(12));
    v->day = (uint8_t)(1 + rnd((uint32_t)val_days_in_month(v->year, v->month)));
    v->hour = (uint8_t)rnd(24);
    v->minute = (uint8_t)rnd(60);
    v->second = (uint8_t)rnd(60);
    v->nanos = (int32_t)rnd(1000000000);
    v->frac_digits = 9;
    v->has_offset = rnd(2);
    v->offset_s = ((int32_t)rnd(24 * 60) - 12 * 60) * 60;
    if (rnd(3) == 0) {
        switch (rnd(6)) {
        case 0: v->day = (uint8_t)(28 + rnd(5)); break;
        case 1: v->month = (uint8_t)rnd(14); v->month = v->month ? v->month : 13; break;
        case 2: v->hour = (uint8_t)(23 + rnd(3)); break;
        case 3: v->minute = (uint8_t)(59 + rnd(2)); break;
        case 4: v->second = (uint8_t)(59 + rnd(2)); break;
        default: v->offset_s = (23 * 60 + (int32_t)rnd(120)) * 60; break;
        }
    }
    if (rnd(8) == 0)
        v->year = (int32_t)rnd(3); /* year 0000 */
}

static void mutate(char *s, size_t *n, size_t cap)
{
    static const char alphabet[] = "0123456789 /-:.,TZ+aAmMpP";
    size_t k = *n ? rnd((uint32_t)*n) : 0;
    switch (rnd(4)) {
    case 0: if (*n) s[k] = alphabet[rnd(sizeof alphabet - 1)]; break;
    case 1: if (*n) { memmove(s + k, s + k + 1, *n - k - 1); (*n)--; } break;
    case 2:
        if (*n + 1 < cap) {
            memmove(s + k + 1, s + k, *n - k);
            s[k] = alphabet[rnd(sizeof alphabet - 1)];
            (*n)++;
        }
        break;
    default: if (*n) s[k] = (char)('0' + rnd(10)); break;
    }
    s[*n] = '\0';
}

static size_t compared, accepted, mismatches;

static void compare(val_date_worker *fast, val_date_worker *icu, const char *pat,
                    const char *s, size_t n)
{
    val_date_result a, b;
    val_date_parse(fast, s, n, &a);
    val_date_parse(icu, s, n, &b);
    compared++;
    char ia[96] = "", ib[96] = "";
    if (a.status == VAL_DATE_OK)
        val_dt_iso(&a.value, ia, sizeof ia);
    if (b.status == VAL_DATE_OK)
        val_dt_iso(&b.value, ib, sizeof ib);
    accepted += a.status == VAL_DATE_OK;
    if (a.status != b.status || strcmp(ia, ib) != 0) {
        if (mismatches++ < 20)
            fprintf(stderr, "%s: \"%.*s\": matcher %d %s, ICU %d %s\n", pat, (int)n, s,
                    a.status, ia, b.status, ib);
    }
}

static void run_pattern(const dpat *p)
{
    t_opts o = {.pivot = 1970};
    const char *const fmts[] = {p->pattern, NULL};
    val_datefmts *df = t_fmts(p->type, fmts, &o);
    CHECK_MSG(df != NULL, "%s: %s", p->pattern, t_err);
    if (!df)
        return;
    CHECK_MSG(val_datefmts_icu_capable(df, 0), "%s", p->pattern);
    /* A writer of the pattern, to produce values from parts. */
    val_datefmts *wdf = val_datefmts_new(RT_DATETIME);
    CHECK(val_datefmts_output(wdf, p->pattern, strlen(p->pattern), t_err, sizeof t_err) ==
          VAL_DF_OK);
    val_date_worker *fast = val_date_worker_new(df, T_NOW_US);
    val_date_worker *icu = val_date_worker_new(df, T_NOW_US);
    val_date_worker *writer = val_date_worker_new(wdf, T_NOW_US);
    val_date_worker_force_icu(icu, true);
    for (size_t i = 0; i < sizeof real / sizeof *real; i++)
        compare(fast, icu, p->pattern, real[i], strlen(real[i]));
    for (int i = 0; i < 6000; i++) {
        val_dt v;
        random_parts(&v);
        char text[160];
        bool changed;
        size_t n = val_date_output(writer, &v, "", 0, text, sizeof text, &changed);
        if (n >= sizeof text)
            continue;
        compare(fast, icu, p->pattern, text, n);
        for (int m = rnd(3) + 1; m > 0; m--)
            mutate(text, &n, sizeof text);
        compare(fast, icu, p->pattern, text, n);
    }
    val_date_worker_free(fast);
    val_date_worker_free(icu);
    val_date_worker_free(writer);
    val_datefmts_free(wdf);
    val_datefmts_free(df);
}

static void run_locale(const char *locale, const char *pattern, rules_type type)
{
    /* Locales the matcher does not know always take the ICU path: values
     * written with the locale's own names must be read back exactly when
     * their parts are valid, and refused otherwise. */
    t_opts o = {.locale = locale};
    const char *const fmts[] = {pattern, NULL};
    val_datefmts *df = t_fmts(type, fmts, &o);
    CHECK_MSG(df != NULL, "%s: %s", pattern, t_err);
    if (!df)
        return;
    val_datefmts *wdf = val_datefmts_new(RT_DATETIME);
    val_datefmts_locale(wdf, locale, strlen(locale), t_err, sizeof t_err);
    val_datefmts_output(wdf, pattern, strlen(pattern), t_err, sizeof t_err);
    val_date_worker *w = val_date_worker_new(df, T_NOW_US);
    val_date_worker *writer = val_date_worker_new(wdf, T_NOW_US);
    size_t ok = 0, total = 0;
    for (int i = 0; i < 3000; i++) {
        val_dt v;
        random_parts(&v);
        v.second = 0; /* not written by these patterns */
        bool valid = v.year >= 1 && v.month >= 1 && v.month <= 12 &&
                     v.day <= val_days_in_month(v.year, v.month) &&
                     (type == RT_DATE || (v.hour < 24 && v.minute < 60));
        if (v.month < 1 || v.month > 12)
            continue;
        char text[160];
        bool changed;
        size_t n = val_date_output(writer, &v, "", 0, text, sizeof text, &changed);
        val_date_result r;
        val_date_parse(w, text, n, &r);
        total++;
        ok += (r.status == VAL_DATE_OK) == valid;
        if ((r.status == VAL_DATE_OK) != valid && total - ok < 5)
            fprintf(stderr, "%s %s: \"%s\" status %d, valid %d\n", locale, pattern, text,
                    r.status, valid);
    }
    CHECK_MSG(ok == total, "%s %s: %zu of %zu", locale, pattern, ok, total);
    val_date_worker_free(w);
    val_date_worker_free(writer);
    val_datefmts_free(wdf);
    val_datefmts_free(df);
}

int main(void)
{
    for (size_t i = 0; i < sizeof pats / sizeof *pats; i++)
        run_pattern(&pats[i]);
    CHECK_MSG(mismatches == 0, "%zu mismatches in %zu values", mismatches, compared);
    CHECK_MSG(accepted > compared / 4, "only %zu of %zu accepted", accepted, compared);
    printf("differential: %zu values, %zu accepted, %zu mismatches\n", compared, accepted,
           mismatches);
    run_locale("fr", "EEEE d MMMM yyyy", RT_DATE);
    run_locale("fr", "d MMM yyyy HH:mm", RT_DATETIME);
    run_locale("de", "EEE, d. MMM yyyy", RT_DATE);
    run_locale("es", "d 'de' MMMM 'de' yyyy", RT_DATE);
    run_locale("ja", "yyyy\xe5\xb9\xb4M\xe6\x9c\x88" "d\xe6\x97\xa5 EEEE", RT_DATE);
    return t_done();
}
