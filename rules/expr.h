/* rules/expr.h — record-rule expressions: the compiled form and the compiler.
 *
 * An expression (rules[].check, rules[].when) is lexed, parsed, type-checked
 * and compiled once, at load, into an expr_prog: a flat array of nodes, each
 * with its static type already known, children by index. Every type error is
 * found here, never at run time. The evaluator (validators/expr_eval.h) walks
 * the nodes per record without allocating. The language, its types and its
 * null semantics are documented in docs/record-rules.md.
 *
 * A compiled expr_prog is immutable and may be shared by threads; it owns its
 * source text, string literals, decimal literals and compiled regexes. */
#ifndef ASSAY_RULES_EXPR_H
#define ASSAY_RULES_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"
#include "validators/number.h"

/* Longest expression text, deepest nesting (parser and evaluator recurse). */
#define EXPR_MAX_LEN ((size_t)64 << 10)
#define EXPR_MAX_DEPTH 200
/* Exact numbers in arithmetic: an int64 mantissa with up to this many
 * decimal places (docs/record-rules.md, "Numbers"). */
#define EXPR_MAX_SCALE 18

/* Static types of expression values. */
typedef enum expr_type {
    XT_NULL = 0, /* the literal null */
    XT_BOOL, XT_NUM, XT_STR, XT_DATE, XT_TIME, XT_DATETIME, XT_YEARMONTH,
    XT_DURATION,
    XT_OTHER     /* object and array fields: only the null tests apply */
} expr_type;

/* Run-time value kinds (the evaluator's working values). */
typedef enum expr_xkind {
    XK_NULL = 0,
    XK_BOOL,     /* u.b */
    XK_FIX,      /* u.i x 10^-scale, exact */
    XK_DEC,      /* u.d: a decimal too long for XK_FIX (comparisons stay exact) */
    XK_STR,      /* u.s, read through fold (ASCII lower/upper applied lazily) */
    XK_DATE,     /* u.i: days since 1970-01-01 (proleptic Gregorian) */
    XK_TIME,     /* u.i: microseconds since midnight */
    XK_DATETIME, /* u.i: microseconds since 1970-01-01T00:00:00Z */
    XK_YEARMONTH,/* u.i: year * 12 + (month - 1) */
    XK_DURATION, /* u.dur */
    XK_OTHER     /* a present object/array value: only "not null" */
} expr_xkind;

typedef struct expr_xv {
    uint8_t k;      /* expr_xkind */
    uint8_t fold;   /* XK_STR: 0 as is, 1 ASCII lower, 2 ASCII upper */
    uint8_t scale;  /* XK_FIX: decimal places, 0..EXPR_MAX_SCALE */
    union {
        bool b;
        int64_t i;
        const val_dec *d;
        struct { const char *p; size_t n; } s;
        struct { int64_t months, micros; } dur;
    } u;
} expr_xv;

typedef enum expr_op {
    XO_CONST = 0, XO_FIELD, XO_ISNULL, XO_NOT, XO_AND, XO_OR, XO_NEG,
    XO_CMP, XO_IN, XO_ADD, XO_SUB, XO_MUL, XO_DIV, XO_LEN, XO_MATCHES,
    XO_LOWER, XO_UPPER, XO_TODAY, XO_NOW
} expr_op;

typedef enum expr_cmp { XC_EQ = 0, XC_NE, XC_LT, XC_LE, XC_GT, XC_GE } expr_cmp;

typedef struct expr_node {
    uint8_t op;      /* expr_op */
    uint8_t type;    /* expr_type, fixed at compile time */
    uint8_t cmp;     /* XO_CMP: expr_cmp */
    int32_t a, b;    /* children (node indexes), -1 when none */
    uint16_t depth;  /* height of the subtree (bounded by EXPR_MAX_DEPTH) */
    uint32_t start, end; /* byte span in the source, for messages */
    /* XO_CONST: the value, ready to use (string and decimal pointers are
     * set into prog->strs / prog->decs when compiling ends). */
    expr_xv k;
    uint32_t str_off;
    int32_t dec;     /* XK_DEC constant: index into prog->decs, else -1 */
    size_t field;    /* XO_FIELD: plan field index */
    uint32_t first, count; /* XO_IN: constants in prog->list[first..+count) */
    pcre2_code *re;  /* XO_MATCHES: compiled at load (owned) */
} expr_node;

struct expr_prog {
    char *src;       /* the expression text, NUL-terminated (decimals borrow it) */
    size_t src_len;
    expr_node *nodes;
    size_t nnodes;
    int32_t root;
    char *strs;      /* unescaped string literals, back to back */
    size_t strs_len;
    val_dec *decs;   /* decimal literals that do not fit XK_FIX */
    size_t ndecs;
    int32_t *list;   /* XO_IN items: node indexes of constants */
    size_t nlist;
    size_t *refs;    /* plan fields the expression reads, first use first */
    size_t nrefs;
};

/* A compile error: the 1-based column (code points) in the expression and
 * the message (without the column). */
typedef struct expr_error {
    size_t col;
    char msg[512];
} expr_error;

/* Compiles src[0..n) against the plan's fields. want_bool: the result must be
 * a true/false test (check, when). Returns ASSAY_OK and *out, ASSAY_E_RULES
 * with *err filled, or ASSAY_E_NOMEM. */
assay_status rules_expr_compile(const char *src, size_t n, const rules_field *fields,
                                size_t nfields, bool want_bool, expr_prog **out,
                                expr_error *err);
void rules_expr_free(expr_prog *p);

/* A decimal as an exact int64 mantissa m with scale decimal places
 * (value = m x 10^-scale, scale <= EXPR_MAX_SCALE); false when it does not
 * fit (more than 18 significant digits, too large, too many places, NaN,
 * INF). */
bool rules_dec_to_fix(const val_dec *d, int64_t *m, uint8_t *scale);

/* ---- calendar (rules/expr_lit.c), shared with the evaluator ------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t rules_days_from_civil(int64_t y, int m, int d);
void rules_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int rules_days_in_month(int64_t y, int m);

/* ISO literals, whole text only: yyyy-MM-dd; HH:mm[:ss[.ffffff]];
 * yyyy-MM-dd[T ]HH:mm[:ss[.ffffff]][Z|+hh:mm|-hh:mm] (an offset is
 * applied, none means UTC); yyyy-MM. False when not valid (Feb 30 too). */
bool rules_parse_iso_date(const char *p, size_t n, int64_t *days);
bool rules_parse_iso_time(const char *p, size_t n, int64_t *micros);
bool rules_parse_iso_datetime(const char *p, size_t n, int64_t *micros);
bool rules_parse_iso_yearmonth(const char *p, size_t n, int64_t *months);

#define EXPR_US_PER_DAY INT64_C(86400000000)

#endif
