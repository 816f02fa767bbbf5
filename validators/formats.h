/* validators/formats.h — Table Schema `format` of string fields: email, uri,
 * uuid, ipv4, ipv6, hostname (docs/cleaning.md "String formats" has the
 * exact grammar and examples of each).
 *
 * Each format is one PCRE2 pattern, compiled by the rules loader once per
 * field (anchored at both ends, UTF, JIT when available) into
 * rules_field.format_re, read-only afterwards and shared by all threads; the
 * match data is the thread's own (val_match_data_new serves: the patterns
 * need no captures). A value that is not valid UTF-8 never passes. */
#ifndef ASSAY_VALIDATORS_FORMATS_H
#define ASSAY_VALIDATORS_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/rules.h"

/* The format named (p, n), or RF_NONE ("default", "binary" and unknown
 * names). */
rules_strfmt val_format_kind(const char *p, size_t n);
/* The format's name as the rules file writes it ("email"). */
const char *val_format_name(rules_strfmt k);
/* Compiles the pattern of k; NULL for RF_NONE or when out of memory.
 * *jit says whether JIT compiling worked. */
pcre2_code *val_format_compile(rules_strfmt k, bool *jit);

/* Does the whole value have f's format? 1 yes (also when f checks no
 * format), 0 no (rule "format", message val_format_message(f)), -1 the
 * match failed (a match limit; treat as 0 with the same message). md may be
 * NULL (pcre2 then makes match data per call: slower). */
int val_format_check(const rules_field *f, pcre2_match_data *md, const char *p, size_t n);
/* "not a valid email address (expected local@domain, e.g. name@example.com)" */
const char *val_format_message(const rules_field *f);

#endif
