/* tests/fuzz/fuzz_decompress.c — the decompressing source and the
 * compressor against arbitrary bytes.
 *
 * The first byte chooses the read size and the source's chunk size; the rest
 * is the input. Output is pulled up to OUT_MAX bytes per input (a small file
 * may expand a thousandfold: the cap bounds the harness, not the source). The
 * harness aborts when:
 *   - a read returns more than asked, or fails with no message or an errno
 *     other than EIO (the memory source never fails itself);
 *   - a failure or the end is not sticky;
 *   - input that is not gzip or zstd does not come out byte for byte;
 *   - two read/chunk sizes give different output (up to where the shorter
 *     stopped) or a different outcome (end or damage; how much comes out
 *     before the damage is seen may differ);
 *   - the input, compressed by io_zip as gzip and as zstd, does not come back
 *     whole through io_unzip. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX ((size_t)1 << 20)

typedef struct pulled {
    char *p;
    size_t n;
    ptrdiff_t last; /* 0 at the end, -1 on error, 1 when the cap was hit */
    io_compress_kind kind;
} pulled;

static void pull(const uint8_t *in, size_t n, size_t chunk, size_t rsize, pulled *out)
{
    io_mem_source m = {(const char *)in, n, 0, chunk};
    io_unzip *u;
    if (io_unzip_new(io_mem_read, &m, &u) != ASSAY_OK)
        abort();
    char *buf = malloc(rsize);
    out->p = malloc(OUT_MAX);
    if (!buf || !out->p)
        abort();
    out->n = 0;
    ptrdiff_t r = 0;
    while (out->n < OUT_MAX) {
        size_t want = rsize < OUT_MAX - out->n ? rsize : OUT_MAX - out->n;
        r = io_unzip_read(u, buf, want);
        if (r <= 0)
            break;
        if ((size_t)r > want)
            abort();
        memcpy(out->p + out->n, buf, (size_t)r);
        out->n += (size_t)r;
    }
    if (r < 0) {
        if (errno != EIO || !io_unzip_error(u) || io_unzip_read(u, buf, rsize) != -1)
            abort();
        out->last = -1;
    } else if (r == 0) {
        if (io_unzip_error(u) || io_unzip_read(u, buf, rsize) != 0)
            abort();
        out->last = 0;
    } else
        out->last = 1;
    out->kind = io_unzip_kind(u);
    free(buf);
    io_unzip_free(u);
}

typedef struct sink_buf {
    char *p;
    size_t n, cap;
} sink_buf;

static int to_buf(void *ctx, const char *p, size_t n)
{
    sink_buf *b = ctx;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            abort();
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

static void round_trip(io_compress_kind kind, const uint8_t *in, size_t n, size_t step)
{
    io_zip *z = io_zip_new(kind);
    if (!z)
        abort();
    sink_buf b = {0};
    for (size_t at = 0; at < n; at += step)
        if (io_zip_write(z, in + at, n - at < step ? n - at : step, to_buf, &b) != 0)
            abort();
    if (io_zip_finish(z, to_buf, &b) != 0)
        abort();
    io_zip_free(z);
    pulled back;
    pull((const uint8_t *)b.p, b.n, 0, 4096, &back);
    if (back.last != 0 || back.kind != kind || back.n != n ||
        (n && memcmp(back.p, in, n) != 0))
        abort();
    free(back.p);
    free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t sizes[] = {1, 2, 3, 5, 64, 1000, 4096, 65536};
    if (size < 1)
        return 0;
    uint8_t knob = data[0];
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    size_t rsize = sizes[knob & 7], chunk = sizes[(knob >> 3) & 7];

    pulled a, b;
    pull(in, n, chunk, rsize, &a);
    pull(in, n, 0, 65536, &b);
    if (a.kind != b.kind)
        abort();
    /* the same outcome and bytes, up to where one of them stopped */
    size_t common = a.n < b.n ? a.n : b.n;
    if (memcmp(a.p, b.p, common) != 0)
        abort();
    if (a.last != 1 && b.last != 1 &&
        (a.last != b.last || (a.last == 0 && a.n != b.n)))
        abort();
    size_t plain = n < OUT_MAX ? n : OUT_MAX;
    if (a.kind == IO_COMPRESS_NONE &&
        (a.last == -1 || a.n != plain || (plain && memcmp(a.p, in, plain) != 0)))
        abort();
    free(a.p);
    free(b.p);

    round_trip(IO_COMPRESS_GZIP, in, n, sizes[(knob >> 6) & 3] + 1);
    round_trip(IO_COMPRESS_ZSTD, in, n, sizes[(knob >> 6) & 3] + 1);
    return 0;
}
