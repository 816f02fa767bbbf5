/* io/csv_writer.h — writes one CSV/TSV record with minimal RFC 4180 quoting.
 *
 * Used for records a cleaning step changed; records that pass unchanged are
 * written as their raw input bytes. libcsv's writer quotes every field, so
 * this module has its own: a field is quoted only when it must be, so a
 * rewritten record differs from its input only in the values that changed.
 *
 * A field is quoted when it contains the delimiter, the quote character, CR
 * or LF; quote characters inside are doubled. When every field of the record
 * is empty (one empty field, or ",,"), the first field is written as "" so
 * that the record does not read back as a blank row (SPEC §4: a blank line or
 * a line of delimiters only is rule blank_row).
 *
 * Without quoting (quote == -1, `--quote none`) such values cannot be written
 * faithfully: io_csvw_record then writes nothing and returns
 * IO_CSVW_E_UNWRITABLE. The engine quarantines that record (it passed its
 * checks, but its cleaned form cannot be represented in the output dialect);
 * io_csvw_unwritable names the field for the errors file. */
#ifndef ASSAY_IO_CSV_WRITER_H
#define ASSAY_IO_CSV_WRITER_H

#include <stddef.h>

#include "assay/assay.h"
#include "core/buf.h"
#include "io/csv_reader.h"

/* The status io_csvw_record returns for a record that the dialect cannot
 * hold. It is never returned for any other reason (ASSAY_E_LIMIT means the
 * buffer's ceiling was reached, ASSAY_E_NOMEM what it says). */
#define IO_CSVW_E_UNWRITABLE ASSAY_E_USAGE

/* Appends the n fields, separated by delim and followed by the eol_len bytes
 * of eol, to out. quote is the quote character, or -1 for none. A record of
 * no fields (n == 0) is unwritable too. On failure out is left as it was. */
assay_status io_csvw_record(core_buf *out, const io_slice *fields, size_t n,
                            char delim, int quote, const char *eol,
                            size_t eol_len);

/* Without quoting (quote == -1): the index of the first field that cannot be
 * written (it holds the delimiter, CR or LF; or 0 when every field is empty),
 * or n when the record can be written. With a quote character: always n. */
size_t io_csvw_unwritable(const io_slice *fields, size_t n, char delim,
                          int quote);

/* io_csvw_record(out, vals, n, ...) for a record split in place: fields are
 * its slices, in order, one delimiter apart (a record without any quote
 * character), and vals the same slices except the values that changed. Such
 * slices never need quoting, so they are copied as runs of the record's
 * bytes; only changed values are examined. The result is byte for byte
 * io_csvw_record's (tests/unit/test_csv_writer.c holds them equal). */
assay_status io_csvw_splice(core_buf *out, const io_slice *fields, const io_slice *vals,
                            size_t n, char delim, int quote, const char *eol, size_t eol_len);

/* The length of the line terminator raw ends with: 2 for CRLF, 1 for LF or
 * CR, 0 for none. Rewritten records keep their input's terminator. */
size_t io_csvw_eol(const char *raw, size_t n);

#endif
