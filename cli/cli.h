/* cli/cli.h — the commands of the assay command line.
 *
 * Each command takes the arguments after its name (argv[0] is the command
 * name) and returns the process exit code of SPEC §2. The CLI only parses
 * arguments, calls libassay through include/assay/assay.h, prints and picks
 * the exit code; it never touches a record. */
#ifndef ASSAY_CLI_CLI_H
#define ASSAY_CLI_CLI_H

int cli_check(int argc, char **argv);
int cli_lint(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_profile(int argc, char **argv);
int cli_diff(int argc, char **argv);

/* Help texts, to stdout. cmd is NULL for the top-level help. Returns the exit
 * code (0, or 3 when stdout cannot be written). */
int cli_help(const char *cmd);
/* "assay VERSION" and the library versions line. */
int cli_version(void);

/* Signal safety for temporary output files (cli/signals.c). */
void cli_signals_install(void);
/* An assay_tempfile_fn: remembers (added=1) or forgets (added=0) a path. */
void cli_tempfile_track(const char *path, int added, void *ctx);
/* Unlinks every published temporary file (async-signal-safe). */
void cli_tempfiles_remove_all(void);

/* Allocators for ICU, jansson and libxml2 that end the run when one of their
 * allocations fails (cli/libmem.c). Installed by main() before any library
 * call; -1 when a library refused them. */
int cli_libmem_install(void);
/* Removes the temporary files, says "assay: error: out of memory" and exits
 * with 3, from any thread; never returns. */
_Noreturn void cli_fatal_nomem(void);

#endif
