/* rules/keys.h — which keys a rules file may hold, where, and of what JSON
 * kind; "did you mean" for the rest.
 *
 * One table per place. A key's `unchecked` flag says that assay accepts it but
 * does not act on it yet: the loader warns "not checked yet by assay". When a
 * later version implements the key, it flips the flag in keys.c and nothing
 * else changes. */
#ifndef ASSAY_RULES_KEYS_H
#define ASSAY_RULES_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "rules/ctx.h"

typedef enum rules_place {
    RP_TOP = 0, RP_FIELD, RP_CONSTRAINTS, RP_DIALECT, RP_POLICY, RP_RULE,
    RP_FOREIGN_KEY, RP_REFERENCE, RP_CLEAN_STEP, RP_COUNT
} rules_place;

typedef enum rules_kind {
    RK_ANY = 0,
    RK_STRING,
    RK_BOOL,
    RK_NUMBER,
    RK_UINT,    /* a non-negative integer */
    RK_OBJECT,
    RK_ARRAY,
    RK_STRINGS, /* an array of strings */
    RK_NAMES,   /* a string or a non-empty array of strings */
    RK_SCALAR   /* a string or a number */
} rules_kind;

typedef struct rules_key {
    const char *name;
    rules_kind kind;
    bool unchecked;   /* accepted, not acted on yet: warn */
    const char *note; /* appended to the "not checked" warning, or NULL */
} rules_key;

/* A value name and whether assay acts on it yet (types, formats, steps). */
typedef struct rules_word {
    const char *name;
    bool unchecked;
} rules_word;

/* Checks every key of obj (the value at the current path) against the table
 * of place: unknown keys are errors with a suggestion, unchecked keys warn,
 * and a value of the wrong JSON kind is an error. Keys starting with "x-"
 * are the user's own and skipped. */
void rules_check_keys(rules_ctx *c, rules_place place, json_t *obj);
/* obj[key] when it is present and of its table kind, else NULL. */
json_t *rules_get(json_t *obj, rules_place place, const char *key);

/* The nearest of names to word: case-insensitively equal, or at most two
 * edits away (and fewer edits than word has characters); NULL when none. */
const char *rules_suggest(const char *word, size_t n, const char *const *names,
                          size_t count);
/* Finds word in a rules_word table ending with {NULL}; NULL when absent. */
const rules_word *rules_word_find(const rules_word *table, const char *word, size_t n);
/* rules_suggest over a rules_word table. */
const char *rules_word_suggest(const rules_word *table, const char *word, size_t n);
/* "a, b or c" of a rules_word table, for "expected ..." messages. */
const char *rules_word_list(const rules_word *table, char *buf, size_t cap);
/* Reports (p, n), the value at the current path, as not one of table's words:
 * 'unknown type "integr" (did you mean "integer"?)' or '...; expected one of'. */
void rules_unknown_word(rules_ctx *c, const char *what, const rules_word *table,
                        const char *p, size_t n);
/* Warns 'type "date": not checked yet by assay' when w is unchecked. */
void rules_warn_unchecked_word(rules_ctx *c, const char *what, const rules_word *w,
                               const char *note);

extern const rules_word rules_type_words[];   /* indexed by rules_type */
extern const rules_word rules_step_words[];   /* indexed by rules_step, but
                                                 RS_DEFAULT has no word: the words
                                                 after it are one step further;
                                                 map and replace have none */
extern const rules_word rules_string_formats[];

#endif
