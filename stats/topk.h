/* stats/topk.h — most frequent values: Space-Saving.
 *
 * Tracks at most `capacity` distinct values with counts; exact while the
 * stream has no more distinct values than that. Once full, a new value
 * replaces the one with the smallest count and inherits that count as its
 * error (count - error <= true count <= count). With capacity m, every value
 * more frequent than n/m is in the list. Values are copied (at most
 * STATS_TOPK_VALUE_MAX bytes of each are kept; longer ones are cut at a UTF-8
 * boundary and flagged). Ties in a listing order by value bytes, so listings
 * are deterministic. Mergeable and serialisable. */
#ifndef ASSAY_STATS_TOPK_H
#define ASSAY_STATS_TOPK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_TOPK_VALUE_MAX 200

typedef struct stats_topk stats_topk;

typedef struct stats_topk_item {
    const char *value;   /* borrowed from the sketch until its next change */
    size_t len;
    bool cut;            /* the value was longer than STATS_TOPK_VALUE_MAX */
    uint64_t count;      /* an upper bound of the true count */
    uint64_t error;      /* count - error is a lower bound */
} stats_topk_item;

stats_topk *stats_topk_new(size_t capacity);       /* NULL: out of memory */
void stats_topk_free(stats_topk *t);
/* hash: XXH3 of the value's bytes (the caller has it already). 0 or -1 OOM. */
int stats_topk_add(stats_topk *t, const char *p, size_t n, uint64_t hash);
uint64_t stats_topk_total(const stats_topk *t);    /* values added */
bool stats_topk_exact(const stats_topk *t);
/* The max most frequent values, by count descending then bytes; returns how
 * many were written to out. */
size_t stats_topk_list(const stats_topk *t, stats_topk_item *out, size_t max);
int stats_topk_merge(stats_topk *dst, const stats_topk *src);  /* 0, -1 */
/* {"capacity": m, "total": n, "exact": b, "items": [[value, count, error], ...]} */
json_t *stats_topk_to_json(const stats_topk *t);
stats_topk *stats_topk_from_json(const json_t *j, char *err, size_t errcap);

#endif
