/* validators/datefmt.h — formats of temporal fields: compiled once at load,
 * matched per value.
 *
 * Ownership: a val_datefmts is built by the rules loader (rules/field.c) for
 * each field of type date, time, datetime, year, yearmonth or duration, hangs
 * off rules_field.dates, is immutable after val_datefmts_finish and is shared
 * by every thread. Everything a thread needs to change (ICU formatters, which
 * are not thread-safe; calendars; the bounds resolved for a clock) lives in a
 * val_date_worker: one per thread and field, made from the plan with
 * val_date_worker_new and freed with val_date_worker_free.
 *
 * assay defines the grammar, not ICU (docs/dates.md): yyyy is 4 digits, MM dd
 * HH mm ss exactly 2, M d H h m s 1-2, yy 2 (with century_pivot), S..S
 * exactly as many digits as letters, names the locale's names compared
 * case-insensitively, literals exact, nothing before or after. Patterns made
 * of digits, literals, offsets and English names are matched by a hand-written
 * matcher (no ICU, no allocation); patterns with names of another locale are
 * checked by the same matcher for their shape and then parsed by ICU.
 *
 * Every format is tried on every value, in listed order: a value that two
 * formats read as different values is ambiguous unless "prefer" decides. */
#ifndef ASSAY_VALIDATORS_DATEFMT_H
#define ASSAY_VALIDATORS_DATEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"
#include "validators/bounds.h"
#include "validators/datetime.h"

/* Most formats one field may list (lint error beyond). */
#define VAL_DATE_MAX_FORMATS 32
/* Longest pattern, in bytes (lint error beyond). */
#define VAL_DATE_MAX_PATTERN 128
/* Room that always holds a normalised value (val_date_output) or a message. */
#define VAL_DATE_TEXT_MAX 1024

typedef struct val_datefmts val_datefmts;
typedef struct val_date_worker val_date_worker;

/* Result of each building step: OK, BAD (a rules error; the message is in
 * err), or NOMEM. */
typedef enum val_df_rc { VAL_DF_OK = 0, VAL_DF_BAD, VAL_DF_NOMEM } val_df_rc;

/* ---- Building (at load, single-threaded) ---------------------------------
 * Call order: new; then locale, century_pivot and timezone (each optional);
 * then add / add_table_schema for each format (none: the ISO default of the
 * type); then prefer, output, bounds (optional); then finish. Every function
 * taking err writes a one-line message (no trailing period) when it returns
 * VAL_DF_BAD; the loader reports it at the key's position and goes on. */

/* NULL when out of memory. type is RT_DATE .. RT_DURATION. */
val_datefmts *val_datefmts_new(rules_type type);
void val_datefmts_free(val_datefmts *df);

/* ICU locale id or BCP 47 tag ("fr", "fr_FR", "de-AT"): the language of month
 * and day names. English (no locale, en, en_US, en_US_POSIX) is built in. */
val_df_rc val_datefmts_locale(val_datefmts *df, const char *s, size_t n, char *err,
                              size_t cap);
/* yy reads years in [pivot, pivot + 99]; pivot in 1..9900. */
val_df_rc val_datefmts_century_pivot(val_datefmts *df, int64_t pivot, char *err,
                                     size_t cap);
/* "UTC" or an IANA zone name known to ICU ("Europe/Paris"). */
val_df_rc val_datefmts_timezone(val_datefmts *df, const char *s, size_t n, char *err,
                                size_t cap);
/* One entry of "formats": an ICU pattern, or a strptime pattern when it holds
 * a '%'. The name used in stats and messages is the text as written. */
val_df_rc val_datefmts_add(val_datefmts *df, const char *s, size_t n, char *err,
                           size_t cap);
/* Table Schema "format": "default", "any", a strptime pattern (an "fmt:"
 * prefix is dropped, as Table Schema v1.0-rc wrote it). */
val_df_rc val_datefmts_add_table_schema(val_datefmts *df, const char *s, size_t n,
                                        char *err, size_t cap);
/* "first", or one of the formats exactly as written. */
val_df_rc val_datefmts_prefer(val_datefmts *df, const char *s, size_t n, char *err,
                              size_t cap);
/* "iso", or a pattern (ICU or strptime) using only parts the type has. */
val_df_rc val_datefmts_output(val_datefmts *df, const char *s, size_t n, char *err,
                              size_t cap);
/* minimum (is_max false) or maximum: an absolute value in the ISO form of the
 * type (a year may also be a JSON integer's text), or today / now with an
 * optional [+-]N unit (y m w d h min s). */
val_df_rc val_datefmts_bound(val_datefmts *df, bool is_max, const char *s, size_t n,
                             char *err, size_t cap);
/* Adds the ISO default when no format was added. */
val_df_rc val_datefmts_finish(val_datefmts *df, char *err, size_t cap);

/* ---- The plan (read-only, any thread) ---------------------------------- */

rules_type val_datefmts_type(const val_datefmts *df);
size_t val_datefmts_count(const val_datefmts *df);
/* The name of format i for stats and messages: the pattern as the rules file
 * wrote it ("dd/MM/yyyy", "%Y-%m-%d"); for the ISO default and the "any"
 * list the pattern assay uses, e.g. "yyyy-MM-dd'T'HH:mm:ss[.S+][XXX]". */
const char *val_datefmts_name(const val_datefmts *df, size_t i);
/* Does the field declare "output" (the normalise step)? */
bool val_datefmts_has_output(const val_datefmts *df);
bool val_datefmts_has_bounds(const val_datefmts *df);

/* ---- Per thread ---------------------------------------------------------- */

/* now_us: the clock for today/now, UTC microseconds since the epoch (the run
 * start, or --now); every worker of a run must get the same value. NULL when
 * out of memory. ICU objects are opened lazily, on first need. */
val_date_worker *val_date_worker_new(const val_datefmts *df, int64_t now_us);
void val_date_worker_free(val_date_worker *w);

typedef enum val_date_status {
    VAL_DATE_OK = 0,
    VAL_DATE_INVALID,   /* rule "type" */
    VAL_DATE_AMBIGUOUS  /* rule "ambiguous_date" */
} val_date_status;

typedef struct val_date_result {
    val_date_status status;
    val_dt value;     /* OK: the value the winning format read */
    int format;       /* OK: the winning format (count it in stats "formats");
                         AMBIGUOUS: the first format that read the value;
                         INVALID: -1 */
    int other;        /* AMBIGUOUS, or OK with resolved: a format that read a
                         different value; else -1 */
    val_dt other_value;
    bool resolved;    /* OK: another format read a different value and
                         "prefer" decided (count fields.X.ambiguous_resolved) */
} val_date_result;

/* Parses the cleaned value (p, n). Never allocates (except ICU objects on
 * first use by this worker); the result owns no memory. */
void val_date_parse(val_date_worker *w, const char *p, size_t n, val_date_result *r);

/* "type" or "ambiguous_date"; NULL for OK. */
const char *val_date_rule(const val_date_result *r);
/* The message of an INVALID or AMBIGUOUS result:
 *   not a valid date in formats [yyyy-MM-dd, dd/MM/yyyy]
 *   ambiguous date: dd/MM/yyyy reads 2024-04-03, MM/dd/yyyy reads 2024-03-04
 *   (add "prefer" to choose)
 * snprintf-style (returns the full length; VAL_DATE_TEXT_MAX always holds a
 * message that lists up to 8 formats, a longer list ends with "..."). */
size_t val_date_message(const val_datefmts *df, const val_date_result *r, char *buf,
                        size_t cap);

/* The normalise step: v (from a VAL_DATE_OK result of this field) written in
 * the field's "output" into buf. A datetime with an offset is first moved to
 * the field's timezone when one is declared. Returns the length (snprintf-
 * style; VAL_DATE_TEXT_MAX always suffices); *changed tells whether the text
 * differs from (in, n). Without "output", copies (in, n) unchanged. */
size_t val_date_output(val_date_worker *w, const val_dt *v, const char *in, size_t n,
                       char *buf, size_t cap, bool *changed);

/* minimum/maximum, resolved for the worker's clock (inclusive). */
val_bound_result val_date_check_bounds(val_date_worker *w, const val_dt *v);
/* "must be at least 2000-01-01", "must be at most today (2024-03-05)". */
size_t val_date_bound_message(const val_date_worker *w, val_bound_result r, char *buf,
                              size_t cap);
/* The resolved bound; false when it is not set. */
bool val_date_bound_value(const val_date_worker *w, bool is_max, val_dt *out);

/* Orders two values of the field's type: dates by day, times by time of day,
 * datetimes by instant (one without offset is read in the field's timezone,
 * UTC when none), years, yearmonths. -1, 0, 1. Durations are not ordered (0
 * when equal as written, else 2). */
int val_date_cmp(val_date_worker *w, const val_dt *a, const val_dt *b);
/* The UTC instant of a datetime (seconds since the epoch; *nanos the
 * fraction), reading one without offset in the field's timezone. */
int64_t val_date_utc_seconds(val_date_worker *w, const val_dt *v, int32_t *nanos);
/* v (a datetime or time with an offset) moved to the field's timezone, when
 * the field declares one; unchanged otherwise. */
void val_date_to_zone(val_date_worker *w, val_dt *v);

/* ---- Testing ------------------------------------------------------------- */

/* Sends every format ICU can express through the shape check + ICU path, so
 * tests hold the matcher equal to ICU (the differential test and fuzzer). */
void val_date_worker_force_icu(val_date_worker *w, bool on);
/* Sends fixed-layout formats (yyyy-MM-dd) through the element walk and the
 * element writer instead of their word-at-a-time forms, so tests hold the
 * two equal. */
void val_date_worker_force_walk(val_date_worker *w, bool on);
/* Is format i expressible as an ICU pattern (the ISO defaults and %f, %z are
 * not: they have optional parts)? */
bool val_datefmts_icu_capable(const val_datefmts *df, size_t i);
/* The ICU pattern of format i, in UTF-8 (NULL when not ICU-capable). */
const char *val_datefmts_icu_pattern(const val_datefmts *df, size_t i);

#endif
