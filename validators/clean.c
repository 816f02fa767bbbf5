/* validators/clean.c — the cleaning steps (see clean.h): the driver, the
 * ASCII fast paths, map, replace and default. The Unicode work is in
 * unicode.c and mojibake.c. No <ctype.h>: the process locale never changes a
 * result. */
#include "validators/clean.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "core/utf8.h"
#include "validators/string.h"
#include "validators/unicode.h"

struct val_clean_worker {
    val_uni_bufs u;
    core_buf tmp;            /* out-of-place results; trades places with scratch */
    pcre2_match_data *md;    /* replace steps; grown to the largest pattern met */
    pcre2_match_context *mc; /* replace steps: the limits of validators/string.h */
    const rules_clean *limit_step; /* the replace step that hit a limit */
    int limit_rc;                  /* and pcre2's result */
    bool force_icu;
};

/* The value between steps: where its bytes are, and whether they are ours
 * to rewrite (they are in scratch). */
typedef struct clean_cur {
    const char *p;
    size_t n;
    bool in_scratch;
    int ascii;     /* the value is pure ASCII: 1 yes, 0 no, -1 not known yet */
} clean_cur;

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
    case RS_CASEFOLD: return "casefold";
    case RS_NFKC: return "nfkc";
    case RS_FIX_MOJIBAKE: return "fix_mojibake";
    case RS_MAP: return "map";
    case RS_REPLACE: return "replace";
    }
    return "unknown";
}

bool val_is_missing(const struct assay_rules *r, const char *p, size_t n)
{
    if (!r)
        return n == 0;
    return val_maybe_missing(r, p, n) && val_missing_listed(r, p, n);
}

bool val_missing_listed(const struct assay_rules *r, const char *p, size_t n)
{
    if (!r->missing_values)
        return n == 0;
    for (size_t i = 0; i < r->nmissing; i++)
        if (r->missing_lens[i] == n &&
            (n == 0 || (r->missing_values[i][0] == p[0] &&
                        memcmp(r->missing_values[i] + 1, p + 1, n - 1) == 0)))
            return true;
    return false;
}

bool val_clean_has(const rules_field *f, rules_step s)
{
    for (size_t i = 0; i < f->nclean; i++)
        if (f->clean[i].step == s)
            return true;
    return false;
}

/* ---- workers ------------------------------------------------------------ */

val_clean_worker *val_clean_worker_new(const struct assay_rules *r)
{
    val_clean_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    core_buf_init(&w->tmp, 0);
    uint32_t most = 0;
    bool any = false;
    for (size_t i = 0; r && i < r->nfields; i++)
        for (size_t k = 0; k < r->fields[i].nclean; k++) {
            uint32_t caps = 0;
            const pcre2_code *re = r->fields[i].clean[k].re;
            if (!re)
                continue;
            any = true;
            if (pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &caps) == 0 && caps > most)
                most = caps;
        }
    if (any && (!(w->md = pcre2_match_data_create(most + 1, NULL)) ||
                !(w->mc = val_match_context_new()))) {
        pcre2_match_data_free(w->md);
        free(w);
        return NULL;
    }
    return w;
}

void val_clean_worker_free(val_clean_worker *w)
{
    if (!w)
        return;
    val_uni_bufs_free(&w->u);
    core_buf_free(&w->tmp);
    pcre2_match_data_free(w->md);
    val_match_context_free(w->mc);
    free(w);
}

int val_clean_worker_take_limit(val_clean_worker *w, const rules_clean **step)
{
    int rc = w ? w->limit_rc : 0;
    if (step)
        *step = w ? w->limit_step : NULL;
    if (w) {
        w->limit_rc = 0;
        w->limit_step = NULL;
    }
    return rc;
}

void val_clean_worker_force_icu(val_clean_worker *w, bool on)
{
    w->force_icu = on;
}

/* ---- moving bytes ------------------------------------------------------- */

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

/* The result a step wrote into w->tmp becomes the value: the two buffers
 * trade their memory (each keeps its own ceiling, which is the same). */
static void take_tmp(clean_cur *c, core_buf *scratch, core_buf *tmp)
{
    core_buf t = *scratch;
    scratch->data = tmp->data;
    scratch->len = tmp->len;
    scratch->cap = tmp->cap;
    tmp->data = t.data;
    tmp->len = 0;
    tmp->cap = t.cap;
    c->p = scratch->data ? scratch->data : "";
    c->n = scratch->len;
    c->in_scratch = true;
}

/* An out-of-place step's answer: 1 (result in tmp), 0 (same) or -status. */
static assay_status settle(int r, clean_cur *c, core_buf *scratch, core_buf *tmp,
                           bool *changed)
{
    if (r < 0)
        return (assay_status)-r;
    *changed = r > 0;
    if (r > 0)
        take_tmp(c, scratch, tmp);
    return ASSAY_OK;
}

/* ---- ASCII paths ---------------------------------------------------------- */

static bool all_ascii(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, u + i, 8);
        if (w & 0x8080808080808080ULL)
            return false;
    }
    for (; i < n; i++)
        if (u[i] & 0x80)
            return false;
    return true;
}

/* Is the value pure ASCII? Found once, then kept by the steps that keep it. */
static bool cur_ascii(clean_cur *c)
{
    if (c->ascii < 0)
        c->ascii = all_ascii(c->p, c->n);
    return c->ascii != 0;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r'); /* TAB LF VT FF CR */
}

static void ascii_trim(clean_cur *c, bool *changed)
{
    const unsigned char *u = (const unsigned char *)c->p;
    size_t a = 0, b = c->n;
    while (a < b && is_space(u[a]))
        a++;
    while (b > a && is_space(u[b - 1]))
        b--;
    *changed = a > 0 || b < c->n;
    c->p += a;
    c->n = b - a;
}

/* Index of the first byte collapse_spaces would rewrite in ASCII text, or n. */
static size_t ascii_collapse_first(const unsigned char *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_space(u[i]) && (u[i] != ' ' || (i + 1 < n && is_space(u[i + 1]))))
            return i;
    return n;
}

static size_t ascii_collapse(unsigned char *w, size_t n, size_t i)
{
    size_t out = i;
    bool in_run = false;
    for (; i < n; i++) {
        if (is_space(w[i])) {
            if (!in_run)
                w[out++] = ' ';
            in_run = true;
        } else {
            w[out++] = w[i];
            in_run = false;
        }
    }
    return out;
}

/* lower (to_upper false) or upper of pure ASCII text. */
static assay_status ascii_case(clean_cur *c, core_buf *scratch, bool to_upper, bool *changed)
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

/* ---- the steps ------------------------------------------------------------ */

static assay_status step_collapse(clean_cur *c, core_buf *scratch, bool generic,
                                  bool *changed)
{
    bool ascii = !generic && cur_ascii(c);
    size_t i = ascii ? ascii_collapse_first((const unsigned char *)c->p, c->n)
                     : val_uni_collapse_first(c->p, c->n, generic);
    *changed = i < c->n;
    if (!*changed)
        return ASSAY_OK;
    assay_status st = make_writable(c, scratch);
    if (st)
        return st;
    char *w = (char *)(uintptr_t)c->p;
    c->n = ascii ? ascii_collapse((unsigned char *)w, c->n, i)
                 : val_uni_collapse(w, c->n, i, generic);
    return ASSAY_OK;
}

static assay_status step_case(const rules_field *f, rules_step s, clean_cur *c,
                              core_buf *scratch, val_clean_worker *w, bool *changed)
{
    if (!w->force_icu && !f->case_needs_icu && cur_ascii(c))
        return ascii_case(c, scratch, s == RS_UPPER, changed);
    val_case_op op = s == RS_LOWER ? VAL_CASE_LOWER : s == RS_UPPER ? VAL_CASE_UPPER
                                                                      : VAL_CASE_FOLD;
    int r = val_uni_case(&w->u, op, f->case_locale ? f->case_locale : "", c->p, c->n,
                         &w->tmp);
    return settle(r, c, scratch, &w->tmp, changed);
}

static assay_status step_normalize(bool nfkc, clean_cur *c, core_buf *scratch,
                                   val_clean_worker *w, bool *changed)
{
    if (!w->force_icu && cur_ascii(c))
        return ASSAY_OK;
    return settle(val_uni_normalize(&w->u, nfkc, c->p, c->n, &w->tmp), c, scratch,
                  &w->tmp, changed);
}

static assay_status step_strip_control(clean_cur *c, core_buf *scratch, bool *changed)
{
    size_t i = val_control_at(c->p, c->n);
    *changed = i < c->n;
    if (!*changed)
        return ASSAY_OK;
    assay_status st = make_writable(c, scratch);
    if (!st)
        c->n = val_strip_control((char *)(uintptr_t)c->p, c->n, i);
    return st;
}

static assay_status step_replace_invalid(clean_cur *c, core_buf *scratch,
                                         val_clean_worker *w, bool *changed)
{
    if (core_utf8_valid(c->p, c->n))
        return ASSAY_OK;
    assay_status st = val_utf8_replace_invalid(c->p, c->n, &w->tmp);
    return settle(st ? -(int)st : 1, c, scratch, &w->tmp, changed);
}

/* The value becomes (p, n), text of the rules: true when that changed it. */
static bool set_rules_text(clean_cur *c, const char *p, size_t n)
{
    bool same = n == c->n && (n == 0 || memcmp(p, c->p, n) == 0);
    c->p = p;
    c->n = n;
    c->in_scratch = false;
    return !same;
}

static bool step_default(clean_cur *c, const rules_clean *step,
                         const struct assay_rules *r)
{
    if (c->n != 0 && !val_is_missing(r, c->p, c->n))
        return false;
    return set_rules_text(c, step->arg ? step->arg : "", step->arg_len);
}

static bool step_map(clean_cur *c, const rules_clean *step)
{
    const char *v;
    size_t vn;
    if (!step->map || !val_map_find(step->map, c->p, c->n, &v, &vn))
        return false;
    return set_rules_text(c, vn ? v : "", vn);
}

/* Appends the global substitution of valid UTF-8 (p, n) to out, under the
 * match limits for n (validators/string.h) when w has a match context. A
 * match error (a limit) copies the text unchanged and, for a limit, tells w
 * (val_clean_worker_take_limit). */
static assay_status substitute_in(const rules_clean *step, val_clean_worker *w,
                                  const char *p, size_t n, core_buf *out)
{
    uint32_t opts = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
                    PCRE2_NO_UTF_CHECK;
    size_t want = n + 64;
    for (int attempt = 0; attempt < 2; attempt++) {
        assay_status st = core_buf_reserve(out, want);
        if (st)
            return st;
        PCRE2_SIZE len = out->cap - out->len;
        int rc = pcre2_substitute(step->re, (PCRE2_SPTR)(n ? p : ""), n, 0, opts, w->md,
                                  w->mc, (PCRE2_SPTR)(step->arg ? step->arg : ""),
                                  step->arg_len, (PCRE2_UCHAR *)out->data + out->len, &len);
        if (rc == PCRE2_ERROR_NOMEMORY) {
            want = (size_t)len + 1;
            continue;
        }
        if (rc < 0) {
            if (val_match_limit_hit(rc) && !w->limit_rc) {
                w->limit_rc = rc;
                w->limit_step = step;
            }
            break;
        }
        out->len += (size_t)len;
        return ASSAY_OK;
    }
    return core_buf_append(out, p, n);
}

static assay_status substitute(const rules_clean *step, val_clean_worker *w,
                               const char *p, size_t n, core_buf *out)
{
    bool longer = n > VAL_MATCH_LIMIT_FLOOR && w->mc;
    if (longer)
        val_match_context_limit(w->mc, n);
    assay_status st = substitute_in(step, w, p, n, out);
    if (longer)
        val_match_context_limit(w->mc, 0);
    return st;
}

/* replace into w->tmp: the text between bytes that are not UTF-8 is
 * replaced stretch by stretch (pcre2 is given valid text only: its check of
 * invalid text on every match would cost time quadratic in the length); the
 * bad bytes stay. 1 changed, 0 same, negative status. */
static int replace_into(const rules_clean *step, val_clean_worker *w, const char *p,
                        size_t n, core_buf *out)
{
    uint32_t groups = 0;
    pcre2_pattern_info(step->re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (!w->md || pcre2_get_ovector_count(w->md) <= groups) {
        pcre2_match_data_free(w->md);
        if (!(w->md = pcre2_match_data_create(groups + 1, NULL)))
            return -(int)ASSAY_E_NOMEM;
    }
    core_buf_clear(out);
    size_t i = 0;
    assay_status st = ASSAY_OK;
    do {
        size_t good = core_utf8_invalid_at(p + i, n - i);
        st = substitute(step, w, p + i, good, out);
        i += good;
        if (i < n && !st) {
            uint32_t cp;
            size_t bad = val_utf8_next(p, n, i, &cp);
            st = core_buf_append(out, p + i, bad);
            i += bad;
        }
    } while (i < n && !st);
    if (st)
        return -(int)st;
    return out->len != n || (n && memcmp(out->data, p, n) != 0);
}

/* Does step s turn ASCII text into ASCII text? */
static bool keeps_ascii(const rules_field *f, rules_step s)
{
    switch (s) {
    case RS_TRIM:
    case RS_COLLAPSE_SPACES:
    case RS_NFC:
    case RS_NFKC:
    case RS_STRIP_CONTROL:
    case RS_REPLACE_INVALID:
    case RS_FIX_MOJIBAKE:
        return true;
    case RS_LOWER:
    case RS_UPPER:
    case RS_CASEFOLD:
        return !f->case_needs_icu;
    default:
        return false;
    }
}

static assay_status run_step(const rules_field *f, const rules_clean *step,
                             const struct assay_rules *r, val_clean_worker *w,
                             clean_cur *c, core_buf *scratch, bool *changed)
{
    size_t a, b;
    bool generic = w->force_icu;
    *changed = false;
    switch (step->step) {
    case RS_TRIM:
        if (!generic && cur_ascii(c)) {
            ascii_trim(c, changed);
            return ASSAY_OK;
        }
        val_uni_trim(c->p, c->n, generic, &a, &b);
        *changed = a > 0 || b < c->n;
        c->p += a;
        c->n = b - a;
        return ASSAY_OK;
    case RS_COLLAPSE_SPACES:
        return step_collapse(c, scratch, generic, changed);
    case RS_LOWER:
    case RS_UPPER:
    case RS_CASEFOLD:
        return step_case(f, step->step, c, scratch, w, changed);
    case RS_NFC:
    case RS_NFKC:
        return step_normalize(step->step == RS_NFKC, c, scratch, w, changed);
    case RS_STRIP_CONTROL:
        return step_strip_control(c, scratch, changed);
    case RS_REPLACE_INVALID:
        return step_replace_invalid(c, scratch, w, changed);
    case RS_FIX_MOJIBAKE:
        return settle(val_mojibake_fix(c->p, c->n, &w->tmp), c, scratch, &w->tmp, changed);
    case RS_MAP:
        *changed = step_map(c, step);
        return ASSAY_OK;
    case RS_REPLACE:
        if (!step->re)
            return ASSAY_OK;
        return settle(replace_into(step, w, c->p, c->n, &w->tmp), c, scratch, &w->tmp,
                      changed);
    case RS_DEFAULT:
        *changed = step_default(c, step, r);
        return ASSAY_OK;
    }
    return ASSAY_OK;
}

assay_status val_clean_apply_w(const rules_field *f, const struct assay_rules *r,
                               val_clean_worker *w, const char *in, size_t n,
                               core_buf *scratch, const char **out, size_t *out_n,
                               uint32_t *changed_steps)
{
    clean_cur c = {in, n, false, -1};
    uint32_t steps = 0;
    val_clean_worker local;
    assay_status st = ASSAY_OK;
    *out = in;
    *out_n = n;
    *changed_steps = 0;
    if (f->nclean == 0)
        return ASSAY_OK;
    if (!w) {
        memset(&local, 0, sizeof local);
        core_buf_init(&local.tmp, 0);
        w = &local;
    }
    w->tmp.limit = scratch->limit;
    w->u.limit = scratch->limit;
    for (size_t i = 0; i < f->nclean && !st; i++) {
        bool changed;
        st = run_step(f, &f->clean[i], r, w, &c, scratch, &changed);
        if (!st && changed) {
            steps |= VAL_STEP_BIT(f->clean[i].step);
            if (c.ascii != 1 || !keeps_ascii(f, f->clean[i].step))
                c.ascii = -1;
        }
    }
    if (w == &local) {
        val_uni_bufs_free(&local.u);
        core_buf_free(&local.tmp);
        pcre2_match_data_free(local.md);
    }
    if (st || steps == 0 || (c.n == n && (c.p == in || n == 0 || memcmp(c.p, in, n) == 0)))
        return st;
    *out = c.p;
    *out_n = c.n;
    *changed_steps = steps;
    return ASSAY_OK;
}

assay_status val_clean_apply(const rules_field *f, const struct assay_rules *r,
                             const char *in, size_t n, core_buf *scratch,
                             const char **out, size_t *out_n,
                             uint32_t *changed_steps)
{
    return val_clean_apply_w(f, r, NULL, in, n, scratch, out, out_n, changed_steps);
}

/* ---- bounds --------------------------------------------------------------- */

static size_t sat_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
    return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/* The literal bytes and group references of a replace step's "with". */
static void with_parts(const char *s, size_t n, size_t *lit, size_t *refs)
{
    *lit = *refs = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '$' || i + 1 >= n) {
            (*lit)++;
            continue;
        }
        i++;
        if (s[i] == '$') {
            (*lit)++;
        } else if (s[i] == '{') {
            while (i < n && s[i] != '}')
                i++;
            (*refs)++;
        } else {
            while (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
                i++;
            (*refs)++;
        }
    }
}

size_t val_clean_bound(const rules_field *f, size_t n)
{
    for (size_t i = 0; i < f->nclean; i++) {
        const rules_clean *s = &f->clean[i];
        size_t lit, refs;
        switch (s->step) {
        case RS_TRIM:
        case RS_COLLAPSE_SPACES:
        case RS_STRIP_CONTROL:
        case RS_FIX_MOJIBAKE:
            break;
        case RS_LOWER:
        case RS_UPPER:
        case RS_CASEFOLD:
        case RS_NFC:
        case RS_REPLACE_INVALID:
            n = sat_mul(n, 3);
            break;
        case RS_NFKC:
            n = sat_mul(n, 11);
            break;
        case RS_DEFAULT:
            n = n > s->arg_len ? n : s->arg_len;
            break;
        case RS_MAP:
            n = n > val_map_longest(s->map) ? n : val_map_longest(s->map);
            break;
        case RS_REPLACE:
            with_parts(s->arg ? s->arg : "", s->arg_len, &lit, &refs);
            n = sat_add(sat_add(n, sat_mul(sat_add(n, 1), lit)), sat_mul(refs, n));
            break;
        }
    }
    return n;
}

/* ---- map tables ------------------------------------------------------------ */

struct val_map {
    size_t count, max, nslots;
    size_t longest;          /* the longest value */
    char **keys, **vals;
    size_t *klen, *vlen;
    int32_t *slots;          /* index into keys, -1 empty */
};

val_map *val_map_new(size_t max)
{
    val_map *m = calloc(1, sizeof *m);
    if (!m || max > INT32_MAX / 4)
        goto fail;
    m->max = max;
    m->nslots = 8;
    while (m->nslots < max * 2)
        m->nslots *= 2;
    m->keys = calloc(max ? max : 1, sizeof *m->keys);
    m->vals = calloc(max ? max : 1, sizeof *m->vals);
    m->klen = calloc(max ? max : 1, sizeof *m->klen);
    m->vlen = calloc(max ? max : 1, sizeof *m->vlen);
    m->slots = malloc(m->nslots * sizeof *m->slots);
    if (!m->keys || !m->vals || !m->klen || !m->vlen || !m->slots)
        goto fail;
    for (size_t i = 0; i < m->nslots; i++)
        m->slots[i] = -1;
    return m;
fail:
    val_map_free(m);
    return NULL;
}

static size_t map_slot(const val_map *m, const char *p, size_t n)
{
    size_t i = (size_t)XXH3_64bits(p, n) & (m->nslots - 1);
    while (m->slots[i] >= 0) {
        size_t k = (size_t)m->slots[i];
        if (m->klen[k] == n && (n == 0 || memcmp(m->keys[k], p, n) == 0))
            return i;
        i = (i + 1) & (m->nslots - 1);
    }
    return i;
}

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

int val_map_add(val_map *m, const char *k, size_t kn, const char *v, size_t vn)
{
    size_t i = map_slot(m, k, kn);
    if (m->slots[i] >= 0)
        return 0;
    if (m->count >= m->max)
        return -1;
    char *kd = dup_bytes(k, kn), *vd = dup_bytes(v, vn);
    if (!kd || !vd) {
        free(kd);
        free(vd);
        return -1;
    }
    m->keys[m->count] = kd;
    m->vals[m->count] = vd;
    m->klen[m->count] = kn;
    m->vlen[m->count] = vn;
    if (vn > m->longest)
        m->longest = vn;
    m->slots[i] = (int32_t)m->count++;
    return 1;
}

bool val_map_find(const val_map *m, const char *p, size_t n, const char **v, size_t *vn)
{
    size_t i = map_slot(m, p, n);
    if (m->slots[i] < 0)
        return false;
    *v = m->vals[m->slots[i]];
    *vn = m->vlen[m->slots[i]];
    return true;
}

size_t val_map_count(const val_map *m)
{
    return m ? m->count : 0;
}

size_t val_map_longest(const val_map *m)
{
    return m ? m->longest : 0;
}

void val_map_free(val_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++) {
        free(m->keys[i]);
        free(m->vals[i]);
    }
    free(m->keys);
    free(m->vals);
    free(m->klen);
    free(m->vlen);
    free(m->slots);
    free(m);
}

/* ---- replace ---------------------------------------------------------------- */

/* Checks the group references of "with" against re. */
static bool with_ok(const pcre2_code *re, const char *s, size_t n, char *err, size_t cap)
{
    uint32_t groups = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '$')
            continue;
        if (++i >= n) {
            snprintf(err, cap, "\"with\" ends with a lone \"$\" (write \"$$\" for a dollar)");
            return false;
        }
        if (s[i] == '$')
            continue;
        char name[64];
        size_t len = 0;
        bool braced = s[i] == '{';
        if (braced)
            i++;
        while (i < n && len + 1 < sizeof name &&
               (braced ? s[i] != '}' : (s[i] >= '0' && s[i] <= '9'))) {
            name[len++] = s[i];
            if (!braced && (i + 1 >= n || s[i + 1] < '0' || s[i + 1] > '9'))
                break;
            i++;
        }
        name[len] = '\0';
        if (len == 0 || (braced && (i >= n || s[i] != '}'))) {
            snprintf(err, cap, "a \"$\" in \"with\" must be followed by a group number, "
                     "{number}, {name} or another \"$\"");
            return false;
        }
        bool numeric = name[0] >= '0' && name[0] <= '9';
        if (numeric ? strtoul(name, NULL, 10) > groups
                    : pcre2_substring_number_from_name(re, (PCRE2_SPTR)name) < 0) {
            snprintf(err, cap, "\"with\" refers to group %s, which the pattern does not "
                     "have (it has %u)", name, groups);
            return false;
        }
    }
    return true;
}

pcre2_code *val_replace_compile(const char *pat, size_t pn, const char *with, size_t wn,
                                bool *jit, char *err, size_t cap)
{
    int code = 0;
    PCRE2_SIZE off = 0;
    *jit = false;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, pn, PCRE2_UTF, &code, &off, NULL);
    if (!re && code == PCRE2_ERROR_HEAP_FAILED) {
        err[0] = '\0'; /* out of memory, not a bad pattern */
        return NULL;
    }
    if (!re) {
        PCRE2_UCHAR msg[200];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", code);
        snprintf(err, cap, "pattern does not compile: %s at offset %zu", (char *)msg,
                 (size_t)off);
        return NULL;
    }
    if (!with_ok(re, with, wn, err, cap)) {
        pcre2_code_free(re);
        return NULL;
    }
    int jc = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    if (jc == PCRE2_ERROR_NOMEMORY) {
        pcre2_code_free(re);
        err[0] = '\0';
        return NULL;
    }
    *jit = jc == 0;
    return re;
}
