/* stats/kll.h — quantiles of a stream of doubles: a KLL sketch.
 *
 * Keeps at most about 3k items (k = 200 by default) whatever the stream's
 * length; exact while it holds every item (n <= k). Rank error: a quantile
 * query returns a value whose true rank is within eps * n of the asked rank
 * with eps about 1.7 / k (k = 200: under 1%); the tests measure it against
 * exact answers and docs/sketches.md states the bound they hold. Compactions
 * choose odd/even halves with a fixed-seed generator, so the same stream
 * gives the same sketch and the same JSON. min and max are exact. */
#ifndef ASSAY_STATS_KLL_H
#define ASSAY_STATS_KLL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_KLL_K 200

typedef struct stats_kll stats_kll;

stats_kll *stats_kll_new(uint32_t k);              /* NULL: out of memory */
void stats_kll_free(stats_kll *s);
int stats_kll_add(stats_kll *s, double v);         /* 0, -1 out of memory; NaN ignored */
uint64_t stats_kll_count(const stats_kll *s);
double stats_kll_min(const stats_kll *s);          /* NaN when empty */
double stats_kll_max(const stats_kll *s);
/* The value at rank q (0..1) — NaN when empty. */
double stats_kll_quantile(const stats_kll *s, double q);
/* The same into *out: 0, or -1 out of memory (NaN from stats_kll_quantile,
 * which cannot tell it from an empty sketch). */
int stats_kll_quantile_at(const stats_kll *s, double q, double *out);
/* The fraction of values <= v (0..1); 0 when empty. */
double stats_kll_rank(const stats_kll *s, double v);
int stats_kll_merge(stats_kll *dst, const stats_kll *src);   /* 0, -1 */
/* {"k": 200, "n": N, "min": x, "max": y, "levels": [[...], ...]}; NULL OOM. */
json_t *stats_kll_to_json(const stats_kll *s);
stats_kll *stats_kll_from_json(const json_t *j, char *err, size_t errcap);

#endif
