/* cli/merge.c — `assay merge [-o FILE] STATS ...`: merge the statistics files
 * of shards of one data set into the statistics of the whole (the work is
 * assay_stats_merge in the library).
 *
 * Exit: 0 when every recomputed threshold holds; 1 when one does not (the
 * merged data failed, as `check` on the whole would have said); 2 on a usage
 * error or a stats file that is not JSON, not assay statistics or does not fit
 * the others; 3 when a file cannot be read or the output cannot be written. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/msg.h"
#include "io/outfile.h"

static const char *const merge_options[] = { "--output", "--help" };

typedef struct merge_args {
    const char *output; /* NULL: standard output */
    const char **files;
    size_t nfiles;
} merge_args;

static int unknown_option(const char *a)
{
    const char *s = cli_suggest(a, merge_options, sizeof merge_options / sizeof *merge_options);
    if (s)
        return cli_usage_error("merge", "unknown option '%s' (did you mean '%s'?)", a, s);
    return cli_usage_error("merge", "unknown option '%s'", a);
}

/* Parses argv into a; returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, merge_args *a)
{
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = argv[i];
        if (!options_done && strcmp(v, "--") == 0) {
            options_done = 1;
        } else if (!options_done && (strcmp(v, "--help") == 0 || strcmp(v, "-h") == 0)) {
            return cli_help("merge");
        } else if (!options_done && (strcmp(v, "-o") == 0 || strcmp(v, "--output") == 0)) {
            if (++i >= argc)
                return cli_usage_error("merge", "option '%s' needs a file name", v);
            a->output = argv[i];
        } else if (!options_done && strncmp(v, "--output=", 9) == 0) {
            a->output = v + 9;
        } else if (!options_done && v[0] == '-' && v[1] != '\0') {
            return unknown_option(v);
        } else if (strcmp(v, "-") == 0) {
            return cli_usage_error("merge", "reading stats from standard input is not "
                                            "supported; name a file");
        } else {
            a->files[a->nfiles++] = v;
        }
    }
    if (a->nfiles == 0)
        return cli_usage_error("merge", "no stats file given");
    if (a->output && a->output[0] == '\0')
        return cli_usage_error("merge", "option '-o' needs a file name");
    for (size_t k = 0; a->output && k < a->nfiles; k++)
        if (io_path_same_file(a->output, a->files[k]))
            return cli_usage_error("merge", "the output '%s' is the input '%s'; an output "
                                            "never overwrites an input", a->output, a->files[k]);
    return -1;
}

static int exit_code(assay_status st)
{
    if (st == ASSAY_E_USAGE)
        return CLI_EXIT_USAGE;
    return CLI_EXIT_SYSTEM;
}

int cli_merge(int argc, char **argv)
{
    merge_args a = { NULL, calloc((size_t)argc, sizeof(const char *)), 0 };
    if (!a.files) {
        cli_error("%s", assay_strerror(ASSAY_E_NOMEM));
        return CLI_EXIT_SYSTEM;
    }
    int rc = parse(argc, argv, &a);
    if (rc >= 0) {
        free(a.files);
        return rc;
    }
    assay_merge_result res;
    assay_error err;
    cli_signals_install();
    assay_status st = assay_stats_merge(a.files, a.nfiles, a.output, cli_tempfile_track, NULL,
                                        &res, &err);
    free(a.files);
    if (st && res.broken_pipe)
        return CLI_EXIT_SYSTEM; /* a closed stdout ends the run silently */
    if (st) {
        cli_error("%s", err.message[0] ? err.message : assay_strerror(st));
        return exit_code(st);
    }
    if (!res.thresholds_ok) {
        cli_note("the merged data fails the rules' policy: %s (exit 1)", res.breach);
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}
