/* io/csv_split.c — where a CSV record ends, and how it splits into fields.
 *
 * The scanner looks for the next LF, CR and quote with memchr and remembers
 * each hit (io_csv_seek), so a block is searched about once per byte value
 * rather than byte by byte; only the inside of a quoted field is walked quote
 * to quote. A quote opens a quoted field only at the start of a field, as in
 * libcsv, so the scanner and strict libcsv agree on every record libcsv
 * accepts. Splitting has two paths: records without a quote character are cut
 * on the delimiter in place (zero-copy); the others go through libcsv in
 * strict mode with space trimming off. */
#include "io/csv_split.h"

#include <stdlib.h>
#include <string.h>

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

/* Room for one more field. */
static assay_status grow(io_csv_splitter *s)
{
    if (s->n < s->cap)
        return ASSAY_OK;
    size_t cap = s->cap ? s->cap * 2 : 16;
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

assay_status io_csv_split_plain(io_csv_splitter *s, const char *p, size_t n)
{
    const char *e = p + n;
    s->n = 0;
    s->longest = 0;
    for (;;) {
        const char *d = p < e ? memchr(p, s->delim, (size_t)(e - p)) : NULL;
        const char *fe = d ? d : e;
        assay_status st = grow(s);
        if (st)
            return st;
        s->fields[s->n].p = p;
        s->fields[s->n].n = (size_t)(fe - p);
        if (s->fields[s->n].n > s->longest)
            s->longest = s->fields[s->n].n;
        s->n++;
        if (!d)
            return ASSAY_OK;
        p = d + 1;
    }
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
