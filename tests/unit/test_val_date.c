/* tests/unit/test_val_date.c — the grammar assay enforces for dates, times and
 * datetimes (docs/dates.md): digit counts, literals, names, the calendar,
 * ambiguity and prefer, yy with a pivot, strptime, Table Schema forms, the
 * "any" list, the ISO defaults of every type and durations. */
#include "tests/unit/test_val_date_util.h"

/* Each case: the value and the ISO text it must give ("" = invalid). */
typedef struct tcase {
    const char *in, *want;
} tcase;

static void run_cases(const char *what, rules_type type, const char *const *formats,
                      const t_opts *o, const tcase *cs, size_t n)
{
    val_datefmts *df = t_fmts(type, formats, o);
    CHECK_MSG(df != NULL, "%s: %s", what, t_err);
    if (!df)
        return;
    val_date_worker *w = val_date_worker_new(df, T_NOW_US);
    for (size_t i = 0; i < n; i++) {
        char iso[128];
        val_date_status st = t_parse(w, cs[i].in, iso, sizeof iso, NULL);
        if (!*cs[i].want)
            CHECK_MSG(st == VAL_DATE_INVALID, "%s: \"%s\" accepted as %s", what, cs[i].in,
                      iso);
        else
            CHECK_MSG(st == VAL_DATE_OK && strcmp(iso, cs[i].want) == 0,
                      "%s: \"%s\" gave status %d \"%s\", want \"%s\"", what, cs[i].in,
                      st, iso, cs[i].want);
    }
    val_date_worker_free(w);
    val_datefmts_free(df);
}

#define CASES(what, type, fmts, opts, ...)                                     \
    do {                                                                       \
        static const tcase c_[] = {__VA_ARGS__};                               \
        run_cases(what, type, fmts, opts, c_, sizeof c_ / sizeof c_[0]);       \
    } while (0)
#define FMTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_strictness(void)
{
    CASES("yyyy-MM-dd", RT_DATE, FMTS("yyyy-MM-dd"), NULL,
          {"2024-03-05", "2024-03-05"}, {" 2024-03-05", ""}, {"2024-03-05 ", ""},
          {"20240-03-05", ""}, {"024-03-05", ""}, {"2024-3-05", ""}, {"2024-03-5", ""},
          {"2024-03-05x", ""}, {"2024/03/05", ""}, {"", ""}, {"+024-03-05", ""},
          {"0000-01-01", ""}, {"0001-01-01", "0001-01-01"}, {"9999-12-31", "9999-12-31"},
          {"2024-02-29", "2024-02-29"}, {"2023-02-29", ""}, {"2024-02-30", ""},
          {"1900-02-29", ""}, {"2000-02-29", "2000-02-29"}, {"1600-02-29", "1600-02-29"},
          {"1500-02-29", ""}, {"2024-04-31", ""}, {"2024-13-05", ""}, {"2024-00-10", ""},
          {"2024-01-00", ""}, {"2024-01-32", ""}, {"2024-12-31", "2024-12-31"},
          {"\xef\xbc\x92""024-03-05", ""}, {"2024-03-0\xd9\xa5", ""});
    CASES("dd/MM/yyyy", RT_DATE, FMTS("dd/MM/yyyy"), NULL,
          {"03/04/2024", "2024-04-03"}, {"03/04/24", ""}, {"3/04/2024", ""},
          {"31/04/2024", ""}, {"30/04/2024", "2024-04-30"}, {"29/02/2023", ""},
          {"03/04/02024", ""});
    CASES("d/M/yyyy", RT_DATE, FMTS("d/M/yyyy"), NULL,
          {"3/4/2024", "2024-04-03"}, {"03/04/2024", "2024-04-03"},
          {"003/4/2024", ""}, {"3/4/24", ""}, {"31/4/2024", ""});
    CASES("HH:mm", RT_TIME, FMTS("HH:mm"), NULL,
          {"10:30", "10:30:00"}, {"00:00", "00:00:00"}, {"23:59", "23:59:00"},
          {"24:00", ""}, {"25:00", ""}, {"12:60", ""}, {"9:30", ""}, {"10:30:00", ""});
    CASES("H:mm:ss", RT_TIME, FMTS("H:mm:ss"), NULL,
          {"9:05:07", "09:05:07"}, {"23:59:60", ""}, {"23:59:59", "23:59:59"});
    CASES("SSS", RT_TIME, FMTS("HH:mm:ss.SSS"), NULL,
          {"10:11:12.345", "10:11:12.345"}, {"10:11:12.34", ""},
          {"10:11:12.3456", ""}, {"10:11:12", ""});
    CASES("quoted T and literal Z", RT_DATETIME, FMTS("yyyy-MM-dd'T'HH:mm:ss'Z'"), NULL,
          {"2024-03-05T10:11:12Z", "2024-03-05T10:11:12Z"},
          {"2024-03-05t10:11:12Z", ""}, {"2024-03-05T10:11:12z", ""},
          {"2024-03-05T10:11:12", ""});
    CASES("quotes", RT_DATE, FMTS("'on' d 'of' MMMM', 'yyyy"), NULL,
          {"on 5 of March, 2024", "2024-03-05"}, {"On 5 of March, 2024", ""});
    CASES("doubled quote", RT_TIME, FMTS("HH'h'mm''"), NULL,
          {"10h30'", "10:30:00"}, {"10h30", ""});
    CASES("yyyyMMdd", RT_DATE, FMTS("yyyyMMdd"), NULL,
          {"20240305", "2024-03-05"}, {"2024035", ""}, {"202403050", ""},
          {"20240230", ""});
}

static void test_names(void)
{
    CASES("MMM English", RT_DATE, FMTS("MMM d, yyyy"), NULL,
          {"Mar 5, 2024", "2024-03-05"}, {"mar 5, 2024", "2024-03-05"},
          {"MAR 5, 2024", "2024-03-05"}, {"March 5, 2024", ""}, {"Sept 5, 2024", ""},
          {"Sep 5, 2024", "2024-09-05"}, {"Mar 05, 2024", "2024-03-05"},
          {"Mar  5, 2024", ""}, {"Mar 5 2024", ""}, {"Feb 30, 2024", ""},
          {"Mär 5, 2024", ""});
    CASES("MMMM English", RT_DATE, FMTS("MMMM d yyyy"), NULL,
          {"March 5 2024", "2024-03-05"}, {"Mar 5 2024", ""}, {"may 1 2024", "2024-05-01"},
          {"SEPTEMBER 30 2024", "2024-09-30"});
    CASES("EEE", RT_DATE, FMTS("EEE, d MMM yyyy"), NULL,
          {"Tue, 5 Mar 2024", "2024-03-05"}, {"Mon, 5 Mar 2024", ""},
          {"tue, 5 Mar 2024", "2024-03-05"}, {"Tuesday, 5 Mar 2024", ""});
    CASES("EEEE", RT_DATE, FMTS("EEEE d MMMM yyyy"), NULL,
          {"Tuesday 5 March 2024", "2024-03-05"}, {"Wednesday 5 March 2024", ""});
    CASES("h a", RT_TIME, FMTS("h:mm a"), NULL,
          {"3:05 PM", "15:05:00"}, {"12:05 AM", "00:05:00"}, {"12:05 PM", "12:05:00"},
          {"0:05 AM", ""}, {"13:05 PM", ""}, {"3:05 pm", "15:05:00"}, {"3:05", ""});
    static const t_opts en_posix = {.locale = "en_US_POSIX"};
    CASES("en_US_POSIX is English", RT_DATE, FMTS("MMM d, yyyy"), &en_posix,
          {"Mar 5, 2024", "2024-03-05"});
    static const t_opts fr = {.locale = "fr"};
    CASES("fr MMMM through ICU", RT_DATE, FMTS("d MMMM yyyy"), &fr,
          {"5 mars 2024", "2024-03-05"}, {"5 MARS 2024", "2024-03-05"},
          {"1 f\xc3\xa9vrier 2024", "2024-02-01"}, {"1 F\xc3\x89VRIER 2024", "2024-02-01"},
          {"5 march 2024", ""}, {"30 f\xc3\xa9vrier 2024", ""}, {" 5 mars 2024", ""},
          {"5 mars 24", ""}, {"5 mars 02024", ""}, {"05 mars 2024", "2024-03-05"});
    CASES("fr MMM", RT_DATE, FMTS("d MMM yyyy"), &fr,
          {"5 janv. 2024", "2024-01-05"}, {"5 janv 2024", ""}, {"5 mars 2024", "2024-03-05"});
    CASES("fr EEEE", RT_DATE, FMTS("EEEE d MMMM yyyy"), &fr,
          {"mardi 5 mars 2024", "2024-03-05"}, {"lundi 5 mars 2024", ""});
    static const t_opts de = {.locale = "de-AT"};
    CASES("de-AT tag", RT_DATE, FMTS("d. MMMM yyyy"), &de,
          {"5. J\xc3\xa4nner 2024", "2024-01-05"}, {"5. M\xc3\xa4rz 2024", "2024-03-05"});
}

static void test_ambiguity(void)
{
    val_datefmts *df = t_fmts(RT_DATE, FMTS("dd/MM/yyyy", "MM/dd/yyyy"), NULL);
    CHECK(df != NULL);
    val_date_worker *w = val_date_worker_new(df, T_NOW_US);
    val_date_result r;
    char iso[64], msg[VAL_DATE_TEXT_MAX];
    CHECK(t_parse(w, "03/04/2024", iso, sizeof iso, &r) == VAL_DATE_AMBIGUOUS);
    CHECK(r.format == 0 && r.other == 1);
    CHECK(strcmp(val_date_rule(&r), "ambiguous_date") == 0);
    val_date_message(df, &r, msg, sizeof msg);
    CHECK_MSG(strcmp(msg, "ambiguous date: dd/MM/yyyy reads 2024-04-03, MM/dd/yyyy reads "
                          "2024-03-04 (add \"prefer\" to choose)") == 0, "%s", msg);
    /* Both read the same date: not ambiguous, the first is the match. */
    CHECK(t_parse(w, "05/05/2024", iso, sizeof iso, &r) == VAL_DATE_OK);
    CHECK(r.format == 0 && !r.resolved && strcmp(iso, "2024-05-05") == 0);
    /* Only one reads it. */
    CHECK(t_parse(w, "13/04/2024", iso, sizeof iso, &r) == VAL_DATE_OK && r.format == 0);
    CHECK(t_parse(w, "04/13/2024", iso, sizeof iso, &r) == VAL_DATE_OK && r.format == 1);
    CHECK(strcmp(iso, "2024-04-13") == 0 && !r.resolved);
    CHECK(t_parse(w, "13/13/2024", iso, sizeof iso, &r) == VAL_DATE_INVALID);
    CHECK(strcmp(val_date_rule(&r), "type") == 0 && r.format == -1);
    val_date_message(df, &r, msg, sizeof msg);
    CHECK_MSG(strcmp(msg, "not a valid date in formats [dd/MM/yyyy, MM/dd/yyyy]") == 0,
              "%s", msg);
    val_date_worker_free(w);
    val_datefmts_free(df);

    static const t_opts first = {.prefer = "first"};
    df = t_fmts(RT_DATE, FMTS("dd/MM/yyyy", "MM/dd/yyyy"), &first);
    w = val_date_worker_new(df, T_NOW_US);
    CHECK(t_parse(w, "03/04/2024", iso, sizeof iso, &r) == VAL_DATE_OK);
    CHECK(r.format == 0 && r.resolved && r.other == 1 && strcmp(iso, "2024-04-03") == 0);
    CHECK(t_parse(w, "05/05/2024", iso, sizeof iso, &r) == VAL_DATE_OK && !r.resolved);
    val_date_worker_free(w);
    val_datefmts_free(df);

    static const t_opts second = {.prefer = "MM/dd/yyyy"};
    df = t_fmts(RT_DATE, FMTS("dd/MM/yyyy", "MM/dd/yyyy", "yyyy-MM-dd"), &second);
    w = val_date_worker_new(df, T_NOW_US);
    CHECK(t_parse(w, "03/04/2024", iso, sizeof iso, &r) == VAL_DATE_OK);
    CHECK(r.format == 1 && r.resolved && r.other == 0 && strcmp(iso, "2024-03-04") == 0);
    CHECK(t_parse(w, "2024-03-04", iso, sizeof iso, &r) == VAL_DATE_OK && r.format == 2);
    val_date_worker_free(w);
    val_datefmts_free(df);

    /* prefer names a format that does not read the value: still ambiguous. */
    static const t_opts iso_pref = {.prefer = "yyyy-MM-dd"};
    df = t_fmts(RT_DATE, FMTS("dd/MM/yyyy", "MM/dd/yyyy", "yyyy-MM-dd"), &iso_pref);
    w = val_date_worker_new(df, T_NOW_US);
    CHECK(t_parse(w, "03/04/2024", iso, sizeof iso, &r) == VAL_DATE_AMBIGUOUS);
    val_date_worker_free(w);
    val_datefmts_free(df);

    /* A date field: formats that differ only in the time read one date. */
    df = t_fmts(RT_DATE, FMTS("yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ssXXX"), NULL);
    w = val_date_worker_new(df, T_NOW_US);
    CHECK(t_parse(w, "2024-03-05T23:11:12Z", iso, sizeof iso, &r) == VAL_DATE_OK);
    CHECK(r.format == 0 && strcmp(iso, "2024-03-05") == 0);
    val_date_worker_free(w);
    val_datefmts_free(df);

    CHECK(t_fmts(RT_DATE, FMTS("dd/MM/yyyy"), &(t_opts){.prefer = "MM/dd/yyyy"}) == NULL);
    CHECK_MSG(strcmp(t_err, "\"prefer\" names \"MM/dd/yyyy\", which is not one of the "
                            "field's formats; expected \"first\" or a format exactly as "
                            "listed") == 0, "%s", t_err);
}

static void test_two_digit_years(void)
{
    CHECK(t_fmts(RT_DATE, FMTS("dd/MM/yy"), NULL) == NULL);
    CHECK_MSG(strstr(t_err, "yy (2-digit year) needs \"century_pivot\"") == t_err, "%s",
              t_err);
    static const t_opts p1970 = {.pivot = 1970};
    CASES("yy pivot 1970", RT_DATE, FMTS("dd/MM/yy"), &p1970,
          {"05/03/70", "1970-03-05"}, {"05/03/99", "1999-03-05"},
          {"05/03/00", "2000-03-05"}, {"05/03/69", "2069-03-05"},
          {"05/03/2024", ""}, {"5/03/24", ""}, {"29/02/00", "2000-02-29"});
    static const t_opts p1950 = {.pivot = 1950};
    CASES("yy pivot 1950", RT_DATE, FMTS("yy-MM-dd"), &p1950,
          {"49-01-01", "2049-01-01"}, {"50-01-01", "1950-01-01"});
    CHECK(t_fmts(RT_DATE, FMTS("dd/MM/y"), NULL) == NULL);
    CHECK(t_fmts(RT_DATE, FMTS("dd/MM/yyyyy"), NULL) == NULL);
    CHECK(t_fmts(RT_DATE, FMTS("dd/MM/yy"), &(t_opts){.pivot = 9950}) == NULL);
}

static void test_strptime(void)
{
    CASES("%Y-%m-%d", RT_DATE, FMTS("%Y-%m-%d"), NULL,
          {"2024-03-05", "2024-03-05"}, {"2024-3-5", ""}, {"2024-02-30", ""});
    CASES("%d/%m/%Y", RT_DATE, FMTS("%d/%m/%Y"), NULL, {"05/03/2024", "2024-03-05"});
    CASES("%-d/%-m/%Y", RT_DATE, FMTS("%-d/%-m/%Y"), NULL, {"5/3/2024", "2024-03-05"});
    CASES("%b %d %Y", RT_DATE, FMTS("%b %d %Y"), NULL, {"Mar 05 2024", "2024-03-05"},
          {"mar 05 2024", "2024-03-05"}, {"Mar 5 2024", ""});
    CASES("%H:%M:%S", RT_TIME, FMTS("%H:%M:%S"), NULL, {"10:11:12", "10:11:12"});
    CASES("%Y-%m-%dT%H:%M:%SZ", RT_DATETIME, FMTS("%Y-%m-%dT%H:%M:%SZ"), NULL,
          {"2024-03-05T10:11:12Z", "2024-03-05T10:11:12Z"});
    CASES("%f", RT_TIME, FMTS("%H:%M:%S.%f"), NULL, {"10:11:12.5", "10:11:12.5"},
          {"10:11:12.123456", "10:11:12.123456"}, {"10:11:12.1234567", ""});
    CASES("%z", RT_DATETIME, FMTS("%Y-%m-%d %H:%M%z"), NULL,
          {"2024-03-05 10:11+0100", "2024-03-05T10:11:00+01:00"},
          {"2024-03-05 10:11+01:00", "2024-03-05T10:11:00+01:00"},
          {"2024-03-05 10:11Z", "2024-03-05T10:11:00Z"});
    CASES("%F %T and %%", RT_DATETIME, FMTS("%F %T%%"), NULL,
          {"2024-03-05 10:11:12%", "2024-03-05T10:11:12"});
    CASES("%I %p", RT_TIME, FMTS("%I:%M %p"), NULL, {"03:05 PM", "15:05:00"});
    CHECK(t_fmts(RT_DATE, FMTS("%Y-%m-%Q"), NULL) == NULL);
    CHECK_MSG(strstr(t_err, "unknown strptime directive %Q; assay reads %Y %y") == t_err,
              "%s", t_err);
    CHECK(t_fmts(RT_DATE, FMTS("%Y-%m-%d%"), NULL) == NULL);
    CHECK(t_fmts(RT_DATE, FMTS("%y-%m-%d"), NULL) == NULL); /* yy needs a pivot */
    val_datefmts *df = t_fmts(RT_DATE, FMTS("%d/%m/%Y"), NULL);
    CHECK(df && strcmp(val_datefmts_name(df, 0), "%d/%m/%Y") == 0);
    CHECK(df && strcmp(val_datefmts_icu_pattern(df, 0), "dd/MM/yyyy") == 0);
    val_datefmts_free(df);
}

static void test_table_schema(void)
{
    CASES("format default", RT_DATE, NULL, &(t_opts){.ts_format = "default"},
          {"2024-03-05", "2024-03-05"}, {"05/03/2024", ""});
    CASES("format strptime", RT_DATE, NULL, &(t_opts){.ts_format = "%d/%m/%Y"},
          {"05/03/2024", "2024-03-05"}, {"2024-03-05", ""});
    CASES("format fmt:", RT_DATE, NULL, &(t_opts){.ts_format = "fmt:%d.%m.%Y"},
          {"05.03.2024", "2024-03-05"});
    CHECK(t_fmts(RT_DATE, NULL, &(t_opts){.ts_format = "dd/MM/yyyy"}) == NULL);
    CHECK_MSG(strstr(t_err, "expected \"default\", \"any\" or a strptime pattern") == t_err,
              "%s", t_err);
    CASES("any date", RT_DATE, NULL, &(t_opts){.ts_format = "any"},
          {"2024-03-05", "2024-03-05"}, {"20240305", "2024-03-05"},
          {"2024/03/05", "2024-03-05"}, {"05.03.2024", "2024-03-05"},
          {"5 Mar 2024", "2024-03-05"}, {"5 March 2024", "2024-03-05"},
          {"Mar 5, 2024", "2024-03-05"}, {"March 5, 2024", "2024-03-05"},
          {"Tue, 5 Mar 2024", "2024-03-05"}, {"Tuesday, March 5, 2024", "2024-03-05"},
          {"2024-03-05T10:11:12Z", "2024-03-05"}, {"2024-03-05 10:11:12", "2024-03-05"},
          {"05/03/2024", ""}, {"03/05/2024", ""}, {"5 May 2024", "2024-05-05"});
    CASES("any time", RT_TIME, NULL, &(t_opts){.ts_format = "any"},
          {"10:11:12", "10:11:12"}, {"10:11", "10:11:00"}, {"3:05 PM", "15:05:00"},
          {"3:05:06 am", "03:05:06"}, {"10:11:12.5", "10:11:12.5"});
    CASES("any datetime", RT_DATETIME, NULL, &(t_opts){.ts_format = "any"},
          {"2024-03-05T10:11:12Z", "2024-03-05T10:11:12Z"},
          {"2024-03-05 10:11:12+01:00", "2024-03-05T10:11:12+01:00"},
          {"2024-03-05T10:11", "2024-03-05T10:11:00"},
          {"Tue, 5 Mar 2024 10:11:12 +0100", "2024-03-05T10:11:12+01:00"},
          {"Tue, 05 Mar 2024 10:11:12 GMT", "2024-03-05T10:11:12Z"});
    CASES("any yearmonth", RT_YEARMONTH, NULL, &(t_opts){.ts_format = "any"},
          {"2024-03", "2024-03"}, {"2024/03", "2024-03"}, {"03/2024", "2024-03"},
          {"Mar 2024", "2024-03"}, {"March 2024", "2024-03"}, {"2024-13", ""});
}

/* The "any" lists hold no pair of formats that read one text as two values:
 * every day of 1999..2001 in every format, read by the whole list. */
static void test_any_unambiguous(void)
{
    static const rules_type types[] = {RT_DATE, RT_DATETIME, RT_YEARMONTH, RT_TIME};
    for (size_t t = 0; t < 4; t++) {
        val_datefmts *df = t_fmts(types[t], NULL, &(t_opts){.ts_format = "any"});
        CHECK(df != NULL);
        if (!df)
            continue;
        val_date_worker *w = val_date_worker_new(df, T_NOW_US);
        size_t bad = 0, total = 0;
        for (int64_t day = val_days_from_civil(1999, 1, 1);
             day < val_days_from_civil(2002, 1, 1); day += 1) {
            val_dt v;
            memset(&v, 0, sizeof v);
            v.type = types[t];
            CHECK(val_dt_set_local_seconds(&v, day * VAL_S_PER_DAY + (day % 1440) * 61));
            for (size_t i = 0; i < val_datefmts_count(df); i++) {
                /* Write v in format i (a throwaway output field), read it back. */
                val_datefmts *o = val_datefmts_new(types[t]);
                const char *pat = val_datefmts_icu_pattern(df, i);
                if (!pat || val_datefmts_output(o, pat, strlen(pat), t_err, sizeof t_err)) {
                    val_datefmts_free(o);
                    continue;
                }
                val_date_worker *ow = val_date_worker_new(o, T_NOW_US);
                char text[128];
                bool changed;
                size_t len = val_date_output(ow, &v, "", 0, text, sizeof text, &changed);
                val_date_result r;
                val_date_parse(w, text, len, &r);
                total++;
                if (r.status != VAL_DATE_OK) {
                    if (bad++ < 5)
                        fprintf(stderr, "any %s: \"%s\" status %d\n",
                                val_dt_type_name(types[t]), text, r.status);
                }
                val_date_worker_free(ow);
                val_datefmts_free(o);
            }
        }
        CHECK_MSG(bad == 0 && total > 1000, "%zu of %zu", bad, total);
        val_date_worker_free(w);
        val_datefmts_free(df);
    }
}

static void test_iso_defaults(void)
{
    CASES("date", RT_DATE, NULL, NULL, {"2024-03-05", "2024-03-05"}, {"2024-3-5", ""},
          {"2024-03-05T00:00:00", ""});
    CASES("time", RT_TIME, NULL, NULL, {"10:11:12", "10:11:12"},
          {"10:11:12.5", "10:11:12.5"}, {"10:11:12.123456789", "10:11:12.123456789"},
          {"10:11:12.1234567890", ""}, {"10:11:12.", ""}, {"10:11", ""},
          {"10:11:12Z", "10:11:12Z"}, {"10:11:12+05:30", "10:11:12+05:30"},
          {"24:00:00", ""});
    CASES("datetime", RT_DATETIME, NULL, NULL,
          {"2024-03-05T10:11:12", "2024-03-05T10:11:12"},
          {"2024-03-05T10:11:12Z", "2024-03-05T10:11:12Z"},
          {"2024-03-05T10:11:12.250Z", "2024-03-05T10:11:12.250Z"},
          {"2024-03-05T10:11:12-05:00", "2024-03-05T10:11:12-05:00"},
          {"2024-03-05T10:11:12+0500", ""}, {"2024-03-05T10:11:12+24:00", ""},
          {"2024-03-05T10:11:12+23:59", "2024-03-05T10:11:12+23:59"},
          {"2024-03-05 10:11:12", ""}, {"2024-03-05T10:11", ""},
          {"2024-03-05T10:11:12z", ""}, {"2024-02-30T10:11:12", ""},
          {"2024-03-05T10:11:12+05:60", ""});
    CASES("year", RT_YEAR, NULL, NULL, {"2024", "2024"}, {"24", ""}, {"02024", ""},
          {"0000", ""}, {"-2024", ""});
    CASES("yearmonth", RT_YEARMONTH, NULL, NULL, {"2024-03", "2024-03"},
          {"2024-3", ""}, {"2024-13", ""}, {"2024-03-05", ""});
    val_datefmts *df = t_fmts(RT_DATETIME, NULL, NULL);
    CHECK(df && strcmp(val_datefmts_name(df, 0), "yyyy-MM-dd'T'HH:mm:ss[.S+][XXX]") == 0);
    CHECK(df && !val_datefmts_icu_capable(df, 0));
    val_datefmts_free(df);
}

static void test_durations(void)
{
    CASES("duration", RT_DURATION, NULL, NULL,
          {"P1Y2M3DT4H5M6S", "P1Y2M3DT4H5M6S"}, {"P3W", "P3W"}, {"PT0.5S", "PT0.5S"},
          {"PT36H", "PT36H"}, {"P1M", "P1M"}, {"PT1M", "PT1M"}, {"-P1D", "-P1D"},
          {"P0D", "PT0S"}, {"PT1,5S", "PT1.5S"},
          {"P", ""}, {"PT", ""}, {"P1DT", ""}, {"1D", ""}, {"P1H", ""}, {"PT1D", ""},
          {"P1M1Y", ""}, {"P1W1D", ""}, {"P1.5D", ""}, {"PT1.5M", ""}, {"p1d", ""},
          {"P 1D", ""}, {"P1D ", ""}, {"P1234567890123456789D", ""}, {"+P1D", ""});
    CHECK(t_fmts(RT_DURATION, FMTS("yyyy"), NULL) == NULL);
}

static void test_lint(void)
{
    static const struct { rules_type t; const char *pat, *msg; } bad[] = {
        {RT_DATE, "yyyy-MM", "a date format needs the year, month and day (e.g. yyyy-MM-dd)"},
        {RT_DATE, "yyyy-MM-dd-dd", "pattern sets the day twice"},
        {RT_DATE, "yyyyMd", "the year and the month are written without anything between "
                            "them and one has a variable number of digits, so the value "
                            "cannot be split; use fixed widths (e.g. MM, dd) or a separator"},
        {RT_DATE, "yyyy-MM-dd'T", "unterminated quote: a literal opened with ' needs a "
                                  "closing '"},
        {RT_DATE, "yyyy-MM-dd G", "pattern letter 'G' is not supported; assay reads y M d "
                                  "E a H h m s S X x Z (quote literal text: 'T')"},
        {RT_DATE, "yyyy-MM-ddd", "ddd is not a supported pattern field (see the format "
                                 "grammar in docs/dates.md)"},
        {RT_TIME, "hh:mm", "h (hour 1-12) needs a (AM/PM); use H for 0-23"},
        {RT_TIME, "HH:ss", "a pattern names the minutes only with the hour, the seconds "
                           "only with the minutes, a fraction only with the seconds, an "
                           "offset only with a time"},
        {RT_DATETIME, "yyyy-MM-dd", "a datetime format needs the date and the time (e.g. "
                                    "yyyy-MM-dd'T'HH:mm:ss)"},
        {RT_YEAR, "yyyy-MM", "a year format holds the year only (yyyy)"},
        {RT_DATE, "", "expected a pattern, got an empty string"},
        {RT_DATETIME, "yyyy-MM-dd HH:mm XXXX", "offsets are written X, XX, XXX, x, xx, xxx "
                                               "or Z; XXXX is not supported"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        val_datefmts *df = t_fmts(bad[i].t, FMTS(bad[i].pat), NULL);
        CHECK_MSG(df == NULL && strcmp(t_err, bad[i].msg) == 0, "%s:\n  got  %s\n  want %s",
                  bad[i].pat, t_err, bad[i].msg);
        val_datefmts_free(df);
    }
    CHECK(t_fmts(RT_DATE, FMTS("yyyy-MM-dd", "yyyy-MM-dd"), NULL) == NULL);
    CHECK(strcmp(t_err, "format \"yyyy-MM-dd\" is listed twice") == 0);
    CHECK(t_fmts(RT_DATE, NULL, &(t_opts){.locale = "xx"}) == NULL);
    CHECK_MSG(strcmp(t_err, "unknown locale \"xx\": ICU has no data for language \"xx\"")
              == 0, "%s", t_err);
    CHECK(t_fmts(RT_DATE, NULL, &(t_opts){.tz = "Mars/Olympus"}) == NULL);
    CHECK(strstr(t_err, "unknown time zone \"Mars/Olympus\"") == t_err);
    val_datefmts *ok = t_fmts(RT_DATE, NULL, &(t_opts){.tz = "Europe/Paris"});
    CHECK(ok != NULL);
    val_datefmts_free(ok);
    CHECK(t_fmts(RT_DATE, NULL, &(t_opts){.output = "yyyy-MM-dd HH:mm"}) == NULL);
    CHECK_MSG(strcmp(t_err, "output writes the hour, which a date value does not have") == 0,
              "%s", t_err);
    CHECK(t_fmts(RT_DATE, NULL, &(t_opts){.output = "--"}) == NULL);
    ok = t_fmts(RT_DATE, NULL, &(t_opts){.output = "yy/MM/dd"}); /* no pivot needed */
    CHECK(ok != NULL);
    val_datefmts_free(ok);
}

int main(void)
{
    test_strictness();
    test_names();
    test_ambiguity();
    test_two_digit_years();
    test_strptime();
    test_table_schema();
    test_any_unambiguous();
    test_iso_defaults();
    test_durations();
    test_lint();
    return t_done();
}
