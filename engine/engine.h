/* engine/engine.h — the check engine's internal state.
 *
 * Data flows one way: io reads a record -> the engine cleans and checks each
 * value through the validators (using the compiled plan) -> the record is routed
 * to the output or, byte-exact, to the quarantine; violations and changes go to
 * their NDJSON files and to the statistics. */
#ifndef ASSAY_ENGINE_ENGINE_H
#define ASSAY_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"
#include "core/buf.h"
#include "engine/unique.h"
#include "io/csv_reader.h"
#include "io/doc.h"
#include "io/outfile.h"
#include "rules/rules.h"
#include "validators/bounds.h"
#include "validators/datefmt.h"
#include "validators/expr_eval.h"

/* Every rule a violation can name. Field rules first, then structural ones. */
typedef enum eng_rule {
    ER_REQUIRED = 0, ER_TYPE, ER_PATTERN, ER_ENUM, ER_MINIMUM, ER_MAXIMUM,
    ER_MINLENGTH, ER_MAXLENGTH, ER_UNIQUE, ER_PRIMARYKEY, ER_AMBIGUOUS_DATE,
    ER_FORMAT, ER_MINITEMS, ER_MAXITEMS, ER_PATTERN_LIMIT,
    ER_BLANK_ROW, ER_EXTRA_CELL, ER_MISSING_CELL, ER_MALFORMED, ER_ENCODING,
    ER_CONTROL_CHARS, ER_RECORD_TOO_LARGE, ER_HEADER, ER_EXTRA_FIELD,
    ER_UNWRITABLE, ER_RECORD_RULE, ER_JSON_PARSE, ER_NOT_OBJECT, ER_XML, ER_XML_ENTITY,
    ER_COUNT
} eng_rule;
#define ER_FIELD_RULES (ER_PATTERN_LIMIT + 1)

const char *eng_rule_name(eng_rule r);
struct eng_run;
struct eng_violation;
/* The rule a violation names (a record rule's own name) and its value. */
const char *eng_viol_rule(const struct eng_run *run, const struct eng_violation *v);
const char *eng_viol_value(const struct eng_run *run, const struct eng_violation *v);

typedef struct eng_violation {
    int field;               /* plan field index; -1: record level */
    const char *label;       /* field label when field < 0 (extra_field...) */
    size_t label_len;
    eng_rule rule;
    rules_severity sev;
    bool counts_only;        /* a "mostly" check: counted, never quarantines */
    size_t rule_index;       /* ER_RECORD_RULE: index into the plan's rules */
    bool value_in_msgs;      /* the value lives in msgs at val_off */
    size_t val_off;
    bool has_value;
    const char *value;
    size_t value_len;
    size_t msg_off, msg_len; /* into eng_rec.msgs */
} eng_violation;

/* One value of the record being checked. */
typedef struct eng_value {
    const char *p;    /* the value after cleaning */
    size_t n;
    const char *raw;  /* as read */
    size_t raw_n;
    bool present;     /* the column exists in this input */
    bool absent;      /* JSON/XML: no such key, null, or an empty element
                         (missing whatever missingValues says) */
    const struct io_docval *doc; /* JSON/XML: the value's kind and bytes */
    bool missing;     /* absent or a missingValues token */
    bool type_ok;     /* present, not missing, and of the field's type */
    bool changed;     /* cleaning changed it */
    int64_t ival;     /* RT_INTEGER */
    bool bval;        /* RT_BOOLEAN */
    val_dt dt;        /* temporal types */
    val_dec dec;      /* RT_NUMBER: a view of p */
    core_buf clean;   /* storage for the cleaned text */
    core_buf key;     /* canonical typed text for uniqueness */
    core_buf plain;   /* a locale-written number in plain notation */
    const char *pn_p; /* the plain text the type check read (p, or plain) */
    size_t pn_n;
} eng_value;

/* Per-field statistics. */
typedef struct eng_field_stats {
    uint64_t missing, invalid, cleaned;
    uint64_t failed;       /* records with any violation of this field */
    uint64_t ambiguous_resolved; /* dates that prefer decided */
    uint64_t *formats;     /* dates: values each format parsed */
    uint64_t violations[ER_COUNT]; /* field rules, and control_chars */
} eng_field_stats;

typedef struct eng_stats {
    uint64_t read, passed, quarantined, cleaned, skipped, unparsed;
    uint64_t bytes;
    uint64_t invalid_sequences;
    uint64_t structural[ER_COUNT]; /* record-level rule counts */
    eng_field_stats *fields;       /* one per plan field */
    uint64_t *rule_viol;           /* per record rule: violations */
    uint64_t *rule_eval;           /* per record rule: records it applied to */
} eng_stats;

/* How one input's columns map to the plan. */
typedef struct eng_input {
    const char *name;        /* as given; "-" for stdin */
    int fd;
    io_csv_reader *reader;
    struct io_decode *dec;   /* the input's encoding: UTF-8 passes through */
    struct io_unzip *unzip;  /* gzip/zstd decompression (io/compress.h): the
                                decoder reads through it */
    const io_slice *labels;  /* header labels (borrowed from the reader) */
    size_t ncols;            /* header (or first record) width */
    ptrdiff_t *col_of_field; /* plan field -> column, -1 absent */
    bool *col_named;         /* column -> named by some field */
    bool header_bad;         /* every record fails rule header */
    bool header_unparsed;    /* ... because the header line itself is damaged:
                                no column map, so no value or width checks */
    bool same_layout;        /* columns identical to the first input's */
    bool all_named;          /* every column is named by a field */
    size_t *out_col;         /* first-input column -> this input's column */
} eng_input;

/* What each field's values go through, decided once per run: the checks of
 * the per-value path read these flags rather than the rules and the
 * validators' plans. */
typedef struct eng_fplan {
    bool clean;        /* cleaning steps, and not --no-clean */
    bool date_bounds;  /* a temporal field with minimum/maximum */
    bool date_output;  /* a temporal field with "output", not --no-clean */
    bool num_output;   /* a locale number rewritten to plain, not --no-clean */
    bool pattern, enumset, bounds, length, strfmt;
    bool need_key;     /* unique, primaryKey or a number enum compares keys */
    bool in_rules;     /* a record rule reads it: its expression value is made */
    bool after;        /* unique or an output: check_after has work */
    bool quick;        /* a value as read may take the quick path
                          (engine/record.c): no cleaning, no locale notation,
                          not an object or array */
    bool lean;         /* quick, and nothing for check_after or record rules */
} eng_fplan;

/* How a thread judges unique and primaryKey keys (engine/pipeline.c). */
typedef enum eng_keymode {
    ENG_KEYS_INSERT = 0, /* into the run's key sets, now (checking inline) */
    ENG_KEYS_DEFER,      /* a worker: logged to its batch, taken as new; the
                            ordered writer inserts them in input order */
    ENG_KEYS_REPLAY      /* the writer re-checks a record that has a duplicate,
                            with the answers its insertions gave */
} eng_keymode;

typedef struct eng_answer {
    int dup;
    uint64_t first;
} eng_answer;

struct eng_pipe;
struct eng_batch;

/* An output column when the output does not keep the input's own columns
 * (engine/doc.c): a field's value, or a column of the first input. */
typedef struct eng_ocol {
    const char *name;
    size_t len;
    ptrdiff_t field;  /* plan field, or -1 */
    size_t col;       /* first-input column when field < 0 */
} eng_ocol;

/* A set of names for stats.header: the list in first-seen order, and an
 * open-addressing index over it (slot holds list index + 1; 0 is empty), so a
 * header of a million labels is deduplicated in linear time. */
typedef struct eng_names {
    char **name;
    size_t n, cap;
    size_t *slot;
    size_t nslot;
} eng_names;

typedef struct eng_run {
    const struct assay_rules *rules;
    const assay_check_opts *opts;
    assay_format in_fmt, out_fmt; /* resolved: never AUTO */
    const char *record_path; /* XML: --record-path, else dialect.recordPath */
    core_buf xml_head, xml_tail, xml_sep; /* XML framing of output/quarantine */
    core_buf xml_head_src, xml_tail_src;  /* the same in the input's encoding
                                             (empty for UTF-8 input) */
    bool out_started, quar_started; /* JSON array / XML: a record is written */
    eng_ocol *ocols;         /* the output's columns when converted, reordered
                                (--schema-order) or cut (extra_fields drop) */
    size_t nocols;
    struct edit *edits;      /* JSON/XML splicing (engine/doc.c); scratch */
    size_t capedit;
    struct io_json_parser *jparse; /* -j with NDJSON: this thread's parser of
                                      deferred lines; scratch */
    char delimiter;
    int quote;
    char out_delim;          /* --output-format: the output's dialect */
    int out_quote;
    bool header;
    size_t max_record_bytes, max_field_bytes;
    eng_input *inputs;
    size_t ninputs;
    io_out *out, *quar, *errs, *chg, *stats_out;
    io_out *junit_out, *metrics_out; /* --junit, --metrics */
    struct eng_reports *reports;     /* --junit: per-input state; else NULL */
    struct eng_samples *samples;     /* where violations are sampled; NULL: not */
    bool headers_written;    /* the header line heads output and quarantine */
    bool out_open, quar_open; /* the last record written lacks its line end */
    char eol[2];             /* the first header's line end ("\n" if none) */
    size_t eol_len;
    char *quarantine_path;
    char **first_labels;     /* the first input's column labels */
    size_t *first_label_lens;
    size_t nfirst;
    eng_keyset **field_keys; /* per field with unique; NULL otherwise */
    eng_keyset *pk_keys;     /* composite primaryKey; NULL otherwise */
    char *pk_label;          /* "a,b": the composite key's field names */
    uint64_t unique_limit;   /* --max-unique-keys */
    val_bounds *bounds;      /* per field, compiled once per run */
    eng_fplan *fplan;        /* per field, read-only once set up */
    eng_names hdr_extra, hdr_missing; /* stats.header lists */
    uint64_t *errs_written;  /* per (field+1, rule): lines written to -e */
    uint64_t *rule_errs_written; /* per record rule: lines written to -e */
    eng_stats st;
    /* per-record scratch */
    eng_value *vals;
    eng_violation *viol;
    size_t nviol, capviol;
    core_buf msgs, line, pkkey, annot, jbuf;
    io_slice *outfields;
    size_t capout;
    pcre2_match_data *md;
    pcre2_match_context *mctx; /* this thread's pattern match limits */
    struct val_locnum_worker *locnum; /* per-thread ICU number handles */
    struct val_clean_worker *cleanw;  /* per-thread Unicode cleaning state */
    expr_state *expr;        /* per-thread record-rule evaluator */
    val_date_worker **dates; /* per temporal field: its per-thread parser */
    char tmsg[512];          /* the message of a failed type check */
    expr_value *xvals;       /* one per plan field, for the record rules */
    int64_t now_micros;      /* the clock of today()/now() (--now) */
    uint64_t record_no;
    bool raw_ctl_free;       /* the record as read holds no control character */
    bool raw_utf8;           /* ... and is valid UTF-8 (so are its values) */
    bool any_changed;        /* a value of the record was cleaned or normalised */
    const char *input_label; /* set when several inputs */
    eng_input *cur;          /* the input being read */
    double t0;
    assay_error *err;
    /* the parallel engine (opts->jobs > 0); NULL when checking inline */
    struct eng_pipe *pipe;
    eng_keymode keymode;
    struct eng_batch *batch;     /* DEFER: where keys and error tags go */
    const eng_answer *answers;   /* REPLAY: one per key, in order */
    size_t nanswers, next_answer;
} eng_run;

typedef struct eng_threshold {
    const char *name;        /* max_quarantine_rate, min_records, mostly */
    const char *field;       /* mostly of a field: its name */
    const char *rule;        /* mostly of a record rule: its name */
    double limit, actual;
    bool ok;
} eng_threshold;

/* engine/check.c */
/* Every threshold of the run; t has room for eng_threshold_max(run). */
size_t eng_threshold_max(const eng_run *run);
void eng_thresholds(const eng_run *run, eng_threshold *t, size_t *n);

/* engine/input.c: the inputs of a run (check and profile) */
bool eng_is_stdin(const char *name);            /* NULL or "-" */
const char *eng_path_ext(const char *path);     /* after the last '.'; NULL */
assay_format eng_format_by_name(const char *path); /* AUTO when no extension says */
assay_format eng_format_sniff(const eng_input *in); /* from the peeked bytes */
/* given, else the first input's extension, else its first bytes. */
assay_format eng_format_resolve(assay_format given, const eng_input *inputs, size_t n);
const char *eng_format_name(assay_format f);    /* "csv", "tsv", "ndjson"... */
/* Opens names[0..nnames) (none: standard input) into a new array *out of
 * *nout inputs with their decompressors and decoders (encoding: "auto" or a
 * name; seekable: --byte-range, which refuses compressed input). *out is set
 * even on failure: eng_inputs_close frees whatever was opened. err says what
 * failed. */
assay_status eng_inputs_open(const char *const *names, size_t nnames, const char *encoding,
                             bool seekable, eng_input **out, size_t *nout, assay_error *err);
/* Frees the inputs (readers, decoders, descriptors, column maps) and the array. */
void eng_inputs_close(eng_input *inputs, size_t n);
/* True (msg says which) when two outputs name one file or an output names an
 * input; NULL outputs and /dev/null are skipped. */
bool eng_outputs_clash(const char *const *outs, const char *const *roles, size_t nout,
                       const eng_input *inputs, size_t ninputs, char *msg, size_t cap);

/* engine/range.c: --byte-range */
typedef struct eng_range {
    uint64_t from, to;   /* the records starting in [from, to) are this shard's */
    uint64_t lines;      /* physical lines before from */
    uint64_t pos;        /* the next byte to read */
    int src_fd;
} eng_range;
assay_status eng_range_plan(eng_run *run, eng_input *in, const io_csv_opts *o,
                            uint64_t body, eng_range *out);
ptrdiff_t eng_range_read(void *ctx, char *buf, size_t cap);

/* engine/scratch.c: a thread's own checking state (vals ... jbuf above) */
assay_status eng_scratch_new(eng_run *run);
void eng_scratch_free(eng_run *run);

/* engine/stats.c */
assay_status eng_stats_alloc(const struct assay_rules *r, eng_stats *s);
void eng_stats_free(const struct assay_rules *r, eng_stats *s);
void eng_stats_zero(const struct assay_rules *r, eng_stats *s);
void eng_stats_add(const struct assay_rules *r, eng_stats *dst, const eng_stats *src,
                   int sign);

/* engine/pipeline.c: -j N. The calling thread reads and hands batches of
 * whole records to N workers; one writer thread takes finished batches in
 * input order, decides uniqueness, adds up statistics and writes. */
assay_status eng_pipe_start(eng_run *run);
/* Queues a record (copied) for checking. */
assay_status eng_pipe_add(eng_run *run, const io_record *rec);
/* Called before a read that may block (a pipe or terminal at fd): when the
 * input stays quiet for 200 ms, the records read so far are checked and
 * written out (flushed) without waiting for the batch to fill. */
assay_status eng_pipe_idle(eng_run *run, int fd);
/* Waits until every queued record is written (before the calling thread
 * writes anything itself: a header, a record of a non-UTF-8 input). */
assay_status eng_pipe_drain(eng_run *run);
/* Drains, stops the threads and frees the pipeline; st is the run's status
 * so far, the result the first failure. */
assay_status eng_pipe_stop(eng_run *run, assay_status st);
/* A key met by a worker (DEFER) or by the writer's re-check (REPLAY). */
assay_status eng_pipe_key(eng_run *run, size_t set, const void *key, size_t len,
                          bool is_int, int64_t ival, int *dup, uint64_t *first);
/* A line a worker wrote to its errors share, counted against
 * --max-errors-per-rule by the writer. */
assay_status eng_pipe_tag(eng_run *run, size_t counter, size_t len);

/* engine/route.c */
assay_status eng_process_input(eng_run *run, eng_input *in, size_t index);
/* Routes one record read (a continued piece of a quarantined one included). */
assay_status eng_route_record(eng_run *run, const io_record *rec, const eng_input *in);
assay_status eng_pk_setup(eng_run *run);
void eng_header_free(eng_run *run);

/* engine/doc.c: JSON and XML records, conversions between formats */
bool eng_fmt_doc(assay_format f);
assay_status eng_doc_process_input(eng_run *run, eng_input *in, io_read_fn read, void *ctx);
assay_status eng_doc_pass(eng_run *run, const io_record *rec, const eng_input *in,
                          bool changed, size_t *bad);
/* Before a record of a JSON array or XML output: "[" or the XML head for the
 * first, a separator after that. */
assay_status eng_doc_sep(eng_run *run, io_out *o, bool *started, assay_format fmt);
assay_status eng_out_columns(eng_run *run);
assay_status eng_doc_csv_header(eng_run *run);
/* The end of the output and quarantine: "]", the XML tail, a CSV header. */
assay_status eng_doc_finish(eng_run *run);
/* engine/route.c: writes a record's bytes (starts: a new record) to o. */
assay_status eng_put_rec(eng_run *run, io_out *o, bool *open, bool starts, const char *p,
                         size_t n);

/* engine/record_rules.c */
assay_status eng_check_rules(eng_run *run);
void eng_expr_temporal(expr_value *x, const struct eng_value *v);

/* engine/record.c */
/* Sets run->err for a key set that reached --max-unique-keys (set: a field,
 * or nfields for the composite primaryKey). */
void eng_key_limit_message(eng_run *run, size_t set);
assay_status eng_check_values(eng_run *run, const io_record *rec, const eng_input *in,
                              uint64_t line);
assay_status eng_add_violation(eng_run *run, int field, eng_rule rule,
                               rules_severity sev, const char *value, size_t n,
                               bool has_value, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* engine/report.c */
/* --max-errors-per-rule: true when the counter's line is one too many (else
 * counts it). */
bool eng_over_cap(eng_run *run, size_t counter);
assay_status eng_write_violations(eng_run *run, uint64_t record, uint64_t line);
assay_status eng_write_change(eng_run *run, uint64_t record, uint64_t line, int field,
                              const char *step, const char *before, size_t bn,
                              const char *after, size_t an);
assay_status eng_write_stats(eng_run *run, double seconds);
void eng_fill_top(const eng_run *run, assay_check_result *res);
bool eng_field_declares(const eng_run *run, size_t i, eng_rule r);

#endif
