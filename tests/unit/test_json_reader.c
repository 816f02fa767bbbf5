/* tests/unit/test_json_reader.c — the JSON reader (NDJSON and arrays) on small
 * inputs: record boundaries, line numbers, blank lines, CRLF, BOMs, damage
 * (json_parse, not_object, too large, junk after the array), field texts for
 * every JSON kind, value spans, paths, extras and their cut spans.
 *
 * EXPECT_JSON reads an input at every block size from 1 byte up (and with a
 * source that gives one byte per read) and requires the same records with the
 * same raw bytes, offsets, lines, fields, spans and extras every time; it also
 * checks that every raw is the input's bytes at its offset, that records do
 * not overlap, that NDJSON raws add up to the input exactly, and that every
 * span lies within raw. Then it compares a short summary of the records:
 *
 *   <kind><line>[/<lines>][+][:field|field...]   joined by " ; "
 *
 * kind: O ok, B blank, P json_parse, N not_object, T too large; '+' when
 * raw_more, '!' when bad_utf8; a missing field (absent or null) is "~"; bytes below 0x20 are
 * written \xHH. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "io/json_reader.h"
#include "t.h"

typedef struct run_opts {
    bool array;
    const char *const *paths;
    size_t npaths;
    size_t max;
} run_opts;

static void put_esc(core_buf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20)
            core_buf_printf(b, "\\x%02X", c);
        else
            core_buf_putc(b, (char)c);
    }
}

static bool within(size_t off, size_t len, size_t raw_len)
{
    return off <= raw_len && len <= raw_len - off;
}

/* Everything about one record, for comparing runs. */
static void dump_record(core_buf *b, const io_record *rec)
{
    core_buf_printf(b, "k%d l%llu/%llu o%llu m%d c%d u%d t%d n%zu [", (int)rec->kind,
                    (unsigned long long)rec->line, (unsigned long long)rec->lines,
                    (unsigned long long)rec->offset, rec->raw_more, rec->continued,
                    rec->bad_utf8, rec->ctl_free, rec->nfields);
    put_esc(b, rec->raw, rec->raw_len);
    core_buf_printf(b, "] d=%s", rec->detail ? rec->detail : "-");
    for (size_t i = 0; i < rec->nfields; i++) {
        core_buf_puts(b, " f=");
        if (rec->fields[i].p)
            put_esc(b, rec->fields[i].p, rec->fields[i].n);
        else
            core_buf_puts(b, "(null)");
    }
    if (rec->doc) {
        for (size_t i = 0; i < rec->doc->nvals; i++) {
            const io_docval *v = &rec->doc->vals[i];
            core_buf_printf(b, " v%d/%zu@%zu+%zu", (int)v->kind, v->items, v->off, v->len);
        }
        for (size_t i = 0; i < rec->doc->nextra; i++) {
            const io_docextra *x = &rec->doc->extra[i];
            core_buf_printf(b, " x%zu+%zu@%zu+%zu=%zu+%zu", x->name_off, x->name_len,
                            x->off, x->len, x->val_off, x->val_len);
        }
    }
    core_buf_putc(b, '\n');
}

static void summary_record(core_buf *b, const io_record *rec)
{
    static const char kinds[] = "OBMTPNXE";
    if (b->len)
        core_buf_puts(b, " ; ");
    core_buf_printf(b, "%c%llu", kinds[rec->kind], (unsigned long long)rec->line);
    if (rec->lines != 1)
        core_buf_printf(b, "/%llu", (unsigned long long)rec->lines);
    if (rec->raw_more)
        core_buf_putc(b, '+');
    if (rec->bad_utf8)
        core_buf_putc(b, '!');
    for (size_t i = 0; i < rec->nfields; i++) {
        core_buf_putc(b, i ? '|' : ':');
        if (rec->fields[i].p)
            put_esc(b, rec->fields[i].p, rec->fields[i].n);
        else
            core_buf_putc(b, '~');
    }
}

/* Reads in[0..n) with the block size and source chunk given; fills dump and
 * summary; checks the invariants that hold for one run. */
static void run(const run_opts *ro, const char *in, size_t n, size_t block, size_t chunk,
                bool defer, core_buf *dump, core_buf *sum)
{
    io_mem_source m = { in, n, 0, chunk };
    io_json_opts o = { ro->array, ro->paths, ro->npaths, ro->max, block, defer };
    io_json_reader *r;
    CHECK(io_json_reader_new(io_mem_read, &m, &o, &r) == ASSAY_OK);
    /* defer: NDJSON lines come unparsed and a separate parser judges them,
     * as the parallel engine's workers do; the records must be the same. */
    io_json_parser *jp = NULL;
    if (defer)
        CHECK(io_json_parser_new(ro->paths, ro->npaths, &jp) == ASSAY_OK);
    size_t off = 0;
    bool ok = true;
    for (int guard = 0; guard < 100000; guard++) {
        io_record rec;
        bool eof;
        assay_error err;
        if (io_json_next(r, &rec, &eof, &err) != ASSAY_OK) {
            ok = false;
            break;
        }
        if (eof)
            break;
        if (rec.kind == IO_REC_DEFERRED && (!jp || io_json_parse_line(jp, &rec, &err))) {
            ok = false;
            break;
        }
        dump_record(dump, &rec);
        summary_record(sum, &rec);
        if (rec.raw_len == 0 || rec.offset < off || rec.offset + rec.raw_len > n ||
            memcmp(in + rec.offset, rec.raw, rec.raw_len) != 0)
            ok = false;
        if (!ro->array && rec.offset != off)
            ok = false; /* NDJSON: the raws are the input */
        off = rec.offset + rec.raw_len;
        if ((rec.kind == IO_REC_OK) != (rec.doc != NULL))
            ok = false;
        if (rec.kind == IO_REC_OK && rec.nfields != ro->npaths)
            ok = false;
        if (rec.doc) {
            for (size_t i = 0; i < rec.doc->nvals; i++)
                if (rec.doc->vals[i].kind != IO_V_ABSENT &&
                    !within(rec.doc->vals[i].off, rec.doc->vals[i].len, rec.raw_len))
                    ok = false;
            for (size_t i = 0; i < rec.doc->nextra; i++) {
                const io_docextra *x = &rec.doc->extra[i];
                if (!within(x->off, x->len, rec.raw_len) ||
                    !within(x->name_off, x->name_len, rec.raw_len) ||
                    !within(x->val_off, x->val_len, rec.raw_len))
                    ok = false;
            }
        }
    }
    if (!ro->array && off != n)
        ok = false;
    CHECK_MSG(ok, "invariants broken at block %zu chunk %zu defer %d", block, chunk, defer);
    io_json_reader_free(r);
    io_json_parser_free(jp);
}

static void expect(const run_opts *ro, const char *in, size_t n, const char *want,
                   const char *file, int line)
{
    core_buf ref, refsum;
    core_buf_init(&ref, 0);
    core_buf_init(&refsum, 0);
    run(ro, in, n, n + 64, 0, false, &ref, &refsum);
    core_buf_nul(&ref);
    core_buf_nul(&refsum);
    bool same = true;
    for (size_t block = 1; block <= n + 2 && same; block++) {
        for (size_t chunk = 0; chunk <= 3; chunk++) {
            bool defer = chunk >= 2; /* chunks 0 and 1, lines deferred */
            if (defer && ro->array)
                break;
            core_buf d, s;
            core_buf_init(&d, 0);
            core_buf_init(&s, 0);
            run(ro, in, n, block, chunk & 1, defer, &d, &s);
            core_buf_nul(&d);
            if (strcmp(d.data, ref.data) != 0) {
                fprintf(stderr, "%s:%d: block %zu chunk %zu defer %d differs:\n%s---\n%s",
                        file, line, block, chunk & 1, defer, d.data, ref.data);
                same = false;
            }
            core_buf_free(&d);
            core_buf_free(&s);
        }
    }
    CHECK(same);
    if (strcmp(refsum.data, want) != 0) {
        t_fail++;
        fprintf(stderr, "%s:%d: got  \"%s\"\n%*swant \"%s\"\n", file, line, refsum.data,
                (int)strlen(file) + 4, "", want);
    } else
        t_pass++;
    core_buf_free(&ref);
    core_buf_free(&refsum);
}

#define EXPECT_JSON(ro, in, want) expect((ro), (in), sizeof(in) - 1, (want), __FILE__, __LINE__)

/* Reading one input in one go, for detailed checks on live records. */
typedef struct reader {
    io_mem_source m;
    io_json_reader *r;
    io_record rec;
} reader;

static void open_reader(reader *rd, const run_opts *ro, const char *in, size_t n)
{
    rd->m = (io_mem_source){ in, n, 0, 0 };
    io_json_opts o = { ro->array, ro->paths, ro->npaths, ro->max, 0, false };
    CHECK(io_json_reader_new(io_mem_read, &rd->m, &o, &rd->r) == ASSAY_OK);
}

/* The next record; false at the end. */
static bool next(reader *rd)
{
    bool eof = true;
    assay_error err;
    CHECK(io_json_next(rd->r, &rd->rec, &eof, &err) == ASSAY_OK);
    return !eof;
}

static const char *const P_AB[] = { "a", "b" };

/* ---- NDJSON ------------------------------------------------------------------ */

static void test_ndjson_lines(void)
{
    run_opts o = { false, P_AB, 2, 0 };
    EXPECT_JSON(&o, "", "");
    EXPECT_JSON(&o, "{\"a\":1,\"b\":\"x\"}\n", "O1:1|x");
    EXPECT_JSON(&o, "{\"a\":1}\n{\"b\":2}", "O1:1|~ ; O2:~|2");
    EXPECT_JSON(&o, "{\"a\":1}\r\n\r\n  \t\n{\"a\":2}\r\n", "O1:1|~ ; B2 ; B3 ; O4:2|~");
    EXPECT_JSON(&o, "\n\n", "B1 ; B2");
    EXPECT_JSON(&o, "   ", "B1");
    /* A CR alone is JSON whitespace, not a line end. */
    EXPECT_JSON(&o, "{\"a\":1}\r{\"a\":2}\n", "P1");
    /* A BOM stays in raw; spans are offsets into raw. */
    EXPECT_JSON(&o, "\xEF\xBB\xBF{\"a\":1}\n{\"a\":2}\n", "O1:1|~ ; O2:2|~");
    EXPECT_JSON(&o, "\xEF\xBB\xBF\n{\"a\":2}\n", "B1 ; O2:2|~");
    EXPECT_JSON(&o, "{\"a\":1}\n\xEF\xBB\xBF{\"a\":2}\n", "O1:1|~ ; P2");

    reader rd;
    const char in[] = "\xEF\xBB\xBF{\"a\": 10, \"b\":\"x\"}\r\n";
    open_reader(&rd, &o, in, sizeof in - 1);
    CHECK(next(&rd));
    CHECK_EQ_INT(rd.rec.kind, IO_REC_OK);
    CHECK_EQ_INT(rd.rec.raw_len, sizeof in - 1);
    CHECK_EQ_INT(rd.rec.doc->vals[0].off, 9);
    CHECK_EQ_MEM(rd.rec.raw + rd.rec.doc->vals[0].off, rd.rec.doc->vals[0].len, "10");
    CHECK_EQ_MEM(rd.rec.raw + rd.rec.doc->vals[1].off, rd.rec.doc->vals[1].len, "\"x\"");
    CHECK(!rd.rec.bad_utf8 && !rd.rec.quoted && rd.rec.ctl_free);
    CHECK(!next(&rd));
    io_json_reader_free(rd.r);
}

static void test_ndjson_damage(void)
{
    run_opts o = { false, P_AB, 2, 0 };
    EXPECT_JSON(&o, "{\"a\":1}\n{bad\n{\"a\":3}", "O1:1|~ ; P2 ; O3:3|~");
    /* Duplicated keys, at the top and nested. */
    EXPECT_JSON(&o, "{\"a\":1,\"a\":2}\n{\"x\":{\"y\":1,\"y\":2}}\n{\"x\":[{\"y\":1,\"y\":1}]}\n",
                "P1 ; P2 ; P3");
    /* Values that are not objects. */
    EXPECT_JSON(&o, "[1]\n\"s\"\n42\ntrue\nnull\n", "N1 ; N2 ; N3 ; N4 ; N5");
    /* Invalid UTF-8 is jansson's json_parse, not an encoding flag. */
    EXPECT_JSON(&o, "{\"a\":\"\xFF\"}\n", "P1");

    reader rd;
    const char in[] = "{\"a\":1}\n\n{\"a\":}\n[1,2]\n\"s\"\n{\"a\":\"\xC3\"}\n";
    open_reader(&rd, &o, in, sizeof in - 1);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_BLANK && rd.rec.nfields == 0);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_JSON_PARSE);
    CHECK_MSG(strncmp(rd.rec.detail, "line 3, column 6: ", 18) == 0, "%s", rd.rec.detail);
    CHECK(rd.rec.doc == NULL && rd.rec.nfields == 0);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_NOT_OBJECT);
    CHECK_MSG(strcmp(rd.rec.detail, "a JSON array where a record object was expected") == 0,
              "%s", rd.rec.detail);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_NOT_OBJECT);
    CHECK(strstr(rd.rec.detail, "a JSON string") == rd.rec.detail);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_JSON_PARSE && !rd.rec.bad_utf8);
    CHECK_MSG(strstr(rd.rec.detail, "line 6, column") == rd.rec.detail, "%s",
              rd.rec.detail);
    CHECK(!next(&rd));
    io_json_reader_free(rd.r);
}

static void test_ndjson_too_large(void)
{
    run_opts o = { false, P_AB, 2, 8 };
    /* Exactly at the limit (line end not counted), then over it. */
    EXPECT_JSON(&o, "{\"a\":12}\n{\"a\":1}\r\n", "O1:12|~ ; O2:1|~");
    EXPECT_JSON(&o, "{\"a\":123}\r\n{\"a\":1}\r\n", "T1+ ; T1 ; O2:1|~");
    EXPECT_JSON(&o, "{\"a\":1234}\n{\"a\":1}\n", "T1+ ; T1 ; O2:1|~");
    EXPECT_JSON(&o, "{\"a\":\"0123456789abcdefghij\"}\r\n{\"a\":1}",
                "T1+ ; T1+ ; T1+ ; T1 ; O2:1|~");
    EXPECT_JSON(&o, "{\"a\":\"0123456789\"}", "T1+ ; T1+ ; T1");
    /* A piece never splits a UTF-8 sequence. */
    EXPECT_JSON(&o, "{\"a\":\"x\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"}\n", "T1+ ; T1+ ; T1");
    EXPECT_JSON(&o, "{\"a\":\"x\xC3\xA9\xFF\"}\n", "T1+ ; T1!");

    reader rd;
    const char in[] = "{\"a\":\"0123456789abcdefghij\"}\r\n{\"a\":1}";
    open_reader(&rd, &o, in, sizeof in - 1);
    core_buf all;
    core_buf_init(&all, 0);
    int pieces = 0;
    while (next(&rd) && rd.rec.kind == IO_REC_TOO_LARGE) {
        CHECK(rd.rec.continued == (pieces > 0));
        CHECK(rd.rec.raw_len <= 8 || !rd.rec.raw_more);
        CHECK(rd.rec.detail != NULL);
        core_buf_append(&all, rd.rec.raw, rd.rec.raw_len);
        pieces++;
    }
    CHECK_EQ_INT(pieces, 4);
    CHECK_EQ_MEM(all.data, all.len, "{\"a\":\"0123456789abcdefghij\"}\r\n");
    CHECK(rd.rec.kind == IO_REC_OK && rd.rec.line == 2 && rd.rec.offset == all.len);
    core_buf_free(&all);
    io_json_reader_free(rd.r);
}

/* ---- field texts ------------------------------------------------------------------ */

static void test_numbers(void)
{
    static const char *const p[] = { "big", "dec", "exp", "neg", "t", "f", "n", "z" };
    run_opts o = { false, p, 8, 0 };
    EXPECT_JSON(&o,
                "{\"big\":123456789012345678901234567890,\"dec\":1.10,\"exp\":-0.5E+10,"
                "\"neg\":-0,\"t\":true,\"f\":false,\"n\":null,\"z\":0}\n",
                "O1:123456789012345678901234567890|1.10|-0.5E+10|-0|true|false|~|0");

    reader rd;
    const char in[] = "{\"big\": 123456789012345678901234567890 , \"n\":null}";
    open_reader(&rd, &o, in, sizeof in - 1);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK);
    const io_docval *v = rd.rec.doc->vals;
    CHECK_EQ_INT(v[0].kind, IO_V_NUMBER);
    CHECK_EQ_MEM(rd.rec.raw + v[0].off, v[0].len, "123456789012345678901234567890");
    CHECK_EQ_INT(v[6].kind, IO_V_NULL);
    CHECK_EQ_MEM(rd.rec.raw + v[6].off, v[6].len, "null");
    CHECK_EQ_INT(v[1].kind, IO_V_ABSENT);
    CHECK(rd.rec.fields[6].p == NULL && rd.rec.fields[1].p == NULL);
    io_json_reader_free(rd.r);
}

static void test_strings(void)
{
    static const char *const p[] = { "nl", "e", "pair", "nul", "plain", "empty", "ctl" };
    run_opts o = { false, p, 7, 0 };
    EXPECT_JSON(&o,
                "{\"nl\":\"a\\nb\",\"e\":\"caf\\u00e9\",\"pair\":\"\\ud83d\\ude00!\","
                "\"nul\":\"x\\u0000y\",\"plain\":\"caf\xC3\xA9\",\"empty\":\"\","
                "\"ctl\":\"\\\"q\\\\ \\/\"}\n",
                "O1:a\\x0Ab|caf\xC3\xA9|\xF0\x9F\x98\x80!|x\\x00y|caf\xC3\xA9||\"q\\ /");

    reader rd;
    const char in[] = "{\"nl\":\"a\\nb\",\"e\":\"\\u00e9\",\"empty\":\"\"}\n"
                      "{\"nul\":\"x\\u0000y\"}\n"
                      "{\"ctl\":\"\\u0001\"}\n"
                      "{\"plain\":\"\x7F\"}\n"
                      "{\"plain\":\"\xC2\x85\",\"e\":\"\\t\\r\"}\n"
                      "{\"x\":\"\\u0001\"}\n";
    open_reader(&rd, &o, in, sizeof in - 1);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK);
    CHECK(rd.rec.ctl_free); /* LF is not a control character here */
    CHECK(rd.rec.fields[5].p != NULL && rd.rec.fields[5].n == 0);
    CHECK(rd.rec.doc->vals[0].kind == IO_V_STRING);
    CHECK_EQ_MEM(rd.rec.raw + rd.rec.doc->vals[0].off, rd.rec.doc->vals[0].len,
                 "\"a\\nb\"");
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK && !rd.rec.ctl_free);
    CHECK(rd.rec.fields[3].n == 3 && memcmp(rd.rec.fields[3].p, "x\0y", 3) == 0);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK && !rd.rec.ctl_free);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK && !rd.rec.ctl_free);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK && !rd.rec.ctl_free);
    /* A control character in a member no path names does not count. */
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK && rd.rec.ctl_free);
    CHECK(!next(&rd));
    io_json_reader_free(rd.r);
}

/* ---- paths ---------------------------------------------------------------------- */

static void test_paths(void)
{
    static const char *const p[] = {
        "c.d.e", "items[1].sku", "arr[2]", "nope", "num.x", "arr[9]", "items[0]",
        "c.d", "arr", "c.nope.e", "s[0]", "m[1][0]", "c.n.x", "items[1].sku.x",
    };
    run_opts o = { false, p, 14, 0 };
    EXPECT_JSON(&o,
                "{\"c\":{\"a\":[1,{\"e\":0}],\"d\":{\"e\":\"deep\"},\"n\":null},"
                "\"items\":[{\"sku\":\"A\"},{\"q\":1, \"sku\":\"B\"}],\"arr\":[10, 20 ,30],"
                "\"num\":5,\"s\":\"str\",\"m\":[[1],[2,3]]}\n",
                "O1:deep|B|30|~|~|~|{\"sku\":\"A\"}|{\"e\":\"deep\"}|[10, 20 ,30]|~|~|2|~|~");

    reader rd;
    const char in[] = "{\"c\":{\"d\":{\"e\":\"deep\"}},\"items\":[{\"sku\":\"A\"},{\"sku\":\"B\"}],"
                      "\"arr\":[10, 20 ,30]}";
    open_reader(&rd, &o, in, sizeof in - 1);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK);
    const io_docval *v = rd.rec.doc->vals;
    CHECK_EQ_INT(rd.rec.doc->nvals, 14);
    CHECK_EQ_MEM(rd.rec.raw + v[0].off, v[0].len, "\"deep\"");
    CHECK_EQ_MEM(rd.rec.raw + v[1].off, v[1].len, "\"B\"");
    CHECK_EQ_MEM(rd.rec.raw + v[2].off, v[2].len, "30");
    CHECK_EQ_INT(v[3].kind, IO_V_ABSENT);
    CHECK_EQ_INT(v[6].kind, IO_V_OBJECT);
    CHECK_EQ_INT(v[6].items, 1);
    CHECK_EQ_INT(v[8].kind, IO_V_ARRAY);
    CHECK_EQ_INT(v[8].items, 3);
    CHECK_EQ_MEM(rd.rec.raw + v[8].off, v[8].len, "[10, 20 ,30]");
    CHECK_EQ_INT(rd.rec.doc->nextra, 0);
    io_json_reader_free(rd.r);
}

static void test_literal_keys(void)
{
    static const char *const p[] = { "a.b", "key", "q\"k", "x[0]" };
    run_opts o = { false, p, 4, 0 };
    /* A key spelt like a path wins over the dotted reading. */
    EXPECT_JSON(&o, "{\"a\":{\"b\":2},\"a.b\":1}\n{\"a\":{\"b\":2}}\n", "O1:1|~|~|~ ; O2:2|~|~|~");
    /* Escaped keys match their decoded names. */
    EXPECT_JSON(&o, "{\"k\\u0065y\":1,\"q\\\"k\":2,\"x[0]\":3,\"x\":[4]}\n", "O1:~|1|2|3");
    EXPECT_JSON(&o, "{\"a\":{\"\\u0062\":7},\"x\":[4]}\n", "O1:7|~|~|4");
}

/* ---- extras ---------------------------------------------------------------------- */

/* Cuts [off, off+len) of each span out of raw (spans may touch or overlap),
 * parses the rest and checks its keys. */
static void check_cut(const io_record *rec, const size_t *which, size_t nw, const char *keys)
{
    char *keep = calloc(rec->raw_len + 1, 1), *out = malloc(rec->raw_len + 1);
    CHECK(keep && out);
    if (!keep || !out) {
        free(keep);
        free(out);
        return;
    }
    for (size_t k = 0; k < nw; k++) {
        const io_docextra *x = &rec->doc->extra[which[k]];
        memset(keep + x->off, 1, x->len);
    }
    size_t n = 0;
    for (size_t i = 0; i < rec->raw_len; i++)
        if (!keep[i])
            out[n++] = rec->raw[i];
    json_error_t je;
    json_t *j = json_loadb(out, n, 0, &je);
    CHECK_MSG(j != NULL, "cut leaves \"%.*s\": %s", (int)n, out, je.text);
    if (j) {
        char got[256] = "";
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) {
            if (got[0])
                strncat(got, ",", sizeof got - strlen(got) - 1);
            strncat(got, k, sizeof got - strlen(got) - 1);
        }
        CHECK_MSG(strcmp(got, keys) == 0, "keys \"%s\", want \"%s\" (\"%.*s\")", got, keys,
                  (int)n, out);
        json_decref(j);
    }
    free(keep);
    free(out);
}

static void test_extras(void)
{
    static const char *const p[] = { "a", "b.c", "c" };
    run_opts o = { false, p, 3, 0 };
    const char in[] = "{\"x\":1, \"a\":1 , \"y\" : [1,{\"z\":2}],\"b\":{\"c\":2},\"c\":3,"
                      "\"w\\n\":\"q\" }\n"
                      "{\"x\":1}\n"
                      "{\"a\":1,\"x\":2}\n"
                      "{\"x\":1,\"y\":2}\n"
                      "{}\n";
    EXPECT_JSON(&o, in, "O1:1|2|3 ; O2:~|~|~ ; O3:1|~|~ ; O4:~|~|~ ; O5:~|~|~");
    reader rd;
    open_reader(&rd, &o, in, sizeof in - 1);

    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK);
    const io_doc *d = rd.rec.doc;
    CHECK_EQ_INT(d->nextra, 3);
    if (d->nextra == 3) {
        const io_docextra *x = d->extra;
        CHECK_EQ_MEM(rd.rec.raw + x[0].name_off, x[0].name_len, "x");
        CHECK_EQ_MEM(rd.rec.raw + x[0].off, x[0].len, "\"x\":1,");
        CHECK_EQ_MEM(rd.rec.raw + x[1].name_off, x[1].name_len, "y");
        CHECK_EQ_MEM(rd.rec.raw + x[1].off, x[1].len, "\"y\" : [1,{\"z\":2}],");
        CHECK_EQ_MEM(rd.rec.raw + x[1].val_off, x[1].val_len, "[1,{\"z\":2}]");
        CHECK_EQ_MEM(rd.rec.raw + x[2].name_off, x[2].name_len, "w\\n");
        CHECK_EQ_MEM(rd.rec.raw + x[2].off, x[2].len, ",\"w\\n\":\"q\"");
        size_t w0 = 0, w1 = 1, w2 = 2, all[] = { 0, 1, 2 }, two[] = { 1, 2 };
        check_cut(&rd.rec, &w0, 1, "a,y,b,c,w\n");
        check_cut(&rd.rec, &w1, 1, "x,a,b,c,w\n");
        check_cut(&rd.rec, &w2, 1, "x,a,y,b,c");
        check_cut(&rd.rec, all, 3, "a,b,c");
        check_cut(&rd.rec, two, 2, "x,a,b,c");
    }
    size_t w0 = 0, both[] = { 0, 1 };
    CHECK(next(&rd) && rd.rec.doc->nextra == 1);
    check_cut(&rd.rec, &w0, 1, "");
    CHECK(next(&rd) && rd.rec.doc->nextra == 1);
    CHECK_EQ_MEM(rd.rec.raw + rd.rec.doc->extra[0].off, rd.rec.doc->extra[0].len, ",\"x\":2");
    check_cut(&rd.rec, &w0, 1, "a");
    CHECK(next(&rd) && rd.rec.doc->nextra == 2);
    check_cut(&rd.rec, both, 2, "");
    check_cut(&rd.rec, &w0, 1, "y");
    CHECK(next(&rd) && rd.rec.doc->nextra == 0);
    CHECK(!next(&rd));
    io_json_reader_free(rd.r);
}

/* ---- arrays --------------------------------------------------------------------- */

/* The raws of all records, joined. */
static void raws(const run_opts *o, const char *in, size_t n, core_buf *out)
{
    reader rd;
    open_reader(&rd, o, in, n);
    while (next(&rd))
        core_buf_append(out, rd.rec.raw, rd.rec.raw_len);
    core_buf_nul(out);
    io_json_reader_free(rd.r);
}

static void test_array(void)
{
    run_opts o = { true, P_AB, 2, 0 };
    EXPECT_JSON(&o, "", "");
    EXPECT_JSON(&o, " \n\t", "");
    EXPECT_JSON(&o, "[]", "");
    EXPECT_JSON(&o, "\xEF\xBB\xBF [ ] \n", "");
    EXPECT_JSON(&o, "[{\"a\":1},{\"b\":2}]", "O1:1|~ ; O1:~|2");
    EXPECT_JSON(&o, "[\n  {\"a\":1},\n  {\"a\":\n 2}\n,{\"b\":\"x,]\\\"}\"}\n]\n",
                "O2:1|~ ; O3/2:2|~ ; O5:~|x,]\"}");
    EXPECT_JSON(&o, "\xEF\xBB\xBF[{\"a\":1}]", "O1:1|~");
    /* Not objects, duplicated keys, damage inside an element. */
    EXPECT_JSON(&o, "[1, \"s\", [1,2], null, {\"a\":1,\"a\":2}, {\"a\" 1}, {\"a\":1}]",
                "N1 ; N1 ; N1 ; N1 ; P1 ; P1 ; O1:1|~");
    /* Empty elements are skipped; two values without a comma are one. */
    EXPECT_JSON(&o, "[,{\"a\":1},,{\"a\":2},]", "O1:1|~ ; O1:2|~");
    EXPECT_JSON(&o, "[{\"a\":1} {\"a\":2}]", "P1");
    /* A missing ']' at the end: the last element is still a record. */
    EXPECT_JSON(&o, "[{\"a\":1},\n{\"a\":2}\n", "O1:1|~ ; O2:2|~");
    EXPECT_JSON(&o, "[{\"a\":1},\n{\"a\":2", "O1:1|~ ; P2");
    /* An unterminated string runs to the end of the input. */
    EXPECT_JSON(&o, "[{\"a\":1},{\"a\":\"open, ]}\n", "O1:1|~ ; P1");
    /* Junk after the array is one json_parse record. */
    EXPECT_JSON(&o, "[{\"a\":1}]  x\ny \n", "O1:1|~ ; P1/2");
    EXPECT_JSON(&o, "[{\"a\":1}]\n\n", "O1:1|~");
    EXPECT_JSON(&o, "[{\"a\":1}]]", "O1:1|~ ; P1");
    /* One object instead of an array is one record; other documents are
     * one json_parse record. */
    EXPECT_JSON(&o, "\n {\"a\":1}\n", "O2:1|~");
    EXPECT_JSON(&o, "{\"a\":[1,{\"b\":2}]}{\"a\":2}", "O1:[1,{\"b\":2}]|~ ; P1");
    EXPECT_JSON(&o, "{\"a\":1", "P1");
    EXPECT_JSON(&o, "  42 ", "P1");
    EXPECT_JSON(&o, "\"x\"", "P1");

    reader rd;
    const char in[] = "[\n {\"a\":1} ,\n  {\"a\":\n}, \"\xC3\xA9\xC3\xA9\", {\"b\":2}] junk";
    open_reader(&rd, &o, in, sizeof in - 1);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK);
    CHECK_EQ_MEM(rd.rec.raw, rd.rec.raw_len, "{\"a\":1}");
    CHECK_EQ_INT(rd.rec.offset, 3);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_JSON_PARSE && rd.rec.line == 3);
    /* The error is at the '}' on line 4, column 1. */
    CHECK_MSG(strncmp(rd.rec.detail, "line 4, column 1: ", 18) == 0, "%s", rd.rec.detail);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_NOT_OBJECT);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_JSON_PARSE);
    CHECK_EQ_MEM(rd.rec.raw, rd.rec.raw_len, "junk");
    /* Columns count characters: the junk starts after two two-byte ones. */
    CHECK_MSG(strcmp(rd.rec.detail,
                     "line 4, column 19: text after the end of the JSON array") == 0,
              "%s", rd.rec.detail);
    CHECK(!next(&rd));
    io_json_reader_free(rd.r);

    /* An error on the element's first line: its column is absolute. */
    const char in2[] = "[{\"a\":1},  {\"a\":tru}]";
    open_reader(&rd, &o, in2, sizeof in2 - 1);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_JSON_PARSE);
    CHECK_MSG(strncmp(rd.rec.detail, "line 1, column 19: ", 19) == 0, "%s", rd.rec.detail);
    io_json_reader_free(rd.r);

    /* The raws are the input without the array's framing. */
    core_buf b;
    core_buf_init(&b, 0);
    const char in3[] = "\xEF\xBB\xBF[ {\"a\":1} , [2,3],\"x\"\n,{\"b\":{}}]";
    raws(&o, in3, sizeof in3 - 1, &b);
    CHECK_EQ_MEM(b.data, b.len, "{\"a\":1}[2,3]\"x\"{\"b\":{}}");
    core_buf_free(&b);
}

static void test_array_too_large(void)
{
    run_opts o = { true, P_AB, 2, 10 };
    EXPECT_JSON(&o, "[{\"a\":1234},{\"a\":12345}, {\"a\":1}]",
                "O1:1234|~ ; T1+ ; T1 ; O1:1|~");
    EXPECT_JSON(&o, "[{\"a\":\"0123456789abcdefghij\"}\n,\n{\"a\":1}]",
                "T1+ ; T1+ ; T1 ; O3:1|~");
    /* An open string swallows the rest, in pieces. */
    EXPECT_JSON(&o, "[{\"a\":1},{\"a\":\"01234567, {\"a\":2}]\n", "O1:1|~ ; T1+ ; T1+ ; T1");
    /* Junk after the array over the limit comes in pieces too. */
    EXPECT_JSON(&o, "[{\"a\":1}] 0123456789abcdef", "O1:1|~ ; P1+ ; P1");
    EXPECT_JSON(&o, "{\"a\":\"0123456789\"}", "T1+ ; T1");

    core_buf b;
    core_buf_init(&b, 0);
    const char in[] = "[{\"a\":\"0123456789abcdefghij\"} , {\"a\":1}]";
    raws(&o, in, sizeof in - 1, &b);
    /* The piece before a separator keeps the whitespace before it. */
    CHECK_EQ_MEM(b.data, b.len, "{\"a\":\"0123456789abcdefghij\"} {\"a\":1}");
    core_buf_free(&b);
}

/* Paths in plan order can name anything; the reader copes with none. */
static void test_no_paths(void)
{
    run_opts o = { false, NULL, 0, 0 };
    EXPECT_JSON(&o, "{\"a\":1,\"b\":[1]}\n", "O1");
    reader rd;
    const char in[] = "{\"a\":1,\"b\":[1]}";
    open_reader(&rd, &o, in, sizeof in - 1);
    CHECK(next(&rd) && rd.rec.kind == IO_REC_OK && rd.rec.doc->nextra == 2);
    io_json_reader_free(rd.r);
}

/* A read error is ASSAY_E_IO with the reason. */
static ptrdiff_t failing_read(void *ctx, char *buf, size_t cap)
{
    (void)ctx;
    (void)buf;
    (void)cap;
    errno = EIO;
    return -1;
}

static void test_read_error(void)
{
    io_json_opts o = { false, P_AB, 2, 0, 0, false };
    io_json_reader *r;
    CHECK(io_json_reader_new(failing_read, NULL, &o, &r) == ASSAY_OK);
    io_record rec;
    bool eof = false;
    assay_error err;
    CHECK(io_json_next(r, &rec, &eof, &err) == ASSAY_E_IO);
    CHECK(strstr(err.message, "read error") != NULL);
    io_json_reader_free(r);
}

int main(void)
{
    test_ndjson_lines();
    test_ndjson_damage();
    test_ndjson_too_large();
    test_numbers();
    test_strings();
    test_paths();
    test_literal_keys();
    test_extras();
    test_array();
    test_array_too_large();
    test_no_paths();
    test_read_error();
    return t_done();
}
