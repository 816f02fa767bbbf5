/* rules/expr_cp.h — the state the expression compiler's files share (the
 * lexer in expr_lex.c, the parser and type checker in expr.c). Internal to
 * rules/expr*.c. */
#ifndef ASSAY_RULES_EXPR_CP_H
#define ASSAY_RULES_EXPR_CP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rules/expr.h"

typedef enum expr_tok_kind {
    TK_END = 0, TK_NUM, TK_DUR, TK_STR, TK_IDENT, TK_QIDENT, TK_TRUE, TK_FALSE,
    TK_NULL, TK_IN, TK_LP, TK_RP, TK_LB, TK_RB, TK_COMMA, TK_EQ, TK_NE, TK_LT,
    TK_LE, TK_GT, TK_GE, TK_AND, TK_OR, TK_NOT, TK_PLUS, TK_MINUS, TK_STAR,
    TK_SLASH
} expr_tok_kind;

typedef struct expr_tok {
    expr_tok_kind kind;
    size_t start, end;
    int64_t dur;    /* TK_DUR: microseconds */
} expr_tok;

typedef struct expr_cp {
    const char *s;
    size_t n, pos;
    expr_tok t;
    core_buf sbuf;  /* TK_STR / TK_QIDENT: the unescaped text */
    const rules_field *fields;
    size_t nfields;
    expr_prog *p;
    size_t capnodes, capstrs, capdecs, caplist, caprefs;
    expr_error *err;
    bool failed, nomem;
    int depth;
} expr_cp;

void expr_fail_at(expr_cp *c, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads the next token into c->t (nothing once c->failed). */
void expr_next(expr_cp *c);

#endif
