/* io/json_reader.c — the streaming JSON record reader (see json_reader.h and
 * docs/json.md).
 *
 * One buffer holds the bytes not yet handed out, then room for the next
 * block (as in the CSV reader). Record ends are found without parsing: NDJSON
 * lines with memchr, array elements with a small scanner that knows strings,
 * escapes and bracket depth. Each record is then parsed once with jansson
 * (validation, duplicate keys, string unescaping), and a second scanner over
 * the record's bytes, trusting jansson's verdict, finds the top-level members
 * and the byte span of every value a path names, so numbers keep their
 * digits and objects their text.
 *
 * Modes:
 *   M_NDJSON  one line at a time;
 *   M_START   an array document before its '[' (or a lone object);
 *   M_ARRAY   inside the array, before an element, ',' or ']';
 *   M_AFTER   after the closing ']' (or the lone object): only whitespace
 *             may follow, anything else is one json_parse record;
 *   M_PIECES  a record over max_record_bytes (or the rest of a broken
 *             document), handed out in pieces of at most max_record_bytes;
 *   M_DONE    nothing more. */
#include "io/json_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/utf8.h"
#include "io/csv_split.h"

#define JR_MIB ((size_t)1 << 20)
#define JR_LIMIT_MAX ((size_t)1 << 40)
#define JR_NONE ((size_t)-1)
#define JR_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL | \
                  JSON_DECODE_ANY)

enum { M_NDJSON, M_START, M_ARRAY, M_AFTER, M_PIECES, M_DONE };
enum { P_LINE, P_ELEM, P_REST }; /* what a record in pieces is */

/* One step of a path: a member name or an array index. */
typedef struct jr_seg {
    const char *key; /* into the borrowed path string */
    size_t klen;
    size_t index;
    bool is_index;
} jr_seg;

typedef struct jr_path {
    const char *full; /* the whole path, tried first as one literal key */
    size_t flen;
    size_t seg0, nseg;
    bool plain;       /* one key, no '.' or '[' */
} jr_path;

/* A member of the record object, as found in raw. */
typedef struct jr_member {
    size_t start;            /* the key's opening quote */
    size_t key_off, key_len; /* inside the quotes, as escaped */
    size_t val_off, val_len;
    size_t comma;            /* the comma after the value, or JR_NONE */
    bool esc;                /* the key holds a backslash */
    bool used;               /* a path names it */
} jr_member;

/* The array element scanner: where an element ends. */
typedef struct jr_escan {
    size_t depth;
    size_t last;   /* one past the last non-whitespace byte */
    bool in_str, esc;
} jr_escan;

typedef struct jr_pieces {
    int type;
    io_rec_kind kind;
    int next;      /* mode after the last piece */
    jr_escan es;   /* P_ELEM: the scan at the first byte not handed out */
    uint64_t line; /* where the record starts */
    uint64_t lfs;  /* line feeds handed out so far */
    bool more;     /* a piece was already handed out */
} jr_pieces;

struct io_json_reader {
    io_read_fn read;
    void *ctx;
    bool array;
    size_t max, block;
    char *buf;
    size_t cap, bufmax, pos, end;
    bool eof;
    uint64_t consumed; /* stream offset of buf[pos] */
    uint64_t line;     /* line of buf[pos] */
    uint64_t col;      /* characters before buf[pos] on its line (arrays) */
    int mode;
    bool single;       /* the document is one object, not an array */
    jr_pieces pc;
    char detail[320];
    /* the paths */
    jr_path *paths;
    size_t npaths;
    jr_seg *segs;
    size_t *hint;      /* per path: the member it named last time */
    /* one record's output */
    io_slice *fields;
    io_docval *vals;
    size_t *aoff;      /* per path: its text's offset in the arena, or JR_NONE */
    io_docextra *extra;
    size_t extra_cap;
    jr_member *mem;
    size_t nmem, mem_cap;
    char *arena;       /* unescaped strings */
    size_t alen, acap;
    char *scratch;     /* an unescaped key */
    size_t scap;
    io_doc doc;
};

static assay_status fail(assay_error *err, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static assay_status fail(assay_error *err, assay_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = st;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return st;
}

static size_t clamp_limit(size_t v, size_t dflt)
{
    if (v == 0)
        return dflt;
    return v > JR_LIMIT_MAX ? JR_LIMIT_MAX : v;
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- paths ----------------------------------------------------------------- */

/* "name[1][2]" -> its segments; false when part is not of that form. */
static bool parse_part(const char *p, size_t n, jr_seg *out, size_t *nout)
{
    const char *b = memchr(p, '[', n);
    size_t name = b ? (size_t)(b - p) : n, k = 0;
    if (name > 0 || !b)
        out[k++] = (jr_seg){ p, name, 0, false };
    for (size_t i = name; i < n;) {
        if (p[i] != '[' || i + 2 >= n || p[i + 1] < '0' || p[i + 1] > '9')
            return false;
        size_t v = 0, j = i + 1;
        for (; j < n && p[j] >= '0' && p[j] <= '9'; j++) {
            if (v > (SIZE_MAX - 9) / 10)
                return false;
            v = v * 10 + (size_t)(p[j] - '0');
        }
        if (j >= n || p[j] != ']')
            return false;
        out[k++] = (jr_seg){ NULL, 0, v, true };
        i = j + 1;
    }
    *nout = k;
    return true;
}

static assay_status parse_paths(io_json_reader *r, const char *const *paths, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total++;
        for (const char *s = paths[i]; *s; s++)
            total += *s == '.' || *s == '[';
    }
    r->paths = calloc(n + 1, sizeof *r->paths);
    r->segs = calloc(total + 1, sizeof *r->segs);
    if (!r->paths || !r->segs)
        return ASSAY_E_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        jr_path *pa = &r->paths[i];
        pa->full = paths[i];
        pa->flen = strlen(paths[i]);
        pa->plain = strpbrk(paths[i], ".[") == NULL;
        pa->seg0 = k;
        const char *s = paths[i], *e = s + pa->flen;
        for (;;) {
            const char *dot = memchr(s, '.', (size_t)(e - s));
            size_t len = dot ? (size_t)(dot - s) : (size_t)(e - s), got = 0;
            if (!parse_part(s, len, r->segs + k, &got)) {
                r->segs[k] = (jr_seg){ s, len, 0, false };
                got = 1;
            }
            k += got;
            if (!dot)
                break;
            s = dot + 1;
        }
        pa->nseg = k - pa->seg0;
    }
    r->npaths = n;
    return ASSAY_OK;
}

/* ---- the reader's life ------------------------------------------------------ */

assay_status io_json_reader_new(io_read_fn read, void *ctx, const io_json_opts *o,
                                io_json_reader **out)
{
    *out = NULL;
    io_json_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ASSAY_E_NOMEM;
    r->read = read;
    r->ctx = ctx;
    r->array = o->array;
    r->max = clamp_limit(o->max_record_bytes, 16 * JR_MIB);
    r->block = clamp_limit(o->block_size, JR_MIB);
    /* A record (plus a CR LF to see its end) and a block. */
    r->bufmax = r->max + 2 + r->block + 64;
    r->cap = 2 * r->block + 64;
    if (r->cap > r->bufmax)
        r->cap = r->bufmax;
    /* Zeroed, like every growth below: pcre2's JIT may read whole words past
     * a value's end; they must never be uninitialised. */
    r->buf = calloc(1, r->cap);
    r->line = 1;
    r->mode = o->array ? M_START : M_NDJSON;
    size_t n = o->npaths;
    r->fields = calloc(n + 1, sizeof *r->fields);
    r->vals = calloc(n + 1, sizeof *r->vals);
    r->aoff = calloc(n + 1, sizeof *r->aoff);
    r->hint = calloc(n + 1, sizeof *r->hint);
    if (!r->buf || !r->fields || !r->vals || !r->aoff || !r->hint ||
        parse_paths(r, o->paths, n)) {
        io_json_reader_free(r);
        return ASSAY_E_NOMEM;
    }
    r->doc.vals = r->vals;
    r->doc.nvals = n;
    *out = r;
    return ASSAY_OK;
}

void io_json_reader_free(io_json_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->paths);
    free(r->segs);
    free(r->hint);
    free(r->fields);
    free(r->vals);
    free(r->aoff);
    free(r->extra);
    free(r->mem);
    free(r->arena);
    free(r->scratch);
    free(r);
}

/* ---- the buffer --------------------------------------------------------------- */

static assay_status make_room(io_json_reader *r, assay_error *err)
{
    if (r->cap - r->end >= r->block)
        return ASSAY_OK;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->end < r->block && r->cap < r->bufmax) {
        size_t cap = r->cap * 2;
        if (cap < r->end + r->block)
            cap = r->end + r->block;
        if (cap > r->bufmax)
            cap = r->bufmax;
        char *b = realloc(r->buf, cap);
        if (!b)
            return fail(err, ASSAY_E_NOMEM, "out of memory growing the JSON buffer");
        memset(b + r->cap, 0, cap - r->cap);
        r->buf = b;
        r->cap = cap;
    }
    return ASSAY_OK;
}

static assay_status refill(io_json_reader *r, assay_error *err)
{
    if (r->eof)
        return ASSAY_OK;
    assay_status st = make_room(r, err);
    if (st)
        return st;
    size_t room = r->cap - r->end;
    if (room > r->block)
        room = r->block;
    if (room == 0)
        return fail(err, ASSAY_E_INTERNAL, "JSON reader: lookahead exceeds its buffer");
    ptrdiff_t got = r->read(r->ctx, r->buf + r->end, room);
    if (got < 0)
        return fail(err, ASSAY_E_IO, "read error: %s", strerror(errno));
    if ((size_t)got > room)
        return fail(err, ASSAY_E_INTERNAL, "JSON reader: the source overran its buffer");
    if (got == 0)
        r->eof = true;
    r->end += (size_t)got;
    return ASSAY_OK;
}

static assay_status ensure(io_json_reader *r, size_t need, assay_error *err)
{
    while (r->end - r->pos < need && !r->eof) {
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

/* Consumes n bytes, keeping line and column (in characters) up to date. */
static void advance(io_json_reader *r, size_t n)
{
    const char *p = r->buf + r->pos, *e = p + n, *from = p, *nl;
    while (from < e && (nl = memchr(from, '\n', (size_t)(e - from))) != NULL) {
        r->line++;
        r->col = 0;
        from = nl + 1;
    }
    for (; from < e; from++)
        r->col += ((unsigned char)*from & 0xC0) != 0x80;
    r->pos += n;
    r->consumed += n;
}

/* Skips whitespace; leaves pos at the next byte, or at end with eof. */
static assay_status skip_space(io_json_reader *r, assay_error *err)
{
    for (;;) {
        size_t i = r->pos;
        while (i < r->end && is_ws((unsigned char)r->buf[i]))
            i++;
        advance(r, i - r->pos);
        if (r->pos < r->end || r->eof)
            return ASSAY_OK;
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
}

/* Where to cut a piece of at most `want` bytes: not inside a UTF-8 sequence. */
static size_t utf8_cut(const char *p, size_t want)
{
    for (size_t k = 1; k <= 3 && k < want; k++) {
        unsigned char b = (unsigned char)p[want - k];
        if ((b & 0xC0) == 0x80)
            continue;
        if (b >= 0xC0) {
            size_t seq = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            if (k < seq)
                return want - k;
        }
        break;
    }
    return want;
}

/* ---- finding an array element's end ------------------------------------------ */

/* Scans p[from..to). Returns true with *at where the element ends: the ',' or
 * ']' at depth 0 (array), or one past the '}' that closes a lone object. */
static bool escan(jr_escan *s, const char *p, size_t from, size_t to, bool lone,
                  size_t *at)
{
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)p[i];
        if (s->in_str) {
            if (s->esc)
                s->esc = false;
            else if (c == '\\')
                s->esc = true;
            else if (c == '"')
                s->in_str = false;
            s->last = i + 1;
            continue;
        }
        switch (c) {
        case ' ': case '\t': case '\r': case '\n':
            continue;
        case '"':
            s->in_str = true;
            break;
        case '{': case '[':
            s->depth++;
            break;
        case '}': case ']':
            if (s->depth == 0) {
                if (c == ']' && !lone) {
                    *at = i;
                    return true;
                }
                break;
            }
            if (--s->depth == 0 && lone) {
                s->last = i + 1;
                *at = i + 1;
                return true;
            }
            break;
        case ',':
            if (s->depth == 0 && !lone) {
                *at = i;
                return true;
            }
            break;
        default:
            break;
        }
        s->last = i + 1;
    }
    return false;
}

/* ---- the bytes of a parsed record ---------------------------------------------- */

/* These trust that p[..e) was accepted by jansson; bounds are still checked. */

static size_t skip_ws(const char *p, size_t i, size_t e)
{
    while (i < e && is_ws((unsigned char)p[i]))
        i++;
    return i;
}

/* p[i] is '"': one past the closing quote. */
static size_t str_end(const char *p, size_t i, size_t e)
{
    size_t s0 = i + 1, j = s0;
    while (j < e) {
        const char *q = memchr(p + j, '"', e - j);
        if (!q)
            return e;
        size_t k = (size_t)(q - p), b = k;
        while (b > s0 && p[b - 1] == '\\')
            b--;
        if (((k - b) & 1) == 0)
            return k + 1;
        j = k + 1;
    }
    return e;
}

/* One past the value at p[i]. */
static size_t value_end(const char *p, size_t i, size_t e)
{
    if (i >= e)
        return e;
    unsigned char c = (unsigned char)p[i];
    if (c == '"')
        return str_end(p, i, e);
    if (c == '{' || c == '[') {
        size_t depth = 0;
        while (i < e) {
            c = (unsigned char)p[i];
            if (c == '"') {
                i = str_end(p, i, e);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return e;
    }
    while (i < e && !is_ws((unsigned char)p[i]) && p[i] != ',' && p[i] != '}' && p[i] != ']')
        i++;
    return i;
}

static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = (unsigned char)s[k];
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unescapes the contents of a valid JSON string into out (never longer). */
static size_t unescape(const char *s, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        if (s[i] != '\\' || i + 1 >= n) {
            out[o++] = s[i++];
            continue;
        }
        char c = s[i + 1];
        i += 2;
        switch (c) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            if (i + 4 > n)
                return o;
            unsigned cp = hex4(s + i);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && s[i] == '\\' &&
                s[i + 1] == 'u') {
                unsigned lo = hex4(s + i + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            o += put_utf8(out + o, cp);
            break;
        }
        default: out[o++] = c; break;
        }
    }
    return o;
}

/* Is the escaped key raw[off..off+len) the name key[0..klen)? */
static bool key_eq(io_json_reader *r, const char *raw, size_t off, size_t len, bool esc,
                   const char *key, size_t klen)
{
    if (!esc)
        return len == klen && memcmp(raw + off, key, klen) == 0;
    size_t n = unescape(raw + off, len, r->scratch); /* scratch >= the record */
    return n == klen && memcmp(r->scratch, key, klen) == 0;
}

static assay_status grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return ASSAY_OK;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return ASSAY_E_NOMEM;
    *p = q;
    *cap = c;
    return ASSAY_OK;
}

/* Records the members of the object in raw[b..e). */
static assay_status scan_members(io_json_reader *r, const char *raw, size_t b, size_t e)
{
    r->nmem = 0;
    size_t i = skip_ws(raw, b, e);
    if (i >= e || raw[i] != '{')
        return ASSAY_OK;
    i = skip_ws(raw, i + 1, e);
    while (i < e && raw[i] == '"') {
        if (grow((void **)&r->mem, &r->mem_cap, r->nmem + 1, sizeof *r->mem))
            return ASSAY_E_NOMEM;
        jr_member *m = &r->mem[r->nmem++];
        size_t ke = str_end(raw, i, e);
        m->start = i;
        m->key_off = i + 1;
        m->key_len = ke > i + 1 ? ke - i - 2 : 0;
        m->esc = memchr(raw + m->key_off, '\\', m->key_len) != NULL;
        m->used = false;
        m->comma = JR_NONE;
        i = skip_ws(raw, ke, e);
        i = skip_ws(raw, i + (i < e && raw[i] == ':'), e);
        m->val_off = i;
        i = value_end(raw, i, e);
        m->val_len = i - m->val_off;
        i = skip_ws(raw, i, e);
        if (i >= e || raw[i] != ',')
            break;
        m->comma = i;
        i = skip_ws(raw, i + 1, e);
    }
    return ASSAY_OK;
}

/* The member of the record object named key: the hint first. */
static size_t top_find(io_json_reader *r, const char *raw, const char *key, size_t klen,
                       size_t hint)
{
    if (hint < r->nmem) {
        const jr_member *m = &r->mem[hint];
        if (key_eq(r, raw, m->key_off, m->key_len, m->esc, key, klen))
            return hint;
    }
    for (size_t k = 0; k < r->nmem; k++) {
        const jr_member *m = &r->mem[k];
        if (k != hint && key_eq(r, raw, m->key_off, m->key_len, m->esc, key, klen))
            return k;
    }
    return JR_NONE;
}

/* In the object at raw[*off..+*len), the value of key: its span. */
static bool find_key(io_json_reader *r, const char *raw, size_t *off, size_t *len,
                     const char *key, size_t klen)
{
    size_t e = *off + *len, i = skip_ws(raw, *off + 1, e);
    while (i < e && raw[i] == '"') {
        size_t ke = str_end(raw, i, e), ko = i + 1, kl = ke > i + 1 ? ke - i - 2 : 0;
        bool esc = memchr(raw + ko, '\\', kl) != NULL;
        i = skip_ws(raw, ke, e);
        i = skip_ws(raw, i + (i < e && raw[i] == ':'), e);
        size_t ve = value_end(raw, i, e);
        if (key_eq(r, raw, ko, kl, esc, key, klen)) {
            *off = i;
            *len = ve - i;
            return true;
        }
        i = skip_ws(raw, ve, e);
        if (i >= e || raw[i] != ',')
            return false;
        i = skip_ws(raw, i + 1, e);
    }
    return false;
}

/* In the array at raw[*off..+*len), element idx: its span. */
static bool find_index(const char *raw, size_t *off, size_t *len, size_t idx)
{
    size_t e = *off + *len, i = skip_ws(raw, *off + 1, e);
    for (size_t k = 0; i < e && raw[i] != ']'; k++) {
        size_t ve = value_end(raw, i, e);
        if (k == idx) {
            *off = i;
            *len = ve - i;
            return true;
        }
        i = skip_ws(raw, ve, e);
        if (i >= e || raw[i] != ',')
            return false;
        i = skip_ws(raw, i + 1, e);
    }
    return false;
}

/* Path i in the record: its jansson value and its span, or NULL (absent). */
static json_t *lookup(io_json_reader *r, const char *raw, json_t *root, size_t i,
                      size_t *off, size_t *len)
{
    const jr_path *pa = &r->paths[i];
    const jr_seg *seg = r->segs + pa->seg0;
    size_t m = JR_NONE, k = 1;
    json_t *v = NULL;
    if (!pa->plain) { /* a key spelt like a path names itself first */
        m = top_find(r, raw, pa->full, pa->flen, r->hint[i]);
        if (m != JR_NONE) {
            v = json_object_getn(root, pa->full, pa->flen);
            k = pa->nseg;
        }
    }
    if (m == JR_NONE) {
        if (pa->nseg == 0 || seg[0].is_index)
            return NULL;
        m = top_find(r, raw, seg[0].key, seg[0].klen, r->hint[i]);
        if (m == JR_NONE)
            return NULL;
        v = json_object_getn(root, seg[0].key, seg[0].klen);
    }
    r->mem[m].used = true;
    r->hint[i] = m;
    *off = r->mem[m].val_off;
    *len = r->mem[m].val_len;
    for (; v && k < pa->nseg; k++) {
        if (seg[k].is_index) {
            v = json_is_array(v) ? json_array_get(v, seg[k].index) : NULL;
            if (v && !find_index(raw, off, len, seg[k].index))
                v = NULL;
        } else {
            v = json_is_object(v) ? json_object_getn(v, seg[k].key, seg[k].klen) : NULL;
            if (v && !find_key(r, raw, off, len, seg[k].key, seg[k].klen))
                v = NULL;
        }
    }
    return v;
}

static assay_status arena_put(io_json_reader *r, const char *s, size_t n, size_t *at)
{
    if (r->acap - r->alen < n + 1) {
        size_t c = r->acap ? r->acap : 256;
        while (c - r->alen < n + 1)
            c *= 2;
        char *a = realloc(r->arena, c);
        if (!a)
            return ASSAY_E_NOMEM;
        memset(a + r->acap, 0, c - r->acap);
        r->arena = a;
        r->acap = c;
    }
    *at = r->alen;
    if (n)
        memcpy(r->arena + r->alen, s, n);
    r->alen += n;
    return ASSAY_OK;
}

/* One path's value: kind, span and text. */
static assay_status take_value(io_json_reader *r, const char *raw, size_t i, json_t *v,
                               size_t off, size_t len)
{
    io_docval *dv = &r->vals[i];
    io_slice *f = &r->fields[i];
    *dv = (io_docval){ IO_V_ABSENT, 0, 0, 0 };
    *f = (io_slice){ NULL, 0 };
    r->aoff[i] = JR_NONE;
    if (!v)
        return ASSAY_OK;
    dv->off = off;
    dv->len = len;
    *f = (io_slice){ raw + off, len };
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        dv->kind = IO_V_OBJECT;
        dv->items = json_object_size(v);
        break;
    case JSON_ARRAY:
        dv->kind = IO_V_ARRAY;
        dv->items = json_array_size(v);
        break;
    case JSON_STRING:
        dv->kind = IO_V_STRING;
        if (len >= 2 && !memchr(raw + off + 1, '\\', len - 2)) {
            *f = (io_slice){ raw + off + 1, len - 2 };
        } else {
            f->n = json_string_length(v);
            f->p = NULL;
            if (arena_put(r, json_string_value(v), f->n, &r->aoff[i]))
                return ASSAY_E_NOMEM;
        }
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        dv->kind = IO_V_NUMBER;
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        dv->kind = IO_V_BOOL;
        break;
    case JSON_NULL:
    default:
        dv->kind = IO_V_NULL;
        *f = (io_slice){ NULL, 0 };
        break;
    }
    return ASSAY_OK;
}

/* The members no path named, with the spans that cut them out. */
static assay_status take_extras(io_json_reader *r)
{
    size_t n = 0;
    for (size_t k = 0; k < r->nmem; k++) {
        const jr_member *m = &r->mem[k];
        if (m->used)
            continue;
        if (grow((void **)&r->extra, &r->extra_cap, n + 1, sizeof *r->extra))
            return ASSAY_E_NOMEM;
        size_t vend = m->val_off + m->val_len, off = m->start, end = vend;
        if (m->comma != JR_NONE)
            end = m->comma + 1;
        else if (k > 0)
            off = r->mem[k - 1].comma;
        r->extra[n++] = (io_docextra){ m->key_off, m->key_len, off, end - off,
                                       m->val_off, m->val_len };
    }
    r->doc.extra = r->extra;
    r->doc.nextra = n;
    return ASSAY_OK;
}

/* rec->raw[b..e) parsed to the object root: fill fields and doc. */
static assay_status build_ok(io_json_reader *r, io_record *rec, size_t b, size_t e,
                             json_t *root)
{
    const char *raw = rec->raw;
    if (r->scap < e - b + 1) {
        char *s = realloc(r->scratch, e - b + 1);
        if (!s)
            return ASSAY_E_NOMEM;
        r->scratch = s;
        r->scap = e - b + 1;
    }
    if (scan_members(r, raw, b, e))
        return ASSAY_E_NOMEM;
    r->alen = 0;
    for (size_t i = 0; i < r->npaths; i++) {
        size_t off = 0, len = 0;
        json_t *v = lookup(r, raw, root, i, &off, &len);
        if (take_value(r, raw, i, v, off, len))
            return ASSAY_E_NOMEM;
    }
    bool ctl_free = true;
    for (size_t i = 0; i < r->npaths; i++) {
        io_slice *f = &r->fields[i];
        if (r->aoff[i] != JR_NONE)
            f->p = r->arena + r->aoff[i];
        if (ctl_free && f->p && r->vals[i].kind != IO_V_NUMBER &&
            r->vals[i].kind != IO_V_BOOL && !io_csv_ctl_free(f->p, f->n))
            ctl_free = false;
    }
    if (take_extras(r))
        return ASSAY_E_NOMEM;
    rec->kind = IO_REC_OK;
    rec->nfields = r->npaths;
    rec->fields = r->fields;
    rec->ctl_free = ctl_free;
    rec->doc = &r->doc;
    return ASSAY_OK;
}

static const char *kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    default: return "object";
    }
}

/* Parses rec->raw[b..e) (rec->line set; col0: characters before raw[0] on
 * its line) and judges the record. */
static assay_status parse_record(io_json_reader *r, io_record *rec, size_t b, size_t e,
                                 uint64_t col0, assay_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(rec->raw + b, e - b, JR_FLAGS, &je);
    rec->bad_utf8 = false;
    if (!root) {
        if (json_error_code(&je) == json_error_out_of_memory)
            return fail(err, ASSAY_E_NOMEM, "out of memory parsing a JSON record");
        uint64_t line = rec->line + (je.line > 1 ? (uint64_t)je.line - 1 : 0);
        uint64_t col = je.column > 0 ? (uint64_t)je.column : 1;
        if (je.line <= 1)
            col += col0;
        snprintf(r->detail, sizeof r->detail, "line %llu, column %llu: %s",
                 (unsigned long long)line, (unsigned long long)col, je.text);
        rec->kind = IO_REC_JSON_PARSE;
        rec->detail = r->detail;
        rec->ctl_free = io_csv_ctl_free(rec->raw, rec->raw_len);
        return ASSAY_OK;
    }
    if (!json_is_object(root)) {
        snprintf(r->detail, sizeof r->detail,
                 "a JSON %s where a record object was expected", kind_name(root));
        json_decref(root);
        rec->kind = IO_REC_NOT_OBJECT;
        rec->detail = r->detail;
        rec->ctl_free = io_csv_ctl_free(rec->raw, rec->raw_len);
        return ASSAY_OK;
    }
    assay_status st = build_ok(r, rec, b, e, root);
    json_decref(root);
    if (st)
        return fail(err, st, "out of memory reading a JSON record");
    return ASSAY_OK;
}

/* ---- records in pieces ------------------------------------------------------------ */

static assay_status next_piece(io_json_reader *r, io_record *rec, assay_error *err)
{
    jr_pieces *pc = &r->pc;
    assay_status st = ensure(r, r->max + 1, err);
    if (st)
        return st;
    const char *p = r->buf + r->pos;
    size_t avail = r->end - r->pos, len, at = 0;
    bool last = avail <= r->max; /* then the input ends within the piece */
    if (pc->type == P_LINE) {
        const char *nl = memchr(p, '\n', last ? avail : r->max);
        if (nl) {
            last = true;
            len = (size_t)(nl - p) + 1;
        } else
            len = last ? avail : utf8_cut(p, r->max);
    } else if (pc->type == P_ELEM) {
        jr_escan t = pc->es;
        if (escan(&t, p, 0, avail < r->max + 1 ? avail : r->max + 1, r->single, &at)) {
            last = true;
            len = at;
        } else {
            len = last ? avail : utf8_cut(p, r->max);
            escan(&pc->es, p, 0, len, r->single, &at);
        }
    } else
        len = last ? avail : utf8_cut(p, r->max);
    rec->kind = pc->kind;
    rec->detail = r->detail;
    rec->raw = p;
    rec->raw_len = len;
    rec->raw_more = !last;
    rec->continued = pc->more;
    rec->line = pc->line;
    rec->offset = r->consumed;
    rec->ctl_free = io_csv_ctl_free(p, len);
    if (pc->kind == IO_REC_TOO_LARGE) {
        size_t bad = core_utf8_invalid_at(p, len);
        rec->bad_utf8 = bad < len;
        rec->bad_utf8_at = rec->bad_utf8 ? bad : 0;
    }
    uint64_t line0 = r->line;
    advance(r, len);
    pc->lfs += r->line - line0;
    rec->lines = pc->lfs + 1 - (p[len - 1] == '\n'); /* len > 0 */
    pc->more = true;
    if (last)
        r->mode = pc->next;
    return ASSAY_OK;
}

static assay_status start_pieces(io_json_reader *r, io_record *rec, int type,
                                 io_rec_kind kind, int next, assay_error *err)
{
    jr_pieces *pc = &r->pc;
    memset(pc, 0, sizeof *pc);
    pc->type = type;
    pc->kind = kind;
    pc->next = next;
    pc->line = r->line;
    r->mode = M_PIECES;
    return next_piece(r, rec, err);
}

/* The rest of the input as one json_parse record (in pieces when large). */
static assay_status rest_record(io_json_reader *r, io_record *rec, const char *what,
                                assay_error *err)
{
    snprintf(r->detail, sizeof r->detail, "line %llu, column %llu: %s",
             (unsigned long long)r->line, (unsigned long long)r->col + 1, what);
    return start_pieces(r, rec, P_REST, IO_REC_JSON_PARSE, M_DONE, err);
}

/* ---- NDJSON ------------------------------------------------------------------------ */

static bool all_ws(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_ws((unsigned char)p[i]))
            return false;
    return true;
}

static assay_status ndjson_next(io_json_reader *r, io_record *rec, assay_error *err)
{
    size_t win = r->max + 2, k = 0, avail, w;
    const char *nl;
    for (;;) { /* the line end, within a record and a CR LF */
        avail = r->end - r->pos;
        w = avail < win ? avail : win;
        nl = memchr(r->buf + r->pos + k, '\n', w - k);
        if (nl || w == win || r->eof)
            break;
        k = w;
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
    const char *p = r->buf + r->pos;
    size_t len = nl ? (size_t)(nl - p) + 1 : w;
    size_t ce = nl ? len - 1 - (len >= 2 && p[len - 2] == '\r') : len;
    size_t cb = r->consumed == 0 && ce >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if ((!nl && !r->eof) || ce - cb > r->max) {
        snprintf(r->detail, sizeof r->detail, "line longer than max_record_bytes (%zu)",
                 r->max);
        return start_pieces(r, rec, P_LINE, IO_REC_TOO_LARGE, M_NDJSON, err);
    }
    rec->raw = p;
    rec->raw_len = len;
    rec->offset = r->consumed;
    rec->line = r->line;
    rec->lines = 1;
    r->line += nl != NULL;
    r->pos += len;
    r->consumed += len;
    if (all_ws(p + cb, ce - cb)) {
        rec->kind = IO_REC_BLANK;
        rec->ctl_free = true;
        return ASSAY_OK;
    }
    return parse_record(r, rec, cb, ce, 0, err);
}

/* ---- arrays -------------------------------------------------------------------------- */

/* The element at pos (its first byte is not whitespace). */
static assay_status element(io_json_reader *r, io_record *rec, assay_error *err)
{
    jr_escan es = { 0, 0, false, false };
    size_t win = r->max + 1, k = 0, at = 0, avail, w;
    bool found;
    for (;;) {
        avail = r->end - r->pos;
        w = avail < win ? avail : win;
        found = escan(&es, r->buf + r->pos, k, w, r->single, &at);
        if (found || w == win || r->eof)
            break;
        k = w;
        assay_status st = refill(r, err);
        if (st)
            return st;
    }
    int next = r->single ? M_AFTER : M_ARRAY;
    if (!found && !(r->eof && avail <= r->max)) {
        snprintf(r->detail, sizeof r->detail,
                 "array element longer than max_record_bytes (%zu)", r->max);
        return start_pieces(r, rec, P_ELEM, IO_REC_TOO_LARGE, next, err);
    }
    size_t span = found ? at : avail, len = es.last;
    rec->raw = r->buf + r->pos;
    rec->raw_len = len;
    rec->offset = r->consumed;
    rec->line = r->line;
    uint64_t col0 = r->col;
    advance(r, len);
    rec->lines = r->line - rec->line + 1 - (rec->raw[len - 1] == '\n'); /* len > 0 */
    advance(r, span - len);
    r->mode = next;
    return parse_record(r, rec, 0, len, col0, err);
}

static assay_status array_next(io_json_reader *r, io_record *rec, bool *eof,
                               assay_error *err)
{
    for (;;) {
        assay_status st;
        if (r->mode == M_DONE) {
            *eof = true;
            return ASSAY_OK;
        }
        if (r->mode == M_START && r->consumed == 0) {
            if ((st = ensure(r, 3, err)))
                return st;
            if (r->end - r->pos >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0) {
                advance(r, 3);
                r->col = 0;
            }
        }
        if ((st = skip_space(r, err)))
            return st;
        if (r->pos == r->end) {
            r->mode = M_DONE;
            continue;
        }
        char c = r->buf[r->pos];
        switch (r->mode) {
        case M_START:
            if (c == '[') {
                advance(r, 1);
                r->mode = M_ARRAY;
                continue;
            }
            if (c == '{') {
                r->single = true;
                return element(r, rec, err);
            }
            return rest_record(r, rec,
                               "expected '[' (an array of records) or '{' (one record)",
                               err);
        case M_ARRAY:
            if (c == ']' || c == ',') { /* an empty element is skipped */
                advance(r, 1);
                r->mode = c == ']' ? M_AFTER : M_ARRAY;
                continue;
            }
            return element(r, rec, err);
        default: /* M_AFTER */
            return rest_record(r, rec,
                               r->single ? "text after the end of the record object"
                                         : "text after the end of the JSON array",
                               err);
        }
    }
}

/* ---- the interface ------------------------------------------------------------------ */

assay_status io_json_next(io_json_reader *r, io_record *rec, bool *eof, assay_error *err)
{
    static const io_record zero;
    memcpy(rec, &zero, sizeof *rec);
    *eof = false;
    if (r->mode == M_PIECES)
        return next_piece(r, rec, err);
    if (r->array)
        return array_next(r, rec, eof, err);
    assay_status st = ensure(r, 1, err);
    if (st)
        return st;
    if (r->pos == r->end) {
        *eof = true;
        return ASSAY_OK;
    }
    return ndjson_next(r, rec, err);
}
