/* io/csv_reader.c — the CSV/TSV record reader (see csv_reader.h and
 * docs/reader.md).
 *
 * The reader keeps one buffer: the unconsumed bytes [pos, end) followed by
 * room for the next block. It finds where each record ends (csv_split.c),
 * splits it, judges it, and hands it out borrowed from the buffer. Three modes:
 *
 *   M_NORMAL  one record at a time;
 *   M_RESYNC  inside a damaged span: at each physical line, test whether the
 *             record starting there and the one after it parse strictly to the
 *             expected field count; if so go back to M_NORMAL, else hand the
 *             line out as IO_REC_MALFORMED;
 *   M_PIECES  a record (or damaged line) over max_record_bytes, handed out in
 *             pieces so that memory stays bounded.
 *
 * The buffer never holds more than two records of lookahead plus a block, so a
 * broken quote can never make the reader load the whole input. */
#include "io/csv_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "io/csv_split.h"

#define IO_MIB ((size_t)1 << 20)
#define IO_LIMIT_MAX ((size_t)1 << 40)

enum { M_NORMAL, M_RESYNC, M_PIECES };

/* A record given out in pieces. */
typedef struct io_pieces {
    io_csv_scan s;    /* the scan, relative to the first byte not handed out */
    io_rec_kind kind;
    int next;         /* mode after the last piece */
    uint64_t line;    /* where the record starts */
    uint64_t terms;   /* line terminators handed out so far */
    bool pend_cr;     /* the last piece ended with CR */
    bool header;      /* the record is the header */
    bool more;        /* a piece was already handed out */
} io_pieces;

struct io_csv_reader {
    io_read_fn read;
    void *ctx;
    io_csv_opts o;
    char *buf;
    size_t cap, bufmax; /* bytes allocated; the most ever allocated */
    size_t pos, end;    /* unconsumed bytes */
    bool eof;
    uint64_t consumed;  /* stream offset of buf[pos] */
    uint64_t line;      /* line where the next record starts */
    io_csv_scanner sk;
    io_csv_splitter sp;
    int mode;
    io_pieces pc;
    char detail[200];   /* the current damage, for rec->detail */
    uint64_t damage_line; /* where the current damaged span started */
    bool damage_first;  /* the next damaged line is the span's first */
    size_t expected;    /* the expected field count, once known */
    bool have_expected;
    bool started;       /* a record was handed out */
    char *hdr_raw;      /* the header: raw bytes, values, labels */
    size_t hdr_raw_len;
    char *hdr_vals;
    io_slice *hdr;
    size_t nhdr;
    bool have_hdr;
    bool fast;          /* records may take io_csv_split_line */
};

void io_csv_opts_init(io_csv_opts *o)
{
    o->delimiter = ',';
    o->quote = '"';
    o->header = true;
    o->max_record_bytes = 0;
    o->max_field_bytes = 0;
    o->block_size = 0;
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

static void set_detail(io_csv_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_detail(io_csv_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

static size_t clamp_limit(size_t v, size_t dflt)
{
    if (v == 0)
        return dflt;
    return v > IO_LIMIT_MAX ? IO_LIMIT_MAX : v;
}

static assay_status check_opts(const io_csv_opts *o, assay_error *err)
{
    unsigned char d = (unsigned char)o->delimiter;
    if (d == '\n' || d == '\r')
        return fail(err, ASSAY_E_USAGE, "the CSV delimiter cannot be a line break");
    if (o->quote < -1 || o->quote > 255)
        return fail(err, ASSAY_E_USAGE, "the CSV quote must be one byte or none");
    if (o->quote == '\n' || o->quote == '\r' || o->quote == d)
        return fail(err, ASSAY_E_USAGE,
                    "the CSV quote cannot be a line break or the delimiter");
    return ASSAY_OK;
}

assay_status io_csv_reader_new(io_read_fn read, void *ctx, const io_csv_opts *o,
                               io_csv_reader **out)
{
    *out = NULL;
    if (check_opts(o, NULL))
        return ASSAY_E_USAGE;
    io_csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ASSAY_E_NOMEM;
    r->read = read;
    r->ctx = ctx;
    r->o = *o;
    r->o.max_record_bytes = clamp_limit(o->max_record_bytes, 16 * IO_MIB);
    r->o.max_field_bytes = clamp_limit(o->max_field_bytes, 4 * IO_MIB);
    r->o.block_size = clamp_limit(o->block_size, IO_MIB);
    /* Room for the resync lookahead: two records (each may need one byte
     * past its limit to see a CRLF) and a block. */
    r->bufmax = 2 * r->o.max_record_bytes + r->o.block_size + 64;
    r->cap = 2 * r->o.block_size + 64;
    if (r->cap > r->bufmax)
        r->cap = r->bufmax;
    /* Zeroed, like every growth below: pcre2's JIT reads whole words and may
     * look at bytes past a value's end; they must never be uninitialised. */
    r->buf = calloc(1, r->cap);
    r->line = 1;
    io_csv_scanner_init(&r->sk, r->o.delimiter, r->o.quote);
    r->fast = io_csv_line_ok(r->o.delimiter, r->o.quote);
    if (!r->buf || io_csv_splitter_init(&r->sp, r->o.delimiter, r->o.quote)) {
        io_csv_reader_free(r);
        return ASSAY_E_NOMEM;
    }
    *out = r;
    return ASSAY_OK;
}

void io_csv_reader_no_fast(io_csv_reader *r)
{
    r->fast = false;
}

void io_csv_reader_free(io_csv_reader *r)
{
    if (!r)
        return;
    io_csv_splitter_free(&r->sp);
    free(r->buf);
    free(r->hdr_raw);
    free(r->hdr_vals);
    free(r->hdr);
    free(r);
}

/* ---- the buffer ----------------------------------------------------------- */

/* Makes room for a block: moves the unconsumed bytes to the front when the
 * room left is short (rare: about once per block), grows when they fill it. */
static assay_status make_room(io_csv_reader *r, assay_error *err)
{
    size_t block = r->o.block_size;
    if (r->cap - r->end >= block)
        return ASSAY_OK;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
        io_csv_scanner_reset(&r->sk);
    }
    if (r->cap - r->end < block && r->cap < r->bufmax) {
        size_t cap = r->cap * 2;
        if (cap < r->end + block)
            cap = r->end + block;
        if (cap > r->bufmax)
            cap = r->bufmax;
        char *b = realloc(r->buf, cap);
        if (!b)
            return fail(err, ASSAY_E_NOMEM, "out of memory growing the CSV buffer");
        memset(b + r->cap, 0, cap - r->cap);
        r->buf = b;
        r->cap = cap;
        io_csv_scanner_reset(&r->sk);
    }
    return ASSAY_OK;
}

/* Reads one block (or what fits) from the source; sets eof at its end. */
static assay_status refill(io_csv_reader *r, assay_error *err)
{
    if (r->eof)
        return ASSAY_OK;
    assay_status st = make_room(r, err);
    if (st)
        return st;
    size_t room = r->cap - r->end;
    if (room > r->o.block_size)
        room = r->o.block_size;
    if (room == 0)
        return fail(err, ASSAY_E_INTERNAL, "CSV reader: lookahead exceeds its buffer");
    ptrdiff_t got = r->read(r->ctx, r->buf + r->end, room);
    if (got < 0)
        return fail(err, ASSAY_E_IO, "read error: %s", strerror(errno));
    if ((size_t)got > room)
        return fail(err, ASSAY_E_INTERNAL, "CSV reader: the source overran its buffer");
    if (got == 0)
        r->eof = true;
    r->end += (size_t)got;
    return ASSAY_OK;
}

/* At least `need` unconsumed bytes, unless the input ends first. */
static assay_status ensure(io_csv_reader *r, size_t need, assay_error *err)
{
    while (r->end - r->pos < need && !r->eof) {
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

/* Scans the record at pos+from, reading more as needed. */
static assay_status scan_more(io_csv_reader *r, size_t from, size_t lim, io_csv_scan *s,
                              int *res, size_t *len, size_t *tlen, assay_error *err)
{
    for (;;) {
        *res = io_csv_scan_run(&r->sk, r->buf + r->pos + from, r->end - r->pos - from,
                               r->eof, lim, s, len, tlen);
        if (*res != IO_SCAN_MORE || r->eof)
            return ASSAY_OK;
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
}

/* ---- handing records out -------------------------------------------------- */

/* Hands out the next len bytes as rec's raw bytes. ln, when not NULL, is
 * what io_csv_split_line learnt of them: UTF-8 is then checked only from the
 * first byte >= 0x80 (the bytes before it are ASCII). */
static void take(io_csv_reader *r, io_record *rec, size_t len, const io_csv_line *ln)
{
    rec->raw = r->buf + r->pos;
    rec->raw_len = len;
    rec->offset = r->consumed;
    size_t bad;
    if (ln) {
        size_t h = ln->first_high;
        bad = h < len ? h + core_utf8_invalid_at(rec->raw + h, len - h) : len;
        rec->ctl_free = ln->ctl_free;
    } else {
        bad = core_utf8_invalid_at(rec->raw, len);
        rec->ctl_free = io_csv_ctl_free(rec->raw, len);
    }
    rec->bad_utf8 = bad < len;
    rec->bad_utf8_at = rec->bad_utf8 ? bad : 0;
    if (!r->started) {
        r->started = true;
        rec->is_header = r->o.header;
    }
    r->pos += len;
    r->consumed += len;
}

static assay_status keep_header_raw(io_csv_reader *r, const io_record *rec)
{
    r->hdr_raw = malloc(rec->raw_len + 1);
    if (!r->hdr_raw)
        return ASSAY_E_NOMEM;
    memcpy(r->hdr_raw, rec->raw, rec->raw_len);
    r->hdr_raw[rec->raw_len] = '\0';
    r->hdr_raw_len = rec->raw_len;
    return ASSAY_OK;
}

/* Copies the header's labels: they outlive the buffer. */
static assay_status keep_header(io_csv_reader *r, const io_record *rec)
{
    size_t total = 0;
    for (size_t i = 0; i < rec->nfields; i++)
        total += rec->fields[i].n;
    r->hdr_vals = malloc(total + 1);
    r->hdr = malloc(rec->nfields * sizeof *r->hdr);
    if (!r->hdr_vals || !r->hdr || keep_header_raw(r, rec))
        return ASSAY_E_NOMEM;
    char *v = r->hdr_vals;
    for (size_t i = 0; i < rec->nfields; i++) {
        if (rec->fields[i].n)
            memcpy(v, rec->fields[i].p, rec->fields[i].n);
        r->hdr[i].p = v;
        r->hdr[i].n = rec->fields[i].n;
        v += rec->fields[i].n;
    }
    r->nhdr = rec->nfields;
    r->have_hdr = true;
    return ASSAY_OK;
}

/* Hands out a piece of a record over max_record_bytes. */
static assay_status give_piece(io_csv_reader *r, io_record *rec, size_t len, size_t tlen,
                               bool last)
{
    io_pieces *pc = &r->pc;
    pc->terms += io_csv_count_terms(r->buf + r->pos, len, &pc->pend_cr);
    rec->kind = pc->kind;
    rec->detail = r->detail;
    rec->raw_more = !last;
    rec->continued = pc->more;
    rec->line = pc->line;
    rec->lines = last ? pc->terms + (tlen == 0) : pc->terms + 1;
    take(r, rec, len, NULL);
    rec->is_header = pc->header;
    pc->more = true;
    pc->s.off -= len;
    pc->s.base += len;
    if (last) {
        r->line += pc->terms;
        r->mode = pc->next;
    }
    return ASSAY_OK;
}

/* Where to cut a piece of at most `want` bytes: not inside a UTF-8 sequence
 * (so that a valid record's pieces are each valid). */
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

/* The scan s stopped at the limit: start handing the record out in pieces. */
static assay_status start_pieces(io_csv_reader *r, io_record *rec, const io_csv_scan *s,
                                 io_rec_kind kind, int next)
{
    io_pieces *pc = &r->pc;
    pc->s = *s;
    pc->kind = kind;
    pc->next = next;
    pc->line = r->line;
    pc->terms = 0;
    pc->pend_cr = false;
    pc->header = !r->started && r->o.header;
    pc->more = false;
    /* A quote that opens inside an over-long record and stays open past the
     * record limit ends the record at the next physical line: it cannot
     * swallow the rest of the input. */
    pc->s.qlimit = kind == IO_REC_TOO_LARGE ? r->o.max_record_bytes : 0;
    r->mode = M_PIECES;
    return give_piece(r, rec, utf8_cut(r->buf + r->pos, s->off - 1), 0, false);
}

static assay_status next_piece(io_csv_reader *r, io_record *rec, assay_error *err)
{
    io_csv_scan *s = &r->pc.s;
    for (;;) {
        size_t n = r->end - r->pos, len = 0, tlen = 0;
        int res = io_csv_scan_run(&r->sk, r->buf + r->pos, n, r->eof,
                                  r->o.max_record_bytes, s, &len, &tlen);
        if (res == IO_SCAN_QLIMIT) {
            s->st = IO_SC_LINE;
            s->qlimit = 0;
            r->pc.next = M_RESYNC;
            set_detail(r, "record longer than max_record_bytes, with a quote that "
                          "never closed");
            continue;
        }
        if (res == IO_SCAN_DONE)
            return give_piece(r, rec, len, tlen, true);
        if (res == IO_SCAN_LIMIT)
            return give_piece(r, rec, utf8_cut(r->buf + r->pos, s->off - 1), 0, false);
        if (r->eof)
            return give_piece(r, rec, n, 0, true);
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
}

/* Hands out the physical line at pos as IO_REC_MALFORMED (in pieces when it
 * is over max_record_bytes) and stays in M_RESYNC. */
static assay_status damaged_line(io_csv_reader *r, io_record *rec, assay_error *err)
{
    /* The first line says what broke; the lines after it where it broke. */
    if (!r->damage_first)
        set_detail(r, "inside the damaged span that starts at line %llu",
                   (unsigned long long)r->damage_line);
    r->damage_first = false;
    io_csv_scan s;
    io_csv_scan_init(&s, IO_SC_LINE, 0, r->consumed);
    int res;
    size_t len = 0, tlen = 0;
    assay_status st = scan_more(r, 0, r->o.max_record_bytes, &s, &res, &len, &tlen, err);
    if (st)
        return st;
    r->mode = M_RESYNC;
    if (res == IO_SCAN_LIMIT)
        return start_pieces(r, rec, &s, IO_REC_MALFORMED, M_RESYNC);
    if (res == IO_SCAN_MORE) { /* the last line, without terminator */
        len = r->end - r->pos;
        tlen = 0;
    }
    rec->kind = IO_REC_MALFORMED;
    rec->detail = r->detail;
    rec->line = r->line;
    rec->lines = 1;
    take(r, rec, len, NULL);
    r->line += tlen > 0;
    if (rec->is_header)
        return keep_header_raw(r, rec);
    return ASSAY_OK;
}

/* The record at pos is damaged: hand out its first line. */
static assay_status start_damage(io_csv_reader *r, io_record *rec, assay_error *err)
{
    r->mode = M_RESYNC;
    r->damage_line = r->line;
    r->damage_first = true;
    return damaged_line(r, rec, err);
}

/* ---- judging one record --------------------------------------------------- */

/* Splits content p[0..n) by the path its quoting needs. *bad is set when
 * strict libcsv rejects it; *huge when a value exceeds libcsv's ceiling. */
static assay_status split(io_csv_reader *r, const char *p, size_t n, bool has_quote,
                          io_split_bad *bad, bool *huge)
{
    *bad = IO_SPLIT_OK;
    *huge = false;
    if (!has_quote)
        return io_csv_split_plain(&r->sp, p, n);
    assay_status st = io_csv_split_quoted(&r->sp, p, n, bad);
    if (st == ASSAY_E_LIMIT) {
        *huge = true;
        st = ASSAY_OK;
    }
    return st;
}

static void describe_bad(io_csv_reader *r, const char *content, size_t c0, io_split_bad bad)
{
    if (bad == IO_SPLIT_UNCLOSED) {
        set_detail(r, "quote never closed");
        return;
    }
    size_t at = r->sp.bad_at;
    bool q = r->o.quote >= 0 && (unsigned char)content[at] == (unsigned char)r->o.quote;
    set_detail(r, "%s at byte %zu of the record",
               q ? "quote inside an unquoted field" : "text after a closing quote",
               c0 + at + 1);
}

static bool all_delims(const char *p, size_t n, char delim)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != delim)
            return false;
    return true;
}

static assay_status hand_out(io_csv_reader *r, io_record *rec, bool blank, bool huge,
                             bool quoted, uint64_t terms, uint64_t lines, size_t len,
                             const io_csv_line *ln, assay_error *err);

/* The record [pos, pos+len) was scanned by s: split it, judge it, hand it out
 * (or start a damaged span at it). */
static assay_status finish_record(io_csv_reader *r, io_record *rec, const io_csv_scan *s,
                                  size_t len, size_t tlen, assay_error *err)
{
    const char *p = r->buf + r->pos + s->content0;
    size_t n = len - tlen - s->content0;
    bool pend = false;
    uint64_t terms = (s->has_quote ? io_csv_count_terms(p, n, &pend) : 0) + (tlen > 0);
    uint64_t lines = terms + (tlen == 0);
    io_split_bad bad;
    bool huge;
    assay_status st = split(r, p, n, s->has_quote, &bad, &huge);
    if (st)
        return fail(err, st, "out of memory splitting a CSV record");
    if (bad) {
        describe_bad(r, p, s->content0, bad);
        return start_damage(r, rec, err);
    }
    /* A record over several lines with the wrong field count is ragged, like
     * a one-line record: a quote left open swallows the records after it only
     * until the next quote, and strict parsing rejects what follows that. */
    bool blank = !s->has_quote && all_delims(p, n, r->o.delimiter);
    return hand_out(r, rec, blank, huge, s->has_quote, terms, lines, len, NULL, err);
}

/* The record [pos, pos+len) split well into r->sp: hand it out. */
static assay_status hand_out(io_csv_reader *r, io_record *rec, bool blank, bool huge,
                             bool quoted, uint64_t terms, uint64_t lines, size_t len,
                             const io_csv_line *ln, assay_error *err)
{
    rec->kind = blank ? IO_REC_BLANK : IO_REC_OK;
    if (huge || r->sp.longest > r->o.max_field_bytes) {
        rec->kind = IO_REC_TOO_LARGE;
        rec->detail = "field longer than max_field_bytes";
    } else {
        rec->nfields = r->sp.n;
        rec->fields = r->sp.fields;
    }
    rec->quoted = quoted;
    rec->line = r->line;
    rec->lines = lines;
    take(r, rec, len, ln);
    r->line += terms;
    if (rec->is_header && rec->kind != IO_REC_TOO_LARGE) {
        r->expected = rec->nfields;
        r->have_expected = true;
        if (keep_header(r, rec))
            return fail(err, ASSAY_E_NOMEM, "out of memory keeping the CSV header");
    } else if (rec->kind == IO_REC_OK && !r->have_expected) {
        r->expected = rec->nfields;
        r->have_expected = true;
    }
    return ASSAY_OK;
}

/* The record at pos as io_csv_split_line found it (ends with a terminator,
 * split well, no BOM): hand it out as finish_record would. */
static assay_status finish_line(io_csv_reader *r, io_record *rec, const io_csv_line *ln,
                                assay_error *err)
{
    size_t n = ln->len - ln->tlen;
    uint64_t terms = 1;
    if (ln->breaks) {
        bool pend = false;
        terms += io_csv_count_terms(r->buf + r->pos, n, &pend);
    }
    /* Without quotes, nfields is the delimiter count plus one: n + 1 when
     * every byte is a delimiter. */
    bool blank = !ln->quoted && r->sp.n == n + 1;
    return hand_out(r, rec, blank, false, ln->quoted, terms, terms, ln->len, ln, err);
}

static assay_status next_normal(io_csv_reader *r, io_record *rec, assay_error *err)
{
    /* The usual record: one pass finds its end, its fields and its byte
     * classes. Anything unusual takes the general path from the start. */
    io_csv_line ln;
    if (r->fast && r->consumed != 0 &&
        io_csv_split_line(&r->sp, r->buf + r->pos, r->end - r->pos, r->o.max_record_bytes,
                          r->o.max_field_bytes, r->eof, &ln))
        return finish_line(r, rec, &ln, err);
    size_t content0 = 0;
    if (r->consumed == 0) { /* a UTF-8 BOM is not part of the first field */
        assay_status st = ensure(r, 3, err);
        if (st)
            return st;
        if (r->end - r->pos >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0)
            content0 = 3;
    }
    io_csv_scan s;
    io_csv_scan_init(&s, IO_SC_FIELD, content0, r->consumed);
    int res;
    size_t len = 0, tlen = 0;
    assay_status st = scan_more(r, 0, r->o.max_record_bytes, &s, &res, &len, &tlen, err);
    if (st)
        return st;
    if (res == IO_SCAN_LIMIT && s.st == IO_SC_QUOTED) {
        set_detail(r, "quote still open after max_record_bytes");
        return start_damage(r, rec, err);
    }
    if (res == IO_SCAN_LIMIT) {
        set_detail(r, "record longer than max_record_bytes");
        return start_pieces(r, rec, &s, IO_REC_TOO_LARGE, M_NORMAL);
    }
    if (res == IO_SCAN_MORE) { /* the last record, without terminator */
        if (s.st == IO_SC_QUOTED) {
            set_detail(r, "quote never closed before the end of input");
            return start_damage(r, rec, err);
        }
        len = r->end - r->pos;
        tlen = 0;
    }
    return finish_record(r, rec, &s, len, tlen, err);
}

/* ---- resynchronising ------------------------------------------------------- */

/* Scans and splits the record at pos+from in a fresh state. *nf is its field
 * count, or SIZE_MAX when it does not parse strictly within the limits;
 * *at_end when no byte is left at pos+from. */
static assay_status probe(io_csv_reader *r, size_t from, size_t *len, size_t *nf,
                          bool *at_end, assay_error *err)
{
    io_csv_scan s;
    io_csv_scan_init(&s, IO_SC_FIELD, 0, 0);
    int res;
    size_t l = 0, tl = 0;
    *nf = SIZE_MAX;
    *len = 0;
    *at_end = false;
    assay_status st = scan_more(r, from, r->o.max_record_bytes, &s, &res, &l, &tl, err);
    if (st || res == IO_SCAN_LIMIT)
        return st;
    if (res == IO_SCAN_MORE) {
        l = r->end - r->pos - from;
        *at_end = l == 0;
        if (l == 0 || s.st == IO_SC_QUOTED)
            return ASSAY_OK;
    }
    io_split_bad bad;
    bool huge;
    st = split(r, r->buf + r->pos + from, l - tl, s.has_quote, &bad, &huge);
    if (st)
        return fail(err, st, "out of memory splitting a CSV record");
    *len = l;
    if (!bad && !huge)
        *nf = r->sp.n;
    return ASSAY_OK;
}

/* Can the reader trust the line at pos again? Yes when the record there and
 * the one after it (if any) parse strictly to the expected field count. */
static assay_status trusted(io_csv_reader *r, bool *ok, assay_error *err)
{
    size_t la, na, lb, nb;
    bool ea, eb;
    *ok = false;
    assay_status st = probe(r, 0, &la, &na, &ea, err);
    if (st || na == SIZE_MAX)
        return st;
    size_t want = r->have_expected ? r->expected : na;
    if (na != want)
        return ASSAY_OK;
    st = probe(r, la, &lb, &nb, &eb, err);
    *ok = !st && (eb || nb == want);
    return st;
}

/* ---- the interface ---------------------------------------------------------- */

assay_status io_csv_next(io_csv_reader *r, io_record *rec, bool *eof, assay_error *err)
{
    /* A copy of a zero record rather than memset, which at this size
     * becomes a slow-starting `rep stos`. */
    static const io_record zero;
    memcpy(rec, &zero, sizeof *rec);
    *eof = false;
    if (r->mode == M_PIECES)
        return next_piece(r, rec, err);
    assay_status st = ensure(r, 1, err);
    if (st)
        return st;
    if (r->pos == r->end) {
        *eof = true;
        return ASSAY_OK;
    }
    if (r->mode == M_RESYNC) {
        bool ok;
        st = trusted(r, &ok, err);
        if (st)
            return st;
        if (!ok)
            return damaged_line(r, rec, err);
        r->mode = M_NORMAL;
    }
    return next_normal(r, rec, err);
}

const io_slice *io_csv_header(const io_csv_reader *r, size_t *n)
{
    *n = r->have_hdr ? r->nhdr : 0;
    return r->have_hdr ? r->hdr : NULL;
}

const char *io_csv_header_raw(const io_csv_reader *r, size_t *n)
{
    *n = r->hdr_raw ? r->hdr_raw_len : 0;
    return r->hdr_raw;
}
