/* validators/string.c — pattern and length checks (see string.h). */
#include "validators/string.h"

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

int val_pattern_match_rc(const rules_field *f, pcre2_match_data *md, const char *p,
                         size_t n, int *rc)
{
    return val_pattern_match_known(f, md, p, n, false, rc);
}

int val_pattern_match_known(const rules_field *f, pcre2_match_data *md, const char *p,
                            size_t n, bool valid_utf8, int *rc)
{
    if (rc)
        *rc = 0;
    if (!f->pattern)
        return 1;
    PCRE2_SPTR s = (PCRE2_SPTR)(n ? p : "");
    int r;
    /* pcre2_jit_match skips pcre2's UTF-8 check (invalid input would be
     * undefined behaviour): only valid text takes the fast path; the rest goes
     * through pcre2_match, which checks it for a UTF pattern (and matches it
     * as bytes for a non-UTF one). */
    if (f->pattern_jit && (valid_utf8 || core_utf8_valid(p, n)))
        r = pcre2_jit_match(f->pattern, s, n, 0, 0, md, NULL);
    else
        r = pcre2_match(f->pattern, s, n, 0, 0, md, NULL);
    if (r >= 0) /* 0: matched, ovector too small (never here) */
        return 1;
    if (r == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc)
        *rc = r;
    return -1;
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
