/* cli/lint.c — `assay lint RULES ...`: load each rules file as `check` would
 * and explain every problem.
 *
 * Exit: 0 when every file loads (warnings allowed); 2 when a file has an
 * error or cannot be read (nothing was processed, as for an invalid rules
 * file in `check`); 3 on out of memory or an internal error. */
#include <string.h>

#include "cli/cli.h"
#include "cli/msg.h"

static const char *const lint_options[] = { "--help" };

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* Prints a status that came without an error diagnostic to explain it. */
static void explain_status(const char *path, assay_status st, const assay_diags *d)
{
    /* Out of memory is said even after the errors found before it. */
    if (assay_diags_errors(d) > 0 && st != ASSAY_E_NOMEM)
        return;
    if (st == ASSAY_E_IO)
        cli_error("%s: cannot read the rules file", path);
    else
        cli_error("%s: %s", path, assay_strerror(st));
}

static int lint_one(const char *path)
{
    assay_diags *d = assay_diags_new();
    if (!d) {
        cli_error("%s: %s", path, assay_strerror(ASSAY_E_NOMEM));
        return CLI_EXIT_SYSTEM;
    }
    assay_rules *rules = NULL;
    assay_status st = assay_rules_load(path, d, &rules);
    cli_print_diags(d, path);
    int rc = CLI_EXIT_OK;
    if (st == ASSAY_OK) {
        size_t fields = assay_rules_field_count(rules);
        size_t warnings = assay_diags_count(d) - assay_diags_errors(d);
        cli_out("%s: OK (%zu field%s, %zu warning%s)\n", path, fields, plural(fields),
                warnings, plural(warnings));
    } else {
        explain_status(path, st, d);
        rc = (st == ASSAY_E_RULES || st == ASSAY_E_IO || st == ASSAY_E_USAGE)
                 ? CLI_EXIT_USAGE : CLI_EXIT_SYSTEM;
    }
    assay_rules_free(rules);
    assay_diags_free(d);
    return rc;
}

int cli_lint(int argc, char **argv)
{
    int first_file = 0, nfiles = 0, options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
        } else if (!options_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            return cli_help("lint");
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            const char *s = cli_suggest(a, lint_options, 1);
            if (s)
                return cli_usage_error("lint", "unknown option '%s' (did you mean '%s'?)", a, s);
            return cli_usage_error("lint", "unknown option '%s'", a);
        } else if (strcmp(a, "-") == 0) {
            return cli_usage_error("lint", "reading rules from standard input is not "
                                           "supported; name a file");
        } else if (nfiles++ == 0) {
            first_file = i;
        }
    }
    if (nfiles == 0)
        return cli_usage_error("lint", "no rules file given");
    int worst = CLI_EXIT_OK;
    options_done = 0;
    for (int i = first_file; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0) {
            options_done = 1;
            continue;
        }
        int rc = lint_one(argv[i]);
        if (rc > worst)
            worst = rc;
    }
    int out = cli_stdout_finish();
    return out > worst ? out : worst;
}
