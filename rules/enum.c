/* rules/enum.c — an enum constraint as an open-addressing hash set.
 *
 * Slots are a power of two, at least twice the number of values, so a probe
 * sequence (linear) stays short; a slot holds the index of a value, -1 when
 * empty. A value already present is not added again (the loader warns).
 * Values are byte strings: for integer and number fields the loader stores
 * the numbers' canonical text (so typed values compare), and keeps the text
 * as written beside it for messages. */
#include <stdlib.h>
#include <string.h>

#include "rules/ctx.h"

void rules_enum_free(rules_enum *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->count; i++) {
        if (e->shown && e->shown[i] != e->values[i])
            free(e->shown[i]);
        free(e->values[i]);
    }
    free(e->values);
    free(e->shown);
    free(e->lens);
    free(e->slots);
    free(e->short_w);
    free(e->short_n);
    free(e);
}

/* The bytes of a value of at most 8 bytes as one word: given the length, the
 * word determines the bytes (two overlapping 4-byte loads cover 4..8 bytes;
 * the first, middle and last byte cover 1..3). */
static uint64_t pack_short(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, u, 4);
        memcpy(&b, u + n - 4, 4);
        return a | (uint64_t)b << 32;
    }
    if (n == 0)
        return 0;
    return u[0] | (uint64_t)u[n >> 1] << 8 | (uint64_t)u[n - 1] << 16;
}

static size_t short_slot(const rules_enum *e, uint64_t w, size_t n)
{
    uint64_t h = (w ^ (uint64_t)n << 59) * 0x9E3779B97F4A7C15u;
    size_t mask = e->nslots - 1, i = (size_t)(h >> 32) & mask;
    while (e->short_n[i] && (e->short_n[i] != n + 1 || e->short_w[i] != w))
        i = (i + 1) & mask;
    return i;
}

/* The slot holding (p, n), or the empty slot where it would go. */
static size_t enum_probe(const rules_enum *e, const char *p, size_t n)
{
    size_t mask = e->nslots - 1;
    size_t h = (size_t)rules_hash(p, n) & mask;
    while (e->slots[h] >= 0) {
        size_t k = (size_t)e->slots[h];
        if (e->lens[k] == n && (n == 0 || memcmp(e->values[k], p, n) == 0))
            return h;
        h = (h + 1) & mask;
    }
    return h;
}

rules_enum *rules_enum_new(size_t max_values)
{
    if (max_values >= (size_t)INT32_MAX / 4)
        return NULL;
    rules_enum *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    size_t nslots = 8;
    while (nslots < max_values * 2)
        nslots *= 2;
    size_t cap = max_values ? max_values : 1;
    e->slots = malloc(nslots * sizeof *e->slots);
    e->short_w = calloc(nslots, sizeof *e->short_w);
    e->short_n = calloc(nslots, sizeof *e->short_n);
    e->values = malloc(cap * sizeof *e->values);
    e->lens = malloc(cap * sizeof *e->lens);
    e->shown = malloc(cap * sizeof *e->shown);
    if (!e->slots || !e->values || !e->lens || !e->shown || !e->short_w || !e->short_n) {
        rules_enum_free(e);
        return NULL;
    }
    for (size_t i = 0; i < nslots; i++)
        e->slots[i] = -1;
    e->nslots = nslots;
    e->cap = cap;
    return e;
}

static char *dup_bytes(const char *p, size_t n)
{
    char *copy = malloc(n + 1);
    if (!copy)
        return NULL;
    if (n)
        memcpy(copy, p, n);
    copy[n] = '\0';
    return copy;
}

int rules_enum_add(rules_enum *e, const char *p, size_t n)
{
    return rules_enum_add_as(e, p, n, p, n);
}

int rules_enum_add_as(rules_enum *e, const char *p, size_t n, const char *shown,
                      size_t sn)
{
    size_t h = enum_probe(e, p, n);
    if (e->slots[h] >= 0)
        return 0;
    /* Never more values than it was made for: that keeps the load low. */
    if (e->count >= e->cap)
        return -1;
    char *copy = dup_bytes(p, n);
    char *text = copy && (sn != n || memcmp(p, shown, n)) ? dup_bytes(shown, sn) : copy;
    if (!copy || !text) {
        free(copy);
        return -1;
    }
    e->values[e->count] = copy;
    e->shown[e->count] = text;
    e->lens[e->count] = n;
    e->slots[h] = (int32_t)e->count++;
    if (n <= 8) {
        uint64_t w = pack_short(p, n);
        size_t i = short_slot(e, w, n);
        e->short_w[i] = w;
        e->short_n[i] = (uint8_t)(n + 1);
    }
    return 1;
}

bool rules_enum_has(const rules_enum *e, const char *p, size_t n)
{
    if (!e || !e->nslots)
        return false;
    if (n <= 8) /* every value this short is in the short table */
        return e->short_n[short_slot(e, pack_short(p, n), n)] != 0;
    return e->slots[enum_probe(e, p, n)] >= 0;
}
