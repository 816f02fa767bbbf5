/* engine/merge_profile.h — reading the JSON documents assay writes (check
 * statistics and profiles) and merging profiles (engine/merge_profile.c);
 * shared by `assay merge` (engine/merge.c) and `assay diff` (engine/diff*.c). */
#ifndef ASSAY_ENGINE_MERGE_PROFILE_H
#define ASSAY_ENGINE_MERGE_PROFILE_H

#include <jansson.h>

#include "assay/assay.h"

typedef enum eng_doc_kind {
    ENG_DOC_STATS = 1,   /* `assay check -s`: has stats_version and records */
    ENG_DOC_PROFILE = 2  /* `assay profile`: has profile_version and fields */
} eng_doc_kind;

/* Reads the JSON document at path and says which kind it is. ASSAY_E_IO when
 * it cannot be read, ASSAY_E_USAGE when it is not JSON (with line:column) or
 * neither kind; err names the file. *out is owned by the caller. */
assay_status eng_doc_load(const char *path, json_t **out, eng_doc_kind *kind,
                          assay_error *err);

/* The `assay merge` of n profile documents (docs/sharding.md, "Merging
 * profiles"): same contract as assay_stats_merge. */
assay_status eng_profile_merge(const char *const *paths, size_t n, const char *out_path,
                               assay_tempfile_fn on_tempfile, void *tempfile_ctx,
                               assay_merge_result *res, assay_error *err);

/* The narrowest type reading every one of nonmissing values, from a profile
 * field's "types" counts, by the profiler's rule (engine/profile_acc.c):
 * integer, number, boolean, date, datetime, time, else (and when there is no
 * value) string. */
const char *eng_profile_infer(const json_t *types, uint64_t nonmissing);

#endif
