/* validators/expr_eval.h — evaluating record rules (rules[] of a rules file).
 *
 * The rules loader compiles every `when` and `check` once (rules/expr.h) and
 * resolves `require` to field indexes; this evaluator runs them per record
 * without allocating: strings are slices of the record, numbers int64
 * mantissas (or views of their digits), dates int64 day counts. Semantics
 * (types, null, the truth table) are in docs/record-rules.md.
 *
 * Use, per worker thread:
 *
 *     expr_state *st = expr_state_new(plan);        // once per thread
 *     expr_state_set_clock(st, now_micros);          // once per run (--now)
 *     expr_value *vals = calloc(plan->nfields, ...); // one per field, reused
 *     for each record:
 *         for each field i: fill vals[i] (see expr_value)
 *         for k in 0 .. plan->nrules-1:
 *             expr_result res = expr_rule_eval(st, k, vals);
 *             if (res != EXPR_PASS) { report with expr_rule_message and
 *                                     expr_rule_values; count; quarantine when
 *                                     plan->rules[k].severity is RSEV_ERROR }
 *     expr_state_free(st);
 *
 * Ownership: the state borrows the plan (keep it alive); vals and the text
 * they point to are the caller's and are only read during the call. */
#ifndef ASSAY_VALIDATORS_EXPR_EVAL_H
#define ASSAY_VALIDATORS_EXPR_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rules/rules.h"
#include "validators/number.h"

/* Which member of expr_value.u holds the value. The engine picks it from the
 * field's type: integer and year: EXPR_V_INT; number: EXPR_V_DEC (or
 * EXPR_V_INT when it holds an int64); string and any: EXPR_V_STR (the value
 * is text/len); boolean: EXPR_V_BOOL; date: EXPR_V_DATE; time: EXPR_V_TIME;
 * datetime: EXPR_V_DATETIME; yearmonth: EXPR_V_YEARMONTH; duration:
 * EXPR_V_DURATION; object and array: EXPR_V_OTHER. A kind that does not suit
 * the field's type reads as null. */
typedef enum expr_vkind {
    EXPR_V_STR = 0, EXPR_V_INT, EXPR_V_DEC, EXPR_V_BOOL, EXPR_V_DATE, EXPR_V_TIME,
    EXPR_V_DATETIME, EXPR_V_YEARMONTH, EXPR_V_DURATION, EXPR_V_OTHER
} expr_vkind;

/* One field's value in the record being checked, filled by the engine. */
typedef struct expr_value {
    bool missing;     /* absent, or a missingValues token: `require` fails */
    bool null;        /* missing, or present but failed its type: null in
                         expressions (set it in both cases) */
    expr_vkind kind;  /* when not null */
    const char *text; /* the cleaned text (the value of a string; shown in -e
                         for every kind); may be NULL when missing */
    size_t len;
    union {
        int64_t i;       /* integer, year */
        val_dec d;       /* number: a view of digits the caller keeps alive */
        bool b;
        int64_t days;    /* date: days since 1970-01-01 (proleptic Gregorian) */
        int64_t micros;  /* time: since midnight; datetime: since
                            1970-01-01T00:00:00Z (a value without an offset
                            is taken as UTC) */
        int64_t months;  /* yearmonth: year * 12 + (month - 1) */
        struct { int64_t months, micros; } dur; /* duration: P1Y2M is
                            months 14; days, hours... are micros (a day is
                            86400 s) */
    } u;
} expr_value;

struct val_dt;
/* Fills v (kind, union; not missing, null, text) from a temporal value of
 * validators/datetime.h: date -> days; time -> wall-clock micros (an offset
 * is not applied); datetime -> micros since the epoch in UTC (its offset
 * applied; none written means UTC); year -> EXPR_V_INT; yearmonth -> months;
 * duration -> months (years * 12 + months) and micros (weeks, days of 24 h,
 * hours, minutes, seconds). Digits finer than a microsecond are dropped.
 * False (v->null set) when the value does not fit. */
bool expr_value_from_dt(expr_value *v, const struct val_dt *dt);

typedef enum expr_result {
    EXPR_PASS = 0,     /* when did not hold, or every test held */
    EXPR_FAIL_REQUIRE, /* when held and a require field is missing */
    EXPR_FAIL_CHECK,   /* when held and check was false */
    EXPR_FAIL_LIMIT    /* when or check was left null by a matches() that hit
                          its match limit (validators/string.h) */
} expr_result;

typedef struct expr_state expr_state;

/* Per-thread evaluator state for the plan's rules; NULL when out of memory.
 * The clock starts at the Unix epoch: set it. */
expr_state *expr_state_new(const struct assay_rules *plan);
void expr_state_free(expr_state *st);
/* The clock of today() and now(): now() is now_micros (microseconds since
 * 1970-01-01T00:00:00Z), today() its UTC date. One value per run (--now, or
 * the time the run started), so every record sees the same day. */
void expr_state_set_clock(expr_state *st, int64_t now_micros);
/* The current time as now_micros (the system clock, UTC). */
int64_t expr_clock_now(void);

/* Evaluates rule k of the plan against vals (one per plan field). */
expr_result expr_rule_eval(expr_state *st, size_t k, const expr_value *vals);

/* One compiled expression: 1 true, 0 false, -1 null (unknown). */
int expr_eval_bool(expr_state *st, const expr_prog *p, const expr_value *vals);

/* For -e: the fields rule k reads, each as name=value with the value as a
 * JSON string, or null when missing, or "<text>" (invalid) when it failed its
 * type: `ship_date=null, order_date="2024-03-05"`. Appends to out. */
assay_status expr_rule_values(const struct assay_rules *plan, size_t k,
                              const expr_value *vals, core_buf *out);
/* For -e: why rule k failed: `check failed: ship_date >= order_date` or
 * `required when country == 'US': "zip", "state" missing`. Appends to out. */
assay_status expr_rule_message(const struct assay_rules *plan, size_t k,
                               expr_result res, const expr_value *vals, core_buf *out);

#endif
