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
#include "io/csv_writer.h"
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
    return !name || strcmp(name, "-") == 0;
}

static const char *ext_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : NULL;
}

static assay_format format_of(const assay_check_opts *o)
{
    if (o->format != ASSAY_FMT_AUTO)
        return o->format;
    const char *first = o->ninputs ? o->inputs[0] : NULL;
    const char *ext = is_stdin(first) ? NULL : ext_of(first);
    if (ext && (strcasecmp(ext, "tsv") == 0 || strcasecmp(ext, "tab") == 0))
        return ASSAY_FMT_TSV;
    return ASSAY_FMT_CSV;
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
 * in the working directory for standard input. */
static char *default_quarantine(const char *first, assay_format fmt)
{
    const char *fext = fmt == ASSAY_FMT_TSV ? "tsv" : "csv";
    if (is_stdin(first)) {
        char *p = malloc(32);
        if (p)
            snprintf(p, 32, "stdin.quarantine.%s", fext);
        return p;
    }
    const char *ext = ext_of(first);
    size_t stem = ext ? (size_t)(ext - 1 - first) : strlen(first);
    size_t cap = stem + strlen(".quarantine.") + strlen(ext ? ext : fext) + 1;
    char *p = malloc(cap);
    if (p)
        snprintf(p, cap, "%.*s.quarantine.%s", (int)stem, first, ext ? ext : fext);
    return p;
}

static assay_status resolve_dialect(eng_run *run)
{
    const assay_check_opts *o = run->opts;
    const rules_dialect *d = &run->rules->dialect;
    assay_format fmt = format_of(o);
    if (fmt != ASSAY_FMT_CSV && fmt != ASSAY_FMT_TSV)
        return fail(run, ASSAY_E_USAGE,
                    "only CSV and TSV input are supported by this version");
    char def = fmt == ASSAY_FMT_TSV ? '\t' : ',';
    run->delimiter = (char)(o->delimiter >= 0 ? o->delimiter
                            : d->delimiter >= 0 ? d->delimiter : def);
    int q = o->quote >= 0 ? o->quote : d->quote >= 0 ? d->quote : '"';
    run->quote = q == 0 ? -1 : q;
    run->header = d->header;
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
    size_t n = o->ninputs ? o->ninputs : 1;
    run->inputs = calloc(n, sizeof *run->inputs);
    if (!run->inputs)
        return ASSAY_E_NOMEM;
    run->ninputs = n;
    for (size_t k = 0; k < n; k++) {
        eng_input *in = &run->inputs[k];
        in->fd = -1;
        in->name = o->ninputs ? o->inputs[k] : "-";
        if (is_stdin(in->name)) {
            in->name = "-";
            in->fd = 0;
            continue;
        }
        in->fd = open(in->name, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0)
            return fail(run, ASSAY_E_IO, "%s: cannot open input: %s", in->name,
                        strerror(errno));
    }
    return ASSAY_OK;
}

/* An output that names an input would destroy the data it reads; two outputs
 * that name one file would clobber each other. Messages name the roles, since
 * the default quarantine path is not on the command line. */
static assay_status check_overlap(eng_run *run)
{
    const assay_check_opts *o = run->opts;
    const char *outs[] = {o->output ? o->output : "-", run->quarantine_path, o->errors,
                          o->changes, o->stats};
    const char *roles[] = {"the output (-o)",
                           o->quarantine ? "the quarantine (-q)" : "the default quarantine",
                           "the errors (-e)", "the changes (-c)", "the stats (-s)"};
    size_t nout = sizeof outs / sizeof *outs;
    for (size_t i = 0; i < nout; i++) {
        if (!outs[i] || io_path_is_null(outs[i]))
            continue;
        for (size_t j = i + 1; j < nout; j++)
            if (outs[j] && !io_path_is_null(outs[j]) && io_path_same_file(outs[i], outs[j]))
                return fail(run, ASSAY_E_USAGE, "%s and %s name one file: %s", roles[i],
                            roles[j], is_stdin(outs[j]) ? "standard output" : outs[j]);
        if (is_stdin(outs[i]))
            continue;
        for (size_t k = 0; k < run->ninputs; k++)
            if (!is_stdin(run->inputs[k].name) &&
                io_path_same_file(outs[i], run->inputs[k].name))
                return fail(run, ASSAY_E_USAGE, "%s %s names the input %s", roles[i],
                            outs[i], run->inputs[k].name);
    }
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
    return st;
}

static assay_status alloc_state(eng_run *run)
{
    const struct assay_rules *r = run->rules;
    size_t n = r->nfields;
    run->vals = calloc(n ? n : 1, sizeof *run->vals);
    run->st.fields = calloc(n ? n : 1, sizeof *run->st.fields);
    run->field_keys = calloc(n ? n : 1, sizeof *run->field_keys);
    run->bounds = calloc(n ? n : 1, sizeof *run->bounds);
    run->errs_written = calloc((n + 1) * ER_COUNT, sizeof *run->errs_written);
    run->md = val_match_data_new(r);
    run->locnum = val_locnum_worker_new();
    if (!run->vals || !run->st.fields || !run->field_keys || !run->bounds ||
        !run->errs_written || !run->md || !run->locnum)
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const rules_field *f = &r->fields[i];
        core_buf_init(&run->vals[i].clean, 0);
        core_buf_init(&run->vals[i].key, 0);
        core_buf_init(&run->vals[i].plain, 0);
        if (f->type == RT_INTEGER || f->type == RT_NUMBER)
            val_bounds_compile(f, &run->bounds[i]);
        bool single_pk = r->npk == 1 && r->primary_key[0] == i;
        if (f->unique || single_pk) {
            run->field_keys[i] = eng_keyset_new(run->unique_limit);
            if (!run->field_keys[i])
                return ASSAY_E_NOMEM;
        }
    }
    core_buf_init(&run->msgs, 0);
    core_buf_init(&run->line, 0);
    core_buf_init(&run->pkkey, 0);
    core_buf_init(&run->annot, 0);
    core_buf_init(&run->jbuf, 0);
    if (r->npk > 1)
        return eng_pk_setup(run);
    return ASSAY_OK;
}

static assay_status setup(eng_run *run)
{
    assay_status st = resolve_dialect(run);
    if (!st)
        st = open_inputs(run);
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
    for (size_t i = 0; i < run->rules->nfields; i++) {
        if (run->vals) {
            core_buf_free(&run->vals[i].clean);
            core_buf_free(&run->vals[i].key);
            core_buf_free(&run->vals[i].plain);
        }
        if (run->field_keys)
            eng_keyset_free(run->field_keys[i]);
    }
    eng_keyset_free(run->pk_keys);
    for (size_t k = 0; k < run->ninputs; k++) {
        eng_input *in = &run->inputs[k];
        io_csv_reader_free(in->reader);
        if (in->fd > 0)
            close(in->fd);
        free(in->col_of_field);
        free(in->col_named);
        free(in->out_col);
    }
    eng_header_free(run);
    free(run->inputs);
    free(run->vals);
    free(run->st.fields);
    free(run->field_keys);
    free(run->bounds);
    free(run->errs_written);
    free(run->viol);
    free(run->outfields);
    val_match_data_free(run->md);
    val_locnum_worker_free(run->locnum);
    core_buf_free(&run->msgs);
    core_buf_free(&run->line);
    core_buf_free(&run->pkkey);
    core_buf_free(&run->annot);
    core_buf_free(&run->jbuf);
}

/* Thresholds of SPEC §2: quarantined / read <= limit (0 by default), and
 * read >= policy.min_records when set. */
void eng_thresholds(const eng_run *run, eng_threshold *t, size_t *n)
{
    const rules_policy *p = &run->rules->policy;
    *n = 0;
    double limit = p->has_max_quarantine_rate ? p->max_quarantine_rate : 0.0;
    double actual = run->st.read ? (double)run->st.quarantined / (double)run->st.read : 0.0;
    t[*n] = (eng_threshold){"max_quarantine_rate", limit, actual, actual <= limit};
    (*n)++;
    if (p->has_min_records) {
        t[*n] = (eng_threshold){"min_records", (double)p->min_records,
                                (double)run->st.read, run->st.read >= p->min_records};
        (*n)++;
    }
}

static assay_status finish(eng_run *run, assay_status st, assay_check_result *res)
{
    double secs = now_seconds() - run->t0;
    if (!st && run->stats_out)
        st = eng_write_stats(run, secs);
    /* All or nothing: every output is flushed and closed first; only when all
     * of that worked is any of them renamed into place. */
    io_out *outs[] = {run->out, run->quar, run->errs, run->chg, run->stats_out};
    size_t nout = sizeof outs / sizeof *outs;
    for (size_t i = 0; i < nout && !st; i++)
        if (outs[i] && io_out_prepare(outs[i], run->err))
            st = ASSAY_E_IO;
    for (size_t i = 0; i < nout; i++) {
        if (!outs[i])
            continue;
        if (io_out_broken_pipe(outs[i]))
            res->broken_pipe = 1;
        if (st)
            io_out_abort(outs[i]);
        else if (io_out_commit(outs[i], run->err))
            st = ASSAY_E_IO;
    }
    eng_threshold t[4];
    size_t nt;
    eng_thresholds(run, t, &nt);
    res->thresholds_ok = 1;
    for (size_t i = 0; i < nt; i++)
        res->thresholds_ok &= t[i].ok;
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
    assay_status st = setup(&run);
    for (size_t k = 0; !st && k < run.ninputs; k++)
        st = eng_process_input(&run, &run.inputs[k], k);
    st = finish(&run, st, res);
    if (st && !res->error.message[0])
        fail(&run, st, "%s", assay_strerror(st));
    res->error.status = st;
    /* The result keeps the strings it points to; everything else is freed. */
    char **owned = calloc(2, sizeof *owned);
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
    io_out *outs[] = {run.out, run.quar, run.errs, run.chg, run.stats_out};
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
