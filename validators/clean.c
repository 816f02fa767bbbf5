/* validators/clean.c — the cleaning steps (see clean.h). ASCII only, by
 * hand: no <ctype.h>, so the process locale never changes a result. */
#include "validators/clean.h"

#include <string.h>

/* The value between steps: where its bytes are, and whether they are ours
 * to rewrite (they are in scratch). */
typedef struct clean_cur {
    const char *p;
    size_t n;
    bool in_scratch;
} clean_cur;

static bool is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r'); /* TAB LF VT FF CR */
}

const char *val_step_name(rules_step step)
{
    switch (step) {
    case RS_TRIM: return "trim";
    case RS_COLLAPSE_SPACES: return "collapse_spaces";
    case RS_LOWER: return "lower";
    case RS_UPPER: return "upper";
    case RS_NFC: return "nfc";
    case RS_STRIP_CONTROL: return "strip_control";
    case RS_REPLACE_INVALID: return "replace_invalid";
    case RS_DEFAULT: return "default";
    }
    return "unknown";
}

bool val_is_missing(const struct assay_rules *r, const char *p, size_t n)
{
    if (!r || !r->missing_values)
        return n == 0;
    for (size_t i = 0; i < r->nmissing; i++)
        if (r->missing_lens[i] == n && (n == 0 || memcmp(r->missing_values[i], p, n) == 0))
            return true;
    return false;
}

/* Moves the value into scratch so that a step may rewrite it in place. */
static assay_status make_writable(clean_cur *c, core_buf *scratch)
{
    if (c->in_scratch)
        return ASSAY_OK;
    core_buf_clear(scratch);
    assay_status st = core_buf_append(scratch, c->p, c->n);
    if (st)
        return st;
    c->p = scratch->data ? scratch->data : "";
    c->in_scratch = true;
    return ASSAY_OK;
}

static bool step_trim(clean_cur *c)
{
    const unsigned char *u = (const unsigned char *)c->p;
    size_t a = 0, b = c->n;
    while (a < b && is_space(u[a]))
        a++;
    while (b > a && is_space(u[b - 1]))
        b--;
    if (a == 0 && b == c->n)
        return false;
    c->p += a;
    c->n = b - a;
    return true;
}

/* Index of the first byte collapse_spaces would rewrite, or n. */
static size_t collapse_first(const unsigned char *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_space(u[i]) && (u[i] != ' ' || (i + 1 < n && is_space(u[i + 1]))))
            return i;
    return n;
}

static assay_status step_collapse(clean_cur *c, core_buf *scratch, bool *changed)
{
    size_t i = collapse_first((const unsigned char *)c->p, c->n);
    *changed = i < c->n;
    if (!*changed)
        return ASSAY_OK;
    assay_status st = make_writable(c, scratch);
    if (st)
        return st;
    unsigned char *w = (unsigned char *)(uintptr_t)c->p;
    size_t out = i;
    bool in_run = false;
    for (; i < c->n; i++) {
        if (is_space(w[i])) {
            if (!in_run)
                w[out++] = ' ';
            in_run = true;
        } else {
            w[out++] = w[i];
            in_run = false;
        }
    }
    c->n = out;
    return ASSAY_OK;
}

/* lower (to_upper false) or upper: ASCII letters only. */
static assay_status step_case(clean_cur *c, core_buf *scratch, bool to_upper,
                              bool *changed)
{
    unsigned char lo = to_upper ? 'a' : 'A', hi = to_upper ? 'z' : 'Z';
    const unsigned char *u = (const unsigned char *)c->p;
    size_t i = 0;
    while (i < c->n && (u[i] < lo || u[i] > hi))
        i++;
    *changed = i < c->n;
    if (!*changed)
        return ASSAY_OK;
    assay_status st = make_writable(c, scratch);
    if (st)
        return st;
    unsigned char *w = (unsigned char *)(uintptr_t)c->p;
    for (; i < c->n; i++)
        if (w[i] >= lo && w[i] <= hi)
            w[i] ^= 0x20; /* ASCII case bit */
    return ASSAY_OK;
}

static bool step_default(clean_cur *c, const rules_clean *step,
                         const struct assay_rules *r)
{
    if (c->n != 0 && !val_is_missing(r, c->p, c->n))
        return false;
    const char *arg = step->arg ? step->arg : "";
    bool same = step->arg_len == c->n && (c->n == 0 || memcmp(arg, c->p, c->n) == 0);
    c->p = arg;
    c->n = step->arg_len;
    c->in_scratch = false;
    return !same;
}

static assay_status run_step(const rules_clean *step, const struct assay_rules *r,
                             clean_cur *c, core_buf *scratch, bool *changed)
{
    *changed = false;
    switch (step->step) {
    case RS_TRIM:
        *changed = step_trim(c);
        return ASSAY_OK;
    case RS_COLLAPSE_SPACES:
        return step_collapse(c, scratch, changed);
    case RS_LOWER:
    case RS_UPPER:
        return step_case(c, scratch, step->step == RS_UPPER, changed);
    case RS_DEFAULT:
        *changed = step_default(c, step, r);
        return ASSAY_OK;
    case RS_NFC:
    case RS_STRIP_CONTROL:
    case RS_REPLACE_INVALID:
        return ASSAY_OK; /* not implemented in this version */
    }
    return ASSAY_OK;
}

assay_status val_clean_apply(const rules_field *f, const struct assay_rules *r,
                             const char *in, size_t n, core_buf *scratch,
                             const char **out, size_t *out_n,
                             uint32_t *changed_steps)
{
    clean_cur c = { in, n, false };
    uint32_t steps = 0;
    *out = in;
    *out_n = n;
    *changed_steps = 0;
    for (size_t i = 0; i < f->nclean; i++) {
        bool changed;
        assay_status st = run_step(&f->clean[i], r, &c, scratch, &changed);
        if (st)
            return st;
        if (changed)
            steps |= VAL_STEP_BIT(f->clean[i].step);
    }
    if (steps == 0 || (c.n == n && (c.p == in || n == 0 || memcmp(c.p, in, n) == 0)))
        return ASSAY_OK;
    *out = c.p;
    *out_n = c.n;
    *changed_steps = steps;
    return ASSAY_OK;
}
