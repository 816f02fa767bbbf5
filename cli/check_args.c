/* cli/check_args.c — parse and check the arguments of `assay check`.
 *
 * One table names every option (short form, long form, value); values are
 * checked here so that the library only ever sees a well-formed
 * assay_check_opts. Options may come in any order among the inputs;
 * "--opt=VALUE" and "--opt VALUE" are both accepted; "--" ends the options.
 * An option that takes a value may be given once: a second -r or -o would
 * silently drop the first, which is the kind of quiet failure assay exists
 * to stop. */
#define _XOPEN_SOURCE 700 /* realpath */

#include "cli/check_args.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/msg.h"

typedef enum opt_id {
    O_RULES, O_OUTPUT, O_QUARANTINE, O_ERRORS, O_CHANGES, O_STATS, O_FORMAT,
    O_OUTPUT_FORMAT, O_ENCODING, O_RECORD_PATH, O_JOBS, O_NO_CLEAN, O_ANNOTATE,
    O_JUNIT, O_METRICS, O_PROGRESS, O_NO_PROGRESS, O_QUIET, O_DELIMITER, O_QUOTE,
    O_MAX_RECORD_BYTES, O_MAX_FIELD_BYTES, O_MAX_ERRORS_PER_RULE, O_MAX_UNIQUE_KEYS,
    O_NOW, O_BYTE_RANGE, O_BATCH_RECORDS, O_SCHEMA_ORDER, O_HELP, O_COUNT
} opt_id;

typedef struct opt_spec {
    opt_id id;
    char short_name;       /* 0: none */
    const char *long_name; /* with its dashes */
    const char *metavar;   /* NULL: a flag without value */
} opt_spec;

/* Keep in step with help_check in cli/help.c and with docs/cli.md. */
static const opt_spec check_options[] = {
    { O_RULES, 'r', "--rules", "FILE" },
    { O_OUTPUT, 'o', "--output", "FILE" },
    { O_QUARANTINE, 'q', "--quarantine", "FILE" },
    { O_ERRORS, 'e', "--errors", "FILE" },
    { O_CHANGES, 'c', "--changes", "FILE" },
    { O_STATS, 's', "--stats", "FILE" },
    { O_FORMAT, 'f', "--format", "FMT" },
    { O_OUTPUT_FORMAT, 0, "--output-format", "FMT" },
    { O_ENCODING, 0, "--encoding", "NAME" },
    { O_RECORD_PATH, 0, "--record-path", "PATH" },
    { O_JOBS, 'j', "--jobs", "N" },
    { O_NO_CLEAN, 0, "--no-clean", NULL },
    { O_ANNOTATE, 0, "--annotate", NULL },
    { O_JUNIT, 0, "--junit", "FILE" },
    { O_METRICS, 0, "--metrics", "FILE" },
    { O_PROGRESS, 0, "--progress", NULL },
    { O_NO_PROGRESS, 0, "--no-progress", NULL },
    { O_QUIET, 0, "--quiet", NULL },
    { O_DELIMITER, 0, "--delimiter", "C" },
    { O_QUOTE, 0, "--quote", "C|none" },
    { O_MAX_RECORD_BYTES, 0, "--max-record-bytes", "N" },
    { O_MAX_FIELD_BYTES, 0, "--max-field-bytes", "N" },
    { O_MAX_ERRORS_PER_RULE, 0, "--max-errors-per-rule", "N" },
    { O_MAX_UNIQUE_KEYS, 0, "--max-unique-keys", "N" },
    { O_NOW, 0, "--now", "TIMESTAMP" },
    { O_BYTE_RANGE, 0, "--byte-range", "START:END" },
    { O_BATCH_RECORDS, 0, "--batch-records", "N" },
    { O_SCHEMA_ORDER, 0, "--schema-order", NULL },
    { O_HELP, 'h', "--help", NULL },
};
#define NOPTIONS (sizeof check_options / sizeof check_options[0])

static const struct {
    const char *name;
    assay_format format;
    int supported;
} formats[] = {
    { "csv", ASSAY_FMT_CSV, 1 },    { "tsv", ASSAY_FMT_TSV, 1 },
    { "ndjson", ASSAY_FMT_NDJSON, 1 }, { "json", ASSAY_FMT_JSON, 1 },
    { "xml", ASSAY_FMT_XML, 1 },
};
#define NFORMATS (sizeof formats / sizeof formats[0])

/* ---- finding an option -------------------------------------------------- */

/* The spec of arg ("-r", "--rules", "--rules=x"); *attached is the text
 * after '=' or NULL. NULL when arg names no option. */
static const opt_spec *find_option(const char *arg, const char **attached)
{
    *attached = NULL;
    if (arg[1] != '-') {
        for (size_t i = 0; arg[2] == '\0' && i < NOPTIONS; i++)
            if (check_options[i].short_name == arg[1])
                return &check_options[i];
        return NULL;
    }
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (size_t i = 0; i < NOPTIONS; i++) {
        const char *name = check_options[i].long_name;
        if (strlen(name) == len && strncmp(name, arg, len) == 0) {
            *attached = eq ? eq + 1 : NULL;
            return &check_options[i];
        }
    }
    return NULL;
}

static int unknown_option(const char *arg)
{
    const char *cands[NOPTIONS];
    for (size_t i = 0; i < NOPTIONS; i++)
        cands[i] = check_options[i].long_name;
    char word[80];
    const char *eq = strchr(arg, '=');
    int len = eq ? (int)(eq - arg) : (int)strlen(arg);
    snprintf(word, sizeof word, "%.*s", len, arg);
    const char *s = cli_suggest(word, cands, NOPTIONS);
    if (s)
        return cli_usage_error("check", "unknown option '%s' (did you mean '%s'?)", word, s);
    return cli_usage_error("check", "unknown option '%s'", word);
}

/* ---- values ------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Plain bytes or a K, M, G suffix in units of 1024; positive. */
static int parse_size(const char *s, size_t *out)
{
    char digits[32];
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n >= sizeof digits)
        return -1;
    memcpy(digits, s, n);
    digits[n] = '\0';
    uint64_t v, mult = 1;
    if (parse_u64(digits, &v) != 0)
        return -1;
    const char *suffix = s + n;
    if (*suffix) {
        if (suffix[1] != '\0')
            return -1;
        switch (*suffix) {
        case 'G': case 'g': mult *= 1024; /* fall through */
        case 'M': case 'm': mult *= 1024; /* fall through */
        case 'K': case 'k': mult *= 1024; break;
        default: return -1;
        }
    }
    if (v == 0 || v > SIZE_MAX / mult)
        return -1;
    *out = (size_t)(v * mult);
    return 0;
}

static int parse_format(const char *name, const char *value, assay_format *out)
{
    const char *cands[NFORMATS];
    for (size_t i = 0; i < NFORMATS; i++) {
        cands[i] = formats[i].name;
        if (strcasecmp(value, formats[i].name) != 0)
            continue;
        if (!formats[i].supported)
            return cli_usage_error("check", "%s %s: this input format is not supported yet by "
                                   "this version (supported: csv, tsv)", name, value);
        *out = formats[i].format;
        return 0;
    }
    const char *s = cli_suggest(value, cands, NFORMATS);
    return cli_usage_error("check", "unknown format '%s' for %s%s%s%s; formats are csv, tsv, "
                           "ndjson, json, xml", value, name, s ? " (did you mean '" : "",
                           s ? s : "", s ? "'?)" : "");
}

/* --delimiter / --quote: one ASCII character; "tab" or "\t" for TAB;
 * "none" (--quote only) for 0. */
static int parse_char(const char *name, const char *value, int allow_none, int *out)
{
    if (strcmp(value, "tab") == 0 || strcmp(value, "\\t") == 0) {
        *out = '\t';
        return 0;
    }
    if (allow_none && strcmp(value, "none") == 0) {
        *out = 0;
        return 0;
    }
    unsigned char c = (unsigned char)value[0];
    if (c == '\0' || value[1] != '\0' || c >= 0x80 || c == '\n' || c == '\r')
        return cli_usage_error("check", "invalid value '%s' for %s: expected one ASCII "
                               "character other than a line break, or 'tab'%s", value, name,
                               allow_none ? " or 'none'" : "");
    *out = c;
    return 0;
}

static int not_supported(const char *name)
{
    return cli_usage_error("check", "%s is not supported yet by this version", name);
}

#define JOBS_MAX 256
#define BATCH_RECORDS_MAX 1000000

/* -j N: 0 checks on the reading thread itself; 1..256 worker threads. */
static int parse_jobs(cli_check_args *a, const char *name, const char *value)
{
    uint64_t n;
    if (parse_u64(value, &n) != 0 || n > JOBS_MAX)
        return cli_usage_error("check", "invalid value '%s' for %s: expected a number of "
                               "worker threads from 0 to %d", value, name, JOBS_MAX);
    a->opts.jobs = (unsigned)n;
    return 0;
}

static int parse_batch(cli_check_args *a, const char *name, const char *value)
{
    uint64_t n;
    if (parse_u64(value, &n) != 0 || n == 0 || n > BATCH_RECORDS_MAX)
        return cli_usage_error("check", "invalid value '%s' for %s: expected a number of "
                               "records from 1 to %d", value, name, BATCH_RECORDS_MAX);
    a->opts.batch_records = (size_t)n;
    return 0;
}

/* -j's default: one worker per online core. */
static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > JOBS_MAX ? JOBS_MAX : (unsigned)n;
}

/* Any name ICU knows, or auto; the library checks it (exit 2 when unknown). */
static int parse_encoding(cli_check_args *a, const char *name, const char *value)
{
    if (!*value)
        return cli_usage_error("check", "%s: expected an encoding name or auto", name);
    a->encoding = value;
    return 0;
}

/* A file name for an output: "-" is standard output, for -o only. */
static int parse_output(const char *name, const char *value, const char **out, int stdout_ok)
{
    if (strcmp(value, "-") == 0) {
        if (!stdout_ok)
            return cli_usage_error("check", "%s -: only the passing records (-o) can go to "
                                   "standard output; name a file", name);
        *out = NULL;
        return 0;
    }
    *out = value;
    return 0;
}

/* ---- applying one option ------------------------------------------------ */

static int apply_number(cli_check_args *a, const opt_spec *o, const char *name, const char *v)
{
    int bad = 0;
    switch (o->id) {
    case O_MAX_RECORD_BYTES: bad = parse_size(v, &a->opts.max_record_bytes); break;
    case O_MAX_FIELD_BYTES: bad = parse_size(v, &a->opts.max_field_bytes); break;
    case O_MAX_ERRORS_PER_RULE: bad = parse_u64(v, &a->opts.max_errors_per_rule); break;
    case O_MAX_UNIQUE_KEYS: bad = parse_u64(v, &a->opts.max_unique_keys); break;
    case O_BATCH_RECORDS: return parse_batch(a, name, v);
    default: return parse_jobs(a, name, v);
    }
    if (!bad)
        return 0;
    if (o->id == O_MAX_RECORD_BYTES || o->id == O_MAX_FIELD_BYTES)
        return cli_usage_error("check", "invalid value '%s' for %s: expected a positive size in "
                               "bytes, with an optional K, M or G suffix (e.g. 64M)", v, name);
    return cli_usage_error("check", "invalid value '%s' for %s: expected a non-negative integer",
                           v, name);
}

/* START:END in bytes; END may be empty (the end of the file). */
static int parse_range(cli_check_args *a, const char *name, const char *v)
{
    const char *colon = strchr(v, ':');
    char start[32];
    uint64_t lo = 0, hi = 0;
    size_t n = colon ? (size_t)(colon - v) : 0;
    bool ok = colon && n > 0 && n < sizeof start;
    if (ok) {
        memcpy(start, v, n);
        start[n] = '\0';
        ok = !parse_u64(start, &lo) && (!colon[1] || !parse_u64(colon + 1, &hi)) &&
             (!colon[1] || hi > lo);
    }
    if (!ok)
        return cli_usage_error("check", "invalid value '%s' for %s: expected START:END in "
                               "bytes with START < END (END may be left out: the end of "
                               "the file)", v, name);
    a->opts.range_set = 1;
    a->opts.range_start = lo;
    a->opts.range_end = hi;
    return 0;
}

static int apply_option(cli_check_args *a, const opt_spec *o, const char *name, const char *v)
{
    assay_check_opts *op = &a->opts;
    if (v && *v == '\0')
        return cli_usage_error("check", "empty value for %s", name);
    switch (o->id) {
    case O_RULES:
        if (strcmp(v, "-") == 0)
            return cli_usage_error("check", "%s -: reading the rules from standard input is not "
                                   "supported; name a file", name);
        a->rules = v;
        return 0;
    case O_OUTPUT: return parse_output(name, v, &op->output, 1);
    case O_QUARANTINE: return parse_output(name, v, &op->quarantine, 0);
    case O_ERRORS: return parse_output(name, v, &op->errors, 0);
    case O_CHANGES: return parse_output(name, v, &op->changes, 0);
    case O_STATS: return parse_output(name, v, &op->stats, 0);
    case O_FORMAT: return parse_format(name, v, &op->format);
    case O_OUTPUT_FORMAT: return parse_format(name, v, &op->output_format);
    case O_ENCODING: return parse_encoding(a, name, v);
    case O_DELIMITER: return parse_char(name, v, 0, &op->delimiter);
    case O_QUOTE: return parse_char(name, v, 1, &op->quote);
    case O_NO_CLEAN: op->no_clean = 1; return 0;
    case O_ANNOTATE: op->annotate = 1; return 0;
    case O_QUIET: a->quiet = 1; return 0;
    case O_NO_PROGRESS: return 0; /* this version never shows progress */
    case O_HELP: a->help = 1; return 0;
    case O_NOW: op->now = v; return 0; /* checked by the library */
    case O_BYTE_RANGE: return parse_range(a, name, v);
    case O_RECORD_PATH:
        if (v[0] != '/')
            return cli_usage_error("check", "invalid value '%s' for %s: expected an "
                                   "absolute element path such as /orders/order", v, name);
        op->record_path = v;
        return 0;
    case O_JUNIT: return parse_output(name, v, &op->junit, 0);
    case O_METRICS: return parse_output(name, v, &op->metrics, 0);
    case O_SCHEMA_ORDER: op->schema_order = 1; return 0;
    case O_PROGRESS:
        return not_supported(name);
    default: return apply_number(a, o, name, v);
    }
}

/* ---- the whole command line ---------------------------------------------- */

/* A word after an option that needs a value is taken as that value unless it
 * looks like another option ("-o -q x" is a forgotten file name). Negative
 * numbers are taken, so that their check can say what is wrong. */
static int looks_like_option(const char *s)
{
    return s[0] == '-' && s[1] != '\0' && !(s[1] >= '0' && s[1] <= '9');
}

static int parse_one(int argc, char **argv, int *i, cli_check_args *a, const char **given)
{
    const char *arg = argv[*i], *attached;
    const opt_spec *o = find_option(arg, &attached);
    if (!o)
        return unknown_option(arg);
    char name[64];
    if (arg[1] == '-')
        snprintf(name, sizeof name, "%s", o->long_name);
    else
        snprintf(name, sizeof name, "-%c", o->short_name);
    const char *value = NULL;
    if (o->metavar) {
        if (attached)
            value = attached;
        else if (*i + 1 < argc && !looks_like_option(argv[*i + 1]))
            value = argv[++*i];
        else
            return cli_usage_error("check", "option '%s' needs a value (%s %s)", name, name,
                                   o->metavar);
        if (given[o->id])
            return cli_usage_error("check", "option '%s' given twice ('%s' and '%s')", name,
                                   given[o->id], value);
        given[o->id] = value;
    } else if (attached) {
        return cli_usage_error("check", "option '%s' takes no value", name);
    }
    return apply_option(a, o, name, value);
}

int cli_check_parse(int argc, char **argv, cli_check_args *a)
{
    memset(a, 0, sizeof *a);
    assay_check_opts_init(&a->opts);
    a->opts.jobs = default_jobs();
    a->inputs = calloc((size_t)argc, sizeof *a->inputs);
    if (!a->inputs) {
        cli_error("%s", assay_strerror(ASSAY_E_NOMEM));
        return CLI_EXIT_SYSTEM;
    }
    const char *given[O_COUNT] = { 0 };
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            a->inputs[a->ninputs++] = arg;
        } else if (strcmp(arg, "--") == 0) {
            options_done = 1;
        } else {
            int rc = parse_one(argc, argv, &i, a, given);
            if (rc || a->help)
                return rc;
        }
    }
    if (!a->rules)
        return cli_usage_error("check", "no rules file given: -r RULES is required");
    if (a->opts.delimiter > 0 && a->opts.delimiter == a->opts.quote)
        return cli_usage_error("check", "--delimiter and --quote name the same character");
    return 0;
}

/* ---- outputs must not name inputs or each other -------------------------- */

typedef struct file_ident {
    const char *label; /* "-o", "an input", ... */
    const char *path;
    int exists;
    int in_place;      /* a device, FIFO or socket: written in place, exempt */
    dev_t dev;
    ino_t ino;
    char *norm;        /* a file that does not exist yet: its normalised path */
} file_ident;

/* The real path of the folder plus the last component: the name the file
 * will have once created, however the folder was spelled. */
static char *normalise(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    errno = 0;
    char *real = dir ? realpath(dir, NULL) : NULL;
    char *out = NULL;
    if (!dir || (!real && errno == ENOMEM)) { /* not a folder that is missing */
        free(dir);
        return NULL;
    }
    if (real && *base) {
        size_t n = strlen(real) + strlen(base) + 2;
        out = malloc(n);
        if (out)
            snprintf(out, n, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
    } else {
        out = strdup(path);
    }
    free(dir);
    free(real);
    return out;
}

static int ident_init(file_ident *f, const char *label, const char *path)
{
    struct stat st;
    memset(f, 0, sizeof *f);
    f->label = label;
    f->path = path;
    if (stat(path, &st) == 0) {
        f->exists = 1;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->in_place = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
        return 0;
    }
    f->norm = normalise(path);
    return f->norm ? 0 : -1;
}

static int same_file(const file_ident *x, const file_ident *y)
{
    if (x->in_place || y->in_place || x->exists != y->exists)
        return 0;
    if (x->exists)
        return x->dev == y->dev && x->ino == y->ino;
    return strcmp(x->norm, y->norm) == 0;
}

/* Fills ids: the outputs first (*nout of them), then the rules file and the
 * inputs. Returns the total count, or -1 out of memory. */
static long collect_idents(const cli_check_args *a, file_ident *ids, size_t *nout)
{
    const assay_check_opts *o = &a->opts;
    const struct { const char *label, *path; } outs[] = {
        { "-o", o->output }, { "-q", o->quarantine }, { "-e", o->errors },
        { "-c", o->changes }, { "-s", o->stats }, { "--junit", o->junit },
        { "--metrics", o->metrics },
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
        if (outs[i].path && ident_init(&ids[n++], outs[i].label, outs[i].path) != 0)
            return -1;
    *nout = n;
    if (ident_init(&ids[n++], "the rules file", a->rules) != 0)
        return -1;
    for (size_t i = 0; i < a->ninputs; i++)
        if (strcmp(a->inputs[i], "-") != 0 && ident_init(&ids[n++], "an input", a->inputs[i]) != 0)
            return -1;
    return (long)n;
}

static int find_clash(const file_ident *ids, size_t nout, size_t n)
{
    for (size_t i = 0; i < nout; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (!same_file(&ids[i], &ids[j]))
                continue;
            if (j < nout)
                return cli_usage_error("check", "%s and %s name the same file ('%s' and '%s')",
                                       ids[i].label, ids[j].label, ids[i].path, ids[j].path);
            return cli_usage_error("check", "%s '%s' names %s ('%s'): an output never "
                                   "overwrites an input", ids[i].label, ids[i].path,
                                   ids[j].label, ids[j].path);
        }
    }
    return 0;
}

int cli_check_outputs_distinct(const cli_check_args *a)
{
    file_ident *ids = calloc(a->ninputs + 8, sizeof *ids);
    if (!ids) {
        cli_error("%s", assay_strerror(ASSAY_E_NOMEM));
        return CLI_EXIT_SYSTEM;
    }
    size_t nout = 0;
    long n = collect_idents(a, ids, &nout);
    int rc;
    if (n < 0) {
        cli_error("%s", assay_strerror(ASSAY_E_NOMEM));
        rc = CLI_EXIT_SYSTEM;
        n = (long)(a->ninputs + 6);
    } else {
        rc = find_clash(ids, nout, (size_t)n);
    }
    for (long i = 0; i < n; i++)
        free(ids[i].norm);
    free(ids);
    return rc;
}

void cli_check_args_free(cli_check_args *a)
{
    free(a->inputs);
    a->inputs = NULL;
}
