/* rules/jsonpos.c — a JSON tokenizer that records where every value sits
 * (see jsonpos.h). It trusts nothing: on any byte it does not expect it stops,
 * and what it recorded so far stays usable. */
#include "rules/jsonpos.h"

#include <stdlib.h>
#include <string.h>

/* Nesting deeper than jansson's own limit (2048) cannot reach us; this is a
 * guard for the recursion, not a feature. */
#define JP_MAX_NESTING 4096

typedef struct jp_entry {
    size_t path_off, path_len; /* in the arena */
    rules_pos pos;
} jp_entry;

struct rules_posmap {
    char *arena;
    jp_entry *items;
    size_t n;
    size_t *slots; /* item index + 1; 0 is empty */
    size_t nslots; /* power of two */
};

typedef struct jp_tok {
    const unsigned char *s;
    size_t len, i;
    int line, col;
    core_buf path;     /* the path being walked, RULES_POS_MAX_DEPTH deep */
    size_t depth;
    bool failed, nomem;
    /* build mode */
    bool record;
    core_buf arena;
    jp_entry *items;
    size_t n, cap;
    /* path-at mode */
    size_t stop;
    core_buf *at;
} jp_tok;

static void jp_adv(jp_tok *t)
{
    unsigned char b = t->s[t->i++];
    if (b == '\n') {
        t->line++;
        t->col = 1;
    } else if (t->i >= t->len || (t->s[t->i] & 0xC0) != 0x80)
        t->col++;
}

static void jp_ws(jp_tok *t)
{
    while (t->i < t->len && (t->s[t->i] == ' ' || t->s[t->i] == '\t' ||
                             t->s[t->i] == '\n' || t->s[t->i] == '\r'))
        jp_adv(t);
}

static bool jp_expect(jp_tok *t, char c)
{
    jp_ws(t);
    if (t->i >= t->len || t->s[t->i] != (unsigned char)c) {
        t->failed = true;
        return false;
    }
    jp_adv(t);
    return true;
}

static void jp_put_utf8(core_buf *b, unsigned long cp, bool *nomem)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (core_buf_append(b, u, n))
        *nomem = true;
}

/* Four hex digits at t->i, or -1. */
static long jp_hex4(jp_tok *t)
{
    if (t->len - t->i < 4)
        return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int c = t->s[t->i + (size_t)k], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    for (int k = 0; k < 4; k++)
        jp_adv(t);
    return v;
}

/* A \uXXXX escape (t->i just past the 'u'), surrogate pairs joined. */
static void jp_unicode(jp_tok *t, core_buf *dec)
{
    long cp = jp_hex4(t);
    if (cp < 0) {
        t->failed = true;
        return;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF && t->len - t->i >= 6 &&
        t->s[t->i] == '\\' && t->s[t->i + 1] == 'u') {
        jp_adv(t);
        jp_adv(t);
        long lo = jp_hex4(t);
        if (lo >= 0xDC00 && lo <= 0xDFFF)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        else
            t->failed = true;
    }
    if (dec && !t->failed)
        jp_put_utf8(dec, (unsigned long)cp, &t->nomem);
}

static void jp_escape(jp_tok *t, core_buf *dec)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (t->i >= t->len) {
        t->failed = true;
        return;
    }
    unsigned char c = t->s[t->i];
    jp_adv(t);
    if (c == 'u') {
        jp_unicode(t, dec);
        return;
    }
    const char *hit = c ? strchr(from, c) : NULL;
    if (!hit) {
        t->failed = true;
        return;
    }
    if (dec && core_buf_putc(dec, to[hit - from]))
        t->nomem = true;
}

/* A string at t->i; decoded into dec when dec is not NULL. */
static void jp_string(jp_tok *t, core_buf *dec)
{
    if (!jp_expect(t, '"'))
        return;
    while (!t->failed && !t->nomem) {
        if (t->i >= t->len) {
            t->failed = true;
            return;
        }
        size_t start = t->i;
        while (t->i < t->len && t->s[t->i] != '"' && t->s[t->i] != '\\')
            jp_adv(t);
        if (dec && core_buf_append(dec, t->s + start, t->i - start))
            t->nomem = true;
        if (t->i >= t->len)
            continue;
        if (t->s[t->i] == '"') {
            jp_adv(t);
            return;
        }
        jp_adv(t); /* the backslash */
        jp_escape(t, dec);
    }
}

static void jp_scalar(jp_tok *t)
{
    size_t start = t->i;
    while (t->i < t->len && (strchr("+-.eE", t->s[t->i]) ||
                             (t->s[t->i] >= '0' && t->s[t->i] <= '9') ||
                             (t->s[t->i] >= 'a' && t->s[t->i] <= 'z')))
        jp_adv(t);
    if (t->i == start)
        t->failed = true;
}

/* Notes that a key or value starts at off with the current path: in path-at
 * mode the last one before stop is the answer. */
static void jp_mark(jp_tok *t, size_t off)
{
    if (!t->at)
        return;
    if (off >= t->stop) {
        t->failed = true; /* far enough: stop walking */
        return;
    }
    core_buf_clear(t->at);
    if (core_buf_append(t->at, t->path.data, t->path.len) || core_buf_nul(t->at))
        t->nomem = true;
}

/* Records the value starting at t->i under the current path; returns its
 * index, or (size_t)-1 when it is not recorded. */
static size_t jp_record(jp_tok *t, const rules_pos *key)
{
    if (!t->record || t->depth > RULES_POS_MAX_DEPTH)
        return (size_t)-1;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        jp_entry *p = realloc(t->items, cap * sizeof *p);
        if (!p) {
            t->nomem = true;
            return (size_t)-1;
        }
        t->items = p;
        t->cap = cap;
    }
    jp_entry *e = &t->items[t->n];
    e->path_off = t->arena.len;
    e->path_len = t->path.len;
    if (core_buf_append(&t->arena, t->path.data, t->path.len)) {
        t->nomem = true;
        return (size_t)-1;
    }
    e->pos = *key;
    e->pos.val_line = t->line;
    e->pos.val_col = t->col;
    e->pos.val_off = t->i;
    e->pos.val_len = 0;
    return t->n++;
}

static void jp_value(jp_tok *t, const rules_pos *key, int nesting);

static void jp_member(jp_tok *t, int nesting)
{
    rules_pos key = {.has_key = true};
    core_buf name;
    core_buf_init(&name, 0);
    jp_ws(t);
    key.key_line = t->line;
    key.key_col = t->col;
    size_t key_off = t->i;
    jp_string(t, &name);
    size_t mark = t->path.len;
    if (!t->failed && !t->nomem && t->depth < RULES_POS_MAX_DEPTH &&
        rules_path_key(&t->path, name.data ? name.data : "", name.len))
        t->nomem = true;
    core_buf_free(&name);
    t->depth++;
    if (!t->failed && !t->nomem)
        jp_mark(t, key_off);
    if (!t->failed && !t->nomem && jp_expect(t, ':'))
        jp_value(t, &key, nesting + 1);
    t->depth--;
    t->path.len = mark;
}

static void jp_object(jp_tok *t, int nesting)
{
    jp_adv(t); /* '{' */
    jp_ws(t);
    if (t->i < t->len && t->s[t->i] == '}') {
        jp_adv(t);
        return;
    }
    while (!t->failed && !t->nomem) {
        jp_member(t, nesting);
        jp_ws(t);
        if (t->i < t->len && t->s[t->i] == ',')
            jp_adv(t);
        else {
            jp_expect(t, '}');
            return;
        }
    }
}

static void jp_array(jp_tok *t, int nesting)
{
    static const rules_pos item = {.has_key = false};
    jp_adv(t); /* '[' */
    jp_ws(t);
    if (t->i < t->len && t->s[t->i] == ']') {
        jp_adv(t);
        return;
    }
    for (size_t idx = 0; !t->failed && !t->nomem; idx++) {
        size_t mark = t->path.len;
        if (t->depth < RULES_POS_MAX_DEPTH && rules_path_index(&t->path, idx))
            t->nomem = true;
        t->depth++;
        jp_value(t, &item, nesting + 1);
        t->depth--;
        t->path.len = mark;
        jp_ws(t);
        if (t->i < t->len && t->s[t->i] == ',')
            jp_adv(t);
        else {
            jp_expect(t, ']');
            return;
        }
    }
}

static void jp_value(jp_tok *t, const rules_pos *key, int nesting)
{
    jp_ws(t);
    if (t->i >= t->len || nesting > JP_MAX_NESTING) {
        t->failed = true;
        return;
    }
    jp_mark(t, t->i);
    if (t->failed || t->nomem)
        return;
    size_t at = jp_record(t, key), start = t->i;
    unsigned char c = t->s[t->i];
    if (c == '{')
        jp_object(t, nesting);
    else if (c == '[')
        jp_array(t, nesting);
    else if (c == '"')
        jp_string(t, NULL);
    else
        jp_scalar(t);
    if (at != (size_t)-1)
        t->items[at].pos.val_len = t->i - start;
}

static void jp_init(jp_tok *t, const char *text, size_t len)
{
    memset(t, 0, sizeof *t);
    t->s = (const unsigned char *)text;
    t->len = text ? len : 0;
    t->line = 1;
    t->col = 1;
    core_buf_init(&t->path, 0);
    core_buf_init(&t->arena, 0);
}

static void jp_walk(jp_tok *t)
{
    static const rules_pos root = {.has_key = false};
    if (core_buf_puts(&t->path, "$"))
        t->nomem = true;
    else
        jp_value(t, &root, 0);
}

static assay_status posmap_index(rules_posmap *m)
{
    size_t nslots = 16;
    while (nslots < m->n * 2)
        nslots *= 2;
    m->slots = calloc(nslots, sizeof *m->slots);
    if (!m->slots)
        return ASSAY_E_NOMEM;
    m->nslots = nslots;
    for (size_t k = 0; k < m->n; k++) {
        const jp_entry *e = &m->items[k];
        size_t h = (size_t)rules_hash(m->arena + e->path_off, e->path_len) & (nslots - 1);
        while (m->slots[h])
            h = (h + 1) & (nslots - 1);
        m->slots[h] = k + 1;
    }
    return ASSAY_OK;
}

assay_status rules_posmap_build(const char *text, size_t len, rules_posmap **out)
{
    jp_tok t;
    jp_init(&t, text, len);
    t.record = true;
    jp_walk(&t);
    core_buf_free(&t.path);
    rules_posmap *m = calloc(1, sizeof *m);
    if (!m || t.nomem) {
        free(m);
        free(t.items);
        core_buf_free(&t.arena);
        return ASSAY_E_NOMEM;
    }
    m->arena = t.arena.data;
    m->items = t.items;
    m->n = t.n;
    if (posmap_index(m)) {
        rules_posmap_free(m);
        return ASSAY_E_NOMEM;
    }
    *out = m;
    return ASSAY_OK;
}

void rules_posmap_free(rules_posmap *m)
{
    if (!m)
        return;
    free(m->arena);
    free(m->items);
    free(m->slots);
    free(m);
}

const rules_pos *rules_posmap_find(const rules_posmap *m, const char *path, size_t n)
{
    if (!m || !m->nslots)
        return NULL;
    size_t h = (size_t)rules_hash(path, n) & (m->nslots - 1);
    while (m->slots[h]) {
        const jp_entry *e = &m->items[m->slots[h] - 1];
        if (e->path_len == n && memcmp(m->arena + e->path_off, path, n) == 0)
            return &e->pos;
        h = (h + 1) & (m->nslots - 1);
    }
    return NULL;
}

assay_status rules_path_at(const char *text, size_t len, size_t stop, core_buf *out)
{
    jp_tok t;
    jp_init(&t, text, len);
    t.stop = stop;
    t.at = out;
    core_buf_clear(out);
    assay_status st = core_buf_puts(out, "$");
    if (!st)
        jp_walk(&t);
    core_buf_free(&t.path);
    if (!st && (t.nomem || core_buf_nul(out)))
        st = ASSAY_E_NOMEM;
    return st;
}

static bool plain_key(const char *key, size_t n)
{
    if (n == 0)
        return false;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)key[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '$'))
            return false;
    }
    return true;
}

assay_status rules_path_key(core_buf *b, const char *key, size_t n)
{
    assay_status st;
    if (plain_key(key, n)) {
        st = core_buf_putc(b, '.');
        if (!st)
            st = core_buf_append(b, key, n);
    } else {
        st = core_buf_putc(b, '[');
        if (!st)
            st = core_buf_json_str(b, key, n);
        if (!st)
            st = core_buf_putc(b, ']');
    }
    return st ? st : core_buf_nul(b);
}

assay_status rules_path_index(core_buf *b, size_t i)
{
    assay_status st = core_buf_printf(b, "[%zu]", i);
    return st ? st : core_buf_nul(b);
}

uint64_t rules_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t k = 0; k < n; k++) {
        h ^= s[k];
        h *= 0x100000001b3u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}
