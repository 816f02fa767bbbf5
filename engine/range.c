/* engine/range.c — --byte-range START:END: check only the records that start
 * inside [START, END) of one file, so that any engine can split a big file
 * without cutting records (a record may span lines; GNU parallel's newline
 * cuts would split 2 % of the benchmark's).
 *
 * Both ends move to a resynchronisation point, found by the reader's own rule
 * from the bytes alone: the first line start at or after the offset whose
 * record parses to the header's width and is followed by another such record
 * (or by the end of the file). Shards [A,B) and [B,C) therefore agree on B's
 * point, and every record of the file lands in exactly one shard. The header
 * is always read from byte 0; line numbers count from the start of the file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"

typedef struct pread_src {
    int fd;
    uint64_t off;
    int err; /* errno of a failed read, 0 while none */
} pread_src;

static ptrdiff_t pread_read(void *ctx, char *buf, size_t cap)
{
    pread_src *s = ctx;
    for (;;) {
        ssize_t n = pread(s->fd, buf, cap, (off_t)s->off);
        if (n >= 0) {
            s->off += (uint64_t)n;
            return (ptrdiff_t)n;
        }
        if (errno != EINTR) {
            s->err = errno;
            return -1;
        }
    }
}

/* pread through EINTR. A failure is kept in *e (the first errno) so that
 * a read error while planning the range fails the run instead of passing
 * for the end of the file. */
static ssize_t pread_at(int fd, void *buf, size_t n, uint64_t off, int *e)
{
    for (;;) {
        ssize_t r = pread(fd, buf, n, (off_t)off);
        if (r >= 0 || errno != EINTR) {
            if (r < 0 && !*e)
                *e = errno;
            return r;
        }
    }
}

/* The byte at off, or -1 past the end (or on an error, kept in *e). */
static int byte_at(int fd, uint64_t off, int *e)
{
    unsigned char c;
    return pread_at(fd, &c, 1, off, e) == 1 ? c : -1;
}

/* The first line start at or after off (a line ends at LF, CRLF or CR). */
static uint64_t line_start(int fd, uint64_t off, uint64_t size, int *e)
{
    int prev = off ? byte_at(fd, off - 1, e) : '\n';
    if (prev == '\n' || (prev == '\r' && byte_at(fd, off, e) != '\n'))
        return off;
    char buf[65536];
    while (off < size) {
        ssize_t n = pread_at(fd, buf, sizeof buf, off, e);
        if (n <= 0)
            return size;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n')
                return off + (uint64_t)i + 1;
            if (buf[i] == '\r') {
                int next = i + 1 < n ? (unsigned char)buf[i + 1]
                                     : byte_at(fd, off + (uint64_t)i + 1, e);
                if (next != '\n')
                    return off + (uint64_t)i + 1;
            }
        }
        off += (uint64_t)n;
    }
    return size;
}

/* Does a record of the header's width start at off, followed by another (or
 * by the end of the file)? */
static assay_status fits(eng_run *run, const io_csv_opts *o, int fd, uint64_t off,
                         size_t width, bool *ok, int *e)
{
    pread_src src = {fd, off, 0};
    io_csv_reader *r = NULL;
    io_record rec;
    bool eof = false;
    *ok = false;
    assay_status st = io_csv_reader_new(pread_read, &src, o, &r);
    if (!st)
        st = io_csv_next(r, &rec, &eof, run->err);
    if (!st && !eof && rec.kind == IO_REC_OK && rec.nfields == width) {
        st = io_csv_next(r, &rec, &eof, run->err);
        *ok = !st && (eof || (rec.kind == IO_REC_OK && rec.nfields == width));
    }
    io_csv_reader_free(r);
    if (st == ASSAY_E_IO && src.err) { /* reported by eng_range_plan */
        *e = src.err;
        *ok = false;
        st = ASSAY_OK;
    }
    return st;
}

/* The resynchronisation point at or after off (see the top of the file). */
static assay_status resync_point(eng_run *run, const io_csv_opts *o, int fd, uint64_t off,
                                 uint64_t size, size_t width, uint64_t *point, int *e)
{
    uint64_t at = line_start(fd, off, size, e);
    while (at < size && !*e) {
        bool ok;
        assay_status st = fits(run, o, fd, at, width, &ok, e);
        if (st)
            return st;
        if (ok || *e)
            break;
        at = line_start(fd, at + 1, size, e);
    }
    *point = at < size ? at : size;
    return ASSAY_OK;
}

/* Physical lines before off, counted as the reader counts them. */
static uint64_t lines_before(int fd, uint64_t off, int *e)
{
    char buf[65536];
    uint64_t lines = 0, pos = 0;
    int prev = 0;
    while (pos < off) {
        size_t want = off - pos < sizeof buf ? (size_t)(off - pos) : sizeof buf;
        ssize_t n = pread_at(fd, buf, want, pos, e);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            int c = (unsigned char)buf[i];
            lines += c == '\n' ? prev != '\r' : c == '\r';
            prev = c;
        }
        pos += (uint64_t)n;
    }
    return lines;
}

assay_status eng_range_plan(eng_run *run, eng_input *in, const io_csv_opts *o,
                            uint64_t body, eng_range *out)
{
    struct stat sb;
    if (fstat(in->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(run->err->message, sizeof run->err->message,
                 "--byte-range needs a regular file as its one input");
        return ASSAY_E_USAGE;
    }
    uint64_t size = (uint64_t)sb.st_size;
    uint64_t start = run->opts->range_start, end = run->opts->range_end;
    if (!end || end > size)
        end = size;
    io_csv_opts ro = *o;
    ro.header = false;
    assay_status st = ASSAY_OK;
    int e = 0; /* errno of a failed read while planning */
    out->from = body;
    out->to = size;
    if (start > body)
        st = resync_point(run, &ro, in->fd, start, size, in->ncols, &out->from,
                          &e);
    if (!st && !e && end < size)
        st = end <= body ? (out->to = body, ASSAY_OK)
                         : resync_point(run, &ro, in->fd, end, size, in->ncols, &out->to,
                                        &e);
    if (out->to < out->from)
        out->to = out->from;
    if (!st && !e)
        out->lines = lines_before(in->fd, out->from, &e);
    out->src_fd = in->fd;
    if (!st && e) {
        snprintf(run->err->message, sizeof run->err->message, "%s: read error: %s",
                 in->name, strerror(e));
        st = ASSAY_E_IO;
    }
    return st;
}

ptrdiff_t eng_range_read(void *ctx, char *buf, size_t cap)
{
    eng_range *r = ctx;
    if (r->pos >= r->to)
        return 0;
    if (cap > r->to - r->pos)
        cap = (size_t)(r->to - r->pos);
    pread_src s = {r->src_fd, r->pos, 0};
    ptrdiff_t n = pread_read(&s, buf, cap);
    if (n > 0)
        r->pos += (uint64_t)n;
    return n;
}
