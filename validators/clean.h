/* validators/clean.h — the cleaning steps of a field's `clean` list.
 *
 * This version's steps are ASCII-only and never depend on the process locale:
 *   trim             drop leading and trailing space, TAB, CR, LF, VT, FF;
 *   collapse_spaces  turn every run of those bytes into one space (it does
 *                    not trim: "  a  b " becomes " a b ");
 *   lower, upper     map ASCII letters only; bytes >= 0x80 are untouched,
 *                    so UTF-8 text is never broken;
 *   default          when the value is missing at that point (empty, or one
 *                    of the rules' missingValues) it becomes the step's value.
 * nfc, strip_control and replace_invalid are not implemented yet: they leave
 * the value alone (the rules loader warns that they are not checked).
 *
 * Nothing is copied unless a step rewrites bytes: an unchanged value comes
 * back as the input pointer, trim is a sub-slice, default points at the rules'
 * text; only collapse_spaces, lower and upper write, into the caller's
 * scratch buffer (per thread; never more than the longer of the value and the
 * longest default). */
#ifndef ASSAY_VALIDATORS_CLEAN_H
#define ASSAY_VALIDATORS_CLEAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rules/rules.h"

/* Bit of a step in changed_steps. */
#define VAL_STEP_BIT(step) ((uint32_t)1 << (unsigned)(step))

/* The step's name as the rules file writes it ("trim", "collapse_spaces"...),
 * also the "step" of a change record. */
const char *val_step_name(rules_step step);

/* Is (p, n) one of r's missingValues? With r NULL (or no list) only the empty
 * value is missing. This is the engine's missing-value test too. */
bool val_is_missing(const struct assay_rules *r, const char *p, size_t n);

/* Runs f's clean list over (in, n). *out and *out_n get the cleaned value: in
 * itself when nothing changed, else a slice of in, of scratch (cleared and
 * reused by this call) or of the rules. *changed_steps gets VAL_STEP_BIT of
 * every step that changed the value at its turn, or 0 when the final value
 * equals the input (e.g. lower then upper of "ABC"): the value is rewritten
 * only when *changed_steps != 0. r gives missingValues for `default` (may be
 * NULL). Returns ASSAY_OK, or ASSAY_E_NOMEM/ASSAY_E_LIMIT when scratch cannot
 * grow (then *out is in, unchanged). */
assay_status val_clean_apply(const rules_field *f, const struct assay_rules *r,
                             const char *in, size_t n, core_buf *scratch,
                             const char **out, size_t *out_n,
                             uint32_t *changed_steps);

#endif
