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
    core_buf name, value;              /* scratch: unescaped member names, values */
    io_out *json_out, *html_out, *suggest_out, *table_out;
} prof_run;

/* engine/profile_table.c: the readable table. */
assay_status prof_table(prof_run *run, io_out *o);

#endif
