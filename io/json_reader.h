/* io/json_reader.h — the streaming JSON record reader: NDJSON (one object per
 * line) and a top-level JSON array of objects.
 *
 * The reader pulls bytes from a source in blocks, finds where each record
 * ends itself (memchr for NDJSON lines, a string-aware bracket counter for
 * array elements), parses each record once with jansson and hands it out as
 * an io_record (io/csv_reader.h) whose fields[i] is the text of the rules'
 * path i and whose doc (io/doc.h) says what each value is and where its bytes
 * lie in raw. See docs/json.md.
 *
 * Ownership: an io_record and everything it points to (raw bytes, field
 * texts, rec->doc) is borrowed from the reader until the next call to
 * io_json_next or io_json_reader_free. Copy what you keep.
 *
 * Damage: a record that is not JSON (or holds a duplicated key) is
 * IO_REC_JSON_PARSE with detail "line L, column C: <jansson's message>"; a
 * JSON value that is not an object is IO_REC_NOT_OBJECT; an empty or
 * whitespace-only NDJSON line is IO_REC_BLANK (nfields 0); a line or array
 * element over max_record_bytes is IO_REC_TOO_LARGE, given out in pieces
 * (raw_more/continued) so memory stays bounded. Text after the closing ']'
 * of an array, or a document that is neither an array nor an object, is one
 * IO_REC_JSON_PARSE record (in pieces with raw_more when over the limit). */
#ifndef ASSAY_IO_JSON_READER_H
#define ASSAY_IO_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "assay/assay.h"
#include "io/csv_reader.h"
#include "io/doc.h"

typedef struct io_json_opts {
    bool array;               /* a top-level JSON array of records; false: NDJSON */
    const char *const *paths; /* the rules' field paths, plan order (borrowed:
                                 they must outlive the reader) */
    size_t npaths;
    size_t max_record_bytes;  /* 0: 16 MiB; NDJSON: a line's bytes before its
                                 line end; arrays: an element's bytes */
    size_t block_size;        /* bytes asked of the source per read; 0: 1 MiB */
    bool defer;               /* NDJSON: a line that is not blank and not too
                                 large is handed out unparsed, as
                                 IO_REC_DEFERRED (no fields, no doc), so that
                                 other threads can parse lines in parallel
                                 with io_json_parse_line */
} io_json_opts;

typedef struct io_json_reader io_json_reader;

/* ASSAY_OK and *out, or ASSAY_E_NOMEM. */
assay_status io_json_reader_new(io_read_fn read, void *ctx, const io_json_opts *o,
                                io_json_reader **out);

/* Next record. Same contract as io_csv_next: ASSAY_OK with *eof false and
 * *rec filled, ASSAY_OK with *eof true at the end of input, or ASSAY_E_IO /
 * ASSAY_E_NOMEM with err set. */
assay_status io_json_next(io_json_reader *r, io_record *rec, bool *eof, assay_error *err);

void io_json_reader_free(io_json_reader *r);

/* A parser of deferred NDJSON lines, one per thread, for the rules' paths
 * (the array is copied; the strings are borrowed and must outlive it). */
typedef struct io_json_parser io_json_parser;
assay_status io_json_parser_new(const char *const *paths, size_t npaths,
                                io_json_parser **out);
void io_json_parser_free(io_json_parser *p);
/* Judges a deferred line as the reader would have (raw, raw_len, offset and
 * line as handed out): IO_REC_OK with fields and doc, IO_REC_JSON_PARSE or
 * IO_REC_NOT_OBJECT with detail. What rec then points to is borrowed from p
 * until its next call. ASSAY_OK, or ASSAY_E_NOMEM with err set. */
assay_status io_json_parse_line(io_json_parser *p, io_record *rec, assay_error *err);

#endif
