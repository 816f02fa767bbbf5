/* tests/inject/fail_io.c — an LD_PRELOAD shim that makes chosen writes,
 * reads, opens and closes fail, so that tests can prove how assay behaves on
 * a full disk, an I/O error, a closed pipe, a failing close, an input that
 * breaks midway or cannot be opened.
 *
 * Test-only: it needs dlsym(RTLD_NEXT), a GNU extension, and is never part
 * of libassay or the assay binary.
 *
 * Environment (read once, when the shim is loaded). Writes:
 *   ASSAY_INJECT_ERRNO=ENOSPC|EIO|EPIPE|EDQUOT|EFBIG|EINTR|EAGAIN|<number>
 *       errno of the failing writes. EINTR and EAGAIN are transient: past the
 *       threshold every other call fails, so a correct retry loop completes.
 *       The others are permanent: past the threshold every call fails.
 *   ASSAY_INJECT_AFTER=N
 *       let N bytes through (in total, over all matching descriptors) before
 *       failing; the write crossing N is cut short at N. Default 0.
 *   ASSAY_INJECT_MATCH=substring
 *       only descriptors whose /proc/self/fd/N link contains it, e.g.
 *       ".assay-" (assay's temporary files) or "quarantine". Default: every
 *       descriptor except 2 (stderr stays usable for messages).
 *   ASSAY_INJECT_CLOSE_ERRNO=EIO|...
 *       close(2) of a matching descriptor fails with this errno (after really
 *       closing it, as Linux does: the descriptor is released either way).
 *   ASSAY_INJECT_SHORT=N
 *       every write to a matching descriptor writes at most N bytes (a short
 *       write, not an error), to exercise retry loops.
 *
 * Reads (read, readv, pread, pread64), counted apart from the writes:
 *   ASSAY_INJECT_READ_ERRNO=EIO|EINTR|EAGAIN|<number>
 *       errno of the failing reads; EINTR and EAGAIN are transient as above
 *       (every other call past the threshold fails), the others permanent.
 *   ASSAY_INJECT_READ_AFTER=N
 *       let N bytes be read (in total, over all matching descriptors) before
 *       failing; the read crossing N is cut short at N. Default 0: the first
 *       read fails.
 *   ASSAY_INJECT_READ_MATCH=substring
 *       only descriptors whose /proc/self/fd/N link contains it (the input's
 *       file name, "pipe:" for a piped stdin). Default: every descriptor.
 *   ASSAY_INJECT_READ_SHORT=N
 *       every read of a matching descriptor returns at most N bytes.
 *
 * Opens (open, open64, openat, openat64):
 *   ASSAY_INJECT_OPEN_ERRNO=EACCES|ENOENT|EIO|...
 *   ASSAY_INJECT_OPEN_MATCH=substring
 *       an open of a path containing the substring fails with the errno and
 *       opens nothing (both must be set). Works for root too, for whom
 *       chmod 000 does not make a file unreadable.
 *
 * What is covered: calls to the public symbols above — assay's own input and
 * output layers (io/source.c, io/outfile.c, engine/input.c, engine/range.c)
 * and any library calling them. Not covered: stdio (fopen, fread, fputs,
 * fprintf, fwrite, fflush, fclose), whose glibc implementation calls internal
 * functions that LD_PRELOAD cannot replace — assay reads its rules file and
 * the files of merge and diff through stdio, so those reads never fail here;
 * pwrite, sendmsg, recv and the like; statically linked programs. readv is
 * all-or-nothing at the threshold (never cut short).
 *
 * The byte counts are shared by all threads but a call racing another one
 * across the threshold may let a few more bytes through; assay reads its
 * inputs from one thread. */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE /* the fortified open() is an inline wrapper */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*inj_write_fn)(int, const void *, size_t);
typedef ssize_t (*inj_writev_fn)(int, const struct iovec *, int);
typedef int (*inj_close_fn)(int);
typedef ssize_t (*inj_read_fn)(int, void *, size_t);
typedef ssize_t (*inj_readv_fn)(int, const struct iovec *, int);
typedef ssize_t (*inj_pread_fn)(int, void *, size_t, off_t);
typedef ssize_t (*inj_pread64_fn)(int, void *, size_t, off64_t);
typedef int (*inj_open_fn)(const char *, int, ...);
typedef int (*inj_openat_fn)(int, const char *, int, ...);

static struct {
    inj_write_fn write;
    inj_writev_fn writev;
    inj_close_fn close;
    inj_read_fn read;
    inj_readv_fn readv;
    inj_pread_fn pread;
    inj_pread64_fn pread64;
    inj_open_fn open, open64;
    inj_openat_fn openat, openat64;
} real;

/* One direction (reads or writes): what fails, when, on which descriptors. */
typedef struct inj_dir {
    int err;                /* 0: calls are let through */
    unsigned long long after;
    size_t short_max;       /* 0: no cap */
    const char *match;      /* NULL: every descriptor (but 2, for writes) */
    atomic_ullong done;     /* bytes let through to matching descriptors */
    atomic_uint transient;  /* calls seen in transient (EINTR) mode */
} inj_dir;

static struct {
    bool ready;
    inj_dir wr, rd;
    int close_errno;        /* 0: closes are let through */
    int open_errno;         /* 0: opens are let through */
    const char *open_match;
} cfg;

static int inj_parse_errno(const char *s)
{
    static const struct { const char *name; int value; } names[] = {
        { "ENOSPC", ENOSPC }, { "EIO", EIO },       { "EPIPE", EPIPE },
        { "EDQUOT", EDQUOT }, { "EFBIG", EFBIG },   { "EINTR", EINTR },
        { "EAGAIN", EAGAIN }, { "EBADF", EBADF },   { "EROFS", EROFS },
        { "EACCES", EACCES }, { "ENOENT", ENOENT }, { "EPERM", EPERM },
        { "EMFILE", EMFILE }, { "ENOMEM", ENOMEM },
    };
    if (!s || !*s)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].value;
    return atoi(s);
}

static unsigned long long inj_env_ull(const char *name)
{
    const char *s = getenv(name);
    return s ? strtoull(s, NULL, 10) : 0;
}

static const char *inj_env_str(const char *name)
{
    const char *s = getenv(name);
    return s && *s ? s : NULL;
}

/* Resolves the real functions and reads the environment. Runs as a
 * constructor, and again lazily if a call comes before it. */
__attribute__((constructor)) static void inj_setup(void)
{
    if (cfg.ready)
        return;
    real.write = (inj_write_fn)dlsym(RTLD_NEXT, "write");
    real.writev = (inj_writev_fn)dlsym(RTLD_NEXT, "writev");
    real.close = (inj_close_fn)dlsym(RTLD_NEXT, "close");
    real.read = (inj_read_fn)dlsym(RTLD_NEXT, "read");
    real.readv = (inj_readv_fn)dlsym(RTLD_NEXT, "readv");
    real.pread = (inj_pread_fn)dlsym(RTLD_NEXT, "pread");
    real.pread64 = (inj_pread64_fn)dlsym(RTLD_NEXT, "pread64");
    real.open = (inj_open_fn)dlsym(RTLD_NEXT, "open");
    real.open64 = (inj_open_fn)dlsym(RTLD_NEXT, "open64");
    real.openat = (inj_openat_fn)dlsym(RTLD_NEXT, "openat");
    real.openat64 = (inj_openat_fn)dlsym(RTLD_NEXT, "openat64");
    cfg.wr.err = inj_parse_errno(getenv("ASSAY_INJECT_ERRNO"));
    cfg.wr.after = inj_env_ull("ASSAY_INJECT_AFTER");
    cfg.wr.short_max = (size_t)inj_env_ull("ASSAY_INJECT_SHORT");
    cfg.wr.match = inj_env_str("ASSAY_INJECT_MATCH");
    cfg.rd.err = inj_parse_errno(getenv("ASSAY_INJECT_READ_ERRNO"));
    cfg.rd.after = inj_env_ull("ASSAY_INJECT_READ_AFTER");
    cfg.rd.short_max = (size_t)inj_env_ull("ASSAY_INJECT_READ_SHORT");
    cfg.rd.match = inj_env_str("ASSAY_INJECT_READ_MATCH");
    cfg.close_errno = inj_parse_errno(getenv("ASSAY_INJECT_CLOSE_ERRNO"));
    cfg.open_errno = inj_parse_errno(getenv("ASSAY_INJECT_OPEN_ERRNO"));
    cfg.open_match = inj_env_str("ASSAY_INJECT_OPEN_MATCH");
    cfg.ready = true;
}

/* Whether fd's /proc/self/fd link contains match (NULL: any descriptor but
 * `spare`). */
static bool inj_fd_matches(int fd, const char *match, int spare)
{
    if (!match)
        return fd != spare;
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    return strstr(target, match) != NULL;
}

/* Whether a call of this direction on fd is touched at all. */
static bool inj_active(const inj_dir *d, int fd, int spare)
{
    return (d->err || d->short_max) && inj_fd_matches(fd, d->match, spare);
}

static bool inj_transient(int e)
{
    return e == EINTR || e == EAGAIN;
}

/* How many of n bytes may go through now (0: fail the call). */
static size_t inj_allow(inj_dir *d, size_t n)
{
    if (!d->err)
        return d->short_max && n > d->short_max ? d->short_max : n;
    unsigned long long done = atomic_load(&d->done);
    size_t allow = n;
    if (done < d->after) {
        unsigned long long left = d->after - done;
        allow = n < left ? n : (size_t)left;
    } else if (inj_transient(d->err)) {
        allow = (atomic_fetch_add(&d->transient, 1) % 2) ? n : 0;
    } else {
        allow = 0;
    }
    if (d->short_max && allow > d->short_max)
        allow = d->short_max;
    return allow;
}

static size_t inj_iov_total(const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    return total;
}

static void inj_count(inj_dir *d, ssize_t r)
{
    if (r > 0)
        atomic_fetch_add(&d->done, (unsigned long long)r);
}

/* ---- writes ------------------------------------------------------------ */

ssize_t write(int fd, const void *buf, size_t n)
{
    inj_setup();
    if (n == 0 || !inj_active(&cfg.wr, fd, 2))
        return real.write(fd, buf, n);
    size_t allow = inj_allow(&cfg.wr, n);
    if (allow == 0) {
        errno = cfg.wr.err;
        return -1;
    }
    ssize_t r = real.write(fd, buf, allow);
    inj_count(&cfg.wr, r);
    return r;
}

/* As write: a writev crossing the threshold, or longer than the short-write
 * cap, writes only its first bytes. */
ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    inj_setup();
    size_t total = inj_iov_total(iov, iovcnt);
    if (total == 0 || !inj_active(&cfg.wr, fd, 2))
        return real.writev(fd, iov, iovcnt);
    size_t allow = inj_allow(&cfg.wr, total);
    if (allow == 0) {
        errno = cfg.wr.err;
        return -1;
    }
    ssize_t r;
    if (allow < total) {
        struct iovec cut[64];
        int k = 0;
        for (size_t left = allow; k < iovcnt && k < 64 && left; k++) {
            cut[k] = iov[k];
            if (cut[k].iov_len > left)
                cut[k].iov_len = left;
            left -= cut[k].iov_len;
        }
        r = real.writev(fd, cut, k);
    } else {
        r = real.writev(fd, iov, iovcnt);
    }
    inj_count(&cfg.wr, r);
    return r;
}

int close(int fd)
{
    inj_setup();
    if (!cfg.close_errno || fd <= 2 || !inj_fd_matches(fd, cfg.wr.match, 2))
        return real.close(fd);
    real.close(fd);
    errno = cfg.close_errno;
    return -1;
}

/* ---- reads ------------------------------------------------------------- */

/* The size a matching read may ask for, or 0 with errno set: fail it. */
static size_t inj_read_allow(size_t n)
{
    size_t allow = inj_allow(&cfg.rd, n);
    if (allow == 0)
        errno = cfg.rd.err;
    return allow;
}

ssize_t read(int fd, void *buf, size_t n)
{
    inj_setup();
    if (n == 0 || !inj_active(&cfg.rd, fd, -1))
        return real.read(fd, buf, n);
    size_t allow = inj_read_allow(n);
    if (allow == 0)
        return -1;
    ssize_t r = real.read(fd, buf, allow);
    inj_count(&cfg.rd, r);
    return r;
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    inj_setup();
    if (!cfg.rd.err || !inj_active(&cfg.rd, fd, -1))
        return real.readv(fd, iov, iovcnt);
    size_t total = inj_iov_total(iov, iovcnt);
    if (total && inj_allow(&cfg.rd, total) < total) {
        errno = cfg.rd.err;
        return -1;
    }
    ssize_t r = real.readv(fd, iov, iovcnt);
    inj_count(&cfg.rd, r);
    return r;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    inj_setup();
    if (n == 0 || !inj_active(&cfg.rd, fd, -1))
        return real.pread(fd, buf, n, off);
    size_t allow = inj_read_allow(n);
    if (allow == 0)
        return -1;
    ssize_t r = real.pread(fd, buf, allow, off);
    inj_count(&cfg.rd, r);
    return r;
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
    inj_setup();
    if (n == 0 || !inj_active(&cfg.rd, fd, -1))
        return real.pread64(fd, buf, n, off);
    size_t allow = inj_read_allow(n);
    if (allow == 0)
        return -1;
    ssize_t r = real.pread64(fd, buf, allow, off);
    inj_count(&cfg.rd, r);
    return r;
}

/* ---- opens ------------------------------------------------------------- */

static bool inj_open_fails(const char *path)
{
    inj_setup();
    if (!cfg.open_errno || !cfg.open_match || !path || !strstr(path, cfg.open_match))
        return false;
    errno = cfg.open_errno;
    return true;
}

/* The mode argument exists only when the flags create a file. */
static bool inj_has_mode(int flags)
{
#ifdef O_TMPFILE
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return true;
#endif
    return (flags & O_CREAT) != 0;
}

#define INJ_MODE(flags, last, mode)                                            \
    do {                                                                       \
        if (inj_has_mode(flags)) {                                             \
            va_list ap;                                                        \
            va_start(ap, last);                                                \
            mode = (mode_t)va_arg(ap, int);                                    \
            va_end(ap);                                                        \
        }                                                                      \
    } while (0)

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    INJ_MODE(flags, flags, mode);
    if (inj_open_fails(path))
        return -1;
    return real.open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    INJ_MODE(flags, flags, mode);
    if (inj_open_fails(path))
        return -1;
    return real.open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    INJ_MODE(flags, flags, mode);
    if (inj_open_fails(path))
        return -1;
    return real.openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    INJ_MODE(flags, flags, mode);
    if (inj_open_fails(path))
        return -1;
    return real.openat64(dirfd, path, flags, mode);
}
