/* rules/expr_lit.c — the calendar and the ISO date/time literals of record-rule
 * expressions (see rules/expr.h). Proleptic Gregorian, no time zones beyond a
 * fixed offset, no leap seconds: a literal is exact or refused, never rolled
 * over (2024-02-30 is not a date). */
#include "rules/expr.h"
#include "validators/datetime.h"

/* The calendar is validators/datetime.c's (one proleptic Gregorian
 * implementation for the whole program). */
int64_t rules_days_from_civil(int64_t y, int m, int d)
{
    return val_days_from_civil(y, m, d);
}

void rules_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    val_civil_from_days(days, y, m, d);
}

int rules_days_in_month(int64_t y, int m)
{
    return val_days_in_month(y, m);
}

/* n digits at p[*i], as a number; false when fewer. */
static bool digits(const char *p, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || p[*i] < '0' || p[*i] > '9')
            return false;
        v = v * 10 + (p[(*i)++] - '0');
    }
    *out = v;
    return true;
}

static bool expect(const char *p, size_t len, size_t *i, char c)
{
    if (*i >= len || p[*i] != c)
        return false;
    (*i)++;
    return true;
}

static bool date_at(const char *p, size_t n, size_t *i, int64_t *days)
{
    int y, m, d;
    if (!digits(p, n, i, 4, &y) || !expect(p, n, i, '-') || !digits(p, n, i, 2, &m) ||
        !expect(p, n, i, '-') || !digits(p, n, i, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > rules_days_in_month(y, m))
        return false;
    *days = rules_days_from_civil(y, m, d);
    return true;
}

static bool time_at(const char *p, size_t n, size_t *i, int64_t *micros)
{
    int h, mi, s = 0;
    if (!digits(p, n, i, 2, &h) || !expect(p, n, i, ':') || !digits(p, n, i, 2, &mi))
        return false;
    int64_t frac = 0;
    if (*i < n && p[*i] == ':') {
        (*i)++;
        if (!digits(p, n, i, 2, &s))
            return false;
        if (*i < n && p[*i] == '.') {
            (*i)++;
            int64_t scale = 100000;
            size_t start = *i;
            for (; *i < n && p[*i] >= '0' && p[*i] <= '9'; (*i)++) {
                if (*i - start >= 6)
                    return false; /* finer than a microsecond */
                frac += (p[*i] - '0') * scale;
                scale /= 10;
            }
            if (*i == start)
                return false;
        }
    }
    if (h > 23 || mi > 59 || s > 59)
        return false;
    *micros = ((int64_t)h * 3600 + mi * 60 + s) * 1000000 + frac;
    return true;
}

bool rules_parse_iso_date(const char *p, size_t n, int64_t *days)
{
    size_t i = 0;
    return date_at(p, n, &i, days) && i == n;
}

bool rules_parse_iso_time(const char *p, size_t n, int64_t *micros)
{
    size_t i = 0;
    return time_at(p, n, &i, micros) && i == n;
}

bool rules_parse_iso_datetime(const char *p, size_t n, int64_t *micros)
{
    size_t i = 0;
    int64_t days, t;
    if (!date_at(p, n, &i, &days) || i >= n || (p[i] != 'T' && p[i] != ' '))
        return false;
    i++;
    if (!time_at(p, n, &i, &t))
        return false;
    int64_t off = 0;
    if (i < n && p[i] == 'Z')
        i++;
    else if (i < n && (p[i] == '+' || p[i] == '-')) {
        bool neg = p[i++] == '-';
        int oh, om;
        if (!digits(p, n, &i, 2, &oh) || !expect(p, n, &i, ':') ||
            !digits(p, n, &i, 2, &om) || oh > 23 || om > 59)
            return false;
        off = ((int64_t)oh * 60 + om) * 60000000;
        off = neg ? -off : off;
    }
    if (i != n)
        return false;
    *micros = days * EXPR_US_PER_DAY + t - off;
    return true;
}

bool rules_parse_iso_yearmonth(const char *p, size_t n, int64_t *months)
{
    size_t i = 0;
    int y, m;
    if (!digits(p, n, &i, 4, &y) || !expect(p, n, &i, '-') || !digits(p, n, &i, 2, &m) ||
        i != n || m < 1 || m > 12)
        return false;
    *months = (int64_t)y * 12 + (m - 1);
    return true;
}

bool rules_dec_to_fix(const val_dec *d, int64_t *m, uint8_t *scale)
{
    if (d->kind != VAL_DEC_FINITE)
        return false;
    size_t nd = d->sig1_n + d->sig2_n;
    if (nd == 0) {
        *m = 0;
        *scale = 0;
        return true;
    }
    if (nd > 18)
        return false;
    /* value = D x 10^e with D the significant digits as an integer */
    int64_t e = d->adj - (int64_t)(nd - 1);
    if (e < -EXPR_MAX_SCALE || e > 18)
        return false;
    uint64_t v = 0;
    for (size_t k = 0; k < d->sig1_n; k++)
        v = v * 10 + (uint64_t)(d->sig1[k] - '0');
    for (size_t k = 0; k < d->sig2_n; k++)
        v = v * 10 + (uint64_t)(d->sig2[k] - '0');
    for (; e > 0; e--) {
        if (v > (uint64_t)INT64_MAX / 10)
            return false;
        v *= 10;
    }
    if (v > (uint64_t)INT64_MAX)
        return false;
    *m = d->neg ? -(int64_t)v : (int64_t)v;
    *scale = (uint8_t)(-e);
    return true;
}
