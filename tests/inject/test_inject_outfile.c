/* tests/inject/test_inject_outfile.c — the output layer under the fault
 * shim (fail_io.c). One scenario per run; tests/inject/CMakeLists.txt
 * runs each with LD_PRELOAD and the ASSAY_INJECT_* settings it needs:
 *
 *   enospc   ERRNO=ENOSPC AFTER=1000 MATCH=.assay-   big write fails midway
 *   eio      ERRNO=EIO MATCH=.assay-                 fails at the commit's flush
 *   epipe    ERRNO=EPIPE MATCH=.assay-               flagged as a broken pipe
 *   close    CLOSE_ERRNO=EIO MATCH=.assay-           close fails at commit
 *   eintr    ERRNO=EINTR MATCH=.assay-               retried: output complete
 *   short    SHORT=777 MATCH=.assay-                 short writes: output complete
 *   match    ERRNO=ENOSPC MATCH=quarantine           only the matching file fails;
 *                                                    prepare + abort is all-or-nothing
 *
 * In every failing case: io_out_commit returns ASSAY_E_IO with a message
 * naming the target and the reason, the old content of the target is intact
 * (or there is no target), and no temporary file is left. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/outfile.h"
#include "t.h"

static char dir[256];
static char big[700 * 1024];
static int added, removed;

static void on_tempfile(const char *path, int add, void *ctx)
{
    (void)path;
    (void)ctx;
    if (add)
        added++;
    else
        removed++;
}

static const char *in_dir(const char *name)
{
    static char p[2][512];
    static int k;
    k = !k;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

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

/* Reads a whole file into a static buffer; *n its size. NULL if absent. */
static char *slurp(const char *path, size_t *n)
{
    static char buf[sizeof big + 64];
    FILE *f = fopen(path, "rb");
    *n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    return f ? buf : NULL;
}

static void put_old(const char *path)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fputs("old\n", f) >= 0 && fclose(f) == 0);
}

/* Writes `size` bytes of big to target and commits; checks the failure. */
static void expect_failure(const char *name, size_t size, const char *reason,
                           bool pipe_flag)
{
    const char *target = in_dir(name);
    put_old(target);
    io_out *o = NULL;
    assay_error err = { 0 };
    CHECK_EQ_INT(io_out_open(&o, target, on_tempfile, NULL, &err), ASSAY_OK);
    if (!o)
        return;
    assay_status st = ASSAY_OK;
    for (size_t off = 0; off < size && !st; off += 4096)
        st = io_out_write(o, big + off, size - off < 4096 ? size - off : 4096);
    assay_status cst = io_out_commit(o, &err);
    CHECK_EQ_INT(cst, ASSAY_E_IO);
    CHECK_EQ_INT(err.status, ASSAY_E_IO);
    CHECK_MSG(strstr(err.message, target) && strstr(err.message, reason),
              "message: %s", err.message);
    CHECK(io_out_broken_pipe(o) == pipe_flag);
    io_out_free(o);
    size_t n = 0;
    const char *back = slurp(target, &n);
    CHECK_MSG(back && n == 4 && memcmp(back, "old\n", 4) == 0,
              "the target holds %zu bytes, not its old content", n);
    CHECK_EQ_INT(count_entries(), 1);
    CHECK_EQ_INT(added, removed);
    CHECK(unlink(target) == 0);
}

/* Writes big in uneven pieces and commits; the output must be exact. */
static void expect_success(const char *name)
{
    const char *target = in_dir(name);
    io_out *o = NULL;
    assay_error err = { 0 };
    CHECK_EQ_INT(io_out_open(&o, target, on_tempfile, NULL, &err), ASSAY_OK);
    if (!o)
        return;
    size_t off = 0, step = 1;
    while (off < sizeof big) {
        size_t k = sizeof big - off < step ? sizeof big - off : step;
        CHECK_EQ_INT(io_out_write(o, big + off, k), ASSAY_OK);
        off += k;
        step = step * 3 + 1;
    }
    CHECK_EQ_INT(io_out_commit(o, &err), ASSAY_OK);
    io_out_free(o);
    size_t n = 0;
    const char *back = slurp(target, &n);
    CHECK(back && n == sizeof big && memcmp(back, big, n) == 0);
    CHECK_EQ_INT(count_entries(), 1);
    CHECK_EQ_INT(added, removed);
    CHECK(unlink(target) == 0);
}

/* Two outputs replaced all-or-nothing: both are prepared, the quarantine
 * fails, so both are aborted and the passing output keeps its old content. */
static void expect_all_or_nothing(void)
{
    const char *names[2] = { "out.csv", "x.quarantine.csv" };
    io_out *o[2] = { NULL, NULL };
    assay_error err = { 0 };
    assay_status st = ASSAY_OK;
    for (int i = 0; i < 2; i++) {
        put_old(in_dir(names[i]));
        CHECK_EQ_INT(io_out_open(&o[i], in_dir(names[i]), on_tempfile, NULL, &err),
                     ASSAY_OK);
        CHECK_EQ_INT(io_out_write(o[i], big, 5000), ASSAY_OK); /* buffered */
    }
    for (int i = 0; i < 2 && !st; i++)
        st = io_out_prepare(o[i], &err);
    CHECK_EQ_INT(st, ASSAY_E_IO);
    CHECK_MSG(strstr(err.message, "x.quarantine.csv: write failed: No space"),
              "message: %s", err.message);
    for (int i = 0; i < 2; i++) {
        io_out_abort(o[i]);
        io_out_free(o[i]);
        size_t n = 0;
        const char *back = slurp(in_dir(names[i]), &n);
        CHECK_MSG(back && n == 4 && memcmp(back, "old\n", 4) == 0,
                  "%s holds %zu bytes, not its old content", names[i], n);
    }
    CHECK_EQ_INT(count_entries(), 2);
    CHECK_EQ_INT(added, removed);
    for (int i = 0; i < 2; i++)
        CHECK(unlink(in_dir(names[i])) == 0);
}

/* Two outputs; only the one whose name matches fails. */
static void expect_only_quarantine_fails(void)
{
    expect_success("out.csv");
    expect_failure("x.quarantine.csv", 5000, "No space left on device", false);
    expect_all_or_nothing();
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCENARIO (under LD_PRELOAD of the shim)\n",
                argv[0]);
        return 2;
    }
    const char *pre = getenv("LD_PRELOAD");
    if (!pre || !strstr(pre, "assay_inject")) {
        fprintf(stderr, "the fault shim is not preloaded (LD_PRELOAD)\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('A' + (i * 7) % 53);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/assay-inject-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    const char *s = argv[1];
    if (strcmp(s, "enospc") == 0)
        expect_failure("out.csv", sizeof big, "No space left on device", false);
    else if (strcmp(s, "eio") == 0)
        expect_failure("out.csv", 10, "Input/output error", false);
    else if (strcmp(s, "epipe") == 0)
        expect_failure("out.csv", 100, "Broken pipe", true);
    else if (strcmp(s, "close") == 0)
        expect_failure("out.csv", 100, "close failed: Input/output error", false);
    else if (strcmp(s, "eintr") == 0 || strcmp(s, "short") == 0)
        expect_success("out.csv");
    else if (strcmp(s, "match") == 0)
        expect_only_quarantine_fails();
    else {
        fprintf(stderr, "unknown scenario %s\n", s);
        t_fail++;
    }
    CHECK(rmdir(dir) == 0);
    return t_done();
}
