/* io/xml_scan.c — the XML reader's input side: the block buffer (refilled
 * from the source, compacted to what must stay), line counting, the bytes
 * between records (the gap, later the head or the tail), and the span
 * scanner that tracks open elements, xmlns declarations on the record's
 * ancestors, and where each record element starts and ends.
 *
 * The scanner is a byte-level state machine, resumable at any byte, so the
 * records never depend on the block size. It knows comments, CDATA
 * sections, processing instructions, a DOCTYPE with its internal subset and
 * quoted attribute values; whether a record is well-formed is decided later
 * by libxml2 (xml_fields.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "io/xml_internal.h"
/* ---- lines, the gap, the buffer ------------------------------------------ */

/* Counts line breaks (LF, CRLF, a lone CR) up to buf[upto]. */
void io_xml_count_lines(io_xml_reader *r, size_t upto)
{
    const char *b = r->buf;
    for (size_t i = r->lc; i < upto; i++) {
        char c = b[i];
        if (c > '\r')
            r->prev_cr = false;
        else if (c == '\n') {
            r->line += !r->prev_cr;
            r->line_start = r->boff + i + 1;
            r->prev_cr = false;
        } else if (c == '\r') {
            r->line++;
            r->line_start = r->boff + i + 1;
            r->prev_cr = true;
        } else
            r->prev_cr = false;
    }
    if (upto > r->lc)
        r->lc = upto;
}

/* Moves buf[mark, upto) to the gap (bytes outside records). Past the limit
 * the gap stops growing and remembers that it overflowed. */
assay_status io_xml_flush_gap(io_xml_reader *r, size_t upto)
{
    if (upto <= r->mark)
        return ASSAY_OK;
    size_t n = upto - r->mark;
    if (!r->gap_over) {
        if (r->gap.len + n > r->limit)
            r->gap_over = true;
        else if (core_buf_append(&r->gap, r->buf + r->mark, n))
            return io_xml_fail(r, ASSAY_E_NOMEM,
                               "out of memory keeping the bytes between XML records");
    }
    r->mark = upto;
    return ASSAY_OK;
}

/* The first byte that must stay in the buffer. */
static size_t keep_point(const io_xml_reader *r)
{
    if (r->in_rec)
        return r->piece_start;
    bool may_start = r->depth + 1 == r->rd && r->pmatch + 1 == r->rd;
    if (may_start && (r->st == X_LT ||
                      (r->st == X_STAG_NAME && r->name.len <= r->seg_len[r->rd - 1])))
        return r->tag_start;
    return r->scan;
}

static void shift(size_t *x, size_t by)
{
    *x = *x > by ? *x - by : 0;
}

static assay_status make_room(io_xml_reader *r)
{
    if (r->cap - r->end >= r->block)
        return ASSAY_OK;
    size_t keep = keep_point(r);
    if (!r->in_rec) {
        assay_status st = io_xml_flush_gap(r, keep);
        if (st)
            return st;
    }
    if (r->lc < keep)
        io_xml_count_lines(r, keep);
    if (keep > 0) {
        memmove(r->buf, r->buf + keep, r->end - keep);
        r->end -= keep;
        r->boff += keep;
        shift(&r->scan, keep);
        shift(&r->lc, keep);
        shift(&r->mark, keep);
        shift(&r->tag_start, keep);
        shift(&r->rec_start, keep);
        shift(&r->piece_start, keep);
    }
    if (r->cap - r->end < r->block && r->cap < r->bufmax) {
        size_t cap = r->cap * 2;
        if (cap < r->end + r->block)
            cap = r->end + r->block;
        if (cap > r->bufmax)
            cap = r->bufmax;
        char *b = realloc(r->buf, cap);
        if (!b)
            return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory growing the XML buffer");
        r->buf = b;
        r->cap = cap;
    }
    return ASSAY_OK;
}

assay_status io_xml_refill(io_xml_reader *r)
{
    assay_status st = make_room(r);
    if (st)
        return st;
    size_t room = r->cap - r->end;
    if (room > r->block)
        room = r->block;
    if (room == 0)
        return io_xml_fail(r, ASSAY_E_INTERNAL, "XML reader: lookahead exceeds its buffer");
    ptrdiff_t got = r->read(r->ctx, r->buf + r->end, room);
    if (got < 0)
        return io_xml_fail(r, ASSAY_E_IO, "read error: %s", strerror(errno));
    if ((size_t)got > room)
        return io_xml_fail(r, ASSAY_E_INTERNAL, "XML reader: the source overran its buffer");
    if (got == 0)
        r->eof = true;
    r->end += (size_t)got;
    return ASSAY_OK;
}

/* ---- the scanner: open elements ------------------------------------------- */

static bool level_is(const io_xml_reader *r, const xr_level *l, const char *n, size_t len)
{
    return l->known && xr_mem_eq(r->names.data + l->noff, l->nlen, n, len);
}

static assay_status start_record(io_xml_reader *r)
{
    assay_status st = io_xml_flush_gap(r, r->tag_start);
    if (!st)
        st = io_xml_build_prefix(r);
    if (st)
        return st;
    if (r->nrec == 0 && !r->matched) {
        if (r->gap_over)
            return io_xml_fail(r, ASSAY_E_LIMIT,
                        "more than %zu bytes (max_record_bytes) come before the first XML "
                        "record",
                        r->limit);
        core_buf t = r->head;
        r->head = r->gap;
        r->gap = t;
    }
    core_buf_clear(&r->gap);
    r->gap_over = false;
    io_xml_count_lines(r, r->tag_start);
    r->rec_line = r->line;
    r->rec_col = r->boff + r->tag_start - r->line_start + 1;
    r->rec_start = r->piece_start = r->mark = r->tag_start;
    r->in_rec = true;
    r->pieces = false;
    r->is_rec_tag = true;
    r->matched = true;
    return ASSAY_OK;
}

/* A start tag's name is complete. */
static assay_status stag_named(io_xml_reader *r)
{
    r->has_elements = true;
    r->slash = r->collect = r->in_xmlns = r->aname_done = r->onpath = false;
    r->alen = 0;
    r->ndecl_before = r->ndecl;
    size_t d = r->depth;
    if (r->in_rec || r->pmatch != d || d >= r->rd || r->name_long ||
        !xr_mem_eq(r->name.data, r->name.len, r->rpath + r->seg_off[d], r->seg_len[d]))
        return ASSAY_OK;
    r->onpath = true;
    if (d + 1 == r->rd)
        return start_record(r);
    r->collect = true;
    return ASSAY_OK;
}

static assay_status push_level(io_xml_reader *r)
{
    r->depth++;
    if (r->deep > 0 || r->nstack == XR_STACK_MAX) {
        r->deep++;
        return ASSAY_OK;
    }
    if ((r->nstack & (r->nstack - 1)) == 0 && r->nstack >= 64) {
        xr_level *s = realloc(r->stack, 2 * r->nstack * sizeof *s);
        if (!s)
            return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory tracking XML elements");
        r->stack = s;
    }
    xr_level *l = &r->stack[r->nstack++];
    l->noff = r->names.len;
    l->nlen = r->name.len;
    l->known = false;
    if (!r->name_long) {
        assay_status st = core_buf_append(&r->names, r->name.data, r->name.len);
        if (st == ASSAY_E_NOMEM)
            return io_xml_fail(r, st, "out of memory tracking XML elements");
        l->known = st == ASSAY_OK;
    }
    l->path = r->onpath;
    l->ndecl = r->ndecl_before;
    if (l->path)
        r->pmatch = r->depth;
    return ASSAY_OK;
}

static void set_ndecl(io_xml_reader *r, size_t n)
{
    r->ndecl = n;
    r->decls.len = n ? r->dent[n - 1].off + r->dent[n - 1].len : 0;
    r->decl_gen++;
}

static void pop_to(io_xml_reader *r, size_t to)
{
    while (r->depth > to) {
        r->depth--;
        if (r->deep > 0) {
            r->deep--;
            continue;
        }
        const xr_level *l = &r->stack[--r->nstack];
        r->names.len = l->noff;
        if (l->path)
            set_ndecl(r, l->ndecl);
    }
    if (r->pmatch > to)
        r->pmatch = to;
}

/* Appends to the xmlns declarations; past their limit the declaration being
 * read is dropped (in_xmlns cleared). */
static assay_status decl_put(io_xml_reader *r, const char *p, size_t n)
{
    assay_status st = core_buf_append(&r->decls, p, n);
    if (st == ASSAY_E_NOMEM)
        return io_xml_fail(r, st, "out of memory keeping XML namespace declarations");
    if (st) {
        r->decls.len = r->decl_mark;
        r->in_xmlns = false;
    }
    return ASSAY_OK;
}

static void attr_name_char(io_xml_reader *r, unsigned char c)
{
    if (xr_is_ws(c) || c == '=') {
        r->aname_done = true;
        return;
    }
    if (r->aname_done) {
        r->alen = 0;
        r->aname_done = false;
    }
    if (r->alen < sizeof r->aname)
        r->aname[r->alen] = (char)c;
    r->alen++;
}

/* An attribute value opens (quote in r->q): an xmlns declaration on an
 * ancestor of the record is kept, as written, for the wrapper. */
static assay_status attr_value_start(io_xml_reader *r)
{
    r->in_xmlns = false;
    bool ns = r->collect && r->alen <= sizeof r->aname &&
              ((r->alen == 5 && memcmp(r->aname, "xmlns", 5) == 0) ||
               (r->alen > 6 && memcmp(r->aname, "xmlns:", 6) == 0));
    size_t nlen = r->alen;
    r->alen = 0;
    r->aname_done = false;
    if (!ns)
        return ASSAY_OK;
    r->decl_mark = r->decls.len;
    r->in_xmlns = true;
    char eq[2] = { '=', r->q };
    assay_status st = decl_put(r, r->aname, nlen);
    if (!st && r->in_xmlns)
        st = decl_put(r, eq, 2);
    r->aname_done = false;
    r->alen = 0;
    r->dent_nlen = nlen;
    return st;
}

static assay_status attr_value_end(io_xml_reader *r)
{
    if (!r->in_xmlns)
        return ASSAY_OK;
    assay_status st = decl_put(r, &r->q, 1);
    if (st || !r->in_xmlns)
        return st;
    r->in_xmlns = false;
    if (r->ndecl == r->dcap) {
        size_t cap = r->dcap ? 2 * r->dcap : 8;
        xr_decl *d = realloc(r->dent, cap * sizeof *d);
        if (!d)
            return io_xml_fail(r, ASSAY_E_NOMEM,
                               "out of memory keeping XML namespace declarations");
        r->dent = d;
        r->dcap = cap;
    }
    r->dent[r->ndecl++] = (xr_decl){ r->decl_mark, r->dent_nlen, r->decls.len - r->decl_mark };
    r->decl_gen++;
    return ASSAY_OK;
}

/* A start tag ends at buf[e) (after "/>" or ">", or before a '<' that breaks
 * it). */
static assay_status open_elem(io_xml_reader *r, bool empty, size_t e, bool *done)
{
    r->st = X_TEXT;
    if (r->in_xmlns) {
        r->decls.len = r->decl_mark;
        r->in_xmlns = false;
    }
    if (empty) {
        if (r->collect)
            set_ndecl(r, r->ndecl_before);
        if (r->is_rec_tag) {
            r->is_rec_tag = false;
            r->rec_end = e;
            *done = true;
        }
        return ASSAY_OK;
    }
    r->is_rec_tag = false;
    return push_level(r);
}

/* An end tag (name in r->name) ends at buf[e). It closes the innermost open
 * element of that name; one that closes nothing is ignored. Inside a record,
 * an end tag that closes an ancestor of the record cuts the record before
 * itself (the record is then malformed, and the rest stays in step). */
static void close_elem(io_xml_reader *r, size_t e, bool *done)
{
    r->st = X_TEXT;
    if (r->depth == 0)
        return;
    size_t to = r->depth - 1;
    if (r->deep == 0) {
        const xr_level *t = &r->stack[r->nstack - 1];
        const char *n = r->name.data;
        size_t len = r->name.len;
        if (t->known && (r->name_long || !level_is(r, t, n, len))) {
            size_t k = r->nstack - 1;
            while (k > 0 && (r->name_long || !level_is(r, &r->stack[k - 1], n, len)))
                k--;
            if (k == 0)
                return;
            to = k - 1;
        }
    }
    if (r->in_rec && to < r->rd) {
        bool cut = to + 1 < r->rd && r->tag_start > r->piece_start;
        r->rec_end = cut ? r->tag_start : e;
        *done = true;
    }
    pop_to(r, to);
}

static assay_status name_add(io_xml_reader *r, const char *p, size_t n)
{
    if (r->name_long || n == 0)
        return ASSAY_OK;
    if (r->name.len + n > XR_NAME_MAX) {
        r->name_long = true;
        return ASSAY_OK;
    }
    if (core_buf_append(&r->name, p, n))
        return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory reading an XML name");
    return ASSAY_OK;
}

/* Skips to the terminator of a comment ("-->", c '-'), a CDATA section
 * ("]]>", c ']') or a PI ("?>", c '?', need 1). */
static size_t skip_to_close(io_xml_reader *r, const char *b, size_t i, size_t lim, char c,
                            int need)
{
    while (i < lim) {
        if (b[i] == '>' && r->k >= need) {
            r->st = r->ret;
            return i + 1;
        }
        if (b[i] == c) {
            r->k++;
            i++;
            continue;
        }
        r->k = 0;
        const char *d = memchr(b + i, c, lim - i);
        i = d ? (size_t)(d - b) : lim;
    }
    return i;
}

/* Runs the scanner over buf[scan, lim). Stops early when a record starts
 * (so the caller can bound it) or ends (*done, rec_end set). */
assay_status io_xml_scan(io_xml_reader *r, size_t lim, bool *done)
{
    const char *b = r->buf;
    size_t i = r->scan;
    bool was_in = r->in_rec;
    assay_status st = ASSAY_OK;
    *done = false;
    while (i < lim && !*done && !st && r->in_rec == was_in) {
        unsigned char c = (unsigned char)b[i];
        switch (r->st) {
        case X_TEXT: {
            const char *lt = memchr(b + i, '<', lim - i);
            if (!lt) {
                i = lim;
                break;
            }
            i = (size_t)(lt - b);
            r->tag_start = i++;
            r->st = X_LT;
            break;
        }
        case X_LT:
            r->name.len = 0;
            r->name_long = false;
            if (c == '/') {
                r->st = X_ETAG_NAME;
                i++;
            } else if (c == '!') {
                r->want = NULL;
                r->k = 0;
                r->st = X_BANG;
                i++;
            } else if (c == '?') {
                r->k = 0;
                r->ret = X_TEXT;
                r->st = X_PI;
                i++;
            } else if (xr_name_start(c))
                r->st = X_STAG_NAME;
            else
                r->st = X_TEXT; /* a stray '<': text */
            break;
        case X_BANG:
            if (!r->want) {
                r->want = c == '-' ? "--" : c == '[' ? "[CDATA[" : c == 'D' ? "DOCTYPE" : NULL;
                if (!r->want) {
                    r->st = X_DECL;
                    break;
                }
            }
            if (c != (unsigned char)r->want[r->k]) {
                r->st = X_DECL;
                break;
            }
            i++;
            if (!r->want[++r->k]) {
                r->st = r->want[0] == '-' ? X_COMMENT : r->want[0] == '[' ? X_CDATA : X_DT;
                r->k = 0;
                r->dt = 0;
                r->ret = X_TEXT;
            }
            break;
        case X_COMMENT:
            i = skip_to_close(r, b, i, lim, '-', 2);
            break;
        case X_CDATA:
            i = skip_to_close(r, b, i, lim, ']', 2);
            break;
        case X_PI:
            i = skip_to_close(r, b, i, lim, '?', 1);
            break;
        case X_DECL: /* <!...> outside a DOCTYPE (not XML, but stay in step) */
            if (c == '>') {
                i++;
                r->st = X_TEXT;
            } else if (c == '<')
                r->st = X_TEXT;
            else {
                if (c == '"' || c == '\'') {
                    r->q = (char)c;
                    r->st = X_DECL_Q;
                }
                i++;
            }
            break;
        case X_DECL_Q:
            while (i < lim && b[i] != r->q && b[i] != '<')
                i++;
            if (i < lim) {
                r->st = X_DECL;
                i += b[i] == r->q;
            }
            break;
        case X_DT:
            if (c == '"' || c == '\'') {
                r->q = (char)c;
                r->st = X_DT_Q;
            } else if (c == '[')
                r->dt++;
            else if (c == ']')
                r->dt -= r->dt > 0;
            else if (c == '>' && r->dt == 0)
                r->st = X_TEXT;
            else if (c == '<') {
                if (r->dt == 0) { /* a broken DOCTYPE: resynchronise here */
                    r->st = X_TEXT;
                    break;
                }
                r->st = X_DT_LT;
            }
            i++;
            break;
        case X_DT_Q: {
            const char *e = memchr(b + i, r->q, lim - i);
            if (!e) {
                i = lim;
                break;
            }
            i = (size_t)(e - b) + 1;
            r->st = X_DT;
            break;
        }
        case X_DT_LT: /* '<' in the internal subset: a PI or a comment? */
            r->k = 0;
            r->ret = X_DT;
            if (c == '?') {
                r->st = X_PI;
                i++;
            } else if (c == '!') {
                r->st = X_DT_BANG;
                i++;
            } else
                r->st = X_DT;
            break;
        case X_DT_BANG:
            if (c == '-') {
                i++;
                if (++r->k == 2) {
                    r->k = 0;
                    r->st = X_COMMENT;
                }
            } else
                r->st = X_DT;
            break;
        case X_STAG_NAME:
        case X_ETAG_NAME: {
            size_t s = i;
            while (i < lim && !xr_name_stop((unsigned char)b[i]))
                i++;
            st = name_add(r, b + s, i - s);
            if (st || i == lim)
                break;
            if (r->st == X_ETAG_NAME)
                r->st = X_ETAG;
            else {
                r->st = X_STAG;
                st = stag_named(r);
            }
            break;
        }
        case X_STAG:
            if (c == '>')
                st = open_elem(r, r->slash, ++i, done);
            else if (c == '<')
                st = open_elem(r, false, i, done); /* a broken tag */
            else if (c == '/') {
                r->slash = true;
                i++;
            } else if (c == '"' || c == '\'') {
                r->q = (char)c;
                r->slash = false;
                r->st = X_ATTQ;
                st = attr_value_start(r);
                i++;
            } else {
                r->slash = false;
                if (r->collect)
                    attr_name_char(r, c);
                i++;
            }
            break;
        case X_ATTQ: {
            size_t s = i;
            while (i < lim && b[i] != r->q && b[i] != '<')
                i++;
            if (r->in_xmlns)
                st = decl_put(r, b + s, i - s);
            if (st || i == lim)
                break;
            if (b[i] == '<') { /* '<' cannot be in a value: the tag is broken */
                st = open_elem(r, false, i, done);
                break;
            }
            i++;
            r->st = X_STAG;
            st = attr_value_end(r);
            break;
        }
        case X_ETAG:
            if (c == '>')
                close_elem(r, ++i, done);
            else if (c == '<')
                close_elem(r, i, done);
            else
                i++;
            break;
        }
    }
    r->scan = i;
    return st;
}

/* Where an unclosed record's input ended, for its message. */
const char *io_xml_scan_inside(int st)
{
    switch (st) {
    case X_COMMENT:
        return ", inside a comment";
    case X_CDATA:
        return ", inside a CDATA section";
    case X_PI:
        return ", inside a processing instruction";
    case X_STAG_NAME:
    case X_STAG:
    case X_ATTQ:
    case X_ETAG_NAME:
    case X_ETAG:
    case X_LT:
        return ", inside a tag";
    default:
        return "";
    }
}
