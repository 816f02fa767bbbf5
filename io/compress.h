/* io/compress.h — gzip and zstd, streaming: a decompressing byte source for
 * the inputs and a compressor for the outputs (see docs/compression.md).
 *
 * Input: an io_unzip wraps another byte source (the input's descriptor) and
 * is itself an io_read_fn, so it sits in front of the decoder:
 *
 *     fd --io_fd_read--> io_unzip --io_unzip_read--> io_decode --> reader
 *
 * What the input is comes from its first bytes, never from its name and never
 * from a seek (standard input works): 1F 8B is gzip, 28 B5 2F FD (or a zstd
 * skippable frame, 5x 2A 4D 18) is zstd, anything else passes through
 * untouched, the peeked bytes first. gzip files of several members
 * (concatenated streams) and zstd files of several frames are read whole.
 * Damaged or truncated compressed data makes io_unzip_read fail (-1, errno
 * EIO), and every read after it; io_unzip_error says what happened, for
 * people. The bytes decoded before the damage was seen are handed out first
 * (how many depends on the read sizes: a run fails at the damage anyway). A
 * failing source passes its own -1 and errno through with no message.
 *
 * Output: an io_zip compresses bytes handed to it and gives what it produces
 * to a sink. gzip is deflate level 6 with a fixed header (mtime 0, no name, OS
 * 3), zstd level 3 with a checksum: the same input gives the same bytes, however
 * it was cut into writes.
 *
 * Memory is bounded: fixed buffers (128 KiB each way) plus the codec's state
 * (zlib's 32 KiB window; zstd refuses frames asking for a window over
 * 128 MiB, its default limit).
 *
 * Neither object is thread-safe; each belongs to one thread. */
#ifndef ASSAY_IO_COMPRESS_H
#define ASSAY_IO_COMPRESS_H

#include <stddef.h>

#include "assay/assay.h"
#include "io/csv_reader.h"

typedef enum io_compress_kind {
    IO_COMPRESS_NONE = 0,
    IO_COMPRESS_GZIP,
    IO_COMPRESS_ZSTD
} io_compress_kind;

/* The compression a file name asks for: a ".gz" or ".zst" suffix (any case)
 * after at least one other character. *suffix_len (may be NULL) gets the
 * suffix's length with its dot (3 or 4), 0 for IO_COMPRESS_NONE. NULL and "-"
 * are IO_COMPRESS_NONE. */
io_compress_kind io_compress_from_name(const char *path, size_t *suffix_len);
/* "gzip", "zstd" or "none". */
const char *io_compress_name(io_compress_kind kind);

/* ---- input ------------------------------------------------------------- */

typedef struct io_unzip io_unzip;

/* A decompressing source over read/ctx (borrowed: the caller closes it).
 * Reads nothing yet. Returns ASSAY_E_NOMEM or ASSAY_OK. */
assay_status io_unzip_new(io_read_fn read, void *ctx, io_unzip **out);
void io_unzip_free(io_unzip *u);

/* The source: an io_read_fn with ctx = the io_unzip. */
ptrdiff_t io_unzip_read(void *u, char *buf, size_t cap);

/* Reads the first bytes (unless done already) and decides what the input
 * is. Returns 0, or -1 with errno set when the source fails (or the codec
 * cannot start: ENOMEM). */
int io_unzip_detect(io_unzip *u);
/* The decision; IO_COMPRESS_NONE until the first read or io_unzip_detect. */
io_compress_kind io_unzip_kind(const io_unzip *u);
/* What went wrong with the compressed data ("gzip data is damaged: invalid
 * block type", "the zstd stream ends early (truncated file?)"), or NULL
 * while nothing did. Valid for the object's lifetime. */
const char *io_unzip_error(const io_unzip *u);

/* ---- output ------------------------------------------------------------ */

typedef struct io_zip io_zip;

/* Takes n compressed bytes; returns 0, or an errno when they cannot be
 * written. */
typedef int (*io_zip_sink)(void *ctx, const char *p, size_t n);

/* A compressor for kind (GZIP or ZSTD); NULL when memory runs out or kind is
 * IO_COMPRESS_NONE. */
io_zip *io_zip_new(io_compress_kind kind);
void io_zip_free(io_zip *z);

/* Compresses p[0, n) and hands whatever output is ready to sink. Returns 0;
 * the sink's errno when it fails; or -1 when the compressor itself fails
 * (out of memory), after which the stream is unusable. */
int io_zip_write(io_zip *z, const void *p, size_t n, io_zip_sink sink, void *ctx);
/* Ends the stream (gzip trailer, zstd epilogue and checksum) and hands the
 * rest to sink. Same returns as io_zip_write; call once. */
int io_zip_finish(io_zip *z, io_zip_sink sink, void *ctx);

#endif
