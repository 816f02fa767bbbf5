/* tests/fuzz/fuzz_number.c — integers and exact decimals hold together.
 *
 * The input is up to three values separated by ';' (a byte no number
 * contains). Every value is parsed as an integer and as a number; abort()
 * on any inconsistency:
 *   - the number grammar equals an independent reference recogniser;
 *   - an integer is a number with the same value (cmp 0, same canon);
 *   - the canonical text re-parses to an equal number with the same canon;
 *   - cmp is reflexive (NaN: unordered), antisymmetric, transitive, and
 *     cmp == 0 exactly when the canons are equal;
 *   - for short numbers, cmp equals a fixed-point reference comparison;
 *   - two integers compare as int64 do. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validators/number.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct num {
    const char *p;
    size_t n;
    bool is_int, is_num;
    int64_t i;
    val_dec d;
    char *canon;
    size_t canon_n;
} num;

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)? | NaN | INF | -INF,
 * written as plainly as possible. */
static bool ref_grammar(const char *p, size_t n)
{
    if ((n == 3 && (!memcmp(p, "NaN", 3) || !memcmp(p, "INF", 3))) ||
        (n == 4 && !memcmp(p, "-INF", 4)))
        return true;
    size_t i = 0, d1 = 0, d2 = 0;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        i++;
    for (; i < n && digit(p[i]); i++)
        d1++;
    if (i < n && p[i] == '.')
        for (i++; i < n && digit(p[i]); i++)
            d2++;
    if (d1 + d2 == 0)
        return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t d3 = 0;
        for (; i < n && digit(p[i]); i++)
            d3++;
        if (d3 == 0)
            return false;
    }
    return i == n;
}

#define REF_W 512
/* Fixed-point digits of |d| (weight of arr[i] is 10^(255-i)), when the
 * number is small enough for it; returns false otherwise. */
static bool ref_fixed(const val_dec *d, unsigned char arr[REF_W])
{
    if (d->kind != VAL_DEC_FINITE || d->int_n + d->frac_n > 100 || d->exp > 100 ||
        d->exp < -100)
        return false;
    memset(arr, 0, REF_W);
    for (size_t k = 0; k < d->int_n + d->frac_n; k++) {
        char c = k < d->int_n ? d->int_p[k] : d->frac_p[k - d->int_n];
        int64_t weight = (int64_t)d->int_n - 1 - (int64_t)k + d->exp;
        arr[255 - weight] = (unsigned char)(c - '0');
    }
    return true;
}

static int ref_cmp(const val_dec *a, const val_dec *b, bool *known)
{
    unsigned char x[REF_W], y[REF_W], zero[REF_W] = { 0 };
    *known = ref_fixed(a, x) && ref_fixed(b, y);
    if (!*known)
        return 0;
    int sa = memcmp(x, zero, REF_W) == 0 ? 0 : a->neg ? -1 : 1;
    int sb = memcmp(y, zero, REF_W) == 0 ? 0 : b->neg ? -1 : 1;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    int c = memcmp(x, y, REF_W);
    c = c < 0 ? -1 : c > 0;
    return sa < 0 ? -c : c;
}

static void check_one(num *v)
{
    v->is_int = val_integer_parse(v->p, v->n, &v->i);
    v->is_num = val_number_parse(v->p, v->n, &v->d);
    if (v->is_num != ref_grammar(v->p, v->n))
        abort();
    if (!v->is_num) {
        if (v->is_int)
            abort();
        return;
    }
    size_t cap = VAL_CANON_CAP(v->n);
    v->canon = malloc(cap);
    if (!v->canon)
        abort();
    v->canon_n = val_dec_canon(&v->d, v->canon, cap);
    if (v->canon_n > cap)
        abort();
    val_dec again;
    if (!val_number_parse(v->canon, v->canon_n, &again))
        abort();
    int self = v->d.kind == VAL_DEC_NAN ? VAL_CMP_UNORDERED : 0;
    if (val_dec_cmp(&v->d, &v->d) != self || val_dec_cmp(&v->d, &again) != self)
        abort();
    char c2[VAL_CANON_CAP(64)];
    if (v->canon_n < 64) {
        size_t n2 = val_dec_canon(&again, c2, sizeof c2);
        if (n2 != v->canon_n || memcmp(c2, v->canon, n2) != 0)
            abort();
    }
    if (v->is_int) {
        char buf[VAL_INT64_BUF], key[VAL_CANON_CAP(VAL_INT64_BUF)];
        val_dec di;
        val_dec_from_int64(v->i, buf, &di);
        size_t kn = val_dec_canon(&di, key, sizeof key);
        if (val_int_dec_cmp(v->i, &v->d) != 0 || kn != v->canon_n ||
            memcmp(key, v->canon, kn) != 0)
            abort();
    }
}

static void check_pair(const num *a, const num *b)
{
    if (!a->is_num || !b->is_num)
        return;
    int ab = val_dec_cmp(&a->d, &b->d), ba = val_dec_cmp(&b->d, &a->d);
    bool nan = a->d.kind == VAL_DEC_NAN || b->d.kind == VAL_DEC_NAN;
    if (nan != (ab == VAL_CMP_UNORDERED) || nan != (ba == VAL_CMP_UNORDERED))
        abort();
    if (nan)
        return;
    if (ab != -ba || ab < -1 || ab > 1)
        abort();
    bool same = a->canon_n == b->canon_n && memcmp(a->canon, b->canon, a->canon_n) == 0;
    if (same != (ab == 0))
        abort();
    bool known;
    int ref = ref_cmp(&a->d, &b->d, &known);
    if (known && ref != ab)
        abort();
    if (a->is_int && b->is_int && ab != (a->i < b->i ? -1 : a->i > b->i))
        abort();
    if (b->is_int && val_int_dec_cmp(b->i, &a->d) != ba)
        abort();
}

static void check_triple(const num *a, const num *b, const num *c)
{
    if (!a->is_num || !b->is_num || !c->is_num)
        return;
    int ab = val_dec_cmp(&a->d, &b->d), bc = val_dec_cmp(&b->d, &c->d);
    int ac = val_dec_cmp(&a->d, &c->d);
    if (ab == VAL_CMP_UNORDERED || bc == VAL_CMP_UNORDERED)
        return;
    if (ab <= 0 && bc <= 0 && ac > 0)
        abort();
    if (ab >= 0 && bc >= 0 && ac < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    num v[3];
    memset(v, 0, sizeof v);
    const char *p = (const char *)data, *end = p + size;
    size_t count = 0;
    while (count < 3) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        v[count].p = p;
        v[count].n = (size_t)((semi ? semi : end) - p);
        count++;
        if (!semi)
            break;
        p = semi + 1;
    }
    for (size_t i = 0; i < count; i++)
        check_one(&v[i]);
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < count; j++)
            check_pair(&v[i], &v[j]);
    if (count == 3) {
        check_triple(&v[0], &v[1], &v[2]);
        check_triple(&v[2], &v[1], &v[0]);
        check_triple(&v[1], &v[0], &v[2]);
    }
    for (size_t i = 0; i < count; i++)
        free(v[i].canon);
    return 0;
}
