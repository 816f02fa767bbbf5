/* validators/expr_dt.c — temporal values of validators/datetime.h as
 * expression values (see expr_value_from_dt in expr_eval.h). Kept apart from
 * the evaluator so that the two value models meet in one place. */
#include "validators/expr_eval.h"

#include "rules/expr.h"
#include "validators/datetime.h"

static bool dur_micros(const val_duration *d, int64_t *out)
{
    int64_t days, secs, us;
    if (__builtin_mul_overflow(d->weeks, 7, &days) ||
        __builtin_add_overflow(days, d->days, &days) ||
        __builtin_mul_overflow(days, 86400, &secs) ||
        __builtin_mul_overflow(d->hours, 3600, &us) ||
        __builtin_add_overflow(secs, us, &secs) ||
        __builtin_mul_overflow(d->minutes, 60, &us) ||
        __builtin_add_overflow(secs, us, &secs) ||
        __builtin_add_overflow(secs, d->seconds, &secs) ||
        __builtin_mul_overflow(secs, 1000000, &us) ||
        __builtin_add_overflow(us, d->nanos / 1000, &us))
        return false;
    *out = d->neg ? -us : us;
    return true;
}

bool expr_value_from_dt(expr_value *v, const struct val_dt *dt)
{
    int64_t days = rules_days_from_civil(dt->year, dt->month ? dt->month : 1,
                                         dt->day ? dt->day : 1);
    int64_t tod = ((int64_t)dt->hour * 3600 + dt->minute * 60 + dt->second) * 1000000 +
                  dt->nanos / 1000;
    switch (dt->type) {
    case RT_DATE:
        v->kind = EXPR_V_DATE;
        v->u.days = days;
        return true;
    case RT_TIME:
        v->kind = EXPR_V_TIME;
        v->u.micros = tod;
        return true;
    case RT_DATETIME:
        v->kind = EXPR_V_DATETIME;
        v->u.micros = days * EXPR_US_PER_DAY + tod -
                      (dt->has_offset ? (int64_t)dt->offset_s * 1000000 : 0);
        return true;
    case RT_YEAR:
        v->kind = EXPR_V_INT;
        v->u.i = dt->year;
        return true;
    case RT_YEARMONTH:
        v->kind = EXPR_V_YEARMONTH;
        v->u.months = (int64_t)dt->year * 12 + (dt->month ? dt->month - 1 : 0);
        return true;
    case RT_DURATION: {
        int64_t months;
        v->kind = EXPR_V_DURATION;
        if (__builtin_mul_overflow(dt->dur.years, 12, &months) ||
            __builtin_add_overflow(months, dt->dur.months, &months) ||
            !dur_micros(&dt->dur, &v->u.dur.micros)) {
            v->null = true;
            return false;
        }
        v->u.dur.months = dt->dur.neg ? -months : months;
        return true;
    }
    default:
        v->null = true;
        return false;
    }
}
