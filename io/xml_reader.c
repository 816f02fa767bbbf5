/* io/xml_reader.c — the streaming XML record reader (see xml_reader.h and
 * docs/xml.md): setup and teardown, handing records out, the head and tail.
 *
 * Three stages per record:
 *
 *   1. A span scanner (xml_scan.c: a byte-level state machine, resumable at
 *      any byte, so the records never depend on the block size) walks the
 *      whole input: text, tags with quoted attribute values, comments, CDATA
 *      sections, processing instructions, a DOCTYPE with its internal subset.
 *      It keeps the stack of open element names (with a little recovery: an
 *      end tag that closes an element further down the stack closes
 *      everything above it; one that closes nothing open is ignored) and cuts
 *      out each element whose path equals record_path. The bytes around
 *      records go to the head and the tail; only one buffer of at most
 *      max_record_bytes plus a block is ever held.
 *   2. libxml2 parses the record's bytes alone (xml_fields.c), inside a
 *      wrapper element that declares the namespaces of the record's
 *      ancestors, with no callbacks at all (no tree is built): it only says
 *      whether the record is well-formed and namespace-well-formed, and what
 *      went wrong. No DTD is loaded and no entity is substituted; the record
 *      never sees the DOCTYPE, so any entity other than the five predefined
 *      ones is undeclared (IO_REC_XML_ENTITY).
 *   3. A walker over the now well-formed bytes reads the fields
 *      (xml_fields.c): a trie of the paths' segments, resolved on the first
 *      occurrence of each name, with every value's byte span in raw; texts
 *      are decoded into one arena that is reused from record to record.
 *
 * This file drives them: io_xml_next scans until a record ends, then hands
 * it out whole (checked and read) or, past max_record_bytes, in pieces. */
#include "io/xml_reader.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "io/csv_split.h"
#include "io/xml_internal.h"

assay_status io_xml_fail(io_xml_reader *r, assay_status st, const char *fmt, ...)
{
    if (r->err) {
        va_list ap;
        va_start(ap, fmt);
        r->err->status = st;
        vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
        va_end(ap);
    }
    return st;
}
/* ---- setup ---------------------------------------------------------------- */

static assay_status compile_record_path(io_xml_reader *r, const char *path)
{
    size_t n = path ? strlen(path) : 0;
    if (n < 2 || path[0] != '/' || path[n - 1] == '/')
        return ASSAY_E_USAGE;
    r->rpath = malloc(n + 1);
    r->seg_off = calloc(n, sizeof *r->seg_off);
    r->seg_len = calloc(n, sizeof *r->seg_len);
    if (!r->rpath || !r->seg_off || !r->seg_len)
        return ASSAY_E_NOMEM;
    memcpy(r->rpath, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        size_t s = i;
        while (i < n && path[i] != '/')
            i++;
        if (i == s || i - s > XR_NAME_MAX || !xr_name_start((unsigned char)path[s]))
            return ASSAY_E_USAGE;
        for (size_t j = s; j < i; j++)
            if (xr_name_stop((unsigned char)path[j]))
                return ASSAY_E_USAGE;
        r->seg_off[r->rd] = s;
        r->seg_len[r->rd++] = i - s;
    }
    return ASSAY_OK;
}

static size_t clamp_limit(size_t v, size_t dflt)
{
    if (v == 0)
        return dflt;
    return v > XR_LIMIT_MAX ? XR_LIMIT_MAX : v;
}

assay_status io_xml_reader_new(io_read_fn read, void *ctx, const io_xml_opts *o,
                               io_xml_reader **out)
{
    *out = NULL;
    io_xml_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ASSAY_E_NOMEM;
    r->read = read;
    r->ctx = ctx;
    r->limit = clamp_limit(o->max_record_bytes, 16 * XR_MIB);
    r->block = clamp_limit(o->block_size, XR_MIB);
    r->line = 1;
    core_buf_init(&r->name, 0);
    core_buf_init(&r->names, XR_NAMES_MAX);
    core_buf_init(&r->decls, XR_DECLS_MAX);
    core_buf_init(&r->gap, 0);
    core_buf_init(&r->head, 0);
    core_buf_init(&r->tail, 0);
    core_buf_init(&r->wrap, 0);
    core_buf_init(&r->prefix, 0);
    core_buf_init(&r->arena, 0);
    assay_status st = compile_record_path(r, o->record_path);
    if (!st)
        st = io_xml_compile_paths(r, o->paths, o->npaths);
    if (st) {
        io_xml_reader_free(r);
        return st;
    }
    /* A record and the longest name lookahead before it, plus a block. */
    r->bufmax = r->limit + r->block + XR_NAME_MAX + 64;
    r->cap = 2 * r->block + 64;
    if (r->cap > r->bufmax)
        r->cap = r->bufmax;
    r->buf = malloc(r->cap);
    r->stack = malloc(64 * sizeof *r->stack);
    r->frames = malloc(64 * sizeof *r->frames);
    r->fcap = 64;
    xmlInitParser();
    if (!r->buf || !r->stack || !r->frames || io_xml_new_parser(r)) {
        io_xml_reader_free(r);
        return ASSAY_E_NOMEM;
    }
    r->decl_gen = 1;
    *out = r;
    return ASSAY_OK;
}

void io_xml_reader_free(io_xml_reader *r)
{
    if (!r)
        return;
    if (r->px)
        xmlFreeParserCtxt(r->px);
    core_buf_free(&r->name);
    core_buf_free(&r->names);
    core_buf_free(&r->decls);
    core_buf_free(&r->gap);
    core_buf_free(&r->head);
    core_buf_free(&r->tail);
    core_buf_free(&r->wrap);
    core_buf_free(&r->prefix);
    core_buf_free(&r->arena);
    free(r->rpath);
    free(r->seg_off);
    free(r->seg_len);
    free(r->buf);
    free(r->stack);
    free(r->dent);
    free(r->pstore);
    free(r->nodes);
    free(r->paths);
    free(r->fields);
    free(r->vals);
    free(r->in_arena);
    free(r->aoff);
    free(r->extra);
    free(r->frames);
    free(r);
}


/* ---- handing records out -------------------------------------------------- */

static void set_utf8(io_record *rec)
{
    size_t bad = core_utf8_invalid_at(rec->raw, rec->raw_len);
    rec->bad_utf8 = bad < rec->raw_len;
    rec->bad_utf8_at = rec->bad_utf8 ? bad : 0;
}

/* The lines a record spans, counted up to its end: a line break that ends
 * the record does not start another line of it. */
static uint64_t span_lines(const io_xml_reader *r, const io_record *rec)
{
    char last = rec->raw_len ? rec->raw[rec->raw_len - 1] : 0;
    uint64_t n = r->line - r->rec_line + 1;
    return (last == '\n' || last == '\r') && n > 1 ? n - 1 : n;
}

/* Where to cut a piece of at most `want` bytes: not inside a UTF-8 sequence. */
static size_t utf8_cut(const char *p, size_t want)
{
    for (size_t k = 1; k <= 3 && k < want; k++) {
        unsigned char b = (unsigned char)p[want - k];
        if ((b & 0xC0) == 0x80)
            continue;
        if (b >= 0xC0) {
            size_t seq = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            if (k < seq)
                return want - k;
        }
        break;
    }
    return want;
}

/* A piece of a record over max_record_bytes: at most want bytes. */
static assay_status give_piece(io_xml_reader *r, io_record *rec, size_t want, bool last)
{
    size_t len = last ? want : utf8_cut(r->buf + r->piece_start, want);
    if (!r->pieces)
        snprintf(r->detail, sizeof r->detail, "record longer than max_record_bytes (%zu)",
                 r->limit);
    rec->kind = IO_REC_TOO_LARGE;
    rec->detail = r->detail;
    rec->raw = r->buf + r->piece_start;
    rec->raw_len = len;
    rec->offset = r->boff + r->piece_start;
    rec->raw_more = !last;
    rec->continued = r->pieces;
    rec->line = r->rec_line;
    io_xml_count_lines(r, r->piece_start + len);
    rec->lines = last ? span_lines(r, rec) : r->line - r->rec_line + 1;
    set_utf8(rec);
    rec->ctl_free = io_csv_ctl_free(rec->raw, len);
    r->piece_start += len;
    r->pieces = true;
    if (last) {
        r->in_rec = r->pieces = r->ended = false;
        r->mark = r->piece_start;
        r->nrec++;
    }
    return ASSAY_OK;
}

/* A whole record, buf[rec_start, rec_end): parse it, read its fields. */
static assay_status give_record(io_xml_reader *r, io_record *rec)
{
    size_t a = r->rec_start, e = r->rec_end;
    rec->raw = r->buf + a;
    rec->raw_len = e - a;
    rec->offset = r->boff + a;
    rec->line = r->rec_line;
    io_xml_count_lines(r, e);
    rec->lines = r->line - r->rec_line + 1;
    r->in_rec = r->ended = false;
    r->mark = e;
    r->nrec++;
    set_utf8(rec);
    bool ok = false;
    assay_status st = io_xml_check(r, rec->raw, rec->raw_len, &ok);
    if (st)
        return st;
    if (!ok) {
        io_xml_judge_error(r, rec);
        rec->ctl_free = io_csv_ctl_free(rec->raw, rec->raw_len);
        return ASSAY_OK;
    }
    return io_xml_extract(r, rec);
}

/* The input ends inside a record: the bytes to the end are one record. */
static assay_status give_unclosed(io_xml_reader *r, io_record *rec)
{
    size_t rest = r->end - r->piece_start;
    if (r->pieces || rest > r->limit)
        return give_piece(r, rec, rest > r->limit ? r->limit : rest, rest <= r->limit);
    r->rec_end = r->end;
    size_t a = r->rec_start;
    rec->kind = IO_REC_XML;
    rec->detail = r->detail;
    snprintf(r->detail, sizeof r->detail,
             "line %llu, column %llu: the input ends before the record element <%.*s> is "
             "closed%s",
             (unsigned long long)r->rec_line, (unsigned long long)r->rec_col,
             (int)r->seg_len[r->rd - 1], r->rpath + r->seg_off[r->rd - 1],
             io_xml_scan_inside(r->st));
    rec->raw = r->buf + a;
    rec->raw_len = r->end - a;
    rec->offset = r->boff + a;
    rec->line = r->rec_line;
    io_xml_count_lines(r, r->end);
    rec->lines = span_lines(r, rec);
    set_utf8(rec);
    rec->ctl_free = io_csv_ctl_free(rec->raw, rec->raw_len);
    r->in_rec = false;
    r->mark = r->end;
    r->nrec++;
    return ASSAY_OK;
}

static assay_status at_eof(io_xml_reader *r, bool *eof)
{
    assay_status st = io_xml_flush_gap(r, r->end);
    if (st)
        return st;
    io_xml_count_lines(r, r->end);
    if (r->gap_over && (r->matched || !r->has_elements))
        return io_xml_fail(r, ASSAY_E_LIMIT, "more than %zu bytes (max_record_bytes) come %s",
                    r->limit, r->matched ? "after the last XML record" : "in an XML document "
                                                                         "without elements");
    core_buf *to = r->matched ? &r->tail : &r->head;
    core_buf t = *to;
    *to = r->gap;
    r->gap = t;
    core_buf_clear(&r->gap);
    r->done = true;
    *eof = true;
    return ASSAY_OK;
}

assay_status io_xml_next(io_xml_reader *r, io_record *rec, bool *eof, assay_error *err)
{
    memset(rec, 0, sizeof *rec);
    *eof = false;
    r->err = err;
    if (r->done) {
        *eof = true;
        return ASSAY_OK;
    }
    for (;;) {
        if (r->in_rec && r->ended) {
            size_t rest = r->rec_end - r->piece_start;
            if (!r->pieces && rest <= r->limit)
                return give_record(r, rec);
            return give_piece(r, rec, rest > r->limit ? r->limit : rest, rest <= r->limit);
        }
        /* One byte past the limit: a piece is handed out only when a byte
         * of the record is left for the next one. */
        size_t lim = r->end;
        if (r->in_rec && lim > r->piece_start + r->limit + 1)
            lim = r->piece_start + r->limit + 1;
        bool done;
        assay_status st = io_xml_scan(r, lim, &done);
        if (st)
            return st;
        if (done) {
            r->ended = true;
            continue;
        }
        if (r->in_rec && r->scan - r->piece_start > r->limit)
            return give_piece(r, rec, r->limit, false);
        if (r->scan < r->end)
            continue; /* a record started: bound the scan by its limit */
        if (r->eof)
            return r->in_rec ? give_unclosed(r, rec) : at_eof(r, eof);
        st = io_xml_refill(r);
        if (st)
            return st;
    }
}

const char *io_xml_head(const io_xml_reader *r, size_t *n)
{
    *n = r->head.len;
    return r->head.data ? r->head.data : "";
}

const char *io_xml_tail(const io_xml_reader *r, size_t *n)
{
    *n = r->tail.len;
    return r->tail.data ? r->tail.data : "";
}

bool io_xml_matched(const io_xml_reader *r)
{
    return r->matched;
}

bool io_xml_has_elements(const io_xml_reader *r)
{
    return r->has_elements;
}
