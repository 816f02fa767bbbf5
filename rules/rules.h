/* rules/rules.h — the compiled, immutable plan a rules file becomes.
 *
 * rules_load parses the JSON with jansson, maps every JSON path to its line and
 * column (rules/jsonpos.c), checks every key against what SPEC §3 and Table
 * Schema v1 define, compiles patterns with pcre2 (JIT) and hashes enums. The
 * result (struct assay_rules) is read-only after loading and is shared by all
 * threads of a run. */
#ifndef ASSAY_RULES_RULES_H
#define ASSAY_RULES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "assay/assay.h"

typedef enum rules_type {
    RT_STRING = 0, RT_INTEGER, RT_NUMBER, RT_BOOLEAN, RT_DATE, RT_TIME,
    RT_DATETIME, RT_YEAR, RT_YEARMONTH, RT_DURATION, RT_ANY, RT_OBJECT, RT_ARRAY
} rules_type;

typedef enum rules_step {
    RS_TRIM = 0, RS_COLLAPSE_SPACES, RS_LOWER, RS_UPPER, RS_NFC, RS_STRIP_CONTROL,
    RS_REPLACE_INVALID, RS_DEFAULT, RS_CASEFOLD, RS_NFKC, RS_FIX_MOJIBAKE, RS_MAP,
    RS_REPLACE
} rules_step;

/* A map step's table (validators/clean.h): whole values, hashed. */
typedef struct val_map val_map;

typedef struct rules_clean {
    rules_step step;
    char *arg;      /* RS_DEFAULT: the default value; RS_REPLACE: "with" */
    size_t arg_len;
    val_map *map;   /* RS_MAP: the table */
    pcre2_code *re; /* RS_REPLACE: the pattern, compiled once (UTF) */
    char *src;      /* RS_REPLACE: the pattern as written (messages) */
    bool re_jit;    /* RS_REPLACE: JIT compile succeeded */
} rules_clean;

/* Table Schema formats of string fields that assay checks
 * (validators/formats.h). */
typedef enum rules_strfmt {
    RF_NONE = 0, RF_EMAIL, RF_URI, RF_UUID, RF_IPV4, RF_IPV6, RF_HOSTNAME
} rules_strfmt;

typedef enum rules_severity { RSEV_ERROR = 0, RSEV_WARN } rules_severity;

/* A minimum/maximum as written in the rules file: the exact source text of a
 * JSON number (never through a double) or a string (dates, "today-30d"). */
typedef struct rules_bound {
    bool set;
    bool is_string;
    char *text;
    size_t len;
} rules_bound;

/* An enum compiled to an open-addressing hash set of byte strings. */
typedef struct rules_enum {
    size_t count;
    size_t cap;         /* room in values/lens (the most values it takes) */
    char **values;      /* the keys looked up: for integer and number fields
                           the canonical text of the number (val_integer_key,
                           val_dec_canon), so 1.50 matches 1.5 */
    size_t *lens;
    char **shown;       /* each value as the rules file wrote it, for messages */
    size_t nslots;      /* power of two */
    int32_t *slots;     /* index into values, -1 empty */
    /* Values of at most 8 bytes again, packed into a word with their length
     * (rules_enum_has compares words: no hash of bytes, no memcmp). */
    uint64_t *short_w;  /* nslots entries */
    uint8_t *short_n;   /* length + 1; 0: empty */
} rules_enum;

typedef struct rules_field {
    char *name;
    size_t name_len;
    rules_type type;
    char *format;            /* Table Schema format, or NULL */
    rules_severity severity;
    rules_clean *clean;
    size_t nclean;
    bool required;           /* constraints.required, or in primaryKey */
    bool unique;
    rules_bound minimum, maximum;
    int64_t min_length, max_length;  /* -1: not set */
    int64_t min_items, max_items;    /* object/array: -1 not set */
    char *pattern_src;       /* NULL: none */
    pcre2_code *pattern;     /* compiled anchored, JIT when available */
    bool pattern_jit;        /* JIT compile succeeded */
    struct val_dfa *pattern_dfa; /* NULL: pcre2 matches (validators/dfa.h) */
    rules_enum *enumset;     /* NULL: none */
    char **true_values, **false_values; /* NULL: Table Schema defaults */
    size_t ntrue, nfalse;
    double mostly;           /* 0: not set */
    rules_strfmt strfmt;     /* string fields: the format checked, or RF_NONE */
    pcre2_code *format_re;   /* its pattern, compiled anchored with JIT */
    bool format_jit;
    char *case_locale;       /* string fields: ICU locale of lower, upper and
                                casefold ("tr"); NULL: the root locale */
    bool case_needs_icu;     /* case_locale maps ASCII letters otherwise than
                                ASCII does (tr, az): no ASCII fast path */
    struct val_datefmts *dates; /* date, time, datetime, year, yearmonth and
                                   duration fields: formats, prefer, output,
                                   locale, century_pivot, timezone and the
                                   bounds, compiled (validators/datefmt.h);
                                   NULL for other types */
    struct val_locnum_spec *locnum; /* integer/number fields: the notation of
                                       decimalChar, groupChar, bareNumber,
                                       locale and "output": "plain"
                                       (validators/locnum.h); NULL: plain */
} rules_field;

/* A compiled record-rule expression (rules/expr.h). */
typedef struct expr_prog expr_prog;

/* One item of rules[]: applies where `when` holds (always when NULL); then
 * every `require` field must be present (not missing) and `check` must not
 * be false (docs/record-rules.md). */
typedef struct rules_rule {
    char *name;
    size_t name_len;
    char *description;       /* NULL: none */
    rules_severity severity;
    double mostly;           /* 0: not set */
    expr_prog *when;         /* NULL: every record */
    expr_prog *check;        /* NULL: none (require only) */
    size_t *require;         /* plan field indexes */
    size_t nrequire;
    size_t *refs;            /* every field when/check/require reads, once each,
                                in order of first use: what -e shows */
    size_t nrefs;
} rules_rule;

typedef enum rules_extra { REXTRA_PASS = 0, REXTRA_QUARANTINE, REXTRA_DROP } rules_extra;
typedef enum rules_blank { RBLANK_QUARANTINE = 0, RBLANK_SKIP } rules_blank;

typedef struct rules_policy {
    bool has_max_quarantine_rate;
    double max_quarantine_rate;
    bool has_min_records;
    uint64_t min_records;
    bool has_max_formats;    /* max_formats_per_field: a date column may mix */
    uint64_t max_formats;    /* at most this many of its formats */
    rules_extra extra_fields;
    rules_blank blank_rows;
} rules_policy;

typedef struct rules_dialect {
    int delimiter;         /* -1: not set */
    int quote;             /* -1: not set; 0: no quoting */
    bool header;           /* default true */
    bool case_sensitive_header; /* default true */
    char *record_path;     /* XML: the record element ("/orders/order"); NULL */
} rules_dialect;

struct assay_rules {
    char *name;
    char *file;              /* as the caller named it, for messages */
    rules_field *fields;
    size_t nfields;
    char **missing_values;   /* default: [""] */
    size_t *missing_lens;
    size_t nmissing;
    uint64_t missing_len_mask; /* bit n: a token n bytes long (n < 63); bit 63:
                                  a token of 63 bytes or more */
    uint64_t missing_first[4]; /* bit b: a non-empty token's first byte is b */
    size_t *primary_key;     /* indexes into fields */
    size_t npk;
    char *encoding;          /* NULL: auto */
    rules_dialect dialect;
    rules_policy policy;
    rules_rule *rules;       /* record rules, in file order */
    size_t nrules;
};

/* rules_enum_has: is (p, n) one of the enum's values? */
bool rules_enum_has(const rules_enum *e, const char *p, size_t n);
/* Index of the field named (p, n), or -1. */
ptrdiff_t rules_field_index(const struct assay_rules *r, const char *p, size_t n);

#endif
