/* tests/unit/test_decode_util.h — shared by the decoder tests: convert text
 * with ICU (the independent reference), read an encoded input through the
 * decoder and the CSV reader at a given block size, and check that every
 * record's source span is that record's source bytes (the spans, in order,
 * are the input) and that the record's text is the span's text. */
#ifndef ASSAY_TESTS_DECODE_UTIL_H
#define ASSAY_TESTS_DECODE_UTIL_H

#include <unicode/ucnv.h>

#include "csv_test_util.h"
#include "io/decode.h"

/* s[0..n) from one encoding to another, whole, with ICU's defaults. */
static inline char *t_icu(const char *to, const char *from, const char *s, size_t n,
                          size_t *out_n)
{
    UErrorCode e = U_ZERO_ERROR;
    int32_t len = ucnv_convert(to, from, NULL, 0, s, (int32_t)n, &e);
    char *o = t_xmalloc((size_t)len + 1);
    e = U_ZERO_ERROR;
    len = ucnv_convert(to, from, o, len + 1, s, (int32_t)n, &e);
    if (U_FAILURE(e)) {
        fprintf(stderr, "ICU cannot convert to %s: %s\n", to, u_errorName(e));
        exit(2);
    }
    *out_n = (size_t)len;
    return o;
}

/* UTF-8 text (a C string) in encoding `to`, with `bom` in front. */
static inline char *t_enc(const char *to, const char *bom, size_t bom_n, const char *text,
                          size_t *n)
{
    size_t m;
    char *body = t_icu(to, "UTF-8", text, strlen(text), &m);
    char *o = t_xmalloc(bom_n + m);
    memcpy(o, bom, bom_n);
    memcpy(o + bom_n, body, m);
    free(body);
    *n = bom_n + m;
    return o;
}

typedef struct tdec {
    tlist l;             /* the records */
    io_decoding info;
    assay_status st;     /* opening */
    uint64_t invalid;
    size_t max_window;   /* the most source bytes held, with releases */
    bool spans_ok;       /* spans add up to the input, record by record */
    bool text_ok;        /* each clean record's text is its span's text */
} tdec;

/* Reads src[0..n) through a decoder for `enc` and a CSV reader, both at
 * block size `block`. With `release`, each record is released once read. */
static inline tdec t_decode(const char *src, size_t n, const char *enc,
                            const io_csv_opts *o, size_t block, bool release)
{
    tdec t;
    memset(&t, 0, sizeof t);
    t.spans_ok = t.text_ok = true;
    io_mem_source m = { src, n, 0, block };
    io_decode *d;
    assay_error err;
    t.st = io_decode_new(io_mem_read, &m, enc, &d, &err);
    if (t.st)
        return t;
    t.info = *io_decode_info(d);
    io_csv_opts opts = *o;
    opts.block_size = block;
    io_csv_reader *r;
    t.l.st = io_csv_reader_new(io_decode_read, d, &opts, &r);
    uint64_t off = 0;
    while (!t.l.st) {
        io_record rec;
        bool eof;
        t.l.st = io_csv_next(r, &rec, &eof, &err);
        if (t.l.st || eof)
            break;
        tlist_push(&t.l, &rec);
        io_span sp;
        assay_status st = io_decode_source_span(d, rec.offset, rec.raw_len, &sp);
        if (io_decode_is_utf8(d)) {
            sp.bytes = rec.raw;
        }
        if (st || sp.offset != off || sp.offset + sp.len > n ||
            memcmp(src + sp.offset, sp.bytes, sp.len) != 0) {
            t.spans_ok = false;
        } else if (!io_decode_is_utf8(d) && !memchr(rec.raw, IO_DECODE_MARK, rec.raw_len) &&
                   sp.len) {
            size_t k;
            char *back = t_icu("UTF-8", t.info.canon, sp.bytes, sp.len, &k);
            if (k != rec.raw_len || memcmp(back, rec.raw, k) != 0)
                t.text_ok = false;
            free(back);
        }
        off = st ? off : sp.offset + sp.len;
        if (release)
            io_decode_release(d, rec.offset + rec.raw_len);
        size_t w = io_decode_window(d);
        t.max_window = w > t.max_window ? w : t.max_window;
    }
    if (off != n)
        t.spans_ok = false;
    t.invalid = io_decode_invalid_sequences(d);
    if (r)
        io_csv_reader_free(r);
    io_decode_free(d);
    return t;
}

/* Reads src through the decoder at every block size from 1 up (a few sizes
 * for large inputs) and checks: the records equal those of reading the UTF-8
 * text `want` directly, the spans add up to src, each clean record's text is
 * its span's text. Returns the decision. */
static inline io_decoding t_decode_all(const char *src, size_t n, const char *enc,
                                       const char *want, size_t want_n, const io_csv_opts *o)
{
    static const size_t few[] = { 1, 3, 7, 64, 4096, 65536, (size_t)1 << 20 };
    tlist ref = t_read(want, want_n, o, want_n + 64);
    io_decoding info;
    memset(&info, 0, sizeof info);
    bool small = n <= 400;
    size_t count = small ? n + 1 : sizeof few / sizeof few[0];
    for (size_t i = 0; i < count; i++) {
        size_t b = small ? i + 1 : few[i];
        if (!small && b < 64 && n > ((size_t)1 << 16))
            continue;
        tdec t = t_decode(src, n, enc, o, b, i % 2 == 0);
        info = t.info;
        size_t diff = t_diff(&ref, &t.l);
        CHECK_MSG(t.st == ASSAY_OK && diff == 0, "%s: block %zu differs at record %zu",
                  enc, b, diff);
        CHECK_MSG(t.spans_ok, "%s: block %zu: source spans do not add up", enc, b);
        CHECK_MSG(t.text_ok, "%s: block %zu: a record is not its span's text", enc, b);
        tlist_free(&t.l);
        if (diff || !t.spans_ok || !t.text_ok)
            break;
    }
    tlist_free(&ref);
    return info;
}

#endif
