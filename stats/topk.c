/* stats/topk.c — Space-Saving (Metwally, Agrawal, El Abbadi 2005) with a
 * hash table and a min-heap.
 *
 * Slots hold a value (owned buffer, reused when another value takes the
 * slot, so the steady state does not allocate), its count and error. An
 * open-addressing table (linear probing, backward-shift deletion) maps a
 * value to its slot; a min-heap over the slots orders them by (count, key
 * hash, bytes), so the slot a new value replaces depends only on the set of
 * items, not on history: a sketch read back from JSON evolves as the
 * original would. The key hash of a whole value is the caller's XXH3 of its
 * bytes; a cut value's key is XXH3 of the kept prefix, salted, so every long
 * value with the same first STATS_TOPK_VALUE_MAX bytes counts as one item.
 * Merge is the mergeable summary of Agarwal et al. (2012): counts of common
 * items add, an item missing on one side gains that side's minimum count
 * (0 when exact) as count and error, and the top m are kept. */
#include "stats/topk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/utf8.h"
#include "stats/b64.h"

#define TOPK_CAPACITY_MAX (1u << 24)
#define TOPK_CUT_SALT 0x6375742076616c75ull

typedef struct tk_slot {
    uint64_t key, count, error;
    char *val;
    uint32_t len, valcap, hpos;
    bool cut;
} tk_slot;

struct stats_topk {
    uint32_t capacity;       /* m */
    uint32_t nslots, alloc;  /* slots in use / allocated */
    tk_slot *slot;
    uint32_t *heap;          /* slot indices, a min-heap */
    uint32_t *table;         /* slot index + 1; 0 empty */
    uint32_t tbits;          /* table size 2^tbits >= 2 * alloc */
    uint64_t total;
    bool exact;
};

static uint32_t home(const stats_topk *t, uint64_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - t->tbits));
}

static int cmp_bytes(const char *a, size_t an, bool acut, const char *b, size_t bn,
                     bool bcut)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    if (an != bn)
        return an < bn ? -1 : 1;
    return (int)acut - (int)bcut;
}

static bool slot_less(const tk_slot *a, const tk_slot *b)
{
    if (a->count != b->count)
        return a->count < b->count;
    if (a->key != b->key)
        return a->key < b->key;
    return cmp_bytes(a->val, a->len, a->cut, b->val, b->len, b->cut) < 0;
}

static void heap_set(stats_topk *t, uint32_t pos, uint32_t s)
{
    t->heap[pos] = s;
    t->slot[s].hpos = pos;
}

static void sift_down(stats_topk *t, uint32_t pos)
{
    uint32_t s = t->heap[pos], n = t->nslots;
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= n)
            break;
        if (c + 1 < n && slot_less(&t->slot[t->heap[c + 1]], &t->slot[t->heap[c]]))
            c++;
        if (!slot_less(&t->slot[t->heap[c]], &t->slot[s]))
            break;
        heap_set(t, pos, t->heap[c]);
        pos = c;
    }
    heap_set(t, pos, s);
}

static void sift_up(stats_topk *t, uint32_t pos)
{
    uint32_t s = t->heap[pos];
    while (pos) {
        uint32_t p = (pos - 1) / 2;
        if (!slot_less(&t->slot[s], &t->slot[t->heap[p]]))
            break;
        heap_set(t, pos, t->heap[p]);
        pos = p;
    }
    heap_set(t, pos, s);
}

/* The table position holding the item, or of the empty slot ending its
 * probe sequence. */
static uint32_t table_find(const stats_topk *t, uint64_t key, const char *p,
                           uint32_t n, bool cut, bool *found)
{
    uint32_t mask = (1u << t->tbits) - 1, i = home(t, key);
    for (;; i = (i + 1) & mask) {
        uint32_t e = t->table[i];
        if (!e) {
            *found = false;
            return i;
        }
        const tk_slot *s = &t->slot[e - 1];
        if (s->key == key && s->len == n && s->cut == cut && memcmp(s->val, p, n) == 0) {
            *found = true;
            return i;
        }
    }
}

static void table_insert(stats_topk *t, uint32_t s)
{
    uint32_t mask = (1u << t->tbits) - 1, i = home(t, t->slot[s].key);
    while (t->table[i])
        i = (i + 1) & mask;
    t->table[i] = s + 1;
}

static void table_delete(stats_topk *t, uint32_t i)
{
    uint32_t mask = (1u << t->tbits) - 1, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!t->table[j])
            break;
        uint32_t k = home(t, t->slot[t->table[j] - 1].key);
        /* Move the entry back when its home is not cyclically in (i, j]. */
        bool in = i <= j ? (k > i && k <= j) : (k > i || k <= j);
        if (!in) {
            t->table[i] = t->table[j];
            i = j;
        }
    }
    t->table[i] = 0;
}

/* Room for `want` slots (<= capacity): slots, heap, and a table of at least
 * twice as many entries. */
static int reserve(stats_topk *t, uint32_t want)
{
    if (want <= t->alloc)
        return 0;
    uint32_t na = t->alloc ? t->alloc : 16;
    while (na < want)
        na *= 2;
    if (na > t->capacity)
        na = t->capacity;
    uint32_t bits = 1;
    while ((1u << bits) < 2 * na)
        bits++;
    tk_slot *s = realloc(t->slot, (size_t)na * sizeof *s);
    if (!s)
        return -1;
    t->slot = s;
    uint32_t *h = realloc(t->heap, (size_t)na * sizeof *h);
    if (!h)
        return -1;
    t->heap = h;
    uint32_t *tab = calloc((size_t)1 << bits, sizeof *tab);
    if (!tab)
        return -1;
    memset(s + t->alloc, 0, (size_t)(na - t->alloc) * sizeof *s);
    t->alloc = na;
    free(t->table);
    t->table = tab;
    t->tbits = bits;
    for (uint32_t i = 0; i < t->nslots; i++)
        table_insert(t, i);
    return 0;
}

stats_topk *stats_topk_new(size_t capacity)
{
    stats_topk *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->capacity = capacity < 1 ? 1
                  : capacity > TOPK_CAPACITY_MAX ? TOPK_CAPACITY_MAX
                                                 : (uint32_t)capacity;
    t->exact = true;
    if (reserve(t, 1) < 0) {
        stats_topk_free(t);
        return NULL;
    }
    return t;
}

void stats_topk_free(stats_topk *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->alloc; i++)
        free(t->slot[i].val);
    free(t->slot);
    free(t->heap);
    free(t->table);
    free(t);
}

/* Length kept of an n-byte value: all of it, or at most the limit, moved back
 * off UTF-8 continuation bytes (at most three) so a character is not split. */
static uint32_t kept_len(const char *p, size_t n, bool *cut)
{
    *cut = n > STATS_TOPK_VALUE_MAX;
    if (!*cut)
        return (uint32_t)n;
    uint32_t len = STATS_TOPK_VALUE_MAX;
    for (int back = 0; back < 3 && ((unsigned char)p[len] & 0xC0) == 0x80; back++)
        len--;
    return len;
}

/* Room for n bytes in a slot's buffer (its content kept). */
static int grow_value(tk_slot *s, uint32_t n)
{
    uint32_t cap = n < 16 ? 16 : (n + 15) & ~15u;
    char *v = realloc(s->val, cap);
    if (!v)
        return -1;
    s->val = v;
    s->valcap = cap;
    return 0;
}

static int set_value(tk_slot *s, const char *p, uint32_t n)
{
    if ((n > s->valcap || !s->val) && grow_value(s, n) < 0)
        return -1;
    if (n)
        memcpy(s->val, p, n);
    s->len = n;
    return 0;
}

/* Inserts a new item (not present) at table position `pos`. */
static int insert_new(stats_topk *t, const char *p, uint32_t n, bool cut,
                      uint64_t key, uint64_t count, uint64_t error)
{
    if (t->nslots == t->alloc) {
        if (reserve(t, t->nslots + 1) < 0)
            return -1;
    }
    tk_slot *s = &t->slot[t->nslots];
    if (set_value(s, p, n) < 0)
        return -1;
    s->key = key;
    s->cut = cut;
    s->count = count;
    s->error = error;
    table_insert(t, t->nslots);
    t->heap[t->nslots] = t->nslots;
    s->hpos = t->nslots;
    t->nslots++;
    sift_up(t, s->hpos);
    return 0;
}

int stats_topk_add(stats_topk *t, const char *p, size_t n, uint64_t hash)
{
    bool cut, found;
    uint32_t len = kept_len(p, n, &cut);
    uint64_t key = cut ? XXH3_64bits(p, len) ^ TOPK_CUT_SALT : hash;
    uint32_t pos = table_find(t, key, p, len, cut, &found);
    if (found) {
        tk_slot *s = &t->slot[t->table[pos] - 1];
        s->count++;
        t->total++;
        sift_down(t, s->hpos);
        return 0;
    }
    if (t->nslots < t->capacity) {
        if (insert_new(t, p, len, cut, key, 1, 0) < 0)
            return -1;
        t->total++;
        return 0;
    }
    /* Replace the minimum: it leaves with its count as the newcomer's error. */
    uint32_t v = t->heap[0];
    tk_slot *s = &t->slot[v];
    if (len > s->valcap && grow_value(s, len) < 0)
        return -1;
    bool f2;
    table_delete(t, table_find(t, s->key, s->val, s->len, s->cut, &f2));
    if (len)
        memcpy(s->val, p, len);
    s->len = len;
    s->cut = cut;
    s->key = key;
    s->error = s->count;
    s->count++;
    table_insert(t, v);
    sift_down(t, 0);
    t->total++;
    t->exact = false;
    return 0;
}

uint64_t stats_topk_total(const stats_topk *t)
{
    return t->total;
}

bool stats_topk_exact(const stats_topk *t)
{
    return t->exact;
}

/* Listing order: count descending, then value bytes, then whole before cut. */
static int cmp_list(const void *a, const void *b)
{
    const tk_slot *x = *(tk_slot *const *)a, *y = *(tk_slot *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return cmp_bytes(x->val, x->len, x->cut, y->val, y->len, y->cut);
}

/* The slots in listing order (malloc'd array of nslots pointers). */
static const tk_slot **sorted_slots(const stats_topk *t)
{
    const tk_slot **v = malloc((t->nslots ? t->nslots : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (uint32_t i = 0; i < t->nslots; i++)
        v[i] = &t->slot[i];
    qsort(v, t->nslots, sizeof *v, cmp_list);
    return v;
}

static bool item_before(const stats_topk_item *a, const stats_topk_item *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    return cmp_bytes(a->value, a->len, a->cut, b->value, b->len, b->cut) < 0;
}

/* The same list without memory for the sort: each slot inserted into out,
 * O(nslots * max). The order is total (values are distinct), so the result
 * is the sorted one's. */
static size_t list_in_place(const stats_topk *t, stats_topk_item *out, size_t max)
{
    size_t n = 0;
    for (uint32_t i = 0; i < t->nslots && max; i++) {
        const tk_slot *s = &t->slot[i];
        stats_topk_item it = {s->val ? s->val : "", s->len, s->cut, s->count, s->error};
        size_t at = n;
        while (at > 0 && item_before(&it, &out[at - 1]))
            at--;
        if (at >= max)
            continue;
        size_t keep = n < max ? n : max - 1;
        memmove(&out[at + 1], &out[at], (keep - at) * sizeof *out);
        out[at] = it;
        if (n < max)
            n++;
    }
    return n;
}

size_t stats_topk_list(const stats_topk *t, stats_topk_item *out, size_t max)
{
    const tk_slot **v = sorted_slots(t);
    if (!v)
        return list_in_place(t, out, max);
    size_t n = t->nslots < max ? t->nslots : max;
    for (size_t i = 0; i < n; i++)
        out[i] = (stats_topk_item){v[i]->val ? v[i]->val : "", v[i]->len, v[i]->cut,
                                   v[i]->count, v[i]->error};
    free(v);
    return n;
}

/* The minimum count a value absent from t may have had: 0 while exact. */
static uint64_t floor_count(const stats_topk *t)
{
    return t->exact || !t->nslots ? 0 : t->slot[t->heap[0]].count;
}

typedef struct tk_entry {
    const tk_slot *s;
    uint64_t count, error;
} tk_entry;

static int cmp_entry(const void *a, const void *b)
{
    const tk_entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return cmp_bytes(x->s->val, x->s->len, x->s->cut, y->s->val, y->s->len, y->s->cut);
}

static void swap_into(stats_topk *dst, stats_topk *r)
{
    stats_topk tmp = *dst;
    *dst = *r;
    *r = tmp;
}

int stats_topk_merge(stats_topk *dst, const stats_topk *src)
{
    if (src->total > (uint64_t)INT64_MAX - dst->total)
        return -1; /* beyond what the JSON form can carry */
    uint32_t m = dst->capacity < src->capacity ? dst->capacity : src->capacity;
    uint64_t fd = floor_count(dst), fs = floor_count(src);
    size_t cap = (size_t)dst->nslots + src->nslots;
    tk_entry *e = malloc((cap ? cap : 1) * sizeof *e);
    stats_topk *r = stats_topk_new(m);
    if (!e || !r)
        goto oom;
    size_t ne = 0;
    for (uint32_t i = 0; i < dst->nslots; i++) {
        const tk_slot *s = &dst->slot[i];
        bool found;
        uint32_t pos = table_find(src, s->key, s->val, s->len, s->cut, &found);
        const tk_slot *o = found ? &src->slot[src->table[pos] - 1] : NULL;
        e[ne++] = (tk_entry){s, s->count + (o ? o->count : fs), s->error + (o ? o->error : fs)};
    }
    for (uint32_t i = 0; i < src->nslots; i++) {
        const tk_slot *s = &src->slot[i];
        bool found;
        table_find(dst, s->key, s->val, s->len, s->cut, &found);
        if (!found)
            e[ne++] = (tk_entry){s, s->count + fd, s->error + fd};
    }
    qsort(e, ne, sizeof *e, cmp_entry);
    size_t keep = ne < m ? ne : m;
    if (reserve(r, (uint32_t)keep) < 0)
        goto oom;
    for (size_t i = 0; i < keep; i++)
        if (insert_new(r, e[i].s->val, e[i].s->len, e[i].s->cut, e[i].s->key,
                       e[i].count, e[i].error) < 0)
            goto oom;
    r->total = dst->total + src->total;
    r->exact = dst->exact && src->exact && ne <= m;
    free(e);
    swap_into(dst, r);
    stats_topk_free(r);
    return 0;
oom:
    free(e);
    stats_topk_free(r);
    return -1;
}

static json_t *value_json(const tk_slot *s)
{
    if (core_utf8_valid(s->val ? s->val : "", s->len))
        return json_stringn(s->val ? s->val : "", s->len);
    char *b = malloc(stats_b64_len(s->len) + 1);
    if (!b)
        return NULL;
    stats_b64_encode((const unsigned char *)s->val, s->len, b);
    json_t *o = json_pack("{s:s}", "base64", b);
    free(b);
    return o;
}

json_t *stats_topk_to_json(const stats_topk *t)
{
    const tk_slot **v = sorted_slots(t);
    json_t *o = json_object(), *items = json_array();
    if (!v || !o || !items)
        goto oom;
    for (uint32_t i = 0; i < t->nslots; i++) {
        json_t *it = json_array();
        if (json_array_append_new(items, it) < 0 ||
            json_array_append_new(it, value_json(v[i])) < 0 ||
            json_array_append_new(it, json_integer((json_int_t)v[i]->count)) < 0 ||
            json_array_append_new(it, json_integer((json_int_t)v[i]->error)) < 0 ||
            (v[i]->cut && json_array_append_new(it, json_true()) < 0))
            goto oom;
    }
    int rc = json_object_set_new(o, "items", items);
    items = NULL;
    if (rc < 0 || json_object_set_new(o, "capacity", json_integer(t->capacity)) < 0 ||
        json_object_set_new(o, "total", json_integer((json_int_t)t->total)) < 0 ||
        json_object_set_new(o, "exact", json_boolean(t->exact)) < 0)
        goto oom;
    free(v);
    return o;
oom:
    free(v);
    json_decref(items);
    json_decref(o);
    return NULL;
}

static stats_topk *tk_fail(stats_topk *t, char *err, size_t errcap, const char *msg)
{
    if (err && errcap)
        snprintf(err, errcap, "top-values sketch: %s", msg);
    stats_topk_free(t);
    return NULL;
}

static bool json_count(const json_t *j, uint64_t *out)
{
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return false;
    *out = (uint64_t)json_integer_value(j);
    return true;
}

/* Reads one [value, count, error(, true)] into t; NULL or a message. */
static const char *load_item(stats_topk *t, const json_t *it, uint64_t *sum)
{
    size_t na = json_array_size(it);
    if (!json_is_array(it) || na < 3 || na > 4)
        return "an item is not [value, count, error(, cut)]";
    const json_t *jv = json_array_get(it, 0), *jcut = json_array_get(it, 3);
    bool cut = false;
    if (na == 4) {
        if (!json_is_true(jcut))
            return "an item's fourth member is not true";
        cut = true;
    }
    uint64_t count, error;
    if (!json_count(json_array_get(it, 1), &count) ||
        !json_count(json_array_get(it, 2), &error))
        return "an item's count or error is not a non-negative integer";
    if (count == 0 || error >= count || count > t->total)
        return "an item's count or error is inconsistent";
    if (t->exact && error)
        return "an error in an exact sketch";
    unsigned char *dec = NULL;
    const char *p;
    size_t n;
    if (json_is_string(jv)) {
        p = json_string_value(jv);
        n = json_string_length(jv);
    } else if (json_is_object(jv) && json_object_size(jv) == 1 &&
               json_is_string(json_object_get(jv, "base64"))) {
        const json_t *b = json_object_get(jv, "base64");
        bool oom;
        if (!stats_b64_decode(json_string_value(b), json_string_length(b), &dec, &n, &oom))
            return oom ? "out of memory" : "an item's value is invalid base64";
        if (core_utf8_valid((const char *)dec, n)) {
            free(dec);
            return "a base64 value that is valid UTF-8";
        }
        p = (const char *)dec;
    } else
        return "an item's value is not a string or {\"base64\": ...}";
    const char *msg = NULL;
    bool found;
    if (n > STATS_TOPK_VALUE_MAX)
        msg = "an item's value is longer than the limit";
    else {
        uint64_t key = cut ? XXH3_64bits(p, n) ^ TOPK_CUT_SALT : XXH3_64bits(p, n);
        table_find(t, key, p, (uint32_t)n, cut, &found);
        if (found)
            msg = "an item appears twice";
        else if (t->nslots >= t->capacity)
            msg = "more items than the capacity";
        else if (insert_new(t, p, (uint32_t)n, cut, key, count, error) < 0)
            msg = "out of memory";
    }
    free(dec);
    if (!msg && *sum + count < *sum)
        msg = "counts overflow";
    *sum += count;
    return msg;
}

stats_topk *stats_topk_from_json(const json_t *j, char *err, size_t errcap)
{
    if (!json_is_object(j))
        return tk_fail(NULL, err, errcap, "not an object");
    const json_t *cap = json_object_get(j, "capacity"), *ex = json_object_get(j, "exact");
    const json_t *items = json_object_get(j, "items");
    uint64_t m, total;
    if (!json_count(cap, &m) || m < 1 || m > TOPK_CAPACITY_MAX)
        return tk_fail(NULL, err, errcap, "\"capacity\" missing or not in 1..16777216");
    if (!json_count(json_object_get(j, "total"), &total))
        return tk_fail(NULL, err, errcap, "\"total\" missing or negative");
    if (!json_is_boolean(ex))
        return tk_fail(NULL, err, errcap, "\"exact\" missing or not a boolean");
    if (!json_is_array(items))
        return tk_fail(NULL, err, errcap, "\"items\" missing or not an array");
    stats_topk *t = stats_topk_new((size_t)m);
    if (!t)
        return tk_fail(NULL, err, errcap, "out of memory");
    t->total = total;
    t->exact = json_is_true(ex);
    uint64_t sum = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const char *msg = load_item(t, json_array_get(items, i), &sum);
        if (msg)
            return tk_fail(t, err, errcap, msg);
    }
    if (t->exact && sum != total)
        return tk_fail(t, err, errcap, "exact counts do not add up to \"total\"");
    if (!t->exact && t->nslots != t->capacity)
        return tk_fail(t, err, errcap, "an inexact sketch with fewer items than its capacity");
    return t;
}
