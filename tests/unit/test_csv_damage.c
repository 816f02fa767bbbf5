/* tests/unit/test_csv_damage.c — a broken quote never swallows the file.
 *
 * A generated CSV of 100,000 rows (some with quoted fields) is damaged in one
 * row: a stray quote in the middle of a field, a quote that opens a field and
 * never closes before later quoted fields appear, or a quote left open near
 * the end of the input. The damaged row must come out as one IO_REC_MALFORMED
 * line and every other record exactly as in the undamaged file: same bytes,
 * same line numbers, same fields. Also with CRLF and lone-CR line ends, and at
 * block sizes 7, 4096 and 1 MiB (csv_test_util.h). */
#include "csv_test_util.h"

typedef struct gen {
    char *p;
    size_t n, cap;
} gen;

static void put(gen *g, const char *s, size_t n)
{
    if (g->n + n > g->cap) {
        g->cap = (g->n + n) * 2;
        g->p = realloc(g->p, g->cap);
        if (!g->p)
            exit(2);
    }
    memcpy(g->p + g->n, s, n);
    g->n += n;
}

enum { CLEAN, STRAY, OPEN_MID, OPEN_END };

/* Row k of `rows` (1-based), damaged in the way `how` says when k is the
 * damaged row. */
static void row(gen *g, int k, int rows, int how, int bad, const char *eol)
{
    char b[128];
    bool quoted = k % 3 == 0 && k < rows - 10;
    int n;
    if (k == bad && how == STRAY)
        n = snprintf(b, sizeof b, "%d,it\"em%d,%d.%02d", k, k, k / 100, k % 100);
    else if (k == bad)
        n = snprintf(b, sizeof b, "%d,\"item%d,%d.%02d", k, k, k / 100, k % 100);
    else if (quoted)
        n = snprintf(b, sizeof b, "%d,\"item, %d\",%d.%02d", k, k, k / 100, k % 100);
    else
        n = snprintf(b, sizeof b, "%d,item%d,%d.%02d", k, k, k / 100, k % 100);
    put(g, b, (size_t)n);
    put(g, eol, strlen(eol));
}

static gen make(int rows, int how, int bad, const char *eol)
{
    gen g = { 0 };
    put(&g, "id,name,amount", 14);
    put(&g, eol, strlen(eol));
    for (int k = 1; k <= rows; k++)
        row(&g, k, rows, how, bad, eol);
    return g;
}

/* Records i of the clean and the damaged reading agree except for offsets. */
static bool same_but_offset(const io_record *a, const io_record *b)
{
    io_record c = *b;
    c.offset = a->offset;
    return same_rec(a, &c);
}

static void check_damage(int rows, int how, int bad, const char *eol)
{
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.header = true;
    gen cg = make(rows, CLEAN, 0, eol), dg = make(rows, how, bad, eol);
    tlist c = t_read(cg.p, cg.n, &o, (size_t)1 << 20);
    tlist d = t_read_all_blocks(dg.p, dg.n, &o);
    CHECK_EQ_INT(c.n, rows + 1);
    CHECK_EQ_INT(d.n, rows + 1);
    gen bg = { 0 };
    row(&bg, bad, rows, how, bad, eol); /* the damaged row's bytes */
    size_t wrong = 0, first_wrong = 0;
    for (size_t i = 0; i < c.n && i < d.n; i++) {
        const io_record *r = &d.v[i].r;
        bool ok = (int)i == bad ? r->kind == IO_REC_MALFORMED && r->line == c.v[i].r.line &&
                                      r->raw_len == bg.n && memcmp(r->raw, bg.p, bg.n) == 0
                                : same_but_offset(&c.v[i].r, r) && r->kind == IO_REC_OK;
        if (!ok && !wrong++)
            first_wrong = i;
    }
    CHECK_MSG(wrong == 0, "rows %d, damage %d at %d, eol %zu bytes: %zu records wrong, "
              "first %zu", rows, how, bad, strlen(eol), wrong, first_wrong);
    if (rows == 100000 && d.n > (size_t)bad && d.v[bad].r.detail)
        printf("damage %d: %s\n", how, d.v[bad].r.detail);
    tlist_free(&c);
    tlist_free(&d);
    free(cg.p);
    free(dg.p);
    free(bg.p);
}

int main(void)
{
    check_damage(100000, STRAY, 10, "\n");
    check_damage(100000, OPEN_MID, 10, "\n");
    check_damage(100000, OPEN_END, 99995, "\n");
    check_damage(100000, STRAY, 10, "\r\n");
    static const char *const eols[] = { "\n", "\r\n", "\r" };
    for (int e = 0; e < 3; e++)
        for (int how = STRAY; how <= OPEN_END; how++) {
            check_damage(300, how, 10, eols[e]);
            check_damage(300, how, 298, eols[e]);
            check_damage(300, how, 1, eols[e]);
        }
    return t_done();
}
