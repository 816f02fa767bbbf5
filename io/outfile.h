/* io/outfile.h — every output file of assay, written safely.
 *
 * Passing records, quarantine, errors NDJSON, changes NDJSON and stats JSON all
 * go through an io_out. The rules (SPEC §2):
 *
 *   - A target that does not exist, or is a regular file, is written to a
 *     temporary file created beside it (same directory, named
 *     ".<basename>.assay-XXXXXX") and renamed over the target by
 *     io_out_commit. Until then the target is untouched; io_out_abort (or
 *     io_out_free without a commit) removes the temporary, so no half-written
 *     output is ever left. A target that is a symbolic link to a regular file
 *     keeps its link: the file it points to is replaced (a dangling link is
 *     itself replaced by the new file).
 *   - The new file gets the mode a plain create would give it: the existing
 *     target's permission bits when it is replaced, else 0666 & ~umask.
 *   - Standard output ("-" or NULL), character devices, FIFOs and sockets
 *     (/dev/null, /dev/stdout, /dev/fd/N, a named pipe) are written in place;
 *     /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N
 *     through a duplicate of the descriptor the process already holds.
 *   - io_out_open fails at once when the target cannot be written (missing
 *     or read-only directory, a directory, ...), so callers open every output
 *     before the first record is read.
 *
 * Writes are buffered here (1 MiB), not by stdio. The first failing write is
 * remembered; every later call returns ASSAY_E_IO without writing again, and
 * io_out_commit reports it (path and strerror). A write that fails with EPIPE
 * (the reader of a pipe went away) is flagged so the caller can end silently;
 * SIGPIPE must be ignored by the program for EPIPE to be seen at all.
 *
 * Compression: a target whose name ends in ".gz" or ".zst" (any case) is
 * written compressed, gzip or zstd (io/compress.h: reproducible bytes). The
 * buffer holds uncompressed bytes; draining it (full, io_out_flush, a large
 * write) hands them to the compressor and writes what it has produced, so a
 * flush does not push every byte to the kernel: the compressor keeps a tail
 * (flushing it would make the bytes depend on when flushes happen). The
 * stream is ended at io_out_prepare. Standard output and io_out_memory are
 * never compressed. A compressor failure (out of memory) is reported like a
 * write error: "<path>: compression failed: <strerror>".
 *
 * The temporary file's path is announced through the assay_tempfile_fn given
 * to io_out_open: added=1 once it exists, added=0 once it is renamed or
 * removed, so that a signal handler can unlink whatever is still there.
 *
 * Ownership: io_out_open returns an object the caller frees with io_out_free.
 * An io_out is not thread-safe; one thread writes it. */
#ifndef ASSAY_IO_OUTFILE_H
#define ASSAY_IO_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "assay/assay.h"

typedef struct io_out io_out;

/* Opens path for writing (NULL or "-": standard output). On failure returns
 * ASSAY_E_IO (or ASSAY_E_NOMEM) with err naming the path and the reason;
 * *out is then NULL. fn may be NULL. */
assay_status io_out_open(io_out **out, const char *path, assay_tempfile_fn fn,
                         void *ctx, assay_error *err);

/* An io_out that only collects what is written, in memory (a worker thread's
 * share of an output, written out in order by another thread). Flushing,
 * preparing and committing it are errors; io_out_free frees it. */
assay_status io_out_memory(io_out **out);
/* The bytes written so far (valid until the next write or clear). */
const char *io_out_mem_data(const io_out *o, size_t *n);
/* Forgets the bytes written, keeping the allocation. */
void io_out_mem_clear(io_out *o);

/* Buffered write. ASSAY_E_IO once any write has failed (see io_out_error). */
assay_status io_out_write(io_out *o, const void *p, size_t n);
assay_status io_out_puts(io_out *o, const char *s);
/* Writes the n pieces v[0..n) in order, as many io_out_write calls would;
 * when they add up to a large write, after the buffer with one writev per
 * IO_OUT_GATHER_MAX pieces, copying nothing. */
#define IO_OUT_GATHER_MAX 64
assay_status io_out_gather(io_out *o, const struct iovec *v, size_t n);
/* Writes out the buffer (the data reaches the kernel; no fsync). */
assay_status io_out_flush(io_out *o);

/* ASSAY_OK when no write has failed; else ASSAY_E_IO, with err (may be NULL)
 * set to "<path>: write failed: <strerror>". */
assay_status io_out_error(const io_out *o, assay_error *err);
/* True when a write failed with EPIPE: the caller may end without a message. */
bool io_out_broken_pipe(const io_out *o);

/* The first half of io_out_commit: flushes and closes (a failing close is an
 * error too: NFS and quotas may report a lost write only there), but renames
 * nothing yet. On failure returns ASSAY_E_IO with err set; the caller then
 * aborts. To replace several outputs all-or-nothing, prepare every one, and
 * commit them only when all prepared (else abort them all): what is left to
 * fail after a successful prepare is a rename within one directory. */
assay_status io_out_prepare(io_out *o, assay_error *err);
/* Prepares (unless done already) and renames the temporary into place. On
 * failure the temporary is removed, the target is left as it was, and
 * ASSAY_E_IO is returned with err set. Call at most once. */
assay_status io_out_commit(io_out *o, assay_error *err);
/* Closes and removes the temporary; the target is left as it was. Output
 * written in place (stdout, devices, FIFOs) cannot be taken back. */
void io_out_abort(io_out *o);
/* The all-or-nothing end of a run over outs[0..n) (NULL entries skipped):
 * when st is ASSAY_OK every output is prepared, then, if all prepared, each
 * is committed; otherwise (or when st is not ASSAY_OK) every one is aborted.
 * *broken_pipe is set when some output saw EPIPE. Returns st, or ASSAY_E_IO
 * with err set; a failing st with err->message still empty gets the message
 * of the first output whose write failed (a write error midway). */
assay_status io_out_finish_all(io_out *const *outs, size_t n, assay_status st,
                               assay_error *err, int *broken_pipe);
/* Aborts when neither io_out_commit nor io_out_abort was called. NULL ok. */
void io_out_free(io_out *o);

/* The target as given to io_out_open ("-" for standard output). */
const char *io_out_path(const io_out *o);

/* True when a and b name the same file: both exist and share st_dev/st_ino
 * (symbolic links and hard links followed), or otherwise their normalised
 * absolute paths (realpath of the directory part + basename) are equal.
 * "-" and NULL mean standard output, compared through fstat(1), so "-" and
 * "/dev/stdout" are the same file, as are "-" and a file stdout is redirected
 * to. Callers comparing an input must not pass "-" for standard input.
 *
 * Devices compare like files: "/dev/null" is the same file as "/dev/null",
 * and a terminal as itself. A caller refusing two outputs that name one file
 * should allow the null device (io_path_is_null). */
bool io_path_same_file(const char *a, const char *b);
/* True when path is the null device (a character device with the st_rdev of
 * /dev/null). */
bool io_path_is_null(const char *path);

#endif
