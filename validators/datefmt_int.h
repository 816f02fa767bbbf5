/* validators/datefmt_int.h — what the two halves of the date module share:
 * the compiled form of a pattern (datefmt_compile.c builds it) and the names
 * of a locale, read by the matcher and the worker (datefmt.c). Internal to
 * validators/; the public API is datefmt.h. */
#ifndef ASSAY_VALIDATORS_DATEFMT_INT_H
#define ASSAY_VALIDATORS_DATEFMT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <unicode/utypes.h>

#include "validators/datefmt.h"

#define VAL_DATE_LEN_SLOTS 128

typedef enum df_kind {
    EK_LIT = 0,
    EK_NUM,      /* min..max ASCII digits */
    EK_TEXT,     /* one of a names list (min: the list) */
    EK_FRAC,     /* min..max fraction digits (no dot) */
    EK_OPT_FRAC, /* nothing, or '.' and 1..9 digits (ISO defaults) */
    EK_OFS       /* an offset; ofs says which forms */
} df_kind;

typedef enum df_field {
    FD_NONE = 0, FD_YEAR, FD_YY, FD_MONTH, FD_DAY, FD_WDAY, FD_HOUR, FD_HOUR12,
    FD_AMPM, FD_MINUTE, FD_SECOND, FD_FRAC, FD_OFS, FD_COUNT
} df_field;

#define HAS(f) (1u << (f))

enum { OF_Z = 1, OF_HH = 2, OF_HHMM = 4, OF_COLON = 8, OF_OPT = 16 };
enum { NL_MON_ABBR = 0, NL_MON_FULL, NL_WDAY_ABBR, NL_WDAY_FULL, NL_AMPM, NL_COUNT };

typedef struct df_el {
    uint8_t kind, field, min, max, ofs;
    uint16_t off, len; /* EK_LIT: bytes in the format's lits */
} df_el;

/* The word-at-a-time form of a fixed layout of 1..32 bytes whose numbers are
 * yyyy, or two digits of yy MM dd HH mm ss (as yyyy-MM-dd and the ISO
 * datetime with a literal Z). Matching (len >= 8): the value is read as
 * nw 8-byte words at woff (the last may overlap the one before); a word
 * passes when (w & mask) == want (every literal byte exact, every digit
 * byte 0x30..0x3f) and ((w + add) & high) == (want & high) (every digit
 * byte below 0x3a: adding 6 keeps it in 0x3_). Writing: tmpl holds the
 * literals; at[] the offset of each field's digits (-1: absent). */
typedef struct df_fast {
    uint8_t len;       /* 0: the format has no fast form */
    uint8_t nw;
    uint8_t woff[4];
    uint64_t mask[4], want[4], add[4], high[4];
    int8_t at[FD_COUNT];
    char tmpl[32];
} df_fast;

typedef struct df_fmt {
    char *name;        /* as written (stats, messages) */
    char *icu;         /* the ICU pattern (UTF-8); NULL when not expressible */
    df_el *els;
    size_t nels;
    char *lits;
    size_t min_len, max_len;
    uint32_t has;      /* HAS(field) of each field present */
    uint8_t nchk;      /* literal bytes at fixed offsets, checked first */
    uint8_t chk_off[4];
    char chk[4];
    /* Fixed layout (every element a literal or a fixed-width number, as in
     * yyyy-MM-dd): one exact length, every literal byte at its offset, every
     * number at its offset; matched without walking the elements. */
    bool fixed;
    uint8_t nlit, nnum;
    uint8_t lit_off[16];
    char lit[16];
    struct { uint8_t off, width, field; } num[8];
    df_fast fast;      /* the word-at-a-time form; fast.len 0: none */
    bool icu_serves;   /* names of a locale the matcher does not know */
    bool utc_literal;  /* ends with a literal Z, GMT or UTC after a time */
} df_fmt;

typedef struct df_names {
    int count;
    const char *s[12];
    uint8_t len[12];
    bool ascii[12];
    UChar *u[12];
    int32_t ulen[12];
} df_names;

struct val_datefmts {
    rules_type type;
    df_fmt fmts[VAL_DATE_MAX_FORMATS];
    size_t n;
    /* Bit i: format i can match a value of this many bytes (its length
     * range holds it); the last entry stands for every longer length. */
    uint32_t by_len[VAL_DATE_LEN_SLOTS];
    bool any;                /* Table Schema "any" */
    char *locale;            /* ICU id with @calendar=gregorian;numbers=latn */
    bool english;
    df_names names[NL_COUNT];
    char *name_block;        /* owns the locale's names */
    bool has_pivot;
    int32_t pivot;
    char *tz;                /* NULL: none */
    bool tz_utc;
    int prefer;              /* -1 none, -2 "first", else the format */
    bool has_output, output_iso;
    df_fmt output;
    val_date_bound min, max;
};

static inline bool val_df_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The longest of nm's names that matches p case-insensitively: its index,
 * *len its length; -1 when none does. */
int val_df_name_match(const df_names *nm, const char *p, size_t n, size_t *len);

#endif
