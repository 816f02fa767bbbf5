/* io/xml_reader.h — the streaming XML record reader.
 *
 * The reader pulls bytes from a source in blocks and finds the record
 * elements itself: a span scanner tracks element depth and names (aware of
 * comments, CDATA sections, processing instructions, a DOCTYPE with its
 * internal subset and quoted attribute values) and cuts out every element
 * whose open-element path equals record_path (names compared as written,
 * prefixes included). Each record's bytes are then parsed alone by libxml2
 * (never substituting entities, never loading a DTD, never touching the
 * network) inside a wrapper element that carries the xmlns declarations of
 * the record's ancestors, and the rules' field paths are read from it
 * (io/doc.h says what a field's text and span are).
 *
 * Ownership: an io_record and everything it points to (raw bytes, field
 * texts, rec->doc) is borrowed from the reader until the next call to
 * io_xml_next or io_xml_reader_free. Copy what you keep.
 *
 * Record kinds: IO_REC_OK; IO_REC_XML (the span does not parse: detail is
 * "line L, column C: <what libxml2 said>", with an absolute position; also
 * the bytes from an unclosed record to the end of input); IO_REC_XML_ENTITY
 * (the record references an entity other than the five predefined ones);
 * IO_REC_TOO_LARGE (over max_record_bytes, handed out in pieces with
 * raw_more/continued as the CSV reader does). Bytes between records are not
 * records: io_xml_head and io_xml_tail keep what frames them. */
#ifndef ASSAY_IO_XML_READER_H
#define ASSAY_IO_XML_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "assay/assay.h"
#include "io/csv_reader.h"
#include "io/doc.h"

typedef struct io_xml_opts {
    const char *record_path;  /* "/orders/order": the record element (required) */
    const char *const *paths; /* the rules' field paths, plan order (borrowed
                                 for the call to io_xml_reader_new only) */
    size_t npaths;
    size_t max_record_bytes;  /* 0: 16 MiB; also bounds the bytes kept before
                                 the first and after the last record */
    size_t block_size;        /* 0: 1 MiB */
} io_xml_opts;

typedef struct io_xml_reader io_xml_reader;

/* ASSAY_E_USAGE when record_path is not "/name(/name)*"; ASSAY_E_NOMEM. */
assay_status io_xml_reader_new(io_read_fn read, void *ctx, const io_xml_opts *o,
                               io_xml_reader **out);

/* Next record: ASSAY_OK with *eof false and *rec filled, ASSAY_OK with *eof
 * true at the end of input, or ASSAY_E_IO / ASSAY_E_NOMEM / ASSAY_E_LIMIT
 * (more than max_record_bytes before the first or after the last record)
 * with err set. rec is borrowed until the next call. */
assay_status io_xml_next(io_xml_reader *r, io_record *rec, bool *eof, assay_error *err);

/* The bytes before the first record, verbatim (XML declaration, comments,
 * DOCTYPE, the start tags of the record's ancestors and whatever lies
 * between), valid once the first record was handed out or at EOF; without
 * any record, the whole input (cut at max_record_bytes when the input holds
 * elements: the engine then reports the path that matched nothing). And the bytes after the last record up to the
 * end of input, valid at EOF (empty without any record). Never NULL. */
const char *io_xml_head(const io_xml_reader *r, size_t *n);
const char *io_xml_tail(const io_xml_reader *r, size_t *n);

/* At EOF: whether any element matched record_path, and whether the input
 * held any element at all (a non-empty document whose path matched nothing
 * is a usage error for the engine). */
bool io_xml_matched(const io_xml_reader *r);
bool io_xml_has_elements(const io_xml_reader *r);

void io_xml_reader_free(io_xml_reader *r);

#endif
