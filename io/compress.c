/* io/compress.c — gzip (zlib) and zstd, streaming, through fixed buffers
 * (see compress.h). */
#include "io/compress.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define UNZIP_IN ((size_t)128 << 10) /* compressed bytes read at a time */
#define ZIP_OUT ((size_t)128 << 10)  /* compressed bytes handed to the sink */
#define GZIP_LEVEL 6
#define ZSTD_LEVEL 3
#define GZIP_OS_UNIX 3               /* the header's OS byte, fixed */

/* ---- names ------------------------------------------------------------- */

io_compress_kind io_compress_from_name(const char *path, size_t *suffix_len)
{
    static const struct {
        const char *suffix;
        io_compress_kind kind;
    } known[] = {{".gz", IO_COMPRESS_GZIP}, {".zst", IO_COMPRESS_ZSTD}};
    if (suffix_len)
        *suffix_len = 0;
    if (!path || strcmp(path, "-") == 0)
        return IO_COMPRESS_NONE;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base);
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        size_t s = strlen(known[i].suffix);
        if (n > s && strcasecmp(base + n - s, known[i].suffix) == 0) {
            if (suffix_len)
                *suffix_len = s;
            return known[i].kind;
        }
    }
    return IO_COMPRESS_NONE;
}

const char *io_compress_name(io_compress_kind kind)
{
    switch (kind) {
    case IO_COMPRESS_GZIP:
        return "gzip";
    case IO_COMPRESS_ZSTD:
        return "zstd";
    case IO_COMPRESS_NONE:
        break;
    }
    return "none";
}

/* ---- input ------------------------------------------------------------- */

struct io_unzip {
    io_read_fn read;
    void *ctx;
    io_compress_kind kind;
    bool detected;
    bool eof;            /* the source said end of input: never asked again */
    bool failed;         /* err holds the message; every read fails */
    bool between;        /* gzip: a member ended; the next must be another */
    bool z_init;
    z_stream z;
    ZSTD_DCtx *zd;
    bool in_frame;       /* zstd: a frame was started and is not complete */
    unsigned char *in;   /* UNZIP_IN bytes: [in_pos, in_len) not used yet */
    size_t in_pos, in_len;
    char err[256];
};

assay_status io_unzip_new(io_read_fn read, void *ctx, io_unzip **out)
{
    *out = NULL;
    io_unzip *u = calloc(1, sizeof *u);
    if (!u)
        return ASSAY_E_NOMEM;
    u->in = malloc(UNZIP_IN);
    if (!u->in) {
        free(u);
        return ASSAY_E_NOMEM;
    }
    u->read = read;
    u->ctx = ctx;
    *out = u;
    return ASSAY_OK;
}

void io_unzip_free(io_unzip *u)
{
    if (!u)
        return;
    if (u->z_init)
        inflateEnd(&u->z);
    ZSTD_freeDCtx(u->zd);
    free(u->in);
    free(u);
}

io_compress_kind io_unzip_kind(const io_unzip *u)
{
    return u->kind;
}

const char *io_unzip_error(const io_unzip *u)
{
    return u->failed ? u->err : NULL;
}

static ptrdiff_t unzip_fail(io_unzip *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static ptrdiff_t unzip_fail(io_unzip *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->err, sizeof u->err, fmt, ap);
    va_end(ap);
    u->failed = true;
    errno = EIO;
    return -1;
}

/* Moves what is left to the front and reads more behind it. Returns the
 * bytes read, 0 at the end of the source (eof is set), -1 on its error. */
static ptrdiff_t unzip_refill(io_unzip *u)
{
    if (u->eof)
        return 0;
    if (u->in_pos) {
        memmove(u->in, u->in + u->in_pos, u->in_len - u->in_pos);
        u->in_len -= u->in_pos;
        u->in_pos = 0;
    }
    if (u->in_len == UNZIP_IN)
        return unzip_fail(u, "internal error: no room to read");
    ptrdiff_t n = u->read(u->ctx, (char *)u->in + u->in_len, UNZIP_IN - u->in_len);
    if (n < 0)
        return -1;
    if (n == 0)
        u->eof = true;
    u->in_len += (size_t)n;
    return n;
}

static bool is_zstd_magic(const unsigned char *p)
{
    static const unsigned char frame[4] = {0x28, 0xB5, 0x2F, 0xFD};
    return memcmp(p, frame, 4) == 0 ||
           ((p[0] & 0xF0) == 0x50 && p[1] == 0x2A && p[2] == 0x4D && p[3] == 0x18);
}

int io_unzip_detect(io_unzip *u)
{
    if (u->detected)
        return 0;
    while (u->in_len < 4 && !u->eof)
        if (unzip_refill(u) < 0)
            return -1;
    const unsigned char *p = u->in;
    if (u->in_len >= 2 && p[0] == 0x1F && p[1] == 0x8B) {
        if (inflateInit2(&u->z, 16 + MAX_WBITS) != Z_OK) {
            errno = ENOMEM;
            return -1;
        }
        u->z_init = true;
        u->kind = IO_COMPRESS_GZIP;
    } else if (u->in_len >= 4 && is_zstd_magic(p)) {
        u->zd = ZSTD_createDCtx();
        if (!u->zd) {
            errno = ENOMEM;
            return -1;
        }
        u->kind = IO_COMPRESS_ZSTD;
    }
    u->detected = true;
    return 0;
}

static ptrdiff_t gzip_read(io_unzip *u, char *buf, size_t cap)
{
    if (cap > UINT_MAX)
        cap = UINT_MAX;
    for (;;) {
        if (u->between) {
            /* A member ended: the end of the input, or another member. */
            if (u->in_len - u->in_pos < 2 && !u->eof) {
                if (unzip_refill(u) < 0)
                    return -1;
                continue;
            }
            size_t avail = u->in_len - u->in_pos;
            if (avail == 0)
                return 0;
            const unsigned char *p = u->in + u->in_pos;
            if (avail < 2 || p[0] != 0x1F || p[1] != 0x8B)
                return unzip_fail(u, "gzip data is damaged: bytes that are not gzip "
                                     "follow the end of the compressed data");
            if (inflateReset(&u->z) != Z_OK)
                return unzip_fail(u, "gzip data is damaged: cannot restart");
            u->between = false;
        }
        u->z.next_in = u->in + u->in_pos;
        u->z.avail_in = (uInt)(u->in_len - u->in_pos);
        u->z.next_out = (unsigned char *)buf;
        u->z.avail_out = (uInt)cap;
        int r = inflate(&u->z, Z_NO_FLUSH);
        u->in_pos = u->in_len - u->z.avail_in;
        size_t got = cap - u->z.avail_out;
        if (r == Z_STREAM_END) {
            u->between = true;
            if (got)
                return (ptrdiff_t)got;
            continue;
        }
        if (r == Z_OK || r == Z_BUF_ERROR) {
            if (got)
                return (ptrdiff_t)got;
            if (u->z.avail_in == 0) {
                ptrdiff_t n = unzip_refill(u);
                if (n < 0)
                    return -1;
                if (n == 0)
                    return unzip_fail(u, "the gzip stream ends early (truncated file?)");
                continue;
            }
            if (r == Z_BUF_ERROR) /* input and room, yet no progress */
                return unzip_fail(u, "gzip data is damaged: no progress");
            continue;
        }
        if (r == Z_MEM_ERROR) {
            errno = ENOMEM;
            return got ? (ptrdiff_t)got : -1;
        }
        unzip_fail(u, "gzip data is damaged: %s", u->z.msg ? u->z.msg : "unknown error");
        return got ? (ptrdiff_t)got : -1; /* what came before the damage first */
    }
}

static ptrdiff_t zstd_read(io_unzip *u, char *buf, size_t cap)
{
    for (;;) {
        ZSTD_inBuffer in = {u->in, u->in_len, u->in_pos};
        ZSTD_outBuffer out = {buf, cap, 0};
        size_t r = ZSTD_decompressStream(u->zd, &out, &in);
        bool moved = in.pos > u->in_pos || out.pos > 0;
        u->in_pos = in.pos;
        if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) {
            errno = ENOMEM; /* not damage: a retry may succeed */
            return out.pos ? (ptrdiff_t)out.pos : -1;
        }
        if (ZSTD_isError(r)) {
            unzip_fail(u, "zstd data is damaged: %s", ZSTD_getErrorName(r));
            return out.pos ? (ptrdiff_t)out.pos : -1; /* before the damage first */
        }
        /* 0: a frame ended and all of it was handed out; after that, a call
         * with no input asks for the next frame's header (r > 0) without
         * having started one. */
        if (r == 0)
            u->in_frame = false;
        else if (moved)
            u->in_frame = true;
        if (out.pos)
            return (ptrdiff_t)out.pos;
        if (in.pos < in.size)
            continue;
        ptrdiff_t n = unzip_refill(u);
        if (n < 0)
            return -1;
        if (n == 0) {
            if (u->in_frame)
                return unzip_fail(u, "the zstd stream ends early (truncated file?)");
            return 0;
        }
    }
}

ptrdiff_t io_unzip_read(void *ctx, char *buf, size_t cap)
{
    io_unzip *u = ctx;
    if (u->failed) {
        errno = EIO;
        return -1;
    }
    if (!u->detected && io_unzip_detect(u) < 0)
        return -1;
    if (cap == 0)
        return 0;
    if (cap > (size_t)PTRDIFF_MAX)
        cap = (size_t)PTRDIFF_MAX;
    switch (u->kind) {
    case IO_COMPRESS_GZIP:
        return gzip_read(u, buf, cap);
    case IO_COMPRESS_ZSTD:
        return zstd_read(u, buf, cap);
    case IO_COMPRESS_NONE:
        break;
    }
    /* Pass through: the peeked bytes first, then the source itself. */
    if (u->in_pos < u->in_len) {
        size_t n = u->in_len - u->in_pos;
        if (n > cap)
            n = cap;
        memcpy(buf, u->in + u->in_pos, n);
        u->in_pos += n;
        return (ptrdiff_t)n;
    }
    if (u->eof)
        return 0;
    ptrdiff_t n = u->read(u->ctx, buf, cap);
    if (n == 0)
        u->eof = true;
    return n;
}

/* ---- output ------------------------------------------------------------ */

struct io_zip {
    io_compress_kind kind;
    int failed;          /* the first failure (a sink's errno, or -1 for the
                            compressor's own): every later call returns it */
    z_stream z;
    gz_header head;      /* must outlive deflate's writing of the header */
    ZSTD_CCtx *zc;
    char *out;           /* ZIP_OUT bytes */
};

io_zip *io_zip_new(io_compress_kind kind)
{
    if (kind != IO_COMPRESS_GZIP && kind != IO_COMPRESS_ZSTD)
        return NULL;
    io_zip *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->kind = kind;
    z->out = malloc(ZIP_OUT);
    if (!z->out) {
        free(z);
        return NULL;
    }
    if (kind == IO_COMPRESS_GZIP) {
        /* windowBits 16 + 15: a gzip wrapper; the header is fixed (mtime 0,
         * no name, OS unix) so that the bytes are reproducible. */
        if (deflateInit2(&z->z, GZIP_LEVEL, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            free(z->out);
            free(z);
            return NULL;
        }
        z->head.os = GZIP_OS_UNIX;
        if (deflateSetHeader(&z->z, &z->head) != Z_OK) {
            io_zip_free(z);
            return NULL;
        }
        return z;
    }
    z->zc = ZSTD_createCCtx();
    if (!z->zc ||
        ZSTD_isError(ZSTD_CCtx_setParameter(z->zc, ZSTD_c_compressionLevel, ZSTD_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(z->zc, ZSTD_c_checksumFlag, 1))) {
        io_zip_free(z);
        return NULL;
    }
    return z;
}

void io_zip_free(io_zip *z)
{
    if (!z)
        return;
    if (z->kind == IO_COMPRESS_GZIP)
        deflateEnd(&z->z);
    ZSTD_freeCCtx(z->zc);
    free(z->out);
    free(z);
}

/* deflate with `flush` over what is in z->z.next_in, handing out every full
 * (or, at the end, partial) output buffer. */
static int gzip_run(io_zip *z, int flush, io_zip_sink sink, void *ctx)
{
    for (;;) {
        z->z.next_out = (unsigned char *)z->out;
        z->z.avail_out = (uInt)ZIP_OUT;
        int r = deflate(&z->z, flush);
        size_t have = ZIP_OUT - z->z.avail_out;
        if (r == Z_STREAM_ERROR || (r == Z_BUF_ERROR && flush == Z_FINISH && !have))
            return z->failed = -1;
        if (have) {
            int e = sink(ctx, z->out, have);
            if (e)
                return z->failed = e;
        }
        if (flush == Z_FINISH ? r == Z_STREAM_END
                              : z->z.avail_out != 0 && z->z.avail_in == 0)
            return 0;
    }
}

static int zstd_run(io_zip *z, ZSTD_inBuffer *in, ZSTD_EndDirective how,
                    io_zip_sink sink, void *ctx)
{
    for (;;) {
        ZSTD_outBuffer out = {z->out, ZIP_OUT, 0};
        size_t r = ZSTD_compressStream2(z->zc, &out, in, how);
        if (ZSTD_isError(r))
            return z->failed = -1;
        if (out.pos) {
            int e = sink(ctx, z->out, out.pos);
            if (e)
                return z->failed = e;
        }
        if (how == ZSTD_e_end ? r == 0 : in->pos == in->size)
            return 0;
    }
}

int io_zip_write(io_zip *z, const void *p, size_t n, io_zip_sink sink, void *ctx)
{
    if (z->failed)
        return z->failed;
    if (z->kind == IO_COMPRESS_ZSTD) {
        ZSTD_inBuffer in = {p, n, 0};
        return n ? zstd_run(z, &in, ZSTD_e_continue, sink, ctx) : 0;
    }
    const unsigned char *q = p;
    while (n > 0) {
        size_t chunk = n > UINT_MAX ? UINT_MAX : n;
        z->z.next_in = (unsigned char *)q; /* zlib's API is not const */
        z->z.avail_in = (uInt)chunk;
        int e = gzip_run(z, Z_NO_FLUSH, sink, ctx);
        if (e)
            return e;
        q += chunk;
        n -= chunk;
    }
    return 0;
}

int io_zip_finish(io_zip *z, io_zip_sink sink, void *ctx)
{
    if (z->failed)
        return z->failed;
    if (z->kind == IO_COMPRESS_ZSTD) {
        ZSTD_inBuffer in = {NULL, 0, 0};
        return zstd_run(z, &in, ZSTD_e_end, sink, ctx);
    }
    z->z.next_in = NULL;
    z->z.avail_in = 0;
    return gzip_run(z, Z_FINISH, sink, ctx);
}
