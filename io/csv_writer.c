/* io/csv_writer.c — one CSV/TSV record with minimal quoting (see
 * csv_writer.h). The record's size is computed first and reserved at once, so
 * a failure leaves the buffer as it was. */
#include "io/csv_writer.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/swar.h"

static bool csvw_is_special(unsigned char c, char delim, int quote)
{
    return c == (unsigned char)delim || c == '\r' || c == '\n' ||
           (quote >= 0 && c == (unsigned char)quote);
}

/* Does the field hold the delimiter, CR, LF or (quote >= 0) the quote?
 * Eight bytes at a time, the last eight read again for the rest; a field
 * shorter than a word byte by byte. */
static bool csvw_needs_quote(const io_slice *f, char delim, int quote)
{
    const char *p = f->p;
    size_t n = f->n;
    if (n >= 8) {
        const unsigned char d = (unsigned char)delim;
        /* With no quote character, look for the delimiter twice. */
        const unsigned char q = quote >= 0 ? (unsigned char)quote : d;
        for (size_t i = 0;; i += 8) {
            if (i + 8 > n)
                i = n - 8;
            uint64_t w = core_swar_load(p + i);
            if (core_swar_eq(w, d) | core_swar_eq(w, q) | core_swar_eq(w, '\r') |
                core_swar_eq(w, '\n'))
                return true;
            if (i + 8 == n)
                return false;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (csvw_is_special((unsigned char)p[i], delim, quote))
            return true;
    return false;
}

static bool csvw_all_empty(const io_slice *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i].n)
            return false;
    return true;
}

size_t io_csvw_unwritable(const io_slice *fields, size_t n, char delim,
                          int quote)
{
    if (quote >= 0)
        return n;
    if (n > 0 && csvw_all_empty(fields, n))
        return 0; /* would read back as a blank row */
    for (size_t i = 0; i < n; i++)
        if (csvw_needs_quote(&fields[i], delim, -1))
            return i;
    return n;
}

/* Bytes field f takes in the output (quoted: 2 + its length + one per quote
 * character inside). */
static size_t csvw_field_size(const io_slice *f, bool quoted, char q)
{
    if (!quoted)
        return f->n;
    size_t extra = 2;
    for (size_t i = 0; i < f->n; i++)
        extra += f->p[i] == q;
    return f->n + extra;
}

static char *csvw_put_quoted(char *w, const io_slice *f, char q)
{
    *w++ = q;
    for (size_t i = 0; i < f->n; i++) {
        if (f->p[i] == q)
            *w++ = q;
        *w++ = f->p[i];
    }
    *w++ = q;
    return w;
}

/* Decides, per field, whether it is quoted (quoted[i]) and returns the total
 * size of the record, or SIZE_MAX on overflow. */
static size_t csvw_plan(const io_slice *fields, size_t n, char delim, int quote,
                        size_t eol_len, bool *quoted)
{
    bool all_empty = csvw_all_empty(fields, n);
    size_t total = eol_len + (n - 1);
    for (size_t i = 0; i < n; i++) {
        quoted[i] = quote >= 0 &&
                    ((all_empty && i == 0) ||
                     csvw_needs_quote(&fields[i], delim, quote));
        size_t s = csvw_field_size(&fields[i], quoted[i], (char)quote);
        if (s > SIZE_MAX / 4 || total > SIZE_MAX / 4)
            return SIZE_MAX;
        total += s;
    }
    return total;
}

assay_status io_csvw_record(core_buf *out, const io_slice *fields, size_t n,
                            char delim, int quote, const char *eol,
                            size_t eol_len)
{
    if (n == 0 || io_csvw_unwritable(fields, n, delim, quote) < n)
        return IO_CSVW_E_UNWRITABLE;
    bool small[64];
    bool *quoted = small;
    core_buf flags;
    core_buf_init(&flags, 0);
    if (n > sizeof small / sizeof small[0]) {
        if (core_buf_reserve(&flags, n))
            return ASSAY_E_NOMEM;
        quoted = (bool *)(void *)flags.data;
    }
    size_t total = csvw_plan(fields, n, delim, quote, eol_len, quoted);
    assay_status st = total == SIZE_MAX ? ASSAY_E_LIMIT
                                        : core_buf_reserve(out, total);
    if (!st) {
        char *w = out->data + out->len;
        for (size_t i = 0; i < n; i++) {
            if (i)
                *w++ = delim;
            if (quoted[i])
                w = csvw_put_quoted(w, &fields[i], (char)quote);
            else if (fields[i].n) {
                memcpy(w, fields[i].p, fields[i].n);
                w += fields[i].n;
            }
        }
        if (eol_len)
            memcpy(w, eol, eol_len);
        out->len += total;
    }
    core_buf_free(&flags);
    return st;
}

assay_status io_csvw_splice(core_buf *out, const io_slice *fields, const io_slice *vals,
                            size_t n, char delim, int quote, const char *eol, size_t eol_len)
{
    /* Without a quote character, or when every value is empty (the first is
     * then quoted), the general writer decides. */
    bool all_empty = true;
    for (size_t i = 0; i < n && all_empty; i++)
        all_empty = vals[i].n == 0;
    if (n == 0 || quote < 0 || all_empty)
        return io_csvw_record(out, vals, n, delim, quote, eol, eol_len);
    const char *start = fields[0].p, *end = fields[n - 1].p + fields[n - 1].n;
    size_t total = (size_t)(end - start) + eol_len;
    bool small[64];
    bool *quoted = n <= 64 ? small : NULL;
    for (size_t i = 0; i < n; i++) {
        /* Not one delimiter apart: not a record split in place after all. */
        if (i + 1 < n && (fields[i + 1].p != fields[i].p + fields[i].n + 1 ||
                          fields[i].p[fields[i].n] != delim))
            return io_csvw_record(out, vals, n, delim, quote, eol, eol_len);
        if (vals[i].p == fields[i].p && vals[i].n == fields[i].n)
            continue;
        bool q = csvw_needs_quote(&vals[i], delim, quote);
        if (!quoted && q) /* a wide record with a value to quote: rare */
            return io_csvw_record(out, vals, n, delim, quote, eol, eol_len);
        if (quoted)
            quoted[i] = q;
        size_t s = csvw_field_size(&vals[i], q, (char)quote);
        if (s > SIZE_MAX / 4 || total > SIZE_MAX / 4)
            return ASSAY_E_LIMIT;
        total = total - fields[i].n + s;
    }
    assay_status st = core_buf_reserve(out, total);
    if (st)
        return st;
    char *w = out->data + out->len;
    const char *from = start;
    for (size_t i = 0; i < n; i++) {
        if (vals[i].p == fields[i].p && vals[i].n == fields[i].n)
            continue;
        memcpy(w, from, (size_t)(fields[i].p - from));
        w += fields[i].p - from;
        if (quoted && quoted[i])
            w = csvw_put_quoted(w, &vals[i], (char)quote);
        else {
            if (vals[i].n)
                memcpy(w, vals[i].p, vals[i].n);
            w += vals[i].n;
        }
        from = fields[i].p + fields[i].n;
    }
    memcpy(w, from, (size_t)(end - from));
    w += end - from;
    if (eol_len)
        memcpy(w, eol, eol_len);
    out->len += total;
    return ASSAY_OK;
}

size_t io_csvw_eol(const char *raw, size_t n)
{
    if (n >= 2 && raw[n - 2] == '\r' && raw[n - 1] == '\n')
        return 2;
    if (n >= 1 && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
        return 1;
    return 0;
}
