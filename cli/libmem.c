/* cli/libmem.c — an allocation that fails inside a third-party library ends
 * the run at once with exit 3.
 *
 * assay's own allocations report ASSAY_E_NOMEM up the call chain. The
 * libraries' out-of-memory paths cannot be trusted the same way: ICU 72
 * crashes in its charset detector and keeps its locale tables broken for
 * good after one failed allocation, jansson 2.14 asserts in its lexer, and
 * libxml2 prints a message and carries on with a degraded document. So the
 * command line gives ICU, jansson and libxml2 allocators of its own, before
 * any library call: they forward to malloc/realloc/free, and when one of them
 * returns NULL the run ends through cli_fatal_nomem(): every published
 * temporary file removed (cli/signals.c), "assay: out of memory" on stderr,
 * _exit(3). zlib and zstd allocate per stream; io/compress.c maps their
 * allocation errors to out of memory. pcre2 and libcsv report theirs as
 * return codes, which assay checks.
 *
 * Global state: the libraries' allocator tables are process-wide, which is
 * why this lives in the CLI and not in libassay (a host program keeps its own
 * allocators). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/xmlmemory.h>
#include <unicode/uclean.h>

#include "cli/cli.h"

_Noreturn void cli_fatal_nomem(void)
{
    static const char msg[] = "assay: error: out of memory\n";
    cli_tempfiles_remove_all();
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w; /* nothing is left to tell */
    _exit(3);
}

static void *lib_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p && n)
        cli_fatal_nomem();
    return p;
}

static void *lib_realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q && n)
        cli_fatal_nomem();
    return q;
}

static char *lib_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = lib_malloc(n);
    memcpy(p, s, n);
    return p;
}

static void *U_CALLCONV icu_alloc(const void *ctx, size_t n)
{
    (void)ctx;
    return lib_malloc(n);
}

static void *U_CALLCONV icu_realloc(const void *ctx, void *p, size_t n)
{
    (void)ctx;
    return lib_realloc(p, n);
}

static void U_CALLCONV icu_free(const void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

int cli_libmem_install(void)
{
    UErrorCode ue = U_ZERO_ERROR;
    /* Before any other ICU call: ICU refuses once it has allocated. */
    u_setMemoryFunctions(NULL, icu_alloc, icu_realloc, icu_free, &ue);
    if (U_FAILURE(ue))
        return -1;
    /* core/jsonmem.c chains to these when it first parses. */
    json_set_alloc_funcs(lib_malloc, free);
    if (xmlMemSetup(free, lib_malloc, lib_realloc, lib_strdup) != 0)
        return -1;
    return 0;
}
