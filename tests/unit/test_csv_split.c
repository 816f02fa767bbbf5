/* tests/unit/test_csv_split.c — differential tests of the two split paths.
 *
 * Random short records over a hostile alphabet (a, the delimiter, the quote,
 * space, tab, CR, LF and the two bytes of "é") are split three ways: by the
 * zero-copy delimiter splitter, by the reader's libcsv path
 * (io_csv_split_quoted, forced), and by a fresh strict libcsv parser as the
 * reference. Whenever the reference accepts a record, the paths must agree.
 * Then whole random texts go through the reader and must give the same rows
 * as strict libcsv run over the whole text. */
#include <csv.h>

#include "csv_test_util.h"
#include "io/csv_split.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

static const char alphabet[] = { 'a', ',', '"', ' ', '\t', '\n', '\r', '\xC3', '\xA9' };

static size_t gen(char *p, size_t max, bool breaks)
{
    size_t n = rnd((uint32_t)max + 1);
    for (size_t i = 0; i < n; i++) {
        char c = alphabet[rnd(sizeof alphabet)];
        p[i] = (!breaks && (c == '\n' || c == '\r')) ? 'b' : c;
    }
    return n;
}

/* The reference: rows of fields as strict libcsv sees them. */
typedef struct ref {
    char vals[4096];
    size_t off[512], len[512], row_end[128];
    size_t nf, nrows, used;
} ref;

static void ref_field(void *f, size_t n, void *ctx)
{
    ref *r = ctx;
    if (r->nf < 512 && r->used + n <= sizeof r->vals) {
        if (n)
            memcpy(r->vals + r->used, f, n);
        r->off[r->nf] = r->used;
        r->len[r->nf++] = n;
        r->used += n;
    }
}

static void ref_row(int c, void *ctx)
{
    (void)c;
    ref *r = ctx;
    if (r->nrows < 128)
        r->row_end[r->nrows++] = r->nf;
}

static int keep_spaces(unsigned char c)
{
    (void)c;
    return 0;
}

static bool ref_parse(const char *p, size_t n, ref *r)
{
    struct csv_parser cp;
    memset(r, 0, sizeof *r);
    if (csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return false;
    csv_set_space_func(&cp, keep_spaces);
    bool ok = csv_parse(&cp, p, n, ref_field, ref_row, r) == n &&
              csv_error(&cp) == CSV_SUCCESS &&
              csv_fini(&cp, ref_field, ref_row, r) == 0;
    csv_free(&cp);
    return ok;
}

static bool same_fields(const io_csv_splitter *s, const ref *r, size_t from, size_t to)
{
    if (s->n != to - from)
        return false;
    for (size_t i = 0; i < s->n; i++)
        if (s->fields[i].n != r->len[from + i] ||
            memcmp(s->fields[i].p, r->vals + r->off[from + i], r->len[from + i]) != 0)
            return false;
    return true;
}

/* One record (no line breaks): the forced libcsv path always equals the
 * reference, and the plain path equals it whenever there is no quote. */
static void test_records(void)
{
    io_csv_splitter plain, quoted;
    CHECK(io_csv_splitter_init(&plain, ',', '"') == ASSAY_OK);
    CHECK(io_csv_splitter_init(&quoted, ',', '"') == ASSAY_OK);
    size_t accepted = 0, unquoted = 0, rejected = 0, bad_agree = 0;
    for (int iter = 0; iter < 200000; iter++) {
        char p[16];
        size_t n = gen(p, 12, false);
        ref r;
        bool ok = ref_parse(p, n, &r);
        io_split_bad bad;
        CHECK(io_csv_split_quoted(&quoted, p, n, &bad) == ASSAY_OK);
        bad_agree += (bad != IO_SPLIT_OK) == !ok;
        if (!ok) {
            rejected++;
            continue;
        }
        if (n == 0) /* libcsv gives no row for nothing; the reader: blank */
            continue;
        accepted++;
        CHECK_MSG(r.nrows == 1 && same_fields(&quoted, &r, 0, r.nf),
                  "libcsv path differs on \"%.*s\"", (int)n, p);
        if (!memchr(p, '"', n)) {
            unquoted++;
            CHECK(io_csv_split_plain(&plain, p, n) == ASSAY_OK);
            CHECK_MSG(same_fields(&plain, &r, 0, r.nf), "plain path differs on \"%.*s\"",
                      (int)n, p);
        }
    }
    CHECK_EQ_INT(bad_agree, 200000);
    CHECK(accepted > 50000 && unquoted > 10000 && rejected > 10000);
    io_csv_splitter_free(&plain);
    io_csv_splitter_free(&quoted);
}

/* Compares the reader's records with the reference's rows. Empty lines are
 * records for the reader (blank rows) and nothing for libcsv. */
static bool same_rows(const tlist *l, const ref *r)
{
    size_t row = 0;
    for (size_t i = 0; i < l->n; i++) {
        const io_record *rec = &l->v[i].r;
        if (rec->kind != IO_REC_OK && rec->kind != IO_REC_BLANK)
            return false;
        bool empty = rec->raw_len <= 2 && (rec->raw[0] == '\n' || rec->raw[0] == '\r');
        if (empty)
            continue;
        size_t from = row ? r->row_end[row - 1] : 0;
        if (row >= r->nrows || rec->nfields != r->row_end[row] - from)
            return false;
        for (size_t k = 0; k < rec->nfields; k++)
            if (rec->fields[k].n != r->len[from + k] ||
                memcmp(rec->fields[k].p, r->vals + r->off[from + k], r->len[from + k]))
                return false;
        row++;
    }
    return row == r->nrows;
}

/* Whole texts: the reader's boundaries, line breaks inside quotes and both
 * split paths against strict libcsv over the same text. */
static void test_texts(void)
{
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.header = false;
    size_t compared = 0, damaged = 0;
    for (int iter = 0; iter < 20000; iter++) {
        char p[64];
        size_t n = gen(p, 40, true);
        ref r;
        if (!ref_parse(p, n, &r) || r.nrows >= 128 || r.nf >= 512)
            continue;
        tlist l = t_read(p, n, &o, 1 + rnd(8));
        CHECK(l.st == ASSAY_OK && t_conserved(&l, p, n));
        bool clean = true;
        for (size_t i = 0; i < l.n; i++)
            clean = clean && (l.v[i].r.kind == IO_REC_OK || l.v[i].r.kind == IO_REC_BLANK);
        if (clean) {
            compared++;
            CHECK_MSG(same_rows(&l, &r), "reader differs from libcsv on \"%.*s\"", (int)n, p);
        } else {
            /* Only a multi-line record with an unexpected field count may
             * start a damaged span when libcsv accepts the whole text (inside
             * the span, lines are judged out of context). */
            damaged++;
            size_t i = 0;
            while (i < l.n && l.v[i].r.kind != IO_REC_MALFORMED)
                i++;
            CHECK_MSG(i < l.n && strncmp(l.v[i].r.detail, "record spans", 12) == 0,
                      "unexpected damage on \"%.*s\"", (int)n, p);
        }
        tlist_free(&l);
    }
    CHECK(compared > 2000);
    printf("texts compared with libcsv: %zu (plus %zu with a ragged multi-line record)\n",
           compared, damaged);
}

/* The scanner's memory of where bytes are must never go stale. */
static void test_count_terms(void)
{
    bool cr = false;
    CHECK_EQ_INT(io_csv_count_terms("a\r\nb\rc\n", 7, &cr), 3);
    CHECK(!cr);
    CHECK_EQ_INT(io_csv_count_terms("x\r", 2, &cr), 1);
    CHECK(cr);
    CHECK_EQ_INT(io_csv_count_terms("\ny", 2, &cr), 0);
    CHECK(!cr);
    CHECK_EQ_INT(io_csv_count_terms("", 0, &cr), 0);
}

int main(void)
{
    test_records();
    test_texts();
    test_count_terms();
    return t_done();
}
