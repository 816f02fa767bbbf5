/* engine/diff.h — `assay diff` inside the library: the thresholds, the report
 * being built (JSON for --json, a table line per field for people), and the
 * two comparisons (engine/diff_profile.c, engine/diff_stats.c). The formulas
 * are documented in docs/diff.md. */
#ifndef ASSAY_ENGINE_DIFF_H
#define ASSAY_ENGINE_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "assay/assay.h"
#include "stats/kll.h"
#include "stats/topk.h"

/* The proportion an empty PSI bin counts as (a bin empty on one side would
 * make ln(a/b) infinite). */
#define ENG_PSI_EPSILON 1e-4
#define ENG_PSI_BINS 10      /* numeric PSI: the baseline's deciles */
#define ENG_PSI_TOP 10       /* categorical PSI: the baseline's top values */
/* A field whose baseline values are more than this share distinct is id-like
 * (order numbers, e-mails): its PSI and mean shift are reported, not judged,
 * unless the thresholds file names a limit for that field. */
#define ENG_ID_LIKE_SHARE 0.9
/* The dominant type of a field must read at least this share of the
 * baseline's non-missing values for type_share to apply. */
#define ENG_TYPE_SHARE_MIN 0.5

typedef enum eng_dt {
    ENG_DT_PSI,
    ENG_DT_MISSING,       /* |missing rate delta| */
    ENG_DT_VIOLATION,     /* violation rate increase */
    ENG_DT_QUARANTINE,    /* quarantine rate increase */
    ENG_DT_DISTINCT,      /* max(r, 1/r) of the distinct counts */
    ENG_DT_MEAN,          /* |mean delta| in baseline standard deviations */
    ENG_DT_NEW_CATEGORIES,
    ENG_DT_NEW_DATE_FORMATS,
    ENG_DT_TYPE,          /* inferred type changed: 1, else 0 */
    ENG_DT_TYPE_SHARE,    /* drop of the dominant type's share */
    ENG_DT_COUNT
} eng_dt;

/* The threshold's key in the thresholds file and --json ("psi", ...). */
const char *eng_dt_key(eng_dt k);

typedef struct eng_diff {
    json_t *report;        /* the --json document */
    json_t *fields;        /* report.fields */
    json_t *rules;         /* report.rules (stats) */
    json_t *limits;        /* the thresholds file's "fields" object, or NULL */
    double global[ENG_DT_COUNT]; /* NaN: off */
    json_t *cur;           /* the entry being filled */
    const char *cur_name;  /* its name, for per-field thresholds */
    char line[1024];       /* its table line */
    size_t len;
    char *table;           /* the table so far (lines joined) */
    size_t table_len, table_cap;
    size_t compared, added, removed, crossed;
    char crossed_list[256];
    assay_error *err;
} eng_diff;

/* Starts an entry (a field, a rule) in array `into` of the report. */
int eng_diff_begin(eng_diff *d, json_t *into, const char *kind, const char *name,
                   const char *status);
/* Appends a token to the entry's table line (printf-like). */
void eng_diff_text(eng_diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Judges value against the entry's threshold k (when it has one): records
 * {name, value, limit, crossed} in the entry's "thresholds" and marks the
 * table's last token with '*' when crossed. -1 out of memory. */
int eng_diff_judge(eng_diff *d, eng_dt k, double value);
/* Whether the thresholds file gives the entry's field its own limit for k. */
bool eng_diff_own_limit(const eng_diff *d, eng_dt k);
/* Ends the entry: its table line joins the table. -1 out of memory. */
int eng_diff_end(eng_diff *d);
/* {"baseline": a, "new": b, "delta": b - a} (null where not finite). */
json_t *eng_diff_triple(double a, double b);

/* The two comparisons: fill d from two documents of one kind. */
assay_status eng_diff_profiles(eng_diff *d, json_t *base, json_t *cur);
assay_status eng_diff_stats(eng_diff *d, json_t *base, json_t *cur);

/* The dominant non-string type of profile field f (an entry of a profile's
 * "fields"): of integer, number, boolean, date, datetime, time the one that
 * reads the most non-missing values (the first on a tie), when it reads at
 * least ENG_TYPE_SHARE_MIN of them; NULL otherwise (also without non-missing
 * values). *share gets its share (NaN without non-missing values). */
const char *eng_dominant_type(const json_t *f, double *share);
/* The share of f's non-missing values that read as type (a key of "types");
 * NaN when f has no non-missing values. */
double eng_type_share(const json_t *f, const char *type);

/* Population stability index of two distributions over n bins (each summing
 * to about 1): sum (c - b) ln(c / b), every proportion floored at
 * ENG_PSI_EPSILON. */
double eng_psi(const double *base, const double *cur, size_t n);
/* Numeric PSI: bins between the baseline's deciles (duplicates merged), the
 * proportions from each sketch's ranks scaled by the share of values that
 * are numbers, plus one bin of the non-numeric values (1 - share). NaN when
 * the baseline sketch is empty; -1 when out of memory (both PSIs). */
double eng_psi_numeric(const stats_kll *base, double base_share, const stats_kll *cur,
                       double cur_share);
/* Categorical PSI: the baseline's ENG_PSI_TOP most frequent values plus one
 * bin of every other value, proportions over each sketch's total. NaN when
 * the baseline sketch is empty. */
double eng_psi_categorical(const stats_topk *base, const stats_topk *cur);

#endif
