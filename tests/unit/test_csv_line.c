/* tests/unit/test_csv_line.c — the one-pass record splitter (io_csv_split_line)
 * and the ctl_free flag against their references.
 *
 * io_csv_split_line finds a record's end, splits it and classifies its bytes
 * in one pass. Whenever it accepts a record, each of its answers must equal
 * the reference for it: the boundary and terminator of io_csv_scan_run, the
 * fields of io_csv_split_plain (no quote) or io_csv_split_quoted (strict
 * libcsv, itself held equal to a fresh libcsv parser by test_csv_split*.c),
 * the UTF-8 verdict of core_utf8_invalid_at over the whole record, and a
 * byte-by-byte ctl_free. Records come from a hostile alphabet (delimiter,
 * quote, CR, LF, TAB, controls, DEL, C2, bytes >= 0x80, "é"), from
 * well-formed quoted records, at every offset of a buffer with random limits,
 * for several delimiter and quote pairs. Then whole texts are read with and
 * without the one-pass path at several block sizes: every record must be the
 * same, ctl_free included, and ctl_free must match its definition. */
#include <stdint.h>
#include <stdlib.h>

#include "core/utf8.h"
#include "csv_test_util.h"
#include "io/csv_split.h"

static uint64_t rng = 0xD1B54A32D192ED03ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

/* The definition: no byte below 0x20 but TAB, CR, LF; no 0x7F; no 0xC2. */
static bool ctl_free_ref(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F || c == 0xC2)
            return false;
    }
    return true;
}

static void test_ctl_free_words(void)
{
    unsigned char buf[40 + 8];
    size_t bad = 0;
    for (size_t n = 0; n <= 40; n++)
        for (size_t off = 0; off < 8; off++)
            for (size_t pos = 0; pos <= n; pos++)
                for (unsigned b = 0; b < 256; b++) {
                    for (size_t i = 0; i < n; i++)
                        buf[off + i] = (unsigned char)(0x20 + (i * 7) % 0x5F);
                    if (pos < n)
                        buf[off + pos] = (unsigned char)b;
                    const char *p = (const char *)buf + off;
                    bad += io_csv_ctl_free(p, n) != ctl_free_ref(p, n);
                }
    CHECK_EQ_INT(bad, 0);
}

/* ---- io_csv_split_line against the references ------------------------------ */

typedef struct counts {
    size_t accepted, quoted, escaped, breaks, high, ctl, refused, mismatches;
} counts;

static const char *why;

static bool same_fields(const io_csv_splitter *a, const io_csv_splitter *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->fields[i].n != b->fields[i].n ||
            (a->fields[i].n && memcmp(a->fields[i].p, b->fields[i].p, a->fields[i].n)))
            return false;
    return true;
}

/* One record at p[0] of p[0..avail). */
static void check_line(io_csv_splitter *fast, io_csv_splitter *ref, char delim, int quote,
                       const char *p, size_t avail, size_t lim, size_t fmax, bool eof,
                       counts *c)
{
    io_csv_line ln;
    if (!io_csv_split_line(fast, p, avail, lim, fmax, eof, &ln)) {
        c->refused++;
        return;
    }
    c->accepted++;
    why = NULL;
    io_csv_scanner k;
    io_csv_scanner_init(&k, delim, quote);
    io_csv_scan s;
    io_csv_scan_init(&s, IO_SC_FIELD, 0, 0);
    size_t len = 0, tlen = 0;
    int res = io_csv_scan_run(&k, p, avail, eof, lim, &s, &len, &tlen);
    if (res != IO_SCAN_DONE || len != ln.len || tlen != ln.tlen)
        why = "boundary";
    else if (s.has_quote != ln.quoted)
        why = "quoted";
    else {
        size_t n = len - tlen;
        io_split_bad bad = IO_SPLIT_OK;
        assay_status st = s.has_quote ? io_csv_split_quoted(ref, p, n, &bad)
                                      : io_csv_split_plain(ref, p, n);
        size_t hi = 0;
        while (hi < len && (unsigned char)p[hi] < 0x80)
            hi++;
        size_t u8 = core_utf8_invalid_at(p, len);
        size_t u8_fast = ln.first_high < len
                             ? ln.first_high + core_utf8_invalid_at(p + ln.first_high,
                                                                     len - ln.first_high)
                             : len;
        bool brk = memchr(p, '\n', n) || memchr(p, '\r', n);
        if (st != ASSAY_OK || bad != IO_SPLIT_OK)
            why = "libcsv refuses what the pass accepted";
        else if (!same_fields(fast, ref))
            why = "fields";
        else if (n > fmax ? fast->longest != ref->longest
                          : fast->longest != n || ref->longest > n)
            why = "longest";
        else if (hi != ln.first_high || u8 != u8_fast)
            why = "utf-8";
        else if (ln.ctl_free != ctl_free_ref(p, len))
            why = "ctl_free";
        else if (ln.breaks != brk)
            why = "breaks";
        c->quoted += s.has_quote;
        for (size_t i = 0; s.has_quote && i + 1 < n; i++)
            if (p[i] == (char)quote && p[i + 1] == (char)quote) {
                c->escaped++;
                break;
            }
        c->breaks += brk;
        c->high += hi < len;
        c->ctl += !ln.ctl_free;
    }
    if (why) {
        c->mismatches++;
        if (c->mismatches <= 5) {
            fprintf(stderr, "split_line differs (%s) d=%02x q=%d avail=%zu lim=%zu eof=%d:", why,
                    (unsigned char)delim, quote, avail, lim, eof);
            for (size_t i = 0; i < avail && i < 80; i++)
                fprintf(stderr, " %02X", (unsigned char)p[i]);
            fputc('\n', stderr);
        }
    }
}

/* A record of fields, quoted or not at random, some mutated. */
static size_t gen_record(char *p, size_t cap, char d, int q, const char *alpha, size_t na)
{
    size_t n = 0, nf = 1 + rnd(10);
    for (size_t f = 0; f < nf && n + 40 < cap; f++) {
        if (f)
            p[n++] = d;
        bool quoted = q >= 0 && rnd(3) == 0;
        size_t len = rnd(rnd(4) == 0 ? 40 : 12);
        if (quoted)
            p[n++] = (char)q;
        for (size_t i = 0; i < len && n + 4 < cap; i++) {
            uint32_t k = rnd(24);
            if (quoted && k == 0) {
                p[n++] = (char)q;
                p[n++] = (char)q;
            } else if (quoted && k == 1)
                p[n++] = rnd(2) ? '\n' : '\r';
            else if (k < 14)
                p[n++] = (char)('a' + rnd(26));
            else
                p[n++] = alpha[rnd((uint32_t)na)];
        }
        if (quoted)
            p[n++] = (char)q;
    }
    if (rnd(4) == 0 && n) /* one byte changed */
        p[rnd((uint32_t)n)] = alpha[rnd((uint32_t)na)];
    static const char *const eols[] = {"\n", "\r\n", "\r", "\n"};
    const char *e = eols[rnd(4)];
    for (; *e && n < cap; e++)
        p[n++] = *e;
    return n;
}

static void test_split_line(void)
{
    static const struct {
        char d;
        int q;
    } pairs[] = {{',', '"'}, {'\t', '"'}, {';', '\''}, {' ', '"'}, {',', ' '},
                 {'|', -1},  {',', -1},   {'\t', -1}};
    counts c = {0};
    char buf[1024];
    for (size_t pi = 0; pi < sizeof pairs / sizeof pairs[0]; pi++) {
        char d = pairs[pi].d;
        int q = pairs[pi].q;
        CHECK(io_csv_line_ok(d, q));
        char qc = q >= 0 ? (char)q : 'x';
        const char alpha[] = {d, d, qc, qc, '\n', '\r', '\t', ' ', '\x01', '\0', '\x7F',
                              '\xC2', '\x85', '\xC3', '\xA9', '\xFF', '\x80', 'a', 'b'};
        io_csv_splitter fast, ref;
        CHECK(io_csv_splitter_init(&fast, d, q) == ASSAY_OK);
        CHECK(io_csv_splitter_init(&ref, d, q) == ASSAY_OK);
        for (int iter = 0; iter < 15000; iter++) {
            size_t n = 0;
            if (rnd(3) == 0) /* hostile bytes */
                for (size_t len = rnd(200); n < len; n++)
                    buf[n] = alpha[rnd(sizeof alpha)];
            else /* records back to back */
                while (n < 600)
                    n += gen_record(buf + n, sizeof buf - n, d, q, alpha, sizeof alpha);
            size_t lim = rnd(4) ? SIZE_MAX / 4 : rnd(120);
            size_t fmax = rnd(2) ? SIZE_MAX / 4 : rnd(20);
            /* Every record start of the buffer, through its end or a cut. */
            size_t cut = rnd(4) == 0 ? rnd((uint32_t)n + 1) : n;
            bool eof = cut == n ? rnd(2) : false;
            for (size_t at = 0; at < cut; at++) {
                if (at && buf[at - 1] != '\n' && buf[at - 1] != '\r' && rnd(8))
                    continue; /* mostly real record starts */
                check_line(&fast, &ref, d, q, buf + at, cut - at, lim, fmax, eof, &c);
            }
        }
        io_csv_splitter_free(&fast);
        io_csv_splitter_free(&ref);
    }
    CHECK(!io_csv_line_ok('\x01', '"') && !io_csv_line_ok(',', 0x80) &&
          !io_csv_line_ok(',', '`') && !io_csv_line_ok(',', ','));
    CHECK_EQ_INT(c.mismatches, 0);
    CHECK(c.accepted > 200000 && c.quoted > 20000 && c.escaped > 2000 && c.breaks > 2000 &&
          c.high > 20000 && c.ctl > 20000 && c.refused > 20000);
    printf("split_line: %zu accepted (%zu quoted, %zu with \"\", %zu multi-line, %zu with "
           "bytes >= 0x80, %zu not ctl_free), %zu left to the general path\n",
           c.accepted, c.quoted, c.escaped, c.breaks, c.high, c.ctl, c.refused);
}

/* ---- the reader with and without the one pass -------------------------------- */

static void test_reader(void)
{
    static const struct {
        char d;
        int q;
    } pairs[] = {{',', '"'}, {'\t', '"'}, {';', '\''}, {',', -1}};
    static const size_t blocks[] = {1, 7, 64, 300, 1 << 16};
    size_t texts = 0, records = 0, differ = 0, ctl_wrong = 0, ctl_true = 0;
    char *buf = malloc(1 << 14);
    CHECK(buf != NULL);
    for (size_t pi = 0; buf && pi < sizeof pairs / sizeof pairs[0]; pi++) {
        char d = pairs[pi].d;
        int q = pairs[pi].q;
        char qc = q >= 0 ? (char)q : 'x';
        const char alpha[] = {d, qc, '\n', '\r', '\t', '\x01', '\x7F', '\xC2',
                              '\xA0', '\xC3', '\xA9', '\xFF', 'a', ' '};
        io_csv_opts o;
        io_csv_opts_init(&o);
        o.delimiter = d;
        o.quote = q;
        for (int iter = 0; iter < 600; iter++) {
            o.header = rnd(2);
            o.max_record_bytes = rnd(3) ? 0 : 20 + rnd(200);
            o.max_field_bytes = rnd(3) ? 0 : 5 + rnd(40);
            size_t n = 0, want = 200 + rnd(4000);
            while (n < want)
                n += gen_record(buf + n, (1 << 14) - n, d, q, alpha, sizeof alpha);
            if (rnd(2) && n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                n--; /* no terminator at the end */
            texts++;
            for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++) {
                if (blocks[bi] < 64 && rnd(4))
                    continue;
                tlist a = t_read_mode(buf, n, &o, blocks[bi], true);
                tlist b = t_read_mode(buf, n, &o, blocks[bi], false);
                size_t at = t_diff(&a, &b);
                differ += at != 0;
                if (at && differ <= 3)
                    fprintf(stderr, "fast and general readers differ at record %zu (block %zu)\n",
                            at, blocks[bi]);
                CHECK(a.st == ASSAY_OK && t_conserved(&a, buf, n));
                for (size_t i = 0; i < a.n; i++) {
                    const io_record *r = &a.v[i].r;
                    ctl_wrong += r->ctl_free != ctl_free_ref(r->raw, r->raw_len);
                    ctl_true += r->ctl_free;
                }
                records += a.n;
                tlist_free(&a);
                tlist_free(&b);
            }
        }
    }
    free(buf);
    CHECK_EQ_INT(differ, 0);
    CHECK_EQ_INT(ctl_wrong, 0);
    CHECK(records > 100000 && ctl_true > 10000 && ctl_true < records);
    printf("reader: %zu texts, %zu records, %zu ctl_free\n", texts, records, ctl_true);
}

static void test_ctl_free_examples(void)
{
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.header = false;
    const char *in = "a,b\r\nc\x01,d\nx,\xC2\xA9\n\"q\x7F\",1\n\"t\tu\nv\",\xC3\xA9\n";
    for (int fast = 0; fast < 2; fast++) {
        tlist l = t_read_mode(in, strlen(in), &o, 1 << 16, fast);
        CHECK(l.n == 5);
        if (l.n == 5)
            CHECK(l.v[0].r.ctl_free && !l.v[1].r.ctl_free && !l.v[2].r.ctl_free &&
                  !l.v[3].r.ctl_free && l.v[4].r.ctl_free);
        tlist_free(&l);
    }
}

int main(void)
{
    test_ctl_free_words();
    test_split_line();
    test_reader();
    test_ctl_free_examples();
    return t_done();
}
