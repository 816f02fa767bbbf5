/* cli/diff.c — `assay diff BASELINE NEW [options]`: drift between two
 * profiles or two check statistics files (the work is assay_diff_run in the
 * library; docs/diff.md).
 *
 * Exit: 0 no threshold crossed; 1 a threshold crossed (drift); 2 usage error,
 * a document that is not a profile or statistics, a mix of the two, or an
 * invalid thresholds file; 3 a file cannot be read or an output written. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/msg.h"

static const char *const diff_options[] = {
    "--json", "--thresholds", "--max-psi", "--max-missing-delta",
    "--max-violation-rate-delta", "--max-quarantine-rate-delta", "--max-distinct-ratio",
    "--max-mean-shift", "--max-new-categories", "--max-new-date-formats",
    "--max-type-share-drop", "--allow-type-change", "--help"};

/* The options taking a number, and where it goes. */
static double *number_slot(assay_diff_opts *o, const char *name)
{
    static const char *const names[] = {
        "--max-psi", "--max-missing-delta", "--max-violation-rate-delta",
        "--max-quarantine-rate-delta", "--max-distinct-ratio", "--max-mean-shift",
        "--max-new-categories", "--max-new-date-formats", "--max-type-share-drop"};
    double *slots[] = {&o->psi, &o->missing_rate_delta, &o->violation_rate_delta,
                       &o->quarantine_rate_delta, &o->distinct_ratio, &o->mean_shift,
                       &o->new_categories, &o->new_date_formats, &o->type_share_drop};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0)
            return slots[i];
    return NULL;
}

static int unknown_option(const char *a)
{
    const char *s = cli_suggest(a, diff_options, sizeof diff_options / sizeof *diff_options);
    if (s)
        return cli_usage_error("diff", "unknown option '%s' (did you mean '%s'?)", a, s);
    return cli_usage_error("diff", "unknown option '%s'", a);
}

/* --opt VALUE or --opt=VALUE: the value, advancing *i; NULL when absent. */
static const char *value_of(int argc, char **argv, int *i, const char *name)
{
    const char *v = argv[*i];
    size_t n = strlen(name);
    if (strncmp(v, name, n) == 0 && v[n] == '=')
        return v + n + 1;
    if (strcmp(v, name) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int set_number(double *slot, const char *opt, const char *v)
{
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || !*v || *end || errno || !(x >= 0) || isinf(x))
        return cli_usage_error("diff", "option '%s' needs a number >= 0", opt);
    *slot = x;
    return -1;
}

static bool takes_value(const char *v, const char *name)
{
    size_t n = strlen(name);
    return strncmp(v, name, n) == 0 && (v[n] == '\0' || v[n] == '=');
}

/* Parses argv into o; returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, assay_diff_opts *o)
{
    int done = 0, npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = argv[i];
        char opt[64];
        size_t eq = strcspn(v, "=");
        snprintf(opt, sizeof opt, "%.*s", (int)(eq < 63 ? eq : 63), v);
        double *slot = !done ? number_slot(o, opt) : NULL;
        if (!done && strcmp(v, "--") == 0) {
            done = 1;
        } else if (!done && (strcmp(v, "--help") == 0 || strcmp(v, "-h") == 0)) {
            return cli_help("diff");
        } else if (!done && takes_value(v, "--json")) {
            if (!(o->json = value_of(argc, argv, &i, "--json")) || !*o->json)
                return cli_usage_error("diff", "option '--json' needs a file name");
        } else if (!done && takes_value(v, "--thresholds")) {
            if (!(o->thresholds = value_of(argc, argv, &i, "--thresholds")) || !*o->thresholds)
                return cli_usage_error("diff", "option '--thresholds' needs a file name");
        } else if (slot) {
            int rc = set_number(slot, opt, value_of(argc, argv, &i, opt));
            if (rc >= 0)
                return rc;
        } else if (!done && strcmp(v, "--allow-type-change") == 0) {
            o->allow_type_change = 1;
        } else if (!done && v[0] == '-' && v[1] != '\0') {
            return unknown_option(v);
        } else if (strcmp(v, "-") == 0) {
            return cli_usage_error("diff", "reading a document from standard input is not "
                                           "supported; name a file");
        } else if (npos == 0) {
            o->baseline = v;
            npos++;
        } else if (npos == 1) {
            o->current = v;
            npos++;
        } else {
            return cli_usage_error("diff", "too many files: BASELINE and NEW only ('%s')", v);
        }
    }
    if (npos < 2)
        return cli_usage_error("diff", "two files are needed: BASELINE and NEW");
    return -1;
}

int cli_diff(int argc, char **argv)
{
    assay_diff_opts o;
    assay_diff_opts_init(&o);
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    o.on_tempfile = cli_tempfile_track;
    assay_diff_result res;
    assay_error err;
    cli_signals_install();
    assay_status st = assay_diff_run(&o, &res, &err);
    if (st && res.broken_pipe)
        return CLI_EXIT_SYSTEM; /* a closed stdout ends the run silently */
    if (st) {
        cli_error("%s", err.message[0] ? err.message : assay_strerror(st));
        return st == ASSAY_E_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_SYSTEM;
    }
    return res.crossed ? CLI_EXIT_DATA : CLI_EXIT_OK;
}
