/* rules/expr.c — record-rule expressions: parser, type checker and compiler
 * to the node array of rules/expr.h (the lexer is expr_lex.c).
 *
 * One pass: the recursive-descent parser builds each node as soon as its
 * operands are known and checks its types right there, so the first error is
 * reported with the column of the operator or operand that is wrong. String
 * literals next to a date, time, datetime or yearmonth take that type
 * ("typed by context"). The grammar is in docs/record-rules.md. */
#include "rules/expr_cp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "rules/keys.h"

static const char *const type_names[] = {
    "null", "boolean", "number", "string", "date", "time", "datetime", "yearmonth",
    "duration", "object"};

/* ---- nodes ------------------------------------------------------------- */

static bool grow(expr_cp *c, void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*arr, n * size);
    if (!q) {
        c->nomem = c->failed = true;
        return false;
    }
    *arr = q;
    *cap = n;
    return true;
}

static int32_t node(expr_cp *c, expr_op op, expr_type type, int32_t a, int32_t b,
                    size_t start, size_t end)
{
    expr_prog *p = c->p;
    if (c->failed || !grow(c, (void **)&p->nodes, &c->capnodes, p->nnodes + 1,
                           sizeof *p->nodes))
        return -1;
    expr_node *nd = &p->nodes[p->nnodes];
    memset(nd, 0, sizeof *nd);
    nd->op = (uint8_t)op;
    nd->type = (uint8_t)type;
    nd->a = a;
    nd->b = b;
    nd->dec = -1;
    nd->start = (uint32_t)start;
    nd->end = (uint32_t)end;
    int da = a >= 0 ? p->nodes[a].depth : 0, db = b >= 0 ? p->nodes[b].depth : 0;
    nd->depth = (uint16_t)(1 + (da > db ? da : db));
    if (nd->depth > EXPR_MAX_DEPTH) {
        expr_fail_at(c, start, "the expression nests deeper than %d levels", EXPR_MAX_DEPTH);
        return -1;
    }
    return (int32_t)p->nnodes++;
}

static expr_node *N(expr_cp *c, int32_t i)
{
    return &c->p->nodes[i];
}

/* How a message names an operand: date "order_date", string 'abc'. */
static const char *describe(expr_cp *c, int32_t i, char *buf, size_t cap)
{
    const expr_node *nd = N(c, i);
    if (nd->op == XO_FIELD) {
        const rules_field *f = &c->fields[nd->field];
        snprintf(buf, cap, "%s \"%s\"", rules_type_words[f->type].name, f->name);
        return buf;
    }
    size_t len = nd->end - nd->start;
    bool cut = len > 40;
    if (cut) {
        len = 40;
        while (len > 0 && ((unsigned char)c->s[nd->start + len] & 0xC0) == 0x80)
            len--;
    }
    snprintf(buf, cap, "%s %.*s%s", type_names[nd->type], (int)len, c->s + nd->start,
             cut ? "..." : "");
    return buf;
}

static int32_t const_node(expr_cp *c, expr_type type, const expr_xv *k)
{
    int32_t i = node(c, XO_CONST, type, -1, -1, c->t.start, c->t.end);
    if (i >= 0)
        N(c, i)->k = *k;
    return i;
}

static int32_t string_const(expr_cp *c)
{
    expr_prog *p = c->p;
    size_t off = p->strs_len, len = c->sbuf.len;
    if (!grow(c, (void **)&p->strs, &c->capstrs, off + len + 1, 1))
        return -1;
    if (len)
        memcpy(p->strs + off, c->sbuf.data, len);
    p->strs[off + len] = '\0';
    p->strs_len += len + 1;
    expr_xv k = {.k = XK_STR};
    k.u.s.n = len;
    int32_t i = const_node(c, XT_STR, &k);
    if (i >= 0)
        N(c, i)->str_off = (uint32_t)off;
    return i;
}

static int32_t number_const(expr_cp *c)
{
    val_dec d;
    expr_xv k = {.k = XK_FIX};
    if (!val_number_parse(c->s + c->t.start, c->t.end - c->t.start, &d)) {
        expr_fail_at(c, c->t.start, "not a number");
        return -1;
    }
    if (rules_dec_to_fix(&d, &k.u.i, &k.scale))
        return const_node(c, XT_NUM, &k);
    expr_prog *p = c->p;
    if (!grow(c, (void **)&p->decs, &c->capdecs, p->ndecs + 1, sizeof *p->decs))
        return -1;
    p->decs[p->ndecs] = d;
    k.k = XK_DEC;
    int32_t i = const_node(c, XT_NUM, &k);
    if (i >= 0)
        N(c, i)->dec = (int32_t)p->ndecs++;
    return i;
}

static expr_type field_type(rules_type t)
{
    switch (t) {
    case RT_STRING: case RT_ANY: return XT_STR;
    case RT_INTEGER: case RT_NUMBER: case RT_YEAR: return XT_NUM;
    case RT_BOOLEAN: return XT_BOOL;
    case RT_DATE: return XT_DATE;
    case RT_TIME: return XT_TIME;
    case RT_DATETIME: return XT_DATETIME;
    case RT_YEARMONTH: return XT_YEARMONTH;
    case RT_DURATION: return XT_DURATION;
    case RT_OBJECT: case RT_ARRAY: return XT_OTHER;
    }
    return XT_OTHER;
}

static int32_t field_node(expr_cp *c, const char *name, size_t len)
{
    ptrdiff_t k = -1;
    for (size_t i = 0; i < c->nfields && k < 0; i++)
        if (c->fields[i].name && c->fields[i].name_len == len &&
            memcmp(c->fields[i].name, name, len) == 0)
            k = (ptrdiff_t)i;
    if (k < 0) {
        const char *names[256];
        size_t count = 0;
        for (size_t i = 0; i < c->nfields && count < 256; i++)
            if (c->fields[i].name)
                names[count++] = c->fields[i].name;
        const char *near = rules_suggest(name, len, names, count);
        char q[160];
        rules_quote(q, sizeof q, name, len);
        if (near)
            expr_fail_at(c, c->t.start, "unknown field %s (did you mean \"%s\"?)", q, near);
        else
            expr_fail_at(c, c->t.start, "unknown field %s; expected the name of a field in "
                    "\"fields\" (a name with spaces is written in backquotes: "
                    "`order date`)", q);
        return -1;
    }
    int32_t i = node(c, XO_FIELD, field_type(c->fields[k].type), -1, -1, c->t.start,
                     c->t.end);
    if (i < 0)
        return -1;
    N(c, i)->field = (size_t)k;
    expr_prog *p = c->p;
    for (size_t j = 0; j < p->nrefs; j++)
        if (p->refs[j] == (size_t)k)
            return i;
    if (!grow(c, (void **)&p->refs, &c->caprefs, p->nrefs + 1, sizeof *p->refs))
        return -1;
    p->refs[p->nrefs++] = (size_t)k;
    return i;
}

/* ---- types ------------------------------------------------------------- */

static bool temporal(expr_type t)
{
    return t == XT_DATE || t == XT_TIME || t == XT_DATETIME || t == XT_YEARMONTH;
}

/* A string literal next to a temporal operand takes its type. True when i is
 * such a literal and parses as type t. */
static bool retype_literal(expr_cp *c, int32_t i, expr_type t)
{
    expr_node *nd = N(c, i);
    if (nd->op != XO_CONST || nd->type != XT_STR || !temporal(t))
        return false;
    const char *s = c->p->strs + nd->str_off;
    size_t n = nd->k.u.s.n;
    int64_t v;
    bool ok = t == XT_DATE ? rules_parse_iso_date(s, n, &v)
            : t == XT_TIME ? rules_parse_iso_time(s, n, &v)
            : t == XT_DATETIME ? rules_parse_iso_datetime(s, n, &v)
            : rules_parse_iso_yearmonth(s, n, &v);
    if (!ok)
        return false;
    static const uint8_t kinds[] = {
        [XT_DATE] = XK_DATE, [XT_TIME] = XK_TIME, [XT_DATETIME] = XK_DATETIME,
        [XT_YEARMONTH] = XK_YEARMONTH};
    nd->type = (uint8_t)t;
    memset(&nd->k, 0, sizeof nd->k);
    nd->k.k = kinds[t];
    nd->k.u.i = v;
    return true;
}

static void match_literals(expr_cp *c, int32_t a, int32_t b)
{
    if (!retype_literal(c, b, (expr_type)N(c, a)->type))
        retype_literal(c, a, (expr_type)N(c, b)->type);
}

static int32_t make_cmp(expr_cp *c, expr_cmp op, int32_t a, int32_t b, size_t at)
{
    char da[128], db[128];
    expr_type ta = (expr_type)N(c, a)->type, tb = (expr_type)N(c, b)->type;
    size_t start = N(c, a)->start, end = N(c, b)->end;
    if (ta == XT_NULL || tb == XT_NULL) {
        if (ta == XT_NULL && tb == XT_NULL) {
            expr_fail_at(c, at, "null compared with null");
            return -1;
        }
        if (op != XC_EQ && op != XC_NE) {
            expr_fail_at(c, at, "null has no order; test a missing value with == null or "
                    "!= null");
            return -1;
        }
        int32_t t = node(c, XO_ISNULL, XT_BOOL, ta == XT_NULL ? b : a, -1, start, end);
        return op == XC_EQ || t < 0 ? t : node(c, XO_NOT, XT_BOOL, t, -1, start, end);
    }
    match_literals(c, a, b);
    ta = (expr_type)N(c, a)->type;
    tb = (expr_type)N(c, b)->type;
    if (ta != tb || ta == XT_OTHER) {
        expr_fail_at(c, at, "cannot compare %s with %s", describe(c, a, da, sizeof da),
                describe(c, b, db, sizeof db));
        return -1;
    }
    if (ta == XT_BOOL && op != XC_EQ && op != XC_NE) {
        expr_fail_at(c, at, "true and false have no order; compare booleans with == or !=");
        return -1;
    }
    int32_t i = node(c, XO_CMP, XT_BOOL, a, b, start, end);
    if (i >= 0)
        N(c, i)->cmp = (uint8_t)op;
    return i;
}

/* The result type of a +- b, or XT_NULL when there is none. */
static expr_type arith_type(expr_op op, expr_type ta, expr_type tb)
{
    if (ta == XT_NUM && tb == XT_NUM)
        return XT_NUM;
    if (op == XO_ADD || op == XO_SUB) {
        if ((ta == XT_DATE || ta == XT_DATETIME) && tb == XT_DURATION)
            return ta;
        if (ta == XT_DURATION && tb == XT_DURATION)
            return XT_DURATION;
    }
    if (op == XO_ADD && ta == XT_DURATION && (tb == XT_DATE || tb == XT_DATETIME))
        return tb;
    if (op == XO_SUB && ta == XT_DATE && tb == XT_DATE)
        return XT_NUM; /* days */
    if (op == XO_SUB && ta == XT_DATETIME && tb == XT_DATETIME)
        return XT_DURATION;
    return XT_NULL;
}

/* A date moves by whole days: a constant duration with hours is an error. */
static bool whole_days(expr_cp *c, int32_t dur, size_t at)
{
    const expr_node *nd = N(c, dur);
    if (nd->op != XO_CONST || nd->k.u.dur.micros % EXPR_US_PER_DAY == 0)
        return true;
    char d[128];
    expr_fail_at(c, at, "a date moves by whole days, and %s is not a whole number of days",
            describe(c, dur, d, sizeof d));
    return false;
}

static int32_t make_arith(expr_cp *c, expr_op op, int32_t a, int32_t b, size_t at)
{
    char da[128], db[128];
    expr_type ta = (expr_type)N(c, a)->type, tb = (expr_type)N(c, b)->type;
    if (ta == XT_NULL || tb == XT_NULL) {
        expr_fail_at(c, at, "arithmetic with null is always null; test a missing value with "
                "== null");
        return -1;
    }
    if (op == XO_SUB || op == XO_ADD)
        match_literals(c, a, b);
    ta = (expr_type)N(c, a)->type;
    tb = (expr_type)N(c, b)->type;
    expr_type t = arith_type(op, ta, tb);
    if (t == XT_NULL) {
        describe(c, a, da, sizeof da);
        describe(c, b, db, sizeof db);
        if (op == XO_ADD)
            expr_fail_at(c, at, "cannot add %s and %s", da, db);
        else if (op == XO_SUB)
            expr_fail_at(c, at, "cannot subtract %s from %s", db, da);
        else
            expr_fail_at(c, at, "cannot %s %s by %s", op == XO_MUL ? "multiply" : "divide",
                    da, db);
        return -1;
    }
    if ((ta == XT_DATE && !whole_days(c, b, at)) || (tb == XT_DATE && !whole_days(c, a, at)))
        return -1;
    return node(c, op, t, a, b, N(c, a)->start, N(c, b)->end);
}

static int32_t need_bool(expr_cp *c, int32_t i, const char *what, size_t at)
{
    char d[128];
    if (i >= 0 && N(c, i)->type != XT_BOOL) {
        expr_fail_at(c, at, "%s needs a true/false test, got %s", what,
                describe(c, i, d, sizeof d));
        return -1;
    }
    return i;
}

/* ---- parser ------------------------------------------------------------ */

static int32_t parse_or(expr_cp *c);
static int32_t parse_unary(expr_cp *c);

static bool expect_tok(expr_cp *c, expr_tok_kind k, const char *what)
{
    if (c->failed)
        return false;
    if (c->t.kind != k) {
        if (c->t.kind == TK_END)
            expr_fail_at(c, c->t.start, "expected %s, got the end of the expression", what);
        else
            expr_fail_at(c, c->t.start, "expected %s, got \"%.*s\"", what,
                    (int)(c->t.end - c->t.start > 20 ? 20 : c->t.end - c->t.start),
                    c->s + c->t.start);
        return false;
    }
    expr_next(c);
    return true;
}

typedef enum fn_id {
    FN_IS_MISSING = 0, FN_LEN, FN_MATCHES, FN_LOWER, FN_UPPER, FN_TODAY, FN_NOW,
    FN_DATE, FN_TIME, FN_DATETIME, FN_YEARMONTH, FN_COUNT
} fn_id;

static const struct { const char *name; int nargs; } fns[FN_COUNT] = {
    {"is_missing", 1}, {"len", 1}, {"matches", 2}, {"lower", 1}, {"upper", 1},
    {"today", 0}, {"now", 0}, {"date", 1}, {"time", 1}, {"datetime", 1},
    {"yearmonth", 1}};

static int32_t compile_regex(expr_cp *c, int32_t subj, int32_t re, size_t start, size_t end)
{
    const expr_node *r = N(c, re);
    char d[128];
    if (r->op != XO_CONST || r->type != XT_STR) {
        expr_fail_at(c, r->start, "matches() needs a string literal as its pattern, got %s",
                describe(c, re, d, sizeof d));
        return -1;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(c->p->strs + r->str_off), r->k.u.s.n,
                                     PCRE2_UTF, &ec, &eo, NULL);
    if (!code && ec == PCRE2_ERROR_HEAP_FAILED) {
        c->nomem = c->failed = true; /* out of memory, not a bad pattern */
        return -1;
    }
    if (!code) {
        PCRE2_UCHAR m[256];
        pcre2_get_error_message(ec, m, sizeof m);
        expr_fail_at(c, r->start, "invalid pattern: %s (at offset %zu of the pattern)",
                (const char *)m, (size_t)eo);
        return -1;
    }
    /* The interpreter when JIT is not available; out of memory is exit 3. */
    if (pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == PCRE2_ERROR_NOMEMORY) {
        pcre2_code_free(code);
        c->nomem = c->failed = true;
        return -1;
    }
    int32_t i = node(c, XO_MATCHES, XT_BOOL, subj, -1, start, end);
    if (i < 0) {
        pcre2_code_free(code);
        return -1;
    }
    N(c, i)->re = code;
    return i;
}

/* date('2024-03-05') and friends: a constant of that type. */
static int32_t typed_literal(expr_cp *c, fn_id f, int32_t arg, size_t start, size_t end)
{
    static const expr_type types[] = {[FN_DATE] = XT_DATE, [FN_TIME] = XT_TIME,
                                      [FN_DATETIME] = XT_DATETIME,
                                      [FN_YEARMONTH] = XT_YEARMONTH};
    static const char *const forms[] = {
        [FN_DATE] = "yyyy-MM-dd", [FN_TIME] = "HH:mm[:ss[.ffffff]]",
        [FN_DATETIME] = "yyyy-MM-ddTHH:mm[:ss[.ffffff]][Z|+hh:mm]",
        [FN_YEARMONTH] = "yyyy-MM"};
    char d[128];
    if (N(c, arg)->op != XO_CONST || N(c, arg)->type != XT_STR) {
        expr_fail_at(c, N(c, arg)->start, "%s() needs a string literal, got %s", fns[f].name,
                describe(c, arg, d, sizeof d));
        return -1;
    }
    if (!retype_literal(c, arg, types[f])) {
        expr_fail_at(c, N(c, arg)->start, "%s is not a valid %s (expected %s)",
                describe(c, arg, d, sizeof d) + strlen("string "), fns[f].name, forms[f]);
        return -1;
    }
    expr_node *nd = N(c, arg);
    nd->start = (uint32_t)start;
    nd->end = (uint32_t)end;
    return arg;
}

static int32_t make_call(expr_cp *c, fn_id f, int32_t *args, size_t start, size_t end)
{
    char d[128];
    expr_type t0 = fns[f].nargs ? (expr_type)N(c, args[0])->type : XT_NULL;
    switch (f) {
    case FN_IS_MISSING:
        return node(c, XO_ISNULL, XT_BOOL, args[0], -1, start, end);
    case FN_LEN:
    case FN_LOWER:
    case FN_UPPER:
    case FN_MATCHES:
        if (t0 != XT_STR) {
            expr_fail_at(c, N(c, args[0])->start, "%s() needs a string, got %s", fns[f].name,
                    describe(c, args[0], d, sizeof d));
            return -1;
        }
        if (f == FN_MATCHES)
            return compile_regex(c, args[0], args[1], start, end);
        return node(c, f == FN_LEN ? XO_LEN : f == FN_LOWER ? XO_LOWER : XO_UPPER,
                    f == FN_LEN ? XT_NUM : XT_STR, args[0], -1, start, end);
    case FN_TODAY:
        return node(c, XO_TODAY, XT_DATE, -1, -1, start, end);
    case FN_NOW:
        return node(c, XO_NOW, XT_DATETIME, -1, -1, start, end);
    default:
        return typed_literal(c, f, args[0], start, end);
    }
}

static int32_t parse_call(expr_cp *c)
{
    size_t start = c->t.start, len = c->t.end - c->t.start;
    const char *name = c->s + start;
    fn_id f = FN_COUNT;
    for (int k = 0; k < FN_COUNT; k++)
        if (strlen(fns[k].name) == len && memcmp(fns[k].name, name, len) == 0)
            f = (fn_id)k;
    if (f == FN_COUNT) {
        const char *names[FN_COUNT];
        for (int k = 0; k < FN_COUNT; k++)
            names[k] = fns[k].name;
        const char *near = rules_suggest(name, len, names, FN_COUNT);
        char q[160];
        rules_quote(q, sizeof q, name, len);
        if (near)
            expr_fail_at(c, start, "unknown function %s (did you mean \"%s\"?)", q, near);
        else
            expr_fail_at(c, start, "unknown function %s; expected is_missing, len, matches, "
                    "lower, upper, today, now, date, time, datetime or yearmonth", q);
        return -1;
    }
    expr_next(c); /* the name */
    expr_next(c); /* ( */
    int32_t args[2] = {-1, -1};
    int n = 0;
    while (!c->failed && c->t.kind != TK_RP) {
        if (n > 0 && !expect_tok(c, TK_COMMA, "\",\" or \")\""))
            return -1;
        int32_t a = parse_or(c);
        if (a < 0)
            return -1;
        if (n < 2)
            args[n] = a;
        n++;
    }
    size_t end = c->t.end;
    if (!expect_tok(c, TK_RP, "\")\""))
        return -1;
    if (n != fns[f].nargs) {
        expr_fail_at(c, start, "%s() takes %d argument%s, got %d", fns[f].name, fns[f].nargs,
                fns[f].nargs == 1 ? "" : "s", n);
        return -1;
    }
    return make_call(c, f, args, start, end);
}

static int32_t parse_primary(expr_cp *c)
{
    int32_t i = -1;
    expr_xv k = {.k = XK_NULL};
    switch (c->t.kind) {
    case TK_NUM:
        i = number_const(c);
        break;
    case TK_DUR:
        k.k = XK_DURATION;
        k.u.dur.micros = c->t.dur;
        i = const_node(c, XT_DURATION, &k);
        break;
    case TK_STR:
        i = string_const(c);
        break;
    case TK_TRUE:
    case TK_FALSE:
        k.k = XK_BOOL;
        k.u.b = c->t.kind == TK_TRUE;
        i = const_node(c, XT_BOOL, &k);
        break;
    case TK_NULL:
        i = const_node(c, XT_NULL, &k);
        break;
    case TK_IDENT: {
        size_t save = c->pos;
        while (save < c->n && strchr(" \t\r\n", c->s[save]) && c->s[save])
            save++;
        if (save < c->n && c->s[save] == '(')
            return parse_call(c);
        i = field_node(c, c->s + c->t.start, c->t.end - c->t.start);
        break;
    }
    case TK_QIDENT:
        i = field_node(c, c->sbuf.data, c->sbuf.len);
        break;
    case TK_LP: {
        size_t start = c->t.start;
        expr_next(c);
        i = parse_or(c);
        size_t end = c->t.end;
        if (i < 0 || !expect_tok(c, TK_RP, "\")\""))
            return -1;
        N(c, i)->start = (uint32_t)start; /* messages show the parentheses */
        N(c, i)->end = (uint32_t)end;
        return i;
    }
    default:
        expect_tok(c, TK_NUM, "a value (a field, a literal, a function call or \"(\")");
        return -1;
    }
    if (i >= 0)
        expr_next(c);
    return i;
}

/* -5 and -30d are constants. */
static bool fold_negation(expr_cp *c, int32_t i, size_t start)
{
    expr_node *nd = N(c, i);
    if (nd->op != XO_CONST)
        return false;
    if (nd->k.k == XK_FIX && nd->k.u.i != INT64_MIN)
        nd->k.u.i = -nd->k.u.i;
    else if (nd->k.k == XK_DEC)
        c->p->decs[nd->dec].neg = !c->p->decs[nd->dec].neg;
    else if (nd->k.k == XK_DURATION)
        nd->k.u.dur.micros = -nd->k.u.dur.micros;
    else
        return false;
    nd->start = (uint32_t)start;
    return true;
}

static int32_t parse_unary(expr_cp *c)
{
    if (++c->depth > EXPR_MAX_DEPTH) {
        expr_fail_at(c, c->t.start, "the expression nests deeper than %d levels",
                EXPR_MAX_DEPTH);
        return -1;
    }
    int32_t r;
    size_t start = c->t.start;
    if (c->t.kind == TK_NOT) {
        expr_next(c);
        int32_t a = need_bool(c, parse_unary(c), "!", start);
        r = a < 0 ? -1 : node(c, XO_NOT, XT_BOOL, a, -1, start, N(c, a)->end);
    } else if (c->t.kind == TK_MINUS) {
        expr_next(c);
        int32_t a = parse_unary(c);
        char d[128];
        if (a < 0)
            r = -1;
        else if (N(c, a)->type != XT_NUM && N(c, a)->type != XT_DURATION) {
            expr_fail_at(c, start, "cannot negate %s", describe(c, a, d, sizeof d));
            r = -1;
        } else if (fold_negation(c, a, start))
            r = a;
        else
            r = node(c, XO_NEG, (expr_type)N(c, a)->type, a, -1, start, N(c, a)->end);
    } else
        r = parse_primary(c);
    c->depth--;
    return r;
}

static int32_t parse_mul(expr_cp *c)
{
    int32_t a = parse_unary(c);
    while (a >= 0 && (c->t.kind == TK_STAR || c->t.kind == TK_SLASH)) {
        expr_op op = c->t.kind == TK_STAR ? XO_MUL : XO_DIV;
        size_t at = c->t.start;
        expr_next(c);
        int32_t b = parse_unary(c);
        a = b < 0 ? -1 : make_arith(c, op, a, b, at);
    }
    return a;
}

static int32_t parse_add(expr_cp *c)
{
    int32_t a = parse_mul(c);
    while (a >= 0 && (c->t.kind == TK_PLUS || c->t.kind == TK_MINUS)) {
        expr_op op = c->t.kind == TK_PLUS ? XO_ADD : XO_SUB;
        size_t at = c->t.start;
        expr_next(c);
        int32_t b = parse_mul(c);
        a = b < 0 ? -1 : make_arith(c, op, a, b, at);
    }
    return a;
}

/* x in [lit, lit, ...]: every item a constant of x's type. */
static int32_t parse_in(expr_cp *c, int32_t a, size_t at)
{
    char da[128], db[128];
    expr_prog *p = c->p;
    size_t first = p->nlist;
    expr_next(c); /* in */
    if (!expect_tok(c, TK_LB, "\"[\" after in"))
        return -1;
    if (N(c, a)->type == XT_OTHER || N(c, a)->type == XT_NULL) {
        expr_fail_at(c, at, "%s cannot be in a list", describe(c, a, da, sizeof da));
        return -1;
    }
    while (!c->failed && c->t.kind != TK_RB) {
        if (p->nlist > first && !expect_tok(c, TK_COMMA, "\",\" or \"]\""))
            return -1;
        int32_t b = parse_add(c);
        if (b < 0)
            return -1;
        retype_literal(c, b, (expr_type)N(c, a)->type);
        if (N(c, b)->op != XO_CONST || N(c, b)->type == XT_NULL) {
            expr_fail_at(c, N(c, b)->start, N(c, b)->type == XT_NULL ?
                    "null in a list never matches; test a missing value with == null" :
                    "a list after in holds literals only, got %s",
                    describe(c, b, db, sizeof db));
            return -1;
        }
        if (N(c, b)->type != N(c, a)->type) {
            expr_fail_at(c, N(c, b)->start, "cannot compare %s with %s",
                    describe(c, a, da, sizeof da), describe(c, b, db, sizeof db));
            return -1;
        }
        if (!grow(c, (void **)&p->list, &c->caplist, p->nlist + 1, sizeof *p->list))
            return -1;
        p->list[p->nlist++] = b;
    }
    size_t end = c->t.end;
    if (!expect_tok(c, TK_RB, "\"]\""))
        return -1;
    if (p->nlist == first) {
        expr_fail_at(c, at, "an empty list after in never matches");
        return -1;
    }
    int32_t i = node(c, XO_IN, XT_BOOL, a, -1, N(c, a)->start, end);
    if (i >= 0) {
        N(c, i)->first = (uint32_t)first;
        N(c, i)->count = (uint32_t)(p->nlist - first);
    }
    return i;
}

static bool cmp_tok(expr_tok_kind k)
{
    return k >= TK_EQ && k <= TK_GE;
}

static int32_t parse_cmp(expr_cp *c)
{
    int32_t a = parse_add(c);
    if (a < 0)
        return -1;
    size_t at = c->t.start;
    if (c->t.kind == TK_IN)
        a = parse_in(c, a, at);
    else if (cmp_tok(c->t.kind)) {
        expr_cmp op = (expr_cmp)(c->t.kind - TK_EQ);
        expr_next(c);
        int32_t b = parse_add(c);
        a = b < 0 ? -1 : make_cmp(c, op, a, b, at);
    } else
        return a;
    if (a >= 0 && (cmp_tok(c->t.kind) || c->t.kind == TK_IN)) {
        expr_fail_at(c, c->t.start, "comparisons do not chain; write a < b && b < c");
        return -1;
    }
    return a;
}

static int32_t parse_and(expr_cp *c)
{
    int32_t a = parse_cmp(c);
    while (a >= 0 && c->t.kind == TK_AND) {
        size_t at = c->t.start;
        expr_next(c);
        int32_t b = parse_cmp(c);
        if (need_bool(c, a, "&&", at) < 0 || need_bool(c, b, "&&", at) < 0)
            return -1;
        a = node(c, XO_AND, XT_BOOL, a, b, N(c, a)->start, N(c, b)->end);
    }
    return a;
}

static int32_t parse_or(expr_cp *c)
{
    int32_t a = parse_and(c);
    while (a >= 0 && c->t.kind == TK_OR) {
        size_t at = c->t.start;
        expr_next(c);
        int32_t b = parse_and(c);
        if (need_bool(c, a, "||", at) < 0 || need_bool(c, b, "||", at) < 0)
            return -1;
        a = node(c, XO_OR, XT_BOOL, a, b, N(c, a)->start, N(c, b)->end);
    }
    return a;
}

/* ---- entry points ------------------------------------------------------ */

/* Constants get their final pointers once nothing moves any more. */
static void finish(expr_prog *p)
{
    for (size_t i = 0; i < p->nnodes; i++) {
        expr_node *nd = &p->nodes[i];
        if (nd->op != XO_CONST)
            continue;
        if (nd->k.k == XK_STR)
            nd->k.u.s.p = p->strs + nd->str_off;
        else if (nd->k.k == XK_DEC)
            nd->k.u.d = &p->decs[nd->dec];
    }
}

void rules_expr_free(expr_prog *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i].re)
            pcre2_code_free(p->nodes[i].re);
    free(p->nodes);
    free(p->strs);
    free(p->decs);
    free(p->list);
    free(p->refs);
    free(p->src);
    free(p);
}

assay_status rules_expr_compile(const char *src, size_t n, const rules_field *fields,
                                size_t nfields, bool want_bool, expr_prog **out,
                                expr_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    if (n > EXPR_MAX_LEN) {
        err->col = 1;
        snprintf(err->msg, sizeof err->msg, "the expression is longer than %zu bytes",
                 EXPR_MAX_LEN);
        return ASSAY_E_RULES;
    }
    expr_prog *p = calloc(1, sizeof *p);
    if (!p || !(p->src = malloc(n + 1))) {
        free(p);
        return ASSAY_E_NOMEM;
    }
    if (n)
        memcpy(p->src, src, n);
    p->src[n] = '\0';
    p->src_len = n;
    p->root = -1;
    expr_cp c;
    memset(&c, 0, sizeof c);
    c.s = p->src;
    c.n = n;
    c.fields = fields;
    c.nfields = nfields;
    c.p = p;
    c.err = err;
    core_buf_init(&c.sbuf, EXPR_MAX_LEN + 16);
    expr_next(&c);
    if (!c.failed && c.t.kind == TK_END)
        expr_fail_at(&c, 0, "the expression is empty");
    int32_t root = c.failed ? -1 : parse_or(&c);
    if (root >= 0 && c.t.kind != TK_END)
        expr_fail_at(&c, c.t.start, "unexpected \"%.*s\" after a complete expression",
                (int)(c.t.end - c.t.start > 20 ? 20 : c.t.end - c.t.start),
                c.s + c.t.start);
    char d[128];
    if (root >= 0 && want_bool && N(&c, root)->type != XT_BOOL)
        expr_fail_at(&c, 0, "the expression must be a true/false test, got %s",
                describe(&c, root, d, sizeof d));
    core_buf_free(&c.sbuf);
    if (c.nomem || c.failed) {
        rules_expr_free(p);
        return c.nomem ? ASSAY_E_NOMEM : ASSAY_E_RULES;
    }
    p->root = root;
    finish(p);
    *out = p;
    return ASSAY_OK;
}
