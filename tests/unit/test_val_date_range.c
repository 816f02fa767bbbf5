/* tests/unit/test_val_date_range.c — normalisation (output), offsets and time
 * zones, and minimum/maximum with absolute and relative bounds on a fixed
 * clock (docs/dates.md). */
#include "tests/unit/test_val_date_util.h"

/* Parses in with the field's formats and writes it with its output. */
static void check_output(rules_type t, const char *const *fmts, const t_opts *o,
                         const char *in, const char *want, bool want_changed)
{
    val_datefmts *df = t_fmts(t, fmts, o);
    CHECK_MSG(df != NULL, "%s: %s", in, t_err);
    if (!df)
        return;
    val_date_worker *w = val_date_worker_new(df, T_NOW_US);
    val_date_result r;
    val_date_parse(w, in, strlen(in), &r);
    CHECK_MSG(r.status == VAL_DATE_OK, "%s: status %d", in, r.status);
    char buf[VAL_DATE_TEXT_MAX];
    bool changed = !want_changed;
    size_t len = val_date_output(w, &r.value, in, strlen(in), buf, sizeof buf, &changed);
    CHECK_MSG(len == strlen(want) && strcmp(buf, want) == 0, "%s: got \"%s\", want \"%s\"",
              in, buf, want);
    CHECK_MSG(changed == want_changed, "%s: changed %d", in, changed);
    val_date_worker_free(w);
    val_datefmts_free(df);
}

#define FMTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_output(void)
{
    const t_opts iso = {.output = "yyyy-MM-dd"};
    check_output(RT_DATE, FMTS("yyyy-MM-dd", "dd/MM/yyyy"), &iso, "05/03/2024",
                 "2024-03-05", true);
    check_output(RT_DATE, FMTS("yyyy-MM-dd", "dd/MM/yyyy"), &iso, "2024-03-05",
                 "2024-03-05", false);
    check_output(RT_DATE, FMTS("MMM d, yyyy"), &(t_opts){.output = "iso"}, "Mar 5, 2024",
                 "2024-03-05", true);
    check_output(RT_DATE, NULL, &(t_opts){.output = "d MMMM yyyy"}, "2024-03-05",
                 "5 March 2024", true);
    check_output(RT_DATE, NULL, &(t_opts){.output = "EEE, dd MMM yy"}, "2024-03-05",
                 "Tue, 05 Mar 24", true);
    check_output(RT_DATE, NULL, &(t_opts){.output = "EEEE d/M/yyyy"}, "2024-03-05",
                 "Tuesday 5/3/2024", true);
    check_output(RT_DATE, NULL, &(t_opts){.output = "%d.%m.%Y"}, "2024-03-05",
                 "05.03.2024", true);
    check_output(RT_DATE, NULL, &(t_opts){.locale = "fr", .output = "d MMMM yyyy"},
                 "2024-03-05", "5 mars 2024", true);
    check_output(RT_DATE, FMTS("d MMMM yyyy"), &(t_opts){.locale = "fr", .output = "iso"},
                 "5 MARS 2024", "2024-03-05", true);
    /* Without output nothing is rewritten. */
    check_output(RT_DATE, FMTS("dd/MM/yyyy"), NULL, "05/03/2024", "05/03/2024", false);
    check_output(RT_TIME, FMTS("HH:mm:ss.SSSSSS"), &(t_opts){.output = "HH:mm:ss.SSS"},
                 "10:11:12.123456", "10:11:12.123", true);
    check_output(RT_TIME, FMTS("HH:mm"), &(t_opts){.output = "h:mm a"}, "15:05",
                 "3:05 PM", true);
    check_output(RT_TIME, FMTS("HH:mm"), &(t_opts){.output = "hh:mm a"}, "00:05",
                 "12:05 AM", true);
    check_output(RT_YEARMONTH, FMTS("MM/yyyy"), &(t_opts){.output = "iso"}, "03/2024",
                 "2024-03", true);
    check_output(RT_YEAR, NULL, &(t_opts){.output = "yy"}, "2024", "24", true);
    /* The ISO output keeps the fraction's digits and the offset as written. */
    check_output(RT_DATETIME, NULL, &(t_opts){.output = "iso"},
                 "2024-03-05T10:11:12.50+05:30", "2024-03-05T10:11:12.50+05:30", false);
    check_output(RT_DATETIME, FMTS("%Y-%m-%d %H:%M:%S%z"), &(t_opts){.output = "iso"},
                 "2024-03-05 10:11:12+0000", "2024-03-05T10:11:12Z", true);
    check_output(RT_DATE, FMTS("yyyy-MM-dd'T'HH:mm:ss'Z'"), &iso, "2024-03-05T23:59:59Z",
                 "2024-03-05", true);
}

static void test_zones(void)
{
    const t_opts paris = {.tz = "Europe/Paris", .output = "iso"};
    check_output(RT_DATETIME, NULL, &paris, "2024-03-05T10:11:12Z",
                 "2024-03-05T11:11:12+01:00", true);
    check_output(RT_DATETIME, NULL, &paris, "2024-07-01T10:00:00Z",
                 "2024-07-01T12:00:00+02:00", true);
    check_output(RT_DATETIME, NULL, &paris, "2024-07-01T10:00:00-04:00",
                 "2024-07-01T16:00:00+02:00", true);
    /* No offset written: the value is already local time; kept. */
    check_output(RT_DATETIME, NULL, &paris, "2024-07-01T10:00:00", "2024-07-01T10:00:00",
                 false);
    check_output(RT_DATETIME, NULL, &(t_opts){.tz = "Europe/Paris",
                                              .output = "yyyy-MM-dd HH:mm XXX"},
                 "2024-07-01T10:00:00", "2024-07-01 10:00 +02:00", true);
    check_output(RT_DATETIME, NULL, &(t_opts){.output = "yyyy-MM-dd HH:mm XXX"},
                 "2024-07-01T10:00:00", "2024-07-01 10:00 Z", true);
    check_output(RT_DATETIME, NULL, &(t_opts){.tz = "UTC", .output = "iso"},
                 "2024-03-05T10:11:12-08:00", "2024-03-05T18:11:12Z", true);
    check_output(RT_DATETIME, NULL, &(t_opts){.tz = "America/New_York", .output = "iso"},
                 "2024-03-10T07:30:00Z", "2024-03-10T03:30:00-04:00", true);
    check_output(RT_DATETIME, NULL, &(t_opts){.tz = "Asia/Kolkata", .output = "xx"},
                 "2024-03-10T07:30:00Z", "+0530", true);
    /* Without a timezone the offset is kept as written. */
    check_output(RT_DATETIME, NULL, &(t_opts){.output = "yyyy-MM-dd HH:mm:ss XXX"},
                 "2024-03-05T10:11:12-08:00", "2024-03-05 10:11:12 -08:00", true);
    /* A date written with an offset is the date in the field's timezone. */
    check_output(RT_DATE, FMTS("yyyy-MM-dd'T'HH:mm:ssXXX"),
                 &(t_opts){.tz = "America/New_York", .output = "iso"},
                 "2024-03-05T02:00:00Z", "2024-03-04", true);
    check_output(RT_DATE, FMTS("yyyy-MM-dd'T'HH:mm:ssXXX"), &(t_opts){.output = "iso"},
                 "2024-03-05T02:00:00+05:00", "2024-03-05", true);

    /* Order: datetimes by instant, a value without offset in the zone. */
    val_datefmts *df = t_fmts(RT_DATETIME, NULL, &(t_opts){.tz = "Europe/Paris"});
    val_date_worker *w = val_date_worker_new(df, T_NOW_US);
    val_date_result a, b;
    val_date_parse(w, "2024-07-01T12:00:00", 19, &a);
    val_date_parse(w, "2024-07-01T10:00:00Z", 20, &b);
    CHECK(a.status == VAL_DATE_OK && b.status == VAL_DATE_OK);
    CHECK_EQ_INT(val_date_cmp(w, &a.value, &b.value), 0);
    val_date_parse(w, "2024-07-01T10:00:00.5Z", 22, &b);
    CHECK_EQ_INT(val_date_cmp(w, &a.value, &b.value), -1);
    CHECK_EQ_INT(val_date_cmp(w, &b.value, &a.value), 1);
    val_date_worker_free(w);
    val_datefmts_free(df);
}

/* Bound checks of one field: each value and the result it must give. */
typedef struct bcase {
    const char *in;
    val_bound_result want;
} bcase;

static void check_bounds(rules_type t, const t_opts *o, int64_t now_us, const bcase *cs,
                         size_t n)
{
    val_datefmts *df = t_fmts(t, NULL, o);
    CHECK_MSG(df != NULL, "%s", t_err);
    if (!df)
        return;
    val_date_worker *w = val_date_worker_new(df, now_us);
    for (size_t i = 0; i < n; i++) {
        val_date_result r;
        val_date_parse(w, cs[i].in, strlen(cs[i].in), &r);
        CHECK_MSG(r.status == VAL_DATE_OK, "%s: status %d", cs[i].in, r.status);
        val_bound_result got = val_date_check_bounds(w, &r.value);
        CHECK_MSG(got == cs[i].want, "%s: got %d, want %d", cs[i].in, got, cs[i].want);
    }
    val_date_worker_free(w);
    val_datefmts_free(df);
}

#define BOUNDS(t, opts, now, ...)                                              \
    do {                                                                       \
        static const bcase c_[] = {__VA_ARGS__};                               \
        check_bounds(t, opts, now, c_, sizeof c_ / sizeof c_[0]);              \
    } while (0)

#define OK VAL_BOUND_OK
#define LO VAL_BOUND_BELOW_MIN
#define HI VAL_BOUND_ABOVE_MAX

/* 2024-03-31T23:30:00Z */
#define T_MARCH31 (1711927800LL * 1000000LL)

static void resolved(rules_type t, const t_opts *o, int64_t now, bool is_max,
                     const char *want)
{
    val_datefmts *df = t_fmts(t, NULL, o);
    CHECK_MSG(df != NULL, "%s", t_err);
    if (!df)
        return;
    val_date_worker *w = val_date_worker_new(df, now);
    val_dt v;
    char iso[64] = "";
    if (val_date_bound_value(w, is_max, &v))
        val_dt_iso(&v, iso, sizeof iso);
    CHECK_MSG(strcmp(iso, want) == 0, "%s: got %s, want %s", is_max ? o->max : o->min,
              iso, want);
    val_date_worker_free(w);
    val_datefmts_free(df);
}

static void test_bounds(void)
{
    BOUNDS(RT_DATE, &((t_opts){.min = "2000-01-01", .max = "today"}), T_NOW_US,
           {"2000-01-01", OK}, {"1999-12-31", LO}, {"2024-03-05", OK}, {"2024-03-06", HI});
    BOUNDS(RT_DATE, &((t_opts){.min = "today-30d"}), T_NOW_US,
           {"2024-02-04", OK}, {"2024-02-03", LO});
    resolved(RT_DATE, &(t_opts){.min = "today-1y"}, T_NOW_US, false, "2023-03-05");
    resolved(RT_DATE, &(t_opts){.max = "today+1m"}, T_NOW_US, true, "2024-04-05");
    resolved(RT_DATE, &(t_opts){.max = "today-2w"}, T_NOW_US, true, "2024-02-20");
    resolved(RT_DATE, &(t_opts){.max = "today-1m"}, T_MARCH31, true, "2024-02-29");
    resolved(RT_DATE, &(t_opts){.max = "today-1y"}, 1709164800LL * 1000000LL, true,
             "2023-02-28"); /* from 2024-02-29 */
    resolved(RT_DATE, &(t_opts){.max = "now-36h"}, T_NOW_US, true, "2024-03-03");
    /* In the field's timezone: 23:30 UTC is already the 1st of April in Paris. */
    resolved(RT_DATE, &(t_opts){.max = "today", .tz = "Europe/Paris"}, T_MARCH31, true,
             "2024-04-01");
    resolved(RT_DATE, &(t_opts){.max = "today"}, T_MARCH31, true, "2024-03-31");
    resolved(RT_DATETIME, &(t_opts){.max = "now"}, T_NOW_US, true, "2024-03-05T10:11:12Z");
    resolved(RT_DATETIME, &(t_opts){.max = "now+2h"}, T_NOW_US, true,
             "2024-03-05T12:11:12Z");
    resolved(RT_DATETIME, &(t_opts){.max = "today"}, T_NOW_US, true,
             "2024-03-05T00:00:00Z");
    resolved(RT_DATETIME, &(t_opts){.max = "now-90min", .tz = "Europe/Paris"}, T_NOW_US,
             true, "2024-03-05T09:41:12+01:00");
    resolved(RT_DATETIME, &(t_opts){.min = "now-10s"}, T_NOW_US + 250000, false,
             "2024-03-05T10:11:02.250000Z");
    resolved(RT_TIME, &(t_opts){.max = "now+1h"}, T_NOW_US, true, "11:11:12");
    resolved(RT_YEAR, &(t_opts){.max = "today-1y"}, T_NOW_US, true, "2023");
    resolved(RT_YEARMONTH, &(t_opts){.max = "today-1m"}, T_NOW_US, true, "2024-02");
    resolved(RT_DATE, &(t_opts){.min = "today-999999y"}, T_NOW_US, false, "0001-01-01");

    BOUNDS(RT_DATETIME, &((t_opts){.max = "now+2h"}), T_NOW_US,
           {"2024-03-05T12:11:12Z", OK}, {"2024-03-05T12:11:12.001Z", HI},
           {"2024-03-05T13:11:12+01:00", OK}, {"2024-03-05T13:11:13+01:00", HI},
           {"2024-03-05T12:11:12", OK}, {"2024-03-05T12:11:13", HI});
    BOUNDS(RT_DATETIME, &((t_opts){.max = "2024-03-05T12:00:00", .tz = "Europe/Paris"}),
           T_NOW_US, {"2024-03-05T11:00:00Z", OK}, {"2024-03-05T11:00:01Z", HI},
           {"2024-03-05T12:00:00", OK});
    BOUNDS(RT_TIME, &((t_opts){.min = "08:00:00", .max = "17:30:00"}), T_NOW_US,
           {"08:00:00", OK}, {"07:59:59.9", LO}, {"17:30:00", OK}, {"17:30:01", HI});
    BOUNDS(RT_YEAR, &((t_opts){.min = "1900", .max = "today"}), T_NOW_US,
           {"1900", OK}, {"1899", LO}, {"2024", OK}, {"2025", HI});
    BOUNDS(RT_YEAR, &((t_opts){.min = "1"}), T_NOW_US, {"0001", OK});
    BOUNDS(RT_YEARMONTH, &((t_opts){.min = "2024-01", .max = "today"}), T_NOW_US,
           {"2024-01", OK}, {"2023-12", LO}, {"2024-03", OK}, {"2024-04", HI});

    /* Messages. */
    val_datefmts *df = t_fmts(RT_DATE, NULL, &(t_opts){.min = "2000-01-01", .max = "today"});
    val_date_worker *w = val_date_worker_new(df, T_NOW_US);
    char msg[128];
    val_date_bound_message(w, VAL_BOUND_ABOVE_MAX, msg, sizeof msg);
    CHECK_MSG(strcmp(msg, "must be at most today (2024-03-05)") == 0, "%s", msg);
    val_date_bound_message(w, VAL_BOUND_BELOW_MIN, msg, sizeof msg);
    CHECK_MSG(strcmp(msg, "must be at least 2000-01-01") == 0, "%s", msg);
    CHECK(strcmp(val_bound_rule(VAL_BOUND_BELOW_MIN), "minimum") == 0);
    val_date_worker_free(w);
    val_datefmts_free(df);

    /* Bad bounds are rules errors. */
    static const struct { rules_type t; const char *b, *msg; } bad[] = {
        {RT_DATE, "yesterday", "expected a date in ISO form (e.g. \"2024-01-31\"), or today "
                               "/ now with an optional offset such as \"today-30d\"; got "
                               "\"yesterday\""},
        {RT_DATE, "today-30x", "expected today or now, optionally followed by +N or -N and "
                               "a unit (y m w d h min s), e.g. \"today-30d\"; got "
                               "\"today-30x\""},
        {RT_DATE, "today-1234567d", "expected today or now, optionally followed by +N or "
                                    "-N and a unit (y m w d h min s), e.g. \"today-30d\"; "
                                    "got \"today-1234567d\""},
        {RT_DATE, "2024-02-30", "expected a date in ISO form (e.g. \"2024-01-31\"), or "
                                "today / now with an optional offset such as "
                                "\"today-30d\"; got \"2024-02-30\""},
        {RT_TIME, "today", "a time field's relative bound is \"now\" (with an optional "
                           "+-N h, min or s), not \"today\""},
        {RT_TIME, "now-1d", "a time field's bound moves by h, min or s only"},
        {RT_YEAR, "0", "expected a year in ISO form (e.g. 2024), or today / now with an "
                       "optional offset such as \"today-30d\"; got \"0\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        df = t_fmts(bad[i].t, NULL, &(t_opts){.min = bad[i].b});
        CHECK_MSG(df == NULL && strcmp(t_err, bad[i].msg) == 0, "%s:\n  got  %s\n  want %s",
                  bad[i].b, t_err, bad[i].msg);
        val_datefmts_free(df);
    }
}

int main(void)
{
    test_output();
    test_zones();
    test_bounds();
    return t_done();
}
