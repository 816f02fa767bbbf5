/* tests/fuzz/fuzz_json_reader.c — the JSON reader against arbitrary bytes.
 *
 * The first byte chooses NDJSON or array mode, a record limit and a small
 * block size; the rest is the input. Two readers go in lockstep — one at the
 * small block size with a source giving one byte per read, one at a block
 * larger than the input — and the harness aborts when they disagree on any
 * record, when a raw is not the input's bytes at its offset, when records
 * overlap or (NDJSON) do not add up to the input byte for byte, or when a
 * value span, an extra's spans or a field lie outside what they must. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = { "a", "b.c", "items[0].sku", "x[1]", "a.b", "s", "n" };
#define NPATHS (sizeof paths / sizeof paths[0])

typedef struct side {
    io_mem_source m;
    io_json_reader *r;
    io_record rec;
    bool eof;
} side;

static bool within(size_t off, size_t len, size_t n)
{
    return off <= n && len <= n - off;
}

static bool same(const io_record *x, const io_record *y)
{
    if (x->kind != y->kind || x->raw_len != y->raw_len ||
        memcmp(x->raw, y->raw, x->raw_len) != 0 || x->raw_more != y->raw_more ||
        x->continued != y->continued || x->line != y->line || x->lines != y->lines ||
        x->nfields != y->nfields || x->bad_utf8 != y->bad_utf8 ||
        x->ctl_free != y->ctl_free || x->offset != y->offset ||
        (x->doc == NULL) != (y->doc == NULL))
        return false;
    if ((x->detail == NULL) != (y->detail == NULL) ||
        (x->detail && strcmp(x->detail, y->detail) != 0))
        return false;
    for (size_t i = 0; i < x->nfields; i++)
        if (x->fields[i].n != y->fields[i].n ||
            (x->fields[i].p == NULL) != (y->fields[i].p == NULL) ||
            (x->fields[i].n && memcmp(x->fields[i].p, y->fields[i].p, x->fields[i].n) != 0))
            return false;
    if (x->doc) {
        if (x->doc->nvals != y->doc->nvals || x->doc->nextra != y->doc->nextra ||
            memcmp(x->doc->vals, y->doc->vals, x->doc->nvals * sizeof *x->doc->vals) != 0 ||
            (x->doc->nextra &&
             memcmp(x->doc->extra, y->doc->extra, x->doc->nextra * sizeof *x->doc->extra) != 0))
            return false;
    }
    return true;
}

/* Checks one record of the large-block side against the input. */
static void check_record(const io_record *r, const char *in, size_t n, bool array,
                         size_t *off)
{
    if (r->raw_len == 0 || r->offset < *off || !within(r->offset, r->raw_len, n) ||
        memcmp(in + r->offset, r->raw, r->raw_len) != 0)
        abort(); /* conservation */
    if (!array && r->offset != *off)
        abort(); /* NDJSON: the raws are the input */
    *off = r->offset + r->raw_len;
    if (r->lines == 0 || (r->raw_more && r->kind != IO_REC_TOO_LARGE &&
                          r->kind != IO_REC_JSON_PARSE))
        abort();
    if ((r->kind == IO_REC_OK) != (r->doc != NULL))
        abort();
    if (r->kind != IO_REC_OK)
        return;
    if (r->nfields != NPATHS || r->doc->nvals != NPATHS || r->bad_utf8)
        abort();
    for (size_t i = 0; i < NPATHS; i++) {
        const io_docval *v = &r->doc->vals[i];
        const io_slice *f = &r->fields[i];
        if (v->kind != IO_V_ABSENT && !within(v->off, v->len, r->raw_len))
            abort();
        if ((f->p == NULL) != (v->kind == IO_V_ABSENT || v->kind == IO_V_NULL))
            abort();
        if (v->kind != IO_V_STRING && f->p &&
            (f->p != r->raw + v->off || f->n != v->len))
            abort(); /* non-strings are their source text */
        volatile unsigned sum = 0; /* every field byte is readable */
        for (size_t k = 0; k < f->n; k++)
            sum += (unsigned char)f->p[k];
        (void)sum;
    }
    for (size_t i = 0; i < r->doc->nextra; i++) {
        const io_docextra *x = &r->doc->extra[i];
        if (!within(x->off, x->len, r->raw_len) ||
            !within(x->name_off, x->name_len, r->raw_len) ||
            !within(x->val_off, x->val_len, r->raw_len) || x->name_off < x->off ||
            x->val_off + x->val_len > x->off + x->len)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t a = data[0];
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    io_json_opts o = { (a & 1) != 0, paths, NPATHS, (a & 2) ? 4 + ((a >> 4) & 15) : 0, 0,
                       false };
    size_t small = 1 + ((a >> 2) & 3);
    side s[2];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 2; i++) {
        s[i].m = (io_mem_source){ in, n, 0, i ? 0 : 1 };
        o.block_size = i ? n + 64 : small;
        if (io_json_reader_new(io_mem_read, &s[i].m, &o, &s[i].r) != ASSAY_OK)
            abort();
    }
    size_t off = 0;
    for (;;) {
        assay_error err;
        for (int i = 0; i < 2; i++)
            if (io_json_next(s[i].r, &s[i].rec, &s[i].eof, &err) != ASSAY_OK)
                abort();
        if (s[0].eof != s[1].eof)
            abort();
        if (s[0].eof)
            break;
        if (!same(&s[0].rec, &s[1].rec))
            abort();
        check_record(&s[1].rec, in, n, o.array, &off);
    }
    if (!o.array && off != n)
        abort();
    io_json_reader_free(s[0].r);
    io_json_reader_free(s[1].r);
    return 0;
}
