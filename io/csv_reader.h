/* io/csv_reader.h — the CSV/TSV record reader.
 *
 * The reader pulls bytes from a source in blocks, finds record boundaries
 * itself (memchr-fast, with quote tracking) and hands out one record at a time
 * with its exact raw bytes and its 1-based start line. Records holding a quote
 * character are split into fields by libcsv in strict mode; all others are split
 * on the delimiter directly, zero-copy.
 *
 * Ownership: an io_record and everything it points to (raw bytes, field
 * slices) is borrowed from the reader until the next call to io_csv_next or
 * io_csv_reader_free. Copy what you keep.
 *
 * Damage: a record whose quoting does not parse strictly, or whose open quote
 * runs past a size limit, is given out one physical line at a time as
 * IO_REC_MALFORMED until the reader resynchronises at a line that parses to the
 * expected field count and is followed by another such line (or by the end of
 * the input). A well-formed record over a size limit is IO_REC_TOO_LARGE and its
 * raw bytes may come in several pieces (raw_more). */
#ifndef ASSAY_IO_CSV_READER_H
#define ASSAY_IO_CSV_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"

/* A field value: a slice of the read buffer (or of the reader's scratch space
 * for fields that libcsv unquoted). Not NUL-terminated. */
typedef struct io_slice {
    const char *p;
    size_t n;
} io_slice;

typedef enum io_rec_kind {
    IO_REC_OK = 0,    /* fields are valid */
    IO_REC_BLANK,     /* empty line, or delimiters only: rule blank_row */
    IO_REC_MALFORMED, /* one physical line of a damaged span: rule malformed */
    IO_REC_TOO_LARGE, /* over max_record_bytes/max_field_bytes: record_too_large */
    /* JSON and XML records (io/doc.h): detail says what the parser said */
    IO_REC_JSON_PARSE, /* not JSON, or a duplicated key: rule json_parse */
    IO_REC_NOT_OBJECT, /* JSON, but not an object: rule not_object */
    IO_REC_XML,        /* a record element that does not parse: rule xml */
    IO_REC_XML_ENTITY, /* a record that uses an entity or a DTD: xml_entity */
    IO_REC_DEFERRED    /* an NDJSON line not parsed yet (io_json_opts.defer):
                          io_json_parse_line judges it */
} io_rec_kind;

typedef struct io_record {
    io_rec_kind kind;
    const char *raw;   /* exact input bytes, terminator included */
    size_t raw_len;
    bool raw_more;     /* TOO_LARGE (or MALFORMED, for one physical line over
                          max_record_bytes): more bytes of this same record
                          follow, each as a further record of the same kind
                          with continued=1 */
    bool continued;    /* this piece continues the previous record */
    uint64_t line;     /* 1-based physical line where the record starts (the
                          same on every piece of a record) */
    uint64_t lines;    /* physical lines the record spans (>= 1); on a piece
                          with raw_more, the lines touched so far */
    size_t nfields;    /* OK and BLANK: number of fields */
    const io_slice *fields;
    bool quoted;       /* the record holds a quote char (split by the quoted
                          path: its own or libcsv) */
    bool bad_utf8;     /* raw holds bytes that are not valid UTF-8 */
    size_t bad_utf8_at;/* offset in raw of the first invalid byte */
    const char *detail;/* MALFORMED / TOO_LARGE: what went wrong, for humans */
    bool ctl_free;     /* no byte of raw (line end excluded) can start a
                          control character: none below 0x20 other than
                          TAB/CR/LF, no 0x7F, no 0xC2 (C1 controls are
                          C2 80..9F). Exact: when true, raw holds no control
                          character; when false, it may (0xC2 A9 is not
                          one), so look byte by byte */
    bool is_header;    /* with opts.header: this is (a piece of) the first
                          record, whatever its kind */
    uint64_t offset;   /* byte offset of raw[0] in the input */
    const struct io_doc *doc; /* JSON and XML records: what each field's
                                 value is and where it lies in raw (io/doc.h);
                                 NULL for CSV */
} io_record;

/* A byte source: returns bytes read (> 0), 0 at end of input, -1 on error
 * with errno set. */
typedef ptrdiff_t (*io_read_fn)(void *ctx, char *buf, size_t cap);

typedef struct io_csv_opts {
    char delimiter;          /* ',' ; '\t' for TSV */
    int quote;               /* '"' ; -1 for no quoting at all */
    bool header;             /* the first record is a header (BOM stripped
                                from its first label) */
    size_t max_record_bytes; /* 0: 16 MiB; counts a record's bytes before its
                                terminator */
    size_t max_field_bytes;  /* 0: 4 MiB; counts a field's value */
    size_t block_size;       /* bytes asked of the source per read; 0: 1 MiB */
} io_csv_opts;

/* The CSV defaults: ',', '"', header true, default limits and block size. */
void io_csv_opts_init(io_csv_opts *o);

typedef struct io_csv_reader io_csv_reader;

assay_status io_csv_reader_new(io_read_fn read, void *ctx, const io_csv_opts *o,
                               io_csv_reader **out);
void io_csv_reader_free(io_csv_reader *r);

/* Next record. Returns ASSAY_OK with *eof false and *rec filled, ASSAY_OK with
 * *eof true at the end of input, or ASSAY_E_IO / ASSAY_E_NOMEM (err says what).
 * With opts.header the first record given out is the header (is_header). */
assay_status io_csv_next(io_csv_reader *r, io_record *rec, bool *eof, assay_error *err);

/* The header record's labels (BOM stripped), valid after the header was read
 * and for the reader's lifetime. NULL when there is no header. */
const io_slice *io_csv_header(const io_csv_reader *r, size_t *n);
/* Raw bytes of the header record, terminator included (BOM kept). */
const char *io_csv_header_raw(const io_csv_reader *r, size_t *n);

/* A source over a memory buffer, handing out at most `chunk` bytes per read
 * (tests use it to prove chunk-split invariance). */
typedef struct io_mem_source {
    const char *p;
    size_t n, off, chunk;
} io_mem_source;
ptrdiff_t io_mem_read(void *ctx, char *buf, size_t cap);
/* A source over a file descriptor (ctx points to an int). */
ptrdiff_t io_fd_read(void *ctx, char *buf, size_t cap);

#endif
