/* validators/datetime.h — the values of temporal fields and their calendar.
 *
 * One value type, val_dt, holds every temporal type (date, time, datetime,
 * year, yearmonth, duration) as the parts it was written with, so that a
 * value can be compared, re-written and reported without losing anything:
 * the fraction keeps its written digits, a datetime keeps the offset it was
 * written with. The calendar is the proleptic Gregorian one (leap years: every
 * 4th, except centuries not divisible by 400), years 0001..9999.
 *
 * Everything here is pure arithmetic: no allocation, no ICU, no locale. The
 * grammar of the texts and every accepted or refused example are in
 * docs/dates.md. */
#ifndef ASSAY_VALIDATORS_DATETIME_H
#define ASSAY_VALIDATORS_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

#define VAL_NS_PER_S 1000000000LL
#define VAL_US_PER_S 1000000LL
#define VAL_S_PER_DAY 86400LL

/* An ISO 8601 duration, P[nY][nM][nW][nD][T[nH][nM][n[.f]S]], as written:
 * no part is folded into another (P1M is not P30D; PT36H stays 36 hours). */
typedef struct val_duration {
    bool neg;                /* written with a leading '-' */
    int64_t years, months, weeks, days, hours, minutes, seconds;
    int32_t nanos;           /* fraction of the seconds */
    uint8_t frac_digits;     /* digits written after the '.', 0: none */
} val_duration;

/* A temporal value. The parts a type does not have are at their minimum
 * (month = day = 1, time 00:00:00, no offset) so that two values of one type
 * compare part by part. */
typedef struct val_dt {
    rules_type type;         /* RT_DATE .. RT_DURATION */
    int32_t year;            /* 1..9999 */
    uint8_t month, day;      /* 1-based */
    uint8_t hour, minute, second;
    uint8_t frac_digits;     /* digits of the written fraction, 0: none */
    int32_t nanos;           /* fraction of the second, 0..999999999 */
    bool has_offset;         /* datetime (and time): an offset or Z was written */
    int32_t offset_s;        /* seconds east of UTC, when has_offset */
    val_duration dur;        /* RT_DURATION only */
} val_dt;

/* "date", "time", "datetime", "year", "yearmonth", "duration". */
const char *val_dt_type_name(rules_type t);

bool val_is_leap(int64_t year);
/* 28..31; 0 for a month outside 1..12. */
int val_days_in_month(int64_t year, int month);
/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
int64_t val_days_from_civil(int64_t y, int m, int d);
void val_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* 0 = Sunday .. 6 = Saturday. */
int val_weekday(int64_t days);

/* Days since 1970-01-01 of v's date. */
int64_t val_dt_days(const val_dt *v);
/* v's wall-clock time as seconds since 1970-01-01T00:00 (no offset applied). */
int64_t val_dt_local_seconds(const val_dt *v);
/* Sets v's date and time from local seconds since the epoch (keeps nanos,
 * frac_digits, offset and type). False when the year leaves 1..9999. */
bool val_dt_set_local_seconds(val_dt *v, int64_t secs);

/* ISO 8601 duration (see val_duration); each number 1..18 digits, a fraction
 * (1..9 digits, '.' or ',') only on the seconds, at least one part, "T" only
 * before a time part, W only alone. */
bool val_duration_parse(const char *p, size_t n, val_duration *out);
/* The canonical text of a duration ("P1Y2M3DT4H5M6.5S"); snprintf-style. */
size_t val_duration_format(const val_duration *d, char *buf, size_t cap);

/* A bounded text being written: past cap the length still counts, so the
 * caller learns the room it needed (snprintf-style). */
typedef struct val_text {
    char *buf;
    size_t cap, len;
} val_text;

void val_text_put(val_text *t, const char *s, size_t n);
/* v in decimal, zero-padded to width digits ('-' before the digits). */
void val_text_num(val_text *t, int64_t v, int width);
/* ".ddd": the first digits digits of nanos; nothing when digits is 0. */
void val_text_fraction(val_text *t, int32_t nanos, int digits);
/* An offset: "Z" for zero when z_for_zero, else +hh[:]mm (+hh alone when
 * minutes_if_needed and the minutes are zero). */
void val_text_offset(val_text *t, int32_t offset_s, bool colon, bool z_for_zero,
                     bool minutes_if_needed);
/* Writes the NUL (at cap-1 when the text did not fit); returns len. */
size_t val_text_end(val_text *t);

/* The ISO text of v for its type (yyyy-MM-dd, HH:mm:ss[.f], the datetime
 * with T, the fraction as written and Z or +hh:mm when it has an offset;
 * yyyy; yyyy-MM; the duration). snprintf-style: returns the full length and
 * writes at most cap bytes including a NUL. */
size_t val_dt_iso(const val_dt *v, char *buf, size_t cap);

#endif
