/* validators/expr_eval.c — the record-rule evaluator (see expr_eval.h).
 *
 * A recursive walk of the compiled node array (its depth is bounded by
 * EXPR_MAX_DEPTH at compile time) over small by-value working values. Nothing
 * allocates per record: the only buffer (for matches() on a lower()/upper()
 * string) grows to the largest subject once and is reused. */
#include "validators/expr_eval.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"
#include "rules/expr.h"
#include "validators/string.h"

__extension__ typedef __int128 i128;

struct expr_state {
    const struct assay_rules *plan;
    int64_t today, now;
    pcre2_match_data *md;
    pcre2_match_context *mc; /* matches() limits (validators/string.h) */
    bool limit_hit;          /* a matches() of this evaluation hit one */
    core_buf scratch;
};

/* Subjects of matches() after lower()/upper() longer than this are null. */
#define EXPR_SCRATCH_LIMIT ((size_t)16 << 20)

static const int64_t pow10s[19] = {
    INT64_C(1), INT64_C(10), INT64_C(100), INT64_C(1000), INT64_C(10000),
    INT64_C(100000), INT64_C(1000000), INT64_C(10000000), INT64_C(100000000),
    INT64_C(1000000000), INT64_C(10000000000), INT64_C(100000000000),
    INT64_C(1000000000000), INT64_C(10000000000000), INT64_C(100000000000000),
    INT64_C(1000000000000000), INT64_C(10000000000000000),
    INT64_C(100000000000000000), INT64_C(1000000000000000000)};

expr_state *expr_state_new(const struct assay_rules *plan)
{
    expr_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->plan = plan;
    core_buf_init(&st->scratch, EXPR_SCRATCH_LIMIT);
    st->md = pcre2_match_data_create(1, NULL);
    st->mc = val_match_context_new();
    if (!st->md || !st->mc) {
        expr_state_free(st);
        return NULL;
    }
    return st;
}

void expr_state_free(expr_state *st)
{
    if (!st)
        return;
    pcre2_match_data_free(st->md);
    val_match_context_free(st->mc);
    core_buf_free(&st->scratch);
    free(st);
}

void expr_state_set_clock(expr_state *st, int64_t now_micros)
{
    st->now = now_micros;
    st->today = now_micros / EXPR_US_PER_DAY - (now_micros % EXPR_US_PER_DAY < 0);
}

int64_t expr_clock_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- values ------------------------------------------------------------ */

static expr_xv xnull(void)
{
    expr_xv v;
    v.k = XK_NULL;
    v.fold = 0;
    v.scale = 0;
    v.u.dur.months = v.u.dur.micros = 0;
    return v;
}

static expr_xv xbool(bool b)
{
    expr_xv v = xnull();
    v.k = XK_BOOL;
    v.u.b = b;
    return v;
}

static expr_xv xint(uint8_t kind, int64_t i)
{
    expr_xv v = xnull();
    v.k = kind;
    v.u.i = i;
    return v;
}

/* A number that fits int64 after dropping trailing zeros of the fraction. */
static expr_xv xfix(i128 m, int scale)
{
    while (scale > EXPR_MAX_SCALE || m > INT64_MAX || m < INT64_MIN) {
        if (scale == 0 || m % 10 != 0)
            return xnull(); /* beyond the exact range: documented as null */
        m /= 10;
        scale--;
    }
    expr_xv v = xint(XK_FIX, (int64_t)m);
    v.scale = (uint8_t)scale;
    return v;
}

static expr_xv field_value(const expr_node *nd, const expr_value *v)
{
    if (v->null)
        return xnull();
    expr_xv x = xnull();
    switch (v->kind) {
    case EXPR_V_INT:
        return nd->type == XT_NUM ? xint(XK_FIX, v->u.i) : x;
    case EXPR_V_DEC:
        if (nd->type != XT_NUM)
            return x;
        if (rules_dec_to_fix(&v->u.d, &x.u.i, &x.scale))
            x.k = XK_FIX;
        else {
            x.k = XK_DEC;
            x.u.d = &v->u.d;
        }
        return x;
    case EXPR_V_STR:
        if (nd->type != XT_STR || (!v->text && v->len))
            return x;
        x.k = XK_STR;
        x.u.s.p = v->text ? v->text : "";
        x.u.s.n = v->len;
        return x;
    case EXPR_V_BOOL: return nd->type == XT_BOOL ? xbool(v->u.b) : x;
    case EXPR_V_DATE: return nd->type == XT_DATE ? xint(XK_DATE, v->u.days) : x;
    case EXPR_V_TIME: return nd->type == XT_TIME ? xint(XK_TIME, v->u.micros) : x;
    case EXPR_V_DATETIME:
        return nd->type == XT_DATETIME ? xint(XK_DATETIME, v->u.micros) : x;
    case EXPR_V_YEARMONTH:
        return nd->type == XT_YEARMONTH ? xint(XK_YEARMONTH, v->u.months) : x;
    case EXPR_V_DURATION:
        if (nd->type != XT_DURATION)
            return x;
        x.k = XK_DURATION;
        x.u.dur.months = v->u.dur.months;
        x.u.dur.micros = v->u.dur.micros;
        return x;
    case EXPR_V_OTHER:
        x.k = nd->type == XT_OTHER ? XK_OTHER : XK_NULL;
        return x;
    }
    return x;
}

/* ---- comparison -------------------------------------------------------- */

/* A fixed number as a val_dec whose digits live in buf. */
static void fix_to_dec(const expr_xv *a, char buf[48], val_dec *out)
{
    char *q = buf + 48;
    uint64_t m = a->u.i < 0 ? 0 - (uint64_t)a->u.i : (uint64_t)a->u.i;
    char *e = q;
    int scale = a->scale;
    *--q = (char)('0' + scale % 10);
    if (scale >= 10)
        *--q = (char)('0' + scale / 10);
    *--q = '-';
    *--q = 'e';
    char *digits_end = q;
    do {
        *--q = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (a->u.i < 0)
        *--q = '-';
    (void)digits_end;
    val_number_parse(q, (size_t)(e - q), out);
}

static int num_cmp(const expr_xv *a, const expr_xv *b)
{
    if (a->k == XK_FIX && b->k == XK_FIX) {
        int s = a->scale > b->scale ? a->scale : b->scale;
        i128 x = (i128)a->u.i * pow10s[s - a->scale];
        i128 y = (i128)b->u.i * pow10s[s - b->scale];
        return x < y ? -1 : x > y;
    }
    char ba[48], bb[48];
    val_dec da, db;
    const val_dec *pa = a->u.d, *pb = b->u.d;
    if (a->k == XK_FIX) {
        fix_to_dec(a, ba, &da);
        pa = &da;
    }
    if (b->k == XK_FIX) {
        fix_to_dec(b, bb, &db);
        pb = &db;
    }
    return val_dec_cmp(pa, pb);
}

static unsigned char fold_byte(unsigned char ch, int fold)
{
    if (fold == 1 && ch >= 'A' && ch <= 'Z')
        return (unsigned char)(ch + 32);
    if (fold == 2 && ch >= 'a' && ch <= 'z')
        return (unsigned char)(ch - 32);
    return ch;
}

/* Byte order (= code point order for UTF-8), through each side's fold. */
static int str_cmp(const expr_xv *a, const expr_xv *b)
{
    size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
    const unsigned char *p = (const unsigned char *)a->u.s.p;
    const unsigned char *q = (const unsigned char *)b->u.s.p;
    if (!a->fold && !b->fold) {
        int c = n ? memcmp(p, q, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
    } else
        for (size_t i = 0; i < n; i++) {
            unsigned char x = fold_byte(p[i], a->fold), y = fold_byte(q[i], b->fold);
            if (x != y)
                return x < y ? -1 : 1;
        }
    return a->u.s.n < b->u.s.n ? -1 : a->u.s.n > b->u.s.n;
}

static int cmp3(const expr_xv *a, const expr_xv *b)
{
    switch (a->k) {
    case XK_BOOL: return (int)a->u.b - (int)b->u.b;
    case XK_FIX:
    case XK_DEC: return num_cmp(a, b);
    case XK_STR: return str_cmp(a, b);
    case XK_DURATION:
        if (a->u.dur.months == b->u.dur.months)
            return a->u.dur.micros < b->u.dur.micros ? -1
                 : a->u.dur.micros > b->u.dur.micros;
        if (a->u.dur.micros == b->u.dur.micros)
            return a->u.dur.months < b->u.dur.months ? -1 : 1;
        return VAL_CMP_UNORDERED; /* P1M against 30d: no order */
    default:
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    }
}

static bool cmp_holds(int c, expr_cmp op)
{
    if (c == VAL_CMP_UNORDERED)
        return op == XC_NE;
    switch (op) {
    case XC_EQ: return c == 0;
    case XC_NE: return c != 0;
    case XC_LT: return c < 0;
    case XC_LE: return c <= 0;
    case XC_GT: return c > 0;
    case XC_GE: return c >= 0;
    }
    return false;
}

/* ---- arithmetic -------------------------------------------------------- */

static expr_xv num_div(const expr_xv *a, const expr_xv *b)
{
    if (b->u.i == 0)
        return xnull();
    /* the most decimal places (<= 18) at which the quotient fits int64,
     * rounded half to even */
    for (int t = EXPR_MAX_SCALE; t >= 0; t--) {
        int e = t - a->scale + b->scale;
        if (e > 18)
            continue;
        i128 n = (i128)a->u.i * (e >= 0 ? pow10s[e] : 1);
        i128 d = (i128)b->u.i * (e < 0 ? pow10s[-e] : 1);
        i128 q = n / d, r = n % d;
        i128 r2 = r < 0 ? -r : r, d2 = d < 0 ? -d : d;
        if (2 * r2 > d2 || (2 * r2 == d2 && q % 2 != 0))
            q += (n < 0) != (d < 0) ? -1 : 1;
        if (q <= INT64_MAX && q >= INT64_MIN)
            return xfix(q, t);
    }
    return xnull();
}

/* Exact, except past 18 places: rounded half to even at 18. */
static expr_xv num_mul(const expr_xv *a, const expr_xv *b)
{
    i128 m = (i128)a->u.i * b->u.i;
    int s = a->scale + b->scale;
    if (s > EXPR_MAX_SCALE) {
        i128 d = pow10s[s - EXPR_MAX_SCALE], q = m / d, r = m % d;
        i128 r2 = r < 0 ? -r : r;
        if (2 * r2 > d || (2 * r2 == d && q % 2 != 0))
            q += m < 0 ? -1 : 1;
        m = q;
        s = EXPR_MAX_SCALE;
    }
    return xfix(m, s);
}

static expr_xv num_arith(expr_op op, const expr_xv *a, const expr_xv *b)
{
    if (a->k != XK_FIX || b->k != XK_FIX)
        return xnull(); /* more than 18 significant digits: null */
    if (op == XO_DIV)
        return num_div(a, b);
    if (op == XO_MUL)
        return num_mul(a, b);
    int s = a->scale > b->scale ? a->scale : b->scale;
    i128 x = (i128)a->u.i * pow10s[s - a->scale];
    i128 y = (i128)b->u.i * pow10s[s - b->scale];
    return xfix(op == XO_ADD ? x + y : x - y, s);
}

/* days + months (calendar: the day is clamped to the month's last). */
static bool add_months(int64_t *days, int64_t months)
{
    if (months == 0)
        return true;
    if (months > 1200000 || months < -1200000 || *days > INT64_C(1) << 40 ||
        *days < -(INT64_C(1) << 40))
        return false;
    int64_t y;
    int m, d;
    rules_civil_from_days(*days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    y = total >= 0 ? total / 12 : (total - 11) / 12;
    m = (int)(total - y * 12) + 1;
    int dim = rules_days_in_month(y, m);
    *days = rules_days_from_civil(y, m, d > dim ? dim : d);
    return true;
}

/* date or datetime (micros: true) moved by a duration (sign: +1 or -1). */
static expr_xv shift(const expr_xv *t, const expr_xv *dur, int sign)
{
    int64_t months = dur->u.dur.months, micros = dur->u.dur.micros;
    if (months == INT64_MIN || micros == INT64_MIN)
        return xnull();
    months *= sign;
    micros *= sign;
    if (t->k == XK_DATE) {
        int64_t days = t->u.i;
        if (micros % EXPR_US_PER_DAY != 0 || !add_months(&days, months) ||
            __builtin_add_overflow(days, micros / EXPR_US_PER_DAY, &days))
            return xnull();
        return xint(XK_DATE, days);
    }
    int64_t us = t->u.i;
    int64_t days = us / EXPR_US_PER_DAY - (us % EXPR_US_PER_DAY < 0);
    int64_t rest = us - days * EXPR_US_PER_DAY;
    if (!add_months(&days, months) ||
        __builtin_mul_overflow(days, EXPR_US_PER_DAY, &us) ||
        __builtin_add_overflow(us, rest, &us) || __builtin_add_overflow(us, micros, &us))
        return xnull();
    return xint(XK_DATETIME, us);
}

static expr_xv arith(expr_op op, const expr_xv *a, const expr_xv *b)
{
    expr_xv r = xnull();
    if ((a->k == XK_FIX || a->k == XK_DEC) && (b->k == XK_FIX || b->k == XK_DEC))
        return num_arith(op, a, b);
    if (a->k == XK_DURATION && b->k == XK_DURATION) {
        r.k = XK_DURATION;
        bool bad = op == XO_ADD
            ? __builtin_add_overflow(a->u.dur.months, b->u.dur.months, &r.u.dur.months) ||
              __builtin_add_overflow(a->u.dur.micros, b->u.dur.micros, &r.u.dur.micros)
            : __builtin_sub_overflow(a->u.dur.months, b->u.dur.months, &r.u.dur.months) ||
              __builtin_sub_overflow(a->u.dur.micros, b->u.dur.micros, &r.u.dur.micros);
        return bad ? xnull() : r;
    }
    if (b->k == XK_DURATION)
        return shift(a, b, op == XO_ADD ? 1 : -1);
    if (a->k == XK_DURATION)
        return shift(b, a, 1);
    int64_t d;
    if (__builtin_sub_overflow(a->u.i, b->u.i, &d))
        return xnull();
    if (a->k == XK_DATE)
        return xint(XK_FIX, d); /* date - date: days */
    r.k = XK_DURATION;
    r.u.dur.micros = d;
    return r;
}

/* ---- the walk ---------------------------------------------------------- */

typedef struct ev_ctx {
    expr_state *st;
    const expr_prog *p;
    const expr_value *vals;
} ev_ctx;

static expr_xv ev(const ev_ctx *c, int32_t i);

static expr_xv ev_matches(const ev_ctx *c, const expr_node *nd)
{
    expr_xv s = ev(c, nd->a);
    if (s.k != XK_STR)
        return xbool(false);
    const char *p = s.u.s.p;
    if (s.fold) {
        core_buf *b = &c->st->scratch;
        core_buf_clear(b);
        if (core_buf_reserve(b, s.u.s.n + 1))
            return xnull();
        for (size_t k = 0; k < s.u.s.n; k++)
            b->data[k] = (char)fold_byte((unsigned char)p[k], s.fold);
        p = b->data;
    }
    int rc = val_regex_match(nd->re, false, p, s.u.s.n, 0, c->st->md, c->st->mc);
    if (rc >= 0)
        return xbool(true);
    if (rc == PCRE2_ERROR_NOMATCH)
        return xbool(false);
    c->st->limit_hit |= val_match_limit_hit(rc);
    return xnull();
}

static expr_xv ev_in(const ev_ctx *c, const expr_node *nd)
{
    expr_xv a = ev(c, nd->a);
    if (a.k == XK_NULL)
        return xbool(false);
    for (uint32_t k = 0; k < nd->count; k++) {
        const expr_xv *b = &c->p->nodes[c->p->list[nd->first + k]].k;
        if (cmp3(&a, b) == 0)
            return xbool(true);
    }
    return xbool(false);
}

/* Three-valued && and ||: false (&&) or true (||) wins over null. */
static expr_xv ev_logic(const ev_ctx *c, const expr_node *nd, bool is_and)
{
    expr_xv a = ev(c, nd->a);
    if (a.k == XK_BOOL && a.u.b != is_and)
        return a;
    expr_xv b = ev(c, nd->b);
    if (b.k == XK_BOOL && b.u.b != is_and)
        return b;
    return a.k == XK_NULL || b.k == XK_NULL ? xnull() : xbool(is_and);
}

static expr_xv ev(const ev_ctx *c, int32_t i)
{
    const expr_node *nd = &c->p->nodes[i];
    expr_xv a, b;
    switch ((expr_op)nd->op) {
    case XO_CONST: return nd->k;
    case XO_FIELD: return field_value(nd, &c->vals[nd->field]);
    case XO_ISNULL: return xbool(ev(c, nd->a).k == XK_NULL);
    case XO_NOT:
        a = ev(c, nd->a);
        return a.k == XK_BOOL ? xbool(!a.u.b) : xnull();
    case XO_AND: return ev_logic(c, nd, true);
    case XO_OR: return ev_logic(c, nd, false);
    case XO_NEG:
        a = ev(c, nd->a);
        if (a.k == XK_FIX && a.u.i != INT64_MIN)
            a.u.i = -a.u.i;
        else if (a.k == XK_DURATION && a.u.dur.months != INT64_MIN &&
                 a.u.dur.micros != INT64_MIN) {
            a.u.dur.months = -a.u.dur.months;
            a.u.dur.micros = -a.u.dur.micros;
        } else
            a = xnull();
        return a;
    case XO_CMP:
        a = ev(c, nd->a);
        b = ev(c, nd->b);
        if (a.k == XK_NULL || b.k == XK_NULL)
            return xbool(false); /* a comparison with a missing value is false */
        return xbool(cmp_holds(cmp3(&a, &b), (expr_cmp)nd->cmp));
    case XO_IN: return ev_in(c, nd);
    case XO_ADD:
    case XO_SUB:
    case XO_MUL:
    case XO_DIV:
        a = ev(c, nd->a);
        b = ev(c, nd->b);
        if (a.k == XK_NULL || b.k == XK_NULL)
            return xnull();
        return arith((expr_op)nd->op, &a, &b);
    case XO_LEN:
        a = ev(c, nd->a);
        return a.k == XK_STR ? xint(XK_FIX, (int64_t)core_utf8_count(a.u.s.p, a.u.s.n))
                             : xnull();
    case XO_MATCHES: return ev_matches(c, nd);
    case XO_LOWER:
    case XO_UPPER:
        a = ev(c, nd->a);
        if (a.k == XK_STR)
            a.fold = nd->op == XO_LOWER ? 1 : 2;
        return a;
    case XO_TODAY: return xint(XK_DATE, c->st->today);
    case XO_NOW: return xint(XK_DATETIME, c->st->now);
    }
    return xnull();
}

int expr_eval_bool(expr_state *st, const expr_prog *p, const expr_value *vals)
{
    ev_ctx c = {st, p, vals};
    expr_xv v = ev(&c, p->root);
    return v.k == XK_BOOL ? v.u.b : -1;
}

expr_result expr_rule_eval(expr_state *st, size_t k, const expr_value *vals)
{
    const rules_rule *ru = &st->plan->rules[k];
    /* A when or check left unknown by a matches() that hit a match limit
     * fails: the record was not checked. */
    st->limit_hit = false;
    int w = ru->when ? expr_eval_bool(st, ru->when, vals) : 1;
    if (w != 1)
        return w < 0 && st->limit_hit ? EXPR_FAIL_LIMIT : EXPR_PASS;
    for (size_t i = 0; i < ru->nrequire; i++)
        if (vals[ru->require[i]].missing)
            return EXPR_FAIL_REQUIRE;
    st->limit_hit = false;
    int r = ru->check ? expr_eval_bool(st, ru->check, vals) : 1;
    if (r == 0)
        return EXPR_FAIL_CHECK;
    return r < 0 && st->limit_hit ? EXPR_FAIL_LIMIT : EXPR_PASS;
}

/* ---- reporting --------------------------------------------------------- */

assay_status expr_rule_values(const struct assay_rules *plan, size_t k,
                              const expr_value *vals, core_buf *out)
{
    const rules_rule *ru = &plan->rules[k];
    assay_status st = ASSAY_OK;
    for (size_t i = 0; !st && i < ru->nrefs; i++) {
        const rules_field *f = &plan->fields[ru->refs[i]];
        const expr_value *v = &vals[ru->refs[i]];
        st = core_buf_printf(out, "%s%s=", i ? ", " : "", f->name);
        if (st)
            break;
        if (v->missing || (!v->text && v->null))
            st = core_buf_puts(out, "null");
        else {
            st = core_buf_json_str(out, v->text ? v->text : "", v->text ? v->len : 0);
            if (!st && v->null)
                st = core_buf_puts(out, " (invalid)");
        }
    }
    return st;
}

assay_status expr_rule_message(const struct assay_rules *plan, size_t k,
                               expr_result res, const expr_value *vals, core_buf *out)
{
    const rules_rule *ru = &plan->rules[k];
    assay_status st = ASSAY_OK;
    if (res == EXPR_FAIL_CHECK)
        return core_buf_printf(out, "check failed: %s", ru->check->src);
    if (res == EXPR_FAIL_LIMIT)
        return core_buf_printf(out, "not checked: a matches() pattern hit its pcre2 match "
                               "limit on these values; simplify the pattern (%s%s%s%s)",
                               ru->when ? "when " : "", ru->when ? ru->when->src : "",
                               ru->when && ru->check ? ", check " : ru->check ? "check " : "",
                               ru->check ? ru->check->src : "");
    if (res != EXPR_FAIL_REQUIRE)
        return ASSAY_OK;
    st = ru->when ? core_buf_printf(out, "required when %s: ", ru->when->src)
                  : core_buf_puts(out, "required: ");
    size_t count = 0;
    for (size_t i = 0; !st && i < ru->nrequire; i++) {
        if (!vals[ru->require[i]].missing)
            continue;
        const rules_field *f = &plan->fields[ru->require[i]];
        st = core_buf_puts(out, count++ ? ", " : "");
        if (!st)
            st = core_buf_json_str(out, f->name, f->name_len);
    }
    return st ? st : core_buf_puts(out, " missing");
}
