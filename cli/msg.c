/* cli/msg.c — messages, suggestions and checked writes to stdout. */
#include "cli/msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The first errno of a failed write to stdout (0: none failed). */
static int cli_stdout_errno;

static void vmessage(const char *prefix, const char *fmt, va_list ap) CLI_PRINTF(2, 0);
static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("assay: error: ", fmt, ap);
    va_end(ap);
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("assay: warning: ", fmt, ap);
    va_end(ap);
}

void cli_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("assay: ", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("assay: error: ", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'assay%s%s --help' for more information.\n", cmd ? " " : "",
            cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

/* Optimal string alignment distance (Levenshtein plus transpositions), so
 * "verison" is one edit from "version". Words are short; longer ones than
 * SUGGEST_MAX get no suggestion. */
#define SUGGEST_MAX 64

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    }
    return d[la][lb];
}

const char *cli_suggest(const char *word, const char *const *cands, size_t n)
{
    size_t lw = strlen(word);
    if (lw == 0 || lw > SUGGEST_MAX)
        return NULL;
    /* "help" and "-quiet" are "--help" and "--quiet" short of their dashes. */
    for (size_t i = 0; i < n; i++) {
        size_t lc = strlen(cands[i]), dashes = lc > lw ? lc - lw : 0;
        if (dashes >= 1 && dashes <= 2 && strspn(cands[i], "-") >= dashes &&
            strcmp(cands[i] + dashes, word) == 0)
            return cands[i];
    }
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t lc = strlen(cands[i]);
        if (lc > SUGGEST_MAX)
            continue;
        size_t dist = edit_distance(word, lw, cands[i], lc);
        if (dist < best_d) {
            best_d = dist;
            best = cands[i];
        }
    }
    /* Plausible typo: at most 2 edits, and fewer than half the word. */
    if (best && best_d <= 2 && best_d * 2 < lw)
        return best;
    return NULL;
}

void cli_print_diags(const assay_diags *d, const char *name)
{
    size_t n = assay_diags_count(d);
    for (size_t i = 0; i < n; i++) {
        const assay_diag *g = assay_diags_get(d, i);
        const char *file = g->file && *g->file ? g->file : name;
        fprintf(stderr, "assay: %s: %s", g->level == ASSAY_DIAG_ERROR ? "error" : "warning",
                file);
        if (g->line > 0) {
            fprintf(stderr, ":%d", g->line);
            if (g->column > 0)
                fprintf(stderr, ":%d", g->column);
        }
        if (g->path && *g->path)
            fprintf(stderr, ": %s", g->path);
        fprintf(stderr, ": %s\n", g->message ? g->message : "(no message)");
    }
}

void cli_out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(stdout, fmt, ap);
    va_end(ap);
    if (r < 0 && cli_stdout_errno == 0)
        cli_stdout_errno = errno ? errno : EIO;
}

int cli_stdout_finish(void)
{
    errno = 0;
    if (fflush(stdout) != 0 && cli_stdout_errno == 0)
        cli_stdout_errno = errno ? errno : EIO;
    if (ferror(stdout) && cli_stdout_errno == 0)
        cli_stdout_errno = EIO;
    if (cli_stdout_errno == 0)
        return CLI_EXIT_OK;
    if (cli_stdout_errno != EPIPE)
        cli_error("cannot write to standard output: %s", strerror(cli_stdout_errno));
    return CLI_EXIT_SYSTEM;
}

int cli_load_rules(const char *path, assay_rules **out)
{
    assay_diags *d = assay_diags_new();
    if (!d) {
        cli_error("%s", assay_strerror(ASSAY_E_NOMEM));
        return CLI_EXIT_SYSTEM;
    }
    assay_status st = assay_rules_load(path, d, out);
    cli_print_diags(d, path);
    int rc = CLI_EXIT_OK;
    if (st != ASSAY_OK) {
        /* Out of memory is said even after the errors found before it. */
        if (assay_diags_errors(d) == 0 || st == ASSAY_E_NOMEM)
            cli_error("%s: %s", path, st == ASSAY_E_IO ? "cannot read the rules file"
                                                       : assay_strerror(st));
        rc = (st == ASSAY_E_RULES || st == ASSAY_E_IO) ? CLI_EXIT_USAGE : CLI_EXIT_SYSTEM;
        *out = NULL;
    }
    assay_diags_free(d);
    return rc;
}
