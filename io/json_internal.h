/* io/json_internal.h — what the two halves of the JSON reader share; not part
 * of the reader's interface (that is io/json_reader.h).
 *
 *   io/json_reader.c  finds where each record ends in the byte stream (NDJSON
 *                     lines, array elements, records in pieces) and hands
 *                     records out;
 *   io/json_fields.c  takes one record's bytes, parses them with jansson and
 *                     fills the record's fields, kinds, spans and extras for
 *                     the rules' paths.
 *
 * The cut is one object, io_json_fields, made once per reader from the
 * paths: the reader gives it each record's bytes and it judges the record. */
#ifndef ASSAY_IO_JSON_INTERNAL_H
#define ASSAY_IO_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"
#include "io/csv_reader.h"

/* JSON's insignificant whitespace. */
static inline bool io_json_is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

typedef struct io_json_fields io_json_fields;

/* The field extractor for the rules' paths (borrowed: they must outlive it).
 * ASSAY_OK and *out, or ASSAY_E_NOMEM. */
assay_status io_json_fields_new(const char *const *paths, size_t npaths,
                                io_json_fields **out);

void io_json_fields_free(io_json_fields *jf);

/* Parses rec->raw[b..e) (rec->raw, raw_len and line set by the caller; col0:
 * characters before raw[0] on its line) and judges the record: IO_REC_OK
 * with fields, ctl_free and doc filled; IO_REC_JSON_PARSE or
 * IO_REC_NOT_OBJECT with detail and ctl_free. Everything rec then points to
 * is borrowed from jf until its next parse. ASSAY_OK, or ASSAY_E_NOMEM with
 * err set. */
assay_status io_json_fields_parse(io_json_fields *jf, io_record *rec, size_t b, size_t e,
                                  uint64_t col0, assay_error *err);

#endif
