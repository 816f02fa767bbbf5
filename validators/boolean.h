/* validators/boolean.h — Table Schema booleans.
 *
 * A value is true when it equals one of the field's trueValues, false when it
 * equals one of its falseValues, invalid otherwise. Each list defaults on its
 * own to Table Schema's: ["true", "True", "TRUE", "1"] and
 * ["false", "False", "FALSE", "0"]. Comparison is byte-exact (no case folding
 * beyond the listed spellings, no trimming: that is what `clean` is for). A
 * value in both lists is true. */
#ifndef ASSAY_VALIDATORS_BOOLEAN_H
#define ASSAY_VALIDATORS_BOOLEAN_H

#include <stddef.h>

#include "rules/rules.h"

/* 1 true, 0 false, -1 not a boolean of this field. */
int val_boolean_parse(const char *p, size_t n, const rules_field *f);

#endif
