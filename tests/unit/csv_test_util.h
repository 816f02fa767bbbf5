/* tests/unit/csv_test_util.h — shared by the CSV reader tests: read a whole
 * input into a list of records (copied), compare two lists, render a list as
 * a short string for assertions, and check chunk-split invariance and
 * conservation at many block sizes. */
#ifndef ASSAY_TESTS_CSV_TEST_UTIL_H
#define ASSAY_TESTS_CSV_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv_reader.h"
#include "io/csv_split.h"
#include "t.h"

typedef struct trec {
    io_record r;  /* raw, fields and detail re-pointed at the copies below */
    char *raw;
    io_slice *fields;
    char *vals;
    char *detail;
} trec;

typedef struct tlist {
    trec *v;
    size_t n, cap;
    assay_status st;
} tlist;

static inline void *t_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static inline void tlist_free(tlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].raw);
        free(l->v[i].fields);
        free(l->v[i].vals);
        free(l->v[i].detail);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static inline void tlist_push(tlist *l, const io_record *rec)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        trec *v = realloc(l->v, l->cap * sizeof *v);
        if (!v)
            exit(2);
        l->v = v;
    }
    trec *t = &l->v[l->n++];
    memset(t, 0, sizeof *t);
    t->r = *rec;
    t->raw = t_xmalloc(rec->raw_len);
    memcpy(t->raw, rec->raw, rec->raw_len);
    t->r.raw = t->raw;
    size_t total = 0;
    for (size_t i = 0; i < rec->nfields; i++)
        total += rec->fields[i].n;
    t->vals = t_xmalloc(total);
    t->fields = t_xmalloc(rec->nfields * sizeof *t->fields);
    char *v = t->vals;
    for (size_t i = 0; i < rec->nfields; i++) {
        memcpy(v, rec->fields[i].p, rec->fields[i].n);
        t->fields[i].p = v;
        t->fields[i].n = rec->fields[i].n;
        v += rec->fields[i].n;
    }
    t->r.fields = t->fields;
    if (rec->detail) {
        t->detail = t_xmalloc(strlen(rec->detail) + 1);
        strcpy(t->detail, rec->detail);
    }
    t->r.detail = t->detail;
}

/* Reads all of in[0..n) with block size `block` (the source hands out at most
 * `block` bytes per read as well); fast = false keeps the reader off its
 * one-pass path (io_csv_reader_no_fast). */
static inline tlist t_read_mode(const char *in, size_t n, const io_csv_opts *o, size_t block,
                                bool fast)
{
    tlist l = { 0 };
    io_mem_source m = { in, n, 0, block };
    io_csv_opts opts = *o;
    opts.block_size = block;
    io_csv_reader *r;
    l.st = io_csv_reader_new(io_mem_read, &m, &opts, &r);
    if (l.st)
        return l;
    if (!fast)
        io_csv_reader_no_fast(r);
    for (;;) {
        io_record rec;
        bool eof;
        assay_error err;
        l.st = io_csv_next(r, &rec, &eof, &err);
        if (l.st || eof)
            break;
        tlist_push(&l, &rec);
    }
    io_csv_reader_free(r);
    return l;
}

static inline tlist t_read(const char *in, size_t n, const io_csv_opts *o, size_t block)
{
    return t_read_mode(in, n, o, block, true);
}

static inline bool same_str(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static inline bool same_rec(const io_record *a, const io_record *b)
{
    if (a->kind != b->kind || a->raw_len != b->raw_len ||
        memcmp(a->raw, b->raw, a->raw_len) != 0 || a->raw_more != b->raw_more ||
        a->continued != b->continued || a->line != b->line || a->lines != b->lines ||
        a->nfields != b->nfields || a->quoted != b->quoted || a->bad_utf8 != b->bad_utf8 ||
        a->bad_utf8_at != b->bad_utf8_at || a->ctl_free != b->ctl_free ||
        !same_str(a->detail, b->detail) ||
        a->is_header != b->is_header || a->offset != b->offset)
        return false;
    for (size_t i = 0; i < a->nfields; i++)
        if (a->fields[i].n != b->fields[i].n ||
            memcmp(a->fields[i].p, b->fields[i].p, a->fields[i].n) != 0)
            return false;
    return true;
}

/* 0 when equal, else 1 + the index of the first record that differs. */
static inline size_t t_diff(const tlist *a, const tlist *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (!same_rec(&a->v[i].r, &b->v[i].r))
            return i + 1;
    return a->n == b->n && a->st == b->st ? 0 : n + 1;
}

/* Conservation: the raw spans, concatenated, are the input. Lines: each
 * record starts on the line its preceding bytes say. */
static inline bool t_conserved(const tlist *l, const char *in, size_t n)
{
    size_t off = 0;
    uint64_t line = 1;
    bool cr = false;
    for (size_t i = 0; i < l->n; i++) {
        const io_record *r = &l->v[i].r;
        if (r->raw_len == 0 || off + r->raw_len > n ||
            memcmp(in + off, r->raw, r->raw_len) != 0 || r->offset != off)
            return false;
        if (!r->continued && r->line != line)
            return false;
        for (size_t k = 0; k < r->raw_len; k++) {
            char c = r->raw[k];
            line += c == '\r' || (c == '\n' && !cr);
            cr = c == '\r';
        }
        off += r->raw_len;
    }
    return off == n;
}

/* Escapes CR and LF so a rendering stays on one line. */
static inline void t_put(char **o, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' || p[i] == '\r') {
            *(*o)++ = '\\';
            *(*o)++ = p[i] == '\n' ? 'n' : 'r';
        } else
            *(*o)++ = p[i];
    }
}

/* "O1:a|b ; B2 ; M3 ; T4+ ; O5/2:x" — kind letter, line, "/lines" when more
 * than one, "+" when raw_more, then the fields of OK and BLANK records. */
static inline char *t_render(const tlist *l)
{
    size_t cap = 64;
    for (size_t i = 0; i < l->n; i++)
        cap += 48 + 2 * l->v[i].r.raw_len;
    char *s = t_xmalloc(cap), *o = s;
    for (size_t i = 0; i < l->n; i++) {
        const io_record *r = &l->v[i].r;
        if (i)
            o += sprintf(o, " ; ");
        o += sprintf(o, "%c%llu", "OBMT"[r->kind], (unsigned long long)r->line);
        if (r->lines > 1)
            o += sprintf(o, "/%llu", (unsigned long long)r->lines);
        if (r->raw_more)
            *o++ = '+';
        if (r->kind == IO_REC_OK || r->kind == IO_REC_BLANK) {
            *o++ = ':';
            for (size_t k = 0; k < r->nfields; k++) {
                if (k)
                    *o++ = '|';
                t_put(&o, r->fields[k].p, r->fields[k].n);
            }
        }
    }
    *o = '\0';
    return s;
}

/* Reads in at every block size from 1 to n+1 (or at `few` sizes when n is
 * large), checks that all agree and conserve the input, and returns the
 * reading at the largest block size. */
static inline tlist t_read_all_blocks(const char *in, size_t n, const io_csv_opts *o)
{
    static const size_t few[] = { 1, 2, 3, 7, 64, 4096, (size_t)1 << 20 };
    tlist ref = t_read(in, n, o, n + 64);
    CHECK_MSG(t_conserved(&ref, in, n), "conservation at block %zu", n + 64);
    bool small = n <= 600;
    size_t count = small ? n + 1 : sizeof few / sizeof few[0];
    for (size_t i = 0; i < count; i++) {
        size_t b = small ? i + 1 : few[i];
        if (!small && b < 4096 && n > ((size_t)1 << 16) && b != 7)
            continue;
        tlist l = t_read(in, n, o, b);
        size_t d = t_diff(&ref, &l);
        CHECK_MSG(d == 0, "block %zu differs from block %zu at record %zu", b, n + 64, d);
        CHECK_MSG(t_conserved(&l, in, n), "conservation at block %zu", b);
        tlist_free(&l);
        if (d)
            break;
    }
    return ref;
}

/* Checks the rendering of reading `in` (a C string) at every block size. */
#define EXPECT_CSV(opts, in, want)                                             \
    do {                                                                       \
        tlist l_ = t_read_all_blocks((in), strlen(in), (opts));               \
        char *got_ = t_render(&l_);                                            \
        CHECK_MSG(l_.st == ASSAY_OK && strcmp(got_, (want)) == 0,              \
                  "\n  input %s\n  got   %s\n  want  %s", #in, got_, (want));  \
        free(got_);                                                            \
        tlist_free(&l_);                                                       \
    } while (0)

#endif
