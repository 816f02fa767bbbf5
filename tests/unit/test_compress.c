/* tests/unit/test_compress.c — gzip and zstd: the decompressing source
 * (round trips at every read and source chunk size, several members and
 * frames, skippable frames, empty streams, damage, truncation, trailing
 * junk, pass-through of everything else, source errors) and the compressor
 * (what zlib and zstd read back, reproducible bytes whatever the write sizes,
 * a fixed gzip header, the zstd checksum, a failing sink). */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "io/compress.h"
#include "t.h"

/* ---- helpers ----------------------------------------------------------- */

/* A growable byte string; blob_add(b, NULL, n) reserves n bytes. */
typedef struct blob {
    unsigned char *p;
    size_t n, cap;
} blob;

static void blob_add(blob *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q)
            abort();
        b->p = q;
        b->cap = cap;
    }
    if (p && n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* CSV-like text with runs of random bytes: both compressible and not. */
static void make_data(blob *b, size_t n)
{
    static const char *words[] = {"1001,", "alice@example.com,", "shipped,", "2024-03-05,",
                                  "12.50\n", "\"quoted, field\",", "Zürich,"};
    while (b->n < n) {
        if (next_rand() % 8 == 0) {
            unsigned char r[37];
            for (size_t i = 0; i < sizeof r; i++)
                r[i] = (unsigned char)next_rand();
            blob_add(b, r, sizeof r);
        } else {
            const char *w = words[next_rand() % 7];
            blob_add(b, w, strlen(w));
        }
    }
    b->n = n;
}

/* gzip by zlib itself (not io_zip), at `level`. */
static void gzip_ref(blob *out, const void *p, size_t n, int level)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t cap = deflateBound(&z, (uLong)n) + 64;
    size_t at = out->n;
    blob_add(out, NULL, cap);
    z.next_in = (unsigned char *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = out->p + at;
    z.avail_out = (uInt)cap;
    CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out->n = at + z.total_out;
    deflateEnd(&z);
}

/* a zstd frame by libzstd's one-shot API (content size in the header) */
static void zstd_ref(blob *out, const void *p, size_t n, int level)
{
    size_t cap = ZSTD_compressBound(n);
    size_t at = out->n;
    blob_add(out, NULL, cap);
    size_t r = ZSTD_compress(out->p + at, cap, p, n, level);
    CHECK(!ZSTD_isError(r));
    out->n = at + (ZSTD_isError(r) ? 0 : r);
}

/* a zstd frame with a checksum, as the zstd tool writes by default */
static void zstd_ref_checked(blob *out, const void *p, size_t n)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    CHECK(c && !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
    size_t cap = ZSTD_compressBound(n);
    size_t at = out->n;
    blob_add(out, NULL, cap);
    size_t r = ZSTD_compress2(c, out->p + at, cap, p, n);
    CHECK(!ZSTD_isError(r));
    out->n = at + (ZSTD_isError(r) ? 0 : r);
    ZSTD_freeCCtx(c);
}

/* a skippable frame of `n` payload bytes */
static void zstd_skippable(blob *out, size_t n)
{
    unsigned char h[8] = {0x53, 0x2A, 0x4D, 0x18, (unsigned char)n, (unsigned char)(n >> 8),
                          (unsigned char)(n >> 16), (unsigned char)(n >> 24)};
    blob_add(out, h, sizeof h);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)i;
        blob_add(out, &c, 1);
    }
}

/* Everything io_unzip gives from `in`, read `rsize` bytes at a time from a
 * source handing out `chunk` bytes at a time. Returns the last read's value
 * (0 at a clean end, -1 on error); *kind the decision. */
static ptrdiff_t unzip_all(const blob *in, size_t chunk, size_t rsize, blob *out,
                           io_compress_kind *kind, char *msg, size_t msgcap)
{
    io_mem_source m = {(const char *)in->p, in->n, 0, chunk};
    io_unzip *u = NULL;
    CHECK(io_unzip_new(io_mem_read, &m, &u) == ASSAY_OK);
    if (!u)
        return -2;
    char *buf = malloc(rsize);
    if (!buf)
        abort();
    ptrdiff_t r;
    out->n = 0;
    while ((r = io_unzip_read(u, buf, rsize)) > 0) {
        CHECK((size_t)r <= rsize);
        blob_add(out, buf, (size_t)r);
    }
    if (r < 0) {
        CHECK_EQ_INT(errno, EIO);
        const char *e = io_unzip_error(u);
        CHECK(e != NULL);
        if (msg)
            snprintf(msg, msgcap, "%s", e ? e : "");
        /* sticky: the next read fails the same way */
        CHECK_EQ_INT(io_unzip_read(u, buf, rsize), -1);
    } else {
        CHECK(io_unzip_error(u) == NULL);
        CHECK_EQ_INT(io_unzip_read(u, buf, rsize), 0); /* stays at the end */
    }
    *kind = io_unzip_kind(u);
    free(buf);
    io_unzip_free(u);
    return r;
}

static bool blob_eq(const blob *a, const blob *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static const size_t SIZES[] = {1, 2, 3, 7, 64, 4093, 65536, 1 << 20};
#define NSIZES (sizeof SIZES / sizeof *SIZES)

/* ---- names ------------------------------------------------------------- */

static void test_names(void)
{
    size_t s = 99;
    CHECK_EQ_INT(io_compress_from_name("data.csv.gz", &s), IO_COMPRESS_GZIP);
    CHECK_EQ_INT(s, 3);
    CHECK_EQ_INT(io_compress_from_name("dir.d/DATA.CSV.GZ", &s), IO_COMPRESS_GZIP);
    CHECK_EQ_INT(io_compress_from_name("a.ZsT", &s), IO_COMPRESS_ZSTD);
    CHECK_EQ_INT(s, 4);
    CHECK_EQ_INT(io_compress_from_name("data.csv", &s), IO_COMPRESS_NONE);
    CHECK_EQ_INT(s, 0);
    CHECK_EQ_INT(io_compress_from_name(".gz", &s), IO_COMPRESS_NONE); /* no name */
    CHECK_EQ_INT(io_compress_from_name("x.gz/data", &s), IO_COMPRESS_NONE);
    CHECK_EQ_INT(io_compress_from_name("x/.zst", NULL), IO_COMPRESS_NONE);
    CHECK_EQ_INT(io_compress_from_name("data.tgz", NULL), IO_COMPRESS_NONE);
    CHECK_EQ_INT(io_compress_from_name("data.zstd", NULL), IO_COMPRESS_NONE);
    CHECK_EQ_INT(io_compress_from_name("-", &s), IO_COMPRESS_NONE);
    CHECK_EQ_INT(io_compress_from_name(NULL, &s), IO_COMPRESS_NONE);
    CHECK(strcmp(io_compress_name(IO_COMPRESS_GZIP), "gzip") == 0);
    CHECK(strcmp(io_compress_name(IO_COMPRESS_ZSTD), "zstd") == 0);
    CHECK(strcmp(io_compress_name(IO_COMPRESS_NONE), "none") == 0);
}

/* ---- decompression ----------------------------------------------------- */

/* in must decompress to want as `kind` at every read and chunk size. */
static void expect_round_trip(const blob *in, const blob *want, io_compress_kind kind,
                              const char *what)
{
    blob got = {0};
    for (size_t i = 0; i < NSIZES; i++) {
        for (size_t j = 0; j < NSIZES; j++) {
            /* large inputs: tiny reads or tiny chunks only against a large
             * other side (the small inputs get every pair) */
            if (in->n > 20000 && (SIZES[i] < 64 || SIZES[j] < 64) &&
                SIZES[i] < 65536 && SIZES[j] < 65536)
                continue;
            io_compress_kind k;
            ptrdiff_t r = unzip_all(in, SIZES[j], SIZES[i], &got, &k, NULL, 0);
            CHECK_MSG(r == 0 && k == kind && blob_eq(&got, want),
                      "%s: read %zu, chunk %zu: r=%td kind=%d got %zu bytes, want %zu",
                      what, SIZES[i], SIZES[j], r, (int)k, got.n, want->n);
        }
    }
    free(got.p);
}

static void test_round_trips(void)
{
    blob data = {0}, gz = {0}, zs = {0};
    make_data(&data, 300000);
    gzip_ref(&gz, data.p, data.n, 6);
    zstd_ref(&zs, data.p, data.n, 3);
    CHECK(gz.n > 0 && gz.n < data.n && zs.n > 0 && zs.n < data.n);
    expect_round_trip(&gz, &data, IO_COMPRESS_GZIP, "gzip");
    expect_round_trip(&zs, &data, IO_COMPRESS_ZSTD, "zstd");
    /* small: every pair of read and chunk sizes */
    blob small = {data.p, 12000, 12000};
    gz.n = zs.n = 0;
    gzip_ref(&gz, small.p, small.n, 6);
    zstd_ref(&zs, small.p, small.n, 3);
    expect_round_trip(&gz, &small, IO_COMPRESS_GZIP, "gzip small");
    expect_round_trip(&zs, &small, IO_COMPRESS_ZSTD, "zstd small");
    /* store-only gzip (level 0) and the fastest zstd */
    gz.n = zs.n = 0;
    gzip_ref(&gz, data.p, 5000, 0);
    zstd_ref(&zs, data.p, 5000, 1);
    blob head = {data.p, 5000, 5000};
    expect_round_trip(&gz, &head, IO_COMPRESS_GZIP, "gzip level 0");
    expect_round_trip(&zs, &head, IO_COMPRESS_ZSTD, "zstd level 1");
    free(data.p);
    free(gz.p);
    free(zs.p);
}

/* Concatenated gzip members and zstd frames (with skippable frames, and
 * empty members/frames) are read whole. */
static void test_concatenated(void)
{
    blob data = {0}, gz = {0}, zs = {0};
    make_data(&data, 90000);
    gzip_ref(&gz, data.p, 40000, 6);
    gzip_ref(&gz, data.p, 0, 6); /* an empty member in the middle */
    gzip_ref(&gz, data.p + 40000, 50000, 9);
    expect_round_trip(&gz, &data, IO_COMPRESS_GZIP, "gzip members");

    zstd_skippable(&zs, 10); /* pzstd and others start with one */
    zstd_ref(&zs, data.p, 30000, 3);
    zstd_ref(&zs, data.p, 0, 3);
    zstd_skippable(&zs, 0);
    zstd_ref(&zs, data.p + 30000, 60000, 19);
    zstd_skippable(&zs, 300);
    expect_round_trip(&zs, &data, IO_COMPRESS_ZSTD, "zstd frames");
    free(data.p);
    free(gz.p);
    free(zs.p);
}

static void test_empty_streams(void)
{
    blob gz = {0}, zs = {0}, sk = {0}, none = {0};
    gzip_ref(&gz, "", 0, 6);
    zstd_ref(&zs, "", 0, 3);
    zstd_skippable(&sk, 4);
    expect_round_trip(&gz, &none, IO_COMPRESS_GZIP, "empty gzip");
    expect_round_trip(&zs, &none, IO_COMPRESS_ZSTD, "empty zstd");
    expect_round_trip(&sk, &none, IO_COMPRESS_ZSTD, "only a skippable frame");
    free(gz.p);
    free(zs.p);
    free(sk.p);
}

/* in must fail at every read and chunk size, with a message holding want. */
static void expect_error(const blob *in, const char *want, const char *what)
{
    blob got = {0};
    char msg[256];
    for (size_t i = 0; i < NSIZES; i++) {
        for (size_t j = 0; j < NSIZES; j++) {
            if (SIZES[i] < 4093 && SIZES[j] < 4093 && (SIZES[i] != 7 || SIZES[j] != 3))
                continue; /* tiny on both sides: once */
            io_compress_kind k;
            msg[0] = '\0';
            ptrdiff_t r = unzip_all(in, SIZES[j], SIZES[i], &got, &k, msg, sizeof msg);
            CHECK_MSG(r == -1 && strstr(msg, want), "%s: read %zu chunk %zu: r=%td msg '%s'",
                      what, SIZES[i], SIZES[j], r, msg);
        }
    }
    free(got.p);
}

static void test_damage(void)
{
    blob data = {0}, gz = {0}, zs = {0};
    make_data(&data, 100000);
    gzip_ref(&gz, data.p, data.n, 6);
    zstd_ref(&zs, data.p, data.n, 3);

    /* one byte changed in the middle (zstd: of a frame with a checksum;
     * without one, a changed literal cannot be seen) */
    blob bad = {0};
    blob_add(&bad, gz.p, gz.n);
    bad.p[bad.n / 2] ^= 0x5A;
    expect_error(&bad, "gzip data is damaged: ", "gzip damaged");
    bad.n = 0;
    zstd_ref_checked(&bad, data.p, data.n);
    bad.p[bad.n / 2] ^= 0x5A;
    expect_error(&bad, "zstd data is damaged: ", "zstd damaged");

    /* a damaged header: a wrong compression method */
    bad.n = 0;
    blob_add(&bad, gz.p, gz.n);
    bad.p[2] = 7;
    expect_error(&bad, "gzip data is damaged: unknown compression method",
                 "gzip header");

    /* a damaged trailer: the CRC; the zstd checksum */
    bad.n = 0;
    blob_add(&bad, gz.p, gz.n);
    bad.p[bad.n - 6] ^= 1;
    expect_error(&bad, "gzip data is damaged: incorrect data check", "gzip crc");
    bad.n = 0;
    zstd_ref_checked(&bad, data.p, data.n);
    bad.p[bad.n - 1] ^= 1;
    expect_error(&bad, "zstd data is damaged: ", "zstd checksum");

    /* truncated: in the middle, just before the end, right after the magic */
    size_t cuts[] = {gz.n / 2, gz.n - 1, 2, 3, 10};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        blob t = {gz.p, cuts[i], cuts[i]};
        expect_error(&t, "the gzip stream ends early (truncated file?)", "gzip truncated");
    }
    size_t zcuts[] = {zs.n / 2, zs.n - 1, 4, 5};
    for (size_t i = 0; i < sizeof zcuts / sizeof *zcuts; i++) {
        blob t = {zs.p, zcuts[i], zcuts[i]};
        expect_error(&t, "the zstd stream ends early (truncated file?)", "zstd truncated");
    }

    /* junk after a complete stream */
    bad.n = 0;
    blob_add(&bad, gz.p, gz.n);
    blob_add(&bad, "x,y\n", 4);
    expect_error(&bad, "gzip data is damaged: bytes that are not gzip follow", "gzip junk");
    bad.n = 0;
    blob_add(&bad, gz.p, gz.n);
    blob_add(&bad, "\x1f", 1); /* half a magic */
    expect_error(&bad, "gzip data is damaged: bytes that are not gzip follow",
                 "gzip half magic");
    bad.n = 0;
    blob_add(&bad, zs.p, zs.n);
    blob_add(&bad, "x,y\n", 4);
    expect_error(&bad, "zstd data is damaged: ", "zstd junk");
    free(bad.p);
    free(data.p);
    free(gz.p);
    free(zs.p);
}

/* Anything that is not gzip or zstd comes out as it went in. */
static void test_passthrough(void)
{
    static const struct {
        const char *p;
        size_t n;
    } cases[] = {
        {"", 0},          {"a", 1},          {"ab", 2},     {"abc", 3},
        {"abcd", 4},      {"\x1f", 1},       {"\x1f\x8c", 2}, {"\x28\xb5\x2f", 3},
        {"\x28\xb5\x2f\xfe", 4}, {"\x50\x2a\x4d", 3}, {"id,name\n1,x\n", 12},
    };
    blob got = {0};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        blob in = {(unsigned char *)(uintptr_t)cases[c].p, cases[c].n, cases[c].n};
        for (size_t i = 0; i < NSIZES; i++) {
            io_compress_kind k;
            ptrdiff_t r = unzip_all(&in, 1, SIZES[i], &got, &k, NULL, 0);
            CHECK_MSG(r == 0 && k == IO_COMPRESS_NONE && blob_eq(&got, &in),
                      "case %zu read %zu: r=%td kind %d n=%zu", c, SIZES[i], r, (int)k, got.n);
        }
    }
    blob data = {0};
    make_data(&data, 400000); /* larger than the peek buffer */
    expect_round_trip(&data, &data, IO_COMPRESS_NONE, "plain");
    free(data.p);
    free(got.p);
}

/* A source that fails, and one that must never be asked again after it said
 * end of input (a terminal would wait for another end). */
typedef struct strict_src {
    const char *p;
    size_t n, off;
    int fail_at_call; /* the call that fails with EACCES; 0: none */
    int calls;
    bool ended;
    bool asked_after_end;
} strict_src;

static ptrdiff_t strict_read(void *ctx, char *buf, size_t cap)
{
    strict_src *s = ctx;
    s->calls++;
    if (s->ended)
        s->asked_after_end = true;
    if (s->fail_at_call && s->calls == s->fail_at_call) {
        errno = EACCES;
        return -1;
    }
    size_t n = s->n - s->off;
    if (n > cap)
        n = cap;
    if (n > 3)
        n = 3;
    memcpy(buf, s->p + s->off, n);
    s->off += n;
    s->ended = n == 0;
    return (ptrdiff_t)n;
}

static void test_source_errors(void)
{
    char buf[64];
    for (int at = 1; at <= 3; at++) {
        strict_src s = {"id,name\n", 8, 0, at, 0, false, false};
        io_unzip *u = NULL;
        CHECK(io_unzip_new(strict_read, &s, &u) == ASSAY_OK && u);
        ptrdiff_t r;
        while ((r = io_unzip_read(u, buf, sizeof buf)) > 0) {
        }
        CHECK_EQ_INT(r, -1);
        CHECK_EQ_INT(errno, EACCES); /* the source's own errno */
        CHECK(io_unzip_error(u) == NULL);
        io_unzip_free(u);
    }
    /* gzip through a failing source: the source's error, not "damaged" */
    blob gz = {0};
    gzip_ref(&gz, "id,name\n1,x\n", 12, 6);
    strict_src s = {(const char *)gz.p, gz.n, 0, 4, 0, false, false};
    io_unzip *u = NULL;
    CHECK(io_unzip_new(strict_read, &s, &u) == ASSAY_OK && u);
    ptrdiff_t r;
    while ((r = io_unzip_read(u, buf, sizeof buf)) > 0) {
    }
    CHECK_EQ_INT(r, -1);
    CHECK_EQ_INT(errno, EACCES);
    CHECK(io_unzip_error(u) == NULL);
    io_unzip_free(u);

    /* never asked again after the end: short plain, short gzip */
    const blob ins[] = {{(unsigned char *)"ab", 2, 2}, gz};
    for (size_t i = 0; i < 2; i++) {
        strict_src t = {(const char *)ins[i].p, ins[i].n, 0, 0, 0, false, false};
        CHECK(io_unzip_new(strict_read, &t, &u) == ASSAY_OK && u);
        CHECK_EQ_INT(io_unzip_detect(u), 0);
        while ((r = io_unzip_read(u, buf, sizeof buf)) > 0) {
        }
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(io_unzip_read(u, buf, sizeof buf), 0);
        CHECK(!t.asked_after_end);
        io_unzip_free(u);
    }
    free(gz.p);
}

/* ---- compression ------------------------------------------------------- */

static int blob_sink(void *ctx, const char *p, size_t n)
{
    blob_add(ctx, p, n);
    return 0;
}

static int full_sink(void *ctx, const char *p, size_t n)
{
    (void)p;
    (void)n;
    (*(int *)ctx)++;
    return ENOSPC;
}

/* Compresses data with writes of `step` bytes (0: random sizes). */
static void zip_all(io_compress_kind kind, const blob *data, size_t step, blob *out)
{
    io_zip *z = io_zip_new(kind);
    CHECK(z != NULL);
    if (!z)
        return;
    out->n = 0;
    for (size_t at = 0; at < data->n;) {
        size_t n = step ? step : 1 + next_rand() % 3000;
        if (n > data->n - at)
            n = data->n - at;
        CHECK_EQ_INT(io_zip_write(z, data->p + at, n, blob_sink, out), 0);
        at += n;
    }
    CHECK_EQ_INT(io_zip_write(z, "", 0, blob_sink, out), 0);
    CHECK_EQ_INT(io_zip_finish(z, blob_sink, out), 0);
    io_zip_free(z);
}

static void test_zip(void)
{
    blob data = {0}, a = {0}, b = {0}, back = {0};
    make_data(&data, 700000);
    CHECK(io_zip_new(IO_COMPRESS_NONE) == NULL);
    io_compress_kind kinds[] = {IO_COMPRESS_GZIP, IO_COMPRESS_ZSTD};
    for (size_t k = 0; k < 2; k++) {
        zip_all(kinds[k], &data, data.n, &a);
        CHECK(a.n > 0 && a.n < data.n);
        /* the same bytes however the input was cut */
        size_t steps[] = {1, 7, 4096, 0};
        for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
            if (steps[s] == 1 && k == 0)
                continue; /* one-byte deflate calls: slow, proves nothing more */
            zip_all(kinds[k], &data, steps[s], &b);
            CHECK_MSG(blob_eq(&a, &b), "%s step %zu: %zu vs %zu bytes",
                      io_compress_name(kinds[k]), steps[s], a.n, b.n);
        }
        /* read back through the library's own decompressor, and ours */
        if (kinds[k] == IO_COMPRESS_GZIP) {
            CHECK(a.n > 10 && memcmp(a.p, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) == 0);
            z_stream z;
            memset(&z, 0, sizeof z);
            CHECK(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
            back.n = 0;
            blob_add(&back, NULL, data.n + 16);
            z.next_in = a.p;
            z.avail_in = (uInt)a.n;
            z.next_out = back.p;
            z.avail_out = (uInt)back.n;
            CHECK_EQ_INT(inflate(&z, Z_FINISH), Z_STREAM_END);
            back.n = z.total_out;
            CHECK_EQ_INT(z.avail_in, 0);
            inflateEnd(&z);
        } else {
            ZSTD_frameHeader fh;
            CHECK(ZSTD_getFrameHeader(&fh, a.p, a.n) == 0 && fh.checksumFlag == 1);
            back.n = 0;
            blob_add(&back, NULL, data.n + 16);
            size_t r = ZSTD_decompress(back.p, back.n, a.p, a.n);
            CHECK(!ZSTD_isError(r));
            back.n = ZSTD_isError(r) ? 0 : r;
        }
        CHECK(blob_eq(&back, &data));
        io_compress_kind got;
        CHECK_EQ_INT(unzip_all(&a, 0, 65536, &back, &got, NULL, 0), 0);
        CHECK(got == kinds[k] && blob_eq(&back, &data));

        /* empty input: a valid, empty stream */
        blob none = {0};
        zip_all(kinds[k], &none, 1, &b);
        CHECK(b.n > 0);
        CHECK_EQ_INT(unzip_all(&b, 0, 100, &back, &got, NULL, 0), 0);
        CHECK(got == kinds[k] && back.n == 0);

        /* a sink that fails: its errno comes back, from write or finish */
        io_zip *z = io_zip_new(kinds[k]);
        int calls = 0;
        CHECK(z != NULL);
        if (z) {
            /* gzip may hand its header out at once, zstd nothing yet */
            int e = io_zip_write(z, "small", 5, full_sink, &calls);
            CHECK(e == 0 || e == ENOSPC);
            int f = io_zip_finish(z, full_sink, &calls);
            CHECK_EQ_INT(f, ENOSPC);
            CHECK_EQ_INT(calls, 1); /* the first failure is remembered */
            io_zip_free(z);
        }
        z = io_zip_new(kinds[k]);
        calls = 0;
        if (z) {
            int e = io_zip_write(z, data.p, data.n, full_sink, &calls);
            CHECK_EQ_INT(e, ENOSPC);
            e = io_zip_write(z, "more", 4, full_sink, &calls);
            CHECK_EQ_INT(e, ENOSPC);
            e = io_zip_finish(z, full_sink, &calls);
            CHECK_EQ_INT(e, ENOSPC);
            CHECK_EQ_INT(calls, 1);
            io_zip_free(z);
        }
    }
    free(data.p);
    free(a.p);
    free(b.p);
    free(back.p);
}

int main(void)
{
    test_names();
    test_round_trips();
    test_concatenated();
    test_empty_streams();
    test_damage();
    test_passthrough();
    test_source_errors();
    test_zip();
    return t_done();
}
