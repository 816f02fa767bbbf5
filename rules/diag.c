/* rules/diag.c — the diagnostics list (assay_diags_*) and the reporting side
 * of a rules load: the current JSON path, its position, and message helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "rules/ctx.h"

typedef struct diag_item {
    assay_diag d;
    char *block; /* file, path and message, one allocation */
    size_t seq;  /* order of addition: ties keep it */
} diag_item;

struct assay_diags {
    diag_item *items;
    size_t n, cap;
    size_t nerrors;
};

ASSAY_API assay_diags *assay_diags_new(void)
{
    return calloc(1, sizeof(assay_diags));
}

ASSAY_API void assay_diags_free(assay_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->items[i].block);
    free(d->items);
    free(d);
}

ASSAY_API size_t assay_diags_count(const assay_diags *d)
{
    return d ? d->n : 0;
}

ASSAY_API size_t assay_diags_errors(const assay_diags *d)
{
    return d ? d->nerrors : 0;
}

ASSAY_API const assay_diag *assay_diags_get(const assay_diags *d, size_t i)
{
    return d && i < d->n ? &d->items[i].d : NULL;
}

assay_status rules_diags_add(assay_diags *d, assay_diag_level lv, const char *file,
                             int line, int col, const char *path, const char *msg)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        diag_item *p = realloc(d->items, cap * sizeof *p);
        if (!p)
            return ASSAY_E_NOMEM;
        d->items = p;
        d->cap = cap;
    }
    file = file ? file : "";
    path = path ? path : "";
    size_t lf = strlen(file) + 1, lp = strlen(path) + 1, lm = strlen(msg) + 1;
    char *block = malloc(lf + lp + lm);
    if (!block)
        return ASSAY_E_NOMEM;
    memcpy(block, file, lf);
    memcpy(block + lf, path, lp);
    memcpy(block + lf + lp, msg, lm);
    diag_item *it = &d->items[d->n];
    it->block = block;
    it->seq = d->n;
    it->d.level = lv;
    it->d.file = block;
    it->d.path = block + lf;
    it->d.message = block + lf + lp;
    it->d.line = line;
    it->d.column = col;
    d->n++;
    if (lv == ASSAY_DIAG_ERROR)
        d->nerrors++;
    return ASSAY_OK;
}

static int diag_order(const void *a, const void *b)
{
    const diag_item *x = a, *y = b;
    if (x->d.line != y->d.line)
        return x->d.line < y->d.line ? -1 : 1;
    if (x->d.column != y->d.column)
        return x->d.column < y->d.column ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void rules_diags_sort(assay_diags *d, size_t from)
{
    if (d && from < d->n)
        qsort(d->items + from, d->n - from, sizeof *d->items, diag_order);
}

void rules_report(rules_ctx *c, assay_diag_level lv, rules_where w, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *path = c->path.data ? c->path.data : "$";
    const rules_pos *p = rules_posmap_find(c->pos, path, strlen(path));
    int line = 0, col = 0;
    if (p && w == RW_KEY && p->has_key) {
        line = p->key_line;
        col = p->key_col;
    } else if (p) {
        line = p->val_line;
        col = p->val_col;
    }
    if (lv == ASSAY_DIAG_ERROR)
        c->nerrors++;
    if (rules_diags_add(c->diags, lv, c->file, line, col, path, msg))
        c->nomem = true;
}

size_t rules_push_key(rules_ctx *c, const char *key)
{
    size_t mark = c->path.len;
    if (rules_path_key(&c->path, key, strlen(key)))
        c->nomem = true;
    return mark;
}

size_t rules_push_index(rules_ctx *c, size_t i)
{
    size_t mark = c->path.len;
    if (rules_path_index(&c->path, i))
        c->nomem = true;
    return mark;
}

void rules_pop(rules_ctx *c, size_t mark)
{
    if (c->path.data && mark <= c->path.len) {
        c->path.len = mark;
        c->path.data[mark] = '\0';
    }
}

bool rules_value_text(const rules_ctx *c, const char **p, size_t *n)
{
    const char *path = c->path.data ? c->path.data : "$";
    const rules_pos *pos = rules_posmap_find(c->pos, path, strlen(path));
    if (!pos || pos->val_off + pos->val_len > c->len || pos->val_len == 0)
        return false;
    *p = c->text + pos->val_off;
    *n = pos->val_len;
    return true;
}

char *rules_strndup(rules_ctx *c, const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) {
        c->nomem = true;
        return NULL;
    }
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

const char *rules_quote(char *buf, size_t cap, const char *s, size_t n)
{
    enum { CUT = 48 };
    bool cut = n > CUT;
    if (cut) { /* cut before a UTF-8 continuation byte, never inside a character */
        n = CUT;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    /* Escaped as core_buf_json_str would, into a fixed buffer: a message
     * must not depend on an allocation (nor degrade when one fails). */
    static const char hex[] = "0123456789abcdef";
    char q[6 * CUT + 8];
    size_t len = 0;
    q[len++] = '"';
    for (size_t i = 0; i < n;) {
        unsigned c = (unsigned char)s[i];
        size_t seq = c >= 0x80 ? core_utf8_seq(s + i, n - i) : 0;
        if (c == '"' || c == '\\') {
            q[len++] = '\\';
            q[len++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            q[len++] = '\\';
            q[len++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || (c >= 0x80 && !seq)) {
            memcpy(q + len, "\\u00", 4);
            q[len + 4] = hex[c >> 4];
            q[len + 5] = hex[c & 15];
            len += 6;
        } else if (seq) {
            memcpy(q + len, s + i, seq);
            len += seq;
            i += seq;
            continue;
        } else {
            q[len++] = (char)c;
        }
        i++;
    }
    if (!cut)
        q[len++] = '"';
    q[len] = '\0';
    snprintf(buf, cap, "%s%s", q, cut ? "...\"" : "");
    return buf;
}

const char *rules_got(const rules_ctx *c, const json_t *v, char *buf, size_t cap)
{
    char q[160];
    const char *p;
    size_t n;
    switch (json_typeof(v)) {
    case JSON_STRING:
        snprintf(buf, cap, "the string %s",
                 rules_quote(q, sizeof q, json_string_value(v), json_string_length(v)));
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        if (rules_value_text(c, &p, &n) && n < 40)
            snprintf(buf, cap, "the number %.*s", (int)n, p);
        else
            snprintf(buf, cap, "a number");
        break;
    case JSON_OBJECT: snprintf(buf, cap, "an object"); break;
    case JSON_ARRAY: snprintf(buf, cap, "an array"); break;
    case JSON_TRUE: snprintf(buf, cap, "true"); break;
    case JSON_FALSE: snprintf(buf, cap, "false"); break;
    default: snprintf(buf, cap, "null"); break;
    }
    return buf;
}
