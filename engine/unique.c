/* engine/unique.c — exact key set: open addressing over xxHash3 hashes, keys in
 * an arena (see unique.h for the memory cost). */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MADV_HUGEPAGE */
#include "engine/unique.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "core/buf.h"
#include "validators/number.h"

typedef struct slot {
    uint64_t hash;   /* 0: empty (a real hash of 0 is stored as 1) */
    uint64_t offset; /* into the arena: u32 length, u64 record, key bytes */
} slot;

struct eng_keyset {
    slot *slots;
    size_t nslots; /* power of two */
    uint64_t count, max_keys;
    core_buf arena;
    /* Integer keys (eng_keyset_new_int) while they are dense: first[v - base]
     * is the record where v was first seen, 0 while unseen. */
    bool dense;
    int64_t base;
    uint64_t *first;
    size_t cap;
};

/* Dense integer keys keep at least one value in DENSITY of the range they
 * span (plus a little slack for the first keys); past that, the hash set. */
#define DENSITY 4
#define DENSE_SLACK ((uint64_t)1 << 16)

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

eng_keyset *eng_keyset_new_int(uint64_t max_keys)
{
    eng_keyset *s = eng_keyset_new(max_keys);
    if (s)
        s->dense = true;
    return s;
}

void eng_keyset_free(eng_keyset *s)
{
    if (!s)
        return;
    free(s->first);
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

/* Gives up the dense array: every key seen moves to the hash set. */
static assay_status to_hash(eng_keyset *s)
{
    uint64_t count = s->count, max = s->max_keys;
    s->count = 0;
    s->max_keys = 0;
    s->dense = false;
    assay_status st = ASSAY_OK;
    for (size_t i = 0; i < s->cap && !st; i++) {
        if (!s->first[i])
            continue;
        char buf[VAL_INT64_BUF];
        size_t n = val_integer_key(s->base + (int64_t)i, buf);
        int dup;
        uint64_t f;
        st = eng_keyset_insert(s, buf, n, s->first[i], &dup, &f);
    }
    free(s->first);
    s->first = NULL;
    s->cap = 0;
    s->max_keys = max;
    if (!st && s->count != count)
        st = ASSAY_E_INTERNAL;
    return st;
}

/* Widens the dense array to hold v; false when that would make it sparse. */
static bool extend(eng_keyset *s, int64_t v, assay_status *st)
{
    *st = ASSAY_OK;
    uint64_t allowed = DENSITY * (s->count + 1) + DENSE_SLACK;
    if (!s->cap) {
        size_t cap = 1024;
        s->first = calloc(cap, sizeof *s->first);
        if (!s->first) {
            *st = ASSAY_E_NOMEM;
            return false;
        }
        s->base = v;
        s->cap = cap;
        return true;
    }
    /* Offsets from the new lowest value; uint64_t differences of int64_t
     * values are exact. */
    int64_t lo = v < s->base ? v : s->base;
    uint64_t shift = (uint64_t)s->base - (uint64_t)lo;
    uint64_t v_off = (uint64_t)v - (uint64_t)lo;
    if (shift >= allowed || v_off >= allowed)
        return false;
    uint64_t hi_off = shift + s->cap - 1 > v_off ? shift + s->cap - 1 : v_off;
    if (hi_off >= allowed || hi_off >= SIZE_MAX / sizeof *s->first / 2)
        return false;
    /* An eighth more each time: ids growing one by one reallocate rarely (a
     * large block moves by remapping, not copying) and the array overshoots
     * what it holds by at most that; never past what the density allows
     * (span itself always fits: checked above). */
    size_t span = (size_t)hi_off + 1;
    size_t grown = s->cap + s->cap / 8;
    size_t cap = grown < allowed ? grown : (size_t)allowed;
    if (cap < span)
        cap = span;
    uint64_t *f = realloc(s->first, cap * sizeof *f);
    if (!f) {
        *st = ASSAY_E_NOMEM;
        return false;
    }
    if (shift) {
        memmove(f + shift, f, s->cap * sizeof *f);
        memset(f, 0, shift * sizeof *f);
    }
    memset(f + shift + s->cap, 0, (cap - shift - s->cap) * sizeof *f);
    s->first = f;
    s->base = lo;
    s->cap = cap;
    return true;
}

assay_status eng_keyset_insert_int(eng_keyset *s, int64_t v, uint64_t record, int *dup,
                                   uint64_t *first_record)
{
    *dup = 0;
    if (s->dense) {
        bool in = s->cap && v >= s->base && (uint64_t)v - (uint64_t)s->base < s->cap;
        assay_status st = ASSAY_OK;
        if (in || extend(s, v, &st)) {
            uint64_t *cell = &s->first[(uint64_t)v - (uint64_t)s->base];
            if (*cell) {
                *dup = 1;
                *first_record = *cell;
                return ASSAY_OK;
            }
            if (s->max_keys && s->count >= s->max_keys)
                return ASSAY_E_LIMIT;
            *cell = record;
            s->count++;
            return ASSAY_OK;
        }
        if (st || (st = to_hash(s)))
            return st;
    }
    char buf[VAL_INT64_BUF];
    size_t n = val_integer_key(v, buf);
    return eng_keyset_insert(s, buf, n, record, dup, first_record);
}
