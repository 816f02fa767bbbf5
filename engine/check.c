/* engine/check.c — assay_check_run: open everything, stream every record of
 * every input through the checks, route it, then write the statistics and
 * commit the outputs.
 *
 * Conservation: every record read ends in exactly one of the output or the
 * quarantine (records.read = passed + quarantined); a blank row skipped by
 * policy is counted in records.skipped and not read. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/machine_reports.h"
#include "io/csv_writer.h"
#include "io/compress.h"
#include "io/decode.h"
#include "rules/expr.h"
#include "validators/clean.h"
#include "validators/locnum.h"
#include "validators/string.h"

#define DEFAULT_MAX_RECORD (16u << 20)
#define DEFAULT_MAX_FIELD (4u << 20)
#define DEFAULT_MAX_UNIQUE 50000000ull

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

ASSAY_API void assay_check_opts_init(assay_check_opts *o)
{
    memset(o, 0, sizeof *o);
    o->delimiter = -1;
    o->quote = -1;
}

static bool is_stdin(const char *name)
{
    return eng_is_stdin(name);
}

static const char *ext_of(const char *path)
{
    return eng_path_ext(path);
}

static assay_format format_of(const eng_run *run)
{
    return eng_format_resolve(run->opts->format, run->inputs, run->ninputs);
}

static const char *format_name(assay_format f)
{
    return eng_format_name(f);
}

static assay_status fail(eng_run *run, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static assay_status fail(eng_run *run, assay_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    run->err->status = st;
    vsnprintf(run->err->message, sizeof run->err->message, fmt, ap);
    va_end(ap);
    return st;
}

/* <input stem>.quarantine.<ext> beside the first input; stdin.quarantine.<ext>
 * in the working directory for standard input. A compressed input's name
 * keeps its suffix, so the quarantine is compressed the same way:
 * data.csv.gz -> data.quarantine.csv.gz, data.gz -> data.quarantine.csv.gz. */
static char *default_quarantine(const char *first, assay_format fmt)
{
    const char *fext = format_name(fmt);
    if (is_stdin(first)) {
        char *p = malloc(32);
        if (p)
            snprintf(p, 32, "stdin.quarantine.%s", fext);
        return p;
    }
    size_t zlen;
    io_compress_from_name(first, &zlen);
    char *core = strndup(first, strlen(first) - zlen); /* without .gz/.zst */
    if (!core)
        return NULL;
    const char *ext = ext_of(core);
    size_t stem = ext ? (size_t)(ext - 1 - core) : strlen(core);
    const char *zsuf = first + strlen(core);
    size_t cap = stem + strlen(".quarantine.") + strlen(ext ? ext : fext) + zlen + 1;
    char *p = malloc(cap);
    if (p)
        snprintf(p, cap, "%.*s.quarantine.%s%s", (int)stem, core, ext ? ext : fext, zsuf);
    free(core);
    return p;
}

/* JSON and XML input and output: what is refused, and the record path. */
static assay_status resolve_doc(eng_run *run)
{
    const assay_check_opts *o = run->opts;
    assay_format in = run->in_fmt, out = run->out_fmt;
    if (out == ASSAY_FMT_XML && in != ASSAY_FMT_XML)
        return fail(run, ASSAY_E_USAGE, "--output-format xml needs XML input (this version "
                    "writes XML records only as they were read)");
    if (in == ASSAY_FMT_XML) {
        run->record_path = o->record_path ? o->record_path : run->rules->dialect.record_path;
        if (!run->record_path)
            return fail(run, ASSAY_E_USAGE, "XML input needs the record element: "
                        "--record-path /root/record, or \"recordPath\" in the rules' dialect");
    } else if (o->record_path)
        return fail(run, ASSAY_E_USAGE, "--record-path applies to XML input only");
    if (eng_fmt_doc(in) && o->annotate)
        return fail(run, ASSAY_E_USAGE, "--annotate applies to CSV and TSV input only "
                    "(a JSON or XML quarantine keeps the records' bytes; the errors file "
                    "says why each failed)");
    if (eng_fmt_doc(in) && o->range_set)
        return fail(run, ASSAY_E_USAGE, "--byte-range applies to CSV and TSV input only");
    return ASSAY_OK;
}

static assay_status resolve_dialect(eng_run *run)
{
    const assay_check_opts *o = run->opts;
    const rules_dialect *d = &run->rules->dialect;
    assay_format fmt = format_of(run);
    run->in_fmt = fmt;
    run->out_fmt = o->output_format != ASSAY_FMT_AUTO ? o->output_format : fmt;
    assay_status st = resolve_doc(run);
    if (st)
        return st;
    char def = fmt == ASSAY_FMT_TSV ? '\t' : ',';
    run->delimiter = (char)(o->delimiter >= 0 ? o->delimiter
                            : d->delimiter >= 0 ? d->delimiter : def);
    int q = o->quote >= 0 ? o->quote : d->quote >= 0 ? d->quote : '"';
    run->quote = q == 0 ? -1 : q;
    run->header = d->header;
    run->out_delim = run->delimiter;
    run->out_quote = run->quote;
    if (eng_fmt_doc(fmt) && !eng_fmt_doc(run->out_fmt)) { /* to CSV or TSV */
        run->out_delim = run->out_fmt == ASSAY_FMT_TSV ? '\t' : ',';
        run->out_quote = '"';
    } else if (o->output_format == ASSAY_FMT_CSV || o->output_format == ASSAY_FMT_TSV) {
        assay_format in_fmt = run->delimiter == '\t' ? ASSAY_FMT_TSV : ASSAY_FMT_CSV;
        if (o->output_format != in_fmt || o->format == ASSAY_FMT_AUTO) {
            run->out_delim = o->output_format == ASSAY_FMT_TSV ? '\t' : ',';
            run->out_quote = run->quote < 0 ? '"' : run->quote;
        }
    }
    run->eol[0] = '\n';
    run->eol_len = 1;
    run->max_record_bytes = o->max_record_bytes ? o->max_record_bytes : DEFAULT_MAX_RECORD;
    run->max_field_bytes = o->max_field_bytes ? o->max_field_bytes : DEFAULT_MAX_FIELD;
    run->unique_limit = o->max_unique_keys ? o->max_unique_keys : DEFAULT_MAX_UNIQUE;
    run->quarantine_path = o->quarantine ? strdup(o->quarantine)
                                         : default_quarantine(o->ninputs ? o->inputs[0] : NULL, fmt);
    return run->quarantine_path ? ASSAY_OK : ASSAY_E_NOMEM;
}

static assay_status open_inputs(eng_run *run)
{
    const assay_check_opts *o = run->opts;
    const char *enc = o->encoding ? o->encoding
                      : run->rules->encoding ? run->rules->encoding : "auto";
    return eng_inputs_open(o->inputs, o->ninputs, enc, o->range_set, &run->inputs,
                           &run->ninputs, run->err);
}

/* An output that names an input would destroy the data it reads; two outputs
 * that name one file would clobber each other. Messages name the roles, since
 * the default quarantine path is not on the command line. */
static assay_status check_overlap(eng_run *run)
{
    const assay_check_opts *o = run->opts;
    const char *outs[] = {o->output ? o->output : "-", run->quarantine_path, o->errors,
                          o->changes, o->stats, o->junit, o->metrics};
    const char *roles[] = {"the output (-o)",
                           o->quarantine ? "the quarantine (-q)" : "the default quarantine",
                           "the errors (-e)", "the changes (-c)", "the stats (-s)",
                           "the JUnit report (--junit)", "the metrics (--metrics)"};
    char msg[600];
    if (eng_outputs_clash(outs, roles, sizeof outs / sizeof *outs, run->inputs, run->ninputs,
                          msg, sizeof msg))
        return fail(run, ASSAY_E_USAGE, "%s", msg);
    return ASSAY_OK;
}

static assay_status open_out(eng_run *run, io_out **o, const char *path)
{
    return io_out_open(o, path, run->opts->on_tempfile, run->opts->tempfile_ctx, run->err);
}

static assay_status open_outputs(eng_run *run)
{
    const assay_check_opts *o = run->opts;
    assay_status st = open_out(run, &run->out, o->output);
    if (!st)
        st = open_out(run, &run->quar, run->quarantine_path);
    if (!st && o->errors)
        st = open_out(run, &run->errs, o->errors);
    if (!st && o->changes)
        st = open_out(run, &run->chg, o->changes);
    if (!st && o->stats)
        st = open_out(run, &run->stats_out, o->stats);
    if (!st && o->junit)
        st = open_out(run, &run->junit_out, o->junit);
    if (!st && o->metrics)
        st = open_out(run, &run->metrics_out, o->metrics);
    if (!st && o->junit)
        st = eng_reports_setup(run);
    return st;
}

static assay_status alloc_state(eng_run *run)
{
    const struct assay_rules *r = run->rules;
    size_t n = r->nfields;
    core_buf_init(&run->xml_head, 0);
    core_buf_init(&run->xml_tail, 0);
    core_buf_init(&run->xml_head_src, 0);
    core_buf_init(&run->xml_tail_src, 0);
    core_buf_init(&run->xml_sep, 0);
    if (eng_stats_alloc(r, &run->st) || eng_scratch_new(run))
        return ASSAY_E_NOMEM;
    run->field_keys = calloc(n ? n : 1, sizeof *run->field_keys);
    run->bounds = calloc(n ? n : 1, sizeof *run->bounds);
    run->fplan = calloc(n ? n : 1, sizeof *run->fplan);
    run->errs_written = calloc((n + 1) * ER_COUNT, sizeof *run->errs_written);
    run->rule_errs_written = calloc(r->nrules + 1, sizeof *run->rule_errs_written);
    if (!run->field_keys || !run->bounds || !run->fplan || !run->errs_written ||
        !run->rule_errs_written)
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const rules_field *f = &r->fields[i];
        if (f->type == RT_INTEGER || f->type == RT_NUMBER)
            val_bounds_compile(f, &run->bounds[i]);
        bool single_pk = r->npk == 1 && r->primary_key[0] == i;
        bool in_pk = false;
        for (size_t k = 0; k < r->npk; k++)
            in_pk |= r->primary_key[k] == i;
        /* An integer field's own key set holds its values, not their text. */
        bool int_set = (f->unique || single_pk) && f->type == RT_INTEGER;
        eng_fplan *fp = &run->fplan[i];
        bool cleans = !run->opts->no_clean;
        fp->need_key = ((f->unique || in_pk) && !int_set) || (in_pk && r->npk > 1) ||
                       (f->enumset && (f->type == RT_INTEGER || f->type == RT_NUMBER));
        fp->clean = cleans && f->nclean > 0;
        fp->date_bounds = f->dates && val_datefmts_has_bounds(f->dates);
        fp->date_output = cleans && f->dates && val_datefmts_has_output(f->dates);
        fp->num_output = cleans && f->locnum && val_locnum_rewrites(f->locnum);
        fp->pattern = f->pattern != NULL;
        fp->enumset = f->enumset != NULL;
        fp->bounds = run->bounds[i].has_min || run->bounds[i].has_max;
        fp->length = f->min_length >= 0 || f->max_length >= 0;
        fp->strfmt = f->strfmt != RF_NONE;
        fp->quick = !fp->clean && !f->locnum && f->type != RT_OBJECT && f->type != RT_ARRAY;
        for (size_t k = 0; k < r->nrules && !fp->in_rules; k++)
            for (size_t j = 0; j < r->rules[k].nrefs && !fp->in_rules; j++)
                fp->in_rules = r->rules[k].refs[j] == i;
        if (f->unique || single_pk) {
            run->field_keys[i] = int_set ? eng_keyset_new_int(run->unique_limit)
                                         : eng_keyset_new(run->unique_limit);
            if (!run->field_keys[i])
                return ASSAY_E_NOMEM;
        }
        fp->after = run->field_keys[i] || fp->date_output || fp->num_output;
        fp->lean = fp->quick && !fp->after && !fp->in_rules;
    }
    if (r->npk > 1)
        return eng_pk_setup(run);
    return ASSAY_OK;
}

/* The clock of today()/now() and relative bounds: --now, else the system's. */
static assay_status resolve_clock(eng_run *run)
{
    const char *now = run->opts->now;
    if (!now) {
        run->now_micros = expr_clock_now();
        return ASSAY_OK;
    }
    int64_t days;
    size_t n = strlen(now);
    if (rules_parse_iso_datetime(now, n, &run->now_micros))
        return ASSAY_OK;
    if (rules_parse_iso_date(now, n, &days)) {
        run->now_micros = days * EXPR_US_PER_DAY;
        return ASSAY_OK;
    }
    return fail(run, ASSAY_E_USAGE,
                "--now %s: expected an ISO 8601 date (2024-03-05) or datetime "
                "(2024-03-05T10:22:00Z)", now);
}

static assay_status setup(eng_run *run)
{
    if (run->opts->range_set && (run->opts->ninputs != 1 || is_stdin(run->opts->inputs[0]) ||
                                 !run->rules->dialect.header))
        return fail(run, ASSAY_E_USAGE, "--byte-range reads one named file with a header "
                    "line (it seeks; the header comes from byte 0)");
    assay_status st = resolve_clock(run);
    if (!st)
        st = open_inputs(run); /* first: the format may be sniffed */
    if (!st)
        st = resolve_dialect(run);
    if (!st)
        st = check_overlap(run);
    if (!st)
        st = open_outputs(run);
    if (!st)
        st = alloc_state(run);
    if (st == ASSAY_E_NOMEM && !run->err->message[0])
        fail(run, st, "out of memory");
    return st;
}

static void free_state(eng_run *run)
{
    for (size_t i = 0; i < run->rules->nfields; i++)
        if (run->field_keys)
            eng_keyset_free(run->field_keys[i]);
    eng_scratch_free(run);
    eng_stats_free(run->rules, &run->st);
    eng_keyset_free(run->pk_keys);
    eng_inputs_close(run->inputs, run->ninputs);
    run->inputs = NULL;
    run->ninputs = 0;
    eng_header_free(run);
    core_buf_free(&run->xml_head);
    core_buf_free(&run->xml_tail);
    core_buf_free(&run->xml_head_src);
    core_buf_free(&run->xml_tail_src);
    core_buf_free(&run->xml_sep);
    free(run->ocols);
    free(run->field_keys);
    free(run->bounds);
    free(run->fplan);
    free(run->errs_written);
    free(run->rule_errs_written);
}

/* Thresholds of SPEC §2: quarantined / read <= limit (0 by default), and
 * read >= policy.min_records when set. */
size_t eng_threshold_max(const eng_run *run)
{
    return 2 + 2 * run->rules->nfields + run->rules->nrules;
}

/* How many of a date field's formats read at least one value. */
static uint64_t formats_used(const eng_run *run, size_t i)
{
    uint64_t used = 0;
    size_t nf = val_datefmts_count(run->rules->fields[i].dates);
    for (size_t k = 0; k < nf; k++)
        used += run->st.fields[i].formats[k] > 0;
    return used;
}

/* The fraction of records that passed a "mostly" check, over base records. */
static eng_threshold mostly(const char *field, const char *rule, double limit,
                            uint64_t failed, uint64_t base)
{
    double actual = base ? 1.0 - (double)failed / (double)base : 1.0;
    return (eng_threshold){"mostly", field, rule, limit, actual, actual >= limit};
}

void eng_thresholds(const eng_run *run, eng_threshold *t, size_t *n)
{
    const struct assay_rules *r = run->rules;
    const rules_policy *p = &r->policy;
    const eng_stats *s = &run->st;
    *n = 0;
    double limit = p->has_max_quarantine_rate ? p->max_quarantine_rate : 0.0;
    double actual = s->read ? (double)s->quarantined / (double)s->read : 0.0;
    t[(*n)++] = (eng_threshold){"max_quarantine_rate", NULL, NULL, limit, actual,
                                actual <= limit};
    if (p->has_min_records)
        t[(*n)++] = (eng_threshold){"min_records", NULL, NULL, (double)p->min_records,
                                    (double)s->read, s->read >= p->min_records};
    uint64_t parsed = s->read - s->unparsed;
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].mostly > 0)
            t[(*n)++] = mostly(r->fields[i].name, NULL, r->fields[i].mostly,
                               s->fields[i].failed, parsed);
    for (size_t i = 0; i < r->nfields && p->has_max_formats; i++)
        if (r->fields[i].dates && val_datefmts_count(r->fields[i].dates) > 0) {
            uint64_t used = formats_used(run, i);
            t[(*n)++] = (eng_threshold){"max_formats_per_field", r->fields[i].name, NULL,
                                        (double)p->max_formats, (double)used,
                                        used <= p->max_formats};
        }
    for (size_t k = 0; k < r->nrules; k++)
        if (r->rules[k].mostly > 0)
            t[(*n)++] = mostly(NULL, r->rules[k].name, r->rules[k].mostly,
                               s->rule_viol[k], s->rule_eval[k]);
}

/* "quarantined 0.6 of the records, above max_quarantine_rate 0" for the summary. */
static void describe_breach(assay_check_result *res, const eng_threshold *t, bool more)
{
    size_t len = strlen(res->breach);
    char *p = res->breach + len;
    size_t cap = sizeof res->breach - len;
    if (more) {
        if (cap < 3)
            return;
        memcpy(p, "; ", 3);
        p += 2;
        cap -= 2;
    }
    if (strcmp(t->name, "max_quarantine_rate") == 0)
        snprintf(p, cap, "quarantined %.4g of the records, above max_quarantine_rate %g",
                 t->actual, t->limit);
    else if (strcmp(t->name, "max_formats_per_field") == 0)
        snprintf(p, cap, "field %s mixes %.0f date formats, more than max_formats_per_field %.0f",
                 t->field, t->actual, t->limit);
    else if (strcmp(t->name, "min_records") == 0)
        snprintf(p, cap, "%.0f records read, fewer than min_records %.0f", t->actual,
                 t->limit);
    else
        snprintf(p, cap, "%s %s passed in %.4g of the records, below mostly %g",
                 t->field ? "field" : "rule", t->field ? t->field : t->rule, t->actual,
                 t->limit);
}

static assay_status finish(eng_run *run, assay_status st, assay_check_result *res)
{
    double secs = now_seconds() - run->t0;
    if (!st && run->stats_out)
        st = eng_write_stats(run, secs);
    if (!st && run->junit_out)
        st = eng_write_junit(run, secs);
    if (!st && run->metrics_out)
        st = eng_write_metrics(run, secs);
    eng_reports_free(run);
    /* All or nothing: every output is flushed and closed first; only when all
     * of that worked is any of them renamed into place. */
    io_out *outs[] = {run->out, run->quar, run->errs, run->chg, run->stats_out,
                      run->junit_out, run->metrics_out};
    size_t nout = sizeof outs / sizeof *outs;
    /* Allocated before the outputs are renamed into place: once they are, the
     * run can no longer end in exit 3. */
    eng_threshold *t = calloc(eng_threshold_max(run), sizeof *t);
    if (!t && !st)
        st = ASSAY_E_NOMEM;
    st = io_out_finish_all(outs, nout, st, run->err, &res->broken_pipe);
    size_t nt = 0;
    if (t && run->st.fields)
        eng_thresholds(run, t, &nt);
    else if (!st)
        st = ASSAY_E_NOMEM;
    res->thresholds_ok = 1;
    for (size_t i = 0; i < nt; i++)
        if (!t[i].ok)
            describe_breach(res, &t[i], res->breach[0] != 0);
    for (size_t i = 0; i < nt; i++)
        res->thresholds_ok &= t[i].ok;
    free(t);
    if (run->ninputs && run->inputs[0].dec) {
        const io_decoding *d = io_decode_info(run->inputs[0].dec);
        snprintf(res->encoding, sizeof res->encoding, "%s", d->name);
        res->decided_by = io_decided_by_name(d->decided_by);
        res->confidence = d->confidence;
    }
    res->read = run->st.read;
    res->passed = run->st.passed;
    res->quarantined = run->st.quarantined;
    res->cleaned = run->st.cleaned;
    res->skipped = run->st.skipped;
    res->unparsed = run->st.unparsed;
    res->empty_input = run->st.read == 0;
    res->seconds = secs;
    eng_fill_top(run, res);
    return st;
}

ASSAY_API assay_status assay_check_run(const assay_rules *rules, const assay_check_opts *opts,
                                       assay_check_result *res)
{
    memset(res, 0, sizeof *res);
    eng_run run;
    memset(&run, 0, sizeof run);
    run.rules = rules;
    run.opts = opts;
    run.err = &res->error;
    run.t0 = now_seconds();
    /* Allocated before any output is written: failing after the outputs
     * are published would lose the summary of a run that completed. */
    char **owned = calloc(2, sizeof *owned);
    assay_status st = owned ? setup(&run) : ASSAY_E_NOMEM;
    /* NDJSON lines are parsed and checked by the workers; JSON arrays and XML
     * (framed outputs) are checked on the calling thread. */
    bool framed = run.in_fmt == ASSAY_FMT_JSON || run.in_fmt == ASSAY_FMT_XML ||
                  run.out_fmt == ASSAY_FMT_JSON || run.out_fmt == ASSAY_FMT_XML;
    if (!st && opts->jobs && !framed)
        st = eng_pipe_start(&run);
    for (size_t k = 0; !st && k < run.ninputs; k++)
        st = run.reports ? eng_reports_input(&run, k)
                         : eng_process_input(&run, &run.inputs[k], k);
    st = eng_pipe_stop(&run, st);
    if (!st)
        st = eng_doc_finish(&run);
    if (st == ASSAY_E_NOMEM && !res->error.message[0])
        fail(&run, st, "out of memory");
    st = finish(&run, st, res);
    if (st && !res->error.message[0])
        fail(&run, st, "%s", assay_strerror(st));
    res->error.status = st;
    /* The result keeps the strings it points to; everything else is freed. */
    if (owned) {
        owned[0] = run.quarantine_path;
        owned[1] = run.pk_label;
        run.quarantine_path = run.pk_label = NULL;
    }
    res->owned = owned;
    res->quarantine_path = owned ? owned[0] : NULL;
    if (!owned)
        res->ntop = 0;
    free(run.quarantine_path);
    free(run.pk_label);
    free_state(&run);
    io_out *outs[] = {run.out, run.quar, run.errs, run.chg, run.stats_out, run.junit_out,
                      run.metrics_out};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
        io_out_free(outs[i]);
    return st;
}

ASSAY_API void assay_check_result_free(assay_check_result *res)
{
    if (!res)
        return;
    char **owned = res->owned;
    if (owned) {
        free(owned[0]);
        free(owned[1]);
        free(owned);
    }
    res->owned = NULL;
    res->ntop = 0;
    res->quarantine_path = NULL;
}
