/* tests/unit/test_outfile.c — safe output files: temporary + rename, abort,
 * devices and FIFOs in place, open failures, same-file detection; .gz and
 * .zst targets compressed (reproducible bytes, write failures reported). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "io/outfile.h"
#include "t.h"

static char dir[256];

/* Records what the tempfile callback saw. */
typedef struct tmp_log {
    int added, removed;
    char path[512];
    bool existed_at_add;
} tmp_log;

static void on_tempfile(const char *path, int added, void *ctx)
{
    tmp_log *l = ctx;
    if (added) {
        l->added++;
        snprintf(l->path, sizeof l->path, "%s", path);
        l->existed_at_add = access(path, F_OK) == 0;
    } else {
        l->removed++;
        CHECK(strcmp(l->path, path) == 0);
    }
}

static const char *in_dir(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Number of entries in dir, . and .. excluded. */
static int count_entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    size_t got = 0;
    ssize_t r;
    while (fd >= 0 && got < cap && (r = read(fd, buf + got, cap - got)) > 0)
        got += (size_t)r;
    if (fd >= 0)
        close(fd);
    return got;
}

static void write_file(const char *path, const char *s, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s));
    if (fd >= 0)
        close(fd);
    CHECK(chmod(path, mode) == 0);
}

static void remove_all(void)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            CHECK(unlink(in_dir(e->d_name)) == 0 || rmdir(in_dir(e->d_name)) == 0);
    }
    if (d)
        closedir(d);
}

/* Target appears only at commit, with exact content and the umask's mode. */
static void test_temp_and_rename(void)
{
    const char *target = in_dir("out.csv");
    static char big[600 * 1024], back[700 * 1024];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    mode_t old_mask = umask(027);
    tmp_log log = { 0 };
    io_out *o = NULL;
    assay_error err = { 0 };
    CHECK_EQ_INT(io_out_open(&o, target, on_tempfile, &log, &err), ASSAY_OK);
    CHECK_EQ_INT(log.added, 1);
    CHECK(log.existed_at_add);
    CHECK(strstr(log.path, "/.out.csv.assay-") != NULL);
    CHECK(strcmp(io_out_path(o), target) == 0);
    CHECK_EQ_INT(io_out_puts(o, "head\n"), ASSAY_OK);
    CHECK_EQ_INT(io_out_write(o, big, 1000), ASSAY_OK);
    CHECK_EQ_INT(io_out_write(o, big, sizeof big), ASSAY_OK); /* > buffer */
    CHECK_EQ_INT(io_out_write(o, "", 0), ASSAY_OK);
    CHECK_EQ_INT(io_out_flush(o), ASSAY_OK);
    CHECK(!exists(target));
    CHECK_EQ_INT(io_out_commit(o, &err), ASSAY_OK);
    CHECK(exists(target));
    CHECK(!exists(log.path));
    CHECK_EQ_INT(log.removed, 1);
    CHECK_EQ_INT(count_entries(), 1);
    size_t n = read_file(target, back, sizeof back);
    CHECK_EQ_INT(n, 5 + 1000 + sizeof big);
    CHECK(n >= 1005 && memcmp(back, "head\n", 5) == 0 &&
          memcmp(back + 5, big, 1000) == 0 &&
          memcmp(back + 1005, big, n - 1005) == 0);
    struct stat st;
    CHECK(stat(target, &st) == 0 && (st.st_mode & 07777) == 0640);
    CHECK_EQ_INT(io_out_write(o, "x", 1), ASSAY_E_INTERNAL); /* after commit */
    io_out_free(o);
    CHECK_EQ_INT(log.removed, 1); /* free after commit removes nothing */
    umask(old_mask);
    remove_all();
}

/* An existing file keeps its content until the commit, then its mode. */
static void test_replace_existing(void)
{
    const char *target = in_dir("old.csv");
    write_file(target, "old\n", 0604);
    io_out *o = NULL;
    char back[64];
    CHECK_EQ_INT(io_out_open(&o, target, NULL, NULL, NULL), ASSAY_OK);
    CHECK_EQ_INT(io_out_puts(o, "new content\n"), ASSAY_OK);
    CHECK_EQ_INT(io_out_prepare(o, NULL), ASSAY_OK);
    CHECK_EQ_INT(io_out_prepare(o, NULL), ASSAY_OK); /* twice is harmless */
    CHECK_EQ_INT(io_out_puts(o, "late"), ASSAY_E_INTERNAL);
    size_t n = read_file(target, back, sizeof back);
    CHECK_EQ_MEM(back, n, "old\n");
    CHECK_EQ_INT(io_out_commit(o, NULL), ASSAY_OK);
    CHECK_EQ_INT(io_out_prepare(o, NULL), ASSAY_E_INTERNAL);
    io_out_free(o);
    n = read_file(target, back, sizeof back);
    CHECK_EQ_MEM(back, n, "new content\n");
    struct stat st;
    CHECK(stat(target, &st) == 0 && (st.st_mode & 07777) == 0604);
    CHECK_EQ_INT(count_entries(), 1);
    remove_all();
}

/* A symbolic link to a regular file stays a link; its file is replaced. */
static void test_symlink_kept(void)
{
    write_file(in_dir("real.csv"), "old\n", 0644);
    CHECK(symlink("real.csv", in_dir("link.csv")) == 0);
    io_out *o = NULL;
    CHECK_EQ_INT(io_out_open(&o, in_dir("link.csv"), NULL, NULL, NULL), ASSAY_OK);
    CHECK_EQ_INT(io_out_puts(o, "via link\n"), ASSAY_OK);
    CHECK_EQ_INT(io_out_commit(o, NULL), ASSAY_OK);
    io_out_free(o);
    struct stat st;
    CHECK(lstat(in_dir("link.csv"), &st) == 0 && S_ISLNK(st.st_mode));
    char back[64];
    size_t n = read_file(in_dir("real.csv"), back, sizeof back);
    CHECK_EQ_MEM(back, n, "via link\n");
    CHECK_EQ_INT(count_entries(), 2);
    remove_all();
}

/* Abort and free-without-commit leave nothing; an old target is untouched. */
static void test_abort(void)
{
    tmp_log log = { 0 };
    io_out *o = NULL;
    CHECK_EQ_INT(io_out_open(&o, in_dir("a.csv"), on_tempfile, &log, NULL),
                 ASSAY_OK);
    CHECK_EQ_INT(io_out_puts(o, "half"), ASSAY_OK);
    CHECK_EQ_INT(io_out_flush(o), ASSAY_OK);
    io_out_abort(o);
    CHECK_EQ_INT(log.removed, 1);
    CHECK_EQ_INT(count_entries(), 0);
    io_out_abort(o); /* twice is harmless */
    CHECK_EQ_INT(io_out_commit(o, NULL), ASSAY_E_INTERNAL);
    io_out_free(o);
    CHECK_EQ_INT(log.removed, 1);

    write_file(in_dir("b.csv"), "keep\n", 0644);
    CHECK_EQ_INT(io_out_open(&o, in_dir("b.csv"), on_tempfile, &log, NULL),
                 ASSAY_OK);
    CHECK_EQ_INT(io_out_puts(o, "replacement"), ASSAY_OK);
    io_out_free(o); /* neither commit nor abort */
    CHECK_EQ_INT(log.added, 2);
    CHECK_EQ_INT(log.removed, 2);
    char back[64];
    size_t n = read_file(in_dir("b.csv"), back, sizeof back);
    CHECK_EQ_MEM(back, n, "keep\n");
    CHECK_EQ_INT(count_entries(), 1);
    io_out_free(NULL);
    remove_all();
}

/* /dev/null, /dev/stdout and "-" are written in place: no temporary. */
static void test_in_place(void)
{
    const char *paths[] = { "/dev/null", "/dev/stdout", "-", NULL };
    for (int i = 0; i < 4; i++) {
        tmp_log log = { 0 };
        io_out *o = NULL;
        CHECK_EQ_INT(io_out_open(&o, paths[i], on_tempfile, &log, NULL), ASSAY_OK);
        if (!o)
            continue;
        CHECK(strcmp(io_out_path(o), paths[i] ? paths[i] : "-") == 0);
        CHECK_EQ_INT(io_out_puts(o, i ? "# written in place\n" : "gone"), ASSAY_OK);
        CHECK_EQ_INT(io_out_commit(o, NULL), ASSAY_OK);
        io_out_free(o);
        CHECK_EQ_INT(log.added, 0);
        CHECK_EQ_INT(log.removed, 0);
    }
    CHECK(access("/dev/null", W_OK) == 0);
    CHECK(fcntl(1, F_GETFD) >= 0); /* stdout itself stays open */

    /* /dev/fd/N writes through descriptor N, even to a regular file */
    int fd = open(in_dir("fd.csv"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char path[64], back[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd);
    tmp_log log = { 0 };
    io_out *o = NULL;
    CHECK_EQ_INT(io_out_open(&o, path, on_tempfile, &log, NULL), ASSAY_OK);
    CHECK_EQ_INT(io_out_puts(o, "via fd\n"), ASSAY_OK);
    CHECK_EQ_INT(io_out_commit(o, NULL), ASSAY_OK);
    io_out_free(o);
    CHECK_EQ_INT(log.added, 0);
    CHECK(fcntl(fd, F_GETFD) >= 0);
    close(fd);
    size_t n = read_file(in_dir("fd.csv"), back, sizeof back);
    CHECK_EQ_MEM(back, n, "via fd\n");
    CHECK_EQ_INT(count_entries(), 1);
    remove_all();
}

/* A child reads the FIFO; exits 0 when it got want exactly. With want NULL
 * it closes the FIFO at once, so that the writer sees EPIPE. */
static pid_t fifo_reader(const char *fifo, const char *want)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(fifo, O_RDONLY);
    if (fd < 0 || !want)
        _exit(fd < 0 ? 2 : 0);
    char buf[256];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf && (r = read(fd, buf + got, sizeof buf - got)) > 0)
        got += (size_t)r;
    _exit(got == strlen(want) && memcmp(buf, want, got) == 0 ? 0 : 1);
}

static int wait_child(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void test_fifo(void)
{
    const char *fifo = in_dir("pipe");
    CHECK(mkfifo(fifo, 0600) == 0);
    pid_t pid = fifo_reader(fifo, "through the fifo\n");
    tmp_log log = { 0 };
    io_out *o = NULL;
    CHECK_EQ_INT(io_out_open(&o, fifo, on_tempfile, &log, NULL), ASSAY_OK);
    CHECK_EQ_INT(io_out_puts(o, "through the fifo\n"), ASSAY_OK);
    CHECK_EQ_INT(io_out_commit(o, NULL), ASSAY_OK);
    io_out_free(o);
    CHECK_EQ_INT(wait_child(pid), 0);
    CHECK_EQ_INT(log.added, 0);

    /* the reader goes away: EPIPE is flagged and remembered */
    static char chunk[64 * 1024];
    pid = fifo_reader(fifo, NULL);
    CHECK_EQ_INT(io_out_open(&o, fifo, NULL, NULL, NULL), ASSAY_OK);
    assay_status st = ASSAY_OK;
    for (int i = 0; i < 64 && !st; i++)
        st = io_out_write(o, chunk, sizeof chunk);
    CHECK_EQ_INT(st, ASSAY_E_IO);
    CHECK(io_out_broken_pipe(o));
    CHECK_EQ_INT(io_out_puts(o, "more"), ASSAY_E_IO);
    CHECK_EQ_INT(io_out_flush(o), ASSAY_E_IO);
    assay_error err = { 0 };
    CHECK_EQ_INT(io_out_error(o, &err), ASSAY_E_IO);
    CHECK_EQ_INT(io_out_commit(o, &err), ASSAY_E_IO);
    CHECK_MSG(strstr(err.message, fifo) && strstr(err.message, "Broken pipe"),
              "%s", err.message);
    io_out_free(o);
    CHECK_EQ_INT(wait_child(pid), 0);
    remove_all();
}

static void expect_open_fails(const char *path, const char *reason)
{
    io_out *o = (io_out *)&o; /* must be reset to NULL */
    assay_error err = { 0 };
    tmp_log log = { 0 };
    CHECK_EQ_INT(io_out_open(&o, path, on_tempfile, &log, &err), ASSAY_E_IO);
    CHECK(o == NULL);
    CHECK_EQ_INT(err.status, ASSAY_E_IO);
    CHECK_MSG(strstr(err.message, path) && strstr(err.message, reason),
              "%s", err.message);
    CHECK_EQ_INT(log.added, 0);
}

static void test_open_failures(void)
{
    expect_open_fails(in_dir("no/such/dir/out.csv"), "No such file or directory");
    CHECK(mkdir(in_dir("sub"), 0755) == 0);
    expect_open_fails(in_dir("sub"), "Is a directory");
    write_file(in_dir("file"), "x", 0644);
    expect_open_fails(in_dir("file/out.csv"), "Not a directory");
    if (geteuid() != 0) { /* root writes anywhere */
        CHECK(mkdir(in_dir("ro"), 0555) == 0);
        expect_open_fails(in_dir("ro/out.csv"), "Permission denied");
        CHECK(chmod(in_dir("ro"), 0755) == 0);
    } else {
        printf("# running as root: read-only directory case skipped\n");
    }
    expect_open_fails("/dev/fd/9999", "Bad file descriptor");
    remove_all();
}

static void test_same_file(void)
{
    CHECK(chdir(dir) == 0);
    write_file("x.csv", "x", 0644);
    CHECK(mkdir("d", 0755) == 0);
    CHECK(symlink("x.csv", "sym.csv") == 0);
    CHECK(link("x.csv", "hard.csv") == 0);
    CHECK(io_path_same_file("x.csv", "x.csv"));
    CHECK(io_path_same_file("x.csv", "./x.csv"));
    CHECK(io_path_same_file("x.csv", "d/../x.csv"));
    CHECK(io_path_same_file(in_dir("x.csv"), "x.csv"));
    CHECK(io_path_same_file("sym.csv", "x.csv"));
    CHECK(io_path_same_file("hard.csv", "x.csv"));
    CHECK(!io_path_same_file("x.csv", "new.csv"));
    CHECK(!io_path_same_file("new.csv", "x.csv"));
    /* neither exists: normalised paths */
    CHECK(io_path_same_file("new.csv", "./new.csv"));
    CHECK(io_path_same_file("d/new.csv", "d/../d/./new.csv"));
    CHECK(io_path_same_file(in_dir("d/new.csv"), "d/new.csv"));
    CHECK(!io_path_same_file("d/new.csv", "new.csv"));
    CHECK(!io_path_same_file("d/new.csv", "d/other.csv"));
    CHECK(io_path_same_file("nodir/a.csv", "nodir/a.csv"));
    CHECK(!io_path_same_file("nodir/a.csv", "nodir/b.csv"));
    /* standard output */
    CHECK(io_path_same_file("-", NULL));
    CHECK(io_path_same_file("-", "/dev/stdout"));
    CHECK(io_path_same_file(NULL, "/dev/stdout"));
    CHECK(!io_path_same_file("-", "x.csv"));
    CHECK(!io_path_same_file("-", "new.csv"));
    /* devices compare like files; the null device can be recognised */
    CHECK(io_path_same_file("/dev/null", "/dev/null"));
    CHECK(!io_path_same_file("/dev/null", "x.csv"));
    CHECK(io_path_is_null("/dev/null"));
    CHECK(!io_path_is_null("x.csv"));
    CHECK(!io_path_is_null("new.csv"));
    CHECK(chdir("/") == 0);
    remove_all();
}

/* Standard output redirected to a file is that file. */
static void test_stdout_redirected(void)
{
    int saved = dup(1);
    int fd = open(in_dir("redir.csv"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(saved >= 0 && fd >= 0 && dup2(fd, 1) == 1);
    CHECK(io_path_same_file("-", in_dir("redir.csv")));
    CHECK(!io_path_is_null("-"));
    CHECK(dup2(saved, 1) == 1);
    close(fd);
    close(saved);
    remove_all();
}

/* ---- compressed targets ------------------------------------------------ */

/* Text with some noise, ~1.3 MiB: more than the 1 MiB buffer. */
static char *make_text(size_t n)
{
    char *t = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; t && i < n; i++) {
        x = x * 1103515245u + 12345u;
        t[i] = (x >> 24) % 11 == 0 ? (char)(x >> 16) : "id,name,qty\n1,Zoe,3\n"[i % 20];
    }
    return t;
}

/* Writes text to path in pieces of the sizes in steps (cycled), flushing
 * now and then, and commits. */
static void write_pieces(const char *path, const char *text, size_t n, const size_t *steps,
                         size_t nsteps)
{
    io_out *o = NULL;
    assay_error err = { 0 };
    CHECK_EQ_INT(io_out_open(&o, path, NULL, NULL, &err), ASSAY_OK);
    if (!o)
        return;
    size_t at = 0;
    for (size_t k = 0; at < n; k++) {
        size_t m = steps[k % nsteps];
        if (m > n - at)
            m = n - at;
        CHECK_EQ_INT(io_out_write(o, text + at, m), ASSAY_OK);
        at += m;
        if (k % 5 == 4)
            CHECK_EQ_INT(io_out_flush(o), ASSAY_OK);
    }
    CHECK_EQ_INT(io_out_commit(o, &err), ASSAY_OK);
    io_out_free(o);
}

/* The whole file, malloc'd; *n its size. */
static char *slurp(const char *path, size_t *n)
{
    struct stat st;
    *n = 0;
    if (stat(path, &st) != 0)
        return NULL;
    char *b = malloc((size_t)st.st_size + 1);
    if (b)
        *n = read_file(path, b, (size_t)st.st_size);
    return b;
}

static bool gunzip_eq(const char *z, size_t zn, const char *want, size_t n)
{
    char *out = malloc(n + 1);
    z_stream s;
    memset(&s, 0, sizeof s);
    bool ok = out && inflateInit2(&s, 16 + MAX_WBITS) == Z_OK;
    if (ok) {
        s.next_in = (unsigned char *)(uintptr_t)z;
        s.avail_in = (uInt)zn;
        s.next_out = (unsigned char *)out;
        s.avail_out = (uInt)(n + 1);
        ok = inflate(&s, Z_FINISH) == Z_STREAM_END && s.total_out == n && s.avail_in == 0 &&
             memcmp(out, want, n) == 0;
        inflateEnd(&s);
    }
    free(out);
    return ok;
}

static bool unzstd_eq(const char *z, size_t zn, const char *want, size_t n)
{
    char *out = malloc(n + 1);
    size_t r = out ? ZSTD_decompress(out, n + 1, z, zn) : 0;
    bool ok = out && !ZSTD_isError(r) && r == n && memcmp(out, want, n) == 0;
    free(out);
    return ok;
}

/* .gz and .zst targets (any case) are compressed; the bytes do not depend on
 * how the data was cut into writes and flushes. */
static void test_compressed(void)
{
    size_t n = 1300 * 1024;
    char *text = make_text(n);
    CHECK(text != NULL);
    if (!text)
        return;
    const size_t odd[] = { 1, 7, 1000, 300 * 1024, 13, 65536 };
    const size_t even[] = { 4096 };
    const char *names[] = { "out.csv.gz", "OUT.CSV.ZST" };
    for (int k = 0; k < 2; k++) {
        char a[512], b[600];
        snprintf(a, sizeof a, "%s", in_dir(names[k]));
        snprintf(b, sizeof b, "%s.2", a); /* not compressed: a plain copy */
        write_pieces(a, text, n, odd, sizeof odd / sizeof *odd);
        size_t zn;
        char *z = slurp(a, &zn);
        CHECK(z && zn > 0 && zn < n / 2);
        if (z)
            CHECK(k == 0 ? gunzip_eq(z, zn, text, n) : unzstd_eq(z, zn, text, n));
        if (z && k == 0) /* mtime 0, no name, OS unix */
            CHECK(zn > 10 && memcmp(z, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) == 0);
        /* the same bytes with other writes */
        CHECK(rename(a, b) == 0);
        write_pieces(a, text, n, even, 1);
        size_t zn2;
        char *z2 = slurp(a, &zn2);
        CHECK(z && z2 && zn == zn2 && memcmp(z, z2, zn) == 0);
        free(z);
        free(z2);
        /* an empty output is an empty stream, not an empty file */
        write_pieces(a, text, 0, even, 1);
        z = slurp(a, &zn);
        CHECK(z && zn > 0);
        if (z)
            CHECK(k == 0 ? gunzip_eq(z, zn, "", 0) : unzstd_eq(z, zn, "", 0));
        free(z);
        /* abort leaves nothing, compressed or not */
        io_out *o = NULL;
        CHECK_EQ_INT(io_out_open(&o, in_dir("gone.gz"), NULL, NULL, NULL), ASSAY_OK);
        CHECK_EQ_INT(io_out_write(o, text, n), ASSAY_OK);
        io_out_abort(o);
        io_out_free(o);
        CHECK(!exists(in_dir("gone.gz")));
        CHECK_EQ_INT(count_entries(), 2);
        remove_all();
    }

    /* a name that only looks compressed is not (.tgz, .gz in a folder name) */
    const size_t one[] = { 64 };
    write_pieces(in_dir("plain.tgz"), text, 64, one, 1);
    size_t pn;
    char *p = slurp(in_dir("plain.tgz"), &pn);
    CHECK(p && pn == 64 && memcmp(p, text, 64) == 0);
    free(p);
    remove_all();

    /* standard output is never compressed, whatever it is redirected to */
    int saved = dup(1);
    int fd = open(in_dir("redir.gz"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(saved >= 0 && fd >= 0 && dup2(fd, 1) == 1);
    io_out *o = NULL;
    CHECK_EQ_INT(io_out_open(&o, "-", NULL, NULL, NULL), ASSAY_OK);
    CHECK_EQ_INT(io_out_puts(o, "plain\n"), ASSAY_OK);
    CHECK_EQ_INT(io_out_commit(o, NULL), ASSAY_OK);
    io_out_free(o);
    CHECK(dup2(saved, 1) == 1);
    close(fd);
    close(saved);
    char back[64];
    size_t bn = read_file(in_dir("redir.gz"), back, sizeof back);
    CHECK_EQ_MEM(back, bn, "plain\n");
    remove_all();

    /* an in-memory share is never compressed */
    CHECK_EQ_INT(io_out_memory(&o), ASSAY_OK);
    CHECK_EQ_INT(io_out_puts(o, "mem\n"), ASSAY_OK);
    const char *d = io_out_mem_data(o, &bn);
    CHECK_EQ_MEM(d, bn, "mem\n");
    io_out_free(o);
    free(text);
}

/* Write failures reach the caller through the compressor: at the commit
 * (the stream's end is written there) and in the middle of a large write. */
static void test_compressed_write_fails(void)
{
    if (access("/dev/full", W_OK) != 0)
        return; /* no such device here */
    const char *names[] = { "full.csv.gz", "full.csv.zst" };
    size_t n = 3 << 20;
    char *noise = malloc(n);
    CHECK(noise != NULL);
    if (!noise)
        return;
    uint32_t x = 99;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (char)(x >> 23);
    }
    for (int k = 0; k < 2; k++) {
        const char *path = in_dir(names[k]);
        CHECK(symlink("/dev/full", path) == 0);
        io_out *o = NULL;
        assay_error err = { 0 };
        CHECK_EQ_INT(io_out_open(&o, path, NULL, NULL, &err), ASSAY_OK);
        CHECK_EQ_INT(io_out_puts(o, "small\n"), ASSAY_OK); /* buffered */
        CHECK_EQ_INT(io_out_commit(o, &err), ASSAY_E_IO);
        CHECK_MSG(strstr(err.message, path) && strstr(err.message, "No space left"), "%s",
                  err.message);
        io_out_free(o);

        CHECK_EQ_INT(io_out_open(&o, path, NULL, NULL, &err), ASSAY_OK);
        assay_status st = ASSAY_OK;
        for (size_t at = 0; at < n && !st; at += 100000)
            st = io_out_write(o, noise + at, n - at < 100000 ? n - at : 100000);
        CHECK_EQ_INT(st, ASSAY_E_IO); /* incompressible: fails before the end */
        CHECK_EQ_INT(io_out_puts(o, "more"), ASSAY_E_IO);
        CHECK_EQ_INT(io_out_error(o, &err), ASSAY_E_IO);
        CHECK_MSG(strstr(err.message, "write failed: No space left"), "%s", err.message);
        CHECK_EQ_INT(io_out_commit(o, &err), ASSAY_E_IO);
        io_out_free(o);
    }
    free(noise);
    remove_all();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/assay-outfile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_temp_and_rename();
    test_replace_existing();
    test_symlink_kept();
    test_abort();
    test_in_place();
    test_fifo();
    test_open_failures();
    test_same_file();
    test_stdout_redirected();
    test_compressed();
    test_compressed_write_fails();
    remove_all();
    CHECK(rmdir(dir) == 0);
    return t_done();
}
