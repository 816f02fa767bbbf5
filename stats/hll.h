/* stats/hll.h — distinct counts: exact while small, then HyperLogLog.
 *
 * A stats_distinct counts distinct 64-bit hashes (XXH3 of a value's bytes):
 * exactly, in a small open-addressing set, until it holds
 * STATS_DISTINCT_EXACT of them; from then on by a HyperLogLog of 2^14
 * registers (relative standard error 1.04 / sqrt(16384) = 0.81%), fed from
 * the first value on so the switch loses nothing. Mergeable (shards) and
 * serialisable to JSON (profiles). Deterministic: the same values in the same
 * order give the same estimate and the same JSON. */
#ifndef ASSAY_STATS_HLL_H
#define ASSAY_STATS_HLL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_DISTINCT_EXACT 4096

typedef struct stats_distinct stats_distinct;

stats_distinct *stats_distinct_new(void);          /* NULL: out of memory */
void stats_distinct_free(stats_distinct *d);
/* 0, or -1 out of memory (the counter stays usable, inexact from then on). */
int stats_distinct_add(stats_distinct *d, uint64_t hash);
uint64_t stats_distinct_estimate(const stats_distinct *d);
bool stats_distinct_exact(const stats_distinct *d);
/* dst += src. 0, or -1 out of memory. */
int stats_distinct_merge(stats_distinct *dst, const stats_distinct *src);
/* {"exact": true, "hashes": "<base64 of the sorted hashes>"} or
 * {"exact": false, "p": 14, "registers": "<base64>"}; NULL out of memory. */
json_t *stats_distinct_to_json(const stats_distinct *d);
/* NULL with err set when j is not such an object. */
stats_distinct *stats_distinct_from_json(const json_t *j, char *err, size_t errcap);

#endif
