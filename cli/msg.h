/* cli/msg.h — the one message module of the command line.
 *
 * Every message assay prints to stderr starts with "assay: error: " or
 * "assay: warning: " (or "assay: " for the summary). Usage errors end with a
 * "Try 'assay --help' ..." line and exit 2. Everything the CLI writes to
 * standard output goes through cli_out, so that a failed write is noticed and
 * ends the run with exit 3 (silently when stdout was closed: EPIPE). */
#ifndef ASSAY_CLI_MSG_H
#define ASSAY_CLI_MSG_H

#include <stddef.h>

#include "assay/assay.h"

/* Exit codes of SPEC §2. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_DATA = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_SYSTEM = 3
};

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* "assay: error: ..." and "assay: warning: ..." on stderr, newline added. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_warning(const char *fmt, ...) CLI_PRINTF(1, 2);
/* "assay: ..." on stderr (summary lines), newline added. */
void cli_note(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Prints "assay: error: ..." then "Try 'assay[ CMD] --help' for more
 * information." and returns CLI_EXIT_USAGE. cmd may be NULL. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* The candidate closest to word (a typo of it), or NULL when none is close
 * enough to be a plausible suggestion. */
const char *cli_suggest(const char *word, const char *const *cands, size_t n);

/* Prints every diagnostic of d as
 *   assay: error: FILE:LINE:COL: PATH: message
 * (warnings with "warning:"; LINE:COL left out when unknown). name is used
 * when a diagnostic carries no file. */
void cli_print_diags(const assay_diags *d, const char *name);
/* Loads a rules file for check or profile, printing its diagnostics: exit 0,
 * 2 for an invalid or unreadable rules file, 3 out of memory. */
int cli_load_rules(const char *path, assay_rules **out);

/* printf to stdout; a failure is remembered for cli_stdout_finish. */
void cli_out(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Flushes stdout. Returns CLI_EXIT_OK, or CLI_EXIT_SYSTEM after a failed
 * write (with a message, except for a closed pipe, which ends silently). */
int cli_stdout_finish(void);

#endif
