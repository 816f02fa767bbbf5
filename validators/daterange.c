/* validators/daterange.c — minimum and maximum of temporal fields: checked at
 * load, resolved per worker for the run's clock (see daterange.h). */
#include "validators/daterange.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static val_df_rc bad(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static val_df_rc bad(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return VAL_DF_BAD;
}

val_df_rc val_date_parse_iso(rules_type t, const char *p, size_t n, val_dt *out)
{
    char err[256];
    val_datefmts *df = val_datefmts_new(t);
    if (!df)
        return VAL_DF_NOMEM;
    val_df_rc rc = val_datefmts_finish(df, err, sizeof err);
    if (rc == VAL_DF_OK) {
        val_date_worker *w = val_date_worker_new(df, 0);
        if (w) {
            val_date_result r;
            val_date_parse(w, p, n, &r);
            rc = r.status == VAL_DATE_OK ? VAL_DF_OK : VAL_DF_BAD;
            if (rc == VAL_DF_OK)
                *out = r.value;
            val_date_worker_free(w);
        } else {
            rc = VAL_DF_NOMEM;
        }
    }
    val_datefmts_free(df);
    return rc;
}

static const char *iso_example(rules_type t)
{
    switch (t) {
    case RT_TIME: return "\"12:30:00\"";
    case RT_DATETIME: return "\"2024-01-31T12:30:00Z\"";
    case RT_YEAR: return "2024";
    case RT_YEARMONTH: return "\"2024-01\"";
    default: return "\"2024-01-31\"";
    }
}

/* today|now, then optionally [+-]N unit. */
static bool parse_relative(const char *s, size_t n, val_date_bound *b)
{
    size_t i;
    if (n >= 5 && memcmp(s, "today", 5) == 0) {
        b->now = false;
        i = 5;
    } else if (n >= 3 && memcmp(s, "now", 3) == 0) {
        b->now = true;
        i = 3;
    } else
        return false;
    b->relative = true;
    b->unit = 0;
    b->amount = 0;
    if (i == n)
        return true;
    if (s[i] != '+' && s[i] != '-')
        return false;
    int sign = s[i++] == '-' ? -1 : 1;
    size_t start = i;
    int64_t v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 6)
        v = v * 10 + (s[i++] - '0');
    if (i == start)
        return false;
    const char *u = s + i;
    size_t un = n - i;
    if (un == 3 && memcmp(u, "min", 3) == 0)
        b->unit = 'n';
    else if (un == 1 && strchr("ymwdhs", *u))
        b->unit = *u;
    else
        return false;
    b->amount = sign * v;
    return true;
}

val_df_rc val_date_bound_parse(rules_type t, const char *s, size_t n,
                               val_date_bound *out, char *err, size_t cap)
{
    val_date_bound b;
    memset(&b, 0, sizeof b);
    int shown = (int)(n > 60 ? 60 : n);
    if (parse_relative(s, n, &b)) {
        if (t == RT_TIME && !b.now)
            return bad(err, cap, "a time field's relative bound is \"now\" (with an "
                       "optional +-N h, min or s), not \"today\"");
        if (t == RT_TIME && b.unit && !strchr("hns", b.unit))
            return bad(err, cap, "a time field's bound moves by h, min or s only");
    } else if (n >= 3 && (memcmp(s, "today", n < 5 ? n : 5) == 0 ||
                          memcmp(s, "now", 3) == 0)) {
        return bad(err, cap, "expected today or now, optionally followed by +N or -N "
                   "and a unit (y m w d h min s), e.g. \"today-30d\"; got \"%.*s\"",
                   shown, s);
    } else {
        val_df_rc iso = val_date_parse_iso(t, s, n, &b.abs);
        if (iso == VAL_DF_NOMEM)
            return VAL_DF_NOMEM;
        bool ok = iso == VAL_DF_OK;
        int32_t y = 0;
        size_t digits = 0;
        while (digits < n && digits < 5 && s[digits] >= '0' && s[digits] <= '9')
            y = y * 10 + (s[digits++] - '0');
        if (!ok && t == RT_YEAR && n >= 1 && n <= 4 && digits == n) {
            memset(&b.abs, 0, sizeof b.abs);
            b.abs.type = RT_YEAR;
            b.abs.year = y;
            b.abs.month = b.abs.day = 1;
            ok = y >= 1;
        }
        if (!ok)
            return bad(err, cap, "expected a %s in ISO form (e.g. %s), or today / now "
                       "with an optional offset such as \"today-30d\"; got \"%.*s\"",
                       val_dt_type_name(t), iso_example(t), shown, s);
    }
    if (!(b.text = malloc(n + 1)))
        return VAL_DF_NOMEM;
    memcpy(b.text, s, n);
    b.text[n] = '\0';
    b.set = true;
    *out = b;
    return VAL_DF_OK;
}

void val_date_bound_free(val_date_bound *b)
{
    free(b->text);
    memset(b, 0, sizeof *b);
}

/* The first or last instant of years 0001..9999. */
static void clamp_edge(val_dt *x, bool low)
{
    x->year = low ? 1 : 9999;
    x->month = low ? 1 : 12;
    x->day = low ? 1 : 31;
    x->hour = low ? 0 : 23;
    x->minute = x->second = low ? 0 : 59;
    x->nanos = low ? 0 : 999999999;
}

static void clamp_set(val_dt *x, int64_t local_s)
{
    if (!val_dt_set_local_seconds(x, local_s))
        clamp_edge(x, local_s < 0);
}

static void add_months(val_dt *x, int64_t months)
{
    int64_t total = (int64_t)x->year * 12 + (x->month - 1) + months;
    int64_t y = total >= 0 ? total / 12 : -((-total + 11) / 12);
    int m = (int)(total - y * 12) + 1;
    if (y < 1 || y > 9999) {
        clamp_edge(x, y < 1);
        return;
    }
    x->year = (int32_t)y;
    x->month = (uint8_t)m;
    int dim = val_days_in_month(y, m);
    if (x->day > dim)
        x->day = (uint8_t)dim;
}

void val_date_bound_resolve(const val_date_bound *b, rules_type t, val_date_worker *w,
                            int64_t now_us, val_dt *out)
{
    if (!b->relative) {
        *out = b->abs;
        return;
    }
    int64_t now_s = now_us / VAL_US_PER_S, us = now_us % VAL_US_PER_S;
    if (us < 0) {
        us += VAL_US_PER_S;
        now_s--;
    }
    val_dt x;
    memset(&x, 0, sizeof x);
    x.type = RT_DATETIME;
    clamp_set(&x, now_s + val_date_zone_offset(w, now_s));
    if (b->now) {
        x.nanos = (int32_t)(us * 1000);
        x.frac_digits = us ? 6 : 0;
    } else
        x.hour = x.minute = x.second = 0;
    switch (b->unit) {
    case 'y': add_months(&x, b->amount * 12); break;
    case 'm': add_months(&x, b->amount); break;
    case 'w': clamp_set(&x, val_dt_local_seconds(&x) + b->amount * 7 * VAL_S_PER_DAY); break;
    case 'd': clamp_set(&x, val_dt_local_seconds(&x) + b->amount * VAL_S_PER_DAY); break;
    case 'h': clamp_set(&x, val_dt_local_seconds(&x) + b->amount * 3600); break;
    case 'n': clamp_set(&x, val_dt_local_seconds(&x) + b->amount * 60); break;
    case 's': clamp_set(&x, val_dt_local_seconds(&x) + b->amount); break;
    default: break;
    }
    x.type = t;
    switch (t) {
    case RT_DATETIME:
        x.offset_s = (int32_t)(val_dt_local_seconds(&x) - val_date_utc_seconds(w, &x, NULL));
        x.has_offset = true;
        break;
    case RT_TIME:
        x.year = 1970;
        x.month = x.day = 1;
        break;
    default:
        x.hour = x.minute = x.second = 0;
        x.nanos = 0;
        x.frac_digits = 0;
        if (t != RT_DATE)
            x.day = 1;
        if (t == RT_YEAR)
            x.month = 1;
        break;
    }
    *out = x;
}
