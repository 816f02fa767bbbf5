/* tests/fuzz/fuzz_dfa.c — the pattern DFA gives pcre2's answers.
 *
 * Input: one byte n, then n bytes of pattern, then the subject (the rest).
 * The pattern is compiled by pcre2 with the field options and by the DFA;
 * abort() when the DFA takes a pattern pcre2 refuses, or when the two
 * answer differently on the subject (pcre2 refusing a pattern for its size or
 * nesting says nothing about its syntax: the loader never builds a DFA for a
 * pattern pcre2 refused, so such a pattern is skipped). pcre2's answer is its JIT's (what the
 * validator runs) and, for valid UTF-8, also its interpreter's; a subject
 * with broken UTF-8 never matches (the interpreter may match a pattern that
 * matches "" on such a value: it is not asked). A match that hits a limit
 * says nothing and is skipped. The DFA's answer is the same whether it steps
 * three, two or one byte at a time. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/utf8.h"
#include "validators/dfa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELD_OPTS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ANCHORED | \
                    PCRE2_ENDANCHORED)

/* 1 match, 0 none, -1 no answer. */
static int answer(const pcre2_code *re, const uint8_t *s, size_t n, uint32_t opts,
                  pcre2_match_data *md, pcre2_match_context *mc)
{
    int rc = pcre2_match(re, n ? s : (const uint8_t *)"", n, 0, opts, md, mc);
    return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || (size_t)data[0] > size - 1)
        return 0;
    const char *pat = (const char *)data + 1;
    size_t pn = data[0];
    const uint8_t *s = data + 1 + pn;
    size_t n = size - 1 - pn;
    val_dfa *d = val_dfa_compile(pat, pn);
    int err;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, pn, FIELD_OPTS, &err, &off, NULL);
    if (!re) {
        bool resources = err == PCRE2_ERROR_PATTERN_TOO_LARGE ||
                         err == PCRE2_ERROR_PARENTHESES_NEST_TOO_DEEP ||
                         err == PCRE2_ERROR_HEAP_FAILED;
        if (d && !resources)
            abort();
        val_dfa_free(d);
        return 0;
    }
    if (d) {
        bool jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        pcre2_match_context *mc = pcre2_match_context_create(NULL);
        if (!md || !mc)
            abort();
        pcre2_set_match_limit(mc, 100000);
        pcre2_set_depth_limit(mc, 100000);
        int got = val_dfa_match(d, (const char *)s, n);
        if (got != 0 && got != 1)
            abort();
        /* Every narrower way of stepping gives the same answer. */
        for (int k = val_dfa_step(d) - 1; k >= 1; k--) {
            val_dfa_limit_step(d, k);
            if (val_dfa_match(d, (const char *)s, n) != got)
                abort();
        }
        int want = jit ? answer(re, s, n, 0, md, mc) : -1;
        if (core_utf8_valid((const char *)s, n)) {
            int interp = answer(re, s, n, PCRE2_NO_JIT, md, mc);
            if ((want >= 0 && want != got) || (interp >= 0 && interp != got))
                abort();
        } else if (got != 0 || want == 1) {
            abort();
        }
        pcre2_match_data_free(md);
        pcre2_match_context_free(mc);
    }
    val_dfa_free(d);
    pcre2_code_free(re);
    return 0;
}
