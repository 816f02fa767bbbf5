/* tests/inject/fail_write.c — an LD_PRELOAD shim that makes chosen writes
 * and closes fail, so that tests can prove how assay behaves on a full disk,
 * an I/O error, a closed pipe or a failing close.
 *
 * Test-only: it needs dlsym(RTLD_NEXT), a GNU extension, and is never part
 * of libassay or the assay binary.
 *
 * Environment (read once, when the shim is loaded):
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
 * What is covered: calls to the public write, writev and close symbols —
 * assay's own output layer (io/outfile.c) and any library calling them.
 * Not covered: stdio (fputs, fprintf, fwrite, fflush, fclose), whose glibc
 * implementation calls an internal write that LD_PRELOAD cannot replace;
 * pwrite, sendmsg and the like; statically linked programs. writev is
 * all-or-nothing at the threshold (never cut short).
 *
 * The byte count is shared by all threads but a write racing another one
 * across the threshold may let a few more bytes through; the tests that use
 * the shim write from one thread. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
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

static inj_write_fn real_write;
static inj_writev_fn real_writev;
static inj_close_fn real_close;

static struct {
    bool ready;
    int write_errno;        /* 0: writes are let through */
    int close_errno;        /* 0: closes are let through */
    unsigned long long after;
    size_t short_max;       /* 0: no cap */
    const char *match;      /* NULL: every descriptor but 2 */
} cfg;

static atomic_ullong written; /* bytes let through to matching descriptors */
static atomic_uint transient; /* calls seen in transient (EINTR) mode */

static int inj_parse_errno(const char *s)
{
    static const struct { const char *name; int value; } names[] = {
        { "ENOSPC", ENOSPC }, { "EIO", EIO },       { "EPIPE", EPIPE },
        { "EDQUOT", EDQUOT }, { "EFBIG", EFBIG },   { "EINTR", EINTR },
        { "EAGAIN", EAGAIN }, { "EBADF", EBADF },   { "EROFS", EROFS },
    };
    if (!s || !*s)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].value;
    return atoi(s);
}

/* Resolves the real functions and reads the environment. Runs as a
 * constructor, and again lazily if a call comes before it. */
__attribute__((constructor)) static void inj_setup(void)
{
    if (cfg.ready)
        return;
    real_write = (inj_write_fn)dlsym(RTLD_NEXT, "write");
    real_writev = (inj_writev_fn)dlsym(RTLD_NEXT, "writev");
    real_close = (inj_close_fn)dlsym(RTLD_NEXT, "close");
    cfg.write_errno = inj_parse_errno(getenv("ASSAY_INJECT_ERRNO"));
    cfg.close_errno = inj_parse_errno(getenv("ASSAY_INJECT_CLOSE_ERRNO"));
    const char *s = getenv("ASSAY_INJECT_AFTER");
    cfg.after = s ? strtoull(s, NULL, 10) : 0;
    s = getenv("ASSAY_INJECT_SHORT");
    cfg.short_max = s ? (size_t)strtoull(s, NULL, 10) : 0;
    s = getenv("ASSAY_INJECT_MATCH");
    cfg.match = s && *s ? s : NULL;
    cfg.ready = true;
}

static bool inj_matches(int fd)
{
    if (!cfg.match)
        return fd != 2;
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    return strstr(target, cfg.match) != NULL;
}

static bool inj_transient(void)
{
    return cfg.write_errno == EINTR || cfg.write_errno == EAGAIN;
}

/* How many of n bytes may go through now (0: fail the call). */
static size_t inj_allow(size_t n)
{
    if (!cfg.write_errno)
        return n;
    unsigned long long done = atomic_load(&written);
    if (done < cfg.after) {
        unsigned long long left = cfg.after - done;
        return n < left ? n : (size_t)left;
    }
    if (inj_transient())
        return (atomic_fetch_add(&transient, 1) % 2) ? n : 0;
    return 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    inj_setup();
    if (n == 0 || (!cfg.write_errno && !cfg.short_max) || !inj_matches(fd))
        return real_write(fd, buf, n);
    size_t allow = inj_allow(n);
    if (allow == 0) {
        errno = cfg.write_errno;
        return -1;
    }
    if (cfg.short_max && allow > cfg.short_max)
        allow = cfg.short_max;
    ssize_t r = real_write(fd, buf, allow);
    if (r > 0)
        atomic_fetch_add(&written, (unsigned long long)r);
    return r;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    inj_setup();
    if (!cfg.write_errno || !inj_matches(fd))
        return real_writev(fd, iov, iovcnt);
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if (total && inj_allow(total) < total) {
        errno = cfg.write_errno;
        return -1;
    }
    ssize_t r = real_writev(fd, iov, iovcnt);
    if (r > 0)
        atomic_fetch_add(&written, (unsigned long long)r);
    return r;
}

int close(int fd)
{
    inj_setup();
    if (!cfg.close_errno || fd <= 2 || !inj_matches(fd))
        return real_close(fd);
    real_close(fd);
    errno = cfg.close_errno;
    return -1;
}
