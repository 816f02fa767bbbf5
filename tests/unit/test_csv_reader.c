/* tests/unit/test_csv_reader.c — the CSV reader on small inputs: record
 * boundaries, line counting, the two split paths, blank rows, headers and
 * BOMs, damaged spans, size limits and UTF-8 flags. Every input is read at
 * every block size from 1 byte up (csv_test_util.h), so each case also proves
 * chunk-split invariance and conservation. */
#include <stdio.h>
#include <unistd.h>

#include "csv_test_util.h"

static io_csv_opts opts(bool header)
{
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.header = header;
    return o;
}

static void test_boundaries(void)
{
    io_csv_opts o = opts(false);
    EXPECT_CSV(&o, "", "");
    EXPECT_CSV(&o, "a,b\n1,2\n", "O1:a|b ; O2:1|2");
    EXPECT_CSV(&o, "a,b\n1,2", "O1:a|b ; O2:1|2");
    EXPECT_CSV(&o, "a\n\n", "O1:a ; B2:");
    EXPECT_CSV(&o, "a\n\nb", "O1:a ; B2: ; O3:b");
    EXPECT_CSV(&o, "\n", "B1:");
    EXPECT_CSV(&o, "a,b\n,\n,,,\n", "O1:a|b ; B2:| ; B3:|||");
    EXPECT_CSV(&o, "a,b\n ,\n", "O1:a|b ; O2: |");
    /* CRLF, lone CR and LF each end one line, mixed freely. */
    EXPECT_CSV(&o, "a\r\nb\rc\nd\r", "O1:a ; O2:b ; O3:c ; O4:d");
    EXPECT_CSV(&o, "a\r\r\nb\n\r", "O1:a ; B2: ; O3:b ; B4:");
    EXPECT_CSV(&o, "a\r", "O1:a");
    EXPECT_CSV(&o, "\r\n\r\n", "B1: ; B2:");
}

static void test_quotes(void)
{
    io_csv_opts o = opts(false);
    EXPECT_CSV(&o, "\"a,b\",\"c\"\"d\"\n", "O1:a,b|c\"d");
    EXPECT_CSV(&o, "\"\",x,\"\"\n", "O1:|x|");
    /* Line breaks inside quotes count as lines, CRLF as one. */
    EXPECT_CSV(&o, "k,\"x\r\ny\"\nb,c\n", "O1/2:k|x\\r\\ny ; O3:b|c");
    EXPECT_CSV(&o, "k,\"x\ry\nz\"\r\nb,c\r\n", "O1/3:k|x\\ry\\nz ; O4:b|c");
    EXPECT_CSV(&o, "k,\"x\n\"", "O1/2:k|x\\n");
    /* No trimming: spaces and tabs around values are kept. */
    EXPECT_CSV(&o, " a ,\tb\t, \"\" \n", "M1");
    EXPECT_CSV(&o, " a ,\tb\t\n", "O1: a |\tb\t");
    /* A quote inside an unquoted field, text after a closing quote, a
     * space between a closing quote and the delimiter: strict rejects. */
    EXPECT_CSV(&o, "a,b\nx,y\"z\nc,d\n", "O1:a|b ; M2 ; O3:c|d");
    EXPECT_CSV(&o, "a,b\n\"x\"y,z\nc,d\n", "O1:a|b ; M2 ; O3:c|d");
    EXPECT_CSV(&o, "a,b\n\"x\" ,z\nc,d\n", "O1:a|b ; M2 ; O3:c|d");
    /* Ragged rows on one line are OK: the caller judges them. */
    EXPECT_CSV(&o, "a,b\n1\n1,2,3\n", "O1:a|b ; O2:1 ; O3:1|2|3");
    /* A record over several lines with the wrong field count is ragged too,
     * not damaged: a note with a line break in a short row stays one record. */
    EXPECT_CSV(&o, "a,b\n\"x\ny\"\nc,d\n", "O1:a|b ; O2/2:x\\ny ; O4:c|d");
    EXPECT_CSV(&o, "a,b\n\"x\ny\",1\nc,d\n", "O1:a|b ; O2/2:x\\ny|1 ; O4:c|d");
}

static void test_quote_flag_and_none(void)
{
    io_csv_opts o = opts(false);
    tlist l = t_read_all_blocks("a,\"b\"\nc,d\n", 10, &o);
    CHECK(l.n == 2 && l.v[0].r.quoted && !l.v[1].r.quoted);
    tlist_free(&l);
    o.quote = -1;
    EXPECT_CSV(&o, "\"a,b\",c\"\n\"x\n", "O1:\"a|b\"|c\" ; O2:\"x");
    o = opts(false);
    o.delimiter = '\t';
    EXPECT_CSV(&o, "a\tb,c\t\"d\te\"\n\t\n", "O1:a|b,c|d\te ; B2:|");
    o.quote = '\'';
    EXPECT_CSV(&o, "'a\t''b'\t\"c\n", "O1:a\t'b|\"c");
}

static void test_header_and_bom(void)
{
    io_csv_opts o = opts(true);
    const char *in = "\xEF\xBB\xBFid,name\n1,x\n";
    tlist l = t_read_all_blocks(in, strlen(in), &o);
    CHECK(l.n == 2 && l.v[0].r.is_header && !l.v[1].r.is_header);
    CHECK(l.n == 2 && l.v[0].r.raw_len == 11 && l.v[0].r.fields[0].n == 2);
    tlist_free(&l);
    /* The header's labels outlive the records. */
    io_mem_source m = { in, strlen(in), 0, 0 };
    io_csv_reader *r;
    CHECK(io_csv_reader_new(io_mem_read, &m, &o, &r) == ASSAY_OK);
    size_t n;
    CHECK(io_csv_header(r, &n) == NULL && n == 0);
    io_record rec;
    bool eof;
    assay_error err;
    while (io_csv_next(r, &rec, &eof, &err) == ASSAY_OK && !eof) {
    }
    const io_slice *h = io_csv_header(r, &n);
    CHECK(h && n == 2 && h[0].n == 2 && memcmp(h[0].p, "id", 2) == 0);
    CHECK(h && n == 2 && h[1].n == 4 && memcmp(h[1].p, "name", 4) == 0);
    const char *raw = io_csv_header_raw(r, &n);
    CHECK(raw && n == 11 && memcmp(raw, in, 11) == 0);
    io_csv_reader_free(r);
    /* A BOM before a quoted first label, and without a header. */
    EXPECT_CSV(&o, "\xEF\xBB\xBF\"id\",b\n1,2\n", "O1:id|b ; O2:1|2");
    o.header = false;
    EXPECT_CSV(&o, "\xEF\xBB\xBF" "1,2\n", "O1:1|2");
    EXPECT_CSV(&o, "\xEF\xBB\xBF", "B1:");
    EXPECT_CSV(&o, "\xEF\xBB", "O1:\xEF\xBB");
    EXPECT_CSV(&o, "x\xEF\xBB\xBF,1\n", "O1:x\xEF\xBB\xBF|1");
}

static void test_damaged_header(void)
{
    io_csv_opts o = opts(true);
    /* The first line is damaged: no labels; the expected count comes from
     * the lines where the reader resynchronises. */
    const char *in = "a,b\"c\n1,2\n3,4\n";
    tlist l = t_read_all_blocks(in, strlen(in), &o);
    char *s = t_render(&l);
    CHECK_MSG(strcmp(s, "M1 ; O2:1|2 ; O3:3|4") == 0, "got %s", s);
    CHECK(l.n == 3 && l.v[0].r.is_header && !l.v[1].r.is_header);
    free(s);
    tlist_free(&l);
    EXPECT_CSV(&o, "a,\"b\n1,2\n3,4\n5,6\n", "M1 ; O2:1|2 ; O3:3|4 ; O4:5|6");
}

static void test_unclosed(void)
{
    io_csv_opts o = opts(true);
    EXPECT_CSV(&o, "a,b\n1,2\n3,\"4\n5,6\n7,8\n",
               "O1:a|b ; O2:1|2 ; M3 ; O4:5|6 ; O5:7|8");
    EXPECT_CSV(&o, "a,b\n1,2\n3,\"4\n5,6", "O1:a|b ; O2:1|2 ; M3 ; O4:5|6");
    EXPECT_CSV(&o, "a,b\n1,2\n3,\"4", "O1:a|b ; O2:1|2 ; M3");
    EXPECT_CSV(&o, "a,b\n1,2\n3,\"4\r\n", "O1:a|b ; O2:1|2 ; M3");
    /* A line that parses but is followed by one that does not: no resync
     * until two good lines in a row. */
    EXPECT_CSV(&o, "a,b\n\"x\n1,2\ny\"z\n3,4\n5,6\n",
               "O1:a|b ; M2 ; M3 ; M4 ; O5:3|4 ; O6:5|6");
    /* The damage's reason travels with each line. */
    const char *in = "a,b\n3,\"4\n5,6\n";
    tlist l = t_read_all_blocks(in, strlen(in), &o);
    CHECK(l.n == 3 && l.v[1].r.detail &&
          strcmp(l.v[1].r.detail, "quote never closed before the end of input") == 0);
    tlist_free(&l);
}

static void test_limits(void)
{
    io_csv_opts o = opts(false);
    o.max_record_bytes = 12;
    o.max_field_bytes = 4;
    EXPECT_CSV(&o, "a,b\n12345,6\nc,d\n", "O1:a|b ; T2 ; O3:c|d");
    EXPECT_CSV(&o, "a,b\n\"12345\",6\nc,d\n", "O1:a|b ; T2 ; O3:c|d");
    EXPECT_CSV(&o, "a,b\n\"1\"\"23\",6\nc,d\n", "O1:a|b ; O2:1\"23|6 ; O3:c|d");
    EXPECT_CSV(&o, "a,b\n1234,1234\nc,d\n", "O1:a|b ; O2:1234|1234 ; O3:c|d");
    /* Content of exactly max_record_bytes fits; one more byte does not. */
    EXPECT_CSV(&o, "12,34,56,789\r\n", "O1:12|34|56|789");
    EXPECT_CSV(&o, "12,34,56,7890\r\nx\n", "T1+ ; T1 ; O2:x");
    /* Longer than the record limit: several pieces of one record. */
    EXPECT_CSV(&o, "a,b\n1,2,3,4,5,6,7,8,9,0,1,2,3,4,5\nc,d\n",
               "O1:a|b ; T2+ ; T2+ ; T2 ; O3:c|d");
    EXPECT_CSV(&o, "a,b\n1,2,3,4,\"5\n6\",7,8,9,0,1,2,3,4,5,6\nc,d\n",
               "O1:a|b ; T2/2+ ; T2/2+ ; T2/2 ; O4:c|d");
    /* A quote that stays open past the record limit is damage. */
    EXPECT_CSV(&o, "a,b\n\"1,2,3,4,5\n6,7\n", "O1:a|b ; M2 ; O3:6|7");
    EXPECT_CSV(&o, "a,b\n\"1\n2\n3\n4\n5\n6,7\nc,d\n",
               "O1:a|b ; M2 ; M3 ; M4 ; M5 ; M6 ; O7:6|7 ; O8:c|d");
    /* A damaged line longer than the limit comes in pieces too. */
    EXPECT_CSV(&o, "a,b\n1,\"2\n3,4,5,6,7,8,9,0,1\nc,d\n",
               "O1:a|b ; M2 ; M3+ ; M3 ; O4:c|d");
    /* An over-long record that opens a quote which never closes ends at
     * the next line after the limit, then the reader resynchronises. */
    EXPECT_CSV(&o, "a,b\n1,2,3,4,5,6,7,\"8\n9\n0\n1\n2\n3\n4\n5\n6\n7\n8\nc,d\ne,f\n",
               "O1:a|b ; T2+ ; T2/5+ ; T2/7 ; M9 ; M10 ; M11 ; M12 ; O13:c|d ; O14:e|f");
}

static void test_pieces_bytes(void)
{
    io_csv_opts o = opts(false);
    o.max_record_bytes = 5;
    /* Pieces never cut a UTF-8 sequence, so valid text stays valid. */
    const char *in = "\xC3\xA9\xC3\xA9\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80x\n";
    tlist l = t_read_all_blocks(in, strlen(in), &o);
    bool ok = l.n > 1;
    for (size_t i = 0; i < l.n; i++)
        ok = ok && l.v[i].r.kind == IO_REC_TOO_LARGE && !l.v[i].r.bad_utf8 &&
             l.v[i].r.raw_more == (i + 1 < l.n) && l.v[i].r.continued == (i > 0);
    CHECK(ok);
    tlist_free(&l);
}

static void test_utf8_flags(void)
{
    io_csv_opts o = opts(false);
    const char *in = "a,\xC3\xA9\nb,x\xFFy\nc,\xE2\x82\n";
    tlist l = t_read_all_blocks(in, strlen(in), &o);
    CHECK(l.n == 3);
    if (l.n == 3) {
        CHECK(!l.v[0].r.bad_utf8);
        CHECK(l.v[1].r.bad_utf8 && l.v[1].r.bad_utf8_at == 3);
        CHECK(l.v[2].r.bad_utf8 && l.v[2].r.bad_utf8_at == 2);
    }
    tlist_free(&l);
}

static void test_fd_source(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("h1,h2\r\n1,2\r\n", f);
    fflush(f);
    rewind(f);
    int fd = fileno(f);
    io_csv_opts o = opts(true);
    o.block_size = 3;
    io_csv_reader *r;
    CHECK(io_csv_reader_new(io_fd_read, &fd, &o, &r) == ASSAY_OK);
    io_record rec;
    bool eof;
    assay_error err;
    size_t n = 0;
    while (io_csv_next(r, &rec, &eof, &err) == ASSAY_OK && !eof)
        n++;
    CHECK(n == 2 && eof);
    io_csv_reader_free(r);
    fclose(f);
    /* A failing source is an I/O error. */
    int bad = -1;
    CHECK(io_csv_reader_new(io_fd_read, &bad, &o, &r) == ASSAY_OK);
    CHECK(io_csv_next(r, &rec, &eof, &err) == ASSAY_E_IO && err.status == ASSAY_E_IO);
    io_csv_reader_free(r);
}

static void test_bad_opts(void)
{
    io_csv_opts o = opts(false);
    io_mem_source m = { "", 0, 0, 0 };
    io_csv_reader *r;
    o.delimiter = '\n';
    CHECK(io_csv_reader_new(io_mem_read, &m, &o, &r) == ASSAY_E_USAGE && r == NULL);
    o = opts(false);
    o.quote = ',';
    CHECK(io_csv_reader_new(io_mem_read, &m, &o, &r) == ASSAY_E_USAGE);
    o.quote = 300;
    CHECK(io_csv_reader_new(io_mem_read, &m, &o, &r) == ASSAY_E_USAGE);
}

int main(void)
{
    test_boundaries();
    test_quotes();
    test_quote_flag_and_none();
    test_header_and_bom();
    test_damaged_header();
    test_unclosed();
    test_limits();
    test_pieces_bytes();
    test_utf8_flags();
    test_fd_source();
    test_bad_opts();
    return t_done();
}
