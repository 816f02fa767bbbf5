/* io/csv_split.c — where a CSV record ends, and how it splits into fields.
 *
 * The scanner looks for the next LF, CR and quote with memchr and remembers
 * each hit (io_csv_seek), so a block is searched about once per byte value
 * rather than byte by byte; only the inside of a quoted field is walked quote
 * to quote. A quote opens a quoted field only at the start of a field, as in
 * libcsv, so the scanner and strict libcsv agree on every record libcsv
 * accepts. Splitting has two paths: records without a quote character are cut
 * on the delimiter in place (zero-copy); the others go through libcsv in
 * strict mode with space trimming off, except those whose quoting is plain
 * (split_simple: the same fields, without libcsv's byte-by-byte walk). */
#include "io/csv_split.h"

#include <stdlib.h>
#include <string.h>

#include "core/swar.h"

/* libcsv's realloc hook has no context, so its buffer gets one fixed ceiling.
 * Records are bounded by max_record_bytes before they reach libcsv, so this is
 * only a backstop against a runaway parser. */
#define IO_CSV_LIBCSV_CEILING ((size_t)1 << 30)

/* ---- finding record boundaries ------------------------------------------ */

void io_csv_scanner_init(io_csv_scanner *k, char delim, int quote)
{
    k->delim = (unsigned char)delim;
    k->quote = quote;
    io_csv_scanner_reset(k);
}

void io_csv_scanner_reset(io_csv_scanner *k)
{
    k->lf.valid = k->cr.valid = k->q.valid = false;
}

void io_csv_scan_init(io_csv_scan *s, int st, size_t content0, uint64_t base)
{
    s->off = content0;
    s->content0 = content0;
    s->st = st;
    s->has_quote = false;
    s->base = base;
    s->qopen = 0;
    s->qlimit = 0;
}

/* The first c in [cur, end), or NULL; remembers what it learnt in k. */
static const char *seek(io_csv_seek *k, int c, const char *cur, const char *end)
{
    if (cur >= end)
        return NULL;
    if (k->valid && k->hit && k->from <= cur && cur <= k->hit)
        return k->hit < end ? k->hit : NULL;
    const char *s = cur;
    if (k->valid && !k->hit && k->from <= cur && cur <= k->to)
        s = k->to;
    else
        k->from = cur;
    const char *h = s < end ? memchr(s, c, (size_t)(end - s)) : NULL;
    if (!h && k->valid && k->hit == NULL && s == k->to && end < k->to)
        return NULL; /* searched further before: keep the longer range */
    k->hit = h;
    k->to = end;
    k->valid = true;
    return h;
}

enum { GO_ON = -1 };

/* Outside quotes: the record ends at the first LF, CR or CRLF; a quote at the
 * start of a field opens a quoted field. */
static int scan_plain(io_csv_scanner *k, const char *p, size_t n, size_t n_scan,
                      bool eof, io_csv_scan *s, size_t *len, size_t *tlen)
{
    const char *b = p + s->off, *e = p + n_scan;
    const char *lf = seek(&k->lf, '\n', b, e);
    const char *cr = seek(&k->cr, '\r', b, e);
    const char *t = lf && (!cr || lf < cr) ? lf : cr;
    if (s->st == IO_SC_FIELD && k->quote >= 0) {
        const char *q = seek(&k->q, k->quote, b, t ? t : e);
        if (q) {
            size_t qo = (size_t)(q - p);
            s->has_quote = true;
            s->off = qo + 1;
            if (qo == s->content0 || (unsigned char)p[qo - 1] == k->delim) {
                s->st = IO_SC_QUOTED;
                s->qopen = s->base + qo;
            }
            return GO_ON;
        }
    }
    if (!t) {
        s->off = n_scan;
        return GO_ON;
    }
    size_t to = (size_t)(t - p);
    if (*t == '\n' || to + 1 < n || eof) {
        *tlen = (*t == '\r' && to + 1 < n && p[to + 1] == '\n') ? 2 : 1;
        *len = to + *tlen;
        s->off = *len;
        return IO_SCAN_DONE;
    }
    s->off = to; /* a CR at the end of the bytes: is an LF next? */
    return IO_SCAN_MORE;
}

/* Inside a quoted field: jump to the next quote. */
static int scan_quoted(const io_csv_scanner *k, const char *p, size_t n_scan,
                       io_csv_scan *s)
{
    size_t stop = n_scan;
    if (s->qlimit) {
        uint64_t cap = s->qopen + s->qlimit + 1 - s->base;
        if (cap <= s->off)
            return IO_SCAN_QLIMIT;
        if (cap < stop)
            stop = (size_t)cap;
    }
    const char *q = memchr(p + s->off, k->quote, stop - s->off);
    if (q) {
        s->off = (size_t)(q - p) + 1;
        s->st = IO_SC_QUOTE_SEEN;
        return GO_ON;
    }
    s->off = stop;
    return stop < n_scan ? IO_SCAN_QLIMIT : GO_ON;
}

int io_csv_scan_run(io_csv_scanner *k, const char *p, size_t n, bool eof, size_t lim,
                    io_csv_scan *s, size_t *len, size_t *tlen)
{
    size_t n_scan = n <= lim ? n : lim + 1;
    while (s->off < n_scan) {
        int r;
        if (s->st == IO_SC_QUOTED)
            r = scan_quoted(k, p, n_scan, s);
        else if (s->st == IO_SC_QUOTE_SEEN) {
            if ((unsigned char)p[s->off] == k->quote) {
                s->st = IO_SC_QUOTED; /* "" inside a quoted field */
                s->off++;
            } else
                s->st = IO_SC_FIELD;
            r = GO_ON;
        } else
            r = scan_plain(k, p, n, n_scan, eof, s, len, tlen);
        if (r != GO_ON)
            return r;
    }
    if (s->st == IO_SC_QUOTED && s->qlimit &&
        s->qopen + s->qlimit + 1 - s->base <= s->off)
        return IO_SCAN_QLIMIT;
    return n > lim ? IO_SCAN_LIMIT : IO_SCAN_MORE;
}

uint64_t io_csv_count_terms(const char *p, size_t n, bool *pend_cr)
{
    uint64_t c = 0;
    bool cr = *pend_cr;
    const char *e = p + n;
    while (p < e) {
        /* Skip to the next CR or LF: most bytes are neither. */
        const char *lf = memchr(p, '\n', (size_t)(e - p));
        const char *r = memchr(p, '\r', (size_t)((lf ? lf : e) - p));
        const char *t = r ? r : lf;
        if (!t) {
            cr = cr && p == e;
            break;
        }
        if (*t == '\r')
            c++;
        else if (!(t == p && cr))
            c++;
        cr = *t == '\r';
        p = t + 1;
    }
    *pend_cr = n ? cr : *pend_cr;
    return c;
}

/* ---- splitting ------------------------------------------------------------ */

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void *capped_realloc(void *p, size_t n)
{
    return n > IO_CSV_LIBCSV_CEILING ? NULL : realloc(p, n);
}

assay_status io_csv_splitter_init(io_csv_splitter *s, char delim, int quote)
{
    memset(s, 0, sizeof *s);
    s->delim = delim;
    s->quote = quote;
    core_buf_init(&s->vals, IO_CSV_LIBCSV_CEILING);
    if (quote < 0)
        return ASSAY_OK;
    if (csv_init(&s->cp, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return ASSAY_E_NOMEM;
    csv_set_space_func(&s->cp, no_space);
    csv_set_delim(&s->cp, (unsigned char)delim);
    csv_set_quote(&s->cp, (unsigned char)quote);
    csv_set_realloc_func(&s->cp, capped_realloc);
    csv_set_free_func(&s->cp, free);
    s->cp_ready = true;
    return ASSAY_OK;
}

void io_csv_splitter_free(io_csv_splitter *s)
{
    if (s->cp_ready)
        csv_free(&s->cp);
    core_buf_free(&s->vals);
    free(s->offs);
    free(s->fields);
    s->offs = NULL;
    s->fields = NULL;
    s->cp_ready = false;
}

/* Room for at least `need` fields. */
static assay_status grow_to(io_csv_splitter *s, size_t need)
{
    if (need <= s->cap)
        return ASSAY_OK;
    size_t cap = s->cap ? s->cap : 16;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap > SIZE_MAX / sizeof(io_slice))
        return ASSAY_E_NOMEM;
    io_slice *f = realloc(s->fields, cap * sizeof *f);
    if (!f)
        return ASSAY_E_NOMEM;
    s->fields = f;
    size_t *o = realloc(s->offs, cap * sizeof *o);
    if (!o)
        return ASSAY_E_NOMEM;
    s->offs = o;
    s->cap = cap;
    return ASSAY_OK;
}

/* Room for one more field. */
static assay_status grow(io_csv_splitter *s)
{
    return grow_to(s, s->n + 1);
}

assay_status io_csv_split_plain(io_csv_splitter *s, const char *p, size_t n)
{
    const unsigned char d = (unsigned char)s->delim;
    /* The result is built in locals (a store to a field's length could
     * otherwise alias s->n), with room made for a word's worth at a time. */
    io_slice *f = s->fields;
    size_t k = 0, cap = s->cap, start = 0, i = 0, longest = 0;
    assay_status st;
    /* Eight bytes at a time: every delimiter of a word from its mask. */
    for (; CORE_SWAR_LE && i + 8 <= n; i += 8) {
        uint64_t m = core_swar_eq(core_swar_load(p + i), d);
        if (!m)
            continue;
        if (k + 8 > cap) {
            s->n = k;
            if ((st = grow_to(s, k + 8)))
                return st;
            f = s->fields;
            cap = s->cap;
        }
        do {
            size_t at = i + core_swar_first(m), len = at - start;
            f[k].p = p + start;
            f[k++].n = len;
            longest = len > longest ? len : longest;
            start = at + 1;
            m &= m - 1;
        } while (m);
    }
    for (;; i++) {
        if (i < n && (unsigned char)p[i] != d)
            continue;
        if (k + 1 > cap) {
            s->n = k;
            if ((st = grow_to(s, k + 1)))
                return st;
            f = s->fields;
            cap = s->cap;
        }
        size_t len = i - start;
        f[k].p = n ? p + start : p;
        f[k++].n = len;
        longest = len > longest ? len : longest;
        start = i + 1;
        if (i >= n)
            break;
    }
    s->n = k;
    s->longest = longest;
    return ASSAY_OK;
}

/* libcsv's field callback: append the value to the scratch buffer. The
 * buffer may move while it grows, so offsets are kept until the end. */
static void on_field(void *f, size_t n, void *ctx)
{
    io_csv_splitter *s = ctx;
    if (s->err)
        return;
    s->err = grow(s);
    if (!s->err && n)
        s->err = core_buf_append(&s->vals, f, n);
    if (s->err)
        return;
    s->offs[s->n] = s->vals.len - n;
    s->fields[s->n].n = n;
    if (n > s->longest)
        s->longest = n;
    s->n++;
}

/* ---- the common quoted record, without libcsv ------------------------------ */

/* The first byte of p[i..n) that is the delimiter, the quote, CR or LF; n
 * when none is. */
static size_t unquoted_end(const char *p, size_t i, size_t n, unsigned char d,
                           unsigned char q)
{
    for (; CORE_SWAR_LE && i + 8 <= n; i += 8) {
        uint64_t w = core_swar_load(p + i);
        uint64_t m = core_swar_eq(w, d) | core_swar_eq(w, q) | core_swar_eq(w, '\r') |
                     core_swar_eq(w, '\n');
        if (m)
            return i + core_swar_first(m);
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == d || c == q || c == '\r' || c == '\n')
            return i;
    }
    return n;
}

/* Splits p[0..n) the way strict libcsv does, for records whose quoting is
 * plain: each field either holds no quote, CR or LF, or is quoted from its
 * first byte to a closing quote followed by the delimiter or the end, with
 * "" for a quote inside. Anything else (every record libcsv rejects among
 * them) returns false and the caller asks libcsv. Values without "" point
 * into p; the others are unescaped into vals, reserved once for the whole
 * record so that it never moves. */
static bool split_simple(io_csv_splitter *s, const char *p, size_t n)
{
    const unsigned char d = (unsigned char)s->delim, q = (unsigned char)s->quote;
    if (n == 0 || n >= IO_CSV_LIBCSV_CEILING || d == '\r' || d == '\n' || q == '\r' ||
        q == '\n')
        return false;
    s->n = 0;
    s->longest = 0;
    core_buf_clear(&s->vals);
    if (core_buf_reserve(&s->vals, n))
        return false;
    size_t i = 0;
    for (;;) {
        const char *fp;
        size_t fn;
        if (i < n && (unsigned char)p[i] == q) {
            size_t a = ++i; /* the start of the run not yet copied */
            bool esc = false;
            char *v = s->vals.data + s->vals.len;
            for (;;) {
                const char *h = i < n ? memchr(p + i, q, n - i) : NULL;
                if (!h)
                    return false; /* never closed */
                size_t at = (size_t)(h - p);
                if (at + 1 < n && (unsigned char)p[at + 1] == q) {
                    /* "": keep one quote. */
                    memcpy(s->vals.data + s->vals.len, p + a, at + 1 - a);
                    s->vals.len += at + 1 - a;
                    esc = true;
                    i = a = at + 2;
                    continue;
                }
                if (esc) {
                    memcpy(s->vals.data + s->vals.len, p + a, at - a);
                    s->vals.len += at - a;
                    fp = v;
                    fn = (size_t)(s->vals.data + s->vals.len - v);
                } else {
                    fp = p + a;
                    fn = at - a;
                }
                i = at + 1;
                break;
            }
            if (i < n && (unsigned char)p[i] != d)
                return false; /* text after the closing quote */
        } else {
            size_t e = unquoted_end(p, i, n, d, q);
            if (e < n && (unsigned char)p[e] != d)
                return false; /* a quote, CR or LF inside an unquoted field */
            fp = p + i;
            fn = e - i;
            i = e;
        }
        if (grow(s))
            return false;
        s->fields[s->n].p = fp;
        s->fields[s->n].n = fn;
        if (fn > s->longest)
            s->longest = fn;
        s->n++;
        if (i == n)
            return true;
        i++; /* the delimiter */
    }
}

/* Brings the parser back to the start of a row whatever happened: csv_fini
 * without CSV_STRICT_FINI always resets. */
static void reset_parser(struct csv_parser *cp)
{
    csv_set_opts(cp, CSV_STRICT);
    csv_fini(cp, NULL, NULL, NULL);
    csv_set_opts(cp, CSV_STRICT | CSV_STRICT_FINI);
}

assay_status io_csv_split_quoted(io_csv_splitter *s, const char *p, size_t n,
                                 io_split_bad *bad)
{
    *bad = IO_SPLIT_OK;
    if (!s->cp_ready)
        return io_csv_split_plain(s, p, n);
    s->err = ASSAY_OK;
    if (split_simple(s, p, n))
        return ASSAY_OK;
    s->n = 0;
    s->longest = 0;
    s->err = ASSAY_OK;
    core_buf_clear(&s->vals);
    /* One growth step big enough for the whole record, instead of libcsv's
     * default of 128 bytes at a time. */
    csv_set_blk_size(&s->cp, n + 1);
    size_t done = csv_parse(&s->cp, p, n, on_field, NULL, s);
    int cs = csv_error(&s->cp);
    if (done == n && cs == CSV_SUCCESS && !s->err) {
        if (csv_fini(&s->cp, on_field, NULL, s) != 0) {
            *bad = IO_SPLIT_UNCLOSED;
            s->bad_at = n;
        }
        cs = CSV_SUCCESS;
    } else if (cs == CSV_EPARSE) {
        *bad = IO_SPLIT_PARSE;
        s->bad_at = done;
    }
    reset_parser(&s->cp);
    if (s->err)
        return s->err;
    if (cs == CSV_ENOMEM || cs == CSV_ETOOBIG)
        return n + 1 > IO_CSV_LIBCSV_CEILING ? ASSAY_E_LIMIT : ASSAY_E_NOMEM;
    for (size_t i = 0; i < s->n; i++)
        s->fields[i].p = s->vals.data ? s->vals.data + s->offs[i] : "";
    return ASSAY_OK;
}
