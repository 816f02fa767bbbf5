/* core/buf.c — growable byte buffer with a ceiling (see buf.h). */
#include "core/buf.h"
#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void core_buf_init(core_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit ? limit : SIZE_MAX / 2;
}

void core_buf_free(core_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

assay_status core_buf_reserve(core_buf *b, size_t n)
{
    if (n > b->limit || b->len > b->limit - n)
        return ASSAY_E_LIMIT;
    size_t need = b->len + n + 1; /* room for a terminating NUL */
    if (need <= b->cap)
        return ASSAY_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->limit + 1)
        cap = b->limit + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return ASSAY_E_NOMEM;
    /* New room is zeroed (growth only, so it costs nothing per append):
     * pcre2's JIT reads whole words past a subject's end. */
    memset(p + b->cap, 0, cap - b->cap);
    b->data = p;
    b->cap = cap;
    return ASSAY_OK;
}

assay_status core_buf_append(core_buf *b, const void *p, size_t n)
{
    assay_status st = core_buf_reserve(b, n);
    if (st)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return ASSAY_OK;
}

assay_status core_buf_putc(core_buf *b, char c)
{
    return core_buf_append(b, &c, 1);
}

assay_status core_buf_puts(core_buf *b, const char *s)
{
    return core_buf_append(b, s, strlen(s));
}

assay_status core_buf_printf(core_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ASSAY_E_INTERNAL;
    assay_status st = core_buf_reserve(b, (size_t)n);
    if (st)
        return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return ASSAY_OK;
}

assay_status core_buf_nul(core_buf *b)
{
    assay_status st = core_buf_reserve(b, 0);
    if (st)
        return st;
    b->data[b->len] = '\0';
    return ASSAY_OK;
}

assay_status core_buf_json_str(core_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    assay_status st = core_buf_putc(b, '"');
    size_t i = 0;
    while (!st && i < n) {
        size_t run = i;
        while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' &&
               u[run] != '\\')
            run++;
        if (run > i) {
            st = core_buf_append(b, s + i, run - i);
            i = run;
            continue;
        }
        unsigned c = u[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            st = core_buf_append(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            const char *e = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            if (e)
                st = core_buf_append(b, e, 2);
            else {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                st = core_buf_append(b, esc, 6);
            }
            i++;
        } else {
            size_t len = core_utf8_seq(s + i, n - i);
            if (len) {
                st = core_buf_append(b, s + i, len);
                i += len;
            } else { /* not UTF-8: the byte's value as a code point */
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                st = core_buf_append(b, esc, 6);
                i++;
            }
        }
    }
    if (!st)
        st = core_buf_putc(b, '"');
    return st;
}
