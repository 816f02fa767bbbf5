/* tests/unit/test_val_date_fast.c — the word-at-a-time forms of fixed
 * layouts (yyyy-MM-dd, the ISO datetime with a literal Z) equal the element
 * walk and writer they replace.
 *
 * Every value goes through a worker using the fast forms and one forced onto
 * the element walk (val_date_worker_force_walk): the whole result must be
 * the same, byte for byte. For one-format fields ICU (force_icu) must agree
 * too. Values: valid ones, every byte value at every position, lengths
 * around the layout's, Feb 29 in leap and common years, month/day/time
 * bounds, leading zeros. Output: the fixed writer against the element
 * writer on random parts (in range and out), with small buffers. */
#include <stdio.h>

#include "tests/unit/test_val_date_util.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

typedef struct field {
    rules_type type;
    const char *const *formats;
    t_opts o;
    bool icu; /* one ICU-capable format: compare with ICU too */
} field;

static size_t compared, accepted, mismatches, icu_compared;

static bool same_result(const val_date_result *a, const val_date_result *b)
{
    if (a->status != b->status || a->format != b->format)
        return false;
    if (a->status == VAL_DATE_INVALID)
        return true;
    if (memcmp(&a->value, &b->value, sizeof a->value) != 0 || a->other != b->other)
        return false;
    if (a->status == VAL_DATE_OK && a->resolved != b->resolved)
        return false;
    if (a->other >= 0 && memcmp(&a->other_value, &b->other_value, sizeof a->other_value))
        return false;
    return true;
}

static void compare(val_date_worker *fast, val_date_worker *walk, val_date_worker *icu,
                    const char *what, const char *s, size_t n)
{
    val_date_result a, b;
    memset(&a, 0xa5, sizeof a);
    memset(&b, 0xa5, sizeof b);
    val_date_parse(fast, s, n, &a);
    val_date_parse(walk, s, n, &b);
    compared++;
    accepted += a.status == VAL_DATE_OK;
    if (!same_result(&a, &b)) {
        if (mismatches++ < 20) {
            char ia[96] = "", ib[96] = "";
            if (a.status == VAL_DATE_OK)
                val_dt_iso(&a.value, ia, sizeof ia);
            if (b.status == VAL_DATE_OK)
                val_dt_iso(&b.value, ib, sizeof ib);
            fprintf(stderr, "%s: \"%.*s\": fast %d/%d %s, walk %d/%d %s\n", what, (int)n,
                    s, a.status, a.format, ia, b.status, b.format, ib);
        }
        return;
    }
    if (!icu)
        return;
    val_date_result c;
    val_date_parse(icu, s, n, &c);
    icu_compared++;
    char ia[96] = "", ic[96] = "";
    if (a.status == VAL_DATE_OK)
        val_dt_iso(&a.value, ia, sizeof ia);
    if (c.status == VAL_DATE_OK)
        val_dt_iso(&c.value, ic, sizeof ic);
    if (a.status != c.status || strcmp(ia, ic) != 0) {
        if (mismatches++ < 20)
            fprintf(stderr, "%s: \"%.*s\": fast %d %s, ICU %d %s\n", what, (int)n, s,
                    a.status, ia, c.status, ic);
    }
}

/* Valid values and the bounds of each part, in the layout of pattern. */
static const char *const seeds_ymd[] = {
    "2024-03-05", "2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29", "2100-02-29",
    "0004-02-29", "0001-01-01", "0000-01-01", "9999-12-31", "2024-00-10", "2024-13-01",
    "2024-01-00", "2024-01-31", "2024-01-32", "2024-04-30", "2024-04-31", "2024-06-31",
    "2024-09-31", "2024-11-31", "2024-12-31", "2024-02-28", "2024-02-30", "0099-05-05",
    "2024-3-05", "2024-03-5", "24-03-05", "2024-03-05x", "2024-03-050", " 2024-03-05",
    "2024/03/05", "05/03/2024", "13/12/2024", "12/13/2024", "31/12/2024", "29/02/2023",
    "29/02/2024", "00/01/2024", "01/00/2024", "05/03/0000", "Mar 5, 2024", "",
    "2024-03-05T10:11:12Z", "2024-03-05T23:59:59Z", "2024-03-05T24:00:00Z",
    "2024-03-05T23:60:00Z", "2024-03-05T23:59:60Z", "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z", "2024-12-31T23:59:59Z", "2024-03-05T10:11:12z",
    "2024-03-05 10:11:12Z", "2024-03-05T10:11:12", "2024-03-05T10:11:12Z ",
    "20240305", "20240229", "20230229", "20241301", "05.03.24", "29.02.00", "29.02.01",
    "2024-03-05 10:11", "2024-03-05 24:00", "2024-03-05 23:60", "10:11:12", "23:59:59",
    "24:00:00", "00:60:00", "00:00:60", "10:11:12Z", "2024/03", "2024/13", "0000/01",
};

/* Every byte value at every position of s, every length around it. */
static void sweep(val_date_worker *fast, val_date_worker *walk, val_date_worker *icu,
                  const char *what, const char *seed)
{
    char s[64];
    size_t n = strlen(seed);
    compare(fast, walk, icu, what, seed, n);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 256; c++) {
            memcpy(s, seed, n);
            s[i] = (char)c;
            compare(fast, walk, icu, what, s, n);
        }
    for (size_t len = n > 3 ? n - 3 : 0; len <= n + 3 && len < sizeof s; len++) {
        memset(s, '0', sizeof s);
        memcpy(s, seed, len < n ? len : n);
        compare(fast, walk, icu, what, s, len);
        if (len > n) {
            memset(s + n, 'Z', len - n);
            compare(fast, walk, icu, what, s, len);
        }
    }
}

static void run_field(const field *fd)
{
    val_datefmts *df = t_fmts(fd->type, fd->formats, &fd->o);
    CHECK_MSG(df != NULL, "%s: %s", fd->formats[0], t_err);
    if (!df)
        return;
    val_date_worker *fast = val_date_worker_new(df, T_NOW_US);
    val_date_worker *walk = val_date_worker_new(df, T_NOW_US);
    val_date_worker *icu = NULL;
    val_date_worker_force_walk(walk, true);
    if (fd->icu && val_datefmts_icu_capable(df, 0)) {
        icu = val_date_worker_new(df, T_NOW_US);
        val_date_worker_force_icu(icu, true);
    }
    char what[160];
    snprintf(what, sizeof what, "%s%s%s", fd->formats[0], fd->formats[1] ? " +..." : "",
             fd->o.tz ? " (tz)" : "");
    for (size_t i = 0; i < sizeof seeds_ymd / sizeof *seeds_ymd; i++)
        sweep(fast, walk, icu, what, seeds_ymd[i]);
    /* Random digits in every digit position of each seed. */
    for (size_t i = 0; i < sizeof seeds_ymd / sizeof *seeds_ymd; i++) {
        char s[64];
        size_t n = strlen(seeds_ymd[i]);
        for (int r = 0; r < 200; r++) {
            memcpy(s, seeds_ymd[i], n);
            for (size_t k = 0; k < n; k++)
                if (s[k] >= '0' && s[k] <= '9')
                    s[k] = (char)('0' + rnd(10));
            compare(fast, walk, icu, what, s, n);
        }
    }
    val_date_worker_free(fast);
    val_date_worker_free(walk);
    val_date_worker_free(icu);
    val_datefmts_free(df);
}

static const char *const f_ymd[] = {"yyyy-MM-dd", NULL};
static const char *const f_dmy[] = {"dd/MM/yyyy", NULL};
static const char *const f_mdy[] = {"MM/dd/yyyy", NULL};
static const char *const f_isoz[] = {"yyyy-MM-dd'T'HH:mm:ss'Z'", NULL};
static const char *const f_compact[] = {"yyyyMMdd", NULL};
static const char *const f_yy[] = {"dd.MM.yy", NULL};
static const char *const f_hm[] = {"yyyy-MM-dd HH:mm", NULL};
static const char *const f_time[] = {"HH:mm:ss", NULL};
static const char *const f_timez[] = {"HH:mm:ss'Z'", NULL};
static const char *const f_ym[] = {"yyyy/MM", NULL};
static const char *const f_strp[] = {"%Y-%m-%d", NULL};
static const char *const f_bench[] = {"yyyy-MM-dd", "dd/MM/yyyy", "MM/dd/yyyy", "MMM d, yyyy",
                                      "yyyy-MM-dd'T'HH:mm:ss'Z'", NULL};
static const char *const f_bench_dt[] = {"yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd HH:mm",
                                         "dd/MM/yyyy HH:mm", "MM/dd/yyyy HH:mm", NULL};

static void test_parse(void)
{
    const field fields[] = {
        {RT_DATE, f_ymd, {0}, true},
        {RT_DATE, f_dmy, {0}, true},
        {RT_DATE, f_mdy, {0}, true},
        {RT_DATE, f_isoz, {0}, true},
        {RT_DATE, f_isoz, {.tz = "America/New_York"}, false},
        {RT_DATE, f_isoz, {.tz = "UTC"}, false},
        {RT_DATETIME, f_isoz, {0}, true},
        {RT_DATETIME, f_isoz, {.tz = "Asia/Tokyo"}, false},
        {RT_DATE, f_compact, {0}, true},
        {RT_DATE, f_yy, {.pivot = 1970}, true},
        {RT_DATE, f_yy, {.pivot = 1950}, true},
        {RT_DATETIME, f_hm, {0}, true},
        {RT_TIME, f_time, {0}, true},
        {RT_TIME, f_timez, {.tz = "Europe/Paris"}, false},
        {RT_YEARMONTH, f_ym, {0}, true},
        {RT_DATE, f_strp, {0}, false},
        {RT_DATE, f_bench, {.prefer = "first", .locale = "en_US_POSIX"}, false},
        {RT_DATE, f_bench, {.prefer = "MM/dd/yyyy"}, false},
        {RT_DATE, f_bench, {0}, false},
        {RT_DATE, f_bench, {.tz = "Pacific/Kiritimati", .prefer = "first"}, false},
        {RT_DATETIME, f_bench_dt, {.prefer = "first"}, false},
        {RT_DATETIME, f_bench_dt, {.tz = "Europe/Paris"}, false},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        run_field(&fields[i]);
    CHECK_MSG(mismatches == 0, "%zu mismatches in %zu values", mismatches, compared);
    CHECK_MSG(accepted > 1000, "only %zu of %zu accepted", accepted, compared);
    CHECK_MSG(icu_compared > 10000, "only %zu compared with ICU", icu_compared);
    printf("fast parse: %zu values, %zu accepted, %zu against ICU, %zu mismatches\n",
           compared, accepted, icu_compared, mismatches);
}

/* The fixed writer against the element writer. */
static void test_output(void)
{
    static const struct { rules_type type; const char *out, *tz; } outs[] = {
        {RT_DATE, "yyyy-MM-dd", NULL}, {RT_DATE, "dd/MM/yyyy", NULL},
        {RT_DATE, "yyyyMMdd", NULL}, {RT_DATE, "dd.MM.yy", NULL},
        {RT_DATETIME, "yyyy-MM-dd'T'HH:mm:ss'Z'", NULL},
        {RT_DATETIME, "yyyy-MM-dd HH:mm:ss", "Europe/Paris"},
        {RT_DATETIME, "yyyy-MM-dd HH:mm", "UTC"}, {RT_TIME, "HH:mm:ss", NULL},
        {RT_TIME, "HH:mm", NULL}, {RT_YEARMONTH, "yyyy-MM", NULL},
        {RT_YEAR, "yyyy", NULL}, {RT_DATE, "'day' dd 'of' MM, yyyy", NULL},
        {RT_DATE, "%d/%m/%Y", NULL}, {RT_DATE, "%Y-%m-%d", NULL},
    };
    size_t n_out = 0, bad = 0;
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++) {
        t_opts o = {.output = outs[i].out, .tz = outs[i].tz, .pivot = 1970};
        val_datefmts *df = t_fmts(outs[i].type, NULL, &o);
        CHECK_MSG(df != NULL, "%s: %s", outs[i].out, t_err);
        if (!df)
            continue;
        val_date_worker *fast = val_date_worker_new(df, T_NOW_US);
        val_date_worker *walk = val_date_worker_new(df, T_NOW_US);
        val_date_worker_force_walk(walk, true);
        for (int r = 0; r < 20000; r++) {
            val_dt v;
            memset(&v, 0, sizeof v);
            v.type = outs[i].type;
            v.year = rnd(4) ? 1 + (int32_t)rnd(9999) : (int32_t)rnd(120);
            if (rnd(50) == 0)
                v.year = rnd(2) ? 10000 + (int32_t)rnd(100000) : -(int32_t)rnd(100);
            v.month = (uint8_t)(rnd(10) ? 1 + rnd(12) : rnd(256));
            v.day = (uint8_t)(rnd(10) ? 1 + rnd(31) : rnd(256));
            v.hour = (uint8_t)(rnd(10) ? rnd(24) : rnd(256));
            v.minute = (uint8_t)(rnd(10) ? rnd(60) : rnd(256));
            v.second = (uint8_t)(rnd(10) ? rnd(60) : rnd(256));
            v.has_offset = outs[i].type == RT_DATETIME && rnd(2);
            v.offset_s = v.has_offset ? ((int32_t)rnd(24 * 4) - 48) * 900 : 0;
            if (outs[i].type == RT_DATETIME && v.hour < 24 && v.minute < 60 &&
                v.second < 60 && v.month >= 1 && v.month <= 12 && v.day >= 1 &&
                v.day <= val_days_in_month(v.year, v.month) && v.year >= 1 &&
                v.year <= 9999)
                ; /* to_zone only moves values it can read back */
            else
                v.has_offset = false;
            char a[64], b[64], in[64];
            /* The input: the walk's own text (unchanged), or it with one
             * byte changed, or a shorter/longer text. */
            bool ch0;
            size_t m = val_date_output(walk, &v, "", 0, in, sizeof in, &ch0);
            if (m >= sizeof in)
                m = sizeof in - 1;
            switch (rnd(4)) {
            case 0: break;
            case 1: if (m) in[rnd((uint32_t)m)] ^= (char)(1 + rnd(255)); break;
            case 2: if (m) m -= 1 + rnd((uint32_t)m); break;
            default: if (m + 1 < sizeof in) in[m++] = '0'; break;
            }
            size_t cap = rnd(4) ? sizeof a : rnd(24);
            memset(a, 'x', sizeof a);
            memset(b, 'x', sizeof b);
            bool ca = !ch0, cb = ch0;
            size_t la = val_date_output(fast, &v, in, m, a, cap, &ca);
            size_t lb = val_date_output(walk, &v, in, m, b, cap, &cb);
            n_out++;
            size_t shown = cap ? (la < cap ? la : cap - 1) : 0;
            if (la != lb || (cap && memcmp(a, b, shown + 1) != 0) ||
                (la < cap && ca != cb)) {
                if (bad++ < 20)
                    fprintf(stderr, "%s: %d-%d-%d %d:%d:%d cap %zu: fast %zu \"%.*s\" %d, "
                            "walk %zu \"%.*s\" %d\n", outs[i].out, v.year, v.month, v.day,
                            v.hour, v.minute, v.second, cap, la, (int)shown, a, ca, lb,
                            (int)shown, b, cb);
            }
        }
        val_date_worker_free(fast);
        val_date_worker_free(walk);
        val_datefmts_free(df);
    }
    CHECK_MSG(bad == 0, "%zu output mismatches in %zu", bad, n_out);
    printf("fast output: %zu values, %zu mismatches\n", n_out, bad);
}

/* The benchmark field's figures, by hand: a value each format reads. */
static void test_bench_field(void)
{
    t_opts o = {.prefer = "first", .locale = "en_US_POSIX", .output = "yyyy-MM-dd"};
    val_datefmts *df = t_fmts(RT_DATE, f_bench, &o);
    CHECK(df != NULL);
    if (!df)
        return;
    val_date_worker *w = val_date_worker_new(df, T_NOW_US);
    static const struct { const char *in, *iso; int format, other; bool resolved; } c[] = {
        {"2024-03-05", "2024-03-05", 0, -1, false},
        {"05/03/2024", "2024-03-05", 1, 2, true},
        {"13/03/2024", "2024-03-13", 1, -1, false},
        {"03/13/2024", "2024-03-13", 2, -1, false},
        {"05/05/2024", "2024-05-05", 1, -1, false},
        {"Mar 5, 2024", "2024-03-05", 3, -1, false},
        {"2024-03-05T23:59:59Z", "2024-03-05", 4, -1, false},
        {"2024-02-29", "2024-02-29", 0, -1, false},
        {"2023-02-29", NULL, -1, -1, false},
        {"2024-03-05T24:00:00Z", NULL, -1, -1, false},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        char iso[64];
        val_date_result r;
        val_date_status st = t_parse(w, c[i].in, iso, sizeof iso, &r);
        if (!c[i].iso) {
            CHECK_MSG(st == VAL_DATE_INVALID, "%s: %d", c[i].in, st);
            continue;
        }
        CHECK_MSG(st == VAL_DATE_OK && strcmp(iso, c[i].iso) == 0 &&
                  r.format == c[i].format && r.other == c[i].other &&
                  r.resolved == c[i].resolved, "%s: %d %s format %d other %d resolved %d",
                  c[i].in, st, iso, r.format, r.other, r.resolved);
        char out[VAL_DATE_TEXT_MAX];
        bool changed = true;
        size_t n = val_date_output(w, &r.value, c[i].in, strlen(c[i].in), out, sizeof out,
                                   &changed);
        CHECK_MSG(n == 10 && strcmp(out, c[i].iso) == 0 &&
                  changed == (strcmp(c[i].in, c[i].iso) != 0), "%s: output %s %d", c[i].in,
                  out, changed);
    }
    val_date_worker_free(w);
    val_datefmts_free(df);
}

int main(void)
{
    test_parse();
    test_output();
    test_bench_field();
    return t_done();
}
