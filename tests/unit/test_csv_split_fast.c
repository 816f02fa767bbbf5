/* tests/unit/test_csv_split_fast.c — the splitters' fast paths against
 * byte-by-byte references.
 *
 * io_csv_split_plain cuts on the delimiter eight bytes at a time: it must equal
 * a byte loop on every byte value, every length 0..64 and every alignment.
 * io_csv_split_quoted splits records with plain quoting itself and hands the
 * others to libcsv: on every record it must give what strict libcsv alone
 * gives — the same fields when libcsv accepts, the same refusal (kind and
 * byte) when it does not. Records come from a hostile alphabet, from
 * well-formed fields with random quoting, and from mutations of those, for
 * several delimiter and quote pairs. */
#include <csv.h>
#include <stdint.h>
#include <stdlib.h>

#include "io/csv_split.h"
#include "t.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

/* ---- the reference: strict libcsv alone, as io_csv_split_quoted used it --- */

typedef struct ref {
    char vals[8192];
    size_t off[1024], len[1024];
    size_t nf, used;
    bool overflow;
} ref;

static void ref_field(void *f, size_t n, void *ctx)
{
    ref *r = ctx;
    if (r->nf >= 1024 || r->used + n > sizeof r->vals) {
        r->overflow = true;
        return;
    }
    if (n)
        memcpy(r->vals + r->used, f, n);
    r->off[r->nf] = r->used;
    r->len[r->nf++] = n;
    r->used += n;
}

static int keep_spaces(unsigned char c)
{
    (void)c;
    return 0;
}

/* IO_SPLIT_* and, for IO_SPLIT_PARSE, the offending byte in *at. */
static io_split_bad ref_split(const char *p, size_t n, char delim, char quote, ref *r,
                              size_t *at)
{
    struct csv_parser cp;
    memset(r, 0, sizeof *r);
    *at = 0;
    if (csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI) != 0)
        abort();
    csv_set_space_func(&cp, keep_spaces);
    csv_set_delim(&cp, (unsigned char)delim);
    csv_set_quote(&cp, (unsigned char)quote);
    io_split_bad bad = IO_SPLIT_OK;
    size_t done = csv_parse(&cp, p, n, ref_field, NULL, r);
    if (done == n && csv_error(&cp) == CSV_SUCCESS) {
        if (csv_fini(&cp, ref_field, NULL, r) != 0)
            bad = IO_SPLIT_UNCLOSED;
    } else {
        bad = IO_SPLIT_PARSE;
        *at = done;
    }
    csv_free(&cp);
    return bad;
}

/* ---- the plain path ---------------------------------------------------------- */

static bool plain_matches(io_csv_splitter *s, const char *p, size_t n, char delim)
{
    if (io_csv_split_plain(s, p, n) != ASSAY_OK)
        return false;
    size_t start = 0, k = 0, longest = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != delim)
            continue;
        if (k >= s->n || s->fields[k].p != p + start || s->fields[k].n != i - start)
            return false;
        if (i - start > longest)
            longest = i - start;
        k++;
        start = i + 1;
    }
    return k == s->n && s->longest == longest;
}

static void test_plain(void)
{
    static const char delims[] = {',', ';', '\t', '|', ' ', '\0', '\x7F', '\x80', '\xFF'};
    unsigned char buf[64 + 16];
    int bad = 0, runs = 0;
    for (size_t di = 0; di < sizeof delims; di++) {
        char d = delims[di];
        io_csv_splitter s;
        CHECK(io_csv_splitter_init(&s, d, -1) == ASSAY_OK);
        /* Every byte value at every position of every length 0..64, at
         * every alignment: a delimiter run and a lone byte in other bytes. */
        for (size_t n = 0; n <= 64; n++)
            for (size_t off = 0; off < 8; off++) {
                for (size_t pos = 0; pos < n; pos++)
                    for (unsigned b = 0; b < 256; b += (n > 16 ? 17 : 1)) {
                        for (size_t i = 0; i < n; i++)
                            buf[off + i] = (unsigned char)('a' + (i % 26));
                        buf[off + pos] = (unsigned char)b;
                        bad += !plain_matches(&s, (const char *)buf + off, n, d);
                        runs++;
                    }
                for (size_t i = 0; i < n; i++)
                    buf[off + i] = (unsigned char)d;
                bad += !plain_matches(&s, (const char *)buf + off, n, d);
                runs++;
            }
        /* Random text, delimiter-dense. */
        for (int iter = 0; iter < 20000; iter++) {
            size_t n = rnd(65), off = rnd(8);
            for (size_t i = 0; i < n; i++)
                buf[off + i] = rnd(4) == 0 ? (unsigned char)d : (unsigned char)rnd(256);
            bad += !plain_matches(&s, (const char *)buf + off, n, d);
            runs++;
        }
        io_csv_splitter_free(&s);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(runs > 100000);
}

/* ---- the quoted path -------------------------------------------------------- */

typedef struct stats {
    size_t accepted, parse, unclosed, mismatches;
} stats;

static void compare_quoted(io_csv_splitter *s, const char *p, size_t n, char delim,
                           char quote, stats *st)
{
    ref r;
    size_t at;
    io_split_bad want = ref_split(p, n, delim, quote, &r, &at);
    if (r.overflow)
        return;
    io_split_bad got;
    bool same = io_csv_split_quoted(s, p, n, &got) == ASSAY_OK && got == want;
    if (same && want == IO_SPLIT_PARSE)
        same = s->bad_at == at;
    if (same && want == IO_SPLIT_OK) {
        size_t longest = 0;
        same = s->n == r.nf;
        for (size_t i = 0; same && i < s->n; i++) {
            same = s->fields[i].n == r.len[i] && s->fields[i].p != NULL &&
                   memcmp(s->fields[i].p, r.vals + r.off[i], r.len[i]) == 0;
            if (r.len[i] > longest)
                longest = r.len[i];
        }
        same = same && s->longest == longest;
    }
    if (!same) {
        st->mismatches++;
        if (st->mismatches <= 5)
            fprintf(stderr, "quoted split differs from libcsv on \"%.*s\" (d=%02x q=%02x)\n",
                    (int)n, p, (unsigned char)delim, (unsigned char)quote);
    }
    st->accepted += want == IO_SPLIT_OK;
    st->parse += want == IO_SPLIT_PARSE;
    st->unclosed += want == IO_SPLIT_UNCLOSED;
}

/* A record of well-formed fields, each quoted or not at random. */
static size_t gen_fields(char *p, size_t cap, char d, char q)
{
    static const char text[] = {'a', 'b', ' ', '\t', '\xC3', '\xA9', '\0', 'z'};
    size_t n = 0, nf = 1 + rnd(8);
    for (size_t f = 0; f < nf; f++) {
        if (f)
            p[n++] = d;
        bool quoted = rnd(2);
        size_t len = rnd(12);
        if (quoted)
            p[n++] = q;
        for (size_t i = 0; i < len && n + 3 < cap; i++) {
            uint32_t k = rnd(16);
            if (quoted && k == 0) {
                p[n++] = q;
                p[n++] = q;
            } else if (quoted && k == 1)
                p[n++] = d;
            else if (quoted && k == 2)
                p[n++] = rnd(2) ? '\n' : '\r';
            else
                p[n++] = text[rnd(sizeof text)];
        }
        if (quoted)
            p[n++] = q;
        if (n + 16 > cap)
            break;
    }
    return n;
}

static void test_quoted(void)
{
    static const char pairs[][2] = {{',', '"'}, {';', '\''}, {'\t', '"'}, {' ', '"'},
                                    {'|', '\xFF'}, {'\0', '"'}, {',', '\0'}};
    stats st = {0};
    char buf[256];
    for (size_t pi = 0; pi < sizeof pairs / sizeof pairs[0]; pi++) {
        char d = pairs[pi][0], q = pairs[pi][1];
        io_csv_splitter s;
        CHECK(io_csv_splitter_init(&s, d, (unsigned char)q) == ASSAY_OK);
        const char alphabet[] = {'a', d, q, ' ', '\t', '\n', '\r', '\xC3', '\xA9', q, d};
        /* Every length 0..64 over the hostile alphabet. */
        for (size_t n = 0; n <= 64; n++)
            for (int iter = 0; iter < 600; iter++) {
                for (size_t i = 0; i < n; i++)
                    buf[i] = alphabet[rnd(sizeof alphabet)];
                compare_quoted(&s, buf, n, d, q, &st);
            }
        /* Every byte value in each position of a short quoted record. */
        for (unsigned b = 0; b < 256; b++) {
            const char base[] = {q, 'x', q, d, 'y', d, q, q, q, q, q};
            for (size_t pos = 0; pos <= sizeof base; pos++) {
                size_t n = 0;
                for (size_t i = 0; i < sizeof base; i++) {
                    if (i == pos)
                        buf[n++] = (char)b;
                    buf[n++] = base[i];
                }
                if (pos == sizeof base)
                    buf[n++] = (char)b;
                compare_quoted(&s, buf, n, d, q, &st);
                memcpy(buf, base, sizeof base); /* the byte in place of one */
                if (pos < sizeof base) {
                    buf[pos] = (char)b;
                    compare_quoted(&s, buf, sizeof base, d, q, &st);
                }
            }
        }
        /* Well-formed records, and each with one byte changed, dropped or
         * added. */
        for (int iter = 0; iter < 30000; iter++) {
            size_t n = gen_fields(buf, sizeof buf - 2, d, q);
            compare_quoted(&s, buf, n, d, q, &st);
            if (n == 0)
                continue;
            size_t at = rnd((uint32_t)n);
            switch (rnd(3)) {
            case 0:
                buf[at] = alphabet[rnd(sizeof alphabet)];
                break;
            case 1:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            default:
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = alphabet[rnd(sizeof alphabet)];
                n++;
                break;
            }
            compare_quoted(&s, buf, n, d, q, &st);
        }
        io_csv_splitter_free(&s);
    }
    CHECK_EQ_INT(st.mismatches, 0);
    CHECK(st.accepted > 100000 && st.parse > 10000 && st.unclosed > 10000);
    printf("quoted: %zu accepted, %zu refused, %zu unclosed\n", st.accepted, st.parse,
           st.unclosed);
}

/* Values with "" are unescaped into the splitter's space; the others point
 * into the record. Both stay valid until the next split. */
static void test_quoted_examples(void)
{
    io_csv_splitter s;
    io_split_bad bad;
    CHECK(io_csv_splitter_init(&s, ',', '"') == ASSAY_OK);
    const char *rec = "\"a,b\",\"say \"\"hi\"\"\",,\"\",x";
    CHECK(io_csv_split_quoted(&s, rec, strlen(rec), &bad) == ASSAY_OK && !bad);
    CHECK_EQ_INT(s.n, 5);
    CHECK_EQ_MEM(s.fields[0].p, s.fields[0].n, "a,b");
    CHECK_EQ_MEM(s.fields[1].p, s.fields[1].n, "say \"hi\"");
    CHECK_EQ_MEM(s.fields[2].p, s.fields[2].n, "");
    CHECK_EQ_MEM(s.fields[3].p, s.fields[3].n, "");
    CHECK_EQ_MEM(s.fields[4].p, s.fields[4].n, "x");
    CHECK_EQ_INT(s.longest, 8);
    rec = "a,\"b\"c";
    CHECK(io_csv_split_quoted(&s, rec, strlen(rec), &bad) == ASSAY_OK);
    CHECK(bad == IO_SPLIT_PARSE && s.bad_at == 5);
    rec = "a,\"b";
    CHECK(io_csv_split_quoted(&s, rec, strlen(rec), &bad) == ASSAY_OK);
    CHECK(bad == IO_SPLIT_UNCLOSED);
    rec = "\"line\nbreak\",\"x\r\"";
    CHECK(io_csv_split_quoted(&s, rec, strlen(rec), &bad) == ASSAY_OK && !bad);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_MEM(s.fields[0].p, s.fields[0].n, "line\nbreak");
    io_csv_splitter_free(&s);
}

int main(void)
{
    test_plain();
    test_quoted();
    test_quoted_examples();
    return t_done();
}
