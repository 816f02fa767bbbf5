/* validators/bounds.h — minimum and maximum of integer and number fields.
 *
 * A bound is compiled once from the exact source text the rules file holds
 * (rules_bound.text, never a double) and compared exactly: an integer field
 * with "minimum": 0.5 refuses 0 and accepts 1. NaN fails every bound it is
 * checked against; INF is above every finite bound, -INF below. The compiled
 * bounds borrow the rules' text: they live as long as the rules. */
#ifndef ASSAY_VALIDATORS_BOUNDS_H
#define ASSAY_VALIDATORS_BOUNDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"
#include "validators/number.h"

typedef struct val_bounds {
    bool has_min, has_max;
    val_dec min, max;
    bool min_is_int, max_is_int; /* the bound is an int64: fast integer path */
    int64_t min_i, max_i;
} val_bounds;

typedef enum val_bound_result {
    VAL_BOUND_OK = 0,
    VAL_BOUND_BELOW_MIN, /* rule "minimum" */
    VAL_BOUND_ABOVE_MAX  /* rule "maximum" */
} val_bound_result;

/* A numeric bound as a val_dec (slices into b->text). False when the bound is
 * not set, is a string, or its text is not a finite number. */
bool val_bound_number(const rules_bound *b, val_dec *out);

/* Compiles the field's minimum and maximum. False when one that is set is not
 * a finite number (a rules error the loader reports; the bound is then
 * ignored here). Meant for integer and number fields. */
bool val_bounds_compile(const rules_field *f, val_bounds *out);

val_bound_result val_bounds_check_int(const val_bounds *b, int64_t v);
val_bound_result val_bounds_check_dec(const val_bounds *b, const val_dec *v);

/* The rule name of a failed check: "minimum" or "maximum" (NULL for OK). */
const char *val_bound_rule(val_bound_result r);

/* The message of a failed check, with the bound exactly as the rules file
 * wrote it: "must be at least 0.01", "must be at most 1e3". snprintf-style:
 * returns the full length, writes at most cap bytes including the NUL. */
size_t val_bound_message(const rules_field *f, val_bound_result r, char *buf,
                         size_t cap);

#endif
