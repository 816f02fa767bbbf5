/* rules/expr_lex.c — the tokens of record-rule expressions: numbers and
 * duration literals (30d), strings with escapes, names (dotted paths are one
 * name, backquotes for any other), keywords and operators. The grammar of
 * each is in docs/record-rules.md. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "rules/expr_cp.h"

void expr_fail_at(expr_cp *c, size_t off, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = true;
    c->err->col = core_utf8_count(c->s, off < c->n ? off : c->n) + 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
}

static bool ident_start(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch >= 0x80;
}

static bool ident_char(unsigned char ch)
{
    return ident_start(ch) || (ch >= '0' && ch <= '9');
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Appends code point u as UTF-8. */
static bool put_utf8(core_buf *b, unsigned long u)
{
    char t[4];
    size_t k;
    if (u < 0x80) {
        t[0] = (char)u;
        k = 1;
    } else if (u < 0x800) {
        t[0] = (char)(0xC0 | (u >> 6));
        t[1] = (char)(0x80 | (u & 0x3F));
        k = 2;
    } else if (u < 0x10000) {
        t[0] = (char)(0xE0 | (u >> 12));
        t[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        t[2] = (char)(0x80 | (u & 0x3F));
        k = 3;
    } else {
        t[0] = (char)(0xF0 | (u >> 18));
        t[1] = (char)(0x80 | ((u >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((u >> 6) & 0x3F));
        t[3] = (char)(0x80 | (u & 0x3F));
        k = 4;
    }
    return core_buf_append(b, t, k) == ASSAY_OK;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* \uXXXX at s[i] (after the backslash and u); the code point or -1. */
static long hex4(const expr_cp *c, size_t i)
{
    long u = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = i + k < c->n ? hexval(c->s[i + k]) : -1;
        if (h < 0)
            return -1;
        u = u * 16 + h;
    }
    return u;
}

static bool lex_escape(expr_cp *c, size_t *i)
{
    size_t at = *i;
    char e = *i + 1 < c->n ? c->s[*i + 1] : '\0';
    const char *plain = strchr("\\'\"/`", e);
    static const char from[] = "ntr0", to[] = "\n\t\r\0";
    const char *ctl = e ? strchr(from, e) : NULL;
    if (e && (plain || ctl)) {
        *i += 2;
        char ch = plain ? e : to[ctl - from];
        if (core_buf_putc(&c->sbuf, ch))
            c->nomem = true;
        return true;
    }
    long u = e == 'u' ? hex4(c, *i + 2) : -1;
    if (u >= 0xD800 && u <= 0xDBFF && *i + 7 < c->n && c->s[*i + 6] == '\\' &&
        c->s[*i + 7] == 'u') {
        long lo = hex4(c, *i + 8);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            if (!put_utf8(&c->sbuf, 0x10000 + ((unsigned long)(u - 0xD800) << 10) +
                                        (unsigned long)(lo - 0xDC00)))
                c->nomem = true;
            *i += 12;
            return true;
        }
    }
    if (u >= 0 && (u < 0xD800 || u > 0xDFFF)) {
        if (!put_utf8(&c->sbuf, (unsigned long)u))
            c->nomem = true;
        *i += 6;
        return true;
    }
    expr_fail_at(c, at, "invalid escape in a string; expected \\\\, \\', \\\", \\n, \\t, \\r, "
            "\\0 or \\uXXXX");
    return false;
}

/* A string in quote q, or a backquoted name (doubled `` is one backquote). */
static void lex_quoted(expr_cp *c, char q)
{
    size_t i = c->pos + 1;
    core_buf_clear(&c->sbuf);
    for (;;) {
        if (i >= c->n) {
            expr_fail_at(c, c->pos, q == '`' ? "unclosed backquoted name" : "unclosed string");
            return;
        }
        char ch = c->s[i];
        if (ch == q && q == '`' && i + 1 < c->n && c->s[i + 1] == '`') {
            if (core_buf_putc(&c->sbuf, '`'))
                c->nomem = true;
            i += 2;
        } else if (ch == q) {
            i++;
            break;
        } else if (ch == '\\' && q != '`') {
            if (!lex_escape(c, &i))
                return;
        } else {
            if (core_buf_putc(&c->sbuf, ch))
                c->nomem = true;
            i++;
        }
    }
    if (!core_utf8_valid(c->sbuf.data, c->sbuf.len)) {
        expr_fail_at(c, c->pos, "a string holds bytes that are not UTF-8");
        return;
    }
    if (q == '`' && c->sbuf.len == 0) {
        expr_fail_at(c, c->pos, "an empty backquoted name");
        return;
    }
    c->t.kind = q == '`' ? TK_QIDENT : TK_STR;
    c->pos = i;
}

/* A number, or an integer with a duration unit: 30d 12h 15m 10s 2w. */
static void lex_number(expr_cp *c)
{
    size_t i = c->pos;
    bool plain = true;
    while (i < c->n && is_digit(c->s[i]))
        i++;
    if (i < c->n && c->s[i] == '.') {
        plain = false;
        for (i++; i < c->n && is_digit(c->s[i]);)
            i++;
    }
    if (i < c->n && (c->s[i] == 'e' || c->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < c->n && (c->s[j] == '+' || c->s[j] == '-'))
            j++;
        if (j < c->n && is_digit(c->s[j])) {
            plain = false;
            for (i = j; i < c->n && is_digit(c->s[i]);)
                i++;
        }
    }
    c->t.kind = TK_NUM;
    if (i < c->n && ident_char((unsigned char)c->s[i])) {
        static const struct { char u; int64_t us; } units[] = {
            {'w', 7 * EXPR_US_PER_DAY}, {'d', EXPR_US_PER_DAY},
            {'h', INT64_C(3600000000)}, {'m', INT64_C(60000000)}, {'s', INT64_C(1000000)}};
        bool alone = i + 1 >= c->n || !ident_char((unsigned char)c->s[i + 1]);
        for (size_t k = 0; plain && alone && k < sizeof units / sizeof units[0]; k++) {
            int64_t v = 0;
            if (c->s[i] != units[k].u || !val_integer_parse(c->s + c->pos, i - c->pos, &v) ||
                v > INT64_MAX / units[k].us)
                continue;
            c->t.kind = TK_DUR;
            c->t.dur = v * units[k].us;
            c->pos = i + 1;
            return;
        }
        expr_fail_at(c, c->pos, "unexpected \"%c\" after a number; a duration is an integer "
                "and one unit: 2w, 30d, 12h, 15m or 10s", c->s[i]);
        return;
    }
    c->pos = i;
}

static void lex_ident(expr_cp *c)
{
    size_t i = c->pos;
    for (;;) {
        while (i < c->n && ident_char((unsigned char)c->s[i]))
            i++;
        if (i + 1 < c->n && c->s[i] == '.' && ident_start((unsigned char)c->s[i + 1]))
            i++;
        else
            break;
    }
    static const struct { const char *w; expr_tok_kind k; } kw[] = {
        {"true", TK_TRUE}, {"false", TK_FALSE}, {"null", TK_NULL}, {"in", TK_IN}};
    c->t.kind = TK_IDENT;
    for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
        if (strlen(kw[k].w) == i - c->pos && memcmp(kw[k].w, c->s + c->pos, i - c->pos) == 0)
            c->t.kind = kw[k].k;
    c->pos = i;
}

static bool lex_operator(expr_cp *c)
{
    static const struct { const char *op; expr_tok_kind k; } ops[] = {
        {"==", TK_EQ}, {"!=", TK_NE}, {"<=", TK_LE}, {">=", TK_GE}, {"&&", TK_AND},
        {"||", TK_OR}, {"<", TK_LT}, {">", TK_GT}, {"!", TK_NOT}, {"(", TK_LP},
        {")", TK_RP}, {"[", TK_LB}, {"]", TK_RB}, {",", TK_COMMA}, {"+", TK_PLUS},
        {"-", TK_MINUS}, {"*", TK_STAR}, {"/", TK_SLASH}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t len = strlen(ops[k].op);
        if (c->pos + len <= c->n && memcmp(c->s + c->pos, ops[k].op, len) == 0) {
            c->t.kind = ops[k].k;
            c->pos += len;
            return true;
        }
    }
    return false;
}

void expr_next(expr_cp *c)
{
    if (c->failed)
        return;
    while (c->pos < c->n && strchr(" \t\r\n", c->s[c->pos]) && c->s[c->pos])
        c->pos++;
    c->t.start = c->pos;
    c->t.kind = TK_END;
    if (c->pos >= c->n) {
        c->t.end = c->pos;
        return;
    }
    char ch = c->s[c->pos];
    if (is_digit(ch) || (ch == '.' && c->pos + 1 < c->n && is_digit(c->s[c->pos + 1])))
        lex_number(c);
    else if (ch == '\'' || ch == '"' || ch == '`')
        lex_quoted(c, ch);
    else if (ident_start((unsigned char)ch))
        lex_ident(c);
    else if (!lex_operator(c)) {
        const char *hint = ch == '=' ? " (compare with ==)" : ch == '&' ? " (use &&)"
                         : ch == '|' ? " (use ||)" : "";
        if ((unsigned char)ch >= 0x20 && (unsigned char)ch < 0x7F)
            expr_fail_at(c, c->pos, "unexpected character \"%c\"%s", ch, hint);
        else
            expr_fail_at(c, c->pos, "unexpected byte 0x%02X", (unsigned)(unsigned char)ch);
    }
    c->t.end = c->pos;
}

