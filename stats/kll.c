/* stats/kll.c — a KLL quantile sketch (Karnin, Lang, Liberty 2016).
 *
 * Level h holds items of weight 2^h. With H levels, level h may hold
 * max(2, ceil(k * (2/3)^(H-1-h))) items; when the sketch as a whole holds
 * more than the sum of those capacities, the lowest over-full level is
 * compacted: sorted, and every other item (odd or even positions, one
 * pseudo-random bit) moves up one level with twice the weight; with an odd
 * count the smallest item stays. The total weight always equals n exactly.
 * Compaction is lazy (only when the whole sketch is over budget), which
 * keeps more items and lowers the error. The generator is a xorshift64 with
 * a fixed seed, held in the sketch and serialised, so a stream and a
 * round trip through JSON give the same sketch. Powers of 2/3 are computed by
 * repeated multiplication (correctly rounded everywhere), not pow(). */
#include "stats/kll.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KLL_MAX_LEVELS 63
#define KLL_K_MIN 8u
#define KLL_K_MAX 65535u
#define KLL_SEED 0x9E3779B97F4A7C15ull

typedef struct kll_level {
    double *v;
    uint32_t len, alloc;
} kll_level;

struct stats_kll {
    uint32_t k;
    uint32_t nlev;                 /* H >= 1 */
    uint64_t n;                    /* values added; = sum of len * 2^h */
    uint64_t size;                 /* items held */
    uint64_t max_size;             /* sum of the capacities */
    uint64_t rng;                  /* xorshift64 state, never 0 */
    double min, max;               /* NaN when empty */
    uint32_t cap[KLL_MAX_LEVELS];
    kll_level lev[KLL_MAX_LEVELS];
};

/* A total order on non-NaN doubles: -0 before +0, so sorts are canonical. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (x < y)
        return -1;
    if (x > y)
        return 1;
    return (int)(signbit(y) != 0) - (int)(signbit(x) != 0);
}

static void set_caps(stats_kll *s)
{
    double c = s->k;
    s->max_size = 0;
    for (uint32_t d = 0; d < s->nlev; d++) {
        uint32_t h = s->nlev - 1 - d;
        double cc = ceil(c);
        s->cap[h] = cc < 2 ? 2 : (uint32_t)cc;
        s->max_size += s->cap[h];
        c = c * 2.0 / 3.0;
    }
}

static bool rng_bit(stats_kll *s)
{
    uint64_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    return x >> 63;
}

static int level_reserve(kll_level *l, uint64_t want)
{
    if (want <= l->alloc)
        return 0;
    if (want > UINT32_MAX / 2)
        return -1;
    uint32_t na = l->alloc ? l->alloc : 8;
    while (na < want)
        na *= 2;
    double *v = realloc(l->v, (size_t)na * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    l->alloc = na;
    return 0;
}

stats_kll *stats_kll_new(uint32_t k)
{
    if (k == 0)
        k = STATS_KLL_K;
    if (k < KLL_K_MIN)
        k = KLL_K_MIN;
    if (k > KLL_K_MAX)
        k = KLL_K_MAX;
    stats_kll *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->k = k;
    s->nlev = 1;
    s->rng = KLL_SEED;
    s->min = s->max = NAN;
    set_caps(s);
    return s;
}

void stats_kll_free(stats_kll *s)
{
    if (!s)
        return;
    for (uint32_t h = 0; h < KLL_MAX_LEVELS; h++)
        free(s->lev[h].v);
    free(s);
}

/* Moves every other item of level h up a level. -1 out of memory (nothing
 * changed). */
static int compact(stats_kll *s, uint32_t h)
{
    kll_level *l = &s->lev[h];
    if (h + 1 >= KLL_MAX_LEVELS)
        return 0;
    uint32_t keep = l->len & 1, moved = (l->len - keep) / 2;
    if (level_reserve(&s->lev[h + 1], (uint64_t)s->lev[h + 1].len + moved) < 0)
        return -1;
    qsort(l->v, l->len, sizeof *l->v, cmp_double);
    uint32_t off = keep + (rng_bit(s) ? 1 : 0);
    kll_level *up = &s->lev[h + 1];
    for (uint32_t j = 0; j < moved; j++)
        up->v[up->len++] = l->v[off + 2 * j];
    l->len = keep;
    s->size -= moved;
    if (h + 1 == s->nlev) {
        s->nlev++;
        set_caps(s);
    }
    return 0;
}

static int compress(stats_kll *s)
{
    while (s->size > s->max_size) {
        uint32_t h = 0;
        while (h < s->nlev && s->lev[h].len <= s->cap[h])
            h++;
        if (h == s->nlev || h + 1 >= KLL_MAX_LEVELS)
            return 0; /* cannot happen below 2^63 values; stay over budget */
        if (compact(s, h) < 0)
            return -1;
    }
    return 0;
}

static void note_minmax(stats_kll *s, double v)
{
    if (s->n == 0 || v < s->min || (v == s->min && signbit(v)))
        s->min = v;
    if (s->n == 0 || v > s->max || (v == s->max && !signbit(v)))
        s->max = v;
}

int stats_kll_add(stats_kll *s, double v)
{
    if (isnan(v))
        return 0;
    kll_level *l = &s->lev[0];
    if (l->len == l->alloc && level_reserve(l, (uint64_t)l->len + 1) < 0)
        return -1;
    note_minmax(s, v);
    l->v[l->len++] = v;
    s->n++;
    s->size++;
    if (s->size > s->max_size)
        return compress(s);
    return 0;
}

uint64_t stats_kll_count(const stats_kll *s)
{
    return s->n;
}

double stats_kll_min(const stats_kll *s)
{
    return s->n ? s->min : NAN;
}

double stats_kll_max(const stats_kll *s)
{
    return s->n ? s->max : NAN;
}

typedef struct kll_item {
    double v;
    uint64_t w;
} kll_item;

static int cmp_item(const void *a, const void *b)
{
    return cmp_double(&((const kll_item *)a)->v, &((const kll_item *)b)->v);
}

double stats_kll_quantile(const stats_kll *s, double q)
{
    double r = NAN;
    return stats_kll_quantile_at(s, q, &r) == 0 ? r : NAN;
}

int stats_kll_quantile_at(const stats_kll *s, double q, double *out)
{
    if (s->n == 0 || isnan(q)) {
        *out = NAN;
        return 0;
    }
    if (q <= 0 || q >= 1) {
        *out = q <= 0 ? s->min : s->max;
        return 0;
    }
    kll_item *it = malloc((size_t)s->size * sizeof *it);
    if (!it)
        return -1;
    size_t m = 0;
    for (uint32_t h = 0; h < s->nlev; h++)
        for (uint32_t i = 0; i < s->lev[h].len; i++)
            it[m++] = (kll_item){s->lev[h].v[i], (uint64_t)1 << h};
    qsort(it, m, sizeof *it, cmp_item);
    double target = q * (double)s->n, r = s->max;
    uint64_t cum = 0;
    for (size_t i = 0; i < m; i++) {
        cum += it[i].w;
        if ((double)cum >= target) {
            r = it[i].v;
            break;
        }
    }
    free(it);
    *out = r;
    return 0;
}

double stats_kll_rank(const stats_kll *s, double v)
{
    if (s->n == 0 || isnan(v))
        return 0;
    uint64_t below = 0;
    for (uint32_t h = 0; h < s->nlev; h++)
        for (uint32_t i = 0; i < s->lev[h].len; i++)
            if (s->lev[h].v[i] <= v)
                below += (uint64_t)1 << h;
    return (double)below / (double)s->n;
}

static stats_kll *kll_clone(const stats_kll *s)
{
    stats_kll *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    *c = *s;
    for (uint32_t h = 0; h < KLL_MAX_LEVELS; h++)
        c->lev[h] = (kll_level){NULL, 0, 0};
    for (uint32_t h = 0; h < KLL_MAX_LEVELS; h++) {
        if (h < s->nlev && s->lev[h].len) {
            if (level_reserve(&c->lev[h], s->lev[h].len) < 0) {
                stats_kll_free(c);
                return NULL;
            }
            memcpy(c->lev[h].v, s->lev[h].v, s->lev[h].len * sizeof(double));
            c->lev[h].len = s->lev[h].len;
        }
    }
    return c;
}

int stats_kll_merge(stats_kll *dst, const stats_kll *src)
{
    if (src->n == 0)
        return 0;
    if (src->n > (uint64_t)INT64_MAX - dst->n)
        return -1; /* beyond what the JSON form can carry */
    stats_kll *tmp = NULL;
    if (dst == src) {
        if (!(tmp = kll_clone(src)))
            return -1;
        src = tmp;
    }
    int rc = -1;
    /* Reserve first so that out of memory leaves dst unchanged. */
    for (uint32_t h = 0; h < src->nlev; h++)
        if (level_reserve(&dst->lev[h], (uint64_t)dst->lev[h].len + src->lev[h].len) < 0)
            goto done;
    if (src->nlev > dst->nlev) {
        dst->nlev = src->nlev;
        set_caps(dst);
    }
    for (uint32_t h = 0; h < src->nlev; h++) {
        if (!src->lev[h].len)
            continue;
        memcpy(dst->lev[h].v + dst->lev[h].len, src->lev[h].v,
               src->lev[h].len * sizeof(double));
        dst->lev[h].len += src->lev[h].len;
    }
    if (dst->n == 0) {
        dst->min = src->min;
        dst->max = src->max;
    } else {
        note_minmax(dst, src->min);
        note_minmax(dst, src->max);
    }
    dst->n += src->n;
    dst->size += src->size;
    rc = compress(dst);
done:
    stats_kll_free(tmp);
    return rc;
}

/* JSON: finite doubles as numbers, infinities as "inf" / "-inf". */
static json_t *num_json(double v)
{
    if (isinf(v))
        return json_string(v > 0 ? "inf" : "-inf");
    return json_real(v);
}

static bool json_num(const json_t *j, double *v)
{
    if (json_is_real(j))
        *v = json_real_value(j);
    else if (json_is_integer(j))
        *v = (double)json_integer_value(j);
    else if (json_is_string(j) && strcmp(json_string_value(j), "inf") == 0)
        *v = INFINITY;
    else if (json_is_string(j) && strcmp(json_string_value(j), "-inf") == 0)
        *v = -INFINITY;
    else
        return false;
    return true;
}

json_t *stats_kll_to_json(const stats_kll *s)
{
    json_t *o = json_object(), *levels = json_array();
    char rng[17];
    if (!o || !levels)
        goto oom;
    for (uint32_t h = 0; h < s->nlev; h++) {
        json_t *a = json_array();
        if (json_array_append_new(levels, a) < 0)
            goto oom;
        for (uint32_t i = 0; i < s->lev[h].len; i++)
            if (json_array_append_new(a, num_json(s->lev[h].v[i])) < 0)
                goto oom;
    }
    snprintf(rng, sizeof rng, "%016llx", (unsigned long long)s->rng);
    int rc = json_object_set_new(o, "levels", levels); /* takes levels */
    levels = NULL;
    if (rc < 0 || json_object_set_new(o, "k", json_integer(s->k)) < 0 ||
        json_object_set_new(o, "n", json_integer((json_int_t)s->n)) < 0 ||
        json_object_set_new(o, "min", s->n ? num_json(s->min) : json_null()) < 0 ||
        json_object_set_new(o, "max", s->n ? num_json(s->max) : json_null()) < 0 ||
        json_object_set_new(o, "rng", json_string(rng)) < 0)
        goto oom;
    return o;
oom:
    json_decref(levels);
    json_decref(o);
    return NULL;
}

static stats_kll *kll_fail(stats_kll *s, char *err, size_t errcap, const char *msg)
{
    if (err && errcap)
        snprintf(err, errcap, "quantile sketch: %s", msg);
    stats_kll_free(s);
    return NULL;
}

static bool parse_rng(const json_t *j, uint64_t *out)
{
    const char *p = json_string_value(j);
    if (!p || json_string_length(j) != 16)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return v != 0;
}

/* Loads the levels array into s; NULL or a message. */
static const char *load_levels(stats_kll *s, const json_t *levels)
{
    size_t nl = json_array_size(levels);
    if (nl > KLL_MAX_LEVELS)
        return "more than 63 levels";
    s->nlev = nl ? (uint32_t)nl : 1;
    uint64_t weight = 0;
    for (size_t h = 0; h < nl; h++) {
        const json_t *a = json_array_get(levels, h);
        if (!json_is_array(a))
            return "a level is not an array";
        size_t len = json_array_size(a);
        if (len >= UINT32_MAX / 2)
            return "a level is too long";
        if (len && (h >= 63 || len > (UINT64_MAX >> h) ||
                    weight + ((uint64_t)len << h) < weight))
            return "levels weigh more than n";
        weight += (uint64_t)len << h;
        if (level_reserve(&s->lev[h], len) < 0)
            return "out of memory";
        for (size_t i = 0; i < len; i++) {
            double v;
            if (!json_num(json_array_get(a, i), &v))
                return "an item is not a number";
            if (s->n && (v < s->min || v > s->max))
                return "an item lies outside [min, max]";
            s->lev[h].v[s->lev[h].len++] = v;
        }
        s->size += len;
    }
    if (weight != s->n)
        return "levels do not weigh n";
    return NULL;
}

stats_kll *stats_kll_from_json(const json_t *j, char *err, size_t errcap)
{
    if (!json_is_object(j))
        return kll_fail(NULL, err, errcap, "not an object");
    const json_t *k = json_object_get(j, "k"), *n = json_object_get(j, "n");
    const json_t *levels = json_object_get(j, "levels");
    if (!json_is_integer(k) || json_integer_value(k) < KLL_K_MIN ||
        json_integer_value(k) > KLL_K_MAX)
        return kll_fail(NULL, err, errcap, "\"k\" missing or not in 8..65535");
    if (!json_is_integer(n) || json_integer_value(n) < 0)
        return kll_fail(NULL, err, errcap, "\"n\" missing or negative");
    if (!json_is_array(levels))
        return kll_fail(NULL, err, errcap, "\"levels\" missing or not an array");
    stats_kll *s = stats_kll_new((uint32_t)json_integer_value(k));
    if (!s)
        return kll_fail(NULL, err, errcap, "out of memory");
    s->n = (uint64_t)json_integer_value(n);
    const json_t *rng = json_object_get(j, "rng");
    if (!parse_rng(rng, &s->rng))
        return kll_fail(s, err, errcap, "\"rng\" missing or not 16 hex digits (non-zero)");
    const json_t *mn = json_object_get(j, "min"), *mx = json_object_get(j, "max");
    if (s->n == 0) {
        if ((mn && !json_is_null(mn)) || (mx && !json_is_null(mx)))
            return kll_fail(s, err, errcap, "\"min\"/\"max\" given for no values");
    } else if (!json_num(mn, &s->min) || !json_num(mx, &s->max) || s->min > s->max)
        return kll_fail(s, err, errcap, "\"min\"/\"max\" missing or not ordered numbers");
    const char *msg = load_levels(s, levels);
    if (msg)
        return kll_fail(s, err, errcap, msg);
    set_caps(s);
    if (compress(s) < 0)
        return kll_fail(s, err, errcap, "out of memory");
    return s;
}
