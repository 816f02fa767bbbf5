/* engine/unique.c — exact key set: open addressing over xxHash3 hashes, keys in
 * an arena (see unique.h for the memory cost). */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MADV_HUGEPAGE */
#include "engine/unique.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "core/buf.h"

typedef struct slot {
    uint64_t hash;   /* 0: empty (a real hash of 0 is stored as 1) */
    uint64_t offset; /* into the arena: u32 length, u64 record, key bytes */
} slot;

struct eng_keyset {
    slot *slots;
    size_t nslots; /* power of two */
    uint64_t count, max_keys;
    core_buf arena;
};

/* Tables past this size are mapped on their own and asked for huge pages:
 * an insertion touches a random slot, and with 4 KiB pages nearly every one
 * also misses the TLB. */
#define BIG_TABLE ((size_t)4 << 20)

static slot *slots_new(size_t n)
{
    size_t bytes = n * sizeof(slot);
    if (bytes < BIG_TABLE)
        return calloc(n, sizeof(slot));
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
#endif
    return p;
}

static void slots_free(slot *p, size_t n)
{
    if (!p)
        return;
    if (n * sizeof(slot) < BIG_TABLE)
        free(p);
    else
        munmap(p, n * sizeof(slot));
}

eng_keyset *eng_keyset_new(uint64_t max_keys)
{
    eng_keyset *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->nslots = 1024;
    s->slots = slots_new(s->nslots);
    if (!s->slots) {
        free(s);
        return NULL;
    }
    s->max_keys = max_keys;
    core_buf_init(&s->arena, 0);
    return s;
}

void eng_keyset_free(eng_keyset *s)
{
    if (!s)
        return;
    slots_free(s->slots, s->nslots);
    core_buf_free(&s->arena);
    free(s);
}

uint64_t eng_keyset_count(const eng_keyset *s)
{
    return s->count;
}

static assay_status grow(eng_keyset *s)
{
    size_t n = s->nslots * 2;
    slot *ns = slots_new(n);
    if (!ns)
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < s->nslots; i++) {
        /* The new table is written at random: fetch a few slots ahead. */
        if (i + 16 < s->nslots && s->slots[i + 16].hash)
            __builtin_prefetch(&ns[(size_t)s->slots[i + 16].hash & (n - 1)], 1, 1);
        if (!s->slots[i].hash)
            continue;
        size_t j = (size_t)s->slots[i].hash & (n - 1);
        while (ns[j].hash)
            j = (j + 1) & (n - 1);
        ns[j] = s->slots[i];
    }
    slots_free(s->slots, s->nslots);
    s->slots = ns;
    s->nslots = n;
    return ASSAY_OK;
}

static int key_equal(const eng_keyset *s, uint64_t off, const void *key, size_t len,
                     uint64_t *record)
{
    uint32_t klen;
    memcpy(&klen, s->arena.data + off, sizeof klen);
    if (klen != len)
        return 0;
    if (memcmp(s->arena.data + off + 12, key, len) != 0)
        return 0;
    memcpy(record, s->arena.data + off + 4, sizeof *record);
    return 1;
}

uint64_t eng_keyset_hash(const void *key, size_t len)
{
    uint64_t h = XXH3_64bits(key, len);
    return h ? h : 1;
}

void eng_keyset_prefetch(const eng_keyset *s, uint64_t hash)
{
    __builtin_prefetch(&s->slots[(size_t)hash & (s->nslots - 1)], 1, 1);
}

assay_status eng_keyset_insert(eng_keyset *s, const void *key, size_t len,
                               uint64_t record, int *dup, uint64_t *first_record)
{
    return eng_keyset_insert_hashed(s, eng_keyset_hash(key, len), key, len, record, dup,
                                    first_record);
}

assay_status eng_keyset_insert_hashed(eng_keyset *s, uint64_t h, const void *key,
                                      size_t len, uint64_t record, int *dup,
                                      uint64_t *first_record)
{
    size_t i = (size_t)h & (s->nslots - 1);
    *dup = 0;
    for (; s->slots[i].hash; i = (i + 1) & (s->nslots - 1)) {
        if (s->slots[i].hash == h &&
            key_equal(s, s->slots[i].offset, key, len, first_record)) {
            *dup = 1;
            return ASSAY_OK;
        }
    }
    if (s->max_keys && s->count >= s->max_keys)
        return ASSAY_E_LIMIT;
    if (len > UINT32_MAX)
        return ASSAY_E_LIMIT;
    uint32_t klen = (uint32_t)len;
    uint64_t off = s->arena.len;
    assay_status st = core_buf_reserve(&s->arena, 12 + len);
    if (st)
        return st;
    core_buf_append(&s->arena, &klen, sizeof klen);
    core_buf_append(&s->arena, &record, sizeof record);
    core_buf_append(&s->arena, key, len);
    s->slots[i].hash = h;
    s->slots[i].offset = off;
    s->count++;
    if (s->count * 2 > s->nslots)
        return grow(s);
    return ASSAY_OK;
}
