/* validators/clean.h — the cleaning steps of a field's `clean` list.
 *
 * docs/cleaning.md says what each step does, with examples. In short:
 *   trim, collapse_spaces   Unicode white space (and, at the ends, the
 *                           zero-width characters); see unicode.h;
 *   lower, upper, casefold  full Unicode case mapping through ICU, in the
 *                           field's locale (root by default);
 *   nfc, nfkc               Unicode normalisation through ICU;
 *   strip_control           removes C0/C1 controls other than TAB, LF, CR;
 *   replace_invalid         each maximal invalid UTF-8 subpart -> U+FFFD;
 *   fix_mojibake            "CafÃ©" -> "Café" when certain (unicode.h);
 *   map                     whole-value table lookup;
 *   replace                 pcre2_substitute, global;
 *   default                 a missing value becomes the step's value.
 * Nothing depends on the process locale.
 *
 * Speed: a value that is pure ASCII never reaches ICU for trim,
 * collapse_spaces, lower, upper, casefold, nfc or nfkc (ASCII is already
 * normalised; its case is mapped by hand unless the field's locale maps ASCII
 * letters otherwise, as Turkish does). A test holds the ASCII paths equal to
 * the ICU paths.
 *
 * Nothing is copied unless a step rewrites bytes: an unchanged value comes
 * back as the input pointer, trim is a sub-slice, default and map point at
 * the rules' text; the other steps write into the caller's scratch buffer.
 * A step that cannot rewrite in place writes into the worker's buffer, which
 * then trades places with scratch (no copy). Every buffer keeps scratch's
 * ceiling: past it the call fails with ASSAY_E_LIMIT.
 *
 * Output size: see val_clean_bound. */
#ifndef ASSAY_VALIDATORS_CLEAN_H
#define ASSAY_VALIDATORS_CLEAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rules/rules.h"

/* Bit of a step in changed_steps. */
#define VAL_STEP_BIT(step) ((uint32_t)1 << (unsigned)(step))

/* The step's name as the rules file writes it ("trim", "collapse_spaces",
 * "map"...), also the "step" of a change record. */
const char *val_step_name(rules_step step);

/* Is (p, n) one of r's missingValues? With r NULL (or no list) only the empty
 * value is missing. This is the engine's missing-value test too. */
/* Whether (p, n) is a missingValues token of r; without rules, only "" is. */
bool val_is_missing(const struct assay_rules *r, const char *p, size_t n);
/* The same by the token list alone, for a caller that asked
 * val_maybe_missing first. */
bool val_missing_listed(const struct assay_rules *r, const char *p, size_t n);

/* False when (p, n) cannot be a missingValues token: no token has its
 * length, or (non-empty) its first byte. Without the masks (a plan built by
 * hand), true. */
static inline bool val_maybe_missing(const struct assay_rules *r, const char *p, size_t n)
{
    uint64_t lens = r->missing_len_mask;
    if (!lens)
        return true;
    if (!(lens >> (n < 63 ? n : 63) & 1))
        return false;
    unsigned char b = n ? (unsigned char)p[0] : 0;
    return n == 0 || (r->missing_first[b >> 6] >> (b & 63) & 1);
}


/* Per-thread state of the cleaning steps: UTF-16 buffers for ICU, a second
 * UTF-8 buffer, match data for the replace steps (sized from r's patterns,
 * grown when a larger one comes; r may be NULL). One per worker thread, any
 * plan; NULL when out of memory. Free with val_clean_worker_free (NULL is
 * fine). */
typedef struct val_clean_worker val_clean_worker;
val_clean_worker *val_clean_worker_new(const struct assay_rules *r);
void val_clean_worker_free(val_clean_worker *w);
/* A replace step whose pattern hit a pcre2 limit (validators/string.h) on a
 * value leaves the value unchanged by that step, and the worker keeps the
 * first such step and pcre2's result since the last call: this returns the
 * result (0: none) and the step, and forgets them. The engine reports it as a
 * pattern_limit violation of the value. */
int val_clean_worker_take_limit(val_clean_worker *w, const rules_clean **step);
/* Tests only: send every value through the general (ICU) paths, never the
 * ASCII ones. */
void val_clean_worker_force_icu(val_clean_worker *w, bool on);

/* Runs f's clean list over (in, n). *out and *out_n get the cleaned value: in
 * itself when nothing changed, else a slice of in, of scratch (cleared and
 * reused by this call) or of the rules. *changed_steps gets VAL_STEP_BIT of
 * every step that changed the value at its turn, or 0 when the final value
 * equals the input (e.g. lower then upper of "ABC"): the value is rewritten
 * only when *changed_steps != 0. r gives missingValues for `default` (may be
 * NULL). w is the thread's worker; NULL works (buffers are then made and
 * freed by the call: slower). Returns ASSAY_OK, or ASSAY_E_NOMEM/ASSAY_E_LIMIT
 * when a buffer cannot grow (then *out is in, unchanged). */
assay_status val_clean_apply_w(const rules_field *f, const struct assay_rules *r,
                               val_clean_worker *w, const char *in, size_t n,
                               core_buf *scratch, const char **out, size_t *out_n,
                               uint32_t *changed_steps);
/* val_clean_apply_w without a worker. */
assay_status val_clean_apply(const rules_field *f, const struct assay_rules *r,
                             const char *in, size_t n, core_buf *scratch,
                             const char **out, size_t *out_n,
                             uint32_t *changed_steps);

/* Does f's clean list hold step s? */
bool val_clean_has(const rules_field *f, rules_step s);
/* Does cleaning make every value of f valid UTF-8 (its list has
 * replace_invalid)? For the engine: invalid bytes in such a field are
 * repaired, not rule encoding. */
static inline bool val_clean_fixes_utf8(const rules_field *f)
{
    return val_clean_has(f, RS_REPLACE_INVALID);
}

/* An upper bound of the cleaned length of an n-byte value of f. Per step:
 * trim, collapse_spaces, strip_control, fix_mojibake never lengthen; lower,
 * upper, casefold, nfc and replace_invalid at most triple; nfkc at most
 * elevenfold (Unicode's bound for UTF-8); map and default give at most
 * max(n, the longest value); replace at most n + (n + 1) * L + R * n, where L
 * is the literal length of "with" and R its number of group references.
 * Saturates at SIZE_MAX. */
size_t val_clean_bound(const rules_field *f, size_t n);

/* ---- map tables ---------------------------------------------------------- */

/* An empty table for at most max keys; NULL when out of memory. */
val_map *val_map_new(size_t max);
/* Adds a copy of key -> value: 1 added, 0 key already there (unchanged), -1
 * out of memory or full. */
int val_map_add(val_map *m, const char *k, size_t kn, const char *v, size_t vn);
/* The value of key (p, n): true and (*v, *vn) borrowed from m, or false. */
bool val_map_find(const val_map *m, const char *p, size_t n, const char **v, size_t *vn);
size_t val_map_count(const val_map *m);
/* The length of the longest value (0 for NULL). */
size_t val_map_longest(const val_map *m);
void val_map_free(val_map *m);

/* ---- replace ------------------------------------------------------------- */

/* Compiles a replace step's pattern (UTF, unanchored; a value's bytes that
 * are not UTF-8 are never part of a match and never fail the step: the
 * stretches between them are replaced one by one) and checks its "with"
 * text: "$n",
 * "${n}" and "${name}" must name a group of the pattern, "$$" is a dollar.
 * On failure returns NULL with a message in err, or with an empty err when
 * memory ran out. *jit says whether JIT compiling worked. */
pcre2_code *val_replace_compile(const char *pat, size_t pn, const char *with, size_t wn,
                                bool *jit, char *err, size_t cap);

#endif
