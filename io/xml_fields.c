/* io/xml_fields.c — what the XML reader does with one record's bytes: the
 * rules' paths compiled into a trie, the libxml2 well-formedness check
 * (inside a wrapper element that carries the ancestors' xmlns
 * declarations, with its error made into a message with an absolute
 * position), and the walker that reads the fields' values, their byte
 * spans, and the record's extras from the well-formed bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "core/buf.h"
#include "io/csv_split.h"
#include "io/xml_internal.h"

/* ---- the paths' trie ----------------------------------------------------- */

static int xr_find_child(io_xml_reader *r, int parent, const char *name, size_t len)
{
    for (size_t i = 1; i < r->nnodes; i++)
        if (r->nodes[i].parent == parent &&
            xr_mem_eq(r->nodes[i].name, r->nodes[i].nlen, name, len))
            return (int)i;
    return -1;
}

/* Builds the paths' trie: "a.b" descends through first occurrences, a last
 * segment "@x" reads an attribute. A path with an empty segment, or with
 * "@" before its last segment, never resolves. */
assay_status io_xml_compile_paths(io_xml_reader *r, const char *const *paths, size_t np)
{
    size_t total = 0, segs = 1;
    for (size_t k = 0; k < np; k++) {
        const char *p = paths[k] ? paths[k] : "";
        total += strlen(p) + 1;
        for (const char *c = p; *c; c++)
            segs += *c == '.';
        segs++;
    }
    size_t slots = np ? np : 1;
    r->pstore = malloc(total + 1);
    r->nodes = calloc(segs, sizeof *r->nodes);
    r->paths = calloc(slots, sizeof *r->paths);
    r->fields = calloc(slots, sizeof *r->fields);
    r->vals = calloc(slots, sizeof *r->vals);
    r->in_arena = calloc(slots, sizeof *r->in_arena);
    r->aoff = calloc(slots, sizeof *r->aoff);
    if (!r->pstore || !r->nodes || !r->paths || !r->fields || !r->vals || !r->in_arena ||
        !r->aoff)
        return ASSAY_E_NOMEM;
    r->nodes[0].parent = -1;
    r->nnodes = 1;
    r->npaths = np;
    char *store = r->pstore;
    for (size_t k = 0; k < np; k++) {
        const char *p = paths[k] ? paths[k] : "";
        size_t n = strlen(p);
        memcpy(store, p, n + 1);
        xr_path *xp = &r->paths[k];
        xp->node = -1;
        int node = 0;
        bool ok = n > 0;
        for (size_t i = 0; ok && i <= n;) {
            size_t s = i;
            while (i < n && store[i] != '.')
                i++;
            bool last = i == n;
            if (i == s)
                ok = false;
            else if (store[s] == '@') {
                if (!last || i - s < 2)
                    ok = false;
                else {
                    xp->attr = store + s + 1;
                    xp->alen = i - s - 1;
                    r->nodes[node].attrs = true;
                }
            } else {
                int c = xr_find_child(r, node, store + s, i - s);
                if (c < 0) {
                    c = (int)r->nnodes++;
                    r->nodes[c] = (xr_node){ store + s, i - s, node, 0, false, false };
                }
                node = c;
                if (last)
                    r->nodes[node].elems = true;
            }
            i++;
        }
        if (ok)
            xp->node = node;
        store += n + 1;
    }
    return ASSAY_OK;
}

/* ---- libxml2: is the record well-formed? --------------------------------- */

static void copy_str(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    if (s)
        while (s[n] && s[n] != '\n' && n + 1 < cap)
            n++;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
}

static void xml_error(void *ud, xmlErrorPtr e)
{
    xmlParserCtxtPtr px = ud;
    io_xml_reader *r = px ? px->_private : NULL;
    if (!r || !e || e->level < XML_ERR_ERROR)
        return;
    bool ent = e->code == XML_ERR_UNDECLARED_ENTITY || e->code == XML_WAR_UNDECLARED_ENTITY;
    for (int pass = 0; pass < 2; pass++) {
        xr_xerr *x = pass ? &r->e_ent : &r->e_first;
        if (x->set || (pass && !ent))
            continue;
        x->set = true;
        x->code = e->code;
        x->line = e->line;
        x->col = e->int2;
        x->int1 = e->int1;
        copy_str(x->msg, sizeof x->msg, e->message);
        copy_str(x->s1, sizeof x->s1, e->str1);
        copy_str(x->s2, sizeof x->s2, e->str2);
    }
}

/* The wrapper's start tag: the xmlns declarations in scope on the record's
 * ancestors (an inner one shadows an outer one of the same name). */
assay_status io_xml_build_prefix(io_xml_reader *r)
{
    if (r->wrap_gen == r->decl_gen)
        return ASSAY_OK;
    core_buf_clear(&r->prefix);
    assay_status st = core_buf_puts(&r->prefix, "<" XR_WRAP);
    const char *d = r->decls.data;
    for (size_t i = 0; i < r->ndecl && !st; i++) {
        const xr_decl *a = &r->dent[i];
        bool shadowed = false;
        for (size_t j = i + 1; j < r->ndecl && !shadowed; j++)
            shadowed = xr_mem_eq(d + a->off, a->nlen, d + r->dent[j].off, r->dent[j].nlen);
        if (!shadowed && !(st = core_buf_putc(&r->prefix, ' ')))
            st = core_buf_append(&r->prefix, d + a->off, a->len);
    }
    if (!st)
        st = core_buf_putc(&r->prefix, '>');
    if (st)
        return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory building the XML record wrapper");
    r->wrap_gen = r->decl_gen;
    return ASSAY_OK;
}

assay_status io_xml_check(io_xml_reader *r, const char *raw, size_t n, bool *ok)
{
    if (xmlDictSize(r->px->dict) > XR_DICT_MAX && io_xml_new_parser(r))
        return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory creating the XML parser");
    core_buf_clear(&r->wrap);
    if (core_buf_append(&r->wrap, r->prefix.data, r->prefix.len) ||
        core_buf_append(&r->wrap, raw, n) || core_buf_puts(&r->wrap, "</" XR_WRAP ">"))
        return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory parsing an XML record");
    memset(&r->e_first, 0, sizeof r->e_first);
    memset(&r->e_ent, 0, sizeof r->e_ent);
    /* No XML_PARSE_NOENT (entities are never substituted), no DTDLOAD,
     * DTDATTR or DTDVALID (no DTD is read), NONET (nothing is fetched). */
    xmlDocPtr d = xmlCtxtReadMemory(r->px, r->wrap.data, (int)r->wrap.len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (d)
        xmlFreeDoc(d);
    if (r->e_first.set && r->e_first.code == XML_ERR_NO_MEMORY)
        return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory parsing an XML record");
    *ok = r->px->wellFormed && r->px->nsWellFormed && !r->e_first.set && !r->e_ent.set;
    return ASSAY_OK;
}

/* A libxml2 position in the wrapped record, made absolute. */
static void abs_pos(const io_xml_reader *r, int line, int col, unsigned long long *L,
                    unsigned long long *C)
{
    size_t pre = r->prefix.len, c = col > 0 ? (size_t)col - 1 : 0;
    if (line <= 1) {
        *L = r->rec_line;
        *C = r->rec_col + (c > pre ? c - pre : 0);
    } else {
        *L = r->rec_line + (uint64_t)line - 1;
        *C = c + 1;
    }
}

void io_xml_judge_error(io_xml_reader *r, io_record *rec)
{
    unsigned long long L, C;
    rec->detail = r->detail;
    if (r->e_ent.set) {
        abs_pos(r, r->e_ent.line, r->e_ent.col, &L, &C);
        rec->kind = IO_REC_XML_ENTITY;
        snprintf(r->detail, sizeof r->detail,
                 "line %llu, column %llu: the entity &%s; is never expanded (only &lt; "
                 "&gt; &amp; &quot; &apos; and character references are allowed)",
                 L, C, r->e_ent.s1);
        return;
    }
    rec->kind = IO_REC_XML;
    const xr_xerr *x = &r->e_first;
    if (!x->set) {
        snprintf(r->detail, sizeof r->detail, "line %llu, column %llu: not well-formed",
                 (unsigned long long)r->rec_line, (unsigned long long)r->rec_col);
        return;
    }
    abs_pos(r, x->line, x->col, &L, &C);
    char msg[240];
    unsigned long long open = r->rec_line + (uint64_t)(x->int1 > 1 ? x->int1 - 1 : 0);
    if (x->code == XML_ERR_TAG_NAME_MISMATCH && strcmp(x->s2, XR_WRAP) == 0)
        snprintf(msg, sizeof msg, "element <%s> (line %llu) is not closed", x->s1, open);
    else if (x->code == XML_ERR_TAG_NAME_MISMATCH)
        snprintf(msg, sizeof msg, "Opening and ending tag mismatch: %s line %llu and %s",
                 x->s1, open, x->s2);
    else if (x->code == XML_ERR_TAG_NOT_FINISHED)
        snprintf(msg, sizeof msg, "Premature end of data in tag %s line %llu", x->s1, open);
    else if (strncmp(x->msg, "Input is not proper UTF-8", 25) == 0)
        snprintf(msg, sizeof msg, "invalid UTF-8");
    else
        snprintf(msg, sizeof msg, "%s", x->msg);
    snprintf(r->detail, sizeof r->detail, "line %llu, column %llu: %s", L, C, msg);
}

assay_status io_xml_new_parser(io_xml_reader *r)
{
    if (r->px)
        xmlFreeParserCtxt(r->px);
    r->px = xmlNewParserCtxt();
    if (!r->px || !r->px->sax)
        return ASSAY_E_NOMEM;
    /* No callbacks: nothing is built, the parser only checks. serror sees
     * every error (XML_PARSE_NOERROR only silences the default printer). */
    memset(r->px->sax, 0, sizeof *r->px->sax);
    r->px->sax->initialized = XML_SAX2_MAGIC;
    r->px->sax->serror = xml_error;
    r->px->_private = r;
    return ASSAY_OK;
}

/* ---- fields -------------------------------------------------------------- */

static bool starts(const char *p, size_t n, size_t i, const char *pat)
{
    size_t m = strlen(pat);
    return i <= n && n - i >= m && memcmp(p + i, pat, m) == 0;
}

/* Where pat next starts in p[i, n), or n. */
static size_t find_at(const char *p, size_t n, size_t i, const char *pat)
{
    while (i < n) {
        const char *h = memchr(p + i, pat[0], n - i);
        if (!h)
            return n;
        i = (size_t)(h - p);
        if (starts(p, n, i, pat))
            return i;
        i++;
    }
    return n;
}

static size_t after(const char *p, size_t n, size_t i, const char *pat)
{
    size_t at = find_at(p, n, i, pat);
    return at == n ? n : at + strlen(pat);
}

static size_t put_utf8(char *o, unsigned long c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* The reference at p[i] ('&'), decoded onto o[*w]; returns the index after
 * it. libxml2 accepted the record, so it is a character reference or one of
 * the five predefined entities; anything else is copied as written. The
 * result is never longer than the reference. */
static size_t put_ref(const char *p, size_t n, size_t i, char *o, size_t *w)
{
    const char *semi = memchr(p + i, ';', n - i);
    if (!semi) {
        o[(*w)++] = '&';
        return i + 1;
    }
    size_t e = (size_t)(semi - p);
    const char *nm = p + i + 1;
    size_t len = e - i - 1;
    static const char *const pre[5] = { "lt", "gt", "amp", "quot", "apos" };
    static const char chr[5] = { '<', '>', '&', '"', '\'' };
    if (len > 1 && nm[0] == '#') {
        unsigned long c = 0;
        bool hex = nm[1] == 'x';
        for (size_t k = hex ? 2 : 1; k < len && c <= 0x10FFFF; k++) {
            unsigned char d = (unsigned char)nm[k];
            unsigned v = d >= '0' && d <= '9' ? (unsigned)(d - '0') : (unsigned)((d | 0x20) - 'a' + 10);
            c = c * (hex ? 16 : 10) + v;
        }
        if (c <= 0x10FFFF) {
            *w += put_utf8(o + *w, c);
            return e + 1;
        }
    } else
        for (int k = 0; k < 5; k++)
            if (xr_mem_eq(nm, len, pre[k], strlen(pre[k]))) {
                o[(*w)++] = chr[k];
                return e + 1;
            }
    memcpy(o + *w, p + i, e + 1 - i);
    *w += e + 1 - i;
    return e + 1;
}

/* Copies p[a, e) onto o[*w] with line ends normalised to LF. */
static void put_lines(const char *p, size_t a, size_t e, char *o, size_t *w)
{
    for (size_t i = a; i < e; i++) {
        if (p[i] != '\r')
            o[(*w)++] = p[i];
        else if (i + 1 >= e || p[i + 1] != '\n')
            o[(*w)++] = '\n';
    }
}

/* An element's text p[a, e) without child elements: CDATA as is, comments
 * and PIs skipped, references decoded, line ends normalised. Zero-copy when
 * nothing needs changing, else onto the arena (offset in aoff[k]). */
static assay_status text_value(io_xml_reader *r, const char *p, size_t a, size_t e, size_t k,
                               bool attr)
{
    io_slice *f = &r->fields[k];
    bool plain = true;
    for (size_t i = a; i < e && plain; i++) {
        char c = p[i];
        plain = c != '&' && c != '<' && c != '\r' && (!attr || (c != '\n' && c != '\t'));
    }
    r->in_arena[k] = !plain;
    if (plain) {
        f->p = p + a;
        f->n = e - a;
        return ASSAY_OK;
    }
    if (core_buf_reserve(&r->arena, e - a))
        return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory decoding an XML value");
    char *o = r->arena.data + r->arena.len;
    size_t w = 0, i = a;
    while (i < e) {
        char c = p[i];
        if (c == '&')
            i = put_ref(p, e, i, o, &w);
        else if (attr && (c == '\r' || c == '\n' || c == '\t')) {
            o[w++] = ' '; /* attribute-value normalisation */
            i += c == '\r' && i + 1 < e && p[i + 1] == '\n' ? 2 : 1;
        } else if (c == '\r') {
            o[w++] = '\n';
            i += i + 1 < e && p[i + 1] == '\n' ? 2 : 1;
        } else if (c != '<')
            o[w++] = p[i++];
        else if (starts(p, e, i, "<![CDATA[")) {
            size_t s = i + 9, t = find_at(p, e, s, "]]>");
            put_lines(p, s, t, o, &w);
            i = t < e ? t + 3 : e;
        } else if (starts(p, e, i, "<!--"))
            i = after(p, e, i + 4, "-->");
        else if (starts(p, e, i, "<?"))
            i = after(p, e, i + 2, "?>");
        else
            o[w++] = p[i++];
    }
    r->aoff[k] = r->arena.len;
    r->arena.len += w;
    f->n = w;
    return ASSAY_OK;
}

static void set_kind(io_xml_reader *r, size_t k, size_t off, size_t len)
{
    r->vals[k].kind = r->fields[k].n ? IO_V_STRING : IO_V_NULL;
    r->vals[k].off = off;
    r->vals[k].len = len;
}

static assay_status add_extra(io_xml_reader *r, size_t name_off, size_t name_len, size_t off,
                              size_t *idx)
{
    if (r->nextra == r->xcap) {
        size_t cap = r->xcap ? 2 * r->xcap : 8;
        io_docextra *x = realloc(r->extra, cap * sizeof *x);
        if (!x)
            return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory listing XML extras");
        r->extra = x;
        r->xcap = cap;
    }
    r->extra[r->nextra] = (io_docextra){ name_off, name_len, off, 0, 0, 0 };
    *idx = ++r->nextra;
    return ASSAY_OK;
}

/* One attribute: p[ws] the space before it, [ns, ne) its name, [vs, ve) its
 * value. */
static assay_status one_attr(io_xml_reader *r, const char *p, int node, bool rec, size_t ws,
                             size_t ns, size_t ne, size_t vs, size_t ve)
{
    const char *nm = p + ns;
    size_t nl = ne - ns;
    if (nl >= 5 && memcmp(nm, "xmlns", 5) == 0 && (nl == 5 || nm[5] == ':'))
        return ASSAY_OK; /* a declaration, not data */
    bool named = false;
    if (node >= 0 && r->nodes[node].attrs)
        for (size_t k = 0; k < r->npaths; k++) {
            const xr_path *xp = &r->paths[k];
            if (xp->node != node || !xp->attr || !xr_mem_eq(xp->attr, xp->alen, nm, nl))
                continue;
            named = true;
            assay_status st = text_value(r, p, vs, ve, k, true);
            if (st)
                return st;
            set_kind(r, k, vs, ve - vs);
        }
    if (!rec || named)
        return ASSAY_OK;
    size_t x = 0;
    assay_status st = add_extra(r, ns, nl, ws, &x);
    if (!st) {
        r->extra[x - 1].len = ve + 1 - ws;
        r->extra[x - 1].val_off = vs;
        r->extra[x - 1].val_len = ve - vs;
    }
    return st;
}

/* A start tag's attributes, from p[*pi] (just after the name) through its
 * '>'. *empty: the tag ended with "/>" (at *slash). */
static assay_status walk_attrs(io_xml_reader *r, const char *p, size_t n, size_t *pi, int node,
                               bool rec, bool *empty, size_t *slash)
{
    size_t i = *pi;
    assay_status st = ASSAY_OK;
    *empty = false;
    while (!st) {
        size_t ws = i;
        while (i < n && xr_is_ws((unsigned char)p[i]))
            i++;
        if (i >= n)
            break;
        if (p[i] == '/') {
            *empty = true;
            *slash = i;
            i = i + 2 <= n ? i + 2 : n;
            break;
        }
        if (p[i] == '>') {
            i++;
            break;
        }
        size_t ns = i;
        while (i < n && !xr_is_ws((unsigned char)p[i]) && p[i] != '=')
            i++;
        size_t ne = i;
        while (i < n && p[i] != '"' && p[i] != '\'')
            i++;
        if (i >= n)
            break;
        char q = p[i];
        size_t vs = ++i;
        const char *qe = memchr(p + i, q, n - i);
        if (!qe) {
            i = n;
            break;
        }
        size_t ve = (size_t)(qe - p);
        i = ve + 1;
        st = one_attr(r, p, node, rec, ws, ns, ne, vs, ve);
    }
    *pi = i;
    return st;
}

/* The trie node of a child element named [nm, nl) of parent's element, on
 * its first occurrence in this record only. */
static int resolve(io_xml_reader *r, int parent, const char *nm, size_t nl)
{
    int c = xr_find_child(r, parent, nm, nl);
    if (c < 0 || r->nodes[c].gen == r->gen)
        return -1;
    r->nodes[c].gen = r->gen;
    return c;
}

static assay_status elem_values(io_xml_reader *r, const char *p, const xr_frame *f, size_t ce)
{
    if (f->node < 0 || !r->nodes[f->node].elems)
        return ASSAY_OK;
    for (size_t k = 0; k < r->npaths; k++) {
        const xr_path *xp = &r->paths[k];
        if (xp->node != f->node || xp->attr)
            continue;
        if (f->nchild) {
            r->in_arena[k] = false;
            r->fields[k] = (io_slice){ p + f->cstart, ce - f->cstart };
            r->vals[k] = (io_docval){ IO_V_OBJECT, f->nchild, f->cstart, ce - f->cstart };
            continue;
        }
        assay_status st = text_value(r, p, f->cstart, ce, k, false);
        if (st)
            return st;
        set_kind(r, k, f->cstart, ce - f->cstart);
    }
    return ASSAY_OK;
}

/* The content of the record element, from p[i] through its end tag. */
static assay_status walk_content(io_xml_reader *r, const char *p, size_t n, size_t i)
{
    size_t top = 0;
    r->frames[0] = (xr_frame){ 0, i, 0, 0 };
    assay_status st = ASSAY_OK;
    while (i < n && !st) {
        if (p[i] != '<') {
            const char *lt = memchr(p + i, '<', n - i);
            if (!lt)
                break;
            i = (size_t)(lt - p);
        } else if (starts(p, n, i, "<!--"))
            i = after(p, n, i + 4, "-->");
        else if (starts(p, n, i, "<![CDATA["))
            i = after(p, n, i + 9, "]]>");
        else if (starts(p, n, i, "<?"))
            i = after(p, n, i + 2, "?>");
        else if (i + 1 < n && p[i + 1] == '/') {
            size_t ce = i;
            const char *gt = memchr(p + i, '>', n - i);
            i = gt ? (size_t)(gt - p) + 1 : n;
            const xr_frame *f = &r->frames[top];
            st = elem_values(r, p, f, ce);
            if (f->extra) {
                io_docextra *x = &r->extra[f->extra - 1];
                x->len = i - x->off;
                x->val_off = f->cstart;
                x->val_len = ce - f->cstart;
            }
            if (top == 0)
                break;
            top--;
        } else {
            size_t s = i++, ns = i;
            while (i < n && !xr_name_stop((unsigned char)p[i]))
                i++;
            const char *nm = p + ns;
            size_t nl = i - ns, extra = 0, slash = 0;
            xr_frame *f = &r->frames[top];
            f->nchild++;
            int node = f->node >= 0 ? resolve(r, f->node, nm, nl) : -1;
            if (top == 0 && xr_find_child(r, 0, nm, nl) < 0) {
                size_t ws = s;
                while (ws > 0 && xr_is_ws((unsigned char)p[ws - 1]))
                    ws--;
                if (ws > 0 && p[ws - 1] != '>')
                    ws = s; /* mixed content: keep the text whole */
                st = add_extra(r, ns, nl, ws, &extra);
            }
            bool empty;
            if (!st)
                st = walk_attrs(r, p, n, &i, node, false, &empty, &slash);
            if (st)
                break;
            if (empty) {
                for (size_t k = 0; node >= 0 && k < r->npaths; k++)
                    if (r->paths[k].node == node && !r->paths[k].attr)
                        r->vals[k] = (io_docval){ IO_V_NULL, 0, slash, 0 };
                if (extra) {
                    io_docextra *x = &r->extra[extra - 1];
                    x->len = i - x->off;
                    x->val_off = slash;
                }
                continue;
            }
            if (++top == r->fcap) {
                xr_frame *fr = realloc(r->frames, 2 * r->fcap * sizeof *fr);
                if (!fr)
                    return io_xml_fail(r, ASSAY_E_NOMEM, "out of memory reading an XML record");
                r->frames = fr;
                r->fcap *= 2;
            }
            r->frames[top] = (xr_frame){ node, i, 0, extra };
        }
    }
    return st;
}

assay_status io_xml_extract(io_xml_reader *r, io_record *rec)
{
    const char *p = rec->raw;
    size_t n = rec->raw_len, i = 1, slash = 0;
    r->gen++;
    for (size_t k = 0; k < r->npaths; k++) {
        r->vals[k] = (io_docval){ IO_V_ABSENT, 0, 0, 0 };
        r->fields[k] = (io_slice){ NULL, 0 };
        r->in_arena[k] = false;
    }
    core_buf_clear(&r->arena);
    r->nextra = 0;
    while (i < n && !xr_name_stop((unsigned char)p[i]))
        i++;
    bool empty;
    assay_status st = walk_attrs(r, p, n, &i, 0, true, &empty, &slash);
    if (!st && !empty)
        st = walk_content(r, p, n, i);
    if (st)
        return st;
    bool ctl = true;
    for (size_t k = 0; k < r->npaths; k++) {
        io_slice *f = &r->fields[k];
        if (r->in_arena[k])
            f->p = r->arena.data + r->aoff[k];
        if (f->n == 0)
            f->p = NULL;
        else if (ctl)
            ctl = io_csv_ctl_free(f->p, f->n);
    }
    r->doc = (io_doc){ r->vals, r->npaths, r->extra, r->nextra };
    rec->kind = IO_REC_OK;
    rec->nfields = r->npaths;
    rec->fields = r->fields;
    rec->ctl_free = ctl;
    rec->doc = &r->doc;
    return ASSAY_OK;
}

