/* io/xml_reader.c — the streaming XML record reader (see xml_reader.h and
 * docs/xml.md).
 *
 * Three stages per record:
 *
 *   1. A span scanner (a byte-level state machine, resumable at any byte, so
 *      the records never depend on the block size) walks the whole input:
 *      text, tags with quoted attribute values, comments, CDATA sections,
 *      processing instructions, a DOCTYPE with its internal subset. It keeps
 *      the stack of open element names (with a little recovery: an end tag
 *      that closes an element further down the stack closes everything above
 *      it; one that closes nothing open is ignored) and cuts out each element
 *      whose path equals record_path. The bytes around records go to the head
 *      and the tail; only one buffer of at most max_record_bytes plus a block
 *      is ever held.
 *   2. libxml2 parses the record's bytes alone, inside a wrapper element that
 *      declares the namespaces of the record's ancestors, with no callbacks at
 *      all (no tree is built): it only says whether the record is well-formed
 *      and namespace-well-formed, and what went wrong. No DTD is loaded and no
 *      entity is substituted; the record never sees the DOCTYPE, so any entity
 *      other than the five predefined ones is undeclared (IO_REC_XML_ENTITY).
 *   3. A walker over the now well-formed bytes reads the fields: a trie of the
 *      paths' segments, resolved on the first occurrence of each name, with
 *      every value's byte span in raw; texts are decoded into one arena that
 *      is reused from record to record. */
#include "io/xml_reader.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "io/csv_split.h"

#define XR_MIB ((size_t)1 << 20)
#define XR_LIMIT_MAX ((size_t)1 << 30) /* libxml2 takes an int length */
#define XR_NAME_MAX 1024     /* longer element names are stacked as unknown */
#define XR_STACK_MAX 65536   /* levels with a name; deeper ones are counted */
#define XR_NAMES_MAX (4 * XR_MIB)
#define XR_DECLS_MAX XR_MIB  /* xmlns declarations kept for the wrapper */
#define XR_DICT_MAX 100000   /* names libxml2 may intern before a new context */
#define XR_WRAP "_"          /* the wrapper element's name */

/* Scanner states. */
enum {
    X_TEXT, X_LT, X_BANG, X_COMMENT, X_CDATA, X_PI, X_DECL, X_DECL_Q,
    X_DT, X_DT_Q, X_DT_LT, X_DT_BANG, X_STAG_NAME, X_STAG, X_ATTQ,
    X_ETAG_NAME, X_ETAG
};

typedef struct xr_level {
    size_t noff, nlen; /* the name in the names arena */
    bool known;        /* the name was kept */
    bool path;         /* the element lies on record_path (an ancestor) */
    size_t ndecl;      /* path: xmlns declarations before its own */
} xr_level;

typedef struct xr_decl {
    size_t off, nlen, len; /* "name=QvalueQ" in decls, name length */
} xr_decl;

/* A node of the paths' trie: 0 is the record element. */
typedef struct xr_node {
    const char *name;
    size_t nlen;
    int parent;
    uint64_t gen;      /* the record in which the node was last resolved */
    bool attrs, elems; /* some path reads an attribute / the element */
} xr_node;

typedef struct xr_path {
    int node;          /* -1: never resolves */
    const char *attr;  /* an attribute of node, else the element itself */
    size_t alen;
} xr_path;

typedef struct xr_frame {
    int node;
    size_t cstart, nchild;
    size_t extra;      /* 1 + index in extra, or 0 */
} xr_frame;

typedef struct xr_xerr {
    bool set;
    int code, line, col, int1;
    char msg[200], s1[96], s2[96];
} xr_xerr;

struct io_xml_reader {
    io_read_fn read;
    void *ctx;
    size_t limit, block;
    assay_error *err;
    /* record_path */
    char *rpath;
    size_t *seg_off, *seg_len, rd;
    /* the buffer: [keep, end) held, scan the next byte to look at */
    char *buf;
    size_t cap, bufmax, scan, end;
    uint64_t boff;      /* stream offset of buf[0] */
    bool eof, done;
    /* lines: counted up to buf[lc] */
    size_t lc;
    uint64_t line, line_start;
    bool prev_cr;
    /* the scanner */
    int st, ret, k, dt;
    const char *want;
    char q;
    bool slash, collect, in_xmlns, aname_done, onpath, is_rec_tag;
    size_t tag_start;
    core_buf name;
    bool name_long;
    char aname[XR_NAME_MAX];
    size_t alen, decl_mark, ndecl_before, dent_nlen;
    /* open elements */
    xr_level *stack;
    size_t nstack, deep, depth, pmatch;
    core_buf names;
    core_buf decls;
    xr_decl *dent;
    size_t ndecl, dcap;
    uint64_t decl_gen, wrap_gen;
    /* the record being cut */
    bool in_rec, pieces, ended; /* ended: rec_end is known */
    size_t rec_start, piece_start, rec_end, mark;
    uint64_t rec_line, rec_col;
    char detail[360];
    /* head, tail, the bytes since the last record */
    core_buf gap, head, tail;
    bool gap_over, matched, has_elements;
    uint64_t nrec;
    /* libxml2 */
    xmlParserCtxtPtr px;
    core_buf wrap, prefix;
    xr_xerr e_first, e_ent;
    /* fields */
    char *pstore;
    xr_node *nodes;
    size_t nnodes;
    xr_path *paths;
    size_t npaths;
    uint64_t gen;
    io_slice *fields;
    io_docval *vals;
    bool *in_arena;
    size_t *aoff;
    core_buf arena;
    io_docextra *extra;
    size_t nextra, xcap;
    xr_frame *frames;
    size_t fcap;
    io_doc doc;
};

static assay_status fail(io_xml_reader *r, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static assay_status fail(io_xml_reader *r, assay_status st, const char *fmt, ...)
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

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool name_start(unsigned char c)
{
    unsigned char l = c | 0x20;
    return (l >= 'a' && l <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

static bool name_stop(unsigned char c)
{
    return is_ws(c) || c == '/' || c == '>' || c == '<' || c == '=';
}

static bool mem_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
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
        if (i == s || i - s > XR_NAME_MAX || !name_start((unsigned char)path[s]))
            return ASSAY_E_USAGE;
        for (size_t j = s; j < i; j++)
            if (name_stop((unsigned char)path[j]))
                return ASSAY_E_USAGE;
        r->seg_off[r->rd] = s;
        r->seg_len[r->rd++] = i - s;
    }
    return ASSAY_OK;
}

static int find_child(io_xml_reader *r, int parent, const char *name, size_t len)
{
    for (size_t i = 1; i < r->nnodes; i++)
        if (r->nodes[i].parent == parent && mem_eq(r->nodes[i].name, r->nodes[i].nlen, name, len))
            return (int)i;
    return -1;
}

/* Builds the paths' trie: "a.b" descends through first occurrences, a last
 * segment "@x" reads an attribute. A path with an empty segment, or with
 * "@" before its last segment, never resolves. */
static assay_status compile_paths(io_xml_reader *r, const char *const *paths, size_t np)
{
    size_t total = 0, segs = 1;
    for (size_t k = 0; k < np; k++) {
        const char *p = paths[k] ? paths[k] : "";
        total += strlen(p) + 1;
        for (const char *c = p; *c; c++)
            segs += *c == '.';
        segs++;
    }
    size_t slots = np ? np : 1;
    r->pstore = malloc(total + 1);
    r->nodes = calloc(segs, sizeof *r->nodes);
    r->paths = calloc(slots, sizeof *r->paths);
    r->fields = calloc(slots, sizeof *r->fields);
    r->vals = calloc(slots, sizeof *r->vals);
    r->in_arena = calloc(slots, sizeof *r->in_arena);
    r->aoff = calloc(slots, sizeof *r->aoff);
    if (!r->pstore || !r->nodes || !r->paths || !r->fields || !r->vals || !r->in_arena ||
        !r->aoff)
        return ASSAY_E_NOMEM;
    r->nodes[0].parent = -1;
    r->nnodes = 1;
    r->npaths = np;
    char *store = r->pstore;
    for (size_t k = 0; k < np; k++) {
        const char *p = paths[k] ? paths[k] : "";
        size_t n = strlen(p);
        memcpy(store, p, n + 1);
        xr_path *xp = &r->paths[k];
        xp->node = -1;
        int node = 0;
        bool ok = n > 0;
        for (size_t i = 0; ok && i <= n;) {
            size_t s = i;
            while (i < n && store[i] != '.')
                i++;
            bool last = i == n;
            if (i == s)
                ok = false;
            else if (store[s] == '@') {
                if (!last || i - s < 2)
                    ok = false;
                else {
                    xp->attr = store + s + 1;
                    xp->alen = i - s - 1;
                    r->nodes[node].attrs = true;
                }
            } else {
                int c = find_child(r, node, store + s, i - s);
                if (c < 0) {
                    c = (int)r->nnodes++;
                    r->nodes[c] = (xr_node){ store + s, i - s, node, 0, false, false };
                }
                node = c;
                if (last)
                    r->nodes[node].elems = true;
            }
            i++;
        }
        if (ok)
            xp->node = node;
        store += n + 1;
    }
    return ASSAY_OK;
}

static void xml_error(void *ud, xmlErrorPtr e);

static assay_status new_parser(io_xml_reader *r)
{
    if (r->px)
        xmlFreeParserCtxt(r->px);
    r->px = xmlNewParserCtxt();
    if (!r->px || !r->px->sax)
        return ASSAY_E_NOMEM;
    /* No callbacks: nothing is built, the parser only checks. serror sees
     * every error (XML_PARSE_NOERROR only silences the default printer). */
    memset(r->px->sax, 0, sizeof *r->px->sax);
    r->px->sax->initialized = XML_SAX2_MAGIC;
    r->px->sax->serror = xml_error;
    r->px->_private = r;
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
        st = compile_paths(r, o->paths, o->npaths);
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
    if (!r->buf || !r->stack || !r->frames || new_parser(r)) {
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

/* ---- lines, the gap, the buffer ------------------------------------------ */

/* Counts line breaks (LF, CRLF, a lone CR) up to buf[upto]. */
static void count_lines(io_xml_reader *r, size_t upto)
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
static assay_status flush_gap(io_xml_reader *r, size_t upto)
{
    if (upto <= r->mark)
        return ASSAY_OK;
    size_t n = upto - r->mark;
    if (!r->gap_over) {
        if (r->gap.len + n > r->limit)
            r->gap_over = true;
        else if (core_buf_append(&r->gap, r->buf + r->mark, n))
            return fail(r, ASSAY_E_NOMEM, "out of memory keeping the bytes between XML records");
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
        assay_status st = flush_gap(r, keep);
        if (st)
            return st;
    }
    if (r->lc < keep)
        count_lines(r, keep);
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
            return fail(r, ASSAY_E_NOMEM, "out of memory growing the XML buffer");
        r->buf = b;
        r->cap = cap;
    }
    return ASSAY_OK;
}

static assay_status refill(io_xml_reader *r)
{
    assay_status st = make_room(r);
    if (st)
        return st;
    size_t room = r->cap - r->end;
    if (room > r->block)
        room = r->block;
    if (room == 0)
        return fail(r, ASSAY_E_INTERNAL, "XML reader: lookahead exceeds its buffer");
    ptrdiff_t got = r->read(r->ctx, r->buf + r->end, room);
    if (got < 0)
        return fail(r, ASSAY_E_IO, "read error: %s", strerror(errno));
    if ((size_t)got > room)
        return fail(r, ASSAY_E_INTERNAL, "XML reader: the source overran its buffer");
    if (got == 0)
        r->eof = true;
    r->end += (size_t)got;
    return ASSAY_OK;
}

/* ---- the scanner: open elements ------------------------------------------- */

static bool level_is(const io_xml_reader *r, const xr_level *l, const char *n, size_t len)
{
    return l->known && mem_eq(r->names.data + l->noff, l->nlen, n, len);
}

static assay_status build_prefix(io_xml_reader *r);

static assay_status start_record(io_xml_reader *r)
{
    assay_status st = flush_gap(r, r->tag_start);
    if (!st)
        st = build_prefix(r);
    if (st)
        return st;
    if (r->nrec == 0 && !r->matched) {
        if (r->gap_over)
            return fail(r, ASSAY_E_LIMIT,
                        "more than %zu bytes (max_record_bytes) come before the first XML "
                        "record",
                        r->limit);
        core_buf t = r->head;
        r->head = r->gap;
        r->gap = t;
    }
    core_buf_clear(&r->gap);
    r->gap_over = false;
    count_lines(r, r->tag_start);
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
        !mem_eq(r->name.data, r->name.len, r->rpath + r->seg_off[d], r->seg_len[d]))
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
            return fail(r, ASSAY_E_NOMEM, "out of memory tracking XML elements");
        r->stack = s;
    }
    xr_level *l = &r->stack[r->nstack++];
    l->noff = r->names.len;
    l->nlen = r->name.len;
    l->known = false;
    if (!r->name_long) {
        assay_status st = core_buf_append(&r->names, r->name.data, r->name.len);
        if (st == ASSAY_E_NOMEM)
            return fail(r, st, "out of memory tracking XML elements");
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
        return fail(r, st, "out of memory keeping XML namespace declarations");
    if (st) {
        r->decls.len = r->decl_mark;
        r->in_xmlns = false;
    }
    return ASSAY_OK;
}

static void attr_name_char(io_xml_reader *r, unsigned char c)
{
    if (is_ws(c) || c == '=') {
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
            return fail(r, ASSAY_E_NOMEM, "out of memory keeping XML namespace declarations");
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
        return fail(r, ASSAY_E_NOMEM, "out of memory reading an XML name");
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
static assay_status scan_run(io_xml_reader *r, size_t lim, bool *done)
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
            } else if (name_start(c))
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
            while (i < lim && !name_stop((unsigned char)b[i]))
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

/* ---- libxml2: is the record well-formed? ---------------------------------- */

static void copy_str(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    if (s)
        while (s[n] && s[n] != '\n' && n + 1 < cap)
            n++;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
}

static void xml_error(void *ud, xmlErrorPtr e)
{
    xmlParserCtxtPtr px = ud;
    io_xml_reader *r = px ? px->_private : NULL;
    if (!r || !e || e->level < XML_ERR_ERROR)
        return;
    bool ent = e->code == XML_ERR_UNDECLARED_ENTITY || e->code == XML_WAR_UNDECLARED_ENTITY;
    for (int pass = 0; pass < 2; pass++) {
        xr_xerr *x = pass ? &r->e_ent : &r->e_first;
        if (x->set || (pass && !ent))
            continue;
        x->set = true;
        x->code = e->code;
        x->line = e->line;
        x->col = e->int2;
        x->int1 = e->int1;
        copy_str(x->msg, sizeof x->msg, e->message);
        copy_str(x->s1, sizeof x->s1, e->str1);
        copy_str(x->s2, sizeof x->s2, e->str2);
    }
}

/* The wrapper's start tag: the xmlns declarations in scope on the record's
 * ancestors (an inner one shadows an outer one of the same name). */
static assay_status build_prefix(io_xml_reader *r)
{
    if (r->wrap_gen == r->decl_gen)
        return ASSAY_OK;
    core_buf_clear(&r->prefix);
    assay_status st = core_buf_puts(&r->prefix, "<" XR_WRAP);
    const char *d = r->decls.data;
    for (size_t i = 0; i < r->ndecl && !st; i++) {
        const xr_decl *a = &r->dent[i];
        bool shadowed = false;
        for (size_t j = i + 1; j < r->ndecl && !shadowed; j++)
            shadowed = mem_eq(d + a->off, a->nlen, d + r->dent[j].off, r->dent[j].nlen);
        if (!shadowed && !(st = core_buf_putc(&r->prefix, ' ')))
            st = core_buf_append(&r->prefix, d + a->off, a->len);
    }
    if (!st)
        st = core_buf_putc(&r->prefix, '>');
    if (st)
        return fail(r, ASSAY_E_NOMEM, "out of memory building the XML record wrapper");
    r->wrap_gen = r->decl_gen;
    return ASSAY_OK;
}

static assay_status xml_check(io_xml_reader *r, const char *raw, size_t n, bool *ok)
{
    if (xmlDictSize(r->px->dict) > XR_DICT_MAX && new_parser(r))
        return fail(r, ASSAY_E_NOMEM, "out of memory creating the XML parser");
    core_buf_clear(&r->wrap);
    if (core_buf_append(&r->wrap, r->prefix.data, r->prefix.len) ||
        core_buf_append(&r->wrap, raw, n) || core_buf_puts(&r->wrap, "</" XR_WRAP ">"))
        return fail(r, ASSAY_E_NOMEM, "out of memory parsing an XML record");
    memset(&r->e_first, 0, sizeof r->e_first);
    memset(&r->e_ent, 0, sizeof r->e_ent);
    /* No XML_PARSE_NOENT (entities are never substituted), no DTDLOAD,
     * DTDATTR or DTDVALID (no DTD is read), NONET (nothing is fetched). */
    xmlDocPtr d = xmlCtxtReadMemory(r->px, r->wrap.data, (int)r->wrap.len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (d)
        xmlFreeDoc(d);
    if (r->e_first.set && r->e_first.code == XML_ERR_NO_MEMORY)
        return fail(r, ASSAY_E_NOMEM, "out of memory parsing an XML record");
    *ok = r->px->wellFormed && r->px->nsWellFormed && !r->e_first.set && !r->e_ent.set;
    return ASSAY_OK;
}

/* A libxml2 position in the wrapped record, made absolute. */
static void abs_pos(const io_xml_reader *r, int line, int col, unsigned long long *L,
                    unsigned long long *C)
{
    size_t pre = r->prefix.len, c = col > 0 ? (size_t)col - 1 : 0;
    if (line <= 1) {
        *L = r->rec_line;
        *C = r->rec_col + (c > pre ? c - pre : 0);
    } else {
        *L = r->rec_line + (uint64_t)line - 1;
        *C = c + 1;
    }
}

static void judge_error(io_xml_reader *r, io_record *rec)
{
    unsigned long long L, C;
    rec->detail = r->detail;
    if (r->e_ent.set) {
        abs_pos(r, r->e_ent.line, r->e_ent.col, &L, &C);
        rec->kind = IO_REC_XML_ENTITY;
        snprintf(r->detail, sizeof r->detail,
                 "line %llu, column %llu: the entity &%s; is never expanded (only &lt; "
                 "&gt; &amp; &quot; &apos; and character references are allowed)",
                 L, C, r->e_ent.s1);
        return;
    }
    rec->kind = IO_REC_XML;
    const xr_xerr *x = &r->e_first;
    if (!x->set) {
        snprintf(r->detail, sizeof r->detail, "line %llu, column %llu: not well-formed",
                 (unsigned long long)r->rec_line, (unsigned long long)r->rec_col);
        return;
    }
    abs_pos(r, x->line, x->col, &L, &C);
    char msg[240];
    unsigned long long open = r->rec_line + (uint64_t)(x->int1 > 1 ? x->int1 - 1 : 0);
    if (x->code == XML_ERR_TAG_NAME_MISMATCH && strcmp(x->s2, XR_WRAP) == 0)
        snprintf(msg, sizeof msg, "element <%s> (line %llu) is not closed", x->s1, open);
    else if (x->code == XML_ERR_TAG_NAME_MISMATCH)
        snprintf(msg, sizeof msg, "Opening and ending tag mismatch: %s line %llu and %s",
                 x->s1, open, x->s2);
    else if (x->code == XML_ERR_TAG_NOT_FINISHED)
        snprintf(msg, sizeof msg, "Premature end of data in tag %s line %llu", x->s1, open);
    else if (strncmp(x->msg, "Input is not proper UTF-8", 25) == 0)
        snprintf(msg, sizeof msg, "invalid UTF-8");
    else
        snprintf(msg, sizeof msg, "%s", x->msg);
    snprintf(r->detail, sizeof r->detail, "line %llu, column %llu: %s", L, C, msg);
}

/* ---- fields --------------------------------------------------------------- */

static bool starts(const char *p, size_t n, size_t i, const char *pat)
{
    size_t m = strlen(pat);
    return i <= n && n - i >= m && memcmp(p + i, pat, m) == 0;
}

/* Where pat next starts in p[i, n), or n. */
static size_t find_at(const char *p, size_t n, size_t i, const char *pat)
{
    while (i < n) {
        const char *h = memchr(p + i, pat[0], n - i);
        if (!h)
            return n;
        i = (size_t)(h - p);
        if (starts(p, n, i, pat))
            return i;
        i++;
    }
    return n;
}

static size_t after(const char *p, size_t n, size_t i, const char *pat)
{
    size_t at = find_at(p, n, i, pat);
    return at == n ? n : at + strlen(pat);
}

static size_t put_utf8(char *o, unsigned long c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* The reference at p[i] ('&'), decoded onto o[*w]; returns the index after
 * it. libxml2 accepted the record, so it is a character reference or one of
 * the five predefined entities; anything else is copied as written. The
 * result is never longer than the reference. */
static size_t put_ref(const char *p, size_t n, size_t i, char *o, size_t *w)
{
    const char *semi = memchr(p + i, ';', n - i);
    if (!semi) {
        o[(*w)++] = '&';
        return i + 1;
    }
    size_t e = (size_t)(semi - p);
    const char *nm = p + i + 1;
    size_t len = e - i - 1;
    static const char *const pre[5] = { "lt", "gt", "amp", "quot", "apos" };
    static const char chr[5] = { '<', '>', '&', '"', '\'' };
    if (len > 1 && nm[0] == '#') {
        unsigned long c = 0;
        bool hex = nm[1] == 'x';
        for (size_t k = hex ? 2 : 1; k < len && c <= 0x10FFFF; k++) {
            unsigned char d = (unsigned char)nm[k];
            unsigned v = d >= '0' && d <= '9' ? (unsigned)(d - '0') : (unsigned)((d | 0x20) - 'a' + 10);
            c = c * (hex ? 16 : 10) + v;
        }
        if (c <= 0x10FFFF) {
            *w += put_utf8(o + *w, c);
            return e + 1;
        }
    } else
        for (int k = 0; k < 5; k++)
            if (mem_eq(nm, len, pre[k], strlen(pre[k]))) {
                o[(*w)++] = chr[k];
                return e + 1;
            }
    memcpy(o + *w, p + i, e + 1 - i);
    *w += e + 1 - i;
    return e + 1;
}

/* Copies p[a, e) onto o[*w] with line ends normalised to LF. */
static void put_lines(const char *p, size_t a, size_t e, char *o, size_t *w)
{
    for (size_t i = a; i < e; i++) {
        if (p[i] != '\r')
            o[(*w)++] = p[i];
        else if (i + 1 >= e || p[i + 1] != '\n')
            o[(*w)++] = '\n';
    }
}

/* An element's text p[a, e) without child elements: CDATA as is, comments
 * and PIs skipped, references decoded, line ends normalised. Zero-copy when
 * nothing needs changing, else onto the arena (offset in aoff[k]). */
static assay_status text_value(io_xml_reader *r, const char *p, size_t a, size_t e, size_t k,
                               bool attr)
{
    io_slice *f = &r->fields[k];
    bool plain = true;
    for (size_t i = a; i < e && plain; i++) {
        char c = p[i];
        plain = c != '&' && c != '<' && c != '\r' && (!attr || (c != '\n' && c != '\t'));
    }
    r->in_arena[k] = !plain;
    if (plain) {
        f->p = p + a;
        f->n = e - a;
        return ASSAY_OK;
    }
    if (core_buf_reserve(&r->arena, e - a))
        return fail(r, ASSAY_E_NOMEM, "out of memory decoding an XML value");
    char *o = r->arena.data + r->arena.len;
    size_t w = 0, i = a;
    while (i < e) {
        char c = p[i];
        if (c == '&')
            i = put_ref(p, e, i, o, &w);
        else if (attr && (c == '\r' || c == '\n' || c == '\t')) {
            o[w++] = ' '; /* attribute-value normalisation */
            i += c == '\r' && i + 1 < e && p[i + 1] == '\n' ? 2 : 1;
        } else if (c == '\r') {
            o[w++] = '\n';
            i += i + 1 < e && p[i + 1] == '\n' ? 2 : 1;
        } else if (c != '<')
            o[w++] = p[i++];
        else if (starts(p, e, i, "<![CDATA[")) {
            size_t s = i + 9, t = find_at(p, e, s, "]]>");
            put_lines(p, s, t, o, &w);
            i = t < e ? t + 3 : e;
        } else if (starts(p, e, i, "<!--"))
            i = after(p, e, i + 4, "-->");
        else if (starts(p, e, i, "<?"))
            i = after(p, e, i + 2, "?>");
        else
            o[w++] = p[i++];
    }
    r->aoff[k] = r->arena.len;
    r->arena.len += w;
    f->n = w;
    return ASSAY_OK;
}

static void set_kind(io_xml_reader *r, size_t k, size_t off, size_t len)
{
    r->vals[k].kind = r->fields[k].n ? IO_V_STRING : IO_V_NULL;
    r->vals[k].off = off;
    r->vals[k].len = len;
}

static assay_status add_extra(io_xml_reader *r, size_t name_off, size_t name_len, size_t off,
                              size_t *idx)
{
    if (r->nextra == r->xcap) {
        size_t cap = r->xcap ? 2 * r->xcap : 8;
        io_docextra *x = realloc(r->extra, cap * sizeof *x);
        if (!x)
            return fail(r, ASSAY_E_NOMEM, "out of memory listing XML extras");
        r->extra = x;
        r->xcap = cap;
    }
    r->extra[r->nextra] = (io_docextra){ name_off, name_len, off, 0, 0, 0 };
    *idx = ++r->nextra;
    return ASSAY_OK;
}

/* One attribute: p[ws] the space before it, [ns, ne) its name, [vs, ve) its
 * value. */
static assay_status one_attr(io_xml_reader *r, const char *p, int node, bool rec, size_t ws,
                             size_t ns, size_t ne, size_t vs, size_t ve)
{
    const char *nm = p + ns;
    size_t nl = ne - ns;
    if (nl >= 5 && memcmp(nm, "xmlns", 5) == 0 && (nl == 5 || nm[5] == ':'))
        return ASSAY_OK; /* a declaration, not data */
    bool named = false;
    if (node >= 0 && r->nodes[node].attrs)
        for (size_t k = 0; k < r->npaths; k++) {
            const xr_path *xp = &r->paths[k];
            if (xp->node != node || !xp->attr || !mem_eq(xp->attr, xp->alen, nm, nl))
                continue;
            named = true;
            assay_status st = text_value(r, p, vs, ve, k, true);
            if (st)
                return st;
            set_kind(r, k, vs, ve - vs);
        }
    if (!rec || named)
        return ASSAY_OK;
    size_t x = 0;
    assay_status st = add_extra(r, ns, nl, ws, &x);
    if (!st) {
        r->extra[x - 1].len = ve + 1 - ws;
        r->extra[x - 1].val_off = vs;
        r->extra[x - 1].val_len = ve - vs;
    }
    return st;
}

/* A start tag's attributes, from p[*pi] (just after the name) through its
 * '>'. *empty: the tag ended with "/>" (at *slash). */
static assay_status walk_attrs(io_xml_reader *r, const char *p, size_t n, size_t *pi, int node,
                               bool rec, bool *empty, size_t *slash)
{
    size_t i = *pi;
    assay_status st = ASSAY_OK;
    *empty = false;
    while (!st) {
        size_t ws = i;
        while (i < n && is_ws((unsigned char)p[i]))
            i++;
        if (i >= n)
            break;
        if (p[i] == '/') {
            *empty = true;
            *slash = i;
            i = i + 2 <= n ? i + 2 : n;
            break;
        }
        if (p[i] == '>') {
            i++;
            break;
        }
        size_t ns = i;
        while (i < n && !is_ws((unsigned char)p[i]) && p[i] != '=')
            i++;
        size_t ne = i;
        while (i < n && p[i] != '"' && p[i] != '\'')
            i++;
        if (i >= n)
            break;
        char q = p[i];
        size_t vs = ++i;
        const char *qe = memchr(p + i, q, n - i);
        if (!qe) {
            i = n;
            break;
        }
        size_t ve = (size_t)(qe - p);
        i = ve + 1;
        st = one_attr(r, p, node, rec, ws, ns, ne, vs, ve);
    }
    *pi = i;
    return st;
}

/* The trie node of a child element named [nm, nl) of parent's element, on
 * its first occurrence in this record only. */
static int resolve(io_xml_reader *r, int parent, const char *nm, size_t nl)
{
    int c = find_child(r, parent, nm, nl);
    if (c < 0 || r->nodes[c].gen == r->gen)
        return -1;
    r->nodes[c].gen = r->gen;
    return c;
}

static assay_status elem_values(io_xml_reader *r, const char *p, const xr_frame *f, size_t ce)
{
    if (f->node < 0 || !r->nodes[f->node].elems)
        return ASSAY_OK;
    for (size_t k = 0; k < r->npaths; k++) {
        const xr_path *xp = &r->paths[k];
        if (xp->node != f->node || xp->attr)
            continue;
        if (f->nchild) {
            r->in_arena[k] = false;
            r->fields[k] = (io_slice){ p + f->cstart, ce - f->cstart };
            r->vals[k] = (io_docval){ IO_V_OBJECT, f->nchild, f->cstart, ce - f->cstart };
            continue;
        }
        assay_status st = text_value(r, p, f->cstart, ce, k, false);
        if (st)
            return st;
        set_kind(r, k, f->cstart, ce - f->cstart);
    }
    return ASSAY_OK;
}

/* The content of the record element, from p[i] through its end tag. */
static assay_status walk_content(io_xml_reader *r, const char *p, size_t n, size_t i)
{
    size_t top = 0;
    r->frames[0] = (xr_frame){ 0, i, 0, 0 };
    assay_status st = ASSAY_OK;
    while (i < n && !st) {
        if (p[i] != '<') {
            const char *lt = memchr(p + i, '<', n - i);
            if (!lt)
                break;
            i = (size_t)(lt - p);
        } else if (starts(p, n, i, "<!--"))
            i = after(p, n, i + 4, "-->");
        else if (starts(p, n, i, "<![CDATA["))
            i = after(p, n, i + 9, "]]>");
        else if (starts(p, n, i, "<?"))
            i = after(p, n, i + 2, "?>");
        else if (i + 1 < n && p[i + 1] == '/') {
            size_t ce = i;
            const char *gt = memchr(p + i, '>', n - i);
            i = gt ? (size_t)(gt - p) + 1 : n;
            const xr_frame *f = &r->frames[top];
            st = elem_values(r, p, f, ce);
            if (f->extra) {
                io_docextra *x = &r->extra[f->extra - 1];
                x->len = i - x->off;
                x->val_off = f->cstart;
                x->val_len = ce - f->cstart;
            }
            if (top == 0)
                break;
            top--;
        } else {
            size_t s = i++, ns = i;
            while (i < n && !name_stop((unsigned char)p[i]))
                i++;
            const char *nm = p + ns;
            size_t nl = i - ns, extra = 0, slash = 0;
            xr_frame *f = &r->frames[top];
            f->nchild++;
            int node = f->node >= 0 ? resolve(r, f->node, nm, nl) : -1;
            if (top == 0 && find_child(r, 0, nm, nl) < 0) {
                size_t ws = s;
                while (ws > 0 && is_ws((unsigned char)p[ws - 1]))
                    ws--;
                if (ws > 0 && p[ws - 1] != '>')
                    ws = s; /* mixed content: keep the text whole */
                st = add_extra(r, ns, nl, ws, &extra);
            }
            bool empty;
            if (!st)
                st = walk_attrs(r, p, n, &i, node, false, &empty, &slash);
            if (st)
                break;
            if (empty) {
                for (size_t k = 0; node >= 0 && k < r->npaths; k++)
                    if (r->paths[k].node == node && !r->paths[k].attr)
                        r->vals[k] = (io_docval){ IO_V_NULL, 0, slash, 0 };
                if (extra) {
                    io_docextra *x = &r->extra[extra - 1];
                    x->len = i - x->off;
                    x->val_off = slash;
                }
                continue;
            }
            if (++top == r->fcap) {
                xr_frame *fr = realloc(r->frames, 2 * r->fcap * sizeof *fr);
                if (!fr)
                    return fail(r, ASSAY_E_NOMEM, "out of memory reading an XML record");
                r->frames = fr;
                r->fcap *= 2;
            }
            r->frames[top] = (xr_frame){ node, i, 0, extra };
        }
    }
    return st;
}

static assay_status extract(io_xml_reader *r, io_record *rec)
{
    const char *p = rec->raw;
    size_t n = rec->raw_len, i = 1, slash = 0;
    r->gen++;
    for (size_t k = 0; k < r->npaths; k++) {
        r->vals[k] = (io_docval){ IO_V_ABSENT, 0, 0, 0 };
        r->fields[k] = (io_slice){ NULL, 0 };
        r->in_arena[k] = false;
    }
    core_buf_clear(&r->arena);
    r->nextra = 0;
    while (i < n && !name_stop((unsigned char)p[i]))
        i++;
    bool empty;
    assay_status st = walk_attrs(r, p, n, &i, 0, true, &empty, &slash);
    if (!st && !empty)
        st = walk_content(r, p, n, i);
    if (st)
        return st;
    bool ctl = true;
    for (size_t k = 0; k < r->npaths; k++) {
        io_slice *f = &r->fields[k];
        if (r->in_arena[k])
            f->p = r->arena.data + r->aoff[k];
        if (f->n == 0)
            f->p = NULL;
        else if (ctl)
            ctl = io_csv_ctl_free(f->p, f->n);
    }
    r->doc = (io_doc){ r->vals, r->npaths, r->extra, r->nextra };
    rec->kind = IO_REC_OK;
    rec->nfields = r->npaths;
    rec->fields = r->fields;
    rec->ctl_free = ctl;
    rec->doc = &r->doc;
    return ASSAY_OK;
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
    count_lines(r, r->piece_start + len);
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
    count_lines(r, e);
    rec->lines = r->line - r->rec_line + 1;
    r->in_rec = r->ended = false;
    r->mark = e;
    r->nrec++;
    set_utf8(rec);
    bool ok = false;
    assay_status st = xml_check(r, rec->raw, rec->raw_len, &ok);
    if (st)
        return st;
    if (!ok) {
        judge_error(r, rec);
        rec->ctl_free = io_csv_ctl_free(rec->raw, rec->raw_len);
        return ASSAY_OK;
    }
    return extract(r, rec);
}

static const char *inside_what(int st)
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
             inside_what(r->st));
    rec->raw = r->buf + a;
    rec->raw_len = r->end - a;
    rec->offset = r->boff + a;
    rec->line = r->rec_line;
    count_lines(r, r->end);
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
    assay_status st = flush_gap(r, r->end);
    if (st)
        return st;
    count_lines(r, r->end);
    if (r->gap_over && (r->matched || !r->has_elements))
        return fail(r, ASSAY_E_LIMIT, "more than %zu bytes (max_record_bytes) come %s",
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
        assay_status st = scan_run(r, lim, &done);
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
        st = refill(r);
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
