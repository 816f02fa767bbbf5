/* engine/profile_int.h — the state of one `assay profile` run, shared by
 * engine/profile.c (reading, the document) and engine/profile_table.c (the
 * table on standard output). */
#ifndef ASSAY_ENGINE_PROFILE_INT_H
#define ASSAY_ENGINE_PROFILE_INT_H

#include "engine/engine.h"
#include "engine/profile_acc.h"

/* Fields (columns, members) profiled at most; later names are counted in
 * the document's "fields_left_out" and not profiled. */
#define PROF_MAX_FIELDS 10000

/* Per input: what was read, and its columns' fields (CSV). */
typedef struct prof_input {
    uint64_t records, bytes, ragged, blank, unparsed;
    size_t *col_field;       /* column -> field (SIZE_MAX: left out) */
    size_t ncols;
} prof_input;

typedef struct prof_par prof_par;

typedef struct prof_run {
    const assay_rules *rules;          /* NULL without -r */
    const assay_profile_opts *opts;
    assay_error *err;
    prof_ctx ctx;
    const char **slot_names;           /* missing tokens, then the extra slots */
    size_t *toklens;
    prof_field *fields;
    size_t nfields, capfields;
    uint64_t fields_dropped;
    size_t *hidx;                      /* open addressing: name -> field */
    size_t hcap;
    size_t *rule_field;                /* JSON/XML with rules: path -> field */
    eng_input *inputs;
    size_t ninputs;
    prof_input *pin;
    assay_format fmt;
    char delimiter;
    int quote;
    bool header;
    const char *record_path;
    uint64_t records, bytes;
    uint64_t rec_no;                   /* the record being read: its number in the run */
    prof_par *par;                     /* -j N: the workers; NULL: values added inline */
    size_t batch_records;              /* a batch's records at most */
    size_t b_records, b_vals, b_bytes; /* inline: the batch so far */
    core_buf name, value;              /* scratch: unescaped member names, values */
    io_out *json_out, *html_out, *suggest_out, *table_out;
} prof_run;

/* engine/profile_par.c: -j N. The reader (the calling thread) hands each
 * value to prof_par_value and ends each record with prof_par_record; every
 * run->batch_records records (default PROF_PAR_RECORDS; fewer past
 * PROF_PAR_VALUES values or PROF_PAR_BYTES of them) make a batch, and
 * batch i goes to worker i mod N, which adds its values to fields of its
 * own. The means and M2s of each batch are folded into run->fields in batch
 * order (as the inline path does at the same boundaries), so they are the
 * same bits for every N. prof_par_finish queues the last batch, waits for
 * the workers and, when ok, merges their fields into run->fields in worker
 * order; it frees everything. Batches depend only on the input, so the
 * sketches are the same for one N every time. */
#define PROF_PAR_RECORDS 4096
#define PROF_PAR_VALUES 65536
#define PROF_PAR_BYTES ((size_t)1 << 20)

/* Does a batch end after this record? Depends only on the input. */
static inline bool prof_batch_full(const prof_run *run, size_t records, size_t vals,
                                   size_t bytes)
{
    return records >= run->batch_records || vals >= PROF_PAR_VALUES || bytes >= PROF_PAR_BYTES;
}

assay_status prof_par_start(prof_run *run, unsigned jobs);
assay_status prof_par_value(prof_run *run, size_t field, const char *p, size_t n,
                            bool null_json, bool utf8_known);
assay_status prof_par_record(prof_run *run);
assay_status prof_par_finish(prof_run *run, bool ok);

/* engine/profile_table.c: the readable table. */
assay_status prof_table(prof_run *run, io_out *o);

#endif
