/* tests/unit/test_keyset.c — the exact key set of unique/primaryKey: every
 * duplicate found with its first record across many growths (small and
 * huge-page tables), the two-step insertion equal to the one-step one, keys
 * that differ only in length or bytes past a hash collision kept apart, and
 * the --max-unique-keys limit. Also the in-memory output the parallel engine
 * writes worker shares to. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/unique.h"
#include "io/outfile.h"
#include "t.h"

static size_t key_of(uint64_t v, char *buf)
{
    return (size_t)snprintf(buf, 32, "k%llu", (unsigned long long)v);
}

static void many_keys(void)
{
    enum { N = 600000 }; /* 2^21 slots at the end: past the huge-page size */
    eng_keyset *a = eng_keyset_new(0), *b = eng_keyset_new(0);
    CHECK(a && b);
    if (!a || !b)
        return;
    int bad = 0;
    char buf[32];
    for (uint64_t i = 0; i < N; i++) {
        uint64_t v = i % 3 == 2 ? i / 3 : i; /* every third key repeats an earlier one */
        size_t n = key_of(v, buf);
        int da, db;
        uint64_t fa = 0, fb = 0;
        assay_status sa = eng_keyset_insert(a, buf, n, i + 1, &da, &fa);
        assay_status sb = eng_keyset_insert_hashed(b, eng_keyset_hash(buf, n), buf, n, i + 1,
                                                   &db, &fb);
        if (i + 8 < N)
            eng_keyset_prefetch(b, eng_keyset_hash(buf, n));
        /* v = i/3 < i was inserted at record v+1 unless v itself repeats. */
        bool repeat = i % 3 == 2 && v % 3 != 2 && v < i;
        uint64_t want = v + 1;
        if (sa || sb || da != db || fa != fb || da != (repeat ? 1 : 0) ||
            (repeat && fa != want))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(eng_keyset_count(a), eng_keyset_count(b));
    eng_keyset_free(a);
    eng_keyset_free(b);
}

static void exact_bytes(void)
{
    eng_keyset *s = eng_keyset_new(0);
    int dup;
    uint64_t first = 0;
    CHECK(eng_keyset_insert(s, "ab", 2, 1, &dup, &first) == ASSAY_OK && !dup);
    CHECK(eng_keyset_insert(s, "ab\0", 3, 2, &dup, &first) == ASSAY_OK && !dup);
    CHECK(eng_keyset_insert(s, "", 0, 3, &dup, &first) == ASSAY_OK && !dup);
    CHECK(eng_keyset_insert(s, "ab", 2, 4, &dup, &first) == ASSAY_OK && dup && first == 1);
    /* Same hash, other bytes: the stored key decides (a forced collision). */
    uint64_t h = eng_keyset_hash("xy", 2);
    CHECK(eng_keyset_insert_hashed(s, h, "zz", 2, 5, &dup, &first) == ASSAY_OK && !dup);
    CHECK(eng_keyset_insert(s, "xy", 2, 6, &dup, &first) == ASSAY_OK && !dup);
    CHECK(eng_keyset_insert_hashed(s, h, "zz", 2, 7, &dup, &first) == ASSAY_OK && dup &&
          first == 5);
    CHECK_EQ_INT(eng_keyset_count(s), 5);
    eng_keyset_free(s);
}

static void limit(void)
{
    eng_keyset *s = eng_keyset_new(3);
    int dup;
    uint64_t first;
    CHECK(eng_keyset_insert(s, "a", 1, 1, &dup, &first) == ASSAY_OK);
    CHECK(eng_keyset_insert(s, "b", 1, 2, &dup, &first) == ASSAY_OK);
    CHECK(eng_keyset_insert(s, "c", 1, 3, &dup, &first) == ASSAY_OK);
    CHECK(eng_keyset_insert(s, "a", 1, 4, &dup, &first) == ASSAY_OK && dup);
    CHECK(eng_keyset_insert(s, "d", 1, 5, &dup, &first) == ASSAY_E_LIMIT);
    eng_keyset_free(s);
}

/* The integer set against the text set on the same values: the same
 * answers, whether the values stay dense, start sparse, or turn sparse late
 * (the move to the hash set mid-run), with negatives and the int64 ends. */
static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void ints_like_text(int kind)
{
    eng_keyset *a = eng_keyset_new_int(0), *b = eng_keyset_new(0);
    uint64_t x = 88172645463325252ull + (uint64_t)kind;
    int bad = 0;
    for (uint64_t i = 0; i < 300000; i++) {
        int64_t v;
        switch (kind) {
        case 0: v = (int64_t)(i % 7 == 3 ? rnd(&x) % (i + 1) : i) + 1; break; /* ids, repeats */
        case 1: v = (int64_t)(rnd(&x) % 1000) - 500; break;                   /* tiny range */
        case 2: v = (int64_t)rnd(&x); break;                                  /* sparse at once */
        case 3: v = i < 200000 ? (int64_t)(i / 2) : (int64_t)rnd(&x) % 1000000000; break;
        default: v = i % 3 == 0 ? INT64_MIN + (int64_t)(i % 5) : INT64_MAX - (int64_t)(i % 5);
        }
        char buf[32];
        size_t n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)v);
        int da, db;
        uint64_t fa = 0, fb = 0;
        if (eng_keyset_insert_int(a, v, i + 1, &da, &fa) ||
            eng_keyset_insert(b, buf, n, i + 1, &db, &fb) || da != db || (da && fa != fb))
            bad++;
    }
    CHECK_MSG(bad == 0, "kind %d: %d answers differ", kind, bad);
    CHECK_EQ_INT(eng_keyset_count(a), eng_keyset_count(b));
    eng_keyset_free(a);
    eng_keyset_free(b);
}

static void int_limit(void)
{
    eng_keyset *s = eng_keyset_new_int(2);
    int dup;
    uint64_t first = 0;
    CHECK(eng_keyset_insert_int(s, 5, 1, &dup, &first) == ASSAY_OK && !dup);
    CHECK(eng_keyset_insert_int(s, 3, 2, &dup, &first) == ASSAY_OK && !dup);
    CHECK(eng_keyset_insert_int(s, 5, 3, &dup, &first) == ASSAY_OK && dup && first == 1);
    CHECK(eng_keyset_insert_int(s, 4, 4, &dup, &first) == ASSAY_E_LIMIT);
    CHECK(eng_keyset_insert_int(s, (int64_t)1 << 60, 5, &dup, &first) == ASSAY_E_LIMIT);
    eng_keyset_free(s);
}

static void memory_out(void)
{
    io_out *o = NULL;
    CHECK(io_out_memory(&o) == ASSAY_OK && o);
    if (!o)
        return;
    size_t n;
    CHECK(io_out_mem_data(o, &n) == NULL || n == 0);
    char big[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    CHECK(io_out_write(o, "head,", 5) == ASSAY_OK);
    CHECK(io_out_write(o, big, sizeof big) == ASSAY_OK);
    CHECK(io_out_write(o, "", 0) == ASSAY_OK);
    const char *d = io_out_mem_data(o, &n);
    CHECK_EQ_INT(n, 5 + sizeof big);
    CHECK(d && memcmp(d, "head,", 5) == 0 && memcmp(d + 5, big, sizeof big) == 0);
    CHECK(io_out_flush(o) != ASSAY_OK); /* nothing to flush to */
    io_out_mem_clear(o);
    io_out_mem_data(o, &n);
    CHECK_EQ_INT(n, 0);
    CHECK(io_out_write(o, "x", 1) == ASSAY_OK);
    d = io_out_mem_data(o, &n);
    CHECK(n == 1 && d[0] == 'x');
    io_out_free(o);
}

int main(void)
{
    many_keys();
    exact_bytes();
    limit();
    for (int kind = 0; kind < 5; kind++)
        ints_like_text(kind);
    int_limit();
    memory_out();
    return t_done();
}
