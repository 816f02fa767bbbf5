/* io/csv_split.h — internal to the CSV reader: finding where a record ends,
 * and splitting a record's bytes into fields.
 *
 * Declared apart from csv_reader.h so that unit tests can drive each piece on
 * its own (for instance, split one record by both paths and compare them).
 * Nothing here is part of libassay's public interface. */
#ifndef ASSAY_IO_CSV_SPLIT_H
#define ASSAY_IO_CSV_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <csv.h>

#include "core/buf.h"
#include "io/csv_reader.h"

/* ---- finding record boundaries ------------------------------------------ */

/* Scanner states. IO_SC_FIELD: outside quotes (a quote opens a quoted field
 * only at the start of a field); IO_SC_QUOTED: inside a quoted field;
 * IO_SC_QUOTE_SEEN: a quote was seen inside a quoted field (the next byte says
 * whether it was `""` or the closing quote); IO_SC_LINE: quotes are ignored and
 * the record is one physical line (used for damaged spans). */
enum { IO_SC_FIELD, IO_SC_QUOTED, IO_SC_QUOTE_SEEN, IO_SC_LINE };

/* Results of io_csv_scan_run. */
enum {
    IO_SCAN_DONE,  /* the record ends: *len and *tlen are set */
    IO_SCAN_MORE,  /* the bytes given end inside the record: give more */
    IO_SCAN_LIMIT, /* no terminator in the first lim+1 content bytes */
    IO_SCAN_QLIMIT /* a quoted field stayed open past qlimit bytes */
};

/* The position of the next occurrence of one byte, remembered between calls
 * so that a buffer is searched once per byte value rather than once per
 * record. Reset whenever the buffer moves. */
typedef struct io_csv_seek {
    const char *from, *to, *hit; /* no occurrence in [from, hit or to) */
    bool valid;
} io_csv_seek;

typedef struct io_csv_scanner {
    unsigned char delim;
    int quote; /* -1: none */
    io_csv_seek lf, cr, q;
} io_csv_scanner;

/* Where a scan stands inside one record; resumable after more bytes arrive.
 * Offsets are relative to the record's first byte (or to the first byte not
 * yet handed out, for a record given out in pieces: see base). */
typedef struct io_csv_scan {
    size_t off;       /* next byte to examine */
    size_t content0;  /* where the first field starts (3 after a BOM) */
    int st;           /* IO_SC_* */
    bool has_quote;   /* a quote character was seen outside IO_SC_LINE */
    uint64_t base;    /* stream offset of relative offset 0 */
    uint64_t qopen;   /* stream offset of the quote that opened the field */
    size_t qlimit;    /* 0: none; else IO_SCAN_QLIMIT past this many bytes */
} io_csv_scan;

void io_csv_scanner_init(io_csv_scanner *k, char delim, int quote);
/* Forgets remembered positions (call when the buffer moves). */
void io_csv_scanner_reset(io_csv_scanner *k);
void io_csv_scan_init(io_csv_scan *s, int st, size_t content0, uint64_t base);
/* Scans p[0..n) from s->off. lim caps the record's content (bytes before its
 * terminator). eof says that no byte follows p[n-1]. On IO_SCAN_DONE *len is
 * the record's length with its terminator and *tlen the terminator's (0 at
 * the end of input never happens here: the caller handles MORE at eof). */
int io_csv_scan_run(io_csv_scanner *k, const char *p, size_t n, bool eof, size_t lim,
                    io_csv_scan *s, size_t *len, size_t *tlen);
/* Counts line terminators in p[0..n): CR, LF and CRLF are one each.
 * *pend_cr carries "the previous byte was CR" across pieces of one record. */
uint64_t io_csv_count_terms(const char *p, size_t n, bool *pend_cr);

/* ---- splitting a record into fields -------------------------------------- */

/* Why io_csv_split_quoted refused a record. */
typedef enum io_split_bad {
    IO_SPLIT_OK = 0,
    IO_SPLIT_PARSE,   /* strict libcsv rejected it at byte bad_at */
    IO_SPLIT_UNCLOSED /* a quoted field never closed */
} io_split_bad;

typedef struct io_csv_splitter {
    char delim;
    int quote;
    struct csv_parser cp;
    bool cp_ready;
    core_buf vals;    /* unquoted values from libcsv, back to back */
    size_t *offs;     /* libcsv path: offset of each value in vals */
    io_slice *fields; /* the result */
    size_t n, cap;    /* fields in the result; room in offs/fields */
    size_t longest;   /* the longest field value of the result */
    size_t bad_at;    /* IO_SPLIT_PARSE: offset of the offending byte */
    assay_status err; /* set by the libcsv callback */
} io_csv_splitter;

assay_status io_csv_splitter_init(io_csv_splitter *s, char delim, int quote);
void io_csv_splitter_free(io_csv_splitter *s);
/* Splits p[0..n) (no terminator) on the delimiter alone; fields point into p. */
assay_status io_csv_split_plain(io_csv_splitter *s, const char *p, size_t n);
/* Splits p[0..n) (no terminator) with libcsv in strict mode, no space
 * trimming; fields point into the splitter's scratch space. A record libcsv
 * rejects gives ASSAY_OK with *bad set; ASSAY_E_LIMIT when a value exceeds
 * the fixed ceiling of libcsv's buffer; ASSAY_E_NOMEM. */
assay_status io_csv_split_quoted(io_csv_splitter *s, const char *p, size_t n,
                                 io_split_bad *bad);

/* ---- one pass per record: boundary, fields and byte classes together ------ */

/* What io_csv_split_line learnt about the record it split. */
typedef struct io_csv_line {
    size_t len;        /* the record's length, terminator included */
    size_t tlen;       /* the terminator's length: 1 (LF or CR) or 2 (CRLF) */
    size_t first_high; /* offset of the first byte >= 0x80; len when none */
    bool quoted;       /* a field was quoted (the record holds a quote char) */
    bool breaks;       /* a quoted field holds CR or LF (lines > 1) */
    bool ctl_free;     /* see io_record.ctl_free */
} io_csv_line;

/* Whether io_csv_split_line serves this delimiter and quote: a delimiter
 * that is TAB or printable ASCII, a quote in 0x20..0x3F (" and ' among them)
 * or none. */
bool io_csv_line_ok(char delim, int quote);

/* Finds, splits and classifies the record at p[0] (a record start outside
 * quotes, no BOM to skip) in one word-at-a-time pass over p[0..avail), with
 * the splitter's delimiter and quote (io_csv_line_ok must hold). lim caps
 * the content as for io_csv_scan_run; eof says that no byte follows
 * p[avail-1].
 *
 * Returns true when the record ends at a line terminator inside p[0..avail)
 * and every field is unquoted or plainly quoted (quoted from its first byte
 * to a closing quote followed by the delimiter or the terminator, "" for a
 * quote); then *out is filled and the splitter holds the fields exactly as
 * io_csv_split_plain (no quote) or io_csv_split_quoted (strict libcsv) would
 * give them for the record's content, and out agrees with io_csv_scan_run,
 * core_utf8_invalid_at and io_csv_ctl_free on the record. Returns false in
 * every other case (a quote mid-field, text after a closing quote, the bytes
 * end first, a limit, no memory): the splitter's result is then garbage and
 * the caller takes the general path from the same p[0].
 *
 * s->longest is exact when the content is longer than fmax; otherwise it is
 * the content's length (no field is longer, and it does not exceed fmax). */
bool io_csv_split_line(io_csv_splitter *s, const char *p, size_t avail, size_t lim,
                       size_t fmax, bool eof, io_csv_line *out);

/* True when no byte of p[0..n) can start a control character: no byte below
 * 0x20 other than TAB, CR and LF, no 0x7F, no 0xC2. */
bool io_csv_ctl_free(const char *p, size_t n);

/* Tests only: the reader never takes io_csv_split_line (it must give the same
 * records either way). */
void io_csv_reader_no_fast(io_csv_reader *r);

#endif
