/* tests/fuzz/fuzz_csv_reader.c — the CSV reader against arbitrary bytes.
 *
 * The first two bytes choose the dialect, the limits and a block size; the
 * rest is the input. The input is read by two readers in lockstep — one at a
 * chosen small block size (1 byte for inputs under 4 KB), one at a block
 * larger than the input — and the harness aborts when they disagree on any
 * record, when the raw spans do not add up to the input byte for byte, or
 * when a record's line is not the line its preceding bytes say (so lines
 * never decrease). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct side {
    io_mem_source m;
    io_csv_reader *r;
    io_record rec;
    bool eof;
} side;

static void choose(uint8_t a, uint8_t b, io_csv_opts *o)
{
    io_csv_opts_init(o);
    o->delimiter = (a & 3) == 1 ? '\t' : (a & 3) == 2 ? ';' : ',';
    o->quote = (a & 12) == 4 ? -1 : (a & 12) == 8 ? '\'' : '"';
    o->header = (a & 16) != 0;
    if (a & 32) {
        o->max_record_bytes = 1 + (b & 31);
        o->max_field_bytes = 1 + ((b >> 5) & 7);
    }
}

static bool same(const io_record *x, const io_record *y)
{
    if (x->kind != y->kind || x->raw_len != y->raw_len ||
        memcmp(x->raw, y->raw, x->raw_len) != 0 || x->raw_more != y->raw_more ||
        x->continued != y->continued || x->line != y->line || x->lines != y->lines ||
        x->nfields != y->nfields || x->quoted != y->quoted ||
        x->bad_utf8 != y->bad_utf8 || x->bad_utf8_at != y->bad_utf8_at ||
        x->is_header != y->is_header || x->offset != y->offset)
        return false;
    if ((x->detail == NULL) != (y->detail == NULL) ||
        (x->detail && strcmp(x->detail, y->detail) != 0))
        return false;
    for (size_t i = 0; i < x->nfields; i++)
        if (x->fields[i].n != y->fields[i].n ||
            memcmp(x->fields[i].p, y->fields[i].p, x->fields[i].n) != 0)
            return false;
    return true;
}

/* Checks one record of the large-block side against the input. */
static void check_record(const io_record *r, const char *in, size_t n, size_t *off,
                         uint64_t *line, bool *cr)
{
    if (r->raw_len == 0 || r->offset != *off || *off + r->raw_len > n ||
        memcmp(in + *off, r->raw, r->raw_len) != 0)
        abort(); /* conservation */
    if (!r->continued && r->line != *line)
        abort(); /* line numbering */
    if (r->lines == 0 || (r->raw_more && r->kind != IO_REC_TOO_LARGE &&
                          r->kind != IO_REC_MALFORMED))
        abort();
    if ((r->kind == IO_REC_OK || r->kind == IO_REC_BLANK) && r->nfields == 0)
        abort();
    for (size_t k = 0; k < r->raw_len; k++) {
        char c = r->raw[k];
        *line += c == '\r' || (c == '\n' && !*cr);
        *cr = c == '\r';
    }
    *off += r->raw_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    io_csv_opts o;
    choose(data[0], data[1], &o);
    const char *in = (const char *)data + 2;
    size_t n = size - 2;
    size_t small = n < 4096 ? 1 : 1 + (data[1] & 63);
    side s[2];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 2; i++) {
        s[i].m = (io_mem_source){ in, n, 0, i ? 0 : small };
        o.block_size = i ? n + 64 : small;
        if (io_csv_reader_new(io_mem_read, &s[i].m, &o, &s[i].r) != ASSAY_OK)
            abort();
    }
    size_t off = 0;
    uint64_t line = 1;
    bool cr = false;
    for (;;) {
        assay_error err;
        for (int i = 0; i < 2; i++)
            if (io_csv_next(s[i].r, &s[i].rec, &s[i].eof, &err) != ASSAY_OK)
                abort();
        if (s[0].eof != s[1].eof)
            abort();
        if (s[0].eof)
            break;
        if (!same(&s[0].rec, &s[1].rec))
            abort();
        check_record(&s[1].rec, in, n, &off, &line, &cr);
    }
    if (off != n)
        abort();
    io_csv_reader_free(s[0].r);
    io_csv_reader_free(s[1].r);
    return 0;
}
