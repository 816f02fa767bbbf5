/* cli/profile.c — `assay profile [-r RULES] [options] [INPUT ...]`: parse
 * the options, load the rules when given, run the profile and pick the exit
 * code (0 done; 2 usage error or invalid rules; 3 I/O, memory, a closed
 * standard output). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/msg.h"

static const char *const profile_options[] = {
    "--rules", "--json", "--html", "--suggest", "--format", "--encoding", "--record-path",
    "--delimiter", "--quote", "--no-header", "--max-record-bytes", "--max-field-bytes",
    "--shapes-after", "--top-after", "--jobs", "--batch-records", "--no-table", "--quiet", "--help"};

#define JOBS_MAX 256
#define BATCH_RECORDS_MAX 1000000

typedef struct profile_args {
    assay_profile_opts opts;
    const char *rules;
    const char **inputs;
    size_t ninputs;
    int quiet;
} profile_args;

static int unknown_option(const char *a)
{
    const char *s = cli_suggest(a, profile_options,
                                sizeof profile_options / sizeof *profile_options);
    if (s)
        return cli_usage_error("profile", "unknown option '%s' (did you mean '%s'?)", a, s);
    return cli_usage_error("profile", "unknown option '%s'", a);
}

/* A positive count, with an optional K, M or G suffix (units of 1024). */
static int parse_count(const char *name, const char *s, uint64_t *out)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        goto bad;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024;
    else if (*end == 'M' || *end == 'm')
        mult = 1024 * 1024;
    else if (*end == 'G' || *end == 'g')
        mult = 1024 * 1024 * 1024;
    if (mult > 1)
        end++;
    if (*end || v == 0 || v > UINT64_MAX / mult)
        goto bad;
    *out = v * mult;
    return 0;
bad:
    return cli_usage_error("profile", "invalid value '%s' for %s: expected a positive number",
                           s, name);
}

static int parse_char(const char *name, const char *v, int allow_none, int *out)
{
    if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0) {
        *out = '\t';
        return 0;
    }
    if (allow_none && strcmp(v, "none") == 0) {
        *out = 0;
        return 0;
    }
    unsigned char c = (unsigned char)v[0];
    if (c == '\0' || v[1] != '\0' || c >= 0x80 || c == '\n' || c == '\r')
        return cli_usage_error("profile", "invalid value '%s' for %s: expected one ASCII "
                               "character other than a line break, or 'tab'%s", v, name,
                               allow_none ? " or 'none'" : "");
    *out = c;
    return 0;
}

static int parse_format(const char *name, const char *v, assay_format *out)
{
    static const struct { const char *name; assay_format f; } fmts[] = {
        {"csv", ASSAY_FMT_CSV}, {"tsv", ASSAY_FMT_TSV}, {"ndjson", ASSAY_FMT_NDJSON},
        {"json", ASSAY_FMT_JSON}, {"xml", ASSAY_FMT_XML}};
    const char *cands[5];
    for (size_t i = 0; i < 5; i++) {
        cands[i] = fmts[i].name;
        if (strcasecmp(v, fmts[i].name) == 0) {
            *out = fmts[i].f;
            return 0;
        }
    }
    const char *s = cli_suggest(v, cands, 5);
    return cli_usage_error("profile", "unknown format '%s' for %s%s%s%s; formats are csv, tsv, "
                           "ndjson, json, xml", v, name, s ? " (did you mean '" : "",
                           s ? s : "", s ? "'?)" : "");
}

/* -j N: 0 profiles on the reading thread itself; 1..256 worker threads. */
static int parse_jobs(const char *name, const char *s, unsigned *out)
{
    char *end;
    unsigned long long v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    if (s[0] < '0' || s[0] > '9' || *end || v > JOBS_MAX)
        return cli_usage_error("profile", "invalid value '%s' for %s: expected a number of "
                               "worker threads from 0 to %d", s, name, JOBS_MAX);
    *out = (unsigned)v;
    return 0;
}

/* -j's default: one worker per online core. */
static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > JOBS_MAX ? JOBS_MAX : (unsigned)n;
}

/* The option's value: attached (--json=FILE) or the next argument. */
static int value_of(int argc, char **argv, int *i, const char *attached, const char **out)
{
    if (attached) {
        *out = attached;
        return 0;
    }
    if (*i + 1 >= argc)
        return cli_usage_error("profile", "option '%s' needs a value", argv[*i]);
    *out = argv[++*i];
    return 0;
}

static int apply(profile_args *a, const char *name, const char *v)
{
    assay_profile_opts *o = &a->opts;
    uint64_t n;
    if (v[0] == '\0')
        return cli_usage_error("profile", "option '%s' needs a value", name);
    if (!strcmp(name, "-r") || !strcmp(name, "--rules"))
        a->rules = v;
    else if (!strcmp(name, "--json"))
        o->json = v;
    else if (!strcmp(name, "--html"))
        o->html = v;
    else if (!strcmp(name, "--suggest"))
        o->suggest = v;
    else if (!strcmp(name, "-f") || !strcmp(name, "--format"))
        return parse_format(name, v, &o->format);
    else if (!strcmp(name, "--encoding"))
        o->encoding = v;
    else if (!strcmp(name, "--record-path"))
        o->record_path = v;
    else if (!strcmp(name, "--delimiter"))
        return parse_char(name, v, 0, &o->delimiter);
    else if (!strcmp(name, "--quote"))
        return parse_char(name, v, 1, &o->quote);
    else if (!strcmp(name, "--max-record-bytes") || !strcmp(name, "--max-field-bytes")) {
        if (parse_count(name, v, &n))
            return CLI_EXIT_USAGE;
        if (n > SIZE_MAX)
            return cli_usage_error("profile", "%s %s: too large", name, v);
        *(name[6] == 'r' ? &o->max_record_bytes : &o->max_field_bytes) = (size_t)n;
    } else if (!strcmp(name, "--shapes-after"))
        return parse_count(name, v, &o->shapes_after) ? CLI_EXIT_USAGE : 0;
    else if (!strcmp(name, "--top-after"))
        return parse_count(name, v, &o->top_after) ? CLI_EXIT_USAGE : 0;
    else if (!strcmp(name, "-j") || !strcmp(name, "--jobs"))
        return parse_jobs(name, v, &o->jobs);
    else if (!strcmp(name, "--batch-records")) {
        if (parse_count(name, v, &n))
            return CLI_EXIT_USAGE;
        if (n > BATCH_RECORDS_MAX)
            return cli_usage_error("profile", "invalid value '%s' for %s: expected a number of "
                                   "records from 1 to %d", v, name, BATCH_RECORDS_MAX);
        o->batch_records = (size_t)n;
    }
    return 0;
}

static int takes_value(const char *name)
{
    static const char *const with[] = {
        "-r", "--rules", "--json", "--html", "--suggest", "-f", "--format", "--encoding",
        "--record-path", "--delimiter", "--quote", "--max-record-bytes", "--max-field-bytes",
        "--shapes-after", "--top-after", "-j", "--jobs", "--batch-records"};
    for (size_t k = 0; k < sizeof with / sizeof *with; k++)
        if (!strcmp(name, with[k]))
            return 1;
    return 0;
}

/* -1 to go on, else the exit code. */
static int parse(int argc, char **argv, profile_args *a)
{
    int done = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = argv[i];
        if (done || v[0] != '-' || v[1] == '\0') {
            a->inputs[a->ninputs++] = v;
            continue;
        }
        if (!strcmp(v, "--")) {
            done = 1;
        } else if (!strcmp(v, "--help") || !strcmp(v, "-h")) {
            return cli_help("profile");
        } else if (!strcmp(v, "--no-header")) {
            a->opts.header = 0;
        } else if (!strcmp(v, "--no-table")) {
            a->opts.no_table = 1;
        } else if (!strcmp(v, "--quiet")) {
            a->quiet = 1;
        } else if (v[1] == 'j' && v[2]) { /* -jN */
            int rc = apply(a, "-j", v + 2);
            if (rc)
                return rc;
        } else {
            char name[64];
            const char *eq = strchr(v, '='), *attached = NULL;
            size_t len = eq && v[1] == '-' ? (size_t)(eq - v) : strlen(v);
            if (len >= sizeof name)
                return unknown_option(v);
            memcpy(name, v, len);
            name[len] = '\0';
            if (eq && v[1] == '-')
                attached = eq + 1;
            if (!takes_value(name))
                return unknown_option(v);
            const char *val = NULL;
            int rc = value_of(argc, argv, &i, attached, &val);
            if (!rc)
                rc = apply(a, name, val);
            if (rc)
                return rc;
        }
    }
    if (a->opts.delimiter > 0 && a->opts.delimiter == a->opts.quote)
        return cli_usage_error("profile", "--delimiter and --quote name the same character");
    a->opts.inputs = a->inputs;
    a->opts.ninputs = a->ninputs;
    return -1;
}

int cli_profile(int argc, char **argv)
{
    profile_args a;
    memset(&a, 0, sizeof a);
    assay_profile_opts_init(&a.opts);
    a.opts.jobs = default_jobs();
    a.inputs = calloc((size_t)argc, sizeof *a.inputs);
    if (!a.inputs) {
        cli_error("%s", assay_strerror(ASSAY_E_NOMEM));
        return CLI_EXIT_SYSTEM;
    }
    int rc = parse(argc, argv, &a); /* -1: go on (0: --help was shown) */
    assay_rules *rules = NULL;
    if (rc < 0 && a.rules)
        rc = cli_load_rules(a.rules, &rules);
    if (rc >= 0 && !(rc == 0 && a.rules && rules)) {
        free(a.inputs);
        return rc;
    }
    a.opts.on_tempfile = cli_tempfile_track;
    cli_signals_install();
    assay_profile_result res;
    assay_status st = assay_profile_run(rules, &a.opts, &res);
    assay_rules_free(rules);
    free(a.inputs);
    if (st && res.broken_pipe)
        return CLI_EXIT_SYSTEM;
    if (st) {
        const char *msg = res.error.message[0] ? res.error.message : assay_strerror(st);
        assay_profile_result_free(&res);
        if (st == ASSAY_E_USAGE)
            return cli_usage_error("profile", "%s", msg);
        cli_error("%s", msg);
        return CLI_EXIT_SYSTEM;
    }
    if (!a.quiet)
        cli_note("%llu record%s profiled, %zu field%s", (unsigned long long)res.records,
                 res.records == 1 ? "" : "s", res.nfields, res.nfields == 1 ? "" : "s");
    assay_profile_result_free(&res);
    return res.broken_pipe ? CLI_EXIT_SYSTEM : CLI_EXIT_OK;
}
