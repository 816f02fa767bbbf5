/* io/json_reader.c — the streaming JSON record reader (see json_reader.h and
 * docs/json.md): the byte stream, where each record ends, and the hand-out.
 *
 * One buffer holds the bytes not yet handed out, then room for the next
 * block (as in the CSV reader). Record ends are found without parsing: NDJSON
 * lines with memchr, array elements with a small scanner that knows strings,
 * escapes and bracket depth. Each record's bytes then go to the field
 * extractor (json_fields.c, through json_internal.h), which parses them once
 * with jansson and fills the record's fields and doc.
 *
 * Modes:
 *   M_NDJSON  one line at a time;
 *   M_START   an array document before its '[' (or a lone object);
 *   M_ARRAY   inside the array, before an element, ',' or ']';
 *   M_AFTER   after the closing ']' (or the lone object): only whitespace
 *             may follow, anything else is one json_parse record;
 *   M_PIECES  a record over max_record_bytes (or the rest of a broken
 *             document), handed out in pieces of at most max_record_bytes;
 *   M_DONE    nothing more. */
#include "io/json_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "io/csv_split.h"
#include "io/json_internal.h"

#define JR_MIB ((size_t)1 << 20)
#define JR_LIMIT_MAX ((size_t)1 << 40)

enum { M_NDJSON, M_START, M_ARRAY, M_AFTER, M_PIECES, M_DONE };
enum { P_LINE, P_ELEM, P_REST }; /* what a record in pieces is */

/* The array element scanner: where an element ends. */
typedef struct jr_escan {
    size_t depth;
    size_t last;   /* one past the last non-whitespace byte */
    bool in_str, esc;
} jr_escan;

typedef struct jr_pieces {
    int type;
    io_rec_kind kind;
    int next;      /* mode after the last piece */
    jr_escan es;   /* P_ELEM: the scan at the first byte not handed out */
    uint64_t line; /* where the record starts */
    uint64_t lfs;  /* line feeds handed out so far */
    bool more;     /* a piece was already handed out */
} jr_pieces;

struct io_json_reader {
    io_read_fn read;
    void *ctx;
    bool array;
    size_t max, block;
    char *buf;
    size_t cap, bufmax, pos, end;
    bool eof;
    uint64_t consumed; /* stream offset of buf[pos] */
    uint64_t line;     /* line of buf[pos] */
    uint64_t col;      /* characters before buf[pos] on its line (arrays) */
    int mode;
    bool single;       /* the document is one object, not an array */
    jr_pieces pc;
    char detail[320];  /* a record too large, or the rest of a broken document */
    io_json_fields *jf; /* one record's bytes -> its fields */
    bool defer;        /* NDJSON lines handed out unparsed */
};

struct io_json_parser {
    const char **paths; /* a copy of the array (io_json_fields borrows it) */
    io_json_fields *jf;
};

assay_status io_json_parser_new(const char *const *paths, size_t npaths,
                                io_json_parser **out)
{
    *out = NULL;
    io_json_parser *p = calloc(1, sizeof *p);
    if (!p)
        return ASSAY_E_NOMEM;
    p->paths = malloc((npaths ? npaths : 1) * sizeof *p->paths);
    if (!p->paths) {
        free(p);
        return ASSAY_E_NOMEM;
    }
    for (size_t i = 0; i < npaths; i++)
        p->paths[i] = paths[i];
    assay_status st = io_json_fields_new(p->paths, npaths, &p->jf);
    if (st) {
        io_json_parser_free(p);
        return st;
    }
    *out = p;
    return ASSAY_OK;
}

void io_json_parser_free(io_json_parser *p)
{
    if (!p)
        return;
    io_json_fields_free(p->jf);
    free(p->paths);
    free(p);
}

/* The same bounds as ndjson_next: no BOM at the input's start, no line end. */
assay_status io_json_parse_line(io_json_parser *p, io_record *rec, assay_error *err)
{
    const char *s = rec->raw;
    size_t ce = rec->raw_len;
    if (ce && s[ce - 1] == '\n')
        ce -= 1 + (ce >= 2 && s[ce - 2] == '\r');
    size_t cb = rec->offset == 0 && ce >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    return io_json_fields_parse(p->jf, rec, cb, ce, 0, err);
}

static assay_status fail(assay_error *err, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static assay_status fail(assay_error *err, assay_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = st;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return st;
}

static size_t clamp_limit(size_t v, size_t dflt)
{
    if (v == 0)
        return dflt;
    return v > JR_LIMIT_MAX ? JR_LIMIT_MAX : v;
}

/* ---- the reader's life ------------------------------------------------------ */

assay_status io_json_reader_new(io_read_fn read, void *ctx, const io_json_opts *o,
                                io_json_reader **out)
{
    *out = NULL;
    io_json_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ASSAY_E_NOMEM;
    r->read = read;
    r->ctx = ctx;
    r->array = o->array;
    r->defer = o->defer && !o->array;
    r->max = clamp_limit(o->max_record_bytes, 16 * JR_MIB);
    r->block = clamp_limit(o->block_size, JR_MIB);
    /* A record (plus a CR LF to see its end) and a block. */
    r->bufmax = r->max + 2 + r->block + 64;
    r->cap = 2 * r->block + 64;
    if (r->cap > r->bufmax)
        r->cap = r->bufmax;
    /* Zeroed, like every growth below: pcre2's JIT may read whole words past
     * a value's end; they must never be uninitialised. */
    r->buf = calloc(1, r->cap);
    r->line = 1;
    r->mode = o->array ? M_START : M_NDJSON;
    if (!r->buf || io_json_fields_new(o->paths, o->npaths, &r->jf)) {
        io_json_reader_free(r);
        return ASSAY_E_NOMEM;
    }
    *out = r;
    return ASSAY_OK;
}

void io_json_reader_free(io_json_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    io_json_fields_free(r->jf);
    free(r);
}

/* ---- the buffer --------------------------------------------------------------- */

static assay_status make_room(io_json_reader *r, assay_error *err)
{
    if (r->cap - r->end >= r->block)
        return ASSAY_OK;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->end < r->block && r->cap < r->bufmax) {
        size_t cap = r->cap * 2;
        if (cap < r->end + r->block)
            cap = r->end + r->block;
        if (cap > r->bufmax)
            cap = r->bufmax;
        char *b = realloc(r->buf, cap);
        if (!b)
            return fail(err, ASSAY_E_NOMEM, "out of memory growing the JSON buffer");
        memset(b + r->cap, 0, cap - r->cap);
        r->buf = b;
        r->cap = cap;
    }
    return ASSAY_OK;
}

static assay_status refill(io_json_reader *r, assay_error *err)
{
    if (r->eof)
        return ASSAY_OK;
    assay_status st = make_room(r, err);
    if (st)
        return st;
    size_t room = r->cap - r->end;
    if (room > r->block)
        room = r->block;
    if (room == 0)
        return fail(err, ASSAY_E_INTERNAL, "JSON reader: lookahead exceeds its buffer");
    ptrdiff_t got = r->read(r->ctx, r->buf + r->end, room);
    if (got < 0)
        return fail(err, ASSAY_E_IO, "read error: %s", strerror(errno));
    if ((size_t)got > room)
        return fail(err, ASSAY_E_INTERNAL, "JSON reader: the source overran its buffer");
    if (got == 0)
        r->eof = true;
    r->end += (size_t)got;
    return ASSAY_OK;
}

static assay_status ensure(io_json_reader *r, size_t need, assay_error *err)
{
    while (r->end - r->pos < need && !r->eof) {
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

/* Consumes n bytes, keeping line and column (in characters) up to date. */
static void advance(io_json_reader *r, size_t n)
{
    const char *p = r->buf + r->pos, *e = p + n, *from = p, *nl;
    while (from < e && (nl = memchr(from, '\n', (size_t)(e - from))) != NULL) {
        r->line++;
        r->col = 0;
        from = nl + 1;
    }
    for (; from < e; from++)
        r->col += ((unsigned char)*from & 0xC0) != 0x80;
    r->pos += n;
    r->consumed += n;
}

/* Skips whitespace; leaves pos at the next byte, or at end with eof. */
static assay_status skip_space(io_json_reader *r, assay_error *err)
{
    for (;;) {
        size_t i = r->pos;
        while (i < r->end && io_json_is_ws((unsigned char)r->buf[i]))
            i++;
        advance(r, i - r->pos);
        if (r->pos < r->end || r->eof)
            return ASSAY_OK;
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
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

/* ---- finding an array element's end ------------------------------------------ */

/* Scans p[from..to). Returns true with *at where the element ends: the ',' or
 * ']' at depth 0 (array), or one past the '}' that closes a lone object. */
static bool escan(jr_escan *s, const char *p, size_t from, size_t to, bool lone,
                  size_t *at)
{
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)p[i];
        if (s->in_str) {
            if (s->esc)
                s->esc = false;
            else if (c == '\\')
                s->esc = true;
            else if (c == '"')
                s->in_str = false;
            s->last = i + 1;
            continue;
        }
        switch (c) {
        case ' ': case '\t': case '\r': case '\n':
            continue;
        case '"':
            s->in_str = true;
            break;
        case '{': case '[':
            s->depth++;
            break;
        case '}': case ']':
            if (s->depth == 0) {
                if (c == ']' && !lone) {
                    *at = i;
                    return true;
                }
                break;
            }
            if (--s->depth == 0 && lone) {
                s->last = i + 1;
                *at = i + 1;
                return true;
            }
            break;
        case ',':
            if (s->depth == 0 && !lone) {
                *at = i;
                return true;
            }
            break;
        default:
            break;
        }
        s->last = i + 1;
    }
    return false;
}
/* ---- records in pieces ------------------------------------------------------------ */

static assay_status next_piece(io_json_reader *r, io_record *rec, assay_error *err)
{
    jr_pieces *pc = &r->pc;
    assay_status st = ensure(r, r->max + 1, err);
    if (st)
        return st;
    const char *p = r->buf + r->pos;
    size_t avail = r->end - r->pos, len, at = 0;
    bool last = avail <= r->max; /* then the input ends within the piece */
    if (pc->type == P_LINE) {
        const char *nl = memchr(p, '\n', last ? avail : r->max);
        if (nl) {
            last = true;
            len = (size_t)(nl - p) + 1;
        } else
            len = last ? avail : utf8_cut(p, r->max);
    } else if (pc->type == P_ELEM) {
        jr_escan t = pc->es;
        if (escan(&t, p, 0, avail < r->max + 1 ? avail : r->max + 1, r->single, &at)) {
            last = true;
            len = at;
        } else {
            len = last ? avail : utf8_cut(p, r->max);
            escan(&pc->es, p, 0, len, r->single, &at);
        }
    } else
        len = last ? avail : utf8_cut(p, r->max);
    rec->kind = pc->kind;
    rec->detail = r->detail;
    rec->raw = p;
    rec->raw_len = len;
    rec->raw_more = !last;
    rec->continued = pc->more;
    rec->line = pc->line;
    rec->offset = r->consumed;
    rec->ctl_free = io_csv_ctl_free(p, len);
    if (pc->kind == IO_REC_TOO_LARGE) {
        size_t bad = core_utf8_invalid_at(p, len);
        rec->bad_utf8 = bad < len;
        rec->bad_utf8_at = rec->bad_utf8 ? bad : 0;
    }
    uint64_t line0 = r->line;
    advance(r, len);
    pc->lfs += r->line - line0;
    rec->lines = pc->lfs + 1 - (p[len - 1] == '\n'); /* len > 0 */
    pc->more = true;
    if (last)
        r->mode = pc->next;
    return ASSAY_OK;
}

static assay_status start_pieces(io_json_reader *r, io_record *rec, int type,
                                 io_rec_kind kind, int next, assay_error *err)
{
    jr_pieces *pc = &r->pc;
    memset(pc, 0, sizeof *pc);
    pc->type = type;
    pc->kind = kind;
    pc->next = next;
    pc->line = r->line;
    r->mode = M_PIECES;
    return next_piece(r, rec, err);
}

/* The rest of the input as one json_parse record (in pieces when large). */
static assay_status rest_record(io_json_reader *r, io_record *rec, const char *what,
                                assay_error *err)
{
    snprintf(r->detail, sizeof r->detail, "line %llu, column %llu: %s",
             (unsigned long long)r->line, (unsigned long long)r->col + 1, what);
    return start_pieces(r, rec, P_REST, IO_REC_JSON_PARSE, M_DONE, err);
}

/* ---- NDJSON ------------------------------------------------------------------------ */

static bool all_ws(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!io_json_is_ws((unsigned char)p[i]))
            return false;
    return true;
}

static assay_status ndjson_next(io_json_reader *r, io_record *rec, assay_error *err)
{
    size_t win = r->max + 2, k = 0, avail, w;
    const char *nl;
    for (;;) { /* the line end, within a record and a CR LF */
        avail = r->end - r->pos;
        w = avail < win ? avail : win;
        nl = memchr(r->buf + r->pos + k, '\n', w - k);
        if (nl || w == win || r->eof)
            break;
        k = w;
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
    const char *p = r->buf + r->pos;
    size_t len = nl ? (size_t)(nl - p) + 1 : w;
    size_t ce = nl ? len - 1 - (len >= 2 && p[len - 2] == '\r') : len;
    size_t cb = r->consumed == 0 && ce >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if ((!nl && !r->eof) || ce - cb > r->max) {
        snprintf(r->detail, sizeof r->detail, "line longer than max_record_bytes (%zu)",
                 r->max);
        return start_pieces(r, rec, P_LINE, IO_REC_TOO_LARGE, M_NDJSON, err);
    }
    rec->raw = p;
    rec->raw_len = len;
    rec->offset = r->consumed;
    rec->line = r->line;
    rec->lines = 1;
    r->line += nl != NULL;
    r->pos += len;
    r->consumed += len;
    if (all_ws(p + cb, ce - cb)) {
        rec->kind = IO_REC_BLANK;
        rec->ctl_free = true;
        return ASSAY_OK;
    }
    if (r->defer) {
        rec->kind = IO_REC_DEFERRED;
        return ASSAY_OK;
    }
    return io_json_fields_parse(r->jf, rec, cb, ce, 0, err);
}

/* ---- arrays -------------------------------------------------------------------------- */

/* The element at pos (its first byte is not whitespace). */
static assay_status element(io_json_reader *r, io_record *rec, assay_error *err)
{
    jr_escan es = { 0, 0, false, false };
    size_t win = r->max + 1, k = 0, at = 0, avail, w;
    bool found;
    for (;;) {
        avail = r->end - r->pos;
        w = avail < win ? avail : win;
        found = escan(&es, r->buf + r->pos, k, w, r->single, &at);
        if (found || w == win || r->eof)
            break;
        k = w;
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
    int next = r->single ? M_AFTER : M_ARRAY;
    if (!found && !(r->eof && avail <= r->max)) {
        snprintf(r->detail, sizeof r->detail,
                 "array element longer than max_record_bytes (%zu)", r->max);
        return start_pieces(r, rec, P_ELEM, IO_REC_TOO_LARGE, next, err);
    }
    size_t span = found ? at : avail, len = es.last;
    rec->raw = r->buf + r->pos;
    rec->raw_len = len;
    rec->offset = r->consumed;
    rec->line = r->line;
    uint64_t col0 = r->col;
    advance(r, len);
    rec->lines = r->line - rec->line + 1 - (rec->raw[len - 1] == '\n'); /* len > 0 */
    advance(r, span - len);
    r->mode = next;
    return io_json_fields_parse(r->jf, rec, 0, len, col0, err);
}

static assay_status array_next(io_json_reader *r, io_record *rec, bool *eof,
                               assay_error *err)
{
    for (;;) {
        assay_status st;
        if (r->mode == M_DONE) {
            *eof = true;
            return ASSAY_OK;
        }
        if (r->mode == M_START && r->consumed == 0) {
            if ((st = ensure(r, 3, err)))
                return st;
            if (r->end - r->pos >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0) {
                advance(r, 3);
                r->col = 0;
            }
        }
        if ((st = skip_space(r, err)))
            return st;
        if (r->pos == r->end) {
            r->mode = M_DONE;
            continue;
        }
        char c = r->buf[r->pos];
        switch (r->mode) {
        case M_START:
            if (c == '[') {
                advance(r, 1);
                r->mode = M_ARRAY;
                continue;
            }
            if (c == '{') {
                r->single = true;
                return element(r, rec, err);
            }
            return rest_record(r, rec,
                               "expected '[' (an array of records) or '{' (one record)",
                               err);
        case M_ARRAY:
            if (c == ']' || c == ',') { /* an empty element is skipped */
                advance(r, 1);
                r->mode = c == ']' ? M_AFTER : M_ARRAY;
                continue;
            }
            return element(r, rec, err);
        default: /* M_AFTER */
            return rest_record(r, rec,
                               r->single ? "text after the end of the record object"
                                         : "text after the end of the JSON array",
                               err);
        }
    }
}

/* ---- the interface ------------------------------------------------------------------ */

assay_status io_json_next(io_json_reader *r, io_record *rec, bool *eof, assay_error *err)
{
    static const io_record zero;
    memcpy(rec, &zero, sizeof *rec);
    *eof = false;
    if (r->mode == M_PIECES)
        return next_piece(r, rec, err);
    if (r->array)
        return array_next(r, rec, eof, err);
    assay_status st = ensure(r, 1, err);
    if (st)
        return st;
    if (r->pos == r->end) {
        *eof = true;
        return ASSAY_OK;
    }
    return ndjson_next(r, rec, err);
}
