/* tests/unit/test_csv_writer.c — minimal quoting, exact outputs, a round
 * trip of random records through libcsv in strict mode, and the quoting
 * decision (made eight bytes at a time) against a byte-by-byte reference on
 * every byte value at every position of every length 0..64. */
#include <csv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "io/csv_writer.h"
#include "t.h"

#define MAXF 8

static io_slice S(const char *s)
{
    io_slice x = { s, strlen(s) };
    return x;
}

/* Writes the fields and compares the output with want. */
static void expect(const char *want, char delim, int quote, const char *eol,
                   size_t n, const io_slice *f)
{
    core_buf b;
    core_buf_init(&b, 0);
    assay_status st = io_csvw_record(&b, f, n, delim, quote, eol, strlen(eol));
    CHECK_EQ_INT(st, ASSAY_OK);
    CHECK_EQ_MEM(b.data, b.len, want);
    core_buf_free(&b);
}

static void test_minimal_quoting(void)
{
    io_slice f1[] = { S("a"), S("b c"), S(""), S(" d ") };
    expect("a,b c,, d \n", ',', '"', "\n", 4, f1);
    io_slice f2[] = { S("x,y"), S("say \"hi\""), S("l1\nl2"), S("cr\r") };
    expect("\"x,y\",\"say \"\"hi\"\"\",\"l1\nl2\",\"cr\r\"\r\n", ',', '"', "\r\n",
           4, f2);
    io_slice f3[] = { S("\"") };
    expect("\"\"\"\"\n", ',', '"', "\n", 1, f3);
    /* TSV: a comma needs no quotes, a tab does */
    io_slice f4[] = { S("a,b"), S("c\td") };
    expect("a,b\t\"c\td\"\n", '\t', '"', "\n", 2, f4);
    /* another quote character: only it is special */
    io_slice f5[] = { S("it's"), S("\"plain\"") };
    expect("'it''s';\"plain\"\n", ';', '\'', "\n", 2, f5);
    /* no terminator */
    io_slice f6[] = { S("last"), S("row") };
    expect("last,row", ',', '"', "", 2, f6);
}

static void test_empty_records(void)
{
    io_slice one[] = { S("") };
    expect("\"\"\n", ',', '"', "\n", 1, one);
    io_slice three[] = { S(""), S(""), S("") };
    expect("\"\",,\r\n", ',', '"', "\r\n", 3, three);
    io_slice some[] = { S(""), S("x"), S("") };
    expect(",x,\n", ',', '"', "\n", 3, some);
}

static void test_no_quoting(void)
{
    io_slice ok[] = { S("a\"b"), S("c d"), S("") };
    expect("a\"b,c d,\n", ',', -1, "\n", 3, ok);
    CHECK_EQ_INT(io_csvw_unwritable(ok, 3, ',', -1), 3);

    core_buf b;
    core_buf_init(&b, 0);
    CHECK_EQ_INT(core_buf_puts(&b, "kept"), ASSAY_OK);
    io_slice delim[] = { S("a"), S("b,c") };
    io_slice nl[] = { S("a"), S("b"), S("c\r") };
    io_slice lf[] = { S("a\nb") };
    io_slice empty[] = { S(""), S("") };
    CHECK_EQ_INT(io_csvw_record(&b, delim, 2, ',', -1, "\n", 1),
                 IO_CSVW_E_UNWRITABLE);
    CHECK_EQ_INT(io_csvw_unwritable(delim, 2, ',', -1), 1);
    CHECK_EQ_INT(io_csvw_record(&b, nl, 3, ',', -1, "\n", 1),
                 IO_CSVW_E_UNWRITABLE);
    CHECK_EQ_INT(io_csvw_unwritable(nl, 3, ',', -1), 2);
    CHECK_EQ_INT(io_csvw_record(&b, lf, 1, '\t', -1, "\n", 1),
                 IO_CSVW_E_UNWRITABLE);
    CHECK_EQ_INT(io_csvw_record(&b, empty, 2, ',', -1, "\n", 1),
                 IO_CSVW_E_UNWRITABLE);
    CHECK_EQ_INT(io_csvw_unwritable(empty, 2, ',', -1), 0);
    CHECK_EQ_INT(io_csvw_record(&b, empty, 0, ',', '"', "\n", 1),
                 IO_CSVW_E_UNWRITABLE);
    /* with quoting everything is writable */
    CHECK_EQ_INT(io_csvw_unwritable(delim, 2, ',', '"'), 2);
    CHECK_EQ_MEM(b.data, b.len, "kept");
    core_buf_free(&b);
}

static void test_limit_keeps_buffer(void)
{
    core_buf b;
    core_buf_init(&b, 8);
    CHECK_EQ_INT(core_buf_puts(&b, "abc"), ASSAY_OK);
    io_slice f[] = { S("12345"), S("6") };
    CHECK_EQ_INT(io_csvw_record(&b, f, 2, ',', '"', "\n", 1), ASSAY_E_LIMIT);
    CHECK_EQ_MEM(b.data, b.len, "abc");
    core_buf_free(&b);
}

static void test_many_fields(void)
{
    /* more fields than the writer's on-stack flags */
    io_slice f[100];
    core_buf want;
    core_buf_init(&want, 0);
    for (int i = 0; i < 100; i++) {
        f[i] = (i % 7 == 3) ? S("a,b") : S("z");
        CHECK_EQ_INT(core_buf_puts(&want, i ? "," : ""), ASSAY_OK);
        CHECK_EQ_INT(core_buf_puts(&want, (i % 7 == 3) ? "\"a,b\"" : "z"),
                     ASSAY_OK);
    }
    CHECK_EQ_INT(core_buf_puts(&want, "\n"), ASSAY_OK);
    CHECK_EQ_INT(core_buf_nul(&want), ASSAY_OK);
    expect(want.data, ',', '"', "\n", 100, f);
    core_buf_free(&want);
}

static void test_eol(void)
{
    CHECK_EQ_INT(io_csvw_eol("a,b\r\n", 5), 2);
    CHECK_EQ_INT(io_csvw_eol("a,b\n", 4), 1);
    CHECK_EQ_INT(io_csvw_eol("a,b\r", 4), 1);
    CHECK_EQ_INT(io_csvw_eol("a,b", 3), 0);
    CHECK_EQ_INT(io_csvw_eol("\n", 1), 1);
    CHECK_EQ_INT(io_csvw_eol("\r\n", 2), 2);
    CHECK_EQ_INT(io_csvw_eol("", 0), 0);
    CHECK_EQ_INT(io_csvw_eol("\n\r", 2), 1);
}

/* ---- round trip through libcsv (strict) -------------------------------- */

typedef struct parsed {
    char *field[MAXF];
    size_t len[MAXF];
    size_t nfields, nrecords;
} parsed;

static void on_field(void *p, size_t n, void *ctx)
{
    parsed *r = ctx;
    if (r->nfields < MAXF) {
        r->field[r->nfields] = malloc(n + 1);
        if (n)
            memcpy(r->field[r->nfields], p, n);
        r->len[r->nfields] = n;
    }
    r->nfields++;
}

static void on_record(int c, void *ctx)
{
    (void)c;
    ((parsed *)ctx)->nrecords++;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 16) & 0x7fff;
}

static void random_field(char *buf, size_t *n, char delim, char quote)
{
    static const char pool[] = "ab  \r\n\xc3\xa9x1";
    size_t len = rng() % 7;
    for (size_t i = 0; i < len; i++) {
        uint32_t k = rng() % (sizeof pool + 1);
        buf[i] = k == sizeof pool - 1 ? delim : k == sizeof pool ? quote : pool[k];
    }
    *n = len;
}

static bool round_trip_once(char delim, char quote, const char *eol)
{
    char store[MAXF][8];
    io_slice f[MAXF];
    size_t n = 1 + rng() % 5;
    for (size_t i = 0; i < n; i++) {
        random_field(store[i], &f[i].n, delim, quote);
        f[i].p = store[i];
    }
    core_buf b;
    core_buf_init(&b, 0);
    bool ok = io_csvw_record(&b, f, n, delim, quote, eol, strlen(eol)) == ASSAY_OK;
    struct csv_parser p;
    parsed r = { .nfields = 0 };
    ok = ok && csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0;
    if (!ok)
        return false;
    csv_set_delim(&p, (unsigned char)delim);
    csv_set_quote(&p, (unsigned char)quote);
    csv_set_space_func(&p, no_space);
    ok = csv_parse(&p, b.data, b.len, on_field, on_record, &r) == b.len &&
         csv_fini(&p, on_field, on_record, &r) == 0;
    ok = ok && r.nrecords == 1 && r.nfields == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = r.len[i] == f[i].n && memcmp(r.field[i], f[i].p, f[i].n) == 0;
    if (!ok)
        fprintf(stderr, "round trip failed for: %.*s\n", (int)b.len, b.data);
    for (size_t i = 0; i < r.nfields && i < MAXF; i++)
        free(r.field[i]);
    csv_free(&p);
    core_buf_free(&b);
    return ok;
}

static void test_round_trip(void)
{
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        char delim = (i % 3 == 0) ? ',' : (i % 3 == 1) ? '\t' : ';';
        char quote = (i % 2) ? '"' : '\'';
        if (!round_trip_once(delim, quote, (i % 4) ? "\n" : "\r\n"))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

/* One field written alone, against the byte-by-byte rule: quoted exactly
 * when it holds the delimiter, CR, LF or the quote; unwritable without a
 * quote character in the same case. */
static bool one_field_ok(const char *p, size_t n, char delim, int quote)
{
    bool special = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        special = special || c == (unsigned char)delim || c == '\r' || c == '\n' ||
                  (quote >= 0 && c == (unsigned char)quote);
    }
    io_slice f[2] = {{p, n}, {"x", 1}}; /* a second field: never all empty */
    core_buf b;
    core_buf_init(&b, 0);
    assay_status st = io_csvw_record(&b, f, 2, delim, quote, "", 0);
    bool ok;
    if (quote < 0)
        ok = special ? st == IO_CSVW_E_UNWRITABLE : st == ASSAY_OK && b.len == n + 2;
    else if (st != ASSAY_OK || b.len < n + 2)
        ok = false;
    else if (!special)
        ok = b.len == n + 2 && (n == 0 || memcmp(b.data, p, n) == 0);
    else
        ok = b.data[0] == (char)quote && b.len >= n + 4;
    core_buf_free(&b);
    return ok;
}

static void test_quote_decision(void)
{
    static const char delims[] = {',', '\t', ';', '\0', '\xFF'};
    static const int quotes[] = {'"', '\'', -1, 0x80};
    char buf[64 + 8];
    size_t bad = 0, runs = 0;
    for (size_t di = 0; di < sizeof delims; di++)
        for (size_t qi = 0; qi < sizeof quotes / sizeof quotes[0]; qi++)
            for (size_t n = 0; n <= 64; n++)
                for (size_t off = 0; off < 8; off += 3)
                    for (size_t pos = 0; pos < (n ? n : 1); pos++)
                        for (unsigned b = 0; b < 256; b += (n > 20 ? 5 : 1)) {
                            for (size_t i = 0; i < n; i++)
                                buf[off + i] = (char)('a' + i % 26);
                            if (n)
                                buf[off + pos] = (char)b;
                            bad += !one_field_ok(buf + off, n, delims[di], quotes[qi]);
                            runs++;
                        }
    CHECK_EQ_INT(bad, 0);
    CHECK(runs > 100000);
}

/* io_csvw_splice equals io_csvw_record on records split in place with some
 * values replaced: random plain fields (every byte but the specials), random
 * replacements (with delimiters, quotes, line breaks, empty), wide records,
 * every value empty, no quote character, a malformed field layout. */
static uint32_t sp_rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void test_splice(void)
{
    uint32_t x = 2463534242u;
    char raw[4096], pool[4096];
    io_slice fields[80], vals[80];
    int bad = 0, runs = 0;
    const char dialects[][2] = {{',', '"'}, {'\t', '"'}, {';', '\''}, {',', 0}};
    for (int iter = 0; iter < 60000; iter++) {
        char d = dialects[iter % 4][0];
        int q = dialects[iter % 4][1] ? dialects[iter % 4][1] : -1;
        size_t n = 1 + sp_rnd(&x) % (iter % 50 == 0 ? 75 : 8), len = 0, pl = 0;
        for (size_t i = 0; i < n; i++) {
            size_t fl = sp_rnd(&x) % 4 == 0 ? 0 : sp_rnd(&x) % 12;
            fields[i].p = raw + len;
            fields[i].n = fl;
            for (size_t k = 0; k < fl; k++) {
                char c;
                do
                    c = (char)(sp_rnd(&x) % 256);
                while (c == d || c == '\r' || c == '\n' || (q >= 0 && c == q));
                raw[len++] = c;
            }
            if (i + 1 < n)
                raw[len++] = d;
        }
        for (size_t i = 0; i < n; i++) {
            vals[i] = fields[i];
            if (sp_rnd(&x) % 3)
                continue;
            size_t vl = sp_rnd(&x) % 6;
            vals[i].p = pool + pl;
            vals[i].n = vl;
            static const char alphabet[] = "ab ,;\t\"'\r\nx";
            for (size_t k = 0; k < vl; k++)
                pool[pl++] = alphabet[sp_rnd(&x) % (sizeof alphabet - 1)];
        }
        const char *eol = iter % 3 == 0 ? "\r\n" : iter % 3 == 1 ? "\n" : "";
        core_buf a, b;
        core_buf_init(&a, 0);
        core_buf_init(&b, 0);
        core_buf_puts(&a, "pre");
        core_buf_puts(&b, "pre");
        assay_status sa = io_csvw_splice(&a, fields, vals, n, d, q, eol, strlen(eol));
        assay_status sb = io_csvw_record(&b, vals, n, d, q, eol, strlen(eol));
        if (sa != sb || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            bad++;
        runs++;
        core_buf_free(&a);
        core_buf_free(&b);
    }
    CHECK_MSG(bad == 0, "%d of %d spliced records differ", bad, runs);
    /* Every value empty: the first is quoted, as io_csvw_record does. */
    char e[] = ",,";
    io_slice ef[3] = {{e, 0}, {e + 1, 0}, {e + 2, 0}};
    core_buf a;
    core_buf_init(&a, 0);
    CHECK(io_csvw_splice(&a, ef, ef, 3, ',', '"', "\n", 1) == ASSAY_OK);
    CHECK_EQ_MEM(a.data, a.len, "\"\",,\n");
    /* Fields that are not one delimiter apart: the general writer. */
    char r2[] = "ab,,cd";
    io_slice f2[2] = {{r2, 2}, {r2 + 4, 2}};
    core_buf_clear(&a);
    CHECK(io_csvw_splice(&a, f2, f2, 2, ',', '"', "", 0) == ASSAY_OK);
    CHECK_EQ_MEM(a.data, a.len, "ab,cd");
    core_buf_free(&a);
}

int main(void)
{
    test_splice();
    test_quote_decision();
    test_minimal_quoting();
    test_empty_records();
    test_no_quoting();
    test_limit_keeps_buffer();
    test_many_fields();
    test_eol();
    test_round_trip();
    return t_done();
}
