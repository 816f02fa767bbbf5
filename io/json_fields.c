/* io/json_fields.c — one JSON record's bytes to its fields (see
 * json_internal.h; the reader that cuts records out of the stream is
 * json_reader.c).
 *
 * Each record is parsed once with jansson (validation, duplicate keys,
 * string unescaping), and a second scanner over the record's bytes, trusting
 * jansson's verdict, finds the top-level members and the byte span of every
 * value a path names, so numbers keep their digits and objects their text.
 * A path is first tried as one literal key, then segment by segment ("a.b",
 * "a[2]"). The members no path names are the record's extras. String texts
 * that need unescaping go to one arena, reused from record to record. */
#include "io/json_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jsonmem.h"
#include "io/csv_split.h"
#include "io/doc.h"

#define JR_NONE ((size_t)-1)
#define JR_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL | \
                  JSON_DECODE_ANY)

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

struct io_json_fields {
    char detail[320];  /* a damaged record's detail */
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

static assay_status fail(assay_error *err, assay_status st, const char *msg)
{
    if (err) {
        err->status = st;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return st;
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

static assay_status parse_paths(io_json_fields *jf, const char *const *paths, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total++;
        for (const char *s = paths[i]; *s; s++)
            total += *s == '.' || *s == '[';
    }
    jf->paths = calloc(n + 1, sizeof *jf->paths);
    jf->segs = calloc(total + 1, sizeof *jf->segs);
    if (!jf->paths || !jf->segs)
        return ASSAY_E_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        jr_path *pa = &jf->paths[i];
        pa->full = paths[i];
        pa->flen = strlen(paths[i]);
        pa->plain = strpbrk(paths[i], ".[") == NULL;
        pa->seg0 = k;
        const char *s = paths[i], *e = s + pa->flen;
        for (;;) {
            const char *dot = memchr(s, '.', (size_t)(e - s));
            size_t len = dot ? (size_t)(dot - s) : (size_t)(e - s), got = 0;
            if (!parse_part(s, len, jf->segs + k, &got)) {
                jf->segs[k] = (jr_seg){ s, len, 0, false };
                got = 1;
            }
            k += got;
            if (!dot)
                break;
            s = dot + 1;
        }
        pa->nseg = k - pa->seg0;
    }
    jf->npaths = n;
    return ASSAY_OK;
}

/* ---- the extractor's life ------------------------------------------------------ */

assay_status io_json_fields_new(const char *const *paths, size_t npaths,
                                io_json_fields **out)
{
    *out = NULL;
    io_json_fields *jf = calloc(1, sizeof *jf);
    if (!jf)
        return ASSAY_E_NOMEM;
    size_t n = npaths;
    jf->fields = calloc(n + 1, sizeof *jf->fields);
    jf->vals = calloc(n + 1, sizeof *jf->vals);
    jf->aoff = calloc(n + 1, sizeof *jf->aoff);
    jf->hint = calloc(n + 1, sizeof *jf->hint);
    if (!jf->fields || !jf->vals || !jf->aoff || !jf->hint || parse_paths(jf, paths, n)) {
        io_json_fields_free(jf);
        return ASSAY_E_NOMEM;
    }
    jf->doc.vals = jf->vals;
    jf->doc.nvals = n;
    *out = jf;
    return ASSAY_OK;
}

void io_json_fields_free(io_json_fields *jf)
{
    if (!jf)
        return;
    free(jf->paths);
    free(jf->segs);
    free(jf->hint);
    free(jf->fields);
    free(jf->vals);
    free(jf->aoff);
    free(jf->extra);
    free(jf->mem);
    free(jf->arena);
    free(jf->scratch);
    free(jf);
}


/* ---- the bytes of a parsed record ---------------------------------------------- */

/* These trust that p[..e) was accepted by jansson; bounds are still checked. */

static size_t skip_ws(const char *p, size_t i, size_t e)
{
    while (i < e && io_json_is_ws((unsigned char)p[i]))
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
    while (i < e && !io_json_is_ws((unsigned char)p[i]) && p[i] != ',' && p[i] != '}' &&
           p[i] != ']')
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
static bool key_eq(io_json_fields *jf, const char *raw, size_t off, size_t len, bool esc,
                   const char *key, size_t klen)
{
    if (!esc)
        return len == klen && memcmp(raw + off, key, klen) == 0;
    size_t n = unescape(raw + off, len, jf->scratch); /* scratch >= the record */
    return n == klen && memcmp(jf->scratch, key, klen) == 0;
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
static assay_status scan_members(io_json_fields *jf, const char *raw, size_t b, size_t e)
{
    jf->nmem = 0;
    size_t i = skip_ws(raw, b, e);
    if (i >= e || raw[i] != '{')
        return ASSAY_OK;
    i = skip_ws(raw, i + 1, e);
    while (i < e && raw[i] == '"') {
        if (grow((void **)&jf->mem, &jf->mem_cap, jf->nmem + 1, sizeof *jf->mem))
            return ASSAY_E_NOMEM;
        jr_member *m = &jf->mem[jf->nmem++];
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
static size_t top_find(io_json_fields *jf, const char *raw, const char *key, size_t klen,
                       size_t hint)
{
    if (hint < jf->nmem) {
        const jr_member *m = &jf->mem[hint];
        if (key_eq(jf, raw, m->key_off, m->key_len, m->esc, key, klen))
            return hint;
    }
    for (size_t k = 0; k < jf->nmem; k++) {
        const jr_member *m = &jf->mem[k];
        if (k != hint && key_eq(jf, raw, m->key_off, m->key_len, m->esc, key, klen))
            return k;
    }
    return JR_NONE;
}

/* In the object at raw[*off..+*len), the value of key: its span. */
static bool find_key(io_json_fields *jf, const char *raw, size_t *off, size_t *len,
                     const char *key, size_t klen)
{
    size_t e = *off + *len, i = skip_ws(raw, *off + 1, e);
    while (i < e && raw[i] == '"') {
        size_t ke = str_end(raw, i, e), ko = i + 1, kl = ke > i + 1 ? ke - i - 2 : 0;
        bool esc = memchr(raw + ko, '\\', kl) != NULL;
        i = skip_ws(raw, ke, e);
        i = skip_ws(raw, i + (i < e && raw[i] == ':'), e);
        size_t ve = value_end(raw, i, e);
        if (key_eq(jf, raw, ko, kl, esc, key, klen)) {
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
static json_t *lookup(io_json_fields *jf, const char *raw, json_t *root, size_t i,
                      size_t *off, size_t *len)
{
    const jr_path *pa = &jf->paths[i];
    const jr_seg *seg = jf->segs + pa->seg0;
    size_t m = JR_NONE, k = 1;
    json_t *v = NULL;
    if (!pa->plain) { /* a key spelt like a path names itself first */
        m = top_find(jf, raw, pa->full, pa->flen, jf->hint[i]);
        if (m != JR_NONE) {
            v = json_object_getn(root, pa->full, pa->flen);
            k = pa->nseg;
        }
    }
    if (m == JR_NONE) {
        if (pa->nseg == 0 || seg[0].is_index)
            return NULL;
        m = top_find(jf, raw, seg[0].key, seg[0].klen, jf->hint[i]);
        if (m == JR_NONE)
            return NULL;
        v = json_object_getn(root, seg[0].key, seg[0].klen);
    }
    jf->mem[m].used = true;
    jf->hint[i] = m;
    *off = jf->mem[m].val_off;
    *len = jf->mem[m].val_len;
    for (; v && k < pa->nseg; k++) {
        if (seg[k].is_index) {
            v = json_is_array(v) ? json_array_get(v, seg[k].index) : NULL;
            if (v && !find_index(raw, off, len, seg[k].index))
                v = NULL;
        } else {
            v = json_is_object(v) ? json_object_getn(v, seg[k].key, seg[k].klen) : NULL;
            if (v && !find_key(jf, raw, off, len, seg[k].key, seg[k].klen))
                v = NULL;
        }
    }
    return v;
}

static assay_status arena_put(io_json_fields *jf, const char *s, size_t n, size_t *at)
{
    if (jf->acap - jf->alen < n + 1) {
        size_t c = jf->acap ? jf->acap : 256;
        while (c - jf->alen < n + 1)
            c *= 2;
        char *a = realloc(jf->arena, c);
        if (!a)
            return ASSAY_E_NOMEM;
        memset(a + jf->acap, 0, c - jf->acap);
        jf->arena = a;
        jf->acap = c;
    }
    *at = jf->alen;
    if (n)
        memcpy(jf->arena + jf->alen, s, n);
    jf->alen += n;
    return ASSAY_OK;
}

/* One path's value: kind, span and text. */
static assay_status take_value(io_json_fields *jf, const char *raw, size_t i, json_t *v,
                               size_t off, size_t len)
{
    io_docval *dv = &jf->vals[i];
    io_slice *f = &jf->fields[i];
    *dv = (io_docval){ IO_V_ABSENT, 0, 0, 0 };
    *f = (io_slice){ NULL, 0 };
    jf->aoff[i] = JR_NONE;
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
            if (arena_put(jf, json_string_value(v), f->n, &jf->aoff[i]))
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
static assay_status take_extras(io_json_fields *jf)
{
    size_t n = 0;
    for (size_t k = 0; k < jf->nmem; k++) {
        const jr_member *m = &jf->mem[k];
        if (m->used)
            continue;
        if (grow((void **)&jf->extra, &jf->extra_cap, n + 1, sizeof *jf->extra))
            return ASSAY_E_NOMEM;
        size_t vend = m->val_off + m->val_len, off = m->start, end = vend;
        if (m->comma != JR_NONE)
            end = m->comma + 1;
        else if (k > 0)
            off = jf->mem[k - 1].comma;
        jf->extra[n++] = (io_docextra){ m->key_off, m->key_len, off, end - off,
                                       m->val_off, m->val_len };
    }
    jf->doc.extra = jf->extra;
    jf->doc.nextra = n;
    return ASSAY_OK;
}

/* rec->raw[b..e) parsed to the object root: fill fields and doc. */
static assay_status build_ok(io_json_fields *jf, io_record *rec, size_t b, size_t e,
                             json_t *root)
{
    const char *raw = rec->raw;
    if (jf->scap < e - b + 1) {
        char *s = realloc(jf->scratch, e - b + 1);
        if (!s)
            return ASSAY_E_NOMEM;
        jf->scratch = s;
        jf->scap = e - b + 1;
    }
    if (scan_members(jf, raw, b, e))
        return ASSAY_E_NOMEM;
    jf->alen = 0;
    for (size_t i = 0; i < jf->npaths; i++) {
        size_t off = 0, len = 0;
        json_t *v = lookup(jf, raw, root, i, &off, &len);
        if (take_value(jf, raw, i, v, off, len))
            return ASSAY_E_NOMEM;
    }
    bool ctl_free = true;
    for (size_t i = 0; i < jf->npaths; i++) {
        io_slice *f = &jf->fields[i];
        if (jf->aoff[i] != JR_NONE)
            f->p = jf->arena + jf->aoff[i];
        if (ctl_free && f->p && jf->vals[i].kind != IO_V_NUMBER &&
            jf->vals[i].kind != IO_V_BOOL && !io_csv_ctl_free(f->p, f->n))
            ctl_free = false;
    }
    if (take_extras(jf))
        return ASSAY_E_NOMEM;
    rec->kind = IO_REC_OK;
    rec->nfields = jf->npaths;
    rec->fields = jf->fields;
    rec->ctl_free = ctl_free;
    rec->doc = &jf->doc;
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

/* Parses rec->raw[b..e) and judges the record (see json_internal.h). */
assay_status io_json_fields_parse(io_json_fields *jf, io_record *rec, size_t b, size_t e,
                                  uint64_t col0, assay_error *err)
{
    json_error_t je;
    bool nomem = false;
    json_t *root = core_json_loadb(rec->raw + b, e - b, JR_FLAGS, &je, &nomem);
    rec->bad_utf8 = false;
    if (!root) {
        if (nomem)
            return fail(err, ASSAY_E_NOMEM, "out of memory parsing a JSON record");
        uint64_t line = rec->line + (je.line > 1 ? (uint64_t)je.line - 1 : 0);
        uint64_t col = je.column > 0 ? (uint64_t)je.column : 1;
        if (je.line <= 1)
            col += col0;
        snprintf(jf->detail, sizeof jf->detail, "line %llu, column %llu: %s",
                 (unsigned long long)line, (unsigned long long)col, je.text);
        rec->kind = IO_REC_JSON_PARSE;
        rec->detail = jf->detail;
        rec->ctl_free = io_csv_ctl_free(rec->raw, rec->raw_len);
        return ASSAY_OK;
    }
    if (!json_is_object(root)) {
        snprintf(jf->detail, sizeof jf->detail,
                 "a JSON %s where a record object was expected", kind_name(root));
        json_decref(root);
        rec->kind = IO_REC_NOT_OBJECT;
        rec->detail = jf->detail;
        rec->ctl_free = io_csv_ctl_free(rec->raw, rec->raw_len);
        return ASSAY_OK;
    }
    assay_status st = build_ok(jf, rec, b, e, root);
    json_decref(root);
    if (st)
        return fail(err, st, "out of memory reading a JSON record");
    return ASSAY_OK;
}
