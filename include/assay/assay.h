/* assay — a streaming data-quality gate.
 *
 * This is the one public header of libassay. The command line (cli/) is a thin
 * user of it; everything else is internal.
 *
 * Ownership, stated once for the whole API:
 *   - Objects come in assay_X_new / assay_X_free pairs (or _load / _free). The
 *     caller owns what a _new or _load returns and frees it with the matching
 *     _free; every _free accepts NULL.
 *   - Pointers returned by getters (strings, diagnostics, result fields) are
 *     borrowed from the object they came from and stay valid until that object
 *     is freed. Copy what you keep longer.
 *   - The library never keeps a pointer to a caller's buffer past the call that
 *     received it, except the option struct of assay_check_run, which must stay
 *     valid for the duration of that call.
 *
 * Errors: every fallible call returns an assay_status (0 is success). Human
 * context — file, line, column, JSON path — travels beside it in an
 * assay_diag list or an assay_error struct; assay_strerror names the code.
 *
 * Thread safety: a loaded assay_rules is immutable and may be shared by threads.
 * No function keeps global mutable state.
 */
#ifndef ASSAY_ASSAY_H
#define ASSAY_ASSAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ASSAY_BUILDING) && defined(__GNUC__)
#define ASSAY_API __attribute__((visibility("default")))
#else
#define ASSAY_API
#endif

#define ASSAY_VERSION "0.1.0"

/* ---- status ------------------------------------------------------------ */

typedef enum assay_status {
    ASSAY_OK = 0,
    ASSAY_E_USAGE,   /* bad option or argument (exit 2) */
    ASSAY_E_RULES,   /* rules file invalid (exit 2) */
    ASSAY_E_IO,      /* read/write/open failure (exit 3) */
    ASSAY_E_NOMEM,   /* allocation failed (exit 3) */
    ASSAY_E_LIMIT,   /* a configured limit was reached (exit 3) */
    ASSAY_E_INTERNAL /* a bug: should never happen (exit 3) */
} assay_status;

ASSAY_API const char *assay_strerror(assay_status st);

/* One human-readable error: what failed and where. */
typedef struct assay_error {
    assay_status status;
    char message[1024];
} assay_error;

/* ---- versions ---------------------------------------------------------- */

ASSAY_API const char *assay_version(void);
/* Writes "ICU 72.1, PCRE2 10.42, libxml2 2.9.14, jansson 2.14, libcsv 3.0.3"
 * (the versions this process runs with) into buf. */
ASSAY_API void assay_library_versions(char *buf, size_t cap);

/* ---- diagnostics (rules loading and lint) ------------------------------ */

typedef enum assay_diag_level {
    ASSAY_DIAG_ERROR = 0,
    ASSAY_DIAG_WARNING = 1
} assay_diag_level;

typedef struct assay_diag {
    assay_diag_level level;
    const char *file;    /* the rules file as named by the caller */
    int line, column;    /* 1-based; 0 when unknown */
    const char *path;    /* JSON path, e.g. "$.fields[3].constraints.minimun" */
    const char *message; /* what is wrong and what was expected */
} assay_diag;

typedef struct assay_diags assay_diags;

ASSAY_API assay_diags *assay_diags_new(void);
ASSAY_API void assay_diags_free(assay_diags *d);
ASSAY_API size_t assay_diags_count(const assay_diags *d);
ASSAY_API size_t assay_diags_errors(const assay_diags *d);
ASSAY_API const assay_diag *assay_diags_get(const assay_diags *d, size_t i);

/* ---- rules ------------------------------------------------------------- */

typedef struct assay_rules assay_rules;

/* Loads and compiles a rules file. Every problem found goes to diags (which
 * may be NULL). Returns ASSAY_OK and *out on success; ASSAY_E_RULES when the
 * file has at least one error (then *out is NULL); ASSAY_E_IO when it cannot
 * be read; ASSAY_E_NOMEM. Warnings alone do not fail the load. */
ASSAY_API assay_status assay_rules_load(const char *path, assay_diags *diags,
                                        assay_rules **out);
/* The same from a buffer; name is used in messages. */
ASSAY_API assay_status assay_rules_load_buffer(const char *name, const char *text,
                                               size_t len, assay_diags *diags,
                                               assay_rules **out);
ASSAY_API void assay_rules_free(assay_rules *r);
ASSAY_API size_t assay_rules_field_count(const assay_rules *r);

/* ---- check ------------------------------------------------------------- */

typedef enum assay_format {
    ASSAY_FMT_AUTO = 0,
    ASSAY_FMT_CSV,
    ASSAY_FMT_TSV,
    ASSAY_FMT_NDJSON,
    ASSAY_FMT_JSON,
    ASSAY_FMT_XML
} assay_format;

/* Called when the library creates (added=1) or removes (added=0) a temporary
 * output file, so that a signal handler in the caller can unlink what is
 * still there. The path is borrowed for the duration of the call. */
typedef void (*assay_tempfile_fn)(const char *path, int added, void *ctx);

typedef struct assay_check_opts {
    const char *const *inputs; /* NULL or "-" entries mean standard input */
    size_t ninputs;
    const char *output;     /* NULL: standard output */
    const char *quarantine; /* NULL: derived from the first input (SPEC §1) */
    const char *errors;     /* NULL: none */
    const char *changes;    /* NULL: none */
    const char *stats;      /* NULL: none */
    const char *junit;      /* --junit: JUnit XML report; NULL: none */
    const char *metrics;    /* --metrics: Prometheus text format; NULL: none */
    const char *record_path; /* XML: the record element (/orders/order);
                                NULL: the rules' dialect.recordPath */
    int schema_order;       /* --schema-order: output columns in the rules'
                               field order (extra columns dropped) */
    assay_format format;
    assay_format output_format;
    const char *encoding;   /* NULL: the rules' encoding, else auto */
    int range_set;          /* --byte-range START:END given */
    uint64_t range_start, range_end; /* end 0: the end of the file */
    const char *now;        /* --now: ISO date or datetime for today()/now()
                               and relative bounds; NULL: the system clock */
    int no_clean;
    int annotate;
    int delimiter;          /* -1: from rules / format default */
    int quote;              /* -1: from rules / default; 0: --quote none */
    size_t max_record_bytes; /* 0: default 16 MiB */
    size_t max_field_bytes;  /* 0: default 4 MiB */
    uint64_t max_errors_per_rule; /* 0: unlimited */
    uint64_t max_unique_keys;     /* 0: default */
    size_t read_block;       /* 0: default; tests use small blocks */
    unsigned jobs;           /* 0: check on the calling thread; N: N worker
                                threads check batches of records while the
                                calling thread reads and another writes, in
                                input order (the results never depend on N) */
    size_t batch_records;    /* records per batch with jobs; 0: 4096 */
    assay_tempfile_fn on_tempfile;
    void *tempfile_ctx;
    volatile int *interrupted; /* set non-zero by the caller to stop early */
} assay_check_opts;

/* One line of the "top violations" summary. */
typedef struct assay_violation_count {
    const char *field; /* "" for record-level rules */
    const char *rule;
    uint64_t count;
} assay_violation_count;

typedef struct assay_check_result {
    uint64_t read, passed, quarantined, cleaned, skipped, unparsed;
    int thresholds_ok;      /* 1 when every policy threshold held */
    char breach[256];       /* the thresholds that did not hold, for people */
    char encoding[64];      /* the input encoding, e.g. "UTF-8", "windows-1252" */
    const char *decided_by; /* "bom", "utf8-valid", "detected", "declared",
                               "fallback" (static string) */
    int confidence;         /* 0..100 when decided_by is "detected" */
    int empty_input;        /* read == 0 */
    int broken_pipe;        /* a reader of an output pipe went away (EPIPE):
                               end silently with exit 3 */
    const char *quarantine_path; /* where the quarantine went (borrowed) */
    assay_violation_count top[5];
    size_t ntop;
    double seconds;
    assay_error error;      /* set when the run returns non-zero */
    void *owned;            /* library-owned storage behind the strings */
} assay_check_result;

typedef struct assay_check assay_check;

ASSAY_API void assay_check_opts_init(assay_check_opts *o);
/* Runs the whole check. Returns ASSAY_OK when the run completed (the data may
 * still have failed: see result->thresholds_ok), or the error that stopped it
 * (result->error says what). Result strings stay valid until
 * assay_check_result_free. */
ASSAY_API assay_status assay_check_run(const assay_rules *rules,
                                       const assay_check_opts *opts,
                                       assay_check_result *result);
ASSAY_API void assay_check_result_free(assay_check_result *result);

/* ---- merge ------------------------------------------------------------- */

typedef struct assay_merge_result {
    size_t nshards;         /* stats files merged */
    uint64_t read, passed, quarantined; /* the merged record counts */
    int thresholds_ok;      /* 1 when every recomputed threshold holds */
    char breach[256];       /* the thresholds that do not hold, for people */
    int broken_pipe;        /* the reader of the output pipe went away (EPIPE):
                               end silently with exit 3 */
} assay_merge_result;

/* Merges the statistics files (written by `assay check -s`) of n shards of
 * one data set into the statistics of the whole and writes them, as JSON, to
 * out_path (NULL or "-": standard output; a file is written to a temporary
 * and renamed into place, never half-written). Counts sum exactly; the
 * thresholds are recomputed from the merged counts (docs/cli.md, "assay
 * merge"). result may be NULL.
 *
 * Returns ASSAY_OK when the merged statistics were written (the merged data
 * may still fail: see result->thresholds_ok); ASSAY_E_USAGE when a file is not
 * JSON, not assay statistics, or does not fit the others (stats_version,
 * threshold limits); ASSAY_E_IO when a file cannot be read or the output
 * cannot be written; ASSAY_E_NOMEM. err says which file and where.
 * on_tempfile (may be NULL) hears of the temporary output file, as for
 * assay_check_opts. */
ASSAY_API assay_status assay_stats_merge(const char *const *paths, size_t n,
                                         const char *out_path, assay_tempfile_fn on_tempfile,
                                         void *tempfile_ctx, assay_merge_result *result,
                                         assay_error *err);

/* ---- diff -------------------------------------------------------------- */

/* `assay diff`: two profiles (`assay profile`) or two statistics files
 * (`assay check -s`) compared, every metric judged against a threshold
 * (docs/diff.md). A threshold given here (not NaN) replaces the thresholds
 * file's global value and the default; per-field values of the file still
 * apply to their field. */
typedef struct assay_diff_opts {
    const char *baseline, *current; /* the two documents (required) */
    const char *thresholds;         /* thresholds JSON file, or NULL */
    const char *json;               /* the report as JSON, or NULL for none */
    const char *table;              /* the table for people: NULL or "-": stdout */
    double psi;                     /* NaN: not given (assay_diff_opts_init) */
    double missing_rate_delta;
    double violation_rate_delta;
    double quarantine_rate_delta;
    double distinct_ratio;
    double mean_shift;
    double new_categories;
    double new_date_formats;
    double type_share_drop;         /* drop of the dominant type's share */
    int allow_type_change;          /* 1: an inferred type change is no drift */
    assay_tempfile_fn on_tempfile;  /* as for assay_check_opts; may be NULL */
    void *tempfile_ctx;
} assay_diff_opts;

ASSAY_API void assay_diff_opts_init(assay_diff_opts *o);

typedef struct assay_diff_result {
    int profiles;             /* 1: profiles were compared, 0: check statistics */
    size_t compared, added, removed; /* fields in both, only in new, only in baseline */
    size_t crossed;           /* thresholds crossed: 0 means no drift (exit 0) */
    char crossed_list[256];   /* "amount: psi; zip: missing_rate_delta", for people */
    int broken_pipe;          /* stdout's reader went away: end with exit 3 */
} assay_diff_result;

/* Compares and writes the table (and the JSON report). Returns ASSAY_OK when
 * the comparison was written (drift or not: see result->crossed);
 * ASSAY_E_USAGE when a document is not JSON, not a profile or statistics, the
 * two are of different kinds, or the thresholds file is invalid; ASSAY_E_IO
 * when a file cannot be read or an output written; ASSAY_E_NOMEM. */
ASSAY_API assay_status assay_diff_run(const assay_diff_opts *opts, assay_diff_result *result,
                                      assay_error *err);

/* ---- profile ----------------------------------------------------------- */

typedef struct assay_profile_opts {
    const char *const *inputs; /* NULL or "-" entries mean standard input */
    size_t ninputs;
    const char *json;       /* --json: the profile document; NULL: none */
    const char *html;       /* --html: the HTML report; NULL: none */
    const char *suggest;    /* --suggest: drafted rules; NULL: none */
    int no_table;           /* no table on standard output (it is never written
                               when an output above is standard output) */
    assay_format format;    /* AUTO: from the extension, else sniffed */
    const char *encoding;   /* NULL: the rules' encoding, else auto */
    const char *record_path; /* XML: the record element; NULL: the rules' */
    int delimiter;          /* -1: from rules / format default */
    int quote;              /* -1: from rules / default; 0: no quoting */
    int header;             /* -1: from rules (default true); 0 or 1 */
    size_t max_record_bytes; /* 0: default 16 MiB */
    size_t max_field_bytes;  /* 0: default 4 MiB */
    size_t read_block;       /* 0: default */
    uint64_t shapes_after;   /* shapes: the values of the first N records;
                                0: 100000 */
    uint64_t top_after;      /* top values: the values of the first N records;
                                0: 100000 */
    unsigned jobs;           /* 0: every value on the calling thread; N: N
                                worker threads (the caller reads) */
    size_t batch_records;    /* records per batch with jobs; 0: 4096 */
    assay_tempfile_fn on_tempfile;
    void *tempfile_ctx;
    volatile int *interrupted; /* set non-zero by the caller to stop early */
} assay_profile_opts;

typedef struct assay_profile_result {
    uint64_t records, bytes;
    size_t nfields;
    char encoding[64];
    const char *decided_by; /* static string; NULL when nothing was opened */
    int broken_pipe;        /* a reader of an output pipe went away */
    double seconds;
    assay_error error;      /* set when the run returns non-zero */
} assay_profile_result;

ASSAY_API void assay_profile_opts_init(assay_profile_opts *o);
/* Profiles the inputs in one streaming pass (rules may be NULL: then the
 * default missing tokens and date formats, CSV labels or top-level members as
 * fields). Writes the document, the report, the suggested rules and the
 * table, all or none. ASSAY_E_USAGE (bad format, record path...), ASSAY_E_IO,
 * ASSAY_E_NOMEM; result->error says what. The result owns nothing. */
ASSAY_API assay_status assay_profile_run(const assay_rules *rules,
                                         const assay_profile_opts *opts,
                                         assay_profile_result *result);
ASSAY_API void assay_profile_result_free(assay_profile_result *result);

#ifdef __cplusplus
}
#endif
#endif /* ASSAY_ASSAY_H */
