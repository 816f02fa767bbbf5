/* cli/check.c — `assay check`: load the rules, run the check, print the
 * summary and pick the exit code of SPEC §2.
 *
 *   0  the run completed and every policy threshold held
 *   1  the run completed and a threshold was breached
 *   2  usage error or invalid (or unreadable) rules file: nothing processed
 *   3  I/O, memory or limit error; also a closed stdout (silently)
 * An error outranks a breached threshold: 3 wins over 1. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/check_args.h"
#include "cli/cli.h"
#include "cli/msg.h"

static int report_failure(assay_status st, const assay_check_result *r)
{
    /* The reader of an output pipe went away (`assay ... | head`): SPEC §2
     * wants exit 3 without a message. */
    if (r->broken_pipe)
        return CLI_EXIT_SYSTEM;
    const char *msg = r->error.message[0] ? r->error.message : assay_strerror(st);
    if (st == ASSAY_E_USAGE)
        return cli_usage_error("check", "%s", msg);
    cli_error("%s", msg);
    return st == ASSAY_E_RULES ? CLI_EXIT_USAGE : CLI_EXIT_SYSTEM;
}

static void print_counts(const assay_check_result *r)
{
    char unparsed[48] = "", skipped[48] = "";
    if (r->unparsed)
        snprintf(unparsed, sizeof unparsed, " (%" PRIu64 " unparsed)", r->unparsed);
    if (r->skipped)
        snprintf(skipped, sizeof skipped, ", %" PRIu64 " skipped", r->skipped);
    cli_note("%" PRIu64 " record%s read: %" PRIu64 " passed (%" PRIu64 " cleaned), %" PRIu64
             " quarantined%s%s", r->read, r->read == 1 ? "" : "s", r->passed, r->cleaned,
             r->quarantined, unparsed, skipped);
}

static void print_top(const assay_check_result *r)
{
    size_t ntop = r->ntop < 5 ? r->ntop : 5;
    if (ntop == 0)
        return;
    int width = 1;
    for (size_t i = 0; i < ntop; i++) {
        int w = snprintf(NULL, 0, "%" PRIu64, r->top[i].count);
        if (w > width)
            width = w;
    }
    cli_note("top violations:");
    for (size_t i = 0; i < ntop; i++) {
        const assay_violation_count *v = &r->top[i];
        if (v->field && *v->field)
            cli_note("  %*" PRIu64 "  %s: %s", width, v->count, v->field, v->rule);
        else
            cli_note("  %*" PRIu64 "  %s", width, v->count, v->rule);
    }
}

/* ICU's detection guesses: a weak guess is said even under --quiet. */
#define LOW_CONFIDENCE 25

static void warn_encoding(const assay_check_result *r)
{
    if (r->decided_by && strcmp(r->decided_by, "detected") == 0 &&
        r->confidence < LOW_CONFIDENCE)
        cli_warning("input encoding detected as %s with low confidence (%d%%); name it "
                    "with --encoding if that is wrong", r->encoding, r->confidence);
    else if (r->decided_by && strcmp(r->decided_by, "fallback") == 0)
        cli_warning("input encoding could not be detected; read as %s (name it with "
                    "--encoding)", r->encoding);
}

static void print_summary(const assay_check_result *r)
{
    if (r->decided_by && (strcmp(r->decided_by, "detected") == 0 ||
                          strcmp(r->encoding, "UTF-8") != 0))
        cli_note("input encoding: %s (%s%s)", r->encoding, r->decided_by,
                 strcmp(r->decided_by, "detected") == 0 ? ", see the statistics" : "");
    print_counts(r);
    print_top(r);
    if (r->quarantined > 0 && r->quarantine_path) {
        if (strcmp(r->quarantine_path, "/dev/null") == 0)
            cli_note("quarantine: discarded (/dev/null)");
        else
            cli_note("quarantine: %s", r->quarantine_path);
    }
    if (!r->thresholds_ok)
        cli_note("the data failed the rules' policy: %s (exit 1)", r->breach);
}

static int run(cli_check_args *a)
{
    assay_rules *rules = NULL;
    int rc = cli_load_rules(a->rules, &rules);
    if (rc)
        return rc;
    a->opts.inputs = a->inputs;
    a->opts.ninputs = a->ninputs;
    a->opts.encoding = a->encoding;
    a->opts.on_tempfile = cli_tempfile_track;
    a->opts.tempfile_ctx = NULL;
    cli_signals_install();
    assay_check_result res;
    memset(&res, 0, sizeof res);
    assay_status st = assay_check_run(rules, &a->opts, &res);
    if (st != ASSAY_OK) {
        rc = report_failure(st, &res);
    } else {
        if (res.read == 0)
            cli_warning("no records read");
        warn_encoding(&res);
        if (!a->quiet)
            print_summary(&res);
        rc = res.thresholds_ok ? CLI_EXIT_OK : CLI_EXIT_DATA;
    }
    assay_check_result_free(&res);
    assay_rules_free(rules);
    return rc;
}

int cli_check(int argc, char **argv)
{
    cli_check_args a;
    int rc = cli_check_parse(argc, argv, &a);
    if (rc == 0 && a.help)
        rc = cli_help("check");
    else if (rc == 0)
        rc = cli_check_outputs_distinct(&a);
    if (rc == 0 && !a.help)
        rc = run(&a);
    cli_check_args_free(&a);
    int out = cli_stdout_finish();
    return out > rc ? out : rc;
}
