/* io/outfile.c — safe output files: temporary + rename, devices in place,
 * gzip or zstd by name (see outfile.h). */
#define _XOPEN_SOURCE 700 /* realpath is XSI; the build asks for POSIX only */

#include "io/outfile.h"

#include "io/compress.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_BUF_SIZE ((size_t)1 << 20)
#define OUT_DIRECT ((size_t)256 << 10) /* written without the buffer from here */
#define OUT_TEMP_SUFFIX ".assay-XXXXXX"
/* Longest part of the target's basename kept in the temporary's name, so that
 * a long name plus the suffix stays under NAME_MAX. */
#define OUT_TEMP_BASE_MAX 200

struct io_out {
    int fd;               /* -1 once closed */
    char *path;           /* as given to io_out_open; "-" for standard output */
    char *target;         /* rename destination; NULL when written in place */
    char *tmp;            /* the temporary; NULL when written in place */
    assay_tempfile_fn fn;
    void *ctx;
    char *buf;            /* OUT_BUF_SIZE bytes */
    size_t len;
    int err_no;           /* errno of the first failure; 0 while none */
    const char *err_what; /* what failed, for the message */
    bool mem;             /* io_out_memory: buf grows, nothing is written */
    size_t cap;           /* mem: bytes allocated at buf */
    io_zip *zip;          /* a .gz or .zst target: what is drained goes
                             through the compressor */
    bool prepared;        /* flushed and closed without error */
    bool done;            /* committed or aborted */
};

/* ---- messages ---------------------------------------------------------- */

static const char *out_strerror(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
    return buf;
}

static assay_status out_fail(assay_error *err, const char *path, const char *what,
                             int e)
{
    if (err) {
        char es[256];
        err->status = ASSAY_E_IO;
        snprintf(err->message, sizeof err->message, "%s: %s: %s",
                 strcmp(path, "-") == 0 ? "standard output" : path, what,
                 out_strerror(e, es, sizeof es));
    }
    return ASSAY_E_IO;
}

static assay_status out_nomem(assay_error *err, const char *path)
{
    if (err) {
        err->status = ASSAY_E_NOMEM;
        snprintf(err->message, sizeof err->message, "%s: out of memory",
                 path ? path : "-");
    }
    return ASSAY_E_NOMEM;
}

static void out_announce(io_out *o, int added)
{
    if (o->fn && o->tmp)
        o->fn(o->tmp, added, o->ctx);
}

/* ---- opening ----------------------------------------------------------- */

static bool out_is_stdout(const char *path)
{
    return !path || strcmp(path, "-") == 0;
}

/* The descriptor a path names directly (/dev/stdin, /dev/stdout,
 * /dev/stderr, /dev/fd/N, /proc/self/fd/N), or -1. Such a path is written in
 * place through a duplicate of the descriptor: re-opening it would fail for a
 * socket, and a temporary "beside" it would really be beside the file the
 * descriptor refers to (an input, for /dev/stdin). */
static int out_fd_alias(const char *path)
{
    if (strcmp(path, "/dev/stdin") == 0)
        return 0;
    if (strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    const char *num = NULL;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        num = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        num = path + 14;
    if (!num || !*num)
        return -1;
    long v = 0;
    for (const char *p = num; *p; p++) {
        if (*p < '0' || *p > '9' || v > 1000000)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return (int)v;
}

static assay_status out_open_dup(io_out *o, int fd, assay_error *err)
{
    o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (o->fd < 0)
        return out_fail(err, o->path, "cannot open for writing", errno);
    return ASSAY_OK;
}

/* The umask, read without changing it (umask(2) can only be read by setting
 * it, which races with other threads creating files). */
static mode_t out_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "Umask:", 6) == 0) {
                fclose(f);
                return (mode_t)(strtoul(line + 6, NULL, 8) & 0777);
            }
        }
        fclose(f);
    }
    mode_t m = umask(022);
    umask(m);
    return m;
}

/* Gives the temporary the owner and mode the target had (best effort: a
 * non-root user cannot give a file away), or else 0666 & ~umask, the mode of
 * a plain create. mkstemp itself creates 0600. */
static void out_set_mode(int fd, const struct stat *old)
{
    if (old) {
        if (fchown(fd, old->st_uid, old->st_gid) != 0) {
            /* not ours to give away: keep the caller's ownership */
        }
        if (fchmod(fd, old->st_mode & 07777) != 0) {
            /* e.g. a filesystem without modes: keep what it gave */
        }
        return;
    }
    if (fchmod(fd, 0666 & ~out_umask()) != 0) {
        /* as above */
    }
}

/* Where the temporary is renamed to: the path itself, or the file a symbolic
 * link points to, so that the link survives. */
static char *out_rename_target(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (real)
            return real;
    }
    return strdup(path);
}

/* "<dir>/.<basename>.assay-XXXXXX" for the target "<dir>/<basename>". */
static char *out_temp_name(const char *target)
{
    const char *slash = strrchr(target, '/');
    size_t dlen = slash ? (size_t)(slash - target) + 1 : 0;
    const char *base = target + dlen;
    size_t blen = strlen(base);
    if (blen > OUT_TEMP_BASE_MAX)
        blen = OUT_TEMP_BASE_MAX;
    char *t = malloc(dlen + 1 + blen + sizeof OUT_TEMP_SUFFIX);
    if (!t)
        return NULL;
    memcpy(t, target, dlen);
    t[dlen] = '.';
    memcpy(t + dlen + 1, base, blen);
    memcpy(t + dlen + 1 + blen, OUT_TEMP_SUFFIX, sizeof OUT_TEMP_SUFFIX);
    return t;
}

/* old: the existing regular file being replaced, or NULL for a new one. */
static assay_status out_open_temp(io_out *o, const struct stat *old,
                                  assay_error *err)
{
    o->target = out_rename_target(o->path);
    o->tmp = o->target ? out_temp_name(o->target) : NULL;
    if (!o->tmp)
        return out_nomem(err, o->path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        return out_fail(err, o->path,
                        old ? "cannot create a temporary file beside it"
                            : "cannot create",
                        e);
    }
    o->fd = fd;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        /* only matters if the program execs; the file is still fine */
    }
    out_set_mode(fd, old);
    out_announce(o, 1);
    return ASSAY_OK;
}

static assay_status out_open_path(io_out *o, assay_error *err)
{
    int alias = out_fd_alias(o->path);
    if (alias >= 0)
        return out_open_dup(o, alias, err);
    struct stat st;
    if (stat(o->path, &st) != 0) {
        if (errno != ENOENT)
            return out_fail(err, o->path, "cannot open for writing", errno);
        return out_open_temp(o, NULL, err);
    }
    if (S_ISREG(st.st_mode))
        return out_open_temp(o, &st, err);
    if (S_ISDIR(st.st_mode))
        return out_fail(err, o->path, "cannot open for writing", EISDIR);
    /* a device, FIFO or socket: written in place (a FIFO blocks here until
     * a reader opens it, as a shell redirection would) */
    o->fd = open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (o->fd < 0)
        return out_fail(err, o->path, "cannot open for writing", errno);
    return ASSAY_OK;
}

assay_status io_out_open(io_out **out, const char *path, assay_tempfile_fn fn,
                         void *ctx, assay_error *err)
{
    *out = NULL;
    bool std = out_is_stdout(path);
    io_out *o = calloc(1, sizeof *o);
    if (!o)
        return out_nomem(err, path);
    o->fd = -1;
    o->fn = fn;
    o->ctx = ctx;
    o->path = strdup(std ? "-" : path);
    o->buf = malloc(OUT_BUF_SIZE);
    if (!o->path || !o->buf) {
        io_out_free(o);
        return out_nomem(err, path);
    }
    assay_status st = std ? out_open_dup(o, 1, err) : out_open_path(o, err);
    if (st) {
        io_out_free(o);
        return st;
    }
    io_compress_kind kind = io_compress_from_name(std ? NULL : path, NULL);
    if (kind != IO_COMPRESS_NONE && !(o->zip = io_zip_new(kind))) {
        io_out_free(o);
        return out_nomem(err, path);
    }
    *out = o;
    return ASSAY_OK;
}

/* ---- writing ----------------------------------------------------------- */

/* Writes all of p, through short writes, EINTR and (for a descriptor we were
 * handed in non-blocking mode) EAGAIN. Returns 0 or the errno. */
/* After a write or writev that wrote nothing (r <= 0): 0 to try again (EINTR;
 * EAGAIN once fd is writable), else the errno to fail with. */
static int out_again(int fd, ssize_t r)
{
    if (r == 0)
        return EIO; /* no progress and no reason: do not spin */
    if (errno == EINTR)
        return 0;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            return errno;
        return 0;
    }
    return errno;
}

static int out_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        int e = out_again(fd, w);
        if (e)
            return e;
    }
    return 0;
}

/* out_write_all for the pieces v[0..n) (none empty), IO_OUT_GATHER_MAX at a
 * time; a short write resumes inside the piece it stopped in. */
static int out_writev_all(int fd, const struct iovec *v, size_t n)
{
    size_t i = 0, done = 0; /* v[i] is written up to done */
    while (i < n) {
        struct iovec w[IO_OUT_GATHER_MAX];
        int k = 0;
        for (size_t j = i; j < n && k < IO_OUT_GATHER_MAX; j++, k++)
            w[k] = v[j];
        w[0].iov_base = (char *)w[0].iov_base + done;
        w[0].iov_len -= done;
        ssize_t r = writev(fd, w, k);
        if (r > 0) {
            size_t left = (size_t)r;
            while (left) {
                size_t rest = v[i].iov_len - done;
                if (left < rest) {
                    done += left;
                    break;
                }
                left -= rest;
                i++;
                done = 0;
            }
            continue;
        }
        int e = out_again(fd, r);
        if (e)
            return e;
    }
    return 0;
}

static int out_sink(void *ctx, const char *p, size_t n)
{
    return out_write_all(((io_out *)ctx)->fd, p, n);
}

/* The status of a compressor call: its sink's errno, or -1 when the
 * compressor itself failed (it only can for lack of memory). */
static assay_status out_zip_status(io_out *o, int e)
{
    if (!e)
        return ASSAY_OK;
    o->err_no = e < 0 ? ENOMEM : e;
    o->err_what = e < 0 ? "compression failed" : "write failed";
    return ASSAY_E_IO;
}

static assay_status out_drain(io_out *o, const char *p, size_t n)
{
    if (o->zip)
        return out_zip_status(o, io_zip_write(o->zip, p, n, out_sink, o));
    int e = out_write_all(o->fd, p, n);
    if (e) {
        o->err_no = e;
        o->err_what = "write failed";
        return ASSAY_E_IO;
    }
    return ASSAY_OK;
}

assay_status io_out_flush(io_out *o)
{
    if (o->err_no)
        return ASSAY_E_IO;
    if (o->fd < 0)
        return ASSAY_E_INTERNAL;
    size_t n = o->len;
    o->len = 0;
    return n ? out_drain(o, o->buf, n) : ASSAY_OK;
}

static assay_status mem_write(io_out *o, const void *p, size_t n)
{
    if (n > o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 64 * 1024;
        while (n > cap - o->len) {
            if (cap > SIZE_MAX / 2)
                return ASSAY_E_NOMEM;
            cap *= 2;
        }
        char *b = realloc(o->buf, cap);
        if (!b)
            return ASSAY_E_NOMEM;
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    return ASSAY_OK;
}

assay_status io_out_memory(io_out **out)
{
    io_out *o = calloc(1, sizeof *o);
    if (!o)
        return ASSAY_E_NOMEM;
    o->fd = -1;
    o->mem = true;
    o->done = true;
    *out = o;
    return ASSAY_OK;
}

const char *io_out_mem_data(const io_out *o, size_t *n)
{
    *n = o->len;
    return o->buf;
}

void io_out_mem_clear(io_out *o)
{
    o->len = 0;
}

assay_status io_out_write(io_out *o, const void *p, size_t n)
{
    if (o->mem)
        return n ? mem_write(o, p, n) : ASSAY_OK;
    if (o->err_no)
        return ASSAY_E_IO;
    if (o->fd < 0)
        return ASSAY_E_INTERNAL;
    if (n == 0)
        return ASSAY_OK;
    /* A large piece (a batch's share of the output) goes straight to
     * write(2) after what is buffered: copying it would cost as much. */
    if (n >= OUT_DIRECT || n > OUT_BUF_SIZE - o->len) {
        assay_status st = io_out_flush(o);
        if (st)
            return st;
        if (n >= OUT_DIRECT)
            return out_drain(o, p, n);
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    return ASSAY_OK;
}

assay_status io_out_gather(io_out *o, const struct iovec *v, size_t n)
{
    size_t total = 0, m = 0;
    for (size_t i = 0; i < n; i++)
        total += v[i].iov_len;
    if (o->mem || o->zip || total < OUT_DIRECT) {
        for (size_t i = 0; i < n; i++) {
            assay_status st = io_out_write(o, v[i].iov_base, v[i].iov_len);
            if (st)
                return st;
        }
        return ASSAY_OK;
    }
    assay_status st = io_out_flush(o);
    if (st)
        return st;
    /* Empty pieces would make a zero-byte writev look like no progress. */
    struct iovec w[IO_OUT_GATHER_MAX];
    for (size_t i = 0; i < n; i++) {
        if (v[i].iov_len)
            w[m++] = v[i];
        if (m == IO_OUT_GATHER_MAX || (i + 1 == n && m)) {
            int e = out_writev_all(o->fd, w, m);
            if (e) {
                o->err_no = e;
                o->err_what = "write failed";
                return ASSAY_E_IO;
            }
            m = 0;
        }
    }
    return ASSAY_OK;
}

assay_status io_out_puts(io_out *o, const char *s)
{
    return io_out_write(o, s, strlen(s));
}

assay_status io_out_error(const io_out *o, assay_error *err)
{
    if (!o->err_no)
        return ASSAY_OK;
    return out_fail(err, o->path, o->err_what, o->err_no);
}

bool io_out_broken_pipe(const io_out *o)
{
    return o->err_no == EPIPE;
}

const char *io_out_path(const io_out *o)
{
    return o->path;
}

/* ---- ending ------------------------------------------------------------ */

static assay_status out_close(io_out *o)
{
    int fd = o->fd;
    o->fd = -1;
    if (close(fd) != 0) {
        /* e.g. NFS or a quota reports a failed write-back only here */
        o->err_no = errno;
        o->err_what = "close failed";
        return ASSAY_E_IO;
    }
    return ASSAY_OK;
}

static void out_discard(io_out *o)
{
    if (o->fd >= 0) {
        close(o->fd); /* the data is being thrown away: its error is moot */
        o->fd = -1;
    }
    if (o->tmp) {
        unlink(o->tmp);
        out_announce(o, 0);
    }
    o->done = true;
}

assay_status io_out_prepare(io_out *o, assay_error *err)
{
    if (o->done)
        return ASSAY_E_INTERNAL;
    if (o->prepared)
        return ASSAY_OK;
    assay_status st = io_out_flush(o);
    if (!st && o->zip)
        st = out_zip_status(o, io_zip_finish(o->zip, out_sink, o));
    if (!st)
        st = out_close(o);
    if (st) {
        if (st == ASSAY_E_IO)
            io_out_error(o, err);
        return st;
    }
    o->prepared = true;
    return ASSAY_OK;
}

assay_status io_out_commit(io_out *o, assay_error *err)
{
    assay_status st = io_out_prepare(o, err);
    if (st == ASSAY_E_INTERNAL)
        return st;
    if (!st && o->tmp && rename(o->tmp, o->target) != 0) {
        o->err_no = errno;
        o->err_what = "cannot rename the temporary file into place";
        st = io_out_error(o, err);
    }
    if (st) {
        out_discard(o);
        return st;
    }
    out_announce(o, 0);
    o->done = true;
    return ASSAY_OK;
}

void io_out_abort(io_out *o)
{
    if (!o->done)
        out_discard(o);
}

void io_out_free(io_out *o)
{
    if (!o)
        return;
    io_out_abort(o);
    free(o->path);
    free(o->target);
    free(o->tmp);
    free(o->buf);
    io_zip_free(o->zip);
    free(o);
}

/* ---- same-file detection ----------------------------------------------- */

static int out_stat(const char *path, struct stat *st)
{
    return out_is_stdout(path) ? fstat(1, st) : stat(path, st);
}

/* realpath of the directory part + "/" + basename; NULL when the directory
 * cannot be resolved (or the path has no usable basename). */
static char *out_norm_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return NULL;
    char *dir = NULL;
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else {
        dir = malloc((size_t)(slash - path) + 1);
        if (dir) {
            memcpy(dir, path, (size_t)(slash - path));
            dir[slash - path] = '\0';
        }
    }
    char *real = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!real)
        return NULL;
    size_t rl = strlen(real), bl = strlen(base);
    char *full = malloc(rl + 1 + bl + 1);
    if (full) {
        memcpy(full, real, rl);
        full[rl] = '/';
        memcpy(full + rl + 1, base, bl + 1);
    }
    free(real);
    return full;
}

bool io_path_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    bool ha = out_stat(a, &sa) == 0;
    bool hb = out_stat(b, &sb) == 0;
    if (ha && hb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (out_is_stdout(a) || out_is_stdout(b))
        return out_is_stdout(a) && out_is_stdout(b);
    if (ha || hb)
        return false; /* one exists, the other does not */
    char *na = out_norm_path(a);
    char *nb = out_norm_path(b);
    bool same = (na && nb) ? strcmp(na, nb) == 0 : strcmp(a, b) == 0;
    free(na);
    free(nb);
    return same;
}

bool io_path_is_null(const char *path)
{
    struct stat st, nul;
    if (out_stat(path, &st) != 0 || stat("/dev/null", &nul) != 0)
        return false;
    return S_ISCHR(st.st_mode) && S_ISCHR(nul.st_mode) &&
           st.st_rdev == nul.st_rdev;
}

assay_status io_out_finish_all(io_out *const *outs, size_t n, assay_status st,
                               assay_error *err, int *broken_pipe)
{
    for (size_t i = 0; i < n && !st; i++)
        if (outs[i] && io_out_prepare(outs[i], err))
            st = ASSAY_E_IO;
    /* A write that failed midway ended the run with a bare status: name the
     * output and the reason, unless the caller already said what went wrong. */
    for (size_t i = 0; i < n && st && err && !err->message[0]; i++)
        if (outs[i])
            io_out_error(outs[i], err);
    for (size_t i = 0; i < n; i++) {
        if (!outs[i])
            continue;
        if (io_out_broken_pipe(outs[i]))
            *broken_pipe = 1;
        if (st)
            io_out_abort(outs[i]);
        else if (io_out_commit(outs[i], err))
            st = ASSAY_E_IO;
    }
    return st;
}
