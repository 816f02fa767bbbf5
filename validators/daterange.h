/* validators/daterange.h — minimum and maximum of temporal fields.
 *
 * A bound is checked at load (val_date_bound_parse) and resolved per worker
 * for the clock of the run (val_date_bound_resolve): absolute values in the
 * ISO form of the field's type, or "today" / "now" with an optional offset
 * [+-]N unit, unit one of y m w d h min s. Calendar arithmetic runs on the
 * wall clock of the field's timezone (UTC when none): y and m keep the day of
 * the month, clamped to the month's last day (2024-03-31 - 1m = 2024-02-29).
 * "today" is 00:00 of the current day, "now" the clock itself; the result is
 * then taken in the field's type (a date keeps the day, a year the year, a
 * time the time of day). Bounds are inclusive. See docs/dates.md. */
#ifndef ASSAY_VALIDATORS_DATERANGE_H
#define ASSAY_VALIDATORS_DATERANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "validators/datefmt.h"

typedef struct val_date_bound {
    bool set;
    bool relative;   /* today/now based */
    bool now;        /* "now" (else "today") */
    int64_t amount;  /* signed count of units */
    char unit;       /* 'y' 'm' 'w' 'd' 'h' 'n' (min) 's'; 0: none */
    val_dt abs;      /* !relative: the value */
    char *text;      /* as written (owned), for messages */
} val_date_bound;

/* Checks and keeps (s, n) as a bound of a field of type t. */
val_df_rc val_date_bound_parse(rules_type t, const char *s, size_t n,
                               val_date_bound *out, char *err, size_t cap);
void val_date_bound_free(val_date_bound *b);
/* The bound's value for the clock now_us (UTC microseconds) in the worker's
 * field (its type and timezone). */
void val_date_bound_resolve(const val_date_bound *b, rules_type t, val_date_worker *w,
                            int64_t now_us, val_dt *out);

/* The ISO default of type t, without a worker (no timezone, no ICU): the
 * grammar absolute bounds are written in. VAL_DF_BAD when p is not in it,
 * VAL_DF_NOMEM when the parser could not be made. */
val_df_rc val_date_parse_iso(rules_type t, const char *p, size_t n, val_dt *out);
/* The offset (seconds east of UTC) of the worker's field timezone at the
 * instant utc_s; 0 for UTC or no timezone. */
int32_t val_date_zone_offset(val_date_worker *w, int64_t utc_s);

#endif
