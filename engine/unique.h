/* engine/unique.h — the set of keys seen so far, for unique and primaryKey.
 *
 * Exact, never probabilistic: a key is its canonical typed bytes. Memory per
 * key: one 16-byte slot (at load <= 1/2, so 32 bytes amortised) plus the key
 * bytes, a 4-byte length and the 8-byte record number of the first occurrence
 * in an arena — about 44 bytes + key length. Past max_keys insertion fails with
 * ASSAY_E_LIMIT (the run stops with exit 3 and a clear message). */
#ifndef ASSAY_ENGINE_UNIQUE_H
#define ASSAY_ENGINE_UNIQUE_H

#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"

typedef struct eng_keyset eng_keyset;

eng_keyset *eng_keyset_new(uint64_t max_keys);
void eng_keyset_free(eng_keyset *s);
/* Inserts key; when it was already there sets *first_record to the record
 * number of its first occurrence and returns ASSAY_OK with *dup = 1. */
assay_status eng_keyset_insert(eng_keyset *s, const void *key, size_t len,
                               uint64_t record, int *dup, uint64_t *first_record);
uint64_t eng_keyset_count(const eng_keyset *s);

/* A set of integer keys (a unique or single primaryKey field of type integer).
 * While the values seen are dense (at least one in 4 of the range they span,
 * plus 64Ki of slack) they live in an array indexed by value: 8 bytes per
 * value of the range, touched nearly in order for ids that grow with the
 * records. Past that, all move to the hash set as their canonical text, as
 * eng_keyset_insert would hold them. Insert with eng_keyset_insert_int only. */
eng_keyset *eng_keyset_new_int(uint64_t max_keys);
assay_status eng_keyset_insert_int(eng_keyset *s, int64_t v, uint64_t record, int *dup,
                                   uint64_t *first_record);

/* The same in two steps, for the parallel engine: workers hash keys, the
 * ordered writer inserts them, prefetching the slots of keys a few ahead so
 * that the cache misses of a large set overlap. */
uint64_t eng_keyset_hash(const void *key, size_t len);
assay_status eng_keyset_insert_hashed(eng_keyset *s, uint64_t hash, const void *key,
                                      size_t len, uint64_t record, int *dup,
                                      uint64_t *first_record);
void eng_keyset_prefetch(const eng_keyset *s, uint64_t hash);

#endif
