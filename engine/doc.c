/* engine/doc.c — records in NDJSON, JSON arrays and XML, and conversion
 * between formats.
 *
 * Reading: a JSON or XML reader (io/json_reader.h, io/xml_reader.h) is given
 * the rules' field names as paths and hands out records whose fields are in
 * plan order, so an input's "columns" are the fields themselves.
 *
 * Writing: a record that passes unchanged in its own format is copied as its
 * bytes; a cleaned value is spliced into the original text (keys keep their
 * order, numbers their digits, the rest of the record its bytes). A JSON
 * array output or quarantine is a valid array of the records' bytes; an XML
 * one is the input's head (prolog and ancestors' start tags), the records and
 * its tail. Conversions (CSV <-> NDJSON/JSON, XML -> CSV/JSON) write the
 * output columns of eng_out_columns with typed JSON values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "io/csv_writer.h"
#include "io/decode.h"
#include "io/json_reader.h"
#include "io/xml_reader.h"

bool eng_fmt_doc(assay_format f)
{
    return f == ASSAY_FMT_NDJSON || f == ASSAY_FMT_JSON || f == ASSAY_FMT_XML;
}

/* ---- framing ------------------------------------------------------------ */

/* The XML head for o: the quarantine keeps an input's own bytes (its
 * encoding); the output is UTF-8. */
static const core_buf *head_for(const eng_run *run, const io_out *o)
{
    return o == run->quar && run->xml_head_src.len ? &run->xml_head_src : &run->xml_head;
}

/* Before a record of a JSON array or XML output: the opening bracket or the
 * XML head for the first, a separator for the others. */
assay_status eng_doc_sep(eng_run *run, io_out *o, bool *started, assay_format fmt)
{
    assay_status st = ASSAY_OK;
    if (fmt == ASSAY_FMT_JSON)
        st = *started ? io_out_write(o, ",\n", 2) : io_out_write(o, "[\n", 2);
    else if (fmt == ASSAY_FMT_XML && !*started) {
        const core_buf *h = head_for(run, o);
        st = io_out_write(o, h->data ? h->data : "", h->len);
    }
    else if (fmt == ASSAY_FMT_XML)
        st = io_out_write(o, run->xml_sep.data ? run->xml_sep.data : "\n", run->xml_sep.data ? run->xml_sep.len : 1);
    *started = true;
    return st;
}

static assay_status frame_end(eng_run *run, io_out *o, bool started, assay_format fmt)
{
    if (!o)
        return ASSAY_OK;
    if (fmt == ASSAY_FMT_JSON)
        return started ? io_out_write(o, "\n]\n", 3) : io_out_write(o, "[]\n", 3);
    if (fmt != ASSAY_FMT_XML)
        return ASSAY_OK;
    assay_status st = ASSAY_OK;
    const core_buf *h = head_for(run, o);
    const core_buf *t = o == run->quar && run->xml_tail_src.len ? &run->xml_tail_src
                                                                 : &run->xml_tail;
    if (!started)
        st = io_out_write(o, h->data ? h->data : "", h->len);
    if (!st && t->len)
        st = io_out_write(o, t->data, t->len);
    return st;
}

/* The closing bracket or XML tail of the output and the quarantine, and the
 * CSV header of a converted output that got no record. */
assay_status eng_doc_finish(eng_run *run)
{
    assay_status st = frame_end(run, run->out, run->out_started, run->out_fmt);
    if (!st)
        st = frame_end(run, run->quar, run->quar_started, run->in_fmt);
    if (!st && eng_fmt_doc(run->in_fmt) && !eng_fmt_doc(run->out_fmt) && !run->headers_written)
        st = eng_doc_csv_header(run);
    return st;
}

/* ---- output columns ------------------------------------------------------ */

/* The output's columns when they are not the first input's as read: the
 * rules' fields (--schema-order, or a JSON/XML input), else the first input's
 * columns without those no field names (policy.extra_fields "drop"), else all
 * of them (a conversion to JSON). Set once, from the first header. */
assay_status eng_out_columns(eng_run *run)
{
    const struct assay_rules *r = run->rules;
    bool fields = run->opts->schema_order || eng_fmt_doc(run->in_fmt) || !run->header;
    size_t cap = fields ? r->nfields : run->nfirst;
    run->ocols = calloc(cap ? cap : 1, sizeof *run->ocols);
    if (!run->ocols)
        return ASSAY_E_NOMEM;
    run->nocols = 0;
    if (fields) {
        for (size_t i = 0; i < r->nfields; i++)
            run->ocols[run->nocols++] = (eng_ocol){r->fields[i].name, r->fields[i].name_len,
                                                   (ptrdiff_t)i, SIZE_MAX};
        return ASSAY_OK;
    }
    const eng_input *first = &run->inputs[0];
    for (size_t k = 0; k < run->ninputs && !run->inputs[k].col_of_field; k++)
        first = &run->inputs[k + 1];
    for (size_t c = 0; c < run->nfirst; c++) {
        ptrdiff_t field = -1;
        for (size_t i = 0; first && first->col_of_field && i < r->nfields && field < 0; i++)
            if (first->col_of_field[i] == (ptrdiff_t)c)
                field = (ptrdiff_t)i;
        if (field < 0 && r->policy.extra_fields == REXTRA_DROP)
            continue;
        run->ocols[run->nocols++] = (eng_ocol){run->first_labels[c], run->first_label_lens[c],
                                               field, c};
    }
    return ASSAY_OK;
}

/* Output column k of this record: the field's value as checked (cleaned when
 * a step changed it), else the record's column. */
static io_slice ocol_value(const eng_run *run, const io_record *rec, const eng_input *in,
                           size_t k)
{
    const eng_ocol *oc = &run->ocols[k];
    if (oc->field >= 0) {
        const eng_value *v = &run->vals[oc->field];
        if (!v->present || v->absent)
            return (io_slice){"", 0};
        return (io_slice){v->p, v->n};
    }
    size_t src = run->header ? in->out_col[oc->col] : oc->col;
    return src < rec->nfields ? rec->fields[src] : (io_slice){"", 0};
}

/* The CSV header of a converted output: the output columns' names. */
assay_status eng_doc_csv_header(eng_run *run)
{
    if (!run->ocols && eng_out_columns(run))
        return ASSAY_E_NOMEM;
    run->headers_written = true;
    if (run->nocols == 0) /* no column to name (a damaged header, nothing kept) */
        return ASSAY_OK;
    io_slice *lab = calloc(run->nocols ? run->nocols : 1, sizeof *lab);
    if (!lab)
        return ASSAY_E_NOMEM;
    for (size_t k = 0; k < run->nocols; k++)
        lab[k] = (io_slice){run->ocols[k].name, run->ocols[k].len};
    core_buf_clear(&run->line);
    assay_status st = io_csvw_record(&run->line, lab, run->nocols, run->out_delim,
                                     run->out_quote < 0 ? '"' : run->out_quote, run->eol,
                                     run->eol_len);
    free(lab);
    if (!st)
        st = io_out_write(run->out, run->line.data, run->line.len);
    return st;
}

/* ---- JSON values --------------------------------------------------------- */

/* RFC 8259's number grammar. */
static bool json_number_text(const char *p, size_t n)
{
    size_t i = 0;
    if (i < n && p[i] == '-')
        i++;
    if (i >= n || p[i] < '0' || p[i] > '9')
        return false;
    if (p[i] == '0')
        i++;
    else
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    if (i < n && p[i] == '.') {
        size_t d = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* A field's value as JSON: typed when it passed its type (integers,
 * numbers, booleans; objects and arrays as their text), null when missing,
 * else a string. */
static assay_status json_value(core_buf *b, const eng_run *run, size_t i,
                               const eng_value *v)
{
    const rules_field *f = &run->rules->fields[i];
    if (v->missing)
        return core_buf_puts(b, "null");
    if (v->type_ok) {
        switch (f->type) {
        case RT_INTEGER:
            if (json_number_text(v->p, v->n))
                return core_buf_append(b, v->p, v->n);
            return core_buf_printf(b, "%lld", (long long)v->ival);
        case RT_NUMBER:
            if (json_number_text(v->p, v->n))
                return core_buf_append(b, v->p, v->n);
            break;
        case RT_BOOLEAN:
            return core_buf_puts(b, v->bval ? "true" : "false");
        case RT_OBJECT: case RT_ARRAY:
            if (v->doc && !v->changed && v->doc->kind != IO_V_STRING)
                return core_buf_append(b, v->p, v->n);
            break;
        default:
            break;
        }
    }
    return core_buf_json_str(b, v->p, v->n);
}

/* The record as one JSON object of the output columns. Every append is
 * checked: after a failed one, a later one may succeed. */
static assay_status json_object(core_buf *b, const eng_run *run, const io_record *rec,
                                const eng_input *in)
{
    assay_status st = core_buf_putc(b, '{');
    for (size_t k = 0; !st && k < run->nocols; k++) {
        const eng_ocol *oc = &run->ocols[k];
        if (k)
            st = core_buf_putc(b, ',');
        st = st ? st : core_buf_json_str(b, oc->name, oc->len);
        st = st ? st : core_buf_putc(b, ':');
        if (st)
            break;
        if (oc->field >= 0) {
            st = json_value(b, run, (size_t)oc->field, &run->vals[oc->field]);
            continue;
        }
        io_slice s = ocol_value(run, rec, in, k);
        st = core_buf_json_str(b, s.p, s.n);
    }
    return st ? st : core_buf_putc(b, '}');
}

/* ---- splicing ------------------------------------------------------------ */

typedef struct edit {
    size_t off, len;     /* bytes of raw replaced */
    size_t from, n;      /* the replacement: bytes of run->annot */
} edit;

static int edit_cmp(const void *a, const void *b)
{
    const edit *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* XML character data (attr: an attribute value between double quotes). */
static assay_status xml_text(core_buf *b, const char *p, size_t n, bool attr)
{
    assay_status st = ASSAY_OK;
    for (size_t i = 0; !st && i < n; i++) {
        switch (p[i]) {
        case '&': st = core_buf_puts(b, "&amp;"); break;
        case '<': st = core_buf_puts(b, "&lt;"); break;
        case '>': st = core_buf_puts(b, "&gt;"); break;
        case '"':
            if (attr) {
                st = core_buf_puts(b, "&quot;");
                break;
            }
            /* fall through */
        default: st = core_buf_putc(b, p[i]); break;
        }
    }
    return st;
}

/* The replacement text of a changed value, in the record's own format. */
static assay_status replacement(core_buf *b, const eng_run *run, size_t i,
                                const eng_value *v, bool xml, bool attr)
{
    if (xml)
        return xml_text(b, v->p, v->n, attr);
    io_vkind k = v->doc->kind;
    const rules_field *f = &run->rules->fields[i];
    bool typed = v->type_ok && !v->missing &&
                 ((k == IO_V_NUMBER && (f->type == RT_INTEGER || f->type == RT_NUMBER)) ||
                  (k == IO_V_BOOL && f->type == RT_BOOLEAN));
    if (typed && f->type == RT_BOOLEAN)
        return core_buf_puts(b, v->bval ? "true" : "false");
    if (typed && json_number_text(v->p, v->n))
        return core_buf_append(b, v->p, v->n);
    return core_buf_json_str(b, v->p, v->n);
}

/* Is field i a simple top-level name (no dot, bracket or @)? Only those can
 * be added to a record that lacks them. */
static bool top_level_name(const rules_field *f)
{
    return f->name_len && !memchr(f->name, '.', f->name_len) &&
           !memchr(f->name, '[', f->name_len) && f->name[0] != '@';
}

/* Where a member absent from the record goes: before the record object's
 * closing brace (JSON) or the record element's end tag (XML). *comma: JSON
 * needs a separating comma (the object has members). */
static bool insert_point(const io_record *rec, bool xml, size_t *at, bool *comma)
{
    const char *p = rec->raw;
    size_t n = rec->raw_len;
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (xml) {
        if (n < 3 || p[n - 1] != '>' || p[n - 2] == '/')
            return false;
        size_t k = n - 1;
        while (k > 0 && !(p[k] == '<' && p[k + 1] == '/'))
            k--;
        *at = k;
        return p[k] == '<';
    }
    if (!n || p[n - 1] != '}')
        return false;
    *at = n - 1;
    size_t k = n - 1;
    while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\n' || p[k - 1] == '\r'))
        k--;
    *comma = k > 0 && p[k - 1] != '{';
    return true;
}

/* After members were cut from a JSON object: a comma of the record object
 * that now follows '{' or another comma, or comes before '}', goes (with the
 * white space before it). Strings are skipped; nested values are untouched. */
static void drop_commas(core_buf *b)
{
    char *p = b->data;
    size_t n = b->len, w = 0;
    int depth = 0;
    char last = 0; /* the last significant byte kept at depth 1 */
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '"') { /* copy the string whole */
            size_t j = i + 1;
            while (j < n && p[j] != '"')
                j += p[j] == '\\' ? 2 : 1;
            j = j < n ? j + 1 : n;
            memmove(p + w, p + i, j - i);
            w += j - i;
            i = j - 1;
            last = '"';
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        if (c == ',' && depth == 1) {
            size_t j = i + 1;
            while (j < n && (p[j] == ' ' || p[j] == '\t' || p[j] == '\n' || p[j] == '\r'))
                j++;
            if (last == '{' || last == ',' || (j < n && (p[j] == '}' || p[j] == ','))) {
                while (w > 0 && (p[w - 1] == ' ' || p[w - 1] == '\t'))
                    w--;
                continue;
            }
        }
        if (depth >= 1 && c != ' ' && c != '\t' && c != '\n' && c != '\r')
            last = depth == 1 || (depth == 2 && (c == '{' || c == '[')) ? c : last;
        if (depth == 0 && c == '}')
            last = c;
        p[w++] = c;
    }
    b->len = w;
    b->data[w] = '\0';
}

/* XML: a value that is an empty element written <name .../> (its span is
 * empty, just before "/>"); *tag, *tn: where its name lies in raw. */
static bool self_closing(const io_record *rec, const io_docval *v, size_t *tag, size_t *tn)
{
    if (v->len || v->off + 2 > rec->raw_len || memcmp(rec->raw + v->off, "/>", 2) != 0)
        return false;
    size_t lt = v->off; /* no '<' in attribute values: the nearest is the tag's */
    while (lt > 0 && rec->raw[lt - 1] != '<')
        lt--;
    if (lt == 0)
        return false;
    size_t e = lt;
    while (e < v->off && !strchr(" \t\r\n/>", rec->raw[e]))
        e++;
    *tag = lt;
    *tn = e - lt;
    return *tn > 0;
}

/* The record's bytes with every changed value replaced, absent ones added
 * and (policy.extra_fields "drop") members no field names cut, into
 * run->line. false: a changed value cannot be put back (an absent nested
 * path): the caller converts instead. */
static assay_status splice(eng_run *run, const io_record *rec, bool xml, bool *ok)
{
    const struct assay_rules *r = run->rules;
    const io_doc *d = rec->doc;
    size_t cap = r->nfields + d->nextra;
    if (run->capedit < cap) {
        edit *e = realloc(run->edits, (cap ? cap : 1) * sizeof *e);
        if (!e)
            return ASSAY_E_NOMEM;
        run->edits = e;
        run->capedit = cap;
    }
    edit *ed = run->edits;
    size_t ne = 0;
    core_buf *rb = &run->annot;
    core_buf_clear(rb);
    *ok = true;
    /* The first failed append: a later one may succeed, so every one is
     * checked (a record with a value left out must never be written). */
    assay_status bs = ASSAY_OK;
    for (size_t i = 0; !bs && i < r->nfields; i++) {
        const eng_value *v = &run->vals[i];
        if (!v->changed || !v->doc)
            continue;
        size_t from = rb->len;
        if (v->doc->kind == IO_V_ABSENT) {
            size_t at;
            bool comma = false;
            if (!top_level_name(&r->fields[i]) || !insert_point(rec, xml, &at, &comma)) {
                *ok = false;
                return ASSAY_OK;
            }
            if (xml) {
                bs = core_buf_printf(rb, "<%.*s>", (int)r->fields[i].name_len,
                                     r->fields[i].name);
                bs = bs ? bs : replacement(rb, run, i, v, true, false);
                bs = bs ? bs : core_buf_printf(rb, "</%.*s>", (int)r->fields[i].name_len,
                                               r->fields[i].name);
            } else {
                if (comma)
                    bs = core_buf_putc(rb, ',');
                bs = bs ? bs : core_buf_json_str(rb, r->fields[i].name, r->fields[i].name_len);
                bs = bs ? bs : core_buf_putc(rb, ':');
                bs = bs ? bs : replacement(rb, run, i, v, false, false);
            }
            ed[ne++] = (edit){at, 0, from, rb->len - from};
            continue;
        }
        bool attr = xml && memchr(r->fields[i].name, '@', r->fields[i].name_len) != NULL;
        size_t tag, tn, end = 0;
        if (xml && !attr && self_closing(rec, v->doc, &tag, &tn)) {
            /* <a/> (or <a k="v"/>) filled by a default: ">value</a>" for "/>". */
            bs = core_buf_putc(rb, '>');
            end = 2;
        }
        bs = bs ? bs : replacement(rb, run, i, v, xml, attr);
        if (end && !bs)
            bs = core_buf_printf(rb, "</%.*s>", (int)tn, rec->raw + tag);
        ed[ne++] = (edit){v->doc->off, v->doc->len + end, from, rb->len - from};
    }
    /* A JSON member is cut from its key's quote to the end of its value; the
     * commas left dangling go after (drop_commas). */
    bool cut = r->policy.extra_fields == REXTRA_DROP && d->nextra;
    for (size_t k = 0; cut && k < d->nextra; k++) {
        const io_docextra *x = &d->extra[k];
        size_t from = xml || !x->name_off ? x->off : x->name_off - 1;
        size_t to = xml ? x->off + x->len : x->val_off + x->val_len;
        ed[ne++] = (edit){from, to - from, rb->len, 0};
    }
    if (bs || core_buf_nul(rb))
        return ASSAY_E_NOMEM;
    qsort(ed, ne, sizeof *ed, edit_cmp);
    core_buf *out = &run->line;
    core_buf_clear(out);
    size_t pos = 0;
    for (size_t k = 0; !bs && k < ne; k++) {
        if (ed[k].off < pos) { /* two cut members share a comma: cut both */
            if (!ed[k].n && ed[k].off + ed[k].len > pos)
                pos = ed[k].off + ed[k].len;
            continue;
        }
        bs = core_buf_append(out, rec->raw + pos, ed[k].off - pos);
        bs = bs ? bs : core_buf_append(out, rb->data + ed[k].from, ed[k].n);
        pos = ed[k].off + ed[k].len;
    }
    bs = bs ? bs : core_buf_append(out, rec->raw + pos, rec->raw_len - pos);
    if (bs || core_buf_nul(out))
        return ASSAY_E_NOMEM;
    if (cut && !xml)
        drop_commas(out);
    return ASSAY_OK;
}

/* ---- passing records ----------------------------------------------------- */

static size_t bom_len(const io_record *rec)
{
    return rec->offset == 0 && rec->raw_len >= 3 && !memcmp(rec->raw, "\xEF\xBB\xBF", 3) ? 3 : 0;
}

/* An NDJSON line from the bytes of a JSON text: its line breaks (only ever
 * white space between tokens: a JSON string cannot hold a raw one) become
 * spaces, and one line end goes after it. */
static assay_status one_line(eng_run *run, const char *p, size_t n)
{
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    core_buf *b = &run->jbuf;
    core_buf_clear(b);
    if (core_buf_reserve(b, n + 1))
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        b->data[i] = p[i] == '\n' || p[i] == '\r' ? ' ' : p[i];
    b->data[n] = '\n';
    b->len = n + 1;
    return ASSAY_OK;
}

/* A record's bytes to the output: NDJSON lines are kept apart by a line end;
 * JSON array elements and XML records by eng_doc_sep. */
static assay_status put_out(eng_run *run, assay_format fmt, const char *p, size_t n)
{
    if (fmt != ASSAY_FMT_NDJSON)
        run->out_open = false;
    return eng_put_rec(run, run->out, &run->out_open, fmt == ASSAY_FMT_NDJSON, p, n);
}

/* Writes a passing record when the input or the output is JSON or XML.
 * *bad: SIZE_MAX, or the output column a CSV output without quoting cannot
 * hold. */
assay_status eng_doc_pass(eng_run *run, const io_record *rec, const eng_input *in,
                          bool changed, size_t *bad)
{
    *bad = SIZE_MAX;
    assay_format ifmt = run->in_fmt, ofmt = run->out_fmt;
    bool doc_in = eng_fmt_doc(ifmt);
    if (!run->ocols && eng_out_columns(run))
        return ASSAY_E_NOMEM;
    const char *p = rec->raw + bom_len(rec);
    size_t n = rec->raw_len - bom_len(rec);
    bool cut = doc_in && rec->doc && rec->doc->nextra &&
               run->rules->policy.extra_fields == REXTRA_DROP;
    bool same_family = doc_in && ((ifmt == ASSAY_FMT_XML) == (ofmt == ASSAY_FMT_XML)) &&
                       eng_fmt_doc(ofmt);
    assay_status st = ASSAY_OK;
    if (same_family && (changed || cut)) {
        bool ok;
        st = splice(run, rec, ifmt == ASSAY_FMT_XML, &ok);
        if (st)
            return st;
        if (!ok)
            same_family = false;
        else {
            p = run->line.data;
            n = run->line.len;
            if (rec->offset == 0 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
                p += 3;
                n -= 3;
            }
        }
    }
    if (same_family) {
        if (ofmt == ASSAY_FMT_NDJSON && ifmt == ASSAY_FMT_JSON) {
            if ((st = one_line(run, p, n)))
                return st;
            p = run->jbuf.data;
            n = run->jbuf.len;
        } else if (ofmt == ASSAY_FMT_JSON)
            while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
                n--;
        st = eng_doc_sep(run, run->out, &run->out_started, ofmt);
        return st ? st : put_out(run, ofmt, p, n);
    }
    if (ofmt == ASSAY_FMT_NDJSON || ofmt == ASSAY_FMT_JSON) {
        core_buf *b = &run->jbuf;
        core_buf_clear(b);
        st = json_object(b, run, rec, in);
        if (!st && ofmt == ASSAY_FMT_NDJSON)
            st = core_buf_putc(b, '\n');
        if (st || core_buf_nul(b))
            return ASSAY_E_NOMEM;
        st = eng_doc_sep(run, run->out, &run->out_started, ofmt);
        return st ? st : put_out(run, ofmt, b->data, b->len);
    }
    /* A CSV or TSV output: a header line unless the input has none. */
    if (!run->headers_written && (run->header || doc_in) && (st = eng_doc_csv_header(run)))
        return st;
    if (run->capout < run->nocols) {
        io_slice *o = realloc(run->outfields, run->nocols * sizeof *o);
        if (!o)
            return ASSAY_E_NOMEM;
        run->outfields = o;
        run->capout = run->nocols;
    }
    for (size_t k = 0; k < run->nocols; k++)
        run->outfields[k] = ocol_value(run, rec, in, k);
    core_buf_clear(&run->line);
    st = io_csvw_record(&run->line, run->outfields, run->nocols, run->out_delim,
                        run->out_quote, run->eol, run->eol_len);
    if (st == IO_CSVW_E_UNWRITABLE) {
        *bad = io_csvw_unwritable(run->outfields, run->nocols, run->out_delim, run->out_quote);
        return ASSAY_OK;
    }
    return st ? st : eng_put_rec(run, run->out, &run->out_open, true, run->line.data,
                                 run->line.len);
}

/* ---- reading -------------------------------------------------------------- */

/* A JSON or XML input's columns are the rules' fields, in plan order. */
static assay_status map_fields(eng_run *run, eng_input *in)
{
    size_t nf = run->rules->nfields;
    in->ncols = nf;
    in->col_of_field = malloc((nf ? nf : 1) * sizeof *in->col_of_field);
    in->col_named = malloc((nf ? nf : 1) * sizeof *in->col_named);
    in->out_col = malloc((nf ? nf : 1) * sizeof *in->out_col);
    if (!in->col_of_field || !in->col_named || !in->out_col)
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < nf; i++) {
        in->col_of_field[i] = (ptrdiff_t)i;
        in->col_named[i] = true;
        in->out_col[i] = i;
    }
    in->same_layout = in->all_named = true;
    return ASSAY_OK;
}

/* A record checked on this thread while the workers may hold earlier ones:
 * they are written first. */
static assay_status route_here(eng_run *run, const io_record *rec, eng_input *in)
{
    assay_status st = run->pipe ? eng_pipe_drain(run) : ASSAY_OK;
    return st ? st : eng_route_record(run, rec, in);
}

typedef struct doc_reader {
    assay_format fmt;
    io_json_reader *json;
    io_xml_reader *xml;
} doc_reader;

static assay_status doc_next(doc_reader *d, io_record *rec, bool *eof, assay_error *err)
{
    return d->json ? io_json_next(d->json, rec, eof, err) : io_xml_next(d->xml, rec, eof, err);
}

/* XML: the head is kept from the first input that has a record; the white
 * space before its first record separates records in the output. */
/* The source bytes behind converted bytes [off, off + n) of a non-UTF-8
 * input, for the quarantine (which keeps the input's bytes); nothing to do
 * for UTF-8. */
static assay_status keep_source(const eng_input *in, uint64_t off, size_t n, core_buf *out)
{
    core_buf_clear(out);
    if (io_decode_is_utf8(in->dec))
        return ASSAY_OK;
    io_span sp;
    assay_status st = io_decode_source_span(in->dec, off, n, &sp);
    if (!st && sp.len && core_buf_append(out, sp.bytes, sp.len))
        st = ASSAY_E_NOMEM;
    return st ? st : core_buf_nul(out);
}

static assay_status keep_head(eng_run *run, const doc_reader *d, const eng_input *in)
{
    if (!d->xml || run->xml_head.data)
        return ASSAY_OK;
    size_t n;
    const char *h = io_xml_head(d->xml, &n);
    assay_status st = keep_source(in, 0, n, &run->xml_head_src);
    if (st)
        return st;
    size_t ws = n;
    while (ws > 0 && (h[ws - 1] == ' ' || h[ws - 1] == '\t' || h[ws - 1] == '\n' ||
                      h[ws - 1] == '\r'))
        ws--;
    core_buf_clear(&run->xml_sep);
    if (core_buf_append(&run->xml_head, h ? h : "", n) ||
        core_buf_append(&run->xml_sep, n > ws ? h + ws : "\n", n > ws ? n - ws : 1) ||
        core_buf_nul(&run->xml_head) || core_buf_nul(&run->xml_sep))
        return ASSAY_E_NOMEM;
    return ASSAY_OK;
}

/* tail_at: the converted offset where the tail starts (after the last
 * record). */
static assay_status keep_tail(eng_run *run, const doc_reader *d, const eng_input *in,
                              uint64_t tail_at)
{
    if (!d->xml)
        return ASSAY_OK;
    size_t n;
    const char *t = io_xml_tail(d->xml, &n);
    core_buf_clear(&run->xml_tail);
    if (core_buf_append(&run->xml_tail, t ? t : "", n) || core_buf_nul(&run->xml_tail))
        return ASSAY_E_NOMEM;
    return keep_source(in, tail_at, n, &run->xml_tail_src);
}

assay_status eng_doc_process_input(eng_run *run, eng_input *in, io_read_fn read, void *ctx)
{
    const struct assay_rules *r = run->rules;
    assay_status st = map_fields(run, in);
    if (st)
        return st;
    if (!run->first_labels) { /* the layout later inputs are written in */
        run->first_labels = calloc(r->nfields ? r->nfields : 1, sizeof *run->first_labels);
        run->first_label_lens = calloc(r->nfields ? r->nfields : 1, sizeof *run->first_label_lens);
        if (!run->first_labels || !run->first_label_lens)
            return ASSAY_E_NOMEM;
        run->nfirst = r->nfields; /* only once the arrays exist (eng_header_free) */
        for (size_t i = 0; i < r->nfields; i++) {
            run->first_labels[i] = strdup(r->fields[i].name);
            if (!run->first_labels[i])
                return ASSAY_E_NOMEM;
            run->first_label_lens[i] = r->fields[i].name_len;
        }
    }
    const char **paths = malloc((r->nfields ? r->nfields : 1) * sizeof *paths);
    if (!paths)
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < r->nfields; i++)
        paths[i] = r->fields[i].name;
    doc_reader d = {run->in_fmt, NULL, NULL};
    if (run->in_fmt == ASSAY_FMT_XML) {
        io_xml_opts o = {run->record_path, paths, r->nfields, run->max_record_bytes,
                         run->opts->read_block};
        st = io_xml_reader_new(read, ctx, &o, &d.xml);
    } else {
        io_json_opts o = {run->in_fmt == ASSAY_FMT_JSON, paths, r->nfields,
                          run->max_record_bytes, run->opts->read_block,
                          run->pipe != NULL && io_decode_is_utf8(in->dec)};
        st = io_json_reader_new(read, ctx, &o, &d.json);
    }
    /* With -j (NDJSON), the workers write converted records: the output's
     * columns and CSV header come first, from this thread. */
    if (!st && run->pipe && !run->ocols)
        st = eng_out_columns(run);
    if (!st && run->pipe && !eng_fmt_doc(run->out_fmt) && !run->headers_written &&
        !(st = eng_pipe_drain(run)))
        st = eng_doc_csv_header(run);
    bool eof = false;
    io_record rec;
    uint64_t tail_at = 0;
    while (!st) {
        st = doc_next(&d, &rec, &eof, run->err);
        if (st || eof)
            break;
        if (!run->xml_head.data && (st = keep_head(run, &d, in)))
            break;
        /* Lines of an input in another encoding are checked here: their
         * quarantine maps bytes back through the decoder (as for CSV). */
        st = run->pipe && io_decode_is_utf8(in->dec) ? eng_pipe_add(run, &rec)
                                                      : route_here(run, &rec, in);
        io_decode_release(in->dec, rec.offset + rec.raw_len);
        tail_at = rec.offset + rec.raw_len;
        if (!st && run->opts->interrupted && *run->opts->interrupted) {
            snprintf(run->err->message, sizeof run->err->message, "interrupted");
            st = ASSAY_E_IO;
        }
    }
    if (!st && d.xml) {
        st = keep_head(run, &d, in);
        if (!st)
            st = keep_tail(run, &d, in, tail_at);
        if (!st && io_xml_has_elements(d.xml) && !io_xml_matched(d.xml)) {
            snprintf(run->err->message, sizeof run->err->message,
                     "%s: no element matches the record path %s", 
                     strcmp(in->name, "-") == 0 ? "standard input" : in->name,
                     run->record_path);
            st = ASSAY_E_USAGE;
        }
    }
    io_json_reader_free(d.json);
    io_xml_reader_free(d.xml);
    free(paths);
    return st;
}
