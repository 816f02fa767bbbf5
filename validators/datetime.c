/* validators/datetime.c — proleptic Gregorian arithmetic, durations and the
 * ISO text of a temporal value (see datetime.h). */
#include "validators/datetime.h"

#include <string.h>

const char *val_dt_type_name(rules_type t)
{
    static const char *const names[] = {"date", "time", "datetime", "year",
                                        "yearmonth", "duration"};
    return t >= RT_DATE && t <= RT_DURATION ? names[t - RT_DATE] : "value";
}

bool val_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int val_days_in_month(int64_t y, int m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && val_is_leap(y) ? 29 : days[m - 1];
}

/* Howard Hinnant's days_from_civil: exact for every year, no table. */
int64_t val_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void val_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int val_weekday(int64_t days)
{
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

int64_t val_dt_days(const val_dt *v)
{
    return val_days_from_civil(v->year, v->month, v->day);
}

int64_t val_dt_local_seconds(const val_dt *v)
{
    return val_dt_days(v) * VAL_S_PER_DAY + v->hour * 3600 + v->minute * 60 + v->second;
}

bool val_dt_set_local_seconds(val_dt *v, int64_t secs)
{
    int64_t days = secs / VAL_S_PER_DAY, sod = secs % VAL_S_PER_DAY;
    if (sod < 0) {
        sod += VAL_S_PER_DAY;
        days--;
    }
    int64_t y;
    int m, d;
    val_civil_from_days(days, &y, &m, &d);
    if (y < 1 || y > 9999)
        return false;
    v->year = (int32_t)y;
    v->month = (uint8_t)m;
    v->day = (uint8_t)d;
    v->hour = (uint8_t)(sod / 3600);
    v->minute = (uint8_t)(sod / 60 % 60);
    v->second = (uint8_t)(sod % 60);
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1..18 digits at p[*i] into *out. */
static bool dur_number(const char *p, size_t n, size_t *i, int64_t *out)
{
    size_t start = *i;
    int64_t v = 0;
    while (*i < n && is_digit(p[*i]) && *i - start < 18)
        v = v * 10 + (p[(*i)++] - '0');
    if (*i == start || (*i < n && is_digit(p[*i])))
        return false;
    *out = v;
    return true;
}

/* 1..9 fraction digits after '.' or ',' at p[*i]; none is fine. */
static bool dur_fraction(const char *p, size_t n, size_t *i, int32_t *nanos,
                         uint8_t *digits)
{
    if (*i >= n || (p[*i] != '.' && p[*i] != ','))
        return true;
    size_t start = ++*i;
    int32_t v = 0;
    while (*i < n && is_digit(p[*i]) && *i - start < 9)
        v = v * 10 + (p[(*i)++] - '0');
    size_t k = *i - start;
    if (k == 0 || (*i < n && is_digit(p[*i])))
        return false;
    *digits = (uint8_t)k;
    for (; k < 9; k++)
        v *= 10;
    *nanos = v;
    return true;
}

bool val_duration_parse(const char *p, size_t n, val_duration *out)
{
    static const char date_units[] = "YMWD", time_units[] = "HMS";
    val_duration d;
    memset(&d, 0, sizeof d);
    size_t i = 0;
    if (i < n && p[i] == '-') {
        d.neg = true;
        i++;
    }
    if (i >= n || p[i++] != 'P')
        return false;
    int64_t *date_parts[] = {&d.years, &d.months, &d.weeks, &d.days};
    int64_t *time_parts[] = {&d.hours, &d.minutes, &d.seconds};
    int parts = 0, next = 0;
    bool in_time = false, time_part = false, weeks = false;
    while (i < n) {
        if (p[i] == 'T' && !in_time) {
            in_time = true;
            next = 0;
            i++;
            continue;
        }
        int64_t v;
        if (!dur_number(p, n, &i, &v))
            return false;
        bool frac = false;
        if (in_time && i < n && (p[i] == '.' || p[i] == ',')) {
            if (!dur_fraction(p, n, &i, &d.nanos, &d.frac_digits))
                return false;
            frac = true;
        }
        if (i >= n)
            return false;
        const char *units = in_time ? time_units : date_units;
        const char *u = strchr(units + next, p[i]);
        if (!u || p[i] == '\0' || (frac && *u != 'S'))
            return false;
        int k = (int)(u - units);
        *(in_time ? time_parts : date_parts)[k] = v;
        weeks |= !in_time && *u == 'W';
        time_part |= in_time;
        next = k + 1;
        parts++;
        i++;
        if (frac && i != n)
            return false;
    }
    if (parts == 0 || (in_time && !time_part))
        return false;
    if (weeks && parts != 1)
        return false;
    *out = d;
    return true;
}

void val_text_put(val_text *t, const char *s, size_t n)
{
    if (t->len < t->cap) {
        size_t room = t->cap - t->len;
        memcpy(t->buf + t->len, s, n < room ? n : room);
    }
    t->len += n;
}

void val_text_num(val_text *t, int64_t v, int width)
{
    if (v >= 0 && v < 10000 && width >= 1 && width <= 4) {
        /* The usual case (a year, month, day, hour...): no division loop. */
        int digits = v >= 1000 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;
        int k = digits > width ? digits : width;
        if (t->len + (size_t)k <= t->cap) {
            char *o = t->buf + t->len;
            for (int j = k - 1; j >= 0; j--) {
                o[j] = (char)('0' + v % 10);
                v /= 10;
            }
            t->len += (size_t)k;
            return;
        }
    }
    char tmp[24];
    size_t k = sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u && k > 1);
    while (k > 1 && (int)(sizeof tmp - k) < width)
        tmp[--k] = '0';
    if (v < 0)
        tmp[--k] = '-';
    val_text_put(t, tmp + k, sizeof tmp - k);
}

void val_text_fraction(val_text *t, int32_t nanos, int digits)
{
    if (digits <= 0)
        return;
    int32_t v = nanos;
    for (int k = digits; k < 9; k++)
        v /= 10;
    val_text_put(t, ".", 1);
    val_text_num(t, v, digits);
}

void val_text_offset(val_text *t, int32_t offset_s, bool colon, bool z_for_zero,
                     bool minutes_if_needed)
{
    if (z_for_zero && offset_s == 0) {
        val_text_put(t, "Z", 1);
        return;
    }
    int32_t o = offset_s < 0 ? -offset_s : offset_s;
    val_text_put(t, offset_s < 0 ? "-" : "+", 1);
    val_text_num(t, o / 3600, 2);
    if (minutes_if_needed && o / 60 % 60 == 0)
        return;
    if (colon)
        val_text_put(t, ":", 1);
    val_text_num(t, o / 60 % 60, 2);
}

size_t val_text_end(val_text *t)
{
    if (t->cap)
        t->buf[t->len < t->cap ? t->len : t->cap - 1] = '\0';
    return t->len;
}

static void put_s(val_text *t, const char *s)
{
    val_text_put(t, s, strlen(s));
}

size_t val_duration_format(const val_duration *d, char *buf, size_t cap)
{
    val_text t = {buf, cap, 0};
    if (d->neg)
        put_s(&t, "-");
    put_s(&t, "P");
    const int64_t dv[] = {d->years, d->months, d->weeks, d->days};
    const char *du[] = {"Y", "M", "W", "D"};
    bool any = false;
    for (int k = 0; k < 4; k++)
        if (dv[k]) {
            val_text_num(&t, dv[k], 1);
            put_s(&t, du[k]);
            any = true;
        }
    if (d->hours || d->minutes || d->seconds || d->nanos) {
        put_s(&t, "T");
        if (d->hours) {
            val_text_num(&t, d->hours, 1);
            put_s(&t, "H");
        }
        if (d->minutes) {
            val_text_num(&t, d->minutes, 1);
            put_s(&t, "M");
        }
        if (d->seconds || d->nanos) {
            val_text_num(&t, d->seconds, 1);
            if (d->nanos)
                val_text_fraction(&t, d->nanos, d->frac_digits ? d->frac_digits : 9);
            put_s(&t, "S");
        }
    } else if (!any) {
        put_s(&t, "T0S");
    }
    return val_text_end(&t);
}

size_t val_dt_iso(const val_dt *v, char *buf, size_t cap)
{
    val_text t = {buf, cap, 0};
    if (v->type == RT_DURATION)
        return val_duration_format(&v->dur, buf, cap);
    if (v->type != RT_TIME)
        val_text_num(&t, v->year, 4);
    if (v->type == RT_YEARMONTH || v->type == RT_DATE || v->type == RT_DATETIME) {
        put_s(&t, "-");
        val_text_num(&t, v->month, 2);
    }
    if (v->type == RT_DATE || v->type == RT_DATETIME) {
        put_s(&t, "-");
        val_text_num(&t, v->day, 2);
    }
    if (v->type == RT_DATETIME)
        put_s(&t, "T");
    if (v->type == RT_TIME || v->type == RT_DATETIME) {
        val_text_num(&t, v->hour, 2);
        put_s(&t, ":");
        val_text_num(&t, v->minute, 2);
        put_s(&t, ":");
        val_text_num(&t, v->second, 2);
        val_text_fraction(&t, v->nanos, v->frac_digits);
        if (v->has_offset)
            val_text_offset(&t, v->offset_s, true, true, false);
    }
    return val_text_end(&t);
}
