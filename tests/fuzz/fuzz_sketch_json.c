/* tests/fuzz/fuzz_sketch_json.c — the sketches' JSON readers.
 *
 * The input is parsed as JSON and handed to stats_distinct_from_json,
 * stats_kll_from_json and stats_topk_from_json. A rejection must come with a
 * message; an accepted sketch must answer every query (estimates within
 * their ranges), serialise, read back, and serialise again to the same
 * bytes; merged with itself it must still serialise to JSON its reader
 * accepts. abort() on any failure. */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "stats/hll.h"
#include "stats/kll.h"
#include "stats/topk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

static void require(int ok)
{
    if (!ok)
        abort();
}

static char *dump(json_t *j)
{
    require(j != NULL);
    char *s = json_dumps(j, FLAGS);
    require(s != NULL);
    json_decref(j);
    return s;
}

static json_t *load(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    require(j != NULL);
    return j;
}

static void check_distinct(const json_t *j)
{
    char err[256] = "";
    stats_distinct *d = stats_distinct_from_json(j, err, sizeof err);
    if (!d) {
        require(err[0] != '\0');
        return;
    }
    uint64_t e = stats_distinct_estimate(d);
    require(!stats_distinct_exact(d) || e <= STATS_DISTINCT_EXACT);
    char *a = dump(stats_distinct_to_json(d));
    json_t *ja = load(a);
    stats_distinct *r = stats_distinct_from_json(ja, err, sizeof err);
    require(r != NULL);
    char *b = dump(stats_distinct_to_json(r));
    require(strcmp(a, b) == 0);
    require(stats_distinct_estimate(r) == e);
    require(stats_distinct_merge(r, d) == 0);
    require(stats_distinct_estimate(r) == e); /* a union with itself */
    stats_distinct_add(r, 12345);
    json_t *jm = stats_distinct_to_json(r);
    stats_distinct *m = stats_distinct_from_json(jm, err, sizeof err);
    require(m != NULL);
    stats_distinct_free(m);
    json_decref(jm);
    json_decref(ja);
    free(a);
    free(b);
    stats_distinct_free(r);
    stats_distinct_free(d);
}

static void kll_queries(const stats_kll *s)
{
    double lo = stats_kll_min(s), hi = stats_kll_max(s);
    for (int i = 0; i <= 20; i++) {
        double x = stats_kll_quantile(s, i / 20.0);
        if (stats_kll_count(s) == 0) {
            require(isnan(x));
            continue;
        }
        require(x >= lo && x <= hi);
        double r = stats_kll_rank(s, x);
        require(r >= 0 && r <= 1);
    }
}

static void check_kll(const json_t *j)
{
    char err[256] = "";
    stats_kll *s = stats_kll_from_json(j, err, sizeof err);
    if (!s) {
        require(err[0] != '\0');
        return;
    }
    kll_queries(s);
    char *a = dump(stats_kll_to_json(s));
    json_t *ja = load(a);
    stats_kll *r = stats_kll_from_json(ja, err, sizeof err);
    require(r != NULL);
    char *b = dump(stats_kll_to_json(r));
    require(strcmp(a, b) == 0);
    /* Merges may refuse counts past 2^63 - 1; the sketch stays whole. */
    bool huge = stats_kll_count(s) > (uint64_t)INT64_MAX / 4;
    require(stats_kll_merge(r, s) == 0 || huge);
    require(stats_kll_merge(r, r) == 0 || huge);
    if (!huge)
        require(stats_kll_add(r, 0.5) == 0);
    kll_queries(r);
    json_t *jm = stats_kll_to_json(r);
    stats_kll *m = stats_kll_from_json(jm, err, sizeof err);
    require(m != NULL);
    stats_kll_free(m);
    json_decref(jm);
    json_decref(ja);
    free(a);
    free(b);
    stats_kll_free(r);
    stats_kll_free(s);
}

static void topk_queries(const stats_topk *t)
{
    stats_topk_item it[64];
    size_t n = stats_topk_list(t, it, 64);
    for (size_t i = 0; i < n; i++) {
        require(it[i].error < it[i].count && it[i].len <= STATS_TOPK_VALUE_MAX);
        require(i == 0 || it[i - 1].count >= it[i].count);
    }
}

static void check_topk(const json_t *j)
{
    char err[256] = "";
    stats_topk *t = stats_topk_from_json(j, err, sizeof err);
    if (!t) {
        require(err[0] != '\0');
        return;
    }
    topk_queries(t);
    char *a = dump(stats_topk_to_json(t));
    json_t *ja = load(a);
    stats_topk *r = stats_topk_from_json(ja, err, sizeof err);
    require(r != NULL);
    char *b = dump(stats_topk_to_json(r));
    require(strcmp(a, b) == 0);
    bool huge = stats_topk_total(t) > (uint64_t)INT64_MAX / 4;
    require(stats_topk_merge(r, t) == 0 || huge);
    if (!huge)
        require(stats_topk_add(r, "fuzz", 4, XXH3_64bits("fuzz", 4)) == 0);
    topk_queries(r);
    stats_topk_free(r);
    /* After a merge with itself the sketch still reads back. */
    r = stats_topk_from_json(ja, err, sizeof err);
    require(r != NULL);
    require(stats_topk_merge(r, r) == 0 || huge);
    json_t *jm = stats_topk_to_json(r);
    stats_topk *m = stats_topk_from_json(jm, err, sizeof err);
    require(m != NULL);
    stats_topk_free(m);
    json_decref(jm);
    json_decref(ja);
    free(a);
    free(b);
    stats_topk_free(r);
    stats_topk_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &e);
    if (!j)
        return 0;
    check_distinct(j);
    check_kll(j);
    check_topk(j);
    json_decref(j);
    return 0;
}
