/* cli/check_args.h — the arguments of `assay check`, parsed and checked.
 *
 * cli_check_parse turns argv into an assay_check_opts plus the few things the
 * CLI keeps for itself (rules path, --quiet). Every flag of SPEC §1 "check
 * options" is recognised; the ones whose feature this version lacks are
 * refused with a usage error rather than silently ignored. */
#ifndef ASSAY_CLI_CHECK_ARGS_H
#define ASSAY_CLI_CHECK_ARGS_H

#include "assay/assay.h"

typedef struct cli_check_args {
    assay_check_opts opts;
    const char *rules;      /* -r */
    const char **inputs;    /* owned array of borrowed argv strings */
    size_t ninputs;
    const char *encoding;   /* --encoding as given (a name or auto); NULL: the rules' */
    int quiet;
    int help;               /* --help was given: print it, exit 0 */
} cli_check_args;

/* Parses argv (argv[0] is "check"). Returns 0 on success, else the exit code
 * after printing the message (2 for a usage error, 3 out of memory). */
int cli_check_parse(int argc, char **argv, cli_check_args *a);
/* Usage error (exit 2, message printed) when an output names an input or the
 * rules file, or two outputs name one file; else 0. */
int cli_check_outputs_distinct(const cli_check_args *a);
void cli_check_args_free(cli_check_args *a);

#endif
