/* engine/route.c — reads one input, maps its header to the plan and routes
 * every record to the output or, byte-exact, to the quarantine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "engine/engine.h"
#include "io/csv_writer.h"
#include "core/ascii.h"
#include "io/compress.h"
#include "io/decode.h"
#include "validators/unicode.h"
#include "validators/clean.h"
#include "core/utf8.h"

static const char BOM[] = "\xEF\xBB\xBF";

/* Writes a record (starts) or more bytes of it to o. The last record of an
 * input may lack a line end; the next record written after it (from the next
 * input) gets one first, so records of several inputs never run together. */
assay_status eng_put_rec(eng_run *run, io_out *o, bool *open, bool starts, const char *p,
                         size_t n)
{
    assay_status st = ASSAY_OK;
    if (starts && *open) {
        st = io_out_write(o, run->eol, run->eol_len);
        *open = false;
    }
    if (!st && n) {
        st = io_out_write(o, p, n);
        *open = p[n - 1] != '\n' && p[n - 1] != '\r';
    }
    return st;
}

/* Writes a record's bytes to the quarantine as the input holds them: the raw
 * bytes for UTF-8 input, else the source bytes in the input's own encoding
 * (the line end put between inputs converted too). */
static assay_status put_source(eng_run *run, const io_record *rec, bool starts)
{
    io_decode *dec = run->cur ? run->cur->dec : NULL;
    /* A JSON array or XML quarantine: brackets and separators around the
     * records' bytes. */
    if (starts && (run->in_fmt == ASSAY_FMT_JSON || run->in_fmt == ASSAY_FMT_XML)) {
        assay_status st = eng_doc_sep(run, run->quar, &run->quar_started, run->in_fmt);
        if (st)
            return st;
        starts = false;
        run->quar_open = false;
    }
    if (!dec || io_decode_is_utf8(dec))
        return eng_put_rec(run, run->quar, &run->quar_open, starts, rec->raw, rec->raw_len);
    io_span sp;
    assay_status st = io_decode_source_span(dec, rec->offset, rec->raw_len, &sp);
    if (!st && starts && run->quar_open) {
        core_buf e;
        core_buf_init(&e, 0);
        st = io_decode_to_source(dec, run->eol, run->eol_len, &e);
        if (!st)
            st = io_out_write(run->quar, e.data, e.len);
        core_buf_free(&e);
    }
    if (!st && sp.len)
        st = io_out_write(run->quar, sp.bytes, sp.len);
    if (!st && rec->raw_len)
        run->quar_open = rec->raw[rec->raw_len - 1] != '\n' &&
                         rec->raw[rec->raw_len - 1] != '\r';
    return st;
}

/* Text assay adds to the quarantine (--annotate), in the input's encoding. */
static assay_status put_text(eng_run *run, const char *p, size_t n, bool starts)
{
    io_decode *dec = run->cur ? run->cur->dec : NULL;
    if (!dec || io_decode_is_utf8(dec))
        return eng_put_rec(run, run->quar, &run->quar_open, starts, p, n);
    core_buf e;
    core_buf_init(&e, 0);
    assay_status st = io_decode_to_source(dec, p, n, &e);
    if (!st)
        st = io_out_write(run->quar, e.data, e.len);
    core_buf_free(&e);
    return st;
}

static bool label_eq(const eng_run *run, const char *a, size_t an, const char *b,
                     size_t bn)
{
    if (an != bn)
        return false;
    if (run->rules->dialect.case_sensitive_header)
        return memcmp(a, b, an) == 0;
    return core_ascii_eq_nocase(a, b, an);
}

/* Adds p to the set unless it is there: amortised constant work per name
 * (a hash index over the list), so a header of a million labels stays linear. */
static assay_status add_name(eng_names *set, const char *p, size_t len)
{
    if (2 * (set->n + 1) > set->nslot) { /* keep the index at most half full */
        size_t ns = set->nslot ? 2 * set->nslot : 16;
        size_t *slot = calloc(ns, sizeof *slot);
        if (!slot)
            return ASSAY_E_NOMEM;
        for (size_t i = 0; i < set->n; i++) {
            size_t h = (size_t)XXH3_64bits(set->name[i], strlen(set->name[i])) & (ns - 1);
            while (slot[h])
                h = (h + 1) & (ns - 1);
            slot[h] = i + 1;
        }
        free(set->slot);
        set->slot = slot;
        set->nslot = ns;
    }
    size_t h = (size_t)XXH3_64bits(p, len) & (set->nslot - 1);
    for (; set->slot[h]; h = (h + 1) & (set->nslot - 1)) {
        const char *q = set->name[set->slot[h] - 1];
        if (strlen(q) == len && memcmp(q, p, len) == 0)
            return ASSAY_OK;
    }
    if (set->n == set->cap) {
        size_t nc = set->cap ? 2 * set->cap : 16;
        char **nl = realloc(set->name, nc * sizeof *nl);
        if (!nl)
            return ASSAY_E_NOMEM;
        set->name = nl;
        set->cap = nc;
    }
    set->name[set->n] = strndup(p, len);
    if (!set->name[set->n])
        return ASSAY_E_NOMEM;
    set->slot[h] = ++set->n;
    return ASSAY_OK;
}

static void names_free(eng_names *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->name[i]);
    free(set->name);
    free(set->slot);
    *set = (eng_names){0};
}

void eng_header_free(eng_run *run)
{
    names_free(&run->hdr_extra);
    names_free(&run->hdr_missing);
    for (size_t i = 0; i < run->nfirst; i++)
        free(run->first_labels[i]);
    free(run->first_labels);
    free(run->first_label_lens);
}

assay_status eng_pk_setup(eng_run *run)
{
    const struct assay_rules *r = run->rules;
    size_t len = 1;
    for (size_t k = 0; k < r->npk; k++)
        len += r->fields[r->primary_key[k]].name_len + 1;
    run->pk_label = malloc(len);
    run->pk_keys = eng_keyset_new(run->unique_limit);
    if (!run->pk_label || !run->pk_keys)
        return ASSAY_E_NOMEM;
    run->pk_label[0] = '\0';
    for (size_t k = 0; k < r->npk; k++) {
        if (k)
            strcat(run->pk_label, ",");
        strcat(run->pk_label, r->fields[r->primary_key[k]].name);
    }
    return ASSAY_OK;
}

/* A header problem: reported once with record 0, line 1. */
static assay_status header_problem(eng_run *run, eng_input *in, const char *label,
                                   size_t n, const char *msg)
{
    in->header_bad = true;
    run->nviol = 0;
    run->msgs.len = 0;
    assay_status st = eng_add_violation(run, -1, ER_HEADER, RSEV_ERROR, NULL, 0, false,
                                        "%s", msg);
    if (st)
        return st;
    run->viol[0].label = label;
    run->viol[0].label_len = n;
    return eng_write_violations(run, 0, 1);
}

static assay_status find_columns(eng_run *run, eng_input *in, const io_slice *lab,
                                 size_t n)
{
    const struct assay_rules *r = run->rules;
    assay_status st = ASSAY_OK;
    for (size_t i = 0; i < r->nfields && !st; i++) {
        const rules_field *f = &r->fields[i];
        in->col_of_field[i] = -1;
        size_t hits = 0;
        for (size_t c = 0; c < n; c++) {
            if (!label_eq(run, lab[c].p, lab[c].n, f->name, f->name_len))
                continue;
            if (!hits++)
                in->col_of_field[i] = (ptrdiff_t)c;
            in->col_named[c] = true;
        }
        if (hits > 1) {
            char msg[300];
            snprintf(msg, sizeof msg, "the header names column \"%s\" %zu times", f->name,
                     hits);
            st = header_problem(run, in, f->name, f->name_len, msg);
        } else if (!hits)
            st = add_name(&run->hdr_missing, f->name, f->name_len);
    }
    return st;
}

/* Columns no field names: counted in header.extra; a blank label is a header
 * problem when some field found no column (the blank one may be it). */
static assay_status extra_columns(eng_run *run, eng_input *in, const io_slice *lab,
                                  size_t n)
{
    bool field_missing = false;
    for (size_t i = 0; i < run->rules->nfields; i++)
        field_missing |= in->col_of_field[i] < 0;
    assay_status st = ASSAY_OK;
    for (size_t c = 0; c < n && !st; c++) {
        if (in->col_named[c])
            continue;
        if (lab[c].n == 0 && field_missing) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "column %zu has a blank label and a field has no column", c + 1);
            st = header_problem(run, in, "", 0, msg);
        }
        if (!st)
            st = add_name(&run->hdr_extra, lab[c].p, lab[c].n);
    }
    return st;
}

/* A label's hash, ASCII letters folded unless the header is case-sensitive
 * (equal under label_eq implies equal hashes). */
static size_t label_hash(const eng_run *run, const char *p, size_t n)
{
    if (run->rules->dialect.case_sensitive_header)
        return (size_t)XXH3_64bits(p, n);
    uint64_t h = 0xcbf29ce484222325u ^ n;
    for (size_t i = 0; i < n; i++)
        h = (h ^ core_ascii_lower((unsigned char)p[i])) * 0x100000001b3u;
    h ^= h >> 33; /* finalise, so that the low bits mix every byte */
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return (size_t)h;
}

/* out_col[c] for every column c of the first input: the column of lab with
 * the same label, and for a label the first input repeats, the same
 * occurrence of it; (size_t)-1 when there is none. Linear in the columns: a
 * hash index over lab's labels, each slot holding its label's first column,
 * next[] chaining the later ones, and a cursor per label consumed in order. */
static assay_status match_labels(const eng_run *run, size_t *out_col, const io_slice *lab,
                                 size_t n)
{
    size_t ns = 16;
    while (ns < 2 * n)
        ns *= 2;
    size_t *slot = calloc(ns, sizeof *slot); /* column + 1 of the label's first */
    size_t *next = malloc((n ? n : 1) * sizeof *next); /* column + 1; 0 ends */
    size_t *cur = malloc((n ? n : 1) * sizeof *cur); /* at a first: column + 1 */
    if (!slot || !next || !cur) {
        free(slot);
        free(next);
        free(cur);
        return ASSAY_E_NOMEM;
    }
    for (size_t k = 0; k < n; k++)
        cur[k] = k + 1;
    for (size_t k = n; k-- > 0;) { /* from the end, so each chain is in order */
        size_t h = label_hash(run, lab[k].p, lab[k].n) & (ns - 1);
        for (; slot[h]; h = (h + 1) & (ns - 1)) {
            size_t j = slot[h] - 1;
            if (label_eq(run, lab[j].p, lab[j].n, lab[k].p, lab[k].n))
                break;
        }
        next[k] = slot[h];
        slot[h] = k + 1;
    }
    for (size_t c = 0; c < run->nfirst; c++) {
        const char *want = run->first_labels[c];
        size_t wn = run->first_label_lens[c];
        size_t h = label_hash(run, want, wn) & (ns - 1);
        out_col[c] = (size_t)-1;
        for (; slot[h]; h = (h + 1) & (ns - 1)) {
            size_t j = slot[h] - 1;
            if (label_eq(run, lab[j].p, lab[j].n, want, wn))
                break;
        }
        size_t first = slot[h] ? slot[h] - 1 : 0;
        if (slot[h] && cur[first]) {
            out_col[c] = cur[first] - 1;
            cur[first] = next[out_col[c]];
        }
    }
    free(slot);
    free(next);
    free(cur);
    return ASSAY_OK;
}

/* A later input's column that the first input's header lacks cannot be
 * written to the output (which keeps the first input's columns): rather than
 * cut it from every record, the input's records fail rule header. */
static assay_status unmapped_columns(eng_run *run, eng_input *in, const io_slice *lab,
                                     size_t n)
{
    assay_status st = ASSAY_OK;
    bool *used = calloc(n ? n : 1, sizeof *used);
    if (!used)
        return ASSAY_E_NOMEM;
    for (size_t c = 0; c < run->nfirst; c++)
        if (in->out_col[c] < n)
            used[in->out_col[c]] = true;
    for (size_t k = 0; k < n && !st; k++) {
        if (used[k])
            continue;
        char msg[300];
        snprintf(msg, sizeof msg,
                 "column \"%.*s\" is not in the first input's header: the output "
                 "cannot hold it", (int)(lab[k].n < 200 ? lab[k].n : 200), lab[k].p);
        st = header_problem(run, in, lab[k].p, lab[k].n, msg);
    }
    free(used);
    return st;
}

/* Maps the first input's layout to later inputs' columns. */
static assay_status layout(eng_run *run, eng_input *in, const io_slice *lab, size_t n,
                           bool first)
{
    if (first) {
        run->first_labels = calloc(n ? n : 1, sizeof *run->first_labels);
        run->first_label_lens = calloc(n ? n : 1, sizeof *run->first_label_lens);
        if (!run->first_labels || !run->first_label_lens)
            return ASSAY_E_NOMEM;
        run->nfirst = n;
        for (size_t c = 0; c < n; c++) {
            run->first_labels[c] = strndup(lab[c].p, lab[c].n);
            if (!run->first_labels[c])
                return ASSAY_E_NOMEM;
            run->first_label_lens[c] = lab[c].n;
        }
    }
    in->out_col = malloc((run->nfirst ? run->nfirst : 1) * sizeof *in->out_col);
    if (!in->out_col)
        return ASSAY_E_NOMEM;
    in->same_layout = n == run->nfirst;
    if (!first) {
        assay_status st = match_labels(run, in->out_col, lab, n);
        if (st)
            return st;
    }
    for (size_t c = 0; c < run->nfirst; c++) {
        if (first)
            in->out_col[c] = c;
        in->same_layout &= in->out_col[c] == c;
    }
    return first ? ASSAY_OK : unmapped_columns(run, in, lab, n);
}

static assay_status map_header(eng_run *run, eng_input *in, const io_slice *lab,
                               size_t n, bool first)
{
    size_t nf = run->rules->nfields;
    in->ncols = n;
    in->col_of_field = malloc((nf ? nf : 1) * sizeof *in->col_of_field);
    in->col_named = calloc(n ? n : 1, sizeof *in->col_named);
    if (!in->col_of_field || !in->col_named)
        return ASSAY_E_NOMEM;
    if (!run->header) { /* fields match by position */
        for (size_t i = 0; i < nf; i++) {
            in->col_of_field[i] = i < n ? (ptrdiff_t)i : -1;
            if (i < n)
                in->col_named[i] = true;
        }
        in->same_layout = true;
        return ASSAY_OK;
    }
    assay_status st = find_columns(run, in, lab, n);
    in->all_named = true;
    for (size_t c = 0; c < n; c++)
        in->all_named &= in->col_named[c];
    if (!st)
        st = extra_columns(run, in, lab, n);
    if (!st)
        st = layout(run, in, lab, n, first);
    return st;
}

/* --output-format names another dialect: every passing record is rewritten. */
static bool converting(const eng_run *run)
{
    return run->out_delim != run->delimiter || run->out_quote != run->quote;
}

/* Writes the header lines of the output and the quarantine (once, from the
 * first input that has a header line). */
static assay_status write_headers(eng_run *run, const io_record *rec)
{
    const char *raw = rec->raw;
    size_t n = rec->raw_len;
    size_t eol = io_csvw_eol(raw, n);
    run->headers_written = true;
    memcpy(run->eol, eol ? raw + n - eol : "\n", eol ? eol : 1);
    run->eol_len = eol ? eol : 1;
    bool bom = n >= 3 && memcmp(raw, BOM, 3) == 0;
    size_t skip = bom ? 3 : 0;
    assay_status st;
    if (eng_fmt_doc(run->out_fmt))
        st = eng_out_columns(run); /* no header line: the columns name values */
    else if (run->opts->schema_order || run->rules->policy.extra_fields == REXTRA_DROP)
        st = eng_doc_csv_header(run);
    else if (converting(run) && run->cur && run->cur->labels) {
        core_buf_clear(&run->line);
        st = io_csvw_record(&run->line, run->cur->labels, run->cur->ncols, run->out_delim,
                            run->out_quote, run->eol, run->eol_len);
        if (!st)
            st = eng_put_rec(run, run->out, &run->out_open, true, run->line.data, run->line.len);
    } else if (!core_utf8_valid(raw + skip, n - skip)) {
        /* The passing output is UTF-8 throughout: a header byte that is not
         * (an undefined byte of a detected encoding, a broken label) becomes
         * U+FFFD there; the quarantine keeps the header as it came. */
        core_buf_clear(&run->line);
        st = val_utf8_replace_invalid(raw + skip, n - skip, &run->line);
        if (!st)
            st = eng_put_rec(run, run->out, &run->out_open, true, run->line.data, run->line.len);
    } else
        st = eng_put_rec(run, run->out, &run->out_open, true, raw + skip, n - skip);
    if (st)
        return st;
    if (!run->opts->annotate)
        return put_source(run, rec, true);
    /* The input's BOM, the annotation labels, then the header without it. */
    io_record rest = *rec;
    const io_decoding *info = run->cur && run->cur->dec ? io_decode_info(run->cur->dec) : NULL;
    if (bom && info && info->bom_len) {
        io_record b = *rec;
        b.raw_len = 3;
        st = put_source(run, &b, false);
        rest.raw += 3;
        rest.raw_len -= 3;
        rest.offset += 3;
    }
    char d[2] = {run->delimiter, 0};
    core_buf_clear(&run->annot);
    if (!st)
        st = core_buf_printf(&run->annot, "_assay_line%s_assay_errors%s", d, d);
    if (!st)
        st = put_text(run, run->annot.data, run->annot.len, false);
    if (!st)
        st = put_source(run, &rest, false);
    return st;
}

static assay_status quarantine(eng_run *run, const io_record *rec)
{
    run->st.quarantined++;
    if (!run->opts->annotate)
        return put_source(run, rec, true);
    /* _assay_line, _assay_errors first, so ragged rows do not shift them. */
    core_buf *a = &run->annot;
    core_buf_clear(a);
    /* Every append checked: after a failed one, a later one may succeed. */
    assay_status st = core_buf_printf(a, "%llu%c", (unsigned long long)rec->line,
                                      run->delimiter);
    core_buf line;
    core_buf_init(&line, 0);
    for (size_t k = 0; !st && k < run->nviol; k++) {
        const eng_violation *v = &run->viol[k];
        const char *name = v->field >= 0 ? run->rules->fields[v->field].name : v->label;
        st = core_buf_printf(&line, "%s%s%s%s: %.*s", k ? "; " : "", name ? name : "",
                             name && *name ? ": " : "", eng_viol_rule(run, v),
                             (int)v->msg_len, run->msgs.data + v->msg_off);
    }
    io_slice s = {line.data ? line.data : "", line.len};
    if (!st)
        st = io_csvw_record(a, &s, 1, run->delimiter, run->quote < 0 ? '"' : run->quote,
                            &run->delimiter, 1);
    core_buf_free(&line);
    if (!st)
        st = put_text(run, a->data, a->len, true);
    if (!st)
        st = put_source(run, rec, false);
    return st;
}

/* Writes a passing record: its raw bytes when nothing changed, else rewritten
 * in the first input's column order with minimal quoting. *bad gets the
 * output column that cannot be written without a quote character, or
 * SIZE_MAX. */
static assay_status pass(eng_run *run, const io_record *rec, const eng_input *in,
                         bool changed, size_t *bad)
{
    if (run->ocols || eng_fmt_doc(run->in_fmt) || eng_fmt_doc(run->out_fmt))
        return eng_doc_pass(run, rec, in, changed, bad);
    *bad = SIZE_MAX;
    if (!changed && in->same_layout && !converting(run)) {
        size_t skip = rec->line == 1 && rec->raw_len >= 3 && !memcmp(rec->raw, BOM, 3) ? 3 : 0;
        return eng_put_rec(run, run->out, &run->out_open, true, rec->raw + skip,
                       rec->raw_len - skip);
    }
    size_t ncol = run->header ? run->nfirst : rec->nfields;
    if (run->capout < ncol) {
        io_slice *o = realloc(run->outfields, ncol * sizeof *o);
        if (!o)
            return ASSAY_E_NOMEM;
        run->outfields = o;
        run->capout = ncol;
    }
    for (size_t c = 0; c < ncol; c++) {
        size_t src = run->header ? in->out_col[c] : c;
        run->outfields[c] = src < rec->nfields ? rec->fields[src] : (io_slice){"", 0};
    }
    for (size_t i = 0; i < run->rules->nfields; i++) {
        const eng_value *v = &run->vals[i];
        ptrdiff_t col = in->col_of_field[i];
        if (!v->changed || col < 0)
            continue;
        for (size_t c = 0; c < ncol; c++)
            if ((run->header ? in->out_col[c] : c) == (size_t)col)
                run->outfields[c] = (io_slice){v->p, v->n};
    }
    size_t eol = io_csvw_eol(rec->raw, rec->raw_len);
    core_buf_clear(&run->line);
    /* A record without quotes in the input's own layout and dialect: copy its
     * bytes around the changed values. */
    bool splice = !rec->quoted && rec->kind == IO_REC_OK && in->same_layout &&
                  !converting(run) && rec->nfields == ncol;
    assay_status st = splice ? io_csvw_splice(&run->line, rec->fields, run->outfields, ncol,
                                              run->out_delim, run->out_quote,
                                              rec->raw + rec->raw_len - eol, eol)
                             : io_csvw_record(&run->line, run->outfields, ncol, run->out_delim,
                                              run->out_quote, rec->raw + rec->raw_len - eol,
                                              eol);
    if (st == IO_CSVW_E_UNWRITABLE) {
        *bad = io_csvw_unwritable(run->outfields, ncol, run->out_delim, run->out_quote);
        return ASSAY_OK;
    }
    if (!st)
        st = eng_put_rec(run, run->out, &run->out_open, true, run->line.data, run->line.len);
    return st;
}

/* Where a record's first undecodable bytes are, counted in the input's own
 * bytes and shown as they are there. */
static void encoding_message(const eng_input *in, const io_record *rec, char *buf,
                             size_t cap)
{
    if (!in->dec || io_decode_is_utf8(in->dec)) {
        snprintf(buf, cap, "invalid UTF-8 byte 0x%02X at byte %zu of the record",
                 (unsigned char)rec->raw[rec->bad_utf8_at], rec->bad_utf8_at + 1);
        return;
    }
    io_span before, bad;
    if (io_decode_source_span(in->dec, rec->offset, rec->bad_utf8_at, &before) ||
        io_decode_source_span(in->dec, rec->offset + rec->bad_utf8_at, 1, &bad) ||
        !bad.len) {
        snprintf(buf, cap, "bytes that are not valid %s", io_decode_info(in->dec)->name);
        return;
    }
    size_t k = (size_t)snprintf(buf, cap, "bytes not valid in %s at byte %zu of the record:",
                                io_decode_info(in->dec)->name, before.len + 1);
    for (size_t i = 0; i < bad.len && i < 4 && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, " 0x%02X", (unsigned char)bad.bytes[i]);
}

/* A record with bytes that do not decode is parsed after all when every such
 * byte lies in a field whose clean list has replace_invalid (SPEC 1): they
 * become U+FFFD there and the value counts as cleaned. */
static bool repairable(eng_run *run, const io_record *rec, const eng_input *in)
{
    if (run->opts->no_clean || rec->kind != IO_REC_OK || rec->nfields != in->ncols)
        return false;
    uint64_t invalid = 0;
    for (size_t c = 0; c < rec->nfields; c++) {
        if (core_utf8_valid(rec->fields[c].p, rec->fields[c].n))
            continue;
        bool fixed = false;
        for (size_t i = 0; i < run->rules->nfields && !fixed; i++)
            fixed = in->col_of_field[i] == (ptrdiff_t)c &&
                    val_clean_fixes_utf8(&run->rules->fields[i]);
        if (!fixed)
            return false;
        invalid += val_utf8_invalid_count(rec->fields[c].p, rec->fields[c].n);
    }
    run->st.invalid_sequences += invalid;
    return true;
}

static assay_status structural(eng_run *run, const io_record *rec, const eng_input *in)
{
    eng_rule rule;
    const char *msg;
    char buf[160];
    if (rec->kind == IO_REC_BLANK) {
        rule = ER_BLANK_ROW;
        msg = "blank row";
    } else if (rec->kind == IO_REC_MALFORMED) {
        rule = ER_MALFORMED;
        msg = rec->detail ? rec->detail : "damaged quoting";
    } else if (rec->kind == IO_REC_TOO_LARGE) {
        rule = ER_RECORD_TOO_LARGE;
        msg = rec->detail ? rec->detail : "record over a size limit";
    } else if (rec->kind >= IO_REC_JSON_PARSE && rec->kind <= IO_REC_XML_ENTITY) {
        static const eng_rule doc_rules[] = {ER_JSON_PARSE, ER_NOT_OBJECT, ER_XML,
                                             ER_XML_ENTITY};
        rule = doc_rules[rec->kind - IO_REC_JSON_PARSE];
        msg = rec->detail ? rec->detail : "the record does not parse";
    } else if (rec->bad_utf8 && !repairable(run, rec, in)) {
        rule = ER_ENCODING;
        encoding_message(in, rec, buf, sizeof buf);
        msg = buf;
        run->st.invalid_sequences++;
    } else if (rec->nfields != in->ncols && !in->header_unparsed) {
        rule = rec->nfields > in->ncols ? ER_EXTRA_CELL : ER_MISSING_CELL;
        snprintf(buf, sizeof buf, "%zu fields where the header has %zu", rec->nfields,
                 in->ncols);
        msg = buf;
    } else
        return ASSAY_OK;
    run->st.structural[rule]++;
    return eng_add_violation(run, -1, rule, RSEV_ERROR, NULL, 0, false, "%s", msg);
}

/* JSON/XML members no field names, with policy.extra_fields "quarantine". */
static assay_status doc_extras(eng_run *run, const io_record *rec)
{
    assay_status st = ASSAY_OK;
    for (size_t k = 0; k < rec->doc->nextra && !st; k++) {
        const io_docextra *x = &rec->doc->extra[k];
        run->st.structural[ER_EXTRA_FIELD]++;
        st = eng_add_violation(run, -1, ER_EXTRA_FIELD, RSEV_ERROR, rec->raw + x->val_off,
                               x->val_len, true,
                               "%s not named by any field (policy.extra_fields is quarantine)",
                               run->in_fmt == ASSAY_FMT_XML ? "element or attribute" : "key");
        if (!st) {
            run->viol[run->nviol - 1].label = rec->raw + x->name_off;
            run->viol[run->nviol - 1].label_len = x->name_len;
        }
    }
    return st;
}

static assay_status record_level(eng_run *run, const io_record *rec, const eng_input *in)
{
    assay_status st = ASSAY_OK;
    if (in->header_bad) {
        run->st.structural[ER_HEADER]++;
        st = eng_add_violation(run, -1, ER_HEADER, RSEV_ERROR, NULL, 0, false,
                               "the header is unusable (see record 0)");
    }
    if (rec->doc)
        return !st && run->rules->policy.extra_fields == REXTRA_QUARANTINE
                   ? doc_extras(run, rec) : st;
    if (run->rules->policy.extra_fields != REXTRA_QUARANTINE || !run->header ||
        in->all_named)
        return st;
    for (size_t c = 0; c < rec->nfields && c < in->ncols && !st; c++) {
        if (in->col_named[c])
            continue;
        run->st.structural[ER_EXTRA_FIELD]++;
        st = eng_add_violation(run, -1, ER_EXTRA_FIELD, RSEV_ERROR, rec->fields[c].p,
                               rec->fields[c].n, true,
                               "column not named by any field (policy.extra_fields is quarantine)");
        if (!st) {
            run->viol[run->nviol - 1].label = in->labels[c].p;
            run->viol[run->nviol - 1].label_len = in->labels[c].n;
        }
    }
    return st;
}

static bool any_error(const eng_run *run)
{
    for (size_t k = 0; k < run->nviol; k++)
        if (run->viol[k].sev == RSEV_ERROR && !run->viol[k].counts_only)
            return true;
    return false;
}


/* A cleaned value the dialect cannot write (no quote character): the record
 * goes to the quarantine as read. */
static assay_status unwritable_value(eng_run *run, size_t c)
{
    run->st.structural[ER_UNWRITABLE]++;
    const io_slice *f = c < run->capout ? &run->outfields[c] : NULL;
    assay_status st = eng_add_violation(run, -1, ER_UNWRITABLE, RSEV_ERROR,
                                        f ? f->p : NULL, f ? f->n : 0, f != NULL,
                                        "the cleaned value holds the delimiter or a line "
                                        "break and the dialect has no quote character");
    if (!st && run->header && c < run->nfirst) {
        run->viol[run->nviol - 1].label = run->first_labels[c];
        run->viol[run->nviol - 1].label_len = run->first_label_lens[c];
    }
    return st;
}

static assay_status route(eng_run *run, const io_record *rec, const eng_input *in)
{
    if (rec->kind == IO_REC_BLANK && run->rules->policy.blank_rows == RBLANK_SKIP) {
        run->st.skipped++;
        return ASSAY_OK;
    }
    run->nviol = 0;
    run->msgs.len = 0;
    run->any_changed = false;
    run->record_no++;
    run->st.read++;
    assay_status st = structural(run, rec, in);
    bool parsed = !st && run->nviol == 0;
    if (!parsed)
        run->st.unparsed++;
    if (!st && parsed)
        st = record_level(run, rec, in);
    if (!st && parsed && !in->header_unparsed)
        st = eng_check_values(run, rec, in, rec->line);
    if (st)
        return st;
    size_t bad = SIZE_MAX;
    bool unwritable = false;
    if (!any_error(run)) {
        bool changed = run->any_changed;
        st = pass(run, rec, in, changed, &bad);
        unwritable = bad != SIZE_MAX;
        if (!st && !unwritable) {
            run->st.passed++;
            run->st.cleaned += changed;
        }
        if (!st && unwritable)
            st = unwritable_value(run, bad);
    }
    if (!st && (any_error(run) || unwritable))
        st = quarantine(run, rec);
    if (!st)
        st = eng_write_violations(run, run->record_no, rec->line);
    return st;
}

assay_status eng_route_record(eng_run *run, const io_record *rec, const eng_input *in)
{
    run->st.bytes += rec->raw_len;
    if (rec->continued) /* more bytes of a record already quarantined */
        return put_source(run, rec, false);
    return route(run, rec, in);
}

/* Names the input in the message of an error that stopped reading it. */
static assay_status read_fail(eng_run *run, const eng_input *in, assay_status st)
{
    char *m = run->err->message;
    const char *name = strcmp(in->name, "-") == 0 ? "standard input" : in->name;
    size_t n = strlen(name);
    const char *damaged = in->unzip ? io_unzip_error(in->unzip) : NULL;
    if (damaged) /* compressed data: what the decompressor said */
        snprintf(m, sizeof run->err->message, "%s: %s", name, damaged);
    else if (!m[0])
        snprintf(m, sizeof run->err->message, "%s: %s", name, assay_strerror(st));
    else if ((strncmp(m, name, n) != 0 || m[n] != ':') &&
             n + 2 < sizeof run->err->message) {
        size_t room = sizeof run->err->message - 1 - (n + 2), len = strlen(m);
        size_t keep = len < room ? len : room;
        memmove(m + n + 2, m, keep);
        m[n + 2 + keep] = '\0';
        memcpy(m, name, n);
        memcpy(m + n, ": ", 2);
    }
    return st;
}

/* A header line that cannot be parsed (damaged quote, blank): no column map;
 * every record of the input fails rule header. The first input's header line
 * still heads the output and the quarantine, byte-exact. */
static assay_status damaged_header(eng_run *run, eng_input *in, const io_record *rec)
{
    in->ncols = 0;
    in->header_unparsed = true;
    in->col_of_field = malloc((run->rules->nfields + 1) * sizeof *in->col_of_field);
    in->col_named = calloc(1, sizeof *in->col_named);
    if (!in->col_of_field || !in->col_named)
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < run->rules->nfields; i++)
        in->col_of_field[i] = -1;
    char msg[300];
    if (rec->kind == IO_REC_BLANK)
        snprintf(msg, sizeof msg, "the header line is blank");
    else
        snprintf(msg, sizeof msg, "the header line cannot be parsed: %s",
                 rec->detail ? rec->detail : "damaged quoting");
    assay_status st = header_problem(run, in, NULL, 0, msg);
    if (!st && !run->headers_written)
        st = write_headers(run, rec);
    return st;
}

static assay_status first_record(eng_run *run, eng_input *in, const io_record *rec,
                                 size_t index, bool *consumed)
{
    *consumed = run->header;
    if (!run->header) {
        assay_status st = map_header(run, in, NULL, rec->nfields, index == 0);
        if (!st && !run->ocols && (eng_fmt_doc(run->out_fmt) || run->opts->schema_order))
            st = eng_out_columns(run);
        return st;
    }
    size_t n = 0;
    const io_slice *lab = io_csv_header(in->reader, &n);
    if (rec->kind != IO_REC_OK || !lab)
        return damaged_header(run, in, rec);
    in->labels = lab;
    /* The first input with a usable header (an empty input has none) sets
     * the output's columns. */
    assay_status st = map_header(run, in, lab, n, run->first_labels == NULL);
    if (!st && !run->headers_written)
        st = write_headers(run, rec);
    return st;
}

static assay_status read_records(eng_run *run, eng_input *in, io_csv_reader *reader,
                                 size_t index, bool *first, eng_range *range);

/* The run's dialect and limits as reader options. */
static io_csv_opts reader_opts(const eng_run *run, bool header)
{
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.delimiter = run->delimiter;
    o.quote = run->quote;
    o.header = header;
    o.max_record_bytes = run->max_record_bytes;
    o.max_field_bytes = run->max_field_bytes;
    if (run->opts->read_block)
        o.block_size = run->opts->read_block;
    return o;
}

/* --byte-range: after the header, read only the records that start in the
 * shard's part of the file (engine/range.c), from a second reader. */
static assay_status read_range(eng_run *run, eng_input *in, const io_record *hdr,
                               size_t index)
{
    if (!io_decode_is_utf8(in->dec)) {
        snprintf(run->err->message, sizeof run->err->message,
                 "--byte-range needs UTF-8 input (byte offsets of the file itself)");
        return ASSAY_E_USAGE;
    }
    io_csv_opts o = reader_opts(run, false);
    eng_range range;
    memset(&range, 0, sizeof range);
    assay_status st = eng_range_plan(run, in, &o, hdr->offset + hdr->raw_len, &range);
    if (st)
        return st;
    range.pos = range.from;
    io_csv_reader *r = NULL;
    st = io_csv_reader_new(eng_range_read, &range, &o, &r);
    bool first = false;
    if (!st)
        st = read_records(run, in, r, index, &first, &range);
    io_csv_reader_free(r);
    return st;
}

/* Routes every record the reader gives; the first one of an input is its
 * header (or, without one, sets the width). With a range, records carry the
 * file's line numbers and offsets. */
static assay_status read_records(eng_run *run, eng_input *in, io_csv_reader *reader,
                                 size_t index, bool *first, eng_range *range)
{
    assay_status st = ASSAY_OK;
    bool eof = false;
    io_record rec;
    while (!st) {
        st = io_csv_next(reader, &rec, &eof, run->err);
        if (st) {
            read_fail(run, in, st);
            break;
        }
        if (eof)
            break;
        if (range) {
            rec.line += range->lines;
            rec.offset += range->from;
        }
        if (*first && !rec.continued) {
            bool consumed;
            *first = false;
            /* The calling thread writes the header itself: nothing queued
             * may still be waiting to be written before it. */
            if (run->pipe && (st = eng_pipe_drain(run)))
                break;
            run->st.bytes += rec.raw_len;
            st = first_record(run, in, &rec, index, &consumed);
            if (!st && !consumed)
                st = route(run, &rec, in);
            if (!st && consumed && run->opts->range_set)
                return read_range(run, in, &rec, index);
        } else if (run->pipe && io_decode_is_utf8(in->dec))
            st = eng_pipe_add(run, &rec);
        else
            st = eng_route_record(run, &rec, in);
        /* The record is out: its source bytes are no longer needed. */
        if (!range)
            io_decode_release(in->dec, rec.offset + rec.raw_len);
        if (!st && run->opts->interrupted && *run->opts->interrupted) {
            snprintf(run->err->message, sizeof run->err->message, "interrupted");
            st = ASSAY_E_IO;
        }
    }
    return st;
}

/* The parallel engine's reads: before one that may block on a quiet pipe,
 * what was read so far is written out (eng_pipe_idle). */
typedef struct piped_source {
    eng_run *run;
    eng_input *in;
    bool may_block;
} piped_source;

static ptrdiff_t piped_read(void *ctx, char *buf, size_t cap)
{
    piped_source *s = ctx;
    /* A failure there is the pipeline's: the next record queued reports it. */
    if (s->may_block && !io_decode_pending(s->in->dec))
        (void)eng_pipe_idle(s->run, s->in->fd);
    return io_decode_read(s->in->dec, buf, cap);
}

assay_status eng_process_input(eng_run *run, eng_input *in, size_t index)
{
    io_csv_opts o = reader_opts(run, run->header);
    run->input_label = run->ninputs > 1 ? in->name : NULL;
    run->cur = in;
    struct stat sb;
    piped_source src = {run, in, false};
    src.may_block = run->pipe && in->fd >= 0 && fstat(in->fd, &sb) == 0 && !S_ISREG(sb.st_mode);
    if (eng_fmt_doc(run->in_fmt)) { /* NDJSON lines are queued as CSV records are */
        assay_status st = src.may_block ? eng_doc_process_input(run, in, piped_read, &src)
                                        : eng_doc_process_input(run, in, io_decode_read, in->dec);
        return st && st != ASSAY_E_USAGE ? read_fail(run, in, st) : st;
    }
    assay_status st = src.may_block
                          ? io_csv_reader_new(piped_read, &src, &o, &in->reader)
                          : io_csv_reader_new(io_decode_read, in->dec, &o, &in->reader);
    if (st)
        return read_fail(run, in, st);
    bool first = true;
    st = read_records(run, in, in->reader, index, &first, NULL);
    return st; /* an empty input has no header: nothing was written */
}
