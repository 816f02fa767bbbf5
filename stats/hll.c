/* stats/hll.c — distinct counts: an exact hash set, then HyperLogLog.
 *
 * The registers are fed from the first hash on (so switching loses nothing
 * and an out-of-memory in the set only costs exactness). The exact set is
 * open addressing over the hashes themselves (0 marks an empty slot; the
 * hash 0 is a flag beside the table), load at most 1/2, freed once the
 * 4097th distinct hash arrives.
 *
 * Estimates use Ertl's improved estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017): the harmonic mean of the
 * registers with the empty registers weighed by a series that reduces to
 * linear counting at small n and to the raw estimate at large n, and a
 * matching correction for saturated registers. Unlike the classic switch
 * from linear counting to the raw mean at 2.5m registers, it has no bias
 * bump in between (the classic form measured 3.0% high at n = 40000). */
#include "stats/hll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/b64.h"

#define HLL_P 14
#define HLL_M (1u << HLL_P)
#define HLL_MAX_RANK (64 - HLL_P + 1)
#define SET_MIN_SLOTS 16u
#define SET_MAX_SLOTS (2u * STATS_DISTINCT_EXACT)

struct stats_distinct {
    uint64_t *set;      /* NULL once inexact */
    uint32_t slots;     /* power of two */
    uint32_t used;      /* non-zero hashes in set */
    bool has_zero;      /* the hash 0 was seen (exact mode) */
    bool exact;
    uint8_t reg[HLL_M];
};

static uint32_t set_slot(uint64_t h, uint32_t slots)
{
    /* Fibonacci hashing: the top bits of the product, robust to poor input. */
    return (uint32_t)((h * 0x9E3779B97F4A7C15ull) >> 32) & (slots - 1);
}

static void hll_feed(uint8_t *reg, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    uint64_t w = h << HLL_P;
    uint8_t rank = w ? (uint8_t)(__builtin_clzll(w) + 1) : HLL_MAX_RANK;
    if (rank > reg[idx])
        reg[idx] = rank;
}

static uint64_t exact_count(const stats_distinct *d)
{
    return (uint64_t)d->used + (d->has_zero ? 1 : 0);
}

static void go_inexact(stats_distinct *d)
{
    free(d->set);
    d->set = NULL;
    d->slots = d->used = 0;
    d->has_zero = false;
    d->exact = false;
}

/* Inserts h (non-zero) into a table known to have room. */
static bool set_put(uint64_t *set, uint32_t slots, uint64_t h)
{
    uint32_t i = set_slot(h, slots);
    while (set[i]) {
        if (set[i] == h)
            return false;
        i = (i + 1) & (slots - 1);
    }
    set[i] = h;
    return true;
}

static int set_grow(stats_distinct *d)
{
    uint32_t ns = d->slots * 2;
    uint64_t *n = calloc(ns, sizeof *n);
    if (!n)
        return -1;
    for (uint32_t i = 0; i < d->slots; i++)
        if (d->set[i])
            set_put(n, ns, d->set[i]);
    free(d->set);
    d->set = n;
    d->slots = ns;
    return 0;
}

static stats_distinct *distinct_alloc(void)
{
    stats_distinct *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->set = calloc(SET_MIN_SLOTS, sizeof *d->set);
    if (!d->set) {
        free(d);
        return NULL;
    }
    d->slots = SET_MIN_SLOTS;
    d->exact = true;
    return d;
}

stats_distinct *stats_distinct_new(void)
{
    return distinct_alloc();
}

void stats_distinct_free(stats_distinct *d)
{
    if (!d)
        return;
    free(d->set);
    free(d);
}

/* The exact-set half of an add: 0, or -1 when growing failed (the counter
 * then is inexact). */
static int set_add(stats_distinct *d, uint64_t h)
{
    if (h == 0) {
        if (!d->has_zero && exact_count(d) >= STATS_DISTINCT_EXACT) {
            go_inexact(d);
            return 0;
        }
        d->has_zero = true;
        return 0;
    }
    uint32_t mask = d->slots - 1, i = set_slot(h, d->slots);
    while (d->set[i]) {
        if (d->set[i] == h)
            return 0;
        i = (i + 1) & mask;
    }
    if (exact_count(d) >= STATS_DISTINCT_EXACT) {
        go_inexact(d);
        return 0;
    }
    if ((d->used + 1) * 2 > d->slots) {
        if (d->slots >= SET_MAX_SLOTS || set_grow(d) < 0) {
            go_inexact(d);
            return -1;
        }
        set_put(d->set, d->slots, h);
    } else
        d->set[i] = h;
    d->used++;
    return 0;
}

int stats_distinct_add(stats_distinct *d, uint64_t hash)
{
    hll_feed(d->reg, hash);
    if (!d->exact)
        return 0;
    return set_add(d, hash);
}

bool stats_distinct_exact(const stats_distinct *d)
{
    return d->exact;
}

/* Ertl's corrections (see the file comment): sigma for the empty
 * registers, tau for the saturated ones. Both converge in a few dozen steps;
 * sqrt is correctly rounded, so results are the same everywhere. */
static double hll_sigma(double x)
{
    if (x == 1.0)
        return INFINITY;
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

static double hll_tau(double x)
{
    if (x == 0.0 || x == 1.0)
        return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != prev);
    return z / 3.0;
}

static double hll_estimate(const uint8_t *reg)
{
    uint32_t c[HLL_MAX_RANK + 1] = {0};
    for (uint32_t i = 0; i < HLL_M; i++)
        c[reg[i]]++;
    double m = HLL_M;
    double z = m * hll_tau(1.0 - c[HLL_MAX_RANK] / m);
    for (int k = HLL_MAX_RANK - 1; k >= 1; k--)
        z = 0.5 * (z + c[k]);
    z += m * hll_sigma(c[0] / m);
    return 0.7213475204444817 * m * m / z; /* alpha_inf = 1 / (2 ln 2) */
}

uint64_t stats_distinct_estimate(const stats_distinct *d)
{
    if (d->exact)
        return exact_count(d);
    double e = hll_estimate(d->reg);
    /* At least what the exact phase counted: never below the switch point. */
    uint64_t r = (uint64_t)llround(e);
    return r > STATS_DISTINCT_EXACT ? r : STATS_DISTINCT_EXACT + 1;
}

/* Adds every hash of the exact set s to dst's set (in table order). */
static int set_each(const stats_distinct *s, stats_distinct *dst)
{
    if (s->has_zero && set_add(dst, 0) < 0)
        return -1;
    for (uint32_t i = 0; i < s->slots; i++)
        if (s->set[i] && dst->exact && set_add(dst, s->set[i]) < 0)
            return -1;
    return 0;
}

int stats_distinct_merge(stats_distinct *dst, const stats_distinct *src)
{
    if (dst == src)
        return 0; /* a set united with itself */
    for (uint32_t i = 0; i < HLL_M; i++)
        if (src->reg[i] > dst->reg[i])
            dst->reg[i] = src->reg[i];
    if (!dst->exact)
        return 0;
    if (!src->exact) {
        go_inexact(dst);
        return 0;
    }
    return set_each(src, dst);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static json_t *b64_string(const unsigned char *p, size_t n)
{
    char *s = malloc(stats_b64_len(n) + 1);
    if (!s)
        return NULL;
    stats_b64_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}

json_t *stats_distinct_to_json(const stats_distinct *d)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_t *v;
    if (d->exact) {
        size_t cnt = (size_t)exact_count(d), k = 0;
        uint64_t *h = malloc((cnt ? cnt : 1) * sizeof *h);
        unsigned char *bytes = malloc((cnt ? cnt : 1) * 8);
        if (!h || !bytes) {
            free(h);
            free(bytes);
            goto oom;
        }
        if (d->has_zero)
            h[k++] = 0;
        for (uint32_t i = 0; i < d->slots; i++)
            if (d->set[i])
                h[k++] = d->set[i];
        qsort(h, cnt, sizeof *h, cmp_u64);
        for (size_t i = 0; i < cnt; i++) /* big-endian: sorted text, fixed form */
            for (int b = 0; b < 8; b++)
                bytes[i * 8 + (size_t)b] = (unsigned char)(h[i] >> (56 - 8 * b));
        v = b64_string(bytes, cnt * 8);
        free(h);
        free(bytes);
        if (json_object_set_new(o, "exact", json_true()) < 0 ||
            json_object_set_new(o, "hashes", v) < 0)
            goto oom;
    } else {
        if (json_object_set_new(o, "exact", json_false()) < 0 ||
            json_object_set_new(o, "p", json_integer(HLL_P)) < 0 ||
            json_object_set_new(o, "registers", b64_string(d->reg, HLL_M)) < 0)
            goto oom;
    }
    return o;
oom:
    json_decref(o);
    return NULL;
}

static stats_distinct *fail(stats_distinct *d, char *err, size_t errcap,
                            const char *msg)
{
    if (err && errcap)
        snprintf(err, errcap, "distinct sketch: %s", msg);
    stats_distinct_free(d);
    return NULL;
}

/* The base64 string member key of j, decoded. */
static const char *get_b64(const json_t *j, const char *key, unsigned char **out,
                           size_t *n)
{
    const json_t *s = json_object_get(j, key);
    bool oom;
    if (!json_is_string(s))
        return "missing or non-string base64 member";
    if (!stats_b64_decode(json_string_value(s), json_string_length(s), out, n, &oom))
        return oom ? "out of memory" : "invalid base64";
    return NULL;
}

static stats_distinct *from_hashes(stats_distinct *d, const unsigned char *b,
                                   size_t n, char *err, size_t errcap)
{
    if (n % 8)
        return fail(d, err, errcap, "hashes: length not a multiple of 8 bytes");
    if (n / 8 > STATS_DISTINCT_EXACT)
        return fail(d, err, errcap, "hashes: more than 4096 in exact mode");
    uint64_t prev = 0;
    for (size_t i = 0; i < n / 8; i++) {
        uint64_t h = 0;
        for (int k = 0; k < 8; k++)
            h = h << 8 | b[i * 8 + (size_t)k];
        if (i && h <= prev)
            return fail(d, err, errcap, "hashes: not strictly ascending");
        prev = h;
        hll_feed(d->reg, h);
        if (set_add(d, h) < 0)
            return fail(d, err, errcap, "out of memory");
    }
    return d;
}

stats_distinct *stats_distinct_from_json(const json_t *j, char *err, size_t errcap)
{
    if (!json_is_object(j))
        return fail(NULL, err, errcap, "not an object");
    const json_t *ex = json_object_get(j, "exact");
    if (!json_is_boolean(ex))
        return fail(NULL, err, errcap, "\"exact\" missing or not a boolean");
    stats_distinct *d = distinct_alloc();
    if (!d)
        return fail(NULL, err, errcap, "out of memory");
    unsigned char *b = NULL;
    size_t n = 0;
    const char *msg;
    if (json_is_true(ex)) {
        if ((msg = get_b64(j, "hashes", &b, &n)))
            return fail(d, err, errcap, msg);
        d = from_hashes(d, b, n, err, errcap);
        free(b);
        return d;
    }
    const json_t *p = json_object_get(j, "p");
    if (!json_is_integer(p) || json_integer_value(p) != HLL_P)
        return fail(d, err, errcap, "\"p\" missing or not 14");
    if ((msg = get_b64(j, "registers", &b, &n)))
        return fail(d, err, errcap, msg);
    if (n != HLL_M) {
        free(b);
        return fail(d, err, errcap, "registers: not 16384 bytes");
    }
    for (size_t i = 0; i < n; i++)
        if (b[i] > HLL_MAX_RANK) {
            free(b);
            return fail(d, err, errcap, "registers: a value above 51");
        }
    memcpy(d->reg, b, n);
    free(b);
    go_inexact(d);
    return d;
}
