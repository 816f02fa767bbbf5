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

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* ---- one pass per record ---------------------------------------------------- */

bool io_csv_line_ok(char delim, int quote)
{
    unsigned char d = (unsigned char)delim;
    bool d_ok = d == '\t' || (d >= 0x20 && d < 0x7F);
    bool q_ok = quote < 0 || (quote >= 0x20 && quote < 0x40); /* see split_line */
    return CORE_SWAR_LE && d_ok && q_ok && quote != d;
}

/* Bytes of w that may start a control character: below 0x20 but TAB, CR and
 * LF; 0x7F; 0xC2 (C1 controls are C2 80..9F). All are unprintable. */
static inline uint64_t ctl_starts(uint64_t w)
{
    uint64_t ok = core_swar_eq(w, '\t') | core_swar_eq(w, '\n') | core_swar_eq(w, '\r');
    return (core_swar_lt(w, 0x20) & ~ok) | core_swar_eq(w, 0x7F) | core_swar_eq(w, 0xC2);
}

bool io_csv_ctl_free(const char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (ctl_starts(core_swar_load(p + i)))
            return false;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F || c == 0xC2)
            return false;
    }
    return true;
}

/* Unescapes the quoted value p[a..e) (each "" there becomes one quote) onto
 * the end of vals; *off is where it starts. */
static bool unescape(io_csv_splitter *s, const char *p, size_t a, size_t e,
                     unsigned char q, size_t *off, size_t *len)
{
    if (core_buf_reserve(&s->vals, e - a))
        return false;
    *off = s->vals.len;
    char *o = s->vals.data + s->vals.len;
    while (a < e) {
        const char *h = memchr(p + a, q, e - a);
        size_t to = h ? (size_t)(h - p) + 1 : e; /* one quote of the pair kept */
        memcpy(o, p + a, to - a);
        o += to - a;
        a = h ? to + 1 : e;
    }
    *len = (size_t)(o - (s->vals.data + *off));
    s->vals.len += *len;
    return true;
}

/* Where io_csv_split_line stands. The loop over printable words keeps its
 * part (i, the fields) in locals and hands the state over to line_word for
 * the other words, rare enough to afford a call. */
typedef struct line_st {
    io_csv_splitter *s;
    const char *p;
    size_t avail, stop; /* the bytes; those that may hold the content */
    unsigned char d, q; /* q is d when there is no quote */
    bool useq, eof;
    size_t i;           /* the next word */
    io_slice *f;        /* s->fields */
    size_t k, cap;      /* fields so far; room in f */
    size_t start;       /* where the current field starts */
    size_t high;        /* the first byte >= 0x80, SIZE_MAX for none */
    uint64_t ctl;       /* non-zero when a byte may start a control */
    bool quoted, breaks, esc;
    size_t end, tlen;   /* the terminator, once found */
} line_st;

/* Room for `more` fields past st->k. */
static inline bool line_room(line_st *st, size_t more)
{
    if (st->k + more <= st->cap)
        return true;
    st->s->n = st->k;
    if (grow_to(st->s, st->k + more))
        return false;
    st->f = st->s->fields;
    st->cap = st->s->cap;
    return true;
}

static inline void line_put(line_st *st, const char *p, size_t n)
{
    st->f[st->k].p = p;
    st->f[st->k++].n = n;
}

/* Notes the unprintable bytes u (an exact mask) of the word v at p+x: the
 * first byte >= 0x80 and any byte that may start a control character. */
static inline void line_note(line_st *st, uint64_t v, uint64_t u, size_t x)
{
    uint64_t hb = v & u; /* bytes >= 0x80 */
    if (hb) {
        if (st->high == SIZE_MAX)
            st->high = x + core_swar_first(hb);
        st->ctl |= core_swar_eq(v, 0xC2) & hb;
    }
    uint64_t lo = u & ~v; /* below 0x20, or 0x7F */
    if (lo)
        st->ctl |= lo & ~(core_swar_eq(v, '\t') | core_swar_eq(v, '\n') | core_swar_eq(v, '\r'));
}

/* The quoted field whose opening quote is at p[j]: its value, and the byte
 * after its closing quote in *next. */
static bool line_quoted(line_st *st, size_t j, size_t *next)
{
    const char *p = st->p;
    const unsigned char q = st->q;
    size_t a = j + 1, x = a, e;
    bool fesc = false;
    for (;;) {
        if (x + 8 > st->stop)
            return false;
        uint64_t v = core_swar_load(p + x);
        uint64_t mq = core_swar_eq(v, q);
        uint64_t u = core_swar_unprintable(v) & core_swar_before(mq);
        if (u) {
            line_note(st, v, u, x);
            st->breaks |= ((core_swar_eq(v, '\n') | core_swar_eq(v, '\r')) & u) != 0;
        }
        if (!mq) {
            x += 8;
            continue;
        }
        size_t y = x + core_swar_first(mq);
        if (y + 1 >= st->stop)
            return false;
        if ((unsigned char)p[y + 1] == q) { /* "" */
            fesc = true;
            x = y + 2;
            continue;
        }
        e = y;
        break;
    }
    if (!line_room(st, 1))
        return false;
    if (fesc) {
        size_t off, len;
        if (!st->esc)
            core_buf_clear(&st->s->vals);
        st->esc = true;
        if (!unescape(st->s, p, a, e, q, &off, &len))
            return false;
        st->s->offs[st->k] = off;
        line_put(st, NULL, len); /* pointed into vals at the end: it may move */
    } else
        line_put(st, p + a, e - a);
    st->quoted = true;
    *next = e + 1;
    return true;
}

enum { LINE_BAIL = -1, LINE_ON, LINE_END };

/* The word w at p+st->i holds a byte that is not printable ASCII or is the
 * quote (md: its delimiters). Notes what it holds up to its first quote or
 * line break and handles that byte: the record ends (LINE_END), or a quoted
 * field is walked and the pass goes on after it (LINE_ON), or the record is
 * left to the general path (LINE_BAIL). */
static __attribute__((noinline)) int line_word(line_st *st, uint64_t w, uint64_t md)
{
    const char *p = st->p;
    size_t i = st->i;
    uint64_t ms = core_swar_eq(w, '\n') | core_swar_eq(w, '\r') |
                  (st->useq ? core_swar_eq(w, st->q) : 0);
    uint64_t before = core_swar_before(ms);
    line_note(st, w, core_swar_unprintable(w) & before, i);
    md &= before;
    if (md) {
        if (!line_room(st, 8))
            return LINE_BAIL;
        do {
            size_t at = i + core_swar_first(md);
            line_put(st, p + st->start, at - st->start);
            st->start = at + 1;
            md &= md - 1;
        } while (md);
    }
    if (!ms) {
        st->i = i + 8;
        return LINE_ON;
    }
    size_t j = i + core_swar_first(ms);
    if (p[j] != '\n' && p[j] != '\r') {
        /* A quote: it opens a quoted field only at the start of a field;
         * anywhere else strict libcsv refuses the record. */
        size_t nx;
        if (j != st->start || !line_quoted(st, j, &nx))
            return LINE_BAIL;
        unsigned char c = (unsigned char)p[nx];
        if (c == st->d) {
            st->start = st->i = nx + 1;
            return LINE_ON;
        }
        if (c != '\n' && c != '\r')
            return LINE_BAIL; /* text after the closing quote */
        j = nx;
    } else {
        if (!line_room(st, 1))
            return LINE_BAIL;
        line_put(st, p + st->start, j - st->start);
    }
    st->end = j;
    st->tlen = 1;
    if (p[j] == '\r') {
        if (j + 1 < st->avail)
            st->tlen = p[j + 1] == '\n' ? 2 : 1;
        else if (!st->eof)
            return LINE_BAIL; /* is an LF next? */
    }
    return LINE_END;
}

/* Room for `more` fields past fo in s->fields (f .. fe): false when memory
 * ran out. The pointers follow the array when it moves. */
static inline bool line_grow(io_csv_splitter *s, io_slice **f, io_slice **fo, io_slice **fe,
                             size_t more)
{
    if (*fe - *fo >= (ptrdiff_t)more)
        return true;
    s->n = (size_t)(*fo - *f);
    if (grow_to(s, s->n + more))
        return false;
    *f = s->fields;
    *fo = *f + s->n;
    *fe = *f + s->cap;
    return true;
}

/* Cuts a field at each delimiter marked in md, a mask with bit (k << shift)
 * set for byte k of at; the current field starts at *ps. Returns the new end
 * of the fields (line_grow made room). */
static inline io_slice *line_cut(io_slice *fo, const char **ps, const char *at, uint64_t md,
                                 unsigned shift)
{
    do {
        const char *e = at + ((unsigned)__builtin_ctzll(md) >> shift);
        fo->p = *ps;
        fo++->n = (size_t)(e - *ps);
        *ps = e + 1;
        md &= md - 1;
    } while (md);
    return fo;
}

/* Each word is classified with two masks: its delimiters (md), and the bytes
 * that need a closer look (sp: unprintable bytes and the quote). sp is cheap
 * rather than exact: it is non-zero exactly when the word holds such a byte,
 * and its first marked byte is the first such byte (a false mark can only
 * follow a byte >= 0x80, never a delimiter). It takes one test for both
 * kinds: with K the quote xor 0x20 (below 0x20, so bits 5..7 stay), b ^ K is
 * below 0x21 exactly when b is below 0x20 or is the quote; C - (w ^ K) marks
 * those (C: 0xA0 = 0xFF - (0x80 - 0x21) in every byte; 0x9F, K 0 without a
 * quote), w + 1 marks 0x7F, w itself the bytes >= 0x80.
 *
 * A word of printable ASCII only gives its fields and the loop moves on; a
 * word whose first such byte is the line break ends the record; a word whose
 * only such bytes are >= 0x80 is noted and split the same; the others (a
 * quote, a control) go to line_word. tab says that the delimiter is TAB, an
 * unprintable byte that sp must not count. */
static inline __attribute__((always_inline)) bool
split_line(io_csv_splitter *s, const char *p, size_t avail, size_t lim, size_t fmax,
           bool eof, io_csv_line *out, const bool tab)
{
    const unsigned char d = (unsigned char)s->delim;
    const bool useq = s->quote >= 0;
    const size_t stop = avail <= lim ? avail : lim + 1; /* the content ends before */
    if (stop < 8 || (s->cap < 16 && grow_to(s, 16)))
        return false;
    const uint64_t dd = CORE_SWAR_ONES * d;
    const uint64_t kk = useq ? CORE_SWAR_ONES * (unsigned char)(s->quote ^ 0x20) : 0;
    const uint64_t cc = CORE_SWAR_ONES * (useq ? 0xA0 : 0x9F);
    const char *const last = p + stop - 8; /* the last word that fits */
    const char *at = p, *ps = p, *t;
    io_slice *f = s->fields, *fo = f, *fe = f + s->cap, *fl = fe - 8; /* room for 8 */
    size_t longest = 0, high = SIZE_MAX, end, tlen;
    uint64_t ctl = 0;
    bool slow = false; /* st is set up */
    line_st st;
#ifdef __SSE2__
    const __m128i vd = _mm_set1_epi8((char)d), v20 = _mm_set1_epi8(0x20),
                  v7f = _mm_set1_epi8(0x7F), vc2 = _mm_set1_epi8((char)0xC2),
                  vq = _mm_set1_epi8(useq ? (char)s->quote : 0);
#endif
    for (;;) {
#ifdef __SSE2__
        /* Sixteen bytes at a time while they hold nothing but printable
         * ASCII, delimiters and bytes >= 0x80: exactly what the word loop
         * below does for two such words. The first other byte (a line
         * break, a quote, a control) leaves the rest to the word loop. */
        while (at + 8 <= last) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)at);
            unsigned hi = (unsigned)_mm_movemask_epi8(x);
            unsigned md = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vd));
            /* Signed: bytes >= 0x80 count as below 0x20 here; hi takes them out. */
            unsigned hard = (unsigned)_mm_movemask_epi8(_mm_or_si128(
                _mm_or_si128(_mm_cmplt_epi8(x, v20), _mm_cmpeq_epi8(x, v7f)),
                _mm_cmpeq_epi8(x, vq)));
            hard &= ~hi;
            if (tab)
                hard &= ~md;
            if (hard)
                break;
            if (hi) {
                if (high == SIZE_MAX)
                    high = (size_t)(at - p) + (size_t)__builtin_ctz(hi);
                ctl |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vc2));
            }
            if (md) {
                if (!line_grow(s, &f, &fo, &fe, 16))
                    return false;
                fl = fe - 8;
                fo = line_cut(fo, &ps, at, md, 0);
            }
            at += 16;
        }
#endif
        if (at > last)
            return false;
        uint64_t w = core_swar_load(at), md = 0;
        uint64_t sp = (w | (w + CORE_SWAR_ONES) | (cc - (w ^ kk))) & CORE_SWAR_HIGH;
        if (tab) {
            md = core_swar_eq_word(w, dd);
            sp &= ~md;
        }
        if (!sp) {
            if (!tab) /* printable ASCII: the cheap form is exact */
                md = core_swar_eq_ascii(w, dd);
        } else {
            if (!tab)
                md = core_swar_eq_word(w, dd);
            t = at + core_swar_first(sp);
            if (*t == '\n' || *t == '\r')
                break; /* the usual end */
            uint64_t other = (core_swar_unprintable(w) & ~w) |
                             (useq ? core_swar_eq(w, (unsigned char)s->quote) : 0);
            if ((unsigned char)*t < 0x80 || (other & ~md)) {
                if (!slow) {
                    slow = true;
                    st.s = s;
                    st.p = p;
                    st.avail = avail;
                    st.stop = stop;
                    st.d = d;
                    st.useq = useq;
                    st.q = useq ? (unsigned char)s->quote : d;
                    st.eof = eof;
                    st.quoted = st.breaks = st.esc = false;
                }
                st.i = (size_t)(at - p);
                st.f = f;
                st.k = (size_t)(fo - f);
                st.cap = (size_t)(fe - f);
                st.start = (size_t)(ps - p);
                st.high = high;
                st.ctl = ctl;
                int r = line_word(&st, w, md);
                if (r == LINE_BAIL)
                    return false;
                at = p + st.i;
                ps = p + st.start;
                f = st.f;
                fo = f + st.k;
                fe = f + st.cap;
                fl = fe - 8;
                high = st.high;
                ctl = st.ctl;
                if (r == LINE_END) {
                    end = st.end;
                    tlen = st.tlen;
                    goto done;
                }
                continue;
            }
            /* Only bytes >= 0x80, the first at t. */
            if (high == SIZE_MAX)
                high = (size_t)(t - p);
            ctl |= core_swar_eq(w, 0xC2);
        }
        if (md) {
            if (fo > fl) {
                if (!line_grow(s, &f, &fo, &fe, 8))
                    return false;
                fl = fe - 8;
            }
            fo = line_cut(fo, &ps, at, md, 3);
        }
        at += 8;
    }
    /* A line break at t, the first byte of the word at `at` that sp marks:
     * the bytes before it are printable or delimiters. */
    {
        uint64_t md = core_swar_eq_word(core_swar_load(at), dd) &
                      (((uint64_t)1 << (8 * (size_t)(t - at))) - 1);
        if (!line_grow(s, &f, &fo, &fe, 9))
            return false;
        if (md)
            fo = line_cut(fo, &ps, at, md, 3);
        fo->p = ps;
        fo++->n = (size_t)(t - ps);
        end = (size_t)(t - p);
        tlen = 1;
        if (*t == '\r') {
            if (end + 1 < avail)
                tlen = t[1] == '\n' ? 2 : 1;
            else if (!eof)
                return false; /* is an LF next? */
        }
    }
done:
    out->quoted = out->breaks = false;
    if (slow) {
        if (st.quoted && end >= IO_CSV_LIBCSV_CEILING)
            return false; /* libcsv's ceiling decides */
        if (st.esc)
            for (io_slice *x = f; x < fo; x++)
                if (!x->p)
                    x->p = s->vals.data + s->offs[x - f];
        out->quoted = st.quoted;
        out->breaks = st.breaks;
    }
    s->n = (size_t)(fo - f);
    /* The longest field matters only when it may exceed fmax: no field is
     * longer than the content. */
    if (end > fmax)
        for (io_slice *x = f; x < fo; x++)
            longest = x->n > longest ? x->n : longest;
    else
        longest = end;
    s->longest = longest;
    out->len = end + tlen;
    out->tlen = tlen;
    out->first_high = high == SIZE_MAX ? out->len : high;
    out->ctl_free = !ctl;
    return true;
}

bool io_csv_split_line(io_csv_splitter *s, const char *p, size_t avail, size_t lim,
                       size_t fmax, bool eof, io_csv_line *out)
{
    if (s->delim == '\t')
        return split_line(s, p, avail, lim, fmax, eof, out, true);
    return split_line(s, p, avail, lim, fmax, eof, out, false);
}
