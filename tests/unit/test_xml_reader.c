/* tests/unit/test_xml_reader.c — the streaming XML record reader: records,
 * fields and spans, head and tail, damage and resynchronisation, entities
 * (billion laughs, XXE, an external DTD), limits, extras, and the same
 * results at every block size. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/xml_reader.h"
#include "t.h"

/* ---- reading a whole document into copies --------------------------------- */

typedef struct xrec {
    io_rec_kind kind;
    char *raw;
    size_t raw_len;
    uint64_t line, lines, offset;
    bool more, cont, ctl_free, bad_utf8;
    char *detail;
    size_t nf;
    char **f;     /* NULL: missing */
    size_t *fn;
    io_docval *v; /* NULL unless the record had a doc */
    size_t nx;
    io_docextra *x;
} xrec;

typedef struct xrun {
    xrec *r;
    size_t n;
    char *head, *tail;
    size_t hn, tn;
    bool matched, has;
    assay_status st;
    char err[1024];
} xrun;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static char *dup_mem(const char *p, size_t n)
{
    char *d = xmalloc(n + 1);
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static bool has_sub(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m && i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* Checks what must hold for every record: raw is the input at offset, every
 * span lies within raw, a zero-copy value equals its span. */
static void check_record(const io_record *rec, const char *doc, size_t len)
{
    CHECK(rec->raw_len > 0);
    CHECK(rec->offset + rec->raw_len <= len);
    if (rec->offset + rec->raw_len <= len)
        CHECK(memcmp(doc + rec->offset, rec->raw, rec->raw_len) == 0);
    CHECK(rec->line >= 1 && rec->lines >= 1);
    if (rec->kind != IO_REC_OK) {
        CHECK(rec->detail != NULL && rec->doc == NULL);
        return;
    }
    CHECK(rec->doc != NULL);
    if (!rec->doc)
        return;
    const io_doc *d = rec->doc;
    CHECK(d->nvals == rec->nfields);
    for (size_t i = 0; i < d->nvals; i++) {
        const io_docval *v = &d->vals[i];
        CHECK(v->off + v->len <= rec->raw_len);
        CHECK((rec->fields[i].p == NULL) ==
              (v->kind == IO_V_ABSENT || v->kind == IO_V_NULL));
        if (v->kind == IO_V_OBJECT)
            CHECK(rec->fields[i].p == rec->raw + v->off && rec->fields[i].n == v->len);
    }
    for (size_t i = 0; i < d->nextra; i++) {
        const io_docextra *x = &d->extra[i];
        CHECK(x->off + x->len <= rec->raw_len);
        CHECK(x->name_off >= x->off && x->name_off + x->name_len <= x->off + x->len);
        CHECK(x->val_off >= x->off && x->val_off + x->val_len <= x->off + x->len);
    }
}

static xrun run_ex(const char *doc, size_t len, const char *rpath, const char *const *paths,
                   size_t np, size_t block, size_t limit)
{
    xrun out;
    memset(&out, 0, sizeof out);
    io_mem_source m = { doc, len, 0, block };
    io_xml_opts o = { rpath, paths, np, limit, block };
    io_xml_reader *r;
    out.st = io_xml_reader_new(io_mem_read, &m, &o, &r);
    if (out.st)
        return out;
    size_t cap = 0, last_end = 0;
    for (;;) {
        io_record rec;
        bool eof;
        assay_error err;
        out.st = io_xml_next(r, &rec, &eof, &err);
        if (out.st) {
            snprintf(out.err, sizeof out.err, "%s", err.message);
            break;
        }
        if (eof)
            break;
        check_record(&rec, doc, len);
        CHECK(rec.offset >= last_end);
        last_end = rec.offset + rec.raw_len;
        if (out.n == cap) {
            cap = cap ? 2 * cap : 8;
            xrec *v = realloc(out.r, cap * sizeof *v);
            if (!v)
                exit(2);
            out.r = v;
        }
        xrec *x = &out.r[out.n++];
        memset(x, 0, sizeof *x);
        x->kind = rec.kind;
        x->raw = dup_mem(rec.raw, rec.raw_len);
        x->raw_len = rec.raw_len;
        x->line = rec.line;
        x->lines = rec.lines;
        x->offset = rec.offset;
        x->more = rec.raw_more;
        x->cont = rec.continued;
        x->ctl_free = rec.ctl_free;
        x->bad_utf8 = rec.bad_utf8;
        x->detail = rec.detail ? dup_mem(rec.detail, strlen(rec.detail)) : NULL;
        if (rec.kind == IO_REC_OK) {
            x->nf = rec.nfields;
            x->f = xmalloc(x->nf * sizeof *x->f);
            x->fn = xmalloc(x->nf * sizeof *x->fn);
            x->v = xmalloc(x->nf * sizeof *x->v);
            for (size_t i = 0; i < x->nf; i++) {
                x->f[i] = rec.fields[i].p ? dup_mem(rec.fields[i].p, rec.fields[i].n) : NULL;
                x->fn[i] = rec.fields[i].n;
                x->v[i] = rec.doc->vals[i];
            }
            x->nx = rec.doc->nextra;
            x->x = xmalloc(x->nx * sizeof *x->x);
            if (x->nx)
                memcpy(x->x, rec.doc->extra, x->nx * sizeof *x->x);
        }
    }
    if (!out.st) {
        const char *h = io_xml_head(r, &out.hn);
        out.head = dup_mem(h, out.hn);
        const char *t = io_xml_tail(r, &out.tn);
        out.tail = dup_mem(t, out.tn);
        out.matched = io_xml_matched(r);
        out.has = io_xml_has_elements(r);
        /* head and tail frame the records: the input's first and last bytes */
        CHECK(out.hn <= len && memcmp(doc, out.head, out.hn) == 0);
        CHECK(out.tn <= len && memcmp(doc + len - out.tn, out.tail, out.tn) == 0);
        if (out.n) {
            CHECK_EQ_INT(out.r[0].offset, out.hn);
            CHECK_EQ_INT(last_end + out.tn, len);
        } else
            CHECK(out.hn == len && out.tn == 0);
    }
    io_xml_reader_free(r);
    return out;
}

static xrun run(const char *doc, const char *rpath, const char *const *paths, size_t np,
                size_t block)
{
    return run_ex(doc, strlen(doc), rpath, paths, np, block, 0);
}

static void run_free(xrun *x)
{
    for (size_t i = 0; i < x->n; i++) {
        xrec *r = &x->r[i];
        free(r->raw);
        free(r->detail);
        for (size_t k = 0; k < r->nf; k++)
            free(r->f[k]);
        free(r->f);
        free(r->fn);
        free(r->v);
        free(r->x);
    }
    free(x->r);
    free(x->head);
    free(x->tail);
    memset(x, 0, sizeof *x);
}

static bool same_run(const xrun *a, const xrun *b)
{
    if (a->st != b->st || a->n != b->n || a->hn != b->hn || a->tn != b->tn ||
        a->matched != b->matched || a->has != b->has)
        return false;
    if (a->st)
        return true;
    if (memcmp(a->head, b->head, a->hn) || memcmp(a->tail, b->tail, a->tn))
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const xrec *x = &a->r[i], *y = &b->r[i];
        if (x->kind != y->kind || x->raw_len != y->raw_len || memcmp(x->raw, y->raw, x->raw_len) ||
            x->line != y->line || x->lines != y->lines || x->offset != y->offset ||
            x->more != y->more || x->cont != y->cont || x->ctl_free != y->ctl_free ||
            x->nf != y->nf || x->nx != y->nx)
            return false;
        if ((x->detail == NULL) != (y->detail == NULL) ||
            (x->detail && strcmp(x->detail, y->detail)))
            return false;
        for (size_t k = 0; k < x->nf; k++) {
            if ((x->f[k] == NULL) != (y->f[k] == NULL) || x->fn[k] != y->fn[k] ||
                (x->f[k] && memcmp(x->f[k], y->f[k], x->fn[k])) ||
                memcmp(&x->v[k], &y->v[k], sizeof x->v[k]))
                return false;
        }
        if (x->nx && memcmp(x->x, y->x, x->nx * sizeof *x->x))
            return false;
    }
    return true;
}

/* The same records at every block size from 1 byte to past the input. */
static void check_blocks(const char *doc, const char *rpath, const char *const *paths,
                         size_t np, size_t limit)
{
    size_t len = strlen(doc);
    xrun ref = run_ex(doc, len, rpath, paths, np, 0, limit);
    for (size_t b = 1; b <= len + 1; b++) {
        xrun x = run_ex(doc, len, rpath, paths, np, b, limit);
        CHECK_MSG(same_run(&ref, &x), "block size %zu differs (%zu records vs %zu)", b, x.n,
                  ref.n);
        run_free(&x);
    }
    run_free(&ref);
}

#define FIELD_IS(rec, k, s) CHECK_EQ_MEM((rec)->f[k] ? (rec)->f[k] : "(null)", \
                                         (rec)->f[k] ? (rec)->fn[k] : 6, s)

/* ---- the tests -------------------------------------------------------------- */

static const char *ORDERS =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- orders > here <order> -->\n"
    "<!DOCTYPE orders [ <!ENTITY x \"<order>no</order>\"> <!-- ' ] > --> <?pi ] > ?> ]>\n"
    "<orders>\n"
    "  <order id=\"1\" note='a>b'><sku>A-1</sku><qty>2</qty>"
    "<cust><name>Ann &amp; Bo</name><zip code=\"z&lt;1\"/></cust></order>\n"
    "  <order id=\"2\"><sku><![CDATA[<B>&x;]]></sku><qty></qty><?pi <x>?><!-- </order> --></order>\n"
    "  <other><order>not a record</order></other>\n"
    "  <order id=\"3\"><sku>C&#x41;&#66;</sku><qty/><extra>e</extra></order>\n"
    "</orders>\n"
    "<!-- trailing -->\n";

static const char *const ORDER_PATHS[] = { "sku", "qty", "@id", "cust.name", "cust.zip.@code",
                                           "cust", "missing", "@note" };

static void test_basic(void)
{
    xrun x = run(ORDERS, "/orders/order", ORDER_PATHS, 8, 0);
    CHECK_EQ_INT(x.st, ASSAY_OK);
    CHECK_EQ_INT(x.n, 3);
    CHECK(x.matched && x.has);
    if (x.n != 3)
        goto out;
    const xrec *a = &x.r[0], *b = &x.r[1], *c = &x.r[2];
    CHECK_EQ_INT(a->kind, IO_REC_OK);
    CHECK_EQ_INT(a->line, 5);
    CHECK_EQ_INT(a->lines, 1);
    FIELD_IS(a, 0, "A-1");
    FIELD_IS(a, 1, "2");
    FIELD_IS(a, 2, "1");
    FIELD_IS(a, 3, "Ann & Bo");
    FIELD_IS(a, 4, "z<1");
    FIELD_IS(a, 5, "<name>Ann &amp; Bo</name><zip code=\"z&lt;1\"/>");
    CHECK_EQ_INT(a->v[5].kind, IO_V_OBJECT);
    CHECK_EQ_INT(a->v[5].items, 2);
    CHECK(a->f[6] == NULL && a->v[6].kind == IO_V_ABSENT);
    FIELD_IS(a, 7, "a>b");
    CHECK_EQ_INT(a->v[0].kind, IO_V_STRING);
    /* spans: element content between its tags, attribute value in its quotes */
    CHECK_EQ_MEM(a->raw + a->v[0].off, a->v[0].len, "A-1");
    CHECK_EQ_MEM(a->raw + a->v[2].off, a->v[2].len, "1");
    CHECK_EQ_MEM(a->raw + a->v[3].off, a->v[3].len, "Ann &amp; Bo");
    CHECK_EQ_MEM(a->raw + a->v[4].off, a->v[4].len, "z&lt;1");
    CHECK_EQ_MEM(a->raw + a->v[7].off, a->v[7].len, "a>b");
    CHECK(a->ctl_free);

    CHECK_EQ_INT(b->kind, IO_REC_OK);
    CHECK_EQ_INT(b->line, 6);
    FIELD_IS(b, 0, "<B>&x;"); /* CDATA as is: no entity there */
    CHECK(b->f[1] == NULL && b->v[1].kind == IO_V_NULL);
    CHECK(b->v[5].kind == IO_V_ABSENT);
    CHECK_EQ_INT(c->line, 8);
    FIELD_IS(c, 0, "CAB");
    CHECK(c->f[1] == NULL && c->v[1].kind == IO_V_NULL && c->v[1].len == 0);
    CHECK(c->raw[c->v[1].off] == '/' && c->raw[c->v[1].off + 1] == '>');
    CHECK_EQ_INT(c->nx, 1);
    if (c->nx == 1)
        CHECK_EQ_MEM(c->raw + c->x[0].off, c->x[0].len, "<extra>e</extra>");
    /* head: everything before the first record; tail: after the last */
    const char *first = strstr(ORDERS, "<order id=\"1\"");
    CHECK_EQ_INT(x.hn, (size_t)(first - ORDERS));
    CHECK_EQ_MEM(x.tail, x.tn, "\n</orders>\n<!-- trailing -->\n");
out:
    run_free(&x);
    check_blocks(ORDERS, "/orders/order", ORDER_PATHS, 8, 0);
}

static void test_namespaces(void)
{
    const char *doc =
        "<pg:orders xmlns:pg=\"urn:pg\" xmlns=\"urn:d\">\n"
        " <pg:order pg:id=\"7\"><pg:sku>X</pg:sku><note>n</note></pg:order>\n"
        " <pg:order pg:id=\"8\" xmlns:q=\"urn:q\"><q:sku>Y</q:sku></pg:order>\n"
        " <pg:order><zz:sku>bad</zz:sku></pg:order>\n"
        " <pg:group xmlns:pg=\"urn:other\"><pg:order>deeper</pg:order></pg:group>\n"
        "</pg:orders>\n";
    const char *const paths[] = { "pg:sku", "@pg:id", "note", "q:sku" };
    xrun x = run(doc, "/pg:orders/pg:order", paths, 4, 0);
    CHECK_EQ_INT(x.n, 3);
    if (x.n == 3) {
        CHECK_EQ_INT(x.r[0].kind, IO_REC_OK);
        FIELD_IS(&x.r[0], 0, "X");
        FIELD_IS(&x.r[0], 1, "7");
        FIELD_IS(&x.r[0], 2, "n");
        CHECK_EQ_INT(x.r[1].kind, IO_REC_OK);
        FIELD_IS(&x.r[1], 3, "Y");
        CHECK_EQ_INT(x.r[1].nx, 0); /* xmlns:q is not an extra */
        CHECK_EQ_INT(x.r[2].kind, IO_REC_XML); /* prefix zz is bound nowhere */
        CHECK_MSG(x.r[2].detail && strstr(x.r[2].detail, "line 4, column "),
                  "detail: %s", x.r[2].detail);
    }
    run_free(&x);
    check_blocks(doc, "/pg:orders/pg:order", paths, 4, 0);
    /* the prefix is part of the name: /orders/order matches nothing here */
    x = run(doc, "/orders/order", paths, 4, 0);
    CHECK(!x.matched && x.has && x.n == 0);
    run_free(&x);
}

static void test_malformed_middle(void)
{
    const char *doc = "<orders>\n"
                      "<order><a>1</a></order>\n"
                      "<order><a>2</b>\n"
                      "</order>\n"
                      "<order id=\"x><a>3</a></order>\n"
                      "<order><a>4 & 5</a></order>\n"
                      "<order><a>6</a></order>\n"
                      "</orders>\n";
    const char *const paths[] = { "a" };
    xrun x = run(doc, "/orders/order", paths, 1, 0);
    CHECK_EQ_INT(x.n, 5);
    if (x.n == 5) {
        CHECK_EQ_INT(x.r[0].kind, IO_REC_OK);
        CHECK_EQ_INT(x.r[1].kind, IO_REC_XML);
        CHECK_EQ_INT(x.r[1].line, 3);
        CHECK_EQ_INT(x.r[1].lines, 2);
        CHECK_MSG(strstr(x.r[1].detail, "line 3, column 16: Opening and ending tag mismatch: "
                                        "a line 3 and b") != NULL,
                  "detail: %s", x.r[1].detail);
        CHECK_EQ_INT(x.r[2].kind, IO_REC_XML); /* a quote that never closes in its tag */
        CHECK_EQ_INT(x.r[2].line, 5);
        CHECK_EQ_MEM(x.r[2].raw, x.r[2].raw_len, "<order id=\"x><a>3</a></order>");
        CHECK_EQ_INT(x.r[3].kind, IO_REC_XML);
        CHECK_EQ_INT(x.r[3].line, 6);
        CHECK_EQ_INT(x.r[4].kind, IO_REC_OK);
        CHECK_EQ_INT(x.r[4].line, 7);
        FIELD_IS(&x.r[4], 0, "6");
    }
    CHECK_EQ_MEM(x.tail, x.tn, "\n</orders>\n");
    run_free(&x);
    check_blocks(doc, "/orders/order", paths, 1, 0);

    /* an end tag that closes the record's parent cuts the record before it */
    const char *cut = "<orders><order><a>1</a></order><order><a>2</orders>\n<!-- t -->";
    x = run(cut, "/orders/order", paths, 1, 0);
    CHECK_EQ_INT(x.n, 2);
    if (x.n == 2) {
        CHECK_EQ_INT(x.r[1].kind, IO_REC_XML);
        CHECK_EQ_MEM(x.r[1].raw, x.r[1].raw_len, "<order><a>2");
        CHECK_MSG(strstr(x.r[1].detail, "is not closed") != NULL, "detail: %s", x.r[1].detail);
    }
    CHECK_EQ_MEM(x.tail, x.tn, "</orders>\n<!-- t -->");
    run_free(&x);
    check_blocks(cut, "/orders/order", paths, 1, 0);
}

static void test_broken_structure(void)
{
    const char *const paths[] = { "a" };
    /* the end tag never comes: the record runs to the end of the input */
    const char *doc = "<orders>\n<order><a>1</a></order>\n<order><a>2</a>\n"
                      "<order><a>3</a></order>\n<!-- c -->\n";
    xrun x = run(doc, "/orders/order", paths, 1, 0);
    CHECK_EQ_INT(x.n, 2);
    if (x.n == 2) {
        CHECK_EQ_INT(x.r[0].kind, IO_REC_OK);
        CHECK_EQ_INT(x.r[1].kind, IO_REC_XML);
        CHECK_EQ_INT(x.r[1].line, 3);
        CHECK_EQ_INT(x.r[1].lines, 3);
        CHECK_EQ_MEM(x.r[1].raw, x.r[1].raw_len,
                     "<order><a>2</a>\n<order><a>3</a></order>\n<!-- c -->\n");
        CHECK_MSG(strstr(x.r[1].detail, "line 3, column 1: the input ends before the record "
                                        "element <order> is closed") != NULL,
                  "detail: %s", x.r[1].detail);
    }
    CHECK_EQ_INT(x.tn, 0);
    run_free(&x);
    check_blocks(doc, "/orders/order", paths, 1, 0);

    const char *com = "<orders><order><!-- never closed </order><order/></orders>";
    x = run(com, "/orders/order", paths, 1, 0);
    CHECK_EQ_INT(x.n, 1);
    if (x.n == 1) {
        CHECK_EQ_INT(x.r[0].kind, IO_REC_XML);
        CHECK(strstr(x.r[0].detail, "inside a comment") != NULL);
    }
    run_free(&x);
    check_blocks(com, "/orders/order", paths, 1, 0);
    /* the same, over the limit: in pieces */
    x = run_ex(com, strlen(com), "/orders/order", paths, 1, 0, 16);
    CHECK_EQ_INT(x.n, 4);
    for (size_t i = 0; i < x.n; i++) {
        CHECK_EQ_INT(x.r[i].kind, IO_REC_TOO_LARGE);
        CHECK(x.r[i].more == (i + 1 < x.n) && x.r[i].cont == (i > 0));
    }
    run_free(&x);
    check_blocks(com, "/orders/order", paths, 1, 16);
}

static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = xmalloc(4096);
    size_t n = fread(b, 1, 4095, f);
    fclose(f);
    while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
        n--;
    b[n] = '\0';
    return b;
}

static void test_entities(void)
{
    const char *const paths[] = { "a", "@b" };
    /* billion laughs: declared in the DOCTYPE, never expanded */
    const char *lol =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<lolz>\n<r><a>fine &lt;&gt;&amp;&quot;&apos;&#65;&#x42;</a></r>\n"
        "<r><a>&lol9;</a></r>\n<r b=\"&lol9;\"><a>x</a></r>\n</lolz>\n";
    clock_t t0 = clock();
    xrun x = run(lol, "/lolz/r", paths, 2, 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK_MSG(secs < 1.0, "billion laughs took %.2f s", secs);
    CHECK_EQ_INT(x.n, 3);
    if (x.n == 3) {
        CHECK_EQ_INT(x.r[0].kind, IO_REC_OK);
        FIELD_IS(&x.r[0], 0, "fine <>&\"'AB");
        CHECK_EQ_INT(x.r[1].kind, IO_REC_XML_ENTITY);
        CHECK_MSG(strstr(x.r[1].detail, "line 16, column 13: the entity &lol9;") != NULL,
                  "detail: %s", x.r[1].detail);
        CHECK_EQ_INT(x.r[2].kind, IO_REC_XML_ENTITY);
        CHECK(strstr(x.r[2].detail, "&lol9;") != NULL);
        for (size_t i = 0; i < x.n; i++)
            CHECK(!has_sub(x.r[i].detail ? x.r[i].detail : "", x.r[i].detail ? strlen(x.r[i].detail) : 0,
                           "lollol"));
    }
    run_free(&x);

    /* XXE: an external entity naming a local file is never read */
    char *host = read_small_file("/etc/hostname");
    const char *xxe =
        "<!DOCTYPE r [ <!ENTITY xxe SYSTEM \"file:///etc/hostname\"> ]>\n"
        "<rs><r><a>&xxe;</a></r><r b=\"&xxe;\"><a>1</a></r><r><a>ok</a></r></rs>";
    x = run(xxe, "/rs/r", paths, 2, 0);
    CHECK_EQ_INT(x.n, 3);
    if (x.n == 3) {
        CHECK_EQ_INT(x.r[0].kind, IO_REC_XML_ENTITY);
        CHECK(strstr(x.r[0].detail, "&xxe;") != NULL);
        CHECK_EQ_INT(x.r[1].kind, IO_REC_XML_ENTITY);
        CHECK_EQ_INT(x.r[2].kind, IO_REC_OK);
        FIELD_IS(&x.r[2], 0, "ok");
    }
    if (host && strlen(host) >= 4)
        for (size_t i = 0; i < x.n; i++) {
            const xrec *r = &x.r[i];
            if (r->detail)
                CHECK(!has_sub(r->detail, strlen(r->detail), host));
            for (size_t k = 0; k < r->nf; k++)
                if (r->f[k])
                    CHECK(!has_sub(r->f[k], r->fn[k], host));
        }
    free(host);
    run_free(&x);

    /* an external DTD is never fetched; its entities are unknown */
    const char *ext = "<!DOCTYPE rs SYSTEM \"http://127.0.0.1:9/never.dtd\">\n"
                      "<rs><r><a>1</a></r><r><a>&ext;</a></r></rs>\n";
    t0 = clock();
    x = run(ext, "/rs/r", paths, 2, 0);
    CHECK_EQ_INT(x.n, 2);
    if (x.n == 2) {
        CHECK_EQ_INT(x.r[0].kind, IO_REC_OK);
        CHECK_EQ_INT(x.r[1].kind, IO_REC_XML_ENTITY);
    }
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
    run_free(&x);
}

static void test_matched(void)
{
    const char *const paths[] = { "a" };
    const char *empties[] = { "", "  \n\t ", "<?xml version=\"1.0\"?>\n<!-- only a prolog -->\n",
                              "<!DOCTYPE x [ <!ENTITY e \"<x/>\"> ]>" };
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        xrun x = run(empties[i], "/x", paths, 1, 0);
        CHECK_EQ_INT(x.st, ASSAY_OK);
        CHECK(!x.matched && !x.has && x.n == 0);
        CHECK_EQ_MEM(x.head, x.hn, empties[i]);
        run_free(&x);
    }
    xrun x = run("<orders><order/></orders>", "/orders/ordr", paths, 1, 0);
    CHECK(!x.matched && x.has && x.n == 0);
    run_free(&x);
    x = run("<order><a>1</a></order>\n", "/order", paths, 1, 0);
    CHECK(x.matched && x.n == 1 && x.hn == 0);
    CHECK_EQ_MEM(x.tail, x.tn, "\n");
    run_free(&x);
    /* bad record paths */
    const char *bad[] = { "", "/", "orders/order", "/orders//order", "/orders/", "/a b" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        io_mem_source m = { "", 0, 0, 0 };
        io_xml_opts o = { bad[i], paths, 1, 0, 0 };
        io_xml_reader *r = NULL;
        CHECK_EQ_INT(io_xml_reader_new(io_mem_read, &m, &o, &r), ASSAY_E_USAGE);
        CHECK(r == NULL);
    }
}

static void test_too_large(void)
{
    const char *const paths[] = { "a" };
    const char *doc = "<rs>\n<r><a>short</a></r>\n<r><a>\xc3\xa9\xc3\xa9\xc3\xa9 a much longer "
                      "value\nover two lines</a></r>\n<r><a>next</a></r>\n</rs>\n";
    xrun x = run_ex(doc, strlen(doc), "/rs/r", paths, 1, 0, 20);
    CHECK(x.n >= 4);
    if (x.n >= 4) {
        CHECK_EQ_INT(x.r[0].kind, IO_REC_OK);
        size_t i = 1, total = 0;
        const char *big = strstr(doc, "<r><a>\xc3\xa9");
        for (; i < x.n && x.r[i].kind == IO_REC_TOO_LARGE; i++) {
            CHECK(x.r[i].raw_len <= 20);
            CHECK(x.r[i].cont == (i > 1));
            CHECK_EQ_INT(x.r[i].line, 3);
            CHECK(!x.r[i].bad_utf8); /* never cut inside a UTF-8 sequence */
            CHECK(memcmp(x.r[i].raw, big + total, x.r[i].raw_len) == 0);
            total += x.r[i].raw_len;
        }
        CHECK(!x.r[i - 1].more && x.r[i - 2].more);
        CHECK_EQ_INT(x.r[i - 1].lines, 2);
        CHECK_EQ_INT(total, strlen("<r><a>\xc3\xa9\xc3\xa9\xc3\xa9 a much longer value\nover two "
                                   "lines</a></r>"));
        CHECK(i < x.n && x.r[i].kind == IO_REC_OK && x.r[i].line == 5);
    }
    run_free(&x);
    check_blocks(doc, "/rs/r", paths, 1, 20);
    check_blocks(doc, "/rs/r", paths, 1, 1);
}

static void test_extras_and_values(void)
{
    const char *doc = "<rs><r id=\"1\" extra=\"x\" xmlns:q=\"urn:q\">\n"
                      "  <sku>A</sku>\n"
                      "  <junk a=\"1\">j</junk>\n"
                      "  <sku>second</sku>\n"
                      "  <junk/>\n"
                      "  <t>\r\n a\tb &#x7F; </t><u>&#x85;</u><w>  </w><e2></e2><c><!-- c --></c>\n"
                      "  <n><m>1</m><m>2</m></n><n><m>3</m><z>9</z></n>\n"
                      "</r></rs>";
    const char *const paths[] = { "sku", "@id", "t", "u", "w", "e2", "c", "n.m", "n.z", "n" };
    xrun x = run(doc, "/rs/r", paths, 10, 0);
    CHECK_EQ_INT(x.n, 1);
    if (x.n == 1) {
        const xrec *r = &x.r[0];
        CHECK_EQ_INT(r->kind, IO_REC_OK);
        FIELD_IS(r, 0, "A"); /* the first occurrence */
        FIELD_IS(r, 1, "1");
        FIELD_IS(r, 2, "\n a\tb \x7f ");
        FIELD_IS(r, 3, "\xc2\x85");
        FIELD_IS(r, 4, "  ");
        CHECK(r->f[5] == NULL && r->v[5].kind == IO_V_NULL);
        CHECK(r->f[6] == NULL && r->v[6].kind == IO_V_NULL);
        FIELD_IS(r, 7, "1");       /* first <n>, its first <m> */
        CHECK(r->f[8] == NULL && r->v[8].kind == IO_V_ABSENT); /* not in the first <n> */
        FIELD_IS(r, 9, "<m>1</m><m>2</m>");
        CHECK_EQ_INT(r->v[9].items, 2);
        CHECK(!r->ctl_free);
        CHECK_EQ_INT(r->nx, 3);
        if (r->nx == 3) {
            const io_docextra *e = r->x;
            CHECK_EQ_MEM(r->raw + e[0].name_off, e[0].name_len, "extra");
            CHECK_EQ_MEM(r->raw + e[0].off, e[0].len, " extra=\"x\"");
            CHECK_EQ_MEM(r->raw + e[0].val_off, e[0].val_len, "x");
            CHECK_EQ_MEM(r->raw + e[1].off, e[1].len, "\n  <junk a=\"1\">j</junk>");
            CHECK_EQ_MEM(r->raw + e[1].val_off, e[1].val_len, "j");
            CHECK_EQ_MEM(r->raw + e[2].off, e[2].len, "\n  <junk/>");
            CHECK_EQ_INT(e[2].val_len, 0);
        }
    }
    run_free(&x);
    check_blocks(doc, "/rs/r", paths, 10, 0);

    /* plain values: ctl_free; attribute normalisation; an empty attribute */
    const char *const p2[] = { "@a", "@b", "v" };
    x = run("<r a=\"x\r\ny\tz\" b=\"\"><v>plain</v></r>", "/r", p2, 3, 0);
    CHECK_EQ_INT(x.n, 1);
    if (x.n == 1) {
        FIELD_IS(&x.r[0], 0, "x y z");
        CHECK(x.r[0].f[1] == NULL && x.r[0].v[1].kind == IO_V_NULL);
        CHECK(x.r[0].ctl_free);
    }
    run_free(&x);
}

static void test_bad_utf8_and_crlf(void)
{
    const char *const paths[] = { "a" };
    const char *doc = "<rs>\r\n<r><a>ok</a></r>\r\n<r><a>\xff</a></r>\r\n\r\n<r><a>\x01</a></r>\r"
                      "<r><a>end</a></r></rs>";
    xrun x = run(doc, "/rs/r", paths, 1, 0);
    CHECK_EQ_INT(x.n, 4);
    if (x.n == 4) {
        CHECK_EQ_INT(x.r[0].line, 2);
        CHECK_EQ_INT(x.r[1].kind, IO_REC_XML);
        CHECK(x.r[1].bad_utf8);
        CHECK_MSG(strstr(x.r[1].detail, "line 3, column 7: invalid UTF-8") != NULL, "detail: %s",
                  x.r[1].detail);
        CHECK_EQ_INT(x.r[2].kind, IO_REC_XML);
        CHECK_EQ_INT(x.r[2].line, 5);
        CHECK_EQ_INT(x.r[3].kind, IO_REC_OK);
        CHECK_EQ_INT(x.r[3].line, 6);
    }
    run_free(&x);
    check_blocks(doc, "/rs/r", paths, 1, 0);
}

/* Small documents full of constructs around and inside records: every block
 * size gives the same records. */
static void test_blocks_misc(void)
{
    const char *const paths[] = { "a", "@k", "b.c" };
    const char *docs[] = {
        "<x><?p <r>?><r k='>'><a><![CDATA[</r>]]></a></r><!-- <r> --><r/><r k=\"1\"/></x>",
        ("<!DOCTYPE x SYSTEM \"x.dtd\" [<!ELEMENT r ANY><!ATTLIST r k CDATA \"d>\">]><x>"
         "<r><b><c>deep</c></b></r><y><r>no</r></y></x>"),
        "<x>\n<r>\n<a>1</a>\n</r>\n<r><a>2</a><unclosed></r>\n<r><a>3</a></r></x>",
        "<x><r><a>1</a></r><r><a>2</a></r><r><a>3</a>",
        "<x><r a='1' <r><a>2</a></r></x>",
        "<x><r>\xe2\x82\xac<a>\xe2\x82\xac</a></r></x>",
        "<x><a><r>not at the path</r></a><r><a>yes</a></r></x></x></x>",
        "</x><x></y><r><a>1</a></r></x>",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        check_blocks(docs[i], "/x/r", paths, 3, 0);
        check_blocks(docs[i], "/x/r", paths, 3, 7);
    }
    xrun x = run(docs[0], "/x/r", paths, 3, 0);
    CHECK_EQ_INT(x.n, 3);
    if (x.n == 3) {
        FIELD_IS(&x.r[0], 0, "</r>");
        FIELD_IS(&x.r[0], 1, ">");
        CHECK_EQ_MEM(x.r[1].raw, x.r[1].raw_len, "<r/>");
    }
    run_free(&x);
    x = run(docs[1], "/x/r", paths, 3, 0);
    CHECK(x.n == 1 && x.r[0].kind == IO_REC_OK);
    if (x.n == 1)
        FIELD_IS(&x.r[0], 2, "deep");
    run_free(&x);
    x = run(docs[6], "/x/r", paths, 3, 0);
    CHECK(x.n == 1 && x.r[0].kind == IO_REC_OK);
    CHECK_EQ_MEM(x.tail, x.tn, "</x></x></x>");
    run_free(&x);
    x = run(docs[7], "/x/r", paths, 3, 0);
    CHECK(x.n == 1 && x.r[0].kind == IO_REC_OK);
    run_free(&x);
}

int main(void)
{
    test_basic();
    test_namespaces();
    test_malformed_middle();
    test_broken_structure();
    test_entities();
    test_matched();
    test_too_large();
    test_extras_and_values();
    test_bad_utf8_and_crlf();
    test_blocks_misc();
    return t_done();
}
