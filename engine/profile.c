/* engine/profile.c — assay_profile_run: one streaming pass over the inputs
 * (the readers, encodings and dialects of check), every value of every field
 * into its accumulator (engine/profile_acc.c), then the profile document
 * (docs/profile-format.md) to --json, --html and --suggest, and the table to
 * standard output (engine/profile_table.c).
 *
 * Fields: CSV columns by header label (a later input's columns join the
 * fields of the same label; new labels are new fields); JSON and XML with a
 * rules file: the rules' fields as paths; without one: every top-level member
 * the reader reports, in first-seen order. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "core/jsonmem.h"
#include "engine/engine.h"
#include "engine/profile_acc.h"
#include "engine/profile_int.h"
#include "engine/profile_out.h"
#include "io/compress.h"
#include "io/decode.h"
#include "io/json_reader.h"
#include "io/xml_reader.h"

static const char *const default_tokens[] = {"", "NA", "N/A", "null", "NULL", "None",
                                             "-", "nan", "NaN"};

ASSAY_API void assay_profile_opts_init(assay_profile_opts *o)
{
    memset(o, 0, sizeof *o);
    o->delimiter = -1;
    o->quote = -1;
    o->header = -1;
}

static assay_status fail(prof_run *run, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static assay_status fail(prof_run *run, assay_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    run->err->status = st;
    vsnprintf(run->err->message, sizeof run->err->message, fmt, ap);
    va_end(ap);
    return st;
}

static const char *display_name(const char *name)
{
    return eng_is_stdin(name) ? "standard input" : name;
}

/* ---- missing tokens --------------------------------------------------------- */

static assay_status setup_tokens(prof_run *run)
{
    const assay_rules *r = run->rules;
    size_t n = r ? r->nmissing : sizeof default_tokens / sizeof *default_tokens;
    run->slot_names = calloc(n + 2, sizeof *run->slot_names);
    run->toklens = calloc(n + 2, sizeof *run->toklens);
    if (!run->slot_names || !run->toklens)
        return ASSAY_E_NOMEM;
    prof_ctx *c = &run->ctx;
    c->slot_empty = c->slot_null = SIZE_MAX;
    for (size_t t = 0; t < n; t++) {
        const char *s = r ? r->missing_values[t] : default_tokens[t];
        size_t len = r ? r->missing_lens[t] : strlen(s);
        run->slot_names[t] = s;
        run->toklens[t] = len;
        if (len < 63)
            c->tok_len_mask |= 1ull << len;
        if (len == 0 && c->slot_empty == SIZE_MAX)
            c->slot_empty = t;
        if (len == 4 && memcmp(s, "null", 4) == 0 && c->slot_null == SIZE_MAX)
            c->slot_null = t;
    }
    c->ntok = n;
    c->nslots = n;
    if (c->slot_empty == SIZE_MAX) { /* an XML empty element is missing anyway */
        run->slot_names[c->nslots] = "";
        c->slot_empty = c->nslots++;
    }
    if (c->slot_null == SIZE_MAX) { /* and so is a JSON null */
        run->slot_names[c->nslots] = "null";
        c->slot_null = c->nslots++;
    }
    c->tokens = run->slot_names;
    c->toklens = run->toklens;
    c->slot_names = run->slot_names;
    c->shapes_after = run->opts->shapes_after ? run->opts->shapes_after : PROF_SHAPES_AFTER;
    c->top_after = run->opts->top_after ? run->opts->top_after : PROF_TOP_AFTER;
    c->now_us = (int64_t)time(NULL) * 1000000;
    return ASSAY_OK;
}

/* ---- fields by name ------------------------------------------------------- */

static const rules_field *rules_field_named(const prof_run *run, const char *p, size_t n)
{
    for (size_t i = 0; run->rules && i < run->rules->nfields; i++) {
        const rules_field *f = &run->rules->fields[i];
        if (f->name_len == n && memcmp(f->name, p, n) == 0)
            return f;
    }
    return NULL;
}

static assay_status grow_index(prof_run *run)
{
    size_t cap = run->hcap ? run->hcap * 2 : 64;
    size_t *idx = malloc(cap * sizeof *idx);
    if (!idx)
        return ASSAY_E_NOMEM;
    for (size_t k = 0; k < cap; k++)
        idx[k] = SIZE_MAX;
    for (size_t i = 0; i < run->nfields; i++) {
        uint64_t h = XXH3_64bits(run->fields[i].name, run->fields[i].name_len);
        size_t k = (size_t)h & (cap - 1);
        while (idx[k] != SIZE_MAX)
            k = (k + 1) & (cap - 1);
        idx[k] = i;
    }
    free(run->hidx);
    run->hidx = idx;
    run->hcap = cap;
    return ASSAY_OK;
}

/* The field of that name, made when new (*out SIZE_MAX past PROF_MAX_FIELDS:
 * the value is not profiled, and the document says how many were left out). */
static assay_status field_of(prof_run *run, const char *p, size_t n, size_t *out)
{
    if (run->hcap == 0 || (run->nfields + 1) * 2 > run->hcap) {
        assay_status st = grow_index(run);
        if (st)
            return st;
    }
    uint64_t h = XXH3_64bits(p, n);
    size_t k = (size_t)h & (run->hcap - 1);
    for (; run->hidx[k] != SIZE_MAX; k = (k + 1) & (run->hcap - 1)) {
        const prof_field *f = &run->fields[run->hidx[k]];
        if (f->name_len == n && memcmp(f->name, p, n) == 0) {
            *out = run->hidx[k];
            return ASSAY_OK;
        }
    }
    if (run->nfields >= PROF_MAX_FIELDS) {
        run->fields_dropped++;
        *out = SIZE_MAX;
        return ASSAY_OK;
    }
    if (run->nfields == run->capfields) {
        size_t cap = run->capfields ? run->capfields * 2 : 16;
        prof_field *nf = realloc(run->fields, cap * sizeof *nf);
        if (!nf)
            return ASSAY_E_NOMEM;
        run->fields = nf;
        run->capfields = cap;
    }
    prof_field *f = &run->fields[run->nfields];
    int rc = prof_field_init(f, &run->ctx, p, n, rules_field_named(run, p, n));
    run->nfields++; /* freed with the others, even half made */
    if (rc)
        return ASSAY_E_NOMEM;
    run->hidx[k] = run->nfields - 1;
    *out = run->nfields - 1;
    return ASSAY_OK;
}

/* ---- inputs ---------------------------------------------------------------- */

typedef struct counted_src {
    eng_input *in;
    uint64_t bytes;
} counted_src;

static ptrdiff_t counted_read(void *ctx, char *buf, size_t cap)
{
    counted_src *s = ctx;
    ptrdiff_t r = io_decode_read(s->in->dec, buf, cap);
    if (r > 0)
        s->bytes += (uint64_t)r;
    return r;
}

static assay_status check_interrupt(prof_run *run)
{
    if (run->opts->interrupted && *run->opts->interrupted)
        return fail(run, ASSAY_E_IO, "interrupted");
    return ASSAY_OK;
}

/* Adds the value to field i (SIZE_MAX: left out). */
static assay_status add_value(prof_run *run, size_t i, const char *p, size_t n, bool null_json,
                              bool utf8_known)
{
    if (i == SIZE_MAX)
        return ASSAY_OK;
    if (run->par)
        return prof_par_value(run, i, p, n, null_json, utf8_known);
    run->b_vals++;
    run->b_bytes += p ? n : 0;
    if (prof_field_add(&run->fields[i], &run->ctx, p, n, null_json, utf8_known, run->rec_no))
        return ASSAY_E_NOMEM;
    return ASSAY_OK;
}

/* The record's values are all added: with -j, maybe the end of a batch. */
static assay_status end_record(prof_run *run)
{
    if (run->par)
        return prof_par_record(run);
    if (prof_batch_full(run, ++run->b_records, run->b_vals, run->b_bytes)) {
        for (size_t i = 0; i < run->nfields; i++)
            prof_field_end_batch(&run->fields[i]);
        run->b_records = run->b_vals = run->b_bytes = 0;
    }
    return ASSAY_OK;
}

static assay_status csv_columns(prof_run *run, prof_input *pi, const io_slice *labels,
                                size_t n, bool named)
{
    free(pi->col_field);
    pi->col_field = malloc((n ? n : 1) * sizeof *pi->col_field);
    if (!pi->col_field)
        return ASSAY_E_NOMEM;
    pi->ncols = n;
    for (size_t c = 0; c < n; c++) {
        char buf[32];
        const char *p;
        size_t len;
        if (named) {
            p = labels[c].p;
            len = labels[c].n;
        } else if (run->rules && c < run->rules->nfields) {
            p = run->rules->fields[c].name;
            len = run->rules->fields[c].name_len;
        } else {
            len = (size_t)snprintf(buf, sizeof buf, "column_%zu", c + 1);
            p = buf;
        }
        assay_status st = field_of(run, p, len, &pi->col_field[c]);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

static assay_status read_csv(prof_run *run, eng_input *in, prof_input *pi, counted_src *src)
{
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.delimiter = run->delimiter;
    o.quote = run->quote;
    o.header = run->header;
    o.max_record_bytes = run->opts->max_record_bytes;
    o.max_field_bytes = run->opts->max_field_bytes;
    if (run->opts->read_block)
        o.block_size = run->opts->read_block;
    assay_status st = io_csv_reader_new(counted_read, src, &o, &in->reader);
    if (st)
        return st;
    bool have_cols = false;
    for (;;) {
        io_record rec;
        bool eof;
        st = io_csv_next(in->reader, &rec, &eof, run->err);
        if (st || eof)
            return st;
        if (rec.is_header) {
            if (rec.continued)
                continue;
            size_t n = 0;
            const io_slice *labels = io_csv_header(in->reader, &n);
            if (rec.kind != IO_REC_OK || !labels) {
                pi->unparsed++; /* a damaged header: columns by position */
                continue;
            }
            if ((st = csv_columns(run, pi, labels, n, true)))
                return st;
            have_cols = true;
            continue;
        }
        if (rec.kind == IO_REC_BLANK) {
            pi->blank++;
            continue;
        }
        if (rec.kind != IO_REC_OK) {
            pi->unparsed += !rec.continued;
            continue;
        }
        if (!have_cols) {
            if ((st = csv_columns(run, pi, NULL, rec.nfields, false)))
                return st;
            have_cols = true;
        }
        run->rec_no = run->records + pi->records;
        pi->records++;
        pi->ragged += rec.nfields != pi->ncols;
        size_t n = rec.nfields < pi->ncols ? rec.nfields : pi->ncols;
        bool utf8 = !rec.bad_utf8;
        for (size_t c = 0; c < n; c++)
            if ((st = add_value(run, pi->col_field[c], rec.fields[c].p, rec.fields[c].n,
                                false, utf8)))
                return st;
        if ((st = end_record(run)))
            return st;
        if ((pi->records & 0xFFF) == 0 && (st = check_interrupt(run)))
            return st;
    }
}

/* A JSON string token's text, unescaped into b (invalid escapes kept as
 * written). */
static assay_status json_unescape(core_buf *b, const char *p, size_t n)
{
    core_buf_clear(b);
    if (n >= 2 && p[0] == '"') {
        p++;
        n -= 2;
    }
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c != '\\' || i + 1 >= n) {
            if (core_buf_putc(b, c))
                return ASSAY_E_NOMEM;
            continue;
        }
        char e = p[++i];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (simple && e) {
            static const char out[] = "\"\\/\b\f\n\r\t";
            if (core_buf_putc(b, out[simple - "\"\\/bfnrt"]))
                return ASSAY_E_NOMEM;
            continue;
        }
        unsigned cp = 0;
        if (e != 'u' || i + 4 >= n + 0 || sscanf(p + i + 1, "%4x", &cp) != 1) {
            if (core_buf_putc(b, '\\') || core_buf_putc(b, e))
                return ASSAY_E_NOMEM;
            continue;
        }
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < n && p[i + 1] == '\\' && p[i + 2] == 'u') {
            unsigned lo = 0;
            if (sscanf(p + i + 3, "%4x", &lo) == 1 && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        char u[4];
        size_t un;
        if (cp < 0x80) {
            u[0] = (char)cp;
            un = 1;
        } else if (cp < 0x800) {
            u[0] = (char)(0xC0 | (cp >> 6));
            u[1] = (char)(0x80 | (cp & 0x3F));
            un = 2;
        } else if (cp < 0x10000) {
            u[0] = (char)(0xE0 | (cp >> 12));
            u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (char)(0x80 | (cp & 0x3F));
            un = 3;
        } else {
            u[0] = (char)(0xF0 | (cp >> 18));
            u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[3] = (char)(0x80 | (cp & 0x3F));
            un = 4;
        }
        if (core_buf_append(b, u, un))
            return ASSAY_E_NOMEM;
    }
    return ASSAY_OK;
}

/* XML text with the five predefined entities and character references
 * decoded (what the reader does for the rules' paths). */
static assay_status xml_unescape(core_buf *b, const char *p, size_t n)
{
    static const struct { const char *ent; char c; } ents[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    core_buf_clear(b);
    for (size_t i = 0; i < n; i++) {
        bool done = false;
        if (p[i] == '&') {
            for (size_t k = 0; k < sizeof ents / sizeof *ents && !done; k++) {
                size_t el = strlen(ents[k].ent);
                if (i + el <= n && memcmp(p + i, ents[k].ent, el) == 0) {
                    if (core_buf_putc(b, ents[k].c))
                        return ASSAY_E_NOMEM;
                    i += el - 1;
                    done = true;
                }
            }
            if (!done && i + 3 < n && p[i + 1] == '#') {
                const char *semi = memchr(p + i, ';', n - i < 12 ? n - i : 12);
                char num[16];
                size_t nl = semi ? (size_t)(semi - (p + i + 2)) : 0;
                if (semi && nl > 0 && nl < sizeof num) {
                    memcpy(num, p + i + 2, nl);
                    num[nl] = '\0';
                    char *end;
                    unsigned long cp = num[0] == 'x' ? strtoul(num + 1, &end, 16)
                                                     : strtoul(num, &end, 10);
                    if (*end == '\0' && cp > 0 && cp <= 0x10FFFF &&
                        !(cp >= 0xD800 && cp <= 0xDFFF)) {
                        char u[4];
                        size_t un = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                        static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
                        for (size_t k = un; k-- > 1;) {
                            u[k] = (char)(0x80 | (cp & 0x3F));
                            cp >>= 6;
                        }
                        u[0] = (char)(un == 1 ? cp : (lead[un] | cp));
                        if (core_buf_append(b, u, un))
                            return ASSAY_E_NOMEM;
                        i = (size_t)(semi - p);
                        done = true;
                    }
                }
            }
        }
        if (!done && core_buf_putc(b, p[i]))
            return ASSAY_E_NOMEM;
    }
    return ASSAY_OK;
}

/* A member of a record that no path names: without rules, every member. */
static assay_status add_extra(prof_run *run, const io_record *rec, const io_docextra *x,
                              bool xml)
{
    const char *raw = rec->raw;
    assay_status st;
    size_t field;
    /* the name */
    if (xml) {
        bool attr = raw[x->off] != '<';
        core_buf_clear(&run->name);
        if ((attr && core_buf_putc(&run->name, '@')) ||
            core_buf_append(&run->name, raw + x->name_off, x->name_len))
            return ASSAY_E_NOMEM;
    } else if ((st = json_unescape(&run->name, raw + x->name_off, x->name_len)))
        return st;
    if ((st = field_of(run, run->name.data ? run->name.data : "", run->name.len, &field)))
        return st;
    const char *v = raw + x->val_off;
    size_t n = x->val_len;
    bool utf8 = !rec->bad_utf8;
    if (xml) {
        if (n == 0)
            return add_value(run, field, NULL, 0, false, utf8);
        if (memchr(v, '<', n)) /* child elements, CDATA: the source text */
            return add_value(run, field, v, n, false, utf8);
        if ((st = xml_unescape(&run->value, v, n)))
            return st;
    } else {
        if (n == 4 && memcmp(v, "null", 4) == 0)
            return add_value(run, field, NULL, 0, true, utf8);
        if (n == 0 || v[0] != '"') /* numbers, booleans, objects, arrays as written */
            return add_value(run, field, v, n, false, utf8);
        if ((st = json_unescape(&run->value, v, n)))
            return st;
    }
    return add_value(run, field, run->value.data ? run->value.data : "", run->value.len, false,
                     false);
}

static assay_status read_doc(prof_run *run, eng_input *in, prof_input *pi, counted_src *src)
{
    const assay_rules *r = run->rules;
    size_t np = r ? r->nfields : 0;
    const char **paths = malloc((np ? np : 1) * sizeof *paths);
    if (!paths)
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < np; i++)
        paths[i] = r->fields[i].name;
    bool xml = run->fmt == ASSAY_FMT_XML;
    io_xml_reader *xr = NULL;
    io_json_reader *jr = NULL;
    assay_status st;
    if (xml) {
        io_xml_opts o = {.record_path = run->record_path, .paths = paths, .npaths = np,
                         .max_record_bytes = run->opts->max_record_bytes,
                         .block_size = run->opts->read_block};
        st = io_xml_reader_new(counted_read, src, &o, &xr);
    } else {
        io_json_opts o = {.array = run->fmt == ASSAY_FMT_JSON, .paths = paths, .npaths = np,
                          .max_record_bytes = run->opts->max_record_bytes,
                          .block_size = run->opts->read_block};
        st = io_json_reader_new(counted_read, src, &o, &jr);
    }
    while (!st) {
        io_record rec;
        bool eof = false;
        st = xml ? io_xml_next(xr, &rec, &eof, run->err) : io_json_next(jr, &rec, &eof, run->err);
        if (st || eof)
            break;
        if (rec.kind == IO_REC_BLANK) {
            pi->blank++;
            continue;
        }
        if (rec.kind != IO_REC_OK || !rec.doc) {
            pi->unparsed += !rec.continued;
            continue;
        }
        run->rec_no = run->records + pi->records;
        pi->records++;
        bool utf8 = !rec.bad_utf8;
        for (size_t i = 0; i < np && !st; i++) {
            const io_docval *dv = &rec.doc->vals[i];
            if (dv->kind == IO_V_ABSENT)
                continue;
            st = add_value(run, run->rule_field[i], rec.fields[i].p, rec.fields[i].n,
                           !xml && dv->kind == IO_V_NULL, utf8);
        }
        for (size_t k = 0; !r && k < rec.doc->nextra && !st; k++)
            st = add_extra(run, &rec, &rec.doc->extra[k], xml);
        if (!st)
            st = end_record(run);
        if (!st && (pi->records & 0xFFF) == 0)
            st = check_interrupt(run);
    }
    if (!st && xr && io_xml_has_elements(xr) && !io_xml_matched(xr))
        st = fail(run, ASSAY_E_USAGE, "%s: no element matches the record path %s",
                  display_name(in->name), run->record_path);
    io_xml_reader_free(xr);
    io_json_reader_free(jr);
    free(paths);
    return st;
}

/* Prefixes a reader's message with the input's name (as check does). */
static assay_status read_fail(prof_run *run, const eng_input *in, assay_status st)
{
    char *m = run->err->message;
    const char *name = display_name(in->name);
    size_t n = strlen(name);
    const char *damaged = in->unzip ? io_unzip_error(in->unzip) : NULL;
    if (damaged)
        snprintf(m, sizeof run->err->message, "%s: %s", name, damaged);
    else if (!m[0])
        snprintf(m, sizeof run->err->message, "%s: %s", name, assay_strerror(st));
    else if ((strncmp(m, name, n) != 0 || m[n] != ':') && n + 2 < sizeof run->err->message) {
        size_t room = sizeof run->err->message - 1 - (n + 2), len = strlen(m);
        size_t keep = len < room ? len : room;
        memmove(m + n + 2, m, keep);
        m[n + 2 + keep] = '\0';
        memcpy(m, name, n);
        memcpy(m + n, ": ", 2);
    }
    run->err->status = st;
    return st;
}

static assay_status read_input(prof_run *run, size_t k)
{
    eng_input *in = &run->inputs[k];
    prof_input *pi = &run->pin[k];
    counted_src src = {in, 0};
    io_decode_keep_source(in->dec, false); /* nothing is quarantined */
    assay_status st = eng_fmt_doc(run->fmt) ? read_doc(run, in, pi, &src)
                                            : read_csv(run, in, pi, &src);
    pi->bytes = src.bytes;
    run->records += pi->records;
    run->bytes += pi->bytes;
    if (st && st != ASSAY_E_USAGE && st != ASSAY_E_NOMEM)
        return read_fail(run, in, st);
    return st;
}

/* ---- setup ------------------------------------------------------------------ */

static assay_status resolve(prof_run *run)
{
    const assay_profile_opts *o = run->opts;
    const rules_dialect *d = run->rules ? &run->rules->dialect : NULL;
    run->fmt = eng_format_resolve(o->format, run->inputs, run->ninputs);
    char def = run->fmt == ASSAY_FMT_TSV ? '\t' : ',';
    run->delimiter = (char)(o->delimiter >= 0 ? o->delimiter
                            : d && d->delimiter >= 0 ? d->delimiter : def);
    int q = o->quote >= 0 ? o->quote : d && d->quote >= 0 ? d->quote : '"';
    run->quote = q == 0 ? -1 : q;
    run->header = o->header >= 0 ? o->header != 0 : d ? d->header : true;
    if (run->fmt == ASSAY_FMT_XML) {
        run->record_path = o->record_path ? o->record_path : d ? d->record_path : NULL;
        if (!run->record_path)
            return fail(run, ASSAY_E_USAGE, "XML input needs the record element: "
                        "--record-path /root/record, or \"recordPath\" in the rules' dialect");
    } else if (o->record_path)
        return fail(run, ASSAY_E_USAGE, "--record-path applies to XML input only");
    return ASSAY_OK;
}

static assay_status check_overlap(prof_run *run)
{
    const assay_profile_opts *o = run->opts;
    const char *outs[] = {o->json, o->html, o->suggest};
    const char *roles[] = {"the profile (--json)", "the report (--html)",
                           "the suggested rules (--suggest)"};
    char msg[600];
    if (eng_outputs_clash(outs, roles, sizeof outs / sizeof *outs, run->inputs, run->ninputs,
                          msg, sizeof msg))
        return fail(run, ASSAY_E_USAGE, "%s", msg);
    return ASSAY_OK;
}

static assay_status open_outputs(prof_run *run)
{
    const assay_profile_opts *o = run->opts;
    const char *paths[] = {o->json, o->html, o->suggest};
    io_out **outs[] = {&run->json_out, &run->html_out, &run->suggest_out};
    bool stdout_taken = false;
    for (size_t i = 0; i < 3; i++) {
        if (!paths[i])
            continue;
        stdout_taken |= eng_is_stdin(paths[i]);
        assay_status st = io_out_open(outs[i], paths[i], o->on_tempfile, o->tempfile_ctx,
                                      run->err);
        if (st)
            return st;
    }
    if (!stdout_taken && !o->no_table)
        return io_out_open(&run->table_out, NULL, NULL, NULL, run->err);
    return ASSAY_OK;
}

static assay_status setup(prof_run *run)
{
    const assay_profile_opts *o = run->opts;
    const char *enc = o->encoding ? o->encoding
                      : run->rules && run->rules->encoding ? run->rules->encoding : "auto";
    assay_status st = eng_inputs_open(o->inputs, o->ninputs, enc, false, &run->inputs,
                                      &run->ninputs, run->err);
    if (!st)
        st = resolve(run);
    if (!st)
        st = check_overlap(run);
    if (!st)
        st = open_outputs(run);
    if (!st)
        st = setup_tokens(run);
    if (!st)
        st = prof_ctx_formats(&run->ctx, run->err);
    if (!st) {
        run->pin = calloc(run->ninputs, sizeof *run->pin);
        size_t np = run->rules ? run->rules->nfields : 0;
        run->rule_field = calloc(np ? np : 1, sizeof *run->rule_field);
        if (!run->pin || !run->rule_field)
            st = ASSAY_E_NOMEM;
        /* with rules, JSON and XML fields are the rules' paths, in their order */
        for (size_t i = 0; !st && eng_fmt_doc(run->fmt) && i < np; i++)
            st = field_of(run, run->rules->fields[i].name, run->rules->fields[i].name_len,
                          &run->rule_field[i]);
    }
    if (st == ASSAY_E_NOMEM && !run->err->message[0])
        fail(run, st, "out of memory");
    return st;
}

static void free_run(prof_run *run)
{
    for (size_t i = 0; i < run->nfields; i++)
        prof_field_free(&run->fields[i]);
    free(run->fields);
    free(run->hidx);
    for (size_t k = 0; run->pin && k < run->ninputs; k++)
        free(run->pin[k].col_field);
    free(run->pin);
    free(run->rule_field);
    eng_inputs_close(run->inputs, run->ninputs);
    prof_ctx_free_formats(&run->ctx);
    free(run->slot_names);
    free(run->toklens);
    core_buf_free(&run->name);
    core_buf_free(&run->value);
    io_out *outs[] = {run->json_out, run->html_out, run->suggest_out, run->table_out};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
        io_out_free(outs[i]);
}

/* ---- the document and the outputs ------------------------------------------------ */

static json_t *input_json(const prof_run *run, size_t k)
{
    const eng_input *in = &run->inputs[k];
    const prof_input *pi = &run->pin[k];
    const io_decoding *d = io_decode_info(in->dec);
    json_t *o = json_object(), *enc = json_object(), *dia = json_object();
    if (!o || !enc || !dia) {
        json_decref(o);
        json_decref(enc);
        json_decref(dia);
        return NULL;
    }
    char delim[2] = {run->delimiter, 0}, quote[2] = {(char)run->quote, 0};
    int bad = json_object_set_new(o, "name", json_string(eng_is_stdin(in->name) ? "-" : in->name));
    bad |= json_object_set_new(o, "format", json_string(eng_format_name(run->fmt)));
    bad |= json_object_set_new(o, "bytes", json_integer((json_int_t)pi->bytes));
    bad |= json_object_set_new(o, "records", json_integer((json_int_t)pi->records));
    bad |= json_object_set_new(o, "ragged", json_integer((json_int_t)pi->ragged));
    bad |= json_object_set_new(o, "blank", json_integer((json_int_t)pi->blank));
    bad |= json_object_set_new(o, "unparsed", json_integer((json_int_t)pi->unparsed));
    bad |= json_object_set_new(enc, "name", json_string(d->name));
    bad |= json_object_set_new(enc, "decided_by", json_string(io_decided_by_name(d->decided_by)));
    bad |= json_object_set_new(enc, "confidence", json_integer(d->confidence));
    bad |= json_object_set_new(o, "encoding", enc);
    if (run->fmt == ASSAY_FMT_XML)
        bad |= json_object_set_new(dia, "record_path", json_string(run->record_path));
    else if (eng_fmt_doc(run->fmt))
        bad |= json_object_set_new(dia, "array", json_boolean(run->fmt == ASSAY_FMT_JSON));
    else {
        bad |= json_object_set_new(dia, "delimiter", json_string(delim));
        bad |= json_object_set_new(dia, "quote", run->quote < 0 ? json_null() : json_string(quote));
        bad |= json_object_set_new(dia, "header", json_boolean(run->header));
    }
    bad |= json_object_set_new(o, "dialect", dia);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *document(const prof_run *run)
{
    json_t *doc = json_object(), *inputs = json_array(), *fields = json_array();
    json_t *sampling = json_object();
    if (!doc || !inputs || !fields || !sampling) {
        json_decref(doc);
        json_decref(inputs);
        json_decref(fields);
        json_decref(sampling);
        return NULL;
    }
    int bad = json_object_set_new(doc, "profile_version", json_integer(1));
    bad |= json_object_set_new(doc, "records", json_integer((json_int_t)run->records));
    bad |= json_object_set_new(doc, "bytes", json_integer((json_int_t)run->bytes));
    for (size_t k = 0; k < run->ninputs; k++)
        bad |= json_array_append_new(inputs, input_json(run, k));
    bad |= json_object_set_new(doc, "inputs", inputs);
    bad |= json_object_set_new(sampling, "shapes_after",
                               json_integer((json_int_t)run->ctx.shapes_after));
    bad |= json_object_set_new(sampling, "top_after",
                               json_integer((json_int_t)run->ctx.top_after));
    bad |= json_object_set_new(doc, "sampling", sampling);
    bad |= json_object_set_new(doc, "fields_left_out", json_integer((json_int_t)run->fields_dropped));
    for (size_t i = 0; i < run->nfields; i++)
        bad |= json_array_append_new(fields, prof_field_json(&run->fields[i], &run->ctx));
    bad |= json_object_set_new(doc, "fields", fields);
    if (bad) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static assay_status write_json(prof_run *run, const json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        return fail(run, ASSAY_E_NOMEM, "out of memory");
    assay_status st = io_out_write(run->json_out, text, strlen(text));
    if (!st)
        st = io_out_write(run->json_out, "\n", 1);
    free(text);
    return st ? io_out_error(run->json_out, run->err) : ASSAY_OK;
}

static assay_status finish(prof_run *run, assay_status st, assay_profile_result *res)
{
    json_t *doc = NULL;
    if (!st) {
        core_json_watch(); /* a member the builders could not add */
        doc = document(run);
        if (!doc || core_json_failed())
            st = fail(run, ASSAY_E_NOMEM, "out of memory");
    }
    if (!st && run->json_out)
        st = write_json(run, doc);
    if (!st && run->html_out)
        st = eng_profile_html(doc, run->html_out, run->err);
    if (!st && run->suggest_out)
        st = eng_profile_suggest(doc, run->suggest_out, run->err);
    if (!st && run->table_out)
        st = prof_table(run, run->table_out);
    json_decref(doc);
    io_out *outs[] = {run->json_out, run->html_out, run->suggest_out, run->table_out};
    size_t nout = sizeof outs / sizeof *outs;
    st = io_out_finish_all(outs, nout, st, run->err, &res->broken_pipe);
    return st;
}

ASSAY_API assay_status assay_profile_run(const assay_rules *rules, const assay_profile_opts *opts,
                                         assay_profile_result *res)
{
    memset(res, 0, sizeof *res);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    prof_run run;
    memset(&run, 0, sizeof run);
    run.rules = rules;
    run.opts = opts;
    run.err = &res->error;
    run.batch_records = opts->batch_records ? opts->batch_records : PROF_PAR_RECORDS;
    core_buf_init(&run.name, 0);
    core_buf_init(&run.value, 0);
    assay_status st = setup(&run);
    if (!st && opts->jobs)
        st = prof_par_start(&run, opts->jobs);
    for (size_t k = 0; !st && k < run.ninputs; k++)
        st = read_input(&run, k);
    assay_status pst = prof_par_finish(&run, st == ASSAY_OK);
    if (!st)
        st = pst;
    for (size_t i = 0; !st && i < run.nfields; i++) /* the last batch */
        prof_field_end_batch(&run.fields[i]);
    if (st == ASSAY_E_NOMEM && !res->error.message[0])
        fail(&run, st, "out of memory");
    st = finish(&run, st, res);
    if (st && !res->error.message[0])
        fail(&run, st, "%s", assay_strerror(st));
    res->error.status = st;
    res->records = run.records;
    res->bytes = run.bytes;
    res->nfields = run.nfields;
    if (run.ninputs && run.inputs && run.inputs[0].dec) {
        const io_decoding *d = io_decode_info(run.inputs[0].dec);
        snprintf(res->encoding, sizeof res->encoding, "%s", d->name);
        res->decided_by = io_decided_by_name(d->decided_by);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    free_run(&run);
    return st;
}

ASSAY_API void assay_profile_result_free(assay_profile_result *res)
{
    if (res)
        res->decided_by = NULL;
}
