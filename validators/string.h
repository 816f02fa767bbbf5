/* validators/string.h — pattern, enum and length checks of string values.
 *
 * Patterns are PCRE2, compiled by the rules loader anchored at both ends
 * (PCRE2_ANCHORED | PCRE2_ENDANCHORED, UTF mode) and JIT-compiled when the
 * library allows, so a match is always a match of the whole value. Match data
 * is per thread: the engine creates one with val_match_data_new for each
 * worker and frees it with val_match_data_free. */
#ifndef ASSAY_VALIDATORS_STRING_H
#define ASSAY_VALIDATORS_STRING_H

#include <stdbool.h>
#include <stddef.h>

#include "core/utf8.h"
#include "rules/rules.h"

/* Match data big enough for every pattern of r; NULL when out of memory. */
pcre2_match_data *val_match_data_new(const struct assay_rules *r);
void val_match_data_free(pcre2_match_data *md);

/* Does the whole value match the field's pattern? 1 yes, 0 no (also when the
 * field has no pattern: 1), -1 the match itself failed: the subject is not
 * valid UTF-8 for a UTF pattern, or a match/depth/JIT-stack limit was hit.
 * val_pattern_match_rc also gives pcre2's error code in *rc (when rc is not
 * NULL; 0 unless -1 is returned), for val_pattern_error. */
int val_pattern_match(const rules_field *f, pcre2_match_data *md, const char *p,
                      size_t n);
int val_pattern_match_rc(const rules_field *f, pcre2_match_data *md, const char *p,
                         size_t n, int *rc);
/* The same for text the caller knows to be valid UTF-8 (a value of a record
 * the reader found valid): no second validity scan before the JIT match. */
int val_pattern_match_known(const rules_field *f, pcre2_match_data *md, const char *p,
                            size_t n, bool valid_utf8, int *rc);
/* pcre2's message for an error code from val_pattern_match_rc, e.g. "UTF-8
 * error: isolated byte with 0x80 bit set", into buf (NUL-terminated,
 * truncated to cap). Returns buf. */
const char *val_pattern_error(int rc, char *buf, size_t cap);

/* True when the field has no enum or (p, n) is one of its values
 * (byte-exact, after cleaning). */
static inline bool val_enum_has(const rules_field *f, const char *p, size_t n)
{
    return !f->enumset || rules_enum_has(f->enumset, p, n);
}

/* Length of a value in code points (the unit of minLength/maxLength). */
static inline size_t val_length(const char *p, size_t n)
{
    return core_utf8_count(p, n);
}

/* 0 when cps code points satisfy the field's minLength and maxLength; -1 when
 * shorter than minLength (rule "minLength"), 1 when longer than maxLength
 * (rule "maxLength"). */
int val_length_check(const rules_field *f, size_t cps);

#endif
