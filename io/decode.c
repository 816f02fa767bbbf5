/* io/decode.c — the decoding source: UTF-8 passes through, anything else is
 * converted to UTF-8 in chunks with a map back to the source bytes (see
 * decode.h and docs/encodings.md).
 *
 * The source window: src[0..src_len) holds the source bytes from offset
 * src_base on. [0, src_drop) was released (dropped at the next compaction),
 * [src_drop, src_conv) was converted and may still be asked for,
 * [src_conv, src_len) is not converted yet.
 *
 * Every conversion call starts with a fresh converter at a character
 * boundary: after a call, the bytes the converter holds (a character cut by
 * the end of the chunk, or bytes it would replay after an error) are given
 * back and fed again with the next call. So ICU's offsets give each
 * character's first source byte, and a character's source bytes run to the
 * next character's first byte. Only stateless converters allow this; detect.c
 * refuses the others.
 *
 * The map: runs of characters that have the same converted and source
 * lengths (an ASCII stretch of windows-1252 is one run). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucnv.h>
#include <unicode/utf16.h>

#include "io/decode.h"

/* Source bytes read and converted per step. */
#define CHUNK ((size_t)64 * 1024)

typedef struct io_run {
    uint64_t conv, src; /* where the run starts */
    uint32_t n;         /* characters */
    uint16_t clen, slen;/* bytes per character, converted and source */
} io_run;

struct io_decode {
    io_read_fn read;
    void *ctx;
    io_decoding info;
    bool keep;          /* keep source bytes for io_decode_source_span */
    bool raw_eof;
    bool done;          /* every source byte was converted and handed out */
    bool need_more;     /* the unconverted bytes end inside a character */
    bool c1_undefined;  /* windows-125x: a byte that ICU maps to a C1 control
                           is one that the code page leaves undefined */
    char *src;
    size_t src_cap, src_len, src_drop, src_conv;
    uint64_t src_base;
    UConverter *cnv;
    UChar *u;
    int32_t *uoff;
    size_t ucap;
    char *out;          /* converted bytes not yet handed out */
    size_t out_cap, out_pos, out_len;
    uint64_t produced;  /* converted bytes made so far */
    uint64_t released;
    io_run *run;
    size_t head, nrun, run_cap; /* live runs: run[head..nrun) */
    uint64_t invalid;
};

/* ---- opening ------------------------------------------------------------ */

/* Reads the sample: want bytes, or fewer at the end of the input. Reads ask
 * for the whole sample, so a file gives it at once; a pipe is not waited on
 * past what the decision needs. */
static assay_status peek(io_decode *d, size_t want, assay_error *err)
{
    d->src_cap = IO_DECODE_SAMPLE;
    d->src = malloc(d->src_cap);
    if (!d->src)
        return ASSAY_E_NOMEM;
    while (d->src_len < want && !d->raw_eof) {
        ptrdiff_t got = d->read(d->ctx, d->src + d->src_len, IO_DECODE_SAMPLE - d->src_len);
        if (got < 0) {
            if (err) {
                err->status = ASSAY_E_IO;
                snprintf(err->message, sizeof err->message, "read error: %s",
                         strerror(errno));
            }
            return ASSAY_E_IO;
        }
        d->raw_eof = got == 0;
        d->src_len += (size_t)got;
    }
    return ASSAY_OK;
}

static assay_status open_converter(io_decode *d)
{
    UErrorCode e = U_ZERO_ERROR;
    d->cnv = ucnv_open(d->info.canon, &e);
    if (U_SUCCESS(e))
        ucnv_setToUCallBack(d->cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &e);
    if (U_FAILURE(e))
        return ASSAY_E_INTERNAL;
    d->ucap = 2 * CHUNK + 64;
    d->u = malloc(d->ucap * sizeof *d->u);
    d->uoff = malloc(d->ucap * sizeof *d->uoff);
    d->out_cap = 3 * d->ucap + 8;
    d->out = malloc(d->out_cap);
    return d->u && d->uoff && d->out ? ASSAY_OK : ASSAY_E_NOMEM;
}

assay_status io_decode_new(io_read_fn raw_read, void *raw_ctx, const char *encoding,
                           io_decode **out, assay_error *err)
{
    *out = NULL;
    io_decode *d = calloc(1, sizeof *d);
    if (!d)
        return ASSAY_E_NOMEM;
    d->read = raw_read;
    d->ctx = raw_ctx;
    d->keep = true;
    /* A declared encoding needs the byte order mark only (4 bytes at most):
     * records from a slow pipe are not held back for the detection sample. */
    bool declared = encoding && *encoding && strcasecmp(encoding, "auto") != 0;
    assay_status st = peek(d, declared ? 4 : IO_DECODE_SAMPLE, err);
    if (!st)
        st = io_decide(d->src, d->src_len, d->raw_eof, encoding, &d->info, err);
    if (!st && !d->info.utf8)
        st = open_converter(d);
    d->c1_undefined = !strncmp(d->info.name, "windows-", 8);
    if (st) {
        if (err && st != ASSAY_E_USAGE && st != ASSAY_E_IO) {
            err->status = st;
            snprintf(err->message, sizeof err->message, "%s opening the %s decoder",
                     st == ASSAY_E_NOMEM ? "out of memory" : "ICU failed", d->info.name);
        }
        io_decode_free(d);
        return st;
    }
    *out = d;
    return ASSAY_OK;
}

void io_decode_free(io_decode *d)
{
    if (!d)
        return;
    if (d->cnv)
        ucnv_close(d->cnv);
    free(d->src);
    free(d->u);
    free(d->uoff);
    free(d->out);
    free(d->run);
    free(d);
}

const io_decoding *io_decode_info(const io_decode *d)
{
    return &d->info;
}

bool io_decode_pending(const io_decode *d)
{
    return d->info.utf8 ? d->src_conv < d->src_len : d->out_pos < d->out_len;
}

bool io_decode_is_utf8(const io_decode *d)
{
    return d->info.utf8;
}

uint64_t io_decode_invalid_sequences(const io_decode *d)
{
    return d->invalid;
}

size_t io_decode_window(const io_decode *d)
{
    return d->src_len - d->src_drop + (d->nrun - d->head) * sizeof *d->run;
}

void io_decode_keep_source(io_decode *d, bool keep)
{
    d->keep = keep;
}

assay_status io_decode_to_source(const io_decode *d, const char *utf8, size_t n,
                                 core_buf *out)
{
    if (d->info.utf8 || n == 0)
        return n ? core_buf_append(out, utf8, n) : ASSAY_OK;
    if (n > INT32_MAX / 4)
        return ASSAY_E_LIMIT;
    UErrorCode e = U_ZERO_ERROR;
    int32_t need = ucnv_convert(d->info.canon, "UTF-8", NULL, 0, utf8, (int32_t)n, &e);
    if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
        return ASSAY_E_INTERNAL;
    assay_status st = core_buf_reserve(out, (size_t)need + 1);
    if (st)
        return st;
    e = U_ZERO_ERROR;
    int32_t got = ucnv_convert(d->info.canon, "UTF-8", out->data + out->len, need + 1, utf8,
                               (int32_t)n, &e);
    if (U_FAILURE(e))
        return ASSAY_E_INTERNAL;
    out->len += (size_t)got;
    return ASSAY_OK;
}

/* ---- the map ------------------------------------------------------------ */

/* Source offset (absolute) where the mapped source ends. */
static uint64_t mapped_end(const io_decode *d)
{
    return d->src_base + d->src_conv;
}

/* Maps `count` more characters of clen converted and slen source bytes. */
static int add_runs(io_decode *d, size_t clen, size_t slen, size_t count)
{
    if (clen > UINT16_MAX || slen > UINT16_MAX || clen == 0)
        return -1;
    if (d->nrun > d->head) {
        io_run *l = &d->run[d->nrun - 1];
        if (l->clen == clen && l->slen == slen && UINT32_MAX - l->n >= count) {
            l->n += (uint32_t)count;
            return 0;
        }
    }
    if (count > UINT32_MAX)
        return -1;
    if (d->nrun == d->run_cap) {
        if (d->head > d->nrun / 2) { /* drop the released runs */
            memmove(d->run, d->run + d->head, (d->nrun - d->head) * sizeof *d->run);
            d->nrun -= d->head;
            d->head = 0;
        } else {
            size_t cap = d->run_cap ? 2 * d->run_cap : 256;
            io_run *r = realloc(d->run, cap * sizeof *r);
            if (!r)
                return -1;
            d->run = r;
            d->run_cap = cap;
        }
    }
    d->run[d->nrun++] = (io_run){ d->produced, mapped_end(d), (uint32_t)count,
                                  (uint16_t)clen, (uint16_t)slen };
    return 0;
}

static int add_run(io_decode *d, size_t clen, size_t slen)
{
    return add_runs(d, clen, slen, 1);
}

/* The source offset of converted offset x (the start of the character that
 * holds x), or UINT64_MAX when x was released or not made yet. */
static uint64_t map_back(const io_decode *d, uint64_t x)
{
    if (x < d->released || x > d->produced)
        return UINT64_MAX;
    if (x == d->produced)
        return mapped_end(d);
    size_t lo = d->head, hi = d->nrun; /* last run starting at or before x */
    if (lo == hi || d->run[lo].conv > x)
        return UINT64_MAX;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->run[mid].conv <= x)
            lo = mid;
        else
            hi = mid;
    }
    const io_run *r = &d->run[lo];
    uint64_t k = (x - r->conv) / r->clen;
    return k > r->n ? UINT64_MAX : r->src + k * r->slen;
}

assay_status io_decode_source_span(const io_decode *d, uint64_t conv_off, size_t conv_len,
                                   io_span *out)
{
    memset(out, 0, sizeof *out);
    if (d->info.utf8) {
        out->offset = conv_off;
        out->len = conv_len;
        return ASSAY_OK;
    }
    uint64_t a = map_back(d, conv_off), b = map_back(d, conv_off + conv_len);
    if (!d->keep || a == UINT64_MAX || b == UINT64_MAX || a < d->src_base || b < a ||
        b > d->src_base + d->src_len)
        return ASSAY_E_INTERNAL;
    out->offset = a;
    out->len = (size_t)(b - a);
    out->bytes = d->src + (a - d->src_base);
    return ASSAY_OK;
}

void io_decode_release(io_decode *d, uint64_t conv_upto)
{
    if (d->info.utf8)
        return;
    if (conv_upto > d->produced)
        conv_upto = d->produced;
    if (conv_upto <= d->released)
        return;
    uint64_t s = map_back(d, conv_upto);
    d->released = conv_upto;
    if (s != UINT64_MAX && s - d->src_base > d->src_drop)
        d->src_drop = (size_t)(s - d->src_base);
    while (d->head < d->nrun) {
        const io_run *r = &d->run[d->head];
        if (r->conv + (uint64_t)r->n * r->clen > conv_upto)
            break;
        d->head++;
    }
}

/* ---- converting --------------------------------------------------------- */

/* Reads a chunk of source into the window, moving the live bytes to the
 * front when the dropped ones are at least as many (each byte moves O(1)
 * times), else growing. */
static int read_raw(io_decode *d)
{
    if (d->src_cap - d->src_len < CHUNK) {
        if (d->src_drop > 0 && d->src_drop >= d->src_len - d->src_drop) {
            memmove(d->src, d->src + d->src_drop, d->src_len - d->src_drop);
            d->src_base += d->src_drop;
            d->src_len -= d->src_drop;
            d->src_conv -= d->src_drop;
            d->src_drop = 0;
        }
        if (d->src_cap - d->src_len < CHUNK) {
            size_t cap = 2 * d->src_cap < d->src_len + CHUNK ? d->src_len + CHUNK
                                                              : 2 * d->src_cap;
            char *p = realloc(d->src, cap);
            if (!p) {
                errno = ENOMEM;
                return -1;
            }
            d->src = p;
            d->src_cap = cap;
        }
    }
    ptrdiff_t got = d->read(d->ctx, d->src + d->src_len, CHUNK);
    if (got < 0)
        return -1;
    d->raw_eof = got == 0;
    d->src_len += (size_t)got;
    return 0;
}

static char *put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Writes the UTF-8 of u[i..j) (one source character) to out; returns the
 * bytes written. A lone surrogate (no stateless converter should make one)
 * becomes a mark like any undecodable input. */
static size_t put_char(io_decode *d, size_t i, size_t j)
{
    char *o = d->out + d->out_len, *o0 = o;
    for (size_t p = i; p < j; p++) {
        UChar c = d->u[p];
        if (U16_IS_LEAD(c) && p + 1 < j && U16_IS_TRAIL(d->u[p + 1])) {
            o = put_utf8(o, (uint32_t)U16_GET_SUPPLEMENTARY(c, d->u[p + 1]));
            p++;
        } else if (U16_IS_SURROGATE(c)) {
            *o++ = (char)IO_DECODE_MARK;
            d->invalid++;
        } else {
            o = put_utf8(o, c);
        }
    }
    d->out_len += (size_t)(o - o0);
    return (size_t)(o - o0);
}

static int emit_mark(io_decode *d, size_t slen)
{
    d->out[d->out_len++] = (char)IO_DECODE_MARK;
    d->invalid++;
    if (add_run(d, 1, slen))
        return -1;
    d->produced += 1;
    d->src_conv += slen;
    return 0;
}

/* The common case: from unit i on, ASCII characters of one source byte
 * each, the first at source offset `from`. Returns where they end. */
static size_t ascii_run(const io_decode *d, size_t i, size_t m, size_t from, size_t end)
{
    const UChar *u = d->u;
    const int32_t *off = d->uoff;
    if (i >= m || (size_t)off[i] != from)
        return i;
    size_t a = i;
    while (a < m && u[a] < 0x80)
        a++;
    if (a == i)
        return i;
    size_t k = i + 1;
    while (k < a && off[k] == off[k - 1] + 1)
        k++;
    /* k units have consecutive offsets; the last one's byte must end where
     * the next character starts. */
    size_t next = k < m ? (size_t)off[k] : end;
    return next == (size_t)off[k - 1] + 1 ? k : k - 1;
}

/* Emits the m UTF-16 units ICU made from source bytes [src_conv,
 * src_conv + end): a character is the units that share one offset; its
 * source bytes run to the next character's offset (the last one's to end). */
static int emit_chars(io_decode *d, size_t m, size_t end)
{
    size_t i = 0, from = 0;
    while (i < m) {
        size_t a = ascii_run(d, i, m, from, end);
        if (a > i) {
            char *o = d->out + d->out_len;
            for (size_t p = i; p < a; p++)
                *o++ = (char)d->u[p];
            size_t k = a - i;
            if (add_runs(d, 1, 1, k))
                return -1;
            d->out_len += k;
            d->produced += k;
            d->src_conv += k;
            from += k;
            i = a;
            continue;
        }
        size_t j = i + 1;
        while (j < m && d->uoff[j] == d->uoff[i])
            j++;
        size_t to = j < m ? (size_t)d->uoff[j] : end;
        if (to < from || to > end)
            return -1;
        if (d->c1_undefined && j == i + 1 && d->u[i] >= 0x80 && d->u[i] <= 0x9F) {
            if (emit_mark(d, to - from))
                return -1;
        } else {
            size_t clen = put_char(d, i, j);
            if (add_run(d, clen, to - from))
                return -1;
            d->produced += clen;
            d->src_conv += to - from;
        }
        from = to;
        i = j;
    }
    return from == end ? 0 : -1;
}

static bool conversion_error(UErrorCode e)
{
    return e == U_INVALID_CHAR_FOUND || e == U_ILLEGAL_CHAR_FOUND ||
           e == U_TRUNCATED_CHAR_FOUND || e == U_ILLEGAL_ESCAPE_SEQUENCE ||
           e == U_UNSUPPORTED_ESCAPE_SEQUENCE;
}

static int grow_units(io_decode *d)
{
    size_t cap = 2 * d->ucap;
    UChar *u = realloc(d->u, cap * sizeof *u);
    if (u)
        d->u = u;
    int32_t *o = realloc(d->uoff, cap * sizeof *o);
    if (o)
        d->uoff = o;
    char *out = realloc(d->out, 3 * cap + 8);
    if (out)
        d->out = out;
    if (!u || !o || !out)
        return -1;
    d->ucap = cap;
    d->out_cap = 3 * cap + 8;
    return 0;
}

/* One ICU call over at most CHUNK unconverted bytes. */
static int convert(io_decode *d, size_t feed, bool flush)
{
    const char *s0 = d->src + d->src_conv, *s = s0;
    UChar *t = d->u;
    UErrorCode e = U_ZERO_ERROR, e2 = U_ZERO_ERROR;
    ucnv_toUnicode(d->cnv, &t, d->u + d->ucap, &s, s0 + feed, d->uoff, flush, &e);
    size_t m = (size_t)(t - d->u), used = (size_t)(s - s0);
    int32_t held = ucnv_toUCountPending(d->cnv, &e2);
    char bad[32];
    int8_t nbad = (int8_t)sizeof bad;
    if (conversion_error(e))
        ucnv_getInvalidChars(d->cnv, bad, &nbad, &e2);
    else
        nbad = 0;
    ucnv_resetToUnicode(d->cnv); /* the held bytes are fed again */
    if (e == U_BUFFER_OVERFLOW_ERROR)
        return grow_units(d);
    errno = 0; /* ENOMEM from a failed allocation below is said as such */
    if ((U_FAILURE(e) && !conversion_error(e)) || U_FAILURE(e2) || held < 0 ||
        (size_t)held + (size_t)nbad > used)
        goto internal;
    size_t end = used - (size_t)held - (size_t)nbad;
    if (flush && !nbad && held) { /* nothing may stay held at the end */
        nbad = (int8_t)(held > 32 ? 32 : held);
        end = used - (size_t)nbad;
    }
    if (emit_chars(d, m, end))
        goto internal;
    if (nbad && emit_mark(d, (size_t)nbad))
        goto internal;
    if (!nbad && end == 0 && !flush) {
        if (feed < d->src_len - d->src_conv) /* no progress: cannot happen */
            goto internal;
        d->need_more = true; /* a character cut by the end of the bytes read */
    } else if (held && !nbad && feed == d->src_len - d->src_conv) {
        d->need_more = true;
    }
    if (!d->keep)
        io_decode_release(d, d->produced);
    return 0;
internal:
    if (errno != ENOMEM)
        errno = EILSEQ;
    return -1;
}

/* Converts the next chunk into out (which is empty). */
static int step(io_decode *d)
{
    d->out_pos = d->out_len = 0;
    if (!d->raw_eof && (d->src_conv == d->src_len || d->need_more)) {
        d->need_more = false;
        if (read_raw(d))
            return -1;
    }
    size_t avail = d->src_len - d->src_conv;
    if (avail == 0) {
        d->done = d->raw_eof;
        return 0;
    }
    size_t feed = avail < CHUNK ? avail : CHUNK;
    return convert(d, feed, d->raw_eof && feed == avail);
}

const char *io_decode_peek(const io_decode *d, size_t *n)
{
    *n = d->src_len > d->src_conv ? d->src_len - d->src_conv : 0;
    return d->src ? d->src + d->src_conv : "";
}

ptrdiff_t io_decode_read(void *dec, char *buf, size_t cap)
{
    io_decode *d = dec;
    if (cap == 0)
        return 0;
    if (d->info.utf8) { /* the sample, then the source itself */
        if (d->src_conv < d->src_len) {
            size_t n = d->src_len - d->src_conv;
            n = n < cap ? n : cap;
            memcpy(buf, d->src + d->src_conv, n);
            d->src_conv += n;
            return (ptrdiff_t)n;
        }
        if (d->raw_eof)
            return 0;
        ptrdiff_t got = d->read(d->ctx, buf, cap);
        d->raw_eof = got == 0;
        return got;
    }
    while (d->out_pos == d->out_len) {
        if (d->done)
            return 0;
        if (step(d))
            return -1;
    }
    size_t n = d->out_len - d->out_pos;
    n = n < cap ? n : cap;
    memcpy(buf, d->out + d->out_pos, n);
    d->out_pos += n;
    return (ptrdiff_t)n;
}
