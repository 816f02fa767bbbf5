/* tests/fuzz/fuzz_xml_reader.c — the XML record reader against arbitrary
 * bytes.
 *
 * The first byte chooses the record path, a size limit and a block size; the
 * rest is the input. Two readers run in lockstep — one at a small block size
 * (1 byte for inputs under 4 KB), one at a block larger than the input — and
 * the harness aborts when they disagree on any record, when a record's raw
 * bytes are not the input at its offset, when records overlap or go
 * backwards, when a value or extra span leaves raw, or when the head and
 * tail are not the input's first and last bytes around the records. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/xml_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct side {
    io_mem_source m;
    io_xml_reader *r;
    io_record rec;
    bool eof;
} side;

static const char *const PATHS[] = { "a", "@id", "b.c", "b.@k", "p:a", "b", "@p:id", "x.y.z" };

static bool same(const io_record *x, const io_record *y)
{
    if (x->kind != y->kind || x->raw_len != y->raw_len ||
        memcmp(x->raw, y->raw, x->raw_len) != 0 || x->raw_more != y->raw_more ||
        x->continued != y->continued || x->line != y->line || x->lines != y->lines ||
        x->nfields != y->nfields || x->bad_utf8 != y->bad_utf8 || x->offset != y->offset ||
        x->ctl_free != y->ctl_free)
        return false;
    if ((x->detail == NULL) != (y->detail == NULL) ||
        (x->detail && strcmp(x->detail, y->detail) != 0))
        return false;
    if ((x->doc == NULL) != (y->doc == NULL))
        return false;
    for (size_t i = 0; i < x->nfields; i++)
        if (x->fields[i].n != y->fields[i].n ||
            (x->fields[i].n && memcmp(x->fields[i].p, y->fields[i].p, x->fields[i].n) != 0) ||
            memcmp(&x->doc->vals[i], &y->doc->vals[i], sizeof x->doc->vals[i]) != 0)
            return false;
    if (x->doc && (x->doc->nextra != y->doc->nextra ||
                   (x->doc->nextra && memcmp(x->doc->extra, y->doc->extra,
                                             x->doc->nextra * sizeof *x->doc->extra) != 0)))
        return false;
    return true;
}

static void check_record(const io_record *r, const char *in, size_t n, size_t *end)
{
    if (r->raw_len == 0 || r->offset < *end || r->offset + r->raw_len > n ||
        memcmp(in + r->offset, r->raw, r->raw_len) != 0 || r->line == 0 || r->lines == 0)
        abort();
    *end = r->offset + r->raw_len;
    if (r->kind != IO_REC_OK) {
        if (!r->detail || r->doc)
            abort();
        return;
    }
    const io_doc *d = r->doc;
    if (!d || d->nvals != r->nfields)
        abort();
    for (size_t i = 0; i < d->nvals; i++) {
        if (d->vals[i].off + d->vals[i].len > r->raw_len)
            abort();
        if ((r->fields[i].p == NULL) !=
            (d->vals[i].kind == IO_V_ABSENT || d->vals[i].kind == IO_V_NULL))
            abort();
    }
    for (size_t i = 0; i < d->nextra; i++) {
        const io_docextra *x = &d->extra[i];
        if (x->off + x->len > r->raw_len || x->name_off + x->name_len > r->raw_len ||
            x->val_off + x->val_len > r->raw_len)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const RP[] = { "/r/e", "/e", "/p:r/p:e", "/r/e/e" };
    io_xml_opts o = { RP[data[0] & 3], PATHS, sizeof PATHS / sizeof *PATHS, 0, 0 };
    if (data[0] & 4)
        o.max_record_bytes = 1 + (data[0] >> 3);
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    size_t small = n < 4096 ? 1 : 1 + (data[0] >> 2);
    side s[2];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 2; i++) {
        s[i].m = (io_mem_source){ in, n, 0, i ? 0 : small };
        o.block_size = i ? n + 64 : small;
        if (io_xml_reader_new(io_mem_read, &s[i].m, &o, &s[i].r) != ASSAY_OK)
            abort();
    }
    size_t end = 0, first = SIZE_MAX;
    assay_status st[2];
    for (;;) {
        assay_error err;
        for (int i = 0; i < 2; i++)
            st[i] = io_xml_next(s[i].r, &s[i].rec, &s[i].eof, &err);
        if (st[0] != st[1])
            abort();
        if (st[0] != ASSAY_OK) {
            if (st[0] != ASSAY_E_LIMIT) /* bytes around the records over the limit */
                abort();
            break;
        }
        if (s[0].eof != s[1].eof)
            abort();
        if (s[0].eof)
            break;
        if (!same(&s[0].rec, &s[1].rec))
            abort();
        if (first == SIZE_MAX)
            first = (size_t)s[1].rec.offset;
        check_record(&s[1].rec, in, n, &end);
    }
    if (st[0] == ASSAY_OK) {
        size_t hn, tn;
        const char *h = io_xml_head(s[1].r, &hn), *t = io_xml_tail(s[1].r, &tn);
        bool any = first != SIZE_MAX;
        /* without a record but with elements, the head may stop at the limit
         * (the engine then reports the path that matched nothing) */
        bool cut = !any && io_xml_has_elements(s[1].r) && hn < n;
        if ((!cut && hn != (any ? first : n)) || hn > n || memcmp(h, in, hn) != 0)
            abort();
        if (tn != (any ? n - end : 0) || memcmp(t, in + n - tn, tn) != 0)
            abort();
        if (io_xml_matched(s[1].r) != io_xml_matched(s[0].r) ||
            (any && !io_xml_matched(s[1].r)))
            abort();
    }
    io_xml_reader_free(s[0].r);
    io_xml_reader_free(s[1].r);
    return 0;
}
