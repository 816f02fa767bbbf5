/* rules/ctx.h — the state of one rules load, shared by the files of rules/.
 *
 * The loader walks the jansson tree while ctx->path spells where it is; every
 * problem is reported through rules_report, which finds the line and column
 * of that path in the position map. Loading never stops at the first error:
 * each part checks what it can and the plan is thrown away at the end when any
 * error was reported. */
#ifndef ASSAY_RULES_CTX_H
#define ASSAY_RULES_CTX_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "rules/jsonpos.h"
#include "rules/rules.h"

typedef struct rules_ctx {
    const char *file;
    const char *text;
    size_t len;
    const rules_posmap *pos;
    assay_diags *diags;
    size_t nerrors;  /* errors reported by this load */
    bool nomem;      /* an allocation failed: the load returns ASSAY_E_NOMEM */
    core_buf path;   /* where the walk is, e.g. "$.fields[2].constraints" */
    struct assay_rules *r;
} rules_ctx;

/* Report at the current path's key (object members) or value. */
typedef enum rules_where { RW_KEY = 0, RW_VALUE } rules_where;

void rules_report(rules_ctx *c, assay_diag_level lv, rules_where w, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define rules_error(c, w, ...) rules_report((c), ASSAY_DIAG_ERROR, (w), __VA_ARGS__)
#define rules_warn(c, w, ...) rules_report((c), ASSAY_DIAG_WARNING, (w), __VA_ARGS__)

/* Extend the path by a key or index; return the mark that rules_pop restores. */
size_t rules_push_key(rules_ctx *c, const char *key);
size_t rules_push_index(rules_ctx *c, size_t i);
void rules_pop(rules_ctx *c, size_t mark);

/* The exact source text of the value at the current path (number digits). */
bool rules_value_text(const rules_ctx *c, const char **p, size_t *n);
/* Copies of (p, n) with a NUL; NULL (and c->nomem) when memory ran out. */
char *rules_strndup(rules_ctx *c, const char *p, size_t n);
/* A short quoted form of user text for messages: "abc", cut at 48 bytes. */
const char *rules_quote(char *buf, size_t cap, const char *s, size_t n);
/* What a value is, for "got ..." in messages: a string "x", the number 5,
 * an array, an object, true, false, null. */
const char *rules_got(const rules_ctx *c, const json_t *v, char *buf, size_t cap);

/* diag.c: the list behind assay_diags. */
assay_status rules_diags_add(assay_diags *d, assay_diag_level lv, const char *file,
                             int line, int col, const char *path, const char *msg);
/* Sorts the diagnostics added since index from into file order. */
void rules_diags_sort(assay_diags *d, size_t from);

/* field.c */
/* Copies an array of strings (already checked to be one); lens may be NULL. */
char **rules_copy_strings(rules_ctx *c, json_t *a, size_t **lens, size_t *n);
void rules_parse_fields(rules_ctx *c, json_t *fields);
void rules_field_free(rules_field *f);
/* Is (p, n) a decimal number as JSON writes one (integer_only: no fraction or
 * exponent)? An optional leading '+' is allowed. */
bool rules_is_decimal(const char *p, size_t n, bool integer_only);

/* enum.c */
/* An empty set with room for max_values values; NULL when out of memory. */
rules_enum *rules_enum_new(size_t max_values);
/* Adds a copy of (p, n): 1 when added, 0 when already there, -1 when out of
 * memory (or past max_values). */
int rules_enum_add(rules_enum *e, const char *p, size_t n);
/* The same, looked up as (p, n) and shown in messages as (shown, sn). */
int rules_enum_add_as(rules_enum *e, const char *p, size_t n, const char *shown,
                      size_t sn);
void rules_enum_free(rules_enum *e);

#endif
