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
#include <stdint.h>

#include "core/utf8.h"
#include "rules/rules.h"

/* Match data big enough for every pattern of r; NULL when out of memory. */
pcre2_match_data *val_match_data_new(const struct assay_rules *r);
void val_match_data_free(pcre2_match_data *md);

/* Match limits. A backtracking pattern can need time exponential in the
 * length of the value ("(a+)+$" on "aaa...ab"), so every match of a field
 * pattern or a matches() of a record rule runs under limits that grow with the
 * length n of the subject:
 *   - match limit (pcre2_set_match_limit): VAL_MATCH_LIMIT_BASE steps plus
 *     VAL_MATCH_LIMIT_PER_BYTE per byte; a pattern that does a bounded amount
 *     of work per character needs a few steps per byte (the benchmark's
 *     patterns at most 3 on 4 MiB values), a catastrophic one stops after
 *     about a million steps on a short value (milliseconds);
 *   - depth limit (pcre2_set_depth_limit): the same number, so it never bites
 *     before the heap limit does;
 *   - heap limit (pcre2_set_heap_limit): VAL_HEAP_LIMIT_BASE_KIB KiB plus
 *     VAL_HEAP_LIMIT_PER_BYTE bytes per byte of backtracking memory (a capture
 *     group repeated once per few characters of a huge value needs about 100
 *     bytes per byte: such a match can hit it on values of several 100 KiB).
 * The JIT honours only the match limit; its own limit is its stack (pcre2's
 * default 32 KiB): a JIT match that overflows it is run again by the
 * interpreter, under the depth and heap limits. A match that hits a limit
 * says nothing about the value: the caller reports it as such (rule
 * pattern_limit), never as "no match".
 * A value shorter than VAL_MATCH_LIMIT_FLOOR bytes gets the limits of that
 * length: a context holds them from its creation, so that the common short
 * value costs no pcre2_set_* calls (only a longer one sets and restores). */
#define VAL_MATCH_LIMIT_FLOOR 4096u
#define VAL_MATCH_LIMIT_BASE 1000000u
#define VAL_MATCH_LIMIT_PER_BYTE 16u
#define VAL_HEAP_LIMIT_BASE_KIB 16384u
#define VAL_HEAP_LIMIT_PER_BYTE 32u

/* A per-thread match context (it is changed per match: never share it),
 * holding the limits for values of up to VAL_MATCH_LIMIT_FLOOR bytes; NULL
 * when out of memory. */
pcre2_match_context *val_match_context_new(void);
void val_match_context_free(pcre2_match_context *mc);
/* The match limit for a subject of n bytes. */
uint32_t val_match_limit(size_t n);
/* Sets mc's match, depth and heap limits for a subject of n bytes (mc NULL:
 * nothing). A caller matching a value longer than VAL_MATCH_LIMIT_FLOOR sets
 * them before and restores them with n = 0 after. */
void val_match_context_limit(pcre2_match_context *mc, size_t n);
/* Is rc (a pcre2 match result) a limit: match, depth, heap or JIT stack? */
bool val_match_limit_hit(int rc);
/* Runs re on (s, n) from offset 0 with options, under the limits for n set in
 * mc (mc NULL: pcre2's defaults): pcre2_jit_match when jit is true (the
 * caller vouches that the subject is valid UTF-8 and re is JIT-compiled),
 * else pcre2_match (which checks UTF-8, then uses the JIT code if any); a
 * JIT stack overflow is retried by the interpreter.
 * Returns pcre2's result. */
int val_regex_match(const pcre2_code *re, bool jit, const char *s, size_t n,
                    uint32_t options, pcre2_match_data *md, pcre2_match_context *mc);

/* val_pattern_match_known's result when a limit was hit. */
#define VAL_PATTERN_LIMIT (-2)

/* Does the whole value match the field's pattern? 1 yes, 0 no (also when the
 * field has no pattern: 1), -1 the match itself failed (the subject is not
 * valid UTF-8 for a UTF pattern; out of memory), VAL_PATTERN_LIMIT a limit
 * was hit (see above; pcre2's defaults when mc is NULL). *rc gets pcre2's
 * error code (when rc is not NULL; 0 unless -1 or VAL_PATTERN_LIMIT is
 * returned), for val_pattern_error and val_pattern_limit_message.
 * val_pattern_match and val_pattern_match_rc use pcre2's default limits. */
int val_pattern_match(const rules_field *f, pcre2_match_data *md, const char *p,
                      size_t n);
int val_pattern_match_rc(const rules_field *f, pcre2_match_data *md, const char *p,
                         size_t n, int *rc);
/* The same under mc's limits, for text the caller may know to be valid UTF-8
 * (a value of a record the reader found valid): no second validity scan
 * before the JIT match. */
int val_pattern_match_known(const rules_field *f, pcre2_match_data *md,
                            pcre2_match_context *mc, const char *p, size_t n,
                            bool valid_utf8, int *rc);
/* pcre2's message for an error code from val_pattern_match_rc, e.g. "UTF-8
 * error: isolated byte with 0x80 bit set", into buf (NUL-terminated,
 * truncated to cap). Returns buf. */
const char *val_pattern_error(int rc, char *buf, size_t cap);
/* What a limit result rc of a subject of n bytes means, e.g. "needed more
 * than 1000000 steps on this value (pcre2 match limit)", into buf
 * (NUL-terminated, truncated to cap). Returns buf. */
const char *val_pattern_limit_message(int rc, size_t n, char *buf, size_t cap);

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
