/* tests/unit/test_decode_reader.c — encoded CSV read through the decoder and
 * the CSV reader, at every block size from 1 byte up: the records equal those
 * of the same text in UTF-8, every record's source span is its source bytes,
 * undecodable bytes flag their record (bad_utf8, rule encoding) without
 * moving a record boundary or a line number. */
#include "test_decode_util.h"

static io_csv_opts opts(bool header)
{
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.header = header;
    return o;
}

static const char TEXT[] = "name,city,price\r\nJos\xC3\xA9,M\xC3\xBCnchen,\xE2\x82\xAC 5\r\n"
                           "M\xC3\xBCller,\"K\xC3\xB6ln, \"\"Dom\"\"\",12\r\n"
                           "Zo\xC3\xAB,\"multi\nline\",0\n\nlast,x,1";

/* The same CSV in one encoding, with or without its BOM. */
static void roundtrip(const char *enc, const char *declared, const char *bom, size_t bom_n,
                      const char *text, const char *want_name, io_decided_by want_by)
{
    io_csv_opts o = opts(true);
    size_t n;
    char *src = t_enc(enc, bom, bom_n, text, &n);
    /* The reader sees the text in UTF-8, behind a UTF-8 BOM when the source
     * had a BOM. */
    size_t wn = strlen(text) + (bom_n ? 3 : 0);
    char *want = t_xmalloc(wn);
    memcpy(want, "\xEF\xBB\xBF", bom_n ? 3 : 0);
    memcpy(want + (bom_n ? 3 : 0), text, strlen(text));
    io_decoding d = t_decode_all(src, n, declared, want, wn, &o);
    CHECK_MSG(!strcmp(d.name, want_name), "%s: name %s, want %s", enc, d.name, want_name);
    CHECK_MSG(d.decided_by == want_by, "%s: decided by %s", enc,
              io_decided_by_name(d.decided_by));
    CHECK_EQ_INT(d.bom_len, bom_n);
    CHECK(!d.utf8);
    free(src);
    free(want);
}

static void test_encodings(void)
{
    roundtrip("windows-1252", "windows-1252", "", 0, TEXT, "windows-1252",
              IO_DECIDED_DECLARED);
    roundtrip("UTF-16LE", "auto", "\xFF\xFE", 2, TEXT, "UTF-16LE", IO_DECIDED_BOM);
    roundtrip("UTF-16BE", "auto", "\xFE\xFF", 2, TEXT, "UTF-16BE", IO_DECIDED_BOM);
    roundtrip("UTF-16BE", "UTF-16BE", "", 0, TEXT, "UTF-16BE", IO_DECIDED_DECLARED);
    roundtrip("UTF-16BE", "utf-16", "", 0, TEXT, "UTF-16BE", IO_DECIDED_DECLARED);
    roundtrip("UTF-16LE", "UTF-16", "\xFF\xFE", 2, TEXT, "UTF-16LE", IO_DECIDED_DECLARED);
    roundtrip("UTF-32LE", "auto", "\xFF\xFE\0\0", 4, TEXT, "UTF-32LE", IO_DECIDED_BOM);
    roundtrip("UTF-32BE", "UTF-32", "\0\0\xFE\xFF", 4, TEXT, "UTF-32BE",
              IO_DECIDED_DECLARED);
    roundtrip("ISO-8859-15", "latin-9", "", 0, TEXT, "ISO-8859-15", IO_DECIDED_DECLARED);
    static const char JA[] = "id,\xE5\x90\x8D\xE5\x89\x8D\n1,\xE5\xB1\xB1\xE7\x94\xB0\n"
                             "2,\"\xEF\xBD\xB6\xEF\xBE\x80,\xE3\x81\x8B\"\r\n3,\xE3\x83\xBC\n";
    roundtrip("Shift_JIS", "Shift_JIS", "", 0, JA, "Shift_JIS", IO_DECIDED_DECLARED);
    roundtrip("EUC-JP", "EUC-JP", "", 0, JA, "EUC-JP", IO_DECIDED_DECLARED);
    roundtrip("GB18030", "GB18030", "", 0, JA, "GB18030", IO_DECIDED_DECLARED);
    roundtrip("UTF-16LE", "auto", "\xFF\xFE", 2, JA, "UTF-16LE", IO_DECIDED_BOM);
    /* GB18030 four-byte sequences and a supplementary character. */
    static const char ZH[] = "k,v\n1,\xF0\x9F\x98\x80\xE2\x82\xAC\xC3\xA9\n2,\xE4\xB8\xAD\n";
    roundtrip("GB18030", "gb18030", "", 0, ZH, "GB18030", IO_DECIDED_DECLARED);
    roundtrip("UTF-16BE", "auto", "\xFE\xFF", 2, ZH, "UTF-16BE", IO_DECIDED_BOM);
    static const char RU[] = "\xD0\xB8\xD0\xBC\xD1\x8F,x\n\xD0\x98\xD0\xB2\xD0\xB0\xD0\xBD,1\n";
    roundtrip("KOI8-R", "KOI8-R", "", 0, RU, "KOI8-R", IO_DECIDED_DECLARED);
    static const char TW[] = "a,b\n\xE4\xB8\xAD\xE6\x96\x87,1\n";
    roundtrip("Big5", "Big5", "", 0, TW, "Big5", IO_DECIDED_DECLARED);
    static const char PL[] = "a,b\n\xC5\x81\xC3\xB3\xC5\xBA,1\n";
    roundtrip("ISO-8859-2", "ISO-8859-2", "", 0, PL, "ISO-8859-2", IO_DECIDED_DECLARED);
}

/* An undecodable sequence is one mark; returns the decoded reading at the
 * largest block after checking all block sizes against `want`. */
static tdec marked(const char *src, size_t n, const char *enc, const char *want,
                   const io_csv_opts *o)
{
    t_decode_all(src, n, enc, want, strlen(want), o);
    return t_decode(src, n, enc, o, n + 64, true);
}

static void test_invalid_sequences(void)
{
    io_csv_opts o = opts(false);
    /* windows-1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined. */
    static const char W[] = "a,b\nx\x81y,1\n\x8D\x8F,\x90\x9D\nok,\xE9\n";
    tdec t = marked(W, sizeof W - 1, "windows-1252",
                    "a,b\nx\xFFy,1\n\xFF\xFF,\xFF\xFF\nok,\xC3\xA9\n", &o);
    CHECK_EQ_INT(t.invalid, 5);
    CHECK(t.l.n == 4 && !t.l.v[0].r.bad_utf8 && t.l.v[1].r.bad_utf8 &&
          t.l.v[1].r.bad_utf8_at == 1 && t.l.v[2].r.bad_utf8 && !t.l.v[3].r.bad_utf8);
    CHECK(t.l.n == 4 && t.l.v[3].r.line == 4);
    tlist_free(&t.l);

    /* A Shift_JIS lead byte before a line break: the break stays a break. */
    static const char S[] = "a\n\x82\nb\x81\r\nc,\x82";
    t = marked(S, sizeof S - 1, "Shift_JIS", "a\n\xFF\nb\xFF\r\nc,\xFF", &o);
    CHECK_EQ_INT(t.invalid, 3);
    CHECK(t.l.n == 4 && t.l.v[3].r.line == 4 && t.l.v[3].r.bad_utf8);
    tlist_free(&t.l);

    /* UTF-16LE lone surrogates (high then 'x', low alone, high at the end),
     * a valid pair, and a low surrogate whose low byte is LF. */
    static const char U[] = "a\0,\0\x00\xD8x\0\n\0\x0A\xDC\n\0"
                            "\x3D\xD8\x00\xDE\n\0\x00\xD8";
    t = marked(U, sizeof U - 1, "UTF-16LE", "a,\xFFx\n\xFF\n\xF0\x9F\x98\x80\n\xFF", &o);
    CHECK_EQ_INT(t.invalid, 3);
    CHECK(t.l.n == 4 && t.l.v[1].r.line == 2 && t.l.v[1].r.bad_utf8 &&
          t.l.v[3].r.line == 4 && !t.l.v[2].r.bad_utf8);
    tlist_free(&t.l);

    /* UTF-32 code points past U+10FFFF, and a truncated last unit. */
    static const char V[] = "\0\0\0a\0\x11\0\0\0\0\0\n\0\0\0b\0\0";
    t = marked(V, sizeof V - 1, "UTF-32BE", "a\xFF\nb\xFF", &o);
    CHECK_EQ_INT(t.invalid, 2);
    tlist_free(&t.l);
}

/* A mark's source bytes: the span of its one converted byte. */
static void test_mark_span(void)
{
    static const char W[] = "id\n1,x\x81y\n";
    io_mem_source m = { W, sizeof W - 1, 0, 0 };
    io_decode *d;
    assay_error err;
    CHECK(io_decode_new(io_mem_read, &m, "windows-1252", &d, &err) == ASSAY_OK);
    char buf[64];
    ptrdiff_t got = io_decode_read(d, buf, sizeof buf);
    CHECK_EQ_MEM(buf, (size_t)got, "id\n1,x\xFFy\n");
    io_span sp;
    CHECK(io_decode_source_span(d, 6, 1, &sp) == ASSAY_OK && sp.offset == 6 && sp.len == 1 &&
          (unsigned char)sp.bytes[0] == 0x81);
    io_decode_release(d, 3);
    CHECK(io_decode_source_span(d, 0, 3, &sp) != ASSAY_OK);
    CHECK(io_decode_source_span(d, 3, 6, &sp) == ASSAY_OK && sp.len == 6 &&
          memcmp(sp.bytes, "1,x\x81y\n", 6) == 0);
    CHECK(io_decode_source_span(d, 3, 99, &sp) != ASSAY_OK);
    CHECK(io_decode_read(d, buf, sizeof buf) == 0);
    io_decode_free(d);
}

/* Text the engine adds to a quarantine goes out in the source's encoding. */
static void test_to_source(void)
{
    static const struct { const char *in, *enc, *want; size_t want_n; } c[] = {
        { "id\n", "windows-1252", "Jos\xE9 \x80;", 7 },
        { "\xFF\xFEi\0", "auto", "J\0o\0s\0\xE9\0 \0\xAC ;\0", 14 },
        { "id\n", "auto", "Jos\xC3\xA9 \xE2\x82\xAC;", 10 },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        io_mem_source m = { c[i].in, strlen(c[i].in) + (i == 1) * 2, 0, 0 };
        io_decode *d;
        assay_error err;
        CHECK(io_decode_new(io_mem_read, &m, c[i].enc, &d, &err) == ASSAY_OK);
        core_buf b;
        core_buf_init(&b, 0);
        CHECK(io_decode_to_source(d, "Jos\xC3\xA9 \xE2\x82\xAC;", 10, &b) == ASSAY_OK);
        CHECK_MSG(b.len == c[i].want_n && memcmp(b.data, c[i].want, b.len) == 0, "%s: %zu bytes",
                  c[i].enc, b.len);
        core_buf_free(&b);
        io_decode_free(d);
    }
}

/* Records over max_record_bytes come in pieces: the pieces' spans still add
 * up, even when a cut falls inside a character's converted bytes. */
static void test_pieces(void)
{
    io_csv_opts o = opts(true);
    o.max_record_bytes = 5;
    o.max_field_bytes = 3;
    static const char JA[] = "id,v\n1,\xE5\xB1\xB1\xE7\x94\xB0\xE5\xB1\xB1\xE7\x94\xB0\n"
                             "\"\xE3\x81\x8B\xE3\x81\x8B\xE3\x81\x8B\n";
    size_t n;
    char *src = t_enc("Shift_JIS", "", 0, JA, &n);
    t_decode_all(src, n, "Shift_JIS", JA, strlen(JA), &o);
    free(src);
    src = t_enc("UTF-16BE", "\xFE\xFF", 2, JA, &n);
    size_t wn = strlen(JA) + 3;
    char *want = t_xmalloc(wn);
    memcpy(want, "\xEF\xBB\xBF", 3);
    memcpy(want + 3, JA, wn - 3);
    t_decode_all(src, n, "auto", want, wn, &o);
    free(src);
    free(want);
}

/* A large windows-1252 input with a release after every record: the window
 * stays near the reader's own buffer (0.4 MB for this 5 MB input), whatever
 * the input's size. */
static void test_bounded(void)
{
    size_t rows = 200000;
    char *text = t_xmalloc(rows * 40 + 64), *p = text;
    p += sprintf(p, "id,name,note\n");
    for (size_t i = 0; i < rows; i++)
        p += sprintf(p, "%zu,Jos\xC3\xA9 M\xC3\xBCller,%s\n", i,
                     i % 3 ? "\xE2\x82\xAC" : "plain ascii text");
    size_t n;
    char *src = t_icu("windows-1252", "UTF-8", text, (size_t)(p - text), &n);
    io_csv_opts o = opts(true);
    o.block_size = 0;
    tdec t = t_decode(src, n, "auto", &o, 1 << 20, true);
    CHECK_EQ_INT(t.l.n, rows + 1);
    CHECK(t.spans_ok && t.text_ok);
    CHECK_MSG(!strcmp(t.info.name, "windows-1252") && t.info.decided_by == IO_DECIDED_DETECTED,
              "%s by %s", t.info.name, io_decided_by_name(t.info.decided_by));
    CHECK_MSG(t.max_window < ((size_t)2 << 20) && n > ((size_t)4 << 20),
              "window %zu for %zu bytes", t.max_window, n);
    tlist_free(&t.l);
    free(src);
    free(text);
}

int main(void)
{
    test_encodings();
    test_invalid_sequences();
    test_mark_span();
    test_to_source();
    test_pieces();
    test_bounded();
    return t_done();
}
