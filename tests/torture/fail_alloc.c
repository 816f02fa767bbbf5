/* tests/torture/fail_alloc.c — an LD_PRELOAD shim that makes the n-th heap
 * allocation fail, so that a test can run a command once for every
 * allocation it makes and prove that each failure ends in a clean exit 3
 * (or is recovered from), never in a crash, a hang or a wrong answer.
 *
 * Test-only: it needs the glibc-internal __libc_malloc family and
 * dlsym(RTLD_NEXT), and is never part of libassay or the assay binary.
 *
 * Environment (read once, when main() is about to run):
 *   ASSAY_TORTURE_FAIL=N     the N-th counted allocation (1-based) returns
 *                            NULL with errno ENOMEM; later ones succeed again
 *                            (a program must not rely on a second failure to
 *                            notice the first).
 *   ASSAY_TORTURE_COUNT=FILE at exit, write the number of counted
 *                            allocations to FILE (one decimal line).
 *   ASSAY_TORTURE_ABORT=1    abort() instead of failing the N-th allocation:
 *                            under a debugger, the backtrace shows who made it.
 *
 * Counted: malloc, calloc, realloc (with a non-zero size), reallocarray,
 * aligned_alloc, memalign, posix_memalign, valloc, pvalloc, strdup, strndup,
 * made by any thread after the program's main() is entered — static
 * initialisers of shared libraries that run before main are not the
 * program's business and are never failed. Allocations made inside
 * libraries through their own internal entry points (glibc's stdio, for
 * example, calls malloc through the public symbol and so is counted) are
 * counted whenever they reach one of the symbols above.
 *
 * The counter is atomic, so with several threads exactly one allocation
 * fails, though which one may differ from run to run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* glibc's own entry points: calling them never re-enters this shim, so no
 * bootstrap buffer is needed for dlsym's allocations. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

typedef int (*ta_main_fn)(int, char **, char **);
typedef int (*ta_start_fn)(ta_main_fn, int, char **, void (*)(void),
                           void (*)(void), void (*)(void), void *);

/* The interposed symbols no public header declares. */
int __libc_start_main(ta_main_fn main_fn, int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
void *memalign(size_t align, size_t n);
void *pvalloc(size_t n);

static atomic_bool armed;          /* main() has been entered */
static atomic_ullong counted;      /* allocations seen while armed */
static unsigned long long fail_at; /* 0: never fail */
static bool abort_at;              /* abort() at fail_at instead */
static const char *count_file;     /* NULL: do not report */
static ta_main_fn real_main;

static void ta_write_count(void)
{
    if (!count_file)
        return;
    unsigned long long n = atomic_load(&counted);
    /* Stop counting: the report itself must not change the figure. */
    atomic_store(&armed, false);
    char line[32];
    int len = snprintf(line, sizeof line, "%llu\n", n);
    int fd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, (size_t)len);
    (void)w;
    close(fd);
}

/* True when this allocation is the one to fail. */
static bool ta_should_fail(void)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed))
        return false;
    unsigned long long n = atomic_fetch_add(&counted, 1) + 1;
    if (fail_at && n == fail_at) {
        if (abort_at)
            abort();
        errno = ENOMEM;
        return true;
    }
    return false;
}

static int ta_main(int argc, char **argv, char **envp)
{
    const char *s = getenv("ASSAY_TORTURE_FAIL");
    fail_at = s && *s ? strtoull(s, NULL, 10) : 0;
    s = getenv("ASSAY_TORTURE_ABORT");
    abort_at = s && *s == '1';
    s = getenv("ASSAY_TORTURE_COUNT");
    count_file = s && *s ? s : NULL;
    if (count_file && atexit(ta_write_count) != 0)
        count_file = NULL;
    atomic_store(&armed, true);
    return real_main(argc, argv, envp);
}

/* Interposed so that counting starts with main() and not with the
 * constructors of ICU or libstdc++. */
int __libc_start_main(ta_main_fn main_fn, int argc, char **argv,
                      void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end)
{
    ta_start_fn real_start = (ta_start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    if (!real_start)
        abort();
    real_main = main_fn;
    return real_start(ta_main, argc, argv, init, fini, rtld_fini, stack_end);
}

void *malloc(size_t n)
{
    return ta_should_fail() ? NULL : __libc_malloc(n);
}

void *calloc(size_t count, size_t n)
{
    return ta_should_fail() ? NULL : __libc_calloc(count, n);
}

void *realloc(void *p, size_t n)
{
    /* realloc(p, 0) frees: not an allocation. */
    if (n == 0 && p)
        return __libc_realloc(p, n);
    return ta_should_fail() ? NULL : __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t count, size_t n)
{
    size_t total;
    if (__builtin_mul_overflow(count, n, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

void *memalign(size_t align, size_t n)
{
    return ta_should_fail() ? NULL : __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    return ta_should_fail() ? NULL : __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
        return EINVAL;
    if (ta_should_fail())
        return ENOMEM;
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t n)
{
    return ta_should_fail() ? NULL : __libc_valloc(n);
}

void *pvalloc(size_t n)
{
    return ta_should_fail() ? NULL : __libc_pvalloc(n);
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *strndup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}
