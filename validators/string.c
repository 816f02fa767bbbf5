/* validators/string.c — pattern and length checks (see string.h). */
#include "validators/string.h"
#include "validators/dfa.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

pcre2_match_data *val_match_data_new(const struct assay_rules *r)
{
    uint32_t most = 0;
    for (size_t i = 0; r && i < r->nfields; i++) {
        uint32_t captures = 0;
        const pcre2_code *code = r->fields[i].pattern;
        if (code && pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures) == 0 &&
            captures > most)
            most = captures;
    }
    return pcre2_match_data_create(most + 1, NULL);
}

void val_match_data_free(pcre2_match_data *md)
{
    pcre2_match_data_free(md);
}

pcre2_match_context *val_match_context_new(void)
{
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    val_match_context_limit(mc, 0);
    return mc;
}

void val_match_context_free(pcre2_match_context *mc)
{
    pcre2_match_context_free(mc);
}

uint32_t val_match_limit(size_t n)
{
    if (n < VAL_MATCH_LIMIT_FLOOR)
        n = VAL_MATCH_LIMIT_FLOOR;
    uint64_t steps = (uint64_t)VAL_MATCH_LIMIT_PER_BYTE * n; /* n < 2^40 in practice */
    if (n > UINT32_MAX || steps > UINT32_MAX - VAL_MATCH_LIMIT_BASE)
        return UINT32_MAX;
    return (uint32_t)steps + VAL_MATCH_LIMIT_BASE;
}

static uint32_t heap_limit_kib(size_t n)
{
    if (n < VAL_MATCH_LIMIT_FLOOR)
        n = VAL_MATCH_LIMIT_FLOOR;
    uint64_t kib = (uint64_t)(n > UINT32_MAX ? UINT32_MAX : n) * VAL_HEAP_LIMIT_PER_BYTE / 1024;
    return kib > UINT32_MAX - VAL_HEAP_LIMIT_BASE_KIB ? UINT32_MAX
                                                       : (uint32_t)kib + VAL_HEAP_LIMIT_BASE_KIB;
}

void val_match_context_limit(pcre2_match_context *mc, size_t n)
{
    if (!mc)
        return;
    uint32_t steps = val_match_limit(n);
    pcre2_set_match_limit(mc, steps);
    pcre2_set_depth_limit(mc, steps);
    pcre2_set_heap_limit(mc, heap_limit_kib(n));
}

bool val_match_limit_hit(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

int val_regex_match(const pcre2_code *re, bool jit, const char *s, size_t n,
                    uint32_t options, pcre2_match_data *md, pcre2_match_context *mc)
{
    PCRE2_SPTR subj = (PCRE2_SPTR)(n ? s : "");
    bool longer = n > VAL_MATCH_LIMIT_FLOOR && mc;
    if (longer)
        val_match_context_limit(mc, n);
    /* pcre2_match takes the JIT path by itself (after its UTF-8 check) when
     * re is JIT-compiled: the retry says PCRE2_NO_JIT. */
    int r = jit ? pcre2_jit_match(re, subj, n, 0, options, md, mc)
                : pcre2_match(re, subj, n, 0, options, md, mc);
    if (r == PCRE2_ERROR_JIT_STACKLIMIT)
        r = pcre2_match(re, subj, n, 0, options | PCRE2_NO_JIT, md, mc);
    if (longer)
        val_match_context_limit(mc, 0);
    return r;
}

int val_pattern_match_rc(const rules_field *f, pcre2_match_data *md, const char *p,
                         size_t n, int *rc)
{
    return val_pattern_match_known(f, md, NULL, p, n, false, rc);
}

int val_pattern_match_known(const rules_field *f, pcre2_match_data *md,
                            pcre2_match_context *mc, const char *p, size_t n,
                            bool valid_utf8, int *rc)
{
    if (rc)
        *rc = 0;
    if (!f->pattern)
        return 1;
    if (f->pattern_dfa) /* the same answer, never a limit */
        return val_dfa_match(f->pattern_dfa, p, n);
    /* pcre2_jit_match skips pcre2's UTF-8 check (invalid input would be
     * undefined behaviour): only valid text takes the fast path; the rest goes
     * through pcre2_match, which checks it for a UTF pattern (and matches it
     * as bytes for a non-UTF one). */
    bool jit = f->pattern_jit && (valid_utf8 || core_utf8_valid(p, n));
    int r = val_regex_match(f->pattern, jit, p, n, 0, md, mc);
    if (r >= 0) /* 0: matched, ovector too small (never here) */
        return 1;
    if (r == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc)
        *rc = r;
    return val_match_limit_hit(r) ? VAL_PATTERN_LIMIT : -1;
}

int val_pattern_match(const rules_field *f, pcre2_match_data *md, const char *p,
                      size_t n)
{
    return val_pattern_match_rc(f, md, p, n, NULL);
}

const char *val_pattern_error(int rc, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (pcre2_get_error_message(rc, (PCRE2_UCHAR *)buf, cap) == PCRE2_ERROR_BADDATA)
        snprintf(buf, cap, "pattern match error %d", rc);
    return buf;
}

int val_length_check(const rules_field *f, size_t cps)
{
    if (f->min_length >= 0 && (uint64_t)cps < (uint64_t)f->min_length)
        return -1;
    if (f->max_length >= 0 && (uint64_t)cps > (uint64_t)f->max_length)
        return 1;
    return 0;
}

const char *val_pattern_limit_message(int rc, size_t n, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    if (rc == PCRE2_ERROR_HEAPLIMIT)
        snprintf(buf, cap, "needed more than %" PRIu32 " KiB of memory on this value "
                 "(pcre2 heap limit)", heap_limit_kib(n));
    else if (rc == PCRE2_ERROR_DEPTHLIMIT)
        snprintf(buf, cap, "backtracked deeper than %" PRIu32 " on this value "
                 "(pcre2 depth limit)", val_match_limit(n));
    else if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        snprintf(buf, cap, "needed more than the JIT stack on this value "
                 "(pcre2 JIT stack limit)");
    else
        snprintf(buf, cap, "needed more than %" PRIu32 " steps on this value "
                 "(pcre2 match limit)", val_match_limit(n));
    return buf;
}
