/* validators/dfa.h — a byte DFA for simple field patterns, beside pcre2.
 *
 * A field pattern is matched against the whole value (pcre2 options UTF,
 * MATCH_INVALID_UTF, ANCHORED, ENDANCHORED; see string.h). Most patterns in
 * rules files are plain regular expressions over ASCII ("^[0-9]{5}$"); for
 * them a deterministic automaton over bytes gives the same answer as pcre2 in
 * a table look-up per byte, with no per-call set-up and no backtracking (so
 * it never hits a match limit).
 *
 * The subset taken (anything else: val_dfa_compile returns NULL and pcre2
 * does the work): ASCII literal characters; a backslash before an ASCII
 * punctuation character; \d \w \s (ASCII meaning, as pcre2 without UCP), \t
 * \n \r \f \a \e; bracket classes of those characters, ranges and escapes
 * (not negated, no POSIX classes, no '[' inside); groups (...) and (?:...);
 * alternation; the quantifiers ? * + {m} {m,} {m,n} and their lazy forms
 * (a whole-value match has the same language either way). A leading '^' and
 * a final '$' are redundant for an anchored whole-value match and dropped;
 * '^', '$' and '.' anywhere else are refused, as are possessive quantifiers,
 * any other "(?" or "(*" construct, and every escape not listed. The
 * automaton is refused when the pattern expands to more than
 * VAL_DFA_MAX_POSITIONS character positions (counted repeats written out) or
 * needs more than VAL_DFA_MAX_STATES states.
 *
 * Every byte >= 0x80 leads to the dead state: the subset is ASCII-only, so a
 * value with a non-ASCII byte never matches — as with pcre2, where such a
 * character (valid or not) matches no item of an ASCII pattern.
 *
 * A compiled automaton is immutable: share it between threads freely. */
#ifndef ASSAY_VALIDATORS_DFA_H
#define ASSAY_VALIDATORS_DFA_H

#include <stddef.h>

#define VAL_DFA_MAX_POSITIONS 4000u
#define VAL_DFA_MAX_STATES 256u
/* Longer patterns are left to pcre2 without a look. */
#define VAL_DFA_MAX_PATTERN 65536u

typedef struct val_dfa val_dfa;

/* The automaton for pattern (pat, n), or NULL when the pattern is outside
 * the subset above, too big, or memory ran out. Only called for a pattern
 * pcre2 compiled. */
val_dfa *val_dfa_compile(const char *pat, size_t n);
/* Does the whole of (s, n) match? 1 yes, 0 no. */
int val_dfa_match(const val_dfa *d, const char *s, size_t n);
/* Tests only: how many bytes a step of d reads (1, 2 or 3: its tables are
 * small), and making it read at most k, so that every way is compared. */
int val_dfa_step(const val_dfa *d);
void val_dfa_limit_step(val_dfa *d, int k);
void val_dfa_free(val_dfa *d);

#endif
