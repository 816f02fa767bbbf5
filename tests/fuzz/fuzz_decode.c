/* tests/fuzz/fuzz_decode.c — the decoder against arbitrary bytes.
 *
 * The first byte chooses the encoding (auto and a dozen ICU converters), the
 * second the block sizes, the dialect and the limits; the rest is the input.
 * The harness aborts when:
 *   - decoding at a small block and at a block larger than the input give
 *     different UTF-8 or a different count of undecodable sequences;
 *   - the converted text holds an invalid UTF-8 byte that is not the mark
 *     (converted input) — every undecodable sequence is exactly one mark;
 *   - read through the CSV reader (with releases after most records), the
 *     records' source spans are not the input, in order, byte for byte
 *     (conservation back to the source);
 *   - a span of a record already released can still be had. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "io/csv_reader.h"
#include "io/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ENCODINGS[] = {
    "auto", "windows-1252", "Shift_JIS", "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32",
    "GB18030", "EUC-JP", "Big5", "UTF-8", "KOI8-R", "ISO-8859-2", "UTF-16", "windows-1250",
    "auto",
};

/* All of the decoded text at block size `block`. */
static char *decode_all(const char *in, size_t n, const char *enc, size_t block, size_t *len,
                        uint64_t *invalid, bool *utf8)
{
    io_mem_source m = { in, n, 0, block };
    io_decode *d;
    assay_error err;
    if (io_decode_new(io_mem_read, &m, enc, &d, &err) != ASSAY_OK)
        abort();
    size_t cap = 4 * n + 64, got = 0;
    char *out = malloc(cap);
    if (!out)
        abort();
    for (;;) {
        if (cap - got < block + 4) {
            cap = 2 * cap + block;
            out = realloc(out, cap);
            if (!out)
                abort();
        }
        ptrdiff_t k = io_decode_read(d, out + got, block);
        if (k < 0)
            abort();
        if (k == 0)
            break;
        got += (size_t)k;
    }
    *len = got;
    *invalid = io_decode_invalid_sequences(d);
    *utf8 = io_decode_is_utf8(d);
    io_decode_free(d);
    return out;
}

/* Every invalid UTF-8 byte of converted text is a mark, one per sequence. */
static void check_marks(const char *s, size_t n, uint64_t invalid)
{
    uint64_t marks = 0;
    size_t i = 0;
    while (i < n) {
        size_t at = i + core_utf8_invalid_at(s + i, n - i);
        if (at >= n)
            break;
        if ((unsigned char)s[at] != IO_DECODE_MARK)
            abort();
        i = at + 1;
    }
    for (size_t k = 0; k < n; k++)
        marks += (unsigned char)s[k] == IO_DECODE_MARK;
    if (marks != invalid)
        abort();
}

static void check_spans(const char *in, size_t n, const char *enc, size_t block,
                        const io_csv_opts *o, uint8_t salt)
{
    io_mem_source m = { in, n, 0, block };
    io_decode *d;
    assay_error err;
    if (io_decode_new(io_mem_read, &m, enc, &d, &err) != ASSAY_OK)
        abort();
    io_csv_opts opts = *o;
    opts.block_size = block;
    io_csv_reader *r;
    if (io_csv_reader_new(io_decode_read, d, &opts, &r) != ASSAY_OK)
        abort();
    uint64_t off = 0, conv = 0;
    for (size_t i = 0;; i++) {
        io_record rec;
        bool eof;
        if (io_csv_next(r, &rec, &eof, &err) != ASSAY_OK)
            abort();
        if (eof)
            break;
        if (rec.offset != conv)
            abort();
        conv += rec.raw_len;
        io_span sp;
        if (io_decode_source_span(d, rec.offset, rec.raw_len, &sp) != ASSAY_OK)
            abort();
        const char *bytes = io_decode_is_utf8(d) ? rec.raw : sp.bytes;
        if (sp.offset != off || sp.offset + sp.len > n ||
            (sp.len && memcmp(in + sp.offset, bytes, sp.len) != 0))
            abort();
        off += sp.len;
        if (((i + salt) & 3) != 3) { /* sometimes hold records back */
            io_decode_release(d, conv);
            if (conv > 0 && !io_decode_is_utf8(d) &&
                io_decode_source_span(d, conv - 1, 1, &sp) == ASSAY_OK)
                abort(); /* released bytes are gone */
        }
    }
    if (off != n)
        abort();
    io_csv_reader_free(r);
    io_decode_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *enc = ENCODINGS[data[0] & 15];
    uint8_t b = data[1];
    const char *in = (const char *)data + 2;
    size_t n = size - 2;
    size_t small = n < 4096 ? 1 + (b & 3) : 1 + (b & 63);
    size_t la, lb;
    uint64_t ia, ib;
    bool utf8;
    char *a = decode_all(in, n, enc, small, &la, &ia, &utf8);
    char *z = decode_all(in, n, enc, n + 64, &lb, &ib, &utf8);
    if (la != lb || memcmp(a, z, la) != 0 || ia != ib)
        abort();
    if (utf8 && (la != n || memcmp(a, in, n) != 0))
        abort(); /* pass-through */
    if (!utf8)
        check_marks(a, la, ia);
    free(a);
    free(z);
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.header = (data[0] & 16) != 0;
    o.quote = (data[0] & 32) ? -1 : '"';
    if (b & 64) {
        o.max_record_bytes = 1 + (b & 15);
        o.max_field_bytes = 1 + ((b >> 4) & 3);
    }
    check_spans(in, n, enc, small, &o, b);
    check_spans(in, n, enc, n + 64, &o, (uint8_t)(b >> 1));
    return 0;
}
